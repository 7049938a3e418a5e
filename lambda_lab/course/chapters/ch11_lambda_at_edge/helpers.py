"""Helpers and exercises for notebooks/11-lambda-at-edge ("Lambda@Edge and CloudFront Functions").

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
"""

from __future__ import annotations

import copy
import io
import itertools
import json
import zipfile
from typing import Any

from lambda_lab.course.exercises import Check, Exercise, Text, is_stub, register, solution_source

__all__ = [
    "EDGE_TRUST_POLICY",
    "REQUIREMENTS",
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


# --------------------------------------------------------------------- exercise: mobile redirect


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


MOBILE_STUB = '''\
def handler(event, context):
    """Viewer request: send mobile viewers (header CloudFront-Is-Mobile-Viewer: true)
    to https://m.example.com + the same URI with a 302; pass every other request on."""
    # TODO: read event["Records"][0]["cf"]["request"]; return a response or the request
    ...
'''

_MOBILE = {"CloudFront-Is-Mobile-Viewer": "true", "User-Agent": "Mobile Safari"}
_DESKTOP = {"CloudFront-Is-Mobile-Viewer": "false", "User-Agent": "Firefox"}


def _call(answer: Any, headers: dict[str, str], uri: str = "/shop/cart") -> tuple[Any, Any]:
    event = viewer_request_event(uri, headers)
    before = copy.deepcopy(event["Records"][0]["cf"]["request"])
    return answer(event, None), before


def _header(result: dict[str, Any], name: str) -> str | None:
    values = (result.get("headers") or {}).get(name.lower()) or []
    return values[0].get("value") if values and isinstance(values[0], dict) else None


def check_mobile_redirected(answer: Any) -> str | None:
    """A mobile viewer gets a generated 302 response (status a string, as CloudFront wants)."""
    result, _ = _call(answer, _MOBILE)
    if not isinstance(result, dict) or "status" not in result:
        return "a mobile viewer got no response object: return {'status': '302', ...}"
    if result["status"] != "302":
        return (f"status is {result['status']!r}: Lambda@Edge wants the status as a string, "
                "'302'")
    return None


def check_mobile_location(answer: Any) -> str | None:
    """The Location header is https://m.example.com + the URI, in CloudFront's header shape."""
    result, _ = _call(answer, _MOBILE, "/shop/cart")
    got = _header(result, "location") if isinstance(result, dict) else None
    if got != "https://m.example.com/shop/cart":
        return ("headers['location'] should be [{'key': 'Location', 'value': "
                f"'https://m.example.com/shop/cart'}}] for /shop/cart; got {got!r}")
    return None


def check_desktop_passes(answer: Any) -> str | None:
    """Any other viewer's request goes on to the cache unchanged (also without the header)."""
    for headers in (_DESKTOP, {"User-Agent": "curl/8"}):
        result, before = _call(answer, headers, "/index.html")
        if result != before:
            return (f"with headers {headers} the request should come back unchanged; got "
                    f"{str(result)[:80]}")
    return None


MOBILE_REDIRECT = register(
    Exercise(
        id="mobile-redirect",
        title="Redirect mobile viewers at the edge",
        topic="11-lambda-at-edge",
        answer_name="handler",
        stub=MOBILE_STUB,
        not_attempted=lambda answer: answer is None or is_stub(answer),
        checks=[
            Check("a mobile viewer gets a 302 (status '302', a string)",
                  check_mobile_redirected),
            Check("Location is https://m.example.com + the URI", check_mobile_location),
            Check("other viewers' requests pass on unchanged", check_desktop_passes),
        ],
        hints=[
            "Headers are a dict of lower-case names to lists: "
            "request['headers'].get('cloudfront-is-mobile-viewer', [{}])[0].get('value').",
            "A generated response from a viewer-request trigger: {'status': '302', "
            "'statusDescription': 'Found', 'headers': {'location': [{'key': 'Location', "
            "'value': ...}]}}.",
            "Return the request itself (unchanged) to let CloudFront go on to its cache.",
        ],
        solution=solution_source(__package__, "mobile_redirect"),
    )
)


# --------------------------------------------------------------------- exercise: edge product

#: Requirement id -> (the requirement, the product the exercise expects). Facts from the
#: CloudFront DG "Differences between CloudFront Functions and Lambda@Edge".
REQUIREMENTS: dict[str, tuple[str, str]] = {
    "cache-key": ("normalise the Accept-Language header on every viewer request, "
                  "millions of requests a second", "cloudfront-functions"),
    "body": ("reject a POST whose JSON body lacks a field", "lambda@edge"),
    "origin-pick": ("choose the origin by a header on a cache miss (origin request)",
                    "lambda@edge"),
    "jwt": ("check a signed token's signature in the viewer request (pure computation, "
            "no network)", "cloudfront-functions"),
    "dynamodb": ("look the user up in a DynamoDB table before answering", "lambda@edge"),
}
PRODUCTS = ("cloudfront-functions", "lambda@edge")

EDGE_PRODUCT_STUB = '''\
choices = {
    "cache-key": None,   # "cloudfront-functions" or "lambda@edge"
    "body": None,
    "origin-pick": None,
    "jwt": None,
    "dynamodb": None,
}
'''


def _product_check(rid: str) -> Any:
    text, want = REQUIREMENTS[rid]

    def check(answer: Any) -> str | None:
        if not isinstance(answer, dict) or rid not in answer:
            return f"choices has no entry {rid!r}"
        got = answer[rid]
        if got not in PRODUCTS:
            return f"choices[{rid!r}] = {got!r}: pick one of {PRODUCTS}"
        if got != want:
            return f"{rid}: {got} cannot do it, or costs more than it must — reread the table"
        return None

    check.__doc__ = f"{rid}: {text}"
    return check


def _not_answered(answer: Any) -> bool:
    return not isinstance(answer, dict) or all(v is None for v in answer.values())


EDGE_PRODUCT = register(
    Exercise(
        id="edge-product",
        title="Pick the cheaper edge product that can do the job",
        topic="11-lambda-at-edge",
        answer_name="choices",
        stub=EDGE_PRODUCT_STUB,
        not_attempted=_not_answered,
        checks=[Check(f"{rid}: {text}", _product_check(rid))
                for rid, (text, _) in REQUIREMENTS.items()],
        hints=[
            "CloudFront Functions are cheaper and scale further, but run only on viewer "
            "events, for under a millisecond, with no network and no body access.",
            "Anything that needs the body, the network, or an origin event needs Lambda@Edge.",
        ],
        solution=solution_source(__package__, "edge_product"),
    )
)
