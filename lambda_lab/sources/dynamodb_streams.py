"""The DynamoDB Streams poller of an event source mapping: :class:`.streams.StreamPoller` (per
shard, TRIM_HORIZON/LATEST, BatchSize, batching and tumbling windows, ParallelizationFactor,
bisect, ReportBatchItemFailures, retries, back-off, on-failure batch info) over the stream moto
records for a table (``table.stream_shard``: one shard, its ``items`` moto StreamRecords in
sequence-number order). The partition key that orders records is the item's ``Keys`` (partition
and sort key), so changes to one item are always processed in order.

The records Lambda gets carry ``eventVersion`` 1.1, the mapping's region and stream ARN, and
the images moto kept for the table's StreamViewType; a failed batch's on-failure record holds
``DDBStreamBatchInfo``. Records are kept for 24 hours, as DynamoDB Streams keeps them.
"""

from __future__ import annotations

import datetime as _dt
import json
from dataclasses import dataclass
from typing import Any

from ..errors import InvalidParameterValueException
from .streams import StreamPoller

__all__ = ["DynamoDBStreamPoller", "dynamodb_record", "table_of"]

RETENTION_S = 24 * 3600


@dataclass
class _Record:
    sequence_number: int
    created_at: float  #: ApproximateCreationDateTime, seconds since the epoch
    record: dict[str, Any]  #: moto's StreamRecord.to_json()

    @property
    def partition_key(self) -> str:
        """The item's key (its ``Keys``, as canonical JSON): records of one item stay in order."""
        return json.dumps(self.record["dynamodb"]["Keys"], sort_keys=True)


class _Shard:
    """A moto StreamShard as the stream poller reads a shard."""

    def __init__(self, shard: Any) -> None:
        self.shard = shard

    @property
    def records(self) -> dict[int, _Record]:
        out = {}
        for item in list(self.shard.items):
            rec = item.to_json()
            created = rec["dynamodb"]["ApproximateCreationDateTime"]
            if isinstance(created, _dt.datetime):
                if created.tzinfo is None:
                    created = created.replace(tzinfo=_dt.timezone.utc)
                created = created.timestamp()
            seq = int(rec["dynamodb"]["SequenceNumber"])
            out[seq] = _Record(seq, float(created), rec)
        return out

    def get_max_sequence_number(self) -> int:
        items = list(self.shard.items)
        if not items:
            return int(self.shard.starting_sequence_number) - 1
        return int(items[-1].to_json()["dynamodb"]["SequenceNumber"])


def table_of(arn: str) -> Any:
    """moto's Table whose current stream has ARN ``arn`` (InvalidParameterValueException)."""
    from moto.dynamodb.models import dynamodb_backends

    parts = arn.split(":")
    region, account = parts[3], parts[4]
    for table in list(dynamodb_backends[account][region].tables.values()):
        shard = getattr(table, "stream_shard", None)
        if shard is None or not (table.stream_specification or {}).get("StreamEnabled"):
            continue
        if f"{table.table_arn}/stream/{table.latest_stream_label}" == arn:
            return table
    raise InvalidParameterValueException(  # emulator wording
        f"Stream not found: {arn}")


def dynamodb_record(record: dict[str, Any], created_at: float, stream_arn: str,
                    region: str) -> dict[str, Any]:
    """One ``Records`` entry as Lambda's DynamoDB Streams poller sends it (from moto's record)."""
    ddb = record["dynamodb"]
    body: dict[str, Any] = {"ApproximateCreationDateTime": created_at, "Keys": ddb["Keys"]}
    for image in ("NewImage", "OldImage"):
        if image in ddb:
            body[image] = ddb[image]
    body.update(SequenceNumber=str(ddb["SequenceNumber"]), SizeBytes=ddb["SizeBytes"],
                StreamViewType=ddb["StreamViewType"])
    return {
        "eventID": record["eventID"],
        "eventName": record["eventName"],
        "eventVersion": "1.1",
        "eventSource": "aws:dynamodb",
        "awsRegion": region,  # moto writes us-east-1 whatever the table's region
        "dynamodb": body,
        "eventSourceARN": stream_arn,
    }


class DynamoDBStreamPoller(StreamPoller):
    """Polls the stream of one DynamoDB table for one mapping on the platform clock."""

    KIND = "dynamodb"
    LABEL = "DynamoDB Streams"
    BATCH_INFO_KEY = "DDBStreamBatchInfo"

    def _stream(self) -> Any:
        return table_of(self.m.event_source_arn)

    def _shards(self, stream: Any) -> dict[str, Any]:
        shard = stream.stream_shard
        return {} if shard is None else {shard.id: _Shard(shard)}

    def _retention_s(self, stream: Any) -> float:
        return RETENTION_S

    def _event_record(self, record: Any, shard_id: str, region: str,
                      role: str) -> dict[str, Any]:
        return dynamodb_record(record.record, record.created_at, self.m.event_source_arn,
                               region)
