"""A moto Lambda backend whose functions live in (and run on) a lambda_lab Platform.

Like ``moto/awslambda_simple``, a subclass of moto's ``LambdaBackend``; :class:`MockAWS`
installs a ``BackendDict`` of it as ``moto.awslambda.lambda_backends`` for the session, so moto's
request routing (decorator and server) and moto's other services reach it.
"""

from __future__ import annotations

import importlib
import json
from types import ModuleType
from typing import Any, Protocol

from moto.awslambda.models import LambdaBackend
from moto.core.base_backend import BackendDict

from ..platform import EVENT, REQUEST_RESPONSE, Platform
from .roles import role_credentials

__all__ = ["LabLambdaBackend", "Session", "install", "new_backend_dict"]


class Session(Protocol):
    """What a backend needs from the mock that owns it."""

    def new_platform(self, region: str, account_id: str) -> Platform: ...


_session: Session | None = None


def install(session: Session | None) -> None:
    """Make ``session`` the one that new backends (and their platforms) belong to."""
    global _session
    _session = session


class LabLambdaBackend(LambdaBackend):
    """moto's Lambda backend, with functions, versions, aliases and invoke on :attr:`platform`."""

    def __init__(self, region_name: str, account_id: str) -> None:
        super().__init__(region_name, account_id)
        if _session is None:
            raise RuntimeError("lambda_lab's Lambda backend is used outside lambda_lab.mock_aws()")
        self.platform: Platform = _session.new_platform(region_name, account_id)
        if self.platform.role_credentials is None:  # handlers run with the function's role
            self.platform.role_credentials = role_credentials(account_id, region_name)

    @property
    def _url_module(self) -> ModuleType:
        return importlib.import_module("lambda_lab.aws.urls")

    def reset(self) -> None:
        """moto resets backends when its mock stops: end this platform's environments."""
        self.platform.close()

    def invoke(self, function_name: str, qualifier: str | None, body: Any, headers: Any,
               response_headers: Any) -> bytes:
        """For moto's other services that call Lambda (SNS, S3 notifications, ...)."""
        payload = body.encode() if isinstance(body, str) else bytes(body or b"")
        kind = (headers or {}).get("X-Amz-Invocation-Type", REQUEST_RESPONSE)
        inv = self.platform.invoke(function_name, payload, qualifier=qualifier,
                                   invocation_type=kind)
        if kind == EVENT or inv.result is None:
            return b""
        if inv.result.function_error:
            response_headers["x-amz-function-error"] = inv.result.function_error
        return inv.result.raw_payload or json.dumps(None).encode()


def new_backend_dict() -> BackendDict[LabLambdaBackend]:
    """A fresh set of backends (one per account and Region, created on first use)."""
    return BackendDict(LabLambdaBackend, "lambda")
