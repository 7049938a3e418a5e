"""Application Load Balancers with Lambda targets (issue #13), configured with the ordinary
``elbv2`` client and called at ``http://{DNSName}/{path}`` (front-doors.md §3; ELB User Guide
"Lambda functions as targets"; Lambda DG "Using Lambda with an Application Load Balancer")."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
import requests
from aws_helpers import REGION, aws, create, lam, role  # noqa: F401
from botocore.exceptions import ClientError

ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "statusDescription": "200 OK", "isBase64Encoded": False,
            "headers": {"Content-Type": "application/json"}, "body": json.dumps(event)}
"""
ACCOUNT = "123456789012"


@pytest.fixture
def elb(aws):
    return boto3.client("elbv2", region_name=REGION)


@pytest.fixture
def balancer(aws, elb):
    """A load balancer (two subnets) with an HTTP listener on 80 whose default action is a
    fixed 404; returns (DNSName, listener ARN)."""
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnets = [ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.0.{i}.0/24",
                                 AvailabilityZone=f"{REGION}{z}")["Subnet"]["SubnetId"]
               for i, z in ((1, "a"), (2, "b"))]
    lb = elb.create_load_balancer(Name="web", Subnets=subnets)["LoadBalancers"][0]
    listener = elb.create_listener(
        LoadBalancerArn=lb["LoadBalancerArn"], Protocol="HTTP", Port=80,
        DefaultActions=[{"Type": "fixed-response", "FixedResponseConfig": {
            "StatusCode": "404", "ContentType": "text/plain", "MessageBody": "no route"}}])
    return lb["DNSName"], listener["Listeners"][0]["ListenerArn"]


def lambda_group(elb, lam, name: str, target: str | None = None, *, multi: bool = False,
                 permit: bool = True) -> str:
    """A lambda target group with ``target`` (the function's ARN by default) registered after
    the permission AWS requires."""
    group = elb.create_target_group(Name=f"tg-{name}", TargetType="lambda")[
        "TargetGroups"][0]["TargetGroupArn"]
    if multi:
        elb.modify_target_group_attributes(TargetGroupArn=group, Attributes=[
            {"Key": "lambda.multi_value_headers.enabled", "Value": "true"}])
    target = target or f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    if permit:
        lam.add_permission(FunctionName=target, StatementId="elb",
                           Action="lambda:InvokeFunction",
                           Principal="elasticloadbalancing.amazonaws.com", SourceArn=group)
    elb.register_targets(TargetGroupArn=group, Targets=[{"Id": target}])
    return group


def forward_all(elb, listener: str, group: str, priority: int = 10, path: str = "/*") -> None:
    elb.create_rule(ListenerArn=listener, Priority=priority,
                    Conditions=[{"Field": "path-pattern", "Values": [path]}],
                    Actions=[{"Type": "forward", "TargetGroupArn": group}])


def test_event_single_values_last_wins_not_decoded(aws, lam, create, elb, balancer):
    """ALB event, multi-value off (the default): lower-case headers, queryStringParameters
    with the last value (``?name=foo&name=bar`` -> "bar"), values not URL-decoded,
    requestContext.elb.targetGroupArn, body "" when empty (front-doors.md §3)."""
    dns, listener = balancer
    name = create(ECHO)
    group = lambda_group(elb, lam, name)
    forward_all(elb, listener, group)
    r = requests.get(f"http://{dns}/lambda?name=foo&name=bar&q=a%20b",
                     headers={"X-Custom-Header": "v"})
    assert r.status_code == 200 and r.headers["Content-Type"] == "application/json"
    event = r.json()
    assert event["requestContext"] == {"elb": {"targetGroupArn": group}}
    assert event["httpMethod"] == "GET" and event["path"] == "/lambda"
    assert event["queryStringParameters"] == {"name": "bar", "q": "a%20b"}
    assert event["headers"]["x-custom-header"] == "v" and event["headers"]["host"] == dns
    assert {"x-forwarded-for", "x-forwarded-port", "x-forwarded-proto",
            "x-amzn-trace-id"} <= set(event["headers"])
    assert all(k == k.lower() for k in event["headers"])
    assert event["body"] == "" and event["isBase64Encoded"] is False
    assert "multiValueHeaders" not in event and "multiValueQueryStringParameters" not in event


def test_multi_value_headers_on_replaces_the_single_maps(aws, lam, create, elb, balancer):
    """lambda.multi_value_headers.enabled=true: the event carries multiValueHeaders and
    multiValueQueryStringParameters instead of headers/queryStringParameters
    (``?name=foo&name=bar`` -> ["foo", "bar"]); the response's multiValueHeaders are sent,
    repeated headers included."""
    dns, listener = balancer
    name = create("""
import json
def handler(event, context):
    return {"statusCode": 200, "statusDescription": "200 OK",
            "multiValueHeaders": {"Set-Cookie": ["a=1", "b=2"],
                                  "Content-Type": ["application/json"]},
            "headers": {"X-Ignored": "yes"},
            "body": json.dumps(event)}
""")
    group = lambda_group(elb, lam, name, multi=True)
    forward_all(elb, listener, group)
    r = requests.get(f"http://{dns}/lambda?name=foo&name=bar")
    event = r.json()
    assert event["multiValueQueryStringParameters"] == {"name": ["foo", "bar"]}
    assert event["multiValueHeaders"]["host"] == [dns]
    assert "headers" not in event and "queryStringParameters" not in event
    assert r.raw.headers.getlist("Set-Cookie") == ["a=1", "b=2"]
    assert "X-Ignored" not in r.headers


@pytest.mark.filterwarnings("ignore:Exception\\(ELBClientError\\) with code AccessDenied")
def test_register_targets_needs_the_permission(aws, lam, create, elb):
    """RegisterTargets of a function that has not granted elasticloadbalancing.amazonaws.com
    lambda:InvokeFunction fails with AccessDenied "elasticloadbalancing principal does not
    have permission to invoke … from target group …" (as AWS users report it)."""
    name = create(ECHO)
    with pytest.raises(ClientError) as info:
        lambda_group(elb, lam, name, permit=False)
    err = info.value.response["Error"]
    assert err["Code"] == "AccessDenied"
    assert err["Message"].startswith("elasticloadbalancing principal does not have permission "
                                     f"to invoke arn:aws:lambda:{REGION}:{ACCOUNT}:function:"
                                     f"{name} from target group arn:aws:elasticloadbalancing:")


@pytest.mark.parametrize("kind", ["raise", "no-status", "too-big"])
def test_bad_results_are_502(aws, lam, create, elb, balancer, kind):
    """ELB User Guide: a function error, an invalid response (no statusCode) or a response
    JSON over 1 MB -> 502 Bad Gateway, ALB's own HTML page."""
    dns, listener = balancer
    name = create("""
def handler(event, context):
    kind = event["path"].strip("/")
    if kind == "raise":
        raise ValueError("boom")
    if kind == "no-status":
        return {"body": "x"}
    return {"statusCode": 200, "body": "x" * (1024 * 1024 + 1)}
""")
    forward_all(elb, listener, lambda_group(elb, lam, name))
    r = requests.get(f"http://{dns}/{kind}")
    assert r.status_code == 502
    assert r.headers["Content-Type"] == "text/html" and "502 Bad Gateway" in r.text


def test_rules_by_priority_path_and_header_and_fixed_default(aws, lam, create, elb, balancer):
    """Listener rules are evaluated by priority, the default rule last: a path-pattern rule
    and an http-header rule forward to different functions (an alias ARN as target); no match
    -> the default fixed response."""
    dns, listener = balancer
    api = create("def handler(event, context):\n    return {'statusCode': 200, 'body': 'api'}\n")
    beta = create("def handler(event, context):\n    return {'statusCode': 200, 'body': 'beta'}\n")
    lam.publish_version(FunctionName=beta)
    lam.create_alias(FunctionName=beta, Name="live", FunctionVersion="1")
    beta_live = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{beta}:live"
    elb.create_rule(ListenerArn=listener, Priority=5,
                    Conditions=[{"Field": "http-header", "HttpHeaderConfig": {
                        "HttpHeaderName": "X-Beta", "Values": ["yes"]}}],
                    Actions=[{"Type": "forward",
                              "TargetGroupArn": lambda_group(elb, lam, beta, beta_live)}])
    forward_all(elb, listener, lambda_group(elb, lam, api), priority=10, path="/api/*")
    assert requests.get(f"http://{dns}/api/users").text == "api"
    assert requests.get(f"http://{dns}/api/users", headers={"X-Beta": "yes"}).text == "beta"
    r = requests.get(f"http://{dns}/other")
    assert (r.status_code, r.text) == (404, "no route")


def test_binary_body_is_base64(aws, lam, create, elb, balancer):
    """A binary request body reaches the function base64-encoded (isBase64Encoded true); a
    response with isBase64Encoded is decoded for the client."""
    dns, listener = balancer
    name = create("""
def handler(event, context):
    return {"statusCode": 200, "isBase64Encoded": True, "body": event["body"],
            "headers": {"Content-Type": "application/octet-stream"}}
""")
    forward_all(elb, listener, lambda_group(elb, lam, name))
    blob = bytes(range(256))
    r = requests.post(f"http://{dns}/bin", data=blob,
                      headers={"Content-Type": "application/octet-stream"})
    assert r.status_code == 200 and r.content == blob
    assert json.loads(json.dumps(r.headers["Content-Type"])) == "application/octet-stream"


def test_https_listener(aws, lam, create, elb, balancer):
    """An HTTPS listener (port 443, an ACM certificate) answers ``https://{DNSName}/``; the
    event's x-forwarded-proto and x-forwarded-port say so."""
    dns, _ = balancer
    lb_arn = elb.describe_load_balancers(Names=["web"])["LoadBalancers"][0]["LoadBalancerArn"]
    cert = boto3.client("acm", region_name=REGION).request_certificate(
        DomainName="example.com")["CertificateArn"]
    name = create(ECHO)
    elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTPS", Port=443,
                        Certificates=[{"CertificateArn": cert}],
                        DefaultActions=[{"Type": "forward",
                                         "TargetGroupArn": lambda_group(elb, lam, name)}])
    event = requests.get(f"https://{dns}/secure").json()
    assert event["headers"]["x-forwarded-proto"] == "https"
    assert event["headers"]["x-forwarded-port"] == "443" and event["path"] == "/secure"
