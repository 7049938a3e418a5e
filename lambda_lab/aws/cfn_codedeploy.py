"""CloudFormation's CodeDeploy resources and the ``CodeDeployLambdaAliasUpdate`` update policy.

``AWS::CodeDeploy::Application`` (``Ref``: the application name) and
``AWS::CodeDeploy::DeploymentGroup`` (``Ref``: the group name) go through the CodeDeploy API
in-process (lambda_lab's CodeDeploy, :mod:`lambda_lab.aws.codedeploy`). SAM's
``DeploymentPreference`` expands to these, plus an ``UpdatePolicy`` on the function's alias:

    UpdatePolicy:
      CodeDeployLambdaAliasUpdate:
        ApplicationName: ...
        DeploymentGroupName: ...
        BeforeAllowTrafficHook: ...   # optional
        AfterAllowTrafficHook: ...    # optional

With it, CloudFormation does not update the alias when its version changes: it starts a
CodeDeploy deployment from the current to the new version, and the stack update waits for it
(CloudFormation UG "UpdatePolicy attribute": "CodeDeployLambdaAliasUpdate ... to perform a
CodeDeploy deployment when the version changes on an AWS::Lambda::Alias resource").
:func:`start_alias_deployment` creates that deployment; :func:`when_done` calls back when it
ends, on the platform clock.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from botocore.exceptions import ClientError

from .cfn_lambda import ResourceFailed, _Resource, handler_code

__all__ = ["Application", "DeploymentGroup", "RESOURCE_TYPES", "start_alias_deployment",
           "when_done"]

_clients: dict[str, Any] = {}


def _client(region: str) -> Any:
    if region not in _clients:
        import boto3

        _clients[region] = boto3.client("codedeploy", region_name=region,
                                        aws_access_key_id="testing",
                                        aws_secret_access_key="testing")
    return _clients[region]


def _call(region: str, operation: str, **kwargs: Any) -> Any:
    try:
        return getattr(_client(region), operation)(
            **{k: v for k, v in kwargs.items() if v is not None})
    except ClientError as e:
        err = e.response.get("Error", {})
        raise ResourceFailed(f'Resource handler returned message: "{err.get("Message", "")} '
                             f'(Service: CodeDeploy, Status Code: '
                             f'{e.response.get("ResponseMetadata", {}).get("HTTPStatusCode")})"',
                             handler_code(e)) from None


def _lower_keys(value: Any) -> Any:
    """CloudFormation's PascalCase members as the CodeDeploy API's camelCase ones."""
    if isinstance(value, dict):
        return {k[:1].lower() + k[1:]: _lower_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_lower_keys(v) for v in value]
    return value


class Application(_Resource):
    TYPE = "AWS::CodeDeploy::Application"

    def create(self, generated_name: str) -> None:
        self.ref = self.props.get("ApplicationName") or generated_name[:100]
        _call(self.region, "create_application", applicationName=self.ref,
              computePlatform=self.props.get("ComputePlatform", "Server"))

    def replaces(self, old: _Resource) -> bool:
        return any(self.props.get(k) != old.props.get(k)
                   for k in ("ApplicationName", "ComputePlatform"))

    def update(self, old: _Resource) -> None:
        self.ref = old.ref

    def remove(self) -> None:
        _call(self.region, "delete_application", applicationName=self.ref)


class DeploymentGroup(_Resource):
    TYPE = "AWS::CodeDeploy::DeploymentGroup"

    def _members(self) -> dict[str, Any]:
        p = self.props
        return {"deploymentConfigName": p.get("DeploymentConfigName"),
                "serviceRoleArn": p.get("ServiceRoleArn"),
                "autoRollbackConfiguration": _lower_keys(p.get("AutoRollbackConfiguration")),
                "alarmConfiguration": _lower_keys(p.get("AlarmConfiguration")),
                "deploymentStyle": _lower_keys(p.get("DeploymentStyle"))}

    def create(self, generated_name: str) -> None:
        self.ref = self.props.get("DeploymentGroupName") or generated_name[:100]
        _call(self.region, "create_deployment_group",
              applicationName=self.props.get("ApplicationName"),
              deploymentGroupName=self.ref, **self._members())

    def replaces(self, old: _Resource) -> bool:
        return any(self.props.get(k) != old.props.get(k)
                   for k in ("ApplicationName", "DeploymentGroupName"))

    def update(self, old: _Resource) -> None:
        self.ref = old.ref
        _call(self.region, "update_deployment_group",
              applicationName=self.props.get("ApplicationName"),
              currentDeploymentGroupName=self.ref, **self._members())

    def remove(self) -> None:
        _call(self.region, "delete_deployment_group",
              applicationName=self.props.get("ApplicationName"), deploymentGroupName=self.ref)


def start_alias_deployment(region: str, policy: dict[str, Any], function: str, alias: str,
                           current: str, target: str) -> str:
    """Create the CodeDeploy deployment of a ``CodeDeployLambdaAliasUpdate``; its id."""
    name = function.rsplit(":", 1)[-1] if function.startswith("arn:") else function
    hooks = [{event: policy[key]} for event, key in (
        ("BeforeAllowTraffic", "BeforeAllowTrafficHook"),
        ("AfterAllowTraffic", "AfterAllowTrafficHook")) if policy.get(key)]
    appspec = {"version": 0.0, "Resources": [{name: {
        "Type": "AWS::Lambda::Function", "Properties": {
            "Name": name, "Alias": alias, "CurrentVersion": current, "TargetVersion": target}}}],
        "Hooks": hooks}
    out = _call(region, "create_deployment", applicationName=policy.get("ApplicationName"),
                deploymentGroupName=policy.get("DeploymentGroupName"),
                revision={"revisionType": "AppSpecContent",
                          "appSpecContent": {"content": json.dumps(appspec)}})
    return str(out["deploymentId"])


def when_done(account_id: str, region: str, deployment_id: str,
              callback: Callable[[str, dict[str, str] | None], None]) -> None:
    """Call ``callback(status, error)`` once the deployment has ended (on the clock thread)."""
    from moto.codedeploy import models

    machine = models.codedeploy_backends[account_id][region].deployments[deployment_id].machine
    original = machine._finish

    def finish(status: str) -> None:
        original(status)
        callback(status, machine.error)

    machine._finish = finish


def forget_clients() -> None:
    _clients.clear()


RESOURCE_TYPES: dict[str, type[_Resource]] = {c.TYPE: c for c in (Application, DeploymentGroup)}
