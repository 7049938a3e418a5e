"""Helpers for ``notebooks/01-first-function``: the emulator as a local HTTP server for the AWS CLI,
.zip packages, a custom-runtime ``bootstrap``, and the monthly cost calculator (and its slider).

Everything a notebook shows from here is fixed text (:class:`~lambda_lab.course.exercises.Text`)
or a number computed by :mod:`lambda_lab.billing`.
"""

from __future__ import annotations

import atexit
import os
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lambda_lab import billing
from lambda_lab.course.exercises import Text
from lambda_lab.course.shared import make_zip

__all__ = [
    "BOOTSTRAP",
    "LocalServer",
    "cost_calculator_ui",
    "cost_estimate",
    "make_zip",
    "write_bootstrap",
]

#: The fake credentials the AWS CLI gets (any key works against the emulator).
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LocalServer:
    """``python -m lambda_lab serve --port N`` as a background process, on a free port.

    :attr:`env` is what the AWS CLI runs with: the notebook's environment without any ``AWS_*``
    variable, plus fake credentials, and config/credentials files that do not exist, so the
    learner's real AWS credentials are never read. :meth:`stop` ends the server (SIGTERM: it ends
    every execution environment it started) and removes its temporary folder.
    """

    def __init__(self) -> None:
        self.port = 0
        self.url = ""
        self.banner = ""
        self.proc: subprocess.Popen[str] | None = None
        self.tmp = tempfile.mkdtemp(prefix="lambda-lab-cli-")
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.env.update(FAKE_CREDENTIALS)
        self.env["AWS_CONFIG_FILE"] = os.path.join(self.tmp, "no-config")
        self.env["AWS_SHARED_CREDENTIALS_FILE"] = os.path.join(self.tmp, "no-credentials")

    def start(self, timeout: float = 60.0) -> LocalServer:
        """Start the server and wait for its one line ("emulated AWS on http://…").

        Raises:
            RuntimeError: the server did not start.
        """
        root = str(Path(__file__).resolve().parents[2])
        env = dict(self.env)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
        for _attempt in range(3):  # a free port can be taken between choosing and binding it
            self.port = _free_port()
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "lambda_lab", "serve", "--port", str(self.port)],
                stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL,
                text=True, env=env, cwd=self.tmp, start_new_session=True,
            )
            assert self.proc.stdout is not None
            self.banner = self.proc.stdout.readline().strip()
            if self.banner.startswith("lambda_lab: emulated AWS"):
                self.url = f"http://127.0.0.1:{self.port}"
                atexit.register(self.stop)
                return self
            self.proc.wait(timeout=timeout)
        raise RuntimeError(f"lambda_lab serve did not start: {self.banner!r}")

    @property
    def cli(self) -> str:
        """The AWS CLI command line (for ``!{server.cli} lambda …`` in a notebook)."""
        assignments = " ".join(
            f"{k}={shlex.quote(self.env[k])}"
            for k in (*FAKE_CREDENTIALS, "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE")
        )
        unset = " ".join(f"-u {k}" for k in sorted(os.environ) if k.startswith("AWS_"))
        parts = ["env", unset, assignments, shlex.quote(sys.executable), "-m awscli",
                 f"--endpoint-url {self.url}"]
        return " ".join(p for p in parts if p)

    def aws(self, *args: str) -> Text:
        """Run the AWS CLI with ``args``; return its output (or its error) as text."""
        proc = subprocess.run(
            [sys.executable, "-m", "awscli", "--endpoint-url", self.url, *args],
            capture_output=True, text=True, env=self.env, cwd=self.tmp, timeout=120,
        )
        return Text((proc.stdout if proc.returncode == 0 else proc.stderr).rstrip("\n"))

    def path(self, name: str) -> str:
        """A file in the server's temporary folder (for packages and ``out.json``)."""
        return os.path.join(self.tmp, name)

    def stop(self) -> Text:
        """Stop the server, wait for it to exit, remove its temporary folder."""
        proc, self.proc = self.proc, None
        status = "not running"
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            if proc.stdout is not None:
                proc.stdout.close()
            status = f"stopped (exit status {proc.returncode})"
        shutil.rmtree(self.tmp, ignore_errors=True)
        return Text(f"lambda_lab serve: {status}")


#: A custom runtime in a dozen lines: the loop every OS-only runtime's ``bootstrap`` runs.
BOOTSTRAP = '''\
#!/usr/bin/env python3
# A custom runtime: Lambda starts this executable; it loops over the Runtime API.
import json, os, urllib.request

api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:      # wait for an event
        request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    result = {"hello": event.get("name", "world"), "runtime": "bootstrap"}
    urllib.request.urlopen(urllib.request.Request(                  # send the result back
        f"{api}/invocation/{request_id}/response",
        data=json.dumps(result).encode(), method="POST")).read()
'''


def write_bootstrap(folder: str, text: str = BOOTSTRAP) -> str:
    """Write ``text`` as an executable ``bootstrap`` in ``folder``; return the folder."""
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, "bootstrap")
    Path(path).write_text(text, encoding="utf-8")
    os.chmod(path, os.stat(path).st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return folder


# --- the cost calculator ----------------------------------------------------------------------


@dataclass(frozen=True)
class CostEstimate:
    """A month of invocations, priced with :mod:`lambda_lab.billing` (us-east-1)."""

    requests: int
    duration_ms: float
    memory_mb: int
    architecture: str
    billed_ms: int
    gb_seconds: float
    billable_requests: int
    billable_gb_seconds: float
    cost: billing.Cost

    @property
    def text(self) -> str:
        free_req = self.requests - self.billable_requests
        free_gbs = self.gb_seconds - self.billable_gb_seconds
        return "\n".join([
            f"{self.requests:,} requests × {self.duration_ms:g} ms (billed {self.billed_ms:,} ms)"
            f" at {self.memory_mb:,} MB, {self.architecture}",
            f"requests: {self.requests:,} − {free_req:,} free = {self.billable_requests:,}"
            f" → ${self.cost.request_usd:,.2f}",
            f"compute:  {self.gb_seconds:,.0f} GB-s − {free_gbs:,.0f} free ="
            f" {self.billable_gb_seconds:,.0f} GB-s → ${self.cost.compute_usd:,.2f}",
            f"total:    ${self.cost.total_usd:,.2f} per month",
        ])

    def __repr__(self) -> str:
        return self.text

    def __str__(self) -> str:
        return self.text


def cost_estimate(requests: int, duration_ms: float, memory_mb: int,
                  architecture: str = "x86_64", free_tier: bool = True) -> CostEstimate:
    """A month's bill for ``requests`` invocations of ``duration_ms`` each at ``memory_mb``.

    Uses :func:`lambda_lab.billing.monthly_cost` (free tier: 1M requests and 400,000 GB-s).

    Raises:
        ValueError: negative inputs or an unknown architecture.
    """
    cost = billing.monthly_cost(requests, duration_ms, memory_mb, architecture, free_tier)
    billed = billing.billed_duration_ms(duration_ms) if requests else 0
    gb_s = requests * billing.gb_seconds(billed, memory_mb)
    free_requests = billing.FREE_TIER_REQUESTS if free_tier else 0
    free_gb_s = billing.FREE_TIER_GB_SECONDS if free_tier else 0.0
    return CostEstimate(
        requests=requests, duration_ms=duration_ms, memory_mb=memory_mb,
        architecture=architecture, billed_ms=billed, gb_seconds=gb_s,
        billable_requests=max(0, requests - free_requests),
        billable_gb_seconds=max(0.0, gb_s - free_gb_s), cost=cost,
    )


@dataclass
class CostCalculatorUI:
    """Sliders over :func:`cost_estimate`; its text form is fixed (nbval compares it)."""

    requests: Any
    duration: Any
    memory: Any
    architecture: Any
    output: Any
    box: Any

    def update(self, *_: Any) -> None:
        estimate = cost_estimate(int(self.requests.value * 1_000_000), self.duration.value,
                                 self.memory.value, self.architecture.value)
        self.output.outputs = ({"output_type": "stream", "name": "stdout",
                                "text": estimate.text + "\n"},)

    def _repr_mimebundle_(self, **kwargs: Any) -> dict[str, Any]:
        bundle = dict(self.box._repr_mimebundle_(**kwargs))
        bundle["text/plain"] = ("Cost calculator: requests, duration, memory, architecture "
                                "(a widget: run this notebook in JupyterLab to use it)")
        return bundle


def cost_calculator_ui(requests_millions: float = 3.0, duration_ms: int = 120,
                       memory_mb: int = 512) -> CostCalculatorUI:
    """Four controls (millions of requests a month, duration, memory, architecture) and the bill."""
    import ipywidgets as widgets

    style = {"description_width": "initial"}
    wide = widgets.Layout(width="95%")
    requests = widgets.FloatSlider(value=requests_millions, min=0, max=100, step=0.5,
                                   description="Requests per month (millions)",
                                   continuous_update=False, style=style, layout=wide)
    duration = widgets.IntSlider(value=duration_ms, min=1, max=5000, step=1,
                                 description="Duration (ms)", continuous_update=False,
                                 style=style, layout=wide)
    memory = widgets.IntSlider(value=memory_mb, min=128, max=10_240, step=1,
                               description="Memory (MB)", continuous_update=False, style=style,
                               layout=wide)
    architecture = widgets.Dropdown(options=["x86_64", "arm64"], value="x86_64",
                                    description="Architecture", style=style)
    output = widgets.Output(layout=widgets.Layout(height="6em"))
    box = widgets.VBox([requests, duration, memory, architecture, output])
    ui = CostCalculatorUI(requests, duration, memory, architecture, output, box)
    for control in (requests, duration, memory, architecture):
        control.observe(ui.update, names="value")
    ui.update()
    return ui
