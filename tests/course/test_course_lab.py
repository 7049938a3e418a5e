"""The README's first command starts the course for everyone, root included (issue 20).

``jupyter lab`` refuses to start as root ("Running as root is not recommended. Use
--allow-root to bypass."); ``python -m lambda_lab lab`` adds --allow-root for uid 0 only and
opens notebooks/00-index.ipynb first.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from lambda_lab.course.lab import INDEX, lab_command

REPO = Path(__file__).resolve().parents[2]


def test_root_gets_allow_root_and_everyone_else_the_plain_default():
    as_user = lab_command(["--no-browser"], uid=1000, root=REPO)
    as_root = lab_command(["--no-browser"], uid=0, root=REPO)
    assert "--allow-root" not in as_user
    assert as_root.count("--allow-root") == 1
    assert as_root[-1] == as_user[-1] == str(REPO / INDEX)  # the index opens first
    assert "--no-browser" in as_user and f"--ServerApp.root_dir={REPO}" in as_user
    assert lab_command(["--allow-root"], uid=0, root=REPO).count("--allow-root") == 1


def readme_start_command() -> str:
    """The command under "Start the course" in README.md."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    after = readme[readme.index("Start the course"):]
    return re.search(r"```bash\n(.+?)\n```", after, re.S).group(1).strip()


@pytest.mark.timeout(120)
def test_the_readme_start_command_serves_the_course(tmp_path):
    """Run the README's command as a new user would (a fresh home, no Jupyter config; as root
    on this machine) and ask the server for its status and the index. The ``pip install``
    half is skipped: the dependencies are installed already."""
    command = readme_start_command()
    install, _, start = command.rpartition("&&")
    assert install.strip() == "pip install -r requirements.txt"
    env = {
        **os.environ,
        "HOME": str(tmp_path),
        "BROWSER": "true",  # no browser to open here
        "LAMBDA_LAB_PROGRESS": str(tmp_path / "progress.json"),
        "PYTHONPATH": str(REPO),
    }
    for key in [k for k in env if k.startswith("JUPYTER")]:
        del env[key]
    proc = subprocess.Popen(
        ["bash", "-c", start.strip()], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    lines: list[str] = []
    reader = threading.Thread(target=lambda: lines.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        url = None
        deadline = time.monotonic() + 90
        while url is None and time.monotonic() < deadline:
            assert proc.poll() is None, "".join(lines)[-3000:]
            found = re.search(
                r"http://127\.0\.0\.1:(\d+)/lab/tree/notebooks/00-index\.ipynb\?token=(\w+)",
                "".join(lines),
            )
            url = found and found.groups()
            time.sleep(0.2)
        assert url, f"no URL within 90 s:\n{''.join(lines)[-3000:]}"
        port, token = url
        base = f"http://127.0.0.1:{port}"
        with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=10) as answer:
            assert answer.status == 200 and "started" in json.load(answer)
        index = f"{base}/api/contents/{INDEX.as_posix()}?content=0&token={token}"
        with urllib.request.urlopen(index, timeout=10) as answer:
            assert json.load(answer)["type"] == "notebook"
        page = f"{base}/lab/tree/{INDEX.as_posix()}?token={token}"  # the URL it printed
        with urllib.request.urlopen(page, timeout=10) as answer:
            assert answer.status == 200 and b"JupyterLab" in answer.read()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
