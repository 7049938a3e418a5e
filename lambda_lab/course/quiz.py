"""Exam-style quizzes: a validated question bank, a pure grader, and a widget that drives both.

The bank is ``lambda_lab/course/questions/*.yaml``, one file per topic::

    topic: 01-first-function
    questions:
      - id: ff-handler-args
        domain: Development with AWS Services     # one of topics.DOMAINS (DVA-C02)
        type: single                              # or: multiple ("Choose two.")
        prompt: ...
        choices: [..., ...]
        answer: [1]                               # indices into choices, from 0
        explanation: ...                          # current value; older values where they differ

:func:`grade` is pure; :class:`Quiz` keeps the score (a question's first answer counts, so a
score means something); :func:`quiz_widget` is a thin ipywidgets view over a :class:`Quiz`.
"""

from __future__ import annotations

import functools
import html
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lambda_lab.course.topics import DOMAINS, TOPICS

__all__ = [
    "Question",
    "QuestionBankError",
    "Quiz",
    "QuizUI",
    "Result",
    "build_bank",
    "grade",
    "load_bank",
    "quiz_widget",
]

_KINDS = ("single", "multiple")
_REQUIRED = ("id", "domain", "type", "prompt", "choices", "answer", "explanation")
_ALLOWED = frozenset((*_REQUIRED, "topic"))
_LETTERS = "ABCDEFGHIJ"


class QuestionBankError(ValueError):
    """The question bank is not valid. :attr:`problems` lists every problem found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid question bank:\n  " + "\n  ".join(problems))
        #: One line per problem, each naming the file and question.
        self.problems = problems


@dataclass(frozen=True)
class Question:
    """One exam-style question. ``answer`` holds indices into ``choices``."""

    id: str
    topic: str
    domain: str
    prompt: str
    choices: tuple[str, ...]
    answer: tuple[int, ...]
    explanation: str
    multiple: bool = False

    def label(self, index: int) -> str:
        """``"B. <choice>"`` for choice ``index``."""
        return f"{_LETTERS[index]}. {self.choices[index]}"


@dataclass(frozen=True, repr=False)
class Result:
    """The grade of one answer; shown in a notebook as its :attr:`text`."""

    correct: bool
    explanation: str
    #: The question's correct answer as labels, e.g. ("B. 900 seconds",).
    answer_labels: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        if self.correct:
            return f"✅ Correct. {self.explanation}"
        answer = "; ".join(self.answer_labels)
        return f"❌ Not quite. Answer: {answer}. {self.explanation}"

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def _selection(question: Question, selected: int | Iterable[int]) -> frozenset[int]:
    picks = (selected,) if isinstance(selected, int) else tuple(selected)
    for pick in picks:
        if isinstance(pick, bool) or not isinstance(pick, int):
            raise ValueError(f"choices are selected by index, not {pick!r}")
        if not 0 <= pick < len(question.choices):
            raise ValueError(f"question {question.id!r} has no choice {pick}")
    return frozenset(picks)


def grade(question: Question, selected: int | Iterable[int]) -> Result:
    """Grade ``selected`` (a choice index, or several for a multiple-answer question).

    Correct means exactly the right set of choices: for "Choose two" both, and nothing else.

    Raises:
        ValueError: if a selected index is not one of the question's choices.
    """
    picks = _selection(question, selected)
    labels = tuple(question.label(i) for i in question.answer)
    return Result(picks == frozenset(question.answer), question.explanation, labels)


def _problems_of(entry: object, where: str, default_topic: object) -> list[str]:
    if not isinstance(entry, dict):
        return [f"{where}: a question must be a mapping"]
    problems = [f"{where}: missing {key!r}" for key in _REQUIRED if key not in entry]
    problems += [f"{where}: unknown key {key!r}" for key in sorted(set(entry) - _ALLOWED, key=str)]
    if problems:
        return problems
    if not isinstance(entry["id"], str) or not entry["id"].strip():
        problems.append(f"{where}: id must be a non-empty string")
    topic = entry.get("topic", default_topic)
    if topic not in TOPICS:
        problems.append(f"{where}: unknown topic {topic!r} (known: {', '.join(TOPICS)})")
    if entry["domain"] not in DOMAINS:
        problems.append(f"{where}: unknown domain {entry['domain']!r}")
    for key in ("prompt", "explanation"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            problems.append(f"{where}: {key} must be non-empty text")
    kind, choices, answer = entry["type"], entry["choices"], entry["answer"]
    if kind not in _KINDS:
        problems.append(f"{where}: type must be 'single' or 'multiple', not {kind!r}")
    if (
        not isinstance(choices, list)
        or not 2 <= len(choices) <= len(_LETTERS)
        or not all(isinstance(c, str) and c.strip() for c in choices)
    ):
        return [*problems, f"{where}: choices must be a list of 2 to 10 non-empty strings"]
    if len(set(choices)) != len(choices):
        problems.append(f"{where}: choices repeat")
    if not isinstance(answer, list) or not all(
        isinstance(i, int) and not isinstance(i, bool) for i in answer
    ):
        return [*problems, f"{where}: answer must be a list of choice indices"]
    bad = [i for i in answer if not 0 <= i < len(choices)]
    if bad:
        problems.append(f"{where}: answer {bad} is not a choice index (0 to {len(choices) - 1})")
    if len(set(answer)) != len(answer):
        problems.append(f"{where}: answer repeats an index")
    if kind == "single" and len(answer) != 1:
        problems.append(f"{where}: a single-answer question needs exactly one answer")
    if kind == "multiple" and not 2 <= len(set(answer)) < len(choices):
        problems.append(f"{where}: a multiple-answer question needs 2 or more answers, not all")
    return problems


def build_bank(documents: Iterable[tuple[str, object]]) -> tuple[Question, ...]:
    """Validate parsed bank documents and return their questions, in order.

    Args:
        documents: ``(source name, parsed YAML)`` pairs; each document is a mapping with
            ``topic`` and a ``questions`` list.

    Raises:
        QuestionBankError: listing every problem, if there is any (ids must be unique across
            all documents).
    """
    problems: list[str] = []
    questions: list[Question] = []
    first_seen: dict[str, str] = {}
    for source, document in documents:
        if not isinstance(document, dict) or not isinstance(document.get("questions"), list):
            problems.append(f"{source}: expected a mapping with a 'questions' list")
            continue
        for n, entry in enumerate(document["questions"], start=1):
            label = entry.get("id") if isinstance(entry, dict) else None
            where = f"{source} question {n}" + (f" ({label})" if isinstance(label, str) else "")
            found = _problems_of(entry, where, document.get("topic"))
            if found:
                problems += found
                continue
            assert isinstance(entry, dict)
            if entry["id"] in first_seen:
                problems.append(f"{where}: id also used at {first_seen[entry['id']]}")
                continue
            first_seen[entry["id"]] = where
            questions.append(
                Question(
                    id=entry["id"],
                    topic=entry.get("topic", document.get("topic")),
                    domain=entry["domain"],
                    prompt=entry["prompt"].strip(),
                    choices=tuple(c.strip() for c in entry["choices"]),
                    answer=tuple(entry["answer"]),
                    explanation=" ".join(entry["explanation"].split()),
                    multiple=entry["type"] == "multiple",
                )
            )
    if problems:
        raise QuestionBankError(problems)
    return tuple(questions)


def load_bank(directory: str | Path | None = None) -> tuple[Question, ...]:
    """Load and validate every ``*.yaml`` file in ``directory`` (default: the course's bank).

    The default bank is read once and cached.

    Raises:
        QuestionBankError: if the bank is not valid (a YAML syntax error is one such problem).
    """
    if directory is None:
        return _default_bank()
    return _load_dir(Path(directory))


@functools.cache
def _default_bank() -> tuple[Question, ...]:
    folder = resources.files("lambda_lab.course").joinpath("questions")
    return _load_files(
        sorted((f for f in folder.iterdir() if f.name.endswith(".yaml")), key=lambda f: f.name)
    )


def _load_dir(directory: Path) -> tuple[Question, ...]:
    return _load_files(sorted(directory.glob("*.yaml")))


def _load_files(files: Iterable[Any]) -> tuple[Question, ...]:
    import yaml

    documents: list[tuple[str, object]] = []
    errors: list[str] = []
    for file in files:
        try:
            documents.append((file.name, yaml.safe_load(file.read_text(encoding="utf-8"))))
        except yaml.YAMLError as exc:
            errors.append(f"{file.name}: not valid YAML ({exc})")
    if errors:
        raise QuestionBankError(errors)
    return build_bank(documents)


class Quiz:
    """The questions of one topic and the student's score.

    A question's first answer is the one that counts towards :attr:`score`; later answers are
    graded the same way but do not change it. Each answer is recorded in the progress file
    (best score kept) unless ``record`` is False.

    Raises:
        ValueError: if the bank has no questions for ``topic``.
    """

    def __init__(
        self,
        topic: str,
        *,
        bank: Iterable[Question] | None = None,
        record: bool = True,
        progress_path: str | Path | None = None,
    ) -> None:
        self.topic = topic
        questions = load_bank() if bank is None else tuple(bank)
        #: This topic's questions, in bank order.
        self.questions: tuple[Question, ...] = tuple(q for q in questions if q.topic == topic)
        if not self.questions:
            raise ValueError(f"no quiz questions for topic {topic!r}")
        self._by_id: Mapping[str, Question] = {q.id: q for q in self.questions}
        self._first: dict[str, bool] = {}
        self._record = record
        self._progress_path = progress_path

    def __repr__(self) -> str:
        return f"<Quiz {self.topic}: {self.score}>"

    @property
    def correct(self) -> int:
        """How many questions were answered correctly the first time."""
        return sum(self._first.values())

    @property
    def answered(self) -> int:
        return len(self._first)

    @property
    def score(self) -> str:
        """``"correct / number of questions"``, e.g. ``"3 / 5"``."""
        return f"{self.correct} / {len(self.questions)}"

    def answer(self, qid: str, selected: int | Iterable[int]) -> Result:
        """Grade an answer to question ``qid``.

        Raises:
            KeyError: if ``qid`` is not one of this quiz's questions.
            ValueError: if a selected index is not one of its choices.
        """
        try:
            question = self._by_id[qid]
        except KeyError:
            raise KeyError(f"no question {qid!r} in the {self.topic} quiz") from None
        result = grade(question, selected)
        if qid not in self._first:
            self._first[qid] = result.correct
            if self._record:
                from lambda_lab.course import progress

                progress.record_quiz(
                    self.topic, self.correct, len(self.questions), path=self._progress_path
                )
        return result


@dataclass(frozen=True)
class QuestionUI:
    """The widgets of one question: pick with :attr:`selector`, press :attr:`submit`."""

    question: Question
    #: RadioButtons (single answer) or a VBox of :attr:`checkboxes` (multiple answers).
    selector: Any
    #: One Checkbox per choice for a multiple-answer question; empty otherwise.
    checkboxes: tuple[Any, ...]
    submit: Any
    #: Shows the ✅/❌ line and the explanation.
    output: Any

    def selected(self) -> tuple[int, ...]:
        """The indices currently selected."""
        if self.checkboxes:
            return tuple(i for i, box in enumerate(self.checkboxes) if box.value)
        return () if self.selector.value is None else (self.selector.value,)


@dataclass(frozen=True)
class QuizUI:
    """A quiz's widgets. Displays as :attr:`box`; its plain-text form is fixed for nbval."""

    quiz: Quiz
    box: Any
    items: tuple[QuestionUI, ...]
    score_label: Any

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.box._repr_mimebundle_(**kwargs))
        bundle["text/plain"] = f"Quiz: {self.quiz.topic} ({len(self.quiz.questions)} questions)"
        return bundle


def _show(output: Any, text: str) -> None:
    # Replace the outputs directly: Output.clear_output() needs a running kernel.
    output.outputs = ()
    output.append_stdout(text + "\n")


def quiz_widget(
    topic: str,
    *,
    bank: Iterable[Question] | None = None,
    record: bool = True,
    progress_path: str | Path | None = None,
) -> QuizUI:
    """Build the quiz for ``topic`` as ipywidgets: one card per question and a score label.

    Raises:
        ValueError: if the bank has no questions for ``topic``.
    """
    import ipywidgets as widgets

    quiz = Quiz(topic, bank=bank, record=record, progress_path=progress_path)
    score_label = widgets.Label(value=f"Score: {quiz.score}")
    items: list[QuestionUI] = []
    cards = []
    for n, question in enumerate(quiz.questions, start=1):
        labels = [question.label(i) for i in range(len(question.choices))]
        checkboxes: tuple[Any, ...] = ()
        if question.multiple:
            checkboxes = tuple(
                widgets.Checkbox(
                    value=False,
                    description=label,
                    indent=False,
                    layout=widgets.Layout(width="auto"),
                )
                for label in labels
            )
            selector = widgets.VBox(list(checkboxes))
        else:
            selector = widgets.RadioButtons(
                options=[(label, i) for i, label in enumerate(labels)],
                value=None,
                layout=widgets.Layout(width="auto"),
            )
        submit = widgets.Button(description="Submit", button_style="primary")
        output = widgets.Output(layout=widgets.Layout(min_height="3em"))
        item = QuestionUI(question, selector, checkboxes, submit, output)
        submit.on_click(_submit_handler(quiz, item, score_label))
        prompt = html.escape(question.prompt)
        cards.append(
            widgets.VBox([widgets.HTML(f"<b>Q{n}.</b> {prompt}"), selector, submit, output])
        )
        items.append(item)
    box = widgets.VBox([*cards, score_label])
    return QuizUI(quiz, box, tuple(items), score_label)


def _submit_handler(quiz: Quiz, item: QuestionUI, score_label: Any) -> Callable[[Any], None]:
    def on_submit(_button: Any) -> None:
        try:
            picks = item.selected()
            if not picks:
                _show(item.output, "Pick an answer first.")
                return
            result = quiz.answer(item.question.id, picks)
            _show(item.output, result.text)
            score_label.value = f"Score: {quiz.score}"
        except Exception as exc:  # a callback's exception would vanish into the kernel log
            _show(item.output, f"Something went wrong: {type(exc).__name__}: {exc}")

    return on_submit
