"""The Kinesis Data Streams poller of an event source mapping: batches from moto's shards into
the function, per shard, in order per partition key.

A timer on the platform clock looks at every shard each :data:`POLL_S` seconds of platform
time, AWS's base rate, and again at once after a batch went through, so a backlog is read
batch after batch until the mapping has caught up. Records are never deleted: each shard
keeps its own checkpoint, starting at TRIM_HORIZON (the oldest record), LATEST (after the newest
record when the mapping is created) or AT_TIMESTAMP (the first record whose arrival time is at or
after the timestamp). For each shard:

* ``ParallelizationFactor`` N: the shard's records go to N lanes (virtual shards) by a hash of
  their partition key (Kinesis ``partitionKey``; DynamoDB the item's ``Keys``); each lane has
  at most one batch in flight, so up to N batches of a shard run at once (on a thread pool, as
  the SQS poller does) and records of one key are always processed in order: a failing batch
  blocks its lane, never letting later records of its keys overtake it;
* a batch of up to ``BatchSize`` records (and at most 6 MB of payload) is invoked through the
  Platform (reserved concurrency and throttles apply); with ``MaximumBatchingWindowInSeconds``
  a lane waits until the batch is full, the window has passed or the next record would pass
  6 MB;
* success checkpoints the batch; a function error retries the *same* batch after a back-off
  (1 s doubling to 30 s, platform time) until it succeeds, ``MaximumRetryAttempts`` retries are
  spent, or its oldest record is older than ``MaximumRecordAgeInSeconds`` (or the stream's
  retention). Throttles and other errors before the function ran are retried without counting
  toward ``MaximumRetryAttempts`` (DG kinesis-on-failure-destination);
* ``BisectBatchOnFunctionError``: a failed batch is split in two and each half retried on its
  own, down to single records; splitting does not count toward the retry quota;
* ``FunctionResponseTypes=["ReportBatchItemFailures"]``: ``{"batchItemFailures":
  [{"itemIdentifier": "<SequenceNumber>"}]}`` checkpoints before the lowest reported sequence
  number and retries from it (with bisect, only the rest is retried, as a split); an empty or
  null answer or list is success; an identifier that is empty, null, missing or not in the
  batch fails the whole batch;
* a batch given up on is skipped; with ``DestinationConfig.OnFailure`` (SQS or SNS) its batch
  info (not the records) is sent there first, as AWS does;
* ``TumblingWindowInSeconds``: windows aligned on the epoch by arrival time; a batch holds one
  window's records and the event adds ``window``, ``state`` (what the previous invocation of the
  window returned as ``{"state": ...}``), ``shardId``, ``eventSourceARN``,
  ``isFinalInvokeForWindow`` and ``isWindowTerminatedEarly``; once the window has ended a final
  invocation (no records) gets the last state; a state over 1 MB ends the window early (a final
  invocation, then the window goes on with a fresh state). A response without ``state`` fails;
* ``FilterCriteria``: a record no filter matches is skipped as it is first read (the
  checkpoint moves past it, nothing is invoked for it, no IteratorAge is reported for it), so
  batches hold only records that matched (:mod:`.filtering`);
* resharding: a child shard (``parent``/``adjacent_parent``) is read only once its parents are
  closed and read to the end (moto's resharding is made AWS's in :mod:`.hooks`).

Every invocation is recorded in :attr:`EventSourceMapping.history`. DynamoDB Streams run on the
same poller (:mod:`.dynamodb_streams` supplies the source, its shards and its record shape);
:mod:`.stream_records` holds the Kinesis record, batch-info and item-failure shapes.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import logging
import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..errors import InvalidParameterValueException, LambdaError, TooManyRequestsException
from ..limits import SYNC_PAYLOAD_MAX_BYTES
from .poller import ClockPoller
from .stream_records import batch_info, item_failure_index, kinesis_record

if TYPE_CHECKING:
    from ..platform import Platform
    from .mappings import EventSourceMapping

__all__ = ["StreamPoller", "batch_info", "item_failure_index", "kinesis_record", "lane_of"]

log = logging.getLogger("lambda_lab.sources")

POLL_S = 1.0  #: platform seconds between looks at each shard (AWS's base rate) ...
BUSY_S = 0.01  #: ... or this soon after a batch went through (the next GetRecords)
BACKOFF_FIRST_S = 1.0  #: the first retry of a failed batch waits this long ...
BACKOFF_MAX_S = 30.0  #: ... doubling each time up to this
HISTORY_MAX = 10_000
STATE_MAX_BYTES = 1024 * 1024  #: a tumbling window's state past this ends the window early
_EVENT_SLACK = 2048  #: bytes kept free in a 6 MB payload for the event's other keys


def _iso_seconds(t: float) -> str:
    return _dt.datetime.fromtimestamp(t, _dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def lane_of(key: str, factor: int) -> int:
    """The lane (virtual shard) of a partition key when a shard is read by ``factor`` lanes."""
    if factor <= 1:
        return 0
    return int(hashlib.md5(key.encode(), usedforsecurity=False).hexdigest(), 16) % factor


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


@dataclass
class _Piece:
    """A batch of one lane being invoked (records in sequence order), or a final window call."""

    records: list[Any]
    invokes: int = 0  #: invocations that held these records (approximateInvokeCount)
    retries: int = 0  #: failed invocations counted toward MaximumRetryAttempts
    fails: int = 0  #: failures in a row of this very batch (the back-off)
    retry_at: float | None = None
    window: float | None = None  #: start of its tumbling window
    final: bool = False  #: the window's final invocation (no records)
    early: bool = False  #: ... because the state passed 1 MB


@dataclass
class _Lane:
    """One virtual shard: its batches in order (the first is next) and its windows."""

    pieces: list[_Piece] = field(default_factory=list)
    since: float | None = None  #: when its batching window opened
    states: dict[float, Any] = field(default_factory=dict)  #: open tumbling windows' states


@dataclass
class _Shard:
    position: int  #: the checkpoint: every record up to this sequence number is done with
    done: set[int] = field(default_factory=set)  #: done with, after the checkpoint
    lanes: dict[int, _Lane] = field(default_factory=dict)

    def busy(self) -> bool:
        return any(lane.pieces or lane.states for lane in self.lanes.values())


@dataclass
class _Job:
    shard_id: str
    state: _Shard
    lane: _Lane
    piece: _Piece
    lane_index: int = 0
    payload: bytes = b""
    result: tuple[str, str, str | None, bytes | None] = ("", "", None, None)


class StreamPoller(ClockPoller):
    """Polls every shard of one Kinesis stream for one mapping on the platform clock.

    Raises (on construction) InvalidParameterValueException for a mapping of another kind or a
    missing stream. A subclass for another kind of stream overrides the class attributes and
    :meth:`_stream`, :meth:`_shards`, :meth:`_retention_s` and :meth:`_event_record` (a shard
    has ``records``, a dict sequence number -> record, and ``get_max_sequence_number()``, and
    may have ``parent``, ``adjacent_parent`` and ``is_open``; a record has ``sequence_number``,
    ``created_at`` and ``partition_key``)."""

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
        self._wake_at = 0.0  #: the soonest a lane needs a poll (set during a poll)

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
        if self.m.starting_position == "LATEST":
            return shard.get_max_sequence_number()
        return 0  # TRIM_HORIZON; AT_TIMESTAMP skips older records as it reads (_advance)

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
        shards = self._shards(stream)
        self._wake_at = now + POLL_S
        snapshots: dict[str, list[Any]] = {}
        jobs: list[_Job] = []
        for shard_id, shard in shards.items():
            state = self.shards.setdefault(shard_id, _Shard(0))  # a new (child) shard
            records = snapshots[shard_id] = list(shard.records.values())
            self._advance(state, records)
            if self._parents_done(shard, shards, snapshots):
                jobs += self._plan(shard_id, state, records, now)
        if jobs:
            self._run(jobs)
            if self._stopped:
                return
            now = self.clock.now()
            for job in jobs:
                self._settle_job(stream, job, now)
                if job.piece.records and all(p is not job.piece for p in job.lane.pieces):
                    # done with (through, or given up on). DG with-kinesis: "When more records
                    # are available, Lambda keeps processing batches until the function catches
                    # up with the stream."
                    self._wake_at = min(self._wake_at, now + BUSY_S)
        for shard_id, records in snapshots.items():  # past what went through or was filtered
            self._advance(self.shards[shard_id], records)
        self._schedule(self._wake_at)
        self._schedule(self.clock.now() + POLL_S)

    def _advance(self, state: _Shard, records: list[Any]) -> None:
        """Move the checkpoint over the records done with (and, with AT_TIMESTAMP, over the
        records that arrived before the timestamp)."""
        m = self.m
        at = m.starting_position_timestamp if m.starting_position == "AT_TIMESTAMP" else None
        for r in records:
            seq = r.sequence_number
            if seq <= state.position:
                continue
            if seq in state.done:
                state.done.discard(seq)
            elif at is None or r.created_at >= at:
                break
            state.position = seq

    def _parents_done(self, shard: Any, shards: dict[str, Any],
                      snapshots: dict[str, list[Any]]) -> bool:
        """Whether the shard's parents (if any) are closed and read to the end."""
        for parent_id in (getattr(shard, "parent", None), getattr(shard, "adjacent_parent", None)):
            if not parent_id or parent_id not in shards:
                continue  # no parent, or one no longer in the stream
            parent, state = shards[parent_id], self.shards.get(parent_id)
            records = snapshots.get(parent_id)
            if state is None or records is None or getattr(parent, "is_open", False):
                return False
            if state.busy() or (records and records[-1].sequence_number > state.position):
                return False
        return True

    def _key(self, record: Any) -> str:
        return str(record.partition_key)

    def _window_of(self, record: Any) -> float:
        size = self.m.tumbling_window
        return math.floor(record.created_at / size) * size

    def _plan(self, shard_id: str, state: _Shard, records: list[Any], now: float) -> list[_Job]:
        """The batches of this shard to invoke now: each lane's pending batch when its back-off
        is over, else its next batch of fresh records (or its window's final invocation)."""
        m = self.m
        factor = m.parallelization_factor
        held = {r.sequence_number for lane in state.lanes.values() for p in lane.pieces
                for r in p.records}
        blocked = {self._key(r) for lane in state.lanes.values() for p in lane.pieces
                   for r in p.records}
        fresh: dict[int, list[Any]] = {}
        region, role = self._region_role() if m.filters is not None else ("", "")
        for r in records:
            seq = r.sequence_number
            if seq <= state.position or seq in state.done or seq in held:
                continue
            if m.filters is not None and not m.filters.matches(
                    self.KIND, self._event_record(r, shard_id, region, role)):
                state.done.add(seq)  # skipped: the checkpoint moves past it (DG)
                m.filtered_out += 1
                continue
            key = self._key(r)
            if key in blocked:
                continue
            index = lane_of(key, factor)
            lane = state.lanes.get(index)
            if lane is not None and lane.pieces:
                blocked.add(key)  # its lane is busy: the key waits behind it
                continue
            fresh.setdefault(index, []).append(r)
        jobs = []
        for index in sorted(set(state.lanes) | set(fresh)):
            lane = state.lanes.setdefault(index, _Lane())
            if not lane.pieces:
                piece = self._next_piece(lane, fresh.get(index, []), now)
                if piece is None:
                    continue
                lane.pieces.append(piece)
            head = lane.pieces[0]
            if head.retry_at is not None and now < head.retry_at:
                self._wake_at = min(self._wake_at, head.retry_at)
                continue
            jobs.append(_Job(shard_id, state, lane, head, index))
        return jobs

    def _next_piece(self, lane: _Lane, records: list[Any], now: float) -> _Piece | None:
        """A lane's next batch from its fresh records, None to wait (batching window)."""
        m = self.m
        if m.tumbling_window and lane.states:
            start = min(lane.states)
            if now >= start + m.tumbling_window and not (
                    records and self._window_of(records[0]) == start):
                return _Piece([], window=start, final=True)
        if not records:
            lane.since = None
            return None
        batch, room = self._take(records, lane)
        if m.window and room:
            if lane.since is None:
                lane.since = now
            if now < lane.since + m.window:
                self._wake_at = min(self._wake_at, lane.since + m.window)
                return None
        lane.since = None
        window = self._window_of(batch[0]) if m.tumbling_window else None
        return _Piece(batch, window=window)

    def _take(self, records: list[Any], lane: _Lane) -> tuple[list[Any], bool]:
        """Up to BatchSize records within 6 MB of payload (and one tumbling window); whether the
        batch could still grow."""
        m = self.m
        region, role = self._region_role()
        budget = SYNC_PAYLOAD_MAX_BYTES - _EVENT_SLACK
        window = self._window_of(records[0]) if m.tumbling_window else None
        if window is not None:
            budget -= len(json.dumps(lane.states.get(window, {})))
        batch: list[Any] = []
        for r in records:
            if window is not None and self._window_of(r) != window:
                return batch, False
            size = len(json.dumps(self._event_record(r, "shardId-000000000000", region, role)))
            budget -= size + 2
            if budget < 0 and batch:
                return batch, False
            batch.append(r)
            if len(batch) >= m.batch_size:
                return batch, False
        return batch, True

    def _region_role(self) -> tuple[str, str]:
        m = self.m
        try:
            role = self.platform.version(m.function_name, m.qualifier).config.role
        except LambdaError:
            role = ""
        return m.event_source_arn.split(":")[3], role

    # ----------------------------------------------------------------- invoking

    def _run(self, jobs: list[_Job]) -> None:
        region, role = self._region_role()
        for job in jobs:
            job.payload = self._payload(job, region, role)
        sent = self.clock.now()
        results = self._run_all(self._invoke, [j.payload for j in jobs])
        recorder = getattr(self.platform, "metrics", None)  # CloudWatch, under mock_aws()
        for job, result in zip(jobs, results, strict=True):
            job.result = result
            if recorder is not None and job.piece.records and result[0] != "before":
                # IteratorAge: the last record's age when the batch was sent (DG)
                age_ms = (sent - job.piece.records[-1].created_at) * 1000.0
                recorder.record("IteratorAge", sent, self.m.function_name, self.m.function_arn,
                                None, max(age_ms, 0.0))

    def _payload(self, job: _Job, region: str, role: str) -> bytes:
        m, piece = self.m, job.piece
        event: dict[str, Any] = {"Records": [
            self._event_record(r, job.shard_id, region, role) for r in piece.records]}
        if m.tumbling_window and piece.window is not None:
            event.update({
                "window": {"start": _iso_seconds(piece.window),
                           "end": _iso_seconds(piece.window + m.tumbling_window)},
                "state": job.lane.states.get(piece.window, {}),
                "shardId": job.shard_id,
                "eventSourceARN": m.event_source_arn,
                "isFinalInvokeForWindow": piece.final,
                "isWindowTerminatedEarly": piece.early,
            })
        return json.dumps(event).encode()

    def _invoke(self, payload: bytes) -> tuple[str, str, str | None, bytes | None]:
        """Run one batch: (category, outcome, request id, response). The category is ``ok``,
        ``function`` (a function error: counts as a retry) or ``before`` (the function did not
        run: throttle, missing function, system error)."""
        m = self.m
        self.invocations += 1
        try:
            inv = self.platform.invoke(m.function_name, payload, qualifier=m.qualifier)
        except TooManyRequestsException as e:
            return "before", f"throttled: {e.message}", None, None
        except LambdaError as e:
            return "before", f"{e.code}: {e.message}", None, None
        except Exception as e:  # a system error: the batch is retried
            return "before", f"system error: {type(e).__name__}: {e}", None, None
        result = inv.result
        if result is None or result.function_error:
            kind = result.function_error if result is not None else "no result"
            return "function", f"function error ({kind})", inv.request_id, None
        return "ok", "success", inv.request_id, result.raw_payload

    # ----------------------------------------------------------------- after a batch

    def _settle_job(self, stream: Any, job: _Job, now: float) -> None:
        """Checkpoint, split, retry or give up on a lane's batch after its invocation."""
        m, lane, piece = self.m, job.lane, job.piece
        category, outcome, request_id, raw = job.result
        piece.invokes += 1
        done, rest = ([], piece.records) if category != "ok" else (piece.records, [])
        early: _Piece | None = None
        if category == "ok":
            try:
                answer = json.loads(raw or b"null")
            except ValueError:
                answer = raw  # not JSON: no state, no valid batchItemFailures
            windowed = m.tumbling_window and piece.window is not None
            if windowed and not (isinstance(answer, dict) and "state" in answer):
                category, outcome = "function", "no state in the response"  # emulator wording
                done, rest = [], piece.records
            elif m.reports_item_failures and piece.records:
                seqs = [str(r.sequence_number) for r in piece.records]
                index = item_failure_index(answer, seqs)
                if index == -1:
                    category, outcome = "function", "malformed batchItemFailures response"
                    done, rest = [], piece.records
                elif index is not None:
                    outcome = "partial failure"
                    done, rest = piece.records[:index], piece.records[index:]
                    if not done:
                        category = "function"  # nothing checkpointed: the batch failed
            if category == "ok" and windowed:
                early = self._window_state(lane, piece, answer["state"])
        entry = self._record(job, outcome, request_id, done)
        state = job.state
        state.done.update(r.sequence_number for r in done)
        if not rest:  # checkpointed to the end
            lane.pieces.pop(0)
            if early is not None:
                lane.pieces.insert(0, early)
            return
        if category == "ok":  # a partial failure: the rest is retried
            after = _Piece(rest, piece.invokes, piece.retries, piece.fails, window=piece.window)
            if m.bisect:  # split at the reported record; a split is not a retry
                lane.pieces[0] = after
                return
            piece = lane.pieces[0] = after
            category = "function"
        elif category == "function" and m.bisect and len(rest) > 1:
            half = len(rest) // 2
            lane.pieces[0:1] = [_Piece(part, piece.invokes, piece.retries, window=piece.window)
                                for part in (rest[:half], rest[half:])]
            entry["bisected"] = True
            return
        counted = category == "function"
        piece.fails += 1
        piece.retries += counted
        condition = self._give_up(stream, piece, counted, now) if piece.records else None
        if condition is None:
            piece.retry_at = now + min(BACKOFF_FIRST_S * 2 ** (piece.fails - 1), BACKOFF_MAX_S)
            self._wake_at = min(self._wake_at, piece.retry_at)
            return
        log.info("%s batch %s-%s of %s for %s given up on (%s) after %d invocation(s)",
                 self.LABEL, piece.records[0].sequence_number,
                 piece.records[-1].sequence_number, job.shard_id, m.function_arn, condition,
                 piece.invokes)
        if m.on_failure:
            info = batch_info(piece.records, job.shard_id, m.event_source_arn, m.function_arn,
                              request_id, piece.invokes, condition, now,
                              key=self.BATCH_INFO_KEY)
            try:
                self._deliver(m.on_failure, json.dumps(info))
            except Exception as e:  # the destination is gone: the batch is still skipped
                log.warning("on-failure destination %s of %s: %s", m.on_failure, m.uuid, e)
                m.last_processing_result = f"PROBLEM: on-failure destination: {e}"
        entry["discarded"] = condition
        entry["discarded_records"] = [str(r.sequence_number) for r in piece.records]
        state.done.update(r.sequence_number for r in piece.records)
        lane.pieces.pop(0)

    def _window_state(self, lane: _Lane, piece: _Piece, state: Any) -> _Piece | None:
        """Keep what a windowed invocation returned; the early final invocation it calls for."""
        assert piece.window is not None
        if piece.final:
            if piece.early:
                lane.states[piece.window] = {}  # the window goes on with a fresh state
            else:
                lane.states.pop(piece.window, None)  # the window is over
            return None
        lane.states[piece.window] = state
        if len(json.dumps(state).encode()) > STATE_MAX_BYTES:
            return _Piece([], window=piece.window, final=True, early=True)
        return None

    def _give_up(self, stream: Any, piece: _Piece, counted: bool, now: float) -> str | None:
        """Why a failed batch is skipped now (AWS's condition), or None to retry it."""
        m = self.m
        if counted and m.maximum_retry_attempts != -1 and piece.retries > m.maximum_retry_attempts:
            return "RetryAttemptsExhausted"
        age = now - piece.records[0].created_at
        if m.maximum_record_age != -1 and age >= m.maximum_record_age:
            return "RecordAgeExceeded"
        if age >= self._retention_s(stream):
            return "RecordAgeExceeded"  # the records expired from the stream
        return None

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

    def _record(self, job: _Job, outcome: str, request_id: str | None,
                done: list[Any]) -> dict[str, Any]:
        m, piece = self.m, job.piece
        m.last_processing_result = "OK" if outcome == "success" else f"PROBLEM: {outcome}"
        if outcome != "success":
            log.info("%s batch of %s for %s: %s (attempt %d)", self.LABEL, job.shard_id,
                     m.function_arn, outcome, piece.invokes)
        entry: dict[str, Any] = {
            "time": self.clock.now(), "request_id": request_id, "shard_id": job.shard_id,
            "records": [str(r.sequence_number) for r in piece.records],
            "outcome": outcome, "attempt": piece.invokes, "lane": job.lane_index,
            "succeeded": [str(r.sequence_number) for r in done]}
        if piece.window is not None:
            entry.update(window=piece.window, final=piece.final)
        m.history.append(entry)
        if len(m.history) > HISTORY_MAX:
            del m.history[: len(m.history) - HISTORY_MAX]
        return entry
