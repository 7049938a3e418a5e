"""Exercise checkers: a notebook's stub cell is graded by plain callables, with fixed-text feedback.

The pattern (see course-conventions.md): prompt -> stub cell -> checker cell -> solution on demand.
The checker cell's output is always exactly one line of text, so nbval can compare it:

* ``⏳ Not attempted yet — edit the cell above, run it, then run this one.``
* ``✅ 3 of 3 checks pass``
* ``❌ 1 of 3 checks pass — hint: <the first failing check's hint>``

:meth:`Exercise.check` never raises (except ``KeyboardInterrupt``, so a student can stop a runaway
handler): an exception inside a check is a failed check. What the answer prints while it is being
checked is kept on :attr:`Feedback.output` instead of cluttering the cell's output.

Reference solutions live beside each chapter's exercises, in ``chapters/chNN_*/solutions/``,
never in the student notebooks; :func:`solution_source` reads one.
"""

from __future__ import annotations

import ast
import contextlib
import inspect
import io
import linecache
import textwrap
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

__all__ = [
    "EXERCISES",
    "NOT_ATTEMPTED",
    "Check",
    "Exercise",
    "FakeContext",
    "Feedback",
    "Text",
    "check",
    "get",
    "hint",
    "is_stub",
    "is_unanswered",
    "register",
    "solution",
    "solution_source",
]

NOT_ATTEMPTED = "⏳ Not attempted yet — edit the cell above, run it, then run this one."


class Text(str):
    """A string that a notebook shows as-is (no quotes, real newlines) when it ends a cell."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Check:
    """One thing an answer must satisfy.

    ``fn(answer)`` passes by returning ``None`` (or ``True``). It fails by returning a hint string,
    by returning ``False``, or by raising: an ``AssertionError``'s message is used as the hint;
    for anything else :attr:`hint` is used, followed by what was raised.
    """

    #: Short statement of what is checked, e.g. "returns a dict".
    description: str
    #: The check itself: ``fn(answer) -> None | str`` (see above).
    fn: Callable[[Any], object]
    #: Hint shown when ``fn`` fails without saying why; defaults to the description.
    hint: str = ""

    def run(self, answer: Any) -> str | None:
        """Return ``None`` if the check passes, else the hint to show. Never raises."""
        fallback = self.hint or f"expected: {self.description}"
        try:
            outcome = self.fn(answer)
        except AssertionError as exc:
            return _first_line(str(exc)) or fallback
        except (Exception, SystemExit) as exc:  # SystemExit: a handler calling sys.exit()
            return f"{fallback} (your code raised {_describe(exc)})"
        if outcome is None or outcome is True:
            return None
        if isinstance(outcome, str) and outcome.strip():
            return _first_line(outcome)
        return fallback


def _first_line(text: str) -> str:
    # Feedback is one line: pytest's assertion rewriting, for one, appends the failed expression.
    return text.strip().split("\n", 1)[0].strip()


def _describe(exc: BaseException) -> str:
    message = _first_line(str(exc))
    if isinstance(exc, KeyError) and exc.args:
        message = repr(exc.args[0])
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


@dataclass(frozen=True, repr=False)
class Feedback:
    """The outcome of checking one answer. Shown in a notebook as its :attr:`text`, nothing more."""

    #: The exercise this is about.
    exercise_id: str
    #: How many checks passed (0 when not attempted).
    passed: int
    #: How many checks the exercise has.
    total: int
    #: The one line a checker cell shows (see the module docstring for the three forms).
    text: str
    #: False when the answer was still the stub.
    attempted: bool = True
    #: Whatever the answer printed to stdout/stderr while being checked.
    output: str = ""

    @property
    def ok(self) -> bool:
        """True when the answer was attempted and every check passes."""
        return self.attempted and self.passed == self.total

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def is_stub(obj: object) -> bool:
    """True if ``obj`` is a function whose body does nothing yet.

    A body "does nothing" when, apart from a docstring and comments, it is only ``pass``, ``...``
    or ``raise NotImplementedError``. Functions whose source cannot be read (built with ``exec``
    from a string, or builtins) count as real answers.
    """
    if not inspect.isfunction(obj):
        return False
    try:
        tree = ast.parse(textwrap.dedent(inspect.getsource(obj)))
    except (OSError, TypeError, SyntaxError, IndentationError):
        return False
    if not tree.body or not isinstance(tree.body[0], (ast.FunctionDef, ast.AsyncFunctionDef)):
        return False  # a lambda, whose source line is not a def
    body = tree.body[0].body
    if len(body) > 1 and _is_docstring(body[0]):
        body = body[1:]
    return all(_is_placeholder(statement) for statement in body)


def _is_docstring(node: ast.stmt) -> bool:
    return (
        isinstance(node, ast.Expr)
        and isinstance(node.value, ast.Constant)
        and isinstance(node.value.value, str)
    )


def _is_placeholder(node: ast.stmt) -> bool:
    if isinstance(node, ast.Pass):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return node.value.value is Ellipsis or isinstance(node.value.value, str)
    if isinstance(node, ast.Raise) and node.exc is not None:
        target = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        return isinstance(target, ast.Name) and target.id == "NotImplementedError"
    return False


def is_unanswered(answer: object) -> bool:
    """The default "not attempted" test: ``None``, ``...`` or a stub function (:func:`is_stub`)."""
    return answer is None or answer is Ellipsis or is_stub(answer)


class Exercise:
    """An exercise: checks an answer, gives hints, shows the reference solution on demand.

    Args:
        id: Unique id the notebook uses, e.g. ``"gb-seconds"``.
        title: One-line title.
        checks: The checks, in the order their hints should be shown.
        hints: Progressive hints for :meth:`hint`, gentlest first.
        solution: Reference solution as Python source; running it defines ``answer_name``.
        not_attempted: ``not_attempted(answer) -> bool``; defaults to :func:`is_unanswered`.
        topic: Notebook slug the exercise belongs to (see :data:`lambda_lab.course.topics.TOPICS`).
        answer_name: The name the stub and the solution bind the answer to.
        stub: The stub cell's source; running it must give a "not attempted" answer.

    Raises:
        ValueError: if ``id`` or ``solution`` is empty or there are no checks.
    """

    __slots__ = (
        "id",
        "title",
        "checks",
        "hints",
        "_solution",
        "not_attempted",
        "topic",
        "answer_name",
        "stub",
    )

    def __init__(
        self,
        id: str,
        title: str,
        checks: Iterable[Check],
        hints: Iterable[str],
        solution: str,
        not_attempted: Callable[[Any], bool] | None = None,
        *,
        topic: str = "",
        answer_name: str = "answer",
        stub: str = "answer = None  # TODO: replace None with your answer\n",
    ) -> None:
        self.id = id
        self.title = title
        self.checks = tuple(checks)
        self.hints = tuple(hints)
        self._solution = textwrap.dedent(solution).strip("\n") + "\n"
        self.not_attempted = not_attempted or is_unanswered
        self.topic = topic
        self.answer_name = answer_name
        self.stub = stub
        if not id:
            raise ValueError("an exercise needs an id")
        if not self.checks:
            raise ValueError(f"exercise {id!r} has no checks")
        if not solution.strip():
            raise ValueError(f"exercise {id!r} has no reference solution")

    def __repr__(self) -> str:
        return f"<Exercise {self.id!r}: {self.title}>"

    def check(self, answer: Any) -> Feedback:
        """Run every check against ``answer``. Never raises (``KeyboardInterrupt`` aside)."""
        total = len(self.checks)
        try:
            skipped = bool(self.not_attempted(answer))
        except Exception:
            skipped = False  # a not_attempted test that cannot decide must not hide real work
        if skipped:
            return Feedback(self.id, 0, total, NOT_ATTEMPTED, attempted=False)
        hints: list[str] = []
        captured = io.StringIO()
        with contextlib.redirect_stdout(captured), contextlib.redirect_stderr(captured):
            for one_check in self.checks:
                failure = one_check.run(answer)
                if failure is not None:
                    hints.append(failure)
        passed = total - len(hints)
        if hints:
            text = f"❌ {passed} of {total} checks pass — hint: {hints[0]}"
        else:
            text = f"✅ {total} of {total} checks pass"
        return Feedback(self.id, passed, total, text, output=captured.getvalue())

    def hint(self, n: int = 1) -> Text:
        """Return hint ``n`` (1-based) as text; never raises."""
        if not self.hints:
            return Text("No hints for this exercise: try the solution when you are ready.")
        if not 1 <= n <= len(self.hints):
            return Text(f"This exercise has hints 1 to {len(self.hints)}.")
        return Text(f"Hint {n} of {len(self.hints)}: {self.hints[n - 1]}")

    def solution(self) -> Text:
        """Return the reference solution's source code."""
        return Text(self._solution)

    def reference_answer(self) -> Any:
        """Run the reference solution and return the answer it defines.

        Raises:
            LookupError: if the solution does not bind :attr:`answer_name`.
        """
        namespace = _run_source(self._solution, f"<solution {self.id}>")
        if self.answer_name not in namespace:
            raise LookupError(f"solution of {self.id!r} does not define {self.answer_name!r}")
        return namespace[self.answer_name]

    def stub_answer(self) -> Any:
        """Run the stub cell's source and return the answer it binds (``None`` if it binds none)."""
        return _run_source(self.stub, f"<stub {self.id}>").get(self.answer_name)


def _run_source(source: str, filename: str) -> dict[str, Any]:
    """Run ``source`` in a fresh namespace, keeping its text where ``inspect.getsource`` looks.

    This is what IPython does for a notebook cell, so functions defined here can be told apart
    from stubs by :func:`is_stub` exactly as they would be in a notebook.
    """
    linecache.cache[filename] = (len(source), None, source.splitlines(keepends=True), filename)
    namespace: dict[str, Any] = {"__name__": "__lambda_lab_course__"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


class FakeContext:
    """A stand-in for Lambda's context object, with fixed values, for calling handlers directly."""

    function_name = "my-function"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:my-function"
    memory_limit_in_mb = 128
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    log_group_name = "/aws/lambda/my-function"
    log_stream_name = "2024/01/01/[$LATEST]00000000000000000000000000000000"

    def get_remaining_time_in_millis(self) -> int:
        return 3000


#: Every registered exercise by id.
EXERCISES: dict[str, Exercise] = {}


def register(exercise: Exercise) -> Exercise:
    """Add ``exercise`` to :data:`EXERCISES` and return it.

    Raises:
        ValueError: if another exercise already has its id.
    """
    existing = EXERCISES.get(exercise.id)
    if existing is not None and existing is not exercise:
        raise ValueError(f"an exercise with id {exercise.id!r} is already registered")
    EXERCISES[exercise.id] = exercise
    return exercise


def get(exercise_id: str) -> Exercise:
    """Return the registered exercise ``exercise_id``.

    Raises:
        KeyError: if there is none (the message lists the known ids).
    """
    try:
        return EXERCISES[exercise_id]
    except KeyError:
        known = ", ".join(sorted(EXERCISES)) or "none"
        raise KeyError(f"no exercise {exercise_id!r}; known: {known}") from None


def check(exercise_id: str, answer: Any, *, record: bool = True) -> Feedback:
    """Check ``answer`` for exercise ``exercise_id``; record it in the progress file if attempted.

    Recording never raises (see :mod:`lambda_lab.course.progress`).

    Raises:
        KeyError: if the exercise id is unknown (a mistake in the notebook, not the student's).
    """
    exercise = get(exercise_id)
    feedback = exercise.check(answer)
    if record and feedback.attempted:
        from lambda_lab.course import progress

        progress.record_exercise(exercise.id, exercise.topic, feedback.passed, feedback.total)
    return feedback


def hint(exercise_id: str, n: int = 1) -> Text:
    """Return hint ``n`` of exercise ``exercise_id``. Raises ``KeyError`` for an unknown id."""
    return get(exercise_id).hint(n)


def solution(exercise_id: str) -> Text:
    """Return the reference solution of ``exercise_id``. Raises ``KeyError`` for an unknown id."""
    return get(exercise_id).solution()


def solution_source(package: str, name: str) -> str:
    """The text of reference solution ``name`` (e.g. ``"gb_seconds"``) kept in ``package``'s
    ``solutions`` folder (a chapter's exercises pass their own ``__package__``).

    Raises:
        FileNotFoundError: if there is no such solution.
    """
    folder = resources.files(package).joinpath("solutions")
    return folder.joinpath(f"{name}.py").read_text(encoding="utf-8")
