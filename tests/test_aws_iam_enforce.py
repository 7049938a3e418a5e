"""``mock_aws(enforce_iam=True)``: a handler's AWS calls are signed with its execution role's
session credentials and allowed or denied by the role's policies (IAM UG "Policy evaluation
logic": an explicit Deny wins, otherwise an Allow is needed; same account: an Allow in the
identity-based policy or in the resource-based policy is enough). The learner's own calls stay
unrestricted; the option is off by default."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_helpers import REGION, TRUST, invoke_json, make_zip
from conftest import wait_no_workers

ACCOUNT = "123456789012"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
#: runs ``event["ops"]``: [service, method, kwargs] each; answers "ok" or [code, message, status]
OPS = """
import boto3, botocore
def handler(event, context):
    out = []
    for service, method, kwargs in event["ops"]:
        try:
            getattr(boto3.client(service), method)(**kwargs)
            out.append("ok")
        except botocore.exceptions.ClientError as e:
            err, meta = e.response["Error"], e.response["ResponseMetadata"]
            out.append([err["Code"], err["Message"], meta["HTTPStatusCode"]])
    return out
"""
PRINTER = "def handler(event, context):\n    print('hello')\n    return 1\n"


def doc(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def denied(action: str, resource: str, fn: str = "fn", role: str = "exec-role") -> str:
    """IAM's implicit-deny wording (IAM UG "Access denied error messages")."""
    return (f"User: arn:aws:sts::{ACCOUNT}:assumed-role/{role}/{fn} is not authorized to "
            f"perform: {action} on resource: {resource} because no identity-based policy "
            f"allows the {action} action")


def session(enforce: bool = True) -> Iterator[Any]:
    import lambda_lab

    with lambda_lab.mock_aws(seed=1, enforce_iam=enforce) as aws:
        yield aws
    assert wait_no_workers() == set()


@pytest.fixture
def aws() -> Iterator[Any]:
    yield from session()


@pytest.fixture
def iam(aws: Any) -> Any:
    client = boto3.client("iam", region_name=REGION)
    client.create_role(RoleName="exec-role", AssumeRolePolicyDocument=TRUST)
    return client


@pytest.fixture
def lam(iam: Any) -> Any:
    return boto3.client("lambda", region_name=REGION)


def create(lam: Any, source: str = OPS, name: str = "fn", **params: Any) -> str:
    """A function on ``exec-role`` (boto3 handlers need MemorySize >= 1769 in tests)."""
    params = {"MemorySize": 1769, "Timeout": 30, **params}
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role_arn(),
                        Handler="lambda_function.handler", Code={"ZipFile": make_zip(source)},
                        **params)
    return name


def role_arn(name: str = "exec-role") -> str:
    return f"arn:aws:iam::{ACCOUNT}:role/{name}"


def run(lam: Any, *ops: tuple[str, str, dict], name: str = "fn") -> list:
    resp, body = invoke_json(lam, name, {"ops": [list(op) for op in ops]})
    assert "FunctionError" not in resp, body
    return body


def test_s3_needs_an_allow_and_the_notebook_stays_unrestricted(lam, iam):
    """A role with no policy: S3 answers 403 AccessDenied with the enhanced same-account message
    (S3 UG troubleshoot-403-errors: 'User: <arn> is not authorized to perform: <action> on
    resource: "<arn>" because no identity-based policy allows the <action> action'); the
    notebook's own credentials are not the role's, so its calls go through."""
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket="lab-bucket")
    s3.put_object(Bucket="lab-bucket", Key="in/a.txt", Body=b"a")
    create(lam)
    get_in = ("s3", "get_object", {"Bucket": "lab-bucket", "Key": "in/a.txt"})
    put_out = ("s3", "put_object", {"Bucket": "lab-bucket", "Key": "out/b.txt", "Body": "b"})
    assert run(lam, get_in) == [[
        "AccessDenied", denied("s3:GetObject", '"arn:aws:s3:::lab-bucket/in/a.txt"'), 403]]
    assert s3.get_object(Bucket="lab-bucket", Key="in/a.txt")["Body"].read() == b"a"

    # Resource ARNs and wildcards: reads under in/ only; no Put
    iam.put_role_policy(RoleName="exec-role", PolicyName="read-in", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:Get*", "Resource": "arn:aws:s3:::lab-bucket/in/*"}))
    assert run(lam, get_in, put_out) == ["ok", [
        "AccessDenied", denied("s3:PutObject", '"arn:aws:s3:::lab-bucket/out/b.txt"'), 403]]
    # GetObject of a missing key without s3:ListBucket: 403, not 404 (S3 API GetObject)
    missing = ("s3", "get_object", {"Bucket": "lab-bucket", "Key": "in/nope"})
    assert run(lam, missing)[0][0] == "AccessDenied"
    iam.put_role_policy(RoleName="exec-role", PolicyName="list", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::lab-bucket"}))
    assert run(lam, missing)[0][:2] == ["NoSuchKey", "The specified key does not exist."]

    # a bucket policy naming the role grants it in the same account
    s3.put_bucket_policy(Bucket="lab-bucket", Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": role_arn()}, "Action": "s3:PutObject",
         "Resource": "arn:aws:s3:::lab-bucket/out/*"}))
    assert run(lam, put_out) == ["ok"]


def test_dynamodb_access_denied_and_explicit_deny_wins(lam, iam):
    """DynamoDB: AccessDeniedException (400) naming the table ARN; an AWS managed policy grants;
    an explicit Deny in another policy overrides it (IAM UG "The difference between explicit and
    implicit denies"); a Query on an index needs the index ARN."""
    ddb = boto3.client("dynamodb", region_name=REGION)
    ddb.create_table(TableName="orders", BillingMode="PAY_PER_REQUEST",
                     KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"},
                                           {"AttributeName": "who", "AttributeType": "S"}],
                     GlobalSecondaryIndexes=[{
                         "IndexName": "by-who", "Projection": {"ProjectionType": "ALL"},
                         "KeySchema": [{"AttributeName": "who", "KeyType": "HASH"}]}])
    create(lam)
    table = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/orders"
    put = ("dynamodb", "put_item", {"TableName": "orders", "Item": {"id": {"S": "1"},
                                                                      "who": {"S": "ann"}}})
    delete = ("dynamodb", "delete_item", {"TableName": "orders", "Key": {"id": {"S": "1"}}})
    query = ("dynamodb", "query", {"TableName": "orders", "IndexName": "by-who",
                                   "KeyConditionExpression": "who = :w",
                                   "ExpressionAttributeValues": {":w": {"S": "ann"}}})
    assert run(lam, put) == [["AccessDeniedException", denied("dynamodb:PutItem", table), 400]]

    iam.put_role_policy(RoleName="exec-role", PolicyName="table-only", PolicyDocument=doc(
        {"Effect": "Allow", "Action": ["dynamodb:PutItem", "dynamodb:Query"],
         "Resource": table}))
    assert run(lam, put, query) == ["ok", [
        "AccessDeniedException", denied("dynamodb:Query", f"{table}/index/by-who"), 400]]

    iam.attach_role_policy(RoleName="exec-role",
                           PolicyArn="arn:aws:iam::aws:policy/AmazonDynamoDBFullAccess")
    iam.put_role_policy(RoleName="exec-role", PolicyName="no-delete", PolicyDocument=doc(
        {"Effect": "Deny", "Action": "dynamodb:Delete*", "Resource": "*"}))
    result = run(lam, query, delete)
    assert result[0] == "ok"
    assert result[1] == ["AccessDeniedException", (
        f"User: arn:aws:sts::{ACCOUNT}:assumed-role/exec-role/fn is not authorized to perform: "
        f"dynamodb:DeleteItem on resource: {table} with an explicit deny in an identity-based "
        "policy"), 400]
    ddb.delete_item(TableName="orders", Key={"id": {"S": "1"}})  # the notebook: unrestricted


def test_sqs_identity_or_queue_policy(lam, iam):
    """SQS: AccessDenied, the action written in lower case (as SQS writes it; batch calls are
    authorised as the single action); an Allow in the queue policy naming the role is enough
    in the same account (SQS DG "Troubleshoot access denied")."""
    sqs = boto3.client("sqs", region_name=REGION)
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:jobs"
    create(lam)
    send = ("sqs", "send_message", {"QueueUrl": url, "MessageBody": "x"})
    batch = ("sqs", "send_message_batch", {"QueueUrl": url, "Entries": [
        {"Id": "1", "MessageBody": "y"}]})
    no = ["AccessDenied", denied("sqs:sendmessage", arn), 403]
    assert run(lam, send, batch) == [no, no]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": doc(
        {"Effect": "Allow", "Principal": {"AWS": role_arn()}, "Action": "sqs:SendMessage",
         "Resource": arn})})
    assert run(lam, send, batch) == ["ok", "ok"]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "2"


def test_sqs_mapping_needs_the_role_to_read_the_queue(lam, iam):
    """CreateEventSourceMapping checks the execution role: InvalidParameterValueException "The
    provided execution role does not have permissions to call ReceiveMessage on SQS" (AWS's
    words, as CloudFormation reports them); AWSLambdaSQSQueueExecutionRole grants what's needed
    (DG with-sqs: ReceiveMessage, DeleteMessage, GetQueueAttributes)."""
    sqs = boto3.client("sqs", region_name=REGION)
    sqs.create_queue(QueueName="in", Attributes={"VisibilityTimeout": "60"})
    arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:in"
    create(lam, PRINTER)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="fn")
    assert e.value.response["Error"]["Message"] == (
        "The provided execution role does not have permissions to call ReceiveMessage on SQS")
    iam.put_role_policy(RoleName="exec-role", PolicyName="recv", PolicyDocument=doc(
        {"Effect": "Allow", "Action": "sqs:ReceiveMessage", "Resource": arn}))
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="DeleteMessage"):
        lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="fn")
    iam.attach_role_policy(
        RoleName="exec-role",
        PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole")
    made = lam.create_event_source_mapping(EventSourceArn=arn, FunctionName="fn", Enabled=False)
    assert made["EventSourceArn"] == arn


def test_logs_need_logs_permissions(lam, iam):
    """Without logs:CreateLogGroup / CreateLogStream / PutLogEvents, Lambda cannot write the
    function's logs and drops them silently; AWSLambdaBasicExecutionRole grants them (DG
    "Lambda execution role": permissions for CloudWatch Logs)."""
    logs = boto3.client("logs", region_name=REGION)
    create(lam, PRINTER, MemorySize=128)
    assert invoke_json(lam, "fn")[1] == 1
    assert logs.describe_log_groups()["logGroups"] == []
    iam.attach_role_policy(
        RoleName="exec-role",
        PolicyArn="arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole")
    invoke_json(lam, "fn")
    (stream,) = logs.describe_log_streams(logGroupName="/aws/lambda/fn")["logStreams"]
    events = logs.get_log_events(logGroupName="/aws/lambda/fn",
                                 logStreamName=stream["logStreamName"])["events"]
    assert [e["message"] for e in events if e["message"].startswith("hello")] == ["hello"]


def test_default_off_a_role_without_policies_can_do_anything():
    """``mock_aws()`` without the option: today's behaviour, nothing enforced."""
    for aws in session(enforce=False):
        iam = boto3.client("iam", region_name=REGION)
        iam.create_role(RoleName="exec-role", AssumeRolePolicyDocument=TRUST)
        lam = boto3.client("lambda", region_name=REGION)
        boto3.client("s3", region_name=REGION).create_bucket(Bucket="lab-bucket")
        create(lam)
        assert run(lam, ("s3", "put_object", {"Bucket": "lab-bucket", "Key": "k",
                                              "Body": "v"})) == ["ok"]
        assert aws.enforce_iam is False


def test_serve_enforce_iam_flag(tmp_path):
    """``python -m lambda_lab serve --enforce-iam``: the same enforcement behind the server;
    the CLI's/SDK's own credentials (``testing``) stay unrestricted."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        p for p in (ROOT, os.environ.get("PYTHONPATH")) if p)}
    proc = subprocess.Popen([sys.executable, "-m", "lambda_lab", "serve", "--port", str(port),
                             "--enforce-iam"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=str(tmp_path))
    try:
        assert f"127.0.0.1:{port}" in proc.stdout.readline()
        kw = {"endpoint_url": f"http://127.0.0.1:{port}", "region_name": REGION,
              "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        boto3.client("iam", **kw).create_role(RoleName="exec-role",
                                              AssumeRolePolicyDocument=TRUST)
        boto3.client("s3", **kw).create_bucket(Bucket="lab-bucket")
        lam = boto3.client("lambda", **kw)
        create(lam)
        put = ("s3", "put_object", {"Bucket": "lab-bucket", "Key": "k", "Body": "v"})
        assert run(lam, put)[0][0] == "AccessDenied"
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
