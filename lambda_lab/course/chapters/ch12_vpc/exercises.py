"""The exercises of chapter 12, Lambda in a VPC: SQS without a NAT gateway, and why a network
cannot reach S3.

Importing this module registers them in :data:`lambda_lab.course.exercises.EXERCISES`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from lambda_lab.course.exercises import Check, Exercise, is_stub, register, solution_source

from .helpers import REGION, _runs, blocked_network, private_network, reach_from

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
