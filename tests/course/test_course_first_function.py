"""Helpers of notebooks/01-first-function: the cost calculator, .zip packages, the bootstrap,
and the local server the AWS CLI talks to (started and stopped leaving no process behind)."""

from __future__ import annotations

import io
import json
import os
import time
import zipfile

import pytest

from lambda_lab import billing
from lambda_lab.course.chapters.ch01_first_function.helpers import (
    BOOTSTRAP,
    LocalServer,
    cost_calculator_ui,
    cost_estimate,
    make_zip,
    write_bootstrap,
)


def test_cost_within_the_free_compute_pays_only_for_requests():
    e = cost_estimate(3_000_000, 120, 512)
    assert e.gb_seconds == pytest.approx(180_000)
    assert e.billable_gb_seconds == 0
    assert e.billable_requests == 2_000_000
    assert e.cost.total_usd == pytest.approx(0.40)
    assert e.text.splitlines()[-1] == "total:    $0.40 per month"


def test_cost_matches_billing_monthly_cost_past_the_free_tier():
    e = cost_estimate(30_000_000, 120, 512, "arm64")
    expected = billing.monthly_cost(30_000_000, 120, 512, "arm64")
    assert e.cost == expected
    assert e.billable_gb_seconds == pytest.approx(1_400_000)
    assert e.cost.total_usd == pytest.approx(5.80 + 1_400_000 * 0.0000133334)


def test_cost_without_free_tier_and_with_no_requests():
    assert cost_estimate(1_000_000, 1000, 1024, free_tier=False).cost.total_usd == pytest.approx(
        0.20 + 1_000_000 * 0.0000166667
    )
    assert cost_estimate(0, 100, 128).cost.total_usd == 0


def test_cost_calculator_recomputes_fast_without_a_kernel():
    ui = cost_calculator_ui()
    ui.memory.value = 1024
    start = time.perf_counter()
    ui.requests.value = 10
    assert time.perf_counter() - start < 0.1
    text = ui.output.outputs[0]["text"]
    assert text.startswith("10,000,000 requests × 120 ms")
    assert "(a widget" in ui._repr_mimebundle_()["text/plain"]


def test_make_zip_holds_the_module(tmp_path):
    path = tmp_path / "f.zip"
    data = make_zip("def handler(e, c):\n    return 1\n", str(path))
    assert path.read_bytes() == data
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.namelist() == ["lambda_function.py"]


def test_bootstrap_is_executable_and_runs_as_a_custom_runtime(tmp_path):
    import lambda_lab as ll

    folder = write_bootstrap(str(tmp_path / "rt"))
    assert os.access(os.path.join(folder, "bootstrap"), os.X_OK)
    assert "AWS_LAMBDA_RUNTIME_API" in BOOTSTRAP
    fn = ll.deploy(folder, runtime="provided.al2023", handler="function.handler",
                   name="test-course-bootstrap")
    try:
        assert fn.invoke({"name": "Ada"}).payload == {"hello": "Ada", "runtime": "bootstrap"}
    finally:
        fn.delete()


def test_local_server_serves_the_cli_with_fake_credentials_and_stops_cleanly():
    server = LocalServer().start()
    pid, tmp = server.proc.pid, server.tmp
    try:
        assert server.url.startswith("http://127.0.0.1:")
        assert server.env["AWS_ACCESS_KEY_ID"] == "testing"
        assert not os.path.exists(server.env["AWS_SHARED_CREDENTIALS_FILE"])
        assert "--endpoint-url " + server.url in server.cli
        out = server.aws("lambda", "list-functions", "--output", "json")
        assert json.loads(out) == {"Functions": []}
    finally:
        assert server.stop() == "lambda_lab serve: stopped (exit status 0)"
    assert not os.path.exists(f"/proc/{pid}") or _zombie_or_gone(pid)
    assert not os.path.exists(tmp)
    assert server.stop() == "lambda_lab serve: not running"


def _zombie_or_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return True
    return stat[stat.rindex(b")") + 2:][:1] in (b"Z", b"X")
