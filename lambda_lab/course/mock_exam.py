"""The full-length mock exam and "review my mistakes" for notebooks/14-exam-practice, as thin
ipywidgets views over the pure parts:

* :func:`mock_exam_widget`: :data:`MOCK_QUESTIONS` questions drawn by the exam's weights
  (:func:`lambda_lab.course.exam.exam_widget`), an optional :data:`EXAM_MINUTES`-minute timer
  (:class:`lambda_lab.course.exam_timer.ExamTimer`, off until the learner ticks it) and, once
  finished or out of time, the :class:`lambda_lab.course.exam_review.MockReport`;
* :func:`mistakes_widget`: the questions of the progress file's mistakes list
  (:class:`lambda_lab.course.exam_review.MistakesReview`).

Each view's plain-text form is fixed, so nothing time-dependent reaches a stored output.
"""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lambda_lab.course.exam import EXAM_LOCKED, ExamUI, exam_widget
from lambda_lab.course.exam_review import MistakesReview, MockReport
from lambda_lab.course.exam_timer import EXAM_MINUTES, ExamTimer
from lambda_lab.course.quiz import (
    Question,
    QuestionUI,
    choice_selector,
    learner_seed,
    quiz_box,
    submit_handler,
)

__all__ = [
    "EXAM_MINUTES",
    "MOCK_QUESTIONS",
    "MistakesUI",
    "MockExamUI",
    "mistakes_widget",
    "mock_exam_widget",
]

#: Questions in the real exam (50 scored, 15 unscored that look the same) and in the mock one.
MOCK_QUESTIONS = 65
_WIDGET_NOTE = "a widget: run this notebook in JupyterLab to use it"
_TIMER_OFF = "⏱ Untimed: tick the box to give yourself {minutes:g} minutes (the real exam: 130)."
#: Keeps the time left in view while the learner scrolls through 65 questions.
_CLOCK_CSS = ".lambda-lab-exam-clock { position: sticky; top: 0; z-index: 2; " \
    "background: var(--jp-layout-color0, white); padding: 4px 0; }"


#: The mock exam built last in this kernel: building a new one abandons it.
_LIVE: list[MockExamUI] = []


def _tick_every_second(ui: MockExamUI) -> None:
    """Update ``ui``'s clock once a second in a daemon thread until the exam ends."""

    def run() -> None:
        while ui.tick():
            time.sleep(1)

    threading.Thread(target=run, name="lambda-lab-exam-timer", daemon=True).start()


@dataclass
class MockExamUI:
    """The mock exam: :attr:`exam` (the cards and the Finish button), :attr:`timed` (the
    checkbox that starts :attr:`timer`) and :attr:`clock` (the time left).

    Finishing, by the button or when the time runs out, grades the exam (recording the attempt
    once, see :meth:`lambda_lab.course.exam.ExamUI.grade`) and shows the :attr:`result`.
    """

    exam: ExamUI
    timer: ExamTimer
    timed: Any
    clock: Any
    #: An Output widget: the report is a rich output there, so JupyterLab opens its links
    #: (a chapter at a heading) in a tab, as it does for links in Markdown.
    report_view: Any
    box: Any
    ticker: Callable[[MockExamUI], None] = field(default=_tick_every_second, repr=False)
    notebooks: str | Path | None = None
    #: The report once finished, else None.
    result: MockReport | None = None
    #: True once a newer mock exam replaced this one before it was finished.
    abandoned: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def abandon(self) -> None:
        """Give up an unfinished exam (a new one was built): its timer stops, nothing is
        scored or recorded, and it can no longer be finished."""
        with self._lock:
            if self.result is not None or self.abandoned:
                return
            self.abandoned = True
            self.timer.stop()
            self.timed.disabled = self.exam.finish.disabled = True
            self.clock.value = html.escape("Replaced by a newer mock exam: this one is not scored.")

    def start_timer(self) -> None:
        """Start the countdown (once: the box then locks) and the ticker that shows it."""
        if self.timer.started_at is not None or self.result is not None or self.abandoned:
            return
        self.timer.start()
        self.timed.disabled = True
        self.clock.value = html.escape(self.timer.text())
        self.ticker(self)

    def tick(self) -> bool:
        """Show the time left; at 0, finish the exam with the answers given. Returns True while
        the exam is still running (the ticker calls it again)."""
        if self.result is not None or self.abandoned:
            return False
        if self.timer.expired():
            self.finish(timed_out=True)
            return False
        self.clock.value = html.escape(self.timer.text())
        return True

    def finish(self, *, timed_out: bool = False) -> MockReport:
        """Grade the exam (once), stop the timer and show the :class:`MockReport`.

        Raises:
            RuntimeError: the exam was abandoned (:meth:`abandon`).
        """
        with self._lock:
            if self.result is not None:
                return self.result
            if self.abandoned:
                raise RuntimeError("this mock exam was replaced by a newer one")
            report = self.exam.grade()
            self.timer.stop()
            self.timed.disabled = True
            self.result = MockReport.of(report, self.exam.answers(), timed_out=timed_out,
                                        notebooks=self.notebooks)
            self.exam.report_view.value = f"<p><i>{html.escape(EXAM_LOCKED)}</i></p>"
            self.report_view.outputs = ({
                "output_type": "display_data",
                "data": {"text/html": self.result._repr_html_(), "text/plain": self.result.text},
                "metadata": {},
            },)
            if timed_out:
                self.clock.value = html.escape("⏱ Time is up: your answers were scored.")
            elif self.timer.started_at is not None:
                self.clock.value = html.escape(f"{self.timer.text()} (finished)")
            return self.result

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.box._repr_mimebundle_(**kwargs))
        bundle["text/plain"] = (
            f"Mock exam: {len(self.exam.questions)} questions, seed {self.exam.seed}, "
            f"timer off until you tick it ({_WIDGET_NOTE})"
        )
        return bundle


def mock_exam_widget(
    n: int = MOCK_QUESTIONS,
    seed: int = 0,
    *,
    bank: Iterable[Question] | None = None,
    record: bool = True,
    progress_path: str | Path | None = None,
    shuffle: bool = True,
    choice_seed: int | None = None,
    minutes: float = EXAM_MINUTES,
    clock: Callable[[], float] = time.monotonic,
    ticker: Callable[[MockExamUI], None] = _tick_every_second,
    notebooks: str | Path | None = None,
) -> MockExamUI:
    """The mock exam of ``n`` questions drawn with ``seed`` (as :func:`.exam.exam_widget`),
    with a ``minutes`` countdown that starts only when its box is ticked. ``clock`` and
    ``ticker`` are the timer's time source and what keeps its display going (tests pass fakes).

    Raises:
        ValueError: see :func:`lambda_lab.course.exam.domain_counts`.
    """
    import ipywidgets as widgets

    exam = exam_widget(n, seed, bank=bank, record=record, progress_path=progress_path,
                       shuffle=shuffle, choice_seed=choice_seed)
    timed = widgets.Checkbox(value=False, description=f"Timed: {minutes:g} minutes",
                             indent=False, layout=widgets.Layout(width="auto"))
    clock_view = widgets.HTML(html.escape(_TIMER_OFF.format(minutes=minutes)))
    bar = widgets.HBox([widgets.HTML(f"<style>{_CLOCK_CSS}</style>"), timed, clock_view])
    bar.add_class("lambda-lab-exam-clock")
    report_view = widgets.Output()
    ui = MockExamUI(exam, ExamTimer(minutes, clock), timed, clock_view, report_view,
                    widgets.VBox([bar, exam.box, report_view]), ticker, notebooks)

    def on_timed(change: dict[str, Any]) -> None:
        if change.get("new"):
            ui.start_timer()

    def on_finish(_button: Any) -> None:  # runs after ExamUI's own handler has graded
        try:
            ui.finish()
        except Exception as exc:  # a callback's exception would vanish into the kernel log
            exam.report_view.value = html.escape(
                f"Something went wrong: {type(exc).__name__}: {exc}")

    timed.observe(on_timed, names="value")
    exam.finish.on_click(on_finish)
    for older in _LIVE:  # re-running the cell must not leave a timer that ends an old attempt
        older.abandon()
    _LIVE[:] = [ui]
    return ui


@dataclass(frozen=True)
class MistakesUI:
    """"Review my mistakes": one card per question of :attr:`review`, and its own score."""

    review: MistakesReview
    box: Any
    items: tuple[QuestionUI, ...]
    score_label: Any

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.box._repr_mimebundle_(**kwargs))
        bundle["text/plain"] = (
            f"Review my mistakes: {len(self.review.questions)} questions from your progress "
            f"file ({_WIDGET_NOTE})"
        )
        return bundle


def mistakes_widget(
    *,
    bank: Iterable[Question] | None = None,
    record: bool = True,
    progress_path: str | Path | None = None,
    shuffle: bool = True,
    choice_seed: int | None = None,
    order_seed: int | None = None,
) -> MistakesUI:
    """Re-ask the questions the progress file lists as mistakes, in a shuffled order
    (``order_seed``; a new order each time by default), choices in the learner's order."""
    import ipywidgets as widgets

    if shuffle and choice_seed is None:
        choice_seed = learner_seed(record=record, progress_path=progress_path)
    review = MistakesReview(bank=bank, order_seed=order_seed,
                            choice_seed=choice_seed if shuffle else None,
                            record=record, progress_path=progress_path)
    score_label = widgets.Label(value=f"Review score: {review.score}")
    items, cards = [], []
    for number, question in enumerate(review.questions, start=1):
        selector, checkboxes = choice_selector(question)
        submit = widgets.Button(description="Submit", button_style="primary")
        output = widgets.HTML(layout=widgets.Layout(min_height="2em"))
        item = QuestionUI(question, selector, checkboxes, submit, output)
        handler = submit_handler(review, item, score_label)  # type: ignore[arg-type]

        def on_submit(button: Any, handler: Callable[[Any], None] = handler) -> None:
            handler(button)
            score_label.value = f"Review score: {review.score}"

        submit.on_click(on_submit)
        cards.append(widgets.VBox([
            widgets.HTML(f"<b>Q{number}.</b> {html.escape(question.prompt)}"),
            selector, submit, output,
        ]))
        items.append(item)
    if not items:
        cards.append(widgets.HTML(
            "No mistakes recorded yet: a question you get wrong in a chapter quiz or an exam "
            "attempt is listed here. Run this cell again after one."))
    box = quiz_box([*cards, score_label])
    return MistakesUI(review, box, tuple(items), score_label)
