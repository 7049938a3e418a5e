"""The front doors' benchmark keys (issue #13): ``apigw_request_ratio_vs_invoke`` (a
``requests.get`` through a REST API over a boto3 invoke of the same warm function, same run)
and ``serve_http_rps``; both reported with their goal. Speeds are not asserted here."""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _positive(x: object) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool) and math.isfinite(x) and x > 0


@pytest.fixture(scope="module")
def report() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    proc = subprocess.run([sys.executable, "-m", "lambda_lab.bench", "--json", "--quick",
                           "--only", "apigw_request_ratio_vs_invoke,serve_http_rps"],
                          capture_output=True, text=True, env=env, cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_apigw_ratio_is_the_two_medians(report: dict) -> None:
    key = "apigw_request_ratio_vs_invoke"
    apigw, invoke = report["apigw_request_us"], report["apigw_request_us_baseline"]
    assert _positive(apigw) and _positive(invoke)
    assert report[key] == pytest.approx(apigw / invoke, rel=0.01)
    assert report[f"{key}_goal"] == 1.5 and isinstance(report[f"{key}_pass"], bool)


def test_serve_rps_is_reported_with_its_goal(report: dict) -> None:
    assert _positive(report["serve_http_rps"])
    assert report["serve_http_rps_goal"] == 300.0
    assert isinstance(report["serve_http_rps_pass"], bool)
