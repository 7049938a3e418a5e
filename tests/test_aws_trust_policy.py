"""CreateFunction / UpdateFunctionConfiguration check the execution role's trust policy.

AWS (Lambda DG "Defining Lambda function permissions with an execution role"): the execution
role's trust policy must allow the service principal lambda.amazonaws.com to call
sts:AssumeRole; otherwise CreateFunction and UpdateFunctionConfiguration(Role=...) fail with
InvalidParameterValueException "The role defined for the function cannot be assumed by Lambda."
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from aws_helpers import REGION, TRUST, make_zip, session
from botocore.exceptions import ClientError

MESSAGE = "The role defined for the function cannot be assumed by Lambda."
CODE = make_zip("def handler(event, context):\n    return 'ok'\n")


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _statement(service: Any, effect: str = "Allow", action: Any = "sts:AssumeRole") -> dict:
    return {"Effect": effect, "Principal": {"Service": service}, "Action": action}


TRUSTING = {
    "single service": TRUST,
    "list of services": _policy(_statement(["lambda.amazonaws.com", "edgelambda.amazonaws.com"])),
    "allow among others": _policy(
        _statement("ec2.amazonaws.com"),
        _statement("lambda.amazonaws.com", action=["sts:AssumeRole", "sts:TagSession"]),
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::123456789012:root"},
         "Action": "sts:AssumeRole"}),
}
NOT_TRUSTING = {
    "empty document": "{}",
    "only ec2": _policy(_statement("ec2.amazonaws.com")),
    "explicit deny": _policy(_statement("lambda.amazonaws.com"),
                             _statement("lambda.amazonaws.com", effect="Deny")),
}


@pytest.fixture
def aws() -> Iterator[Any]:
    yield from session(virtual_clock=True)


def _role(name: str, trust: str) -> str:
    iam = boto3.client("iam", region_name=REGION)
    return iam.create_role(RoleName=name, AssumeRolePolicyDocument=trust)["Role"]["Arn"]


def _create(lam: Any, role: str, name: str = "fn") -> dict:
    return lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                               Handler="lambda_function.handler", Code={"ZipFile": CODE})


def _assert_cannot_assume(error: pytest.ExceptionInfo[ClientError]) -> None:
    assert error.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert error.value.response["Error"]["Message"] == MESSAGE
    assert error.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@pytest.mark.parametrize("trust", TRUSTING.values(), ids=TRUSTING.keys())
def test_role_trusting_lambda_is_accepted(aws: Any, trust: str) -> None:
    """A trust policy allowing lambda.amazonaws.com sts:AssumeRole (alone, in a Service list,
    or among other statements) is enough for CreateFunction and for a Role update."""
    lam = boto3.client("lambda", region_name=REGION)
    role = _role("trusting", trust)
    assert _create(lam, role)["Role"] == role
    other = _role("trusting-2", trust)
    updated = lam.update_function_configuration(FunctionName="fn", Role=other)
    assert updated["Role"] == other


@pytest.mark.parametrize("trust", NOT_TRUSTING.values(), ids=NOT_TRUSTING.keys())
def test_create_function_with_untrusting_role_fails(aws: Any, trust: str) -> None:
    """CreateFunction: a role whose trust policy does not allow Lambda (empty, another service,
    explicit Deny) -> InvalidParameterValueException; no function is created."""
    lam = boto3.client("lambda", region_name=REGION)
    role = _role("untrusting", trust)
    with pytest.raises(ClientError) as error:
        _create(lam, role)
    _assert_cannot_assume(error)
    assert lam.list_functions()["Functions"] == []


@pytest.mark.parametrize("trust", NOT_TRUSTING.values(), ids=NOT_TRUSTING.keys())
def test_update_to_untrusting_role_fails(aws: Any, trust: str) -> None:
    """UpdateFunctionConfiguration(Role=...) to a role Lambda cannot assume fails the same
    way and leaves the function's role unchanged."""
    lam = boto3.client("lambda", region_name=REGION)
    good = _role("good", TRUST)
    _create(lam, good)
    bad = _role("untrusting", trust)
    with pytest.raises(ClientError) as error:
        lam.update_function_configuration(FunctionName="fn", Role=bad)
    _assert_cannot_assume(error)
    assert lam.get_function_configuration(FunctionName="fn")["Role"] == good


def test_trust_policy_fixed_later_is_accepted(aws: Any) -> None:
    """The check reads the role's current trust policy: after UpdateAssumeRolePolicy allows
    Lambda, CreateFunction with the same role succeeds."""
    lam = boto3.client("lambda", region_name=REGION)
    role = _role("fixed", "{}")
    with pytest.raises(ClientError) as error:
        _create(lam, role)
    _assert_cannot_assume(error)
    boto3.client("iam", region_name=REGION).update_assume_role_policy(
        RoleName="fixed", PolicyDocument=TRUST)
    assert _create(lam, role)["FunctionName"] == "fn"


def test_course_roles_trust_their_service(aws: Any) -> None:
    """The course's lambda_role / LAMBDA_TRUST_POLICY pass the check; a role made with
    trust_policy("codedeploy.amazonaws.com") (a CodeDeploy service role) does not."""
    from lambda_lab.course.roles import LAMBDA_TRUST_POLICY, lambda_role, trust_policy

    lam = boto3.client("lambda", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    assert json.loads(LAMBDA_TRUST_POLICY)["Statement"][0]["Principal"] == {
        "Service": "lambda.amazonaws.com"}
    assert _create(lam, lambda_role(iam, "course"))["FunctionName"] == "fn"
    with pytest.raises(ClientError) as error:
        _create(lam, _role("deployer", trust_policy("codedeploy.amazonaws.com")), name="fn2")
    _assert_cannot_assume(error)


def test_trust_document_url_encoded_or_json() -> None:
    """IAM returns AssumeRolePolicyDocument URL-encoded (GetRole); the check reads either form,
    and Action matches sts:AssumeRole case-insensitively and through wildcards (IAM actions)."""
    from urllib.parse import quote

    from lambda_lab.aws.services import trusts_lambda

    assert trusts_lambda(TRUST) and trusts_lambda(quote(TRUST))
    assert trusts_lambda(_policy(_statement("lambda.amazonaws.com", action="STS:*")))
    assert not trusts_lambda(_policy(_statement("lambda.amazonaws.com", action="sts:TagSession")))
    assert not trusts_lambda("not json") and not trusts_lambda(quote("{}"))
