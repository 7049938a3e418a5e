"""S3's check of a bucket's notification destinations at PutBucketNotificationConfiguration
(S3 API PutBucketNotificationConfiguration; S3 UG "Granting permissions to publish event
notification messages to a destination").

Before it replaces a bucket's configuration S3 checks every destination; if any fails, the call
fails with 400 InvalidArgument "Unable to validate the following destination configurations" and
the bucket keeps its previous configuration. Each failed destination is one
``ArgumentName<n>``/``ArgumentValue<n>`` pair:

* Lambda: the function exists and its resource policy lets ``s3.amazonaws.com`` invoke it for
  this bucket (SourceArn) and the bucket owner (SourceAccount): ``<ARN>, null`` / ``Not
  authorized to invoke function [<ARN>]`` (as AWS answers; the same for a missing function);
* SQS / SNS: the queue or topic exists: ``<ARN>`` / ``The destination queue does not exist``
  (``topic``) (emulator wording taken from other emulators; their access policies are not
  checked here).

The check is made once: a configuration that passed keeps working when the permission is later
removed, and each delivery is checked again at invoke time (:func:`.triggers.deliver`). The
``x-amz-skip-destination-validation: true`` header (boto3 ``SkipDestinationValidation``) skips it.
"""

from __future__ import annotations

import uuid
from typing import Any
from unittest import mock
from xml.sax.saxutils import escape

__all__ = ["MESSAGE", "failures", "patches"]

MESSAGE = "Unable to validate the following destination configurations"


def _as_list(value: Any) -> list[dict[str, Any]]:
    if not value:
        return []
    return value if isinstance(value, list) else [value]


def failures(aws: Any, owner: str, bucket: str, config: dict[str, Any]) -> list[tuple[str, str]]:
    """``(ArgumentName, ArgumentValue)`` per destination of ``config`` (moto's parsed
    NotificationConfiguration) that does not validate, queues first, then topics, then
    functions (emulator order)."""
    from moto.sns.models import sns_backends
    from moto.sqs.models import sqs_backends

    from . import permissions

    def exists(arn: str, kind: str) -> bool:
        parts = arn.split(":")
        try:
            if kind == "queue":
                return parts[5] in sqs_backends[parts[4]][parts[3]].queues
            return arn in sns_backends[parts[4]][parts[3]].topics
        except (IndexError, KeyError):
            return False

    out = []
    for key, field, kind in (("QueueConfiguration", "Queue", "queue"),
                             ("TopicConfiguration", "Topic", "topic")):
        for c in _as_list(config.get(key)):
            arn = str(c.get(field, ""))
            if not exists(arn, kind):
                out.append((arn, f"The destination {kind} does not exist"))
    for c in _as_list(config.get("CloudFunctionConfiguration")):
        arn = str(c.get("CloudFunction", ""))
        parts = arn.split(":")
        try:
            platform = aws.platform(parts[3], parts[4])
            ok = permissions.allows(platform, arn, "s3.amazonaws.com", f"arn:aws:s3:::{bucket}",
                                    owner)
        except Exception:  # noqa: BLE001 -- not a function ARN this emulator knows
            ok = False
        if not ok:
            out.append((f"{arn}, null", f"Not authorized to invoke function [{arn}]"))
    return out


def error_response(failed: list[tuple[str, str]]) -> tuple[int, dict[str, str], str]:
    """S3's XML error for ``failed`` destinations."""
    request_id = uuid.uuid4().hex[:16].upper()
    pairs = "".join(f"<ArgumentName{i}>{escape(name)}</ArgumentName{i}>"
                    f"<ArgumentValue{i}>{escape(value)}</ArgumentValue{i}>"
                    for i, (name, value) in enumerate(failed, start=1))
    body = ('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InvalidArgument</Code>'
            f"<Message>{MESSAGE}</Message>{pairs}<RequestId>{request_id}</RequestId>"
            f"<HostId>{uuid.uuid4().hex}</HostId></Error>")
    return 400, {"content-type": "application/xml", "x-amz-request-id": request_id}, body


def patches(aws: Any) -> list[Any]:
    """The moto patch: S3's PUT ?notification validates destinations first."""
    import moto.s3.responses as s3_responses

    original = s3_responses.S3Response._bucket_response_put

    def bucket_response_put(self: Any, request: Any, bucket_name: str,
                            querystring: dict[str, Any]) -> Any:
        headers = request.headers or {}
        skip = str(headers.get("x-amz-skip-destination-validation", "")).lower() == "true"
        if "notification" in (querystring or {}) and not skip:
            self.backend.get_bucket(bucket_name)  # NoSuchBucket first
            try:
                config = self._notification_config_from_body()
            except Exception:  # noqa: BLE001 -- malformed: moto's own handling answers
                config = None
            failed = failures(aws, self.current_account, bucket_name, config or {})
            if failed:
                return error_response(failed)
        return original(self, request, bucket_name, querystring)

    return [mock.patch.object(s3_responses.S3Response, "_bucket_response_put",
                              bucket_response_put)]
