"""Chapter 13, second half: the ``linear-with-alarm`` exercise and the notebook's stack helpers.

Sources: SAM DG "DeploymentPreference" (``Type``; ``Alarms``, "A list of CloudWatch alarms that
you want to be triggered by any errors raised by the deployment") and "Deploying serverless
applications gradually" (Canary10Percent5Minutes: 10 % then the rest five minutes later;
Linear10PercentEvery1Minute / …Every2Minutes: 10 % more every interval; AllAtOnce); CodeDeploy UG
"Deployment configurations"; CloudFormation UG "Monitoring the progress of a stack update"
(UPDATE_ROLLBACK_COMPLETE after a failed update; the failed resource's status reason in the
stack events).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, session

from lambda_lab.course import exercises as ex
from lambda_lab.course.chapters.ch13_packaging_and_deployment import (
    deployment_exercise as deployment,
)
from lambda_lab.course.chapters.ch13_packaging_and_deployment import stacks
from lambda_lab.course.exercises import NOT_ATTEMPTED

EXERCISE = ex.get("linear-with-alarm")
ALARMS = [deployment.ALARM]


def hint(answer: object) -> str:
    return EXERCISE.check(answer).text


def test_the_reference_passes_every_check():
    assert EXERCISE.check(EXERCISE.reference_answer()).text == "✅ 3 of 3 checks pass"


def test_none_and_the_stub_are_not_attempted():
    assert hint(None) == NOT_ATTEMPTED
    assert hint(EXERCISE.stub_answer()) == NOT_ATTEMPTED


@pytest.mark.parametrize(("answer", "expected"), [
    ({"Type": "Canary10Percent5Minutes", "Alarms": ALARMS},
     "❌ 2 of 3 checks pass — hint: the new version kept 10% for two minutes: a Canary type "
     "moves one share, then the rest; a Linear type adds 10 % every interval"),
    ({"Type": "Linear10PercentEvery2Minutes", "Alarms": ALARMS},
     "❌ 2 of 3 checks pass — hint: the new version got 10%, 10%, 20% at 0:01, 1:01 and 2:01; "
     "10 % more every minute gives 10%, 20%, 30%"),
    ({"Type": "AllAtOnce", "Alarms": ALARMS},
     "❌ 1 of 3 checks pass — hint: all the traffic moved at once: that is AllAtOnce (or "
     "Enabled: false)"),
    ({"Type": "Linear10PercentEvery1Minute"},
     "❌ 2 of 3 checks pass — hint: orders-api-errors went to ALARM and the deployment went "
     "on: CodeDeploy watches only the alarms listed under Alarms"),
])
def test_typical_wrong_answers_get_their_hint(answer, expected):
    assert hint(answer) == expected


def test_what_cloudformation_refuses_is_shown_with_its_reason():
    """An unknown Type fails the deployment group (CodeDeploy's "No deployment configuration
    found for name"); Alarms that is not a list fails SAM's translator."""
    text = hint({"Type": "Sideways", "Alarms": ALARMS})
    assert text.startswith("❌ 0 of 3 checks pass — hint: CloudFormation refused it: ")
    assert "No deployment configuration found for name: Sideways" in text
    text = hint({"Type": "Linear10PercentEvery1Minute", "Alarms": deployment.ALARM})
    assert "Alarms must be a list" in text
    assert hint("Linear10PercentEvery1Minute").startswith(
        "❌ 0 of 3 checks pass — hint: preference is a dict of DeploymentPreference's")


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


TEMPLATE = {
    "Transform": "AWS::Serverless-2016-10-31",
    "Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {
        "FunctionName": "shop", "Runtime": "python3.12", "Handler": "index.handler",
        "InlineCode": "def handler(event, context):\n    print('sold', event.get('n'))\n",
        "AutoPublishAlias": "live",
        "DeploymentPreference": {"Type": "Canary10Percent5Minutes"}}}},
    "Outputs": {"Name": {"Value": {"Ref": "Fn"}}},
}


def test_stack_helpers_follow_a_canary(aws):
    """The helpers read DescribeStacks (status, Outputs), DescribeStackEvents (the last
    operation only), the alias's routing, CodeDeploy's newest deployment and the log."""
    cfn = boto3.client("cloudformation", region_name=REGION)
    lam = boto3.client("lambda", region_name=REGION)
    cd = boto3.client("codedeploy", region_name=REGION)
    cfn.create_stack(StackName="shop", TemplateBody=json.dumps(TEMPLATE),
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    assert stacks.stack_status(cfn, "shop") == "CREATE_COMPLETE"
    assert stacks.outputs(cfn, "shop") == {"Name": "shop"}
    created = stacks.stack_events(cfn, "shop", statuses=("CREATE_COMPLETE",)).splitlines()
    assert created[-1].split() == ["shop", "AWS::CloudFormation::Stack", "CREATE_COMPLETE"]
    assert any(line.split()[1:] == ["AWS::Lambda::Alias", "CREATE_COMPLETE"]
               for line in created)
    assert stacks.alias_line(lam, "shop") == "live -> version 1 (100%)"
    with pytest.raises(LookupError):
        stacks.latest_deployment(cd)
    changed = json.loads(json.dumps(TEMPLATE).replace("sold", "SOLD"))
    cfn.update_stack(StackName="shop", TemplateBody=json.dumps(changed),
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    aws.advance(1)
    assert stacks.alias_line(lam, "shop") == "live -> version 1 (90%), version 2 (10%)"
    deployment_id = stacks.latest_deployment(cd)
    assert cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"] == \
        "InProgress"
    updated = stacks.stack_events(cfn, "shop").splitlines()
    assert updated[0].split()[:3] == ["shop", "AWS::CloudFormation::Stack", "UPDATE_IN_PROGRESS"]
    assert not any("CREATE_COMPLETE" in line and "Stack" in line for line in updated)
    lam.invoke(FunctionName="shop", Qualifier="2", Payload=json.dumps({"n": 3}))
    assert stacks.printed("shop", "sold") == ""
    assert stacks.printed("shop", "SOLD") == "SOLD 3"
