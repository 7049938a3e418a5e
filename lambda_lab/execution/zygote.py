"""Host side of the zygote: one pre-started clean interpreter that forks execution environments.

Starting a Python interpreter costs tens of milliseconds; forking a warm, clean one costs about one.
The zygote is started with an empty environment (no host secrets), so nothing of the host's
environment can reach a handler.
"""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

from . import _sandbox

_RUNTIME = str(Path(__file__).with_name("_runtime.py"))


class ZygoteError(RuntimeError):
    """The zygote process could not be started or has gone away."""


class Zygote:
    """A clean interpreter that forks worker processes on request and reports their exits."""

    def __init__(self, *, landlock: bool = True) -> None:
        """``landlock``: confine workers with Landlock where the kernel has it (False: run them
        as on a kernel without it, e.g. to test what holds there)."""
        host, child = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        args = [sys.executable, "-I", _RUNTIME, str(child.fileno())]
        #: The Landlock ABI its workers are confined with (0: none).
        self.landlock_abi = _sandbox.landlock_abi() if landlock else 0
        if not self.landlock_abi:
            # Workers then run as this user with nothing else between them and this process:
            # not dumpable, it cannot be read (/proc/<pid>/environ, mem) by them.
            _sandbox.set_dumpable(False)
            args.append("--no-landlock")
        env = {"PATH": os.defpath, "LANG": "C.UTF-8"}
        self._proc = subprocess.Popen(
            args, env=env, pass_fds=(child.fileno(),), stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL, close_fds=True, start_new_session=True,
        )
        child.close()
        self._sock = host
        self._lock = threading.Lock()
        self._cond = threading.Condition()
        self._tokens = itertools.count(1)
        self._spawned: dict[int, int] = {}
        self._exits: dict[int, int] = {}
        self._watchers: dict[int, object] = {}
        self._closed = False
        self._reader = threading.Thread(target=self._read, name="lambda-lab-zygote", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        return not self._closed and self._proc.poll() is None

    def _read(self) -> None:
        while True:
            try:
                data = self._sock.recv(1 << 16)
            except OSError:
                data = b""
            with self._cond:
                if not data:
                    self._closed = True
                    watchers, self._watchers = self._watchers, {}
                    for watcher in watchers.values():
                        watcher()
                    self._cond.notify_all()
                    return
                msg = json.loads(data)
                if "exit" in msg:
                    self._exits[msg["exit"]] = msg["status"]
                    watcher = self._watchers.pop(msg["exit"], None)
                    if watcher is not None:
                        watcher()
                else:
                    self._spawned[msg["token"]] = msg["pid"]
                self._cond.notify_all()

    def spawn(self, spec: dict, control_fd: int, log_fd: int, timeout: float = 10.0) -> int:
        """Fork a worker running ``spec``; return its pid. The two fds are handed to it.

        Raises ZygoteError when the zygote is gone or does not answer in ``timeout`` seconds.
        """
        token = next(self._tokens)
        payload = json.dumps(dict(spec, token=token)).encode()
        with self._lock:
            try:
                socket.send_fds(self._sock, [payload], [control_fd, log_fd])
            except OSError as e:
                raise ZygoteError(f"zygote is gone: {e}") from e
        with self._cond:
            if not self._cond.wait_for(lambda: token in self._spawned or self._closed, timeout):
                raise ZygoteError("zygote did not answer")
            if token not in self._spawned:
                raise ZygoteError("zygote is gone")
            return self._spawned.pop(token)

    def watch(self, pid: int, callback) -> None:
        """Call ``callback()`` (on the reader thread) when worker ``pid`` ends."""
        with self._cond:
            if pid in self._exits or self._closed:
                callback()
            else:
                self._watchers[pid] = callback

    def kill(self, pid: int) -> None:
        """Ask the zygote to kill a worker's process group (it reaps and reports the exit)."""
        with self._lock:
            try:
                self._sock.send(json.dumps({"kill": pid}).encode())
            except OSError:
                pass

    def wait_exit(self, pid: int, timeout: float) -> int | None:
        """The raw wait status of a worker that ended, or None if not known within ``timeout``."""
        with self._cond:
            self._cond.wait_for(lambda: pid in self._exits or self._closed, timeout)
            return self._exits.pop(pid, None)

    def forget(self, pid: int) -> None:
        """Drop a recorded exit status nobody will ask for."""
        with self._cond:
            self._exits.pop(pid, None)

    def close(self) -> None:
        """Stop the zygote; it kills every worker it forked."""
        self._closed = True
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._sock.close()
        try:
            self._proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


_shared: Zygote | None = None
_shared_lock = threading.Lock()


def shared_zygote() -> Zygote:
    """The process-wide zygote, started (or restarted after a crash) on first use."""
    global _shared
    with _shared_lock:
        if _shared is None or not _shared.alive:
            _shared = Zygote()
        return _shared


def prestart() -> None:
    """Start the shared zygote in the background so the first cold start does not wait for it."""
    threading.Thread(target=shared_zygote, daemon=True).start()
