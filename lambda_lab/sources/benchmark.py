"""The ``sqs_messages_per_s`` benchmark: messages per second through an SQS event source mapping
to a trivial handler with the real executor (worker processes), under ``mock_aws()``."""

from __future__ import annotations

import io
import json
import time
import zipfile

__all__ = ["sqs_messages_per_s"]

HANDLER = 'def handler(event, context):\n    return {}\n'


def sqs_messages_per_s(messages: int = 2_000, batch_size: int = 10) -> float:
    """Send ``messages`` to a queue (in-process, untimed), then time how long the mapping takes
    to deliver and delete all of them, fast-forwarding the platform clock."""
    import boto3

    from ..aws.mock import mock_aws

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lambda_function.py", HANDLER)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]})
    with mock_aws() as aws:
        role = boto3.client("iam", region_name="us-east-1").create_role(
            RoleName="bench-sqs", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        lam = boto3.client("lambda", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        lam.create_function(FunctionName="bench-sqs", Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler", Code={"ZipFile": buf.getvalue()})
        lam.invoke(FunctionName="bench-sqs", Payload=b"{}")  # warm: the cold start is not timed
        url = sqs.create_queue(QueueName="bench")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
            "Attributes"]["QueueArn"]
        uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="bench-sqs",
                                               BatchSize=batch_size, Enabled=False)["UUID"]
        from moto.sqs.models import sqs_backends

        backend = sqs_backends["123456789012"]["us-east-1"]
        for i in range(messages):
            backend.send_message("bench", f'{{"n": {i}}}')
        queue = backend.get_queue("bench")
        t0 = time.perf_counter()
        lam.update_event_source_mapping(UUID=uuid, Enabled=True)
        while queue._messages:
            aws.advance(0.5)
        elapsed = time.perf_counter() - t0
    return messages / elapsed
