"""Asynchronous invocation through boto3 (issue #3 §4 and §5): retries on the platform clock,
event age, destinations, dead-letter queues, the event invoke config API, recursion.

Time only moves by ``aws.advance`` (never real sleeps of minutes); log timestamps are platform
time, so they show when each attempt ran.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, aws, create, lam, role  # noqa: F401
from botocore.exceptions import ClientError

FAILING = """
def handler(event, context):
    print("attempt", context.aws_request_id)
    raise RuntimeError("boom")
"""
OK = """
def handler(event, context):
    return {"got": event}
"""


@pytest.fixture
def sqs(aws):
    return boto3.client("sqs", region_name=REGION)


def make_queue(sqs, name: str) -> tuple[str, str]:
    url = sqs.create_queue(QueueName=name)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
    return url, arn["Attributes"]["QueueArn"]


def messages(sqs, url: str) -> list[dict]:
    return sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10,
                               MessageAttributeNames=["All"]).get("Messages", [])


def starts(name: str) -> list[tuple[int, str]]:
    """(platform time in ms, request id) of every START line in the function's log group."""
    logs = boto3.client("logs", region_name=REGION)
    try:
        found = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    except logs.exceptions.ResourceNotFoundException:  # the function never ran
        return []
    return sorted((e["timestamp"], e["message"].split()[2]) for e in found
                  if e["message"].startswith("START "))


def test_function_errors_retried_at_60_and_180_s_then_on_failure_record(aws, lam, sqs,
                                                                         create):
    # lambda-facts.md "Async retries" (default 2, about 1 min then 2 min) and "Destinations";
    # issue #3 §4: the same request id on every attempt; §5: advance returns once they ran.
    url, arn = make_queue(sqs, "failures")
    name = create(FAILING)
    lam.put_function_event_invoke_config(FunctionName=name,
                                         DestinationConfig={"OnFailure": {"Destination": arn}})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"order": 7}')
    rid = aws.async_events[0].request_id
    aws.advance(0)
    assert len(starts(name)) == 1 and messages(sqs, url) == []
    aws.advance(58)
    assert len(starts(name)) == 1
    aws.advance(2)
    assert len(starts(name)) == 2
    aws.advance(120)
    (t0, _), (t1, _), (t2, _) = runs = starts(name)
    assert {r for _, r in runs} == {rid}
    assert abs((t1 - t0) / 1000 - 60) < 2 and abs((t2 - t0) / 1000 - 180) < 3
    (msg,) = messages(sqs, url)
    record = json.loads(msg["Body"])
    assert record["version"] == "1.0" and record["timestamp"].endswith("Z")
    assert record["requestContext"] == {
        "requestId": rid, "functionArn": f"{lam_arn(name)}:$LATEST",
        "condition": "RetriesExhausted", "approximateInvokeCount": 3}
    assert record["requestPayload"] == {"order": 7}
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST",
                                         "functionError": "Unhandled"}
    assert record["responsePayload"]["errorType"] == "RuntimeError"
    assert record["responsePayload"]["errorMessage"] == "boom"


def lam_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:123456789012:function:{name}"


def test_maximum_retry_attempts_0_fails_at_once(aws, lam, sqs, create):
    # lambda-facts.md "Async retries": configurable 0-2.
    url, arn = make_queue(sqs, "failures0")
    name = create(FAILING)
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0,
                                         DestinationConfig={"OnFailure": {"Destination": arn}})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    aws.advance(0)
    (msg,) = messages(sqs, url)
    assert json.loads(msg["Body"])["requestContext"]["approximateInvokeCount"] == 1
    aws.advance(600)
    assert len(starts(name)) == 1


def test_event_age_exceeded_before_the_second_retry(aws, lam, sqs, create):
    # lambda-facts.md "6 h retry": MaximumEventAgeInSeconds 60-21,600 bounds every retry.
    url, arn = make_queue(sqs, "aged")
    name = create(FAILING)
    lam.put_function_event_invoke_config(FunctionName=name, MaximumEventAgeInSeconds=100,
                                         DestinationConfig={"OnFailure": {"Destination": arn}})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    aws.advance(60)
    assert len(starts(name)) == 2 and messages(sqs, url) == []
    aws.advance(41)
    (msg,) = messages(sqs, url)
    context = json.loads(msg["Body"])["requestContext"]
    assert context["condition"] == "EventAgeExceeded" and context["approximateInvokeCount"] == 2
    aws.advance(600)
    assert len(starts(name)) == 2


def test_on_success_record_in_sqs(aws, lam, sqs, create):
    # lambda-facts.md "Destinations": on success, to SQS.
    url, arn = make_queue(sqs, "successes")
    name = create(OK)
    lam.put_function_event_invoke_config(FunctionName=name,
                                         DestinationConfig={"OnSuccess": {"Destination": arn}})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"a": 1}')
    aws.advance(0)
    (msg,) = messages(sqs, url)
    record = json.loads(msg["Body"])
    assert record["requestContext"]["condition"] == "Success"
    assert record["requestContext"]["approximateInvokeCount"] == 1
    assert record["responseContext"] == {"statusCode": 200, "executedVersion": "$LATEST"}
    assert record["responsePayload"] == {"got": {"a": 1}}


def test_dead_letter_queue_gets_the_event_with_error_attributes(aws, lam, sqs, create):
    # Issue #3 §4: DeadLetterConfig (SQS): the original event with ErrorCode, ErrorMessage,
    # RequestID.
    url, arn = make_queue(sqs, "dlq")
    name = create(FAILING, DeadLetterConfig={"TargetArn": arn})
    assert lam.get_function(FunctionName=name)["Configuration"]["DeadLetterConfig"] == {
        "TargetArn": arn}
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=0)
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"k": "v"}')
    rid = aws.async_events[0].request_id
    aws.advance(0)
    (msg,) = messages(sqs, url)
    assert json.loads(msg["Body"]) == {"k": "v"}
    attrs = {k: v["StringValue"] for k, v in msg["MessageAttributes"].items()}
    assert attrs == {"RequestID": rid, "ErrorCode": "200", "ErrorMessage": "boom"}


def test_lambda_destination_is_an_async_invoke_of_that_function(aws, lam, create):
    # lambda-facts.md "Destinations": Lambda as a target.
    target = create(OK)
    name = create(FAILING)
    lam.put_function_event_invoke_config(
        FunctionName=name, MaximumRetryAttempts=0,
        DestinationConfig={"OnFailure": {"Destination": lam_arn(target)}})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"n": 1}')
    aws.advance(0)
    (delivered,) = [e for e in aws.async_events if e.function_name == target]
    assert delivered.status == "succeeded"
    record = delivered.result.payload["got"]
    assert record["requestContext"]["condition"] == "RetriesExhausted"
    assert record["requestPayload"] == {"n": 1}


def test_eventbridge_destination_puts_an_invocation_result_event(aws, lam, sqs, create):
    url, queue_arn = make_queue(sqs, "bus-target")
    events = boto3.client("events", region_name=REGION)
    bus = events.create_event_bus(Name="results")["EventBusArn"]
    events.put_rule(Name="all", EventBusName="results", EventPattern=json.dumps(
        {"source": ["lambda"]}))
    events.put_targets(Rule="all", EventBusName="results",
                       Targets=[{"Id": "q", "Arn": queue_arn}])
    name = create(OK)
    lam.put_function_event_invoke_config(FunctionName=name,
                                         DestinationConfig={"OnSuccess": {"Destination": bus}})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    aws.advance(0)
    (msg,) = messages(sqs, url)
    body = json.loads(msg["Body"])
    assert body["detail-type"] == "Lambda Function Invocation Result - Success"
    assert body["detail"]["requestContext"]["condition"] == "Success"


def test_reserved_concurrency_0_goes_straight_to_on_failure(aws, lam, sqs, create):
    # Issue #3 §4: condition ZeroReservedConcurrency, approximateInvokeCount 0.
    url, arn = make_queue(sqs, "zero")
    name = create(OK)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    lam.put_function_event_invoke_config(FunctionName=name,
                                         DestinationConfig={"OnFailure": {"Destination": arn}})
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b"{}")
    aws.advance(0)
    (msg,) = messages(sqs, url)
    context = json.loads(msg["Body"])["requestContext"]
    assert (context["condition"], context["approximateInvokeCount"]) == (
        "ZeroReservedConcurrency", 0)
    assert starts(name) == []


def test_event_invoke_config_api_round_trip(lam, create):
    name = create(OK)
    lam.publish_version(FunctionName=name)
    arn = "arn:aws:sqs:us-east-1:123456789012:q"
    put = lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    assert put["FunctionArn"] == f"{lam_arn(name)}:$LATEST"
    assert put["MaximumRetryAttempts"] == 1 and "MaximumEventAgeInSeconds" not in put
    upd = lam.update_function_event_invoke_config(
        FunctionName=name, MaximumEventAgeInSeconds=3600,
        DestinationConfig={"OnFailure": {"Destination": arn}})
    assert (upd["MaximumRetryAttempts"], upd["MaximumEventAgeInSeconds"]) == (1, 3600)
    got = lam.get_function_event_invoke_config(FunctionName=name)
    assert got["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {"Destination": arn}}
    lam.put_function_event_invoke_config(FunctionName=name, Qualifier="1",
                                         MaximumRetryAttempts=0)
    listed = lam.list_function_event_invoke_configs(FunctionName=name)
    assert [c["FunctionArn"] for c in listed["FunctionEventInvokeConfigs"]] == [
        f"{lam_arn(name)}:$LATEST", f"{lam_arn(name)}:1"]
    lam.delete_function_event_invoke_config(FunctionName=name)
    with pytest.raises(ClientError) as e:
        lam.get_function_event_invoke_config(FunctionName=name)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert e.value.response["Error"]["Message"] == (
        f"The function {lam_arn(name)}:$LATEST doesn't have an EventInvokeConfig")


@pytest.mark.parametrize("params, message", [
    ({"MaximumRetryAttempts": 3},
     "1 validation error detected: Value '3' at 'maximumRetryAttempts' failed to satisfy "
     "constraint: Member must have value less than or equal to 2"),
    ({"MaximumEventAgeInSeconds": 21_601},
     "1 validation error detected: Value '21601' at 'maximumEventAgeInSeconds' failed to "
     "satisfy constraint: Member must have value less than or equal to 21600"),
])
def test_event_invoke_config_range_checks(lam, create, params, message):
    # lambda-facts.md "Async retries" (0-2) and "6 h retry" (60-21,600).
    name = create(OK)
    with pytest.raises(ClientError) as e:
        lam.put_function_event_invoke_config(FunctionName=name, **params)
    assert e.value.response["Error"]["Code"] == "ValidationException"
    assert e.value.response["Error"]["Message"] == message


def test_event_invoke_config_rejects_unknown_functions_and_destinations(lam, create):
    name = create(OK)
    with pytest.raises(ClientError) as e:
        lam.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnSuccess": {
                "Destination": "arn:aws:s3:::bucket"}})  # S3 takes on-failure records only
    assert e.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as e:
        lam.put_function_event_invoke_config(FunctionName="nope", MaximumRetryAttempts=1)
    assert e.value.response["Error"]["Code"] == "ResourceNotFoundException"


CHAIN = """
import json, boto3
client = boto3.client("lambda")
def handler(event, context):
    n = event.get("n", 0)
    if n < event["stop"]:
        client.invoke(FunctionName=context.function_name, InvocationType="Event",
                      Payload=json.dumps({"n": n + 1, "stop": event["stop"]}))
    return n
"""


def test_a_function_invoking_itself_is_stopped_after_16_invocations(aws, lam, create):
    # lambda-facts.md B "Recursive loop detection": stops a loop after about 16 invocations;
    # PutFunctionRecursionConfig Allow lets it run.
    name = create(CHAIN, Timeout=30)
    assert lam.get_function_recursion_config(FunctionName=name)["RecursiveLoop"] == "Terminate"
    lam.invoke(FunctionName=name, InvocationType="Event", Payload=b'{"stop": 30}')
    assert aws.wait_async(60)
    mine = [e for e in aws.async_events if e.function_name == name]
    assert [e.ended_in for e in mine] == ["success"] * 16 + ["dropped"]
    assert mine[-1].condition == "RecursiveInvocationDetected"
    assert "recursive" in mine[-1].error

    other = create(CHAIN, Timeout=30)
    assert lam.put_function_recursion_config(FunctionName=other, RecursiveLoop="Allow")[
        "RecursiveLoop"] == "Allow"
    lam.invoke(FunctionName=other, InvocationType="Event", Payload=b'{"stop": 17}')
    assert aws.wait_async(60)
    theirs = [e for e in aws.async_events if e.function_name == other]
    assert [e.ended_in for e in theirs] == ["success"] * 18
