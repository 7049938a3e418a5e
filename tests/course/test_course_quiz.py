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


def test_a_group_is_a_name_shared_by_two_or_more_questions():
    one = {**VALID, "group": "dupes"}
    two = {**VALID, "id": "q-two", "group": "dupes"}
    assert [q.group for q in bank(one, two)] == ["dupes", "dupes"]
    with pytest.raises(qz.QuestionBankError, match="tags only 'q-one'"):
        bank(one)
    assert any("group must be a non-empty name" in p for p in problems_of({**VALID, "group": 3}))


def test_shuffling_keeps_the_group():
    (question,) = bank({**VALID, "group": "g"}, {**VALID, "id": "q-2", "group": "g"})[:1]
    assert qz.shuffle_choices(question, 1).group == "g"


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


# --- shuffled choices ---------------------------------------------------------------------------


def test_shuffling_moves_the_key_with_its_choice():
    """The key is re-lettered with the choices: the same text stays right (issue 20)."""
    question = bank(VALID, MULTI)[1]
    seen = set()
    for seed in range(20):
        shuffled = qz.shuffle_choices(question, seed)
        assert sorted(shuffled.choices) == sorted(question.choices)
        assert {shuffled.choices[i] for i in shuffled.answer} == {"A thing", "C thing"}
        assert qz.grade(shuffled, shuffled.answer).correct
        seen.add(shuffled.choices)
    assert len(seen) > 1  # the order really changes with the seed


def test_shuffling_is_fixed_by_the_seed_and_differs_between_questions():
    one, two = bank(VALID, {**VALID, "id": "q-three"})
    assert qz.shuffle_choices(one, 7) == qz.shuffle_choices(one, 7)
    orders = {(qz.shuffle_choices(one, s).choices, qz.shuffle_choices(two, s).choices)
              for s in range(10)}
    assert any(a != b for a, b in orders)  # each question gets its own order


def test_shuffled_shipped_keys_are_spread_over_the_letters():
    """With a learner's seed, no letter holds the key much more often than chance."""
    singles = [q for q in qz.load_bank() if not q.multiple]
    keys = [qz.shuffle_choices(q, 12345).answer[0] for q in singles]
    assert max(keys.count(k) for k in set(keys)) / len(keys) < 0.45


def test_the_learner_seed_is_stored_in_the_progress_file(progress_file):
    ui = qz.quiz_widget("01-first-function", bank=bank(VALID, MULTI))
    seed = json.loads(progress_file.read_text())["seed"]
    assert ui.quiz.seed == seed
    again = qz.quiz_widget("01-first-function", bank=bank(VALID, MULTI))
    assert [q.choices for q in again.quiz.questions] == [q.choices for q in ui.quiz.questions]


def test_a_fixed_seed_in_the_progress_file_gives_a_fixed_order(progress_file):
    progress_file.write_text(json.dumps(
        {"version": 1, "exercises": {}, "quizzes": {}, "seed": 3}))
    ui = qz.quiz_widget("01-first-function", bank=bank(VALID, MULTI), record=False)
    assert ui.quiz.questions == tuple(qz.shuffle_choices(q, 3) for q in bank(VALID, MULTI))


def test_the_nbval_plugin_fixes_the_seed():
    from lambda_lab.course import nbval_env, progress

    assert progress.load(nbval_env._progress)["seed"] == progress.TEST_SEED


# --- widget ---------------------------------------------------------------------------------


def output_text(output):
    """The feedback widget's text, tags removed."""
    import html
    import re

    return html.unescape(re.sub(r"<[^>]+>", "", output.value.replace("</p>", "\n")))


@pytest.fixture
def ui():
    return qz.quiz_widget("01-first-function", bank=bank(VALID, MULTI), record=False,
                          shuffle=False)


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
    assert output_text(single.output) == f"✅ Correct. B is right.\n{qz.LOCKED_NOTE}\n"
    assert ui.score_label.value == "Score: 1 / 2"

    multiple.checkboxes[0].value = True
    multiple.submit.click()
    assert output_text(multiple.output).startswith("❌ Not quite. Answer: A. A thing; C. C thing.")
    assert ui.score_label.value == "Score: 1 / 2"


def test_widget_locks_a_question_after_its_counted_answer(ui):
    """Feedback never contradicts the score: after the first answer the question is locked."""
    single = ui.items[0]
    single.selector.value = 0
    single.submit.click()
    assert single.selector.disabled and single.submit.disabled
    assert output_text(single.output).startswith("❌ Not quite. Answer: B. B thing.")
    assert qz.LOCKED_NOTE in output_text(single.output)
    multiple = ui.items[1]
    multiple.checkboxes[0].value = multiple.checkboxes[2].value = True
    multiple.submit.click()
    assert all(box.disabled for box in multiple.checkboxes)
    assert ui.score_label.value == "Score: 1 / 2"


def test_a_repeat_answer_is_labelled_unscored():
    quiz = qz.Quiz("01-first-function", bank=bank(VALID), record=False)
    assert quiz.answer("q-one", 0).scored
    again = quiz.answer("q-one", 1)
    assert again.correct and not again.scored
    assert again.text.startswith("Unscored retry (your first answer counted): ✅ Correct.")
    assert quiz.score == "0 / 1"


def test_widget_submit_without_a_choice_asks_for_one(ui):
    ui.items[0].submit.click()
    assert output_text(ui.items[0].output) == "Pick an answer first.\n"
    assert ui.quiz.answered == 0
    assert not ui.items[0].submit.disabled


def test_widget_plain_text_is_fixed_for_nbval(ui):
    bundle = ui._repr_mimebundle_()
    assert bundle["text/plain"] == "Quiz: 01-first-function (2 questions)"
    assert "application/vnd.jupyter.widget-view+json" in bundle


def test_widget_carries_css_that_lets_long_labels_wrap(ui):
    """ipywidgets gives a radio label one fixed-height line; the quiz's CSS lets it wrap."""
    assert "lambda-lab-quiz" in ui.box._dom_classes
    style = ui.box.children[0].value
    assert "<style>" in style and "height: auto" in style and "white-space: normal" in style


@pytest.mark.parametrize("topic", list(TOPICS))
def test_widget_builds_for_every_shipped_topic(topic):
    ui = qz.quiz_widget(topic, record=False)
    assert len(ui.items) == len(ui.quiz.questions)


# --- feedback text ------------------------------------------------------------------------------


def test_feedback_is_html_in_a_proportional_font_with_code_in_code_tags():
    out = qz.feedback_html(
        "❌ Not quite. It raises ValueError; context.aws_request_id and s3:GetObject <b>.")
    assert "font-family: var(--jp-content-font-family" in out
    assert "<code>ValueError</code>" in out
    assert "<code>context.aws_request_id</code>" in out
    assert "<code>s3:GetObject</code>" in out
    assert "&lt;b&gt;" in out  # escaped, not markup


def test_no_feedback_in_the_bank_has_a_double_full_stop():
    """"stackTrace.." came from a label's own full stop plus the sentence's (issue 20)."""
    for question in qz.load_bank():
        wrong = next(i for i in range(len(question.choices)) if i not in question.answer)
        for text in (qz.grade(question, question.answer).text, qz.grade(question, wrong).text):
            assert ".." not in text.replace("...", ""), (question.id, text)


def test_question_files_cite_no_path_outside_the_repository():
    """Sources are AWS doc pages, not a reference file on one machine (issue 20)."""
    from pathlib import Path

    files = sorted((Path(qz.__file__).parent / "chapters").glob("ch*/questions.yaml"))
    assert len(files) >= 13
    for path in files:
        text = path.read_text(encoding="utf-8")
        for outside in ("/work/", "/root/", "/home/", "~/"):
            assert outside not in text, (path.parent.name, outside)
