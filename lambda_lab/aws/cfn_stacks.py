"""The moto bridge for CloudFormation: stacks whose Lambda resources really run.

moto's CloudFormation engine stays the engine (templates, parameters, conditions, intrinsic
functions, change sets, outputs, the other services' resources). For the session, :func:`patches`
patches it at a few points of ``moto.cloudformation``:

- ``parsing.resource_class_from_type``: the ``AWS::Lambda::*`` types deploy through the Lambda API
  into lambda_lab's platform (:mod:`lambda_lab.aws.cfn_lambda`);
- ``parsing.parse_and_create_resource`` / ``parse_and_update_resource`` and
  ``ResourceMap._delete_resource``: each resource's ``*_IN_PROGRESS`` / ``*_COMPLETE`` /
  ``*_FAILED`` stack events, the failure's reason being the service's error text;
- ``ResourceMap.update``: resources created or updated in dependency order (a new Version is
  published after its function's code is updated), the removed ones deleted last, in the
  cleanup phase, as on AWS (moto removed first, then added, then modified);
- ``Stack.create_resources`` / ``Stack.update`` / ``CloudFormationBackend.execute_change_set``:
  a failed resource rolls the stack back (``ROLLBACK_COMPLETE``, ``UPDATE_ROLLBACK_COMPLETE``)
  instead of failing the API call;
- ``Stack._parse_template`` / ``ChangeSet._parse_template``: ``Transform:
  AWS::Serverless-2016-10-31`` templates are expanded by AWS's SAM translator
  (:mod:`lambda_lab.aws.sam`);
- ``CloudFormationResponse.create_stack`` / ``update_stack`` / ``create_change_set`` /
  ``validate_template``: capabilities and unresolved references checked first
  (:mod:`lambda_lab.aws.cfn_checks`).
"""

from __future__ import annotations

import re
import threading
from typing import Any
from unittest import mock

from moto.cloudformation import models, parsing

from . import (
    cfn_apigateway,
    cfn_checks,
    cfn_codedeploy,
    cfn_custom,
    cfn_lambda,
    cfn_s3,
    cfn_sns,
    sam,
)
from .cfn_lambda import ResourceFailed, rolling_back

__all__ = ["StackFailure", "forget", "patches"]

_deleting: dict[str, Any] = {}
#: stack id -> the CodeDeploy deployments its running operation waits for
_pending: dict[str, list[tuple[str, str, str, str]]] = {}
_RESOURCE_TYPES = {**cfn_lambda.RESOURCE_TYPES, **cfn_codedeploy.RESOURCE_TYPES,
                   **cfn_apigateway.RESOURCE_TYPES, **cfn_sns.RESOURCE_TYPES,
                   **cfn_s3.RESOURCE_TYPES}


class StackFailure(Exception):
    """A resource of a stack operation failed (its events are recorded)."""

    def __init__(self, logical_id: str, reason: str) -> None:
        super().__init__(reason)
        self.logical_id, self.reason = logical_id, reason


def _stack(resources_map: Any) -> Any:
    backend = models.cloudformation_backends[resources_map._account_id][
        resources_map._region_name]
    stack_id = resources_map.stack_id
    return backend.stacks.get(stack_id) or _deleting.get(stack_id)


def _stack_delete(original: Any) -> Any:
    """moto's ``Stack.delete`` (moto takes the stack off its list first)."""

    def run(self: Any) -> None:
        _deleting[self.stack_id] = self
        try:
            original(self)
        except StackFailure as failure:
            self.status = "DELETE_FAILED"
            self._add_stack_event("DELETE_FAILED", resource_status_reason=(
                f"The following resource(s) failed to delete: [{failure.logical_id}]. "))
        finally:
            _deleting.pop(self.stack_id, None)

    return run


def _event(stack: Any, logical_id: str, physical_id: str, rtype: str, status: str,
           reason: str | None = None) -> None:
    if stack is None:
        return
    event = models.Event(stack_id=stack.stack_id, stack_name=stack.name,
                         logical_resource_id=logical_id, physical_resource_id=physical_id or "",
                         resource_type=rtype, resource_status=status,
                         resource_status_reason=reason, resource_properties=None)
    stack.events.append(event)


def _physical(resource: Any) -> str:
    value = getattr(resource, "physical_resource_id", "")
    return value if isinstance(value, str) else ""


def _tracked(action: str, original: Any) -> Any:
    """``parse_and_create_resource`` / ``parse_and_update_resource`` with stack events."""

    def run(logical_id: str, resource_json: dict[str, Any], resources_map: Any,
            account_id: str, region_name: str) -> Any:
        condition = resource_json.get("Condition")
        if action == "CREATE" and condition and not resources_map.lazy_condition_map[condition]:
            return None
        stack, rtype = _stack(resources_map), resource_json.get("Type", "")
        before = resources_map._parsed_resources.get(logical_id)
        _event(stack, logical_id, _physical(before), rtype, f"{action}_IN_PROGRESS")
        try:
            resource = original(logical_id, resource_json, resources_map, account_id,
                                region_name)
        except ResourceFailed as e:
            _event(stack, logical_id, _physical(before), rtype, f"{action}_FAILED", e.reason)
            raise StackFailure(logical_id, e.reason) from None
        physical = _physical(resource if resource is not None else before)
        deployment = getattr(resource, "pending_deployment", None)
        if deployment and stack is not None:  # UPDATE_COMPLETE when the deployment ends
            _pending.setdefault(stack.stack_id, []).append(
                (logical_id, physical, rtype, deployment))
        else:
            _event(stack, logical_id, physical, rtype, f"{action}_COMPLETE")
        return resource

    return run


def _delete_resource(original: Any) -> Any:
    def run(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
        stack, rtype = _stack(self), resource_json.get("Type", "")
        logical_id = getattr(parsed_resource, "logical_resource_id", "")
        physical = _physical(parsed_resource)
        _event(stack, logical_id, physical, rtype, "DELETE_IN_PROGRESS")
        try:
            original(self, parsed_resource, resource_json)
        except ResourceFailed as e:
            _event(stack, logical_id, physical, rtype, "DELETE_FAILED", e.reason)
            raise StackFailure(logical_id, e.reason) from None
        _event(stack, logical_id, physical, rtype, "DELETE_COMPLETE")

    return run


def _references(node: Any) -> set[str]:
    """The logical ids a resource's JSON refers to (Ref, Fn::GetAtt, Fn::Sub, DependsOn)."""
    found: set[str] = set()
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.add(value)
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else str(value).split(".")[0]
                found.add(target)
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                if isinstance(text, str):
                    found |= {m.split(".")[0] for m in re.findall(r"\$\{([^!}][^}]*)\}", text)}
                found |= _references(value[1] if isinstance(value, list) else None)
            elif key == "DependsOn":
                found |= {value} if isinstance(value, str) else set(value)
            else:
                found |= _references(value)
    elif isinstance(node, list):
        for item in node:
            found |= _references(item)
    return found


def _in_dependency_order(names: list[str], resources: dict[str, Any]) -> list[str]:
    wanted, order, seen = set(names), [], set()

    def visit(name: str) -> None:
        if name in seen:
            return
        seen.add(name)
        for dep in sorted(_references(resources.get(name)) & wanted):
            visit(dep)
        order.append(name)

    for name in names:
        visit(name)
    return order


def _update(self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None
            ) -> None:
    """moto's ``ResourceMap.update`` in AWS's order: adds and modifications in dependency
    order, then the cleanup of removed resources (those with ``DeletionPolicy: Retain`` kept)."""
    changes = self.build_resource_diff(template, parameters)
    old_resources = self._resource_json_map
    self._template = template
    if parameters:
        self.input_parameters = parameters
    self.load_mapping()
    self.load_parameters()
    self.load_conditions()
    self._resource_json_map = template["Resources"]
    for name in _in_dependency_order(changes["Add"] + changes["Modify"],
                                     self._resource_json_map):
        if name in changes["Add"]:
            _ = self[name]
            continue
        changed = parsing.parse_and_update_resource(
            name, self._resource_json_map[name], self, account_id=self._account_id,
            region_name=self._region_name)
        if changed is not None:
            self._parsed_resources[name] = changed
    # the cleanup phase comes once the update is complete (a rollback keeps them): _cleanup
    self.lab_cleanup = [(name, old_resources[name]) for name in
                        reversed(_in_dependency_order(changes["Remove"], old_resources))]


def _cleanup(resource_map: Any) -> None:
    """Delete the resources an update removed (``DeletionPolicy: Retain`` ones kept)."""
    removed, resource_map.lab_cleanup = getattr(resource_map, "lab_cleanup", []), []
    for name, resource_json in removed:
        if name in resource_map._resource_json_map:
            continue  # back in the template (a rollback)
        resource = resource_map._parsed_resources.pop(name, None)
        if resource is not None and resource_json.get("DeletionPolicy") != "Retain":
            resource_map._delete_resource(resource, resource_json)


def _create(self: Any, template: dict[str, Any]) -> bool:
    """moto's ``ResourceMap.create``, each resource after those it refers to (moto: after its
    DependsOn only, the others created on first reference), so events come in AWS's order."""
    self._template = template
    self._resource_json_map = template["Resources"]
    self.tags.update({"aws:cloudformation:stack-name": self["AWS::StackName"],
                      "aws:cloudformation:stack-id": self["AWS::StackId"]})
    ready = True
    for name in _in_dependency_order(list(self._resource_json_map), self._resource_json_map):
        instance = self[name]
        if isinstance(instance, parsing.TaggedEC2Resource):
            self.tags["aws:cloudformation:logical-id"] = name
            parsing.ec2_models.ec2_backends[self._account_id][self._region_name].create_tags(
                [instance.physical_resource_id], self.tags)
        if instance and not instance.is_created():
            ready = False
    return ready


def _delete(self: Any) -> None:
    """moto's ``ResourceMap.delete``, in reverse dependency order (a function's URL, event
    invoke config and permissions before the function), keeping ``DeletionPolicy: Retain``."""
    names = [k for k, v in self._resource_json_map.items() if v.get("DeletionPolicy") != "Retain"]
    for name in reversed(_in_dependency_order(names, self._resource_json_map)):
        resource = self._parsed_resources.get(name)
        if resource is None or isinstance(resource, str):
            continue
        self._delete_resource(resource, self._resource_json_map[name])
        self._parsed_resources.pop(name)


def _roll_back_create(stack: Any, failure: StackFailure) -> None:
    stack.status = "ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("ROLLBACK_IN_PROGRESS", resource_status_reason=(
        f"The following resource(s) failed to create: [{failure.logical_id}]. "
        "Rollback requested by user."))
    try:
        stack.resource_map.delete()
    except Exception:  # noqa: BLE001 - a resource that cannot be deleted
        stack.status = "ROLLBACK_FAILED"
        stack._add_stack_event("ROLLBACK_FAILED")
        return
    # nothing is left: no resources to list (moto's map would create them on a look-up)
    stack.resource_map._resource_json_map = {}
    stack.output_map = parsing.OutputMap(stack.resource_map, {}, stack.stack_id)
    stack.status = "ROLLBACK_COMPLETE"
    stack._add_stack_event("ROLLBACK_COMPLETE")


def _roll_back_update(stack: Any, failure: StackFailure, template: Any,
                      parameters: dict[str, Any]) -> None:
    stack.status = "UPDATE_ROLLBACK_IN_PROGRESS"
    stack._add_stack_event("UPDATE_ROLLBACK_IN_PROGRESS", resource_status_reason=(
        f"The following resource(s) failed to update: [{failure.logical_id}]. "))
    stack.template = template
    stack._parse_template()
    with rolling_back():
        stack.resource_map.update(stack.template_dict, parameters)
        _cleanup(stack.resource_map)
    stack.output_map = stack._create_output_map()
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS")
    stack.status = "UPDATE_ROLLBACK_COMPLETE"
    stack._add_stack_event("UPDATE_ROLLBACK_COMPLETE")


def _complete_update(stack: Any, template: Any, parameters: dict[str, Any]) -> None:
    """After a stack update's resources: its cleanup now, or (CodeDeploy deployments
    pending) the update stays in progress until they end: then the cleanup and
    UPDATE_COMPLETE, or (one failed) the update is rolled back."""
    pending = _pending.pop(stack.stack_id, [])
    if not pending:
        _cleanup(stack.resource_map)
        return
    if stack.events and stack.events[-1].resource_status == "UPDATE_COMPLETE":
        stack.events.pop()  # moto's: the update is not complete yet
    stack.status = "UPDATE_IN_PROGRESS"
    state = {"left": len(pending), "failed": False}
    lock = threading.Lock()

    def ended(logical_id: str, physical: str, rtype: str, deployment_id: str,
              status: str, error: dict[str, str] | None) -> None:
        with lock:
            state["left"] -= 1
            if status != "Succeeded":
                # emulator wording: the deployment's own error message
                reason = (f"CodeDeploy deployment {deployment_id} {status.lower()}: "
                          f"{(error or {}).get('message', '')}")
                _event(stack, logical_id, physical, rtype, "UPDATE_FAILED", reason)
                if not state["failed"]:
                    state["failed"] = True
                    _roll_back_update(stack, StackFailure(logical_id, reason), template,
                                      parameters)
                return
            _event(stack, logical_id, physical, rtype, "UPDATE_COMPLETE")
            if state["left"] == 0 and not state["failed"]:
                stack._add_stack_event("UPDATE_COMPLETE_CLEANUP_IN_PROGRESS")
                _cleanup(stack.resource_map)
                stack.status = "UPDATE_COMPLETE"
                stack._add_stack_event("UPDATE_COMPLETE")

    for logical_id, physical, rtype, deployment_id in pending:
        cfn_codedeploy.when_done(
            stack.account_id, stack.region_name, deployment_id,
            lambda status, error, a=(logical_id, physical, rtype, deployment_id):
            ended(*a, status, error))


def _create_resources(original: Any) -> Any:
    def run(self: Any) -> None:
        # moto parsed the template before it kept the parameters: a SAM template is expanded
        # again with them
        self._parse_template()
        try:
            original(self)
        except StackFailure as failure:
            _roll_back_create(self, failure)

    return run


def _stack_update(original: Any) -> Any:
    def run(self: Any, template: str, role_arn: str | None = None,
            parameters: dict[str, Any] | None = None, tags: dict[str, str] | None = None
            ) -> None:
        if self.status.endswith("_IN_PROGRESS"):  # e.g. waiting for a CodeDeploy deployment
            raise models.ValidationError(message=(
                f"Stack:{self.stack_id} is in {self.status} state and can not be updated."))
        old_template = self.template
        old_parameters = dict(self.resource_map.input_parameters)
        self.status = "UPDATE_IN_PROGRESS"
        try:
            original(self, template, role_arn, parameters, tags)
        except StackFailure as failure:
            _pending.pop(self.stack_id, None)
            _roll_back_update(self, failure, old_template, old_parameters)
        else:
            _complete_update(self, old_template, old_parameters)

    return run


def _execute_change_set(original: Any) -> Any:
    def run(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = self.change_sets.get(change_set_name) or next(
            (c for c in self.change_sets.values() if c.change_set_name == change_set_name
             and stack_name in (None, c.stack_name, c.stack_id)), None)
        if change_set is None:
            return original(self, change_set_name, stack_name)
        cfn_checks.check_executable(change_set)
        stack = self.stacks[change_set.stack_id]
        old_template = stack.template
        old_parameters = dict(stack.resource_map.input_parameters)
        try:
            original(self, change_set_name, stack_name)
        except StackFailure as failure:
            _pending.pop(stack.stack_id, None)
            change_set.execution_status = "EXECUTE_FAILED"
            if change_set.change_set_type == "CREATE":
                _roll_back_create(stack, failure)
            else:
                _roll_back_update(stack, failure, old_template, old_parameters)
        else:  # moto keeps the stack's parsed template (and so its outputs) of before
            stack._parse_template()
            stack.output_map = stack._create_output_map()
            _complete_update(stack, old_template, old_parameters)

    return run


def _resource_class(original: Any) -> Any:
    def run(resource_type: str) -> Any:
        return (_RESOURCE_TYPES.get(resource_type) or cfn_custom.resource_class(resource_type)
                or original(resource_type))

    return run


def patches(session: Any) -> list[Any]:
    """moto's CloudFormation patched for ``session`` (see the module docstring): the patches,
    not started (:mod:`lambda_lab.aws.cloudformation` starts them when moto imports it)."""
    rm, st, be = parsing.ResourceMap, models.Stack, models.CloudFormationBackend
    found = [
        mock.patch.object(parsing, "resource_class_from_type",
                          _resource_class(parsing.resource_class_from_type)),
        mock.patch.object(parsing, "parse_and_create_resource",
                          _tracked("CREATE", parsing.parse_and_create_resource)),
        mock.patch.object(parsing, "parse_and_update_resource",
                          _tracked("UPDATE", parsing.parse_and_update_resource)),
        mock.patch.object(rm, "_delete_resource", _delete_resource(rm._delete_resource)),
        mock.patch.object(rm, "create", _create),
        mock.patch.object(rm, "update", _update),
        mock.patch.object(rm, "delete", _delete),
        mock.patch.object(st, "create_resources", _create_resources(st.create_resources)),
        mock.patch.object(st, "update", _stack_update(st.update)),
        mock.patch.object(st, "delete", _stack_delete(st.delete)),
        mock.patch.object(be, "execute_change_set",
                          _execute_change_set(be.execute_change_set)),
        *sam.patches(session),
        *cfn_checks.patches(),
    ]
    cfn_custom.session["mock"] = session
    return found


def forget(session: Any) -> None:
    """What :func:`patches` left behind for ``session``, once its patches are stopped."""
    if cfn_custom.session["mock"] is session:
        cfn_custom.session["mock"] = None
    cfn_lambda.forget_clients()
    cfn_codedeploy.forget_clients()
    _pending.clear()
