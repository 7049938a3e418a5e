"""Which Lambda operation an HTTP request is, and whether its members satisfy the model.

Built from botocore's Lambda model (the requests every AWS SDK sends): each (method, path,
query) names exactly one operation, and a ``{Label}`` matches one path segment. moto instead
treats a path's last label as greedy, so ``DELETE /2015-03-31/functions/f/invocations`` was
DeleteFunction of ``f/invocations``; here it is no operation at all, and AWS answers a signed
request it cannot map to an operation with 403 AccessDeniedException "Unable to determine
service/operation name to be authorized" (seen from Lambda in boto/botocore#678,
aws/aws-cli#1552 and boto/boto3#294, when botocore sent a wrong path).

:func:`check` then checks what Coral checks before Lambda sees a request, with Coral's texts:
the path labels (FunctionName, LayerName, alias Name, StatementId, ...), the Qualifier query
parameter, the InvocationType and LogType headers, a body that must be JSON of the input's
shape (members of the right JSON types, required members present), and a FunctionName in the
body (CreateFunction, event source mappings).
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote

from botocore.loaders import Loader
from botocore.model import OperationModel, ServiceModel, Shape

from ..errors import AccessDeniedException, InvalidRequestContentException
from ..validation import (
    FUNCTION_NAME_PATTERN,
    NAMESPACED_FUNCTION_NAME_PATTERN,
    TAGGABLE_RESOURCE_PATTERN,
    constraint_errors,
    raise_validation,
)

__all__ = ["Route", "api_dates", "check", "route"]

#: AWS's own patterns (the model's lack the ``(eusc-)?`` partition AWS now prints).
_PATTERNS = {"FunctionName": FUNCTION_NAME_PATTERN,
             "NamespacedFunctionName": NAMESPACED_FUNCTION_NAME_PATTERN,
             "TaggableResource": TAGGABLE_RESOURCE_PATTERN}
#: Query members checked here (the others, e.g. MaxItems, Lambda checks itself: paging_api).
_QUERY_CHECKED = {"Qualifier", "FunctionName"}
_HEADERS_CHECKED = {"InvocationType", "LogType"}
UNROUTED = "Unable to determine service/operation name to be authorized"


@dataclass(frozen=True)
class Route:
    """A request's operation and its path labels (percent-decoded)."""

    operation: str
    labels: dict[str, str]


@functools.cache
def _model() -> ServiceModel:
    return ServiceModel(Loader().load_service_model("lambda", "service-2"), "lambda")


@functools.cache
def api_dates() -> frozenset[str]:
    """The version dates that begin the Lambda API's paths (``2015-03-31``, ...); no other
    service of botocore's REST models begins its paths with one of them."""
    model = _model()
    return frozenset(model.operation_model(name).http["requestUri"].split("/")[1]
                     for name in model.operation_names)


@functools.cache
def _routes() -> list[tuple[str, re.Pattern[str], dict[str, str], str]]:
    """(method, path regex, query members it requires, operation); those with a required query
    first (``GET /2018-10-31/layers?find=LayerVersion`` is GetLayerVersionByArn)."""
    found = []
    model = _model()
    for name in model.operation_names:
        http = model.operation_model(name).http
        path, _, query = http["requestUri"].partition("?")
        regex = "/".join(_segment(part) for part in path.rstrip("/").split("/"))
        found.append((http["method"], re.compile(f"^{regex}/?$"), dict(parse_qsl(query)), name))
    return sorted(found, key=lambda r: not r[2])


def _segment(part: str) -> str:
    label = re.fullmatch(r"\{(\w+)\+?\}", part)
    return f"(?P<{label[1]}>[^/]+)" if label else re.escape(part)


def route(method: str, path: str, query: dict[str, list[str]]) -> Route:
    """The operation of ``method`` and ``path`` (still percent-encoded, no query string).

    Raises:
        AccessDeniedException: no operation has this method and path (403, AWS's answer).
    """
    for verb, regex, required, name in _routes():
        if verb != method:
            continue
        match = regex.match(path)
        if match and all(query.get(k, [None])[0] == v for k, v in required.items()):
            return Route(name, {k: unquote(v) for k, v in match.groupdict().items()})
    raise AccessDeniedException(UNROUTED)


def _field(member: str) -> str:
    return member[:1].lower() + member[1:]


def _string_errors(value: str, member: str, shape: Shape) -> list[str]:
    meta = shape.metadata
    return constraint_errors(value, _field(member), min_len=meta.get("min"),
                             max_len=meta.get("max"),
                             pattern=_PATTERNS.get(shape.name, meta.get("pattern")),
                             enum=meta.get("enum", ()))


def check(found: Route, query: dict[str, list[str]], headers: Any, body: bytes | str | None
          ) -> dict[str, Any] | None:
    """Check a routed request's members; returns its JSON body (None: no body, or a payload
    operation such as Invoke whose body is the payload).

    Raises:
        ValidationException: Coral's "N validation errors detected: ..." for path labels, the
            Qualifier, the InvocationType/LogType headers, a missing required member or a
            FunctionName in the body.
        InvalidRequestContentException: the body is not JSON, or not of the input's shape.
    """
    op = _model().operation_model(found.operation)
    shape = op.input_shape
    if shape is None:
        return None
    errors: list[str] = []
    for member, mshape in shape.members.items():
        where = mshape.serialization.get("location")
        wire = mshape.serialization.get("name", member)
        absent = (where == "querystring" and wire not in query) or (
            where == "header" and headers.get(wire) is None)
        if absent and member in shape.required_members:  # e.g. UntagResource's tagKeys
            errors.append(f"Value null at '{_field(member)}' failed to satisfy constraint: "
                          "Member must not be null")
        elif where == "uri" and wire in found.labels:
            errors += _label_errors(found.labels[wire], member, mshape)
        elif where == "querystring" and member in _QUERY_CHECKED and wire in query:
            errors += _string_errors(query[wire][0], member, mshape)
        elif where == "header" and member in _HEADERS_CHECKED and headers.get(wire) is not None:
            errors += _string_errors(headers.get(wire), member, mshape)
    raise_validation(errors)
    if shape.serialization.get("payload"):
        return None
    return _check_body(op, body)


def _label_errors(value: str, member: str, shape: Shape) -> list[str]:
    if shape.type_name in ("integer", "long"):
        if re.fullmatch(r"-?\d{1,18}", value):  # a number; the operation checks its range
            return []
        # Emulator wording: AWS's answer to a non-numeric version in a path is not recorded.
        return [f"Value '{value}' at '{_field(member)}' failed to satisfy constraint: "
                "Member must be a number"]
    return _string_errors(value, member, shape)


def _check_body(op: OperationModel, body: bytes | str | None) -> dict[str, Any] | None:
    if not body:
        parsed: Any = {}
    else:
        try:
            parsed = json.loads(body)
        except (ValueError, UnicodeDecodeError) as e:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: {e}") from None
    shape = op.input_shape
    body_members = {k: s for k, s in shape.members.items()
                    if s.serialization.get("location") is None}
    if not isinstance(parsed, dict):
        raise InvalidRequestContentException(_wrong_type("", shape, parsed))
    errors = [f"Value null at '{_field(m)}' failed to satisfy constraint: Member must not be "
              "null" for m in shape.required_members if m in body_members and parsed.get(m) is None]
    for member, value in parsed.items():
        mshape = body_members.get(member)
        if mshape is None or value is None:
            continue  # unknown members are ignored, as by Coral
        errors += _check_type(_field(member), mshape, value)
        if mshape.name in _PATTERNS and isinstance(value, str):
            errors += _string_errors(value, member, mshape)
    raise_validation(errors)
    return parsed


_JSON_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "blob": (str,), "boolean": (bool,), "integer": (int,), "long": (int,),
    "float": (int, float), "double": (int, float), "timestamp": (int, float, str),
    "structure": (dict,), "map": (dict,), "list": (list,)}


def _wrong_type(path: str, shape: Shape, value: Any) -> str:
    # Emulator wording after Lambda's prefix for bodies it cannot read (InvalidRequestContent).
    where = f" at '{path}'" if path else ""
    return (f"Could not parse request body into json: expected a {shape.type_name}{where}, "
            f"got {type(value).__name__} {json.dumps(value)[:100]}")


def _check_type(path: str, shape: Shape, value: Any) -> list[str]:
    """Coral's errors for required members missing below ``value``; raises
    InvalidRequestContentException where ``value`` is not of ``shape``'s JSON type."""
    expected = _JSON_TYPES.get(shape.type_name, (object,))
    if not isinstance(value, expected) or (
            isinstance(value, bool) and bool not in expected):
        raise InvalidRequestContentException(_wrong_type(path, shape, value))
    errors = []
    if shape.type_name == "structure":
        for member in shape.required_members:
            if value.get(member) is None:
                errors.append(f"Value null at '{path}.{_field(member)}' failed to satisfy "
                              "constraint: Member must not be null")
        for member, mshape in shape.members.items():
            if value.get(member) is not None:
                errors += _check_type(f"{path}.{_field(member)}", mshape, value[member])
    elif shape.type_name == "list":
        for i, item in enumerate(value, 1):
            if item is not None:
                errors += _check_type(f"{path}.{i}.member", shape.member, item)
    elif shape.type_name == "map":
        for key, item in value.items():
            if item is not None:
                errors += _check_type(f"{path}.{key}", shape.value, item)
    return errors
