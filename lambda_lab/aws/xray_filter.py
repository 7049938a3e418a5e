"""X-Ray filter expressions: a parser and an evaluator over a summarised trace (no moto here).

X-Ray Developer Guide, "Using filter expressions": ``keyword operator value``, combined with
``AND`` / ``OR`` (also ``&&`` / ``||``; two expressions side by side are ANDed), negated with
``!``, grouped with parentheses.

* Boolean keywords ``ok``, ``error``, ``throttle``, ``fault``, ``partial``: alone (true), after
  ``!`` (false), or compared ``= true`` / ``!= false``.
* Number keywords ``responsetime``, ``duration``, ``http.status``: ``= != < <= > >=``.
* String keywords ``http.url``, ``http.method``, ``http.useragent``, ``http.clientip``, ``user``:
  ``= !=``, ``CONTAINS``, ``BEGINSWITH``, ``ENDSWITH``.
* ``annotation.KEY`` (or ``annotation[KEY]``): the value of an annotation on any segment or
  subsegment, compared as its type (a string, a number or a boolean); alone, true if the trace
  has a true boolean or any other value under that key.
* ``service("name")``, ``service(id(name: "n", type: "t"))``, optionally followed by
  ``{ expression }`` whose keywords (``ok``, ``error``, ``fault``, ``throttle``,
  ``responsetime``) then apply to that service's segments; ``edge("a", "b")`` likewise for a
  call from service a to service b.

Keywords and operators are case-insensitive. :func:`parse` raises :class:`FilterError` on
anything else (the front answers InvalidRequestException).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["FilterError", "ServiceView", "TraceView", "matches", "parse"]


class FilterError(ValueError):
    """The filter expression is not one this parser understands."""


@dataclass
class ServiceView:
    """One service (a segment's, or a downstream node inferred from a subsegment) of a trace."""

    name: str
    type: str
    ok: bool = False
    error: bool = False
    fault: bool = False
    throttle: bool = False
    responsetimes: list[float] = field(default_factory=list)  #: seconds, one per segment


@dataclass
class TraceView:
    """What a filter expression can see of one trace."""

    responsetime: float
    duration: float
    ok: bool
    error: bool
    fault: bool
    throttle: bool
    partial: bool
    http: dict[str, Any] = field(default_factory=dict)  #: status, url, method, useragent, clientip
    users: list[str] = field(default_factory=list)
    annotations: list[tuple[str, Any]] = field(default_factory=list)
    services: list[ServiceView] = field(default_factory=list)
    #: (caller name, callee name) -> the callee's view along that edge
    edges: dict[tuple[str, str], ServiceView] = field(default_factory=dict)


Predicate = Callable[[TraceView, "ServiceView | None"], bool]

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*')
    | (?P<number>-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)
    | (?P<op>!=|<=|>=|&&|\|\||[=<>!(){}\[\],:.])
    | (?P<word>[A-Za-z_][A-Za-z0-9_\-]*)
    )""", re.VERBOSE)

BOOLEAN = ("ok", "error", "fault", "throttle", "partial")
NUMBER = ("responsetime", "duration", "http.status")
STRING = ("http.url", "http.method", "http.useragent", "http.clientip", "user")
COMPARE = {"=", "!=", "<", "<=", ">", ">=", "contains", "beginswith", "endswith"}


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            raise FilterError(f"unexpected character at position {pos}: {text[pos:pos + 10]!r}")
        kind = m.lastgroup or ""
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.i = 0

    # -- helpers
    def peek(self, k: int = 0) -> tuple[str, str] | None:
        j = self.i + k
        return self.tokens[j] if j < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        tok = self.peek()
        if tok is None:
            raise FilterError("unexpected end of the expression")
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        tok = self.take()
        if tok[1].lower() != value:
            raise FilterError(f"expected {value!r}, found {tok[1]!r}")

    def at(self, *values: str) -> bool:
        tok = self.peek()
        return tok is not None and tok[0] in ("op", "word") and tok[1].lower() in values

    # -- grammar
    def parse(self) -> Predicate:
        if not self.tokens:
            raise FilterError("the expression is empty")
        node = self.or_()
        if self.peek() is not None:
            raise FilterError(f"unexpected {self.peek()[1]!r}")  # type: ignore[index]
        return node

    def or_(self) -> Predicate:
        parts = [self.and_()]
        while self.at("or", "||"):
            self.take()
            parts.append(self.and_())
        return parts[0] if len(parts) == 1 else (lambda t, s: any(p(t, s) for p in parts))

    def and_(self) -> Predicate:
        parts = [self.unary()]
        while self.peek() is not None and not self.at("or", "||", ")", "}"):
            if self.at("and", "&&"):
                self.take()
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda t, s: all(p(t, s) for p in parts))

    def unary(self) -> Predicate:
        if self.at("!"):
            self.take()
            inner = self.unary()
            return lambda t, s: not inner(t, s)
        if self.at("("):
            self.take()
            inner = self.or_()
            self.expect(")")
            return inner
        if self.at("service"):
            return self.service()
        if self.at("edge"):
            return self.edge()
        return self.comparison()

    def _target(self) -> tuple[str | None, str | None]:
        """A service's name, or ``id(name: …, type: …)``."""
        tok = self.take()
        if tok[0] == "string":
            return _unquote(tok[1]), None
        if tok[1].lower() != "id":
            raise FilterError(f"expected a service name or id(...), found {tok[1]!r}")
        self.expect("(")
        found: dict[str, str] = {}
        while True:
            key = self.take()[1].lower()
            self.expect(":")
            value = self.take()
            if key not in ("name", "type") or value[0] != "string":
                raise FilterError(f"id() takes name: \"...\" and type: \"...\", not {key!r}")
            found[key] = _unquote(value[1])
            if self.at(")"):
                self.take()
                return found.get("name"), found.get("type")
            self.expect(",")

    def _body(self) -> Predicate | None:
        if not self.at("{"):
            return None
        self.take()
        inner = self.or_()
        self.expect("}")
        return inner

    def service(self) -> Predicate:
        self.take()
        self.expect("(")
        name, kind = (None, None) if self.at(")") else self._target()
        self.expect(")")
        body = self._body()

        def check(t: TraceView, _s: ServiceView | None) -> bool:
            return any((name is None or v.name == name) and (kind is None or v.type == kind)
                       and (body is None or body(t, v)) for v in t.services)
        return check

    def edge(self) -> Predicate:
        self.take()
        self.expect("(")
        a, _ = self._target()
        self.expect(",")
        b, _ = self._target()
        self.expect(")")
        body = self._body()

        def check(t: TraceView, _s: ServiceView | None) -> bool:
            view = t.edges.get((a or "", b or ""))
            return view is not None and (body is None or body(t, view))
        return check

    def keyword(self) -> str:
        tok = self.take()
        if tok[0] != "word":
            raise FilterError(f"expected a keyword, found {tok[1]!r}")
        word = tok[1]
        if word.lower() == "annotation":
            if self.at("["):
                self.take()
                key = self.take()
                self.expect("]")
                return "annotation." + (_unquote(key[1]) if key[0] == "string" else key[1])
            self.expect(".")
            key = self.take()
            if key[0] != "word":
                raise FilterError(f"expected an annotation key, found {key[1]!r}")
            return "annotation." + key[1]
        word = word.lower()
        while self.at("."):
            self.take()
            word += "." + self.take()[1].lower()
        if word not in BOOLEAN + NUMBER + STRING:
            raise FilterError(f"unknown keyword {word!r}")
        return word

    def comparison(self) -> Predicate:
        key = self.keyword()
        tok = self.peek()
        if tok is None or tok[0] not in ("op", "word") or tok[1].lower() not in COMPARE:
            if key in BOOLEAN or key.startswith("annotation."):
                return lambda t, s: _truthy(_values(key, t, s))
            raise FilterError(f"{key!r} needs an operator and a value")
        op = self.take()[1].lower()
        raw = self.take()
        value = _literal(raw)
        if key in BOOLEAN and (op not in ("=", "!=") or not isinstance(value, bool)):
            raise FilterError(f"{key!r} compares only with = or != true/false")
        if key in NUMBER and (isinstance(value, (bool, str)) or op in _STRING_OPS):
            raise FilterError(f"{key!r} is a number keyword")
        if key in STRING and (not isinstance(value, str) or op not in ("=", "!=", *_STRING_OPS)):
            raise FilterError(f"{key!r} is a string keyword")
        return lambda t, s: any(_compare(v, op, value) for v in _values(key, t, s))


_STRING_OPS = ("contains", "beginswith", "endswith")


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text[1:-1])


def _literal(tok: tuple[str, str]) -> Any:
    kind, text = tok
    if kind == "string":
        return _unquote(text)
    if kind == "number":
        return float(text)
    if kind == "word" and text.lower() in ("true", "false"):
        return text.lower() == "true"
    raise FilterError(f"expected a value, found {text!r}")


def _values(key: str, t: TraceView, s: ServiceView | None) -> list[Any]:
    """The values ``key`` has in the trace (or, inside ``service(…) {…}``, in that service)."""
    if key.startswith("annotation."):
        name = key.split(".", 1)[1]
        return [v for k, v in t.annotations if k == name]
    if s is not None and key in ("ok", "error", "fault", "throttle"):
        return [getattr(s, key)]
    if s is not None and key == "responsetime":
        return list(s.responsetimes)
    if key in BOOLEAN:
        return [getattr(t, key)]
    if key in ("responsetime", "duration"):
        return [getattr(t, key)]
    if key == "user":
        return list(t.users)
    value = t.http.get(key.split(".", 1)[1])
    return [] if value is None else [value]


def _truthy(values: list[Any]) -> bool:
    return any(v is True or not isinstance(v, bool) for v in values)


def _compare(actual: Any, op: str, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(actual, bool):
        if not (isinstance(wanted, bool) and isinstance(actual, bool)):
            return False
    elif isinstance(wanted, float):
        if not isinstance(actual, (int, float)):
            return False
        actual = float(actual)
    elif not isinstance(actual, str):
        return False
    if op == "=":
        return bool(actual == wanted)
    if op == "!=":
        return bool(actual != wanted)
    if op in _STRING_OPS:
        if not isinstance(actual, str):
            return False
        return {"contains": wanted in actual, "beginswith": actual.startswith(wanted),
                "endswith": actual.endswith(wanted)}[op]
    if isinstance(actual, bool):
        return False
    try:
        return {"<": actual < wanted, "<=": actual <= wanted, ">": actual > wanted,
                ">=": actual >= wanted}[op]
    except TypeError:
        return False


def parse(text: str) -> Predicate:
    """Compile a filter expression. Raises FilterError."""
    return _Parser(text).parse()


def matches(predicate: Predicate, trace: TraceView) -> bool:
    """Whether ``trace`` satisfies a compiled filter expression."""
    return predicate(trace, None)
