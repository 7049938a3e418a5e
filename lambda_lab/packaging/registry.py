"""The emulator's registry storage: image blobs (layers, configs) by digest, in its state folder.

``push_image`` does what ``docker push`` does against ECR: the blobs go up through ECR's layer
upload API (served by :mod:`lambda_lab.aws.ecr` into this store) and the manifest to moto's ECR
(``put_image`` with the manifest's own SHA-256 as the digest).
``pull`` does what Lambda does with an image: it reads the manifest's blobs back, checks their
digests, and unpacks the layers in order into a folder (cached per image digest).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import tarfile
import threading
from dataclasses import dataclass
from typing import Any

from ..execution.state import subdir
from .image import MANIFEST_TYPE, BuiltImage
from .zipbuild import PackagingError

__all__ = ["PulledImage", "begin_upload", "blob_path", "blob_size", "finish_upload", "pull",
           "push_image", "write_part"]

_lock = threading.Lock()


def blob_path(digest: str) -> str:
    """Where the blob ``sha256:<hex>`` is (or would be) kept. The digest comes from clients
    (ECR's layer API): anything but 64 hex digits is hashed to a name no blob has, so a path
    never leaves the registry's folder."""
    name = digest.split(":", 1)[-1]
    if not re.fullmatch(r"[0-9a-f]{64}", name):
        name = "invalid-" + hashlib.sha256(digest.encode()).hexdigest()
    return os.path.join(subdir("registry", "blobs"), name)


def _store(digest: str, data: bytes) -> None:
    path = blob_path(digest)
    if os.path.exists(path):
        return
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)


# ----------------------------------------------------------------- uploads (ECR's layer API)

_uploads: dict[str, int] = {}  #: upload id -> bytes received


def blob_size(digest: str) -> int | None:
    """The size of a stored blob; None when the registry does not have it."""
    try:
        return os.path.getsize(blob_path(digest))
    except (FileNotFoundError, ValueError):
        return None


def _upload_path(upload_id: str) -> str:
    return os.path.join(subdir("registry", "uploads"), upload_id)


def begin_upload() -> str:
    """A new upload (ECR InitiateLayerUpload); its id."""
    import uuid

    upload_id = str(uuid.uuid4())
    with _lock:
        _uploads[upload_id] = 0
        open(_upload_path(upload_id), "wb").close()
    return upload_id


def write_part(upload_id: str, first: int, data: bytes) -> int | None:
    """Append a part (ECR UploadLayerPart); the last byte received, or None when the upload is
    unknown. Raises ValueError when the part does not start where the last one ended."""
    with _lock:
        received = _uploads.get(upload_id)
        if received is None:
            return None
        if first != received:
            raise ValueError(f"{received}")
        with open(_upload_path(upload_id), "ab") as f:
            f.write(data)
        _uploads[upload_id] = received + len(data)
        return received + len(data) - 1


def finish_upload(upload_id: str, digest: str) -> str:
    """Store an upload as the blob ``digest`` (ECR CompleteLayerUpload).

    Raises KeyError (unknown upload), ValueError("empty") / ValueError("digest") when nothing
    was uploaded or the bytes do not have that digest."""
    with _lock:
        received = _uploads.pop(upload_id)
    path = _upload_path(upload_id)
    try:
        with open(path, "rb") as f:
            data = f.read()
    finally:
        os.unlink(path)
    if received == 0:
        raise ValueError("empty")
    if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
        raise ValueError("digest")
    _store(digest, data=data)
    return digest


def push_image(image: BuiltImage, repository: str, tag: str = "latest", *,
               region: str = "us-east-1", client: Any = None) -> str:
    """Push ``image`` to an existing ECR repository as ``docker push`` does, through ECR's API
    (BatchCheckLayerAvailability, InitiateLayerUpload, UploadLayerPart, CompleteLayerUpload,
    PutImage) — inside ``lambda_lab.mock_aws()`` or against ``python -m lambda_lab serve``
    (pass ``client=boto3.client("ecr", endpoint_url=...)``). Returns the image URI
    ``<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>``.

    Raises PackagingError when the repository does not exist (docker's "name unknown")."""
    import boto3

    ecr = client or boto3.client("ecr", region_name=region)
    try:
        repo = ecr.describe_repositories(repositoryNames=[repository])["repositories"][0]
    except ecr.exceptions.RepositoryNotFoundException:
        raise PackagingError(f"name unknown: The repository with name '{repository}' does not "
                             "exist in the registry") from None
    blobs: dict[str, bytes | str] = {image.config_digest: image.config}
    blobs.update({layer.digest: layer.path for layer in image.layers})
    check = ecr.batch_check_layer_availability(repositoryName=repository,
                                               layerDigests=list(blobs))
    have = {x["layerDigest"] for x in check["layers"] if x["layerAvailability"] == "AVAILABLE"}
    for digest, blob in blobs.items():
        if digest in have:
            continue
        if isinstance(blob, str):
            with open(blob, "rb") as f:
                blob = f.read()
        upload = ecr.initiate_layer_upload(repositoryName=repository)
        step = int(upload["partSize"])
        for first in range(0, len(blob), step):
            part = blob[first:first + step]
            ecr.upload_layer_part(repositoryName=repository, uploadId=upload["uploadId"],
                                  partFirstByte=first, partLastByte=first + len(part) - 1,
                                  layerPartBlob=part)
        ecr.complete_layer_upload(repositoryName=repository, uploadId=upload["uploadId"],
                                  layerDigests=[digest])
    ecr.put_image(repositoryName=repository, imageManifest=image.manifest.decode(),
                  imageManifestMediaType=MANIFEST_TYPE, imageTag=tag, imageDigest=image.digest)
    return f"{repo['repositoryUri']}:{tag}"


@dataclass(frozen=True)
class PulledImage:
    """An image unpacked for running: its folder, its config settings and its size."""

    digest: str
    rootfs: str
    settings: dict[str, Any]
    uncompressed_size: int


def _read_blob(digest: str) -> bytes:
    path = blob_path(digest)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except FileNotFoundError:
        raise PackagingError(f"blob {digest} is not in the registry") from None
    if "sha256:" + hashlib.sha256(data).hexdigest() != digest:
        raise PackagingError(f"blob {digest} does not match its digest")
    return data


def _apply_layer(rootfs: str, data: bytes) -> int:
    """Unpack one gzipped layer over ``rootfs`` (OCI whiteouts delete); its tar size."""
    import gzip

    raw = gzip.decompress(data)
    with tarfile.open(fileobj=io.BytesIO(raw)) as tar:
        members = []
        for m in tar.getmembers():
            head, tail = os.path.split(m.name)
            if tail.startswith(".wh."):
                gone = os.path.join(rootfs, head, tail[4:])
                if os.path.isdir(gone) and not os.path.islink(gone):
                    shutil.rmtree(gone)
                elif os.path.lexists(gone):
                    os.unlink(gone)
            else:
                members.append(m)
        try:
            tar.extractall(rootfs, members=members, filter="tar")
        except TypeError:  # Python before 3.10.12 / 3.11.4: no extraction filters
            tar.extractall(rootfs, members=members)
    return len(raw)


def pull(manifest_text: str) -> PulledImage:
    """Unpack the image a manifest describes (once per digest) from the registry's blobs.

    Raises PackagingError when a blob is missing or damaged."""
    digest = "sha256:" + hashlib.sha256(manifest_text.encode()).hexdigest()
    manifest = json.loads(manifest_text)
    config = json.loads(_read_blob(manifest["config"]["digest"]))
    folder = subdir("registry", "images", digest.split(":")[1])
    rootfs, done = os.path.join(folder, "rootfs"), os.path.join(folder, "size")
    with _lock:
        if not os.path.exists(done):
            shutil.rmtree(rootfs, ignore_errors=True)
            os.makedirs(rootfs)
            size = sum(_apply_layer(rootfs, _read_blob(layer["digest"]))
                       for layer in manifest.get("layers", []))
            with open(done, "w") as f:
                f.write(str(size))
        with open(done) as f:
            size = int(f.read())
    return PulledImage(digest, rootfs, config.get("config", {}), size)
