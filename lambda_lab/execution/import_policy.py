"""What a Python handler may import: what Lambda's Python runtime has, nothing more.

On Lambda a handler imports from its package (``LAMBDA_TASK_ROOT``, first on ``sys.path``), its
layers (``/opt/python/lib/pythonX.Y/site-packages`` then ``/opt/python``), the standard library
and the packages the runtime ships (boto3, botocore and their dependencies); anything else fails
the init with ``Runtime.ImportModuleError`` "Unable to import module 'lambda_function': No module
named 'pydantic'" (DG "Building Lambda functions with Python", "Working with layers for Python
Lambda functions"). Here the host's whole environment is installed beside the handler (moto,
pytest, pydantic, lambda_lab …); with strict imports (the default) a meta-path finder installed
in the worker just before the handler's import refuses every top-level module that is not in the
standard library, not one of the runtime's distributions and not found in the code or a layer.
``LAMBDA_LAB_STRICT_IMPORTS=0`` (or :func:`set_strict_imports`) turns it off.

Host side: :func:`worker_policy` (the allowlist, resolved from ``importlib.metadata``) and the
Python-version notice; worker side: :func:`install`. Standard library only (the worker imports
it before anything else).
"""

import functools
import importlib.machinery
import logging
import os
import sys

#: The distributions Lambda's Python runtimes ship beside the standard library (the AWS SDK and
#: its dependencies).
RUNTIME_DISTRIBUTIONS = ("boto3", "botocore", "jmespath", "s3transfer", "urllib3",
                         "python-dateutil", "six")
ENV_FLAG = "LAMBDA_LAB_STRICT_IMPORTS"
_strict_default = None
_warned = set()
log = logging.getLogger("lambda_lab.runtime")
log.addHandler(logging.NullHandler())  # a library's log: shown where the application logs


def set_strict_imports(flag) -> None:
    """Turn strict handler imports on or off for environments started from now on (None: back
    to the ``LAMBDA_LAB_STRICT_IMPORTS`` environment variable, default on)."""
    global _strict_default
    _strict_default = None if flag is None else bool(flag)


def strict_imports_enabled(spec_flag=None) -> bool:
    """The spec's own choice, else :func:`set_strict_imports`', else the environment variable."""
    if spec_flag is not None:
        return bool(spec_flag)
    if _strict_default is not None:
        return _strict_default
    return os.environ.get(ENV_FLAG, "1").strip().lower() not in ("0", "false", "no", "off")


def _top_level(dist) -> set:
    text = dist.read_text("top_level.txt")
    if text:
        return {line.strip() for line in text.splitlines() if line.strip()}
    names = set()
    for f in dist.files or ():
        first = f.parts[0]
        if first in ("..", "__pycache__") or first.endswith((".dist-info", ".egg-info", ".pth")):
            continue
        names.add(first[:-3] if first.endswith(".py") else first)
    return names


@functools.lru_cache(maxsize=1)
def runtime_modules() -> tuple:
    """The top-level modules of the runtime's distributions as installed on the host."""
    import importlib.metadata as md  # host side only: keeps the zygote's imports small

    names = set()
    for name in RUNTIME_DISTRIBUTIONS:
        try:
            names |= _top_level(md.distribution(name))
        except md.PackageNotFoundError:
            continue
    return tuple(sorted(names))


def python_version_notice(runtime: str) -> None:
    """Warn once per declared runtime (logger ``lambda_lab.runtime``) when handlers run on a host
    Python of another version."""
    if not runtime.startswith("python") or runtime in _warned:
        return
    _warned.add(runtime)
    host = f"python{sys.version_info[0]}.{sys.version_info[1]}"
    if runtime != host:
        log.warning("functions declared %s run on the host's Python %s.%s", runtime,
                    sys.version_info[0], sys.version_info[1])


def worker_policy(spec):
    """The import rules sent to the worker for ``spec`` (an EnvironmentSpec), or None."""
    python_version_notice(spec.runtime)
    if not strict_imports_enabled(getattr(spec, "strict_imports", None)):
        return None
    return {"allow": list(runtime_modules()), "paths": [spec.task_root, *spec.layer_paths]}


# --------------------------------------------------------------------------- worker side


class LambdaImportFinder:
    """First on ``sys.meta_path``: a top-level module outside the standard library and the
    runtime's packages is looked for in the code and the layers only."""

    def __init__(self, allow, paths):
        self.allow = frozenset(allow) | frozenset(sys.stdlib_module_names) | frozenset(
            sys.builtin_module_names)
        self.paths = list(paths)

    def find_spec(self, fullname, path=None, target=None):
        if path is not None or "." in fullname or fullname in self.allow:
            return None  # submodules follow their package; allowed ones the usual search
        spec = importlib.machinery.PathFinder.find_spec(fullname, self.paths)
        if spec is None:
            raise ModuleNotFoundError(f"No module named '{fullname}'", name=fullname)
        return spec

    def invalidate_caches(self):
        pass


def install(policy) -> None:
    """Worker side: put the finder in place (no-op for None)."""
    if policy:
        sys.meta_path.insert(0, LambdaImportFinder(policy["allow"], policy["paths"]))
