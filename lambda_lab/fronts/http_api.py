"""API Gateway HTTP APIs with Lambda integrations, read from moto's ``apigatewayv2`` backend
(API Gateway DG "Working with AWS Lambda proxy integrations for HTTP APIs", "Working with
routes for HTTP APIs"; front-doors.md §2).

``https://{api-id}.execute-api.{region}.amazonaws.com/{path}`` serves the ``$default`` stage,
``/{stage}/{path}`` a named one. The most specific route wins (literal parts, then
``{param}``, then a greedy ``{proxy+}``; a method over ``ANY``; ``$default`` last); no route:
404 ``{"message":"Not Found"}``. Payload 2.0 or 1.0 as the integration says; a handler error,
a malformed result or a missing permission: 500 ``{"message":"Internal Server Error"}``; past
the integration timeout (30 s at most): 503 ``{"message":"Service Unavailable"}``. A route with
``AuthorizationType CUSTOM`` runs its Lambda authorizer first (:mod:`.authorizers`). With a
``CorsConfiguration`` a preflight ``OPTIONS`` is answered (204) without a route, and responses
carry the CORS headers for an allowed ``Origin``.
"""

from __future__ import annotations

from typing import Any

from . import authorizers, payload_v2, proxy_v1
from .function_urls import cors_headers
from .http import HttpRequest, HttpResponse, json_response
from .invoke import call, platform_for
from .rest_api import function_arn

__all__ = ["find", "handle"]

DEFAULT_TIMEOUT_MS = 30_000


def find(api_id: str, region: str | None = None) -> tuple[Any, str, str] | None:
    """``(api, region, account)`` of the HTTP API ``api_id`` (None: no such API)."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    for account in list(apigatewayv2_backends.keys()):
        for name, backend in list(apigatewayv2_backends[account].items()):
            api = backend.apis.get(api_id)
            if api is not None and (region is None or name == region) \
                    and api.protocol_type == "HTTP":
                return api, name, account
    return None


def not_found() -> HttpResponse:
    return json_response(404, {"message": "Not Found"})


def internal_error() -> HttpResponse:
    return json_response(500, {"message": "Internal Server Error"})


def _match_route(api: Any, method: str, segments: list[str]) \
        -> tuple[Any, dict[str, str]] | None:
    best: tuple[tuple[int, ...], Any, dict[str, str]] | None = None
    for route in api.routes.values():
        key = route.route_key
        if key == "$default":
            score: tuple[int, ...] = (0,)
            params: dict[str, str] = {}
        else:
            verb, _, template = key.partition(" ")
            if verb not in ("ANY", method):
                continue
            matched = _match_path([p for p in template.split("/") if p], segments)
            if matched is None:
                continue
            literals, greedy, params = matched
            score = (1, 0 if greedy else 1, literals, 1 if verb == method else 0)
        if best is None or score > best[0]:
            best = (score, route, params)
    return (best[1], best[2]) if best is not None else None


def _match_path(parts: list[str], segments: list[str]) \
        -> tuple[int, bool, dict[str, str]] | None:
    params: dict[str, str] = {}
    literals = 0
    for i, part in enumerate(parts):
        if part.startswith("{") and part.endswith("+}"):
            if i >= len(segments):
                return None
            params[part[1:-2]] = "/".join(segments[i:])
            return literals, True, params
        if i >= len(segments):
            return None
        if part.startswith("{") and part.endswith("}"):
            params[part[1:-1]] = segments[i]
        elif part != segments[i]:
            return None
        else:
            literals += 1
    if len(parts) != len(segments):
        return None
    return literals, False, params


def handle(api: Any, region: str, account: str, request: HttpRequest) -> HttpResponse:
    """Answer ``request`` with the HTTP API ``api``."""
    cors = api.cors_configuration or None
    origin = request.header("origin")
    if request.method == "OPTIONS" and cors and request.header("access-control-request-method"):
        return HttpResponse(204, cors_headers(cors, origin, preflight=True))  # no route needed
    response = _handle(api, region, account, request)
    response.headers += cors_headers(cors, origin)
    return response


def _handle(api: Any, region: str, account: str, request: HttpRequest) -> HttpResponse:
    segments = [p for p in request.decoded_path.split("/") if p]
    if segments and segments[0] in api.stages and segments[0] != "$default":
        stage_name, route_segments = segments[0], segments[1:]
    elif "$default" in api.stages:
        stage_name, route_segments = "$default", segments
    else:
        return not_found()
    stage = api.stages[stage_name]
    found = _match_route(api, request.method, route_segments)
    if found is None:
        return not_found()
    route, params = found
    target = route.target or ""
    integration = api.integrations.get(target.split("/", 1)[1]) \
        if target.startswith("integrations/") else None
    if integration is None:
        return not_found()
    variables = dict(stage.stage_variables or {})
    uri = integration.integration_uri or ""
    arn = uri if uri.startswith("arn:aws:lambda:") else function_arn(uri, variables)
    platform = platform_for(arn) if arn else None
    if integration.integration_type != "AWS_PROXY" or platform is None:
        return json_response(500, {"message": "lambda_lab: only Lambda (AWS_PROXY) "
                                              "integrations are emulated"})
    domain = f"{api.api_id}.execute-api.{region}.amazonaws.com"
    route_path = "/" + "/".join(route_segments)
    version = integration.payload_format_version or "2.0"
    if version == "1.0":
        event = proxy_v1.event(
            request, path=request.decoded_path, resource=route.route_key.partition(" ")[2]
            or "$default", stage=stage_name, api_id=api.api_id, account_id=account,
            now=platform.clock.now(), path_parameters=params, stage_variables=variables,
            context_path=request.decoded_path)
        event["version"] = "1.0"
        event["requestContext"]["routeKey"] = route.route_key
    else:
        event = payload_v2.event(
            request, api_id=api.api_id, domain=domain, account_id=account,
            now=platform.clock.now(), route_key=route.route_key, stage=stage_name,
            path_parameters=params, stage_variables=variables)
    if (route.authorization_type or "NONE") == "CUSTOM":
        v2 = event if version == "2.0" else payload_v2.event(
            request, api_id=api.api_id, domain=domain, account_id=account,
            now=platform.clock.now(), route_key=route.route_key, stage=stage_name,
            path_parameters=params, stage_variables=variables)
        verdict = authorizers.authorize_http(api, route, request, region, account, v2)
        if isinstance(verdict, HttpResponse):
            return verdict
        event["requestContext"]["authorizer"] = verdict
    source = (f"arn:aws:execute-api:{region}:{account}:{api.api_id}/{stage_name}/"
              f"{request.method}{route_path}")
    timeout = min(int(integration.timeout_in_millis or DEFAULT_TIMEOUT_MS), 30_000) / 1000
    outcome = call(platform, arn, event,
                   principal=None if integration.credentials_arn
                   else "apigateway.amazonaws.com",
                   source_arn=source, source_account=account, timeout_s=timeout)
    if outcome.kind == "timeout":
        return json_response(503, {"message": "Service Unavailable"})
    if outcome.kind != "ok" or outcome.function_error or outcome.result is None:
        return internal_error()
    try:
        if version == "1.0":
            response = proxy_v1.response(outcome.payload)
        else:
            response = payload_v2.response(outcome.payload)
    except (ValueError, TypeError):
        return internal_error()
    response.headers.append(("apigw-requestid", outcome.result.request_id))
    return response
