"""Progress: where it lives, atomic writes, corrupt files kept aside, and the index table."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest

from lambda_lab.course import progress
from lambda_lab.course.progress import ENV_VAR, ProgressWarning


@pytest.fixture
def path(tmp_path):
    return tmp_path / "nested" / "progress.json"


def saved(path):
    return json.loads(path.read_text(encoding="utf-8"))


def test_default_path_is_in_the_home_directory(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert progress.default_path() == tmp_path / ".lambda_lab" / "progress.json"


def test_the_environment_variable_overrides_the_default(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "p.json"))
    assert progress.default_path() == tmp_path / "p.json"
    progress.record_quiz("04-concurrency", 1, 5)
    assert saved(tmp_path / "p.json")["quizzes"]["04-concurrency"]["best"] == 1


def test_a_missing_file_is_empty_progress(path):
    assert progress.load(path) == {"version": 1, "exercises": {}, "quizzes": {}}
    assert not path.exists()


def test_record_exercise_creates_the_file_and_keeps_solved(path):
    progress.record_exercise("gb-seconds", "02-memory-cpu-timeout", 2, 2, path=path)
    progress.record_exercise("gb-seconds", "02-memory-cpu-timeout", 1, 2, path=path)
    assert saved(path)["exercises"]["gb-seconds"] == {
        "topic": "02-memory-cpu-timeout",
        "solved": True,  # once solved, a later wrong attempt does not take it back
        "checks_passed": 1,
        "checks_total": 2,
    }


def test_record_quiz_keeps_the_best_score(path):
    progress.record_quiz("04-concurrency", 4, 5, path=path)
    progress.record_quiz("04-concurrency", 2, 5, path=path)
    assert saved(path)["quizzes"]["04-concurrency"] == {
        "best": 4,
        "total": 5,
        "last": 2,
        "last_total": 5,
    }


def test_record_quiz_compares_scores_as_fractions_when_the_bank_grows(path):
    progress.record_quiz("04-concurrency", 4, 5, path=path)
    progress.record_quiz("04-concurrency", 5, 6, path=path)  # 83% beats 80%
    assert saved(path)["quizzes"]["04-concurrency"]["best"] == 5


def test_writes_leave_no_temporary_files(path):
    progress.record_quiz("04-concurrency", 1, 5, path=path)
    progress.record_quiz("04-concurrency", 2, 5, path=path)
    assert sorted(p.name for p in path.parent.iterdir()) == ["progress.json"]


def test_a_failed_write_keeps_the_old_file_and_warns(path, monkeypatch):
    progress.record_quiz("04-concurrency", 1, 5, path=path)
    before = path.read_text()

    def fail(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail)
    with pytest.warns(ProgressWarning, match="could not save progress"):
        progress.record_quiz("04-concurrency", 5, 5, path=path)
    assert path.read_text() == before
    assert sorted(p.name for p in path.parent.iterdir()) == ["progress.json"]


@pytest.mark.parametrize(
    "content",
    [
        b"{not json",
        b"\xff\xfe garbage",
        b'["a list"]',
        b'{"version": 1, "exercises": [], "quizzes": {}}',
        b'{"version": 99, "exercises": {}, "quizzes": {}}',
    ],
)
def test_a_corrupt_file_is_moved_aside_not_lost(path, content):
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.warns(ProgressWarning, match=r"kept as progress\.json\.corrupt-1"):
        assert progress.load(path)["exercises"] == {}
    assert (path.parent / "progress.json.corrupt-1").read_bytes() == content
    assert not path.exists()


def test_corrupt_copies_are_numbered_and_never_overwritten(path):
    path.parent.mkdir(parents=True)
    for n, content in enumerate([b"first", b"second"], start=1):
        path.write_bytes(content)
        with pytest.warns(ProgressWarning):
            progress.record_quiz("04-concurrency", n, 5, path=path)
        assert (path.parent / f"progress.json.corrupt-{n}").read_bytes() == content
    assert saved(path)["quizzes"]["04-concurrency"]["best"] == 2


def test_an_unreadable_path_warns_and_is_left_alone(tmp_path):
    folder = tmp_path / "progress.json"
    folder.mkdir()  # reading a directory fails with an OSError
    with pytest.warns(ProgressWarning, match="could not read"):
        progress.record_quiz("04-concurrency", 1, 5, path=folder)
    assert folder.is_dir()
    assert list(tmp_path.iterdir()) == [folder]


EXERCISES = {
    "a": SimpleNamespace(topic="01-first-function"),
    "b": SimpleNamespace(topic="02-memory-cpu-timeout"),
    "c": SimpleNamespace(topic="02-memory-cpu-timeout"),
}


def test_progress_table_rows(path):
    progress.record_exercise("b", "02-memory-cpu-timeout", 3, 3, path=path)
    progress.record_exercise("gone", "02-memory-cpu-timeout", 1, 1, path=path)  # not registered
    progress.record_quiz("04-concurrency", 3, 5, path=path)
    rows = progress.progress_table(path, exercises=EXERCISES).rows
    assert rows == (
        progress.ProgressRow("01-first-function", 0, 1, None),
        progress.ProgressRow("02-memory-cpu-timeout", 1, 2, None),
        progress.ProgressRow("03-execution-context", 0, 0, None),
        progress.ProgressRow("04-concurrency", 0, 0, "3 / 5"),
        progress.ProgressRow("05-event-sources", 0, 0, None),
        progress.ProgressRow("06-versions-aliases-layers", 0, 0, None),
        progress.ProgressRow("07-async-and-destinations", 0, 0, None),
        progress.ProgressRow("08-permissions-and-security", 0, 0, None),
        progress.ProgressRow("09-observability", 0, 0, None),
        progress.ProgressRow("10-http-front-doors", 0, 0, None),
        progress.ProgressRow("11-lambda-at-edge", 0, 0, None),
        progress.ProgressRow("12-vpc", 0, 0, None),
        progress.ProgressRow("13-packaging-and-deployment", 0, 0, None),
    )


def test_progress_table_text_is_deterministic(path):
    progress.record_exercise("a", "01-first-function", 4, 4, path=path)
    progress.record_quiz("01-first-function", 5, 8, path=path)
    table = progress.progress_table(path, exercises=EXERCISES)
    assert repr(table) == str(table) == table.text
    assert table.text == (
        "Topic                        Exercises  Quiz best\n"
        "---------------------------  ---------  ---------\n"
        "01-first-function            1 / 1      5 / 8\n"
        "02-memory-cpu-timeout        0 / 2      —\n"
        "03-execution-context         0 / 0      —\n"
        "04-concurrency               0 / 0      —\n"
        "05-event-sources             0 / 0      —\n"
        "06-versions-aliases-layers   0 / 0      —\n"
        "07-async-and-destinations    0 / 0      —\n"
        "08-permissions-and-security  0 / 0      —\n"
        "09-observability             0 / 0      —\n"
        "10-http-front-doors          0 / 0      —\n"
        "11-lambda-at-edge            0 / 0      —\n"
        "12-vpc                       0 / 0      —\n"
        "13-packaging-and-deployment  0 / 0      —"
    )


def test_progress_table_lists_extra_topics_after_the_course_topics(path):
    progress.record_quiz("99-bonus", 1, 2, path=path)
    table = progress.progress_table(path, exercises=EXERCISES)
    assert [row.topic for row in table.rows][-1] == "99-bonus"


def test_progress_table_uses_the_registered_exercises_by_default(monkeypatch, tmp_path):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "p.json"))
    from lambda_lab.course import EXERCISES, check

    check("one-vcpu", 1769)
    rows = {row.topic: row for row in progress.progress_table().rows}
    assert (rows["02-memory-cpu-timeout"].exercises_passed,) == (1,)
    assert rows["02-memory-cpu-timeout"].exercises_total == sum(
        e.topic == "02-memory-cpu-timeout" for e in EXERCISES.values()
    )
    assert not Path(tmp_path / "p.json.corrupt-1").exists()


# --- the learner's choice-order seed --------------------------------------------------------------


def test_quiz_seed_is_created_once_and_kept(tmp_path):
    from lambda_lab.course.progress import load, quiz_seed, record_quiz

    path = tmp_path / "progress.json"
    seed = quiz_seed(path)
    assert load(path)["seed"] == seed
    record_quiz("01-first-function", 1, 2, path=path)  # other writes keep it
    assert quiz_seed(path) == seed


def test_a_progress_file_with_a_bad_seed_is_moved_aside(tmp_path):
    from lambda_lab.course.progress import ProgressWarning, load

    path = tmp_path / "progress.json"
    path.write_text('{"version": 1, "exercises": {}, "quizzes": {}, "seed": "x"}')
    with pytest.warns(ProgressWarning):
        assert "seed" not in load(path)
