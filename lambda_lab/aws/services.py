"""What the Lambda front needs from moto's other services: IAM roles, S3 code, CloudWatch Logs."""

from __future__ import annotations

import re
import threading

from ..errors import InvalidParameterValueException, ValidationException
from ..platform import LogSink

__all__ = ["check_role", "cloudwatch_sink", "read_s3_code"]

_ROLE_PATTERN = r"arn:(aws[a-zA-Z-]*)?:iam::\d{12}:role/?[a-zA-Z_0-9+=,.@\-_/]+"


def check_role(account_id: str, role: str | None) -> None:
    """The function's execution role must be a role ARN that exists in IAM.

    Raises:
        ValidationException: not a role ARN.
        InvalidParameterValueException: no such role ("cannot be assumed by Lambda").
    """
    from moto.iam.models import iam_backends

    if not role or not re.fullmatch(_ROLE_PATTERN, role):
        raise ValidationException(
            f"1 validation error detected: Value '{role}' at 'role' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {_ROLE_PATTERN}")
    partition = role.split(":")[1]
    iam = iam_backends[account_id][partition]
    if not any(r.arn == role for r in iam.get_roles()):
        raise InvalidParameterValueException(
            "The role defined for the function cannot be assumed by Lambda.")


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


def cloudwatch_sink(account_id: str, region: str) -> LogSink:
    """A log sink writing to moto's CloudWatch Logs: group ``/aws/lambda/<name>``, one stream per
    environment, one event per log line, stamped with platform time."""
    from moto.logs.models import logs_backends

    lock = threading.Lock()

    def write(function_name: str, stream: str, lines: list[str], now: float) -> None:
        backend = logs_backends[account_id][region]
        group_name = f"/aws/lambda/{function_name}"
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
