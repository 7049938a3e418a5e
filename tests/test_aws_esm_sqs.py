"""Event source mappings on SQS through boto3 (issue #4 §SQS): the API and its validation, the
record shape, success/failure/partial failure, redrive, batching window, scaling, FIFO order.

Time moves only by ``aws.advance``; moto's queues follow the platform clock, so a visibility
timeout of 30 s passes in ``advance(30)``.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import (  # noqa: F401
    REGION,
    create,
    depth,
    error_of,
    lam,
    logged_events,
    make_queue,
    role,
    session,
)
from conftest import wait_no_workers

from lambda_lab.sources import sqs_concurrency_limit, store_for

ECHO = """
import json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    return {}
"""
# Fails every record whose body starts with "bad" (ReportBatchItemFailures style, or raising).
PICKY = """
import json, os
def handler(event, context):
    bad = [r["messageId"] for r in event["Records"] if r["body"].startswith("bad")]
    if os.environ.get("MODE") == "raise" and bad:
        raise RuntimeError("bad records")
    if os.environ.get("MODE") == "malformed" and bad:
        return {"batchItemFailures": [{"itemIdentifier": ""}]}
    return {"batchItemFailures": [{"itemIdentifier": i} for i in bad]}
"""


@pytest.fixture
def aws():
    """Platform time moves only by ``aws.advance`` in these tests."""
    yield from session(virtual_clock=True)


@pytest.fixture
def sqs(aws):
    return boto3.client("sqs", region_name=REGION)


def history(aws, uuid: str) -> list[dict]:
    return store_for(aws.platform()).mappings[uuid].history


# ----------------------------------------------------------------- the API


def test_create_get_list_update_delete_and_states(aws, lam, sqs, create):
    _, arn = make_queue(sqs, "api")
    name = create(ECHO)
    made = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    uuid = made["UUID"]
    assert made["State"] == "Creating" and made["BatchSize"] == 10
    assert made["MaximumBatchingWindowInSeconds"] == 0 and made["EventSourceArn"] == arn
    assert made["FunctionArn"] == f"arn:aws:lambda:{REGION}:123456789012:function:{name}"
    aws.advance(0)
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Enabled"
    assert [m["UUID"] for m in lam.list_event_source_mappings(
        EventSourceArn=arn)["EventSourceMappings"]] == [uuid]
    assert [m["UUID"] for m in lam.list_event_source_mappings(
        FunctionName=name)["EventSourceMappings"]] == [uuid]
    assert lam.list_event_source_mappings(FunctionName="other")["EventSourceMappings"] == []
    assert error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name))[0] == "ResourceConflictException"
    updated = lam.update_event_source_mapping(UUID=uuid, BatchSize=5, Enabled=False)
    assert updated["State"] == "Disabling" and updated["BatchSize"] == 5
    aws.advance(0)
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    assert lam.delete_event_source_mapping(UUID=uuid)["State"] == "Deleting"
    code, message = error_of(lambda: lam.get_event_source_mapping(UUID=uuid))
    assert code == "ResourceNotFoundException"
    assert message == "The resource you requested does not exist."


def test_validation_errors_as_aws_words_them(aws, lam, sqs, create):
    _, arn = make_queue(sqs, "plain")
    _, fifo = make_queue(sqs, "ordered.fifo", FifoQueue="true")
    name = create(ECHO)
    code, message = error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=11))
    assert code == "InvalidParameterValueException"
    assert message == ("Maximum batch window in seconds must be greater than 0 if maximum batch "
                       "size is greater than 10")
    code, message = error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=10_001,
        MaximumBatchingWindowInSeconds=1))
    assert code == "ValidationException" and "less than or equal to 10000" in message
    assert error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=fifo, FunctionName=name, BatchSize=11,
        MaximumBatchingWindowInSeconds=1))[0] == "InvalidParameterValueException"
    # botocore refuses MaximumConcurrency 1 itself; the platform says the same to other clients
    from lambda_lab.errors import ValidationException

    with pytest.raises(ValidationException, match="greater than or equal to 2"):
        store_for(aws.platform()).create({"EventSourceArn": arn, "FunctionName": name,
                                          "ScalingConfig": {"MaximumConcurrency": 1}})
    # AWS-recorded (LocalStack test_event_source_mapping_exceptions): not a 404
    assert error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="nope")) == ("InvalidParameterValueException",
                                                      "Function does not exist")
    assert error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn.replace("plain", "missing"),
        FunctionName=name))[0] == "InvalidParameterValueException"
    # 10,000 with a window is fine on a standard queue
    ok = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                         BatchSize=10_000, MaximumBatchingWindowInSeconds=1)
    assert ok["BatchSize"] == 10_000


def test_visibility_timeout_shorter_than_function_timeout_is_refused(aws, lam, sqs, create):
    _, arn = make_queue(sqs, "short", VisibilityTimeout="10")
    name = create(ECHO, Timeout=60)
    code, message = error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name))
    assert code == "InvalidParameterValueException"
    assert message == ("Queue visibility timeout: 10 seconds is less than Function timeout: "
                       "60 seconds")


# ----------------------------------------------------------------- records and outcomes


def test_record_shape_and_success_deletes_the_batch(aws, lam, sqs, create):
    url, arn = make_queue(sqs, "shape")
    name = create(ECHO)
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    sqs.send_message(QueueUrl=url, MessageBody="hello", MessageAttributes={
        "colour": {"DataType": "String", "StringValue": "blue"}})
    aws.advance(1)
    (event,) = logged_events(name)
    (record,) = event["Records"]
    assert set(record) == {"messageId", "receiptHandle", "body", "attributes",
                           "messageAttributes", "md5OfMessageAttributes", "md5OfBody",
                           "eventSource", "eventSourceARN", "awsRegion"}
    assert record["body"] == "hello" and record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == arn and record["awsRegion"] == REGION
    assert list(record["attributes"]) == ["ApproximateReceiveCount", "SentTimestamp",
                                          "SenderId", "ApproximateFirstReceiveTimestamp"]
    assert record["attributes"]["ApproximateReceiveCount"] == "1"
    assert record["messageAttributes"] == {"colour": {
        "stringValue": "blue", "stringListValues": [], "binaryListValues": [],
        "dataType": "String"}}
    assert record["md5OfBody"] == "5d41402abc4b2a76b9719d911017c592"
    assert len(record["md5OfMessageAttributes"]) == 32
    assert depth(sqs, url) == (0, 0)


def test_fifo_record_attributes(aws, lam, sqs, create):
    url, arn = make_queue(sqs, "shape.fifo", FifoQueue="true")
    name = create(ECHO)
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)
    sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g1",
                     MessageDeduplicationId="d1")
    aws.advance(1)
    (record,) = logged_events(name)[0]["Records"]
    attrs = record["attributes"]
    assert attrs["MessageGroupId"] == "g1" and attrs["MessageDeduplicationId"] == "d1"
    assert attrs["SequenceNumber"]
    assert record["md5OfMessageAttributes"] is None and record["messageAttributes"] == {}


def test_failed_batch_reappears_after_the_visibility_timeout(aws, lam, sqs, create):
    url, arn = make_queue(sqs, "retry", VisibilityTimeout="30")
    name = create(PICKY, Environment={"Variables": {"MODE": "raise"}})
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)["UUID"]
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "1", "MessageBody": "good"}, {"Id": "2", "MessageBody": "bad"}])
    aws.advance(1)
    assert [h["outcome"] for h in history(aws, uuid)] == ["function error (Unhandled)"]
    assert len(history(aws, uuid)[0]["messages"]) == 2 and depth(sqs, url) == (0, 2)
    aws.advance(28)
    assert len(history(aws, uuid)) == 1
    aws.advance(2)
    assert len(history(aws, uuid)) == 2 and len(history(aws, uuid)[1]["messages"]) == 2


def test_report_batch_item_failures_returns_only_the_listed(aws, lam, sqs, create):
    url, arn = make_queue(sqs, "partial", VisibilityTimeout="30")
    name = create(PICKY)
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           FunctionResponseTypes=["ReportBatchItemFailures"])
    uuid = uuid["UUID"]
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": body} for i, body in enumerate(["a", "bad1", "b"])])
    aws.advance(1)
    (h,) = history(aws, uuid)
    assert h["outcome"] == "partial failure" and len(h["failed"]) == 1
    assert depth(sqs, url) == (0, 1)
    aws.advance(31)
    assert history(aws, uuid)[-1]["failed"] == h["failed"]  # only the bad one came back


def test_empty_answer_is_success_and_malformed_fails_the_whole_batch(aws, lam, sqs, create):
    url, arn = make_queue(sqs, "malformed", VisibilityTimeout="30")
    name = create(PICKY, Environment={"Variables": {"MODE": "malformed"}})
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           FunctionResponseTypes=["ReportBatchItemFailures"])
    uuid = uuid["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody="fine")
    aws.advance(1)
    assert history(aws, uuid)[-1]["outcome"] == "success" and depth(sqs, url) == (0, 0)
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": "1", "MessageBody": "good"}, {"Id": "2", "MessageBody": "bad"}])
    aws.advance(1)
    assert history(aws, uuid)[-1]["outcome"] == "malformed batchItemFailures response"
    assert depth(sqs, url) == (0, 2)


def test_redrive_policy_moves_a_poison_message_to_the_dlq(aws, lam, sqs, create):
    dlq_url, dlq_arn = make_queue(sqs, "dead")
    url, arn = make_queue(sqs, "poison", VisibilityTimeout="30", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 3}))
    name = create(PICKY, Environment={"Variables": {"MODE": "raise"}})
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody="bad")
    for _ in range(4):
        aws.advance(31)
    assert len(history(aws, uuid)) == 3
    assert depth(sqs, url) == (0, 0)
    (msg,) = sqs.receive_message(QueueUrl=dlq_url)["Messages"]
    assert msg["Body"] == "bad"


def test_batching_window_waits_for_a_full_batch_or_the_window(aws, lam, sqs, create):
    url, arn = make_queue(sqs, "window")
    name = create(ECHO)
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           BatchSize=100, MaximumBatchingWindowInSeconds=5)
    uuid = uuid["UUID"]
    aws.advance(0)
    for start in range(0, 30, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": str(i)} for i in range(start, start + 10)])
    aws.advance(2)
    assert history(aws, uuid) == []
    aws.advance(4)
    assert [len(h["messages"]) for h in history(aws, uuid)] == [30]


def test_disabled_mapping_does_not_poll(aws, lam, sqs, create):
    url, arn = make_queue(sqs, "off")
    name = create(ECHO)
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           Enabled=False)["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    aws.advance(5)
    assert lam.get_event_source_mapping(UUID=uuid)["State"] == "Disabled"
    assert history(aws, uuid) == [] and depth(sqs, url) == (1, 0)
    lam.update_event_source_mapping(UUID=uuid, Enabled=True)
    aws.advance(1)
    assert depth(sqs, url) == (0, 0)


def test_throttled_batches_stay_in_the_queue(aws, lam, sqs, create):
    url, arn = make_queue(sqs, "throttled", VisibilityTimeout="30")
    name = create(ECHO)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody="x")
    aws.advance(1)
    assert history(aws, uuid)[0]["outcome"].startswith("throttled")
    lam.delete_function_concurrency(FunctionName=name)
    aws.advance(31)
    assert history(aws, uuid)[-1]["outcome"] == "success" and depth(sqs, url) == (0, 0)


# ----------------------------------------------------------------- scaling


def test_scaling_rule_as_a_pure_function():
    assert sqs_concurrency_limit(0) == 5
    assert sqs_concurrency_limit(60) == 305
    assert sqs_concurrency_limit(30) == 155
    assert sqs_concurrency_limit(600) == 1000
    assert sqs_concurrency_limit(600, maximum=50) == 50
    assert sqs_concurrency_limit(59, rule="2020") == 5
    assert sqs_concurrency_limit(60, rule="2020") == 65
    assert sqs_concurrency_limit(3600, rule="2020") == 1000
    assert sqs_concurrency_limit(600, fifo_groups=3) == 3
    with pytest.raises(ValueError):
        sqs_concurrency_limit(1, rule="1999")


def test_maximum_concurrency_caps_batches_at_once(aws, lam, sqs, create):
    url, arn = make_queue(sqs, "capped")
    free_arn = make_queue(sqs, "free")[1]
    name = create(ECHO)
    for q in ("capped", "free"):  # the backlog is there before the pollers start
        qurl = sqs.get_queue_url(QueueName=q)["QueueUrl"]
        for start in range(0, 100, 10):
            sqs.send_message_batch(QueueUrl=qurl, Entries=[
                {"Id": str(i), "MessageBody": str(i)} for i in range(start, start + 10)])
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           ScalingConfig={"MaximumConcurrency": 2})["UUID"]
    assert lam.get_event_source_mapping(UUID=uuid)["ScalingConfig"] == {"MaximumConcurrency": 2}
    free = lam.create_event_source_mapping(EventSourceArn=free_arn, FunctionName=name)["UUID"]
    aws.advance(1)
    pollers = store_for(aws.platform()).pollers
    assert pollers[uuid].peak_concurrency == 2
    assert pollers[free].peak_concurrency == 5  # standard queues start with 5 batches
    assert depth(sqs, url) == (0, 0)


def test_fifo_keeps_order_per_group_and_one_batch_per_group(aws, lam, sqs, create):
    url, arn = make_queue(sqs, "order.fifo", FifoQueue="true")
    name = create(ECHO)
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           BatchSize=3)["UUID"]
    aws.advance(0)
    for i in range(12):
        sqs.send_message(QueueUrl=url, MessageBody=f"{'ab'[i % 2]}{i}",
                         MessageGroupId="ab"[i % 2], MessageDeduplicationId=str(i))
    aws.advance(1)
    bodies = [r["body"] for e in logged_events(name) for r in e["Records"]]
    for g in "ab":
        mine = [b for b in bodies if b[0] == g]
        assert mine == sorted(mine, key=lambda b: int(b[1:])) and len(mine) == 6
    assert store_for(aws.platform()).pollers[uuid].peak_concurrency <= 2


FEEDBACK = """
import boto3, os
def handler(event, context):
    sqs = boto3.client("sqs")
    for record in event["Records"]:
        sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=record["body"] + "+")
    return {}
"""


def test_a_function_feeding_its_own_queue_is_stopped_lambda_facts_recursive_loops(
        aws, lam, sqs, create):
    """lambda-facts B 'Recursive loop detection' / issue #3 §4: a function that keeps invoking
    itself through SQS is stopped after about 16 invocations (the lineage rides in the
    messages' AWSTraceHeader)."""
    url, arn = make_queue(sqs, "loop", VisibilityTimeout="60")
    name = create(FEEDBACK, MemorySize=1769, Timeout=10,
                  Environment={"Variables": {"QUEUE_URL": url}})
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           BatchSize=1)["UUID"]
    sqs.send_message(QueueUrl=url, MessageBody="m")
    for _ in range(40):
        aws.advance(1)
    outcomes = [h["outcome"] for h in history(aws, uuid)]
    assert outcomes.count("success") == 16, outcomes
    assert any("Recursive" in o for o in outcomes), outcomes


def test_with_real_time_the_poller_runs_by_itself():
    """Without ``advance``, platform time follows real time and the poller polls on its own."""
    import time

    from aws_helpers import make_zip

    import lambda_lab

    with lambda_lab.mock_aws(seed=1):
        client = boto3.client("sqs", region_name=REGION)
        url, arn = make_queue(client, "by-itself")
        trust = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole"}]})
        role_arn = boto3.client("iam", region_name=REGION).create_role(
            RoleName="rt", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        lam_rt = boto3.client("lambda", region_name=REGION)
        lam_rt.create_function(FunctionName="rt", Runtime="python3.12", Role=role_arn,
                               Handler="lambda_function.handler",
                               Code={"ZipFile": make_zip(ECHO)})
        lam_rt.create_event_source_mapping(EventSourceArn=arn, FunctionName="rt")
        client.send_message(QueueUrl=url, MessageBody="hello")
        deadline = time.monotonic() + 10
        while depth(client, url) != (0, 0) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert depth(client, url) == (0, 0)
    assert wait_no_workers() == set()
