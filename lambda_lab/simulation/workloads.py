"""Workloads: arrival processes of direct invocations, and event-source backlogs.

An arrival process turns a seeded numpy generator into sorted arrival times (seconds from the
start of the simulation); ``expected_count()`` says how many it produces on average, which the
analytic shortcuts and the tests use. A workload says where the arrivals go: :class:`Invoke`
(RequestResponse or Event invocations of one function), :class:`SqsQueue` (a queue with a backlog
and producers, polled by an event source mapping) or :class:`StreamShards` (K shards written at a
rate, one batch per shard at a time).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from .rules import SQS_MAX_BATCHES

__all__ = ["ArrivalProcess", "Burst", "ConstantRate", "Daily", "Invoke", "Poisson", "Ramp",
           "SqsQueue", "StreamShards", "Workload"]


@runtime_checkable
class ArrivalProcess(Protocol):
    """Sorted arrival times (seconds) drawn from ``rng``."""

    def times(self, rng: np.random.Generator) -> np.ndarray: ...

    def expected_count(self) -> float: ...

    def rate_at(self, t: float) -> float: ...


def _check(rate: float, duration_s: float) -> None:
    if rate < 0 or duration_s < 0:
        raise ValueError("rates and durations cannot be negative")


@dataclass(frozen=True)
class ConstantRate:
    """Exactly ``rate`` arrivals per second, evenly spaced, for ``duration_s`` from ``start_s``."""

    rate: float
    duration_s: float
    start_s: float = 0.0

    def __post_init__(self) -> None:
        _check(self.rate, self.duration_s)

    def times(self, rng: np.random.Generator) -> np.ndarray:
        n = int(math.floor(self.rate * self.duration_s + 1e-9))
        return self.start_s + np.arange(n) / self.rate if n else np.empty(0)

    def expected_count(self) -> float:
        return math.floor(self.rate * self.duration_s + 1e-9)

    def rate_at(self, t: float) -> float:
        return self.rate if self.start_s <= t < self.start_s + self.duration_s else 0.0


@dataclass(frozen=True)
class Poisson:
    """A Poisson process of ``rate`` per second for ``duration_s`` from ``start_s``."""

    rate: float
    duration_s: float
    start_s: float = 0.0

    def __post_init__(self) -> None:
        _check(self.rate, self.duration_s)

    def times(self, rng: np.random.Generator) -> np.ndarray:
        n = rng.poisson(self.rate * self.duration_s)
        return self.start_s + np.sort(rng.uniform(0.0, self.duration_s, n))

    def expected_count(self) -> float:
        return self.rate * self.duration_s

    def rate_at(self, t: float) -> float:
        return self.rate if self.start_s <= t < self.start_s + self.duration_s else 0.0


@dataclass(frozen=True)
class Burst:
    """``count`` arrivals at ``at_s`` all at once, or spread uniformly over ``over_s``."""

    count: int
    at_s: float = 0.0
    over_s: float = 0.0

    def __post_init__(self) -> None:
        _check(self.count, self.over_s)

    def times(self, rng: np.random.Generator) -> np.ndarray:
        if self.over_s <= 0:
            return np.full(self.count, float(self.at_s))
        return self.at_s + np.sort(rng.uniform(0.0, self.over_s, self.count))

    def expected_count(self) -> float:
        return float(self.count)

    def rate_at(self, t: float) -> float:
        if self.over_s <= 0:
            return math.inf if t == self.at_s and self.count else 0.0
        return self.count / self.over_s if self.at_s <= t < self.at_s + self.over_s else 0.0


@dataclass(frozen=True)
class Ramp:
    """Poisson arrivals whose rate moves linearly from ``from_rate`` to ``to_rate`` per second
    over ``duration_s`` (sampled exactly, by inverting the cumulative rate)."""

    from_rate: float
    to_rate: float
    duration_s: float
    start_s: float = 0.0

    def __post_init__(self) -> None:
        _check(min(self.from_rate, self.to_rate), self.duration_s)

    def expected_count(self) -> float:
        return (self.from_rate + self.to_rate) / 2 * self.duration_s

    def rate_at(self, t: float) -> float:
        x = t - self.start_s
        if not 0 <= x < self.duration_s:
            return 0.0
        return self.from_rate + (self.to_rate - self.from_rate) * x / self.duration_s

    def times(self, rng: np.random.Generator) -> np.ndarray:
        total = self.expected_count()
        n = rng.poisson(total)
        u = np.sort(rng.uniform(0.0, 1.0, n)) * total  # cumulative rate at each arrival
        a, b = self.from_rate, (self.to_rate - self.from_rate) / self.duration_s
        if abs(b) < 1e-12:
            x = u / a
        else:  # solve a x + b x^2 / 2 = u
            x = (-a + np.sqrt(np.maximum(a * a + 2 * b * u, 0.0))) / b
        return self.start_s + np.clip(x, 0.0, self.duration_s)


@dataclass(frozen=True)
class Daily:
    """A daily pattern: Poisson arrivals whose rate swings like a cosine between
    ``trough_rate`` and ``peak_rate`` (peak at ``peak_at_s`` into each ``period_s``), for
    ``duration_s`` (default one day). Sampled by thinning."""

    peak_rate: float
    trough_rate: float = 0.0
    duration_s: float = 86_400.0
    period_s: float = 86_400.0
    peak_at_s: float = 14 * 3600.0
    start_s: float = 0.0

    def __post_init__(self) -> None:
        _check(min(self.peak_rate, self.trough_rate), self.duration_s)
        if self.trough_rate > self.peak_rate:
            raise ValueError("trough_rate cannot exceed peak_rate")

    def rate_at(self, t: float) -> float:
        x = t - self.start_s
        if not 0 <= x < self.duration_s:
            return 0.0
        mid, amp = (self.peak_rate + self.trough_rate) / 2, (self.peak_rate - self.trough_rate) / 2
        return mid + amp * math.cos(2 * math.pi * (x - self.peak_at_s) / self.period_s)

    def expected_count(self) -> float:
        mid, amp = (self.peak_rate + self.trough_rate) / 2, (self.peak_rate - self.trough_rate) / 2
        w = 2 * math.pi / self.period_s
        integral = (math.sin(w * (self.duration_s - self.peak_at_s))
                    - math.sin(w * -self.peak_at_s)) / w
        return mid * self.duration_s + amp * integral

    def times(self, rng: np.random.Generator) -> np.ndarray:
        if self.peak_rate <= 0:
            return np.empty(0)
        n = rng.poisson(self.peak_rate * self.duration_s)
        x = np.sort(rng.uniform(0.0, self.duration_s, n))
        mid, amp = (self.peak_rate + self.trough_rate) / 2, (self.peak_rate - self.trough_rate) / 2
        rate = mid + amp * np.cos(2 * np.pi * (x - self.peak_at_s) / self.period_s)
        keep = rng.uniform(0.0, self.peak_rate, n) < rate
        return self.start_s + x[keep]


# ----------------------------------------------------------------- workloads

@dataclass(frozen=True)
class Invoke:
    """``arrivals`` invoke ``function`` directly: synchronously (RequestResponse: a throttle is
    the caller's 429) or, with ``asynchronous``, as Event invocations (the async queue retries
    throttles and function errors)."""

    function: str
    arrivals: ArrivalProcess
    asynchronous: bool = False


@dataclass(frozen=True)
class SqsQueue:
    """A standard SQS queue polled by an event source mapping of ``function``.

    ``messages`` wait at ``start_s``; producers add ``rate`` messages per second for
    ``duration_s`` (in whole-second Poisson lots). Batches of up to ``batch_size``; at most
    ``max_concurrency`` concurrent batches (MaximumConcurrency, 2-1,000). A failed batch
    becomes visible again after ``visibility_timeout_s`` (default: 6 x the function timeout).
    """

    function: str
    messages: int = 0
    rate: float = 0.0
    duration_s: float = 0.0
    batch_size: int = 10
    max_concurrency: int = SQS_MAX_BATCHES
    visibility_timeout_s: float | None = None
    start_s: float = 0.0
    name: str = "queue"

    def __post_init__(self) -> None:
        if self.messages < 0 or self.rate < 0 or self.batch_size < 1:
            raise ValueError("messages and rate must be >= 0 and batch_size >= 1")
        if not 2 <= self.max_concurrency <= SQS_MAX_BATCHES:
            raise ValueError(f"max_concurrency must be 2-{SQS_MAX_BATCHES}")


@dataclass(frozen=True)
class StreamShards:
    """A Kinesis or DynamoDB stream of ``shards`` shards, each written at ``write_rate``
    records per second for ``duration_s`` (whole-second lots) on top of ``backlog`` records
    waiting in each shard at ``start_s``. Each shard runs ``parallelization`` batches at a time
    (1-10) of up to ``batch_size`` records; a failed batch is retried until it succeeds (the
    current default, MaximumRetryAttempts -1), holding up its shard."""

    function: str
    shards: int = 1
    write_rate: float = 0.0
    duration_s: float = 0.0
    batch_size: int = 100
    backlog: int = 0
    parallelization: int = 1
    start_s: float = 0.0
    name: str = "stream"

    def __post_init__(self) -> None:
        if self.shards < 1 or not 1 <= self.parallelization <= 10 or self.batch_size < 1:
            raise ValueError("shards >= 1, parallelization 1-10 and batch_size >= 1")


Workload = Invoke | SqsQueue | StreamShards
