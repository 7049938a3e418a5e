"""The platform model: functions, versions, aliases and weighted routing, the async queue.

Independent of moto and of any wire protocol: the AWS front (:mod:`lambda_lab.aws`) translates
requests into calls on :class:`Platform`, and a simulator can drive it with a modelled executor.
"""

from .asyncq import AsyncEvent, AsyncQueue
from .model import LATEST, Alias, Code, Executor, Function, FunctionConfig, Version
from .platform import DRY_RUN, EVENT, REQUEST_RESPONSE, Invocation, LogSink, Platform

__all__ = [
    "DRY_RUN",
    "EVENT",
    "LATEST",
    "REQUEST_RESPONSE",
    "Alias",
    "AsyncEvent",
    "AsyncQueue",
    "Code",
    "Executor",
    "Function",
    "FunctionConfig",
    "Invocation",
    "LogSink",
    "Platform",
    "Version",
]
