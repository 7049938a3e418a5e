"""The one clock and timer scheduler behind every time-based part of the emulator.

Async retries, schedules, pollers, keep-alive reclaim and traffic shifting schedule their work here
and read platform time from ``clock.now()``; nothing else reads ``time.time()``. One heap of
``(when, priority, seq, timer)``, the sequence number making ties deterministic (as in SimPy).
:class:`VirtualClock` moves only when told; :class:`RealTimeClock` is a subclass that overrides how
time is read and moved, and fires due timers on a background thread.
"""

from __future__ import annotations

import heapq
import math
import threading
import time
from collections.abc import Callable
from typing import Any

__all__ = [
    "ClockCallbackError",
    "RealTimeClock",
    "Timer",
    "VirtualClock",
    "default_clock",
    "set_default_clock",
]

_PENDING, _FIRED, _CANCELLED = range(3)
Callback = Callable[..., object]
ErrorHandler = Callable[[BaseException], object]
Args = tuple[Any, ...]


class ClockCallbackError(Exception):
    """One or more timer callbacks raised (an ExceptionGroup stand-in that works on Python 3.10)."""

    def __init__(self, errors: list[BaseException]) -> None:
        #: Every exception raised by a callback, in the order they happened.
        self.errors = list(errors)
        shown = "; ".join(repr(e) for e in self.errors[:3])
        more = f" (+{len(self.errors) - 3} more)" if len(self.errors) > 3 else ""
        super().__init__(f"{len(self.errors)} timer callback(s) raised: {shown}{more}")


class Timer:
    """A scheduled callback; returned by ``call_at``/``call_later``, cancellable until it runs."""

    __slots__ = ("when", "priority", "callback", "args", "_clock", "_state")

    def __init__(
        self, clock: VirtualClock, when: float, priority: int, callback: Callback, args: Args
    ) -> None:
        #: Platform time (epoch seconds) at which the timer falls due.
        self.when = when
        #: Tie-breaker among timers due at the same time: lower runs first.
        self.priority = priority
        self.callback = callback
        self.args = args
        self._clock = clock
        self._state = _PENDING

    @property
    def active(self) -> bool:
        """True while the timer is still waiting to run (neither run nor cancelled)."""
        return self._state == _PENDING

    def cancel(self) -> bool:
        """Stop the timer from running. Returns False if it already ran or was cancelled."""
        return self._clock._cancel(self)

    def __repr__(self) -> str:
        state = ("pending", "fired", "cancelled")[self._state]
        name = getattr(self.callback, "__qualname__", repr(self.callback))
        return f"<Timer {name} at {self.when:.3f} priority={self.priority} {state}>"


class VirtualClock:
    """Platform time that moves only when told, and the heap of timers that run as it moves.

    ``start`` is the initial platform time in epoch seconds (default: the real time now).
    ``on_error(exc)``, if given, receives every exception a callback raises instead of having them
    raised as :class:`ClockCallbackError` at the end of ``advance``/``run_until``/``run_due``.
    Thread-safe: any thread may schedule or cancel; timers run one at a time, never under the heap
    lock, so callbacks may schedule, cancel and even ``advance`` (re-entrantly).
    """

    def __init__(self, start: float | None = None, *, on_error: ErrorHandler | None = None) -> None:
        self._now = time.time() if start is None else float(start)
        self.on_error = on_error
        #: Callback errors not yet reported (background-thread errors wait here for the caller).
        self.errors: list[BaseException] = []
        self._heap: list[tuple[float, int, int, Timer]] = []
        self._seq = 0
        self._live = 0
        self._closed = False
        self._lock = threading.RLock()  # guards the heap and the time
        self._dispatch = threading.RLock()  # one dispatcher at a time; re-entrant for callbacks

    # -- time -------------------------------------------------------------------------------
    def now(self) -> float:
        """Current platform time, in seconds since the epoch."""
        return self._now

    def _move_to(self, when: float) -> None:
        """Set platform time to ``when`` if that is later (called with the heap lock held)."""
        if when > self._now:
            self._now = when

    def _wake(self) -> None:
        """Hook: a new earliest timer was added (called with the heap lock held)."""

    # -- scheduling -------------------------------------------------------------------------
    def call_at(self, when: float, callback: Callback, *args: Any, priority: int = 0) -> Timer:
        """Run ``callback(*args)`` at platform time ``when`` (a past time means at the next run).

        Raises ValueError if ``when`` is NaN, RuntimeError if the clock is closed.
        """
        if math.isnan(when):
            raise ValueError("timer time must be a number, not NaN")
        with self._lock:
            if self._closed:
                raise RuntimeError("cannot schedule on a closed clock")
            timer = Timer(self, float(when), priority, callback, args)
            self._seq += 1
            heapq.heappush(self._heap, (timer.when, priority, self._seq, timer))
            self._live += 1
            if self._heap[0][3] is timer:
                self._wake()
            return timer

    def call_later(self, delay: float, callback: Callback, *args: Any, priority: int = 0) -> Timer:
        """Run ``callback(*args)`` after ``delay`` seconds of platform time (ValueError if < 0)."""
        if not delay >= 0:
            raise ValueError(f"delay must be >= 0, got {delay!r}")
        return self.call_at(self.now() + delay, callback, *args, priority=priority)

    def _cancel(self, timer: Timer) -> bool:
        with self._lock:
            if timer._state != _PENDING:
                return False
            timer._state = _CANCELLED
            self._live -= 1
            # Cancelled entries are skipped lazily; compact when they dominate the heap.
            if len(self._heap) > 64 and self._live < len(self._heap) // 2:
                self._heap = [e for e in self._heap if e[3]._state == _PENDING]
                heapq.heapify(self._heap)
            return True

    def _head(self) -> Timer | None:
        """The earliest pending timer, dropping cancelled ones on top (heap lock held)."""
        while self._heap and self._heap[0][3]._state != _PENDING:
            heapq.heappop(self._heap)
        return self._heap[0][3] if self._heap else None

    def next_due(self) -> float | None:
        """Platform time of the earliest pending timer, or None if there is none."""
        with self._lock:
            head = self._head()
            return None if head is None else head.when

    def pending(self) -> int:
        """Number of timers waiting to run."""
        return self._live

    # -- running ----------------------------------------------------------------------------
    def advance(self, seconds: float) -> int:
        """Move platform time forward by ``seconds``, running every timer that falls due.

        Timers run in order of (time, priority, insertion); platform time is set to each timer's
        due time while it runs, and timers that callbacks schedule inside the window also run.
        Returns the number of callbacks run. Raises ValueError if ``seconds`` is negative or not
        finite, and ClockCallbackError (after running everything) if any callback raised.
        """
        if not (math.isfinite(seconds) and seconds >= 0):
            raise ValueError(f"can only advance by a finite, non-negative time, got {seconds!r}")
        with self._dispatch:  # so ``now()`` is read after any running dispatch finishes
            return self.run_until(self.now() + seconds)

    def run_until(self, when: float) -> int:
        """Run every timer due at or before ``when``, then set platform time to ``when``.

        Time never moves backwards: a past ``when`` just runs what is already due. Returns the
        number of callbacks run; raises ClockCallbackError if any raised (see ``advance``).
        """
        if math.isnan(when):
            raise ValueError("run_until needs a number, not NaN")
        return self._run(when, report=True)

    def run_due(self) -> int:
        """Run the timers due at the current platform time; returns and raises as ``advance``."""
        return self._run(self.now(), report=True)

    def _run(self, until: float, *, report: bool) -> int:
        """Dispatch due timers; raise collected errors if ``report``, else keep them in .errors."""
        errors: list[BaseException] = []
        count = 0
        with self._dispatch:
            try:
                while True:
                    with self._lock:
                        timer = self._head()
                        if timer is None or timer.when > until:
                            self._move_to(until)
                            break
                        heapq.heappop(self._heap)
                        timer._state = _FIRED
                        self._live -= 1
                        self._move_to(timer.when)
                    count += 1
                    try:
                        timer.callback(*timer.args)
                    except Exception as exc:
                        self._report(exc, errors)
            finally:  # even a KeyboardInterrupt must not lose the errors collected so far
                with self._lock:
                    self.errors.extend(errors)
        if report:
            self._raise_errors()
        return count

    def _report(self, exc: BaseException, errors: list[BaseException]) -> None:
        if self.on_error is None:
            errors.append(exc)
            return
        try:
            self.on_error(exc)
        except Exception as handler_exc:  # a failing handler must not lose either error
            handler_exc.__context__ = exc
            errors.append(handler_exc)

    def _raise_errors(self) -> None:
        with self._lock:
            errors, self.errors = self.errors, []
        if errors:
            raise ClockCallbackError(errors) from errors[0]

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of platform time pass: on a VirtualClock, this is ``advance``."""
        self.advance(seconds)

    # -- lifetime ---------------------------------------------------------------------------
    def close(self) -> None:
        """Discard pending timers and refuse new ones; raises ClockCallbackError for unreported
        callback errors. Idempotent."""
        with self._lock:
            self._closed = True
            for entry in self._heap:
                entry[3]._state = _CANCELLED
            self._heap.clear()
            self._live = 0
        self._raise_errors()

    @property
    def closed(self) -> bool:
        """True once ``close()`` was called."""
        return self._closed

    def __enter__(self) -> VirtualClock:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} now={self.now():.3f} pending={self._live}>"


class RealTimeClock(VirtualClock):
    """Platform time that follows real time, with due timers fired by a background thread.

    ``now()`` is ``start + elapsed real time + offset`` (measured with ``time.monotonic`` so host
    clock jumps do not leak in); ``advance(seconds)`` adds to the offset and runs everything that
    fell due in the calling thread before returning. The daemon thread starts with the first timer
    and stops on ``close()``; its callback errors go to ``on_error`` or wait in ``.errors`` for the
    next ``advance``/``run_until``/``run_due``/``close`` to raise them.
    """

    def __init__(self, start: float | None = None, *, on_error: ErrorHandler | None = None) -> None:
        super().__init__(start, on_error=on_error)  # self._now holds the start time from here on
        self._mono_start = time.monotonic()
        self._offset = 0.0
        self._wakeup = threading.Condition(self._lock)
        self._thread: threading.Thread | None = None

    def now(self) -> float:
        return self._now + (time.monotonic() - self._mono_start) + self._offset

    def _move_to(self, when: float) -> None:
        ahead = when - self.now()
        if ahead > 0:
            self._offset += ahead
            self._wakeup.notify_all()  # the thread and sleepers re-check their deadlines

    def _wake(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(
                target=self._background, name="lambda-lab-clock", daemon=True
            )
            self._thread.start()
        self._wakeup.notify_all()

    def _background(self) -> None:
        try:
            while True:
                with self._lock:
                    while not self._closed:
                        head = self._head()
                        delay = None if head is None else head.when - self.now()
                        if delay is not None and delay <= 0:
                            break
                        self._wakeup.wait(delay)
                    if self._closed:
                        return
                self._run(self.now(), report=False)
        except BaseException as exc:  # e.g. SystemExit from a callback: record it, never vanish
            with self._lock:
                self.errors.append(exc)

    def sleep(self, seconds: float) -> None:
        """Really wait until platform time has moved ``seconds`` (sooner if someone advances);
        raises ValueError if ``seconds`` is negative."""
        if not seconds >= 0:
            raise ValueError(f"cannot sleep for {seconds!r} seconds")
        deadline = self.now() + seconds
        with self._lock:
            while (left := deadline - self.now()) > 0:
                self._wakeup.wait(left)

    def close(self) -> None:
        """Stop the background thread (waiting for a running callback), then as VirtualClock."""
        with self._lock:
            self._closed = True
            self._wakeup.notify_all()
            thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        super().close()


_default: VirtualClock | None = None
_default_lock = threading.Lock()


def default_clock() -> VirtualClock:
    """The process-wide shared clock: a RealTimeClock created on first use (or after it was
    closed), unless :func:`set_default_clock` installed another."""
    global _default
    with _default_lock:
        if _default is None or _default.closed:
            _default = RealTimeClock()
        return _default


def set_default_clock(clock: VirtualClock | None) -> VirtualClock | None:
    """Install ``clock`` as the shared clock (None: a fresh RealTimeClock on next use).

    Returns the previous one so callers can restore it; the previous clock is not closed.
    """
    global _default
    with _default_lock:
        previous, _default = _default, clock
        return previous
