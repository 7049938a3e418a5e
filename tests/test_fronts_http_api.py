"""API Gateway HTTP APIs (issue #13), configured with the ordinary ``apigatewayv2`` client
(quick create, or routes and integrations) and called with ``requests`` at
``https://{api-id}.execute-api.{region}.amazonaws.com/{path}`` (front-doors.md §2; API Gateway
DG "Working with AWS Lambda proxy integrations for HTTP APIs")."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
import time

import boto3
import pytest
import requests
from aws_helpers import REGION, aws, create, lam, role  # noqa: F401

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""
ACCOUNT = "123456789012"


def fn_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def allow(lam, name: str, api_id: str) -> None:
    lam.add_permission(FunctionName=name, StatementId=f"apigw-{api_id}",
                       Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*")


def host(api_id: str) -> str:
    return f"https://{api_id}.execute-api.{REGION}.amazonaws.com"


@pytest.fixture
def apigw(aws):
    return boto3.client("apigatewayv2", region_name=REGION)


def quick(apigw, lam, name: str) -> str:
    api_id = apigw.create_api(Name="quick", ProtocolType="HTTP", Target=fn_arn(name))["ApiId"]
    allow(lam, name, api_id)
    return api_id


def test_quick_create_payload_2_event(aws, lam, create, apigw):
    """DG payload 2.0: quick create (Target) makes a $default route and stage; the event has
    rawPath, rawQueryString, comma-joined repeated query values, cookies apart, lower-case
    header names, requestContext.http, no multiValue* maps."""
    name = create(ECHO)
    api_id = quick(apigw, lam, name)
    assert apigw.get_stages(ApiId=api_id)["Items"][0]["StageName"] == "$default"
    r = requests.post(host(api_id) + "/my/path?parameter1=value1&parameter1=value2"
                      "&parameter2=value", data="Hello from Lambda",
                      headers={"Header1": "value1", "Cookie": "cookie1; cookie2"})
    assert r.status_code == 200, r.text
    event = json.loads(r.text)
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/my/path"
    assert event["rawQueryString"] == "parameter1=value1&parameter1=value2&parameter2=value"
    assert event["queryStringParameters"] == {"parameter1": "value1,value2",
                                              "parameter2": "value"}
    assert event["cookies"] == ["cookie1", "cookie2"]
    assert event["headers"]["header1"] == "value1"
    assert all(k == k.lower() for k in event["headers"])
    assert "multiValueHeaders" not in event and "multiValueQueryStringParameters" not in event
    assert event["body"] == "Hello from Lambda" and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["http"]["method"] == "POST" and ctx["http"]["path"] == "/my/path"
    assert ctx["http"]["protocol"] == "HTTP/1.1" and ctx["stage"] == "$default"
    assert ctx["apiId"] == api_id and ctx["accountId"] == ACCOUNT
    assert ctx["domainName"] == f"{api_id}.execute-api.{REGION}.amazonaws.com"
    assert isinstance(ctx["timeEpoch"], int)


def test_response_inference_and_cookies(aws, lam, create, apigw):
    """DG "Lambda function response for format 2.0": a result without statusCode -> 200,
    content-type application/json, the body is the result ("Hello from Lambda!" as is, a dict
    as JSON); ``cookies`` become set-cookie headers."""
    name = create("""
def handler(event, context):
    kind = event["rawPath"].strip("/")
    if kind == "string":
        return "Hello from Lambda!"
    if kind == "dict":
        return {"message": "Hello from Lambda!"}
    return {"statusCode": 201, "cookies": ["a=1; Secure", "b=2"], "body": "ok",
            "headers": {"content-type": "text/plain"}}
""")
    api_id = quick(apigw, lam, name)
    r = requests.get(host(api_id) + "/string")
    assert (r.status_code, r.text, r.headers["content-type"]) == (
        200, "Hello from Lambda!", "application/json")
    r = requests.get(host(api_id) + "/dict")
    assert r.json() == {"message": "Hello from Lambda!"}
    r = requests.get(host(api_id) + "/custom")
    assert r.status_code == 201 and r.text == "ok"
    assert r.raw.headers.getlist("set-cookie") == ["a=1; Secure", "b=2"]


def test_routes_path_parameters_stages_and_not_found(aws, lam, create, apigw):
    """DG "Working with routes": the most specific route wins (GET /items/{id} over ANY
    /{proxy+}); pathParameters carry the values; a named stage is the first path part; no
    route -> 404 {"message": "Not Found"}."""
    name = create(ECHO)
    api_id = apigw.create_api(Name="routes", ProtocolType="HTTP")["ApiId"]
    integ = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                     IntegrationUri=fn_arn(name),
                                     PayloadFormatVersion="2.0")["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /items/{id}",
                       Target=f"integrations/{integ}")
    apigw.create_route(ApiId=api_id, RouteKey="ANY /files/{proxy+}",
                       Target=f"integrations/{integ}")
    apigw.create_stage(ApiId=api_id, StageName="prod", StageVariables={"color": "blue"})
    allow(lam, name, api_id)
    event = requests.get(host(api_id) + "/prod/items/42").json()
    assert event["routeKey"] == "GET /items/{id}" and event["pathParameters"] == {"id": "42"}
    assert event["stageVariables"] == {"color": "blue"}
    assert event["requestContext"]["stage"] == "prod"
    event = requests.delete(host(api_id) + "/prod/files/a/b.txt").json()
    assert event["routeKey"] == "ANY /files/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b.txt"}
    for method, path in (("POST", "/prod/items/42"), ("GET", "/prod/other"),
                         ("GET", "/items/42")):
        r = requests.request(method, host(api_id) + path)
        assert r.status_code == 404 and r.json() == {"message": "Not Found"}


def test_payload_format_1_0(aws, lam, create, apigw):
    """payloadFormatVersion 1.0 on an HTTP API: the REST-style event (version "1.0",
    multiValue* maps, last value wins in the single maps)."""
    name = create(ECHO)
    api_id = apigw.create_api(Name="v1", ProtocolType="HTTP")["ApiId"]
    integ = apigw.create_integration(ApiId=api_id, IntegrationType="AWS_PROXY",
                                     IntegrationUri=fn_arn(name),
                                     PayloadFormatVersion="1.0")["IntegrationId"]
    apigw.create_route(ApiId=api_id, RouteKey="GET /v1", Target=f"integrations/{integ}")
    apigw.create_stage(ApiId=api_id, StageName="$default", AutoDeploy=True)
    allow(lam, name, api_id)
    event = requests.get(host(api_id) + "/v1?q=1&q=2").json()
    assert event["version"] == "1.0" and event["httpMethod"] == "GET"
    assert event["queryStringParameters"] == {"q": "2"}
    assert event["multiValueQueryStringParameters"] == {"q": ["1", "2"]}
    assert event["requestContext"]["routeKey"] == "GET /v1"


def test_errors_500_and_timeout_503(aws, lam, create, apigw):
    """HTTP APIs answer a handler error, a malformed result and a missing permission with 500
    {"message": "Internal Server Error"}, and an integration past its timeout (at most 30 s)
    with 503 {"message": "Service Unavailable"} (an HTTP API's answer as users recorded it:
    cortexlabs/cortex#1225 with its apigw-requestid header, serverless/serverless#11222)."""
    name = create("""
import time
def handler(event, context):
    kind = event["rawPath"].strip("/")
    if kind == "slow":
        time.sleep(1.5)
    if kind == "bad":
        return {"statusCode": "abc"}
    raise ValueError("boom")
""", Timeout=5)
    api_id = apigw.create_api(Name="q", ProtocolType="HTTP", Target=fn_arn(name))["ApiId"]
    r = requests.get(host(api_id) + "/raise")
    assert r.status_code == 500 and r.json() == {"message": "Internal Server Error"}  # denied
    allow(lam, name, api_id)
    for path in ("/raise", "/bad"):
        r = requests.get(host(api_id) + path)
        assert r.status_code == 500 and r.json() == {"message": "Internal Server Error"}
    integ = apigw.get_integrations(ApiId=api_id)["Items"][0]["IntegrationId"]
    apigw.update_integration(ApiId=api_id, IntegrationId=integ, TimeoutInMillis=300)
    started = time.monotonic()
    r = requests.get(host(api_id) + "/slow")
    assert r.status_code == 503 and r.json() == {"message": "Service Unavailable"}
    assert time.monotonic() - started < 1.4


def test_lambda_authorizer_simple_responses(aws, lam, create, apigw):
    """DG "Working with AWS Lambda authorizers for HTTP APIs": a REQUEST authorizer (payload
    2.0, simple responses) gets identitySource and routeArn; isAuthorized true -> the route
    runs with requestContext.authorizer.lambda = the context; false -> 403
    {"message": "Forbidden"}; a missing identity source -> 401 {"message": "Unauthorized"}."""
    backend = create(ECHO)
    authorizer = create("""
def handler(event, context):
    ok = event["identitySource"] == ["let-me-in"] and event["routeArn"].endswith("/GET/doors")
    return {"isAuthorized": ok, "context": {"user": "dana"}}
""")
    api_id = apigw.create_api(Name="guarded", ProtocolType="HTTP", Target=fn_arn(backend))[
        "ApiId"]
    auth_id = apigw.create_authorizer(
        ApiId=api_id, Name="a", AuthorizerType="REQUEST",
        AuthorizerUri=(f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/"
                       f"{fn_arn(authorizer)}/invocations"),
        IdentitySource=["$request.header.Authorization"], AuthorizerPayloadFormatVersion="2.0",
        EnableSimpleResponses=True)["AuthorizerId"]
    route = apigw.get_routes(ApiId=api_id)["Items"][0]["RouteId"]
    apigw.update_route(ApiId=api_id, RouteId=route, AuthorizationType="CUSTOM",
                       AuthorizerId=auth_id)
    allow(lam, backend, api_id)
    lam.add_permission(FunctionName=authorizer, StatementId="auth",
                       Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*")
    r = requests.get(host(api_id) + "/doors", headers={"Authorization": "let-me-in"})
    assert r.status_code == 200, r.text
    assert r.json()["requestContext"]["authorizer"] == {"lambda": {"user": "dana"}}
    r = requests.get(host(api_id) + "/doors", headers={"Authorization": "nope"})
    assert r.status_code == 403 and r.json() == {"message": "Forbidden"}
    r = requests.get(host(api_id) + "/doors")
    assert r.status_code == 401 and r.json() == {"message": "Unauthorized"}


def test_cors_configuration_answers_preflight(aws, lam, create, apigw):
    """DG "Configuring CORS for an HTTP API": with a CORS configuration API Gateway answers a
    preflight OPTIONS itself (no OPTIONS route needed) and adds the CORS headers to the
    integration's response for an allowed origin."""
    name = create(ECHO)
    api_id = apigw.create_api(Name="cors", ProtocolType="HTTP", Target=fn_arn(name),
                              CorsConfiguration={"AllowOrigins": ["https://app.example"],
                                                 "AllowMethods": ["GET", "PUT"],
                                                 "AllowHeaders": ["x-token"], "MaxAge": 60})[
        "ApiId"]
    allow(lam, name, api_id)
    r = requests.options(host(api_id) + "/things", headers={
        "Origin": "https://app.example", "Access-Control-Request-Method": "PUT"})
    assert r.status_code == 204
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert r.headers["Access-Control-Allow-Methods"] == "GET,PUT"
    assert r.headers["Access-Control-Max-Age"] == "60"
    r = requests.get(host(api_id) + "/things", headers={"Origin": "https://app.example"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example"
    r = requests.get(host(api_id) + "/things", headers={"Origin": "https://other.example"})
    assert "Access-Control-Allow-Origin" not in r.headers
