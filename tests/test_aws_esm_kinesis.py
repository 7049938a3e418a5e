"""Event source mappings on Kinesis Data Streams through boto3 (issue #4 §Streams): the record
shape, order per shard, records kept after reading, a failing batch blocking its shard until
MaximumRetryAttempts, then the on-failure destination's batch info.

Time moves only by ``aws.advance``; the poller looks at each shard every second of it.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import base64
import json

import boto3
import pytest
from aws_helpers import REGION, create, lam, logged_events, role, session  # noqa: F401

from lambda_lab.sources import store_for

ECHO = """
import json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    return {}
"""
# Raises on a batch holding a record whose data starts with "bad".
POISON = """
import base64, json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    for r in event["Records"]:
        if base64.b64decode(r["kinesis"]["data"]).startswith(b"bad"):
            raise RuntimeError("poison pill")
    return {}
"""


@pytest.fixture
def aws():
    """Platform time moves only by ``aws.advance`` in these tests."""
    yield from session(virtual_clock=True)


@pytest.fixture
def kinesis(aws):
    return boto3.client("kinesis", region_name=REGION)


def make_stream(kinesis, name: str, shards: int = 1) -> str:
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    return kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]


def history(aws, uuid: str) -> list[dict]:
    return store_for(aws.platform()).mappings[uuid].history


def data_of(record: dict) -> str:
    return base64.b64decode(record["kinesis"]["data"]).decode()


def test_record_shape_and_order_within_a_shard(aws, lam, kinesis, create, role):
    arn = make_stream(kinesis, "orders")
    name = create(ECHO)
    made = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           StartingPosition="TRIM_HORIZON")
    assert made["BatchSize"] == 100 and made["StartingPosition"] == "TRIM_HORIZON"
    assert made["MaximumRetryAttempts"] == -1
    for i in range(5):
        kinesis.put_record(StreamName="orders", Data=f"r{i}".encode(), PartitionKey="k")
    shard_id = kinesis.list_shards(StreamName="orders")["Shards"][0]["ShardId"]
    aws.advance(2)
    (event,) = logged_events(name)
    records = event["Records"]
    assert [data_of(r) for r in records] == [f"r{i}" for i in range(5)]
    first = records[0]
    assert set(first) == {"kinesis", "eventSource", "eventVersion", "eventID", "eventName",
                          "invokeIdentityArn", "awsRegion", "eventSourceARN"}
    assert set(first["kinesis"]) == {"kinesisSchemaVersion", "partitionKey", "sequenceNumber",
                                     "data", "approximateArrivalTimestamp"}
    assert first["kinesis"]["kinesisSchemaVersion"] == "1.0"
    assert first["kinesis"]["partitionKey"] == "k"
    assert isinstance(first["kinesis"]["approximateArrivalTimestamp"], float)
    assert first["eventSource"] == "aws:kinesis" and first["eventVersion"] == "1.0"
    assert first["eventName"] == "aws:kinesis:record"
    assert first["invokeIdentityArn"] == role
    assert first["awsRegion"] == REGION and first["eventSourceARN"] == arn
    seqs = [r["kinesis"]["sequenceNumber"] for r in records]
    assert seqs == sorted(seqs, key=int)
    assert [r["eventID"] for r in records] == [f"{shard_id}:{s}" for s in seqs]
    assert [h["outcome"] for h in history(aws, made["UUID"])] == ["success"]
    aws.advance(3)  # nothing new: no more invocations
    assert len(history(aws, made["UUID"])) == 1


def test_records_stay_in_the_stream_and_latest_skips_the_old(aws, lam, kinesis, create):
    arn = make_stream(kinesis, "kept")
    first, second, late = create(ECHO), create(ECHO), create(ECHO)
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=first,
                                    StartingPosition="TRIM_HORIZON", BatchSize=2)
    for i in range(3):
        kinesis.put_record(StreamName="kept", Data=f"d{i}".encode(), PartitionKey="p")
    aws.advance(3)
    batches = [[data_of(r) for r in e["Records"]] for e in logged_events(first)]
    assert batches == [["d0", "d1"], ["d2"]]  # BatchSize, in order
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=second,
                                    StartingPosition="TRIM_HORIZON")
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=late,
                                    StartingPosition="LATEST")
    aws.advance(2)
    (event,) = logged_events(second)
    assert [data_of(r) for r in event["Records"]] == ["d0", "d1", "d2"]
    assert logged_events(late) == []
    kinesis.put_record(StreamName="kept", Data=b"d3", PartitionKey="p")
    aws.advance(2)
    assert [data_of(r) for e in logged_events(late) for r in e["Records"]] == ["d3"]


def test_poison_pill_blocks_the_shard_then_goes_to_the_on_failure_queue(aws, lam, kinesis,
                                                                         create):
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url,
                                         AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    arn = make_stream(kinesis, "poisoned")
    name = create(POISON)
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, StartingPosition="TRIM_HORIZON",
        MaximumRetryAttempts=2, DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )["UUID"]
    sent = [kinesis.put_record(StreamName="poisoned", Data=b"bad", PartitionKey="p")]
    aws.advance(1)
    kinesis.put_record(StreamName="poisoned", Data=b"good", PartitionKey="p")
    aws.advance(1)
    # the shard is blocked: the retry is the same one-record batch, "good" waits behind it
    assert [h["records"] for h in history(aws, uuid)] == [[sent[0]["SequenceNumber"]]] * 2
    assert sqs.receive_message(QueueUrl=url).get("Messages", []) == []
    aws.advance(10)
    outcomes = [(h["outcome"], h["attempt"]) for h in history(aws, uuid)]
    assert outcomes == [("function error (Unhandled)", 1), ("function error (Unhandled)", 2),
                        ("function error (Unhandled)", 3), ("success", 1)]
    assert history(aws, uuid)[2]["discarded"] == "RetryAttemptsExhausted"
    times = [h["time"] for h in history(aws, uuid)]
    # the back-off doubles: 1 s, then 2 s
    assert [round(b - a) for a, b in zip(times[:2], times[1:3], strict=True)] == [1, 2]
    (msg,) = sqs.receive_message(QueueUrl=url)["Messages"]
    body = json.loads(msg["Body"])
    assert body["version"] == "1.0" and body["timestamp"].endswith("Z")
    context = body["requestContext"]
    assert context["condition"] == "RetryAttemptsExhausted"
    assert context["approximateInvokeCount"] == 3
    assert context["functionArn"] == f"arn:aws:lambda:{REGION}:123456789012:function:{name}"
    assert context["requestId"]
    info = body["KinesisBatchInfo"]
    assert info["shardId"] == sent[0]["ShardId"] and info["streamArn"] == arn
    assert info["startSequenceNumber"] == info["endSequenceNumber"] == sent[0]["SequenceNumber"]
    assert info["batchSize"] == 1
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    assert info["approximateArrivalOfLastRecord"] == info["approximateArrivalOfFirstRecord"]
    assert [data_of(r) for r in logged_events(name)[-1]["Records"]] == ["good"]
    got = lam.get_event_source_mapping(UUID=uuid)
    assert got["LastProcessingResult"] == "OK"
    assert got["DestinationConfig"] == {"OnFailure": {"Destination": queue_arn}}

