"""``AWS::S3::Bucket`` with its ``NotificationConfiguration`` (moto's CloudFormation creates the
bucket but drops its notifications; SAM's ``S3`` event writes one): moto's bucket resource, then
the template's Lambda, queue and topic configurations (CloudFormation template reference,
AWS::S3::Bucket NotificationConfiguration: ``LambdaConfigurations`` ``Event`` / ``Function`` /
``Filter.S3Key.Rules``) set as PutBucketNotificationConfiguration would."""

from __future__ import annotations

from typing import Any

from moto.s3.models import FakeBucket

__all__ = ["Bucket", "RESOURCE_TYPES"]

_KINDS = (("LambdaConfigurations", "CloudFunctionConfiguration", "CloudFunction", "Function"),
          ("QueueConfigurations", "QueueConfiguration", "Queue", "Queue"),
          ("TopicConfigurations", "TopicConfiguration", "Topic", "Topic"))


def _notifications(bucket: Any, props: dict[str, Any]) -> None:
    config = props.get("NotificationConfiguration")
    if config is None:
        return
    wire: dict[str, Any] = {}
    for cfn_key, wire_key, target_key, cfn_target in _KINDS:
        entries = []
        for entry in config.get(cfn_key) or []:
            item: dict[str, Any] = {target_key: entry[cfn_target], "Event": [entry["Event"]]}
            rules = ((entry.get("Filter") or {}).get("S3Key") or {}).get("Rules")
            if rules:
                item["Filter"] = {"S3Key": {"FilterRule": list(rules)}}
            entries.append(item)
        if entries:
            wire[wire_key] = entries
    if (config.get("EventBridgeConfiguration") or {}).get("EventBridgeEnabled"):
        wire["EventBridgeConfiguration"] = {}
    bucket.set_notification_configuration(wire or None)


class Bucket:
    """moto's FakeBucket resource, plus the bucket's notifications."""

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::Bucket"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return FakeBucket.has_cfn_attr(attr)

    @classmethod
    def create_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any,
                                        account_id: str, region_name: str,
                                        **kwargs: Any) -> Any:
        bucket = FakeBucket.create_from_cloudformation_json(
            resource_name, cloudformation_json, account_id, region_name, **kwargs)
        _notifications(bucket, cloudformation_json.get("Properties") or {})
        return bucket

    @classmethod
    def update_from_cloudformation_json(cls, original_resource: Any, new_resource_name: str,
                                        cloudformation_json: Any, account_id: str,
                                        region_name: str) -> Any:
        bucket = FakeBucket.update_from_cloudformation_json(
            original_resource, new_resource_name, cloudformation_json, account_id, region_name)
        _notifications(bucket, cloudformation_json.get("Properties") or {})
        return bucket

    @classmethod
    def delete_from_cloudformation_json(cls, resource_name: str, cloudformation_json: Any,
                                        account_id: str, region_name: str) -> None:
        FakeBucket.delete_from_cloudformation_json(resource_name, cloudformation_json,
                                                   account_id, region_name)


RESOURCE_TYPES: dict[str, Any] = {"AWS::S3::Bucket": Bucket}
