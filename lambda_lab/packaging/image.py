"""Container images built from a Dockerfile for the AWS base images, without Docker.

The build runs each instruction on a folder that stands for the image's file system: ``COPY`` /
``ADD`` copy from the build context, ``RUN pip install`` runs the host's pip for the image's
platform and Python (``-t ${LAMBDA_TASK_ROOT}``, or the image's site-packages without ``-t``),
``RUN npm install`` / ``npm ci`` the host's npm (Node.js base images), and a few file commands
(``mkdir``, ``chmod``, ``touch``, ``rm``) run inside the folder. Each
step that changes files becomes a layer (a gzipped tar of what changed, OCI whiteouts for what
was removed); the image config and a Docker v2 manifest describe them, and the image's digest is
the SHA-256 of the manifest, as in every registry. The AWS base image's own layers (its Python,
the runtime interface client) are not in the image: the host's Python runs the handler.
"""

from __future__ import annotations

import glob
import gzip
import hashlib
import io
import json
import os
import shlex
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..execution.state import subdir
from .dockerfile import DockerfileError, Instruction, parse, split_args, substitute
from .zipbuild import PackagingError, pip_install

__all__ = ["BASE_IMAGES", "DEFAULT_ENTRYPOINT", "BuiltImage", "Layer", "build_image",
           "runtime_of_base"]

MANIFEST_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
CONFIG_TYPE = "application/vnd.docker.container.image.v1+json"
LAYER_TYPE = "application/vnd.docker.image.rootfs.diff.tar.gzip"
#: The AWS base images' entry point (it starts the runtime interface client with CMD).
DEFAULT_ENTRYPOINT = ("/lambda-entrypoint.sh",)
#: Base images the builder knows: the repository, and how a tag names the runtime.
BASE_IMAGES = ("public.ecr.aws/lambda/python:3.x", "public.ecr.aws/lambda/nodejs:NN",
               "public.ecr.aws/lambda/provided:al2023", "public.ecr.aws/lambda/provided:al2")
_BASE_ENV = {"LANG": "en_US.UTF-8", "TZ": ":/etc/localtime",
             "PATH": "/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
             "LAMBDA_TASK_ROOT": "/var/task", "LAMBDA_RUNTIME_DIR": "/var/runtime"}
_FILE_COMMANDS = ("mkdir", "chmod", "touch", "rm")


def runtime_of_base(image: str) -> str:
    """The Lambda runtime an AWS base image provides: ``python3.12``, ``provided.al2023``.

    Raises DockerfileError for another base image."""
    repo, _, tag = image.partition(":")
    tag = tag.split("-")[0] or "latest"
    if repo == "public.ecr.aws/lambda/python" and tag.startswith("3.") and tag[2:].isdigit():
        return "python" + tag
    if repo == "public.ecr.aws/lambda/nodejs" and tag.isdigit():
        return f"nodejs{tag}.x"
    if repo == "public.ecr.aws/lambda/provided" and tag in ("al2023", "al2", "latest"):
        return "provided." + ("al2023" if tag == "latest" else tag)
    raise DockerfileError(
        f"FROM {image}: lambda_lab builds on the AWS base images only "
        f"({', '.join(BASE_IMAGES)})")


@dataclass(frozen=True)
class Layer:
    """One layer blob: a gzipped tar, its digest (of the gzip) and diff_id (of the tar)."""

    path: str
    digest: str
    size: int
    diff_id: str
    uncompressed_size: int


@dataclass(frozen=True)
class BuiltImage:
    """A built image: its manifest (whose SHA-256 is the digest), config and layers."""

    manifest: bytes
    config: bytes
    layers: tuple[Layer, ...]
    rootfs: str  #: the folder standing for the image's file system (for inspection)

    @property
    def digest(self) -> str:
        """``sha256:<hex>`` of the manifest, the image's identity in a registry."""
        return "sha256:" + hashlib.sha256(self.manifest).hexdigest()

    @property
    def config_digest(self) -> str:
        return "sha256:" + hashlib.sha256(self.config).hexdigest()

    @property
    def settings(self) -> dict[str, Any]:
        """The config's ``config`` part: Env, Cmd, Entrypoint, WorkingDir, Labels."""
        return json.loads(self.config)["config"]

    @property
    def uncompressed_size(self) -> int:
        return sum(layer.uncompressed_size for layer in self.layers)


@dataclass
class _State:
    """The build in progress."""

    rootfs: str
    context: str
    runtime: str = ""
    base: str = ""
    env: dict[str, str] = field(default_factory=dict)
    args: dict[str, str] = field(default_factory=dict)
    workdir: str = "/var/task"
    cmd: list[str] | None = None
    entrypoint: list[str] = field(default_factory=lambda: list(DEFAULT_ENTRYPOINT))
    labels: dict[str, str] = field(default_factory=dict)

    def variables(self) -> dict[str, str]:
        return {**self.args, **self.env}

    def host(self, ins: Instruction, image_path: str) -> str:
        """The host path of a path inside the image (relative ones from WORKDIR)."""
        absolute = os.path.normpath(os.path.join(self.workdir, image_path))
        path = os.path.normpath(os.path.join(self.rootfs, absolute.lstrip("/")))
        if path != self.rootfs and not path.startswith(self.rootfs + os.sep):
            raise ins.fail(f"{image_path} is outside the image")
        return path


def _snapshot(root: str) -> dict[str, tuple[int, int, int]]:
    found = {}
    for folder, dirs, files in os.walk(root):
        for name in dirs + files:
            path = os.path.join(folder, name)
            st = os.lstat(path)
            found[os.path.relpath(path, root)] = (st.st_size, st.st_mtime_ns, st.st_mode)
    return found


def _layer(root: str, before: dict, after: dict, out_dir: str) -> Layer | None:
    """A layer of what changed between two snapshots, or None when nothing did."""
    changed = sorted(p for p, v in after.items() if before.get(p) != v)
    removed = sorted(p for p in before if p not in after)
    if not changed and not removed:
        return None
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for rel in changed:
            info = tar.gettarinfo(os.path.join(root, rel), arcname=rel)
            info.mtime, info.uid, info.gid, info.uname, info.gname = 0, 0, 0, "", ""
            if info.isfile():
                with open(os.path.join(root, rel), "rb") as f:
                    tar.addfile(info, f)
            else:
                tar.addfile(info)
        for rel in removed:
            head, tail = os.path.split(rel)
            info = tarfile.TarInfo(os.path.join(head, ".wh." + tail))
            tar.addfile(info)
    data = raw.getvalue()
    packed = gzip.compress(data, mtime=0)
    digest = "sha256:" + hashlib.sha256(packed).hexdigest()
    path = os.path.join(out_dir, digest.split(":")[1])
    with open(path, "wb") as f:
        f.write(packed)
    return Layer(path, digest, len(packed), "sha256:" + hashlib.sha256(data).hexdigest(),
                 len(data))


# ----------------------------------------------------------------- instructions

def _copy(state: _State, ins: Instruction, *, add: bool) -> None:
    parts, exec_form = split_args(ins, state.variables())
    if exec_form:
        parts = [substitute(p, state.variables()) for p in parts]
    flags = [p for p in parts if p.startswith("--")]
    parts = [p for p in parts if not p.startswith("--")]
    if any(f.startswith("--from") for f in flags):
        raise ins.fail("multi-stage builds (--from) are not supported")
    if len(parts) < 2:
        raise ins.fail("needs a source and a destination")
    *sources, dest = parts
    matched: list[str] = []
    context = os.path.realpath(state.context)
    for src in sources:
        if add and src.startswith(("http://", "https://", "git@")):
            raise ins.fail("ADD from a URL is not supported (no network in the build)")
        hits = sorted(glob.glob(os.path.join(context, src)))
        if not hits:
            raise ins.fail(f"{src}: no such file in the build context")
        for hit in hits:
            real = os.path.realpath(hit)
            if real != context and not real.startswith(context + os.sep):
                raise ins.fail(f"{src} is outside the build context")
        matched += hits
    target = state.host(ins, dest)
    into_dir = dest.endswith("/") or len(matched) > 1 or os.path.isdir(target)
    for src in matched:
        if os.path.isdir(src):
            shutil.copytree(src, target, dirs_exist_ok=True)
        elif add and tarfile.is_tarfile(src):
            os.makedirs(target, exist_ok=True)
            with tarfile.open(src) as tar:
                try:
                    tar.extractall(target, filter="data")
                except TypeError:  # Python before 3.10.12 / 3.11.4: no extraction filters
                    tar.extractall(target)
        else:
            path = os.path.join(target, os.path.basename(src)) if into_dir else target
            os.makedirs(os.path.dirname(path), exist_ok=True)
            shutil.copy2(src, path)


def _site_packages(state: _State) -> str:
    return f"/var/lang/lib/{state.runtime}/site-packages"


def _pip(state: _State, ins: Instruction, words: list[str], options: dict[str, Any]) -> None:
    if not state.runtime.startswith("python"):
        raise ins.fail("pip runs only on the Python base images")
    if not words or words[0] != "install":
        raise ins.fail("only `pip install` is supported")
    requirements: list[str] = []
    target = _site_packages(state)
    i = 1
    while i < len(words):
        word = words[i]
        if word in ("-r", "--requirement"):
            requirements += ["-r", state.host(ins, words[i + 1])]
            i += 2
            continue
        if word in ("-t", "--target"):
            target = words[i + 1]
            i += 2
            continue
        if word.startswith("--target="):
            target = word.split("=", 1)[1]
        elif word.startswith(("--requirement=", "-r")) and word not in ("-r",):
            requirements += ["-r", state.host(ins, word.split("=", 1)[-1].removeprefix("-r"))]
        elif word in ("--no-cache-dir", "-U", "--upgrade", "-q", "--quiet", "--no-deps",
                      "--no-compile", "--disable-pip-version-check", "--root-user-action=ignore"):
            if word == "--no-deps":
                requirements.append(word)
        elif word.startswith("-"):
            raise ins.fail(f"pip option {word} is not supported here")
        else:
            requirements.append(word)
        i += 1
    host_target = state.host(ins, target)
    os.makedirs(host_target, exist_ok=True)
    try:
        pip_install(host_target, requirements, runtime=state.runtime, **options)
    except PackagingError as e:
        raise ins.fail(str(e)) from None


def _npm(state: _State, ins: Instruction, words: list[str]) -> None:
    """``npm install`` / ``npm ci`` with the host's npm, in the image's working directory."""
    npm = shutil.which("npm")
    if not state.runtime.startswith("nodejs") or npm is None:
        raise ins.fail("npm runs only on the Node.js base images, with npm on this host")
    done = subprocess.run([npm, *words[1:], "--no-audit", "--no-fund"],
                          cwd=state.host(ins, state.workdir), capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise ins.fail("npm failed: " + done.stderr.strip()[-500:])


def _file_command(state: _State, ins: Instruction, words: list[str]) -> None:
    name, rest = words[0], words[1:]
    flags = [w for w in rest if w.startswith("-")]
    operands = [w for w in rest if not w.startswith("-")]
    if name == "chmod":
        if not operands:
            raise ins.fail("chmod needs a mode")
        mode_text, operands = operands[0], operands[1:]
        try:
            mode = int(mode_text, 8)
        except ValueError:
            raise ins.fail("chmod: only octal modes (755) are supported") from None
    for operand in operands:
        path = state.host(ins, operand)
        if name == "mkdir":
            os.makedirs(path, exist_ok="-p" in flags)
        elif name == "touch":
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "a"):
                os.utime(path)
        elif name == "rm":
            if os.path.isdir(path) and not os.path.islink(path):
                if not any("r" in f for f in flags):
                    raise ins.fail(f"rm: {operand} is a folder (use -r)")
                shutil.rmtree(path)
            elif os.path.lexists(path):
                os.unlink(path)
            elif not any("f" in f for f in flags):
                raise ins.fail(f"rm: {operand}: no such file")
        else:  # chmod
            targets = [path]
            if any("R" in f for f in flags) and os.path.isdir(path):
                targets += [os.path.join(d, n) for d, ds, fs in os.walk(path) for n in ds + fs]
            for t in targets:
                os.chmod(t, mode)


def _run(state: _State, ins: Instruction, options: dict[str, Any]) -> None:
    parts, exec_form = split_args(ins, state.variables())
    commands: list[list[str]] = [[]]
    for word in parts:
        if word == "&&" and not exec_form:
            commands.append([])
        else:
            commands[-1].append(word)
    for words in commands:
        if not words:
            raise ins.fail("empty command")
        head = os.path.basename(words[0])
        if head.startswith("pip"):
            _pip(state, ins, words[1:], options)
        elif head.startswith("python") and words[1:3] == ["-m", "pip"]:
            _pip(state, ins, words[3:], options)
        elif head == "npm" and words[1:2] in (["install"], ["ci"]):
            _npm(state, ins, words)
        elif head in _FILE_COMMANDS:
            _file_command(state, ins, [head, *words[1:]])
        else:
            raise ins.fail(
                f"{shlex.join(words)}: without Docker, RUN supports only pip install, npm "
                f"install/ci and {', '.join(_FILE_COMMANDS)} (run inside the image's folder)")


def _env(state: _State, ins: Instruction) -> None:
    text = substitute(ins.args, state.variables())
    if "=" not in text.split(" ", 1)[0]:
        key, _, value = text.partition(" ")
        state.env[key] = value.strip()
        return
    try:
        pairs = shlex.split(text)
    except ValueError as e:
        raise ins.fail(str(e)) from None
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ins.fail(f"{pair}: expected KEY=value")
        state.env[key] = value


def _command(state: _State, ins: Instruction) -> list[str]:
    parts, exec_form = split_args(ins, {})
    return parts if exec_form else ["/bin/sh", "-c", ins.args]


def _apply(state: _State, ins: Instruction, build_args: Mapping[str, str],
           options: dict[str, Any]) -> None:
    k = ins.keyword
    if k == "ARG":
        name, _, default = ins.args.partition("=")
        state.args[name.strip()] = build_args.get(name.strip(), default.strip().strip('"'))
    elif k == "FROM":
        if state.base:
            raise ins.fail("multi-stage builds (a second FROM) are not supported")
        image = substitute(ins.args.split()[0], state.args)
        try:
            state.runtime = runtime_of_base(image)
        except DockerfileError as e:
            raise ins.fail(str(e).split(": ", 1)[1]) from None
        state.base = image
        state.env.update(_BASE_ENV)
        if state.runtime.startswith("provided"):
            state.env.pop("PATH")
            state.env["PATH"] = "/usr/local/bin:/usr/bin/:/bin:/opt/bin"
        for folder in ("var/task", "var/runtime", "opt"):  # as in the AWS base images
            os.makedirs(os.path.join(state.rootfs, folder), exist_ok=True)
    elif not state.base:
        raise ins.fail("the first instruction must be FROM (ARG may come before it)")
    elif k in ("COPY", "ADD"):
        _copy(state, ins, add=k == "ADD")
    elif k == "RUN":
        _run(state, ins, options)
    elif k == "ENV":
        _env(state, ins)
    elif k == "WORKDIR":
        state.workdir = os.path.normpath(os.path.join(
            state.workdir, substitute(ins.args, state.variables())))
        os.makedirs(state.host(ins, state.workdir), exist_ok=True)
    elif k == "CMD":
        state.cmd = _command(state, ins)
    elif k == "ENTRYPOINT":
        state.entrypoint = _command(state, ins)
    elif k == "LABEL":
        for pair in shlex.split(ins.args):
            key, _, value = pair.partition("=")
            state.labels[key] = value
    else:
        raise ins.fail(f"{k} is not supported by lambda_lab's image builder (supported: FROM, "
                       "ARG, ENV, WORKDIR, COPY, ADD, RUN, CMD, ENTRYPOINT, LABEL)")


def build_image(dockerfile: str, *, context: str | None = None, output: str | None = None,
                build_args: Mapping[str, str] | None = None, architecture: str = "x86_64",
                find_links: str | None = None, no_index: bool = False) -> BuiltImage:
    """Build the image a Dockerfile describes; ``context`` defaults to its folder, ``output``
    (where the image folder and layer blobs go) to a new folder in the emulator's state folder
    (removed when the process exits).

    Raises DockerfileError naming the line of an instruction it cannot build (an unsupported
    instruction or RUN command, a missing file, pip's failure)."""
    if not os.path.isfile(dockerfile):
        raise DockerfileError(f"No such Dockerfile: {dockerfile}")
    with open(dockerfile, encoding="utf-8") as f:
        instructions = parse(f.read())
    output = output or tempfile.mkdtemp(prefix="image-", dir=subdir("built-images"))
    rootfs = os.path.join(output, "rootfs")
    blobs = os.path.join(output, "blobs")
    shutil.rmtree(rootfs, ignore_errors=True)
    os.makedirs(rootfs)
    os.makedirs(blobs, exist_ok=True)
    state = _State(os.path.realpath(rootfs),
                   context or os.path.dirname(os.path.abspath(dockerfile)))
    options = {"architecture": architecture, "find_links": find_links, "no_index": no_index}
    layers: list[Layer] = []
    before = _snapshot(rootfs)
    for ins in instructions:
        _apply(state, ins, build_args or {}, options)
        if ins.keyword in ("COPY", "ADD", "RUN", "WORKDIR", "FROM"):
            after = _snapshot(rootfs)
            layer = _layer(rootfs, before, after, blobs)
            if layer is not None:
                layers.append(layer)
            before = after
    if not state.base:
        raise DockerfileError("The Dockerfile has no FROM instruction.")
    settings: dict[str, Any] = {
        "Env": [f"{k}={v}" for k, v in state.env.items()],
        "Entrypoint": state.entrypoint, "WorkingDir": state.workdir,
        "Labels": {**state.labels, "lambda_lab.base_image": state.base,
                   "lambda_lab.runtime": state.runtime}}
    if state.cmd is not None:
        settings["Cmd"] = state.cmd
    config = json.dumps({
        "architecture": "arm64" if architecture == "arm64" else "amd64", "os": "linux",
        "config": settings,
        "rootfs": {"type": "layers", "diff_ids": [layer.diff_id for layer in layers]},
    }, sort_keys=True).encode()
    config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
    with open(os.path.join(blobs, config_digest.split(":")[1]), "wb") as f:
        f.write(config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": MANIFEST_TYPE,
        "config": {"mediaType": CONFIG_TYPE, "size": len(config), "digest": config_digest},
        "layers": [{"mediaType": LAYER_TYPE, "size": layer.size, "digest": layer.digest}
                   for layer in layers],
    }, indent=3).encode()
    return BuiltImage(manifest, config, tuple(layers), rootfs)
