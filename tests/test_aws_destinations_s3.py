"""Amazon S3 buckets as on-failure destinations of asynchronous invocations, and the SNS
message size limit for SNS destinations, through boto3 on a virtual clock.

DG invocation-async-retain-records: "Amazon S3 – An Amazon S3 bucket (on failure only)"; "Lambda
stores the invocation record as a JSON object in the destination bucket"; the object name is
``aws/lambda/async/<function-name>/YYYY/MM/DD/YYYY-MM-DDTHH.MM.SS-<Random UUID>``. "Amazon SNS has a
maximum message size limit of 256 KB ... the invocation record ... may exceed the Amazon SNS limit
and cause delivery failures" (lambda-facts.md "Destinations": SNS 256 KB).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import datetime as dt
import json
import logging
import re

import boto3
import pytest
from aws_helpers import REGION, create, lam, role, session  # noqa: F401
from botocore.exceptions import ClientError

FAILING = """
def handler(event, context):
    raise RuntimeError("boom")
"""
OK = "def handler(event, context):\n    return event\n"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def s3(aws):
    return boto3.client("s3", region_name=REGION)


def fail_once_to(lam, name: str, destination: str) -> None:
    lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": destination}})


def test_on_failure_record_is_written_to_the_bucket(aws, lam, s3, create):
    s3.create_bucket(Bucket="failures")
    name = create(FAILING)
    fail_once_to(lam, name, "arn:aws:s3:::failures")
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"order": 7}')
    aws.advance(0)
    when = dt.datetime.fromtimestamp(aws.platform().clock.now(), dt.timezone.utc)
    (obj,) = s3.list_objects_v2(Bucket="failures")["Contents"]
    stamp = when.strftime("%Y/%m/%d/%Y-%m-%dT%H.%M.")
    assert re.fullmatch(rf"aws/lambda/async/{name}/{re.escape(stamp)}\d\d-{UUID}", obj["Key"])
    record = json.loads(s3.get_object(Bucket="failures", Key=obj["Key"])["Body"].read())
    assert record["version"] == "1.0"
    assert record["requestContext"]["requestId"] == aws.async_events[0].request_id
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["requestPayload"] == {"order": 7}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorMessage"] == "boom"
    assert aws.async_events[0].deliveries == ["on-failure arn:aws:s3:::failures"]


def test_s3_is_not_an_on_success_destination(lam, create):
    """S3 is on failure only (DG); the rejection's wording is the emulator's."""
    name = create(OK)
    with pytest.raises(ClientError) as info:
        lam.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnSuccess": {"Destination":
                                                               "arn:aws:s3:::bucket"}})
    assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_a_missing_bucket_is_a_delivery_failure_with_a_log_line(aws, lam, create, caplog):
    name = create(FAILING)
    fail_once_to(lam, name, "arn:aws:s3:::no-such-bucket")
    with caplog.at_level(logging.WARNING, logger="lambda_lab.async"):
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
        aws.advance(0)
    (event,) = aws.async_events
    assert event.deliveries == [] and "no-such-bucket" in event.error
    assert any("no-such-bucket" in r.getMessage() for r in caplog.records)


def test_sns_destination_refuses_records_over_256_kb_with_a_log_line(aws, lam, create, caplog):
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="failures")["TopicArn"]
    url = sqs.create_queue(QueueName="via-sns")["QueueUrl"]
    qarn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    sns.subscribe(TopicArn=topic, Protocol="sqs",
                  Endpoint=qarn["Attributes"]["QueueArn"])
    name = create(FAILING)
    fail_once_to(lam, name, topic)
    small, big = b'{"n": "x"}', json.dumps({"n": "x" * 300_000}).encode()
    with caplog.at_level(logging.WARNING, logger="lambda_lab.async"):
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=small)
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=big)
        aws.advance(0)
    ok, too_big = sorted(aws.async_events, key=lambda e: len(e.payload))
    assert ok.deliveries == [f"on-failure {topic}"]
    assert too_big.deliveries == [] and "256 KB" in too_big.error
    assert any(too_big.request_id in r.getMessage() and "256 KB" in r.getMessage()
               for r in caplog.records)
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    assert len(got) == 1
