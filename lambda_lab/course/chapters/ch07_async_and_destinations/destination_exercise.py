"""The destinations exercise of notebooks/07-async-and-destinations: configure a function so that
Lambda retries a failed asynchronous event once, then sends its invocation record to an SQS
queue (an on-failure destination). Importing this module registers it.

The learner writes ``configure(lam, function_name, failures_queue_arn)``. The checks call it on a
function that fails for a declined card, in the active ``lambda_lab.mock_aws()`` session (or a
new one on a virtual clock), invoke it asynchronously on the platform clock, ``advance`` past the
retries and read the queue: the record's shape and ``approximateInvokeCount`` are AWS's (DG
invocation-async-retain-records).
"""

from __future__ import annotations

import inspect
import itertools
import json
from typing import Any

from lambda_lab.course.checks import LastRun
from lambda_lab.course.exercises import Check, Exercise, is_unanswered, register, solution_source

__all__ = ["FAILURE_DESTINATION"]

_STUB = '''\
def configure(lam, function_name, failures_queue_arn):
    """Make Lambda retry a failed asynchronous event of function_name once (not twice), then
    send the event's invocation record to the SQS queue failures_queue_arn."""
    ...
'''

_HANDLER = '''
def handler(event, context):
    if event.get("card") == "declined":
        raise ValueError(f"card declined for order {event['order']}")
    return {"order": event["order"], "status": "PAID"}
'''
_GOOD_EVENT = {"order": 1}
_BAD_EVENT = {"order": 2, "card": "declined"}
_RETRIES = 1
#: platform seconds to let pass: the default 2 retries end about 180 s after the first try
_RUN_S = 400
_runs = itertools.count(1)


def _takes_three_arguments(configure: Any) -> str | None:
    if not callable(configure):
        return f"configure should be a function, not {type(configure).__name__}"
    try:
        inspect.signature(configure).bind(None, "f", "arn")
    except TypeError:
        return "define it as def configure(lam, function_name, failures_queue_arn):"
    except ValueError:
        return None
    return None


def _run(configure: Any) -> dict[str, Any]:
    """Run ``configure`` and two Event invocations on a fresh function (cached per answer)."""
    return _last_queue_run(configure)


def _through_the_async_queue(aws: Any, configure: Any) -> dict[str, Any]:
    import boto3
    from botocore.exceptions import ClientError

    from lambda_lab.course.chapters.ch07_async_and_destinations.helpers import drain
    from lambda_lab.course.roles import lambda_role
    from lambda_lab.course.shared import make_zip

    name = f"exercise-failure-destination-{next(_runs)}"
    lam = boto3.client("lambda", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    role = lambda_role(iam, name)
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler", Code={"ZipFile": make_zip(_HANDLER)})
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    arn = arn["Attributes"]["QueueArn"]
    result: dict[str, Any] = {"queue_arn": arn, "problem": None, "config": {},
                              "attempts": {}, "messages": []}
    try:
        try:
            configure(lam, name, arn)
        except ClientError as e:
            error = e.response["Error"]
            result["problem"] = f"Lambda refused it: {error['Code']}: {error['Message']}"
            return result
        try:
            result["config"] = lam.get_function_event_invoke_config(FunctionName=name)
        except ClientError:
            result["config"] = {}
        result["dlq"] = lam.get_function_configuration(FunctionName=name).get(
            "DeadLetterConfig", {}).get("TargetArn")
        first = len(aws.async_events)
        for event in (_GOOD_EVENT, _BAD_EVENT):
            lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(event))
            aws.advance(0)
        aws.advance(_RUN_S)
        for queued in aws.async_events[first:]:
            if queued.function_name == name:
                order = json.loads(queued.payload).get("order")
                result["attempts"][order] = queued.attempts
        result["messages"] = drain(url)
    finally:
        lam.delete_function(FunctionName=name)
        sqs.delete_queue(QueueUrl=url)
        iam.delete_role(RoleName=name)
    return result


_last_queue_run = LastRun(_through_the_async_queue)


def _accepted_run(configure: Any) -> dict[str, Any]:
    """The run of ``configure``; AssertionError with Lambda's answer when it refused it."""
    run = _run(configure)
    assert run["problem"] is None, run["problem"]
    return run


def _is_accepted(configure: Any) -> str | None:
    run = _run(configure)
    if run["problem"] is None:
        return None
    if "://" in run["problem"] and "destination" in run["problem"].lower():
        return ("Lambda refused the queue's URL (ValidationException): a destination is the "
                "queue's ARN, arn:aws:sqs:…, as failures_queue_arn holds")
    return run["problem"]


def _retries_once(configure: Any) -> str | None:
    runs = _accepted_run(configure)["attempts"].get(_BAD_EVENT["order"], 0)
    if runs == 1 + _RETRIES:
        return None
    if runs == 3:
        return ("the failing event ran 3 times: the default is 2 retries — set "
                "MaximumRetryAttempts=1")
    if runs == 1:
        return "the failing event ran once: MaximumRetryAttempts=0 means no retry; ask for 1"
    return f"the failing event ran {runs} times, not 2 (its first try and one retry)"


def _records(run: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for message in run["messages"]:
        try:
            body = json.loads(message["Body"])
        except ValueError:
            continue
        if isinstance(body, dict) and "requestContext" in body:
            found.append(body)
    return found


def _record_reaches_the_queue(configure: Any) -> str | None:
    run = _accepted_run(configure)
    failures = [r for r in _records(run) if r["requestContext"].get("condition") != "Success"]
    if failures:
        record = failures[0]
        assert record["requestPayload"] == _BAD_EVENT, "the record is not the failing event's"
        count = record["requestContext"]["approximateInvokeCount"]
        assert count == 1 + _RETRIES, f"the record says approximateInvokeCount {count}, not 2"
        return None
    destinations = run["config"].get("DestinationConfig", {})
    if destinations.get("OnSuccess", {}).get("Destination") == run["queue_arn"]:
        return ("the queue is the on-success destination: failures go to "
                "DestinationConfig={'OnFailure': {'Destination': failures_queue_arn}}")
    if run["dlq"] == run["queue_arn"] or run["messages"]:
        return ("the queue got the event itself, not an invocation record: that is a dead-letter "
                "queue (DeadLetterConfig); set DestinationConfig={'OnFailure': ...} with "
                "put_function_event_invoke_config")
    return ("nothing reached the queue: set DestinationConfig={'OnFailure': {'Destination': "
            "failures_queue_arn}} with put_function_event_invoke_config")


def _success_leaves_no_record(configure: Any) -> str | None:
    run = _accepted_run(configure)
    if any(r["requestContext"].get("condition") == "Success" for r in _records(run)):
        return ("the successful event left a record in the failures queue too: set only "
                "OnFailure, not OnSuccess")
    return None


FAILURE_DESTINATION = register(
    Exercise(
        id="failure-destination",
        title="One retry, then the failure's record to an SQS queue",
        topic="07-async-and-destinations",
        answer_name="configure",
        stub=_STUB,
        not_attempted=is_unanswered,
        checks=[
            Check("configure takes (lam, function_name, failures_queue_arn)",
                  _takes_three_arguments),
            Check("Lambda accepts the configuration", _is_accepted),
            Check("a failing event runs twice: its first try and one retry", _retries_once),
            Check("then its invocation record (RetriesExhausted, approximateInvokeCount 2) "
                  "reaches the queue", _record_reaches_the_queue),
            Check("a successful event leaves nothing in the queue", _success_leaves_no_record),
        ],
        hints=[
            "The async queue's settings are the function's event invoke config: "
            "lam.put_function_event_invoke_config(FunctionName=function_name, ...).",
            "MaximumRetryAttempts takes 0, 1 or 2 (the default); one retry is 1.",
            "DestinationConfig={'OnFailure': {'Destination': failures_queue_arn}} sends the "
            "record of an event Lambda gave up on to the queue (its ARN, not its URL).",
        ],
        solution=solution_source(__package__, "failure_destination"),
    )
)
