"""SAM templates (``Transform: AWS::Serverless-2016-10-31``) deployed as CloudFormation does.

From the SAM Developer Guide: AWS::Serverless::Function (``InlineCode``, ``CodeUri`` "Amazon S3 URI,
local file path, or FunctionCode object"; ``sam package`` / ``aws cloudformation package`` upload
local artifacts to S3 and rewrite the template), ``Globals`` ("properties ... common to all your
serverless functions"), ``Policies`` (policy templates, e.g. SQSSendMessagePolicy), ``Events``
(SQS), ``AutoPublishAlias`` ("publishes a new version ... and points the alias to it" when the
code changes), ``DeploymentPreference`` ("Gradual code deployments": Canary10Percent5Minutes
shifts 10 percent of traffic, the rest five minutes later; Linear10PercentEvery1Minute; Hooks
PreTraffic/PostTraffic; Alarms roll the deployment back; CloudFormation's
CodeDeployLambdaAliasUpdate UpdatePolicy makes the stack update wait for the deployment, and a
failed deployment rolls the stack update back to UPDATE_ROLLBACK_COMPLETE). Template errors are
CloudFormation's "Transform AWS::Serverless-2016-10-31 failed with: Invalid Serverless
Application Specification document".
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
import textwrap

import boto3
import pytest
from aws_helpers import REGION, session
from botocore.exceptions import ClientError

from lambda_lab.aws.sam import package

HEADER = "Transform: AWS::Serverless-2016-10-31\n"
#: CreateStack / UpdateStack of a SAM template: the transform and the roles it generates
CAPS = ["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"]


def code(version: int) -> str:
    return textwrap.indent(textwrap.dedent(f"""\
        import os
        def handler(event, context):
            return {{"v": {version}, "who": os.environ.get("WHO")}}
        """), " " * 8)


HOOK = """\
        import os, boto3
        def handler(event, context):
            boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
                deploymentId=event["DeploymentId"],
                lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
                status=os.environ["RESULT"])
"""


def deployed(version: int, preference: str = "", hook_result: str = "Succeeded") -> str:
    """A function with AutoPublishAlias ``live`` (and ``preference`` under DeploymentPreference),
    its code returning ``version``; with Hooks, a PreTraffic hook reporting ``hook_result``."""
    hook = ""
    if "Hooks" in preference:
        hook = f"""
  PreHook:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      FunctionName: CodeDeployHook_pre
      Environment: {{Variables: {{RESULT: {hook_result}}}}}
      InlineCode: |
{HOOK}"""
    return HEADER + f"""
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: app
      Runtime: python3.12
      Handler: index.handler
      AutoPublishAlias: live
      InlineCode: |
{code(version)}
{textwrap.indent(preference, " " * 6)}
{hook}"""


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def cfn(aws):
    return boto3.client("cloudformation", region_name=REGION)


@pytest.fixture
def lam(aws):
    return boto3.client("lambda", region_name=REGION)


def status(cfn, stack: str) -> str:
    return cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]


def call(lam, name: str) -> dict:
    out = lam.invoke(FunctionName=name)
    assert "FunctionError" not in out
    return json.loads(out["Payload"].read())


def test_globals_policies_and_auto_publish_alias(cfn, lam):
    iam = boto3.client("iam", region_name=REGION)
    cfn.create_stack(StackName="app", Capabilities=CAPS, TemplateBody=HEADER + f"""
Globals:
  Function:
    Timeout: 7
    Environment:
      Variables:
        WHO: globals
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      AutoPublishAlias: live
      Policies:
        - SQSSendMessagePolicy:
            QueueName: !GetAtt Queue.QueueName
      InlineCode: |
{code(1)}
Outputs:
  Name:
    Value: !Ref Fn
""")
    assert status(cfn, "app") == "CREATE_COMPLETE"
    name = cfn.describe_stacks(StackName="app")["Stacks"][0]["Outputs"][0]["OutputValue"]
    config = lam.get_function_configuration(FunctionName=name)
    assert config["Timeout"] == 7 and config["Environment"]["Variables"] == {"WHO": "globals"}
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "1"
    assert call(lam, f"{name}:live") == {"v": 1, "who": "globals"}
    role = config["Role"].rsplit("/", 1)[1]
    policies = [iam.get_role_policy(RoleName=role, PolicyName=p)["PolicyDocument"]
                for p in iam.list_role_policies(RoleName=role)["PolicyNames"]]
    assert "sqs:SendMessage" in json.dumps(policies)


def test_code_uri_folder_is_packaged_to_s3(cfn, lam, tmp_path):
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("def handler(event, context):\n    return 'packaged'\n")
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="artifacts")
    body = HEADER + """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: packaged
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
"""
    packaged = package(body, "artifacts", base_dir=str(tmp_path), s3=s3)
    uri = packaged["Resources"]["Fn"]["Properties"]["CodeUri"]
    assert uri.startswith("s3://artifacts/")
    assert package(body, "artifacts", base_dir=str(tmp_path), s3=s3)["Resources"]["Fn"][
        "Properties"]["CodeUri"] == uri  # same files, same object
    cfn.create_stack(StackName="p", TemplateBody=json.dumps(packaged),
                     Capabilities=CAPS)
    assert call(lam, "packaged") == "packaged"
    with pytest.raises(FileNotFoundError):
        package(body.replace("src/", "missing/"), "artifacts", base_dir=str(tmp_path), s3=s3)


def test_sqs_event_creates_a_mapping_that_delivers(aws, cfn, lam):
    cfn.create_stack(StackName="q", Capabilities=CAPS, TemplateBody=HEADER + """
Resources:
  Queue:
    Type: AWS::SQS::Queue
    Properties: {QueueName: jobs}
  Out:
    Type: AWS::SQS::Queue
    Properties: {QueueName: done}
  Worker:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: worker
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import boto3
        def handler(event, context):
            sqs = boto3.client("sqs")
            url = sqs.get_queue_url(QueueName="done")["QueueUrl"]
            for record in event["Records"]:
                sqs.send_message(QueueUrl=url, MessageBody=record["body"].upper())
      Events:
        Jobs:
          Type: SQS
          Properties:
            Queue: !GetAtt Queue.Arn
            BatchSize: 5
""")
    mappings = lam.list_event_source_mappings(FunctionName="worker")["EventSourceMappings"]
    assert len(mappings) == 1 and mappings[0]["BatchSize"] == 5
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="jobs")["QueueUrl"], MessageBody="a")
    got = []
    for _ in range(20):
        aws.advance(1)
        got += sqs.receive_message(QueueUrl=sqs.get_queue_url(QueueName="done")["QueueUrl"]
                                   ).get("Messages", [])
        if got:
            break
    assert [m["Body"] for m in got] == ["A"]


def test_translator_errors_are_validation_errors(cfn):
    with pytest.raises(ClientError) as e:
        cfn.create_stack(StackName="bad", Capabilities=CAPS, TemplateBody=HEADER + """
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: "x = 1"
      Events:
        Odd:
          Type: Carrier-Pigeon
""")
    error = e.value.response["Error"]
    assert error["Code"] == "ValidationError"
    assert error["Message"].startswith("Transform AWS::Serverless-2016-10-31 failed with: "
                                       "Invalid Serverless Application Specification document.")
    assert "Fn" in error["Message"]


def test_new_code_publishes_a_version_and_moves_the_alias(cfn, lam):
    cfn.create_stack(StackName="s", TemplateBody=deployed(1), Capabilities=CAPS)
    cfn.update_stack(StackName="s", TemplateBody=deployed(2), Capabilities=CAPS)
    assert status(cfn, "s") == "UPDATE_COMPLETE"
    assert lam.get_alias(FunctionName="app", Name="live")["FunctionVersion"] == "2"
    assert call(lam, "app:live")["v"] == 2
    assert call(lam, "app:1")["v"] == 1  # AutoPublishAlias versions are retained


CANARY = "DeploymentPreference:\n  Type: Canary10Percent5Minutes\n"


def test_canary_deployment_moves_on_the_platform_clock(aws, cfn, lam):
    cfn.create_stack(StackName="s", TemplateBody=deployed(1, CANARY),
                     Capabilities=CAPS)
    assert status(cfn, "s") == "CREATE_COMPLETE"
    cfn.update_stack(StackName="s", TemplateBody=deployed(2, CANARY),
                     Capabilities=CAPS)
    assert status(cfn, "s") == "UPDATE_IN_PROGRESS"
    aws.advance(1)
    alias = lam.get_alias(FunctionName="app", Name="live")
    assert alias["FunctionVersion"] == "1"
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"2": pytest.approx(0.1)}
    assert status(cfn, "s") == "UPDATE_IN_PROGRESS"
    aws.advance(300)
    alias = lam.get_alias(FunctionName="app", Name="live")
    assert alias["FunctionVersion"] == "2" and not alias.get("RoutingConfig", {}).get(
        "AdditionalVersionWeights")
    assert status(cfn, "s") == "UPDATE_COMPLETE"
    cd = boto3.client("codedeploy", region_name=REGION)
    assert len(cd.list_applications()["applications"]) == 1
    ids = cd.list_deployments()["deployments"]
    assert cd.get_deployment(deploymentId=ids[0])["deploymentInfo"]["status"] == "Succeeded"


def test_linear_deployment_adds_10_percent_a_minute(aws, cfn, lam):
    linear = "DeploymentPreference:\n  Type: Linear10PercentEvery1Minute\n"
    cfn.create_stack(StackName="s", TemplateBody=deployed(1, linear),
                     Capabilities=CAPS)
    cfn.update_stack(StackName="s", TemplateBody=deployed(2, linear),
                     Capabilities=CAPS)
    aws.advance(1)
    aws.advance(60)
    weights = lam.get_alias(FunctionName="app", Name="live")["RoutingConfig"][
        "AdditionalVersionWeights"]
    assert weights == {"2": pytest.approx(0.2)}
    aws.advance(600)
    assert status(cfn, "s") == "UPDATE_COMPLETE"


def test_a_failing_pre_traffic_hook_rolls_the_stack_update_back(aws, cfn, lam):
    pref = CANARY + "  Hooks:\n    PreTraffic: !Ref PreHook\n"
    cfn.create_stack(StackName="s", TemplateBody=deployed(1, pref),
                     Capabilities=CAPS)
    cfn.update_stack(StackName="s", TemplateBody=deployed(2, pref, hook_result="Failed"),
                     Capabilities=CAPS)
    for _ in range(10):
        aws.advance(1)
        if status(cfn, "s") != "UPDATE_IN_PROGRESS":
            break
    assert status(cfn, "s") == "UPDATE_ROLLBACK_COMPLETE"
    assert lam.get_alias(FunctionName="app", Name="live")["FunctionVersion"] == "1"
    assert call(lam, "app")["v"] == 1  # $LATEST back to the previous code
    found = cfn.describe_stack_events(StackName="s")["StackEvents"]
    failed = [e for e in found if e["ResourceStatus"] == "UPDATE_FAILED"]
    assert failed and failed[0]["LogicalResourceId"] == "FnAliaslive"


def test_an_alarm_stops_the_canary_and_rolls_the_stack_back(aws, cfn, lam):
    cw = boto3.client("cloudwatch", region_name=REGION)
    cw.put_metric_alarm(AlarmName="errors", Namespace="AWS/Lambda", MetricName="Errors",
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    pref = CANARY + "  Alarms:\n    - errors\n"
    cfn.create_stack(StackName="s", TemplateBody=deployed(1, pref),
                     Capabilities=CAPS)
    cfn.update_stack(StackName="s", TemplateBody=deployed(2, pref),
                     Capabilities=CAPS)
    aws.advance(1)
    assert status(cfn, "s") == "UPDATE_IN_PROGRESS"
    cw.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="test")
    aws.advance(1)
    assert status(cfn, "s") == "UPDATE_ROLLBACK_COMPLETE"
    alias = lam.get_alias(FunctionName="app", Name="live")
    assert alias["FunctionVersion"] == "1"
    assert not alias.get("RoutingConfig", {}).get("AdditionalVersionWeights")


def test_api_event_answers_over_http(cfn):
    """SAM "Api" event: an implicit ``ServerlessRestApi`` with a ``Prod`` stage whose path
    invokes the function through a Lambda proxy integration (SAM DG "Api")."""
    import requests

    cfn.create_stack(StackName="web", Capabilities=CAPS, TemplateBody=HEADER + """
Resources:
  Items:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import json
        def handler(event, context):
            return {"statusCode": 200, "body": json.dumps(
                {"path": event["path"], "id": event["pathParameters"]["id"]})}
      Events:
        Get:
          Type: Api
          Properties:
            Path: /items/{id}
            Method: get
Outputs:
  Url:
    Value: !Sub "https://${ServerlessRestApi}.execute-api.${AWS::Region}.amazonaws.com/Prod"
""")
    url = cfn.describe_stacks(StackName="web")["Stacks"][0]["Outputs"][0]["OutputValue"]
    answer = requests.get(f"{url}/items/7", timeout=30)
    assert answer.status_code == 200
    assert answer.json() == {"path": "/items/7", "id": "7"}
    assert requests.post(f"{url}/items/7", timeout=30).status_code == 403  # no such method


def test_http_api_event_answers_over_http(cfn):
    """SAM "HttpApi" event: an implicit ``ServerlessHttpApi`` with an auto-deployed ``$default``
    stage, payload format 2.0 (SAM DG "HttpApi")."""
    import requests

    cfn.create_stack(StackName="http", Capabilities=CAPS, TemplateBody=HEADER + """
Resources:
  Hello:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return {"route": event["routeKey"], "version": event["version"]}
      Events:
        Get:
          Type: HttpApi
          Properties:
            Path: /hello
            Method: GET
Outputs:
  Url:
    Value: !Sub "https://${ServerlessHttpApi}.execute-api.${AWS::Region}.amazonaws.com"
""")
    url = cfn.describe_stacks(StackName="http")["Stacks"][0]["Outputs"][0]["OutputValue"]
    answer = requests.get(f"{url}/hello", timeout=30)
    assert answer.status_code == 200
    assert answer.json() == {"route": "GET /hello", "version": "2.0"}


def test_schedule_sns_and_eventbridge_rule_events_invoke_the_function(aws, cfn):
    """SAM "Schedule" (an EventBridge rule with a schedule expression), "SNS" (a subscription
    of the function to the topic) and "EventBridgeRule" (a rule with an event pattern) events;
    each event reaches the handler in its service's shape."""
    cfn.create_stack(StackName="ev", Capabilities=CAPS, TemplateBody=HEADER + """
Resources:
  Bucket:
    Type: AWS::S3::Bucket
    Properties: {BucketName: seen}
  Topic:
    Type: AWS::SNS::Topic
  Tick:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        import boto3, json, uuid
        def handler(event, context):
            source = event.get("source") or event["Records"][0]["EventSource"]
            boto3.client("s3").put_object(Bucket="seen", Key=f"{source}/{uuid.uuid4()}",
                                          Body=json.dumps(event))
      Events:
        Every:
          Type: Schedule
          Properties:
            Schedule: rate(1 minute)
        Sns:
          Type: SNS
          Properties:
            Topic: !Ref Topic
        Rule:
          Type: EventBridgeRule
          Properties:
            Pattern: {source: [my.app]}
Outputs:
  Topic: {Value: !Ref Topic}
""")
    s3 = boto3.client("s3", region_name=REGION)

    def sources() -> set[str]:
        return {o["Key"].split("/")[0]
                for o in s3.list_objects_v2(Bucket="seen").get("Contents", [])}

    aws.advance(61)
    aws.wait_async()
    assert sources() == {"aws.events"}
    topic = cfn.describe_stacks(StackName="ev")["Stacks"][0]["Outputs"][0]["OutputValue"]
    boto3.client("sns", region_name=REGION).publish(TopicArn=topic, Message="hi")
    boto3.client("events", region_name=REGION).put_events(Entries=[
        {"Source": "my.app", "DetailType": "thing", "Detail": "{}"}])
    aws.advance(1)
    aws.wait_async()
    assert sources() == {"aws.events", "aws:sns", "my.app"}


def test_parameters_reach_the_translator(cfn, lam):
    """The transform sees the stack's parameter values (CloudFormation resolves them for
    it): AutoPublishAlias named by a parameter."""
    cfn.create_stack(StackName="p", Capabilities=CAPS,
                     Parameters=[{"ParameterKey": "AliasName", "ParameterValue": "blue"}],
                     TemplateBody=HEADER + f"""
Parameters:
  AliasName:
    Type: String
    Default: green
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: param
      Runtime: python3.12
      Handler: index.handler
      AutoPublishAlias: !Ref AliasName
      InlineCode: |
{code(1)}
""")
    assert [a["Name"] for a in lam.list_aliases(FunctionName="param")["Aliases"]] == ["blue"]


def test_stream_and_s3_events_and_provisioned_concurrency(aws, cfn, lam):
    """SAM "Kinesis" and "DynamoDB" events (event source mappings), "S3" (the bucket's
    notification configuration), and ``ProvisionedConcurrencyConfig`` on the published alias."""
    cfn.create_stack(StackName="streams", Capabilities=CAPS,
                     TemplateBody=HEADER + """
Resources:
  Seen:
    Type: AWS::S3::Bucket
    Properties: {BucketName: seen}
  Uploads:
    Type: AWS::S3::Bucket
    Properties: {BucketName: uploads}
  Stream:
    Type: AWS::Kinesis::Stream
    Properties: {Name: st, ShardCount: 1}
  Table:
    Type: AWS::DynamoDB::Table
    Properties:
      TableName: t
      AttributeDefinitions: [{AttributeName: id, AttributeType: S}]
      KeySchema: [{AttributeName: id, KeyType: HASH}]
      BillingMode: PAY_PER_REQUEST
      StreamSpecification: {StreamViewType: NEW_IMAGE}
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: f
      Runtime: python3.12
      Handler: index.handler
      AutoPublishAlias: live
      ProvisionedConcurrencyConfig: {ProvisionedConcurrentExecutions: 1}
      InlineCode: |
        import boto3, json, uuid
        def handler(event, context):
            record = event["Records"][0]
            src = record.get("eventSource") or record.get("EventSource")
            boto3.client("s3").put_object(Bucket="seen", Key=f"{src}/{uuid.uuid4()}",
                                          Body=json.dumps(event))
      Events:
        K:
          Type: Kinesis
          Properties: {Stream: !GetAtt Stream.Arn, StartingPosition: TRIM_HORIZON}
        D:
          Type: DynamoDB
          Properties: {Stream: !GetAtt Table.StreamArn, StartingPosition: TRIM_HORIZON}
        S:
          Type: S3
          Properties:
            Bucket: !Ref Uploads
            Events: s3:ObjectCreated:*
""")
    assert status(cfn, "streams") == "CREATE_COMPLETE"
    assert lam.get_provisioned_concurrency_config(FunctionName="f", Qualifier="live")[
        "RequestedProvisionedConcurrentExecutions"] == 1
    boto3.client("kinesis", region_name=REGION).put_record(StreamName="st", Data=b"x",
                                                           PartitionKey="p")
    boto3.client("dynamodb", region_name=REGION).put_item(TableName="t",
                                                          Item={"id": {"S": "1"}})
    s3 = boto3.client("s3", region_name=REGION)
    s3.put_object(Bucket="uploads", Key="a", Body=b"x")
    for _ in range(5):
        aws.advance(1)
        aws.wait_async()
    assert {o["Key"].split("/")[0] for o in s3.list_objects_v2(Bucket="seen")["Contents"]} == {
        "aws:kinesis", "aws:dynamodb", "aws:s3"}


def test_pre_and_post_traffic_hooks_run_around_the_shift(aws, cfn, lam):
    """Hooks PreTraffic / PostTraffic: CodeDeploy invokes them before and after the traffic
    shift (lifecycle events BeforeAllowTraffic / AfterAllowTraffic), and the update completes
    once both reported Succeeded."""
    pref = ("DeploymentPreference:\n  Type: AllAtOnce\n  Hooks:\n    PreTraffic: !Ref PreHook\n"
            "    PostTraffic: !Ref PreHook\n")
    cfn.create_stack(StackName="s", TemplateBody=deployed(1, pref),
                     Capabilities=CAPS)
    cfn.update_stack(StackName="s", TemplateBody=deployed(2, pref),
                     Capabilities=CAPS)
    for _ in range(10):
        aws.advance(1)
        if status(cfn, "s") != "UPDATE_IN_PROGRESS":
            break
    assert status(cfn, "s") == "UPDATE_COMPLETE"
    assert lam.get_alias(FunctionName="app", Name="live")["FunctionVersion"] == "2"
    cd = boto3.client("codedeploy", region_name=REGION)
    (deployment,) = cd.list_deployments()["deployments"]
    (target,) = cd.list_deployment_targets(deploymentId=deployment)["targetIds"]
    events = cd.get_deployment_target(deploymentId=deployment, targetId=target)[
        "deploymentTarget"]["lambdaTarget"]["lifecycleEvents"]
    assert {e["lifecycleEventName"]: e["status"] for e in events} == {
        "BeforeAllowTraffic": "Succeeded", "AllowTraffic": "Succeeded",
        "AfterAllowTraffic": "Succeeded"}


def test_change_sets_run_the_canary_and_a_busy_stack_refuses_updates(aws, cfn, lam):
    """``aws cloudformation deploy`` goes through change sets: executing an UPDATE change set
    starts the deployment too; a stack still UPDATE_IN_PROGRESS refuses another update
    (ValidationError "... is in UPDATE_IN_PROGRESS state and can not be updated.")."""
    cfn.create_change_set(StackName="s", ChangeSetName="c1", ChangeSetType="CREATE",
                          TemplateBody=deployed(1, CANARY), Capabilities=["CAPABILITY_IAM"])
    cfn.execute_change_set(StackName="s", ChangeSetName="c1")
    assert status(cfn, "s") == "CREATE_COMPLETE"
    cfn.create_change_set(StackName="s", ChangeSetName="c2", ChangeSetType="UPDATE",
                          TemplateBody=deployed(2, CANARY), Capabilities=["CAPABILITY_IAM"])
    cfn.execute_change_set(StackName="s", ChangeSetName="c2")
    assert status(cfn, "s") == "UPDATE_IN_PROGRESS"
    with pytest.raises(ClientError) as e:
        cfn.update_stack(StackName="s", TemplateBody=deployed(3, CANARY),
                         Capabilities=CAPS)
    assert "is in UPDATE_IN_PROGRESS state and can not be updated" in str(e.value)
    aws.advance(1)
    aws.advance(300)
    assert status(cfn, "s") == "UPDATE_COMPLETE"
    assert call(lam, "app:live")["v"] == 2


def test_package_reads_short_form_intrinsic_functions(aws, tmp_path):
    """``aws cloudformation package`` reads YAML templates written with CloudFormation's short
    forms (``!Ref``, ``!GetAtt``, ``!Sub``; CloudFormation UG "Intrinsic function reference")
    and writes their full forms (``Ref``, ``Fn::GetAtt``, ``Fn::Sub``), even before any stack
    has been created in the session."""
    src = tmp_path / "src"
    src.mkdir()
    (src / "app.py").write_text("def handler(event, context):\n    return 1\n")
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="artifacts")
    packaged = package(HEADER + """
Resources:
  Queue:
    Type: AWS::SQS::Queue
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: app.handler
      CodeUri: src/
      Environment:
        Variables:
          QUEUE: !Ref Queue
          ARN: !GetAtt Queue.Arn
          WHERE: !Sub "${AWS::Region}/${Queue}"
""", "artifacts", base_dir=str(tmp_path), s3=s3)
    props = packaged["Resources"]["Fn"]["Properties"]
    assert props["CodeUri"].startswith("s3://artifacts/")
    assert props["Environment"]["Variables"] == {
        "QUEUE": {"Ref": "Queue"}, "ARN": {"Fn::GetAtt": ["Queue", "Arn"]},
        "WHERE": {"Fn::Sub": "${AWS::Region}/${Queue}"}}


def test_delete_stack_removes_the_codedeploy_resources(aws, cfn, lam):
    """DeleteStack of a SAM stack with a DeploymentPreference deletes what the translator added
    — the CodeDeploy application and deployment group among them — and ends
    ``DELETE_COMPLETE`` (CloudFormation UG "Deleting a stack")."""
    cfn.create_stack(StackName="s", TemplateBody=deployed(1, CANARY),
                     Capabilities=CAPS)
    cd = boto3.client("codedeploy", region_name=REGION)
    assert len(cd.list_applications()["applications"]) == 1
    stack_id = cfn.describe_stacks(StackName="s")["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName="s")
    assert status(cfn, stack_id) == "DELETE_COMPLETE"
    assert cd.list_applications()["applications"] == []
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="app")
