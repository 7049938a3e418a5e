"""``lambda_lab.platform.network.reach``: can a VPC function reach a destination, and why not.

Rules from the AWS documentation:
- DG "Giving Lambda functions access to resources in an Amazon VPC" / "Enable internet access
  for VPC-connected Lambda functions": a function in a VPC has no public IP address; "Connecting
  a function to a public subnet doesn't give it internet access or a public IP address"; the
  internet needs a route 0.0.0.0/0 to a NAT gateway in a public subnet, whose route table sends
  0.0.0.0/0 to an internet gateway.
- DG "Connecting inbound interface VPC endpoints" / VPC UG "Gateway endpoints": S3 and DynamoDB
  through a gateway endpoint on the subnet's route table (prefix list route); other services
  through an interface endpoint with private DNS, whose security group must allow HTTPS (443)
  from the function.
- VPC UG "Security groups" (egress rules, stateful) and "Network ACLs" (stateless, rules by
  number, the final ``*`` rule denies; return traffic uses ephemeral ports 1024-65535).
- A function outside a VPC reaches the internet and every service (DG "VPC networking for
  Lambda").
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from lambda_lab.platform.network import (
    AclEntry,
    Endpoint,
    NatGateway,
    Route,
    RouteTable,
    Rule,
    SecurityGroup,
    Subnet,
    Topology,
    VpcConfig,
    destination,
    reach,
)

VPC = "vpc-1"
ALL_OUT = (Rule(cidrs=("0.0.0.0/0",)),)
OPEN_ACL = (AclEntry(100, True, "allow"), AclEntry(32767, True, "deny"),
            AclEntry(100, False, "allow"), AclEntry(32767, False, "deny"))
FN = VpcConfig(("subnet-private",), ("sg-fn",), VPC)


def base(*, private_routes: tuple[Route, ...] = (), endpoints: dict | None = None,
         egress: tuple[Rule, ...] = ALL_OUT, acl: tuple[AclEntry, ...] = OPEN_ACL,
         nat_subnet: str = "subnet-public") -> Topology:
    """A VPC with a private subnet (its own route table) and a public one (→ internet gateway),
    a NAT gateway in ``nat_subnet``; the private table's routes are ``private_routes``."""
    local = Route("10.0.0.0/16", "local")
    return Topology(
        vpcs={VPC: "10.0.0.0/16"},
        subnets={"subnet-private": Subnet("subnet-private", VPC, "10.0.1.0/24", "rtb-private",
                                          "acl-1"),
                 "subnet-public": Subnet("subnet-public", VPC, "10.0.2.0/24", "rtb-public",
                                         "acl-1")},
        route_tables={"rtb-private": RouteTable("rtb-private", VPC, (local, *private_routes)),
                      "rtb-public": RouteTable("rtb-public", VPC,
                                               (local, Route("0.0.0.0/0", "igw-1")))},
        internet_gateways={"igw-1": VPC},
        nat_gateways={"nat-1": NatGateway("nat-1", nat_subnet, "available", "54.1.2.3")},
        security_groups={"sg-fn": SecurityGroup("sg-fn", VPC, egress),
                         "sg-ep": SecurityGroup("sg-ep", VPC, (), (
                             Rule("tcp", 443, 443, ("10.0.0.0/16",)),))},
        acls={"acl-1": acl},
        endpoints=endpoints or {},
    )


DDB_GATEWAY = {"vpce-ddb": Endpoint("vpce-ddb", VPC, "dynamodb", "Gateway", ("rtb-private",),
                                    prefix_list_id="pl-ddb")}
VIA_NAT = (Route("0.0.0.0/0", "nat-1"),)


def kinds(answer) -> list[str]:
    return [h.kind for h in answer.path]


def test_outside_a_vpc_everything_is_reachable():
    for to in ("dynamodb", "example.com", "https://api.github.com/x"):
        answer = reach(None, to, Topology())
        assert answer.ok and answer.via == "lambda"
    assert reach(VpcConfig(), "s3", Topology()).ok  # detached: empty lists


def test_a_private_subnet_without_routes_reaches_nothing():
    answer = reach(FN, "dynamodb", base())
    assert not answer.ok
    assert "no route" in answer.reason and "rtb-private" in answer.reason
    assert kinds(answer)[-1] == "route-table"  # where it stops
    assert not reach(FN, "example.com", base()).ok


def test_addresses_inside_the_vpc_are_reachable_through_the_local_route():
    """VPC UG "Route tables": every route table has a local route for the VPC's CIDR — why a
    function is put in a VPC at all (RDS, ElastiCache, private APIs)."""
    answer = reach(FN, "10.0.2.15:5432", base())
    assert answer.ok and answer.via == "local"
    no_egress = base(egress=(Rule("tcp", 443, 443, ("0.0.0.0/0",)),))
    assert not reach(FN, "10.0.2.15:5432", no_egress).ok  # the security group still applies


def test_a_gateway_endpoint_reaches_its_service_only():
    topo = base(endpoints=DDB_GATEWAY)
    answer = reach(FN, "dynamodb", topo)
    assert answer.ok and answer.via == "gateway-endpoint"
    assert ("endpoint", "vpce-ddb") in [(h.kind, h.id) for h in answer.path]
    assert not reach(FN, "s3", topo).ok
    assert not reach(FN, "sqs", topo).ok
    assert not reach(FN, "example.com", topo).ok


def test_a_gateway_endpoint_on_another_route_table_does_not_help():
    ep = {"vpce-ddb": replace(DDB_GATEWAY["vpce-ddb"], route_table_ids=("rtb-public",))}
    assert not reach(FN, "dynamodb", base(endpoints=ep)).ok


def test_a_public_subnet_gives_no_internet():
    public = VpcConfig(("subnet-public",), ("sg-fn",), VPC)
    answer = reach(public, "example.com", base())
    assert not answer.ok
    assert "no public IP address" in answer.reason and "igw-1" in answer.reason
    assert kinds(answer)[-1] == "igw"
    assert not reach(public, "dynamodb", base()).ok


def test_nat_gateway_in_a_public_subnet_reaches_the_internet_and_services():
    topo = base(private_routes=VIA_NAT)
    for to in ("example.com", "sqs", "s3", "203.0.113.9:8080"):
        answer = reach(FN, to, topo)
        assert answer.ok and answer.via == "nat", to
        assert kinds(answer)[:4] == ["function", "eni", "subnet", "route-table"]
        assert "nat" in kinds(answer) and "igw" in kinds(answer)


def test_nat_gateway_in_a_private_subnet_does_not():
    topo = base(private_routes=VIA_NAT, nat_subnet="subnet-private")
    assert not reach(FN, "example.com", topo).ok
    topo = replace(base(private_routes=VIA_NAT),
                   subnets={**base().subnets, "subnet-nat": Subnet(
                       "subnet-nat", VPC, "10.0.3.0/24", "rtb-private", "acl-1")},
                   nat_gateways={"nat-1": NatGateway("nat-1", "subnet-nat")})
    answer = reach(FN, "example.com", topo)
    assert not answer.ok and "internet gateway" in answer.reason


def test_nat_gateway_not_available_or_igw_detached():
    topo = replace(base(private_routes=VIA_NAT),
                   nat_gateways={"nat-1": NatGateway("nat-1", "subnet-public", "deleted")})
    assert "deleted" in reach(FN, "example.com", topo).reason
    topo = replace(base(private_routes=VIA_NAT), internet_gateways={"igw-1": ""})
    assert "not attached" in reach(FN, "example.com", topo).reason


def test_the_gateway_endpoint_wins_over_nat_for_its_service():
    topo = base(private_routes=VIA_NAT, endpoints=DDB_GATEWAY)
    assert reach(FN, "dynamodb", topo).via == "gateway-endpoint"
    assert reach(FN, "sqs", topo).via == "nat"


def test_security_group_egress_applies():
    topo = base(private_routes=VIA_NAT, egress=())
    answer = reach(FN, "example.com", topo)
    assert not answer.ok and "security groups" in answer.reason
    only_80 = (Rule("tcp", 80, 80, ("0.0.0.0/0",)),)
    topo = base(private_routes=VIA_NAT, egress=only_80)
    assert reach(FN, "http://example.com/", topo).ok
    assert not reach(FN, "https://example.com/", topo).ok
    to_prefix_list = (Rule("tcp", 443, 443, prefix_lists=("pl-ddb",)),)
    topo = base(endpoints=DDB_GATEWAY, egress=to_prefix_list)
    assert reach(FN, "dynamodb", topo).ok


def test_network_acls_apply_both_ways():
    deny_out = (AclEntry(90, True, "deny", "0.0.0.0/0", "6", 443, 443), *OPEN_ACL)
    answer = reach(FN, "example.com", base(private_routes=VIA_NAT, acl=deny_out))
    assert not answer.ok and "rule 90" in answer.reason and "outbound" in answer.reason
    deny_back = (AclEntry(100, True, "allow"), AclEntry(32767, True, "deny"),
                 AclEntry(32767, False, "deny"))
    answer = reach(FN, "dynamodb", base(endpoints=DDB_GATEWAY, acl=deny_back))
    assert not answer.ok and "inbound" in answer.reason
    ephemeral = (AclEntry(100, True, "allow"), AclEntry(32767, True, "deny"),
                 AclEntry(100, False, "allow", "0.0.0.0/0", "6", 1024, 65535),
                 AclEntry(32767, False, "deny"))
    assert reach(FN, "dynamodb", base(endpoints=DDB_GATEWAY, acl=ephemeral)).ok


def interface(**changes: object) -> dict:
    ep = Endpoint("vpce-sqs", VPC, "sqs", "Interface", (), ("subnet-private",), ("sg-ep",),
                  True)
    return {"vpce-sqs": replace(ep, **changes)}


def test_an_interface_endpoint_with_private_dns_and_443_open():
    answer = reach(FN, "sqs", base(endpoints=interface()))
    assert answer.ok and answer.via == "interface-endpoint"
    assert not reach(FN, "sns", base(endpoints=interface())).ok
    answer = reach(FN, "sqs", base(endpoints=interface(private_dns=False)))
    assert not answer.ok and "private DNS" in answer.reason
    answer = reach(FN, "sqs", base(endpoints=interface(security_group_ids=("sg-fn",))))
    assert not answer.ok and "does not admit" in answer.reason
    # private DNS sends the service's name to the endpoint: a NAT gateway does not rescue it
    blocked = interface(security_group_ids=("sg-fn",))
    assert not reach(FN, "sqs", base(private_routes=VIA_NAT, endpoints=blocked)).ok
    assert reach(FN, "sqs", base(private_routes=VIA_NAT,
                                 endpoints=interface(private_dns=False))).via == "nat"


def test_the_worst_subnet_answers():
    two = VpcConfig(("subnet-private", "subnet-public"), ("sg-fn",), VPC)
    topo = base(endpoints=DDB_GATEWAY)  # the endpoint is on the private table only
    answer = reach(two, "dynamodb", topo)
    assert not answer.ok and "subnet-public" in answer.reason


@pytest.mark.parametrize("text, host, port, service", [
    ("dynamodb", "dynamodb.amazonaws.com", 443, "dynamodb"),
    ("sqs.us-east-1.amazonaws.com", "sqs.us-east-1.amazonaws.com", 443, "sqs"),
    ("https://my-bucket.s3.us-east-1.amazonaws.com/key", "my-bucket.s3.us-east-1.amazonaws.com",
     443, "s3"),
    ("example.com", "example.com", 443, ""),
    ("http://example.com/x", "example.com", 80, ""),
    ("203.0.113.9:5432", "203.0.113.9", 5432, ""),
])
def test_destinations(text, host, port, service):
    d = destination(text)
    assert (d.host, d.port, d.service) == (host, port, service)
