"""Payload format 1.0 (REST API Lambda proxy, HTTP API with payloadFormatVersion 1.0): the event
and the response contract (API Gateway DG "Set up Lambda proxy integrations"; AWS-recorded
answers in front-doors.md §1).

- Single-value maps keep the **last** value, ``multiValue*`` maps keep all; an absent map is
  ``null``; headers keep the client's casing.
- The response may hold only ``statusCode``, ``headers``, ``multiValueHeaders``, ``body`` and
  ``isBase64Encoded``; anything else (an unknown key, ``{}``, a bare string, a non-numeric
  ``statusCode``, a ``multiValueHeaders`` value that is not a list) is a malformed response:
  :class:`Malformed`, which the front door answers with 502.
"""

from __future__ import annotations

import uuid
from typing import Any

from .http import HttpRequest, HttpResponse, decode_body, request_time
from .payload_v2 import forwarded_headers

__all__ = ["Malformed", "event", "response"]

_KEYS = {"statusCode", "headers", "multiValueHeaders", "body", "isBase64Encoded"}


class Malformed(ValueError):
    """The handler's result breaks the proxy response contract."""


def _maps(pairs: list[tuple[str, str]]) -> tuple[dict[str, str] | None,
                                                  dict[str, list[str]] | None]:
    if not pairs:
        return None, None
    single: dict[str, str] = {}
    multi: dict[str, list[str]] = {}
    for k, v in pairs:
        single[k] = v
        multi.setdefault(k, []).append(v)
    return single, multi


def event(request: HttpRequest, *, path: str, resource: str, stage: str, api_id: str,
          account_id: str, now: float, resource_id: str = "", deployment_id: str = "",
          path_parameters: dict[str, str] | None = None,
          stage_variables: dict[str, str] | None = None, binary: bool = False,
          authorizer: dict[str, Any] | None = None, identity: dict[str, Any] | None = None,
          context_path: str | None = None) -> dict[str, Any]:
    """The 1.0 event. ``path``: without the stage; ``context_path``: as requestContext.path
    shows it (default ``/{stage}{path}``)."""
    headers = forwarded_headers(request)
    if not any(k.lower() == "host" for k, _ in headers):
        headers.insert(0, ("Host", request.host))
    single_h, multi_h = _maps(headers)
    single_q, multi_q = _maps(request.query_pairs())
    body, b64 = request.body_for_event(binary=binary)
    when, epoch = request_time(now)
    ident: dict[str, Any] = {
        "accessKey": None, "accountId": None, "caller": None,
        "cognitoAuthenticationProvider": None, "cognitoAuthenticationType": None,
        "cognitoIdentityId": None, "cognitoIdentityPoolId": None, "principalOrgId": None,
        "sourceIp": request.source_ip, "user": None,
        "userAgent": request.header("user-agent"), "userArn": None, **(identity or {})}
    domain = request.host
    ctx: dict[str, Any] = {
        "accountId": account_id, "apiId": api_id, "deploymentId": deployment_id,
        "domainName": domain, "domainPrefix": domain.split(".")[0],
        "extendedRequestId": uuid.uuid4().hex[:16] + "=", "httpMethod": request.method,
        "identity": ident,
        "path": context_path if context_path is not None else f"/{stage}{path}",
        "protocol": "HTTP/1.1", "requestId": str(uuid.uuid4()), "requestTime": when,
        "requestTimeEpoch": epoch, "resourceId": resource_id, "resourcePath": resource,
        "stage": stage}
    if authorizer is not None:
        ctx["authorizer"] = authorizer
    return {"resource": resource, "path": path, "httpMethod": request.method,
            "headers": single_h, "multiValueHeaders": multi_h,
            "queryStringParameters": single_q, "multiValueQueryStringParameters": multi_q,
            "pathParameters": path_parameters or None,
            "stageVariables": stage_variables or None, "requestContext": ctx, "body": body,
            "isBase64Encoded": b64}


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def response(result: Any, *, decode_base64: bool = False) -> HttpResponse:
    """The HTTP response for a handler's 1.0 result. ``decode_base64``: the API treats the
    response as binary (binary media types), so a base64 body is decoded.
    Raises Malformed."""
    if not isinstance(result, dict) or not result or set(result) - _KEYS:
        raise Malformed("not a proxy response")
    status: Any = result.get("statusCode", 200)
    if isinstance(status, bool) or not isinstance(status, (int, str)):
        raise Malformed("statusCode")
    try:
        status = int(status)
    except ValueError:
        raise Malformed("statusCode") from None
    if not 100 <= status <= 599:
        raise Malformed("statusCode")
    headers = result.get("headers") or {}
    multi = result.get("multiValueHeaders") or {}
    if not isinstance(headers, dict) or not isinstance(multi, dict):
        raise Malformed("headers")
    merged: dict[str, list[str]] = {}
    for k, values in multi.items():
        if not isinstance(values, list):
            raise Malformed("multiValueHeaders")
        merged.setdefault(k, []).extend(_text(v) for v in values)
    for k, v in headers.items():
        if v is not None:
            merged.setdefault(k, []).append(_text(v))
    body = result.get("body")
    if body is not None and not isinstance(body, str):
        raise Malformed("body")
    data = decode_body(body, result.get("isBase64Encoded") and decode_base64)
    out = [(k, ", ".join(vs)) for k, vs in merged.items()]
    if not any(k.lower() == "content-type" for k, _ in out):
        out.append(("Content-Type", "application/json"))
    return HttpResponse(status, out, data)
