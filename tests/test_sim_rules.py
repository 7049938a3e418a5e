"""Each platform rule in the simulator against a hand-computed expectation (issue #6, part 5)."""

from __future__ import annotations

import numpy as np
import pytest

from lambda_lab.platform import asyncq
from lambda_lab.simulation import (
    AsyncOutcome,
    Burst,
    ConstantRate,
    FunctionModel,
    Invoke,
    SqsQueue,
    StartType,
    StreamShards,
    simulate,
    sqs_minutes_to_reach,
    sqs_target,
)

DLQ = "arn:aws:sqs:us-east-1:123456789012:failures"


def test_reserved_concurrency_throttles_the_excess() -> None:
    """Reserved concurrency 10, 20 simultaneous 1-second requests: the first 10 run, the other
    10 find the reservation full and are throttled (cause "reserved"); nothing ends before
    the last arrival, so exactly 10 + 10."""
    r = simulate(FunctionModel("f", duration=1.0, reserved=10), Invoke("f", Burst(20)))
    assert r.invocations == 10
    assert r.throttles == 10
    assert r.throttles_by_cause() == {"reserved": 10, "account": 0, "scaling": 0}
    assert r.peak_concurrency() == 10


def test_account_limit_throttles_unreserved_functions() -> None:
    """Account limit 50, no reservations, 80 simultaneous requests: 50 run, 30 are throttled
    on the unreserved pool (cause "account")."""
    r = simulate(FunctionModel("f", duration=1.0), Invoke("f", Burst(80)), account_limit=50)
    assert (r.invocations, r.throttles_by_cause()["account"]) == (50, 30)


def test_freed_slots_are_reused_warm() -> None:
    """A slot freed at t is usable by an arrival at t (ends run first at a tie): reserved 10,
    10 requests at 0 s and 10 more at 1 s, each 1 s long, all run; the second 10 reuse the 10
    warm environments (10 cold starts in all; init 0 so the first 10 end at exactly 1 s)."""
    fn = FunctionModel("f", duration=1.0, init=0.0, reserved=10)
    r = simulate(fn, [Invoke("f", Burst(10, at_s=0.0)), Invoke("f", Burst(10, at_s=1.0))])
    assert (r.invocations, r.throttles, r.cold_starts) == (20, 0, 10)


@pytest.mark.parametrize("rule,minutes,reached_s", [("2023", 4, 199), ("2020", 17, 1020)])
def test_sqs_ramp_reaches_1000_batches(rule: str, minutes: int, reached_s: int) -> None:
    """SQS pollers start with 5 concurrent batches and add 300 per minute (2020: 60) while
    messages wait, the real poller's rule (lambda_lab.sources.scaling): today continuously
    (+1 every 0.2 s: 5 + 995 at 199 s, within 4 minutes), in 2020 at each minute's end (5 + 60 k
    at k = 17, 965 at 16). Batches last 10 minutes and 100,000 messages wait, so every batch
    started stays running. (Samples at whole seconds show the state before that second's
    events, so the sampled series reaches 1,000 at most a second later.)"""
    assert sqs_minutes_to_reach(1000, rule) == minutes
    r = simulate(FunctionModel("f", duration=600.0, timeout_s=900),
                 SqsQueue("f", messages=100_000), scaling_rule=rule, until_s=60 * minutes + 60)
    q = r.queues["queue"]
    reached = q["t"][np.argmax(q["active"] >= 1000)]
    assert reached_s <= reached <= reached_s + 1
    assert q["active"].max() == 1000
    a_minute_in = q["active"][q["t"] == 61][0]  # 2023: 5 + 305 at 61 s; 2020: 5 + 60
    expected = 5 + 305 if rule == "2023" else 5 + 60
    assert expected - 1 <= a_minute_in <= expected
    assert r.throttles == 0
    from lambda_lab.sources.scaling import sqs_concurrency_limit

    for t in (0.0, 0.2, 59.9, 60.0, 123.4, 199.0, 600.0):  # the simulator's rule is the poller's
        assert sqs_target(t, rule) == sqs_concurrency_limit(t + 1e-9, rule), t


def test_sqs_failed_batch_returns_after_visibility_timeout() -> None:
    """A batch that fails is not lost: its messages are visible again when the visibility
    timeout (here 30 s) since they were received ends. 10 messages, one batch, every attempt
    failing (1.25 s with the cold start, then 1 s): attempts at 0, 30 and 60 s until 70 s."""
    r = simulate(FunctionModel("f", duration=1.0, error_rate=1.0),
                 SqsQueue("f", messages=10, visibility_timeout_s=30.0), until_s=70.0)
    assert r.start.tolist() == [0.0, 30.0, 60.0]
    assert r.cold_starts == 1 and (r.outcome == 1).all()


def test_provisioned_environments_absorb_cold_starts_up_to_their_count() -> None:
    """Provisioned concurrency 5 (READY at 0), 8 simultaneous requests: 5 run on provisioned
    environments (no init), the other 3 need on-demand environments: 3 cold starts."""
    r = simulate(FunctionModel("f", duration=1.0, init=0.3, provisioned=5), Invoke("f", Burst(8)))
    kinds = np.bincount(r.start_type, minlength=3)
    assert kinds[StartType.PROVISIONED] == 5 and kinds[StartType.COLD] == 3
    assert r.cold_starts == 3
    assert sorted((r.end - r.start).round(6).tolist()) == [1.0] * 5 + [1.3] * 3


def test_provisioned_ready_later_is_a_clock_timer() -> None:
    """Provisioned concurrency READY at 10 s (a timer on the simulation's VirtualClock):
    5 requests at 5 s are cold starts; 5 more at 20 s run on the provisioned environments,
    not on the 5 warm on-demand ones (the controller takes ready provisioned ones first)."""
    fn = FunctionModel("f", duration=1.0, provisioned=5, provisioned_ready_s=10.0)
    r = simulate(fn, [Invoke("f", Burst(5, at_s=5.0)), Invoke("f", Burst(5, at_s=20.0))])
    assert r.start_type.tolist() == [StartType.COLD] * 5 + [StartType.PROVISIONED] * 5


def test_async_event_retried_twice_ends_in_failure_destination() -> None:
    """An Event invocation whose handler always fails (0.5 s): attempts at 0 s, then 60 s and
    120 s after each failed attempt started (RETRY_DELAYS_S of the async queue): 0, 60, 180 s.
    The third attempt ends at 180.5 s and the on-failure destination takes the record then;
    without a destination the event is dropped at the same time."""
    assert asyncq.RETRY_DELAYS_S == (60.0, 120.0)
    for destination, ended in ((DLQ, "destination"), (None, "dropped")):
        r = simulate(FunctionModel("f", duration=0.5, error_rate=1.0, on_failure=destination),
                     Invoke("f", Burst(1), asynchronous=True))
        assert r.start.tolist() == [0.0, 60.0, 180.0]
        assert r.async_ended.tolist() == [180.5]
        assert r.async_attempts.tolist() == [3]
        assert r.async_outcomes()[ended] == 1
        assert r.async_outcome[0] & 7 == AsyncOutcome.RETRIES_EXHAUSTED


def test_async_throttles_back_off_from_one_second() -> None:
    """Reserved 1, two Event invocations at 0 s, each 0.5 s: the second is throttled and
    retried 1 s later (back-off starts at 1 s), when the first has ended: it runs at 1.0 s."""
    r = simulate(FunctionModel("f", duration=0.5, reserved=1),
                 Invoke("f", Burst(2), asynchronous=True))
    assert r.start.tolist() == [0.0, 1.0]
    assert r.async_outcomes() == {"success": 2, "destination": 0, "dropped": 0}


def test_async_event_age_limit() -> None:
    """Reserved concurrency held by a 900 s synchronous call; an Event invocation with a
    maximum event age of 60 s backs off 1, 2, 4, 8, 16 s (tries at 0, 1, 3, 7, 15, 31 s); the
    next would be at 63 s, past the age limit, so it expires at 60 s."""
    fn = FunctionModel("f", duration=900.0, timeout_s=900, reserved=1, max_event_age_s=60.0)
    r = simulate(fn, [Invoke("f", Burst(1)), Invoke("f", Burst(1, at_s=0.0), asynchronous=True)])
    assert r.throttle_time.tolist() == [0.0, 1.0, 3.0, 7.0, 15.0, 31.0]
    assert r.async_ended.tolist() == [60.0]
    assert r.async_outcome[0] == AsyncOutcome.EVENT_AGE_EXCEEDED


@pytest.mark.parametrize("rule,admitted", [("2023", 6999), ("2020", 3499)])
def test_scaling_rule_toggle(rule: str, admitted: int) -> None:
    """1,000 new requests per second for 60 s, each holding its environment 800 s, account
    limit 20,000. 2023: 1,000 environments at once, then 100 per second (1,000 per 10 s):
    1,000 + floor(100 x 59.999) = 6,999. 2020 (us-east-1): a burst of 3,000, then 500 per
    minute: 3,000 + floor(500 / 60 x 59.999) = 3,499. The rest are throttled (cause scaling)."""
    r = simulate(FunctionModel("f", duration=800.0, timeout_s=900),
                 Invoke("f", ConstantRate(1000, 60)), scaling_rule=rule, account_limit=20_000)
    assert r.invocations == admitted
    assert r.throttles_by_cause()["scaling"] == 60_000 - admitted


def test_2020_burst_depends_on_region() -> None:
    """The 2020 burst is 3,000 in us-east-1 but 1,000 in us-east-2 and 500 elsewhere."""
    fn = FunctionModel("f", duration=800.0, timeout_s=900)
    work = Invoke("f", Burst(5000))
    counts = [simulate(fn, work, scaling_rule="2020", account_limit=20_000,
                       region=region).invocations
              for region in ("us-east-1", "us-east-2", "sa-east-1")]
    assert counts == [3000, 1000, 500]


def test_keep_alive_reclaims_idle_environments() -> None:
    """Keep-alive 600 s: one request every 700 s finds its environment reclaimed: a cold start
    each time (10 of 10); one request a second keeps one environment warm (1 cold start)."""
    r = simulate(FunctionModel("f", duration=0.1, keep_alive_s=600),
                 Invoke("f", ConstantRate(1 / 700, 7000)))
    assert (r.invocations, r.cold_starts) == (10, 10)
    r = simulate(FunctionModel("f", duration=0.1, keep_alive_s=600),
                 Invoke("f", ConstantRate(1, 3000)))
    assert (r.invocations, r.cold_starts) == (3000, 1)
    t, live = r.environments(10.0)
    assert live.max() == 1 and live[t >= 3000 + 600].max(initial=0) == 0


def test_timeouts_cut_durations() -> None:
    """A 5 s handler with a 3 s timeout runs 3 s and ends as a timeout."""
    r = simulate(FunctionModel("f", duration=5.0, init=0.0), Invoke("f", Burst(1)))
    assert r.duration.tolist() == [3.0] and r.outcome.tolist() == [2]


def test_changes_run_as_clock_timers() -> None:
    """A reservation of 0 put at 5 s (a platform timer on the simulation's VirtualClock)
    throttles every request after it: 1 request a second for 10 s gives 5 runs, 5 throttles."""
    r = simulate(FunctionModel("f", duration=0.1), Invoke("f", ConstantRate(1, 10)),
                 changes=[(5.0, lambda c: c.set_reserved("f", 0))])
    assert (r.invocations, r.throttles) == (5, 5)


def test_stream_shards_bound_concurrency() -> None:
    """4 shards with parallelization 1 run at most 4 batches at once, whatever the backlog;
    10,000 records per shard in batches of 100 make 400 batches."""
    r = simulate(FunctionModel("f", duration=0.05),
                 StreamShards("f", shards=4, backlog=10_000, batch_size=100))
    assert r.peak_concurrency() == 4 and r.invocations == 400
    assert r.streams["stream"]["backlog"][-1] == 0
