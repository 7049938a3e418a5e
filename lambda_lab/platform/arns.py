"""Function ARNs and the ways a function may be named: name, name:qualifier, partial or full ARN."""

from __future__ import annotations

from ..errors import InvalidParameterValueException
from ..validation import validate_function_name

__all__ = ["function_arn", "parse_function_ref"]


def function_arn(region: str, account_id: str, name: str, qualifier: str | None = None) -> str:
    """The function's ARN, qualified with a version or alias when ``qualifier`` is given."""
    arn = f"arn:aws:lambda:{region}:{account_id}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def parse_function_ref(ref: str, qualifier: str | None = None) -> tuple[str, str | None]:
    """Split a FunctionName parameter into (name, qualifier), checking both as Lambda's
    Get/Delete/Invoke do (:func:`lambda_lab.validation.validate_function_name`).

    Raises:
        ValidationException: ``ref`` is not a function name or ARN, or ``qualifier`` is invalid.
        InvalidParameterValueException: the qualifier in ``ref`` differs from ``qualifier``.
    """
    name, derived = validate_function_name(ref, qualifier)
    if derived is not None and qualifier is not None and derived != qualifier:
        raise InvalidParameterValueException(
            "The derived qualifier from the function name does not match the specified "
            "qualifier.")
    return name, qualifier if qualifier is not None else derived
