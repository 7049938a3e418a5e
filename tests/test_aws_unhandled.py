"""A failing handler: FunctionError "Unhandled" and the Python runtime's error payload.

lambda-facts B: payload {"errorMessage", "errorType", "requestId", "stackTrace"}, header
X-Amz-Function-Error: Unhandled, StatusCode 200 (moto says "Handled"; AWS says "Unhandled").
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

from aws_helpers import aws, create, invoke_json, lam, role  # noqa: F401

FAILING = """
def handler(event, context):
    raise ValueError("bad input: " + str(event["n"]))
"""


def test_handler_exception_is_an_unhandled_function_error(lam, create):
    name = create(FAILING)
    resp, body = invoke_json(lam, name, {"n": 3})
    assert resp["StatusCode"] == 200
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "ValueError"
    assert body["errorMessage"] == "bad input: 3"
    assert isinstance(body["stackTrace"], list)


def test_timeout_is_an_unhandled_function_error(lam, create):
    """lambda-facts B: a timeout answers "Task timed out after 1.00 seconds"."""
    name = create("import time\ndef handler(event, context):\n    time.sleep(5)\n", Timeout=1)
    resp, body = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]
