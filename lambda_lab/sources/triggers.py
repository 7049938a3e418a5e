"""Push triggers: EventBridge rules (schedules and patterns), S3 notifications, SNS to Lambda.

Each service hands its event to :func:`deliver`, which does what the service does on AWS: checks
the function's resource policy lets the service's principal in for this source (DG
access-control-resource-based), then invokes asynchronously (``Event``: the async queue's
retries, destinations and DLQ apply). Every delivery, made or refused, is recorded as a
:class:`Delivery` in :func:`deliveries` (a refused one is also logged): on AWS it shows only as the
rule's FailedInvocations metric, or nowhere for S3 and SNS.

EventBridge retries a refused delivery and dead-letters it per target (:mod:`.eventbridge_retry`);
S3 checks its destinations when a notification configuration is put (:mod:`.s3_validation`).

:func:`patches` (called by :func:`lambda_lab.sources.hooks.install`) returns the moto patches of
:mod:`.eventbridge`, :mod:`.notifications` and :mod:`.s3_validation`; :func:`stop` ends the
session's schedules and pending EventBridge retries.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Any

from ..errors import LambdaError

__all__ = ["Delivery", "deliver", "deliveries", "patches", "stop"]

log = logging.getLogger("lambda_lab.sources")

ALLOWED, DENIED, FAILED = "invoked", "denied", "failed"
HISTORY_MAX = 10_000


@dataclass(frozen=True)
class Delivery:
    """One event a service pushed to a Lambda function."""

    time: float  #: platform time
    principal: str  #: events.amazonaws.com, s3.amazonaws.com, sns.amazonaws.com
    source_arn: str  #: the rule, bucket or topic
    function_arn: str
    outcome: str  #: invoked, denied (resource policy) or failed (e.g. no such function)
    request_id: str | None = None  #: of the Event invocation, when invoked
    reason: str | None = None
    error_code: str | None = None  #: Lambda's error code when not invoked (AccessDenied…)
    status: int | None = None  #: its HTTP status (403, 404, 429, 5xx); None: session ending


class _Session:
    def __init__(self, aws: Any) -> None:
        self.aws = aws
        self.deliveries: list[Delivery] = []
        self.lock = threading.Lock()
        self.stoppers: list[Any] = []


_sessions: dict[int, _Session] = {}
_current: _Session | None = None


def patches(aws: Any) -> list[Any]:
    """The moto patches for the session ``aws`` (started and stopped by ``hooks``)."""
    global _current
    from . import eventbridge, eventbridge_retry, notifications, s3_validation

    session = _Session(aws)
    _sessions[id(aws)] = session
    _current = session
    scheduler = eventbridge.Scheduler(aws)
    retrier = eventbridge_retry.Retrier(aws)
    session.stoppers += [scheduler.stop, retrier.stop]
    return (eventbridge.patches(aws, scheduler, retrier) + notifications.patches(aws)
            + s3_validation.patches(aws))


def stop(aws: Any) -> None:
    """End the session's schedules and EventBridge retries (idempotent)."""
    global _current
    session = _sessions.pop(id(aws), None)
    if session is None:
        return
    for stopper in session.stoppers:
        stopper()
    if _current is session:
        _current = None


def deliveries() -> list[Delivery]:
    """Every push delivery of the active ``mock_aws()`` session so far."""
    session = _current
    if session is None:
        return []
    with session.lock:
        return list(session.deliveries)


def _record(delivery: Delivery) -> Delivery:
    session = _current
    if session is not None:
        with session.lock:
            session.deliveries.append(delivery)
            if len(session.deliveries) > HISTORY_MAX:
                del session.deliveries[: len(session.deliveries) - HISTORY_MAX]
    return delivery


def deliver(aws: Any, principal: str, source_arn: str, source_account: str, function_arn: str,
            payload: bytes, trace_id: str | None = None) -> Delivery:
    """Invoke ``function_arn`` (Event) for ``principal`` if its resource policy allows it.

    ``trace_id``: the X-Amzn-Trace-Id of the request that caused the event (recursion lineage).
    Never raises for a refused or failed delivery: the service carries on, as AWS's do."""
    from . import permissions

    parts = function_arn.split(":")
    region, account = (parts[3], parts[4]) if len(parts) >= 7 else ("us-east-1", source_account)
    now = aws.clock.now()
    try:
        platform = aws.platform(region, account)
    except Exception as e:  # noqa: BLE001 -- the session is ending
        return _record(Delivery(now, principal, source_arn, function_arn, FAILED,
                                reason=f"{type(e).__name__}: {e}"))
    try:
        platform.function(function_arn)
    except LambdaError as e:
        log.warning("%s could not invoke %s for %s: %s", principal, function_arn, source_arn,
                    e.message)
        return _record(Delivery(now, principal, source_arn, function_arn, FAILED,
                                reason=f"{e.code}: {e.message}", error_code=e.code,
                                status=e.status))
    if not permissions.allows(platform, function_arn, principal, source_arn, source_account):
        reason = (f"AccessDeniedException: the resource policy of {function_arn} does not "
                  f"allow {principal} to invoke it for {source_arn} (add_permission)")
        log.warning("%s was refused: %s", principal, reason)
        return _record(Delivery(now, principal, source_arn, function_arn, DENIED,
                                reason=reason, error_code="AccessDeniedException", status=403))
    try:
        inv = platform.invoke(function_arn, payload, invocation_type="Event", trace_id=trace_id)
    except LambdaError as e:
        log.warning("%s could not invoke %s: %s", principal, function_arn, e.message)
        return _record(Delivery(now, principal, source_arn, function_arn, FAILED,
                                reason=f"{e.code}: {e.message}", error_code=e.code,
                                status=e.status))
    except RuntimeError as e:  # the platform is shutting down
        return _record(Delivery(now, principal, source_arn, function_arn, FAILED,
                                reason=str(e)))
    return _record(Delivery(now, principal, source_arn, function_arn, ALLOWED,
                            request_id=inv.request_id))
