"""VpcConfig on CreateFunction / UpdateFunctionConfiguration, ENIs and the Pending state.

Sources:
- Lambda API reference, CreateFunction / VpcConfig: ``SubnetIds``, ``SecurityGroupIds``,
  ``Ipv6AllowedForDualStack``; the response's VpcConfig adds ``VpcId``.
- DG "Giving Lambda functions access to resources in an Amazon VPC": the execution role needs
  ec2:CreateNetworkInterface, ec2:DescribeNetworkInterfaces (Resource "*") and
  ec2:DeleteNetworkInterface; the managed policy AWSLambdaVPCAccessExecutionRole grants them;
  Hyperplane ENIs are shared by functions with the same subnet and security groups; to detach a
  function, update it with empty lists.
- AWS Managed Policy reference: AWSLambdaVPCAccessExecutionRole (v3, 2024-01-05) and
  AWSLambdaENIManagementAccess action lists.
- AWS-recorded error texts: "SubnetIds and SecurityIds must coexist or be both empty list."
  (aws/aws-sdk-js#1293), "Error occurred while DescribeSecurityGroups. EC2 Error Code:
  InvalidGroup.NotFound. EC2 Error Message: The security group 'sg-…' does not exist"
  (motdotla/node-lambda#162), "The provided execution role does not have permissions to call
  CreateNetworkInterface on EC2" (aws/aws-sam-cli#617), "Security Groups are required to be in
  the same VPC" (serverless-vpc-plugin#765).
- DG "Lambda function states": a VPC function is Pending (StateReasonCode Creating) while its
  network interfaces are created; Invoke meanwhile is ResourceConflictException.
- ENI description as AWS writes it: ``AWS Lambda VPC ENI-<function>-<uuid>``, InterfaceType
  ``lambda`` (EC2 API InterfaceType enum; real exports), ``RequesterManaged`` false and
  ``RequesterId`` ``<role id>:…`` (observed describe-network-interfaces outputs; Lambda makes
  the ENI with the execution role).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_helpers import REGION, TRUST, make_zip, session
from botocore.exceptions import ClientError

from lambda_lab.aws.vpc_network import ENI_RELEASE_S

OK = "def handler(event, context):\n    return 'ok'\n"
VPC_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"
ENI_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaENIManagementAccess"
ENI_ACTIONS = ["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces",
               "ec2:DeleteNetworkInterface", "ec2:AssignPrivateIpAddresses",
               "ec2:UnassignPrivateIpAddresses"]


@pytest.fixture
def aws() -> Iterator[Any]:
    yield from session(virtual_clock=True)


@pytest.fixture
def clients(aws: Any) -> dict[str, Any]:
    return {n: boto3.client(n, region_name=REGION) for n in ("lambda", "ec2", "iam")}


@pytest.fixture
def net(clients: dict[str, Any]) -> dict[str, str]:
    ec2 = clients["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    other = ec2.create_vpc(CidrBlock="10.1.0.0/16")["Vpc"]["VpcId"]
    a = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    b = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    far = ec2.create_subnet(VpcId=other, CidrBlock="10.1.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
    far_sg = ec2.create_security_group(GroupName="far", Description="f", VpcId=other)["GroupId"]
    return {"vpc": vpc, "a": a, "b": b, "far": far, "sg": sg, "far_sg": far_sg}


def make_role(iam: Any, name: str, *, managed: str | None = VPC_POLICY,
              inline: list[str] | None = None) -> str:
    arn = iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    if managed:
        iam.attach_role_policy(RoleName=name, PolicyArn=managed)
    if inline is not None:
        iam.put_role_policy(RoleName=name, PolicyName="eni", PolicyDocument=json.dumps({
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Action": inline, "Resource": "*"}]}))
    return arn


def create(lam: Any, role: str, name: str, vpc: dict | None = None) -> dict:
    params: dict[str, Any] = {"FunctionName": name, "Runtime": "python3.12", "Role": role,
                              "Handler": "lambda_function.handler",
                              "Code": {"ZipFile": make_zip(OK)}, "Timeout": 2}
    if vpc is not None:
        params["VpcConfig"] = vpc
    return lam.create_function(**params)


def error(info: pytest.ExceptionInfo) -> tuple[str, str]:
    return info.value.response["Error"]["Code"], info.value.response["Error"]["Message"]


def lambda_enis(ec2: Any) -> list[dict]:
    return ec2.describe_network_interfaces(
        Filters=[{"Name": "interface-type", "Values": ["lambda"]}])["NetworkInterfaces"]


# --------------------------------------------------------------------- managed policies


@pytest.mark.parametrize("arn, version, extra", [
    (VPC_POLICY, "v3", ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                        "ec2:DescribeSubnets"]),
    (ENI_POLICY, "v2", []),
])
def test_managed_policies_exist_with_their_real_actions(clients, arn, version, extra):
    """AWS Managed Policy reference (docs.aws.amazon.com/aws-managed-policy/latest/reference/):
    AWSLambdaVPCAccessExecutionRole v3 (2024-01-05), AWSLambdaENIManagementAccess v2
    (2020-10-01), both on Resource "*"."""
    iam = clients["iam"]
    policy = iam.get_policy(PolicyArn=arn)["Policy"]
    assert policy["DefaultVersionId"] == version and policy["Path"] == "/service-role/"
    doc = iam.get_policy_version(PolicyArn=arn, VersionId=policy["DefaultVersionId"])
    statements = doc["PolicyVersion"]["Document"]["Statement"]
    actions = {a for s in statements for a in s["Action"]}
    assert actions == set(ENI_ACTIONS) | set(extra)
    assert {s["Resource"] for s in statements} == {"*"}


# --------------------------------------------------------------------- configuration checks


def test_vpc_config_is_returned_with_the_vpc_id(clients, net):
    lam, iam = clients["lambda"], clients["iam"]
    role = make_role(iam, "vpc-role")
    cfg = create(lam, role, "f", {"SubnetIds": [net["a"], net["b"]],
                                  "SecurityGroupIds": [net["sg"]],
                                  "Ipv6AllowedForDualStack": True})
    want = {"SubnetIds": [net["a"], net["b"]], "SecurityGroupIds": [net["sg"]],
            "Ipv6AllowedForDualStack": True, "VpcId": net["vpc"]}
    assert cfg["VpcConfig"] == want
    assert lam.get_function(FunctionName="f")["Configuration"]["VpcConfig"] == want
    assert lam.get_function_configuration(FunctionName="f")["VpcConfig"] == want


def test_subnets_and_groups_must_coexist(clients, net):
    role = make_role(clients["iam"], "vpc-role")
    with pytest.raises(ClientError) as info:
        create(clients["lambda"], role, "f", {"SubnetIds": [net["a"]], "SecurityGroupIds": []})
    assert error(info) == ("InvalidParameterValueException",
                           "SubnetIds and SecurityIds must coexist or be both empty list.")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_unknown_subnet_and_group(clients, net):
    lam, role = clients["lambda"], make_role(clients["iam"], "vpc-role")
    with pytest.raises(ClientError) as info:
        create(lam, role, "f", {"SubnetIds": ["subnet-0000dead"],
                                "SecurityGroupIds": [net["sg"]]})
    assert error(info) == ("InvalidParameterValueException",
                           "Error occurred while DescribeSubnets. EC2 Error Code: "
                           "InvalidSubnetID.NotFound. EC2 Error Message: The subnet ID "
                           "'subnet-0000dead' does not exist")
    with pytest.raises(ClientError) as info:
        create(lam, role, "f", {"SubnetIds": [net["a"]], "SecurityGroupIds": ["sg-0000dead"]})
    assert error(info) == ("InvalidParameterValueException",
                           "Error occurred while DescribeSecurityGroups. EC2 Error Code: "
                           "InvalidGroup.NotFound. EC2 Error Message: The security group "
                           "'sg-0000dead' does not exist")
    assert lam.list_functions()["Functions"] == []


def test_subnets_and_groups_share_one_vpc(clients, net):
    lam, role = clients["lambda"], make_role(clients["iam"], "vpc-role")
    with pytest.raises(ClientError) as info:
        create(lam, role, "f", {"SubnetIds": [net["a"]], "SecurityGroupIds": [net["far_sg"]]})
    assert error(info) == ("InvalidParameterValueException",
                           "Security Groups are required to be in the same VPC.")
    with pytest.raises(ClientError) as info:
        create(lam, role, "f", {"SubnetIds": [net["a"], net["far"]],
                                "SecurityGroupIds": [net["sg"]]})
    assert error(info)[0] == "InvalidParameterValueException"


@pytest.mark.parametrize("granted, missing", [
    ([], "CreateNetworkInterface"),
    (["ec2:CreateNetworkInterface"], "DescribeNetworkInterfaces"),
    (["ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces"], "DeleteNetworkInterface"),
])
def test_the_role_must_allow_the_eni_actions(clients, net, granted, missing):
    lam = clients["lambda"]
    role = make_role(clients["iam"], "plain", managed=None, inline=granted or ["s3:GetObject"])
    with pytest.raises(ClientError) as info:
        create(lam, role, "f", {"SubnetIds": [net["a"]], "SecurityGroupIds": [net["sg"]]})
    assert error(info) == ("InvalidParameterValueException",
                           f"The provided execution role does not have permissions to call "
                           f"{missing} on EC2")


def test_the_eni_management_policy_is_enough(clients, net):
    lam = clients["lambda"]
    role = make_role(clients["iam"], "eni", managed=ENI_POLICY)
    cfg = create(lam, role, "f", {"SubnetIds": [net["a"]], "SecurityGroupIds": [net["sg"]]})
    assert cfg["VpcConfig"]["VpcId"] == net["vpc"]


def test_update_joins_and_leaves_the_vpc(aws, clients, net):
    lam, role = clients["lambda"], make_role(clients["iam"], "vpc-role")
    create(lam, role, "f")
    assert "VpcConfig" not in lam.get_function_configuration(FunctionName="f")
    cfg = lam.update_function_configuration(
        FunctionName="f", VpcConfig={"SubnetIds": [net["a"]], "SecurityGroupIds": [net["sg"]]})
    assert cfg["VpcConfig"]["VpcId"] == net["vpc"]
    assert cfg["LastUpdateStatus"] == "InProgress"
    aws.advance(10)
    cfg = lam.update_function_configuration(
        FunctionName="f", VpcConfig={"SubnetIds": [], "SecurityGroupIds": []})
    assert cfg["VpcConfig"] == {"SubnetIds": [], "SecurityGroupIds": [],
                                "Ipv6AllowedForDualStack": False, "VpcId": ""}
    with pytest.raises(ClientError) as info:
        lam.update_function_configuration(
            FunctionName="f", VpcConfig={"SubnetIds": ["subnet-0000dead"],
                                         "SecurityGroupIds": [net["sg"]]})
    assert "InvalidSubnetID.NotFound" in error(info)[1]


# --------------------------------------------------------------------- Pending and ENIs


def test_a_vpc_function_is_pending_while_its_enis_are_made(aws, clients, net):
    """Function states off (the default), yet a VPC function is Pending first."""
    lam, role = clients["lambda"], make_role(clients["iam"], "vpc-role")
    cfg = create(lam, role, "f", {"SubnetIds": [net["a"]], "SecurityGroupIds": [net["sg"]]})
    assert (cfg["State"], cfg["StateReason"], cfg["StateReasonCode"]) == (
        "Pending", "The function is being created.", "Creating")
    with pytest.raises(ClientError) as info:
        lam.invoke(FunctionName="f")
    assert error(info) == ("ResourceConflictException",
                           "The operation cannot be performed at this time. The function is "
                           "currently in the following state: Pending")
    aws.advance(5)
    assert lam.get_function_configuration(FunctionName="f")["State"] == "Active"
    assert json.loads(lam.invoke(FunctionName="f")["Payload"].read()) == "ok"
    create(lam, role, "plain")  # outside a VPC: Active at once
    assert lam.get_function_configuration(FunctionName="plain")["State"] == "Active"


def test_one_eni_per_subnet_and_group_combination_shared_and_released(aws, clients, net):
    lam, ec2 = clients["lambda"], clients["ec2"]
    role = make_role(clients["iam"], "vpc-role")
    both = {"SubnetIds": [net["a"], net["b"]], "SecurityGroupIds": [net["sg"]]}
    create(lam, role, "first", both)
    enis = lambda_enis(ec2)
    assert sorted(e["SubnetId"] for e in enis) == sorted([net["a"], net["b"]])
    for e in enis:
        assert e["InterfaceType"] == "lambda"
        assert e["RequesterManaged"] is False  # made with the function's role
        assert re.fullmatch(r"AROA[0-9A-Z]+:awslambda_\d+", e["RequesterId"])
        assert e["VpcId"] == net["vpc"]
        assert [g["GroupId"] for g in e["Groups"]] == [net["sg"]]
        assert re.fullmatch(r"AWS Lambda VPC ENI-first-[0-9a-f-]{36}", e["Description"])
    create(lam, role, "second", {"SubnetIds": [net["a"]], "SecurityGroupIds": [net["sg"]]})
    assert len(lambda_enis(ec2)) == 2  # shared: same subnet and security groups
    other_sg = ec2.create_security_group(GroupName="o", Description="o",
                                         VpcId=net["vpc"])["GroupId"]
    create(lam, role, "third", {"SubnetIds": [net["a"]], "SecurityGroupIds": [other_sg]})
    assert len(lambda_enis(ec2)) == 3
    lam.delete_function(FunctionName="third")
    assert len(lambda_enis(ec2)) == 3  # not at once
    aws.advance(ENI_RELEASE_S)
    assert len(lambda_enis(ec2)) == 2
    lam.delete_function(FunctionName="first")
    aws.advance(ENI_RELEASE_S)
    assert [e["SubnetId"] for e in lambda_enis(ec2)] == [net["a"]]  # "second" still uses it


def test_enis_of_a_configuration_replaced_by_an_update_are_released(aws, clients, net):
    """While the update is in progress the old configuration still serves (DG "Lambda
    function states"); its ENI goes once nothing uses it."""
    lam, ec2 = clients["lambda"], clients["ec2"]
    role = make_role(clients["iam"], "vpc-role")
    create(lam, role, "f", {"SubnetIds": [net["a"]], "SecurityGroupIds": [net["sg"]]})
    aws.advance(5)
    lam.update_function_configuration(
        FunctionName="f", VpcConfig={"SubnetIds": [net["b"]], "SecurityGroupIds": [net["sg"]]})
    assert sorted(e["SubnetId"] for e in lambda_enis(ec2)) == sorted([net["a"], net["b"]])
    aws.advance(5)  # the update is done
    assert lam.get_function_configuration(FunctionName="f")["LastUpdateStatus"] == "Successful"
    aws.advance(ENI_RELEASE_S)
    assert [e["SubnetId"] for e in lambda_enis(ec2)] == [net["b"]]


def test_joining_a_vpc_is_an_update_in_progress(aws, clients, net):
    """DG configuration-vpc: "While Lambda creates a network interface, you can't perform
    additional operations that target the function, such as creating versions or updating the
    function's code ... For existing functions, you can still invoke an earlier version while
    the update is in progress"."""
    lam, role = clients["lambda"], make_role(clients["iam"], "vpc-role")
    create(lam, role, "f")
    lam.update_function_configuration(
        FunctionName="f", VpcConfig={"SubnetIds": [net["a"]], "SecurityGroupIds": [net["sg"]]})
    assert json.loads(lam.invoke(FunctionName="f")["Payload"].read()) == "ok"
    for call in (lambda: lam.publish_version(FunctionName="f"),
                 lambda: lam.update_function_code(FunctionName="f",
                                                  ZipFile=make_zip(OK.replace("ok", "v2")))):
        with pytest.raises(ClientError) as info:
            call()
        assert error(info)[0] == "ResourceConflictException"
    aws.advance(5)
    assert lam.publish_version(FunctionName="f")["VpcConfig"]["VpcId"] == net["vpc"]


def test_a_published_version_keeps_its_enis_until_it_is_deleted(aws, clients, net):
    """Each version keeps the VpcConfig it was published with (versions are immutable)."""
    lam, ec2 = clients["lambda"], clients["ec2"]
    role = make_role(clients["iam"], "vpc-role")
    create(lam, role, "f", {"SubnetIds": [net["a"]], "SecurityGroupIds": [net["sg"]]})
    aws.advance(5)
    assert lam.publish_version(FunctionName="f")["VpcConfig"]["SubnetIds"] == [net["a"]]
    lam.update_function_configuration(
        FunctionName="f", VpcConfig={"SubnetIds": [net["b"]], "SecurityGroupIds": [net["sg"]]})
    aws.advance(5 + ENI_RELEASE_S)
    assert len(lambda_enis(ec2)) == 2  # version 1 still uses subnet a
    lam.delete_function(FunctionName="f", Qualifier="1")
    aws.advance(ENI_RELEASE_S)
    assert [e["SubnetId"] for e in lambda_enis(ec2)] == [net["b"]]
