"""Function and layer names are checked as AWS checks them, before anything touches the disk
(issue #12 item 1: ``create_function(FunctionName="../../../../x/y")`` wrote outside the state
folder).

AWS's texts: LocalStack's AWS-recorded snapshots (tests/aws/services/lambda_/
test_lambda_api.snapshot.json: ``test_function_name_and_qualifier_validation``,
``test_function_arns``, ``test_invalid_invoke``) and the Lambda API reference, whose pages give
each operation's FunctionName pattern and length: CreateFunction, UpdateFunctionCode,
UpdateFunctionConfiguration, PublishVersion, the alias, URL-config and concurrency calls take
``FunctionName`` (1-140, no dots); GetFunction, DeleteFunction, Invoke, the permission and
event-invoke-config calls and event source mappings take a "namespaced" name (1-256, dots,
``$LATEST.PUBLISHED``). CreateFunction refuses a name over 64 characters with
InvalidParameterValueException (Coral's wording); elsewhere such a name is just not found.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import os
from typing import Any

import boto3
import pytest
from aws_helpers import REGION, aws, create, lam, make_zip, role  # noqa: F401
from botocore.config import Config

from lambda_lab.errors import InvalidParameterValueException, ValidationException
from lambda_lab.execution.state import state_root
from lambda_lab.validation import safe_folder_name

OK = "def handler(event, context):\n    return event\n"
#: The patterns AWS prints (recorded, see the module docstring).
PLAIN = (r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:)?"
         r"(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?")
NAMESPACED = (r"(arn:(aws[a-zA-Z-]*)?:lambda:)?((eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-"
              r"\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_\.]+)(:(\$LATEST(\.PUBLISHED)?|"
              r"[a-zA-Z0-9-_]+))?")


def pattern_error(value: str, pattern: str) -> str:
    return (f"1 validation error detected: Value '{value}' at 'functionName' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {pattern}")


@pytest.fixture
def raw(aws: Any) -> Any:
    """A Lambda client without botocore's own checks (an empty name reaches the server)."""
    return boto3.client("lambda", region_name=REGION, config=Config(parameter_validation=False))


def _error(excinfo: pytest.ExceptionInfo) -> tuple[str, str, int]:
    r = excinfo.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def _tree(path: str) -> set[str]:
    found = set()
    for root, dirs, files in os.walk(path):
        found.update(os.path.join(root, n) for n in dirs + files)
    return found


def test_traversal_name_is_refused_and_nothing_is_written(raw, role):
    """issue #12 item 1: the name was a path; AWS refuses it by pattern (CreateFunction's)."""
    name = "../../../../x/y"
    code = os.path.join(state_root(), "code")
    target = os.path.normpath(os.path.join(code, "../../../../x"))  # where y-N went
    before = _tree(code)
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler", Code={"ZipFile": make_zip(OK)})
    assert _error(e) == ("ValidationException", pattern_error(name, PLAIN), 400)
    assert _tree(code) == before  # not even inside the state folder
    assert not os.path.exists(target) or not any(n.startswith("y-") for n in os.listdir(target))
    assert raw.list_functions()["Functions"] == []


@pytest.mark.parametrize("name", ["a/b", "a b", "my-function!", "*", "a.b",
                                  "invalid:function:name", "f:$latest", "f:1:2"])
def test_create_refuses_names_outside_the_pattern(raw, role, name):
    """Recorded: 'my-function!', '*', 'invalid:function:name', lowercase '$latest', two
    qualifiers -> ValidationException with CreateFunction's pattern (no dots)."""
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler", Code={"ZipFile": make_zip(OK)})
    assert _error(e) == ("ValidationException", pattern_error(name, PLAIN), 400)


def test_create_refuses_a_65_character_name_with_invalid_parameter(raw, role):
    """Recorded long_function_name_exc: InvalidParameterValueException, Coral's text, 64."""
    name = "a" * 65
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler", Code={"ZipFile": make_zip(OK)})
    assert _error(e) == (
        "InvalidParameterValueException",
        f"1 validation error detected: Value '{name}' at 'functionName' failed to satisfy "
        "constraint: Member must have length less than or equal to 64", 400)
    raw.create_function(FunctionName="a" * 64, Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler", Code={"ZipFile": make_zip(OK)})
    assert raw.get_function(FunctionName="a" * 64)["Configuration"]["FunctionName"] == "a" * 64


def test_create_refuses_an_arn_over_140_characters(raw, role):
    """Recorded long_function_arn_exc: ValidationException, length 140 (the pattern holds)."""
    arn = "arn:aws:lambda:us-east-1:123456789012:function:" + "a" * 94
    assert len(arn) == 141
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.create_function(FunctionName=arn, Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler", Code={"ZipFile": make_zip(OK)})
    assert _error(e) == (
        "ValidationException",
        f"1 validation error detected: Value '{arn}' at 'functionName' failed to satisfy "
        "constraint: Member must have length less than or equal to 140", 400)


def test_create_refuses_an_empty_name_with_both_errors(raw, role):
    """Coral lists every failed constraint ("2 validation errors detected: a; b", recorded for
    an ARN both too long and off-pattern): an empty name has length < 1 and misses the
    pattern."""
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.create_function(FunctionName="", Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler", Code={"ZipFile": make_zip(OK)})
    code, message, status = _error(e)
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "2 validation errors detected: Value '' at 'functionName' failed to satisfy constraint: "
        "Member must have length greater than or equal to 1; Value '' at 'functionName' failed "
        f"to satisfy constraint: Member must satisfy regular expression pattern: {PLAIN}")


def test_a_full_or_partial_arn_creates_the_named_function(raw, role):
    """Recorded create-function-arn-response / partial-arn-response: the name is the ARN's."""
    for ref, name in [("arn:aws:lambda:us-east-1:123456789012:function:by-arn", "by-arn"),
                      ("123456789012:function:by-partial", "by-partial")]:
        out = raw.create_function(FunctionName=ref, Runtime="python3.12", Role=role,
                                  Handler="lambda_function.handler",
                                  Code={"ZipFile": make_zip(OK)})
        assert out["FunctionName"] == name


@pytest.mark.parametrize("name", ["my.function", "a" * 65])
def test_lookups_accept_dots_and_long_names_as_not_found(raw, name):
    """Recorded function_name_too_long-get_function: ResourceNotFoundException; dots are in
    the namespaced pattern."""
    with pytest.raises(raw.exceptions.ResourceNotFoundException):
        raw.get_function(FunctionName=name)


def test_qualifier_is_checked_with_the_name(raw):
    """Recorded invalid_characters_in_qualifier / qualifier_too_long: 'qualifier', 128."""
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.get_function(FunctionName="f", Qualifier="invalid!")
    assert _error(e) == (
        "ValidationException",
        "1 validation error detected: Value 'invalid!' at 'qualifier' failed to satisfy "
        r"constraint: Member must satisfy regular expression pattern: \$(LATEST(\.PUBLISHED)?)|"
        "[a-zA-Z0-9-_$]+", 400)
    with pytest.raises(raw.exceptions.ClientError) as e:
        raw.invoke(FunctionName="f", Qualifier="a" * 129)
    assert _error(e)[1] == (
        f"1 validation error detected: Value '{'a' * 129}' at 'qualifier' failed to satisfy "
        "constraint: Member must have length less than or equal to 128")


BAD = "a b"
#: Every operation that takes a function name, with the pattern its API page gives.
CALLS = [
    ("get_function", {}, NAMESPACED),
    ("get_function_configuration", {}, NAMESPACED),
    ("delete_function", {}, NAMESPACED),
    ("invoke", {"Payload": b"{}"}, NAMESPACED),
    ("invoke", {"InvocationType": "Event"}, NAMESPACED),
    ("invoke_async", {"InvokeArgs": b"{}"}, NAMESPACED),
    ("update_function_code", {"ZipFile": make_zip(OK)}, PLAIN),
    ("update_function_configuration", {"Timeout": 5}, PLAIN),
    ("publish_version", {}, PLAIN),
    ("list_versions_by_function", {}, NAMESPACED),
    ("create_alias", {"Name": "live", "FunctionVersion": "1"}, PLAIN),
    ("get_alias", {"Name": "live"}, PLAIN),
    ("update_alias", {"Name": "live", "FunctionVersion": "1"}, PLAIN),
    ("delete_alias", {"Name": "live"}, PLAIN),
    ("list_aliases", {}, PLAIN),
    ("add_permission", {"StatementId": "s", "Action": "lambda:InvokeFunction",
                        "Principal": "s3.amazonaws.com"}, NAMESPACED),
    ("remove_permission", {"StatementId": "s"}, NAMESPACED),
    ("get_policy", {}, NAMESPACED),
    ("create_function_url_config", {"AuthType": "NONE"}, PLAIN),
    ("get_function_url_config", {}, PLAIN),
    ("update_function_url_config", {"AuthType": "NONE"}, PLAIN),
    ("delete_function_url_config", {}, PLAIN),
    ("list_function_url_configs", {}, PLAIN),
    ("create_event_source_mapping",
     {"EventSourceArn": "arn:aws:sqs:us-east-1:123456789012:q"}, NAMESPACED),
    ("list_event_source_mappings", {}, NAMESPACED),
    ("put_function_concurrency", {"ReservedConcurrentExecutions": 1}, PLAIN),
    ("get_function_concurrency", {}, PLAIN),
    ("delete_function_concurrency", {}, PLAIN),
    ("put_provisioned_concurrency_config",
     {"Qualifier": "1", "ProvisionedConcurrentExecutions": 1}, PLAIN),
    ("get_provisioned_concurrency_config", {"Qualifier": "1"}, PLAIN),
    ("delete_provisioned_concurrency_config", {"Qualifier": "1"}, PLAIN),
    ("list_provisioned_concurrency_configs", {}, PLAIN),
    ("put_function_event_invoke_config", {"MaximumRetryAttempts": 1}, NAMESPACED),
    ("update_function_event_invoke_config", {"MaximumRetryAttempts": 1}, NAMESPACED),
    ("get_function_event_invoke_config", {}, NAMESPACED),
    ("delete_function_event_invoke_config", {}, NAMESPACED),
    ("list_function_event_invoke_configs", {}, NAMESPACED),
]


@pytest.fixture(scope="module")
def one_session() -> Any:
    """One emulated AWS for the per-operation cases, with one function that must survive
    (the tests using it come after those with a session of their own: sessions do not nest)."""
    from aws_helpers import TRUST, session

    for _session in session():
        client = boto3.client("lambda", region_name=REGION,
                              config=Config(parameter_validation=False))
        role_arn = boto3.client("iam", region_name=REGION).create_role(
            RoleName="names-role", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        client.create_function(FunctionName="survivor", Runtime="python3.12", Role=role_arn,
                               Handler="lambda_function.handler",
                               Code={"ZipFile": make_zip(OK)})
        yield client


@pytest.mark.parametrize("call, params, pattern", CALLS,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CALLS)])
@pytest.mark.parametrize("bad", [BAD, "../x"])
def test_every_api_refuses_a_bad_function_name(one_session, call, params, pattern, bad):
    """Each operation's FunctionName pattern as its API page gives; the function that exists
    is untouched."""
    raw = one_session
    with pytest.raises(raw.exceptions.ClientError) as e:
        getattr(raw, call)(FunctionName=bad, **params)
    assert _error(e) == ("ValidationException", pattern_error(bad, pattern), 400)
    config = raw.get_function(FunctionName="survivor")["Configuration"]
    assert (config["FunctionName"], config["Timeout"]) == ("survivor", 3)


LAYER_PATTERN = (r"(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+)|"
                 r"[a-zA-Z0-9-_]+")
LAYER_CALLS = [
    ("publish_layer_version", {"Content": {"ZipFile": make_zip(OK)}}),
    ("list_layer_versions", {}),
    ("get_layer_version", {"VersionNumber": 1}),
    ("delete_layer_version", {"VersionNumber": 1}),
    ("get_layer_version_policy", {"VersionNumber": 1}),
]


@pytest.mark.parametrize("call, params", LAYER_CALLS, ids=[c[0] for c in LAYER_CALLS])
def test_layer_calls_refuse_a_bad_layer_name(one_session, call, params):
    """API reference (LayerName): ``(arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\\d{12}:layer:
    [a-zA-Z0-9-_]+)|[a-zA-Z0-9-_]+``, 1-140, at 'layerName'."""
    raw = one_session
    with pytest.raises(raw.exceptions.ClientError) as e:
        getattr(raw, call)(LayerName="../x", **params)
    code, message, status = _error(e)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value '../x' at 'layerName' failed "
                              "to satisfy constraint: Member must satisfy regular expression "
                              "pattern: ")
    assert LAYER_PATTERN in message


def test_platform_and_native_api_refuse_bad_names_before_writing(tmp_path):
    """The same rule below the HTTP API: Platform.create_function and lambda_lab.deploy."""
    import lambda_lab
    from lambda_lab.platform import Code, FunctionConfig, Platform

    code = os.path.join(state_root(), "code")
    before = _tree(code)
    with pytest.raises(ValidationException):
        lambda_lab.deploy(OK, name="../../evil", handler="lambda_function.handler")
    with pytest.raises(InvalidParameterValueException):
        lambda_lab.deploy(OK, name="a" * 65, handler="lambda_function.handler")
    assert _tree(code) == before
    platform = Platform()
    try:
        config = FunctionConfig(code=Code("", "", 0), handler="h.h", role="")
        with pytest.raises(ValidationException):
            platform.create_function("a/b", config)
        with pytest.raises(InvalidParameterValueException):
            platform.create_function("f:1", config)  # a bare name is expected here
    finally:
        platform.close()


@pytest.mark.parametrize("name, folder", [
    ("my-function_1", "my-function_1"), ("../../x/y", "_._.._x_y"), ("..", "_."),
    ("", "_"), ("a" * 100, "a" * 64), ("a b\x00c", "a_b_c")])
def test_safe_folder_name_keeps_valid_names_and_confines_the_rest(name, folder):
    assert safe_folder_name(name) == folder
    assert "/" not in folder and folder not in (".", "..")


def test_code_folders_stay_in_the_state_folder_even_for_unchecked_names():
    """Below every check: the folder a name's code goes to is inside ``code/``."""
    from lambda_lab import code as codelib

    code = os.path.realpath(os.path.join(state_root(), "code"))
    for name in ("../../../../x/y", "/etc/evil", "..", "a\x00b"):
        root = os.path.realpath(codelib.store_source(name, OK))
        assert os.path.dirname(root) == code
        assert os.path.exists(os.path.join(root, "lambda_function.py"))
