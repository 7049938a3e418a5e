"""Benchmarks of the emulator, each measured next to a baseline taken in the same run.

    python -m lambda_lab.bench [--json] [--quick] [--only KEY[,KEY]]

Figures: ``warm_invoke_native_us`` (vs. a direct in-process call of the same handler),
``cold_start_ms`` (vs. ``python -c pass``), ``import_ms`` (vs. ``python -c pass``),
``idle_env_mb`` (vs. an idle ``python`` sleeping) and ``slider_redraw_ms_p95`` (vs. an empty
matplotlib figure of the same size rendered to PNG), and ``warm_invoke_boto3_ratio_vs_moto_floor``
(a warm boto3 invoke under ``lambda_lab.mock_aws()`` over the same call against moto's own no-code
Lambda), ``apigw_request_ratio_vs_invoke`` (a ``requests.get`` through a REST API under
``mock_aws()`` over a boto3 invoke of the same warm function) and ``serve_http_rps`` (requests
per second through ``serve``'s REST API path, keep-alive, one client thread). With ``--json``
the last line printed is one
JSON object holding every figure, its ``_baseline`` and ``_ratio``, and the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from .native import Function

HANDLER_SOURCE = 'def handler(event, context):\n    return {"ok": True}\n'
HEAVY_MODULES = ("boto3", "botocore", "moto", "ipywidgets", "matplotlib")
KEYS = ("warm_invoke_native_us", "cold_start_ms", "import_ms", "idle_env_mb",
        "slider_redraw_ms_p95", "warm_invoke_boto3_ratio_vs_moto_floor",
        "sqs_messages_per_s", "sim_ratio_vs_simpy", "burst_100k_s",
        "apigw_request_ratio_vs_invoke", "serve_http_rps")
_PKG_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Figure:
    """One measured figure, its baseline (same run, same units) and its goal (an upper bound)."""

    key: str
    value: float
    baseline: float | None = None
    goal: float | None = None
    #: The goal is a lower bound (e.g. a speed-up over a baseline) instead of an upper bound.
    at_least: bool = False

    @property
    def ratio(self) -> float | None:
        """value / baseline, or None without a (positive) baseline."""
        return self.value / self.baseline if self.baseline else None

    @property
    def passed(self) -> bool | None:
        """Whether the value meets its goal; None when there is no goal."""
        if self.goal is None:
            return None
        return self.value >= self.goal if self.at_least else self.value <= self.goal


class Counts(NamedTuple):
    """How many repetitions each measurement makes."""

    warm_calls: int
    warm_up: int
    cold_starts: int
    processes: int


FULL = Counts(warm_calls=2000, warm_up=200, cold_starts=15, processes=7)
QUICK = Counts(warm_calls=200, warm_up=20, cold_starts=4, processes=3)


def _median_us(call: Callable[[], object], n: int) -> float:
    """Median wall time of ``call()`` over ``n`` calls, in microseconds (one timer loop)."""
    clock = time.perf_counter_ns
    times = []
    for _ in range(n):
        t0 = clock()
        call()
        times.append(clock() - t0)
    return statistics.median(times) / 1000.0


def _child_env() -> dict[str, str]:
    """The host environment, with this checkout of lambda_lab first on the import path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_PKG_PARENT, env.get("PYTHONPATH")) if p)
    return env


def _run_ms(code: str) -> float:
    """Wall time of ``python -c code`` in milliseconds."""
    t0 = time.perf_counter_ns()
    subprocess.run([sys.executable, "-c", code], check=True, env=_child_env())
    return (time.perf_counter_ns() - t0) / 1e6


def _deploy(tag: str) -> Function:
    from .native import deploy

    return deploy(HANDLER_SOURCE, name=f"bench-{tag}-{os.getpid()}-{time.time_ns()}")


def bench_warm_invoke(counts: Counts) -> list[Figure]:
    """Median warm round trip through ``fn.invoke({})`` vs. a direct call of the handler."""
    namespace: dict[str, Any] = {}
    exec(HANDLER_SOURCE, namespace)
    handler: Callable[[object, object], object] = namespace["handler"]
    fn = _deploy("warm")
    try:
        for _ in range(counts.warm_up):
            fn.invoke({})
        native = _median_us(lambda: fn.invoke({}), counts.warm_calls)
        direct = _median_us(lambda: handler({}, None), counts.warm_calls)
    finally:
        fn.delete()
    return [Figure("warm_invoke_native_us", native, direct, goal=100.0)]


def bench_cold_start(counts: Counts) -> list[Figure]:
    """Median first invocation of a new environment vs. starting ``python -c pass``."""
    fn = _deploy("cold")
    times = []
    try:
        fn.invoke({})  # waits for the zygote to start: not a typical cold start
        for _ in range(counts.cold_starts):
            fn.reset()
            t0 = time.perf_counter_ns()
            result = fn.invoke({})
            times.append((time.perf_counter_ns() - t0) / 1e6)
            if not result.cold_start:
                raise RuntimeError("fn.reset() did not lead to a cold start")
    finally:
        fn.delete()
    baseline = statistics.median(_run_ms("pass") for _ in range(counts.processes))
    return [Figure("cold_start_ms", statistics.median(times), baseline, goal=60.0)]


def heavy_imports() -> list[str]:
    """Heavy packages that ``import lambda_lab`` loads (from ``python -X importtime``)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", "import lambda_lab"],
                          capture_output=True, text=True, check=True, env=_child_env())
    found = set()
    for line in proc.stderr.splitlines():
        top = line.rsplit("|", 1)[-1].strip().split(".")[0]
        if top in HEAVY_MODULES:
            found.add(top)
    return sorted(found)


def bench_import(counts: Counts) -> list[Figure]:
    """Median ``python -c 'import lambda_lab'`` vs. ``python -c pass``, runs interleaved."""
    with_import, bare = [], []
    for _ in range(counts.processes):
        with_import.append(_run_ms("import lambda_lab"))
        bare.append(_run_ms("pass"))
    raw, base = statistics.median(with_import), statistics.median(bare)
    return [Figure("import_ms", raw, base, goal=100.0), Figure("import_ms_net", raw - base)]


def _memory_mb(pid: int) -> tuple[float, float | None]:
    """(VmRSS, Private_Clean + Private_Dirty or None if unreadable) of ``pid``, in MB."""
    with open(f"/proc/{pid}/status") as f:
        rss_kb = next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
    private_kb: int | None = None
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            private_kb = sum(int(line.split()[1]) for line in f
                             if line.startswith(("Private_Clean:", "Private_Dirty:")))
    except OSError:
        pass
    return rss_kb / 1024, None if private_kb is None else private_kb / 1024


def bench_idle_env(counts: Counts) -> list[Figure]:
    """Memory of one idle warm environment vs. an idle ``python`` that sleeps."""
    fn = _deploy("idle")
    try:
        fn.invoke({})
        time.sleep(0.3)
        rss, private = _memory_mb(fn.environments()[0].pid)
    finally:
        fn.delete()
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        time.sleep(0.3)
        base_rss, base_private = _memory_mb(proc.pid)
    finally:
        proc.kill()
        proc.wait()
    figures = [Figure("idle_env_mb", rss, base_rss)]
    if private is not None:
        figures.append(Figure("idle_env_private_mb", private, base_private))
    return figures


def _p95(values: list[float]) -> float:
    """The 95th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, -(-95 * len(ordered) // 100) - 1)]


def bench_slider_redraw(counts: Counts) -> list[Figure]:
    """p95 of the course's slowest model slider's redraw (recompute, move the marker, render the
    PNG, set the widget's outputs): the memory slider and the timeout model slider, each
    measured; vs. rendering an empty matplotlib figure of the same size to PNG."""
    import io

    from matplotlib.figure import Figure as MplFigure

    from .course.chapters.ch02_memory_cpu_timeout.widgets import (
        slider_redraw_timings,
        timeout_model_redraw_timings,
    )

    n = max(20, 4 * counts.cold_starts)
    redraws = max((slider_redraw_timings(n), timeout_model_redraw_timings(n)), key=_p95)
    empty = []
    for _ in range(n):
        t0 = time.perf_counter()
        MplFigure(figsize=(9.0, 3.4), dpi=80).savefig(io.BytesIO(), format="png")
        empty.append(time.perf_counter() - t0)
    return [Figure("slider_redraw_ms_p95", _p95(redraws) * 1000, _p95(empty) * 1000, goal=100.0)]


def _boto3_warm_invoke_us(counts: Counts) -> float:
    """Inside an active mock: create a trivial function through boto3, warm it, and return the
    median ``lambda.invoke`` round trip (payload read) in microseconds."""
    import io
    import zipfile

    import boto3

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lambda_function.py", HANDLER_SOURCE)
    trust = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]})
    role = boto3.client("iam", region_name="us-east-1").create_role(
        RoleName="bench-role", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
    lam = boto3.client("lambda", region_name="us-east-1")
    lam.create_function(FunctionName="bench", Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler", Code={"ZipFile": buf.getvalue()})

    def call() -> object:
        return lam.invoke(FunctionName="bench", Payload=b"{}")["Payload"].read()

    for _ in range(counts.warm_up):
        call()
    return _median_us(call, counts.warm_calls)


def bench_warm_invoke_boto3(counts: Counts) -> list[Figure]:
    """Median warm boto3 invoke of a trivial handler inside ``lambda_lab.mock_aws()`` vs. the same
    call against moto's no-code echo (``moto.mock_aws(config={"lambda": {"use_docker": False}})``)
    in the same run. The key's value is the ratio (goal 2.0); ``warm_invoke_boto3_us`` holds the
    two medians."""
    import moto

    from .aws.mock import mock_aws

    with mock_aws():
        lab = _boto3_warm_invoke_us(counts)
    with moto.mock_aws(config={"lambda": {"use_docker": False}}):
        floor = _boto3_warm_invoke_us(counts)
    return [Figure("warm_invoke_boto3_ratio_vs_moto_floor", lab / floor, 1.0, goal=2.0),
            Figure("warm_invoke_boto3_us", lab, floor)]


def bench_sqs_messages_per_s(counts: Counts) -> list[Figure]:
    """Messages per second through an SQS event source mapping (batches of 10) to a trivial
    handler with the real executor; a throughput, so no upper-bound goal."""
    from .sources.benchmark import sqs_messages_per_s

    return [Figure("sqs_messages_per_s", sqs_messages_per_s(counts.warm_calls))]


def bench_sim_ratio(counts: Counts) -> list[Figure]:
    """Simulator events per second over SimPy's on the same model, side by side in one run
    (see lambda_lab.simulation.benchmarks). The key's value is the ratio (goal >= 2.0);
    ``sim_events_per_s`` holds the two rates."""
    from .simulation.benchmarks import sim_vs_simpy

    ours, simpy_rate = sim_vs_simpy(seconds=30.0 if counts is QUICK else 100.0, repeats=3)
    return [Figure("sim_ratio_vs_simpy", ours / simpy_rate, 1.0, goal=2.0, at_least=True),
            Figure("sim_events_per_s", ours, simpy_rate)]


def bench_burst_100k(counts: Counts) -> list[Figure]:
    """A 100,000-invocation burst through the simulated platform model (results and cost) vs.
    a plain-Python loop over the same 100k arrivals, in seconds (goal 1.0)."""
    from .simulation.benchmarks import burst_100k

    best, base, _ = burst_100k(repeats=2 if counts is QUICK else 3)
    return [Figure("burst_100k_s", best, base, goal=1.0)]


def bench_apigw_request(counts: Counts) -> list[Figure]:
    """Median ``requests.get`` through a REST API (Lambda proxy) inside ``mock_aws()`` over the
    median boto3 invoke of the same warm function, interleaved in one run. The key's value is
    the ratio (goal 1.5); ``apigw_request_us`` holds the two medians."""
    from .fronts.benchmark import apigw_vs_invoke_us

    apigw, invoke = apigw_vs_invoke_us(counts.warm_calls // 2, counts.warm_up // 2)
    return [Figure("apigw_request_ratio_vs_invoke", apigw / invoke, 1.0, goal=1.5),
            Figure("apigw_request_us", apigw, invoke)]


def bench_serve_http_rps(counts: Counts) -> list[Figure]:
    """Requests per second through ``python -m lambda_lab serve``'s path-style REST API URL to a
    trivial handler, one client thread with a keep-alive session (goal >= 300)."""
    from .fronts.benchmark import serve_rps

    return [Figure("serve_http_rps", serve_rps(counts.warm_calls // 2, counts.warm_up),
                   goal=300.0, at_least=True)]


BENCHMARKS: dict[str, Callable[[Counts], list[Figure]]] = {
    "warm_invoke_native_us": bench_warm_invoke,
    "cold_start_ms": bench_cold_start,
    "import_ms": bench_import,
    "idle_env_mb": bench_idle_env,
    "slider_redraw_ms_p95": bench_slider_redraw,
    "warm_invoke_boto3_ratio_vs_moto_floor": bench_warm_invoke_boto3,
    "sqs_messages_per_s": bench_sqs_messages_per_s,
    "sim_ratio_vs_simpy": bench_sim_ratio,
    "burst_100k_s": bench_burst_100k,
    "apigw_request_ratio_vs_invoke": bench_apigw_request,
    "serve_http_rps": bench_serve_http_rps,
}


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"


def table(figures: list[Figure]) -> str:
    """The figures as a text table: figure, value, baseline, ratio, goal, pass/fail."""
    rows = [("figure", "value", "baseline", "ratio", "goal", "result")]
    for f in figures:
        verdict = {None: "-", True: "pass", False: "FAIL"}[f.passed]
        ratio = "-" if f.ratio is None else f"{f.ratio:.3g}x"
        goal = (">=" if f.at_least and f.goal is not None else "") + _fmt(f.goal)
        rows.append((f.key, _fmt(f.value), _fmt(f.baseline), ratio, goal, verdict))
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(c.ljust(w) if i == 0 else c.rjust(w)
                       for i, (c, w) in enumerate(zip(r, widths, strict=True))) for r in rows]
    lines.insert(1, "-" * len(lines[0]))
    return "\n".join(lines)


def machine() -> dict[str, object]:
    """The host the figures were measured on."""
    return {"cpu_count": os.cpu_count(), "python": platform.python_version(),
            "implementation": platform.python_implementation(), "platform": platform.platform()}


def report(figures: list[Figure], heavy: list[str]) -> dict[str, object]:
    """The JSON object: each figure with its baseline, ratio and goal; the machine."""
    out: dict[str, object] = {}
    for f in figures:
        out[f.key] = round(f.value, 4)
        if f.baseline is not None:
            out[f"{f.key}_baseline"] = round(f.baseline, 4)
            out[f"{f.key}_ratio"] = None if f.ratio is None else round(f.ratio, 4)
        if f.goal is not None:
            out[f"{f.key}_goal"] = f.goal
            out[f"{f.key}_pass"] = f.passed
    out["heavy_imports"] = heavy
    out["machine"] = machine()
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; print the table (and the JSON line). Exit 1 on heavy imports."""
    parser = argparse.ArgumentParser(prog="python -m lambda_lab.bench", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (for tests)")
    parser.add_argument("--only", metavar="KEY[,KEY]", help=f"a subset of {', '.join(KEYS)}")
    args = parser.parse_args(argv)
    keys = KEYS if not args.only else tuple(k.strip() for k in args.only.split(",") if k.strip())
    unknown = [k for k in keys if k not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown figure(s) {', '.join(unknown)}; choose from {', '.join(KEYS)}")
    counts = QUICK if args.quick else FULL
    figures: list[Figure] = []
    try:
        for key in keys:
            figures += BENCHMARKS[key](counts)
    finally:
        from .execution import zygote

        if zygote._shared is not None:  # end the zygote too: no process outlives the run
            zygote._shared.close()
    heavy = heavy_imports()
    print(table(figures))
    print("ratios are against a baseline measured in the same run; goals are upper bounds "
          "(lower bounds where marked >=)\n"
          f"heavy imports in `import lambda_lab`: {', '.join(heavy) or 'none'}"
          f" ({'FAIL' if heavy else 'pass'})")
    if args.json:
        print(json.dumps(report(figures, heavy)), flush=True)
    return 1 if heavy else 0


if __name__ == "__main__":
    sys.exit(main())
