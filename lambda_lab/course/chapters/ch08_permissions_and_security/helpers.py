"""Helpers for notebooks/08-permissions-and-security: policy documents, a handler's outcome in one
line, and the least-privilege exercise.

:func:`run_policy` attaches a learner's policy document to a fresh execution role inside
``lambda_lab.mock_aws(enforce_iam=True)`` and deploys :data:`RUNNER` with that role: it makes
the handler's two calls (:data:`JOB`) and the calls it must not be able to make (:data:`PROBES`),
each with the role's credentials. :class:`PolicyRun` says which were allowed; the checks in
:mod:`.exercises` read it.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

from lambda_lab.course.exercises import Text
from lambda_lab.course.roles import LAMBDA_TRUST_POLICY, lambda_role

__all__ = [
    "BUCKET",
    "JOB",
    "OTHER_BUCKET",
    "OTHER_TABLE",
    "PREFIX",
    "PROBES",
    "RUNNER",
    "TABLE",
    "TRUST_POLICY",
    "Call",
    "PolicyRun",
    "denial",
    "outcome_line",
    "policy_document",
    "policy_report",
    "run_policy",
]

REGION = "us-east-1"
ACCOUNT = "123456789012"

#: The trust policy of an execution role: the Lambda service may assume it (DG
#: lambda-intro-execution-role); :data:`~lambda_lab.course.roles.LAMBDA_TRUST_POLICY` parsed.
TRUST_POLICY: dict[str, Any] = json.loads(LAMBDA_TRUST_POLICY)


def policy_document(*statements: dict[str, Any]) -> str:
    """An IAM policy document (version 2012-10-17) holding ``statements``, as JSON text."""
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def outcome_line(response: dict[str, Any]) -> Text:
    """An Invoke response in one line: ``ok: <payload>``, ``<code> in <operation>: <message>``
    for an AWS error the handler raised, else ``<errorType>: <errorMessage>``."""
    body = response["Payload"].read()
    payload = json.loads(body) if body else None
    if response.get("FunctionError") and isinstance(payload, dict):
        message = str(payload.get("errorMessage", ""))
        found = _CLIENT_ERROR.match(message)
        if found:
            return Text(f"{found.group(1)} in {found.group(2)}: {found.group(3)}")
        return Text(f"{payload.get('errorType', 'Error')}: {message}")
    return Text(f"ok: {payload}")


_CLIENT_ERROR = re.compile(r"An error occurred \(([^)]*)\) when calling the (\w+) operation: (.*)",
                           re.DOTALL)
_DENIAL = re.compile(r"is not authorized to perform: (\S+) on resource: \"?([^\" ]+)\"?")


def denial(message: str) -> tuple[str, str] | None:
    """``(action, resource)`` of an IAM AccessDenied message, or None if it is not one."""
    found = _DENIAL.search(message or "")
    return (found.group(1), found.group(2)) if found else None


# --------------------------------------------------------------------- the exercise

#: The handler reads objects under s3://BUCKET/PREFIX and puts items into TABLE.
BUCKET, PREFIX, TABLE = "lab-photos", "incoming/", "photo-index"
#: Resources it must not reach.
OTHER_BUCKET, OTHER_TABLE = "lab-private", "billing"
_TABLE_ARN = f"arn:aws:dynamodb:{REGION}:{ACCOUNT}:table/{TABLE}"

#: Runs ``event["calls"]`` ([service, method, kwargs] each) with the function's role; answers
#: "ok" or [error code, message] per call.
RUNNER = """
import boto3
import botocore

clients = {}


def handler(event, context):
    out = []
    for service, method, kwargs in event["calls"]:
        client = clients.setdefault(service, boto3.client(service))
        try:
            getattr(client, method)(**kwargs)
            out.append("ok")
        except botocore.exceptions.ClientError as error:
            out.append([error.response["Error"]["Code"], error.response["Error"]["Message"]])
    return out
"""


@dataclass(frozen=True)
class Call:
    """One AWS call the runner makes with the role."""

    label: str
    service: str
    method: str
    kwargs: dict[str, Any]
    group: str  #: job (must work), read, write or table (must be denied)


def _item(key: str) -> dict[str, Any]:
    return {"photo": {"S": key}}


#: The handler's own work: both must be allowed.
JOB: tuple[Call, ...] = (
    Call(f"read s3://{BUCKET}/{PREFIX}cat.jpg", "s3", "get_object",
         {"Bucket": BUCKET, "Key": f"{PREFIX}cat.jpg"}, "job"),
    Call(f"put an item into {TABLE}", "dynamodb", "put_item",
         {"TableName": TABLE, "Item": _item("cat.jpg")}, "job"),
)
#: What least privilege leaves out: every one must be denied.
PROBES: tuple[Call, ...] = (
    Call(f"read s3://{BUCKET}/private/payroll.csv", "s3", "get_object",
         {"Bucket": BUCKET, "Key": "private/payroll.csv"}, "read"),
    Call(f"read s3://{OTHER_BUCKET}/{PREFIX}cat.jpg", "s3", "get_object",
         {"Bucket": OTHER_BUCKET, "Key": f"{PREFIX}cat.jpg"}, "read"),
    Call(f"write s3://{BUCKET}/{PREFIX}new.jpg", "s3", "put_object",
         {"Bucket": BUCKET, "Key": f"{PREFIX}new.jpg", "Body": b"x"}, "write"),
    Call(f"delete s3://{BUCKET}/{PREFIX}cat.jpg", "s3", "delete_object",
         {"Bucket": BUCKET, "Key": f"{PREFIX}cat.jpg"}, "write"),
    Call(f"delete an item from {TABLE}", "dynamodb", "delete_item",
         {"TableName": TABLE, "Key": _item("cat.jpg")}, "table"),
    Call(f"scan {TABLE}", "dynamodb", "scan", {"TableName": TABLE}, "table"),
    Call(f"put an item into {OTHER_TABLE}", "dynamodb", "put_item",
         {"TableName": OTHER_TABLE, "Item": _item("cat.jpg")}, "table"),
)


@dataclass(frozen=True)
class PolicyRun:
    """The outcome of :func:`run_policy`."""

    #: Call label -> "ok" or (error code, message), in the order of JOB + PROBES.
    outcomes: dict[str, Any] = field(default_factory=dict)
    #: Why the calls could not run (IAM refused the policy, the function failed), else None.
    problem: str | None = None

    def allowed(self, label: str) -> bool:
        return self.outcomes.get(label) == "ok"


_runs = itertools.count(1)


def run_policy(policy: Any) -> PolicyRun:
    """Attach ``policy`` (a policy document: dict or JSON text) to a new role and make the calls
    of :data:`JOB` and :data:`PROBES` with it, from a function running under that role.

    Uses the active ``lambda_lab.mock_aws()`` session if there is one (they do not nest; it
    must enforce IAM), else a new one on a virtual clock. Everything it creates is deleted
    afterwards."""
    import lambda_lab
    from lambda_lab.aws import mock
    from lambda_lab.clock import VirtualClock

    active = mock._active
    if active is not None:
        if not active.enforce_iam:
            return PolicyRun(problem="start the emulator with lambda_lab.mock_aws("
                                     "enforce_iam=True): without it no call is ever denied")
        return _run(policy)
    with lambda_lab.mock_aws(clock=VirtualClock(), enforce_iam=True):
        return _run(policy)


def _run(policy: Any) -> PolicyRun:
    import boto3
    from botocore.exceptions import ClientError

    from lambda_lab.course.shared import make_zip

    name = f"exercise-least-privilege-{next(_runs)}"
    iam = boto3.client("iam", region_name=REGION)
    lam = boto3.client("lambda", region_name=REGION)
    made = _create_resources()
    lambda_role(iam, name)
    try:
        document = policy if isinstance(policy, str) else json.dumps(policy)
        try:
            iam.put_role_policy(RoleName=name, PolicyName="least-privilege",
                                PolicyDocument=document)
        except ClientError as error:
            return PolicyRun(problem=f"IAM refused the policy: {error.response['Error']['Code']}"
                                     f": {error.response['Error']['Message']}")
        lam.create_function(FunctionName=name, Runtime="python3.12",
                            Role=f"arn:aws:iam::{ACCOUNT}:role/{name}",
                            Handler="lambda_function.handler", Code={"ZipFile": make_zip(RUNNER)},
                            MemorySize=1769, Timeout=30)  # 1,769 MB: one vCPU to import boto3
        try:
            calls = [*JOB, *PROBES]
            event = {"calls": [[c.service, c.method, _jsonable(c.kwargs)] for c in calls]}
            response = lam.invoke(FunctionName=name, Payload=json.dumps(event))
            body = json.loads(response["Payload"].read())
            if response.get("FunctionError"):
                return PolicyRun(problem=f"the function failed: {body.get('errorMessage')}")
            return PolicyRun({c.label: r if r == "ok" else tuple(r)
                              for c, r in zip(calls, body, strict=True)})
        finally:
            lam.delete_function(FunctionName=name)
    finally:
        for attached in iam.list_role_policies(RoleName=name)["PolicyNames"]:
            iam.delete_role_policy(RoleName=name, PolicyName=attached)
        iam.delete_role(RoleName=name)
        _delete_resources(made)


def _jsonable(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v.decode() if isinstance(v, bytes) else v for k, v in kwargs.items()}


def _create_resources() -> list[tuple[str, str]]:
    """The buckets, objects and tables the calls need; returns what was created here."""
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    made: list[tuple[str, str]] = []
    have = {b["Name"] for b in s3.list_buckets().get("Buckets", [])}
    for bucket in (BUCKET, OTHER_BUCKET):
        if bucket not in have:
            s3.create_bucket(Bucket=bucket)
            made.append(("bucket", bucket))
    for bucket, key in ((BUCKET, f"{PREFIX}cat.jpg"), (BUCKET, "private/payroll.csv"),
                        (OTHER_BUCKET, f"{PREFIX}cat.jpg")):
        s3.put_object(Bucket=bucket, Key=key, Body=b"test data")
    tables = set(dynamodb.list_tables()["TableNames"])
    for table in (TABLE, OTHER_TABLE):
        if table not in tables:
            dynamodb.create_table(TableName=table, BillingMode="PAY_PER_REQUEST",
                                  KeySchema=[{"AttributeName": "photo", "KeyType": "HASH"}],
                                  AttributeDefinitions=[{"AttributeName": "photo",
                                                         "AttributeType": "S"}])
            made.append(("table", table))
    return made


def _delete_resources(made: list[tuple[str, str]]) -> None:
    import boto3

    s3 = boto3.client("s3", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    for kind, name in made:
        if kind == "table":
            dynamodb.delete_table(TableName=name)
        else:
            for obj in s3.list_objects_v2(Bucket=name).get("Contents", []):
                s3.delete_object(Bucket=name, Key=obj["Key"])
            s3.delete_bucket(Bucket=name)


def policy_report(run: PolicyRun) -> Text:
    """One line per call of :func:`run_policy`: what it is, what least privilege expects, what
    happened (the AccessDenied's action, when denied)."""
    if run.problem:
        return Text(run.problem)
    lines = ["call                                       should be  was"]
    for call in (*JOB, *PROBES):
        outcome = run.outcomes.get(call.label)
        expected = "allowed" if call.group == "job" else "denied"
        if outcome == "ok":
            got = "allowed"
        else:
            found = denial(outcome[1]) if outcome else None
            got = f"denied ({found[0]})" if found else f"failed: {outcome}"
        mark = "✅" if got.split(" ")[0] == expected else "❌"
        lines.append(f"{call.label:<41}  {expected:<9}  {mark} {got}")
    return Text("\n".join(lines))


# --------------------------------------------------------------------- the exercise's checks

#: The stub cell: a document with no statements yet.
POLICY_STUB = """\
policy = {
    "Version": "2012-10-17",
    "Statement": [
        # TODO: statements that let the handler read objects under
        # s3://lab-photos/incoming/ and put items into the DynamoDB table photo-index
    ],
}
"""
#: The policy the stub cell binds.
STUB_POLICY: dict[str, Any] = {"Version": "2012-10-17", "Statement": []}

_policy_runs: dict[str, PolicyRun] = {}


def policy_not_attempted(answer: Any) -> bool:
    """None, ``...`` or the stub's empty document."""
    return answer is None or answer is Ellipsis or answer == STUB_POLICY


def _cached_run(answer: Any) -> PolicyRun:
    """:func:`run_policy` of ``answer``, cached for the last answer."""
    try:
        key = json.dumps(answer, sort_keys=True)
    except (TypeError, ValueError):
        raise AssertionError("first make the policy plain JSON data: dicts, lists and strings"
                             ) from None
    run = _policy_runs.get(key)
    if run is None:
        run = run_policy(answer)
        _policy_runs.clear()
        _policy_runs[key] = run
    return run


def _run_of(answer: Any) -> PolicyRun:
    """:func:`_cached_run`, or AssertionError (the hint) when the calls could not run."""
    run = _cached_run(answer)
    if run.problem:
        raise AssertionError(f"first make IAM accept the policy ({run.problem})")
    return run


def check_document(answer: Any) -> str | None:
    """The answer is shaped like a policy document."""
    if not isinstance(answer, dict):
        return f"policy should be a dict (a policy document), not {type(answer).__name__}"
    if answer.get("Version") != "2012-10-17":
        return "give the document \"Version\": \"2012-10-17\", the current policy language"
    statements = answer.get("Statement")
    if isinstance(statements, dict):
        statements = [statements]
    if not isinstance(statements, list) or not statements:
        return "\"Statement\" should be a list of statements, each a dict"
    for statement in statements:
        if not isinstance(statement, dict):
            return "each statement should be a dict with Effect, Action and Resource"
        missing = [k for k in ("Effect", "Action", "Resource") if k not in statement]
        if missing:
            return f"a statement has no {missing[0]}: give each one Effect, Action and Resource"
    return None


def check_accepted(answer: Any) -> str | None:
    """IAM takes it as the role's inline policy (put_role_policy)."""
    if check_document(answer) is not None:
        return "first make it a policy document (see the check above)"
    return _cached_run(answer).problem


def _denied_hint(run: PolicyRun, call: Call, fix: str) -> str | None:
    outcome = run.outcomes.get(call.label)
    if outcome == "ok":
        return None
    found = denial(outcome[1]) if outcome else None
    if found is None:
        return f"{call.label} failed: {outcome}"
    action, resource = found
    return f"the role was denied {action} on {resource}: {fix}"


def check_reads_its_prefix(answer: Any) -> str | None:
    """The handler can read an object under the prefix."""
    run = _run_of(answer)
    fix = (f"allow s3:GetObject on the objects' ARN, arn:aws:s3:::{BUCKET}/{PREFIX}* "
           "(a bucket's ARN alone does not cover its objects)")
    return _denied_hint(run, JOB[0], fix)


def check_puts_items(answer: Any) -> str | None:
    """The handler can put an item into its table."""
    return _denied_hint(_run_of(answer), JOB[1], f"allow dynamodb:PutItem on {_TABLE_ARN}")


def _first_allowed(run: PolicyRun, group: str) -> Call | None:
    return next((c for c in PROBES if c.group == group and run.allowed(c.label)), None)


def check_reads_nothing_else(answer: Any) -> str | None:
    """Objects outside the prefix, and other buckets, stay out of reach."""
    leak = _first_allowed(_run_of(answer), "read")
    if leak is None:
        return None
    return (f"the role could {leak.label}: make the S3 Resource "
            f"arn:aws:s3:::{BUCKET}/{PREFIX}*, not the whole bucket or *")


def check_writes_no_objects(answer: Any) -> str | None:
    """The role cannot write or delete objects."""
    leak = _first_allowed(_run_of(answer), "write")
    if leak is None:
        return None
    return (f"the role could {leak.label}: the handler only reads, so list the one action "
            "s3:GetObject instead of s3:* or s3:Put*/Delete*")


def check_table_only_puts(answer: Any) -> str | None:
    """No other table action, and no other table."""
    leak = _first_allowed(_run_of(answer), "table")
    if leak is None:
        return None
    if leak.kwargs.get("TableName") == OTHER_TABLE:
        return (f"the role could {leak.label}: name the table's ARN, {_TABLE_ARN}, "
                "instead of * or table/*")
    return (f"the role could {leak.label}: the handler only puts items, so list the one "
            "action dynamodb:PutItem instead of dynamodb:*")


def s3_event(bucket: str, key: str) -> dict[str, Any]:
    """A minimal S3 ObjectCreated:Put notification for ``bucket``/``key`` (the fields a handler
    usually reads; S3 sends more)."""
    return {"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "awsRegion": REGION,
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket, "arn": f"arn:aws:s3:::{bucket}"},
               "object": {"key": key}},
    }]}


def managed_policy_actions(iam: Any, arn: str) -> list[str]:
    """The actions an AWS managed policy allows, in its document's order."""
    version = iam.get_policy(PolicyArn=arn)["Policy"]["DefaultVersionId"]
    document = iam.get_policy_version(PolicyArn=arn, VersionId=version)["PolicyVersion"]["Document"]
    document = json.loads(document) if isinstance(document, str) else document
    statements = document["Statement"]
    actions: list[str] = []
    for statement in statements if isinstance(statements, list) else [statements]:
        found = statement.get("Action", [])
        actions += found if isinstance(found, list) else [found]
    return actions
