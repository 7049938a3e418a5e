"""Application Load Balancers with Lambda targets, read from moto's ``elbv2`` backend (ELB
User Guide "Lambda functions as targets"; Lambda DG "Using Lambda with an Application Load
Balancer"; front-doors.md §3).

``http(s)://{DNSName}/{path}``: the listener on the request's port picks the first rule (by
priority, the default rule last) whose conditions hold (path pattern, host header, HTTP
header, method, query string); its action forwards to a target group or answers a fixed
response. A Lambda target gets the ALB event: lower-case ``headers`` and
``queryStringParameters`` (last value wins, values not URL-decoded), or — with the target
group attribute ``lambda.multi_value_headers.enabled`` — ``multiValueHeaders`` and
``multiValueQueryStringParameters`` instead. A handler error, an invalid result or one over
1 MB: 502 Bad Gateway (ALB's HTML page).
"""

from __future__ import annotations

import fnmatch
import random
from typing import Any

from .http import HttpRequest, HttpResponse, decode_body, is_text, text_response
from .invoke import call, platform_for
from .payload_v2 import forwarded_headers

__all__ = ["MAX_RESPONSE_BYTES", "handle_host", "handle_name"]

MAX_RESPONSE_BYTES = 1024 * 1024  #: a Lambda target's response JSON, at most
_MULTI = "lambda.multi_value_headers.enabled"
_PAGE = ("<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n<center><h1>{0}</h1></center>"
         "\r\n</body>\r\n</html>\r\n")


def error_page(status: int) -> HttpResponse:
    """ALB's own error page (``Server: awselb/2.0``)."""
    from http.client import responses

    title = f"{status} {responses.get(status, '')}"
    return HttpResponse(status, [("Server", "awselb/2.0"), ("Content-Type", "text/html")],
                        _PAGE.format(title).encode())


def _balancers() -> list[tuple[Any, Any]]:
    from moto.elbv2.models import elbv2_backends

    found = []
    for account in list(elbv2_backends.keys()):
        for _, backend in list(elbv2_backends[account].items()):
            found += [(backend, lb) for lb in list(backend.load_balancers.values())]
    return found


def handle_host(host: str, request: HttpRequest) -> HttpResponse:
    for backend, lb in _balancers():
        if lb.dns_name.lower() == host:
            return handle(backend, lb, request)
    return text_response(404, f"lambda_lab: no load balancer answers {host}\n")


def handle_name(name: str, request: HttpRequest) -> HttpResponse:
    """Path style (``/_aws/elb/{name}/…``): the first listener serves."""
    for backend, lb in _balancers():
        if lb.name == name:
            request.host = lb.dns_name
            listeners = list(lb.listeners.values())
            if listeners:
                request.port = int(listeners[0].port)
                request.scheme = "https" if listeners[0].protocol == "HTTPS" else "http"
            return handle(backend, lb, request)
    return text_response(404, f"lambda_lab: no load balancer {name}\n")


def _values(cond: dict[str, Any], config: str) -> list[Any]:
    return list(cond.get("Values") or (cond.get(config) or {}).get("Values") or [])


def _holds(cond: dict[str, Any], request: HttpRequest) -> bool:
    field = cond.get("Field")
    if field == "path-pattern":
        return any(fnmatch.fnmatchcase(request.decoded_path, p)
                   for p in _values(cond, "PathPatternConfig"))
    if field == "host-header":
        return any(fnmatch.fnmatch(request.host.lower(), p.lower())
                   for p in _values(cond, "HostHeaderConfig"))
    if field == "http-request-method":
        return request.method in _values(cond, "HttpRequestMethodConfig")
    if field == "http-header":
        config = cond.get("HttpHeaderConfig") or {}
        value = request.header(config.get("HttpHeaderName", "")) or ""
        return any(fnmatch.fnmatch(value.lower(), p.lower())
                   for p in config.get("Values") or [])
    if field == "query-string":
        pairs = request.query_pairs()
        return any(any((kv.get("Key") is None or fnmatch.fnmatch(k, kv["Key"]))
                       and fnmatch.fnmatch(v, kv.get("Value", "*")) for k, v in pairs)
                   for kv in (cond.get("QueryStringConfig") or {}).get("Values") or [])
    return False


def _rule_for(listener: Any, request: HttpRequest) -> Any:
    rules = sorted(listener._non_default_rules.values(), key=lambda r: int(r.priority))
    for rule in rules:
        if all(_holds(c, request) for c in rule.conditions or []):
            return rule
    return next(iter(listener._default_rule.values()))


def handle(backend: Any, lb: Any, request: HttpRequest) -> HttpResponse:
    """Answer ``request`` with load balancer ``lb``."""
    port = request.port or (443 if request.scheme == "https" else 80)
    listener = next((li for li in lb.listeners.values() if int(li.port) == port), None)
    if listener is None:  # on AWS the connection is refused
        return text_response(503, f"lambda_lab: {lb.name} has no listener on port {port}\n")
    rule = _rule_for(listener, request)
    for action in sorted(rule.actions, key=lambda a: int(a.data.get("Order") or 0)):
        kind = action.data.get("Type")
        if kind == "fixed-response":
            config = action.data.get("FixedResponseConfig") or {}
            return HttpResponse(int(config.get("StatusCode", 200)),
                                [("Server", "awselb/2.0"),
                                 ("Content-Type", config.get("ContentType") or "text/plain")],
                                (config.get("MessageBody") or "").encode())
        if kind == "redirect":
            config = action.data.get("RedirectConfig") or {}
            location = (f"{(config.get('Protocol') or request.scheme).lower()}://"
                        f"{config.get('Host') or request.host}{config.get('Path') or request.path}")
            status = 301 if config.get("StatusCode") == "HTTP_301" else 302
            return HttpResponse(status, [("Location", location), ("Server", "awselb/2.0")])
        if kind == "forward":
            group_arn = action.data.get("TargetGroupArn") or _weighted(action.data)
            group = backend.target_groups.get(group_arn)
            if group is None:
                return error_page(503)
            return _forward(group, request)
    return error_page(503)


def _weighted(data: dict[str, Any]) -> str | None:
    groups = (data.get("ForwardConfig") or {}).get("TargetGroups") or []
    if not groups:
        return None
    weights = [int(g.get("Weight", 1)) for g in groups]
    return random.choices(groups, weights=weights)[0]["TargetGroupArn"]


def event(request: HttpRequest, group_arn: str, *, multi: bool) -> dict[str, Any]:
    """The ALB event (multi-value on: the multiValue* maps instead of the single ones)."""
    headers = [(k.lower(), v) for k, v in forwarded_headers(request)]
    if not any(k == "host" for k, _ in headers):
        headers.insert(0, ("host", request.host))
    query = request.raw_query_pairs()
    body, b64 = request.body_for_event(binary=not is_text(request.header("content-type")))
    out: dict[str, Any] = {"requestContext": {"elb": {"targetGroupArn": group_arn}},
                           "httpMethod": request.method, "path": request.path}
    if multi:
        mq: dict[str, list[str]] = {}
        for k, v in query:
            mq.setdefault(k, []).append(v)
        mh: dict[str, list[str]] = {}
        for k, v in headers:
            mh.setdefault(k, []).append(v)
        out["multiValueQueryStringParameters"] = mq
        out["multiValueHeaders"] = mh
    else:
        out["queryStringParameters"] = dict(query)
        out["headers"] = dict(headers)
    out["body"] = body or ""
    out["isBase64Encoded"] = b64
    return out


def _forward(group: Any, request: HttpRequest) -> HttpResponse:
    if group.target_type != "lambda":
        return error_page(502)
    targets = list(group.targets)
    if not targets:
        return error_page(503)
    arn = targets[0]
    platform = platform_for(arn)
    if platform is None:
        return error_page(502)
    multi = str(group.attributes.get(_MULTI, "false")).lower() == "true"
    outcome = call(platform, arn, event(request, group.arn, multi=multi),
                   principal="elasticloadbalancing.amazonaws.com", source_arn=group.arn,
                   source_account=group.account_id, timeout_s=910.0)
    if outcome.kind != "ok" or outcome.function_error or outcome.result is None:
        return error_page(502)
    if len(outcome.result.raw_payload) > MAX_RESPONSE_BYTES:
        return error_page(502)
    try:
        return response(outcome.payload, multi=multi)
    except (ValueError, TypeError):
        return error_page(502)


def response(result: Any, *, multi: bool) -> HttpResponse:
    """The HTTP response for a Lambda target's result. Raises ValueError if invalid."""
    if not isinstance(result, dict) or "statusCode" not in result:
        raise ValueError("not an ALB response")
    status = result["statusCode"]
    if isinstance(status, bool) or not isinstance(status, (int, str)):
        raise ValueError("statusCode")
    status = int(status)
    headers: list[tuple[str, str]] = []
    if multi:
        for k, values in (result.get("multiValueHeaders") or {}).items():
            if not isinstance(values, list):
                raise ValueError("multiValueHeaders")
            headers += [(k, str(v)) for v in values]
    else:
        headers = [(k, str(v)) for k, v in (result.get("headers") or {}).items()]
    body = decode_body(result.get("body"), result.get("isBase64Encoded"))
    return HttpResponse(status, [*headers, ("Server", "awselb/2.0")], body)

