"""Helpers of notebooks/05-event-sources: what a function logged, how full a queue is, which
records a stream mapping's on-failure record names.

They call the emulated AWS through boto3 (inside ``lambda_lab.mock_aws()``), as a learner would
against real AWS, and return fixed text (:class:`~lambda_lab.course.exercises.Text`) so nbval can
compare it.
"""

from __future__ import annotations

import json
from typing import Any

from lambda_lab.course.exercises import Text
from lambda_lab.course.shared import WarningLog, capture_warnings, queue_arn

__all__ = ["WarningLog", "batch_records", "capture_warnings", "log_events", "log_lines",
           "logged_json", "queue_arn", "queue_depth"]

REGION = "us-east-1"
_FRAME = ("START RequestId:", "END RequestId:", "REPORT RequestId:", "Traceback ", " ", "\t")


def log_events(function_name: str, since: float | None = None,
               region: str = REGION) -> list[dict[str, Any]]:
    """Every CloudWatch Logs event of ``function_name`` (all pages of ``filter_log_events``),
    from platform time ``since`` on; [] if the function never logged."""
    import boto3

    logs = boto3.client("logs", region_name=region)
    params: dict[str, Any] = {"logGroupName": f"/aws/lambda/{function_name}"}
    if since is not None:
        params["startTime"] = int(since * 1000)
    found: list[dict[str, Any]] = []
    try:
        while True:
            page = logs.filter_log_events(**params)
            found += page["events"]
            if not page.get("nextToken"):
                break
            params["nextToken"] = page["nextToken"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return found


def _events(function_name: str, since: float | None, region: str) -> list[dict[str, Any]]:
    found = log_events(function_name, since, region)
    # Concurrent invocations (each in its own stream) write in any order. For a stable listing
    # that keeps each invocation's own lines in order: group by (time, stream), keep a group's
    # order, and sort the groups by time, then by their first line's text.
    groups: dict[tuple[int, str], list[dict[str, Any]]] = {}
    for event in found:
        groups.setdefault((event["timestamp"], event.get("logStreamName", "")), []).append(event)
    platform = ("START ", "END ", "REPORT ", "INIT_START ")  # their request ids vary per run

    def first_line(group: list[dict[str, Any]]) -> str:
        return next((e["message"] for e in group if not e["message"].startswith(platform)),
                    group[0]["message"])

    ordered = sorted(groups.items(), key=lambda item: (item[0][0], first_line(item[1])))
    return [event for _, group in ordered for event in group]


def log_lines(function_name: str, *, since: float | None = None, times: bool = True,
              region: str = REGION) -> Text:
    """The lines ``function_name``'s handler wrote to CloudWatch Logs, oldest first.

    START/END/REPORT lines and the lines of a traceback are left out (its ``[ERROR]`` line
    stays). ``since``: platform time (epoch seconds) of the first event to show; with ``times``,
    each line starts with the platform seconds after ``since`` it was written at.
    """
    lines = []
    for event in _events(function_name, since, region):
        message = event["message"].rstrip("\n")
        if not message or message.startswith(_FRAME):
            continue
        message = message.split("\n", 1)[0]
        if times and since is not None:
            seconds = max(0, round(event["timestamp"] / 1000 - since))
            lines.append(f"t={seconds:>5} s  {message}")
        else:
            lines.append(message)
    return Text("\n".join(lines) if lines else "(nothing logged)")


def logged_json(function_name: str, marker: str = "EVENT ", *, since: float | None = None,
                times: bool | str = False, region: str = REGION) -> list[Any]:
    """The JSON documents ``function_name`` logged as ``<marker><json>`` lines, oldest first.

    ``since``: platform time (epoch seconds) of the first line to read. With ``times`` (and
    ``since``) each entry is ``(seconds after since, document)``, or with ``times="ms"``
    ``(milliseconds after since, document)``: on the virtual clock, batches a poller ran at once
    share their time, and batches run one after the other are milliseconds apart."""
    found = []
    for event in _events(function_name, since, region):
        if not event["message"].startswith(marker):
            continue
        document = json.loads(event["message"][len(marker):])
        if times and since is not None:
            ms = max(0, event["timestamp"] - round(since * 1000))
            document = (ms if times == "ms" else round(ms / 1000), document)
        found.append(document)
    return found


def batch_records(failure: dict[str, Any], *, region: str = REGION) -> list[str]:
    """The data (as text) of the records a Kinesis mapping's on-failure record names: read from
    the stream, from ``startSequenceNumber`` to ``endSequenceNumber`` of its shard.

    The record holds the batch's coordinates, not its data, so this works only while the stream
    still retains the records."""
    import boto3

    info = failure["KinesisBatchInfo"]
    kinesis = boto3.client("kinesis", region_name=region)
    iterator = kinesis.get_shard_iterator(
        StreamName=info["streamArn"].split("/", 1)[1],
        ShardId=info["shardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=info["startSequenceNumber"],
    )["ShardIterator"]
    end = int(info["endSequenceNumber"])
    data: list[str] = []
    while iterator:
        page = kinesis.get_records(ShardIterator=iterator)
        for record in page["Records"]:
            if int(record["SequenceNumber"]) > end:
                return data
            data.append(record["Data"].decode("utf-8", errors="replace"))
        if not page["Records"]:
            break
        iterator = page.get("NextShardIterator")
    return data


def queue_depth(queue_url: str, *, region: str = REGION) -> Text:
    """``"<name>: N visible, M in flight"`` from the queue's approximate message counts."""
    import boto3

    sqs = boto3.client("sqs", region_name=region)
    got = sqs.get_queue_attributes(
        QueueUrl=queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    name = queue_url.rstrip("/").rsplit("/", 1)[-1]
    return Text(f"{name}: {got['ApproximateNumberOfMessages']} visible, "
                f"{got['ApproximateNumberOfMessagesNotVisible']} in flight")
