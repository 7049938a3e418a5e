"""What ``mock_aws()`` installs for event sources: moto's clocks, wake-ups and trigger hooks.

* moto's SQS reads the platform clock (visibility timeouts, delays and timestamps follow
  ``aws.advance``), and so do moto's Kinesis arrival timestamps and DynamoDB stream record
  times;
* a message added to a queue (by anyone: the notebook, a handler, SNS, a DLQ) moves the pollers
  of that queue to now — a timer, never an invocation inside SendMessage;
* EventBridge, S3 and SNS deliveries to Lambda targets go to :mod:`lambda_lab.sources.triggers`.

:func:`install` is called by :meth:`MockAWS.start`, :func:`uninstall` by :meth:`MockAWS.stop`.
"""

from __future__ import annotations

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
