"""S3 validates a bucket's destinations when PutBucketNotificationConfiguration is called
(issue #4), through boto3 on a virtual clock.

AWS facts (S3 API PutBucketNotificationConfiguration): "In the case of Lambda destinations, Amazon
S3 verifies that the Lambda function permissions grant Amazon S3 permission to invoke the
function from the Amazon S3 bucket"; SNS and SQS destinations must exist. A failed check is 400
InvalidArgument "Unable to validate the following destination configurations" with
ArgumentName1/ArgumentValue1 per failed destination (seen in AWS responses:
``<ArgumentName1>arn:…:function:f, null</ArgumentName1><ArgumentValue1>Not authorized to
invoke function [arn:…:function:f]</ArgumentValue1>``); the configuration is not replaced.
``SkipDestinationValidation`` skips the checks.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, create, lam, role, session  # noqa: F401
from botocore.exceptions import ClientError

from lambda_lab.sources import triggers

ECHO = "def handler(event, context):\n    return event\n"
ACCOUNT = "123456789012"
UNABLE = "Unable to validate the following destination configurations"


@pytest.fixture
def aws():
    """Platform time moves only by ``aws.advance`` in these tests."""
    yield from session(virtual_clock=True)


@pytest.fixture
def s3(aws):
    return boto3.client("s3", region_name=REGION)


def fn_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def allow(lam, name: str, bucket: str, account: str = ACCOUNT, sid: str = "s3") -> None:
    lam.add_permission(FunctionName=name, StatementId=sid, Principal="s3.amazonaws.com",
                       Action="lambda:InvokeFunction", SourceArn=f"arn:aws:s3:::{bucket}",
                       SourceAccount=account)


def lambda_config(arn: str, **extra) -> dict:
    return {"LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"], **extra}


def put(s3, bucket: str, lambdas: list[dict] = (), **other) -> None:
    config = {"LambdaFunctionConfigurations": list(lambdas), **other}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config)


def rejected(s3, bucket: str, lambdas: list[dict] = (), **other) -> dict:
    with pytest.raises(ClientError) as info:
        put(s3, bucket, lambdas, **other)
    error = info.value.response["Error"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Code"] == "InvalidArgument" and error["Message"] == UNABLE
    return error


def lambda_arns(s3, bucket: str) -> list[str]:
    got = s3.get_bucket_notification_configuration(Bucket=bucket)
    return [c["LambdaFunctionArn"] for c in got.get("LambdaFunctionConfigurations", [])]


def test_function_without_permission_is_rejected(aws, s3, lam, create):
    name = create(ECHO)
    s3.create_bucket(Bucket="photos")
    error = rejected(s3, "photos", [lambda_config(fn_arn(name))])
    assert error["ArgumentName1"] == f"{fn_arn(name)}, null"
    assert error["ArgumentValue1"] == f"Not authorized to invoke function [{fn_arn(name)}]"
    assert lambda_arns(s3, "photos") == []


def test_missing_function_is_rejected(aws, s3):
    s3.create_bucket(Bucket="photos")
    error = rejected(s3, "photos", [lambda_config(fn_arn("nope"))])
    assert error["ArgumentValue1"] == f"Not authorized to invoke function [{fn_arn('nope')}]"


def test_source_arn_and_source_account_conditions_are_honoured(aws, s3, lam, create):
    name = create(ECHO)
    s3.create_bucket(Bucket="photos")
    allow(lam, name, "another-bucket", sid="other-bucket")
    allow(lam, name, "photos", account="999999999999", sid="other-account")
    rejected(s3, "photos", [lambda_config(fn_arn(name))])
    allow(lam, name, "photos")
    put(s3, "photos", [lambda_config(fn_arn(name))])
    assert lambda_arns(s3, "photos") == [fn_arn(name)]


def test_whole_configuration_is_rejected_and_the_previous_one_stays(aws, s3, lam, create):
    good, bad = create(ECHO), create(ECHO)
    s3.create_bucket(Bucket="photos")
    allow(lam, good, "photos")
    put(s3, "photos", [lambda_config(fn_arn(good))])
    error = rejected(s3, "photos", [lambda_config(fn_arn(good), Id="good"),
                                    lambda_config(fn_arn(bad), Id="bad")])
    assert error["ArgumentName1"] == f"{fn_arn(bad)}, null" and "ArgumentName2" not in error
    assert lambda_arns(s3, "photos") == [fn_arn(good)]


def test_missing_queue_and_topic_are_rejected(aws, s3):
    s3.create_bucket(Bucket="photos")
    queue = f"arn:aws:sqs:{REGION}:{ACCOUNT}:no-queue"
    topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:no-topic"
    error = rejected(s3, "photos", [lambda_config(fn_arn("nope"))],
                     QueueConfigurations=[{"QueueArn": queue, "Events": ["s3:ObjectCreated:*"]}],
                     TopicConfigurations=[{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}])
    assert error["ArgumentName1"] == queue
    assert error["ArgumentValue1"] == "The destination queue does not exist"
    assert error["ArgumentName2"] == topic
    assert error["ArgumentValue2"] == "The destination topic does not exist"
    assert error["ArgumentName3"] == f"{fn_arn('nope')}, null"
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.create_queue(QueueName="no-queue")
    boto3.client("sns", region_name=REGION).create_topic(Name="no-topic")
    put(s3, "photos", QueueConfigurations=[{"QueueArn": queue, "Events": ["s3:ObjectCreated:*"]}],
        TopicConfigurations=[{"TopicArn": topic, "Events": ["s3:ObjectCreated:*"]}])


def test_skip_destination_validation(aws, s3):
    s3.create_bucket(Bucket="photos")
    s3.put_bucket_notification_configuration(
        Bucket="photos", SkipDestinationValidation=True,
        NotificationConfiguration={"LambdaFunctionConfigurations": [lambda_config(
            fn_arn("nope"))]})
    assert lambda_arns(s3, "photos") == [fn_arn("nope")]


def test_a_validated_configuration_survives_a_removed_permission(aws, s3, lam, create):
    """The check happens when the configuration is put; later deliveries are checked again at
    invoke time and refused once the permission is gone."""
    name = create(ECHO)
    s3.create_bucket(Bucket="photos")
    allow(lam, name, "photos")
    put(s3, "photos", [lambda_config(fn_arn(name))])
    s3.put_object(Bucket="photos", Key="a.jpg", Body=b"1")
    lam.remove_permission(FunctionName=name, StatementId="s3")
    s3.put_object(Bucket="photos", Key="b.jpg", Body=b"2")
    assert lambda_arns(s3, "photos") == [fn_arn(name)]
    assert aws.wait_async(60)
    got = [json.loads(e.result.raw_payload) for e in aws.async_events if e.result is not None]
    assert [e["Records"][0]["s3"]["object"]["key"] for e in got] == ["a.jpg"]
    assert [d.outcome for d in triggers.deliveries()] == ["invoked", "denied"]
