"""Marker / MaxItems paging of the Lambda list calls (a helper of ``LabResponse`` and its mixins).

Lambda's ``NextMarker`` is an opaque token; here it names the listing and the key of the last item
returned, so the next page resumes after that item even if others were added or deleted
meanwhile. Items are ordered by their key. Limits (botocore's Lambda model): MaxItems 1-10,000
(``MaxListItems``), 1-50 for layers (``MaxLayerListItems``), event invoke configs
(``MaxFunctionEventInvokeConfigListItems``) and provisioned concurrency configs
(``MaxProvisionedConcurrencyConfigListItems``); ListFunctions and ListVersionsByFunction return at
most 50 items a response, ListEventSourceMappings at most 100.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from ..errors import InvalidParameterValueException, ValidationException

__all__ = ["page", "qualifier_key"]

T = TypeVar("T")
#: Unconfirmed for ListFunctions; reported for ListLayers against the live service.
INVALID_MARKER = "Invalid pagination key."


def _max_items(query: Mapping[str, list[str]], low: int, high: int) -> int | None:
    raw = (query.get("MaxItems") or [None])[0]
    if raw in (None, ""):
        return None
    try:
        value = int(raw)
    except ValueError:
        raise ValidationException(  # emulator wording
            f"1 validation error detected: Value '{raw}' at 'maxItems' failed to satisfy "
            "constraint: Member must be an integer") from None
    if value > high:
        rule = f"Member must have value less than or equal to {high}"
    elif value < low:
        rule = f"Member must have value greater than or equal to {low}"
    else:
        return value
    raise ValidationException(f"1 validation error detected: Value '{value}' at 'maxItems' "
                              f"failed to satisfy constraint: {rule}")


def _encode(kind: str, key: tuple) -> str:
    raw = json.dumps([kind, list(key)], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode(kind: str, marker: str) -> tuple:
    try:
        found_kind, key = json.loads(base64.urlsafe_b64decode(marker.encode()))
    except (ValueError, TypeError, binascii.Error):
        raise InvalidParameterValueException(INVALID_MARKER) from None
    if found_kind != kind or not isinstance(key, list):
        raise InvalidParameterValueException(INVALID_MARKER)
    return tuple(key)


def qualifier_key(qualifier: str) -> tuple[int, int, str]:
    """Order qualifiers as ``$LATEST``, versions by number, then aliases by name."""
    if qualifier.isdigit():
        return 1, int(qualifier), ""
    return (0, 0, "") if qualifier == "$LATEST" else (2, 0, qualifier)


def page(query: Mapping[str, list[str]], kind: str, items: Sequence[T],
         key: Callable[[T], tuple[Any, ...]], *, per_page: int = 50,
         max_items: int = 10_000) -> tuple[list[T], str | None]:
    """One page of ``items`` for the request's Marker and MaxItems, and its NextMarker.

    ``kind`` names the listing (a marker of another listing is refused); ``key`` orders the
    items (str/int tuples); ``per_page`` is both the default and the most one response holds;
    ``max_items`` the largest MaxItems accepted. Raises ValidationException (MaxItems out of
    range) and InvalidParameterValueException (a marker this listing did not issue).
    """
    size = min(_max_items(query, 1, max_items) or per_page, per_page)
    ordered = sorted(items, key=key)
    marker = (query.get("Marker") or [None])[0]
    start = 0
    if marker:
        after = _decode(kind, marker)
        try:
            start = next((i for i, item in enumerate(ordered) if key(item) > after),
                         len(ordered))
        except TypeError:  # a key of the wrong shape
            raise InvalidParameterValueException(INVALID_MARKER) from None
    chosen = ordered[start:start + size]
    more = start + size < len(ordered)
    return chosen, (_encode(kind, key(chosen[-1])) if more and chosen else None)
