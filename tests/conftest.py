"""Shared fixtures: deploy handlers from source, and prove nothing stray is left behind."""

from __future__ import annotations

import itertools
import os
import textwrap
import time

import pytest

_names = itertools.count(1)


def descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc, by parent pid)."""
    children: dict[int, list[int]] = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        rest = stat[stat.rindex(b")") + 2:].split()
        if rest[0] in (b"Z", b"X"):
            continue
        children.setdefault(int(rest[1]), []).append(int(name))
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def zygote_pid() -> int | None:
    from lambda_lab.execution import zygote

    z = zygote._shared
    return z._proc.pid if z is not None and z.alive else None


def wait_no_workers(timeout: float = 5.0) -> set[int]:
    """Wait until the zygote has no live descendants; return those left."""
    pid = zygote_pid()
    if pid is None:
        return set()
    deadline = time.monotonic() + timeout
    left = descendants(pid)
    while left and time.monotonic() < deadline:
        time.sleep(0.02)
        left = descendants(pid)
    return left


@pytest.fixture
def deploy():
    """Deploy handler source (dedented) under a unique name; delete everything afterwards."""
    import lambda_lab as ll

    made = []

    def _deploy(source: str, **kwargs):
        kwargs.setdefault("name", f"t{next(_names)}-{os.getpid()}")
        fn = ll.deploy(textwrap.dedent(source), **kwargs)
        made.append(fn)
        return fn

    yield _deploy
    for fn in made:
        fn.delete()
    assert wait_no_workers() == set(), "stray processes left behind"
