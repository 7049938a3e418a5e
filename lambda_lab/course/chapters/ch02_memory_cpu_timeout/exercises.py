"""The exercises of chapter 02, Memory, CPU and timeout: GB-seconds; one full vCPU; a handler that
watches its deadline; the cheapest memory size.

Importing this module registers them in :data:`lambda_lab.course.exercises.EXERCISES`.
"""

from __future__ import annotations

import inspect
import math
import numbers
from typing import Any

from lambda_lab.course.checks import normalised, takes_event_and_context
from lambda_lab.course.exercises import Check, Exercise, is_unanswered, register, solution_source


def _is_number(answer: Any) -> str | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return f"answer should be a number, not {type(answer).__name__}"
    return None


# --- 02: GB-seconds ----------------------------------------------------------------------------

_GB_SECONDS = 1_000_000 * (512 / 1024) * (200 / 1000)  # 100,000


def _gb_seconds_value(answer: Any) -> str | None:
    if _is_number(answer) is not None:
        return "first make the answer a number"
    if math.isclose(answer, _GB_SECONDS, rel_tol=1e-3):
        return None
    # The usual slips, each answered with the step to fix rather than the number.
    slips = {
        1_000_000 * 512 * 0.2: "that is MB-seconds: convert 512 MB to GB first (1 GB = 1,024 MB)",
        1_000_000 * 0.5 * 200: "that uses milliseconds: convert 200 ms to seconds first",
        1_000_000 * 512 * 200: "convert both: MB to GB (÷ 1,024) and ms to seconds (÷ 1,000)",
        1_000_000 * 0.512 * 0.2: "Lambda's GB is 1,024 MB, so 512 MB is exactly 0.5 GB",
        0.5 * 0.2: "that is one invocation: multiply by the number of invocations",
    }
    for value, message in slips.items():
        if math.isclose(answer, value, rel_tol=1e-3):
            return message
    return "GB-seconds = invocations × memory in GB × duration in seconds"


GB_SECONDS = register(
    Exercise(
        id="gb-seconds",
        title="GB-seconds of 1 million invocations at 512 MB and 200 ms",
        topic="02-memory-cpu-timeout",
        checks=[
            Check("the answer is a number", _is_number),
            Check("the answer is the total compute in GB-seconds", _gb_seconds_value),
        ],
        hints=[
            "A GB-second is one GB of memory allocated for one second.",
            "Convert first: 512 MB = 0.5 GB and 200 ms = 0.2 s.",
            "Multiply: invocations × GB × seconds.",
        ],
        solution=solution_source(__package__, "gb_seconds"),
    )
)


# --- 02: one full vCPU -------------------------------------------------------------------------


def _is_whole_megabytes(answer: Any) -> str | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Integral):
        return f"answer should be a whole number of MB (an int), not {type(answer).__name__}"
    return None


def _in_memory_range(answer: Any) -> str | None:
    if _is_whole_megabytes(answer) is not None:
        return "first make the answer an int"
    if not 128 <= answer <= 10_240:
        return "a function's memory is between 128 MB and 10,240 MB"
    return None


def _one_vcpu(answer: Any) -> str | None:
    if answer == 1769:
        return None
    if answer == 1792:
        return "1,792 MB is the figure in older (2020) material; the current value is a bit lower"
    if answer == 10_240:
        return "10,240 MB is the maximum, where a function gets up to 6 vCPUs; you want exactly one"
    return "CPU grows in proportion to memory; find the size where the share reaches one vCPU"


ONE_VCPU = register(
    Exercise(
        id="one-vcpu",
        title="Which memory size gives a function one full vCPU?",
        topic="02-memory-cpu-timeout",
        checks=[
            Check("the answer is an int (MB)", _is_whole_megabytes),
            Check("the answer is a valid memory size", _in_memory_range),
            Check("the answer is the size that gives one full vCPU", _one_vcpu),
        ],
        hints=[
            "Lambda has no CPU setting: CPU is allocated in proportion to memory.",
            "It is a little under the 1,792 MB that older material quotes.",
            "The memory configuration page of the Lambda Developer Guide gives the number.",
        ],
        solution=solution_source(__package__, "one_vcpu"),
    )
)


# --- 02: a handler that watches its deadline -----------------------------------------------------

_TIMEOUT_S = 1
_LONG_EVENT = {"items": list(range(20)), "seconds_per_item": 0.1}  # 2 s of work in a 1 s timeout
_SHORT_EVENT = {"items": [0, 1, 2], "seconds_per_item": 0.1}  # fits easily

_TIMEOUT_AWARE_STUB = """\
import time


def handler(event, context):
    processed = 0
    for _item in event["items"]:
        # TODO: stop here while enough time remains (context.get_remaining_time_in_millis())
        time.sleep(event["seconds_per_item"])  # stands in for real work on one item
        processed += 1
    return {"processed": processed, "total": len(event["items"])}
"""


def _is_timeout_stub(answer: Any) -> bool:
    """Not attempted: nothing, a placeholder body, or the stub's handler exactly as given."""
    if is_unanswered(answer):
        return True
    try:
        source = inspect.getsource(answer)
    except (OSError, TypeError):
        return False
    stub_handler = _TIMEOUT_AWARE_STUB[_TIMEOUT_AWARE_STUB.index("def handler") :]
    return normalised(source) == normalised(stub_handler)


_runs: dict[int, tuple[Any, dict[str, Any]]] = {}


def _timeout_runs(handler: Any) -> dict[str, Any]:
    """Deploy ``handler`` with a 1 s timeout, invoke it with both events, delete it (cached)."""
    cached = _runs.get(id(handler))
    if cached is not None and cached[0] is handler:
        return cached[1]
    import lambda_lab as ll

    fn = ll.deploy(handler, name="exercise-timeout-aware", timeout=_TIMEOUT_S)
    try:
        results = {"long": fn.invoke(_LONG_EVENT), "short": fn.invoke(_SHORT_EVENT)}
    finally:
        fn.delete()
    _runs.clear()
    _runs[id(handler)] = (handler, results)
    return results


def _processed(result: Any) -> int | None:
    payload = result.payload if result.ok else None
    value = payload.get("processed") if isinstance(payload, dict) else None
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def _finishes_in_time(handler: Any) -> str | None:
    result = _timeout_runs(handler)["long"]
    if result.ok:
        return None
    if result.error_type == "Sandbox.Timedout":
        return (
            "it timed out (Task timed out after 1.00 seconds): before each item, stop if "
            "context.get_remaining_time_in_millis() is below what one item needs"
        )
    return f"the handler failed with {result.error_type}: {result.error_message}"


def _returns_processed(handler: Any) -> str | None:
    result = _timeout_runs(handler)["long"]
    if not result.ok:
        return "first make it finish within the timeout"
    if _processed(result) is None:
        return "return a dict with 'processed': the number of items handled (an int)"
    return None


def _does_real_work(handler: Any) -> str | None:
    processed = _processed(_timeout_runs(handler)["long"])
    if processed is None:
        return "first make it return {'processed': <int>, ...}"
    if processed < 5:
        return (
            f"it stopped after {processed} items: keep going while the remaining time is above "
            "what one item needs (about 100 ms), then stop"
        )
    if processed > len(_LONG_EVENT["items"]):
        return "'processed' is more than the number of items in the event"
    return None


def _finishes_short_batches(handler: Any) -> str | None:
    result = _timeout_runs(handler)["short"]
    if _processed(result) != len(_SHORT_EVENT["items"]):
        return "when every item fits in the time left, process all of them"
    return None


TIMEOUT_AWARE = register(
    Exercise(
        id="timeout-aware",
        title="A handler that stops before its timeout",
        topic="02-memory-cpu-timeout",
        answer_name="handler",
        stub=_TIMEOUT_AWARE_STUB,
        not_attempted=_is_timeout_stub,
        checks=[
            Check("handler takes (event, context)", takes_event_and_context),
            Check("it finishes within its 1 s timeout when 20 items need 2 s", _finishes_in_time),
            Check("it returns {'processed': <int>, ...}", _returns_processed),
            Check("it uses its time: at least 5 of the 20 items are processed", _does_real_work),
            Check("it processes all 3 items of a batch that fits", _finishes_short_batches),
        ],
        hints=[
            "context.get_remaining_time_in_millis() says how many milliseconds are left "
            "before Lambda stops the invocation.",
            "Check it at the top of the loop, before starting an item; break out of the loop "
            "when it is too low.",
            "One item takes event['seconds_per_item'] seconds: stop while at least two items' "
            "worth of milliseconds remain.",
        ],
        solution=solution_source(__package__, "timeout_aware"),
    )
)


# --- 02: the cheapest memory size ----------------------------------------------------------------

#: {memory_mb: duration_ms} curves the checker tries; the comment is the cheapest size.
_MORE_MEMORY_CHEAPER = {1024: 120.0, 1769: 60.0, 3008: 59.5, 10240: 59.0}  # 1,769 MB
_CPU_BOUND = {128: 1203.4, 256: 598.1, 512: 301.7, 1024: 149.2, 1769: 86.9, 3008: 86.5}  # 256 MB
_ROUNDING = {128: 8.6, 256: 4.05}  # billed 9 ms vs 5 ms: 128 MB (unrounded, 256 MB would win)

_CHEAPEST_STUB = '''\
from lambda_lab.billing import billed_duration_ms, invocation_cost


def cheapest(durations):
    """Return the memory size (MB) whose invocation costs least.

    durations: {memory_mb: measured duration in ms}, e.g. {128: 1203.4, 256: 598.1}
    """
    ...
'''


def _call_cheapest(answer: Any, durations: dict[int, float]) -> Any:
    return answer(dict(durations))


def _returns_a_size(answer: Any) -> str | None:
    if not callable(answer):
        return f"cheapest should be a function, not {type(answer).__name__}"
    picked = _call_cheapest(answer, _CPU_BOUND)
    if picked not in _CPU_BOUND:
        return f"return one of the memory sizes (the dict's keys), not {picked!r}"
    return None


def _more_memory_can_be_cheaper(answer: Any) -> str | None:
    picked = _call_cheapest(answer, _MORE_MEMORY_CHEAPER)
    if picked == 1769:
        return None
    if picked == min(_MORE_MEMORY_CHEAPER):
        return "the smallest size is not always the cheapest: compute each size's cost"
    if picked == max(_MORE_MEMORY_CHEAPER):
        return "the fastest size is not always the cheapest: cost = memory × billed duration"
    return "compare the cost of one invocation at each size: memory (GB) × billed duration (s)"


def _cpu_bound_curve(answer: Any) -> str | None:
    picked = _call_cheapest(answer, _CPU_BOUND)
    if picked == 1024:  # cheapest only before rounding: 598.1 ms bills 599 ms, 149.2 ms bills 150
        return "close: Lambda bills whole milliseconds, rounded up; use billed_duration_ms()"
    if picked != 256:
        return "compare the cost of one invocation at each size: memory (GB) × billed duration (s)"
    return None


def _rounds_up(answer: Any) -> str | None:
    if _call_cheapest(answer, _ROUNDING) != 128:
        return (
            "Lambda bills whole milliseconds, rounded up: use billed_duration_ms(duration) "
            "before you multiply"
        )
    return None


CHEAPEST_MEMORY = register(
    Exercise(
        id="cheapest-memory",
        title="Pick the cheapest memory size from a measured power curve",
        topic="02-memory-cpu-timeout",
        answer_name="cheapest",
        stub=_CHEAPEST_STUB,
        checks=[
            Check("cheapest(durations) returns one of the memory sizes", _returns_a_size),
            Check("it finds a larger size that is cheaper", _more_memory_can_be_cheaper),
            Check("it finds the cheapest size of a CPU-bound curve", _cpu_bound_curve),
            Check("it bills whole milliseconds, rounded up", _rounds_up),
        ],
        hints=[
            "Cost of one invocation = memory in GB × billed duration in seconds × price per "
            "GB-s, plus the request charge (the same at every size).",
            "invocation_cost(billed_ms, memory_mb).total_usd gives that cost; "
            "billed_duration_ms(duration_ms) rounds the duration up to whole milliseconds.",
            "min(durations, key=...) returns the key with the smallest value of a function.",
        ],
        solution=solution_source(__package__, "cheapest_memory"),
    )
)
