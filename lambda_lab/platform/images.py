"""Container image functions as the platform sees them: an unpacked image and its config.

How an image runs (DG images-create, images-parms): the entry point and command come from the
image (ENTRYPOINT, CMD) unless the function's ImageConfig overrides them (EntryPoint, Command,
WorkingDirectory). With the AWS base images' entry point, CMD's first item is the handler; the
Python base images run it with the Python runtime, the OS-only ones run the ``bootstrap`` in
/var/runtime (or /var/task). Any other entry point is an executable in the image that talks to
the Runtime API, like a custom runtime's bootstrap. The image's ENV reaches the handler; the
function's environment variables override it, and Lambda's reserved variables override both.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from ..execution.spec import EnvironmentSpec

__all__ = ["DEFAULT_ENTRYPOINT", "ImageCode", "image_spec"]

DEFAULT_ENTRYPOINT = ("/lambda-entrypoint.sh",)


@dataclass(frozen=True)
class ImageCode:
    """A container image from ECR, unpacked into ``rootfs``, with its config."""

    image_uri: str
    resolved_image_uri: str
    digest: str  #: ``sha256:<hex>`` of the manifest
    rootfs: str
    runtime: str  #: what the base image provides: python3.x or provided.al2023
    env: Mapping[str, str] = field(default_factory=dict)
    cmd: tuple[str, ...] = ()
    entrypoint: tuple[str, ...] = DEFAULT_ENTRYPOINT
    workdir: str = "/var/task"
    size: int = 0  #: uncompressed size of the image's layers, in bytes

    def host_path(self, image_path: str) -> str:
        """The folder or file a path inside the image is on this host."""
        return os.path.join(self.rootfs, os.path.normpath("/" + image_path).lstrip("/"))

    def _env(self) -> dict[str, str]:
        """The image's ENV, with values naming a path inside the image mapped to this host."""
        mapped = {}
        for key, value in self.env.items():
            if value.startswith("/") and os.path.exists(self.host_path(value)):
                value = self.host_path(value)
            mapped[key] = value
        return mapped


def image_spec(spec: EnvironmentSpec, image: ImageCode,
               image_config: Mapping[str, object]) -> EnvironmentSpec:
    """``spec`` (built as for a .zip function) changed to run ``image``."""
    entry = tuple(image_config.get("EntryPoint") or image.entrypoint)  # type: ignore[arg-type]
    command = tuple(image_config.get("Command") or image.cmd)  # type: ignore[arg-type]
    workdir = str(image_config.get("WorkingDirectory") or image.workdir or "/var/task")
    cwd = image.host_path(workdir)
    os.makedirs(cwd, exist_ok=True)
    runtime, bootstrap = image.runtime, ""
    site: tuple[str, ...] = ()
    if runtime.startswith("python"):
        site = (image.host_path(f"/var/lang/lib/{runtime}/site-packages"),)
    managed = entry == DEFAULT_ENTRYPOINT or any("awslambdaric" in part for part in entry)
    if not managed:
        exe = entry[0] if entry else ""
        bootstrap = image.host_path(exe if exe.startswith("/") else os.path.join(workdir, exe))
        runtime = "provided.al2023"
    elif runtime.startswith("nodejs"):  # our Node.js runtime interface client
        from ..runtimes.nodejs import bootstrap as node_bootstrap

        bootstrap = node_bootstrap()
    elif runtime.startswith("provided"):
        candidates = [image.host_path("/var/runtime/bootstrap"),
                      image.host_path("/var/task/bootstrap")]
        bootstrap = next((p for p in candidates if os.path.isfile(p)), candidates[0])
    return replace(spec, handler=command[0] if command else "", runtime=runtime,
                   task_root=image.host_path("/var/task"), layer_paths=site,
                   environment={**image._env(), **spec.environment},
                   working_dir=cwd, bootstrap=bootstrap)
