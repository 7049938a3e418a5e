"""The ``stream-item-failures`` exercise of notebooks/05-event-sources: a Kinesis handler that
reports partial batch failures.

Pinned to DG "Configuring partial batch response with Kinesis Data Streams and Lambda"
(services-kinesis-batchfailurereporting): the answer is ``{"batchItemFailures":
[{"itemIdentifier": "<SequenceNumber>"}]}``; Lambda checkpoints at the lowest sequence number
reported and retries every record from there; an empty list (or null) is complete success; an
empty, null or misnamed itemIdentifier fails the whole batch; with BisectBatchOnFunctionError
too, the batch is split at the returned sequence number and only the rest is retried.
"""

from __future__ import annotations

import boto3
import pytest

from lambda_lab.course import exercises as ex
from lambda_lab.course.exercises import NOT_ATTEMPTED
from lambda_lab.course.progress import ENV_VAR

ID = "stream-item-failures"

HEAD = '''
import base64
import json


def process(order):
    print("PROCESSED", order["id"])


'''

#: The usual slips, each with the hint it must get.
WRONG = {
    "raises": (HEAD + '''
def handler(event, context):
    for record in event["Records"]:
        process(json.loads(base64.b64decode(record["kinesis"]["data"])))
    return {"batchItemFailures": []}
''', "❌ 2 of 6 checks pass — hint: a record that is not JSON made the handler raise "
     "JSONDecodeError: catch ValueError"),
    "sqs-style, goes on past the failure": (HEAD + '''
def handler(event, context):
    failures = []
    for record in event["Records"]:
        try:
            order = json.loads(base64.b64decode(record["kinesis"]["data"]))
        except ValueError:
            failures.append({"itemIdentifier": record["kinesis"]["sequenceNumber"]})
            continue
        process(order)
    return {"batchItemFailures": failures}
''', "❌ 4 of 6 checks pass — hint: it processed o-4 after the bad record: Lambda retries the "
     "batch from the reported record, so o-4 would be processed twice"),
    "the eventID": (HEAD + '''
def handler(event, context):
    for record in event["Records"]:
        try:
            order = json.loads(base64.b64decode(record["kinesis"]["data"]))
        except ValueError:
            return {"batchItemFailures": [{"itemIdentifier": record["eventID"]}]}
        process(order)
    return {"batchItemFailures": []}
''', "❌ 4 of 6 checks pass — hint: itemIdentifier is the record's kinesis.sequenceNumber, not "
     "its eventID"),
    "the last good record (AWS sample's variable, set too late)": (HEAD + '''
def handler(event, context):
    current = ""
    for record in event["Records"]:
        try:
            order = json.loads(base64.b64decode(record["kinesis"]["data"]))
            current = record["kinesis"]["sequenceNumber"]
        except ValueError:
            return {"batchItemFailures": [{"itemIdentifier": current}]}
        process(order)
    return {"batchItemFailures": []}
''', "❌ 4 of 6 checks pass — hint: the lowest sequence number reported is o-2's, a record that "
     "is valid JSON"),
    "nothing reported": (HEAD + '''
def handler(event, context):
    for record in event["Records"]:
        try:
            process(json.loads(base64.b64decode(record["kinesis"]["data"])))
        except ValueError:
            return {"batchItemFailures": []}
    return {"batchItemFailures": []}
''', "❌ 4 of 6 checks pass — hint: the batch has a record that is not JSON, but the answer "
     "reports no failure"),
}


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "progress.json"))


def _handler(source: str, label: str):
    return ex._run_source(source, f"<wrong {label}>")["handler"]


def test_the_reference_solution_passes_every_check():
    exercise = ex.get(ID)
    feedback = exercise.check(exercise.reference_answer())
    assert feedback.text == "✅ 6 of 6 checks pass"


@pytest.mark.parametrize("label", sorted(WRONG))
def test_the_usual_slips_get_their_hint(label):
    source, hint = WRONG[label]
    feedback = ex.get(ID).check(_handler(source, label))
    assert not feedback.ok
    assert feedback.text.startswith(hint)


def test_the_stub_and_none_are_not_attempted():
    exercise = ex.get(ID)
    for answer in (None, exercise.stub_answer()):
        assert exercise.check(answer).text == NOT_ATTEMPTED


def test_reporting_every_record_from_the_bad_one_on_is_fine():
    """DG: with several items, Lambda checkpoints at the lowest sequence number."""
    source = HEAD + '''
def handler(event, context):
    for i, record in enumerate(event["Records"]):
        try:
            order = json.loads(base64.b64decode(record["kinesis"]["data"]))
        except ValueError:
            rest = event["Records"][i:]
            return {"batchItemFailures": [
                {"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r in reversed(rest)]}
        process(order)
    return None
'''
    assert ex.get(ID).check(_handler(source, "every record from the bad one")).ok


def test_the_checker_runs_in_the_active_session_and_cleans_up():
    import lambda_lab
    from lambda_lab.clock import VirtualClock

    exercise = ex.get(ID)
    with lambda_lab.mock_aws(clock=VirtualClock()):
        assert exercise.check(exercise.reference_answer()).ok
        lam = boto3.client("lambda", region_name="us-east-1")
        assert lam.list_event_source_mappings()["EventSourceMappings"] == []
        assert lam.list_functions()["Functions"] == []
        assert boto3.client("kinesis", region_name="us-east-1").list_streams()["StreamNames"] == []
