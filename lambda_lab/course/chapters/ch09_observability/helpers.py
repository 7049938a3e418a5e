"""Helpers of notebooks/09-observability: log streams and REPORT lines, a minute-by-minute load,
Lambda's metrics read back per minute (a table and a picture), alarm states, X-Ray traces as a
timeline, and the run behind the ``errors-alarm`` exercise.

They call the emulated AWS through boto3 (inside ``lambda_lab.mock_aws()``), as a learner would
against real AWS, and return fixed text (:class:`~lambda_lab.course.exercises.Text`) so nbval can
compare it: measured times are printed as ``12.34 ms``, the form the notebook sanitiser masks.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from lambda_lab.course.checks import in_session
from lambda_lab.course.exercises import Text

__all__ = [
    "HOLD_S",
    "LAMBDA_METRICS",
    "AlarmRun",
    "Minute",
    "Segment",
    "alarm_history_lines",
    "alarm_state",
    "figure_minutes",
    "figure_traces",
    "lambda_metrics",
    "log_streams",
    "metrics_table",
    "next_minute",
    "no_retry_client",
    "report_fields",
    "report_parts",
    "run_alarm_scenarios",
    "run_minutes",
    "sdk_subsegments",
    "trace_lines",
    "trace_segments",
    "wait_for_segments",
]

REGION = "us-east-1"
#: How long (real seconds) each request of a burst holds its execution environment, so that the
#: burst's requests overlap and those beyond the reserved concurrency are throttled.
HOLD_S = 1.0  # real seconds: long enough that the burst overlaps on a busy machine
#: The metrics :func:`lambda_metrics` reads by default, with the statistic that makes sense
#: for each (DG "Types of metrics for Lambda functions").
LAMBDA_METRICS: dict[str, str] = {
    "Invocations": "Sum",
    "Errors": "Sum",
    "Throttles": "Sum",
    "Duration": "Maximum",
    "ConcurrentExecutions": "Maximum",
}
_STREAM = re.compile(r"^\d{4}/\d\d/\d\d/\[(?P<version>[^\]]+)\](?P<id>[0-9a-f]{32})$")


# ----------------------------------------------------------------- logs


def log_streams(function_name: str, *, region: str = REGION) -> Text:
    """The log streams of ``/aws/lambda/<function_name>``, one line each: the stream name's
    shape (``YYYY/MM/DD/[version]<32 hex digits>``: the date and the environment's random id
    are left out, so the text is the same on every run) and how many invocations (START lines)
    it holds. Oldest stream first."""
    import boto3

    logs = boto3.client("logs", region_name=region)
    group = f"/aws/lambda/{function_name}"
    streams = logs.describe_log_streams(logGroupName=group)["logStreams"]
    rows = []
    for stream in streams:
        name = stream["logStreamName"]
        events = logs.get_log_events(logGroupName=group, logStreamName=name)["events"]
        starts = sum(e["message"].startswith("START ") for e in events)
        first = events[0]["timestamp"] if events else 0
        match = _STREAM.match(name)
        shape = f"YYYY/MM/DD/[{match['version']}]<32 hex digits>" if match else name
        rows.append((first, shape, starts))
    rows.sort(key=lambda row: (row[0], -row[2]))
    lines = [f"stream {n}: {shape}  {starts} invocation{'s' if starts != 1 else ''}"
             for n, (_, shape, starts) in enumerate(rows, start=1)]
    return Text("\n".join(lines) if lines else "(no streams)")


def report_fields(line: str) -> dict[str, str]:
    """The ``name: value`` fields of a REPORT line (split at its tabs), e.g.
    ``{"RequestId": "…", "Duration": "15.74 ms", "Billed Duration": "16 ms", …}``.

    Raises:
        ValueError: if ``line`` is not a REPORT line.
    """
    if not line.startswith("REPORT "):
        raise ValueError("not a REPORT line")
    out: dict[str, str] = {}
    for part in line[len("REPORT "):].strip().split("\t"):
        name, sep, value = part.partition(": ")
        if sep:
            out[name.strip()] = value.strip()
    return out


def report_parts(line: str) -> Text:
    """A REPORT line with one field a line, as the notebook explains them."""
    return Text("\n".join(f"{name}: {value}" for name, value in report_fields(line).items()))


# ----------------------------------------------------------------- a minute-by-minute load


@dataclass(frozen=True)
class Minute:
    """What the caller saw in one minute of :func:`run_minutes`."""

    start: float  #: platform time the minute starts
    succeeded: int
    failed: int  #: function errors (FunctionError: Unhandled)
    throttled: int  #: 429 TooManyRequestsException


def no_retry_client(region: str = REGION) -> Any:
    """A Lambda client that does not retry: boto3 retries a 429 by default, so a throttled
    request could be sent again (and counted again) without it."""
    import boto3
    from botocore.config import Config

    client = boto3.client("lambda", region_name=region,
                          config=Config(retries={"max_attempts": 0, "mode": "standard"}))
    # botocore builds client.exceptions lazily and not thread-safely; build it before the
    # threads of run_minutes do, or two of them can each make their own exception classes.
    _ = client.exceptions.TooManyRequestsException
    return client


def next_minute(aws: Any, second: float = 1.0) -> float:
    """Advance platform time to ``second`` seconds past the next whole minute; return it."""
    now = aws.clock.now()
    target = (math.floor(now / 60) + 1) * 60 + second
    aws.advance(target - now)
    return aws.clock.now()


def _outcome(lam: Any, function_name: str, event: dict[str, Any]) -> str:
    try:
        response = lam.invoke(FunctionName=function_name, Payload=json.dumps(event))
    except lam.exceptions.TooManyRequestsException:
        return "throttled"
    response["Payload"].read()
    return "failed" if response.get("FunctionError") else "succeeded"


def run_minutes(aws: Any, function_name: str, plan: Iterable[Sequence[int]], *,
                region: str = REGION) -> list[Minute]:
    """Send ``plan`` to ``function_name``, one minute of platform time per item.

    Each item is ``(ok, failing)`` or ``(ok, failing, burst)``: ``ok`` requests with the event
    ``{}``, then ``failing`` with ``{"fail": true}``, one after the other, then ``burst``
    requests at once with ``{"hold": HOLD_S}`` (the handler should sleep that long, so they
    overlap). Each minute starts 1 s past a whole minute of platform time; afterwards the clock
    is at the start of the minute after the last."""
    lam = no_retry_client(region)
    out: list[Minute] = []
    start = next_minute(aws) if aws.clock.now() % 60 != 1 else aws.clock.now()
    with ThreadPoolExecutor(max_workers=16) as pool:
        for item in plan:
            ok, failing, burst = (tuple(item) + (0, 0, 0))[:3]
            outcomes = [_outcome(lam, function_name, {}) for _ in range(ok)]
            outcomes += [_outcome(lam, function_name, {"fail": True}) for _ in range(failing)]
            if burst:
                outcomes += pool.map(lambda e: _outcome(lam, function_name, e),
                                     [{"hold": HOLD_S}] * burst)
            out.append(Minute(start, outcomes.count("succeeded"), outcomes.count("failed"),
                              outcomes.count("throttled")))
            start = next_minute(aws)
    return out


# ----------------------------------------------------------------- metrics


def _utc(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc)


def lambda_metrics(function_name: str, start: float, minutes: int,
                   metrics: Mapping[str, str] | None = None, *,
                   dimensions: Sequence[Mapping[str, str]] | None = None,
                   region: str = REGION) -> dict[str, list[float | None]]:
    """``{metric: [value of each minute]}`` from ``get_metric_data`` (Period 60) for the
    ``minutes`` minutes from platform time ``start`` (rounded down to a minute); None where
    CloudWatch has no data point. ``metrics``: ``{name: statistic}`` (default
    :data:`LAMBDA_METRICS`); ``dimensions``: default ``FunctionName=function_name``."""
    import boto3

    cw = boto3.client("cloudwatch", region_name=region)
    wanted = dict(LAMBDA_METRICS if metrics is None else metrics)
    dims = [dict(d) for d in (dimensions or [{"Name": "FunctionName", "Value": function_name}])]
    first = math.floor(start / 60) * 60
    queries = [{"Id": f"m{n}", "MetricStat": {
        "Metric": {"Namespace": "AWS/Lambda", "MetricName": name, "Dimensions": dims},
        "Period": 60, "Stat": stat}} for n, (name, stat) in enumerate(wanted.items())]
    got = cw.get_metric_data(MetricDataQueries=queries, StartTime=_utc(first),
                             EndTime=_utc(first + 60 * minutes))["MetricDataResults"]
    out: dict[str, list[float | None]] = {}
    for name, result in zip(wanted, sorted(got, key=lambda r: int(r["Id"][1:])), strict=True):
        values: list[float | None] = [None] * minutes
        for stamp, value in zip(result["Timestamps"], result["Values"], strict=True):
            k = int((stamp.timestamp() - first) // 60)
            if 0 <= k < minutes:
                values[k] = value
        out[name] = values
    return out


def _cell(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "ms":
        return f"{value:,.2f} ms"  # masked by the notebooks' "N.NN ms" sanitiser
    return f"{value:g}"


def metrics_table(data: Mapping[str, Sequence[float | None]], start: float) -> Text:
    """:func:`lambda_metrics` as a table: a row per minute (its UTC time), a column per
    metric; ``—`` for no data point."""
    names = list(data)
    header = ["minute", *names]
    rows = []
    for k in range(len(next(iter(data.values()), []))):
        minute = _utc(math.floor(start / 60) * 60 + 60 * k).strftime("%H:%M")
        rows.append([minute, *(_cell(data[n][k], "ms" if n in ("Duration", "IteratorAge",
                                                                  "AsyncEventAge") else "")
                               for n in names)])
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    lines = ["  ".join(str(c).rjust(w) if i else str(c).ljust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True)))
             for r in [header, *rows]]
    return Text("\n".join(lines))


def figure_minutes(data: Mapping[str, Sequence[float | None]], start: float, *,
                   reserved: int | None = None, title: str = "") -> Any:
    """Bars per minute — succeeded (Invocations − Errors), Errors, Throttles — above the
    maximum ConcurrentExecutions of each minute (with the reserved concurrency as a line)."""
    from matplotlib.figure import Figure

    def values(name: str) -> list[float]:
        return [v or 0.0 for v in data.get(name, [])]

    invocations, errors, throttles = values("Invocations"), values("Errors"), values("Throttles")
    concurrency = values("ConcurrentExecutions")
    n = len(invocations)
    xs = list(range(n))
    labels = [_utc(math.floor(start / 60) * 60 + 60 * k).strftime("%H:%M") for k in xs]
    fig = Figure(figsize=(7.5, 4.2), dpi=80, layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, gridspec_kw={"height_ratios": [2.2, 1]})
    ok = [i - e for i, e in zip(invocations, errors, strict=True)]
    top.bar(xs, ok, color="tab:green", label="succeeded")
    top.bar(xs, errors, bottom=ok, color="tab:red", label="Errors")
    top.bar(xs, throttles, bottom=invocations, color="0.6", hatch="//", label="Throttles")
    top.set_ylabel("requests")
    top.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    top.set_title(title or "Lambda metrics, per minute")
    top.grid(axis="y", alpha=0.3)
    if concurrency:
        bottom.plot(xs, concurrency, marker="o", color="tab:blue",
                    label="ConcurrentExecutions (Maximum)")
    if reserved is not None:
        bottom.axhline(reserved, color="tab:orange", linestyle="--",
                       label=f"reserved concurrency {reserved}")
    bottom.set_ylim(0, max([*concurrency, reserved or 0, 1]) + 1)
    bottom.set_ylabel("concurrency")
    bottom.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    bottom.set_xticks(xs, labels)
    bottom.set_xlabel("minute (UTC, platform time)")
    return fig


# ----------------------------------------------------------------- alarms


def alarm_state(name: str, *, region: str = REGION) -> str:
    """The alarm's StateValue."""
    import boto3

    cw = boto3.client("cloudwatch", region_name=region)
    (alarm,) = cw.describe_alarms(AlarmNames=[name])["MetricAlarms"]
    return alarm["StateValue"]


def alarm_history_lines(name: str, *, kinds: Iterable[str] = ("StateUpdate",),
                        region: str = REGION) -> Text:
    """DescribeAlarmHistory of alarm ``name``, oldest first: ``HH:MM:SS  summary``."""
    import boto3

    cw = boto3.client("cloudwatch", region_name=region)
    items = []
    for kind in kinds:
        items += cw.describe_alarm_history(AlarmName=name, HistoryItemType=kind,
                                           ScanBy="TimestampAscending")["AlarmHistoryItems"]
    items.sort(key=lambda i: i["Timestamp"])
    lines = [f"{i['Timestamp'].astimezone(dt.timezone.utc):%H:%M:%S}  {i['HistorySummary']}"
             for i in items]
    return Text("\n".join(lines) if lines else "(no history)")


# ----------------------------------------------------------------- X-Ray


@dataclass(frozen=True)
class Segment:
    """One bar of a trace timeline: a segment or subsegment, times in ms after the trace's
    first segment started."""

    name: str
    kind: str  #: "AWS::Lambda", "AWS::Lambda::Function" or "subsegment"
    start_ms: float
    end_ms: float
    fault: bool = False

    @property
    def duration_ms(self) -> float:
        return self.end_ms - self.start_ms


def trace_segments(trace: Mapping[str, Any]) -> list[Segment]:
    """The Lambda segments of one trace of ``batch_get_traces``: the service segment, the
    function segment and the function segment's subsegments (Initialization, Invocation,
    Overhead), in that order. Documents the X-Ray SDK sent from the handler are left out (see
    :func:`sdk_subsegments`)."""
    docs = [json.loads(s["Document"]) for s in trace["Segments"]]
    lambda_docs = {d.get("origin"): d for d in docs if d.get("origin", "").startswith("AWS::")}
    service, function = lambda_docs.get("AWS::Lambda"), lambda_docs.get("AWS::Lambda::Function")
    if service is None or function is None:
        return []
    t0 = service["start_time"]

    def ms(t: float) -> float:
        return (t - t0) * 1000.0

    out = [Segment(service["name"], "AWS::Lambda", 0.0, ms(service["end_time"])),
           Segment(function["name"], "AWS::Lambda::Function", ms(function["start_time"]),
                   ms(function["end_time"]), bool(function.get("fault")))]
    out += [Segment(s["name"], "subsegment", ms(s["start_time"]), ms(s["end_time"]))
            for s in function.get("subsegments", [])]
    return out


def trace_lines(segments: Sequence[Segment]) -> Text:
    """One line per segment: its kind, name and duration (``N.NN ms``)."""
    lines = []
    for s in segments:
        label = s.kind if s.kind != "subsegment" else f"  └ {s.name}"
        fault = "  fault" if s.fault else ""
        lines.append(f"{label:<24} {s.duration_ms:>10.2f} ms{fault}")
    return Text("\n".join(lines) if lines else "(no segments)")


def figure_traces(traces: Mapping[str, Sequence[Segment]], title: str = "") -> Any:
    """A timeline per trace (one panel each, the same time axis): a bar per segment."""
    from matplotlib.figure import Figure

    colours = {"AWS::Lambda": "0.7", "AWS::Lambda::Function": "tab:blue",
               "Initialization": "tab:orange", "Invocation": "tab:green",
               "Overhead": "tab:purple"}
    right = max((s.end_ms for segs in traces.values() for s in segs), default=1.0)
    fig = Figure(figsize=(7.5, 1.0 + 1.6 * max(1, len(traces))), dpi=80, layout="constrained")
    axes = fig.subplots(max(1, len(traces)), 1, sharex=True, squeeze=False)[:, 0]
    for ax, (label, segments) in zip(axes, traces.items(), strict=False):
        names = [s.kind if s.kind != "subsegment" else s.name for s in segments]
        for row, s in enumerate(segments):
            ax.barh(row, s.duration_ms, left=s.start_ms, height=0.6,
                    color=colours.get(s.name if s.kind == "subsegment" else s.kind, "0.5"))
            ax.annotate(f"{s.duration_ms:.1f} ms", (s.end_ms, row), xytext=(4, 0),
                        textcoords="offset points", va="center", fontsize=8)
        ax.set_yticks(range(len(names)), names, fontsize=8)
        ax.invert_yaxis()
        ax.set_title(label, fontsize=10, loc="left")
        ax.grid(axis="x", alpha=0.3)
        ax.set_xlim(0, right * 1.2)
    axes[-1].set_xlabel("milliseconds after Lambda received the request")
    if title:
        fig.suptitle(title)
    return fig


def _sdk_documents(trace: Mapping[str, Any]) -> list[dict[str, Any]]:
    """What the X-Ray SDK sent from inside the handler: the subsegments X-Ray nests under the
    function segment's Invocation subsegment, and any document not Lambda's own."""
    out = []
    for d in (json.loads(s["Document"]) for s in trace["Segments"]):
        if not d.get("origin", "").startswith("AWS::Lambda"):
            out.append(d)
        elif d.get("origin") == "AWS::Lambda::Function":
            for sub in d.get("subsegments", []):
                if sub.get("name") == "Invocation":
                    out.extend(sub.get("subsegments", []))
    return sorted(out, key=lambda d: d.get("start_time", 0))


def sdk_subsegments(trace: Mapping[str, Any]) -> Text:
    """The documents the X-Ray SDK sent from inside the handler (not Lambda's own segments):
    name, namespace, the AWS operation if any, annotations, and duration (``N.NN ms``)."""
    lines = []
    for d in _sdk_documents(trace):
        what = [d["name"]]
        if d.get("namespace"):
            what.append(f"namespace {d['namespace']}")
        operation = d.get("aws", {}).get("operation")
        if operation:
            what.append(f"operation {operation}")
        if d.get("annotations"):
            what.append(f"annotations {d['annotations']}")
        duration = (d.get("end_time", 0) - d.get("start_time", 0)) * 1000.0
        lines.append(f"{' · '.join(what)}  {duration:.2f} ms")
    return Text("\n".join(lines) if lines else "(no SDK subsegments)")


def wait_for_segments(trace_id: str, count: int, *, timeout: float = 5.0,
                      region: str = REGION) -> dict[str, Any] | None:
    """``batch_get_traces`` of ``trace_id`` once it holds ``count`` documents: Lambda's segments
    and the subsegments the X-Ray SDK sent (nested under Invocation; they come over UDP, so a
    moment after the invocation returns); None after ``timeout`` real seconds."""
    import boto3

    xray = boto3.client("xray", region_name=region)
    deadline = time.monotonic() + timeout
    while True:
        traces = xray.batch_get_traces(TraceIds=[trace_id])["Traces"]
        if traces:
            lambdas = [s for s in traces[0]["Segments"]
                       if json.loads(s["Document"]).get("origin", "").startswith("AWS::Lambda")]
            if len(lambdas) + len(_sdk_documents(traces[0])) >= count:
                return traces[0]
        if time.monotonic() > deadline:
            return None
        time.sleep(0.02)


# ----------------------------------------------------------------- the errors-alarm exercise

#: Errors per minute of each scenario the checker runs (None: no invocations at all that
#: minute), and whether a correct alarm reaches ALARM during it. Every minute with traffic also
#: has :data:`_OK_PER_MINUTE` successful invocations.
SCENARIOS: dict[str, tuple[tuple[int | None, ...], bool]] = {
    "spread": ((3, 0, 3, 0, 3, 0), True),  # 3 of 5 minutes, not in a row
    "steady": ((2, 2, 2, 2, 2, 2), False),  # below the threshold every minute
    "apart": ((3, 3, 0, 0, 0, 0, 3, 0), False),  # never 3 bad minutes within 5
    "quiet": ((None, None, None, None, None, None), False),  # no traffic at all
}
_OK_PER_MINUTE = 2
ALARM_HANDLER = """
def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("payment failed")
    return "ok"
"""


@dataclass
class AlarmRun:
    """The outcome of :func:`run_alarm_scenarios`: per scenario, the states the alarm went
    through (from its history) and its final state; ``problem`` when the alarm could not be
    created."""

    states: dict[str, list[str]] = field(default_factory=dict)
    final: dict[str, str] = field(default_factory=dict)
    params: dict[str, dict[str, Any]] = field(default_factory=dict)
    problem: str | None = None

    def alarmed(self, scenario: str) -> bool:
        return "ALARM" in self.states.get(scenario, [])


def run_alarm_scenarios(errors_alarm: Callable[[str], Mapping[str, Any]]) -> AlarmRun:
    """For each of :data:`SCENARIOS`: deploy a function, create the alarm
    ``errors_alarm(function_name)`` describes (its AlarmName replaced by a unique one), send
    the scenario minute by minute and read the alarm's history. Uses the active
    ``lambda_lab.mock_aws()`` session if there is one (they do not nest), else a new one on a
    virtual clock; everything it creates is deleted afterwards."""
    return in_session(_run_scenarios, errors_alarm)


def _run_scenarios(aws: Any, errors_alarm: Callable[[str], Mapping[str, Any]]) -> AlarmRun:
    import boto3

    from lambda_lab.course.roles import LAMBDA_TRUST_POLICY
    from lambda_lab.course.shared import make_zip

    run = AlarmRun()
    lam, cw = no_retry_client(), boto3.client("cloudwatch", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    prefix = f"exercise-errors-alarm-{int(aws.clock.now())}"
    role = iam.create_role(RoleName=prefix,
                           AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY)["Role"]["Arn"]
    names = {scenario: f"{prefix}-{scenario}" for scenario in SCENARIOS}
    created: list[str] = []
    try:
        for name in names.values():
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                Handler="lambda_function.handler",
                                Code={"ZipFile": make_zip(ALARM_HANDLER)})
            created.append(name)
        next_minute(aws)
        for scenario, name in names.items():
            params = dict(errors_alarm(name))
            run.params[scenario] = dict(params)
            params["AlarmName"] = name
            try:
                cw.put_metric_alarm(**params)
            except Exception as exc:  # noqa: BLE001 - reported as the run's problem
                run.problem = f"put_metric_alarm failed: {type(exc).__name__}: {exc}"
                return run
        longest = max(len(errors) for errors, _ in SCENARIOS.values())
        for minute in range(longest + 3):  # + the time an alarm needs to see the last minute
            for scenario, name in names.items():
                errors = SCENARIOS[scenario][0]
                count = errors[minute] if minute < len(errors) else None
                if count is None:
                    continue
                for event in [{}] * _OK_PER_MINUTE + [{"fail": True}] * count:
                    _outcome(lam, name, event)
            next_minute(aws)
        for scenario, name in names.items():
            history = cw.describe_alarm_history(AlarmName=name, HistoryItemType="StateUpdate",
                                                ScanBy="TimestampAscending")
            run.states[scenario] = [json.loads(i["HistoryData"])["newState"]["stateValue"]
                                    for i in history["AlarmHistoryItems"]]
            run.final[scenario] = alarm_state(name)
        return run
    finally:
        cw.delete_alarms(AlarmNames=list(names.values()))
        for name in created:
            lam.delete_function(FunctionName=name)
        iam.delete_role(RoleName=prefix)
