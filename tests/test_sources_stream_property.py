"""Property (issue #4), the stream half: under random function failures no Kinesis record is
lost, none is processed again after it succeeded, and order holds per partition key.

Each example draws the records (partition key, and on how many of its visits the function fails
on it), the shard count, BatchSize, ParallelizationFactor, BisectBatchOnFunctionError,
ReportBatchItemFailures (else the function raises for the whole batch) and a finite
MaximumRetryAttempts with an SQS on-failure destination. Then, from the mapping's history and the
destination: every record succeeded exactly once or was given up on exactly once and named by
exactly one on-failure record; no record is sent again after it succeeded, nor twice at once; a
record is never sent before the earlier records of its key are done with. One emulated AWS (on a
virtual clock), two functions and a DynamoDB table counting visits serve every example.
"""

from __future__ import annotations

import itertools
import json

import boto3
from aws_helpers import REGION, TRUST, make_zip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambda_lab
from lambda_lab.clock import VirtualClock
from lambda_lab.sources import store_for

# The data is "<example>:<key>:<index>:<failures>"; a record fails on its first <failures> visits.
HANDLER = """
import base64, os
import boto3
table = boto3.client("dynamodb")
def handler(event, context):
    failed = []
    for r in event["Records"]:
        data = base64.b64decode(r["kinesis"]["data"]).decode()
        seen = table.update_item(TableName="visits", Key={"id": {"S": data}},
                                 UpdateExpression="ADD n :one",
                                 ExpressionAttributeValues={":one": {"N": "1"}},
                                 ReturnValues="UPDATED_NEW")["Attributes"]["n"]["N"]
        if int(seen) <= int(data.split(":")[3]):
            failed.append(r["kinesis"]["sequenceNumber"])
    if failed and os.environ["MODE"] == "raise":
        raise RuntimeError("batch failed")
    return {"batchItemFailures": [{"itemIdentifier": s} for s in failed[::-1]]}
"""
_examples = itertools.count()


def run_example(aws, clients: dict, fns: dict, options: dict,
                plan: list[tuple[int, int]]) -> None:
    kinesis, lam, sqs = clients["kinesis"], clients["lambda"], clients["sqs"]
    n = next(_examples)
    kinesis.create_stream(StreamName=f"s{n}", ShardCount=options["shards"])
    arn = kinesis.describe_stream(StreamName=f"s{n}")["StreamDescription"]["StreamARN"]
    url = sqs.create_queue(QueueName=f"f{n}")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    key_of: dict[tuple[str, str], str] = {}
    for i, (key, failures) in enumerate(plan):
        got = kinesis.put_record(StreamName=f"s{n}", PartitionKey=f"k{key}",
                                 Data=f"{n}:k{key}:{i}:{failures}".encode())
        key_of[(got["ShardId"], got["SequenceNumber"])] = f"k{key}"
    report = options["report"]
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=fns["report" if report else "raise"],
        StartingPosition="TRIM_HORIZON", BatchSize=options["batch"],
        ParallelizationFactor=options["factor"], BisectBatchOnFunctionError=options["bisect"],
        MaximumRetryAttempts=options["retries"],
        FunctionResponseTypes=["ReportBatchItemFailures"] if report else [],
        DestinationConfig={"OnFailure": {"Destination": queue_arn}})["UUID"]
    history = store_for(aws.platform()).mappings[uuid].history
    for _ in range(60):
        aws.advance(5)
        resolved = sum(len(e["succeeded"]) + len(e.get("discarded_records", []))
                       for e in history)
        if resolved >= len(plan):
            break
    lam.delete_event_source_mapping(UUID=uuid)
    infos = []
    while got := sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        infos += [json.loads(m["Body"])["KinesisBatchInfo"] for m in got]
        sqs.delete_message_batch(QueueUrl=url, Entries=[
            {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(got)])
    check(history, infos, key_of, options["factor"])


def check(history: list[dict], infos: list[dict], key_of: dict[tuple[str, str], str],
          factor: int) -> None:
    """The property, on one mapping's history and on-failure records."""
    resolved: dict[tuple[str, str], int] = {}  # record -> history index where it was done with
    succeeded, discarded = [], []
    for i, e in enumerate(history):
        for seq in e["succeeded"] + e.get("discarded_records", []):
            record = (e["shard_id"], seq)
            assert record not in resolved, f"{record} done with twice"
            resolved[record] = i
            (succeeded if seq in e["succeeded"] else discarded).append(record)
    assert set(resolved) == set(key_of), "a record was lost"
    ticks: dict[float, list[tuple[str, str]]] = {}
    for i, e in enumerate(history):
        records = [(e["shard_id"], s) for s in e["records"]]
        ticks.setdefault(e["time"], []).extend(records)
        for record in records:  # never again after success
            assert record not in succeeded or resolved[record] >= i, f"{record} sent again"
    for held in ticks.values():
        assert len(held) == len(set(held)), "a record sent twice at once"
    by_key: dict[str, list[tuple[str, str]]] = {}
    for record in sorted(key_of, key=lambda r: (r[0], int(r[1]))):
        by_key.setdefault(key_of[record], []).append(record)
    for i, e in enumerate(history):  # no record overtakes an earlier one of its key
        batch = {(e["shard_id"], s) for s in e["records"]}
        for record in batch:
            for earlier in by_key[key_of[record]]:
                if earlier == record:
                    break
                assert earlier in batch or resolved[earlier] < i, \
                    f"{record} of {key_of[record]} sent before {earlier} was done with"
    given_up = sorted((e["shard_id"], e["discarded_records"][0], e["discarded_records"][-1],
                       len(e["discarded_records"])) for e in history if e.get("discarded"))
    assert sorted((b["shardId"], b["startSequenceNumber"], b["endSequenceNumber"],
                   b["batchSize"]) for b in infos) == given_up, "on-failure records differ"
    if factor == 1:  # one lane per shard: the ranges are exactly the records given up on
        covered = [r for b in infos for r in key_of if r[0] == b["shardId"]
                   and int(b["startSequenceNumber"]) <= int(r[1]) <= int(b["endSequenceNumber"])]
        assert sorted(covered) == sorted(discarded)


def test_no_record_lost_or_processed_twice_and_key_order_holds():
    with lambda_lab.mock_aws(seed=7, clock=VirtualClock()) as aws:
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="prop", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        clients = {name: boto3.client(name, region_name=REGION)
                   for name in ("lambda", "kinesis", "sqs", "dynamodb")}
        clients["dynamodb"].create_table(
            TableName="visits", BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
        fns = {}
        for mode in ("report", "raise"):
            clients["lambda"].create_function(
                FunctionName=f"prop-{mode}", Runtime="python3.12", Role=role,
                Handler="lambda_function.handler", Code={"ZipFile": make_zip(HANDLER)},
                MemorySize=1769, Timeout=30, Environment={"Variables": {"MODE": mode}})
            fns[mode] = f"prop-{mode}"

        @settings(max_examples=20, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(options=st.fixed_dictionaries({
                   "shards": st.integers(1, 2), "batch": st.integers(1, 4),
                   "factor": st.integers(1, 3), "bisect": st.booleans(),
                   "report": st.booleans(), "retries": st.integers(0, 2)}),
               plan=st.lists(st.tuples(st.integers(0, 3), st.sampled_from([0, 0, 1, 2, 9])),
                             min_size=1, max_size=12))
        def example(options: dict, plan: list[tuple[int, int]]) -> None:
            run_example(aws, clients, fns, options, plan)

        example()
