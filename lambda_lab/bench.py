"""Benchmarks of the emulator, each measured next to a baseline taken in the same run.

    python -m lambda_lab.bench [--json] [--quick] [--only KEY[,KEY]]

Figures: ``warm_invoke_native_us`` (vs. a direct in-process call of the same handler),
``cold_start_ms`` (vs. ``python -c pass``), ``import_ms`` (vs. ``python -c pass``) and
``idle_env_mb`` (vs. an idle ``python`` sleeping). With ``--json`` the last line printed is one
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
KEYS = ("warm_invoke_native_us", "cold_start_ms", "import_ms", "idle_env_mb")
_PKG_PARENT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@dataclass
class Figure:
    """One measured figure, its baseline (same run, same units) and its goal (an upper bound)."""

    key: str
    value: float
    baseline: float | None = None
    goal: float | None = None

    @property
    def ratio(self) -> float | None:
        """value / baseline, or None without a (positive) baseline."""
        return self.value / self.baseline if self.baseline else None

    @property
    def passed(self) -> bool | None:
        """Whether the value meets its goal; None when there is no goal."""
        return None if self.goal is None else self.value <= self.goal


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


BENCHMARKS: dict[str, Callable[[Counts], list[Figure]]] = {
    "warm_invoke_native_us": bench_warm_invoke,
    "cold_start_ms": bench_cold_start,
    "import_ms": bench_import,
    "idle_env_mb": bench_idle_env,
}


def _fmt(x: float | None) -> str:
    return "-" if x is None else f"{x:.4g}"


def table(figures: list[Figure]) -> str:
    """The figures as a text table: figure, value, baseline, ratio, goal, pass/fail."""
    rows = [("figure", "value", "baseline", "ratio", "goal", "result")]
    for f in figures:
        verdict = {None: "-", True: "pass", False: "FAIL"}[f.passed]
        ratio = "-" if f.ratio is None else f"{f.ratio:.3g}x"
        rows.append((f.key, _fmt(f.value), _fmt(f.baseline), ratio, _fmt(f.goal), verdict))
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
    print("ratios are against a baseline measured in the same run; goals are upper bounds\n"
          f"heavy imports in `import lambda_lab`: {', '.join(heavy) or 'none'}"
          f" ({'FAIL' if heavy else 'pass'})")
    if args.json:
        print(json.dumps(report(figures, heavy)), flush=True)
    return 1 if heavy else 0


if __name__ == "__main__":
    sys.exit(main())
