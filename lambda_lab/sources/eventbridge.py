"""EventBridge (CloudWatch Events) rules with Lambda targets, on top of moto's events backend.

* ``PutRule`` checks a ScheduleExpression as AWS does (:mod:`.cron`; "Parameter
  ScheduleExpression is not valid.") and starts its schedule on the platform clock: each fire
  sends the "Scheduled Event" (source ``aws.events``, resources ``[rule ARN]``) to the rule's
  targets at that time.
* moto's ``Rule.send_to_targets`` (PutEvents, schedules) is wrapped: a disabled rule sends
  nothing; Lambda-ARN targets are taken out before moto sees them (moto raises
  NotImplementedError for them) and delivered through :func:`.triggers.deliver` (resource policy
  for ``events.amazonaws.com``, then an Event invocation) with the target's RetryPolicy and
  DeadLetterConfig (:mod:`.eventbridge_retry`, which PutTargets' validation also uses); moto
  keeps its own targets (SQS, logs, buses …). The pattern matcher of :mod:`.filtering` (moto's,
  with AWS's rules where moto's differ), which event source mappings' filters share, decides
  which rules match.
* A Lambda target's ``Input`` (constant JSON), ``InputPath`` (JSONPath) or ``InputTransformer``
  (InputPathsMap + InputTemplate) shapes what the function receives.
"""

from __future__ import annotations

import copy
import datetime as _dt
import json
import logging
import re
import threading
import uuid
from typing import Any
from unittest import mock

from . import cron
from .eventbridge_retry import PRINCIPAL, Retrier, validate_targets, validation_message
from .filtering import matches

__all__ = ["PRINCIPAL", "Scheduler", "lambda_input", "patches", "wire_event"]

log = logging.getLogger("lambda_lab.sources")


def _is_lambda(arn: str) -> bool:
    parts = arn.split(":")
    return len(parts) >= 7 and parts[2] == "lambda" and parts[5] == "function"


def _iso(t: Any) -> str:
    if isinstance(t, str):
        return t
    if isinstance(t, _dt.datetime):
        t = t.timestamp()
    stamp = _dt.datetime.fromtimestamp(float(t), _dt.timezone.utc)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def wire_event(event: dict[str, Any]) -> dict[str, Any]:
    """An event as EventBridge sends it to a target (moto keeps ``time`` as a number and an
    ``ingestion-time`` field targets never see)."""
    out = {k: v for k, v in event.items() if k != "ingestion-time"}
    if "time" in out:
        out["time"] = _iso(out["time"])
    return out


_PLACEHOLDER = re.compile(r"<([A-Za-z0-9_.\-]+)>")


def _path(expr: str, doc: Any) -> tuple[bool, Any]:
    from jsonpath_ng.ext import parse

    found = parse(expr).find(doc)
    if not found:
        return False, None
    return True, found[0].value


def _transform(transformer: dict[str, Any], event: dict[str, Any], rule_arn: str,
               rule_name: str) -> str:
    values: dict[str, tuple[bool, Any]] = {
        name: _path(expr, event) for name, expr in (transformer.get("InputPathsMap") or {}).items()
    }
    values.setdefault("aws.events.rule-arn", (True, rule_arn))
    values.setdefault("aws.events.rule-name", (True, rule_name))
    values.setdefault("aws.events.event", (True, event))
    values.setdefault("aws.events.event.json", (True, event))
    values.setdefault("aws.events.event.ingestion-time", (True, event.get("time")))
    template = transformer.get("InputTemplate") or ""
    out, in_string, i = [], False, 0
    while i < len(template):
        ch = template[i]
        if ch == "\\" and in_string:
            out.append(template[i:i + 2])
            i += 2
            continue
        if ch == '"':
            in_string = not in_string
        m = _PLACEHOLDER.match(template, i) if ch == "<" else None
        if m and m.group(1) in values:
            found, value = values[m.group(1)]
            if in_string:  # inside a JSON string: the text, escaped
                text = value if isinstance(value, str) else json.dumps(value)
                out.append(json.dumps(text if found else "")[1:-1])
            else:
                out.append(json.dumps(value if found else None))
            i = m.end()
            continue
        out.append(ch)
        i += 1
    return "".join(out)


def lambda_input(target: dict[str, Any], event: dict[str, Any], rule_arn: str,
                 rule_name: str) -> bytes:
    """The payload a Lambda target receives for ``event`` (already in wire form)."""
    if target.get("Input") is not None:
        return str(target["Input"]).encode()
    if target.get("InputPath"):
        found, value = _path(target["InputPath"], event)
        return json.dumps(value if found else None).encode()
    if target.get("InputTransformer"):
        return _transform(target["InputTransformer"], event, rule_arn, rule_name).encode()
    return json.dumps(event).encode()


def _deliver_lambda(retrier: Retrier, rule: Any, target: dict[str, Any],
                    event: dict[str, Any]) -> None:
    wire = wire_event(event)
    payload = lambda_input(target, wire, rule.arn, rule.name)
    retrier.deliver(rule.arn, rule.account_id, target, wire, payload)


class Scheduler:
    """The schedules of one session's rules, on its platform clock."""

    def __init__(self, aws: Any) -> None:
        self.aws = aws
        self._lock = threading.Lock()
        self._timers: dict[tuple[str, str, str], Any] = {}
        self._stopped = False
        self.fired: list[tuple[str, float]] = []  #: (rule ARN, scheduled time) per fire

    def start(self, rule: Any) -> None:
        """(Re)start ``rule``'s schedule from now; the expression was validated by PutRule."""
        schedule = cron.parse(rule.scheduled_expression)
        anchor = self.aws.clock.now()
        self._arm(rule, schedule, anchor, anchor)

    def _arm(self, rule: Any, schedule: Any, anchor: float, after: float) -> None:
        when = schedule.next_after(after, anchor)
        key = (rule.account_id, rule.region_name, rule.arn)
        with self._lock:
            old = self._timers.pop(key, None)
            if old is not None:
                old.cancel()
            if self._stopped or when is None:
                return
            try:
                self._timers[key] = self.aws.clock.call_at(
                    when, self._fire, rule, schedule, anchor, when)
            except RuntimeError:  # the clock is closed
                self._stopped = True

    def _fire(self, rule: Any, schedule: Any, anchor: float, when: float) -> None:
        from moto.events.models import events_backends

        if self._stopped:
            return
        try:
            bus = events_backends[rule.account_id][rule.region_name].event_buses.get(
                rule.event_bus_name)
        except Exception:  # noqa: BLE001 -- moto was reset: the session is ending
            return
        if bus is None or bus.rules.get(rule.name) is not rule:
            return  # deleted, or replaced by a later PutRule (which armed its own timer)
        self._arm(rule, schedule, anchor, when)
        if rule.state != "ENABLED":
            return
        self.fired.append((rule.arn, when))
        event = {
            "version": "0", "id": str(uuid.uuid4()), "detail-type": "Scheduled Event",
            "source": "aws.events", "account": rule.account_id, "time": when,
            "region": rule.region_name, "resources": [rule.arn], "detail": {},
            "ingestion-time": when,
        }
        rule.send_to_targets(event)

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            timers, self._timers = list(self._timers.values()), {}
        for t in timers:
            t.cancel()


def patches(aws: Any, scheduler: Scheduler, retrier: Retrier) -> list[Any]:
    """moto patches: schedule validation and timers, Lambda targets (with their retry policy
    and DLQ), PutTargets' RetryPolicy validation, the platform clock."""
    import moto.events.models as events_models
    from moto.events.exceptions import ValidationException

    original_put_rule = events_models.EventsBackend.put_rule
    original_put_targets = events_models.EventsBackend.put_targets
    original_send = events_models.Rule.send_to_targets

    def put_targets(backend: Any, name: str, event_bus_arn: str | None,
                    targets: list[dict[str, Any]]) -> None:
        errors = validate_targets(targets)
        if errors:
            raise ValidationException(validation_message(errors))
        original_put_targets(backend, name, event_bus_arn, targets)

    def put_rule(backend: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        expression = kwargs.get("scheduled_expression")
        if expression:
            try:
                cron.parse(expression)
            except cron.InvalidSchedule:
                raise ValidationException(cron.INVALID) from None
        rule = original_put_rule(backend, name, *args, **kwargs)
        if rule.scheduled_expression:
            scheduler.start(rule)
        return rule

    def send_to_targets(rule: Any, event: dict[str, Any], transform_input: bool = True) -> None:
        if rule.state != "ENABLED" or not matches(rule.event_pattern.get_pattern(), event):
            return
        lambdas = [t for t in rule.targets if _is_lambda(t.get("Arn", ""))]
        others = [t for t in rule.targets if not _is_lambda(t.get("Arn", ""))]
        if others:
            shadow = copy.copy(rule)
            shadow.targets = others
            original_send(shadow, copy.deepcopy(event), transform_input)
        for target in lambdas:
            _deliver_lambda(retrier, rule, target, event)

    return [
        mock.patch.object(events_models.EventsBackend, "put_rule", put_rule),
        mock.patch.object(events_models.EventsBackend, "put_targets", put_targets),
        mock.patch.object(events_models.Rule, "send_to_targets", send_to_targets),
        mock.patch.object(events_models, "unix_time", lambda dt=None: aws.clock.now()
                          if dt is None else _real_unix_time(dt)),
    ]


def _real_unix_time(dt: Any) -> float:
    from moto.core.utils import unix_time

    return unix_time(dt)
