"""Lambda authorizers of REST APIs, TOKEN and REQUEST (API Gateway DG "Use API Gateway Lambda
authorizers", "Input to an API Gateway Lambda authorizer", "Output from an API Gateway Lambda
authorizer").

- The identity source (``method.request.header.X``, ``method.request.querystring.X``,
  ``stageVariables.X``) must be present, and a TOKEN must match the validation expression;
  otherwise 401 ``{"message":"Unauthorized"}`` without calling the authorizer.
- The authorizer returns ``principalId``, a ``policyDocument`` and an optional ``context``.
  An explicit Deny for the method ARN: 403 ``{"Message":"User is not authorized to access
  this resource with an explicit deny"}``; no Allow: 403 ``{"Message":"User is not authorized
  to access this resource"}``; Allow: the integration runs with ``requestContext.authorizer``
  (``principalId`` and the context, values as strings).
- Raising ``Exception("Unauthorized")``: 401; any other failure (another error, a malformed
  result, no permission to invoke the authorizer): 500 ``{"message": null}``.
- Results are cached per identity-source value for ``authorizerResultTtlInSeconds`` (default
  300; 0: off) on the platform clock, and the cached policy is evaluated against each new
  method ARN (the classic gotcha of a policy naming only the first method).
"""

from __future__ import annotations

import fnmatch
import re
import threading
from typing import Any

from .http import HttpRequest, HttpResponse, json_response
from .invoke import call, platform_for

__all__ = ["authorize_rest", "reset"]

DEFAULT_TTL_S = 300
_cache: dict[tuple[str, str, str], tuple[float, dict[str, Any]]] = {}
_lock = threading.Lock()


def reset() -> None:
    """Forget every cached authorizer result (the session ended)."""
    with _lock:
        _cache.clear()


def unauthorized() -> HttpResponse:
    return json_response(401, {"message": "Unauthorized"},
                         [("x-amzn-ErrorType", "UnauthorizedException")])


def _config_error() -> HttpResponse:
    return json_response(500, {"message": None},
                         [("x-amzn-ErrorType", "AuthorizerConfigurationException")])


def _denied(explicit: bool) -> HttpResponse:
    text = "User is not authorized to access this resource"
    if explicit:
        text += " with an explicit deny"
    return json_response(403, {"Message": text}, [("x-amzn-ErrorType", "AccessDeniedException")])


def _source_values(source: str, request: HttpRequest, variables: dict[str, str]) \
        -> list[str | None]:
    values: list[str | None] = []
    for part in (p.strip() for p in (source or "").split(",") if p.strip()):
        if part.startswith("method.request.header."):
            values.append(request.header(part[len("method.request.header."):]))
        elif part.startswith("method.request.querystring."):
            name = part[len("method.request.querystring."):]
            values.append(next((v for k, v in reversed(request.query_pairs()) if k == name),
                               None))
        elif part.startswith("stageVariables."):
            values.append(variables.get(part[len("stageVariables."):]))
        else:
            values.append(None)
    return values


def _statements(policy: Any) -> list[dict[str, Any]]:
    statements = (policy or {}).get("Statement") or []
    return statements if isinstance(statements, list) else [statements]


def _matches(statement: dict[str, Any], method_arn: str) -> bool:
    actions = statement.get("Action") or []
    actions = actions if isinstance(actions, list) else [actions]
    if not any(a in ("execute-api:Invoke", "execute-api:*", "*") for a in actions):
        return False
    resources = statement.get("Resource") or []
    resources = resources if isinstance(resources, list) else [resources]
    return any(fnmatch.fnmatchcase(method_arn, r) for r in resources)


def _evaluate(result: dict[str, Any], method_arn: str) -> HttpResponse | dict[str, Any]:
    statements = _statements(result.get("policyDocument"))
    if any(s.get("Effect") == "Deny" and _matches(s, method_arn) for s in statements):
        return _denied(True)
    if not any(s.get("Effect") == "Allow" and _matches(s, method_arn) for s in statements):
        return _denied(False)
    context = {k: (str(v).lower() if isinstance(v, bool) else str(v))
               for k, v in (result.get("context") or {}).items()}
    return {**context, "principalId": result.get("principalId"), "integrationLatency": 0}


def authorize_rest(api: Any, method: Any, request: HttpRequest, stage: str,
                   variables: dict[str, str], resource_path: str, path: str) \
        -> HttpResponse | dict[str, Any]:
    """Run the method's Lambda authorizer: an HttpResponse to send instead of the integration,
    or the ``requestContext.authorizer`` map."""
    from . import proxy_v1
    from .rest_api import function_arn

    auth = api.authorizers.get(method.authorizer_id or "")
    if auth is None or auth.type not in ("TOKEN", "REQUEST"):
        return _config_error()
    method_arn = (f"arn:aws:execute-api:{api.region_name}:{api.account_id}:{api.id}/{stage}/"
                  f"{request.method}{path}")  # the request's path, not the resource's
    values = _source_values(auth.identity_source or "", request, variables)
    if auth.type == "TOKEN":
        token = values[0] if values else None
        if not token:
            return unauthorized()
        expr = auth.identity_validation_expression
        if expr and not re.fullmatch(expr, token):
            return unauthorized()
    elif values and not all(values):
        return unauthorized()
    ttl = DEFAULT_TTL_S if auth.authorizer_result_ttl is None else int(auth.authorizer_result_ttl)
    arn = function_arn(auth.authorizer_uri or "", variables)
    platform = platform_for(arn) if arn else None
    if platform is None:
        return _config_error()
    key = (api.id, auth.id, "\x00".join(v or "" for v in values))
    now = platform.clock.now()
    if ttl > 0 and values:
        with _lock:
            cached = _cache.get(key)
        if cached is not None and cached[0] > now:
            return _evaluate(cached[1], method_arn)
    if auth.type == "TOKEN":
        event: dict[str, Any] = {"type": "TOKEN", "authorizationToken": values[0],
                                 "methodArn": method_arn}
    else:
        event = proxy_v1.event(request, path=path, resource=resource_path, stage=stage,
                               api_id=api.id, account_id=api.account_id, now=now,
                               stage_variables=variables)
        event = {"type": "REQUEST", "methodArn": method_arn, **event}
    source = (f"arn:aws:execute-api:{api.region_name}:{api.account_id}:{api.id}/authorizers/"
              f"{auth.id}")
    outcome = call(platform, arn, event,
                   principal=None if auth.authorizer_credentials else "apigateway.amazonaws.com",
                   source_arn=source, source_account=api.account_id)
    if outcome.kind != "ok" or outcome.result is None:
        return _config_error()
    if outcome.function_error:
        return unauthorized() if outcome.result.error_message == "Unauthorized" \
            else _config_error()
    result = outcome.payload
    if not isinstance(result, dict) or not _statements(result.get("policyDocument")):
        return _config_error()
    if ttl > 0 and values:
        with _lock:
            _cache[key] = (now + ttl, result)
    return _evaluate(result, method_arn)


# ----------------------------------------------------------------- HTTP APIs

def _http_source_values(sources: Any, request: HttpRequest, event: dict[str, Any]) \
        -> list[str | None]:
    values: list[str | None] = []
    for part in sources if isinstance(sources, list) else [sources or ""]:
        if part.startswith("$request.header."):
            values.append((event.get("headers") or {}).get(part[16:].lower()))
        elif part.startswith("$request.querystring."):
            values.append((event.get("queryStringParameters") or {}).get(part[21:]))
        elif part.startswith("$stageVariables."):
            values.append((event.get("stageVariables") or {}).get(part[16:]))
        else:
            values.append(None)
    return values


def authorize_http(api: Any, route: Any, request: HttpRequest, region: str, account: str,
                   event: dict[str, Any]) -> HttpResponse | dict[str, Any]:
    """Run an HTTP API route's Lambda (REQUEST) authorizer, payload 2.0 (API Gateway DG
    "Working with AWS Lambda authorizers for HTTP APIs"): simple responses (``isAuthorized``,
    ``context``) or IAM policies; an HttpResponse to send instead (401 without the identity
    source, 403 ``{"message":"Forbidden"}`` when not authorized, 500 when the authorizer
    fails), or the ``requestContext.authorizer`` map (``{"lambda": context}``)."""
    from .rest_api import function_arn

    auth = api.authorizers.get(route.authorizer_id or "")
    if auth is None or auth.authorizer_type != "REQUEST":
        return json_response(500, {"message": "Internal Server Error"})
    ctx = event["requestContext"]
    route_arn = (f"arn:aws:execute-api:{region}:{account}:{api.api_id}/{ctx['stage']}/"
                 f"{request.method}{ctx['http']['path']}")
    values = _http_source_values(auth.identity_source or [], request, event)
    if values and not all(values):
        return json_response(401, {"message": "Unauthorized"})
    arn = function_arn(auth.authorizer_uri or "", event.get("stageVariables") or {})
    platform = platform_for(arn) if arn else None
    if platform is None:
        return json_response(500, {"message": "Internal Server Error"})
    ttl = int(auth.auth_result_ttl or 0)
    key = (api.api_id, auth.id, "\x00".join(v or "" for v in values))
    now = platform.clock.now()
    result: Any = None
    if ttl > 0 and values:
        with _lock:
            cached = _cache.get(key)
        if cached is not None and cached[0] > now:
            result = cached[1]
    if result is None:
        auth_event = {"version": "2.0", "type": "REQUEST", "routeArn": route_arn,
                      "identitySource": values, **{k: v for k, v in event.items()
                                                   if k not in ("version", "body",
                                                                "isBase64Encoded")}}
        outcome = call(platform, arn, auth_event,
                       principal=None if auth.auth_creds_arn else "apigateway.amazonaws.com",
                       source_arn=f"arn:aws:execute-api:{region}:{account}:{api.api_id}/"
                                  f"authorizers/{auth.id}", source_account=account)
        if outcome.kind != "ok" or outcome.function_error or not isinstance(
                outcome.payload, dict):
            return json_response(500, {"message": "Internal Server Error"})
        result = outcome.payload
        if ttl > 0 and values:
            with _lock:
                _cache[key] = (now + ttl, result)
    if auth.enable_simple_response:
        if result.get("isAuthorized") is not True:
            return json_response(403, {"message": "Forbidden"})
        return {"lambda": result.get("context") or {}}
    verdict = _evaluate(result, route_arn)
    if isinstance(verdict, HttpResponse):
        return json_response(403, {"message": "Forbidden"})
    return {"lambda": result.get("context") or {}, "principalId": result.get("principalId")}
