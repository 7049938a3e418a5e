"""Checks and helpers that exercises of several chapters share.

A chapter's exercises live in its own folder (``lambda_lab/course/chapters/chNN_*/``); what more
than one chapter needs to judge an answer lives here, beside the machinery in
:mod:`lambda_lab.course.exercises`.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import linecache
from collections.abc import Callable
from typing import Any, Generic, TypeVar

from lambda_lab.course.exercises import FakeContext, is_unanswered

__all__ = [
    "LastRun",
    "in_session",
    "cell_defines_handler",
    "cell_module",
    "cell_not_attempted",
    "defines_handler",
    "module_source",
    "normalised",
    "run_numbers",
    "same_code",
    "same_module",
    "takes_event_and_context",
]

T = TypeVar("T")

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


def same_code(a: str, b: str) -> bool:
    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.strip().splitlines() if line.strip()]

    return lines(a) == lines(b)


def same_module(a: str, b: str) -> bool:
    """True if ``a`` and ``b`` are the same Python code: comments, blank lines and layout aside
    (text that does not parse is compared line by line, :func:`same_code`)."""
    try:
        return ast.dump(ast.parse(a)) == ast.dump(ast.parse(b))
    except SyntaxError:
        return same_code(a, b)


def module_source(answer: Any) -> str:
    """The module to deploy for ``answer``: module source text as it is, or for a function the
    whole code cell (or file) that defined it, as ``%%lambda`` deploys a cell.

    Raises:
        TypeError: if ``answer`` is neither, or the function's source cannot be read.
    """
    if isinstance(answer, str):
        return answer
    if not inspect.isfunction(answer):
        raise TypeError(f"expected a function or module source, not {type(answer).__name__}")
    lines = linecache.getlines(answer.__code__.co_filename)
    if not lines:
        raise TypeError(f"the source of {answer.__name__} cannot be read: define it in a cell")
    return "".join(lines)


def cell_module(answer: Any) -> str:
    """:func:`module_source` for a check: what stops it becomes the hint (an AssertionError)."""
    try:
        return module_source(answer)
    except TypeError as exc:
        raise AssertionError(f"first make handler a function defined in the cell ({exc})") from None


def cell_not_attempted(stub: str) -> Callable[[Any], bool]:
    """The ``not_attempted`` test of an exercise answered by a cell that is a module: nothing
    yet, or a module that is still ``stub`` (:func:`same_module`; source text counts too)."""

    def not_attempted(answer: Any) -> bool:
        if is_unanswered(answer):
            return True
        try:
            return same_module(cell_module(answer), stub)
        except AssertionError:
            return False

    return not_attempted


def cell_defines_handler(answer: Any) -> str | None:
    """Check that the answer's module (:func:`cell_module`) has ``def handler(event, context)``."""
    return defines_handler(cell_module(answer))


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


def in_session(run: Callable[..., T], *args: Any, **session: Any) -> T:
    """``run(aws, *args)`` on the emulator: in the active ``lambda_lab.mock_aws()`` session if
    there is one (sessions do not nest), else in a new one on a virtual clock, started with
    ``session`` as its other arguments (``seed=6``, …) and stopped afterwards.

    How a checker runs an answer for real, inside a notebook's session or on its own."""
    import lambda_lab
    from lambda_lab.aws import mock
    from lambda_lab.clock import VirtualClock

    if mock._active is not None:
        return run(mock._active, *args)
    with lambda_lab.mock_aws(clock=VirtualClock(), **session) as aws:
        return run(aws, *args)


class LastRun(Generic[T]):
    """``run(aws, answer)`` through :func:`in_session`, kept for the last answer checked: an
    exercise's checks each read the same run of one answer (the answer compared by identity,
    and held, so its id cannot be reused by another object)."""

    def __init__(self, run: Callable[[Any, Any], T], **session: Any) -> None:
        self._run = run
        self._session = session
        self._last: tuple[Any, T] | None = None

    def __call__(self, answer: Any) -> T:
        last = self._last
        if last is None or last[0] is not answer:
            last = self._last = (answer, in_session(self._run, answer, **self._session))
        return last[1]
