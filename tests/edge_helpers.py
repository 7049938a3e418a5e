"""Helpers for the Lambda@Edge and CloudFront Functions tests: an edge role, a published
function version, and a distribution config with associations."""

from __future__ import annotations

import itertools
import json
from typing import Any

import boto3
from aws_helpers import REGION, make_zip

_refs = itertools.count(1)
EDGE_TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": ["lambda.amazonaws.com",
                                                 "edgelambda.amazonaws.com"]},
    "Action": "sts:AssumeRole"}]})


def edge_role(name: str = "edge-role", trust: str = EDGE_TRUST) -> str:
    iam = boto3.client("iam", region_name=REGION)
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]


def edge_version(lam: Any, role: str, source: str, name: str, **params: Any) -> str:
    """Create ``name`` and publish version 1; its version ARN."""
    params.setdefault("Runtime", "python3.12")
    params.setdefault("Timeout", 5)
    params.setdefault("MemorySize", 128)
    lam.create_function(FunctionName=name, Role=role, Handler="lambda_function.handler",
                        Code={"ZipFile": make_zip(source)}, **params)
    return lam.publish_version(FunctionName=name)["FunctionArn"]


def dist_config(origin: dict[str, Any], *, lambdas: dict[str, str] | None = None,
                functions: dict[str, str] | None = None, include_body: bool = False,
                min_ttl: int = 0, default_ttl: int | None = None, max_ttl: int | None = None,
                headers: list[str] | None = None, behaviours: list[dict[str, Any]] | None = None
                ) -> dict[str, Any]:
    """A DistributionConfig with one origin (Id ``o1``) and legacy TTL settings."""
    behaviour: dict[str, Any] = {
        "TargetOriginId": "o1", "ViewerProtocolPolicy": "allow-all", "MinTTL": min_ttl,
        "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"},
                            "Headers": {"Quantity": len(headers or []),
                                        "Items": headers or []}},
        "LambdaFunctionAssociations": {"Quantity": len(lambdas or {}), "Items": [
            {"LambdaFunctionARN": arn, "EventType": et, "IncludeBody": include_body}
            for et, arn in (lambdas or {}).items()]},
        "FunctionAssociations": {"Quantity": len(functions or {}), "Items": [
            {"FunctionARN": arn, "EventType": et} for et, arn in (functions or {}).items()]},
    }
    if default_ttl is not None:
        behaviour["DefaultTTL"] = default_ttl
    if max_ttl is not None:
        behaviour["MaxTTL"] = max_ttl
    config: dict[str, Any] = {
        "CallerReference": f"ref-{next(_refs)}", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{"Id": "o1", **origin}]},
        "DefaultCacheBehavior": behaviour}
    if behaviours:
        config["CacheBehaviors"] = {"Quantity": len(behaviours), "Items": behaviours}
    return config


def s3_origin(bucket: str) -> dict[str, Any]:
    return {"DomainName": f"{bucket}.s3.amazonaws.com",
            "S3OriginConfig": {"OriginAccessIdentity": ""}}


def custom_origin(domain: str, port: int = 80, path: str = "") -> dict[str, Any]:
    return {"DomainName": domain, "OriginPath": path, "CustomOriginConfig": {
        "HTTPPort": port, "HTTPSPort": 443, "OriginProtocolPolicy": "http-only"}}
