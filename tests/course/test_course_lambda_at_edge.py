"""notebooks/11-lambda-at-edge: the helpers and the two exercises' checks.

Written from the CloudFront Developer Guide: "Lambda@Edge event structure" (request headers
``{lower-case: [{key, value}]}``, ``querystring`` present even when empty), "Generate HTTP
responses in request triggers" (a viewer-request trigger may return ``{"status": "302", ...}``,
status a string; only ``status`` is required), "Set IAM permissions and roles for Lambda@Edge"
(the role trusts lambda.amazonaws.com and edgelambda.amazonaws.com) and "Differences between
CloudFront Functions and Lambda@Edge" (CloudFront Functions: viewer events only, no network,
no body access; lower cost).
"""

from __future__ import annotations

import json
from typing import Any

import boto3
import moto
import pytest

from lambda_lab.course import exercises as ex
from lambda_lab.course.chapters.ch11_lambda_at_edge import exercises as edgex
from lambda_lab.course.chapters.ch11_lambda_at_edge import helpers as edge


def test_the_event_has_the_documented_shape():
    event = edge.viewer_request_event("/a", {"User-Agent": "curl/8"})
    cf = event["Records"][0]["cf"]
    assert cf["config"]["eventType"] == "viewer-request"
    assert cf["request"]["querystring"] == ""
    assert cf["request"]["headers"]["user-agent"] == [{"key": "User-Agent", "value": "curl/8"}]
    assert cf["request"]["headers"]["host"][0]["value"].endswith(".cloudfront.net")


def test_the_edge_role_trusts_both_services():
    with moto.mock_aws():
        iam = boto3.client("iam", region_name="us-east-1")
        edge.edge_role(iam, "r")
        doc = iam.get_role(RoleName="r")["Role"]["AssumeRolePolicyDocument"]
        doc = json.loads(doc) if isinstance(doc, str) else doc
    assert sorted(doc["Statement"][0]["Principal"]["Service"]) == [
        "edgelambda.amazonaws.com", "lambda.amazonaws.com"]


def test_distribution_config_names_its_associations():
    config = edge.distribution_config("site", lambdas={"origin-response": "arn:v1"},
                                      functions={"viewer-request": "arn:f"})
    behaviour = config["DefaultCacheBehavior"]
    assert behaviour["LambdaFunctionAssociations"] == {"Quantity": 1, "Items": [
        {"LambdaFunctionARN": "arn:v1", "EventType": "origin-response", "IncludeBody": False}]}
    assert behaviour["FunctionAssociations"]["Items"] == [
        {"FunctionARN": "arn:f", "EventType": "viewer-request"}]
    assert config["Origins"]["Items"][0]["DomainName"] == "site.s3.amazonaws.com"
    assert edge.distribution_config("site")["CallerReference"] != config["CallerReference"]


def test_the_figure_draws_the_four_triggers():
    fig = edge.triggers_figure()
    texts = {t.get_text() for t in fig.axes[0].texts}
    assert {"viewer-request", "origin-request", "origin-response", "viewer-response"} <= texts


class _R:
    status_code = 200
    headers = {"X-Cache": "Hit from cloudfront", "Age": "3"}
    text = "<h1>hello</h1>"


def test_response_line_is_one_fixed_line():
    assert edge.response_line(_R(), "Age", "Set-Cookie") == (
        "200  X-Cache: Hit from cloudfront  Age: 3  Set-Cookie: —  body: '<h1>hello</h1>'")


def test_a_redirect_for_everyone_fails_the_pass_through_check():
    def everyone(event: dict[str, Any], context: Any) -> dict[str, Any]:
        uri = event["Records"][0]["cf"]["request"]["uri"]
        return {"status": "302", "headers": {"location": [
            {"key": "Location", "value": "https://m.example.com" + uri}]}}

    feedback = ex.get("mobile-redirect").check(everyone)
    assert feedback.passed == 2 and "should come back unchanged" in feedback.text


def test_a_redirect_reading_the_user_agent_key_case_fails():
    """Header names are lower-case keys; reading "CloudFront-Is-Mobile-Viewer" finds nothing."""
    def wrong_case(event: dict[str, Any], context: Any) -> dict[str, Any]:
        request = event["Records"][0]["cf"]["request"]
        if "CloudFront-Is-Mobile-Viewer" in request["headers"]:
            return {"status": "302"}
        return request

    feedback = ex.get("mobile-redirect").check(wrong_case)
    assert feedback.passed == 1 and "a mobile viewer got no response object" in feedback.text


@pytest.mark.parametrize("bad", ["Lambda@Edge", None])
def test_the_product_check_names_the_allowed_values(bad):
    answer = {rid: want for rid, (_, want) in edgex.REQUIREMENTS.items()}
    answer["body"] = bad
    feedback = ex.get("edge-product").check(answer)
    assert feedback.passed == 4 and "pick one of" in feedback.text
