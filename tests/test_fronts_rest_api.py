"""API Gateway REST APIs with Lambda proxy integrations (issue #13), configured with the
ordinary ``apigateway`` client and called with ``requests`` at the real URL
``https://{api-id}.execute-api.{region}.amazonaws.com/{stage}/{path}`` (front-doors.md §1;
API Gateway DG "Set up Lambda proxy integrations")."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import base64
import json
import time

import boto3
import pytest
import requests
from aws_helpers import REGION, aws, create, lam, make_zip, role  # noqa: F401

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""
ACCOUNT = "123456789012"
ERROR = {"message": "Internal server error"}


def fn_arn(name: str, qualifier: str | None = None) -> str:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def uri(arn: str) -> str:
    return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"


def allow(lam, name: str, api_id: str, qualifier: str | None = None) -> None:
    """The permission the console adds: apigateway.amazonaws.com from this API."""
    lam.add_permission(FunctionName=name, StatementId=f"apigw-{api_id}",
                       Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*",
                       **({"Qualifier": qualifier} if qualifier else {}))


def proxy_api(apigw, target_uri: str, *, path_part: str = "{proxy+}", stage: str | None = "test",
              variables: dict | None = None, timeout_ms: int | None = None,
              binary: list[str] | None = None, kind: str = "AWS_PROXY") -> str:
    """A REST API: ``/{path_part}`` with ANY -> Lambda (proxy), deployed to ``stage``."""
    api_id = apigw.create_rest_api(name="api", **({"binaryMediaTypes": binary} if binary
                                                  else {}))["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    res = apigw.create_resource(restApiId=api_id, parentId=root, pathPart=path_part)["id"]
    apigw.put_method(restApiId=api_id, resourceId=res, httpMethod="ANY",
                     authorizationType="NONE")
    extra = {"timeoutInMillis": timeout_ms} if timeout_ms else {}
    apigw.put_integration(restApiId=api_id, resourceId=res, httpMethod="ANY", type=kind,
                          integrationHttpMethod="POST", uri=target_uri, **extra)
    if kind == "AWS":
        apigw.put_integration_response(restApiId=api_id, resourceId=res, httpMethod="ANY",
                                       statusCode="200", selectionPattern="")
    if stage:
        apigw.create_deployment(restApiId=api_id, stageName=stage,
                                **({"variables": variables} if variables else {}))
    return api_id


def base(api_id: str, stage: str = "test") -> str:
    return f"https://{api_id}.execute-api.{REGION}.amazonaws.com/{stage}"


@pytest.fixture
def apigw(aws):
    return boto3.client("apigateway", region_name=REGION)


def test_proxy_event_matches_the_aws_recording(aws, lam, create, apigw):
    """AWS-recorded event (front-doors.md §1, 2024-08-02): POST /stage/proxy-value?category=
    electronics&category=books&price=10&price=20&price=30 -> resource "/{proxy+}", path without
    the stage, requestContext.path with it, single-value maps keep the last value,
    multiValue* keep all, stageVariables null, pathParameters {"proxy": ...}."""
    name = create(ECHO)
    api_id = proxy_api(apigw, uri(fn_arn(name)))
    allow(lam, name, api_id)
    r = requests.post(base(api_id) + "/proxy-value?category=electronics&category=books"
                      "&price=10&price=20&price=30", data='{"message": "hello world"}',
                      headers={"X-Multi": "a"})
    assert r.status_code == 200, r.text
    event = json.loads(r.text)
    assert event["resource"] == "/{proxy+}" and event["path"] == "/proxy-value"
    assert event["httpMethod"] == "POST"
    assert event["queryStringParameters"] == {"category": "books", "price": "30"}
    assert event["multiValueQueryStringParameters"] == {
        "category": ["electronics", "books"], "price": ["10", "20", "30"]}
    assert event["pathParameters"] == {"proxy": "proxy-value"}
    assert event["stageVariables"] is None and event["isBase64Encoded"] is False
    assert event["body"] == '{"message": "hello world"}'
    assert event["headers"]["X-Multi"] == "a" and event["multiValueHeaders"]["X-Multi"] == ["a"]
    assert {"X-Forwarded-For", "X-Amzn-Trace-Id", "Host"} <= set(event["headers"])
    ctx = event["requestContext"]
    assert ctx["path"] == "/test/proxy-value" and ctx["stage"] == "test"
    assert ctx["resourcePath"] == "/{proxy+}" and ctx["httpMethod"] == "POST"
    assert ctx["apiId"] == api_id and ctx["accountId"] == ACCOUNT
    assert ctx["domainName"] == f"{api_id}.execute-api.{REGION}.amazonaws.com"
    assert ctx["domainPrefix"] == api_id and ctx["protocol"] == "HTTP/1.1"
    assert ctx["identity"]["sourceIp"] and ctx["identity"]["userAgent"].startswith(
        "python-requests")
    assert isinstance(ctx["requestTimeEpoch"], int) and ctx["requestTime"].endswith(" +0000")
    r = requests.get(base(api_id) + "/x")
    event = json.loads(r.text)
    assert event["queryStringParameters"] is None and event["body"] is None
    assert event["multiValueQueryStringParameters"] is None


CONTRACT = """
import json
CASES = {
    "status": {"statusCode": 200},
    "bool-header": {"statusCode": 200, "headers": {"test-header": "value", "header-bool": True}},
    "null-headers": {"statusCode": 200, "headers": None},
    "unknown-key": {"statusCode": 200, "wrongValue": "value"},
    "empty": {},
    "string": "justAString",
    "bad-status": {"statusCode": "test"},
    "string-status": {"statusCode": "201"},
    "no-status": {"headers": {"test-header": "value"}},
    "mvh-not-list": {"statusCode": 200, "multiValueHeaders": {"test-multi": "value1"}},
    "mvh": {"statusCode": 200, "multiValueHeaders": {"test-multi": ["value1", "value2"]}},
    "merge": {"statusCode": 200, "multiValueHeaders": {"test-multi": ["value-multi"]},
              "headers": {"test-multi": "value-solo"}},
    "b64": {"statusCode": 200, "isBase64Encoded": True, "body": "aGVsbG8="},
}
def handler(event, context):
    return CASES[event["pathParameters"]["proxy"]]
"""


@pytest.mark.parametrize("case,status,check", [
    ("status", 200, lambda r: r.text == "" and r.headers["Content-Type"] == "application/json"),
    ("bool-header", 200, lambda r: r.headers["header-bool"] == "true"),
    ("null-headers", 200, lambda r: True),
    ("unknown-key", 502, lambda r: r.json() == ERROR),
    ("empty", 502, lambda r: r.json() == ERROR),
    ("string", 502, lambda r: r.json() == ERROR),
    ("bad-status", 502, lambda r: r.json() == ERROR),
    ("string-status", 201, lambda r: True),
    ("no-status", 200, lambda r: r.headers["test-header"] == "value"),
    ("mvh-not-list", 502, lambda r: r.json() == ERROR),
    ("mvh", 200, lambda r: r.headers["test-multi"] == "value1, value2"),
    ("merge", 200, lambda r: r.headers["test-multi"] == "value-multi, value-solo"),
    ("b64", 200, lambda r: r.text == "aGVsbG8="),
])
def test_response_contract_as_recorded(aws, lam, create, apigw, case, status, check):
    """AWS-recorded response validation (front-doors.md §1,
    test_aws_proxy_response_payload_format_validation, 2024-11-15): each handler result and
    what the client got."""
    name = create(CONTRACT)
    api_id = proxy_api(apigw, uri(fn_arn(name)))
    allow(lam, name, api_id)
    r = requests.get(f"{base(api_id)}/{case}")
    assert r.status_code == status, r.text
    assert check(r)


def test_handler_error_is_502_and_missing_permission_500(aws, lam, create, apigw):
    """DG "Handle Lambda errors in API Gateway": a proxy handler that raises -> 502
    {"message": "Internal server error"}; without lambda:InvokeFunction for
    apigateway.amazonaws.com API Gateway cannot invoke -> 500 with the same body."""
    name = create("def handler(event, context):\n    raise ValueError('boom')\n")
    api_id = proxy_api(apigw, uri(fn_arn(name)))
    r = requests.get(base(api_id) + "/x")
    assert r.status_code == 500 and r.json() == ERROR
    allow(lam, name, api_id)
    r = requests.get(base(api_id) + "/x")
    assert r.status_code == 502 and r.json() == ERROR


def test_unknown_path_or_stage_is_missing_authentication_token(aws, lam, create, apigw):
    """API Gateway answers a path with no resource or method, or a stage that was never
    deployed, with 403 {"message": "Missing Authentication Token"}."""
    name = create(ECHO)
    api_id = proxy_api(apigw, uri(fn_arn(name)), path_part="items")
    allow(lam, name, api_id)
    assert requests.get(base(api_id) + "/items").status_code == 200
    for url in (base(api_id) + "/other", base(api_id, "prod") + "/items", base(api_id)):
        r = requests.get(url)
        assert r.status_code == 403 and r.json() == {"message": "Missing Authentication Token"}
    undeployed = proxy_api(apigw, uri(fn_arn(name)), stage=None)
    assert requests.get(base(undeployed) + "/x").status_code == 403


def test_path_parameters_and_literal_precedence(aws, lam, create, apigw):
    """DG "Set up a proxy integration": a literal path part wins over {param}, which wins over
    a greedy {proxy+}; pathParameters carry the values."""
    name = create(ECHO)
    api_id = apigw.create_rest_api(name="api")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    items = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="items")["id"]
    item = apigw.create_resource(restApiId=api_id, parentId=items, pathPart="{id}")["id"]
    new = apigw.create_resource(restApiId=api_id, parentId=items, pathPart="new")["id"]
    greedy = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    for res in (item, new, greedy):
        apigw.put_method(restApiId=api_id, resourceId=res, httpMethod="GET",
                         authorizationType="NONE")
        apigw.put_integration(restApiId=api_id, resourceId=res, httpMethod="GET",
                              type="AWS_PROXY", integrationHttpMethod="POST",
                              uri=uri(fn_arn(name)))
    apigw.create_deployment(restApiId=api_id, stageName="v1")
    allow(lam, name, api_id)
    event = requests.get(base(api_id, "v1") + "/items/42").json()
    assert event["resource"] == "/items/{id}" and event["pathParameters"] == {"id": "42"}
    event = requests.get(base(api_id, "v1") + "/items/new").json()
    assert event["resource"] == "/items/new" and event["pathParameters"] is None
    event = requests.get(base(api_id, "v1") + "/a/b/c").json()
    assert event["resource"] == "/{proxy+}" and event["pathParameters"] == {"proxy": "a/b/c"}
    r = requests.post(base(api_id, "v1") + "/items/42")  # only GET was put
    assert r.status_code == 403


def test_stage_variable_selects_the_alias(aws, lam, create, apigw):
    """DG "Use stage variables for a Lambda integration": the URI names
    ``function:NAME:${stageVariables.alias}``; each stage invokes its alias (with a
    permission on that alias); the event carries stageVariables."""
    name = create("def handler(event, context):\n    return {'statusCode': 200, 'body': 'v1'}\n")
    lam.publish_version(FunctionName=name)
    lam.update_function_code(FunctionName=name, ZipFile=make_zip(
        "import json\ndef handler(event, context):\n"
        "    return {'statusCode': 200, 'body': json.dumps(event['stageVariables'])}\n"))
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="prod", FunctionVersion="1")
    lam.create_alias(FunctionName=name, Name="dev", FunctionVersion="2")
    api_id = proxy_api(apigw, uri(fn_arn(name) + ":${stageVariables.alias}"), stage="prod",
                       variables={"alias": "prod"})
    apigw.create_deployment(restApiId=api_id, stageName="dev", variables={"alias": "dev"})
    allow(lam, name, api_id, "prod")
    allow(lam, name, api_id, "dev")
    assert requests.get(base(api_id, "prod") + "/x").text == "v1"
    assert requests.get(base(api_id, "dev") + "/x").json() == {"alias": "dev"}


def test_integration_timeout_is_504_while_the_function_runs_on(aws, lam, create, apigw):
    """API Gateway's integration timeout (50 ms-29 s, ``timeoutInMillis``) -> 504
    {"message": "Endpoint request timed out"}; the invocation itself goes on to the function's
    own timeout (front-doors.md §1; the body as users report it, serverless/serverless#3171)."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="marks")
    name = create("""
import time, boto3
def handler(event, context):
    time.sleep(1.5)
    boto3.client("s3").put_object(Bucket="marks", Key="done", Body=b"1")
    return {"statusCode": 200, "body": "late"}
""", Timeout=10)
    api_id = proxy_api(apigw, uri(fn_arn(name)), timeout_ms=300)
    allow(lam, name, api_id)
    started = time.monotonic()
    r = requests.get(base(api_id) + "/slow")
    assert r.status_code == 504 and r.json() == {"message": "Endpoint request timed out"}
    assert time.monotonic() - started < 1.4
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if s3.list_objects_v2(Bucket="marks").get("KeyCount"):
            break
        time.sleep(0.1)
    assert s3.get_object(Bucket="marks", Key="done")["Body"].read() == b"1"


def test_binary_media_types_base64_the_body(aws, lam, create, apigw):
    """DG "Binary media types": a request whose Content-Type is a binary media type reaches
    the proxy handler base64-encoded with isBase64Encoded true; other bodies as text."""
    name = create(ECHO)
    api_id = proxy_api(apigw, uri(fn_arn(name)), binary=["image/png"])
    allow(lam, name, api_id)
    blob = bytes(range(256))
    event = requests.post(base(api_id) + "/up", data=blob,
                          headers={"Content-Type": "image/png"}).json()
    assert event["isBase64Encoded"] is True and base64.b64decode(event["body"]) == blob
    event = requests.post(base(api_id) + "/up", data="text",
                          headers={"Content-Type": "text/plain"}).json()
    assert event["isBase64Encoded"] is False and event["body"] == "text"


def test_non_proxy_lambda_integration_passes_the_body(aws, lam, create, apigw):
    """A non-proxy (``AWS``) Lambda integration without mapping templates passes the JSON
    body through as the event, and the handler's result becomes the body under the default
    integration response's status."""
    name = create("def handler(event, context):\n    return {'got': event}\n")
    api_id = proxy_api(apigw, uri(fn_arn(name)), kind="AWS")
    allow(lam, name, api_id)
    r = requests.post(base(api_id) + "/x", json={"a": 1})
    assert r.status_code == 200 and r.json() == {"got": {"a": 1}}


def test_mock_integration_is_a_clear_500(aws, apigw):
    """Integrations other than Lambda go to moto's own parsers as before (HTTP, DynamoDB);
    what moto cannot answer (MOCK) is a clear 500, not a hang or a wrong answer."""
    api_id = apigw.create_rest_api(name="mock")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET",
                     authorizationType="NONE")
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET", type="MOCK")
    apigw.create_deployment(restApiId=api_id, stageName="test")
    r = requests.get(base(api_id))
    assert r.status_code == 500 and "MOCK" in r.json()["message"]


def test_api_key_required_needs_a_key_of_a_usage_plan(aws, lam, create, apigw):
    """DG "Usage plans and API keys": a method with apiKeyRequired answers 403
    {"message": "Forbidden"} unless x-api-key is an enabled key in a usage plan that includes
    the API's stage."""
    name = create(ECHO)
    api_id = apigw.create_rest_api(name="keys")["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    apigw.put_method(restApiId=api_id, resourceId=root, httpMethod="GET",
                     authorizationType="NONE", apiKeyRequired=True)
    apigw.put_integration(restApiId=api_id, resourceId=root, httpMethod="GET",
                          type="AWS_PROXY", integrationHttpMethod="POST", uri=uri(fn_arn(name)))
    apigw.create_deployment(restApiId=api_id, stageName="test")
    allow(lam, name, api_id)
    key = apigw.create_api_key(name="k", enabled=True)
    plan = apigw.create_usage_plan(name="p", apiStages=[{"apiId": api_id, "stage": "test"}])
    forbidden = {"message": "Forbidden"}
    r = requests.get(base(api_id), headers={"x-api-key": key["value"]})
    assert r.status_code == 403 and r.json() == forbidden  # not in a plan yet
    apigw.create_usage_plan_key(usagePlanId=plan["id"], keyId=key["id"], keyType="API_KEY")
    assert requests.get(base(api_id)).status_code == 403
    assert requests.get(base(api_id), headers={"x-api-key": "wrong"}).json() == forbidden
    r = requests.get(base(api_id), headers={"x-api-key": key["value"]})
    assert r.status_code == 200 and json.loads(r.text)["path"] == "/"


def test_a_handler_reaches_an_api_through_the_endpoint_path_style(aws, lam, create, apigw):
    """Inside a handler (a worker process) the session's server answers the path-style form
    ``$AWS_ENDPOINT_URL/_aws/execute-api/{api-id}/{stage}/{path}`` (the README's advice)."""
    backend = create(ECHO)
    api_id = proxy_api(apigw, uri(fn_arn(backend)))
    allow(lam, backend, api_id)
    caller = create("""
import json, os, urllib.request
def handler(event, context):
    url = os.environ["AWS_ENDPOINT_URL"] + "/_aws/execute-api/" + event["api"] + "/test/hi"
    with urllib.request.urlopen(url) as resp:
        return json.loads(resp.read())["path"]
""")
    out = lam.invoke(FunctionName=caller, Payload=json.dumps({"api": api_id}))
    assert json.loads(out["Payload"].read()) == "/hi"
