"""Where should the timeout go? A model of a function whose duration varies, for any timeout.

Notebook 02's model-driven timeout slider (1–900 s) calls :meth:`TimeoutModel.outcome`: no
emulator, no clock, a few microseconds per timeout.

* A :class:`Workload` is a duration distribution of the requests that finish (any
  :class:`lambda_lab.simulation.distributions.Distribution`, e.g. ``LogNormal``) plus a share
  of requests that never answer (a slow downstream dependency that hangs).
* For a timeout, an invocation **times out** when its duration is longer than the timeout (one
  exactly as long finishes). It is billed its duration, or the timeout when it timed out
  (the Duration metric's maximum is the timeout), rounded up to the next 1 ms by
  :func:`lambda_lab.billing.billed_duration_ms`, at ``memory_mb`` (warm invocations: no init).
* Asynchronous invocations: a timeout is a function error, and Lambda runs a failed event two
  more times by default, configurable 0–2 (lambda-facts.md "Async retries"; DG
  invocation-async-error-handling: "Function errors include ... errors returned by the
  function's runtime, such as timeouts"). The model draws each attempt afresh, so an event
  takes ``1 + p + … + p**retries`` attempts on average and fails all of them with
  probability ``p**(retries + 1)``, where ``p`` is the timed-out share.

Durations are represented by ``samples`` values: exact quantiles for a ``LogNormal`` (no
randomness) and a seeded draw for any other distribution, so every number is reproducible.
"""

from __future__ import annotations

import bisect
import io
import statistics
from dataclasses import dataclass, field
from itertools import accumulate
from typing import Any

import numpy as np

from lambda_lab import limits
from lambda_lab.billing import Cost, billed_duration_ms, invocation_cost
from lambda_lab.simulation.distributions import Distribution, LogNormal, as_distribution

__all__ = [
    "ASYNC_RETRIES_DEFAULT",
    "EXAMPLE_WORKLOAD",
    "TIMEOUT_CHOICES",
    "TimeoutModel",
    "TimeoutOutcome",
    "Workload",
    "check_timeout",
    "timeout_figure",
    "timeout_marker_png",
    "timeout_outcome",
]

#: Lambda retries a failed asynchronous invocation twice by default (0–2; lambda-facts.md).
ASYNC_RETRIES_DEFAULT = 2

#: The slider's stops: every second up to 30 s (where a p99 usually is), coarser up to 900 s.
TIMEOUT_CHOICES: tuple[int, ...] = (
    *range(1, 31),
    *range(35, 61, 5),
    *range(70, 121, 10),
    *range(150, 301, 30),
    *range(360, 901, 60),
)


def check_timeout(timeout_s: int) -> int:
    """``timeout_s`` if Lambda accepts it as a timeout: whole seconds, 1–900.

    Raises:
        TypeError: not a whole number. ValueError: outside 1–900 s.
    """
    if isinstance(timeout_s, bool) or not isinstance(timeout_s, (int, np.integer)):
        raise TypeError("timeout_s must be a whole number of seconds (Lambda uses 1 s steps)")
    if not limits.TIMEOUT_MIN_S <= timeout_s <= limits.TIMEOUT_MAX_S:
        raise ValueError(
            f"timeout_s must be between {limits.TIMEOUT_MIN_S} and {limits.TIMEOUT_MAX_S} s, "
            f"not {timeout_s}"
        )
    return int(timeout_s)


@dataclass(frozen=True)
class Workload:
    """How long a function's invocations take.

    ``normal``: seconds for the requests that finish (a number means always that long).
    ``hang_share``: the share of all requests that never answer (a hung dependency).
    """

    normal: Distribution | float
    hang_share: float = 0.0
    memory_mb: int = 512
    architecture: str = "x86_64"
    description: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "normal", as_distribution(self.normal))
        if not 0.0 <= self.hang_share < 1.0:
            raise ValueError(f"hang_share must be in [0, 1), not {self.hang_share}")
        if not limits.MEMORY_MIN_MB <= self.memory_mb <= limits.MEMORY_MAX_MB:
            raise ValueError(f"memory_mb must be between 128 and 10240, not {self.memory_mb}")


#: The notebook's example: a median of 1.5 s with a long tail (p99 ≈ 6.1 s), and a downstream
#: dependency that hangs on 0.5% of requests, at 512 MB.
EXAMPLE_WORKLOAD = Workload(
    LogNormal(median_s=1.5, sigma=0.6),
    hang_share=0.005,
    memory_mb=512,
    description="log-normal, median 1.5 s; 0.5% of requests hang on a downstream call",
)


@dataclass(frozen=True)
class TimeoutOutcome:
    """What one timeout means for a :class:`Workload` (shares are of all invocations)."""

    timeout_s: int
    #: Requests that would have finished, but later than the timeout.
    cut_off_share: float
    #: Requests that never answer: they always time out.
    hung_share: float
    #: Mean billed duration of one invocation (ms).
    mean_billed_ms: float
    #: Cost of one (synchronous) invocation, request + compute.
    cost: Cost
    #: The 99th percentile of the requests that finish (s).
    p99_s: float
    retries: int = ASYNC_RETRIES_DEFAULT
    memory_mb: int = 512
    architecture: str = field(default="x86_64")

    @property
    def timed_out_share(self) -> float:
        return self.cut_off_share + self.hung_share

    @property
    def cost_per_million_usd(self) -> float:
        """USD per 1M synchronous invocations."""
        return self.cost.total_usd * 1e6

    @property
    def attempts_per_event(self) -> float:
        """Asynchronous: mean attempts per event (each timeout is retried, up to ``retries``)."""
        p = self.timed_out_share
        return sum(p**k for k in range(self.retries + 1))

    @property
    def extra_attempts_per_million(self) -> float:
        """Asynchronous: retry attempts per 1M events."""
        return (self.attempts_per_event - 1.0) * 1e6

    @property
    def failed_events_per_million(self) -> float:
        """Asynchronous: events per 1M whose every attempt timed out (to a DLQ / on-failure)."""
        return self.timed_out_share ** (self.retries + 1) * 1e6

    @property
    def async_cost_per_million_usd(self) -> float:
        """USD per 1M asynchronous events, every attempt billed."""
        return self.cost_per_million_usd * self.attempts_per_event

    @property
    def verdict(self) -> str:
        """Where the timeout sits against the p99 (the thresholds are the course's advice)."""
        ratio = self.timeout_s / self.p99_s
        if ratio < 1:
            return "below it, so more than 1% of requests that would have succeeded fail"
        if ratio <= 2:
            return (
                "a bit above it: normal requests finish, and a hung one is stopped "
                f"after {self.timeout_s} s"
            )
        return f"{ratio:.0f}× it: a hung request runs, and is billed, for {self.timeout_s:,} s"

    @property
    def lines(self) -> tuple[str, ...]:
        """:attr:`text`, line by line."""
        retries, failed = self.retries, self.failed_events_per_million
        return (
            f"Timeout {self.timeout_s:,} s: {self.timed_out_share:.1%} of invocations time out "
            f"({self.cut_off_share:.1%} slow-but-fine requests cut off + "
            f"{self.hung_share:.1%} hung)",
            f"Sync: average billed duration {self.mean_billed_ms:,.0f} ms → "
            f"${self.cost_per_million_usd:,.2f} per 1M invocations "
            f"({self.memory_mb:,} MB, {self.architecture})",
            f"Async ({retries} {'retry' if retries == 1 else 'retries'}): "
            f"+{self.extra_attempts_per_million:,.0f} attempts per 1M events, "
            f"{failed:,.0f} {'event fails' if round(failed) == 1 else 'events fail'} "
            f"all {retries + 1} → ${self.async_cost_per_million_usd:,.2f} per 1M events",
            f"p99 of normal requests: {self.p99_s:.2f} s. The timeout is {self.verdict}.",
        )

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def __str__(self) -> str:
        return self.text


def _normal_durations(normal: Distribution, n: int, seed: int, memory_mb: int) -> np.ndarray:
    """``n`` durations (s) standing for ``normal``: exact quantiles of a log-normal, else a
    seeded draw."""
    if isinstance(normal, LogNormal):
        z = statistics.NormalDist()
        quantiles = [z.inv_cdf((i + 0.5) / n) for i in range(n)]
        return normal.median_s * np.exp(normal.sigma * np.asarray(quantiles))
    return normal.sample(np.random.default_rng(seed), n, memory_mb)


class TimeoutModel:
    """A workload's durations, prepared once so that any timeout is evaluated in O(log n)."""

    def __init__(self, workload: Workload = EXAMPLE_WORKLOAD, *, samples: int = 20_000,
                 seed: int = 0) -> None:
        if samples < 1:
            raise ValueError("samples must be at least 1")
        self.workload = workload
        durations = np.sort(_normal_durations(workload.normal, samples, seed, workload.memory_mb))
        if not np.all(np.isfinite(durations)) or durations[0] < 0:
            raise ValueError("durations must be finite and not negative")
        #: The normal requests' durations (s), sorted.
        self.durations_s = durations
        self._sorted = durations.tolist()
        # Billed ms of each normal request that finishes, accumulated: the prefix sums give the
        # billed total of every request shorter than any timeout.
        billed = (billed_duration_ms(d * 1000.0, include_init=False) for d in self._sorted)
        self._billed_prefix = [0, *accumulate(billed)]
        #: The 99th percentile of the normal requests' durations (s).
        self.p99_s = float(np.quantile(durations, 0.99))

    def outcome(self, timeout_s: int, retries: int = ASYNC_RETRIES_DEFAULT) -> TimeoutOutcome:
        """Timed-out share, billed cost and asynchronous retries under ``timeout_s``.

        Raises:
            TypeError / ValueError: a timeout Lambda would reject (whole seconds, 1–900), or
            ``retries`` outside 0–2.
        """
        timeout = check_timeout(timeout_s)
        if isinstance(retries, bool) or retries not in (0, 1, 2):
            raise ValueError(f"retries must be 0, 1 or 2 (MaximumRetryAttempts), not {retries}")
        w = self.workload
        n = len(self._sorted)
        finished = bisect.bisect_right(self._sorted, float(timeout))  # duration <= timeout
        timeout_ms = billed_duration_ms(timeout * 1000.0, include_init=False)
        normal_billed = (self._billed_prefix[finished] + (n - finished) * timeout_ms) / n
        mean_billed = (1.0 - w.hang_share) * normal_billed + w.hang_share * timeout_ms
        return TimeoutOutcome(
            timeout_s=timeout,
            cut_off_share=(1.0 - w.hang_share) * (n - finished) / n,
            hung_share=w.hang_share,
            mean_billed_ms=mean_billed,
            # invocation_cost is linear in the billed time: the cost of the mean is the mean cost.
            cost=invocation_cost(mean_billed, w.memory_mb, w.architecture),
            p99_s=self.p99_s,
            retries=retries,
            memory_mb=w.memory_mb,
            architecture=w.architecture,
        )

    def curve(self, timeouts: list[int] | None = None) -> list[TimeoutOutcome]:
        """Outcomes for every timeout in ``timeouts`` (default: 1–900 s)."""
        if timeouts is None:
            timeouts = list(range(limits.TIMEOUT_MIN_S, limits.TIMEOUT_MAX_S + 1))
        return [self.outcome(t) for t in timeouts]


def timeout_outcome(
    durations: Distribution | float,
    timeout_s: int,
    *,
    hang_share: float = 0.0,
    memory_mb: int = 512,
    retries: int = ASYNC_RETRIES_DEFAULT,
    samples: int = 20_000,
) -> TimeoutOutcome:
    """One-off :meth:`TimeoutModel.outcome` for ``durations`` (seconds or a distribution).

    >>> timeout_outcome(2.0, 1).timed_out_share
    1.0
    """
    model = TimeoutModel(Workload(durations, hang_share, memory_mb), samples=samples)
    return model.outcome(timeout_s, retries)


#: The figure's duration axis (s): from 50 ms to past the 900 s maximum, where hangs are drawn.
_X_MIN, _X_MAX, _HANG_AT = 0.05, 3000.0, (1100.0, 2400.0)


def timeout_figure(model: TimeoutModel, timeout_s: int, *, width: float = 9.0,
                   height: float = 3.4) -> Any:
    """Left: the duration distribution, the timeout line, p99 and the hung requests; right:
    timed-out share and cost per 1M invocations against the timeout (1–900 s), with a marker.

    Returns a :class:`matplotlib.figure.Figure` built without pyplot (no global state);
    :func:`timeout_marker_png` moves its timeout marker.
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Rectangle
    from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

    outcome = model.outcome(timeout_s)
    w = model.workload
    fig = Figure(figsize=(width, height), dpi=80)
    fig.subplots_adjust(left=0.07, right=0.92, bottom=0.17, top=0.9, wspace=0.3)
    left, right = fig.subplots(1, 2)
    ticks = [0.1, 1, 10, 100, 900]
    seconds = FuncFormatter(lambda x, _pos: f"{x:g}")

    # Left: what share of requests takes how long (log bins), and the hung ones past 900 s.
    bins = np.geomspace(_X_MIN, limits.TIMEOUT_MAX_S, 64)
    weights = np.full(len(model.durations_s), 100.0 * (1.0 - w.hang_share) / len(model.durations_s))
    left.hist(np.clip(model.durations_s, _X_MIN, None), bins=bins, weights=weights,
              color="tab:blue", alpha=0.8)
    if w.hang_share:
        lo, hi = _HANG_AT
        left.bar(lo, 100.0 * w.hang_share, width=hi - lo, align="edge", color="tab:red",
                 hatch="//", alpha=0.7)
        left.annotate(f"hang\n{w.hang_share:.1%}", (lo * 1.2, 100.0 * w.hang_share),
                      xytext=(0, 4), textcoords="offset points", fontsize=7, ha="center",
                      va="bottom", color="tab:red")
    left.axvline(model.p99_s, color="black", ls="--", lw=1)
    left.text(model.p99_s / 1.08, 0.5, f"p99 {model.p99_s:.1f} s", rotation=90, fontsize=8,
              ha="right", va="center", transform=left.get_xaxis_transform())
    left.axvline(limits.TIMEOUT_MAX_S, color="grey", ls=":", lw=1)
    span = Rectangle((timeout_s, 0.0), _X_MAX - timeout_s, 1.0,
                     transform=left.get_xaxis_transform(), color="tab:red", alpha=0.12, lw=0)
    left.add_patch(span)
    line_left = left.axvline(timeout_s, color="tab:orange", lw=2)
    label = left.text(timeout_s, 0.97, "", transform=left.get_xaxis_transform(), fontsize=8,
                      ha="left", va="top", color="tab:red")
    left.set_xscale("log")
    left.set_xlim(_X_MIN, _X_MAX)
    left.set_ylim(bottom=0)
    left.set_xlabel("Duration (s), log scale; dotted: 900 s maximum")
    left.set_ylabel("% of requests")
    left.set_title("Durations and the timeout (red: timed out)", fontsize=10)

    # Right: timed-out share (left axis) and cost (right axis) for every timeout 1-900 s.
    timeouts = list(range(limits.TIMEOUT_MIN_S, limits.TIMEOUT_MAX_S + 1))
    curve = model.curve(timeouts)
    share = [max(100.0 * o.timed_out_share, 0.01) for o in curve]
    cost = right.twinx()
    right.plot(timeouts, share, color="tab:red", lw=1.5, label="timed out (%)")
    cost.plot(timeouts, [o.cost_per_million_usd for o in curve], color="tab:blue", lw=1.5,
              label="sync $ per 1M")
    cost.plot(timeouts, [o.async_cost_per_million_usd for o in curve], color="tab:blue",
              ls="--", lw=1, label="async $ per 1M events")
    right.axvline(model.p99_s, color="black", ls="--", lw=1)
    line_right = right.axvline(timeout_s, color="tab:orange", lw=2)
    (share_dot,) = right.plot([timeout_s], [100.0 * outcome.timed_out_share], "o",
                              color="tab:red", ms=7)
    (cost_dot,) = cost.plot([timeout_s], [outcome.cost_per_million_usd], "o", color="tab:blue",
                            ms=7)
    (async_dot,) = cost.plot([timeout_s], [outcome.async_cost_per_million_usd], "o",
                             mfc="white", color="tab:blue", ms=6)
    right.set_xscale("log")
    right.set_yscale("log")
    right.set_xlim(limits.TIMEOUT_MIN_S * 0.9, limits.TIMEOUT_MAX_S * 1.1)
    right.set_ylim(0.01, 150)
    right.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: f"{y:g}%"))
    right.yaxis.set_minor_locator(NullLocator())
    right.set_ylabel("timed out", color="tab:red")
    cost.set_ylim(bottom=0)
    cost.set_ylabel("USD per 1M", color="tab:blue")
    right.set_xlabel("Timeout (s); dashed: p99")
    right.set_title("Timed out (red) and cost (blue) by timeout", fontsize=10)
    cost.legend(fontsize=7, loc="upper center")
    for ax in (left, right):
        ax.xaxis.set_major_locator(FixedLocator(ticks if ax is left else [1, 3, 10, 100, 900]))
        ax.xaxis.set_major_formatter(seconds)
        ax.xaxis.set_minor_locator(NullLocator())
        ax.grid(True, which="major", alpha=0.3)

    def move(o: TimeoutOutcome) -> None:
        t = o.timeout_s
        span.set_x(t)
        span.set_width(_X_MAX - t)
        flip = t > 60  # the label goes left of the line near the right edge
        label.set_x(t / 1.08 if flip else t * 1.08)
        label.set_horizontalalignment("right" if flip else "left")
        label.set_text(f"timeout {t:,} s\n{o.timed_out_share:.1%} time out")
        for line in (line_left, line_right):
            line.set_xdata([t, t])
        share_dot.set_data([t], [max(100.0 * o.timed_out_share, 0.01)])
        cost_dot.set_data([t], [o.cost_per_million_usd])
        async_dot.set_data([t], [o.async_cost_per_million_usd])

    move(outcome)
    movers = (span, line_left, label, line_right, share_dot, cost_dot, async_dot)
    fig._lambda_lab_timeout = {"model": model, "movers": movers, "move": move}
    return fig


def timeout_marker_png(fig: Any, timeout_s: int) -> tuple[TimeoutOutcome, bytes]:
    """Move a :func:`timeout_figure`'s timeout marker to ``timeout_s`` and render it as PNG.

    What the slider does on each change: everything but the marker is rendered once and kept
    as a background; a change draws only the marker over it and encodes the PNG.

    Raises:
        ValueError: ``fig`` was not made by :func:`timeout_figure`, or a timeout Lambda rejects.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    state = getattr(fig, "_lambda_lab_timeout", None)
    if state is None:
        raise ValueError("timeout_marker_png needs a figure made by timeout_figure")
    outcome = state["model"].outcome(timeout_s)
    movers = state["movers"]
    if "background" not in state:
        canvas = FigureCanvasAgg(fig)
        for artist in movers:
            artist.set_visible(False)
        canvas.draw()
        state["background"] = canvas.copy_from_bbox(fig.bbox)
        for artist in movers:
            artist.set_visible(True)
    canvas = fig.canvas
    canvas.restore_region(state["background"])
    state["move"](outcome)
    for artist in movers:
        artist.axes.draw_artist(artist)
    buffer = canvas.buffer_rgba()
    size = (buffer.shape[1], buffer.shape[0])
    image = Image.frombuffer("RGBA", size, buffer, "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    image.save(out, format="png", compress_level=1)
    return outcome, out.getvalue()
