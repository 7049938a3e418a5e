"""Shell commands for the notebooks, with their exit status checked.

IPython's ``!command`` ignores the exit status: a command that fails (``No module named awscli``)
prints its error and the cell still "succeeds", so nbval passes a chapter whose commands never
ran. :func:`sh` runs the command with bash, prints what it printed (stdout and stderr, in order)
and raises :class:`ShellError` when it exits with a non-zero status, so the cell fails::

    sh(f"{cli} lambda invoke --function-name hello --payload '{payload}' {out}")
"""

from __future__ import annotations

import subprocess
import sys

__all__ = ["ShellError", "sh"]


class ShellError(subprocess.CalledProcessError):
    """A shell command exited with a non-zero status."""

    def __str__(self) -> str:
        last = (self.output or "").strip().splitlines()[-1:] or ["(no output)"]
        return f"the command exited with status {self.returncode}: {last[0]}"


def sh(command: str, *, timeout: float = 120.0) -> None:
    """Run ``command`` with ``bash -c`` and print its output (stderr merged into stdout).

    Raises:
        ShellError: the command exited with a non-zero status (its output is printed first).
        subprocess.TimeoutExpired: it ran longer than ``timeout`` seconds.
    """
    proc = subprocess.run(
        ["bash", "-c", command],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        timeout=timeout,
    )
    sys.stdout.write(proc.stdout)
    sys.stdout.flush()
    if proc.returncode != 0:
        raise ShellError(proc.returncode, command, output=proc.stdout)
