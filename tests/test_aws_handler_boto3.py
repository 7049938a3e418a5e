"""Handlers reach the same in-memory AWS as the notebook (issue #3 section 2): through the
in-process moto server and AWS_ENDPOINT_URL, with role credentials, never real AWS."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

from aws_helpers import aws, create, invoke_json, lam, role, s3  # noqa: F401

UPPER = """
import boto3
s3 = boto3.client("s3")
def handler(event, context):
    text = s3.get_object(Bucket="shared", Key="in.txt")["Body"].read().decode()
    s3.put_object(Bucket="shared", Key="out.txt", Body=text.upper())
    return len(text)
"""
CALLER = """
import json, boto3
def handler(event, context):
    resp = boto3.client("lambda").invoke(FunctionName=event["target"], Qualifier="1",
                                         Payload=json.dumps({"n": event["n"]}))
    return {"inner": json.loads(resp["Payload"].read()), "version": resp["ExecutedVersion"]}
"""


def test_handler_reads_what_the_notebook_wrote_and_writes_back(lam, s3, create):
    s3.create_bucket(Bucket="shared")
    s3.put_object(Bucket="shared", Key="in.txt", Body=b"hello lambda")
    name = create(UPPER, MemorySize=1769, Timeout=30)
    resp, body = invoke_json(lam, name)
    assert "FunctionError" not in resp, body
    assert body == 12
    assert s3.get_object(Bucket="shared", Key="out.txt")["Body"].read() == b"HELLO LAMBDA"


def test_handler_invokes_another_function_through_boto3(lam, create):
    """A nested synchronous invoke runs on another environment, without deadlock."""
    inner = create("def handler(event, context):\n    return event['n'] * 2\n")
    lam.publish_version(FunctionName=inner)
    outer = create(CALLER, MemorySize=1769, Timeout=30)
    resp, body = invoke_json(lam, outer, {"target": inner, "n": 21})
    assert "FunctionError" not in resp, body
    assert body == {"inner": 42, "version": "1"}
