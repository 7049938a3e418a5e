"""The exercises of chapter 04, Concurrency: how much a third function may reserve; the concurrency
a steady load needs.

Importing this module registers them in :data:`lambda_lab.course.exercises.EXERCISES`.
"""

from __future__ import annotations

import numbers
from typing import Any

from lambda_lab.course.exercises import Check, Exercise, register, solution_source

# --- 04: how much a third function may reserve ---------------------------------------------------

_HEADROOM = 3_000 - 100 - 1_200 - 900  # 800


def _is_whole_number(answer: Any) -> str | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Integral):
        return f"answer should be a whole number (an int), not {type(answer).__name__}"
    return None


def _headroom_value(answer: Any) -> str | None:
    if answer == _HEADROOM:
        return None
    slips = {
        900: "100 executions always stay unreserved: subtract them from the account's limit too",
        1_900: "subtract what the other two functions already reserve (1,200 and 900)",
        2_900: "subtract what the other two functions already reserve (1,200 and 900)",
        -1_200: "the account's limit here is 3,000, not the default 1,000",
        700: "only 100 stay unreserved, not 200",
    }
    return slips.get(answer, "reserved in total ≤ account limit − 100; subtract what others hold")


RESERVED_HEADROOM = register(
    Exercise(
        id="reserved-headroom",
        title="How much can a third function reserve?",
        topic="04-concurrency",
        checks=[
            Check("the answer is an int", _is_whole_number),
            Check("the answer leaves the unreserved minimum free", _headroom_value),
        ],
        hints=[
            "Reserved concurrency of all functions together may not push the account's "
            "unreserved concurrency below 100.",
            "So the total reserved is at most 3,000 − 100 = 2,900.",
            "Subtract what the two other functions already reserve.",
        ],
        solution=solution_source(__package__, "reserved_headroom"),
    )
)


# --- 04: the concurrency a steady load needs -----------------------------------------------------

#: (requests per second, mean duration ms) -> environments busy at once, rounded up. The durations
#: are exact binary fractions of a second, so rate × ms / 1000 and rate × (ms / 1000) agree.
_LOADS = {(100, 250): 25, (50, 1500): 75, (1000, 125): 125, (10, 30): 1, (6, 750): 5}

_CONCURRENCY_NEEDED_STUB = '''\
import math  # noqa: F401 - math.ceil may help


def concurrency_needed(requests_per_second, duration_ms):
    """Execution environments a steady load keeps busy at once (a whole number)."""
    ...
'''


def _returns_an_int(answer: Any) -> str | None:
    if not callable(answer):
        return f"concurrency_needed should be a function, not {type(answer).__name__}"
    value = answer(100, 250)
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        return f"return a whole number of environments (an int), not {type(value).__name__}"
    return None


def _littles_law(answer: Any) -> str | None:
    value = answer(100, 250)
    if value == 25:
        return None
    if value == 25_000:
        return "convert the duration to seconds first (250 ms = 0.25 s)"
    if value in (400, 1, 0):
        return "concurrency = requests per second × duration in seconds (multiply, don't divide)"
    return "concurrency = requests per second × average duration in seconds"


def _rounds_up(answer: Any) -> str | None:
    for (rate, duration_ms), expected in _LOADS.items():
        value = answer(rate, duration_ms)
        if value != expected:
            return (
                f"for {rate} requests/s of {duration_ms} ms it returned {value!r}, not "
                f"{expected}: part of an environment still needs a whole one (math.ceil)"
            )
    return None


CONCURRENCY_NEEDED = register(
    Exercise(
        id="concurrency-needed",
        title="The concurrency a steady load needs",
        topic="04-concurrency",
        answer_name="concurrency_needed",
        stub=_CONCURRENCY_NEEDED_STUB,
        checks=[
            Check("concurrency_needed(rate, ms) returns an int", _returns_an_int),
            Check("100 requests/s of 250 ms need 25 environments", _littles_law),
            Check("it rounds up to whole environments", _rounds_up),
        ],
        hints=[
            "Each request keeps one execution environment busy for its whole duration.",
            "Concurrency = requests per second × average duration in seconds.",
            "Convert ms to seconds (÷ 1,000), multiply, then round up with math.ceil.",
        ],
        solution=solution_source(__package__, "concurrency_needed"),
    )
)
