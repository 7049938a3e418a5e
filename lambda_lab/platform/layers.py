"""Lambda layers: published layer versions, their permissions, and the /opt a function sees.

A layer version is an immutable .zip unpacked once when published. A function references up to 5
layer versions (:class:`LayerRef`, part of its configuration); Lambda extracts them into /opt in
the order given, a later layer's files overwriting an earlier one's, and the Python runtime puts
``/opt/python`` (and ``/opt/python/lib/pythonX.Y/site-packages``) on ``sys.path``.
:func:`opt_dir` builds that merged folder once per distinct list of layer versions.

Deleting a layer version removes it from the listings and stops new references to it; functions
that already use it keep their copy, as on Lambda.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import shutil
import threading
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from .. import limits
from ..clock import VirtualClock, default_clock
from ..errors import (
    InvalidParameterValueException,
    PreconditionFailedException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from ..validation import raise_validation

__all__ = ["LayerRef", "LayerStore", "LayerVersion", "check_function_layers", "opt_dir",
           "parse_layer_version_arn", "sys_path"]

NAME_PATTERN = r"[a-zA-Z0-9-_]+"
LAYER_ARN_PATTERN = r"arn:[a-zA-Z0-9-]+:lambda:[a-zA-Z0-9-]+:\d{12}:layer:[a-zA-Z0-9-_]+"
#: A function's Layers item, as AWS prints it today (recorded test_layer_function_exceptions).
VERSION_ARN_PATTERN = (r"(arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?[a-z]{2}((-gov)|(-iso([a-z]?)))?-"
                       r"[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|"
                       r"(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)")
VERSION_ARN_MAX = 2048
PRINCIPAL_PATTERN = r"\d{12}|\*|arn:(aws[a-zA-Z-]*):iam::\d{12}:root"
ACTION_PATTERN = r"lambda:GetLayerVersion"
RUNTIMES_MAX = 15


@dataclass(frozen=True)
class LayerRef:
    """A function's reference to one layer version (compared by value, part of its config)."""

    arn: str  #: the layer version ARN
    code_size: int  #: the zipped size, as GetFunction's ``Layers[].CodeSize``
    root: str  #: the unpacked content (what lands in /opt)
    unzipped_size: int


def _timestamp(t: float) -> str:
    import datetime as _dt

    d = _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}+0000"


@dataclass
class LayerVersion:
    """One published, immutable version of a layer, with its permission statements."""

    name: str
    number: int
    layer_arn: str
    root: str
    code_size: int
    code_sha256: str
    unzipped_size: int
    created: float
    description: str = ""
    compatible_runtimes: list[str] = field(default_factory=list)
    compatible_architectures: list[str] = field(default_factory=list)
    license_info: str | None = None
    statements: dict[str, dict] = field(default_factory=dict)  #: by statement id
    policy_revision: str = field(default_factory=lambda: str(uuid.uuid4()))
    #: CompatibleRuntimes / CompatibleArchitectures given as (possibly empty) lists: AWS
    #: answers them even empty, as it answers Description even ``""``.
    lists_given: tuple[str, ...] = ()

    @property
    def arn(self) -> str:
        return f"{self.layer_arn}:{self.number}"

    def ref(self) -> LayerRef:
        return LayerRef(self.arn, self.code_size, self.root, self.unzipped_size)

    def summary(self) -> dict:
        """A LayerVersionsListItem."""
        shape: dict = {"LayerVersionArn": self.arn, "Version": self.number,
                       "CreatedDate": _timestamp(self.created)}
        if self.description:
            shape["Description"] = self.description
        if self.compatible_runtimes:
            shape["CompatibleRuntimes"] = list(self.compatible_runtimes)
        if self.compatible_architectures:
            shape["CompatibleArchitectures"] = list(self.compatible_architectures)
        if self.license_info is not None:
            shape["LicenseInfo"] = self.license_info
        return shape

    def shape(self, location: str) -> dict:
        """A GetLayerVersion / PublishLayerVersion response (Description always, as AWS
        answers it: ``""`` when none was given)."""
        shape = {"Content": {"Location": location, "CodeSha256": self.code_sha256,
                             "CodeSize": self.code_size},
                 "LayerArn": self.layer_arn, "Description": self.description, **self.summary()}
        for member in self.lists_given:
            shape.setdefault(member, [])
        return shape

    def allows(self, account_id: str, organization_id: str | None = None) -> bool:
        """Whether an account (own account always) may use this layer version."""
        if self.layer_arn.split(":")[4] == account_id:
            return True
        for st in self.statements.values():
            principal = st["Principal"]
            who = principal if isinstance(principal, str) else principal.get("AWS", "")
            if who not in ("*", f"arn:aws:iam::{account_id}:root"):
                continue
            org = st.get("Condition", {}).get("StringEquals", {}).get("aws:PrincipalOrgID")
            if org is None or org == organization_id:
                return True
        return False


class LayerStore:
    """The layers of one account and Region."""

    def __init__(self, region: str, account_id: str, clock: VirtualClock | None = None) -> None:
        self.region = region
        self.account_id = account_id
        self.clock = clock or default_clock()
        self._layers: dict[str, dict[int, LayerVersion]] = {}
        self._last: dict[str, int] = {}  #: version numbers are never reused
        self._lock = threading.Lock()

    def layer_arn(self, name: str) -> str:
        return f"arn:aws:lambda:{self.region}:{self.account_id}:layer:{name}"

    def total_code_size(self) -> int:
        """The zipped size of every layer version stored (counted in the account's
        TotalCodeSize, API AccountUsage)."""
        with self._lock:
            return sum(v.code_size for by_number in self._layers.values()
                       for v in by_number.values())

    def _name(self, name_or_arn: str) -> str:
        """A layer name from a name or a layer ARN (validated)."""
        if re.fullmatch(LAYER_ARN_PATTERN, name_or_arn):
            return name_or_arn.rsplit(":", 1)[1]
        if not re.fullmatch(NAME_PATTERN, name_or_arn) or len(name_or_arn) > 140:
            raise ValidationException(
                f"1 validation error detected: Value '{name_or_arn}' at 'layerName' failed to "
                "satisfy constraint: Member must satisfy regular expression pattern: "
                f"({LAYER_ARN_PATTERN})|({NAME_PATTERN})")
        return name_or_arn

    # ----------------------------------------------------------------- versions

    def publish(self, name_or_arn: str, data: bytes, *, description: str = "",
                compatible_runtimes: Sequence[str] | None = None,
                compatible_architectures: Sequence[str] | None = None,
                license_info: str | None = None, direct_upload: bool = True) -> LayerVersion:
        """Unpack a .zip as a new version of a layer (created on first publish); one from S3
        (``direct_upload=False``) may be over 50 MB zipped.

        Raises the package errors of :func:`lambda_lab.code.store_zip`, ValidationException for
        a bad name or too many runtimes/architectures."""
        from ..code import folder_size, store_zip

        name = self._name(name_or_arn)
        given = tuple(m for m, v in (("CompatibleRuntimes", compatible_runtimes),
                                     ("CompatibleArchitectures", compatible_architectures))
                      if v is not None)
        compatible_runtimes = list(compatible_runtimes or ())
        compatible_architectures = list(compatible_architectures or ())
        _check_compatible(compatible_runtimes, compatible_architectures)
        root = store_zip(f"layer-{name}", data, direct_upload=direct_upload)
        digest = base64.b64encode(hashlib.sha256(data).digest()).decode()
        with self._lock:
            number = self._last.get(name, 0) + 1
            self._last[name] = number
            version = LayerVersion(
                name, number, self.layer_arn(name), root, len(data), digest, folder_size(root),
                self.clock.now(), description, list(compatible_runtimes),
                list(compatible_architectures), license_info, lists_given=given)
            self._layers.setdefault(name, {})[number] = version
            return version

    def get(self, name_or_arn: str, number: int | str) -> LayerVersion:
        """Raises ResourceNotFoundException (AWS's wording) for a missing version,
        InvalidParameterValueException for a number below 1 (recorded)."""
        name = self._name(name_or_arn)
        try:
            n = int(number)
        except (TypeError, ValueError):
            n = -1
        _check_number(n)
        version = self._layers.get(name, {}).get(n)
        if version is None:
            raise ResourceNotFoundException("The resource you requested does not exist.")
        return version

    def _policy_target(self, name_or_arn: str, number: int | str) -> LayerVersion:
        """:meth:`get` for the layer permission operations, whose missing-version answer names
        the version (recorded: "Layer version <arn>:<n> does not exist.")."""
        try:
            return self.get(name_or_arn, number)
        except ResourceNotFoundException:
            arn = f"{self.layer_arn(self._name(name_or_arn))}:{number}"
            raise ResourceNotFoundException(f"Layer version {arn} does not exist.") from None

    def find(self, version_arn: str) -> LayerVersion | None:
        """The version a layer version ARN names in this store, or None."""
        layer_arn, _, number = version_arn.rpartition(":")
        if layer_arn != self.layer_arn(layer_arn.rsplit(":", 1)[-1]) or not number.isdigit():
            return None
        return self._layers.get(layer_arn.rsplit(":", 1)[-1], {}).get(int(number))

    def delete(self, name_or_arn: str, number: int | str) -> None:
        """Delete a version (no error if it does not exist, as on Lambda; a number below 1 is
        InvalidParameterValueException, recorded)."""
        name = self._name(name_or_arn)
        try:
            _check_number(int(number))
        except (TypeError, ValueError):
            pass
        with self._lock:
            versions = self._layers.get(name, {})
            try:
                versions.pop(int(number), None)
            except (TypeError, ValueError):
                pass
            if not versions:
                self._layers.pop(name, None)

    @staticmethod
    def _compatible(v: LayerVersion, runtime: str | None, architecture: str | None) -> bool:
        return ((runtime is None or runtime in v.compatible_runtimes)
                and (architecture is None or architecture in v.compatible_architectures))

    def versions(self, name_or_arn: str, runtime: str | None = None,
                 architecture: str | None = None) -> list[LayerVersion]:
        """A layer's versions, newest first (optionally only the compatible ones).

        Raises ValidationException for a filter outside the Runtime / Architecture enums."""
        _check_filters(runtime, architecture)
        name = self._name(name_or_arn)
        found = sorted(self._layers.get(name, {}).values(), key=lambda v: -v.number)
        return [v for v in found if self._compatible(v, runtime, architecture)]

    def layers(self, runtime: str | None = None, architecture: str | None = None
               ) -> list[tuple[str, LayerVersion]]:
        """Each layer's name and its newest (compatible) version, by name."""
        _check_filters(runtime, architecture)
        out = []
        for name in sorted(self._layers):
            found = self.versions(name, runtime, architecture)
            if found:
                out.append((name, found[0]))
        return out

    # ----------------------------------------------------------------- permissions

    def add_permission(self, name_or_arn: str, number: int | str, *, statement_id: str,
                       action: str, principal: str, organization_id: str | None = None,
                       revision_id: str | None = None) -> tuple[dict, str]:
        """Grant an account (or everyone, ``"*"``) use of a layer version.

        Returns (statement, new revision id). Raises ResourceNotFoundException,
        ValidationException, ResourceConflictException (statement id taken),
        PreconditionFailedException (stale revision id)."""
        version = self._policy_target(name_or_arn, number)
        for value, what, pattern in ((statement_id, "statementId", r"([a-zA-Z0-9-_]+)"),
                                     (action, "action", ACTION_PATTERN),
                                     (principal, "principal", PRINCIPAL_PATTERN)):
            if not value or not re.fullmatch(pattern, value):
                raise ValidationException(
                    f"1 validation error detected: Value '{value}' at '{what}' failed to "
                    f"satisfy constraint: Member must satisfy regular expression pattern: "
                    f"{pattern}")
        with self._lock:
            self._check_revision(version, revision_id)
            if statement_id in version.statements:
                raise ResourceConflictException(
                    f"The statement id ({statement_id}) provided already exists. Please provide "
                    "a new statement id, or remove the existing statement.")
            who: str | dict = "*"
            if principal != "*":
                account = principal if principal.isdigit() else principal.split(":")[4]
                who = {"AWS": f"arn:aws:iam::{account}:root"}
            statement: dict = {"Sid": statement_id, "Effect": "Allow", "Principal": who,
                               "Action": action, "Resource": version.arn}
            if organization_id:
                statement["Condition"] = {
                    "StringEquals": {"aws:PrincipalOrgID": organization_id}}
            version.statements[statement_id] = statement
            version.policy_revision = str(uuid.uuid4())
            return statement, version.policy_revision

    def policy(self, name_or_arn: str, number: int | str) -> tuple[str, str]:
        """(policy document as JSON text, revision id).

        Raises ResourceNotFoundException when the version or its policy does not exist."""
        version = self._policy_target(name_or_arn, number)
        if not version.statements:
            raise ResourceNotFoundException("No policy is associated with the given resource.")
        document = {"Version": "2012-10-17", "Id": "default",
                    "Statement": list(version.statements.values())}
        return json.dumps(document), version.policy_revision

    def remove_permission(self, name_or_arn: str, number: int | str, statement_id: str,
                          revision_id: str | None = None) -> None:
        """Raises ResourceNotFoundException, PreconditionFailedException."""
        version = self._policy_target(name_or_arn, number)
        with self._lock:
            self._check_revision(version, revision_id)
            if statement_id not in version.statements:
                raise ResourceNotFoundException(
                    f"Statement {statement_id} is not found in resource policy.")
            del version.statements[statement_id]
            version.policy_revision = str(uuid.uuid4())

    @staticmethod
    def _check_revision(version: LayerVersion, revision_id: str | None) -> None:
        if revision_id and revision_id != version.policy_revision:
            raise PreconditionFailedException(
                "The Revision Id provided does not match the latest Revision Id. Call the "
                "GetLayerPolicy API to retrieve the latest Revision Id")  # AWS's (recorded)


# --------------------------------------------------------------------- a function's layers

def check_version_arn(arn: str) -> None:
    """GetLayerVersionByArn's ``Arn``: a layer version ARN (recorded wording for the 'arn'
    member; LayerVersionArn names ``awslayer`` ARNs as well)."""
    if not re.fullmatch(VERSION_ARN_PATTERN, arn):
        raise_validation([f"Value '{arn}' at 'arn' failed to satisfy constraint: Member must "
                          f"satisfy regular expression pattern: {VERSION_ARN_PATTERN}"])


def parse_layer_version_arn(arn: str) -> tuple[str, str, str, int]:
    """(region, account, layer name, version) of a layer version ARN.

    Raises ValidationException (AWS's wording for the ``layers`` member)."""
    if not isinstance(arn, str) or not 1 <= len(arn) <= VERSION_ARN_MAX or not re.fullmatch(
            VERSION_ARN_PATTERN, arn) or ":awslayer:" in arn:
        raise ValidationException(
            f"1 validation error detected: Value '[{arn}]' at 'layers' failed to satisfy "
            "constraint: Member must satisfy constraint: [Member must have length less than or "
            f"equal to {VERSION_ARN_MAX}, Member must have length greater than or equal to 1, "
            "Member must "
            f"satisfy regular expression pattern: {VERSION_ARN_PATTERN}, Member must not be "
            "null]")
    parts = arn.split(":")
    return parts[3], parts[4], parts[6], int(parts[7])


def check_function_layers(task_root: str, layers: Sequence[LayerRef]) -> None:
    """At most 5 layers, one version per layer, and code plus layers within 250 MB unzipped.

    Raises InvalidParameterValueException with Lambda's messages."""
    from ..code import folder_size
    from ..validation import validate_layers

    validate_layers([r.arn for r in layers])
    seen: dict[str, str] = {}
    for ref in layers:
        layer = ref.arn.rsplit(":", 1)[0]
        if layer in seen:
            raise InvalidParameterValueException(
                "Two different versions of the same layer are not allowed to be referenced in "
                f"the same function. {seen[layer]} and {ref.arn} are versions of the same layer.")
        seen[layer] = ref.arn
    total = (folder_size(task_root) if task_root else 0) + sum(r.unzipped_size for r in layers)
    if total > limits.UNZIPPED_MAX_BYTES:
        raise InvalidParameterValueException(
            "Function code combined with layers exceeds the maximum allowed size of "
            f"{limits.UNZIPPED_MAX_BYTES} bytes. The actual size is {total} bytes.")


_opt_lock = threading.Lock()
_opt_dirs: dict[tuple[str, ...], str] = {}


def _merge_into(src: str, dest: str) -> None:
    for folder, dirs, files in os.walk(src):
        rel = os.path.relpath(folder, src)
        target_dir = os.path.normpath(os.path.join(dest, rel))
        os.makedirs(target_dir, exist_ok=True)
        for d in list(dirs):  # a later layer's file may replace an earlier layer's folder
            path = os.path.join(target_dir, d)
            if os.path.lexists(path) and not os.path.isdir(path):
                os.unlink(path)
        for f in files:
            source, target = os.path.join(folder, f), os.path.join(target_dir, f)
            if os.path.isdir(target) and not os.path.islink(target):
                shutil.rmtree(target)
            elif os.path.lexists(target):
                os.unlink(target)
            try:
                os.link(source, target)
            except OSError:
                shutil.copy2(source, target)


def opt_dir(layers: Sequence[LayerRef]) -> str | None:
    """The folder a function sees as /opt: its layers extracted in order, later layers' files
    overwriting earlier ones'. Built once per distinct list; None without layers."""
    if not layers:
        return None
    if len(layers) == 1:
        return layers[0].root
    key = tuple(r.arn + "@" + r.root for r in layers)
    with _opt_lock:
        found = _opt_dirs.get(key)
        if found is not None and os.path.isdir(found):
            return found
        from ..execution.state import subdir

        digest = hashlib.sha256("\n".join(key).encode()).hexdigest()[:16]
        path = subdir("opt", digest)
        for ref in layers:
            _merge_into(ref.root, path)
        _opt_dirs[key] = path
        return path


def sys_path(layers: Sequence[LayerRef], runtime: str) -> tuple[str, ...]:
    """What the Python runtime adds to ``sys.path`` for /opt, in Lambda's order:
    ``/opt/python/lib/<runtime>/site-packages`` then ``/opt/python``."""
    opt = opt_dir(layers)
    if opt is None:
        return ()
    python = os.path.join(opt, "python")
    return (os.path.join(python, "lib", runtime, "site-packages"), python)


#: Every value of the Runtime enum (the recorded one, and RUNTIMES it predates).
_RUNTIME_VALUES = frozenset(limits.RUNTIME_ENUM + limits.RUNTIMES)


def _check_compatible(runtimes: Sequence[str], architectures: Sequence[str]) -> None:
    """PublishLayerVersion's CompatibleRuntimes (at most 15, each in the Runtime enum) and
    CompatibleArchitectures (at most 2 of x86_64 / arm64): every failure in one Coral
    ValidationException, as recorded (test_layer_exceptions)."""
    errors = []
    shown = "[" + ", ".join(runtimes) + "]"
    if len(runtimes) > RUNTIMES_MAX:
        errors.append(f"Value '{shown}' at 'compatibleRuntimes' failed to satisfy constraint: "
                      f"Member must have length less than or equal to {RUNTIMES_MAX}")
    elif any(r not in _RUNTIME_VALUES for r in runtimes):
        errors.append(f"Value '{shown}' at 'compatibleRuntimes' failed to satisfy constraint: "
                      f"Member must satisfy enum value set: [{', '.join(limits.LAYER_RUNTIMES)}]")
    if len(architectures) > 2 or any(a not in ("x86_64", "arm64") for a in architectures):
        errors.append(f"Value '[{', '.join(architectures)}]' at 'compatibleArchitectures' failed "
                      "to satisfy constraint: Member must satisfy constraint: [Member must "
                      "satisfy enum value set: [x86_64, arm64], Member must not be null]")
    raise_validation(errors)


def _check_filters(runtime: str | None, architecture: str | None) -> None:
    """ListLayers / ListLayerVersions filters: the whole Runtime enum, x86_64 / arm64."""
    errors = []
    if runtime is not None and runtime not in _RUNTIME_VALUES:
        errors.append(f"Value '{runtime}' at 'compatibleRuntime' failed to satisfy constraint: "
                      f"Member must satisfy enum value set: [{', '.join(limits.RUNTIME_ENUM)}]")
    if architecture is not None and architecture not in ("x86_64", "arm64"):
        errors.append(f"Value '{architecture}' at 'compatibleArchitecture' failed to satisfy "
                      "constraint: Member must satisfy enum value set: [x86_64, arm64]")
    raise_validation(errors)


def _check_number(number: int) -> None:
    """A layer version number below 1 (recorded test_layer_exceptions)."""
    if number < 1:
        raise InvalidParameterValueException("Layer Version Cannot be less than 1")
