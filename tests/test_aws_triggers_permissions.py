"""Function resource policies through boto3 (issue #4 §2): AddPermission, GetPolicy,
RemovePermission with AWS's errors, and the check triggers use (``permissions.allows``)."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import pytest
from aws_helpers import REGION, aws, create, lam, role  # noqa: F401
from botocore.exceptions import ClientError

from lambda_lab.sources import permissions

OK = "def handler(event, context):\n    return event\n"
RULE = f"arn:aws:events:{REGION}:123456789012:rule/nightly"


def test_add_get_remove_permission(aws, lam, create):
    name = create(OK)
    added = lam.add_permission(FunctionName=name, StatementId="events", Principal=
                               "events.amazonaws.com", Action="lambda:InvokeFunction",
                               SourceArn=RULE)
    statement = json.loads(added["Statement"])
    assert statement == {
        "Sid": "events", "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"},
        "Action": "lambda:InvokeFunction",
        "Resource": f"arn:aws:lambda:{REGION}:123456789012:function:{name}",
        "Condition": {"ArnLike": {"AWS:SourceArn": RULE}}}
    policy = lam.get_policy(FunctionName=name)
    doc = json.loads(policy["Policy"])
    assert doc["Version"] == "2012-10-17" and doc["Statement"] == [statement]
    assert policy["RevisionId"]
    with pytest.raises(ClientError) as info:
        lam.add_permission(FunctionName=name, StatementId="events", Principal="s3.amazonaws.com",
                           Action="lambda:InvokeFunction")
    assert info.value.response["Error"]["Code"] == "ResourceConflictException"
    assert info.value.response["Error"]["Message"] == (
        "The statement id (events) provided already exists. Please provide a new statement id, "
        "or remove the existing statement.")  # AWS-recorded (LocalStack permission snapshots)
    platform = aws.platform()
    assert permissions.allows(platform, name, "events.amazonaws.com", RULE, "123456789012")
    assert not permissions.allows(platform, name, "events.amazonaws.com", RULE + "x")
    assert not permissions.allows(platform, name, "sns.amazonaws.com", RULE)
    lam.remove_permission(FunctionName=name, StatementId="events")
    with pytest.raises(ClientError) as info:
        lam.get_policy(FunctionName=name)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as info:
        lam.remove_permission(FunctionName=name, StatementId="events")
    assert info.value.response["Error"]["Message"] == (  # no policy left (AWS-recorded)
        "No policy is associated with the given resource.")
    assert not permissions.allows(platform, name, "events.amazonaws.com", RULE)


def test_permission_on_a_missing_function_and_qualified_policies(aws, lam, create):
    with pytest.raises(ClientError) as info:
        lam.add_permission(FunctionName="nope", StatementId="s", Principal="s3.amazonaws.com",
                           Action="lambda:InvokeFunction")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    name = create(OK, Publish=True)
    lam.add_permission(FunctionName=name, Qualifier="1", StatementId="s",
                       Principal="s3.amazonaws.com", Action="lambda:InvokeFunction")
    assert json.loads(lam.get_policy(FunctionName=name, Qualifier="1")["Policy"])[
        "Statement"][0]["Resource"].endswith(f"{name}:1")
    with pytest.raises(ClientError):
        lam.get_policy(FunctionName=name)  # the unqualified function has none
    assert permissions.allows(aws.platform(), f"{name}:1", "s3.amazonaws.com")
    assert not permissions.allows(aws.platform(), name, "s3.amazonaws.com")
