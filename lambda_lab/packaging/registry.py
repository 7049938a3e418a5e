"""The emulator's registry storage: image blobs (layers, configs) by digest, in its state folder.

``push_image`` does what ``docker push`` does against ECR: the blobs go to the registry's store
and the manifest to moto's ECR (``put_image`` with the manifest's own SHA-256 as the digest).
``pull`` does what Lambda does with an image: it reads the manifest's blobs back, checks their
digests, and unpacks the layers in order into a folder (cached per image digest).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import threading
from dataclasses import dataclass
from typing import Any

from ..execution.state import subdir
from .image import MANIFEST_TYPE, BuiltImage
from .zipbuild import PackagingError

__all__ = ["PulledImage", "blob_path", "pull", "push_image"]

_lock = threading.Lock()


def blob_path(digest: str) -> str:
    """Where the blob ``sha256:<hex>`` is (or would be) kept."""
    return os.path.join(subdir("registry", "blobs"), digest.split(":", 1)[-1])


def _store(digest: str, data: bytes | None = None, source: str | None = None) -> None:
    path = blob_path(digest)
    if os.path.exists(path):
        return
    tmp = f"{path}.{os.getpid()}.{threading.get_ident()}"
    if data is not None:
        with open(tmp, "wb") as f:
            f.write(data)
    else:
        shutil.copyfile(source or "", tmp)
    os.replace(tmp, path)


def push_image(image: BuiltImage, repository: str, tag: str = "latest", *,
               region: str = "us-east-1", client: Any = None) -> str:
    """Push ``image`` to an existing ECR repository (inside ``lambda_lab.mock_aws()``); return
    its image URI ``<account>.dkr.ecr.<region>.amazonaws.com/<repository>:<tag>``.

    Raises PackagingError when the repository does not exist (docker's "name unknown")."""
    import boto3

    ecr = client or boto3.client("ecr", region_name=region)
    try:
        repo = ecr.describe_repositories(repositoryNames=[repository])["repositories"][0]
    except ecr.exceptions.RepositoryNotFoundException:
        raise PackagingError(f"name unknown: The repository with name '{repository}' does not "
                             "exist in the registry") from None
    _store(image.config_digest, data=image.config)
    for layer in image.layers:
        _store(layer.digest, source=layer.path)
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
