"""The filtering exercise of notebooks/05-event-sources: write the FilterCriteria pattern that lets
only orders above 100 from France reach the function. Importing this module registers it.

The checks read the pattern with the emulator's own filter (:mod:`lambda_lab.sources.filtering`,
the one an SQS mapping applies), then run it behind a real SQS mapping in the active
``lambda_lab.mock_aws()`` session (or a new one on a virtual clock).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from lambda_lab.course.checks import in_session
from lambda_lab.course.exercises import Check, Exercise, register, solution_source

__all__ = ["ORDER_FILTER"]

_STUB = '''\
# An order in the queue is a JSON body such as
#   {"type": "order", "id": "o-1", "total": 250, "country": "FR"}
pattern = {
    "body": {
        # TODO: only orders ("type"), with a total above 100, from France ("FR")
    }
}
'''

#: The messages the checks filter: (id, body); only o-1 and o-2 may pass.
_MESSAGES = (
    ("o-1", {"type": "order", "id": "o-1", "total": 250, "country": "FR"}),
    ("o-2", {"type": "order", "id": "o-2", "total": 100.5, "country": "FR"}),
    ("o-3", {"type": "order", "id": "o-3", "total": 100, "country": "FR"}),
    ("o-4", {"type": "order", "id": "o-4", "total": 40, "country": "FR"}),
    ("o-5", {"type": "order", "id": "o-5", "total": 900, "country": "DE"}),
    ("o-6", {"type": "refund", "id": "o-6", "total": 300, "country": "FR"}),
    ("o-7", {"type": "order", "id": "o-7", "country": "FR"}),
    ("o-8", "order o-8 FR 500"),
)
_PASS = ("o-1", "o-2")
#: what a wrongly passed message says about the pattern
_LET_THROUGH = {
    "o-3": "an order of exactly 100 got through: 'above 100' is {'numeric': ['>', 100]}, "
           "not '>='",
    "o-4": "an order of 40 got through: add a numeric rule on total, "
           "'total': [{'numeric': ['>', 100]}]",
    "o-5": "an order from Germany got through: add 'country': ['FR']",
    "o-6": "a refund got through: add 'type': ['order']",
    "o-7": "an order without a total got through: the numeric rule on total also needs the "
           "field to be there",
    "o-8": "a plain-text message got through: keep the rules under 'body' as an object",
}
_runs = itertools.count(1)
_cache: dict[str, dict[str, Any]] = {}


def _body(message: Any) -> str:
    return message if isinstance(message, str) else json.dumps(message)


def _record(mid: str, message: Any) -> dict[str, Any]:
    return {"messageId": mid, "body": _body(message), "attributes": {},
            "messageAttributes": {}, "eventSource": "aws:sqs", "awsRegion": "us-east-1"}


def _text(answer: Any) -> str:
    return answer if isinstance(answer, str) else json.dumps(answer)


def _not_attempted(answer: Any) -> bool:
    return answer is None or answer is Ellipsis or answer in ({}, {"body": {}}, "")


def _criteria(answer: Any) -> Any:
    from lambda_lab.sources.filtering import parse_criteria

    return parse_criteria({"Filters": [{"Pattern": _text(answer)}]}, "sqs")


def _is_a_valid_pattern(answer: Any) -> str | None:
    from lambda_lab.sources.filtering import InvalidPattern, check_pattern

    if not isinstance(answer, (dict, str)):
        return f"pattern should be a dict like {{'body': {{...}}}}, not {type(answer).__name__}"
    try:
        check_pattern(_text(answer), "sqs")
    except InvalidPattern as e:
        if "must be an object or an array" in str(e):
            return ("every value to match goes in a list: 'country': ['FR'], not "
                    "'country': 'FR' (Lambda answers 'Invalid filter pattern definition.')")
        return f"Lambda would refuse it ('Invalid filter pattern definition.'): {e}"
    return None


def _filters_the_body(answer: Any) -> str | None:
    pattern = json.loads(_text(answer))
    if not isinstance(pattern.get("body"), dict):
        return ("an SQS message's JSON content is under the key 'body': put the rules in "
                "{'body': {...}}")
    return None


def _passed(answer: Any) -> set[str]:
    criteria = _criteria(answer)
    return {mid for mid, message in _MESSAGES if criteria.matches("sqs", _record(mid, message))}


def _lets_the_big_orders_through(answer: Any) -> str | None:
    passed = _passed(answer)
    if "o-1" not in passed:
        return ("the order of 250 from FR was dropped: check the field names (type, total, "
                "country) and their values")
    if "o-2" not in passed:
        return "the order of 100.5 from FR was dropped: every total above 100 must pass"
    return None


def _drops_the_rest(answer: Any) -> str | None:
    extra = sorted(_passed(answer) - set(_PASS))
    return _LET_THROUGH[extra[0]] if extra else None


def _through_sqs(answer: Any) -> dict[str, Any]:
    """Run the pattern behind a real SQS mapping: which bodies reached the function, how many
    messages are left in the queue (cached per pattern)."""
    key = _text(answer)
    if key in _cache:
        return _cache[key]
    result = in_session(_run, key)
    _cache.clear()
    _cache[key] = result
    return result


_HANDLER = '''
import json


def handler(event, context):
    print("IDS " + json.dumps([json.loads(r["body"])["id"] for r in event["Records"]]))
'''


def _run(aws: Any, pattern: str) -> dict[str, Any]:
    import boto3

    from lambda_lab.course.chapters.ch05_event_sources.helpers import logged_json
    from lambda_lab.course.roles import lambda_role
    from lambda_lab.course.shared import make_zip

    name = f"exercise-order-filter-{next(_runs)}"
    lam = boto3.client("lambda", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    role = lambda_role(iam, name)
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler", Code={"ZipFile": make_zip(_HANDLER)})
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    since = aws.clock.now()
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn["Attributes"]["QueueArn"], FunctionName=name,
        FilterCriteria={"Filters": [{"Pattern": pattern}]})["UUID"]
    try:
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": mid, "MessageBody": _body(message)} for mid, message in _MESSAGES])
        aws.advance(1)
        invoked = sorted(i for ids in logged_json(name, "IDS ", since=since) for i in ids)
        left = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
        remaining = (int(left["ApproximateNumberOfMessages"])
                     + int(left["ApproximateNumberOfMessagesNotVisible"]))
    finally:
        lam.delete_event_source_mapping(UUID=uuid)
        lam.delete_function(FunctionName=name)
        sqs.delete_queue(QueueUrl=url)
        iam.delete_role(RoleName=name)
    return {"invoked": invoked, "remaining": remaining}


def _works_behind_a_mapping(answer: Any) -> str | None:
    run = _through_sqs(answer)
    if run["invoked"] != list(_PASS):
        return f"behind a real mapping the function got {run['invoked']}, not {list(_PASS)}"
    if run["remaining"]:
        return f"{run['remaining']} message(s) stayed in the queue"
    return None


ORDER_FILTER = register(
    Exercise(
        id="order-filter",
        title="A filter for orders above 100 from France",
        topic="05-event-sources",
        answer_name="pattern",
        stub=_STUB,
        not_attempted=_not_attempted,
        checks=[
            Check("the pattern is one Lambda accepts", _is_a_valid_pattern),
            Check("it filters on the message body", _filters_the_body),
            Check("orders above 100 from FR pass (250 and 100.5)", _lets_the_big_orders_through),
            Check("everything else is dropped: 100 or less, another country, a refund, no "
                  "total, plain text", _drops_the_rest),
            Check("behind a real SQS mapping only those orders invoke the function, and the "
                  "queue ends empty", _works_behind_a_mapping),
        ],
        hints=[
            "Every field you name under 'body' must match (AND); each value is a list of rules.",
            "Exact values are strings in a list: 'type': ['order'], 'country': ['FR'].",
            "'Above 100' is a numeric rule: 'total': [{'numeric': ['>', 100]}].",
        ],
        solution=solution_source(__package__, "order_filter"),
    )
)
