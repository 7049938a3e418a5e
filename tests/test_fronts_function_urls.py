"""Lambda function URLs (issue #13): the config API with AWS's shapes and errors, and plain
``requests``/``urllib`` calls to the URL reaching the handler (front-doors.md §4; Lambda DG
"Lambda function URLs", "Invoking Lambda function URLs", urls-auth)."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
import re
import urllib.request

import pytest
import requests
from aws_helpers import REGION, aws, create, lam, role  # noqa: F401
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "headers": {"content-type": "application/json"},
            "body": json.dumps(event)}
"""
URL_FORM = re.compile(r"^https://[a-z0-9]{32}\.lambda-url\.us-east-1\.on\.aws/$")
FORBIDDEN = {"Message": "Forbidden. For troubleshooting Function URL authorization issues, "
                        "see: https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html"}


def public_url(lam, name, **params):
    """A function URL with AuthType NONE and the permission AWS asks for (both actions)."""
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE", **params)
    lam.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="NONE", **(
                           {"Qualifier": params["Qualifier"]} if "Qualifier" in params else {}))
    return url["FunctionUrl"]


def test_create_get_update_list_delete_shapes(aws, lam, create):
    """API reference CreateFunctionUrlConfig: 201 with FunctionUrl (``https://{32 [a-z0-9]}
    .lambda-url.{region}.on.aws/``), FunctionArn, AuthType, CreationTime, InvokeMode
    (BUFFERED by default); Get adds LastModifiedTime; a second create is a 409
    ResourceConflictException (AWS's message, as seen in Terraform reports); a missing config
    is ResourceNotFoundException."""
    name = create(ECHO)
    made = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    arn = f"arn:aws:lambda:{REGION}:123456789012:function:{name}"
    assert URL_FORM.match(made["FunctionUrl"]), made["FunctionUrl"]
    assert made["FunctionArn"] == arn and made["AuthType"] == "AWS_IAM"
    assert made["InvokeMode"] == "BUFFERED" and "Cors" not in made and made["CreationTime"]
    got = lam.get_function_url_config(FunctionName=name)
    assert got["FunctionUrl"] == made["FunctionUrl"] and got["LastModifiedTime"]
    with pytest.raises(ClientError) as info:
        lam.create_function_url_config(FunctionName=name, AuthType="NONE")
    assert info.value.response["Error"]["Code"] == "ResourceConflictException"
    assert info.value.response["Error"]["Message"] == (
        f"Failed to create function url config for [functionArn = {arn}]. Error message:  "
        "FunctionUrlConfig exists for this Lambda function")
    cors = {"AllowOrigins": ["https://example.com"], "AllowMethods": ["GET"]}
    updated = lam.update_function_url_config(FunctionName=name, AuthType="NONE", Cors=cors)
    assert updated["AuthType"] == "NONE" and updated["Cors"]["AllowOrigins"] == [
        "https://example.com"]
    listed = lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"]
    assert [c["FunctionUrl"] for c in listed] == [made["FunctionUrl"]]
    lam.delete_function_url_config(FunctionName=name)
    with pytest.raises(ClientError) as info:
        lam.get_function_url_config(FunctionName=name)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert lam.list_function_url_configs(FunctionName=name)["FunctionUrlConfigs"] == []


def test_invoke_mode_validation_is_aws_recorded(aws, lam, create):
    """AWS-recorded (front-doors.md §4): InvokeMode 'UNKNOWN' -> ValidationException "1
    validation error detected: Value 'UNKNOWN' at 'invokeMode' failed to satisfy constraint:
    Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]"."""
    name = create(ECHO)
    with pytest.raises(ClientError) as info:
        lam.create_function_url_config(FunctionName=name, AuthType="NONE",
                                       InvokeMode="UNKNOWN")
    err = info.value.response["Error"]
    assert err["Code"] == "ValidationException"
    assert err["Message"] == (
        "1 validation error detected: Value 'UNKNOWN' at 'invokeMode' failed to satisfy "
        "constraint: Member must satisfy enum value set: [RESPONSE_STREAM, BUFFERED]")
    made = lam.create_function_url_config(FunctionName=name, AuthType="NONE",
                                          InvokeMode="RESPONSE_STREAM")
    assert made["InvokeMode"] == "RESPONSE_STREAM"


def test_none_auth_needs_the_resource_policy(aws, lam, create):
    """urls-auth: AuthType NONE still needs a resource policy allowing
    lambda:InvokeFunctionUrl to "*" (condition lambda:FunctionUrlAuthType NONE); without it
    the AWS-recorded answer is 403 {"Message": "Forbidden. For troubleshooting …"}."""
    name = create(ECHO)
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    denied = requests.get(url + "hello")
    assert denied.status_code == 403 and denied.json() == FORBIDDEN
    lam.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="NONE")
    lam.add_permission(FunctionName=name, StatementId="invoke", Action="lambda:InvokeFunction",
                       Principal="*")
    ok = requests.get(url + "hello")
    assert ok.status_code == 200 and ok.json()["rawPath"] == "/hello"


def test_event_is_payload_2_with_default_route(aws, lam, create):
    """Function URL event = payload 2.0, routeKey/stage "$default", apiId and domainPrefix the
    url-id, lower-case header names, repeated query values comma-joined, cookies apart
    (front-doors.md §4, AWS-recorded echo)."""
    name = create(ECHO)
    url = public_url(lam, name)
    url_id = url.split("//")[1].split(".")[0]
    r = requests.post(url + "items/7?multiQuery=foo&multiQuery=%2Fbar&one=1",
                      data=json.dumps({"a": 1}),
                      headers={"Content-Type": "application/json", "X-Custom": "v",
                               "Cookie": "c1=a; c2=b"})
    event = r.json()
    assert event["version"] == "2.0" and event["routeKey"] == "$default"
    assert event["rawPath"] == "/items/7"
    assert event["rawQueryString"] == "multiQuery=foo&multiQuery=%2Fbar&one=1"
    assert event["queryStringParameters"] == {"multiQuery": "foo,/bar", "one": "1"}
    assert event["cookies"] == ["c1=a", "c2=b"]
    assert event["headers"]["x-custom"] == "v" and "cookie" not in event["headers"]
    assert {"x-forwarded-for", "x-forwarded-proto", "x-amzn-trace-id"} <= set(event["headers"])
    assert json.loads(event["body"]) == {"a": 1} and event["isBase64Encoded"] is False
    ctx = event["requestContext"]
    assert ctx["apiId"] == url_id and ctx["domainPrefix"] == url_id
    assert ctx["domainName"] == f"{url_id}.lambda-url.{REGION}.on.aws"
    assert ctx["http"]["method"] == "POST" and ctx["http"]["path"] == "/items/7"
    assert ctx["stage"] == "$default" and ctx["routeKey"] == "$default"
    assert "authorizer" not in ctx and ctx["accountId"] == "123456789012"


def test_response_inference_and_handler_error(aws, lam, create):
    """AWS-recorded (front-doors.md §4): "hello" -> 200, body hello, Content-Type
    application/json; a dict without statusCode -> its JSON; cookies -> set-cookie; a raising
    handler -> 502 "Internal Server Error" (test_lambda_url_invocation_exception)."""
    name = create("""
def handler(event, context):
    q = event.get("queryStringParameters") or {}
    if q.get("kind") == "str":
        return "hello"
    if q.get("kind") == "dict":
        return {"hello": "world"}
    if q.get("kind") == "cookies":
        return {"statusCode": 201, "body": "made", "cookies": ["a=1", "b=2"],
                "headers": {"content-type": "text/plain"}}
    raise ValueError("boom")
""")
    url = public_url(lam, name)
    r = requests.get(url + "?kind=str")
    assert (r.status_code, r.text, r.headers["Content-Type"]) == (200, "hello",
                                                                  "application/json")
    r = requests.get(url + "?kind=dict")
    assert r.status_code == 200 and r.json() == {"hello": "world"}
    r = requests.get(url + "?kind=cookies")
    assert r.status_code == 201 and r.text == "made"
    assert r.raw.headers.getlist("set-cookie") == ["a=1", "b=2"]
    r = requests.get(url + "?kind=raise")
    assert r.status_code == 502 and r.text == "Internal Server Error"


def test_aws_iam_needs_a_sigv4_signature(aws, lam, create):
    """urls-auth: AuthType AWS_IAM -> the request must be SigV4-signed (service lambda);
    unsigned -> 403 Forbidden; signed -> 200 with requestContext.authorizer.iam."""
    name = create(ECHO)
    url = lam.create_function_url_config(FunctionName=name, AuthType="AWS_IAM")["FunctionUrl"]
    assert requests.get(url).status_code == 403
    signed = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials("AKIAEXAMPLE", "secret"), "lambda", REGION).add_auth(signed)
    r = requests.get(url, headers=dict(signed.headers))
    assert r.status_code == 200
    iam = r.json()["requestContext"]["authorizer"]["iam"]
    assert iam["accessKey"] == "AKIAEXAMPLE" and iam["accountId"] == "123456789012"
    wrong = AWSRequest(method="GET", url=url)
    SigV4Auth(Credentials("AKIAEXAMPLE", "secret"), "s3", REGION).add_auth(wrong)
    assert requests.get(url, headers=dict(wrong.headers)).status_code == 403


def test_qualifier_url_runs_the_alias(aws, lam, create):
    """CreateFunctionUrlConfig Qualifier: an alias gets its own URL and invokes that alias's
    version; a version number is not a valid qualifier (pattern ((?!^\\d+$)^[0-9a-zA-Z-_]+$))."""
    name = create("def handler(event, context):\n    return 'v1'\n")
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    lam.update_function_code(FunctionName=name, ZipFile=__import__("aws_helpers").make_zip(
        "def handler(event, context):\n    return 'latest'\n"))
    live = public_url(lam, name, Qualifier="live")
    assert lam.get_function_url_config(FunctionName=name, Qualifier="live")["FunctionArn"] \
        .endswith(f"function:{name}:live")
    assert requests.get(live).text == "v1"
    with pytest.raises(ClientError) as info:
        lam.create_function_url_config(FunctionName=name, AuthType="NONE", Qualifier="1")
    assert info.value.response["Error"]["Code"] == "ValidationException"


def test_cors_preflight_answered_from_the_config(aws, lam, create):
    """Function URL CORS: a preflight OPTIONS is answered from the config (allowed origin,
    methods, headers, max age) without running the function; a response carries
    Access-Control-Allow-Origin for an allowed Origin."""
    name = create("def handler(event, context):\n    raise RuntimeError('not for preflight')\n")
    url = public_url(lam, name, Cors={
        "AllowOrigins": ["https://app.example"], "AllowMethods": ["GET", "POST"],
        "AllowHeaders": ["x-token"], "MaxAge": 300, "ExposeHeaders": ["x-trace"]})
    r = requests.options(url, headers={"Origin": "https://app.example",
                                       "Access-Control-Request-Method": "POST"})
    assert r.status_code == 200
    assert r.headers["Access-Control-Allow-Origin"] == "https://app.example"
    assert r.headers["Access-Control-Allow-Methods"] == "GET,POST"
    assert r.headers["Access-Control-Allow-Headers"] == "x-token"
    assert r.headers["Access-Control-Max-Age"] == "300"
    r = requests.get(url, headers={"Origin": "https://app.example"})
    assert r.status_code == 502 and r.headers["Access-Control-Allow-Origin"] == \
        "https://app.example"
    r = requests.get(url, headers={"Origin": "https://evil.example"})
    assert "Access-Control-Allow-Origin" not in r.headers


def test_urllib_reaches_the_function_url(aws, lam, create):
    """The same URL through urllib.request.urlopen (the README lists the clients covered)."""
    name = create(ECHO)
    url = public_url(lam, name)
    with urllib.request.urlopen(url + "path?x=1") as resp:
        assert resp.status == 200
        event = json.loads(resp.read())
    assert event["rawPath"] == "/path" and event["queryStringParameters"] == {"x": "1"}
