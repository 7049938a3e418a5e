"""Lambda function URLs: the configs (``https://{url-id}.lambda-url.{region}.on.aws/``) and
the front door behind them (Lambda DG "Lambda function URLs", "Invoking Lambda function URLs",
"Security and auth model for Lambda function URLs"; front-doors.md §4).

- ``AuthType NONE``: anyone may call, if the function's resource policy allows
  ``lambda:InvokeFunctionUrl`` (condition ``lambda:FunctionUrlAuthType`` NONE) to ``*``;
  otherwise 403 with AWS's recorded ``Forbidden…`` message.
- ``AuthType AWS_IAM``: the request must be SigV4-signed for service ``lambda``; the event then
  carries ``requestContext.authorizer.iam``. The signature's form is checked, not its value
  (the emulator knows no secret keys); callers of the function's account are allowed.
- The event is payload 2.0 with route key ``$default``; the response is inferred as for HTTP
  APIs; a handler error is 502 ``Internal Server Error``.
- CORS: a preflight ``OPTIONS`` is answered from the config, and responses carry the CORS
  headers for an allowed ``Origin``.
"""

from __future__ import annotations

import json
import random
import string
import threading
import time
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from . import payload_v2
from .http import HttpRequest, HttpResponse, text_response
from .invoke import call

if TYPE_CHECKING:
    from ..platform import Platform
    from ..platform.model import Function

__all__ = ["FORBIDDEN", "UrlConfig", "handle", "lookup", "reset"]

FORBIDDEN = ("Forbidden. For troubleshooting Function URL authorization issues, see: "
             "https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html")
_ALPHABET = string.ascii_lowercase + string.digits
_rng = random.SystemRandom()
#: the most a function URL waits: Lambda's 900 s maximum timeout
_URL_TIMEOUT_S = 900.0 + 10.0


@dataclass
class UrlConfig:
    """One function URL (of a function, or of one of its aliases)."""

    url_id: str
    function_name: str
    qualifier: str | None
    auth_type: str
    invoke_mode: str
    cors: dict[str, Any] | None
    created: str
    modified: str
    platform: weakref.ref[Platform] = field(repr=False, default=None)  # type: ignore[assignment]

    @property
    def region(self) -> str:
        platform = self.platform()
        return platform.region if platform is not None else "us-east-1"

    @property
    def url(self) -> str:
        return f"https://{self.url_id}.lambda-url.{self.region}.on.aws/"

    def shape(self, function_arn: str, *, create: bool = False) -> dict[str, Any]:
        """The API's shape (create answers without LastModifiedTime)."""
        out: dict[str, Any] = {"FunctionUrl": self.url, "FunctionArn": function_arn,
                               "AuthType": self.auth_type}
        if self.cors is not None:
            out["Cors"] = self.cors
        out["CreationTime"] = self.created
        if not create:
            out["LastModifiedTime"] = self.modified
        out["InvokeMode"] = self.invoke_mode
        return out


_configs: weakref.WeakKeyDictionary[Function, dict[str | None, UrlConfig]] = \
    weakref.WeakKeyDictionary()
_by_id: dict[str, UrlConfig] = {}
_lock = threading.Lock()


def timestamp(now: float) -> str:
    """Lambda's ISO 8601 form with microseconds, e.g. ``2024-05-01T12:00:00.123456Z``."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"


def configs_of(fn: Function) -> dict[str | None, UrlConfig]:
    with _lock:
        return dict(_configs.get(fn, {}))


def store(platform: Platform, fn: Function, config: UrlConfig) -> None:
    config.platform = weakref.ref(platform)
    with _lock:
        _configs.setdefault(fn, {})[config.qualifier] = config
        _by_id[config.url_id] = config


def remove(fn: Function, qualifier: str | None) -> UrlConfig | None:
    with _lock:
        config = _configs.get(fn, {}).pop(qualifier, None)
        if config is not None:
            _by_id.pop(config.url_id, None)
        return config


def new_url_id() -> str:
    """32 characters of [a-z0-9], like AWS's url-ids."""
    return "".join(_rng.choice(_ALPHABET) for _ in range(32))


def lookup(url_id: str) -> tuple[Platform, UrlConfig] | None:
    """The live config with ``url_id`` (None once the function is gone)."""
    with _lock:
        config = _by_id.get(url_id)
    if config is None:
        return None
    platform = config.platform()
    if platform is None:
        return None
    try:
        fn = platform.function(config.function_name)
    except Exception:  # noqa: BLE001 - deleted: a LambdaError
        return None
    with _lock:
        if _configs.get(fn, {}).get(config.qualifier) is not config:
            return None
    return platform, config


def reset() -> None:
    """Forget every function URL (the session ended)."""
    with _lock:
        _by_id.clear()
        _configs.clear()


# ----------------------------------------------------------------- the front door

def cors_headers(cors: dict[str, Any] | None, origin: str | None, *,
                 preflight: bool = False) -> list[tuple[str, str]]:
    """The CORS headers a config (``AllowOrigins``, ``AllowMethods``, … in either casing)
    gives a request from ``origin``; none for an origin it does not allow."""
    cors = {k[0].upper() + k[1:]: v for k, v in (cors or {}).items()}
    if not cors or not origin:
        return []
    origins = cors.get("AllowOrigins") or []
    if "*" in origins:
        allowed = "*"
    elif origin in origins:
        allowed = origin
    else:
        return []
    out = [("Access-Control-Allow-Origin", allowed)]
    if cors.get("AllowCredentials"):
        out.append(("Access-Control-Allow-Credentials", "true"))
    if preflight:
        if cors.get("AllowMethods"):
            out.append(("Access-Control-Allow-Methods", ",".join(cors["AllowMethods"])))
        if cors.get("AllowHeaders"):
            out.append(("Access-Control-Allow-Headers", ",".join(cors["AllowHeaders"])))
        if cors.get("MaxAge") is not None:
            out.append(("Access-Control-Max-Age", str(cors["MaxAge"])))
    elif cors.get("ExposeHeaders"):
        out.append(("Access-Control-Expose-Headers", ",".join(cors["ExposeHeaders"])))
    return out


def _forbidden() -> HttpResponse:
    return HttpResponse(403, [("Content-Type", "application/json"),
                              ("x-amzn-ErrorType", "AccessDeniedException")],
                        json.dumps({"Message": FORBIDDEN}).encode())


def sigv4_identity(request: HttpRequest) -> dict[str, Any] | None:
    """The caller of a request SigV4-signed for service ``lambda`` (None: not so signed).
    Only the form is checked: ``AWS4-HMAC-SHA256 Credential=KEY/DATE/REGION/lambda/aws4_request,
    SignedHeaders=…, Signature=…``."""
    auth = request.header("authorization") or ""
    if not auth.startswith("AWS4-HMAC-SHA256 "):
        return None
    fields = dict(part.strip().split("=", 1) for part in auth[17:].split(",") if "=" in part)
    scope = fields.get("Credential", "").split("/")
    if len(scope) != 5 or scope[3] != "lambda" or scope[4] != "aws4_request" \
            or not fields.get("Signature") or not request.header("x-amz-date"):
        return None
    from moto.core import DEFAULT_ACCOUNT_ID

    account = DEFAULT_ACCOUNT_ID
    return {"accessKey": scope[0], "accountId": account, "callerId": scope[0],
            "cognitoIdentity": None, "principalOrgId": None,
            "userArn": f"arn:aws:iam::{account}:root", "userId": account}


def handle(url_id: str, request: HttpRequest) -> HttpResponse:
    """Answer one request to a function URL."""
    found = lookup(url_id)
    if found is None:  # on AWS the host name would not resolve
        return text_response(404, f"lambda_lab: no function URL {url_id}\n")
    platform, config = found
    origin = request.header("origin")
    if request.method == "OPTIONS" and config.cors and request.header(
            "access-control-request-method"):
        return HttpResponse(200, cors_headers(config.cors, origin, preflight=True))
    identity = None
    if config.auth_type == "AWS_IAM":
        identity = sigv4_identity(request)
        if identity is None:
            return _forbidden()
    if config.invoke_mode == "RESPONSE_STREAM":
        return text_response(502, "lambda_lab: InvokeMode RESPONSE_STREAM is not emulated; "
                                  "use BUFFERED\n")
    domain = f"{url_id}.lambda-url.{platform.region}.on.aws"
    extra: dict[str, Any] = {"authentication": None}
    event = payload_v2.event(
        request, api_id=url_id, domain=domain, account_id=platform.account_id,
        now=platform.clock.now(), extra=extra,
        authorizer={"iam": identity} if identity is not None else None)
    ref = platform.arn(config.function_name, config.qualifier)
    if identity is not None and identity["accountId"] == platform.account_id:
        principal = None  # same account: the caller's identity policy is trusted
    else:
        principal = ""
    outcome = call(platform, ref, event, principal=principal,
                   source_account=identity["accountId"] if identity else None,
                   timeout_s=_URL_TIMEOUT_S,
                   url_auth_type=config.auth_type if principal is not None else None)
    if outcome.kind == "denied":
        return _forbidden()
    cors = cors_headers(config.cors, origin)
    if outcome.kind == "failed" and outcome.error is not None \
            and outcome.error.code == "TooManyRequestsException":
        return HttpResponse(429, [("Content-Type", "application/json"), *cors],
                            json.dumps({"Message": "Rate Exceeded."}).encode())
    if outcome.kind != "ok" or outcome.function_error:
        return HttpResponse(502, [("Content-Type", "text/plain"), *cors],
                            b"Internal Server Error")
    try:
        response = payload_v2.response(outcome.payload)
    except (ValueError, TypeError):
        return HttpResponse(502, [("Content-Type", "text/plain"), *cors],
                            b"Internal Server Error")
    assert outcome.result is not None
    response.headers += [("x-amzn-RequestId", outcome.result.request_id), *cors]
    return response
