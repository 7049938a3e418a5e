"""The question bank, its validation, the pure grader, the Quiz score and the quiz widget."""

from __future__ import annotations

import copy
import json

import pytest

from lambda_lab.course import quiz as qz
from lambda_lab.course.progress import ENV_VAR
from lambda_lab.course.topics import DOMAINS, TOPICS

VALID = {
    "id": "q-one",
    "domain": "Deployment",
    "type": "single",
    "prompt": "Pick B.",
    "choices": ["A thing", "B thing", "C thing"],
    "answer": [1],
    "explanation": "B is right.",
}
MULTI = {
    **VALID,
    "id": "q-two",
    "type": "multiple",
    "prompt": "Pick A and C. (Choose two.)",
    "answer": [0, 2],
    "explanation": "A and C.",
}


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv(ENV_VAR, str(path))
    return path


def bank(*entries, topic="01-first-function"):
    return qz.build_bank([("test.yaml", {"topic": topic, "questions": list(entries)})])


def problems_of(entry):
    with pytest.raises(qz.QuestionBankError) as raised:
        bank(entry)
    return raised.value.problems


# --- the shipped bank ---------------------------------------------------------------------------


def test_the_shipped_bank_loads_and_is_valid():
    questions = qz.load_bank()
    assert len({q.id for q in questions}) == len(questions)
    assert {q.domain for q in questions} <= set(DOMAINS)


@pytest.mark.parametrize("topic", list(TOPICS))
def test_every_topic_has_at_least_five_questions(topic):
    assert len(qz.Quiz(topic, record=False).questions) >= 5


def test_the_bank_covers_every_exam_domain_and_both_kinds():
    questions = qz.load_bank()
    assert {q.domain for q in questions} == set(DOMAINS)
    assert {q.multiple for q in questions} == {True, False}


def test_a_multiple_answer_prompt_says_how_many_to_choose():
    words = {2: "two", 3: "three"}
    for q in qz.load_bank():
        if q.multiple:
            assert f"(Choose {words[len(q.answer)]}.)" in q.prompt, q.id


# --- validation ---------------------------------------------------------------------------------


def test_a_valid_entry_becomes_a_question():
    (question,) = bank(VALID)
    assert question == qz.Question(
        id="q-one",
        topic="01-first-function",
        domain="Deployment",
        prompt="Pick B.",
        choices=("A thing", "B thing", "C thing"),
        answer=(1,),
        explanation="B is right.",
        multiple=False,
    )


def test_validation_rejects_an_answer_outside_the_choices():
    assert problems_of({**VALID, "answer": [3]}) == [
        "test.yaml question 1 (q-one): answer [3] is not a choice index (0 to 2)"
    ]


def test_validation_requires_exactly_one_answer_for_a_single_question():
    (problem,) = problems_of({**VALID, "answer": [0, 1]})
    assert "exactly one answer" in problem


def test_validation_requires_two_or_more_answers_for_a_multiple_question():
    (problem,) = problems_of({**MULTI, "answer": [0]})
    assert "2 or more answers" in problem


def test_validation_rejects_duplicate_ids_across_files():
    with pytest.raises(qz.QuestionBankError, match="id also used at a.yaml question 1"):
        qz.build_bank(
            [
                ("a.yaml", {"topic": "01-first-function", "questions": [VALID]}),
                ("b.yaml", {"topic": "04-concurrency", "questions": [VALID]}),
            ]
        )


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"domain": "Networking"}, "unknown domain 'Networking'"),
        ({"topic": "99-nowhere"}, "unknown topic '99-nowhere'"),
        ({"type": "truefalse"}, "type must be 'single' or 'multiple'"),
        ({"choices": ["only one"]}, "choices must be a list of 2 to 10"),
        ({"choices": ["same", "same", "other"]}, "choices repeat"),
        ({"answer": 1}, "answer must be a list of choice indices"),
        ({"answer": [True]}, "answer must be a list of choice indices"),
        ({"explanation": " "}, "explanation must be non-empty text"),
        ({"hint": "x"}, "unknown key 'hint'"),
    ],
)
def test_validation_names_each_kind_of_problem(change, fragment):
    problems = problems_of({**VALID, **change})
    assert any(fragment in p for p in problems), problems


def test_validation_reports_a_missing_key():
    entry = copy.deepcopy(VALID)
    del entry["explanation"]
    assert problems_of(entry) == ["test.yaml question 1 (q-one): missing 'explanation'"]


def test_validation_reports_every_problem_at_once():
    with pytest.raises(qz.QuestionBankError) as raised:
        bank({**VALID, "answer": [9]}, {**MULTI, "domain": "Nope"})
    assert len(raised.value.problems) == 2


def test_load_bank_reports_bad_yaml_and_bad_documents(tmp_path):
    (tmp_path / "a.yaml").write_text("topic: [unclosed\n", encoding="utf-8")
    with pytest.raises(qz.QuestionBankError, match="a.yaml: not valid YAML"):
        qz.load_bank(tmp_path)
    (tmp_path / "a.yaml").write_text("- just a list\n", encoding="utf-8")
    with pytest.raises(qz.QuestionBankError, match="expected a mapping with a 'questions' list"):
        qz.load_bank(tmp_path)


def test_load_bank_reads_a_directory(tmp_path):
    document = {"topic": "04-concurrency", "questions": [VALID, MULTI]}
    (tmp_path / "x.yaml").write_text(json.dumps(document), encoding="utf-8")  # JSON is YAML
    assert [q.id for q in qz.load_bank(tmp_path)] == ["q-one", "q-two"]


# --- grading ------------------------------------------------------------------------------------


def test_grade_a_correct_single_answer():
    (question,) = bank(VALID)
    result = qz.grade(question, 1)
    assert result.correct
    assert result.text == "✅ Correct. B is right."


def test_grade_a_wrong_answer_shows_the_right_one():
    (question,) = bank(VALID)
    result = qz.grade(question, [0])
    assert not result.correct
    assert repr(result) == "❌ Not quite. Answer: B. B thing. B is right."


def test_grade_a_multiple_answer_needs_exactly_the_right_set():
    (question,) = bank(MULTI)
    assert qz.grade(question, [2, 0]).correct
    assert not qz.grade(question, [0]).correct
    assert not qz.grade(question, [0, 1, 2]).correct


@pytest.mark.parametrize("selected", [3, -1, [True], ["B"]])
def test_grade_rejects_a_selection_that_is_not_a_choice(selected):
    (question,) = bank(VALID)
    with pytest.raises(ValueError):
        qz.grade(question, selected)


# --- Quiz -----------------------------------------------------------------------------------


def test_quiz_score_counts_first_answers_only():
    quiz = qz.Quiz("01-first-function", bank=bank(VALID, MULTI), record=False)
    assert quiz.score == "0 / 2"
    assert not quiz.answer("q-one", 0).correct
    assert quiz.answer("q-one", 1).correct  # graded, but the first answer counted
    assert quiz.answer("q-two", [0, 2]).correct
    assert (quiz.score, quiz.answered) == ("1 / 2", 2)


def test_quiz_rejects_unknown_topics_and_questions():
    with pytest.raises(ValueError, match="no quiz questions"):
        qz.Quiz("04-concurrency", bank=bank(VALID), record=False)
    quiz = qz.Quiz("01-first-function", bank=bank(VALID), record=False)
    with pytest.raises(KeyError, match="no question 'nope'"):
        quiz.answer("nope", 0)


def test_quiz_records_its_best_score(progress_file):
    questions = bank(VALID, MULTI)
    first = qz.Quiz("01-first-function", bank=questions)
    first.answer("q-one", 1)
    first.answer("q-two", [0, 2])
    second = qz.Quiz("01-first-function", bank=questions)
    second.answer("q-one", 0)
    saved = json.loads(progress_file.read_text())["quizzes"]["01-first-function"]
    assert saved == {"best": 2, "total": 2, "last": 0, "last_total": 2}


# --- widget ---------------------------------------------------------------------------------


def output_text(output):
    return "".join(o.get("text", "") for o in output.outputs)


@pytest.fixture
def ui():
    return qz.quiz_widget("01-first-function", bank=bank(VALID, MULTI), record=False)


def test_widget_uses_radio_buttons_for_single_and_checkboxes_for_multiple(ui):
    import ipywidgets as widgets

    single, multiple = ui.items
    assert isinstance(single.selector, widgets.RadioButtons)
    assert single.selector.value is None  # nothing preselected
    assert [box.description for box in multiple.checkboxes] == [
        "A. A thing",
        "B. B thing",
        "C. C thing",
    ]
    assert ui.score_label.value == "Score: 0 / 2"


def test_widget_submit_shows_feedback_and_updates_the_score(ui):
    single, multiple = ui.items
    single.selector.value = 1
    single.submit.click()
    assert output_text(single.output) == "✅ Correct. B is right.\n"
    assert ui.score_label.value == "Score: 1 / 2"

    multiple.checkboxes[0].value = True
    multiple.submit.click()
    assert output_text(multiple.output).startswith("❌ Not quite. Answer: A. A thing; C. C thing.")
    assert ui.score_label.value == "Score: 1 / 2"


def test_widget_resubmitting_replaces_the_feedback_but_not_the_score(ui):
    single = ui.items[0]
    single.selector.value = 0
    single.submit.click()
    single.selector.value = 1
    single.submit.click()
    assert output_text(single.output) == "✅ Correct. B is right.\n"
    assert ui.score_label.value == "Score: 0 / 2"


def test_widget_submit_without_a_choice_asks_for_one(ui):
    ui.items[0].submit.click()
    assert output_text(ui.items[0].output) == "Pick an answer first.\n"
    assert ui.quiz.answered == 0


def test_widget_plain_text_is_fixed_for_nbval(ui):
    bundle = ui._repr_mimebundle_()
    assert bundle["text/plain"] == "Quiz: 01-first-function (2 questions)"
    assert "application/vnd.jupyter.widget-view+json" in bundle


@pytest.mark.parametrize("topic", list(TOPICS))
def test_widget_builds_for_every_shipped_topic(topic):
    ui = qz.quiz_widget(topic, record=False)
    assert len(ui.items) == len(ui.quiz.questions)
