"""Lambda's CloudWatch metrics (namespace ``AWS/Lambda``), aggregated per minute of platform time.

Pure bookkeeping, no moto: the platform reports what happened (an invocation and its outcome, a
throttle, an async event queued, aged or dropped, a delivery failure, a stream batch's iterator
age) with :class:`MetricsRecorder`'s ``record_*`` methods, each one append to a deque (the hot
path). :meth:`MetricsRecorder.drain` turns what was recorded into one :class:`Datum` (sample
count, sum, minimum, maximum) per metric, dimension set and minute, for a front to publish.

Names, units and dimensions (DG "Types of metrics for Lambda functions", CloudWatch UG "AWS Lambda
metrics and dimensions"; Lambda sends metric data to CloudWatch in 1-minute intervals, and a
metric's timestamp is when the function was invoked):

* every metric is sent across all functions (no dimension), by ``FunctionName``, and — for an
  invocation through a version or alias — by ``FunctionName`` + ``Resource``
  (``function:qualifier``); through an alias also with ``ExecutedVersion`` (the version that ran).
  Whether AWS also sends ``Resource`` for unqualified invocations is not documented: not here;
* ``ConcurrentExecutions`` is the count of running invocations when one starts (view with
  Maximum): by ``FunctionName`` that function's, without dimensions the account's;
  ``UnreservedConcurrentExecutions`` (no dimension) the unreserved pool's.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

__all__ = ["NAMESPACE", "PERIOD_S", "UNITS", "Datum", "MetricsRecorder", "dimension_sets"]

NAMESPACE = "AWS/Lambda"
PERIOD_S = 60  #: Lambda's metrics have 1-minute granularity
#: Each metric the emulator publishes, with its CloudWatch unit.
UNITS = {
    "Invocations": "Count", "Errors": "Count", "Throttles": "Count",
    "Duration": "Milliseconds", "ConcurrentExecutions": "Count",
    "UnreservedConcurrentExecutions": "Count", "ProvisionedConcurrencyInvocations": "Count",
    "DeadLetterErrors": "Count", "DestinationDeliveryFailures": "Count",
    "IteratorAge": "Milliseconds", "AsyncEventsReceived": "Count",
    "AsyncEventAge": "Milliseconds", "AsyncEventsDropped": "Count",
}
Dims = tuple[tuple[str, str], ...]
#: ``(kind, time, function, invoked_arn, version, *values)``: one recorded fact.
Record = tuple[Any, ...]


@dataclass(frozen=True)
class Datum:
    """One metric's statistics over one minute for one dimension set."""

    metric: str
    dimensions: Dims
    minute: float  #: platform time (epoch seconds) the minute starts
    sample_count: float
    sum: float
    minimum: float
    maximum: float

    @property
    def unit(self) -> str:
        return UNITS[self.metric]


def dimension_sets(function: str, invoked_arn: str | None, version: str | None) -> list[Dims]:
    """The dimension sets a fact about ``function`` is published under (see the module doc)."""
    out: list[Dims] = [(), (("FunctionName", function),)]
    parts = invoked_arn.split(":") if invoked_arn else []
    qualifier = parts[7] if len(parts) > 7 else None
    if qualifier:
        resource = (("FunctionName", function), ("Resource", f"{function}:{qualifier}"))
        out.append(resource)
        is_alias = qualifier != "$LATEST" and not qualifier.isdigit()
        if is_alias and version:
            out.append((*resource, ("ExecutedVersion", version)))
    return out


class _Stat:
    __slots__ = ("count", "total", "low", "high")

    def __init__(self) -> None:
        self.count, self.total, self.low, self.high = 0.0, 0.0, math.inf, -math.inf

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if value < self.low:
            self.low = value
        if value > self.high:
            self.high = value

    def merge(self, other: _Stat) -> None:
        self.count += other.count
        self.total += other.total
        self.low = min(self.low, other.low)
        self.high = max(self.high, other.high)


class MetricsRecorder:
    """Facts recorded by the platform, drained into per-minute :class:`Datum` s.

    ``on_record``: called (with no argument) when a fact arrives while none is waiting, so a
    front can schedule a flush; it must be cheap and must not call back into the recorder."""

    def __init__(self, on_record: Callable[[], object] | None = None) -> None:
        self._facts: deque[Record] = deque()
        self.on_record = on_record
        self._armed = False

    def _add(self, fact: Record) -> None:
        self._facts.append(fact)  # deque.append is atomic: no lock on the hot path
        if not self._armed and self.on_record is not None:
            self._armed = True
            self.on_record()

    # ----------------------------------------------------------------- the hot path

    def record_invocation(self, t: float, function: str, invoked_arn: str | None, version: str,
                          duration_ms: float, error: bool, function_concurrency: int,
                          account_concurrency: int, unreserved_concurrency: int,
                          provisioned: bool) -> None:
        """The function ran (Invocations, Errors, Duration, concurrency) at ``t``, its start."""
        self._add(("inv", t, function, invoked_arn, version, duration_ms, error,
                   function_concurrency, account_concurrency, unreserved_concurrency,
                   provisioned))

    def record_throttle(self, t: float, function: str, invoked_arn: str | None) -> None:
        """An invocation request was throttled (Throttles)."""
        self._add(("thr", t, function, invoked_arn, None))

    def record(self, metric: str, t: float, function: str, invoked_arn: str | None,
               version: str | None, value: float = 1.0) -> None:
        """Any other metric of :data:`UNITS` (async, delivery, stream metrics)."""
        self._add(("val", t, function, invoked_arn, version, metric, value))

    # ----------------------------------------------------------------- draining

    def pending(self) -> bool:
        """Whether facts wait to be drained."""
        return bool(self._facts)

    def drain(self) -> list[Datum]:
        """Everything recorded so far, aggregated per metric, dimension set and minute."""
        self._armed = False  # a fact arriving from here on asks for another flush
        # first per (metric, where, minute), then once per dimension set of ``where``
        by_source: dict[tuple[str, tuple[str, str | None, str | None], float], _Stat] = {}

        def add(metric: str, where: tuple[str, str | None, str | None], minute: float,
                value: float) -> None:
            key = (metric, where, minute)
            stat = by_source.get(key)
            if stat is None:
                stat = by_source[key] = _Stat()
            stat.add(value)

        facts = self._facts
        while facts:
            try:
                fact = facts.popleft()
            except IndexError:  # pragma: no cover - another drain emptied it
                break
            kind, t, function, arn, version = fact[:5]
            minute = math.floor(t / PERIOD_S) * PERIOD_S
            where = (function, arn, version)
            if kind == "inv":
                duration, error, fn_conc, account_conc, unreserved, provisioned = fact[5:]
                add("Invocations", where, minute, 1.0)
                add("Errors", where, minute, 1.0 if error else 0.0)
                add("Duration", where, minute, float(duration))
                if provisioned:
                    add("ProvisionedConcurrencyInvocations", where, minute, 1.0)
                add("ConcurrentExecutions", ("", None, None), minute, float(account_conc))
                add("ConcurrentExecutions", (function, None, None), minute, float(fn_conc))
                add("UnreservedConcurrentExecutions", ("", None, None), minute,
                    float(unreserved))
            elif kind == "thr":
                add("Throttles", where, minute, 1.0)
            else:
                metric, value = fact[5:]
                add(metric, where, minute, float(value))
        stats: dict[tuple[str, Dims, float], _Stat] = {}
        for (metric, (function, arn, version), minute), part in by_source.items():
            if not function:  # account-wide only
                sets: list[Dims] = [()]
            elif metric == "ConcurrentExecutions":
                sets = [(("FunctionName", function),)]
            else:
                sets = dimension_sets(function, arn, version)
            for dims in sets:
                stat = stats.get((metric, dims, minute))
                if stat is None:
                    stat = stats[(metric, dims, minute)] = _Stat()
                stat.merge(part)
        return [Datum(metric, dims, minute, s.count, s.total, s.low, s.high)
                for (metric, dims, minute), s in stats.items()]
