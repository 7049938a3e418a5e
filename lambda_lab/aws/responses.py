"""The Lambda API's wire side: moto parses the request, the platform answers, this translates.

A subclass of moto's ``LambdaResponse`` (so moto's parsing and action dispatch are reused); the
operations on functions, versions, aliases and Invoke are answered by the session's
:class:`~lambda_lab.platform.Platform`. Domain errors (:class:`~lambda_lab.errors.LambdaError`)
become AWS error responses in one place, :meth:`LabResponse.call_action`.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from dataclasses import replace
from typing import Any
from urllib.parse import parse_qs

from moto.awslambda.responses import LambdaResponse
from moto.core.common_types import TYPE_RESPONSE
from moto.core.utils import camelcase_to_underscores

from ..errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    LambdaError,
    NotEmulatedException,
    ResourceNotFoundException,
    ServiceException,
)
from ..fronts.function_url_api import FunctionUrlResponses
from ..platform import DRY_RUN, EVENT, LATEST, Code, FunctionConfig, Platform, Version
from ..platform.arns import parse_function_ref
from ..platform.logconfig import TEXT
from ..platform.model import check_revision
from ..platform.tracing import attach as attach_tracing
from ..validation import raise_validation, validate_function_name
from . import code_api, image_api, operations, paging_api, services, shapes, vpc_config
from .async_api import AsyncResponses
from .code_signing_api import CodeSigningResponses
from .concurrency_api import ConcurrencyResponses
from .esm_api import EventSourceMappingResponses
from .layers_api import LayersAPI
from .permissions_api import PermissionResponses
from .tags_api import TagResponses, check_tag_count

__all__ = ["LabResponse"]

_log = logging.getLogger(__name__)


def action_names(original: Any) -> Any:
    """moto's ``method_names_from_class``, cached for :class:`LabResponse` (whose methods never
    change): moto lists a class's methods with ``inspect.getmembers`` on every request, about
    0.5 ms for this class and its mixins. Other classes (patched per session) go to ``original``."""
    cached: list[str] = []

    def names(clazz: object) -> list[str]:
        if clazz is not LabResponse:
            return original(clazz)
        if not cached:
            cached.extend(original(clazz))
        return cached

    return names


def _reply(status: int, body: Any = "", headers: dict[str, str] | None = None) -> TYPE_RESPONSE:
    # moto takes the status from the "status" header.
    text = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return status, {"Content-Type": "application/json", **(headers or {}), "status": str(status)}, \
        text


def check_region(ref: str | None, region: str) -> None:
    """A function ARN of another Region: ResourceNotFoundException, as AWS answers it
    (recorded: "Functions from 'eu-central-1' are not reachable in this region
    ('us-east-1')")."""
    parts = (ref or "").split(":")
    if len(parts) > 3 and parts[0] == "arn" and parts[3] and parts[3] != region:
        raise ResourceNotFoundException(
            f"Functions from '{parts[3]}' are not reachable in this region ('{region}')")


def check_architectures(given: Any) -> None:
    """Architectures: one of x86_64 / arm64 (Coral's ValidationException, as recorded)."""
    if given is None:
        return
    shown = "[" + ", ".join(str(a) for a in given) + "]"
    if len(given) > 1:
        raise_validation([f"Value '{shown}' at 'architectures' failed to satisfy constraint: "
                          "Member must have length less than or equal to 1"])
    if any(a not in ("x86_64", "arm64") for a in given):
        raise_validation([f"Value '{shown}' at 'architectures' failed to satisfy constraint: "
                          "Member must satisfy constraint: [Member must satisfy enum value set: "
                          "[x86_64, arm64], Member must not be null]"])


def check_snap_start(body: dict[str, Any]) -> str | None:
    """SnapStart.ApplyOn of a request (None: not given), checked against the model's enum with
    Coral's message (recorded test_snapstart_exceptions)."""
    if "SnapStart" not in body:
        return None
    apply_on = (body["SnapStart"] or {}).get("ApplyOn", "None")
    if apply_on not in ("PublishedVersions", "None"):
        raise_validation([f"Value '{apply_on}' at 'snapStart.applyOn' failed to satisfy "
                          "constraint: Member must satisfy enum value set: "
                          "[PublishedVersions, None]"])
    return str(apply_on)


def _version_key(v: Version) -> tuple[str, int]:
    """Functions by name, each one's $LATEST first and then its versions in order."""
    return v.function_name, -1 if v.number == LATEST else int(v.number)


class LabResponse(ConcurrencyResponses, LayersAPI, AsyncResponses, FunctionUrlResponses,
                  EventSourceMappingResponses, PermissionResponses, TagResponses,
                  CodeSigningResponses, LambdaResponse):
    """moto's Lambda responses, answered by lambda_lab's platform where it differs from AWS."""

    @property
    def platform(self) -> Platform:
        import moto.awslambda.models as models

        return models.lambda_backends[self.current_account][self.region].platform

    @staticmethod
    def _enrich_response(headers: dict[str, str], body: Any) -> tuple[dict[str, str], Any]:
        """moto stamps a random request id on every response; an Invoke answers with the
        invocation's own (the handler's ``context.aws_request_id``), as AWS does."""
        ours = headers.pop("x-amzn-RequestId", None)
        headers, body = LambdaResponse._enrich_response(headers, body)
        if ours:
            headers["x-amzn-requestid"] = ours
        return headers, body

    def _dispatch(self, request: Any, full_url: str, headers: Any) -> TYPE_RESPONSE:
        """moto's, but the body stays bytes (an Invoke payload need not be UTF-8) and the query
        is the URL's own (moto falls back to the body's form fields and the headers)."""
        try:
            self.setup_class(request, full_url, headers, use_raw_body=True)
        except Exception as e:  # e.g. a gzip Content-Encoding over bytes that are not gzip
            return self._error(InvalidRequestContentException(
                f"Could not parse request body into json: {e}"))
        self.querystring = parse_qs(self.parsed_url.query, keep_blank_values=True)
        return self.call_action()

    @property
    def json_body(self) -> dict[str, Any]:
        """The request's JSON object, as checked by :func:`operations.check` (an empty body is
        ``{}``, as AWS reads it)."""
        return self._body if getattr(self, "_body", None) is not None else {}

    def _get_action(self) -> str:
        route = getattr(self, "_route", None)
        return route.operation if route is not None else super()._get_action()

    @staticmethod
    def _error(e: LambdaError) -> TYPE_RESPONSE:
        headers = {**e.headers(), "Content-Type": "application/json", "status": str(e.status)}
        return e.status, headers, json.dumps(e.to_dict())

    def call_action(self) -> TYPE_RESPONSE:
        """Route the request to exactly its AWS operation, check its members (Coral's errors),
        then run it; every error is an AWS-shaped JSON answer."""
        try:
            self._route = operations.route(self.method, self.raw_path, self.querystring)
            self._body = operations.check(self._route, self.querystring, self.headers,
                                          self.raw_body)
            check_region(self._route.labels.get("FunctionName"), self.region)
            action = camelcase_to_underscores(self._route.operation)
            if not callable(getattr(self, action, None)):
                raise NotEmulatedException(
                    f"lambda_lab does not emulate {self._route.operation}.")
            status, headers, body = super().call_action()
        except LambdaError as e:
            return self._error(e)
        except Exception:  # a bug of ours: still an AWS-shaped answer, and a log line
            _log.exception("lambda_lab: %s %s failed", self.method, self.raw_path)
            return self._error(ServiceException("An internal error occurred."))
        if not any(k.lower() == "content-type" for k in headers):  # moto's str answers
            headers["Content-Type"] = "application/json"
        return status, headers, body

    # ----------------------------------------------------------------- request parts

    def _path_function(self) -> str:
        return self._route.labels["FunctionName"]

    def _qualifier(self) -> str | None:
        return self.querystring.get("Qualifier", [None])[0]

    def _latest_only(self) -> str:
        """The path's function, for calls that change ``$LATEST`` only (UpdateFunctionCode,
        UpdateFunctionConfiguration): a version or alias in the name is refused, as on AWS."""
        ref, qualifier = parse_function_ref(self._path_function())
        if qualifier not in (None, "$LATEST"):
            raise InvalidParameterValueException(
                "Current operation does not support versions other than $LATEST. Please set the "
                "version to $LATEST or do not set a version in your request.")
        return ref

    def _code(self, name: str, spec: dict[str, Any], image: bool = False) -> Code:
        if image:
            return image_api.image_code(spec["ImageUri"], self.region)
        return code_api.zip_code(self.current_account, name, spec)

    # ----------------------------------------------------------------- functions

    def create_function(self) -> TYPE_RESPONSE:
        code_api.check_request_size("CreateFunction", self.raw_body)
        body = self.json_body
        name, _ = validate_function_name(body["FunctionName"], create=True)  # before any disk
        check_region(body["FunctionName"], self.region)
        image = image_api.check_create(body)
        check_architectures(body.get("Architectures"))
        snap_start = check_snap_start(body) or "None"
        config = FunctionConfig(
            code=self._code(name, body["Code"], True) if image else Code("", "", 0),
            handler=body.get("Handler", ""), role=body.get("Role", ""),
            runtime=body.get("Runtime", ""), memory=body.get("MemorySize", 128),
            timeout=body.get("Timeout", 3),
            ephemeral_storage=(body.get("EphemeralStorage") or {}).get("Size", 512),
            environment=(body.get("Environment") or {}).get("Variables") or {},
            environment_sent="Variables" in (body.get("Environment") or {}),
            description=body.get("Description", ""),
            architecture=(body.get("Architectures") or ["x86_64"])[0],
            layers=self._layer_refs(body.get("Layers")),
            dead_letter_arn=(body.get("DeadLetterConfig") or {}).get("TargetArn") or "",
            tracing=shapes.tracing_mode(body, "PassThrough"),
            logging=TEXT.merged(body.get("LoggingConfig")),
            image_config=body.get("ImageConfig") or {}, snap_start=snap_start)
        config.validate()
        check_tag_count(body.get("Tags") or {})
        services.check_role(self.current_account, config.role)
        if "VpcConfig" in body:  # subnets, groups and the role's ENI permissions (vpc_config)
            config = replace(config, vpc=vpc_config.parse(self.current_account, self.region,
                                                          config.role, body["VpcConfig"]))
        if not image:
            config = replace(config, code=self._code(name, body.get("Code") or {}))
        attach_tracing(self.platform, shapes.xray_sink(self.current_account, self.region))
        self._attach_log_groups(config)
        version = self.platform.create_function(name, config, publish=body.get("Publish", False),
                                                tags=body.get("Tags"))
        shape = shapes.configuration(self.platform, version)
        # Published on create: Version "1", yet an unqualified FunctionArn (recorded).
        shape["FunctionArn"] = self.platform.arn(name)
        return _reply(201, shape)

    def get_function(self) -> str:
        ref, qualifier = parse_function_ref(self._path_function(), self._qualifier())
        version = self.platform.version(ref, qualifier)
        fn = self.platform.function(ref)
        return json.dumps(shapes.get_function_shape(self.platform, fn, version, qualifier))

    def get_function_configuration(self) -> str:
        ref, qualifier = parse_function_ref(self._path_function(), self._qualifier())
        version = self.platform.version(ref, qualifier)
        return json.dumps(shapes.configuration(self.platform, version, qualifier))

    def list_functions(self) -> str:
        which = self.querystring.get("FunctionVersion", [None])[0]
        if which not in (None, "ALL"):
            raise_validation([f"Value '{which}' at 'functionVersion' failed to satisfy "
                              "constraint: Member must satisfy enum value set: [ALL]"])
        every = which == "ALL"
        versions = [v for fn in self.platform.list_functions()
                    for v in (fn.all_versions() if every else [fn.latest])]
        chosen, marker = paging_api.page(self.querystring, "functions", versions, _version_key)
        # FunctionVersion=ALL qualifies every ARN, $LATEST's too (recorded list_all).
        body: dict[str, Any] = {"Functions": [
            shapes.configuration(self.platform, v, v.number if every else None, listed=True)
            for v in chosen]}
        if marker:
            body["NextMarker"] = marker
        return json.dumps(body)

    def delete_function(self) -> TYPE_RESPONSE:
        self.platform.delete_function(self._path_function(), self._qualifier())
        return _reply(204)

    def update_function_code(self) -> TYPE_RESPONSE:
        code_api.check_request_size("UpdateFunctionCode", self.raw_body)
        ref, body = self._latest_only(), self.json_body
        fn = self.platform.function(ref)
        self.platform.check_updatable(fn)
        check_revision(fn.latest.revision_id, body.get("RevisionId"))
        image_api.check_update_code(fn.latest.config.package_type, body)
        code = self._code(fn.name, body, fn.latest.config.package_type == "Image")
        version = self.platform.update_code(ref, code,
                                            publish=body.get("Publish", False),
                                            revision_id=body.get("RevisionId"))
        return _reply(200, shapes.configuration(self.platform, version))

    def update_function_configuration(self) -> TYPE_RESPONSE:
        body = self.json_body
        fields = {"Handler": "handler", "Role": "role", "Runtime": "runtime",
                  "MemorySize": "memory", "Timeout": "timeout", "Description": "description"}
        changes: dict[str, Any] = {f: body[k] for k, f in fields.items() if k in body}
        if "Environment" in body:
            changes["environment"] = (body["Environment"] or {}).get("Variables") or {}
            changes["environment_sent"] = "Variables" in (body["Environment"] or {})
        if "EphemeralStorage" in body:
            changes["ephemeral_storage"] = body["EphemeralStorage"]["Size"]
        if "SnapStart" in body:
            changes["snap_start"] = check_snap_start(body)
        if "Layers" in body:
            changes["layers"] = self._layer_refs(body["Layers"] or [])
        if "DeadLetterConfig" in body:
            changes["dead_letter_arn"] = (body["DeadLetterConfig"] or {}).get("TargetArn") or ""
        fn = self.platform.function(self._latest_only())
        if fn.latest.config.package_type == "Image":
            changes.update(image_api.configuration_changes(body))
        if "TracingConfig" in body:
            changes["tracing"] = shapes.tracing_mode(body, fn.latest.config.tracing)
        if "LoggingConfig" in body:
            changes["logging"] = fn.latest.config.logging.merged(body["LoggingConfig"])
        self.platform.check_updatable(fn)
        check_revision(fn.latest.revision_id, body.get("RevisionId"))
        replace(fn.latest.config, **changes).validate()
        if "role" in changes:
            services.check_role(self.current_account, changes["role"])
        if "VpcConfig" in body:  # empty lists: out of the VPC (vpc_config)
            changes["vpc"] = vpc_config.parse(self.current_account, self.region,
                                              changes.get("role", fn.latest.config.role),
                                              body["VpcConfig"])
        version = self.platform.update_configuration(fn.name, revision_id=body.get("RevisionId"),
                                                     **changes)
        self._attach_log_groups(version.config)
        return _reply(200, shapes.configuration(self.platform, version))

    def _attach_log_groups(self, config: FunctionConfig) -> None:
        """A custom LoggingConfig.LogGroup: the platform's logs for it go to CloudWatch Logs."""
        if config.logging.log_group and self.platform.log_group_sink is None:
            self.platform.log_group_sink = shapes.log_group_sink(self.current_account,
                                                                 self.region)

    # ----------------------------------------------------------------- versions and aliases

    def publish_version(self) -> TYPE_RESPONSE:
        body = self.json_body if self.body else {}
        version = self.platform.publish_version(self._path_function(), body.get("Description"),
                                                revision_id=body.get("RevisionId"),
                                                code_sha256=body.get("CodeSha256"))
        return _reply(201, shapes.configuration(self.platform, version))

    def list_versions_by_function(self) -> str:
        fn = self.platform.function(self._path_function())
        chosen, marker = paging_api.page(self.querystring, "versions", fn.all_versions(),
                                         _version_key)
        body: dict[str, Any] = {"Versions": [shapes.configuration(self.platform, v, v.number,
                                                                  listed=True)
                                             for v in chosen]}
        if marker:
            body["NextMarker"] = marker
        return json.dumps(body)

    def _alias_name(self) -> str:
        return self._route.labels["Name"]

    @staticmethod
    def _weights(body: dict[str, Any]) -> dict[str, float] | None:
        if "RoutingConfig" not in body:
            return None
        return (body["RoutingConfig"] or {}).get("AdditionalVersionWeights") or {}

    def create_alias(self) -> TYPE_RESPONSE:
        body, ref = self.json_body, self._path_function()
        alias = self.platform.create_alias(ref, body["Name"], str(body["FunctionVersion"]),
                                           description=body.get("Description", ""),
                                           weights=self._weights(body))
        return _reply(201, shapes.alias_shape(self.platform, self.platform.function(ref), alias))

    def update_alias(self) -> TYPE_RESPONSE:
        body, ref = self.json_body, self._path_function()
        version = body.get("FunctionVersion")
        alias = self.platform.update_alias(ref, self._alias_name(),
                                           version=None if version is None else str(version),
                                           description=body.get("Description"),
                                           weights=self._weights(body),
                                           revision_id=body.get("RevisionId"))
        return _reply(200, shapes.alias_shape(self.platform, self.platform.function(ref), alias))

    def get_alias(self) -> TYPE_RESPONSE:
        ref = self._path_function()
        alias = self.platform.get_alias(ref, self._alias_name())
        return _reply(200, shapes.alias_shape(self.platform, self.platform.function(ref), alias))

    def delete_alias(self) -> TYPE_RESPONSE:
        self.platform.delete_alias(self._path_function(), self._alias_name())
        return _reply(204)

    def list_aliases(self) -> TYPE_RESPONSE:
        fn = self.platform.function(self._path_function())
        only = self.querystring.get("FunctionVersion", [None])[0]
        found = [a for a in fn.aliases.values() if only is None or a.function_version == only]
        chosen, marker = paging_api.page(self.querystring, "aliases", found,
                                         lambda a: (a.name,))
        body: dict[str, Any] = {"Aliases": [shapes.alias_shape(self.platform, fn, a)
                                            for a in chosen]}
        if marker:
            body["NextMarker"] = marker
        return _reply(200, body)

    # ----------------------------------------------------------------- invoking

    def _client_context(self) -> dict | None:
        raw = self.headers.get("X-Amz-Client-Context")
        if not raw:
            return None
        try:
            return json.loads(base64.b64decode(raw))
        except (ValueError, binascii.Error):
            return None

    def invoke(self) -> TYPE_RESPONSE:
        payload = self.raw_body or b""
        if isinstance(payload, str):
            payload = payload.encode()
        kind = self.headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        inv = self.platform.invoke(self._path_function(), payload, qualifier=self._qualifier(),
                                   invocation_type=kind, client_context=self._client_context(),
                                   trace_id=self.headers.get("X-Amzn-Trace-Id"))
        headers = {"x-amzn-RequestId": inv.request_id}
        if kind == EVENT:
            return _reply(202, b"", headers)
        headers["X-Amz-Executed-Version"] = inv.executed_version
        if kind == DRY_RUN or inv.result is None:
            return _reply(204, b"", headers)
        result = inv.result
        if result.function_error:
            headers["X-Amz-Function-Error"] = result.function_error
        if self.headers.get("X-Amz-Log-Type") == "Tail":
            headers["X-Amz-Log-Result"] = result.log_tail
        return _reply(200, result.raw_payload, headers)

    def invoke_async(self) -> TYPE_RESPONSE:
        """The deprecated InvokeAsync: an Event invocation with the old 256 KB limit."""
        payload = self.raw_body or b""
        if isinstance(payload, str):
            payload = payload.encode()
        if len(payload) > 256 * 1024:
            from ..errors import RequestEntityTooLargeException

            raise RequestEntityTooLargeException(
                f"{len(payload)} byte payload is too large for the Event invocation type "
                f"(limit {256 * 1024} bytes)")
        self.platform.invoke(self._path_function(), payload, invocation_type=EVENT)
        return _reply(202, {"Status": 202})

