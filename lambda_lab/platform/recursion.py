"""Recursive loop detection: a chain of requests that keeps invoking one function is stopped.

As on AWS (DG invocation-recursion; lambda-facts.md B "Recursive loop detection"), the count
travels in the X-Ray trace header: every invocation gets a ``_X_AMZN_TRACE_ID`` like
``Root=1-…;Parent=…;Sampled=0;Lineage=<fn hash>:<count>[|<fn hash>:<count>…]``, and the AWS
SDK inside the handler forwards it as the ``X-Amzn-Trace-Id`` header of every call it makes
(botocore's ``add_recursion_detection_header``). When the header comes back with an Invoke,
the invoked function's count goes up by one; past :data:`LIMIT` (16) invocations of the same
function in one chain, a function whose RecursiveLoop is ``Terminate`` (the default) is stopped:
an Event invocation goes to its on-failure destination / DLQ or is dropped with a log line, a
synchronous one raises RecursiveInvocationException.

Covered: Lambda -> Lambda through the Invoke API (sync and Event, any depth, through other
functions too), and Lambda destinations. SQS and SNS carry the header only where the service
forwards it to the next invocation (an SQS poller reading ``AWSTraceHeader``, an SNS
subscription): :func:`next_trace` is the hook they call with the header they received.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from ..errors import LambdaError

if TYPE_CHECKING:
    from .model import Function
    from .platform import Platform

__all__ = [
    "ALLOW",
    "LIMIT",
    "TERMINATE",
    "RecursiveInvocationException",
    "count_for",
    "get_config",
    "next_trace",
    "set_config",
    "stopped",
]

log = logging.getLogger("lambda_lab.recursion")

LIMIT = 16  #: invocations of one function in one chain before the next is stopped
ALLOW, TERMINATE = "Allow", "Terminate"
_configs: WeakKeyDictionary[Function, str] = WeakKeyDictionary()


class RecursiveInvocationException(LambdaError):
    """Lambda stopped a function invoked in a recursive loop (HTTP 400)."""

    code = "RecursiveInvocationException"
    status = 400


def get_config(fn: Function) -> str:
    """The function's RecursiveLoop setting: ``Terminate`` unless set to ``Allow``."""
    return _configs.get(fn, TERMINATE)


def set_config(fn: Function, value: str) -> None:
    _configs[fn] = value


def _fn_hash(platform: Platform, fn: Function) -> str:
    return hashlib.sha256(platform.arn(fn.name).encode()).hexdigest()[:8]


def parse_trace_header(header: str | None) -> dict[str, str]:
    """The ``key=value`` fields of an X-Amzn-Trace-Id header (Root, Parent, Sampled, ...)."""
    fields: dict[str, str] = {}
    for part in (header or "").split(";"):
        key, sep, value = part.strip().partition("=")
        if sep:
            fields[key] = value
    return fields


def _lineage(fields: dict[str, str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for entry in fields.get("Lineage", "").split("|"):
        key, sep, value = entry.rpartition(":")
        if sep and value.isdigit():
            counts[key] = int(value)
    return counts


def next_trace(platform: Platform, fn: Function, incoming: str | None) -> str:
    """The trace header for a new invocation of ``fn`` caused by a request carrying
    ``incoming`` (None: a fresh chain): same Root, new Parent, ``fn``'s count + 1."""
    fields = parse_trace_header(incoming)
    counts = _lineage(fields)
    key = _fn_hash(platform, fn)
    counts[key] = counts.get(key, 0) + 1
    root = fields.get("Root") or f"1-{int(platform.clock.now()):08x}-{uuid.uuid4().hex[:24]}"
    lineage = "|".join(f"{k}:{v}" for k, v in counts.items())
    return f"Root={root};Parent={uuid.uuid4().hex[:16]};Sampled=0;Lineage={lineage}"


def count_for(platform: Platform, fn: Function, trace: str | None) -> int:
    """How many times ``fn`` has been invoked in the chain ``trace`` belongs to (this one
    included)."""
    return _lineage(parse_trace_header(trace)).get(_fn_hash(platform, fn), 0)


def stopped(platform: Platform | None, fn: Function, trace: str | None) -> bool:
    """True if this invocation of ``fn`` is past the limit and the function is not ``Allow``."""
    if platform is None or trace is None or get_config(fn) == ALLOW:
        return False
    return count_for(platform, fn, trace) > LIMIT


def check_sync(platform: Platform, fn: Function, trace: str) -> None:
    """Raise RecursiveInvocationException if a synchronous invocation must be stopped."""
    if stopped(platform, fn, trace):
        log.warning("Lambda stopped a recursive invocation of %s: invoked %d times by one "
                    "chain of requests (RecursiveLoop: Terminate)", platform.arn(fn.name),
                    count_for(platform, fn, trace))
        raise RecursiveInvocationException(
            "Lambda has detected your function being invoked in a recursive loop with other "
            "AWS resources and stopped your function's invocation.")
