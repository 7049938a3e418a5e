"""Helpers of notebooks/07-async-and-destinations: attempts read from the logs, a timeline of
them, the throttle back-off schedule, invocation records and queues emptied for reading.

They call the emulated AWS through boto3 (inside ``lambda_lab.mock_aws()``), as a learner would
against real AWS, and return fixed text (:class:`~lambda_lab.course.exercises.Text`) so nbval
can compare it.
"""

from __future__ import annotations

import copy
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from lambda_lab.course.chapters.ch05_event_sources.helpers import log_events
from lambda_lab.course.exercises import Text
from lambda_lab.platform import asyncq

__all__ = [
    "Attempt",
    "attempt_lines",
    "attempts",
    "backoff_lines",
    "backoff_schedule",
    "drain",
    "figure_attempts",
    "printed",
    "record_text",
    "wait_until_running",
]

REGION = "us-east-1"


@dataclass(frozen=True)
class Attempt:
    """One run of a function, read from its log stream."""

    #: Platform seconds after ``since`` (or the epoch) the run started.
    seconds: float
    request_id: str
    #: 1 for the first run of this request id, 2 for its first retry, …
    number: int
    #: True when the run ended with an error (an ``[ERROR]`` line or a timeout).
    failed: bool
    #: What the handler printed, in order (not the START/END/REPORT or traceback lines).
    output: tuple[str, ...] = ()


def attempts(function_name: str, *, since: float | None = None,
             request_ids: Iterable[str] | None = None, region: str = REGION) -> list[Attempt]:
    """Every run of ``function_name`` since platform time ``since`` (of the ``request_ids`` only,
    if given), oldest first. ``seconds`` count from ``since`` (else from the first run shown).

    A log stream belongs to one execution environment, which runs one invocation at a time, so
    the lines between ``START RequestId: x`` and ``END RequestId: x`` of a stream are that run's.
    Runs that start at the same moment keep the order of their streams' first lines."""
    by_stream: dict[str, list[dict[str, Any]]] = {}
    for event in log_events(function_name, region=region):
        by_stream.setdefault(event["logStreamName"], []).append(event)
    runs: list[tuple[int, int, str, bool, list[str]]] = []
    order = 0
    for events in by_stream.values():
        current: list[Any] | None = None
        for event in events:
            message = event["message"].rstrip("\n")
            if message.startswith("START RequestId: "):
                current = [event["timestamp"], order, message.split()[2], False, []]
                order += 1
            elif current is None:
                continue
            elif message.startswith("END RequestId: "):
                runs.append(tuple(current))  # type: ignore[arg-type]
                current = None
            elif message.startswith("[ERROR]") or "Task timed out after" in message:
                current[3] = True
            elif not message.startswith(("REPORT RequestId:", "Traceback ", " ", "\t")):
                current[4].append(message.split("\n", 1)[0])
        if current is not None:  # still running: count it, as START says it began
            runs.append(tuple(current))  # type: ignore[arg-type]
    runs.sort(key=lambda run: (run[0], run[1]))
    wanted = None if request_ids is None else set(request_ids)
    # log timestamps are whole milliseconds of platform time (truncated)
    start_ms = None if since is None else int(since * 1000)
    runs = [run for run in runs if (start_ms is None or run[0] >= start_ms)
            and (wanted is None or run[2] in wanted)]
    origin_ms = start_ms if start_ms is not None else (runs[0][0] if runs else 0)
    seen: dict[str, int] = {}
    found = []
    for stamp, _, request_id, failed, output in runs:
        seen[request_id] = seen.get(request_id, 0) + 1
        found.append(Attempt((stamp - origin_ms) / 1000, request_id, seen[request_id],
                             failed, tuple(output)))
    return found


def printed(function_name: str, *, since: float | None = None,
            request_ids: Iterable[str] | None = None, region: str = REGION) -> Text:
    """What the handler printed (see :func:`attempts` for the filters), run by run, oldest
    first, one line each."""
    lines = [line for run in attempts(function_name, since=since, request_ids=request_ids,
                                      region=region)
             for line in run.output]
    return Text("\n".join(lines) if lines else "(nothing printed)")


def _event_labels(runs: Iterable[Attempt]) -> dict[str, str]:
    labels: dict[str, str] = {}
    for run in runs:
        labels.setdefault(run.request_id, f"event {len(labels) + 1}")
    return labels


def attempt_lines(runs: Sequence[Attempt]) -> Text:
    """One line per run: when (platform seconds), which event (by first appearance), which
    attempt, and how it ended. Request ids are left out: they change on every run."""
    labels = _event_labels(runs)
    lines = [f"t={run.seconds:>7g} s  {labels[run.request_id]}  attempt {run.number}  "
             f"{'failed' if run.failed else 'succeeded'}" for run in runs]
    return Text("\n".join(lines) if lines else "(no runs)")


def figure_attempts(runs: Sequence[Attempt], title: str = "Attempts over time") -> Any:
    """A timeline: one row per event, a marker per attempt (✗ failed, ● succeeded) labelled with
    its number, minutes on the x axis."""
    from matplotlib.figure import Figure

    labels = _event_labels(runs)
    rows = {request_id: n for n, request_id in enumerate(labels)}
    fig = Figure(figsize=(7.5, 1.2 + 0.45 * max(1, len(labels))), dpi=80, layout="constrained")
    ax = fig.add_subplot()
    for request_id, row in rows.items():
        mine = [run for run in runs if run.request_id == request_id]
        ax.plot([run.seconds / 60 for run in mine], [row] * len(mine), color="0.75", zorder=1)
    for failed, marker, colour, name in ((True, "X", "tab:red", "failed attempt"),
                                         (False, "o", "tab:green", "succeeded")):
        picked = [run for run in runs if run.failed is failed]
        if picked:
            ax.scatter([run.seconds / 60 for run in picked],
                       [rows[run.request_id] for run in picked], marker=marker, s=90,
                       color=colour, label=name, zorder=2)
    for run in runs:
        ax.annotate(f"{run.number}", (run.seconds / 60, rows[run.request_id]),
                    textcoords="offset points", xytext=(0, 9), ha="center", fontsize=8)
    right = max((run.seconds / 60 for run in runs), default=1.0)
    ax.set_xlim(-0.05 * max(right, 1.0), right + 0.05 * max(right, 1.0))
    ax.set_yticks(list(rows.values()), list(labels.values()))
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.invert_yaxis()
    ax.set_xlabel("minutes after the first attempt")
    ax.set_title(title)
    ax.grid(axis="x", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    return fig


def backoff_schedule(max_age_s: float = asyncq.DEFAULT_MAX_EVENT_AGE_S,
                     first_s: float = asyncq.BACKOFF_FIRST_S,
                     cap_s: float = asyncq.BACKOFF_MAX_S) -> list[float]:
    """When an event that is throttled every time is tried (seconds after its first try, which
    is 0): the wait starts at ``first_s``, doubles after each try up to ``cap_s``, and the event
    is given up once it is older than ``max_age_s`` (lambda-facts.md "6 h retry, backoff
    1 s → 5 min"; the emulator's asyncq uses the same rule)."""
    if not (first_s > 0 and cap_s >= first_s and max_age_s >= 0):
        raise ValueError("need first_s > 0, cap_s >= first_s and max_age_s >= 0")
    times = [0.0]
    wait = first_s
    while times[-1] + wait <= max_age_s:
        times.append(times[-1] + wait)
        wait = min(wait * 2, cap_s)
    return times


def backoff_lines(times: Sequence[float], head: int = 12) -> Text:
    """The first ``head`` tries of :func:`backoff_schedule` with the wait before each, then a
    summary of the rest."""
    lines = ["  try  at (s)  waited (s)"]
    for n, at in enumerate(times[:head], start=1):
        waited = "—" if n == 1 else f"{at - times[n - 2]:g}"
        lines.append(f"  {n:>3}  {at:>6g}  {waited:>10}")
    if len(times) > head:
        lines.append(f"  … {len(times) - head} more tries, every {times[-1] - times[-2]:g} s, "
                     f"the last at {times[-1]:,.0f} s ({times[-1] / 3600:.2f} h)")
    return Text("\n".join(lines))


def record_text(record: Any) -> Text:
    """An invocation record (or any JSON document) as indented JSON, with a long
    ``stackTrace`` shortened to its number of frames (its paths differ between machines)."""
    shown = copy.deepcopy(record)
    payload = shown.get("responsePayload") if isinstance(shown, dict) else None
    if isinstance(payload, dict) and isinstance(payload.get("stackTrace"), list):
        payload["stackTrace"] = [f"<{len(payload['stackTrace'])} frame(s)>"]
    return Text(json.dumps(shown, indent=2))


def drain(queue_url: str, *, region: str = REGION) -> list[dict[str, Any]]:
    """Receive every visible message of the queue (with its attributes) and delete it, as a
    consumer of a destination or dead-letter queue would; oldest first as SQS hands them out."""
    import boto3

    sqs = boto3.client("sqs", region_name=region)
    found: list[dict[str, Any]] = []
    while True:
        got = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10,
                                  MessageAttributeNames=["All"]).get("Messages", [])
        if not got:
            return found
        for message in got:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        found += got


def wait_until_running(aws: Any, function_name: str, timeout: float = 10.0,
                       settle_s: float = 0.05) -> bool:
    """Wait (real time) until an Event invocation of ``function_name`` is running on the
    emulator's async queue, then ``settle_s`` more (it takes its concurrency slot just after it
    starts); False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(e.function_name == function_name and e.status == asyncq.RUNNING
               for e in aws.async_events):
            time.sleep(settle_s)
            return True
        time.sleep(0.005)
    return False
