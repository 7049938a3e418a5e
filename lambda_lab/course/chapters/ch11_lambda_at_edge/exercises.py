"""The exercises of chapter 11, Lambda@Edge and CloudFront Functions: redirect mobile viewers, and
the cheaper edge product.

Importing this module registers them in :data:`lambda_lab.course.exercises.EXERCISES`.
"""

from __future__ import annotations

import copy
from typing import Any

from lambda_lab.course.exercises import Check, Exercise, is_stub, register, solution_source

from .helpers import viewer_request_event

__all__ = [
    "REQUIREMENTS",
]

# --------------------------------------------------------------------- exercise: mobile redirect


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
