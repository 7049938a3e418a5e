"""Step Functions: moto runs state machines; Lambda tasks run on the platform, time on its clock.

moto runs state machines when its ``stepfunctions.execute_state_machine`` config is on
(:data:`CONFIG`, passed to ``moto.mock_aws`` by :class:`~lambda_lab.aws.mock.MockAWS`); its
interpreter calls Lambda through boto3, which lands on our Lambda backend, so a task really runs
the handler (permissions, logs and metrics as for any synchronous invoke). The patches here, all
for this service, make the rest behave as AWS documents:

- an ``arn:aws:states:::lambda:invoke`` task's output is the whole Invoke response
  (``ExecutedVersion``, ``Payload``, ``SdkHttpMetadata``, ``SdkResponseMetadata``, ``StatusCode``);
  the legacy ``Resource: <function ARN>`` form passes on just the payload (moto already does);
- a function error fails the task with the payload's ``errorType`` as the error name (timeouts
  and out-of-memory: ``Lambda.Unknown``), the payload as ``Cause``; Lambda's API errors are
  ``Lambda.<Code>`` in both forms;
- ``Wait`` states and ``Retry`` intervals wait on the platform clock (``aws.advance`` ends them),
  history and execution dates are platform time; :class:`Executions` lets ``advance`` wait for
  running executions (and their Parallel branches and Map workers) to reach their next wait
  first — a wait for a task token or an activity worker counts as a wait;
- ``InvocationType`` reaches Lambda (moto drops it); an execution's output is compact JSON text;
- moto's interpreter is imported (about a second) and patched on first use of Step Functions.
- ``StartExecution`` without a name gets a UUID, as on AWS (moto would name it ``None``), and
  works after a failed execution (moto deep-copies past executions and fails on their locks);
- a failed state is an outcome, not a fault of the emulator: moto's interpreter logs it at ERROR,
  which Python prints on stderr when nothing is configured (a notebook shows it in red). Its
  loggers get a :class:`logging.NullHandler`, so they print only where logging is set up.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import threading
import types
import uuid
from collections.abc import Callable
from email.utils import formatdate
from typing import Any, TypeVar
from unittest import mock

from ..clock import VirtualClock

__all__ = ["CONFIG", "Executions", "executions", "install", "uninstall"]

T = TypeVar("T")

logging.getLogger("moto.stepfunctions").addHandler(logging.NullHandler())

#: moto's config that makes it run state machines (``moto.mock_aws(config=CONFIG)``).
CONFIG: dict[str, Any] = {"stepfunctions": {"execute_state_machine": True}}

#: Function errors Step Functions reports as ``Lambda.Unknown`` (SFN DG, "Handle Lambda service
#: exceptions": "out-of-memory errors and function timeouts").
_UNKNOWN_ERROR_TYPES = frozenset({"Sandbox.Timedout", "Runtime.OutOfMemory"})
_POLL_S = 0.05  # how often a clock wait checks whether its execution was stopped


class Executions:
    """The executions running in one session, and waits on the platform clock.

    ``settle``/``busy`` have the async queue's meaning, so ``aws.advance`` treats running
    executions like queued events: it moves time only once each is done or waiting on the clock.
    Counted are lines of work: an execution, and each Parallel branch and Map worker while
    the state that started them hands its own line over to them (:meth:`hand_off`).
    """

    def __init__(self, clock: VirtualClock) -> None:
        self.clock = clock
        self._cond = threading.Condition()
        self._running = 0
        self._waiting = 0
        self._workers: set[Any] = set()
        self._children: dict[int, int] = {}  # id(pool) -> its branches or workers still running
        self._handed: set[int] = set()  # pools whose parent waits for them
        self._outside: dict[int, int] = {}  # id(endpoint) -> lines waiting for a caller on it
        self.closed = False

    def begin(self, worker: Any) -> None:
        """An execution starts (counted before its thread starts, so ``settle`` sees it)."""
        with self._cond:
            self._running += 1
            self._workers.add(worker)

    def end(self, worker: Any) -> None:
        """An execution finished, whatever its outcome."""
        with self._cond:
            self._running -= 1
            self._workers.discard(worker)
            self._cond.notify_all()

    def spawn(self, pool: Any) -> None:
        """A Parallel branch or Map worker of ``pool`` is about to start (parent's thread)."""
        with self._cond:
            self._running += 1
            self._children[id(pool)] = self._children.get(id(pool), 0) + 1

    def child_done(self, pool: Any) -> None:
        """That branch or worker ended; the last one gives its parent its line back first."""
        with self._cond:
            left = self._children.get(id(pool), 1) - 1
            if left > 0:
                self._children[id(pool)] = left
            else:
                self._children.pop(id(pool), None)
                if id(pool) in self._handed:
                    self._handed.discard(id(pool))
                    self._running += 1
            self._running -= 1
            self._cond.notify_all()

    def hand_off(self, pool: Any) -> None:
        """The parent waits for ``pool``'s branches or workers: its line is theirs meanwhile."""
        with self._cond:
            if self._children.get(id(pool)):
                self._handed.add(id(pool))
                self._running -= 1
                self._cond.notify_all()

    def take_back(self, pool: Any) -> None:
        """The parent's wait ended (if no child gave the line back, e.g. a branch failed)."""
        with self._cond:
            if id(pool) in self._handed:
                self._handed.discard(id(pool))
                self._running += 1

    def await_outside(self, endpoint: Any, wait: Callable[[], T]) -> T:
        """``wait()`` for a caller outside (SendTaskSuccess, an activity worker): a line of work
        that waits, like a wait on the clock, until :meth:`woken` or ``wait`` returns."""
        key = id(endpoint)
        with self._cond:
            self._waiting += 1
            self._outside[key] = self._outside.get(key, 0) + 1
            self._cond.notify_all()
        try:
            return wait()
        finally:
            with self._cond:
                left = self._outside.get(key, 0)
                if left:  # not woken by a caller: the wait timed out or was interrupted
                    self._waiting -= 1
                    if left > 1:
                        self._outside[key] = left - 1
                    else:
                        del self._outside[key]

    def woken(self, endpoint: Any) -> None:
        """A caller answers on ``endpoint`` (in the caller's thread, so that ``advance`` after
        the call waits for what the execution does next)."""
        with self._cond:
            self._waiting -= self._outside.pop(id(endpoint), 0)

    def close(self) -> None:
        """Stop every running execution (the session ends): waits return, programs stop."""
        with self._cond:
            self.closed = True
            workers = list(self._workers)
        for worker in workers:
            env = worker.env
            if env is not None and env.is_running():
                env.set_stop(stop_date=_dt.datetime.now(_dt.timezone.utc), cause=None, error=None)

    def busy(self) -> bool:
        """True while some execution runs (not counting those waiting on the clock)."""
        with self._cond:
            return self._running > self._waiting

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until every execution is done or waits on the clock; False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._running <= self._waiting, timeout)

    def wait(self, seconds: float, *, cancelled: Callable[[], bool] = lambda: False) -> None:
        """Block until ``seconds`` of platform time have passed, or ``cancelled()`` is true.

        The waiter counts as running again the moment its timer fires (in the clock's thread),
        so an ``advance`` that fired it waits for what the execution does next."""
        done = threading.Event()

        def wake() -> None:
            with self._cond:
                if not done.is_set():
                    self._waiting -= 1
                    done.set()

        with self._cond:
            self._waiting += 1
            self._cond.notify_all()
        timer = self.clock.call_later(max(0.0, float(seconds)), wake)
        while not done.wait(_POLL_S):
            if cancelled() or self.closed:
                timer.cancel()
                wake()
                return

    def sleep(self, seconds: float) -> None:
        """``time.sleep`` on the platform clock (for Retry intervals)."""
        self.wait(seconds)


_current: Executions | None = None


def executions() -> list[Executions]:
    """The active session's executions (a list, for ``asyncq.advance``'s queues)."""
    return [] if _current is None else [_current]


def install(session: Any) -> None:
    """Prepare ``session`` (a :class:`MockAWS` with its clock set): moto's interpreter (about a
    second to import) is patched when Step Functions is first used, not before."""
    global _current
    from moto.stepfunctions import responses

    _current = tracker = Executions(session.clock)
    lock = threading.Lock()
    original = responses.get_backend

    def get_backend(account: str, region: str) -> Any:
        with lock:
            if not session._sfn_patches[1:]:
                session._sfn_patches += _interpreter_patches(session.clock, tracker)
        return original(account, region)

    first = mock.patch.object(responses, "get_backend", get_backend)
    first.start()
    session._sfn_patches = [first]


def _interpreter_patches(clock: VirtualClock, tracker: Executions) -> list[Any]:
    """Patch moto's interpreter (started patches, to stop at uninstall)."""
    from moto.stepfunctions.parser import models as parser_models
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state import state
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        inline_iteration_component,
        job,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import (
        branch_worker,
        branches_decl,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
        lambda_eval_utils,
        state_task_lambda,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
        state_task_service_lambda,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function import (
        timestamp,
        wait_function,
    )
    from moto.stepfunctions.parser.asl.eval.callback import callback
    from moto.stepfunctions.parser.asl.eval.event import event_manager
    from moto.stepfunctions.parser.backend import execution, execution_worker

    dates = _clock_datetime_module(clock)
    patches = [mock.patch.object(m, "datetime", dates)
               for m in (event_manager, execution, parser_models, state, timestamp)]
    patches += [
        mock.patch.object(retrier_decl, "time", types.SimpleNamespace(sleep=tracker.sleep)),
        mock.patch.object(wait_function.WaitFunction, "_wait_interval", _wait_interval),
        mock.patch.object(execution_worker.ExecutionWorker, "start",
                          _tracked_start(execution_worker.ExecutionWorker.start)),
        *_outside_waits(callback),
        mock.patch.object(branch_worker.BranchWorker, "start",
                          _branch_start(branch_worker.BranchWorker.start)),
        mock.patch.object(inline_iteration_component.InlineIterationComponent, "_launch_worker",
                          _launch_map_worker),
        mock.patch.object(branches_decl.BranchWorkerPool, "wait",
                          _handing_off(branches_decl.BranchWorkerPool.wait)),
        mock.patch.object(job.JobPool, "await_jobs", _handing_off(job.JobPool.await_jobs)),
        # InvocationType (Event: the task ends with StatusCode 202) is an Invoke parameter the
        # optimized integration passes on (connect-lambda); moto would drop it silently.
        mock.patch.dict(state_task_service_lambda._SUPPORTED_API_PARAM_BINDINGS, {
            "invoke": state_task_service_lambda._SUPPORTED_API_PARAM_BINDINGS["invoke"]
            | {"InvocationType"}}),
        mock.patch.object(execution.BaseExecutionWorkerCommunication, "terminated",
                          _json_output(execution.BaseExecutionWorkerCommunication.terminated)),
        mock.patch.object(lambda_eval_utils, "execute_lambda_function_integration",
                          _execute_lambda_function_integration),
        mock.patch.object(state_task_lambda.StateTaskLambda, "_from_error",
                          _from_error(state_task_lambda.StateTaskLambda._from_error)),
        mock.patch.object(state_task_service_lambda.StateTaskServiceLambda, "_from_error",
                          _from_error(state_task_service_lambda.StateTaskServiceLambda._from_error)),
        # StartExecution deep-copies the state machine, and with it (through .backend) every
        # past execution, whose threads' locks cannot be copied: share those instead.
        mock.patch.object(execution.Execution, "__deepcopy__", _shared, create=True),
        mock.patch.object(parser_models.StepFunctionsParserBackend, "start_execution",
                          _named_start(parser_models.StepFunctionsParserBackend.start_execution)),
    ]
    for p in patches:
        p.start()
    return patches


def uninstall(session: Any) -> None:
    """Undo :func:`install` (idempotent)."""
    global _current
    if _current is not None:
        _current.close()
    for p in reversed(getattr(session, "_sfn_patches", [])):
        p.stop()
    session._sfn_patches = []
    _current = None


# ----------------------------------------------------------------------- time


def _clock_datetime_module(clock: VirtualClock) -> types.SimpleNamespace:
    """A stand-in for the ``datetime`` module whose ``datetime.now()`` reads ``clock``
    (a naive ``now()`` is UTC, which is what the interpreter compares it with)."""

    class ClockDatetime(_dt.datetime):
        @classmethod
        def now(cls, tz: _dt.tzinfo | None = None) -> _dt.datetime:  # type: ignore[override]
            moment = _dt.datetime.fromtimestamp(clock.now(), tz or _dt.timezone.utc)
            return moment if tz is not None else moment.replace(tzinfo=None)

    names = {k: getattr(_dt, k) for k in dir(_dt) if not k.startswith("__")}
    return types.SimpleNamespace(**{**names, "datetime": ClockDatetime})


def _wait_interval(self: Any, env: Any, wait_seconds: int) -> None:
    """WaitFunction._wait_interval on the platform clock; a stopped execution stops waiting."""
    if _current is None or wait_seconds <= 0:
        return
    _current.wait(wait_seconds, cancelled=lambda: not env.is_running())


def _tracked_start(original: Callable[[Any], None]) -> Callable[[Any], None]:
    def start(worker: Any) -> None:
        tracker = _current
        if tracker is None:
            return original(worker)
        logic = worker._execution_logic

        def run() -> None:
            try:
                logic()
            finally:
                tracker.end(worker)

        worker._execution_logic = run  # the thread's target, read by the original start
        tracker.begin(worker)
        try:
            original(worker)
        except BaseException:
            tracker.end(worker)
            raise

    return start


def _outside_waits(callback: Any) -> list[Any]:
    """Task tokens (``.waitForTaskToken``), activity workers and heartbeats: the waiting line
    counts as waiting; the caller's notify wakes it."""

    def waiting(original: Callable[..., T]) -> Callable[..., T]:
        def wait(endpoint: Any, *args: Any, **kwargs: Any) -> T:
            tracker = _current
            if tracker is None:
                return original(endpoint, *args, **kwargs)
            return tracker.await_outside(endpoint, lambda: original(endpoint, *args, **kwargs))

        return wait

    def waking(original: Callable[..., None]) -> Callable[..., None]:
        def notify(endpoint: Any, *args: Any, **kwargs: Any) -> None:
            tracker = _current
            if tracker is not None:
                tracker.woken(endpoint)  # (a CallbackEndpoint notifies its heartbeat's too)
            original(endpoint, *args, **kwargs)

        return notify

    patches = []
    for cls, wait_name, wake_names in (
            (callback.CallbackEndpoint, "wait", ("notify", "interrupt_all")),
            (callback.HeartbeatEndpoint, "clear_and_wait", ("notify",)),
            (callback.ActivityTaskStartEndpoint, "wait", ("notify",))):
        patches.append(mock.patch.object(cls, wait_name, waiting(getattr(cls, wait_name))))
        patches += [mock.patch.object(cls, name, waking(getattr(cls, name)))
                    for name in wake_names]
    return patches


def _branch_start(original: Callable[[Any], None]) -> Callable[[Any], None]:
    """BranchWorker.start: the branch counts as a line of work until its routine ends."""

    def start(worker: Any) -> None:
        tracker, pool = _current, worker._branch_worker_comm
        if tracker is None:
            return original(worker)
        routine = worker._thread_routine

        def run() -> None:
            try:
                routine()
            finally:
                tracker.child_done(pool)

        worker._thread_routine = run  # the thread's target, read by the original start
        tracker.spawn(pool)
        original(worker)

    return start


def _launch_map_worker(self: Any, env: Any, eval_input: Any, job_pool: Any) -> Any:
    """InlineIterationComponent._launch_worker, with the worker counted as a line of work."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    worker = self._create_worker(env=env, eval_input=eval_input, job_pool=job_pool)
    tracker = _current

    def run() -> None:
        try:
            worker.eval()
        finally:
            if tracker is not None:
                tracker.child_done(job_pool)

    if tracker is not None:
        tracker.spawn(job_pool)
    thread = threading.Thread(target=run, daemon=True)
    TMP_THREADS.append(thread)
    thread.start()
    return worker


def _handing_off(original: Callable[[Any], None]) -> Callable[[Any], None]:
    """A pool's wait for its branches or workers: the waiting parent is not a line of work."""

    def wait(pool: Any) -> None:
        tracker = _current
        if tracker is None:
            return original(pool)
        tracker.hand_off(pool)
        try:
            original(pool)
        finally:
            tracker.take_back(pool)

    return wait


def _json_output(original: Callable[[Any], None]) -> Callable[[Any], None]:
    """An execution's output is JSON text (compact, as AWS returns it); moto's DescribeExecution
    would pass a string output through unquoted and indent the rest."""

    def terminated(comm: Any) -> None:
        original(comm)
        if comm.execution.output is not None:
            comm.execution.output = json.dumps(comm.execution.output, separators=(",", ":"))

    return terminated


def _shared(self: Any, memo: dict) -> Any:
    return self


def _named_start(original: Callable[..., Any]) -> Callable[..., Any]:
    def start_execution(self: Any, state_machine_arn: str, name: str | None = None,
                        *args: Any, **kwargs: Any) -> Any:
        return original(self, state_machine_arn, name or str(uuid.uuid4()), *args, **kwargs)

    return start_execution


# ----------------------------------------------------------------------- Lambda tasks


def _execute_lambda_function_integration(env: Any, parameters: dict, region: str,
                                         state_credentials: Any) -> None:
    """Invoke through boto3 (our backend) and push the Invoke response as Step Functions
    shows it (SFN DG "Invoke Lambda with Step Functions"): ``ExecutedVersion``, ``Payload``
    (parsed JSON), ``SdkHttpMetadata``, ``SdkResponseMetadata``, ``StatusCode``. A
    ``FunctionError`` raises for the task to fail with."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
    from moto.stepfunctions.parser.asl.utils.boto_client import boto_client_for

    if env.is_mocked_mode():  # moto's mocked-response test mode: unchanged
        response = lambda_eval_utils._mocked_invoke_lambda_function(env=env)
        if response.get("FunctionError"):
            raise lambda_eval_utils.LambdaFunctionErrorException(
                response["FunctionError"],
                json.dumps(response["Payload"], separators=(",", ":")))
        env.stack.append(response)
        return
    client = boto_client_for(service="lambda", region=region, state_credentials=state_credentials)
    response = client.invoke(**parameters)
    raw = response["Payload"].read()
    try:
        payload: Any = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        payload = raw.decode("utf-8", "replace")
    if response.get("FunctionError"):
        raise lambda_eval_utils.LambdaFunctionErrorException(
            response["FunctionError"], json.dumps(payload, separators=(",", ":")))
    env.stack.append(_invoke_output(response, payload, raw))


def _invoke_output(response: dict, payload: Any, raw: bytes) -> dict:
    meta = response.get("ResponseMetadata", {})
    request_id = meta.get("RequestId", "")
    received = {k.lower(): v for k, v in meta.get("HTTPHeaders", {}).items()}
    headers = {"Connection": "keep-alive", "Content-Length": str(len(raw)),
               "Content-Type": "application/json",
               "Date": formatdate(_current.clock.now() if _current else None, usegmt=True)}
    if response.get("ExecutedVersion"):
        headers["X-Amz-Executed-Version"] = response["ExecutedVersion"]
    headers["x-amzn-Remapped-Content-Length"] = "0"
    headers["x-amzn-RequestId"] = request_id
    if received.get("x-amzn-trace-id"):
        headers["X-Amzn-Trace-Id"] = received["x-amzn-trace-id"]
    status = response.get("StatusCode", meta.get("HTTPStatusCode", 200))
    out: dict[str, Any] = {}
    if response.get("ExecutedVersion"):
        out["ExecutedVersion"] = response["ExecutedVersion"]
    if response.get("LogResult"):
        out["LogResult"] = response["LogResult"]
    out["Payload"] = payload
    out["SdkHttpMetadata"] = {"AllHttpHeaders": {k: [v] for k, v in headers.items()},
                              "HttpHeaders": headers, "HttpStatusCode": status}
    out["SdkResponseMetadata"] = {"RequestId": request_id}
    out["StatusCode"] = status
    return out


def _function_error_name(cause: str) -> str | None:
    """``Lambda.Unknown`` for an unhandled function error (no errorType, timeout, OOM)."""
    try:
        error_type = json.loads(cause).get("errorType")
    except (ValueError, AttributeError):
        error_type = None
    if not isinstance(error_type, str) or error_type in _UNKNOWN_ERROR_TYPES:
        return "Lambda.Unknown"
    return None


def _from_error(original: Callable[[Any, Any, Exception], Any]) -> Callable[..., Any]:
    """A Lambda task's failure as Step Functions names it: ``Lambda.<Code>`` for Lambda API
    errors in both task forms (moto's legacy form says ``Exception``), ``Lambda.Unknown`` for
    unhandled function errors (timeouts, out of memory), else the payload's ``errorType``."""

    def _from_error(self: Any, env: Any, ex: Exception) -> Any:
        from botocore.exceptions import ClientError
        from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
            CustomErrorName,
        )
        from moto.stepfunctions.parser.asl.component.state.exec.state_task import (
            lambda_eval_utils,
        )

        if isinstance(ex, ClientError):  # lambda_lab's error answers carry no request id
            ex.response.setdefault("ResponseMetadata", {}).setdefault("RequestId",
                                                                      str(uuid.uuid4()))
        event = original(self, env, ex)
        name = None
        if isinstance(ex, ClientError):
            name = f"Lambda.{ex.response['Error']['Code']}"
        elif isinstance(ex, lambda_eval_utils.LambdaFunctionErrorException):
            name = _function_error_name(ex.payload)
        if name:
            event.error_name = CustomErrorName(name)
            for value in (event.event_details or {}).values():
                if isinstance(value, dict) and "error" in value:
                    value["error"] = name
        return event

    return _from_error
