"""The mock exam's result, pure: a scaled score, the per-domain report, a review of every wrong
answer linked to the chapter section that teaches it, and "review my mistakes".

* :func:`scaled_score` maps a raw score onto AWS's 100–1,000 scale with 720 to pass (the DVA-C02
  exam guide, "Exam results": https://docs.aws.amazon.com/aws-certification/latest/developer-associate-02/developer-associate-02.html).
  AWS does not publish its mapping; ours is :data:`SCALE_NOTE`.
* :func:`section_link` finds a question's ``section`` among the ``## N. Title`` headings of its
  chapter notebook and links to it the way JupyterLab names a heading: its text with every
  space replaced by ``-`` (``04-concurrency.ipynb#3.-Reserved-concurrency-and-real-throttles``).
* :class:`MockReport` holds the graded attempt; :class:`MistakesReview` re-asks the questions of
  the progress file's mistakes list (:func:`lambda_lab.course.progress.mistakes`).
"""

from __future__ import annotations

import functools
import html
import json
import random
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from lambda_lab.course.exam import (
    LINK_STYLE,
    ExamReport,
    html_table,
    score_exam,
    text_table,
    topic_title,
)
from lambda_lab.course.quiz import (
    AnsweredOnce,
    Question,
    feedback_html,
    load_bank,
    shuffle_choices,
)

__all__ = [
    "PASSING_SCORE",
    "PASS_FRACTION",
    "SCALED_MAX",
    "SCALED_MIN",
    "SCALE_NOTE",
    "MistakesReview",
    "MockReport",
    "ReviewItem",
    "chapter_sections",
    "score_mock",
    "scaled_score",
    "section_link",
]

#: The DVA-C02 exam guide: "a scaled score of 100–1,000. The minimum passing score is 720."
SCALED_MIN, SCALED_MAX, PASSING_SCORE = 100, 1000, 720
#: The share of right answers this course's mapping puts at the passing score (an assumption).
PASS_FRACTION = Fraction(72, 100)
#: How :func:`scaled_score` maps, in words (shown beside every mock-exam score).
SCALE_NOTE = (
    "AWS scales its scores and does not publish how. This course's approximation: 0 right → 100, "
    "72 % right → 720 (the passing score), all right → 1,000, in a straight line between "
    "those points, rounded down."
)


def scaled_score(correct: int, total: int) -> int:
    """``correct`` of ``total`` on the 100–1,000 scale: linear from 0 right (100) to
    :data:`PASS_FRACTION` right (:data:`PASSING_SCORE`), then linear to all right (1,000),
    rounded down, so a score of 720 or more means at least 72 % right.

    Raises:
        ValueError: ``total`` below 1, or ``correct`` outside 0..``total``.
    """
    if total < 1 or not 0 <= correct <= total:
        raise ValueError(f"cannot scale {correct} right out of {total}")
    share = Fraction(correct, total)
    if share < PASS_FRACTION:
        value = SCALED_MIN + (PASSING_SCORE - SCALED_MIN) * share / PASS_FRACTION
    else:
        value = PASSING_SCORE + (SCALED_MAX - PASSING_SCORE) * (share - PASS_FRACTION) / (
            1 - PASS_FRACTION)
    return int(value)  # int() of a positive Fraction rounds down


# --- links to the section that teaches a question ------------------------------------------------

_HEADING = re.compile(r"^##\s+(\d+)\.\s+(.+?)\s*$")
#: Where the chapter notebooks are: beside the package in a checkout, else the working folder
#: (a notebook's kernel runs in notebooks/).
_NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def _rendered(markdown: str) -> str:
    """A heading's text as the page shows it: inline-code backticks and bold marks gone."""
    return " ".join(markdown.replace("`", "").replace("**", "").split())


@functools.cache
def _sections(path: Path) -> dict[str, str]:
    """``{normalised title: "N. Title"}`` for the ``## N. Title`` headings in a notebook."""
    try:
        nb = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    found: dict[str, str] = {}
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "markdown":
            continue
        for line in "".join(cell.get("source", "")).splitlines():
            if match := _HEADING.match(line):
                title = _rendered(match.group(2))
                found.setdefault(title.casefold(), f"{match.group(1)}. {title}")
    return found


def _notebook(topic: str, notebooks: Path | None) -> Path | None:
    folders = [notebooks] if notebooks is not None else [_NOTEBOOKS, Path.cwd()]
    for folder in folders:
        if (folder / f"{topic}.ipynb").is_file():
            return folder / f"{topic}.ipynb"
    return None


def chapter_sections(topic: str, notebooks: str | Path | None = None) -> tuple[str, ...]:
    """The numbered ``##`` headings of ``notebooks/{topic}.ipynb`` as shown ("3. Reserved ...")."""
    path = _notebook(topic, None if notebooks is None else Path(notebooks))
    return () if path is None else tuple(_sections(path.resolve()).values())


def section_link(question: Question, notebooks: str | Path | None = None) -> tuple[str, str]:
    """``(href, text)`` of the place that teaches ``question``: its chapter notebook, at the
    heading ``## N. <question.section>`` if there is one (``topic.ipynb#N.-Title``, the id
    JupyterLab gives that heading). Without a ``section``, or if no heading matches it, the link
    is to the chapter.
    """
    chapter = topic_title(question.topic)
    href = f"{question.topic}.ipynb"
    if question.section:
        path = _notebook(question.topic, None if notebooks is None else Path(notebooks))
        heading = None if path is None else _sections(path.resolve()).get(
            _rendered(question.section).casefold())
        if heading is not None:
            return f"{href}#{heading.replace(' ', '-')}", f"{chapter}, {heading}"
    return href, chapter


# --- the mock exam's report ----------------------------------------------------------------------


@dataclass(frozen=True)
class ReviewItem:
    """One wrong or unanswered question of an attempt, with what to read again."""

    #: The question's number in the exam (from 1).
    number: int
    question: Question
    #: The learner's choices as labels ("B. ..."); empty if the question was not answered.
    picked: tuple[str, ...]
    answer: tuple[str, ...]
    href: str
    where: str

    @property
    def feedback(self) -> str:
        return self.question.feedback


def _picks(selected: int | Iterable[int] | None) -> tuple[int, ...]:
    if selected is None:
        return ()
    return (selected,) if isinstance(selected, int) else tuple(sorted(selected))


def _join(labels: Sequence[str]) -> str:
    return "; ".join(labels).rstrip(".") if labels else "(not answered)"


@dataclass(frozen=True, repr=False)
class MockReport:
    """A graded mock exam: the scaled score, the per-domain table and the :attr:`review`."""

    exam: ExamReport
    review: tuple[ReviewItem, ...]
    #: True if the timer ran out: the attempt was scored with the answers given by then.
    timed_out: bool = False

    @classmethod
    def of(
        cls,
        report: ExamReport,
        answers: Mapping[str, int | Iterable[int]],
        *,
        timed_out: bool = False,
        notebooks: str | Path | None = None,
    ) -> MockReport:
        """The mock report of a graded ``report`` and the ``answers`` it was graded from."""
        review = []
        for number, (q, result, _) in enumerate(report.results, start=1):
            if result.correct:
                continue
            picked = tuple(q.label(i) for i in _picks(answers.get(q.id)))
            href, where = section_link(q, notebooks)
            review.append(ReviewItem(number, q, picked, result.answer_labels, href, where))
        return cls(report, tuple(review), timed_out)

    @property
    def scaled(self) -> int:
        return scaled_score(self.exam.correct, self.exam.total)

    @property
    def passed(self) -> bool:
        return self.scaled >= PASSING_SCORE

    def _headlines(self) -> list[str]:
        verdict = "PASS" if self.passed else "FAIL"
        exam = self.exam
        lines = [
            f"Scaled score: {self.scaled} of 1,000 ({PASSING_SCORE} to pass): {verdict}",
            f"Right: {exam.correct} / {exam.total} ({round(100 * exam.correct / exam.total)}%)"
            + (f", {exam.unanswered} not answered" if exam.unanswered else ""),
        ]
        if self.timed_out:
            lines.append("Time ran out: the exam was scored with the answers given by then.")
        return lines

    def _to_review(self) -> str:
        n = len(self.review)
        return f"{n} question{'s' if n != 1 else ''} to look at again"

    @property
    def text(self) -> str:
        lines = [*self._headlines(), SCALE_NOTE, "",
                 text_table(self.exam.domain_rows(), right=(1, 2, 3)), ""]
        if not self.review:
            return "\n".join([*lines, "Review: every question right, nothing to review."])
        lines.append(f"Review: {self._to_review()}")
        for item in self.review:
            lines += [
                "",
                f"Q{item.number}. {item.question.prompt}",
                f"  Your answer: {_join(item.picked)}",
                f"  Right answer: {_join(item.answer)}",
                *(f"  {line}" for line in item.feedback.splitlines()),
                f"  Learn it in: {item.where} → {item.href}",
            ]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = "<br>".join(html.escape(line) for line in self._headlines())
        parts = [
            f"<p><b>{head}</b></p>",
            f"<p><i>{html.escape(SCALE_NOTE)}</i></p>",
            html_table(self.exam.domain_rows(), right=(1, 2, 3)),
        ]
        if not self.review:
            parts.append("<p>Review: every question right, nothing to review.</p>")
        else:
            parts.append(f"<p><b>Review: {self._to_review()}</b></p>")
        for item in self.review:
            parts.append(
                "<div style='margin: 0.8em 0'>"
                f"<p style='margin: 0 0 0.3em'><b>Q{item.number}.</b> "
                f"{html.escape(item.question.prompt)}</p>"
                f"<p style='margin: 0'>Your answer: {html.escape(_join(item.picked))}<br>"
                f"Right answer: {html.escape(_join(item.answer))}</p>"
                f"{feedback_html(item.feedback)}"
                f'<p style="margin: 0">Learn it in: <a href="{html.escape(item.href)}" '
                f'style="{LINK_STYLE}">{html.escape(item.where)}</a></p></div>'
            )
        return "".join(parts)

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def score_mock(
    questions: Sequence[Question],
    answers: Mapping[str, int | Iterable[int]],
    *,
    timed_out: bool = False,
    notebooks: str | Path | None = None,
) -> MockReport:
    """Grade a mock exam (see :func:`lambda_lab.course.exam.score_exam`) into a :class:`MockReport`.

    Raises:
        ValueError: see :func:`lambda_lab.course.exam.score_exam`.
    """
    return MockReport.of(score_exam(questions, answers), answers, timed_out=timed_out,
                         notebooks=notebooks)


# --- review my mistakes --------------------------------------------------------------------------


class MistakesReview(AnsweredOnce):
    """The questions of the mistakes list (``ids``, else the progress file's), in a shuffled
    order, each answered once.

    Scored on its own (:attr:`score`), never recorded as an exam or quiz attempt. A counted
    answer updates the mistakes list (unless ``record`` is False): right takes the question
    off, wrong keeps it. Ids no longer in the bank are skipped.
    """

    def __init__(
        self,
        ids: Iterable[str] | None = None,
        *,
        bank: Iterable[Question] | None = None,
        order_seed: int | None = None,
        choice_seed: int | None = None,
        record: bool = True,
        progress_path: str | Path | None = None,
    ) -> None:
        from lambda_lab.course import progress

        wanted = set(progress.mistakes(progress_path) if ids is None else ids)
        mine = sorted((q for q in (load_bank() if bank is None else bank) if q.id in wanted),
                      key=lambda q: q.id)
        random.Random(order_seed).shuffle(mine)
        if choice_seed is not None:
            mine = [shuffle_choices(q, choice_seed) for q in mine]
        super().__init__(mine, record=record, progress_path=progress_path)

    def _name(self) -> str:
        return "this review"
