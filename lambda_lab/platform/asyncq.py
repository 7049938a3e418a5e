"""The asynchronous invocation queue: Event invocations, their retries, and where each one ends.

As on AWS (DG invocation-async-error-handling): a function error is retried up to
MaximumRetryAttempts times (0-2, default 2), about 1 minute and then 2 minutes apart; a throttle
(TooManyRequestsException) or a system error is retried with back-off from 1 s doubling to 5 min,
until the event is older than MaximumEventAgeInSeconds (60-21,600, default 21,600). Every attempt
keeps the request id. Retries and back-offs are timers on the platform clock, so a fast-forward
(:func:`advance`) runs them; first attempts start at once on the queue's worker threads.

Like Lambda's internal queue pollers, the workers invoke concurrently: a burst of events (or
retries falling due at the same platform time) starts up to ``workers`` attempts at once
(:data:`DEFAULT_WORKERS`, 8, by default), so reserved and account concurrency throttle the excess
("If the function doesn't have enough concurrency available to process all events, additional
requests are throttled", DG invocation-async-error-handling) and those attempts back off.
Attempts take their concurrency slot in the order they were queued (then run side by side), so
which of them a limit throttles is the same on every run.

Nothing is lost: every accepted event ends in exactly one of ``success``, ``destination`` (an
on-failure destination took its record), ``dlq`` (the dead-letter queue took it) or ``dropped``
(with a log line on the ``lambda_lab.async`` logger and :attr:`AsyncEvent.error` saying why).
"""

from __future__ import annotations

import functools
import logging
import math
import queue
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from weakref import WeakKeyDictionary

from ..clock import VirtualClock, default_clock
from ..errors import LambdaError, TooManyRequestsException
from ..execution.result import InvocationResult
from . import recursion

if TYPE_CHECKING:
    from .model import Function
    from .platform import Platform

__all__ = ["DEFAULT_WORKERS", "AsyncEvent", "AsyncQueue", "Deliverer", "EventInvokeConfig",
           "advance"]

log = logging.getLogger("lambda_lab.async")

QUEUED, RUNNING, WAITING = "queued", "running", "waiting"  # waiting: for a retry timer
SUCCEEDED, FAILED, DROPPED = "succeeded", "failed", "dropped"
#: Where an event ended (:attr:`AsyncEvent.ended_in`): exactly one of these.
SUCCESS, DESTINATION, DLQ, DISCARDED = "success", "destination", "dlq", "dropped"
#: The ``condition`` of an on-failure record.
RETRIES_EXHAUSTED, EVENT_AGE_EXCEEDED = "RetriesExhausted", "EventAgeExceeded"
ZERO_RESERVED_CONCURRENCY = "ZeroReservedConcurrency"
RECURSIVE_LOOP = "RecursiveInvocationDetected"  # lambda_lab's name: AWS's is not documented

DEFAULT_RETRY_ATTEMPTS = 2
DEFAULT_MAX_EVENT_AGE_S = 21_600
RETRY_DELAYS_S = (60.0, 120.0)  #: before the 1st and the 2nd retry after a function error
BACKOFF_FIRST_S, BACKOFF_MAX_S = 1.0, 300.0  #: throttles and system errors
#: Attempts one queue runs at once (its worker threads): AWS documents no poller count; 8 lets
#: a burst reach a small function's concurrency limit without forking dozens of workers.
DEFAULT_WORKERS = 8

#: Per thread: how many :func:`advance` calls are fast-forwarding in it (retries due then go to
#: the workers, and ``advance`` waits for them).
_fast_forward = threading.local()
#: Per worker thread: passes the attempt's turn to start on (see :func:`attempt_started`).
_starting = threading.local()


@dataclass(frozen=True)
class EventInvokeConfig:
    """A function's, version's or alias's asynchronous invocation settings (None: not set)."""

    maximum_retry_attempts: int | None = None
    maximum_event_age: int | None = None
    on_success: str | None = None
    on_failure: str | None = None
    last_modified: float = 0.0

    @property
    def retries(self) -> int:
        return (DEFAULT_RETRY_ATTEMPTS if self.maximum_retry_attempts is None
                else self.maximum_retry_attempts)

    @property
    def max_age(self) -> float:
        return float(DEFAULT_MAX_EVENT_AGE_S if self.maximum_event_age is None
                     else self.maximum_event_age)


DEFAULT_CONFIG = EventInvokeConfig()


@dataclass(eq=False)
class AsyncEvent:
    """One Event invocation and what became of it."""

    request_id: str  #: the same on every attempt
    function_name: str
    version: str  #: the version chosen when it was queued (after alias routing)
    payload: bytes
    invoked_arn: str
    enqueued_at: float  #: platform time
    trace_id: str | None = None  #: X-Ray header carrying the recursion lineage (see recursion)
    status: str = QUEUED
    result: InvocationResult | None = None  #: of the latest attempt that ran
    error: str | None = None  #: why it failed or was dropped, when not only a function error
    attempts: int = 0  #: times the function ran (the record's approximateInvokeCount)
    throttles: int = 0  #: throttled or system-failed tries (each backs off)
    retries: int = 0  #: retries after function errors so far
    condition: str | None = None  #: Success, RetriesExhausted, EventAgeExceeded, ...
    ended_in: str | None = None  #: success, destination, dlq or dropped
    deliveries: list[str] = field(default_factory=list)  #: "<kind> <arn>" delivered
    last_status: int = 200  #: HTTP status of the latest try (429 throttled, 500 system error)
    done: threading.Event = field(default_factory=threading.Event, repr=False)
    _timer: Any = field(default=None, repr=False)
    _started: float = field(default=0.0, repr=False)

    @property
    def qualifier(self) -> str:
        """The version or alias the event was invoked through (``$LATEST`` if none)."""
        parts = self.invoked_arn.split(":")
        return parts[7] if len(parts) > 7 else "$LATEST"

    @property
    def finished(self) -> bool:
        return self.status in (SUCCEEDED, FAILED, DROPPED)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the event has an outcome; False on timeout."""
        return self.done.wait(timeout)


class Deliverer(Protocol):
    """Where records go: destinations and dead-letter queues (see :mod:`.destinations`).

    Both raise (anything) when the record could not be delivered."""

    def send_record(self, arn: str, record: dict[str, Any], success: bool,
                    event: AsyncEvent) -> None: ...

    def send_dead_letter(self, arn: str, event: AsyncEvent, error_message: str) -> None: ...


class AsyncQueue:
    """Events served by up to ``workers`` daemon threads (started on demand); retries on the clock.

    ``run(event)`` runs one attempt (the platform's ``_run_event``): it returns the result, or
    raises TooManyRequestsException (throttled) or another error (a system error); it calls
    :func:`attempt_started` once it holds a concurrency slot (until then, or until it returns,
    the next queued attempt waits its turn). With a
    ``platform``, settings, destinations, the DLQ, reserved concurrency and recursion come from it;
    ``deliverer`` overrides where records go.
    """

    def __init__(self, run: Callable[[AsyncEvent], InvocationResult], *,
                 workers: int = DEFAULT_WORKERS,
                 platform: Platform | None = None, clock: VirtualClock | None = None,
                 deliverer: Deliverer | None = None) -> None:
        self._run = run
        self.platform = platform
        self.clock = clock or (platform.clock if platform is not None else default_clock())
        if deliverer is None and platform is not None:
            from .destinations import MotoDeliverer

            deliverer = MotoDeliverer(platform)
        self.deliverer = deliverer
        #: Event invoke configs: function -> qualifier ($LATEST, version, alias) -> config.
        self.configs: WeakKeyDictionary[Function, dict[str, EventInvokeConfig]] = \
            WeakKeyDictionary()
        self._max_workers = workers
        self._queue: queue.SimpleQueue[tuple[int, AsyncEvent] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0  # threads waiting for an event
        self._pending = 0  # events put on the queue that no thread has taken yet
        self._busy = 0  # events queued for or running on a thread, or running inline
        self._cond = threading.Condition()
        self._tickets = 0  # attempts dispatched so far: each takes the next number
        self._turn = 0  # the ticket whose attempt may take its concurrency slot now
        self._turns = threading.Condition()
        self._closed = False
        self.events: list[AsyncEvent] = []  #: every event ever queued, in order

    # ----------------------------------------------------------------- accepting

    def submit(self, event: AsyncEvent) -> None:
        """Queue an event for its first attempt. Raises RuntimeError once the queue is closed."""
        with self._cond:
            if self._closed:
                raise RuntimeError("the platform is shut down")
            self.events.append(event)
            self._dispatch_locked(event)
        self._metric("AsyncEventsReceived", event)

    def _dispatch_locked(self, event: AsyncEvent) -> None:
        event.status = QUEUED
        self._busy += 1
        self._pending += 1
        # an idle thread counts only if no earlier event is already on its way to it
        if self._pending > self._idle and len(self._threads) < self._max_workers:
            t = threading.Thread(target=self._serve, name="lambda-lab-async", daemon=True)
            self._threads.append(t)
            self._idle += 1
            t.start()
        self._queue.put((self._tickets, event))
        self._tickets += 1

    def _serve(self) -> None:
        while True:
            item = self._queue.get()
            if item is None:
                return
            ticket, event = item
            with self._cond:
                self._idle -= 1
                self._pending -= 1
                closed = self._closed
            with self._turns:  # earlier attempts take their slot (or are throttled) first
                while self._turn != ticket:
                    self._turns.wait()
            _starting.release = functools.partial(self._pass_turn, ticket)
            try:
                if closed:
                    self._drop(event, "the platform shut down before it ran")
                else:
                    self._attempt(event)
            finally:
                _starting.release = None
                self._pass_turn(ticket)
                with self._cond:
                    self._idle += 1
                    self._busy -= 1
                    self._cond.notify_all()

    def _pass_turn(self, ticket: int) -> None:
        with self._turns:
            if self._turn == ticket:
                self._turn += 1
                self._turns.notify_all()

    def _due(self, event: AsyncEvent) -> None:
        """A retry timer fell due: queue the attempt for the workers when the clock's own thread
        fired it or :func:`advance` is fast-forwarding (it waits for the workers before time
        moves on), so retries due together run concurrently; run it in this thread otherwise
        (a bare ``clock.advance`` returns once it ran)."""
        with self._cond:
            if self._closed or event.finished:
                return
            if (getattr(_fast_forward, "depth", 0) > 0
                    or threading.current_thread() is getattr(self.clock, "_thread", None)):
                self._dispatch_locked(event)
                return
            self._busy += 1
        try:
            self._attempt(event)
        finally:
            with self._cond:
                self._busy -= 1
                self._cond.notify_all()

    # ----------------------------------------------------------------- one attempt

    def config_for(self, event: AsyncEvent) -> EventInvokeConfig:
        """The settings that apply to ``event`` now (its qualifier's, else the defaults)."""
        fn = self._function(event)
        if fn is None:
            return DEFAULT_CONFIG
        return self.configs.get(fn, {}).get(event.qualifier, DEFAULT_CONFIG)

    def _function(self, event: AsyncEvent) -> Function | None:
        if self.platform is None:
            return None
        return self.platform._functions.get(event.function_name)

    def _attempt(self, event: AsyncEvent) -> None:
        event.status = RUNNING
        event._started = self.clock.now()  # delays count from here, not from when it ended
        config = self.config_for(event)
        if self._expired(event, config):
            return
        fn = self._function(event)
        if fn is not None and reserved_concurrency(self.platform, fn) == 0:
            self._fail(event, ZERO_RESERVED_CONCURRENCY, "reserved concurrency is 0", status=429)
            return
        if fn is not None and recursion.stopped(self.platform, fn, event.trace_id):
            count = recursion.count_for(self.platform, fn, event.trace_id)
            why = (f"Lambda stopped a recursive invocation of {event.invoked_arn}: invoked "
                   f"{count} times by one chain of requests (RecursiveLoop: Terminate)")
            log.warning("%s; request %s", why, event.request_id)
            self._fail(event, RECURSIVE_LOOP, why, status=400)
            return
        try:
            result = self._run(event)
        except TooManyRequestsException as e:
            self._back_off(event, config, 429, f"throttled: {e.message}")
        except RuntimeError as e:
            if "shut down" in str(e):
                self._drop(event, "the platform shut down before it ran")
            else:
                self._back_off(event, config, 500, f"system error: {type(e).__name__}: {e}")
        except LambdaError as e:
            if e.status >= 500:
                self._back_off(event, config, e.status, f"system error: {e.code}: {e.message}")
            else:  # e.g. the function or version was deleted: no retry can succeed
                event.last_status = e.status
                self._fail(event, RETRIES_EXHAUSTED, f"{e.code}: {e.message}", status=e.status)
        except Exception as e:  # an executor failure is a system error: retried, never lost
            self._back_off(event, config, 500, f"system error: {type(e).__name__}: {e}")
        else:
            # the time between queueing the event and invoking the function (DG async metrics)
            self._metric("AsyncEventAge", event, (event._started - event.enqueued_at) * 1000.0)
            event.attempts += 1
            event.result = result
            event.last_status = result.status_code
            if result.function_error is None:
                self._succeed(event, config)
            elif event.retries < config.retries:
                delay = RETRY_DELAYS_S[min(event.retries, len(RETRY_DELAYS_S) - 1)]
                event.retries += 1
                self._schedule(event, config, delay)
            else:
                self._fail(event, RETRIES_EXHAUSTED,
                           f"function error after {event.attempts} attempt(s): "
                           f"{result.function_error}")

    def _expired(self, event: AsyncEvent, config: EventInvokeConfig) -> bool:
        age = self.clock.now() - event.enqueued_at
        if age <= config.max_age:
            return False
        self._fail(event, EVENT_AGE_EXCEEDED,
                   f"event older than MaximumEventAgeInSeconds ({config.max_age:g} s)")
        return True

    def _back_off(self, event: AsyncEvent, config: EventInvokeConfig, status: int,
                  why: str) -> None:
        event.last_status = status
        event.error = why
        delay = min(BACKOFF_FIRST_S * 2 ** event.throttles, BACKOFF_MAX_S)
        event.throttles += 1
        self._schedule(event, config, delay)

    def _schedule(self, event: AsyncEvent, config: EventInvokeConfig, delay: float) -> None:
        """Wait ``delay`` s for the next try, or only until the event is too old."""
        with self._cond:
            if self._closed:
                self._finish_dropped_locked(event, "the platform shut down before its retry")
                return
            event.status = WAITING
            expiry = event.enqueued_at + config.max_age
            due = event._started + delay
            if due > expiry:
                event._timer = self.clock.call_at(expiry, self._expire, event)
            else:
                event._timer = self.clock.call_at(due, self._due, event)

    def _expire(self, event: AsyncEvent) -> None:
        """The event reached MaximumEventAgeInSeconds while waiting for its next try."""
        if event.finished or self._closed:
            return
        config = self.config_for(event)
        if self.clock.now() >= event.enqueued_at + config.max_age:
            self._fail(event, EVENT_AGE_EXCEEDED,
                       f"event older than MaximumEventAgeInSeconds ({config.max_age:g} s)")
        else:  # the age limit was raised meanwhile
            self._due(event)

    # ----------------------------------------------------------------- outcomes

    def _succeed(self, event: AsyncEvent, config: EventInvokeConfig) -> None:
        event.condition = "Success"
        event.error = None
        if config.on_success and self.deliverer is not None:
            try:
                self.deliverer.send_record(config.on_success, self._record(event), True, event)
                event.deliveries.append(f"on-success {config.on_success}")
            except Exception as e:  # the invocation still succeeded; the record is lost, said so
                self._metric("DestinationDeliveryFailures", event)
                log.warning("request %s: could not deliver the on-success record to %s: %s",
                            event.request_id, config.on_success, e)
        self._end(event, SUCCEEDED, SUCCESS)

    def _fail(self, event: AsyncEvent, condition: str, why: str, status: int | None = None
              ) -> None:
        """Retries are over: the on-failure destination and/or the DLQ get it, else drop it."""
        if status is not None:
            event.last_status = status
        event.condition = condition
        event.error = why
        config = self.config_for(event)
        problems: list[str] = []
        ended = None
        # dropped without a successful run; a destination or DLQ gets it first (DG)
        self._metric("AsyncEventsDropped", event)
        if config.on_failure and self.deliverer is not None:
            try:
                self.deliverer.send_record(config.on_failure, self._record(event), False, event)
                event.deliveries.append(f"on-failure {config.on_failure}")
                ended = DESTINATION
            except Exception as e:
                self._metric("DestinationDeliveryFailures", event)
                problems.append(f"on-failure destination {config.on_failure}: {e}")
        dlq = self._dead_letter_arn(event)
        if dlq and self.deliverer is not None:
            try:
                self.deliverer.send_dead_letter(dlq, event, self._error_message(event))
                event.deliveries.append(f"dlq {dlq}")
                ended = ended or DLQ
            except Exception as e:
                self._metric("DeadLetterErrors", event)
                problems.append(f"dead-letter queue {dlq}: {e}")
        for problem in problems:
            log.warning("request %s: could not deliver to the %s", event.request_id, problem)
        if ended is None:
            reason = f"{condition}: {why}"
            reason += ("; delivery failed: " + "; ".join(problems) if problems
                       else "; no on-failure destination or dead-letter queue")
            self._drop(event, reason, status=FAILED)
            return
        self._end(event, FAILED, ended)

    def _metric(self, metric: str, event: AsyncEvent, value: float = 1.0) -> None:
        """Report ``metric`` of ``event`` to the platform's CloudWatch metrics, if recorded."""
        recorder = getattr(self.platform, "metrics", None)
        if recorder is not None:
            recorder.record(metric, self.clock.now(), event.function_name, event.invoked_arn,
                            event.version, value)

    def _drop(self, event: AsyncEvent, why: str, status: str = DROPPED) -> None:
        log.warning("request %s to %s dropped: %s", event.request_id, event.invoked_arn, why)
        event.error = why
        self._end(event, status, DISCARDED)

    def _finish_dropped_locked(self, event: AsyncEvent, why: str) -> None:
        log.warning("request %s to %s dropped: %s", event.request_id, event.invoked_arn, why)
        event.error = why
        event.status, event.ended_in = DROPPED, DISCARDED
        event.done.set()

    @staticmethod
    def _end(event: AsyncEvent, status: str, ended_in: str) -> None:
        event.status, event.ended_in = status, ended_in
        event.done.set()

    def _dead_letter_arn(self, event: AsyncEvent) -> str:
        fn = self._function(event)
        version = fn.version(event.version) if fn is not None else None
        return getattr(version.config, "dead_letter_arn", "") if version is not None else ""

    @staticmethod
    def _error_message(event: AsyncEvent) -> str:
        if event.result is not None and event.result.function_error:
            try:
                return str(event.result.error_message or event.result.function_error)
            except (ValueError, AttributeError):
                return event.result.function_error
        return event.error or ""

    def _record(self, event: AsyncEvent) -> dict[str, Any]:
        from .destinations import invocation_record

        arn = event.invoked_arn if event.invoked_arn.count(":") >= 7 \
            else f"{event.invoked_arn}:$LATEST"
        return invocation_record(event, arn, self.clock.now())

    # ----------------------------------------------------------------- waiting, closing

    def settle(self, timeout: float | None = None) -> bool:
        """Wait until no event is queued or running (events waiting on a retry timer do not
        count); False on timeout."""
        with self._cond:
            return self._cond.wait_for(lambda: self._busy == 0, timeout)

    def busy(self) -> bool:
        """True while an event is queued or running."""
        return self._busy > 0

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every event has an outcome or waits for a retry on the clock (see
        :meth:`settle`); False on timeout."""
        return self.settle(timeout)

    def close(self, timeout: float = 30.0) -> None:
        """Drop events not yet started and those waiting for a retry (each with a log line),
        wait up to ``timeout`` s for running ones, stop the threads."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        for t in threads:
            t.join(timeout)
        with self._cond:
            for event in self.events:
                if event.status in (QUEUED, WAITING):
                    if event._timer is not None:
                        event._timer.cancel()
                    self._finish_dropped_locked(
                        event, "the platform shut down before it ran" if event.attempts == 0
                        and event.throttles == 0 else "the platform shut down before its retry")


def attempt_started() -> None:
    """Called by the platform once an invocation holds its concurrency slot: on a queue worker,
    the next queued attempt may now take its own."""
    release = getattr(_starting, "release", None)
    if release is not None:
        _starting.release = None
        release()


def reserved_concurrency(platform: Platform | None, fn: Function) -> int | None:
    """The function's reserved concurrency (None: unreserved), from the platform's concurrency
    model when it has one."""
    concurrency = getattr(platform, "concurrency", None)
    if concurrency is not None and hasattr(concurrency, "reserved"):
        value = concurrency.reserved(fn.name)
        return value if isinstance(value, int) else None
    return None


def advance(clock: VirtualClock, queues: Callable[[], Iterable[AsyncQueue]],
            seconds: float) -> int:
    """Fast-forward ``clock`` by ``seconds`` and return once everything that fell due has run.

    Moves from one due time to the next: at each, runs the timers due (in this thread), then
    waits for the events and retries they queued to run on the worker threads (concurrently, so
    retries due together can throttle each other) before time moves on, so an event enqueued
    half-way (a schedule firing inside a two-day advance) starts at its own time.
    Returns the number of timer callbacks run; raises ValueError for a negative or non-finite
    ``seconds`` and ClockCallbackError as :meth:`VirtualClock.advance`.
    """
    if not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"can only advance by a finite, non-negative time, got {seconds!r}")

    def settle() -> None:
        for q in queues():
            q.settle()

    settle()  # a first attempt in flight schedules its retry before time moves
    target = clock.now() + seconds
    count = 0
    _fast_forward.depth = getattr(_fast_forward, "depth", 0) + 1
    try:
        while True:
            due = clock.next_due()
            if due is None or due > target:
                break
            count += clock.run_until(due)
            settle()
        count += clock.run_until(target)
        while any(q.busy() for q in queues()):
            settle()
            count += clock.run_due()
    finally:
        _fast_forward.depth -= 1
    return count
