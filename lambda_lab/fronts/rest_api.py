"""API Gateway REST APIs with Lambda integrations, read from moto's ``apigateway`` backend
(API Gateway DG "Set up Lambda proxy integrations", "Stage variables"; front-doors.md §1).

``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/{path}``: the stage must exist
(deployed), the path must match a resource (literal parts first, then ``{param}``, then a
greedy ``{proxy+}``) with the request's method or ``ANY``; otherwise 403 ``Missing
Authentication Token``. ``AWS_PROXY`` integrations get the 1.0 event and the proxy response
contract; ``AWS`` (non-proxy) integrations pass the JSON body as the event and answer the
handler's result with the default integration response's status (no mapping templates).
Errors as AWS answers them: 502 for a handler error or a malformed result, 504 past the
integration timeout (``timeoutInMillis``, default 29 s) while the function runs on, 500 when
the resource policy does not let ``apigateway.amazonaws.com`` invoke the function.
"""

from __future__ import annotations

import json
import re
from typing import Any

from . import authorizers, proxy_v1
from .http import HttpRequest, HttpResponse, json_response
from .invoke import Outcome, call, platform_for

__all__ = ["handle", "handle_execute_api", "region_of"]

DEFAULT_TIMEOUT_MS = 29_000
_LAMBDA_URI = re.compile(r"^arn:aws:apigateway:[a-z0-9-]+:lambda:path/[^/]+/functions/(.+)/"
                         r"invocations$")
_STAGE_VAR = re.compile(r"\$\{stageVariables\.([A-Za-z0-9_]+)\}")


def missing_token() -> HttpResponse:
    return json_response(403, {"message": "Missing Authentication Token"},
                         [("x-amzn-ErrorType", "MissingAuthenticationTokenException")])


def internal_error(status: int = 502) -> HttpResponse:
    return json_response(status, {"message": "Internal server error"},
                         [("x-amzn-ErrorType", "InternalServerErrorException")])


def timed_out() -> HttpResponse:
    return json_response(504, {"message": "Endpoint request timed out"})


def _rest_api(api_id: str, region: str | None = None) -> Any:
    from moto.apigateway.models import apigateway_backends

    for account in list(apigateway_backends.keys()):
        for name, backend in list(apigateway_backends[account].items()):
            if (region is None or name == region) and api_id in backend.apis:
                return backend.apis[api_id]
    return None


def region_of(api_id: str) -> str | None:
    """The Region of the REST or HTTP API ``api_id`` (None: no such API)."""
    from . import http_api

    api = _rest_api(api_id)
    if api is not None:
        return api.region_name
    found = http_api.find(api_id)
    return found[1] if found is not None else None


def handle_execute_api(api_id: str, region: str, request: HttpRequest) -> HttpResponse:
    """Answer a request to ``{api_id}.execute-api.{region}.amazonaws.com``."""
    from . import http_api

    api = _rest_api(api_id, region)
    if api is not None:
        return handle(api, request)
    found = http_api.find(api_id, region)
    if found is not None:
        return http_api.handle(found[0], found[1], found[2], request)
    return json_response(404, {"message": f"lambda_lab: no REST or HTTP API {api_id} in "
                                          f"{region}"})


def _match(api: Any, segments: list[str]) -> tuple[Any, dict[str, str]] | None:
    children: dict[str | None, list[Any]] = {}
    for res in api.resources.values():
        children.setdefault(res.parent_id, []).append(res)
    root = api.resources[api.root_resource_id]

    def walk(res: Any, i: int) -> tuple[Any, dict[str, str]] | None:
        if i == len(segments):
            return res, {}
        kids = children.get(res.id, [])
        for kid in kids:
            if kid.path_part == segments[i]:
                found = walk(kid, i + 1)
                if found is not None:
                    return found
        for kid in kids:
            part = kid.path_part
            if part.startswith("{") and part.endswith("}") and not part.endswith("+}"):
                found = walk(kid, i + 1)
                if found is not None:
                    found[1][part[1:-1]] = segments[i]
                    return found
        for kid in kids:
            if kid.path_part.endswith("+}"):
                return kid, {kid.path_part[1:-2]: "/".join(segments[i:])}
        return None

    return walk(root, 0)


def function_arn(uri: str, stage_variables: dict[str, str]) -> str | None:
    """The function ARN of a Lambda integration URI, stage variables substituted."""
    m = _LAMBDA_URI.match(uri or "")
    if m is None:
        return None
    return _STAGE_VAR.sub(lambda v: stage_variables.get(v[1], ""), m[1])


def handle(api: Any, request: HttpRequest) -> HttpResponse:
    """Answer ``request`` (path ``/{stage}/…``) with the REST API ``api``."""
    parts = request.decoded_path.split("/")
    stage_name = parts[1] if len(parts) > 1 else ""
    stage = api.stages.get(stage_name)
    if stage is None:
        return missing_token()
    segments = [p for p in parts[2:] if p]
    found = _match(api, segments)
    if found is None:
        return missing_token()
    resource, params = found
    method = resource.resource_methods.get(request.method) \
        or resource.resource_methods.get("ANY")
    integration = method.method_integration if method is not None else None
    if integration is None:
        return missing_token()
    variables = dict(stage.variables or {})
    path = "/" + "/".join(segments)
    auth_context: dict[str, Any] | None = None
    if (method.authorization_type or "NONE") == "CUSTOM":
        outcome = authorizers.authorize_rest(api, method, request, stage_name, variables,
                                             resource.get_path(), path)
        if isinstance(outcome, HttpResponse):
            return outcome
        auth_context = outcome
    if method.api_key_required and not _api_key_ok(api, stage_name, request):
        return json_response(403, {"message": "Forbidden"},
                             [("x-amzn-ErrorType", "ForbiddenException")])
    arn = function_arn(integration.uri, variables)
    platform = platform_for(arn) if arn else None
    if integration.integration_type not in ("AWS_PROXY", "AWS") or platform is None:
        return _moto_integration(resource, integration, request)
    binary = _is_binary(api, request.header("content-type"))
    event: dict[str, Any]
    if integration.integration_type == "AWS_PROXY":
        event = proxy_v1.event(
            request, path=path, resource=resource.get_path(), stage=stage_name,
            api_id=api.id, account_id=api.account_id, now=platform.clock.now(),
            resource_id=resource.id, deployment_id=stage.deployment_id or "",
            path_parameters=params, stage_variables=variables, binary=binary,
            authorizer=auth_context)
    else:
        try:
            event = json.loads(request.body) if request.body else {}
        except ValueError:
            return json_response(400, {"message": "Could not parse request body into json"})
    source = (f"arn:aws:execute-api:{api.region_name}:{api.account_id}:{api.id}/{stage_name}/"
              f"{request.method}{resource.get_path()}")
    timeout = int(integration.timeout_in_millis or DEFAULT_TIMEOUT_MS) / 1000
    outcome = call(platform, arn, event,
                   principal=None if integration.credentials else "apigateway.amazonaws.com",
                   source_arn=source, source_account=api.account_id, timeout_s=timeout)
    if integration.integration_type == "AWS":
        return _non_proxy(integration, outcome)
    return _proxy_response(api, request, outcome)


def _api_key_ok(api: Any, stage: str, request: HttpRequest) -> bool:
    """Does ``x-api-key`` name an enabled API key of a usage plan that covers this stage?
    (DG "Usage plans and API keys"; throttling and quotas are not applied.)"""
    from moto.apigateway.models import apigateway_backends

    value = request.header("x-api-key")
    if not value:
        return False
    backend = apigateway_backends[api.account_id][api.region_name]
    key = next((k for k in backend.keys.values() if k.value == value and k.enabled), None)
    if key is None:
        return False
    for plan_id, keys in backend.usage_plan_keys.items():
        plan = backend.usage_plans.get(plan_id)
        if key.id in keys and plan is not None and any(
                s.get("apiId") == api.id and s.get("stage") == stage for s in plan.api_stages):
            return True
    return False


def _moto_integration(resource: Any, integration: Any, request: HttpRequest) -> HttpResponse:
    """A non-Lambda integration (HTTP, AWS DynamoDB): moto's own parsers answer it, as they did
    before the front doors; what moto cannot do is a clear 500."""
    from types import SimpleNamespace

    prepared = SimpleNamespace(method=request.method, body=request.body,
                               headers=dict(request.headers),
                               url=f"{request.scheme}://{request.host}{request.path}"
                                   + (f"?{request.query}" if request.query else ""))
    try:
        status, body = resource.integration_parsers[integration.integration_type].invoke(
            prepared, integration)
    except NotImplementedError:
        return json_response(500, {"message": "lambda_lab: integration type "
                                              f"{integration.integration_type} is not emulated"})
    data = body.encode() if isinstance(body, str) else bytes(body or b"")
    return HttpResponse(int(status), [("Content-Type", "application/json")], data)


def _is_binary(api: Any, content_type: str | None) -> bool:
    if not content_type or not api.binaryMediaTypes:
        return False
    ct = content_type.split(";")[0].strip().lower()
    for pattern in api.binaryMediaTypes:
        p = pattern.replace("~1", "/").lower()
        if p == "*/*" or p == ct or (p.endswith("/*") and ct.startswith(p[:-1])):
            return True
    return False


def _failure(outcome: Outcome) -> HttpResponse | None:
    if outcome.kind == "timeout":
        return timed_out()
    if outcome.kind in ("denied", "missing", "failed"):
        return internal_error(500)
    if outcome.function_error:
        return internal_error(502)
    return None


def _proxy_response(api: Any, request: HttpRequest, outcome: Outcome) -> HttpResponse:
    failed = _failure(outcome)
    if failed is not None:
        return failed
    try:
        response = proxy_v1.response(outcome.payload,
                                     decode_base64=_is_binary(api, request.header("accept")))
    except (proxy_v1.Malformed, ValueError):
        return internal_error(502)
    assert outcome.result is not None
    response.headers.append(("x-amzn-RequestId", outcome.result.request_id))
    return response


def _non_proxy(integration: Any, outcome: Outcome) -> HttpResponse:
    failed = _failure(outcome)
    if failed is not None and not outcome.function_error:
        return failed
    assert outcome.result is not None
    status = 200
    for code, resp in (integration.integration_responses or {}).items():
        if not getattr(resp, "selection_pattern", None):
            status = int(code)
            break
    return HttpResponse(status, [("Content-Type", "application/json")],
                        outcome.result.raw_payload or b"null")
