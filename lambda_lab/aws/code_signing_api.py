"""Code signing configurations (Create/Get/Update/Delete/ListCodeSigningConfig(s) and the
function's Put/Get/DeleteFunctionCodeSigningConfig, ListFunctionsByCodeSigningConfig), mixed
into ``LabResponse``.

Stored and answered as AWS does (API reference "CodeSigningConfig"; the wording of the errors is
AWS's recorded answers in LocalStack's AWS-validated ``TestCodeSigningConfig`` snapshots). Not
emulated: the signature check itself on deployment (packages are accepted unsigned, as with
``UntrustedArtifactOnDeployment: Warn``).
"""

from __future__ import annotations

import json
import secrets
import string
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from moto.core.common_types import TYPE_RESPONSE

from ..errors import CodeSigningConfigNotFoundException, ResourceNotFoundException
from ..platform import Platform
from .shapes import _timestamp

__all__ = ["CodeSigningResponses", "SigningConfig", "signing_store"]

_ID_CHARS = string.ascii_lowercase + string.digits


class _NotFound(ResourceNotFoundException):
    """A missing code signing config: AWS's body has no ``Type`` for this one."""

    typed = False


@dataclass
class SigningConfig:
    """One code signing configuration."""

    arn: str
    config_id: str
    publishers: list[str]
    policy: str
    description: str
    last_modified: float
    tags: dict[str, str] = field(default_factory=dict)

    def shape(self) -> dict[str, Any]:
        return {"CodeSigningConfigId": self.config_id, "CodeSigningConfigArn": self.arn,
                "Description": self.description,
                "AllowedPublishers": {"SigningProfileVersionArns": list(self.publishers)},
                "CodeSigningPolicies": {"UntrustedArtifactOnDeployment": self.policy},
                "LastModified": _timestamp(self.last_modified)}


class SigningStore:
    """The code signing configs of one platform, and which function uses which."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.configs: dict[str, SigningConfig] = {}
        self.functions: dict[str, str] = {}  #: function name -> config ARN
        self.lock = threading.Lock()

    def get(self, arn: str) -> SigningConfig:
        found = self.configs.get(arn)
        if found is None:
            raise _NotFound(f"The Lambda code signing configuration {arn} can not be found.")
        return found

    def create(self, body: dict[str, Any]) -> SigningConfig:
        config_id = "csc-" + "".join(secrets.choice(_ID_CHARS) for _ in range(17))
        p = self.platform
        arn = f"arn:aws:lambda:{p.region}:{p.account_id}:code-signing-config:{config_id}"
        c = SigningConfig(arn, config_id,
                          list((body.get("AllowedPublishers") or {}).get(
                              "SigningProfileVersionArns") or []),
                          (body.get("CodeSigningPolicies") or {}).get(
                              "UntrustedArtifactOnDeployment", "Warn"),
                          body.get("Description", ""), p.clock.now(),
                          dict(body.get("Tags") or {}))
        with self.lock:
            self.configs[arn] = c
        return c


_stores: weakref.WeakKeyDictionary[Platform, SigningStore] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def signing_store(platform: Platform) -> SigningStore:
    """The code signing store of ``platform`` (created on first use)."""
    with _stores_lock:
        store = _stores.get(platform)
        if store is None:
            store = _stores[platform] = SigningStore(platform)
        return store


def _reply(status: int, body: Any = "") -> TYPE_RESPONSE:
    text = body if isinstance(body, str) else json.dumps(body)
    return status, {"Content-Type": "application/json", "status": str(status)}, text


class CodeSigningResponses:
    """Response methods for code signing configs (a mixin of ``LabResponse``)."""

    platform: Platform
    path: str
    json_body: dict[str, Any]
    querystring: dict[str, list[str]]

    @property
    def _signing(self) -> SigningStore:
        return signing_store(self.platform)

    def _csc_arn(self) -> str:
        parts = self.path.rstrip("/").split("/")
        i = parts.index("code-signing-configs")
        return unquote(parts[i + 1])

    def _fn_name(self) -> str:
        parts = self.path.rstrip("/").split("/")
        return self.platform.function(unquote(parts[parts.index("functions") + 1])).name

    def create_code_signing_config(self) -> TYPE_RESPONSE:
        return _reply(201, {"CodeSigningConfig": self._signing.create(self.json_body).shape()})

    def get_code_signing_config(self) -> TYPE_RESPONSE:
        return _reply(200, {"CodeSigningConfig": self._signing.get(self._csc_arn()).shape()})

    def update_code_signing_config(self) -> TYPE_RESPONSE:
        c, body = self._signing.get(self._csc_arn()), self.json_body
        changed = False
        if "Description" in body:
            c.description, changed = body["Description"], True
        if "AllowedPublishers" in body:
            c.publishers = list(body["AllowedPublishers"].get("SigningProfileVersionArns") or [])
            changed = True
        if "CodeSigningPolicies" in body:
            c.policy = body["CodeSigningPolicies"].get("UntrustedArtifactOnDeployment",
                                                       c.policy)
            changed = True
        if changed:
            c.last_modified = self.platform.clock.now()
        return _reply(200, {"CodeSigningConfig": c.shape()})

    def delete_code_signing_config(self) -> TYPE_RESPONSE:
        arn = self._csc_arn()
        self._signing.get(arn)
        with self._signing.lock:
            self._signing.configs.pop(arn, None)
        return _reply(204)

    def list_code_signing_configs(self) -> TYPE_RESPONSE:
        found = sorted(self._signing.configs.values(), key=lambda c: c.last_modified)
        return _reply(200, {"CodeSigningConfigs": [c.shape() for c in found]})

    def list_functions_by_code_signing_config(self) -> TYPE_RESPONSE:
        arn = self._csc_arn()
        self._signing.get(arn)
        names = sorted(n for n, a in self._signing.functions.items() if a == arn)
        return _reply(200, {"FunctionArns": [self.platform.arn(n) for n in names]})

    def put_function_code_signing_config(self) -> TYPE_RESPONSE:
        arn = self.json_body.get("CodeSigningConfigArn", "")
        if arn not in self._signing.configs:
            raise CodeSigningConfigNotFoundException(
                "The code signing configuration cannot be found. Check that the provided "
                f"configuration is not deleted: {arn}.")
        name = self._fn_name()
        self._signing.functions[name] = arn
        return _reply(200, {"CodeSigningConfigArn": arn, "FunctionName": name})

    def get_function_code_signing_config(self) -> TYPE_RESPONSE:
        name = self._fn_name()
        arn = self._signing.functions.get(name)
        if arn is None:
            return _reply(200, {})
        return _reply(200, {"CodeSigningConfigArn": arn, "FunctionName": name})

    def delete_function_code_signing_config(self) -> TYPE_RESPONSE:
        self._signing.functions.pop(self._fn_name(), None)
        return _reply(204)
