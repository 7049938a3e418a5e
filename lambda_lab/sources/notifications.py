"""S3 bucket notifications and SNS subscriptions that invoke Lambda functions.

* S3: moto matches a bucket's LambdaFunctionConfigurations (``s3:ObjectCreated:*``,
  ``s3:ObjectRemoved:*``, prefix/suffix filters) and builds the record; its Lambda call is
  replaced by :func:`.triggers.deliver` (resource policy for ``s3.amazonaws.com`` and the
  bucket's ARN, then an Event invocation), with the record completed to S3's shape (eventTime on
  the platform clock, userIdentity, requestParameters, responseElements, ownerIdentity,
  sequencer; removal records carry no size or eTag).
* SNS: a ``lambda`` subscription receives SNS's record (``Records[0].Sns``) through
  :func:`.triggers.deliver` (``sns.amazonaws.com``, the topic's ARN), with the subscription's
  filter policy applied by moto. The X-Amzn-Trace-Id of the Publish request travels into the
  invocation, so a function that publishes to a topic that invokes it is a loop
  :mod:`lambda_lab.platform.recursion` stops.
"""

from __future__ import annotations

import datetime as _dt
import json
import threading
import uuid
from typing import Any
from unittest import mock
from urllib.parse import quote_plus, unquote_plus

from . import triggers

__all__ = ["patches", "s3_record", "sns_record"]

_request = threading.local()  #: the X-Amzn-Trace-Id of the SNS request being served


def _iso_ms(t: float) -> str:
    stamp = _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.") + f"{stamp.microsecond // 1000:03d}Z"


def s3_record(record: dict[str, Any], now: float, account_id: str) -> dict[str, Any]:
    """moto's S3 notification record, completed to the shape S3 sends Lambda."""
    out = dict(record)
    out["eventTime"] = _iso_ms(now)
    out["userIdentity"] = {"principalId": f"AWS:{account_id}"}
    out["requestParameters"] = {"sourceIPAddress": "127.0.0.1"}
    out["responseElements"] = {"x-amz-request-id": uuid.uuid4().hex[:16].upper(),
                               "x-amz-id-2": uuid.uuid4().hex}
    s3 = dict(out.get("s3") or {})
    bucket = dict(s3.get("bucket") or {})
    bucket["ownerIdentity"] = {"principalId": account_id}
    obj = dict(s3.get("object") or {})
    if "key" in obj:  # moto escapes "/" too; S3 keeps it (and writes a space as "+")
        obj["key"] = quote_plus(unquote_plus(obj["key"]), safe="/")
    obj["sequencer"] = f"{int(now * 1_000_000):018X}"
    if str(out.get("eventName", "")).startswith("ObjectRemoved"):
        obj.pop("size", None)
        obj.pop("eTag", None)
    s3["bucket"], s3["object"] = bucket, obj
    out["s3"] = s3
    return {k: out[k] for k in ("eventVersion", "eventSource", "awsRegion", "eventTime",
                                "eventName", "userIdentity", "requestParameters",
                                "responseElements", "s3") if k in out}


def sns_record(subscription_arn: str, topic_arn: str, message: str, message_id: str,
               subject: str | None, attributes: dict[str, Any] | None, now: float
               ) -> dict[str, Any]:
    """One ``Records`` entry as SNS sends it to a Lambda subscription."""
    return {
        "EventSource": "aws:sns",
        "EventVersion": "1.0",
        "EventSubscriptionArn": subscription_arn,
        "Sns": {
            "Type": "Notification",
            "MessageId": message_id,
            "TopicArn": topic_arn,
            "Subject": subject,
            "Message": message,
            "Timestamp": _iso_ms(now),
            "SignatureVersion": "1",
            "Signature": "EXAMPLE",
            "SigningCertUrl": "https://sns.us-east-1.amazonaws.com/SimpleNotificationService.pem",
            "UnsubscribeUrl": "https://sns.us-east-1.amazonaws.com/?Action=Unsubscribe"
                              f"&SubscriptionArn={subscription_arn}",
            "MessageAttributes": {k: {"Type": v.get("Type"), "Value": v.get("Value")}
                                  for k, v in (attributes or {}).items()},
        },
    }


def patches(aws: Any) -> list[Any]:
    """moto patches: S3's and SNS's Lambda deliveries."""
    import moto.s3.notifications as s3_notifications
    import moto.sns.models as sns_models
    import moto.sns.responses as sns_responses

    def invoke_s3(account_id: str, event_body: Any, fn_arn: str, region_name: str) -> None:
        records = [s3_record(r, aws.clock.now(), account_id)
                   for r in (event_body or {}).get("Records", [])]
        bucket_arn = ((records[0]["s3"].get("bucket") or {}).get("arn", "")
                      if records else "")
        triggers.deliver(aws, "s3.amazonaws.com", bucket_arn, account_id, fn_arn,
                         json.dumps({"Records": records}).encode())

    original_publish = sns_models.Subscription.publish

    def publish(sub: Any, message: str, message_id: str, subject: str | None = None,
                message_attributes: dict[str, Any] | None = None, group_id: str | None = None,
                deduplication_id: str | None = None, message_structure: str | None = None
                ) -> None:
        if sub.protocol != "lambda":
            return original_publish(sub, message, message_id, subject, message_attributes,
                                    group_id, deduplication_id, message_structure)
        matcher = sub._filter_policy_matcher
        if matcher is not None and not matcher.matches(message_attributes, message):
            return None
        if message_structure == "json":
            message = sub._parse_message_structure(message, sub.protocol)
        record = sns_record(sub.arn, sub.topic.arn, message, message_id, subject,
                            message_attributes, aws.clock.now())
        triggers.deliver(aws, "sns.amazonaws.com", sub.topic.arn, sub.topic.account_id,
                         sub.endpoint, json.dumps({"Records": [record]}).encode(),
                         trace_id=getattr(_request, "trace", None))
        return None

    def traced(method: Any) -> Any:
        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            _request.trace = (self.headers or {}).get("X-Amzn-Trace-Id")
            try:
                return method(self, *args, **kwargs)
            finally:
                _request.trace = None

        return wrapper

    return [
        mock.patch.object(s3_notifications, "_invoke_awslambda", invoke_s3),
        mock.patch.object(sns_models.Subscription, "publish", publish),
        mock.patch.object(sns_responses.SNSResponse, "publish",
                          traced(sns_responses.SNSResponse.publish)),
        mock.patch.object(sns_responses.SNSResponse, "publish_batch",
                          traced(sns_responses.SNSResponse.publish_batch)),
    ]
