"""The event builders and response contracts on their own, without AWS (front-doors.md §1-3):
repeated headers, which a ``requests`` call cannot send, and the exact map shapes."""

from __future__ import annotations

import pytest

from lambda_lab.fronts import alb, payload_v2, proxy_v1
from lambda_lab.fronts.http import HttpRequest

REQUEST = HttpRequest(
    "GET", "abc.execute-api.us-east-1.amazonaws.com", "/a%20b/c", "x=1&x=2&y=%2F",
    [("Accept", "text/html"), ("X-Dup", "one"), ("x-dup", "two"), ("Cookie", "a=1; b=2"),
     ("Cookie", "c=3")])


def test_v2_joins_repeated_headers_and_keeps_cookies_apart():
    """DG payload 2.0: "Duplicate headers are combined with commas"; every cookie header goes to
    ``cookies``; header names are lower-case; no multiValue maps."""
    event = payload_v2.event(REQUEST, api_id="abc", domain=REQUEST.host,
                             account_id="123456789012", now=0.0)
    assert event["headers"]["x-dup"] == "one,two" and event["headers"]["accept"] == "text/html"
    assert event["cookies"] == ["a=1", "b=2", "c=3"] and "cookie" not in event["headers"]
    assert event["queryStringParameters"] == {"x": "1,2", "y": "/"}
    assert event["rawQueryString"] == "x=1&x=2&y=%2F" and event["rawPath"] == "/a%20b/c"
    assert event["requestContext"]["time"] == "01/Jan/1970:00:00:00 +0000"
    assert "multiValueHeaders" not in event and "pathParameters" not in event


def test_v1_single_maps_keep_the_last_value():
    """REST proxy event: headers keep the client's casing; the single-value map holds the last
    value, multiValueHeaders all of them (front-doors.md §1)."""
    event = proxy_v1.event(REQUEST, path="/a b/c", resource="/{proxy+}", stage="s",
                           api_id="abc", account_id="123456789012", now=0.0)
    assert event["multiValueHeaders"]["X-Dup"] == ["one"]
    assert event["multiValueHeaders"]["x-dup"] == ["two"]
    assert event["queryStringParameters"] == {"x": "2", "y": "/"}
    assert event["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["/"]}
    assert event["requestContext"]["path"] == "/s/a b/c" and event["path"] == "/a b/c"
    assert event["pathParameters"] is None and event["stageVariables"] is None


def test_alb_event_lower_case_and_raw_query():
    """ALB: lower-case header names, the last value wins, query values as sent (not
    URL-decoded); multi-value on replaces both maps (front-doors.md §3)."""
    single = alb.event(REQUEST, "arn:tg", multi=False)
    assert single["headers"]["x-dup"] == "two"
    assert single["queryStringParameters"] == {"x": "2", "y": "%2F"}
    multi = alb.event(REQUEST, "arn:tg", multi=True)
    assert multi["multiValueHeaders"]["x-dup"] == ["one", "two"]
    assert multi["multiValueQueryStringParameters"] == {"x": ["1", "2"], "y": ["%2F"]}
    assert "headers" not in multi and "queryStringParameters" not in multi


@pytest.mark.parametrize("result", [{}, "s", {"statusCode": 200, "x": 1},
                                    {"statusCode": "abc"}, {"statusCode": True},
                                    {"statusCode": 200, "multiValueHeaders": {"a": "b"}},
                                    {"statusCode": 200, "body": {"not": "a string"}}])
def test_v1_malformed_results(result):
    """The proxy response contract's malformed shapes (front-doors.md §1 table)."""
    with pytest.raises(proxy_v1.Malformed):
        proxy_v1.response(result)


def test_v2_inference_of_plain_results():
    """DG format 2.0 inference: a number, a list or null becomes the JSON body of a 200."""
    for value, body in ((3, b"3"), ([1, 2], b"[1, 2]"), (None, b"null")):
        response = payload_v2.response(value)
        assert (response.status, response.body) == (200, body)
        assert response.header("content-type") == "application/json"
