"""One time for handlers and platform (issue #16 item 1).

On Lambda the handler's wall clock and the platform's timestamps are one clock: a record whose
expiry a handler computes from ``time.time()`` (Powertools Idempotency's ``expiration`` attribute,
DynamoDB TTL in epoch seconds — DynamoDB DG "Time to Live") expires when platform time passes it,
and a scheduled event's ``time`` (EventBridge UG "Amazon EventBridge events": the event's
timestamp) is the handler's ``datetime.now()`` when it runs. Durations are measured with the
monotonic clock, and ``get_remaining_time_in_millis()`` counts down to the deadline (DG "Using
the Lambda context object to retrieve Python function information").
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import boto3
import pytest
from aws_helpers import REGION, create, invoke_json, lam, role, session  # noqa: F401

CLOCKS = """
import datetime, time, pickle
def handler(event, context):
    real = type(datetime.datetime.max)   # the C class, as C code makes its instances
    now = datetime.datetime.now()
    return {
        "time": time.time(), "time_ns": time.time_ns() / 1e9,
        "clock_gettime": time.clock_gettime(time.CLOCK_REALTIME),
        "now_utc": datetime.datetime.now(datetime.timezone.utc).timestamp(),
        "now": now.replace(tzinfo=datetime.timezone.utc).timestamp(),
        "utcnow": datetime.datetime.utcnow().replace(tzinfo=datetime.timezone.utc).timestamp(),
        "today": datetime.datetime.today().replace(tzinfo=datetime.timezone.utc).timestamp(),
        "date_today": datetime.date.today().isoformat(),
        "gmtime": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime()),
        "remaining_ms": context.get_remaining_time_in_millis(),
        "isinstance_c": isinstance(datetime.datetime.max, datetime.datetime),
        "isinstance_date": isinstance(now, datetime.date),
        "pickled": pickle.loads(pickle.dumps(now)) == now,
        "real_subclass": issubclass(real, datetime.datetime) and isinstance(now, real),
    }
"""

IDEMPOTENT = """
import time, boto3
table = boto3.resource("dynamodb").Table("idempotency")
def handler(event, context):
    item = table.get_item(Key={"id": event["key"]}).get("Item")
    if item and int(item["expiration"]) > time.time():
        return {"from": "cache", "value": int(item["value"])}
    value = int(time.time())
    table.put_item(Item={"id": event["key"], "value": value,
                         "expiration": int(time.time()) + 3600})
    return {"from": "handler", "value": value}
"""

SLEEPER = """
import time
def handler(event, context):
    t0, before = time.monotonic(), context.get_remaining_time_in_millis()
    time.sleep(0.3)
    return {"slept": time.monotonic() - t0, "before": before,
            "after": context.get_remaining_time_in_millis()}
"""

SCHEDULED = """
import datetime
def handler(event, context):
    return {"event_time": event["time"],
            "now": datetime.datetime.now(datetime.timezone.utc).isoformat()}
"""


@pytest.fixture
def aws() -> Iterator[Any]:
    yield from session(virtual_clock=True)


def test_wall_clock_reads_follow_platform_time_after_advance(aws, lam, create):
    name = create(CLOCKS, Timeout=10)
    aws.advance(3600 * 24 * 3)  # three days ahead of the host
    before = aws.clock.now()
    resp, got = invoke_json(lam, name)
    assert "FunctionError" not in resp, got
    after = aws.clock.now() + 1.0
    for key in ("time", "time_ns", "clock_gettime", "now_utc", "now", "utcnow", "today"):
        assert before - 1.0 <= got[key] <= after, (key, got[key], before)
    assert got["date_today"] == datetime.utcfromtimestamp(before).date().isoformat()
    assert got["gmtime"][:13] == datetime.utcfromtimestamp(before).isoformat()[:13]
    assert 9000 < got["remaining_ms"] <= 10000  # the deadline stays real
    assert got["isinstance_c"] and got["isinstance_date"] and got["pickled"]
    assert got["real_subclass"]


def test_idempotency_record_expires_after_advance(aws, lam, create):
    """Boto3 in the handler signs with the shifted clock (SigV4's X-Amz-Date) and the emulated
    DynamoDB accepts it; the record's expiry, an hour of handler time, passes with advance."""
    ddb = boto3.client("dynamodb", region_name=REGION)
    ddb.create_table(TableName="idempotency", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    name = create(IDEMPOTENT, Timeout=30, MemorySize=1769)
    resp, first = invoke_json(lam, name, {"key": "order-1"})
    assert "FunctionError" not in resp, first
    assert first["from"] == "handler"
    aws.advance(1800)
    _, second = invoke_json(lam, name, {"key": "order-1"})
    assert second == {"from": "cache", "value": first["value"]}
    aws.advance(1801)
    _, third = invoke_json(lam, name, {"key": "order-1"})
    assert third["from"] == "handler"
    assert third["value"] >= first["value"] + 3601


def test_durations_and_remaining_time_stay_real(aws, lam, create):
    name = create(SLEEPER, Timeout=3)
    aws.advance(3600)
    resp, got = invoke_json(lam, name, LogType="Tail")
    assert "FunctionError" not in resp, got
    assert 0.3 <= got["slept"] < 2.0
    assert 2000 < got["before"] <= 3000
    assert 250 <= got["before"] - got["after"] < 2000


def test_scheduled_event_time_is_the_handlers_now(aws, lam, create):
    events = boto3.client("events", region_name=REGION)
    name = create(SCHEDULED)
    arn = events.put_rule(Name="every5", ScheduleExpression="rate(5 minutes)")["RuleArn"]
    lam.add_permission(FunctionName=name, StatementId="events", Principal="events.amazonaws.com",
                       Action="lambda:InvokeFunction", SourceArn=arn)
    fn = f"arn:aws:lambda:{REGION}:123456789012:function:{name}"
    events.put_targets(Rule="every5", Targets=[{"Id": "fn", "Arn": fn}])
    aws.advance(3600)
    assert aws.wait_async(60)
    got = [json.loads(e.result.raw_payload) for e in aws.async_events
           if e.function_name == name and e.result is not None]
    assert got
    for run in got:
        event_time = datetime.fromisoformat(run["event_time"].replace("Z", "+00:00"))
        now = datetime.fromisoformat(run["now"])
        assert abs((now - event_time).total_seconds()) < 1.0, run
