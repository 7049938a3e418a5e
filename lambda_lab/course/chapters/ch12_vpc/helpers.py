"""Helpers and exercises for notebooks/12-vpc ("Lambda in a VPC").

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
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from lambda_lab.course.exercises import Check, Exercise, Text, is_stub, register, solution_source

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


# --------------------------------------------------------------------- running an answer


def _run(answer: Callable[[Any, dict[str, str]], Any],
         build: Callable[[Any, str], dict[str, str]], cidr: str) -> dict[str, Any]:
    """Build a fresh network, let ``answer(ec2, net)`` change it, and return what the checks
    read: the reach answers, the NAT gateways and the endpoints' security groups. Runs in
    the active ``lambda_lab.mock_aws()``, else in a plain moto EC2 of its own."""
    import boto3

    from lambda_lab.aws import mock

    def go() -> dict[str, Any]:
        ec2 = boto3.client("ec2", region_name=REGION)
        net = build(ec2, cidr)
        answer(ec2, dict(net))
        in_vpc = [{"Name": "vpc-id", "Values": [net["vpc"]]}]
        endpoints = ec2.describe_vpc_endpoints(Filters=in_vpc)["VpcEndpoints"]
        group_ids = sorted({g["GroupId"] for e in endpoints for g in e.get("Groups", [])})
        groups = (ec2.describe_security_groups(GroupIds=group_ids)["SecurityGroups"]
                  if group_ids else [])
        return {
            "net": net,
            "reach": {to: reach_from(net, to) for to in ("sqs", "s3", "203.0.113.7")},
            "batch_s3": (reach_from(net, "s3", subnet="batch_subnet")
                         if "batch_subnet" in net else None),
            "nat_gateways": ec2.describe_nat_gateways(Filters=in_vpc)["NatGateways"],
            "endpoints": endpoints,
            "endpoint_groups": groups,
        }

    if mock._active is not None:
        return go()
    import moto

    with moto.mock_aws():
        return go()


_cache: dict[int, tuple[Any, dict[str, Any] | BaseException]] = {}


def _cidr(n: int) -> str:
    return f"10.{100 + n % 150}.0.0/16"


def _outcome(answer: Any, build: Callable[[Any, str], dict[str, str]]) -> dict[str, Any]:
    """The run of ``answer`` on a fresh network, once per answer object (the checks share it);
    an exception inside the answer is raised again by every check that needs the run."""
    key = id(answer)
    cached = _cache.get(key)
    if cached is None or cached[0] is not answer:
        try:
            result: dict[str, Any] | BaseException = _run(answer, build, _cidr(next(_runs)))
        except Exception as exc:  # noqa: BLE001 - shown as the failed check's hint
            result = exc
        _cache.clear()
        _cache[key] = (answer, result)
        cached = _cache[key]
    outcome = cached[1]
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


# --------------------------------------------------------------------- exercise: SQS without NAT

SQS_STUB = '''\
def reach_sqs(ec2, net):
    """Let a function in net["subnet"] (security group net["function_sg"]) reach SQS,
    without a NAT gateway. net also holds "vpc", "cidr" and "route_table"."""
    # TODO: the EC2 calls
    ...
'''


def _sqs(answer: Any) -> dict[str, Any]:
    return _outcome(answer, private_network)


def check_runs(answer: Any) -> str | None:
    """The answer runs on a fresh network without raising."""
    _sqs(answer)
    return None


def check_sqs_reached(answer: Any) -> str | None:
    """SQS is reachable from the function's subnet."""
    got = _sqs(answer)["reach"]["sqs"]
    return None if got.ok else f"SQS is not reachable: {got.reason}"


def check_sqs_via_endpoint(answer: Any) -> str | None:
    """Through an interface endpoint, not through the internet."""
    got = _sqs(answer)["reach"]["sqs"]
    if got.via != "interface-endpoint":
        return (f"SQS is reached via {got.via or 'nothing'}: create an interface endpoint "
                f"(VpcEndpointType='Interface', ServiceName='com.amazonaws.{REGION}.sqs')")
    return None


def check_no_nat(answer: Any) -> str | None:
    """No NAT gateway and no route to the internet: the internet stays out of reach."""
    run = _sqs(answer)
    if run["nat_gateways"]:
        return "a NAT gateway costs by the hour and by the GB: the exercise asks for none"
    if run["reach"]["203.0.113.7"].ok:
        return "the function can reach the internet: only SQS was asked for"
    return None


def check_endpoint_group_narrow(answer: Any) -> str | None:
    """The endpoint's security group admits TCP 443 from inside the VPC only."""
    run = _sqs(answer)
    eps = [e for e in run["endpoints"] if e["ServiceName"].endswith(".sqs")]
    groups = {g["GroupId"] for e in eps for g in e.get("Groups", [])}
    if not groups:
        return "give the endpoint a security group of its own (SecurityGroupIds=[...])"
    described = [g for g in run["endpoint_groups"] if g["GroupId"] in groups]
    for group in described:
        for rule in group["IpPermissions"]:
            if any(r.get("CidrIp") == "0.0.0.0/0" for r in rule.get("IpRanges", [])):
                return (f"{group['GroupId']} admits 0.0.0.0/0: admit TCP 443 from the VPC's "
                        "CIDR (net['cidr']) or from the function's security group only")
    return None


SQS_ENDPOINT = register(
    Exercise(
        id="sqs-endpoint",
        title="Reach SQS from a private subnet without a NAT gateway",
        topic="12-vpc",
        answer_name="reach_sqs",
        stub=SQS_STUB,
        not_attempted=lambda answer: answer is None or is_stub(answer),
        checks=[
            Check("reach_sqs(ec2, net) runs on a fresh network", check_runs),
            Check("SQS is reachable from the function's subnet", check_sqs_reached),
            Check("through an interface endpoint", check_sqs_via_endpoint),
            Check("no NAT gateway, no internet", check_no_nat),
            Check("the endpoint's security group admits 443 from the VPC only",
                  check_endpoint_group_narrow),
        ],
        hints=[
            "SQS has no gateway endpoint; an interface endpoint puts an ENI of SQS into your "
            "subnet, and private DNS makes the SDK's usual host name resolve to it.",
            "First a security group for the endpoint (ec2.create_security_group in "
            "net['vpc']) that admits TCP 443 from net['cidr'] "
            "(ec2.authorize_security_group_ingress).",
            "Then ec2.create_vpc_endpoint(VpcId=..., VpcEndpointType='Interface', "
            f"ServiceName='com.amazonaws.{REGION}.sqs', SubnetIds=[net['subnet']], "
            "SecurityGroupIds=[...], PrivateDnsEnabled=True).",
        ],
        solution=solution_source(__package__, "sqs_endpoint"),
    )
)


# --------------------------------------------------------------------- exercise: S3 blocked

S3_STUB = '''\
def fix_s3(ec2, net):
    """Let a function in net["subnet"] reach S3, through the VPC's S3 gateway endpoint.
    The subnet net["batch_subnet"] must keep its access."""
    # TODO: the EC2 calls that remove both causes
    ...
'''


def _s3(answer: Any) -> dict[str, Any]:
    return _outcome(answer, blocked_network)


def check_s3_runs(answer: Any) -> str | None:
    """The answer runs on a fresh copy of the blocked network."""
    _s3(answer)
    return None


def check_s3_reached(answer: Any) -> str | None:
    """S3 is reachable from the function's subnet."""
    got = _s3(answer)["reach"]["s3"]
    return None if got.ok else f"S3 is still not reachable: {got.reason}"


def check_s3_free_path(answer: Any) -> str | None:
    """Through the gateway endpoint (free), with no NAT gateway."""
    run = _s3(answer)
    if run["nat_gateways"]:
        return "a NAT gateway charges for every GB to S3: use the gateway endpoint, it is free"
    got = run["reach"]["s3"]
    if got.via != "gateway-endpoint":
        return f"S3 is reached via {got.via or 'nothing'}, not the gateway endpoint"
    return None


def check_batch_kept(answer: Any) -> str | None:
    """The batch subnet still reaches S3."""
    got = _s3(answer)["batch_s3"]
    if got is None or not got.ok:
        reason = got.reason if got is not None else "no batch subnet"
        return (f"the batch subnet lost S3: {reason} — add a route table to the endpoint "
                "(AddRouteTableIds) instead of moving it")
    return None


S3_BLOCKED = register(
    Exercise(
        id="s3-blocked",
        title="Find why a network cannot reach S3, and fix it",
        topic="12-vpc",
        answer_name="fix_s3",
        stub=S3_STUB,
        not_attempted=lambda answer: answer is None or is_stub(answer),
        checks=[
            Check("fix_s3(ec2, net) runs on a fresh copy of the network", check_s3_runs),
            Check("S3 is reachable from the function's subnet", check_s3_reached),
            Check("through the gateway endpoint, no NAT gateway", check_s3_free_path),
            Check("the batch subnet keeps its access to S3", check_batch_kept),
        ],
        hints=[
            "Ask first: print(reach_line(reach_from(broken, 's3'))) says where the call "
            "stops. Remove that cause (try it on broken with the ec2 client), then ask again.",
            "A gateway endpoint works only for the route tables it is associated with: "
            "ec2.modify_vpc_endpoint(VpcEndpointId=..., AddRouteTableIds=[net['route_table']]).",
            "Network ACLs are stateless rule lists checked in rule-number order: "
            "ec2.describe_network_acls(Filters=[{'Name': 'association.subnet-id', 'Values': "
            "[net['subnet']]}]) shows the deny; ec2.delete_network_acl_entry removes it.",
        ],
        solution=solution_source(__package__, "s3_blocked"),
    )
)
