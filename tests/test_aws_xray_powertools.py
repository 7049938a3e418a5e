"""X-Ray search over traced Lambda functions: Powertools' Tracer, annotations, the service graph.

Powertools for AWS Lambda (Python) docs, Tracer: ``capture_lambda_handler`` "adds a ColdStart
annotation" (and a ``Service`` annotation) on a ``## <handler>`` subsegment, ``put_annotation``
adds an indexed key, ``put_metadata`` a non-indexed value, and the boto3 calls are traced
(auto-patching); the docs suggest searching with ``annotation.ColdStart = true``. X-Ray DG
"Annotations and metadata": annotations are indexed for filter expressions, metadata is not.
X-Ray DG "Using filter expressions" (``annotation.key``, ``service("name")``); API
GetTraceSummaries (Annotations: ValueWithServiceIds), BatchGetTraces, GetServiceGraph ("Root
services … make calls to downstream services … AWS resources"); X-Ray DG "Segment documents",
``namespace``: ``aws`` for AWS SDK calls, ``remote`` for other downstream calls; the service
map shows a client, the function's ``AWS::Lambda`` and ``AWS::Lambda::Function`` nodes (DG
services-xray) and the AWS resources it calls.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, create, invoke_json, lam, poll, role, session  # noqa: F401

from lambda_lab.course.chapters.ch09_observability.powertools import powertools_layer_arn

#: Powertools as its docs tell to add it: the public layer (the handler imports nothing else)
POWERTOOLS_LAYER = powertools_layer_arn(REGION)


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def xray(aws):
    return boto3.client("xray", region_name=REGION)


TRACED = """
from aws_lambda_powertools import Tracer

tracer = Tracer(service="orders")

@tracer.capture_lambda_handler
def handler(event, context):
    tracer.put_annotation(key="order", value=event["order"])
    tracer.put_metadata(key="payload", value={"items": 2})
    return "ok"
"""


def summaries(xray, aws, expression: str | None = None) -> list[dict]:
    now = aws.clock.now()
    params = {"FilterExpression": expression} if expression else {}
    return xray.get_trace_summaries(StartTime=now - 600, EndTime=now + 600,
                                    **params)["TraceSummaries"]


def walk(doc: dict):
    yield doc
    for sub in doc.get("subsegments", []):
        yield from walk(sub)


def test_powertools_annotations_are_searchable(aws, lam, create, xray):
    """``annotation.ColdStart = true`` finds the cold start's trace only; the summary carries
    the annotations with the function's ServiceIds; metadata stays in the (nested) document."""
    name = create(TRACED, TracingConfig={"Mode": "Active"}, MemorySize=1769,
                  Layers=[POWERTOOLS_LAYER])
    assert invoke_json(lam, name, {"order": "o-1"})[1] == "ok"
    aws.advance(1)  # the next second's first request is sampled too
    assert invoke_json(lam, name, {"order": "o-2"})[1] == "ok"

    def annotated() -> list[dict]:
        found = summaries(xray, aws, "annotation.order = \"o-1\" OR annotation.order = \"o-2\"")
        return found if len(found) == 2 else []

    poll(annotated)
    [cold] = summaries(xray, aws, "annotation.ColdStart = true")
    [warm] = summaries(xray, aws, "annotation.ColdStart = false")
    assert cold["Annotations"]["order"][0]["AnnotationValue"] == {"StringValue": "o-1"}
    assert warm["Annotations"]["order"][0]["AnnotationValue"] == {"StringValue": "o-2"}
    [service] = cold["Annotations"]["Service"]
    assert service["AnnotationValue"] == {"StringValue": "orders"}
    assert service["ServiceIds"][0]["Name"] == name
    assert service["ServiceIds"][0]["Type"] == "AWS::Lambda::Function"
    assert {s["Id"] for s in summaries(xray, aws, f'service("{name}")')} == {
        cold["Id"], warm["Id"]}
    assert summaries(xray, aws, 'annotation.order = "o-3"') == []

    [trace] = xray.batch_get_traces(TraceIds=[cold["Id"]])["Traces"]
    docs = [json.loads(s["Document"]) for s in trace["Segments"]]
    assert sorted(d["origin"] for d in docs) == ["AWS::Lambda", "AWS::Lambda::Function"]
    [handler] = [n for d in docs for n in walk(d) if n["name"] == "## handler"]
    assert handler["annotations"]["ColdStart"] is True
    assert handler["metadata"]["orders"]["payload"] == {"items": 2}


CALLS = """
import boto3
from aws_lambda_powertools import Tracer

tracer = Tracer(service="orders")  # patches boto3: each call is an aws subsegment

@tracer.capture_lambda_handler
def handler(event, context):
    boto3.client("dynamodb").put_item(TableName="orders", Item={"id": {"S": "o-1"}})
    boto3.client("s3").put_object(Bucket="receipts", Key="o-1.txt", Body=b"paid")
    sqs = boto3.client("sqs")
    sqs.send_message(QueueUrl=sqs.get_queue_url(QueueName="shipping")["QueueUrl"],
                     MessageBody="o-1")
    return "ok"
"""


def test_the_service_graph_shows_the_function_and_what_it_calls(aws, lam, create, xray):
    """client → AWS::Lambda → AWS::Lambda::Function → the DynamoDB table, the S3 bucket and
    the SQS queue the handler called through boto3 (inferred nodes, state unknown)."""
    boto3.client("dynamodb", region_name=REGION).create_table(
        TableName="orders", KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST")
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="receipts")
    boto3.client("sqs", region_name=REGION).create_queue(QueueName="shipping")
    name = create(CALLS, TracingConfig={"Mode": "Active"}, MemorySize=1769, Timeout=30,
                  Layers=[POWERTOOLS_LAYER])
    assert invoke_json(lam, name)[1] == "ok"
    now = aws.clock.now()

    def graph() -> dict | None:
        services = xray.get_service_graph(StartTime=now - 600, EndTime=now + 600)["Services"]
        by = {(s.get("Name", ""), s["Type"]): s for s in services}
        return by if ("shipping", "AWS::SQS::Queue") in by else None

    by = poll(graph)
    client = by[("", "client")]
    service, function = by[(name, "AWS::Lambda")], by[(name, "AWS::Lambda::Function")]
    table, bucket, queue = (by[("orders", "AWS::DynamoDB::Table")],
                            by[("receipts", "AWS::S3::Bucket")],
                            by[("shipping", "AWS::SQS::Queue")])

    def targets(node: dict) -> set[int]:
        return {e["ReferenceId"] for e in node["Edges"]}

    assert targets(client) == {service["ReferenceId"]}
    assert targets(service) == {function["ReferenceId"]}
    assert targets(function) == {table["ReferenceId"], bucket["ReferenceId"],
                                 queue["ReferenceId"]}
    assert service["Root"] is True and service["State"] == "active"
    assert table["State"] == "unknown" and table["Edges"] == []
    assert function["SummaryStatistics"]["TotalCount"] == 1
    [summary] = summaries(xray, aws, 'service("orders") AND service("shipping")')
    assert summary["EntryPoint"] == {"Name": name, "Names": [name], "Type": "AWS::Lambda"}
