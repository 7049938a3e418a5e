"""Validate a function's configuration the way Lambda does, raising AWS's errors and messages.

Model constraints (ranges, patterns) answer in the Coral style, ``1 validation error detected:
Value '...' at 'field' failed to satisfy constraint: ...``, as a ValidationException; rules Lambda
checks itself answer with InvalidParameterValueException. Every function returns ``None`` and
raises a :class:`~lambda_lab.errors.LambdaError` subclass on the first failure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence

from lambda_lab import limits
from lambda_lab.errors import (
    InvalidParameterValueException,
    RequestEntityTooLargeException,
    ValidationException,
)

__all__ = [
    "ENV_VAR_KEY_PATTERN",
    "FUNCTION_NAME_PATTERN",
    "NAMESPACED_FUNCTION_NAME_PATTERN",
    "QUALIFIER_PATTERN",
    "constraint_errors",
    "function_name_errors",
    "qualifier_errors",
    "raise_validation",
    "safe_folder_name",
    "validate_function_name",
    "validate_new_function_name",
    "validate_environment",
    "validate_ephemeral_storage",
    "validate_function_config",
    "validate_layers",
    "validate_memory",
    "validate_package",
    "validate_runtime",
    "validate_timeout",
]

#: The model's pattern for environment variable names (botocore ``EnvironmentVariableName``).
ENV_VAR_KEY_PATTERN = "[a-zA-Z]([a-zA-Z0-9_])+"
_ENV_KEY_RE = re.compile(ENV_VAR_KEY_PATTERN)


#: FunctionName on CreateFunction and the calls that change a function (the botocore shape
#: ``FunctionName``): no dots, ``$LATEST`` or an alias/version after the name, 140 characters.
#: The text AWS prints in its ValidationException (LocalStack's AWS-recorded snapshots,
#: test_lambda_api.snapshot.json, test_function_name_and_qualifier_validation).
_ARN_PREFIX = (r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-"
               r"\d{1}:)?(\d{12}:)?(function:)?")
FUNCTION_NAME_PATTERN = _ARN_PREFIX + r"([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?"
#: FunctionName on Get/Delete/Invoke/permissions/event invoke configs (``NamespacedFunctionName``):
#: dots allowed, ``$LATEST.PUBLISHED``, 256 characters (botocore model).
NAMESPACED_FUNCTION_NAME_PATTERN = (
    _ARN_PREFIX + r"([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|[a-zA-Z0-9-_]+))?")
#: TagResource / UntagResource / ListTags ``Resource``, as AWS prints it (the model's lacks
#: ``(eusc-)?`` and layers; LocalStack's AWS-recorded TestLambdaTags snapshots).
TAGGABLE_RESOURCE_PATTERN = (
    r"arn:(aws[a-zA-Z-]*):lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:"
    r"(function:[a-zA-Z0-9-_]+(:(\$LATEST|[a-zA-Z0-9-_]+))?|layer:([a-zA-Z0-9-_]+)|"
    r"code-signing-config:csc-[a-z0-9]{17}|event-source-mapping:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-"
    r"[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|capacity-provider:[a-zA-Z0-9-_]+)")
#: The Qualifier query parameter of Get/Delete/Invoke (``NumericLatestPublishedOrAliasQualifier``).
QUALIFIER_PATTERN = r"\$(LATEST(\.PUBLISHED)?)|[a-zA-Z0-9-_$]+"
FUNCTION_NAME_MAX = 64  #: a function's own name (Lambda's check after the model's)
_NAME_GROUPS = re.compile(NAMESPACED_FUNCTION_NAME_PATTERN)
_SAFE_CHARS = re.compile(r"[^A-Za-z0-9_.-]")


def constraint_errors(value: str | None, field: str, *, min_len: int | None = None,
                      max_len: int | None = None, pattern: str | None = None,
                      enum: Sequence[str] = ()) -> list[str]:
    """Coral's messages for one string member, in its order: length, then pattern or enum.

    ``value`` None: the member is absent (``Member must not be null``, for required members)."""
    if value is None:
        return [f"Value null at '{field}' failed to satisfy constraint: Member must not be null"]
    head = f"Value '{value}' at '{field}' failed to satisfy constraint: "
    found = []
    if min_len is not None and len(value) < min_len:
        found.append(head + f"Member must have length greater than or equal to {min_len}")
    if max_len is not None and len(value) > max_len:
        found.append(head + f"Member must have length less than or equal to {max_len}")
    if pattern is not None and not re.fullmatch(pattern, value):
        found.append(head + f"Member must satisfy regular expression pattern: {pattern}")
    if enum and value not in enum:
        found.append(head + f"Member must satisfy enum value set: [{', '.join(enum)}]")
    return found


def raise_validation(errors: Sequence[str]) -> None:
    """Raise Coral's ValidationException for ``errors`` (none: return): ``1 validation error
    detected: ...`` or ``N validation errors detected: a; b`` (AWS-recorded, see above)."""
    if errors:
        noun = "error" if len(errors) == 1 else "errors"
        raise ValidationException(
            f"{len(errors)} validation {noun} detected: " + "; ".join(errors))


def function_name_errors(ref: str, *, create: bool = False) -> list[str]:
    """The model's errors for a FunctionName: 1-140 characters and FUNCTION_NAME_PATTERN when
    ``create`` (CreateFunction, UpdateFunctionCode, ...), else 1-256 and the namespaced one."""
    if create:
        return constraint_errors(ref, "functionName", min_len=1, max_len=140,
                                 pattern=FUNCTION_NAME_PATTERN)
    return constraint_errors(ref, "functionName", min_len=1, max_len=256,
                             pattern=NAMESPACED_FUNCTION_NAME_PATTERN)


def qualifier_errors(qualifier: str | None) -> list[str]:
    """The model's errors for a Qualifier query parameter (absent: none)."""
    if qualifier is None:
        return []
    return constraint_errors(qualifier, "qualifier", min_len=1, max_len=128,
                             pattern=QUALIFIER_PATTERN)


def validate_function_name(ref: str, qualifier: str | None = None, *,
                           create: bool = False) -> tuple[str, str | None]:
    """Check a FunctionName (and Qualifier) as Lambda does; returns (name, qualifier in ref).

    ``create``: CreateFunction's rules, where the function's own name is at most 64 characters
    (AWS answers a 65-character name with InvalidParameterValueException, Coral's text,
    LocalStack's AWS-recorded ``long_function_name_exc``); elsewhere a longer name is just not
    found.

    Raises:
        ValidationException: length or pattern (both listed when both fail), or the qualifier.
        InvalidParameterValueException: ``create`` and a name over 64 characters.
    """
    if not isinstance(ref, str):  # a JSON number or object where a name belongs
        pattern = FUNCTION_NAME_PATTERN if create else NAMESPACED_FUNCTION_NAME_PATTERN
        raise_validation([f"Value '{ref}' at 'functionName' failed to satisfy constraint: "
                          f"Member must satisfy regular expression pattern: {pattern}"])
    raise_validation(function_name_errors(ref, create=create) + qualifier_errors(qualifier))
    match = _NAME_GROUPS.fullmatch(ref)
    assert match is not None  # the namespaced pattern admits every name the other does
    name, derived = match.group(11), match.group(13)  # the name; the qualifier after ':'
    if create and len(name) > FUNCTION_NAME_MAX:
        raise InvalidParameterValueException(
            f"1 validation error detected: Value '{ref}' at 'functionName' failed to satisfy "
            f"constraint: Member must have length less than or equal to {FUNCTION_NAME_MAX}")
    return name, derived


def validate_new_function_name(name: str) -> None:
    """Check the bare name a function is created under (no ARN, no qualifier), as CreateFunction
    checks its FunctionName.

    Raises:
        ValidationException, InvalidParameterValueException: as :func:`validate_function_name`
            with ``create``; InvalidParameterValueException for an ARN or a qualifier.
    """
    if validate_function_name(name, create=True) != (name, None):
        raise InvalidParameterValueException(  # emulator wording: these take a bare name
            f"A function name is expected here, not an ARN or a qualified name: {name}")


def safe_folder_name(name: str) -> str:
    """``name`` as one path component that cannot leave its parent folder: characters outside
    ``[A-Za-z0-9_.-]`` become ``_``, leading dots too, at most 64 characters. Valid function and
    layer names come through unchanged; anything else (validation bypassed) still stays put."""
    safe = _SAFE_CHARS.sub("_", name)[:FUNCTION_NAME_MAX]
    return "_" + safe[1:] if not safe or safe.startswith(".") else safe


def _constraint(value: object, field: str, constraint: str) -> ValidationException:
    return ValidationException(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
        f"{constraint}"
    )


def _check_range(value: object, field: str, low: int, high: int) -> None:
    # bool is an int subclass, but JSON true is not a number to Lambda.
    if isinstance(value, bool) or not isinstance(value, int):
        # Emulator wording: AWS's answer to a non-integer here is not confirmed.
        raise InvalidParameterValueException(f"Value {value!r} at '{field}' must be an integer.")
    if value < low:
        raise _constraint(value, field, f"Member must have value greater than or equal to {low}")
    if value > high:
        raise _constraint(value, field, f"Member must have value less than or equal to {high}")


def validate_memory(mb: int) -> None:
    """Check MemorySize: 128-10,240 MB in 1 MB steps.

    Raises:
        ValidationException: out of range.
        InvalidParameterValueException: not an integer.
    """
    _check_range(mb, "memorySize", limits.MEMORY_MIN_MB, limits.MEMORY_MAX_MB)


def validate_timeout(s: int) -> None:
    """Check Timeout: 1-900 seconds.

    Raises:
        ValidationException: out of range.
        InvalidParameterValueException: not an integer.
    """
    _check_range(s, "timeout", limits.TIMEOUT_MIN_S, limits.TIMEOUT_MAX_S)


def validate_ephemeral_storage(mb: int) -> None:
    """Check EphemeralStorage.Size: 512-10,240 MB.

    Raises:
        ValidationException: out of range.
        InvalidParameterValueException: not an integer.
    """
    _check_range(mb, "ephemeralStorage.size", limits.EPHEMERAL_MIN_MB, limits.EPHEMERAL_MAX_MB)


def validate_runtime(name: str) -> None:
    """Check that ``name`` is a runtime Lambda still accepts for creating or updating functions.

    Raises:
        InvalidParameterValueException: the runtime is deprecated and blocked, or unknown. AWS
            answers an unknown runtime with InvalidParameterValueException (not a Coral
            ValidationException), an unquoted value and "or be a valid ARN".
    """
    if name in limits.RUNTIMES:
        return
    if name in limits.DEPRECATED_RUNTIMES:
        raise InvalidParameterValueException(
            f"The runtime parameter of {name} is no longer supported for creating or updating "
            "AWS Lambda functions. We recommend you use a supported runtime while creating or "
            "updating functions."
        )
    raise InvalidParameterValueException(
        f"Value {name} at 'runtime' failed to satisfy constraint: Member must satisfy enum value "
        f"set: [{', '.join(limits.RUNTIMES)}] or be a valid ARN"
    )


def _env_prefix() -> str:
    return "Lambda was unable to configure your environment variables because the environment "


def validate_environment(variables: Mapping[str, str]) -> None:
    """Check Environment.Variables: key pattern, reserved keys, then the 4 KB aggregate size.

    The size is that of the compact JSON of the whole map (``{"K":"V",...}``, non-ASCII escaped
    as ``\\uXXXX`` as LocalStack measures it) in UTF-8 bytes: 4,096 bytes pass, 4,097 fail.

    Raises:
        ValidationException: a key does not match ``[a-zA-Z]([a-zA-Z0-9_])+``.
        InvalidParameterValueException: a reserved key is set, or the map is over 4 KB.
    """
    if any(not _ENV_KEY_RE.fullmatch(key) for key in variables):
        # The map is sensitive, so Coral leaves its value out of the message.
        raise ValidationException(
            "1 validation error detected: Value at 'environment.variables' failed to satisfy "
            "constraint: Map keys must satisfy constraint: [Member must satisfy regular "
            f"expression pattern: {ENV_VAR_KEY_PATTERN}]"
        )
    reserved = [key for key in variables if key in limits.RESERVED_ENV_VARS]
    if reserved:
        raise InvalidParameterValueException(
            _env_prefix() + "variables you have provided contains reserved keys that are "
            "currently not supported for modification. Reserved keys used in this request: "
            + ", ".join(reserved)
        )
    measured = json.dumps(dict(variables), separators=(",", ":"))
    if len(measured.encode("utf-8")) > limits.ENV_VARS_MAX_BYTES:
        raise InvalidParameterValueException(
            _env_prefix() + "variables you have provided exceeded the 4KB limit. "
            f"String measured: {measured}"
        )


def validate_layers(arns: Sequence[str]) -> None:
    """Check that at most 5 layers are referenced.

    Raises:
        InvalidParameterValueException: more than 5 layers.
    """
    if len(arns) > limits.LAYERS_MAX:
        raise InvalidParameterValueException(
            f"Cannot reference more than {limits.LAYERS_MAX} layers."
        )


def validate_package(zipped_size: int, unzipped_size: int) -> None:
    """Check a .zip deployment package: 50 MB zipped, 250 MB unzipped (function code plus layers).

    Raises:
        RequestEntityTooLargeException: zipped size over 52,428,800 bytes (HTTP 413).
        InvalidParameterValueException: unzipped size over 262,144,000 bytes (HTTP 400; AWS's own
            code and message, seen in real deploy errors).
    """
    if zipped_size > limits.ZIPPED_MAX_BYTES:
        raise RequestEntityTooLargeException(
            f"Zipped size must be smaller than {limits.ZIPPED_MAX_BYTES} bytes"
        )
    if unzipped_size > limits.UNZIPPED_MAX_BYTES:
        raise InvalidParameterValueException(
            f"Unzipped size must be smaller than {limits.UNZIPPED_MAX_BYTES} bytes"
        )


def validate_function_config(
    *,
    memory_size: int | None = None,
    timeout: int | None = None,
    ephemeral_storage: int | None = None,
    runtime: str | None = None,
    environment: Mapping[str, str] | None = None,
    layers: Sequence[str] | None = None,
) -> None:
    """Validate the settings given (``None`` = not in the request), in this order.

    Raises:
        LambdaError: the first failure, as raised by the ``validate_*`` function for that field.
    """
    if memory_size is not None:
        validate_memory(memory_size)
    if timeout is not None:
        validate_timeout(timeout)
    if ephemeral_storage is not None:
        validate_ephemeral_storage(ephemeral_storage)
    if runtime is not None:
        validate_runtime(runtime)
    if environment is not None:
        validate_environment(environment)
    if layers is not None:
        validate_layers(layers)
