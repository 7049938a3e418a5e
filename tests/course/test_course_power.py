"""The pure functions behind notebook 02: CPU share, the power curve, its figure, the timeout demo.

No kernel, no browser: matplotlib draws with Agg and widgets are driven by setting ``.value``.
"""

from __future__ import annotations

import base64
import math

import matplotlib
import pytest

from lambda_lab.billing import invocation_cost
from lambda_lab.course.chapters.ch02_memory_cpu_timeout import power, widgets
from lambda_lab.course.chapters.ch02_memory_cpu_timeout.power import (
    PowerCurve,
    power_summary,
    vcpu_share,
)

matplotlib.use("Agg")


@pytest.fixture(autouse=True, scope="module")
def _close_the_shared_clock():
    """Deploying starts the shared clock's background thread; later test modules (test_clock,
    test_aws_cleanup) count such threads, so stop it once this module's functions are gone."""
    yield
    from lambda_lab import clock

    previous = clock.set_default_clock(None)
    if previous is not None:
        previous.close()


CURVE = PowerCurve.from_durations(
    {128: 1000.0, 256: 500.0, 1769: 72.4, 10240: 72.4}, workload="test"
)


# --- vcpu_share ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "memory, vcpus",
    [(128, 128 / 1769), (1769, 1.0), (3538, 2.0), (10240, 10240 / 1769)],
)
def test_vcpu_share_is_memory_over_1769_mb(memory, vcpus):
    assert vcpu_share(memory) == pytest.approx(vcpus)


def test_vcpu_share_reaches_one_at_1769_not_the_2020_figure():
    assert vcpu_share(1769) == 1.0
    assert vcpu_share(1792) > 1.0  # the 2020 notes' 1,792 MB is past one vCPU today


@pytest.mark.parametrize("memory", [127, 10241, 0])
def test_vcpu_share_rejects_memory_outside_lambdas_range(memory):
    with pytest.raises(ValueError, match="between 128 and 10240"):
        vcpu_share(memory)


def test_vcpu_share_rejects_non_numbers():
    with pytest.raises(TypeError):
        vcpu_share("1769")


# --- PowerCurve and power_summary -----------------------------------------------------------------


def test_a_curve_is_sorted_and_has_one_point_per_size():
    curve = PowerCurve.from_durations({512: 10.0, 128: [40.0, 42.0, 41.0]})
    assert curve.memories == (128, 512)
    assert curve.points[0].duration_ms == 41.0  # the median of the samples
    with pytest.raises(ValueError):
        PowerCurve(())
    with pytest.raises(ValueError, match="one point per memory size"):
        PowerCurve((curve.points[0], curve.points[0]))


def test_summary_at_a_measured_size_is_the_measurement_and_billing_cost():
    estimate = power_summary(CURVE, 256)
    assert (estimate.method, estimate.basis) == ("measured", (256,))
    assert (estimate.duration_ms, estimate.billed_ms) == (500.0, 500)
    assert estimate.cost == invocation_cost(500, 256)
    assert estimate.text.endswith("(measured at 256 MB)")


def test_summary_interpolates_between_measured_sizes_in_log_log():
    estimate = power_summary(CURVE, 181)  # about the geometric mean of 128 and 256
    assert estimate.method == "interpolated" and estimate.basis == (128, 256)
    assert estimate.duration_ms == pytest.approx(1000 * 128 / 181, rel=1e-9)
    assert "interpolated between the measured 128 MB and 256 MB" in estimate.text


def test_summary_is_flat_between_points_past_one_vcpu():
    assert power_summary(CURVE, 5000).duration_ms == pytest.approx(72.4)


def test_summary_extrapolates_outside_the_measured_sizes_with_the_cpu_share_model():
    curve = PowerCurve.from_durations({512: 100.0, 1024: 50.0})
    low, high = power_summary(curve, 128), power_summary(curve, 4096)
    assert (low.method, low.duration_ms) == ("model", pytest.approx(400.0))
    assert high.duration_ms == pytest.approx(50.0 * 1024 / 1769)  # one thread: capped at 1 vCPU
    assert "extrapolated from 1,024 MB with the CPU-share model" in high.text


def test_summary_cost_rounds_the_duration_up_to_whole_ms():
    curve = PowerCurve.from_durations({128: 8.01})
    assert power_summary(curve, 128).billed_ms == 9


def test_the_table_lists_every_point():
    lines = CURVE.table().splitlines()
    assert len(lines) == 2 + len(CURVE.points)  # a header and a rule
    assert "1,769 MB" in lines[4] and "72.40 ms" in lines[4] and "billed 73 ms" in lines[4]


# --- figures --------------------------------------------------------------------------------------


def test_power_figure_has_two_panels_and_renders_png():
    fig = power.power_figure(CURVE, 700)
    assert len(fig.axes) == 2
    assert power.figure_png(fig).startswith(b"\x89PNG")


def test_marker_png_moves_the_marker_and_matches_power_summary():
    fig = power.power_figure(CURVE, 700)
    estimate, png = power.marker_png(fig, 3000)
    assert estimate == power_summary(CURVE, 3000)
    assert png.startswith(b"\x89PNG")
    line, dot, _ = fig._lambda_lab_power["movers"][0]
    assert list(line.get_xdata()) == [3000, 3000]
    assert list(dot.get_ydata()) == [pytest.approx(estimate.duration_ms)]
    with pytest.raises(ValueError, match="power_figure"):
        power.marker_png(object(), 128)


def test_figure_image_has_a_fixed_text_form():
    image = power.figure_image(power.power_figure(CURVE, 128))
    assert repr(image) == "<IPython.core.display.Image object>"


# --- widgets --------------------------------------------------------------------------------------


def test_memory_slider_follows_its_value_without_a_kernel():
    ui = widgets.memory_slider_ui(CURVE)
    assert ui.slider.continuous_update is False
    assert (ui.slider.min, ui.slider.max, ui.slider.step) == (128, 10240, 1)
    assert ui.output.layout.height == widgets.FIGURE_HEIGHT  # fixed: the page does not jump
    ui.slider.value = 181
    assert power_summary(CURVE, 181).text in ui.summary.value.replace("&gt;", ">")
    (shown,) = ui.output.outputs
    assert base64.b64decode(shown["data"]["image/png"]).startswith(b"\x89PNG")


def test_slider_uis_have_a_fixed_text_form_for_nbval():
    bundle = widgets.memory_slider_ui(CURVE)._repr_mimebundle_()
    assert bundle["text/plain"].startswith("Memory slider: vCPU share, duration and cost")
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_slider_redraw_timings_returns_one_timing_per_redraw():
    timings = widgets.slider_redraw_timings(4)
    assert len(timings) == 4 and all(t > 0 for t in timings)


def test_synthetic_curve_follows_the_cpu_share_model():
    curve = widgets.synthetic_curve(60.0)
    assert power_summary(curve, 128).duration_ms == pytest.approx(60.0 * 1769 / 128)
    assert power_summary(curve, 10240).duration_ms == pytest.approx(60.0)


# --- running for real -----------------------------------------------------------------------------


def test_measure_power_curve_runs_the_handler_at_each_size():
    # enough work (about half a second at 128 MB) for the CPU throttle to act in every run
    curve = power.measure_power_curve((1769, 128), work=500_000, repeats=1)
    assert curve.memories == (128, 1769)
    assert all(len(p.samples_ms) == 1 for p in curve.points)
    slow, fast = (p.duration_ms for p in curve.points)
    assert slow > 3 * fast  # 128 MB gets about 1/14 of a vCPU
    import lambda_lab as ll

    assert "power-tuning" not in [f.name for f in ll.list_functions()]


def test_measure_power_curve_rejects_bad_arguments():
    with pytest.raises(ValueError):
        power.measure_power_curve((64,))
    with pytest.raises(ValueError):
        power.measure_power_curve((128,), repeats=0)


def test_timeout_demo_times_out_below_the_sleep_and_returns_above_it():
    short = power.timeout_demo(1, sleep_s=1.5)
    assert short.timed_out and short.error_type == "Sandbox.Timedout"
    assert "Task timed out after 1.00 seconds" in short.text
    assert short.report.startswith("REPORT RequestId: ")
    assert "Billed Duration:" in short.text
    ok = power.timeout_demo(1, sleep_s=0.1)
    assert not ok.timed_out and ok.payload == "slept 0.1 s"
    assert ok.text.startswith("Timeout 1 s, handler sleeps 0.1 s → ✅ returned 'slept 0.1 s'")


@pytest.mark.parametrize("timeout, error", [(0, ValueError), (901, ValueError), (1.5, TypeError)])
def test_timeout_demo_rejects_timeouts_lambda_rejects(timeout, error):
    with pytest.raises(error):
        power.timeout_demo(timeout)


def test_timeout_slider_runs_the_demo_when_moved(monkeypatch):
    calls = []
    monkeypatch.setattr(
        widgets, "timeout_demo", lambda t, s: calls.append((t, s)) or f"ran with {t} s"
    )
    ui = widgets.timeout_slider_ui()
    assert calls == []  # nothing runs until the learner asks
    assert ui.slider.continuous_update is False
    ui.slider.value = 1
    assert calls == [(1, 1.5)]
    assert ui.output.outputs[0]["text"] == "ran with 1 s\n"
    assert math.isfinite(ui.last_redraw_s)
