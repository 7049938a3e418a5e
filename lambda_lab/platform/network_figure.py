"""The picture of a function's VPC and of the path one call takes, or where it stops.

Drawn from the same :class:`~lambda_lab.platform.network.Reachability` the enforcement uses,
with matplotlib's object-oriented API (no pyplot: any backend, Agg included)::

    fig = figure_network(topology, vpc_config, reach(vpc_config, "dynamodb", topology))

The VPC holds its subnets (CIDR, route table and its routes), the function's ENIs, NAT
gateways and interface endpoints; the internet gateway and gateway endpoints sit on its edge;
the internet and the AWS services outside. The path is drawn hop by hop: green when the call
gets through, red up to the ✗ where it stops, with the reason underneath.
"""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

from .network import Hop, Reachability, Topology, VpcConfig

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["figure_network"]

OK_COLOUR, STOP_COLOUR = "#2e7d32", "#c62828"
_W, _H = 100.0, 70.0


def _box(ax: Axes, x: float, y: float, w: float, h: float, text: str, *, face: str,
         edge: str = "#555555", size: float = 8, dashed: bool = False, gid: str = "") -> None:
    from matplotlib.patches import FancyBboxPatch

    patch = FancyBboxPatch((x, y), w, h, boxstyle="round,pad=0.3,rounding_size=0.8",
                           facecolor=face, edgecolor=edge, linewidth=1.2,
                           linestyle="--" if dashed else "-")
    patch.set_gid(gid or text)
    ax.add_patch(patch)
    ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=size)


def _routes_text(topology: Topology, table_id: str) -> str:
    table = topology.route_tables.get(table_id)
    if table is None:
        return "no route table"
    shown = [f"{r.destination} → {r.target}" for r in table.routes if r.target != "local"]
    return "\n".join([table_id, *(shown[:3] or ["(local only)"])])


def figure_network(topology: Topology, vpc: VpcConfig | None, answer: Reachability | None = None,
                   *, function_name: str = "function") -> Figure:
    """The function's VPC (or Lambda's own network when it has none) and ``answer``'s path.

    Every drawn element carries its resource id as the patch's ``gid`` (tests and tools can
    find them); the hops' positions are in ``fig.hop_positions`` (kind, id) -> (x, y)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(11.0, 7.0), dpi=80)
    ax = fig.add_axes((0.01, 0.1, 0.98, 0.82))
    ax.set_xlim(0, _W)
    ax.set_ylim(0, _H)
    ax.set_axis_off()
    pos: dict[tuple[str, str], tuple[float, float]] = {}

    _box(ax, 1, 30, 12, 9, f"λ {function_name}", face="#fff3e0", gid="function")
    pos[("function", "function")] = (7, 34.5)
    _box(ax, 87, 46, 12, 9, "Internet", face="#e3f2fd", gid="internet")
    _box(ax, 87, 12, 12, 9, "AWS services\n(public endpoints)", face="#ede7f6", size=7,
         gid="services")
    if vpc is None or not vpc.attached:
        _box(ax, 40, 28, 22, 12, "Lambda's own network\n(no VPC)", face="#f1f8e9",
             gid="lambda")
        pos[("lambda", "lambda")] = (51, 34)
    else:
        _draw_vpc(ax, topology, vpc, pos)
    if answer is not None:
        for hop in answer.path:
            if hop.kind == "local":  # a private address of the VPC: drawn inside it
                _box(ax, 22, 5, 16, 4, hop.label, face="#f3e5f5", size=7, gid=hop.id)
                pos[("local", hop.id)] = (30, 7)
        _draw_path(ax, answer, pos)
        verdict = f"reachable ({answer.via})" if answer.ok else "blocked: the call hangs"
        dest = answer.destination
        fig.suptitle(f"{function_name} → {dest}: {verdict}", fontsize=12,
                     color=OK_COLOUR if answer.ok else STOP_COLOUR)
        fig.text(0.02, 0.02, "\n".join(textwrap.wrap(answer.reason, 150)), fontsize=8)
    fig.hop_positions = pos  # type: ignore[attr-defined]
    return fig


def _draw_vpc(ax: Axes, topology: Topology, vpc: VpcConfig,
              pos: dict[tuple[str, str], tuple[float, float]]) -> None:
    vpc_id = vpc.vpc_id
    _box(ax, 18, 3, 58, 61, "", face="#fafafa", edge="#1565c0", gid=vpc_id)
    ax.text(20, 62, f"VPC {vpc_id}  {topology.vpcs.get(vpc_id, '')}", fontsize=9,
            color="#1565c0", va="top")
    subnets = [s for s in topology.subnets.values() if s.vpc_id == vpc_id]
    subnets.sort(key=lambda s: (s.id not in vpc.subnet_ids, s.cidr))
    subnets = subnets[:5]
    height = min(11.0, 54.0 / max(1, len(subnets)))
    for i, s in enumerate(subnets):
        y = 57 - (i + 1) * height
        public = any(r.target.startswith("igw-") for t in [topology.route_tables.get(
            s.route_table_id)] if t for r in t.routes)
        _box(ax, 21, y + 0.6, 52, height - 1.8, "", face="#e8f5e9" if public else "#fff8e1",
             gid=s.id)
        ax.text(22, y + height - 1.6, f"{s.id} {s.cidr}  ({'public' if public else 'private'})",
                fontsize=7, va="top")
        mid = y + height / 2 - 0.6
        pos[("subnet", s.id)] = (30, mid)
        _box(ax, 58, y + 1.4, 13.5, height - 4.6, _routes_text(topology, s.route_table_id),
             face="#eceff1", size=5.5, gid=f"{s.route_table_id}@{s.id}")
        pos[("route-table", s.route_table_id + "@" + s.id)] = (64.75, y + height / 2 - 0.2)
        enis = [e for e, (sub, groups) in topology.enis.items()
                if sub == s.id and tuple(sorted(vpc.security_group_ids)) == groups]
        if s.id in vpc.subnet_ids:
            label = enis[0] if enis else "ENI (pending)"
            _box(ax, 23, mid - 1.6, 13, 3.2, label, face="#fff3e0", size=6,
                 gid=enis[0] if enis else f"eni@{s.id}")
            pos[("eni", enis[0] if enis else s.id)] = (29.5, mid)
        for n in topology.nat_gateways.values():
            if n.subnet_id == s.id:
                _box(ax, 43, mid - 1.6, 12, 3.2, f"NAT gateway\n{n.id}", face="#e1f5fe", size=6,
                     gid=n.id)
                pos[("nat", n.id)] = (49, mid)
        x = 38.5
        for e in topology.endpoints.values():
            if e.type == "Interface" and s.id in e.subnet_ids:
                _box(ax, x, mid + 1.8, 17, 2.6, f"{e.service} interface endpoint {e.id}",
                     face="#ede7f6", size=5, gid=e.id)
                pos[("endpoint", e.id)] = (x + 8.5, mid + 3.1)
                x += 18
    for igw, attached in topology.internet_gateways.items():
        if attached == vpc_id:
            _box(ax, 72, 48, 9, 5, f"internet gateway\n{igw}", face="#e3f2fd", size=5.5, gid=igw)
            pos[("igw", igw)] = (76.5, 50.5)
    y = 8.0
    for e in topology.endpoints.values():
        if e.type == "Gateway" and e.vpc_id == vpc_id:
            _box(ax, 72, y, 9, 5, f"{e.service} gateway\nendpoint {e.id}", face="#ede7f6",
                 size=5, gid=e.id)
            pos[("endpoint", e.id)] = (76.5, y + 2.5)
            y += 7


def _where(hop: Hop, path: tuple[Hop, ...], i: int,
           pos: dict[tuple[str, str], tuple[float, float]]) -> tuple[float, float] | None:
    if hop.kind == "internet":
        return (93, 50.5)
    if hop.kind == "service":
        return (93, 16.5)
    if hop.kind == "route-table":
        subnet = next((h.id for h in reversed(path[:i]) if h.kind == "subnet"), "")
        return pos.get(("route-table", f"{hop.id}@{subnet}"))
    if hop.kind == "subnet":
        return None  # drawn as its ENI / NAT gateway
    return pos.get((hop.kind, hop.id))


def _draw_path(ax: Axes, answer: Reachability,
               pos: dict[tuple[str, str], tuple[float, float]]) -> None:
    colour = OK_COLOUR if answer.ok else STOP_COLOUR
    points = [p for i, h in enumerate(answer.path)
              if (p := _where(h, answer.path, i, pos)) is not None]
    points = [p for i, p in enumerate(points) if i == 0 or p != points[i - 1]]
    for (x0, y0), (x1, y1) in zip(points, points[1:], strict=False):
        ax.annotate("", xy=(x1, y1), xytext=(x0, y0), gid="path-arrow",
                    arrowprops={"arrowstyle": "-|>", "color": colour, "lw": 2.2,
                                "shrinkA": 4, "shrinkB": 4})
    if not answer.ok and points:
        x, y = points[-1]
        ax.text(x + 1.5, y + 1.5, "✗", color=STOP_COLOUR, fontsize=20, ha="center",
                va="center", fontweight="bold", gid="stop")
