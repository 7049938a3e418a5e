"""X-Ray tracing: sampling decisions, Lambda's trace segments, and a local X-Ray daemon.

As the Lambda Developer Guide describes it ("Visualize Lambda function invocations using AWS
X-Ray"): a function's TracingConfig Mode is ``Active`` or ``PassThrough``. A tracing header with
a sampling decision (``Sampled=1`` / ``Sampled=0``) from an upstream caller is honoured in both
modes; without one, an Active function samples the request by X-Ray's default rule, "1 request
per second and 5 percent of additional requests" (here: per function, on the platform clock, the
5 percent drawn from a generator cloned from the platform's seeded one), and a PassThrough
function does not trace it. For a sampled invocation Lambda sends two segments, both named for
the function: ``AWS::Lambda`` (the service) and ``AWS::Lambda::Function`` (its parent the
service segment) with the subsegments ``Initialization`` (cold starts only), ``Invocation`` (the
handler; the ``Parent`` the handler sees, which the X-Ray SDK extends) and ``Overhead``. Times
start on the platform clock and last the measured durations. A function error marks the
function segment as a fault with the exception as its cause. The REPORT line gains
``XRAY TraceId: … SegmentId: … Sampled: true`` (DG python-logging).

Segments go to a per-platform sink (:func:`attach`; the AWS front hands them to moto's X-Ray),
and so do the segment documents that the X-Ray SDK in a handler sends over UDP to the
:class:`Daemon` at ``AWS_XRAY_DAEMON_ADDRESS``.
"""

from __future__ import annotations

import json
import logging
import random
import secrets
import socket
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from ..errors import ValidationException
from .recursion import parse_trace_header

if TYPE_CHECKING:
    from ..execution.result import InvocationResult
    from .model import Executor, Version
    from .platform import Platform

__all__ = ["ACTIVE", "MODES", "PASS_THROUGH", "Daemon", "attach", "check_mode", "detach",
           "report", "sample", "traced"]

log = logging.getLogger("lambda_lab.tracing")

ACTIVE, PASS_THROUGH = "Active", "PassThrough"
MODES = (ACTIVE, PASS_THROUGH)
RESERVOIR_PER_SECOND = 1  #: X-Ray's default rule: the first request each second …
FIXED_RATE = 0.05  #: … and 5 percent of the others
OVERHEAD_MAX_S = 0.001  #: emulator: the longest Overhead subsegment (see _segments)
#: ``[document, …] -> None``: where segment documents (JSON text) go.
Sink = Callable[[list[str]], None]


def check_mode(mode: object) -> None:
    """Raise ValidationException unless ``mode`` is Active or PassThrough (API TracingConfig;
    the message is the model's enum constraint, as for every Lambda enum)."""
    if mode not in MODES:
        raise ValidationException(
            f"1 validation error detected: Value '{mode}' at 'tracingConfig.mode' failed to "
            "satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]")


# ----------------------------------------------------------------- per-platform state


class _State:
    """One platform's sampler, sink, daemon and the traces of invocations in flight."""

    def __init__(self, platform: Platform) -> None:
        self.lock = threading.Lock()
        self.rng = random.Random()
        self.rng.setstate(platform.rng.getstate())  # seeded with the platform, draws apart
        self.seconds: dict[str, int] = {}  #: function -> the second its reservoir was used
        self.sink: Sink | None = None
        self.daemon: Daemon | None = None
        self.in_flight: dict[str, tuple[str, str]] = {}  #: request id -> (trace, segment id)


_states: WeakKeyDictionary[Platform, _State] = WeakKeyDictionary()
_states_lock = threading.Lock()


def _state(platform: Platform) -> _State:
    state = _states.get(platform)
    if state is None:
        with _states_lock:
            state = _states.setdefault(platform, _State(platform))
    return state


def attach(platform: Platform, sink: Sink, *, daemon: bool = True) -> None:
    """Send ``platform``'s segments to ``sink``; with ``daemon``, also start a local X-Ray
    daemon (UDP on 127.0.0.1) forwarding to it, whose address new environments get as
    ``AWS_XRAY_DAEMON_ADDRESS``. Idempotent."""
    state = _state(platform)
    with state.lock:
        state.sink = sink
        if daemon and state.daemon is None:
            state.daemon = Daemon(lambda doc: _emit(state, [doc]))
            platform.extra_env["AWS_XRAY_DAEMON_ADDRESS"] = state.daemon.address


def detach(platform: Platform) -> None:
    """Stop the platform's daemon and forget its sink (when the platform closes)."""
    state = _states.pop(platform, None)
    if state is not None and state.daemon is not None:
        state.daemon.close()


def _emit(state: _State, docs: list[str]) -> None:
    sink = state.sink
    if sink is None:
        return
    try:
        sink(docs)
    except Exception:  # a bad document must not fail the invocation
        log.exception("could not store X-Ray segments")


# ----------------------------------------------------------------- sampling


def _header(fields: dict[str, str]) -> str:
    return ";".join(f"{k}={v}" for k, v in fields.items())


def _draw(platform: Platform, function_name: str) -> bool:
    """X-Ray's default rule for one request of ``function_name`` now."""
    state = _state(platform)
    second = int(platform.clock.now())
    with state.lock:
        if state.seconds.get(function_name) != second:
            state.seconds[function_name] = second  # RESERVOIR_PER_SECOND = 1
            return True
        return state.rng.random() < FIXED_RATE


def sample(platform: Platform, version: Version, incoming: str | None, header: str) -> str:
    """The trace header of a new invocation of ``version``: ``header`` (from
    ``recursion.next_trace``, ``Sampled=0``) with ``Sampled=1`` if the request is traced, the
    upstream ``Parent`` kept for the service segment."""
    if incoming is None and version.config.tracing != ACTIVE:
        return header  # the common case: nothing to decide
    upstream = parse_trace_header(incoming)
    decision = upstream.get("Sampled")
    if decision in ("0", "1"):
        traced = decision == "1"
    else:
        traced = (version.config.tracing == ACTIVE
                  and _draw(platform, version.function_name))
    if not traced:
        return header
    fields = parse_trace_header(header)
    fields.pop("Parent", None)
    out = {"Root": fields.pop("Root", "")}
    if upstream.get("Parent") and upstream.get("Root") == out["Root"]:
        out["Parent"] = upstream["Parent"]
    out["Sampled"] = "1"
    out.update((k, v) for k, v in fields.items() if k != "Sampled")
    return _header(out)


# ----------------------------------------------------------------- segments


def _id() -> str:
    return secrets.token_hex(8)


def traced(platform: Platform, version: Version, executor: Executor, payload: bytes,
           kwargs: dict[str, Any]) -> InvocationResult:
    """Run one sampled invocation (its header says ``Sampled=1``) and send its segments."""
    state = _state(platform)
    fields = parse_trace_header(kwargs["trace_id"])
    root, upstream = fields.get("Root", ""), fields.pop("Parent", None)
    ids = {name: _id() for name in ("service", "function", "Initialization", "Invocation",
                                    "Overhead")}
    handler_fields = {"Root": root, "Parent": ids["Invocation"],
                      **{k: v for k, v in fields.items() if k != "Root"}}
    kwargs = {**kwargs, "trace_id": _header(handler_fields)}
    request_id = str(kwargs.get("request_id") or "")
    with state.lock:
        state.in_flight[request_id] = (root, ids["function"])
    t0, m0 = platform.clock.now(), time.monotonic()
    try:
        result = executor.invoke(payload, **kwargs)
    finally:
        with state.lock:
            state.in_flight.pop(request_id, None)
    elapsed = time.monotonic() - m0
    docs = _segments(platform, version, result, ids, root, upstream, t0, elapsed,
                     str(kwargs.get("invoked_arn") or platform.arn(version.function_name)))
    _emit(state, [json.dumps(d) for d in docs])
    return result


def _segments(platform: Platform, version: Version, result: InvocationResult,
              ids: dict[str, str], root: str, upstream: str | None, t0: float,
              elapsed: float, invoked_arn: str) -> list[dict[str, Any]]:
    """The AWS::Lambda and AWS::Lambda::Function segment documents of one invocation.

    Emulator: of the measured time not spent in Init or the handler, half (at most
    :data:`OVERHEAD_MAX_S`) is Overhead and the rest the service's lead-in before the function
    segment (on a cold start, mostly starting the environment)."""
    init = (result.init_duration_ms or 0.0) / 1000.0 if result.cold_start else 0.0
    duration = result.duration_ms / 1000.0
    total = max(elapsed, init + duration)
    rest = total - init - duration
    lead = rest - min(rest / 2.0, OVERHEAD_MAX_S)
    start, end = t0 + lead, t0 + total
    name = version.function_name
    subsegments = []
    at = start
    if init > 0:
        subsegments.append(_sub(ids["Initialization"], "Initialization", at, at + init))
        at += init
    subsegments.append(_sub(ids["Invocation"], "Invocation", at, at + duration))
    subsegments.append(_sub(ids["Overhead"], "Overhead", at + duration, end))
    service: dict[str, Any] = {
        "id": ids["service"], "trace_id": root, "name": name, "origin": "AWS::Lambda",
        "start_time": t0, "end_time": end, "resource_arn": invoked_arn,
        "aws": {"request_id": result.request_id}}
    if upstream:
        service["parent_id"] = upstream
    function: dict[str, Any] = {
        "id": ids["function"], "trace_id": root, "name": name, "parent_id": ids["service"],
        "origin": "AWS::Lambda::Function", "start_time": start, "end_time": end,
        "resource_arn": invoked_arn,
        "aws": {"account_id": platform.account_id, "function_arn": invoked_arn,
                "resource_names": [name]},
        "subsegments": subsegments}
    if result.function_error:
        function["fault"] = True
        function["cause"] = _cause(result)
    return [service, function]


def _sub(sub_id: str, name: str, start: float, end: float) -> dict[str, Any]:
    return {"id": sub_id, "name": name, "start_time": start, "end_time": end}


def _cause(result: InvocationResult) -> dict[str, Any]:
    try:
        err = result.payload or {}
    except ValueError:
        err = {}
    if not isinstance(err, dict):
        err = {}
    return {"working_directory": "/var/task", "exceptions": [{
        "id": _id(), "message": str(err.get("errorMessage", "")),
        "type": str(err.get("errorType", result.function_error))}]}


def report(platform: Platform, result: InvocationResult) -> None:
    """Append ``XRAY TraceId: … SegmentId: … Sampled: true`` to a traced invocation's REPORT
    line (before the log lines are written anywhere)."""
    state = _states.get(platform)
    if state is None or not state.in_flight:
        return
    traced_by = state.in_flight.get(result.request_id)
    if traced_by is None:
        return
    for i in range(len(result.logs) - 1, -1, -1):
        if result.logs[i].startswith("REPORT "):
            result.logs[i] += (f"\tXRAY TraceId: {traced_by[0]}\tSegmentId: {traced_by[1]}"
                               "\tSampled: true")
            return


# ----------------------------------------------------------------- the daemon


class Daemon:
    """A minimal X-Ray daemon: UDP on 127.0.0.1 (any free port); each datagram is the
    header line ``{"format": "json", "version": 1}`` and one segment document, handed to
    ``forward``."""

    def __init__(self, forward: Callable[[str], None]) -> None:
        self._forward = forward
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self._sock.bind(("127.0.0.1", 0))
        host, port = self._sock.getsockname()[:2]
        self.address = f"{host}:{port}"  #: what AWS_XRAY_DAEMON_ADDRESS says
        self._closed = False
        self._thread = threading.Thread(target=self._serve, name="lambda-lab-xray-daemon",
                                        daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._closed:
            try:
                data = self._sock.recv(65536)
            except OSError:
                return
            if self._closed:
                return
            _, sep, body = data.decode("utf-8", "replace").partition("\n")
            if sep and body.strip():
                self._forward(body)

    def close(self) -> None:
        """Stop listening (wakes the thread with an empty datagram)."""
        if self._closed:
            return
        self._closed = True
        host, _, port = self.address.partition(":")
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.sendto(b"", (host, int(port)))
        except OSError:
            pass
        self._thread.join(2.0)
        self._sock.close()
