"""The streams exercise of notebooks/05-event-sources: a Kinesis handler that reports where its
batch failed (``ReportBatchItemFailures``). Importing this module registers it.

On a stream Lambda checkpoints before the lowest sequence number a handler reports and retries
from that record on (DG services-kinesis-batchfailurereporting), so a good answer stops at the
first record it cannot process. The checks call the handler on a sample batch, then run it
behind a real Kinesis mapping (``ReportBatchItemFailures``, ``BisectBatchOnFunctionError``, an
on-failure queue) in the active ``lambda_lab.mock_aws()`` session, or a new one on a virtual
clock, and read what was processed, where each retry started and what reached the queue.
"""

from __future__ import annotations

import base64
import contextlib
import inspect
import io
import itertools
import json
from typing import Any

from lambda_lab.course.checks import LastRun
from lambda_lab.course.exercises import (
    Check,
    Exercise,
    FakeContext,
    is_unanswered,
    register,
    solution_source,
)

__all__ = ["STREAM_ITEM_FAILURES"]

_STUB = '''\
import base64
import json


def process(order):
    """Stands in for the real work on one order (saving it): it logs the order's id."""
    print("PROCESSED", order["id"])


def handler(event, context):
    for record in event["Records"]:
        order = json.loads(base64.b64decode(record["kinesis"]["data"]))
        # TODO: when the data is not valid JSON, report this record and stop
        process(order)
    return {"batchItemFailures": []}
'''

#: (partition key, data) put on the stream in one call; "o-3 ..." is not JSON.
_ORDERS = (
    ("o-1", '{"id": "o-1", "total": 25}'),
    ("o-2", '{"id": "o-2", "total": 40}'),
    ("o-3", "o-3, total 15 (not JSON)"),
    ("o-4", '{"id": "o-4", "total": 60}'),
    ("o-5", '{"id": "o-5", "total": 75}'),
)
_BAD = 2  #: index of the record that is not JSON
_GOOD = [key for i, (key, _) in enumerate(_ORDERS) if i != _BAD]
_SHARD = "shardId-000000000000"
_STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/orders"
#: sequence numbers of the sample batch, as long as Kinesis's own
_SEQS = [f"4959033827149025660855969253836157109592157598913658{n:04d}" for n in range(1, 6)]
_MAX_RETRIES = 1
_runs = itertools.count(1)


def _normalised(source: str) -> str:
    return "\n".join(line.rstrip() for line in inspect.cleandoc(source).splitlines() if line)


def _not_attempted(answer: Any) -> bool:
    """Not attempted: nothing, a placeholder body, or the stub's handler exactly as given."""
    if is_unanswered(answer):
        return True
    try:
        text = inspect.getsource(answer)
    except (OSError, TypeError):
        return False
    return _normalised(text) == _normalised(_STUB[_STUB.index("def handler"):])


def _record(i: int, key: str, data: str) -> dict[str, Any]:
    """One ``Records`` entry as Lambda's Kinesis poller sends it (DG with-kinesis)."""
    return {
        "kinesis": {"kinesisSchemaVersion": "1.0", "partitionKey": key,
                    "sequenceNumber": _SEQS[i],
                    "data": base64.b64encode(data.encode()).decode(),
                    "approximateArrivalTimestamp": 1764150000.0 + i},
        "eventSource": "aws:kinesis", "eventVersion": "1.0",
        "eventID": f"{_SHARD}:{_SEQS[i]}", "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/orders-reader",
        "awsRegion": "us-east-1", "eventSourceARN": _STREAM_ARN,
    }


def _call(handler: Any, orders: tuple[tuple[str, str], ...]) -> tuple[Any, list[str]]:
    """Call ``handler`` on a batch of ``orders``: (its answer, the ids it processed, in order)."""
    event = {"Records": [_record(i, key, data) for i, (key, data) in enumerate(orders)]}
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        answer = handler(event, FakeContext())
    processed = [line.split()[1] for line in printed.getvalue().splitlines()
                 if line.startswith("PROCESSED ") and len(line.split()) > 1]
    return answer, processed


def _takes_event_and_context(handler: Any) -> str | None:
    if not callable(handler):
        return f"handler should be a function, not {type(handler).__name__}"
    try:
        inspect.signature(handler).bind({}, FakeContext())
    except TypeError:
        return "define it as def handler(event, context): — Lambda passes exactly two arguments"
    except ValueError:
        return None
    return None


def _does_not_raise(handler: Any) -> str | None:
    try:
        _call(handler, _ORDERS)
    except Exception as exc:  # noqa: BLE001 -- any exception fails the whole batch
        return (f"a record that is not JSON made the handler raise {type(exc).__name__}: catch "
                "ValueError (json.JSONDecodeError is one) — a raise fails the whole batch, and "
                "its retry processes o-1 and o-2 again")
    return None


def _failure_index(answer: Any) -> int | None:
    """Where Lambda would checkpoint; AssertionError with a hint when it fails the batch."""
    from lambda_lab.sources.stream_records import item_failure_index

    index = item_failure_index(answer, _SEQS[:len(_ORDERS)])
    if index != -1:
        return index
    assert isinstance(answer, dict), (
        f"return a dict {{'batchItemFailures': [...]}}, not {type(answer).__name__}")
    items = answer.get("batchItemFailures")
    assert isinstance(items, list), "the dict needs the key 'batchItemFailures' with a list"
    for item in items:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        assert isinstance(item, dict) and "itemIdentifier" in item, (
            f"each failure is a dict {{'itemIdentifier': <sequenceNumber>}}, not {item!r}")
        if ident == f"{_SHARD}:{_SEQS[_BAD]}":
            raise AssertionError("itemIdentifier is the record's kinesis.sequenceNumber, not "
                                 "its eventID (Lambda would fail the whole batch)")
        if ident == _ORDERS[_BAD][0] or ident == _BAD:
            raise AssertionError("itemIdentifier is the record's kinesis.sequenceNumber (a "
                                 f"string), not {ident!r}")
    raise AssertionError("every itemIdentifier must be the sequenceNumber of a record of the "
                         "batch, as a string (else Lambda fails the whole batch)")


def _reports_the_bad_record(handler: Any) -> str | None:
    index = _failure_index(_call(handler, _ORDERS)[0])
    if index == _BAD:
        return None
    if index is None:
        return ("the batch has a record that is not JSON, but the answer reports no failure: "
                "Lambda checkpoints past it and it is lost — return its sequenceNumber")
    if index < _BAD:
        return (f"the lowest sequence number reported is {_ORDERS[index][0]}'s, a record that is "
                "valid JSON: Lambda retries from the lowest one, so report the bad record itself")
    return f"the record reported is {_ORDERS[index][0]}'s, not the one that is not JSON"


def _all_good_is_success(handler: Any) -> str | None:
    good = tuple(order for i, order in enumerate(_ORDERS) if i != _BAD)
    answer, processed = _call(handler, good)
    if _failure_index(answer) is not None:
        return ("for a batch of JSON records only, report no failure: "
                "{'batchItemFailures': []}")
    if processed != _GOOD:
        return f"for a batch of JSON records only, it processed {processed}, not {_GOOD}"
    return None


def _stops_at_the_failure(handler: Any) -> str | None:
    processed = _call(handler, _ORDERS)[1]
    before = [key for key, _ in _ORDERS[:_BAD]]
    after = [key for key in processed if key not in before]
    if after:
        return (f"it processed {after[0]} after the bad record: Lambda retries the batch from "
                f"the reported record, so {after[0]} would be processed twice — stop (return) at "
                "the first record that fails")
    if processed != before:
        return (f"it processed {processed}, not {before}: call process(order) for each record "
                "before the bad one, in order")
    return None


def _stream_run(handler: Any) -> dict[str, Any]:
    """Run ``handler`` behind a real Kinesis mapping (cached for the last handler)."""
    return _last_stream_run(handler)


def _through_kinesis(aws: Any, handler: Any) -> dict[str, Any]:
    """Put :data:`_ORDERS` in one call; what was processed, each invocation's first record,
    and the on-failure records."""
    import boto3

    from lambda_lab.code import module_from_function
    from lambda_lab.course.chapters.ch05_event_sources.helpers import log_lines
    from lambda_lab.course.roles import lambda_role
    from lambda_lab.course.shared import make_zip
    from lambda_lab.sources import store_for

    source, function = module_from_function(handler)
    name = f"exercise-stream-item-failures-{next(_runs)}"
    lam = boto3.client("lambda", region_name="us-east-1")
    kinesis = boto3.client("kinesis", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    role = lambda_role(iam, name)
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler=f"lambda_function.{function}", Code={"ZipFile": make_zip(source)})
    kinesis.create_stream(StreamName=name, ShardCount=1)
    stream = kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    queue = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    since = aws.clock.now()
    uuid = lam.create_event_source_mapping(
        EventSourceArn=stream, FunctionName=name, StartingPosition="TRIM_HORIZON",
        FunctionResponseTypes=["ReportBatchItemFailures"], BisectBatchOnFunctionError=True,
        MaximumRetryAttempts=_MAX_RETRIES,
        DestinationConfig={"OnFailure": {"Destination": queue["Attributes"]["QueueArn"]}})["UUID"]
    try:
        put = kinesis.put_records(StreamName=name, Records=[
            {"Data": data.encode(), "PartitionKey": "orders"} for _, data in _ORDERS])
        seqs = [r["SequenceNumber"] for r in put["Records"]]
        aws.advance(10)
        history = store_for(aws.platform()).mappings[uuid].history
        starts = [seqs.index(h["records"][0]) for h in history if h["records"]]
        lines = log_lines(name, since=since, times=False).splitlines()
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        failures = [json.loads(m["Body"]).get("KinesisBatchInfo", {}) for m in got]
    finally:
        lam.delete_event_source_mapping(UUID=uuid)
        lam.delete_function(FunctionName=name)
        kinesis.delete_stream(StreamName=name)
        sqs.delete_queue(QueueUrl=url)
        iam.delete_role(RoleName=name)
    skipped = [(seqs.index(f["startSequenceNumber"]), seqs.index(f["endSequenceNumber"]))
               for f in failures if f.get("startSequenceNumber") in seqs]
    processed = [line.split()[1] for line in lines
                 if line.startswith("PROCESSED ") and len(line.split()) > 1]
    return {"processed": processed, "starts": starts, "skipped": skipped}


_last_stream_run = LastRun(_through_kinesis)


def _works_behind_a_mapping(handler: Any) -> str | None:
    run = _stream_run(handler)
    if not run["starts"]:
        return "the mapping never invoked the handler: does it deploy? (run it on a test event)"
    for key in _GOOD:
        times = run["processed"].count(key)
        if times != 1:
            return f"behind a real mapping {key} was processed {times} times, not once"
    if len(run["starts"]) < 2 or run["starts"][1] != _BAD:
        return "behind a real mapping the retry did not start at the record that is not JSON"
    if run["skipped"] != [(_BAD, _BAD)]:
        return ("behind a real mapping the on-failure queue did not get exactly the bad record "
                f"(it got records {run['skipped']})")
    return None


STREAM_ITEM_FAILURES = register(
    Exercise(
        id="stream-item-failures",
        title="A Kinesis handler that reports where its batch failed",
        topic="05-event-sources",
        answer_name="handler",
        stub=_STUB,
        not_attempted=_not_attempted,
        checks=[
            Check("handler takes (event, context)", _takes_event_and_context),
            Check("it does not raise when a record is not JSON", _does_not_raise),
            Check("it reports the sequenceNumber of the record that is not JSON",
                  _reports_the_bad_record),
            Check("it processes the records before it, and none after it", _stops_at_the_failure),
            Check("a batch of JSON records only is a complete success", _all_good_is_success),
            Check("behind a real Kinesis mapping every good order is processed once, the retry "
                  "starts at the bad record, and only it reaches the on-failure queue",
                  _works_behind_a_mapping),
        ],
        hints=[
            "json.loads raises json.JSONDecodeError (a ValueError) when the data is not JSON: "
            "wrap it in try/except ValueError.",
            "A stream's itemIdentifier is the record's record['kinesis']['sequenceNumber'] (not "
            "the SQS messageId, not the eventID).",
            "Lambda retries from the reported record on, so in the except branch return "
            "{'batchItemFailures': [{'itemIdentifier': <its sequenceNumber>}]} at once, before "
            "processing the records after it.",
        ],
        solution=solution_source(__package__, "stream_item_failures"),
    )
)
