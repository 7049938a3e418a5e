"""TagResource, UntagResource and ListTags, mixed into ``LabResponse`` (wholly ours: moto's
answer "Function not found" for every resource but its own functions).

Taggable here: functions (unqualified ARNs), event source mappings and code signing configs.
The rules and messages are AWS's recorded answers (LocalStack's AWS-validated
``TestLambdaTag`` / ``TestLambdaTags`` snapshots): a version or alias ARN is refused, 50 tags at
most per resource, an empty ``Tags`` map is refused, untagging keys that are not there is fine.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import unquote

from moto.core.common_types import TYPE_RESPONSE

from ..errors import InvalidParameterValueException, ResourceNotFoundException
from ..platform import Platform
from ..validation import TAGGABLE_RESOURCE_PATTERN as RESOURCE_PATTERN
from ..validation import constraint_errors, raise_validation

__all__ = ["MAX_TAGS", "TagResponses", "check_tag_count"]

MAX_TAGS = 50  #: tags per resource (Lambda quotas)
QUALIFIED = ("Tags on function aliases and versions are not supported. Please specify a "
             "function ARN.")
TOO_MANY = "Number of tags exceeds resource tag limit."


def check_tag_count(tags: Mapping[str, str]) -> None:
    """InvalidParameterValueException past :data:`MAX_TAGS` (also on CreateFunction)."""
    if len(tags) > MAX_TAGS:
        raise InvalidParameterValueException(TOO_MANY)


def _reply(status: int, body: Any = "") -> TYPE_RESPONSE:
    text = body if isinstance(body, str) else json.dumps(body)
    return status, {"Content-Type": "application/json", "status": str(status)}, text


class TagResponses:
    """Response methods for tags (a mixin of ``LabResponse``)."""

    platform: Platform
    path: str
    querystring: dict[str, list[str]]
    json_body: dict[str, Any]

    def _tagged(self) -> dict[str, str]:
        """The tag map of the path's resource (the dict itself, to change in place)."""
        arn = unquote(self.path.split("/tags/", 1)[1])
        if not re.fullmatch(RESOURCE_PATTERN, arn):
            raise_validation(constraint_errors(arn, "resource", pattern=RESOURCE_PATTERN))
        self._tagged_function: Any = None
        kind, _, rest = arn.split(":", 5)[5].partition(":")
        if kind == "function":
            name, _, qualifier = rest.partition(":")
            if qualifier:
                raise InvalidParameterValueException(QUALIFIED)
            try:
                fn = self.platform.function(name)
            except ResourceNotFoundException:
                raise ResourceNotFoundException(f"Function not found: {arn}") from None
            self._tagged_function = fn
            return fn.tags
        if kind == "event-source-mapping":
            from ..sources.mappings import store_for

            m = store_for(self.platform).mappings.get(rest)
            if m is None:
                raise ResourceNotFoundException(f"Event source mapping not found: {arn}")
            return m.tags
        if kind == "code-signing-config":
            from .code_signing_api import signing_store

            return signing_store(self.platform).get(arn).tags
        if kind == "capacity-provider":
            raise ResourceNotFoundException(f"Capacity provider not found: {arn}")
        raise ResourceNotFoundException(f"Layer not found: {arn}")  # layers take no tags

    def tag_resource(self) -> TYPE_RESPONSE:
        tags = self.json_body.get("Tags") or {}
        target = self._tagged()
        if not tags:
            raise InvalidParameterValueException(
                "An error occurred and the request cannot be processed.")
        check_tag_count({**target, **tags})
        target.update(tags)
        self._renew()
        return _reply(204)

    def untag_resource(self) -> TYPE_RESPONSE:
        keys = self.querystring.get("tagKeys")
        if not keys:
            raise_validation(constraint_errors(None, "tagKeys"))
        target = self._tagged()
        for key in keys or ():
            target.pop(key, None)
        self._renew()
        return _reply(204)

    def _renew(self) -> None:
        """A function's tags changed: like any change, a new RevisionId (recorded
        TestLambdaTags.test_tag_lifecycle: each Tag/UntagResource gives GetFunction a new one)."""
        fn = getattr(self, "_tagged_function", None)
        if fn is not None:
            fn.latest.new_revision()

    def list_tags(self) -> TYPE_RESPONSE:
        return _reply(200, {"Tags": dict(self._tagged())})
