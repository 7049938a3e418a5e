"""Lambda's errors, codes, messages and HTTP statuses through botocore, as AWS sends them.

Rules from lambda-facts.md (Timeout 1-900 s, env vars 4 KB, payloads: sync 6 MB, async 1 MB) and
issue #3 section 1 (messages quoted there).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import pytest
from aws_helpers import aws, create, lam, make_zip, role  # noqa: F401

OK = "def handler(event, context):\n    return event\n"
ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def _error(excinfo: pytest.ExceptionInfo) -> tuple[str, str, int]:
    r = excinfo.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def test_timeout_1000_is_rejected_timeout_max_is_900(lam, create):
    """lambda-facts: Timeout max 900 s (moto accepts 1000; AWS does not)."""
    with pytest.raises(lam.exceptions.ClientError) as e:
        create(OK, Timeout=1000)
    assert _error(e) == ("ValidationException",
                         "1 validation error detected: Value '1000' at 'timeout' failed to "
                         "satisfy constraint: Member must have value less than or equal to 900",
                         400)
    name = create(OK, Timeout=900)
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.update_function_configuration(FunctionName=name, Timeout=901)
    assert _error(e)[0] == "ValidationException"


def test_environment_over_4_kb_is_rejected(lam, create):
    """lambda-facts: env vars 4 KB aggregate (moto does no such check)."""
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        create(OK, Environment={"Variables": {"BIG": "x" * 4096}})
    code, message, status = _error(e)
    assert status == 400
    assert message.startswith("Lambda was unable to configure your environment variables "
                              "because the environment variables you have provided exceeded "
                              "the 4KB limit.")


def test_role_must_exist_in_iam(lam):
    """Issue #3: a Role missing from IAM -> "cannot be assumed by Lambda"."""
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_function(FunctionName="f", Runtime="python3.12", Handler="m.h",
                            Role="arn:aws:iam::123456789012:role/missing",
                            Code={"ZipFile": make_zip(OK)})
    assert _error(e)[1] == "The role defined for the function cannot be assumed by Lambda."


def test_unknown_function_names_the_arn(lam, create):
    """Issue #3: ResourceNotFoundException "Function not found: arn:...:NAME[:QUALIFIER]"."""
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.invoke(FunctionName="nope")
    assert _error(e) == ("ResourceNotFoundException", f"Function not found: {ARN}nope", 404)
    name = create(OK)
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as e:
        lam.invoke(FunctionName=name, Qualifier="7")
    assert _error(e)[1] == f"Function not found: {ARN}{name}:7"


def test_invalid_json_payload(lam, create):
    """Issue #3: a payload that is not JSON -> InvalidRequestContentException (400)."""
    name = create(OK)
    with pytest.raises(lam.exceptions.InvalidRequestContentException) as e:
        lam.invoke(FunctionName=name, Payload=b"{not json")
    code, message, status = _error(e)
    assert status == 400 and message.startswith("Could not parse request body into json")


def test_sync_request_over_6_mb(lam, create):
    """lambda-facts: sync request 6 MB; issue #3 quotes the message."""
    name = create(OK)
    payload = json.dumps("x" * (6 * 1024 * 1024)).encode()
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.invoke(FunctionName=name, Payload=payload)
    assert _error(e) == ("RequestEntityTooLargeException",
                         "Request must be smaller than 6291456 bytes for the InvokeFunction "
                         "operation", 413)


def test_event_payload_over_1_mb(lam, create):
    """lambda-facts: async payload 1 MB (raised from 256 KB late 2025); issue #3's message."""
    name = create(OK)
    payload = json.dumps("x" * (1024 * 1024)).encode()
    with pytest.raises(lam.exceptions.ClientError) as e:
        lam.invoke(FunctionName=name, InvocationType="Event", Payload=payload)
    assert _error(e) == ("RequestEntityTooLargeException",
                         f"{len(payload)} byte payload is too large for the Event invocation "
                         "type (limit 1048576 bytes)", 413)
