"""Custom resources backed by a Lambda function (``Custom::*``,
``AWS::CloudFormation::CustomResource``).

CloudFormation UG "Custom resources": CloudFormation sends the function a request (``RequestType``
Create / Update / Delete, ``ResponseURL`` a presigned S3 URL, ``StackId``, ``RequestId``,
``LogicalResourceId``, ``ResourceType``, ``ResourceProperties``, on updates
``OldResourceProperties`` and ``PhysicalResourceId``); the function PUTs its response (``Status``
SUCCESS or FAILED, ``Reason``, ``PhysicalResourceId``, ``Data``) to that URL; ``Fn::GetAtt``
reads ``Data``'s keys; a FAILED response fails the resource with "Received response status
[FAILED] from custom resource. Message returned: <Reason> (RequestId: ...)".

Here the function is invoked synchronously and its response read from S3 (the bucket
``cloudformation-custom-resource-response-<region>`` of the account, on the session's server)
when it returns; a function that returned without responding fails the resource at once
(emulator: CloudFormation would wait up to an hour).
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from .cfn_lambda import ResourceFailed, _Resource, lambda_client

__all__ = ["CustomResource", "resource_class", "session"]

#: the session whose server answers the ResponseURL (set by ``cloudformation.install``)
session: dict[str, Any] = {"mock": None}


def _url() -> str | None:
    return getattr(session["mock"], "endpoint_url", None)


def _s3(region: str) -> Any:
    import boto3

    return boto3.client("s3", region_name=region, endpoint_url=_url(),
                        aws_access_key_id="testing", aws_secret_access_key="testing")


class CustomResource(_Resource):
    TYPE = "AWS::CloudFormation::CustomResource"
    data: dict[str, Any] = {}  # noqa: RUF012 - replaced per instance by the response's Data

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True  # whatever the function's Data holds

    def get_cfn_attribute(self, attr: str) -> Any:
        if attr not in self.data:
            raise ResourceFailed(f"CustomResource attribute error: Vendor response doesn't "
                                 f"contain {attr} key in object {self.logical_resource_id}")
        return self.data[attr]

    def _request(self, kind: str, old: _Resource | None = None) -> dict[str, Any]:
        if not _url():
            raise ResourceFailed("lambda_lab: custom resources need mock_aws(server=True)")
        region = self.region
        bucket = f"cloudformation-custom-resource-response-{region.replace('-', '')}"
        s3 = _s3(region)
        try:
            s3.head_bucket(Bucket=bucket)
        except Exception:  # noqa: BLE001 - not there yet
            s3.create_bucket(Bucket=bucket)
        request_id = str(uuid.uuid4())
        key = f"{self.stack_id.split('/')[-1]}|{self.logical_resource_id}|{request_id}"
        url = s3.generate_presigned_url("put_object", Params={"Bucket": bucket, "Key": key},
                                        ExpiresIn=7200)
        token = str(self.props.get("ServiceToken"))
        event: dict[str, Any] = {
            "RequestType": kind, "ServiceToken": token, "ResponseURL": url,
            "StackId": self.stack_id, "RequestId": request_id,
            "LogicalResourceId": self.logical_resource_id, "ResourceType": self.resource_type,
            "ResourceProperties": self.props}
        if old is not None:
            event["PhysicalResourceId"] = old.ref
            if kind == "Update":
                event["OldResourceProperties"] = old.props
        out = lambda_client(self.account_id, region).invoke(
            FunctionName=token, Payload=json.dumps(event).encode())
        out["Payload"].read()
        try:
            body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
            response = json.loads(body)
        except Exception:  # noqa: BLE001 - no (readable) response
            raise ResourceFailed(  # emulator wording
                f"The custom resource's function {token} returned without sending a response "
                f"to the ResponseURL (RequestId: {request_id})") from None
        if response.get("Status") != "SUCCESS":
            raise ResourceFailed(f"Received response status [{response.get('Status')}] from "
                                 f"custom resource. Message returned: {response.get('Reason')} "
                                 f"(RequestId: {request_id})")
        return dict(response)

    def create(self, generated_name: str) -> None:
        response = self._request("Create")
        self.ref = response.get("PhysicalResourceId") or generated_name
        self.data = dict(response.get("Data") or {})

    def update(self, old: _Resource) -> None:
        response = self._request("Update", old)
        self.ref = response.get("PhysicalResourceId") or old.ref
        self.data = dict(response.get("Data") or {})

    def replaces(self, old: _Resource) -> bool:
        return False

    def remove(self) -> None:
        self._request("Delete", self)


def resource_class(resource_type: str) -> type[_Resource] | None:
    """The class of a custom resource type (None for other types)."""
    if resource_type.startswith("Custom::") or resource_type == CustomResource.TYPE:
        return CustomResource
    return None
