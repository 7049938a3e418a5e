"""``python -m lambda_lab <command> [...]``: dispatch to a subcommand.

A subcommand is a callable taking its own argv and returning an exit status; adding one is one
line in ``COMMANDS``. Subcommand modules are imported only when their command runs.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable


def _lazy(module: str, attr: str = "main") -> Callable[[list[str]], int]:
    """A subcommand that imports ``lambda_lab.<module>`` and calls its ``attr`` with argv."""

    def run(argv: list[str]) -> int:
        return getattr(importlib.import_module(f"lambda_lab.{module}"), attr)(argv)

    return run


COMMANDS: dict[str, Callable[[list[str]], int]] = {
    "bench": _lazy("bench"),
    "lab": _lazy("course.lab"),
    "package": _lazy("packaging.cli"),
    "serve": _lazy("serve"),
}


def main(argv: list[str] | None = None) -> int:
    """Parse the subcommand name and hand the rest of argv to it."""
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = argparse.ArgumentParser(
        prog="python -m lambda_lab", description="Lambda Lab command line.",
        epilog="Run `python -m lambda_lab COMMAND --help` for a command's options.")
    parser.add_argument("command", choices=sorted(COMMANDS), help="what to run")
    parser.parse_args(argv[:1])
    return COMMANDS[argv[0]](argv[1:])


if __name__ == "__main__":
    sys.exit(main())
