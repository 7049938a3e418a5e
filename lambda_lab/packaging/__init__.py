"""Packaging and images: deployment zips and layers built with real pip, and container images
built from a Dockerfile without Docker. The platform only sees code folders and image configs.

    from lambda_lab.packaging import build_zip, build_layer
    report = build_zip("src/", "function.zip", requirements="src/requirements.txt")
    print(report.summary())
"""

from __future__ import annotations

from .zipbuild import (
    PackageReport,
    PackagingError,
    build_layer,
    build_zip,
    pip_install,
    pip_platform,
    zip_folder,
)

__all__ = ["PackageReport", "PackagingError", "build_layer", "build_zip", "pip_install",
           "pip_platform", "zip_folder"]
