"""The rules CreateEventSourceMapping/UpdateEventSourceMapping apply, with AWS's own words.

Sources: AWS's recorded answers (LocalStack snapshots, recorded against AWS):
test_duplicate_event_source_mappings (SQS: 'An event source mapping with SQS arn (" ARN ") and
function (" NAME ") already exists. Please update or delete the existing mapping with UUID U';
Kinesis and DynamoDB: 'The event source arn (" ARN ") and function (" NAME ") provided mapping
already exists. ...'), test_esm_with_not_existing_sqs_queue / _kinesis_stream /
_dynamodb_stream, test_event_source_mapping_default_batch_size (BatchSize above 10 without a
batching window, on update too), test_create_event_source_validation(_kinesis) (the
StartingPosition answers), and every recorded mapping's StateTransitionReason: "USER_INITIATED"
for SQS, "User action" for Kinesis and DynamoDB Streams. API EventSourceMappingConfiguration:
"For standard queues the maximum is 10,000 ... batch size greater than 10, you must set
MaximumBatchingWindowInSeconds to at least 1".
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import boto3
import pytest
from aws_helpers import REGION, create, error_of, lam, role, session  # noqa: F401

from lambda_lab.sources import store_for

ECHO = "def handler(event, context):\n    return {}\n"


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


def queue(name: str) -> tuple[str, str]:
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    return url, sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]


def stream(name: str) -> str:
    kinesis = boto3.client("kinesis", region_name=REGION)
    kinesis.create_stream(StreamName=name, ShardCount=1)
    return kinesis.describe_stream(StreamName=name)["StreamDescription"]["StreamARN"]


def table_stream(name: str) -> str:
    ddb = boto3.client("dynamodb", region_name=REGION)
    return ddb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
    )["TableDescription"]["LatestStreamArn"]


def test_a_second_mapping_of_one_queue_and_function(aws, lam, create):
    _, arn = queue("dup")
    name = create(ECHO)
    first = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)["UUID"]
    assert error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name)) == (
        "ResourceConflictException",
        f'An event source mapping with SQS arn (" {arn} ") and function (" {name} ") already '
        f"exists. Please update or delete the existing mapping with UUID {first}")
    # another function on the same queue is fine
    lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=create(ECHO))


@pytest.mark.parametrize("make", [stream, table_stream])
def test_a_second_mapping_of_one_stream_and_function(aws, lam, create, make):
    arn = make("dup")
    name = create(ECHO)
    first = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                            StartingPosition="LATEST")["UUID"]
    assert error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, StartingPosition="TRIM_HORIZON")) == (
        "ResourceConflictException",
        f'The event source arn (" {arn} ") and function (" {name} ") provided mapping already '
        f"exists. Please update or delete the existing mapping with UUID {first}")


def test_sources_that_do_not_exist(aws, lam, create):
    name = create(ECHO)
    missing_queue = f"arn:aws:sqs:{REGION}:123456789012:nowhere"
    assert error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=missing_queue, FunctionName=name)) == (
        "InvalidParameterValueException",
        "Error occurred while ReceiveMessage. SQS Error Code: "
        "AWS.SimpleQueueService.NonExistentQueue. SQS Error Message: The specified queue does "
        "not exist.")
    for missing in (f"arn:aws:kinesis:{REGION}:123456789012:stream/nowhere",
                    f"arn:aws:dynamodb:{REGION}:123456789012:table/t/stream/2025-02-22T03:03:25"
                    ".490"):
        assert error_of(lambda arn=missing: lam.create_event_source_mapping(
            EventSourceArn=arn, FunctionName=name, StartingPosition="LATEST")) == (
            "InvalidParameterValueException", f"Stream not found: {missing}")
    assert lam.list_event_source_mappings()["EventSourceMappings"] == []


def test_sqs_batch_size_above_ten_needs_a_window(aws, lam, create):
    url, arn = queue("big")
    name = create(ECHO)
    window_error = ("InvalidParameterValueException", "Maximum batch window in seconds must be "
                    "greater than 0 if maximum batch size is greater than 10")
    assert error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=arn, FunctionName=name, BatchSize=11)) == window_error
    uuid = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name)["UUID"]
    assert error_of(lambda: lam.update_event_source_mapping(UUID=uuid, BatchSize=12)) == \
        window_error
    assert lam.get_event_source_mapping(UUID=uuid)["BatchSize"] == 10
    made = lam.update_event_source_mapping(UUID=uuid, BatchSize=12,
                                           MaximumBatchingWindowInSeconds=1)
    assert made["BatchSize"] == 12 and made["MaximumBatchingWindowInSeconds"] == 1
    # ... and then batches hold up to 12 messages
    sqs = boto3.client("sqs", region_name=REGION)
    for start in (0, 10):
        sqs.send_message_batch(QueueUrl=url, Entries=[
            {"Id": str(i), "MessageBody": str(i)} for i in range(start, start + 10)])
    aws.advance(3)
    history = store_for(aws.platform()).mappings[uuid].history
    assert sorted(len(h["messages"]) for h in history) == [8, 12]


def test_state_transition_reason(aws, lam, create):
    name = create(ECHO)
    _, q = queue("reason")
    assert lam.create_event_source_mapping(EventSourceArn=q, FunctionName=name)[
        "StateTransitionReason"] == "USER_INITIATED"
    for arn in (stream("reason"), table_stream("reason")):
        made = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName=name,
                                               StartingPosition="LATEST")
        assert made["StateTransitionReason"] == "User action"
        aws.advance(1)
        assert lam.get_event_source_mapping(UUID=made["UUID"])[
            "StateTransitionReason"] == "User action"


def test_starting_position_answers(aws, lam, create):
    name = create(ECHO)
    kinesis_arn, ddb_arn = stream("positions"), table_stream("positions")
    assert error_of(lambda: lam.create_event_source_mapping(
        EventSourceArn=kinesis_arn, FunctionName=name)) == (
        "InvalidParameterValueException",
        "1 validation error detected: Value null at 'startingPosition' failed to satisfy "
        "constraint: Member must not be null.")
    # botocore checks the enum itself; another client gets the service's answer
    from lambda_lab.errors import InvalidParameterValueException, ValidationException

    store = store_for(aws.platform())
    with pytest.raises(ValidationException) as info:
        store.create({"EventSourceArn": kinesis_arn, "FunctionName": name,
                      "StartingPosition": "invalid"})
    assert info.value.message == (
        "1 validation error detected: Value 'invalid' at 'startingPosition' failed to satisfy "
        "constraint: Member must satisfy enum value set: [LATEST, AT_TIMESTAMP, TRIM_HORIZON]")
    with pytest.raises(InvalidParameterValueException) as info:
        store.create({"EventSourceArn": ddb_arn, "FunctionName": name,
                      "StartingPosition": "AT_TIMESTAMP", "StartingPositionTimestamp": 1})
    assert info.value.message == f"Unsupported starting position for arn type: {ddb_arn}"
