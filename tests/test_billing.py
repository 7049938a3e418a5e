"""billing.py: billed duration, GB-seconds, us-east-1 prices, free tier (lambda-facts A and B)."""

from __future__ import annotations

import dataclasses

import pytest

from lambda_lab.billing import (
    FREE_TIER_GB_SECONDS,
    FREE_TIER_REQUESTS,
    US_EAST_1,
    Cost,
    FreeTierMeter,
    Pricing,
    billed_duration_ms,
    gb_seconds,
    invocation_cost,
    monthly_cost,
)


@pytest.mark.parametrize(
    ("duration", "billed"), [(15.74, 16), (16.0, 16), (16.0001, 17), (0.2, 1), (0.0, 1)]
)
def test_billed_duration_rounds_up_to_1_ms_lambda_facts_B_pricing(
    duration: float, billed: int
) -> None:
    assert billed_duration_ms(duration) == billed


def test_billed_duration_includes_init_since_aug_2025_lambda_facts_B_pricing() -> None:
    # The REPORT line example in lambda-facts B: 15.74 ms + Init 130.49 ms.
    assert billed_duration_ms(15.74, init_ms=130.49) == 147
    assert billed_duration_ms(15.74, init_ms=130.49, include_init=False) == 16
    assert billed_duration_ms(15.74, init_ms=None) == 16


def test_billed_duration_ignores_float_noise() -> None:
    assert billed_duration_ms(0.1 + 0.2, init_ms=99.7) == 100  # 100.00000000000001 in floats


def test_billed_duration_rejects_negative() -> None:
    with pytest.raises(ValueError):
        billed_duration_ms(-1)
    with pytest.raises(ValueError):
        billed_duration_ms(1, init_ms=-1)


def test_gb_seconds_is_memory_gb_times_seconds() -> None:
    assert gb_seconds(1000, 1024) == 1.0
    assert gb_seconds(100, 128) == pytest.approx(0.0125)
    assert gb_seconds(1, 10240) == pytest.approx(0.01)


def test_pricing_us_east_1_lambda_facts_B_pricing() -> None:
    assert US_EAST_1 == Pricing(0.20, 0.0000166667, 0.0000133334)
    assert US_EAST_1.usd_per_request == pytest.approx(2e-7)
    assert US_EAST_1.usd_per_gb_second("arm64") < US_EAST_1.usd_per_gb_second("x86_64")
    with pytest.raises(dataclasses.FrozenInstanceError):
        US_EAST_1.request_usd_per_million = 0  # type: ignore[misc]
    with pytest.raises(ValueError, match="architecture"):
        US_EAST_1.usd_per_gb_second("sparc")


def test_invocation_cost_one_second_at_1_gb() -> None:
    cost = invocation_cost(1000, 1024)
    assert cost.request_usd == pytest.approx(0.0000002)
    assert cost.compute_usd == pytest.approx(0.0000166667)
    assert cost.total_usd == pytest.approx(0.0000168667)
    assert invocation_cost(1000, 1024, "arm64").compute_usd == pytest.approx(0.0000133334)


def test_monthly_cost_aws_pricing_example_3m_requests_512_mb_1_s() -> None:
    # AWS pricing page example: 3M requests x 1 s at 512 MB = 1.5M GB-s; minus 400,000 free GB-s
    # = 1.1M x $0.0000166667 = $18.33; minus 1M free requests = 2M x $0.20/M = $0.40.
    cost = monthly_cost(3_000_000, 1000, 512)
    assert cost.compute_usd == pytest.approx(18.33337, abs=1e-4)
    assert cost.request_usd == pytest.approx(0.40)
    assert cost.total_usd == pytest.approx(18.73337, abs=1e-4)


def test_monthly_cost_without_free_tier_charges_everything() -> None:
    cost = monthly_cost(3_000_000, 1000, 512, free_tier=False)
    assert cost.request_usd == pytest.approx(0.60)
    assert cost.compute_usd == pytest.approx(1_500_000 * 0.0000166667)


def test_monthly_cost_within_free_tier_is_zero_lambda_facts_A_free_tier() -> None:
    assert monthly_cost(1_000_000, 100, 128) == Cost(0.0, 0.0, 0.0)
    assert monthly_cost(0, 100, 128).total_usd == 0.0
    # One request over the free requests costs exactly one request.
    assert monthly_cost(1_000_001, 1, 128).total_usd == pytest.approx(2e-7)


def test_monthly_cost_rounds_each_invocation_up() -> None:
    # 1.2 ms bills 2 ms per invocation, not 1.2.
    cost = monthly_cost(1000, 1.2, 1024, free_tier=False)
    assert cost.compute_usd == pytest.approx(1000 * 0.002 * 0.0000166667)


def test_monthly_cost_rejects_negative_requests() -> None:
    with pytest.raises(ValueError):
        monthly_cost(-1, 100, 128)


def test_free_tier_meter_counts_and_summarises_lambda_facts_A_free_tier() -> None:
    meter = FreeTierMeter()
    assert meter.summary() == {
        "requests": 0,
        "gb_seconds": 0.0,
        "remaining_requests": FREE_TIER_REQUESTS,
        "remaining_gb_seconds": FREE_TIER_GB_SECONDS,
        "within_free_tier": True,
    }
    meter.record(1000, 1024)
    meter.record(500, 2048)
    assert meter.requests == 2
    assert meter.gb_seconds == pytest.approx(2.0)
    assert meter.remaining_requests == 999_998
    assert meter.remaining_gb_seconds == pytest.approx(399_998.0)


def test_free_tier_meter_runs_out_at_400000_gb_seconds() -> None:
    meter = FreeTierMeter()
    meter.gb_seconds = FREE_TIER_GB_SECONDS
    assert meter.summary()["within_free_tier"] is True
    meter.record(1, 1024)
    assert meter.remaining_gb_seconds == 0.0
    assert meter.summary()["within_free_tier"] is False


def test_invocation_result_cost_uses_billed_duration_and_memory():
    """lambda-facts B 'Pricing': x86 $0.0000166667 per GB-s, arm64 $0.0000133334, $0.20/1M."""
    from lambda_lab.execution.result import InvocationResult

    r = InvocationResult(request_id="r", raw_payload=b"1", function_error=None, duration_ms=99.2,
                         billed_duration_ms=100, memory_size_mb=1024, max_memory_used_mb=30,
                         init_duration_ms=None, cold_start=False, environment_id="e",
                         executed_version="$LATEST")
    assert abs(r.cost().compute_usd - 0.1 * 0.0000166667) < 1e-12
    assert abs(r.cost("arm64").compute_usd - 0.1 * 0.0000133334) < 1e-12
    assert abs(r.cost().request_usd - 0.20 / 1_000_000) < 1e-12
