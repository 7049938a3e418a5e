"""The EventBridge exercise of notebooks/05-event-sources: write the event pattern of a rule that
matches book orders over 100 from the shop, and none of the decoys. Importing this module
registers it.

The checks read the pattern with the emulator's own EventBridge matcher
(:func:`lambda_lab.sources.filtering.matches`, the one its rules use), then put it on a real rule
whose target is a function, in the active ``lambda_lab.mock_aws()`` session (or a new one on a
virtual clock), and see which events invoke it.
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from lambda_lab.course.checks import in_session
from lambda_lab.course.exercises import Check, Exercise, register, solution_source

__all__ = ["BOOK_ORDERS_PATTERN"]

_STUB = '''\
# An event on the bus, as a rule sees it (the envelope, and the order under "detail"):
#   {"version": "0", "id": "...", "source": "shop.orders", "detail-type": "OrderPlaced",
#    "account": "123456789012", "time": "...", "region": "us-east-1", "resources": [],
#    "detail": {"order": "o-1", "total": 250, "sku": "BOOK-123"}}
pattern = {
    # TODO: OrderPlaced events from shop.orders with a total over 100 and an sku that starts
    # with "BOOK-"
}
'''

#: (order, source, detail-type, total, sku): o-1 and o-2 must match, the rest are decoys.
_EVENTS = (
    ("o-1", "shop.orders", "OrderPlaced", 250, "BOOK-123"),
    ("o-2", "shop.orders", "OrderPlaced", 100.5, "BOOK-9"),
    ("o-3", "shop.orders", "OrderPlaced", 100, "BOOK-77"),
    ("o-4", "shop.orders", "OrderPlaced", 60, "BOOK-5"),
    ("o-5", "shop.orders", "OrderPlaced", 300, "EBOOK-7"),
    ("o-6", "shop.orders", "OrderPlaced", 300, "TOY-1"),
    ("o-7", "shop.returns", "OrderPlaced", 300, "BOOK-1"),
    ("o-8", "shop.orders", "OrderCancelled", 300, "BOOK-2"),
)
_MATCH = ("o-1", "o-2")
#: what a decoy that matched says about the pattern
_DECOY_HINTS = {
    "o-3": "an order of exactly 100 matched: 'over 100' is {'numeric': ['>', 100]}, not '>='",
    "o-4": "an order of 60 matched: add 'total': [{'numeric': ['>', 100]}] under 'detail'",
    "o-5": "the sku 'EBOOK-7' matched: {'prefix': 'BOOK-'} matches from the start only",
    "o-6": "the sku 'TOY-1' matched: add 'sku': [{'prefix': 'BOOK-'}] under 'detail'",
    "o-7": "an event from shop.returns matched: add 'source': ['shop.orders']",
    "o-8": "an OrderCancelled event matched: add 'detail-type': ['OrderPlaced']",
}
_runs = itertools.count(1)
_cache: dict[str, list[str]] = {}


def _event(order: str, source: str, detail_type: str, total: float, sku: str) -> dict[str, Any]:
    """The event as EventBridge matches it (the envelope of "Amazon EventBridge events")."""
    return {"version": "0", "id": f"00000000-0000-0000-0000-00000000000{order[-1]}",
            "detail-type": detail_type, "source": source, "account": "123456789012",
            "time": "2026-11-26T09:00:00Z", "region": "us-east-1", "resources": [],
            "detail": {"order": order, "total": total, "sku": sku}}


def _text(answer: Any) -> str:
    return answer if isinstance(answer, str) else json.dumps(answer)


def _not_attempted(answer: Any) -> bool:
    return answer is None or answer is Ellipsis or answer in ({}, "")


def _is_a_valid_pattern(answer: Any) -> str | None:
    from lambda_lab.sources.filtering import InvalidPattern, check_pattern

    if not isinstance(answer, (dict, str)):
        return f"pattern should be a dict like {{'source': [...]}}, not {type(answer).__name__}"
    try:
        check_pattern(_text(answer))
    except InvalidPattern as e:
        if "must be an object or an array" in str(e):
            return ("every value to match goes in a list: 'source': ['shop.orders'], not "
                    "'source': 'shop.orders' (EventBridge answers 'Event pattern is not valid')")
        return f"EventBridge would refuse it (Event pattern is not valid): {e}"
    return None


def _pattern(answer: Any) -> dict[str, Any]:
    """The parsed pattern; AssertionError when EventBridge would refuse it."""
    from lambda_lab.sources.filtering import InvalidPattern, check_pattern

    try:
        return check_pattern(_text(answer))
    except InvalidPattern:
        raise AssertionError("first make it a pattern EventBridge accepts") from None


def _matched(answer: Any) -> set[str]:
    from lambda_lab.sources.filtering import matches

    pattern = _pattern(answer)
    return {e[0] for e in _EVENTS if matches(pattern, _event(*e))}


def _fields_under_detail(answer: Any) -> str | None:
    pattern = _pattern(answer)
    misplaced = sorted(set(pattern) & {"order", "total", "sku"})
    if misplaced:
        return (f"'{misplaced[0]}' is a field of the order, under 'detail': "
                f"{{'detail': {{'{misplaced[0]}': [...]}}}}")
    return None


def _matches_the_book_orders(answer: Any) -> str | None:
    matched = _matched(answer)
    if "o-1" not in matched:
        return ("the book order of 250 from shop.orders did not match: check the field names "
                "(source, detail-type, detail.total, detail.sku) and their values")
    if "o-2" not in matched:
        return "the book order of 100.5 did not match: every total over 100 must match"
    return None


def _matches_no_decoy(answer: Any) -> str | None:
    extra = sorted(_matched(answer) - set(_MATCH))
    return _DECOY_HINTS[extra[0]] if extra else None


def _rule_run(answer: Any) -> list[str]:
    """The orders that invoked a function through a real rule with the pattern (cached)."""
    key = _text(answer)
    if key in _cache:
        return _cache[key]
    result = in_session(_through_a_rule, key)
    _cache.clear()
    _cache[key] = result
    return result


_HANDLER = '''
def handler(event, context):
    print("ORDER " + event["detail"]["order"])
'''


def _through_a_rule(aws: Any, pattern: str) -> list[str]:
    import boto3

    from lambda_lab.course.chapters.ch05_event_sources.helpers import log_lines
    from lambda_lab.course.roles import lambda_role
    from lambda_lab.course.shared import make_zip

    name = f"exercise-book-orders-{next(_runs)}"
    lam = boto3.client("lambda", region_name="us-east-1")
    events = boto3.client("events", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    role = lambda_role(iam, name)
    arn = lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                              Handler="lambda_function.handler",
                              Code={"ZipFile": make_zip(_HANDLER)})["FunctionArn"]
    since = aws.clock.now()
    try:
        rule = events.put_rule(Name=name, EventPattern=pattern)["RuleArn"]
        try:
            events.put_targets(Rule=name, Targets=[{"Id": "orders", "Arn": arn}])
            lam.add_permission(FunctionName=name, StatementId=name,
                               Action="lambda:InvokeFunction",
                               Principal="events.amazonaws.com", SourceArn=rule)
            events.put_events(Entries=[
                {"Source": source, "DetailType": detail_type,
                 "Detail": json.dumps({"order": order, "total": total, "sku": sku})}
                for order, source, detail_type, total, sku in _EVENTS])
            aws.wait_async()
            lines = log_lines(name, since=since, times=False).splitlines()
        finally:
            events.remove_targets(Rule=name, Ids=["orders"])
            events.delete_rule(Name=name)
    finally:
        lam.delete_function(FunctionName=name)
        iam.delete_role(RoleName=name)
    return sorted(line.split()[1] for line in lines if line.startswith("ORDER "))


def _works_on_a_rule(answer: Any) -> str | None:
    _pattern(answer)
    invoked = _rule_run(answer)
    if invoked != list(_MATCH):
        return f"on a real rule the events of {invoked} invoked the function, not {list(_MATCH)}"
    return None


BOOK_ORDERS_PATTERN = register(
    Exercise(
        id="book-orders-pattern",
        title="An EventBridge pattern for book orders over 100",
        topic="05-event-sources",
        answer_name="pattern",
        stub=_STUB,
        not_attempted=_not_attempted,
        checks=[
            Check("the pattern is one EventBridge accepts", _is_a_valid_pattern),
            Check("the order's fields are matched under 'detail'", _fields_under_detail),
            Check("book orders over 100 from shop.orders match (250 and 100.5)",
                  _matches_the_book_orders),
            Check("no decoy matches: 100 or less, another sku, another source, another "
                  "detail-type", _matches_no_decoy),
            Check("on a real rule with a Lambda target only those orders invoke the function",
                  _works_on_a_rule),
        ],
        hints=[
            "Every field you name must match (AND); each value is a list of rules, any of which "
            "may match (OR).",
            "Exact values are strings in a list: 'source': ['shop.orders'], 'detail-type': "
            "['OrderPlaced']; the order's own fields go under 'detail'.",
            "'Over 100' is 'total': [{'numeric': ['>', 100]}]; 'starts with BOOK-' is "
            "'sku': [{'prefix': 'BOOK-'}].",
        ],
        solution=solution_source(__package__, "book_orders_pattern"),
    )
)
