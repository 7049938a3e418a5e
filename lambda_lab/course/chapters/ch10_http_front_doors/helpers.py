"""Helpers of notebooks/10-http-front-doors: the request's journey as a picture,
a request and the event it became side by side, and two exercises (an ALB handler with
multi-value headers, a TOKEN authorizer that lets one user in). Importing it registers them.

The ALB checks build the event and read the answer with the emulator's own ALB code
(:func:`lambda_lab.fronts.alb.event`, :func:`lambda_lab.fronts.alb.response`); the authorizer
checks deploy the answer behind a real REST API in the active ``lambda_lab.mock_aws()`` session
(or a new one on a virtual clock) and send it requests with ``requests``.

The exercises described here live beside this module, in :mod:`.exercises`.
"""

from __future__ import annotations

import json
import textwrap
from typing import Any

from lambda_lab.course.exercises import (
    Text,
)

__all__ = [
    "ECHO",
    "journey_figure",
    "pick",
    "side_by_side",
    "status_line",
]

REGION = "us-east-1"
ACCOUNT = "123456789012"

#: A handler that answers with its own event as the body (JSON), for every front door.
ECHO = """\
import json


def handler(event, context):
    return {"statusCode": 200, "headers": {"Content-Type": "application/json"},
            "body": json.dumps(event)}
"""

# --------------------------------------------------------------------- showing a request


def journey_figure(front: str = "API Gateway / ALB / function URL") -> Any:
    """The request's journey: client -> front door -> event -> handler -> response -> client,
    as a matplotlib Figure (requests on the top row, the answer back on the bottom row)."""
    from matplotlib.figure import Figure
    from matplotlib.patches import FancyBboxPatch

    fig = Figure(figsize=(9.5, 3.0), dpi=80, layout="constrained")
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 3.2)
    ax.axis("off")
    boxes = {  # name: (x, y, width, text, colour)
        "client": (0.0, 1.1, 1.6, "client\n(requests,\ncurl, browser)", "#e8e8e8"),
        "front": (2.2, 2.0, 2.3, f"front door\n{front}", "#ffd8a8"),
        "event": (5.1, 2.0, 2.2, "event\n(JSON: method, path,\nquery, headers, body)", "#d0ebff"),
        "handler": (7.9, 1.1, 2.0, "handler(event,\ncontext)", "#b2f2bb"),
        "response": (5.1, 0.2, 2.2, "response\n{statusCode, headers,\nbody}", "#d0ebff"),
        "http": (2.2, 0.2, 2.3, "HTTP response\n(or the front door's\n502 / 504 / 403)", "#ffd8a8"),
    }
    height = 0.95
    for x, y, width, text, colour in boxes.values():
        ax.add_patch(FancyBboxPatch((x, y), width, height, boxstyle="round,pad=0.05",
                                    facecolor=colour, edgecolor="#555555"))
        ax.text(x + width / 2, y + height / 2, text, ha="center", va="center", fontsize=9)
    arrows = [((1.0, 2.1), (2.15, 2.45), "HTTPS request"),
              ((4.55, 2.45), (5.05, 2.45), "builds"),
              ((7.35, 2.45), (8.9, 2.1), "Invoke (sync)"),
              ((8.9, 1.05), (7.35, 0.65), "returns"),
              ((5.05, 0.65), (4.55, 0.65), "checks"),
              ((2.15, 0.65), (1.0, 1.05), "answer")]
    for start, end, label in arrows:
        ax.annotate("", xy=end, xytext=start,
                    arrowprops={"arrowstyle": "->", "color": "#333333", "lw": 1.5})
        ax.text((start[0] + end[0]) / 2, max(start[1], end[1]) + 0.1, label,
                ha="center", fontsize=8, color="#333333")
    ax.set_title("A request's journey through a front door (synchronous invocation)",
                 fontsize=11)
    return fig


def pick(event: dict[str, Any], *paths: str) -> dict[str, Any]:
    """The fields of ``event`` named by dotted ``paths`` ("requestContext.path"), in order; a
    missing one is shown as "(absent)"."""
    out: dict[str, Any] = {}
    for path in paths:
        value: Any = event
        for part in path.split("."):
            if isinstance(value, dict) and part in value:
                value = value[part]
            else:
                value = "(absent)"
                break
        out[path] = value
    return out


def _column(text: str, width: int) -> list[str]:
    lines: list[str] = []
    for line in text.splitlines() or [""]:
        lines += textwrap.wrap(line, width, subsequent_indent="  ", break_on_hyphens=False,
                               drop_whitespace=False) or [""]
    return lines


def side_by_side(left: str, right: Any, titles: tuple[str, str] = ("HTTP request", "event"),
                 width: int = 52) -> Text:
    """Two columns: ``left`` (text) and ``right`` (text, or data shown as indented JSON)."""
    if not isinstance(right, str):
        right = json.dumps(right, indent=1)
    lcol, rcol = _column(left, width), _column(right, 56)
    rule = "─"
    rows = [f"{titles[0]:<{width}} │ {titles[1]}", f"{rule * width}─┼─{rule * 56}"]
    for i in range(max(len(lcol), len(rcol))):
        a = lcol[i] if i < len(lcol) else ""
        b = rcol[i] if i < len(rcol) else ""
        rows.append(f"{a:<{width}} │ {b}".rstrip())
    return Text("\n".join(rows))


def status_line(response: Any, limit: int = 90) -> str:
    """``<status> <reason>  <body>`` of a ``requests`` response, the body cut at ``limit``."""
    body = response.text.replace("\n", " ")
    if len(body) > limit:
        body = body[: limit - 1] + "…"
    return f"{response.status_code} {response.reason}  {body}".rstrip()


def request_text(response: Any, headers: tuple[str, ...] = ()) -> str:
    """The request line a ``requests`` response answered (host, then path and query), with
    the named request headers."""
    from urllib.parse import urlsplit

    url = urlsplit(response.request.url)
    lines = [f"{response.request.method} {url.path}" + (f"?{url.query}" if url.query else ""),
             f"Host: {url.hostname}"]
    lines += [f"{h}: {response.request.headers[h]}" for h in headers
              if h in response.request.headers]
    return "\n".join(lines)
