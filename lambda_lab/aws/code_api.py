"""A function's code from a Lambda request: ``ZipFile``, an S3 object, or (images) ``ImageUri``.

AWS's size rules, in the order AWS applies them (LocalStack's AWS-validated recordings,
TestLambdaSizeLimits): the request's own size (CreateFunction 70,167,211 bytes, recorded Nov
2025; UpdateFunctionCode 69,905,067 bytes, the base64 size of 50 MiB), then a direct upload's 50
MB zipped, then 250 MB unzipped ("must be smaller than 262144000 bytes": 262,144,000 itself is
refused) — the last also for packages from S3, which may be larger than 50 MB zipped.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from .. import code as codelib
from ..errors import InvalidParameterValueException, RequestEntityTooLargeException
from ..platform import Code
from . import services

__all__ = ["REQUEST_MAX_BYTES", "check_request_size", "zip_code"]

#: The largest request body each operation accepts, in bytes.
REQUEST_MAX_BYTES = {"CreateFunction": 70_167_211, "UpdateFunctionCode": 69_905_067}


def check_request_size(operation: str, body: bytes | str | None) -> None:
    """Raise RequestEntityTooLargeException (413) for a request body over the operation's
    limit: "Request must be smaller than N bytes for the <Operation> operation"."""
    size = len(body or b"")
    limit = REQUEST_MAX_BYTES[operation]
    if size > limit:
        raise RequestEntityTooLargeException(
            f"Request must be smaller than {limit} bytes for the {operation} operation")


def zip_code(account_id: str, name: str, spec: dict[str, Any]) -> Code:
    """Unpack the .zip a request names (``ZipFile``, or ``S3Bucket``/``S3Key``/
    ``S3ObjectVersion``) into a new task root.

    Raises RequestEntityTooLargeException (a direct upload over 50 MB),
    InvalidParameterValueException (S3 object missing, not a zip, over 250 MB unzipped)."""
    if "ZipFile" in spec:
        try:
            data = base64.b64decode(spec["ZipFile"])
        except (binascii.Error, TypeError):
            data = b""
        return Code.from_zip(codelib.store_zip(name, data), data)
    if spec.get("S3Bucket") and spec.get("S3Key"):
        data = services.read_s3_code(account_id, spec["S3Bucket"], spec["S3Key"],
                                     spec.get("S3ObjectVersion"))
        return Code.from_zip(codelib.store_zip(name, data, direct_upload=False), data)
    raise InvalidParameterValueException(
        "Please provide a source for function code.")  # emulator wording
