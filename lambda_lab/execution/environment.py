"""One execution environment: a worker process with its own /tmp, limits and log.

The host enforces the limits from outside the worker, in the invoking thread's wait loop:
the deadline (SIGKILL of the whole process group), resident memory (SIGKILL past MemorySize)
and the CPU share that memory buys (duty-cycle throttling with SIGSTOP/SIGCONT, like CFS
bandwidth control). Between invocations the worker is frozen, as on Lambda.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import json
import math
import os
import secrets
import select
import shutil
import signal
import socket
import struct
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from ..billing import billed_duration_ms
from . import _sandbox, procfs
from ._runtime import FrameReader
from .handler_clock import clock_offset
from .import_policy import worker_policy
from .result import InvocationResult, end_line, report_line, start_line
from .runtime_api import RuntimeAPIChannel
from .spec import EnvironmentSpec, find_bootstrap, needs_host_tmp, precompile
from .state import state_root
from .zygote import Zygote, ZygoteError, shared_zygote

_FRAME = struct.Struct("!II")
MEMORY_TICK_S = 0.005  # how often a running worker's memory is checked
THROTTLE_TICK_S = 0.002  # how often its CPU use is checked when its share is below the host's
SPIN_S = 0.0002  # how long the host polls without sleeping for a quick answer
BURST_S = 0.002  # CPU a throttled worker may run ahead of its share before it is stopped
INIT_TIMEOUT_S = 10.0
LOG_TRUNCATE_BYTES = 1 << 20  # Lambda's init phase limit for on-demand environments
_ids = itertools.count(1)
_dumps = json.JSONEncoder(separators=(",", ":")).encode


class _Freezer:
    """Freezes environments that stay idle, as Lambda freezes them between invocations.

    Freezing right after every response would cost two extra context switches per warm
    invocation; instead one daemon thread stops (SIGSTOP) environments idle for FREEZE_AFTER_S.
    """

    def __init__(self) -> None:
        self._idle: list[ExecutionEnvironment] = []
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    def idle(self, env: ExecutionEnvironment) -> None:
        with self._cond:
            self._idle.append(env)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="lambda-lab-freezer",
                                                daemon=True)
                self._thread.start()
            elif len(self._idle) == 1:
                self._cond.notify()

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._idle:
                    self._cond.wait()
                batch, self._idle = self._idle, []
            time.sleep(FREEZE_AFTER_S)
            for env in batch:
                env.freeze_if_idle()


FREEZE_AFTER_S = 0.02
_freezer = _Freezer()


class EnvironmentGone(RuntimeError):
    """The worker died outside an invocation (during init, or while idle)."""


@dataclass
class _Outcome:
    header: dict | None = None
    body: bytes = b""
    timed_out: bool = False
    oom: bool = False
    crashed: bool = False
    exit_reason: str | None = None


@dataclass
class EnvironmentInfo:
    """A snapshot of an environment's state for listings."""

    id: str
    state: str
    init_type: str
    invocations: int
    created: float
    last_used: float
    pid: int
    isolation: str
    extra: dict = field(default_factory=dict)
    #: What confines the worker besides its /tmp: ``landlock-vN`` (file access limited to the
    #: runtime's, code and layers read-only; no ptrace-mode access to other processes),
    #: ``landlock-scope`` (no signals or abstract sockets to other processes), ``no-capabilities``,
    #: ``not-dumpable`` (without Landlock), ``read-only-root`` (namespace mode: every mount but
    #: /tmp read-only; ``read-only-code`` on kernels before 5.12), ``hidden-home-and-state``
    #: (namespace mode without Landlock). Empty while the environment starts.
    protections: tuple[str, ...] = ()


def _now_iso() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _fake_credentials() -> dict[str, str]:
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
    key = "ASIA" + "".join(secrets.choice(alphabet) for _ in range(16))
    return {
        "AWS_ACCESS_KEY_ID": key,
        "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30)[:40],
        "AWS_SESSION_TOKEN": "IQoJb3JpZ2luX2VjE" + secrets.token_urlsafe(120),
    }


def _request_id() -> str:
    """A random (version 4) UUID string, cheaper than uuid.uuid4()."""
    h = os.urandom(16).hex()
    return f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) & 3]}{h[17:20]}-{h[20:]}"


class _SocketChannel:
    """The Python worker's control socket, framed."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.reader = FrameReader(sock)

    def fileno(self) -> int:
        return self.sock.fileno()

    def read(self) -> tuple[dict, bytes] | None:
        header, body = self.reader.read()
        return None if header is None else (header, body)

    def send(self, header: dict, body: bytes) -> None:
        h = _dumps(header).encode()
        self.sock.sendall(_FRAME.pack(len(h), len(body)) + h + body)

    def close(self) -> None:
        self.sock.close()


class ExecutionEnvironment:
    """A worker process that runs one function version's handler, invocation after invocation."""

    def __init__(self, spec: EnvironmentSpec, state_dir: str, *,
                 init_type: str = "on-demand", isolation: str = "auto",
                 zygote: Zygote | None = None, now: float | None = None,
                 clock: Any = None) -> None:
        """``now``: platform time at creation (names the log stream's day); default real time.
        ``clock``: the platform clock the handler's wall clock follows (handler_clock.py)."""
        self.clock = clock
        self.spec = spec
        self.id = f"{next(_ids):04d}-{secrets.token_hex(4)}"
        self.init_type = init_type
        self.dir = os.path.join(state_dir, f"env-{self.id}")
        os.makedirs(os.path.join(self.dir, "tmp"), exist_ok=True)
        self._zygote = zygote or shared_zygote()
        self._requested_isolation = isolation
        self.isolation = "pending"
        self.protections: tuple[str, ...] = ()
        self.state = "new"
        self.frozen = False
        self.invocations = 0
        self.created = time.time()
        self.last_used = self.created
        self.pid = 0
        self._reaped = False  # the worker's exit status was taken from the zygote
        self._exit_status: int | None = None
        self.init_ms: float | None = None
        self.init_error: bytes | None = None
        self._init_rss_kb = self._last_rss_kb = 0
        self.init_crash: str | None = None
        self._slow_init_log: str | None = None
        self._init_logs: list[str] = []
        self._pending_init_ms: float | None = None
        self._log_fd = os.open(os.path.join(self.dir, "log"),
                               os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        self._log_offset = 0
        self._channel: _SocketChannel | RuntimeAPIChannel | None = None
        self.custom_runtime = spec.runtime.startswith("provided") or bool(spec.bootstrap)
        self._lock = threading.Lock()
        stream = secrets.token_hex(16)
        day = _dt.datetime.fromtimestamp(time.time() if now is None else now,
                                         _dt.timezone.utc).strftime("%Y/%m/%d")
        self.log_stream_name = f"{day}/[{spec.version}]{stream}"

    # ----------------------------------------------------------------- lifecycle

    def _environment_variables(self) -> dict[str, str]:
        spec = self.spec
        env = dict(spec.environment)
        env.update(spec.extra_env)
        env.update({
            "_HANDLER": spec.handler,
            "AWS_REGION": spec.region,
            "AWS_DEFAULT_REGION": spec.region,
            "AWS_EXECUTION_ENV": f"AWS_Lambda_{spec.runtime}",
            "AWS_LAMBDA_FUNCTION_NAME": spec.function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(spec.memory_mb),
            "AWS_LAMBDA_FUNCTION_VERSION": spec.version,
            "AWS_LAMBDA_INITIALIZATION_TYPE": self.init_type,
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{spec.function_name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": self.log_stream_name,
            "AWS_LAMBDA_RUNTIME_API": (self._channel.address if self.custom_runtime
                                       else "127.0.0.1:9001"),
            "AWS_XRAY_CONTEXT_MISSING": "LOG_ERROR",
            # Lambda's is 169.254.79.129:2000; a platform may run a local daemon (tracing)
            "AWS_XRAY_DAEMON_ADDRESS": spec.extra_env.get("AWS_XRAY_DAEMON_ADDRESS",
                                                          "169.254.79.129:2000"),
            "LAMBDA_TASK_ROOT": spec.task_root,
            "LAMBDA_RUNTIME_DIR": os.path.dirname(os.path.abspath(__file__)),
            "LANG": "en_US.UTF-8",
            "PATH": f"{os.path.dirname(os.sys.executable)}:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
            "TZ": ":UTC",
            # Lambda leaves HOME unset; set, it keeps ~ (boto3's ~/.aws) away from the host's.
            "HOME": "/tmp",
            "PYTHONUNBUFFERED": "1",
        })
        env.update(spec.credentials or _fake_credentials())
        return env

    def _isolation_request(self) -> str:
        if self._requested_isolation == "fallback":
            return "fallback"
        # A private tmpfs on /tmp would hide code, logs or the Python installation kept under
        # /tmp (a virtualenv there, a checkout there, say): fall back then, even when the
        # namespace mode was asked for (as where user namespaces are forbidden).
        return "fallback" if needs_host_tmp(self.dir, self.spec) else "namespace"

    def start(self, timeout: float = INIT_TIMEOUT_S) -> None:
        """Fork the worker and run the init phase (import the handler module).

        An init failure (an exception, or the worker dying) is reported by the first invocation.
        """
        spec = self.spec
        host, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        limit = spec.memory_mb * 1024 * 1024
        bootstrap = None
        if self.custom_runtime:
            bootstrap = find_bootstrap(spec)
            if bootstrap is None or not os.access(bootstrap, os.X_OK):
                host.close()
                child.close()
                message = ("Couldn't find valid bootstrap(s): [/var/task/bootstrap /opt/bootstrap]"
                           if bootstrap is None
                           else "fork/exec /var/task/bootstrap: permission denied")
                self.init_error = json.dumps({"errorType": "Runtime.InvalidEntrypoint",
                                              "errorMessage": message}).encode()
                self.state = "failed"
                return
            self._channel = RuntimeAPIChannel()
        else:
            precompile(spec)
        worker_spec = {
            "handler": spec.handler,
            "env": self._environment_variables(),
            "task_root": spec.task_root,
            "cwd": spec.working_dir or spec.task_root,
            "sys_path": [spec.task_root, *spec.layer_paths],
            "ephemeral_mb": spec.ephemeral_mb,
            "private_tmp": os.path.join(self.dir, "tmp"),
            # read-only to the handler: the code, the layers, an image's entry point and
            # working folder (an image's /var/runtime, WORKDIR) wherever they are
            "code_paths": list(dict.fromkeys([
                spec.task_root, *(os.path.dirname(p) for p in spec.layer_paths),
                *([os.path.dirname(bootstrap)] if bootstrap else []),
                *([spec.working_dir] if spec.working_dir else [])])),
            # what a namespace worker without Landlock covers up: the state folder, the home
            "hide": [state_root(), os.path.expanduser("~")],
            "isolation": self._isolation_request(),
            "address_space_limit": limit + 2048 * 1024 * 1024,
            "exec": bootstrap,
            "clock_offset": clock_offset(self.clock),
            "imports": None if bootstrap else worker_policy(spec),
        }
        try:
            self.pid = self._zygote.spawn(worker_spec, child.fileno(), self._log_fd)
        except ZygoteError:
            self._zygote = shared_zygote()
            self.pid = self._zygote.spawn(worker_spec, child.fileno(), self._log_fd)
        finally:
            child.close()
        if self.custom_runtime:
            host.close()
            self._channel.pid = self.pid
            self._zygote.watch(self.pid, self._channel.process_exited)
        else:
            self._channel = _SocketChannel(host)
        self._poller = select.poll()
        self._poller.register(self._channel.fileno(), select.POLLIN)
        self.state = "init"
        if self._poller.poll(timeout * 1000.0):
            self._take_init(self._read_frame())
        else:
            # Lambda's init phase limit passed: the init goes on inside the first invocation,
            # under the function's timeout (a "suppressed init").
            self.state = "init-slow"
            self._slow_init_log = (f"INIT_REPORT Init Duration: {timeout * 1000:.2f} ms\t"
                                   f"Phase: init\tStatus: timeout")

    def _take_init(self, frame: tuple[dict, bytes] | None) -> None:
        if frame is None:
            status = self._wait_exit(2.0)
            self.init_crash = procfs.exit_reason(status) or ""
            self.state = "failed"
            return
        header, _ = frame
        self._init_logs = self._new_logs()
        self.isolation = header["isolation"]
        self.protections = tuple(header.get("protections", ()))
        if self.custom_runtime:  # its bootstrap answers, not the worker: what the worker applies
            requested = self._isolation_request()
            self.isolation = requested if requested == "namespace" else "none"
            self.protections = _sandbox.expected_protections(self._zygote.landlock_abi,
                                                              requested == "namespace")
        self.init_ms = header["ms"]
        self._init_rss_kb = self._last_rss_kb = header["rss_kb"]
        self._pending_init_ms = header["ms"] if self.init_type == "on-demand" else None
        if header["error"] is not None:
            self.init_error = json.dumps(header["error"]).encode()
            self.state = "failed"
            return
        self.state = "idle"
        _freezer.idle(self)

    def _read_frame(self) -> tuple[dict, bytes] | None:
        return self._channel.read()

    def _signal(self, sig: int) -> None:
        try:
            os.killpg(self.pid, sig)
        except OSError:
            pass

    def _freeze(self) -> None:
        self._signal(signal.SIGSTOP)

    def _thaw(self) -> None:
        self._signal(signal.SIGCONT)

    def freeze_if_idle(self) -> None:
        """Stop the idle worker's processes until its next invocation (no-op when busy)."""
        if not self._lock.acquire(blocking=False):
            return
        try:
            if self.state == "idle" and not self.frozen:
                self._freeze()
                self.frozen = True
                # Nothing can write now: start the log file afresh once it has grown.
                if self._log_offset > LOG_TRUNCATE_BYTES:
                    if os.fstat(self._log_fd).st_size == self._log_offset:
                        os.ftruncate(self._log_fd, 0)
                        self._log_offset = 0
        finally:
            self._lock.release()

    def _wait_exit(self, timeout: float) -> int | None:
        """The worker's wait status, taken from the zygote once (None if unknown in time)."""
        if not self._reaped:
            status = self._zygote.wait_exit(self.pid, timeout)
            if status is not None:
                self._reaped, self._exit_status = True, status
        return self._exit_status

    def _kill(self) -> None:
        if self.pid:
            self._signal(signal.SIGKILL)
            self._zygote.kill(self.pid)

    def shutdown(self) -> None:
        """End the worker and everything it started; remove the environment's files."""
        if self.state != "gone":
            self._kill()
            if self.pid:
                self._wait_exit(2.0)
            if self._channel is not None:
                self._channel.close()
            os.close(self._log_fd)
            shutil.rmtree(self.dir, ignore_errors=True)
            self.state = "gone"

    def info(self) -> EnvironmentInfo:
        return EnvironmentInfo(self.id, self.state, self.init_type, self.invocations,
                               self.created, self.last_used, self.pid, self.isolation,
                               protections=self.protections)

    # ----------------------------------------------------------------- invocation

    def _new_logs(self) -> list[str]:
        size = os.fstat(self._log_fd).st_size
        if size <= self._log_offset:
            return []
        data = os.pread(self._log_fd, size - self._log_offset, self._log_offset)
        self._log_offset = size
        text = data.decode("utf-8", "backslashreplace")
        return text[:-1].split("\n") if text.endswith("\n") else text.split("\n")

    def _wait(self, deadline: float) -> _Outcome:
        """Wait for the worker's answer while enforcing deadline, memory and CPU share."""
        out = _Outcome()
        spec = self.spec
        limit = spec.memory_mb * 1024 * 1024
        share = min(spec.memory_mb / 1769.0, 6.0)
        throttle = share < procfs.HOST_CPUS
        tick = THROTTLE_TICK_S if throttle else MEMORY_TICK_S
        poller = self._poller
        cpu0 = t0 = None
        # Spin briefly before sleeping: a trivial handler answers within tens of microseconds,
        # and waking a sleeping host thread costs about as much again on a virtual machine.
        spin_until = time.perf_counter() + SPIN_S
        while time.perf_counter() < spin_until:
            if poller.poll(0):
                break
        while True:
            now = time.monotonic()
            left = deadline - now
            if left <= 0:
                out.timed_out = True
                return out
            if poller.poll(min(tick, left) * 1000.0):
                frame = self._read_frame()
                if frame is None:
                    out.crashed = True
                    return out
                out.header, out.body = frame
                return out
            if procfs.rss_bytes(self.pid) > limit:
                out.oom = True
                return out
            if throttle:
                used = procfs.cpu_ns(self.pid) / 1e9
                now = time.monotonic()
                if cpu0 is None:
                    cpu0, t0 = used, now
                    continue
                excess = (used - cpu0) - share * (now - t0) - BURST_S
                if excess > 0:
                    pause = min(excess / share, deadline - now)
                    self._freeze()
                    if poller.poll(0):  # answered just before the stop
                        self._thaw()
                        continue
                    time.sleep(max(pause, 0.0))
                    self._thaw()

    def invoke(self, payload: bytes, *, request_id: str | None = None,
               invoked_arn: str | None = None, client_context: dict | None = None,
               identity: dict | None = None, trace_id: str | None = None) -> InvocationResult:
        """Run the handler once with ``payload`` (JSON bytes). Thread-safe per environment."""
        with self._lock:
            return self._invoke(payload, request_id or _request_id(),
                                invoked_arn or self.spec.function_arn, client_context,
                                identity, trace_id)

    def _invoke(self, payload: bytes, request_id: str, arn: str, client_context: dict | None,
                identity: dict | None, trace_id: str | None) -> InvocationResult:
        spec = self.spec
        cold = self.invocations == 0 and self.init_type == "on-demand"
        init_ms, self._pending_init_ms = self._pending_init_ms, None
        self.invocations += 1
        logs = [start_line(request_id, spec.version)]
        if self._init_logs:  # what the init phase printed comes before START, as on Lambda
            logs[:0], self._init_logs = self._init_logs, []
        t_start = time.monotonic()
        if self.state == "init-slow":
            logs[:0] = [*self._new_logs(), self._slow_init_log]
            init_ms = None
            if not self._poller.poll(spec.timeout_s * 1000.0):
                return self._unanswered(_Outcome(timed_out=True), request_id, logs, t_start,
                                        None, cold)
            self._take_init(self._read_frame())
            self._pending_init_ms = None
        if self.init_error is not None:
            logs[:0] = self._new_logs()
            return self._finish(request_id, logs, self.init_error, "Unhandled", 0.0, init_ms,
                                cold, self._max_used(self._init_rss_kb))
        if self.init_crash is not None:
            logs[:0] = self._new_logs()
            return self._unanswered(_Outcome(crashed=True, exit_reason=self.init_crash),
                                    request_id, logs, t_start, init_ms, cold)
        if self.state != "idle":
            raise EnvironmentGone(f"environment {self.id} is {self.state}")
        self.state = "busy"
        deadline = t_start + spec.timeout_s
        deadline_wall = time.time() + (deadline - time.monotonic())
        header = {"id": request_id, "deadline_ms": int(deadline_wall * 1000), "arn": arn,
                  "clock_offset": clock_offset(self.clock)}
        if client_context is not None:
            header["client_context"] = client_context
        if identity is not None:
            header["identity"] = identity
        if trace_id is not None:
            header["trace_id"] = trace_id
        if self.frozen:
            self._thaw()
            self.frozen = False
        try:
            self._channel.send(header, payload)
        except OSError:
            pass  # the worker is gone: the wait below reports how it ended
        out = self._wait(deadline)
        self.last_used = time.time()
        if out.header is not None:
            self.state = "idle"
            _freezer.idle(self)
            logs += self._new_logs()
            self._last_rss_kb = out.header["rss_kb"]
            error = "Unhandled" if out.header["err"] else None
            return self._finish(request_id, logs, out.body, error, out.header["ms"], init_ms,
                                cold, self._max_used(self._last_rss_kb))
        return self._unanswered(out, request_id, logs, t_start, init_ms, cold)

    def _unanswered(self, out: _Outcome, request_id: str, logs: list[str], t_start: float,
                    init_ms: float | None, cold: bool) -> InvocationResult:
        """The invocation got no answer: the environment is discarded, as on Lambda."""
        spec = self.spec
        self.state = "dead"
        self._kill()
        elapsed_ms = (time.monotonic() - t_start) * 1000.0
        max_used = self._max_used(self._last_rss_kb)
        if out.timed_out:
            logs += self._new_logs()
            logs.append(f"{_now_iso()} {request_id} Task timed out after "
                        f"{spec.timeout_s:.2f} seconds")
            err = {"errorType": "Sandbox.Timedout",
                   "errorMessage": f"RequestId: {request_id} Error: Task timed out after "
                                   f"{spec.timeout_s:.2f} seconds"}
        else:
            if out.exit_reason is None:
                out.exit_reason = procfs.exit_reason(self._wait_exit(2.0))
            logs += self._new_logs()
            if out.oom:
                reason, etype = "signal: killed", "Runtime.OutOfMemory"
                max_used = spec.memory_mb
            else:
                reason, etype = out.exit_reason, "Runtime.ExitError"
            text = (f"Runtime exited with error: {reason}" if reason
                    else "Runtime exited without providing a reason")
            err = {"errorType": etype, "errorMessage": f"RequestId: {request_id} Error: {text}"}
            logs.append(f"RequestId: {request_id} Error: {text}")
            logs.append(etype)
        return self._finish(request_id, logs, json.dumps(err).encode(), "Unhandled",
                            elapsed_ms, init_ms, cold, max_used)

    def _max_used(self, rss_kb: int) -> int:
        return min(self.spec.memory_mb, max(1, math.ceil(rss_kb / 1024)))

    def _finish(self, request_id: str, logs: list[str], body: bytes, function_error: str | None,
                duration_ms: float, init_ms: float | None, cold: bool,
                max_used: int) -> InvocationResult:
        spec = self.spec
        if function_error is None and len(body) > spec.max_response_bytes:
            limit = spec.max_response_bytes
            body = json.dumps({
                "errorMessage": f"Response payload size exceeded maximum allowed payload size "
                                f"({limit} bytes).",
                "errorType": "Function.ResponseSizeTooLarge"}).encode()
            function_error = "Unhandled"
        # the REPORT line's own figures (2 decimals), so that what it prints always adds up:
        # Billed Duration = ceil(Duration + Init Duration)
        duration_ms = round(duration_ms, 2)
        init_ms = None if init_ms is None else round(init_ms, 2)
        billed = billed_duration_ms(duration_ms, init_ms)
        logs.append(end_line(request_id))
        logs.append(report_line(request_id, duration_ms, billed, spec.memory_mb, max_used,
                                init_ms))
        return InvocationResult(
            request_id=request_id, raw_payload=body, function_error=function_error,
            duration_ms=duration_ms, billed_duration_ms=billed, memory_size_mb=spec.memory_mb,
            max_memory_used_mb=max_used, init_duration_ms=init_ms, cold_start=cold,
            environment_id=self.id, executed_version=spec.version, logs=logs)
