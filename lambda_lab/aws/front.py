"""The server's door for the Lambda API: a request without a signature never reaches moto.

moto's server guesses a request's service from its signature; an unsigned one went to S3 (HTML
pages, "NoSuchBucket") or crashed moto (an HTML 500). AWS answers an unsigned Lambda request
with 403 ``MissingAuthenticationTokenException`` "Missing Authentication Token" (the answer to
an unsigned Invoke in brefphp/bref#1250; the body ``{"message": ...}`` as in aws/chalice#12), and
an Authorization header that is not a whole SigV4 signature with 403
``IncompleteSignatureException``, naming each missing part (aws/chalice#828).

Only paths of the Lambda API (``/<one of its version dates>/...``) are judged; other services
on the same port, and paths such as ``/_aws/...``, pass untouched, as do a request signed for
another service and a CORS preflight (``OPTIONS``, never signed; left to moto's server as
before). Routing and checking a signed Lambda request is :mod:`lambda_lab.aws.operations`'s
(through ``LabResponse``).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from .operations import api_dates

__all__ = ["LambdaFront"]

_PART = re.compile(r"(Credential|SignedHeaders|Signature)=([^,\s]*)")
_PRESIGNED = re.compile(r"(?:^|&)X-Amz-Credential=", re.IGNORECASE)
_DATE_SEGMENT = re.compile(r"^/(\d{4}-\d{2}-\d{2})(/|$)")


def _missing_parts(environ: dict[str, Any], auth: str) -> list[str]:
    found = dict(_PART.findall(auth)) if auth.startswith("AWS4-HMAC-SHA256 ") else {}
    missing = [f"Authorization header requires '{p}' parameter."
               for p in ("Credential", "Signature", "SignedHeaders") if not found.get(p)]
    if "HTTP_X_AMZ_DATE" not in environ and "HTTP_DATE" not in environ:
        missing.append("Authorization header requires existence of either a 'X-Amz-Date' or "
                       "a 'Date' header.")
    return missing


def _answer(start_response: Callable[..., Any], code: str, message: str) -> Iterable[bytes]:
    body = json.dumps({"message": message}).encode()
    start_response("403 Forbidden", [
        ("Content-Type", "application/json"), ("Content-Length", str(len(body))),
        ("x-amzn-ErrorType", code), ("x-amzn-RequestId", str(uuid.uuid4()))])
    return [body]


class LambdaFront:
    """WSGI middleware before moto's server: unsigned Lambda requests get AWS's 403."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any],
                 start_response: Callable[..., Any]) -> Iterable[bytes]:
        date = _DATE_SEGMENT.match(environ.get("PATH_INFO", ""))
        if date is None or date[1] not in api_dates() or environ.get("REQUEST_METHOD") == "OPTIONS":
            return self.app(environ, start_response)  # not Lambda's, or a CORS preflight
        auth = environ.get("HTTP_AUTHORIZATION")
        if auth is None:
            if not _PRESIGNED.search(environ.get("QUERY_STRING", "")):
                return _answer(start_response, "MissingAuthenticationTokenException",
                               "Missing Authentication Token")
        else:
            missing = _missing_parts(environ, auth)
            if missing:
                return _answer(start_response, "IncompleteSignatureException",
                               " ".join(missing) + f" Authorization={auth}")
        # Signed (for Lambda, or for another service: moto routes it by its credential scope).
        return self.app(environ, start_response)
