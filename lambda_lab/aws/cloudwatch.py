"""The moto bridge for CloudWatch: Lambda's metrics, and metric alarms evaluated on the clock.

moto 5 keeps metric data and alarms but Lambda publishes nothing to it and no alarm is ever
evaluated. For the session ``aws``, :func:`install`:

* gives every platform a :class:`~lambda_lab.platform.metrics.MetricsRecorder` (:func:`attach`)
  whose per-minute statistics go into moto's CloudWatch as ``AWS/Lambda`` metrics at the end
  of each minute of platform time, and before any read (GetMetricStatistics, GetMetricData,
  ListMetrics);
* reads metrics as CloudWatch does: a metric is its namespace, name and *exact* dimension set
  (CloudWatch UG "Dimensions": statistics are not aggregated across dimension combinations
  that were not published); ListMetrics lists each metric once;
* evaluates each metric alarm (Statistic, Period, EvaluationPeriods, DatapointsToAlarm,
  Threshold, ComparisonOperator, TreatMissingData) when created and then every Period of
  platform time, as the UG "Evaluating an alarm" and "How alarm state is evaluated when data is
  missing" describe (an evaluation range of EvaluationPeriods + 2 periods, as in the UG's
  tables); a new alarm starts INSUFFICIENT_DATA and an updated one keeps its state (API
  PutMetricAlarm);
* turns embedded-metric-format log events of every log group into metrics (:mod:`.emf`);
* on a state change (the evaluator's or SetAlarmState's) records DescribeAlarmHistory items,
  publishes AWS's alarm message to the SNS topics among the new state's actions, and goes
  through moto's ``Alarm.update_state``, which the CodeDeploy bridge watches for rollbacks.

Alarms on metric math (``Metrics``), percentiles (``ExtendedStatistic``) and anomaly bands are
kept as moto keeps them, never evaluated. :func:`install` is called by :meth:`MockAWS.start`
(after :func:`lambda_lab.aws.codedeploy.install`), :func:`uninstall` by :meth:`MockAWS.stop`.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import math
import threading
from typing import Any
from unittest import mock

from ..clock import Timer
from ..platform.metrics import NAMESPACE, MetricsRecorder
from . import emf

__all__ = ["alarm_message", "attach", "evaluate_state", "install", "uninstall"]

log = logging.getLogger("lambda_lab.cloudwatch")

OK, ALARM, INSUFFICIENT = "OK", "ALARM", "INSUFFICIENT_DATA"
MISSING, IGNORE, BREACHING, NOT_BREACHING = "missing", "ignore", "breaching", "notBreaching"
EXTRA_PERIODS = 2  #: the evaluation range: EvaluationPeriods + 2 periods (the UG's tables)
_COMPARE = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}
#: Region names in alarm messages ("Region" and the subject); others show their code.
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)", "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)", "us-west-2": "US West (Oregon)",
    "eu-west-1": "EU (Ireland)", "eu-central-1": "EU (Frankfurt)",
    "ap-northeast-1": "Asia Pacific (Tokyo)", "ap-southeast-2": "Asia Pacific (Sydney)",
}

_installed: dict[int, _Bridge] = {}
_lock = threading.Lock()


def _utc(t: float) -> _dt.datetime:
    """Platform time as moto keeps timestamps: a naive UTC datetime."""
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).replace(tzinfo=None)


def _iso(t: float) -> str:
    """AWS's timestamps in alarm messages: ``2017-01-12T16:30:42.236+0000``."""
    d = _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}+0000"


def _dims_of(dimensions: Any) -> tuple[tuple[str, str], ...]:
    """A dimension set as a sorted tuple, from moto Dimensions or API dicts."""
    out = []
    for d in dimensions or ():
        if isinstance(d, dict):
            out.append((d.get("Name"), d.get("Value")))
        else:
            out.append((d.name, d.value))
    return tuple(sorted(out))


# ----------------------------------------------------------------- the session


class _Bridge:
    """One session's recorders, flush timer and alarm timers."""

    def __init__(self, aws: Any) -> None:
        self.aws = aws
        self.clock = aws.clock
        self.lock = threading.RLock()
        self.recorders: list[tuple[str, str, MetricsRecorder]] = []
        self.timers: dict[int, Timer] = {}  #: id(alarm) -> its next evaluation
        self.flush_timer: Timer | None = None
        self.closed = False
        self.patches: list[Any] = []  #: moto patches, undone by :func:`uninstall`

    def arm(self) -> None:
        """A fact arrived: flush at the end of this minute of platform time."""
        with self.lock:
            if self.closed or (self.flush_timer is not None and self.flush_timer.active):
                return
            end = (math.floor(self.clock.now() / 60) + 1) * 60
            try:
                self.flush_timer = self.clock.call_at(end, self.flush)
            except RuntimeError:  # the clock is closed: the session is ending
                pass

    def flush(self) -> None:
        """Put every recorded fact into moto's CloudWatch."""
        from moto.cloudwatch.models import MetricAggregatedDatum, cloudwatch_backends

        with self.lock:
            recorders = list(self.recorders)
        for account, region, recorder in recorders:
            if not recorder.pending():
                continue
            data = [MetricAggregatedDatum(
                NAMESPACE, d.metric, min_stat=d.minimum, max_stat=d.maximum,
                sample_count=d.sample_count, sum_stat=d.sum,
                dimensions=[{"Name": n, "Value": v} for n, v in d.dimensions],
                timestamp=_utc(d.minute), unit=d.unit) for d in recorder.drain()]
            cloudwatch_backends[account][region].metric_data.extend(data)

    def schedule(self, backend: Any, alarm: Any, when: float) -> None:
        with self.lock:
            if self.closed:
                return
            old = self.timers.pop(id(alarm), None)
            if old is not None:
                old.cancel()
            self.timers[id(alarm)] = self.clock.call_at(when, self.evaluate, backend, alarm)

    def evaluate(self, backend: Any, alarm: Any) -> None:
        """Timer: evaluate ``alarm`` now, then again at the next period boundary."""
        with self.lock:
            self.timers.pop(id(alarm), None)
            if self.closed or backend.alarms.get(alarm.name) is not alarm:
                return  # deleted or replaced
        period = int(alarm.period or 60)
        now = self.clock.now()
        try:
            self.flush()
            _evaluate(backend, alarm, now)
        finally:
            self.schedule(backend, alarm, (math.floor(now / period) + 1) * period)

    def close(self) -> None:
        with self.lock:
            self.closed = True
            timers = [*self.timers.values(), *([self.flush_timer] if self.flush_timer else [])]
            self.timers.clear()
        for timer in timers:
            timer.cancel()


def attach(aws: Any, platform: Any) -> None:
    """Record ``platform``'s metrics for the session ``aws`` (called for each new platform)."""
    bridge = _installed.get(id(aws))
    if bridge is None:
        return
    recorder = MetricsRecorder(on_record=bridge.arm)
    with bridge.lock:
        bridge.recorders.append((platform.account_id, platform.region, recorder))
    platform.metrics = recorder


# ----------------------------------------------------------------- alarm evaluation


def evaluate_state(points: list[bool | None], evaluation_periods: int, datapoints_to_alarm: int,
                   treat_missing: str, current: str) -> str:
    """The alarm state for ``points``, the evaluation range oldest first (True: breaching,
    False: not breaching, None: missing), as in the CloudWatch UG "How alarm state is evaluated
    when data is missing" (its tables are this function's tests)."""
    n, m = evaluation_periods, datapoints_to_alarm
    real = [p for p in points if p is not None]
    if len(real) >= n:  # enough real data points: how missing data is treated does not matter
        return ALARM if sum(real[-n:]) >= m else OK
    breaching = sum(real)
    if treat_missing == BREACHING:
        return ALARM if breaching + (n - len(real)) >= m else OK
    if treat_missing == NOT_BREACHING:
        return ALARM if breaching >= m else OK
    if breaching >= m:
        return ALARM
    if len(real) > breaching:  # a real non-breaching data point
        return OK
    if treat_missing == IGNORE:
        return current
    # missing: all missing, or only breaching points too few to alarm -> INSUFFICIENT_DATA,
    # unless the oldest point of the range breaches (the UG table's row "X - - - -": ALARM)
    return ALARM if points and points[0] else INSUFFICIENT


def _statistic(data: list[Any], statistic: str) -> float | None:
    count = total = 0.0
    low, high = math.inf, -math.inf
    for md in data:
        if hasattr(md, "sample_count"):
            count += md.sample_count
            total += md.sum
            low, high = min(low, md.min), max(high, md.max)
        else:
            count += 1
            total += md.value
            low, high = min(low, md.value), max(high, md.value)
    if not count:
        return None
    return {"SampleCount": count, "Sum": total, "Average": total / count, "Minimum": low,
            "Maximum": high}.get(statistic)


def _evaluate(backend: Any, alarm: Any, now: float) -> None:
    if alarm.rule is not None or alarm.metric_data_queries or alarm.extended_statistic \
            or alarm.comparison_operator not in _COMPARE or not alarm.metric_name:
        return
    period = int(alarm.period or 60)
    n = int(alarm.evaluation_periods or 1)
    m = int(alarm.datapoints_to_alarm or n)
    threshold = float(alarm.threshold)
    breaches, words = _COMPARE[alarm.comparison_operator]
    end = math.floor(now / period) * period
    starts = [end - k * period for k in range(n + EXTRA_PERIODS, 0, -1)]
    wanted, unit = _dims_of(alarm.dimensions), alarm.unit
    first = _utc(starts[0])
    data = [md for md in list(backend.metric_data)
            if md.name == alarm.metric_name and md.namespace == alarm.namespace
            and md.timestamp >= first and _dims_of(md.dimensions) == wanted
            and (not unit or md.unit == unit)]
    values: list[float | None] = []
    for start in starts:
        lo, hi = _utc(start), _utc(start + period)
        values.append(_statistic([md for md in data if lo <= md.timestamp < hi],
                                 alarm.statistic))
    points = [None if v is None else breaches(v, threshold) for v in values]
    treat = alarm.treat_missing_data or MISSING
    new = evaluate_state(points, n, m, treat, alarm.state_value)
    if new == alarm.state_value:
        return
    real = [(s, v) for s, v in zip(starts, values, strict=True) if v is not None][-n:]
    if new == INSUFFICIENT:
        reason = (f"Insufficient Data: {len(starts)} datapoints were unknown."
                  if not real else  # emulator wording
                  f"Insufficient Data: {len(starts) - len(real)} of the last {len(starts)} "
                  "datapoints were unknown.")
    else:
        shown = [(s, v) for s, v in reversed(real)
                 if breaches(v, threshold) == (new == ALARM)]
        listed = ", ".join(f"{v!r} ({_utc(s).strftime('%d/%m/%y %H:%M:%S')})" for s, v in shown)
        verb = ("was" if len(shown) == 1 else "were") + ("" if new == ALARM else " not")
        reason = (f"Threshold Crossed: {len(shown)} out of the last {len(real) or n} datapoints "
                  f"[{listed}] {verb} {words} the threshold ({threshold!r}) (minimum {m} "
                  f"datapoint{'s' if m != 1 else ''} for {alarm.state_value} -> {new} "
                  "transition).")
        if len(real) < n:  # missing data filled in per TreatMissingData (emulator wording)
            reason += f" {n - len(real)} missing datapoint(s) were treated as [{treat}]."
    reason_data = {
        "version": "1.0", "queryDate": _iso(now), "startDate": _iso(starts[0]),
        "statistic": alarm.statistic, "period": period,
        "recentDatapoints": [v for _, v in real], "threshold": threshold,
        "evaluatedDatapoints": [{"timestamp": _iso(s), "value": v} for s, v in reversed(real)],
    }
    _transition(backend, alarm, new, reason, json.dumps(reason_data), now)


def _transition(backend: Any, alarm: Any, new: str, reason: str, reason_data: str,
                now: float) -> None:
    """The evaluator changes the alarm's state, through moto's ``update_state`` (which the
    CodeDeploy bridge watches for rollbacks)."""
    old, old_reason = alarm.state_value, alarm.state_reason
    alarm.update_state(reason, reason_data, new)
    _changed(backend, alarm, old, old_reason, now)


def _changed(backend: Any, alarm: Any, old: str, old_reason: str, now: float) -> None:
    """After a state change: the platform-time timestamp, the history item, the new state's
    actions."""
    new = alarm.state_value
    alarm.state_updated_timestamp = _utc(now)
    try:
        data = json.loads(alarm.state_reason_data or "{}")
    except ValueError:
        data = {}
    new_state: dict[str, Any] = {"stateValue": new, "stateReason": alarm.state_reason}
    if data:
        new_state["stateReasonData"] = data
    _history(backend, alarm, now, "StateUpdate", f"Alarm updated from {old} to {new}",
             {"version": "1.0", "oldState": {"stateValue": old, "stateReason": old_reason},
              "newState": new_state})
    if alarm.actions_enabled:
        actions = {ALARM: alarm.alarm_actions, OK: alarm.ok_actions,
                   INSUFFICIENT: alarm.insufficient_data_actions}[new] or []
        for arn in actions:
            _run_action(backend, alarm, arn, old, now)


def _run_action(backend: Any, alarm: Any, arn: str, old: str, now: float) -> None:
    if not arn.startswith("arn:aws:sns:"):
        return  # emulator: only SNS notifications are run
    from moto.sns.models import sns_backends

    parts = arn.split(":")
    region_name = REGION_NAMES.get(alarm.region_name, alarm.region_name)
    try:
        sns_backends[parts[4]][parts[3]].publish(
            alarm_message(alarm, old, backend.account_id, now), arn=arn,
            subject=f'{alarm.state_value}: "{alarm.name}" in {region_name}'[:100])
    except Exception as e:  # CloudWatch does not validate actions (UG): the failure is history
        log.warning("alarm %s: could not publish to %s: %s", alarm.name, arn, e)
        _history(backend, alarm, now, "Action", f"Failed to execute action {arn}",
                 {"actionState": "Failed", "notificationResource": arn, "error": str(e)})
        return
    _history(backend, alarm, now, "Action", f"Successfully executed action {arn}",
             {"actionState": "Succeeded", "notificationResource": arn})


def alarm_message(alarm: Any, old: str, account_id: str, now: float) -> str:
    """The JSON CloudWatch publishes to an alarm's SNS topic on a state change."""
    updated = alarm.configuration_updated_timestamp
    return json.dumps({
        "AlarmName": alarm.name, "AlarmDescription": alarm.description,
        "AWSAccountId": account_id,
        "AlarmConfigurationUpdatedTimestamp": _iso(
            updated.replace(tzinfo=_dt.timezone.utc).timestamp()),
        "NewStateValue": alarm.state_value, "NewStateReason": alarm.state_reason,
        "StateChangeTime": _iso(now),
        "Region": REGION_NAMES.get(alarm.region_name, alarm.region_name),
        "AlarmArn": alarm.alarm_arn, "OldStateValue": old,
        "OKActions": list(alarm.ok_actions), "AlarmActions": list(alarm.alarm_actions),
        "InsufficientDataActions": list(alarm.insufficient_data_actions),
        "Trigger": {
            "MetricName": alarm.metric_name, "Namespace": alarm.namespace,
            "StatisticType": "Statistic", "Statistic": (alarm.statistic or "").upper(),
            "Unit": alarm.unit,
            "Dimensions": [{"value": d.value, "name": d.name} for d in alarm.dimensions],
            "Period": int(alarm.period), "EvaluationPeriods": int(alarm.evaluation_periods),
            "DatapointsToAlarm": int(alarm.datapoints_to_alarm or alarm.evaluation_periods),
            "ComparisonOperator": alarm.comparison_operator,
            "Threshold": float(alarm.threshold),
            "TreatMissingData": alarm.treat_missing_data or MISSING,
            "EvaluateLowSampleCountPercentile": alarm.evaluate_low_sample_count_percentile or "",
        },
    })


def _history(backend: Any, alarm: Any, now: float, kind: str, summary: str,
             data: dict[str, Any]) -> None:
    items = backend.__dict__.setdefault("lab_alarm_history", [])
    items.append({"AlarmName": alarm.name,
                  "AlarmType": "CompositeAlarm" if alarm.rule else "MetricAlarm",
                  "Timestamp": _utc(now), "HistoryItemType": kind, "HistorySummary": summary,
                  "HistoryData": json.dumps(data)})


# ----------------------------------------------------------------- reading metrics


def _select(backend: Any, namespace: str, name: str, dimensions: Any, start: Any, end: Any,
            unit: str | None) -> list[Any]:
    wanted = _dims_of(dimensions)
    return [md for md in backend.get_all_metrics()
            if md.namespace == namespace and md.name == name and start <= md.timestamp < end
            and _dims_of(md.dimensions) == wanted and (not unit or md.unit == unit)]


def _rounded(start: Any) -> Any:
    """StartTime rounded down to the whole minute (API GetMetricStatistics, for data less than
    15 days old; older data is not kept apart here)."""
    return start.replace(second=0, microsecond=0)


def _buckets(data: list[Any], start: Any, period: int) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = {}
    step = _dt.timedelta(seconds=period)
    for md in data:
        k = int((md.timestamp - start).total_seconds() // period)
        out.setdefault(start + k * step, []).append(md)
    return dict(sorted(out.items()))


def _patches(bridge: _Bridge) -> list[Any]:
    import moto.cloudwatch.models as cw
    import moto.cloudwatch.responses as cw_responses
    from moto.core.responses import ActionResult

    B = cw.CloudWatchBackend
    originals = {n: getattr(B, n) for n in ("get_metric_data", "put_metric_alarm",
                                            "set_alarm_state")}

    def get_metric_statistics(self: Any, namespace: str, metric_name: str, start_time: Any,
                              end_time: Any, period: int, stats: list[str], dimensions: Any,
                              unit: str | None = None) -> list[Any]:
        bridge.flush()
        start, end = _rounded(start_time), end_time.replace(microsecond=0)
        if start >= end:
            raise cw.InvalidParameterValue(
                "The parameter StartTime must be less than the parameter EndTime.")
        data = _select(self, namespace, metric_name, dimensions, start, end, unit)
        out = []
        for when, items in _buckets(data, start, int(period)).items():
            s = cw.Statistics(stats, when)
            s.metric_data, s.unit = items, items[-1].unit
            out.append(s)
        return out

    def get_metric_data(self: Any, queries: list[dict[str, Any]], start_time: Any,
                        end_time: Any, scan_by: str = "TimestampAscending") -> list[Any]:
        bridge.flush()
        if any("MetricStat" not in q for q in queries):  # metric math: moto's way
            return originals["get_metric_data"](self, queries, start_time, end_time, scan_by)
        originals["get_metric_data"](self, [], start_time, end_time, scan_by)  # validation
        start, end = _rounded(start_time), end_time.replace(microsecond=0)
        results = []
        for q in queries:
            stat, metric = q["MetricStat"], q["MetricStat"]["Metric"]
            data = _select(self, metric.get("Namespace"), metric["MetricName"],
                           metric.get("Dimensions"), start, end, stat.get("Unit"))
            stamps, values = [], []
            for when, items in _buckets(data, start, int(stat["Period"])).items():
                value = _statistic(items, stat["Stat"])
                if value is not None:
                    stamps.append(when)
                    values.append(value)
            if scan_by == "TimestampDescending":
                stamps.reverse()
                values.reverse()
            if q.get("ReturnData", True):
                results.append({"id": q["Id"],
                                "label": q.get("Label") or f"{metric['MetricName']} "
                                                           f"{stat['Stat']}",
                                "values": values, "timestamps": stamps,
                                "status_code": "Complete"})
        return results

    def get_filtered_metrics(self: Any, metric_name: str, namespace: str,
                             dimensions: Any) -> list[Any]:
        bridge.flush()
        seen: set[Any] = set()
        out = []
        for md in self.get_all_metrics():
            key = (md.namespace, md.name, _dims_of(md.dimensions))
            if key in seen or not md.filter(namespace, metric_name, dimensions):
                continue
            seen.add(key)
            out.append(md)
        return out

    def put_metric_alarm(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        old = self.alarms.get(name)
        alarm = originals["put_metric_alarm"](self, name, *args, **kwargs)
        now = bridge.clock.now()
        alarm.configuration_updated_timestamp = _utc(now)
        if old is not None:  # "its state is left unchanged" (API PutMetricAlarm)
            alarm.state_value, alarm.state_reason = old.state_value, old.state_reason
            alarm.state_reason_data = old.state_reason_data
            alarm.state_updated_timestamp = old.state_updated_timestamp
        else:  # "the alarm state is immediately set to INSUFFICIENT_DATA"
            alarm.state_value = INSUFFICIENT
            alarm.state_updated_timestamp = _utc(now)
        _history(self, alarm, now, "ConfigurationUpdate",
                 f'Alarm "{name}" {"updated" if old is not None else "created"}',
                 {"version": "1.0", "type": "Update" if old is not None else "Create"})
        if alarm.rule is None:
            bridge.schedule(self, alarm, now)  # "The alarm is then evaluated"
        return alarm

    def set_alarm_state(self: Any, alarm_name: str, reason: str, reason_data: str,
                        state_value: str) -> None:
        # "When the updated state differs from the previous value, the action configured for
        # the appropriate state is invoked" (API SetAlarmState)
        alarm = self.alarms.get(alarm_name)
        old = (alarm.state_value, alarm.state_reason) if alarm is not None else None
        originals["set_alarm_state"](self, alarm_name, reason, reason_data, state_value)
        if alarm is not None and old is not None and state_value != old[0]:
            _changed(self, alarm, old[0], old[1], bridge.clock.now())

    def describe_alarm_history(response: Any) -> ActionResult:
        backend = response.cloudwatch_backend
        name = response._get_param("AlarmName")
        kind = response._get_param("HistoryItemType")
        types = response._get_param("AlarmTypes") or []
        start, end = response._get_param("StartDate"), response._get_param("EndDate")
        items = [i for i in backend.__dict__.get("lab_alarm_history", [])
                 if (not name or i["AlarmName"] == name) and (not kind or
                 i["HistoryItemType"] == kind) and (not types or i["AlarmType"] in types)
                 and (start is None or i["Timestamp"] >= start.replace(tzinfo=None))
                 and (end is None or i["Timestamp"] <= end.replace(tzinfo=None))]
        if response._get_param("ScanBy") != "TimestampAscending":
            items.reverse()  # newest first by default
        limit = response._get_param("MaxRecords")
        return ActionResult({"AlarmHistoryItems": items[:int(limit)] if limit else items})

    return [
        mock.patch.object(B, "get_metric_statistics", get_metric_statistics),
        mock.patch.object(B, "get_metric_data", get_metric_data),
        mock.patch.object(B, "get_filtered_metrics", get_filtered_metrics),
        mock.patch.object(B, "put_metric_alarm", put_metric_alarm),
        mock.patch.object(B, "set_alarm_state", set_alarm_state),
        mock.patch.object(cw_responses.CloudWatchResponse, "describe_alarm_history",
                          describe_alarm_history, create=True),
    ]


# ----------------------------------------------------------------- install / uninstall


def install(aws: Any) -> None:
    """Patch moto's CloudWatch for the session ``aws`` (a MockAWS whose clock is set)."""
    bridge = _Bridge(aws)
    bridge.patches = _patches(bridge)
    for p in bridge.patches:
        p.start()
    emf.install()  # EMF log events in any log group become metrics here
    with _lock:
        _installed[id(aws)] = bridge


def uninstall(aws: Any) -> None:
    """Undo :func:`install` (idempotent): stop the timers, restore moto."""
    with _lock:
        bridge = _installed.pop(id(aws), None)
    if bridge is None:
        return
    bridge.close()
    emf.uninstall()
    for p in reversed(bridge.patches):
        p.stop()
