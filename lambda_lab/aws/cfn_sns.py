"""``AWS::SNS::Subscription``, which moto's CloudFormation lacks (SAM's ``SNS`` event makes one
for its function): the subscription is made through moto's SNS API in-process, so a message
published to the topic invokes the function. ``Ref``: the subscription ARN (CloudFormation
template reference, AWS::SNS::Subscription)."""

from __future__ import annotations

import json
from typing import Any

from moto.sns.models import sns_backends

from .cfn_lambda import _Resource

__all__ = ["RESOURCE_TYPES", "Subscription"]


class Subscription(_Resource):
    TYPE = "AWS::SNS::Subscription"

    def _backend(self) -> Any:
        return sns_backends[self.account_id][self.region]

    def create(self, generated_name: str) -> None:
        sub = self._backend().subscribe(str(self.props.get("TopicArn")),
                                        str(self.props.get("Endpoint")),
                                        str(self.props.get("Protocol")))
        attributes = {"FilterPolicy": self.props.get("FilterPolicy"),
                      "FilterPolicyScope": self.props.get("FilterPolicyScope"),
                      "RawMessageDelivery": self.props.get("RawMessageDelivery"),
                      "RedrivePolicy": self.props.get("RedrivePolicy")}
        for name, value in attributes.items():
            if value is not None:
                text = value if isinstance(value, str) else json.dumps(value)
                self._backend().set_subscription_attributes(sub.arn, name, text)
        self.ref = sub.arn

    def remove(self) -> None:
        self._backend().unsubscribe(self.ref)


RESOURCE_TYPES: dict[str, type[_Resource]] = {Subscription.TYPE: Subscription}
