"""Helpers and exercises of notebooks/10-http-front-doors (chapter 10's helpers).

The exercises' facts: ELB User Guide "Lambda functions as targets" (multi-value headers: with
``lambda.multi_value_headers.enabled`` the event carries ``multiValueQueryStringParameters`` and
``multiValueHeaders`` instead of the single-value maps, and the load balancer reads the
response's ``multiValueHeaders``); API Gateway DG "Output from an API Gateway Lambda authorizer"
(principalId, policyDocument, context; ``Exception("Unauthorized")`` -> 401, a Deny -> 403).
"""

from __future__ import annotations

import pytest

from lambda_lab.course import EXERCISES
from lambda_lab.course.chapters.ch10_http_front_doors import exercises as hfdx
from lambda_lab.course.chapters.ch10_http_front_doors import helpers as hfd
from lambda_lab.course.exercises import _run_source


def answer_of(source: str, name: str):
    return _run_source(source, f"<test {name}>")[name]


@pytest.mark.parametrize("eid", ["alb-multi-value", "token-authorizer"])
def test_reference_solution_passes_and_stub_is_not_attempted(eid):
    ex = EXERCISES[eid]
    assert ex.topic == "10-http-front-doors"
    assert not ex.check(ex.stub_answer()).attempted
    feedback = ex.check(ex.reference_answer())
    assert feedback.ok, feedback.text


def test_the_alb_checks_read_the_event_the_alb_sends():
    """Multi-value on: ``?name=foo&name=bar`` -> multiValueQueryStringParameters
    {"name": ["foo", "bar"]} and no queryStringParameters (ELB UG, front-doors.md §3)."""
    event = hfdx.alb_event("/greet?name=foo&name=bar")
    assert event["multiValueQueryStringParameters"] == {"name": ["foo", "bar"]}
    assert "queryStringParameters" not in event and "headers" not in event
    assert event["requestContext"]["elb"]["targetGroupArn"].startswith(
        "arn:aws:elasticloadbalancing:")


SINGLE_VALUE_HANDLER = '''
def handler(event, context):
    name = (event.get("queryStringParameters") or {}).get("name", "")
    return {"statusCode": 200, "headers": {"Content-Type": "text/plain",
                                            "Set-Cookie": "seen=" + name},
            "body": "hello " + name}
'''
LAST_COOKIE_ONLY = '''
def handler(event, context):
    names = event["multiValueQueryStringParameters"]["name"]
    return {"statusCode": 200, "body": "hello " + " and ".join(names),
            "multiValueHeaders": {"Content-Type": ["text/plain"],
                                  "Set-Cookie": ["seen=" + names[-1]]}}
'''
NOT_A_LIST = '''
def handler(event, context):
    return {"statusCode": 200, "multiValueHeaders": {"Content-Type": "text/plain"}}
'''


def test_a_single_value_answer_fails_with_multi_value_hints():
    """With multi-value on the ALB ignores ``headers``: the Content-Type and cookie never reach
    the client, and the query is not in queryStringParameters."""
    feedback = EXERCISES["alb-multi-value"].check(answer_of(SINGLE_VALUE_HANDLER, "handler"))
    assert (feedback.passed, feedback.total) == (2, 5)
    assert "multiValueHeaders" in feedback.text


def test_one_cookie_instead_of_two_is_caught():
    feedback = EXERCISES["alb-multi-value"].check(answer_of(LAST_COOKIE_ONLY, "handler"))
    assert (feedback.passed, feedback.total) == (4, 5)
    assert "['seen=bar']" in feedback.text


def test_a_non_list_multi_value_header_is_a_502():
    """ALB: an invalid response (a multiValueHeaders value that is not a list) -> 502."""
    feedback = EXERCISES["alb-multi-value"].check(answer_of(NOT_A_LIST, "handler"))
    assert feedback.passed == 1 and "502" in feedback.text


DENY_OTHERS = '''
def authorizer(event, context):
    effect = "Allow" if event["authorizationToken"] == "Bearer alice-secret" else "Deny"
    return {"principalId": "alice", "context": {"user": "alice"},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": effect,
                 "Resource": event["methodArn"]}]}}
'''
ALLOW_EVERYONE = '''
def authorizer(event, context):
    return {"principalId": "alice", "context": {"user": "alice"},
            "policyDocument": {"Version": "2012-10-17", "Statement": [
                {"Action": "execute-api:Invoke", "Effect": "Allow",
                 "Resource": event["methodArn"]}]}}
'''


@pytest.fixture(scope="module")
def session():
    """One emulated AWS for the authorizer runs (each run deploys two functions and an API)."""
    import lambda_lab
    from lambda_lab.clock import VirtualClock

    with lambda_lab.mock_aws(clock=VirtualClock()) as aws:
        yield aws


def test_the_authorizer_runs_behind_a_real_api(session):
    """Allow -> 200 with requestContext.authorizer {principalId, context}; raising
    Exception("Unauthorized") -> 401; no Authorization header -> 401 without running it."""
    run = hfdx.run_authorizer(EXERCISES["token-authorizer"].reference_answer())
    assert run["status"] == hfdx.TOKENS
    assert run["authorizer"]["principalId"] == "alice" and run["authorizer"]["user"] == "alice"
    assert run["bodies"]["Bearer bob-secret"] == '{"message": "Unauthorized"}'


def test_a_deny_policy_is_403_not_401(session):
    """A Deny policy answers 403 (explicit deny), not the 401 the exercise asks for."""
    feedback = EXERCISES["token-authorizer"].check(answer_of(DENY_OTHERS, "authorizer"))
    assert (feedback.passed, feedback.total) == (3, 4)
    assert "got 403" in feedback.text and "Unauthorized" in feedback.text


def test_allowing_everyone_fails(session):
    feedback = EXERCISES["token-authorizer"].check(answer_of(ALLOW_EVERYONE, "authorizer"))
    assert (feedback.passed, feedback.total) == (3, 4)
    assert "got 200" in feedback.text


def test_side_by_side_and_pick():
    event = {"path": "/a", "requestContext": {"path": "/test/a"}}
    assert hfd.pick(event, "path", "requestContext.path", "body") == {
        "path": "/a", "requestContext.path": "/test/a", "body": "(absent)"}
    text = hfd.side_by_side("GET /test/a", {"path": "/a"}, width=12)
    lines = text.splitlines()
    assert lines[0] == "HTTP request │ event"
    assert lines[2] == "GET /test/a  │ {"
    assert lines[3] == "             │  \"path\": \"/a\""


def test_journey_figure_draws_the_six_steps():
    fig = hfd.journey_figure("REST API")
    (ax,) = fig.axes
    texts = [t.get_text() for t in ax.texts]
    assert "front door\nREST API" in texts
    assert len(ax.patches) == 6


def test_the_chapter_quiz_has_twelve_questions_spread_over_the_keys():
    """At least 12 questions, every DVA-C02 domain tagged, answers spread over A-D (no letter
    more than a third), each explanation linking the AWS documentation."""
    from collections import Counter

    from lambda_lab.course.quiz import load_bank

    questions = [q for q in load_bank() if q.topic == "10-http-front-doors"]
    assert len(questions) >= 12
    letters = Counter("ABCD"[q.answer[0]] for q in questions)
    assert set(letters) == set("ABCD") and max(letters.values()) <= len(questions) / 3
    assert len({q.domain for q in questions}) == 4
    for q in questions:
        assert "https://docs.aws.amazon.com/" in q.explanation, q.id
