"""notebooks/12-vpc: the network helpers and the two exercises' checks.

Written from the Lambda Developer Guide: "Giving Lambda functions access to resources in an
Amazon VPC" (a VPC function has no public IP; internet only through a NAT gateway),
"Connecting to AWS services through VPC endpoints" (gateway endpoints for S3 and DynamoDB work
for the route tables they are associated with; interface endpoints with private DNS for other
services, their security group admitting HTTPS), and the VPC User Guide's "Control subnet
traffic with network ACLs" (rules are evaluated in rule-number order; the first match wins).
The checks grade the network only (no function is deployed), so they run on plain moto EC2.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import boto3
import moto
import pytest

from lambda_lab.course import exercises as ex
from lambda_lab.course.chapters.ch12_vpc import helpers as vpc

SQS = "com.amazonaws.us-east-1.sqs"


@pytest.fixture
def ec2() -> Iterator[Any]:
    with moto.mock_aws():
        yield boto3.client("ec2", region_name=vpc.REGION)


def test_a_private_subnet_reaches_nothing_outside_the_vpc(ec2):
    """DG: no route to a NAT gateway or an endpoint, no way out, for AWS services too."""
    net = vpc.private_network(ec2)
    for to in ("sqs", "s3", "dynamodb", "203.0.113.7"):
        answer = vpc.reach_from(net, to)
        assert not answer.ok and net["route_table"] in answer.reason
    assert vpc.reach_from(net, "10.1.1.50:5432").via == "local"  # a database in the VPC
    line = vpc.reach_line(vpc.reach_from(net, "dynamodb"))
    assert line.startswith("❌ dynamodb: route table ") and "no NAT gateway" in line
    assert re.fullmatch(r"route table rtb-\w+:\n  10\.1\.0\.0/16\s+→ local",
                        vpc.routes(ec2, net["route_table"]))


def test_an_interface_endpoint_with_private_dns_reaches_sqs(ec2):
    net = vpc.private_network(ec2)
    sg = ec2.create_security_group(GroupName="ep", Description="ep", VpcId=net["vpc"])["GroupId"]
    ep = ec2.create_vpc_endpoint(VpcId=net["vpc"], VpcEndpointType="Interface", ServiceName=SQS,
                                 SubnetIds=[net["subnet"]], SecurityGroupIds=[sg],
                                 PrivateDnsEnabled=True)["VpcEndpoint"]["VpcEndpointId"]
    closed = vpc.reach_from(net, "sqs")  # the endpoint's group admits nothing yet
    assert not closed.ok and "does not admit TCP 443" in closed.reason
    ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": net["cidr"]}]}])
    answer = vpc.reach_from(net, "sqs")
    assert answer.ok and answer.via == "interface-endpoint"
    assert vpc.reach_line(answer) == f"✅ sqs via interface-endpoint: through interface " \
                                     f"endpoint {ep} (private DNS)"
    assert not vpc.reach_from(net, "203.0.113.7").ok  # the endpoint is not the internet


def test_the_blocked_network_fails_for_two_reasons(ec2):
    """The ACL's deny (rule 90) comes before its allow (100); the endpoint serves only the
    batch subnet's route table. Fixing one still leaves the other."""
    net = vpc.blocked_network(ec2)
    first = vpc.reach_from(net, "s3")
    assert not first.ok and "denies outbound TCP 443 (rule 90)" in first.reason
    batch = vpc.reach_from(net, "s3", subnet="batch_subnet")
    assert batch.ok and batch.via == "gateway-endpoint"
    acl = ec2.describe_network_acls(Filters=[
        {"Name": "association.subnet-id", "Values": [net["subnet"]]}])["NetworkAcls"][0]
    ec2.delete_network_acl_entry(NetworkAclId=acl["NetworkAclId"], RuleNumber=90, Egress=True)
    second = vpc.reach_from(net, "s3")
    assert not second.ok and net["route_table"] in second.reason


def test_enis_lists_only_lambda_interfaces(ec2):
    net = vpc.private_network(ec2)
    ec2.create_network_interface(SubnetId=net["subnet"], Description="an instance's")
    assert vpc.enis(ec2) == "no Lambda ENIs"


def test_an_endpoint_open_to_the_world_fails_the_last_check():
    def wide(ec2: Any, net: dict[str, str]) -> None:
        sg = ec2.create_security_group(GroupName="ep", Description="ep",
                                       VpcId=net["vpc"])["GroupId"]
        ec2.authorize_security_group_ingress(GroupId=sg, IpPermissions=[{
            "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
            "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
        ec2.create_vpc_endpoint(VpcId=net["vpc"], VpcEndpointType="Interface", ServiceName=SQS,
                                SubnetIds=[net["subnet"]], SecurityGroupIds=[sg],
                                PrivateDnsEnabled=True)

    feedback = ex.get("sqs-endpoint").check(wide)
    assert feedback.passed == 4 and "admits 0.0.0.0/0" in feedback.text


def test_moving_the_endpoint_loses_the_batch_subnet():
    def move(ec2: Any, net: dict[str, str]) -> None:
        ep = ec2.describe_vpc_endpoints(Filters=[
            {"Name": "vpc-id", "Values": [net["vpc"]]}])["VpcEndpoints"][0]["VpcEndpointId"]
        ec2.modify_vpc_endpoint(VpcEndpointId=ep, AddRouteTableIds=[net["route_table"]],
                                RemoveRouteTableIds=[net["batch_route_table"]])
        acl = ec2.describe_network_acls(Filters=[
            {"Name": "association.subnet-id", "Values": [net["subnet"]]}])["NetworkAcls"][0]
        ec2.delete_network_acl_entry(NetworkAclId=acl["NetworkAclId"], RuleNumber=90,
                                     Egress=True)

    feedback = ex.get("s3-blocked").check(move)
    assert feedback.passed == 3 and "the batch subnet lost S3" in feedback.text


def test_an_answer_that_raises_fails_every_check_with_the_error():
    def broken(ec2: Any, net: dict[str, str]) -> None:
        ec2.create_vpc_endpoint(VpcId="vpc-00000000", ServiceName=SQS)

    feedback = ex.get("sqs-endpoint").check(broken)
    assert feedback.passed == 0 and "your code raised ClientError" in feedback.text
