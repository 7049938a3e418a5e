"""Faults end the invocation with Lambda's error shapes, never a hang, and leave nothing behind."""

from __future__ import annotations

import json
import time

import pytest
from conftest import descendants, zygote_pid

FAULTS = '''
import ctypes, os, subprocess, sys, time

def sleep(event, context):
    time.sleep(event.get("s", 30))
    return "woke"

def swallow(event, context):
    while True:
        try:
            time.sleep(10)
        except BaseException:
            pass

def cspin(event, context):
    import re
    re.match(r"(a+)+$", "a" * 60 + "b")

def eat(event, context):
    chunks = []
    while True:
        chunks.append(b"x" * (8 * 1024 * 1024))

def exit_(event, context):
    sys.exit(event["code"])

def hard_exit(event, context):
    os._exit(3)

def segv(event, context):
    ctypes.string_at(0)

def fork(event, context):
    plain = subprocess.Popen(["sleep", "1000"])
    detached = subprocess.Popen(["sleep", "1001"], start_new_session=True)
    if os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(1002)
        os._exit(0)
    return [plain.pid, detached.pid]
'''


def _error(result):
    assert result.function_error == "Unhandled"
    return result.payload


@pytest.mark.parametrize("handler", ["sleep", "swallow", "cspin"])
def test_timeout_enforced_from_outside_issue2_sandbox_timedout(deploy, handler):
    """Issue 2 §3: a sleeping, BaseException-swallowing or C-spinning handler stops at the
    deadline with errorType Sandbox.Timedout and the 'Task timed out after 1.00 seconds' line."""
    fn = deploy(FAULTS, handler=f"lambda_function.{handler}", timeout=1, memory=1769)
    t0 = time.monotonic()
    r = fn.invoke({})
    elapsed = time.monotonic() - t0
    assert 0.95 < elapsed < 2.5
    err = _error(r)
    assert err == {"errorType": "Sandbox.Timedout",
                   "errorMessage": f"RequestId: {r.request_id} Error: Task timed out after "
                                   "1.00 seconds"}
    assert any(line.endswith(f"{r.request_id} Task timed out after 1.00 seconds")
               for line in r.logs)
    assert fn.environments() == [], "a timed-out environment is discarded"


def test_timeout_then_next_invocation_is_a_cold_start(deploy):
    fn = deploy(FAULTS, handler="lambda_function.sleep", timeout=1)
    assert fn.invoke({"s": 5}).function_error == "Unhandled"
    r = fn.invoke({"s": 0})
    assert r.ok and r.cold_start and r.payload == "woke"


def test_memory_limit_out_of_memory_issue2_runtime_out_of_memory(deploy):
    """Issue 2 §3: past MemorySize the invocation ends with Runtime.OutOfMemory and
    Max Memory Used equal to the limit."""
    fn = deploy(FAULTS, handler="lambda_function.eat", memory=256, timeout=30)
    r = fn.invoke({})
    err = _error(r)
    assert err["errorType"] == "Runtime.OutOfMemory"
    assert err["errorMessage"] == (f"RequestId: {r.request_id} Error: Runtime exited with "
                                   "error: signal: killed")
    assert r.max_memory_used_mb == 256
    assert "Max Memory Used: 256 MB" in r.report


@pytest.mark.parametrize("code, reason", [
    (0, "Runtime exited without providing a reason"),
    (2, "Runtime exited with error: exit status 2"),
])
def test_sys_exit_is_runtime_exit_error(deploy, code, reason):
    fn = deploy(FAULTS, handler="lambda_function.exit_")
    r = fn.invoke({"code": code})
    err = _error(r)
    assert err == {"errorType": "Runtime.ExitError",
                   "errorMessage": f"RequestId: {r.request_id} Error: {reason}"}


def test_os_exit_is_runtime_exit_error(deploy):
    r = deploy(FAULTS, handler="lambda_function.hard_exit").invoke({})
    assert _error(r)["errorMessage"].endswith("Runtime exited with error: exit status 3")


def test_segfault_is_runtime_exit_error(deploy):
    r = deploy(FAULTS, handler="lambda_function.segv").invoke({})
    err = _error(r)
    assert err["errorType"] == "Runtime.ExitError"
    assert err["errorMessage"].endswith("Runtime exited with error: signal: segmentation fault")


def test_children_end_with_their_environment(deploy):
    """Issue 2 §3: child processes a handler started (even detached ones) end with it."""
    fn = deploy(FAULTS, handler="lambda_function.fork")
    r = fn.invoke({})
    assert r.ok
    pids = set(r.payload)
    zpid = zygote_pid()
    assert pids <= descendants(zpid)
    fn.reset()
    deadline = time.monotonic() + 5
    while descendants(zpid) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert descendants(zpid) == set()


def test_fault_payloads_are_json(deploy):
    r = deploy(FAULTS, handler="lambda_function.segv").invoke({})
    assert json.loads(r.raw_payload)["errorType"] == "Runtime.ExitError"
