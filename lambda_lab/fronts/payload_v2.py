"""Payload format 2.0 (HTTP APIs and function URLs): the event, and the response with its
inference rules (API Gateway DG "Working with AWS Lambda proxy integrations for HTTP APIs").

- Repeated headers and query values are comma-joined; header names are lower-case; every
  cookie goes to ``cookies``; there are no ``multiValue*`` maps.
- A result without ``statusCode`` is inferred: 200, ``content-type: application/json``, the
  body is the result itself (a string as it is, anything else as JSON).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from .http import HttpRequest, HttpResponse, decode_body, request_time

__all__ = ["event", "response"]


def _joined(pairs: list[tuple[str, str]], *, lower: bool) -> dict[str, str]:
    out: dict[str, str] = {}
    for k, v in pairs:
        k = k.lower() if lower else k
        out[k] = f"{out[k]},{v}" if k in out else v
    return out


def forwarded_headers(request: HttpRequest, trace_id: str | None = None) -> \
        list[tuple[str, str]]:
    """The request's headers plus what AWS's edge adds (``X-Forwarded-*``, the trace id)."""
    port = request.port or (443 if request.scheme == "https" else 80)
    added = [("X-Forwarded-For", request.source_ip), ("X-Forwarded-Port", str(port)),
             ("X-Forwarded-Proto", request.scheme),
             ("X-Amzn-Trace-Id", trace_id or f"Root=1-{uuid.uuid4().hex[:8]}-"
                                             f"{uuid.uuid4().hex[:24]}")]
    have = {k.lower() for k, _ in request.headers}
    return [*request.headers, *[(k, v) for k, v in added if k.lower() not in have]]


def event(request: HttpRequest, *, api_id: str, domain: str, account_id: str, now: float,
          route_key: str = "$default", stage: str = "$default",
          path_parameters: dict[str, str] | None = None,
          stage_variables: dict[str, str] | None = None,
          authorizer: dict[str, Any] | None = None, raw_path: str | None = None,
          extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The 2.0 event for ``request``. ``raw_path``: the path as the integration sees it."""
    headers = forwarded_headers(request)
    cookies = [c.strip() for k, v in headers if k.lower() == "cookie"
               for c in v.split(";") if c.strip()]
    headers = [(k, v) for k, v in headers if k.lower() != "cookie"]
    when, epoch = request_time(now)
    path = raw_path if raw_path is not None else request.path
    body, b64 = request.body_for_event()
    ctx: dict[str, Any] = {
        "accountId": account_id, "apiId": api_id, "domainName": domain,
        "domainPrefix": domain.split(".")[0],
        "http": {"method": request.method, "path": path, "protocol": "HTTP/1.1",
                 "sourceIp": request.source_ip,
                 "userAgent": request.header("user-agent") or ""},
        "requestId": str(uuid.uuid4()), "routeKey": route_key, "stage": stage,
        "time": when, "timeEpoch": epoch}
    if authorizer is not None:
        ctx["authorizer"] = authorizer
    if extra:
        ctx.update(extra)
    out: dict[str, Any] = {"version": "2.0", "routeKey": route_key, "rawPath": path,
                           "rawQueryString": request.query}
    if cookies:
        out["cookies"] = cookies
    out["headers"] = _joined(headers, lower=True)
    if request.query:
        out["queryStringParameters"] = _joined(request.query_pairs(), lower=False)
    out["requestContext"] = ctx
    if body is not None:
        out["body"] = body
    if path_parameters:
        out["pathParameters"] = path_parameters
    out["isBase64Encoded"] = b64
    if stage_variables:
        out["stageVariables"] = stage_variables
    return out


def response(result: Any) -> HttpResponse:
    """The HTTP response for a handler's 2.0 result. Raises ValueError for a malformed
    custom response (a ``statusCode`` that is not a number, headers not a map, …)."""
    if not (isinstance(result, dict) and "statusCode" in result):
        text = result if isinstance(result, str) else json.dumps(result)
        return HttpResponse(200, [("Content-Type", "application/json")], text.encode())
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, (int, str)):
        raise ValueError("statusCode must be a number")
    status = int(status)  # ValueError for "abc"
    if not 100 <= status <= 599:
        raise ValueError("statusCode out of range")
    headers = result.get("headers") or {}
    cookies = result.get("cookies") or []
    if not isinstance(headers, dict) or not isinstance(cookies, list):
        raise ValueError("headers must be a map and cookies a list")
    out = [(str(k), _header_value(v)) for k, v in headers.items()]
    out += [("set-cookie", str(c)) for c in cookies]
    body = decode_body(result.get("body"), result.get("isBase64Encoded"))
    if not any(k.lower() == "content-type" for k, _ in out):
        out.append(("Content-Type", "application/json"))
    return HttpResponse(status, out, body)


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
