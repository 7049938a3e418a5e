"""The one interception point: which front door answers a request, and the three ways a
request gets here.

- ``requests`` inside ``mock_aws()``: moto routes ``requests`` through the ``responses``
  library; :func:`install` adds callbacks for the AWS host names (``{api-id}.execute-api.
  {region}.amazonaws.com``, ``{url-id}.lambda-url.{region}.on.aws``, ``*.elb.amazonaws.com``).
- ``urllib.request.urlopen`` inside ``mock_aws()``: a handler in the installed opener answers
  the same host names (other URLs go on to the network as before).
- ``serve`` (and the in-process server handlers reach): :class:`KeepAlive`, mixed into the
  server's request handler, answers ``/_aws/…`` paths and requests whose ``Host`` is one of
  those names with keep-alive; :class:`Middleware` does the same as a WSGI app in front of moto's
  (for chunked request bodies, or another server); the rest goes to moto.

Path style (``serve``): ``/_aws/execute-api/{api-id}/{stage}/{path}``,
``/_aws/lambda-url/{url-id}/{path}``, ``/_aws/elb/{load-balancer-name}/{path}``,
``/_aws/cloudfront/{distribution-id}/{path}`` (CloudFront: ``d….cloudfront.net`` hosts).
"""

from __future__ import annotations

import email.message
import io
import re
import urllib.request
import urllib.response
from collections.abc import Callable, Iterable
from http.client import responses as reasons
from typing import Any
from urllib.parse import urlsplit

from . import authorizers, cloudfront, function_urls, moto_fixes
from .http import HttpRequest, HttpResponse, json_response

__all__ = ["KeepAlive", "Middleware", "claims_host", "install", "route", "uninstall"]

_EXECUTE_API = re.compile(r"^([a-z0-9]+)\.execute-api\.([a-z0-9-]+)\.amazonaws\.com$")
_LAMBDA_URL = re.compile(r"^([a-z0-9]+)\.lambda-url\.([a-z0-9-]+)\.on\.aws$")
_ELB = re.compile(r"^[a-z0-9-]+\.[a-z0-9-]+\.elb\.amazonaws\.com$")
_URL = re.compile(r"https?://([a-z0-9]+\.execute-api\.[a-z0-9-]+\.amazonaws\.com|"
                  r"[a-z0-9]+\.lambda-url\.[a-z0-9-]+\.on\.aws|"
                  r"[a-z0-9-]+\.[a-z0-9-]+\.elb\.amazonaws\.com|"
                  r"d[a-z0-9]{13}\.cloudfront\.net)(:\d+)?([/?#].*)?$",
                  re.IGNORECASE)
_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def claims_host(host: str) -> bool:
    """Is ``host`` (without port) a front door's host name?"""
    host = host.lower()
    return bool(_EXECUTE_API.match(host) or _LAMBDA_URL.match(host) or _ELB.match(host)
                or cloudfront.HOST.match(host))


def route(request: HttpRequest) -> HttpResponse | None:
    """The front door's answer to ``request``, or None if no front door claims it."""
    from . import alb, rest_api

    host = request.host.lower()
    if m := _EXECUTE_API.match(host):
        return rest_api.handle_execute_api(m[1], m[2], request)
    if m := _LAMBDA_URL.match(host):
        return function_urls.handle(m[1], request)
    if _ELB.match(host):
        return alb.handle_host(host, request)
    if cloudfront.HOST.match(host):
        return cloudfront.handle_host(host, request)
    if request.path.startswith("/_aws/"):
        return _path_style(request)
    return None


def _path_style(request: HttpRequest) -> HttpResponse:
    from . import alb, rest_api

    parts = request.path.split("/", 4)  # "", "_aws", kind, id, rest
    if len(parts) < 4 or not parts[3]:
        return json_response(404, {"message": "lambda_lab: use /_aws/execute-api/{api-id}/"
                                              "{stage}/{path}, /_aws/lambda-url/{url-id}/"
                                              "{path} or /_aws/elb/{name}/{path}"})
    kind, ident = parts[2], parts[3]
    request.path = "/" + (parts[4] if len(parts) > 4 else "")
    if kind == "execute-api":
        region = rest_api.region_of(ident)
        if region is None:
            return json_response(404, {"message": f"lambda_lab: no REST or HTTP API {ident}"})
        request.host = f"{ident}.execute-api.{region}.amazonaws.com"
        return rest_api.handle_execute_api(ident, region, request)
    if kind == "lambda-url":
        found = function_urls.lookup(ident)
        if found is not None:
            request.host = f"{ident}.lambda-url.{found[0].region}.on.aws"
        return function_urls.handle(ident, request)
    if kind == "elb":
        return alb.handle_name(ident, request)
    if kind == "cloudfront":
        return cloudfront.handle_id(ident, request)
    return json_response(404, {"message": f"lambda_lab: unknown front door {kind!r}"})


def _not_claimed(request: HttpRequest) -> HttpResponse:
    return json_response(404, {"message": f"lambda_lab: nothing answers {request.host}"})


# ----------------------------------------------------------------- requests (responses)

def _from_prepared(prepared: Any) -> HttpRequest:
    url = urlsplit(prepared.url)
    body = prepared.body
    if body is None:
        data = b""
    elif isinstance(body, str):
        data = body.encode()
    elif hasattr(body, "read"):
        data = body.read()
    else:
        data = bytes(body)
    return HttpRequest(method=prepared.method.upper(), host=(url.hostname or "").lower(),
                       path=url.path or "/", query=url.query,
                       headers=[(k, v) for k, v in prepared.headers.items()], body=data,
                       scheme=url.scheme, port=url.port)


def _on_requests(prepared: Any) -> tuple[int, list[tuple[str, str]], bytes]:
    request = _from_prepared(prepared)
    response = route(request) or _not_claimed(request)
    return response.status, response.headers, response.body


_registered: list[Any] = []
_previous_opener: list[Any] = []


def install() -> None:
    """Answer front-door URLs for ``requests`` and ``urllib`` (after moto's mock started)."""
    import responses
    from moto.core.models import responses_mock

    for method in _METHODS:
        cb = responses.CallbackResponse(method=method, url=_URL, callback=_on_requests,
                                        content_type=None)
        responses_mock.add(cb)
        _registered.append(cb)
    moto_fixes.start()
    _previous_opener.append(urllib.request._opener)  # type: ignore[attr-defined]
    urllib.request.install_opener(urllib.request.build_opener(_UrllibHandler()))


def uninstall() -> None:
    """Undo :func:`install` and forget the session's function URLs."""
    from moto.core.models import responses_mock

    for cb in _registered:
        try:
            responses_mock.remove(cb)
        except Exception:  # noqa: BLE001 - moto already reset its registry
            pass
    _registered.clear()
    if _previous_opener:
        urllib.request.install_opener(_previous_opener.pop())
    function_urls.reset()
    authorizers.reset()
    moto_fixes.stop()


# ----------------------------------------------------------------- urllib

class _UrllibHandler(urllib.request.BaseHandler):
    """Answers front-door host names before the real HTTP(S) handlers see them."""

    handler_order = 100

    def _open(self, req: urllib.request.Request) -> Any:
        url = urlsplit(req.full_url)
        if not claims_host(url.hostname or ""):
            return None
        data = req.data
        if data is not None and not isinstance(data, bytes):
            data = data.read() if hasattr(data, "read") else bytes(data)  # type: ignore
        headers = list(req.header_items())
        if data is not None and not any(k.lower() == "content-type" for k, _ in headers):
            headers.append(("Content-Type", "application/x-www-form-urlencoded"))
        request = HttpRequest(method=req.get_method(), host=(url.hostname or "").lower(),
                              path=url.path or "/", query=url.query, headers=headers,
                              body=data or b"", scheme=url.scheme, port=url.port)
        response = route(request) or _not_claimed(request)
        msg = email.message.Message()
        for k, v in response.headers:
            msg[k] = v
        result = urllib.response.addinfourl(io.BytesIO(response.body), msg, req.full_url,
                                            response.status)
        result.msg = reasons.get(response.status, "")  # type: ignore[attr-defined]
        return result

    http_open = _open
    https_open = _open


# ----------------------------------------------------------------- WSGI (serve)

class Middleware:
    """WSGI middleware in front of moto's server app: front-door requests are answered here,
    everything else goes to ``app``."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) \
            -> Iterable[bytes]:
        path = environ.get("PATH_INFO") or "/"
        host = (environ.get("HTTP_HOST") or "").rsplit(":", 1)[0].lower()
        if not (path.startswith("/_aws/") or claims_host(host)):
            return self.app(environ, start_response)
        request = _from_environ(environ, host)
        response = route(request) or _not_claimed(request)
        start_response(f"{response.status} {reasons.get(response.status, '')}",
                       [*response.headers, ("Content-Length", str(len(response.body)))])
        return [response.body]


class KeepAlive:
    """A mixin for werkzeug's request handler: front-door requests are answered here with
    HTTP/1.1 keep-alive (werkzeug closes every connection, and after each request drains the
    socket, which would swallow a kept-alive client's next request); everything else goes to
    werkzeug and the WSGI app as before."""

    headers: Any
    path: str
    command: str
    wfile: Any

    def run_wsgi(self) -> None:
        host = (self.headers.get("Host") or "").rsplit(":", 1)[0].lower()
        if self.headers.get("Transfer-Encoding") or not (
                (self.path or "").startswith("/_aws/") or claims_host(host)):
            super().run_wsgi()  # type: ignore[misc]
            return
        environ = self.make_environ()  # type: ignore[attr-defined]
        request = _from_environ(environ, host)
        response = route(request) or _not_claimed(request)
        self.send_response(response.status)  # type: ignore[attr-defined]
        for k, v in response.headers:
            self.send_header(k, v)  # type: ignore[attr-defined]
        self.send_header("Content-Length", str(len(response.body)))  # type: ignore
        # one write for head and body: a kept-alive connection must not wait on Nagle's
        # algorithm and the client's delayed ACK between the two
        self._headers_buffer.append(  # type: ignore[attr-defined]
            b"\r\n" + (response.body if self.command != "HEAD" else b""))
        self.flush_headers()  # type: ignore[attr-defined]


def _from_environ(environ: dict[str, Any], host: str) -> HttpRequest:
    raw = environ.get("RAW_URI") or environ.get("REQUEST_URI")
    if raw:
        split = urlsplit(raw)
        path, query = split.path or "/", split.query
    else:
        path = (environ.get("PATH_INFO") or "/").encode("latin-1").decode("utf-8", "replace")
        query = environ.get("QUERY_STRING") or ""
    headers = [(k[5:].replace("_", "-").title(), v) for k, v in environ.items()
               if k.startswith("HTTP_")]
    for key, name in (("CONTENT_TYPE", "Content-Type"), ("CONTENT_LENGTH", "Content-Length")):
        if environ.get(key):
            headers.append((name, environ[key]))
    length = int(environ.get("CONTENT_LENGTH") or 0)
    body = environ["wsgi.input"].read(length) if length else b""
    port = environ.get("SERVER_PORT")
    return HttpRequest(method=environ["REQUEST_METHOD"].upper(), host=host, path=path,
                       query=query, headers=headers, body=body,
                       scheme=environ.get("wsgi.url_scheme", "http"),
                       source_ip=environ.get("REMOTE_ADDR") or "127.0.0.1",
                       port=int(port) if port and port.isdigit() else None)
