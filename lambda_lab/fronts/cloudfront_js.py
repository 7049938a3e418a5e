"""CloudFront Functions run for real: the JavaScript in an embedded V8 (``mini-racer``), with
the CloudFront Functions event and return rules (CloudFront DG "CloudFront Functions event
structure", "JavaScript runtime 2.0 features", "Restrictions on CloudFront Functions").

Each run gets a fresh V8 context: no network (no ``fetch``, no ``require``), no body, a
``console.log`` whose lines are the execution logs; the compute utilisation is the run's time
as a share of the 1 ms budget CloudFront allows a function, capped at 100.

``mini-racer`` ships wheels for Linux and macOS (x86-64 and arm64) with V8 inside, so nothing is
compiled on the learner's machine; if it is missing, :func:`run` says so at call time.
"""

from __future__ import annotations

import asyncio
import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.client import responses as reasons
from typing import Any

from .cloudfront_events import EdgeError

__all__ = ["JsRun", "edge_request", "function_event", "response_back", "run", "run_viewer",
           "to_http"]

#: CloudFront allows a function about 1 ms of compute; the run is cut off well past it
_BUDGET_MS = 1.0
_HARD_TIMEOUT_S = 2.0
_PRELUDE = ("var __out, __err, __logs = [];"
            "var console = {log: function() {__logs.push(Array.prototype.slice.call(arguments)"
            ".map(function(a) {return typeof a === 'string' ? a : JSON.stringify(a);})"
            ".join(' '));}};"
            "console.info = console.warn = console.error = console.debug = console.log;")
NO_ENGINE = ("CloudFront Functions need an embedded JavaScript engine: pip install "
             "'mini-racer>=0.14' (or the lambda_lab[aws] extra).")


@dataclass
class JsRun:
    """One run: the handler's output (or the error), the console lines, the utilisation."""

    output: Any = None
    error: str = ""
    logs: list[str] = field(default_factory=list)
    utilization: int = 0


def run(code: str, event: dict[str, Any]) -> JsRun:
    """Run ``handler(event)`` of ``code`` (sync or async). Raises RuntimeError (NO_ENGINE)
    when no engine is installed.

    mini-racer refuses a timed ``eval`` in a thread with a running event loop (a Jupyter
    kernel's main thread), so there the run happens in a worker thread."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return _run(code, event)
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(_run, code, event).result()


def _run(code: str, event: dict[str, Any]) -> JsRun:
    try:
        from py_mini_racer import MiniRacer
    except ImportError:
        raise RuntimeError(NO_ENGINE) from None
    ctx = MiniRacer()
    out = JsRun()
    try:
        ctx.eval(_PRELUDE)
        try:
            ctx.eval(code, timeout_sec=_HARD_TIMEOUT_S)
            if ctx.eval("typeof handler") != "function":
                out.error = "The function has no handler function."
                return out
            start = time.perf_counter()
            ctx.eval("Promise.resolve(handler(" + json.dumps(event) + ")).then("
                     "function(r) {__out = JSON.stringify(r === undefined ? null : r);},"
                     "function(e) {__err = String(e && e.stack || e);})",
                     timeout_sec=_HARD_TIMEOUT_S)
            elapsed_ms = (time.perf_counter() - start) * 1000
            out.utilization = max(1, min(100, round(elapsed_ms / _BUDGET_MS * 100)))
        except Exception as e:  # noqa: BLE001 - a JS syntax error, throw or timeout
            out.error = str(e).strip().splitlines()[-1] if str(e).strip() else type(e).__name__
            out.utilization = 100 if "timeout" in type(e).__name__.lower() else out.utilization
        logs = ctx.eval("JSON.stringify(__logs)")
        out.logs = json.loads(logs) if isinstance(logs, str) else []
        if not out.error:
            err = ctx.eval("__err === undefined ? '' : __err")
            if err:
                out.error = str(err).splitlines()[0]
            else:
                value = ctx.eval("__out === undefined ? 'null' : __out")
                out.output = json.loads(value) if isinstance(value, str) else None
        return out
    finally:
        ctx.close()


# ----------------------------------------------------------------- the event

def function_event(event_type: str, config: dict[str, str], request: dict[str, Any],
                   response: dict[str, Any] | None) -> dict[str, Any]:
    """The CloudFront Functions event from the Lambda@Edge-shaped ``request`` (and
    ``{"status", "headers"}`` of the response)."""
    headers = _cf_headers([(e["key"] or k, e["value"]) for k, es in request["headers"].items()
                           for e in es if k != "cookie"])
    event: dict[str, Any] = {
        "version": "1.0",
        "context": {k: config[k] for k in ("distributionDomainName", "distributionId",
                                           "eventType", "requestId")},
        "viewer": {"ip": request["clientIp"]},
        "request": {"method": request["method"], "uri": request["uri"],
                    "querystring": _cf_query(request["querystring"]), "headers": headers,
                    "cookies": _cf_cookies(request["headers"])}}
    if response is not None:
        pairs = response["headers"]
        event["response"] = {
            "statusCode": response["status"],
            "statusDescription": reasons.get(response["status"], ""),
            "headers": _cf_headers([(k, v) for k, v in pairs if k.lower() != "set-cookie"]),
            "cookies": _set_cookies([v for k, v in pairs if k.lower() == "set-cookie"])}
    return event


def _cf_headers(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    return _multi([(k.lower(), v) for k, v in pairs])


def _cf_query(query: str) -> dict[str, Any]:
    return _multi([part.partition("=")[::2] for part in query.split("&") if part])


def _multi(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """``{name: {value}}``, with ``multiValue`` (every value) for a repeated name."""
    out: dict[str, Any] = {}
    for name, value in pairs:
        if name in out:
            entry = out[name]
            entry.setdefault("multiValue", [{"value": entry["value"]}]).append({"value": value})
        else:
            out[name] = {"value": value}
    return out


def _cf_cookies(headers: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for e in headers.get("cookie", []):
        for part in e["value"].split(";"):
            name, _, value = part.strip().partition("=")
            if name:
                out[name] = {"value": value}
    return out


def _set_cookies(values: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for v in values:
        first, _, attributes = v.partition(";")
        name, _, value = first.strip().partition("=")
        out[name] = {"value": value, **({"attributes": attributes.strip()} if attributes else {})}
    return out


def _flatten(obj: Any, what: str) -> list[tuple[str, str]]:
    if not isinstance(obj, dict):
        raise EdgeError(f"The function returned an invalid {what} object.",
                        "FunctionValidationError", 502)
    pairs = []
    for name, entry in obj.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("value", ""), str):
            raise EdgeError(f"The function returned an invalid {what} object.",
                            "FunctionValidationError", 502)
        values = entry.get("multiValue") or [entry]
        pairs += [(name, str(v.get("value", ""))) for v in values]
    return pairs


def edge_request(out: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """A function's returned request back in the Lambda@Edge shape the pipeline carries."""
    from .cloudfront_events import to_headers

    headers = _flatten(out.get("headers", {}), "headers")
    cookies = _flatten(out.get("cookies", {}), "cookies")
    if cookies:
        headers.append(("Cookie", "; ".join(f"{k}={v}" for k, v in cookies)))
    query = "&".join(f"{k}={v}" if v != "" else k
                     for k, v in _flatten(out.get("querystring", {}), "querystring"))
    uri = out.get("uri", before["uri"])
    if not isinstance(uri, str) or not uri.startswith("/"):
        raise EdgeError("The function returned an invalid uri.", "FunctionValidationError", 502)
    host = before["headers"].get("host")
    merged = to_headers([(k, v) for k, v in headers if k.lower() != "host"])
    if host:
        merged["host"] = host
    return {**before, "uri": uri, "querystring": query, "headers": merged,
            "method": out.get("method", before["method"])}


def to_http(out: dict[str, Any]) -> tuple[int, list[tuple[str, str]], bytes]:
    """A response a viewer-request function generated: ``(status, headers, body)``."""
    status, headers = response_back(out, None)
    body = out.get("body")
    if isinstance(body, dict):
        data = str(body.get("data", ""))
        if body.get("encoding") == "base64":
            import base64

            return status, headers, base64.b64decode(data)
        return status, headers, data.encode()
    return status, headers, (body or "").encode() if isinstance(body, str) else b""


def response_back(out: dict[str, Any], status: int | None) -> tuple[int, list[tuple[str, str]]]:
    """A function's response object as ``(status, header pairs)``."""
    code = out.get("statusCode", status)
    if not isinstance(code, int) or not 100 <= code <= 599:
        raise EdgeError("The function returned an invalid statusCode.",
                        "FunctionValidationError", 502)
    headers = _flatten(out.get("headers", {}), "headers")
    for name, cookie in (out.get("cookies") or {}).items():
        attributes = cookie.get("attributes") if isinstance(cookie, dict) else None
        value = cookie.get("value", "") if isinstance(cookie, dict) else ""
        headers.append(("Set-Cookie", f"{name}={value}" + (f"; {attributes}" if attributes
                                                             else "")))
    return code, headers


def run_viewer(function_arn: str, event_type: str, request: dict[str, Any],
               response: dict[str, Any] | None, config: dict[str, str]) -> dict[str, Any]:
    """Run the LIVE stage of the CloudFront Function ``function_arn`` on a viewer event: its
    output as the pipeline carries it (a request in the Lambda@Edge shape, or the function's
    response object). An exception is a 503 (FunctionExecutionError), an invalid result a 502
    (FunctionValidationError)."""
    from ..aws import cloudfront_functions

    fn = cloudfront_functions.live_code(function_arn)
    if fn is None:
        raise EdgeError("The CloudFront function associated with the distribution does not "
                        "exist.", "FunctionExecutionError", 503)
    result = run(fn, function_event(event_type, config, request, response))
    if result.error:
        raise EdgeError(f"The CloudFront function failed: {result.error}",
                        "FunctionExecutionError", 503)
    out = result.output
    if not isinstance(out, dict):
        raise EdgeError("The function returned an invalid object.", "FunctionValidationError",
                        502)
    if event_type == "viewer-request" and "statusCode" not in out:
        return edge_request(out, request)
    return out
