"""Where moto's control plane differs from AWS in something a front door reads, patched at the
narrowest point for the session (one function per service):

- ``apigateway``: CreateRestApi drops ``binaryMediaTypes``, and UpdateRestApi's AWS-style
  ``add /binaryMediaTypes/image~1png`` (the type in the path, no value) appends ``""``.
- ``apigatewayv2``: CreateApi ignores quick create (``Target``, ``RouteKey``): AWS then makes
  an integration, a route (``$default`` unless ``RouteKey``) and an auto-deployed ``$default``
  stage (API Gateway DG "Quick create").
- ``elbv2``: RegisterTargets of a Lambda function into a target group checks, as AWS does, that
  the function's resource policy lets ``elasticloadbalancing.amazonaws.com`` invoke it from
  that target group (else ``AccessDenied``, the message AWS sends).
"""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

from ..aws.lazy import LazyPatches

__all__ = ["start", "stop"]

_patches = LazyPatches()
_started: list[bool] = []


def _apigateway() -> list[Any]:
    from moto.apigateway.models import RestAPI
    from moto.apigateway.responses import APIGatewayResponse

    create, patch_ops = APIGatewayResponse.create_rest_api, RestAPI.apply_patch_operations

    def create_rest_api(self: Any) -> Any:
        status, headers, body = create(self)
        types = self._get_param("binaryMediaTypes")
        if status == 201 or status == 200:
            shape = json.loads(body)
            if types and shape.get("id") in self.backend.apis:
                self.backend.apis[shape["id"]].binaryMediaTypes = list(types)
                shape["binaryMediaTypes"] = list(types)
                body = json.dumps(shape)
        return status, headers, body

    def apply_patch_operations(self: Any, ops: list[dict[str, Any]]) -> None:
        fixed = []
        for op in ops:
            path = op.get("path", "")
            if path.startswith("/binaryMediaTypes/") and op.get("op") in ("add", "remove"):
                kind = path.split("/", 2)[2].replace("~1", "/")
                if op["op"] == "add" and kind not in self.binaryMediaTypes:
                    self.binaryMediaTypes.append(kind)
                elif op["op"] == "remove" and kind in self.binaryMediaTypes:
                    self.binaryMediaTypes.remove(kind)
                continue
            fixed.append(op)
        patch_ops(self, fixed)

    return [mock.patch.object(APIGatewayResponse, "create_rest_api", create_rest_api),
            mock.patch.object(RestAPI, "apply_patch_operations", apply_patch_operations)]


def _apigatewayv2() -> list[Any]:
    from moto.apigatewayv2.responses import ApiGatewayV2Response

    create = ApiGatewayV2Response.create_api

    def create_api(self: Any) -> Any:
        status, headers, body = create(self)
        params = json.loads(self.body or "{}")
        target = params.get("target")
        if target and params.get("protocolType") == "HTTP":
            api = self.apigatewayv2_backend.get_api(json.loads(body)["apiId"])
            integration = api.create_integration(
                connection_type=None, description=None, integration_method="POST",
                integration_type="AWS_PROXY", integration_uri=target,
                passthrough_behavior=None, payload_format_version="2.0",
                integration_subtype=None, request_parameters=None, request_templates=None,
                response_parameters=None, template_selection_expression=None,
                timeout_in_millis=None, tls_config=None, connection_id=None,
                content_handling_strategy=None, credentials_arn=params.get("credentialsArn"))
            api.create_route(
                api_key_required=False, authorization_scopes=None, authorization_type="NONE",
                authorizer_id=None, model_selection_expression=None, operation_name=None,
                request_models=None, request_parameters=None,
                route_key=params.get("routeKey") or "$default",
                route_response_selection_expression=None,
                target=f"integrations/{integration.id}")
            api.create_stage({"stageName": "$default", "autoDeploy": True})
        return status, headers, body

    return [mock.patch.object(ApiGatewayV2Response, "create_api", create_api)]


def _elbv2() -> list[Any]:
    from moto.elbv2.exceptions import ELBClientError
    from moto.elbv2.models import ELBv2Backend

    from ..sources import permissions
    from .invoke import platform_for

    register = ELBv2Backend.register_targets

    def register_targets(self: Any, target_group_arn: str, instances: list[Any]) -> None:
        group = self.target_groups.get(target_group_arn)
        if group is not None and group.target_type == "lambda":
            for target in instances:
                arn = target.get("Id", "")
                platform = platform_for(arn)
                if platform is None or not permissions.allows(
                        platform, arn, "elasticloadbalancing.amazonaws.com", target_group_arn,
                        self.account_id):
                    raise ELBClientError(
                        "AccessDenied", "elasticloadbalancing principal does not have "
                        f"permission to invoke {arn} from target group {target_group_arn}")
        register(self, target_group_arn, instances)

    return [mock.patch.object(ELBv2Backend, "register_targets", register_targets)]


def start() -> None:
    """Apply the fixes (idempotent), each when moto first imports its service: importing
    ``moto.apigateway`` alone takes seconds, which a session that never uses it should not pay."""
    if _started:
        return
    _started.append(True)
    _patches.when_imported("moto.apigateway.models", _apigateway)
    _patches.when_imported("moto.apigatewayv2.models", _apigatewayv2)
    _patches.when_imported("moto.elbv2.models", _elbv2)


def stop() -> None:
    _patches.stop()
    _started.clear()
