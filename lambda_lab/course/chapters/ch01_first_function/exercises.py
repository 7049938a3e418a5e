"""The exercises of chapter 01, Your first function: a first handler; how far the free tier's
compute goes.

Importing this module registers them in :data:`lambda_lab.course.exercises.EXERCISES`.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from lambda_lab.course.checks import takes_event_and_context
from lambda_lab.course.exercises import Check, Exercise, FakeContext, register, solution_source


def _is_number(answer: Any) -> str | None:
    if isinstance(answer, bool) or not isinstance(answer, numbers.Real):
        return f"answer should be a number, not {type(answer).__name__}"
    return None


# --- 01: a first handler -----------------------------------------------------------------------

_EVENTS = ({"name": "Ada"}, {"name": "Grace", "extra": 1})


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
            Check("handler takes (event, context)", takes_event_and_context),
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
        solution=solution_source(__package__, "hello_handler"),
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
        solution=solution_source(__package__, "free_tier_compute"),
    )
)
