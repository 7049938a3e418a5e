"""Modelled handler durations: distributions sampled in blocks with numpy.

A duration is in seconds. :class:`CpuBound` applies the engine's CPU-share rule (1 vCPU per
1,769 MB, at most 6, and no more vCPUs than the handler has threads), so its duration depends on
the function's memory. Plain numbers mean :class:`Constant`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import numpy as np

from .. import limits

__all__ = ["Constant", "CpuBound", "Distribution", "Exponential", "LogNormal", "Uniform",
           "as_distribution"]


@runtime_checkable
class Distribution(Protocol):
    """Seconds, drawn ``n`` at a time; ``memory_mb`` matters only to CPU-bound handlers."""

    def sample(self, rng: np.random.Generator, n: int, memory_mb: int) -> np.ndarray: ...

    def mean(self, memory_mb: int) -> float: ...


@dataclass(frozen=True)
class Constant:
    """Always ``seconds``."""

    seconds: float

    def sample(self, rng: np.random.Generator, n: int, memory_mb: int) -> np.ndarray:
        return np.full(n, float(self.seconds))

    def mean(self, memory_mb: int) -> float:
        return float(self.seconds)


@dataclass(frozen=True)
class Exponential:
    """Exponentially distributed with mean ``mean_s`` (memoryless: M/M/c queues)."""

    mean_s: float

    def sample(self, rng: np.random.Generator, n: int, memory_mb: int) -> np.ndarray:
        return rng.exponential(self.mean_s, n)

    def mean(self, memory_mb: int) -> float:
        return float(self.mean_s)


@dataclass(frozen=True)
class LogNormal:
    """Log-normal with median ``median_s`` and shape ``sigma``: a typical long-tailed latency."""

    median_s: float
    sigma: float = 0.5

    def sample(self, rng: np.random.Generator, n: int, memory_mb: int) -> np.ndarray:
        return rng.lognormal(math.log(self.median_s), self.sigma, n)

    def mean(self, memory_mb: int) -> float:
        return self.median_s * math.exp(self.sigma ** 2 / 2)


@dataclass(frozen=True)
class Uniform:
    """Uniform between ``low_s`` and ``high_s``."""

    low_s: float
    high_s: float

    def sample(self, rng: np.random.Generator, n: int, memory_mb: int) -> np.ndarray:
        return rng.uniform(self.low_s, self.high_s, n)

    def mean(self, memory_mb: int) -> float:
        return (self.low_s + self.high_s) / 2


@dataclass(frozen=True)
class CpuBound:
    """``cpu_s`` seconds of work on one full vCPU, plus ``io_s`` of waiting, with log-normal
    jitter ``sigma`` on the CPU part. The CPU share rule: speed = min(vCPUs for the memory,
    ``threads``), so 128 MB runs one-thread work about 13.8x slower than 1,769 MB, and more
    memory beyond one vCPU helps only a multi-threaded handler."""

    cpu_s: float
    threads: int = 1
    io_s: float = 0.0
    sigma: float = 0.0

    def speed(self, memory_mb: int) -> float:
        """vCPUs the handler can use at ``memory_mb``."""
        return min(limits.vcpus_for_memory(memory_mb), float(self.threads))

    def mean(self, memory_mb: int) -> float:
        jitter = math.exp(self.sigma ** 2 / 2)
        return self.io_s + self.cpu_s / self.speed(memory_mb) * jitter

    def sample(self, rng: np.random.Generator, n: int, memory_mb: int) -> np.ndarray:
        cpu = np.full(n, self.cpu_s / self.speed(memory_mb))
        if self.sigma:
            cpu *= rng.lognormal(0.0, self.sigma, n)
        return cpu + self.io_s


def as_distribution(value: float | Distribution) -> Distribution:
    """A distribution for ``value``: numbers become :class:`Constant`.

    Raises TypeError for anything else, ValueError for a negative constant."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"a duration cannot be negative, got {value!r}")
        return Constant(float(value))
    if isinstance(value, Distribution):
        return value
    raise TypeError(f"expected seconds or a Distribution, got {value!r}")
