"""The exercises of chapter 03, The execution context: module-level code and warm environments.

Each is answered by a code cell that is the function's module: the answer is the ``handler`` it
defines, and the checker deploys the whole cell (:func:`lambda_lab.course.checks.module_source`;
module source text, as older notebooks passed it, works too).

Importing this module registers them in :data:`lambda_lab.course.exercises.EXERCISES`.
"""

from __future__ import annotations

import numbers
from typing import Any

from lambda_lab.course.checks import cell_defines_handler, cell_module, cell_not_attempted
from lambda_lab.course.exercises import Check, Exercise, register, solution_source

# --- 03: module-level code and warm environments -------------------------------------------------

_REUSE_CONNECTION_STUB = """\
# This cell is the function's module: the checker deploys the whole cell, as Lambda would.
import time


def connect():
    # Stands in for opening a database connection: it takes 300 ms.
    time.sleep(0.3)
    return {"opened_at": time.time()}


def handler(event, context):
    db = connect()  # TODO: open the connection once per environment, not on every invocation
    return {"opened_at": db["opened_at"]}
"""

_COLD_START_FLAG_STUB = """\
# This cell is the function's module: the checker deploys the whole cell, as Lambda would.
def handler(event, context):
    # TODO: return True on the first invocation of each execution environment, else False
    return {"cold_start": None}
"""

#: What the two 03 checkers do with the code: 3 invocations, a reset (a new environment), 1 more.
_WARM_CALLS = 3


_env_runs: dict[str, list[Any]] = {}


def _environment_runs(answer: Any) -> list[Any]:
    """Deploy the answer's module (:func:`.cell_module`); invoke it ``_WARM_CALLS`` times, reset
    it, invoke once more (cached for the last module)."""
    code = cell_module(answer)
    cached = _env_runs.get(code)
    if cached is not None:
        return cached
    import lambda_lab as ll

    fn = ll.deploy(code, name="exercise-execution-context", handler="lambda_function.handler")
    try:
        results = [fn.invoke({}) for _ in range(_WARM_CALLS)]
        fn.reset()
        results.append(fn.invoke({}))
    finally:
        fn.delete()
    _env_runs.clear()
    _env_runs[code] = results
    return results


def _payload_value(result: Any, key: str) -> Any:
    if not result.ok:
        raise AssertionError(f"the handler failed with {result.error_type}: {result.error_message}")
    payload = result.payload
    if not isinstance(payload, dict) or key not in payload:
        raise AssertionError(f"return a dict with the key {key!r}, e.g. {{{key!r}: ...}}")
    return payload[key]


def _opened_at(answer: Any) -> list[Any]:
    return [_payload_value(r, "opened_at") for r in _environment_runs(answer)]


def _returns_opened_at(answer: Any) -> str | None:
    value = _opened_at(answer)[0]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return "'opened_at' should be the number connect() returned (time.time())"
    return None


def _warm_reuses_connection(answer: Any) -> str | None:
    warm = _opened_at(answer)[:_WARM_CALLS]
    if len(set(warm)) == 1:
        return None
    return (
        "each invocation opened a new connection: call connect() at module level (outside "
        "the handler), so it runs once per execution environment"
    )


def _warm_is_fast(answer: Any) -> str | None:
    _opened_at(answer)  # the handler must work first
    slow = [r.duration_ms for r in _environment_runs(answer)[1:_WARM_CALLS] if r.duration_ms > 150]
    if slow:
        return (
            f"a warm invocation took {slow[0]:.0f} ms: the handler should not wait for "
            "connect() (300 ms) once the environment has a connection"
        )
    return None


def _new_environment_connects(answer: Any) -> str | None:
    opened = _opened_at(answer)
    if opened[-1] != opened[0] and _environment_runs(answer)[-1].cold_start:
        return None
    return (
        "a new execution environment must open its own connection: don't hard-code "
        "'opened_at', return what connect() gave"
    )


REUSE_CONNECTION = register(
    Exercise(
        id="reuse-connection",
        title="Open the connection once per execution environment",
        topic="03-execution-context",
        answer_name="handler",
        stub=_REUSE_CONNECTION_STUB,
        not_attempted=cell_not_attempted(_REUSE_CONNECTION_STUB),
        checks=[
            Check("the cell is a module with def handler(event, context)", cell_defines_handler),
            Check("the handler returns {'opened_at': <number>}", _returns_opened_at),
            Check("warm invocations reuse the environment's connection", _warm_reuses_connection),
            Check("warm invocations take under 150 ms (no new connect())", _warm_is_fast),
            Check("a new environment opens a new connection", _new_environment_connects),
        ],
        hints=[
            "Code at module level runs once per execution environment, in the init phase; "
            "the handler runs on every invocation.",
            "In the cell, move the call db = connect() out of the handler, below def "
            "connect(); run the cell again, then check.",
            "The handler then only reads the module-level db: return {'opened_at': "
            "db['opened_at']}.",
        ],
        solution=solution_source(__package__, "reuse_connection"),
    )
)


def _cold_flags(answer: Any) -> list[Any]:
    return [_payload_value(r, "cold_start") for r in _environment_runs(answer)]


def _returns_a_bool(answer: Any) -> str | None:
    flags = _cold_flags(answer)
    if all(isinstance(flag, bool) for flag in flags):
        return None
    return "'cold_start' should be True or False (a bool), not None"


def _first_is_cold(answer: Any) -> str | None:
    if _cold_flags(answer)[0] is True:
        return None
    return "the first invocation of a new environment is a cold start: return True there"


def _warm_are_not_cold(answer: Any) -> str | None:
    if all(flag is False for flag in _cold_flags(answer)[1:_WARM_CALLS]):
        return None
    return (
        "the 2nd and 3rd invocations ran in the same (warm) environment: return False there; "
        "a module-level variable remembers what happened in this environment"
    )


def _new_environment_is_cold(answer: Any) -> str | None:
    if _cold_flags(answer)[-1] is True:
        return None
    return "after fn.reset() a new environment starts: its first invocation is cold again"


def _agrees_with_lambda(answer: Any) -> str | None:
    runs = _environment_runs(answer)
    if [r.cold_start for r in runs] == _cold_flags(answer):
        return None
    return "the flag should agree with the REPORT line (Init Duration) of each invocation"


COLD_START_FLAG = register(
    Exercise(
        id="cold-start-flag",
        title="A handler that knows whether it runs in a new environment",
        topic="03-execution-context",
        answer_name="handler",
        stub=_COLD_START_FLAG_STUB,
        not_attempted=cell_not_attempted(_COLD_START_FLAG_STUB),
        checks=[
            Check("the cell is a module with def handler(event, context)", cell_defines_handler),
            Check("the handler returns {'cold_start': True or False}", _returns_a_bool),
            Check("the first invocation says True", _first_is_cold),
            Check("warm invocations say False", _warm_are_not_cold),
            Check("a new environment says True again", _new_environment_is_cold),
            Check("every answer agrees with Lambda's own record", _agrees_with_lambda),
        ],
        hints=[
            "Module-level code runs once per execution environment; a module-level variable "
            "keeps its value between warm invocations of that environment.",
            "Above def handler, in the same cell, start with cold = True at module level; in "
            "the handler, remember its value, then set it to False (declare global cold first).",
            "Return the remembered value: {'cold_start': was_cold}.",
        ],
        solution=solution_source(__package__, "cold_start_flag"),
    )
)
