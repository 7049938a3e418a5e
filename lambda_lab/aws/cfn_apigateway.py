"""``AWS::ApiGateway::RestApi`` with an OpenAPI ``Body`` and ``AWS::ApiGateway::Stage``, the two
REST API resources of SAM's ``Api`` events that moto's CloudFormation lacks (its RestApi needs a
``Name`` and imports no ``Body``; it has no Stage). They build the API in moto's ``apigateway``
backend, which :mod:`lambda_lab.fronts.rest_api` answers requests from.

``Body``: an OpenAPI (Swagger 2.0 or 3.0) document, as SAM writes it (CloudFormation template
reference, AWS::ApiGateway::RestApi "Body": "An OpenAPI specification that defines a set of
RESTful APIs"): each path becomes a resource, each method (``x-amazon-apigateway-any-method``:
ANY) a method with its ``x-amazon-apigateway-integration``. ``Ref`` of a RestApi is its id,
``GetAtt RootResourceId`` its ``/`` resource; ``Ref`` of a Stage is its name.
"""

from __future__ import annotations

from typing import Any

from moto.apigateway.models import apigateway_backends

from .cfn_lambda import _Resource

__all__ = ["RESOURCE_TYPES", "HttpApi", "HttpStage", "RestApi", "Stage"]

_METHODS = {"get", "put", "post", "delete", "patch", "head", "options",
            "x-amazon-apigateway-any-method"}


def _backend(res: _Resource) -> Any:
    return apigateway_backends[res.account_id][res.region]


def _import_paths(backend: Any, api: Any, body: dict[str, Any]) -> None:
    for path, item in sorted((body.get("paths") or {}).items()):
        parent = api.get_resource_for_path("/")
        built = ""
        for part in [p for p in path.split("/") if p]:
            built += "/" + part
            found = api.get_resource_for_path(built)
            parent = found or backend.create_resource(api.id, parent.id, part)
        for verb, method in (item or {}).items():
            if verb.lower() not in _METHODS:
                continue
            name = "ANY" if verb.startswith("x-amazon") else verb.upper()
            backend.put_method(api.id, parent.id, name, "NONE")
            integration = method.get("x-amazon-apigateway-integration")
            if integration:
                backend.put_integration(
                    function_id=api.id, resource_id=parent.id, method_type=name,
                    integration_type=str(integration.get("type", "aws_proxy")).upper(),
                    uri=integration.get("uri"),
                    integration_method=integration.get("httpMethod", "POST"))


class RestApi(_Resource):
    TYPE = "AWS::ApiGateway::RestApi"
    ATTRS = {"RootResourceId": "root_id", "RestApiId": "ref"}

    def create(self, generated_name: str) -> None:
        body = self.props.get("Body") or {}
        name = self.props.get("Name") or (body.get("info") or {}).get("title") or generated_name
        backend = _backend(self)
        api = backend.create_rest_api(name=name, description=self.props.get("Description", ""),
                                      endpoint_configuration=self.props.get(
                                          "EndpointConfiguration"))
        if self.props.get("BinaryMediaTypes"):
            api.binaryMediaTypes = list(self.props["BinaryMediaTypes"])
        _import_paths(backend, api, body)
        self.ref, self.root_id = api.id, api.get_resource_for_path("/").id

    def update(self, old: _Resource) -> None:
        self.ref, self.root_id = old.ref, old.root_id  # type: ignore[attr-defined]
        backend = _backend(self)
        api = backend.get_rest_api(self.ref)
        for rid in [r for r, res in api.resources.items() if res.get_path() != "/"]:
            api.resources.pop(rid, None)
        _import_paths(backend, api, self.props.get("Body") or {})

    def remove(self) -> None:
        _backend(self).delete_rest_api(self.ref)


def _deployment_id(value: Any) -> Any:
    """moto's Deployment resource has no physical id: its Ref is the object itself."""
    if value is None or isinstance(value, str):
        return value
    return value["id"] if isinstance(value, dict) else getattr(value, "id", value)


class Stage(_Resource):
    TYPE = "AWS::ApiGateway::Stage"

    def replaces(self, old: _Resource) -> bool:
        return any(self.props.get(k) != old.props.get(k) for k in ("RestApiId", "StageName"))

    def create(self, generated_name: str) -> None:
        self.ref = self.props.get("StageName") or generated_name
        _backend(self).create_stage(self.props["RestApiId"], self.ref,
                                    _deployment_id(self.props.get("DeploymentId")),
                                    variables=self.props.get("Variables"),
                                    description=self.props.get("Description", ""))

    def update(self, old: _Resource) -> None:
        self.ref = old.ref
        stage = _backend(self).get_stage(self.props["RestApiId"], self.ref)
        stage.deployment_id = _deployment_id(self.props.get("DeploymentId"))
        stage.variables = dict(self.props.get("Variables") or {})

    def remove(self) -> None:
        _backend(self).delete_stage(self.props["RestApiId"], self.ref)


def _v2(res: _Resource) -> Any:
    from moto.apigatewayv2.models import apigatewayv2_backends

    return apigatewayv2_backends[res.account_id][res.region]


def _v2_body(body: dict[str, Any]) -> str:
    """The OpenAPI body for moto's ImportApi (which reads a method key as the route's verb)."""
    import json

    def method(m: Any) -> Any:
        integration = m.get("x-amazon-apigateway-integration") if isinstance(m, dict) else None
        if not integration:
            return m
        kind = str(integration.get("type", "aws_proxy")).upper()  # SAM writes it lower-case
        return {**m, "x-amazon-apigateway-integration": {**integration, "type": kind}}

    paths = {path: {("ANY" if verb == "x-amazon-apigateway-any-method" else verb): method(m)
                    for verb, m in (item or {}).items()}
             for path, item in (body.get("paths") or {}).items()}
    return json.dumps({**body, "paths": paths})


class HttpApi(_Resource):
    """``AWS::ApiGatewayV2::Api`` (HTTP): ``Body`` imported as ImportApi does; ``Ref``: the
    API id, ``GetAtt ApiEndpoint``."""

    TYPE = "AWS::ApiGatewayV2::Api"
    ATTRS = {"ApiEndpoint": "endpoint", "ApiId": "ref"}

    def create(self, generated_name: str) -> None:
        body = self.props.get("Body") or {}
        api = _v2(self).create_api(
            api_key_selection_expression=None, cors_configuration=self.props.get(
                "CorsConfiguration"), description=self.props.get("Description"),
            disable_schema_validation=None,
            disable_execute_api_endpoint=self.props.get("DisableExecuteApiEndpoint"),
            name=self.props.get("Name") or (body.get("info") or {}).get("title")
            or generated_name, protocol_type=self.props.get("ProtocolType", "HTTP"),
            route_selection_expression=None, tags=self.props.get("Tags") or {},
            version=None)
        if body:
            api.import_api(_v2_body(body), fail_on_warnings=False)
        self.ref, self.endpoint = api.api_id, api.api_endpoint

    def update(self, old: _Resource) -> None:
        self.ref, self.endpoint = old.ref, old.endpoint  # type: ignore[attr-defined]
        if self.props.get("Body"):
            _v2(self).get_api(self.ref).import_api(_v2_body(self.props["Body"]),
                                                   fail_on_warnings=False)

    def remove(self) -> None:
        _v2(self).delete_api(self.ref)


class HttpStage(_Resource):
    """``AWS::ApiGatewayV2::Stage``; ``Ref``: the stage name."""

    TYPE = "AWS::ApiGatewayV2::Stage"

    def _config(self) -> dict[str, Any]:
        return {"stageName": self.props.get("StageName"),
                "autoDeploy": self.props.get("AutoDeploy"),
                "stageVariables": self.props.get("StageVariables") or {},
                "description": self.props.get("Description")}

    def create(self, generated_name: str) -> None:
        self.ref = str(self.props.get("StageName"))
        _v2(self).get_api(self.props["ApiId"]).create_stage(self._config())

    def update(self, old: _Resource) -> None:
        self.ref = old.ref
        api = _v2(self).get_api(self.props["ApiId"])
        api.delete_stage(self.ref)
        api.create_stage(self._config())

    def remove(self) -> None:
        _v2(self).get_api(self.props["ApiId"]).delete_stage(self.ref)


RESOURCE_TYPES: dict[str, type[_Resource]] = {c.TYPE: c for c in (RestApi, Stage, HttpApi,
                                                                    HttpStage)}
