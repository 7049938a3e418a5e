"""AddPermission, GetPolicy and RemovePermission on lambda_lab's functions, mixed into
``LabResponse`` (moto's routes already exist). The policies are kept by
:mod:`lambda_lab.sources.permissions`, which the triggers (EventBridge, S3, SNS) consult.

A policy's RevisionId is that of its function version or alias, as AWS-validated emulators record
it: GetPolicy returns it, a stale one is PreconditionFailedException, and adding or removing a
statement changes it (lambda_lab.platform.model.check_revision).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.core.common_types import TYPE_RESPONSE

from ..errors import LambdaError
from ..platform import Platform
from ..platform.model import check_revision
from ..sources import permissions

__all__ = ["PermissionResponses"]



def _reply(status: int, body: Any = "") -> TYPE_RESPONSE:
    text = body if isinstance(body, str) else json.dumps(body)
    return status, {"Content-Type": "application/json", "status": str(status)}, text


class PermissionResponses:
    """Response methods for function resource policies (a mixin of ``LabResponse``)."""

    platform: Platform
    path: str
    querystring: dict[str, list[str]]
    json_body: dict[str, Any]

    def _policy_target(self) -> tuple[str, str | None]:
        return (unquote(self.path.split("/")[3]),
                self.querystring.get("Qualifier", [None])[0])

    def add_permission(self) -> TYPE_RESPONSE:
        ref, qualifier = self._policy_target()
        permissions.resolve(self.platform, ref, qualifier, "add")
        target = self.platform.revisioned(ref, qualifier)
        body = dict(self.json_body)
        check_revision(target.revision_id, body.pop("RevisionId", None))
        statement = permissions.add_permission(self.platform, ref, qualifier, body)
        target.new_revision()
        return _reply(201, {"Statement": json.dumps(statement)})

    def get_policy(self) -> TYPE_RESPONSE:
        ref, qualifier = self._policy_target()
        permissions.resolve(self.platform, ref, qualifier, "get")
        policy = permissions.get_policy(self.platform, ref, qualifier)
        return _reply(200, {"Policy": json.dumps(policy.document()),
                            "RevisionId": self.platform.revisioned(ref, qualifier).revision_id})

    def remove_permission(self) -> TYPE_RESPONSE:
        ref, qualifier = self._policy_target()
        permissions.resolve(self.platform, ref, qualifier, "remove")
        sid = unquote(self.path.rstrip("/").rsplit("/", 1)[-1])
        target = self.platform.revisioned(ref, qualifier)
        try:  # a missing statement is ResourceNotFoundException, before any revision check
            present = any(s["Sid"] == sid for s in
                          permissions.get_policy(self.platform, ref, qualifier).statements)
        except LambdaError:
            present = False
        if present:
            check_revision(target.revision_id, self.querystring.get("RevisionId", [None])[0])
        permissions.remove_permission(self.platform, ref, qualifier, sid)
        target.new_revision()
        return _reply(204)
