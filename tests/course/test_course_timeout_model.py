"""The timeout model behind notebook 02's 1–900 s slider: timeouts, billed cost, async retries.

AWS facts used (lambda-facts.md, checked 2026-11-26): timeout 1–900 s in 1 s steps, default 3 s
(DG configuration-timeout); duration billed per 1 ms, rounded up; us-east-1 x86 $0.20 per 1M
requests and $0.0000166667 per GB-s; async retries default 2, configurable 0–2, and "function
errors include ... errors returned by the function's runtime, such as timeouts" (DG
invocation-async-error-handling). No kernel, no browser, no emulator.
"""

from __future__ import annotations

import base64
import math
import statistics

import matplotlib
import pytest

from lambda_lab.billing import invocation_cost
from lambda_lab.course.chapters.ch02_memory_cpu_timeout import widgets
from lambda_lab.course.chapters.ch02_memory_cpu_timeout.timeout_model import (
    EXAMPLE_WORKLOAD,
    TIMEOUT_CHOICES,
    TimeoutModel,
    Workload,
    timeout_figure,
    timeout_marker_png,
    timeout_outcome,
)
from lambda_lab.simulation.distributions import LogNormal, Uniform

matplotlib.use("Agg")

GB_S_X86 = 0.0000166667
REQUEST = 0.20 / 1e6


# --- hand-computed cases --------------------------------------------------------------------------


def test_a_fixed_2_s_duration_times_out_under_a_1_s_timeout_and_is_billed_1_s():
    """A timed-out invocation is billed up to the timeout: 1,000 ms at 512 MB."""
    o = timeout_outcome(2.0, 1, memory_mb=512)
    assert o.timed_out_share == 1.0 and o.cut_off_share == 1.0 and o.hung_share == 0.0
    assert o.mean_billed_ms == 1000
    assert o.cost == invocation_cost(1000, 512)
    assert o.cost_per_million_usd == pytest.approx(1e6 * (REQUEST + 0.5 * 1.0 * GB_S_X86))


def test_a_fixed_2_s_duration_finishes_under_a_3_s_timeout_and_is_billed_2_s():
    o = timeout_outcome(2.0, 3, memory_mb=512)
    assert o.timed_out_share == 0.0
    assert o.mean_billed_ms == 2000
    assert o.cost_per_million_usd == pytest.approx(0.20 + 1e6 * 0.5 * 2.0 * GB_S_X86)  # $16.87
    assert o.extra_attempts_per_million == 0 and o.failed_events_per_million == 0
    assert o.async_cost_per_million_usd == pytest.approx(o.cost_per_million_usd)


def test_a_duration_equal_to_the_timeout_finishes():
    assert timeout_outcome(2.0, 2).timed_out_share == 0.0


def test_billed_duration_is_rounded_up_to_the_next_ms_and_at_least_1_ms():
    """Lambda bills per 1 ms, rounding up (REPORT: Duration 15.74 ms, Billed Duration 16 ms)."""
    assert timeout_outcome(0.01574, 3).mean_billed_ms == 16
    assert timeout_outcome(0.0, 3).mean_billed_ms == 1


def test_hung_requests_always_time_out_and_are_billed_the_whole_timeout():
    """10% hang: at 3 s they are 10% timeouts billed 3,000 ms; the rest 2,000 ms."""
    o = timeout_outcome(2.0, 3, hang_share=0.1, memory_mb=1024)
    assert o.timed_out_share == pytest.approx(0.1)
    assert o.cut_off_share == 0.0 and o.hung_share == 0.1
    assert o.mean_billed_ms == pytest.approx(0.9 * 2000 + 0.1 * 3000)
    assert o.cost_per_million_usd == pytest.approx(0.20 + 1e6 * 1.0 * 2.1 * GB_S_X86)
    longer = timeout_outcome(2.0, 900, hang_share=0.1, memory_mb=1024)
    assert longer.timed_out_share == pytest.approx(0.1)  # a longer timeout does not fix a hang
    assert longer.mean_billed_ms == pytest.approx(0.9 * 2000 + 0.1 * 900_000)


def test_async_timeouts_are_retried_twice_by_default():
    """A timeout is a function error: Lambda runs the event up to two more times (default 2).
    With p = 10% timing out, an event takes 1 + 0.1 + 0.01 attempts and fails all three with
    probability 0.001."""
    o = timeout_outcome(2.0, 3, hang_share=0.1)
    assert o.retries == 2
    assert o.attempts_per_event == pytest.approx(1.11)
    assert o.extra_attempts_per_million == pytest.approx(110_000)
    assert o.failed_events_per_million == pytest.approx(1_000)
    assert o.async_cost_per_million_usd == pytest.approx(1.11 * o.cost_per_million_usd)
    assert "+110,000 attempts per 1M events, 1,000 events fail all 3" in o.text


def test_every_attempt_of_an_always_timing_out_event_is_billed():
    o = timeout_outcome(2.0, 1)
    assert o.extra_attempts_per_million == pytest.approx(2_000_000)
    assert o.failed_events_per_million == pytest.approx(1_000_000)
    assert o.async_cost_per_million_usd == pytest.approx(3 * o.cost_per_million_usd)


@pytest.mark.parametrize("retries, attempts", [(0, 1.0), (1, 1.5), (2, 1.75)])
def test_maximum_retry_attempts_0_to_2(retries, attempts):
    """MaximumRetryAttempts is configurable 0–2 (API FunctionEventInvokeConfig)."""
    o = timeout_outcome(2.0, 3, hang_share=0.5, retries=retries)
    assert o.attempts_per_event == pytest.approx(attempts)
    assert o.failed_events_per_million == pytest.approx(0.5 ** (retries + 1) * 1e6)


# --- distributions --------------------------------------------------------------------------------


def test_a_lognormal_is_represented_by_its_exact_quantiles():
    """No randomness: the share over a timeout and the p99 are the log-normal's own."""
    dist = LogNormal(median_s=1.5, sigma=0.6)
    model = TimeoutModel(Workload(dist))
    z = statistics.NormalDist()
    for t in (1, 3, 6, 10):
        expected = 1 - z.cdf(math.log(t / 1.5) / 0.6)
        assert model.outcome(t).timed_out_share == pytest.approx(expected, abs=1e-3)
    assert model.p99_s == pytest.approx(1.5 * math.exp(0.6 * z.inv_cdf(0.99)), rel=5e-3)


def test_other_distributions_are_drawn_with_a_fixed_seed():
    a, b = TimeoutModel(Workload(Uniform(1.0, 3.0))), TimeoutModel(Workload(Uniform(1.0, 3.0)))
    assert a.outcome(2) == b.outcome(2)
    assert a.outcome(2).timed_out_share == pytest.approx(0.5, abs=0.02)
    assert a.outcome(2).mean_billed_ms == pytest.approx(1750, rel=0.01)  # E[min(U(1,3), 2)]


def test_a_longer_timeout_never_means_more_timeouts_or_a_lower_bill():
    curve = TimeoutModel().curve()
    assert [o.timeout_s for o in curve] == list(range(1, 901))
    shares = [o.timed_out_share for o in curve]
    costs = [o.cost_per_million_usd for o in curve]
    assert all(x >= y for x, y in zip(shares, shares[1:], strict=False))
    assert all(x <= y for x, y in zip(costs, costs[1:], strict=False))


def test_the_lesson_a_bit_above_p99_not_the_maximum_and_not_the_default():
    """The example: at the 3 s default >10% of requests fail; a bit above the p99 (~6 s)
    fewer than 1% of normal requests are cut off; at 900 s no fewer requests fail (the hung
    ones still do) but the bill is over three times as high."""
    model = TimeoutModel(EXAMPLE_WORKLOAD)
    default, near, maximum = model.outcome(3), model.outcome(8), model.outcome(900)
    assert 5 < model.p99_s < 8 < 2 * model.p99_s
    assert default.cut_off_share > 0.10 and "below it" in default.verdict
    assert near.cut_off_share < 0.01 and near.verdict.startswith("a bit above it")
    assert maximum.timed_out_share == pytest.approx(EXAMPLE_WORKLOAD.hang_share, abs=1e-4)
    assert maximum.cost_per_million_usd > 3 * near.cost_per_million_usd
    assert "149× it" in maximum.verdict


@pytest.mark.parametrize("timeout, error", [(0, ValueError), (901, ValueError),
                                            (1.5, TypeError), (True, TypeError)])
def test_timeouts_lambda_rejects_are_rejected(timeout, error):
    """Timeout: 1–900 s in 1 s steps."""
    with pytest.raises(error):
        TimeoutModel(Workload(1.0), samples=10).outcome(timeout)


def test_bad_workloads_and_retries_are_rejected():
    with pytest.raises(ValueError):
        Workload(1.0, hang_share=1.0)
    with pytest.raises(ValueError):
        Workload(1.0, memory_mb=64)
    with pytest.raises(ValueError):
        timeout_outcome(1.0, 3, retries=3)
    with pytest.raises(ValueError):
        TimeoutModel(Workload(1.0), samples=0)


# --- figure and widget ----------------------------------------------------------------------------


def test_the_figure_marks_the_timeout_and_the_p99():
    model = TimeoutModel()
    fig = timeout_figure(model, 3)
    assert len(fig.axes) == 3  # durations; timed-out share with its cost twin
    outcome, png = timeout_marker_png(fig, 120)
    assert outcome == model.outcome(120)
    assert png.startswith(b"\x89PNG")
    state = fig._lambda_lab_timeout
    span, line, label = state["movers"][:3]
    assert list(line.get_xdata()) == [120, 120] and span.get_x() == 120
    assert label.get_text() == f"timeout 120 s\n{outcome.timed_out_share:.1%} time out"
    p99_lines = [a for a in fig.axes[0].lines if list(a.get_xdata()) == [model.p99_s] * 2]
    assert p99_lines, "the p99 is marked on the distribution"
    with pytest.raises(ValueError, match="timeout_figure"):
        timeout_marker_png(object(), 3)


def test_the_slider_spans_1_to_900_s_and_stops_at_every_second_up_to_30():
    ui = widgets.timeout_model_slider_ui(TimeoutModel())
    assert ui.slider.continuous_update is False
    assert ui.slider.options[0] == 1 and ui.slider.options[-1] == 900
    assert list(ui.slider.options) == list(TIMEOUT_CHOICES)
    assert set(range(1, 31)) <= set(ui.slider.options)
    assert ui.slider.value == 3  # Lambda's default
    assert ui.output.layout.height == widgets.FIGURE_HEIGHT


def test_the_slider_redraws_the_model_without_a_kernel():
    model = TimeoutModel()
    ui = widgets.timeout_model_slider_ui(model)
    ui.slider.value = 900
    summary = ui.summary.value.replace("&gt;", ">")
    for line in model.outcome(900).lines:
        assert line in summary
    (shown,) = ui.output.outputs
    assert base64.b64decode(shown["data"]["image/png"]).startswith(b"\x89PNG")
    assert shown["data"]["text/plain"] == "durations and a 900 s timeout"


def test_a_start_value_between_the_stops_becomes_a_stop():
    ui = widgets.timeout_model_slider_ui(TimeoutModel(Workload(1.0), samples=100), value=37)
    assert ui.slider.value == 37 and 37 in ui.slider.options
    with pytest.raises(ValueError):
        widgets.timeout_model_slider_ui(value=901)


def test_the_slider_has_a_fixed_text_form_for_nbval():
    bundle = widgets.timeout_model_slider_ui(TimeoutModel())._repr_mimebundle_()
    assert bundle["text/plain"].startswith("Timeout model slider:")
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_redraw_timings_cover_the_slider():
    timings = widgets.timeout_model_redraw_timings(4)
    assert len(timings) == 4 and all(t > 0 for t in timings)
