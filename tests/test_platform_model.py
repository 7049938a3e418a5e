"""The platform model on its own (no moto, no wire, no processes): a modelled executor drives it,
as a simulator would."""

from __future__ import annotations

import random
import threading
import time

import pytest

from lambda_lab.clock import VirtualClock
from lambda_lab.errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from lambda_lab.execution.result import InvocationResult
from lambda_lab.platform import Code, FunctionConfig, Platform, Version
from lambda_lab.platform.aliases import choose_version
from lambda_lab.platform.arns import parse_function_ref
from lambda_lab.platform.model import Alias

ROLE = "arn:aws:iam::123456789012:role/r"


class ModelExecutor:
    """Answers every invocation at once with the version number it belongs to."""

    def __init__(self, version: Version, fail: bool = False) -> None:
        self.version = version
        self.fail = fail
        self.calls: list[dict] = []
        self.closed = False

    def invoke(self, payload: bytes, **kwargs: object) -> InvocationResult:
        self.calls.append(dict(kwargs, payload=payload))
        body = b'{"errorType": "E"}' if self.fail else f'"{self.version.number}"'.encode()
        return InvocationResult(str(kwargs.get("request_id")), body,
                                "Unhandled" if self.fail else None, 1.0, 1, 128, 30, None,
                                False, "model", self.version.number)

    def environments(self) -> list:
        return []

    def close(self) -> None:
        self.closed = True


def config(tag: str = "a", **changes: object) -> FunctionConfig:
    return FunctionConfig(code=Code(f"/code/{tag}", tag, 1), handler="m.h", role=ROLE,
                          **changes)


@pytest.fixture
def platform():
    p = Platform(clock=VirtualClock(start=0.0), rng=random.Random(7),
                 executor_factory=ModelExecutor)
    yield p
    p.close()


@pytest.mark.parametrize("ref, qualifier, expected", [
    ("f", None, ("f", None)),
    ("f:live", None, ("f", "live")),
    ("f", "3", ("f", "3")),
    ("123456789012:function:f:2", None, ("f", "2")),
    ("arn:aws:lambda:us-east-1:123456789012:function:f", None, ("f", None)),
    ("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST", None, ("f", "$LATEST")),
])
def test_function_references(ref, qualifier, expected):
    assert parse_function_ref(ref, qualifier) == expected


def test_a_qualifier_that_contradicts_the_name_is_rejected():
    with pytest.raises(InvalidParameterValueException):
        parse_function_ref("f:1", "2")
    with pytest.raises(ValidationException):
        parse_function_ref("not a name!")


def test_publish_snapshots_latest_and_skips_unchanged(platform):
    platform.create_function("f", config("a"))
    assert platform.publish_version("f").number == "1"
    assert platform.publish_version("f").number == "1"  # nothing changed since version 1
    platform.update_configuration("f", memory=256)
    v2 = platform.publish_version("f", "second")
    assert (v2.number, v2.config.memory, v2.description) == ("2", 256, "second")
    assert platform.version("f", "1").config.memory == 128  # versions are immutable


def test_version_numbers_are_never_reused(platform):
    platform.create_function("f", config("a"), publish=True)
    platform.update_code("f", Code("/code/b", "b", 1), publish=True)
    platform.delete_function("f", "2")
    platform.update_code("f", Code("/code/c", "c", 1))
    assert platform.publish_version("f").number == "3"


def test_updating_latest_retires_its_executor(platform):
    platform.create_function("f", config("a"))
    platform.invoke("f", b"{}")
    old = platform.version("f").executor
    platform.update_configuration("f", timeout=10)
    assert old.closed
    assert platform.invoke("f", b"{}").result.payload == "$LATEST"


def test_a_version_an_alias_uses_cannot_be_deleted(platform):
    platform.create_function("f", config("a"), publish=True)
    platform.create_alias("f", "live", "1")
    with pytest.raises(ResourceConflictException):
        platform.delete_function("f", "1")


def test_alias_to_a_missing_version_is_not_found(platform):
    platform.create_function("f", config("a"))
    with pytest.raises(ResourceNotFoundException) as e:
        platform.create_alias("f", "live", "9")
    assert e.value.message.endswith(":function:f:9")


def test_weighted_choice_follows_the_weight_and_the_seed():
    alias = Alias("live", "1", {"2": 0.25})
    draws = [choose_version(alias, random.Random(3)) for _ in range(3)]
    assert len(set(draws)) == 1  # same seed, same draw
    rng = random.Random(11)
    picks = [choose_version(alias, rng) for _ in range(4000)]
    assert 900 <= picks.count("2") <= 1100


def test_invoked_arn_is_the_arn_as_called(platform):
    platform.create_function("f", config("a"), publish=True)
    platform.create_alias("f", "live", "1")
    inv = platform.invoke("f", b"{}", qualifier="live")
    assert inv.executed_version == "1"
    assert inv.invoked_arn == "arn:aws:lambda:us-east-1:123456789012:function:f:live"
    executor = platform.version("f", "1").executor
    assert executor.calls[-1]["invoked_arn"] == inv.invoked_arn


def _gated_platform(gate: threading.Event) -> Platform:
    def factory(version: Version) -> ModelExecutor:
        executor = ModelExecutor(version, fail=version.config.code.sha256 == "bad")
        original = executor.invoke

        def invoke(payload: bytes, **kwargs: object) -> InvocationResult:
            gate.wait(5)
            return original(payload, **kwargs)

        executor.invoke = invoke  # type: ignore[method-assign]
        return executor

    p = Platform(clock=VirtualClock(start=0.0), executor_factory=factory, async_workers=1)
    p.create_function("ok", config("a"))
    p.create_function("bad", config("bad"))
    return p


def test_events_succeed_or_fail_and_are_recorded():
    gate = threading.Event()
    p = _gated_platform(gate)
    first = p.invoke("ok", b"{}", invocation_type="Event").event
    second = p.invoke("bad", b"{}", invocation_type="Event").event
    assert first.status in ("queued", "running") and second.status == "queued"
    gate.set()
    assert p.async_queue.settle(5)
    p.clock.advance(180)  # a function error is retried twice, 1 then 2 minutes later (issue #3)
    assert first.wait(5) and second.wait(5)
    assert (first.status, second.status) == ("succeeded", "failed")
    assert second.result.function_error == "Unhandled"
    p.close()


def test_events_not_started_at_shutdown_are_dropped_not_lost():
    gate = threading.Event()
    p = _gated_platform(gate)
    first = p.invoke("ok", b"{}", invocation_type="Event").event
    second = p.invoke("ok", b"{}", invocation_type="Event").event
    while first.status != "running":
        time.sleep(0.001)
    closer = threading.Thread(target=p.close)
    closer.start()
    while not p.async_queue._closed:
        time.sleep(0.001)
    gate.set()
    closer.join(5)
    assert (first.status, second.status) == ("succeeded", "dropped")
    assert "shut down" in second.error
