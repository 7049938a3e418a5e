"""The event source mapping operations of the Lambda API, mixed into ``LabResponse``.

Create/Get/List/Update/DeleteEventSourceMapping, answered by the platform's
:class:`~lambda_lab.sources.mappings.MappingStore` (moto's routes already exist, so there are no
new URL paths). Domain errors propagate to ``LabResponse.call_action``.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from moto.core.common_types import TYPE_RESPONSE

from ..platform import Platform
from ..sources.mappings import EventSourceMapping, store_for
from . import paging_api

__all__ = ["EventSourceMappingResponses"]



def _reply(status: int, body: Any = "") -> TYPE_RESPONSE:
    text = body if isinstance(body, str) else json.dumps(body)
    return status, {"Content-Type": "application/json", "status": str(status)}, text


class EventSourceMappingResponses:
    """Response methods for event source mappings (a mixin of ``LabResponse``)."""

    platform: Platform
    path: str
    querystring: dict[str, list[str]]
    json_body: dict[str, Any]

    def _esm_uuid(self) -> str:
        return unquote(self.path.rstrip("/").rsplit("/", 1)[-1])

    def _esm_shape(self, m: EventSourceMapping, state: str | None = None) -> dict[str, Any]:
        return m.shape(self.platform.region, self.platform.account_id, state)

    def create_event_source_mapping(self) -> TYPE_RESPONSE:
        m = store_for(self.platform).create(self.json_body)
        return _reply(202, self._esm_shape(m))

    def get_event_source_mapping(self) -> TYPE_RESPONSE:
        return _reply(200, self._esm_shape(store_for(self.platform).get(self._esm_uuid())))

    def list_event_source_mappings(self) -> TYPE_RESPONSE:
        q = self.querystring
        found = store_for(self.platform).list(q.get("EventSourceArn", [None])[0],
                                              q.get("FunctionName", [None])[0])
        page, marker = paging_api.page(q, "event-source-mappings", found, lambda m: (m.uuid,),
                                       per_page=100)
        body: dict[str, Any] = {"EventSourceMappings": [self._esm_shape(m) for m in page]}
        if marker:
            body["NextMarker"] = marker
        return _reply(200, body)

    def update_event_source_mapping(self) -> TYPE_RESPONSE:
        m = store_for(self.platform).update(self._esm_uuid(), self.json_body)
        return _reply(202, self._esm_shape(m))

    def delete_event_source_mapping(self) -> TYPE_RESPONSE:
        m = store_for(self.platform).delete(self._esm_uuid())
        return _reply(202, self._esm_shape(m, "Deleting"))
