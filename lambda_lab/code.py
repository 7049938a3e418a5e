"""Function code: from a function object, a source string, a folder or a .zip, into a task root."""

from __future__ import annotations

import ast
import inspect
import io
import itertools
import os
import shutil
import textwrap
import types
import zipfile
from collections.abc import Callable

from . import limits
from .errors import InvalidParameterValueException
from .execution.state import subdir
from .validation import safe_folder_name, validate_package

DEFAULT_MODULE = "lambda_function"
_counter = itertools.count(1)


def _new_root(name: str) -> str:
    # The name becomes one folder name, whatever it holds (callers validate it first).
    return subdir("code", f"{safe_folder_name(name)}-{next(_counter)}")


def folder_size(path: str) -> int:
    """Total size in bytes of the files below ``path``."""
    total = 0
    for root, _dirs, files in os.walk(path):
        for f in files:
            total += os.lstat(os.path.join(root, f)).st_size
    return total


def _code_names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _code_names(const)
    return names


def _strip_decorators(source: str) -> str:
    lines = source.splitlines()
    while lines and lines[0].lstrip().startswith("@"):
        lines.pop(0)
    return "\n".join(lines) + "\n"


def module_from_function(fn: Callable) -> tuple[str, str]:
    """Source of a module holding ``fn`` and what it needs from its globals; and its name.

    Modules it uses become imports, module-level functions and classes it calls are copied in,
    simple constants are copied by value. Anything else must be imported inside the function.
    """
    if not inspect.isfunction(fn):
        raise InvalidParameterValueException("A handler must be a Python function.")
    try:
        body = _strip_decorators(textwrap.dedent(inspect.getsource(fn)))
    except (OSError, TypeError) as e:
        raise InvalidParameterValueException(
            f"Cannot read the source of {fn.__name__}: {e}") from None
    header: list[str] = []
    helpers: list[str] = []
    seen: set[str] = {fn.__name__}
    pending = sorted(_code_names(fn.__code__))
    while pending:
        name = pending.pop(0)
        if name in seen or name not in fn.__globals__:
            continue
        seen.add(name)
        value = fn.__globals__[name]
        if isinstance(value, types.ModuleType):
            mod = value.__name__
            header.append(f"import {mod}" if mod == name else f"import {mod} as {name}")
        elif inspect.isfunction(value) or inspect.isclass(value):
            module = getattr(value, "__module__", "__main__")
            if module in ("__main__", fn.__module__) or module.startswith("__ipython"):
                try:
                    helpers.append(_strip_decorators(textwrap.dedent(inspect.getsource(value))))
                except (OSError, TypeError):
                    continue
                if inspect.isfunction(value):
                    pending.extend(sorted(_code_names(value.__code__)))
            else:
                header.append(f"from {module} import {value.__qualname__} as {name}")
        elif isinstance(value, (bool, int, float, str, bytes, type(None), tuple, list, dict)):
            try:
                ast.literal_eval(repr(value))
            except (ValueError, SyntaxError):
                continue
            header.append(f"{name} = {value!r}")
    parts = ["\n".join(sorted(set(header))), *helpers, body]
    return "\n\n".join(p for p in parts if p.strip()) + "\n", fn.__name__


def detect_handler(source: str) -> str:
    """The handler function's name in ``source``: lambda_handler, handler, or the only function.

    Raises InvalidParameterValueException on a syntax error or when no candidate is found.
    """
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise InvalidParameterValueException(
            f"The handler source has a syntax error: {e}") from None
    names = [n.name for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for preferred in ("lambda_handler", "handler"):
        if preferred in names:
            return preferred
    if len(names) == 1:
        return names[0]
    raise InvalidParameterValueException(
        "Cannot tell which function is the handler: name it lambda_handler or handler, "
        "or pass handler='module.function'.")


def store_source(name: str, source: str, module: str = DEFAULT_MODULE) -> str:
    """Write ``source`` as ``<module>.py`` in a new task root; return the root."""
    root = _new_root(name)
    with open(os.path.join(root, module + ".py"), "w", encoding="utf-8") as f:
        f.write(source)
    return root


def store_folder(name: str, path: str) -> str:
    """Copy a folder as a new task root (a snapshot, as Lambda keeps the deployed package)."""
    if not os.path.isdir(path):
        raise InvalidParameterValueException(f"No such folder: {path}")
    size = folder_size(path)
    validate_package(0, size)
    root = _new_root(name)
    shutil.copytree(path, root, dirs_exist_ok=True)
    return root


def store_zip(name: str, data: bytes, *, direct_upload: bool = True) -> str:
    """Unpack a .zip deployment package into a new task root, checking Lambda's size limits:
    50 MB zipped for a ``direct_upload`` (not for one from S3), and unzipped "smaller than
    262144000 bytes" (AWS refuses 262,144,000 itself: LocalStack's AWS-validated recording
    test_oversized_unzipped_lambda)."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        unzipped = sum(i.file_size for i in archive.infolist())
    except zipfile.BadZipFile:
        raise InvalidParameterValueException(
            "Could not unzip uploaded file. Please check your file, then try to upload again."
        ) from None
    validate_package(len(data) if direct_upload else 0, 0)
    if unzipped >= limits.UNZIPPED_MAX_BYTES:
        raise InvalidParameterValueException(
            f"Unzipped size must be smaller than {limits.UNZIPPED_MAX_BYTES} bytes")
    root = _new_root(name)
    for info in archive.infolist():
        target = os.path.realpath(os.path.join(root, info.filename))
        if not target.startswith(os.path.realpath(root) + os.sep) and target != root:
            raise InvalidParameterValueException(f"Unsafe path in package: {info.filename}")
    archive.extractall(root)
    for info in archive.infolist():  # Lambda keeps the archive's permissions (an executable
        mode = (info.external_attr >> 16) & 0o777  # bootstrap stays executable)
        if mode and not info.is_dir():
            os.chmod(os.path.join(root, info.filename), mode | 0o400)
    return root


def check_total_size(task_root: str, layer_roots: list[str]) -> None:
    """The 250 MB unzipped limit counts the function and all its layers together."""
    total = folder_size(task_root) + sum(folder_size(p) for p in layer_roots)
    if total > limits.UNZIPPED_MAX_BYTES:
        validate_package(0, total)
