"""Exam-style quizzes: a validated question bank, a pure grader, and a widget that drives both.

The bank is each chapter's ``lambda_lab/course/chapters/chNN_*/questions.yaml``::

    topic: 01-first-function
    questions:
      - id: ff-handler-args
        domain: Development with AWS Services     # one of topics.DOMAINS (DVA-C02)
        type: single                              # or: multiple ("Choose two.")
        prompt: ...
        choices: [..., ...]
        answer: [1]                               # indices into choices, from 0
        explanation: ...                          # current value; older values where they differ
        group: tmp-size                           # optional: near-duplicates share a group, and
                                                  # a drawn exam holds one question per group
        wrong:                                    # why each wrong choice is wrong, by index
          0: ...
          2: ...
        doc: https://docs.aws.amazon.com/...      # the AWS page that backs the answer
        section: Reserved concurrency and real throttles  # the topic notebook's "## N. <title>"
                                                  # that teaches it (title without its number)

:func:`grade` is pure; :class:`Quiz` keeps the score (a question's first answer counts, so a
score means something); :func:`quiz_widget` is a thin ipywidgets view over a :class:`Quiz`.

Choices are shown in a per-learner order (:func:`shuffle_choices`, seeded by the progress file's
``seed``, see :func:`lambda_lab.course.progress.quiz_seed`), the key re-lettered to match, so
"the answer is always A" teaches nothing. In the widget a question locks once its counted answer
is in, and feedback is HTML in the page's proportional font with code in ``<code>``.
"""

from __future__ import annotations

import functools
import html
import random
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from lambda_lab.course.topics import DOMAINS, TOPICS

__all__ = [
    "AnsweredOnce",
    "LOCKED_NOTE",
    "QUIZ_CSS",
    "Question",
    "QuestionBankError",
    "Quiz",
    "QuizUI",
    "Result",
    "build_bank",
    "choice_selector",
    "feedback_html",
    "grade",
    "learner_seed",
    "load_bank",
    "quiz_box",
    "quiz_widget",
    "show_feedback",
    "shuffle_choices",
    "submit_handler",
]

_KINDS = ("single", "multiple")
_REQUIRED = ("id", "domain", "type", "prompt", "choices", "answer", "explanation")
_ALLOWED = frozenset((*_REQUIRED, "topic", "group", "wrong", "doc", "section"))
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
    #: Near-duplicates share a group; an exam draws at most one question of a group.
    group: str | None = None
    #: Why each wrong choice is wrong: ``(choice index, reason)`` pairs, in choice order.
    wrong: tuple[tuple[int, str], ...] = ()
    #: The AWS documentation page that backs the answer.
    doc: str | None = None
    #: The title (without its number) of the topic notebook's section that teaches it.
    section: str | None = None

    def label(self, index: int) -> str:
        """``"B. <choice>"`` for choice ``index``."""
        return f"{_LETTERS[index]}. {self.choices[index]}"

    @property
    def feedback(self) -> str:
        """The explanation, then one "Why not B: ..." line per wrong choice, then the doc link."""
        lines = [self.explanation]
        lines += [f"Why not {_LETTERS[i]}: {reason}" for i, reason in self.wrong]
        if self.doc:
            lines.append(f"AWS docs: {self.doc}")
        return "\n".join(lines)


@dataclass(frozen=True, repr=False)
class Result:
    """The grade of one answer; shown in a notebook as its :attr:`text`."""

    correct: bool
    explanation: str
    #: The question's correct answer as labels, e.g. ("B. 900 seconds",).
    answer_labels: tuple[str, ...] = ()
    #: False for a repeat answer to a question whose first answer already counted.
    scored: bool = True

    @property
    def text(self) -> str:
        if self.correct:
            line = f"✅ Correct. {self.explanation}"
        else:
            # A label may end with its own full stop: never print "stackTrace..".
            answer = "; ".join(self.answer_labels).rstrip(".")
            line = f"❌ Not quite. Answer: {answer}. {self.explanation}"
        return line if self.scored else f"Unscored retry (your first answer counted): {line}"

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def shuffle_choices(question: Question, seed: int) -> Question:
    """``question`` with its choices in the order ``seed`` gives it, the key re-lettered.

    The order depends only on ``seed`` and the question's id: the same learner sees the same
    order on every run, and each question is shuffled differently.
    """
    order = list(range(len(question.choices)))
    random.Random(f"{seed}:{question.id}").shuffle(order)
    return Question(
        id=question.id,
        topic=question.topic,
        domain=question.domain,
        prompt=question.prompt,
        choices=tuple(question.choices[i] for i in order),
        answer=tuple(sorted(order.index(i) for i in question.answer)),
        explanation=question.explanation,
        multiple=question.multiple,
        group=question.group,
        wrong=tuple(sorted((order.index(i), reason) for i, reason in question.wrong)),
        doc=question.doc,
        section=question.section,
    )


#: Spans of feedback shown as code: `backticks`, a flat JSON object, dotted or snake_case names,
#: calls, IAM actions and ARNs, error types, absolute paths and multi-hump CamelCase fields.
_CODE = re.compile(
    r"`(?P<tick>[^`]+)`"
    r"|\{\"[^{}]*\}"
    r"|\barn:[\w:/*.-]*\w"
    r"|\b[a-z][a-z0-9-]*:[A-Z*][A-Za-z*]*\b"
    r"|(?<![\w/])/[\w.{}-]+(?:/[\w.{}-]+)*"
    r"|\b[A-Za-z_]\w*(?:\.[A-Za-z_]\w+)+(?:\(\))?"
    r"|\b[A-Za-z]\w*\(\)"
    r"|\b[A-Za-z0-9]*_[\w]+"
    r"|\b[A-Z][A-Za-z]*(?:Error|Exception)\b"
    r"|\b[A-Z][a-z0-9]+(?:[A-Z][a-z0-9]+){2,}\b"
)

#: The feedback's look: the notebook's proportional font, code in JupyterLab's code style.
_FEEDBACK_STYLE = (
    "font-family: var(--jp-content-font-family, sans-serif); "
    "font-size: var(--jp-content-font-size1, 14px); line-height: 1.5; white-space: normal; "
    "overflow-wrap: break-word; margin: 0.25em 0"
)


def feedback_html(text: str) -> str:
    """``text`` as HTML: escaped, code-like spans in ``<code>``, one paragraph per line."""

    def code(match: re.Match[str]) -> str:
        return f"<code>{html.escape(match.group('tick') or match.group(0))}</code>"

    paragraphs = []
    for line in text.strip().splitlines():
        parts, last = [], 0
        for match in _CODE.finditer(line):
            parts += [html.escape(line[last : match.start()]), code(match)]
            last = match.end()
        parts.append(html.escape(line[last:]))
        paragraphs.append(f"<p style='margin: 0 0 0.3em'>{''.join(parts)}</p>")
    return f"<div class='lambda-lab-feedback' style='{_FEEDBACK_STYLE}'>{''.join(paragraphs)}</div>"


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
    return Result(picks == frozenset(question.answer), question.feedback, labels)


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
    if "group" in entry and (not isinstance(entry["group"], str) or not entry["group"].strip()):
        problems.append(f"{where}: group must be a non-empty name")
    for key in ("doc", "section"):
        if key in entry and (not isinstance(entry[key], str) or not entry[key].strip()):
            problems.append(f"{where}: {key} must be non-empty text")
    if "doc" in entry and isinstance(entry["doc"], str) and not entry["doc"].startswith("https://"):
        problems.append(f"{where}: doc must be an https:// link")
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
    if "wrong" in entry:
        problems += _wrong_problems(entry["wrong"], answer, len(choices), where)
    return problems


def _wrong_problems(wrong: object, answer: list[int], n_choices: int, where: str) -> list[str]:
    """Problems of a ``wrong`` mapping: a reason for exactly every choice not in the answer."""
    if not isinstance(wrong, dict) or not all(
        isinstance(k, int) and not isinstance(k, bool) and isinstance(v, str) and v.strip()
        for k, v in wrong.items()
    ):
        return [f"{where}: wrong must map choice indices to non-empty reasons"]
    expected = set(range(n_choices)) - set(answer)
    problems = []
    if missing := sorted(expected - set(wrong)):
        problems.append(f"{where}: wrong has no reason for choice {missing}")
    if extra := sorted(set(wrong) - expected):
        problems.append(f"{where}: wrong gives a reason for {extra}, which is not a wrong choice")
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
                    group=entry.get("group"),
                    wrong=tuple(
                        (i, " ".join(reason.split()))
                        for i, reason in sorted(entry.get("wrong", {}).items())
                    ),
                    doc=entry.get("doc"),
                    section=entry.get("section"),
                )
            )
    members: dict[str, list[str]] = {}
    for question in questions:
        if question.group is not None:
            members.setdefault(question.group, []).append(question.id)
    for group, ids in sorted(members.items()):
        if len(ids) < 2:
            problems.append(f"group {group!r} tags only {ids[0]!r}: a group needs two or more")
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
    folder = resources.files("lambda_lab.course").joinpath("chapters")
    files = (d.joinpath("questions.yaml") for d in folder.iterdir() if d.name.startswith("ch"))
    return _load_files(sorted((f for f in files if f.is_file()), key=_source_name))


def _source_name(file: Any) -> str:
    """``ch04_concurrency/questions.yaml`` for a chapter's bank, else the file's name."""
    parent = getattr(file, "parent", None)
    return f"{parent.name}/{file.name}" if file.name == "questions.yaml" and parent else file.name


def _load_dir(directory: Path) -> tuple[Question, ...]:
    return _load_files(sorted(directory.glob("*.yaml")))


def _load_files(files: Iterable[Any]) -> tuple[Question, ...]:
    import yaml

    documents: list[tuple[str, object]] = []
    errors: list[str] = []
    for file in files:
        try:
            documents.append((_source_name(file), yaml.safe_load(file.read_text(encoding="utf-8"))))
        except yaml.YAMLError as exc:
            errors.append(f"{_source_name(file)}: not valid YAML ({exc})")
    if errors:
        raise QuestionBankError(errors)
    return build_bank(documents)


class AnsweredOnce:
    """Questions each answered once: the first answer to a question counts towards
    :attr:`score`; a later one is graded the same way but marked unscored
    (:attr:`Result.scored` is False) and changes nothing. Each counted answer updates the
    progress file's mistakes list (a wrong one added, a right one taken off) unless ``record``
    is False; subclasses record more (:meth:`_record_answer`)."""

    def __init__(
        self,
        questions: Iterable[Question],
        *,
        record: bool = True,
        progress_path: str | Path | None = None,
    ) -> None:
        #: The questions, in the order they are asked.
        self.questions: tuple[Question, ...] = tuple(questions)
        self._by_id: Mapping[str, Question] = {q.id: q for q in self.questions}
        self._first: dict[str, bool] = {}
        self._record = record
        self._progress_path = progress_path

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

    def is_answered(self, qid: str) -> bool:
        """True once question ``qid`` has its counted answer."""
        return qid in self._first

    def answer(self, qid: str, selected: int | Iterable[int]) -> Result:
        """Grade an answer to question ``qid`` (indices into its choices as shown).

        Raises:
            KeyError: if ``qid`` is not one of these questions.
            ValueError: if a selected index is not one of its choices.
        """
        try:
            question = self._by_id[qid]
        except KeyError:
            raise KeyError(f"no question {qid!r} in {self._name()}") from None
        result = grade(question, selected)
        if qid in self._first:
            return Result(result.correct, result.explanation, result.answer_labels, scored=False)
        self._first[qid] = result.correct
        if self._record:
            self._record_answer(qid, result.correct)
        return result

    def _name(self) -> str:
        """How a ``KeyError`` names these questions."""
        return "these questions"

    def _record_answer(self, qid: str, correct: bool) -> None:
        """Record a counted answer in the progress file: the mistakes list."""
        from lambda_lab.course import progress

        mark = ((), (qid,)) if correct else ((qid,), ())
        progress.record_mistakes(*mark, path=self._progress_path)


class Quiz(AnsweredOnce):
    """The questions of one topic and the student's score.

    A question's first answer is the one that counts towards :attr:`score` (see
    :class:`AnsweredOnce`). Each counted answer is recorded in the progress file (best score
    kept, and the mistakes list) unless ``record`` is False. With a ``seed`` the choices are
    shuffled (:func:`shuffle_choices`).

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
        seed: int | None = None,
    ) -> None:
        self.topic = topic
        questions = load_bank() if bank is None else tuple(bank)
        mine = [q for q in questions if q.topic == topic]
        if seed is not None:
            mine = [shuffle_choices(q, seed) for q in mine]
        #: This topic's questions, in bank order (choices shuffled if a seed was given).
        super().__init__(mine, record=record, progress_path=progress_path)
        if not self.questions:
            raise ValueError(f"no quiz questions for topic {topic!r}")
        self.seed = seed

    def __repr__(self) -> str:
        return f"<Quiz {self.topic}: {self.score}>"

    def _name(self) -> str:
        return f"the {self.topic} quiz"

    def _record_answer(self, qid: str, correct: bool) -> None:
        from lambda_lab.course import progress

        progress.record_quiz(
            self.topic, self.correct, len(self.questions), path=self._progress_path
        )
        super()._record_answer(qid, correct)


@dataclass(frozen=True)
class QuestionUI:
    """The widgets of one question: pick with :attr:`selector`, press :attr:`submit`."""

    question: Question
    #: RadioButtons (single answer) or a VBox of :attr:`checkboxes` (multiple answers).
    selector: Any
    #: One Checkbox per choice for a multiple-answer question; empty otherwise.
    checkboxes: tuple[Any, ...]
    submit: Any
    #: An HTML widget: the ✅/❌ line and the explanation (see :func:`feedback_html`).
    output: Any

    def selected(self) -> tuple[int, ...]:
        """The indices currently selected."""
        if self.checkboxes:
            return tuple(i for i, box in enumerate(self.checkboxes) if box.value)
        return () if self.selector.value is None else (self.selector.value,)

    def lock(self) -> None:
        """Disable the choices and the button: the counted answer is in."""
        for widget in (self.selector, *self.checkboxes):
            widget.disabled = True
        self.submit.disabled = True
        self.submit.description = "Answered"


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


#: CSS for the quiz and exam cards: a choice's label wraps under itself, however long, with its
#: radio button or checkbox beside the first line (ipywidgets gives each label one fixed-height,
#: unwrapped line, so a long label overlaps the next option).
QUIZ_CSS = """
.lambda-lab-quiz .widget-radio, .lambda-lab-quiz .jupyter-widget-radio { width: auto; }
.lambda-lab-quiz .widget-radio-box label, .lambda-lab-quiz .jupyter-widget-radio-box label {
  height: auto; line-height: 1.4; display: flex; align-items: flex-start;
  white-space: normal; padding: 3px 0; }
.lambda-lab-quiz .widget-radio-box input, .lambda-lab-quiz .jupyter-widget-radio-box input {
  height: auto; line-height: inherit; float: none; flex: none; order: -1;
  margin: 0.2em 0.6em 0 1px; }
.lambda-lab-quiz .widget-checkbox, .lambda-lab-quiz .jupyter-widget-checkbox {
  width: auto; height: auto; line-height: 1.4; padding: 3px 0; }
.lambda-lab-quiz .widget-checkbox label, .lambda-lab-quiz .jupyter-widget-checkbox label {
  display: flex; align-items: flex-start; white-space: normal; overflow: visible; }
.lambda-lab-quiz .widget-checkbox label span, .lambda-lab-quiz .jupyter-widget-checkbox label span {
  white-space: normal; overflow: visible; }
.lambda-lab-quiz .widget-checkbox input, .lambda-lab-quiz .jupyter-widget-checkbox input {
  flex: none; order: -1; align-self: flex-start; margin: 0.2em 0.6em 0 1px;
  font-size: inherit; }
.lambda-lab-quiz .widget-html-content, .lambda-lab-quiz .jupyter-widget-html-content {
  line-height: 1.5; }
"""


def quiz_box(children: Iterable[Any]) -> Any:
    """A VBox of quiz cards with :data:`QUIZ_CSS` applied (its ``<style>`` rides along)."""
    import ipywidgets as widgets

    box = widgets.VBox([widgets.HTML(f"<style>{QUIZ_CSS}</style>"), *children])
    box.add_class("lambda-lab-quiz")
    return box


def choice_selector(question: Question) -> tuple[Any, tuple[Any, ...]]:
    """RadioButtons, or a VBox of Checkboxes for a multiple-answer question (and the boxes)."""
    import ipywidgets as widgets

    labels = [question.label(i) for i in range(len(question.choices))]
    if question.multiple:
        boxes = tuple(
            widgets.Checkbox(
                value=False, description=label, indent=False, layout=widgets.Layout(width="auto")
            )
            for label in labels
        )
        return widgets.VBox(list(boxes)), boxes
    radio = widgets.RadioButtons(
        options=[(label, i) for i, label in enumerate(labels)],
        value=None,
        layout=widgets.Layout(width="auto"),
    )
    return radio, ()


def show_feedback(output: Any, text: str) -> None:
    """Show ``text`` in an HTML feedback widget (see :func:`feedback_html`)."""
    output.value = feedback_html(text)


def learner_seed(*, record: bool, progress_path: str | Path | None = None) -> int:
    """The seed that orders this learner's choices: from the progress file (created and saved
    there when ``record`` is true; 0 when it is false and the file has none)."""
    from lambda_lab.course import progress

    if record:
        return progress.quiz_seed(progress_path)
    seed = progress.load(progress_path).get("seed", 0)
    return seed if isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 else 0


#: Shown under the feedback once a question's counted answer is in.
LOCKED_NOTE = "🔒 This answer counts towards your score; the question is now locked."


def quiz_widget(
    topic: str,
    *,
    bank: Iterable[Question] | None = None,
    record: bool = True,
    progress_path: str | Path | None = None,
    shuffle: bool = True,
    seed: int | None = None,
) -> QuizUI:
    """Build the quiz for ``topic`` as ipywidgets: one card per question and a score label.

    With ``shuffle`` (the default) each question's choices are in the learner's order:
    ``seed``, else the progress file's (:func:`learner_seed`).

    Raises:
        ValueError: if the bank has no questions for ``topic``.
    """
    import ipywidgets as widgets

    if shuffle and seed is None:
        seed = learner_seed(record=record, progress_path=progress_path)
    quiz = Quiz(
        topic,
        bank=bank,
        record=record,
        progress_path=progress_path,
        seed=seed if shuffle else None,
    )
    score_label = widgets.Label(value=f"Score: {quiz.score}")
    items: list[QuestionUI] = []
    cards = []
    for n, question in enumerate(quiz.questions, start=1):
        selector, checkboxes = choice_selector(question)
        submit = widgets.Button(description="Submit", button_style="primary")
        output = widgets.HTML(layout=widgets.Layout(min_height="2em"))
        item = QuestionUI(question, selector, checkboxes, submit, output)
        submit.on_click(submit_handler(quiz, item, score_label))
        prompt = html.escape(question.prompt)
        cards.append(
            widgets.VBox([widgets.HTML(f"<b>Q{n}.</b> {prompt}"), selector, submit, output])
        )
        items.append(item)
    box = quiz_box([*cards, score_label])
    return QuizUI(quiz, box, tuple(items), score_label)


def submit_handler(quiz: Quiz, item: QuestionUI, score_label: Any) -> Callable[[Any], None]:
    """The Submit button's callback: score the picks once, show the feedback and the score."""

    def on_submit(_button: Any) -> None:
        try:
            picks = item.selected()
            if not picks:
                show_feedback(item.output, "Pick an answer first.")
                return
            result = quiz.answer(item.question.id, picks)
            note = LOCKED_NOTE if result.scored else ""
            show_feedback(item.output, f"{result.text}\n{note}")
            score_label.value = f"Score: {quiz.score}"
            if quiz.is_answered(item.question.id):
                item.lock()
        except Exception as exc:  # a callback's exception would vanish into the kernel log
            show_feedback(item.output, f"Something went wrong: {type(exc).__name__}: {exc}")

    return on_submit
