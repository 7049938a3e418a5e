"""Create/Get/Update/Delete/ListFunctionUrlConfig(s) of the Lambda API, as response methods
mixed into ``LabResponse`` (moto's differ from AWS: no trailing slash, a uuid as url-id,
``InvokeMode`` "Buffered"). Shapes and errors as AWS answers them (front-doors.md §4; Lambda
API reference CreateFunctionUrlConfig)."""

from __future__ import annotations

import json
import re
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

from moto.core.common_types import TYPE_RESPONSE

from ..errors import ResourceConflictException, ResourceNotFoundException, ValidationException
from ..platform.arns import parse_function_ref
from . import function_urls
from .function_urls import UrlConfig

if TYPE_CHECKING:
    from ..platform import Platform
    from ..platform.model import Function

__all__ = ["URL_PATHS", "FunctionUrlResponses"]

#: The route moto's Lambda url map lacks (added to ``lambda_lab.aws.urls``).
URL_PATHS = [r"{0}/(?P<api_version>[^/]+)/functions/(?P<function_name>[\w_:%-]+)/urls/?$"]

_QUALIFIER = r"((?!^\d+$)^[0-9a-zA-Z-_]+$)"
_ENUMS = {"authType": ("AuthType", ["NONE", "AWS_IAM"]),
          "invokeMode": ("InvokeMode", ["RESPONSE_STREAM", "BUFFERED"])}
NOT_FOUND = "The resource you requested does not exist."


def _reply(status: int, body: Any = "") -> TYPE_RESPONSE:
    text = body if isinstance(body, str) else json.dumps(body)
    return status, {"Content-Type": "application/json", "status": str(status)}, text


def _validate(body: dict[str, Any], *, create: bool) -> None:
    errors = []
    for member, (key, allowed) in _ENUMS.items():
        value = body.get(key)
        if value is None:
            if create and key == "AuthType":
                errors.append(f"Value null at '{member}' failed to satisfy constraint: Member "
                              "must not be null")
            continue
        if value not in allowed:
            errors.append(f"Value '{value}' at '{member}' failed to satisfy constraint: Member "
                          f"must satisfy enum value set: [{', '.join(allowed)}]")
    if errors:
        raise ValidationException(f"{len(errors)} validation error"
                                  f"{'s' if len(errors) > 1 else ''} detected: "
                                  + "; ".join(errors))


class FunctionUrlResponses:
    """The function URL operations (``self.platform`` and moto's request parsing from
    ``LabResponse``)."""

    platform: Platform
    body: Any
    path: str
    querystring: dict[str, list[str]]

    def _url_target(self) -> tuple[Function, str | None, str]:
        ref = unquote(self.path.split("/")[3])
        qualifier = self.querystring.get("Qualifier", [None])[0]
        if qualifier is not None and qualifier != "$LATEST" and (
                qualifier.isdigit() or not re.fullmatch(r"[0-9a-zA-Z_-]+", qualifier)):
            raise ValidationException(
                f"1 validation error detected: Value '{qualifier}' at 'qualifier' failed to "
                f"satisfy constraint: Member must satisfy regular expression pattern: "
                f"{_QUALIFIER}")
        name, qualifier = parse_function_ref(ref, qualifier)
        self.platform.version(name, qualifier)  # ResourceNotFoundException
        if qualifier == "$LATEST":
            qualifier = None
        return self.platform.function(name), qualifier, self.platform.arn(name, qualifier)

    def _url_config(self) -> tuple[Function, UrlConfig, str]:
        fn, qualifier, arn = self._url_target()
        config = function_urls.configs_of(fn).get(qualifier)
        if config is None:
            raise ResourceNotFoundException(NOT_FOUND)
        return fn, config, arn

    def create_function_url_config(self) -> TYPE_RESPONSE:
        body = json.loads(self.body) if self.body else {}
        _validate(body, create=True)
        fn, qualifier, arn = self._url_target()
        if qualifier in function_urls.configs_of(fn):
            raise ResourceConflictException(
                f"Failed to create function url config for [functionArn = {arn}]. Error "
                "message:  FunctionUrlConfig exists for this Lambda function")
        now = function_urls.timestamp(self.platform.clock.now())
        config = UrlConfig(function_urls.new_url_id(), fn.name, qualifier, body["AuthType"],
                           body.get("InvokeMode") or "BUFFERED", body.get("Cors"), now, now)
        function_urls.store(self.platform, fn, config)
        return _reply(201, config.shape(arn, create=True))

    def get_function_url_config(self) -> TYPE_RESPONSE:
        try:
            _, config, arn = self._url_config()
        except ResourceNotFoundException:  # no function either: AWS's generic answer
            raise ResourceNotFoundException(NOT_FOUND) from None
        return _reply(200, config.shape(arn))

    def update_function_url_config(self) -> TYPE_RESPONSE:
        body = json.loads(self.body) if self.body else {}
        _validate(body, create=False)
        _, config, arn = self._url_config()
        if body.get("AuthType"):
            config.auth_type = body["AuthType"]
        if body.get("InvokeMode"):
            config.invoke_mode = body["InvokeMode"]
        if "Cors" in body:
            config.cors = body["Cors"]
        config.modified = function_urls.timestamp(self.platform.clock.now())
        return _reply(200, config.shape(arn))

    def delete_function_url_config(self) -> TYPE_RESPONSE:
        fn, config, _ = self._url_config()
        function_urls.remove(fn, config.qualifier)
        return _reply(204)

    def list_function_url_configs(self) -> TYPE_RESPONSE:
        ref = unquote(self.path.split("/")[3])
        name, _ = parse_function_ref(ref)
        fn = self.platform.function(name)
        configs = sorted(function_urls.configs_of(fn).values(),
                         key=lambda c: c.qualifier or "")
        return _reply(200, {"FunctionUrlConfigs": [
            c.shape(self.platform.arn(fn.name, c.qualifier)) for c in configs]})
