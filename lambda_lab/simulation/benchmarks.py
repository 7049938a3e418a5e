"""The simulator's benchmark figures (registered in :mod:`lambda_lab.bench`), each measured next
to its baseline in the same run.

* ``sim_ratio_vs_simpy``: events per second of the simulator divided by SimPy's on the same model
  (one function with a concurrency limit of 100, Poisson arrivals at 1,000/s, exponential
  durations of mean 0.1 s; an arrival over the limit is throttled), both counting the same model
  events (arrivals and ends), best of three interleaved runs each. Goal >= 2.
* ``burst_100k_s``: 100,000 invocations arriving within 10 s through the full platform model
  (account limit, scaling tokens, environments, billing), vs. a plain-Python loop over the same
  100k arrivals that only counts them against a fixed limit. Goal <= 1.0 s.

SimPy is a dev requirement, imported only here.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from .distributions import Exponential, LogNormal
from .engine import FunctionModel, Simulator
from .workloads import Burst, Invoke, Poisson

__all__ = ["burst_100k", "ratio_model", "simpy_model", "sim_vs_simpy"]

RATE, MEAN_S, LIMIT = 1000.0, 0.1, 100


def ratio_model(seconds: float, seed: int = 1) -> tuple[float, int, dict[str, int]]:
    """Our simulator on the ratio model: (wall seconds, model events, counts)."""
    sim = Simulator([FunctionModel("fn", duration=Exponential(MEAN_S), init=0.0, reserved=LIMIT)],
                    [Invoke("fn", Poisson(RATE, seconds))], seed=seed)
    t0 = time.perf_counter()
    r = sim.run()
    wall = time.perf_counter() - t0
    events = r.invocations * 2 + r.throttles
    return wall, events, {"admitted": r.invocations, "throttled": r.throttles}


def simpy_model(seconds: float, seed: int = 1) -> tuple[float, int, dict[str, int]]:
    """The same model in SimPy (a Resource of capacity LIMIT; arrivals over it are throttled):
    (wall seconds, model events, counts). The random numbers are drawn up front, as ours are."""
    import simpy

    rng = np.random.default_rng(seed)
    n = rng.poisson(RATE * seconds)
    arrivals = np.sort(rng.uniform(0.0, seconds, n))
    gaps = np.diff(arrivals, prepend=0.0).tolist()
    durations = rng.exponential(MEAN_S, n).tolist()
    t0 = time.perf_counter()
    env = simpy.Environment()
    fn = simpy.Resource(env, capacity=LIMIT)
    counts = {"admitted": 0, "throttled": 0}

    def invocation(request: Any, duration: float) -> Any:
        yield request
        yield env.timeout(duration)
        fn.release(request)

    def source() -> Any:
        for gap, duration in zip(gaps, durations, strict=True):
            yield env.timeout(gap)
            if fn.count < LIMIT:
                counts["admitted"] += 1
                env.process(invocation(fn.request(), duration))
            else:
                counts["throttled"] += 1

    env.process(source())
    env.run()
    wall = time.perf_counter() - t0
    return wall, counts["admitted"] * 2 + counts["throttled"], counts


def sim_vs_simpy(seconds: float = 100.0, repeats: int = 3) -> tuple[float, float]:
    """(our events per second, SimPy's), each the best of ``repeats`` interleaved runs."""
    ours, theirs = [], []
    for i in range(repeats):
        wall, events, _ = ratio_model(seconds, seed=i + 1)
        ours.append(events / wall)
        wall, events, _ = simpy_model(seconds, seed=i + 1)
        theirs.append(events / wall)
    return max(ours), max(theirs)


def burst_100k(repeats: int = 3) -> tuple[float, float, dict[str, Any]]:
    """(best wall seconds of the 100k burst through the simulator, of the plain loop baseline,
    the run's summary counts)."""
    best, base, counts = float("inf"), float("inf"), {}
    for _ in range(repeats):
        sim = Simulator([FunctionModel("fn", duration=LogNormal(0.1, 0.5), init=0.25)],
                        [Invoke("fn", Burst(100_000, at_s=0.0, over_s=10.0))], seed=7)
        t0 = time.perf_counter()
        r = sim.run()
        r.cost()
        best = min(best, time.perf_counter() - t0)
        counts = {"invocations": r.invocations, "throttles": r.throttles,
                  "cold_starts": r.cold_starts}
        arrivals = np.sort(np.random.default_rng(7).uniform(0.0, 10.0, 100_000)).tolist()
        t0 = time.perf_counter()
        admitted = 0
        for _t in arrivals:  # the baseline: one plain-Python step per arrival
            if admitted < 1000:
                admitted += 1
        base = min(base, time.perf_counter() - t0)
    return best, base, counts
