"""Helpers for notebooks/11-lambda-at-edge ("Lambda@Edge and CloudFront Functions").

The notebook makes its distributions with the ordinary boto3 ``cloudfront`` client; these
helpers draw the four triggers around the cache (:func:`triggers_figure`), publish an edge
function version (:func:`edge_role`, :func:`publish_edge`), build a one-origin distribution
config (:func:`distribution_config`), count a function's edge invocations (:func:`edge_runs`)
and print a response in one fixed line (:func:`response_line`).

Both exercises are graded without a distribution, so a check takes milliseconds:

* ``mobile-redirect``: a viewer-request handler that redirects mobile viewers (header
  ``CloudFront-Is-Mobile-Viewer: true``) to ``https://m.example.com`` + the URI, and passes
  every other request on unchanged. The checker calls it with documented event shapes.
* ``edge-product``: for each requirement, the cheaper edge product that can meet it.

The exercises described here live beside this module, in :mod:`.exercises`.
"""

from __future__ import annotations

import io
import itertools
import json
import zipfile
from typing import Any

from lambda_lab.course.exercises import Text

__all__ = [
    "EDGE_TRUST_POLICY",
    "distribution_config",
    "edge_role",
    "edge_runs",
    "publish_edge",
    "response_line",
    "triggers_figure",
    "viewer_request_event",
]

REGION = "us-east-1"
#: Lambda@Edge's execution role must trust both services (CloudFront DG "Setting IAM
#: permissions and roles for Lambda@Edge").
EDGE_TRUST_POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow",
    "Principal": {"Service": ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]},
    "Action": "sts:AssumeRole"}]})

_refs = itertools.count(1)


# --------------------------------------------------------------------- the picture


def triggers_figure() -> Any:
    """The four Lambda@Edge triggers around CloudFront's cache, as a matplotlib figure:
    viewer → viewer-request → cache → origin-request → origin, and back through
    origin-response → cache → viewer-response. On a hit the origin triggers do not run."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 3.4))
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 3.4)
    ax.axis("off")
    boxes = {"viewer": (0.8, "#dddddd"), "CloudFront\ncache": (5.0, "#ffd27f"),
             "origin": (9.2, "#dddddd")}
    for label, (x, colour) in boxes.items():
        ax.text(x, 1.7, label, ha="center", va="center", fontsize=11,
                bbox={"boxstyle": "round,pad=0.6", "fc": colour, "ec": "black"})
    arrows = [("viewer-request", 1.6, 4.2, 2.55, "viewer triggers"),
              ("origin-request", 5.8, 8.4, 2.55, "origin triggers: only on a miss"),
              ("viewer-response", 4.2, 1.6, 0.85, ""),
              ("origin-response", 8.4, 5.8, 0.85, "")]
    for name, x0, x1, y, note in arrows:
        ax.annotate("", xy=(x1, y), xytext=(x0, y),
                    arrowprops={"arrowstyle": "->", "lw": 1.8})
        ax.text((x0 + x1) / 2, y + 0.18, name, ha="center", fontsize=10, color="#1f4e9a",
                fontweight="bold")
        if note:
            ax.text((x0 + x1) / 2, y + 0.55, note, ha="center", fontsize=8.5, color="#555555")
    ax.text(5.0, 0.2, "hit: the cache answers — origin-request and origin-response do not run",
            ha="center", fontsize=9, style="italic")
    fig.tight_layout()
    return fig


# --------------------------------------------------------------------- deploying


def edge_role(iam: Any, name: str = "edge-role") -> str:
    """An execution role that trusts ``lambda.amazonaws.com`` and ``edgelambda.amazonaws.com``;
    its ARN."""
    return iam.create_role(RoleName=name,
                           AssumeRolePolicyDocument=EDGE_TRUST_POLICY)["Role"]["Arn"]


def _zip(code: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("lambda_function.py", code)
    return buf.getvalue()


def publish_edge(lam: Any, role: str, code: str, name: str, **params: Any) -> str:
    """Create function ``name`` (Python, handler ``lambda_function.handler``, 128 MB, 5 s
    unless ``params`` say otherwise) and publish version 1; its version ARN."""
    params.setdefault("Runtime", "python3.12")
    params.setdefault("Timeout", 5)
    params.setdefault("MemorySize", 128)
    lam.create_function(FunctionName=name, Role=role, Handler="lambda_function.handler",
                        Code={"ZipFile": _zip(code)}, **params)
    return lam.publish_version(FunctionName=name)["FunctionArn"]


def distribution_config(bucket: str, *, lambdas: dict[str, str] | None = None,
                        functions: dict[str, str] | None = None,
                        default_ttl: int = 60) -> dict[str, Any]:
    """A DistributionConfig with one S3 origin (``bucket``), the default cache behaviour's
    legacy TTLs (MinTTL 0, DefaultTTL ``default_ttl``), and the given associations:
    ``lambdas`` (event type → Lambda version ARN) and ``functions`` (event type → CloudFront
    Function ARN)."""
    lambdas, functions = lambdas or {}, functions or {}
    return {
        "CallerReference": f"chapter-11-{next(_refs)}", "Comment": "", "Enabled": True,
        "Origins": {"Quantity": 1, "Items": [{
            "Id": "site", "DomainName": f"{bucket}.s3.amazonaws.com",
            "S3OriginConfig": {"OriginAccessIdentity": ""}}]},
        "DefaultCacheBehavior": {
            "TargetOriginId": "site", "ViewerProtocolPolicy": "allow-all", "MinTTL": 0,
            "DefaultTTL": default_ttl,
            "ForwardedValues": {"QueryString": False, "Cookies": {"Forward": "none"}},
            "LambdaFunctionAssociations": {"Quantity": len(lambdas), "Items": [
                {"LambdaFunctionARN": arn, "EventType": et, "IncludeBody": False}
                for et, arn in lambdas.items()]},
            "FunctionAssociations": {"Quantity": len(functions), "Items": [
                {"FunctionARN": arn, "EventType": et} for et, arn in functions.items()]},
        },
    }


def edge_runs(logs: Any, name: str) -> int:
    """How many times the edge ran ``name``: the START lines in its edge log group
    ``/aws/lambda/us-east-1.{name}`` (0 if the group does not exist yet)."""
    try:
        events = logs.filter_log_events(logGroupName=f"/aws/lambda/us-east-1.{name}")["events"]
    except logs.exceptions.ResourceNotFoundException:
        return 0
    return sum(e["message"].startswith("START ") for e in events)


def response_line(r: Any, *headers: str) -> Text:
    """A ``requests`` response in one line: status, ``X-Cache``, the named headers, and the
    body's first 40 characters."""
    parts = [str(r.status_code), f"X-Cache: {r.headers.get('X-Cache', '—')}"]
    parts += [f"{h}: {r.headers.get(h, '—')}" for h in headers]
    body = r.text[:40].replace("\n", " ")
    return Text("  ".join(parts) + (f"  body: {body!r}" if body else ""))


def viewer_request_event(uri: str = "/", headers: dict[str, str] | None = None,
                         querystring: str = "") -> dict[str, Any]:
    """A viewer-request event as the CloudFront DG's "Lambda@Edge event structure" shows it:
    headers ``{lower-case: [{key, value}]}``, ``querystring`` present even when empty."""
    all_headers = {"Host": "d111111abcdef8.cloudfront.net", **(headers or {})}
    return {"Records": [{"cf": {
        "config": {"distributionDomainName": "d111111abcdef8.cloudfront.net",
                   "distributionId": "EDFDVBD6EXAMPLE", "eventType": "viewer-request",
                   "requestId": "4TyzHTaYWb1GX1qTfsHhEqV6HUDd_BzoBZnwfnvQc_1oF26ClkoUSEQ=="},
        "request": {"clientIp": "203.0.113.178", "method": "GET", "uri": uri,
                    "querystring": querystring,
                    "headers": {k.lower(): [{"key": k, "value": v}]
                                for k, v in all_headers.items()}}}}]}
