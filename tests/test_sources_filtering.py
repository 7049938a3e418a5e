"""The EventBridge pattern matcher and the FilterCriteria syntax (lambda_lab.sources.filtering),
without AWS.

Sources: Lambda DG "Control which events Lambda sends to your function" (the comparison
operators table: Null, Empty, Equals, Equals (ignore case), And, Or, Not, Numeric (equals),
Numeric (range), Exists, Does not exist, Begins with, Ends with; "For numbers, Lambda also uses
string representation. For example, 300, 300.0, and 3.0e2 are not considered equal"; "the
event must contain all the field names included in a filter"), the EventBridge User Guide
"Comparison operators for use in event patterns" (anything-but with prefix/suffix/ignore-case,
$or, wildcard, "Comparison operators only work on leaf nodes") and "Event patterns" ("If the
value in the event is an array, then the event pattern matches if the intersection of the event
pattern array and the event array is non-empty"), and AWS's recorded answers to invalid
patterns (LocalStack snapshots test_sqs_invalid_event_filter, test_dynamodb_invalid_event_filter:
InvalidParameterValueException "Invalid filter pattern definition.").
"""

from __future__ import annotations

import json

import pytest

from lambda_lab.errors import InvalidParameterValueException, ValidationException
from lambda_lab.sources.filtering import (
    InvalidPattern,
    check_pattern,
    matches,
    parse_criteria,
    record_view,
)

ORDER = {"type": "order", "total": 120, "country": "FR", "tags": ["new", "gift"],
         "customer": {"name": "Alice", "email": "a@example.com", "vip": True},
         "lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}],
         "coupon": None, "note": ""}


@pytest.mark.parametrize("pattern, expected", [
    ({"coupon": [None]}, True),  # Null
    ({"note": [""]}, True),  # Empty
    ({"type": ["order"]}, True),  # Equals
    ({"type": ["Order"]}, False),  # "exact character-by-character matching"
    ({"type": [{"equals-ignore-case": "ORDER"}]}, True),  # Equals (ignore case)
    ({"type": ["order"], "country": ["FR"]}, True),  # And
    ({"type": ["order"], "country": ["DE"]}, False),
    ({"country": ["DE", "FR"]}, True),  # Or (values)
    ({"country": [{"anything-but": ["DE", "IT"]}]}, True),  # Not
    ({"country": [{"anything-but": "FR"}]}, False),
    ({"total": [{"numeric": ["=", 120]}]}, True),  # Numeric (equals)
    ({"total": [{"numeric": [">", 100, "<=", 200]}]}, True),  # Numeric (range)
    ({"total": [{"numeric": [">", 120]}]}, False),
    ({"customer": {"email": [{"exists": True}]}}, True),  # Exists
    ({"customer": {"phone": [{"exists": False}]}}, True),  # Does not exist
    ({"customer": {"email": [{"exists": False}]}}, False),
    ({"country": [{"prefix": "F"}]}, True),  # Begins with
    ({"customer": {"email": [{"suffix": "@example.com"}]}}, True),  # Ends with
    ({"customer": {"email": [{"suffix": {"equals-ignore-case": "@EXAMPLE.COM"}}]}}, True),
    ({"country": [{"anything-but": {"prefix": "F"}}]}, False),
    ({"customer": {"name": [{"wildcard": "A*e"}]}}, True),
    ({"customer": {"vip": [True]}}, True),  # nested keys, a boolean
    ({"tags": ["gift"]}, True),  # an event array: a non-empty intersection
    ({"tags": ["old"]}, False),
    ({"lines": {"sku": ["B-7"]}}, True),  # an array of objects, element by element
    ({"lines": {"qty": [{"numeric": [">", 1]}]}}, True),
    ({"lines": {"sku": ["C-0"]}}, False),
    ({"missing": [{"anything-but": "x"}]}, False),  # "must contain all the field names"
    ({"missing": ["x"]}, False),
    ({"$or": [{"country": ["DE"]}, {"total": [{"numeric": [">=", 100]}]}]}, True),
    ({"$or": [{"country": ["DE"]}, {"total": [{"numeric": ["<", 100]}]}]}, False),
    ({"customer": [{"exists": True}]}, False),  # operators only work on leaf nodes
])
def test_the_dg_operator_table(pattern, expected):
    assert check_pattern(json.dumps(pattern)) == pattern
    assert matches(pattern, ORDER) is expected


def test_numbers_compare_by_representation_and_booleans_are_not_numbers():
    """DG: 300 and 300.0 are not considered equal; EventBridge: true is a boolean, not 1."""
    assert matches({"n": [300]}, {"n": 300})
    assert not matches({"n": [300]}, {"n": 300.0})
    assert not matches({"n": [1]}, {"n": True})
    assert not matches({"b": [True]}, {"b": 1})
    assert not matches({"b": [{"numeric": [">", 0]}]}, {"b": True})
    assert matches({"b": [{"anything-but": [1]}]}, {"b": True})


@pytest.mark.parametrize("text", [
    None, "", "simple string", "null", "[]", '[{"eventName": ["INSERT"=123}]',
    json.dumps({"eventSource": "aws:sqs"}),  # a value must be an array or an object
    json.dumps({"eventSource": []}),  # empty arrays are not allowed
    json.dumps({"a": [{"shout": "x"}]}),  # not an operator
    json.dumps({"a": [{"prefix": "x", "suffix": "y"}]}),  # one operator per object
    json.dumps({"a": [{"prefix": 1}]}),
    json.dumps({"a": [{"numeric": [">", "1"]}]}),
    json.dumps({"a": [{"numeric": ["<", 10, ">", 1]}]}),  # the lower bound comes first
    json.dumps({"a": [{"numeric": [">", 10, "<", 1]}]}),  # an empty range
    json.dumps({"a": [{"exists": "yes"}]}),
    json.dumps({"a": [{"anything-but": []}]}),
    json.dumps({"a": [{"anything-but": ["x", 1]}]}),
    json.dumps({"a": [{"cidr": "10.0.0.1"}]}),
    json.dumps({"a": [["nested"]]}),
    json.dumps({"$or": [{"a": ["x"]}]}),  # $or takes at least two alternatives
])
def test_invalid_patterns_are_refused(text):
    with pytest.raises(InvalidPattern):
        check_pattern(text)
    with pytest.raises(InvalidParameterValueException) as info:
        parse_criteria({"Filters": [{"Pattern": text}]}, "sqs")
    assert info.value.message == "Invalid filter pattern definition."


def test_a_streams_data_pattern_must_be_json():
    """DG "Properly filtering Kinesis and DynamoDB messages": a non-JSON filter pattern for data
    properties: "Lambda throws an exception at the time of the event source mapping creation or
    update"; SQS takes a plain-string body pattern."""
    for kind, key in (("kinesis", "data"), ("dynamodb", "dynamodb")):
        with pytest.raises(InvalidParameterValueException):
            parse_criteria({"Filters": [{"Pattern": json.dumps({key: ["text"]})}]}, kind)
    assert parse_criteria({"Filters": [{"Pattern": '{"body": ["text"]}'}]}, "sqs") is not None


def test_criteria_limits_and_clearing():
    """At most five filters (the default quota, DG); a Pattern of at most 4,096 characters (the
    API model's constraint, a ValidationException); an empty Filters list clears (DG: "To remove
    filter criteria ... with an empty FilterCriteria object")."""
    one = {"Pattern": '{"a": ["x"]}'}
    assert parse_criteria({"Filters": [one] * 5}, "sqs").shape() == {"Filters": [one] * 5}
    with pytest.raises(InvalidParameterValueException):
        parse_criteria({"Filters": [one] * 6}, "sqs")
    long = json.dumps({"a": ["x" * 4090]})
    with pytest.raises(ValidationException, match="less than or equal to 4096"):
        parse_criteria({"Filters": [{"Pattern": long}]}, "sqs")
    assert parse_criteria({"Filters": []}, "sqs") is None
    assert parse_criteria({}, "sqs") is None


def sqs(body: str) -> dict:
    return {"messageId": "m1", "body": body, "attributes": {"ApproximateReceiveCount": "1"},
            "eventSource": "aws:sqs", "awsRegion": "us-east-1"}


def test_sqs_body_formats():
    """DG "Properly filtering Amazon SQS messages": a plain-string body meets a plain-string
    pattern; a JSON body a JSON pattern; a mismatch drops the message; a pattern without body
    filters on the metadata only."""
    json_pattern = parse_criteria({"Filters": [{"Pattern": '{"body": {"type": ["order"]}}'}]},
                                  "sqs")
    plain_pattern = parse_criteria({"Filters": [{"Pattern": '{"body": ["ping"]}'}]}, "sqs")
    meta_pattern = parse_criteria(
        {"Filters": [{"Pattern": '{"attributes": {"ApproximateReceiveCount": ["1"]}}'}]}, "sqs")
    assert json_pattern.matches("sqs", sqs('{"type": "order"}'))
    assert not json_pattern.matches("sqs", sqs('{"type": "refund"}'))
    assert not json_pattern.matches("sqs", sqs("order"))
    assert plain_pattern.matches("sqs", sqs("ping"))
    assert not plain_pattern.matches("sqs", sqs('"ping"'))  # valid JSON: dropped
    assert not plain_pattern.matches("sqs", sqs("pong"))
    assert meta_pattern.matches("sqs", sqs("anything at all"))
    assert meta_pattern.matches("sqs", sqs('{"type": "order"}'))


def test_kinesis_view_decodes_data_and_lifts_the_kinesis_fields():
    """DG with-kinesis-filtering: filter on ``data`` (the producer's JSON, base64-decoded) and
    on metadata such as ``partitionKey``; non-JSON data meets only patterns without data."""
    import base64

    def record(data: bytes) -> dict:
        return {"kinesis": {"partitionKey": "1", "sequenceNumber": "5",
                            "data": base64.b64encode(data).decode()},
                "eventSource": "aws:kinesis", "eventName": "aws:kinesis:record"}

    view, is_json = record_view("kinesis", record(b'{"order": {"type": "buy"}}'))
    assert is_json and view["data"] == {"order": {"type": "buy"}} and view["partitionKey"] == "1"
    both = parse_criteria({"Filters": [{"Pattern": json.dumps(
        {"partitionKey": ["1"], "data": {"order": {"type": ["buy"]}}})}]}, "kinesis")
    assert both.matches("kinesis", record(b'{"order": {"type": "buy"}}'))
    assert not both.matches("kinesis", record(b'{"order": {"type": "sell"}}'))
    assert not both.matches("kinesis", record(b"not json"))
    meta = parse_criteria({"Filters": [{"Pattern": '{"partitionKey": ["1"]}'}]}, "kinesis")
    assert meta.matches("kinesis", record(b"not json"))


def test_filters_are_ored():
    """DG: "Your filters are logically ORed together"."""
    criteria = parse_criteria({"Filters": [{"Pattern": '{"body": {"a": [1]}}'},
                                           {"Pattern": '{"body": {"b": [2]}}'}]}, "sqs")
    assert criteria.matches("sqs", sqs('{"a": 1}')) and criteria.matches("sqs", sqs('{"b": 2}'))
    assert not criteria.matches("sqs", sqs('{"a": 2, "b": 1}'))
