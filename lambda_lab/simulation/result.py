"""What a simulation produced: numpy arrays of every invocation, throttle and async outcome,
queue and stream samples, and the series, percentiles and costs computed from them."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .. import billing

if TYPE_CHECKING:
    from .engine import FunctionModel

__all__ = ["AsyncOutcome", "SimCost", "SimulationResult", "Source", "StartType"]


class Source:
    """Who invoked: a synchronous caller, the async queue, an SQS or a stream poller."""

    SYNC, ASYNC, SQS, STREAM = 0, 1, 2, 3
    NAMES = ("sync", "async", "sqs", "stream")


class StartType:
    """How an invocation found its environment."""

    WARM, COLD, PROVISIONED = 0, 1, 2
    NAMES = ("warm", "cold", "provisioned")


class AsyncOutcome:
    """How an Event invocation ended: success, or a failure condition, plus the
    ``TO_DESTINATION`` bit when an on-failure destination took its record (else dropped)."""

    SUCCESS, RETRIES_EXHAUSTED, EVENT_AGE_EXCEEDED, ZERO_RESERVED = 0, 1, 2, 3
    TO_DESTINATION = 8
    NAMES = ("Success", "RetriesExhausted", "EventAgeExceeded", "ZeroReservedConcurrency")


#: Invocation outcomes (``SimulationResult.outcome``).
OUTCOMES = ("ok", "error", "timeout")
#: Throttle causes (``SimulationResult.throttle_cause``), as ``Throttled.cause``.
CAUSES = ("reserved", "account", "scaling")


@dataclass(frozen=True)
class SimCost:
    """What the simulated invocations cost (us-east-1 prices by default)."""

    requests: int
    gb_seconds: float
    billable_requests: int  #: after the free tier, if applied
    billable_gb_seconds: float
    cost: billing.Cost


def _arr(rows: Sequence[tuple], width: int) -> np.ndarray:
    flat = itertools.chain.from_iterable(rows)  # 2-3x faster than np.asarray(rows)
    return np.fromiter(flat, dtype=float, count=len(rows) * width).reshape(-1, width)


@dataclass(eq=False)
class SimulationResult:
    """Everything one run produced (times in seconds from the start of the simulation).

    Per invocation: ``start``, ``end``, ``init`` (0 unless cold), ``duration`` (handler time),
    ``function`` (index into ``functions``), ``outcome`` (:data:`OUTCOMES`), ``start_type``
    (:class:`StartType`), ``source`` (:class:`Source`). Per throttle: ``throttle_time``,
    ``throttle_function``, ``throttle_source``, ``throttle_cause`` (:data:`CAUSES`). Per Event
    invocation: ``async_enqueued``, ``async_ended``, ``async_outcome`` (:class:`AsyncOutcome`),
    ``async_attempts``. ``queues``/``streams``: by name, arrays ``t``, ``backlog``, ``age``
    (of the oldest message or record) and, for queues, ``active`` and ``target`` batches.
    """

    functions: tuple[FunctionModel, ...]
    scaling_rule: str
    account_limit: int
    region: str
    seed: int
    end_s: float
    events: int
    start: np.ndarray
    end: np.ndarray
    init: np.ndarray
    duration: np.ndarray
    function: np.ndarray
    outcome: np.ndarray
    start_type: np.ndarray
    source: np.ndarray
    throttle_time: np.ndarray
    throttle_function: np.ndarray
    throttle_source: np.ndarray
    throttle_cause: np.ndarray
    async_enqueued: np.ndarray
    async_ended: np.ndarray
    async_outcome: np.ndarray
    async_attempts: np.ndarray
    env_death_time: np.ndarray
    env_death_function: np.ndarray
    queues: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    streams: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)

    @classmethod
    def build(cls, *, functions: tuple[FunctionModel, ...], scaling_rule: str,
              account_limit: int, region: str, seed: int, end_s: float, events: int,
              invocations: list[tuple], throttles: list[tuple], async_events: list[tuple],
              env_deaths: tuple[list[float], list[int]], queues: dict[str, list[tuple]],
              streams: dict[str, list[tuple]]) -> SimulationResult:
        """The result from the simulator's raw rows."""
        inv, thr, asy = _arr(invocations, 8), _arr(throttles, 4), _arr(async_events, 6)
        i = inv[:, 4:].astype(np.int64)
        qs = {name: dict(zip(("t", "backlog", "age", "active", "target"), _arr(rows, 5).T,
                             strict=True)) for name, rows in queues.items()}
        ss = {name: dict(zip(("t", "backlog", "age"), _arr(rows, 3).T, strict=True))
              for name, rows in streams.items()}
        return cls(functions, scaling_rule, account_limit, region, seed, end_s, events,
                   inv[:, 0], inv[:, 1], inv[:, 2], inv[:, 3], i[:, 0], i[:, 1], i[:, 2],
                   i[:, 3], thr[:, 0], thr[:, 1].astype(np.int64), thr[:, 2].astype(np.int64),
                   thr[:, 3].astype(np.int64), asy[:, 0], asy[:, 1], asy[:, 2].astype(np.int64),
                   asy[:, 3].astype(np.int64), np.asarray(env_deaths[0], dtype=float),
                   np.asarray(env_deaths[1], dtype=np.int64), qs, ss)

    # ----------------------------------------------------------------- counts

    def _fn(self, function: str | int | None) -> int | None:
        if function is None or isinstance(function, int):
            return function
        for i, m in enumerate(self.functions):
            if m.name == function:
                return i
        raise KeyError(f"no function {function!r} in this simulation")

    def _mask(self, function: str | int | None, source: int | None = None) -> np.ndarray:
        mask = np.ones(len(self.start), dtype=bool)
        fi = self._fn(function)
        if fi is not None:
            mask &= self.function == fi
        if source is not None:
            mask &= self.source == source
        return mask

    @property
    def invocations(self) -> int:
        """Invocations that ran (throttled attempts are not invocations)."""
        return len(self.start)

    @property
    def throttles(self) -> int:
        return len(self.throttle_time)

    @property
    def cold_starts(self) -> int:
        return int(np.count_nonzero(self.start_type == StartType.COLD))

    def throttles_by_cause(self) -> dict[str, int]:
        """Throttles by the rule that refused: reserved, account (unreserved pool), scaling."""
        counts = np.bincount(self.throttle_cause, minlength=len(CAUSES))
        return {name: int(n) for name, n in zip(CAUSES, counts, strict=True)}

    def async_outcomes(self) -> dict[str, int]:
        """Where Event invocations ended: ``success``, ``destination`` or ``dropped``."""
        out = self.async_outcome
        dest = (out & AsyncOutcome.TO_DESTINATION) != 0
        return {"success": int(np.count_nonzero(out == AsyncOutcome.SUCCESS)),
                "destination": int(np.count_nonzero(dest)),
                "dropped": int(np.count_nonzero((out != AsyncOutcome.SUCCESS) & ~dest))}

    # ----------------------------------------------------------------- series

    def grid(self, step: float = 1.0) -> np.ndarray:
        """Bin starts ``0, step, 2 step, ...`` up to the end of the simulation."""
        return np.arange(0.0, max(self.end_s, step) + 1e-9, step)

    def concurrency(self, step: float = 1.0, function: str | int | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
        """``(t, peak)``: the most invocations running at once within each bin."""
        mask = self._mask(function)
        starts, ends = self.start[mask], self.end[mask]
        times = np.concatenate([ends, starts])
        deltas = np.concatenate([-np.ones(len(ends)), np.ones(len(starts))])
        order = np.lexsort((deltas, times))  # at a tie, ends before starts
        times, level = times[order], np.cumsum(deltas[order])
        grid = self.grid(step)
        # level just before each bin start carries into the bin
        before = np.searchsorted(times, grid, side="right") - 1
        carried = np.where(before >= 0, level[np.maximum(before, 0)], 0.0)
        peak = carried.copy()
        if len(times):
            bins = np.minimum((times // step).astype(np.int64), len(grid) - 1)
            np.maximum.at(peak, bins, level)
        return grid, peak

    def peak_concurrency(self, function: str | int | None = None) -> int:
        """The most invocations that ever ran at once."""
        return int(self.concurrency(max(self.end_s, 1.0), function)[1].max(initial=0))

    def environments(self, step: float = 1.0, function: str | int | None = None
                     ) -> tuple[np.ndarray, np.ndarray]:
        """``(t, live)``: on-demand environments alive at each bin start (provisioned ones are
        not counted: they live as long as their configuration)."""
        grid = self.grid(step)
        mask = self._mask(function) & (self.start_type == StartType.COLD)
        births = np.sort(self.start[mask])
        fi = self._fn(function)
        deaths = np.sort(self.env_death_time if fi is None
                         else self.env_death_time[self.env_death_function == fi])
        live = np.searchsorted(births, grid, side="right") - np.searchsorted(deaths, grid,
                                                                             side="right")
        return grid, live

    def per_bin(self, times: np.ndarray, step: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        """``(t, count)``: how many of ``times`` fall in each bin."""
        grid = self.grid(step)
        bins = np.minimum((np.asarray(times) // step).astype(np.int64), len(grid) - 1)
        return grid, np.bincount(bins, minlength=len(grid))[: len(grid)]

    def throttle_series(self, step: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        return self.per_bin(self.throttle_time, step)

    def cold_start_series(self, step: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
        return self.per_bin(self.start[self.start_type == StartType.COLD], step)

    def latency(self, source: int | None = None, function: str | int | None = None
                ) -> np.ndarray:
        """Seconds from start to end of each invocation (init included)."""
        mask = self._mask(function, source)
        return self.end[mask] - self.start[mask]

    def latency_percentiles(self, percentiles: Sequence[float] = (50, 90, 99), *,
                            source: int | None = None, function: str | int | None = None
                            ) -> dict[float, float]:
        """Latency percentiles in seconds (NaN without invocations)."""
        lat = self.latency(source, function)
        if not len(lat):
            return {p: float("nan") for p in percentiles}
        values = np.percentile(lat, list(percentiles))
        return {p: float(v) for p, v in zip(percentiles, values, strict=True)}

    # ----------------------------------------------------------------- cost

    def cost(self, *, free_tier: bool = True, include_init: bool = True,
             pricing: billing.Pricing = billing.US_EAST_1) -> SimCost:
        """Requests and GB-seconds of every invocation, priced with :mod:`lambda_lab.billing`
        (billed duration per invocation, INIT included for on-demand cold starts by default);
        ``free_tier``: the month's free requests and GB-seconds come off first (this run taken
        as the whole month's usage). Provisioned concurrency's own prices are not modelled."""
        requests = len(self.start)
        by_arch: dict[str, float] = {}
        billed = billing.billed_duration_ms
        for i, m in enumerate(self.functions):
            mask = self.function == i
            if not mask.any():
                continue
            ms = sum(map(billed, (self.duration[mask] * 1000).tolist(),
                         (self.init[mask] * 1000).tolist(), itertools.repeat(include_init)))
            gbs = billing.gb_seconds(float(ms), m.memory_mb)
            by_arch[m.architecture] = by_arch.get(m.architecture, 0.0) + gbs
        total_gbs = sum(by_arch.values())
        free_req = billing.FREE_TIER_REQUESTS if free_tier else 0
        free_gbs = billing.FREE_TIER_GB_SECONDS if free_tier else 0.0
        billable_req = max(0, requests - free_req)
        compute, billable_gbs = 0.0, 0.0
        # the free GB-seconds go to the dearer architecture first
        for arch in sorted(by_arch, key=pricing.usd_per_gb_second, reverse=True):
            used = min(free_gbs, by_arch[arch])
            free_gbs -= used
            billable_gbs += by_arch[arch] - used
            compute += (by_arch[arch] - used) * pricing.usd_per_gb_second(arch)
        request_usd = billable_req * pricing.usd_per_request
        return SimCost(requests, total_gbs, billable_req, billable_gbs,
                       billing.Cost(request_usd, compute, request_usd + compute))

    # ----------------------------------------------------------------- summary

    def summary(self) -> dict[str, Any]:
        """The headline figures as plain Python values."""
        p = self.latency_percentiles((50, 90, 99))
        return {
            "scaling_rule": self.scaling_rule,
            "invocations": self.invocations,
            "throttles": self.throttles,
            "throttles_by_cause": self.throttles_by_cause(),
            "cold_starts": self.cold_starts,
            "errors": int(np.count_nonzero(self.outcome != 0)),
            "peak_concurrency": self.peak_concurrency(),
            "latency_p50_s": p[50], "latency_p90_s": p[90], "latency_p99_s": p[99],
            "async": self.async_outcomes(),
            "cost_usd": self.cost().cost.total_usd,
            "end_s": self.end_s,
        }
