"""Helpers for ``notebooks/04-concurrency``: a burst of real concurrent invocations through boto3,
the reserved-concurrency slider (Erlang B: a pure function, well under 100 ms), and the load
experiment (:func:`lambda_lab.simulation.simulate`, seeded) with its figure.

What a notebook shows from here is fixed text (:class:`~lambda_lab.course.exercises.Text`) or a
figure shown through :func:`lambda_lab.course.chapters.ch02_memory_cpu_timeout.power.figure_image`.
"""

from __future__ import annotations

import json
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from lambda_lab import limits
from lambda_lab.course.exercises import Text

__all__ = [
    "SLEEPER",
    "burst",
    "experiment_lines",
    "figure_load",
    "load_experiment",
    "outcome_counts",
    "scaling_table",
    "throttle_slider_ui",
    "throttle_summary",
]

#: The handler of the throttling demo: it sleeps ``event["sleep"]`` seconds.
SLEEPER = """\
import time


def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return "done"
"""


def burst(lam: Any, name: str, n: int, sleep_s: float = 0.5) -> list[str]:
    """Invoke ``name`` ``n`` times at once (one thread each) through the boto3 client ``lam``.

    Each outcome is one line: ``"200 done"`` or ``"429 TooManyRequestsException (<Reason>)"``.
    Give ``lam`` a botocore ``Config(retries={"total_max_attempts": 1})`` to see every throttle
    (by default boto3 retries a 429, and a retry may find a free environment).
    """
    from botocore.exceptions import ClientError

    def one(_: int) -> str:
        try:
            response = lam.invoke(FunctionName=name, Payload=json.dumps({"sleep": sleep_s}))
            return f"{response['StatusCode']} {json.loads(response['Payload'].read())}"
        except ClientError as error:
            status = error.response["ResponseMetadata"]["HTTPStatusCode"]
            reason = error.response.get("Reason", "")
            return f"{status} {error.response['Error']['Code']} ({reason})"

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def outcome_counts(outcomes: list[str]) -> Text:
    """One line per distinct outcome of :func:`burst`, with how many times it happened."""
    counts = Counter(outcomes)
    return Text("\n".join(f"{n} × {outcome}" for outcome, n in sorted(counts.items())))


# --- the reserved-concurrency slider ----------------------------------------------------------


@dataclass(frozen=True)
class ThrottleEstimate:
    """Steady state of a Poisson load against a concurrency limit (Erlang B)."""

    limit: int
    rate: float
    duration_ms: float
    busy: float
    throttle_probability: float

    @property
    def text(self) -> str:
        offered = self.rate * self.duration_ms / 1000
        bar_width = 40
        filled = round(bar_width * self.throttle_probability)
        return "\n".join([
            f"{self.rate:g} requests/s × {self.duration_ms:g} ms = {offered:g} environments "
            f"wanted on average; limit {self.limit}",
            f"busy on average: {self.busy:.1f} · throttled (429): "
            f"{100 * self.throttle_probability:.1f}% = {self.rate * self.throttle_probability:.1f}"
            " requests/s",
            "throttled [" + "#" * filled + "." * (bar_width - filled) + "]",
        ])

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def throttle_summary(limit: int, rate: float = 100.0, duration_ms: float = 250.0
                     ) -> ThrottleEstimate:
    """What a concurrency ``limit`` (e.g. reserved concurrency) does to a steady Poisson load of
    ``rate`` requests per second, each ``duration_ms`` long: Erlang B, exact in steady state.

    Raises:
        ValueError: negative inputs.
    """
    from lambda_lab.simulation import quick_estimate

    if limit < 0:
        raise ValueError("the limit cannot be negative")
    q = quick_estimate(rate, duration_ms / 1000, limit=limit)
    return ThrottleEstimate(limit, rate, duration_ms, q["mean_concurrency"],
                            q["throttle_probability"])


@dataclass
class ThrottleSliderUI:
    """A reserved-concurrency slider over :func:`throttle_summary`; fixed text form."""

    slider: Any
    output: Any
    box: Any
    rate: float
    duration_ms: float

    def update(self, *_: Any) -> None:
        text = throttle_summary(self.slider.value, self.rate, self.duration_ms).text
        self.output.outputs = ({"output_type": "stream", "name": "stdout", "text": text + "\n"},)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.box._repr_mimebundle_(**kwargs))
        bundle["text/plain"] = ("Reserved concurrency slider: throttles of a steady load "
                                "(a widget: run this notebook in JupyterLab to use it)")
        return bundle


def throttle_slider_ui(rate: float = 100.0, duration_ms: float = 250.0, value: int = 20,
                       maximum: int = 60) -> ThrottleSliderUI:
    """A slider for reserved concurrency (0–``maximum``) against ``rate`` × ``duration_ms``."""
    import ipywidgets as widgets

    slider = widgets.IntSlider(value=value, min=0, max=maximum, step=1,
                               description="Reserved concurrency", continuous_update=False,
                               style={"description_width": "initial"},
                               layout=widgets.Layout(width="95%"))
    output = widgets.Output(layout=widgets.Layout(height="5em"))
    box = widgets.VBox([slider, output])
    ui = ThrottleSliderUI(slider, output, box, rate, duration_ms)
    slider.observe(ui.update, names="value")
    ui.update()
    return ui


# --- scaling rate and the load experiment -------------------------------------------------------


def scaling_table(seconds: int = 30, step: int = 10, account_limit: int = 10_000) -> Text:
    """How many environments one function can have ``t`` seconds into a burst, by rule
    (:func:`lambda_lab.simulation.scaling_curve`, us-east-1, an account limit raised to
    ``account_limit``)."""
    from lambda_lab.simulation import scaling_curve

    rows = [f"{'seconds':>8}  {'2023 rule':>10}  {'2020 rule':>10}"]
    t, new = scaling_curve(seconds, rule="2023", account_limit=account_limit, step=step)
    _, old = scaling_curve(seconds, rule="2020", account_limit=account_limit, step=step)
    for x, a, b in zip(t.tolist(), new.tolist(), old.tolist(), strict=True):
        rows.append(f"{x:>8.0f}  {a:>10,}  {b:>10,}")
    return Text("\n".join(rows))


def load_experiment(reserved: int | None = 30, *, peak_rate: float = 200.0,
                    seconds: float = 60.0, median_ms: float = 250.0, seed: int = 1) -> Any:
    """Simulate a load that ramps from 0 to ``peak_rate`` requests/s over ``seconds`` against a
    function (log-normal durations, median ``median_ms``) with ``reserved`` concurrency (None:
    only the account's 1,000). Seeded: the same inputs give the same result."""
    from lambda_lab.simulation import FunctionModel, Invoke, LogNormal, Ramp, simulate

    model = FunctionModel("api", duration=LogNormal(median_ms / 1000, 0.3), init=0.2,
                          reserved=reserved)
    return simulate(model, Invoke("api", Ramp(0.0, peak_rate, seconds)), seed=seed)


def _label(result: Any) -> str:
    reserved = result.functions[0].reserved
    return f"reserved {reserved}" if reserved is not None else (
        f"no reservation (account limit {limits.ACCOUNT_CONCURRENCY_DEFAULT:,})")


def experiment_lines(*results: Any) -> Text:
    """One line per result: invocations, throttles, peak concurrency, cold starts."""
    lines = []
    for r in results:
        lines.append(f"{_label(r)}: {r.invocations:,} ran, {r.throttles:,} throttled (429), "
                     f"peak concurrency {r.peak_concurrency()}, {r.cold_starts} cold starts")
    return Text("\n".join(lines))


def figure_load(*results: Any, step: float = 1.0) -> Any:
    """Two panels: concurrency over time, and throttles per ``step``, one line per result."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(9.0, 3.4), dpi=80, layout="constrained")
    left, right = fig.subplots(1, 2)
    for r in results:
        t, peak = r.concurrency(step)
        left.step(t, peak, where="post", label=_label(r))
        tt, n = r.throttle_series(step)
        right.step(tt, n, where="post", label=_label(r))
    left.set(xlabel="time (s)", ylabel="invocations at once", title="Concurrency")
    right.set(xlabel="time (s)", ylabel="throttles per second", title="Throttled requests (429)")
    left.legend(loc="upper left", fontsize="small")
    right.legend(loc="upper left", fontsize="small")
    return fig
