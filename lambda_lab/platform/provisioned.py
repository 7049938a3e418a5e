"""Provisioned concurrency: configurations on versions and aliases, allocated on the platform clock.

A configuration is reserved at once (it counts against reserved / unreserved concurrency, see
:class:`~lambda_lab.platform.concurrency.ConcurrencyController`) and reports ``IN_PROGRESS``;
after :data:`ALLOCATION_DELAY_S` of platform time its environments are initialised (their
``AWS_LAMBDA_INITIALIZATION_TYPE`` is ``provisioned-concurrency``; the init may take
max(:data:`PROVISIONED_INIT_LIMIT_S`, timeout), not the on-demand 10 s), put into the version's
pool where keep-alive never reclaims them, and it reports ``READY``. With the real-time clock
that is about a second after the call; ``aws.advance(ALLOCATION_DELAY_S)`` makes it READY at
once (AWS takes a minute or two). Invocations on these environments report no Init Duration and
are not cold starts; traffic beyond them spills over to on-demand environments.

An init that fails or outlasts its limit makes the configuration ``FAILED``
(``FUNCTION_ERROR_INIT_FAILURE``). An environment discarded after a crash, timeout or
out-of-memory is replaced in the background after the allocation delay. An alias's
configuration follows the alias: repointed, the old version's environments end and the new
version's are allocated (``IN_PROGRESS`` meanwhile, invocations run on demand); with weighted
routing the requested count is split across both versions by weight.
"""

from __future__ import annotations

import datetime as _dt
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import (
    InvalidParameterValueException,
    LambdaError,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from .arns import parse_function_ref
from .model import LATEST, Function, Version

if TYPE_CHECKING:
    from ..clock import Timer
    from .model import Alias
    from .platform import Platform

__all__ = ["ALLOCATION_DELAY_S", "INIT_FAILURE", "PROVISIONED_INIT_LIMIT_S",
           "ProvisionedConcurrency", "ProvisionedConcurrencyConfig",
           "ProvisionedConcurrencyConfigNotFoundException", "split"]

#: Platform seconds from PutProvisionedConcurrencyConfig to READY (AWS: a minute or two); also
#: how long a crashed provisioned environment takes to be replaced (emulator timing).
ALLOCATION_DELAY_S = 1.0
#: The init limit of a provisioned environment is max(this, function timeout)
#: (lambda-facts.md B "Init phase"); on-demand environments have 10 s.
PROVISIONED_INIT_LIMIT_S = 130.0
#: StatusReason of a configuration whose environments failed to initialise (as CloudFormation
#: reports it); an init time-out is reported the same way (emulator assumption).
INIT_FAILURE = "FUNCTION_ERROR_INIT_FAILURE"
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
    version: str  #: the (primary) version whose environments it allocates
    requested: int
    last_modified: float
    status: str = IN_PROGRESS
    allocated: int = 0
    status_reason: str | None = None
    #: version -> how many environments it should have there (two versions: weighted alias)
    targets: dict[str, int] = field(default_factory=dict)
    #: version -> its live provisioned environments
    environments: dict[str, list[Any]] = field(default_factory=dict, repr=False)
    #: version -> ready count on an executor without real environments (a model)
    modelled: dict[str, int] = field(default_factory=dict, repr=False)
    timer: Timer | None = field(default=None, repr=False)

    def have(self, version: str) -> int:
        return len(self.environments.get(version, ())) + self.modelled.get(version, 0)

    def missing(self) -> dict[str, int]:
        """version -> environments still to allocate."""
        return {v: n - self.have(v) for v, n in self.targets.items() if n > self.have(v)}


def split(requested: int, version: str, weights: Mapping[str, float]) -> dict[str, int]:
    """How a weighted alias's provisioned concurrency is spread: each additional version gets
    its weight's share (rounded half up; emulator rounding), the primary version the rest."""
    targets = {version: requested}
    for other, weight in weights.items():
        share = min(int(requested * weight + 0.5), targets[version])
        if share:
            targets[other] = share
            targets[version] -= share
    return {v: n for v, n in targets.items() if n > 0}


def _timestamp(t: float) -> str:
    d = _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}+0000"


class ProvisionedConcurrency:
    """The provisioned concurrency configurations of one platform.

    Lock order: the platform's lock may be held when this one is taken (alias updates), never
    the other way round; a pool's lock comes last.
    """

    def __init__(self, platform: Platform, delay_s: float = ALLOCATION_DELAY_S) -> None:
        self.platform = platform
        self.delay_s = delay_s
        self._configs: dict[tuple[str, str], ProvisionedConcurrencyConfig] = {}
        self._lock = threading.RLock()

    # ----------------------------------------------------------------- control plane

    def _resolve(self, ref: str, qualifier: str | None, *, put: bool = False
                 ) -> tuple[str, str, Version]:
        """(name, qualifier, version). The errors and their order are AWS's (recorded): a
        missing alias is "Cannot find alias arn", a missing version "Function not found", both
        naming the qualified ARN even when the function itself is missing."""
        if not qualifier:  # emulator wording (botocore requires the Qualifier)
            self.platform.function(ref)
            raise InvalidParameterValueException("The Qualifier parameter is required.")
        if qualifier == LATEST:
            self.platform.function(ref)
            raise InvalidParameterValueException(
                "Provisioned Concurrency Configs cannot be applied to unpublished function "
                "versions." if put else
                "The function resource provided must be an alias or a published version.")
        name = parse_function_ref(ref)[0]
        try:
            fn: Function | None = self.platform.function(name)
        except ResourceNotFoundException:
            fn = None
        if fn is None or (fn.version(qualifier) is None and qualifier not in fn.aliases):
            arn = self.platform.arn(name, qualifier)
            raise ResourceNotFoundException(f"Function not found: {arn}" if qualifier.isdigit()
                                            else f"Cannot find alias arn: {arn}")
        version = self.platform.version(fn.name, qualifier)
        return fn.name, qualifier, version

    def put(self, ref: str, qualifier: str | None, count: int) -> ProvisionedConcurrencyConfig:
        """PutProvisionedConcurrencyConfig: reserve now, allocate after :attr:`delay_s`.

        Raises ValidationException (count < 1), InvalidParameterValueException ($LATEST, an
        alias with routing, the concurrency checks), ResourceNotFoundException,
        ResourceConflictException (a version and an alias on it cannot both be provisioned)."""
        if count < 1:
            raise ValidationException(
                f"1 validation error detected: Value '{count}' at "
                "'provisionedConcurrentExecutions' failed to satisfy constraint: Member must "
                "have value greater than or equal to 1")
        name, qualifier, version = self._resolve(ref, qualifier, put=True)
        alias = self.platform.function(name).aliases.get(qualifier)
        if alias is not None and alias.weights:
            # DG: not while the alias's routing configuration is in place. The message is the
            # one CloudFormation deployments report; the error code is the emulator's.
            raise InvalidParameterValueException(
                "Invalid alias configuration for Provisioned Concurrency")
        with self._lock:
            self._check_free(name, qualifier, [version.number])
            self.platform.concurrency.set_provisioned(name, qualifier, count)
            old = self._configs.pop((name, qualifier), None)
            if old is not None:
                self._release(old)
            config = ProvisionedConcurrencyConfig(name, qualifier, version.number, count,
                                                  self.platform.clock.now(),
                                                  targets={version.number: count})
            self._configs[(name, qualifier)] = config
            config.timer = self.platform.clock.call_later(self.delay_s, self._allocate, config)
            return config

    def _check_free(self, name: str, qualifier: str, versions: list[str]) -> None:
        """Raise ResourceConflictException if another configuration provisions one of
        ``versions`` (DG: one provisioned concurrency configuration per version)."""
        for (fn, q), other in self._configs.items():
            if fn != name or q == qualifier:
                continue
            if any(v in other.targets or v == other.version for v in versions):
                raise ResourceConflictException(
                    "Alias can't be used for Provisioned Concurrency configuration on an "
                    "already Provisioned version" if qualifier not in versions else
                    "Version is pointed by a Provisioned Concurrency alias")

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

        Raises ResourceNotFoundException; a version or alias without a config is no error
        (AWS answers 204, recorded)."""
        try:
            config = self.get(ref, qualifier)
        except ProvisionedConcurrencyConfigNotFoundException:
            return
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

    # ----------------------------------------------------------------- aliases

    def check_alias(self, function_name: str, alias: str, version: str,
                    weights: Mapping[str, float]) -> None:
        """Before an alias with provisioned concurrency changes: its new versions must not be
        provisioned by another configuration (ResourceConflictException)."""
        with self._lock:
            if (function_name, alias) in self._configs:
                self._check_free(function_name, alias, [version, *weights])

    def alias_updated(self, function_name: str, alias: Alias) -> None:
        """The alias changed: move its provisioned environments to where it now points (DG:
        deallocated from the old version, allocated to the new one; split by weight while it
        routes to two versions). Environments no longer wanted end (busy ones when their
        invocation returns, as on-demand ones); new ones come after :attr:`delay_s`."""
        with self._lock:
            config = self._configs.get((function_name, alias.name))
            if config is None:
                return
            targets = split(config.requested, alias.function_version, alias.weights)
            if targets == config.targets:
                return
            config.version, config.targets = alias.function_version, targets
            for version in set(config.environments) | set(config.modelled):
                self._trim(config, version, targets.get(version, 0))
            self._sync(config)
            if config.missing():
                config.status, config.status_reason = IN_PROGRESS, None
                self._schedule(config, replace=True)
            elif config.status != FAILED:
                config.status = READY

    # ----------------------------------------------------------------- allocation

    def _version(self, function_name: str, number: str) -> Version | None:
        fn = self.platform._functions.get(function_name)
        return fn.version(number) if fn is not None else None

    def _current(self, config: ProvisionedConcurrencyConfig) -> bool:
        return self._configs.get((config.function_name, config.qualifier)) is config

    def _schedule(self, config: ProvisionedConcurrencyConfig, *, replace: bool = False) -> None:
        """Allocate what is missing after :attr:`delay_s` (one pending timer at a time)."""
        if config.timer is not None and config.timer.active:
            if not replace:
                return
            config.timer.cancel()
        config.timer = self.platform.clock.call_later(self.delay_s, self._allocate, config)

    def _sync(self, config: ProvisionedConcurrencyConfig) -> None:
        """Publish the ready counts (per version, to the concurrency controller) and the
        configuration's allocated total."""
        for version in set(config.targets) | set(config.environments) | set(config.modelled):
            self.platform.concurrency.set_ready(config.function_name, version,
                                                config.have(version))
        config.allocated = sum(config.have(v) for v in config.targets)

    def _trim(self, config: ProvisionedConcurrencyConfig, version: str, keep: int) -> None:
        """Let all but ``keep`` of the configuration's environments on ``version`` go."""
        envs = config.environments.get(version, [])
        gone, kept = envs[keep:], envs[:keep]
        if kept:
            config.environments[version] = kept
        else:
            config.environments.pop(version, None)
        if config.modelled.get(version, 0) > keep:
            config.modelled[version] = keep
        if not config.modelled.get(version):
            config.modelled.pop(version, None)
        if not kept:
            self.platform.concurrency.set_ready(config.function_name, version, 0)
        target = self._version(config.function_name, version)
        unpin = getattr(target.executor, "unpin", None) if target is not None else None
        if unpin is not None and gone:
            unpin(gone)

    def _release(self, config: ProvisionedConcurrencyConfig) -> None:
        if config.timer is not None:
            config.timer.cancel()
        for version in set(config.environments) | set(config.modelled) | set(config.targets):
            self._trim(config, version, 0)
        config.allocated = 0

    def _executor(self, version: Version) -> Any:
        with self.platform._lock:
            if self.platform._closed:
                return None
            if version.executor is None:
                version.executor = self.platform._executor_factory(version)
            return version.executor

    def _allocate(self, config: ProvisionedConcurrencyConfig) -> None:
        """Timer callback: initialise what is missing, then mark the configuration READY (or
        FAILED). Inits run outside the locks; each environment joins the configuration (and its
        version's pool, pinned) only if it is still wanted."""
        with self._lock:
            if not self._current(config):
                return  # replaced or deleted meanwhile
            config.timer = None
            missing = config.missing()
        failed = False
        for number, count in missing.items():
            version = self._version(config.function_name, number)
            executor = self._executor(version) if version is not None else None
            if executor is None:
                return
            new_environment = getattr(executor, "new_environment", None)
            if new_environment is None:  # a model: no real environments to start
                with self._lock:
                    if self._current(config) and number in config.targets:
                        config.modelled[number] = config.targets[number] - (
                            config.have(number) - config.modelled.get(number, 0))
                continue
            executor.on_pinned_lost = self._lost
            limit = max(PROVISIONED_INIT_LIMIT_S, float(version.config.timeout))
            for _ in range(count):
                env = new_environment(init_type="provisioned-concurrency", init_timeout=limit)
                if env.state != "idle":  # init error, crash, or past the init limit
                    env.shutdown()
                    failed = True
                    break
                with self._lock:
                    wanted = (self._current(config)
                              and config.have(number) < config.targets.get(number, 0))
                    if wanted:
                        config.environments.setdefault(number, []).append(env)
                        executor.add_idle(env, pinned=True)
                if not wanted:
                    env.shutdown()
                    break
            if failed:
                break
        with self._lock:
            if not self._current(config):
                return
            self._sync(config)
            if failed:
                config.status, config.status_reason = FAILED, INIT_FAILURE
            elif config.status != FAILED and not config.missing():
                config.status = READY

    def _lost(self, env: Any) -> None:
        """A pool discarded one of its pinned environments (crash, timeout, out of memory):
        drop it and allocate a replacement after :attr:`delay_s`."""
        number = env.spec.version
        with self._lock:
            if self.platform._closed:
                return
            for config in self._configs.values():
                envs = config.environments.get(number)
                if envs is not None and env in envs:
                    envs.remove(env)
                    if not envs:
                        del config.environments[number]
                    self._sync(config)
                    self._schedule(config)
                    return

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
