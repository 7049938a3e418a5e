"""CloudFront distributions (moto's configs) as a front door with Lambda@Edge: a request to
``https://{DomainName}/{path}`` goes viewer-request → cache → origin-request → origin →
origin-response → cache store → viewer-response (CloudFront DG "Lambda@Edge", "Lambda@Edge
event structure", "Manage how long content stays in the cache"; front-doors.md).

- Origins: an S3 bucket of moto's (``{bucket}.s3[.{region}].amazonaws.com``) or a custom
  origin: another front door of the emulation (API Gateway, function URL, ALB host names) or an
  HTTP server on 127.0.0.1/localhost.
- The cache is per distribution and cache behaviour, on the platform clock; a hit skips the
  origin triggers; ``X-Cache: Hit from cloudfront`` / ``Miss from cloudfront`` and ``Age``.
- A trigger's invalid result is a 502 (LambdaValidationError); its exception a 503
  (LambdaExecutionError); a timeout or throttle a 503 (LambdaLimitExceeded) — CloudFront DG
  "HTTP 502 status code (Lambda validation error)", "HTTP 503 status code (function execution
  error)", "HTTP 503 status code (Lambda limit exceeded)".
"""

from __future__ import annotations

import base64
import fnmatch
import hashlib
import http.client
import json
import re
import secrets
import time
from typing import Any
from urllib.parse import unquote

from ..aws import cloudfront_edge
from . import cloudfront_cache as cache
from . import cloudfront_events as ev
from .cloudfront_events import EdgeError
from .http import HttpRequest, HttpResponse

__all__ = ["HOST", "handle_host", "handle_id"]

HOST = re.compile(r"^d[a-z0-9]{13}\.cloudfront\.net$")
_S3 = re.compile(r"^(.+?)\.s3(?:[.-]([a-z0-9-]+))?\.amazonaws\.com$")
_LOCAL = ("127.0.0.1", "localhost")
#: managed cache policies (CloudFront DG "Use managed cache policies"): min, default, max TTL
_MANAGED = {"4135ea2d-6df8-44a3-9df3-4b5a84be39ad": (0, 0, 0),  # CachingDisabled
            "658327ea-f89d-4fab-a63d-7e88639e58f6": (1, 86400, 31536000)}  # CachingOptimized
_POP = "IAD89-C1"
#: CloudFront DG "HTTP 503 status code (function execution error)" / "(Lambda limit exceeded)"
EXECUTION_MSG = ("The Lambda function associated with the CloudFront distribution returned an "
                 "execution error (an unhandled exception).")
LIMIT_MSG = ("The Lambda function associated with the CloudFront distribution was throttled "
             "or exceeded its timeout (Lambda limit exceeded).")


def handle_host(host: str, request: HttpRequest) -> HttpResponse:
    """``request`` to the distribution whose DomainName is ``host``."""
    found = cloudfront_edge.find(domain=host)
    if found is None:
        return _error_page(403, "Bad request. We can't connect to the server for this app or "
                                "website at this time.", "Error")
    return _serve(found[0], found[1], request)


def handle_id(distribution_id: str, request: HttpRequest) -> HttpResponse:
    """``request`` to distribution ``distribution_id`` (``serve``'s path style)."""
    found = cloudfront_edge.find(distribution_id=distribution_id)
    if found is None:
        return _error_page(404, f"lambda_lab: no distribution {distribution_id}", "Error")
    request.host = found[0].domain_name
    return _serve(found[0], found[1], request)


# ----------------------------------------------------------------- the request path

def _serve(dist: Any, config: dict[str, Any], request: HttpRequest) -> HttpResponse:
    request_id = base64.urlsafe_b64encode(secrets.token_bytes(42)).decode()
    behaviour = _behaviour(config, request.path)
    triggers = {a.get("EventType"): a for a in
                (behaviour.get("LambdaFunctionAssociations") or {}).get("Items") or []}
    cf_functions = {a.get("EventType"): a.get("FunctionARN") for a in
                    (behaviour.get("FunctionAssociations") or {}).get("Items") or []}
    ctx = _Context(dist, request_id, request.method)
    body = request.body
    headers = [(k, v) for k, v in request.headers if k.lower() != "host"]
    req: dict[str, Any] = {"clientIp": request.source_ip,
                           "headers": ev.to_headers([("Host", dist.domain_name), *headers]),
                           "method": request.method, "querystring": request.query,
                           "uri": request.path or "/"}
    try:
        # viewer request: a generated response goes straight back (not cached, no
        # viewer-response trigger)
        if ev.VIEWER_REQUEST in cf_functions:
            from . import cloudfront_js

            out = cloudfront_js.run_viewer(cf_functions[ev.VIEWER_REQUEST], ev.VIEWER_REQUEST,
                                           req, None, ctx.config(ev.VIEWER_REQUEST))
            if "statusCode" in out or "status" in out:
                return _finish(ctx, *cloudfront_js.to_http(out), "FunctionGeneratedResponse")
            req = out
        elif ev.VIEWER_REQUEST in triggers:
            out = ctx.run(triggers[ev.VIEWER_REQUEST], ev.VIEWER_REQUEST, req, body)
            if isinstance(out, dict) and "status" in out:
                return _finish(ctx, *ev.generated(out, ev.VIEWER_REQUEST),
                               "LambdaGeneratedResponse")
            body = ev.replaced_body(out, body, ev.VIEWER_REQUEST)
            req = {**req, **ev.check_request(out, req, ev.VIEWER_REQUEST)}
            req.pop("body", None)
        status, out_headers, body, state = _through_cache(ctx, config, behaviour, triggers,
                                                          req, body)
        if ev.VIEWER_RESPONSE in cf_functions and status < 400:
            from . import cloudfront_js

            out = cloudfront_js.run_viewer(
                cf_functions[ev.VIEWER_RESPONSE], ev.VIEWER_RESPONSE, req,
                {"status": status, "headers": out_headers}, ctx.config(ev.VIEWER_RESPONSE))
            status, out_headers = cloudfront_js.response_back(out, status)
        elif ev.VIEWER_RESPONSE in triggers and status < 400:
            before = ev.response_object(status, out_headers)
            out = ctx.run(triggers[ev.VIEWER_RESPONSE], ev.VIEWER_RESPONSE, req, b"",
                          response=before)
            status, out_headers, new_body = ev.check_response(out, before, ev.VIEWER_RESPONSE)
            body = body if new_body is None else new_body
        return _finish(ctx, status, out_headers, body, state)
    except EdgeError as e:
        return _error_page(e.status, str(e), e.kind, request_id)


def _through_cache(ctx: _Context, config: dict[str, Any], behaviour: dict[str, Any],
                   triggers: dict[str, Any], req: dict[str, Any], body: bytes) \
        -> tuple[int, list[tuple[str, str]], bytes, str]:
    min_ttl, default_ttl, max_ttl, fwd_headers, fwd_query = _policy(behaviour)
    key = json.dumps([req["method"] == "HEAD" and "GET" or req["method"], req["uri"],
                      req["querystring"] if fwd_query else "",
                      [(h, [e["value"] for e in req["headers"].get(h, [])])
                       for h in sorted(fwd_headers or [])]])
    b_id = str(behaviour.get("PathPattern") or "*")
    cacheable = req["method"] in ("GET", "HEAD")
    now = _now()
    if cacheable:
        entry = cache.get(ctx.distribution_id, b_id, key, now)
        if entry is not None:
            r = entry.response
            return r.status, [*r.headers, ("Age", str(int(now - entry.stored)))], r.body, "Hit"
    origin = _origin_of(config, behaviour)
    origin_req = {**req, "headers": _origin_headers(req, fwd_headers, origin)}
    origin_req["origin"] = origin
    if ev.ORIGIN_REQUEST in triggers:
        out = ctx.run(triggers[ev.ORIGIN_REQUEST], ev.ORIGIN_REQUEST, origin_req, body)
        if isinstance(out, dict) and "status" in out:
            status, headers, data = ev.generated(out, ev.ORIGIN_REQUEST)
            response = HttpResponse(status, headers, data)
            if cacheable:
                cache.put(ctx.distribution_id, b_id, key, req["uri"], response, now,
                          cache.ttl_for(response, min_ttl, default_ttl, max_ttl, now))
            return status, headers, data, "LambdaGeneratedResponse"
        body = ev.replaced_body(out, body, ev.ORIGIN_REQUEST)
        origin_req = {**origin_req, **ev.check_request(out, origin_req, ev.ORIGIN_REQUEST)}
        origin_req.pop("body", None)
    status, headers, data = _fetch(origin_req, body)
    if ev.ORIGIN_RESPONSE in triggers:
        before = ev.response_object(status, headers)
        out = ctx.run(triggers[ev.ORIGIN_RESPONSE], ev.ORIGIN_RESPONSE, origin_req, b"",
                      response=before)
        status, headers, new_body = ev.check_response(out, before, ev.ORIGIN_RESPONSE)
        data = data if new_body is None else new_body
    response = HttpResponse(status, headers, data)
    if cacheable and status < 400:
        cache.put(ctx.distribution_id, b_id, key, req["uri"], response, _now(),
                  cache.ttl_for(response, min_ttl, default_ttl, max_ttl, _now()))
    return status, headers, data, "Miss"


class _Context:
    """One viewer request: its distribution, request id and the triggers' runs."""

    def __init__(self, dist: Any, request_id: str, method: str = "GET") -> None:
        self.method = method
        self.distribution_id = dist.distribution_id
        self.domain = dist.domain_name
        self.request_id = request_id

    def config(self, event_type: str) -> dict[str, str]:
        return ev.config(event_type, self.distribution_id, self.domain, self.request_id)

    def run(self, assoc: dict[str, Any], event_type: str, req: dict[str, Any], body: bytes,
            response: dict[str, Any] | None = None) -> Any:
        """Run the associated Lambda function on the event; its result (parsed)."""
        from . import invoke

        request = dict(req)
        if event_type != ev.ORIGIN_REQUEST:
            request.pop("origin", None)
        if assoc.get("IncludeBody") and event_type in ev.BODY_LIMIT and body:
            request["body"] = ev.body_object(body, event_type)
        cf: dict[str, Any] = {"config": self.config(event_type), "request": request}
        if response is not None:
            cf["response"] = response
        arn = str(assoc.get("LambdaFunctionARN"))
        platform = invoke.platform_for(arn)
        if platform is None:
            raise EdgeError("The Lambda function associated with the CloudFront distribution "
                            "is invalid or doesn't have the required permissions.",
                            "LambdaExecutionError", 503)
        outcome = invoke.call(platform, arn, {"Records": [{"cf": cf}]}, principal=None,
                              timeout_s=60.0)
        if outcome.result is not None:
            _edge_logs(arn, outcome.result.logs)
        payload = outcome.payload if outcome.function_error else None
        timed_out = isinstance(payload, dict) and payload.get("errorType") == "Sandbox.Timedout"
        if outcome.kind != "ok" or timed_out:  # throttled, or past the function's timeout
            raise EdgeError(LIMIT_MSG, "LambdaLimitExceeded", 503)
        if outcome.function_error:
            raise EdgeError(EXECUTION_MSG, "LambdaExecutionError", 503)
        return outcome.payload


def _edge_logs(arn: str, lines: list[str]) -> None:
    """The run's log lines in ``/aws/lambda/us-east-1.{name}`` of the edge's Region."""
    from ..aws.services import log_group_writer

    parts = arn.split(":")
    now = _now()
    stream = time.strftime("%Y/%m/%d/", time.gmtime(now)) + \
        f"[{parts[7]}]{hashlib.md5(arn.encode()).hexdigest()}"  # noqa: S324 - a name
    log_group_writer(parts[4], cloudfront_edge.EDGE_REGION)(
        f"/aws/lambda/us-east-1.{parts[6]}", stream, list(lines), now)


def _finish(ctx: _Context, status: int, headers: list[tuple[str, str]], body: bytes,
            state: str) -> HttpResponse:
    out = [(k, v) for k, v in headers if k.lower() not in ("content-length", "x-cache", "via")]
    if ctx.method == "HEAD":
        body = b""
    out += [("X-Cache", f"{state} from cloudfront"),
            ("Via", f"1.1 {secrets.token_hex(16)}.cloudfront.net (CloudFront)"),
            ("X-Amz-Cf-Pop", _POP), ("X-Amz-Cf-Id", ctx.request_id)]
    return HttpResponse(status, out, body)


def _error_page(status: int, message: str, kind: str, request_id: str = "") -> HttpResponse:
    page = ("<!DOCTYPE HTML PUBLIC \"-//W3C//DTD HTML 4.01 Transitional//EN\" "
            "\"http://www.w3.org/TR/html4/loose.dtd\">\n<HTML><HEAD><META "
            "HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=iso-8859-1\">\n"
            "<TITLE>ERROR: The request could not be satisfied</TITLE>\n</HEAD><BODY>\n"
            f"<H1>{status} ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n"
            f"<HR noshade size=\"1px\">\n{message}\n<BR clear=\"all\">\n"
            "<HR noshade size=\"1px\">\n<PRE>\nGenerated by cloudfront (CloudFront)\n"
            f"Request ID: {request_id}\n</PRE>\n<ADDRESS>\n</ADDRESS>\n</BODY></HTML>")
    return HttpResponse(status, [("Content-Type", "text/html"), ("X-Cache", f"{kind} from "
                                                                          "cloudfront")],
                        page.encode())


# ----------------------------------------------------------------- configuration

def _behaviour(config: dict[str, Any], path: str) -> dict[str, Any]:
    """The first cache behaviour whose PathPattern matches, else the default one."""
    for b in (config.get("CacheBehaviors") or {}).get("Items") or []:
        if fnmatch.fnmatchcase(path.lstrip("/"), str(b.get("PathPattern", "")).lstrip("/")):
            return b
    return config.get("DefaultCacheBehavior") or {}


def _policy(b: dict[str, Any]) -> tuple[float, float, float, list[str] | None, bool]:
    """``(min, default, max TTL, forwarded header names (lower-case), query forwarded?)``."""
    if b.get("CachePolicyId"):
        lo, default, hi = _MANAGED.get(b["CachePolicyId"], (0, 86400, 31536000))
        return lo, default, hi, None, False
    fv = b.get("ForwardedValues") or {}
    names = [h.lower() for h in (fv.get("Headers") or {}).get("Items") or []]
    lo = float(b.get("MinTTL") or 0)
    default = float(b["DefaultTTL"]) if b.get("DefaultTTL") is not None else 86400.0
    hi = float(b["MaxTTL"]) if b.get("MaxTTL") is not None else 31536000.0
    return lo, default, hi, names, bool(fv.get("QueryString"))


def _origin_of(config: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """The ``origin`` object of an origin-request event for the behaviour's target origin."""
    target = b.get("TargetOriginId")
    o = next(o for o in (config.get("Origins") or {}).get("Items") or [] if o["Id"] == target)
    custom_headers = ev.to_headers([(h["HeaderName"], h["HeaderValue"]) for h in
                                    (o.get("CustomHeaders") or {}).get("Items") or []])
    if "CustomOriginConfig" in o:
        c = o["CustomOriginConfig"]
        https = c.get("OriginProtocolPolicy") == "https-only"
        return {"custom": {"customHeaders": custom_headers, "domainName": o["DomainName"],
                           "keepaliveTimeout": c.get("OriginKeepaliveTimeout") or 5,
                           "path": o.get("OriginPath") or "",
                           "port": c.get("HTTPSPort", 443) if https else c.get("HTTPPort", 80),
                           "protocol": "https" if https else "http",
                           "readTimeout": c.get("OriginReadTimeout") or 30,
                           "sslProtocols": (c.get("OriginSslProtocols") or {}).get("Items")
                           or ["TLSv1.2"]}}
    m = _S3.match(o["DomainName"])
    oai = (o.get("S3OriginConfig") or {}).get("OriginAccessIdentity")
    return {"s3": {"authMethod": "origin-access-identity" if oai else "none",
                   "customHeaders": custom_headers, "domainName": o["DomainName"],
                   "path": o.get("OriginPath") or "",
                   "region": (m[2] if m and m[2] else "us-east-1")}}


def _origin_headers(req: dict[str, Any], forwarded: list[str] | None,
                    origin: dict[str, Any]) -> dict[str, Any]:
    """The headers CloudFront sends on to the origin: the forwarded ones (``None``: all, as
    with a cache policy), Host set to the origin, its own User-Agent, Via and X-Forwarded-For
    (as in the event structure doc's origin-request example)."""
    keep = {k: v for k, v in req["headers"].items()
            if k != "host" and (forwarded is None or k in forwarded or "*" in forwarded)}
    domain = (origin.get("custom") or origin.get("s3"))["domainName"]
    out = {"host": [{"key": "Host", "value": domain}], **keep}
    out.setdefault("user-agent", [{"key": "User-Agent", "value": "Amazon CloudFront"}])
    out["via"] = [{"key": "Via", "value": f"2.0 {secrets.token_hex(16)}.cloudfront.net "
                                          "(CloudFront)"}]
    out["x-forwarded-for"] = [{"key": "X-Forwarded-For", "value": req["clientIp"]}]
    return out


# ----------------------------------------------------------------- origins

def _fetch(req: dict[str, Any], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
    origin = req["origin"]
    headers = [(k, v) for k, v in ev.from_headers(req["headers"])
               if k.lower() not in ("content-length", "transfer-encoding")]
    if body:
        headers.append(("Content-Length", str(len(body))))
    if "s3" in origin:
        return _from_s3(origin["s3"], req)
    c = origin["custom"]
    headers += ev.from_headers(c.get("customHeaders") or {})
    path = (c.get("path") or "") + req["uri"]
    host = c["domainName"].lower()
    from . import dispatch

    if dispatch.claims_host(host):
        inner = HttpRequest(method=req["method"], host=host, path=path,
                            query=req["querystring"], headers=headers, body=body,
                            source_ip=req["clientIp"])
        r = dispatch.route(inner)
        if r is None:
            return 502, [("Content-Type", "text/plain")], b"origin not found"
        return r.status, r.headers, r.body
    if host not in _LOCAL:
        raise EdgeError("CloudFront wasn't able to resolve the origin domain name.", "Error")
    conn = http.client.HTTPConnection(host, int(c.get("port") or 80),
                                      timeout=float(c.get("readTimeout") or 30))
    try:
        target = path + (f"?{req['querystring']}" if req["querystring"] else "")
        conn.request(req["method"], target, body=body or None,
                     headers={k: v for k, v in headers if k.lower() != "host"})
        r = conn.getresponse()
        return r.status, [(k, v) for k, v in r.getheaders()
                          if k.lower() not in ("transfer-encoding", "connection")], r.read()
    except OSError:
        raise EdgeError("CloudFront wasn't able to connect to the origin.", "Error") from None
    finally:
        conn.close()


def _from_s3(s3: dict[str, Any], req: dict[str, Any]) -> tuple[int, list[tuple[str, str]],
                                                               bytes]:
    from moto.s3.models import s3_backends

    m = _S3.match(s3["domainName"].lower())
    bucket = m[1] if m else s3["domainName"].split(".")[0]
    key = unquote((s3.get("path") or "") + req["uri"]).lstrip("/")
    for account in list(s3_backends.values()):
        backend = account.get("aws")
        if backend is None or bucket not in backend.buckets:
            continue
        obj = backend.buckets[bucket].keys.get(key)
        if obj is None:
            return 404, [("Content-Type", "application/xml")], (
                "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code>"
                "<Message>The specified key does not exist.</Message>"
                f"<Key>{key}</Key></Error>").encode()
        meta = {k.lower(): v for k, v in (obj.metadata or {}).items()}
        headers = [("Content-Type", meta.get("content-type") or "binary/octet-stream"),
                   ("ETag", obj.etag), ("Last-Modified", obj.last_modified_RFC1123)]
        headers += [(k.title(), v) for k, v in meta.items()
                    if k in ("cache-control", "expires", "content-encoding",
                             "content-disposition") or k.startswith("x-amz-meta-")]
        return 200, headers, bytes(obj.value)
    raise EdgeError("CloudFront wasn't able to resolve the origin domain name.", "Error")


def _now() -> float:
    from ..aws import mock

    active = mock._active
    return active.clock.now() if active is not None and active.clock is not None \
        else time.time()
