"""The ConcurrencyController on a VirtualClock: pure bookkeeping, no processes (issue #3 section 3).

Rules from shared/reference/lambda-facts.md: A "Account concurrency" (1,000 by default),
A "Unreserved minimum" (100 always stay unreserved), B "Function scaling rate" (1,000 environments
per 10 s per function since Nov 2023; before: burst 500-3,000 by Region then +500/min,
account-wide) and B "Throttling" (TooManyRequestsException, 429, with a Reason).
"""

from __future__ import annotations

import time

import pytest

from lambda_lab.clock import VirtualClock
from lambda_lab.errors import InvalidParameterValueException, TooManyRequestsException
from lambda_lab.platform.concurrency import (
    ACCOUNT,
    CONCURRENT_LIMIT,
    RESERVED,
    RESERVED_LIMIT,
    SCALING,
    ConcurrencyController,
    Throttled,
)

UNRESERVED_MIN_MESSAGE = ("Specified ReservedConcurrentExecutions for function decreases account's "
                          "UnreservedConcurrentExecution below its minimum value of [100].")


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock(start=1_700_000_000.0)


@pytest.fixture
def cc(clock: VirtualClock) -> ConcurrencyController:
    return ConcurrencyController(clock)


def fill(cc: ConcurrencyController, function: str, n: int, *, new: bool = False) -> list:
    """Acquire ``n`` slots without releasing them (``new``: each needs a new environment)."""
    return [cc.try_acquire(function, "$LATEST", new_environment=new) for _ in range(n)]


def throttle(cc: ConcurrencyController, function: str, *, new: bool = False) -> Throttled:
    with pytest.raises(Throttled) as info:
        cc.try_acquire(function, "$LATEST", new_environment=new)
    return info.value


# ------------------------------------------------------------------ account concurrency


def test_account_concurrency_defaults_to_1000_then_concurrent_invocation_limit(cc):
    """A "Account concurrency": 1,000 per Region by default; beyond it 429
    ConcurrentInvocationLimitExceeded."""
    assert cc.account_limit == 1000 and cc.unreserved_limit == 1000
    fill(cc, "a", 600)
    fill(cc, "b", 400)
    e = throttle(cc, "c")
    assert (e.reason, e.cause, e.status) == (CONCURRENT_LIMIT, ACCOUNT, 429)
    assert cc.in_use() == 1000 and cc.throttles[ACCOUNT] == 1


def test_account_concurrency_is_settable_for_teaching(cc):
    """A "Account concurrency": raisable on AWS (and lowerable here, to teach with small
    numbers)."""
    cc.set_account_limit(3)
    slots = fill(cc, "a", 3)
    throttle(cc, "a")
    cc.release(slots[0])
    cc.try_acquire("a", "$LATEST", new_environment=False)
    with pytest.raises(ValueError):
        cc.set_account_limit(-1)


def test_release_and_hold_give_the_slot_back(cc):
    cc.set_account_limit(1)
    with pytest.raises(RuntimeError), cc.hold("a", "$LATEST"):
        assert cc.in_use("a") == 1
        raise RuntimeError("the invocation failed")
    assert cc.in_use("a") == 0
    with cc.hold("a", "$LATEST") as slot:
        assert slot.kind == "unreserved"
    assert cc.in_use() == 0


# ------------------------------------------------------------------ reserved concurrency


def test_unreserved_minimum_100_stays_unreserved(cc):
    """A "Unreserved minimum": reserved total <= account limit - 100; AWS's exact error."""
    cc.set_reserved("a", 600)
    cc.set_reserved("b", 300)
    assert cc.unreserved_limit == 100
    with pytest.raises(InvalidParameterValueException) as info:
        cc.set_reserved("c", 1)
    assert info.value.message == UNRESERVED_MIN_MESSAGE
    with pytest.raises(InvalidParameterValueException):
        cc.set_reserved("a", 601)
    cc.set_reserved("a", 500)  # decreasing is always allowed
    cc.set_reserved("c", 100)
    cc.delete_reserved("b")
    assert cc.unreserved_limit == 400 and cc.reserved("b") is None


def test_an_account_below_100_cannot_reserve(cc):
    """A "Unreserved minimum": new accounts with a small limit keep it all unreserved (AWS then
    reports the whole limit as the minimum)."""
    cc.set_account_limit(10)
    with pytest.raises(InvalidParameterValueException, match=r"minimum value of \[10\]"):
        cc.set_reserved("a", 1)
    cc.set_account_limit(10, unreserved_min=5)  # teaching override
    cc.set_reserved("a", 5)


def test_reserved_concurrency_caps_the_function_with_its_own_reason(cc):
    """B "Throttling": beyond a function's reserved concurrency, 429
    ReservedFunctionConcurrentInvocationLimitExceeded; its reservation is not taken from the
    unreserved pool of the others."""
    cc.set_reserved("a", 2)
    slots = fill(cc, "a", 2)
    assert {s.kind for s in slots} == {"reserved"}
    e = throttle(cc, "a")
    assert (e.reason, e.cause) == (RESERVED_LIMIT, RESERVED)
    fill(cc, "b", 998)  # the unreserved pool is 1,000 - 2
    assert throttle(cc, "b").reason == CONCURRENT_LIMIT
    cc.release(slots[0])
    cc.try_acquire("a", "$LATEST", new_environment=False)


def test_reserved_concurrency_zero_throttles_everything(cc):
    """B "Throttling": reserved concurrency 0 throttles every invocation of the function."""
    cc.set_reserved("off", 0)
    assert throttle(cc, "off").reason == RESERVED_LIMIT
    assert cc.in_use() == 0


def test_throttle_is_a_429_too_many_requests_with_the_wire_shape():
    """B "Throttling": TooManyRequestsException, HTTP 429, {"Reason", "Type": "User", "message"}."""
    e = Throttled(RESERVED_LIMIT, RESERVED, "a")
    assert isinstance(e, TooManyRequestsException)
    assert e.status == 429 and e.code == "TooManyRequestsException"
    assert e.to_dict() == {"__type": "TooManyRequestsException", "message": "Rate Exceeded.",
                           "Type": "User", "Reason": RESERVED_LIMIT}


# ------------------------------------------------------------------ provisioned concurrency


def test_provisioned_concurrency_counts_against_reserved_and_unreserved(cc):
    """Provisioned concurrency comes out of the function's reservation, or (without one) out of
    the unreserved pool, which must keep its minimum."""
    cc.set_provisioned("a", "1", 50)
    assert cc.unreserved_limit == 950
    with pytest.raises(InvalidParameterValueException, match=r"minimum value of \[100\]"):
        cc.set_provisioned("b", "live", 851)
    cc.set_reserved("c", 10)
    with pytest.raises(InvalidParameterValueException, match="reservedConcurrentExecution"):
        cc.set_provisioned("c", "1", 11)
    cc.set_provisioned("c", "1", 10)
    assert cc.unreserved_limit == 940  # c's provisioned lives inside its reservation
    with pytest.raises(InvalidParameterValueException):
        cc.set_reserved("c", 9)  # below its provisioned concurrency
    cc.delete_provisioned("a", "1")
    assert cc.unreserved_limit == 990


def test_provisioned_slots_come_first_then_spill_over_to_on_demand(cc):
    """Ready provisioned environments take no scaling token; traffic beyond them spills over to
    the unreserved pool (and on-demand environments)."""
    cc.set_account_limit(103)
    cc.set_provisioned("a", "live", 3)  # unreserved pool: 100
    cc.set_ready("a", "1", 3)
    slots = [cc.try_acquire("a", "1") for _ in range(4)]
    assert [s.kind for s in slots] == ["provisioned"] * 3 + ["unreserved"]
    assert [s.new_environment for s in slots] == [False] * 3 + [True]
    fill(cc, "b", 99)
    assert throttle(cc, "a").reason == CONCURRENT_LIMIT
    cc.release(slots[0])
    assert cc.try_acquire("a", "1").kind == "provisioned"


# ------------------------------------------------------------------ scaling rate


def test_2023_rule_1000_new_environments_per_10_s_per_function(cc, clock):
    """B "Function scaling rate" (Nov 2023): 1,000 new execution environments every 10 s per
    function, refilled continuously, never more than 1,000 at once; beyond it 429."""
    assert cc.scaling_rule == "2023"
    cc.set_account_limit(100_000)
    fill(cc, "a", 1000, new=True)
    e = throttle(cc, "a", new=True)
    assert (e.status, e.cause, e.reason) == (429, SCALING, CONCURRENT_LIMIT)
    fill(cc, "b", 1000, new=True)  # each function scales independently
    clock.advance(1.0)  # refilled continuously: 100 per second
    fill(cc, "a", 100, new=True)
    throttle(cc, "a", new=True)
    clock.advance(60.0)  # an idle minute does not bank more than 1,000
    assert cc.scaling_tokens("a") == pytest.approx(1000)
    fill(cc, "a", 1000, new=True)
    throttle(cc, "a", new=True)
    assert cc.throttles[SCALING] == 3


def test_scaling_rate_only_counts_new_environments(cc):
    """B "Function scaling rate": it limits how fast environments are created; warm reuse
    (an idle environment exists) needs no token."""
    cc.set_account_limit(100_000)
    fill(cc, "a", 1000, new=True)
    throttle(cc, "a", new=True)
    fill(cc, "a", 500, new=False)


def test_2020_rule_burst_3000_then_500_per_minute_account_wide(clock):
    """B "Function scaling rate", the notes' 2020 rule: an initial burst of 3,000 (us-east-1),
    then +500 per minute, shared by every function of the account."""
    cc = ConcurrencyController(clock, account_limit=100_000, scaling_rule="2020")
    fill(cc, "a", 2000, new=True)
    fill(cc, "b", 1000, new=True)
    assert throttle(cc, "c", new=True).cause == SCALING  # account-wide, unlike 2023
    clock.advance(60.0)
    fill(cc, "c", 500, new=True)
    throttle(cc, "a", new=True)
    clock.advance(30.0)
    fill(cc, "a", 250, new=True)
    throttle(cc, "a", new=True)


@pytest.mark.parametrize("region, burst", [("us-east-1", 3000), ("eu-west-1", 3000),
                                           ("eu-central-1", 1000), ("sa-east-1", 500)])
def test_2020_burst_depends_on_the_region(clock, region, burst):
    """B "Function scaling rate", 2020: burst 500-3,000 by Region."""
    cc = ConcurrencyController(clock, account_limit=100_000, scaling_rule="2020", region=region)
    assert cc.scaling_tokens("any") == burst


def test_scaling_rule_is_checked(clock):
    with pytest.raises(ValueError):
        ConcurrencyController(clock, scaling_rule="2019")


def test_forget_function_drops_its_reservations(cc):
    cc.set_reserved("a", 500)
    cc.set_provisioned("b", "1", 100)
    cc.forget_function("a")
    cc.forget_function("b")
    assert cc.unreserved_limit == 1000 and cc.reserved("a") is None


def test_acquire_and_release_are_constant_time(cc):
    """For the simulator (issue #6): O(1) per call, whatever the number of functions."""
    cc.set_account_limit(1_000_000)
    for i in range(500):
        cc.set_reserved(f"r{i}", 1)
    start = time.perf_counter()
    for i in range(50_000):
        cc.release(cc.try_acquire(f"f{i % 5000}", "1", new_environment=False))
    assert time.perf_counter() - start < 2.0  # ~0.1 s on a laptop


# ------------------------------------------------------------------ the platform's use of it


class _NeverRun:
    """An executor that must not be reached (the throttle comes first)."""

    idle_count = 0

    def invoke(self, payload: bytes, **kwargs: object) -> None:
        raise AssertionError("a throttled invocation must not run")

    def environments(self) -> list:
        return []

    def close(self) -> None:
        pass


def test_platform_throttles_before_running_and_raises_for_the_async_queue(clock):
    """B "Throttling": ``Platform._run`` (sync invokes, and each async attempt) raises Throttled,
    a TooManyRequestsException, before the executor runs; the async queue catches it to retry."""
    from lambda_lab.platform import Code, FunctionConfig, Platform

    platform = Platform(clock=clock, executor_factory=lambda version: _NeverRun())
    try:
        platform.create_function("f", FunctionConfig(Code("", "", 0), "app.handler", "role"))
        platform.concurrency.set_reserved("f", 0)
        with pytest.raises(TooManyRequestsException) as info:
            platform.invoke("f", b"{}")
        assert info.value.reason == RESERVED_LIMIT
        version = platform.version("f")
        with pytest.raises(Throttled):
            platform._run(version, b"{}")
        assert platform.concurrency.in_use() == 0
        platform.delete_function("f")
        assert platform.concurrency.reserved("f") is None
    finally:
        platform.close()
