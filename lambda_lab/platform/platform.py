"""The platform: functions, versions and aliases of one account and Region, and invoking them.

Written against :class:`~lambda_lab.platform.model.Executor`, so the same model drives real worker
processes (the default, one :class:`~lambda_lab.execution.pool.EnvironmentPool` per version) or a
modelled executor. Raises the AWS-shaped errors of :mod:`lambda_lab.errors`; a front (the moto
bridge, an HTTP server) only translates them.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

from .. import limits
from ..clock import VirtualClock, default_clock
from ..errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestEntityTooLargeException,
    ResourceConflictException,
    ResourceNotFoundException,
)
from ..execution.environment import EnvironmentInfo, ExecutionEnvironment
from ..execution.pool import EnvironmentPool
from ..execution.result import InvocationResult
from ..execution.spec import DEFAULT_ACCOUNT, DEFAULT_REGION, EnvironmentSpec
from ..execution.state import subdir
from ..validation import safe_folder_name, validate_new_function_name
from . import aliases, images, layers, logconfig, recursion, tracing
from .arns import function_arn, parse_function_ref
from .asyncq import DEFAULT_WORKERS, AsyncEvent, AsyncQueue, attempt_started
from .concurrency import ConcurrencyController, Throttled, needs_new_environment
from .metrics import MetricsRecorder
from .model import LATEST, Alias, Code, Executor, Function, FunctionConfig, Version, check_revision
from .provisioned import ProvisionedConcurrency

__all__ = ["DRY_RUN", "EVENT", "REQUEST_RESPONSE", "Invocation", "LogSink", "Platform"]

REQUEST_RESPONSE, EVENT, DRY_RUN = "RequestResponse", "Event", "DryRun"
#: ``(function_name, log_stream_name, lines, platform_time)``: where every invocation's log goes.
LogSink = Callable[[str, str, list[str], float], None]
#: ResourceConflictException messages of function states (Invoke's is in the DG's invocation
#: troubleshooting; the others as AWS returns them in user reports).
PENDING_INVOKE = ("The operation cannot be performed at this time. The function is currently in "
                  "the following state: Pending")
PENDING_CHANGE = ("The operation cannot be performed at this time. The resource {arn} is "
                  "currently in the following state: 'Pending'. StateReasonCode: 'Creating'")
#: Platform time a VPC function stays Pending (an update InProgress) while Lambda creates its
#: Hyperplane ENIs, whether or not function states are on (DG "Lambda function states").
ENI_DELAY_S = 5.0
UPDATE_IN_PROGRESS = ("The operation cannot be performed at this time. An update is in progress "
                      "for resource: {arn}")


@dataclass(frozen=True)
class Invocation:
    """What an Invoke call produced: a result (RequestResponse), a queued event (Event), or
    neither (DryRun)."""

    invocation_type: str
    request_id: str
    executed_version: str
    invoked_arn: str
    result: InvocationResult | None = None
    event: AsyncEvent | None = None


class Platform:
    """Lambda's control and data plane for one account and Region.

    ``clock`` is the platform clock (``lambda_lab.clock``); ``rng`` draws alias routing (seed it
    for reproducible tests); ``extra_env`` reaches every worker (e.g. ``AWS_ENDPOINT_URL``);
    ``on_logs`` receives every invocation's log lines; ``async_workers``: Event invocations run
    at once at most (see :mod:`.asyncq`); ``state_delay``: with a number, function
    states are on (DG "Lambda function states"): a new function is ``Pending`` and an update
    ``InProgress`` for that many seconds of platform time; None: always Active / Successful.
    """

    def __init__(self, *, region: str = DEFAULT_REGION, account_id: str = DEFAULT_ACCOUNT,
                 clock: VirtualClock | None = None, rng: random.Random | None = None,
                 executor_factory: Callable[[Version], Executor] | None = None,
                 extra_env: Mapping[str, str] | None = None, on_logs: LogSink | None = None,
                 isolation: str = "auto", async_workers: int = DEFAULT_WORKERS,
                 state_delay: float | None = None) -> None:
        self.region = region
        self.account_id = account_id
        self.clock = clock or default_clock()
        self.rng = rng or random.Random()
        self.extra_env = dict(extra_env or {})
        self.on_logs = on_logs
        self.isolation = isolation
        self.state_delay = state_delay
        self._executor_factory = executor_factory or self._pool_for
        self._functions: dict[str, Function] = {}
        self._lock = threading.RLock()
        self.async_queue = AsyncQueue(self._run_event, workers=async_workers, platform=self)
        self._closed = False
        #: Account limit, reserved and provisioned concurrency, scaling rate, throttles.
        self.concurrency = ConcurrencyController(self.clock, region=region)
        self.provisioned = ProvisionedConcurrency(self)
        self.layers = layers.LayerStore(region, account_id, self.clock)  #: published layers
        #: ``(role_arn, function_name) -> credentials`` for new environments; None: fake ones
        self.role_credentials: Callable[[str, str], Mapping[str, str] | None] | None = None
        #: Where invocation outcomes go for CloudWatch (None: not recorded; see ``metrics``)
        self.metrics: MetricsRecorder | None = None
        #: ``(log_group, log_stream_name, lines, platform_time)``: the logs of a function with a
        #: custom LoggingConfig.LogGroup (None: they go to ``on_logs`` like the others)
        self.log_group_sink: LogSink | None = None
        #: VPC functions: Pending / InProgress for this long while their ENIs are created
        self.eni_delay = ENI_DELAY_S
        #: Called with the platform after a function's VpcConfig changes (ENIs; aws.vpc_network)
        self.on_vpc_change: Callable[[Platform], None] | None = None
        #: The role session access key of each environment pool -> the version it runs
        self.identities: dict[str, Version] = {}

    # ----------------------------------------------------------------- lookup

    def arn(self, name: str, qualifier: str | None = None) -> str:
        return function_arn(self.region, self.account_id, name, qualifier)

    def _not_found(self, name: str, qualifier: str | None = None) -> ResourceNotFoundException:
        return ResourceNotFoundException(f"Function not found: {self.arn(name, qualifier)}")

    def function(self, ref: str) -> Function:
        """A function by name or ARN (a qualifier in ``ref`` is ignored).

        Raises ResourceNotFoundException."""
        name, _ = parse_function_ref(ref)
        fn = self._functions.get(name)
        if fn is None:
            raise self._not_found(name)
        return fn

    def version(self, ref: str, qualifier: str | None = None) -> Version:
        """The version ``ref``/``qualifier`` names; an alias gives its primary version.

        Raises ResourceNotFoundException."""
        name, qualifier = parse_function_ref(ref, qualifier)
        fn = self._functions.get(name)
        if fn is None:
            raise self._not_found(name, qualifier)
        number = qualifier or LATEST
        if number in fn.aliases:
            number = fn.aliases[number].function_version
        version = fn.version(number)
        if version is None:
            raise self._not_found(name, qualifier)
        return version

    def list_functions(self) -> list[Function]:
        """Every function, by name."""
        with self._lock:
            return [self._functions[n] for n in sorted(self._functions)]

    # ----------------------------------------------------------------- functions

    def create_function(self, name: str, config: FunctionConfig, *, publish: bool = False,
                        tags: Mapping[str, str] | None = None) -> Version:
        """Create a function; returns ``$LATEST``, or version 1 when ``publish``.

        Raises the validation errors of :meth:`FunctionConfig.validate` and
        ResourceConflictException when the name is taken, and those of
        :func:`~lambda_lab.validation.validate_new_function_name` for a bad name."""
        validate_new_function_name(name)
        config.validate()
        with self._lock:
            if name in self._functions:
                raise ResourceConflictException(f"Function already exist: {name}")
            latest = Version(name, LATEST, config, self.clock.now())
            self._functions[name] = Function(name, latest, tags)
            version = self._publish(self._functions[name]) if publish else latest
            delay = self._delay(config)
            if delay is not None:  # Pending, with the version it published
                latest.pending_until = version.pending_until = self.clock.now() + delay
                self.clock.call_at(latest.pending_until, self._settle, latest, version)
        self._vpc_changed(config)
        return version

    def _delay(self, config: FunctionConfig, old: FunctionConfig | None = None) -> float | None:
        """How long a new or updated ``config`` stays Pending / InProgress: ``state_delay``,
        and at least :attr:`eni_delay` when it joins a VPC or changes subnets or groups."""
        vpc = config.vpc
        if vpc is None or not vpc.attached or (old is not None and old.vpc == vpc):
            return self.state_delay
        return max(self.state_delay or 0.0, self.eni_delay)

    def _vpc_changed(self, *configs: FunctionConfig | None) -> None:
        if self.on_vpc_change is not None and any(c is not None and c.vpc is not None
                                                  for c in configs):
            self.on_vpc_change(self)

    def check_updatable(self, fn: Function) -> None:
        """Raise ResourceConflictException while ``fn`` is Pending or an update of it is in
        progress (DG: UpdateFunctionCode, UpdateFunctionConfiguration and PublishVersion fail)."""
        now, arn = self.clock.now(), self.arn(fn.name)
        if fn.latest.pending(now):
            raise ResourceConflictException(PENDING_CHANGE.format(arn=arn))
        if fn.latest.updating(now):
            raise ResourceConflictException(UPDATE_IN_PROGRESS.format(arn=arn))

    def _replace_latest(self, fn: Function, config: FunctionConfig) -> Version:
        config.validate()
        old, fn.latest = fn.latest, Version(fn.name, LATEST, config, self.clock.now())
        delay = self._delay(config, old.config)
        self._vpc_changed(old.config, config)
        if delay is None:
            old.close()  # $LATEST's environments are retired: new invocations get new ones
            return fn.latest
        # InProgress: the old $LATEST serves invocations until the update ends, then retires.
        fn.latest.previous = old
        fn.latest.updating_until = self.clock.now() + delay
        self.clock.call_at(fn.latest.updating_until, self._finish_update, fn.latest)
        return fn.latest

    def _settle(self, *versions: Version) -> None:
        """Timer: a new function is Active; like every state change on AWS, its versions get
        a new RevisionId (LocalStack's AWS-recorded test_function_lifecycle)."""
        with self._lock:
            for version in dict.fromkeys(versions):
                version.new_revision()

    def _finish_update(self, latest: Version) -> None:
        """Timer: the update is Successful (a new RevisionId, as on AWS); the ``$LATEST`` it
        replaced retires."""
        with self._lock:
            previous, latest.previous = latest.previous, None
            latest.new_revision()
        if previous is not None:
            previous.close()
            self._vpc_changed(previous.config)  # its ENIs may be unused now

    def update_code(self, ref: str, code: Code, *, publish: bool = False,
                    revision_id: str | None = None) -> Version:
        """Deploy new code to ``$LATEST`` (and publish it when ``publish``); ``revision_id``:
        only if it is ``$LATEST``'s (else PreconditionFailedException); ResourceConflictException
        while Pending or an update is in progress."""
        with self._lock:
            fn = self.function(ref)
            self.check_updatable(fn)
            check_revision(fn.latest.revision_id, revision_id)
            latest = self._replace_latest(fn, replace(fn.latest.config, code=code))
            return self._publish(fn) if publish else latest

    def update_configuration(self, ref: str, *, revision_id: str | None = None,
                             **changes: object) -> Version:
        """Change ``$LATEST``'s configuration (FunctionConfig field names); ``revision_id``:
        only if it is ``$LATEST``'s (else PreconditionFailedException); ResourceConflictException
        while Pending or an update is in progress."""
        with self._lock:
            fn = self.function(ref)
            self.check_updatable(fn)
            check_revision(fn.latest.revision_id, revision_id)
            return self._replace_latest(fn, replace(fn.latest.config, **changes))

    def delete_function(self, ref: str, qualifier: str | None = None) -> None:
        """Delete the function, or only one published version of it.

        Raises ResourceNotFoundException (no such function; a missing version of it is no
        error, as on AWS), InvalidParameterValueException for ``$LATEST`` or an alias,
        ResourceConflictException for a version an alias points to."""
        name, qualifier = parse_function_ref(ref, qualifier)
        if qualifier == LATEST:  # checked before the function's existence (recorded)
            raise InvalidParameterValueException(
                "$LATEST version cannot be deleted without deleting the function.")
        with self._lock:
            fn = self._functions.get(name)
            if fn is None:  # the unqualified ARN, even with a qualifier (recorded)
                raise self._not_found(name)
            if qualifier is None:
                del self._functions[name]
                self.concurrency.forget_function(name)
                self.provisioned.forget_function(name)
                for version in _versions_to_close(fn):
                    version.close()
                self._vpc_changed(*(v.config for v in fn.all_versions()))
                self.identities = {k: v for k, v in self.identities.items()
                                   if v.function_name != name}
                return
            if qualifier in fn.aliases:
                raise InvalidParameterValueException(
                    "Deletion of aliases or $LATEST version is not supported through "
                    "DeleteFunction; delete the alias, or the whole function.")
            if qualifier not in fn.versions:  # AWS answers 204: nothing to delete (recorded)
                return
            users = sorted(a.name for a in fn.aliases.values()
                           if a.function_version == qualifier or qualifier in a.weights)
            if users:
                raise ResourceConflictException(
                    "Unable to delete version because the following aliases reference it: "
                    f"[{', '.join(users)}]")
            removed = fn.versions.pop(qualifier)
            removed.close()
            self._vpc_changed(removed.config)

    def publish_version(self, ref: str, description: str | None = None, *,
                        revision_id: str | None = None, code_sha256: str | None = None
                        ) -> Version:
        """Snapshot ``$LATEST`` as a new immutable version; if nothing changed since the last
        published version, that version is returned instead. Publishing changes ``$LATEST``'s
        RevisionId.

        Raises PreconditionFailedException (``revision_id`` is not ``$LATEST``'s),
        InvalidParameterValueException (``code_sha256`` is not ``$LATEST``'s CodeSha256) and
        ResourceConflictException (Pending, or an update in progress)."""
        with self._lock:
            fn = self.function(ref)
            self.check_updatable(fn)
            check_revision(fn.latest.revision_id, revision_id)
            current = fn.latest.config.code.sha256
            if code_sha256 and code_sha256 != current:
                raise InvalidParameterValueException(
                    f"CodeSHA256 ({code_sha256}) is different from current CodeSHA256 in "
                    f"$LATEST ({current}). Please try again with the CodeSHA256 in $LATEST.")
            return self._publish(fn, description)

    def _publish(self, fn: Function, description: str | None = None) -> Version:
        """Publish ``$LATEST`` (the lock held; no state, revision or CodeSha256 check)."""
        with self._lock:
            newest = fn.newest_published()
            if newest is not None and newest.config == fn.latest.config:
                return newest
            fn.last_version += 1
            number = str(fn.last_version)
            version = Version(fn.name, number, fn.latest.config, self.clock.now(),
                              description if description is not None
                              else fn.latest.config.description)
            fn.versions[number] = version
            fn.latest.new_revision()
            return version

    # ----------------------------------------------------------------- aliases

    def create_alias(self, ref: str, name: str, version: str, *, description: str = "",
                     weights: Mapping[str, float] | None = None) -> Alias:
        """Create an alias; see :mod:`lambda_lab.platform.aliases` for the rules."""
        with self._lock:
            try:
                fn = self.function(ref)
            except ResourceNotFoundException:  # named with the version (recorded)
                raise self._not_found(parse_function_ref(ref)[0], version) from None
            return aliases.create(self, fn, name, version, description, weights)

    def update_alias(self, ref: str, name: str, *, version: str | None = None,
                     description: str | None = None,
                     weights: Mapping[str, float] | None = None,
                     revision_id: str | None = None) -> Alias:
        """Change an alias; ``weights={}`` removes its routing, ``None`` keeps it;
        ``revision_id``: only if it is the alias's (else PreconditionFailedException)."""
        with self._lock:
            return aliases.update(self, self.function(ref), name, version, description, weights,
                                  revision_id)

    def revisioned(self, ref: str, qualifier: str | None = None) -> Version | Alias:
        """What carries the RevisionId of ``ref``/``qualifier`` (and of its resource policy):
        the alias it names, else the version (``$LATEST`` by default).

        Raises ResourceNotFoundException."""
        name, qualifier = parse_function_ref(ref, qualifier)
        self.version(name, qualifier)
        fn = self.function(name)
        if qualifier in fn.aliases:
            return fn.aliases[qualifier]
        return fn.version(qualifier or LATEST)  # type: ignore[return-value]

    def get_alias(self, ref: str, name: str) -> Alias:
        """Raises ResourceNotFoundException "Cannot find alias arn: ..."."""
        return aliases.get(self, self.function(ref), name)

    def delete_alias(self, ref: str, name: str) -> None:
        """Delete an alias, and the provisioned concurrency configured on it."""
        fn = self.function(ref)
        if any(c.qualifier == name for c in self.provisioned.list(fn.name)):
            self.provisioned.delete(fn.name, name)
        with self._lock:
            fn.aliases.pop(name, None)

    # ----------------------------------------------------------------- invoking

    def invoke(self, ref: str, payload: bytes = b"", *, qualifier: str | None = None,
               invocation_type: str = REQUEST_RESPONSE, client_context: dict | None = None,
               identity: dict | None = None, trace_id: str | None = None) -> Invocation:
        """Invoke a function by name or ARN, optionally qualified by a version or alias.

        RequestResponse runs the handler now; Event queues it (retries, destinations, DLQ:
        :attr:`async_queue`); DryRun only checks. ``trace_id``: the caller's X-Amzn-Trace-Id
        (recursion lineage; RecursiveInvocationException past it, see ``recursion``).
        Raises RequestEntityTooLargeException (6 MB sync, 1 MB Event),
        ResourceNotFoundException, InvalidRequestContentException, ResourceConflictException
        (the function is Pending).
        """
        name, qualifier = parse_function_ref(ref, qualifier)
        _check_size(payload, invocation_type)
        fn = self._functions.get(name)
        if fn is None:
            raise self._not_found(name, qualifier)
        if fn.latest.pending(self.clock.now()):  # DG: no invocation while Pending
            raise ResourceConflictException(PENDING_INVOKE)
        version = self._route(fn, qualifier)
        _check_json(payload)
        request_id = str(uuid.uuid4())
        arn = self.arn(name, qualifier)
        incoming, trace_id = trace_id, recursion.next_trace(self, fn, trace_id)  # lineage+1
        if invocation_type == DRY_RUN:
            return Invocation(DRY_RUN, request_id, version.number, arn)
        trace_id = tracing.sample(self, version, incoming, trace_id)  # X-Ray: Sampled=0/1
        if invocation_type == EVENT:
            event = AsyncEvent(request_id, name, version.number, payload, arn, self.clock.now(),
                               trace_id=trace_id)
            self.async_queue.submit(event)
            return Invocation(EVENT, request_id, version.number, arn, event=event)
        recursion.check_sync(self, fn, trace_id)
        result = self._run(version, payload, request_id=request_id, invoked_arn=arn,
                           client_context=client_context, identity=identity, trace_id=trace_id)
        return Invocation(REQUEST_RESPONSE, request_id, version.number, arn, result=result)

    def _route(self, fn: Function, qualifier: str | None) -> Version:
        number = qualifier or LATEST
        alias = fn.aliases.get(number)
        if alias is not None:
            number = aliases.choose_version(alias, self.rng)
        version = fn.serving(number, self.clock.now())
        if version is None:
            raise self._not_found(fn.name, qualifier)
        return version

    def _run(self, version: Version, payload: bytes, **kwargs: object) -> InvocationResult:
        with self._lock:
            if self._closed:
                raise RuntimeError("the platform is shut down")
            if version.executor is None:
                version.executor = self._executor_factory(version)
            executor = version.executor
        # Throttled (Throttled, a TooManyRequestsException) before anything runs; for an Event
        # invocation the exception reaches the async queue, which must retry it, not drop it.
        recorder = self.metrics
        if recorder is not None:  # CloudWatch metrics (lambda_lab.platform.metrics)
            return self._run_recorded(recorder, version, executor, payload, kwargs)
        with self.concurrency.hold(version.function_name, version.number,
                                   new_environment=needs_new_environment(executor)):
            return self._execute(version, executor, payload, kwargs)

    def _execute(self, version: Version, executor: Executor, payload: bytes,
                 kwargs: dict[str, object]) -> InvocationResult:
        attempt_started()  # the slot is held: the async queue's next attempt may take one
        trace = kwargs.get("trace_id")
        if isinstance(trace, str) and "Sampled=1" in trace:
            return tracing.traced(self, version, executor, payload or b"{}", kwargs)
        return executor.invoke(payload or b"{}", **kwargs)

    def _run_recorded(self, recorder: MetricsRecorder, version: Version, executor: Executor,
                      payload: bytes, kwargs: dict[str, object]) -> InvocationResult:
        """:meth:`_run`, reporting the throttle or the invocation to ``recorder``."""
        name, c, arn = version.function_name, self.concurrency, kwargs.get("invoked_arn")
        arn = arn if isinstance(arn, str) else None
        try:
            slot = c.try_acquire(name, version.number,
                                 new_environment=needs_new_environment(executor))
        except Throttled:
            recorder.record_throttle(self.clock.now(), name, arn)
            raise
        try:
            started = self.clock.now()
            running = (c.in_use(name), c.in_use(), c.unreserved_in_use())
            result = self._execute(version, executor, payload, kwargs)
        finally:
            c.release(slot)
        recorder.record_invocation(started, name, arn, version.number, result.duration_ms,
                                   result.function_error is not None, *running,
                                   slot.kind == "provisioned")
        return result

    def _run_event(self, event: AsyncEvent) -> InvocationResult:
        fn = self._functions.get(event.function_name)
        version = fn.serving(event.version, self.clock.now()) if fn is not None else None
        if version is None:
            raise self._not_found(event.function_name, event.version)
        return self._run(version, event.payload, request_id=event.request_id,
                         invoked_arn=event.invoked_arn, trace_id=event.trace_id)

    @property
    def async_events(self) -> list[AsyncEvent]:
        """Every Event invocation so far, with its status and result."""
        return list(self.async_queue.events)

    def environments(self, ref: str, qualifier: str | None = None) -> list[EnvironmentInfo]:
        """The live environments of one version (``$LATEST`` by default)."""
        executor = self.version(ref, qualifier).executor
        return executor.environments() if executor is not None else []

    # ----------------------------------------------------------------- executors

    def _pool_for(self, version: Version) -> Executor:
        c = version.config
        credentials = (self.role_credentials(c.role, version.function_name)
                       if self.role_credentials else None)
        if credentials and credentials.get("AWS_ACCESS_KEY_ID"):
            self.identities[credentials["AWS_ACCESS_KEY_ID"]] = version
        # A VPC function's worker asks before it opens a socket (execution/netguard.py).
        guard = {"_LAMBDA_LAB_NETGUARD": "1"} if c.vpc is not None and c.vpc.attached else {}
        spec = EnvironmentSpec(
            function_name=version.function_name, handler=c.handler, task_root=c.code.task_root,
            runtime=c.runtime, memory_mb=c.memory, timeout_s=float(c.timeout),
            ephemeral_mb=c.ephemeral_storage, environment=dict(c.environment),
            version=version.number, region=self.region, account_id=self.account_id,
            architecture=c.architecture,
            extra_env={**self.extra_env, **c.logging.runtime_env(), **guard},
            layer_paths=layers.sys_path(c.layers, c.runtime),
            credentials=credentials)
        if c.code.image is not None:  # a container image: its config decides how it runs
            spec = images.image_spec(spec, c.code.image, c.image_config)
        elif c.runtime.startswith("nodejs"):  # our Node.js runtime interface client
            from ..runtimes.nodejs import node_spec

            spec = node_spec(spec)
        folder = subdir("envs", f"{self.account_id}-{self.region}-"
                                f"{safe_folder_name(version.function_name)}")
        return EnvironmentPool(spec, folder, isolation=self.isolation, clock=self.clock,
                               on_log=self._log)

    def _log(self, env: ExecutionEnvironment, result: InvocationResult) -> None:
        tracing.report(self, result)  # REPORT's XRAY part, for a traced invocation
        spec = env.spec
        config = self._logging_of(spec.function_name, spec.version)
        if config.plain:
            if self.on_logs is not None:
                self.on_logs(spec.function_name, env.log_stream_name, result.logs,
                             self.clock.now())
            return
        now = self.clock.now()
        result.logs[:] = logconfig.render(config, result, now)  # also what LogType=Tail shows
        if config.log_group and self.log_group_sink is not None:
            self.log_group_sink(config.log_group, env.log_stream_name, result.logs, now)
        elif self.on_logs is not None:
            self.on_logs(spec.function_name, env.log_stream_name, result.logs, now)

    def _logging_of(self, name: str, number: str) -> logconfig.LoggingConfig:
        """The LoggingConfig of the version an environment runs (Text when it is gone)."""
        fn = self._functions.get(name)
        version = fn.version(number) if fn is not None else None
        return version.config.logging if version is not None else logconfig.TEXT

    def close(self, timeout: float = 30.0) -> None:
        """Drop queued events, wait for running ones, and end every environment."""
        self.provisioned.close()
        self.async_queue.close(timeout)
        tracing.detach(self)
        with self._lock:
            self._closed = True
            functions, self._functions = list(self._functions.values()), {}
            versions = [v for fn in functions for v in _versions_to_close(fn)]
        for version in versions:
            version.close()


def _versions_to_close(fn: Function) -> list[Version]:
    """Every version of ``fn``, and the ``$LATEST`` an update in progress replaced (the
    platform's lock held)."""
    previous, fn.latest.previous = fn.latest.previous, None
    return [*fn.all_versions(), *([previous] if previous is not None else [])]


def _check_size(payload: bytes, invocation_type: str) -> None:
    if invocation_type == EVENT and len(payload) > limits.ASYNC_PAYLOAD_MAX_BYTES:
        raise RequestEntityTooLargeException(
            f"{len(payload)} byte payload is too large for the Event invocation type "
            f"(limit {limits.ASYNC_PAYLOAD_MAX_BYTES} bytes)")
    if len(payload) > limits.SYNC_PAYLOAD_MAX_BYTES:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {limits.SYNC_PAYLOAD_MAX_BYTES} bytes for the "
            "InvokeFunction operation")


def _check_json(payload: bytes) -> None:
    if payload.strip():
        try:
            json.loads(payload)
        except ValueError as e:
            raise InvalidRequestContentException(
                f"Could not parse request body into json: Could not parse payload into json: "
                f"{e}") from None
