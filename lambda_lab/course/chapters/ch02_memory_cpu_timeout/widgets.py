"""Slider widgets for the notebooks. They only wire ipywidgets to the pure functions in
:mod:`.power` and :mod:`.timeout_model` (beside them, in chapter 02's folder); everything they
show is computed there and tested there.

Conventions (course-conventions.md): ``continuous_update=False``, a fixed output height so the
page does not jump, matplotlib figures. One deliberate difference from ``interactive_output``:
a change re-renders by *setting* the Output widget's ``outputs`` (PNG or text) instead of
displaying inside ``with output:``. That works without a kernel (tests set ``slider.value`` and
read ``output.outputs``), and nothing a callback shows can leak into the cell's own output,
which nbval compares. Each UI's plain-text form is fixed, so a notebook's stored output is too.

ipywidgets and matplotlib are imported only when a UI is built.
"""

from __future__ import annotations

import base64
import html
import time
from dataclasses import dataclass, field
from typing import Any

from lambda_lab import limits
from lambda_lab.course.chapters.ch02_memory_cpu_timeout.power import (
    PowerCurve,
    marker_png,
    power_figure,
    timeout_demo,
)
from lambda_lab.course.chapters.ch02_memory_cpu_timeout.timeout_model import (
    TIMEOUT_CHOICES,
    TimeoutModel,
    check_timeout,
    timeout_figure,
    timeout_marker_png,
)

__all__ = [
    "SliderUI",
    "memory_slider_ui",
    "slider_redraw_timings",
    "synthetic_curve",
    "timeout_model_redraw_timings",
    "timeout_model_slider_ui",
    "timeout_slider_ui",
]

FIGURE_HEIGHT = "300px"  # power_figure's 3.4 in at 80 dpi is 272 px
TEXT_HEIGHT = "6em"
#: The timeout model's summary: four lines of fixed-width text that wrap on a narrow page.
SUMMARY_STYLE = "margin: 0; white-space: pre-wrap; font-size: 12px; line-height: 1.35"


def _png_output(png: bytes, alt: str) -> dict[str, Any]:
    return {
        "output_type": "display_data",
        "data": {"image/png": base64.b64encode(png).decode("ascii"), "text/plain": alt},
        "metadata": {},
    }


def _text_output(text: str) -> dict[str, Any]:
    return {"output_type": "stream", "name": "stdout", "text": text.rstrip("\n") + "\n"}


@dataclass
class SliderUI:
    """A slider, what it drives, and the box that displays them.

    :meth:`update` redraws for the slider's current value (called on every change).
    """

    title: str
    slider: Any
    output: Any
    summary: Any
    box: Any
    redraw: Any = field(repr=False)
    #: Seconds the last redraw took (recompute + render).
    last_redraw_s: float = 0.0

    def update(self, *_: Any) -> None:
        start = time.perf_counter()
        try:
            self.redraw(self)
        except Exception as exc:  # an exception in a callback would vanish into the kernel log
            self.output.outputs = (_text_output(f"Something went wrong: {exc!r}"),)
        self.last_redraw_s = time.perf_counter() - start

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.box._repr_mimebundle_(**kwargs))
        bundle["text/plain"] = f"{self.title} (a widget: run this notebook in JupyterLab to use it)"
        return bundle


def memory_slider_ui(curve: PowerCurve, value: int = limits.MB_PER_VCPU) -> SliderUI:
    """A memory slider (128–10,240 MB, 1 MB steps) over :func:`power_summary`/:func:`power_figure`.

    The figure and the summary line come from the measured ``curve``; between measured sizes
    they are interpolated.
    """
    import ipywidgets as widgets

    slider = widgets.IntSlider(
        value=value,
        min=limits.MEMORY_MIN_MB,
        max=limits.MEMORY_MAX_MB,
        step=1,
        description="Memory (MB)",
        continuous_update=False,
        style={"description_width": "initial"},
        layout=widgets.Layout(width="95%"),
    )
    summary = widgets.HTML(layout=widgets.Layout(height="4.5em"))  # two lines of summary
    output = widgets.Output(layout=widgets.Layout(height=FIGURE_HEIGHT))

    fig = power_figure(curve, value)

    def redraw(ui: SliderUI) -> None:
        memory = ui.slider.value
        estimate, png = marker_png(fig, memory)
        ui.summary.value = f"<code>{html.escape(estimate.text)}</code>"
        ui.output.outputs = (_png_output(png, f"power curve at {memory} MB"),)

    box = widgets.VBox([slider, summary, output])
    ui = SliderUI(
        "Memory slider: vCPU share, duration and cost", slider, output, summary, box, redraw
    )
    slider.observe(ui.update, names="value")
    ui.update()
    return ui


def timeout_slider_ui(sleep_s: float = 1.5) -> SliderUI:
    """A timeout slider (1–3 s) and an Invoke button that run :func:`timeout_demo` for real.

    Every change invokes a handler that sleeps ``sleep_s``, so it takes up to 3 s; nothing runs
    until the learner moves the slider or presses the button.
    """
    import ipywidgets as widgets

    slider = widgets.IntSlider(
        value=limits.TIMEOUT_DEFAULT_S,
        min=limits.TIMEOUT_MIN_S,
        max=3,
        step=1,
        description="Timeout (s)",
        continuous_update=False,
    )
    button = widgets.Button(description="Invoke", button_style="primary")
    summary = widgets.HTML(
        value=f"Each change invokes a handler that sleeps {sleep_s} s, for real."
    )
    output = widgets.Output(layout=widgets.Layout(height=TEXT_HEIGHT, overflow="auto"))
    output.outputs = (_text_output("Move the slider or press Invoke."),)

    def redraw(ui: SliderUI) -> None:
        ui.output.outputs = (_text_output(f"Invoking with timeout {ui.slider.value} s …"),)
        ui.output.outputs = (_text_output(str(timeout_demo(ui.slider.value, sleep_s))),)

    box = widgets.VBox([widgets.HBox([slider, button]), summary, output])
    ui = SliderUI(
        "Timeout slider: a real invocation under a 1-3 s timeout",
        slider,
        output,
        summary,
        box,
        redraw,
    )
    slider.observe(ui.update, names="value")
    button.on_click(ui.update)
    return ui


def timeout_model_slider_ui(
    model: TimeoutModel | None = None, value: int = limits.TIMEOUT_DEFAULT_S
) -> SliderUI:
    """A timeout slider over Lambda's whole range (1–900 s) driven by a model, not by invocations.

    Each change recomputes :meth:`TimeoutModel.outcome` (timed-out share, billed cost per 1M,
    asynchronous retries) and moves the marker of :func:`timeout_figure`. The slider stops at
    every second up to 30 s and at coarser steps up to 900 s (:data:`TIMEOUT_CHOICES`).
    """
    import ipywidgets as widgets

    model = model or TimeoutModel()
    value = check_timeout(value)
    choices = sorted({*TIMEOUT_CHOICES, value})  # a value between the stops becomes a stop
    slider = widgets.SelectionSlider(
        options=choices,
        value=value,
        description="Timeout (s)",
        continuous_update=False,
        style={"description_width": "initial"},
        layout=widgets.Layout(width="95%"),
    )
    summary = widgets.HTML(layout=widgets.Layout(height="8em"))  # four lines, up to two wrap
    output = widgets.Output(layout=widgets.Layout(height=FIGURE_HEIGHT))
    fig = timeout_figure(model, value)

    def redraw(ui: SliderUI) -> None:
        timeout = ui.slider.value
        outcome, png = timeout_marker_png(fig, timeout)
        ui.summary.value = f"<pre style='{SUMMARY_STYLE}'>{html.escape(outcome.text)}</pre>"
        ui.output.outputs = (_png_output(png, f"durations and a {timeout} s timeout"),)

    box = widgets.VBox([slider, summary, output])
    ui = SliderUI(
        "Timeout model slider: timed-out share, cost and retries for 1-900 s",
        slider,
        output,
        summary,
        box,
        redraw,
    )
    slider.observe(ui.update, names="value")
    ui.update()
    return ui


def timeout_model_redraw_timings(n: int = 20, model: TimeoutModel | None = None) -> list[float]:
    """Seconds each of ``n`` redraws of :func:`timeout_model_slider_ui` takes, over stops spread
    across 1–900 s (as :func:`slider_redraw_timings` does for the memory slider)."""
    ui = timeout_model_slider_ui(model)
    stops = ui.slider.options
    values = [stops[(len(stops) - 1) * i // max(n - 1, 1)] for i in range(n)]
    timings = []
    for timeout in values:
        if timeout == ui.slider.value:
            ui.update()
        else:
            ui.slider.value = timeout  # the observer redraws, as in the notebook
        timings.append(ui.last_redraw_s)
    return timings


def synthetic_curve(base_ms: float = 60.0) -> PowerCurve:
    """A curve from the CPU-share model alone (one thread, ``base_ms`` at one vCPU): no emulator.

    For benchmarks and tests of the redraw, which must not depend on a measurement.
    """
    from lambda_lab.course.chapters.ch02_memory_cpu_timeout.power import DEFAULT_MEMORIES

    return PowerCurve.from_durations(
        {m: base_ms * limits.MB_PER_VCPU / min(m, limits.MB_PER_VCPU) for m in DEFAULT_MEMORIES},
        workload="CPU-share model",
    )


def slider_redraw_timings(n: int = 20, curve: PowerCurve | None = None) -> list[float]:
    """Seconds each of ``n`` memory-slider redraws takes, exactly as :func:`memory_slider_ui`
    redraws: recompute the estimate, move the marker, render the PNG, set the widget outputs.

    This is what a learner waits for after releasing the slider (the issue's budget: ≤ 100 ms).
    Uses :func:`synthetic_curve` unless a measured ``curve`` is given. Needs ipywidgets and
    matplotlib but no kernel. Building the figure once, when the UI is built, is not counted.
    """
    ui = memory_slider_ui(curve or synthetic_curve())
    lo, hi = limits.MEMORY_MIN_MB, limits.MEMORY_MAX_MB
    values = [lo + (hi - lo) * i // max(n - 1, 1) for i in range(n)]
    timings = []
    for memory in values:
        if memory == ui.slider.value:
            ui.update()
        else:
            ui.slider.value = memory  # the observer redraws, as in the notebook
        timings.append(ui.last_redraw_s)
    return timings
