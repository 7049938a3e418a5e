"""Functions, versions and aliases: the platform's state, independent of any wire protocol.

``$LATEST`` is mutable (an update replaces it and retires its environments); a published version is
an immutable snapshot of ``$LATEST``; an alias points at one version and may send a weight of its
traffic to one more (see :mod:`lambda_lab.platform.routing`).
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from .. import limits
from ..errors import InvalidParameterValueException, PreconditionFailedException
from ..execution.environment import EnvironmentInfo
from ..execution.result import InvocationResult
from ..validation import validate_function_config
from .images import ImageCode
from .layers import LayerRef, check_function_layers
from .logconfig import TEXT, LoggingConfig
from .network import VpcConfig
from .tracing import check_mode as check_tracing_mode

__all__ = ["LATEST", "Alias", "Code", "Executor", "Function", "FunctionConfig", "Version",
           "check_revision"]

LATEST = "$LATEST"
#: PreconditionFailedException's message, as AWS-validated emulators record it (unconfirmed in
#: AWS's pages, which say "The RevisionId provided does not match the latest RevisionId").
STALE_REVISION = ("The Revision Id provided does not match the latest Revision Id. Call the "
                  "GetFunction/GetAlias API to retrieve the latest Revision Id")


def _new_revision() -> str:
    return str(uuid.uuid4())


def check_revision(current: str, given: str | None) -> None:
    """Raise PreconditionFailedException (HTTP 412) when a RevisionId is given and is stale."""
    if given and given != current:
        raise PreconditionFailedException(STALE_REVISION)


@dataclass(frozen=True)
class Code:
    """A deployment package unpacked into a task root, with the figures Lambda reports."""

    task_root: str
    sha256: str  #: base64 of the package's SHA-256, as ``CodeSha256`` (an image: hex digest)
    size: int  #: the package size in bytes, as ``CodeSize``
    image: ImageCode | None = None  #: PackageType Image: the image from ECR

    @classmethod
    def from_zip(cls, task_root: str, data: bytes) -> Code:
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        return cls(task_root, digest, len(data))


@dataclass(frozen=True)
class FunctionConfig:
    """Everything a version is made of: code and configuration (immutable, compared by value)."""

    code: Code
    handler: str
    role: str
    runtime: str = "python3.12"
    memory: int = limits.MEMORY_DEFAULT_MB
    timeout: int = limits.TIMEOUT_DEFAULT_S
    ephemeral_storage: int = limits.EPHEMERAL_DEFAULT_MB
    environment: Mapping[str, str] = field(default_factory=dict)
    #: Environment was given (even with no variables): AWS then answers ``{"Variables": {}}``.
    environment_sent: bool = False
    description: str = ""
    architecture: str = "x86_64"
    layers: tuple[LayerRef, ...] = ()  #: up to 5 layer versions, extracted into /opt in order
    dead_letter_arn: str = ""  #: DeadLetterConfig.TargetArn (SQS queue or SNS topic)
    tracing: str = "PassThrough"  #: TracingConfig.Mode: Active or PassThrough (see tracing)
    logging: LoggingConfig = TEXT  #: LoggingConfig: format, levels, log group (see logconfig)
    vpc: VpcConfig | None = None  #: VpcConfig (None: never given; see network)
    image_config: Mapping[str, Any] = field(default_factory=dict)  #: ImageConfig (images)
    #: SnapStart.ApplyOn, answered as set (``None`` or ``PublishedVersions``); the snapshot
    #: optimisation itself is not emulated (OptimizationStatus stays ``Off``).
    snap_start: str = "None"

    @property
    def package_type(self) -> str:
        """``Image`` for a container image, ``Zip`` for a .zip package."""
        return "Zip" if self.code.image is None else "Image"

    def validate(self) -> None:
        """Raise Lambda's error for the first value Lambda would reject."""
        image = self.code.image is not None
        validate_function_config(memory_size=self.memory, timeout=self.timeout,
                                 ephemeral_storage=self.ephemeral_storage,
                                 runtime=None if image else self.runtime,
                                 environment=dict(self.environment))
        check_tracing_mode(self.tracing)
        if not image and not self.runtime.startswith(("python", "nodejs", "provided")):
            raise InvalidParameterValueException(
                f"lambda_lab runs Python and Node.js handlers and custom runtimes; the runtime "
                f"{self.runtime} cannot execute here.")
        if self.architecture not in ("x86_64", "arm64"):
            raise InvalidParameterValueException(
                f"1 validation error detected: Value '[{self.architecture}]' at 'architectures' "
                "failed to satisfy constraint: Member must satisfy constraint: [Member must "
                "satisfy enum value set: [x86_64, arm64]]")
        if self.layers:
            check_function_layers(self.code.task_root, self.layers)


class Executor(Protocol):
    """What runs one version's invocations: real worker processes, or a model of them."""

    def invoke(self, payload: bytes, **kwargs: object) -> InvocationResult: ...

    def environments(self) -> list[EnvironmentInfo]: ...

    def close(self) -> None: ...


class Version:
    """``$LATEST`` or a published version: a config, its metadata and (lazily) its executor."""

    def __init__(self, function_name: str, number: str, config: FunctionConfig,
                 last_modified: float, description: str = "") -> None:
        self.function_name = function_name
        self.number = number
        self.config = config
        self.description = description
        self.last_modified = last_modified
        self.revision_id = _new_revision()  #: changes with the version and its policy
        self.executor: Executor | None = None
        #: Function states (opt-in, DG "Lambda function states"): platform time until which a
        #: new function is ``Pending``, and until which an update of it is ``InProgress``.
        self.pending_until = 0.0
        self.updating_until = 0.0
        #: The ``$LATEST`` an update replaced: it serves invocations while the update is in
        #: progress, and is closed when it ends.
        self.previous: Version | None = None

    def pending(self, now: float) -> bool:
        """True while the function is being created (State ``Pending``)."""
        return now < self.pending_until

    def updating(self, now: float) -> bool:
        """True while an update is in progress (LastUpdateStatus ``InProgress``)."""
        return now < self.updating_until

    def new_revision(self) -> str:
        """Record a change (e.g. to the version's resource policy): a new RevisionId."""
        self.revision_id = _new_revision()
        return self.revision_id

    def close(self) -> None:
        """End this version's environments (busy ones when their invocation returns)."""
        if self.executor is not None:
            self.executor.close()

    def __repr__(self) -> str:
        return f"<Version {self.function_name}:{self.number}>"


@dataclass
class Alias:
    """A named pointer to a version, with at most one additional weighted version."""

    name: str
    function_version: str
    weights: dict[str, float] = field(default_factory=dict)
    description: str = ""
    revision_id: str = field(default_factory=_new_revision)

    def new_revision(self) -> str:
        """Record a change of the alias or its policy: a new RevisionId."""
        self.revision_id = _new_revision()
        return self.revision_id


class Function:
    """A function: its mutable ``$LATEST``, its published versions and its aliases."""

    def __init__(self, name: str, latest: Version, tags: Mapping[str, str] | None = None) -> None:
        self.name = name
        self.latest = latest
        self.versions: dict[str, Version] = {}
        self.aliases: dict[str, Alias] = {}
        self.tags: dict[str, str] = dict(tags or {})
        self.last_version = 0  #: version numbers are never reused, even after a delete

    def version(self, number: str) -> Version | None:
        """``$LATEST`` or a published version by number; None if there is none."""
        return self.latest if number == LATEST else self.versions.get(number)

    def serving(self, number: str, now: float) -> Version | None:
        """The version that runs invocations of ``number``: while an update of ``$LATEST`` is
        in progress, the ``$LATEST`` before it (DG: "invocations go to the function's previous
        code and configuration"); None if there is no such version."""
        version = self.version(number)
        previous = version.previous if version is not None else None
        if previous is not None and version is not None and version.updating(now):
            return previous
        return version

    def all_versions(self) -> list[Version]:
        """``$LATEST`` then the published versions in order."""
        return [self.latest, *(self.versions[k] for k in sorted(self.versions, key=int))]

    def newest_published(self) -> Version | None:
        """The most recently published version, if it still exists."""
        return self.versions.get(str(self.last_version))

    def __repr__(self) -> str:
        return (f"<Function {self.name} versions={sorted(self.versions)} "
                f"aliases={sorted(self.aliases)}>")
