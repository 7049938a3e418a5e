"""Packaging and images: deployment zips and layers built with real pip, and container images
built from a Dockerfile without Docker. The platform only sees code folders and image configs.

    from lambda_lab.packaging import build_zip, build_layer
    report = build_zip("src/", "function.zip", requirements="src/requirements.txt")
    print(report.summary())
"""

from __future__ import annotations

from .dockerfile import DockerfileError
from .image import BuiltImage, build_image
from .zipbuild import (
    PackageReport,
    PackagingError,
    build_layer,
    build_zip,
    pip_install,
    pip_platform,
    zip_folder,
)

__all__ = ["BuiltImage", "DockerfileError", "PackageReport", "PackagingError", "build_image",
           "build_layer", "build_zip", "pip_install", "pip_platform", "push_image", "zip_folder"]


def push_image(*args, **kwargs):  # type: ignore[no-untyped-def]
    """:func:`lambda_lab.packaging.registry.push_image` (imported on use: it needs boto3)."""
    from .registry import push_image as push

    return push(*args, **kwargs)
