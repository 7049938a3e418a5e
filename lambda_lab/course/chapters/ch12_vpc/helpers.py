"""Helpers for notebooks/12-vpc ("Lambda in a VPC").

The notebook builds its network with the ordinary boto3 ``ec2`` client; these helpers only
print what it made in short, fixed lines (:func:`reach_line`, :func:`routes`, :func:`enis`) and
grade the two exercises. Both exercises are graded from the network alone: the answer makes
EC2 calls on a fresh VPC, and :func:`reach_from` asks :func:`lambda_lab.platform.network.reach`
— the answer the emulator enforces on a running handler — whether a function with that
subnet and security group would get through. No function is deployed, so a check takes well
under a second.

* ``sqs-endpoint``: let a function in a private subnet reach SQS without a NAT gateway
  (an interface endpoint with private DNS, its security group admitting 443 from the VPC).
* ``s3-blocked``: a given network cannot reach S3; find the two reasons and fix them.

The exercises described here live beside this module, in :mod:`.exercises`.
"""

from __future__ import annotations

import itertools
from typing import Any

from lambda_lab.course.exercises import Text

__all__ = [
    "REGION",
    "VPC_ACCESS_POLICY",
    "blocked_network",
    "enis",
    "private_network",
    "reach_from",
    "reach_line",
    "routes",
]

REGION = "us-east-1"
#: The AWS managed policy with the ENI actions a VPC function's role needs (DG configuration-vpc).
VPC_ACCESS_POLICY = "arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole"

_runs = itertools.count(1)


# --------------------------------------------------------------------- printing


def reach_line(answer: Any) -> Text:
    """A :class:`~lambda_lab.platform.network.Reachability` in one line:
    ``✅ dynamodb via gateway-endpoint: <reason>`` or ``❌ dynamodb: <reason>``."""
    what = str(answer.destination) if answer.destination is not None else "?"
    if answer.ok:
        return Text(f"✅ {what} via {answer.via}: {answer.reason}")
    return Text(f"❌ {what}: {answer.reason}")


def routes(ec2: Any, route_table_id: str) -> Text:
    """The routes of one route table, one ``destination → target`` per line."""
    table = ec2.describe_route_tables(RouteTableIds=[route_table_id])["RouteTables"][0]
    lines = [f"route table {route_table_id}:"]
    for r in table["Routes"]:
        dest = r.get("DestinationCidrBlock") or r.get("DestinationPrefixListId", "?")
        target = (r.get("GatewayId") or r.get("NatGatewayId") or r.get("VpcEndpointId")
                  or r.get("NetworkInterfaceId") or "?")
        lines.append(f"  {dest:<14} → {target}")
    return Text("\n".join(lines))


def enis(ec2: Any) -> Text:
    """Lambda's Hyperplane ENIs (``InterfaceType`` ``lambda``): id, subnet, groups, status and
    the description Lambda gives them (not the private IP address: it differs on every run)."""
    found = ec2.describe_network_interfaces(
        Filters=[{"Name": "interface-type", "Values": ["lambda"]}])["NetworkInterfaces"]
    if not found:
        return Text("no Lambda ENIs")
    lines = []
    for n in found:  # in the order EC2 made them
        groups = ",".join(g["GroupId"] for g in n["Groups"])
        lines.append(f"{n['NetworkInterfaceId']}  {n['SubnetId']}  {groups}  {n['Status']}  "
                     f"{n['Description']!r}")
    return Text("\n".join(lines))


# --------------------------------------------------------------------- networks for the exercises


def private_network(ec2: Any, cidr: str = "10.1.0.0/16") -> dict[str, str]:
    """A VPC with one private subnet (its own route table: only the local route) and the
    function's security group (all egress, as EC2 makes it). Returns their ids."""
    n = next(_runs)
    vpc = ec2.create_vpc(CidrBlock=cidr)["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace(".0.0/16", ".1.0/24"),
                               AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=table, SubnetId=subnet)
    sg = ec2.create_security_group(GroupName=f"function-{n}", Description="the function",
                                   VpcId=vpc)["GroupId"]
    return {"vpc": vpc, "cidr": cidr, "subnet": subnet, "route_table": table,
            "function_sg": sg}


def blocked_network(ec2: Any, cidr: str = "10.2.0.0/16") -> dict[str, str]:
    """The network of the ``s3-blocked`` exercise: a function subnet ``app`` and a subnet
    ``batch``, each with its own route table; an S3 gateway endpoint; and a network ACL on
    ``app``. A function in ``app`` cannot reach S3 — for two reasons. Returns the ids."""
    net = private_network(ec2, cidr)
    vpc = net["vpc"]
    batch = ec2.create_subnet(VpcId=vpc, CidrBlock=cidr.replace(".0.0/16", ".2.0/24"),
                              AvailabilityZone=f"{REGION}a")["Subnet"]["SubnetId"]
    batch_table = ec2.create_route_table(VpcId=vpc)["RouteTable"]["RouteTableId"]
    ec2.associate_route_table(RouteTableId=batch_table, SubnetId=batch)
    ec2.create_vpc_endpoint(VpcId=vpc, ServiceName=f"com.amazonaws.{REGION}.s3",
                            RouteTableIds=[batch_table])
    acl = ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]
    for egress in (False, True):
        ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=100, Protocol="-1",
                                     RuleAction="allow", Egress=egress, CidrBlock="0.0.0.0/0")
    ec2.create_network_acl_entry(NetworkAclId=acl, RuleNumber=90, Protocol="6",
                                 PortRange={"From": 443, "To": 443}, RuleAction="deny",
                                 Egress=True, CidrBlock="0.0.0.0/0")
    current = ec2.describe_network_acls(
        Filters=[{"Name": "association.subnet-id", "Values": [net["subnet"]]}])["NetworkAcls"]
    association = next(a["NetworkAclAssociationId"] for a in current[0]["Associations"]
                       if a["SubnetId"] == net["subnet"])
    ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=acl)
    return {**net, "batch_subnet": batch, "batch_route_table": batch_table}


def reach_from(net: dict[str, str], to: str, *, subnet: str = "subnet",
               account_id: str = "123456789012") -> Any:
    """Would a function in ``net[subnet]`` with security group ``net["function_sg"]`` reach
    ``to``? The emulator's own answer (:func:`lambda_lab.platform.network.reach`) for the
    network as it is now in the running ``mock_aws()``."""
    from lambda_lab.aws.vpc_network import topology
    from lambda_lab.platform.network import VpcConfig, reach

    config = VpcConfig((net[subnet],), (net["function_sg"],), net["vpc"])
    return reach(config, to, topology(account_id, REGION))
