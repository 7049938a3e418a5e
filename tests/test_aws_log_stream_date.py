"""Log stream names carry the platform clock's date.

DG "Using CloudWatch Logs with Lambda" / "Lambda context object": an environment writes to one
log stream, ``YYYY/MM/DD/[$LATEST or version]<id>``, named for the day it started, and the
handler sees it as ``context.log_stream_name``. On a virtual clock that day is platform time.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import datetime as dt

import boto3
import pytest
from aws_helpers import REGION, create, invoke_json, lam, role  # noqa: F401
from conftest import wait_no_workers

import lambda_lab
from lambda_lab.clock import VirtualClock

START = dt.datetime(2021, 3, 4, 23, 0, tzinfo=dt.timezone.utc).timestamp()

STREAM = """
def handler(event, context):
    return context.log_stream_name
"""


@pytest.fixture
def aws():
    with lambda_lab.mock_aws(seed=1, clock=VirtualClock(start=START)) as session:
        yield session
    assert wait_no_workers() == set()


def streams(name: str) -> list[str]:
    logs = boto3.client("logs", region_name=REGION)
    found = logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]
    return sorted(s["logStreamName"] for s in found)


def test_log_stream_names_use_the_platform_date(aws, lam, create):
    name = create(STREAM)
    _, stream = invoke_json(lam, name)
    assert stream.startswith("2021/03/04/[$LATEST]")
    assert streams(name) == [stream]


def test_an_environment_started_the_next_platform_day_names_that_day(aws, lam, create):
    name = create(STREAM)
    _, first = invoke_json(lam, name)
    aws.advance(3600)  # 2021-03-05 00:00 UTC
    version = lam.publish_version(FunctionName=name)["Version"]
    _, second = invoke_json(lam, name, Qualifier=version)
    assert first.startswith("2021/03/04/[$LATEST]")
    assert second.startswith(f"2021/03/05/[{version}]")
    assert streams(name) == sorted([first, second])
