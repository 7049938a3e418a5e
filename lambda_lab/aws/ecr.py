"""moto's ECR as a registry: an image's digest is the SHA-256 of its manifest, and layers go up
through ECR's layer API into the emulator's state folder (:mod:`lambda_lab.packaging.registry`).

ECR (like every Docker registry) names an image by the digest of its manifest; moto 5.2.1 hashes
the layer digests instead when PutImage gives no ``imageDigest``, reports the config's size as
the image size, and does not implement BatchCheckLayerAvailability, InitiateLayerUpload,
UploadLayerPart and CompleteLayerUpload (API reference: ECR). Patched here, on moto's ``Image``
and ``ECRResponse``, for the session.
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


PART_SIZE = 10 * 1024 * 1024  #: InitiateLayerUpload's partSize


def _error(code: str, message: str) -> Exception:
    from moto.core.exceptions import ServiceException

    error = type(code, (ServiceException,), {"code": code})(message)
    return error


def _repository(self: Any) -> Any:
    name = self._get_param("repositoryName")
    return self.ecr_backend._get_repository(name, self._get_param("registryId"))


def _batch_check_layer_availability(self: Any) -> Any:
    from moto.core.responses import ActionResult

    from ..packaging.registry import blob_size

    _repository(self)
    layers, failures = [], []
    for digest in self._get_param("layerDigests") or []:
        size = blob_size(digest)
        if size is None:
            failures.append({"layerDigest": digest, "failureCode": "MissingLayerDigest",
                             "failureReason": "The specified layer is not available."})
        else:
            layers.append({"layerDigest": digest, "layerAvailability": "AVAILABLE",
                           "layerSize": size})
    return ActionResult({"layers": layers, "failures": failures})


def _initiate_layer_upload(self: Any) -> Any:
    from moto.core.responses import ActionResult

    from ..packaging.registry import begin_upload

    _repository(self)
    return ActionResult({"uploadId": begin_upload(), "partSize": PART_SIZE})


def _upload_layer_part(self: Any) -> Any:
    import base64

    from moto.core.responses import ActionResult

    from ..packaging.registry import write_part

    repo = _repository(self)
    upload_id = self._get_param("uploadId")
    blob = self._get_param("layerPartBlob") or ""
    data = base64.b64decode(blob) if isinstance(blob, str) else bytes(blob)
    first = int(self._get_param("partFirstByte"))
    try:
        last = write_part(upload_id, first, data)
    except ValueError as e:
        raise _error("InvalidLayerPartException",
                     f"The part first byte {first} does not follow the last byte received "
                     f"({int(str(e)) - 1}).") from None
    if last is None:
        raise _error("UploadNotFoundException", f"The upload with id '{upload_id}' was not "
                     "found.")
    return ActionResult({"registryId": repo.registry_id, "repositoryName": repo.name,
                         "uploadId": upload_id, "lastByteReceived": last})


def _complete_layer_upload(self: Any) -> Any:
    from moto.core.responses import ActionResult

    from ..packaging.registry import blob_size, finish_upload

    repo = _repository(self)
    upload_id = self._get_param("uploadId")
    digests = self._get_param("layerDigests") or []
    digest = digests[0] if digests else ""
    if blob_size(digest) is not None:
        raise _error("LayerAlreadyExistsException", "The image layer already exists in the "
                     "associated repository.")
    try:
        finish_upload(upload_id, digest)
    except KeyError:
        raise _error("UploadNotFoundException", f"The upload with id '{upload_id}' was not "
                     "found.") from None
    except ValueError as e:
        if str(e) == "empty":
            raise _error("EmptyUploadException", "The specified layer upload does not contain "
                         "any layer parts.") from None
        raise _error("InvalidLayerException", "The layer digest calculation performed by "
                     "Amazon ECR upon receipt of the image layer does not match the digest "
                     "specified.") from None
    return ActionResult({"registryId": repo.registry_id, "repositoryName": repo.name,
                         "uploadId": upload_id, "layerDigest": digest})


def install(session: object) -> None:
    """Patch moto's ECR for the session (idempotent)."""
    from moto.ecr.models import Image
    from moto.ecr.responses import ECRResponse

    if _patches:
        return
    _patches.extend([mock.patch.object(Image, "_create_digest", _create_digest),
                     mock.patch.object(Image, "get_image_size_in_bytes", _size)])
    for name, method in (("batch_check_layer_availability", _batch_check_layer_availability),
                         ("initiate_layer_upload", _initiate_layer_upload),
                         ("upload_layer_part", _upload_layer_part),
                         ("complete_layer_upload", _complete_layer_upload)):
        _patches.append(mock.patch.object(ECRResponse, name, method))
    for p in _patches:
        p.start()


def uninstall(session: object) -> None:
    """Undo :func:`install`."""
    while _patches:
        _patches.pop().stop()
