"""Function resource policies (AddPermission / GetPolicy / RemovePermission) and the check a
service trigger passes before it may invoke (DG access-control-resource-based).

Policies live beside the platform, one per function and qualifier (None: the unqualified
function), and go away with the function. :func:`allows` answers "may ``principal`` (a service
such as ``events.amazonaws.com``, or an account) invoke this function from ``source_arn``?".
"""

from __future__ import annotations

import fnmatch
import json
import threading
import uuid as _uuid
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import (
    InvalidParameterValueException,
    LambdaError,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)

if TYPE_CHECKING:
    from ..platform import Platform
    from ..platform.model import Function

__all__ = ["Policy", "add_permission", "allows", "get_policy", "remove_permission"]

_ACTION = r"(lambda:[*]|lambda:[a-zA-Z]+|[*])"
_SID = r"([a-zA-Z0-9-_]+)"  # as AWS prints it (recorded add_permission_invalid_statement_id)
NO_POLICY = "The resource you requested does not exist."


@dataclass
class Policy:
    """One function's (or version's, or alias's) resource policy."""

    statements: list[dict[str, Any]] = field(default_factory=list)
    revision_id: str = field(default_factory=lambda: str(_uuid.uuid4()))

    def document(self) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Id": "default", "Statement": self.statements}


_policies: weakref.WeakKeyDictionary[Function, dict[str | None, Policy]] = \
    weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _principal(principal: str) -> dict[str, str] | str:
    if principal == "*":
        return "*"
    if principal.endswith(".amazonaws.com") or principal.endswith(".amazon.com"):
        return {"Service": principal}
    if principal.isdigit() and len(principal) == 12:
        return {"AWS": f"arn:aws:iam::{principal}:root"}
    return {"AWS": principal}


def resolve(platform: Platform, ref: str, qualifier: str | None, op: str = "get") -> None:
    """Check the function (and version or alias) a permission operation names, with AWS's
    answer for each case (recorded test_permission_exceptions): ``op`` is ``add``, ``get`` or
    ``remove``. AddPermission on ``$LATEST`` is refused; a missing alias is "Cannot find alias
    arn", a missing version "Function not found"; GetPolicy says only that the resource does
    not exist, RemovePermission on a missing function "No policy found for"."""
    import re

    from ..platform.arns import parse_function_ref

    name, qualifier = parse_function_ref(ref, qualifier)
    if op == "add" and qualifier == "$LATEST":
        raise InvalidParameterValueException(
            "We currently do not support adding policies for $LATEST.")
    try:
        fn = platform.function(name)
    except ResourceNotFoundException:
        if op == "get":
            raise ResourceNotFoundException(NO_POLICY) from None
        if op == "remove":
            raise ResourceNotFoundException(
                f"No policy found for: {platform.arn(name)}") from None
        raise
    if qualifier in (None, "$LATEST") or fn.version(qualifier) is not None \
            or qualifier in fn.aliases:
        return
    if op == "get":
        raise ResourceNotFoundException(NO_POLICY)
    arn = platform.arn(name, qualifier)
    if re.fullmatch(r"[a-zA-Z0-9-_]+", qualifier) and not qualifier.isdigit():
        raise ResourceNotFoundException(f"Cannot find alias arn: {arn}")
    raise ResourceNotFoundException(f"Function not found: {arn}")


def _target(platform: Platform, ref: str, qualifier: str | None) -> tuple[Function, str | None]:
    from ..platform.arns import parse_function_ref

    name, qualifier = parse_function_ref(ref, qualifier)
    platform.version(name, qualifier)  # ResourceNotFoundException for a missing one
    if qualifier == "$LATEST":
        qualifier = None
    return platform.function(name), qualifier


def add_permission(platform: Platform, ref: str, qualifier: str | None,
                   body: dict[str, Any]) -> dict[str, Any]:
    """AddPermission: returns the new statement. Raises ResourceNotFoundException,
    ResourceConflictException (the statement id is taken), ValidationException,
    InvalidParameterValueException, PreconditionFailedException (RevisionId differs)."""
    import re

    sid, action, principal = body.get("StatementId"), body.get("Action"), body.get("Principal")
    for name, value, pattern in (("statementId", sid, _SID), ("action", action, _ACTION)):
        if not isinstance(value, str) or not re.fullmatch(pattern.strip("^$"), value):
            raise ValidationException(
                f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
                f"constraint: Member must satisfy regular expression pattern: {pattern}")
    if not principal:
        raise ValidationException(
            "1 validation error detected: Value null at 'principal' failed to satisfy "
            "constraint: Member must not be null")
    if not (principal == "*" or re.fullmatch(r"\d{12}", principal)
            or principal.startswith("arn:")
            or re.fullmatch(r"[a-z0-9.-]+\.amazonaws\.com(\.cn)?", principal)):
        raise InvalidParameterValueException(  # AWS's answer (recorded)
            "The provided principal was invalid. Please check the principal and try again.")
    fn, qualifier = _target(platform, ref, qualifier)
    resource = platform.arn(fn.name, qualifier)
    statement: dict[str, Any] = {"Sid": sid, "Effect": "Allow",
                                 "Principal": _principal(principal), "Action": action,
                                 "Resource": resource}
    condition: dict[str, Any] = {}
    if body.get("SourceAccount"):
        condition.setdefault("StringEquals", {})["AWS:SourceAccount"] = body["SourceAccount"]
    if body.get("PrincipalOrgID"):
        condition.setdefault("StringEquals", {})["aws:PrincipalOrgID"] = body["PrincipalOrgID"]
    if body.get("EventSourceToken"):
        condition.setdefault("StringEquals", {})["lambda:EventSourceToken"] = \
            body["EventSourceToken"]
    if body.get("FunctionUrlAuthType"):
        condition.setdefault("StringEquals", {})["lambda:FunctionUrlAuthType"] = \
            body["FunctionUrlAuthType"]
    if body.get("SourceArn"):
        condition["ArnLike"] = {"AWS:SourceArn": body["SourceArn"]}
    if condition:
        statement["Condition"] = condition
    with _lock:
        policy = _policies.setdefault(fn, {}).setdefault(qualifier, Policy())
        if body.get("RevisionId") and body["RevisionId"] != policy.revision_id:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetPolicy API to retrieve the latest Revision Id")
        if any(s["Sid"] == sid for s in policy.statements):
            raise ResourceConflictException(
                f"The statement id ({sid}) provided already exists. Please provide a new "
                "statement id, or remove the existing statement.")  # AWS's (recorded)
        if len(json.dumps(policy.document())) + len(json.dumps(statement)) > 20_480:
            from ..errors import PolicyLengthExceededException

            raise PolicyLengthExceededException(
                "The final policy size (bigger than 20480) is bigger than the limit.")
        policy.statements.append(statement)
        policy.revision_id = str(_uuid.uuid4())
    return statement


def get_policy(platform: Platform, ref: str, qualifier: str | None) -> Policy:
    """GetPolicy. Raises ResourceNotFoundException when the function has no policy."""
    fn, qualifier = _target(platform, ref, qualifier)
    with _lock:
        policy = _policies.get(fn, {}).get(qualifier)
    if policy is None or not policy.statements:
        raise ResourceNotFoundException(NO_POLICY)
    return policy


def remove_permission(platform: Platform, ref: str, qualifier: str | None, sid: str,
                      revision_id: str | None = None) -> None:
    """RemovePermission. Raises ResourceNotFoundException (no such statement),
    PreconditionFailedException (RevisionId differs)."""
    fn, qualifier = _target(platform, ref, qualifier)
    with _lock:
        policy = _policies.get(fn, {}).get(qualifier)
        if policy is None or not policy.statements:  # AWS's wording (recorded)
            raise ResourceNotFoundException("No policy is associated with the given resource.")
        if not any(s["Sid"] == sid for s in policy.statements):
            raise ResourceNotFoundException(
                f"Statement {sid} is not found in resource policy.")
        if revision_id and revision_id != policy.revision_id:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetPolicy API to retrieve the latest Revision Id")
        policy.statements = [s for s in policy.statements if s["Sid"] != sid]
        policy.revision_id = str(_uuid.uuid4())
        if not policy.statements:
            del _policies[fn][qualifier]


def _action_ok(action: Any, wanted: str = "lambda:InvokeFunction") -> bool:
    actions = action if isinstance(action, list) else [action]
    return any(a in (wanted, "lambda:*", "*") for a in actions)


def _principal_ok(principal: Any, service: str, account: str | None) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        services = principal.get("Service", [])
        services = services if isinstance(services, list) else [services]
        if service in services:
            return True
        accounts = principal.get("AWS", [])
        accounts = accounts if isinstance(accounts, list) else [accounts]
        return account is not None and any(a in (account, f"arn:aws:iam::{account}:root")
                                           for a in accounts)
    return False


def allows(platform: Platform, ref: str, principal: str, source_arn: str | None = None,
           source_account: str | None = None, *, action: str = "lambda:InvokeFunction",
           url_auth_type: str | None = None) -> bool:
    """May ``principal`` (a service principal) invoke ``ref`` (name or ARN, maybe qualified)
    for ``source_arn`` owned by ``source_account``? False if the function does not exist.
    ``action``: the action asked for (``lambda:InvokeFunctionUrl`` for a function URL, whose
    ``url_auth_type`` must then match a ``lambda:FunctionUrlAuthType`` condition)."""
    from ..platform.arns import parse_function_ref

    name, qualifier = parse_function_ref(ref)
    try:
        fn = platform.function(name)
    except LambdaError:
        return False
    key = None if qualifier in (None, "$LATEST") else qualifier
    with _lock:
        policy = _policies.get(fn, {}).get(key)
        statements = list(policy.statements) if policy else []
    for s in statements:
        if s.get("Effect") != "Allow" or not _action_ok(s.get("Action"), action):
            continue
        if not _principal_ok(s.get("Principal"), principal, source_account):
            continue
        cond = s.get("Condition") or {}
        pattern = (cond.get("ArnLike") or {}).get("AWS:SourceArn") \
            or (cond.get("ArnEquals") or {}).get("AWS:SourceArn")
        if pattern and not (source_arn and fnmatch.fnmatchcase(source_arn, pattern)):
            continue
        account = (cond.get("StringEquals") or {}).get("AWS:SourceAccount")
        if account and account != source_account:
            continue
        auth_type = (cond.get("StringEquals") or {}).get("lambda:FunctionUrlAuthType")
        if auth_type and auth_type != url_auth_type:
            continue
        return True
    return False
