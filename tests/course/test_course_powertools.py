"""Helpers of notebook 09's Powertools section (chapter 09's powertools).

Powertools docs "Lambda Layer" (the V3 ARN); CloudWatch UG "Specification: Embedded metric
format" (``_aws.Timestamp`` is the metrics' time); API GetServiceGraph (Services, Edges).
"""

from __future__ import annotations

import json

import boto3
import pytest

from lambda_lab.course.chapters.ch09_observability import powertools as pt


def test_the_layer_arn_is_the_docs_one():
    assert pt.powertools_layer_arn() == (
        "arn:aws:lambda:us-east-1:017000801446:layer:"
        "AWSLambdaPowertoolsPythonV3-python312-x86_64:27")
    assert pt.powertools_layer_arn("eu-west-1", "3.13", "arm64", 30).endswith(
        ":layer:AWSLambdaPowertoolsPythonV3-python313-arm64:30")


def test_json_lines_and_emf_documents():
    lines = ["START RequestId: x", '{"level": "INFO"}', '{"_aws": {"Timestamp": 1}}', "[1]"]
    assert pt.json_lines(lines) == [{"level": "INFO"}, {"_aws": {"Timestamp": 1}}]
    assert pt.emf_documents(lines) == [{"_aws": {"Timestamp": 1}}]


SERVICES = [
    {"ReferenceId": 0, "Type": "client", "Names": [], "State": "unknown",
     "Edges": [{"ReferenceId": 1, "SummaryStatistics": {"TotalCount": 3}}]},
    {"ReferenceId": 1, "Name": "shop", "Type": "AWS::Lambda", "State": "active",
     "Edges": [{"ReferenceId": 2, "SummaryStatistics": {"TotalCount": 3}}]},
    {"ReferenceId": 2, "Name": "shop", "Type": "AWS::Lambda::Function", "State": "active",
     "Edges": [{"ReferenceId": 3, "SummaryStatistics": {"TotalCount": 1}}]},
    {"ReferenceId": 3, "Name": "orders", "Type": "AWS::DynamoDB::Table", "State": "unknown",
     "Edges": []},
]


def test_service_map_lines_from_the_client_outwards():
    assert pt.service_map_lines(SERVICES) == (
        "client → shop (AWS::Lambda): 3 calls\n"
        "shop (AWS::Lambda) → shop (AWS::Lambda::Function): 3 calls\n"
        "shop (AWS::Lambda::Function) → orders (AWS::DynamoDB::Table): 1 call")
    assert pt.service_map_lines([]) == "(no edges)"
    fig = pt.figure_service_map(SERVICES, "shop")
    shown = sorted(t.get_text() for t in fig.axes[0].texts if t.get_text())
    assert shown == ["1", "3", "3", "client", "orders\nAWS::DynamoDB::Table",
                     "shop\nAWS::Lambda", "shop\nAWS::Lambda::Function"]  # boxes, counts


@pytest.fixture
def aws():
    from aws_helpers import session

    yield from session(virtual_clock=True)


def test_metric_total_reads_the_minutes_of_the_documents(aws):
    """Two EMF lines half a minute apart (maybe in two minutes): one total."""
    logs = boto3.client("logs", region_name="us-east-1")
    logs.create_log_group(logGroupName="g")
    logs.create_log_stream(logGroupName="g", logStreamName="s")
    stamp = int(aws.clock.now() * 1000)
    docs = [{"_aws": {"Timestamp": stamp + i * 30_000, "CloudWatchMetrics": [
        {"Namespace": "Shop", "Dimensions": [["service"]], "Metrics": [{"Name": "N"}]}]},
        "service": "shop", "N": i + 1} for i in range(2)]
    logs.put_log_events(logGroupName="g", logStreamName="s", logEvents=[
        {"timestamp": d["_aws"]["Timestamp"], "message": json.dumps(d)} for d in docs])
    assert pt.metric_total("Shop", "N", {"service": "shop"}, docs) == 3.0
    assert pt.metric_total("Shop", "N", {"service": "other"}, docs) is None
    assert pt.metric_total("Shop", "N", {}, []) is None
