"""The full-length mock exam's pure parts (lambda_lab.course.exam_review): 65 questions by the
exam's weights, the scaled score, the per-domain report, the review with links to the section
that teaches each question, and the mistakes list in the progress file."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

from lambda_lab.course import exam, progress
from lambda_lab.course.exam_review import (
    PASSING_SCORE,
    MistakesReview,
    chapter_sections,
    scaled_score,
    score_mock,
    section_link,
)
from lambda_lab.course.progress import ENV_VAR
from lambda_lab.course.quiz import Question, Quiz, load_bank
from lambda_lab.course.topics import DOMAINS

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
DEV, SEC, DEP, TRB = DOMAINS


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv(ENV_VAR, str(path))
    return path


def saved(path):
    return json.loads(path.read_text(encoding="utf-8"))


def question(qid, *, domain=DEV, topic="04-concurrency", answer=(1,), multiple=False,
             section=None, choices=("Zero", "One", "Two", "Three")):
    wrong = tuple((i, f"{choices[i]} is not it.") for i in range(len(choices)) if i not in answer)
    return Question(qid, topic, domain, f"Scenario {qid}. Which one?", tuple(choices),
                    tuple(answer), f"{qid} explained.", multiple, None, wrong,
                    "https://docs.aws.amazon.com/lambda/latest/dg/welcome.html", section)


# --- 65 questions by the exam's weights ----------------------------------------------------------


def largest_remainder(n, weights):
    shares = {d: n * w / 100 for d, w in weights.items()}
    counts = {d: int(s) for d, s in shares.items()}
    for d in sorted(shares, key=lambda d: counts[d] - shares[d])[: n - sum(counts.values())]:
        counts[d] += 1
    return counts


@pytest.mark.parametrize("seed", range(5))
def test_a_mock_exam_is_65_questions_split_by_the_exam_weights(seed):
    """DVA-C02 exam guide: 65 questions (50 scored, 15 unscored); Development 32 %, Security
    26 %, Deployment 24 %, Troubleshooting and Optimization 18 %. 65 split by largest remainder
    is 21 / 17 / 15 / 12; each domain must be within one question of it."""
    questions = exam.sample_exam(n=65, seed=seed)
    assert len(questions) == 65 == len({q.id for q in questions})
    expected = largest_remainder(65, {DEV: 32, SEC: 26, DEP: 24, TRB: 18})
    assert expected == {DEV: 21, SEC: 17, DEP: 15, TRB: 12}
    got = Counter(q.domain for q in questions)
    assert all(abs(got[d] - expected[d]) <= 1 for d in DOMAINS), got
    groups = [q.group for q in questions if q.group is not None]
    assert len(groups) == len(set(groups))  # no two near-duplicates in one exam


def test_another_seed_draws_another_mock_exam():
    first, again = exam.sample_exam(n=65, seed=3), exam.sample_exam(n=65, seed=3)
    assert first == again
    assert {q.id for q in exam.sample_exam(n=65, seed=4)} != {q.id for q in first}


# --- the scaled score ----------------------------------------------------------------------------


def test_the_scaled_score_runs_from_100_to_1000_and_720_passes():
    """DVA-C02 exam guide, "Exam results": a scaled score of 100–1,000; the minimum passing
    score is 720. Our mapping: 72 % right is 720, rounded down, so 720 never means less."""
    assert scaled_score(0, 65) == 100 and scaled_score(65, 65) == 1000
    assert PASSING_SCORE == 720
    for total in range(1, 66):
        scores = [scaled_score(c, total) for c in range(total + 1)]
        assert scores == sorted(scores) and 100 <= min(scores) and max(scores) <= 1000
        for correct, score in enumerate(scores):
            assert (score >= 720) == (correct / total >= 0.72), (correct, total, score)
    assert scaled_score(18, 25) == 720  # exactly 72 %
    assert scaled_score(46, 65) < 720 <= scaled_score(47, 65)  # 70.8 % fails, 72.3 % passes


@pytest.mark.parametrize(("correct", "total"), [(1, 0), (-1, 5), (6, 5)])
def test_the_scaled_score_rejects_impossible_counts(correct, total):
    with pytest.raises(ValueError):
        scaled_score(correct, total)


# --- the report and its review -------------------------------------------------------------------

MINI = (
    question("d1", domain=DEV, section="Reserved concurrency and real throttles"),
    question("d2", domain=DEV, topic="03-execution-context",
             section="`/tmp` persists within an environment"),
    question("s1", domain=SEC, topic="08-permissions-and-security", answer=(0, 2), multiple=True),
    question("p1", domain=DEP, topic="06-versions-aliases-layers", section="No such section"),
    question("t1", domain=TRB),
)


def test_the_report_gives_the_scaled_score_and_each_domain_with_its_weight():
    report = score_mock(MINI, {"d1": 1, "d2": 0, "s1": [2, 0], "p1": 1})
    assert (report.exam.correct, report.exam.total, report.exam.unanswered) == (3, 5, 1)
    assert report.scaled == scaled_score(3, 5) and not report.passed
    text = report.text
    assert text.startswith(f"Scaled score: {scaled_score(3, 5)} of 1,000 (720 to pass): FAIL")
    assert "Right: 3 / 5 (60%), 1 not answered" in text
    assert "approximation" in text
    rows = {line.split("  ")[0]: line.split() for line in text.splitlines()
            if line.startswith(DOMAINS)}
    assert rows[DEV][-5:] == ["32%", "1", "/", "2", "50%"]
    assert rows[SEC][-5:] == ["26%", "1", "/", "1", "100%"]
    assert rows[DEP][-5:] == ["24%", "1", "/", "1", "100%"]
    assert rows[TRB][-5:] == ["18%", "0", "/", "1", "0%"]
    assert "26%" in report._repr_html_() and "1 / 1" in report._repr_html_()


def test_a_perfect_attempt_passes_with_1000_and_nothing_to_review():
    report = score_mock(MINI, {q.id: list(q.answer) for q in MINI})
    assert report.scaled == 1000 and report.passed and report.review == ()
    assert "PASS" in report.text and "nothing to review" in report.text


def test_the_review_lists_each_wrong_or_unanswered_question_with_the_pick_answer_and_why():
    report = score_mock(MINI, {"d1": 1, "d2": 0, "s1": [2, 3], "p1": 1})
    assert [(i.number, i.question.id) for i in report.review] == [(2, "d2"), (3, "s1"), (5, "t1")]
    d2, s1, t1 = report.review
    assert d2.picked == ("A. Zero",) and d2.answer == ("B. One",)
    assert s1.picked == ("C. Two", "D. Three") and s1.answer == ("A. Zero", "C. Two")
    assert t1.picked == ()
    assert d2.feedback == MINI[1].feedback
    assert "Why not A: Zero is not it." in d2.feedback and "AWS docs: https://" in d2.feedback
    text = report.text
    assert "Review: 3 questions to look at again" in text
    block = text[text.index("Q2. Scenario d2"):text.index("Q3. ")]
    assert "Your answer: A. Zero" in block and "Right answer: B. One" in block
    assert "Why not C: Two is not it." in block
    assert ("Learn it in: 03 — The execution context, 4. /tmp persists within an environment"
            " → 03-execution-context.ipynb#4.-/tmp-persists-within-an-environment") in block
    assert "Your answer: (not answered)" in text[text.index("Q5. "):]
    page = report._repr_html_()
    assert 'href="03-execution-context.ipynb#4.-/tmp-persists-within-an-environment"' in page
    assert "Why not A" in page and "Scenario d1" not in page  # a right answer is not reviewed


def headings(topic):
    """``{title without number and backticks: number}`` for the ``## N. Title`` lines."""
    nb = json.loads((NOTEBOOKS / f"{topic}.ipynb").read_text(encoding="utf-8"))
    found = {}
    for cell in nb["cells"]:
        if cell["cell_type"] == "markdown":
            for line in "".join(cell["source"]).splitlines():
                if m := re.fullmatch(r"## (\d+)\. (.+)", line.strip()):
                    found[m.group(2).replace("`", "")] = m.group(1)
    return found


def test_links_go_to_the_heading_id_jupyterlab_gives_the_section():
    """JupyterLab gives a Markdown heading the id of its text with spaces replaced by "-"."""
    assert section_link(MINI[0]) == (
        "04-concurrency.ipynb#3.-Reserved-concurrency-and-real-throttles",
        "04 — Concurrency, 3. Reserved concurrency and real throttles",
    )
    assert section_link(MINI[3]) == (  # an unknown section: the chapter
        "06-versions-aliases-layers.ipynb", "06 — Versions, aliases and layers")
    assert section_link(MINI[4]) == ("04-concurrency.ipynb", "04 — Concurrency")
    assert "3. Reserved concurrency and real throttles" in chapter_sections("04-concurrency")


def test_every_bank_question_with_a_section_links_to_a_real_heading():
    """Each ``section`` in the bank names a ``## N. Title`` heading of its chapter notebook,
    and its link is that heading's id."""
    for q in load_bank():
        if q.section is None:
            continue
        title = q.section.replace("`", "").strip()
        found = headings(q.topic)
        assert title in found, f"{q.id}: no '## N. {q.section}' in {q.topic}.ipynb"
        href, _ = section_link(q)
        assert href == f"{q.topic}.ipynb#{found[title]}.-{title.replace(' ', '-')}", q.id


# --- the mistakes list ---------------------------------------------------------------------------


def test_an_exam_attempt_records_its_wrong_and_unanswered_questions(progress_file):
    exam.record_attempt(exam.score_exam(MINI, {"d1": 1, "d2": 0, "s1": [0, 2]}))
    assert saved(progress_file)["mistakes"] == ["d2", "p1", "t1"]
    assert progress.mistakes() == ("d2", "p1", "t1")
    exam.record_attempt(exam.score_exam(MINI, {"d2": 1, "p1": 1, "t1": 0}))
    assert progress.mistakes() == ("d1", "s1", "t1")  # right answers leave the list


def test_a_chapter_quiz_records_its_counted_answers_only(progress_file):
    quiz = Quiz("04-concurrency", bank=MINI)
    assert [q.id for q in quiz.questions] == ["d1", "t1"]
    quiz.answer("d1", 0)
    quiz.answer("t1", 1)
    assert progress.mistakes() == ("d1",)
    quiz.answer("d1", 1)  # an unscored retry changes nothing
    assert progress.mistakes() == ("d1",)
    Quiz("04-concurrency", bank=MINI).answer("d1", 1)  # a new counted answer, right this time
    assert progress.mistakes() == ()


def test_review_my_mistakes_re_asks_them_shuffled_and_scores_on_its_own(progress_file):
    progress.record_mistakes(["d1", "s1", "t1", "gone-from-the-bank"])
    progress.record_quiz(exam.EXAM_KEY, 2, 5)
    before = saved(progress_file)["quizzes"]
    review = MistakesReview(bank=MINI, order_seed=1)
    assert sorted(q.id for q in review.questions) == ["d1", "s1", "t1"]
    orders = {tuple(q.id for q in MistakesReview(bank=MINI, order_seed=s).questions)
              for s in range(10)}
    assert len(orders) > 1  # shuffled
    assert [q.id for q in MistakesReview(bank=MINI, order_seed=1).questions] == [
        q.id for q in review.questions]
    assert review.answer("d1", 1).correct and not review.answer("t1", 0).correct
    assert not review.answer("d1", 0).scored  # the first answer counted
    assert review.score == "1 / 3"
    assert progress.mistakes() == ("gone-from-the-bank", "s1", "t1")
    assert saved(progress_file)["quizzes"] == before  # not an exam or quiz attempt
    with pytest.raises(KeyError):
        review.answer("p1", 0)


def test_choices_in_review_are_in_the_learners_order():
    review = MistakesReview(["s1"], bank=MINI, choice_seed=5, record=False)
    (q,) = review.questions
    assert sorted(q.choices) == sorted(MINI[2].choices)
    assert {q.choices[i] for i in q.answer} == {"Zero", "Two"}


def test_a_progress_file_whose_mistakes_are_not_ids_is_moved_aside(progress_file):
    progress_file.write_text(json.dumps(
        {"version": 1, "exercises": {}, "quizzes": {}, "mistakes": "d1"}), encoding="utf-8")
    with pytest.warns(progress.ProgressWarning):
        assert progress.mistakes() == ()
    assert (progress_file.parent / "progress.json.corrupt-1").exists()
