"""Where the emulator keeps code and environment files: one folder per host process."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import threading

_root: str | None = None
_lock = threading.Lock()


def _base() -> str:
    """A folder outside /tmp when possible, so a worker's private /tmp does not hide it."""
    configured = os.environ.get("LAMBDA_LAB_STATE_DIR")
    candidates = [configured] if configured else []
    candidates += [os.path.join(os.path.expanduser("~"), ".cache", "lambda_lab"),
                   os.path.join(tempfile.gettempdir(), f"lambda_lab-{os.getuid()}")]
    for base in candidates:
        try:
            os.makedirs(base, mode=0o700, exist_ok=True)
            if os.access(base, os.W_OK):
                return base
        except OSError:
            continue
    raise OSError("no writable folder for lambda_lab's state (set LAMBDA_LAB_STATE_DIR)")


def _remove_stale(base: str) -> None:
    """Remove folders left by host processes that no longer run."""
    for name in os.listdir(base):
        if not name.startswith("run-"):
            continue
        try:
            pid = int(name.split("-")[1])
        except (IndexError, ValueError):
            continue
        if not os.path.exists(f"/proc/{pid}"):
            shutil.rmtree(os.path.join(base, name), ignore_errors=True)


def state_root() -> str:
    """This process's state folder, created on first use and removed at exit."""
    global _root
    with _lock:
        if _root is None:
            base = _base()
            _remove_stale(base)
            _root = tempfile.mkdtemp(prefix=f"run-{os.getpid()}-", dir=base)
            atexit.register(shutil.rmtree, _root, True)
        return _root


def subdir(*parts: str) -> str:
    """A folder inside the state root, created if missing."""
    path = os.path.join(state_root(), *parts)
    os.makedirs(path, exist_ok=True)
    return path
