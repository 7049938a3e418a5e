"""Helpers of notebooks/04-concurrency: the throttle slider's pure function (Erlang B, ≤ 100 ms),
the scaling table, the seeded load experiment and its figure."""

from __future__ import annotations

import time

import pytest

from lambda_lab.course.chapters.ch04_concurrency.helpers import (
    experiment_lines,
    figure_load,
    load_experiment,
    outcome_counts,
    scaling_table,
    throttle_slider_ui,
    throttle_summary,
)


def test_throttle_summary_is_erlang_b():
    assert throttle_summary(0).throttle_probability == 1.0
    assert throttle_summary(20).throttle_probability == pytest.approx(0.27989, abs=1e-4)
    assert throttle_summary(60).throttle_probability < 1e-6
    assert "throttled (429): 28.0%" in throttle_summary(20).text
    with pytest.raises(ValueError):
        throttle_summary(-1)


def test_throttle_slider_recomputes_within_100_ms():
    ui = throttle_slider_ui()
    timings = []
    for value in range(0, 61, 6):
        start = time.perf_counter()
        ui.slider.value = value
        timings.append(time.perf_counter() - start)
    assert max(timings) < 0.1
    assert "limit 60" in ui.output.outputs[0]["text"]


def test_scaling_table_follows_both_rules():
    lines = scaling_table(seconds=20, step=10).splitlines()
    assert lines[1].split() == ["0", "1,000", "3,000"]
    assert lines[2].split()[1] == "2,000"


def test_load_experiment_is_seeded_and_reserved_caps_concurrency():
    a, b = load_experiment(30), load_experiment(30)
    assert (a.invocations, a.throttles) == (b.invocations, b.throttles)
    assert a.peak_concurrency() == 30 and a.throttles > 0
    free = load_experiment(None)
    assert free.throttles == 0 and free.peak_concurrency() > 30
    assert experiment_lines(free, a).splitlines()[1].startswith("reserved 30: ")
    assert len(figure_load(free, a).axes) == 2


def test_outcome_counts_is_sorted_text():
    assert outcome_counts(["200 done", "429 X (R)", "200 done"]) == "2 × 200 done\n1 × 429 X (R)"
