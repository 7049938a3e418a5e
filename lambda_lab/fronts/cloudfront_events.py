"""Lambda@Edge events and results: the event CloudFront passes to each trigger, and the checks
it makes on what the function returns (CloudFront DG "Lambda@Edge event structure",
"Restrictions on all edge functions" (headers), "Quotas on Lambda@Edge" (sizes),
"Lambda@Edge functions: generate HTTP responses in request triggers").

A violation raises :class:`EdgeError`, which the front door answers with a 502.
"""

from __future__ import annotations

import base64
from http.client import responses as reasons
from typing import Any

__all__ = ["EdgeError", "body_object", "check_request", "check_response", "config",
           "from_headers", "generated", "replaced_body", "to_headers"]

VIEWER_REQUEST, ORIGIN_REQUEST = "viewer-request", "origin-request"
ORIGIN_RESPONSE, VIEWER_RESPONSE = "origin-response", "viewer-response"
#: IncludeBody: the body a request trigger sees is cut at these sizes (inputTruncated)
BODY_LIMIT = {VIEWER_REQUEST: 40 * 1024, ORIGIN_REQUEST: 1024 * 1024}
#: the largest response a trigger may generate (status line, headers and body)
GENERATED_LIMIT = {VIEWER_REQUEST: 40 * 1024, VIEWER_RESPONSE: 40 * 1024,
                   ORIGIN_REQUEST: 1024 * 1024, ORIGIN_RESPONSE: 1024 * 1024}
READ_ONLY = {
    VIEWER_REQUEST: {"content-length", "host", "transfer-encoding", "via"},
    ORIGIN_REQUEST: {"accept-encoding", "content-length", "if-modified-since", "if-none-match",
                     "if-range", "if-unmodified-since", "transfer-encoding", "via"},
    ORIGIN_RESPONSE: {"transfer-encoding", "via"},
    VIEWER_RESPONSE: {"content-encoding", "content-length", "transfer-encoding", "warning",
                      "via"},
}
DISALLOWED = {"connection", "expect", "keep-alive", "proxy-authenticate", "proxy-authorization",
              "proxy-connection", "trailer", "upgrade", "x-accel-buffering", "x-accel-charset",
              "x-accel-limit-rate", "x-accel-redirect", "x-amzn-auth", "x-amzn-cf-billing",
              "x-amzn-cf-id", "x-amzn-cf-xff", "x-amzn-errortype", "x-amzn-fle-profile",
              "x-amzn-header-count", "x-amzn-header-order", "x-amzn-lambda-integration-tag",
              "x-amzn-requestid", "x-cache", "x-forwarded-proto", "x-real-ip"}
_DISALLOWED_PREFIXES = ("x-amz-cf-", "x-edge-")

INVALID = "The Lambda function returned an invalid request or response to CloudFront."
READ_ONLY_MSG = ("The Lambda function result failed validation: The function tried to add, "
                 "delete, or change a read-only header.")
BODY_MSG = ("The Lambda function result failed validation: The body is not a string, is not "
            "an object, or exceeds the maximum size.")
STATUS_MSG = "The Lambda function result failed validation: The status code is invalid."


class EdgeError(Exception):
    """A trigger's result CloudFront refuses: the viewer gets ``status`` (502 for Lambda@Edge,
    503 for CloudFront Functions) saying ``message``; ``kind`` names the X-Cache value
    (LambdaValidationError, LambdaExecutionError, FunctionExecutionError, …)."""

    def __init__(self, message: str, kind: str = "LambdaValidationError",
                 status: int = 502) -> None:
        super().__init__(message)
        self.kind = kind
        self.status = status


def disallowed(name: str) -> bool:
    name = name.lower()
    return name in DISALLOWED or name.startswith(_DISALLOWED_PREFIXES)


def to_headers(pairs: list[tuple[str, str]]) -> dict[str, list[dict[str, str]]]:
    """HTTP header pairs as ``{lower-case name: [{key, value}, …]}`` (disallowed ones left out)."""
    out: dict[str, list[dict[str, str]]] = {}
    for k, v in pairs:
        if not disallowed(k):
            out.setdefault(k.lower(), []).append({"key": k, "value": v})
    return out


def from_headers(headers: dict[str, Any]) -> list[tuple[str, str]]:
    """The event's header object back to pairs (``key`` as written, else the lower-case name)."""
    return [(e.get("key") or name, e["value"]) for name, entries in headers.items()
            for e in entries]


def config(event_type: str, distribution_id: str, domain: str, request_id: str) \
        -> dict[str, str]:
    return {"distributionDomainName": domain, "distributionId": distribution_id,
            "eventType": event_type, "requestId": request_id}


def body_object(body: bytes, event_type: str) -> dict[str, Any]:
    """``request.body`` with IncludeBody: base64, read-only, cut at the trigger's limit."""
    limit = BODY_LIMIT[event_type]
    return {"inputTruncated": len(body) > limit, "action": "read-only", "encoding": "base64",
            "data": base64.b64encode(body[:limit]).decode()}


def _check_headers(headers: Any, before: dict[str, Any], event_type: str) -> None:
    if not isinstance(headers, dict):
        raise EdgeError(INVALID)
    for name, entries in headers.items():
        if not isinstance(entries, list) or not all(
                isinstance(e, dict) and isinstance(e.get("value"), str)
                and (e.get("key") is None or (isinstance(e["key"], str)
                                              and e["key"].lower() == name.lower()))
                for e in entries) or name != name.lower():
            raise EdgeError(INVALID)
        if disallowed(name):
            raise EdgeError(READ_ONLY_MSG)
    for name in READ_ONLY[event_type]:
        old = [e["value"] for e in before.get(name, [])]
        new = [e["value"] for e in headers.get(name, [])]
        if old != new:
            raise EdgeError(READ_ONLY_MSG)


def check_request(result: Any, before: dict[str, Any], event_type: str) -> dict[str, Any]:
    """The request a request trigger returned, checked (``before``: the request it got)."""
    if not isinstance(result, dict):
        raise EdgeError(INVALID)
    for key in ("uri", "method"):
        if not isinstance(result.get(key, before[key]), str):
            raise EdgeError(INVALID)
    if not str(result.get("uri", before["uri"])).startswith("/"):
        raise EdgeError(INVALID)
    if not isinstance(result.get("querystring", before["querystring"]), str):
        raise EdgeError(INVALID)
    _check_headers(result.get("headers", before["headers"]), before["headers"], event_type)
    return result


def replaced_body(result: Any, body: bytes, event_type: str) -> bytes:
    """The body after a request trigger: ``body.action`` "replace" sets it (``encoding``
    text or base64, at most the IncludeBody size), anything else keeps it."""
    b = result.get("body") if isinstance(result, dict) else None
    if not isinstance(b, dict) or b.get("action") != "replace":
        return body
    data = b.get("data", "")
    if not isinstance(data, str):
        raise EdgeError(BODY_MSG)
    try:
        new = base64.b64decode(data, validate=True) if b.get("encoding") == "base64" \
            else data.encode()
    except ValueError:
        raise EdgeError(BODY_MSG) from None
    if len(new) > BODY_LIMIT[event_type]:
        raise EdgeError(BODY_MSG)
    return new


def generated(result: Any, event_type: str) -> tuple[int, list[tuple[str, str]], bytes]:
    """A response a request trigger generated, checked: ``(status, headers, body)``."""
    if not isinstance(result, dict):
        raise EdgeError(INVALID)
    status = _status(result.get("status"))
    headers = result.get("headers") or {}
    _check_headers(headers, {}, event_type)
    body = _body(result)
    if status == 204 and body:
        raise EdgeError(BODY_MSG)
    size = len(body) + sum(len(k) + len(v) + 4 for k, v in from_headers(headers))
    if size > GENERATED_LIMIT[event_type]:
        raise EdgeError(BODY_MSG)
    return status, from_headers(headers), body


def check_response(result: Any, before: dict[str, Any], event_type: str) \
        -> tuple[int, list[tuple[str, str]], bytes | None]:
    """A response trigger's result: ``(status, headers, new body or None)``. A viewer-response
    trigger cannot change the status: its status is ignored."""
    if not isinstance(result, dict):
        raise EdgeError(INVALID)
    status = _status(result.get("status", before["status"]))
    if event_type == VIEWER_RESPONSE:
        status = int(before["status"])
    headers = result.get("headers", before["headers"])
    _check_headers(headers, before["headers"], event_type)
    body = _body(result) if "body" in result else None
    if body is not None:
        if status == 204 and body:
            raise EdgeError(BODY_MSG)
        if len(body) > GENERATED_LIMIT[event_type]:
            raise EdgeError(BODY_MSG)
    return status, from_headers(headers), body


def _status(value: Any) -> int:
    try:
        status = int(str(value))
    except ValueError:
        raise EdgeError(STATUS_MSG) from None
    if not 200 <= status <= 599:
        raise EdgeError(STATUS_MSG)
    return status


def _body(result: dict[str, Any]) -> bytes:
    body = result.get("body")
    if body is None:
        return b""
    if not isinstance(body, str):
        raise EdgeError(BODY_MSG)
    if result.get("bodyEncoding", "text") == "base64":
        try:
            return base64.b64decode(body, validate=True)
        except ValueError:
            raise EdgeError(BODY_MSG) from None
    if result.get("bodyEncoding", "text") != "text":
        raise EdgeError(INVALID)
    return body.encode()


def response_object(status: int, headers: list[tuple[str, str]]) -> dict[str, Any]:
    """``response`` of a response event: status as a string, its description, headers."""
    return {"headers": to_headers(headers), "status": str(status),
            "statusDescription": reasons.get(status, "")}
