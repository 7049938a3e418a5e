"""The benchmark command runs, reports every figure with its baseline, and imports stay light.

Speed goals are not asserted here: the benchmark reports them (pass/fail) itself.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KEYS = ("warm_invoke_native_us", "cold_start_ms", "import_ms", "idle_env_mb",
        "slider_redraw_ms_p95", "warm_invoke_boto3_ratio_vs_moto_floor")
HEAVY = ("boto3", "botocore", "moto", "ipywidgets", "matplotlib")


def _run(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=timeout)


def _positive(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


@pytest.fixture(scope="module")
def report() -> dict:
    proc = _run("-m", "lambda_lab.bench", "--json", "--quick")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("key", KEYS)
def test_figure_baseline_and_ratio(report: dict, key: str) -> None:
    value, baseline, ratio = report[key], report[f"{key}_baseline"], report[f"{key}_ratio"]
    assert _positive(value) and _positive(baseline) and _positive(ratio), (value, baseline, ratio)
    assert ratio == pytest.approx(value / baseline, rel=0.01)


def test_report_extras(report: dict) -> None:
    # The net import cost may be a little below zero: it is a difference of two noisy medians.
    assert isinstance(report["import_ms_net"], float)
    assert report["import_ms_net"] == pytest.approx(
        report["import_ms"] - report["import_ms_baseline"], abs=0.01)
    assert report["heavy_imports"] == []
    assert report["machine"]["cpu_count"] >= 1
    assert report["machine"]["python"] == ".".join(map(str, sys.version_info[:3]))
    for key in ("warm_invoke_native_us", "cold_start_ms", "import_ms", "slider_redraw_ms_p95"):
        assert isinstance(report[f"{key}_pass"], bool)


def test_boto3_ratio_is_against_moto_floor(report: dict) -> None:
    """The key's value is the ratio itself; the two medians are in ``warm_invoke_boto3_us``."""
    key = "warm_invoke_boto3_ratio_vs_moto_floor"
    lab, floor = report["warm_invoke_boto3_us"], report["warm_invoke_boto3_us_baseline"]
    assert _positive(lab) and _positive(floor)
    assert report[key] == pytest.approx(lab / floor, rel=0.01)
    assert report[f"{key}_goal"] == 2.0 and isinstance(report[f"{key}_pass"], bool)


def test_dispatcher_runs_bench_subset() -> None:
    proc = _run("-m", "lambda_lab", "bench", "--quick", "--only", "import_ms")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "import_ms" in proc.stdout and "cold_start_ms" not in proc.stdout


def test_dispatcher_rejects_unknown_command_and_figure() -> None:
    assert _run("-m", "lambda_lab", "nope").returncode == 2
    assert _run("-m", "lambda_lab", "bench", "--only", "nope").returncode == 2


def test_import_is_light() -> None:
    code = ("import sys, lambda_lab; "
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    proc = _run("-c", code)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "[]", f"import lambda_lab loads {proc.stdout.strip()}"
