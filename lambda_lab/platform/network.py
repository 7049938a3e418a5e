"""Lambda in a VPC: "can this function reach this destination, and why not".

One answer for the tests, the course's picture (:mod:`.network_figure`) and the enforcement
(:mod:`lambda_lab.aws.vpc_network`). :func:`reach` reads a :class:`Topology` — a snapshot of the
learner's VPC made with the EC2 API — and follows AWS's rules (DG "Giving Lambda functions
access to resources in an Amazon VPC", "Enable internet access for VPC-connected Lambda
functions"):

- a function outside a VPC reaches everything (Lambda's own network);
- a function in a VPC has no public IP address: the internet (and the public endpoints of AWS
  services) only through a route ``0.0.0.0/0`` → NAT gateway whose own subnet routes
  ``0.0.0.0/0`` → an internet gateway attached to the VPC; a route straight to the internet
  gateway (a "public subnet") does not help;
- AWS services also through a gateway endpoint (S3, DynamoDB) on the subnet's route table, or an
  interface endpoint of the service in the VPC (private DNS on, its security group admitting
  TCP 443);
- the function's security groups' egress rules and the subnets' network ACLs (stateless: the
  return traffic on ephemeral ports too) apply.

A function is only as reachable as its worst subnet: every subnet of its VpcConfig is checked
(on AWS an environment lands in any of them). IPv6 is not modelled.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field, replace
from urllib.parse import urlsplit

__all__ = ["AclEntry", "Destination", "Endpoint", "Hop", "NatGateway", "Reachability", "Route",
           "RouteTable", "Rule", "SecurityGroup", "Subnet", "Topology", "VpcConfig",
           "destination", "reach"]

ANY = "0.0.0.0/0"
HTTPS = 443
EPHEMERAL_PORT = 32768  #: a port of the return traffic's range (NACL inbound rules)


@dataclass(frozen=True)
class VpcConfig:
    """A function's VpcConfig; empty subnet and group lists: not in a VPC."""

    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    vpc_id: str = ""
    ipv6_dual_stack: bool = False

    @property
    def attached(self) -> bool:
        return bool(self.subnet_ids)

    def shape(self) -> dict[str, object]:
        """Lambda's VpcConfigResponse."""
        return {"SubnetIds": list(self.subnet_ids),
                "SecurityGroupIds": list(self.security_group_ids),
                "Ipv6AllowedForDualStack": self.ipv6_dual_stack, "VpcId": self.vpc_id}


# --------------------------------------------------------------------- the topology


@dataclass(frozen=True)
class Subnet:
    id: str
    vpc_id: str
    cidr: str
    route_table_id: str  #: its explicit association, else the VPC's main route table
    acl_id: str = ""


@dataclass(frozen=True)
class Route:
    destination: str  #: a CIDR block or a prefix list id (``pl-…``)
    target: str  #: ``local``, ``igw-…``, ``nat-…``, ``vpce-…`` or another target's id


@dataclass(frozen=True)
class RouteTable:
    id: str
    vpc_id: str
    routes: tuple[Route, ...] = ()
    main: bool = False


@dataclass(frozen=True)
class NatGateway:
    id: str
    subnet_id: str
    state: str = "available"
    public_ip: str = ""


@dataclass(frozen=True)
class Rule:
    """A security group rule: protocol ``-1``/``tcp``/``udp``/…, ports (None: all), peers."""

    protocol: str = "-1"
    from_port: int | None = None
    to_port: int | None = None
    cidrs: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()
    prefix_lists: tuple[str, ...] = ()


@dataclass(frozen=True)
class SecurityGroup:
    id: str
    vpc_id: str
    egress: tuple[Rule, ...] = ()
    ingress: tuple[Rule, ...] = ()


@dataclass(frozen=True)
class AclEntry:
    number: int
    egress: bool
    action: str  #: allow or deny
    cidr: str = ANY
    protocol: str = "-1"
    from_port: int | None = None
    to_port: int | None = None


@dataclass(frozen=True)
class Endpoint:
    id: str
    vpc_id: str
    service: str  #: the service's short name (``s3``, ``dynamodb``, ``sqs``, …)
    type: str = "Gateway"  #: Gateway or Interface
    route_table_ids: tuple[str, ...] = ()
    subnet_ids: tuple[str, ...] = ()
    security_group_ids: tuple[str, ...] = ()
    private_dns: bool = False
    prefix_list_id: str = ""
    state: str = "available"


@dataclass(frozen=True)
class Topology:
    """A snapshot of one Region's VPCs, as the EC2 API describes them."""

    vpcs: dict[str, str] = field(default_factory=dict)  #: VPC id -> CIDR block
    subnets: dict[str, Subnet] = field(default_factory=dict)
    route_tables: dict[str, RouteTable] = field(default_factory=dict)
    internet_gateways: dict[str, str] = field(default_factory=dict)  #: igw id -> VPC id ("")
    nat_gateways: dict[str, NatGateway] = field(default_factory=dict)
    security_groups: dict[str, SecurityGroup] = field(default_factory=dict)
    acls: dict[str, tuple[AclEntry, ...]] = field(default_factory=dict)
    endpoints: dict[str, Endpoint] = field(default_factory=dict)
    #: Lambda's ENIs: id -> (subnet id, security group ids)
    enis: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)
    region: str = "us-east-1"


# --------------------------------------------------------------------- destinations and answers


@dataclass(frozen=True)
class Destination:
    """Where a call goes: an AWS service (``service``) or any host, and a TCP port."""

    host: str
    port: int = HTTPS
    service: str = ""

    @property
    def ip(self) -> ipaddress.IPv4Address | None:
        try:
            return ipaddress.IPv4Address(self.host)
        except ValueError:
            return None

    def __str__(self) -> str:
        return self.service or f"{self.host}:{self.port}"


_REGION = re.compile(r"[a-z]{2}(?:-gov|-iso[a-z]?)?-[a-z]+-\d")
_NOT_SERVICE = {"dualstack", "fips", "vpce", "s3-accesspoint", "api"}


def _service_of(host: str) -> str:
    """The service an ``*.amazonaws.com`` host names ("" for another host)."""
    for suffix in (".amazonaws.com", ".amazonaws.com.cn"):
        if host.endswith(suffix):
            labels = [x for x in host[:-len(suffix)].split(".")
                      if x and not _REGION.fullmatch(x) and x not in _NOT_SERVICE]
            if "s3" in labels or any(x.startswith("s3-") for x in labels):
                return "s3"
            return labels[-1] if labels else ""
    return ""


def destination(value: str | Destination, port: int | None = None) -> Destination:
    """A Destination from a service name (``"dynamodb"``), a host, ``host:port`` or a URL.

    ``*.amazonaws.com`` hosts are the service they name (``sqs.us-east-1.amazonaws.com``,
    ``bucket.s3.amazonaws.com``)."""
    if isinstance(value, Destination):
        return value
    text = value.strip()
    if "://" in text:
        parts = urlsplit(text)
        host = parts.hostname or ""
        port = port or parts.port or (80 if parts.scheme == "http" else HTTPS)
    else:
        host, _, p = text.rpartition(":") if text.count(":") == 1 else (text, "", "")
        port = port or (int(p) if p.isdigit() else HTTPS)
    host = host.lower()
    if re.fullmatch(r"[a-z0-9-]+", host) and not host.replace("-", "").isdigit() \
            and host not in ("localhost",):
        return Destination(f"{host}.amazonaws.com", port, host)
    return Destination(host, port, _service_of(host))


@dataclass(frozen=True)
class Hop:
    """One element of a path: ``kind`` (function, eni, subnet, route-table, nat, igw,
    endpoint, internet, service), the resource id and a label."""

    kind: str
    id: str
    label: str = ""


@dataclass(frozen=True)
class Reachability:
    """``ok``; the path the call takes (or takes until it stops, the last hop being where);
    ``reason`` in words; ``via``: ``lambda``, ``nat``, ``gateway-endpoint``,
    ``interface-endpoint``, ``local`` (an address inside the VPC) or ``""`` (no path)."""

    ok: bool
    path: tuple[Hop, ...]
    reason: str
    via: str = ""
    destination: Destination | None = None

    def __bool__(self) -> bool:
        return self.ok


# --------------------------------------------------------------------- rules


def _covers(cidr: str, ip: ipaddress.IPv4Address | None) -> bool:
    """Does ``cidr`` cover ``ip``? An unknown address (a host name) is covered by /0 only."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    if net.version != 4:
        return False
    return net.prefixlen == 0 if ip is None else ip in net


def _port_ok(protocol: str, lo: int | None, hi: int | None, port: int) -> bool:
    if str(protocol) in ("-1", "all"):
        return True
    if str(protocol).lower() not in ("tcp", "6"):
        return False
    return lo is None or hi is None or lo <= port <= hi or (lo, hi) == (-1, -1)


def _sg_allows(rules: tuple[Rule, ...], port: int, ip: ipaddress.IPv4Address | None,
               groups: tuple[str, ...] = (), prefix_list: str = "") -> bool:
    for r in rules:
        if not _port_ok(r.protocol, r.from_port, r.to_port, port):
            continue
        if any(_covers(c, ip) for c in r.cidrs):
            return True
        if groups and set(r.groups) & set(groups):
            return True
        if prefix_list and prefix_list in r.prefix_lists:
            return True
    return False


def _acl_allows(entries: tuple[AclEntry, ...], egress: bool, port: int,
                ip: ipaddress.IPv4Address | None) -> tuple[bool, int | None]:
    """The first matching rule by number decides (the ``*`` rule denies)."""
    for e in sorted((e for e in entries if e.egress == egress), key=lambda e: e.number):
        if _port_ok(e.protocol, e.from_port, e.to_port, port) and _covers(e.cidr, ip):
            return e.action == "allow", e.number
    return False, None


class _Walk:
    def __init__(self, topo: Topology, vpc: VpcConfig, dest: Destination) -> None:
        self.topo, self.vpc, self.dest = topo, vpc, dest

    def fail(self, path: list[Hop], reason: str) -> Reachability:
        return Reachability(False, tuple(path), reason, "", self.dest)

    def egress(self, port: int, ip: ipaddress.IPv4Address | None, *, groups: tuple[str, ...] = (),
               prefix_list: str = "") -> bool:
        sgs = [self.topo.security_groups.get(g) for g in self.vpc.security_group_ids]
        return any(g is not None and _sg_allows(g.egress, port, ip, groups, prefix_list)
                   for g in sgs)

    def acl(self, subnet: Subnet, ip: ipaddress.IPv4Address | None, *, inbound_from: bool = True
            ) -> str:
        """"" when the subnet's ACL lets the call out (and its answer back in), else why not."""
        entries = self.topo.acls.get(subnet.acl_id)
        if entries is None:
            return ""
        port = self.dest.port
        ok, n = _acl_allows(entries, True, port, ip)
        if not ok:
            return (f"network ACL {subnet.acl_id} of {subnet.id} denies outbound TCP {port} "
                    f"(rule {'*' if n in (None, 32767) else n})")
        if inbound_from:
            ok, n = _acl_allows(entries, False, EPHEMERAL_PORT, ip)
            if not ok:
                return (f"network ACL {subnet.acl_id} of {subnet.id} denies the inbound answer "
                        f"on ephemeral ports (rule {'*' if n in (None, 32767) else n})")
        return ""

    def route(self, table: RouteTable, ip: ipaddress.IPv4Address | None) -> Route | None:
        """The most specific CIDR route for ``ip`` (an unknown address: the /0 route)."""
        best: tuple[int, Route] | None = None
        for r in table.routes:
            if r.destination.startswith("pl-"):
                continue
            try:
                net = ipaddress.ip_network(r.destination, strict=False)
            except ValueError:
                continue
            if net.version == 4 and _covers(r.destination, ip):
                if best is None or net.prefixlen > best[0]:
                    best = (net.prefixlen, r)
        return best[1] if best else None

    # ----------------------------------------------------------------- one subnet

    def from_subnet(self, subnet_id: str) -> Reachability:
        topo, dest = self.topo, self.dest
        fn = Hop("function", "function", "Lambda function")
        subnet = topo.subnets.get(subnet_id)
        if subnet is None:
            return self.fail([fn], f"subnet {subnet_id} no longer exists")
        groups = tuple(sorted(self.vpc.security_group_ids))
        eni = next((i for i, key in topo.enis.items() if key == (subnet_id, groups)), "")
        path = [fn, Hop("eni", eni or subnet_id, f"ENI in {subnet_id}"),
                Hop("subnet", subnet.id, subnet.cidr)]
        note = ""
        if dest.service:
            found = self.interface_endpoint(subnet, path)
            if found is not None and found.via != "private-dns-off":
                return found  # private DNS: the service's name resolves to the endpoint
            if found is not None:
                note = f" ({found.reason})"
            table = topo.route_tables.get(subnet.route_table_id)
            gw = self.gateway_endpoint(subnet, table, path)
            if gw is not None:
                return gw
        answer = self.internet(subnet, path)
        if note and not answer.ok:
            return replace(answer, reason=answer.reason + note)
        return answer

    def interface_endpoint(self, subnet: Subnet, path: list[Hop]) -> Reachability | None:
        topo, dest = self.topo, self.dest
        eps = [e for e in topo.endpoints.values()
               if e.type == "Interface" and e.vpc_id == subnet.vpc_id and e.service == dest.service
               and e.state == "available"]
        if not eps:
            return None
        ep = eps[0]
        hop = Hop("endpoint", ep.id, f"interface endpoint {dest.service}")
        if not ep.private_dns:
            return Reachability(False, tuple(path), f"interface endpoint {ep.id} has private "
                                f"DNS off: the SDK's {dest.service} host name still resolves to "
                                "the public endpoint", "private-dns-off", dest)
        ep_subnet = topo.subnets.get(ep.subnet_ids[0]) if ep.subnet_ids else None
        ip = (ipaddress.ip_network(ep_subnet.cidr, strict=False).network_address + 4
              if ep_subnet else None)
        if not self.egress(HTTPS, ip, groups=ep.security_group_ids):
            return self.fail(path + [hop], "the function's security groups allow no outbound "
                                           f"TCP 443 to the endpoint {ep.id}")
        src_ip = ipaddress.ip_network(subnet.cidr, strict=False).network_address + 4
        admitted = any(
            _sg_allows(g.ingress, HTTPS, src_ip, self.vpc.security_group_ids)
            for g in (topo.security_groups.get(s) for s in ep.security_group_ids) if g)
        if not admitted:
            return self.fail(path + [hop], f"the security group of endpoint {ep.id} does not "
                                           "admit TCP 443 from the function")
        why = self.acl(subnet, ip)
        if why:
            return self.fail(path, why)
        return Reachability(True, tuple(path + [hop, Hop("service", dest.service, dest.host)]),
                            f"through interface endpoint {ep.id} (private DNS)",
                            "interface-endpoint", dest)

    def gateway_endpoint(self, subnet: Subnet, table: RouteTable | None, path: list[Hop]
                         ) -> Reachability | None:
        topo, dest = self.topo, self.dest
        if dest.service not in ("s3", "dynamodb") or table is None:
            return None
        ep = next((e for e in topo.endpoints.values()
                   if e.type == "Gateway" and e.service == dest.service
                   and e.vpc_id == subnet.vpc_id and table.id in e.route_table_ids
                   and e.state == "available"), None)
        if ep is None:
            return None
        hops = path + [Hop("route-table", table.id, f"{ep.prefix_list_id} → {ep.id}"),
                       Hop("endpoint", ep.id, f"gateway endpoint {dest.service}")]
        if not self.egress(dest.port, None, prefix_list=ep.prefix_list_id):
            return self.fail(hops[:-1], "the function's security groups allow no outbound TCP "
                                        f"{dest.port} to {dest.service} ({ep.prefix_list_id})")
        why = self.acl(subnet, None)
        if why:
            return self.fail(path, why)
        return Reachability(True, tuple(hops + [Hop("service", dest.service, dest.host)]),
                            f"through gateway endpoint {ep.id} on route table {table.id}",
                            "gateway-endpoint", dest)

    def internet(self, subnet: Subnet, path: list[Hop]) -> Reachability:
        topo, dest = self.topo, self.dest
        ip = dest.ip
        if not self.egress(dest.port, ip):
            return self.fail(path, f"the function's security groups allow no outbound TCP "
                                   f"{dest.port} to {dest}")
        why = self.acl(subnet, ip)
        if why:
            return self.fail(path, why)
        table = topo.route_tables.get(subnet.route_table_id)
        if table is None:
            return self.fail(path, f"subnet {subnet.id} has no route table")
        route = self.route(table, ip)
        target = route.target if route else ""
        shown = Hop("route-table", table.id, f"{route.destination} → {target}" if route
                    else "no route")
        hops = path + [shown]
        where = f"{dest} ({'AWS service endpoint' if dest.service else 'internet'})"
        if route is None:
            either = " or VPC endpoint" if dest.service else ""
            return self.fail(hops, f"route table {table.id} of {subnet.id} has no route to "
                                   f"{where}: no NAT gateway{either}")
        if target == "local":  # a private address of the VPC (a database, a cache, …)
            return Reachability(True, tuple(hops + [Hop("local", dest.host,
                                                         f"{dest.host}:{dest.port}")]),
                                f"{dest.host} is inside the VPC ({route.destination} → local)",
                                "local", dest)
        if target.startswith("igw-"):
            return self.fail(hops + [Hop("igw", target, "internet gateway")],
                             f"route table {table.id} sends {route.destination} straight to "
                             f"internet gateway {target}, but a Lambda function's network "
                             "interface has no public IP address: a VPC function reaches the "
                             "internet only through a NAT gateway")
        if not target.startswith("nat-"):
            return self.fail(hops, f"route {route.destination} → {target}: that target leads "
                                   "nowhere in the emulated network")
        return self.through_nat(subnet, hops, target)

    def through_nat(self, subnet: Subnet, hops: list[Hop], nat_id: str) -> Reachability:
        topo, dest = self.topo, self.dest
        nat = topo.nat_gateways.get(nat_id)
        hop = Hop("nat", nat_id, "NAT gateway")
        if nat is None or nat.state != "available":
            return self.fail(hops + [hop], f"NAT gateway {nat_id} is "
                                           f"{'gone' if nat is None else nat.state}")
        nat_subnet = topo.subnets.get(nat.subnet_id)
        if nat_subnet is None:
            return self.fail(hops + [hop], f"the subnet of NAT gateway {nat_id} is gone")
        if nat_subnet.id == subnet.id:
            return self.fail(hops + [hop], f"NAT gateway {nat_id} sits in the function's own "
                                           "subnet, whose default route points back to it")
        why = self.acl(nat_subnet, dest.ip)
        if why:
            return self.fail(hops + [hop], why)
        table = topo.route_tables.get(nat_subnet.route_table_id)
        route = self.route(table, dest.ip) if table else None
        target = route.target if route else ""
        nat_rt = Hop("route-table", table.id if table else "",
                     f"{route.destination} → {target}" if route else "no route")
        hops = hops + [hop, Hop("subnet", nat_subnet.id, nat_subnet.cidr), nat_rt]
        if not target.startswith("igw-"):
            return self.fail(hops, f"NAT gateway {nat_id} is in subnet {nat_subnet.id}, whose "
                                   "route table has no route 0.0.0.0/0 to an internet gateway "
                                   "(the NAT gateway must be in a public subnet)")
        if topo.internet_gateways.get(target) != subnet.vpc_id:
            return self.fail(hops + [Hop("igw", target, "internet gateway")],
                             f"internet gateway {target} is not attached to {subnet.vpc_id}")
        end = Hop("service", dest.service, dest.host) if dest.service else \
            Hop("internet", dest.host, f"{dest.host}:{dest.port}")
        return Reachability(True, tuple(hops + [Hop("igw", target, "internet gateway"), end]),
                            f"through NAT gateway {nat_id} and internet gateway {target}",
                            "nat", dest)


def reach(vpc: VpcConfig | None, to: str | Destination, topology: Topology) -> Reachability:
    """Can a function with VpcConfig ``vpc`` reach ``to`` (a service name, host or URL), and
    why not? Every subnet of the function is checked; the first failing one answers."""
    dest = destination(to)
    if vpc is None or not vpc.attached:
        end = Hop("service", dest.service, dest.host) if dest.service else \
            Hop("internet", dest.host, f"{dest.host}:{dest.port}")
        return Reachability(True, (Hop("function", "function", "Lambda function"),
                                   Hop("lambda", "lambda", "Lambda's network"), end),
                            "the function is not in a VPC: Lambda's own network reaches the "
                            "internet and every AWS service", "lambda", dest)
    walk = _Walk(topology, vpc, dest)
    answers = [walk.from_subnet(s) for s in vpc.subnet_ids]
    bad = next((a for a in answers if not a.ok), None)
    if bad is None:
        return answers[0]
    if len(answers) > 1:
        subnet = next(h.id for h in bad.path if h.kind == "subnet") if any(
            h.kind == "subnet" for h in bad.path) else ""
        return Reachability(False, bad.path, f"{bad.reason} (from subnet {subnet})".replace(
            " (from subnet )", ""), "", dest)
    return bad
