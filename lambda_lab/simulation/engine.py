"""The simulator: the platform's concurrency model on a virtual clock, with modelled handlers.

Admission is :class:`~lambda_lab.platform.concurrency.ConcurrencyController` itself (account
limit, reserved and provisioned concurrency, the 2023 or 2020 scaling tokens, throttles): every
modelled invocation calls ``try_acquire`` and ``release`` exactly as the real platform does around
a real worker. Around it, the same environment lifecycle as the real executor's pool (idle
environments reused last-in first-out, a cold start with an init duration when none is idle,
keep-alive reclaim), the async queue's retry timings (:mod:`.rules`, read from
:mod:`lambda_lab.platform.asyncq`), and SQS and stream pollers.

Time is a :class:`SimClock`, a :class:`~lambda_lab.clock.VirtualClock` the simulator moves
itself. Platform timers (``changes``: e.g. a reservation changed at minute 5, provisioned
concurrency becoming READY) are ordinary timers on that clock. The invocations' own events (ends
of invocations, retries, poller ticks) live on a second heap of plain tuples that the same loop
merges in time order, and direct arrivals are a pre-drawn sorted list merged the same way:
a VirtualClock timer costs about 4.8 us (a Timer object, two locks) against 1.9 us for a tuple
on a bare heap, and the simulator runs two to four such events per invocation.
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from .. import limits
from ..clock import VirtualClock
from ..platform.concurrency import ConcurrencyController, Throttled
from . import rules
from .distributions import Distribution, as_distribution
from .result import (
    AsyncOutcome,
    SimulationResult,
    Source,
    StartType,
)
from .workloads import Invoke, SqsQueue, StreamShards, Workload

__all__ = ["FunctionModel", "SimClock", "Simulator", "simulate"]

VERSION = "1"
OK, ERROR, TIMEOUT = 0, 1, 2
_CAUSES = {"reserved": 0, "account": 1, "scaling": 2}
# Heap entry kinds: (time, seq, kind, a, b, c)
_END, _CALL = 0, 1
_CHUNK = 4096
_WARM, _COLD, _PROVISIONED = StartType.WARM, StartType.COLD, StartType.PROVISIONED
_heappush = heapq.heappush


@dataclass(frozen=True)
class FunctionModel:
    """A modelled handler and its function's configuration.

    ``duration`` and ``init`` are seconds or a :class:`~.distributions.Distribution` (a
    :class:`~.distributions.CpuBound` one depends on ``memory_mb``); ``error_rate`` is the chance
    an invocation raises; a duration above ``timeout_s`` is cut there and counts as an error.
    ``reserved`` and ``provisioned`` are its reserved and provisioned concurrency (the latter
    READY at ``provisioned_ready_s``). ``max_retries``, ``max_event_age_s`` and ``on_failure``
    (a destination ARN or name) are its asynchronous invocation settings. ``keep_alive_s``:
    how long an idle environment lives (None: the real executor's default).
    """

    name: str = "fn"
    duration: float | Distribution = 0.1
    init: float | Distribution = 0.25
    memory_mb: int = limits.MEMORY_DEFAULT_MB
    error_rate: float = 0.0
    timeout_s: float = float(limits.TIMEOUT_DEFAULT_S)
    reserved: int | None = None
    provisioned: int = 0
    provisioned_ready_s: float = 0.0
    architecture: str = "x86_64"
    keep_alive_s: float | None = None
    max_retries: int = rules.DEFAULT_RETRY_ATTEMPTS
    max_event_age_s: float = float(rules.DEFAULT_MAX_EVENT_AGE_S)
    on_failure: str | None = None

    def __post_init__(self) -> None:
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError(f"error_rate must be within 0-1, got {self.error_rate!r}")
        if not 0 <= self.max_retries <= 2:
            raise ValueError("max_retries must be 0, 1 or 2")
        if self.provisioned < 0 or (self.reserved is not None and self.reserved < 0):
            raise ValueError("concurrency settings cannot be negative")
        as_distribution(self.duration), as_distribution(self.init)  # TypeError early


class SimClock(VirtualClock):
    """A VirtualClock that the simulator's loop moves itself (single-threaded, no real time)."""

    def __init__(self, start: float = 0.0) -> None:
        super().__init__(start)

    def set(self, when: float) -> None:
        """Jump to ``when`` (the loop has already run every timer due before it)."""
        self._now = when


class _Draws:
    """One stream of random numbers, drawn from numpy in blocks and handed out one by one."""

    __slots__ = ("_sample", "_buf", "_i")

    def __init__(self, sample: Callable[[int], np.ndarray]) -> None:
        self._sample = sample
        self._buf: list[float] = []
        self._i = 0

    def next(self) -> float:
        i = self._i
        if i == len(self._buf):
            self._buf = self._sample(_CHUNK).tolist()
            i = 0
        self._i = i + 1
        return self._buf[i]


class _Fn:
    """The simulator's state for one function."""

    __slots__ = ("model", "index", "name", "idle", "keep_alive", "duration", "init", "errors",
                 "error_rate", "timeout", "deaths")

    def __init__(self, model: FunctionModel, index: int, rng: np.random.Generator) -> None:
        self.model = model
        self.index = index
        self.name = model.name
        self.idle: list[float] = []  # idle-since times of on-demand environments, LIFO
        self.keep_alive = (rules.keep_alive_s() if model.keep_alive_s is None
                           else float(model.keep_alive_s))
        dur, init, mem = as_distribution(model.duration), as_distribution(model.init), \
            model.memory_mb
        r1, r2, r3 = rng.spawn(3)
        self.duration = _Draws(lambda n: dur.sample(r1, n, mem))
        self.init = _Draws(lambda n: init.sample(r2, n, mem))
        self.errors = _Draws(lambda n: r3.random(n))
        self.error_rate = model.error_rate
        self.timeout = float(model.timeout_s)
        self.deaths: list[float] = []


class _Event:
    """One Event invocation in the async queue."""

    __slots__ = ("f", "enqueued", "started", "attempts", "retries", "throttles")

    def __init__(self, f: _Fn, t: float) -> None:
        self.f, self.enqueued, self.started = f, t, t
        self.attempts = self.retries = self.throttles = 0


class _Queue:
    """An SQS queue and its event source mapping's pollers."""

    __slots__ = ("cfg", "f", "msgs", "backlog", "active", "target", "visibility", "done",
                 "series", "producing_until", "rng", "retry_pending", "invisible", "since",
                 "scale_at")

    def __init__(self, cfg: SqsQueue, f: _Fn, rng: np.random.Generator) -> None:
        self.cfg, self.f, self.rng = cfg, f, rng
        self.msgs: deque[list[float]] = deque()  # [enqueued at, count], oldest first
        self.backlog = self.active = self.done = 0
        self.target = min(rules.SQS_INITIAL_BATCHES, cfg.max_concurrency)
        self.visibility = (cfg.visibility_timeout_s if cfg.visibility_timeout_s is not None
                           else 6.0 * f.timeout)
        self.series: list[tuple[float, int, float, int, int]] = []
        self.producing_until = cfg.start_s + cfg.duration_s
        self.retry_pending = False
        self.invisible = 0  # messages of failed batches waiting out their visibility timeout
        self.since: float | None = None  # when messages started waiting (the scaling clock)
        self.scale_at = -1.0  # when the next scaling step is due (-1: none scheduled)

    def busy(self, t: float) -> bool:
        """Messages waiting, in flight or invisible, or producers still writing."""
        return bool(self.backlog or self.active or self.invisible or t < self.producing_until)


class _Lane:
    __slots__ = ("msgs", "backlog", "busy")

    def __init__(self) -> None:
        self.msgs: deque[list[float]] = deque()
        self.backlog = 0
        self.busy = False


class _Stream:
    """A stream's shards (times the parallelization factor: lanes) and their pollers."""

    __slots__ = ("cfg", "f", "lanes", "series", "rng", "producing_until", "done")

    def __init__(self, cfg: StreamShards, f: _Fn, rng: np.random.Generator) -> None:
        self.cfg, self.f, self.rng = cfg, f, rng
        self.lanes = [_Lane() for _ in range(cfg.shards * cfg.parallelization)]
        self.series: list[tuple[float, int, float]] = []
        self.producing_until = cfg.start_s + cfg.duration_s
        self.done = 0

    def busy(self, t: float) -> bool:
        """Records waiting or in flight, or producers still writing."""
        return t < self.producing_until or any(lane.backlog or lane.busy for lane in self.lanes)


class Simulator:
    """One simulation run: build it, :meth:`run` it once, read the :class:`SimulationResult`.

    ``changes``: ``(time_s, callback(controller))`` platform timers, e.g.
    ``(300, lambda c: c.set_reserved("fn", 50))``. ``until_s``: stop there (default: when
    nothing is left to do). ``sample_s``: how often queue and stream backlogs are sampled.
    Raises ValueError for an unknown function or scaling rule, and the controller's errors for
    impossible reservations.
    """

    def __init__(self, functions: Sequence[FunctionModel], workloads: Sequence[Workload], *,
                 scaling_rule: str = "2023",
                 account_limit: int = limits.ACCOUNT_CONCURRENCY_DEFAULT,
                 region: str = "us-east-1", seed: int = 0, until_s: float | None = None,
                 sample_s: float = 1.0,
                 changes: Sequence[tuple[float, Callable[[ConcurrencyController], object]]] = ()
                 ) -> None:
        if scaling_rule not in rules.SCALING_RULES:
            raise ValueError(f"scaling_rule must be one of {rules.SCALING_RULES}")
        self.functions = list(functions)
        self.workloads = list(workloads)
        self.scaling_rule = scaling_rule
        self.region = region
        self.seed = seed
        self.until = math.inf if until_s is None else float(until_s)
        self.sample_s = float(sample_s)
        self.clock = SimClock(0.0)
        self.controller = ConcurrencyController(self.clock, account_limit=account_limit,
                                                scaling_rule=scaling_rule, region=region)
        root = np.random.default_rng(seed)
        fn_rngs = root.spawn(len(self.functions))
        self._rng_arrivals, self._rng_sources = root.spawn(2)
        self._fns: dict[str, _Fn] = {}
        for i, (m, r) in enumerate(zip(self.functions, fn_rngs, strict=True)):
            if m.name in self._fns:
                raise ValueError(f"two functions are named {m.name!r}")
            self._fns[m.name] = _Fn(m, i, r)
            if m.reserved is not None:
                self.controller.set_reserved(m.name, m.reserved)
            if m.provisioned:
                self.controller.set_provisioned(m.name, VERSION, m.provisioned)
                self.clock.call_at(m.provisioned_ready_s, self.controller.set_ready, m.name,
                                   VERSION, m.provisioned)
        for when, change in changes:
            self.clock.call_at(when, change, self.controller)
        for w in self.workloads:
            if w.function not in self._fns:
                raise ValueError(f"workload {w!r} invokes an unknown function {w.function!r}")
        self._heap: list[tuple] = []
        self._acquire = self.controller.try_acquire
        self._seq = 0
        self._inv: list[tuple] = []  # start, end, init, duration, fn, outcome, start type, source
        self._throttles: list[tuple[float, int, int, int]] = []  # time, fn, source, cause
        self._async: list[tuple] = []  # enqueued, ended, outcome, attempts, throttles, fn
        self._queues: list[_Queue] = []
        self._streams: list[_Stream] = []
        self._ran = False
        self._arrivals_left = False
        self.events = 0  #: events handled (arrivals, ends, retries, poller and sample ticks)

    # ----------------------------------------------------------------- scheduling

    def _push(self, t: float, kind: int, a: object, b: object = None, c: object = None) -> None:
        self._seq += 1
        heapq.heappush(self._heap, (t, self._seq, kind, a, b, c))

    def _call(self, t: float, method: Callable, a: object = None, b: object = None) -> None:
        self._push(t, _CALL, method, a, b)

    # ----------------------------------------------------------------- one invocation

    def _start(self, f: _Fn, t: float, source: int, done: object) -> int:
        """Admit and start one invocation at ``t``; returns -1 if throttled (recorded), else its
        outcome code. ``done`` (``(callback, arg)`` or None) runs as ``callback(end, arg,
        outcome)`` when it ends. The hot path: kept flat on purpose."""
        idle = f.idle
        if idle and t - idle[-1] >= f.keep_alive:
            self._reclaim(f)
        try:
            slot = self._acquire(f.name, VERSION, new_environment=not idle)
        except Throttled as e:
            self._throttles.append((t, f.index, source, _CAUSES.get(e.cause, 1)))
            return -1
        if slot.kind == "provisioned":
            init, start_type = 0.0, _PROVISIONED
        elif idle:
            idle.pop()
            init, start_type = 0.0, _WARM
        else:
            init, start_type = f.init.next(), _COLD
        draws = f.duration
        i = draws._i
        if i == len(draws._buf):
            draws._buf = draws._sample(_CHUNK).tolist()
            i = 0
        draws._i = i + 1
        d = draws._buf[i]
        outcome = OK
        if d >= f.timeout:
            d, outcome = f.timeout, TIMEOUT
        elif f.error_rate and f.errors.next() < f.error_rate:
            outcome = ERROR
        end = t + init + d
        self._inv.append((t, end, init, d, f.index, outcome, start_type, source))
        self._seq += 1
        _heappush(self._heap, (end, self._seq, _END, slot, f, done and (done, outcome)))
        return outcome

    def _reclaim(self, f: _Fn) -> None:
        """The most recently idle environment outlived keep-alive, so all idle ones did."""
        ka = f.keep_alive
        f.deaths.extend(since + ka for since in f.idle)
        f.idle.clear()

    # ----------------------------------------------------------------- async queue

    def _async_attempt(self, t: float, ev: _Event, _: object = None) -> None:
        f = ev.f
        m = f.model
        ev.started = t
        if t - ev.enqueued > m.max_event_age_s:
            self._async_fail(t, ev, AsyncOutcome.EVENT_AGE_EXCEEDED)
            return
        if self.controller.reserved(f.name) == 0:
            self._async_fail(t, ev, AsyncOutcome.ZERO_RESERVED)
            return
        if self._start(f, t, Source.ASYNC, (self._async_done, ev)) < 0:
            delay = min(rules.BACKOFF_FIRST_S * 2 ** ev.throttles, rules.BACKOFF_MAX_S)
            ev.throttles += 1
            self._async_schedule(t, ev, delay)
        else:
            ev.attempts += 1

    def _async_done(self, t: float, ev: _Event, outcome: int) -> None:
        if outcome == OK:
            self._async.append((ev.enqueued, t, AsyncOutcome.SUCCESS, ev.attempts, ev.throttles,
                                ev.f.index))
        elif ev.retries < ev.f.model.max_retries:
            delay = rules.async_retry_delay(ev.retries)
            ev.retries += 1
            self._async_schedule(t, ev, delay)
        else:
            self._async_fail(t, ev, AsyncOutcome.RETRIES_EXHAUSTED)

    def _async_schedule(self, t: float, ev: _Event, delay: float) -> None:
        """As the async queue: the next try ``delay`` after this attempt started, or expiry."""
        expiry = ev.enqueued + ev.f.model.max_event_age_s
        due = ev.started + delay
        if due > expiry:
            self._call(max(t, expiry), self._async_expire, ev)
        else:
            self._call(max(t, due), self._async_attempt, ev)

    def _async_expire(self, t: float, ev: _Event, _: object = None) -> None:
        self._async_fail(t, ev, AsyncOutcome.EVENT_AGE_EXCEEDED)

    def _async_fail(self, t: float, ev: _Event, why: int) -> None:
        """Retries are over: the on-failure destination takes it, else it is dropped."""
        ended = why if ev.f.model.on_failure is None else why | AsyncOutcome.TO_DESTINATION
        self._async.append((ev.enqueued, t, ended, ev.attempts, ev.throttles, ev.f.index))

    # ----------------------------------------------------------------- SQS

    def _sqs_begin(self, t: float, q: _Queue, _: object = None) -> None:
        if q.cfg.messages:
            self._sqs_arrive(q, [t, q.cfg.messages])
        if q.cfg.rate > 0 and q.producing_until > t:
            self._call(t + 1.0, self._sqs_produce, q)
        self._sqs_scale(t, q)

    def _sqs_produce(self, t: float, q: _Queue, _: object = None) -> None:
        n = int(q.rng.poisson(q.cfg.rate))
        if n:
            self._sqs_arrive(q, [t, n])
        if t + 1.0 <= q.producing_until:
            self._call(t + 1.0, self._sqs_produce, q)
        self._sqs_scale(t, q)

    @staticmethod
    def _sqs_arrive(q: _Queue, item: list[float], head: bool = False) -> None:
        """Messages become visible; after an empty queue the scaling starts again (as the real
        poller's does: its backlog clock resets at a poll that finds nothing)."""
        if not q.backlog:
            q.since, q.scale_at = None, -1.0
        if head:
            q.msgs.appendleft(item)
        else:
            q.msgs.append(item)
        q.backlog += int(item[1])

    def _sqs_scale(self, t: float, q: _Queue, due: object = None) -> None:
        """The real poller's scaling (:func:`rules.sqs_target`) while messages wait: a step
        each time the target grows (every 0.2 s today, each minute under the 2020 rule); back
        to the start once no message waits."""
        if due is not None:
            if due != q.scale_at:
                return  # superseded by a step scheduled later
            q.scale_at = -1.0
        rule, cap = self.scaling_rule, q.cfg.max_concurrency
        if q.backlog > 0:
            if q.since is None:
                q.since = t
            q.target = rules.sqs_target(t - q.since, rule, cap)
            if q.target < cap and q.scale_at < 0:
                q.scale_at = q.since + rules.sqs_next_change(t - q.since, rule)
                self._call(q.scale_at, self._sqs_scale, q, q.scale_at)
        else:
            q.since = None
            q.target = min(rules.SQS_INITIAL_BATCHES, cap)
        self._sqs_fill(t, q)

    def _sqs_fill(self, t: float, q: _Queue, why: object = None) -> None:
        if why == "retry":
            q.retry_pending = False
        while q.active < q.target and q.backlog > 0:
            n = min(q.cfg.batch_size, q.backlog)
            batch: list[list[float]] = []
            left = n
            while left:
                head = q.msgs[0]
                take = min(left, int(head[1]))
                batch.append([head[0], take])
                head[1] -= take
                left -= take
                if not head[1]:
                    q.msgs.popleft()
            q.backlog -= n
            if self._start(q.f, t, Source.SQS, (self._sqs_done, (q, batch, n, t))) < 0:
                for item in reversed(batch):  # not received: back at the head of the queue
                    q.msgs.appendleft(item)
                q.backlog += n
                if not q.retry_pending:  # the pollers back off for a second
                    q.retry_pending = True
                    self._call(t + 1.0, self._sqs_fill, q, "retry")
                return
            q.active += 1

    def _sqs_done(self, t: float, info: tuple, outcome: int) -> None:
        q, batch, n, received = info
        q.active -= 1
        if outcome == OK:
            q.done += n
        else:  # the whole batch is visible again once the visibility timeout since receipt ends
            q.invisible += n
            self._call(max(t, received + q.visibility), self._sqs_visible, q, batch)
        self._sqs_fill(t, q)

    def _sqs_visible(self, t: float, q: _Queue, batch: list) -> None:
        for item in reversed(batch):
            self._sqs_arrive(q, item, head=True)
            q.invisible -= int(item[1])
        self._sqs_scale(t, q)

    # ----------------------------------------------------------------- streams

    def _stream_begin(self, t: float, s: _Stream, _: object = None) -> None:
        pf = s.cfg.parallelization
        for i, lane in enumerate(s.lanes):  # a shard's backlog spread over its lanes
            n = s.cfg.backlog // pf + (1 if i % pf < s.cfg.backlog % pf else 0)
            if n:
                lane.msgs.append([t, n])
                lane.backlog += n
        if s.cfg.write_rate > 0 and s.producing_until > t:
            self._call(t + 1.0, self._stream_produce, s)
        self._stream_fill(t, s)

    def _stream_produce(self, t: float, s: _Stream, _: object = None) -> None:
        counts = s.rng.poisson(s.cfg.write_rate / s.cfg.parallelization, len(s.lanes))
        for lane, n in zip(s.lanes, counts.tolist(), strict=True):
            if n:
                lane.msgs.append([t, n])
                lane.backlog += n
        if t + 1.0 <= s.producing_until:
            self._call(t + 1.0, self._stream_produce, s)
        self._stream_fill(t, s)

    def _stream_fill(self, t: float, s: _Stream, _: object = None) -> None:
        for lane in s.lanes:
            if not lane.busy and lane.backlog:
                self._stream_batch(t, s, lane)

    def _stream_batch(self, t: float, s: _Stream, lane: _Lane) -> None:
        n = min(s.cfg.batch_size, lane.backlog)
        if self._start(s.f, t, Source.STREAM, (self._stream_done, (s, lane, n))) < 0:
            lane.busy = True  # the shard waits for the retry
            self._call(t + 1.0, self._stream_retry, s, lane)
            return
        lane.busy = True

    def _stream_retry(self, t: float, s: _Stream, lane: _Lane) -> None:
        lane.busy = False
        self._stream_batch(t, s, lane)

    def _stream_done(self, t: float, info: tuple, outcome: int) -> None:
        s, lane, n = info
        lane.busy = False
        if outcome == OK:  # the records leave the shard; the iterator moves on
            left = n
            while left:
                head = lane.msgs[0]
                take = min(left, int(head[1]))
                head[1] -= take
                left -= take
                if not head[1]:
                    lane.msgs.popleft()
            lane.backlog -= n
            s.done += n
        if lane.backlog:
            self._stream_batch(t, s, lane)

    # ----------------------------------------------------------------- sampling

    def _sample(self, t: float, _: object = None, __: object = None) -> None:
        for q in self._queues:
            age = t - q.msgs[0][0] if q.msgs else 0.0
            q.series.append((t, q.backlog, age, q.active, q.target))
        for s in self._streams:
            backlog = sum(lane.backlog for lane in s.lanes)
            age = max((t - lane.msgs[0][0] for lane in s.lanes if lane.msgs), default=0.0)
            s.series.append((t, backlog, age))
        if self._arrivals_left or any(p.busy(t) for p in (*self._queues, *self._streams)):
            self._call(t + self.sample_s, self._sample)

    # ----------------------------------------------------------------- the loop

    def _arrivals(self) -> tuple[list[float], list[int], list[bool]]:
        times, fns, kinds = [], [], []
        for w in self.workloads:
            if isinstance(w, Invoke):
                ts = w.arrivals.times(self._rng_arrivals)
                times.append(ts)
                fns.append(np.full(len(ts), self._fns[w.function].index))
                kinds.append(np.full(len(ts), w.asynchronous))
        if not times:
            return [], [], []
        t = np.concatenate(times)
        order = np.argsort(t, kind="stable")
        return (t[order].tolist(), np.concatenate(fns)[order].tolist(),
                np.concatenate(kinds)[order].tolist())

    def run(self) -> SimulationResult:
        """Run to the end once. Raises RuntimeError on a second call, and the clock's
        ClockCallbackError if a ``changes`` callback raised."""
        if self._ran:
            raise RuntimeError("a Simulator runs once; build another")
        self._ran = True
        by_index = list(self._fns.values())
        for w in self.workloads:
            if isinstance(w, SqsQueue):
                q = _Queue(w, self._fns[w.function], self._rng_sources.spawn(1)[0])
                self._queues.append(q)
                self._call(w.start_s, self._sqs_begin, q)
            elif isinstance(w, StreamShards):
                s = _Stream(w, self._fns[w.function], self._rng_sources.spawn(1)[0])
                self._streams.append(s)
                self._call(w.start_s, self._stream_begin, s)
        arr_t, arr_f, arr_async = self._arrivals()
        n_arr = len(arr_t)
        self._arrivals_left = n_arr > 0
        if self._queues or self._streams:
            self._call(0.0, self._sample)

        heap, heappop, clock, until = self._heap, heapq.heappop, self.clock, self.until
        release, start = self.controller.release, self._start
        sync_source = Source.SYNC
        next_timer = clock.next_due()
        next_timer = math.inf if next_timer is None else next_timer
        ai = events = 0
        t = 0.0
        while True:
            if ai < n_arr and (not heap or arr_t[ai] < heap[0][0]):
                t = arr_t[ai]
                if t > until:
                    break
                if t >= next_timer:
                    clock.run_until(t)
                    nt = clock.next_due()
                    next_timer = math.inf if nt is None else nt
                clock._now = t
                f = by_index[arr_f[ai]]
                if arr_async[ai]:
                    self._async_attempt(t, _Event(f, t))
                else:
                    start(f, t, sync_source, None)
                ai += 1
                events += 1
                if ai == n_arr:
                    self._arrivals_left = False
                continue
            if not heap:
                break
            t = heap[0][0]
            if t > until:
                break
            if t >= next_timer:
                clock.run_until(t)
                nt = clock.next_due()
                next_timer = math.inf if nt is None else nt
            t, _, kind, a, b, c = heappop(heap)
            clock._now = t
            events += 1
            if kind == _END:
                release(a)
                if a.kind != "provisioned":
                    b.idle.append(t)
                if c is not None:
                    (done, arg), outcome = c
                    done(t, arg, outcome)
            else:
                a(t, b, c)
        end = t if until == math.inf else until
        if next_timer <= end:
            clock.run_until(end)
        clock._now = max(clock._now, end)
        self.events = events
        return self._result(end)

    # ----------------------------------------------------------------- result

    def _result(self, end: float) -> SimulationResult:
        deaths_t: list[float] = []
        deaths_f: list[int] = []
        for f in self._fns.values():
            f.deaths.extend(since + f.keep_alive for since in f.idle)
            deaths_t += f.deaths
            deaths_f += [f.index] * len(f.deaths)
        return SimulationResult.build(
            functions=tuple(self.functions), scaling_rule=self.scaling_rule,
            account_limit=self.controller.account_limit, region=self.region, seed=self.seed,
            end_s=end, invocations=self._inv, throttles=self._throttles,
            async_events=self._async, env_deaths=(deaths_t, deaths_f),
            queues={q.cfg.name: q.series for q in self._queues},
            streams={s.cfg.name: s.series for s in self._streams},
            events=self.events)


def simulate(functions: FunctionModel | Sequence[FunctionModel],
             workloads: Workload | Sequence[Workload], **options: object) -> SimulationResult:
    """Build a :class:`Simulator` (same keyword options) and run it."""
    fns = [functions] if isinstance(functions, FunctionModel) else list(functions)
    wls = [workloads] if isinstance(workloads, (Invoke, SqsQueue, StreamShards)) \
        else list(workloads)
    return Simulator(fns, wls, **options).run()  # type: ignore[arg-type]
