"""The init phase: cold starts, Init Duration, warm reuse, and the runtime's init errors."""

from __future__ import annotations

import re

import pytest

COUNTER = """
import time
STARTED = time.time()
COUNT = 0

def handler(event, context):
    global COUNT
    COUNT += 1
    return {"count": COUNT, "started": STARTED}
"""


def test_cold_start_reports_init_duration_lambda_facts_report_line(deploy):
    """lambda-facts B 'REPORT log line': a cold start adds '\\tInit Duration: I ms'."""
    fn = deploy(COUNTER)
    cold = fn.invoke({})
    warm = fn.invoke({})
    assert cold.cold_start and not warm.cold_start
    assert cold.init_duration_ms is not None and cold.init_duration_ms > 0
    assert re.search(r"\tInit Duration: \d+\.\d\d ms$", cold.report)
    assert warm.init_duration_ms is None and "Init Duration" not in warm.report


def test_warm_reuse_keeps_module_globals_issue2_warm_reuse(deploy):
    """Issue 2 §3: module globals survive between invocations of the same environment."""
    fn = deploy(COUNTER)
    counts = [fn.invoke({}).payload["count"] for _ in range(3)]
    assert counts == [1, 2, 3]


def test_new_environment_starts_clean(deploy):
    fn = deploy(COUNTER)
    first = fn.invoke({}).payload
    fn.reset()
    again = fn.invoke({})
    assert again.cold_start
    assert again.payload["count"] == 1 and again.payload["started"] > first["started"]


@pytest.mark.parametrize("source, handler, etype, message", [
    ("import not_a_module_xyz\ndef handler(e, c):\n    return 1\n", "lambda_function.handler",
     "Runtime.ImportModuleError",
     "Unable to import module 'lambda_function': No module named 'not_a_module_xyz'"),
    ("def handler(e, c):\n    return 1\n", "lambda_function.nothere",
     "Runtime.HandlerNotFound", "Handler 'nothere' missing on module 'lambda_function'"),
    ("def handler(e, c):\n    return 1\n", "lambda_function",
     "Runtime.MalformedHandlerName",
     "Bad handler 'lambda_function': not enough values to unpack (expected 2, got 1)"),
    ("def handler(e, c):\n    return (\n", "lambda_function.handler",
     "Runtime.UserCodeSyntaxError", None),
])
def test_init_errors_python_runtime_interface_client(deploy, source, handler, etype, message):
    """Issue 2 §3: Runtime.ImportModuleError, Runtime.HandlerNotFound (and the other
    runtime faults) are reported with requestId "" and FunctionError Unhandled."""
    fn = deploy(source, handler=handler)
    r = fn.invoke({})
    assert r.function_error == "Unhandled"
    assert r.payload["errorType"] == etype
    assert r.payload["requestId"] == ""
    if message:
        assert r.payload["errorMessage"] == message
    assert any(line.startswith(f"[ERROR] {etype}: ") for line in r.logs)
    assert fn.environments() == [], "an environment whose init failed is not kept"


def test_exception_raised_at_import_issue2_init_failure(deploy):
    fn = deploy("raise KeyError('db')\ndef handler(e, c):\n    return 1\n",
                handler="lambda_function.handler")
    r = fn.invoke({})
    assert r.payload["errorType"] == "KeyError"
    assert r.payload["errorMessage"] == "'db'"
    assert r.payload["requestId"] == ""
    assert any("line 1" in frame for frame in r.payload["stackTrace"])
    assert fn.invoke({}).cold_start, "init is tried again on the next invocation"


def test_crash_during_init_is_runtime_exit_error(deploy):
    fn = deploy("import os\nos._exit(4)\ndef handler(e, c):\n    return 1\n",
                handler="lambda_function.handler")
    r = fn.invoke({})
    assert r.payload["errorType"] == "Runtime.ExitError"
    assert r.payload["errorMessage"].endswith("Runtime exited with error: exit status 4")


def test_init_timeout_is_a_suppressed_init_lambda_facts_init_phase(deploy, monkeypatch):
    """lambda-facts B 'Init phase': init is limited to 10 s, else it is retried within the
    first invocation under the function timeout. (Shortened here to 0.3 s.)"""
    from lambda_lab.execution import environment

    monkeypatch.setattr(environment, "INIT_TIMEOUT_S", 0.3)
    monkeypatch.setattr(environment.ExecutionEnvironment.start, "__defaults__", (0.3,))
    fn = deploy("import time\ntime.sleep(0.8)\ndef handler(e, c):\n    return 'ok'\n",
                handler="lambda_function.handler", timeout=3)
    r = fn.invoke({})
    assert r.ok and r.payload == "ok"
    assert any("Phase: init\tStatus: timeout" in line for line in r.logs)
    slow = deploy("import time\ntime.sleep(30)\ndef handler(e, c):\n    return 'ok'\n",
                  handler="lambda_function.handler", timeout=1)
    r = slow.invoke({})
    assert r.payload["errorType"] == "Sandbox.Timedout"
