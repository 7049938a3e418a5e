"""The HTTP request and response every front door works on, and the helpers they share.

A front door (REST API, HTTP API, function URL, ALB) turns an :class:`HttpRequest` into its
event, runs the handler and turns the result into an :class:`HttpResponse`. Where the request
came from (``requests`` inside ``mock_aws()``, or a real socket through ``serve``) is the
business of :mod:`lambda_lab.fronts.dispatch`.
"""

from __future__ import annotations

import base64
import json
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, unquote

__all__ = ["HttpRequest", "HttpResponse", "json_response", "request_time", "text_response"]

#: Content types whose body a front door passes as text (the rest as base64).
_TEXT_TYPES = ("text/", "application/json", "application/javascript", "application/xml",
               "application/x-www-form-urlencoded", "application/ecmascript",
               "application/x-yaml", "application/yaml", "+json", "+xml")


@dataclass
class HttpRequest:
    """One HTTP request as it reached the front door. ``path`` is raw (percent-encoded as
    sent), ``query`` the raw query string, ``headers`` in order and casing as sent."""

    method: str
    host: str
    path: str = "/"
    query: str = ""
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""
    scheme: str = "https"
    source_ip: str = "127.0.0.1"
    port: int | None = None

    def header(self, name: str) -> str | None:
        """The first value of header ``name`` (any casing), or None."""
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)

    def query_pairs(self) -> list[tuple[str, str]]:
        """The query string's (name, value) pairs, URL-decoded, blanks kept."""
        return parse_qsl(self.query, keep_blank_values=True)

    def raw_query_pairs(self) -> list[tuple[str, str]]:
        """The pairs as sent, not URL-decoded (ALB passes them so)."""
        pairs = []
        for part in self.query.split("&"):
            if part:
                name, _, value = part.partition("=")
                pairs.append((name, value))
        return pairs

    @property
    def decoded_path(self) -> str:
        return unquote(self.path)

    def body_for_event(self, *, binary: bool | None = None) -> tuple[str | None, bool]:
        """``(body, isBase64Encoded)``: text for a text content type, else base64; None for an
        empty body. ``binary`` forces the choice."""
        if not self.body:
            return None, False
        if binary is None:
            binary = not is_text(self.header("content-type"))
        if binary:
            return base64.b64encode(self.body).decode(), True
        return self.body.decode("utf-8", errors="replace"), False


@dataclass
class HttpResponse:
    """What the client gets: status, headers (repeats allowed) and body bytes."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def header(self, name: str) -> str | None:
        low = name.lower()
        return next((v for k, v in self.headers if k.lower() == low), None)


def is_text(content_type: str | None) -> bool:
    """Does a body of ``content_type`` travel as text? (No content type: yes.)"""
    if not content_type:
        return True
    ct = content_type.split(";")[0].strip().lower()
    return any(ct.startswith(t) or ct.endswith(t) for t in _TEXT_TYPES)


def json_response(status: int, obj: Any, headers: list[tuple[str, str]] | None = None) \
        -> HttpResponse:
    """A JSON answer (API Gateway's own error bodies, for example)."""
    return HttpResponse(status, [("Content-Type", "application/json"), *(headers or [])],
                        json.dumps(obj).encode())


def text_response(status: int, text: str, content_type: str = "text/plain; charset=utf-8") \
        -> HttpResponse:
    return HttpResponse(status, [("Content-Type", content_type)], text.encode())


def request_time(now: float) -> tuple[str, int]:
    """``(requestTime, requestTimeEpoch)`` as API Gateway writes them: ``"20/Feb/2018:22:48:57
    +0000"`` and epoch milliseconds."""
    return time.strftime("%d/%b/%Y:%H:%M:%S +0000", time.gmtime(now)), int(now * 1000)


def decode_body(body: Any, is_base64: Any) -> bytes:
    """A handler's ``body`` (text, maybe base64) as bytes. Raises ValueError if not a string."""
    if body is None:
        return b""
    if not isinstance(body, str):
        raise ValueError("body must be a string")
    if is_base64:
        return base64.b64decode(body)
    return body.encode()
