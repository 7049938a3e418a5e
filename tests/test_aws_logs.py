"""Function logs land in CloudWatch Logs (issue #3 section 1): group /aws/lambda/<name>, one
stream per execution environment, one event per log line."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import boto3
from aws_helpers import REGION, aws, create, invoke_json, lam, role  # noqa: F401

PRINTER = "def handler(event, context):\n    print('hello', event['n'])\n    return event['n']\n"


def test_logs_go_to_the_function_log_group_one_stream_per_environment(aws, lam, create):
    name = create(PRINTER)
    invoke_json(lam, name, {"n": 1})
    invoke_json(lam, name, {"n": 2})  # warm: the same environment, the same stream
    logs = boto3.client("logs", region_name=REGION)
    groups = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    assert groups == [f"/aws/lambda/{name}"]
    streams = logs.describe_log_streams(logGroupName=f"/aws/lambda/{name}")["logStreams"]
    (env,) = aws.platform().environments(name)
    assert len(streams) == 1 and "[$LATEST]" in streams[0]["logStreamName"]
    events = logs.get_log_events(logGroupName=f"/aws/lambda/{name}",
                                 logStreamName=streams[0]["logStreamName"])["events"]
    messages = [e["message"] for e in events]
    assert [m.split(" ")[0] for m in messages] == ["START", "hello", "END", "REPORT",
                                                   "START", "hello", "END", "REPORT"]
    assert messages[1] == "hello 1" and messages[5] == "hello 2"
    assert env.invocations == 2
