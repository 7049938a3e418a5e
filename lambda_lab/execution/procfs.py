"""What the host reads about a worker from /proc: resident memory and CPU time used."""

from __future__ import annotations

import os
import signal

PAGE_SIZE = os.sysconf("SC_PAGE_SIZE")
HOST_CPUS = os.cpu_count() or 1

_SIGNAL_NAMES = {
    signal.SIGKILL: "killed",
    signal.SIGSEGV: "segmentation fault",
    signal.SIGABRT: "aborted",
    signal.SIGTERM: "terminated",
    signal.SIGBUS: "bus error",
    signal.SIGFPE: "floating point exception",
    signal.SIGILL: "illegal instruction",
    signal.SIGINT: "interrupt",
    signal.SIGHUP: "hangup",
    signal.SIGPIPE: "broken pipe",
}


def rss_bytes(pid: int) -> int:
    """Resident set size of ``pid`` (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/statm", "rb") as f:
            return int(f.read().split()[1]) * PAGE_SIZE
    except (OSError, IndexError, ValueError):
        return 0


def cpu_ns(pid: int) -> int:
    """CPU time used by all threads of ``pid`` so far, in nanoseconds (from schedstat)."""
    total = 0
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/schedstat", "rb") as f:
                total += int(f.read().split()[0])
        except (OSError, IndexError, ValueError):
            pass
    return total


def exit_reason(status: int | None) -> str | None:
    """Describe a wait status the way Lambda does ("exit status 1", "signal: killed").

    None means the runtime exited with status 0, which Lambda reports as exiting
    "without providing a reason".
    """
    if status is None:
        return None
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        name = _SIGNAL_NAMES.get(sig, f"signal {sig}")
        return f"signal: {name}"
    code = os.WEXITSTATUS(status)
    return f"exit status {code}" if code else None


def process_exists(pid: int) -> bool:
    """Whether ``pid`` is still a live (not zombie) process."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except OSError:
        return False
    return stat[stat.rindex(b")") + 2:][:1] not in (b"Z", b"X")


def peak_rss_kb(pid: int) -> int:
    """Peak resident set size (VmHWM) of ``pid`` in KiB (0 once it is gone)."""
    try:
        with open(f"/proc/{pid}/status", "rb") as f:
            for line in f:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return 0
