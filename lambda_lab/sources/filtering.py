"""Event filtering on event source mappings (``FilterCriteria``), and the EventBridge pattern
matcher it shares with EventBridge rules.

Matching is moto's EventBridge matcher (``moto.events.models.EventPattern``) with AWS's rules
where moto's differ (:class:`Pattern`): arrays of objects are matched element by element
(``{"items": {"sku": ["a"]}}`` matches ``{"items": [{"sku": "a"}, {"sku": "b"}]}``), exact values
compare type and value (``1`` matches neither ``true`` nor ``1.0``; DG: "For numbers, Lambda also
uses string representation"), ``numeric`` and ``anything-but`` never take a boolean for a
number, and an operator the matcher does not know never matches. :func:`check_pattern` checks a
pattern's syntax as AWS does before anything is stored.

A mapping's :class:`FilterCriteria` (DG "Control which events Lambda sends to your function"):
at most :data:`MAX_FILTERS` patterns, each a JSON object of at most :data:`PATTERN_MAX_CHARS`
characters, ORed; a record matching none is dropped. Each source shows patterns a view of its
record (:func:`record_view`): SQS the record with ``body`` parsed when it is JSON (a JSON body
only meets a JSON ``body`` pattern, a plain one only a plain-string pattern: otherwise the
message is dropped); Kinesis the record's metadata with the ``kinesis`` fields lifted to the top
and ``data`` base64-decoded and parsed (not JSON: only patterns without ``data`` match);
DynamoDB Streams the record as the function gets it (``ApproximateCreationDateTime`` a number).
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import json
from dataclasses import dataclass
from typing import Any

from moto.events.models import UNDEFINED, EventPattern

from ..errors import InvalidParameterValueException, ValidationException

__all__ = ["MAX_FILTERS", "PATTERN_MAX_CHARS", "FilterCriteria", "Pattern", "check_pattern",
           "matches", "parse_criteria", "record_view"]

MAX_FILTERS = 5  #: filters per mapping (the default quota; AWS raises it to 10 on request)
PATTERN_MAX_CHARS = 4096  #: botocore ``Pattern`` max length
INVALID = "Invalid filter pattern definition."
#: the key holding a record's content, per source (DG invocation-eventfiltering)
DATA_KEYS = {"sqs": "body", "kinesis": "data", "dynamodb": "dynamodb"}

_SCALARS = (str, int, float, bool, type(None))
_NUMERIC_OPS = ("<", "<=", "=", ">=", ">")


class InvalidPattern(ValueError):
    """A pattern AWS would refuse (the reason is for the emulator's log, AWS does not say)."""


# ----------------------------------------------------------------- the matcher


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


def _put(out: dict[str, Any], key: str, value: Any, in_array: bool) -> None:
    if not in_array and key not in out:
        out[key] = value
        return
    found = out.get(key, UNDEFINED)
    values = [] if found is UNDEFINED else (list(found) if isinstance(found, list) else [found])
    values.extend(value if isinstance(value, list) else [value])
    out[key] = values


def _flatten(node: dict[str, Any], prefix: str, out: dict[str, Any], in_array: bool) -> None:
    for k, v in node.items():
        key = f"{prefix}.{k}" if prefix else k
        if isinstance(v, dict) and v:
            _flatten(v, key, out, in_array)
        elif isinstance(v, list) and any(isinstance(i, dict) for i in v):
            for item in v:
                if isinstance(item, dict):
                    _flatten(item, key, out, True)
                else:
                    _put(out, key, item, True)
        else:
            _put(out, key, v, in_array)


class Pattern(EventPattern):
    """moto's EventBridge pattern matcher, with AWS's rules where moto's differ (module doc)."""

    @staticmethod
    def _flatten_dict(node: Any, prefix: str = "",
                      result: dict[str, Any] | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {} if result is None else result
        if isinstance(node, dict):
            _flatten(node, prefix, out, False)
        return out

    def _does_item_match_filters(self, item: Any, filters: list[Any]) -> bool:
        for f in filters:
            if isinstance(f, dict):
                if self._does_item_match_named_filter(item, f):
                    return True
            elif item is UNDEFINED:
                continue
            elif isinstance(item, list):
                if any(_same(i, f) for i in item):
                    return True
            elif _same(item, f):
                return True
        return False

    @staticmethod
    def _does_item_match_named_filter(item: Any, pattern: dict[str, Any]) -> bool:
        name, value = next(iter(pattern.items()))
        if name not in _OPERATORS:
            return False
        if name == "exists" or item is UNDEFINED:
            return EventPattern._does_item_match_named_filter(item, pattern)
        items = item if isinstance(item, list) else [item]
        if name == "numeric":
            items = [i for i in items if not isinstance(i, bool)]
            return any(EventPattern._does_item_match_named_filter(i, pattern) for i in items)
        if name == "anything-but" and not isinstance(value, dict):
            values = value if isinstance(value, list) else [value]
            return any(not any(_same(i, v) for v in values) for i in items)
        return EventPattern._does_item_match_named_filter(item, pattern)


def matches(pattern: dict[str, Any], event: Any) -> bool:
    """Whether ``event`` matches the (checked) EventBridge ``pattern``."""
    return Pattern(None, pattern).matches_event(event)


# ----------------------------------------------------------------- the syntax


def _is_number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _string_or_ignore_case(v: Any) -> bool:
    if isinstance(v, dict):
        return list(v) == ["equals-ignore-case"] and isinstance(v["equals-ignore-case"], str)
    return isinstance(v, str)


def _strings(v: Any) -> bool:
    if isinstance(v, list):
        return bool(v) and all(isinstance(s, str) for s in v)
    return isinstance(v, str)


def _wildcard(v: Any) -> bool:
    return _strings(v) and all("**" not in s for s in (v if isinstance(v, list) else [v]))


def _cidr(v: Any) -> bool:
    try:
        ipaddress.ip_network(v, strict=False)
    except (TypeError, ValueError):
        return False
    return isinstance(v, str) and "/" in v


def _numeric(v: Any) -> bool:
    if not isinstance(v, list) or len(v) not in (2, 4):
        return False
    ops, nums = v[::2], v[1::2]
    if any(op not in _NUMERIC_OPS for op in ops) or not all(_is_number(n) for n in nums):
        return False
    if len(v) == 2:
        return True
    return ops[0] in (">", ">=") and ops[1] in ("<", "<=") and nums[0] < nums[1]


def _anything_but(v: Any) -> bool:
    if isinstance(v, dict):
        if len(v) != 1:
            return False
        name, inner = next(iter(v.items()))
        if name in ("prefix", "suffix"):
            return isinstance(inner, str)
        return name in ("equals-ignore-case", "wildcard") and _strings(inner)
    if isinstance(v, list):
        return bool(v) and (all(isinstance(s, str) for s in v) or all(_is_number(n) for n in v))
    return isinstance(v, str) or _is_number(v)


_OPERATORS = {
    "prefix": _string_or_ignore_case,
    "suffix": _string_or_ignore_case,
    "equals-ignore-case": _strings,
    "anything-but": _anything_but,
    "numeric": _numeric,
    "exists": lambda v: isinstance(v, bool),
    "cidr": _cidr,
    "wildcard": _wildcard,
}


def _check_rules(key: str, rules: list[Any]) -> None:
    if not rules:
        raise InvalidPattern(f"{key}: empty arrays are not allowed")
    for rule in rules:
        if isinstance(rule, dict):
            if len(rule) != 1:
                raise InvalidPattern(f"{key}: an operator object has exactly one key")
            name, value = next(iter(rule.items()))
            check = _OPERATORS.get(name)
            if check is None:
                raise InvalidPattern(f"{key}: unrecognized operator {name!r}")
            if not check(value):
                raise InvalidPattern(f"{key}: malformed {name!r} {json.dumps(value)}")
        elif not isinstance(rule, _SCALARS):
            raise InvalidPattern(f"{key}: match values are strings, numbers, booleans or null")


def _check_object(node: dict[str, Any], path: str) -> None:
    for key, value in node.items():
        where = f"{path}.{key}" if path else key
        if key == "$or":
            if not isinstance(value, list) or len(value) < 2 or not all(
                    isinstance(p, dict) and p for p in value):
                raise InvalidPattern(f"{where}: $or takes an array of at least two objects")
            for p in value:
                _check_object(p, path)
        elif isinstance(value, dict):
            _check_object(value, where)
        elif isinstance(value, list):
            _check_rules(where, value)
        else:
            raise InvalidPattern(f"{where}: must be an object or an array")


def check_pattern(text: Any, kind: str | None = None) -> dict[str, Any]:
    """The parsed pattern ``text`` (a JSON object in EventBridge pattern syntax).

    ``kind`` (sqs, kinesis, dynamodb): a stream's data key (``data``, ``dynamodb``) must hold
    an object, as AWS requires on create and update. Raises :class:`InvalidPattern`."""
    if not isinstance(text, str) or not text.strip():
        raise InvalidPattern("the pattern is not a JSON string")
    try:
        pattern = json.loads(text)
    except ValueError:
        raise InvalidPattern("the pattern is not valid JSON") from None
    if not isinstance(pattern, dict):
        raise InvalidPattern("the pattern is not a JSON object")
    _check_object(pattern, "")
    if kind in ("kinesis", "dynamodb"):
        data = pattern.get(DATA_KEYS[kind], {})
        if not isinstance(data, dict):
            raise InvalidPattern(f"{DATA_KEYS[kind]}: a stream's data pattern must be JSON")
    return pattern


# ----------------------------------------------------------------- a mapping's criteria


@dataclass(frozen=True)
class FilterCriteria:
    """A mapping's filters: the pattern strings as given and their parsed form."""

    texts: tuple[str, ...]
    patterns: tuple[dict[str, Any], ...]

    def shape(self) -> dict[str, Any]:
        """``FilterCriteria`` as the API returns it."""
        return {"Filters": [{"Pattern": text} for text in self.texts]}

    def matches(self, kind: str, record: dict[str, Any]) -> bool:
        """Whether one pattern lets ``record`` (as the function would get it) through."""
        return any(_match_one(kind, p, record) for p in self.patterns)


def parse_criteria(body: Any, kind: str) -> FilterCriteria | None:
    """The ``FilterCriteria`` of a Create/UpdateEventSourceMapping request; None when it holds
    no filter (an empty ``Filters`` list, or ``{}``, clears the criteria).

    Raises ValidationException (a pattern over 4,096 characters, the model's constraint) or
    InvalidParameterValueException ("Invalid filter pattern definition.", more than 5 filters).
    """
    if body is None:
        return None
    if not isinstance(body, dict) or not isinstance(body.get("Filters", []), list):
        raise InvalidParameterValueException(INVALID)
    filters = body.get("Filters") or []
    if len(filters) > MAX_FILTERS:
        raise InvalidParameterValueException(  # emulator wording
            f"The number of filters ({len(filters)}) exceeds the quota of {MAX_FILTERS} "
            "filters per event source mapping.")
    texts, patterns = [], []
    for i, f in enumerate(filters, start=1):
        text = f.get("Pattern") if isinstance(f, dict) else None
        if isinstance(text, str) and len(text) > PATTERN_MAX_CHARS:
            raise ValidationException(
                f"1 validation error detected: Value '{text}' at "
                f"'filterCriteria.filters.{i}.member.pattern' failed to satisfy constraint: "
                f"Member must have length less than or equal to {PATTERN_MAX_CHARS}")
        try:
            patterns.append(check_pattern(text, kind))
        except InvalidPattern:
            raise InvalidParameterValueException(INVALID) from None
        texts.append(text)
    if not texts:
        return None
    return FilterCriteria(tuple(texts), tuple(patterns))


# ----------------------------------------------------------------- what a pattern sees


def _json(text: Any) -> tuple[bool, Any]:
    if not isinstance(text, str):
        return False, text
    try:
        return True, json.loads(text)
    except ValueError:
        return False, text


def _kinesis_data(data: Any) -> tuple[bool, Any]:
    try:
        raw = base64.b64decode(data, validate=True).decode("utf-8")
    except (binascii.Error, TypeError, ValueError):
        return False, data
    return _json(raw)


def record_view(kind: str, record: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """What patterns see of ``record`` (a ``Records`` entry), and whether its data is JSON."""
    if kind == "sqs":
        is_json, body = _json(record.get("body"))
        return {**record, "body": body}, is_json
    if kind == "kinesis":
        inner = dict(record.get("kinesis") or {})
        is_json, inner["data"] = _kinesis_data(inner.get("data"))
        top = {k: v for k, v in record.items() if k != "kinesis"}
        return {**top, **inner}, is_json
    return record, True


def _match_one(kind: str, pattern: dict[str, Any], record: dict[str, Any]) -> bool:
    view, is_json = record_view(kind, record)
    rule = pattern.get(DATA_KEYS.get(kind, ""), UNDEFINED)
    if rule is not UNDEFINED:
        if isinstance(rule, dict) and not is_json:
            return False  # a JSON pattern for data that is not JSON: dropped (DG)
        if isinstance(rule, list) and is_json:
            return False  # a plain-string pattern for a JSON body: dropped (DG, SQS)
    return matches(pattern, view)
