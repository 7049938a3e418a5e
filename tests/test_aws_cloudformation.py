"""CloudFormation stacks whose ``AWS::Lambda::*`` resources deploy into the platform and run.

From the CloudFormation template reference (AWS::Lambda::Function "Code.ZipFile": "the source code
of your Lambda function ... written to a file named index"; "Ref returns the resource name";
"Fn::GetAtt Arn: The Amazon Resource Name (ARN) of the function"; AWS::Lambda::Version "Ref
returns the ARN of the version", GetAtt "Version: The version number"; AWS::Lambda::Alias "Ref
returns the resource ARN", RoutingConfig AdditionalVersionWeights; AWS::Lambda::LayerVersion "Ref
returns the ARN of the layer version"; AWS::Lambda::EventSourceMapping "Ref returns the mapping's
ID"; AWS::Lambda::Url GetAtt "FunctionUrl"), and the CloudFormation User Guide ("Stack failure
options": on a failed creation the stack rolls back to ROLLBACK_COMPLETE, deleting the resources
created; on a failed update to UPDATE_ROLLBACK_COMPLETE, the stack's previous state; stack events
show each resource's CREATE_IN_PROGRESS / CREATE_COMPLETE / CREATE_FAILED with its reason).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, lam, make_zip, session  # noqa: F401

TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]}
ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}}
IAM = ["CAPABILITY_IAM"]  # the templates' role (CreateStack "Capabilities")


def function(code: str, **props) -> dict:
    return {"Type": "AWS::Lambda::Function", "Properties": {
        "Runtime": "python3.12", "Handler": "index.handler",
        "Role": {"Fn::GetAtt": ["Role", "Arn"]}, "Code": {"ZipFile": code}, **props}}


def template(resources: dict, outputs: dict | None = None) -> str:
    body = {"Resources": {"Role": ROLE, **resources}}
    if outputs:
        body["Outputs"] = {k: {"Value": v} for k, v in outputs.items()}
    return json.dumps(body)


GREET = "def handler(event, context):\n    return {'hello': event.get('name'), 'v': 1}\n"
GREET2 = "def handler(event, context):\n    return {'hello': event.get('name'), 'v': 2}\n"


@pytest.fixture
def aws():
    yield from session()


@pytest.fixture
def cfn(aws):
    return boto3.client("cloudformation", region_name=REGION)


def outputs(cfn, stack: str) -> dict:
    described = cfn.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def invoke(lam, name: str, event: dict) -> dict:
    out = lam.invoke(FunctionName=name, Payload=json.dumps(event))
    assert "FunctionError" not in out, out["Payload"].read()
    return json.loads(out["Payload"].read())


def events(cfn, stack: str) -> list[tuple[str, str, str | None]]:
    """(logical id, status, reason), oldest first."""
    found = cfn.describe_stack_events(StackName=stack)["StackEvents"][::-1]
    return [(e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason"))
            for e in found]


def test_inline_function_runs_and_ref_getatt_resolve(cfn, lam):
    cfn.create_stack(Capabilities=IAM, StackName="s", TemplateBody=template(
        {"Fn": function(GREET, FunctionName="greeter")},
        {"Name": {"Ref": "Fn"}, "Arn": {"Fn::GetAtt": ["Fn", "Arn"]}}))
    stack = cfn.describe_stacks(StackName="s")["Stacks"][0]
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    out = outputs(cfn, "s")
    assert out["Name"] == "greeter"
    assert out["Arn"] == "arn:aws:lambda:us-east-1:123456789012:function:greeter"
    assert invoke(lam, "greeter", {"name": "cfn"}) == {"hello": "cfn", "v": 1}
    assert ("Fn", "CREATE_COMPLETE", None) in events(cfn, "s")
    resources = {r["LogicalResourceId"]: r["PhysicalResourceId"]
                 for r in cfn.list_stack_resources(StackName="s")["StackResourceSummaries"]}
    assert resources["Fn"] == "greeter"


def test_a_function_without_a_name_gets_one_from_the_stack(cfn, lam):
    """Template reference: "If you don't specify a name, AWS CloudFormation generates a
    unique physical ID" (stack name, logical id, random suffix)."""
    cfn.create_stack(Capabilities=IAM, StackName="app", TemplateBody=template(
        {"Fn": function(GREET)}, {"Name": {"Ref": "Fn"}}))
    name = outputs(cfn, "app")["Name"]
    assert name.startswith("app-Fn-") and len(name) <= 64
    assert invoke(lam, name, {"name": "x"})["hello"] == "x"


def test_version_and_weighted_alias(cfn, lam):
    def body(code: str, weighted: bool) -> str:
        extra = {"V2": {"Type": "AWS::Lambda::Version", "DependsOn": "V1",
                        "Properties": {"FunctionName": {"Ref": "Fn"}}}} if weighted else {}
        routing = {"RoutingConfig": {"AdditionalVersionWeights": [
            {"FunctionVersion": {"Fn::GetAtt": ["V2", "Version"]}, "FunctionWeight": 0.25}]}
        } if weighted else {}
        return template({
            "Fn": function(code, FunctionName="f"),
            "V1": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}},
            **extra,
            "Live": {"Type": "AWS::Lambda::Alias", "Properties": {
                "FunctionName": {"Ref": "Fn"}, "Name": "live",
                "FunctionVersion": {"Fn::GetAtt": ["V1", "Version"]}, **routing}},
        }, {"VersionArn": {"Ref": "V1"}, "Version": {"Fn::GetAtt": ["V1", "Version"]},
            "AliasArn": {"Ref": "Live"}})

    cfn.create_stack(Capabilities=IAM, StackName="s", TemplateBody=body(GREET, weighted=False))
    out = outputs(cfn, "s")
    assert out["Version"] == "1"
    assert out["VersionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:f:1"
    assert out["AliasArn"] == "arn:aws:lambda:us-east-1:123456789012:function:f:live"
    assert lam.get_alias(FunctionName="f", Name="live")["FunctionVersion"] == "1"
    assert invoke(lam, "f:live", {"name": "a"}) == {"hello": "a", "v": 1}
    cfn.update_stack(Capabilities=IAM, StackName="s", TemplateBody=body(GREET2, weighted=True))
    alias = lam.get_alias(FunctionName="f", Name="live")
    assert alias["FunctionVersion"] == "1"
    assert alias["RoutingConfig"] == {"AdditionalVersionWeights": {"2": 0.25}}
    seen = {invoke(lam, "f:live", {"name": "a"})["v"] for _ in range(30)}
    assert seen == {1, 2}


def test_a_lambda_refusal_rolls_the_creation_back_with_lambdas_text(cfn, lam):
    sqs = boto3.client("sqs", region_name=REGION)
    cfn.create_stack(Capabilities=IAM, StackName="bad", TemplateBody=template({
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q1"}},
        "Fn": {**function(GREET, FunctionName="small", MemorySize=64),
               "DependsOn": "Queue"}}))
    stack = cfn.describe_stacks(StackName="bad")["Stacks"][0]
    assert stack["StackStatus"] == "ROLLBACK_COMPLETE"
    failed = [e for e in events(cfn, "bad") if e[1] == "CREATE_FAILED"]
    assert failed and failed[0][0] == "Fn"
    assert "Member must have value greater than or equal to 128" in failed[0][2]
    assert "(Service: Lambda, Status Code: 400" in failed[0][2]
    statuses = [(lid, st) for lid, st, _ in events(cfn, "bad")]
    assert statuses.index(("bad", "ROLLBACK_IN_PROGRESS")) < statuses.index(
        ("Queue", "DELETE_COMPLETE")) < statuses.index(("bad", "ROLLBACK_COMPLETE"))
    assert "q1" not in json.dumps(sqs.list_queues())
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="small")


def test_update_changes_the_code_and_publishes_the_new_version(cfn, lam):
    def body(code: str, version_id: str) -> str:
        return template({
            "Fn": function(code, FunctionName="f"),
            version_id: {"Type": "AWS::Lambda::Version", "DeletionPolicy": "Retain",
                         "Properties": {"FunctionName": {"Ref": "Fn"}}},
            "Live": {"Type": "AWS::Lambda::Alias", "Properties": {
                "FunctionName": {"Ref": "Fn"}, "Name": "live",
                "FunctionVersion": {"Fn::GetAtt": [version_id, "Version"]}}}})

    cfn.create_stack(Capabilities=IAM, StackName="s", TemplateBody=body(GREET, "VersionA"))
    cfn.update_stack(Capabilities=IAM, StackName="s", TemplateBody=body(GREET2, "VersionB"))
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"
    assert invoke(lam, "f", {"name": "n"})["v"] == 2
    assert lam.get_alias(FunctionName="f", Name="live")["FunctionVersion"] == "2"
    assert invoke(lam, "f:live", {"name": "n"})["v"] == 2
    assert invoke(lam, "f:1", {"name": "n"})["v"] == 1  # retained
    statuses = [(lid, st) for lid, st, _ in events(cfn, "s")]
    assert statuses.index(("Fn", "UPDATE_COMPLETE")) < statuses.index(
        ("VersionB", "CREATE_COMPLETE")) < statuses.index(("Live", "UPDATE_COMPLETE"))


def test_a_failed_update_rolls_back_to_the_previous_code(cfn, lam):
    cfn.create_stack(Capabilities=IAM, StackName="s", TemplateBody=template(
        {"Fn": function(GREET, FunctionName="f")}))
    cfn.update_stack(Capabilities=IAM, StackName="s", TemplateBody=template({
        "Fn": function(GREET2, FunctionName="f"),
        "Url": {"Type": "AWS::Lambda::Url", "DependsOn": "Fn", "Properties": {
            "TargetFunctionArn": {"Fn::GetAtt": ["Fn", "Arn"]}, "AuthType": "SOMETIMES"}}}))
    stack = cfn.describe_stacks(StackName="s")["Stacks"][0]
    assert stack["StackStatus"] == "UPDATE_ROLLBACK_COMPLETE"
    failed = [e for e in events(cfn, "s") if e[1] == "CREATE_FAILED"]
    assert failed[0][0] == "Url" and "authType" in failed[0][2]
    assert invoke(lam, "f", {"name": "n"})["v"] == 1


def test_delete_stack_deletes_the_function(cfn, lam):
    """A deleted stack is found by its id only (UG "Deleting a stack")."""
    stack_id = cfn.create_stack(Capabilities=IAM, StackName="s", TemplateBody=template(
        {"Fn": function(GREET, FunctionName="f")}))["StackId"]
    cfn.delete_stack(StackName="s")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName="f")
    assert ("Fn", "DELETE_COMPLETE", None) in events(cfn, stack_id)


def test_change_set_creates_the_stack(cfn, lam):
    cfn.create_change_set(Capabilities=IAM, StackName="cs", ChangeSetName="one",
                          ChangeSetType="CREATE",
                          TemplateBody=template({"Fn": function(GREET, FunctionName="f")},
                                                {"Arn": {"Fn::GetAtt": ["Fn", "Arn"]}}))
    changes = cfn.describe_change_set(StackName="cs", ChangeSetName="one")["Changes"]
    assert {c["ResourceChange"]["LogicalResourceId"] for c in changes} == {"Role", "Fn"}
    cfn.execute_change_set(StackName="cs", ChangeSetName="one")
    assert cfn.describe_stacks(StackName="cs")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert outputs(cfn, "cs")["Arn"].endswith(":function:f")
    assert invoke(lam, "f", {"name": "c"})["hello"] == "c"


def test_permission_layer_url_and_event_invoke_config(cfn, lam):
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="layer.zip",
                  Body=make_zip("WORD = 'from-layer'\n", module="python/shared"))
    uses_layer = "import shared\ndef handler(event, context):\n    return shared.WORD\n"
    cfn.create_stack(Capabilities=IAM, StackName="s", TemplateBody=template({
        "Layer": {"Type": "AWS::Lambda::LayerVersion", "Properties": {
            "LayerName": "shared", "Content": {"S3Bucket": "code", "S3Key": "layer.zip"},
            "CompatibleRuntimes": ["python3.12"]}},
        "Fn": function(uses_layer, FunctionName="f", Layers=[{"Ref": "Layer"}]),
        "Perm": {"Type": "AWS::Lambda::Permission", "Properties": {
            "FunctionName": {"Ref": "Fn"}, "Action": "lambda:InvokeFunction",
            "Principal": "s3.amazonaws.com"}},
        "Url": {"Type": "AWS::Lambda::Url", "Properties": {
            "TargetFunctionArn": {"Fn::GetAtt": ["Fn", "Arn"]}, "AuthType": "NONE"}},
        "Async": {"Type": "AWS::Lambda::EventInvokeConfig", "Properties": {
            "FunctionName": {"Ref": "Fn"}, "Qualifier": "$LATEST", "MaximumRetryAttempts": 0}},
    }, {"LayerArn": {"Ref": "Layer"}, "Url": {"Fn::GetAtt": ["Url", "FunctionUrl"]}}))
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    out = outputs(cfn, "s")
    assert out["LayerArn"] == "arn:aws:lambda:us-east-1:123456789012:layer:shared:1"
    assert invoke(lam, "f", {}) == "from-layer"
    policy = json.loads(lam.get_policy(FunctionName="f")["Policy"])
    assert policy["Statement"][0]["Principal"] == {"Service": "s3.amazonaws.com"}
    assert lam.get_function_url_config(FunctionName="f")["FunctionUrl"] == out["Url"]
    assert lam.get_function_event_invoke_config(FunctionName="f")["MaximumRetryAttempts"] == 0
    cfn.delete_stack(StackName="s")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_layer_version(LayerName="shared", VersionNumber=1)


def test_event_source_mapping_delivers_a_queues_messages(cfn, lam):
    fn = ("import boto3\ndef handler(event, context):\n"
          "    boto3.client('s3').put_object(Bucket='out', Key='got',"
          " Body=event['Records'][0]['body'])\n")
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="out")
    cfn.create_stack(Capabilities=IAM, StackName="s", TemplateBody=template({
        "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "in"}},
        "Fn": function(fn, FunctionName="f"),
        "Map": {"Type": "AWS::Lambda::EventSourceMapping", "Properties": {
            "FunctionName": {"Ref": "Fn"}, "BatchSize": 1,
            "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]}}},
    }, {"Id": {"Ref": "Map"}}))
    uuid = outputs(cfn, "s")["Id"]
    assert lam.get_event_source_mapping(UUID=uuid)["FunctionArn"].endswith(":function:f")
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="in")["QueueUrl"], MessageBody="hi")
    from aws_helpers import poll

    assert poll(lambda: s3.get_object(Bucket="out", Key="got")["Body"].read()
                if "Contents" in s3.list_objects_v2(Bucket="out") else None) == b"hi"


def test_image_function_from_ecr(cfn, lam, tmp_path):
    """AWS::Lambda::Function with ``PackageType: Image`` and ``Code.ImageUri`` (template
    reference: "URI of a container image in the Amazon ECR registry")."""
    from lambda_lab.packaging import build_image, push_image

    (tmp_path / "app.py").write_text("def handler(event, context):\n    return 'from image'\n")
    (tmp_path / "Dockerfile").write_text("FROM public.ecr.aws/lambda/python:3.12\n"
                                         "COPY app.py ${LAMBDA_TASK_ROOT}\n"
                                         'CMD [ "app.handler" ]\n')
    boto3.client("ecr", region_name=REGION).create_repository(repositoryName="img")
    uri = push_image(build_image(str(tmp_path / "Dockerfile")), "img")
    cfn.create_stack(Capabilities=IAM, StackName="s", TemplateBody=json.dumps({"Resources": {
        "Role": ROLE, "Fn": {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": "img", "PackageType": "Image", "Code": {"ImageUri": uri},
            "Role": {"Fn::GetAtt": ["Role", "Arn"]}}}}}))
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert lam.get_function(FunctionName="img")["Code"]["ImageUri"] == uri
    assert json.loads(lam.invoke(FunctionName="img")["Payload"].read()) == "from image"


CUSTOM = """
import json, urllib.request
def handler(event, context):
    props = event["ResourceProperties"]
    ok = props.get("Fail") != "yes"
    body = {"Status": "SUCCESS" if ok else "FAILED", "Reason": "asked to fail",
            "PhysicalResourceId": "custom-" + props["Name"], "StackId": event["StackId"],
            "RequestId": event["RequestId"], "LogicalResourceId": event["LogicalResourceId"],
            "Data": {"Greeting": "hello " + props["Name"], "Kind": event["RequestType"]}}
    request = urllib.request.Request(event["ResponseURL"], data=json.dumps(body).encode(),
                                     method="PUT", headers={"Content-Type": ""})
    urllib.request.urlopen(request).read()
"""


def test_a_lambda_backed_custom_resource(cfn, lam):
    """UG "Custom resources": the function gets Create / Update / Delete requests, responds to
    the ResponseURL; Fn::GetAtt reads its Data; a FAILED response fails the resource with
    "Received response status [FAILED] from custom resource. Message returned: ..."."""
    def body(name: str, fail: str = "no") -> str:
        return template({
            "Provider": function(CUSTOM, FunctionName="provider"),
            "Thing": {"Type": "Custom::Greeter", "Properties": {
                "ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}, "Name": name,
                "Fail": fail}},
        }, {"Greeting": {"Fn::GetAtt": ["Thing", "Greeting"]},
            "Kind": {"Fn::GetAtt": ["Thing", "Kind"]}, "Id": {"Ref": "Thing"}})

    cfn.create_stack(Capabilities=IAM, StackName="c", TemplateBody=body("ada"))
    assert cfn.describe_stacks(StackName="c")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert outputs(cfn, "c") == {"Greeting": "hello ada", "Kind": "Create", "Id": "custom-ada"}
    cfn.update_stack(Capabilities=IAM, StackName="c", TemplateBody=body("bob"))
    assert outputs(cfn, "c") == {"Greeting": "hello bob", "Kind": "Update", "Id": "custom-bob"}
    cfn.update_stack(Capabilities=IAM, StackName="c", TemplateBody=body("bob", fail="yes"))
    assert cfn.describe_stacks(StackName="c")["Stacks"][0]["StackStatus"] == \
        "UPDATE_ROLLBACK_COMPLETE"
    failed = [e for e in events(cfn, "c") if e[1] == "UPDATE_FAILED"]
    assert failed[0][0] == "Thing"
    assert failed[0][2].startswith("Received response status [FAILED] from custom resource. "
                                   "Message returned: asked to fail (RequestId: ")
    assert outputs(cfn, "c")["Greeting"] == "hello bob"
    stack_id = cfn.describe_stacks(StackName="c")["Stacks"][0]["StackId"]
    cfn.delete_stack(StackName="c")
    assert ("Thing", "DELETE_COMPLETE", None) in events(cfn, stack_id)


def test_inline_python_code_has_the_cfnresponse_module(cfn, lam):
    """UG "cfn-response module": available to inline (ZipFile) Python code; ``send`` PUTs the
    response, the physical id defaulting to the log stream's name."""
    provider = ("import cfnresponse\n"
                "def handler(event, context):\n"
                "    cfnresponse.send(event, context, cfnresponse.SUCCESS, {'Answer': '42'})\n")
    cfn.create_stack(Capabilities=IAM, StackName="r", TemplateBody=template({
        "Provider": function(provider, FunctionName="answers"),
        "Thing": {"Type": "AWS::CloudFormation::CustomResource", "Properties": {
            "ServiceToken": {"Fn::GetAtt": ["Provider", "Arn"]}}},
    }, {"Answer": {"Fn::GetAtt": ["Thing", "Answer"]}, "Id": {"Ref": "Thing"}}))
    out = outputs(cfn, "r")
    assert out["Answer"] == "42"
    streams = boto3.client("logs", region_name=REGION).describe_log_streams(
        logGroupName="/aws/lambda/answers")["logStreams"]
    assert out["Id"] in {s["logStreamName"] for s in streams}


def test_a_package_over_the_unzipped_limit_fails_with_lambdas_text(cfn):
    """Lambda's 250 MB unzipped limit ("Unzipped size must be smaller than 262144000 bytes")
    reaches the stack events as the function's CREATE_FAILED reason."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("big.bin", "w") as f:
        chunk = bytes(1 << 20)
        for _ in range(250):
            f.write(chunk)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="big.zip", Body=buf.getvalue())
    cfn.create_stack(Capabilities=IAM, StackName="big", TemplateBody=template({"Fn": {
        "Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": "big", "Runtime": "python3.12", "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"S3Bucket": "code", "S3Key": "big.zip"}}}}))
    assert cfn.describe_stacks(StackName="big")["Stacks"][0]["StackStatus"] == \
        "ROLLBACK_COMPLETE"
    (failed,) = [e for e in events(cfn, "big") if e[1] == "CREATE_FAILED"]
    assert failed[0] == "Fn"
    assert failed[2].startswith('Resource handler returned message: "Unzipped size must be '
                                'smaller than 262144000 bytes (Service: Lambda, Status Code: '
                                '400, Request ID: ')
