"""Function ARNs and the ways a function may be named: name, name:qualifier, partial or full ARN."""

from __future__ import annotations

import re

from ..errors import InvalidParameterValueException, ValidationException

__all__ = ["function_arn", "parse_function_ref"]

_FULL = re.compile(
    r"^arn:(aws[a-zA-Z-]*):lambda:([a-z0-9-]+):(\d{12}):function:([^:]+)(?::([^:]+))?$")
_PARTIAL = re.compile(r"^(\d{12}):function:([^:]+)(?::([^:]+))?$")
_NAME = re.compile(r"^([a-zA-Z0-9_-]+)(?::([^:]+))?$")
_NAME_PATTERN = (r"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?"
                 r"(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?")


def function_arn(region: str, account_id: str, name: str, qualifier: str | None = None) -> str:
    """The function's ARN, qualified with a version or alias when ``qualifier`` is given."""
    arn = f"arn:aws:lambda:{region}:{account_id}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def parse_function_ref(ref: str, qualifier: str | None = None) -> tuple[str, str | None]:
    """Split a FunctionName parameter into (name, qualifier).

    Raises:
        ValidationException: ``ref`` is not a function name or ARN.
        InvalidParameterValueException: the qualifier in ``ref`` differs from ``qualifier``.
    """
    match = _FULL.match(ref) or _PARTIAL.match(ref) or _NAME.match(ref)
    if match is None:
        raise ValidationException(
            f"1 validation error detected: Value '{ref}' at 'functionName' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {_NAME_PATTERN}")
    groups = match.groups()
    name, derived = groups[-2], groups[-1]
    if derived is not None and qualifier is not None and derived != qualifier:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified "
            "qualifier.")
    return name, qualifier if qualifier is not None else derived
