"""Event sources: the pollers of event source mappings (SQS, Kinesis, DynamoDB Streams) and the
push triggers (EventBridge schedules and patterns, S3 notifications, SNS), run on the platform
clock and invoking through the Platform. A mapping's ``FilterCriteria`` and the EventBridge pattern
matcher both live in :mod:`.filtering`.

``sqs_concurrency_limit`` is the SQS scaling rule as a pure function (for simulations).
"""

from .mappings import EventSourceMapping, MappingStore, store_for
from .scaling import sqs_concurrency_limit

__all__ = ["EventSourceMapping", "MappingStore", "sqs_concurrency_limit", "store_for"]
