"""Provisioned concurrency: configurations on versions and aliases, allocated on the platform clock.

A configuration is reserved at once (it counts against reserved / unreserved concurrency, see
:class:`~lambda_lab.platform.concurrency.ConcurrencyController`) and reports ``IN_PROGRESS``;
after :data:`ALLOCATION_DELAY_S` of platform time its environments are initialised (their
``AWS_LAMBDA_INITIALIZATION_TYPE`` is ``provisioned-concurrency``), put into the version's pool
where keep-alive never reclaims them, and it reports ``READY``. With the real-time clock that is
about a second after the call; ``aws.advance(ALLOCATION_DELAY_S)`` makes it READY at once (AWS
takes a minute or two). Invocations on these environments report no Init Duration and are not
cold starts; traffic beyond them spills over to on-demand environments.
"""

from __future__ import annotations

import datetime as _dt
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import (
    InvalidParameterValueException,
    LambdaError,
    ResourceConflictException,
    ValidationException,
)
from .model import LATEST, Version

if TYPE_CHECKING:
    from ..clock import Timer
    from .platform import Platform

__all__ = ["ALLOCATION_DELAY_S", "ProvisionedConcurrency", "ProvisionedConcurrencyConfig",
           "ProvisionedConcurrencyConfigNotFoundException"]

#: Platform seconds from PutProvisionedConcurrencyConfig to READY (AWS: a minute or two).
ALLOCATION_DELAY_S = 1.0
IN_PROGRESS, READY, FAILED = "IN_PROGRESS", "READY", "FAILED"


class ProvisionedConcurrencyConfigNotFoundException(LambdaError):
    """The version or alias has no provisioned concurrency configuration."""

    code = "ProvisionedConcurrencyConfigNotFoundException"
    status = 404


@dataclass(eq=False)
class ProvisionedConcurrencyConfig:
    """One configuration: what was requested on a qualifier and what is allocated."""

    function_name: str
    qualifier: str  #: the version number or alias it was put on
    version: str  #: the version whose environments it allocates
    requested: int
    last_modified: float
    status: str = IN_PROGRESS
    allocated: int = 0
    status_reason: str | None = None
    environments: list[Any] = field(default_factory=list, repr=False)
    timer: Timer | None = field(default=None, repr=False)


def _timestamp(t: float) -> str:
    d = _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}+0000"


class ProvisionedConcurrency:
    """The provisioned concurrency configurations of one platform."""

    def __init__(self, platform: Platform, delay_s: float = ALLOCATION_DELAY_S) -> None:
        self.platform = platform
        self.delay_s = delay_s
        self._configs: dict[tuple[str, str], ProvisionedConcurrencyConfig] = {}
        self._lock = threading.RLock()

    # ----------------------------------------------------------------- control plane

    def _resolve(self, ref: str, qualifier: str | None) -> tuple[str, str, Version]:
        fn = self.platform.function(ref)
        if not qualifier:  # emulator wording (botocore requires the Qualifier)
            raise InvalidParameterValueException("The Qualifier parameter is required.")
        if qualifier == LATEST:
            raise InvalidParameterValueException(
                "Provisioned Concurrency Configs cannot be applied to unpublished function "
                "versions.")
        version = self.platform.version(fn.name, qualifier)  # ResourceNotFoundException
        return fn.name, qualifier, version

    def put(self, ref: str, qualifier: str | None, count: int) -> ProvisionedConcurrencyConfig:
        """PutProvisionedConcurrencyConfig: reserve now, allocate after :attr:`delay_s`.

        Raises ValidationException (count < 1), InvalidParameterValueException ($LATEST, the
        concurrency checks), ResourceNotFoundException, ResourceConflictException (a version
        and an alias on it cannot both be provisioned)."""
        if count < 1:
            raise ValidationException(
                f"1 validation error detected: Value '{count}' at "
                "'provisionedConcurrentExecutions' failed to satisfy constraint: Member must "
                "have value greater than or equal to 1")
        name, qualifier, version = self._resolve(ref, qualifier)
        with self._lock:
            for (fn, q), other in self._configs.items():
                if fn == name and q != qualifier and other.version == version.number:
                    raise ResourceConflictException(
                        "Alias can't be used for Provisioned Concurrency configuration on an "
                        "already Provisioned version" if qualifier != version.number else
                        "Version is pointed by a Provisioned Concurrency alias")
            self.platform.concurrency.set_provisioned(name, qualifier, count)
            old = self._configs.pop((name, qualifier), None)
            if old is not None:
                self._release(old)
            config = ProvisionedConcurrencyConfig(name, qualifier, version.number, count,
                                                  self.platform.clock.now())
            self._configs[(name, qualifier)] = config
            config.timer = self.platform.clock.call_later(self.delay_s, self._allocate, config)
            return config

    def get(self, ref: str, qualifier: str | None) -> ProvisionedConcurrencyConfig:
        """Raises ProvisionedConcurrencyConfigNotFoundException, ResourceNotFoundException."""
        name, qualifier, _ = self._resolve(ref, qualifier)
        config = self._configs.get((name, qualifier))
        if config is None:
            raise ProvisionedConcurrencyConfigNotFoundException(
                "No Provisioned Concurrency Config found for this function")
        return config

    def list(self, ref: str) -> list[ProvisionedConcurrencyConfig]:
        """Every configuration of one function."""
        name = self.platform.function(ref).name
        with self._lock:
            return [c for (fn, _), c in self._configs.items() if fn == name]

    def delete(self, ref: str, qualifier: str | None) -> None:
        """DeleteProvisionedConcurrencyConfig: free the reservation, end idle environments.

        Raises ProvisionedConcurrencyConfigNotFoundException, ResourceNotFoundException."""
        config = self.get(ref, qualifier)
        with self._lock:
            self._configs.pop((config.function_name, config.qualifier), None)
            self.platform.concurrency.delete_provisioned(config.function_name, config.qualifier)
            self._release(config)

    def forget_function(self, name: str) -> None:
        """The function was deleted (its environments end with its versions)."""
        with self._lock:
            for key in [k for k in self._configs if k[0] == name]:
                config = self._configs.pop(key)
                if config.timer is not None:
                    config.timer.cancel()

    def close(self) -> None:
        """Cancel pending allocations."""
        with self._lock:
            for config in self._configs.values():
                if config.timer is not None:
                    config.timer.cancel()

    def _release(self, config: ProvisionedConcurrencyConfig) -> None:
        if config.timer is not None:
            config.timer.cancel()
        self.platform.concurrency.set_ready(config.function_name, config.version, 0)
        envs, config.environments, config.allocated = config.environments, [], 0
        version = self._version(config)
        unpin = getattr(version.executor, "unpin", None) if version is not None else None
        if unpin is not None and envs:
            unpin(envs)

    # ----------------------------------------------------------------- allocation

    def _version(self, config: ProvisionedConcurrencyConfig) -> Version | None:
        fn = self.platform._functions.get(config.function_name)
        return fn.version(config.version) if fn is not None else None

    def _allocate(self, config: ProvisionedConcurrencyConfig) -> None:
        """Timer callback: initialise the environments, then mark the configuration READY."""
        with self._lock:
            if self._configs.get((config.function_name, config.qualifier)) is not config:
                return  # replaced or deleted meanwhile
            version = self._version(config)
            if version is None:
                return
            with self.platform._lock:
                if self.platform._closed:
                    return
                if version.executor is None:
                    version.executor = self.platform._executor_factory(version)
                executor = version.executor
            new_environment = getattr(executor, "new_environment", None)
            if new_environment is not None:  # real environments; a model needs none
                while len(config.environments) < config.requested:
                    env = new_environment(init_type="provisioned-concurrency")
                    if getattr(env, "state", "idle") != "idle":
                        env.shutdown()
                        config.status, config.status_reason = FAILED, "FUNCTION_ERROR_INIT_FAILURE"
                        break
                    config.environments.append(env)
                    executor.add_idle(env, pinned=True)
            config.allocated = len(config.environments) if new_environment else config.requested
            self.platform.concurrency.set_ready(config.function_name, config.version,
                                                config.allocated)
            if config.status != FAILED:
                config.status = READY

    # ----------------------------------------------------------------- wire shapes

    def shape(self, config: ProvisionedConcurrencyConfig, *, with_arn: bool = False
              ) -> dict[str, Any]:
        """The ProvisionedConcurrencyConfig response (with FunctionArn for a listing)."""
        shape: dict[str, Any] = {}
        if with_arn:
            shape["FunctionArn"] = self.platform.arn(config.function_name, config.qualifier)
        shape.update({
            "RequestedProvisionedConcurrentExecutions": config.requested,
            "AvailableProvisionedConcurrentExecutions": config.allocated,
            "AllocatedProvisionedConcurrentExecutions": config.allocated,
            "Status": config.status,
            "LastModified": _timestamp(config.last_modified),
        })
        if config.status_reason:
            shape["StatusReason"] = config.status_reason
        return shape
