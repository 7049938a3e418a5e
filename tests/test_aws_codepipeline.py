"""CodePipeline executions on the platform clock (CodePipeline UG "Invoke an AWS Lambda function in
a pipeline": the job event ``CodePipeline.job`` with ``id`` and ``data.actionConfiguration
.configuration.UserParameters``, the function calls PutJobSuccessResult or PutJobFailureResult;
"Monitoring CodePipeline events": ``aws.codepipeline`` events "CodePipeline Pipeline / Stage /
Action Execution State Change" with ``detail.state`` STARTED, SUCCEEDED, FAILED on the default
bus; stages in order, actions by runOrder)."""

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from aws_helpers import REGION, session

ACCOUNT = "123456789012"
TRUST = {"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    for service in ("codepipeline.amazonaws.com", "lambda.amazonaws.com")]}
TESTER = """
import json, boto3
def handler(event, context):
    job = event["CodePipeline.job"]
    cp = boto3.client("codepipeline")
    boto3.client("s3").put_object(Bucket="seen", Key="job", Body=json.dumps(event))
    if job["data"]["actionConfiguration"]["configuration"]["UserParameters"] == "pass":
        cp.put_job_success_result(jobId=job["id"])
    else:
        cp.put_job_failure_result(jobId=job["id"], failureDetails={
            "type": "JobFailed", "message": "tests failed"})
"""
WATCHER = """
import json, boto3, uuid
def handler(event, context):
    boto3.client("s3").put_object(Bucket="seen", Key="events/" + str(uuid.uuid4()),
                                  Body=json.dumps(event))
"""


def _zip(source: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", source)
    return buf.getvalue()


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def env(aws):
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))["Role"]
    lam = boto3.client("lambda", region_name=REGION)
    for name, code in (("tester", TESTER), ("watcher", WATCHER)):
        lam.create_function(FunctionName=name, Runtime="python3.12", Handler="index.handler",
                            Role=role["Arn"], Code={"ZipFile": _zip(code)})
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="seen")
    s3.put_object(Bucket="seen", Key="src.zip", Body=_zip("# the source"))
    return role["Arn"]


def pipeline(role: str, user_parameters: str) -> dict:
    return {"name": "release", "roleArn": role, "version": 1,
            "artifactStore": {"type": "S3", "location": "seen"},
            "stages": [
                {"name": "Source", "actions": [{
                    "name": "Code", "actionTypeId": {"category": "Source", "owner": "AWS",
                                                     "provider": "S3", "version": "1"},
                    "configuration": {"S3Bucket": "seen", "S3ObjectKey": "src.zip"},
                    "outputArtifacts": [{"name": "src"}]}]},
                {"name": "Test", "actions": [{
                    "name": "RunTests", "runOrder": 1,
                    "actionTypeId": {"category": "Invoke", "owner": "AWS",
                                     "provider": "Lambda", "version": "1"},
                    "configuration": {"FunctionName": "tester",
                                      "UserParameters": user_parameters}}]}]}


def run(aws, cp, execution_id: str, seconds: int = 30) -> str:
    for _ in range(seconds):
        aws.advance(1)
        aws.wait_async()
        status = cp.get_pipeline_execution(pipelineName="release",
                                           pipelineExecutionId=execution_id)
        if status["pipelineExecution"]["status"] != "InProgress":
            return status["pipelineExecution"]["status"]
    return "InProgress"


def watch(pattern: dict) -> None:
    """An EventBridge rule on the default bus sending what matches ``pattern`` to watcher."""
    events = boto3.client("events", region_name=REGION)
    events.put_rule(Name="watch", EventPattern=json.dumps(pattern))
    boto3.client("lambda", region_name=REGION).add_permission(
        FunctionName="watcher", StatementId="events", Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=f"arn:aws:events:{REGION}:{ACCOUNT}:rule/watch")
    events.put_targets(Rule="watch", Targets=[{
        "Id": "w", "Arn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:watcher"}])


def watched() -> list[dict]:
    s3 = boto3.client("s3", region_name=REGION)
    found = s3.list_objects_v2(Bucket="seen", Prefix="events/").get("Contents", [])
    return [json.loads(s3.get_object(Bucket="seen", Key=o["Key"])["Body"].read())
            for o in found]


def test_a_lambda_action_that_succeeds_completes_the_pipeline(aws, env):
    watch({"source": ["aws.codepipeline"]})
    cp = boto3.client("codepipeline", region_name=REGION)
    cp.create_pipeline(pipeline=pipeline(env, "pass"))
    execution_id = cp.start_pipeline_execution(name="release")["pipelineExecutionId"]
    assert run(aws, cp, execution_id) == "Succeeded"
    job = json.loads(boto3.client("s3", region_name=REGION).get_object(
        Bucket="seen", Key="job")["Body"].read())["CodePipeline.job"]
    assert job["accountId"] == ACCOUNT
    assert job["data"]["actionConfiguration"]["configuration"] == {
        "FunctionName": "tester", "UserParameters": "pass"}
    assert job["data"]["inputArtifacts"] == []
    state = cp.get_pipeline_state(name="release")["stageStates"]
    assert [(s["stageName"], s["latestExecution"]["status"]) for s in state] == [
        ("Source", "Succeeded"), ("Test", "Succeeded")]
    assert state[1]["actionStates"][0]["latestExecution"]["status"] == "Succeeded"
    summaries = cp.list_pipeline_executions(pipelineName="release")["pipelineExecutionSummaries"]
    assert [(s["pipelineExecutionId"], s["status"]) for s in summaries] == [
        (execution_id, "Succeeded")]
    aws.advance(1)
    aws.wait_async()
    changes = {(e["detail-type"].split()[1], e["detail"].get("stage"),
                e["detail"].get("action"), e["detail"]["state"]) for e in watched()}
    assert changes == {
        ("Pipeline", None, None, "STARTED"), ("Pipeline", None, None, "SUCCEEDED"),
        ("Stage", "Source", None, "STARTED"), ("Stage", "Source", None, "SUCCEEDED"),
        ("Action", "Source", "Code", "STARTED"), ("Action", "Source", "Code", "SUCCEEDED"),
        ("Stage", "Test", None, "STARTED"), ("Stage", "Test", None, "SUCCEEDED"),
        ("Action", "Test", "RunTests", "STARTED"), ("Action", "Test", "RunTests", "SUCCEEDED")}
    action = next(e for e in watched() if e["detail"].get("action") == "RunTests")
    assert action["detail"]["type"] == {"owner": "AWS", "provider": "Lambda",
                                        "category": "Invoke", "version": "1"}


def test_a_failed_job_fails_the_pipeline_and_a_rule_reacts(aws, env):
    watch({"source": ["aws.codepipeline"],
           "detail-type": ["CodePipeline Pipeline Execution State Change"],
           "detail": {"state": ["FAILED"]}})
    cp = boto3.client("codepipeline", region_name=REGION)
    cp.create_pipeline(pipeline=pipeline(env, "fail"))
    execution_id = cp.start_pipeline_execution(name="release")["pipelineExecutionId"]
    assert run(aws, cp, execution_id) == "Failed"
    aws.advance(1)
    aws.wait_async()
    state = cp.get_pipeline_state(name="release")["stageStates"][1]
    assert state["latestExecution"]["status"] == "Failed"
    assert state["actionStates"][0]["latestExecution"]["summary"] == "tests failed"
    (event,) = watched()
    assert event["source"] == "aws.codepipeline"
    assert event["detail-type"] == "CodePipeline Pipeline Execution State Change"
    assert event["detail"]["state"] == "FAILED"
    assert event["detail"]["pipeline"] == "release"
    assert event["detail"]["execution-id"] == execution_id
    assert event["resources"] == [f"arn:aws:codepipeline:{REGION}:{ACCOUNT}:release"]


def test_a_job_nobody_ends_fails_after_its_timeout(aws, env):
    lam = boto3.client("lambda", region_name=REGION)
    lam.update_function_code(FunctionName="tester", ZipFile=_zip(
        "def handler(event, context):\n    return 'forgot to report'\n"))
    cp = boto3.client("codepipeline", region_name=REGION)
    cp.create_pipeline(pipeline=pipeline(env, "pass"))
    execution_id = cp.start_pipeline_execution(name="release")["pipelineExecutionId"]
    assert run(aws, cp, execution_id, seconds=10) == "InProgress"
    aws.advance(3600)
    status = cp.get_pipeline_execution(pipelineName="release",
                                       pipelineExecutionId=execution_id)
    assert status["pipelineExecution"]["status"] == "Failed"


def test_unknown_pipeline_and_job(aws, env):
    cp = boto3.client("codepipeline", region_name=REGION)
    with pytest.raises(cp.exceptions.PipelineNotFoundException):
        cp.start_pipeline_execution(name="nope")
    with pytest.raises(cp.exceptions.JobNotFoundException):
        cp.put_job_success_result(jobId="00000000-0000-0000-0000-000000000000")


TEMPLATE = """\
Transform: AWS::Serverless-2016-10-31
Resources:
  App:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: app
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return "VERSION"
"""
CHECKER = """
import boto3
def handler(event, context):
    job = event["CodePipeline.job"]
    got = boto3.client("lambda").invoke(FunctionName="app")["Payload"].read().decode()
    cp = boto3.client("codepipeline")
    if got == '"' + job["data"]["actionConfiguration"]["configuration"]["UserParameters"] + '"':
        cp.put_job_success_result(jobId=job["id"])
    else:
        cp.put_job_failure_result(jobId=job["id"], failureDetails={
            "type": "JobFailed", "message": "app answered " + got})
"""


def test_source_deploy_and_test_stages(aws, env):
    """An S3 source artifact holding a SAM template, a CloudFormation deploy action
    (CREATE_UPDATE with TemplatePath ``Artifact::file``), and a Lambda action testing what was
    deployed (UG "Tutorial: Create a pipeline that uses AWS CloudFormation")."""
    s3 = boto3.client("s3", region_name=REGION)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("template.yaml", TEMPLATE.replace("VERSION", "v1"))
    s3.put_object(Bucket="seen", Key="src.zip", Body=buf.getvalue())
    lam = boto3.client("lambda", region_name=REGION)
    lam.update_function_code(FunctionName="tester", ZipFile=_zip(CHECKER))
    body = pipeline(env, "v1")
    body["stages"].insert(1, {"name": "Deploy", "actions": [{
        "name": "Stack", "inputArtifacts": [{"name": "src"}],
        "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CloudFormation",
                         "version": "1"},
        "configuration": {"ActionMode": "CREATE_UPDATE", "StackName": "app-stack",
                          "TemplatePath": "src::template.yaml",
                          "Capabilities": "CAPABILITY_IAM,CAPABILITY_AUTO_EXPAND"}}]})
    cp = boto3.client("codepipeline", region_name=REGION)
    cp.create_pipeline(pipeline=body)
    execution_id = cp.start_pipeline_execution(name="release")["pipelineExecutionId"]
    assert run(aws, cp, execution_id) == "Succeeded"
    cfn = boto3.client("cloudformation", region_name=REGION)
    assert cfn.describe_stacks(StackName="app-stack")["Stacks"][0]["StackStatus"] == \
        "CREATE_COMPLETE"
    body["stages"][2]["actions"][0]["configuration"]["UserParameters"] = "v2"
    cp.update_pipeline(pipeline=body)
    execution_id = cp.start_pipeline_execution(name="release")["pipelineExecutionId"]
    assert run(aws, cp, execution_id) == "Failed"  # the template still says v1
    state = cp.get_pipeline_state(name="release")["stageStates"][2]["actionStates"][0]
    assert state["latestExecution"]["summary"] == 'app answered "v1"'


def test_the_deploy_action_passes_its_capabilities(aws, env):
    """The CloudFormation action's ``Capabilities`` configuration is what CreateStack gets
    (CodePipeline action reference: "Capabilities ... CAPABILITY_IAM, CAPABILITY_NAMED_IAM,
    CAPABILITY_AUTO_EXPAND"): a SAM template without CAPABILITY_AUTO_EXPAND fails the action
    with CloudFormation's "Requires capabilities : [CAPABILITY_AUTO_EXPAND]"."""
    s3 = boto3.client("s3", region_name=REGION)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("template.yaml", TEMPLATE.replace("VERSION", "v1"))
    s3.put_object(Bucket="seen", Key="src.zip", Body=buf.getvalue())
    body = pipeline(env, "pass")
    body["stages"][1] = {"name": "Deploy", "actions": [{
        "name": "Stack", "inputArtifacts": [{"name": "src"}],
        "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CloudFormation",
                         "version": "1"},
        "configuration": {"ActionMode": "CREATE_UPDATE", "StackName": "app-stack",
                          "TemplatePath": "src::template.yaml",
                          "Capabilities": "CAPABILITY_IAM"}}]}
    cp = boto3.client("codepipeline", region_name=REGION)
    cp.create_pipeline(pipeline=body)
    execution_id = cp.start_pipeline_execution(name="release")["pipelineExecutionId"]
    assert run(aws, cp, execution_id) == "Failed"
    state = cp.get_pipeline_state(name="release")["stageStates"][1]["actionStates"][0]
    assert state["latestExecution"]["summary"] == (
        "Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
    assert boto3.client("cloudformation", region_name=REGION).describe_stacks()["Stacks"] == []


def test_a_new_source_object_starts_the_pipeline(aws, env):
    """UG "Amazon S3 source action": the pipeline starts when the source object changes (here
    as with ``PollForSourceChanges``; ``"false"`` turns it off)."""
    cp = boto3.client("codepipeline", region_name=REGION)
    cp.create_pipeline(pipeline=pipeline(env, "pass"))
    assert cp.list_pipeline_executions(pipelineName="release")[
        "pipelineExecutionSummaries"] == []
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket="seen", Key="other.zip", Body=b"not the source")
    s3.put_object(Bucket="seen", Key="src.zip", Body=_zip("# new source"))
    (summary,) = cp.list_pipeline_executions(pipelineName="release")[
        "pipelineExecutionSummaries"]
    assert summary["trigger"]["triggerType"] == "PollForSourceChanges"
    assert run(aws, cp, summary["pipelineExecutionId"]) == "Succeeded"
    body = pipeline(env, "pass")
    body["stages"][0]["actions"][0]["configuration"]["PollForSourceChanges"] = "false"
    cp.update_pipeline(pipeline=body)
    s3.put_object(Bucket="seen", Key="src.zip", Body=_zip("# newer source"))
    assert len(cp.list_pipeline_executions(pipelineName="release")[
        "pipelineExecutionSummaries"]) == 1


def test_the_deploy_action_waits_for_the_stacks_canary(aws, env):
    """A CloudFormation deploy action ends when the stack update does: with a
    ``Canary10Percent5Minutes`` DeploymentPreference, after the canary's 5 minutes."""
    canary = TEMPLATE.replace("      InlineCode:", "      AutoPublishAlias: live\n"
                              "      DeploymentPreference:\n"
                              "        Type: Canary10Percent5Minutes\n      InlineCode:")
    s3 = boto3.client("s3", region_name=REGION)

    def source(version: str) -> None:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("template.yaml", canary.replace("VERSION", version))
        s3.put_object(Bucket="seen", Key="src.zip", Body=buf.getvalue())

    body = pipeline(env, "unused")
    body["stages"][1] = {"name": "Deploy", "actions": [{
        "name": "Stack", "inputArtifacts": [{"name": "src"}],
        "actionTypeId": {"category": "Deploy", "owner": "AWS", "provider": "CloudFormation",
                         "version": "1"},
        "configuration": {"ActionMode": "CREATE_UPDATE", "StackName": "app-stack",
                          "TemplatePath": "src::template.yaml",
                          "Capabilities": "CAPABILITY_IAM,CAPABILITY_AUTO_EXPAND"}}]}
    body["stages"][0]["actions"][0]["configuration"]["PollForSourceChanges"] = "false"
    cp = boto3.client("codepipeline", region_name=REGION)
    cp.create_pipeline(pipeline=body)
    source("v1")
    first = cp.start_pipeline_execution(name="release")["pipelineExecutionId"]
    assert run(aws, cp, first) == "Succeeded"
    source("v2")
    second = cp.start_pipeline_execution(name="release")["pipelineExecutionId"]
    assert run(aws, cp, second, seconds=60) == "InProgress"  # the canary's 10 % for 5 minutes
    lam = boto3.client("lambda", region_name=REGION)
    weights = lam.get_alias(FunctionName="app", Name="live")["RoutingConfig"][
        "AdditionalVersionWeights"]
    assert weights == {"2": pytest.approx(0.1)}
    assert run(aws, cp, second, seconds=300) == "Succeeded"
    assert lam.get_alias(FunctionName="app", Name="live")["FunctionVersion"] == "2"
