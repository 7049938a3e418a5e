"""What an invocation returns: JSON results, the runtime's error shapes, size limits."""

from __future__ import annotations

import json

RESULTS = """
def none(event, context):
    return None

def echo(event, context):
    return event

def boom(event, context):
    raise ValueError("boom: " + str(event.get("why")))

def unmarshal(event, context):
    return {1, 2}

def big(event, context):
    return "x" * event["n"]
"""


def test_none_is_null(deploy):
    r = deploy(RESULTS, handler="lambda_function.none").invoke({})
    assert r.ok and r.raw_payload == b"null" and r.payload is None


def test_event_round_trips(deploy):
    event = {"a": [1, 2.5, "three", None, True], "b": {"nested": "é"}}
    assert deploy(RESULTS, handler="lambda_function.echo").invoke(event).payload == event


def test_unhandled_exception_shape_lambda_facts_python_unhandled_error(deploy):
    """lambda-facts B 'Python unhandled error': errorMessage, errorType, requestId,
    stackTrace; FunctionError Unhandled; StatusCode 200."""
    r = deploy(RESULTS, handler="lambda_function.boom").invoke({"why": 42})
    assert r.function_error == "Unhandled" and r.status_code == 200
    p = r.payload
    assert list(p) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert p["errorMessage"] == "boom: 42" and p["errorType"] == "ValueError"
    assert p["requestId"] == r.request_id
    assert p["stackTrace"][-1].startswith('  File "') and "in boom" in p["stackTrace"][-1]
    assert all("_runtime.py" not in frame for frame in p["stackTrace"])
    assert any(line.startswith("[ERROR] ValueError: boom: 42") for line in r.logs)


def test_unserialisable_result_is_marshal_error(deploy):
    r = deploy(RESULTS, handler="lambda_function.unmarshal").invoke({})
    assert r.payload["errorType"] == "Runtime.MarshalError"
    assert r.payload["errorMessage"] == (
        "Unable to marshal response: Object of type set is not JSON serializable")


def test_response_over_6mb_issue2_function_response_size_too_large(deploy):
    """Issue 2 §3: a response over 6 MB → Function.ResponseSizeTooLarge."""
    fn = deploy(RESULTS, handler="lambda_function.big", memory=1024)
    ok = fn.invoke({"n": 6291556 - 2})
    assert ok.ok and len(ok.raw_payload) == 6291556
    r = fn.invoke({"n": 6291556 - 1})
    assert r.function_error == "Unhandled"
    assert json.loads(r.raw_payload) == {
        "errorMessage": "Response payload size exceeded maximum allowed payload size "
                        "(6291556 bytes).",
        "errorType": "Function.ResponseSizeTooLarge"}
