"""EventBridge rules with Lambda targets through boto3 (issue #4 §EventBridge): schedules on the
platform clock, AWS's schedule validation, event-pattern rules, Input/InputPath/InputTransformer,
the resource-policy check, and moto's own targets beside Lambda's."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, aws, create, lam, role  # noqa: F401
from botocore.exceptions import ClientError

from lambda_lab.sources import triggers

ECHO = "def handler(event, context):\n    return event\n"
ACCOUNT = "123456789012"


@pytest.fixture
def events(aws):
    return boto3.client("events", region_name=REGION)


def allow(lam, name: str, rule_arn: str | None = None, sid: str = "events") -> None:
    params = {"SourceArn": rule_arn} if rule_arn else {}
    lam.add_permission(FunctionName=name, StatementId=sid, Principal="events.amazonaws.com",
                       Action="lambda:InvokeFunction", **params)


def fn_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def received(aws, name: str) -> list:
    assert aws.wait_async(60)
    return [json.loads(e.result.raw_payload) for e in aws.async_events
            if e.function_name == name and e.result is not None]


def test_rate_schedule_fires_on_the_clock(aws, events, lam, create):
    name = create(ECHO)
    rule_arn = events.put_rule(Name="every5", ScheduleExpression="rate(5 minutes)")["RuleArn"]
    allow(lam, name, rule_arn)
    events.put_targets(Rule="every5", Targets=[{"Id": "fn", "Arn": fn_arn(name)}])
    aws.advance(3600)
    got = received(aws, name)
    assert len(got) == 12
    first = got[0]
    assert first["source"] == "aws.events" and first["detail-type"] == "Scheduled Event"
    assert first["resources"] == [rule_arn] and first["detail"] == {}
    assert first["account"] == ACCOUNT and first["region"] == REGION and first["version"] == "0"
    assert first["time"].endswith(":00Z") and "ingestion-time" not in first
    times = sorted(e["time"] for e in got)
    assert len(set(times)) == 12
    events.disable_rule(Name="every5")
    aws.advance(3600)
    assert len(received(aws, name)) == 12  # a disabled rule does not fire
    events.enable_rule(Name="every5")
    events.remove_targets(Rule="every5", Ids=["fn"])
    events.delete_rule(Name="every5")
    aws.advance(3600)
    assert len(received(aws, name)) == 12


def test_cron_schedule_fires_at_utc_times(aws, events, lam, create):
    name = create(ECHO)
    rule_arn = events.put_rule(Name="quarter", ScheduleExpression="cron(0/15 * * * ? *)")[
        "RuleArn"]
    allow(lam, name, rule_arn)
    events.put_targets(Rule="quarter", Targets=[{"Id": "fn", "Arn": fn_arn(name)}])
    aws.advance(3600)
    got = received(aws, name)
    assert len(got) == 4
    assert all(e["time"][14:19] in ("00:00", "15:00", "30:00", "45:00") for e in got)


@pytest.mark.parametrize("expression", [
    "rate(1 minutes)", "rate(5 minute)", "cron(0 10 * * *)", "cron(0 10 * * * *)",
    "cron(7 20 * * 1-7 *)",
])
def test_invalid_schedule_expression(events, expression):
    with pytest.raises(ClientError) as info:
        events.put_rule(Name="bad", ScheduleExpression=expression)
    assert info.value.response["Error"]["Code"] == "ValidationException"
    assert info.value.response["Error"]["Message"] == "Parameter ScheduleExpression is not valid."


PIPELINE = {"source": ["aws.codepipeline"],
            "detail-type": ["CodePipeline Pipeline Execution State Change"],
            "detail": {"state": ["FAILED", "SUCCEEDED"]}}


def put_pipeline_event(events, state: str) -> None:
    out = events.put_events(Entries=[{
        "Source": "aws.codepipeline", "DetailType": "CodePipeline Pipeline Execution State Change",
        "Detail": json.dumps({"pipeline": "shop", "execution-id": "e-1", "state": state,
                              "version": 3}),
        "Resources": [f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:shop"]}])
    assert out["FailedEntryCount"] == 0


def test_pattern_rule_invokes_lambda_beside_an_sqs_target(aws, events, lam, create):
    name = create(ECHO)
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="pipeline-events")["QueueUrl"]
    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:pipeline-events"
    rule_arn = events.put_rule(Name="pipeline", EventPattern=json.dumps(PIPELINE))["RuleArn"]
    allow(lam, name, rule_arn)
    events.put_targets(Rule="pipeline", Targets=[{"Id": "fn", "Arn": fn_arn(name)},
                                                  {"Id": "q", "Arn": queue_arn}])
    put_pipeline_event(events, "STARTED")  # does not match
    put_pipeline_event(events, "FAILED")
    got = received(aws, name)
    assert len(got) == 1
    event = got[0]
    assert event["detail"]["state"] == "FAILED" and event["source"] == "aws.codepipeline"
    assert event["detail-type"] == "CodePipeline Pipeline Execution State Change"
    assert event["resources"] == [f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:shop"]
    assert event["time"].endswith("Z") and event["account"] == ACCOUNT
    messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1 and json.loads(messages[0]["Body"])["detail"]["state"] == "FAILED"
    (delivery,) = triggers.deliveries()
    assert delivery.outcome == "invoked" and delivery.source_arn == rule_arn


def test_without_permission_the_invoke_is_refused(aws, events, lam, create):
    name = create(ECHO)
    events.put_rule(Name="pipeline", EventPattern=json.dumps(PIPELINE))
    events.put_targets(Rule="pipeline", Targets=[{"Id": "fn", "Arn": fn_arn(name)}])
    put_pipeline_event(events, "SUCCEEDED")
    assert received(aws, name) == []
    (delivery,) = triggers.deliveries()
    assert delivery.outcome == "denied" and "events.amazonaws.com" in delivery.reason
    # a permission for another rule does not help; one for this rule does
    allow(lam, name, f"arn:aws:events:{REGION}:{ACCOUNT}:rule/other", sid="other")
    put_pipeline_event(events, "SUCCEEDED")
    assert received(aws, name) == []
    allow(lam, name, f"arn:aws:events:{REGION}:{ACCOUNT}:rule/pipeline")
    put_pipeline_event(events, "SUCCEEDED")
    assert len(received(aws, name)) == 1
    assert [d.outcome for d in triggers.deliveries()] == ["denied", "denied", "invoked"]


def test_input_input_path_and_input_transformer(aws, events, lam, create):
    name = create(ECHO)
    events.put_rule(Name="pipeline", EventPattern=json.dumps(PIPELINE))
    allow(lam, name)
    events.put_targets(Rule="pipeline", Targets=[
        {"Id": "constant", "Arn": fn_arn(name), "Input": json.dumps({"fixed": [1, 2]})},
        {"Id": "path", "Arn": fn_arn(name), "InputPath": "$.detail"},
        {"Id": "transform", "Arn": fn_arn(name), "InputTransformer": {
            "InputPathsMap": {"p": "$.detail.pipeline", "s": "$.detail.state",
                              "v": "$.detail.version", "d": "$.detail"},
            "InputTemplate": '{"text": "Pipeline <p> is <s>", "version": <v>, "detail": <d>, '
                             '"rule": "<aws.events.rule-name>"}'}},
        {"Id": "string", "Arn": fn_arn(name), "InputTransformer": {
            "InputPathsMap": {"p": "$.detail.pipeline"},
            "InputTemplate": '"<p> changed"'}},
    ])
    put_pipeline_event(events, "FAILED")
    got = received(aws, name)
    assert len(got) == 4
    assert {"fixed": [1, 2]} in got
    detail = {"pipeline": "shop", "execution-id": "e-1", "state": "FAILED", "version": 3}
    assert detail in got
    assert {"text": "Pipeline shop is FAILED", "version": 3, "detail": detail,
            "rule": "pipeline"} in got
    assert "shop changed" in got
