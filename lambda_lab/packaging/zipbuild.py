"""Deployment and layer .zip files, built as the Lambda Developer Guide builds them.

DG python-package: dependencies are installed with ``pip install --target`` for Lambda's
platform (``--platform manylinux2014_x86_64`` or ``manylinux2014_aarch64``, ``--only-binary=:all:``,
``--python-version`` of the runtime, ``--implementation cp``) and zipped together with the code,
all at the root of the archive. DG packaging-layers: a Python layer keeps them under ``python/``.
Offline, pip reads wheels from a folder (``find_links`` with ``no_index``).
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import metadata

from .. import limits

__all__ = ["PackageReport", "PackagingError", "build_layer", "build_zip", "npm_install",
           "pip_install", "pip_platform", "zip_folder"]

#: The timestamp of every entry: the same inputs give the same bytes (and CodeSha256).
_EPOCH = (1980, 1, 1, 0, 0, 0)
_PLATFORMS = {"x86_64": "manylinux2014_x86_64", "arm64": "manylinux2014_aarch64"}


class PackagingError(Exception):
    """A package could not be built (bad input, or pip's own error, quoted)."""


@dataclass(frozen=True)
class PackageReport:
    """What was built: the archive and its sizes against Lambda's limits."""

    path: str
    zipped_bytes: int
    unzipped_bytes: int
    files: int
    pip_command: tuple[str, ...] = ()  #: the pip (or npm) command line run, if any
    packages: tuple[str, ...] = field(default=())  #: "name version" of each distribution

    @property
    def fits_direct_upload(self) -> bool:
        """At most 50 MB zipped: deployable with ``Code={"ZipFile": ...}``."""
        return self.zipped_bytes <= limits.ZIPPED_MAX_BYTES

    @property
    def fits_unzipped(self) -> bool:
        """Smaller than 250 MB unzipped (AWS: "must be smaller than 262144000 bytes"); layers
        count too."""
        return self.unzipped_bytes < limits.UNZIPPED_MAX_BYTES

    def summary(self) -> str:
        """A few lines for people: sizes against the limits, and what to do when over."""
        zipped = ("ok for a direct upload" if self.fits_direct_upload else
                  "over the direct-upload limit: upload it through S3 (S3Bucket/S3Key)")
        unzipped = ("ok" if self.fits_unzipped else
                    "over: slim the dependencies, or use a container image (10 GB)")
        lines = [f"{self.path}: {self.files} files",
                 f"  zipped   {self.zipped_bytes:>13,} bytes (limit {limits.ZIPPED_MAX_BYTES:,}"
                 f" direct): {zipped}",
                 f"  unzipped {self.unzipped_bytes:>13,} bytes (limit "
                 f"{limits.UNZIPPED_MAX_BYTES:,} with layers): {unzipped}"]
        if self.packages:
            lines.append("  dependencies: " + ", ".join(self.packages))
        return "\n".join(lines)


def pip_platform(architecture: str) -> str:
    """The manylinux platform tag pip installs for (DG python-package)."""
    try:
        return _PLATFORMS[architecture]
    except KeyError:
        raise PackagingError(
            f"architecture must be x86_64 or arm64, not {architecture!r}") from None


def _python_version(runtime: str) -> str:
    if not runtime.startswith("python3."):
        raise PackagingError(
            f"pip packages need a python runtime (python3.x), not {runtime!r}")
    return runtime[len("python"):]


def _requirement_args(requirements: str | Sequence[str]) -> list[str]:
    """A requirements file (``-r``), or requirement specifiers."""
    if isinstance(requirements, str):
        return ["-r", requirements] if os.path.isfile(requirements) else [requirements]
    return list(requirements)


def pip_install(target: str, requirements: str | Sequence[str], *, runtime: str = "python3.12",
                architecture: str = "x86_64", find_links: str | None = None,
                no_index: bool = False) -> list[str]:
    """Install ``requirements`` (a requirements file, or specifiers) into ``target`` for Lambda's
    platform with the host's pip; returns the command line.

    Raises PackagingError with pip's message when pip fails (for example "No matching
    distribution found" when no wheel fits the platform or Python version)."""
    cmd = [sys.executable, "-m", "pip", "install", "--target", target,
           "--platform", pip_platform(architecture), "--implementation", "cp",
           "--python-version", _python_version(runtime), "--only-binary=:all:", "--upgrade",
           "--no-compile", "--disable-pip-version-check", "--no-input"]
    if find_links:
        cmd += ["--find-links", find_links]
    if no_index:
        cmd.append("--no-index")
    cmd += _requirement_args(requirements)
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        errors = [ln for ln in done.stderr.splitlines() if ln.startswith("ERROR")]
        raise PackagingError("pip install failed: " + ("\n".join(errors) or done.stderr.strip()))
    shutil.rmtree(os.path.join(target, "bin"), ignore_errors=True)  # console scripts
    return cmd


def npm_install(folder: str, *, offline: bool = False) -> list[str]:
    """``npm install --omit=dev`` in ``folder`` (DG nodejs-package: the function's
    ``node_modules`` without development dependencies); returns the command line.

    Raises PackagingError when npm is missing or fails (npm's error lines quoted)."""
    npm = shutil.which("npm")
    if npm is None:
        raise PackagingError("npm is not on the PATH: node_modules cannot be installed")
    cmd = [npm, "install", "--omit=dev", "--no-audit", "--no-fund"]
    if offline:
        cmd.append("--offline")
    done = subprocess.run(cmd, cwd=folder, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        errors = [ln for ln in done.stderr.splitlines() if "ERR" in ln]
        raise PackagingError("npm install failed: " + ("\n".join(errors) or done.stderr.strip()))
    return cmd


def _node_modules(root: str) -> list[str]:
    found = []
    for manifest in sorted(glob.glob(os.path.join(root, "node_modules", "*", "package.json")) +
                           glob.glob(os.path.join(root, "node_modules", "@*", "*",
                                                  "package.json"))):
        with open(manifest, encoding="utf-8") as f:
            meta = json.load(f)
        found.append(f"{meta.get('name')} {meta.get('version')}")
    return found


def _files(root: str, prefix: str = "") -> dict[str, str]:
    """Archive name -> path for every file below ``root`` (``__pycache__`` left out)."""
    found: dict[str, str] = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in files:
            path = os.path.join(folder, name)
            rel = os.path.relpath(path, root).replace(os.sep, "/")
            found[prefix + rel] = path
    return found


def zip_folder(entries: dict[str, str], output: str, *, pip_command: Sequence[str] = (),
               packages: Sequence[str] = ()) -> PackageReport:
    """Write ``entries`` (archive name -> file path) into ``output``, sorted, with fixed
    timestamps and the files' modes (an executable ``bootstrap`` stays executable)."""
    os.makedirs(os.path.dirname(os.path.abspath(output)), exist_ok=True)
    unzipped = 0
    with zipfile.ZipFile(output, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(entries):
            path = entries[name]
            info = zipfile.ZipInfo(name, _EPOCH)
            info.external_attr = (os.stat(path).st_mode & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(path, "rb") as f:
                data = f.read()
            unzipped += len(data)
            zf.writestr(info, data)
    return PackageReport(output, os.path.getsize(output), unzipped, len(entries),
                         tuple(pip_command), tuple(packages))


def _installed(root: str) -> list[str]:
    return sorted(f"{d.metadata['Name']} {d.version}" for d in metadata.distributions(path=[root]))


def build_zip(source: str, output: str, *, requirements: str | Sequence[str] | None = None,
              runtime: str = "python3.12", architecture: str = "x86_64",
              find_links: str | None = None, no_index: bool = False) -> PackageReport:
    """A deployment package: ``source``'s files and ``requirements`` installed by pip, all at
    the root of ``output`` (the code wins a name clash). The requirements file itself, when it
    lies in ``source``, is left out.

    Raises PackagingError (missing folder, non-Python runtime, pip's failure)."""
    if not os.path.isdir(source):
        raise PackagingError(f"No such folder: {source}")
    pip_platform(architecture)
    if runtime.startswith("nodejs"):
        return _build_node_zip(source, output, requirements=requirements, offline=no_index)
    with tempfile.TemporaryDirectory(prefix="lambda-lab-package-") as deps:
        cmd: list[str] = []
        if requirements:
            cmd = pip_install(deps, requirements, runtime=runtime, architecture=architecture,
                              find_links=find_links, no_index=no_index)
        entries = _files(deps)
        code = _files(source)
        if isinstance(requirements, str) and os.path.isfile(requirements):
            code = {n: p for n, p in code.items()
                    if not os.path.samefile(p, requirements)}
        entries.update(code)
        return zip_folder(entries, output, pip_command=cmd, packages=_installed(deps))


def _build_node_zip(source: str, output: str, *, requirements: object,
                    offline: bool) -> PackageReport:
    """A Node.js package: the folder with ``node_modules`` from ``npm install --omit=dev``
    (run on a copy, so the source folder is left as it is)."""
    if requirements:
        raise PackagingError("requirements are for pip; a Node.js package lists its "
                             "dependencies in package.json")
    with tempfile.TemporaryDirectory(prefix="lambda-lab-package-") as staging:
        shutil.copytree(source, staging, dirs_exist_ok=True, symlinks=False,
                        ignore=shutil.ignore_patterns("node_modules"))
        cmd: list[str] = []
        if os.path.isfile(os.path.join(staging, "package.json")):
            cmd = npm_install(staging, offline=offline)
        return zip_folder(_files(staging), output, pip_command=cmd,
                          packages=_node_modules(staging))


def _copy_distribution(name: str, search_path: Sequence[str] | None, dest: str) -> None:
    """Copy an installed distribution's files (those inside its site-packages) into ``dest``."""
    found = list(metadata.distributions(name=name, path=list(search_path or sys.path)))
    if not found or found[0].files is None:
        raise PackagingError(f"{name} is not installed (looked in {list(search_path or [])}"
                             f"{'' if search_path else 'sys.path'})")
    dist = found[0]
    site = os.path.realpath(str(dist.locate_file("")))
    for file in dist.files or []:
        path = os.path.realpath(str(dist.locate_file(file)))
        if not path.startswith(site + os.sep) or "__pycache__" in path or not os.path.isfile(path):
            continue  # console scripts in bin/, compiled caches
        target = os.path.join(dest, os.path.relpath(path, site))
        os.makedirs(os.path.dirname(target), exist_ok=True)
        shutil.copy2(path, target)


def build_layer(output: str, *, requirements: str | Sequence[str] | None = None,
                installed: Iterable[str] = (), search_path: Sequence[str] | None = None,
                runtime: str = "python3.12", architecture: str = "x86_64",
                find_links: str | None = None, no_index: bool = False) -> PackageReport:
    """A layer .zip with packages under ``python/``: from ``requirements`` (installed by pip for
    Lambda's platform) and/or copied from distributions already ``installed`` here (found on
    ``search_path``, default ``sys.path``) — the quick way to ship a pure-Python dependency.

    Raises PackagingError (nothing to put in, a distribution not installed, pip's failure)."""
    installed = list(installed)
    if not requirements and not installed:
        raise PackagingError("A layer needs requirements or installed packages to hold.")
    with tempfile.TemporaryDirectory(prefix="lambda-lab-layer-") as staging:
        cmd: list[str] = []
        if requirements:
            cmd = pip_install(staging, requirements, runtime=runtime,
                              architecture=architecture, find_links=find_links,
                              no_index=no_index)
        for name in installed:
            _copy_distribution(name, search_path, staging)
        return zip_folder(_files(staging, "python/"), output, pip_command=cmd,
                          packages=_installed(staging))
