"""moto's ECR as a registry: an image's digest is the SHA-256 of its manifest.

ECR (like every Docker registry) names an image by the digest of its manifest; moto 5.2.1 hashes
the layer digests instead when PutImage gives no ``imageDigest``, and reports the config's size as
the image size. Patched here, on moto's ``Image``, for the session.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any
from unittest import mock

__all__ = ["install", "uninstall"]

_patches: list[Any] = []


def _create_digest(self: Any) -> None:
    self._image_digest = "sha256:" + hashlib.sha256(self.image_manifest.encode()).hexdigest()


def _size(self: Any) -> int | None:
    """imageSizeInBytes: the compressed layers, as ECR reports it."""
    layers = json.loads(self.image_manifest).get("layers")
    return None if layers is None else sum(int(layer.get("size", 0)) for layer in layers)


def install(session: object) -> None:
    """Patch moto's ECR images for the session (idempotent)."""
    from moto.ecr.models import Image

    if _patches:
        return
    _patches.extend([mock.patch.object(Image, "_create_digest", _create_digest),
                     mock.patch.object(Image, "get_image_size_in_bytes", _size)])
    for p in _patches:
        p.start()


def uninstall(session: object) -> None:
    """Undo :func:`install`."""
    while _patches:
        _patches.pop().stop()
