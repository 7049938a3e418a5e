"""The moto bridge for CodeDeploy on the Lambda compute platform.

moto 5 keeps CodeDeploy applications, deployment groups and deployments but shifts no traffic.
For the session ``aws``, :func:`install` puts a fresh :class:`LabCodeDeployBackend` behind
moto's CodeDeploy front (decorator and server) whose Lambda deployments are
:class:`lambda_lab.platform.traffic.Deployment` state machines on the platform clock, and adds
the calls moto lacks: Create/Get/List/DeleteDeploymentConfig (the predefined ``CodeDeployDefault
.Lambda*`` configurations included), StopDeployment, PutLifecycleEventHookExecutionStatus and
Get/BatchGet/ListDeploymentTargets. A CloudWatch alarm set to ALARM (moto's SetAlarmState) wakes
the deployments that monitor it. Server (EC2) and ECS applications keep moto's behaviour.

:func:`install` is called by :meth:`MockAWS.start`, :func:`uninstall` by :meth:`MockAWS.stop`.
"""

from __future__ import annotations

import json
import random
import string
import threading
import uuid
from typing import Any
from unittest import mock

from moto.codedeploy.models import CodeDeployBackend
from moto.core.base_backend import BackendDict
from moto.core.exceptions import JsonRESTError

from ..platform import traffic
from ..platform.arns import function_arn

__all__ = ["LabCodeDeployBackend", "install", "uninstall"]

_installed: dict[int, list[Any]] = {}
_lock = threading.Lock()
_session: Any = None
LAMBDA = "Lambda"
DEFAULT_CONFIG = "CodeDeployDefault.LambdaAllAtOnce"  # emulator default for Lambda groups
LAMBDA_STYLE = {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}


def _error(code: str, message: str) -> JsonRESTError:
    return JsonRESTError(code, message)


def _from(e: traffic.DeploymentError) -> JsonRESTError:
    return JsonRESTError(e.code, e.message)


def _config_missing(name: str) -> JsonRESTError:
    # AWS's wording in user reports (the API reference documents none)
    return _error("DeploymentConfigDoesNotExistException",
                  f"No deployment configuration found for name: {name}")


class DeploymentConfig:
    """A deployment configuration of the Lambda compute platform."""

    def __init__(self, name: str, routing: traffic.TrafficRouting, created: float,
                 config_id: str | None = None) -> None:
        self.name, self.routing, self.created = name, routing, created
        self.id = config_id or str(uuid.uuid4())

    def to_dict(self) -> dict[str, Any]:
        return {"deploymentConfigId": self.id, "deploymentConfigName": self.name,
                "createTime": self.created, "computePlatform": LAMBDA,
                "trafficRoutingConfig": self.routing.to_api()}


_PREDEFINED_IDS = {name: str(uuid.uuid5(uuid.NAMESPACE_URL, name)) for name in traffic.PREDEFINED}


class LambdaDeploymentInfo:
    """A Lambda deployment as moto's responses see it (``to_dict``, the fields ListDeployments
    filters on); ``machine`` is None for the deployment a rollback created."""

    def __init__(self, backend: LabCodeDeployBackend, deployment_id: str, group: Any,
                 config_name: str, revision: Any, description: str | None,
                 auto_rollback: dict[str, Any] | None, machine: traffic.Deployment | None,
                 creator: str = "user") -> None:
        self.backend = backend
        self.deployment_id = deployment_id
        self.application_name = group.application.application_name
        self.deployment_group_name = group.deployment_group_name
        self.config_name, self.revision, self.description = config_name, revision, description
        self.auto_rollback = auto_rollback
        self.machine = machine
        self.creator = creator
        self.rollback_info: dict[str, str] = {}
        self.created = backend.now()
        self._final_status = traffic.SUCCEEDED

    @property
    def status(self) -> str:
        return self.machine.status if self.machine is not None else self._final_status

    def to_dict(self) -> dict[str, Any]:
        m = self.machine
        out: dict[str, Any] = {
            "applicationName": self.application_name,
            "deploymentGroupName": self.deployment_group_name,
            "deploymentConfigName": self.config_name, "deploymentId": self.deployment_id,
            "revision": self.revision, "status": self.status, "creator": self.creator,
            "createTime": m.created if m else self.created, "computePlatform": LAMBDA,
            "deploymentStyle": LAMBDA_STYLE,
            "deploymentOverview": m.overview() if m else {
                "Pending": 0, "InProgress": 0, "Succeeded": 1, "Failed": 0, "Skipped": 0,
                "Ready": 0},
        }
        if m is None:
            out["startTime"] = out["completeTime"] = self.created
        else:
            if m.started is not None:
                out["startTime"] = m.started
            if m.completed is not None:
                out["completeTime"] = m.completed
            if m.error:
                out["errorInformation"] = dict(m.error)
        if self.description is not None:
            out["description"] = self.description
        if self.auto_rollback is not None:
            out["autoRollbackConfiguration"] = self.auto_rollback
        if self.rollback_info:
            out["rollbackInfo"] = dict(self.rollback_info)
        return out

    def target(self) -> dict[str, Any]:
        """The deployment's one LambdaTarget (GetDeploymentTarget)."""
        m = self.machine
        if m is None or m.spec is None:
            raise _error("DeploymentTargetDoesNotExistException",
                         "The provided target ID does not belong to the attempted deployment.")
        spec = m.spec
        arn = function_arn(self.backend.region_name, self.backend.account_id, spec.function,
                           spec.alias)
        return {"deploymentTargetType": "LambdaTarget", "lambdaTarget": {
            "deploymentId": self.deployment_id, "targetId": target_id(spec),
            "targetArn": arn, "status": m.target_status(), "lastUpdatedAt": m.updated,
            "lifecycleEvents": [e.to_api() for e in m.events.values()],
            "lambdaFunctionInfo": {"functionName": spec.function, "functionAlias": spec.alias,
                                   "currentVersion": spec.current,
                                   "targetVersion": spec.target,
                                   "targetVersionWeight": m.weight}}}


def target_id(spec: traffic.LambdaTarget) -> str:
    """Emulator: a Lambda target's id is ``function:alias``."""
    return f"{spec.function}:{spec.alias}"


class LabCodeDeployBackend(CodeDeployBackend):
    """moto's CodeDeploy backend, with deployment configurations and Lambda deployments that
    shift alias traffic on the lambda_lab platform."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        self.deployment_configs: dict[str, DeploymentConfig] = {}

    # -- helpers --------------------------------------------------------------------------------
    def platform(self) -> Any:
        if _session is None:
            raise RuntimeError("lambda_lab's CodeDeploy is used outside lambda_lab.mock_aws()")
        return _session.platform(self.region_name, self.account_id)

    def now(self) -> float:
        return self.platform().clock.now()

    def _new_id(self) -> str:
        alphabet = string.ascii_uppercase + string.digits
        while True:
            new = "d-" + "".join(random.choices(alphabet, k=9))
            if new not in self.deployments:
                return new

    # -- deployment configurations --------------------------------------------------------------
    def get_deployment_config(self, name: str) -> DeploymentConfig:
        if not name:
            raise _error("DeploymentConfigNameRequiredException",
                         "The deployment configuration name was not specified.")
        if name in traffic.PREDEFINED:
            return DeploymentConfig(name, traffic.PREDEFINED[name], 0.0, _PREDEFINED_IDS[name])
        if name not in self.deployment_configs:
            raise _config_missing(name)
        return self.deployment_configs[name]

    def create_deployment_config(self, name: str, routing_config: dict[str, Any] | None,
                                 compute_platform: str | None) -> str:
        if not name:
            raise _error("DeploymentConfigNameRequiredException",
                         "The deployment configuration name was not specified.")
        if name in traffic.PREDEFINED or name in self.deployment_configs:
            raise _error("DeploymentConfigAlreadyExistsException",
                         f"A deployment configuration with the name {name} already exists.")
        if compute_platform != LAMBDA:  # emulator: only Lambda configurations are kept
            raise _error("InvalidComputePlatformException",
                         "lambda_lab keeps deployment configurations of the Lambda compute "
                         "platform only.")
        try:
            routing = traffic.TrafficRouting.from_api(routing_config)
        except traffic.DeploymentError as e:
            raise _from(e) from None
        config = DeploymentConfig(name, routing, self.now())
        self.deployment_configs[name] = config
        return config.id

    def delete_deployment_config(self, name: str) -> None:
        if name in traffic.PREDEFINED:
            raise _error("InvalidOperationException",  # emulator wording
                         "A predefined deployment configuration cannot be deleted.")
        in_use = any(g.deployment_config_name == name for groups in
                     self.deployment_groups.values() for g in groups.values())
        if in_use:
            raise _error("DeploymentConfigInUseException",
                         "The deployment configuration is still in use.")
        self.deployment_configs.pop(name, None)

    # -- groups and deployments -----------------------------------------------------------------
    def create_deployment_group(self, application_name: str, deployment_group_name: str,
                                deployment_config_name: str | None, *args: Any,
                                **kwargs: Any) -> str:
        app = self.get_application(application_name)
        if app.compute_platform == LAMBDA:
            deployment_config_name = deployment_config_name or DEFAULT_CONFIG
            self.get_deployment_config(deployment_config_name)
        return super().create_deployment_group(application_name, deployment_group_name,
                                               deployment_config_name, *args, **kwargs)

    def delete_deployment_group(self, application_name: str,
                                deployment_group_name: str) -> None:
        """DeleteDeploymentGroup; one already gone is no error (the API lists none)."""
        self.deployment_groups.get(application_name, {}).pop(deployment_group_name, None)

    def delete_application(self, application_name: str) -> None:
        """DeleteApplication, with its deployment groups; one already gone is no error."""
        self.applications.pop(application_name, None)
        self.deployment_groups.pop(application_name, None)

    def create_deployment(self, application_name: str, deployment_group_name: str,
                          revision: Any, deployment_config_name: str | None = None,
                          description: str | None = None, *args: Any, **kwargs: Any) -> str:
        app = self.get_application(application_name)
        if app.compute_platform != LAMBDA:
            return super().create_deployment(application_name, deployment_group_name, revision,
                                             deployment_config_name, description, *args,
                                             **kwargs)
        group = self.get_deployment_group(application_name, deployment_group_name)
        config_name = deployment_config_name or str(group.deployment_config_name)
        config = self.get_deployment_config(config_name)
        spec, problem = _read_revision(revision)
        rollback = kwargs.get("auto_rollback_configuration") or \
            group.auto_rollback_configuration or None
        alarm_config = kwargs.get("override_alarm_configuration") or \
            _alarm_dict(group.alarm_configuration)
        deployment_id = self._new_id()
        events = rollback.get("events", []) if rollback and rollback.get("enabled") else []
        alarm_names = [a["name"] for a in alarm_config.get("alarms", [])] \
            if alarm_config.get("enabled") else []
        info = LambdaDeploymentInfo(self, deployment_id, group, config_name, revision,
                                    description, rollback, None)
        info.machine = traffic.Deployment(
            deployment_id, self.platform(), spec, config.routing, spec_error=problem,
            alarms=lambda: self._alarms_in_alarm(alarm_names), rollback_events=events,
            on_rollback=lambda d: self._record_rollback(info))
        self.deployments[deployment_id] = info  # type: ignore[assignment]
        return deployment_id

    def _alarms_in_alarm(self, names: list[str]) -> list[str]:
        if not names:
            return []
        from moto.cloudwatch.models import cloudwatch_backends

        alarms = cloudwatch_backends[self.account_id][self.region_name]
        return [a.name for a in alarms.get_alarms_by_alarm_names(names)
                if a.state_value == "ALARM"]

    def _record_rollback(self, info: LambdaDeploymentInfo) -> None:
        """CodeDeploy rolls back by redeploying the last good version as a new deployment
        (UG "Redeploy and roll back a deployment"): record it (all at once, Succeeded)."""
        group = self.get_deployment_group(info.application_name, info.deployment_group_name)
        new_id = self._new_id()
        spec = info.machine.spec if info.machine else None
        revision = info.revision
        if spec is not None:  # the rollback's AppSpec goes back to the current version
            revision = {"revisionType": "AppSpecContent", "appSpecContent": {"content": json.dumps(
                {"version": 0.0, "Resources": [{spec.function: {
                    "Type": "AWS::Lambda::Function", "Properties": {
                        "Name": spec.function, "Alias": spec.alias,
                        "CurrentVersion": spec.target, "TargetVersion": spec.current}}}]})}}
        back = LambdaDeploymentInfo(self, new_id, group, DEFAULT_CONFIG, revision, None, None,
                                    None, creator="codeDeployRollback")
        back.rollback_info = {"rollbackTriggeringDeploymentId": info.deployment_id}
        info.rollback_info = {"rollbackDeploymentId": new_id,  # emulator wording
                              "rollbackMessage": f"Deployment {info.deployment_id} was rolled "
                                                 f"back by {new_id}."}
        self.deployments[new_id] = back  # type: ignore[assignment]

    def lambda_deployment(self, deployment_id: str) -> LambdaDeploymentInfo:
        if not deployment_id:
            raise _error("DeploymentIdRequiredException",
                         "At least one deployment ID must be specified.")
        info = self.get_deployment(deployment_id)
        if not isinstance(info, LambdaDeploymentInfo):
            raise _error("UnsupportedActionForDeploymentTypeException",  # emulator wording
                         "lambda_lab supports this action for Lambda deployments only.")
        return info

    def stop_deployment(self, deployment_id: str, auto_rollback: bool | None) -> None:
        info = self.lambda_deployment(deployment_id)
        if info.machine is None:
            raise _error("DeploymentAlreadyCompletedException",
                         "The deployment is already complete.")
        try:
            info.machine.stop(auto_rollback)
        except traffic.DeploymentError as e:
            raise _from(e) from None

    def put_hook_status(self, deployment_id: str, execution_id: str, status: str) -> None:
        info = self.lambda_deployment(deployment_id)
        if info.machine is None:
            raise _error("InvalidLifecycleEventHookExecutionIdException",
                         "A lifecycle event hook is invalid. Review the hooks section in your "
                         "AppSpec file to ensure the lifecycle events and hooks functions are "
                         "valid.")
        try:
            info.machine.report(execution_id, status)
        except traffic.DeploymentError as e:
            raise _from(e) from None

    def running(self) -> list[traffic.Deployment]:
        return [d.machine for d in list(self.deployments.values())
                if isinstance(d, LambdaDeploymentInfo) and d.machine is not None
                and not d.machine.done]


def _alarm_dict(config: Any) -> dict[str, Any]:
    if config is None:
        return {}
    if isinstance(config, dict):
        return config
    return {"enabled": bool(config.enabled), "alarms": list(config.alarms),
            "ignorePollAlarmFailure": bool(config.ignore_poll_alarm_failure)}


def _read_revision(revision: Any) -> tuple[traffic.LambdaTarget | None, str]:
    """The AppSpec of an ``AppSpecContent`` revision, or None and why not (emulator wording;
    the deployment then fails with INVALID_REVISION)."""
    revision = revision or {}
    if revision.get("revisionType") != "AppSpecContent":
        return None, ("lambda_lab deploys Lambda revisions of revisionType AppSpecContent "
                      "only.")
    content = (revision.get("appSpecContent") or {}).get("content") or ""
    try:
        return traffic.parse_appspec(content), ""
    except traffic.AppSpecError as e:
        return None, f"The AppSpec file is invalid: {e}"


# ----------------------------------------------------------------- responses moto lacks


def _backend(response: Any) -> LabCodeDeployBackend:
    return response.codedeploy_backend


def create_deployment_config(self: Any) -> str:
    config_id = _backend(self).create_deployment_config(
        self._get_param("deploymentConfigName"), self._get_param("trafficRoutingConfig"),
        self._get_param("computePlatform"))
    return json.dumps({"deploymentConfigId": config_id})


def get_deployment_config(self: Any) -> str:
    config = _backend(self).get_deployment_config(self._get_param("deploymentConfigName"))
    return json.dumps({"deploymentConfigInfo": config.to_dict()})


def list_deployment_configs(self: Any) -> str:
    names = sorted([*traffic.PREDEFINED, *_backend(self).deployment_configs])
    return json.dumps({"deploymentConfigsList": names})


def delete_deployment_config(self: Any) -> str:
    _backend(self).delete_deployment_config(self._get_param("deploymentConfigName"))
    return "{}"


def delete_deployment_group(self: Any) -> str:
    _backend(self).delete_deployment_group(self._get_param("applicationName"),
                                           self._get_param("deploymentGroupName"))
    return json.dumps({"hooksNotCleanedUp": []})


def delete_application(self: Any) -> str:
    _backend(self).delete_application(self._get_param("applicationName"))
    return "{}"


def stop_deployment(self: Any) -> str:
    _backend(self).stop_deployment(self._get_param("deploymentId"),
                                   self._get_param("autoRollbackEnabled"))
    return json.dumps({"status": "Succeeded", "statusMessage": "Deployment stopped."})


def put_lifecycle_event_hook_execution_status(self: Any) -> str:
    execution_id = self._get_param("lifecycleEventHookExecutionId")
    _backend(self).put_hook_status(self._get_param("deploymentId"), execution_id,
                                   self._get_param("status"))
    return json.dumps({"lifecycleEventHookExecutionId": execution_id})


def _target(self: Any, target: str) -> dict[str, Any]:
    info = _backend(self).lambda_deployment(self._get_param("deploymentId"))
    found = info.target()
    if found["lambdaTarget"]["targetId"] != target:
        raise _error("DeploymentTargetDoesNotExistException",
                     "The provided target ID does not belong to the attempted deployment.")
    return found


def list_deployment_targets(self: Any) -> str:
    info = _backend(self).lambda_deployment(self._get_param("deploymentId"))
    spec = info.machine.spec if info.machine else None
    return json.dumps({"targetIds": [target_id(spec)] if spec else []})


def get_deployment_target(self: Any) -> str:
    return json.dumps({"deploymentTarget": _target(self, self._get_param("targetId"))})


def batch_get_deployment_targets(self: Any) -> str:
    targets = [_target(self, t) for t in self._get_param("targetIds") or []]
    return json.dumps({"deploymentTargets": targets})


_RESPONSES = [create_deployment_config, get_deployment_config, list_deployment_configs,
              delete_deployment_config, delete_deployment_group, delete_application,
              stop_deployment,
              put_lifecycle_event_hook_execution_status, list_deployment_targets,
              get_deployment_target, batch_get_deployment_targets]


# ----------------------------------------------------------------- install / uninstall


def install(aws: Any) -> None:
    """Patch moto's CodeDeploy (and CloudWatch alarm state changes) for the session ``aws``."""
    global _session
    import moto.cloudwatch.models as cw_models
    import moto.codedeploy.models as cd_models
    import moto.codedeploy.responses as cd_responses

    backends: BackendDict[LabCodeDeployBackend] = BackendDict(LabCodeDeployBackend,
                                                              "codedeploy")
    original_update = cw_models.Alarm.update_state
    original_group_dict = cd_models.DeploymentGroup.to_dict

    def update_state(alarm: Any, reason: str, reason_data: str, state_value: str) -> None:
        original_update(alarm, reason, reason_data, state_value)
        if state_value == "ALARM":  # the deployments monitoring it look on the clock
            for account in list(backends.values()):
                for backend in list(account.values()):
                    for deployment in backend.running():
                        deployment.clock.call_later(0, deployment.check_alarms)

    def group_to_dict(group: Any) -> dict[str, Any]:
        out = original_group_dict(group)
        out["alarmConfiguration"] = _alarm_dict(group.alarm_configuration)
        return out

    patches = [mock.patch.object(m, "codedeploy_backends", backends)
               for m in (cd_models, cd_responses)]
    patches += [mock.patch.object(cd_responses.CodeDeployResponse, f.__name__, f, create=True)
                for f in _RESPONSES]
    patches += [mock.patch.object(cw_models.Alarm, "update_state", update_state),
                mock.patch.object(cd_models.DeploymentGroup, "to_dict", group_to_dict)]
    for p in patches:
        p.start()
    with _lock:
        _session = aws
        _installed[id(aws)] = [backends, *patches]


def uninstall(aws: Any) -> None:
    """Undo :func:`install` (idempotent); the clock's timers end with the session."""
    global _session
    with _lock:
        installed = _installed.pop(id(aws), [])
        if _session is aws:
            _session = None
    if not installed:
        return
    backends, *patches = installed
    for account in list(backends.values()):  # no shift may fall due while the platforms close
        for backend in list(account.values()):
            for deployment in backend.running():
                deployment.close()
    for p in reversed(patches):
        p.stop()
