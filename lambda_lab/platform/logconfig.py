"""A function's LoggingConfig and the log lines it makes (DG "Configuring advanced logging
controls for Lambda functions", "Log-level filtering").

Text (the default) leaves an invocation's lines as they are. JSON turns the platform lines into
``{"time", "type", "record"}`` objects (the Telemetry API's platform events) and filters them by
SystemLogLevel; application lines are filtered by ApplicationLogLevel (a JSON object's
``level``, else INFO). The Python runtime itself formats ``logging`` records as JSON
(``AWS_LAMBDA_LOG_FORMAT``) and drops those under ``AWS_LAMBDA_LOG_LEVEL``.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidParameterValueException, ValidationException
from ..execution.result import InvocationResult

__all__ = ["APPLICATION_LEVELS", "FORMATS", "SYSTEM_LEVELS", "TEXT", "LoggingConfig",
           "render"]

FORMATS = ("JSON", "Text")
APPLICATION_LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
SYSTEM_LEVELS = ("DEBUG", "INFO", "WARN")
_RANK = {"TRACE": 0, "DEBUG": 1, "INFO": 2, "WARN": 3, "WARNING": 3, "ERROR": 4, "FATAL": 5,
         "CRITICAL": 5}
_GROUP = re.compile(r"[\.\-_/#A-Za-z0-9]+")
#: The level of each platform event (DG "Log-level filtering": at INFO, "start" and "report").
_SYSTEM_LEVEL = {"platform.start": "INFO", "platform.runtimeDone": "DEBUG",
                 "platform.report": "INFO", "platform.initReport": "INFO"}


def _enum(value: object, field: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:  # the model's enum constraint, as for every Lambda enum
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at 'loggingConfig.{field}' failed to "
            f"satisfy constraint: Member must satisfy enum value set: [{', '.join(allowed)}]")


@dataclass(frozen=True)
class LoggingConfig:
    """LogFormat, the two levels (JSON only; "" in Text) and LogGroup ("" = the function's own
    ``/aws/lambda/<name>``)."""

    log_format: str = "Text"
    application_level: str = ""
    system_level: str = ""
    log_group: str = ""

    @property
    def plain(self) -> bool:
        """Text in the function's own group: nothing to do to its lines."""
        return self.log_format == "Text" and not self.log_group

    def group(self, function_name: str) -> str:
        return self.log_group or f"/aws/lambda/{function_name}"

    def merged(self, request: Mapping[str, Any] | None) -> LoggingConfig:
        """This configuration changed by a request's LoggingConfig (CreateFunction or
        UpdateFunctionConfiguration); raises AWS's errors for a value it would refuse."""
        request = dict(request or {})
        fmt = request.get("LogFormat", self.log_format)
        _enum(fmt, "logFormat", FORMATS)
        app = request.get("ApplicationLogLevel")
        system = request.get("SystemLogLevel")
        if app is not None:
            _enum(app, "applicationLogLevel", APPLICATION_LEVELS)
        if system is not None:
            _enum(system, "systemLogLevel", SYSTEM_LEVELS)
        group = request.get("LogGroup", self.log_group) or ""
        if group and (len(group) > 512 or not _GROUP.fullmatch(group)):
            raise ValidationException(
                f"1 validation error detected: Value '{group}' at 'loggingConfig.logGroup' failed "
                "to satisfy constraint: Member must satisfy regular expression pattern: "
                "[\\.\\-_/#A-Za-z0-9]+")
        if fmt == "Text":
            if app is not None or system is not None:  # emulator wording
                raise InvalidParameterValueException(
                    "ApplicationLogLevel and SystemLogLevel can be set only when LogFormat is "
                    "JSON.")
            return LoggingConfig("Text", "", "", group)
        return LoggingConfig("JSON", app or self.application_level or "INFO",
                             system or self.system_level or "INFO", group)

    def shape(self, function_name: str) -> dict[str, str]:
        """The API's LoggingConfig."""
        shape = {"LogFormat": self.log_format}
        if self.log_format == "JSON":
            shape["ApplicationLogLevel"] = self.application_level
            shape["SystemLogLevel"] = self.system_level
        shape["LogGroup"] = self.group(function_name)
        return shape

    def runtime_env(self) -> dict[str, str]:
        """What the runtime reads: AWS_LAMBDA_LOG_FORMAT and AWS_LAMBDA_LOG_LEVEL (JSON only)."""
        if self.log_format != "JSON":
            return {}
        return {"AWS_LAMBDA_LOG_FORMAT": "JSON", "AWS_LAMBDA_LOG_LEVEL": self.application_level}


TEXT = LoggingConfig()


# --------------------------------------------------------------------------- JSON lines


def _time(now: float) -> str:
    d = _dt.datetime.fromtimestamp(now, _dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def _status(result: InvocationResult) -> dict[str, str]:
    """platform.report's status (Telemetry API: success, error, timeout; emulator mapping)."""
    if result.function_error is None:
        return {"status": "success"}
    etype = result.error_type or "Unhandled"
    return {"status": "timeout" if etype == "Sandbox.Timedout" else "error", "errorType": etype}


def _platform_event(line: str, result: InvocationResult, stamp: str) -> dict[str, Any] | None:
    """The platform event a text line stands for; None for an application line."""
    rid = result.request_id
    if line.startswith("START RequestId: "):
        record: dict[str, Any] = {"requestId": rid, "version": result.executed_version}
        return {"time": stamp, "type": "platform.start", "record": record}
    if line.startswith("END RequestId: "):
        return {"time": stamp, "type": "platform.runtimeDone",
                "record": {"requestId": rid, **_status(result)}}
    if line.startswith("REPORT RequestId: "):
        metrics: dict[str, Any] = {
            "durationMs": round(result.duration_ms, 2),
            "billedDurationMs": result.billed_duration_ms,
            "memorySizeMB": result.memory_size_mb,
            "maxMemoryUsedMB": result.max_memory_used_mb}
        if result.init_duration_ms is not None:
            metrics["initDurationMs"] = round(result.init_duration_ms, 2)
        record = {"requestId": rid, "metrics": metrics, **_status(result)}
        xray = re.search(r"XRAY TraceId: (\S+)\tSegmentId: (\S+)", line)
        if xray:
            record["tracing"] = {"type": "X-Amzn-Trace-Id",
                                 "value": f"Root={xray[1]};Parent={xray[2]};Sampled=1"}
        return {"time": stamp, "type": "platform.report", "record": record}
    if line.startswith("INIT_REPORT "):
        ms = re.search(r"Init Duration: ([\d.]+) ms", line)
        return {"time": stamp, "type": "platform.initReport",
                "record": {"initializationType": "on-demand", "phase": "init",
                           "status": "timeout", "metrics": {
                               "durationMs": float(ms[1]) if ms else 0.0}}}
    return None


def _level(line: str) -> int:
    """An application line's level: a JSON object's ``level`` (or ``log_level``), else INFO."""
    if line.startswith("{"):
        try:
            obj = json.loads(line)
        except ValueError:
            return _RANK["INFO"]
        if isinstance(obj, dict):
            level = obj.get("level", obj.get("log_level"))
            if isinstance(level, str):
                return _RANK.get(level.upper(), _RANK["INFO"])
    return _RANK["INFO"]


def render(config: LoggingConfig, result: InvocationResult, now: float) -> list[str]:
    """An invocation's log lines under ``config`` (unchanged in Text)."""
    if config.log_format != "JSON":
        return result.logs
    stamp = _time(now)
    system_min = _RANK[config.system_level]
    app_min = _RANK[config.application_level]
    out = []
    for line in result.logs:
        event = _platform_event(line, result, stamp)
        if event is None:
            if _level(line) >= app_min:
                out.append(line)
        elif _RANK[_SYSTEM_LEVEL[event["type"]]] >= system_min:
            out.append(json.dumps(event, separators=(",", ":")))
    return out
