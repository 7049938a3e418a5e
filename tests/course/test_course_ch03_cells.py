"""Chapter 03's exercises ``reuse-connection`` and ``cold-start-flag``, answered as real code:
the learner's cell is the function's module, and the checker deploys the whole cell that
defines ``handler`` (as the ``%%lambda`` magic deploys a cell), invokes it three times, then
once more in a new execution environment.

Pinned to the Lambda Developer Guide: "Lambda execution environment lifecycle" (the Init phase
runs the code outside the handler once per execution environment; warm invocations of that
environment reuse it, a new environment runs Init again) and "Best practices for working with
AWS Lambda functions" ("Initialize SDK clients and database connections outside of the
function handler"); a cold start's REPORT line carries ``Init Duration`` (lambda-facts.md).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from lambda_lab.course import exercises as ex
from lambda_lab.course.checks import cell_not_attempted, same_module
from lambda_lab.course.exercises import NOT_ATTEMPTED
from lambda_lab.course.progress import ENV_VAR

IDS = ("reuse-connection", "cold-start-flag")

CONNECT = '''import time


def connect():
    time.sleep(0.3)
    return {"opened_at": time.time()}


'''

#: (exercise, cell source, what the feedback starts with)
WRONG = {
    "connects in the handler too": ("reuse-connection", CONNECT + '''
db = connect()


def handler(event, context):
    db = connect()
    return {"opened_at": db["opened_at"]}
''', "❌ 3 of 5 checks pass — hint: each invocation opened a new connection: call connect() "
     "at module level"),
    "a hard-coded opened_at": ("reuse-connection", CONNECT + '''
db = connect()


def handler(event, context):
    return {"opened_at": 1700000000.0}
''', "❌ 4 of 5 checks pass — hint: a new execution environment must open its own connection"),
    "the wrong key": ("reuse-connection", CONNECT + '''
db = connect()


def handler(event, context):
    return {"connection": db}
''', "❌ 1 of 5 checks pass — hint: return a dict with the key 'opened_at'"),
    "one argument": ("reuse-connection", CONNECT + '''
db = connect()


def handler(event):
    return {"opened_at": db["opened_at"]}
''', "❌ 0 of 5 checks pass — hint: define it as def handler(event, context):"),
    "always True": ("cold-start-flag", '''
def handler(event, context):
    return {"cold_start": True}
''', "❌ 4 of 6 checks pass — hint: the 2nd and 3rd invocations ran in the same (warm) "
     "environment: return False there"),
    "set before it is read": ("cold-start-flag", '''
cold = True


def handler(event, context):
    global cold
    cold = False
    return {"cold_start": cold}
''', "❌ 3 of 6 checks pass — hint: the first invocation of a new environment is a cold start"),
    "no global statement": ("cold-start-flag", '''
cold = True


def handler(event, context):
    was_cold = cold
    cold = False
    return {"cold_start": was_cold}
''', "❌ 1 of 6 checks pass — hint: the handler failed with UnboundLocalError"),
}


@pytest.fixture(autouse=True, scope="module")
def _close_the_shared_clock():
    """The checkers deploy on the shared clock, whose background thread later test modules
    count: stop it once this module is done."""
    yield
    from lambda_lab import clock

    previous = clock.set_default_clock(None)
    if previous is not None:
        previous.close()


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "progress.json"))


def _cell(source: str, label: str):
    """Run ``source`` as a notebook cell would; the ``handler`` it defines."""
    return ex._run_source(source, f"<cell {label}>")["handler"]


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_reference_is_a_plain_module_and_passes(exercise_id):
    exercise = ex.get(exercise_id)
    assert exercise.answer_name == "handler"
    assert "'''" not in exercise.solution() and '"""' not in exercise.solution()
    answer = exercise.reference_answer()
    assert callable(answer)
    n = len(exercise.checks)
    assert exercise.check(answer).text == f"✅ {n} of {n} checks pass"


@pytest.mark.parametrize("label", sorted(WRONG))
def test_the_usual_slips_get_their_hint(label):
    exercise_id, source, hint = WRONG[label]
    feedback = ex.get(exercise_id).check(_cell(source, label))
    assert feedback.attempted and not feedback.ok
    assert feedback.text.startswith(hint), feedback.text


def test_a_connection_opened_lazily_on_the_first_invocation_also_passes():
    """The Init phase is not the only place: a global set on the first invocation is reused
    by the warm ones too (the first invocation is slower, warm ones are not)."""
    cell = CONNECT + '''
db = None


def handler(event, context):
    global db
    if db is None:
        db = connect()
    return {"opened_at": db["opened_at"]}
'''
    assert ex.get("reuse-connection").check(_cell(cell, "lazy")).text == "✅ 5 of 5 checks pass"


@pytest.mark.parametrize("exercise_id", IDS)
def test_the_stub_is_real_code_and_not_attempted(exercise_id):
    exercise = ex.get(exercise_id)
    stub = exercise.stub_answer()
    assert callable(stub)
    assert "'''" not in exercise.stub and "code =" not in exercise.stub
    for answer in (None, stub):
        assert exercise.check(answer).text == NOT_ATTEMPTED
    # A changed comment is not an attempt; a changed statement is.
    recommented = exercise.stub.replace("# TODO", "# my notes, TODO")
    assert exercise.check(_cell(recommented, f"{exercise_id} recommented")).text == NOT_ATTEMPTED
    changed = exercise.stub + "\nVERSION = 2\n"
    assert exercise.check(_cell(changed, f"{exercise_id} changed")).attempted


@pytest.mark.parametrize("exercise_id", IDS)
def test_source_text_of_an_older_notebook_still_works(exercise_id):
    """Notebooks saved before the change pass the module as a string (``code = '''...'''``)."""
    exercise = ex.get(exercise_id)
    old_stub = "\n" + exercise.stub.split("\n", 1)[1]  # the stub's module, without the cell note
    assert exercise.check(old_stub).text == NOT_ATTEMPTED
    n = len(exercise.checks)
    assert exercise.check(exercise.solution()).text == f"✅ {n} of {n} checks pass"


def test_a_handler_not_defined_in_a_cell_gets_a_hint():
    feedback = ex.get("cold-start-flag").check(print)
    assert feedback.text.startswith(
        "❌ 0 of 6 checks pass — hint: first make handler a function defined in the cell")


def test_same_module_ignores_comments_and_layout_only():
    a = "x = 1  # one\n\n\ndef handler(event, context):\n    return x\n"
    assert same_module(a, "# note\nx = 1\ndef handler(event, context):\n    return x")
    assert not same_module(a, a.replace("return x", "return x + 1"))
    assert same_module("def (:\n  # broken\n", "def (:\n  # broken")  # compared as text
    assert cell_not_attempted(a)(a) and not cell_not_attempted(a)("x = 2\n")


def test_notebook_03_holds_the_stubs_as_code_cells_checked_by_their_handler():
    notebook = Path(__file__).resolve().parents[2] / "notebooks" / "03-execution-context.ipynb"
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    code = ["".join(c["source"]).strip() for c in cells if c["cell_type"] == "code"]
    for exercise_id in IDS:
        stub = ex.get(exercise_id).stub.strip()
        assert stub in code, f"notebook 03 lacks the stub cell of {exercise_id}"
        assert code[code.index(stub) + 1] == f'check("{exercise_id}", handler)'
