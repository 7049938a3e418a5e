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
