"""The ``book-orders-pattern`` exercise of notebooks/05-event-sources: an EventBridge pattern.

Pinned to the EventBridge User Guide, "Amazon EventBridge event patterns" and "Content filtering
in Amazon EventBridge event patterns": every field of a pattern must match (AND), each value is
an array of rules (OR); ``{"numeric": [">", 100]}`` matches numbers over 100 and never a string;
``{"prefix": "BOOK-"}`` matches from the start of the value; the event's own data is under
``detail``; a value that is not in an array makes PutRule answer "Event pattern is not valid".
"""

from __future__ import annotations

import json

import boto3
import pytest

from lambda_lab.course import exercises as ex
from lambda_lab.course.exercises import NOT_ATTEMPTED
from lambda_lab.course.progress import ENV_VAR

ID = "book-orders-pattern"
GOOD = {"source": ["shop.orders"], "detail-type": ["OrderPlaced"],
        "detail": {"total": [{"numeric": [">", 100]}], "sku": [{"prefix": "BOOK-"}]}}


def _without(key: str, inner: str | None = None) -> dict:
    pattern = json.loads(json.dumps(GOOD))
    if inner:
        del pattern[key][inner]
    else:
        del pattern[key]
    return pattern


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "progress.json"))


@pytest.mark.parametrize("answer, hint", [
    ({**GOOD, "source": "shop.orders"},
     "❌ 0 of 5 checks pass — hint: every value to match goes in a list: 'source': "
     "['shop.orders'], not 'source': 'shop.orders'"),
    ({**_without("detail"), "total": [{"numeric": [">", 100]}], "sku": [{"prefix": "BOOK-"}]},
     "❌ 2 of 5 checks pass — hint: 'sku' is a field of the order, under 'detail'"),
    ({**GOOD, "detail": {**GOOD["detail"], "total": [{"numeric": [">=", 100]}]}},
     "❌ 3 of 5 checks pass — hint: an order of exactly 100 matched: 'over 100' is "
     "{'numeric': ['>', 100]}, not '>='"),
    ({**GOOD, "detail": {**GOOD["detail"], "sku": [{"wildcard": "*BOOK-*"}]}},
     "❌ 3 of 5 checks pass — hint: the sku 'EBOOK-7' matched: {'prefix': 'BOOK-'} matches "
     "from the start only"),
    (_without("source"),
     "❌ 3 of 5 checks pass — hint: an event from shop.returns matched: add 'source': "
     "['shop.orders']"),
    (_without("detail-type"),
     "❌ 3 of 5 checks pass — hint: an OrderCancelled event matched: add 'detail-type': "
     "['OrderPlaced']"),
    ({**GOOD, "detail": {**GOOD["detail"], "total": [{"numeric": [">", 101]}]}},
     "❌ 3 of 5 checks pass — hint: the book order of 100.5 did not match"),
    ({**GOOD, "detail": {**GOOD["detail"], "sku": ["BOOK-"]}},
     "❌ 3 of 5 checks pass — hint: the book order of 250 from shop.orders did not match"),
])
def test_the_usual_slips_get_their_hint(answer, hint):
    feedback = ex.get(ID).check(answer)
    assert not feedback.ok
    assert feedback.text.startswith(hint)


def test_the_reference_passes_and_json_text_is_accepted():
    exercise = ex.get(ID)
    assert exercise.check(exercise.reference_answer()).text == "✅ 5 of 5 checks pass"
    assert exercise.check(json.dumps(GOOD)).ok


def test_the_stub_and_none_are_not_attempted():
    exercise = ex.get(ID)
    for answer in (None, exercise.stub_answer()):
        assert exercise.check(answer).text == NOT_ATTEMPTED


def test_the_checker_runs_on_a_real_rule_in_the_active_session_and_cleans_up():
    import lambda_lab
    from lambda_lab.clock import VirtualClock
    from lambda_lab.course.chapters.ch05_event_sources import pattern_exercise

    with lambda_lab.mock_aws(clock=VirtualClock()):
        pattern_exercise._cache.clear()
        assert pattern_exercise._rule_run(GOOD) == ["o-1", "o-2"]
        # a pattern the direct checks reject still runs on the rule: only source and type
        assert pattern_exercise._rule_run(_without("detail")) == [
            "o-1", "o-2", "o-3", "o-4", "o-5", "o-6"]
        assert boto3.client("events", region_name="us-east-1").list_rules()["Rules"] == []
        assert boto3.client("lambda", region_name="us-east-1").list_functions()["Functions"] == []
