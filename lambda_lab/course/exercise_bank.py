"""The course's exercises. Importing this module registers them in :data:`exercises.EXERCISES`.

Checks here need no emulator. Checks that run a handler through the emulator should import it
inside the check function, so importing the course stays cheap.
"""

from __future__ import annotations

import inspect
import math
import numbers
from typing import Any

from lambda_lab.course.exercises import Check, Exercise, FakeContext, register
from lambda_lab.course.solutions import source

__all__ = ["GB_SECONDS", "HELLO_HANDLER", "ONE_VCPU"]


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
