"""What CloudFormation checks before a stack operation starts (moto checks neither).

- **Capabilities** (CreateStack / UpdateStack / CreateChangeSet ``Capabilities``): a template
  with a ``Transform`` needs ``CAPABILITY_AUTO_EXPAND`` on CreateStack / UpdateStack (not on
  CreateChangeSet); the IAM resources of the (expanded) template need ``CAPABILITY_IAM``, or
  ``CAPABILITY_NAMED_IAM`` when one sets a custom name. A missing one fails the call with
  InsufficientCapabilitiesException "Requires capabilities : [CAPABILITY_IAM]"; a change set of
  a transformed template is created ``FAILED`` with that reason instead, and cannot be executed
  (InvalidChangeSetStatus, :func:`check_executable`, called by :mod:`cfn_stacks`).
- **References**: a ``Ref`` / ``Fn::GetAtt`` / ``Fn::Sub`` variable / ``DependsOn`` naming no
  resource, parameter or pseudo parameter fails CreateStack / UpdateStack / CreateChangeSet /
  ValidateTemplate with ValidationError "Template format error: Unresolved resource
  dependencies [X] in the Resources block of the template".

ValidateTemplate also answers the ``Capabilities`` an IAM resource needs (with its
``CapabilitiesReason``) and the ``DeclaredTransforms``.
"""

from __future__ import annotations

import re
from typing import Any
from unittest import mock

from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.cloudformation.responses import CloudFormationResponse

from . import sam

__all__ = ["InsufficientCapabilities", "check_executable", "patches", "required_iam",
           "unresolved"]

IAM, NAMED_IAM, AUTO_EXPAND = "CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"
#: the IAM resource types (CreateStack ``Capabilities``) -> their custom-name property
IAM_TYPES: dict[str, str | None] = {
    "AWS::IAM::AccessKey": None, "AWS::IAM::Group": "GroupName",
    "AWS::IAM::GroupPolicy": None, "AWS::IAM::InstanceProfile": "InstanceProfileName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName", "AWS::IAM::Policy": None,
    "AWS::IAM::Role": "RoleName", "AWS::IAM::RolePolicy": None, "AWS::IAM::User": "UserName",
    "AWS::IAM::UserPolicy": None, "AWS::IAM::UserToGroupAddition": None}


class InsufficientCapabilities(CloudFormationError):
    """CloudFormation's InsufficientCapabilitiesException."""

    code = "InsufficientCapabilitiesException"

    def __init__(self, capability: str) -> None:
        super().__init__(f"Requires capabilities : [{capability}]")


class InvalidChangeSetStatus(CloudFormationError):
    code = "InvalidChangeSetStatusException"


def required_iam(template: dict[str, Any], capabilities: list[str]) -> str | None:
    """The IAM capability ``template``'s resources need and ``capabilities`` lack, if any."""
    resources = (template.get("Resources") or {}).values()
    found = [r for r in resources if isinstance(r, dict) and r.get("Type") in IAM_TYPES]
    named = any(IAM_TYPES[r["Type"]] in (r.get("Properties") or {}) for r in found)
    if named and NAMED_IAM not in capabilities:
        return NAMED_IAM
    if found and not {IAM, NAMED_IAM} & set(capabilities):
        return IAM
    return None


def _sub_names(value: Any) -> tuple[list[str], Any]:
    text, variables = (value + [{}])[:2] if isinstance(value, list) else (value, {})
    names = re.findall(r"\$\{([^!}][^}]*)\}", text) if isinstance(text, str) else []
    local = set(variables) if isinstance(variables, dict) else set()
    return [n.split(".")[0] for n in names if n not in local], variables


def _names(node: Any) -> list[str]:
    """The logical ids ``node`` refers to (Ref, Fn::GetAtt, Fn::Sub, DependsOn), in order."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                found.append(value)
            elif key == "Fn::GetAtt":
                found.append(value[0] if isinstance(value, list) else str(value).split(".")[0])
            elif key == "Fn::Sub":
                names, variables = _sub_names(value)
                found += names + _names(variables)
            elif key == "DependsOn":
                found += [value] if isinstance(value, str) else list(value or [])
            else:
                found += _names(value)
    elif isinstance(node, list):
        for item in node:
            found += _names(item)
    return found


def unresolved(template: dict[str, Any]) -> list[str]:
    """The names the Resources block refers to that are not declared (in order, once)."""
    resources = template.get("Resources") or {}
    declared = set(resources) | set(template.get("Parameters") or {})
    missing = [n for n in _names(resources) if isinstance(n, str) and n not in declared
               and not n.startswith("AWS::")]
    return list(dict.fromkeys(missing))


def _check_references(template: dict[str, Any]) -> None:
    missing = unresolved(template)
    if missing:
        raise ValidationError(message=(
            f"Template format error: Unresolved resource dependencies [{', '.join(missing)}] "
            "in the Resources block of the template"))


def _template(response: Any) -> dict[str, Any] | None:
    """The request's template (body, URL or the stack's previous one), parsed."""
    body = response._get_param("TemplateBody")
    url = response._get_param("TemplateURL")
    if not body and url:
        body = response._get_stack_from_s3_url(url)
    if not body and response._get_bool_param("UsePreviousTemplate", False):
        body = response.cloudformation_backend.get_stack(
            response._get_param("StackName")).template
    try:
        parsed = sam._parse(body) if body else None
    except ValueError:
        return None  # moto answers what it makes of it
    return parsed if isinstance(parsed, dict) else None


def _checked(action: str, original: Any) -> Any:
    """A CloudFormationResponse action that checks capabilities and references first."""

    def run(self: Any) -> Any:
        template = _template(self)
        if template is None:
            return original(self)
        capabilities = list(self._get_param("Capabilities", []) or [])
        transformed = bool(template.get("Transform"))  # any macro, SAM's or another
        if transformed and action != "create_change_set" and AUTO_EXPAND not in capabilities:
            raise InsufficientCapabilities(AUTO_EXPAND)
        values = {p["ParameterKey"]: p["ParameterValue"]
                  for p in self._get_param("Parameters", []) or []
                  if p.get("ParameterKey") and p.get("ParameterValue") is not None}
        expanded = sam.transform(template, values, self.region)
        _check_references(expanded)
        missing = required_iam(expanded, capabilities)
        if missing and not (transformed and action == "create_change_set"):
            raise InsufficientCapabilities(missing)
        result = original(self)
        if missing:  # the change set is created, FAILED (the transform ran first)
            change_set = list(self.cloudformation_backend.change_sets.values())[-1]
            change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
            change_set.status_reason = f"Requires capabilities : [{missing}]"
        return result

    return run


def _validate_template(original: Any) -> Any:
    """ValidateTemplate: unresolved references refused; the answer's ``Capabilities``,
    ``CapabilitiesReason`` (the IAM resource types) and ``DeclaredTransforms`` filled in."""

    def run(self: Any) -> Any:
        template = _template(self)
        if template is None:
            return original(self)
        _check_references(sam.transform(template, {}, self.region))
        result = original(self)
        answer = getattr(result, "result", None)
        if not isinstance(answer, dict):
            return result
        declared = template.get("Transform") or []
        answer["DeclaredTransforms"] = declared if isinstance(declared, list) else [declared]
        needed = required_iam(template, [])
        if needed:
            types = sorted({r["Type"] for r in (template.get("Resources") or {}).values()
                            if isinstance(r, dict) and r.get("Type") in IAM_TYPES})
            answer["Capabilities"] = [needed]
            answer["CapabilitiesReason"] = ("The following resource(s) require capabilities: "
                                            f"[{', '.join(types)}]")
        return result

    return run


def check_executable(change_set: Any) -> None:
    """ExecuteChangeSet of a change set that is not ``AVAILABLE`` (e.g. ``FAILED``) fails."""
    if change_set.execution_status != "AVAILABLE":
        raise InvalidChangeSetStatus(
            f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current "
            f"status of [{change_set.status}]")


def patches() -> list[Any]:
    """The patches of moto's CloudFormation API that make these checks (not started)."""
    found = [mock.patch.object(CloudFormationResponse, name,
                               _checked(name, getattr(CloudFormationResponse, name)))
             for name in ("create_stack", "update_stack", "create_change_set")]
    return [*found, mock.patch.object(CloudFormationResponse, "validate_template",
                                      _validate_template(CloudFormationResponse.validate_template))]
