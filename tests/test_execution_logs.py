"""Logs: the handler's output per invocation between START, END and REPORT lines."""

from __future__ import annotations

import base64
import math
import re

LOGS = """
import logging, sys
logger = logging.getLogger()
logger.setLevel(logging.INFO)

def handler(event, context):
    print("to stdout", event["n"])
    print("to stderr", file=sys.stderr)
    logger.info("via logging")
    return event["n"]

def chatty(event, context):
    for i in range(event["lines"]):
        print(f"line {i:05d} " + "." * 60)
    return "done"
"""

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"


def test_start_end_report_lines_lambda_facts_report_line(deploy):
    """lambda-facts B 'REPORT log line': tab-separated Duration, Billed Duration, Memory Size,
    Max Memory Used (+ Init Duration on a cold start)."""
    fn = deploy(LOGS, memory=256)
    r = fn.invoke({"n": 1})
    rid = r.request_id
    assert re.fullmatch(UUID, rid)
    assert r.logs[0] == f"START RequestId: {rid} Version: $LATEST"
    assert r.logs[-2] == f"END RequestId: {rid}"
    m = re.fullmatch(
        rf"REPORT RequestId: {rid}\tDuration: (\d+\.\d\d) ms\tBilled Duration: (\d+) ms\t"
        r"Memory Size: 256 MB\tMax Memory Used: (\d+) MB\tInit Duration: (\d+\.\d\d) ms",
        r.logs[-1])
    assert m, r.logs[-1]
    duration, billed, used, init = float(m[1]), int(m[2]), int(m[3]), float(m[4])
    assert billed == math.ceil(round(duration + init, 6))
    assert (duration, init) == (r.duration_ms, r.init_duration_ms)
    assert 5 < used <= 256 and used == r.max_memory_used_mb


def test_report_figures_add_up_as_printed(deploy):
    """The REPORT line is self-consistent: Billed Duration is the printed Duration (plus the
    printed Init Duration) rounded up, and the result carries the printed figures. (Billing the
    unrounded time made ceil(printed sum) differ by 1 ms now and then, and chapter 09's cell that
    checks the identity printed False.)"""
    fn = deploy(LOGS)
    for n in range(25):
        r = fn.invoke({"n": n})
        fields = dict(f.split(": ", 1) for f in r.logs[-1].split("\t")[1:])
        duration = float(fields["Duration"].removesuffix(" ms"))
        init = float(fields.get("Init Duration", "0 ms").removesuffix(" ms"))
        assert int(fields["Billed Duration"].removesuffix(" ms")) == max(
            1, math.ceil(round(duration + init, 6)))
        assert r.duration_ms == duration and r.billed_duration_ms == int(
            fields["Billed Duration"].removesuffix(" ms"))


def test_handler_output_is_captured_per_invocation(deploy):
    fn = deploy(LOGS)
    first = fn.invoke({"n": 1})
    second = fn.invoke({"n": 2})
    body = second.logs[1:-2]
    assert body[0] == "to stdout 2" and body[1] == "to stderr"
    assert re.fullmatch(rf"\[INFO\]\t\d{{4}}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{{3}}Z\t"
                        rf"{second.request_id}\tvia logging", body[2])
    assert "to stdout 1" in first.logs and "to stdout 1" not in second.logs


def test_log_tail_is_last_4kb_base64(deploy):
    fn = deploy(LOGS, handler="lambda_function.chatty")
    r = fn.invoke({"lines": 200})
    tail = base64.b64decode(r.log_tail)
    assert len(tail) == 4096
    assert r.log_text.encode().endswith(tail)
    assert tail.decode().rstrip("\n").endswith(r.report)


def test_function_keeps_a_log_history(deploy):
    fn = deploy(LOGS)
    fn.invoke({"n": 7})
    assert "to stdout 7" in fn.log_lines


def test_log_file_is_truncated_once_frozen(deploy, monkeypatch):
    from lambda_lab.execution import environment

    monkeypatch.setattr(environment, "LOG_TRUNCATE_BYTES", 1000)
    monkeypatch.setattr(environment, "FREEZE_AFTER_S", 0.01)
    fn = deploy(LOGS, handler="lambda_function.chatty")
    fn.invoke({"lines": 50})
    import time

    deadline = time.monotonic() + 3
    env = fn._pool._idle[0][1]
    while not env.frozen and time.monotonic() < deadline:
        time.sleep(0.01)
    assert env.frozen and env._log_offset == 0
    r = fn.invoke({"lines": 2})
    assert r.logs[1].startswith("line 00000") and len(r.logs) == 5
