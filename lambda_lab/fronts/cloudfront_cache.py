"""The emulated CloudFront cache: entries keyed per distribution, cache behaviour and cache
key, kept for a TTL on the platform clock (CloudFront DG "Manage how long content stays in the
cache (expiration)").

- ``Cache-Control: s-maxage`` / ``max-age`` (or ``Expires``) from the origin sets the TTL,
  clamped to the behaviour's minimum and maximum TTL;
- ``no-cache``, ``no-store`` or ``private``: the minimum TTL (0: not cached);
- no such header: the behaviour's default TTL.
"""

from __future__ import annotations

import email.utils
import fnmatch
import threading
from dataclasses import dataclass
from typing import Any

from .http import HttpResponse

__all__ = ["Entry", "clear", "get", "invalidate", "put", "ttl_for"]


@dataclass
class Entry:
    """A cached response: the response as stored and when (platform time)."""

    response: HttpResponse
    stored: float
    expires: float
    uri: str


_entries: dict[tuple[str, str, str], Entry] = {}
_lock = threading.Lock()


def ttl_for(response: HttpResponse, min_ttl: float, default_ttl: float, max_ttl: float,
            now: float) -> float:
    """How long CloudFront keeps ``response`` (seconds; 0: not cached)."""
    directives: dict[str, str] = {}
    for part in (response.header("cache-control") or "").split(","):
        name, _, value = part.strip().partition("=")
        if name:
            directives[name.lower()] = value.strip().strip('"')
    if {"no-cache", "no-store", "private"} & directives.keys():
        return float(min_ttl)
    for name in ("s-maxage", "max-age"):
        if directives.get(name, "").isdigit():
            return float(min(max(int(directives[name]), min_ttl), max_ttl))
    expires = response.header("expires")
    if expires:
        try:
            when = email.utils.parsedate_to_datetime(expires).timestamp()
        except (TypeError, ValueError):
            when = now
        return float(min(max(when - now, min_ttl), max_ttl))
    return float(default_ttl)


def get(distribution_id: str, behaviour: str, key: str, now: float) -> Entry | None:
    """The fresh entry for ``key``, or None (an expired entry is dropped)."""
    with _lock:
        entry = _entries.get((distribution_id, behaviour, key))
        if entry is not None and entry.expires <= now:
            del _entries[(distribution_id, behaviour, key)]
            return None
        return entry


def put(distribution_id: str, behaviour: str, key: str, uri: str, response: HttpResponse,
        now: float, ttl: float) -> None:
    if ttl <= 0:
        return
    with _lock:
        _entries[(distribution_id, behaviour, key)] = Entry(response, now, now + ttl, uri)


def invalidate(distribution_id: str, paths: list[str]) -> int:
    """Drop the entries whose URI matches one of ``paths`` (``*`` wildcards); how many."""
    with _lock:
        gone = [k for k, e in _entries.items() if k[0] == distribution_id
                and any(fnmatch.fnmatchcase(e.uri, p) for p in paths)]
        for k in gone:
            del _entries[k]
        return len(gone)


def clear(distribution_id: Any) -> None:
    """Forget one distribution's entries (None: all)."""
    with _lock:
        for k in [k for k in _entries if distribution_id is None or k[0] == distribution_id]:
            del _entries[k]
