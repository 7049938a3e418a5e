"""Powertools' public layers, offline, through boto3.

Powertools for AWS Lambda (Python) docs, "Install" / "Lambda Layer": V3 layers
``arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-{python_version}-x86_64:N``
and ``…-arm64:N`` for python39 … python314 in every commercial Region (docs/includes/
_layer_homepage_x86.md lists version 27 for each); V2 ``AWSLambdaPowertoolsPythonV2:N`` and
``AWSLambdaPowertoolsPythonV2-Arm64:N`` (last version 79); the docs' own check is
``aws lambda get-layer-version-by-arn --arn … --region …``. API GetLayerVersionByArn returns
LayerVersionArn, LayerArn, Version, Description, CreatedDate, CompatibleRuntimes,
CompatibleArchitectures, LicenseInfo and Content (Location, CodeSha256, CodeSize). A version that
was never published is refused as a cross-account layer without a grant — recorded answer (a
Terraform apply, June 2026, on python313-x86_64:3, "4 through 34 accessible; 3 and 35+ not";
``Runtimes: ["python3.13"], Archs: ["x86_64"]``): HTTP 403 AccessDeniedException "User: … is not
authorized to perform: lambda:GetLayerVersion on resource: <arn> because no resource-based policy
allows the lambda:GetLayerVersion action", from GetLayerVersionByArn and CreateFunction alike.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import base64
import importlib.metadata as md

import boto3
import pytest
from aws_helpers import REGION, aws, create, invoke_json, lam, role  # noqa: F401
from botocore.exceptions import ClientError

PT = "arn:aws:lambda:{region}:017000801446:layer:{name}:{n}"


def arn(name: str, n: int, region: str = REGION) -> str:
    return PT.format(region=region, name=name, n=n)


def denied(exc: pytest.ExceptionInfo, layer_arn: str) -> str:
    e = exc.value.response
    assert (e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]) == (
        "AccessDeniedException", 403)
    aws_part = (f"User: arn:aws:iam::123456789012:root is not authorized to perform: "
                f"lambda:GetLayerVersion on resource: {layer_arn} because no resource-based "
                "policy allows the lambda:GetLayerVersion action")
    assert e["Error"]["Message"].startswith(aws_part)
    return e["Error"]["Message"][len(aws_part):]


def test_the_v3_layer_arn_from_the_docs_answers_as_aws_does(aws, lam):
    """GetLayerVersionByArn on the docs' V3 ARN: its ARNs and version, one runtime and one
    architecture, MIT-0, and a .zip's CodeSize and base64 SHA-256."""
    layer_arn = arn("AWSLambdaPowertoolsPythonV3-python312-x86_64", 27)
    got = lam.get_layer_version_by_arn(Arn=layer_arn)
    assert got["LayerVersionArn"] == layer_arn
    assert got["LayerArn"] == layer_arn.rsplit(":", 1)[0]
    assert got["Version"] == 27
    assert got["CompatibleRuntimes"] == ["python3.12"]
    assert got["CompatibleArchitectures"] == ["x86_64"]
    assert got["LicenseInfo"] == "MIT-0"
    assert got["Description"].startswith(
        "Powertools for AWS Lambda (Python) V3 [x86_64 - Python 3.12]")
    assert md.version("aws-lambda-powertools") in got["Description"]
    assert got["Content"]["CodeSize"] > 100_000
    assert len(base64.b64decode(got["Content"]["CodeSha256"])) == 32
    assert got["CreatedDate"]
    # the same layer by name and number (GetLayerVersion with the layer's ARN)
    again = lam.get_layer_version(LayerName=got["LayerArn"], VersionNumber=27)
    assert again["LayerVersionArn"] == layer_arn


def test_every_region_architecture_and_the_v2_names_resolve(aws):
    """Any Region; arm64; python313 / python314; the V2 names (x86_64 and -Arm64). The content is
    the same package everywhere."""
    eu = boto3.client("lambda", region_name="eu-west-1")
    arm = eu.get_layer_version_by_arn(
        Arn=arn("AWSLambdaPowertoolsPythonV3-python313-arm64", 34, "eu-west-1"))
    assert (arm["CompatibleRuntimes"], arm["CompatibleArchitectures"]) == (
        ["python3.13"], ["arm64"])
    ap = boto3.client("lambda", region_name="ap-southeast-2")
    py314 = ap.get_layer_version_by_arn(
        Arn=arn("AWSLambdaPowertoolsPythonV3-python314-x86_64", 27, "ap-southeast-2"))
    assert py314["CompatibleRuntimes"] == ["python3.14"]
    assert py314["Content"]["CodeSha256"] == arm["Content"]["CodeSha256"]
    v2 = eu.get_layer_version_by_arn(Arn=arn("AWSLambdaPowertoolsPythonV2", 79, "eu-west-1"))
    v2_arm = eu.get_layer_version_by_arn(
        Arn=arn("AWSLambdaPowertoolsPythonV2-Arm64", 79, "eu-west-1"))
    assert v2["CompatibleArchitectures"] == ["x86_64"]
    assert v2_arm["CompatibleArchitectures"] == ["arm64"]
    assert "python3.12" in v2["CompatibleRuntimes"]
    assert v2["Description"].startswith("Powertools for AWS Lambda (Python) V2")


@pytest.mark.parametrize("name,n", [
    ("AWSLambdaPowertoolsPythonV3-python313-x86_64", 3),  # the recorded answer
    ("AWSLambdaPowertoolsPythonV3-python312-x86_64", 999),
    ("AWSLambdaPowertoolsPythonV2", 80),
])
def test_a_version_never_published_is_access_denied(aws, lam, name, n):
    """Not published: AccessDeniedException, AWS's message (plus the emulator's note of the
    versions it has)."""
    layer_arn = arn(name, n)
    with pytest.raises(ClientError) as exc:
        lam.get_layer_version_by_arn(Arn=layer_arn)
    note = denied(exc, layer_arn)
    assert "available offline" in note and name in note


def test_an_unknown_public_layer_says_it_is_not_available_offline(aws, lam):
    """Another layer of the publisher account (not in the offline catalogue): AWS's refusal,
    and the emulator's note that it is not available offline."""
    layer_arn = arn("AWSLambdaPowertoolsTypeScriptV2", 20)
    with pytest.raises(ClientError) as exc:
        lam.get_layer_version_by_arn(Arn=layer_arn)
    assert "not available offline" in denied(exc, layer_arn)


POWERTOOLS = """
import sys
import aws_lambda_powertools
from aws_lambda_powertools import Logger

logger = Logger(service="orders")

@logger.inject_lambda_context
def handler(event, context):
    logger.info("hello")
    return {"file": aws_lambda_powertools.__file__,
            "first": [p for p in sys.path if p.endswith("python")][:1]}
"""


def test_a_function_with_the_layer_imports_powertools_from_it(aws, lam, create):
    """A function created with the docs' layer ARN imports Powertools from the layer's
    ``python/`` (its /opt/python), and GetFunction lists the layer with its CodeSize."""
    layer_arn = arn("AWSLambdaPowertoolsPythonV3-python312-x86_64", 27)
    name = create(POWERTOOLS, Layers=[layer_arn], MemorySize=1769)
    _, body = invoke_json(lam, name)
    assert body["first"] and body["file"].startswith(body["first"][0])
    [layer] = lam.get_function(FunctionName=name)["Configuration"]["Layers"]
    size = lam.get_layer_version_by_arn(Arn=layer_arn)["Content"]["CodeSize"]
    assert layer == {"Arn": layer_arn, "CodeSize": size}


def test_create_function_with_an_unpublished_version_is_access_denied(aws, lam, create):
    """CreateFunction refuses the layer as GetLayerVersion does (the recorded Terraform answer:
    403 AccessDeniedException from CreateFunction)."""
    layer_arn = arn("AWSLambdaPowertoolsPythonV3-python313-x86_64", 3)
    with pytest.raises(ClientError) as exc:
        create(POWERTOOLS, Layers=[layer_arn])
    denied(exc, layer_arn)
    assert lam.list_functions()["Functions"] == []
