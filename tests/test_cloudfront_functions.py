"""CloudFront Functions (issue #17): the Function API on the ``cloudfront`` client, the
JavaScript run for real in the embedded engine, TestFunction's ``TestResult``, and functions
on a distribution's viewer events (CloudFront API reference CreateFunction / PublishFunction /
TestFunction; CloudFront DG "CloudFront Functions event structure", "Restrictions on
CloudFront Functions", "Quotas on CloudFront Functions", "Restrictions on all edge
functions")."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
import sys
from typing import Any

import boto3
import pytest
import requests
from aws_helpers import REGION, aws  # noqa: F401
from botocore.exceptions import ClientError
from edge_helpers import dist_config, edge_role, edge_version, s3_origin

ADD_HEADER = b"""
function handler(event) {
    console.log('uri ' + event.request.uri);
    event.request.headers['x-device'] = {value: 'mobile'};
    return event.request;
}
"""
REDIRECT = b"""
async function handler(event) {
    return {statusCode: 302, statusDescription: 'Found',
            headers: {location: {value: 'https://example.com' + event.request.uri}}};
}
"""
SECURITY = b"""
function handler(event) {
    var response = event.response;
    response.headers['x-frame-options'] = {value: 'DENY'};
    response.cookies['seen'] = {value: '1', attributes: 'Path=/'};
    return response;
}
"""


def viewer_event(uri: str = "/index.html") -> bytes:
    return json.dumps({"version": "1.0", "context": {"eventType": "viewer-request"},
                       "viewer": {"ip": "198.51.100.11"},
                       "request": {"method": "GET", "uri": uri, "querystring": {},
                                   "headers": {"host": {"value": "example.org"}},
                                   "cookies": {}}}).encode()


def error_of(info: Any) -> tuple[str, int]:
    r = info.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def cf(aws: Any) -> Any:
    return boto3.client("cloudfront", region_name=REGION)


def make(cf: Any, name: str, code: bytes, publish: bool = True) -> str:
    made = cf.create_function(Name=name, FunctionConfig={"Comment": "", "Runtime":
                                                         "cloudfront-js-2.0"}, FunctionCode=code)
    if publish:
        cf.publish_function(Name=name, IfMatch=made["ETag"])
    return made["FunctionSummary"]["FunctionMetadata"]["FunctionARN"]


def test_create_describe_get_publish_shapes_and_errors(cf):
    """API reference: CreateFunction answers 201 with FunctionSummary (Status UNPUBLISHED,
    Stage DEVELOPMENT, FunctionARN ``arn:aws:cloudfront::{account}:function/{name}``) and an
    ETag; GetFunction returns the code; PublishFunction needs the DEVELOPMENT ETag (else
    PreconditionFailed 412) and makes the LIVE stage; a second create is
    FunctionAlreadyExists (409); an unknown name NoSuchFunctionExists (404); an unknown
    runtime InvalidArgument; code over 10 KB FunctionSizeLimitExceeded (413)."""
    made = cf.create_function(Name="rewrite", FunctionConfig={"Comment": "hi", "Runtime":
                                                              "cloudfront-js-2.0"},
                              FunctionCode=ADD_HEADER)
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201 and made["ETag"]
    summary = made["FunctionSummary"]
    assert summary["Name"] == "rewrite" and summary["Status"] == "UNPUBLISHED"
    assert summary["FunctionConfig"] == {"Comment": "hi", "Runtime": "cloudfront-js-2.0"}
    assert summary["FunctionMetadata"]["Stage"] == "DEVELOPMENT"
    assert summary["FunctionMetadata"]["FunctionARN"] == \
        "arn:aws:cloudfront::123456789012:function/rewrite"
    assert cf.get_function(Name="rewrite")["FunctionCode"].read() == ADD_HEADER
    with pytest.raises(ClientError) as info:
        cf.publish_function(Name="rewrite", IfMatch="EWRONG")
    assert error_of(info) == ("PreconditionFailed", 412)
    live = cf.publish_function(Name="rewrite", IfMatch=made["ETag"])["FunctionSummary"]
    assert live["Status"] == "UNASSOCIATED" and live["FunctionMetadata"]["Stage"] == "LIVE"
    assert cf.describe_function(Name="rewrite", Stage="LIVE")["ETag"]
    with pytest.raises(ClientError) as info:
        cf.create_function(Name="rewrite", FunctionConfig={"Comment": "", "Runtime":
                                                           "cloudfront-js-2.0"},
                           FunctionCode=ADD_HEADER)
    assert error_of(info) == ("FunctionAlreadyExists", 409)
    with pytest.raises(ClientError) as info:
        cf.describe_function(Name="nope")
    assert error_of(info) == ("NoSuchFunctionExists", 404)
    with pytest.raises(ClientError) as info:
        cf.create_function(Name="py", FunctionConfig={"Comment": "", "Runtime": "python3.12"},
                           FunctionCode=ADD_HEADER)
    assert error_of(info) == ("InvalidArgument", 400)
    big = b"function handler(e) { return e.request; }\n//" + b"x" * (10 * 1024)
    with pytest.raises(ClientError) as info:
        cf.create_function(Name="big", FunctionConfig={"Comment": "", "Runtime":
                                                       "cloudfront-js-2.0"}, FunctionCode=big)
    assert error_of(info) == ("FunctionSizeLimitExceeded", 413)


def test_test_function_runs_the_javascript(cf):
    """TestFunction: ``TestResult`` with FunctionSummary, ComputeUtilization (a percentage,
    as a string), FunctionExecutionLogs (console.log lines), FunctionErrorMessage and
    FunctionOutput (the returned request as JSON)."""
    made = cf.create_function(Name="t", FunctionConfig={"Comment": "", "Runtime":
                                                        "cloudfront-js-2.0"},
                              FunctionCode=ADD_HEADER)
    result = cf.test_function(Name="t", IfMatch=made["ETag"],
                              EventObject=viewer_event("/a.html"))["TestResult"]
    assert result["FunctionSummary"]["Name"] == "t"
    assert 0 <= int(result["ComputeUtilization"]) <= 100
    assert result["FunctionExecutionLogs"] == ["uri /a.html"]
    assert result["FunctionErrorMessage"] == ""
    output = json.loads(result["FunctionOutput"])
    assert output["request"]["uri"] == "/a.html"
    assert output["request"]["headers"]["x-device"] == {"value": "mobile"}


def test_test_function_works_under_a_running_event_loop(cf):
    """A Jupyter kernel's main thread runs an event loop, where mini-racer refuses a timed
    eval; TestFunction there gives the same TestResult (FunctionOutput the returned request)."""
    import asyncio

    made = cf.create_function(Name="loop", FunctionConfig={"Comment": "", "Runtime":
                                                           "cloudfront-js-2.0"},
                              FunctionCode=ADD_HEADER)

    async def call() -> dict[str, Any]:
        return cf.test_function(Name="loop", IfMatch=made["ETag"],
                                EventObject=viewer_event("/l"))["TestResult"]

    result = asyncio.run(call())
    assert result["FunctionErrorMessage"] == ""
    assert json.loads(result["FunctionOutput"])["request"]["headers"]["x-device"] == \
        {"value": "mobile"}


def test_no_network_and_errors_are_reported(cf):
    """Restrictions on CloudFront Functions: no network access (``fetch`` does not exist);
    an exception is the TestResult's FunctionErrorMessage, with no output."""
    made = cf.create_function(Name="net", FunctionConfig={"Comment": "", "Runtime":
                                                          "cloudfront-js-2.0"},
                              FunctionCode=b"async function handler(e) { "
                                           b"await fetch('https://example.com'); "
                                           b"return e.request; }")
    result = cf.test_function(Name="net", IfMatch=made["ETag"],
                              EventObject=viewer_event())["TestResult"]
    assert "fetch is not defined" in result["FunctionErrorMessage"]
    assert result["FunctionOutput"] == ""


def test_missing_engine_is_said_at_call_time(cf, monkeypatch):
    """Without an embedded engine, TestFunction fails saying which package to install."""
    made = cf.create_function(Name="e", FunctionConfig={"Comment": "", "Runtime":
                                                        "cloudfront-js-2.0"},
                              FunctionCode=ADD_HEADER)
    monkeypatch.setitem(sys.modules, "py_mini_racer", None)
    with pytest.raises(ClientError) as info:
        cf.test_function(Name="e", IfMatch=made["ETag"], EventObject=viewer_event())
    assert error_of(info)[0] == "TestFunctionFailed"
    assert "mini-racer" in info.value.response["Error"]["Message"]


def test_viewer_functions_on_a_distribution(aws, cf):
    """A LIVE function on viewer-request answers without the origin (``X-Cache:
    FunctionGeneratedResponse from cloudfront``); one on viewer-response adds headers and
    cookies to the origin's response."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="site")
    s3.put_object(Bucket="site", Key="index.html", Body=b"hi", ContentType="text/html")
    redirect = make(cf, "redirect", REDIRECT)
    dist = cf.create_distribution(DistributionConfig=dist_config(
        s3_origin("site"), functions={"viewer-request": redirect}))["Distribution"]
    r = requests.get(f"https://{dist['DomainName']}/m", allow_redirects=False)
    assert r.status_code == 302 and r.headers["Location"] == "https://example.com/m"
    assert r.headers["X-Cache"] == "FunctionGeneratedResponse from cloudfront"
    assert cf.describe_function(Name="redirect", Stage="LIVE")["FunctionSummary"][
        "Status"] == "DEPLOYED"
    security = make(cf, "security", SECURITY)
    dist2 = cf.create_distribution(DistributionConfig=dist_config(
        s3_origin("site"), functions={"viewer-response": security}))["Distribution"]
    r = requests.get(f"https://{dist2['DomainName']}/index.html")
    assert r.status_code == 200 and r.text == "hi"
    assert r.headers["X-Frame-Options"] == "DENY" and r.headers["Set-Cookie"] == "seen=1; Path=/"


def test_function_association_rules(aws, cf):
    """Restrictions on all edge functions: CloudFront Functions only on viewer events, not
    beside a Lambda@Edge function on the same viewer event; only a published (LIVE) function
    can be associated — otherwise InvalidFunctionAssociation."""
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="site")
    live = make(cf, "live", ADD_HEADER)
    draft = make(cf, "draft", ADD_HEADER, publish=False)
    lam = boto3.client("lambda", region_name=REGION)
    edge = edge_version(lam, edge_role(), "def handler(e, c):\n    return e\n", "edge")
    for kwargs in ({"functions": {"origin-request": live}},
                   {"functions": {"viewer-request": draft}},
                   {"functions": {"viewer-request": live}, "lambdas": {"viewer-request": edge}}):
        with pytest.raises(ClientError) as info:
            cf.create_distribution(DistributionConfig=dist_config(s3_origin("site"), **kwargs))
        assert error_of(info) == ("InvalidFunctionAssociation", 400)
    cf.create_distribution(DistributionConfig=dist_config(
        s3_origin("site"), functions={"viewer-request": live}, lambdas={"origin-request": edge}))


def test_the_api_through_serve(aws):
    """The same operations through the emulator's HTTP endpoint (SDKs and the AWS CLI with
    ``--endpoint-url``)."""
    cf = boto3.client("cloudfront", region_name=REGION, endpoint_url=aws.endpoint_url)
    made = cf.create_function(Name="served", FunctionConfig={"Comment": "", "Runtime":
                                                             "cloudfront-js-2.0"},
                              FunctionCode=ADD_HEADER)
    result = cf.test_function(Name="served", IfMatch=made["ETag"],
                              EventObject=viewer_event("/s"))["TestResult"]
    assert json.loads(result["FunctionOutput"])["request"]["headers"]["x-device"] == \
        {"value": "mobile"}


def test_a_failing_function_is_a_503(aws, cf):
    """CloudFront DG "HTTP 503 status code (function execution error)": a CloudFront Function
    that throws gives the viewer a 503 (``X-Cache: FunctionExecutionError``)."""
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="site")
    arn = make(cf, "throws", b"function handler(event) { throw new Error('nope'); }")
    dist = cf.create_distribution(DistributionConfig=dist_config(
        s3_origin("site"), functions={"viewer-request": arn}))["Distribution"]
    r = requests.get(f"https://{dist['DomainName']}/x")
    assert r.status_code == 503
    assert r.headers["X-Cache"] == "FunctionExecutionError from cloudfront"
