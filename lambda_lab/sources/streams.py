"""The Kinesis Data Streams poller of an event source mapping: batches from moto's shards into
the function, per shard and in order.

A timer on the platform clock looks at every shard each :data:`POLL_S` seconds of platform
time. Records are never deleted: each shard keeps its own position (the last sequence number
the mapping has finished with), starting at TRIM_HORIZON (the oldest record), LATEST (after the
newest record when the mapping is created) or AT_TIMESTAMP. For each shard:

* a batch of up to ``BatchSize`` records after the position is invoked through the Platform
  (so reserved concurrency and throttles apply);
* success moves the position past the batch;
* a failure (function error, throttle, system error) blocks the shard: the *same* batch is
  retried after a back-off (1 s doubling to 30 s, platform time) until it succeeds, until
  ``MaximumRetryAttempts`` retries are spent, or until its oldest record is older than
  ``MaximumRecordAgeInSeconds`` (or the stream's retention period: with the default -1 the
  batch is retried until its records expire);
* a batch given up on is skipped; with ``DestinationConfig.OnFailure`` (SQS or SNS) its batch
  info (not the records) is sent there first, as AWS does.

Every invocation is recorded in :attr:`EventSourceMapping.history`. Not modelled (yet):
ParallelizationFactor > 1, BisectBatchOnFunctionError, ReportBatchItemFailures checkpoints,
tumbling windows, batching windows, resharding order (a child shard is read as soon as it
appears). DynamoDB Streams run on the same poller (:mod:`.dynamodb_streams` supplies the
source, its shards and its record shape).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..errors import InvalidParameterValueException, LambdaError, TooManyRequestsException
from .poller import ClockPoller

if TYPE_CHECKING:
    from ..platform import Platform
    from .mappings import EventSourceMapping

__all__ = ["StreamPoller", "batch_info", "kinesis_record"]

log = logging.getLogger("lambda_lab.sources")

POLL_S = 1.0  #: platform seconds between looks at each shard
BACKOFF_FIRST_S = 1.0  #: the first retry of a failed batch waits this long ...
BACKOFF_MAX_S = 30.0  #: ... doubling each time up to this
HISTORY_MAX = 10_000


def _timestamp(t: float) -> str:
    d = _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


def stream_of(arn: str) -> Any:
    """moto's Stream for a stream ARN. Raises InvalidParameterValueException if there is none."""
    from moto.kinesis.models import kinesis_backends

    parts = arn.split(":")
    region, account = parts[3], parts[4]
    for stream in list(kinesis_backends[account][region].streams.values()):
        if stream.arn == arn:
            return stream
    raise InvalidParameterValueException(  # emulator wording
        f"Stream not found: {arn}")


def kinesis_record(record: Any, shard_id: str, stream_arn: str, region: str,
                   role: str) -> dict[str, Any]:
    """One ``Records`` entry as Lambda's Kinesis poller sends it (from a moto Record)."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record.partition_key,
            "sequenceNumber": str(record.sequence_number),
            "data": record.data,  # moto keeps the base64 text it was given
            "approximateArrivalTimestamp": record.created_at,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{record.sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": role,
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


def batch_info(records: list[Any], shard_id: str, stream_arn: str, function_arn: str,
               request_id: str | None, attempts: int, condition: str, now: float,
               key: str = "KinesisBatchInfo") -> dict[str, Any]:
    """The on-failure destination record of a batch given up on (the batch's coordinates,
    not its data: a consumer reads the records from the stream with them)."""
    return {
        "requestContext": {
            "requestId": request_id,
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": attempts,
        },
        "version": "1.0",
        "timestamp": _timestamp(now),
        key: {
            "shardId": shard_id,
            "startSequenceNumber": str(records[0].sequence_number),
            "endSequenceNumber": str(records[-1].sequence_number),
            "approximateArrivalOfFirstRecord": _timestamp(records[0].created_at),
            "approximateArrivalOfLastRecord": _timestamp(records[-1].created_at),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


@dataclass
class _Shard:
    position: int  #: the last sequence number done with (records after it are next)
    end: int | None = None  #: the last sequence number of the failed batch being retried
    attempts: int = 0  #: invocations of that batch so far
    retry_at: float | None = None


class StreamPoller(ClockPoller):
    """Polls every shard of one Kinesis stream for one mapping on the platform clock.

    Raises (on construction) InvalidParameterValueException for a mapping of another kind or a
    missing stream. A subclass for another kind of stream overrides the class attributes and
    :meth:`_stream`, :meth:`_shards`, :meth:`_retention_s` and :meth:`_event_record` (a shard
    has ``records``, a dict sequence number -> record, and ``get_max_sequence_number()``; a
    record has ``sequence_number`` and ``created_at``)."""

    KIND = "kinesis"
    LABEL = "Kinesis"  #: in log lines
    BATCH_INFO_KEY = "KinesisBatchInfo"

    def __init__(self, platform: Platform, m: EventSourceMapping) -> None:
        if m.kind != self.KIND:
            raise InvalidParameterValueException(
                f"{type(self).__name__} does not poll {m.kind} sources.")  # emulator wording
        self.m = m
        stream = self._stream()
        super().__init__(platform, m)
        self.shards: dict[str, _Shard] = {}
        for shard_id, shard in self._shards(stream).items():
            self.shards[shard_id] = _Shard(self._start_position(shard))

    # ----------------------------------------------------------------- the source

    def _stream(self) -> Any:
        """The source (InvalidParameterValueException if it does not exist)."""
        return stream_of(self.m.event_source_arn)

    def _shards(self, stream: Any) -> dict[str, Any]:
        return dict(list(stream.shards.items()))

    def _retention_s(self, stream: Any) -> float:
        return int(stream.retention_period_hours) * 3600

    def _event_record(self, record: Any, shard_id: str, region: str,
                      role: str) -> dict[str, Any]:
        return kinesis_record(record, shard_id, self.m.event_source_arn, region, role)

    def _start_position(self, shard: Any) -> int:
        m = self.m
        if m.starting_position == "LATEST":
            return shard.get_max_sequence_number()
        if m.starting_position == "AT_TIMESTAMP" and m.starting_position_timestamp is not None:
            before = [seq for seq, r in list(shard.records.items())
                      if r.created_at < m.starting_position_timestamp]
            return before[-1] if before else 0
        return 0  # TRIM_HORIZON

    # ----------------------------------------------------------------- one poll

    def _tick(self) -> None:
        m = self.m
        if not self._settle():
            return  # an update that enables the mapping wakes it
        now = self.clock.now()
        try:
            stream = self._stream()
        except InvalidParameterValueException:
            m.last_processing_result = "PROBLEM: the stream does not exist"
            self._schedule(now + POLL_S)
            return
        for shard_id, shard in self._shards(stream).items():
            state = self.shards.setdefault(shard_id, _Shard(0))  # a new (child) shard
            if state.retry_at is not None and now < state.retry_at:
                continue
            self._poll_shard(stream, shard_id, shard, state)
            if self._stopped:
                return
        self._schedule(self.clock.now() + POLL_S)

    def _poll_shard(self, stream: Any, shard_id: str, shard: Any, state: _Shard) -> None:
        m = self.m
        batch = []
        for seq, record in list(shard.records.items()):
            if seq <= state.position:
                continue
            if state.end is not None and seq > state.end:
                break
            batch.append(record)
            if len(batch) >= m.batch_size:
                break
        if not batch:
            state.end = state.retry_at = None
            state.attempts = 0
            return
        state.attempts += 1
        outcome, request_id = self._invoke(shard_id, batch)
        self._record(shard_id, batch, outcome, request_id, state.attempts)
        if outcome == "success":
            state.position = batch[-1].sequence_number
            state.end = state.retry_at = None
            state.attempts = 0
            return
        now = self.clock.now()
        condition = self._give_up(stream, batch, state, now)
        if condition is None:
            state.end = batch[-1].sequence_number
            wait = min(BACKOFF_FIRST_S * 2 ** (state.attempts - 1), BACKOFF_MAX_S)
            state.retry_at = now + wait
            return
        log.info("%s batch %s-%s of %s for %s given up on (%s) after %d invocation(s)",
                 self.LABEL, batch[0].sequence_number, batch[-1].sequence_number, shard_id,
                 m.function_arn, condition, state.attempts)
        if m.on_failure:
            info = batch_info(batch, shard_id, m.event_source_arn, m.function_arn, request_id,
                              state.attempts, condition, now, key=self.BATCH_INFO_KEY)
            try:
                self._deliver(m.on_failure, json.dumps(info))
            except Exception as e:  # the destination is gone: the batch is still skipped
                log.warning("on-failure destination %s of %s: %s", m.on_failure, m.uuid, e)
                m.last_processing_result = f"PROBLEM: on-failure destination: {e}"
        if m.history:
            m.history[-1]["discarded"] = condition
        state.position = batch[-1].sequence_number
        state.end = state.retry_at = None
        state.attempts = 0

    def _give_up(self, stream: Any, batch: list[Any], state: _Shard, now: float) -> str | None:
        """Why a failed batch is skipped now (AWS's condition), or None to retry it."""
        m = self.m
        if m.maximum_retry_attempts != -1 and state.attempts > m.maximum_retry_attempts:
            return "RetryAttemptsExhausted"
        age = now - batch[0].created_at
        if m.maximum_record_age != -1 and age >= m.maximum_record_age:
            return "RecordAgeExceeded"
        if age >= self._retention_s(stream):
            return "RecordAgeExceeded"  # the records expired from the stream
        return None

    def _invoke(self, shard_id: str, batch: list[Any]) -> tuple[str, str | None]:
        m = self.m
        region = m.event_source_arn.split(":")[3]
        try:
            role = self.platform.version(m.function_name, m.qualifier).config.role
        except LambdaError as e:
            return f"{e.code}: {e.message}", None
        payload = json.dumps({"Records": [
            self._event_record(r, shard_id, region, role) for r in batch]})
        self.invocations += 1
        try:
            inv = self.platform.invoke(m.function_name, payload.encode(), qualifier=m.qualifier)
        except TooManyRequestsException as e:
            return f"throttled: {e.message}", None
        except LambdaError as e:
            return f"{e.code}: {e.message}", None
        except Exception as e:  # a system error: the batch is retried
            return f"system error: {type(e).__name__}: {e}", None
        result = inv.result
        if result is None or result.function_error:
            kind = result.function_error if result is not None else "no result"
            return f"function error ({kind})", inv.request_id
        return "success", inv.request_id

    def _deliver(self, arn: str, body: str) -> None:
        parts = arn.split(":")
        service, region, account = parts[2], parts[3], parts[4]
        if service == "sqs":
            from moto.sqs.models import sqs_backends

            sqs_backends[account][region].send_message(parts[5], body)
        elif service == "sns":
            from moto.sns.models import sns_backends

            sns_backends[account][region].publish(body, arn=arn)
        else:
            raise RuntimeError(f"lambda_lab does not deliver batch info to {service} ({arn})")

    def _record(self, shard_id: str, batch: list[Any], outcome: str, request_id: str | None,
                attempt: int) -> None:
        m = self.m
        m.last_processing_result = "OK" if outcome == "success" else f"PROBLEM: {outcome}"
        if outcome != "success":
            log.info("%s batch of %s for %s: %s (attempt %d)", self.LABEL, shard_id,
                     m.function_arn, outcome, attempt)
        m.history.append({"time": self.clock.now(), "request_id": request_id,
                          "shard_id": shard_id,
                          "records": [str(r.sequence_number) for r in batch],
                          "outcome": outcome, "attempt": attempt})
        if len(m.history) > HISTORY_MAX:
            del m.history[: len(m.history) - HISTORY_MAX]
