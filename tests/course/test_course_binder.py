"""Binder runs every cell: each package a notebook imports or runs from a shell command is in
binder/requirements.txt (postBuild installs lambda_lab itself with --no-deps), and a failing
shell command fails its cell, so nbval catches it (issue 20: without awscli, chapter 01's CLI
cells printed "No module named awscli" and the chapter still passed)."""

from __future__ import annotations

import ast
import importlib.metadata
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
import tomllib

from lambda_lab.course.shell import ShellError, sh

REPO = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
#: Shell tools every Linux image has (not pip packages).
SYSTEM_TOOLS = {"cat", "ls", "echo", "env", "head", "tail", "unzip", "zip", "grep", "bash"}


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def requirement_names(lines: list[str]) -> set[str]:
    names = set()
    for line in lines:
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(canonical(re.split(r"[\[<>=!~; ]", line, maxsplit=1)[0]))
    return names


def binder_requirements() -> set[str]:
    return requirement_names((REPO / "binder" / "requirements.txt").read_text().splitlines())


def code_cells():
    for path in NOTEBOOKS:
        for n, cell in enumerate(nbformat.read(path, as_version=4).cells):
            if cell.cell_type == "code":
                yield f"{path.name} cell {n}", cell.source


def python_of(source: str) -> str:
    """The cell without IPython's own lines (magics, ``!`` commands)."""
    if source.lstrip().startswith("%%"):
        return ""
    return "\n".join("" if line.lstrip()[:1] in "!%" else line for line in source.splitlines())


def imported_modules() -> dict[str, str]:
    """Top-level module -> where it is first imported."""
    found: dict[str, str] = {}
    for where, source in code_cells():
        for node in ast.walk(ast.parse(python_of(source))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            else:
                continue
            for name in names:
                found.setdefault(name.split(".")[0], where)
    return found


def shell_commands() -> list[tuple[str, str]]:
    """Each ``sh(...)`` call's command text (f-string parts joined) and each ``!`` line."""
    commands = []
    for where, source in code_cells():
        commands += [(where, line.lstrip()[1:]) for line in source.splitlines()
                     if line.lstrip().startswith("!")]
        for node in ast.walk(ast.parse(python_of(source))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "sh":
                commands.append((where, ast.unparse(node.args[0])))
    return commands


def test_notebooks_run_shell_commands_through_sh_not_a_bare_bang():
    """``!cmd`` ignores the exit status; ``sh`` raises, so a failed command fails the cell."""
    bare = [where for where, source in code_cells()
            if any(line.lstrip().startswith("!") for line in source.splitlines())]
    assert not bare
    assert shell_commands(), "chapter 01 runs the AWS CLI: its commands must be found"


def test_every_imported_package_is_in_binder_requirements():
    distributions = importlib.metadata.packages_distributions()
    required = binder_requirements()
    missing = {}
    for module, where in imported_modules().items():
        if module in sys.stdlib_module_names or module == "lambda_lab":
            continue
        dists = {canonical(d) for d in distributions.get(module, [module])}
        if not dists & required:
            missing[module] = where
    assert not missing, f"imported but not in binder/requirements.txt: {missing}"


def test_every_tool_a_shell_command_runs_is_in_binder_requirements():
    """``{cli}`` is ``server.cli``: ``python -m awscli`` (see LocalServer.cli)."""
    required = binder_requirements()
    for where, command in shell_commands():
        for part in re.split(r"[;|&]+", command.strip("'\"f")):
            words = part.split()
            if not words:
                continue
            tool = words[0]
            if tool in ("{cli}", "{server.cli}"):
                assert "awscli" in required, where
            elif tool == "python" and "-m" in words:
                module = words[words.index("-m") + 1]
                assert canonical(module) in required, (where, module)
            else:
                assert tool in SYSTEM_TOOLS, (where, f"unknown tool {tool!r}")


def test_binder_installs_what_lambda_lab_needs():
    """postBuild installs lambda_lab with --no-deps: its aws and course extras must be listed."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    needed = requirement_names([*project["dependencies"], *extras["aws"], *extras["course"]])
    assert needed <= binder_requirements(), needed - binder_requirements()
    assert "awscli" in binder_requirements()


def test_sh_prints_the_output_and_raises_on_a_failing_command(capsys):
    sh("echo one; echo two >&2")
    assert capsys.readouterr().out == "one\ntwo\n"
    with pytest.raises(ShellError) as raised:
        sh("echo 'No module named awscli' >&2; exit 3")
    assert raised.value.returncode == 3
    assert str(raised.value) == "the command exited with status 3: No module named awscli"
    assert capsys.readouterr().out == "No module named awscli\n"


@pytest.mark.timeout(120)
def test_a_failing_shell_command_fails_nbval(tmp_path):
    """A notebook whose shell command fails does not pass nbval (a bare ``!`` would)."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from lambda_lab.course.shell import sh\nsh('python -m no_such_module_here')")]
    path = tmp_path / "failing.ipynb"
    nbformat.write(nb, path)
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "--nbval-lax", "-p", "no:cacheprovider", "-q",
         "-c", "/dev/null", str(path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=110,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.returncode == 1, proc.stdout[-2000:]
    assert "ShellError" in proc.stdout and "No module named no_such_module_here" in proc.stdout
