"""Reachability enforced on real handlers: the learner's EC2 network decides, call by call.

Sources: DG "Enable internet access for VPC-connected Lambda functions" (private subnet →
NAT gateway in a public subnet → internet gateway; "Connecting a function to a public subnet
doesn't give it internet access"), DG "Connecting to AWS services through VPC endpoints"
(gateway endpoints for S3 and DynamoDB), DG troubleshooting "Lambda: Function times out when
calling AWS services from a VPC" / networking: without a route the connection neither fails
nor succeeds; the call waits until its timeout or the function's ("Task timed out after 2.00
seconds"). Sockets to the function's own host (the Runtime API) stay open.

Short function timeouts (2 s) keep the hang tests quick.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_helpers import REGION, TRUST, make_zip, session
from test_serve import server  # noqa: F401

from lambda_lab.aws.vpc_network import function_reach

VPC_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"

DYNAMO = """
import boto3, botocore.config
boto3.client('dynamodb')  # the model loads at init: the handler's 0.5 s is all for the call
def handler(event, context):
    t = event.get('t', 60)
    cfg = botocore.config.Config(connect_timeout=t, read_timeout=t, retries={'max_attempts': 0})
    ddb = boto3.client('dynamodb', config=cfg)
    try:
        return ddb.describe_table(TableName='orders')['Table']['TableName']
    except Exception as e:
        return type(e).__name__
"""
SOCKET = """
import os, socket, time
def handler(event, context):
    s = socket.socket()
    s.settimeout(event.get('t'))
    t = time.monotonic()
    try:
        s.connect((event['host'], 443))
        return ['connected', 0]
    except Exception as e:
        return [type(e).__name__, round(time.monotonic() - t, 1),
                '_LAMBDA_LAB_NETGUARD' in os.environ]
"""

ASYNC = """
import asyncio
def handler(event, context):
    async def main():
        try:
            await asyncio.wait_for(asyncio.open_connection(event['host'], 443), 0.5)
            return 'connected'
        except Exception as e:
            return type(e).__name__
    return asyncio.run(main())
"""


@pytest.fixture
def aws() -> Iterator[Any]:
    for a in session():
        a.platform().eni_delay = 0.3  # Pending for 0.3 s of (real) platform time
        yield a


@pytest.fixture
def c(aws: Any) -> dict[str, Any]:
    return {n: boto3.client(n, region_name=REGION)
            for n in ("lambda", "ec2", "iam", "dynamodb")}


@pytest.fixture
def net(c: dict[str, Any]) -> dict[str, str]:
    return build_net(c)


def build_net(c: dict[str, Any]) -> dict[str, str]:
    """A VPC with a private subnet (own route table, no routes out) and a public subnet
    (0.0.0.0/0 → internet gateway); the function's security group allows all egress."""
    ec2 = c["ec2"]
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    private = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    public = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.2.0/24")["Subnet"]["SubnetId"]
    rt_private = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rt_private, SubnetId=private)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc)
    rt_public = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=rt_public, SubnetId=public)
    ec2.create_route(RouteTableId=rt_public, DestinationCidrBlock="0.0.0.0/0", GatewayId=igw)
    sg = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
    c["dynamodb"].create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                               KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                               AttributeDefinitions=[{"AttributeName": "id",
                                                      "AttributeType": "S"}])
    return {"vpc": vpc, "private": private, "public": public, "rt_private": rt_private,
            "rt_public": rt_public, "igw": igw, "sg": sg}


def deploy(aws: Any, c: dict[str, Any], net: dict[str, str], name: str, source: str,
           subnet: str | None = "private") -> None:
    iam = c["iam"]
    try:
        role = iam.get_role(RoleName="vpc-role")["Role"]["Arn"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="vpc-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        iam.attach_role_policy(RoleName="vpc-role", PolicyArn=VPC_POLICY)
    params: dict[str, Any] = {"FunctionName": name, "Runtime": "python3.12", "Role": role,
                              "Handler": "lambda_function.handler", "Timeout": 2,
                              "Code": {"ZipFile": make_zip(source)}}
    if subnet:
        params["VpcConfig"] = {"SubnetIds": [net[subnet]], "SecurityGroupIds": [net["sg"]]}
    c["lambda"].create_function(**params)
    deadline = time.monotonic() + 30
    while c["lambda"].get_function_configuration(FunctionName=name)["State"] != "Active":
        assert time.monotonic() < deadline
        time.sleep(0.1)


def invoke(c: dict[str, Any], name: str, event: dict | None = None) -> tuple[Any, dict]:
    r = c["lambda"].invoke(FunctionName=name, Payload=json.dumps(event or {}).encode())
    return json.loads(r["Payload"].read()), r


def test_private_subnet_dynamodb_times_out_until_a_gateway_endpoint(aws, c, net):
    deploy(aws, c, net, "orders", DYNAMO)
    t0 = time.monotonic()
    payload, r = invoke(c, "orders")
    assert r.get("FunctionError") == "Unhandled"
    assert payload["errorMessage"].endswith("Task timed out after 2.00 seconds")
    assert time.monotonic() - t0 >= 1.9
    answer = function_reach(aws.platform(), "orders", "dynamodb")
    assert not answer.ok and net["rt_private"] in answer.reason
    # the handler's own timeout comes first: the SDK's read timeout (the server holds the call)
    payload, _ = invoke(c, "orders", {"t": 0.5})
    assert payload == "ReadTimeoutError"
    c["ec2"].create_vpc_endpoint(VpcId=net["vpc"], ServiceName=f"com.amazonaws.{REGION}.dynamodb",
                                 RouteTableIds=[net["rt_private"]])
    payload, r = invoke(c, "orders")  # the same function, at once: the network changed
    assert payload == "orders" and "FunctionError" not in r
    assert function_reach(aws.platform(), "orders", "dynamodb").via == "gateway-endpoint"


def test_public_subnet_gives_no_internet_and_nat_fixes_it(aws, c, net):
    deploy(aws, c, net, "web", SOCKET, subnet="public")
    payload, _ = invoke(c, "web", {"host": "example.com", "t": 0.5})
    assert payload == ["TimeoutError", 0.5, False]  # hangs for the socket's timeout
    payload, r = invoke(c, "web", {"host": "203.0.113.7"})  # no socket timeout
    assert payload["errorMessage"].endswith("Task timed out after 2.00 seconds")
    deploy(aws, c, net, "web_async", ASYNC, subnet="public")  # non-blocking sockets too
    assert invoke(c, "web_async", {"host": "example.com"})[0] == "TimeoutError"
    deploy(aws, c, net, "web2", SOCKET)  # private subnet → NAT → IGW
    ec2 = c["ec2"]
    eip = ec2.allocate_address(Domain="vpc")["AllocationId"]
    nat = ec2.create_nat_gateway(SubnetId=net["public"], AllocationId=eip)["NatGateway"]
    ec2.create_route(RouteTableId=net["rt_private"], DestinationCidrBlock="0.0.0.0/0",
                     NatGatewayId=nat["NatGatewayId"])
    payload, _ = invoke(c, "web2", {"host": "203.0.113.7", "t": 0.5})
    assert payload[0] != "TimeoutError"  # let through: this machine has no internet itself
    assert function_reach(aws.platform(), "web2", "203.0.113.7").via == "nat"


def test_outside_a_vpc_nothing_is_held(aws, c, net):
    deploy(aws, c, net, "free", DYNAMO, subnet=None)
    assert invoke(c, "free", {"t": 0.5})[0] == "orders"
    deploy(aws, c, net, "free_socket", SOCKET, subnet=None)
    assert invoke(c, "free_socket", {"host": "203.0.113.7", "t": 0.5})[0][0] != "TimeoutError"


def test_security_group_without_egress_blocks_the_endpoint_path(aws, c, net):
    ec2 = c["ec2"]
    ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName=f"com.amazonaws.{REGION}.dynamodb",
                            RouteTableIds=[net["rt_private"]])
    rules = ec2.describe_security_groups(GroupIds=[net["sg"]])["SecurityGroups"][0]
    ec2.revoke_security_group_egress(GroupId=net["sg"], IpPermissions=rules["IpPermissionsEgress"])
    deploy(aws, c, net, "closed", DYNAMO)
    assert invoke(c, "closed", {"t": 0.5})[0] == "ReadTimeoutError"
    answer = function_reach(aws.platform(), "closed", "dynamodb")
    assert not answer.ok and "security groups" in answer.reason


def test_topology_read_from_ec2_acls_and_interface_endpoints(aws, c, net):
    """VPC UG: a network ACL entry denying TCP 443 out blocks the call; an interface endpoint
    (private DNS, its security group admitting 443 from the VPC) reaches its service."""
    ec2 = c["ec2"]
    deploy(aws, c, net, "sqs_user", DYNAMO)
    ep_sg = ec2.create_security_group(GroupName="ep", Description="ep", VpcId=net["vpc"])["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=ep_sg, IpPermissions=[{
        "IpProtocol": "tcp", "FromPort": 443, "ToPort": 443,
        "IpRanges": [{"CidrIp": "10.0.0.0/16"}]}])
    ec2.create_vpc_endpoint(VpcId=net["vpc"], ServiceName=f"com.amazonaws.{REGION}.sqs",
                            VpcEndpointType="Interface", SubnetIds=[net["private"]],
                            SecurityGroupIds=[ep_sg], PrivateDnsEnabled=True)
    platform = aws.platform()
    assert aws.reach("sqs_user", "sqs").via == "interface-endpoint"
    fig = aws.network_figure("sqs_user", "sqs")
    assert "sqs_user → sqs: reachable (interface-endpoint)" in fig._suptitle.get_text()
    assert not function_reach(platform, "sqs_user", "sns").ok
    acl = ec2.create_network_acl(VpcId=net["vpc"])["NetworkAcl"]["NetworkAclId"]
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1",
                                 RuleAction="allow", Egress=True, CidrBlock="0.0.0.0/0")
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="6",
                                 RuleAction="allow", Egress=False, CidrBlock="0.0.0.0/0",
                                 PortRange={"From": 1024, "To": 65535})
    old = ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id",
                                              "Values": [net["private"]]}])["NetworkAcls"][0]
    assoc = next(a["NetworkAclAssociationId"] for a in old["Associations"]
                 if a["SubnetId"] == net["private"])
    ec2.replace_network_acl_association(AssociationId=assoc, NetworkAclId=acl)
    assert function_reach(platform, "sqs_user", "sqs").ok  # 443 out, ephemeral ports back in
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=50, Protocol="6",
                                 RuleAction="deny", Egress=True, CidrBlock="0.0.0.0/0",
                                 PortRange={"From": 443, "To": 443})
    answer = function_reach(platform, "sqs_user", "sqs")
    assert not answer.ok and "rule 50" in answer.reason


def test_through_serve(server):  # noqa: F811 -- the fixture from test_serve
    """The same over HTTP (``python -m lambda_lab serve``), with any SDK."""
    kw = {"endpoint_url": server.url, "region_name": REGION, "aws_access_key_id": "testing",
          "aws_secret_access_key": "testing"}
    ec2, iam, lam = (boto3.client(n, **kw) for n in ("ec2", "iam", "lambda"))
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="fn", Description="fn", VpcId=vpc)["GroupId"]
    boto3.client("dynamodb", **kw).create_table(
        TableName="orders", BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}])
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.create_function(FunctionName="f", Runtime="python3.12", Role=role, Timeout=2,
                            Handler="lambda_function.handler",
                            Code={"ZipFile": make_zip(DYNAMO)},
                            VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [sg]})
    iam.attach_role_policy(RoleName="r", PolicyArn=VPC_POLICY)
    cfg = lam.create_function(FunctionName="f", Runtime="python3.12", Role=role, Timeout=2,
                              Handler="lambda_function.handler",
                              Code={"ZipFile": make_zip(DYNAMO)},
                              VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [sg]})
    assert cfg["VpcConfig"]["VpcId"] == vpc and cfg["State"] == "Pending"
    lam.get_waiter("function_active_v2").wait(FunctionName="f",
                                               WaiterConfig={"Delay": 1, "MaxAttempts": 30})
    enis = ec2.describe_network_interfaces(
        Filters=[{"Name": "interface-type", "Values": ["lambda"]}])["NetworkInterfaces"]
    assert [e["SubnetId"] for e in enis] == [subnet]
    r = lam.invoke(FunctionName="f", Payload=b'{"t": 0.5}')
    assert json.loads(r["Payload"].read()) == "ReadTimeoutError"
    rt = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.dynamodb",
                            RouteTableIds=[rt["RouteTables"][0]["RouteTableId"]])
    r = lam.invoke(FunctionName="f", Payload=b'{"t": 0.5}')
    assert json.loads(r["Payload"].read()) == "orders"


@pytest.mark.parametrize("isolation", ["fallback", "namespace"])
def test_sockets_hang_in_both_isolation_modes(c_isolated, isolation):
    """README: the worker-side guard does not depend on namespaces."""
    aws, c, net = c_isolated(isolation)
    deploy(aws, c, net, "web", SOCKET, subnet="private")
    assert invoke(c, "web", {"host": "198.51.100.1", "t": 0.3})[0][0] == "TimeoutError"
    envs = aws.platform().environments("web")
    # namespace mode falls back where user namespaces are forbidden (README)
    assert envs[0].isolation == isolation or (isolation, envs[0].isolation) == ("namespace",
                                                                                "fallback")


@pytest.fixture
def c_isolated() -> Iterator[Any]:
    import lambda_lab

    sessions: list[Any] = []

    def make(isolation: str) -> tuple[Any, dict[str, Any], dict[str, str]]:
        aws = lambda_lab.mock_aws(isolation=isolation).start()
        sessions.append(aws)
        aws.platform().eni_delay = 0.3
        c = {n: boto3.client(n, region_name=REGION) for n in ("lambda", "ec2", "iam", "dynamodb")}
        return aws, c, build_net(c)

    yield make
    for aws in sessions:
        aws.stop()
