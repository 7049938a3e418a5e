"""A function's LoggingConfig (DG "Configuring advanced logging controls for Lambda functions",
"Log-level filtering", "Using structured JSON logs with Python"; API LoggingConfig).

LogFormat Text|JSON; ApplicationLogLevel TRACE..FATAL and SystemLogLevel DEBUG|INFO|WARN (log-level
filtering needs JSON; both default to INFO); LogGroup: a custom CloudWatch Logs group.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import base64
import json

import boto3
import pytest
from aws_helpers import REGION, create, lam, role, session  # noqa: F401
from botocore.exceptions import ClientError

LOGGER = """\
import logging
logger = logging.getLogger()

def handler(event, context):
    print("plain print")
    logger.debug("a debug line")
    logger.info("an info line")
    logger.warning("a warning line")
    return "ok"
"""


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


def _tail(lam, name):
    resp = lam.invoke(FunctionName=name, LogType="Tail", Payload=b"{}")
    assert resp["Payload"].read() == b'"ok"'
    return base64.b64decode(resp["LogResult"]).decode().splitlines()


def _records(lines):
    """The JSON objects among ``lines`` (print output stays plain text)."""
    return [json.loads(line) for line in lines if line.startswith("{")]


def _config(lam, name):
    return lam.get_function_configuration(FunctionName=name)["LoggingConfig"]


def test_default_logging_config_is_text_in_the_function_log_group(aws, lam, create):
    """API FunctionConfiguration.LoggingConfig: Text and /aws/lambda/<name> by default."""
    name = create(LOGGER)
    assert _config(lam, name) == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}


def test_json_format_reads_back_with_info_levels(aws, lam, create):
    """DG log-level filtering: the default application and system log levels are INFO."""
    name = create(LOGGER, LoggingConfig={"LogFormat": "JSON"})
    assert _config(lam, name) == {"LogFormat": "JSON", "ApplicationLogLevel": "INFO",
                                  "SystemLogLevel": "INFO", "LogGroup": f"/aws/lambda/{name}"}
    full = lam.get_function(FunctionName=name)["Configuration"]["LoggingConfig"]
    assert full["LogFormat"] == "JSON"


def test_json_platform_records_and_python_logging_objects(aws, lam, create):
    """DG JSON logs: system logs become {"time", "type", "record"} objects (platform.start with
    requestId and version; platform.report with metrics); the Python runtime's logging writes
    {"timestamp", "level", "message", "logger", "requestId"}; print() stays plain text; at the
    default INFO levels DEBUG lines and platform.runtimeDone (END) are left out."""
    name = create(LOGGER, LoggingConfig={"LogFormat": "JSON"})
    lines = _tail(lam, name)
    assert "plain print" in lines
    records = _records(lines)
    start, report = records[0], records[-1]
    assert start["type"] == "platform.start" and start["time"].endswith("Z")
    request_id = start["record"]["requestId"]
    assert start["record"] == {"requestId": request_id, "version": "$LATEST"}
    assert report["type"] == "platform.report"
    assert report["record"]["requestId"] == request_id
    assert report["record"]["status"] == "success"
    metrics = report["record"]["metrics"]
    assert set(metrics) == {"durationMs", "billedDurationMs", "memorySizeMB", "maxMemoryUsedMB",
                            "initDurationMs"}  # a cold start reports its init duration
    assert metrics["memorySizeMB"] == 128 and isinstance(metrics["billedDurationMs"], int)
    app = [r for r in records if "level" in r]
    assert [(r["level"], r["message"]) for r in app] == [("INFO", "an info line"),
                                                         ("WARNING", "a warning line")]
    assert app[0]["logger"] == "root" and app[0]["requestId"] == request_id
    assert set(app[0]) == {"timestamp", "level", "message", "logger", "requestId"}
    assert not any(line.startswith(("START ", "END ", "REPORT ")) for line in lines)
    assert "platform.runtimeDone" not in {r.get("type") for r in records}
    warm = _records(_tail(lam, name))
    assert "initDurationMs" not in warm[-1]["record"]["metrics"]


def test_application_log_level_filters_logging_and_unlevelled_output(aws, lam, create):
    """DG log-level filtering: with WARN, Lambda sends no INFO or DEBUG application logs, and
    output without a level (print) counts as INFO."""
    name = create(LOGGER, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "WARN"})
    lines = _tail(lam, name)
    app = [r for r in _records(lines) if "level" in r]
    assert [r["message"] for r in app] == ["a warning line"]
    assert "plain print" not in lines
    debug = create(LOGGER, LoggingConfig={"LogFormat": "JSON", "ApplicationLogLevel": "DEBUG"})
    messages = [r["message"] for r in _records(_tail(lam, debug)) if "level" in r]
    assert messages == ["a debug line", "an info line", "a warning line"]


def test_system_log_level_filters_platform_records(aws, lam, create):
    """DG log-level filtering: at system level WARN Lambda sends no start or report records;
    DEBUG adds platform.runtimeDone (the END line)."""
    quiet = create(LOGGER, LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "WARN"})
    assert [r for r in _records(_tail(lam, quiet)) if "type" in r] == []
    loud = create(LOGGER, LoggingConfig={"LogFormat": "JSON", "SystemLogLevel": "DEBUG"})
    types = [r["type"] for r in _records(_tail(lam, loud)) if "type" in r]
    assert types == ["platform.start", "platform.runtimeDone", "platform.report"]


def test_update_function_configuration_switches_the_format(aws, lam, create):
    """UpdateFunctionConfiguration takes LoggingConfig; back to Text, the lines are text again
    and the levels are gone from the configuration."""
    name = create(LOGGER)
    lam.update_function_configuration(FunctionName=name, LoggingConfig={
        "LogFormat": "JSON", "ApplicationLogLevel": "ERROR"})
    assert _config(lam, name)["ApplicationLogLevel"] == "ERROR"
    assert _records(_tail(lam, name))[0]["type"] == "platform.start"
    lam.update_function_configuration(FunctionName=name, LoggingConfig={"LogFormat": "Text"})
    assert _config(lam, name) == {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"}
    lines = _tail(lam, name)
    assert lines[0].startswith("START RequestId: ") and lines[-1].startswith("REPORT ")
    assert "plain print" in lines and "a debug line" not in "\n".join(lines)


@pytest.mark.parametrize("logging_config, code, where", [
    ({"LogFormat": "XML"}, "ValidationException", "loggingConfig.logFormat"),
    ({"LogFormat": "JSON", "ApplicationLogLevel": "VERBOSE"}, "ValidationException",
     "loggingConfig.applicationLogLevel"),
    ({"LogFormat": "JSON", "SystemLogLevel": "ERROR"}, "ValidationException",
     "loggingConfig.systemLogLevel"),
    ({"LogGroup": "bad group!"}, "ValidationException", "loggingConfig.logGroup"),
    ({"LogFormat": "Text", "ApplicationLogLevel": "DEBUG"}, "InvalidParameterValueException",
     "JSON"),
])
def test_invalid_logging_config_is_refused(aws, lam, create, logging_config, code, where):
    """API LoggingConfig: the enums (LogFormat JSON|Text, ApplicationLogLevel TRACE..FATAL,
    SystemLogLevel DEBUG|INFO|WARN) and LogGroup's pattern [\\.\\-_/#A-Za-z0-9]+ are checked
    (ValidationException); DG: log-level filtering needs the JSON format."""
    with pytest.raises(ClientError) as e:
        create(LOGGER, LoggingConfig=logging_config)
    assert e.value.response["Error"]["Code"] == code
    assert where in e.value.response["Error"]["Message"]
    assert lam.list_functions()["Functions"] == []


def test_a_custom_log_group_receives_the_logs(aws, lam, create):
    """DG advanced logging controls: LogGroup sends the function's logs to another group (the
    context's log_group_name stays the reserved variable's value here)."""
    name = create(LOGGER, LoggingConfig={"LogFormat": "Text", "LogGroup": "/shared/app-logs"})
    assert _config(lam, name) == {"LogFormat": "Text", "LogGroup": "/shared/app-logs"}
    _tail(lam, name)
    logs = boto3.client("logs", region_name=REGION)
    groups = [g["logGroupName"] for g in logs.describe_log_groups()["logGroups"]]
    assert groups == ["/shared/app-logs"]
    events = logs.filter_log_events(logGroupName="/shared/app-logs")["events"]
    messages = [e["message"] for e in events]
    assert messages[0].startswith("START RequestId: ") and "plain print" in messages
