"""PackageType Image: a function's code from ``Code.ImageUri``, with AWS's rules and texts.

Sources: "Please don't provide Handler or Runtime or Layer when the intended function
PackageType is Image." (AWS's answer quoted in pulumi/pulumi-aws#5439, 2025); "Source image
<uri> does not exist. Provide a valid source image." (aws/aws-sdk-go#3736, aws-cdk#24648);
"Source image <uri> is not valid. Provide a valid source image." (a URI that is not an ECR image
URI with a tag or digest, or an image in another Region: serverless#10969, binxio/cfn-ses-provider
#27); "Please provide ImageUri when updating a function with packageType Image." and "Please
don't provide ImageUri when updating a function with packageType Zip." (LocalStack's
AWS-validated recordings, TestLambdaImages); "Runtime and Handler are mandatory parameters for
functions created with deployment packages." (boto3#2705). DG images-create: at most 10 GB
uncompressed, the image in ECR in the function's Region.
"""

from __future__ import annotations

import re
from typing import Any

from .. import limits
from ..errors import InvalidParameterValueException
from ..packaging.registry import pull
from ..packaging.zipbuild import PackagingError
from ..platform import Code
from ..platform.images import DEFAULT_ENTRYPOINT, ImageCode

__all__ = ["IMAGE_MAX_BYTES", "check_create", "check_update_code", "configuration_changes",
           "image_code"]

IMAGE_MAX_BYTES = int(limits.QUOTAS["container_image_max_bytes"].current)
_URI = re.compile(r"(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com/([a-z0-9][a-z0-9._/-]*)"
                  r"(?::([\w][\w.-]{0,127})|@(sha256:[0-9a-f]{64}))")
NOT_IMAGE_PARAMS = ("Please don't provide Handler or Runtime or Layer when the intended "
                    "function PackageType is Image.")


def check_create(body: dict[str, Any]) -> bool:
    """Whether CreateFunction makes an image function; raise AWS's error for parameters that
    do not go with the package type."""
    code = body.get("Code") or {}
    if body.get("PackageType") == "Image":
        if body.get("Handler") or body.get("Runtime") or body.get("Layers"):
            raise InvalidParameterValueException(NOT_IMAGE_PARAMS)
        if not code.get("ImageUri"):
            raise InvalidParameterValueException(  # emulator wording
                "Please provide ImageUri when the intended function PackageType is Image.")
        return True
    if code.get("ImageUri"):
        raise InvalidParameterValueException(  # emulator wording
            "Please don't provide ImageUri when the intended function PackageType is Zip.")
    if not body.get("Handler") or not body.get("Runtime"):
        raise InvalidParameterValueException(
            "Runtime and Handler are mandatory parameters for functions created with deployment "
            "packages.")
    return False


def check_update_code(package_type: str, body: dict[str, Any]) -> None:
    """UpdateFunctionCode: ImageUri for an image function, never for a .zip one."""
    if package_type == "Image" and not body.get("ImageUri"):
        raise InvalidParameterValueException(
            "Please provide ImageUri when updating a function with packageType Image.")
    if package_type == "Zip" and body.get("ImageUri"):
        raise InvalidParameterValueException(
            "Please don't provide ImageUri when updating a function with packageType Zip.")


def configuration_changes(body: dict[str, Any]) -> dict[str, Any]:
    """UpdateFunctionConfiguration of an image function: ImageConfig may change; Handler,
    Runtime and Layers are refused (AWS's create-time text; the update-time one unconfirmed)."""
    if body.get("Handler") or body.get("Runtime") or body.get("Layers"):
        raise InvalidParameterValueException(NOT_IMAGE_PARAMS)
    return {"image_config": body["ImageConfig"] or {}} if "ImageConfig" in body else {}


def _find(account: str, region: str, repo: str, tag: str | None, digest: str | None) -> Any:
    from moto.ecr.models import ecr_backends

    repository = ecr_backends[account][region].repositories.get(repo)
    for image in repository.images if repository is not None else []:
        if (tag and tag in image.image_tags) or (digest and image.image_digest == digest):
            return image
    return None


def image_code(uri: str, region: str) -> Code:
    """The image ``uri`` names, from moto's ECR in ``region``, unpacked for running.

    Raises InvalidParameterValueException: not an ECR image URI with a tag or digest in this
    Region ("is not valid"), no such repository/tag/digest ("does not exist"), over 10 GB."""
    match = _URI.fullmatch(uri or "")
    if match is None or match.group(2) != region:
        raise InvalidParameterValueException(
            f"Source image {uri} is not valid. Provide a valid source image.")
    account, _, repo, tag, digest = match.groups()
    found = _find(account, region, repo, tag, digest)
    if found is None:
        raise InvalidParameterValueException(
            f"Source image {uri} does not exist. Provide a valid source image.")
    try:
        pulled = pull(found.image_manifest)
    except PackagingError as e:
        raise InvalidParameterValueException(
            f"Source image {uri} is not valid. Provide a valid source image. (lambda_lab: {e}; "
            "push images with lambda_lab.packaging.push_image)") from None
    if pulled.uncompressed_size > IMAGE_MAX_BYTES:  # emulator wording (AWS's unconfirmed)
        raise InvalidParameterValueException(
            f"Source image {uri} is {pulled.uncompressed_size} bytes uncompressed; Lambda "
            f"supports at most {IMAGE_MAX_BYTES} bytes (10 GB).")
    settings = pulled.settings
    env = dict(item.split("=", 1) for item in settings.get("Env") or [] if "=" in item)
    labels = settings.get("Labels") or {}
    image = ImageCode(
        image_uri=uri, resolved_image_uri=f"{uri.split('@')[0].rsplit(':', 1)[0]}@{pulled.digest}"
        if tag else uri, digest=pulled.digest, rootfs=pulled.rootfs,
        runtime=labels.get("lambda_lab.runtime") or "provided.al2023", env=env,
        cmd=tuple(settings.get("Cmd") or ()),
        entrypoint=tuple(settings.get("Entrypoint") or DEFAULT_ENTRYPOINT),
        workdir=settings.get("WorkingDir") or "/var/task", size=pulled.uncompressed_size)
    return Code(image.host_path("/var/task"), pulled.digest.split(":", 1)[1], 0, image)
