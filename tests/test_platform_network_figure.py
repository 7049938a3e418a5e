"""The network picture: the VPC's parts and the path of one call, drawn from ``reach``'s answer.

What it must show follows the DG's VPC diagrams ("Enable internet access for VPC-connected
Lambda functions": private subnet, public subnet with the NAT gateway, internet gateway) and
the issue's contract: subnets, route tables, gateways, endpoints, the function's ENIs, and the
path a call takes or where it stops.
"""

from __future__ import annotations

import io

import pytest
from test_platform_network import DDB_GATEWAY, FN, VIA_NAT, base

pytest.importorskip("matplotlib")
from matplotlib.figure import Figure  # noqa: E402

from lambda_lab.platform.network import Topology, reach  # noqa: E402
from lambda_lab.platform.network_figure import OK_COLOUR, STOP_COLOUR, figure_network  # noqa: E402


def texts(fig: Figure) -> str:
    return "\n".join(t.get_text() for ax in fig.axes for t in ax.texts) + "\n".join(
        t.get_text() for t in fig.texts) + fig._suptitle.get_text()


def gids(fig: Figure) -> set[str]:
    return {p.get_gid() for ax in fig.axes for p in ax.patches}


def arrows(fig: Figure) -> list:
    return [c for ax in fig.axes for c in ax.texts if c.get_gid() == "path-arrow"]


def renders(fig: Figure) -> None:
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"


def with_eni(topo: Topology) -> Topology:
    from dataclasses import replace

    return replace(topo, enis={"eni-1": ("subnet-private", ("sg-fn",))})


def test_a_blocked_call_stops_at_the_route_table():
    topo = with_eni(base())
    answer = reach(FN, "dynamodb", topo)
    fig = figure_network(topo, FN, answer, function_name="orders")
    assert isinstance(fig, Figure)
    shown = texts(fig)
    for label in ("subnet-private", "subnet-public", "10.0.1.0/24", "rtb-private",
                  "rtb-public\n0.0.0.0/0 → igw-1", "internet gateway", "NAT gateway", "eni-1",
                  "Internet", "AWS services", "blocked", "orders → dynamodb", "no route"):
        assert label in shown, label
    assert {"vpc-1", "subnet-private", "subnet-public", "igw-1", "nat-1", "eni-1"} <= gids(fig)
    assert fig._suptitle.get_color() == STOP_COLOUR
    stops = [t for ax in fig.axes for t in ax.texts if t.get_gid() == "stop"]
    assert len(stops) == 1
    # the ✗ sits where the path ends: the private subnet's route table
    assert stops[0].get_position()[1] == pytest.approx(
        fig.hop_positions[("route-table", "rtb-private@subnet-private")][1] + 1.5)
    assert len(arrows(fig)) == 2  # function → ENI → route table
    renders(fig)


def test_the_nat_path_is_drawn_to_the_internet():
    topo = with_eni(base(private_routes=VIA_NAT))
    answer = reach(FN, "example.com", topo)
    fig = figure_network(topo, FN, answer)
    assert "reachable (nat)" in texts(fig)
    assert fig._suptitle.get_color() == OK_COLOUR
    # function, ENI, route table, NAT, NAT subnet's route table, IGW, internet
    assert len(arrows(fig)) == 6
    assert arrows(fig)[-1].xy == (93, 50.5)
    assert not [t for ax in fig.axes for t in ax.texts if t.get_gid() == "stop"]


def test_a_private_address_of_the_vpc():
    topo = with_eni(base())
    fig = figure_network(topo, FN, reach(FN, "10.0.2.15:5432", topo))
    assert "10.0.2.15:5432" in texts(fig) and "reachable (local)" in texts(fig)
    assert arrows(fig)[-1].xy == (30, 7)


def test_gateway_endpoint_and_no_vpc():
    topo = with_eni(base(endpoints=DDB_GATEWAY))
    fig = figure_network(topo, FN, reach(FN, "dynamodb", topo))
    assert "vpce-ddb" in gids(fig) and "dynamodb gateway" in texts(fig)
    assert arrows(fig)[-1].xy == (93, 16.5)  # to the AWS services
    fig = figure_network(Topology(), None, reach(None, "example.com", Topology()))
    assert "Lambda's own network" in texts(fig) and "reachable (lambda)" in texts(fig)
    assert len(arrows(fig)) == 2
