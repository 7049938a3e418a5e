"""Figures of simulation results, drawn with matplotlib's object-oriented API (no pyplot, so
they render under any backend, Agg included). Each function returns a ``matplotlib.figure.
Figure``; pass several results (e.g. the 2023 and 2020 rules) to overlay them."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from . import analytic
from .result import SimulationResult

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = ["figure_cold_starts", "figure_concurrency", "figure_cost", "figure_latency",
           "figure_queue", "figure_rules", "figure_throttles"]

SIZE = (9.0, 3.4)


def _figure(rows: int = 1, cols: int = 1, size: tuple[float, float] = SIZE) -> tuple:
    from matplotlib.figure import Figure

    fig = Figure(figsize=size, dpi=80, layout="constrained")
    return fig, fig.subplots(rows, cols, squeeze=False)


def _label(r: SimulationResult) -> str:
    return f"{r.scaling_rule} rules"


def figure_concurrency(*results: SimulationResult, step: float = 1.0,
                       function: str | None = None) -> Figure:
    """Peak concurrency per ``step`` and live environments, with the account limit."""
    fig, axes = _figure()
    ax = axes[0][0]
    for r in results:
        t, peak = r.concurrency(step, function)
        line, = ax.step(t, peak, where="post", label=f"concurrency ({_label(r)})")
        te, envs = r.environments(step, function)
        ax.plot(te, envs, ls=":", color=line.get_color(), label=f"environments ({_label(r)})")
    if results:
        ax.axhline(results[0].account_limit, color="grey", ls="--", lw=1, label="account limit")
    ax.set(xlabel="time (s)", ylabel="invocations at once", title="Concurrency over time")
    ax.legend(loc="best", fontsize="small")
    return fig


def _per_bin(results: tuple[SimulationResult, ...], what: str, step: float, title: str,
             ylabel: str) -> Figure:
    fig, axes = _figure()
    ax = axes[0][0]
    for r in results:
        t, n = getattr(r, what)(step)
        ax.step(t, n, where="post", label=f"{_label(r)} (total {int(n.sum()):,})")
    ax.set(xlabel="time (s)", ylabel=ylabel, title=title)
    ax.legend(loc="best", fontsize="small")
    return fig


def figure_throttles(*results: SimulationResult, step: float = 1.0) -> Figure:
    """Throttled invocations (429) per ``step``."""
    return _per_bin(results, "throttle_series", step, "Throttles", f"429s per {step:g} s")


def figure_cold_starts(*results: SimulationResult, step: float = 1.0) -> Figure:
    """Cold starts per ``step``."""
    return _per_bin(results, "cold_start_series", step, "Cold starts",
                    f"cold starts per {step:g} s")


def figure_latency(*results: SimulationResult, source: int | None = None) -> Figure:
    """Latency percentiles (init included), p1 to p99.9, with p50/p99 marked."""
    fig, axes = _figure()
    ax = axes[0][0]
    ps = np.linspace(1, 99.9, 200)
    for r in results:
        lat = r.latency(source)
        if not len(lat):
            continue
        values = np.percentile(lat, ps) * 1000
        line, = ax.plot(ps, values, label=_label(r))
        for p in (50, 99):
            v = float(np.percentile(lat, p) * 1000)
            ax.plot([p], [v], "o", color=line.get_color())
            ax.annotate(f"p{p} {v:.0f} ms", (p, v), textcoords="offset points", xytext=(4, 4),
                        fontsize="small")
    ax.set(xlabel="percentile", ylabel="latency (ms)", title="Latency percentiles")
    ax.legend(loc="upper left", fontsize="small")
    return fig


def figure_queue(result: SimulationResult, name: str | None = None) -> Figure:
    """An SQS queue's (or stream's) backlog and oldest-message age, and the active batches."""
    series = result.queues.get(name) if name else None
    if series is None:
        pools = {**result.queues, **result.streams}
        if not pools:
            raise ValueError("this simulation has no queue or stream")
        name = name if name in pools else next(iter(pools))
        series = pools[name]
    fig, axes = _figure(1, 2)
    left, right = axes[0]
    left.plot(series["t"], series["backlog"], label="backlog")
    left.set(xlabel="time (s)", ylabel="messages waiting", title=f"{name}: backlog")
    age = left.twinx()
    age.plot(series["t"], series["age"], color="tab:red", ls="--", label="oldest age")
    age.set_ylabel("age of the oldest (s)")
    if "active" in series:
        right.step(series["t"], series["active"], where="post", label="active batches")
        right.step(series["t"], series["target"], where="post", ls=":", label="poller target")
        right.set(xlabel="time (s)", ylabel="batches", title=f"{name}: pollers")
        right.legend(loc="best", fontsize="small")
    else:
        t, peak = result.concurrency(max(1.0, float(series["t"][1] - series["t"][0]))
                                     if len(series["t"]) > 1 else 1.0)
        right.step(t, peak, where="post")
        right.set(xlabel="time (s)", ylabel="batches", title=f"{name}: concurrency")
    return fig


def figure_cost(*results: SimulationResult) -> Figure:
    """Request and compute cost of each result, with and without the free tier."""
    fig, axes = _figure()
    ax = axes[0][0]
    labels, req, comp = [], [], []
    for r in results:
        for free in (False, True):
            c = r.cost(free_tier=free).cost
            labels.append(f"{_label(r)}\n{'free tier' if free else 'no free tier'}")
            req.append(c.request_usd)
            comp.append(c.compute_usd)
    x = np.arange(len(labels))
    ax.bar(x, req, label="requests")
    ax.bar(x, comp, bottom=req, label="compute (GB-s)")
    ax.set_xticks(x, labels, fontsize="small")
    ax.set(ylabel="USD", title="Cost")
    ax.legend(loc="best", fontsize="small")
    return fig


def figure_rules(seconds: float = 900.0, *, account_limit: int = 10_000,
                 region: str = "us-east-1") -> Figure:
    """The two scaling rules side by side (closed form): a function's reachable concurrency,
    and the SQS poller's ramp."""
    fig, axes = _figure(1, 2)
    left, right = axes[0]
    for rule in ("2023", "2020"):
        t, c = analytic.scaling_curve(seconds, rule=rule, region=region,
                                      account_limit=account_limit, step=max(1.0, seconds / 300))
        left.plot(t, c, label=f"{rule} rules")
        m, b = analytic.sqs_ramp(max(20, seconds / 60), rule=rule)
        right.step(m, b, where="post", label=f"{rule} rules")
    left.set(xlabel="seconds into a burst", ylabel="environments",
             title=f"Function scaling (account limit {account_limit:,})")
    right.set(xlabel="minutes of backlog", ylabel="concurrent batches", title="SQS poller ramp")
    left.legend(fontsize="small")
    right.legend(fontsize="small")
    return fig
