"""Helpers of notebooks/07-async-and-destinations (attempts from the logs, the throttle back-off
schedule, invocation records, queues drained) and the ``idempotent-orders`` exercise's run,
through boto3 under ``mock_aws`` on a virtual clock."""

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, make_zip, session

from lambda_lab.course import exercises as ex
from lambda_lab.course.chapters.ch07_async_and_destinations import helpers as ai
from lambda_lab.course.chapters.ch07_async_and_destinations import idempotency as idem
from lambda_lab.course.progress import ENV_VAR
from lambda_lab.course.quiz import load_bank
from lambda_lab.course.roles import lambda_role
from lambda_lab.course.topics import DOMAINS, TOPICS

FLAKY = """
seen = set()


def handler(event, context):
    first_time = context.aws_request_id not in seen
    seen.add(context.aws_request_id)
    print("order", event["order"])
    if event.get("always_fails") or (event.get("fails_once") and first_time):
        raise RuntimeError("failed")
    return "ok"
"""


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "progress.json"))


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def lam(aws):
    return boto3.client("lambda", region_name=REGION)


def create(lam, name: str, source: str, **settings) -> None:
    iam = boto3.client("iam", region_name=REGION)
    role = lambda_role(iam, name)
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler", Code={"ZipFile": make_zip(source)},
                        **settings)


def event(lam, name: str, payload: dict) -> str:
    """An Event invocation; its request id (the 202's RequestId)."""
    response = lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(payload))
    assert response["StatusCode"] == 202
    return response["ResponseMetadata"]["RequestId"]


# --- the back-off schedule (pure) ----------------------------------------------------------------


def test_backoff_starts_at_1_s_doubles_to_5_min_and_stops_at_6_h():
    """lambda-facts A "6 h retry, backoff 1 s → 5 min": throttles and system errors are retried
    with back-off from 1 s up to 5 min until MaximumEventAgeInSeconds (default 21,600 s)."""
    times = ai.backoff_schedule()
    waits = [b - a for a, b in zip(times[:-1], times[1:], strict=True)]
    assert times[0] == 0 and waits[:10] == [1, 2, 4, 8, 16, 32, 64, 128, 256, 300]
    assert set(waits[10:]) == {300}
    assert times[-1] <= 21_600 < times[-1] + 300
    assert len(times) == 80


def test_backoff_schedule_follows_a_shorter_event_age_and_rejects_nonsense():
    assert ai.backoff_schedule(100) == [0, 1, 3, 7, 15, 31, 63]
    assert ai.backoff_schedule(0) == [0]
    with pytest.raises(ValueError):
        ai.backoff_schedule(first_s=0)


def test_backoff_lines_show_the_first_tries_then_a_summary():
    text = ai.backoff_lines(ai.backoff_schedule(), head=3)
    assert text.splitlines() == [
        "  try  at (s)  waited (s)",
        "    1       0           —",
        "    2       1           1",
        "    3       3           2",
        "  … 77 more tries, every 300 s, the last at 21,511 s (5.98 h)",
    ]


# --- records and queues --------------------------------------------------------------------------


def test_record_text_shortens_the_stack_trace_and_leaves_the_record_alone():
    record = {"requestContext": {"condition": "RetriesExhausted"},
              "responsePayload": {"errorType": "ValueError", "stackTrace": ["a", "b"]}}
    shown = json.loads(ai.record_text(record))
    assert shown["responsePayload"] == {"errorType": "ValueError", "stackTrace": ["<2 frame(s)>"]}
    assert record["responsePayload"]["stackTrace"] == ["a", "b"]
    assert json.loads(ai.record_text({"ok": 1})) == {"ok": 1}


def test_drain_receives_and_deletes_every_message(aws):
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="q")["QueueUrl"]
    for n in range(13):
        sqs.send_message(QueueUrl=url, MessageBody=str(n),
                         MessageAttributes={"n": {"DataType": "Number", "StringValue": str(n)}})
    got = ai.drain(url)
    assert sorted(int(m["Body"]) for m in got) == list(range(13))
    assert all(m["MessageAttributes"]["n"]["StringValue"] == m["Body"] for m in got)
    aws.advance(60)  # past the visibility timeout: deleted messages do not come back
    assert ai.drain(url) == []


# --- attempts read from the logs -----------------------------------------------------------------


def test_attempts_show_retries_1_and_2_minutes_apart_with_one_request_id(aws, lam):
    """lambda-facts A "Async retries": default 2 retries, about 1 min then 2 min; every attempt
    keeps the request id (DG invocation-async-error-handling)."""
    create(lam, "flaky", FLAKY)
    since = aws.clock.now()
    ok = event(lam, "flaky", {"order": 1})
    aws.advance(0)
    once = event(lam, "flaky", {"order": 2, "fails_once": True})
    aws.advance(0)
    never = event(lam, "flaky", {"order": 3, "always_fails": True})
    aws.advance(600)
    runs = ai.attempts("flaky", since=since)
    assert [(r.seconds, r.request_id, r.number, r.failed) for r in runs] == [
        (0, ok, 1, False), (0, once, 1, True), (0, never, 1, True),
        (60, once, 2, False), (60, never, 2, True), (180, never, 3, True)]
    assert runs[0].output == ("order 1",)
    assert ai.attempt_lines(runs).splitlines()[-1] == "t=    180 s  event 3  attempt 3  failed"
    only = ai.attempts("flaky", request_ids=[once])
    assert [(r.seconds, r.number) for r in only] == [(0, 1), (60, 2)]
    assert ai.printed("flaky", request_ids=[never]) == "order 3\norder 3\norder 3"
    assert ai.attempts("no-such-function") == [] and ai.printed("nope") == "(nothing printed)"


def test_since_filters_and_sets_the_origin(aws, lam):
    create(lam, "flaky", FLAKY)
    event(lam, "flaky", {"order": 1})
    aws.advance(30)
    since = aws.clock.now()
    event(lam, "flaky", {"order": 2, "always_fails": True})
    aws.advance(600)
    runs = ai.attempts("flaky", since=since)
    assert [(r.seconds, r.number) for r in runs] == [(0, 1), (60, 2), (180, 3)]


def test_figure_has_a_row_per_event():
    runs = [ai.Attempt(0, "a", 1, True), ai.Attempt(0, "b", 1, False),
            ai.Attempt(60, "a", 2, False)]
    fig = ai.figure_attempts(runs, "t")
    (ax,) = fig.axes
    assert [t.get_text() for t in ax.get_yticklabels()] == ["event 1", "event 2"]
    assert ai.attempt_lines([]) == "(no runs)"


def test_wait_until_running_gives_up_when_nothing_runs(aws):
    assert ai.wait_until_running(aws, "nothing", timeout=0.05) is False


def test_a_throttled_event_waits_1_s_on_the_queue_and_then_runs(aws, lam):
    """lambda-facts A "6 h retry, backoff 1 s → 5 min": a throttle (429) is retried with
    back-off, starting at about 1 s; it does not use up a retry."""
    slow = "import time\n\ndef handler(event, context):\n    time.sleep(0.3)\n"
    create(lam, "slow", slow)
    lam.put_function_concurrency(FunctionName="slow", ReservedConcurrentExecutions=1)
    since = aws.clock.now()
    first = event(lam, "slow", {})
    assert ai.wait_until_running(aws, "slow")
    second = event(lam, "slow", {})
    aws.advance(10)
    runs = ai.attempts("slow", since=since)
    assert [(r.seconds, r.request_id, r.number) for r in runs] == [(0, first, 1), (1, second, 1)]
    assert [e.throttles for e in aws.async_events] == [0, 1]


# --- the idempotency exercise's run --------------------------------------------------------------


def test_the_stub_ships_duplicates_and_retries_again():
    """API Invoke: "your function may receive the same event multiple times, even if no error
    occurs"; the stub ships once per delivery and per attempt."""
    stub = ex.EXERCISES["idempotent-orders"].stub_answer()
    run = idem.run_orders(stub)
    assert run.problem is None
    assert run.shipments == {"o-1": 1, "o-2": 2, "o-3": 3, "o-4": 2}
    assert run.processed == []
    (o3,) = run.of("o-3")
    assert (o3.attempts, o3.ended_in) == (3, "dropped")
    assert o3.error == "TimeoutError: the courier's API did not answer"
    report = idem.orders_report(run).splitlines()
    assert report[0].split() == ["order", "deliveries", "attempts", "ended", "parcels", "shipped"]
    assert report[3].split() == ["o-3", "1", "3", "dropped", "3"]


def test_the_reference_solution_ships_each_order_once():
    run = idem.run_orders(ex.EXERCISES["idempotent-orders"].reference_answer())
    assert run.shipments == {"o-1": 1, "o-2": 1, "o-3": 1, "o-4": 1}
    assert run.processed == ["o-1", "o-2", "o-3", "o-4"]
    assert [d.ended_in for d in run.deliveries] == ["success"] * 6
    assert [d.attempts for d in run.of("o-3")] == [2]


def test_run_orders_uses_the_active_session_and_cleans_up(aws):
    stub = ex.EXERCISES["idempotent-orders"].stub_answer()
    before = aws.clock.now()
    idem.run_orders(stub)
    assert aws.clock.now() - before >= idem.RUN_S
    lam = boto3.client("lambda", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    assert lam.list_functions()["Functions"] == []
    assert dynamodb.list_tables()["TableNames"] == []


# --- the quiz -----------------------------------------------------------------------------------


def test_the_topic_and_its_quiz_exist():
    assert TOPICS["07-async-and-destinations"]
    mine = [q for q in load_bank() if q.topic == "07-async-and-destinations"]
    assert len(mine) >= 8
    assert {q.domain for q in mine} <= set(DOMAINS) and len({q.domain for q in mine}) >= 3
