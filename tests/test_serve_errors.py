"""``serve`` answers every Lambda request as AWS does: JSON errors with AWS's codes and statuses,
never an HTML page, never another route's action (issue #12 item 7).

Sources: unsigned requests -> 403 MissingAuthenticationTokenException "Missing Authentication
Token" (AWS Lambda's answer to an unsigned Invoke, brefphp/bref#1250; body ``{"message": ...}``
with ``x-amzn-ErrorType``, aws/chalice#12); an Authorization header that is not SigV4 -> 403
IncompleteSignatureException naming the missing parts (aws/chalice#828); a signed request no
operation matches -> 403 AccessDeniedException "Unable to determine service/operation name to be
authorized" (Lambda's answer when botocore sent wrong paths: boto/botocore#678,
aws/aws-cli#1552, boto/boto3#294); member constraints in Coral's words ("N validation errors
detected: ...", "Member must not be null", "Member must satisfy enum value set: [...]" with the
model's enum order); a body Lambda cannot read -> 400 InvalidRequestContentException "Could not
parse request body into json: ..." (LocalStack's AWS-recorded test_lambda.snapshot.json).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import boto3
import pytest
from aws_helpers import TRUST, make_zip
from serve_helpers import running_server, send

HANDLER = "def handler(event, context):\n    print('ran', event)\n    return event\n"
UNROUTED = "Unable to determine service/operation name to be authorized"


@pytest.fixture(scope="module")
def url() -> Iterator[str]:
    yield from running_server()


def client(url: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=url, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def fn(url: str) -> str:
    role = client(url, "iam").create_role(RoleName="serve-errors",
                                          AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    client(url, "lambda").create_function(
        FunctionName="keep", Runtime="python3.12", Role=role, Handler="lambda_function.handler",
        Code={"ZipFile": make_zip(HANDLER)})
    return "keep"


def assert_error(answer: Any, status: int, code: str, message: str | None = None) -> None:
    assert answer.status == status, answer.text
    assert answer.headers["Content-Type"].startswith("application/json")
    assert answer.error_type == code
    if message is not None:
        assert answer.json["message"] == message


def test_unsigned_lambda_request_is_refused_with_missing_authentication_token(url, fn):
    for method, path in [("GET", "/2015-03-31/functions"), ("GET", f"/2015-03-31/functions/{fn}"),
                         ("POST", f"/2015-03-31/functions/{fn}/invocations"),
                         ("DELETE", f"/2015-03-31/functions/{fn}"),
                         ("GET", "/2018-10-31/layers"), ("GET", "/2015-03-31/nothing")]:
        answer = send(url, method, path, sign=False)
        assert_error(answer, 403, "MissingAuthenticationTokenException",
                     "Missing Authentication Token")
        assert answer.json == {"message": "Missing Authentication Token"}
    assert client(url, "lambda").get_function(FunctionName=fn)  # the DELETE did nothing


def test_authorization_that_is_not_sigv4_is_an_incomplete_signature(url):
    answer = send(url, "GET", "/2015-03-31/functions", sign=False,
                  headers={"Authorization": "Bearer abc"})
    assert_error(answer, 403, "IncompleteSignatureException",
                 "Authorization header requires 'Credential' parameter. Authorization header "
                 "requires 'Signature' parameter. Authorization header requires 'SignedHeaders' "
                 "parameter. Authorization header requires existence of either a 'X-Amz-Date' "
                 "or a 'Date' header. Authorization=Bearer abc")


def test_other_services_and_front_door_paths_are_not_claimed(url):
    """S3 on the same port (signed for s3, or anonymous), and /_aws/... paths."""
    s3 = client(url, "s3")
    s3.create_bucket(Bucket="2015-03-31")  # a bucket named like Lambda's API version
    s3.put_object(Bucket="2015-03-31", Key="functions", Body=b"x")
    assert s3.get_object(Bucket="2015-03-31", Key="functions")["Body"].read() == b"x"
    for path in ("/_aws/anything", "/some-bucket"):
        assert send(url, "GET", path, sign=False).error_type != (
            "MissingAuthenticationTokenException")


@pytest.mark.parametrize("method, path", [
    ("GET", "/2015-03-31/nothing"), ("GET", "/2015-03-31/functions/keep/bogus"),
    ("DELETE", "/2015-03-31/functions/keep/invocations"),
    ("PUT", "/2015-03-31/functions/keep/invocations"),
    ("DELETE", "/2015-03-31/functions/keep/configuration"),
    ("DELETE", "/2015-03-31/functions/keep/aliases"),
    ("POST", "/2015-03-31/functions/keep"), ("GET", "/1999-01-01/functions/keep"),
    ("PATCH", "/2015-03-31/functions/keep")])
def test_no_operation_for_method_and_path_is_access_denied_and_does_nothing(url, fn, method,
                                                                            path):
    """issue #12: a signed DELETE .../invocations answered 204 and deleted the function."""
    assert_error(send(url, method, path), 403, "AccessDeniedException", UNROUTED)
    config = client(url, "lambda").get_function(FunctionName=fn)["Configuration"]
    assert config["FunctionName"] == fn


@pytest.mark.parametrize("body, code, start", [
    ("{bad", "InvalidRequestContentException", "Could not parse request body into json: "),
    ("[1, 2]", "InvalidRequestContentException", "Could not parse request body into json: "),
    ('"text"', "InvalidRequestContentException", "Could not parse request body into json: "),
    (b"\xff\xfe", "InvalidRequestContentException", "Could not parse request body into json: "),
    ('{"FunctionName": "x", "Role": "r", "Code": {}, "MemorySize": "big"}',
     "InvalidRequestContentException", "Could not parse request body into json: "),
    ('{"FunctionName": 7, "Role": "r", "Code": {}}',
     "InvalidRequestContentException", "Could not parse request body into json: "),
    ('{"FunctionName": "x", "Role": "r", "Code": {}, "EphemeralStorage": {}}',
     "ValidationException", "1 validation error detected: Value null at "
     "'ephemeralStorage.size' failed to satisfy constraint: Member must not be null"),
])
def test_malformed_create_function_bodies_get_400(url, body, code, start):
    answer = send(url, "POST", "/2015-03-31/functions", body,
                  headers={"Content-Type": "application/json"})
    assert_error(answer, 400, code)
    assert answer.json["message"].startswith(start)


def test_a_required_query_member_missing_is_a_validation_error(url, fn):
    """UntagResource requires TagKeys (botocore model): Coral's "Member must not be null"."""
    arn = quote(f"arn:aws:lambda:us-east-1:123456789012:function:{fn}", safe="")
    assert_error(send(url, "DELETE", f"/2017-03-31/tags/{arn}"), 400, "ValidationException",
                 "1 validation error detected: Value null at 'tagKeys' failed to satisfy "
                 "constraint: Member must not be null")


def test_create_function_without_required_members_lists_each(url):
    answer = send(url, "POST", "/2015-03-31/functions", "{}")
    assert_error(answer, 400, "ValidationException")
    message = answer.json["message"]
    assert message.startswith("3 validation errors detected: ")
    for field in ("functionName", "role", "code"):
        assert (f"Value null at '{field}' failed to satisfy constraint: Member must not be null"
                in message)


def _log_streams(url: str, fn: str) -> list[str]:
    logs = client(url, "logs")
    try:
        found = logs.describe_log_streams(logGroupName=f"/aws/lambda/{fn}")["logStreams"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [s["logStreamName"] for s in found]


def test_bad_invocation_type_or_log_type_is_refused_and_nothing_runs(url, fn):
    """Coral's enum check; the InvocationType enum in the model's order."""
    before = _log_streams(url, fn)
    answer = send(url, "POST", f"/2015-03-31/functions/{fn}/invocations", "{}",
                  headers={"X-Amz-Invocation-Type": "Bogus"})
    assert_error(answer, 400, "ValidationException",
                 "1 validation error detected: Value 'Bogus' at 'invocationType' failed to "
                 "satisfy constraint: Member must satisfy enum value set: [Event, "
                 "RequestResponse, DryRun]")
    answer = send(url, "POST", f"/2015-03-31/functions/{fn}/invocations", "{}",
                  headers={"X-Amz-Log-Type": "All"})
    assert_error(answer, 400, "ValidationException",
                 "1 validation error detected: Value 'All' at 'logType' failed to satisfy "
                 "constraint: Member must satisfy enum value set: [None, Tail]")
    assert _log_streams(url, fn) == before  # the handler never ran
    ok = send(url, "POST", f"/2015-03-31/functions/{fn}/invocations", '{"a": 1}',
              headers={"X-Amz-Log-Type": "Tail"})
    assert (ok.status, ok.json) == (200, {"a": 1})
    assert ok.headers["X-Amz-Log-Result"]


def test_invoke_payload_that_is_not_json_or_utf8_is_invalid_request_content(url, fn):
    """Recorded invoke_function_invalid_payload_body: 400 InvalidRequestContentException."""
    for payload in (b"\x87\x99", b"{nope"):
        answer = send(url, "POST", f"/2015-03-31/functions/{fn}/invocations", payload)
        assert_error(answer, 400, "InvalidRequestContentException")
        assert answer.json["message"].startswith("Could not parse request body into json: "
                                                 "Could not parse payload into json: ")


def test_successful_answers_are_json(url, fn):
    for method, path in [("GET", "/2015-03-31/functions"), ("GET", f"/2015-03-31/functions/{fn}"),
                         ("GET", "/2016-08-19/account-settings")]:
        answer = send(url, method, path)
        assert answer.status == 200
        assert answer.headers["Content-Type"].startswith("application/json")
        assert isinstance(answer.json, dict)


def test_an_operation_lambda_lab_lacks_is_a_json_501(url, fn):
    answer = send(url, "GET", f"/2021-07-20/functions/{fn}/runtime-management-config")
    assert_error(answer, 501, "NotEmulatedException")
    assert json.loads(answer.text)["message"] == (
        "lambda_lab does not emulate GetRuntimeManagementConfig.")


def test_error_bodies_have_aws_members(url):
    """AWS-recorded bodies (LocalStack's Lambda snapshots): ResourceNotFoundException
    {"Type": "User", "Message": ...}; Coral's ValidationException no Type."""
    missing = send(url, "GET", "/2015-03-31/functions/nope")
    assert_error(missing, 404, "ResourceNotFoundException")
    assert missing.json["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope")
    assert missing.json["Type"] == "User"
    invalid = send(url, "GET", "/2015-03-31/functions/a%20b")
    assert_error(invalid, 400, "ValidationException")
    assert "Type" not in invalid.json


def test_cors_preflight_is_not_judged_as_an_unsigned_request(url):
    """A browser's preflight is never signed; it is left to moto's server (with its CORS
    headers), not answered MissingAuthenticationToken."""
    answer = send(url, "OPTIONS", "/2015-03-31/functions", sign=False,
                  headers={"Origin": "http://localhost", "Access-Control-Request-Method": "GET"})
    assert answer.error_type != "MissingAuthenticationTokenException"
    assert answer.headers["Access-Control-Allow-Origin"] == "http://localhost"
