"""``python -m lambda_lab lab [jupyter lab options]``: start JupyterLab on the course's index.

It runs ``jupyter lab`` with ``notebooks/00-index.ipynb`` open first. As root (uid 0, how many
containers and fresh cloud machines run) it adds ``--allow-root``, which ``jupyter lab`` needs
there ("Running as root is not recommended. Use --allow-root to bypass."); for anyone else the
command line is plain ``jupyter lab``, so its defaults are unchanged. Other options pass through
(``--no-browser``, ``--port=8889``, …).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = ["INDEX", "course_root", "lab_command", "main"]

#: The notebook that opens first, relative to the course's folder.
INDEX = Path("notebooks") / "00-index.ipynb"


def course_root(cwd: Path | None = None) -> Path:
    """The folder holding ``notebooks/``: the working folder if it has the index, else the
    checkout this package runs from.

    Raises:
        FileNotFoundError: neither has ``notebooks/00-index.ipynb``.
    """
    for folder in (cwd or Path.cwd(), Path(__file__).resolve().parents[2]):
        if (folder / INDEX).is_file():
            return folder
    raise FileNotFoundError(f"no {INDEX} here or beside lambda_lab: run this in the course folder")


def lab_command(
    argv: list[str], *, uid: int | None = None, root: Path | None = None
) -> list[str]:
    """The ``jupyter lab`` command line: the index open first, ``--allow-root`` only for uid 0."""
    uid = os.geteuid() if uid is None else uid
    root = course_root() if root is None else root
    command = [
        sys.executable, "-m", "jupyter", "lab", f"--ServerApp.root_dir={root}",
        f"--LabApp.default_url=/lab/tree/{INDEX.as_posix()}",  # the URL it prints, too
    ]
    if uid == 0 and "--allow-root" not in argv:
        command.append("--allow-root")
    return [*command, *argv, str(root / INDEX)]


def main(argv: list[str]) -> int:
    """Replace this process with ``jupyter lab`` (see :func:`lab_command`)."""
    try:
        command = lab_command(argv)
    except FileNotFoundError as exc:
        print(f"python -m lambda_lab lab: {exc}", file=sys.stderr)
        return 2
    if os.geteuid() == 0:
        print("python -m lambda_lab lab: running as root, so adding --allow-root", file=sys.stderr)
    sys.stdout.flush()
    os.execv(sys.executable, command)
    return 0  # not reached
