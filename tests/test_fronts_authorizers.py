"""Lambda authorizers of REST APIs (issue #13): TOKEN and REQUEST authorizers that run a real
handler, the returned IAM policy honoured, and the result cache on the platform clock (API
Gateway DG "Use API Gateway Lambda authorizers", "Output from an API Gateway Lambda
authorizer"; front-doors.md §1)."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
import requests
from aws_helpers import REGION, create, lam, role, session  # noqa: F401

ACCOUNT = "123456789012"
ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""
TOKEN_AUTHORIZER = """
def handler(event, context):
    token = event["authorizationToken"]
    if token == "fail":
        raise Exception("Unauthorized")
    effect = "Deny" if token == "deny" else "Allow"
    resource = event["methodArn"] if token == "exact" else event["methodArn"].split("/")[0] + "/*"
    return {"principalId": "user-" + token,
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect, "Resource": resource}]},
            "context": {"who": token, "n": 1, "admin": True,
                        "request": context.aws_request_id}}
"""


@pytest.fixture
def aws():
    """An emulated AWS on a VirtualClock: the cache TTL passes only by ``aws.advance``."""
    yield from session(virtual_clock=True)


@pytest.fixture
def apigw(aws):
    return boto3.client("apigateway", region_name=REGION)


def fn_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def uri(name: str) -> str:
    return (f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{fn_arn(name)}/"
            "invocations")


def guarded_api(apigw, lam, backend: str, authorizer: str, *, kind: str = "TOKEN",
                source: str = "method.request.header.Authorization", ttl: int = 300,
                permit_authorizer: bool = True) -> str:
    """``ANY /{proxy+}`` -> ``backend`` behind a CUSTOM authorizer running ``authorizer``."""
    api_id = apigw.create_rest_api(name="guarded")["id"]
    auth_id = apigw.create_authorizer(restApiId=api_id, name="auth", type=kind,
                                      authorizerUri=uri(authorizer), identitySource=source,
                                      authorizerResultTtlInSeconds=ttl)["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    res = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=res, httpMethod="ANY",
                     authorizationType="CUSTOM", authorizerId=auth_id)
    apigw.put_integration(restApiId=api_id, resourceId=res, httpMethod="ANY",
                          type="AWS_PROXY", integrationHttpMethod="POST", uri=uri(backend))
    apigw.create_deployment(restApiId=api_id, stageName="test")
    lam.add_permission(FunctionName=backend, StatementId="apigw", Principal=
                       "apigateway.amazonaws.com", Action="lambda:InvokeFunction",
                       SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*")
    if permit_authorizer:
        lam.add_permission(FunctionName=authorizer, StatementId="apigw-auth",
                           Principal="apigateway.amazonaws.com",
                           Action="lambda:InvokeFunction",
                           SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/"
                                     f"authorizers/{auth_id}")
    return f"https://{api_id}.execute-api.{REGION}.amazonaws.com/test"


def test_token_authorizer_allow_passes_the_context(aws, lam, create, apigw):
    """DG "Output from a Lambda authorizer": Allow -> the integration runs; its event's
    requestContext.authorizer carries principalId and the context (values as strings)."""
    base = guarded_api(apigw, lam, create(ECHO), create(TOKEN_AUTHORIZER))
    r = requests.get(base + "/orders", headers={"Authorization": "alice"})
    assert r.status_code == 200, r.text
    auth = json.loads(r.text)["requestContext"]["authorizer"]
    assert auth["principalId"] == "user-alice" and auth["who"] == "alice"
    assert auth["n"] == "1" and auth["admin"] == "true"


def test_token_authorizer_deny_unauthorized_and_missing_token(aws, lam, create, apigw):
    """Deny -> 403 {"Message": "User is not authorized to access this resource with an
    explicit deny"}; raising Exception("Unauthorized") -> 401 {"message": "Unauthorized"}; no
    identity source (the header missing) -> 401 without running the authorizer."""
    base = guarded_api(apigw, lam, create(ECHO), create(TOKEN_AUTHORIZER))
    r = requests.get(base + "/orders", headers={"Authorization": "deny"})
    assert r.status_code == 403 and r.json() == {
        "Message": "User is not authorized to access this resource with an explicit deny"}
    r = requests.get(base + "/orders", headers={"Authorization": "fail"})
    assert r.status_code == 401 and r.json() == {"message": "Unauthorized"}
    r = requests.get(base + "/orders")
    assert r.status_code == 401 and r.json() == {"message": "Unauthorized"}


def test_result_cache_ttl_on_the_platform_clock(aws, lam, create, apigw):
    """Results are cached per token for authorizerResultTtlInSeconds: within the TTL the
    authorizer does not run again (same context), after it (aws.advance) it does. The cached
    policy is evaluated against each new method ARN: a policy naming only the first method
    denies the next path until the entry expires."""
    base = guarded_api(apigw, lam, create(ECHO), create(TOKEN_AUTHORIZER), ttl=60)
    first = requests.get(base + "/a", headers={"Authorization": "bob"}).json()
    again = requests.get(base + "/b", headers={"Authorization": "bob"}).json()
    marker = first["requestContext"]["authorizer"]["request"]
    assert again["requestContext"]["authorizer"]["request"] == marker
    aws.advance(61)
    later = requests.get(base + "/a", headers={"Authorization": "bob"}).json()
    assert later["requestContext"]["authorizer"]["request"] != marker
    assert requests.get(base + "/a", headers={"Authorization": "exact"}).status_code == 200
    r = requests.get(base + "/b", headers={"Authorization": "exact"})
    assert r.status_code == 403 and r.json() == {
        "Message": "User is not authorized to access this resource"}


def test_request_authorizer_gets_the_request(aws, lam, create, apigw):
    """REQUEST authorizers receive type REQUEST, methodArn, headers, query string parameters
    and the rest of the request; every identity source must be present (else 401)."""
    authorizer = create("""
def handler(event, context):
    ok = (event["type"] == "REQUEST" and event["headers"].get("X-User") == "carol"
          and event["queryStringParameters"].get("key") == "k1")
    return {"principalId": "carol",
            "policyDocument": {"Version": "2012-10-17", "Statement": [{
                "Action": "execute-api:Invoke", "Effect": "Allow" if ok else "Deny",
                "Resource": event["methodArn"]}]}}
""")
    base = guarded_api(apigw, lam, create(ECHO), authorizer, kind="REQUEST",
                       source="method.request.header.X-User, method.request.querystring.key",
                       ttl=0)
    r = requests.get(base + "/r?key=k1", headers={"X-User": "carol"})
    assert r.status_code == 200
    assert json.loads(r.text)["requestContext"]["authorizer"]["principalId"] == "carol"
    assert requests.get(base + "/r?key=k2", headers={"X-User": "carol"}).status_code == 403
    assert requests.get(base + "/r", headers={"X-User": "carol"}).status_code == 401


def test_authorizer_without_permission_is_500(aws, lam, create, apigw):
    """API Gateway needs lambda:InvokeFunction on the authorizer function too (source ARN
    .../authorizers/{id}); without it the client gets 500 (AuthorizerConfigurationException,
    {"message": null})."""
    base = guarded_api(apigw, lam, create(ECHO), create(TOKEN_AUTHORIZER),
                       permit_authorizer=False)
    r = requests.get(base + "/x", headers={"Authorization": "alice"})
    assert r.status_code == 500 and r.json() == {"message": None}
    assert r.headers["x-amzn-ErrorType"] == "AuthorizerConfigurationException"
