"""What a stream poller sends and gets back, as plain data: a ``Records`` entry of a Kinesis
event, the ReportBatchItemFailures answer of a batch, and the batch info an on-failure
destination receives for a batch given up on (DG with-kinesis, services-kinesis-
batchfailurereporting, kinesis-on-failure-destination). Used by :mod:`.streams`.
"""

from __future__ import annotations

import datetime as _dt
from typing import Any

__all__ = ["batch_info", "item_failure_index", "kinesis_record"]


def _timestamp(t: float) -> str:
    d = _dt.datetime.fromtimestamp(t, _dt.timezone.utc)
    return d.strftime("%Y-%m-%dT%H:%M:%S.") + f"{d.microsecond // 1000:03d}Z"


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


def item_failure_index(answer: Any, seqs: list[str]) -> int | None:
    """Where a ReportBatchItemFailures answer checkpoints a batch of sequence numbers ``seqs``:
    None for complete success, the index of the lowest reported record, or -1 when the answer
    fails the whole batch (DG services-kinesis-batchfailurereporting: an empty, null or
    misnamed itemIdentifier; an identifier not in the batch too, emulator's reading)."""
    if not isinstance(answer, dict):
        return None if answer is None else -1
    items = answer.get("batchItemFailures")
    if items is None:
        return None
    if not isinstance(items, list):
        return -1
    lowest: int | None = None
    for item in items:
        ident = item.get("itemIdentifier") if isinstance(item, dict) else None
        if not isinstance(ident, str) or ident not in seqs:
            return -1
        index = seqs.index(ident)
        lowest = index if lowest is None else min(lowest, index)
    return lowest
