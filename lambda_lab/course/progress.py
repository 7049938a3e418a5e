"""A student's progress, kept in a small local JSON file, and the table the index notebook shows.

Where: the ``path`` argument, else ``$LAMBDA_LAB_PROGRESS``, else ``~/.lambda_lab/progress.json``.

Nothing here ever raises into a notebook. A file that cannot be parsed is moved aside to
``progress.json.corrupt-<n>`` (never deleted) with a :class:`ProgressWarning`, and a fresh file is
started. A file that cannot be read or written at all is left untouched, with a warning, and
progress is simply not saved. Writes are atomic: a temporary file in the same folder, then
``os.replace``, so a crash mid-write never leaves half a file.

File format (version 1)::

    {"version": 1,
     "exercises": {"<exercise id>": {"topic": "01-first-function", "solved": true,
                                     "checks_passed": 4, "checks_total": 4}},
     "quizzes": {"<topic>": {"best": 3, "total": 5, "last": 2, "last_total": 5}},
     "seed": 1234567,
     "mistakes": ["cc-unreserved", "es-sqs-batch-error"]}

``solved`` stays true once an exercise has passed every check; ``best`` is the best quiz score.
``seed`` (optional) orders each question's choices for this learner (:func:`quiz_seed`): the
same learner sees the same order every time, another learner another one.
``mistakes`` (optional, sorted ids) holds the questions whose last counted answer was wrong:
a chapter quiz's first answer, an exam attempt's answers (unanswered counts as wrong) and a
"review my mistakes" answer (:func:`record_mistakes`).
"""

from __future__ import annotations

import json
import os
import secrets
import tempfile
import warnings
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "ENV_VAR",
    "ProgressRow",
    "ProgressTable",
    "ProgressWarning",
    "default_path",
    "load",
    "mistakes",
    "progress_table",
    "quiz_seed",
    "record_exercise",
    "record_mistakes",
    "start_test_progress",
    "record_quiz",
]

#: Environment variable that overrides the default progress file.
ENV_VAR = "LAMBDA_LAB_PROGRESS"
#: The quiz seed of the course's own runs (nbval, saving notebooks): stored outputs stay stable.
TEST_SEED = 0
_VERSION = 1


class ProgressWarning(UserWarning):
    """Progress could not be read or saved as usual; the message says what happened to the file."""


def default_path() -> Path:
    """The progress file used by default: ``$LAMBDA_LAB_PROGRESS``, else the home default."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser()
    return Path.home() / ".lambda_lab" / "progress.json"


def _empty() -> dict[str, Any]:
    return {"version": _VERSION, "exercises": {}, "quizzes": {}}


def _is_count(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _is_valid(data: object) -> bool:
    """True if ``data`` is a version-1 progress document."""
    if not isinstance(data, dict) or data.get("version") != _VERSION:
        return False
    exercises, quizzes = data.get("exercises"), data.get("quizzes")
    if not isinstance(exercises, dict) or not isinstance(quizzes, dict):
        return False
    for entry in exercises.values():
        if not (
            isinstance(entry, dict)
            and isinstance(entry.get("topic"), str)
            and isinstance(entry.get("solved"), bool)
            and _is_count(entry.get("checks_passed"))
            and _is_count(entry.get("checks_total"))
        ):
            return False
    for entry in quizzes.values():
        if not (isinstance(entry, dict) and all(_is_count(entry.get(k)) for k in _QUIZ_KEYS)):
            return False
    if "mistakes" in data and not (
        isinstance(data["mistakes"], list) and all(isinstance(i, str) for i in data["mistakes"])
    ):
        return False
    return "seed" not in data or _is_count(data["seed"])


_QUIZ_KEYS = ("best", "total", "last", "last_total")


def _move_aside(path: Path) -> Path:
    n = 1
    while True:
        target = path.with_name(f"{path.name}.corrupt-{n}")
        if not target.exists():
            os.replace(path, target)
            return target
        n += 1


def _load(path: Path) -> tuple[dict[str, Any], bool]:
    """Return ``(data, writable)``; ``writable`` is False when saving could destroy a file."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return _empty(), True
    except OSError as exc:
        warnings.warn(
            f"could not read progress file {path} ({exc}); progress will not be saved",
            ProgressWarning,
            stacklevel=3,
        )
        return _empty(), False
    try:
        data: object = json.loads(raw.decode("utf-8"))
    except (ValueError, RecursionError):  # ValueError covers bad UTF-8 and bad JSON
        data = None
    if _is_valid(data):
        return data, True  # type: ignore[return-value]
    try:
        moved = _move_aside(path)
    except OSError as exc:
        warnings.warn(
            f"progress file {path} is not valid and could not be moved aside ({exc}); "
            "it is left as it is and progress will not be saved",
            ProgressWarning,
            stacklevel=3,
        )
        return _empty(), False
    warnings.warn(
        f"progress file {path} was not valid; it was kept as {moved.name} and a new one started",
        ProgressWarning,
        stacklevel=3,
    )
    return _empty(), True


def load(path: str | os.PathLike[str] | None = None) -> dict[str, Any]:
    """Return the progress document (a fresh one if there is none). Never raises.

    A file that is not valid progress is moved aside (see the module docstring).
    """
    return _load(Path(path) if path is not None else default_path())[0]


def _save(path: Path, data: Mapping[str, Any]) -> None:
    tmp_name: str | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, indent=2, sort_keys=True, ensure_ascii=False)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
        tmp_name = None
    except OSError as exc:
        warnings.warn(f"could not save progress to {path} ({exc})", ProgressWarning, stacklevel=3)
    finally:
        if tmp_name is not None:
            try:
                os.unlink(tmp_name)
            except OSError:
                pass


def _update(path: str | os.PathLike[str] | None, change: Any) -> None:
    target = Path(path) if path is not None else default_path()
    data, writable = _load(target)
    change(data)
    if writable:
        _save(target, data)


def record_exercise(
    exercise_id: str,
    topic: str,
    checks_passed: int,
    checks_total: int,
    *,
    path: str | os.PathLike[str] | None = None,
) -> None:
    """Record one checked attempt at an exercise. Never raises."""

    def change(data: dict[str, Any]) -> None:
        previous = data["exercises"].get(exercise_id, {})
        solved = checks_total > 0 and checks_passed == checks_total
        data["exercises"][exercise_id] = {
            "topic": topic,
            "solved": bool(previous.get("solved")) or solved,
            "checks_passed": checks_passed,
            "checks_total": checks_total,
        }

    _update(path, change)


def record_quiz(
    topic: str, correct: int, total: int, *, path: str | os.PathLike[str] | None = None
) -> None:
    """Record a quiz score for ``topic``, keeping the best one. Never raises."""

    def change(data: dict[str, Any]) -> None:
        previous = data["quizzes"].get(topic)
        best, best_total = correct, total
        if previous is not None and previous["total"] > 0:
            # Compare as fractions: the bank may have grown since the earlier score.
            if previous["best"] * max(total, 1) > correct * previous["total"]:
                best, best_total = previous["best"], previous["total"]
        data["quizzes"][topic] = {
            "best": best,
            "total": best_total,
            "last": correct,
            "last_total": total,
        }

    _update(path, change)


def record_mistakes(
    wrong: Iterable[str] = (),
    right: Iterable[str] = (),
    *,
    path: str | os.PathLike[str] | None = None,
) -> None:
    """Add the ``wrong`` question ids to the mistakes list and take the ``right`` ones off it
    (an id in both counts as wrong). Never raises."""
    wrong, right = set(wrong), set(right)

    def change(data: dict[str, Any]) -> None:
        kept = set(data.get("mistakes", ())) - right
        data["mistakes"] = sorted(kept | wrong)

    if wrong or right:
        _update(path, change)


def mistakes(path: str | os.PathLike[str] | None = None) -> tuple[str, ...]:
    """The ids of the questions whose last counted answer was wrong (sorted). Never raises."""
    return tuple(load(path).get("mistakes", ()))


def quiz_seed(path: str | os.PathLike[str] | None = None) -> int:
    """This learner's choice-order seed: the one in the progress file, else a new random one,
    saved there so the order stays the same next time. Never raises (an unsaved seed is still
    returned)."""
    target = Path(path) if path is not None else default_path()
    data, writable = _load(target)
    if _is_count(data.get("seed")):
        return int(data["seed"])
    data["seed"] = secrets.randbelow(2**31)
    if writable:
        _save(target, data)
    return int(data["seed"])


def start_test_progress(path: str) -> str:
    """Write an empty progress file with the seed :data:`TEST_SEED` at ``path``; return it."""
    Path(path).write_text(json.dumps({**_empty(), "seed": TEST_SEED}), encoding="utf-8")
    return path


@dataclass(frozen=True)
class ProgressRow:
    """One topic's line in the index notebook's progress table."""

    topic: str
    exercises_passed: int
    exercises_total: int
    #: Best quiz score as "3 / 5", or None if the quiz was never answered.
    quiz_best: str | None


@dataclass(frozen=True, repr=False)
class ProgressTable:
    """The rows, and a deterministic fixed-width text rendering (shown when it ends a cell)."""

    rows: tuple[ProgressRow, ...]

    @property
    def text(self) -> str:
        header = ("Topic", "Exercises", "Quiz best")
        body = [
            (row.topic, f"{row.exercises_passed} / {row.exercises_total}", row.quiz_best or "—")
            for row in self.rows
        ]
        widths = [max(len(line[i]) for line in [header, *body]) for i in range(3)]
        lines = [
            "  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
            for line in [header, *body]
        ]
        lines.insert(1, "  ".join("-" * w for w in widths))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def progress_table(
    path: str | os.PathLike[str] | None = None,
    *,
    exercises: Mapping[str, Any] | None = None,
    topics: Iterable[str] | None = None,
) -> ProgressTable:
    """Build the progress table: one row per topic, in course order. Never raises.

    Args:
        path: Progress file (default: :func:`default_path`).
        exercises: Exercises by id, each with a ``topic`` (default: every registered exercise).
        topics: Topics to list (default: the course's topics, then any others with progress).
    """
    if exercises is None:
        from lambda_lab.course.exercises import EXERCISES

        exercises = EXERCISES
    data = load(path)
    if topics is None:
        from lambda_lab.course.topics import TOPICS

        seen = {getattr(e, "topic", "") for e in exercises.values()} | set(data["quizzes"])
        extra = sorted(t for t in seen if t and t not in TOPICS)
        topics = [*TOPICS, *extra]
    rows = []
    for topic in topics:
        ids = [i for i, e in exercises.items() if getattr(e, "topic", "") == topic]
        solved = sum(1 for i in ids if data["exercises"].get(i, {}).get("solved"))
        quiz = data["quizzes"].get(topic)
        best = f"{quiz['best']} / {quiz['total']}" if quiz else None
        rows.append(ProgressRow(topic, solved, len(ids), best))
    return ProgressTable(tuple(rows))
