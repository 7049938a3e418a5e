"""moto's DynamoDB table description as AWS answers it.

Recorded against AWS (LocalStack's test_lambda_api.py, ``update_table_response``): a table's
description has a ``TableId`` (a UUID, one per table), a PAY_PER_REQUEST table's
``BillingModeSummary`` has ``LastUpdateToPayPerRequestDateTime``, and a table without secondary
indexes has no ``GlobalSecondaryIndexes`` / ``LocalSecondaryIndexes`` member. moto 5 sends empty
lists and neither field. Patched here, on moto's ``Table.describe``, for the session (every
Create/Describe/Update/DeleteTable answer goes through it).
"""

from __future__ import annotations

import uuid
from typing import Any
from unittest import mock

__all__ = ["install", "uninstall"]

_patches: list[Any] = []


def _describe(original: Any) -> Any:
    def describe(self: Any, base_key: str = "TableDescription") -> dict[str, Any]:
        result = original(self, base_key=base_key)
        table = result[base_key]
        for key in ("GlobalSecondaryIndexes", "LocalSecondaryIndexes"):
            if not table.get(key):
                table.pop(key, None)
        if "_lab_table_id" not in self.__dict__:
            self._lab_table_id = str(uuid.uuid4())
        table["TableId"] = self._lab_table_id
        summary = table.get("BillingModeSummary") or {}
        if summary.get("BillingMode") == "PAY_PER_REQUEST":
            # the table's creation: moto keeps no time for a later switch to on-demand
            summary.setdefault("LastUpdateToPayPerRequestDateTime", table["CreationDateTime"])
        return result

    return describe


def install(session: object) -> None:
    """Patch moto's DynamoDB table description for the session (idempotent)."""
    from moto.dynamodb.models.table import Table

    if _patches:
        return
    _patches.append(mock.patch.object(Table, "describe", _describe(Table.describe)))
    for p in _patches:
        p.start()


def uninstall(session: object) -> None:
    """Undo :func:`install`."""
    while _patches:
        _patches.pop().stop()
