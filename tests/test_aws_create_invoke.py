"""Create, read, update, delete and invoke functions through boto3 (issue #3 section 1)."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import boto3
import pytest
from aws_helpers import REGION, aws, create, invoke_json, lam, make_zip, role, s3  # noqa: F401

import lambda_lab

ECHO = """
def handler(event, context):
    return {"event": event, "version": context.function_version,
            "arn": context.invoked_function_arn, "name": context.function_name}
"""
ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def test_create_and_invoke_returns_the_handler_payload(lam, create):
    """Invoke runs the handler for real and returns its JSON result (StatusCode 200)."""
    name = create(ECHO)
    resp, body = invoke_json(lam, name, {"a": [1, 2]})
    assert resp["StatusCode"] == 200
    assert resp["ExecutedVersion"] == "$LATEST"
    assert "FunctionError" not in resp
    assert body == {"event": {"a": [1, 2]}, "version": "$LATEST", "arn": ARN + name,
                    "name": name}


def test_create_from_s3_code_and_get_list_delete(lam, s3, role):
    """Code may come from S3Bucket/S3Key; get/list/delete answer like AWS."""
    s3.create_bucket(Bucket="code-bucket")
    s3.put_object(Bucket="code-bucket", Key="fn.zip", Body=make_zip(ECHO))
    cfg = lam.create_function(FunctionName="from-s3", Runtime="python3.12", Role=role,
                              Handler="lambda_function.handler", MemorySize=256,
                              Code={"S3Bucket": "code-bucket", "S3Key": "fn.zip"})
    assert cfg["FunctionArn"] == ARN + "from-s3"
    assert cfg["Version"] == "$LATEST" and cfg["MemorySize"] == 256 and cfg["State"] == "Active"
    got = lam.get_function(FunctionName="from-s3")
    assert got["Configuration"]["CodeSha256"] == cfg["CodeSha256"]
    assert got["Code"]["RepositoryType"] == "S3"
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["from-s3"]
    lam.delete_function(FunctionName="from-s3")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="from-s3")


def test_update_code_and_configuration_change_latest(lam, create):
    """$LATEST is mutable: new code and configuration apply to the next invocation."""
    name = create(ECHO)
    invoke_json(lam, name)
    new = "def handler(event, context):\n    import os\n    return os.environ['COLOUR']\n"
    lam.update_function_code(FunctionName=name, ZipFile=make_zip(new))
    cfg = lam.update_function_configuration(FunctionName=name, Timeout=10,
                                            Environment={"Variables": {"COLOUR": "blue"}})
    assert cfg["Timeout"] == 10 and cfg["Environment"] == {"Variables": {"COLOUR": "blue"}}
    assert invoke_json(lam, name)[1] == "blue"


def test_create_function_twice_is_a_conflict(lam, create):
    name = create(ECHO)
    with pytest.raises(lam.exceptions.ResourceConflictException) as e:
        create(ECHO, FunctionName=name)
    assert e.value.response["Error"]["Message"] == f"Function already exist: {name}"


def test_mock_aws_works_as_a_decorator():
    """`@lambda_lab.mock_aws()` gives each call a fresh emulated AWS."""

    @lambda_lab.mock_aws()
    def count_functions() -> int:
        return len(boto3.client("lambda", region_name=REGION).list_functions()["Functions"])

    assert count_functions() == 0
