"""Helpers of notebooks/05-event-sources (log lines, queue depth, captured warnings) and the
``partial-batch`` exercise's checker, each through a real event source under ``mock_aws``."""

from __future__ import annotations

import json
import logging

import boto3
import pytest
from aws_helpers import REGION, make_zip, session

from lambda_lab.course import exercises as ex
from lambda_lab.course.chapters.ch05_event_sources import helpers as es
from lambda_lab.course.progress import ENV_VAR
from lambda_lab.course.roles import lambda_role

FAILS_ON_BAD = """
def handler(event, context):
    bodies = [r["body"] for r in event["Records"]]
    print("got", bodies)
    if "bad" in bodies:
        raise ValueError("bad message")
"""


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "progress.json"))


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


def deploy(name: str, source: str, **params) -> None:
    iam = boto3.client("iam", region_name=REGION)
    role = lambda_role(iam, name)
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="lambda_function.handler",
        Code={"ZipFile": make_zip(source)}, **params)


def test_log_lines_and_queue_depth_show_a_whole_batch_coming_back(aws):
    """lambda-facts A 'SQS batch error': by default a function error returns the whole batch
    after the visibility timeout; the log shows what the handler printed and its [ERROR] line,
    timed in platform seconds."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="jobs", Attributes={"VisibilityTimeout": "30"})["QueueUrl"]
    assert es.queue_arn(url) == f"arn:aws:sqs:{REGION}:123456789012:jobs"
    deploy("worker", FAILS_ON_BAD)
    boto3.client("lambda", region_name=REGION).create_event_source_mapping(
        EventSourceArn=es.queue_arn(url), FunctionName="worker")
    assert es.log_lines("worker") == "(nothing logged)"
    since = aws.clock.now()
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "1", "MessageBody": "good"}, {"Id": "2", "MessageBody": "bad"}])
    aws.advance(1)
    assert es.queue_depth(url) == "jobs: 0 visible, 2 in flight"
    aws.advance(30)
    lines = es.log_lines("worker", since=since).splitlines()
    assert lines == [
        "t=    0 s  got ['good', 'bad']",
        "t=    0 s  [ERROR] ValueError: bad message",
        "t=   30 s  got ['good', 'bad']",
        "t=   30 s  [ERROR] ValueError: bad message",
    ]
    later = es.log_lines("worker", since=since + 10, times=False)
    assert later.splitlines() == ["got ['good', 'bad']", "[ERROR] ValueError: bad message"]


def test_logged_json_reads_marked_lines(aws):
    deploy("echo", "import json\ndef handler(event, context):\n"
                   "    print('EVENT ' + json.dumps(event))\n")
    lam = boto3.client("lambda", region_name=REGION)
    lam.invoke(FunctionName="echo", Payload=json.dumps({"a": 1}))
    lam.invoke(FunctionName="echo", Payload=json.dumps({"a": 2}))
    assert es.logged_json("echo") == [{"a": 1}, {"a": 2}]


def test_capture_warnings_keeps_a_refused_delivery_off_stderr(aws, capsys):
    """DG access-control-resource-based: without add_permission EventBridge may not invoke the
    function; the emulator's warning is collected, not printed on stderr."""
    log = es.capture_warnings()
    try:
        assert es.capture_warnings() is log
        deploy("target", "def handler(event, context):\n    return event\n")
        events = boto3.client("events", region_name=REGION)
        events.put_rule(Name="orders", EventPattern=json.dumps({"source": ["shop"]}))
        events.put_targets(Rule="orders", Targets=[{
            "Id": "fn", "Arn": f"arn:aws:lambda:{REGION}:123456789012:function:target"}])
        events.put_events(Entries=[{"Source": "shop", "DetailType": "x", "Detail": "{}"}])
        assert any("events.amazonaws.com was refused" in m for m in log.messages)
        assert capsys.readouterr().err == ""
    finally:
        logging.getLogger("lambda_lab").removeHandler(log)


def test_partial_batch_checker_hints_at_a_raising_handler():
    """DG services-sqs-errorhandling: a handler that raises fails the whole batch."""
    def handler(event, context):
        return {"batchItemFailures": [json.loads(r["body"]) for r in event["Records"]]}

    feedback = ex.get("partial-batch").check(handler)
    assert feedback.text.startswith("❌ 1 of 4 checks pass — hint: a body that is not JSON made "
                                    "the handler raise JSONDecodeError")


def test_partial_batch_checker_rejects_reporting_valid_messages():
    def handler(event, context):
        return {"batchItemFailures": [{"itemIdentifier": r["messageId"]}
                                      for r in event["Records"]]}

    feedback = ex.get("partial-batch").check(handler)
    assert feedback.text == (
        "❌ 2 of 4 checks pass — hint: the body '{\"order\": 1}' is valid JSON: report only "
        "the records that json.loads cannot parse"
    )


def test_partial_batch_checker_uses_the_active_session_and_cleans_up(aws):
    """mock_aws sessions do not nest: inside a notebook's session the checker runs its queue and
    function there, and removes them afterwards."""
    exercise = ex.get("partial-batch")
    feedback = exercise.check(exercise.reference_answer())
    assert feedback.ok, feedback.text
    lam = boto3.client("lambda", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    assert lam.list_functions()["Functions"] == []
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []
    assert sqs.list_queues().get("QueueUrls", []) == []
    iam = boto3.client("iam", region_name=REGION)
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]
            if r["RoleName"].startswith("exercise-")] == []

