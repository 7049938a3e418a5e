"""What every event source poller shares: one timer on the platform clock, start/wake/stop,
the mapping's Creating/Enabling/Disabling states settling at the first poll, and running a poll's
batches concurrently on a thread pool."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from ..platform.platform import Platform
    from .mappings import EventSourceMapping

T = TypeVar("T")
R = TypeVar("R")

MAX_THREADS = 32  #: batches of one poll run on at most this many threads at once


class ClockPoller:
    """A poller for one mapping, driven by one timer on the platform clock (``_tick``)."""

    def __init__(self, platform: Platform, m: EventSourceMapping) -> None:
        self.platform = platform
        self.m = m
        self.clock = platform.clock
        self._lock = threading.Lock()
        self._timer: Any = None
        self._stopped = False
        self._pool: ThreadPoolExecutor | None = None
        self.invocations = 0
        self.peak_concurrency = 0  #: most batches run at once so far

    def start(self) -> None:
        self._schedule(self.clock.now())

    def wake(self) -> None:
        self._schedule(self.clock.now())

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._timer is not None:
                self._timer.cancel()
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=False)

    def _run_all(self, invoke: Callable[[T], R], batches: list[T]) -> list[R]:
        """``invoke`` each batch, at once (the function runs them concurrently, as Lambda's
        pollers do); results in the batches' order."""
        self.peak_concurrency = max(self.peak_concurrency, len(batches))
        if len(batches) == 1:
            return [invoke(batches[0])]
        with self._lock:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(MAX_THREADS, f"lambda-lab-{type(self).__name__}")
            pool = self._pool
        return list(pool.map(invoke, batches))

    def _schedule(self, when: float) -> None:
        """Poll at ``when`` unless a poll is already due sooner."""
        with self._lock:
            if self._stopped:
                return
            timer = self._timer
            if timer is not None and timer.active:
                if timer.when <= when:
                    return
                timer.cancel()
            try:
                self._timer = self.clock.call_at(when, self._tick)
            except RuntimeError:  # the clock is closed: the session is ending
                self._stopped = True

    def _settle(self) -> bool:
        """Settle the mapping's state at a poll; whether it should poll now."""
        m = self.m
        if self._stopped:
            return False
        if m.state not in ("Enabled", "Disabled"):
            m.state = "Enabled" if m.enabled else "Disabled"
        return m.enabled

    def _tick(self) -> None:  # pragma: no cover - each poller defines its poll
        raise NotImplementedError
