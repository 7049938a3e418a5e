"""The ``failure-destination`` exercise of notebooks/07-async-and-destinations.

Pinned to the Lambda API reference, PutFunctionEventInvokeConfig (``MaximumRetryAttempts`` 0–2,
default 2; ``DestinationConfig.OnFailure.Destination`` an ARN) and DG "Capturing records of
asynchronous invocations" (invocation-async-retain-records): the on-failure record holds
``requestContext`` (``condition`` RetriesExhausted, ``approximateInvokeCount``: the times the
function ran), ``requestPayload``, ``responseContext`` and ``responsePayload``; a dead-letter
queue (``DeadLetterConfig``) gets only the event. lambda-facts.md: retries wait about 1 minute,
then 2 minutes.
"""

from __future__ import annotations

import json

import boto3
import pytest

from lambda_lab.course import exercises as ex
from lambda_lab.course.exercises import NOT_ATTEMPTED
from lambda_lab.course.progress import ENV_VAR

ID = "failure-destination"


def _put(**kwargs):
    return lambda lam, name, arn: lam.put_function_event_invoke_config(
        FunctionName=name, **{k: (v(arn) if callable(v) else v) for k, v in kwargs.items()})


def _on_failure(arn):
    return {"OnFailure": {"Destination": arn}}


def _dead_letter_queue(lam, name, arn):
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    lam.update_function_configuration(FunctionName=name, DeadLetterConfig={"TargetArn": arn})


def _on_success(arn):
    return {"OnSuccess": {"Destination": arn}}


def _both(arn):
    return {**_on_failure(arn), **_on_success(arn)}


def _queue_url(arn):
    return {"OnFailure": {"Destination": "https://sqs.us-east-1.amazonaws.com/123456789012/"
                                         + arn.split(":")[-1]}}


WRONG = [
    (_put(DestinationConfig=_on_failure),
     "❌ 3 of 5 checks pass — hint: the failing event ran 3 times: the default is 2 retries — "
     "set MaximumRetryAttempts=1"),
    (_put(MaximumRetryAttempts=0, DestinationConfig=_on_failure),
     "❌ 3 of 5 checks pass — hint: the failing event ran once: MaximumRetryAttempts=0 means "
     "no retry"),
    (_put(MaximumRetryAttempts=1, DestinationConfig=_on_success),
     "❌ 3 of 5 checks pass — hint: the queue is the on-success destination"),
    (_dead_letter_queue,
     "❌ 4 of 5 checks pass — hint: the queue got the event itself, not an invocation record: "
     "that is a dead-letter queue (DeadLetterConfig)"),
    (_put(MaximumRetryAttempts=1, DestinationConfig=_queue_url),
     "❌ 1 of 5 checks pass — hint: Lambda refused the queue's URL (ValidationException): a "
     "destination is the queue's ARN"),
    (_put(MaximumRetryAttempts=1, DestinationConfig=_both),
     "❌ 4 of 5 checks pass — hint: the successful event left a record in the failures queue too"),
]


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "progress.json"))


@pytest.fixture(scope="module")
def session():
    """One emulated AWS on a virtual clock for every run of this module (the checker uses it)."""
    import lambda_lab
    from lambda_lab.clock import VirtualClock

    with lambda_lab.mock_aws(clock=VirtualClock()) as aws:
        yield aws


@pytest.mark.parametrize("answer, hint", WRONG)
def test_the_usual_slips_get_their_hint(session, answer, hint):
    feedback = ex.get(ID).check(answer)
    assert not feedback.ok
    assert feedback.text.startswith(hint)


def test_the_reference_passes_and_leaves_nothing_behind(session):
    exercise = ex.get(ID)
    assert exercise.check(exercise.reference_answer()).text == "✅ 5 of 5 checks pass"
    assert boto3.client("lambda", region_name="us-east-1").list_functions()["Functions"] == []
    assert boto3.client("sqs", region_name="us-east-1").list_queues().get("QueueUrls", []) == []


def test_the_record_on_the_queue_has_aws_shape(session):
    from lambda_lab.course.chapters.ch07_async_and_destinations import destination_exercise

    configure = ex.get(ID).reference_answer()
    run = destination_exercise._run(configure)
    (message,) = run["messages"]
    record = json.loads(message["Body"])
    assert sorted(record) == ["requestContext", "requestPayload", "responseContext",
                              "responsePayload", "timestamp", "version"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestContext"]["approximateInvokeCount"] == 2
    assert record["requestPayload"] == {"order": 2, "card": "declined"}
    assert record["responseContext"]["functionError"] == "Unhandled"
    assert record["responsePayload"]["errorType"] == "ValueError"
    assert run["attempts"] == {1: 1, 2: 2}


def test_the_stub_and_none_are_not_attempted():
    exercise = ex.get(ID)
    for answer in (None, exercise.stub_answer()):
        assert exercise.check(answer).text == NOT_ATTEMPTED


def test_without_a_session_the_checker_starts_its_own():
    exercise = ex.get(ID)
    assert exercise.check(exercise.reference_answer()).ok
