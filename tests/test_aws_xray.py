"""X-Ray tracing of emulated Lambda functions, read back through boto3's X-Ray client.

Lambda Developer Guide, "Visualize Lambda function invocations using AWS X-Ray" (services-xray):
TracingConfig Mode is ``Active`` or ``PassThrough``; with Active, Lambda samples requests that
carry no sampling decision ("The default sampling rule is 1 request per second and 5 percent of
additional requests"); an upstream tracing header "tells Lambda to send traces or not"; Lambda
records "a segment for the Lambda service that handles the invocation request, and one for the
work done by the function", types ``AWS::Lambda`` and ``AWS::Lambda::Function``, both named for
the function, the function segment with subsegments ``Initialization``, ``Invocation`` and
``Overhead`` (Initialization "only appears for the first event that each instance of your
function processes"); the X-Ray SDK extends the ``Invocation`` subsegment through the daemon
(UDP, ``AWS_XRAY_DAEMON_ADDRESS``). Tracing mode "is part of the version-specific
configuration that is locked when you publish a version". lambda-facts.md B: the REPORT line
gains ``XRAY TraceId: … SegmentId: … Sampled: true`` with tracing.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import base64
import contextlib
import json
from typing import Any

import boto3
import pytest
from aws_helpers import REGION, TRUST, create, invoke_json, lam, make_zip, poll, role, session  # noqa: F401
from botocore.exceptions import ClientError

TRACE = """
import os
def handler(event, context):
    if event.get("fail"):
        raise ValueError("boom")
    return os.environ["_X_AMZN_TRACE_ID"]
"""


@pytest.fixture
def aws():
    """Virtual clock: platform time moves only with aws.advance."""
    yield from session(virtual_clock=True)


@pytest.fixture
def xray(aws):
    return boto3.client("xray", region_name=REGION)


def fields(header: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in header.split(";") if "=" in part)


def traces(xray, aws, ids: list[str] | None = None) -> dict[str, list[dict]]:
    """Trace id -> its segment documents, for the traces of the last minute of platform time."""
    now = aws.clock.now()
    if ids is None:
        summaries = xray.get_trace_summaries(StartTime=now - 60, EndTime=now + 60)
        ids = [s["Id"] for s in summaries["TraceSummaries"]]
    if not ids:
        return {}
    got = xray.batch_get_traces(TraceIds=ids)["Traces"]
    return {t["Id"]: [json.loads(s["Document"]) for s in t["Segments"]] for t in got}


def by_origin(docs: list[dict]) -> dict[str, dict]:
    return {d.get("origin", d["name"]): d for d in docs}


def with_header(client: Any, header: str) -> Any:
    """``client`` sending ``X-Amzn-Trace-Id: header`` with every Invoke (as an upstream
    service instrumented with X-Ray does)."""
    def add(request: Any, **_: Any) -> None:
        request.headers["X-Amzn-Trace-Id"] = header

    client.meta.events.register("before-sign.lambda.Invoke", add)
    return client


# ----------------------------------------------------------------- configuration


def test_tracing_config_is_passthrough_by_default_and_active_when_set(aws, lam, create):
    """TracingConfig Mode: Active | PassThrough (API TracingConfig); CreateFunction,
    UpdateFunctionConfiguration and GetFunctionConfiguration carry it; a published version keeps
    the mode it was published with (DG services-xray)."""
    plain = create(TRACE)
    assert lam.get_function_configuration(FunctionName=plain)["TracingConfig"] == {
        "Mode": "PassThrough"}
    name = create(TRACE, TracingConfig={"Mode": "Active"})
    assert lam.get_function_configuration(FunctionName=name)["TracingConfig"] == {
        "Mode": "Active"}
    v1 = lam.publish_version(FunctionName=name)["Version"]
    cfg = lam.update_function_configuration(FunctionName=name,
                                            TracingConfig={"Mode": "PassThrough"})
    assert cfg["TracingConfig"] == {"Mode": "PassThrough"}
    assert lam.get_function(FunctionName=name)["Configuration"]["TracingConfig"] == {
        "Mode": "PassThrough"}
    assert lam.get_function_configuration(FunctionName=name, Qualifier=v1)["TracingConfig"] == {
        "Mode": "Active"}


def test_an_unknown_tracing_mode_is_a_validation_error(aws, lam, create):
    """Mode's valid values are Active | PassThrough (API TracingConfig); anything else fails
    the model's enum constraint (ValidationException, HTTP 400)."""
    message = ("1 validation error detected: Value 'Sometimes' at 'tracingConfig.mode' failed "
               "to satisfy constraint: Member must satisfy enum value set: [Active, PassThrough]")
    with pytest.raises(ClientError) as info:
        create(TRACE, FunctionName="bad-mode", TracingConfig={"Mode": "Sometimes"})
    err = info.value.response
    assert (err["Error"]["Code"], err["Error"]["Message"]) == ("ValidationException", message)
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    name = create(TRACE)
    with pytest.raises(ClientError) as info:
        lam.update_function_configuration(FunctionName=name, TracingConfig={"Mode": "Sometimes"})
    assert info.value.response["Error"]["Message"] == message
    assert lam.get_function_configuration(FunctionName=name)["TracingConfig"] == {
        "Mode": "PassThrough"}


# ----------------------------------------------------------------- sampling


def sampled_run(lam, name: str, n: int) -> list[str]:
    return [fields(invoke_json(lam, name)[1])["Sampled"] for _ in range(n)]


def test_active_samples_the_first_request_each_second_and_5_percent_of_the_rest(
        aws, lam, create):
    """The default sampling rule: 1 request per second and 5 percent of additional requests
    (DG services-xray); the handler's _X_AMZN_TRACE_ID says Sampled=1 or Sampled=0."""
    name = create(TRACE, TracingConfig={"Mode": "Active"})
    first = sampled_run(lam, name, 41)
    assert first[0] == "1"
    assert set(first) <= {"0", "1"}
    assert first[1:].count("1") <= 8  # 5 % of 40 is 2; 9 or more has probability < 1e-4
    aws.advance(1)
    assert sampled_run(lam, name, 1) == ["1"]  # a new second: the reservoir again


def test_passthrough_without_a_sampled_header_is_never_traced(aws, lam, create, xray):
    """PassThrough "simply propagates the tracing context": no header, no traces."""
    name = create(TRACE)
    assert sampled_run(lam, name, 3) == ["0", "0", "0"]
    assert traces(xray, aws) == {}


def test_sampling_is_deterministic_under_the_mock_seed():
    """Emulator: the 5 percent draw comes from the session's seeded random generator, so the
    same seed gives the same decisions."""
    def one_run() -> list[str]:
        with contextlib.closing(session(virtual_clock=True)) as gen:
            next(gen)
            client = boto3.client("lambda", region_name=REGION)
            iam = boto3.client("iam", region_name=REGION)
            arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
            client.create_function(FunctionName="seeded", Runtime="python3.12", Role=arn,
                                   Handler="lambda_function.handler",
                                   Code={"ZipFile": make_zip(TRACE)},
                                   TracingConfig={"Mode": "Active"})
            run = sampled_run(client, "seeded", 60)
            with contextlib.suppress(StopIteration):
                next(gen)
            return run

    first, second = one_run(), one_run()
    assert first == second and first[0] == "1"


# ----------------------------------------------------------------- segments


def test_a_sampled_invocation_sends_the_service_and_function_segments(aws, lam, create, xray):
    """Two segments named for the function, AWS::Lambda and AWS::Lambda::Function (the
    function's parent is the service segment), the function segment with Initialization (cold
    start only), Invocation (the handler: REPORT's Duration) and Overhead; start and end on the
    platform clock. The handler's Parent is the Invocation subsegment, which the X-Ray SDK
    extends. REPORT gains "XRAY TraceId: … SegmentId: … Sampled: true"."""
    name = create(TRACE, TracingConfig={"Mode": "Active"})
    t0 = aws.clock.now()
    resp, header = invoke_json(lam, name, LogType="Tail")
    trace_id, parent = fields(header)["Root"], fields(header)["Parent"]
    found = traces(xray, aws)
    assert list(found) == [trace_id]
    docs = by_origin(found[trace_id])
    service, function = docs["AWS::Lambda"], docs["AWS::Lambda::Function"]
    assert service["name"] == function["name"] == name
    assert function["parent_id"] == service["id"]
    assert service["trace_id"] == function["trace_id"] == trace_id
    assert service["start_time"] == pytest.approx(t0)
    assert service["start_time"] <= function["start_time"] < function["end_time"]
    assert function["end_time"] <= service["end_time"]
    subs = {s["name"]: s for s in function["subsegments"]}
    assert list(subs) == ["Initialization", "Invocation", "Overhead"]
    assert subs["Invocation"]["id"] == parent
    assert subs["Initialization"]["end_time"] <= subs["Invocation"]["start_time"]
    report = base64.b64decode(resp["LogResult"]).decode().strip().splitlines()[-1]
    duration_ms = float(report.split("Duration: ")[1].split(" ms")[0])
    init_ms = float(report.split("Init Duration: ")[1].split(" ms")[0])
    inv, init = subs["Invocation"], subs["Initialization"]
    assert (inv["end_time"] - inv["start_time"]) * 1000 == pytest.approx(duration_ms, abs=0.01)
    assert (init["end_time"] - init["start_time"]) * 1000 == pytest.approx(init_ms, abs=0.01)
    assert report.endswith(f"\tXRAY TraceId: {trace_id}\tSegmentId: {function['id']}"
                           "\tSampled: true")
    assert "fault" not in function and "error" not in function

    aws.advance(1)  # the next second's first request is sampled: a warm one
    _, header = invoke_json(lam, name)
    docs = by_origin(traces(xray, aws, [fields(header)["Root"]])[fields(header)["Root"]])
    assert [s["name"] for s in docs["AWS::Lambda::Function"]["subsegments"]] == [
        "Invocation", "Overhead"]
    assert docs["AWS::Lambda"]["start_time"] == pytest.approx(t0 + 1)


def test_an_unsampled_invocation_sends_nothing_and_reports_no_xray(aws, lam, create, xray):
    """Only sampled requests are traced ("Lambda automatically sends traces to X-Ray for
    sampled requests"); an unsampled REPORT line has no XRAY part."""
    name = create(TRACE, TracingConfig={"Mode": "Active"})
    runs = [invoke_json(lam, name, LogType="Tail") for _ in range(20)]
    unsampled = [(r, h) for r, h in runs if fields(h)["Sampled"] == "0"]
    sampled = {fields(h)["Root"] for _, h in runs if fields(h)["Sampled"] == "1"}
    assert unsampled and sampled
    for resp, _ in unsampled:
        assert "XRAY" not in base64.b64decode(resp["LogResult"]).decode()
    assert set(traces(xray, aws)) == sampled


def test_a_function_error_marks_the_function_segment_as_a_fault(aws, lam, create, xray):
    """A function error (Unhandled) is recorded on the AWS::Lambda::Function segment with its
    exception as the cause; the trace summary has HasFault."""
    name = create(TRACE, TracingConfig={"Mode": "Active"})
    resp, body = invoke_json(lam, name, {"fail": True})
    assert resp["FunctionError"] == "Unhandled"
    [(trace_id, docs)] = traces(xray, aws).items()
    function = by_origin(docs)["AWS::Lambda::Function"]
    assert function["fault"] is True
    assert function["cause"]["exceptions"][0]["type"] == "ValueError"
    assert function["cause"]["exceptions"][0]["message"] == "boom"
    assert "fault" not in by_origin(docs)["AWS::Lambda"]
    now = aws.clock.now()
    [summary] = xray.get_trace_summaries(StartTime=now - 60, EndTime=now + 60)["TraceSummaries"]
    assert summary["Id"] == trace_id and summary["HasFault"] is True


def test_an_event_invocation_is_sampled_when_lambda_receives_it(aws, lam, create, xray):
    """Asynchronous invocations are traced too: sampled when Lambda receives the request (the
    first of the second), the segments sent when the queued event runs."""
    name = create(TRACE, TracingConfig={"Mode": "Active"})
    assert lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")[
        "StatusCode"] == 202
    assert aws.wait_async()
    [event] = aws.async_events
    trace_id = fields(event.trace_id)["Root"]
    assert fields(event.result.payload)["Sampled"] == "1"
    docs = by_origin(traces(xray, aws)[trace_id])
    assert set(docs) == {"AWS::Lambda", "AWS::Lambda::Function"}
    assert docs["AWS::Lambda::Function"]["aws"]["resource_names"] == [name]


# ----------------------------------------------------------------- upstream headers


def test_passthrough_honours_an_upstream_sampled_header(aws, lam, create, xray):
    """An upstream service "adds a tracing header that tells Lambda to send traces or not":
    with Sampled=1 a PassThrough function is traced in the caller's trace, under its Parent."""
    name = create(TRACE)
    root, upstream = "1-5759e988-bd862e3fe1be46a994272793", "53995c3f42cd8ad8"
    caller = with_header(boto3.client("lambda", region_name=REGION),
                         f"Root={root};Parent={upstream};Sampled=1")
    _, header = invoke_json(caller, name)
    assert fields(header)["Root"] == root and fields(header)["Sampled"] == "1"
    docs = by_origin(traces(xray, aws, [root])[root])
    assert docs["AWS::Lambda"]["parent_id"] == upstream
    assert docs["AWS::Lambda::Function"]["parent_id"] == docs["AWS::Lambda"]["id"]


def test_active_respects_an_upstream_decision_not_to_sample(aws, lam, create, xray):
    """Active "will respect any tracing header it receives from an upstream service" (the
    TracingConfig modes): Sampled=0 upstream means no trace, even for a second's first
    request."""
    name = create(TRACE, TracingConfig={"Mode": "Active"})
    root = "1-5759e988-bd862e3fe1be46a994272794"
    caller = with_header(boto3.client("lambda", region_name=REGION),
                         f"Root={root};Parent=53995c3f42cd8ad8;Sampled=0")
    _, header = invoke_json(caller, name)
    assert fields(header)["Root"] == root and fields(header)["Sampled"] == "0"
    assert traces(xray, aws) == {}


# ----------------------------------------------------------------- the daemon


SDK = """
import os
from aws_xray_sdk.core import xray_recorder

def handler(event, context):
    with xray_recorder.in_subsegment("work") as sub:
        sub.put_annotation("step", "one")
    return {"trace": os.environ["_X_AMZN_TRACE_ID"],
            "daemon": os.environ["AWS_XRAY_DAEMON_ADDRESS"],
            "missing": os.environ["AWS_XRAY_CONTEXT_MISSING"]}
"""


def xray_sdk_layer(lam, tmp_path) -> str:
    """The X-Ray SDK in a layer built from the installed package (Lambda's runtime lacks it)."""
    from lambda_lab.packaging import build_layer

    build_layer(str(tmp_path / "xray-sdk.zip"), installed=["aws-xray-sdk", "wrapt"])
    return lam.publish_layer_version(
        LayerName="xray-sdk", Content={"ZipFile": (tmp_path / "xray-sdk.zip").read_bytes()},
        CompatibleRuntimes=["python3.12"])["LayerVersionArn"]


def test_x_ray_sdk_subsegments_reach_the_trace_through_the_daemon(aws, lam, create, xray,
                                                                   tmp_path):
    """The X-Ray SDK sends subsegments over UDP to the daemon at AWS_XRAY_DAEMON_ADDRESS
    (AWS_XRAY_CONTEXT_MISSING is LOG_ERROR, lambda-facts.md A "X-Ray"); they extend the
    Invocation subsegment of the same trace: BatchGetTraces nests a subsegment sent on its own
    in its parent's ``subsegments`` (X-Ray DG "Sending subsegments separately")."""
    name = create(SDK, TracingConfig={"Mode": "Active"}, MemorySize=1769,
                  Layers=[xray_sdk_layer(lam, tmp_path)])
    _, body = invoke_json(lam, name)
    assert body["missing"] == "LOG_ERROR"
    host, _, port = body["daemon"].partition(":")
    assert host == "127.0.0.1" and int(port) > 0
    root, parent = fields(body["trace"])["Root"], fields(body["trace"])["Parent"]

    def work() -> dict | None:
        docs = by_origin(traces(xray, aws, [root]).get(root, []))
        function = docs.get("AWS::Lambda::Function", {})
        invocation = next((s for s in function.get("subsegments", [])
                           if s["name"] == "Invocation"), {})
        return next((s for s in invocation.get("subsegments", []) if s["name"] == "work"), None)

    doc = poll(work)
    assert doc["parent_id"] == parent and doc["trace_id"] == root
    assert doc["annotations"] == {"step": "one"}
    assert sorted(by_origin(traces(xray, aws, [root])[root])) == [
        "AWS::Lambda", "AWS::Lambda::Function"]  # no longer a document of its own

