"""The Lambda layers API on the wire: a mixin of response methods that :class:`LabResponse`
inherits (before moto's ``LambdaResponse``, so these answer instead of moto's).

The layers themselves live in the platform (:mod:`lambda_lab.platform.layers`): one
:class:`~lambda_lab.platform.layers.LayerStore` per account and Region.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote

from moto.core.common_types import TYPE_RESPONSE

from ..errors import InvalidParameterValueException, LambdaError, ValidationException
from ..platform import public_layers
from ..platform.layers import (
    LayerRef,
    LayerStore,
    LayerVersion,
    check_version_arn,
    parse_layer_version_arn,
)
from ..validation import validate_layers
from . import paging_api, services

__all__ = ["AccessDeniedException", "LayersAPI"]


class AccessDeniedException(LambdaError):
    """Another account's layer version, without a permission that grants it to this account."""

    code = "AccessDeniedException"
    status = 403


def _json(status: int, body: Any = "") -> TYPE_RESPONSE:
    text = body if isinstance(body, str) else json.dumps(body)
    return status, {"Content-Type": "application/json", "status": str(status)}, text


class LayersAPI:
    """PublishLayerVersion, GetLayerVersion(ByArn), ListLayers, ListLayerVersions,
    DeleteLayerVersion and the layer version permissions; plus resolving a function's
    ``Layers`` for CreateFunction / UpdateFunctionConfiguration."""

    # Provided by moto's BaseResponse / LabResponse:
    path: str
    querystring: dict[str, list[str]]
    current_account: str
    region: str

    @property
    def _layer_store(self) -> LayerStore:
        return self.platform.layers  # type: ignore[attr-defined]

    def _layer_path(self) -> tuple[str, str | None]:
        """(layer name or ARN, version number or None) from the request path."""
        parts = self.path.split("?")[0].split("/")
        name = unquote(parts[3])
        number = parts[5] if len(parts) > 5 else None
        return name, number

    def _query(self, key: str) -> str | None:
        return self.querystring.get(key, [None])[0]

    def _location(self, version: LayerVersion) -> str:
        region, account = self.region, version.layer_arn.split(":")[4]
        return (f"https://awslambda-{region}-layers.s3.{region}.amazonaws.com/snapshots/"
                f"{account}/{version.name}-{version.code_sha256[:12].replace('/', '_')}")

    # ----------------------------------------------------------------- layer versions

    def publish_layer_version(self) -> TYPE_RESPONSE:
        body = self.json_body  # type: ignore[attr-defined]
        name, _ = self._layer_path()
        content = body.get("Content") or {}
        if "ZipFile" in content:
            try:
                data = base64.b64decode(content["ZipFile"])
            except (binascii.Error, TypeError):
                data = b""
        elif content.get("S3Bucket") and content.get("S3Key"):
            data = services.read_s3_code(self.current_account, content["S3Bucket"],
                                         content["S3Key"], content.get("S3ObjectVersion"))
        else:
            raise InvalidParameterValueException(
                "Please provide a source for layer content.")  # emulator wording
        version = self._layer_store.publish(
            name, data, description=body.get("Description", ""),
            compatible_runtimes=body.get("CompatibleRuntimes"),
            compatible_architectures=body.get("CompatibleArchitectures"),
            license_info=body.get("LicenseInfo"), direct_upload="ZipFile" in content)
        return _json(201, version.shape(self._location(version)))

    def get_layer_version(self) -> TYPE_RESPONSE:
        name, number = self._layer_path()
        if name.startswith("arn:") and name.split(":")[4:5] != [self.current_account] \
                and (number or "").isdigit():  # another account's (or a public) layer
            version = self._resolve_layer(f"{name}:{number}")
            if version is None:
                from ..errors import ResourceNotFoundException

                raise ResourceNotFoundException("The resource you requested does not exist.")
            return _json(200, version.shape(self._location(version)))
        version = self._layer_store.get(name, number or "")
        return _json(200, version.shape(self._location(version)))

    def get_layer_version_by_arn(self) -> TYPE_RESPONSE:
        arn = self._query("Arn") or ""
        check_version_arn(arn)
        region, account, name, number = parse_layer_version_arn(arn)
        version = self._resolve_layer(arn)
        if version is None:
            from ..errors import ResourceNotFoundException

            raise ResourceNotFoundException("The resource you requested does not exist.")
        return _json(200, version.shape(self._location(version)))

    def list_layers(self) -> TYPE_RESPONSE:
        if self._query("find") == "LayerVersion":
            return self.get_layer_version_by_arn()
        found = self._layer_store.layers(self._query("CompatibleRuntime"),
                                         self._query("CompatibleArchitecture"))
        items = [{"LayerName": name, "LayerArn": v.layer_arn, "LatestMatchingVersion": v.summary()}
                 for name, v in found]
        return _json(200, self._page(items, "Layers"))

    def list_layer_versions(self) -> TYPE_RESPONSE:
        name, _ = self._layer_path()
        found = self._layer_store.versions(name, self._query("CompatibleRuntime"),
                                           self._query("CompatibleArchitecture"))
        return _json(200, self._page([v.summary() for v in found], "LayerVersions"))

    def _page(self, items: list[dict], key: str) -> dict:
        """Marker / MaxItems paging: MaxLayerListItems is 1-50; layers by name, a layer's
        versions newest first."""
        def order(item: dict) -> tuple:
            return (item["LayerName"],) if key == "Layers" else (-item["Version"],)

        chosen, marker = paging_api.page(self.querystring, key, items, order, max_items=50)
        out: dict[str, Any] = {key: chosen}
        if marker:
            out["NextMarker"] = marker
        return out

    def delete_layer_version(self) -> TYPE_RESPONSE:
        name, number = self._layer_path()
        self._layer_store.delete(name, number or "")
        return _json(204)

    # ----------------------------------------------------------------- permissions

    def add_layer_version_permission(self) -> TYPE_RESPONSE:
        body = self.json_body  # type: ignore[attr-defined]
        name, number = self._layer_path()
        statement, revision = self._layer_store.add_permission(
            name, number or "", statement_id=body.get("StatementId", ""),
            action=body.get("Action", ""), principal=body.get("Principal", ""),
            organization_id=body.get("OrganizationId"),
            revision_id=self._query("RevisionId"))
        return _json(201, {"Statement": json.dumps(statement), "RevisionId": revision})

    def get_layer_version_policy(self) -> TYPE_RESPONSE:
        name, number = self._layer_path()
        policy, revision = self._layer_store.policy(name, number or "")
        return _json(200, {"Policy": policy, "RevisionId": revision})

    def remove_layer_version_permission(self) -> TYPE_RESPONSE:
        name, number = self._layer_path()
        statement_id = unquote(self.path.split("?")[0].split("/")[-1])
        self._layer_store.remove_permission(name, number or "", statement_id,
                                            self._query("RevisionId"))
        return _json(204)

    # ----------------------------------------------------------------- a function's layers

    def _resolve_layer(self, arn: str) -> LayerVersion | None:
        """The layer version an ARN names (this or another account, same Region), or None.

        Raises AccessDeniedException for another account's version not granted to this one."""
        region, account, _name, _number = parse_layer_version_arn(arn)
        if region != self.region:
            return None
        if account == self.current_account:
            return self._layer_store.find(arn)
        if public_layers.is_public(account):  # Powertools' published layers, offline
            try:
                return public_layers.resolve(arn, self.platform.clock.now())  # type: ignore[attr-defined]
            except public_layers.NotPublished as exc:
                raise AccessDeniedException(f"{self._denied(arn)} {exc.note()}") from None
        import moto.awslambda.models as models

        version = models.lambda_backends[account][region].platform.layers.find(arn)
        if version is not None and not version.allows(self.current_account):
            raise AccessDeniedException(self._denied(arn))
        return version

    def _denied(self, arn: str) -> str:
        """AWS's message for a layer version no resource-based policy grants this account."""
        return (f"User: arn:aws:iam::{self.current_account}:root is not authorized to perform: "
                f"lambda:GetLayerVersion on resource: {arn} because no resource-based policy "
                "allows the lambda:GetLayerVersion action")

    def _layer_refs(self, arns: Any) -> tuple[LayerRef, ...]:
        """A function's ``Layers`` (layer version ARNs) resolved, in order.

        Raises InvalidParameterValueException ("Cannot reference more than 5 layers.", "Layer
        version ... does not exist."), ValidationException for a malformed ARN."""
        if arns is None:
            return ()
        if not isinstance(arns, list):
            raise ValidationException("1 validation error detected: 'layers' must be a list")
        validate_layers(arns)
        refs = []
        for arn in arns:
            if arn.split(":")[3] != self.region:  # AWS's answer (recorded)
                raise InvalidParameterValueException(
                    "Layers are not in the same region as the function. Layers are expected to "
                    f"be in region {self.region}.")
            version = self._resolve_layer(arn)
            if version is None:
                raise InvalidParameterValueException(f"Layer version {arn} does not exist.")
            refs.append(version.ref())
        return tuple(refs)
