"""The asynchronous invocation queue: Event invocations run later, on the platform's threads.

Every event ends somewhere explicit: ``succeeded``, ``failed`` (a function error, or an error
raised while running it) or ``dropped`` (the platform shut down before it ran). One attempt for
now; retries, event age and destinations hang on the platform clock later.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from ..execution.result import InvocationResult

__all__ = ["AsyncEvent", "AsyncQueue"]

QUEUED, RUNNING, SUCCEEDED, FAILED, DROPPED = "queued", "running", "succeeded", "failed", "dropped"


@dataclass(eq=False)
class AsyncEvent:
    """One Event invocation and what became of it."""

    request_id: str
    function_name: str
    version: str  #: the version chosen when it was queued (after alias routing)
    payload: bytes
    invoked_arn: str
    enqueued_at: float  #: platform time
    status: str = QUEUED
    result: InvocationResult | None = None
    error: str | None = None  #: why it failed or was dropped, when not a function error
    attempts: int = 0
    done: threading.Event = field(default_factory=threading.Event, repr=False)

    @property
    def finished(self) -> bool:
        return self.status in (SUCCEEDED, FAILED, DROPPED)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the event has an outcome; False on timeout."""
        return self.done.wait(timeout)


class AsyncQueue:
    """A FIFO of events served by up to ``workers`` daemon threads (started on demand)."""

    def __init__(self, run: Callable[[AsyncEvent], InvocationResult], *, workers: int = 8) -> None:
        self._run = run
        self._max_workers = workers
        self._queue: queue.SimpleQueue[AsyncEvent | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._idle = 0
        self._lock = threading.Lock()
        self._closed = False
        self.events: list[AsyncEvent] = []  #: every event ever queued, in order

    def submit(self, event: AsyncEvent) -> None:
        """Queue an event. Raises RuntimeError once the queue is closed."""
        with self._lock:
            if self._closed:
                raise RuntimeError("the platform is shut down")
            self.events.append(event)
            if self._idle == 0 and len(self._threads) < self._max_workers:
                t = threading.Thread(target=self._serve, name="lambda-lab-async", daemon=True)
                self._threads.append(t)
                self._idle += 1
                t.start()
            self._queue.put(event)

    def _serve(self) -> None:
        while True:
            event = self._queue.get()
            if event is None:
                return
            with self._lock:
                self._idle -= 1
                dropped = self._closed
            if dropped:
                self._finish(event, DROPPED, error="the platform shut down before it ran")
            else:
                self._attempt(event)
            with self._lock:
                self._idle += 1

    def _attempt(self, event: AsyncEvent) -> None:
        event.status = RUNNING
        event.attempts += 1
        try:
            result = self._run(event)
        except Exception as e:  # recorded, never silently lost
            self._finish(event, FAILED, error=f"{type(e).__name__}: {e}")
            return
        event.result = result
        self._finish(event, SUCCEEDED if result.function_error is None else FAILED)

    @staticmethod
    def _finish(event: AsyncEvent, status: str, error: str | None = None) -> None:
        event.status = status
        event.error = error
        event.done.set()

    def join(self, timeout: float | None = None) -> bool:
        """Wait until every event queued so far has an outcome; False on timeout."""
        with self._lock:
            pending = [e for e in self.events if not e.finished]
        for event in pending:
            if not event.wait(timeout):
                return False
        return True

    def close(self, timeout: float = 30.0) -> None:
        """Drop events not yet started, wait up to ``timeout`` s for running ones, stop threads."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
            threads = list(self._threads)
        for _ in threads:
            self._queue.put(None)
        for t in threads:
            t.join(timeout)
        for event in self.events:
            if event.status == QUEUED:
                self._finish(event, DROPPED, error="the platform shut down before it ran")
