"""The course's exercises. Importing this module registers them in :data:`exercises.EXERCISES`.

Most checks need no emulator. Checks that run a handler through the emulator (``timeout-aware``)
import it inside the check function, so importing the course stays cheap.
"""

from __future__ import annotations

import ast
import inspect
import itertools
import math
import numbers
from collections.abc import Iterable
from typing import Any

from lambda_lab.course.exercises import Check, Exercise, FakeContext, is_unanswered, register
from lambda_lab.course.solutions import source

__all__ = [
    "ALIAS_SHIFT",
    "CHEAPEST_MEMORY",
    "COLD_START_FLAG",
    "CONCURRENCY_NEEDED",
    "FREE_TIER_COMPUTE",
    "GB_SECONDS",
    "HELLO_HANDLER",
    "IDEMPOTENT_ORDERS",
    "ONE_VCPU",
    "PARTIAL_BATCH",
    "RESERVED_HEADROOM",
    "REUSE_CONNECTION",
    "TIMEOUT_AWARE",
]


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
        solution=source("gb_seconds"),
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
        solution=source("one_vcpu"),
    )
)


# --- 01: a first handler -----------------------------------------------------------------------

_EVENTS = ({"name": "Ada"}, {"name": "Grace", "extra": 1})


def _takes_event_and_context(handler: Any) -> str | None:
    if not callable(handler):
        return f"handler should be a function, not {type(handler).__name__}"
    try:
        inspect.signature(handler).bind({}, FakeContext())
    except TypeError:
        return "define it as def handler(event, context): — Lambda passes exactly two arguments"
    except ValueError:
        return None  # no signature to inspect (a builtin): let the calls below decide
    return None


def _returns_dict(handler: Any) -> str | None:
    result = handler(dict(_EVENTS[0]), FakeContext())
    if not isinstance(result, dict):
        return f"return a dict, not {type(result).__name__}"
    return None


def _status_200(handler: Any) -> str | None:
    result = handler(dict(_EVENTS[0]), FakeContext())
    status = result.get("statusCode") if isinstance(result, dict) else None
    if status == 200 and not isinstance(status, bool) and isinstance(status, int):
        return None
    if status == "200":
        return "statusCode should be the int 200, not the string '200'"
    return "the dict needs the key 'statusCode' with the value 200"


def _body_is_name(handler: Any) -> str | None:
    for event in _EVENTS:
        result = handler(dict(event), FakeContext())
        body = result.get("body") if isinstance(result, dict) else None
        if body != event["name"]:
            return "the dict's 'body' should be the event's 'name' (read it with event['name'])"
    return None


HELLO_HANDLER = register(
    Exercise(
        id="hello-handler",
        title="Write a handler that answers with the event's name",
        topic="01-first-function",
        answer_name="handler",
        stub=(
            "def handler(event, context):\n"
            "    # TODO: return {'statusCode': 200, 'body': <the event's name>}\n"
            "    ...\n"
        ),
        checks=[
            Check("handler takes (event, context)", _takes_event_and_context),
            Check(
                "handler returns a dict",
                _returns_dict,
                hint="handler should return a dict for the event {'name': 'Ada'}",
            ),
            Check(
                "the dict's statusCode is 200",
                _status_200,
                hint="handler should return {'statusCode': 200, ...}",
            ),
            Check(
                "the dict's body is event['name']",
                _body_is_name,
                hint="the dict's 'body' should be event['name']",
            ),
        ],
        hints=[
            "Lambda calls your function with the event (here a dict) and a context object.",
            "Read the name with event['name'].",
            "Return a dict literal: {'statusCode': 200, 'body': ...}.",
        ],
        solution=source("hello_handler"),
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


def _normalised(source: str) -> str:
    return "\n".join(line.rstrip() for line in inspect.cleandoc(source).splitlines() if line)


def _is_timeout_stub(answer: Any) -> bool:
    """Not attempted: nothing, a placeholder body, or the stub's handler exactly as given."""
    if is_unanswered(answer):
        return True
    try:
        source = inspect.getsource(answer)
    except (OSError, TypeError):
        return False
    stub_handler = _TIMEOUT_AWARE_STUB[_TIMEOUT_AWARE_STUB.index("def handler") :]
    return _normalised(source) == _normalised(stub_handler)


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
            Check("handler takes (event, context)", _takes_event_and_context),
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
        solution=source("timeout_aware"),
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
        solution=source("cheapest_memory"),
    )
)


# --- 03: module-level code and warm environments -------------------------------------------------

_REUSE_CONNECTION_STUB = """\
code = '''
import time


def connect():
    # Stands in for opening a database connection: it takes 300 ms.
    time.sleep(0.3)
    return {"opened_at": time.time()}


def handler(event, context):
    db = connect()  # TODO: open the connection once per environment, not on every invocation
    return {"opened_at": db["opened_at"]}
'''
"""

_COLD_START_FLAG_STUB = """\
code = '''
def handler(event, context):
    # TODO: return True on the first invocation of each execution environment, else False
    return {"cold_start": None}
'''
"""

#: What the two 03 checkers do with the code: 3 invocations, a reset (a new environment), 1 more.
_WARM_CALLS = 3


def _stub_code(stub: str) -> str:
    return _run_stub(stub)["code"]


def _run_stub(stub: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {}
    exec(compile(stub, "<stub>", "exec"), namespace)
    return namespace


def _same_code(a: str, b: str) -> bool:
    def lines(text: str) -> list[str]:
        return [line.rstrip() for line in text.strip().splitlines() if line.strip()]

    return lines(a) == lines(b)


def _code_not_attempted(stub: str) -> Any:
    def not_attempted(answer: Any) -> bool:
        if is_unanswered(answer):
            return True
        return isinstance(answer, str) and _same_code(answer, _stub_code(stub))

    return not_attempted


def _defines_handler(answer: Any) -> str | None:
    if not isinstance(answer, str):
        return f"code should be the module's source text (a str), not {type(answer).__name__}"
    try:
        tree = ast.parse(answer)
    except SyntaxError as exc:
        return f"the code has a syntax error on line {exc.lineno}: {exc.msg}"
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "handler":
            if len(node.args.args) == 2:
                return None
            return "define it as def handler(event, context): — Lambda passes two arguments"
    return "the code needs a module-level def handler(event, context):"


_env_runs: dict[str, list[Any]] = {}


def _environment_runs(code: str) -> list[Any]:
    """Deploy ``code``; invoke it ``_WARM_CALLS`` times, reset it, invoke once more (cached)."""
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


def _opened_at(code: str) -> list[Any]:
    return [_payload_value(r, "opened_at") for r in _environment_runs(code)]


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
        answer_name="code",
        stub=_REUSE_CONNECTION_STUB,
        not_attempted=_code_not_attempted(_REUSE_CONNECTION_STUB),
        checks=[
            Check("code is module source with def handler(event, context)", _defines_handler),
            Check("the handler returns {'opened_at': <number>}", _returns_opened_at),
            Check("warm invocations reuse the environment's connection", _warm_reuses_connection),
            Check("warm invocations take under 150 ms (no new connect())", _warm_is_fast),
            Check("a new environment opens a new connection", _new_environment_connects),
        ],
        hints=[
            "Code at module level runs once per execution environment, in the init phase; "
            "the handler runs on every invocation.",
            "Move the call db = connect() out of the handler, below def connect().",
            "The handler then only reads the module-level db: return {'opened_at': "
            "db['opened_at']}.",
        ],
        solution=source("reuse_connection"),
    )
)


def _cold_flags(code: str) -> list[Any]:
    return [_payload_value(r, "cold_start") for r in _environment_runs(code)]


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
        answer_name="code",
        stub=_COLD_START_FLAG_STUB,
        not_attempted=_code_not_attempted(_COLD_START_FLAG_STUB),
        checks=[
            Check("code is module source with def handler(event, context)", _defines_handler),
            Check("the handler returns {'cold_start': True or False}", _returns_a_bool),
            Check("the first invocation says True", _first_is_cold),
            Check("warm invocations say False", _warm_are_not_cold),
            Check("a new environment says True again", _new_environment_is_cold),
            Check("every answer agrees with Lambda's own record", _agrees_with_lambda),
        ],
        hints=[
            "Module-level code runs once per execution environment; a module-level variable "
            "keeps its value between warm invocations of that environment.",
            "Start with cold = True at module level; in the handler, remember its value, then "
            "set it to False (declare global cold first).",
            "Return the remembered value: {'cold_start': was_cold}.",
        ],
        solution=source("cold_start_flag"),
    )
)


# --- 01: how far the free tier's compute goes ----------------------------------------------------

_FREE_TIER_COMPUTE = 400_000 / ((512 / 1024) * (200 / 1000))  # 4,000,000 invocations


def _free_tier_compute_value(answer: Any) -> str | None:
    if _is_number(answer) is not None:
        return "first make the answer a number"
    if math.isclose(answer, _FREE_TIER_COMPUTE, rel_tol=1e-3):
        return None
    slips = {
        1_000_000: "1 million is the free tier's requests; the question is about its "
        "400,000 GB-seconds of compute",
        400_000 / (512 * 0.2): "that divides by MB-seconds: convert 512 MB to GB first "
        "(1 GB = 1,024 MB)",
        400_000 / (0.5 * 200): "that uses milliseconds: convert 200 ms to seconds first",
        400_000 / (512 * 200): "convert both: MB to GB (÷ 1,024) and ms to seconds (÷ 1,000)",
        400_000 / (0.512 * 0.2): "Lambda's GB is 1,024 MB, so 512 MB is exactly 0.5 GB",
        400_000 * 0.5 * 0.2: "divide the free GB-seconds by the GB-seconds of one invocation",
    }
    for value, message in slips.items():
        if math.isclose(answer, value, rel_tol=1e-3):
            return message
    return "invocations = free GB-seconds ÷ (memory in GB × duration in seconds)"


FREE_TIER_COMPUTE = register(
    Exercise(
        id="free-tier-compute",
        title="How many invocations fit in the free tier's 400,000 GB-seconds?",
        topic="01-first-function",
        checks=[
            Check("the answer is a number", _is_number),
            Check(
                "the answer is the number of invocations the free compute covers",
                _free_tier_compute_value,
            ),
        ],
        hints=[
            "One invocation uses (memory in GB × duration in seconds) GB-seconds.",
            "512 MB = 0.5 GB and 200 ms = 0.2 s, so one invocation is 0.1 GB-s.",
            "Divide the free tier's 400,000 GB-s by the GB-s of one invocation.",
        ],
        solution=source("free_tier_compute"),
    )
)


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
        solution=source("reserved_headroom"),
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
        solution=source("concurrency_needed"),
    )
)


# --- 05: a partial batch response for messages that are not JSON ---------------------------------

_PARTIAL_BATCH_STUB = """\
import json


def handler(event, context):
    failures = []
    for record in event["Records"]:
        print("received", record["messageId"])
        # TODO: if record["body"] is not valid JSON, add {"itemIdentifier": <its messageId>}
    return {"batchItemFailures": failures}
"""

#: (messageId, body) of the batch the direct checks pass in; "m-2" and "m-4" are not JSON.
_SAMPLE_BATCH = (
    ("m-1", '{"order": 1}'),
    ("m-2", "order 2, not JSON"),
    ("m-3", "[1, 2]"),
    ("m-4", ""),
    ("m-5", '"a JSON string"'),
)
_SAMPLE_BAD = {"m-2", "m-4"}
#: Bodies the real SQS run sends, in order; the bad ones must be the only ones to come back.
_QUEUE_BODIES = ('{"order": 10}', "{order: 11}", '{"order": 12}', "13", "fourteen", "null")
_QUEUE_BAD = ("fourteen", "{order: 11}")
_VISIBILITY_S = 30


def _is_partial_batch_stub(answer: Any) -> bool:
    """Not attempted: nothing, a placeholder body, or the stub's handler exactly as given."""
    if is_unanswered(answer):
        return True
    try:
        text = inspect.getsource(answer)
    except (OSError, TypeError):
        return False
    stub_handler = _PARTIAL_BATCH_STUB[_PARTIAL_BATCH_STUB.index("def handler") :]
    return _normalised(text) == _normalised(stub_handler)


def _sqs_event(batch: Iterable[tuple[str, str]]) -> dict[str, Any]:
    arn = "arn:aws:sqs:us-east-1:123456789012:orders"
    return {"Records": [{"messageId": mid, "receiptHandle": f"handle-{mid}", "body": body,
                         "attributes": {"ApproximateReceiveCount": "1"},
                         "messageAttributes": {}, "eventSource": "aws:sqs",
                         "eventSourceARN": arn, "awsRegion": "us-east-1"}
                        for mid, body in batch]}


def _direct_answer(handler: Any) -> Any:
    return handler(_sqs_event(_SAMPLE_BATCH), FakeContext())


def _does_not_raise(handler: Any) -> str | None:
    try:
        _direct_answer(handler)
    except Exception as exc:  # noqa: BLE001 -- any exception fails the whole batch
        return (
            f"a body that is not JSON made the handler raise {type(exc).__name__}: catch "
            "json.JSONDecodeError (a ValueError) for each record — if the handler raises, "
            "Lambda returns the whole batch to the queue"
        )
    return None


def _reported_ids(answer: Any) -> set[str]:
    """The itemIdentifiers of a partial batch response; AssertionError with a hint if malformed."""
    assert isinstance(answer, dict), (
        f"return a dict {{'batchItemFailures': [...]}}, not {type(answer).__name__}"
    )
    items = answer.get("batchItemFailures")
    assert isinstance(items, list), "the dict needs the key 'batchItemFailures' with a list"
    ids = set()
    for item in items:
        assert isinstance(item, dict) and "itemIdentifier" in item, (
            "each failure is a dict {'itemIdentifier': <the record's messageId>}, "
            f"not {item!r}"
        )
        ids.add(item["itemIdentifier"])
    return ids


def _reports_the_bad_ids(handler: Any) -> str | None:
    ids = _reported_ids(_direct_answer(handler))
    bodies = dict(_SAMPLE_BATCH)
    if ids & set(bodies.values()) - set(bodies):
        return "itemIdentifier is the record's messageId, not its body"
    if ids == _SAMPLE_BAD:
        return None
    missed = sorted(_SAMPLE_BAD - ids)
    if missed:
        return f"the body {bodies[missed[0]]!r} is not valid JSON: report its messageId"
    extra = sorted(ids - _SAMPLE_BAD)
    if extra[0] in bodies:
        return (
            f"the body {bodies[extra[0]]!r} is valid JSON: report only the records that "
            "json.loads cannot parse"
        )
    return f"{extra[0]!r} is not a messageId of this batch"


_sqs_runs: dict[int, tuple[Any, dict[str, Any]]] = {}
_run_numbers = itertools.count(1)


def _partial_batch_run(handler: Any) -> dict[str, Any]:
    """Run ``handler`` behind a real SQS event source mapping (cached per handler).

    Uses the active ``lambda_lab.mock_aws()`` session if there is one (they do not nest), else a
    new one on a virtual clock."""
    cached = _sqs_runs.get(id(handler))
    if cached is not None and cached[0] is handler:
        return cached[1]
    import lambda_lab
    from lambda_lab.aws import mock
    from lambda_lab.clock import VirtualClock

    active = mock._active
    if active is not None:
        result = _through_sqs(active, handler)
    else:
        with lambda_lab.mock_aws(clock=VirtualClock()) as aws:
            result = _through_sqs(aws, handler)
    _sqs_runs.clear()
    _sqs_runs[id(handler)] = (handler, result)
    return result


def _through_sqs(aws: Any, handler: Any) -> dict[str, Any]:
    """Send :data:`_QUEUE_BODIES`, let the mapping poll once, then read what came back."""
    import boto3

    from lambda_lab.code import module_from_function
    from lambda_lab.course.first_function import make_zip
    from lambda_lab.course.roles import lambda_role
    from lambda_lab.sources import store_for

    source, function = module_from_function(handler)
    name = f"exercise-partial-batch-{next(_run_numbers)}"
    lam = boto3.client("lambda", region_name="us-east-1")
    sqs = boto3.client("sqs", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    role = lambda_role(iam, name)
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler=f"lambda_function.{function}",
                        Code={"ZipFile": make_zip(source)})
    url = sqs.create_queue(QueueName=name,
                           Attributes={"VisibilityTimeout": str(_VISIBILITY_S)})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    uuid = lam.create_event_source_mapping(
        EventSourceArn=arn["Attributes"]["QueueArn"], FunctionName=name,
        FunctionResponseTypes=["ReportBatchItemFailures"])["UUID"]
    try:
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": body} for i, body in enumerate(_QUEUE_BODIES)])
        aws.advance(1)
        outcomes = [h["outcome"] for h in store_for(aws.platform()).mappings[uuid].history]
        lam.update_event_source_mapping(UUID=uuid, Enabled=False)
        aws.advance(_VISIBILITY_S + 1)
        got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10)
        returned = sorted(msg["Body"] for msg in got.get("Messages", []))
    finally:
        lam.delete_event_source_mapping(UUID=uuid)
        lam.delete_function(FunctionName=name)
        sqs.delete_queue(QueueUrl=url)
    return {"outcomes": outcomes, "returned": returned}


def _sqs_keeps_only_the_bad(handler: Any) -> str | None:
    run = _partial_batch_run(handler)
    if not run["outcomes"]:
        return "the mapping never invoked the handler: does it deploy? (run it on a test event)"
    outcome = run["outcomes"][0]
    if outcome.startswith("function error"):
        return "the handler raised on the real queue: the whole batch came back"
    if outcome == "malformed batchItemFailures response":
        return (
            "Lambda could not read the response (an itemIdentifier that is not a messageId of "
            "the batch?), so the whole batch came back"
        )
    if run["returned"] == sorted(_QUEUE_BAD):
        return None
    return (
        f"after the visibility timeout {run['returned']!r} came back from the queue, not "
        f"{sorted(_QUEUE_BAD)!r}"
    )


PARTIAL_BATCH = register(
    Exercise(
        id="partial-batch",
        title="Report only the messages that are not JSON",
        topic="05-event-sources",
        answer_name="handler",
        stub=_PARTIAL_BATCH_STUB,
        not_attempted=_is_partial_batch_stub,
        checks=[
            Check("handler takes (event, context)", _takes_event_and_context),
            Check("it does not raise when a body is not JSON", _does_not_raise),
            Check(
                "it returns {'batchItemFailures': [{'itemIdentifier': <messageId>}, …]} for "
                "exactly the bodies that are not JSON",
                _reports_the_bad_ids,
            ),
            Check(
                "behind a real SQS mapping, only the bad messages come back to the queue",
                _sqs_keeps_only_the_bad,
            ),
        ],
        hints=[
            "json.loads(record['body']) raises json.JSONDecodeError (a ValueError) when the "
            "body is not valid JSON.",
            "Wrap json.loads in try/except ValueError; in the except branch, append "
            "{'itemIdentifier': record['messageId']} to failures.",
            "Return {'batchItemFailures': failures}: an empty list means the whole batch "
            "succeeded.",
        ],
        solution=source("partial_batch"),
    )
)


# --- 06: shift an alias to a new version in weighted steps ---------------------------------------

_ALIAS_SHIFT_STUB = '''\
def shift(lam, name, alias, new_version, steps):
    """Move `alias` of function `name` to `new_version`: route each weight in `steps` (fractions,
    e.g. [0.1, 0.5]) to the new version in turn, then point the alias fully at it."""
    ...
'''

#: The two shifts the checker runs: (alias, versions published, from, to, steps).
_SHIFTS = (("live", 2, "1", "2", (0.1, 0.25, 0.5)), ("prod", 3, "2", "3", (0.05, 0.2)))
_SHIFT_INVOKES = 20


def _takes_shift_arguments(answer: Any) -> str | None:
    if not callable(answer):
        return f"shift should be a function, not {type(answer).__name__}"
    try:
        inspect.signature(answer).bind("lam", "name", "alias", "2", [0.1])
    except TypeError:
        return "define it as def shift(lam, name, alias, new_version, steps):"
    except ValueError:
        return None
    return None


_shift_runs: dict[int, tuple[Any, list[dict[str, Any]]]] = {}


def _shift_run(answer: Any) -> list[dict[str, Any]]:
    """Run ``answer`` on both :data:`_SHIFTS` against the emulated Lambda (cached per answer).

    Uses the active ``lambda_lab.mock_aws()`` session if there is one (they do not nest), else a
    new one on a virtual clock."""
    cached = _shift_runs.get(id(answer))
    if cached is not None and cached[0] is answer:
        return cached[1]
    import lambda_lab
    from lambda_lab.aws import mock
    from lambda_lab.clock import VirtualClock

    active = mock._active
    if active is not None:
        runs = [_one_shift(answer, *shift) for shift in _SHIFTS]
    else:
        with lambda_lab.mock_aws(clock=VirtualClock(), seed=6):
            runs = [_one_shift(answer, *shift) for shift in _SHIFTS]
    _shift_runs.clear()
    _shift_runs[id(answer)] = (answer, runs)
    return runs


def _one_shift(answer: Any, alias: str, versions: int, old: str, new: str,
               steps: tuple[float, ...]) -> dict[str, Any]:
    """Publish ``versions`` versions, point ``alias`` at ``old``, call ``answer``; record every
    alias state UpdateAlias answered, the final alias, and the versions 20 invocations ran."""
    import boto3
    from botocore.exceptions import ClientError

    from lambda_lab.course.first_function import make_zip
    from lambda_lab.course.roles import lambda_role

    name = f"exercise-shift-{next(_run_numbers)}"
    lam = boto3.client("lambda", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    role = lambda_role(iam, name)
    code = "def handler(event, context):\n    return context.function_version  # {}\n"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler",
                        Code={"ZipFile": make_zip(code.format(1))}, Publish=True)
    for n in range(2, versions + 1):
        lam.update_function_code(FunctionName=name, ZipFile=make_zip(code.format(n)),
                                 Publish=True)
    lam.create_alias(FunctionName=name, Name=alias, FunctionVersion=old)
    states: list[tuple[str, dict[str, float]]] = []

    def record(parsed: dict[str, Any], **_: Any) -> None:
        if "Error" not in parsed:
            weights = parsed.get("RoutingConfig", {}).get("AdditionalVersionWeights", {})
            state = (parsed.get("FunctionVersion"), dict(weights))
            if not states or states[-1] != state:
                states.append(state)

    lam.meta.events.register("after-call.lambda.UpdateAlias", record)
    run: dict[str, Any] = {"alias": alias, "old": old, "new": new, "steps": steps,
                           "states": states, "error": None}
    try:
        answer(lam, name, alias, new, list(steps))
    except ClientError as exc:
        err = exc.response["Error"]
        run["error"] = (err["Code"], err["Message"])
    except Exception as exc:  # noqa: BLE001 -- any mistake in the answer is feedback
        run["error"] = (type(exc).__name__, str(exc).split("\n", 1)[0])
    finally:
        lam.meta.events.unregister("after-call.lambda.UpdateAlias", record)
        final = lam.get_alias(FunctionName=name, Name=alias)
        run["final"] = (final["FunctionVersion"],
                        final.get("RoutingConfig", {}).get("AdditionalVersionWeights", {}))
        run["executed"] = sorted({
            lam.invoke(FunctionName=name, Qualifier=alias)["ExecutedVersion"]
            for _ in range(_SHIFT_INVOKES)})
        lam.delete_function(FunctionName=name)
    return run


def _shift_runs_without_error(answer: Any) -> str | None:
    run = _shift_run(answer)[0]
    if run["error"] is None:
        return None
    code, message = run["error"]
    if code == "ValidationException" and "additionalVersionWeights" in message:
        return "weights are fractions from 0 to 1 (0.1 is 10%), not percentages"
    if "already included in routing configuration" in message:
        return (
            "for the last step, point FunctionVersion at the new version and remove the "
            "routing in the same call: RoutingConfig={'AdditionalVersionWeights': {}}"
        )
    if "$LATEST" in message:
        return "route to the published version new_version, never to $LATEST"
    return f"shift raised {code}: {message}"


def _weighted_states(run: dict[str, Any]) -> list[tuple[str, dict[str, float]]]:
    return [state for state in run["states"] if state[1]]


def _steps_in_order(run: dict[str, Any]) -> str | None:
    weighted = _weighted_states(run)
    expected = [(run["old"], {run["new"]: w}) for w in run["steps"]]
    if weighted == expected:
        return None
    if not weighted:
        return (
            "the alias never routed a weight to the new version: for each weight in steps, "
            "call update_alias with RoutingConfig={'AdditionalVersionWeights': "
            "{new_version: weight}}"
        )
    if any(version != run["old"] for version, _ in weighted):
        return (
            "while shifting, the alias keeps pointing at the old version (leave out "
            "FunctionVersion); only the weight goes to the new version"
        )
    got = [next(iter(w.values())) for _, w in weighted if len(w) == 1]
    return f"the alias routed {got} to the new version, not each of steps {list(run['steps'])}"


def _routes_each_step(answer: Any) -> str | None:
    return _steps_in_order(_shift_run(answer)[0])


def _ends_on_the_new_version(answer: Any) -> str | None:
    run = _shift_run(answer)[0]
    version, weights = run["final"]
    if version == run["new"] and not weights:
        return None
    if version == run["old"]:
        return (
            "after the last step the alias still points at the old version: finish with "
            "update_alias(..., FunctionVersion=new_version, "
            "RoutingConfig={'AdditionalVersionWeights': {}})"
        )
    return f"the alias ends on version {version} with routing {weights}, not the new one only"


def _invocations_run_the_new_version(answer: Any) -> str | None:
    run = _shift_run(answer)[0]
    if run["executed"] == [run["new"]]:
        return None
    return (
        f"after the shift, {_SHIFT_INVOKES} invocations of the alias ran versions "
        f"{run['executed']}, not only version {run['new']}"
    )


def _works_for_other_aliases(answer: Any) -> str | None:
    run = _shift_run(answer)[1]
    label = f"shifting alias 'prod' from version 2 to 3 in steps {list(run['steps'])}"
    if run["error"] is not None:
        return f"{label} raised {run['error'][0]}: use the arguments, not fixed names or versions"
    problem = _steps_in_order(run)
    if problem is not None:
        return f"{label}: {problem}"
    if run["final"] != ("3", {}):
        return f"{label}: the alias ended on {run['final'][0]}, not on version 3 only"
    return None


ALIAS_SHIFT = register(
    Exercise(
        id="alias-shift",
        title="Shift an alias to a new version in weighted steps",
        topic="06-versions-aliases-layers",
        answer_name="shift",
        stub=_ALIAS_SHIFT_STUB,
        checks=[
            Check("shift takes (lam, name, alias, new_version, steps)", _takes_shift_arguments),
            Check("it runs against the emulated Lambda without an error",
                  _shift_runs_without_error),
            Check("each weight in steps goes to the new version, in order, while the alias "
                  "keeps the old version", _routes_each_step),
            Check("finally the alias points only at the new version", _ends_on_the_new_version),
            Check(f"then {_SHIFT_INVOKES} invocations of the alias all run the new version",
                  _invocations_run_the_new_version),
            Check("it works for another alias and other versions (prod: 2 → 3)",
                  _works_for_other_aliases),
        ],
        hints=[
            "lam.update_alias(FunctionName=name, Name=alias, RoutingConfig=...) changes the "
            "routing and keeps the version the alias points to.",
            "One call per weight: RoutingConfig={'AdditionalVersionWeights': "
            "{new_version: weight}}, with weight a fraction such as 0.1.",
            "Last call: FunctionVersion=new_version and RoutingConfig="
            "{'AdditionalVersionWeights': {}} together (a version cannot also be the "
            "additional one).",
        ],
        solution=source("alias_shift"),
    )
)


# --- 07: process each order once (idempotency) ---------------------------------------------------

_IDEMPOTENT_ORDERS_STUB = """\
# This cell is the function's module: the checker deploys the whole cell, as Lambda would.
import os

import boto3

# AWS_REGION is set in Lambda; the default lets this cell run in the notebook too.
dynamodb = boto3.client("dynamodb", region_name=os.environ.get("AWS_REGION", "us-east-1"))


def ship(order):
    # The side effect that must happen once per order: it counts a parcel in SHIPMENTS_TABLE.
    # For an order with "courier_timeout", the courier takes the parcel but its answer times
    # out: ship() raises after shipping, and Lambda retries the event.
    dynamodb.update_item(
        TableName=os.environ["SHIPMENTS_TABLE"],
        Key={"orderId": {"S": order["orderId"]}},
        UpdateExpression="ADD parcels :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    if order.get("courier_timeout"):
        raise TimeoutError("the courier's API did not answer")


def handler(event, context):
    # TODO: ship each orderId once. Before shipping, put {"orderId": ...} into the table
    # os.environ["PROCESSED_TABLE"] with ConditionExpression="attribute_not_exists(orderId)";
    # if the put fails, the order was processed before: return without shipping.
    ship(event)
    return {"shipped": event["orderId"]}
"""

_order_runs: dict[str, Any] = {}


def _orders_module(answer: Any) -> str:
    """The module the answer's handler was defined in (or module source text)."""
    from lambda_lab.course.idempotency import module_source

    try:
        return module_source(answer)
    except TypeError as exc:
        raise AssertionError(f"first make handler a function defined in the cell ({exc})") from None


def _orders_not_attempted(answer: Any) -> bool:
    if is_unanswered(answer):
        return True
    try:
        return _same_code(_orders_module(answer), _IDEMPOTENT_ORDERS_STUB)
    except AssertionError:
        return False


def _orders_defines_handler(answer: Any) -> str | None:
    return _defines_handler(_orders_module(answer))


def _orders_run(answer: Any) -> Any:
    """:func:`lambda_lab.course.idempotency.run_orders` of the answer's module (cached for the
    last module)."""
    code = _orders_module(answer)
    cached = _order_runs.get(code)
    if cached is None:
        from lambda_lab.course.idempotency import run_orders

        cached = run_orders(code)
        _order_runs.clear()
        _order_runs[code] = cached
    if cached.problem:
        raise AssertionError(cached.problem)
    return cached


def _first_order_ships(answer: Any) -> str | None:
    run = _orders_run(answer)
    (first,) = run.of("o-1")
    if first.ended_in != "success":
        return f"the new order o-1 failed: {first.error or first.ended_in}"
    if run.shipments.get("o-1") != 1:
        return "the new order o-1 was not shipped: call ship(event) for an order seen first"
    return None


def _records_each_order(answer: Any) -> str | None:
    from lambda_lab.course.idempotency import ORDERS

    processed = _orders_run(answer).processed
    if processed == list(ORDERS):
        return None
    if not processed:
        return ("the PROCESSED_TABLE is empty: put {'orderId': {'S': event['orderId']}} into "
                "os.environ['PROCESSED_TABLE'] before shipping")
    return (f"the PROCESSED_TABLE holds {processed}, not one item per order {list(ORDERS)}: "
            "put the orderId before calling ship()")


def _duplicates_ship_once(answer: Any) -> str | None:
    run = _orders_run(answer)
    for order, how in (("o-2", "twice at once"), ("o-4", "again 5 minutes later")):
        parcels = run.shipments.get(order, 0)
        if parcels > 1:
            return (f"order {order} arrived {how} and was shipped {parcels} times: put the "
                    "orderId with ConditionExpression='attribute_not_exists(orderId)' before "
                    "shipping, and skip shipping when the put fails")
        if parcels == 0:
            return f"order {order} was never shipped"
        failed = [d for d in run.of(order) if d.ended_in != "success"]
        if failed:
            return (f"the duplicate of {order} failed ({failed[0].error}): catch "
                    "dynamodb.exceptions.ConditionalCheckFailedException and return — a raise "
                    "makes Lambda retry it")
    return None


def _retry_does_not_ship_again(answer: Any) -> str | None:
    run = _orders_run(answer)
    parcels = run.shipments.get("o-3", 0)
    (delivery,) = run.of("o-3")
    if parcels > 1:
        return (f"ship() failed after shipping o-3, Lambda retried the event, and it was "
                f"shipped {parcels} times: record the order before shipping, so the retry "
                "finds it")
    if parcels == 0:
        return "order o-3 was never shipped"
    if delivery.ended_in != "success":
        return (f"the retry of o-3 failed too ({delivery.error}): when the order is already "
                "in the table, return without shipping")
    return None


IDEMPOTENT_ORDERS = register(
    Exercise(
        id="idempotent-orders",
        title="Ship each order once, however often its event arrives",
        topic="07-async-and-destinations",
        answer_name="handler",
        stub=_IDEMPOTENT_ORDERS_STUB,
        not_attempted=_orders_not_attempted,
        checks=[
            Check("the cell is a module with def handler(event, context)",
                  _orders_defines_handler),
            Check("a new order is shipped and its invocation succeeds", _first_order_ships),
            Check("the processed table holds each orderId once", _records_each_order),
            Check("an order delivered twice (at once, or 5 minutes later) is shipped once, and "
                  "the duplicate succeeds", _duplicates_ship_once),
            Check("when ship() fails after shipping, Lambda's retry does not ship again",
                  _retry_does_not_ship_again),
        ],
        hints=[
            "The same event can arrive more than once: remember which orderIds were processed, "
            "in PROCESSED_TABLE, and look before you ship.",
            "dynamodb.put_item(TableName=os.environ['PROCESSED_TABLE'], Item={'orderId': "
            "{'S': event['orderId']}}, ConditionExpression='attribute_not_exists(orderId)') "
            "writes only if no item has that key — check and claim in one atomic step.",
            "Wrap the put in try/except dynamodb.exceptions.ConditionalCheckFailedException: "
            "in the except branch return (don't raise) without calling ship().",
        ],
        solution=source("idempotent_orders"),
    )
)


# --- 08: a least-privilege policy for an execution role -------------------------------------------
# The checks live in lambda_lab.course.security (they run the policy under mock_aws(enforce_iam)).

from lambda_lab.course import security as _security  # noqa: E402 - kept beside its exercise

LEAST_PRIVILEGE = register(
    Exercise(
        id="least-privilege",
        title="A least-privilege policy: read one S3 prefix, put items into one table",
        topic="08-permissions-and-security",
        answer_name="policy",
        stub=_security.POLICY_STUB,
        not_attempted=_security.policy_not_attempted,
        checks=[
            Check("policy is a document: Version 2012-10-17 and statements with Effect, "
                  "Action and Resource", _security.check_document),
            Check("IAM accepts it as the role's inline policy", _security.check_accepted),
            Check("the handler reads s3://lab-photos/incoming/cat.jpg",
                  _security.check_reads_its_prefix),
            Check("the handler puts an item into photo-index", _security.check_puts_items),
            Check("other keys of the bucket, and other buckets, cannot be read",
                  _security.check_reads_nothing_else),
            Check("objects cannot be written or deleted", _security.check_writes_no_objects),
            Check("photo-index takes only PutItem, and no other table is reachable",
                  _security.check_table_only_puts),
        ],
        hints=[
            "Two statements, one per service, each with \"Effect\": \"Allow\", the one action "
            "the handler calls and the ARN of what it touches.",
            "S3: s3:GetObject on object ARNs arn:aws:s3:::<bucket>/<key>; a * at the end of "
            "arn:aws:s3:::lab-photos/incoming/* covers every key under the prefix.",
            "DynamoDB: dynamodb:PutItem on arn:aws:dynamodb:us-east-1:123456789012:table/"
            "photo-index (Region, account, then table/<name>).",
        ],
        solution=source("least_privilege"),
    )
)


# --- 09: an alarm on a function's errors ---------------------------------------------------------

_ERRORS_ALARM_STUB = '''\
def errors_alarm(function_name):
    """The keyword arguments of cloudwatch.put_metric_alarm for an alarm on function_name."""
    # TODO: return {"AlarmName": ..., "Namespace": ..., "MetricName": ..., "Dimensions": ...,
    #               "Statistic": ..., "Period": ..., "EvaluationPeriods": ..., ...}
    ...
'''
_alarm_runs: dict[int, tuple[Any, Any]] = {}
_ALARM_PROBE = "checkout"  # the function name the static checks pass to errors_alarm


def _alarm_params(answer: Any) -> dict[str, Any]:
    params = answer(_ALARM_PROBE)
    if not isinstance(params, dict):
        raise AssertionError(f"errors_alarm should return a dict, not {type(params).__name__}")
    return params


def _alarm_run(answer: Any) -> Any:
    """Run the four scenarios through the emulator once per answer (cached)."""
    cached = _alarm_runs.get(id(answer))
    if cached is not None and cached[0] is answer:
        return cached[1]
    from lambda_lab.course.observability import run_alarm_scenarios

    run = run_alarm_scenarios(answer)
    _alarm_runs.clear()
    _alarm_runs[id(answer)] = (answer, run)
    return run


def _alarm_is_accepted(answer: Any) -> str | None:
    if not callable(answer):
        return f"errors_alarm should be a function, not {type(answer).__name__}"
    _alarm_params(answer)
    problem = _alarm_run(answer).problem
    return problem and f"{problem} — compare your keys with put_metric_alarm's parameters"


def _watches_errors(answer: Any) -> str | None:
    p = _alarm_params(answer)
    if p.get("Namespace") != "AWS/Lambda":
        return "Lambda publishes its metrics in the namespace 'AWS/Lambda'"
    if p.get("MetricName") != "Errors":
        return "watch the metric 'Errors' (failed invocations)"
    if p.get("Dimensions") != [{"Name": "FunctionName", "Value": _ALARM_PROBE}]:
        return ("one function's metrics have the dimension FunctionName: "
                "Dimensions=[{'Name': 'FunctionName', 'Value': function_name}]")
    if p.get("Statistic") != "Sum":
        return ("Errors is 1 per failed invocation and 0 per successful one: the errors of a "
                f"minute are its Sum, not its {p.get('Statistic')}")
    if p.get("Period") != 60:
        return "Lambda's metrics are per minute: Period=60 (seconds)"
    return None


def _alarms_when_spread(answer: Any) -> str | None:
    if _alarm_run(answer).alarmed("spread"):
        return None
    p = _alarm_params(answer)
    if p.get("ComparisonOperator") == "GreaterThanThreshold" and p.get("Threshold") == 3:
        return "a minute with exactly 3 errors must count: use GreaterThanOrEqualToThreshold"
    if isinstance(p.get("Threshold"), (int, float)) and p["Threshold"] > 3:
        return "the threshold is 3 errors in a minute"
    if p.get("EvaluationPeriods", 0) < 5:
        return ("3 bad minutes out of 5, not in a row, never alarmed: look at the last 5 "
                "periods (EvaluationPeriods=5) and alarm on 3 of them (DatapointsToAlarm=3)")
    return "it never alarmed for 3 errors a minute in 3 of 5 minutes"


def _quiet_when_steady(answer: Any) -> str | None:
    if not _alarm_run(answer).alarmed("steady"):
        return None
    p = _alarm_params(answer)
    if p.get("TreatMissingData") == "breaching":
        return ("it alarmed after the traffic stopped: TreatMissingData='breaching' counts "
                "every minute without data as a bad minute")
    return "it alarmed at 2 errors a minute: the threshold is 3 (GreaterThanOrEqualToThreshold)"


def _quiet_when_apart(answer: Any) -> str | None:
    if not _alarm_run(answer).alarmed("apart"):
        return None
    return ("it alarmed although no 5 minutes held 3 bad ones: EvaluationPeriods=5 looks at "
            "the last 5 minutes only, DatapointsToAlarm=3 of them must breach")


def _ok_without_traffic(answer: Any) -> str | None:
    final = _alarm_run(answer).final.get("quiet")
    if final == "OK":
        return None
    return (f"a function with no traffic left the alarm in {final}: a minute without "
            "invocations has no data point; TreatMissingData='notBreaching' counts it as fine")


ERRORS_ALARM = register(
    Exercise(
        id="errors-alarm",
        title="An alarm on a function's errors: 3 a minute, in 3 of 5 minutes",
        topic="09-observability",
        answer_name="errors_alarm",
        stub=_ERRORS_ALARM_STUB,
        checks=[
            Check("errors_alarm(name) returns parameters put_metric_alarm accepts",
                  _alarm_is_accepted),
            Check("it watches the function's Errors: AWS/Lambda, FunctionName, Sum per minute",
                  _watches_errors),
            Check("it alarms for 3 errors a minute in 3 of 5 minutes, not in a row",
                  _alarms_when_spread),
            Check("it stays quiet at 2 errors every minute", _quiet_when_steady),
            Check("it stays quiet when bad minutes are more than 5 minutes apart",
                  _quiet_when_apart),
            Check("a function without traffic leaves it OK, not INSUFFICIENT_DATA",
                  _ok_without_traffic),
        ],
        hints=[
            "Start from the alarm in section 3: Namespace 'AWS/Lambda', MetricName 'Errors', "
            "the FunctionName dimension, Statistic 'Sum', Period 60.",
            "'3 of the last 5 minutes' is M out of N: EvaluationPeriods=5, DatapointsToAlarm=3; "
            "'3 or more errors' is Threshold=3 with GreaterThanOrEqualToThreshold.",
            "Minutes without invocations have no data point: TreatMissingData='notBreaching'.",
        ],
        solution=source("errors_alarm"),
    )
)


# The business-metric exercise lives beside notebook 09's Powertools helpers.

from lambda_lab.course import powertools as _powertools  # noqa: E402,F401 - registers it
