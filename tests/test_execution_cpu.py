"""CPU share follows memory: 1,769 MB buys one vCPU, so 128 MB runs about 14x slower."""

from __future__ import annotations

import statistics

from lambda_lab.limits import MB_PER_VCPU

SPIN = """
import time

def handler(event, context):
    t = time.perf_counter()
    n = 0
    while n < event["n"]:
        n += 1
    return time.perf_counter() - t
"""


def test_cpu_share_proportional_to_memory_lambda_facts_cpu(deploy):
    """lambda-facts A 'CPU': 1,769 MB = 1 vCPU; a CPU-bound handler at 128 MB gets
    128/1769 of a core, so it runs about 13.8x slower (issue 2: 'about 14x')."""
    fast = deploy(SPIN, memory=MB_PER_VCPU, timeout=60)
    slow = deploy(SPIN, memory=128, timeout=60)
    fast.invoke({"n": 1000})
    slow.invoke({"n": 1000})
    n = 1_500_000
    t_fast = min(fast.invoke({"n": n}).payload for _ in range(2))
    t_slow = slow.invoke({"n": n}).payload
    ratio = t_slow / t_fast
    assert 7 < ratio < 28, ratio  # wide: other load on the machine skews both timings


def test_more_memory_is_faster_for_cpu_bound_work(deploy):
    """'If CPU-bound, increase RAM': 512 MB is about 2x faster than 256 MB."""
    a = deploy(SPIN, memory=256, timeout=60)
    b = deploy(SPIN, memory=512, timeout=60)
    n = 2_000_000  # runs of 0.3-0.6 s: many throttling periods, so little quantisation error
    # the median, not the minimum: a run the throttler happened to leave alone is an outlier
    # on the fast side
    t256 = statistics.median(a.invoke({"n": n}).payload for _ in range(3))
    t512 = statistics.median(b.invoke({"n": n}).payload for _ in range(3))
    assert 1.3 < t256 / t512 < 3.2
