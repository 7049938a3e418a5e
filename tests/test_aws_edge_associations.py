"""Lambda@Edge association checks on CreateDistribution / UpdateDistribution (issue #17):
``InvalidLambdaFunctionAssociation`` (400) as CloudFront answers (CloudFront DG "Restrictions
on Lambda@Edge", "Quotas on Lambda@Edge"; the exact texts of the version, Region and role
errors and of DeleteFunction's replicated-function error are AWS's, as recorded in public
Terraform / Serverless / CDK issue reports)."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
from typing import Any

import boto3
import pytest
from aws_helpers import REGION, aws, make_zip  # noqa: F401
from botocore.exceptions import ClientError
from edge_helpers import dist_config, edge_role, edge_version, s3_origin

OK = """
def handler(event, context):
    return event["Records"][0]["cf"]["request"]
"""


@pytest.fixture
def env(aws: Any) -> tuple[Any, Any, str]:
    boto3.client("s3", region_name=REGION).create_bucket(Bucket="site")
    return (boto3.client("lambda", region_name=REGION),
            boto3.client("cloudfront", region_name=REGION), edge_role())


def refused(cf: Any, arn: str, event_type: str = "viewer-request") -> str:
    with pytest.raises(ClientError) as info:
        cf.create_distribution(DistributionConfig=dist_config(
            s3_origin("site"), lambdas={event_type: arn}))
    err = info.value.response
    assert err["Error"]["Code"] == "InvalidLambdaFunctionAssociation"
    assert err["ResponseMetadata"]["HTTPStatusCode"] == 400
    return err["Error"]["Message"]


def test_a_numbered_version_is_required(env):
    """Restrictions on Lambda@Edge, "Lambda function version": a numbered version, not
    $LATEST or an alias; AWS's text: "The function ARN must reference a specific function
    version. (The ARN must end with the version number.) ARN: …"."""
    lam, cf, role = env
    arn = edge_version(lam, role, OK, "edge")
    base = arn.rsplit(":", 1)[0]
    lam.create_alias(FunctionName="edge", Name="live", FunctionVersion="1")
    for bad in (f"{base}:$LATEST", f"{base}:live", base):
        assert refused(cf, bad) == (
            "The function ARN must reference a specific function version. (The ARN must end "
            f"with the version number.) ARN: {bad}")
    dist = cf.create_distribution(DistributionConfig=dist_config(
        s3_origin("site"), lambdas={"viewer-request": arn}))["Distribution"]
    assoc = dist["DistributionConfig"]["DefaultCacheBehavior"]["LambdaFunctionAssociations"]
    assert assoc["Quantity"] == 1
    assert assoc["Items"][0]["LambdaFunctionARN"] == arn
    assert assoc["Items"][0]["EventType"] == "viewer-request"
    got = cf.get_distribution_config(Id=dist["Id"])["DistributionConfig"]
    assert got["DefaultCacheBehavior"]["LambdaFunctionAssociations"]["Items"][0][
        "LambdaFunctionARN"] == arn


def test_the_function_must_be_in_us_east_1(env):
    """Restrictions on Lambda@Edge, "Lambda Region": AWS's text "The function must be in
    region 'us-east-1'"."""
    lam, cf, role = env
    west = boto3.client("lambda", region_name="us-west-2")
    arn = edge_version(west, role, OK, "west")
    assert refused(cf, arn).startswith("The function must be in region 'us-east-1'")


def test_the_role_must_trust_edgelambda(env):
    """Restrictions on Lambda@Edge, "Lambda role permissions": AWS's text "The function
    execution role must be assumable with edgelambda.amazonaws.com as well as
    lambda.amazonaws.com principals. Update the IAM role and try again. Role: …"."""
    lam, cf, _ = env
    only_lambda = edge_role("lambda-only", json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
        "Action": "sts:AssumeRole"}]}))
    arn = edge_version(lam, only_lambda, OK, "no-edge-trust")
    assert refused(cf, arn) == (
        "The function execution role must be assumable with edgelambda.amazonaws.com as well "
        f"as lambda.amazonaws.com principals. Update the IAM role and try again. Role: "
        f"{only_lambda}")


def test_lambda_features_edge_cannot_use(aws, env):
    """Restrictions on Lambda@Edge, "Lambda features": no environment variables, no layers,
    no VPC, no dead-letter queue."""
    lam, cf, role = env
    env_arn = edge_version(lam, role, OK, "with-env", Environment={"Variables": {"STAGE": "1"}})
    assert "cannot have environment variables" in refused(cf, env_arn)
    layer = lam.publish_layer_version(LayerName="lib", Content={"ZipFile": make_zip("x = 1")},
                                      CompatibleRuntimes=["python3.12"])["LayerVersionArn"]
    assert "cannot have layers" in refused(cf, edge_version(lam, role, OK, "with-layer",
                                                            Layers=[layer]))
    queue = boto3.client("sqs", region_name=REGION).create_queue(QueueName="dlq")["QueueUrl"]
    dlq = f"arn:aws:sqs:{REGION}:123456789012:{queue.rsplit('/', 1)[1]}"
    assert "DeadLetterConfig" in refused(cf, edge_version(lam, role, OK, "with-dlq",
                                                          DeadLetterConfig={"TargetArn": dlq}))
    ec2 = boto3.client("ec2", region_name=REGION)
    vpc = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.0.1.0/24")["Subnet"]["SubnetId"]
    sg = ec2.create_security_group(GroupName="g", Description="g", VpcId=vpc)["GroupId"]
    iam = boto3.client("iam", region_name=REGION)
    iam.attach_role_policy(RoleName="edge-role", PolicyArn="arn:aws:iam::aws:policy/"
                                                           "service-role/AWSLambdaVPCAccessExecutionRole")
    lam.create_function(FunctionName="with-vpc", Role=role, Handler="lambda_function.handler",
                        Runtime="python3.12", Code={"ZipFile": make_zip(OK)},
                        VpcConfig={"SubnetIds": [subnet], "SecurityGroupIds": [sg]})
    aws.advance(10)  # Pending while its ENIs are made
    vpc_arn = lam.publish_version(FunctionName="with-vpc")["FunctionArn"]
    assert "VPC configuration" in refused(cf, vpc_arn)


def test_runtime_memory_and_timeout_quotas(env):
    """Restrictions on Lambda@Edge, "Supported runtimes" (Node.js and Python only); Quotas on
    Lambda@Edge: viewer triggers at most 128 MB and 5 s, origin triggers at most 30 s."""
    lam, cf, role = env
    custom = edge_version(lam, role, OK, "custom-rt", Runtime="provided.al2023")
    assert "invalid runtime" in refused(cf, custom)
    big = edge_version(lam, role, OK, "big", MemorySize=256)
    assert "memory size" in refused(cf, big, "viewer-request")
    slow = edge_version(lam, role, OK, "slow", Timeout=6)
    assert "execution time" in refused(cf, slow, "viewer-response")
    too_slow = edge_version(lam, role, OK, "too-slow", Timeout=31, MemorySize=1024)
    assert "execution time" in refused(cf, too_slow, "origin-request")
    fine = edge_version(lam, role, OK, "origin-ok", Timeout=30, MemorySize=1024)
    cf.create_distribution(DistributionConfig=dist_config(
        s3_origin("site"), lambdas={"origin-request": fine, "origin-response": fine}))


def test_update_distribution_checks_too(env):
    """UpdateDistribution validates the associations as CreateDistribution does."""
    lam, cf, role = env
    arn = edge_version(lam, role, OK, "upd")
    config = dist_config(s3_origin("site"))
    dist = cf.create_distribution(DistributionConfig=config)["Distribution"]
    config["DefaultCacheBehavior"]["LambdaFunctionAssociations"] = {"Quantity": 1, "Items": [
        {"LambdaFunctionARN": arn.rsplit(":", 1)[0] + ":$LATEST", "EventType": "viewer-request"}]}
    with pytest.raises(ClientError) as info:
        cf.update_distribution(Id=dist["Id"], IfMatch=dist.get("ETag", "x"),
                               DistributionConfig=config)
    assert info.value.response["Error"]["Code"] == "InvalidLambdaFunctionAssociation"


def test_an_associated_version_cannot_be_deleted(env):
    """Deleting Lambda@Edge functions and replicas: DeleteFunction of an associated version
    (or of the whole function) fails with InvalidParameterValueException, AWS's text "Lambda
    was unable to delete {version ARN} because it is a replicated function. …"."""
    lam, cf, role = env
    arn = edge_version(lam, role, OK, "replicated")
    cf.create_distribution(DistributionConfig=dist_config(
        s3_origin("site"), lambdas={"viewer-request": arn}))
    for kwargs in ({"FunctionName": "replicated", "Qualifier": "1"},
                   {"FunctionName": "replicated"}):
        with pytest.raises(ClientError) as info:
            lam.delete_function(**kwargs)
        assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"
        assert info.value.response["Error"]["Message"] == (
            f"Lambda was unable to delete {arn} because it is a replicated function. Please "
            "see our documentation for Deleting Lambda@Edge Functions and Replicas.")
