"""Helpers and the exercise for notebooks/13-packaging-and-deployment (its first half).

The notebook builds real deployment packages with :mod:`lambda_lab.packaging` (``pip install
--target`` from a local wheel folder, so it runs offline). These helpers write the chapter's
tiny wheels (:func:`demo_wheels`), a zip whose unzipped size is large but which is small on
disk and in memory (:func:`sparse_zip`), and read Init Duration from an invocation's log tail
(:func:`init_duration`).

* exercise ``fix-package``: a package whose handler fails with ``Runtime.ImportModuleError``
  because its dependency was never installed; the answer builds it so that it runs.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Callable
from typing import Any

from lambda_lab.course.chapters.ch08_permissions_and_security.helpers import TRUST_POLICY
from lambda_lab.course.exercises import Check, Exercise, is_stub, register, solution_source

__all__ = ["HANDLER", "demo_project", "demo_wheels", "init_duration", "invoke_line", "make_wheel",
           "sparse_zip"]

REGION = "us-east-1"
#: The chapter's handler: it needs the dependency ``tinydep``.
HANDLER = "import tinydep\n\n\ndef handler(event, context):\n    return {'value': tinydep.VALUE}\n"

_runs = itertools.count(1)


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def make_wheel(folder: str, name: str, files: dict[str, str], *, version: str = "1.0") -> str:
    """Write a pure-Python wheel ``<name>-<version>-py3-none-any.whl`` (PEP 427: the files,
    plus METADATA, WHEEL and RECORD in ``<name>-<version>.dist-info``) into ``folder``."""
    os.makedirs(folder, exist_ok=True)
    info = f"{name}-{version}.dist-info"
    contents = {path: text.encode() for path, text in files.items()}
    contents[f"{info}/METADATA"] = (f"Metadata-Version: 2.1\nName: {name}\n"
                                    f"Version: {version}\n").encode()
    contents[f"{info}/WHEEL"] = (b"Wheel-Version: 1.0\nGenerator: lambda-lab\n"
                                 b"Root-Is-Purelib: true\nTag: py3-none-any\n")
    record = [_record_line(p, d) for p, d in contents.items()] + [f"{info}/RECORD,,"]
    contents[f"{info}/RECORD"] = ("\n".join(record) + "\n").encode()
    path = os.path.join(folder, f"{name}-{version}-py3-none-any.whl")
    with zipfile.ZipFile(path, "w") as zf:
        for member, data in contents.items():
            zf.writestr(member, data)
    return path


def demo_wheels(folder: str, *, fat_modules: int = 150) -> str:
    """The chapter's wheels in ``folder``: ``tinydep`` (one small module) and ``fatdep``
    (``fat_modules`` modules, all imported by its ``__init__``: a stand-in for a heavy SDK)."""
    make_wheel(folder, "tinydep", {"tinydep/__init__.py": "VALUE = 42\n"})
    body = "".join(f"def f{i}(x):\n    return x + {i}\n\n" for i in range(40))
    files = {f"fatdep/m{i}.py": f"TABLE = {list(range(200))}\n{body}" for i in range(fat_modules)}
    files["fatdep/__init__.py"] = "".join(f"from . import m{i}\n" for i in range(fat_modules))
    make_wheel(folder, "fatdep", files)
    return folder


def demo_project(folder: str, handler: str = HANDLER, requirements: str = "tinydep==1.0\n") -> str:
    """A function's source folder: ``lambda_function.py`` and ``requirements.txt``."""
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "lambda_function.py"), "w", encoding="utf-8") as f:
        f.write(handler)
    with open(os.path.join(folder, "requirements.txt"), "w", encoding="utf-8") as f:
        f.write(requirements)
    return folder


def sparse_zip(unzipped_bytes: int, handler: str = "def handler(event, context):\n    return 1\n",
               chunk: int = 8 << 20) -> bytes:
    """A deployment zip with ``lambda_function.py`` and ``data.bin`` (``unzipped_bytes`` of
    zeros, deflated): a few hundred KB however large its unzipped size."""
    path = tempfile.mktemp(suffix=".zip", prefix="lambda-lab-sparse-")
    try:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
            zf.writestr("lambda_function.py", handler)
            zeros = bytes(chunk)
            with zf.open("data.bin", "w", force_zip64=True) as out:
                left = unzipped_bytes
                while left > 0:
                    out.write(zeros[:min(chunk, left)])
                    left -= chunk
        with open(path, "rb") as f:
            return f.read()
    finally:
        os.remove(path)


def invoke_line(response: dict[str, Any]) -> str:
    """An invocation's outcome in one line: the payload, or the error type and message."""
    payload = json.loads(response["Payload"].read() or b"null")
    if response.get("FunctionError"):
        return f"❌ {payload.get('errorType')}: {payload.get('errorMessage')}"
    return f"✅ {json.dumps(payload)}"


def init_duration(lam: Any, name: str, event: dict | None = None) -> float | None:
    """Invoke ``name`` with ``LogType="Tail"``; the REPORT line's Init Duration in ms (None
    on a warm start)."""
    response = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), LogType="Tail")
    log = base64.b64decode(response.get("LogResult", "")).decode("utf-8", "replace")
    found = re.search(r"Init Duration: ([0-9.]+) ms", log)
    return float(found.group(1)) if found else None


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
