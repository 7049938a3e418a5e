"""What CloudFormation checks before a stack operation starts: capabilities and references.

From the CloudFormation API Reference (CreateStack / UpdateStack / CreateChangeSet
``Capabilities``): "CAPABILITY_IAM and CAPABILITY_NAMED_IAM ... The following IAM resources
require you to specify either CAPABILITY_IAM or CAPABILITY_NAMED_IAM: AWS::IAM::AccessKey,
AWS::IAM::Group, AWS::IAM::InstanceProfile, AWS::IAM::ManagedPolicy, AWS::IAM::Policy,
AWS::IAM::Role, AWS::IAM::User, AWS::IAM::UserToGroupAddition ... If you have IAM resources with
custom names, you must specify CAPABILITY_NAMED_IAM. If you don't specify either of these
capabilities, CloudFormation returns an InsufficientCapabilities error"; "CAPABILITY_AUTO_EXPAND
... If you want to create a stack from a stack template that contains macros and nested stacks,
you must create the stack directly from the template using this capability" (the AWS::Serverless
transform is such a macro; for CreateChangeSet "This capacity doesn't apply to creating change
sets"). The error's text as AWS answers it: "InsufficientCapabilitiesException ... Requires
capabilities : [CAPABILITY_IAM]" (AWS SAM CLI's integration tests:
"Requires capabilities : [CAPABILITY_AUTO_EXPAND]" from CreateStack); a change set of a transformed
template with IAM resources ends ``FAILED`` with the reason "Requires capabilities :
[CAPABILITY_IAM]" (what ``aws cloudformation deploy`` reports: "Waiter ChangeSetCreateComplete
failed ... Status: FAILED. Reason: Requires capabilities : [CAPABILITY_IAM]"), and executing it
fails with InvalidChangeSetStatus "ChangeSet [arn] cannot be executed in its current status of
[FAILED]" (LocalStack's AWS-validated test_execute_change_set_failed).

A reference to a logical id the template does not declare fails CreateStack / UpdateStack /
CreateChangeSet / ValidateTemplate with ValidationError "Template format error: Unresolved
resource dependencies [X] in the Resources block of the template" (CloudFormation's answer, e.g.
to ``${aws:username}`` in an ``Fn::Sub``).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, session
from botocore.exceptions import ClientError

TRUST = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]}
ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": TRUST}}
QUEUE = {"Type": "AWS::SQS::Queue"}
SAM = """Transform: AWS::Serverless-2016-10-31
Resources:
  Fn:
    Type: AWS::Serverless::Function
    Properties:
      Runtime: python3.12
      Handler: index.handler
      InlineCode: |
        def handler(event, context):
            return 1
"""


@pytest.fixture
def cfn():
    for _ in session():
        yield boto3.client("cloudformation", region_name=REGION)


def body(**resources: dict) -> str:
    return json.dumps({"Resources": resources})


def refused(call, **kwargs) -> tuple[str, str]:
    with pytest.raises(ClientError) as e:
        call(**kwargs)
    error = e.value.response["Error"]
    return error["Code"], error["Message"]


def stack_names(cfn) -> list[str]:
    return [s["StackName"] for s in cfn.describe_stacks()["Stacks"]]


# ------------------------------------------------------------------ capabilities

def test_iam_resource_needs_capability_iam(cfn):
    assert refused(cfn.create_stack, StackName="s", TemplateBody=body(Role=ROLE)) == (
        "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]")
    assert stack_names(cfn) == []  # nothing was created
    cfn.create_stack(StackName="s", TemplateBody=body(Role=ROLE), Capabilities=["CAPABILITY_IAM"])
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


@pytest.mark.parametrize("resource", [
    {"Type": "AWS::IAM::Policy", "Properties": {"PolicyName": "p", "Roles": ["r"],
                                                 "PolicyDocument": {}}},
    {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {}}},
    {"Type": "AWS::IAM::User"},
    {"Type": "AWS::IAM::Group"},
    {"Type": "AWS::IAM::InstanceProfile", "Properties": {"Roles": ["r"]}},
    {"Type": "AWS::IAM::AccessKey", "Properties": {"UserName": "u"}},
    {"Type": "AWS::IAM::UserToGroupAddition", "Properties": {"GroupName": "g",
                                                             "Users": ["u"]}},
], ids=lambda r: r["Type"])
def test_each_iam_resource_type_needs_the_capability(cfn, resource):
    assert refused(cfn.create_stack, StackName="s", TemplateBody=body(R=resource)) == (
        "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]")


def test_custom_names_need_capability_named_iam(cfn):
    named = {"Type": "AWS::IAM::Role", "Properties": {**ROLE["Properties"], "RoleName": "mine"}}
    for caps in ([], ["CAPABILITY_IAM"]):
        assert refused(cfn.create_stack, StackName="s", TemplateBody=body(Role=named),
                       Capabilities=caps) == (
            "InsufficientCapabilitiesException",
            "Requires capabilities : [CAPABILITY_NAMED_IAM]")
    user = {"Type": "AWS::IAM::User", "Properties": {"UserName": "ada"}}
    assert refused(cfn.create_stack, StackName="s", TemplateBody=body(U=user),
                   Capabilities=["CAPABILITY_IAM"])[1] == (
        "Requires capabilities : [CAPABILITY_NAMED_IAM]")
    cfn.create_stack(StackName="s", TemplateBody=body(Role=named),
                     Capabilities=["CAPABILITY_NAMED_IAM"])  # NAMED covers unnamed ones too
    assert boto3.client("iam", region_name=REGION).get_role(RoleName="mine")


def test_update_and_change_set_check_capabilities(cfn):
    cfn.create_stack(StackName="s", TemplateBody=body(Q=QUEUE))
    assert refused(cfn.update_stack, StackName="s", TemplateBody=body(Q=QUEUE, Role=ROLE)) == (
        "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]")
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"
    assert [r["LogicalResourceId"] for r in cfn.list_stack_resources(StackName="s")[
        "StackResourceSummaries"]] == ["Q"]
    assert refused(cfn.create_change_set, StackName="s", ChangeSetName="c",
                   ChangeSetType="UPDATE", TemplateBody=body(Q=QUEUE, Role=ROLE)) == (
        "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]")
    assert refused(cfn.create_change_set, StackName="new", ChangeSetName="c",
                   ChangeSetType="CREATE", TemplateBody=body(Role=ROLE))[0] == (
        "InsufficientCapabilitiesException")
    cfn.update_stack(StackName="s", TemplateBody=body(Q=QUEUE, Role=ROLE),
                     Capabilities=["CAPABILITY_IAM"])
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"


def test_a_transform_needs_auto_expand_on_create_and_update_stack(cfn):
    assert refused(cfn.create_stack, StackName="s", TemplateBody=SAM,
                   Capabilities=["CAPABILITY_IAM"]) == (
        "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
    # the role the transform generates needs CAPABILITY_IAM as well
    assert refused(cfn.create_stack, StackName="s", TemplateBody=SAM,
                   Capabilities=["CAPABILITY_AUTO_EXPAND"]) == (
        "InsufficientCapabilitiesException", "Requires capabilities : [CAPABILITY_IAM]")
    other_macro = json.dumps({"Transform": "AWS::LanguageExtensions", "Resources": {"Q": QUEUE}})
    assert refused(cfn.create_stack, StackName="s", TemplateBody=other_macro)[1] == (
        "Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
    assert stack_names(cfn) == []
    cfn.create_stack(StackName="s", TemplateBody=SAM,
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    changed = SAM.replace("return 1", "return 2")
    assert refused(cfn.update_stack, StackName="s", TemplateBody=changed,
                   Capabilities=["CAPABILITY_IAM"])[1] == (
        "Requires capabilities : [CAPABILITY_AUTO_EXPAND]")
    cfn.update_stack(StackName="s", TemplateBody=changed,
                     Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "UPDATE_COMPLETE"


def test_a_change_set_of_a_transform_needs_no_auto_expand(cfn):
    created = cfn.create_change_set(StackName="s", ChangeSetName="c", ChangeSetType="CREATE",
                                    TemplateBody=SAM, Capabilities=["CAPABILITY_IAM"])
    described = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert (described["Status"], described["ExecutionStatus"]) == (
        "CREATE_COMPLETE", "AVAILABLE")
    cfn.execute_change_set(ChangeSetName=created["Id"])
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_a_change_set_of_a_transform_without_iam_capability_fails(cfn):
    created = cfn.create_change_set(StackName="s", ChangeSetName="c", ChangeSetType="CREATE",
                                    TemplateBody=SAM)
    described = cfn.describe_change_set(ChangeSetName=created["Id"])
    assert (described["Status"], described["ExecutionStatus"], described["StatusReason"]) == (
        "FAILED", "UNAVAILABLE", "Requires capabilities : [CAPABILITY_IAM]")
    assert refused(cfn.execute_change_set, ChangeSetName=created["Id"]) == (
        "InvalidChangeSetStatus",
        f"ChangeSet [{created['Id']}] cannot be executed in its current status of [FAILED]")
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == (
        "REVIEW_IN_PROGRESS")


# ------------------------------------------------------------------ references

UNRESOLVED = ("Template format error: Unresolved resource dependencies [{}] in the Resources "
              "block of the template")


@pytest.mark.parametrize("props", [
    {"QueueName": {"Ref": "Nope"}},
    {"QueueName": {"Fn::GetAtt": ["Nope", "Arn"]}},
    {"QueueName": {"Fn::GetAtt": "Nope.Arn"}},
    {"QueueName": {"Fn::Sub": "q-${Nope}"}},
    {"QueueName": {"Fn::Sub": "q-${Nope.Arn}"}},
], ids=["Ref", "GetAtt", "GetAtt-dotted", "Sub", "Sub-attribute"])
def test_a_reference_to_a_missing_resource_is_a_template_error(cfn, props):
    template = body(Q={"Type": "AWS::SQS::Queue", "Properties": props})
    assert refused(cfn.create_stack, StackName="s", TemplateBody=template) == (
        "ValidationError", UNRESOLVED.format("Nope"))
    assert stack_names(cfn) == []
    assert refused(cfn.validate_template, TemplateBody=template) == (
        "ValidationError", UNRESOLVED.format("Nope"))


def test_depends_on_a_missing_resource_and_updates(cfn):
    assert refused(cfn.create_stack, StackName="s", TemplateBody=body(
        Q={**QUEUE, "DependsOn": ["Zed"]})) == ("ValidationError", UNRESOLVED.format("Zed"))
    cfn.create_stack(StackName="s", TemplateBody=body(Q=QUEUE))
    bad = body(Q=QUEUE, R={"Type": "AWS::SQS::Queue", "Properties": {
        "QueueName": {"Fn::Sub": "${aws:username}"}}})
    assert refused(cfn.update_stack, StackName="s", TemplateBody=bad) == (
        "ValidationError", UNRESOLVED.format("aws:username"))
    assert refused(cfn.create_change_set, StackName="s", ChangeSetName="c",
                   ChangeSetType="UPDATE", TemplateBody=bad) == (
        "ValidationError", UNRESOLVED.format("aws:username"))
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_parameters_pseudo_parameters_and_sub_variables_resolve(cfn):
    template = json.dumps({
        "Parameters": {"Env": {"Type": "String", "Default": "dev"}},
        "Resources": {
            "A": QUEUE, "C": QUEUE,
            "B": {"Type": "AWS::SQS::Queue", "DependsOn": "C", "Properties": {
                "Tags": [{"Key": "k", "Value": {"Ref": "AWS::StackName"}},
                         {"Key": "s", "Value": {"Fn::Sub": [
                             "${Env}-${AWS::Region}-${Suffix}-${!literal}",
                             {"Suffix": {"Fn::GetAtt": ["A", "QueueName"]}}]}}]}},
            "D": {"Type": "AWS::SQS::Queue", "Properties": {
                "Tags": [{"Key": "a", "Value": {"Ref": "A"}}]}}}})
    cfn.validate_template(TemplateBody=template)
    cfn.create_stack(StackName="s", TemplateBody=template)
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"


def test_validate_template_reports_the_capabilities_and_transforms(cfn):
    """ValidateTemplate's ``Capabilities`` ("The capabilities found within the template. If
    your template contains IAM resources, you must specify the CAPABILITY_IAM or
    CAPABILITY_NAMED_IAM value"), ``CapabilitiesReason`` (as AWS answers it: "The following
    resource(s) require capabilities: [AWS::IAM::ManagedPolicy, AWS::IAM::Role]") and
    ``DeclaredTransforms`` ("A list of the transforms that are declared in the template")."""
    policy = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {
        "Version": "2012-10-17", "Statement": [
            {"Effect": "Allow", "Action": "sqs:SendMessage", "Resource": "*"}]}}}
    found = cfn.validate_template(TemplateBody=body(Role=ROLE, P=policy, Q=QUEUE))
    assert (found["Capabilities"], found["CapabilitiesReason"]) == (["CAPABILITY_IAM"], (
        "The following resource(s) require capabilities: "
        "[AWS::IAM::ManagedPolicy, AWS::IAM::Role]"))
    named = {"Type": "AWS::IAM::Role", "Properties": {**ROLE["Properties"], "RoleName": "x"}}
    assert cfn.validate_template(TemplateBody=body(Role=named))["Capabilities"] == [
        "CAPABILITY_NAMED_IAM"]
    plain = cfn.validate_template(TemplateBody=body(Q=QUEUE))
    assert plain["Capabilities"] == [] and "CapabilitiesReason" not in plain
    assert cfn.validate_template(TemplateBody=SAM)["DeclaredTransforms"] == [
        "AWS::Serverless-2016-10-31"]
