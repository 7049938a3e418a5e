"""The native Python API for notebooks: deploy a handler, invoke it, read what happened.

    import lambda_lab as ll
    fn = ll.deploy(handler, memory=256, timeout=3)     # a function, source string or folder
    r = fn.invoke({"name": "Ada"})
    r.payload, r.logs, r.duration_ms, r.cold_start, r.report
"""

from __future__ import annotations

import collections
import inspect
import json
import os
import threading
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace

from . import code as codelib
from . import limits
from .billing import FreeTierMeter
from .errors import (
    InvalidParameterValueException,
    InvalidRequestContentException,
    RequestEntityTooLargeException,
    ResourceNotFoundException,
)
from .execution.environment import EnvironmentInfo
from .execution.pool import DEFAULT_KEEP_ALIVE_S, EnvironmentPool
from .execution.result import InvocationResult
from .execution.spec import EnvironmentSpec
from .execution.state import subdir
from .execution.zygote import prestart
from .validation import safe_folder_name, validate_function_config, validate_new_function_name

LOG_HISTORY_LINES = 2000


@dataclass(frozen=True)
class FunctionConfig:
    """A function's configuration, with Lambda's names for its parts."""

    memory: int = limits.MEMORY_DEFAULT_MB
    timeout: int = limits.TIMEOUT_DEFAULT_S
    ephemeral_storage: int = limits.EPHEMERAL_DEFAULT_MB
    environment: Mapping[str, str] = field(default_factory=dict)
    runtime: str = "python3.12"
    architecture: str = "x86_64"

    def validate(self) -> None:
        """Raise Lambda's error for a value out of range."""
        validate_function_config(memory_size=self.memory, timeout=self.timeout,
                                 ephemeral_storage=self.ephemeral_storage, runtime=self.runtime,
                                 environment=dict(self.environment))
        if not self.runtime.startswith(("python", "provided")):
            raise InvalidParameterValueException(
                f"lambda_lab runs Python handlers and custom runtimes (provided.al2023 with a "
                f"bootstrap); the runtime {self.runtime} cannot execute here.")
        if self.architecture not in ("x86_64", "arm64"):
            raise InvalidParameterValueException(
                f"1 validation error detected: Value '[{self.architecture}]' at 'architectures' "
                "failed to satisfy constraint: Member must satisfy constraint: [Member must "
                "satisfy enum value set: [x86_64, arm64]]")


def encode_event(event: object = None, payload: bytes | str | None = None) -> bytes:
    """The request payload as JSON bytes, checked as Lambda's Invoke checks it."""
    if payload is None:
        data = json.dumps(event).encode()
    else:
        data = payload.encode() if isinstance(payload, str) else bytes(payload)
        if data.strip():
            try:
                json.loads(data)
            except ValueError as e:
                raise InvalidRequestContentException(
                    f"Could not parse request body into json: Could not parse payload into "
                    f"json: {e}") from None
    if len(data) > limits.SYNC_PAYLOAD_MAX_BYTES:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {limits.SYNC_PAYLOAD_MAX_BYTES} bytes for the "
            "InvokeFunction operation")
    return data


class Function:
    """A deployed function: its code, configuration and warm environments."""

    def __init__(self, name: str, task_root: str, handler: str, config: FunctionConfig, *,
                 layers: tuple[str, ...] = (), keep_alive: float = DEFAULT_KEEP_ALIVE_S,
                 isolation: str = "auto") -> None:
        self.name = name
        self.task_root = task_root
        self.handler = handler
        self.config = config
        self.layers = layers
        self.isolation = isolation
        self.meter = FreeTierMeter()
        self.log_lines: collections.deque[str] = collections.deque(maxlen=LOG_HISTORY_LINES)
        self._keep_alive = keep_alive
        self._lock = threading.Lock()
        self._pool = self._new_pool()

    def _spec(self) -> EnvironmentSpec:
        c = self.config
        return EnvironmentSpec(
            function_name=self.name, handler=self.handler, task_root=self.task_root,
            runtime=c.runtime, memory_mb=c.memory, timeout_s=float(c.timeout),
            ephemeral_mb=c.ephemeral_storage, environment=dict(c.environment),
            layer_paths=tuple(os.path.join(p, "python") for p in self.layers),
            architecture=c.architecture)

    def _new_pool(self) -> EnvironmentPool:
        return EnvironmentPool(self._spec(), subdir("envs", safe_folder_name(self.name)),
                               keep_alive_s=self._keep_alive, isolation=self.isolation)

    def _replace_pool(self) -> None:
        with self._lock:
            old, self._pool = self._pool, self._new_pool()
        old.close()

    # ----------------------------------------------------------------- invoking

    def invoke(self, event: object = None, *, payload: bytes | str | None = None,
               client_context: dict | None = None, identity: dict | None = None
               ) -> InvocationResult:
        """Invoke synchronously (RequestResponse) and return what happened.

        Raises RequestEntityTooLargeException over 6 MB and InvalidRequestContentException for
        a payload that is not JSON; a failing handler is a result with ``function_error`` set.
        """
        data = encode_event(event, payload)
        result = self._pool.invoke(data, client_context=client_context, identity=identity)
        self.meter.record(result.billed_duration_ms, result.memory_size_mb)
        self.log_lines.extend(result.logs)
        return result

    def invoke_many(self, events: Iterable[object], concurrency: int | None = None
                    ) -> list[InvocationResult]:
        """Invoke once per event, ``concurrency`` at a time (all at once by default)."""
        events = list(events)
        workers = max(1, concurrency or len(events))
        with ThreadPoolExecutor(max_workers=workers) as ex:
            return list(ex.map(self.invoke, events))

    # ----------------------------------------------------------------- changing it

    def configure(self, *, memory: int | None = None, timeout: int | None = None,
                  environment: Mapping[str, str] | None = None,
                  ephemeral_storage: int | None = None, keep_alive: float | None = None
                  ) -> Function:
        """Change the configuration. Like on Lambda, new invocations get new environments."""
        changes = {k: v for k, v in (("memory", memory), ("timeout", timeout),
                                     ("environment", environment),
                                     ("ephemeral_storage", ephemeral_storage)) if v is not None}
        if changes:
            config = replace(self.config, **changes)
            config.validate()
            self.config = config
            self._replace_pool()
        if keep_alive is not None:
            self._keep_alive = keep_alive
            self._pool.set_keep_alive(keep_alive)
        return self

    def update_code(self, code: Callable | str, handler: str | None = None) -> Function:
        """Deploy new code; warm environments of the old code are retired."""
        self.task_root, self.handler = _store(self.name, code, handler)
        self._replace_pool()
        return self

    def environments(self) -> list[EnvironmentInfo]:
        """The live environments of this function (busy, then idle)."""
        return self._pool.environments()

    def reset(self) -> None:
        """Shut down every warm environment: the next invocation is a cold start."""
        self._replace_pool()

    def delete(self) -> None:
        """Remove the function and end its environments."""
        _registry.pop(self.name, None)
        self._pool.close()

    def __repr__(self) -> str:
        c = self.config
        return (f"<Function {self.name} handler={self.handler} memory={c.memory}MB "
                f"timeout={c.timeout}s>")


# --------------------------------------------------------------------- module-level API

_registry: dict[str, Function] = {}


def _store(name: str, code: Callable | str, handler: str | None) -> tuple[str, str]:
    if callable(code):
        source, fname = codelib.module_from_function(code)
        return codelib.store_source(name, source), f"{codelib.DEFAULT_MODULE}.{fname}"
    if isinstance(code, (str, os.PathLike)) and os.path.isdir(code):
        root = codelib.store_folder(name, os.fspath(code))
        return root, handler or f"{codelib.DEFAULT_MODULE}.lambda_handler"
    if isinstance(code, str):
        if handler is None:
            handler = f"{codelib.DEFAULT_MODULE}.{codelib.detect_handler(code)}"
        module = handler.rsplit(".", 1)[0] if "." in handler else codelib.DEFAULT_MODULE
        return codelib.store_source(name, code, module), handler
    raise InvalidParameterValueException(
        "code must be a function, Python source text, or a folder path")


def deploy(code: Callable | str, *, name: str | None = None, handler: str | None = None,
           memory: int = limits.MEMORY_DEFAULT_MB, timeout: int = limits.TIMEOUT_DEFAULT_S,
           environment: Mapping[str, str] | None = None,
           ephemeral_storage: int = limits.EPHEMERAL_DEFAULT_MB, layers: Iterable[str] = (),
           runtime: str = "python3.12", architecture: str = "x86_64",
           keep_alive: float = DEFAULT_KEEP_ALIVE_S, isolation: str = "auto") -> Function:
    """Deploy (or redeploy) a function from a function object, source text or a folder.

    ``layers`` are folders laid out like Lambda layers (``python/`` is importable), at most 5.
    Raises Lambda's errors (ValidationException, InvalidParameterValueException, …) for bad
    configuration.
    """
    if name is None:
        if not inspect.isfunction(code):
            raise InvalidParameterValueException("name is required unless code is a function")
        name = code.__name__.replace("_", "-")
    validate_new_function_name(name)  # before anything is written under the name
    config = FunctionConfig(memory=memory, timeout=timeout, ephemeral_storage=ephemeral_storage,
                            environment=dict(environment or {}), runtime=runtime,
                            architecture=architecture)
    config.validate()
    layer_list = [os.fspath(p) for p in layers]
    validate_function_config(layers=layer_list)
    layer_roots = tuple(codelib.store_folder(f"{name}-layer", p) for p in layer_list)
    prestart()
    task_root, handler = _store(name, code, handler)
    codelib.check_total_size(task_root, list(layer_roots))
    old = _registry.get(name)
    fn = Function(name, task_root, handler, config, layers=layer_roots, keep_alive=keep_alive,
                  isolation=isolation)
    _registry[name] = fn
    if old is not None:
        old._pool.close()
    return fn


def get_function(name: str) -> Function:
    """A deployed function by name; raises ResourceNotFoundException as Lambda does."""
    try:
        return _registry[name]
    except KeyError:
        raise ResourceNotFoundException(
            f"Function not found: arn:aws:lambda:us-east-1:123456789012:function:{name}"
        ) from None


def list_functions() -> list[Function]:
    """Every function deployed through the native API, by name."""
    return [_registry[n] for n in sorted(_registry)]


def delete_function(name: str) -> None:
    """Delete a function and end its environments."""
    get_function(name).delete()
