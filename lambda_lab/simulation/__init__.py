"""Simulation at scale: the platform model on a virtual clock, with modelled handlers.

    from lambda_lab.simulation import FunctionModel, Invoke, Poisson, simulate
    result = simulate(FunctionModel("api", duration=LogNormal(0.12)),
                      Invoke("api", Poisson(rate=500, duration_s=600)), scaling_rule="2020")
    result.summary(); figure_concurrency(result)

Admission goes through the platform's own ConcurrencyController (no second copy of its rules);
:mod:`.analytic` has closed-form shortcuts for sliders where an exact simulation is not needed.
matplotlib is imported only by the ``figure_*`` functions.
"""

from __future__ import annotations

from .analytic import (
    erlang_b,
    quick_estimate,
    scaling_curve,
    sqs_ramp,
)
from .distributions import Constant, CpuBound, Distribution, Exponential, LogNormal, Uniform
from .engine import FunctionModel, SimClock, Simulator, simulate
from .figures import (
    figure_cold_starts,
    figure_concurrency,
    figure_cost,
    figure_latency,
    figure_queue,
    figure_rules,
    figure_throttles,
)
from .result import AsyncOutcome, SimCost, SimulationResult, Source, StartType
from .rules import scaling_limit, sqs_minutes_to_reach, sqs_target
from .workloads import (
    Burst,
    ConstantRate,
    Daily,
    Invoke,
    Poisson,
    Ramp,
    SqsQueue,
    StreamShards,
)

__all__ = [
    "AsyncOutcome", "Burst", "Constant", "ConstantRate", "CpuBound", "Daily", "Distribution",
    "Exponential", "FunctionModel", "Invoke", "LogNormal", "Poisson", "Ramp", "SimClock",
    "SimCost", "SimulationResult", "Simulator", "Source", "SqsQueue", "StartType",
    "StreamShards", "Uniform", "erlang_b", "figure_cold_starts", "figure_concurrency",
    "figure_cost", "figure_latency", "figure_queue", "figure_rules", "figure_throttles",
    "quick_estimate", "scaling_curve", "scaling_limit", "simulate", "sqs_minutes_to_reach",
    "sqs_ramp", "sqs_target",
]
