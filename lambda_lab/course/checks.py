"""Checks and helpers that exercises of several chapters share.

A chapter's exercises live in its own folder (``lambda_lab/course/chapters/chNN_*/``); what more
than one chapter needs to judge an answer lives here, beside the machinery in
:mod:`lambda_lab.course.exercises`.
"""

from __future__ import annotations

import ast
import inspect
import itertools
from typing import Any

from lambda_lab.course.exercises import FakeContext, is_unanswered

__all__ = [
    "code_not_attempted",
    "defines_handler",
    "normalised",
    "run_numbers",
    "same_code",
    "stub_code",
    "takes_event_and_context",
]

#: Numbers for the names of the functions, queues and streams an exercise's checker creates.
run_numbers = itertools.count(1)


def takes_event_and_context(handler: Any) -> str | None:
    if not callable(handler):
        return f"handler should be a function, not {type(handler).__name__}"
    try:
        inspect.signature(handler).bind({}, FakeContext())
    except TypeError:
        return "define it as def handler(event, context): — Lambda passes exactly two arguments"
    except ValueError:
        return None  # no signature to inspect (a builtin): let the calls below decide
    return None


def normalised(source: str) -> str:
    return "\n".join(line.rstrip() for line in inspect.cleandoc(source).splitlines() if line)


def stub_code(stub: str) -> str:
    return run_stub(stub)["code"]


def run_stub(stub: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(stub, "<stub>", "exec"), namespace)
    return namespace


def same_code(a: str, b: str) -> bool:
    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.strip().splitlines() if line.strip()]

    return lines(a) == lines(b)


def code_not_attempted(stub: str) -> Any:
    def not_attempted(answer: Any) -> bool:
        if is_unanswered(answer):
            return True
        return isinstance(answer, str) and same_code(answer, stub_code(stub))

    return not_attempted


def defines_handler(answer: Any) -> str | None:
    if not isinstance(answer, str):
        return f"code should be the module's source text (a str), not {type(answer).__name__}"
    try:
        tree = ast.parse(answer)
    except SyntaxError as exc:
        return f"the code has a syntax error on line {exc.lineno}: {exc.msg}"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "handler":
            if len(node.args.args) == 2:
                return None
            return "define it as def handler(event, context): — Lambda passes two arguments"
    return "the code needs a module-level def handler(event, context):"
