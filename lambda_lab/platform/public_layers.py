"""Public layers published by AWS: Powertools for AWS Lambda (Python), offline.

The Powertools docs ("Install", "Lambda Layer") tell every reader to add a layer that account
``017000801446`` publishes in every commercial Region, with a public permission:

* V3, one layer per Python version and architecture:
  ``arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-{python3XX}-{x86_64|arm64}:N``
  (python39 … python314; ``CompatibleRuntimes`` its one runtime, ``CompatibleArchitectures`` its
  one architecture);
* V2 (maintenance ended): ``AWSLambdaPowertoolsPythonV2:N`` (x86_64) and
  ``AWSLambdaPowertoolsPythonV2-Arm64:N`` (arm64), last version 79.

:func:`resolve` answers such an ARN, in any Region, with a :class:`LayerVersion` whose content is
built once (per installed version, under the state folder) from the Powertools package installed
with the course, its required dependencies (jmespath, typing-extensions) and the extras the
published layer carries (``[all]``: the X-Ray SDK, pydantic, … where installed), in ``python/`` as
in the published layer; CodeSize and CodeSha256 are those of its .zip. A name or version not
published (as far as :data:`CATALOGUE` knows) raises :class:`NotPublished`, which the AWS front
answers as AWS does: AccessDeniedException, "no resource-based policy allows the
lambda:GetLayerVersion action".

Emulator: whatever version number is asked for, the content is the installed Powertools (3.x,
also for the V2 names); its CreatedDate is when this session first resolved it.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata as md
import io
import json
import os
import re
import shutil
import threading
import zipfile
from dataclasses import dataclass

from .layers import LayerVersion

__all__ = ["ACCOUNT", "CATALOGUE", "NotPublished", "PublicLayer", "is_public", "resolve"]

ACCOUNT = "017000801446"  #: the Powertools for AWS Lambda (Python) layers' publisher
PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13", "3.14")
PACKAGE = "aws-lambda-powertools"
REQUIRED = ("jmespath", "typing-extensions")  #: its dependencies without extras
#: The published layer holds ``aws-lambda-powertools[all]``: here Tracer's X-Ray SDK, Parser's
#: pydantic and Validation's fastjsonschema with their dependencies, where installed (data
#: masking's and JWT's are left out; boto3, botocore and urllib3 come with the runtime).
EXTRAS = ("aws-xray-sdk", "wrapt", "pydantic", "pydantic-core", "annotated-types",
          "typing-inspection", "fastjsonschema")
LICENSE = "MIT-0"


@dataclass(frozen=True)
class PublicLayer:
    """One published layer name and the version numbers it has."""

    name: str
    runtimes: tuple[str, ...]
    architecture: str
    first: int  #: its first published version
    latest: int  #: the newest version known when this catalogue was written
    major: str  #: "V2" or "V3"

    def description(self, version: str) -> str:
        pythons = ", ".join(r.replace("python", "Python ") for r in self.runtimes)
        return (f"Powertools for AWS Lambda (Python) {self.major} [{self.architecture} - "
                f"{pythons}] with extra dependencies version {version}")


#: Highest versions confirmed (2026): V3 python313-x86_64 had 4 … 34 in us-east-1 in June 2026
#: (3 never published) and 37 later; V2's last is 79.
LATEST_V3 = 37
LATEST_V2 = 79


def _catalogue() -> dict[str, PublicLayer]:
    out = {}
    for python in PYTHONS:
        tag = "python" + python.replace(".", "")
        for arch in ("x86_64", "arm64"):
            name = f"AWSLambdaPowertoolsPythonV3-{tag}-{arch}"
            out[name] = PublicLayer(name, (f"python{python}",), arch,
                                    4 if python == "3.13" else 1, LATEST_V3, "V3")
    v2_runtimes = tuple(f"python{p}" for p in ("3.8", "3.9", "3.10", "3.11", "3.12"))
    out["AWSLambdaPowertoolsPythonV2"] = PublicLayer(
        "AWSLambdaPowertoolsPythonV2", v2_runtimes, "x86_64", 1, LATEST_V2, "V2")
    out["AWSLambdaPowertoolsPythonV2-Arm64"] = PublicLayer(
        "AWSLambdaPowertoolsPythonV2-Arm64", v2_runtimes, "arm64", 1, LATEST_V2, "V2")
    return out


CATALOGUE = _catalogue()


class NotPublished(LookupError):
    """No such public layer version (``known``: whether the layer name itself is known)."""

    def __init__(self, arn: str, known: bool, layer: PublicLayer | None = None) -> None:
        super().__init__(arn)
        self.arn, self.known, self.layer = arn, known, layer

    def note(self) -> str:
        """What the emulator adds to AWS's message."""
        if self.layer is not None:
            return (f"(lambda_lab: versions {self.layer.first}-{self.layer.latest} of "
                    f"{self.layer.name} are available offline)")
        return ("(lambda_lab: this public layer is not available offline; the Powertools for "
                "AWS Lambda (Python) V3 and V2 layers are)")


def is_public(account_id: str) -> bool:
    """Whether layers of ``account_id`` come from this catalogue."""
    return account_id == ACCOUNT


# ----------------------------------------------------------------- the content


@dataclass(frozen=True)
class _Content:
    root: str
    code_size: int
    code_sha256: str
    unzipped_size: int
    version: str


_lock = threading.Lock()
_content: _Content | None = None
_versions: dict[str, LayerVersion] = {}  #: by layer version ARN


def _files(dist: md.Distribution) -> list[str]:
    """The files of an installed distribution, relative to its site-packages, no bytecode."""
    return sorted(str(f) for f in dist.files or ()
                  if "__pycache__" not in f.parts and not str(f).endswith(".pyc")
                  and not str(f).startswith(".."))


def _build() -> _Content:
    """Build (or reuse) the layer folder ``<state>/public-layers/powertools-<version>``."""
    from ..execution.state import subdir

    version = md.version(PACKAGE)
    base = subdir("public-layers")
    root = os.path.join(base, f"powertools-{version}-all")
    meta_path = os.path.join(root, "layer.json")
    if os.path.isfile(meta_path):
        with open(meta_path) as f:
            return _Content(root=root, **json.load(f))
    tmp = f"{root}.tmp-{os.getpid()}-{threading.get_ident()}"
    shutil.rmtree(tmp, ignore_errors=True)
    buf = io.BytesIO()
    size = 0
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name in (PACKAGE, *REQUIRED, *EXTRAS):
            try:
                dist = md.distribution(name)
            except md.PackageNotFoundError:
                continue  # an extra not installed with the course
            for rel in _files(dist):
                source = str(dist.locate_file(rel))
                if not os.path.isfile(source):
                    continue
                target = os.path.join(tmp, "python", rel)
                os.makedirs(os.path.dirname(target), exist_ok=True)
                shutil.copyfile(source, target)
                size += os.path.getsize(target)
                info = zipfile.ZipInfo(f"python/{rel}", date_time=(1980, 1, 1, 0, 0, 0))
                info.external_attr = 0o644 << 16
                with open(source, "rb") as f:
                    zf.writestr(info, f.read(), zipfile.ZIP_DEFLATED)
    data = buf.getvalue()
    meta = {"code_size": len(data), "unzipped_size": size, "version": version,
            "code_sha256": base64.b64encode(hashlib.sha256(data).digest()).decode()}
    with open(os.path.join(tmp, "layer.json"), "w") as f:
        json.dump(meta, f)
    try:
        os.rename(tmp, root)
    except OSError:  # another process built it first
        shutil.rmtree(tmp, ignore_errors=True)
    return _Content(root=root, **meta)


def _content_once() -> _Content:
    global _content
    with _lock:
        if _content is None or not os.path.isdir(_content.root):
            _content = _build()
        return _content


# ----------------------------------------------------------------- resolving


_ARN = re.compile(r"arn:aws:lambda:([a-z0-9-]+):(\d{12}):layer:([A-Za-z0-9_-]+):(\d+)")


def resolve(arn: str, now: float) -> LayerVersion:
    """The public layer version ``arn`` names (any Region), its content built on first use.

    Raises NotPublished for a name or version the catalogue does not know."""
    m = _ARN.fullmatch(arn)
    if m is None or not is_public(m.group(2)):
        raise NotPublished(arn, known=False)
    region, account, name, number = m.group(1), m.group(2), m.group(3), int(m.group(4))
    layer = CATALOGUE.get(name)
    if layer is None:
        raise NotPublished(arn, known=False)
    if not layer.first <= number <= layer.latest:
        raise NotPublished(arn, known=True, layer=layer)
    with _lock:
        found = _versions.get(arn)
    if found is not None and os.path.isdir(found.root):
        return found
    content = _content_once()
    version = LayerVersion(
        name, number, f"arn:aws:lambda:{region}:{account}:layer:{name}", content.root,
        content.code_size, content.code_sha256, content.unzipped_size, now,
        layer.description(content.version), list(layer.runtimes), [layer.architecture],
        LICENSE)
    version.statements["public"] = {"Sid": "public", "Effect": "Allow", "Principal": "*",
                                    "Action": "lambda:GetLayerVersion", "Resource": arn}
    with _lock:
        return _versions.setdefault(arn, version)
