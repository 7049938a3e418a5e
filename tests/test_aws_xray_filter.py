"""X-Ray filter expressions, trace summaries and whole traces, with segments sent through boto3.

X-Ray DG "Using filter expressions": boolean keywords ``ok`` (2XX), ``error`` (4XX), ``throttle``
(429), ``fault`` (5XX), ``partial``; number keywords ``responsetime`` ("Time that the server took
to send a response"), ``duration`` ("Total request duration, including all downstream calls"),
``http.status``; string keywords ``http.url``, ``http.method``, ``http.useragent``,
``http.clientip``, ``user`` (operators ``=``, ``!=``, ``CONTAINS``, ``BEGINSWITH``,
``ENDSWITH``); ``annotation.key`` (boolean, number or string); complex keywords ``service()``,
``edge()`` with ``{ filter }`` and ``id(name: …, type: …)``; ``AND`` / ``OR``, ``!``,
parentheses; its examples (``responsetime > 5``, ``duration >= 5 AND duration <= 8``,
``service("api.example.com") { fault = true OR responsetime > 2.5 } AND annotation.account =
"12345"``, ``edge("api.example.com", "backend.example.com") { fault = true }``) are tests here.
API GetTraceSummaries: TraceSummary Duration, ResponseTime, HasFault, HasError, HasThrottle,
IsPartial, Http (HttpURL, HttpStatus, HttpMethod, UserAgent, ClientIp), Annotations (key →
ValueWithServiceIds: AnnotationValue {NumberValue | BooleanValue | StringValue}, ServiceIds),
Users, ServiceIds, ResourceARNs, EntryPoint; InvalidRequestException for a bad request.
X-Ray DG "Segment documents" / "Sending subsegments separately": a subsegment sent on its own
carries ``"type": "subsegment"``, ``trace_id`` and ``parent_id``; an in-progress document is
replaced by the complete one with the same id.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
import secrets

import boto3
import pytest
from aws_helpers import REGION, session
from botocore.exceptions import ClientError

from lambda_lab.aws.xray_filter import FilterError, ServiceView, TraceView, matches, parse


@pytest.fixture(scope="module")
def aws():
    """One session for the module (the traces are only read); each test writes its traces at
    its own time and reads only that window."""
    for mock in session(virtual_clock=True):
        START[:] = [mock.clock.now()]
        yield mock


@pytest.fixture(scope="module")
def xray(aws):
    return boto3.client("xray", region_name=REGION)


SHOP_AGO, NESTED_AGO = 3000, 6000  #: seconds before the session's start
START: list[float] = []  #: the session's start (platform time)


def trace_id(t: float) -> str:
    return f"1-{int(t):08x}-{secrets.token_hex(12)}"


def sid() -> str:
    return secrets.token_hex(8)


def segment(tid: str, name: str, t0: float, seconds: float, **fields) -> dict:
    return {"id": sid(), "trace_id": tid, "name": name, "start_time": t0,
            "end_time": t0 + seconds, **fields}


def put(xray, *docs: dict) -> None:
    out = xray.put_trace_segments(TraceSegmentDocuments=[json.dumps(d) for d in docs])
    assert out["UnprocessedTraceSegments"] == []


def summaries(xray, aws, expression: str | None = None, ago: float = SHOP_AGO) -> list[dict]:
    """The summaries of the traces written ``ago`` seconds before the session started."""
    t = START[0] - ago
    params = {"FilterExpression": expression} if expression is not None else {}
    got = xray.get_trace_summaries(StartTime=t - 100, EndTime=t + 100, **params)
    return got["TraceSummaries"]


def ids(xray, aws, expression: str, ago: float = SHOP_AGO) -> set[str]:
    return {s["Id"] for s in summaries(xray, aws, expression, ago)}


@pytest.fixture(scope="module")
def shop(aws, xray) -> dict[str, str]:
    """Three traces: a fast GET answered 200 with annotations; a slow POST answered 500 that
    called backend.example.com (fault); a throttled (429) request by user alice."""
    t = START[0] - SHOP_AGO
    fast, slow, throttled = trace_id(t), trace_id(t + 1), trace_id(t + 2)
    put(xray,
        segment(fast, "api.example.com", t, 0.2,
                http={"request": {"url": "http://api.example.com/v2/items", "method": "GET",
                                  "user_agent": "curl/8", "client_ip": "10.0.0.1"},
                      "response": {"status": 200}},
                annotations={"account": "12345", "ColdStart": True, "items": 3}),
        segment(slow, "api.example.com", t + 1, 6.0, fault=True,
                http={"request": {"url": "http://api.example.com/v1/orders", "method": "POST"},
                      "response": {"status": 500}},
                annotations={"account": "999", "ColdStart": False, "items": 12},
                subsegments=[{"id": sid(), "name": "backend.example.com", "namespace": "remote",
                              "start_time": t + 1.5, "end_time": t + 4.5, "fault": True,
                              "http": {"response": {"status": 503}}}]),
        segment(throttled, "api.example.com", t + 2, 0.05, throttle=True, error=True,
                user="alice",
                http={"request": {"url": "http://api.example.com/v2/items", "method": "GET"},
                      "response": {"status": 429}}))
    return {"fast": fast, "slow": slow, "throttled": throttled}


# ----------------------------------------------------------------- the filter expressions


@pytest.mark.parametrize("expression,expected", [
    ("responsetime > 5", {"slow"}),
    ("duration >= 5 AND duration <= 8", {"slow"}),
    ("duration < 1", {"fast", "throttled"}),
    ("fault", {"slow"}),
    ("!fault", {"fast", "throttled"}),
    ("fault = false", {"fast", "throttled"}),
    ("error", {"throttled"}),
    ("throttle = true", {"throttled"}),
    ("ok", {"fast"}),
    ("http.status = 200", {"fast"}),
    ("http.status >= 400", {"slow", "throttled"}),
    ("http.status != 200", {"slow", "throttled"}),
    ('http.method = "POST"', {"slow"}),
    ('http.url BEGINSWITH "http://api.example.com/" AND http.url CONTAINS "/v2/"',
     {"fast", "throttled"}),
    ('http.url ENDSWITH "/orders"', {"slow"}),
    ('http.useragent = "curl/8" and http.clientip = "10.0.0.1"', {"fast"}),
    ('user = "alice"', {"throttled"}),
    ('annotation.account = "12345"', {"fast"}),
    ('annotation.account != "12345"', {"slow"}),
    ("annotation.ColdStart = true", {"fast"}),
    ("annotation.ColdStart = false", {"slow"}),
    ("annotation.ColdStart", {"fast"}),
    ("annotation.items > 5", {"slow"}),
    ("annotation.items <= 3", {"fast"}),
    ('annotation[account] = "999"', {"slow"}),
    ('annotation.account = 12345', set()),  # a number is not the string "12345"
    ('service("api.example.com")', {"fast", "slow", "throttled"}),
    ('service("backend.example.com")', {"slow"}),
    ('service("api.example.com") { fault = true OR responsetime > 2.5 } '
     'AND annotation.account = "999"', {"slow"}),
    ('service(id(name: "backend.example.com", type: "remote")) { fault }', {"slow"}),
    ('edge("api.example.com", "backend.example.com") { fault = true }', {"slow"}),
    ('!service("backend.example.com") AND (ok OR error)', {"fast", "throttled"}),
    ("ok OR fault", {"fast", "slow"}),
    ("(fault || throttle) && duration > 1", {"slow"}),
    ("ok !partial duration < 3", {"fast"}),  # side by side: AND
])
def test_filter_expressions_select_traces(xray, aws, shop, expression, expected):
    """Each expression (the DG's keywords, operators and examples) selects exactly the traces
    it describes."""
    assert ids(xray, aws, expression) == {shop[name] for name in expected}


@pytest.mark.parametrize("expression", [
    "responsetime >", "annotation.", "banana = 1", "fault = 3", 'http.status = "x"',
    "responsetime > 5 AND", "(fault", 'service("a"', "duration CONTAINS 5", "@",
])
def test_an_invalid_filter_expression_is_an_invalid_request(xray, aws, shop, expression):
    """A filter expression that does not parse: InvalidRequestException (HTTP 400), never the
    "Not implemented yet" internal failure."""
    with pytest.raises(ClientError) as exc:
        summaries(xray, aws, expression)
    err = exc.value.response
    assert err["Error"]["Code"] == "InvalidRequestException"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err["Error"]["Message"].startswith("Invalid filter expression")


def test_the_parser_alone():
    """The evaluator over a hand-made view: keywords are case-insensitive; a bool annotation
    compares only with booleans."""
    view = TraceView(responsetime=1.0, duration=2.0, ok=True, error=False, fault=False,
                     throttle=False, partial=False, annotations=[("flag", True), ("n", 4)],
                     services=[ServiceView("svc", "AWS::Lambda", ok=True,
                                           responsetimes=[1.0])])
    assert matches(parse("RESPONSETIME = 1 and annotation.flag = TRUE"), view)
    assert not matches(parse('annotation.flag = "true"'), view)
    assert matches(parse('service("svc") { responsetime < 2 }'), view)
    assert not matches(parse('service("svc") { fault }'), view)
    with pytest.raises(FilterError):
        parse("")


# ----------------------------------------------------------------- summaries


def test_a_summary_carries_annotations_http_users_and_services(xray, aws, shop):
    """Annotations in AWS's shape (one entry per distinct value, with the ServiceIds of the
    segments that carry it), Http of the root segment, Users, Duration / ResponseTime in
    seconds, the flags."""
    by_id = {s["Id"]: s for s in summaries(xray, aws)}
    fast, slow, throttled = (by_id[shop[k]] for k in ("fast", "slow", "throttled"))
    service = {"Name": "api.example.com", "Names": ["api.example.com"]}
    assert fast["Annotations"]["account"] == [
        {"AnnotationValue": {"StringValue": "12345"},
         "ServiceIds": [{**service, "Type": fast["EntryPoint"]["Type"]}]}]
    assert fast["Annotations"]["ColdStart"][0]["AnnotationValue"] == {"BooleanValue": True}
    assert fast["Annotations"]["items"][0]["AnnotationValue"] == {"NumberValue": 3.0}
    assert fast["Http"] == {"HttpURL": "http://api.example.com/v2/items", "HttpStatus": 200,
                            "HttpMethod": "GET", "UserAgent": "curl/8", "ClientIp": "10.0.0.1"}
    assert (fast["HasFault"], fast["HasError"], fast["HasThrottle"]) == (False, False, False)
    assert (slow["HasFault"], throttled["HasThrottle"], throttled["HasError"]) == (
        True, True, True)
    assert slow["Duration"] == pytest.approx(6.0) and slow["ResponseTime"] == pytest.approx(6.0)
    assert fast["Duration"] == pytest.approx(0.2)
    assert throttled["Users"] == [{"UserName": "alice", "ServiceIds": [throttled["EntryPoint"]]}]
    assert fast["EntryPoint"]["Name"] == "api.example.com"
    assert {s["Name"] for s in slow["ServiceIds"]} == {"api.example.com", "backend.example.com"}
    assert fast["IsPartial"] is False


def test_separately_sent_subsegments_are_nested_and_in_progress_ones_replaced(xray, aws, shop):
    """A subsegment sent on its own lands in its parent's ``subsegments`` (also a grandchild
    sent before its parent); an in-progress copy gives way to the complete one; the trace is
    partial while a document is in progress."""
    t = START[0] - NESTED_AGO
    tid = trace_id(t)
    root = segment(tid, "svc", t, 2.0)
    child = {"id": sid(), "trace_id": tid, "parent_id": root["id"], "type": "subsegment",
             "name": "work", "start_time": t + 0.1, "in_progress": True,
             "annotations": {"step": "one"}, "metadata": {"default": {"size": 2}}}
    grandchild = {"id": sid(), "trace_id": tid, "parent_id": child["id"],
                  "type": "subsegment", "name": "inner", "start_time": t + 0.2,
                  "end_time": t + 0.3}
    put(xray, grandchild, root, child)
    assert ids(xray, aws, "partial", NESTED_AGO) == {tid}
    put(xray, {**child, "end_time": t + 1.0, "in_progress": False})
    assert ids(xray, aws, "partial", NESTED_AGO) == set()
    [trace] = xray.batch_get_traces(TraceIds=[tid])["Traces"]
    [doc] = [json.loads(s["Document"]) for s in trace["Segments"]]
    assert [s["Id"] for s in trace["Segments"]] == [root["id"]]
    [work] = doc["subsegments"]
    assert work["id"] == child["id"] and work["end_time"] == t + 1.0
    assert work["metadata"] == {"default": {"size": 2}}
    assert [s["name"] for s in work["subsegments"]] == ["inner"]
    assert trace["Duration"] == pytest.approx(2.0)
    [summary] = summaries(xray, aws, 'annotation.step = "one"', NESTED_AGO)
    assert summary["Annotations"]["step"][0]["ServiceIds"][0]["Name"] == "svc"


def test_the_service_graph_of_handwritten_segments(xray, aws, shop):
    """GetServiceGraph: a client node, the service (root), the inferred remote node with an
    edge and its statistics."""
    t = START[0] - SHOP_AGO
    graph = xray.get_service_graph(StartTime=t - 100, EndTime=t + 100)["Services"]
    by_name = {s.get("Name", s["Type"]): s for s in graph}
    api, backend, client = (by_name[n] for n in ("api.example.com", "backend.example.com",
                                                 "client"))
    assert client["Type"] == "client" and api["Root"] is True
    assert [e["ReferenceId"] for e in client["Edges"]] == [api["ReferenceId"]]
    assert [e["ReferenceId"] for e in api["Edges"]] == [backend["ReferenceId"]]
    assert (backend["Type"], backend["State"]) == ("remote", "unknown")
    stats = api["SummaryStatistics"]
    assert stats["TotalCount"] == 3 and stats["OkCount"] == 1
    assert stats["FaultStatistics"]["TotalCount"] == 1
    assert stats["ErrorStatistics"] == {"ThrottleCount": 1, "OtherCount": 0, "TotalCount": 1}
    assert stats["TotalResponseTime"] == pytest.approx(6.25)
    edge = api["Edges"][0]["SummaryStatistics"]
    assert edge["TotalCount"] == 1 and edge["FaultStatistics"]["TotalCount"] == 1
