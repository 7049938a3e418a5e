"""How many SQS batches an event source mapping may run at once (a pure function).

Standard queues (DG services-sqs-scaling; lambda-facts.md "SQS standard scaling"): the pollers
start with 5 concurrent batches and add up to 300 concurrent executions per minute while messages
wait, up to 1,000; a mapping's ``ScalingConfig.MaximumConcurrency`` (2-1,000) caps it. The seed
notes' 2020 rule (+60 per minute) is kept for teaching as ``rule="2020"``. FIFO queues: at most one
batch per active message group.
"""

from __future__ import annotations

import math

__all__ = ["SQS_MAX_CONCURRENCY", "SQS_RULES", "SQS_START_CONCURRENCY", "sqs_concurrency_limit"]

SQS_START_CONCURRENCY = 5
SQS_MAX_CONCURRENCY = 1_000
SQS_RULES = {"2023": 300, "2020": 60}  #: concurrent executions added per minute


def sqs_concurrency_limit(elapsed_s: float, rule: str = "2023", maximum: int | None = None,
                          *, fifo_groups: int | None = None) -> int:
    """Concurrent batches allowed ``elapsed_s`` seconds after messages started waiting.

    ``rule``: ``"2023"`` (+300 per minute, added continuously) or ``"2020"`` (+60 at the end of
    each minute); ``maximum``: the mapping's MaximumConcurrency (None: 1,000); ``fifo_groups``:
    for a FIFO queue, the number of message groups with messages waiting (the limit never exceeds
    it). Raises ValueError for an unknown rule or a negative time.
    """
    if rule not in SQS_RULES:
        raise ValueError(f"rule must be one of {sorted(SQS_RULES)}, got {rule!r}")
    if not elapsed_s >= 0:
        raise ValueError(f"elapsed_s must be >= 0, got {elapsed_s!r}")
    per_minute = SQS_RULES[rule]
    if rule == "2023":
        added = math.floor(per_minute * elapsed_s / 60.0)
    else:
        added = per_minute * math.floor(elapsed_s / 60.0)
    cap = SQS_MAX_CONCURRENCY if maximum is None else min(maximum, SQS_MAX_CONCURRENCY)
    limit = min(SQS_START_CONCURRENCY + added, cap)
    if fifo_groups is not None:
        limit = min(limit, fifo_groups)
    return max(limit, 0)
