"""The mock exam's timer (pure, on a fake clock: no test sleeps) and the thin widgets of the mock
exam and "review my mistakes" (lambda_lab.course.mock_exam)."""

from __future__ import annotations

import json

import pytest

from lambda_lab.course import exam, progress
from lambda_lab.course.exam_timer import EXAM_MINUTES, ExamTimer, format_left
from lambda_lab.course.mock_exam import MOCK_QUESTIONS, mistakes_widget, mock_exam_widget
from lambda_lab.course.progress import ENV_VAR
from lambda_lab.course.quiz import Question
from lambda_lab.course.topics import DOMAINS

DEV, SEC, DEP, TRB = DOMAINS


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv(ENV_VAR, str(path))
    return path


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def question(qid, domain, *, answer=(1,), multiple=False):
    return Question(qid, "04-concurrency", domain, f"Scenario {qid}. Which one?",
                    ("Zero", "One", "Two", "Three"), answer, f"{qid} explained.", multiple,
                    section="Reserved concurrency and real throttles")


BANK = (
    question("d1", DEV), question("d2", DEV), question("s1", SEC, answer=(0, 2), multiple=True),
    question("p1", DEP), question("t1", TRB),
)


# --- the timer -----------------------------------------------------------------------------------


def test_the_real_exam_allows_130_minutes_for_65_questions():
    """AWS Certified Developer – Associate (aws.amazon.com/certification): 130 minutes, 65
    questions."""
    assert (EXAM_MINUTES, MOCK_QUESTIONS) == (130, 65)


def test_the_timer_counts_down_on_its_clock_and_expires_at_zero():
    clock = FakeClock()
    timer = ExamTimer(clock=clock)
    clock.now += 500  # not started: the time does not run
    assert timer.left() == 130 * 60 and not timer.expired() and not timer.running
    timer.start()
    clock.now += 60.5
    assert timer.left() == 130 * 60 - 60.5 and timer.text() == "⏱ Time left: 2:08:59"
    timer.start()  # a second start keeps the time spent
    clock.now += 130 * 60 - 61
    assert timer.text() == "⏱ Time left: 0:00:00" and not timer.expired()
    clock.now += 0.5
    assert timer.expired() and timer.left() == 0 and timer.text() == "⏱ Time is up."
    clock.now += 3600
    assert timer.left() == 0  # never below 0


def test_a_stopped_timer_keeps_its_time_left():
    clock = FakeClock()
    timer = ExamTimer(minutes=10, clock=clock)
    timer.start()
    clock.now += 120
    timer.stop()
    clock.now += 10_000
    assert timer.left() == 480 and not timer.expired() and not timer.running


@pytest.mark.parametrize(("seconds", "shown"), [(7800, "2:10:00"), (59.9, "0:00:59"),
                                                 (3600, "1:00:00"), (-5, "0:00:00")])
def test_time_left_is_shown_as_hours_minutes_seconds(seconds, shown):
    assert format_left(seconds) == shown


def test_a_timer_needs_a_positive_length():
    with pytest.raises(ValueError):
        ExamTimer(minutes=0)


# --- the mock exam widget ------------------------------------------------------------------------


def answer_cards(ui, answers):
    """Select ``answers`` (question id -> choice indices) in the exam's cards."""
    for i, q in enumerate(ui.exam.questions):
        if q.id not in answers:
            continue
        if q.multiple:
            for c in answers[q.id]:
                ui.exam.checkboxes[i][c].value = True
        else:
            ui.exam.selectors[i].value = answers[q.id][0]


def test_the_timer_is_off_by_default_and_finishing_shows_the_scaled_report(progress_file):
    ticks = []
    ui = mock_exam_widget(n=5, seed=0, bank=BANK, shuffle=False, ticker=ticks.append)
    assert ui.timed.value is False and not ui.timer.running and "Untimed" in ui.clock.value
    answer_cards(ui, {"d1": [1], "d2": [0], "s1": [0, 2], "p1": [1]})
    ui.exam.finish.click()
    assert ticks == [] and ui.result is not None and not ui.result.timed_out
    assert exam.EXAM_LOCKED in ui.exam.report_view.value
    (shown,) = ui.report_view.outputs  # a rich output: JupyterLab handles its links
    assert shown["data"]["text/plain"] == ui.result.text
    page = shown["data"]["text/html"]
    assert "Scaled score: " in page and "Right: 3 / 5 (60%), 1 not answered" in page
    assert 'href="04-concurrency.ipynb#3.-Reserved-concurrency-and-real-throttles"' in page
    assert "Scenario d2" in page and "Scenario t1" in page and "Scenario d1" not in page
    recorded = json.loads(progress_file.read_text(encoding="utf-8"))
    assert recorded["quizzes"][exam.EXAM_KEY]["last"] == 3
    assert recorded["mistakes"] == ["d2", "t1"]
    ui.exam.finish.click()  # locked: the same result, recorded once
    assert json.loads(progress_file.read_text(encoding="utf-8")) == recorded
    assert ui.timed.disabled  # no timer once finished
    assert ui._repr_mimebundle_()["text/plain"] == (
        "Mock exam: 5 questions, seed 0, timer off until you tick it "
        "(a widget: run this notebook in JupyterLab to use it)")


def test_at_zero_the_timed_exam_ends_and_is_scored_with_what_was_answered(progress_file):
    clock, ticks = FakeClock(), []
    ui = mock_exam_widget(n=5, seed=0, bank=BANK, shuffle=False, minutes=130, clock=clock,
                          ticker=ticks.append)
    ui.timed.value = True  # the learner ticks the box
    assert ticks == [ui] and ui.timer.running and ui.timed.disabled
    assert ui.clock.value == "⏱ Time left: 2:10:00"
    answer_cards(ui, {"d1": [1], "p1": [1]})
    clock.now += 3600
    assert ui.tick() and ui.clock.value == "⏱ Time left: 1:10:00" and ui.result is None
    clock.now += 4199
    assert ui.tick() and ui.clock.value == "⏱ Time left: 0:00:01"
    clock.now += 1
    assert ui.tick() is False  # time is up: the ticker stops
    result = ui.result
    assert result is not None and result.timed_out
    assert (result.exam.correct, result.exam.unanswered) == (2, 3)
    assert "Time ran out" in ui.report_view.outputs[0]["data"]["text/html"]
    assert "Time is up" in ui.clock.value
    assert ui.exam.finish.disabled and all(s.disabled for s in ui.exam.selectors)
    assert json.loads(progress_file.read_text(encoding="utf-8"))["quizzes"][exam.EXAM_KEY][
        "last"] == 2
    assert ui.tick() is False and ui.result is result


def test_a_new_mock_exam_abandons_the_running_one_unscored(progress_file):
    """Running the cell again must not leave the old exam's timer to end and record it."""
    clock = FakeClock()
    old = mock_exam_widget(n=5, seed=0, bank=BANK, clock=clock, ticker=lambda ui: None)
    old.timed.value = True
    new = mock_exam_widget(n=5, seed=1, bank=BANK, clock=clock, ticker=lambda ui: None)
    assert old.abandoned and not new.abandoned and old.exam.finish.disabled
    assert "not scored" in old.clock.value
    clock.now += 130 * 60
    assert old.tick() is False and old.result is None
    with pytest.raises(RuntimeError):
        old.finish()
    recorded = json.loads(progress_file.read_text(encoding="utf-8"))  # holds the choice seed
    assert recorded["quizzes"] == {} and "mistakes" not in recorded  # no attempt recorded
    assert new.tick() and new.result is None  # the new one's timer was never started
    assert not new.timer.running


def test_a_65_question_mock_exam_widget_from_the_bank():
    ui = mock_exam_widget(seed=2, record=False, ticker=lambda ui: None)
    assert len(ui.exam.questions) == 65 == len(ui.exam.selectors)


# --- review my mistakes --------------------------------------------------------------------------


def test_review_my_mistakes_widget_re_asks_and_clears_what_is_answered_right(progress_file):
    progress.record_mistakes(["d1", "t1"])
    ui = mistakes_widget(bank=BANK, shuffle=False, order_seed=0)
    assert sorted(q.id for q in ui.review.questions) == ["d1", "t1"]
    assert ui._repr_mimebundle_()["text/plain"] == (
        "Review my mistakes: 2 questions from your progress file "
        "(a widget: run this notebook in JupyterLab to use it)")
    for item in ui.items:
        item.selector.value = 1 if item.question.id == "d1" else 0
        item.submit.click()
    assert ui.score_label.value == "Review score: 1 / 2"
    assert progress.mistakes() == ("t1",)
    assert all(item.submit.disabled for item in ui.items)  # each question locks


def test_review_my_mistakes_with_none_recorded_says_so():
    ui = mistakes_widget(bank=BANK)
    assert ui.items == () and "No mistakes recorded yet" in ui.box.children[1].value
