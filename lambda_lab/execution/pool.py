"""The environments of one function version: warm reuse, cold starts, keep-alive reclaim."""

from __future__ import annotations

import threading
from collections.abc import Callable

from ..clock import VirtualClock, default_clock
from .environment import EnvironmentInfo, ExecutionEnvironment
from .result import InvocationResult
from .spec import EnvironmentSpec

DEFAULT_KEEP_ALIVE_S = 600.0  # AWS does not publish it; idle environments last minutes


class EnvironmentPool:
    """Hands each invocation an idle warm environment, or starts a new one (a cold start).

    Concurrent invocations never share an environment. An environment idle for longer than
    ``keep_alive_s`` of platform time is shut down; so is one whose invocation failed hard
    (timeout, crash, out of memory, init error).
    """

    def __init__(self, spec: EnvironmentSpec, state_dir: str, *,
                 keep_alive_s: float = DEFAULT_KEEP_ALIVE_S, isolation: str = "auto",
                 clock: VirtualClock | None = None,
                 on_log: Callable[[ExecutionEnvironment, InvocationResult], None] | None = None
                 ) -> None:
        self.spec = spec
        self.state_dir = state_dir
        self.keep_alive_s = keep_alive_s
        self.isolation = isolation
        self.clock = clock or default_clock()
        self.on_log = on_log
        self._lock = threading.Lock()
        self._idle: list[tuple[float, ExecutionEnvironment]] = []  # (idle since, env), LIFO
        self._busy: set[ExecutionEnvironment] = set()
        self._pinned: set[ExecutionEnvironment] = set()  # provisioned: keep-alive never reclaims
        self._reaper = None
        self._closed = False
        #: Called with a pinned environment discarded after a failed invocation (crash,
        #: timeout, out of memory), after it was shut down: provisioned concurrency replaces it.
        self.on_pinned_lost: Callable[[ExecutionEnvironment], None] | None = None

    # ----------------------------------------------------------------- environments

    def new_environment(self, init_type: str = "on-demand",
                        init_timeout: float | None = None) -> ExecutionEnvironment:
        """Start an environment (run its init) and return it, not yet in the pool.

        ``init_timeout``: the init phase's limit (default: the on-demand one)."""
        env = ExecutionEnvironment(self.spec, self.state_dir, init_type=init_type,
                                   isolation=self.isolation, now=self.clock.now(),
                                   clock=self.clock)
        if init_timeout is None:
            env.start()
        else:
            env.start(init_timeout)
        return env

    def acquire(self) -> ExecutionEnvironment:
        """A warm idle environment if there is one, else a freshly started one (busy)."""
        with self._lock:
            if self._closed:
                raise RuntimeError("this function's environments were shut down")
            if self._idle:
                _, env = self._idle.pop()
                self._busy.add(env)
                return env
        env = self.new_environment()
        with self._lock:
            self._busy.add(env)
        return env

    def release(self, env: ExecutionEnvironment) -> None:
        """Return an environment after an invocation: kept warm if healthy, else shut down."""
        lost = False
        with self._lock:
            self._busy.discard(env)
            keep = env.state == "idle" and not self._closed
            if keep:
                self._idle.append((self.clock.now(), env))
                self._arm_reaper()
            else:
                lost = env in self._pinned and not self._closed
                self._pinned.discard(env)
        if not keep:
            env.shutdown()
            if lost and self.on_pinned_lost is not None:
                self.on_pinned_lost(env)

    def add_idle(self, env: ExecutionEnvironment, *, pinned: bool = False) -> None:
        """Put an environment started elsewhere (e.g. provisioned) into the idle set;
        ``pinned``: keep-alive never reclaims it (until :meth:`unpin`)."""
        with self._lock:
            if pinned:
                self._pinned.add(env)
            self._idle.append((self.clock.now(), env))
            self._arm_reaper()

    def unpin(self, envs: list[ExecutionEnvironment]) -> None:
        """Let pinned environments go: idle ones end now, busy ones live on as on-demand
        environments (reclaimed by keep-alive)."""
        gone = set(envs)
        with self._lock:
            self._pinned -= gone
            idle = [env for _, env in self._idle if env in gone]
            self._idle = [(s, e) for s, e in self._idle if e not in gone]
        for env in idle:
            env.shutdown()

    def invoke(self, payload: bytes, **kwargs) -> InvocationResult:
        """Run one invocation on an environment of this pool."""
        env = self.acquire()
        try:
            result = env.invoke(payload, **kwargs)
        finally:
            self.release(env)
        if self.on_log is not None:
            self.on_log(env, result)
        return result

    # ----------------------------------------------------------------- reclaim

    def _arm_reaper(self) -> None:
        if self._reaper is None and self._idle and self.keep_alive_s is not None:
            oldest = next((s for s, e in self._idle if e not in self._pinned), None)
            if oldest is not None:
                self._reaper = self.clock.call_at(oldest + self.keep_alive_s, self._reap)

    def _reap(self) -> None:
        now = self.clock.now()
        with self._lock:
            self._reaper = None
            expired = [env for since, env in self._idle
                       if now - since >= self.keep_alive_s and env not in self._pinned]
            self._idle = [(s, e) for s, e in self._idle
                          if now - s < self.keep_alive_s or e in self._pinned]
            self._arm_reaper()
        for env in expired:
            env.shutdown()

    def set_keep_alive(self, seconds: float) -> None:
        """Change how long idle environments live, and apply it now."""
        with self._lock:
            self.keep_alive_s = seconds
            if self._reaper is not None:
                self._reaper.cancel()
                self._reaper = None
            self._arm_reaper()
        self._reap()

    def environments(self) -> list[EnvironmentInfo]:
        """Every live environment: busy ones first, then idle from most recently used."""
        with self._lock:
            busy = [e.info() for e in self._busy]
            idle = [e.info() for _, e in reversed(self._idle)]
        return busy + idle

    @property
    def idle_count(self) -> int:
        return len(self._idle)

    @property
    def busy_count(self) -> int:
        return len(self._busy)

    def close(self) -> None:
        """Shut every environment down (busy ones when their invocation returns)."""
        with self._lock:
            self._closed = True
            idle, self._idle = self._idle, []
            if self._reaper is not None:
                self._reaper.cancel()
                self._reaper = None
        for _, env in idle:
            env.shutdown()
