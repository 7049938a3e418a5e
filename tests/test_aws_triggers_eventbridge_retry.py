"""EventBridge RetryPolicy and DeadLetterConfig for Lambda targets, through boto3 on a virtual
clock (issue #4). AWS facts (EventBridge UG "Event retry policy and using dead-letter queues",
API RetryPolicy/DeadLetterConfig):

* RetryPolicy: MaximumRetryAttempts 0–185 (default 185), MaximumEventAgeInSeconds 60–86,400
  (default 86,400); retriable errors are retried with exponential back-off and jitter;
* missing permissions or a target that no longer exists are not retried: straight to the DLQ;
* DLQ messages carry RULE_ARN, TARGET_ARN, ERROR_CODE (e.g. NO_PERMISSIONS, NO_RESOURCE,
  THROTTLING), ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION (MaximumRetryAttempts or
  MaximumEventAgeInSeconds) and RETRY_ATTEMPTS;
* without a DLQ an undeliverable event is dropped (here: with a warning in the log);
* once Lambda accepted the async Invoke, Lambda's own async retries apply, not EventBridge's.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
import logging

import boto3
import pytest
from aws_helpers import REGION, create, lam, role, session  # noqa: F401
from botocore.exceptions import ClientError

from lambda_lab.errors import TooManyRequestsException
from lambda_lab.sources import triggers

ECHO = "def handler(event, context):\n    return event\n"
ACCOUNT = "123456789012"
PATTERN = {"source": ["shop.orders"]}


@pytest.fixture
def aws():
    """Platform time moves only by ``aws.advance`` in these tests."""
    yield from session(virtual_clock=True)


@pytest.fixture
def events(aws):
    return boto3.client("events", region_name=REGION)


@pytest.fixture
def sqs(aws):
    return boto3.client("sqs", region_name=REGION)


def fn_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def allow(lam, name: str) -> None:
    lam.add_permission(FunctionName=name, StatementId="events", Action="lambda:InvokeFunction",
                       Principal="events.amazonaws.com")


def dlq(sqs, name: str = "events-dlq") -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, f"arn:aws:sqs:{REGION}:{ACCOUNT}:{name}"


def rule(events, target: dict, name: str = "orders") -> str:
    arn = events.put_rule(Name=name, EventPattern=json.dumps(PATTERN))["RuleArn"]
    events.put_targets(Rule=name, Targets=[{"Id": "fn", **target}])
    return arn


def put_order(events, order: int = 1) -> None:
    out = events.put_events(Entries=[{"Source": "shop.orders", "DetailType": "Order Placed",
                                      "Detail": json.dumps({"order": order})}])
    assert out["FailedEntryCount"] == 0


def dead_letters(sqs, url: str) -> list[tuple[dict, dict[str, str]]]:
    """The messages in the queue now (received and deleted)."""
    out = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                              MessageAttributeNames=["All"]).get("Messages", [])
    for m in out:
        sqs.delete_message(QueueUrl=url, ReceiptHandle=m["ReceiptHandle"])
    return [(json.loads(m["Body"]), {k: v["StringValue"]
                                     for k, v in m.get("MessageAttributes", {}).items()})
            for m in out]


def throttle(aws, monkeypatch, times: int) -> list[float]:
    """Lambda answers the async Invoke with 429 the first ``times`` calls (the emulator does not
    model the Invoke request-rate quota, so the test injects it); returns the call times."""
    platform = aws.platform()
    original = platform.invoke
    calls: list[float] = []

    def invoke(ref, payload=b"", **kwargs):
        if kwargs.get("invocation_type") == "Event":
            calls.append(aws.clock.now())
            if len(calls) <= times:
                raise TooManyRequestsException("Rate Exceeded.", reason="CallerRateLimitExceeded")
        return original(ref, payload, **kwargs)

    monkeypatch.setattr(platform, "invoke", invoke)
    return calls


def received(aws, name: str) -> list:
    assert aws.wait_async(60)
    return [json.loads(e.result.raw_payload) for e in aws.async_events
            if e.function_name == name and e.result is not None]


@pytest.mark.parametrize("policy, message", [
    ({"MaximumRetryAttempts": 186},
     "1 validation error detected: Value '186' at 'targets.1.member.retryPolicy."
     "maximumRetryAttempts' failed to satisfy constraint: Member must have value less than or "
     "equal to 185"),
    ({"MaximumEventAgeInSeconds": 86401},
     "1 validation error detected: Value '86401' at 'targets.1.member.retryPolicy."
     "maximumEventAgeInSeconds' failed to satisfy constraint: Member must have value less than "
     "or equal to 86400"),
])
def test_invalid_retry_policy_is_a_validation_exception(events, policy, message):
    """API RetryPolicy: MaximumRetryAttempts 0–185, MaximumEventAgeInSeconds 60–86,400 (the
    lower bounds boto3 already checks on the client)."""
    events.put_rule(Name="orders", EventPattern=json.dumps(PATTERN))
    with pytest.raises(ClientError) as info:
        events.put_targets(Rule="orders", Targets=[
            {"Id": "fn", "Arn": fn_arn("f"), "RetryPolicy": policy}])
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert info.value.response["Error"]["Message"] == message
    assert events.list_targets_by_rule(Rule="orders")["Targets"] == []


def test_retry_policy_and_dead_letter_config_are_kept(events, sqs):
    _, queue = dlq(sqs)
    target = {"Id": "fn", "Arn": fn_arn("f"), "DeadLetterConfig": {"Arn": queue},
              "RetryPolicy": {"MaximumRetryAttempts": 0, "MaximumEventAgeInSeconds": 60}}
    events.put_rule(Name="orders", EventPattern=json.dumps(PATTERN))
    events.put_targets(Rule="orders", Targets=[target])
    assert events.list_targets_by_rule(Rule="orders")["Targets"] == [target]


def test_missing_permission_goes_straight_to_the_dlq(aws, events, sqs, create):
    """Missing permissions are not retried: the event goes to the DLQ at once (RETRY_ATTEMPTS
    0, no EXHAUSTED_RETRY_CONDITION)."""
    name = create(ECHO)
    url, queue = dlq(sqs)
    rule_arn = rule(events, {"Arn": fn_arn(name), "DeadLetterConfig": {"Arn": queue}})
    put_order(events, 7)
    ((body, attrs),) = dead_letters(sqs, url)
    assert body["source"] == "shop.orders" and body["detail"] == {"order": 7}
    assert body["detail-type"] == "Order Placed" and body["time"].endswith("Z")
    assert attrs["RULE_ARN"] == rule_arn and attrs["TARGET_ARN"] == fn_arn(name)
    assert attrs["ERROR_CODE"] == "NO_PERMISSIONS" and "events.amazonaws.com" in attrs[
        "ERROR_MESSAGE"]
    assert attrs["RETRY_ATTEMPTS"] == "0" and "EXHAUSTED_RETRY_CONDITION" not in attrs
    aws.advance(86_400)
    assert [d.outcome for d in triggers.deliveries()] == ["denied"]  # never retried
    assert dead_letters(sqs, url) == [] and received(aws, name) == []


def test_scheduled_rule_with_a_missing_function_dead_letters_each_fire(aws, events, sqs):
    """A target function that does not exist is not retried (NO_RESOURCE); scheduled rules'
    Lambda targets take the same path as pattern rules'."""
    url, queue = dlq(sqs)
    rule_arn = events.put_rule(Name="tick", ScheduleExpression="rate(5 minutes)")["RuleArn"]
    events.put_targets(Rule="tick", Targets=[{"Id": "fn", "Arn": fn_arn("gone"),
                                              "DeadLetterConfig": {"Arn": queue}}])
    aws.advance(600)
    got = dead_letters(sqs, url)
    assert len(got) == 2
    for body, attrs in got:
        assert body["detail-type"] == "Scheduled Event" and body["resources"] == [rule_arn]
        assert attrs["ERROR_CODE"] == "NO_RESOURCE" and attrs["RETRY_ATTEMPTS"] == "0"
        assert "gone" in attrs["ERROR_MESSAGE"]
    assert len(triggers.deliveries()) == 2


def test_throttled_invoke_is_retried_with_back_off(aws, events, sqs, lam, create, monkeypatch):
    """Throttling is retriable: EventBridge retries on the platform clock with growing waits and
    delivers the event once Lambda accepts it; the DLQ stays empty."""
    name = create(ECHO)
    allow(lam, name)
    url, queue = dlq(sqs)
    calls = throttle(aws, monkeypatch, times=4)
    rule(events, {"Arn": fn_arn(name), "DeadLetterConfig": {"Arn": queue}})
    put_order(events)
    assert len(calls) == 1 and received(aws, name) == []
    for _ in range(60):
        if len(calls) == 5:
            break
        aws.advance(1)
    assert len(calls) == 5
    gaps = [b - a for a, b in zip(calls, calls[1:], strict=False)]
    assert all(g > 0 for g in gaps) and gaps == sorted(gaps)  # exponential back-off
    assert [e["detail"] for e in received(aws, name)] == [{"order": 1}]
    assert dead_letters(sqs, url) == []
    outcomes = [d.outcome for d in triggers.deliveries()]
    assert outcomes == ["failed"] * 4 + ["invoked"]


def test_retry_attempts_exhausted_go_to_the_dlq(aws, events, sqs, lam, create, monkeypatch):
    name = create(ECHO)
    allow(lam, name)
    url, queue = dlq(sqs)
    calls = throttle(aws, monkeypatch, times=1000)
    rule(events, {"Arn": fn_arn(name), "DeadLetterConfig": {"Arn": queue},
                  "RetryPolicy": {"MaximumRetryAttempts": 2}})
    put_order(events)
    aws.advance(3600)
    assert len(calls) == 3  # the first attempt and 2 retries
    ((body, attrs),) = dead_letters(sqs, url)
    assert body["detail"] == {"order": 1}
    assert attrs["ERROR_CODE"] == "THROTTLING" and attrs["RETRY_ATTEMPTS"] == "2"
    assert attrs["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    assert received(aws, name) == []


def test_zero_retry_attempts(aws, events, sqs, lam, create, monkeypatch):
    name = create(ECHO)
    allow(lam, name)
    url, queue = dlq(sqs)
    calls = throttle(aws, monkeypatch, times=1)
    rule(events, {"Arn": fn_arn(name), "DeadLetterConfig": {"Arn": queue},
                  "RetryPolicy": {"MaximumRetryAttempts": 0}})
    put_order(events)
    ((_, attrs),) = dead_letters(sqs, url)
    assert attrs["RETRY_ATTEMPTS"] == "0"
    assert attrs["EXHAUSTED_RETRY_CONDITION"] == "MaximumRetryAttempts"
    aws.advance(600)
    assert len(calls) == 1 and received(aws, name) == []


def test_event_age_exhausted_goes_to_the_dlq(aws, events, sqs, lam, create, monkeypatch):
    name = create(ECHO)
    allow(lam, name)
    url, queue = dlq(sqs)
    calls = throttle(aws, monkeypatch, times=10_000)
    rule(events, {"Arn": fn_arn(name), "DeadLetterConfig": {"Arn": queue},
                  "RetryPolicy": {"MaximumEventAgeInSeconds": 60}})
    put_order(events)
    aws.advance(3600)
    ((_, attrs),) = dead_letters(sqs, url)
    assert attrs["EXHAUSTED_RETRY_CONDITION"] == "MaximumEventAgeInSeconds"
    assert attrs["ERROR_CODE"] == "THROTTLING"
    assert 2 <= len(calls) < 185 and attrs["RETRY_ATTEMPTS"] == str(len(calls) - 1)
    assert calls[-1] - calls[0] <= 60  # no attempt past the event's maximum age


def test_without_a_dlq_the_event_is_dropped_with_a_log_line(aws, events, create, caplog):
    name = create(ECHO)
    rule_arn = rule(events, {"Arn": fn_arn(name)})
    with caplog.at_level(logging.WARNING, logger="lambda_lab.sources"):
        put_order(events)
    dropped = [r.getMessage() for r in caplog.records if "dropped" in r.getMessage()]
    assert len(dropped) == 1
    assert rule_arn in dropped[0] and "NO_PERMISSIONS" in dropped[0]


def test_a_dlq_that_cannot_take_the_event_is_logged(aws, events, create, caplog):
    name = create(ECHO)
    missing = f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-such-queue"
    rule(events, {"Arn": fn_arn(name), "DeadLetterConfig": {"Arn": missing}})
    with caplog.at_level(logging.WARNING, logger="lambda_lab.sources"):
        put_order(events)
    lost = [r.getMessage() for r in caplog.records if missing in r.getMessage()]
    assert len(lost) == 1 and "dropped" in lost[0]


def test_function_errors_follow_lambdas_async_rules_not_eventbridges(aws, events, sqs, lam,
                                                                    create):
    """Once Lambda accepted the async Invoke, EventBridge's part is done: a failing handler is
    retried by Lambda (MaximumRetryAttempts of the function), and EventBridge's DLQ stays
    empty."""
    name = create("def handler(event, context):\n    raise RuntimeError('boom')\n")
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    allow(lam, name)
    url, queue = dlq(sqs)
    rule(events, {"Arn": fn_arn(name), "DeadLetterConfig": {"Arn": queue}})
    put_order(events)
    assert aws.wait_async(60)
    aws.advance(600)
    assert aws.wait_async(60)
    (event,) = [e for e in aws.async_events if e.function_name == name]
    assert event.attempts == 2 and event.status == "failed"
    assert dead_letters(sqs, url) == []
    assert [d.outcome for d in triggers.deliveries()] == ["invoked"]
