"""Property (issue #4): under random function failures no SQS message is lost, none is processed
twice after it succeeded, and order holds per FIFO message group.

Each example draws, per message, how many receives fail before it succeeds (beyond
``maxReceiveCount``: it must end in the dead-letter queue), and whether the function reports item
failures or raises for the whole batch. One emulated AWS and one function serve every example;
each example gets fresh queues.
"""

from __future__ import annotations

import itertools
import json

import boto3
from aws_helpers import REGION, TRUST, make_zip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import lambda_lab
from lambda_lab.sources import store_for

# The body is "<group>:<index>:<failures>"; a record fails while its receive count <= failures.
# For FIFO, a failure also returns every later record of its group (stop-on-first-failure).
HANDLER = """
import os
def handler(event, context):
    failed, stopped = [], set()
    for r in event["Records"]:
        group, _, failures = r["body"].split(":")
        if group in stopped or int(r["attributes"]["ApproximateReceiveCount"]) <= int(failures):
            failed.append(r["messageId"])
            if r["eventSourceARN"].endswith(".fifo"):
                stopped.add(group)
    if failed and os.environ["MODE"] == "raise":
        raise RuntimeError("batch failed")
    return {"batchItemFailures": [{"itemIdentifier": i} for i in failed]}
"""
MAX_RECEIVES = 3
_queues = itertools.count()


def run_example(aws, sqs, lam, fn: str, fifo: bool, plan: list[tuple[int, int]]) -> None:
    n = next(_queues)
    suffix = ".fifo" if fifo else ""
    fifo_attrs = {"FifoQueue": "true"} if fifo else {}
    dlq_url = sqs.create_queue(QueueName=f"dlq{n}{suffix}", Attributes=fifo_attrs)["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    url = sqs.create_queue(QueueName=f"q{n}{suffix}", Attributes={
        **fifo_attrs, "VisibilityTimeout": "30", "RedrivePolicy": json.dumps(
            {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": MAX_RECEIVES})})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=fn, BatchSize=4,
        FunctionResponseTypes=["ReportBatchItemFailures"])["UUID"]
    bodies, by_id = [], {}
    for i, (group, failures) in enumerate(plan):
        body = f"g{group}:{i}:{failures}"
        bodies.append(body)
        extra = {"MessageGroupId": f"g{group}", "MessageDeduplicationId": str(i)} if fifo else {}
        by_id[sqs.send_message(QueueUrl=url, MessageBody=body, **extra)["MessageId"]] = body
    for _ in range(4 * len(plan) * (MAX_RECEIVES + 1)):  # FIFO groups drain one by one
        aws.advance(31)
        attrs = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        if attrs["ApproximateNumberOfMessages"] == attrs[
                "ApproximateNumberOfMessagesNotVisible"] == "0":
            break
    mapping = store_for(aws.platform()).mappings[uuid]
    succeeded = [by_id[i] for h in mapping.history
                 for i in h["messages"] if i not in h["failed"]]
    dead = []
    while got := sqs.receive_message(QueueUrl=dlq_url, MaxNumberOfMessages=10).get("Messages"):
        dead += [m["Body"] for m in got]
        sqs.delete_message_batch(QueueUrl=dlq_url, Entries=[
            {"Id": str(k), "ReceiptHandle": m["ReceiptHandle"]} for k, m in enumerate(got)])
    lam.delete_event_source_mapping(UUID=uuid)
    assert len(succeeded) == len(set(succeeded)), "a message succeeded twice"
    assert sorted(succeeded + dead) == sorted(bodies), "a message was lost or duplicated"
    assert not set(succeeded) & set(dead)
    if fifo:
        for g in {b.split(":")[0] for b in succeeded}:
            seq = [int(b.split(":")[1]) for b in succeeded if b.startswith(g + ":")]
            assert seq == sorted(seq), f"group {g} out of order: {seq}"


def test_no_message_lost_or_processed_twice_and_group_order_holds():
    with lambda_lab.mock_aws(seed=7) as aws:
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="prop", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        lam = boto3.client("lambda", region_name=REGION)
        sqs = boto3.client("sqs", region_name=REGION)
        fns = {}
        for mode in ("report", "raise"):
            lam.create_function(FunctionName=f"prop-{mode}", Runtime="python3.12", Role=role,
                                Handler="lambda_function.handler",
                                Code={"ZipFile": make_zip(HANDLER)},
                                Environment={"Variables": {"MODE": mode}})
            fns[mode] = f"prop-{mode}"

        @settings(max_examples=30, deadline=None, derandomize=True,
                  suppress_health_check=[HealthCheck.too_slow])
        @given(fifo=st.booleans(), mode=st.sampled_from(["report", "raise"]),
               plan=st.lists(st.tuples(st.integers(0, 2), st.integers(0, MAX_RECEIVES + 1)),
                             min_size=1, max_size=14))
        def check(fifo: bool, mode: str, plan: list[tuple[int, int]]) -> None:
            run_example(aws, sqs, lam, fns[mode], fifo, plan)

        check()
