"""The platform rules the simulator reads but does not own, gathered in one place.

Concurrency (limits, reserved and provisioned concurrency, both scaling rules) is not here: the
simulator admits every invocation through :class:`~lambda_lab.platform.concurrency.
ConcurrencyController` itself. What is here is either imported from the module that owns it or,
where that module does not exist yet, defined once with a TODO naming where it should come from.
"""

from __future__ import annotations

import math

from ..platform.asyncq import (
    BACKOFF_FIRST_S,
    BACKOFF_MAX_S,
    DEFAULT_MAX_EVENT_AGE_S,
    DEFAULT_RETRY_ATTEMPTS,
    RETRY_DELAYS_S,
)
from ..platform.concurrency import (
    BURST_2020,
    BURST_2020_DEFAULT,
    SCALE_2020_PER_MINUTE,
    SCALE_2023_ENVIRONMENTS,
    SCALE_2023_WINDOW_S,
    SCALING_RULES,
)
from ..sources.scaling import (
    SQS_MAX_CONCURRENCY,
    SQS_RULES,
    SQS_START_CONCURRENCY,
    sqs_concurrency_limit,
)

__all__ = [
    "BACKOFF_FIRST_S",
    "BACKOFF_MAX_S",
    "DEFAULT_MAX_EVENT_AGE_S",
    "DEFAULT_RETRY_ATTEMPTS",
    "RETRY_DELAYS_S",
    "SCALING_RULES",
    "SQS_INITIAL_BATCHES",
    "SQS_MAX_BATCHES",
    "SQS_SCALE_PER_MINUTE",
    "async_retry_delay",
    "keep_alive_s",
    "scaling_limit",
    "sqs_minutes_to_reach",
    "sqs_next_change",
    "sqs_target",
]

# The SQS scaling numbers and rule live once, with the real poller (lambda_lab.sources.scaling).
#: Concurrent batches an SQS event source mapping starts with (DG services-sqs-scaling).
SQS_INITIAL_BATCHES = SQS_START_CONCURRENCY
#: Concurrent executions the SQS poller may add per minute: today 300, the 2020 notes 60.
SQS_SCALE_PER_MINUTE = SQS_RULES
#: The most concurrent batches one standard-queue mapping reaches (MaximumConcurrency <= 1,000).
SQS_MAX_BATCHES = SQS_MAX_CONCURRENCY

def keep_alive_s() -> float:
    """Keep-alive of idle environments: the real executor's pool default
    (``lambda_lab.execution.pool.DEFAULT_KEEP_ALIVE_S``; AWS does not publish one). Read lazily:
    importing that module costs ~50 ms."""
    from ..execution.pool import DEFAULT_KEEP_ALIVE_S as value

    return float(value)


def sqs_target(elapsed_s: float, rule: str = "2023", maximum: int = SQS_MAX_BATCHES) -> int:
    """Concurrent batches an SQS mapping may run ``elapsed_s`` after messages started waiting:
    the real poller's rule (:func:`lambda_lab.sources.scaling.sqs_concurrency_limit`): 5 at first,
    then +300 per minute added continuously (2020: +60 at the end of every minute), up to
    ``maximum``. Raises ValueError for an unknown rule."""
    if rule not in SQS_SCALE_PER_MINUTE:
        raise ValueError(f"rule must be one of {SCALING_RULES}, got {rule!r}")
    # 1e-9: a step's own instant counts (0.2 s multiples are inexact in binary)
    return sqs_concurrency_limit(max(0.0, elapsed_s) + 1e-9, rule, maximum)


def sqs_next_change(elapsed_s: float, rule: str = "2023") -> float:
    """The elapsed time after ``elapsed_s`` at which :func:`sqs_target` next grows (before any
    cap): every 0.2 s under today's rule, at the next whole minute under the 2020 rule."""
    per_minute = SQS_SCALE_PER_MINUTE[rule]
    if rule == "2023":
        step = 60.0 / per_minute
        return (math.floor(elapsed_s / step + 1e-9) + 1) * step
    return (math.floor(elapsed_s / 60.0 + 1e-9) + 1) * 60.0


def sqs_minutes_to_reach(batches: int, rule: str = "2023") -> int:
    """Whole minutes of backlog before an SQS mapping runs ``batches`` concurrent batches
    (1,000: 4 minutes today, 17 under the 2020 rule)."""
    need = max(0, min(batches, SQS_MAX_BATCHES) - SQS_INITIAL_BATCHES)
    return math.ceil(need / SQS_SCALE_PER_MINUTE[rule])


def scaling_limit(elapsed_s: float, rule: str = "2023", region: str = "us-east-1") -> float:
    """New on-demand environments a function can have started ``elapsed_s`` after a burst began
    with full scaling tokens (the token buckets of ConcurrencyController, in closed form):
    2023: 1,000 then +1,000 per 10 s; 2020: the Region's burst then +500 per minute."""
    t = max(0.0, elapsed_s)
    if rule == "2023":
        return SCALE_2023_ENVIRONMENTS + SCALE_2023_ENVIRONMENTS / SCALE_2023_WINDOW_S * t
    if rule == "2020":
        return BURST_2020.get(region, BURST_2020_DEFAULT) + SCALE_2020_PER_MINUTE / 60.0 * t
    raise ValueError(f"rule must be one of {SCALING_RULES}, got {rule!r}")


def async_retry_delay(retries_so_far: int) -> float:
    """Seconds from a failed attempt's start to the next retry after a function error."""
    return RETRY_DELAYS_S[min(retries_so_far, len(RETRY_DELAYS_S) - 1)]
