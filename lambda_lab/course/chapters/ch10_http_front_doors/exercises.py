"""The exercises of chapter 10, HTTP front doors: an ALB handler with multi-value headers and a
TOKEN authorizer that lets one user in.

Importing this module registers them in :data:`lambda_lab.course.exercises.EXERCISES`.
"""

from __future__ import annotations

import inspect
import itertools
import json
import textwrap
from typing import Any

from lambda_lab.course.checks import in_session
from lambda_lab.course.exercises import (
    Check,
    Exercise,
    FakeContext,
    is_unanswered,
    register,
    solution_source,
)

from .helpers import ACCOUNT, ECHO, REGION

__all__ = [
    "ALB_MULTI_VALUE",
    "TOKEN_AUTHORIZER",
    "alb_request",
]

# --------------------------------------------------------------------- exercise 1: ALB

#: The target group the ALB checks pretend the handler is registered in.
_GROUP = f"arn:aws:elasticloadbalancing:{REGION}:{ACCOUNT}:targetgroup/greeter/0123456789abcdef"

_ALB_STUB = '''\
def handler(event, context):
    """Behind an ALB whose target group has lambda.multi_value_headers.enabled = true."""
    # TODO: answer GET /greet?name=foo&name=bar with status 200, Content-Type text/plain,
    # the body "hello foo and bar", and one Set-Cookie header per name (seen=foo, seen=bar)
    raise NotImplementedError
'''


def alb_request(path_and_query: str, *, method: str = "GET",
                headers: list[tuple[str, str]] | None = None) -> Any:
    """An :class:`~lambda_lab.fronts.http.HttpRequest` to the checks' load balancer."""
    from lambda_lab.fronts.http import HttpRequest

    path, _, query = path_and_query.partition("?")
    return HttpRequest(method, "greeter-1.us-east-1.elb.amazonaws.com", path, query,
                       list(headers or [("User-Agent", "checker")]), scheme="http")


def _alb_answer(answer: Any, path_and_query: str) -> Any:
    """Call the handler with the ALB event (multi-value on) and read its result as the ALB
    would: the :class:`~lambda_lab.fronts.http.HttpResponse`, or AssertionError (the hint)."""
    from lambda_lab.fronts import alb

    event = alb.event(alb_request(path_and_query), _GROUP, multi=True)
    result = answer(event, FakeContext())
    try:
        result = json.loads(json.dumps(result))
    except (TypeError, ValueError):
        raise AssertionError("return plain JSON data: Lambda serializes the result as JSON"
                             ) from None
    try:
        return alb.response(result, multi=True)
    except (ValueError, TypeError):
        raise AssertionError("the ALB answers 502: return a dict with statusCode, and with "
                             "multi-value on every multiValueHeaders value must be a list"
                             ) from None


def _alb_is_a_handler(answer: Any) -> str | None:
    if not callable(answer):
        return f"handler should be a function, not {type(answer).__name__}"
    if len(inspect.signature(answer).parameters) != 2:
        return "handler takes two arguments: (event, context)"
    return None


def _alb_answers_200(answer: Any) -> str | None:
    http = _alb_answer(answer, "/greet?name=foo&name=bar")
    if http.status != 200:
        return f"the client got {http.status}, not 200"
    return None


def _alb_content_type(answer: Any) -> str | None:
    http = _alb_answer(answer, "/greet?name=foo&name=bar")
    got = http.header("content-type")
    if got is None:
        result = answer(alb_event("/greet?name=foo&name=bar"), FakeContext())
        if isinstance(result, dict) and "headers" in result:
            return ("the ALB dropped your 'headers': with multi-value on it reads only "
                    "multiValueHeaders, e.g. {'Content-Type': ['text/plain']}")
        return "no Content-Type reached the client: add multiValueHeaders Content-Type"
    if not got.startswith("text/plain"):
        return f"Content-Type is {got!r}, not text/plain"
    return None


def alb_event(path_and_query: str) -> dict[str, Any]:
    """The ALB event (multi-value on) the checks send for ``path_and_query``."""
    from lambda_lab.fronts import alb

    return alb.event(alb_request(path_and_query), _GROUP, multi=True)


def _alb_greets_every_name(answer: Any) -> str | None:
    for query, expected in (("name=foo&name=bar", "hello foo and bar"), ("name=ann", "hello ann"),
                            ("name=a&name=b&name=c", "hello a and b and c")):
        body = _alb_answer(answer, f"/greet?{query}").body.decode()
        if body != expected:
            hint = ("read event['multiValueQueryStringParameters']['name'], a list; "
                    "queryStringParameters is not in the event when multi-value is on")
            return f"?{query} answered {body!r}, not {expected!r}: {hint}"
    return None


def _alb_one_cookie_per_name(answer: Any) -> str | None:
    http = _alb_answer(answer, "/greet?name=foo&name=bar")
    cookies = [v for k, v in http.headers if k.lower() == "set-cookie"]
    if cookies != ["seen=foo", "seen=bar"]:
        return (f"the client got Set-Cookie {cookies}, not ['seen=foo', 'seen=bar']: one "
                "header name can carry several values only in multiValueHeaders")
    return None


ALB_MULTI_VALUE = register(
    Exercise(
        id="alb-multi-value",
        title="An ALB handler with multi-value query strings and headers",
        topic="10-http-front-doors",
        answer_name="handler",
        stub=_ALB_STUB,
        not_attempted=is_unanswered,
        checks=[
            Check("handler is a function of (event, context)", _alb_is_a_handler),
            Check("the client gets 200 for GET /greet?name=foo&name=bar", _alb_answers_200),
            Check("Content-Type text/plain reaches the client", _alb_content_type),
            Check("the body greets every name: 'hello foo and bar'", _alb_greets_every_name),
            Check("one Set-Cookie header per name: seen=foo, seen=bar",
                  _alb_one_cookie_per_name),
        ],
        hints=[
            "With multi-value on, the event has multiValueQueryStringParameters and "
            "multiValueHeaders, and no queryStringParameters or headers.",
            "The names: event['multiValueQueryStringParameters']['name'] → ['foo', 'bar'].",
            "Answer with 'multiValueHeaders': {'Content-Type': ['text/plain'], 'Set-Cookie': "
            "['seen=foo', 'seen=bar']}; the ALB ignores 'headers' in this mode.",
        ],
        solution=solution_source(__package__, "alb_multi_value"),
    )
)

# --------------------------------------------------------------------- exercise 2: authorizer

_AUTH_STUB = '''\
def authorizer(event, context):
    """A TOKEN authorizer: event["authorizationToken"] is the Authorization header."""
    # TODO: let in only the token "Bearer alice-secret": return an IAM policy that allows
    # execute-api:Invoke on event["methodArn"], with principalId "alice" and the context
    # {"user": "alice"}; for any other token raise Exception("Unauthorized") (401)
    raise NotImplementedError
'''

#: The tokens the checks send, with the status code the client must get.
TOKENS: dict[str | None, int] = {"Bearer alice-secret": 200, "Bearer bob-secret": 401,
                                 "alice-secret": 401, "": 401, None: 401}
_runs = itertools.count(1)
_auth_cache: dict[str, dict[str, Any]] = {}


def _auth_source(answer: Any) -> str:
    try:
        return textwrap.dedent(inspect.getsource(answer))
    except (OSError, TypeError):
        raise AssertionError("define authorizer with def in a cell, so its source can be "
                             "deployed") from None


def run_authorizer(answer: Any) -> dict[str, Any]:
    """Deploy ``answer`` (a function; its source only, so imports go inside it) as the TOKEN
    authorizer of a REST API in front of :data:`ECHO`, then GET /test/orders with each token
    of :data:`TOKENS`. Returns ``{"status": {token: code}, "authorizer": <requestContext.
    authorizer of the allowed request, or None>, "bodies": {token: text}}``."""
    code = _auth_source(answer)
    if code in _auth_cache:
        return _auth_cache[code]
    run = in_session(lambda _aws: _run_authorizer(code, answer.__name__))
    _auth_cache.clear()
    _auth_cache[code] = run
    return run


def _run_authorizer(code: str, name: str) -> dict[str, Any]:
    import boto3
    import requests

    from lambda_lab.course.roles import lambda_role
    from lambda_lab.course.shared import make_zip

    n = next(_runs)
    iam = boto3.client("iam", region_name=REGION)
    lam = boto3.client("lambda", region_name=REGION)
    apigw = boto3.client("apigateway", region_name=REGION)
    role = lambda_role(iam, f"exercise-authorizer-{n}")
    made = []
    for fn, src, handler in ((f"exercise-auth-{n}", code, f"lambda_function.{name}"),
                             (f"exercise-backend-{n}", ECHO, "lambda_function.handler")):
        lam.create_function(FunctionName=fn, Runtime="python3.12", Role=role, Handler=handler,
                            Code={"ZipFile": make_zip(src)}, Timeout=10)
        made.append(fn)
    api_id = apigw.create_rest_api(name=f"exercise-{n}")["id"]
    try:
        def uri(fn: str) -> str:
            arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{fn}"
            return f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations"

        auth_id = apigw.create_authorizer(
            restApiId=api_id, name="token", type="TOKEN", authorizerUri=uri(made[0]),
            identitySource="method.request.header.Authorization",
            authorizerResultTtlInSeconds=0)["id"]
        root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
        res = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="orders")["id"]
        apigw.put_method(restApiId=api_id, resourceId=res, httpMethod="GET",
                         authorizationType="CUSTOM", authorizerId=auth_id)
        apigw.put_integration(restApiId=api_id, resourceId=res, httpMethod="GET",
                              type="AWS_PROXY", integrationHttpMethod="POST", uri=uri(made[1]))
        apigw.create_deployment(restApiId=api_id, stageName="test")
        source_arn = f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*"
        for fn in made:
            lam.add_permission(FunctionName=fn, StatementId="apigw", Action=
                               "lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                               SourceArn=source_arn)
        url = f"https://{api_id}.execute-api.{REGION}.amazonaws.com/test/orders"
        status: dict[str | None, int] = {}
        bodies: dict[str | None, str] = {}
        authorizer = None
        for token in TOKENS:
            r = requests.get(url, headers={} if token is None else {"Authorization": token})
            status[token], bodies[token] = r.status_code, r.text
            if r.status_code == 200:
                authorizer = json.loads(r.text)["requestContext"].get("authorizer")
        return {"status": status, "authorizer": authorizer, "bodies": bodies}
    finally:
        apigw.delete_rest_api(restApiId=api_id)
        for fn in made:
            lam.delete_function(FunctionName=fn)
        iam.delete_role(RoleName=f"exercise-authorizer-{n}")


def _auth_is_a_function(answer: Any) -> str | None:
    if not inspect.isfunction(answer):
        return f"authorizer should be a function, not {type(answer).__name__}"
    if len(inspect.signature(answer).parameters) != 2:
        return "authorizer takes two arguments: (event, context)"
    _auth_source(answer)
    return None


def _auth_result(answer: Any) -> Any:
    return answer({"type": "TOKEN", "authorizationToken": "Bearer alice-secret",
                   "methodArn": f"arn:aws:execute-api:{REGION}:{ACCOUNT}:abc123/test/GET/"
                                "orders"}, FakeContext())


def _auth_returns_a_policy(answer: Any) -> str | None:
    result = _auth_result(answer)
    if not isinstance(result, dict):
        return f"for alice return a dict, not {type(result).__name__}"
    for key in ("principalId", "policyDocument"):
        if key not in result:
            return f"the result has no {key!r}: an authorizer returns principalId and " \
                   "policyDocument"
    statements = result["policyDocument"].get("Statement") if isinstance(
        result["policyDocument"], dict) else None
    if not statements:
        return "policyDocument needs a Statement list with Action execute-api:Invoke"
    return None


def _auth_lets_alice_in(answer: Any) -> str | None:
    run = run_authorizer(answer)
    got = run["status"]["Bearer alice-secret"]
    if got != 200:
        return (f"alice got {got} {run['bodies']['Bearer alice-secret']}: allow "
                "execute-api:Invoke on event['methodArn'] (Effect Allow)")
    auth = run["authorizer"] or {}
    if auth.get("principalId") != "alice" or auth.get("user") != "alice":
        return (f"the backend saw requestContext.authorizer {auth}: return principalId "
                "'alice' and context {'user': 'alice'}")
    return None


def _auth_keeps_others_out(answer: Any) -> str | None:
    run = run_authorizer(answer)
    for token, expected in TOKENS.items():
        got = run["status"][token]
        if got != expected:
            shown = "no Authorization header" if token is None else f"token {token!r}"
            why = ("raise Exception('Unauthorized') for every other token"
                   if got in (200, 403) else f"expected {expected}")
            return f"{shown} got {got} {run['bodies'][token]}: {why}"
    return None


TOKEN_AUTHORIZER = register(
    Exercise(
        id="token-authorizer",
        title="A TOKEN authorizer that lets one user in",
        topic="10-http-front-doors",
        answer_name="authorizer",
        stub=_AUTH_STUB,
        not_attempted=is_unanswered,
        checks=[
            Check("authorizer is a function of (event, context), defined in a cell",
                  _auth_is_a_function),
            Check("for alice's token it returns principalId and a policyDocument",
                  _auth_returns_a_policy),
            Check("behind a REST API alice gets 200 and the backend sees principalId and "
                  "context", _auth_lets_alice_in),
            Check("every other token, and no token, gets 401 Unauthorized",
                  _auth_keeps_others_out),
        ],
        hints=[
            "The token is event['authorizationToken']; compare it with 'Bearer alice-secret'.",
            "Allow: {'principalId': 'alice', 'policyDocument': {'Version': '2012-10-17', "
            "'Statement': [{'Action': 'execute-api:Invoke', 'Effect': 'Allow', 'Resource': "
            "event['methodArn']}]}, 'context': {'user': 'alice'}}.",
            "API Gateway answers 401 only when the authorizer raises Exception('Unauthorized');"
            " a Deny policy is a 403.",
        ],
        solution=solution_source(__package__, "token_authorizer"),
    )
)
