"""S3 bucket notifications and SNS subscriptions that invoke Lambda (issue #4 §S3/SNS): record
shapes, filters, the resource-policy check, async delivery, and SNS loop detection."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, aws, create, lam, role, s3  # noqa: F401

from lambda_lab.sources import triggers

ECHO = "def handler(event, context):\n    return event\n"
ACCOUNT = "123456789012"


def fn_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def allow(lam, name: str, principal: str, source_arn: str) -> None:
    lam.add_permission(FunctionName=name, StatementId=principal.split(".")[0],
                       Principal=principal, Action="lambda:InvokeFunction",
                       SourceArn=source_arn, SourceAccount=ACCOUNT)


def received(aws, name: str) -> list:
    assert aws.wait_async(60)
    return [json.loads(e.result.raw_payload) for e in aws.async_events
            if e.function_name == name and e.result is not None]


def notify(s3, bucket: str, name: str, events: list[str], skip: bool = False,
           **rules: str) -> None:
    config: dict = {"LambdaFunctionArn": fn_arn(name), "Events": events}
    if rules:
        config["Filter"] = {"Key": {"FilterRules": [{"Name": k, "Value": v}
                                                    for k, v in rules.items()]}}
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"LambdaFunctionConfigurations": [config]},
        SkipDestinationValidation=skip)


def test_s3_object_created_and_removed_with_filters(aws, s3, lam, create):
    name = create(ECHO)
    s3.create_bucket(Bucket="photos")
    allow(lam, name, "s3.amazonaws.com", "arn:aws:s3:::photos")
    notify(s3, "photos", name, ["s3:ObjectCreated:*", "s3:ObjectRemoved:*"],
           prefix="uploads/", suffix=".jpg")
    s3.put_object(Bucket="photos", Key="uploads/cat 1.jpg", Body=b"meow")
    s3.put_object(Bucket="photos", Key="uploads/notes.txt", Body=b"x")  # suffix filtered out
    s3.put_object(Bucket="photos", Key="other/dog.jpg", Body=b"x")  # prefix filtered out
    s3.delete_object(Bucket="photos", Key="uploads/cat 1.jpg")
    got = received(aws, name)
    assert len(got) == 2
    created, removed = sorted(got, key=lambda e: e["Records"][0]["eventName"])
    (record,) = created["Records"]
    assert record["eventSource"] == "aws:s3" and record["eventVersion"] == "2.1"
    assert record["eventName"] == "ObjectCreated:Put" and record["awsRegion"] == REGION
    assert record["eventTime"].endswith("Z")
    assert record["userIdentity"]["principalId"] and record["requestParameters"]
    assert set(record["responseElements"]) == {"x-amz-request-id", "x-amz-id-2"}
    s3_part = record["s3"]
    assert s3_part["s3SchemaVersion"] == "1.0" and s3_part["configurationId"]
    assert s3_part["bucket"]["name"] == "photos"
    assert s3_part["bucket"]["arn"] == "arn:aws:s3:::photos"
    assert s3_part["bucket"]["ownerIdentity"]["principalId"]
    assert s3_part["object"]["key"] == "uploads/cat+1.jpg"  # URL-encoded, as S3 sends it
    assert s3_part["object"]["size"] == 4 and s3_part["object"]["eTag"]
    assert s3_part["object"]["sequencer"]
    (gone,) = removed["Records"]
    assert gone["eventName"] == "ObjectRemoved:Delete"
    assert "size" not in gone["s3"]["object"] and "eTag" not in gone["s3"]["object"]


def test_s3_without_permission_invokes_nothing(aws, s3, lam, create):
    name = create(ECHO)
    s3.create_bucket(Bucket="docs")
    allow(lam, name, "s3.amazonaws.com", "arn:aws:s3:::another-bucket")
    # S3 checks the permission when the configuration is put (test_aws_triggers_s3_validation);
    # skipping that check stores it, and the delivery is refused at invoke time
    notify(s3, "docs", name, ["s3:ObjectCreated:*"], skip=True)
    s3.put_object(Bucket="docs", Key="a.txt", Body=b"x")
    assert received(aws, name) == []
    (delivery,) = triggers.deliveries()
    assert delivery.outcome == "denied" and delivery.principal == "s3.amazonaws.com"
    assert delivery.source_arn == "arn:aws:s3:::docs"


def test_s3_failures_follow_the_async_retry_rules(aws, s3, lam, create):
    name = create("def handler(event, context):\n    raise RuntimeError('boom')\n")
    lam.put_function_event_invoke_config(FunctionName=name, MaximumRetryAttempts=1)
    s3.create_bucket(Bucket="fails")
    allow(lam, name, "s3.amazonaws.com", "arn:aws:s3:::fails")
    notify(s3, "fails", name, ["s3:ObjectCreated:*"])
    s3.put_object(Bucket="fails", Key="a.txt", Body=b"x")
    assert aws.wait_async(60)
    aws.advance(600)
    assert aws.wait_async(60)
    (event,) = [e for e in aws.async_events if e.function_name == name]
    assert event.attempts == 2 and event.status == "failed"


@pytest.fixture
def sns(aws):
    return boto3.client("sns", region_name=REGION)


def test_sns_lambda_subscription(aws, sns, lam, create):
    name = create(ECHO)
    topic = sns.create_topic(Name="orders")["TopicArn"]
    allow(lam, name, "sns.amazonaws.com", topic)
    sub = sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn(name))[
        "SubscriptionArn"]
    sns.set_subscription_attributes(SubscriptionArn=sub, AttributeName="FilterPolicy",
                                    AttributeValue=json.dumps({"kind": ["order"]}))
    sent = sns.publish(TopicArn=topic, Message="hello", Subject="greeting", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "order"}})
    sns.publish(TopicArn=topic, Message="filtered out", MessageAttributes={
        "kind": {"DataType": "String", "StringValue": "refund"}})
    got = received(aws, name)
    assert len(got) == 1
    (record,) = got[0]["Records"]
    assert record["EventSource"] == "aws:sns" and record["EventVersion"] == "1.0"
    assert record["EventSubscriptionArn"] == sub
    body = record["Sns"]
    assert body["Type"] == "Notification" and body["MessageId"] == sent["MessageId"]
    assert body["TopicArn"] == topic and body["Message"] == "hello"
    assert body["Subject"] == "greeting" and body["Timestamp"].endswith("Z")
    assert body["MessageAttributes"] == {"kind": {"Type": "String", "Value": "order"}}
    assert body["SignatureVersion"] and body["Signature"] and body["SigningCertUrl"]


def test_sns_without_permission_invokes_nothing(aws, sns, lam, create):
    name = create(ECHO)
    topic = sns.create_topic(Name="orders")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn(name))
    sns.publish(TopicArn=topic, Message="hello")
    assert received(aws, name) == []
    assert [d.outcome for d in triggers.deliveries()] == ["denied"]


LOOP = """
import os, boto3
def handler(event, context):
    boto3.client("sns").publish(TopicArn=os.environ["TOPIC"], Message="again")
    return "published"
"""


def test_sns_loop_is_stopped(aws, sns, lam, create):
    topic = sns.create_topic(Name="loop")["TopicArn"]
    name = create(LOOP, MemorySize=1769, Timeout=30, Environment={"Variables": {"TOPIC": topic}})
    allow(lam, name, "sns.amazonaws.com", topic)
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=fn_arn(name))
    sns.publish(TopicArn=topic, Message="start")
    assert aws.wait_async(120)
    mine = [e for e in aws.async_events if e.function_name == name]
    ran = [e for e in mine if e.result is not None]
    assert len(ran) == 16  # the 17th invocation of the chain is stopped
    assert any(e.status != "succeeded" for e in mine)
