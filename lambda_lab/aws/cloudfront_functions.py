"""CloudFront Functions on moto's CloudFront: CreateFunction, DescribeFunction, GetFunction,
UpdateFunction, PublishFunction, TestFunction, ListFunctions and DeleteFunction (CloudFront API
reference; CloudFront DG "Restrictions on CloudFront Functions", "Quotas on CloudFront
Functions": 10 KB of code, runtimes cloudfront-js-1.0 / 2.0, viewer events only).

A function has a DEVELOPMENT stage (what Create/Update write) and a LIVE stage (Publish copies
DEVELOPMENT into it); each stage has its ETag. TestFunction runs the stage's code for real in
the embedded engine (:mod:`lambda_lab.fronts.cloudfront_js`).
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import json
import secrets
import threading
from dataclasses import dataclass, field, replace
from typing import Any
from unittest import mock

from moto.cloudfront.exceptions import CloudFrontException
from moto.cloudfront.responses import CloudFrontResponse
from moto.core.responses import ActionResult, EmptyResult

__all__ = ["install", "live_code", "uninstall"]

MAX_CODE_BYTES = 10 * 1024
MAX_EVENT_BYTES = 40 * 1024
RUNTIMES = ("cloudfront-js-1.0", "cloudfront-js-2.0")
_ACCOUNT_ARN = "arn:aws:cloudfront::{account}:function/{name}"


@dataclass
class Stage:
    code: bytes
    comment: str
    runtime: str
    etag: str
    created: dt.datetime
    modified: dt.datetime


@dataclass
class CfFunction:
    account: str
    name: str
    stages: dict[str, Stage] = field(default_factory=dict)

    @property
    def arn(self) -> str:
        return _ACCOUNT_ARN.format(account=self.account, name=self.name)


_functions: dict[tuple[str, str], CfFunction] = {}
_lock = threading.Lock()
_patches: list[Any] = []


def live_code(function_arn: str) -> str | None:
    """The LIVE code of the function ``function_arn`` (None if none is published)."""
    parts = function_arn.split(":")
    if len(parts) != 6 or not parts[5].startswith("function/"):
        return None
    with _lock:
        fn = _functions.get((parts[4], parts[5].split("/", 1)[1]))
        stage = fn.stages.get("LIVE") if fn is not None else None
    return stage.code.decode("utf-8", "replace") if stage is not None else None


def _err(code: str, message: str) -> CloudFrontException:
    return CloudFrontException(code, message)


def _now() -> dt.datetime:
    from ..fronts.cloudfront import _now as now

    return dt.datetime.fromtimestamp(now(), dt.timezone.utc)


def _etag() -> str:
    return "E" + secrets.token_hex(7).upper()


def _summary(fn: CfFunction, stage_name: str) -> dict[str, Any]:
    stage = fn.stages[stage_name]
    if stage_name == "DEVELOPMENT":
        status = "UNPUBLISHED"
    else:
        status = "DEPLOYED" if _associated(fn.arn) else "UNASSOCIATED"
    return {"Name": fn.name, "Status": status,
            "FunctionConfig": {"Comment": stage.comment, "Runtime": stage.runtime},
            "FunctionMetadata": {"FunctionARN": fn.arn, "Stage": stage_name,
                                 "CreatedTime": stage.created,
                                 "LastModifiedTime": stage.modified}}


def _associated(arn: str) -> bool:
    from . import cloudfront_edge

    with cloudfront_edge._lock:
        configs = list(cloudfront_edge._configs.values())
    return any(a.get("FunctionARN") == arn for c in configs for a in function_associations(c))


def function_associations(config: dict[str, Any]) -> list[dict[str, Any]]:
    """Every FunctionAssociation of every cache behaviour of ``config``."""
    behaviours = [config.get("DefaultCacheBehavior") or {}]
    behaviours += (config.get("CacheBehaviors") or {}).get("Items") or []
    return [a for b in behaviours
            for a in (b.get("FunctionAssociations") or {}).get("Items") or []]


def check_associations(config: dict[str, Any], account_id: str) -> None:
    """CloudFront Functions only on viewer events, published, of this account; not beside a
    Lambda@Edge function on the same viewer event (Restrictions on all edge functions)."""
    behaviours = [config.get("DefaultCacheBehavior") or {}]
    behaviours += (config.get("CacheBehaviors") or {}).get("Items") or []
    for b in behaviours:
        lambdas = {a.get("EventType") for a in
                   (b.get("LambdaFunctionAssociations") or {}).get("Items") or []}
        for a in (b.get("FunctionAssociations") or {}).get("Items") or []:
            arn, event_type = str(a.get("FunctionARN") or ""), a.get("EventType")
            if event_type not in ("viewer-request", "viewer-response"):
                raise _err("InvalidFunctionAssociation", "The event type of a function "
                           f"association must be viewer-request or viewer-response: "
                           f"{event_type}")
            if event_type in lambdas:
                raise _err("InvalidFunctionAssociation", "You can't associate a CloudFront "
                           "function and a Lambda@Edge function with the same viewer event.")
            if live_code(arn) is None or arn.split(":")[4:5] != [account_id]:
                raise _err("InvalidFunctionAssociation", "The function ARN must reference a "
                           f"published function of this account. FunctionARN: {arn}")


# ----------------------------------------------------------------- the API

class FunctionsResponse(CloudFrontResponse):
    """moto's CloudFront responses plus the Function operations."""

    def _function(self, name: str) -> CfFunction:
        with _lock:
            fn = _functions.get((self.current_account, name))
        if fn is None:
            raise _err("NoSuchFunctionExists", f"The function {name} does not exist.")
        return fn

    def _code(self, value: Any) -> bytes:
        if isinstance(value, str):
            try:
                code = base64.b64decode(value, validate=True)
            except (binascii.Error, ValueError):
                code = value.encode()
        else:
            code = bytes(value or b"")
        if len(code) > MAX_CODE_BYTES:
            raise _err("FunctionSizeLimitExceeded", "The function is too large: "
                       f"{len(code)} bytes. The maximum size is {MAX_CODE_BYTES} bytes.")
        return code

    def _runtime(self, config: dict[str, Any]) -> str:
        runtime = str(config.get("Runtime") or "")
        if runtime not in RUNTIMES:
            raise _err("InvalidArgument", f"Invalid runtime: {runtime}. Valid values: "
                       + ", ".join(RUNTIMES))
        return runtime

    def _if_match(self, stage: Stage) -> None:
        given = self._get_param("IfMatch") or self.headers.get("If-Match")
        if not given:
            raise _err("InvalidIfMatchVersion", "The If-Match version is missing or not valid "
                                                "for the resource.")
        if given != stage.etag:
            raise _err("PreconditionFailed", "The request failed because it didn't meet the "
                                             "preconditions in one or more request-header "
                                             "fields.")

    def create_function(self) -> ActionResult:
        name = self._get_param("Name")
        config = self._get_param("FunctionConfig") or {}
        runtime = self._runtime(config)
        code = self._code(self._get_param("FunctionCode"))
        now = _now()
        fn = CfFunction(self.current_account, name)
        fn.stages["DEVELOPMENT"] = Stage(code, str(config.get("Comment") or ""), runtime,
                                         _etag(), now, now)
        with _lock:
            if (self.current_account, name) in _functions:
                raise _err("FunctionAlreadyExists", f"A function with the name {name} "
                                                    "already exists.")
            _functions[(self.current_account, name)] = fn
        return ActionResult({
            "FunctionSummary": _summary(fn, "DEVELOPMENT"),
            "ETag": fn.stages["DEVELOPMENT"].etag,
            "Location": f"https://cloudfront.amazonaws.com/2020-05-31/function/{fn.arn}"})

    def _stage(self, fn: CfFunction) -> str:
        stage = self._get_param("Stage") or "DEVELOPMENT"
        if stage not in fn.stages:
            raise _err("NoSuchFunctionExists", f"The function {fn.name} has no {stage} stage.")
        return stage

    def describe_function(self) -> ActionResult:
        fn = self._function(self._get_param("Name"))
        stage = self._stage(fn)
        return ActionResult({"FunctionSummary": _summary(fn, stage),
                             "ETag": fn.stages[stage].etag})

    def get_function(self) -> ActionResult:
        fn = self._function(self._get_param("Name"))
        stage = fn.stages[self._stage(fn)]
        return ActionResult({"FunctionCode": stage.code, "ETag": stage.etag,
                             "ContentType": "application/octet-stream"})

    def update_function(self) -> ActionResult:
        fn = self._function(self._get_param("Name"))
        dev = fn.stages["DEVELOPMENT"]
        self._if_match(dev)
        config = self._get_param("FunctionConfig") or {}
        fn.stages["DEVELOPMENT"] = replace(
            dev, code=self._code(self._get_param("FunctionCode")), runtime=self._runtime(config),
            comment=str(config.get("Comment") or ""), etag=_etag(), modified=_now())
        return ActionResult({"FunctionSummary": _summary(fn, "DEVELOPMENT"),
                             "ETag": fn.stages["DEVELOPMENT"].etag})

    def publish_function(self) -> ActionResult:
        fn = self._function(self._get_param("Name"))
        dev = fn.stages["DEVELOPMENT"]
        self._if_match(dev)
        now = _now()
        live = fn.stages.get("LIVE")
        fn.stages["LIVE"] = replace(dev, etag=_etag(), modified=now,
                                    created=live.created if live else now)
        return ActionResult({"FunctionSummary": _summary(fn, "LIVE")})

    def delete_function(self) -> EmptyResult:
        fn = self._function(self._get_param("Name"))
        self._if_match(fn.stages["DEVELOPMENT"])
        if _associated(fn.arn):
            raise _err("FunctionInUse", "Cannot delete the function because it's attached to "
                                        "one or more cache behaviors.")
        with _lock:
            _functions.pop((fn.account, fn.name), None)
        return EmptyResult()

    def list_functions(self) -> ActionResult:
        stage = self._get_param("Stage")
        with _lock:
            fns = [f for f in _functions.values() if f.account == self.current_account]
        items = [_summary(f, s) for f in sorted(fns, key=lambda f: f.name)
                 for s in ("DEVELOPMENT", "LIVE") if s in f.stages and stage in (None, s)]
        return ActionResult({"FunctionList": {"MaxItems": 100, "Quantity": len(items),
                                              "Items": items}})

    def test_function(self) -> ActionResult:
        from ..fronts import cloudfront_js

        fn = self._function(self._get_param("Name"))
        stage_name = self._stage(fn)
        stage = fn.stages[stage_name]
        self._if_match(stage)
        raw = self._get_param("EventObject")
        data = base64.b64decode(raw) if isinstance(raw, str) else bytes(raw or b"")
        if len(data) > MAX_EVENT_BYTES:
            raise _err("InvalidArgument", "The event object is larger than 40 KB.")
        try:
            event = json.loads(data)
        except ValueError:
            raise _err("InvalidArgument", "The event object is not valid JSON.") from None
        try:
            run = cloudfront_js.run(stage.code.decode("utf-8", "replace"), event)
        except RuntimeError as e:
            raise _err("TestFunctionFailed", str(e)) from None
        output = ""
        if not run.error:
            key = "response" if isinstance(run.output, dict) and (
                "statusCode" in run.output
                or (event.get("context") or {}).get("eventType") == "viewer-response") \
                else "request"
            output = json.dumps({key: run.output}, separators=(",", ":"))
        return ActionResult({"TestResult": {
            "FunctionSummary": _summary(fn, stage_name),
            "ComputeUtilization": str(run.utilization),
            "FunctionExecutionLogs": run.logs,
            "FunctionErrorMessage": run.error,
            "FunctionOutput": output}})


_PATHS = {
    "{0}/2020-05-31/function$": FunctionsResponse.dispatch,
    "{0}/2020-05-31/function/(?P<name>[^/]+)$": FunctionsResponse.dispatch,
    "{0}/2020-05-31/function/(?P<name>[^/]+)/describe$": FunctionsResponse.dispatch,
    "{0}/2020-05-31/function/(?P<name>[^/]+)/publish$": FunctionsResponse.dispatch,
    "{0}/2020-05-31/function/(?P<name>[^/]+)/test$": FunctionsResponse.dispatch,
}


def install() -> None:
    """Route the Function operations of moto's CloudFront here (before moto starts)."""
    import moto.cloudfront.urls as urls

    p = mock.patch.dict(urls.url_paths, _PATHS)
    p.start()
    _patches.append(p)


def uninstall() -> None:
    while _patches:
        _patches.pop().stop()
    with _lock:
        _functions.clear()
