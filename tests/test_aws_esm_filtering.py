"""FilterCriteria on SQS, Kinesis and DynamoDB Streams mappings through boto3.

Sources: Lambda DG "Control which events Lambda sends to your function" ("If none of your
filters are satisfied, Lambda discards the record"; "If an Amazon SQS message doesn't satisfy
your filter criteria, Lambda automatically removes the message from the queue"; for Kinesis and
DynamoDB "the streams iterator advances past this record"; "If you're using batching windows,
Lambda applies your filter criteria to each new event to determine whether to add it to the
current batch"; "To remove filter criteria ... run UpdateEventSourceMapping with an empty
FilterCriteria object"); DG "Types of metrics" (Invocations: "The value of Invocations equals
the number of requests billed"); AWS's recorded answers (LocalStack snapshots:
test_sqs_event_filter — the create response carries FilterCriteria; test_sqs_invalid_event_filter
— InvalidParameterValueException "Invalid filter pattern definition."; test_dynamodb_event_filter
— eventName and typed-image filters, numeric never matching a DynamoDB ``N`` string,
ApproximateCreationDateTime numeric; test_create_event_filter_criteria_validation — an empty
Filters list leaves no FilterCriteria in the answer).

Time moves only by ``aws.advance``.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import base64
import datetime as dt
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

from lambda_lab.sources import store_for

ECHO = """
import json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    return {}
"""
FAIL = """
def handler(event, context):
    raise RuntimeError("nothing may reach me")
"""
ORDERS = {"Filters": [{"Pattern": json.dumps({"body": {"type": ["order"]}})}]}


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def sqs(aws):
    return boto3.client("sqs", region_name=REGION)


def mapping(aws, uuid: str):
    return store_for(aws.platform()).mappings[uuid]


# ----------------------------------------------------------------- the API


def test_filter_criteria_on_create_get_update_and_clear(aws, lam, sqs, create):
    _, arn = make_queue(sqs, "api")
    name = create(ECHO)
    made = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           FilterCriteria=ORDERS)
    uuid = made["UUID"]
    assert made["FilterCriteria"] == ORDERS
    assert lam.get_event_source_mapping(UUID=uuid)["FilterCriteria"] == ORDERS
    listed = lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"]
    assert listed[0]["FilterCriteria"] == ORDERS
    refunds = {"Filters": [{"Pattern": '{"body": {"type": ["refund"]}}'},
                           {"Pattern": '{"body": {"type": ["order"]}}'}]}
    assert lam.update_event_source_mapping(UUID=uuid, FilterCriteria=refunds)[
        "FilterCriteria"] == refunds
    # an update without FilterCriteria keeps it
    assert lam.update_event_source_mapping(UUID=uuid, BatchSize=5)["FilterCriteria"] == refunds
    cleared = lam.update_event_source_mapping(UUID=uuid, FilterCriteria={"Filters": []})
    assert "FilterCriteria" not in cleared
    lam.update_event_source_mapping(UUID=uuid, FilterCriteria=ORDERS)
    assert "FilterCriteria" not in lam.update_event_source_mapping(UUID=uuid, FilterCriteria={})
    assert "FilterCriteria" not in lam.get_event_source_mapping(UUID=uuid)


def test_empty_filters_on_create_leave_no_criteria(aws, lam, create):
    ddb = boto3.client("dynamodb", region_name=REGION)
    stream = make_table(ddb, "empty-filters")
    made = lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=create(ECHO),
                                           StartingPosition="LATEST",
                                           FilterCriteria={"Filters": []})
    assert "FilterCriteria" not in made


@pytest.mark.parametrize("pattern", [
    "simple string", "null", json.dumps({"eventSource": "aws:sqs"}),
    json.dumps({"eventSource": []}), json.dumps({"body": {"total": [{"numeric": [">", "x"]}]}}),
])
def test_invalid_patterns_fail_create_and_update(aws, lam, sqs, create, pattern):
    _, arn = make_queue(sqs, "invalid")
    name = create(ECHO)
    bad = {"Filters": [{"Pattern": pattern}]}
    assert error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, FilterCriteria=bad)) == (
        "InvalidParameterValueException", "Invalid filter pattern definition.")
    assert lam.list_event_source_mappings(EventSourceArn=arn)["EventSourceMappings"] == []
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           FilterCriteria=ORDERS)["UUID"]
    assert error_of(lambda: lam.update_event_source_mapping(UUID=uuid, FilterCriteria=bad))[
        0] == "InvalidParameterValueException"
    assert lam.get_event_source_mapping(UUID=uuid)["FilterCriteria"] == ORDERS  # unchanged


def test_filter_count_and_pattern_length(aws, lam, sqs, create):
    _, arn = make_queue(sqs, "limits")
    name = create(ECHO)
    six = {"Filters": [{"Pattern": json.dumps({"body": {"n": [i]}})} for i in range(6)]}
    assert error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, FilterCriteria=six))[0] == \
        "InvalidParameterValueException"
    long = {"Filters": [{"Pattern": json.dumps({"body": {"n": ["x" * 4096]}})}]}
    code, message = error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, FilterCriteria=long))
    assert code == "ValidationException"
    assert message.endswith("at 'filterCriteria.filters.1.member.pattern' failed to satisfy "
                            "constraint: Member must have length less than or equal to 4096")
    five = {"Filters": six["Filters"][:5]}
    made = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           FilterCriteria=five)
    assert len(made["FilterCriteria"]["Filters"]) == 5


# ----------------------------------------------------------------- SQS


def test_sqs_unmatched_messages_are_deleted_not_invoked(aws, lam, sqs, create):
    """Only the order reaches the function; the other two messages leave the queue without an
    invocation, and never reach the dead-letter queue."""
    dlq_url, dlq_arn = make_queue(sqs, "orders-dlq")
    url, arn = make_queue(sqs, "orders", VisibilityTimeout="30", RedrivePolicy=json.dumps(
        {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": 1}))
    name = create(ECHO)
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           FilterCriteria=ORDERS)["UUID"]
    for body in ('{"type": "order", "id": 1}', '{"type": "refund", "id": 2}', "hello"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    aws.advance(1)
    events = logged_events(name)
    assert [[r["body"] for r in e["Records"]] for e in events] == [['{"type": "order", "id": 1}']]
    assert depth(sqs, url) == (0, 0)
    aws.advance(120)
    assert depth(sqs, url) == (0, 0) and depth(sqs, dlq_url) == (0, 0)
    assert len(logged_events(name)) == 1
    assert mapping(aws, uuid).filtered_out == 2


def test_sqs_batches_are_formed_from_what_matched(aws, lam, sqs, create):
    """With a batching window, the batch fills with matching messages only: three orders among
    six messages make one full batch of three at once, not a batch of three with one order."""
    url, arn = make_queue(sqs, "window")
    name = create(ECHO)
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, BatchSize=3,
                                           MaximumBatchingWindowInSeconds=20,
                                           FilterCriteria=ORDERS)["UUID"]
    aws.advance(0)
    for i in range(6):
        kind = "order" if i % 2 else "note"
        sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"type": kind, "i": i}))
    aws.advance(1)
    batches = [h["messages"] for h in mapping(aws, uuid).history]
    assert [len(b) for b in batches] == [3]
    bodies = [json.loads(r["body"])["i"] for r in logged_events(name)[0]["Records"]]
    assert bodies == [1, 3, 5] and depth(sqs, url) == (0, 0)


def test_sqs_plain_string_pattern(aws, lam, sqs, create):
    url, arn = make_queue(sqs, "plain")
    name = create(ECHO)
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, FilterCriteria={
        "Filters": [{"Pattern": json.dumps({"body": [{"prefix": "ping"}]})}]})
    for body in ("ping 1", '{"ping": 2}', "pong 3", "ping 4"):
        sqs.send_message(QueueUrl=url, MessageBody=body)
    aws.advance(1)
    assert sorted(r["body"] for e in logged_events(name) for r in e["Records"]) == [
        "ping 1", "ping 4"]
    assert depth(sqs, url) == (0, 0)


def test_filtered_messages_cost_no_invocation(aws, lam, sqs, create):
    """A function that fails on every batch: the filtered-out messages never invoke it, and
    the Invocations metric counts the one batch that matched."""
    url, arn = make_queue(sqs, "metered", VisibilityTimeout="30")
    name = create(FAIL)
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name, FilterCriteria=ORDERS)
    aws.advance(61 - aws.clock.now() % 60)
    minute = aws.clock.now() // 60 * 60
    sqs.send_message_batch(QueueUrl=url, Entries=[
        {"Id": str(i), "MessageBody": json.dumps({"type": "note", "i": i})} for i in range(9)])
    sqs.send_message(QueueUrl=url, MessageBody='{"type": "order"}')
    aws.advance(1)
    assert depth(sqs, url) == (0, 1)  # the order is back in the queue after its failure
    cw = boto3.client("cloudwatch", region_name=REGION)
    at = dt.datetime.fromtimestamp(minute, dt.timezone.utc)
    points = cw.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="Invocations", Period=60, Statistics=["Sum"],
        Dimensions=[{"Name": "FunctionName", "Value": name}], StartTime=at,
        EndTime=at + dt.timedelta(minutes=1))["Datapoints"]
    assert [p["Sum"] for p in points] == [1.0]


# ----------------------------------------------------------------- Kinesis


def put(kinesis, stream: str, data: bytes | str) -> str:
    raw = data if isinstance(data, bytes) else data.encode()
    return kinesis.put_record(StreamName=stream, Data=raw, PartitionKey="k")["SequenceNumber"]


def test_kinesis_records_skipped_and_checkpoint_moved(aws, lam, create):
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    arn = kinesis.describe_stream(StreamName="clicks")["StreamDescription"]["StreamARN"]
    name = create(ECHO)
    made = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, StartingPosition="TRIM_HORIZON",
        FilterCriteria={"Filters": [{"Pattern": json.dumps(
            {"data": {"event": ["buy"], "amount": [{"numeric": [">=", 10]}]}})}]})
    uuid = made["UUID"]
    put(kinesis, "clicks", json.dumps({"event": "view", "amount": 50}))
    put(kinesis, "clicks", json.dumps({"event": "buy", "amount": 12}))
    put(kinesis, "clicks", b"\x00not json")
    last = put(kinesis, "clicks", json.dumps({"event": "buy", "amount": 3}))
    aws.advance(2)
    events = logged_events(name)
    assert len(events) == 1
    (record,) = events[0]["Records"]
    assert json.loads(base64.b64decode(record["kinesis"]["data"])) == {"event": "buy",
                                                                      "amount": 12}
    poller = store_for(aws.platform()).pollers[uuid]
    (shard,) = poller.shards.values()
    assert shard.position == int(last) and mapping(aws, uuid).filtered_out == 3
    # nothing matched at all: no invocation, and the checkpoint still moves past
    last = put(kinesis, "clicks", json.dumps({"event": "view"}))
    aws.advance(2)
    assert len(logged_events(name)) == 1 and shard.position == int(last)


# ----------------------------------------------------------------- DynamoDB Streams


def make_table(ddb, name: str) -> str:
    made = ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return made["TableDescription"]["LatestStreamArn"]


@pytest.mark.parametrize("pattern, expected", [
    ({"eventName": ["INSERT"]}, ["INSERT a", "INSERT b"]),
    ({"eventName": ["INSERT", "MODIFY"]}, ["INSERT a", "MODIFY a", "INSERT b"]),
    ({"dynamodb": {"NewImage": {"status": {"S": ["paid"]}}}}, ["MODIFY a"]),
    ({"dynamodb": {"NewImage": {"amount": {"N": [{"numeric": [">", 1]}]}}}}, []),
    ({"dynamodb": {"NewImage": {"amount": {"N": [{"anything-but": "5"}]}}}},
     ["INSERT a", "INSERT b"]),
    ({"dynamodb": {"ApproximateCreationDateTime": [{"numeric": [">", 0]}]}},
     ["INSERT a", "MODIFY a", "INSERT b", "REMOVE b"]),
    ({"eventName": ["REMOVE"], "dynamodb": {"OldImage": {"pk": {"S": [{"prefix": "b"}]}}}},
     ["REMOVE b"]),
])
def test_dynamodb_filters(aws, lam, create, pattern, expected):
    ddb = boto3.client("dynamodb", region_name=REGION)
    stream = make_table(ddb, "orders")
    name = create(ECHO)
    lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=name, StartingPosition="TRIM_HORIZON",
        FilterCriteria={"Filters": [{"Pattern": json.dumps(pattern)}]})
    ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "amount": {"N": "1"}})
    ddb.put_item(TableName="orders", Item={"pk": {"S": "a"}, "amount": {"N": "5"},
                                           "status": {"S": "paid"}})
    ddb.put_item(TableName="orders", Item={"pk": {"S": "b"}, "amount": {"N": "2"}})
    ddb.delete_item(TableName="orders", Key={"pk": {"S": "b"}})
    aws.advance(2)
    seen = [f"{r['eventName']} {r['dynamodb']['Keys']['pk']['S']}"
            for e in logged_events(name) for r in e["Records"]]
    assert seen == expected
