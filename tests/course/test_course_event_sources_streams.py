"""Stream helpers of notebooks/05-event-sources: ``logged_json`` since a moment with its
seconds, and ``batch_records`` (the records a Kinesis on-failure record names), each through a
real Kinesis event source mapping under ``mock_aws`` on the virtual clock."""

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, make_zip, session

from lambda_lab.course.chapters.ch05_event_sources import helpers as es
from lambda_lab.course.roles import lambda_role

# Prints each batch's data; raises on a batch holding "bad".
BATCHES = """
import base64, json
def handler(event, context):
    data = [base64.b64decode(r["kinesis"]["data"]).decode() for r in event["Records"]]
    print("BATCH " + json.dumps(data))
    if "bad" in data:
        raise ValueError("bad record")
"""


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


def setup(name: str, shards: int = 1) -> tuple[str, str]:
    """Function ``name`` (BATCHES) and stream ``name``: (stream ARN, failure queue URL)."""
    iam = boto3.client("iam", region_name=REGION)
    role = lambda_role(iam, name)
    boto3.client("lambda", region_name=REGION).create_function(
        FunctionName=name, Runtime="python3.12", Role=role, Handler="lambda_function.handler",
        Code={"ZipFile": make_zip(BATCHES)})
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    arn = kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]
    url = boto3.client("sqs", region_name=REGION).create_queue(QueueName=f"{name}-failures")
    return arn, url["QueueUrl"]


def put(name: str, *data: str, key: str = "k") -> None:
    boto3.client("kinesis", region_name=REGION).put_records(
        StreamName=name, Records=[{"Data": d.encode(), "PartitionKey": key} for d in data])


def failure_records(url: str) -> list[dict]:
    got = boto3.client("sqs", region_name=REGION).receive_message(
        QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
    return [json.loads(m["Body"]) for m in got]


def test_logged_json_since_with_seconds_shows_batches_run_at_once(aws):
    """DG with-kinesis (ParallelizationFactor): several batches of one shard run at once, in
    order per partition key; on the virtual clock batches run at once share their seconds, and
    the next batches follow at once ("When more records are available, Lambda keeps processing
    batches until the function catches up with the stream")."""
    arn, _ = setup("views")
    put("views", "old")
    lam = boto3.client("lambda", region_name=REGION)
    first = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="views",
                                            StartingPosition="TRIM_HORIZON")
    aws.advance(2)
    lam.delete_event_source_mapping(UUID=first["UUID"])
    aws.advance(2)
    assert es.logged_json("views", "BATCH ") == [["old"]]
    since = aws.clock.now()
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="views", BatchSize=1,
                                    StartingPosition="LATEST", ParallelizationFactor=10)
    for key in ("user-1", "user-2"):
        put("views", f"{key}:1", f"{key}:2", key=key)
    aws.advance(5)
    got = es.logged_json("views", "BATCH ", since=since)
    # batches of different keys run at once: their lines may interleave either way; each
    # key's batches stay in order (the DG's promise)
    assert sorted(got) == [["user-1:1"], ["user-1:2"], ["user-2:1"], ["user-2:2"]]
    for key in ("user-1", "user-2"):
        assert [b for b in got if b[0].startswith(key)] == [[f"{key}:1"], [f"{key}:2"]]
    timed = es.logged_json("views", "BATCH ", since=since, times=True)
    assert timed[0][0] == timed[1][0] == timed[2][0] == timed[3][0]
    assert es.logged_json("views", "BATCH ", times=True) == [["old"], ["user-1:1"],
                                                             ["user-2:1"], ["user-1:2"],
                                                             ["user-2:2"]]  # times: only with since


def test_batch_records_reads_what_an_on_failure_record_names(aws):
    """DG kinesis-on-failure-destination: the on-failure record describes the batch (shard,
    first and last sequence numbers), not its data; BisectBatchOnFunctionError narrows a
    failing batch down to the bad record, so the record names just it."""
    arn, url = setup("clicks", shards=2)
    sqs_arn = boto3.client("sqs", region_name=REGION).get_queue_attributes(
        QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    lam = boto3.client("lambda", region_name=REGION)
    mapping = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="clicks", StartingPosition="TRIM_HORIZON",
        MaximumRetryAttempts=0, DestinationConfig={"OnFailure": {"Destination": sqs_arn}})
    put("clicks", "other", key="someone-else")
    put("clicks", "c1", "bad", "c2")
    aws.advance(3)
    (whole,) = failure_records(url)
    assert whole["KinesisBatchInfo"]["batchSize"] == 3
    assert es.batch_records(whole) == ["c1", "bad", "c2"]
    lam.update_event_source_mapping(UUID=mapping["UUID"], BisectBatchOnFunctionError=True)
    put("clicks", "c3", "c4", "bad", "c5")
    aws.advance(10)
    (alone,) = [f for f in failure_records(url) if f["KinesisBatchInfo"]["batchSize"] == 1]
    assert es.batch_records(alone) == ["bad"]
