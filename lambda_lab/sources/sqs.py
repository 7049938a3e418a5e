"""The SQS poller of an event source mapping: batches from moto's queue into the function.

A timer on the platform clock (never a call inside SendMessage: a new message only moves the
timer to now). Each poll receives up to the scaling limit's number of batches
(:func:`~lambda_lab.sources.scaling.sqs_concurrency_limit`), invokes the function once per batch
through the Platform (so reserved concurrency and throttles apply), concurrently, and then:

* success deletes the batch;
* a function error, a throttle or a malformed ``batchItemFailures`` answer leaves the whole batch
  in flight, to reappear after the queue's visibility timeout (and, with a redrive policy, to move
  to the dead-letter queue after ``maxReceiveCount`` receives, as moto's queue does);
* with ``FunctionResponseTypes=["ReportBatchItemFailures"]`` only the listed messages stay;
* with ``FilterCriteria``, a message no filter matches is deleted without an invocation (never
  redelivered, never redriven): at each poll the visible messages are filtered before the
  batching window counts them, so batches are formed from what matched (DG "If you're using
  batching windows, Lambda applies your filter criteria to each new event").

So a failed batch never vanishes: it is back in the queue, or in the queue's DLQ. Every batch is
recorded in :attr:`EventSourceMapping.history`.
"""

from __future__ import annotations

import base64
import json
import logging
from typing import TYPE_CHECKING, Any

from ..errors import InvalidParameterValueException, LambdaError, TooManyRequestsException
from .hooks import frozen_time
from .poller import ClockPoller
from .scaling import sqs_concurrency_limit

if TYPE_CHECKING:
    from ..platform import Platform
    from .mappings import EventSourceMapping

__all__ = ["SqsPoller", "check_visibility", "parse_item_failures", "sqs_record"]

log = logging.getLogger("lambda_lab.sources")

BUSY_S = 0.001  #: platform seconds between polls while messages keep coming
IDLE_S = 10.0  #: the longest an idle poller sleeps (a new message wakes it at once)
HISTORY_MAX = 10_000


def _where(arn: str) -> tuple[str, str, str]:
    parts = arn.split(":")
    return parts[3], parts[4], parts[5]


def queue_of(arn: str) -> Any:
    """moto's Queue for a queue ARN. Raises InvalidParameterValueException if there is none."""
    from moto.sqs.exceptions import QueueDoesNotExist
    from moto.sqs.models import sqs_backends

    region, account, name = _where(arn)
    try:
        return sqs_backends[account][region].get_queue(name)
    except QueueDoesNotExist:
        raise InvalidParameterValueException(
            "Error occurred while ReceiveMessage. SQS Error Code: "
            "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue "
            "does not exist.") from None  # AWS's recorded answer


def check_visibility(platform: Platform, m: EventSourceMapping) -> None:
    """Raise InvalidParameterValueException when the queue's visibility timeout is shorter than
    the function's timeout (AWS checks it on create and update)."""
    queue = queue_of(m.event_source_arn)
    timeout = platform.version(m.function_name, m.qualifier).config.timeout
    visibility = int(queue.visibility_timeout)
    if visibility < timeout:
        raise InvalidParameterValueException(
            f"Queue visibility timeout: {visibility} seconds is less than Function timeout: "
            f"{timeout} seconds")


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"stringListValues": [], "binaryListValues": [],
                           "dataType": value.get("DataType", "String")}
    if value.get("StringValue") is not None:
        out["stringValue"] = value["StringValue"]
    if value.get("BinaryValue") is not None:
        binary = value["BinaryValue"]
        out["binaryValue"] = (base64.b64encode(binary).decode()
                              if isinstance(binary, bytes) else binary)
    return out


def sqs_record(msg: Any, queue_arn: str, region: str) -> dict[str, Any]:
    """One ``Records`` entry as Lambda's SQS poller sends it (from a received moto Message)."""
    attributes = {
        "ApproximateReceiveCount": str(msg.approximate_receive_count),
        "SentTimestamp": str(msg.sent_timestamp),
        "SenderId": msg.sender_id,
        "ApproximateFirstReceiveTimestamp": str(msg.approximate_first_receive_timestamp),
    }
    trace = (msg.system_attributes or {}).get("AWSTraceHeader")
    if trace:
        attributes["AWSTraceHeader"] = trace.get("StringValue", trace) \
            if isinstance(trace, dict) else trace
    if queue_arn.endswith(".fifo"):
        attributes["SequenceNumber"] = msg.sequence_number
        attributes["MessageGroupId"] = msg.group_id
        attributes["MessageDeduplicationId"] = msg.deduplication_id
    return {
        "messageId": msg.id,
        "receiptHandle": msg.receipt_handle,
        "body": msg.body,
        "attributes": attributes,
        "messageAttributes": {k: _attribute(v) for k, v in msg.message_attributes.items()},
        "md5OfMessageAttributes": msg.attribute_md5 if msg.message_attributes else None,
        "md5OfBody": msg.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }


def parse_item_failures(raw: bytes | None, ids: list[str]) -> set[str] | None:
    """The message ids a ReportBatchItemFailures answer returns to the queue; None when the
    answer is malformed (then the whole batch fails, DG services-sqs-errorhandling)."""
    try:
        answer = json.loads(raw or b"null")
    except ValueError:
        return None
    if answer is None:
        return set()
    if not isinstance(answer, dict):
        return None
    items = answer.get("batchItemFailures")
    if items is None:
        return set()
    if not isinstance(items, list):
        return None
    failed: set[str] = set()
    known = set(ids)
    for item in items:
        if not isinstance(item, dict) or "itemIdentifier" not in item:
            return None
        ident = item["itemIdentifier"]
        if not isinstance(ident, str) or ident not in known:
            return None
        failed.add(ident)
    return failed


def _release_visible(queue: Any) -> None:
    """Drop messages whose visibility timeout ran out from moto's in-flight set first: moto does
    it one message at a time while receiving, so a group whose in-flight messages all became
    visible looks still busy for its first message, and the second is delivered before it."""
    for msg in list(queue.pending_messages):
        if msg.visible:
            queue.pending_messages.discard(msg)


def _delete_many(queue: Any, handles: set[str]) -> None:
    """DeleteMessage for many receipt handles in one pass (moto's scans the queue per call)."""
    kept = []
    for msg in queue._messages:
        if msg.receipt_handle in handles:
            queue.pending_messages.discard(msg)
            queue.deleted_messages.update(msg.all_receipt_handles)
        else:
            kept.append(msg)
    queue._messages = kept


def _discard(queue: Any, ids: set[str]) -> None:
    """Delete the messages with these ids, visible or received."""
    kept = []
    for msg in queue._messages:
        if msg.id in ids:
            queue.pending_messages.discard(msg)
            if msg.receipt_handle:
                queue.deleted_messages.update(msg.all_receipt_handles)
        else:
            kept.append(msg)
    queue._messages = kept


class SqsPoller(ClockPoller):
    """Polls one queue for one mapping on the platform clock.

    Raises (on construction) InvalidParameterValueException for a missing queue or a visibility
    timeout shorter than the function's timeout."""

    def __init__(self, platform: Platform, m: EventSourceMapping) -> None:
        check_visibility(platform, m)
        super().__init__(platform, m)
        self._backlog_since: float | None = None
        self._window_since: float | None = None

    # ----------------------------------------------------------------- one poll

    def _tick(self) -> None:
        m = self.m
        if not self._settle():
            self._backlog_since = self._window_since = None
            return  # an update that enables the mapping wakes it
        from moto.sqs.models import sqs_backends

        region, account, name = _where(m.event_source_arn)
        backend = sqs_backends[account][region]
        queue = backend.queues.get(name)
        now = self.clock.now()
        if queue is None:
            m.last_processing_result = "PROBLEM: the queue does not exist"
            self._schedule(now + IDLE_S)
            return
        visible = queue.messages
        if m.filters is not None and visible:
            visible = self._drop_filtered(queue, visible)
        if not visible:
            self._backlog_since = self._window_since = None
            self._schedule(self._next_visible(queue, now))
            return
        if self._backlog_since is None:
            self._backlog_since = now
        if m.window and len(visible) < m.batch_size:
            if self._window_since is None:
                self._window_since = now
            if now < self._window_since + m.window:
                self._schedule(min(self._window_since + m.window,
                                   self._next_visible(queue, now)))
                return
        self._window_since = None
        limit = self.limit(now, queue, visible)
        batches = []
        with frozen_time(now):
            _release_visible(queue)
            for _ in range(limit):
                got = backend.receive_message(name, m.batch_size, 0,
                                              int(queue.visibility_timeout),
                                              message_attribute_names=["All"])
                if not got:
                    break
                batches.append(got)
        if m.filters is not None:
            batches = [b for b in (self._drop_filtered(queue, b) for b in batches) if b]
        if batches:
            self._run(backend, name, batches)
            self._schedule(self.clock.now() + BUSY_S)
        else:
            self._schedule(self._next_visible(queue, now))

    def _drop_filtered(self, queue: Any, messages: list[Any]) -> list[Any]:
        """Delete the messages no filter matches (DG: "If an Amazon SQS message doesn't
        satisfy your filter criteria, Lambda automatically removes the message from the
        queue"); the rest, in order."""
        m = self.m
        assert m.filters is not None
        region = m.event_source_arn.split(":")[3]
        kept, dropped = [], set()
        for msg in messages:
            if m.filters.matches("sqs", sqs_record(msg, m.event_source_arn, region)):
                kept.append(msg)
            else:
                dropped.add(msg.id)
        if dropped:
            _discard(queue, dropped)
            m.filtered_out += len(dropped)
            log.info("SQS filter of %s: %d message(s) deleted from %s", m.uuid, len(dropped),
                     m.event_source_arn)
        return kept

    def limit(self, now: float, queue: Any, visible: list[Any]) -> int:
        """How many batches this poll may run (the scaling rule, MaximumConcurrency, FIFO)."""
        rule = getattr(self.platform.concurrency, "scaling_rule", "2023")
        groups = len({msg.group_id for msg in visible}) if queue.fifo_queue else None
        elapsed = now - (self._backlog_since if self._backlog_since is not None else now)
        return sqs_concurrency_limit(elapsed, rule if rule in ("2023", "2020") else "2023",
                                     self.m.maximum_concurrency, fifo_groups=groups)

    @staticmethod
    def _next_visible(queue: Any, now: float) -> float:
        """When the earliest in-flight or delayed message becomes visible (moto compares
        milliseconds strictly), at most IDLE_S away."""
        soonest = now + IDLE_S
        for msg in list(queue._messages):
            for ms in (msg.visible_at, msg.delayed_until):
                if ms / 1000.0 > now:
                    soonest = min(soonest, ms / 1000.0 + 0.001)
        return soonest

    def _run(self, backend: Any, queue_name: str, batches: list[list[Any]]) -> None:
        outcomes = self._run_all(self._invoke, batches)
        done: set[str] = set()
        for batch, (outcome, failed, request_id) in zip(batches, outcomes, strict=True):
            done.update(msg.receipt_handle for msg in batch if msg.id not in failed)
            self._record(batch, outcome, failed, request_id)
        queue = backend.queues.get(queue_name)
        if queue is not None and done:
            _delete_many(queue, done)

    def _invoke(self, batch: list[Any]) -> tuple[str, set[str], str | None]:
        """Run one batch: (outcome, ids that stay in the queue, request id)."""
        m = self.m
        region = m.event_source_arn.split(":")[3]
        ids = [msg.id for msg in batch]
        payload = json.dumps({"Records": [sqs_record(msg, m.event_source_arn, region)
                                          for msg in batch]}).encode()
        self.invocations += 1
        try:
            inv = self.platform.invoke(m.function_name, payload, qualifier=m.qualifier,
                                       trace_id=_trace_header(batch))
        except TooManyRequestsException as e:
            return f"throttled: {e.message}", set(ids), None
        except LambdaError as e:
            return f"{e.code}: {e.message}", set(ids), None
        except Exception as e:  # a system error: the batch returns to the queue
            return f"system error: {type(e).__name__}: {e}", set(ids), None
        result = inv.result
        if result is None or result.function_error:
            kind = result.function_error if result is not None else "no result"
            return f"function error ({kind})", set(ids), inv.request_id
        if not m.reports_item_failures:
            return "success", set(), inv.request_id
        failed = parse_item_failures(result.raw_payload, ids)
        if failed is None:
            return "malformed batchItemFailures response", set(ids), inv.request_id
        return ("partial failure" if failed else "success"), failed, inv.request_id

    def _record(self, batch: list[Any], outcome: str, failed: set[str],
                request_id: str | None) -> None:
        m = self.m
        m.last_processing_result = "OK" if outcome == "success" else f"PROBLEM: {outcome}"
        if outcome != "success":
            log.info("SQS batch for %s: %s; %d message(s) return to %s after the visibility "
                     "timeout", m.function_arn, outcome, len(failed), m.event_source_arn)
        m.history.append({"time": self.clock.now(), "request_id": request_id,
                          "messages": [msg.id for msg in batch], "outcome": outcome,
                          "failed": sorted(failed)})
        if len(m.history) > HISTORY_MAX:
            del m.history[: len(m.history) - HISTORY_MAX]


def _trace_header(batch: list[Any]) -> str | None:
    """The batch's AWSTraceHeader (the sender's X-Amzn-Trace-Id): recursive-loop detection
    follows its lineage, so a function feeding its own queue is stopped as on AWS."""
    for msg in batch:
        trace = (msg.system_attributes or {}).get("AWSTraceHeader")
        if trace:
            return trace.get("StringValue") if isinstance(trace, dict) else str(trace)
    return None
