"""DynamoDB Streams event source mapping options through boto3 (issue #4 §Streams): records of
one item stay in order under ParallelizationFactor, and tumbling windows give the same event
keys as for Kinesis (DG services-ddb-windows).

Time moves only by ``aws.advance``; the poller looks at the stream every second of it.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import boto3
import pytest
from aws_helpers import REGION, create, lam, logged_events, role, session  # noqa: F401

from lambda_lab.sources import store_for

# Fails (raises) on a batch holding a REMOVE of the item "bad"; prints what it got.
HANDLER = """
import json
def handler(event, context):
    keys = [(r["eventName"], r["dynamodb"]["Keys"]["pk"]["S"]) for r in event["Records"]]
    print("EVENT " + json.dumps({**{k: v for k, v in event.items() if k != "Records"},
                                 "keys": keys}))
    if ("REMOVE", "bad") in keys:
        raise RuntimeError("poison pill")
    if "window" in event:
        return {"state": {"n": event["state"].get("n", 0) + len(keys)}}
    return {}
"""


@pytest.fixture
def aws():
    """Platform time moves only by ``aws.advance`` in these tests."""
    yield from session(virtual_clock=True)


@pytest.fixture
def ddb(aws):
    return boto3.client("dynamodb", region_name=REGION)


def make_table(ddb, name: str) -> str:
    made = ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    return made["TableDescription"]["LatestStreamArn"]


def test_parallel_batches_keep_each_items_changes_in_order(aws, lam, ddb, create):
    """DG with-ddb (concurrent batches per shard): with ParallelizationFactor > 1 Lambda still
    processes records in order at the item (partition and sort key) level; a failing item
    holds back its own later changes, not the other items'."""
    arn = make_table(ddb, "items")
    name = create(HANDLER)
    for round_ in range(3):
        for item in ("a", "b", "c", "d", "e", "bad"):
            ddb.put_item(TableName="items", Item={"pk": {"S": item}, "n": {"N": str(round_)}})
    ddb.delete_item(TableName="items", Key={"pk": {"S": "bad"}})
    ddb.put_item(TableName="items", Item={"pk": {"S": "bad"}, "n": {"N": "9"}})
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, StartingPosition="TRIM_HORIZON", BatchSize=2,
        ParallelizationFactor=3, MaximumRetryAttempts=1)["UUID"]
    assert lam.get_event_source_mapping(UUID=uuid)["ParallelizationFactor"] == 3
    aws.advance(15)
    h = store_for(aws.platform()).mappings[uuid].history
    assert store_for(aws.platform()).pollers[uuid].peak_concurrency > 1
    done = [s for e in h for s in e["succeeded"]]
    gone = [s for e in h for s in e.get("discarded_records", [])]
    assert len(done) + len(gone) == 20 and len(set(done + gone)) == 20
    keys = [k for e in logged_events(name) if not any(
        n == "REMOVE" and k == "bad" for n, k in e["keys"]) for k in e["keys"]]
    for item in ("a", "b", "c", "d", "e"):
        assert [n for n, k in keys if k == item] == ["INSERT", "MODIFY", "MODIFY"]
    # the re-insert of "bad" came only after the failing REMOVE was given up on
    (give_up,) = [i for i, e in enumerate(h) if e.get("discarded")]
    last = str(max(int(s) for e in h for s in e["records"]))
    assert last not in h[give_up]["records"]
    assert all(i > give_up for i, e in enumerate(h) if last in e["records"])


def test_tumbling_window_event_for_dynamodb(aws, lam, ddb, create):
    """DG services-ddb-windows: the event has window, state, shardId, eventSourceARN,
    isFinalInvokeForWindow and isWindowTerminatedEarly; a final invocation ends the window."""
    arn = make_table(ddb, "windowed")
    name = create(HANDLER)
    aws.advance(20 - aws.clock.now() % 20 + 0.25)
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, StartingPosition="TRIM_HORIZON",
        TumblingWindowInSeconds=20)["UUID"]
    ddb.put_item(TableName="windowed", Item={"pk": {"S": "a"}})
    ddb.put_item(TableName="windowed", Item={"pk": {"S": "b"}})
    aws.advance(21)
    first, final = logged_events(name)
    shard_id = store_for(aws.platform()).mappings[uuid].history[0]["shard_id"]
    assert set(first) == {"window", "state", "shardId", "eventSourceARN", "keys",
                          "isFinalInvokeForWindow", "isWindowTerminatedEarly"}
    assert first["shardId"] == shard_id and first["eventSourceARN"] == arn
    assert first["state"] == {} and first["keys"] == [["INSERT", "a"], ["INSERT", "b"]]
    assert final["isFinalInvokeForWindow"] is True and final["keys"] == []
    assert final["state"] == {"n": 2} and final["window"] == first["window"]
    assert first["window"]["start"].endswith("Z") and first["window"]["end"].endswith("Z")
