"""``mock_aws(enforce_iam=True)``: handlers act with their execution role's permissions.

A request signed with the session credentials Lambda hands a handler (:mod:`.roles`) is
authorised against the role's policies — inline and attached (AWS managed policies such as
``AWSLambdaBasicExecutionRole`` can be attached in such a session), plus an S3 bucket policy or
SQS queue policy naming the role — with moto's policy parsing and conditions
(``moto.iam.access_control``): an explicit Deny wins, an Allow is needed; ``*``/``?`` wildcards,
``Resource``/``NotResource``, ``NotAction``. A denied request gets the service's AccessDenied
shape. Any other credentials (the notebook's, the CLI's) stay unrestricted, like an admin.

The Lambda service's own uses of the role: CreateEventSourceMapping on an SQS queue needs
sqs:ReceiveMessage, DeleteMessage and GetQueueAttributes; log lines go to CloudWatch Logs only
with logs:CreateLogGroup (a new group), CreateLogStream (a new stream) and PutLogEvents —
without them AWS drops them silently, and so does the emulator.

Not enforced: session policies, permissions boundaries, SCPs, Lambda function policies (a
handler's Invoke), resource policies other than S3's and SQS's, KMS. Resources of services other
than S3, SQS, DynamoDB, Kinesis, SNS, Lambda and CloudWatch Logs are not known, so there a
statement's ``Resource`` is not compared (its ``Action`` and ``Effect`` are).
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterable
from typing import Any
from unittest import mock

from . import roles

__all__ = ["decide", "install", "uninstall"]

_installed: dict[int, list[Any]] = {}
_logging = threading.local()  # the access key of the environment whose log lines are written

_S3_ACTIONS = {  # moto's S3 operation name -> the IAM action AWS checks
    "HeadBucket": "ListBucket", "ListObjects": "ListBucket", "ListObjectsV2": "ListBucket",
    "ListBuckets": "ListAllMyBuckets", "ListObjectVersions": "ListBucketVersions",
    "GetBucketEncryption": "GetEncryptionConfiguration",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "GetBucketNotificationConfiguration": "GetBucketNotification",
    "GetBucketCors": "GetBucketCORS", "DeleteObjects": "DeleteObject",
    "CopyObject": "PutObject", "UploadPartCopy": "PutObject",
    "CreateMultipartUpload": "PutObject",
    "GetBucketAccelerateConfiguration": "GetAccelerateConfiguration",
    "GetBucketReplication": "GetReplicationConfiguration",
    "GetObjectLockConfiguration": "GetBucketObjectLockConfiguration",
}
_SQS_ACTIONS = {"SendMessageBatch": "SendMessage", "DeleteMessageBatch": "DeleteMessage",
                "ChangeMessageVisibilityBatch": "ChangeMessageVisibility"}
_LAMBDA_ACTIONS = {"Invoke": "InvokeFunction"}
_IAM_PREFIX = {"monitoring": "cloudwatch", "email": "ses"}
ESM_SQS_ACTIONS = ("ReceiveMessage", "DeleteMessage", "GetQueueAttributes")


# --------------------------------------------------------------------- policy evaluation

def _glob(pattern: str, value: str, ignore_case: bool) -> bool:
    rx = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, value, re.IGNORECASE if ignore_case else 0) is not None


def _statement_cls() -> type:
    from moto.iam.access_control import IAMPolicyStatement

    class Statement(IAMPolicyStatement):
        """One statement; moto's condition checks, AWS's glob matching (case-insensitive
        actions, ``?``), NotResource and Principal."""

        def _check_element_matches(self, element: str, value: str) -> bool:
            patterns = self._statement[element]
            patterns = patterns if isinstance(patterns, list) else [patterns]
            return any(_glob(p, value, element.endswith("Action")) for p in patterns)

        def applies(self, action: str, resource: str | None, context: dict[str, str]) -> bool:
            s = self._statement
            if "NotAction" in s:
                if self._check_element_matches("NotAction", action):
                    return False
            elif "Action" not in s or not self._check_element_matches("Action", action):
                return False
            if resource is not None:
                if "NotResource" in s and self._check_element_matches("NotResource", resource):
                    return False
                if "Resource" in s and not self._check_element_matches("Resource", resource):
                    return False
            return self._conditions_hold(context)

        def _conditions_hold(self, context: dict[str, str]) -> bool:
            """moto's checks (StringEquals); a key the request lacks fails StringEquals, as on
            AWS; a Deny whose operator moto cannot evaluate does not apply (an Allow's is
            ignored, as moto does)."""
            from moto.iam.policy_conditions import CONDITION_OPERATIONS

            for operator, values in (self._statement.get("Condition") or {}).items():
                if operator not in CONDITION_OPERATIONS:
                    if self._statement.get("Effect") == "Deny":
                        return False
                elif any(key not in context for key in values):
                    return False
            return self._check_conditions(context)

        def names(self, principals: Iterable[str]) -> bool:
            """A resource policy's Principal covers one of ``principals`` (or everyone)."""
            p = self._statement.get("Principal")
            if p == "*":
                return True
            aws = p.get("AWS") if isinstance(p, dict) else None
            aws = aws if isinstance(aws, list) else [aws] if aws else []
            return "*" in aws or any(a in aws for a in principals)

    return Statement


def _statements(document: Any) -> list[Any]:
    doc = json.loads(document) if isinstance(document, (str, bytes)) else document
    found = (doc or {}).get("Statement", [])
    cls = _statement_cls()
    return [cls(s) for s in (found if isinstance(found, list) else [found])]


def _identity_documents(account_id: str, role_arn: str) -> list[Any]:
    from moto.iam.access_control import IAMPolicy
    from moto.iam.models import iam_backends

    iam = iam_backends[account_id]["aws"]
    name = role_arn.rsplit("/", 1)[-1]
    try:
        docs = [iam.get_role_policy(name, p)[1] for p in iam.list_role_policies(name)]
        attached, _ = iam.list_attached_role_policies(name)
    except Exception:  # the role is gone: its sessions have no permissions
        return []
    return docs + [IAMPolicy(p)._policy_json for p in attached]


def decide(account_id: str, role_arn: str, action: str, resource: str | None, *,
           session_arn: str | None = None, resource_policy: Any = None,
           context: dict[str, str] | None = None) -> str | None:
    """None when the role may do ``action`` on ``resource`` (None: any resource); else
    ``"identity"`` / ``"resource"`` (an explicit Deny in that kind of policy) or ``"implicit"``.
    Same-account rules: an Allow in the identity policies, or in the resource policy naming the
    role or its session, is enough."""
    context = context or {}
    allowed = False
    for doc in _identity_documents(account_id, role_arn):
        for st in _statements(doc):
            if st.applies(action, resource, context):
                if st._statement.get("Effect") == "Deny":
                    return "identity"
                allowed = True
    if resource_policy:
        who = [role_arn] + ([session_arn] if session_arn else [])
        account = [account_id, f"arn:aws:iam::{account_id}:root"]
        for st in _statements(resource_policy):
            if not st.applies(action, resource, context):
                continue
            if st._statement.get("Effect") == "Deny":
                if st.names(who + account):
                    return "resource"
            elif st.names(who):  # naming the account delegates to IAM: no grant by itself
                allowed = True
    return None if allowed else "implicit"


def denial_message(principal: str, action: str, resource: str, verdict: str) -> str:
    """IAM's wording (IAM UG "Access denied error messages")."""
    head = f"User: {principal} is not authorized to perform: {action} on resource: {resource}"
    if verdict == "implicit":
        return f"{head} because no identity-based policy allows the {action} action"
    kind = "an identity-based" if verdict == "identity" else "a resource-based"
    return f"{head} with an explicit deny in {kind} policy"


# --------------------------------------------------------------------- requests

def _credential(response: Any) -> list[str] | None:
    auth = response.headers.get("Authorization") or ""
    scope = auth.partition("Credential=")[2].partition(",")[0]
    if not scope:
        q = response.querystring.get("X-Amz-Credential") or [""]
        scope = q[0] if isinstance(q, list) else q
    parts = scope.split("/")
    return parts if len(parts) >= 4 else None


def _param(response: Any, name: str) -> Any:
    """A request parameter: from moto's parsed params, a JSON body or the query string."""
    for body in (getattr(response, "params", None), getattr(response, "body", None)):
        if isinstance(body, (bytes, str)) and body[:1] in (b"{", "{"):
            try:
                body = json.loads(body)
            except ValueError:
                body = None
        if isinstance(body, dict) and body.get(name) is not None:
            return body[name]
    value = response.querystring.get(name)
    return value[0] if isinstance(value, list) else value


def _checks(response: Any, service: str, region: str, account: str, moto_resource: str
            ) -> list[tuple[str, str | None]]:
    """The (IAM action, resource ARN or None) pairs one request needs."""
    op = response._get_action()
    op = op[0] if isinstance(op, list) else op
    if service == "s3":
        return [(f"s3:{_S3_ACTIONS.get(op, op)}", moto_resource)]
    prefix = _IAM_PREFIX.get(service, service)
    if service == "dynamodb":
        def table(name: str) -> str:
            return f"arn:aws:dynamodb:{region}:{account}:table/{name}"
        items = _param(response, "TransactItems")
        if items:
            kinds = {"Put": "PutItem", "Update": "UpdateItem", "Delete": "DeleteItem",
                     "ConditionCheck": "ConditionCheckItem", "Get": "GetItem"}
            return [(f"dynamodb:{kinds[k]}", table(v["TableName"]))
                    for item in items for k, v in item.items() if k in kinds]
        batch = _param(response, "RequestItems")
        if isinstance(batch, dict):
            return [(f"dynamodb:{op}", table(t)) for t in batch]
        name = _param(response, "TableName")
        if not name:
            return [(f"dynamodb:{op}", None)]
        arn = table(name)
        index = _param(response, "IndexName")
        return [(f"dynamodb:{op}", f"{arn}/index/{index}" if index else arn)]
    if service == "sqs":
        arn = moto_resource if moto_resource != "*" else None
        if arn is None and op == "CreateQueue" and _param(response, "QueueName"):
            arn = f"arn:aws:sqs:{region}:{account}:{_param(response, 'QueueName')}"
        return [(f"sqs:{_SQS_ACTIONS.get(op, op)}", arn)]
    if service == "kinesis":
        arn = _param(response, "StreamARN")
        if not arn and _param(response, "StreamName"):
            arn = f"arn:aws:kinesis:{region}:{account}:stream/{_param(response, 'StreamName')}"
        return [(f"kinesis:{op}", arn or None)]
    if service == "sns":
        return [(f"sns:{op}", _param(response, "TopicArn") or _param(response, "TargetArn"))]
    if service == "logs":
        group, stream = _param(response, "logGroupName"), _param(response, "logStreamName")
        return [(f"logs:{op}", _log_arn(region, account, group, stream) if group else None)]
    if service == "lambda":
        parts = response.path.split("/")
        arn = None
        if len(parts) > 3 and parts[2] == "functions":
            from ..platform.arns import function_arn, parse_function_ref

            name, qualifier = parse_function_ref(parts[3])
            qualifier = qualifier or _param(response, "Qualifier")
            arn = function_arn(region, account, name, qualifier)
        return [(f"lambda:{_LAMBDA_ACTIONS.get(op, op)}", arn)]
    return [(f"{prefix}:{op}", None if moto_resource == "*" else moto_resource)]


def _log_arn(region: str, account: str, group: str, stream: str | None) -> str:
    arn = f"arn:aws:logs:{region}:{account}:log-group:{group}"
    return f"{arn}:log-stream:{stream}" if stream is not None else arn


def _resource_policy(service: str, account: str, region: str, resource: str | None) -> Any:
    if not resource:
        return None
    try:
        if service == "s3":
            from moto.s3.models import s3_backends

            bucket = s3_backends[account]["aws"].buckets.get(resource.split(":::")[1]
                                                             .split("/")[0])
            return bucket.policy if bucket is not None else None
        if service == "sqs":
            from moto.sqs.models import sqs_backends

            queue = sqs_backends[account][region].queues.get(resource.rsplit(":", 1)[-1])
            return getattr(queue, "policy", None)
    except (KeyError, IndexError, ValueError):
        return None
    return None


def _deny(service: str, message: str) -> Exception:
    """The service's AccessDenied: S3's XML 403; DynamoDB's AccessDeniedException (400) and
    SQS's AccessDenied (403) in JSON; XML AccessDenied (403; SNS: AuthorizationError) for the
    query protocol; JSON AccessDeniedException otherwise (403 for Lambda, 400 elsewhere)."""
    from moto.core.exceptions import AccessDeniedError, JsonRESTError

    if service == "s3":
        from moto.s3.exceptions import S3AccessDeniedError

        err = S3AccessDeniedError()
        err.message = message
        err.args = (message,)
        return err
    if service in ("sns", "sts", "iam", "ec2", "cloudformation", "rds", "elasticache"):
        xml = AccessDeniedError("", "")
        super(AccessDeniedError, xml).__init__(
            "AuthorizationError" if service == "sns" else "AccessDenied", message)
        return xml
    if service == "dynamodb":
        code, status = "com.amazonaws.dynamodb.v20120810#AccessDeniedException", 400
    elif service == "sqs":  # SQS's code is AccessDenied, in the JSON protocol too
        code, status = "com.amazonaws.sqs#AccessDenied", 403
    else:
        code, status = "AccessDeniedException", 403 if service == "lambda" else 400
    err = JsonRESTError(code, message)
    err.code = status
    return err


def _authorize(original: Any) -> Any:
    def authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
        cred = _credential(self)
        session = roles.issued.get(cred[0]) if cred else None
        if session is None:  # not a handler's role session: moto's own (default: no) checks
            return original(self, iam_request_cls, resource)
        role_arn, session_name = session
        region, service = cred[2], cred[3]
        account = role_arn.split(":")[4]
        prefix = _IAM_PREFIX.get(service, service)
        principal = (f"arn:aws:sts::{account}:assumed-role/{role_arn.rsplit('/', 1)[-1]}/"
                     f"{session_name}")
        checks = _checks(self, service, region, account, resource)
        if (prefix, checks[0][0]) == ("sts", "sts:GetCallerIdentity"):
            return None  # always allowed, even with an explicit Deny
        context = {"aws:RequestedRegion": region, "aws:PrincipalArn": role_arn,
                   "aws:PrincipalAccount": account, "aws:SecureTransport": "true"}
        for action, arn in checks:
            verdict = decide(account, role_arn, action, arn, session_arn=principal,
                             context=context,
                             resource_policy=_resource_policy(service, account, region, arn))
            if verdict is None and service == "s3":
                verdict, action, arn = _s3_missing_key(account, role_arn, principal, action,
                                                       arn, context)
            if verdict is not None:
                shown = arn or "*"
                if service == "s3":
                    shown = f'"{shown}"'  # S3 quotes the resource (S3 UG troubleshoot-403)
                if service == "sqs":
                    action = action.lower()  # sqs:sendmessage, as SQS writes it
                raise _deny(service, denial_message(principal, action, shown, verdict))
        return None

    return authorize


def _s3_missing_key(account: str, role_arn: str, principal: str, action: str,
                    arn: str | None, context: dict[str, str]
                    ) -> tuple[str | None, str, str | None]:
    """GetObject of a missing key: without s3:ListBucket AWS answers 403, not 404 (S3 API
    GetObject: "If you don't have the s3:ListBucket permission, Amazon S3 returns ... 403")."""
    if action != "s3:GetObject" or not arn or "/" not in arn:
        return None, action, arn
    from moto.s3.models import s3_backends

    bucket_name, key = arn.split(":::", 1)[1].split("/", 1)
    bucket = s3_backends[account]["aws"].buckets.get(bucket_name)
    if bucket is None or key in bucket.keys:
        return None, action, arn
    bucket_arn = f"arn:aws:s3:::{bucket_name}"
    verdict = decide(account, role_arn, "s3:ListBucket", bucket_arn, session_arn=principal,
                     context=context, resource_policy=bucket.policy)
    return verdict, "s3:ListBucket", bucket_arn


# --------------------------------------------------------------------- Lambda's own use of the role

def check_sqs_mapping(platform: Any, m: Any) -> None:
    """CreateEventSourceMapping on a queue: the role must allow Lambda to poll it.

    Raises InvalidParameterValueException "The provided execution role does not have
    permissions to call ReceiveMessage on SQS" (AWS's wording, as seen in CloudFormation
    errors)."""
    from ..errors import InvalidParameterValueException

    role = platform.version(m.function_name, m.qualifier).config.role
    arn = m.event_source_arn
    policy = _resource_policy("sqs", platform.account_id, arn.split(":")[3], arn)
    for action in ESM_SQS_ACTIONS:
        if decide(platform.account_id, role, f"sqs:{action}", arn, resource_policy=policy):
            raise InvalidParameterValueException(
                f"The provided execution role does not have permissions to call {action} on SQS")


def logs_allowed(account: str, region: str, role_arn: str, function_name: str, stream: str
                 ) -> bool:
    """May Lambda write this environment's log lines with the role? (a missing group needs
    logs:CreateLogGroup, a missing stream logs:CreateLogStream; PutLogEvents always)."""
    from moto.logs.models import logs_backends

    group_name = f"/aws/lambda/{function_name}"
    group = logs_backends[account][region].groups.get(group_name)
    needed = [("logs:PutLogEvents", _log_arn(region, account, group_name, stream))]
    if group is None or stream not in group.streams:
        needed.append(("logs:CreateLogStream", _log_arn(region, account, group_name, stream)))
    if group is None:
        needed.append(("logs:CreateLogGroup", _log_arn(region, account, group_name, "")))
    return all(decide(account, role_arn, a, r) is None for a, r in needed)


# --------------------------------------------------------------------- install

def install(aws: Any) -> None:
    """Enforce execution roles for the session ``aws`` (call before moto starts)."""
    import moto.iam.models as iam_models
    from moto.core.authorization import ActionAuthenticatorMixin

    from ..platform.platform import Platform
    from ..sources.mappings import SQS, MappingStore
    from . import services

    original_auth = ActionAuthenticatorMixin._authenticate_and_authorize_action
    original_poller = MappingStore._new_poller
    original_sink = services.cloudwatch_sink
    original_log = Platform._log

    def new_poller(store: Any, m: Any) -> Any:
        if m.kind == SQS:
            check_sqs_mapping(store.platform, m)
        return original_poller(store, m)

    def log(platform: Any, env: Any, result: Any) -> None:
        creds = env.spec.credentials or {}
        _logging.key = creds.get("AWS_ACCESS_KEY_ID")
        try:
            original_log(platform, env, result)
        finally:
            _logging.key = None

    def cloudwatch_sink(account_id: str, region: str) -> Any:
        write = original_sink(account_id, region)

        def checked(function_name: str, stream: str, lines: list[str], now: float) -> None:
            session = roles.issued.get(getattr(_logging, "key", None) or "")
            if session is not None and not logs_allowed(account_id, region, session[0],
                                                        function_name, stream):
                return  # AWS drops the lines silently
            write(function_name, stream, lines, now)

        return checked

    patches = [
        mock.patch.object(ActionAuthenticatorMixin, "_authenticate_and_authorize_action",
                          _authorize(original_auth)),
        # AWS managed policies (AWSLambdaBasicExecutionRole, ...) can be attached
        mock.patch.object(iam_models, "load_iam_aws_managed_policies", lambda: True),
        mock.patch.object(MappingStore, "_new_poller", new_poller),
        mock.patch.object(services, "cloudwatch_sink", cloudwatch_sink),
        mock.patch.object(Platform, "_log", log),
    ]
    for p in patches:
        p.start()
    _installed[id(aws)] = patches


def uninstall(aws: Any) -> None:
    """Undo :func:`install` (a no-op when it was not installed)."""
    for p in reversed(_installed.pop(id(aws), [])):
        p.stop()
    roles.issued.clear()
