"""Event source mappings on DynamoDB Streams through boto3 (issue #4 §Streams): the record
shape (INSERT, MODIFY, REMOVE with the images of the table's StreamViewType), order, and a
failing batch retried until MaximumRetryAttempts, then the on-failure destination's batch info.

Time moves only by ``aws.advance``; the poller looks at the stream every second of it.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, aws, create, lam, logged_events, role  # noqa: F401

from lambda_lab.sources import store_for

ECHO = """
import json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    return {}
"""
FAIL = """
import json
def handler(event, context):
    print("EVENT " + json.dumps(event))
    raise RuntimeError("poison pill")
"""


@pytest.fixture
def ddb(aws):
    return boto3.client("dynamodb", region_name=REGION)


def make_table(ddb, name: str, view: str = "NEW_AND_OLD_IMAGES") -> str:
    made = ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": view})
    return made["TableDescription"]["LatestStreamArn"]


def history(aws, uuid: str) -> list[dict]:
    return store_for(aws.platform()).mappings[uuid].history


def test_insert_modify_remove_in_one_batch_with_images(aws, lam, ddb, create):
    arn = make_table(ddb, "orders")
    name = create(ECHO)
    key = {"pk": {"S": "a"}}
    start = aws.clock.now()
    ddb.put_item(TableName="orders", Item={**key, "n": {"N": "1"}})
    ddb.update_item(TableName="orders", Key=key, UpdateExpression="SET n = :v",
                    ExpressionAttributeValues={":v": {"N": "2"}})
    ddb.delete_item(TableName="orders", Key=key)
    # created after the writes, so that no poll can fall between them: TRIM_HORIZON reads all
    made = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                           StartingPosition="TRIM_HORIZON")
    assert made["BatchSize"] == 100 and made["EventSourceArn"] == arn
    aws.advance(2)
    (event,) = logged_events(name)
    records = event["Records"]
    assert [r["eventName"] for r in records] == ["INSERT", "MODIFY", "REMOVE"]
    for r in records:
        assert set(r) == {"eventID", "eventName", "eventVersion", "eventSource", "awsRegion",
                          "dynamodb", "eventSourceARN"}
        assert r["eventVersion"] == "1.1" and r["eventSource"] == "aws:dynamodb"
        assert r["awsRegion"] == REGION and r["eventSourceARN"] == arn
        assert r["dynamodb"]["Keys"] == key
        assert r["dynamodb"]["StreamViewType"] == "NEW_AND_OLD_IMAGES"
        assert r["dynamodb"]["SizeBytes"] > 0
        created = r["dynamodb"]["ApproximateCreationDateTime"]
        assert isinstance(created, float) and abs(created - start) < 2  # platform time
    insert, modify, remove = (r["dynamodb"] for r in records)
    assert insert["NewImage"] == {**key, "n": {"N": "1"}} and "OldImage" not in insert
    assert modify["OldImage"] == {**key, "n": {"N": "1"}}
    assert modify["NewImage"] == {**key, "n": {"N": "2"}}
    assert remove["OldImage"] == {**key, "n": {"N": "2"}} and "NewImage" not in remove
    seqs = [r["dynamodb"]["SequenceNumber"] for r in records]
    assert seqs == sorted(seqs, key=int) and len(set(seqs)) == 3
    assert len({r["eventID"] for r in records}) == 3
    assert [h["outcome"] for h in history(aws, made["UUID"])] == ["success"]
    aws.advance(3)  # nothing new: no more invocations
    assert len(history(aws, made["UUID"])) == 1


def test_batch_size_and_latest(aws, lam, ddb, create):
    arn = make_table(ddb, "kept", view="KEYS_ONLY")
    first, late = create(ECHO), create(ECHO)
    for i in range(3):
        ddb.put_item(TableName="kept", Item={"pk": {"S": f"k{i}"}})
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=first,
                                    StartingPosition="TRIM_HORIZON", BatchSize=2)
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=late,
                                    StartingPosition="LATEST")
    aws.advance(3)
    batches = [[r["dynamodb"]["Keys"]["pk"]["S"] for r in e["Records"]]
               for e in logged_events(first)]
    assert batches == [["k0", "k1"], ["k2"]]
    assert "NewImage" not in logged_events(first)[0]["Records"][0]["dynamodb"]
    assert logged_events(late) == []
    ddb.put_item(TableName="kept", Item={"pk": {"S": "k3"}})
    aws.advance(2)
    assert [r["dynamodb"]["Keys"]["pk"]["S"] for e in logged_events(late)
            for r in e["Records"]] == ["k3"]


def test_failing_batch_goes_to_the_on_failure_queue(aws, lam, ddb, create):
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="failures")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url,
                                         AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    arn = make_table(ddb, "poisoned")
    name = create(FAIL)
    ddb.put_item(TableName="poisoned", Item={"pk": {"S": "x"}})
    ddb.put_item(TableName="poisoned", Item={"pk": {"S": "y"}})
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, StartingPosition="TRIM_HORIZON",
        MaximumRetryAttempts=1, DestinationConfig={"OnFailure": {"Destination": queue_arn}},
    )["UUID"]
    aws.advance(5)
    outcomes = [(h["outcome"], h["attempt"]) for h in history(aws, uuid)]
    assert outcomes == [("function error (Unhandled)", 1), ("function error (Unhandled)", 2)]
    assert history(aws, uuid)[-1]["discarded"] == "RetryAttemptsExhausted"
    events = logged_events(name)
    assert len(events) == 2 and events[0] == events[1]  # the same batch, retried
    seqs = [r["dynamodb"]["SequenceNumber"] for r in events[0]["Records"]]
    (msg,) = sqs.receive_message(QueueUrl=url)["Messages"]
    body = json.loads(msg["Body"])
    assert body["version"] == "1.0" and body["timestamp"].endswith("Z")
    context = body["requestContext"]
    assert context["condition"] == "RetryAttemptsExhausted"
    assert context["approximateInvokeCount"] == 2
    assert context["functionArn"] == f"arn:aws:lambda:{REGION}:123456789012:function:{name}"
    assert "KinesisBatchInfo" not in body
    info = body["DDBStreamBatchInfo"]
    assert set(info) == {"shardId", "startSequenceNumber", "endSequenceNumber",
                         "approximateArrivalOfFirstRecord", "approximateArrivalOfLastRecord",
                         "batchSize", "streamArn"}
    assert info["streamArn"] == arn and info["batchSize"] == 2
    assert [info["startSequenceNumber"], info["endSequenceNumber"]] == seqs
    assert info["shardId"] == history(aws, uuid)[-1]["shard_id"]
    assert info["shardId"].startswith("shardId-")
    assert info["approximateArrivalOfFirstRecord"].endswith("Z")
    got = lam.get_event_source_mapping(UUID=uuid)
    assert got["DestinationConfig"] == {"OnFailure": {"Destination": queue_arn}}
    aws.advance(3)  # skipped: not retried again
    assert len(history(aws, uuid)) == 2
