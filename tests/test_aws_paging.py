"""Marker / MaxItems paging of the Lambda list calls through boto3 and its paginators.

Lambda API reference (botocore's Lambda model): ListFunctions and ListVersionsByFunction return
at most 50 items per response "even if you set the number higher", ListEventSourceMappings at
most 100; MaxItems is 1-10,000 (1-50 for ListLayers / ListLayerVersions); ``NextMarker`` is
"the pagination token that's included if more results are available".
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import io
import zipfile

import boto3
import pytest
from aws_helpers import REGION, create, lam, role, session  # noqa: F401
from botocore.config import Config
from botocore.exceptions import ClientError

OK = "def handler(event, context):\n    return event\n"


@pytest.fixture
def aws():
    """Virtual clock: event source mappings never poll during these tests."""
    yield from session(virtual_clock=True)


def error(info: pytest.ExceptionInfo) -> tuple[str, str, int]:
    r = info.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def walk(lam, operation: str, key: str, page_size: int, **params) -> list[list]:
    pages = lam.get_paginator(operation).paginate(
        PaginationConfig={"PageSize": page_size}, **params)
    return [page[key] for page in pages]


def test_list_functions_returns_at_most_50_and_the_paginator_walks_every_page(lam, create):
    """ListFunctions: MaxItems "returns a maximum of 50 items in each response, even if you set
    the number higher"; NextMarker only while more results are available."""
    names = sorted(create(OK, FunctionName=f"page-{i:02d}") for i in range(53))
    first = lam.list_functions()
    assert len(first["Functions"]) == 50 and first["NextMarker"]
    assert len(lam.list_functions(MaxItems=500)["Functions"]) == 50
    rest = lam.list_functions(Marker=first["NextMarker"])
    assert len(rest["Functions"]) == 3 and "NextMarker" not in rest
    assert [f["FunctionName"] for f in first["Functions"] + rest["Functions"]] == names
    pages = walk(lam, "list_functions", "Functions", 20)
    assert [len(p) for p in pages] == [20, 20, 13]
    assert [f["FunctionName"] for p in pages for f in p] == names


def test_list_functions_all_versions_pages_across_functions(lam, create):
    """FunctionVersion=ALL lists every version; paging must neither repeat nor skip one."""
    for i in range(3):
        create(OK, FunctionName=f"v-{i}", Publish=True)
    listed = [(f["FunctionName"], f["Version"]) for p in
              walk(lam, "list_functions", "Functions", 2, FunctionVersion="ALL") for f in p]
    assert listed == [(f"v-{i}", v) for i in range(3) for v in ("$LATEST", "1")]


def test_list_versions_by_function_pages(lam, create):
    """ListVersionsByFunction: Marker / MaxItems, $LATEST then the versions in order."""
    name = create(OK)
    for i in range(4):
        lam.update_function_configuration(FunctionName=name, Description=f"d{i}")
        lam.publish_version(FunctionName=name)
    first = lam.list_versions_by_function(FunctionName=name, MaxItems=2)
    assert [v["Version"] for v in first["Versions"]] == ["$LATEST", "1"]
    pages = walk(lam, "list_versions_by_function", "Versions", 2, FunctionName=name)
    assert [[v["Version"] for v in p] for p in pages] == [["$LATEST", "1"], ["2", "3"], ["4"]]


def test_list_aliases_pages(lam, create):
    name = create(OK, Publish=True)
    for alias in ("blue", "green", "live"):
        lam.create_alias(FunctionName=name, Name=alias, FunctionVersion="1")
    first = lam.list_aliases(FunctionName=name, MaxItems=2)
    assert len(first["Aliases"]) == 2 and first["NextMarker"]
    pages = walk(lam, "list_aliases", "Aliases", 2, FunctionName=name)
    assert sorted(a["Name"] for p in pages for a in p) == ["blue", "green", "live"]
    assert [len(p) for p in pages] == [2, 1]


def test_list_event_source_mappings_pages(aws, lam, create):
    sqs = boto3.client("sqs", region_name=REGION)
    name = create(OK)
    for i in range(3):
        url = sqs.create_queue(QueueName=f"q{i}")["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        lam.create_event_source_mapping(EventSourceArn=arn["Attributes"]["QueueArn"],
                                        FunctionName=name, Enabled=False)
    pages = walk(lam, "list_event_source_mappings", "EventSourceMappings", 2,
                 FunctionName=name)
    assert [len(p) for p in pages] == [2, 1]
    assert len({m["UUID"] for p in pages for m in p}) == 3


def _layer() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("python/helper.py", "X = 1\n")
    return buf.getvalue()


def test_list_layers_and_layer_versions_page(lam):
    """ListLayers / ListLayerVersions: MaxItems 1-50 (MaxLayerListItems)."""
    for name in ("a", "b", "c"):
        lam.publish_layer_version(LayerName=name, Content={"ZipFile": _layer()})
    for _ in range(2):
        lam.publish_layer_version(LayerName="a", Content={"ZipFile": _layer()})
    layers = walk(lam, "list_layers", "Layers", 2)
    assert [[x["LayerName"] for x in p] for p in layers] == [["a", "b"], ["c"]]
    versions = walk(lam, "list_layer_versions", "LayerVersions", 2, LayerName="a")
    assert [len(p) for p in versions] == [2, 1]
    assert sorted(v["Version"] for p in versions for v in p) == [1, 2, 3]


def test_a_marker_lambda_did_not_issue_is_refused(lam, create):
    """The Marker is an opaque token from a previous response; any other value is refused.
    (InvalidParameterValueException "Invalid pagination key." -- unconfirmed for ListFunctions,
    reported for ListLayers against the live service.)"""
    name = create(OK, Publish=True)
    for alias in ("a1", "a2"):
        lam.create_alias(FunctionName=name, Name=alias, FunctionVersion="1")
    for marker in ("garbage", "0", "eyJ4IjogMX0="):
        with pytest.raises(ClientError) as info:
            lam.list_functions(Marker=marker)
        assert error(info) == ("InvalidParameterValueException", "Invalid pagination key.", 400)
    alias_marker = lam.list_aliases(FunctionName=name, MaxItems=1)["NextMarker"]
    with pytest.raises(ClientError) as info:
        lam.list_functions(Marker=alias_marker)  # a token of another listing
    assert error(info)[0] == "InvalidParameterValueException"


def test_max_items_outside_its_range_is_a_validation_error(aws, create):
    """MaxListItems is 1-10,000 and MaxLayerListItems 1-50; the service answers with its
    "1 validation error detected" wording (botocore's own checks switched off)."""
    raw = boto3.client("lambda", region_name=REGION,
                       config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as info:
        raw.list_functions(MaxItems=10001)
    assert error(info) == ("ValidationException",
                           "1 validation error detected: Value '10001' at 'maxItems' failed to "
                           "satisfy constraint: Member must have value less than or equal to "
                           "10000", 400)
    with pytest.raises(ClientError) as info:
        raw.list_layers(MaxItems=0)
    assert error(info)[:2] == ("ValidationException",
                               "1 validation error detected: Value '0' at 'maxItems' failed to "
                               "satisfy constraint: Member must have value greater than or "
                               "equal to 1")
    with pytest.raises(ClientError) as info:
        raw.list_layers(MaxItems=51)
    assert "less than or equal to 50" in error(info)[1]
