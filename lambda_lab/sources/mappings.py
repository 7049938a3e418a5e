"""Event source mappings: their settings, AWS's validation of them, their API shape, and the
per-platform store that starts and stops a poller for each.

One :class:`EventSourceMapping` per mapping (UUID); :class:`MappingStore` (one per
:class:`~lambda_lab.platform.Platform`, see :func:`store_for`) runs the SQS, Kinesis and
DynamoDB Streams pollers on the platform clock. States move Creating -> Enabled (or Disabled),
Enabling/Disabling -> Enabled/Disabled at the next clock step, as AWS's do after a few seconds.
"""

from __future__ import annotations

import datetime as _dt
import threading
import uuid as _uuid
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from ..errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from .filtering import FilterCriteria, parse_criteria

if TYPE_CHECKING:
    from ..platform import Platform

__all__ = ["EventSourceMapping", "MappingStore", "Poller", "store_for"]

SQS, KINESIS, DYNAMODB = "sqs", "kinesis", "dynamodb"
STREAMS = (KINESIS, DYNAMODB)
REPORT_BATCH_ITEM_FAILURES = "ReportBatchItemFailures"
NOT_FOUND = "The resource you requested does not exist."


@dataclass(eq=False)
class EventSourceMapping:
    """One mapping: what it reads, which function it invokes, how (settable fields mutable)."""

    uuid: str
    kind: str  #: sqs, kinesis or dynamodb
    event_source_arn: str
    function_name: str  #: unqualified name
    qualifier: str | None  #: version or alias, if the mapping names one
    function_arn: str
    batch_size: int
    window: int = 0  #: MaximumBatchingWindowInSeconds
    enabled: bool = True
    state: str = "Creating"
    last_modified: float = 0.0
    response_types: list[str] = field(default_factory=list)
    maximum_concurrency: int | None = None  #: ScalingConfig.MaximumConcurrency (SQS)
    starting_position: str | None = None
    starting_position_timestamp: float | None = None
    parallelization_factor: int = 1
    bisect: bool = False
    maximum_retry_attempts: int = -1
    maximum_record_age: int = -1
    tumbling_window: int = 0
    on_failure: str | None = None
    last_processing_result: str = "No records processed"
    filters: FilterCriteria | None = None  #: FilterCriteria (None: every record goes through)
    filtered_out: int = 0  #: records dropped because no filter matched them
    tags: dict[str, str] = field(default_factory=dict)  #: Tags (TagResource, ListTags)
    #: what each batch did: dicts with time, ids, outcome (see the pollers)
    history: list[dict[str, Any]] = field(default_factory=list, repr=False)

    @property
    def reports_item_failures(self) -> bool:
        return REPORT_BATCH_ITEM_FAILURES in self.response_types

    def shape(self, region: str, account_id: str, state: str | None = None) -> dict[str, Any]:
        """The EventSourceMappingConfiguration AWS returns."""
        out: dict[str, Any] = {
            "UUID": self.uuid,
            "BatchSize": self.batch_size,
            "MaximumBatchingWindowInSeconds": self.window,
            "EventSourceArn": self.event_source_arn,
            "FunctionArn": self.function_arn,
            "LastModified": self.last_modified,
            "State": state or self.state,
            # AWS's recorded answers: SQS mappings say USER_INITIATED, stream mappings "User
            # action" (LocalStack snapshots test_lambda_integration_sqs/kinesis/dynamodbstreams)
            "StateTransitionReason": "USER_INITIATED" if self.kind == SQS else "User action",
            "FunctionResponseTypes": list(self.response_types),
            "EventSourceMappingArn":
                f"arn:aws:lambda:{region}:{account_id}:event-source-mapping:{self.uuid}",
        }
        if self.filters is not None:
            out["FilterCriteria"] = self.filters.shape()
        if self.kind == SQS:
            if self.maximum_concurrency is not None:
                out["ScalingConfig"] = {"MaximumConcurrency": self.maximum_concurrency}
            return out
        out.update({
            "StartingPosition": self.starting_position,
            "ParallelizationFactor": self.parallelization_factor,
            "BisectBatchOnFunctionError": self.bisect,
            "MaximumRetryAttempts": self.maximum_retry_attempts,
            "MaximumRecordAgeInSeconds": self.maximum_record_age,
            "TumblingWindowInSeconds": self.tumbling_window,
            "LastProcessingResult": self.last_processing_result,
            "DestinationConfig": {"OnFailure": ({"Destination": self.on_failure}
                                                if self.on_failure else {})},
        })
        if self.starting_position_timestamp is not None:
            out["StartingPositionTimestamp"] = self.starting_position_timestamp
        return out


class Poller(Protocol):
    """What the store needs from a poller (``sqs.SqsPoller``, ``streams.StreamPoller``)."""

    def start(self) -> None: ...

    def wake(self) -> None: ...

    def stop(self) -> None: ...


# ----------------------------------------------------------------- validation


def _range(value: Any, name: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
            "constraint: Member must be an integer")  # emulator wording
    if value < low:
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
            f"constraint: Member must have value greater than or equal to {low}")
    if value > high:
        raise ValidationException(
            f"1 validation error detected: Value '{value}' at '{name}' failed to satisfy "
            f"constraint: Member must have value less than or equal to {high}")
    return value


def kind_of(arn: str) -> str:
    """sqs, kinesis or dynamodb, from an event source ARN (InvalidParameterValueException)."""
    parts = arn.split(":")
    service = parts[2] if len(parts) > 5 else ""
    if service == SQS:
        return SQS
    if service == KINESIS and parts[5].startswith("stream/"):
        return KINESIS
    if service == DYNAMODB and "/stream/" in parts[5]:
        return DYNAMODB
    if not arn:  # AWS's answer when there is no EventSourceArn (recorded)
        raise InvalidParameterValueException("Unrecognized event source.")
    raise InvalidParameterValueException(  # emulator wording
        f"Unsupported event source type: {arn}; lambda_lab polls SQS queues, Kinesis streams "
        "and DynamoDB streams.")


def apply_settings(m: EventSourceMapping, body: dict[str, Any], creating: bool) -> None:
    """Validate ``body`` (CreateEventSourceMapping/UpdateEventSourceMapping fields) and apply it.

    Raises ValidationException (a value out of range) or InvalidParameterValueException (a
    combination AWS rejects)."""
    if "BatchSize" in body and body["BatchSize"] is not None:
        m.batch_size = _range(body["BatchSize"], "batchSize", 1, 10_000)
    if "MaximumBatchingWindowInSeconds" in body:
        m.window = _range(body["MaximumBatchingWindowInSeconds"],
                          "maximumBatchingWindowInSeconds", 0, 300)
    if "Enabled" in body:
        m.enabled = bool(body["Enabled"])
    if "FunctionResponseTypes" in body:
        types = list(body["FunctionResponseTypes"] or [])
        for t in types:
            if t != REPORT_BATCH_ITEM_FAILURES:
                raise ValidationException(
                    f"1 validation error detected: Value '[{t}]' at 'functionResponseTypes' "
                    "failed to satisfy constraint: Member must satisfy constraint: [Member must "
                    "satisfy enum value set: [ReportBatchItemFailures]]")
        m.response_types = types
    if m.kind == SQS:
        _sqs_settings(m, body)
    else:
        _stream_settings(m, body, creating)
    if "FilterCriteria" in body:
        m.filters = parse_criteria(body["FilterCriteria"], m.kind)


def _sqs_settings(m: EventSourceMapping, body: dict[str, Any]) -> None:
    if "ScalingConfig" in body:
        limit = (body["ScalingConfig"] or {}).get("MaximumConcurrency")
        m.maximum_concurrency = (None if limit is None else
                                 _range(limit, "scalingConfig.maximumConcurrency", 2, 1_000))
    for stream_only in ("StartingPosition", "ParallelizationFactor", "BisectBatchOnFunctionError",
                        "MaximumRetryAttempts", "MaximumRecordAgeInSeconds",
                        "TumblingWindowInSeconds", "DestinationConfig"):
        if body.get(stream_only) not in (None, {}, False):
            if stream_only == "DestinationConfig":  # AWS's wording (recorded)
                raise InvalidParameterValueException(
                    "Unsupported DestinationConfig parameter for given event source mapping "
                    "type.")
            raise InvalidParameterValueException(
                f"Unsupported {stream_only} parameter for SQS event source.")  # emulator wording
    fifo = m.event_source_arn.endswith(".fifo")
    if fifo and m.batch_size > 10:
        raise InvalidParameterValueException(
            "Maximum batch size is 10 for FIFO queues; got " f"{m.batch_size}.")  # emulator
    if fifo and m.window:
        raise InvalidParameterValueException(
            "Batching window is not supported for FIFO queues.")
    if m.batch_size > 10 and m.window == 0:
        raise InvalidParameterValueException(
            "Maximum batch window in seconds must be greater than 0 if maximum batch size is "
            "greater than 10")


def _stream_settings(m: EventSourceMapping, body: dict[str, Any], creating: bool) -> None:
    if creating:
        # the texts of AWS's recorded answers (LocalStack snapshot test_lambda_api
        # test_create_event_source_validation / _kinesis)
        position = body.get("StartingPosition")
        if position is None:
            raise InvalidParameterValueException(
                "1 validation error detected: Value null at 'startingPosition' failed to "
                "satisfy constraint: Member must not be null.")
        if position not in ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP"):
            raise ValidationException(
                f"1 validation error detected: Value '{position}' at 'startingPosition' failed "
                "to satisfy constraint: Member must satisfy enum value set: [LATEST, "
                "AT_TIMESTAMP, TRIM_HORIZON]")
        if position == "AT_TIMESTAMP" and m.kind == DYNAMODB:
            raise InvalidParameterValueException(
                f"Unsupported starting position for arn type: {m.event_source_arn}")
        m.starting_position = position
        if position == "AT_TIMESTAMP":
            stamp = body.get("StartingPositionTimestamp")
            if stamp is None:
                raise InvalidParameterValueException(
                    "StartingPositionTimestamp must be provided with AT_TIMESTAMP.")
            if isinstance(stamp, str):
                stamp = _dt.datetime.fromisoformat(stamp.replace("Z", "+00:00")).timestamp()
            m.starting_position_timestamp = float(stamp)
    elif "StartingPosition" in body:
        raise InvalidParameterValueException("StartingPosition cannot be updated.")
    if "ParallelizationFactor" in body:
        m.parallelization_factor = _range(body["ParallelizationFactor"],
                                          "parallelizationFactor", 1, 10)
    if "BisectBatchOnFunctionError" in body:
        m.bisect = bool(body["BisectBatchOnFunctionError"])
    if "MaximumRetryAttempts" in body:
        m.maximum_retry_attempts = _range(body["MaximumRetryAttempts"],
                                          "maximumRetryAttempts", -1, 10_000)
    if "MaximumRecordAgeInSeconds" in body:
        age = _range(body["MaximumRecordAgeInSeconds"], "maximumRecordAgeInSeconds", -1,
                     604_800)
        if 0 <= age < 60:
            raise ValidationException(
                f"1 validation error detected: Value '{age}' at 'maximumRecordAgeInSeconds' "
                "failed to satisfy constraint: Member must have value greater than or equal "
                "to 60")
        m.maximum_record_age = age
    if "TumblingWindowInSeconds" in body:
        m.tumbling_window = _range(body["TumblingWindowInSeconds"], "tumblingWindowInSeconds",
                                   0, 900)
    if "DestinationConfig" in body:
        target = ((body["DestinationConfig"] or {}).get("OnFailure") or {}).get("Destination")
        if target and target.split(":")[2:3] not in (["sqs"], ["sns"]):
            raise InvalidParameterValueException(
                f"Unsupported destination for stream event source: {target}; use an SQS queue "
                "or an SNS topic.")  # emulator wording
        m.on_failure = target or None


def _conflict(kind: str, arn: str, function: str, uuid: str) -> str:
    """AWS's answer to a second mapping of one source and function (recorded answers,
    LocalStack snapshots test_duplicate_event_source_mappings: SQS words it its own way)."""
    if kind == SQS:
        return (f'An event source mapping with SQS arn (" {arn} ") and function (" {function} '
                '") already exists. Please update or delete the existing mapping with UUID '
                f"{uuid}")
    return (f'The event source arn (" {arn} ") and function (" {function} ") provided mapping '
            f"already exists. Please update or delete the existing mapping with UUID {uuid}")


# ----------------------------------------------------------------- the store


class MappingStore:
    """The event source mappings of one platform, and their pollers."""

    def __init__(self, platform: Platform) -> None:
        self.platform = platform
        self.mappings: dict[str, EventSourceMapping] = {}
        self.pollers: dict[str, Poller] = {}
        self._lock = threading.RLock()
        self._closed = False

    def _function(self, ref: str) -> tuple[str, str | None, str]:
        from ..platform.arns import parse_function_ref

        name, qualifier = parse_function_ref(ref)
        try:
            self.platform.version(name, qualifier)
        except ResourceNotFoundException:  # AWS's answer here (recorded)
            raise InvalidParameterValueException("Function does not exist") from None
        return name, qualifier, self.platform.arn(name, qualifier)

    def create(self, body: dict[str, Any]) -> EventSourceMapping:
        """CreateEventSourceMapping. Raises the errors of :func:`apply_settings`,
        ResourceNotFoundException (function), InvalidParameterValueException (source),
        ResourceConflictException (a mapping of the same source and function exists)."""
        arn = body.get("EventSourceArn") or ""
        kind = kind_of(arn)
        if kind == SQS and body.get("DestinationConfig") not in (None, {}):
            _sqs_settings(EventSourceMapping("", kind, arn, "", None, "", 10),
                          {"DestinationConfig": body["DestinationConfig"]})  # before the function
        name, qualifier, function_arn = self._function(body.get("FunctionName") or "")
        m = EventSourceMapping(str(_uuid.uuid4()), kind, arn, name, qualifier, function_arn,
                               batch_size=10 if kind == SQS else 100,
                               last_modified=self.platform.clock.now())
        apply_settings(m, body, creating=True)
        m.tags = dict(body.get("Tags") or {})
        poller = self._new_poller(m)  # checks the source exists (and SQS visibility timeout)
        with self._lock:
            for other in self.mappings.values():
                if other.event_source_arn == arn and other.function_arn == function_arn:
                    raise ResourceConflictException(_conflict(kind, arn, name, other.uuid))
            self.mappings[m.uuid] = m
            self.pollers[m.uuid] = poller
        poller.start()
        return m

    def _new_poller(self, m: EventSourceMapping) -> Poller:
        if m.kind == SQS:
            from .sqs import SqsPoller

            return SqsPoller(self.platform, m)
        if m.kind == DYNAMODB:
            from .dynamodb_streams import DynamoDBStreamPoller

            return DynamoDBStreamPoller(self.platform, m)
        from .streams import StreamPoller

        return StreamPoller(self.platform, m)

    def get(self, uuid: str) -> EventSourceMapping:
        m = self.mappings.get(uuid)
        if m is None:
            raise ResourceNotFoundException(NOT_FOUND)
        return m

    def list(self, source_arn: str | None = None, function: str | None = None
             ) -> list[EventSourceMapping]:
        found = list(self.mappings.values())
        if source_arn:
            found = [m for m in found if m.event_source_arn == source_arn]
        if function:
            from ..platform.arns import parse_function_ref

            name, qualifier = parse_function_ref(function)
            found = [m for m in found if m.function_name == name
                     and (qualifier is None or m.qualifier == qualifier)]
        return found

    def update(self, uuid: str, body: dict[str, Any]) -> EventSourceMapping:
        """UpdateEventSourceMapping (validated on a copy first, so a rejected update changes
        nothing)."""
        from copy import copy

        with self._lock:
            m = self.get(uuid)
            trial = copy(m)
            trial.response_types = list(m.response_types)
            if body.get("FunctionName"):
                trial.function_name, trial.qualifier, trial.function_arn = \
                    self._function(body["FunctionName"])
            apply_settings(trial, body, creating=False)
            if trial.kind == SQS:
                from .sqs import check_visibility

                check_visibility(self.platform, trial)
            was_enabled = m.enabled
            for name in ("batch_size", "window", "enabled", "response_types",
                         "maximum_concurrency", "parallelization_factor", "bisect",
                         "maximum_retry_attempts", "maximum_record_age", "tumbling_window",
                         "on_failure", "function_name", "qualifier", "function_arn", "filters"):
                setattr(m, name, getattr(trial, name))
            m.last_modified = self.platform.clock.now()
            if m.enabled != was_enabled:
                m.state = "Enabling" if m.enabled else "Disabling"
            elif m.state in ("Enabled", "Disabled"):
                m.state = "Updating"
            poller = self.pollers[uuid]
        poller.wake()
        return m

    def delete(self, uuid: str) -> EventSourceMapping:
        with self._lock:
            m = self.get(uuid)
            del self.mappings[uuid]
            poller = self.pollers.pop(uuid)
        poller.stop()
        m.state = "Deleting"
        return m

    def wake_source(self, arn: str) -> None:
        """Something arrived at ``arn``: its pollers look now (never invoking in this thread)."""
        for uuid, m in list(self.mappings.items()):
            if m.event_source_arn == arn:
                poller = self.pollers.get(uuid)
                if poller is not None:
                    poller.wake()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            pollers = list(self.pollers.values())
        for poller in pollers:
            poller.stop()


_stores: weakref.WeakKeyDictionary[Platform, MappingStore] = weakref.WeakKeyDictionary()
_stores_lock = threading.Lock()


def store_for(platform: Platform) -> MappingStore:
    """The mapping store of ``platform`` (created on first use)."""
    with _stores_lock:
        store = _stores.get(platform)
        if store is None:
            store = _stores[platform] = MappingStore(platform)
        return store


def stores() -> list[MappingStore]:
    with _stores_lock:
        return list(_stores.values())
