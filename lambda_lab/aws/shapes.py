"""Lambda's JSON shapes for functions, versions and aliases (the wire side of the platform)."""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Callable
from typing import Any

from ..platform import LATEST, Alias, Function, Platform, Version

__all__ = ["alias_shape", "configuration", "get_function_shape", "log_group_sink",
           "runtime_version_arn", "tracing_mode", "xray_sink"]


def _timestamp(t: float) -> str:
    """Lambda's LastModified format, e.g. ``2024-05-01T12:00:00.000+0000``."""
    d = _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}+0000"


#: StateReason / LastUpdateStatusReason and their codes while creating or updating (as AWS
#: answers them; the DG's "Lambda function states" names the fields).
CREATING_REASON, CREATING_CODE = "The function is being created.", "Creating"
STATE_FIELDS = ("State", "StateReason", "StateReasonCode", "LastUpdateStatus",
                "LastUpdateStatusReason", "LastUpdateStatusReasonCode")


def _states(platform: Platform, version: Version) -> dict[str, str]:
    """State and LastUpdateStatus: Pending (no LastUpdateStatus yet: "first set to Successful
    after function creation completes"), an update InProgress, or Active / Successful."""
    now = platform.clock.now()
    if version.pending(now):
        return {"State": "Pending", "StateReason": CREATING_REASON,
                "StateReasonCode": CREATING_CODE}
    if version.updating(now):
        return {"State": "Active", "LastUpdateStatus": "InProgress",
                "LastUpdateStatusReason": CREATING_REASON,
                "LastUpdateStatusReasonCode": CREATING_CODE}
    return {"State": "Active", "LastUpdateStatus": "Successful"}


def runtime_version_arn(region: str, runtime: str) -> str:
    """The ARN of the runtime version a function runs on (API RuntimeVersionConfig), e.g.
    ``arn:aws:lambda:us-east-1::runtime:<64 hex digits>``: one version per runtime here (the
    digits are the SHA-256 of the runtime's name)."""
    digest = hashlib.sha256(runtime.encode()).hexdigest()
    return f"arn:aws:lambda:{region}::runtime:{digest}"


def configuration(platform: Platform, version: Version, arn_qualifier: str | None = None, *,
                  listed: bool = False) -> dict[str, Any]:
    """A FunctionConfiguration; ``arn_qualifier`` qualifies FunctionArn (a published version is
    always qualified by its number). ``listed``: for ListFunctions, which leaves out State,
    StateReason(Code) and LastUpdateStatus(Reason, ReasonCode) (API reference)."""
    c = version.config
    if arn_qualifier is None and version.number != LATEST:
        arn_qualifier = version.number
    shape: dict[str, Any] = {
        "FunctionName": version.function_name,
        "FunctionArn": platform.arn(version.function_name, arn_qualifier),
        "Runtime": c.runtime,
        "Role": c.role,
        "Handler": c.handler,
        "CodeSize": c.code.size,
        "Description": version.description if version.number != LATEST else c.description,
        "Timeout": c.timeout,
        "MemorySize": c.memory,
        "LastModified": _timestamp(version.last_modified),
        "CodeSha256": c.code.sha256,
        "Version": version.number,
        "TracingConfig": {"Mode": c.tracing},
        "RevisionId": version.revision_id,
        **({} if listed else _states(platform, version)),
        "PackageType": "Zip",
        "Architectures": [c.architecture],
        "EphemeralStorage": {"Size": c.ephemeral_storage},
        "SnapStart": {"ApplyOn": c.snap_start, "OptimizationStatus": "Off"},
        "LoggingConfig": c.logging.shape(version.function_name),
    }
    if c.code.image is not None:  # no Runtime / Handler; ImageConfigResponse when configured
        shape["PackageType"] = "Image"
        del shape["Runtime"], shape["Handler"]
        if c.image_config:
            shape["ImageConfigResponse"] = {"ImageConfig": dict(c.image_config)}
    if not listed and c.code.image is None:
        shape["RuntimeVersionConfig"] = {"RuntimeVersionArn": runtime_version_arn(
            platform.region, c.runtime)}
    if c.environment or c.environment_sent:
        shape["Environment"] = {"Variables": dict(c.environment)}
    if c.layers:
        shape["Layers"] = [{"Arn": r.arn, "CodeSize": r.code_size} for r in c.layers]
    if c.dead_letter_arn:
        shape["DeadLetterConfig"] = {"TargetArn": c.dead_letter_arn}
    if c.vpc is not None:  # with the VPC the subnets share (API VpcConfigResponse)
        shape["VpcConfig"] = c.vpc.shape()
    return shape


def tracing_mode(body: dict[str, Any], default: str) -> str:
    """TracingConfig.Mode of a CreateFunction / UpdateFunctionConfiguration body (``default``
    when absent; checked by FunctionConfig.validate)."""
    return (body.get("TracingConfig") or {}).get("Mode") or default


def xray_sink(account_id: str, region: str) -> Callable[[list[str]], None]:
    """Where Lambda's trace segments (and the X-Ray daemon's) go: moto's X-Ray, as if through
    PutTraceSegments, so ``xray.get_trace_summaries`` / ``batch_get_traces`` return them."""
    from moto.xray.models import xray_backends

    def put(documents: list[str]) -> None:
        backend = xray_backends[account_id][region]
        for doc in documents:
            backend.process_segment(doc)

    return put


def log_group_sink(account_id: str, region: str) -> Callable[[str, str, list[str], float], None]:
    """Where the logs of a function with a custom LoggingConfig.LogGroup go: that group of moto's
    CloudWatch Logs (created on first use), one stream per environment, stamped with platform
    time."""
    from .services import log_group_writer

    return log_group_writer(account_id, region)


def get_function_shape(platform: Platform, fn: Function, version: Version,
                       qualifier: str | None) -> dict[str, Any]:
    """The GetFunction response: configuration, code location and tags."""
    location = (f"https://awslambda-{platform.region}-tasks.s3.{platform.region}.amazonaws.com/"
                f"snapshots/{platform.account_id}/{fn.name}-{version.revision_id}")
    image = version.config.code.image
    code = ({"RepositoryType": "S3", "Location": location} if image is None else
            {"RepositoryType": "ECR", "ImageUri": image.image_uri,
             "ResolvedImageUri": image.resolved_image_uri})
    shape: dict[str, Any] = {
        "Configuration": configuration(platform, version, qualifier),
        "Code": code,
    }
    if fn.tags:
        shape["Tags"] = dict(fn.tags)
    reserved = platform.concurrency.reserved(fn.name)
    if reserved is not None:
        shape["Concurrency"] = {"ReservedConcurrentExecutions": reserved}
    return shape


def alias_shape(platform: Platform, fn: Function, alias: Alias) -> dict[str, Any]:
    """An AliasConfiguration."""
    shape: dict[str, Any] = {
        "AliasArn": platform.arn(fn.name, alias.name),
        "Name": alias.name,
        "FunctionVersion": alias.function_version,
        "Description": alias.description,
        "RevisionId": alias.revision_id,
    }
    if alias.weights:
        shape["RoutingConfig"] = {"AdditionalVersionWeights": dict(alias.weights)}
    return shape
