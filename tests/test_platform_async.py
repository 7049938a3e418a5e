"""The async queue on its own (issue #3 §4, §5): a scripted executor, a VirtualClock, a fake
deliverer; no moto, no processes. Retry timing, back-off, event age, where events end, and the
property "nothing lost" under random failures (hypothesis)."""

from __future__ import annotations

import json
import logging
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lambda_lab.clock import RealTimeClock, VirtualClock
from lambda_lab.errors import ServiceException, TooManyRequestsException
from lambda_lab.execution.result import InvocationResult
from lambda_lab.platform import Code, FunctionConfig, Platform, Version, asyncq, recursion
from lambda_lab.platform.asyncq import EventInvokeConfig

ROLE = "arn:aws:iam::123456789012:role/r"
QUEUE = "arn:aws:sqs:us-east-1:123456789012:failures"
DLQ = "arn:aws:sqs:us-east-1:123456789012:dlq"


class ScriptedExecutor:
    """Each event's payload ``{"script": [...]}`` says what its attempts do, in order (the last
    outcome repeats): ok, error (function error), throttle (429), system (5xx)."""

    def __init__(self, version: Version) -> None:
        self.version = version
        self.tries: dict[str, int] = {}
        self.calls: list[tuple[str, float]] = []
        self.clock: VirtualClock | None = None

    def invoke(self, payload: bytes, **kwargs: object) -> InvocationResult:
        rid = str(kwargs["request_id"])
        self.calls.append((rid, self.clock.now() if self.clock else 0.0))
        script = json.loads(payload).get("script", ["ok"])
        n = self.tries.get(rid, 0)
        self.tries[rid] = n + 1
        outcome = script[min(n, len(script) - 1)]
        if outcome == "throttle":
            raise TooManyRequestsException("Rate exceeded", reason="ReservedFunction")
        if outcome == "system":
            raise ServiceException("internal")
        fail = outcome == "error"
        body = b'{"errorMessage": "boom", "errorType": "E"}' if fail else b'"done"'
        return InvocationResult(rid, body, "Unhandled" if fail else None, 1.0, 1, 128, 30, None,
                                False, "model", self.version.number)

    def environments(self) -> list:
        return []

    def close(self) -> None:
        pass


class FakeDeliverer:
    def __init__(self, broken: set[str] | None = None) -> None:
        self.records: list[tuple[str, dict, bool]] = []
        self.dead_letters: list[tuple[str, str, str]] = []
        self.broken = broken or set()

    def send_record(self, arn, record, success, event) -> None:
        if arn in self.broken:
            raise RuntimeError("AccessDenied")
        self.records.append((arn, record, success))

    def send_dead_letter(self, arn, event, error_message) -> None:
        if arn in self.broken:
            raise RuntimeError("AccessDenied")
        self.dead_letters.append((arn, event.request_id, error_message))


def make_platform(config: EventInvokeConfig | None = None, dlq: str = "",
                  broken: set[str] | None = None) -> tuple[Platform, FakeDeliverer]:
    clock = VirtualClock(start=1_000_000.0)
    executors: list[ScriptedExecutor] = []

    def factory(version: Version) -> ScriptedExecutor:
        ex = ScriptedExecutor(version)
        ex.clock = clock
        executors.append(ex)
        return ex

    p = Platform(clock=clock, executor_factory=factory, async_workers=2)
    p.create_function("f", FunctionConfig(code=Code("/c", "x", 1), handler="m.h", role=ROLE,
                                          dead_letter_arn=dlq))
    deliverer = FakeDeliverer(broken)
    p.async_queue.deliverer = deliverer
    if config is not None:
        p.async_queue.configs[p.function("f")] = {"$LATEST": config}
    p.executors = executors  # type: ignore[attr-defined]
    return p, deliverer


def send(p: Platform, *script: str) -> asyncq.AsyncEvent:
    return p.invoke("f", json.dumps({"script": list(script)}).encode(),
                    invocation_type="Event").event


def advance(p: Platform, seconds: float) -> None:
    asyncq.advance(p.clock, lambda: [p.async_queue], seconds)


def test_function_errors_retry_after_60_then_120_s_with_one_request_id():
    # lambda-facts.md "Async retries": default 2, waits about 1 min then 2 min.
    p, out = make_platform(EventInvokeConfig(on_failure=QUEUE))
    start = p.clock.now()
    event = send(p, "error")
    advance(p, 0)
    assert event.attempts == 1 and event.status == "waiting"
    advance(p, 59.9)
    assert event.attempts == 1
    advance(p, 0.1)
    assert event.attempts == 2
    advance(p, 120)
    calls = p.executors[0].calls
    assert [round(t - start) for _, t in calls] == [0, 60, 180]
    assert {rid for rid, _ in calls} == {event.request_id}
    assert event.ended_in == "destination" and event.condition == "RetriesExhausted"
    (arn, record, success), = out.records
    assert (arn, success) == (QUEUE, False)
    assert record["requestContext"]["approximateInvokeCount"] == 3
    p.close()


def test_throttles_back_off_from_1_s_doubling_to_5_min():
    # lambda-facts.md "6 h retry, backoff 1 s -> 5 min" (throttles and system errors).
    p, _ = make_platform()
    start = p.clock.now()
    event = send(p, *["throttle"] * 12, "ok")
    advance(p, 3000)
    times = [round(t - start) for _, t in p.executors[0].calls]
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert gaps == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300, 300, 300]
    assert event.ended_in == "success" and event.attempts == 1 and event.throttles == 12
    p.close()


def test_system_errors_back_off_until_the_event_is_too_old():
    p, out = make_platform(EventInvokeConfig(maximum_event_age=60), dlq=DLQ)
    event = send(p, "system")
    advance(p, 59)
    assert event.status == "waiting"
    advance(p, 2)
    assert event.condition == "EventAgeExceeded" and event.ended_in == "dlq"
    assert event.attempts == 0 and out.dead_letters[0][1] == event.request_id
    p.close()


def test_without_destination_or_dlq_a_failed_event_is_dropped_with_a_log_line(caplog):
    p, _ = make_platform(EventInvokeConfig(maximum_retry_attempts=0))
    with caplog.at_level(logging.WARNING, logger="lambda_lab.async"):
        event = send(p, "error")
        advance(p, 0)
    assert event.ended_in == "dropped" and event.status == "failed"
    assert event.request_id in caplog.text and "RetriesExhausted" in caplog.text
    p.close()


def test_pending_retries_at_shutdown_are_dropped_not_lost():
    p, _ = make_platform()
    event = send(p, "error")
    advance(p, 0)
    p.close()
    assert event.ended_in == "dropped" and "shut down" in event.error


def test_a_stopped_recursive_event_goes_to_the_on_failure_destination():
    # lambda-facts.md B "Recursive loop detection": stopped after about 16 invocations.
    p, out = make_platform(EventInvokeConfig(on_failure=QUEUE))
    fn = p.function("f")
    trace = None
    for _ in range(recursion.LIMIT):
        trace = recursion.next_trace(p, fn, trace)
    inv = p.invoke("f", b"{}", invocation_type="Event", trace_id=trace)  # the 17th
    advance(p, 0)
    assert inv.event.condition == "RecursiveInvocationDetected"
    assert inv.event.ended_in == "destination" and inv.event.attempts == 0
    recursion.set_config(fn, recursion.ALLOW)
    inv = p.invoke("f", b"{}", invocation_type="Event", trace_id=trace)
    advance(p, 0)
    assert inv.event.ended_in == "success"
    p.close()


OUTCOMES = st.sampled_from(["ok", "error", "throttle", "system"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    scripts=st.lists(st.lists(OUTCOMES, min_size=1, max_size=8), min_size=1, max_size=5),
    retries=st.integers(0, 2),
    max_age=st.sampled_from([60, 100, 400, 21_600]),
    on_failure=st.sampled_from([None, QUEUE]),
    dlq=st.sampled_from(["", DLQ]),
    broken=st.sets(st.sampled_from([QUEUE, DLQ])),
    shutdown_after=st.sampled_from([None, 0.0, 90.0]),
)
def test_nothing_is_lost_under_random_failures(scripts, retries, max_age, on_failure, dlq,
                                               broken, shutdown_after):
    """Issue #3 §4: every accepted event ends in exactly one of success, destination, DLQ, or
    dropped with a log line saying why."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("lambda_lab.async")
    logger.addHandler(handler)
    try:
        p, out = make_platform(EventInvokeConfig(maximum_retry_attempts=retries,
                                                 maximum_event_age=max_age,
                                                 on_failure=on_failure), dlq=dlq,
                               broken=set(broken))
        events = [send(p, *script) for script in scripts]
        if shutdown_after is None:
            advance(p, 22_000)
        else:
            advance(p, shutdown_after)
        p.close()
    finally:
        logger.removeHandler(handler)
    logged = "\n".join(r.getMessage() for r in records)
    failure_ids = [r["requestContext"]["requestId"] for _, r, ok in out.records if not ok]
    dlq_ids = [rid for _, rid, _ in out.dead_letters]
    for event in events:
        assert event.finished and event.done.is_set()
        assert event.ended_in in ("success", "destination", "dlq", "dropped")
        assert (event.ended_in == "success") == (event.status == "succeeded")
        assert event.attempts <= retries + 1
        if event.ended_in == "destination":
            assert failure_ids.count(event.request_id) == 1
        elif event.ended_in == "dlq":
            assert dlq_ids.count(event.request_id) == 1
            assert event.request_id not in failure_ids
        elif event.ended_in == "dropped":
            assert event.error and event.request_id in logged
            assert event.request_id not in failure_ids + dlq_ids
    assert len(failure_ids) == sum(e.ended_in == "destination" for e in events)


def test_config_defaults_apply_when_unset():
    # lambda-facts.md "Async retries" (default 2) and "6 h retry" (default 21,600 s).
    config = EventInvokeConfig()
    assert (config.retries, config.max_age) == (2, 21_600.0)


def test_a_synchronous_invocation_past_the_limit_raises():
    # lambda-facts.md B "Recursive loop detection"; RecursiveInvocationException to the caller.
    p, _ = make_platform()
    fn = p.function("f")
    trace = None
    for _ in range(recursion.LIMIT - 1):
        trace = recursion.next_trace(p, fn, trace)
    assert p.invoke("f", b"{}", trace_id=trace).result.ok  # the 16th runs
    trace = recursion.next_trace(p, fn, trace)
    with pytest.raises(recursion.RecursiveInvocationException):
        p.invoke("f", b"{}", trace_id=trace)  # the 17th is stopped
    p.close()


def test_with_a_real_time_clock_a_back_off_really_happens_later():
    # Issue #3 §5: platform time follows real time by default.
    clock = RealTimeClock()
    p = Platform(clock=clock, executor_factory=ScriptedExecutor, async_workers=2)
    p.create_function("f", FunctionConfig(code=Code("/c", "x", 1), handler="m.h", role=ROLE))
    started = time.monotonic()
    event = send(p, "throttle", "ok")
    assert event.wait(5) and event.ended_in == "success"
    assert 0.9 <= time.monotonic() - started < 4 and event.throttles == 1
    p.close()
    clock.close()


def test_events_pushed_during_one_long_advance_run_at_their_own_time():
    """``aws.advance`` promises that everything falling due runs at its due time, as it would in
    real time: an event a timer enqueues in the middle of a long advance (a schedule firing at
    noon of day 1 inside a two-day advance) starts then, not when the advance returns, so it is
    not aged out (MaximumEventAgeInSeconds default 21,600 s, lambda-facts.md "6 h retry") and
    its retry falls where it should."""
    p, _ = make_platform()
    start = p.clock.now()
    events: list[asyncq.AsyncEvent] = []
    for hours in (12, 36):
        p.clock.call_at(start + hours * 3600, lambda: events.append(send(p, "error", "ok")))
    advance(p, 2 * 86_400)
    assert [e.ended_in for e in events] == ["success", "success"]
    times = [round(t - start) for _, t in p.executors[0].calls]
    assert times == [12 * 3600, 12 * 3600 + 60, 36 * 3600, 36 * 3600 + 60]
    p.close()
