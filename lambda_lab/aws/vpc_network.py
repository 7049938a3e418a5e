"""Lambda in a VPC against moto's EC2: the topology, the Hyperplane ENIs, and the enforcement.

- :func:`topology` reads one Region's VPCs, subnets, route tables (explicit associations, else
  the main table), internet and NAT gateways, security groups, network ACLs and VPC endpoints
  from moto's EC2 into a :class:`~lambda_lab.platform.network.Topology`.
- :class:`HyperplaneENIs`: one network interface per subnet and security-group combination in
  use (shared by every function with that combination; DG "Hyperplane elastic network
  interfaces"), visible in ``describe_network_interfaces`` with ``InterfaceType`` ``lambda``,
  ``RequesterId`` the execution role's session and the description
  ``AWS Lambda VPC ENI-<function>-<uuid>``;
  removed :data:`ENI_RELEASE_S` of platform time after the last function using it leaves.
- :func:`guard`: WSGI middleware in front of the in-process moto server that handlers call. A
  request signed with a VPC function's role session goes through only if
  :func:`~lambda_lab.platform.network.reach` finds a path to the service; otherwise it is held,
  unanswered, until the client gives up (its socket timeout, or the function's timeout killing
  the worker) — what a missing route looks like on AWS. It also answers the worker-side
  netguard's question for other hosts (``GET /_lambda_lab/reach``).
"""

from __future__ import annotations

import json
import logging
import select
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

from ..platform import Platform
from ..platform.model import Version
from ..platform.network import (
    AclEntry,
    Destination,
    Endpoint,
    NatGateway,
    Reachability,
    Route,
    RouteTable,
    Rule,
    SecurityGroup,
    Subnet,
    Topology,
    destination,
    reach,
)

__all__ = ["ENI_RELEASE_S", "HyperplaneENIs", "attach", "function_figure", "function_reach",
           "guard", "stop", "topology"]

#: Platform time before an ENI no function uses any more is deleted (unconfirmed: AWS says
#: Lambda reclaims unused Hyperplane ENIs "after some time"; 20 minutes is typical).
ENI_RELEASE_S = 20 * 60.0
REACH_PATH = "/_lambda_lab/reach"
_POLL_S = 0.05


# --------------------------------------------------------------------- topology

def _ec2(account_id: str, region: str) -> Any:
    from moto.ec2.models import ec2_backends

    return ec2_backends[account_id][region]


def _rule(r: Any) -> Rule:
    ranges = r.ip_range if isinstance(r.ip_range, list) else [r.ip_range] if r.ip_range else []
    cidrs = tuple(x.get("CidrIp") for x in ranges if isinstance(x, dict) and x.get("CidrIp"))
    groups = r.source_group if isinstance(r.source_group, list) else \
        [r.source_group] if r.source_group else []
    group_ids = tuple(g.get("GroupId") for g in groups if isinstance(g, dict) and g.get("GroupId"))
    prefixes = r.prefix_list_id if isinstance(r.prefix_list_id, list) else \
        [r.prefix_list_id] if r.prefix_list_id else []
    pls = tuple(p.get("PrefixListId") if isinstance(p, dict) else p for p in prefixes)

    def port(v: Any) -> int | None:
        return None if v in (None, "") else int(v)

    return Rule(str(r.ip_protocol), port(r.from_port), port(r.to_port), cidrs, group_ids, pls)


def _route_target(r: Any) -> str:
    if r.local:
        return "local"
    for attr in ("nat_gateway", "gateway", "instance", "transit_gateway", "vpc_pcx",
                 "egress_only_igw", "interface", "carrier_gateway"):
        obj = getattr(r, attr, None)
        if obj is not None:
            return getattr(obj, "id", str(obj))
    return r.vpc_endpoint_id or ""


def topology(account_id: str, region: str) -> Topology:
    """A snapshot of moto's EC2 for one account and Region."""
    ec2 = _ec2(account_id, region)
    tables: dict[str, RouteTable] = {}
    explicit: dict[str, str] = {}
    main: dict[str, str] = {}
    for t in list(ec2.route_tables.values()):
        routes = []
        for r in t.routes:
            dest = r.destination_cidr_block or (r.destination_prefix_list.id
                                                if r.destination_prefix_list else "")
            if dest:
                routes.append(Route(dest, _route_target(r)))
        is_main = bool(t.main_association_id)
        tables[t.id] = RouteTable(t.id, t.vpc_id, tuple(routes), is_main)
        if is_main:
            main[t.vpc_id] = t.id
        for a in t.associations:
            if a.get("SubnetId"):
                explicit[a["SubnetId"]] = t.id
    acl_of: dict[str, str] = {}
    acls: dict[str, tuple[AclEntry, ...]] = {}
    for acl in list(ec2.network_acls.values()):
        acls[acl.id] = tuple(
            AclEntry(int(e.rule_number), str(e.egress).lower() == "true", e.rule_action,
                     e.cidr_block or "", str(e.protocol),
                     None if e.port_range_from in (None, "") else int(e.port_range_from),
                     None if e.port_range_to in (None, "") else int(e.port_range_to))
            for e in acl.network_acl_entries if e.cidr_block)
        for assoc in acl.associations:
            acl_of[assoc.subnet_id] = acl.id
    subnets = {s.id: Subnet(s.id, s.vpc_id, s.cidr_block,
                            explicit.get(s.id) or main.get(s.vpc_id, ""), acl_of.get(s.id, ""))
               for zone in list(ec2.subnets.values()) for s in list(zone.values())}
    groups = {}
    for g in _security_groups(ec2):
        groups[g.id] = SecurityGroup(g.id, g.vpc_id or "", tuple(_rule(r) for r in g.egress_rules),
                                     tuple(_rule(r) for r in g.ingress_rules))
    nats = {n.id: NatGateway(n.id, n.subnet_id, n.state,
                             (n.address_set[0].get("publicIp", "") if n.address_set else ""))
            for n in list(ec2.nat_gateways.values())}
    igws = {i.id: (i.vpc.id if i.vpc is not None else "")
            for i in list(ec2.internet_gateways.values())}
    endpoints = {}
    for e in list(ec2.vpc_end_points.values()):
        kind = (e.vpc_endpoint_type or "Gateway").capitalize()
        endpoints[e.id] = Endpoint(e.id, e.vpc_id, e.service_name.rsplit(".", 1)[-1], kind,
                                   tuple(e.route_table_ids or ()), tuple(e.subnet_ids or ()),
                                   tuple(e.security_group_ids or ()), bool(e.private_dns_enabled),
                                   e.destination_prefix_list_id or "", e.state or "available")
    enis = {n.id: (n.subnet.id, tuple(sorted(g.id for g in n.group_set)))
            for n in list(ec2.enis.values()) if n.interface_type == "lambda"}
    return Topology({v.id: v.cidr_block for v in list(ec2.vpcs.values())}, subnets, tables, igws,
                    nats, groups, acls, endpoints, enis, region)


def _security_groups(ec2: Any) -> Iterable[Any]:
    for by_vpc in list(ec2.groups.values()):
        yield from list(by_vpc.values())


def function_reach(platform: Platform, name: str, to: str | Destination,
                   qualifier: str | None = None) -> Reachability:
    """:func:`~lambda_lab.platform.network.reach` for a function of ``platform``."""
    version = platform.version(name, qualifier)
    return reach(version.config.vpc, to, topology(platform.account_id, platform.region))


def function_figure(platform: Platform, name: str, to: str | Destination,
                    qualifier: str | None = None) -> Any:
    """The picture of the function's VPC and of the path a call to ``to`` takes
    (:func:`~lambda_lab.platform.network_figure.figure_network`)."""
    from ..platform.network_figure import figure_network

    version = platform.version(name, qualifier)
    topo = topology(platform.account_id, platform.region)
    return figure_network(topo, version.config.vpc, reach(version.config.vpc, to, topo),
                          function_name=version.function_name)


# --------------------------------------------------------------------- Hyperplane ENIs

class HyperplaneENIs:
    """The ENIs of one platform's VPC functions, kept in moto's EC2."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.enis: dict[tuple[str, tuple[str, ...]], str] = {}
        self._lock = threading.Lock()

    def _needed(self) -> dict[tuple[str, tuple[str, ...]], Version]:
        needed: dict[tuple[str, tuple[str, ...]], Version] = {}
        for fn in self.platform.list_functions():
            versions = fn.all_versions() + ([fn.latest.previous] if fn.latest.previous else [])
            for v in versions:
                vpc = v.config.vpc
                if vpc is None or not vpc.attached:
                    continue
                for subnet in vpc.subnet_ids:
                    needed.setdefault((subnet, tuple(sorted(vpc.security_group_ids))), v)
        return needed

    def sync(self, _platform: Platform | None = None) -> None:
        """Create the ENIs now in use; schedule the removal of those no longer used."""
        p = self.platform
        needed = self._needed()
        ec2 = _ec2(p.account_id, p.region)
        with self._lock:
            for key, version in needed.items():
                if key in self.enis and self.enis[key] in ec2.enis:
                    continue
                subnet, groups = key
                eni = ec2.create_network_interface(
                    subnet, None, group_ids=list(groups),
                    description=f"AWS Lambda VPC ENI-{version.function_name}-{uuid.uuid4()}")
                eni.interface_type = "lambda"
                eni.requester_managed = False  # as observed: made with the function's role
                eni.requester_id = _requester(p.account_id, version.config.role)
                eni.status = "in-use"
                self.enis[key] = eni.id
            for key in set(self.enis) - set(needed):
                p.clock.call_later(ENI_RELEASE_S, self._release, key)

    def _release(self, key: tuple[str, tuple[str, ...]]) -> None:
        if key in self._needed():
            return
        p = self.platform
        with self._lock:
            eni_id = self.enis.pop(key, None)
            ec2 = _ec2(p.account_id, p.region)
            if eni_id is not None and eni_id in ec2.enis:
                ec2.delete_network_interface(eni_id)


def _requester(account_id: str, role_arn: str) -> str:
    """``<role unique id>:awslambda_<digits>``: Lambda creates the ENI with the execution
    role's session (DG: "Lambda uses your function's permissions to create and manage network
    interfaces"; the session name's form is unconfirmed)."""
    from moto.iam.models import iam_backends

    try:
        role_id = iam_backends[account_id]["aws"].get_role_by_arn(role_arn).id
    except Exception:  # the role is gone: moto's default requester
        role_id = "AROAEXAMPLEROLEID"
    return f"{role_id}:awslambda_{uuid.uuid4().int % 10**18:018d}"


def attach(platform: Platform) -> HyperplaneENIs:
    """Keep ``platform``'s VPC functions' ENIs in moto's EC2."""
    enis = HyperplaneENIs(platform)
    platform.on_vpc_change = enis.sync
    return enis


# --------------------------------------------------------------------- enforcement

_stopping: dict[int, threading.Event] = {}


def _caller(environ: dict[str, Any], sessions: Callable[[], list[Platform]]
            ) -> tuple[Platform, Version] | None:
    """The platform and version whose role session signed this request (None: not a
    handler's)."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    key = auth.partition("Credential=")[2].partition("/")[0]
    if not key:
        q = parse_qs(environ.get("QUERY_STRING", ""))
        key = (q.get("X-Amz-Credential") or q.get("key") or [""])[0].partition("/")[0]
    if not key:
        return None
    for p in sessions():
        version = p.identities.get(key)
        if version is not None:
            return p, version
    return None


def _service(environ: dict[str, Any]) -> str:
    auth = environ.get("HTTP_AUTHORIZATION", "")
    scope = auth.partition("Credential=")[2].partition(",")[0].split("/")
    if len(scope) < 4:
        q = parse_qs(environ.get("QUERY_STRING", ""))
        scope = (q.get("X-Amz-Credential") or [""])[0].split("/")
    return scope[3] if len(scope) >= 4 else ""


def _hold(environ: dict[str, Any], stop: threading.Event, seconds: float) -> None:
    """Wait until the client hangs up, the session stops, or ``seconds`` pass."""
    sock: socket.socket | None = environ.get("werkzeug.socket")
    try:  # the request's body: then the socket is readable only when the client hangs up
        environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
    except (OSError, ValueError, KeyError):
        pass
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not stop.is_set():
        if sock is None:
            stop.wait(_POLL_S)
            continue
        try:
            readable, _, _ = select.select([sock], [], [], _POLL_S)
            if readable:
                if not sock.recv(1, socket.MSG_PEEK):
                    return  # the client closed the connection
                stop.wait(_POLL_S)  # unread request bytes: readable at once
        except (OSError, ValueError):
            return


def guard(app: Callable[..., Any], session: Any) -> Callable[..., Any]:
    """Wrap the WSGI app handlers call (``session``: the MockAWS, for its platforms)."""
    stop = _stopping.setdefault(id(session), threading.Event())
    stop.clear()

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        found = _caller(environ, session.platforms)
        if environ.get("PATH_INFO") == REACH_PATH:
            return _answer_reach(environ, start_response, found)
        if found is not None:
            platform, version = found
            vpc = version.config.vpc
            service = _service(environ)
            if vpc is not None and vpc.attached and service:
                answer = _safe_reach(platform, version, service)
                if answer is not None and not answer.ok:
                    _hold(environ, stop, version.config.timeout + 1.0)
                    start_response("504 Gateway Timeout", [("Content-Type", "text/plain")])
                    return [b""]
        return app(environ, start_response)

    return wsgi


def _safe_reach(platform: Platform, version: Version, to: str | Destination
                ) -> Reachability | None:
    """reach() for the guard: a failure of the emulator lets the call through (logged)."""
    try:
        return reach(version.config.vpc, to, topology(platform.account_id, platform.region))
    except Exception:  # a moto shape we do not know must not break every handler's calls
        logging.getLogger(__name__).exception("VPC reachability check failed for %s",
                                              version.function_name)
        return None


def _answer_reach(environ: dict[str, Any], start_response: Callable[..., Any],
                  found: tuple[Platform, Version] | None) -> list[bytes]:
    q = parse_qs(environ.get("QUERY_STRING", ""))
    host = (q.get("host") or [""])[0]
    port = int((q.get("port") or ["443"])[0])
    if found is None or not host:
        body = {"ok": True, "reason": "not a VPC function's request"}
    else:
        platform, version = found
        answer = _safe_reach(platform, version, destination(host, port))
        body = ({"ok": True, "reason": "check failed"} if answer is None
                else {"ok": answer.ok, "reason": answer.reason})
    start_response("200 OK", [("Content-Type", "application/json")])
    return [json.dumps(body).encode()]


def stop(session: Any) -> None:
    """Release every held request of ``session`` (its server is stopping)."""
    event = _stopping.pop(id(session), None)
    if event is not None:
        event.set()
