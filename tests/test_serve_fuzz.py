"""Fuzzing ``serve``'s Lambda API (issue #12): random names, qualifiers, headers, methods, paths
and bodies, signed and unsigned. Every answer is JSON (or empty, for 202/204), never HTML,
never a 5xx (the one 5xx lambda_lab sends on purpose is 501 NotEmulatedException for an
operation of the API it does not emulate), and a function created first survives, its code
unchanged, whatever the requests that do not legitimately delete or replace it.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from urllib.parse import quote

import boto3
import pytest
from aws_helpers import TRUST, make_zip
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from serve_helpers import running_server, send

from lambda_lab.aws.operations import api_dates

HANDLER = "def handler(event, context):\n    return event\n"
KEEP = "keep"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:"

names = st.one_of(
    st.sampled_from([KEEP, "other", f"{KEEP}:1", f"{KEEP}:$LATEST", f"{KEEP}:live", ARN + KEEP,
                     "123456789012:function:" + KEEP, "../" + KEEP, "", "a" * 65, "a" * 300,
                     "my.fn", f"{KEEP}:1:2", "*", "%", "a/b", "a b", "\u00e9"]),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=80))
qualifiers = st.one_of(st.none(), st.sampled_from(["1", "$LATEST", "live", "", "a" * 129,
                                                   "bad!"]), st.text(max_size=20))
templates = st.sampled_from([
    "/2015-03-31/functions", "/2015-03-31/functions/{name}",
    "/2015-03-31/functions/{name}/invocations", "/2015-03-31/functions/{name}/configuration",
    "/2015-03-31/functions/{name}/code", "/2015-03-31/functions/{name}/versions",
    "/2015-03-31/functions/{name}/aliases", "/2015-03-31/functions/{name}/aliases/{name2}",
    "/2015-03-31/functions/{name}/policy", "/2015-03-31/functions/{name}/policy/{name2}",
    "/2014-11-13/functions/{name}/invoke-async", "/2015-03-31/event-source-mappings",
    "/2015-03-31/event-source-mappings/{name}", "/2017-10-31/functions/{name}/concurrency",
    "/2019-09-30/functions/{name}/concurrency",
    "/2019-09-30/functions/{name}/provisioned-concurrency",
    "/2019-09-25/functions/{name}/event-invoke-config",
    "/2019-09-25/functions/{name}/event-invoke-config/list",
    "/2021-10-31/functions/{name}/url", "/2018-10-31/layers", "/2018-10-31/layers/{name}/versions",
    "/2018-10-31/layers/{name}/versions/{name2}", "/2016-08-19/account-settings",
    "/2017-03-31/tags/{name}", "/2024-08-31/functions/{name}/recursion-config",
    "/2015-03-31/{name}", "/{name}", "/2015-03-31/functions/{name}/{name2}", "/",
    "//2015-03-31/functions/{name}"])
json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              st.text(max_size=20)),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=12), inner, max_size=4)),
    max_leaves=12)
members = st.sampled_from(["FunctionName", "Role", "Code", "Handler", "Runtime", "MemorySize",
                           "Timeout", "Environment", "EphemeralStorage", "Layers", "Name",
                           "FunctionVersion", "RoutingConfig", "StatementId", "Action",
                           "Principal", "EventSourceArn", "BatchSize", "ZipFile", "Publish",
                           "ReservedConcurrentExecutions", "DestinationConfig", "AuthType"])
bodies = st.one_of(
    st.just(b""), st.binary(max_size=40), st.deferred(lambda: create_bodies),
    json_values.map(lambda v: json.dumps(v).encode()),
    st.dictionaries(members, json_values, max_size=5).map(lambda v: json.dumps(v).encode()))
header_values = st.one_of(st.sampled_from(["RequestResponse", "Event", "DryRun", "Bogus", "",
                                           "None", "Tail", "e30=", "not base64!"]),
                          st.text(st.characters(min_codepoint=32, max_codepoint=126),
                                  max_size=20).map(str.strip))  # HTTP trims values
headers = st.dictionaries(
    st.sampled_from(["X-Amz-Invocation-Type", "X-Amz-Log-Type", "X-Amz-Client-Context",
                     "Content-Type", "Qualifier", "X-Amzn-Trace-Id"]), header_values, max_size=4)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH"])


def _model_routes() -> list[tuple[str, str]]:
    """(method, path template) of every operation in botocore's Lambda model (its SDK's)."""
    from botocore.loaders import Loader

    model = Loader().load_service_model("lambda", "service-2")
    found = []
    for op in model["operations"].values():
        uri = op["http"]["requestUri"].split("?")[0]
        labels = re.findall(r"\{\w+\+?\}", uri)
        for i, label in enumerate(labels):
            uri = uri.replace(label, "{name}" if i == 0 else "{name2}")
        found.append((op["http"]["method"], uri))
    return sorted(found)


requests_ = st.one_of(st.sampled_from(_model_routes()), st.tuples(methods, templates))
ZIP = base64.b64encode(make_zip(HANDLER)).decode()
ROLE = "arn:aws:iam::123456789012:role/fuzz"
create_bodies = st.builds(
    lambda name, extra: json.dumps({"FunctionName": name, "Role": ROLE, "Runtime": "python3.12",
                                    "Handler": "lambda_function.handler",
                                    "Code": {"ZipFile": ZIP}, **extra}).encode(),
    names, st.dictionaries(members, json_values, max_size=2))
#: Requests that may legitimately delete KEEP or replace its code (never generated).
_REPLACES_KEEP = re.compile(r"^/2015-03-31/functions/[^/]*keep[^/]*(/code)?/?$")


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[str, str]]:
    """A served emulated AWS with KEEP created; yields (url, KEEP's CodeSha256)."""
    for url in running_server():
        creds = {"endpoint_url": url, "region_name": "us-east-1",
                 "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        role = boto3.client("iam", **creds).create_role(
            RoleName="fuzz", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        lam = boto3.client("lambda", **creds)
        sha = lam.create_function(FunctionName=KEEP, Runtime="python3.12", Role=role,
                                  Handler="lambda_function.handler",
                                  Code={"ZipFile": make_zip(HANDLER)})["CodeSha256"]
        yield url, sha
        config = lam.get_function(FunctionName=KEEP)["Configuration"]
        assert (config["FunctionName"], config["CodeSha256"]) == (KEEP, sha)


@settings(max_examples=200, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(request=requests_, name=names, name2=names, qualifier=qualifiers, extra=headers,
       body=bodies, signed=st.sampled_from([True, True, True, False]))
def test_every_answer_is_aws_shaped_json_and_keep_survives(server, request, name, name2,
                                                           qualifier, extra, body, signed):
    url, sha = server
    method, template = request
    path = template.format(name=quote(name, safe=""), name2=quote(name2, safe=""))
    if qualifier is not None:
        path += "?Qualifier=" + quote(qualifier, safe="")
    if method in ("DELETE", "PUT") and _REPLACES_KEEP.match(path.split("?")[0]):
        return  # a legitimate DeleteFunction / UpdateFunctionCode of KEEP
    lambda_path = bool(re.match(r"^/(\d{4}-\d{2}-\d{2})/", path)) and (
        path.split("/")[1] in api_dates())
    if not signed and not lambda_path:
        return  # not the Lambda API's: another service's, left to moto
    answer = send(url, method, path, body, headers=extra, sign=signed)
    where = f"{method} {path} {extra} {body[:60]!r} -> {answer.status} {answer.text[:300]}"
    assert answer.status < 500 or (answer.status, answer.error_type) == (
        501, "NotEmulatedException"), where
    assert "html" not in answer.headers.get("Content-Type", ""), where
    if not signed:
        assert (answer.status, answer.error_type) == (
            403, "MissingAuthenticationTokenException"), where
    if answer.text:
        json.loads(answer.text)  # raises (fails the example) on anything but JSON
    elif answer.status not in (202, 204):
        assert answer.status < 300, where  # every error has a body
    if answer.status >= 400:
        assert answer.error_type, where
