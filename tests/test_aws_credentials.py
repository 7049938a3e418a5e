"""Handlers run with their function's role (issue #3): the worker gets temporary credentials
that Lambda's STS AssumeRole returns for the execution role, never the host's."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import boto3
from aws_helpers import REGION, TRUST, aws, create, invoke_json, lam, role  # noqa: F401

WHOAMI = """
import os, boto3
def handler(event, context):
    ident = boto3.client("sts").get_caller_identity()
    return {"arn": ident["Arn"], "account": ident["Account"],
            "key": os.environ["AWS_ACCESS_KEY_ID"],
            "token": bool(os.environ.get("AWS_SESSION_TOKEN"))}
"""


def test_handler_runs_as_its_role(lam, create, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAHOSTKEY000000000")
    name = create(WHOAMI, Timeout=30)
    resp, body = invoke_json(lam, name)
    assert "FunctionError" not in resp, body
    assert body["arn"] == f"arn:aws:sts::123456789012:assumed-role/lambda-role/{name}"
    assert body["account"] == "123456789012"
    assert body["key"].startswith("ASIA") and body["key"] != "AKIAHOSTKEY000000000"
    assert body["token"]


def test_role_change_means_new_credentials(lam, create):
    iam = boto3.client("iam", region_name=REGION)
    other = iam.create_role(RoleName="other-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    name = create(WHOAMI, Timeout=30, Publish=True)
    lam.update_function_configuration(FunctionName=name, Role=other)
    assert invoke_json(lam, name)[1]["arn"].split("/")[1] == "other-role"
    assert invoke_json(lam, name, Qualifier="1")[1]["arn"].split("/")[1] == "lambda-role"
