"""SAM templates: ``Transform: AWS::Serverless-2016-10-31`` expanded by AWS's own translator.

CloudFormation runs the ``AWS::Serverless-2016-10-31`` transform (the open-source
``aws-sam-translator``) on a template before it creates or updates anything; :func:`patches`
makes moto's stacks and change sets do the same, with the stack's parameter values. A template
the translator refuses fails the call with CloudFormation's ValidationError "Transform
AWS::Serverless-2016-10-31 failed with: Invalid Serverless Application Specification document.
...".

:func:`package` does what ``sam package`` / ``aws cloudformation package`` do: each local
``CodeUri`` / ``ContentUri`` / ``Code`` folder (or file) is zipped, uploaded to S3 under the
MD5 of the zip, and replaced by its ``s3://bucket/key`` location.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import logging
import os
import zipfile
from typing import Any
from unittest import mock

import yaml
from moto.cloudformation import models
from moto.cloudformation.exceptions import ValidationError

__all__ = ["TRANSFORM", "package", "patches", "transform"]

TRANSFORM = "AWS::Serverless-2016-10-31"


def _has_transform(template: Any) -> bool:
    if not isinstance(template, dict):
        return False
    names = template.get("Transform")
    names = names if isinstance(names, list) else [names]
    return TRANSFORM in names


class _BundledPolicies:
    """The translator's managed-policy loader, answered from its bundled map of AWS managed
    policies (what IAM's ListPolicies with Scope=AWS returns)."""

    def load(self) -> dict[str, str]:
        from samtranslator.internal.managed_policies import get_bundled_managed_policy_map

        return dict(get_bundled_managed_policy_map("aws") or {})


def transform(template: dict[str, Any], parameters: dict[str, Any] | None = None,
              region: str = "us-east-1") -> dict[str, Any]:
    """The CloudFormation template of a SAM ``template`` (unchanged without the transform).

    Raises:
        ValidationError: the translator refused the template (its messages, as CloudFormation
            reports them).
    """
    if not _has_transform(template):
        return template
    # the translator warns about its own metrics and feature toggles (not the template's)
    logging.getLogger("samtranslator").setLevel(logging.ERROR)
    from samtranslator.model.exceptions import InvalidDocumentException
    from samtranslator.translator.transform import transform as sam_transform

    values = {"AWS::Region": region, **{k: v for k, v in (parameters or {}).items()
                                        if not isinstance(v, (dict, list))}}
    with mock.patch.dict(os.environ, {"AWS_DEFAULT_REGION": region, "AWS_REGION": region}):
        try:
            return sam_transform(copy.deepcopy(template), values,
                                 _BundledPolicies())  # type: ignore[arg-type]
        except InvalidDocumentException as e:
            causes = " ".join(c.message for c in e.causes)
            raise ValidationError(message=f"Transform {TRANSFORM} failed with: {e.message} "
                                          f"{causes}") from None


def _parse(text: Any) -> Any:
    """A template as a dict: YAML (short forms such as ``!Ref`` read as ``{"Ref": ...}``, as
    moto's stacks read them) or JSON."""
    if isinstance(text, dict):
        return text
    from moto.cloudformation.utils import yaml_tag_constructor

    yaml.add_multi_constructor("", yaml_tag_constructor)  # what moto's Stack does first
    try:
        return yaml.load(text, Loader=yaml.Loader)
    except yaml.YAMLError:
        return json.loads(text)


def _stack_parse(original: Any) -> Any:
    def run(self: Any) -> None:
        original(self)
        if _has_transform(self.template_dict):
            # Stack.__init__ parses before it sets its parameters and Region
            params = getattr(getattr(self, "resource_map", None), "input_parameters",
                             None) or getattr(self, "parameters", None)
            region = self.stack_id.split(":")[3]
            self.template_dict = transform(self.template_dict, params, region)

    return run


def _change_set_parse(original: Any) -> Any:
    def run(self: Any) -> None:
        original(self)
        if _has_transform(self.template_dict):
            self.template_dict = transform(self.template_dict, self.parameters,
                                           self.stack.region_name)

    return run


def patches(session: Any) -> list[Any]:
    """The patches that make moto's stacks and change sets expand SAM templates."""
    return [mock.patch.object(models.Stack, "_parse_template",
                              _stack_parse(models.Stack._parse_template)),
            mock.patch.object(models.ChangeSet, "_parse_template",
                              _change_set_parse(models.ChangeSet._parse_template))]


# ------------------------------------------------------------------ package

#: resource type -> the properties ``package`` uploads (zipped folders)
_PACKAGED = {"AWS::Serverless::Function": "CodeUri", "AWS::Serverless::LayerVersion": "ContentUri",
             "AWS::Lambda::Function": "Code", "AWS::Lambda::LayerVersion": "Content"}


def _zip(path: str) -> bytes:
    """A deterministic zip of a folder (or of one file): same files, same bytes."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        if os.path.isfile(path):
            entries = {os.path.basename(path): path}
        else:
            entries = {os.path.relpath(os.path.join(d, f), path).replace(os.sep, "/"):
                       os.path.join(d, f) for d, _, files in os.walk(path) for f in files}
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, (1980, 1, 1, 0, 0, 0))
            info.external_attr = (os.stat(entries[name]).st_mode & 0xFFFF) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            with open(entries[name], "rb") as f:
                zf.writestr(info, f.read())
    return buf.getvalue()


def package(template: dict[str, Any] | str, bucket: str, *, base_dir: str = ".",
            prefix: str = "", s3: Any = None) -> dict[str, Any]:
    """``aws cloudformation package``: upload each local code folder of ``template`` (relative
    paths from ``base_dir``) zipped to ``bucket`` and return the template pointing at S3.

    A ``CodeUri`` / ``ContentUri`` becomes ``s3://bucket/key``; an ``AWS::Lambda::Function``
    ``Code`` (or LayerVersion ``Content``) given as a path becomes ``{S3Bucket, S3Key}``. Values
    that already name S3 (or are not strings) are left as they are.

    Raises:
        FileNotFoundError: a local path does not exist.
    """
    import boto3

    s3 = s3 or boto3.client("s3")
    out = copy.deepcopy(_parse(template))
    for resource in (out.get("Resources") or {}).values():
        prop = _PACKAGED.get(resource.get("Type", ""))
        props = resource.get("Properties") or {}
        value = props.get(prop) if prop else None
        if not isinstance(value, str) or value.startswith("s3://"):
            continue
        path = os.path.join(base_dir, value)
        if not os.path.exists(path):
            raise FileNotFoundError(f"Unable to upload artifact {value} referenced by {prop} "
                                    f"parameter of {resource['Type']} resource: {path} "
                                    "does not exist")
        body = _zip(path)
        key = f"{prefix}/{hashlib.md5(body).hexdigest()}".lstrip("/")  # noqa: S324 - AWS's
        s3.put_object(Bucket=bucket, Key=key, Body=body)
        props[prop] = (f"s3://{bucket}/{key}" if prop in ("CodeUri", "ContentUri")
                       else {"S3Bucket": bucket, "S3Key": key})
    return out
