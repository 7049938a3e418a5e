"""CodeDeploy traffic shifting for Lambda aliases through boto3, on a virtual clock.

lambda-facts.md "CodeDeploy" (CodeDeploy UG deployment-configurations): LambdaCanary10Percent5/10/
15/30Minutes ("Shifts 10 percent of traffic in the first increment. The remaining 90 percent is
deployed five minutes later"), LambdaLinear10PercentEvery1Minute/2/3/10Minutes ("Shifts 10
percent of traffic every minute until all traffic is shifted"), LambdaAllAtOnce; custom configs
(UG deployment-configurations-create: Canary25Percent45Minutes); BeforeAllowTraffic /
AfterAllowTraffic hooks (UG "AppSpec 'hooks' section": "the Lambda validation function calls back
CodeDeploy and delivers a result of Succeeded or Failed"; "The deployment is considered to have
failed if CodeDeploy is not notified by the Lambda validation function within one hour");
rollback on a CloudWatch alarm (UG "Redeploy and roll back": a rollback redeploys the last good
version as a new deployment).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import collections
import json

import boto3
import pytest
from aws_helpers import REGION, create, lam, make_zip, role, session  # noqa: F401

SERVICE_ROLE = "arn:aws:iam::123456789012:role/codedeploy"
HOOK = """
import os, boto3
def handler(event, context):
    boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
        status=os.environ.get("STATUS", "Succeeded"))
"""
SILENT_HOOK = "def handler(event, context):\n    return 'never reports'\n"


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def cd(aws):
    return boto3.client("codedeploy", region_name=REGION)


def source(tag: str) -> str:
    return f"def handler(event, context):\n    return {tag!r}\n"


def two_versions(lam, create) -> str:
    """A function with versions 1 and 2 and alias ``live`` on version 1."""
    name = create(source("one"))
    lam.publish_version(FunctionName=name)
    lam.update_function_code(FunctionName=name, ZipFile=make_zip(source("two")))
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    return name


def appspec(name: str, hooks: dict[str, str] | None = None, *, yaml: bool = False) -> str:
    if yaml:
        lines = ["version: 0.0", "Resources:", f"  - {name}:", "      Type: AWS::Lambda::Function",
                 "      Properties:", f"        Name: {name}", "        Alias: live",
                 "        CurrentVersion: 1", "        TargetVersion: 2"]
        if hooks:
            lines += ["Hooks:", *(f"  - {k}: {v}" for k, v in hooks.items())]
        return "\n".join(lines) + "\n"
    spec = {"version": 0.0, "Resources": [{name: {"Type": "AWS::Lambda::Function", "Properties": {
        "Name": name, "Alias": "live", "CurrentVersion": "1", "TargetVersion": "2"}}}]}
    if hooks:
        spec["Hooks"] = [{k: v} for k, v in hooks.items()]
    return json.dumps(spec)


def deploy(cd, name: str, config: str, *, hooks=None, yaml=False, **group) -> str:
    cd.create_application(applicationName="app", computePlatform="Lambda")
    cd.create_deployment_group(applicationName="app", deploymentGroupName="dg",
                               deploymentConfigName=config, serviceRoleArn=SERVICE_ROLE, **group)
    return cd.create_deployment(
        applicationName="app", deploymentGroupName="dg",
        revision={"revisionType": "AppSpecContent",
                  "appSpecContent": {"content": appspec(name, hooks, yaml=yaml)}},
    )["deploymentId"]


def routing(lam, name: str) -> tuple[str, dict]:
    alias = lam.get_alias(FunctionName=name, Name="live")
    return alias["FunctionVersion"], alias.get("RoutingConfig", {}).get(
        "AdditionalVersionWeights", {})


def status(cd, deployment_id: str) -> dict:
    return cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]


def executed(lam, name: str, n: int) -> collections.Counter:
    return collections.Counter(
        lam.invoke(FunctionName=name, Qualifier="live")["ExecutedVersion"] for _ in range(n))


def test_canary_shifts_10_percent_then_the_rest_after_5_minutes(aws, lam, create, cd):
    """LambdaCanary10Percent5Minutes: 10 % to the target at once, 100 % five minutes later;
    get_deployment goes Created -> InProgress -> Succeeded."""
    name = two_versions(lam, create)
    did = deploy(cd, name, "CodeDeployDefault.LambdaCanary10Percent5Minutes", yaml=True)
    assert status(cd, did)["status"] == "Created"
    aws.advance(0)
    info = status(cd, did)
    assert info["status"] == "InProgress"
    assert info["deploymentOverview"]["InProgress"] == 1
    assert routing(lam, name) == ("1", {"2": 0.1})
    split = executed(lam, name, 200)
    assert 8 <= split["2"] <= 36 and split["1"] + split["2"] == 200  # ~10 % of 200
    aws.advance(299)
    assert routing(lam, name) == ("1", {"2": 0.1})
    assert status(cd, did)["status"] == "InProgress"
    aws.advance(1)
    assert routing(lam, name) == ("2", {})
    info = status(cd, did)
    assert info["status"] == "Succeeded" and info["deploymentOverview"]["Succeeded"] == 1
    assert info["deploymentConfigName"] == "CodeDeployDefault.LambdaCanary10Percent5Minutes"
    assert executed(lam, name, 20) == {"2": 20}


def test_linear_adds_10_percent_every_minute(aws, lam, create, cd):
    """LambdaLinear10PercentEvery1Minute: 10 %, 20 %, ... one more tenth each minute, then the
    alias points to the target version."""
    name = two_versions(lam, create)
    did = deploy(cd, name, "CodeDeployDefault.LambdaLinear10PercentEvery1Minute")
    aws.advance(0)
    for tenth in range(1, 10):
        assert routing(lam, name) == ("1", {"2": tenth / 10})
        assert status(cd, did)["status"] == "InProgress"
        aws.advance(59)
        assert routing(lam, name) == ("1", {"2": tenth / 10})
        aws.advance(1)
    assert routing(lam, name) == ("2", {})
    assert status(cd, did)["status"] == "Succeeded"


def test_custom_canary_config_and_the_predefined_ones(aws, lam, create, cd):
    """UG deployment-configurations-create: Canary25Percent45Minutes shifts 25 %, the remaining
    75 % 45 minutes later; GetDeploymentConfig shows the predefined Lambda configurations."""
    got = cd.get_deployment_config(
        deploymentConfigName="CodeDeployDefault.LambdaLinear10PercentEvery3Minutes")
    assert got["deploymentConfigInfo"]["trafficRoutingConfig"] == {
        "type": "TimeBasedLinear",
        "timeBasedLinear": {"linearPercentage": 10, "linearInterval": 3}}
    assert "CodeDeployDefault.LambdaCanary10Percent30Minutes" in \
        cd.list_deployment_configs()["deploymentConfigsList"]
    cd.create_deployment_config(
        deploymentConfigName="Canary25Percent45Minutes", computePlatform="Lambda",
        trafficRoutingConfig={"type": "TimeBasedCanary",
                              "timeBasedCanary": {"canaryPercentage": 25, "canaryInterval": 45}})
    name = two_versions(lam, create)
    did = deploy(cd, name, "Canary25Percent45Minutes")
    aws.advance(1)
    assert routing(lam, name) == ("1", {"2": 0.25})
    aws.advance(45 * 60 - 2)
    assert routing(lam, name) == ("1", {"2": 0.25})
    aws.advance(1)
    assert routing(lam, name) == ("2", {})
    assert status(cd, did)["status"] == "Succeeded"


def test_hooks_run_before_and_after_the_shift(aws, lam, create, cd):
    """BeforeAllowTraffic runs (asynchronously, with DeploymentId and
    LifecycleEventHookExecutionId) before any traffic moves, AfterAllowTraffic after all of it;
    both report Succeeded with PutLifecycleEventHookExecutionStatus."""
    name = two_versions(lam, create)
    hook = create(HOOK, MemorySize=1769, Timeout=30)
    did = deploy(cd, name, "CodeDeployDefault.LambdaAllAtOnce",
                 hooks={"BeforeAllowTraffic": hook, "AfterAllowTraffic": hook})
    aws.advance(0)
    assert status(cd, did)["status"] == "Succeeded"
    assert routing(lam, name) == ("2", {})
    calls = [json.loads(e.payload) for e in aws.async_events if e.function_name == hook]
    assert len(calls) == 2 and all(c["DeploymentId"] == did for c in calls)
    assert calls[0]["LifecycleEventHookExecutionId"] != calls[1]["LifecycleEventHookExecutionId"]
    (target,) = cd.list_deployment_targets(deploymentId=did)["targetIds"]
    lambda_target = cd.get_deployment_target(deploymentId=did, targetId=target)[
        "deploymentTarget"]["lambdaTarget"]
    assert [(e["lifecycleEventName"], e["status"]) for e in lambda_target["lifecycleEvents"]] == [
        ("BeforeAllowTraffic", "Succeeded"), ("AllowTraffic", "Succeeded"),
        ("AfterAllowTraffic", "Succeeded")]
    assert lambda_target["lambdaFunctionInfo"]["targetVersionWeight"] == 1.0


def test_a_hook_that_never_reports_fails_the_deployment_after_one_hour(aws, lam, create, cd):
    """No traffic moves while BeforeAllowTraffic is pending; without a report within one hour
    the deployment is Failed and the alias never left the current version."""
    name = two_versions(lam, create)
    hook = create(SILENT_HOOK)
    did = deploy(cd, name, "CodeDeployDefault.LambdaAllAtOnce",
                 hooks={"BeforeAllowTraffic": hook})
    aws.advance(3599)
    assert status(cd, did)["status"] == "InProgress"
    assert routing(lam, name) == ("1", {})
    aws.advance(1)
    info = status(cd, did)
    assert info["status"] == "Failed" and info["errorInformation"]["code"] == "TIMEOUT"
    assert routing(lam, name) == ("1", {})


def test_a_failed_after_hook_rolls_back_to_the_current_version(aws, lam, create, cd):
    """AfterAllowTraffic reports Failed; with DEPLOYMENT_FAILURE rollback the alias goes back to
    version 1 and a codeDeployRollback deployment is recorded."""
    name = two_versions(lam, create)
    bad = create(HOOK, MemorySize=1769, Timeout=30, Environment={"Variables": {"STATUS": "Failed"}})
    did = deploy(cd, name, "CodeDeployDefault.LambdaAllAtOnce", hooks={"AfterAllowTraffic": bad},
                 autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_FAILURE"]})
    aws.advance(0)
    info = status(cd, did)
    assert info["status"] == "Failed"
    assert info["errorInformation"]["code"] == "HOOK_EXECUTION_FAILURE"
    assert routing(lam, name) == ("1", {})
    back = status(cd, info["rollbackInfo"]["rollbackDeploymentId"])
    assert back["creator"] == "codeDeployRollback" and back["status"] == "Succeeded"
    assert back["rollbackInfo"]["rollbackTriggeringDeploymentId"] == did


def test_an_alarm_stops_the_canary_and_rolls_back(aws, lam, create, cd):
    """A monitored CloudWatch alarm in ALARM during the deployment stops it; with
    DEPLOYMENT_STOP_ON_ALARM the alias goes back to the current version."""
    cw = boto3.client("cloudwatch", region_name=REGION)
    cw.put_metric_alarm(AlarmName="errors", Namespace="AWS/Lambda", MetricName="Errors",
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    name = two_versions(lam, create)
    did = deploy(cd, name, "CodeDeployDefault.LambdaCanary10Percent10Minutes",
                 alarmConfiguration={"enabled": True, "alarms": [{"name": "errors"}]},
                 autoRollbackConfiguration={"enabled": True,
                                            "events": ["DEPLOYMENT_STOP_ON_ALARM"]})
    group = cd.get_deployment_group(applicationName="app", deploymentGroupName="dg")
    assert group["deploymentGroupInfo"]["alarmConfiguration"]["alarms"] == [{"name": "errors"}]
    aws.advance(120)
    assert routing(lam, name) == ("1", {"2": 0.1})
    cw.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="errors")
    aws.advance(0)
    info = status(cd, did)
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert "errors" in info["errorInformation"]["message"]
    assert routing(lam, name) == ("1", {})
    assert executed(lam, name, 20) == {"1": 20}
    aws.advance(600)  # the second increment never comes
    assert routing(lam, name) == ("1", {})


def test_stop_deployment_with_rollback(aws, lam, create, cd):
    """StopDeployment(autoRollbackEnabled=True) puts the alias back on the current version;
    stopping a completed deployment is DeploymentAlreadyCompletedException."""
    name = two_versions(lam, create)
    did = deploy(cd, name, "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes")
    aws.advance(240)
    assert routing(lam, name) == ("1", {"2": 0.3})
    assert cd.stop_deployment(deploymentId=did, autoRollbackEnabled=True)["status"] == "Succeeded"
    assert status(cd, did)["status"] == "Stopped"
    assert routing(lam, name) == ("1", {})
    with pytest.raises(cd.exceptions.DeploymentAlreadyCompletedException):
        cd.stop_deployment(deploymentId=did)


def test_errors(aws, lam, create, cd):
    """AWS's exceptions: an unknown deployment configuration, an invalid traffic routing, a
    hook status other than Succeeded/Failed, an unknown hook execution id."""
    cd.create_application(applicationName="app", computePlatform="Lambda")
    with pytest.raises(cd.exceptions.DeploymentConfigDoesNotExistException) as e:
        cd.create_deployment_group(applicationName="app", deploymentGroupName="dg",
                                   deploymentConfigName="CodeDeployDefault.LambdaCanary10Percent5",
                                   serviceRoleArn=SERVICE_ROLE)
    assert "CodeDeployDefault.LambdaCanary10Percent5" in e.value.response["Error"]["Message"]
    with pytest.raises(cd.exceptions.InvalidTrafficRoutingConfigurationException):
        cd.create_deployment_config(
            deploymentConfigName="bad", computePlatform="Lambda",
            trafficRoutingConfig={"type": "TimeBasedLinear",
                                  "timeBasedLinear": {"linearPercentage": 0, "linearInterval": 1}})
    name = two_versions(lam, create)
    hook = create(SILENT_HOOK)
    cd.create_deployment_group(applicationName="app", deploymentGroupName="dg",
                               serviceRoleArn=SERVICE_ROLE)
    did = cd.create_deployment(
        applicationName="app", deploymentGroupName="dg",
        revision={"revisionType": "AppSpecContent", "appSpecContent": {
            "content": appspec(name, {"BeforeAllowTraffic": hook})}})["deploymentId"]
    aws.advance(0)
    (call,) = [json.loads(e.payload) for e in aws.async_events if e.function_name == hook]
    with pytest.raises(cd.exceptions.InvalidLifecycleEventHookExecutionStatusException):
        cd.put_lifecycle_event_hook_execution_status(
            deploymentId=did, lifecycleEventHookExecutionId=call["LifecycleEventHookExecutionId"],
            status="Skipped")
    with pytest.raises(cd.exceptions.InvalidLifecycleEventHookExecutionIdException):
        cd.put_lifecycle_event_hook_execution_status(
            deploymentId=did, lifecycleEventHookExecutionId="nope", status="Succeeded")
    cd.put_lifecycle_event_hook_execution_status(  # the test reports for the silent hook
        deploymentId=did, lifecycleEventHookExecutionId=call["LifecycleEventHookExecutionId"],
        status="Succeeded")
    aws.advance(0)
    assert status(cd, did)["status"] == "Succeeded"  # the default config is all at once
    assert routing(lam, name) == ("2", {})


def test_delete_deployment_group_and_application(cd):
    """CodeDeploy API DeleteDeploymentGroup (answers ``hooksNotCleanedUp``) and
    DeleteApplication ("Deletes an application"; its deployment groups go with it); neither
    lists a "does not exist" error, so deleting one that is gone succeeds."""
    cd.create_application(applicationName="app", computePlatform="Lambda")
    for group in ("dg", "other"):
        cd.create_deployment_group(applicationName="app", deploymentGroupName=group,
                                   serviceRoleArn=SERVICE_ROLE)
    out = cd.delete_deployment_group(applicationName="app", deploymentGroupName="dg")
    assert out["hooksNotCleanedUp"] == []
    assert cd.list_deployment_groups(applicationName="app")["deploymentGroups"] == ["other"]
    cd.delete_deployment_group(applicationName="app", deploymentGroupName="dg")
    cd.delete_application(applicationName="app")
    assert cd.list_applications()["applications"] == []
    cd.delete_application(applicationName="app")
    cd.create_application(applicationName="app", computePlatform="Lambda")
    assert cd.list_deployment_groups(applicationName="app")["deploymentGroups"] == []
