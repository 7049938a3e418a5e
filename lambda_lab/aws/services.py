"""What the Lambda front needs from moto's other services: IAM roles, S3 code, CloudWatch Logs."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from fnmatch import fnmatchcase
from typing import Any
from urllib.parse import unquote

from ..errors import InvalidParameterValueException, ValidationException
from ..platform import LogSink

__all__ = ["check_role", "cloudwatch_sink", "log_group_writer", "read_s3_code",
           "trusts_lambda"]

_ROLE_PATTERN = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"


def check_role(account_id: str, role: str | None) -> None:
    """The function's execution role must be a role ARN that exists in IAM and trusts Lambda.

    Raises:
        ValidationException: not a role ARN.
        InvalidParameterValueException: no such role, or its trust policy does not let
            lambda.amazonaws.com call sts:AssumeRole ("cannot be assumed by Lambda").
    """
    from moto.iam.models import iam_backends

    if not role or not re.fullmatch(_ROLE_PATTERN, role):
        raise ValidationException(
            f"1 validation error detected: Value '{role}' at 'role' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {_ROLE_PATTERN}")
    partition = role.split(":")[1]
    iam = iam_backends[account_id][partition]
    found = next((r for r in iam.get_roles() if r.arn == role), None)
    if found is None or not trusts_lambda(found.assume_role_policy_document):
        raise InvalidParameterValueException(
            "The role defined for the function cannot be assumed by Lambda.")


def trusts_lambda(document: str | dict[str, Any] | None) -> bool:
    """Whether a trust policy lets the service principal lambda.amazonaws.com call
    sts:AssumeRole: some Allow statement matches and no Deny statement does.

    ``document`` is JSON text (moto keeps what the caller sent; IAM returns it URL-encoded)
    or a parsed policy. Conditions are not evaluated."""
    policy = _parse_policy(document)
    statements = policy.get("Statement", [])
    if isinstance(statements, dict):
        statements = [statements]
    effects = {s.get("Effect") for s in statements
               if isinstance(s, dict) and _lambda_assumes(s)}
    return "Allow" in effects and "Deny" not in effects


def _parse_policy(document: str | dict[str, Any] | None) -> dict[str, Any]:
    if isinstance(document, dict):
        return document
    for text in (document or "", unquote(document or "")):
        try:
            policy = json.loads(text)
        except ValueError:
            continue
        return policy if isinstance(policy, dict) else {}
    return {}


def _lambda_assumes(statement: dict[str, Any]) -> bool:
    """The statement names lambda.amazonaws.com (or "*") and an action matching sts:AssumeRole."""
    principal = statement.get("Principal")
    if principal == "*":
        names_lambda = True
    else:
        services = principal.get("Service", []) if isinstance(principal, dict) else []
        names_lambda = "lambda.amazonaws.com" in _as_list(services)
    actions = _as_list(statement.get("Action", []))
    return names_lambda and any(fnmatchcase("sts:assumerole", str(a).lower()) for a in actions)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def read_s3_code(account_id: str, bucket: str, key: str, version: str | None = None) -> bytes:
    """The bytes of a deployment package in moto's S3.

    Raises InvalidParameterValueException with Lambda's GetObject wording when it is missing.
    """
    from moto.s3.exceptions import MissingBucket, MissingKey
    from moto.s3.models import s3_backends

    try:
        obj = s3_backends[account_id]["aws"].get_object(bucket, key, version_id=version)
    except MissingBucket:
        code, text = "NoSuchBucket", "The specified bucket does not exist"
    except MissingKey:
        code, text = "NoSuchKey", "The specified key does not exist."
    else:
        if obj is not None:
            return bytes(obj.value)
        code, text = "NoSuchKey", "The specified key does not exist."
    raise InvalidParameterValueException(
        f"Error occurred while GetObject. S3 Error Code: {code}. S3 Error Message: {text}")


def log_group_writer(account_id: str, region: str) -> Callable[[str, str, list[str], float], None]:
    """``write(group_name, stream, lines, now)`` into moto's CloudWatch Logs: the group and
    stream are created on first use, one event per line, stamped with platform time."""
    from moto.logs.models import logs_backends

    lock = threading.Lock()

    def write(group_name: str, stream: str, lines: list[str], now: float) -> None:
        backend = logs_backends[account_id][region]
        stamp = int(now * 1000)
        with lock:
            if group_name not in backend.groups:
                backend.create_log_group(group_name, tags={})
            group = backend.groups[group_name]
            if stream not in group.streams:
                group.create_log_stream(stream)
            # Straight to the group: moto's API-level check rejects events stamped more than
            # 2 h ahead of real time, and platform time may have been fast-forwarded.
            group.put_log_events(stream, [{"timestamp": stamp, "message": line}
                                          for line in lines])

    return write


def cloudwatch_sink(account_id: str, region: str) -> LogSink:
    """A log sink writing to moto's CloudWatch Logs: group ``/aws/lambda/<name>``, one stream per
    environment, one event per log line, stamped with platform time."""
    write = log_group_writer(account_id, region)

    def sink(function_name: str, stream: str, lines: list[str], now: float) -> None:
        write(f"/aws/lambda/{function_name}", stream, lines, now)

    return sink
