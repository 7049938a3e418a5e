"""Destinations and dead-letter queues of asynchronous invocations: the record, and delivery.

The invocation record (DG invocation-async-retain-records; lambda-facts.md "Destinations")::

    {"version": "1.0", "timestamp": "2019-11-14T18:16:05.568Z",
     "requestContext": {"requestId": …, "functionArn": "<qualified ARN>",
                        "condition": "Success" | "RetriesExhausted" | "EventAgeExceeded" | …,
                        "approximateInvokeCount": 3},
     "requestPayload": <the event>,
     "responseContext": {"statusCode": 200, "executedVersion": "$LATEST",
                         "functionError": "Unhandled"},
     "responsePayload": <what the function returned, or its error object>}

``responseContext``/``responsePayload`` are left out when the function never ran. A dead-letter
queue gets the original event with the attributes ErrorCode, ErrorMessage and RequestID.
:class:`MotoDeliverer` delivers in-process to moto's SQS, SNS, EventBridge and S3 (on failure
only: one JSON object per record, named ``aws/lambda/async/<function-name>/YYYY/MM/DD/
YYYY-MM-DDTHH.MM.SS-<random UUID>``), and to a Lambda function as an Event invocation of it.
Amazon SNS takes messages of at most 256 KB: a bigger record or event fails delivery (DG
invocation-async-retain-records), which the async queue logs.
"""

from __future__ import annotations

import datetime as _dt
import json
import uuid
from typing import TYPE_CHECKING, Any

from ..errors import InvalidParameterValueException

if TYPE_CHECKING:
    from .asyncq import AsyncEvent
    from .platform import Platform

__all__ = ["MotoDeliverer", "invocation_record", "s3_record_key", "validate_destination"]

SUCCESS_SERVICES = ("sqs", "sns", "lambda", "events")
FAILURE_SERVICES = (*SUCCESS_SERVICES, "s3")
SNS_MAX_BYTES = 256 * 1024  #: Amazon SNS's message size limit, attributes included


def s3_record_key(function_name: str, now: float) -> str:
    """The object name of a record in an S3 destination (DG invocation-async-retain-records)."""
    d = _dt.datetime.fromtimestamp(now, _dt.timezone.utc)
    return (f"aws/lambda/async/{function_name}/{d:%Y/%m/%d}/{d:%Y-%m-%dT%H.%M.%S}-"
            f"{uuid.uuid4()}")


def _timestamp(t: float) -> str:
    d = _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def _json_or_text(data: bytes) -> Any:
    if not data:
        return None
    try:
        return json.loads(data)
    except ValueError:
        return data.decode(errors="replace")


def invocation_record(event: AsyncEvent, function_arn: str, now: float) -> dict[str, Any]:
    """The destination record of ``event`` as it ended (``function_arn`` qualified)."""
    record: dict[str, Any] = {
        "version": "1.0",
        "timestamp": _timestamp(now),
        "requestContext": {
            "requestId": event.request_id,
            "functionArn": function_arn,
            "condition": event.condition,
            "approximateInvokeCount": event.attempts,
        },
        "requestPayload": _json_or_text(event.payload),
    }
    result = event.result
    if result is not None:
        response: dict[str, Any] = {"statusCode": result.status_code,
                                    "executedVersion": result.executed_version or event.version}
        if result.function_error:
            response["functionError"] = result.function_error
        record["responseContext"] = response
        record["responsePayload"] = _json_or_text(result.raw_payload)
    return record


def validate_destination(arn: str, on_failure: bool) -> None:
    """Raise InvalidParameterValueException for a destination Lambda cannot send records to."""
    parts = arn.split(":")
    service = parts[2] if len(parts) > 2 else ""
    allowed = FAILURE_SERVICES if on_failure else SUCCESS_SERVICES
    if service not in allowed:
        which = "onFailure" if on_failure else "onSuccess"
        raise InvalidParameterValueException(  # emulator wording
            f"The destination ARN {arn} is invalid for {which}: supported destinations are "
            f"{', '.join(allowed)}.")


class MotoDeliverer:
    """Delivers records in-process: moto's SQS, SNS and EventBridge; Lambda through the platform
    (an Event invocation of the destination function, which keeps the recursion lineage)."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform

    def send_record(self, arn: str, record: dict[str, Any], success: bool,
                    event: AsyncEvent) -> None:
        body = json.dumps(record)
        service, region, account = self._where(arn)
        if service == "sqs":
            self._sqs(region, account, arn, body, {})
        elif service == "sns":
            self._sns(region, account, arn, body, {})
        elif service == "events":
            from moto.events.models import events_backends

            kind = "Success" if success else "Failure"
            entries = events_backends[account][region].put_events([{
                "Source": "lambda", "DetailType": f"Lambda Function Invocation Result - {kind}",
                "Detail": body, "EventBusName": arn,
                "Resources": [record["requestContext"]["functionArn"]]}])
            if entries and entries[0].get("ErrorCode"):
                raise RuntimeError(f"{entries[0]['ErrorCode']}: {entries[0].get('ErrorMessage')}")
        elif service == "lambda":
            self._lambda(region, account, arn, body.encode(), event.trace_id)
        elif service == "s3" and not success:
            self._s3(account, arn, event.function_name, body)
        else:
            raise RuntimeError(f"lambda_lab does not deliver records to {service} ({arn})")

    def send_dead_letter(self, arn: str, event: AsyncEvent, error_message: str) -> None:
        service, region, account = self._where(arn)
        body = event.payload.decode(errors="replace") or "{}"
        attrs = {"RequestID": ("String", event.request_id),
                 "ErrorCode": ("Number", str(event.last_status)),
                 "ErrorMessage": ("String", error_message[:1024] or "")}
        if service == "sqs":
            self._sqs(region, account, arn, body,
                      {k: {"DataType": t, "StringValue": v} for k, (t, v) in attrs.items()})
        elif service == "sns":
            self._sns(region, account, arn, body,
                      {k: {"Type": t, "Value": v} for k, (t, v) in attrs.items()})
        else:
            raise RuntimeError(f"a dead-letter queue must be SQS or SNS, not {arn}")

    # ----------------------------------------------------------------- services

    def _where(self, arn: str) -> tuple[str, str, str]:
        parts = arn.split(":")
        if len(parts) < 6:
            raise RuntimeError(f"not an ARN: {arn}")
        return parts[2], parts[3] or self.platform.region, parts[4] or self.platform.account_id

    @staticmethod
    def _sqs(region: str, account: str, arn: str, body: str, attrs: dict[str, Any]) -> None:
        from moto.sqs.models import sqs_backends

        sqs_backends[account][region].send_message(arn.split(":")[5], body,
                                                   message_attributes=attrs)

    @staticmethod
    def _sns(region: str, account: str, arn: str, body: str, attrs: dict[str, Any]) -> None:
        from moto.sns.models import sns_backends

        size = len(body.encode()) + sum(len(k.encode()) + len(str(v).encode())
                                        for k, v in attrs.items())
        if size > SNS_MAX_BYTES:  # emulator wording; SNS itself says "Message too long"
            raise RuntimeError(f"the message is {size:,} bytes, more than Amazon SNS's 256 KB "
                               f"({SNS_MAX_BYTES:,} bytes) limit")
        sns_backends[account][region].publish(body, arn=arn, message_attributes=attrs)

    def _s3(self, account: str, arn: str, function_name: str, body: str) -> None:
        """Write the record as a JSON object; a missing bucket fails the delivery."""
        from moto.s3.exceptions import MissingBucket
        from moto.s3.models import s3_backends

        bucket = arn.split(":", 5)[5]
        partition = arn.split(":")[1] or "aws"
        try:
            s3_backends[account][partition].put_object(
                bucket, s3_record_key(function_name, self.platform.clock.now()), body.encode())
        except MissingBucket:
            raise RuntimeError(f"the bucket {bucket} does not exist (NoSuchBucket)") from None

    def _lambda(self, region: str, account: str, arn: str, payload: bytes,
                trace_id: str | None) -> None:
        from .platform import EVENT

        platform = self.platform
        if (region, account) != (platform.region, platform.account_id):
            import moto.awslambda.models as models

            platform = models.lambda_backends[account][region].platform
        platform.invoke(arn, payload, invocation_type=EVENT, trace_id=trace_id)
