"""How a front door runs the handler: a synchronous Invoke through the platform, checked
against the function's resource policy, cut off at the integration timeout.

The function runs on past the integration timeout (as on AWS: API Gateway answers 504 while
the invocation goes on to the function's own timeout), in a thread of its own.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from typing import Any

from ..errors import LambdaError
from ..execution.result import InvocationResult
from ..platform import Platform
from ..platform.arns import parse_function_ref
from ..sources import permissions

__all__ = ["Outcome", "call", "platform_for"]

#: init can add up to 10 s to a function's own timeout before it is cut off
_INIT_MARGIN_S = 10.0


@dataclass(frozen=True)
class Outcome:
    """How the invocation went: ``kind`` is ``"ok"`` (``result`` set; a function error is
    ``result.function_error``), ``"timeout"`` (the integration timeout passed),
    ``"denied"`` (the resource policy does not allow the caller), ``"missing"`` (no such
    function), or ``"failed"`` (Invoke itself failed: throttled, too large, …; ``error``)."""

    kind: str
    result: InvocationResult | None = None
    error: LambdaError | None = None

    @property
    def payload(self) -> Any:
        """The handler's return value (parsed JSON; None for an empty payload)."""
        return self.result.payload if self.result is not None else None

    @property
    def function_error(self) -> bool:
        return self.result is not None and self.result.function_error is not None


def platform_for(function_arn: str) -> Platform | None:
    """The platform of the account and Region in ``function_arn`` (None if not an ARN of the
    session's Lambda)."""
    import moto.awslambda.models as models

    parts = function_arn.split(":")
    if len(parts) < 7 or parts[2] != "lambda":
        return None
    try:
        return models.lambda_backends[parts[4]][parts[3]].platform
    except (KeyError, AttributeError):
        return None


def call(platform: Platform, ref: str, event: dict[str, Any], *, principal: str | None,
         source_arn: str | None = None, source_account: str | None = None,
         timeout_s: float = 29.0, url_auth_type: str | None = None) -> Outcome:
    """Invoke ``ref`` (name or ARN, maybe qualified) with ``event``, as ``principal`` (a
    service principal, ``""`` for an anonymous caller; None: no resource-policy check) from
    ``source_arn`` of ``source_account``. With ``url_auth_type`` the policy must allow
    ``lambda:InvokeFunctionUrl`` for that auth type."""
    try:
        name, qualifier = parse_function_ref(ref)
        version = platform.version(name, qualifier)
    except LambdaError:
        return Outcome("missing")
    if principal is not None:
        allowed = permissions.allows(
            platform, ref, principal, source_arn, source_account,
            action="lambda:InvokeFunctionUrl" if url_auth_type else "lambda:InvokeFunction",
            url_auth_type=url_auth_type)
        if not allowed:
            return Outcome("denied")
    payload = json.dumps(event).encode()
    if version.config.timeout + _INIT_MARGIN_S <= timeout_s:  # it cannot outlast the limit
        return _invoke(platform, name, qualifier, payload)
    box: list[Outcome] = []
    done = threading.Event()

    def run() -> None:
        try:
            box.append(_invoke(platform, name, qualifier, payload))
        finally:
            done.set()

    threading.Thread(target=run, name=f"front-door-{name}", daemon=True).start()
    if not done.wait(timeout_s):
        return Outcome("timeout")
    return box[0] if box else Outcome("failed")


def _invoke(platform: Platform, name: str, qualifier: str | None, payload: bytes) -> Outcome:
    try:
        inv = platform.invoke(name, payload, qualifier=qualifier)
    except LambdaError as e:
        return Outcome("failed", error=e)
    except RuntimeError:  # the platform shut down under it
        return Outcome("failed")
    return Outcome("ok", result=inv.result)
