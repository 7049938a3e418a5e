"""The exam-practice module behind notebooks/14-exam-practice: weighted, seeded sampling from every
question bank, scoring per domain with the notebooks to revisit, the limits cheat sheet, and the
"spot the error" items, each through a real emulator error."""

from __future__ import annotations

import html
import json
import random
import re
from collections import Counter
from pathlib import Path

import boto3
import pytest
from aws_helpers import REGION, make_zip, session

import lambda_lab as ll
from lambda_lab import limits
from lambda_lab.course import exam
from lambda_lab.course.progress import ENV_VAR
from lambda_lab.course.quiz import Question, load_bank
from lambda_lab.course.roles import lambda_role
from lambda_lab.course.topics import DOMAINS, TOPICS
from lambda_lab.validation import validate_function_config

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
#: Each chapter's questions.yaml, and the topic (notebook slug) each file is the bank of.
QUESTION_FILES = sorted((Path(exam.__file__).parent / "chapters").glob("ch*/questions.yaml"))
FILE_TOPICS = {f.parent.name[2:].replace("_", "-") for f in QUESTION_FILES}
DEV, SEC, DEP, TRB = DOMAINS


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv(ENV_VAR, str(path))
    return path


def question(qid, *, domain=DEV, topic="01-first-function", prompt="What is it?", answer=(1,),
             choices=("A thing", "B thing", "C thing"), multiple=False):
    return Question(qid, topic, domain, prompt, tuple(choices), tuple(answer), f"{qid} expl.",
                    multiple)


def text_of(feedback):
    """A feedback HTML widget's text, tags removed."""
    return html.unescape(re.sub(r"<[^>]+>", "", feedback.value)).strip()


def by_domain(questions):
    counts = Counter(q.domain for q in questions)
    return {d: counts[d] for d in DOMAINS}


# --- the banks ----------------------------------------------------------------------------------


def test_every_question_in_every_bank_has_an_answer_an_explanation_and_a_valid_domain():
    """Every bank file feeds the exam, and every question can be graded and explained; its topic
    is a notebook, so the report's link to it works."""
    bank = load_bank()
    assert QUESTION_FILES and {q.topic for q in bank} == FILE_TOPICS
    for q in bank:
        assert q.domain in DOMAINS, q.id
        assert q.answer and all(0 <= i < len(q.choices) for i in q.answer), q.id
        assert len(q.answer) == len(set(q.answer)) and (len(q.answer) > 1) == q.multiple, q.id
        assert q.explanation.strip() and q.prompt.strip(), q.id
        assert q.topic in TOPICS and (NOTEBOOKS / f"{q.topic}.ipynb").exists(), q.id


def test_the_domain_weights_are_the_four_dva_c02_domains():
    """DVA-C02 exam guide (copies of it; AWS's page itself was not reachable here): Development
    with AWS Services 32%, Security 26%, Deployment 24%, Troubleshooting and Optimization 18%."""
    assert exam.DOMAIN_WEIGHTS == {DEV: 32, SEC: 26, DEP: 24, TRB: 18}
    assert tuple(exam.DOMAIN_WEIGHTS) == DOMAINS


# --- sampling -----------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 7, 2026])
def test_twenty_questions_split_by_the_exam_weights(seed):
    """20 × 32/26/24/18 % = 6.4 / 5.2 / 4.8 / 3.6 → 6 / 5 / 5 / 4 by largest remainder."""
    questions = exam.sample_exam(n=20, seed=seed)
    assert len(questions) == 20 and len({q.id for q in questions}) == 20
    assert by_domain(questions) == {DEV: 6, SEC: 5, DEP: 5, TRB: 4}


def test_domain_counts_stay_within_one_of_the_weighted_share():
    plenty = dict.fromkeys(DOMAINS, 100)
    for n in range(1, 101):
        counts = exam.domain_counts(n, plenty)
        assert sum(counts.values()) == n
        for domain, weight in exam.DOMAIN_WEIGHTS.items():
            assert abs(counts[domain] - n * weight / 100) < 1, (n, counts)


def test_a_short_domain_is_used_up_and_its_surplus_shared_by_weight():
    """Security has 2 questions: the other 18 go 32 : 24 : 18 → 7.8 / 5.8 / 4.4 → 8 / 6 / 4."""
    counts = exam.domain_counts(20, {DEV: 50, SEC: 2, DEP: 50, TRB: 50})
    assert counts == {DEV: 8, SEC: 2, DEP: 6, TRB: 4}


@pytest.mark.parametrize(
    ("n", "weights"),
    [(0, exam.DOMAIN_WEIGHTS), (9, exam.DOMAIN_WEIGHTS), (4, {**exam.DOMAIN_WEIGHTS, SEC: 0})],
)
def test_domain_counts_reject_what_cannot_be_drawn(n, weights):
    with pytest.raises(ValueError):
        exam.domain_counts(n, dict.fromkeys(DOMAINS, 2), weights)


def test_sampling_is_deterministic_under_a_seed_and_varies_with_it():
    first = [q.id for q in exam.sample_exam(n=20, seed=3)]
    assert [q.id for q in exam.sample_exam(n=20, seed=3)] == first
    shuffled = list(reversed(load_bank()))
    assert [q.id for q in exam.sample_exam(shuffled, n=20, seed=3)] == first  # not load order
    exams = {tuple(q.id for q in exam.sample_exam(n=20, seed=s)) for s in range(10)}
    assert len(exams) == 10


def test_the_whole_bank_as_one_exam_covers_every_bank():
    bank = load_bank()
    groups = {q.group for q in bank if q.group}
    ungrouped = sorted(q.id for q in bank if not q.group)
    questions = exam.sample_exam(n=len(ungrouped) + len(groups), seed=0)
    assert sorted(q.id for q in questions if not q.group) == ungrouped
    assert sorted(q.group for q in questions if q.group) == sorted(groups)  # one of each
    assert {q.topic for q in questions} == FILE_TOPICS
    with pytest.raises(ValueError):
        exam.sample_exam(n=len(ungrouped) + len(groups) + 1, seed=0)


# --- key distribution and near-duplicates (issue 20) --------------------------------------------

#: The near-duplicates a careful reader found; each pair must share a group.
NEAR_DUPLICATES = [
    ("mct-ephemeral-storage", "ec-tmp-size"),
    ("ff-layers", "va-layers-limits"),
    ("mct-billed-duration", "obs-billed-duration"),
    ("mct-async-timeout-retries", "ad-async-retries"),
    ("cc-async-throttle", "ad-throttle-backoff"),
]


def test_no_letter_holds_more_than_35_percent_of_the_keys():
    """With shuffling off (the bank as written), "pick A" must not pay: 66 of 90 keys were A."""
    bank = load_bank()
    singles = Counter(q.answer[0] for q in bank if not q.multiple)
    every = Counter(i for q in bank for i in q.answer)
    for counts in (singles, every):
        share = max(counts.values()) / sum(counts.values())
        assert share <= 0.35, counts


def test_the_near_duplicates_share_a_group():
    by_id = {q.id: q for q in load_bank()}
    for a, b in NEAR_DUPLICATES:
        assert by_id[a].group is not None and by_id[a].group == by_id[b].group, (a, b)
    assert len({by_id[a].group for a, _ in NEAR_DUPLICATES}) == len(NEAR_DUPLICATES)


@pytest.mark.parametrize("n", [20, 40, 65])
def test_a_drawn_exam_never_holds_two_of_one_group(n):
    available = len(exam.one_per_group(load_bank(), random.Random(0)))
    n = min(n, available)
    for seed in range(40):
        groups = [q.group for q in exam.sample_exam(n=n, seed=seed) if q.group]
        assert len(groups) == len(set(groups)), (seed, groups)


def test_every_member_of_a_group_gets_drawn_under_some_seed():
    drawn = {q.id for seed in range(100) for q in exam.sample_exam(n=65, seed=seed)}
    for a, b in NEAR_DUPLICATES:
        assert a in drawn and b in drawn


@pytest.mark.parametrize("seed", range(5))
def test_scenario_questions_come_first(seed):
    """Drawn whole (one per group), the bank's few recall questions all come last."""
    bank = exam.one_per_group(load_bank(), random.Random(seed))
    flags = [exam.is_scenario(q) for q in exam.sample_exam(bank, n=len(bank), seed=seed)]
    assert flags == sorted(flags, reverse=True)
    assert True in flags and False in flags


@pytest.mark.parametrize(
    ("prompt", "scenario"),
    [
        ('A log shows "Task timed out after 3.00 seconds". What fixes it?', True),
        ("A function reads a queue. Which two settings matter? (Choose two.)", True),
        ("Which two statements about layers are true? (Choose two.)", False),
        ("With a quota of 1,000, what is the rate limit?", False),
        ("What does a REPORT line show for Duration: 15.74 ms?", False),
    ],
)
def test_is_scenario_tells_a_scene_from_a_recall_question(prompt, scenario):
    assert exam.is_scenario(question("q", prompt=prompt)) is scenario


def test_exam_plan_lists_questions_per_domain_beside_the_weight():
    plan = exam.exam_plan(exam.sample_exam(n=20, seed=0))
    lines = plan.splitlines()
    assert lines[2].split() == ["Development", "with", "AWS", "Services", "32%", "6"]
    assert lines[-1].split() == ["Total", "20"]


# --- scoring ------------------------------------------------------------------------------------

MINI = (
    question("d1", domain=DEV, topic="04-concurrency"),
    question("d2", domain=DEV, topic="04-concurrency"),
    question("s1", domain=SEC, topic="05-event-sources", answer=(0, 2), multiple=True),
    question("t1", domain=TRB, topic="02-memory-cpu-timeout"),
    question("t2", domain=TRB, topic="04-concurrency"),
)


def test_scoring_by_domain_with_the_topics_to_revisit():
    """Unanswered questions count as wrong (DVA-C02 exam guide: "Unanswered questions are
    scored as incorrect")."""
    report = exam.score_exam(MINI, {"d1": 1, "d2": 0, "s1": [2, 0], "t1": 1})
    assert (report.correct, report.total, report.unanswered) == (3, 5, 1)
    assert [(t.name, t.correct, t.total) for t in report.by_domain] == [
        (DEV, 1, 2), (SEC, 1, 1), (TRB, 1, 2)]
    assert [(t.name, t.missed, t.total) for t in report.revisit] == [("04-concurrency", 2, 3)]
    text = report.text
    assert text.startswith("Score: 3 / 5 (60%), 1 not answered")
    assert "04 — Concurrency: missed 2 of 3 → 04-concurrency.ipynb" in text
    assert [line.split() for line in text.splitlines() if line.startswith("Security")] == [
        ["Security", "26%", "1", "/", "1", "100%"]]
    page = report._repr_html_()
    assert '<a href="04-concurrency.ipynb" style="' in page
    assert ">04 — Concurrency</a>: missed 2 of 3" in page
    assert re.search(r'<td style="text-align: left[^"]*">Security</td>'
                     r'<td style="text-align: right[^"]*">26%</td>', page)
    assert repr(report) == text


def test_revisit_lists_the_most_missed_topic_first_then_course_order():
    report = exam.score_exam(MINI, {})
    assert [t.name for t in report.revisit] == [
        "04-concurrency", "02-memory-cpu-timeout", "05-event-sources"]
    assert report.correct == 0 and report.unanswered == 5


def test_a_perfect_exam_has_nothing_to_revisit():
    report = exam.score_exam(MINI, {q.id: q.answer for q in MINI})
    assert report.correct == 5 and report.revisit == ()
    assert "Nothing to revisit" in report.text and "Nothing to revisit" in report._repr_html_()


def test_scoring_rejects_answers_to_other_questions_and_bad_choices():
    with pytest.raises(ValueError, match="not in this exam"):
        exam.score_exam(MINI, {"elsewhere": 0})
    with pytest.raises(ValueError):
        exam.score_exam(MINI, {"d1": 7})


def test_an_attempt_is_recorded_under_the_exam_key_keeping_the_best(progress_file):
    exam.record_attempt(exam.score_exam(MINI, {"d1": 1, "d2": 1, "t1": 1}))
    exam.record_attempt(exam.score_exam(MINI, {"d1": 1}))
    saved = json.loads(progress_file.read_text(encoding="utf-8"))["quizzes"][exam.EXAM_KEY]
    assert saved == {"best": 3, "total": 5, "last": 1, "last_total": 5}


# --- the exam widget ----------------------------------------------------------------------------


def test_exam_widget_grades_every_card_and_records_the_first_finish_only(progress_file):
    ui = exam.exam_widget(n=4, seed=0, bank=MINI, shuffle=False)
    assert by_domain(ui.questions) == {DEV: 2, SEC: 1, DEP: 0, TRB: 1}
    singles = [i for i, q in enumerate(ui.questions) if not q.multiple]
    wrong, blank = singles[0], singles[-1]
    for i, q in enumerate(ui.questions):
        if q.multiple:
            for a in q.answer:
                ui.checkboxes[i][a].value = True
        elif i == wrong:
            ui.selectors[i].value = 0  # every single answer in MINI is 1
        elif i != blank:
            ui.selectors[i].value = q.answer[0]
    ui.finish.click()
    marks = [text_of(out)[0] for out in ui.outputs]
    assert marks == ["❌" if i == wrong else "⏸" if i == blank else "✅" for i in range(4)]
    assert "Score: 2 / 4 (50%), 1 not answered" in ui.report_view.value
    first = json.loads(progress_file.read_text(encoding="utf-8"))["quizzes"][exam.EXAM_KEY]
    assert first == {"best": 2, "total": 4, "last": 2, "last_total": 4}
    assert ui.finish.disabled and all(s.disabled for s in ui.selectors)  # locked
    assert exam.EXAM_LOCKED in ui.report_view.value
    ui.selectors[wrong].value = ui.selectors[blank].value = 1
    ui.finish.click()
    assert ui.report is not None and ui.report.correct == 2  # the scored attempt stands
    again = json.loads(progress_file.read_text(encoding="utf-8"))["quizzes"][exam.EXAM_KEY]
    assert again == first  # one attempt, one record
    assert ui._repr_mimebundle_()["text/plain"] == (
        "Practice exam: 4 questions, seed 0 (a widget: run this notebook in JupyterLab to use it)")


def test_exam_widget_can_leave_progress_alone(progress_file):
    ui = exam.exam_widget(n=4, seed=1, bank=MINI, record=False)
    ui.finish.click()
    assert ui.report is not None and ui.report.unanswered == 4
    assert not progress_file.exists()


# --- the cheat sheet ----------------------------------------------------------------------------


def test_the_cheat_sheet_has_every_limit_in_lambda_lab_limits():
    sheet = exam.cheat_sheet()
    assert [r.key for r in sheet.rows] == list(limits.QUOTAS)
    for row in sheet.rows:
        current = limits.QUOTAS[row.key].current
        shown = f"{current:,}" if isinstance(current, int) else str(current)
        assert shown in row.today, row
        assert row.label in sheet.text and row.today in sheet.text
    # Every numeric constant the engine enforces is some quota's current value, so it is shown.
    values = {q.current for q in limits.QUOTAS.values()}
    for name in limits.__all__:
        value = getattr(limits, name)
        if name.isupper() and isinstance(value, int):
            assert value in values, f"limits.{name} = {value} is in no Quota of limits.QUOTAS"


def test_the_cheat_sheet_shows_the_2020_value_beside_todays_where_kept():
    rows = {r.key: r for r in exam.cheat_sheet().rows}
    assert (rows["memory_max_mb"].today, rows["memory_max_mb"].notes_2020) == (
        "10,240 MB", "3,008 MB")
    assert rows["memory_max_mb"].changed == "Dec 2020"
    assert rows["async_payload_max_bytes"].today == "1 MB (1,048,576 bytes)"
    assert rows["async_payload_max_bytes"].notes_2020 == "256 KB (262,144 bytes)"
    assert rows["timeout_max_s"].today == "900 s (15 min)"
    assert rows["timeout_max_s"].notes_2020 == "—"
    assert rows["response_payload_max_bytes"].today == "6 MB + 100 bytes (6,291,556 bytes)"
    assert rows["container_image_max_bytes"].notes_2020 == "not supported"
    assert rows["stream_retry_attempts_default"].notes_2020 == "10,000 attempts"
    kept = [k for k, q in limits.QUOTAS.items() if q.notes_2020 is not None]
    assert kept and all(rows[k].notes_2020 != "—" for k in kept)


def test_a_quota_without_a_label_still_appears_under_its_key():
    quota = limits.Quota("brand_new_limit", 7, "widgets", None, None, "DG somewhere")
    sheet = exam.cheat_sheet({"brand_new_limit": quota})
    assert sheet.rows[0].label == "brand_new_limit" and sheet.rows[0].today == "7 widgets"


def test_the_cheat_sheet_renders_as_an_html_table_with_a_text_fallback():
    sheet = exam.cheat_sheet()
    page = sheet._repr_html_()
    assert page.startswith("<table style=") and page.count("<tr>") == len(sheet.rows) + 1
    assert "max-width: 16em" in page  # cells wrap: the table fits a 1,400 px page
    odd = limits.Quota("odd", "<5 & more", "rate")
    assert re.search(r'<td style="text-align: left[^"]*">&lt;5 &amp; more</td>',
                     exam.cheat_sheet({"odd": odd})._repr_html_())
    assert re.search(r'<td style="text-align: left[^"]*">/tmp \(ephemeral storage\), maximum</td>',
                     page)
    lines = sheet.text.splitlines()
    assert lines[0].startswith("Limit") and set(lines[1]) == {"-", " "}
    assert len(lines) == len(sheet.rows) + 2 and repr(sheet) == sheet.text


# --- spot the error -----------------------------------------------------------------------------

HELLO = "def handler(event, context):\n    return 'hi'\n"


def right_choice(spot_id):
    q = exam.SPOT_QUESTIONS[spot_id]
    return q.choices[q.answer[0]]


def test_spot_timeout_901_is_the_900_second_timeout():
    """DG configuration-timeout: 1 to 900 seconds; out of range is ValidationException."""
    error = exam.catch(lambda: ll.deploy(HELLO, name="spot-timeout-test", timeout=901))
    assert (error.code, error.status) == ("ValidationException", 400)
    assert "less than or equal to 900" in error.message
    assert str(limits.TIMEOUT_MAX_S) in right_choice("spot-timeout")
    validate_function_config(timeout=900)  # the bound itself is fine


def test_spot_a_5_kb_environment_is_the_4_kb_aggregate_limit():
    """DG gettingstarted-limits: 4 KB for all environment variables together."""
    env = {"CONFIG": "x" * 5000}
    error = exam.catch(lambda: ll.deploy(HELLO, name="spot-env-test", environment=env))
    assert (error.code, error.status) == ("InvalidParameterValueException", 400)
    assert "exceeded the 4KB limit" in error.message
    assert error.text.endswith(f"… ({len(error.message):,} characters in all)")
    assert len(error.text) < 330
    assert "4 KB for all of them together" in right_choice("spot-env")


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def spot_function(aws):
    iam = boto3.client("iam", region_name=REGION)
    role = lambda_role(iam, "spot-role")
    lam = boto3.client("lambda", region_name=REGION)
    lam.create_function(FunctionName="spot", Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler", Code={"ZipFile": make_zip(HELLO)})
    return lam


def test_spot_sqs_batch_of_11_without_a_window(spot_function):
    """API EventSourceMappingConfiguration: SQS batch size default 10; a standard queue takes up
    to 10,000 only with MaximumBatchingWindowInSeconds ≥ 1."""
    lam = spot_function
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="orders")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"]
    error = exam.catch(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="spot", BatchSize=11))
    assert (error.code, error.status) == ("InvalidParameterValueException", 400)
    assert "greater than 10" in error.message
    fine = exam.catch(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName="spot", BatchSize=11, MaximumBatchingWindowInSeconds=1))
    assert fine.code is None and fine.text == "No error: the call succeeded."
    assert "MaximumBatchingWindowInSeconds" in right_choice("spot-sqs-batch")


def test_spot_a_7_mb_request_is_the_6_mb_synchronous_payload(spot_function):
    """API Invoke: 6 MB request for synchronous invocation; over it is HTTP 413."""
    lam = spot_function
    payload = json.dumps("x" * (7 * 1024 * 1024)).encode()
    error = exam.catch(lambda: lam.invoke(FunctionName="spot", Payload=payload))
    assert (error.code, error.status) == ("RequestEntityTooLargeException", 413)
    assert str(limits.SYNC_PAYLOAD_MAX_BYTES) in error.message
    assert right_choice("spot-payload").startswith("Synchronous invoke: 6 MB")


def test_catch_lets_an_error_that_is_not_from_aws_through():
    with pytest.raises(ZeroDivisionError):
        exam.catch(lambda: 1 / 0)


def test_spot_questions_are_well_formed_and_not_always_answer_a():
    positions = set()
    for spot_id, q in exam.SPOT_QUESTIONS.items():
        assert q.id == spot_id and q.domain in DOMAINS and q.topic in TOPICS
        assert len(q.answer) == 1 and len(set(q.choices)) == len(q.choices) >= 4
        positions.add(q.answer[0])
    assert len(positions) > 1


def test_spot_widget_grades_the_choice_and_has_fixed_text():
    error = exam.CaughtError("ValidationException", 400, "Member must be at most 900")
    ui = exam.spot_widget("spot-timeout", error)
    ui.check.click()
    assert text_of(ui.output) == "Pick an answer first."
    q = exam.SPOT_QUESTIONS["spot-timeout"]
    ui.selector.value = (q.answer[0] + 1) % len(q.choices)
    ui.check.click()
    assert text_of(ui.output).startswith("❌ Not quite.")
    ui.selector.value = q.answer[0]
    ui.check.click()
    text = text_of(ui.output)
    assert text.startswith("✅ Correct.") and "02-memory-cpu-timeout.ipynb" in text
    assert ui._repr_mimebundle_()["text/plain"] == (
        "ValidationException (HTTP 400): Member must be at most 900\n"
        "Which limit did this call run into? (a widget: run this notebook in JupyterLab to use it)")
    with pytest.raises(KeyError):
        exam.spot_widget("spot-nothing", error)
