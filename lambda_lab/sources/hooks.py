"""What ``mock_aws()`` installs for event sources: moto's clocks, wake-ups and trigger hooks.

* moto's SQS reads the platform clock (visibility timeouts, delays and timestamps follow
  ``aws.advance``), and so do moto's Kinesis arrival timestamps and DynamoDB stream record
  times;
* a message added to a queue (by anyone: the notebook, a handler, SNS, a DLQ) moves the pollers
  of that queue to now — a timer, never an invocation inside SendMessage;
* EventBridge, S3 and SNS deliveries to Lambda targets go to :mod:`lambda_lab.sources.triggers`;
* Kinesis resharding as AWS does it (moto 5 re-puts a split parent's records, copies merged
  parents' records into the child and routes new records to closed shards): SplitShard,
  MergeShards and UpdateShardCount (uniform, by splits and merges) close the parents, which keep
  their records; PutRecord(s) go to the open shard holding the hash key; a child starts empty,
  its sequence numbers after its parents'; GetRecords at the end of a closed shard has no
  NextShardIterator and lists ChildShards.

:func:`install` is called by :meth:`MockAWS.start`, :func:`uninstall` by :meth:`MockAWS.stop`.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from . import mappings

__all__ = ["frozen_time", "install", "uninstall"]

_installed: dict[int, list[Any]] = {}
_lock = threading.Lock()
_frozen = threading.local()


_sending = threading.local()  # the X-Amzn-Trace-Id of the SendMessage being handled


@contextmanager
def frozen_time(now: float) -> Iterator[None]:
    """moto's SQS sees platform time stand still at ``now`` in this thread (a poll's receives
    must agree on which messages are visible while the real-time clock moves on)."""
    _frozen.now = now
    try:
        yield
    finally:
        _frozen.now = None


def install(aws: Any) -> None:
    """Patch moto for the session ``aws`` (a MockAWS whose clock is set)."""
    import moto.sqs.models as sqs_models

    clock = aws.clock

    def now() -> float:
        frozen = getattr(_frozen, "now", None)
        return clock.now() if frozen is None else frozen

    def unix_time(dt: Any = None) -> float:
        return now() if dt is None else _real_unix_time(dt)

    def unix_time_millis(dt: Any = None) -> float:
        return now() * 1000.0 if dt is None else _real_unix_time_millis(dt)

    original_add = sqs_models.Queue.add_message

    def add_message(queue: Any, message: Any) -> None:
        original_add(queue, message)
        _wake(queue.queue_arn)

    def retention_ok(backend: Any, queue_name: str, message: Any) -> bool:
        # moto computes every queue attribute (O(messages)) for each message it receives
        retention = int(backend.get_queue(queue_name).message_retention_period)
        return retention + message.sent_timestamp / 1000 > now()

    import moto.sqs.responses as sqs_responses

    original_send = sqs_models.SQSBackend.send_message
    send_responses = {name: getattr(sqs_responses.SQSResponse, name)
                      for name in ("send_message", "send_message_batch")}

    def send_message(backend: Any, *args: Any, **kwargs: Any) -> Any:
        # SQS keeps the sender's X-Amzn-Trace-Id as the AWSTraceHeader system attribute, which
        # carries recursive-loop detection's lineage from a handler through the queue.
        trace = getattr(_sending, "trace", None)
        if trace and not (kwargs.get("system_attributes") or {}).get("AWSTraceHeader"):
            attrs = dict(kwargs.get("system_attributes") or {})
            attrs["AWSTraceHeader"] = {"StringValue": trace, "DataType": "String"}
            kwargs["system_attributes"] = attrs
        return original_send(backend, *args, **kwargs)

    def with_trace(name: str) -> Any:
        original = send_responses[name]

        def respond(response: Any) -> Any:
            _sending.trace = response.headers.get("X-Amzn-Trace-Id")
            try:
                return original(response)
            finally:
                _sending.trace = None

        return respond

    import moto.kinesis.models as kinesis_models

    def utcnow() -> Any:  # Kinesis arrival timestamps follow the platform clock too
        import datetime

        return datetime.datetime.fromtimestamp(now(), datetime.timezone.utc).replace(tzinfo=None)

    import moto.dynamodb.models.table as dynamodb_table_models

    patches = [
        mock.patch.object(kinesis_models, "utcnow", utcnow),
        # DynamoDB stream records' ApproximateCreationDateTime (and stream labels) too
        mock.patch.object(dynamodb_table_models, "utcnow", utcnow),
        mock.patch.object(sqs_models.SQSBackend, "send_message", send_message),
        *(mock.patch.object(sqs_responses.SQSResponse, name, with_trace(name))
          for name in send_responses),
        mock.patch.object(sqs_models.SQSBackend, "is_message_valid_based_on_retention_period",
                          retention_ok),
        mock.patch.object(sqs_models, "unix_time", unix_time),
        mock.patch.object(sqs_models, "unix_time_millis", unix_time_millis),
        mock.patch.object(sqs_models.Queue, "add_message", add_message),
    ]
    patches += _kinesis_patches()
    from . import triggers

    patches += triggers.patches(aws)
    for p in patches:
        p.start()
    with _lock:
        _installed[id(aws)] = patches


def uninstall(aws: Any) -> None:
    """Stop every poller and schedule of the session and undo the patches (idempotent)."""
    from . import triggers

    for platform in aws.platforms():
        store = mappings._stores.get(platform)
        if store is not None:
            store.close()
    triggers.stop(aws)
    with _lock:
        patches = _installed.pop(id(aws), [])
    for p in reversed(patches):
        p.stop()


def _real_unix_time(dt: Any) -> float:
    from moto.core.utils import unix_time

    return unix_time(dt)


def _real_unix_time_millis(dt: Any) -> float:
    from moto.core.utils import unix_time_millis

    return unix_time_millis(dt)


def _wake(arn: str) -> None:
    for store in mappings.stores():
        store.wake_source(arn)


# ----------------------------------------------------------------- Kinesis resharding


def _kinesis_patches() -> list[Any]:
    """Resharding as the Kinesis Data Streams Developer Guide describes it ("After resharding":
    data routing, data persistence and shard state after a reshard)."""
    import moto.kinesis.models as kinesis_models
    import moto.kinesis.responses as kinesis_responses

    stream = kinesis_models.Stream
    return [
        mock.patch.object(stream, "get_shard_for_key", _shard_for_key),
        mock.patch.object(stream, "split_shard", _split_shard),
        mock.patch.object(stream, "merge_shards", _merge_shards),
        mock.patch.object(stream, "update_shard_count", _update_shard_count),
        mock.patch.object(kinesis_responses.KinesisResponse, "get_records", _get_records),
    ]


@functools.cache
def _child_shard() -> type:
    """moto's Shard for a reshard's child: its sequence numbers start after ``after`` (its
    parents' last), so a key's sequence numbers keep increasing across the reshard."""
    from moto.kinesis.models import Record, Shard

    class ChildShard(Shard):  # type: ignore[misc]
        def __init__(self, *args: Any, after: int, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.after = after

        def put_record(self, partition_key: str, data: str, explicit_hash_key: str) -> str:
            seq = max(self.after, super().get_max_sequence_number()) + 1
            self.records[seq] = Record(partition_key, data, seq, explicit_hash_key)
            return str(seq)

        def get_min_sequence_number(self) -> int:
            return super().get_min_sequence_number() if self.records else self.after + 1

        def get_max_sequence_number(self) -> int:
            return super().get_max_sequence_number() if self.records else self.after

    return ChildShard


def _shard_for_key(stream: Any, partition_key: str, explicit_hash_key: str) -> Any:
    """The OPEN shard whose (inclusive) HashKeyRange holds the record's hash key."""
    from moto.kinesis.exceptions import InvalidArgumentError
    from moto.utilities.utils import md5_hash

    if not isinstance(partition_key, str) or len(partition_key) > 256:
        raise InvalidArgumentError("partition_key")
    if explicit_hash_key:
        if not isinstance(explicit_hash_key, str):
            raise InvalidArgumentError("explicit_hash_key")
        key = int(explicit_hash_key)
        if key >= 2**128:
            raise InvalidArgumentError("explicit_hash_key")
    else:
        key = int(md5_hash(partition_key.encode("utf-8")).hexdigest(), 16)
    for shard in list(stream.shards.values()):
        if shard.is_open and shard.starting_hash <= key <= shard.ending_hash:
            return shard
    return None


def _add_child(stream: Any, start: int, end: int, parents: list[Any]) -> Any:
    last_id = max(s._shard_id for s in stream.shards.values())
    child = _child_shard()(last_id + 1, start, end, parent=parents[0].shard_id,
                           adjacent_parent=parents[1].shard_id if len(parents) > 1 else None,
                           after=max(p.get_max_sequence_number() for p in parents))
    stream.shards[child.shard_id] = child
    return child


def _close(stream: Any, *parents: Any) -> None:
    for p in parents:
        p.is_open = False
    stream.shard_count = sum(1 for s in stream.shards.values() if s.is_open)


def _not_eligible(stream: Any, shard: Any) -> Exception:
    from moto.kinesis.exceptions import InvalidArgumentError

    return InvalidArgumentError(  # moto's wording
        message=f"Shard {shard.shard_id} in stream {stream.stream_name} under account "
                f"{stream.account_id} has already been merged or split, and thus is not "
                "eligible for merging or splitting.")


def _split_shard(stream: Any, shard_to_split: str, new_starting_hash_key: str) -> None:
    """SplitShard: two empty children; the parent is closed and keeps its records."""
    from moto.kinesis.exceptions import InvalidArgumentError

    at, shard = int(new_starting_hash_key), stream.shards[shard_to_split]
    if not shard.starting_hash < at < shard.ending_hash:
        raise InvalidArgumentError(  # moto's wording
            message=f"NewStartingHashKey {at} used in SplitShard() on shard {shard_to_split} "
                    f"in stream {stream.stream_name} under account {stream.account_id} is not "
                    "both greater than one plus the shard's StartingHashKey "
                    f"{shard.starting_hash} and less than the shard's EndingHashKey "
                    f"{shard.ending_hash - 1}.")
    if not shard.is_open:
        raise _not_eligible(stream, shard)
    _split(stream, shard, at)


def _split(stream: Any, shard: Any, at: int) -> list[Any]:
    children = [_add_child(stream, shard.starting_hash, at - 1, [shard]),
                _add_child(stream, at, shard.ending_hash, [shard])]
    _close(stream, shard)
    return children


def _merge_shards(stream: Any, shard_to_merge: str, adjacent_shard_to_merge: str) -> None:
    """MergeShards: one empty child over both ranges (ParentShardId = ShardToMerge); both
    parents are closed and keep their records."""
    from moto.kinesis.exceptions import InvalidArgumentError

    first, second = stream.shards[shard_to_merge], stream.shards[adjacent_shard_to_merge]
    for shard in (first, second):
        if not shard.is_open:
            raise _not_eligible(stream, shard)
    if first.ending_hash + 1 != second.starting_hash and \
            second.ending_hash + 1 != first.starting_hash:
        raise InvalidArgumentError(adjacent_shard_to_merge)  # moto's wording
    _merge(stream, first, second)


def _merge(stream: Any, first: Any, second: Any) -> Any:
    child = _add_child(stream, min(first.starting_hash, second.starting_hash),
                       max(first.ending_hash, second.ending_hash), [first, second])
    _close(stream, first, second)
    return child


def _update_shard_count(stream: Any, target_shard_count: int) -> None:
    """UpdateShardCount (UNIFORM_SCALING): split the open shards at the boundaries of
    ``target_shard_count`` equal ranges (as CreateStream draws them), then merge the pieces of
    each range pairwise; the pieces are AWS's "short-lived shards"."""
    from moto.kinesis.exceptions import StreamCannotBeUpdatedError

    if stream.stream_mode.get("StreamMode", "") == "ON_DEMAND":
        raise StreamCannotBeUpdatedError(stream_name=stream.stream_name,
                                         account_id=stream.account_id)
    step = 2**128 // target_shard_count
    for bound in range(step, step * target_shard_count, step):
        for shard in [s for s in stream.shards.values() if s.is_open]:
            if shard.starting_hash < bound <= shard.ending_hash:
                _split(stream, shard, bound)
                break
    for i in range(target_shard_count):
        start = i * step
        end = 2**128 - 1 if i == target_shard_count - 1 else start + step - 1
        parts = sorted((s for s in stream.shards.values()
                        if s.is_open and start <= s.starting_hash and s.ending_hash <= end),
                       key=lambda s: s.starting_hash)
        while len(parts) > 1:
            parts = [_merge(stream, *parts[j:j + 2]) if j + 1 < len(parts) else parts[j]
                     for j in range(0, len(parts), 2)]
    stream.shard_count = target_shard_count


def _get_records(response: Any) -> Any:
    """GetRecords: at the end of a closed shard, no NextShardIterator, and its ChildShards."""
    from moto.core.responses import ActionResult
    from moto.kinesis.utils import decompose_shard_iterator

    stream_arn = response._get_param("StreamARN")
    iterator = response._get_param("ShardIterator")
    backend = response.kinesis_backend
    next_iterator, records, behind = backend.get_records(
        stream_arn, iterator, response._get_param("Limit"))
    stream_name, shard_id, _ = decompose_shard_iterator(iterator)
    stream = backend.describe_stream(stream_arn=stream_arn, stream_name=stream_name)
    shard = stream.get_shard(shard_id)
    last = int(decompose_shard_iterator(next_iterator)[2])
    out: dict[str, Any] = {"Records": [r.to_json() for r in records],
                           "MillisBehindLatest": behind}
    if shard.is_open or any(seq > last for seq in list(shard.records)):
        out["NextShardIterator"] = next_iterator
    else:
        out["ChildShards"] = [
            {"ShardId": c.shard_id,
             "ParentShards": [p for p in (c.parent, c.adjacent_parent) if p],
             "HashKeyRange": {"StartingHashKey": str(c.starting_hash),
                              "EndingHashKey": str(c.ending_hash)}}
            for c in list(stream.shards.values()) if shard_id in (c.parent, c.adjacent_parent)]
    return ActionResult(out)
