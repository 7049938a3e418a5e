"""Helpers for notebooks/13-packaging-and-deployment (its first half).

The notebook builds real deployment packages with :mod:`lambda_lab.packaging` (``pip install
--target`` from a local wheel folder, so it runs offline). These helpers write the chapter's
tiny wheels (:func:`demo_wheels`), a zip whose unzipped size is large but which is small on
disk and in memory (:func:`sparse_zip`), and read Init Duration from an invocation's log tail
(:func:`init_duration`).

The ``fix-package`` exercise (a package whose handler fails with ``Runtime.ImportModuleError``
because its dependency was never installed) lives beside this module, in :mod:`.exercises`.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import os
import re
import tempfile
import zipfile
from typing import Any

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
