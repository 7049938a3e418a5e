"""Workload generators' statistics, and determinism for a seed."""

from __future__ import annotations

import math

import numpy as np
import pytest

from lambda_lab.simulation import (
    Burst,
    ConstantRate,
    CpuBound,
    Daily,
    Exponential,
    FunctionModel,
    Invoke,
    LogNormal,
    Poisson,
    Ramp,
    SqsQueue,
    simulate,
)


def rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_poisson_count_and_gaps() -> None:
    """Poisson(200/s, 500 s): 100,000 arrivals expected, sd 316, so within +-1,600 (5 sd);
    gaps exponential with mean 5 ms and coefficient of variation 1 (within 2%)."""
    t = Poisson(200, 500).times(rng())
    assert abs(len(t) - 100_000) < 1_600
    gaps = np.diff(t)
    assert gaps.mean() == pytest.approx(0.005, rel=0.02)
    assert gaps.std() / gaps.mean() == pytest.approx(1.0, rel=0.02)
    assert (gaps >= 0).all() and t.min() >= 0 and t.max() < 500


def test_constant_rate_is_evenly_spaced() -> None:
    t = ConstantRate(4, 10, start_s=2).times(rng())
    assert len(t) == 40 and t[0] == 2.0 and np.allclose(np.diff(t), 0.25)


def test_burst_at_once_and_spread() -> None:
    assert (Burst(100, at_s=3.0).times(rng()) == 3.0).all()
    t = Burst(10_000, at_s=5.0, over_s=10.0).times(rng())
    assert len(t) == 10_000 and 5.0 <= t.min() and t.max() < 15.0
    assert np.histogram(t, bins=10)[0].min() > 850  # uniform: 1,000 per second +- 5 sd


def test_ramp_rate_grows_linearly() -> None:
    """Ramp 0 -> 100/s over 100 s: 5,000 expected; the second half holds 3/4 of them."""
    r = Ramp(0, 100, 100)
    t = r.times(rng())
    assert r.expected_count() == 5000 and abs(len(t) - 5000) < 400
    assert (t >= 50).mean() == pytest.approx(0.75, abs=0.03)
    counts = np.histogram(t, bins=10, range=(0, 100))[0]
    assert np.corrcoef(counts, np.arange(10))[0, 1] > 0.95


def test_daily_pattern_peaks_in_the_afternoon() -> None:
    """Daily(10/s peak at 14:00, 2/s trough): mean rate 6/s, 518,400 a day (+-1%); the
    14:00 hour is busier than the 02:00 hour by about 10:2."""
    d = Daily(10, 2)
    t = d.times(rng())
    assert d.expected_count() == pytest.approx(6 * 86_400)
    assert len(t) == pytest.approx(6 * 86_400, rel=0.01)
    hours = np.histogram(t, bins=24, range=(0, 86_400))[0]
    assert hours.argmax() in (13, 14) and hours.argmin() in (1, 2)
    assert hours[14] / hours[2] == pytest.approx(d.rate_at(14.5 * 3600) / d.rate_at(2.5 * 3600),
                                                 rel=0.1)


def test_duration_distributions() -> None:
    g = rng()
    assert Exponential(0.2).sample(g, 100_000, 128).mean() == pytest.approx(0.2, rel=0.02)
    ln = LogNormal(0.1, 0.5)
    x = ln.sample(g, 100_000, 128)
    assert np.median(x) == pytest.approx(0.1, rel=0.02)
    assert x.mean() == pytest.approx(ln.mean(128), rel=0.02)


def test_cpu_bound_follows_the_cpu_share_rule() -> None:
    """1 s of one-thread work at one full vCPU (1,769 MB): 128 MB gets 128/1,769 of a vCPU,
    so 13.82 s; 3,538 MB is 2 vCPUs, but one thread still takes 1 s; two threads take 0.5 s."""
    one = CpuBound(1.0)
    assert one.mean(1769) == pytest.approx(1.0)
    assert one.mean(128) == pytest.approx(1769 / 128)
    assert one.mean(3538) == pytest.approx(1.0)
    assert CpuBound(1.0, threads=2).mean(3538) == pytest.approx(0.5)
    r = simulate(FunctionModel("f", duration=CpuBound(0.1), memory_mb=1769, init=0.0),
                 Invoke("f", Burst(1)))
    assert r.duration.tolist() == [pytest.approx(0.1)]


def _run(seed: int):
    fn = FunctionModel("f", duration=LogNormal(0.1, 0.6), error_rate=0.05, reserved=50)
    return simulate(fn, [Invoke("f", Poisson(300, 60)), Invoke("f", Poisson(20, 60), True),
                         SqsQueue("f", messages=500, rate=5, duration_s=30)], seed=seed)


def test_same_seed_same_result() -> None:
    a, b = _run(3), _run(3)
    for name in ("start", "end", "init", "duration", "outcome", "start_type", "source",
                 "throttle_time", "async_ended", "async_outcome"):
        assert np.array_equal(getattr(a, name), getattr(b, name)), name
    assert np.array_equal(a.queues["queue"]["backlog"], b.queues["queue"]["backlog"])
    assert a.summary() == b.summary()


def test_another_seed_another_result() -> None:
    a, b = _run(3), _run(4)
    assert not np.array_equal(a.start, b.start)
    assert math.isclose(a.invocations, b.invocations, rel_tol=0.1)
