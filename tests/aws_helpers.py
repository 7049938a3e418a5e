"""Helpers for the tests that go through boto3 under ``lambda_lab.mock_aws()``."""

from __future__ import annotations

import io
import itertools
import json
import textwrap
import time
import zipfile
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import wait_no_workers

REGION = "us-east-1"
_names = itertools.count(1)
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})


def make_zip(source: str, module: str = "lambda_function") -> bytes:
    """A .zip deployment package holding ``source`` (dedented) as ``<module>.py``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{module}.py", textwrap.dedent(source))
    return buf.getvalue()


def session(*, virtual_clock: bool = False) -> Iterator[Any]:
    """A fresh emulated AWS (routing seeded); afterwards no worker process may be left.

    ``virtual_clock``: platform time moves only by ``aws.advance``, so no poll or timer can
    fall between two steps of a test."""
    import lambda_lab
    from lambda_lab.clock import VirtualClock

    clock = VirtualClock() if virtual_clock else None
    with lambda_lab.mock_aws(seed=1234, clock=clock) as aws_session:
        yield aws_session
    assert wait_no_workers() == set(), "stray worker processes after mock_aws() exited"


@pytest.fixture
def aws() -> Iterator[Any]:
    """A fresh emulated AWS on the real-time platform clock."""
    yield from session()


@pytest.fixture
def lam(aws: Any) -> Any:
    return boto3.client("lambda", region_name=REGION)


@pytest.fixture
def s3(aws: Any) -> Any:
    return boto3.client("s3", region_name=REGION)


@pytest.fixture
def role(aws: Any) -> str:
    iam = boto3.client("iam", region_name=REGION)
    return iam.create_role(RoleName="lambda-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]


@pytest.fixture
def create(lam: Any, role: str) -> Callable[..., str]:
    """``create(source, **CreateFunction params)`` -> the new function's name."""

    def _create(source: str, **params: Any) -> str:
        params.setdefault("FunctionName", f"fn{next(_names)}")
        params.setdefault("Runtime", "python3.12")
        params.setdefault("Handler", "lambda_function.handler")
        params.setdefault("Role", role)
        params.setdefault("Code", {"ZipFile": make_zip(source)})
        lam.create_function(**params)
        return params["FunctionName"]

    return _create


def invoke_json(lam: Any, name: str, event: Any = None, **params: Any) -> tuple[dict, Any]:
    """Invoke synchronously; return (response, parsed payload)."""
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), **params)
    return resp, json.loads(resp["Payload"].read() or b"null")


def poll(check: Callable[[], Any], timeout: float = 15.0, every: float = 0.05) -> Any:
    """Call ``check`` until it returns something truthy; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(every)


def log_lines(name: str) -> list[str]:
    """The function's CloudWatch log lines, oldest first (none before its first run)."""
    logs = boto3.client("logs", region_name=REGION)
    try:
        found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [e["message"] for e in sorted(found, key=lambda e: e["timestamp"])]


def logged_events(name: str) -> list[dict]:
    """The events a handler printed as ``EVENT <json>`` lines, oldest first."""
    return [json.loads(line.split("EVENT ", 1)[1]) for line in log_lines(name)
            if line.startswith("EVENT ")]


def error_of(call) -> tuple[str, str]:
    """``(code, message)`` of the ClientError ``call()`` raises."""
    with pytest.raises(ClientError) as info:
        call()
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def make_queue(sqs, name: str, **attrs: str) -> tuple[str, str]:
    """A new queue: ``(url, arn)``."""
    url = sqs.create_queue(QueueName=name, Attributes=attrs)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, arn["Attributes"]["QueueArn"]


def depth(sqs, url: str) -> tuple[int, int]:
    """``(visible, in flight)``: the queue's approximate message counts."""
    a = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    return int(a["ApproximateNumberOfMessages"]), int(a["ApproximateNumberOfMessagesNotVisible"])
