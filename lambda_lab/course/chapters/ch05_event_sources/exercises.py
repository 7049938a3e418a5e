"""The exercises of chapter 05, Event sources: a partial batch response for messages that are not
JSON.

Importing this module registers them in :data:`lambda_lab.course.exercises.EXERCISES`.
"""

from __future__ import annotations

import inspect
from collections.abc import Iterable
from typing import Any

from lambda_lab.course.checks import LastRun, normalised, run_numbers, takes_event_and_context
from lambda_lab.course.exercises import (
    Check,
    Exercise,
    FakeContext,
    is_unanswered,
    register,
    solution_source,
)

# --- 05: a partial batch response for messages that are not JSON ---------------------------------

_PARTIAL_BATCH_STUB = """\
import json


def handler(event, context):
    failures = []
    for record in event["Records"]:
        print("received", record["messageId"])
        # TODO: if record["body"] is not valid JSON, add {"itemIdentifier": <its messageId>}
    return {"batchItemFailures": failures}
"""

#: (messageId, body) of the batch the direct checks pass in; "m-2" and "m-4" are not JSON.
_SAMPLE_BATCH = (
    ("m-1", '{"order": 1}'),
    ("m-2", "order 2, not JSON"),
    ("m-3", "[1, 2]"),
    ("m-4", ""),
    ("m-5", '"a JSON string"'),
)
_SAMPLE_BAD = {"m-2", "m-4"}
#: Bodies the real SQS run sends, in order; the bad ones must be the only ones to come back.
_QUEUE_BODIES = ('{"order": 10}', "{order: 11}", '{"order": 12}', "13", "fourteen", "null")
_QUEUE_BAD = ("fourteen", "{order: 11}")
_VISIBILITY_S = 30


def _is_partial_batch_stub(answer: Any) -> bool:
    """Not attempted: nothing, a placeholder body, or the stub's handler exactly as given."""
    if is_unanswered(answer):
        return True
    try:
        text = inspect.getsource(answer)
    except (OSError, TypeError):
        return False
    stub_handler = _PARTIAL_BATCH_STUB[_PARTIAL_BATCH_STUB.index("def handler") :]
    return normalised(text) == normalised(stub_handler)


def _sqs_event(batch: Iterable[tuple[str, str]]) -> dict[str, Any]:
    arn = "arn:aws:sqs:us-east-1:123456789012:orders"
    return {"Records": [{"messageId": mid, "receiptHandle": f"handle-{mid}", "body": body,
                         "attributes": {"ApproximateReceiveCount": "1"},
                         "messageAttributes": {}, "eventSource": "aws:sqs",
                         "eventSourceARN": arn, "awsRegion": "us-east-1"}
                        for mid, body in batch]}


def _direct_answer(handler: Any) -> Any:
    return handler(_sqs_event(_SAMPLE_BATCH), FakeContext())


def _does_not_raise(handler: Any) -> str | None:
    try:
        _direct_answer(handler)
    except Exception as exc:  # noqa: BLE001 -- any exception fails the whole batch
        return (
            f"a body that is not JSON made the handler raise {type(exc).__name__}: catch "
            "json.JSONDecodeError (a ValueError) for each record — if the handler raises, "
            "Lambda returns the whole batch to the queue"
        )
    return None


def _reported_ids(answer: Any) -> set[str]:
    """The itemIdentifiers of a partial batch response; AssertionError with a hint if malformed."""
    assert isinstance(answer, dict), (
        f"return a dict {{'batchItemFailures': [...]}}, not {type(answer).__name__}"
    )
    items = answer.get("batchItemFailures")
    assert isinstance(items, list), "the dict needs the key 'batchItemFailures' with a list"
    ids = set()
    for item in items:
        assert isinstance(item, dict) and "itemIdentifier" in item, (
            "each failure is a dict {'itemIdentifier': <the record's messageId>}, "
            f"not {item!r}"
        )
        ids.add(item["itemIdentifier"])
    return ids


def _reports_the_bad_ids(handler: Any) -> str | None:
    ids = _reported_ids(_direct_answer(handler))
    bodies = dict(_SAMPLE_BATCH)
    if ids & set(bodies.values()) - set(bodies):
        return "itemIdentifier is the record's messageId, not its body"
    if ids == _SAMPLE_BAD:
        return None
    missed = sorted(_SAMPLE_BAD - ids)
    if missed:
        return f"the body {bodies[missed[0]]!r} is not valid JSON: report its messageId"
    extra = sorted(ids - _SAMPLE_BAD)
    if extra[0] in bodies:
        return (
            f"the body {bodies[extra[0]]!r} is valid JSON: report only the records that "
            "json.loads cannot parse"
        )
    return f"{extra[0]!r} is not a messageId of this batch"


def _partial_batch_run(handler: Any) -> dict[str, Any]:
    """Run ``handler`` behind a real SQS event source mapping (cached per handler).

    Uses the active ``lambda_lab.mock_aws()`` session if there is one (they do not nest), else a
    new one on a virtual clock."""
    return _last_sqs_run(handler)


def _through_sqs(aws: Any, handler: Any) -> dict[str, Any]:
    """Send :data:`_QUEUE_BODIES`, let the mapping poll once, then read what came back."""
    import boto3

    from lambda_lab.code import module_from_function
    from lambda_lab.course.roles import lambda_role
    from lambda_lab.course.shared import make_zip
    from lambda_lab.sources import store_for

    source, function = module_from_function(handler)
    name = f"exercise-partial-batch-{next(run_numbers)}"
    lam = boto3.client("lambda", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    role = lambda_role(iam, name)
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler=f"lambda_function.{function}",
                        Code={"ZipFile": make_zip(source)})
    url = sqs.create_queue(QueueName=name,
                           Attributes={"VisibilityTimeout": str(_VISIBILITY_S)})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn["Attributes"]["QueueArn"], FunctionName=name,
        FunctionResponseTypes=["ReportBatchItemFailures"])["UUID"]
    try:
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": body} for i, body in enumerate(_QUEUE_BODIES)])
        aws.advance(1)
        outcomes = [h["outcome"] for h in store_for(aws.platform()).mappings[uuid].history]
        lam.update_event_source_mapping(UUID=uuid, Enabled=False)
        aws.advance(_VISIBILITY_S + 1)
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        returned = sorted(msg["Body"] for msg in got.get("Messages", []))
    finally:
        lam.delete_event_source_mapping(UUID=uuid)
        lam.delete_function(FunctionName=name)
        sqs.delete_queue(QueueUrl=url)
        iam.delete_role(RoleName=name)
    return {"outcomes": outcomes, "returned": returned}


_last_sqs_run = LastRun(_through_sqs)


def _sqs_keeps_only_the_bad(handler: Any) -> str | None:
    run = _partial_batch_run(handler)
    if not run["outcomes"]:
        return "the mapping never invoked the handler: does it deploy? (run it on a test event)"
    outcome = run["outcomes"][0]
    if outcome.startswith("function error"):
        return "the handler raised on the real queue: the whole batch came back"
    if outcome == "malformed batchItemFailures response":
        return (
            "Lambda could not read the response (an itemIdentifier that is not a messageId of "
            "the batch?), so the whole batch came back"
        )
    if run["returned"] == sorted(_QUEUE_BAD):
        return None
    return (
        f"after the visibility timeout {run['returned']!r} came back from the queue, not "
        f"{sorted(_QUEUE_BAD)!r}"
    )


PARTIAL_BATCH = register(
    Exercise(
        id="partial-batch",
        title="Report only the messages that are not JSON",
        topic="05-event-sources",
        answer_name="handler",
        stub=_PARTIAL_BATCH_STUB,
        not_attempted=_is_partial_batch_stub,
        checks=[
            Check("handler takes (event, context)", takes_event_and_context),
            Check("it does not raise when a body is not JSON", _does_not_raise),
            Check(
                "it returns {'batchItemFailures': [{'itemIdentifier': <messageId>}, …]} for "
                "exactly the bodies that are not JSON",
                _reports_the_bad_ids,
            ),
            Check(
                "behind a real SQS mapping, only the bad messages come back to the queue",
                _sqs_keeps_only_the_bad,
            ),
        ],
        hints=[
            "json.loads(record['body']) raises json.JSONDecodeError (a ValueError) when the "
            "body is not valid JSON.",
            "Wrap json.loads in try/except ValueError; in the except branch, append "
            "{'itemIdentifier': record['messageId']} to failures.",
            "Return {'batchItemFailures': failures}: an empty list means the whole batch "
            "succeeded.",
        ],
        solution=solution_source(__package__, "partial_batch"),
    )
)
