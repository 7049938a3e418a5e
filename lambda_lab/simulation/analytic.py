"""Closed-form shortcuts for sliders, where an exact simulation is not needed (each well under a
millisecond; the simulator is the exact answer and the tests check these against it).

* Throttles of a function with concurrency limit ``c`` under Poisson arrivals: the Erlang B
  formula of an M/G/c/c loss system, exact in steady state whatever the duration distribution.
  It ignores cold starts' init time (add it to the mean duration for a cold-heavy load) and the
  scaling rate (a steady load is past the ramp).
* How fast concurrency can grow: the scaling tokens of ConcurrencyController in closed form.
* The SQS poller's ramp: the same step function the simulator uses.
* A month's cost: :func:`lambda_lab.billing.monthly_cost`.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .. import billing, limits
from . import rules

__all__ = ["erlang_b", "quick_estimate", "scaling_curve", "sqs_ramp"]

SECONDS_PER_MONTH = 30 * 86_400


def erlang_b(servers: int, load: float) -> float:
    """Probability that an arrival finds all ``servers`` busy, with offered ``load`` (arrival
    rate x mean duration, in Erlangs). Raises ValueError for negative inputs."""
    if servers < 0 or load < 0:
        raise ValueError("servers and load must be >= 0")
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def quick_estimate(rate: float, duration_s: float, *, memory_mb: int = 128,
                   limit: int = limits.ACCOUNT_CONCURRENCY_DEFAULT, architecture: str = "x86_64",
                   free_tier: bool = True) -> dict[str, Any]:
    """Steady state of ``rate`` requests per second of mean ``duration_s`` against a
    concurrency ``limit``: mean concurrency, throttle probability and rate, and the cost of a
    30-day month at that rate (billing.monthly_cost, free tier optional)."""
    load = rate * duration_s
    p = erlang_b(limit, load)
    served = rate * (1 - p)
    monthly = billing.monthly_cost(int(served * SECONDS_PER_MONTH), duration_s * 1000, memory_mb,
                                   architecture, free_tier)
    return {"offered_concurrency": load, "mean_concurrency": load * (1 - p),
            "throttle_probability": p, "throttles_per_s": rate * p, "served_per_s": served,
            "monthly_cost_usd": monthly.total_usd, "monthly_cost": monthly}


def scaling_curve(seconds: float, *, rule: str = "2023", region: str = "us-east-1",
                  account_limit: int = limits.ACCOUNT_CONCURRENCY_DEFAULT, step: float = 1.0
                  ) -> tuple[np.ndarray, np.ndarray]:
    """``(t, concurrency)``: the most environments one function can have at each time of a
    burst of long requests that starts with full scaling tokens, capped by the account limit."""
    t = np.arange(0.0, seconds + 1e-9, step)
    reach = np.array([math.floor(rules.scaling_limit(x, rule, region) + 1e-9) for x in t])
    return t, np.minimum(reach, account_limit)


def sqs_ramp(minutes: float, *, rule: str = "2023", maximum: int = rules.SQS_MAX_BATCHES
             ) -> tuple[np.ndarray, np.ndarray]:
    """``(minute, batches)``: concurrent batches an SQS mapping runs while a backlog lasts."""
    m = np.arange(0, int(minutes) + 1)
    return m, np.array([rules.sqs_target(60.0 * x, rule, maximum) for x in m])
