"""Results as data and figures, costs through billing, analytic shortcuts, speed for sliders."""

from __future__ import annotations

import io
import time

import matplotlib
import numpy as np
import pytest

from lambda_lab import billing
from lambda_lab.simulation import (
    Burst,
    ConstantRate,
    Exponential,
    FunctionModel,
    Invoke,
    LogNormal,
    Poisson,
    SqsQueue,
    StreamShards,
    erlang_b,
    figure_cold_starts,
    figure_concurrency,
    figure_cost,
    figure_latency,
    figure_queue,
    figure_rules,
    figure_throttles,
    quick_estimate,
    scaling_curve,
    simulate,
    sqs_ramp,
)
from lambda_lab.simulation.benchmarks import ratio_model, simpy_model


@pytest.fixture(scope="module")
def pair():
    fn = FunctionModel("api", duration=LogNormal(2.0, 0.3), memory_mb=512, timeout_s=30)
    work = [Invoke("api", Burst(20_000, over_s=5.0)), Invoke("api", Poisson(50, 30), True)]
    return [simulate(fn, work, scaling_rule=rule, account_limit=5000, seed=1)
            for rule in ("2023", "2020")]


def test_series_add_up(pair) -> None:
    r = pair[0]
    t, peak = r.concurrency(1.0)
    assert peak.max() == r.peak_concurrency() <= 5000
    assert r.per_bin(r.start, 1.0)[1].sum() == r.invocations
    assert r.throttle_series(1.0)[1].sum() == r.throttles
    assert r.cold_start_series(1.0)[1].sum() == r.cold_starts
    _, live = r.environments(1.0)
    assert 0 < live.max() <= r.cold_starts
    p = r.latency_percentiles((50, 99))
    assert 0.15 < p[50] < p[99]


def test_concurrency_exact_on_a_small_case() -> None:
    """Requests of 1 s at 0, 0.5 and 2 s (no init): at most 2 at once (0.5-1 s), 1 in 2-3 s."""
    r = simulate(FunctionModel("f", duration=1.0, init=0.0),
                 [Invoke("f", Burst(1, at_s=t)) for t in (0.0, 0.5, 2.0)])
    t, peak = r.concurrency(1.0)
    assert peak.tolist()[:3] == [2, 1, 1]


def test_2020_rules_throttle_more_in_a_burst(pair) -> None:
    """20,000 requests of about 2 s in 5 s need about 9,000 environments (account limit
    5,000). 2023: 1,000 at once then 100/s, so at most 1,000 + 100 x 5 = 1,500 new environments
    in the burst; 2020 (us-east-1): 3,000 at once then 500/min, at most 3,042: the 2023 rule
    throttles more in a short burst, the 2020 rule's bigger burst absorbs more."""
    new, old = pair
    assert new.throttles_by_cause()["scaling"] > old.throttles_by_cause()["scaling"] > 0
    assert new.cold_starts <= 1500 + 30 * 10 and old.cold_starts <= 3042 + 30 * 10 / 60
    burst_new = np.count_nonzero((new.start < 5.0) & (new.start_type == 1))
    burst_old = np.count_nonzero((old.start < 5.0) & (old.start_type == 1))
    assert burst_new <= 1500 and 3000 <= burst_old <= 3042


def test_cost_matches_billing() -> None:
    """100 requests of 0.1 s after a 0.25 s init on one environment, 1,024 MB: billed ms are
    350 + 99 x 100 = 10,250 ms, i.e. 10.25 GB-s; without the free tier, 100 requests cost
    $0.00002 and 10.25 GB-s $0.000170834."""
    r = simulate(FunctionModel("f", duration=0.1, init=0.25, memory_mb=1024),
                 Invoke("f", ConstantRate(1, 100)))
    c = r.cost(free_tier=False)
    assert c.gb_seconds == pytest.approx(10.25)
    assert c.cost.request_usd == pytest.approx(100 * billing.US_EAST_1.usd_per_request)
    assert c.cost.compute_usd == pytest.approx(10.25 * 0.0000166667)
    assert r.cost().cost.total_usd == 0.0  # all inside the free tier
    assert r.cost(include_init=False).gb_seconds == pytest.approx(10.0)


def test_figures_render_under_agg(pair) -> None:
    matplotlib.use("Agg")
    q = simulate(FunctionModel("w", duration=Exponential(2.0), timeout_s=30),
                 [SqsQueue("w", messages=5000, rate=20, duration_s=120),
                  StreamShards("w", shards=2, write_rate=50, duration_s=60)], until_s=400)
    figures = [figure_concurrency(*pair), figure_throttles(*pair), figure_cold_starts(*pair),
               figure_latency(*pair), figure_cost(*pair), figure_queue(q),
               figure_queue(q, "stream"), figure_rules()]
    for fig in figures:
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"


def test_erlang_b_matches_the_simulator() -> None:
    """Limit 20, Poisson 100/s of exponential 0.2 s (load 20 Erlangs): Erlang B gives 15.9%
    throttled; a 600 s simulation (init 0, so durations are exactly the model's) agrees
    within 1.5 percentage points."""
    assert erlang_b(1, 1.0) == pytest.approx(0.5)
    b = erlang_b(20, 20.0)
    assert b == pytest.approx(0.159, abs=0.001)
    r = simulate(FunctionModel("f", duration=Exponential(0.2), init=0.0, reserved=20),
                 Invoke("f", Poisson(100, 600)), seed=5)
    assert r.throttles / (r.throttles + r.invocations) == pytest.approx(b, abs=0.015)


def test_analytic_shortcuts_agree_with_rules() -> None:
    t, c = scaling_curve(60, rule="2023", account_limit=20_000)
    assert c[0] == 1000 and c[-1] == 7000
    t, c = scaling_curve(60, rule="2020", account_limit=20_000)
    assert c[0] == 3000 and c[-1] == 3500
    m, b = sqs_ramp(20, rule="2020")
    assert b[0] == 5 and b[16] == 965 and b[17] == 1000
    est = quick_estimate(100, 0.2, limit=20)
    assert est["throttle_probability"] == pytest.approx(erlang_b(20, 20.0))


def test_slider_recomputes_are_fast() -> None:
    """Every slider recompute within 100 ms: the analytic shortcuts, and a small exact run."""
    cases = [lambda: quick_estimate(300, 0.3, limit=1000, memory_mb=2048),
             lambda: scaling_curve(900, rule="2020", account_limit=10_000),
             lambda: sqs_ramp(30, rule="2023"),
             lambda: simulate(FunctionModel("f", duration=LogNormal(0.1), reserved=50),
                              Invoke("f", Poisson(100, 60))).summary()]
    for case in cases:
        case()
        best = min(_timed(case) for _ in range(3))
        assert best < 0.1, (case, best)


def _timed(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return time.perf_counter() - t0


def test_simpy_model_is_the_same_model() -> None:
    """The benchmark's two sides agree: same offered load, same throttle share within 1%."""
    _, events_ours, ours = ratio_model(20.0, seed=2)
    _, events_simpy, theirs = simpy_model(20.0, seed=2)
    share = [c["throttled"] / (c["throttled"] + c["admitted"]) for c in (ours, theirs)]
    assert share[0] == pytest.approx(share[1], abs=0.01)
    assert events_ours == pytest.approx(events_simpy, rel=0.02)
    assert np.isfinite(events_ours)
