"""Bursts of Event invocations run concurrently, so concurrency limits throttle them.

DG "How Lambda handles errors and retries with asynchronous invocation": "If the function
doesn't have enough concurrency available to process all events, additional requests are
throttled. For throttling errors (429) ... Lambda returns the event to the queue and attempts to
run the function again for up to 6 hours by default. The retry interval increases exponentially
from 1 second after the first attempt to a maximum of 5 minutes" (lambda-facts.md "6 h retry,
backoff 1 s -> 5 min"). The first attempts of a burst, and retries that fall due at the same
platform time, start together on the queue's workers (lambda_lab: at most ``async_workers``).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
import threading
import time
from collections import Counter

import boto3
import pytest
from aws_helpers import REGION, create, lam, role, session  # noqa: F401

from lambda_lab.clock import VirtualClock
from lambda_lab.execution.result import InvocationResult
from lambda_lab.platform import Code, FunctionConfig, Platform, Version, asyncq

ROLE = "arn:aws:iam::123456789012:role/r"
HOLD_S = 0.3  #: real seconds each invocation takes


class SlowExecutor:
    """Every invocation takes HOLD_S real seconds; records how many ran at once, and when
    (platform time) each request ran."""

    def __init__(self, version: Version, clock: VirtualClock) -> None:
        self.version, self.clock = version, clock
        self.lock = threading.Lock()
        self.running = self.most = 0
        self.calls: list[tuple[str, float]] = []

    def invoke(self, payload: bytes, **kwargs: object) -> InvocationResult:
        rid = str(kwargs["request_id"])
        with self.lock:
            self.calls.append((rid, self.clock.now()))
            self.running += 1
            self.most = max(self.most, self.running)
        time.sleep(HOLD_S)
        with self.lock:
            self.running -= 1
        return InvocationResult(rid, b'"done"', None, 1.0, 1, 128, 30, None, False, "model",
                                self.version.number)

    def environments(self) -> list:
        return []

    def close(self) -> None:
        pass


def make_platform(workers: int = asyncq.DEFAULT_WORKERS, reserved: int | None = None
                  ) -> tuple[Platform, list[SlowExecutor]]:
    clock = VirtualClock(start=1_000_000.0)
    executors: list[SlowExecutor] = []

    def factory(version: Version) -> SlowExecutor:
        executors.append(SlowExecutor(version, clock))
        return executors[-1]

    p = Platform(clock=clock, executor_factory=factory, async_workers=workers)
    p.create_function("f", FunctionConfig(code=Code("/c", "x", 1), handler="m.h", role=ROLE))
    if reserved is not None:
        p.concurrency.set_reserved("f", reserved)
    return p, executors


def burst(p: Platform, n: int) -> list[asyncq.AsyncEvent]:
    return [p.invoke("f", json.dumps({"i": i}).encode(), invocation_type="Event").event
            for i in range(n)]


def advance(p: Platform, seconds: float) -> None:
    asyncq.advance(p.clock, lambda: [p.async_queue], seconds)


def test_a_burst_starts_on_several_workers_at_once():
    """The queue's workers invoke concurrently: 6 events on 8 workers all run together."""
    assert asyncq.DEFAULT_WORKERS == 8
    p, executors = make_platform()
    events = burst(p, 6)
    advance(p, 0)
    assert executors[0].most == 6
    assert all(e.ended_in == "success" and e.throttles == 0 for e in events)
    p.close()


def test_a_burst_runs_at_most_as_many_at_once_as_there_are_workers():
    p, executors = make_platform(workers=2)
    events = burst(p, 5)
    advance(p, 0)
    assert executors[0].most == 2
    assert all(e.ended_in == "success" for e in events)
    p.close()


def test_a_burst_past_reserved_concurrency_is_throttled_and_retried_together():
    """Reserved concurrency 2, 6 events at once: 2 run, 4 are throttled and back off 1 s; at
    +1 s their 4 retries start together, so 2 are throttled again and back off 2 s more
    (lambda-facts.md "6 h retry, backoff 1 s -> 5 min"); all six succeed, none lost, each once,
    all within one ``advance``."""
    p, executors = make_platform(reserved=2)
    start = p.clock.now()
    events = burst(p, 6)
    advance(p, 10)
    ex = executors[0]
    assert ex.most == 2
    assert sorted(round(t - start) for _, t in ex.calls) == [0, 0, 1, 1, 3, 3]
    assert Counter(rid for rid, _ in ex.calls) == Counter(e.request_id for e in events)
    assert [e.throttles for e in events] == [0, 0, 1, 1, 2, 2]  # slots go in queue order
    assert all(e.ended_in == "success" and e.attempts == 1 for e in events)
    p.close()


def test_retries_due_together_are_throttled_again_step_by_step():
    """The same burst, one step at a time: ``advance`` waits for the retries it starts."""
    p, executors = make_platform(reserved=2)
    events = burst(p, 6)
    advance(p, 0)
    assert Counter(e.status for e in events) == {"succeeded": 2, "waiting": 4}
    advance(p, 1)
    assert Counter(e.status for e in events) == {"succeeded": 4, "waiting": 2}
    assert sorted(e.throttles for e in events if e.status == "waiting") == [2, 2]
    advance(p, 1.9)
    assert Counter(e.status for e in events) == {"succeeded": 4, "waiting": 2}
    advance(p, 0.1)
    assert [e.ended_in for e in events] == ["success"] * 6
    assert executors[0].most == 2
    p.close()


# ------------------------------------------------------------------- through boto3

SLOW = """
import time

def handler(event, context):
    started = time.time()
    time.sleep(0.5)
    return {"i": event["i"], "start": started, "end": time.time()}
"""


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


def starts(name: str) -> list[int]:
    """Platform time (ms) of every START line in the function's log group."""
    logs = boto3.client("logs", region_name=REGION)
    found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    return sorted(e["timestamp"] for e in found if e["message"].startswith("START "))


def test_boto3_burst_with_reserved_concurrency_2(aws, lam, create):
    """Six Event invokes at once to a function with ReservedConcurrentExecutions=2: never more
    than 2 run at once, 4 attempts are throttled and retried 1 s later, 2 of those again 2 s
    after that; every event succeeds exactly once (on-success records in SQS)."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="done")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    name = create(SLOW)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig={
        "OnSuccess": {"Destination": arn["Attributes"]["QueueArn"]}})
    t0 = round(aws.clock.now() * 1000)
    for i in range(6):
        assert lam.invoke(FunctionName=name, InvocationType="Event",
                          Payload=json.dumps({"i": i}))["StatusCode"] == 202
    aws.advance(0)
    assert len(starts(name)) == 2
    aws.advance(1)
    assert len(starts(name)) == 4
    aws.advance(2)
    assert [round((t - t0) / 1000) for t in starts(name)] == [0, 0, 1, 1, 3, 3]
    records = []
    while len(records) < 6:
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        assert got, f"only {len(records)} on-success records"
        records += [json.loads(m["Body"]) for m in got]
    assert sorted(r["responsePayload"]["i"] for r in records) == list(range(6))
    assert {r["requestContext"]["condition"] for r in records} == {"Success"}
    spans = [(r["responsePayload"]["start"], r["responsePayload"]["end"]) for r in records]
    most = max(sum(s <= t < e for s, e in spans) for t, _ in spans)
    assert most == 2
    assert [e.throttles for e in aws.platform().async_events] == [0, 0, 1, 1, 2, 2]
