"""Lambda's CloudWatch metrics (namespace AWS/Lambda) through boto3, on a virtual clock.

DG "Types of metrics for Lambda functions": Invocations ("including successful invocations and
invocations that result in a function error"; "aren't recorded if the invocation request is
throttled"), Errors, Throttles ("Throttled requests ... don't count as Invocations or Errors"),
Duration (milliseconds), ConcurrentExecutions (view with Maximum), DeadLetterErrors,
DestinationDeliveryFailures, IteratorAge ("the age of the last record in the event"), and the
asynchronous metrics AsyncEventsReceived, AsyncEventAge ("the time between when Lambda
successfully queues the event and when the function is invoked"; it grows with retries) and
AsyncEventsDropped (What's New, Feb 2023). "Lambda sends metric data to CloudWatch in 1-minute
intervals"; dimensions FunctionName, Resource (a version or alias), ExecutedVersion (the
version an alias invocation ran) or none (all functions). CloudWatch UG "Dimensions": each
combination of dimensions is its own metric.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import datetime as dt
import json

import boto3
import pytest
from aws_helpers import REGION, create, lam, role, session  # noqa: F401
from botocore.config import Config

FAILS_ON_REQUEST = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"ok": True}
"""


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def cw(aws):
    return boto3.client("cloudwatch", region_name=REGION)


def next_minute(aws) -> float:
    """Advance to one second past the next whole minute; return that minute's start."""
    aws.advance(61 - aws.clock.now() % 60)
    return aws.clock.now() // 60 * 60


def at(t: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc)


def points(cw, aws, metric: str, stat: str = "Sum", period: int = 60, **dims) -> list[tuple]:
    """(period start, value) of every datapoint of the last 30 minutes, oldest first."""
    now = aws.clock.now()
    found = cw.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName=metric, Period=period, Statistics=[stat],
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        StartTime=at(now - 1800), EndTime=at(now + 60))["Datapoints"]
    return sorted((p["Timestamp"].timestamp(), p[stat]) for p in found)


def invoke(lam, name: str, **event) -> dict:
    return lam.invoke(FunctionName=name, Payload=json.dumps(event))


def test_invocations_errors_and_duration_per_minute(aws, cw, lam, create):
    """Each invocation counts in the minute it was invoked: Invocations and Errors (Sum) and
    Duration (milliseconds), by FunctionName; the next minute is its own datapoint."""
    name = create(FAILS_ON_REQUEST)
    first = next_minute(aws)
    invoke(lam, name, fail=True)
    invoke(lam, name)
    invoke(lam, name)
    aws.advance(60)
    invoke(lam, name)
    assert points(cw, aws, "Invocations", FunctionName=name) == [(first, 3.0), (first + 60, 1.0)]
    assert points(cw, aws, "Errors", FunctionName=name) == [(first, 1.0), (first + 60, 0.0)]
    durations = cw.get_metric_statistics(
        Namespace="AWS/Lambda", MetricName="Duration", Period=60,
        Statistics=["SampleCount", "Minimum", "Maximum"],
        Dimensions=[{"Name": "FunctionName", "Value": name}],
        StartTime=at(first), EndTime=at(first + 60))["Datapoints"]
    (d,) = durations
    assert d["Unit"] == "Milliseconds" and d["SampleCount"] == 3.0
    assert 0 < d["Minimum"] <= d["Maximum"] < 3000
    (c,) = points(cw, aws, "ConcurrentExecutions", "Maximum", FunctionName=name)[:1]
    assert c == (first, 1.0)


def test_throttles_are_not_invocations(aws, cw, lam, create):
    """With reserved concurrency 0 every request is throttled (429): Throttles counts them,
    Invocations and Errors do not."""
    name = create(FAILS_ON_REQUEST)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    once = boto3.client("lambda", region_name=REGION,
                        config=Config(retries={"total_max_attempts": 1}))  # no SDK retry
    minute = next_minute(aws)
    for _ in range(2):
        with pytest.raises(once.exceptions.TooManyRequestsException):
            invoke(once, name)
    assert points(cw, aws, "Throttles", FunctionName=name) == [(minute, 2.0)]
    assert points(cw, aws, "Invocations", FunctionName=name) == []
    assert points(cw, aws, "Errors", FunctionName=name) == []


def test_dimensions_resource_executed_version_and_all_functions(aws, cw, lam, create):
    """An alias invocation counts by FunctionName, by Resource ``name:alias`` and by
    ExecutedVersion; a version's by Resource ``name:1``; no dimension sums every function.
    Each dimension set is its own metric (no double counting), listed once."""
    name = create("def handler(event, context):\n    return 1\n")
    other = create("def handler(event, context):\n    return 2\n")
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    minute = next_minute(aws)
    for _ in range(3):
        lam.invoke(FunctionName=name, Qualifier="live")
    lam.invoke(FunctionName=name, Qualifier="1")
    invoke(lam, name)
    invoke(lam, other)
    assert points(cw, aws, "Invocations", FunctionName=name) == [(minute, 5.0)]
    assert points(cw, aws, "Invocations", FunctionName=name,
                  Resource=f"{name}:live") == [(minute, 3.0)]
    assert points(cw, aws, "Invocations", FunctionName=name, Resource=f"{name}:live",
                  ExecutedVersion="1") == [(minute, 3.0)]
    assert points(cw, aws, "Invocations", FunctionName=name,
                  Resource=f"{name}:1") == [(minute, 1.0)]
    assert points(cw, aws, "Invocations") == [(minute, 6.0)]
    listed = cw.list_metrics(Namespace="AWS/Lambda", MetricName="Invocations")["Metrics"]
    dims = sorted(tuple(sorted((d["Name"], d["Value"]) for d in m["Dimensions"]))
                  for m in listed)
    assert dims == sorted([(), (("FunctionName", name),), (("FunctionName", other),),
                           (("FunctionName", name), ("Resource", f"{name}:live")),
                           (("ExecutedVersion", "1"), ("FunctionName", name),
                            ("Resource", f"{name}:live")),
                           (("FunctionName", name), ("Resource", f"{name}:1"))])
    assert {m["MetricName"] for m in cw.list_metrics(
        Namespace="AWS/Lambda", Dimensions=[{"Name": "FunctionName", "Value": other}])[
        "Metrics"]} >= {"Invocations", "Errors", "Duration", "ConcurrentExecutions"}


def test_get_metric_data_reads_the_same_metrics(aws, cw, lam, create):
    """GetMetricData's MetricStat queries see the same per-minute statistics, exact
    dimensions included."""
    name = create(FAILS_ON_REQUEST)
    minute = next_minute(aws)
    invoke(lam, name, fail=True)
    invoke(lam, name, fail=True)
    now = aws.clock.now()
    query = {"Id": "e", "MetricStat": {"Metric": {
        "Namespace": "AWS/Lambda", "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": name}]}, "Period": 60, "Stat": "Sum"}}
    (result,) = cw.get_metric_data(MetricDataQueries=[query], StartTime=at(now - 600),
                                   EndTime=at(now + 60))["MetricDataResults"]
    assert result["Values"] == [2.0]
    assert [t.timestamp() for t in result["Timestamps"]] == [minute]


def test_async_metrics_received_age_and_dropped(aws, cw, lam, create):
    """An Event invocation is received once; each attempt reports AsyncEventAge (the retry a
    minute later is about 60,000 ms old); after its last retry it is dropped once."""
    name = create(FAILS_ON_REQUEST)
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    minute = next_minute(aws)
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"fail": True}))
    aws.wait_async()
    aws.advance(60)  # the retry, about a minute later
    aws.wait_async()
    assert points(cw, aws, "AsyncEventsReceived", FunctionName=name) == [(minute, 1.0)]
    ages = points(cw, aws, "AsyncEventAge", "Maximum", period=3600, FunctionName=name)
    assert len(ages) == 1 and 60_000 <= ages[0][1] < 61_000
    assert points(cw, aws, "AsyncEventsDropped", FunctionName=name, period=3600)[0][1] == 1.0
    assert points(cw, aws, "Errors", FunctionName=name, period=3600)[0][1] == 2.0


def test_dead_letter_and_destination_failures(aws, cw, lam, create, role):
    """A dead-letter queue or on-failure destination that no longer exists: DeadLetterErrors
    and DestinationDeliveryFailures count the failed sends."""
    sqs = boto3.client("sqs", region_name=REGION)
    dlq = sqs.create_queue(QueueName="dlq")["QueueUrl"]
    dest = sqs.create_queue(QueueName="dest")["QueueUrl"]
    arn = {u: sqs.get_queue_attributes(QueueUrl=u, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"] for u in (dlq, dest)}
    name = create(FAILS_ON_REQUEST, DeadLetterConfig={"TargetArn": arn[dlq]})
    lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": arn[dest]}})
    sqs.delete_queue(QueueUrl=dlq)
    sqs.delete_queue(QueueUrl=dest)
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps({"fail": True}))
    aws.wait_async()
    assert points(cw, aws, "DeadLetterErrors", FunctionName=name)[0][1] == 1.0
    assert points(cw, aws, "DestinationDeliveryFailures", FunctionName=name)[0][1] == 1.0
    assert points(cw, aws, "AsyncEventsDropped", FunctionName=name)[0][1] == 1.0


def test_iterator_age_of_a_kinesis_batch(aws, cw, lam, create):
    """IteratorAge: a record written 90 s before the mapping reads it is about 90,000 ms old
    when its batch is sent (the age of the last record in the batch)."""
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName="s", ShardCount=1)
    stream = kinesis.describe_stream(StreamName="s")["StreamDescription"]["StreamARN"]
    name = create("def handler(event, context):\n    return {}\n")
    kinesis.put_record(StreamName="s", Data=b"old", PartitionKey="k")
    aws.advance(90)
    lam.create_event_source_mapping(EventSourceArn=stream, FunctionName=name,
                                    StartingPosition="TRIM_HORIZON")
    aws.advance(2)
    ages = points(cw, aws, "IteratorAge", "Maximum", period=3600, FunctionName=name)
    assert len(ages) == 1 and 89_990 <= ages[0][1] <= 93_000
    assert (cw.list_metrics(Namespace="AWS/Lambda", MetricName="IteratorAge")["Metrics"])


def test_metrics_are_not_recorded_outside_the_mock():
    """The native API's platform records nothing (the hot path stays as it was)."""
    from lambda_lab.platform import Platform

    platform = Platform()
    try:
        assert platform.metrics is None
    finally:
        platform.close()


def test_custom_metrics_keep_exact_dimensions(aws, cw):
    """A metric published with two dimensions is not returned for a query naming one of them
    (CloudWatch UG "Dimensions")."""
    now = aws.clock.now()
    cw.put_metric_data(Namespace="App", MetricData=[
        {"MetricName": "m", "Value": 2.0, "Timestamp": at(now),
         "Dimensions": [{"Name": "A", "Value": "a"}, {"Name": "B", "Value": "b"}]},
        {"MetricName": "m", "Value": 5.0, "Timestamp": at(now),
         "Dimensions": [{"Name": "A", "Value": "a"}]}])
    found = cw.get_metric_statistics(Namespace="App", MetricName="m", Period=60,
                                     Statistics=["Sum"], StartTime=at(now - 60),
                                     EndTime=at(now + 60),
                                     Dimensions=[{"Name": "A", "Value": "a"}])["Datapoints"]
    assert [p["Sum"] for p in found] == [5.0]
    assert len(cw.list_metrics(Namespace="App")["Metrics"]) == 2
