"""CloudWatch Logs' embedded metric format (EMF): log events that carry metrics become metrics.

CloudWatch UG "Specification: Embedded metric format": a log event whose message is a JSON object
with ``_aws: {"Timestamp": <epoch ms>, "CloudWatchMetrics": [MetricDirective, …]}`` is turned
into CloudWatch metrics. Each MetricDirective has a ``Namespace``, ``Dimensions`` (a list of
dimension sets, each a list of at most 30 keys naming root members with string values; every
set makes its own metric, ``[[]]`` a metric without dimensions) and ``Metrics`` (at most 100
MetricDefinitions: ``Name`` naming a root member whose value is a number or an array of at most
100 numbers, optional ``Unit`` and ``StorageResolution`` 1 or 60). A document that breaks the
specification is not turned into metrics (the log event is kept, as on AWS).

:func:`parse` reads one message (pure); :func:`install` patches moto's ``LogStream.put_log_events``
— the one place every log event goes through, PutLogEvents from any client and the platform's
own log writer alike, in every log group — so each stored event's metrics land in moto's
CloudWatch with the document's timestamp (a regular-resolution value stamped to its minute, a
high-resolution one to its second), where GetMetricStatistics, GetMetricData, ListMetrics and
metric alarms (:mod:`lambda_lab.aws.cloudwatch`) read them. Called by
:func:`lambda_lab.aws.cloudwatch.install` / ``uninstall``.

Not modelled: the ``AWS/Logs`` EMFValidationErrors / EMFParsingErrors metrics, the Infrequent
Access log class (which extracts no metrics), the 2-weeks-old / 2-hours-ahead timestamp window.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
from dataclasses import dataclass
from typing import Any
from unittest import mock

__all__ = ["Sample", "install", "parse", "uninstall"]

log = logging.getLogger("lambda_lab.emf")

MAX_METRICS = 100  #: MetricDefinitions per MetricDirective
MAX_VALUES = 100  #: values in one target member's array
MAX_DIMENSIONS = 30  #: keys in one DimensionSet
MAX_DIMENSION_VALUE = 1024  #: characters in a dimension's value
RESOLUTIONS = (1, 60)
#: CloudWatch's StandardUnit values (API MetricDatum Unit).
UNITS = frozenset((
    "Seconds Microseconds Milliseconds Bytes Kilobytes Megabytes Gigabytes Terabytes Bits "
    "Kilobits Megabits Gigabits Terabits Percent Count Bytes/Second Kilobytes/Second "
    "Megabytes/Second Gigabytes/Second Terabytes/Second Bits/Second Kilobits/Second "
    "Megabits/Second Gigabits/Second Terabits/Second Count/Second None").split())


@dataclass(frozen=True)
class Sample:
    """The values of one metric, for one dimension set, from one EMF document."""

    namespace: str
    name: str
    dimensions: tuple[tuple[str, str], ...]
    unit: str
    resolution: int
    timestamp_ms: float
    values: tuple[float, ...]


class _Invalid(ValueError):
    """The document breaks the specification."""


def _number(value: Any) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value))


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise _Invalid(f"not a non-empty string: {value!r}")
    return value


def parse(message: str) -> list[Sample]:
    """The metrics an EMF log event's ``message`` carries; ``[]`` if it is not an EMF document or
    breaks the specification (never raises)."""
    if "_aws" not in message:  # the common case: a plain log line
        return []
    try:
        root = json.loads(message)
    except ValueError:
        return []
    if not isinstance(root, dict) or "_aws" not in root:
        return []
    try:
        return _samples(root)
    except _Invalid as exc:
        log.debug("EMF document ignored: %s", exc)
        return []


def _samples(root: dict[str, Any]) -> list[Sample]:
    meta = root["_aws"]
    if not isinstance(meta, dict):
        raise _Invalid("_aws is not an object")
    stamp, directives = meta.get("Timestamp"), meta.get("CloudWatchMetrics")
    if not _number(stamp) or stamp < 0:
        raise _Invalid("_aws.Timestamp is not a number of milliseconds")
    if not isinstance(directives, list):
        raise _Invalid("_aws.CloudWatchMetrics is not an array")
    out: list[Sample] = []
    for directive in directives:
        if not isinstance(directive, dict):
            raise _Invalid("a MetricDirective is not an object")
        namespace = _name(directive.get("Namespace"))
        sets, metrics = directive.get("Dimensions"), directive.get("Metrics")
        if not isinstance(sets, list) or not isinstance(metrics, list):
            raise _Invalid("Dimensions and Metrics must be arrays")
        if len(metrics) > MAX_METRICS:
            raise _Invalid(f"more than {MAX_METRICS} MetricDefinitions")
        dimension_sets = [_dimension_set(root, keys) for keys in sets]
        for definition in metrics:
            name, unit, resolution, values = _metric(root, definition)
            out.extend(Sample(namespace, name, dims, unit, resolution, float(stamp), values)
                       for dims in dimension_sets)
    return out


def _dimension_set(root: dict[str, Any], keys: Any) -> tuple[tuple[str, str], ...]:
    if not isinstance(keys, list) or len(keys) > MAX_DIMENSIONS:
        raise _Invalid(f"a DimensionSet is not an array of at most {MAX_DIMENSIONS} keys")
    dims = []
    for key in keys:
        value = root.get(_name(key))
        if not isinstance(value, str) or not value or len(value) > MAX_DIMENSION_VALUE:
            raise _Invalid(f"dimension {key!r} has no string value on the root node")
        dims.append((key, value))
    return tuple(dims)


def _metric(root: dict[str, Any], definition: Any) -> tuple[str, str, int, tuple[float, ...]]:
    if not isinstance(definition, dict):
        raise _Invalid("a MetricDefinition is not an object")
    name = _name(definition.get("Name"))
    unit = definition.get("Unit", "None")
    if unit not in UNITS:
        raise _Invalid(f"unknown Unit {unit!r}")
    resolution = definition.get("StorageResolution", 60)
    if resolution not in RESOLUTIONS or isinstance(resolution, bool):
        raise _Invalid(f"StorageResolution {resolution!r} is not 1 or 60")
    value = root.get(name)
    values = value if isinstance(value, list) else [value]
    if not values or len(values) > MAX_VALUES or not all(_number(v) for v in values):
        raise _Invalid(f"metric {name!r} is not a number or an array of at most "
                       f"{MAX_VALUES} numbers")
    return name, unit, int(resolution), tuple(float(v) for v in values)


# ----------------------------------------------------------------- into moto's CloudWatch


def _stamp(sample: Sample) -> _dt.datetime:
    """The datum's time as moto keeps it (naive UTC), cut to the storage resolution."""
    seconds = sample.timestamp_ms / 1000.0
    step = 1 if sample.resolution == 1 else 60
    seconds = math.floor(seconds / step) * step
    return _dt.datetime.fromtimestamp(seconds, _dt.timezone.utc).replace(tzinfo=None)


def publish(account_id: str, region: str, samples: list[Sample]) -> None:
    """Put ``samples`` into moto's CloudWatch of ``account_id`` / ``region``, one datum a value."""
    from moto.cloudwatch.models import MetricDatum, cloudwatch_backends

    backend = cloudwatch_backends[account_id][region]
    data = []
    for s in samples:
        when = _stamp(s)
        dims = [{"Name": n, "Value": v} for n, v in s.dimensions]
        data.extend(MetricDatum(s.namespace, s.name, v, dims, when, s.unit) for v in s.values)
    backend.metric_data.extend(data)


_patch: Any = None


def install() -> None:
    """Extract EMF metrics from every log event stored from now on (idempotent)."""
    global _patch
    if _patch is not None:
        return
    from moto.logs.models import LogStream

    original = LogStream.put_log_events

    def put_log_events(self: Any, log_events: list[dict[str, Any]]) -> str:
        token = original(self, log_events)
        samples = [s for e in log_events for s in parse(str(e.get("message", "")))]
        if samples:
            publish(self.account_id, self.region, samples)
        return token

    _patch = mock.patch.object(LogStream, "put_log_events", put_log_events)
    _patch.start()


def uninstall() -> None:
    """Undo :func:`install` (idempotent)."""
    global _patch
    if _patch is not None:
        _patch.stop()
        _patch = None
