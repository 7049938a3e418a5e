"""Memory, CPU share, duration and cost: the pure functions behind notebook 02's sliders.

* :func:`vcpu_share` — the CPU a memory size buys (1 vCPU per 1,769 MB, at most 6).
* :func:`measure_power_curve` — runs a small CPU-bound handler **for real** through
  :func:`lambda_lab.deploy` at a few memory sizes and returns a :class:`PowerCurve`.
* :func:`power_summary` — duration and cost per invocation at any memory size: measured where
  the curve has a point, interpolated between measured points, extrapolated with the CPU-share
  model beyond them. Fast (no emulator), so a slider can call it on every change.
* :func:`power_figure` — the power-tuning figure (duration and cost against memory).
* :func:`timeout_demo` — really invokes a handler that sleeps 1.5 s under a given timeout.

Nothing here imports matplotlib until a figure is drawn, nor the emulator until something runs.
Prices and billing come from :mod:`lambda_lab.billing`, quotas from :mod:`lambda_lab.limits`.
"""

from __future__ import annotations

import io
import math
import statistics
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lambda_lab import limits
from lambda_lab.billing import Cost, billed_duration_ms, invocation_cost
from lambda_lab.course.shared import figure_image, figure_png

__all__ = [
    "CPU_BOUND_HANDLER",
    "DEFAULT_MEMORIES",
    "DEFAULT_WORK",
    "SLEEPY_HANDLER",
    "PowerCurve",
    "PowerEstimate",
    "PowerPoint",
    "TimeoutDemo",
    "figure_image",
    "figure_png",
    "measure_power_curve",
    "marker_png",
    "power_figure",
    "power_summary",
    "timeout_demo",
    "vcpu_share",
]

#: Memory sizes :func:`measure_power_curve` measures by default (MB): the minimum, powers of two,
#: one full vCPU, the 2020 notes' maximum (3,008 MB) and today's maximum.
DEFAULT_MEMORIES: tuple[int, ...] = (128, 256, 512, 1024, 1769, 3008, 10240)
#: Loop iterations of the CPU-bound handler: about 60 ms on one full CPU here.
DEFAULT_WORK = 800_000

#: A CPU-bound handler: pure Python arithmetic on one thread, no I/O.
CPU_BOUND_HANDLER = '''\
def handler(event, context):
    """CPU-bound work: a loop of integer arithmetic, on one thread."""
    total = 0
    for i in range(event["n"]):
        total += i * i % 7
    return {"n": event["n"], "total": total}
'''

#: A handler that waits ``event["seconds"]`` (like a slow downstream call) and says so.
SLEEPY_HANDLER = """\
import time


def handler(event, context):
    time.sleep(event["seconds"])
    return f"slept {event['seconds']} s"
"""


def _check_memory(memory_mb: int) -> int:
    if isinstance(memory_mb, bool) or not isinstance(memory_mb, (int, float)):
        raise TypeError(f"memory_mb must be a number of MB, not {type(memory_mb).__name__}")
    if not limits.MEMORY_MIN_MB <= memory_mb <= limits.MEMORY_MAX_MB:
        raise ValueError(
            f"memory_mb must be between {limits.MEMORY_MIN_MB} and {limits.MEMORY_MAX_MB} MB, "
            f"not {memory_mb}"
        )
    return int(memory_mb)


def vcpu_share(memory_mb: int) -> float:
    """The vCPUs ``memory_mb`` buys: memory / 1,769 MB, at most 6 (AWS: "up to 6 vCPUs").

    Raises:
        ValueError: outside 128–10,240 MB. TypeError: not a number.
    """
    return limits.vcpus_for_memory(_check_memory(memory_mb))


def _cost(duration_ms: float, memory_mb: int) -> tuple[int, Cost]:
    billed = billed_duration_ms(duration_ms, include_init=False)
    return billed, invocation_cost(billed, memory_mb)


@dataclass(frozen=True)
class PowerPoint:
    """One measured memory size: the warm durations and what a typical invocation costs."""

    memory_mb: int
    #: Every measured Duration (ms), in the order measured.
    samples_ms: tuple[float, ...]

    @property
    def duration_ms(self) -> float:
        """The median of the samples (robust against one slow run)."""
        return statistics.median(self.samples_ms)

    @property
    def vcpus(self) -> float:
        return vcpu_share(self.memory_mb)

    @property
    def billed_ms(self) -> int:
        return _cost(self.duration_ms, self.memory_mb)[0]

    @property
    def cost(self) -> Cost:
        """Cost of one invocation (request + compute), us-east-1 x86_64 prices."""
        return _cost(self.duration_ms, self.memory_mb)[1]


@dataclass(frozen=True)
class PowerCurve:
    """Measured points, sorted by memory, and the workload they measured."""

    points: tuple[PowerPoint, ...]
    #: What ran: e.g. "CPU-bound loop, n=800,000".
    workload: str = ""
    #: Threads the workload can keep busy: more vCPUs than this do not make it faster.
    threads: int = 1

    def __post_init__(self) -> None:
        if not self.points:
            raise ValueError("a power curve needs at least one measured point")
        ordered = tuple(sorted(self.points, key=lambda p: p.memory_mb))
        if len({p.memory_mb for p in ordered}) != len(ordered):
            raise ValueError("a power curve has one point per memory size")
        object.__setattr__(self, "points", ordered)

    @classmethod
    def from_durations(
        cls, durations: Mapping[int, float | Iterable[float]], workload: str = "", threads: int = 1
    ) -> PowerCurve:
        """A curve from ``{memory_mb: duration_ms or [samples]}`` (tests, exercises, replays)."""
        points = []
        for memory, value in durations.items():
            samples = (value,) if isinstance(value, (int, float)) else tuple(value)
            points.append(PowerPoint(_check_memory(memory), tuple(float(s) for s in samples)))
        return cls(tuple(points), workload, threads)

    @property
    def memories(self) -> tuple[int, ...]:
        return tuple(p.memory_mb for p in self.points)

    def durations(self) -> dict[int, float]:
        """``{memory_mb: median duration ms}``, the form the cheapest-memory exercise takes."""
        return {p.memory_mb: round(p.duration_ms, 2) for p in self.points}

    def table(self) -> str:
        """A text table of the measured points.

        Columns have fixed widths and measured numbers keep fixed forms ("12.34 ms",
        "billed 13 ms", "≈ $1.93"), so a notebook's sanitiser can mask them line by line.
        """
        header = f"{'Memory':>9}  {'vCPUs':>5}  {'Duration':>12}  {'Billed':>14}  Cost per 1M"
        lines = [header, "-" * len(header)]
        for p in self.points:
            lines.append(
                f"{p.memory_mb:>6,} MB  {p.vcpus:>5.2f}  {p.duration_ms:>9.2f} ms  "
                f"{'billed ' + str(p.billed_ms) + ' ms':>14}  ≈ ${p.cost.total_usd * 1e6:.2f}"
            )
        return "\n".join(lines)


@dataclass(frozen=True)
class PowerEstimate:
    """Duration and cost of one invocation at one memory size, and how they were obtained."""

    memory_mb: int
    vcpus: float
    duration_ms: float
    billed_ms: int
    cost: Cost
    #: "measured", "interpolated" (between two measured sizes) or "model" (CPU-share model).
    method: str
    #: The measured sizes the estimate comes from.
    basis: tuple[int, ...]

    @property
    def cost_per_million_usd(self) -> float:
        return self.cost.total_usd * 1e6

    @property
    def text(self) -> str:
        if self.method == "measured":
            how = f"measured at {self.memory_mb:,} MB"
        elif self.method == "interpolated":
            how = "interpolated between the measured {:,} MB and {:,} MB".format(*self.basis)
        else:
            how = f"extrapolated from {self.basis[0]:,} MB with the CPU-share model"
        return (
            f"{self.memory_mb:,} MB → {self.vcpus:.2f} vCPU · {self.duration_ms:.2f} ms "
            f"(billed {self.billed_ms} ms) · ≈ ${self.cost.total_usd:.10f} per invocation "
            f"= ≈ ${self.cost_per_million_usd:.2f} per 1M invocations ({how})"
        )

    def __str__(self) -> str:
        return self.text


def _model_speed(memory_mb: float, threads: int) -> float:
    """Relative speed under the CPU-share model: vCPUs, but no more than the threads can use."""
    return min(limits.vcpus_for_memory(memory_mb), float(threads))


def _duration_at(curve: PowerCurve, memory_mb: float) -> tuple[float, str, tuple[int, ...]]:
    points = curve.points
    for p in points:
        if p.memory_mb == memory_mb:
            return p.duration_ms, "measured", (p.memory_mb,)
    if memory_mb < points[0].memory_mb or memory_mb > points[-1].memory_mb:
        edge = points[0] if memory_mb < points[0].memory_mb else points[-1]
        scale = _model_speed(edge.memory_mb, curve.threads) / _model_speed(memory_mb, curve.threads)
        return edge.duration_ms * scale, "model", (edge.memory_mb,)
    for lo, hi in zip(points, points[1:], strict=False):
        if lo.memory_mb < memory_mb < hi.memory_mb:
            # Linear in log(memory)-log(duration): exact for duration ∝ 1/memory (the CPU-share
            # model below one vCPU) and for a flat curve (past what the threads can use).
            t = (math.log(memory_mb) - math.log(lo.memory_mb)) / (
                math.log(hi.memory_mb) - math.log(lo.memory_mb)
            )
            log_d = (1 - t) * math.log(lo.duration_ms) + t * math.log(hi.duration_ms)
            return math.exp(log_d), "interpolated", (lo.memory_mb, hi.memory_mb)
    raise AssertionError("unreachable")  # pragma: no cover


def power_summary(curve: PowerCurve, memory_mb: int) -> PowerEstimate:
    """Duration and cost per invocation at ``memory_mb`` from the measured ``curve``.

    At a measured size it is the measurement; between two measured sizes it interpolates (linear
    in log-memory/log-duration); outside them it scales the nearest measurement by the CPU-share
    model (speed ∝ vCPUs, capped at the workload's threads). Pure and fast: no emulator.

    Raises:
        ValueError: ``memory_mb`` outside 128–10,240 MB.
    """
    memory = _check_memory(memory_mb)
    duration, method, basis = _duration_at(curve, memory)
    billed, cost = _cost(duration, memory)
    return PowerEstimate(memory, vcpu_share(memory), duration, billed, cost, method, basis)


def _grid(n: int = 120) -> list[int]:
    lo, hi = math.log(limits.MEMORY_MIN_MB), math.log(limits.MEMORY_MAX_MB)
    return sorted({round(math.exp(lo + (hi - lo) * i / (n - 1))) for i in range(n)})


def power_figure(curve: PowerCurve, memory_mb: int, *, width: float = 9.0, height: float = 3.4):
    """The power-tuning figure: duration (left) and cost per 1M invocations (right) by memory.

    Dots are measured; the line interpolates between them; the orange marker is ``memory_mb``.
    Returns a :class:`matplotlib.figure.Figure` built without pyplot (no global state).
    """
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, LogLocator, NullLocator

    estimate = power_summary(curve, memory_mb)
    grid = _grid()
    estimates = [power_summary(curve, m) for m in grid]
    # Fixed margins, no minor ticks: constrained layout and minor tick labels triple the time.
    fig = Figure(figsize=(width, height), dpi=80)
    fig.subplots_adjust(left=0.07, right=0.98, bottom=0.17, top=0.9, wspace=0.22)
    left, right = fig.subplots(1, 2)
    panels = (
        (left, "Duration per invocation (ms)", lambda e: e.duration_ms, lambda p: p.duration_ms),
        (
            right,
            "Cost per 1M invocations (USD)",
            lambda e: e.cost_per_million_usd,
            lambda p: p.cost.total_usd * 1e6,
        ),
    )
    movers = []
    for ax, title, of_estimate, of_point in panels:
        ax.plot(grid, [of_estimate(e) for e in estimates], color="tab:blue", lw=1.5)
        ax.plot(
            curve.memories,
            [of_point(p) for p in curve.points],
            "o",
            color="tab:blue",
            label="measured",
        )
        ax.axvline(limits.MB_PER_VCPU, color="grey", ls=":", lw=1)
        line = ax.axvline(estimate.memory_mb, color="tab:orange", lw=1)
        (dot,) = ax.plot(
            [estimate.memory_mb],
            [of_estimate(estimate)],
            "o",
            color="tab:orange",
            ms=9,
            label="slider",
        )
        movers.append((line, dot, of_estimate))
        ax.set_xscale("log")
        ax.set_xlim(limits.MEMORY_MIN_MB * 0.9, limits.MEMORY_MAX_MB * 1.1)
        ax.set_xticks([128, 512, 1769, 10240])
        ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _pos: f"{x:,.0f}"))
        ax.xaxis.set_minor_locator(NullLocator())
        ax.set_xlabel("Memory (MB); dotted: 1,769 MB = 1 vCPU")
        ax.set_title(title, fontsize=10)
        ax.grid(True, which="major", alpha=0.3)
    left.set_yscale("log")
    left.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
    left.yaxis.set_minor_locator(NullLocator())
    left.yaxis.set_major_formatter(FuncFormatter(lambda y, _pos: f"{y:,.0f}"))
    right.set_ylim(bottom=0)
    left.legend(fontsize=8, loc="upper right")
    fig._lambda_lab_power = {"curve": curve, "movers": movers}  # what marker_png() moves
    return fig


def marker_png(fig: Any, memory_mb: int) -> tuple[PowerEstimate, bytes]:
    """Move the orange marker of a :func:`power_figure` figure to ``memory_mb`` and render it.

    What the memory slider does on each change. The curves, axes and labels (most of the
    drawing time) are rendered once and kept as a background; a change only draws the marker
    over it and encodes the PNG. Returns the estimate at ``memory_mb`` and the PNG bytes.

    Raises:
        ValueError: ``fig`` was not made by :func:`power_figure`, or memory out of range.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from PIL import Image

    state = getattr(fig, "_lambda_lab_power", None)
    if state is None:
        raise ValueError("marker_png needs a figure made by power_figure")
    estimate = power_summary(state["curve"], memory_mb)
    movers = state["movers"]
    if "background" not in state:
        canvas = FigureCanvasAgg(fig)
        for line, dot, _ in movers:
            line.set_visible(False)
            dot.set_visible(False)
        canvas.draw()
        state["background"] = canvas.copy_from_bbox(fig.bbox)
        for line, dot, _ in movers:
            line.set_visible(True)
            dot.set_visible(True)
    canvas = fig.canvas
    canvas.restore_region(state["background"])
    for line, dot, of_estimate in movers:
        line.set_xdata([estimate.memory_mb, estimate.memory_mb])
        dot.set_data([estimate.memory_mb], [of_estimate(estimate)])
        line.axes.draw_artist(line)
        dot.axes.draw_artist(dot)
    buffer = canvas.buffer_rgba()
    size = (buffer.shape[1], buffer.shape[0])
    image = Image.frombuffer("RGBA", size, buffer, "raw", "RGBA", 0, 1)
    out = io.BytesIO()
    image.save(out, format="png", compress_level=1)
    return estimate, out.getvalue()


def measure_power_curve(
    memories: Iterable[int] = DEFAULT_MEMORIES,
    work: int = DEFAULT_WORK,
    *,
    repeats: int = 2,
    name: str = "power-tuning",
) -> PowerCurve:
    """Run :data:`CPU_BOUND_HANDLER` for real at each memory size; return the measured curve.

    Each size gets a fresh deployment (as on Lambda, a configuration change means new
    environments) and ``repeats`` invocations; a point's duration is their median. The function
    is deleted afterwards. Takes about ``repeats`` × 1 s at 128 MB with the default work.

    Raises:
        ValueError: a memory size outside 128–10,240 MB, or ``repeats`` < 1.
    """
    import lambda_lab as ll

    sizes = sorted({_check_memory(m) for m in memories})
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    fn = ll.deploy(CPU_BOUND_HANDLER, name=name, memory=sizes[0], timeout=60)
    points = []
    try:
        for memory in sizes:
            fn.configure(memory=memory)
            samples = []
            for _ in range(repeats):
                result = fn.invoke({"n": work})
                if not result.ok:
                    raise RuntimeError(f"the CPU-bound handler failed: {result.raw_payload!r}")
                samples.append(result.duration_ms)
            points.append(PowerPoint(memory, tuple(samples)))
    finally:
        fn.delete()
    return PowerCurve(tuple(points), f"CPU-bound loop, n={work:,}", threads=1)


@dataclass(frozen=True)
class TimeoutDemo:
    """What happened when a handler that sleeps ``sleep_s`` ran under ``timeout_s``."""

    timeout_s: int
    sleep_s: float
    timed_out: bool
    payload: Any
    report: str
    #: The error's type when the invocation failed (``Sandbox.Timedout`` for a timeout).
    error_type: str | None = None

    @property
    def text(self) -> str:
        head = f"Timeout {self.timeout_s} s, handler sleeps {self.sleep_s} s → "
        if self.timed_out:
            message = str(self.payload.get("errorMessage", "")).split("Error: ")[-1]
            head += f"❌ {self.error_type}: {message}"
        elif self.error_type:
            head += f"❌ {self.error_type}: {self.payload.get('errorMessage')}"
        else:
            head += f"✅ returned {self.payload!r}"
        return f"{head}\n{self.report}"

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def timeout_demo(
    timeout_s: int, sleep_s: float = 1.5, *, name: str = "timeout-demo"
) -> TimeoutDemo:
    """Really invoke :data:`SLEEPY_HANDLER` (sleeping ``sleep_s``) with ``timeout_s``.

    Takes min(``sleep_s``, ``timeout_s``) seconds of wall time. The function is deleted after.

    Raises:
        ValueError: ``timeout_s`` outside 1–900 s (Lambda's own error would say the same).
    """
    import lambda_lab as ll

    if isinstance(timeout_s, bool) or not isinstance(timeout_s, int):
        raise TypeError("timeout_s must be a whole number of seconds (Lambda uses 1 s steps)")
    if not limits.TIMEOUT_MIN_S <= timeout_s <= limits.TIMEOUT_MAX_S:
        raise ValueError(
            f"timeout_s must be between {limits.TIMEOUT_MIN_S} and {limits.TIMEOUT_MAX_S} s"
        )
    fn = ll.deploy(SLEEPY_HANDLER, name=name, timeout=timeout_s)
    try:
        result = fn.invoke({"seconds": sleep_s})
    finally:
        fn.delete()
    timed_out = result.error_type == "Sandbox.Timedout"
    return TimeoutDemo(
        timeout_s, sleep_s, timed_out, result.payload, result.report, result.error_type
    )
