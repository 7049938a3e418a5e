"""Execution environments: worker processes that really run handlers under Lambda's limits."""

from .environment import EnvironmentGone, EnvironmentInfo, ExecutionEnvironment
from .result import InvocationResult
from .spec import EnvironmentSpec

__all__ = [
    "EnvironmentGone",
    "EnvironmentInfo",
    "EnvironmentSpec",
    "ExecutionEnvironment",
    "InvocationResult",
]
