"""EventBridge's retry policy and dead-letter queue for Lambda targets (EventBridge UG "Event retry
policy and using dead-letter queues"; API RetryPolicy, DeadLetterConfig).

EventBridge's part ends when Lambda accepts the asynchronous Invoke; from then on Lambda's own
async rules apply (retries, destinations, the function's DLQ). Before that:

* a refusal retrying cannot fix goes to the target's DLQ at once, without retries: the resource
  policy does not let ``events.amazonaws.com`` in (``NO_PERMISSIONS``), the function does not
  exist (``NO_RESOURCE``), another 4xx (``INVALID_PARAMETER``);
* throttling (429, ``THROTTLING``) and Lambda service errors (5xx, ``INTERNAL_ERROR``) are retried
  on the platform clock with exponential back-off and jitter until ``MaximumRetryAttempts``
  retries (0–185, default 185) or ``MaximumEventAgeInSeconds`` (60–86,400, default 86,400) run
  out;
* then the event goes to ``DeadLetterConfig.Arn`` (a standard SQS queue) with the message
  attributes RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION (only
  when a retry limit ended it) and RETRY_ATTEMPTS. Without a DLQ, or when the DLQ refuses it,
  the event is dropped with a warning in the ``lambda_lab.sources`` log (on AWS only the
  FailedInvocations / InvocationsFailedToBeSentToDLQ metrics show it).

AWS documents no back-off schedule beyond "exponential back off and jitter"; here the n-th retry
waits between half and all of min(2^(n-1) s, 600 s) (emulator choice: the default 185 retries
then take about 24 hours, as AWS's two defaults suggest).
"""

from __future__ import annotations

import json
import logging
import random
import threading
from dataclasses import dataclass
from typing import Any

from . import triggers

__all__ = ["MAX_AGE", "MAX_ATTEMPTS", "Retrier", "validate_targets"]

log = logging.getLogger("lambda_lab.sources")

PRINCIPAL = "events.amazonaws.com"
MAX_ATTEMPTS, MAX_AGE, MIN_AGE = 185, 86_400, 60
BACKOFF_CAP = 600.0

#: Lambda's refusal -> (ERROR_CODE, retried?)
_NOT_RETRIED = {"AccessDeniedException": "NO_PERMISSIONS",
                "ResourceNotFoundException": "NO_RESOURCE"}


def validate_targets(targets: list[dict[str, Any]]) -> list[str]:
    """PutTargets' checks of every target's RetryPolicy, in AWS's validation-error format (the
    member path and constraint text are AWS's usual ones; unconfirmed for PutTargets)."""
    errors = []
    for i, target in enumerate(targets, start=1):
        policy = target.get("RetryPolicy") or {}
        for key, member, low, high in (
                ("MaximumRetryAttempts", "maximumRetryAttempts", 0, MAX_ATTEMPTS),
                ("MaximumEventAgeInSeconds", "maximumEventAgeInSeconds", MIN_AGE, MAX_AGE)):
            value = policy.get(key)
            if value is None:
                continue
            where = f"Value '{value}' at 'targets.{i}.member.retryPolicy.{member}'"
            if int(value) > high:
                errors.append(f"{where} failed to satisfy constraint: Member must have value "
                              f"less than or equal to {high}")
            elif int(value) < low:
                errors.append(f"{where} failed to satisfy constraint: Member must have value "
                              f"greater than or equal to {low}")
    return errors


def validation_message(errors: list[str]) -> str:
    """``1 validation error detected: …`` / ``2 validation errors detected: …; …``."""
    noun = "error" if len(errors) == 1 else "errors"
    return f"{len(errors)} validation {noun} detected: " + "; ".join(errors)


@dataclass
class _Pending:
    """One event on its way to one Lambda target."""

    rule_arn: str
    account: str
    target_arn: str
    dead_letter_arn: str
    payload: bytes  #: what the function receives (after Input/InputPath/InputTransformer)
    event: dict[str, Any]  #: the event itself (wire form): the DLQ message body
    max_attempts: int
    max_age: int
    first: float  #: platform time of the first attempt
    retries: int = 0


class Retrier:
    """Delivers EventBridge events to Lambda targets for one session, retrying on its clock."""

    def __init__(self, aws: Any) -> None:
        self.aws = aws
        self._rng = random.Random("eventbridge-retry")  # jitter, deterministic per session
        self._lock = threading.Lock()
        self._timers: set[Any] = set()
        self._stopped = False

    def deliver(self, rule_arn: str, account: str, target: dict[str, Any],
                event: dict[str, Any], payload: bytes) -> None:
        """First attempt to deliver ``event`` (wire form) as ``payload`` to a Lambda target."""
        policy = target.get("RetryPolicy") or {}
        attempts = policy.get("MaximumRetryAttempts")
        age = policy.get("MaximumEventAgeInSeconds")
        pending = _Pending(
            rule_arn, account, target["Arn"],
            (target.get("DeadLetterConfig") or {}).get("Arn") or "", payload, event,
            MAX_ATTEMPTS if attempts is None else int(attempts),
            MAX_AGE if age is None else int(age), self.aws.clock.now())
        self._attempt(pending)

    def _attempt(self, p: _Pending) -> None:
        d = triggers.deliver(self.aws, PRINCIPAL, p.rule_arn, p.account, p.target_arn, p.payload)
        if d.outcome == triggers.ALLOWED:
            return
        if d.status is None:  # the session is ending
            log.warning("EventBridge dropped an event of %s for %s: %s", p.rule_arn,
                        p.target_arn, d.reason)
            return
        code = _NOT_RETRIED.get(d.error_code or "")
        if code is None and d.status < 500 and d.status != 429:
            code = "INVALID_PARAMETER"
        if code is not None:
            self._give_up(p, code, d.reason or "", None)
            return
        code = "THROTTLING" if d.status == 429 else "INTERNAL_ERROR"
        if p.retries >= p.max_attempts:
            self._give_up(p, code, d.reason or "", "MaximumRetryAttempts")
            return
        ceiling = min(BACKOFF_CAP, 2.0 ** p.retries)
        when = self.aws.clock.now() + ceiling / 2 + self._rng.uniform(0, ceiling / 2)
        if when - p.first > p.max_age:
            self._give_up(p, code, d.reason or "", "MaximumEventAgeInSeconds")
            return
        p.retries += 1
        self._schedule(when, p)

    def _schedule(self, when: float, p: _Pending) -> None:
        with self._lock:
            if self._stopped:
                return
            holder: list[Any] = []

            def fire() -> None:
                with self._lock:
                    self._timers.discard(holder[0])
                    if self._stopped:
                        return
                self._attempt(p)

            try:
                holder.append(self.aws.clock.call_at(when, fire))
            except RuntimeError:  # the clock is closed
                self._stopped = True
                return
            self._timers.add(holder[0])

    def _give_up(self, p: _Pending, code: str, message: str, condition: str | None) -> None:
        attributes = {"RULE_ARN": p.rule_arn, "TARGET_ARN": p.target_arn, "ERROR_CODE": code,
                      "ERROR_MESSAGE": message[:1024], "RETRY_ATTEMPTS": str(p.retries)}
        if condition:
            attributes["EXHAUSTED_RETRY_CONDITION"] = condition
        why = f"{code} after {p.retries} retries" + (f" ({condition})" if condition else "")
        if not p.dead_letter_arn:
            log.warning("EventBridge dropped an event of %s for %s: %s: %s (no DeadLetterConfig)",
                        p.rule_arn, p.target_arn, why, message)
            return
        try:
            _send_sqs(p.dead_letter_arn, json.dumps(p.event), attributes)
        except Exception as e:  # noqa: BLE001 -- InvocationsFailedToBeSentToDLQ
            log.warning("EventBridge dropped an event of %s for %s: %s, and the dead-letter queue "
                        "%s did not take it: %s", p.rule_arn, p.target_arn, why,
                        p.dead_letter_arn, e)

    def stop(self) -> None:
        """Cancel pending retries (the session is ending)."""
        with self._lock:
            self._stopped = True
            timers, self._timers = list(self._timers), set()
        for t in timers:
            t.cancel()
        if timers:
            log.info("EventBridge: %d pending retries ended with the session", len(timers))


def _send_sqs(arn: str, body: str, attributes: dict[str, str]) -> None:
    from moto.sqs.models import sqs_backends

    parts = arn.split(":")
    if len(parts) != 6 or parts[2] != "sqs":
        raise ValueError(f"{arn} is not an SQS queue ARN")
    backend = sqs_backends[parts[4]][parts[3]]
    if parts[5] not in backend.queues:
        raise ValueError(f"the queue {parts[5]} does not exist")
    if parts[5].endswith(".fifo"):
        raise ValueError("a FIFO queue cannot be an EventBridge dead-letter queue")
    backend.send_message(parts[5], body, message_attributes={
        k: {"DataType": "String", "StringValue": v} for k, v in attributes.items()})
