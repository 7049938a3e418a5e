"""notebooks/08-permissions-and-security: the least-privilege exercise's runs and checks, and the
helpers the notebook prints with. Runs share one ``mock_aws(enforce_iam=True)`` session on a
virtual clock (run_policy uses the active session)."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from lambda_lab.course import exercises as ex
from lambda_lab.course.chapters.ch08_permissions_and_security import helpers as sec

OBJECTS = "arn:aws:s3:::lab-photos/incoming/*"
TABLE = "arn:aws:dynamodb:us-east-1:123456789012:table/photo-index"


def doc(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


LEAST = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECTS},
            {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": TABLE})


def test_run_policy_needs_an_enforcing_session():
    # first in the file: the module's enforcing session (fixture aws) starts after it
    """Without enforce_iam nothing is ever denied (README), so the run refuses to judge."""
    import lambda_lab

    with lambda_lab.mock_aws(server=False):
        run = sec.run_policy(LEAST)
    assert run.problem is not None and "enforce_iam=True" in run.problem


@pytest.fixture(scope="module")
def aws() -> Iterator[Any]:
    import lambda_lab
    from lambda_lab.clock import VirtualClock

    with lambda_lab.mock_aws(clock=VirtualClock(), enforce_iam=True, seed=8) as session:
        yield session
    from lambda_lab import clock

    previous = clock.set_default_clock(None)
    if previous is not None:
        previous.close()


def test_least_privilege_allows_the_job_and_denies_every_probe(aws):
    """IAM UG "Policy evaluation logic": without an Allow a request is implicitly denied; the
    two Allow statements cover exactly s3:GetObject under incoming/ (object ARNs are
    arn:aws:s3:::bucket/key) and dynamodb:PutItem on the one table."""
    run = sec.run_policy(LEAST)
    assert run.problem is None
    assert [run.allowed(c.label) for c in sec.JOB] == [True, True]
    for call in sec.PROBES:
        code, message = run.outcomes[call.label]
        assert code in ("AccessDenied", "AccessDeniedException"), call.label
        assert "because no identity-based policy allows" in message
    report = sec.policy_report(run)
    assert report.count("✅") == 9 and "❌" not in report
    assert "denied (dynamodb:DeleteItem)" in report
    # everything the run made is gone again
    assert "photo-index" not in boto3.client("dynamodb", region_name="us-east-1").list_tables()[
        "TableNames"]
    assert not boto3.client("lambda", region_name="us-east-1").list_functions()["Functions"]


def test_the_bucket_arn_alone_covers_no_object(aws):
    """S3: an object's ARN is arn:aws:s3:::bucket/key; GetObject allowed on the bucket's ARN
    matches no object, so the read is denied (S3 UG "Policy resources")."""
    bucket = "arn:aws:s3:::lab-photos"
    answer = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": bucket},
                 {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": TABLE})
    feedback = ex.get("least-privilege").check(answer)
    assert feedback.text == (
        "❌ 6 of 7 checks pass — hint: the role was denied s3:GetObject on "
        "arn:aws:s3:::lab-photos/incoming/cat.jpg: allow s3:GetObject on the objects' ARN, "
        "arn:aws:s3:::lab-photos/incoming/* (a bucket's ARN alone does not cover its objects)")


def test_an_explicit_deny_narrows_a_broad_allow(aws):
    """IAM UG: an explicit Deny in any policy overrides an Allow; dynamodb:* on the table with
    DeleteItem and Scan denied leaves only what the handler needs."""
    answer = doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECTS},
                 {"Effect": "Allow", "Action": "dynamodb:*", "Resource": TABLE},
                 {"Effect": "Deny", "Action": ["dynamodb:DeleteItem", "dynamodb:Scan"],
                  "Resource": "*"})
    run = sec.run_policy(answer)
    code, message = run.outcomes[f"delete an item from {sec.TABLE}"]
    assert code == "AccessDeniedException"
    assert message.endswith("with an explicit deny in an identity-based policy")
    assert ex.get("least-privilege").check(answer).ok


@pytest.mark.parametrize("answer, hint", [
    (doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::lab-photos/*"},
         {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": TABLE}),
     "the role could read s3://lab-photos/private/payroll.csv: make the S3 Resource "
     "arn:aws:s3:::lab-photos/incoming/*, not the whole bucket or *"),
    (doc({"Effect": "Allow", "Action": "s3:*", "Resource": OBJECTS},
         {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": TABLE}),
     "the role could write s3://lab-photos/incoming/new.jpg: the handler only reads, so list the "
     "one action s3:GetObject instead of s3:* or s3:Put*/Delete*"),
    (doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECTS},
         {"Effect": "Allow", "Action": "dynamodb:PutItem", "Resource": "*"}),
     "the role could put an item into billing: name the table's ARN, "
     f"{TABLE}, instead of * or table/*"),
    (doc({"Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECTS}),
     "the role was denied dynamodb:PutItem on "
     f"{TABLE}: allow dynamodb:PutItem on {TABLE}"),
])
def test_too_broad_or_too_narrow_policies_get_a_fixed_hint(aws, answer, hint):
    feedback = ex.get("least-privilege").check(answer)
    assert not feedback.ok
    assert feedback.text.endswith(f"— hint: {hint}")


@pytest.mark.parametrize("answer, hint", [
    ('{"Version": "2012-10-17"}', "policy should be a dict (a policy document), not str"),
    ({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": OBJECTS}]},
     'give the document "Version": "2012-10-17", the current policy language'),
    (doc({"Effect": "Allow", "Action": "s3:GetObject"}),
     "a statement has no Resource: give each one Effect, Action and Resource"),
])
def test_a_malformed_document_is_caught_before_anything_runs(answer, hint):
    feedback = ex.get("least-privilege").check(answer)
    assert feedback.text.startswith("❌ 0 of 7 checks pass — hint: ")
    assert feedback.text.endswith(hint)


def test_iam_refusing_the_policy_is_reported(aws):
    """IAM validates a policy on PutRolePolicy (MalformedPolicyDocument): an Effect other than
    Allow or Deny is refused, and the calls never run."""
    run = sec.run_policy(doc({"Effect": "Maybe", "Action": "s3:GetObject", "Resource": OBJECTS}))
    assert run.problem is not None
    assert run.problem.startswith("IAM refused the policy: MalformedPolicyDocument")
    assert not run.outcomes


def test_the_stub_and_none_are_not_attempted():
    exercise = ex.get("least-privilege")
    assert exercise.stub_answer() == sec.STUB_POLICY
    assert exercise.check(exercise.stub_answer()).attempted is False
    assert exercise.check(None).attempted is False


def _response(payload: Any, error: bool = False) -> dict[str, Any]:
    response = {"Payload": io.BytesIO(json.dumps(payload).encode()), "StatusCode": 200}
    if error:
        response["FunctionError"] = "Unhandled"
    return response


def test_outcome_line_and_denial():
    message = ('An error occurred (AccessDenied) when calling the GetObject operation: User: '
               'arn:aws:sts::123456789012:assumed-role/r/f is not authorized to perform: '
               's3:GetObject on resource: "arn:aws:s3:::b/k" because no identity-based policy '
               'allows the s3:GetObject action')
    line = sec.outcome_line(_response({"errorType": "AccessDenied", "errorMessage": message},
                                      error=True))
    assert line.startswith("AccessDenied in GetObject: User: arn:aws:sts::")
    assert sec.denial(message) == ("s3:GetObject", "arn:aws:s3:::b/k")
    assert sec.denial("something else") is None
    assert sec.outcome_line(_response({"indexed": 1})) == "ok: {'indexed': 1}"
    assert sec.outcome_line(_response({"errorType": "KeyError", "errorMessage": "'x'"},
                                      error=True)) == "KeyError: 'x'"


def test_s3_event_and_policy_document():
    event = sec.s3_event("uploads", "cat.jpg")
    (record,) = event["Records"]
    assert record["eventSource"] == "aws:s3"
    assert (record["s3"]["bucket"]["name"], record["s3"]["object"]["key"]) == ("uploads",
                                                                                "cat.jpg")
    assert json.loads(sec.policy_document({"Effect": "Deny"})) == {
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny"}]}
    assert sec.TRUST_POLICY["Statement"][0]["Principal"] == {"Service": "lambda.amazonaws.com"}
