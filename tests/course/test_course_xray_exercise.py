"""The ``xray-subsegment`` exercise of notebooks/09-observability: its reference solution, the
usual slips with their hints, and its run on the emulator.

Sources: Lambda DG "Visualize Lambda function invocations using AWS X-Ray" (with Active tracing
Lambda sends the ``AWS::Lambda`` and ``AWS::Lambda::Function`` segments; the SDK's subsegments
go under the function segment's ``Invocation``); X-Ray DG "Generating custom subsegments with the
X-Ray SDK for Python" (``in_subsegment``, ``capture``); X-Ray DG "Add annotations and metadata
to segments with the X-Ray SDK for Python" (annotations are indexed for filter expressions,
metadata is not; in Lambda the function segment cannot be modified: the SDK raises
``FacadeSegmentMutationException``); X-Ray API GetTraceSummaries (``FilterExpression``
``annotation.key = "value"``).
"""

from __future__ import annotations

import boto3
import pytest
from aws_helpers import REGION, session
from aws_xray_sdk.core import xray_recorder

from lambda_lab.course import exercises as ex
from lambda_lab.course.exercises import NOT_ATTEMPTED
from lambda_lab.course.progress import ENV_VAR


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "progress.json"))


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


def handler_of(body: str, name: str):
    """A handler defined from source, as a notebook cell defines it."""
    source = "from aws_xray_sdk.core import xray_recorder\n\n\n" + body
    return ex._run_source(source, f"<xray {name}>")["handler"]


TOTAL = 'sum(item["price"] * item["qty"] for item in event["items"])'
RETURN = '    return {"order_id": event["order_id"], "total": total}\n'


def check(answer):
    return ex.get("xray-subsegment").check(answer)


def test_the_reference_solution_passes_every_check():
    exercise = ex.get("xray-subsegment")
    assert exercise.check(exercise.reference_answer()).text == "✅ 6 of 6 checks pass"


def test_a_captured_helper_and_nested_subsegments_pass_too():
    """capture() opens a subsegment around a function; a subsegment inside another one is still
    under the function segment."""
    captured = handler_of(
        '@xray_recorder.capture("compute-total")\ndef compute(event):\n'
        '    xray_recorder.current_subsegment().put_annotation("order_id", event["order_id"])\n'
        f"    return {TOTAL}\n\n\n"
        "def handler(event, context):\n"
        '    return {"order_id": event["order_id"], "total": compute(event)}\n', "capture")
    nested = handler_of(
        "def handler(event, context):\n"
        '    with xray_recorder.in_subsegment("handler"):\n'
        '        with xray_recorder.in_subsegment("compute-total") as subsegment:\n'
        '            subsegment.put_annotation("order_id", event["order_id"])\n'
        f"            total = {TOTAL}\n" + RETURN, "nested")
    assert check(captured).ok
    assert check(nested).ok


def test_none_and_the_stub_are_not_attempted():
    exercise = ex.get("xray-subsegment")
    for answer in (None, exercise.stub_answer()):
        assert exercise.check(answer).text == NOT_ATTEMPTED


@pytest.mark.parametrize("body, expected", [
    (f"def handler(event, context):\n    total = {TOTAL}\n" + RETURN,  # no subsegment
     "❌ 2 of 6 checks pass — hint: no subsegment from your code reached X-Ray: inside the "
     "handler, wrap the work in `with xray_recorder.in_subsegment('compute-total') as "
     "subsegment:`"),
    ('subsegment = xray_recorder.begin_subsegment("compute-total")  # init: no trace yet\n\n\n'
     f"def handler(event, context):\n    total = {TOTAL}\n" + RETURN,
     "❌ 2 of 6 checks pass — hint: no subsegment from your code reached X-Ray: inside the "
     "handler, wrap the work in `with xray_recorder.in_subsegment('compute-total') as "
     "subsegment:`"),
    ("def handler(event, context):\n"
     '    with xray_recorder.in_subsegment("total") as subsegment:\n'
     '        subsegment.put_annotation("order_id", event["order_id"])\n'
     f"        total = {TOTAL}\n" + RETURN,
     "❌ 3 of 6 checks pass — hint: X-Ray got the subsegment 'total': name it 'compute-total'"),
    ("def handler(event, context):\n"
     '    xray_recorder.put_annotation("order_id", event["order_id"])  # the function segment\n'
     '    with xray_recorder.in_subsegment("compute-total"):\n'
     f"        total = {TOTAL}\n" + RETURN,
     "❌ 1 of 6 checks pass — hint: the handler raised FacadeSegmentMutationException: in Lambda "
     "the function segment is Lambda's and cannot be changed; put the annotation on your "
     "subsegment (subsegment.put_annotation(...))"),
    ("def handler(event, context):\n"
     '    with xray_recorder.in_subsegment("compute-total") as subsegment:\n'
     '        subsegment.put_metadata("order_id", event["order_id"])\n'
     f"        total = {TOTAL}\n" + RETURN,
     "❌ 4 of 6 checks pass — hint: order_id is metadata, which X-Ray keeps but does not index: "
     "use subsegment.put_annotation('order_id', event['order_id'])"),
    ("def handler(event, context):\n"
     '    with xray_recorder.in_subsegment("compute-total") as subsegment:\n'
     '        subsegment.put_annotation("order_id", "o-1")\n'
     f"        total = {TOTAL}\n" + RETURN,
     "❌ 4 of 6 checks pass — hint: the annotation order_id is 'o-1', not the event's 'o-17'"),
    ("def handler(event, context):\n"
     '    with xray_recorder.in_subsegment("handler") as outer:\n'
     '        outer.put_annotation("order_id", event["order_id"])\n'
     '        with xray_recorder.in_subsegment("compute-total"):\n'
     f"            total = {TOTAL}\n" + RETURN,
     "❌ 5 of 6 checks pass — hint: order_id annotates 'handler': put it on 'compute-total'"),
])
def test_the_usual_slips_get_their_hint(body, expected):
    assert check(handler_of(body, expected[:20])).text == expected


def test_a_subsegment_outside_the_function_segment_is_not_nested():
    """A document of the same trace without a parent in it stays a segment of its own: not the
    handler's subsegment (sent here by hand, as a misconfigured recorder would)."""
    handler = ex._run_source('''
import json
import os
import socket
import time


def handler(event, context):
    root = os.environ["_X_AMZN_TRACE_ID"].split(";")[0].removeprefix("Root=")
    now = time.time()
    document = {"name": "compute-total", "id": "1234567890abcdef", "trace_id": root,
                "start_time": now, "end_time": now + 0.001,
                "annotations": {"order_id": event["order_id"]}}
    host, port = os.environ["AWS_XRAY_DAEMON_ADDRESS"].split(":")
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.sendto(b'{"format": "json", "version": 1}\\n' + json.dumps(document).encode(),
                 (host, int(port)))
    total = sum(item["price"] * item["qty"] for item in event["items"])
    return {"order_id": event["order_id"], "total": total}
''', "<xray by hand>")["handler"]
    assert check(handler).text == (
        "❌ 5 of 6 checks pass — hint: 'compute-total' is not under the function's segment "
        "(AWS::Lambda::Function): in Lambda, open subsegments with xray_recorder.in_subsegment, "
        "not segments of your own")


def handler_in_a_module(event, context):
    with xray_recorder.in_subsegment("compute-total") as subsegment:
        subsegment.put_annotation("order_id", event["order_id"])
        total = sum(item["price"] * item["qty"] for item in event["items"])
    return {"order_id": event["order_id"], "total": total}


def test_a_handler_from_a_module_brings_the_recorder_it_uses():
    """Outside a notebook cell the handler is deployed with what it uses: xray_recorder is an
    object, imported from the module that holds it (aws_xray_sdk.core)."""
    assert check(handler_in_a_module).ok


def test_a_handler_with_the_wrong_signature_is_told_so():
    feedback = check(handler_of("def handler(event):\n    return {}\n", "signature"))
    assert feedback.text.startswith("❌ 0 of 6 checks pass — hint: define it as "
                                    "def handler(event, context):")


def test_the_checker_runs_in_the_active_session_and_cleans_up(aws):
    """mock_aws sessions do not nest: inside the notebook's session the checker deploys there
    and removes its function, layer and role; the trace stays, as on AWS."""
    assert check(ex.get("xray-subsegment").reference_answer()).ok
    lam = boto3.client("lambda", region_name=REGION)
    assert lam.list_functions()["Functions"] == []
    assert lam.list_layers()["Layers"] == []
    assert boto3.client("iam", region_name=REGION).list_roles()["Roles"] == []
