"""CodeDeploy-style traffic shifting for Lambda aliases, on the platform clock.

A :class:`Deployment` moves one alias from ``CurrentVersion`` to ``TargetVersion`` as CodeDeploy
does for the Lambda compute platform (CodeDeploy UG "Deployments on an AWS Lambda compute
platform", "AppSpec 'hooks' section", "Working with deployment configurations"):

1. ``BeforeAllowTraffic``: the hook function is invoked asynchronously with ``{"DeploymentId",
   "LifecycleEventHookExecutionId"}`` and must report ``Succeeded`` or ``Failed`` with
   PutLifecycleEventHookExecutionStatus (:meth:`Deployment.report`); "the deployment is
   considered to have failed if CodeDeploy is not notified ... within one hour";
2. ``AllowTraffic``: the alias's AdditionalVersionWeights give the target version its share step
   by step (canary: the canary percentage, then 100 % one interval later; linear: + the
   percentage every interval; all at once), then the alias points to the target version;
3. ``AfterAllowTraffic``: the second hook; then the deployment has Succeeded.

A CloudWatch alarm in ALARM (polled at every step, and whenever the front calls
:meth:`Deployment.check_alarms`) stops the deployment; a failure, a stop on alarm or a stop on
request puts the alias back on the current version when the matching rollback event is enabled.
Everything runs on timers of the platform clock: ``aws.advance(300)`` moves a canary along, and
on the real-time clock it runs by itself. The moto bridge is :mod:`lambda_lab.aws.codedeploy`.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "AFTER",
    "BEFORE",
    "HOOK_TIMEOUT_S",
    "PREDEFINED",
    "AppSpecError",
    "Deployment",
    "DeploymentError",
    "LambdaTarget",
    "TrafficRouting",
    "parse_appspec",
]

BEFORE, ALLOW, AFTER = "BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic"
#: UG "AppSpec 'hooks' section": a hook that does not report within one hour fails the deployment.
HOOK_TIMEOUT_S = 3600.0
CANARY, LINEAR, ALL_AT_ONCE = "TimeBasedCanary", "TimeBasedLinear", "AllAtOnce"
FAILURE, ON_ALARM, ON_REQUEST = ("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM",
                                 "DEPLOYMENT_STOP_ON_REQUEST")
CREATED, IN_PROGRESS, SUCCEEDED, FAILED, STOPPED = (
    "Created", "InProgress", "Succeeded", "Failed", "Stopped")


class DeploymentError(Exception):
    """An AWS-shaped CodeDeploy error (``code`` is the exception name)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class AppSpecError(ValueError):
    """The AppSpec content does not describe one Lambda alias deployment."""


# ----------------------------------------------------------------- deployment configurations


@dataclass(frozen=True)
class TrafficRouting:
    """How traffic moves: ``type`` (TimeBasedCanary, TimeBasedLinear, AllAtOnce), the
    ``percentage`` moved per increment and the ``interval`` between increments in minutes."""

    type: str
    percentage: int = 100
    interval: int = 0

    def schedule(self) -> list[tuple[float, float]]:
        """``(seconds after shifting starts, target version weight)`` for every increment."""
        if self.type == ALL_AT_ONCE:
            return [(0.0, 1.0)]
        if self.type == CANARY:
            return [(0.0, self.percentage / 100), (self.interval * 60.0, 1.0)]
        steps, k = [], 1
        while k * self.percentage < 100:
            steps.append(((k - 1) * self.interval * 60.0, k * self.percentage / 100))
            k += 1
        return [*steps, ((k - 1) * self.interval * 60.0, 1.0)]

    def to_api(self) -> dict[str, Any]:
        """The API's ``trafficRoutingConfig``."""
        out: dict[str, Any] = {"type": self.type}
        if self.type == CANARY:
            out["timeBasedCanary"] = {"canaryPercentage": self.percentage,
                                      "canaryInterval": self.interval}
        elif self.type == LINEAR:
            out["timeBasedLinear"] = {"linearPercentage": self.percentage,
                                      "linearInterval": self.interval}
        return out

    @classmethod
    def from_api(cls, config: Mapping[str, Any] | None) -> TrafficRouting:
        """Read a ``trafficRoutingConfig``; raises DeploymentError
        (InvalidTrafficRoutingConfigurationException) when it is not a valid one."""
        config = config or {"type": ALL_AT_ONCE}
        kind = config.get("type")
        keys = {CANARY: ("timeBasedCanary", "canaryPercentage", "canaryInterval"),
                LINEAR: ("timeBasedLinear", "linearPercentage", "linearInterval")}
        if kind == ALL_AT_ONCE:
            return cls(ALL_AT_ONCE)
        if kind in keys:
            section, pct, interval = keys[kind]
            values = config.get(section) or {}
            p, i = values.get(pct), values.get(interval)
            if isinstance(p, int) and isinstance(i, int) and 0 < p < 100 and i > 0:
                return cls(kind, p, i)
        raise DeploymentError(  # the API reference's description of the exception
            "InvalidTrafficRoutingConfigurationException",
            "The configuration that specifies how traffic is routed during a deployment is "
            "invalid.")


def _predefined() -> dict[str, TrafficRouting]:
    out = {f"CodeDeployDefault.LambdaCanary10Percent{m}Minutes": TrafficRouting(CANARY, 10, m)
           for m in (5, 10, 15, 30)}
    out["CodeDeployDefault.LambdaLinear10PercentEvery1Minute"] = TrafficRouting(LINEAR, 10, 1)
    for m in (2, 3, 10):
        out[f"CodeDeployDefault.LambdaLinear10PercentEvery{m}Minutes"] = \
            TrafficRouting(LINEAR, 10, m)
    out["CodeDeployDefault.LambdaAllAtOnce"] = TrafficRouting(ALL_AT_ONCE)
    return out


#: UG "Predefined deployment configurations for an AWS Lambda compute platform".
PREDEFINED: dict[str, TrafficRouting] = _predefined()


# ----------------------------------------------------------------- the AppSpec


@dataclass(frozen=True)
class LambdaTarget:
    """What one AppSpec deploys: ``alias`` of ``function`` from ``current`` to ``target``
    (version numbers), and the hook functions by lifecycle event."""

    function: str
    alias: str
    current: str
    target: str
    hooks: Mapping[str, str] = field(default_factory=dict)


def _lower(d: Any) -> dict[str, Any]:
    if not isinstance(d, Mapping):
        raise AppSpecError("expected a mapping")
    return {str(k).lower(): v for k, v in d.items()}


def parse_appspec(content: str) -> LambdaTarget:
    """Read a YAML or JSON AppSpec for a Lambda deployment (UG "AppSpec 'resources' section",
    "AppSpec 'hooks' section"; keys in any case). Raises AppSpecError."""
    import yaml  # JSON is YAML too

    try:
        spec = _lower(yaml.safe_load(content))
        resources = spec.get("resources")
        if not isinstance(resources, list) or len(resources) != 1:
            raise AppSpecError("the resources section must list one Lambda function")
        (resource,) = _lower(resources[0]).values()
        resource = _lower(resource)
        if resource.get("type") != "AWS::Lambda::Function":
            raise AppSpecError("the resource type must be AWS::Lambda::Function")
        props = _lower(resource.get("properties"))
        values = [props.get(k) for k in ("name", "alias", "currentversion", "targetversion")]
        if not all(v is not None and str(v) for v in values):
            raise AppSpecError("name, alias, currentversion and targetversion are required")
        name, alias, current, target = (str(v) for v in values)
        if not (current.isdigit() and target.isdigit()):
            raise AppSpecError("currentversion and targetversion must be positive integers")
        hooks: dict[str, str] = {}
        for entry in spec.get("hooks") or []:
            for event, fn in dict(entry).items():
                if event not in (BEFORE, AFTER):
                    raise AppSpecError(f"{event} is not a lifecycle event of a Lambda deployment")
                hooks[event] = str(fn)
    except AppSpecError:
        raise
    except Exception as e:  # YAML errors, wrong shapes
        raise AppSpecError(f"the AppSpec content could not be read: {e}") from None
    return LambdaTarget(name, alias, current, target, hooks)


# ----------------------------------------------------------------- one deployment


@dataclass
class LifecycleEvent:
    """One lifecycle event of the deployment's target (DeploymentTarget ``lifecycleEvents``)."""

    name: str
    status: str = "Pending"
    start: float | None = None
    end: float | None = None
    execution_id: str | None = None

    def to_api(self) -> dict[str, Any]:
        out: dict[str, Any] = {"lifecycleEventName": self.name, "status": self.status}
        if self.start is not None:
            out["startTime"] = self.start
        if self.end is not None:
            out["endTime"] = self.end
        return out


class Deployment:
    """One Lambda deployment moving an alias on the platform clock.

    ``platform``: a :class:`~lambda_lab.platform.Platform` (its clock, ``invoke`` and
    ``update_alias``); ``spec``: None when the AppSpec could not be read (``spec_error`` says
    why; the deployment fails when it starts); ``alarms()``: names of the monitored alarms now
    in ALARM; ``rollback_events``: the enabled AutoRollbackEvents; ``on_rollback(self)`` is
    called after the alias went back to the current version.
    """

    def __init__(self, deployment_id: str, platform: Any, spec: LambdaTarget | None,
                 routing: TrafficRouting, *, spec_error: str = "",
                 alarms: Callable[[], list[str]] | None = None,
                 rollback_events: Iterable[str] = (),
                 on_rollback: Callable[[Deployment], None] | None = None) -> None:
        self.id = deployment_id
        self.platform = platform
        self.clock = platform.clock
        self.spec = spec
        self.spec_error = spec_error
        self.routing = routing
        self.alarms = alarms or (lambda: [])
        self.rollback_events = set(rollback_events)
        self.on_rollback = on_rollback
        self.status = CREATED
        self.error: dict[str, str] | None = None
        self.created = self.clock.now()
        self.started: float | None = None
        self.completed: float | None = None
        self.updated = self.created
        self.weight = 0.0  #: the target version's share of the alias's traffic
        self.rolled_back = False
        self.events = {name: LifecycleEvent(name) for name in (BEFORE, ALLOW, AFTER)}
        self._lock = threading.RLock()
        self._timers: list[Any] = []
        self.clock.call_later(0, self._start)

    # -- reading -----------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.status in (SUCCEEDED, FAILED, STOPPED)

    def overview(self) -> dict[str, int]:
        """``deploymentOverview``: the one Lambda target by status (emulator: a stopped
        target counts as Failed)."""
        counts = dict.fromkeys(("Pending", "InProgress", "Succeeded", "Failed", "Skipped",
                                "Ready"), 0)
        counts[self.target_status()] += 1
        return counts

    def target_status(self) -> str:
        return {CREATED: "Pending", IN_PROGRESS: "InProgress", SUCCEEDED: "Succeeded"}.get(
            self.status, "Failed")

    # -- the state machine ----------------------------------------------------------------------
    def _later(self, delay: float, callback: Callable[..., Any], *args: Any) -> None:
        self._timers.append(self.clock.call_later(delay, callback, *args))

    def _start(self) -> None:
        with self._lock:
            if self.status != CREATED:
                return
            self.status, self.started = IN_PROGRESS, self.clock.now()
            self._touch()
            if self.spec is None:
                return self._fail("INVALID_REVISION", self.spec_error)
            problem = self._check_target()
            if problem:
                return self._fail("INVALID_LAMBDA_CONFIGURATION", problem)
            if self._alarm_stopped():
                return
            self._hook_or(BEFORE, self._begin_shift)

    def _check_target(self) -> str:
        """Emulator wording: why the alias cannot be deployed, or ''."""
        spec = self.spec
        assert spec is not None
        try:
            alias = self.platform.get_alias(spec.function, spec.alias)
            for number in (spec.current, spec.target):
                self.platform.version(spec.function, number)
        except Exception as e:
            return str(getattr(e, "message", e))
        if alias.function_version != spec.current:
            return (f"The alias {spec.alias} of {spec.function} points to version "
                    f"{alias.function_version}, not to the current version {spec.current} "
                    "named in the AppSpec.")
        return ""

    def _hook_or(self, name: str, then: Callable[[], None]) -> None:
        event = self.events[name]
        hook = (self.spec.hooks if self.spec else {}).get(name)
        now = self.clock.now()
        if hook is None:
            event.status, event.start, event.end = "Skipped", now, now
            return then()
        event.status, event.start = "InProgress", now
        event.execution_id = str(uuid.uuid4())
        payload = json.dumps({"DeploymentId": self.id,
                              "LifecycleEventHookExecutionId": event.execution_id}).encode()
        try:
            self.platform.invoke(hook, payload, invocation_type="Event")
        except Exception as e:
            return self._fail("HOOK_EXECUTION_FAILURE",  # emulator wording
                              f"The {name} hook function {hook} could not be invoked: "
                              f"{getattr(e, 'message', e)}")
        self._later(HOOK_TIMEOUT_S, self._hook_timeout, name, event.execution_id)

    def _hook_timeout(self, name: str, execution_id: str) -> None:
        with self._lock:
            event = self.events[name]
            if self.done or event.execution_id != execution_id or event.status != "InProgress":
                return
            event.status, event.end = "Failed", self.clock.now()
            self._fail("TIMEOUT",  # emulator wording
                       f"The {name} hook did not report its status within one hour.")

    def report(self, execution_id: str, status: str) -> None:
        """PutLifecycleEventHookExecutionStatus. Raises DeploymentError as AWS does (the
        messages are the API reference's descriptions of the exceptions)."""
        if status not in (SUCCEEDED, FAILED):
            raise DeploymentError(
                "InvalidLifecycleEventHookExecutionStatusException",
                "The result of a Lambda validation function that verifies a lifecycle event is "
                "invalid. It should return Succeeded or Failed.")
        with self._lock:
            event = next((e for e in self.events.values() if e.execution_id == execution_id),
                         None)
            if event is None:
                raise DeploymentError(
                    "InvalidLifecycleEventHookExecutionIdException",
                    "A lifecycle event hook is invalid. Review the hooks section in your "
                    "AppSpec file to ensure the lifecycle events and hooks functions are valid.")
            if event.status != "InProgress" or self.done:
                raise DeploymentError(
                    "LifecycleEventAlreadyCompletedException",
                    "An attempt to return the status of an already completed lifecycle event "
                    "occurred.")
            event.status, event.end = status, self.clock.now()
            self._touch()
            self._later(0, self._after_hook, event.name)

    def _after_hook(self, name: str) -> None:
        with self._lock:
            if self.done:
                return
            if self.events[name].status == FAILED:
                return self._fail("HOOK_EXECUTION_FAILURE",  # emulator wording
                                  f"The {name} hook reported Failed.")
            if name == BEFORE:
                self._begin_shift()
            else:
                self._finish(SUCCEEDED)

    def _begin_shift(self) -> None:
        allow = self.events[ALLOW]
        allow.status, allow.start = "InProgress", self.clock.now()
        begin = self.clock.now()
        for offset, weight in self.routing.schedule():
            self._timers.append(self.clock.call_at(begin + offset, self._step, weight))

    def _step(self, weight: float) -> None:
        with self._lock:
            if self.done or self._alarm_stopped():
                return
            spec = self.spec
            assert spec is not None
            if weight >= 1.0:
                self.platform.update_alias(spec.function, spec.alias, version=spec.target,
                                           weights={})
            else:
                self.platform.update_alias(spec.function, spec.alias, version=spec.current,
                                           weights={spec.target: weight})
            self.weight = weight
            self._touch()
            if weight >= 1.0:
                allow = self.events[ALLOW]
                allow.status, allow.end = SUCCEEDED, self.clock.now()
                self._hook_or(AFTER, lambda: self._finish(SUCCEEDED))

    # -- alarms, stops, failures ----------------------------------------------------------------
    def check_alarms(self) -> None:
        """Stop the deployment if a monitored alarm is in ALARM (the front calls this when an
        alarm changes state)."""
        with self._lock:
            if self.status == IN_PROGRESS:
                self._alarm_stopped()

    def _alarm_stopped(self) -> bool:
        active = sorted(self.alarms())
        if not active:
            return False
        self._end(STOPPED, "ALARM_ACTIVE",  # as AWS words it in user reports (unconfirmed)
                  "One or more alarms have been activated according to the Amazon CloudWatch "
                  "metrics you selected, and the affected deployments have been stopped. "
                  f"Activated alarms: {', '.join(active)}",
                  rollback=ON_ALARM in self.rollback_events)
        return True

    def stop(self, auto_rollback: bool | None = None) -> None:
        """StopDeployment; ``auto_rollback`` None follows DEPLOYMENT_STOP_ON_REQUEST. Raises
        DeploymentError (DeploymentAlreadyCompletedException)."""
        with self._lock:
            if self.done:
                raise DeploymentError("DeploymentAlreadyCompletedException",
                                      "The deployment is already complete.")
            rollback = ON_REQUEST in self.rollback_events if auto_rollback is None \
                else auto_rollback
            self._end(STOPPED, "MANUAL_STOP",  # emulator wording
                      "The deployment was stopped by a StopDeployment request.",
                      rollback=rollback)

    def _fail(self, code: str, message: str) -> None:
        self._end(FAILED, code, message, rollback=FAILURE in self.rollback_events)

    def _end(self, status: str, code: str, message: str, *, rollback: bool) -> None:
        now = self.clock.now()
        for event in self.events.values():
            if event.status == "InProgress":
                event.status, event.end = "Failed", now
            elif event.status == "Pending":
                event.status = "Skipped"
        self.error = {"code": code, "message": message}
        if rollback and self.spec is not None and self.started is not None \
                and code not in ("INVALID_REVISION", "INVALID_LAMBDA_CONFIGURATION"):
            self._roll_back()
        self._finish(status)

    def _roll_back(self) -> None:
        spec = self.spec
        assert spec is not None
        self.platform.update_alias(spec.function, spec.alias, version=spec.current, weights={})
        self.weight, self.rolled_back = 0.0, True
        if self.on_rollback is not None:
            self.on_rollback(self)

    def _finish(self, status: str) -> None:
        self.status, self.completed = status, self.clock.now()
        self._touch()
        self.close()

    def close(self) -> None:
        """Cancel the deployment's timers (its status stays as it is)."""
        with self._lock:
            timers, self._timers = self._timers, []
        for timer in timers:
            timer.cancel()

    def _touch(self) -> None:
        self.updated = self.clock.now()
