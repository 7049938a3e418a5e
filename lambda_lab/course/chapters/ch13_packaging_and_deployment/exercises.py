"""The exercises of chapter 13, Packaging and deployment: fix a package whose dependency is missing.

Importing this module registers them in :data:`lambda_lab.course.exercises.EXERCISES`.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from typing import Any

from lambda_lab.course.chapters.ch08_permissions_and_security.helpers import TRUST_POLICY
from lambda_lab.course.exercises import Check, Exercise, is_stub, register, solution_source

from .helpers import REGION, _runs, demo_project, invoke_line, make_wheel

# --------------------------------------------------------------------- exercise: fix-package

PACKAGE_STUB = '''\
def package(src, output, wheels):
    """Build src's deployment zip at output, with the dependencies in src/requirements.txt
    installed from the local wheel folder wheels (no network). Return the zip's path."""
    # TODO: build_zip(...) with the right arguments
    ...
'''


def _outcome(answer: Callable[[str, str, str], Any]) -> dict[str, Any]:
    """Run ``answer`` on a fresh project, deploy the zip in an emulator of its own (or the
    active one) and invoke it once; cached per answer object."""
    key = id(answer)
    if _cache.get("key") == key and _cache.get("answer") is answer:
        outcome = _cache["outcome"]
    else:
        try:
            outcome = _run(answer)
        except Exception as exc:  # noqa: BLE001 - shown as the failed check's hint
            outcome = exc
        _cache.clear()
        _cache.update(key=key, answer=answer, outcome=outcome)
    if isinstance(outcome, BaseException):
        raise outcome
    return outcome


_cache: dict[str, Any] = {}


def _run(answer: Callable[[str, str, str], Any]) -> dict[str, Any]:
    import boto3

    from lambda_lab.aws import mock

    work = tempfile.mkdtemp(prefix="lambda-lab-fix-package-")
    try:
        wheels = make_wheel(os.path.join(work, "wheels"), "tinydep",
                            {"tinydep/__init__.py": "VALUE = 42\n"})
        src = demo_project(os.path.join(work, "src"))
        output = os.path.join(work, "function.zip")
        answer(src, output, os.path.dirname(wheels))
        if not os.path.isfile(output):
            return {"names": None}
        with zipfile.ZipFile(output) as zf:
            names = set(zf.namelist())
        with open(output, "rb") as f:
            data = f.read()

        def go() -> dict[str, Any]:
            lam = boto3.client("lambda", region_name=REGION)
            iam = boto3.client("iam", region_name=REGION)
            n = next(_runs)
            name = f"fix-package-{n}"
            role = iam.create_role(RoleName=name, AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role["Role"]["Arn"],
                                Handler="lambda_function.handler", Code={"ZipFile": data})
            line = invoke_line(lam.invoke(FunctionName=name))
            lam.delete_function(FunctionName=name)
            iam.delete_role(RoleName=name)
            return {"names": names, "invoke": line}

        if mock._active is not None:
            return go()
        with mock.mock_aws():
            return go()
    finally:
        shutil.rmtree(work, ignore_errors=True)


def check_zip_written(answer: Any) -> str | None:
    """The answer writes the zip at ``output``."""
    if _outcome(answer)["names"] is None:
        return "no zip at output: pass output to build_zip (its second argument)"
    return None


def check_handler_at_root(answer: Any) -> str | None:
    """lambda_function.py is at the root of the zip."""
    names = _outcome(answer)["names"] or set()
    if "lambda_function.py" in names:
        return None
    return "lambda_function.py must be at the root of the .zip, not in a folder"


def check_dependency_inside(answer: Any) -> str | None:
    """tinydep is in the zip, at its root."""
    names = _outcome(answer)["names"] or set()
    if "tinydep/__init__.py" in names:
        return None
    return ("the zip has no tinydep/: pass requirements=<src>/requirements.txt, and "
            "find_links=wheels with no_index=True so pip installs from the local wheels")


def check_imports(answer: Any) -> str | None:
    """Deployed, the handler imports and returns {"value": 42}."""
    line = _outcome(answer)["invoke"]
    return None if line == '✅ {"value": 42}' else f"the invocation gave {line}"


FIX_PACKAGE = register(
    Exercise(
        id="fix-package",
        title="Fix a package whose handler cannot be imported",
        topic="13-packaging-and-deployment",
        answer_name="package",
        stub=PACKAGE_STUB,
        not_attempted=lambda answer: answer is None or is_stub(answer),
        checks=[
            Check("package(src, output, wheels) writes the zip", check_zip_written),
            Check("lambda_function.py at the zip's root", check_handler_at_root),
            Check("the dependency tinydep in the zip", check_dependency_inside),
            Check("deployed, the handler imports and returns {'value': 42}", check_imports),
        ],
        hints=[
            "Runtime.ImportModuleError: the handler imports tinydep, and Lambda's Python has only "
            "the standard library, boto3 and what the package and its layers bring.",
            "build_zip(src, output, requirements=os.path.join(src, 'requirements.txt'), ...) "
            "installs the dependencies with pip --target next to the code.",
            "Offline, pip finds the wheels with find_links=wheels, no_index=True.",
        ],
        solution=solution_source(__package__, "fix_package"),
    )
)
