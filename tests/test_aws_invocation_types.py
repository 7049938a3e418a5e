"""InvocationType Event / DryRun and LogType Tail (issue #3 section 1).

Event: 202, empty body, the handler runs later on the platform's queue (moto runs it inside the
request) and its outcome is recorded. DryRun: 204, the handler does not run. LogType Tail:
LogResult is base64 of the last 4 KB of the log.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import base64
import json

from aws_helpers import aws, create, invoke_json, lam, poll, role, s3  # noqa: F401

WRITER = """
import time, boto3
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    boto3.client("s3").put_object(Bucket="results", Key=event["key"], Body=context.aws_request_id)
    return "written"
"""


def _keys(s3) -> list[str]:
    return [o["Key"] for o in s3.list_objects_v2(Bucket="results").get("Contents", [])]


def test_event_returns_202_and_the_handler_runs_later(aws, lam, s3, create):
    s3.create_bucket(Bucket="results")
    name = create(WRITER, MemorySize=1769, Timeout=30)
    resp = lam.invoke(FunctionName=name, InvocationType="Event",
                      Payload=json.dumps({"key": "async", "sleep": 0.5}))
    assert resp["StatusCode"] == 202
    assert resp["Payload"].read() == b""
    assert _keys(s3) == []  # not run inside the caller's request
    poll(lambda: _keys(s3) == ["async"])
    assert aws.wait_async(30)
    (event,) = aws.async_events
    assert event.status == "succeeded" and event.result.payload == "written"
    body = s3.get_object(Bucket="results", Key="async")["Body"].read().decode()
    assert body == event.request_id  # context.aws_request_id is the Invoke's request id


def test_a_failing_event_is_recorded_not_lost(aws, lam, create):
    name = create("def handler(event, context):\n    raise RuntimeError('boom')\n")
    assert lam.invoke(FunctionName=name, InvocationType="Event")["StatusCode"] == 202
    aws.advance(180)  # retried twice, 1 then 2 minutes later (issue #3 section 4)
    (event,) = aws.async_events
    assert event.status == "failed" and event.result.error_type == "RuntimeError"


def test_dry_run_returns_204_and_does_not_run(aws, lam, create):
    name = create("def handler(event, context):\n    raise RuntimeError('must not run')\n")
    resp = lam.invoke(FunctionName=name, InvocationType="DryRun")
    assert resp["StatusCode"] == 204
    assert aws.platform().environments(name) == []


def test_log_type_tail_returns_the_last_4_kb_base64(lam, create):
    name = create("def handler(event, context):\n    print('x' * 3000)\n    print('last line')\n")
    resp, _ = invoke_json(lam, name, LogType="Tail")
    tail = base64.b64decode(resp["LogResult"])
    assert len(tail) <= 4096
    text = tail.decode()
    assert "last line" in text and "REPORT RequestId:" in text
    assert "LogResult" not in invoke_json(lam, name)[0]


def test_invoke_response_request_id_is_the_invocations(aws, lam, create):
    """The Invoke response's x-amzn-RequestId is the invocation's request id, the one the
    handler sees as context.aws_request_id (and the START/END/REPORT lines show)."""
    name = create("def handler(e, c):\n    return c.aws_request_id\n")
    r = lam.invoke(FunctionName=name)
    assert json.loads(r["Payload"].read()) == r["ResponseMetadata"]["RequestId"]
