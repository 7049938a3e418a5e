"""Reading a Dockerfile: instructions with their line numbers, and variable substitution.

Only what the image builder needs: line continuations, comments, exec (JSON) and shell forms,
``$VAR`` / ``${VAR}`` / ``${VAR:-default}`` / ``${VAR:+alt}``.
"""

from __future__ import annotations

import json
import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["DockerfileError", "Instruction", "parse", "split_args", "substitute"]


class DockerfileError(Exception):
    """A Dockerfile the builder cannot build; the message names the line."""


@dataclass(frozen=True)
class Instruction:
    """One instruction: its keyword (upper case), its raw arguments and its first line."""

    keyword: str
    args: str
    line: int

    def fail(self, why: str) -> DockerfileError:
        """A DockerfileError naming this line."""
        return DockerfileError(f"Dockerfile line {self.line}: {self.keyword} {self.args}: {why}")


def parse(text: str) -> list[Instruction]:
    """The instructions of a Dockerfile, continuation lines joined."""
    found: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # comments inside a continued instruction
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        whole = (pending + line).strip()
        pending = ""
        keyword, _, args = whole.partition(" ")
        found.append(Instruction(keyword.upper(), args.strip(), start))
    if pending:
        keyword, _, args = pending.strip().partition(" ")
        found.append(Instruction(keyword.upper(), args.strip(), start))
    return found


_VAR = re.compile(r"\$(?:\{(\w+)(?::([-+])([^}]*))?\}|(\w+))")


def substitute(text: str, variables: Mapping[str, str]) -> str:
    """Replace ``$VAR``, ``${VAR}``, ``${VAR:-default}``, ``${VAR:+alt}`` (unknown: empty)."""

    def one(m: re.Match[str]) -> str:
        name = m.group(1) or m.group(4)
        value = variables.get(name, "")
        if m.group(2) == "-":
            return value or m.group(3)
        if m.group(2) == "+":
            return m.group(3) if value else ""
        return value

    return _VAR.sub(one, text)


def split_args(ins: Instruction, variables: Mapping[str, str]) -> tuple[list[str], bool]:
    """An instruction's arguments as a list, and whether they were in exec (JSON) form."""
    args = ins.args
    if args.startswith("["):
        try:
            parsed = json.loads(args)
        except ValueError:
            raise ins.fail("not valid JSON (exec form)") from None
        if not isinstance(parsed, list) or not all(isinstance(a, str) for a in parsed):
            raise ins.fail("the exec form must be a JSON array of strings")
        return parsed, True
    try:
        return shlex.split(substitute(args, variables)), False
    except ValueError as e:
        raise ins.fail(str(e)) from None
