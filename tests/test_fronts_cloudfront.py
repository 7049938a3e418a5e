"""CloudFront distributions with Lambda@Edge (issue #17): ``requests`` to the distribution's
DomainName inside ``mock_aws()`` pass viewer-request → cache → origin-request → origin →
origin-response → viewer-response (CloudFront DG "Lambda@Edge event structure", "Manage how
long content stays in the cache (expiration)", "Restrictions on all edge functions",
"Quotas on Lambda@Edge", "Lambda@Edge functions: generate HTTP responses")."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import base64
import http.client
import json
import threading
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest
import requests
from aws_helpers import REGION, session
from edge_helpers import custom_origin, dist_config, edge_role, edge_version, s3_origin

ECHO_REQUEST = """
import json
def handler(event, context):
    return {"status": "200", "headers": {"content-type": [{"key": "Content-Type",
            "value": "application/json"}]}, "body": json.dumps(event)}
"""
ECHO_RESPONSE = """
import json
def handler(event, context):
    response = event["Records"][0]["cf"]["response"]
    response["body"] = json.dumps(event)
    return response
"""
SECURITY_HEADERS = """
import uuid
def handler(event, context):
    response = event["Records"][0]["cf"]["response"]
    response["headers"]["strict-transport-security"] = [{"key": "Strict-Transport-Security",
        "value": "max-age=63072000"}]
    response["headers"]["x-run"] = [{"key": "X-Run", "value": uuid.uuid4().hex}]
    return response
"""


@pytest.fixture
def aws() -> Iterator[Any]:
    yield from session(virtual_clock=True)


@pytest.fixture
def clients(aws: Any) -> tuple[Any, Any, Any, str]:
    lam = boto3.client("lambda", region_name=REGION)
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="site")
    s3.put_object(Bucket="site", Key="index.html", Body=b"<h1>hello</h1>",
                  ContentType="text/html")
    cf = boto3.client("cloudfront", region_name=REGION)
    return lam, s3, cf, edge_role()


def distribution(cf: Any, config: dict[str, Any]) -> tuple[str, str]:
    dist = cf.create_distribution(DistributionConfig=config)["Distribution"]
    return dist["Id"], dist["DomainName"]


def starts(name: str) -> int:
    """How many invocations the edge logs of ``name`` record (START lines)."""
    logs = boto3.client("logs", region_name="us-east-1")
    try:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/us-east-1.{name}")["events"]
    except logs.exceptions.ResourceNotFoundException:
        return 0
    return sum(e["message"].startswith("START ") for e in events)


def test_s3_origin_cache_hit_age_ttl_and_invalidation(aws, clients):
    """Expiration doc: without Cache-Control the behaviour's DefaultTTL applies; a cached
    object answers ``X-Cache: Hit from cloudfront`` with ``Age``; once the TTL passes the
    next request is a miss; CreateInvalidation removes the object from the cache."""
    lam, s3, cf, role = clients
    dist_id, domain = distribution(cf, dist_config(s3_origin("site"), default_ttl=60))
    url = f"https://{domain}/index.html"
    first = requests.get(url)
    assert first.status_code == 200 and first.text == "<h1>hello</h1>"
    assert first.headers["X-Cache"] == "Miss from cloudfront" and "Age" not in first.headers
    assert first.headers["Content-Type"] == "text/html"
    s3.put_object(Bucket="site", Key="index.html", Body=b"<h1>v2</h1>", ContentType="text/html")
    aws.advance(10)
    hit = requests.get(url)
    assert hit.text == "<h1>hello</h1>" and hit.headers["X-Cache"] == "Hit from cloudfront"
    assert hit.headers["Age"] == "10"
    aws.advance(51)
    expired = requests.get(url)
    assert expired.text == "<h1>v2</h1>" and expired.headers["X-Cache"] == "Miss from cloudfront"
    s3.put_object(Bucket="site", Key="index.html", Body=b"<h1>v3</h1>", ContentType="text/html")
    assert requests.get(url).text == "<h1>v2</h1>"
    cf.create_invalidation(DistributionId=dist_id, InvalidationBatch={
        "Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": "inv-1"})
    after = requests.get(url)
    assert after.text == "<h1>v3</h1>" and after.headers["X-Cache"] == "Miss from cloudfront"
    missing = requests.get(f"https://{domain}/nope.html")
    assert missing.status_code == 404 and b"NoSuchKey" in missing.content
    with urllib.request.urlopen(url) as r:  # urllib goes through the distribution too
        assert r.read() == b"<h1>v3</h1>" and r.headers["X-Cache"] == "Hit from cloudfront"


def test_cache_control_max_age_clamped_by_min_and_max_ttl(aws, clients):
    """Expiration doc: the origin's ``Cache-Control: max-age`` sets the TTL within
    [MinTTL, MaxTTL]; ``no-store`` means MinTTL (0: not cached)."""
    lam, s3, cf, role = clients
    s3.put_object(Bucket="site", Key="short", Body=b"a", CacheControl="max-age=5")
    s3.put_object(Bucket="site", Key="long", Body=b"b", CacheControl="max-age=99999")
    s3.put_object(Bucket="site", Key="never", Body=b"c", CacheControl="no-store")
    _, domain = distribution(cf, dist_config(s3_origin("site"), min_ttl=0, default_ttl=60,
                                             max_ttl=100))
    for key in ("short", "long", "never"):
        requests.get(f"https://{domain}/{key}")
    aws.advance(6)
    assert requests.get(f"https://{domain}/short").headers["X-Cache"].startswith("Miss")
    assert requests.get(f"https://{domain}/long").headers["X-Cache"].startswith("Hit")
    assert requests.get(f"https://{domain}/never").headers["X-Cache"].startswith("Miss")
    aws.advance(100)
    assert requests.get(f"https://{domain}/long").headers["X-Cache"].startswith("Miss")


def test_viewer_request_event_shape(aws, clients):
    """Event structure doc, example viewer request: ``Records[0].cf.config`` has
    distributionDomainName, distributionId, eventType, requestId; ``request`` has clientIp,
    headers ``{lower-case: [{key, value}]}`` with Host the distribution's name, method,
    querystring, uri, and no ``origin``."""
    lam, s3, cf, role = clients
    arn = edge_version(lam, role, ECHO_REQUEST, "vr-echo")
    dist_id, domain = distribution(cf, dist_config(s3_origin("site"),
                                                   lambdas={"viewer-request": arn}))
    r = requests.get(f"https://{domain}/a/b.html?x=1&y=2", headers={"User-Agent": "curl/8"})
    assert r.status_code == 200
    assert r.headers["X-Cache"] == "LambdaGeneratedResponse from cloudfront"
    cf_ = r.json()["Records"][0]["cf"]
    assert set(cf_) == {"config", "request"}
    assert cf_["config"]["distributionDomainName"] == domain
    assert cf_["config"]["distributionId"] == dist_id
    assert cf_["config"]["eventType"] == "viewer-request" and cf_["config"]["requestId"]
    req = cf_["request"]
    assert set(req) == {"clientIp", "headers", "method", "querystring", "uri"}
    assert req["method"] == "GET" and req["uri"] == "/a/b.html" and req["querystring"] == "x=1&y=2"
    assert req["headers"]["host"] == [{"key": "Host", "value": domain}]
    assert req["headers"]["user-agent"] == [{"key": "User-Agent", "value": "curl/8"}]


def test_origin_request_and_origin_response_event_shapes(aws, clients):
    """Event structure doc: the origin-request ``request`` carries ``origin`` (``s3`` with
    authMethod, customHeaders, domainName, path, region); the origin-response event has
    ``response`` with ``status`` a string and ``statusDescription``."""
    lam, s3, cf, role = clients
    orq = edge_version(lam, role, ECHO_REQUEST, "or-echo")
    _, domain = distribution(cf, dist_config(s3_origin("site"), lambdas={"origin-request": orq}))
    req = requests.get(f"https://{domain}/index.html").json()["Records"][0]["cf"]["request"]
    assert req["origin"] == {"s3": {"authMethod": "none", "customHeaders": {},
                                    "domainName": "site.s3.amazonaws.com", "path": "",
                                    "region": "us-east-1"}}
    assert req["headers"]["host"][0]["value"] == "site.s3.amazonaws.com"
    ors = edge_version(lam, role, ECHO_RESPONSE, "ors-echo")
    _, domain2 = distribution(cf, dist_config(s3_origin("site"),
                                              lambdas={"origin-response": ors}))
    cf_ = requests.get(f"https://{domain2}/index.html").json()["Records"][0]["cf"]
    assert cf_["config"]["eventType"] == "origin-response"
    assert cf_["response"]["status"] == "200" and cf_["response"]["statusDescription"] == "OK"
    assert cf_["response"]["headers"]["content-type"] == [{"key": "Content-Type",
                                                           "value": "text/html"}]


def test_origin_response_runs_only_on_a_miss_and_logs_at_the_edge(aws, clients):
    """Lambda@Edge DG: origin triggers run only when CloudFront goes to the origin (a cache
    hit does not run them); the response they change is what is cached; the function's logs
    go to ``/aws/lambda/us-east-1.{function-name}``."""
    lam, s3, cf, role = clients
    arn = edge_version(lam, role, SECURITY_HEADERS, "sec-headers")
    _, domain = distribution(cf, dist_config(s3_origin("site"), default_ttl=300,
                                             lambdas={"origin-response": arn}))
    first = requests.get(f"https://{domain}/index.html")
    second = requests.get(f"https://{domain}/index.html")
    assert first.headers["Strict-Transport-Security"] == "max-age=63072000"
    assert second.headers["X-Cache"] == "Hit from cloudfront"
    assert second.headers["X-Run"] == first.headers["X-Run"]
    assert starts("sec-headers") == 1


def test_viewer_request_redirect_is_not_cached(aws, clients):
    """Generating responses doc: a viewer-request trigger's response goes to the viewer
    without the origin, and is not cached (the trigger runs for every request)."""
    lam, s3, cf, role = clients
    arn = edge_version(lam, role, """
def handler(event, context):
    return {"status": "302", "statusDescription": "Found", "headers": {"location": [
        {"key": "Location", "value": "https://example.com/m/"}]}}
""", "redirect")
    _, domain = distribution(cf, dist_config(s3_origin("site"), lambdas={"viewer-request": arn}))
    for _ in range(2):
        r = requests.get(f"https://{domain}/index.html", allow_redirects=False)
        assert r.status_code == 302 and r.headers["Location"] == "https://example.com/m/"
    assert starts("redirect") == 2


def test_origin_request_generated_response_is_cached(aws, clients):
    """Generating responses doc: a response generated by an origin-request trigger is
    cached like an origin's."""
    lam, s3, cf, role = clients
    arn = edge_version(lam, role, """
def handler(event, context):
    return {"status": "200", "headers": {"cache-control": [{"key": "Cache-Control",
            "value": "max-age=100"}]}, "body": "made at the edge"}
""", "gen-origin")
    _, domain = distribution(cf, dist_config(s3_origin("site"), lambdas={"origin-request": arn}))
    assert requests.get(f"https://{domain}/x").text == "made at the edge"
    again = requests.get(f"https://{domain}/x")
    assert again.text == "made at the edge" and again.headers["X-Cache"] == "Hit from cloudfront"
    assert starts("gen-origin") == 1


class _Origin(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the stdlib's name
        body = json.dumps({"path": self.path, "device": self.headers.get("X-Device")}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        data = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def local_origin() -> Iterator[int]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Origin)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


def test_origin_request_chooses_a_custom_origin_by_header(aws, clients, local_origin):
    """Event structure doc, dynamic origin selection: an origin-request trigger may replace
    the S3 origin with a custom one; the header must be forwarded (ForwardedValues) to be
    seen there, and is part of the cache key."""
    lam, s3, cf, role = clients
    arn = edge_version(lam, role, f"""
def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    if request["headers"].get("x-device", [{{}}])[0].get("value") == "mobile":
        request["origin"] = {{"custom": {{"domainName": "127.0.0.1", "port": {local_origin},
            "protocol": "http", "path": "/mobile", "sslProtocols": ["TLSv1.2"],
            "readTimeout": 5, "keepaliveTimeout": 5, "customHeaders": {{}}}}}}
        request["headers"]["host"] = [{{"key": "Host", "value": "127.0.0.1"}}]
    return request
""", "pick-origin")
    _, domain = distribution(cf, dist_config(s3_origin("site"), headers=["X-Device"],
                                             lambdas={"origin-request": arn}))
    mobile = requests.get(f"https://{domain}/index.html", headers={"X-Device": "mobile"})
    assert mobile.json() == {"path": "/mobile/index.html", "device": "mobile"}
    desktop = requests.get(f"https://{domain}/index.html", headers={"X-Device": "desktop"})
    assert desktop.text == "<h1>hello</h1>"


def test_origin_request_replaces_the_body(aws, clients, local_origin):
    """Event structure doc, request body: with IncludeBody a request trigger may set
    ``body.action`` to "replace" (``encoding`` text or base64); the origin gets the new body."""
    lam, s3, cf, role = clients
    arn = edge_version(lam, role, """
def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    request["body"]["action"] = "replace"
    request["body"]["encoding"] = "text"
    request["body"]["data"] = "replaced at the edge"
    return request
""", "replace-body")
    config = dist_config(custom_origin("127.0.0.1", local_origin),
                         lambdas={"origin-request": arn}, include_body=True)
    config["DefaultCacheBehavior"]["AllowedMethods"] = {
        "Quantity": 7, "Items": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]}
    _, domain = distribution(cf, config)
    r = requests.post(f"https://{domain}/echo", data=b"original")
    assert r.status_code == 200 and r.text == "replaced at the edge"


def test_custom_origin_is_another_front_door(aws, clients):
    """The issue's contract: a custom origin may be a front door of the emulation, here a
    function URL (AuthType NONE)."""
    lam, s3, cf, role = clients
    lam.create_function(FunctionName="app", Role=role, Handler="lambda_function.handler",
                        Runtime="python3.12", Code={"ZipFile": __import__("aws_helpers")
                                                     .make_zip("""
def handler(event, context):
    return {"statusCode": 200, "body": "from lambda " + event["rawPath"]}
""")})
    url = lam.create_function_url_config(FunctionName="app", AuthType="NONE")["FunctionUrl"]
    lam.add_permission(FunctionName="app", StatementId="u", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="NONE")
    host = url.split("/")[2]
    _, domain = distribution(cf, dist_config(custom_origin(host, 443)))
    r = requests.get(f"https://{domain}/hello")
    assert r.status_code == 200 and r.text == "from lambda /hello"


def test_viewer_response_adds_a_cookie_but_cannot_change_status(aws, clients):
    """Restrictions on Lambda@Edge, HTTP status codes: a viewer-response trigger cannot
    change the status; its headers reach the viewer (also on a cache hit). Restrictions on
    all edge functions: no viewer-response run when the origin answers 400 or higher."""
    lam, s3, cf, role = clients
    arn = edge_version(lam, role, """
def handler(event, context):
    response = event["Records"][0]["cf"]["response"]
    response["status"] = "418"
    response["headers"]["set-cookie"] = [{"key": "Set-Cookie", "value": "seen=1"}]
    return response
""", "cookie")
    _, domain = distribution(cf, dist_config(s3_origin("site"), lambdas={"viewer-response": arn}))
    for _ in range(2):
        r = requests.get(f"https://{domain}/index.html")
        assert r.status_code == 200 and r.headers["Set-Cookie"] == "seen=1"
    assert starts("cookie") == 2
    missing = requests.get(f"https://{domain}/missing.html")  # no viewer-response for >= 400
    assert missing.status_code == 404 and "Set-Cookie" not in missing.headers
    assert starts("cookie") == 2


def test_include_body_truncated_at_40_kb_in_viewer_request(aws, clients):
    """Event structure doc, request body: with IncludeBody the body is base64 in
    ``body.data`` with ``action`` read-only and ``inputTruncated`` true past 40 KB
    (viewer request)."""
    lam, s3, cf, role = clients
    arn = edge_version(lam, role, """
def handler(event, context):
    b = event["Records"][0]["cf"]["request"]["body"]
    return {"status": "200", "body": "%s %s %s %d" % (b["action"], b["encoding"],
            b["inputTruncated"], len(b["data"]))}
""", "body")
    config = dist_config(s3_origin("site"), lambdas={"viewer-request": arn}, include_body=True)
    config["DefaultCacheBehavior"]["AllowedMethods"] = {
        "Quantity": 7, "Items": ["GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"]}
    _, domain = distribution(cf, config)
    small = requests.post(f"https://{domain}/f", data=b"hello")
    assert small.text == f"read-only base64 False {len(base64.b64encode(b'hello'))}"
    big = requests.post(f"https://{domain}/f", data=b"x" * 50_000)
    assert big.text == f"read-only base64 True {len(base64.b64encode(b'x' * 40 * 1024))}"


VIOLATIONS = {
    "read-only-host": ("""
def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    request["headers"]["host"] = [{"key": "Host", "value": "evil.example"}]
    return request
""", "LambdaValidationError", "read-only header"),
    "status-out-of-range": ("""
def handler(event, context):
    return {"status": "700", "body": "x"}
""", "LambdaValidationError", "status code is invalid"),
    "204-with-body": ("""
def handler(event, context):
    return {"status": "204", "body": "not empty"}
""", "LambdaValidationError", "exceeds the maximum size"),
    "generated-over-40kb": ("""
def handler(event, context):
    return {"status": "200", "body": "x" * (41 * 1024)}
""", "LambdaValidationError", "exceeds the maximum size"),
    "invalid-shape": ("""
def handler(event, context):
    return "hello"
""", "LambdaValidationError", "invalid request or response"),
    "raises": ("""
def handler(event, context):
    raise RuntimeError("boom")
""", "LambdaExecutionError", "execution error"),
    "timeout": ("""
import time
def handler(event, context):
    time.sleep(3)
""", "LambdaLimitExceeded", "exceeded its timeout"),
}


@pytest.mark.parametrize("case", sorted(VIOLATIONS))
def test_violations_answer_502_or_503(aws, clients, case):
    """Restrictions on all edge functions / Quotas on Lambda@Edge; CloudFront DG "HTTP 502
    status code (Lambda validation error)": an invalid result is a 502 with ``X-Cache:
    LambdaValidationError``; "HTTP 503 status code (function execution error)": an unhandled
    exception is a 503; "HTTP 503 status code (Lambda limit exceeded)": a function past its
    timeout is a 503 too. Each with CloudFront's error page."""
    lam, s3, cf, role = clients
    source, kind, text = VIOLATIONS[case]
    arn = edge_version(lam, role, source, f"bad-{case}", Timeout=1)
    _, domain = distribution(cf, dist_config(s3_origin("site"), lambdas={"viewer-request": arn}))
    r = requests.get(f"https://{domain}/index.html")
    assert r.status_code == (502 if kind == "LambdaValidationError" else 503)
    assert r.headers["X-Cache"] == f"{kind} from cloudfront"
    assert "The request could not be satisfied" in r.text and text in r.text


def test_serve_path_style_and_host_header(aws, clients):
    """The issue's contract: ``serve`` answers ``/_aws/cloudfront/{distribution-id}/{path}``
    and requests whose Host is the distribution's domain name."""
    lam, s3, cf, role = clients
    dist_id, domain = distribution(cf, dist_config(s3_origin("site")))
    host, port = aws.endpoint_url.split("//")[1].split(":")
    for path, headers in ((f"/_aws/cloudfront/{dist_id}/index.html", {}),
                          ("/index.html", {"Host": domain})):
        conn = http.client.HTTPConnection(host, int(port), timeout=30)
        conn.request("GET", path, headers=headers)
        r = conn.getresponse()
        assert r.status == 200 and r.read() == b"<h1>hello</h1>"
        assert r.getheader("X-Cache") in ("Miss from cloudfront", "Hit from cloudfront")
        conn.close()


def test_query_string_in_the_cache_key_only_when_forwarded(aws, clients):
    """Cache key doc (legacy ForwardedValues): with QueryString false the query string is
    neither forwarded nor part of the cache key; with true it is both. HEAD shares GET's
    cached object and answers without a body."""
    lam, s3, cf, role = clients
    _, plain = distribution(cf, dist_config(s3_origin("site")))
    assert requests.get(f"https://{plain}/index.html?v=1").headers["X-Cache"].startswith("Miss")
    assert requests.get(f"https://{plain}/index.html?v=2").headers["X-Cache"].startswith("Hit")
    head = requests.head(f"https://{plain}/index.html")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["X-Cache"].startswith("Hit")
    config = dist_config(s3_origin("site"))
    config["DefaultCacheBehavior"]["ForwardedValues"]["QueryString"] = True
    _, keyed = distribution(cf, config)
    assert requests.get(f"https://{keyed}/index.html?v=1").headers["X-Cache"].startswith("Miss")
    assert requests.get(f"https://{keyed}/index.html?v=2").headers["X-Cache"].startswith("Miss")
    assert requests.get(f"https://{keyed}/index.html?v=1").headers["X-Cache"].startswith("Hit")


def test_ttl_rules():
    """Expiration doc, the table of MinTTL/DefaultTTL/MaxTTL against the origin's headers:
    ``s-maxage`` wins over ``max-age``, both clamped to [MinTTL, MaxTTL]; ``Expires`` gives the
    time left; ``no-cache``/``no-store``/``private`` give MinTTL; nothing gives DefaultTTL."""
    from lambda_lab.fronts.cloudfront_cache import ttl_for
    from lambda_lab.fronts.http import HttpResponse

    def ttl(*headers: tuple[str, str]) -> float:
        return ttl_for(HttpResponse(200, list(headers)), 10, 100, 1000, now=0.0)

    assert ttl() == 100
    assert ttl(("Cache-Control", "max-age=50")) == 50
    assert ttl(("Cache-Control", "max-age=5")) == 10
    assert ttl(("Cache-Control", "max-age=5000")) == 1000
    assert ttl(("Cache-Control", "public, max-age=50, s-maxage=500")) == 500
    assert ttl(("Cache-Control", "no-store")) == 10
    assert ttl(("Cache-Control", "private, max-age=50")) == 10
    assert ttl(("Expires", "Thu, 01 Jan 1970 00:03:20 GMT")) == 200
