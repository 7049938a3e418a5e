"""The ``order-filter`` exercise of notebooks/05-event-sources: its checker's hints for the usual
slips, and its run behind a real SQS mapping (DG "Control which events Lambda sends to your
function": values in lists, fields ANDed, ``numeric`` rules; "Invalid filter pattern
definition." for a pattern Lambda refuses)."""

from __future__ import annotations

import json

import boto3
import pytest

from lambda_lab.course import exercises as ex
from lambda_lab.course.progress import ENV_VAR


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "progress.json"))


GOOD = {"body": {"type": ["order"], "total": [{"numeric": [">", 100]}], "country": ["FR"]}}


@pytest.mark.parametrize("answer, hint", [
    ({"body": {"type": "order", "total": [{"numeric": [">", 100]}], "country": ["FR"]}},
     "every value to match goes in a list: 'country': ['FR'], not 'country': 'FR'"),
    ({"type": ["order"], "total": [{"numeric": [">", 100]}], "country": ["FR"]},
     "an SQS message's JSON content is under the key 'body'"),
    ({"body": {"type": ["order"], "total": [{"numeric": [">", 100]}]}},
     "an order from Germany got through: add 'country': ['FR']"),
    ({"body": {"total": [{"numeric": [">", 100]}], "country": ["FR"]}},
     "a refund got through: add 'type': ['order']"),
    ({"body": {"type": ["order"], "total": [{"numeric": [">", 101]}], "country": ["FR"]}},
     "the order of 100.5 from FR was dropped"),
    ({"body": {"type": ["order"], "country": ["FR"]}},
     "an order of exactly 100 got through"),
    ({"body": {"type": ["Order"], "total": [{"numeric": [">", 100]}], "country": ["FR"]}},
     "the order of 250 from FR was dropped"),
])
def test_the_usual_slips_get_their_hint(answer, hint):
    feedback = ex.get("order-filter").check(answer)
    assert not feedback.ok
    assert hint in feedback.text


def test_the_pattern_may_be_given_as_json_text():
    assert ex.get("order-filter").check(json.dumps(GOOD)).ok


def test_the_checker_runs_in_the_active_session_and_cleans_up():
    import lambda_lab
    from lambda_lab.clock import VirtualClock

    with lambda_lab.mock_aws(clock=VirtualClock()):
        feedback = ex.get("order-filter").check(
            {"body": {"country": ["FR"], "type": ["order"], "total": [{"numeric": [">", 100]}]}})
        assert feedback.ok
        lam = boto3.client("lambda", region_name="us-east-1")
        assert lam.list_event_source_mappings()["EventSourceMappings"] == []
        assert lam.list_functions()["Functions"] == []
        assert boto3.client("sqs", region_name="us-east-1").list_queues().get(
            "QueueUrls", []) == []
