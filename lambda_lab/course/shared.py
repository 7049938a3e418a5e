"""Helpers that the notebooks of several chapters use: a .zip of one module, an AWS error in one
line, a figure as a fixed-text image, a queue's ARN, and the emulator's warnings kept off stderr."""

from __future__ import annotations

import io
import logging
import textwrap
import zipfile
from pathlib import Path
from typing import Any

from lambda_lab.course.exercises import Text

__all__ = [
    "WarningLog",
    "aws_error",
    "capture_warnings",
    "figure_image",
    "figure_png",
    "make_zip",
    "queue_arn",
]

REGION = "us-east-1"


def make_zip(source: str, path: str | None = None, module: str = "lambda_function") -> bytes:
    """A .zip package holding ``source`` as ``<module>.py``; also written to ``path`` if given."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{module}.py", textwrap.dedent(source))
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def figure_png(fig: Any) -> bytes:
    """Render a figure to PNG bytes (what a notebook or a widget shows)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    return buffer.getvalue()


def figure_image(fig: Any) -> Any:
    """The figure as an ``IPython.display.Image``: its text form is fixed, unlike a Figure's."""
    from IPython.display import Image

    return Image(data=figure_png(fig), format="png")


def queue_arn(queue_url: str, *, region: str = REGION) -> str:
    """The ARN of the queue at ``queue_url``."""
    import boto3

    sqs = boto3.client("sqs", region_name=region)
    got = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return got["Attributes"]["QueueArn"]


class WarningLog(logging.Handler):
    """Keeps the emulator's warnings (a push delivery the resource policy refused, …) in
    :attr:`messages` instead of Python's default of printing them on stderr."""

    def __init__(self, limit: int = 1000) -> None:
        super().__init__(logging.WARNING)
        self.limit = limit
        #: The messages, oldest first (at most ``limit``).
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        del self.messages[: -self.limit]


def capture_warnings() -> WarningLog:
    """Collect the ``lambda_lab`` loggers' warnings (a saved notebook must hold no stderr).

    Calling it again returns the handler already installed."""
    logger = logging.getLogger("lambda_lab")
    for handler in logger.handlers:
        if isinstance(handler, WarningLog):
            return handler
    handler = WarningLog()
    logger.addHandler(handler)
    return handler


def aws_error(error: Any) -> Text:
    """A botocore ``ClientError`` as ``Code (HTTP status): message``."""
    response = error.response
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
    return Text(f"{response['Error']['Code']} (HTTP {status}): {response['Error']['Message']}")
