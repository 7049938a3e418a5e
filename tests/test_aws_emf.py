"""Embedded metric format: EMF log events become CloudWatch metrics, through boto3.

CloudWatch UG "Specification: Embedded metric format": the log event's message is a JSON object
whose ``_aws`` member holds ``Timestamp`` ("the number of milliseconds after Jan 1, 1970
00:00:00 UTC", the metrics' time stamp) and ``CloudWatchMetrics``, an array of MetricDirectives:
``Namespace``; ``Dimensions``, "a DimensionSet array", each DimensionSet "an array of strings
containing the dimension keys", whose values are root members with string values, "Every
DimensionSet used creates a new metric in CloudWatch", at most 30 keys; ``Metrics``, at most 100
MetricDefinitions (``Name``, optional ``Unit``, optional ``StorageResolution`` 1 or 60), each
naming a root member whose value is a number or an array of numbers (at most 100). CloudWatch
Logs extracts the metrics for any log group (UG "Ingesting high-cardinality logs and generating
metrics with CloudWatch embedded metric format"; "Setting alarms on metrics created with the
embedded metric format"). Powertools for AWS Lambda (Python) docs, Metrics: ``log_metrics``
flushes EMF to standard output; ``capture_cold_start_metric=True`` adds a ``ColdStart`` metric
with the ``function_name`` and ``service`` dimensions.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from aws_helpers import REGION, create, invoke_json, lam, role, session  # noqa: F401

from lambda_lab.aws.emf import parse
from lambda_lab.course.chapters.ch09_observability.powertools import powertools_layer_arn

#: Powertools as its docs tell to add it: the public layer (the handler imports nothing else)
POWERTOOLS_LAYER = powertools_layer_arn(REGION)


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def cw(aws):
    return boto3.client("cloudwatch", region_name=REGION)


@pytest.fixture
def logs(aws):
    return boto3.client("logs", region_name=REGION)


def at(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc)


def emf(ns: str, stamp_ms: int, metrics: list[dict], dims: list[list[str]] | None = None,
        **members) -> str:
    return json.dumps({"_aws": {"Timestamp": stamp_ms, "CloudWatchMetrics": [
        {"Namespace": ns, "Dimensions": [["Service"]] if dims is None else dims,
         "Metrics": metrics}]}, "Service": "orders", **members})


def put(logs, *messages: str, stamp_ms: int, group: str = "/app/orders") -> None:
    """PutLogEvents from an ordinary client (not Lambda): EMF works in any log group."""
    try:
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="s")
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    logs.put_log_events(logGroupName=group, logStreamName="s",
                        logEvents=[{"timestamp": stamp_ms, "message": m} for m in messages])


def minute_start(aws) -> float:
    """Advance to 5 s past the next whole minute; return that minute's start."""
    aws.advance(65 - aws.clock.now() % 60)
    return aws.clock.now() // 60 * 60


def stats(cw, ns: str, name: str, t0: float, period: int = 60, unit: str | None = None,
          **dims) -> list[dict]:
    params = {"Unit": unit} if unit else {}
    got = cw.get_metric_statistics(
        Namespace=ns, MetricName=name, StartTime=at(t0 - 120), EndTime=at(t0 + 300),
        Period=period, Statistics=["Sum", "SampleCount", "Minimum", "Maximum"],
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()], **params)
    return sorted(got["Datapoints"], key=lambda d: d["Timestamp"])


def listed(cw, ns: str) -> set[tuple]:
    return {(m["MetricName"], tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"])))
            for m in cw.list_metrics(Namespace=ns)["Metrics"]}


# ----------------------------------------------------------------- extraction


def test_an_emf_line_in_any_log_group_becomes_a_metric_at_its_timestamp(aws, cw, logs):
    """The metric lands at ``_aws.Timestamp`` (not the time it was written), with its unit;
    an array value is that many samples; ListMetrics lists it under its dimension set."""
    t0 = minute_start(aws)
    stamp = int((t0 - 60) * 1000) + 30_000  # half a minute into the previous minute
    put(logs, emf("Shop", stamp, [{"Name": "Latency", "Unit": "Milliseconds"}],
                  Latency=[12, 30, 18]), stamp_ms=int(t0 * 1000))
    assert listed(cw, "Shop") == {("Latency", (("Service", "orders"),))}
    [point] = stats(cw, "Shop", "Latency", t0, Service="orders")
    assert point["Timestamp"] == at(t0 - 60)
    assert (point["Sum"], point["SampleCount"], point["Minimum"], point["Maximum"]) == (
        60.0, 3.0, 12.0, 30.0)
    assert point["Unit"] == "Milliseconds"
    assert stats(cw, "Shop", "Latency", t0) == []  # without the dimension: another metric


def test_every_dimension_set_makes_its_own_metric_and_an_empty_set_one_without(aws, cw, logs):
    """"Every DimensionSet used creates a new metric"; ``[]`` as a set: no dimensions; a unit
    left out is None; several directives and metrics in one document."""
    t0 = minute_start(aws)
    stamp = int(t0 * 1000)
    doc = json.dumps({
        "_aws": {"Timestamp": stamp, "CloudWatchMetrics": [
            {"Namespace": "Shop", "Dimensions": [["Service"], ["Service", "Region"], []],
             "Metrics": [{"Name": "Orders", "Unit": "Count"}, {"Name": "Basket"}]},
            {"Namespace": "Finance", "Dimensions": [["Region"]],
             "Metrics": [{"Name": "Revenue"}]}]},
        "Service": "orders", "Region": "eu", "Orders": 2, "Basket": 3.5, "Revenue": 99.5,
        "requestId": "not a metric"})
    put(logs, doc, stamp_ms=stamp)
    service, region = ("Service", "orders"), ("Region", "eu")
    assert listed(cw, "Shop") == {
        (m, dims) for m in ("Orders", "Basket")
        for dims in ((service,), (region, service), ())}
    assert listed(cw, "Finance") == {("Revenue", (region,))}
    assert [p["Sum"] for p in stats(cw, "Shop", "Orders", t0, Service="orders", Region="eu")] \
        == [2.0]
    assert [p["Sum"] for p in stats(cw, "Shop", "Orders", t0)] == [2.0]
    [basket] = stats(cw, "Shop", "Basket", t0, Service="orders")
    assert basket["Unit"] == "None" and basket["Sum"] == 3.5


INVALID = {
    "text around the JSON": "START " + emf("Bad1", 0, [{"Name": "M"}], M=1),
    "no Timestamp": json.dumps({"_aws": {"CloudWatchMetrics": [
        {"Namespace": "Bad2", "Dimensions": [[]], "Metrics": [{"Name": "M"}]}]}, "M": 1}),
    "dimension member missing": emf("Bad3", 0, [{"Name": "M"}], dims=[["Nope"]], M=1),
    "dimension value not a string": emf("Bad4", 0, [{"Name": "M"}], dims=[["N"]], N=5, M=1),
    "metric member missing": emf("Bad5", 0, [{"Name": "M"}]),
    "metric value a string": emf("Bad6", 0, [{"Name": "M"}], M="5"),
    "101 metrics": emf("Bad7", 0, [{"Name": f"M{i}"} for i in range(101)],
                       **{f"M{i}": 1 for i in range(101)}),
    "101 values": emf("Bad8", 0, [{"Name": "M"}], M=list(range(101))),
    "StorageResolution 5": emf("Bad9", 0, [{"Name": "M", "StorageResolution": 5}], M=1),
    "unknown unit": emf("Bad10", 0, [{"Name": "M", "Unit": "Parsecs"}], M=1),
    "31 dimension keys": emf("Bad11", 0, [{"Name": "M"}], dims=[[f"D{i}" for i in range(31)]],
                             M=1, **{f"D{i}": "x" for i in range(31)}),
    "no Namespace": json.dumps({"_aws": {"Timestamp": 0, "CloudWatchMetrics": [
        {"Dimensions": [[]], "Metrics": [{"Name": "M"}]}]}, "M": 1}),
}


@pytest.mark.parametrize("case", list(INVALID))
def test_a_document_breaking_the_specification_is_ignored(case):
    """A document that breaks the specification gives no metric at all (nor does a plain log
    line); the same document made valid does (the control)."""
    assert parse(INVALID[case]) == []
    assert parse("plain text") == [] and parse('{"a": 1}') == []
    valid = parse(emf("Ok", 0, [{"Name": "M", "StorageResolution": 1}], M=[1, 2]))
    assert [(s.namespace, s.name, s.dimensions, s.values, s.resolution) for s in valid] == [
        ("Ok", "M", (("Service", "orders"),), (1.0, 2.0), 1)]


def test_invalid_documents_are_stored_as_logs_but_publish_nothing(aws, cw, logs):
    """The log events are kept (PutLogEvents succeeds); only the valid document's metric
    appears."""
    t0 = minute_start(aws)
    stamp = int(t0 * 1000)
    bad = [m.replace('"Timestamp": 0', f'"Timestamp": {stamp}') for m in INVALID.values()]
    put(logs, *bad, emf("Good", stamp, [{"Name": "M"}], M=1), stamp_ms=stamp)
    events = logs.get_log_events(logGroupName="/app/orders", logStreamName="s")["events"]
    assert len(events) == len(INVALID) + 1
    assert [m["Namespace"] for m in cw.list_metrics()["Metrics"]] == ["Good"]


def test_high_resolution_metrics_keep_their_seconds(aws, cw, logs):
    """StorageResolution 1 stores the metric "with sub-minute resolution down to one second"
    (API MetricDatum StorageResolution); the default, 60, at 1-minute resolution."""
    t0 = minute_start(aws)
    for second in (10, 40):
        stamp = int((t0 + second) * 1000)
        put(logs, emf("Hi", stamp, [{"Name": "Fast", "StorageResolution": 1}], Fast=1),
            emf("Hi", stamp, [{"Name": "Slow"}], Slow=1), stamp_ms=stamp)
    fast = stats(cw, "Hi", "Fast", t0, period=1, Service="orders")
    assert [p["Timestamp"] for p in fast] == [at(t0 + 10), at(t0 + 40)]
    assert [(p["Timestamp"], p["Sum"]) for p in stats(cw, "Hi", "Slow", t0, Service="orders")] \
        == [(at(t0), 2.0)]


def test_get_metric_data_reads_emf_metrics(aws, cw, logs):
    """GetMetricData with a MetricStat over an extracted metric (newest first: ScanBy's
    default is TimestampDescending, API GetMetricData)."""
    t0 = minute_start(aws)
    for minute, value in ((0, 5), (1, 7)):
        stamp = int((t0 + 60 * minute) * 1000)
        put(logs, emf("Shop", stamp, [{"Name": "Orders", "Unit": "Count"}], Orders=value),
            stamp_ms=stamp)
    got = cw.get_metric_data(
        MetricDataQueries=[{"Id": "orders", "MetricStat": {
            "Metric": {"Namespace": "Shop", "MetricName": "Orders",
                       "Dimensions": [{"Name": "Service", "Value": "orders"}]},
            "Period": 60, "Stat": "Sum"}}],
        StartTime=at(t0 - 60), EndTime=at(t0 + 180))["MetricDataResults"]
    assert got[0]["Timestamps"] == [at(t0 + 60), at(t0)]
    assert got[0]["Values"] == [7.0, 5.0]


def test_an_alarm_on_an_emf_metric_fires_on_the_platform_clock(aws, cw, logs):
    """An alarm on an extracted metric is evaluated like any other (UG "Setting alarms on
    metrics created with the embedded metric format")."""
    t0 = minute_start(aws)
    cw.put_metric_alarm(AlarmName="few-orders", Namespace="Shop", MetricName="Failures",
                        Dimensions=[{"Name": "Service", "Value": "orders"}], Statistic="Sum",
                        Period=60, EvaluationPeriods=1, Threshold=3,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    put(logs, emf("Shop", int((t0 + 10) * 1000), [{"Name": "Failures"}], Failures=[1, 1, 1]),
        stamp_ms=int((t0 + 10) * 1000))
    aws.advance(60)
    [alarm] = cw.describe_alarms(AlarmNames=["few-orders"])["MetricAlarms"]
    assert alarm["StateValue"] == "ALARM"


# ----------------------------------------------------------------- Powertools in a handler


POWERTOOLS = """
from aws_lambda_powertools import Metrics
from aws_lambda_powertools.metrics import MetricUnit

metrics = Metrics(namespace="Shop", service="orders")

@metrics.log_metrics(capture_cold_start_metric=True)
def handler(event, context):
    metrics.add_dimension(name="channel", value="web")
    metrics.add_metric(name="OrdersPlaced", unit=MetricUnit.Count, value=event["orders"])
    return "ok"
"""


def test_powertools_metrics_in_a_handler_become_metrics_with_cold_start(aws, lam, create, cw):
    """Powertools' ``log_metrics`` prints EMF into the function's log group: the business
    metric appears with the ``service`` and added dimensions, and ``ColdStart`` (only for the
    cold start) with ``function_name`` and ``service``."""
    name = create(POWERTOOLS, MemorySize=1769, Layers=[POWERTOOLS_LAYER])
    t0 = aws.clock.now()
    for n in (2, 3):
        assert invoke_json(lam, name, {"orders": n})[1] == "ok"
    assert listed(cw, "Shop") == {
        ("OrdersPlaced", (("channel", "web"), ("service", "orders"))),
        ("ColdStart", (("function_name", name), ("service", "orders")))}
    [orders] = stats(cw, "Shop", "OrdersPlaced", t0, service="orders", channel="web")
    assert (orders["Sum"], orders["Unit"]) == (5.0, "Count")
    [cold] = stats(cw, "Shop", "ColdStart", t0, function_name=name, service="orders")
    assert cold["Sum"] == 1.0


def test_an_alarm_on_a_powertools_metric_from_a_handler_goes_to_alarm(aws, lam, create, cw):
    """UG "Setting alarms on metrics created with the embedded metric format": an alarm on the
    business metric a handler publishes with Powertools ``log_metrics`` is evaluated like any
    other. Powertools stamps ``_aws.Timestamp`` with the handler's ``time.time()``, which
    follows platform time, so after an hour's advance the data point still lands in the
    minute the alarm evaluates; one more minute of platform time and it is in ALARM."""
    name = create(POWERTOOLS, MemorySize=1769, Layers=[POWERTOOLS_LAYER])
    aws.advance(3600)
    t0 = minute_start(aws)
    cw.put_metric_alarm(AlarmName="orders-burst", Namespace="Shop", MetricName="OrdersPlaced",
                        Dimensions=[{"Name": "service", "Value": "orders"},
                                    {"Name": "channel", "Value": "web"}],
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=5,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    for n in (2, 3):
        assert invoke_json(lam, name, {"orders": n})[1] == "ok"
    assert [p["Sum"] for p in stats(cw, "Shop", "OrdersPlaced", t0, service="orders",
                                    channel="web")] == [5.0]
    aws.advance(60)
    [alarm] = cw.describe_alarms(AlarmNames=["orders-burst"])["MetricAlarms"]
    assert alarm["StateValue"] == "ALARM"
    assert "[5.0 (" in alarm["StateReason"]
