"""Concurrency through boto3 under ``lambda_lab.mock_aws()`` (issue #3 section 3).

Rules from shared/reference/lambda-facts.md: A "Account concurrency" (1,000 per Region),
A "Unreserved minimum" (100 stay unreserved), B "Throttling" (TooManyRequestsException, HTTP 429,
a Reason), B "Function scaling rate" (the rule is selectable; its arithmetic is unit-tested in
test_platform_concurrency.py). botocore retries 429s by default; these clients make one attempt
(``total_max_attempts=1``; note that ``max_attempts`` counts *retries*).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from aws_helpers import REGION, aws, create, invoke_json, lam, role  # noqa: F401
from botocore.config import Config
from botocore.exceptions import ClientError

SLEEPER = """
import time
def handler(event, context):
    time.sleep(event.get("sleep", 0))
    return "done"
"""
UNRESERVED_MIN_MESSAGE = ("Specified ReservedConcurrentExecutions for function decreases account's "
                          "UnreservedConcurrentExecution below its minimum value of [100].")


@pytest.fixture
def lam1(aws: Any) -> Any:
    """A Lambda client that does not retry throttles.

    ``client.exceptions`` is built lazily and not thread-safely by botocore: threads that raise at
    the same moment in a fresh session can each build their own ``TooManyRequestsException`` class,
    so ``isinstance`` against the client's class fails at random. Building it here, before any
    thread runs, keeps one class (a CI run met this race)."""
    client = boto3.client("lambda", region_name=REGION,
                          config=Config(retries={"total_max_attempts": 1, "mode": "standard"}))
    assert client.exceptions.TooManyRequestsException is not None
    return client


def burst(lam1: Any, name: str, n: int, sleep: float = 0.5, **params: Any) -> list[Any]:
    """``n`` concurrent synchronous invokes; each gives "done" or the ClientError it raised."""

    def one(_: int) -> Any:
        try:
            resp = lam1.invoke(FunctionName=name, Payload=json.dumps({"sleep": sleep}), **params)
            return json.loads(resp["Payload"].read())
        except ClientError as e:
            return e

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def throttles(results: list[Any]) -> list[ClientError]:
    return [r for r in results if isinstance(r, ClientError)]


# ------------------------------------------------------------------ account settings


def test_account_settings_default_to_1000_concurrent_executions(lam, create):
    """A "Account concurrency": 1,000 per Region by default; GetAccountSettings reports it."""
    create(SLEEPER)
    create(SLEEPER)
    s = lam.get_account_settings()
    assert s["AccountLimit"]["ConcurrentExecutions"] == 1000
    assert s["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000
    assert s["AccountUsage"]["FunctionCount"] == 2
    assert s["AccountUsage"]["TotalCodeSize"] > 0


def test_account_concurrency_is_settable_for_teaching():
    """A "Account concurrency": raisable on AWS; settable here with
    ``mock_aws(account_concurrency=)`` and ``aws.set_account_concurrency(n)``."""
    import lambda_lab

    with lambda_lab.mock_aws(account_concurrency=50) as session:
        client = boto3.client("lambda", region_name=REGION)
        assert client.get_account_settings()["AccountLimit"]["ConcurrentExecutions"] == 50
        session.set_account_concurrency(5000)
        limit = client.get_account_settings()["AccountLimit"]
        assert limit["ConcurrentExecutions"] == limit["UnreservedConcurrentExecutions"] == 5000


def test_account_limit_throttles_with_concurrent_invocation_limit_exceeded(aws, lam1, create):
    """B "Throttling": beyond the account's (unreserved) concurrency, 429
    ConcurrentInvocationLimitExceeded."""
    name = create(SLEEPER, MemorySize=1769)
    aws.set_account_concurrency(2)
    results = burst(lam1, name, 5)
    assert results.count("done") == 2
    assert [e.response["Reason"] for e in throttles(results)] == \
        ["ConcurrentInvocationLimitExceeded"] * 3


# ------------------------------------------------------------------ reserved concurrency


def test_put_get_delete_function_concurrency_and_get_function(lam, create):
    """Reserved concurrency: Put/Get/DeleteFunctionConcurrency; GetFunction shows it; it comes out
    of UnreservedConcurrentExecutions."""
    name = create(SLEEPER)
    assert lam.get_function_concurrency(FunctionName=name).get("ReservedConcurrentExecutions") \
        is None
    assert "Concurrency" not in lam.get_function(FunctionName=name)
    put = lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=25)
    assert put["ReservedConcurrentExecutions"] == 25
    assert lam.get_function_concurrency(FunctionName=name)["ReservedConcurrentExecutions"] == 25
    assert lam.get_function(FunctionName=name)["Concurrency"] == {
        "ReservedConcurrentExecutions": 25}
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 975
    lam.delete_function_concurrency(FunctionName=name)
    assert "Concurrency" not in lam.get_function(FunctionName=name)
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000


def test_unreserved_minimum_of_100_is_enforced(lam, create):
    """A "Unreserved minimum": reserved total <= account limit - 100, AWS's error and message."""
    a, b = create(SLEEPER), create(SLEEPER)
    lam.put_function_concurrency(FunctionName=a, ReservedConcurrentExecutions=900)
    with pytest.raises(ClientError) as info:
        lam.put_function_concurrency(FunctionName=b, ReservedConcurrentExecutions=1)
    err = info.value.response["Error"]
    assert err["Code"] == "InvalidParameterValueException"
    assert err["Message"] == UNRESERVED_MIN_MESSAGE
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.put_function_concurrency(FunctionName="nope", ReservedConcurrentExecutions=1)


def test_concurrent_invokes_beyond_reserved_concurrency_are_throttled(lam1, create):
    """B "Throttling": N concurrent invokes of a 0.5 s handler with reserved concurrency 2 give
    exactly N-2 throttles: 429 TooManyRequestsException, Reason
    ReservedFunctionConcurrentInvocationLimitExceeded, "Rate Exceeded."."""
    name = create(SLEEPER, MemorySize=1769)
    lam1.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    n = 6
    results = burst(lam1, name, n)
    assert results.count("done") == 2
    errors = throttles(results)
    assert len(errors) == n - 2
    for e in errors:
        assert e.response["Error"]["Code"] == "TooManyRequestsException"
        assert e.response["Error"]["Message"] == "Rate Exceeded."
        assert e.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"
        assert e.response["Type"] == "User"
        assert e.response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert isinstance(errors[0], lam1.exceptions.TooManyRequestsException)
    # the environments are free again: the next invoke runs
    assert invoke_json(lam1, name, {"sleep": 0})[1] == "done"


def test_reserved_concurrency_zero_throttles_everything(lam1, create):
    """B "Throttling": reserved concurrency 0 stops the function (every invoke is a 429)."""
    name = create(SLEEPER)
    lam1.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    with pytest.raises(lam1.exceptions.TooManyRequestsException) as info:
        lam1.invoke(FunctionName=name)
    assert info.value.response["Reason"] == "ReservedFunctionConcurrentInvocationLimitExceeded"


# ------------------------------------------------------------------ provisioned concurrency


def _published(lam: Any, create: Any, **params: Any) -> tuple[str, str]:
    name = create(SLEEPER, **params)
    return name, lam.publish_version(FunctionName=name)["Version"]


def test_provisioned_concurrency_is_not_allowed_on_latest(lam, create):
    name = create(SLEEPER)
    with pytest.raises(lam.exceptions.InvalidParameterValueException, match="unpublished"):
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="$LATEST",
                                               ProvisionedConcurrentExecutions=1)


def test_provisioned_concurrency_becomes_ready_on_the_platform_clock(aws, lam, create):
    """IN_PROGRESS, then READY once platform time has moved (``aws.advance``); environments are
    initialised ahead of traffic with AWS_LAMBDA_INITIALIZATION_TYPE provisioned-concurrency, and
    invocations on them are warm (no Init Duration)."""
    name, version = _published(lam, create)
    put = lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                                 ProvisionedConcurrentExecutions=2)
    assert put["Status"] == "IN_PROGRESS"
    assert put["RequestedProvisionedConcurrentExecutions"] == 2
    assert put["AllocatedProvisionedConcurrentExecutions"] == 0
    assert put["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert aws.platform().environments(name, version) == []
    aws.advance(1)
    got = lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=version)
    assert got["Status"] == "READY"
    assert got["AvailableProvisionedConcurrentExecutions"] == 2
    envs = aws.platform().environments(name, version)
    assert [e.init_type for e in envs] == ["provisioned-concurrency"] * 2
    resp = lam.invoke(FunctionName=name, Qualifier=version, LogType="Tail")
    import base64

    report = base64.b64decode(resp["LogResult"]).decode()
    assert "REPORT RequestId" in report and "Init Duration" not in report
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 998


def test_provisioned_environments_survive_keep_alive_and_spill_over_is_on_demand(
        aws, lam1, create):
    """Traffic beyond provisioned concurrency spills over to on-demand environments (cold starts);
    keep-alive reclaims those, never the provisioned ones."""
    name, version = _published(lam1, create, MemorySize=1769)
    lam1.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                            ProvisionedConcurrentExecutions=2)
    aws.advance(1)
    assert burst(lam1, name, 3, Qualifier=version) == ["done"] * 3
    kinds = sorted(e.init_type for e in aws.platform().environments(name, version))
    assert kinds == ["on-demand", "provisioned-concurrency", "provisioned-concurrency"]
    aws.advance(3600)
    kinds = [e.init_type for e in aws.platform().environments(name, version)]
    assert kinds == ["provisioned-concurrency"] * 2


def test_provisioned_concurrency_on_an_alias_list_and_delete(aws, lam, create):
    """Put on an alias; ListProvisionedConcurrencyConfigs shows the alias ARN; a version and an
    alias on it cannot both be provisioned; delete frees the environments."""
    name, version = _published(lam, create)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=version)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                           ProvisionedConcurrentExecutions=1)
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                               ProvisionedConcurrentExecutions=1)
    aws.advance(1)
    (listed,) = lam.list_provisioned_concurrency_configs(FunctionName=name)[
        "ProvisionedConcurrencyConfigs"]
    assert listed["FunctionArn"].endswith(f":function:{name}:live")
    assert listed["Status"] == "READY"
    lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert aws.platform().environments(name, version) == []
    with pytest.raises(ClientError) as info:
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="live")
    assert info.value.response["Error"]["Code"] == "ProvisionedConcurrencyConfigNotFoundException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_provisioned_concurrency_counts_against_reserved(lam, create):
    """Provisioned concurrency counts against the function's reserved concurrency."""
    name, version = _published(lam, create)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=2)
    with pytest.raises(lam.exceptions.InvalidParameterValueException,
                       match="should not be greater than the reservedConcurrentExecution"):
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                               ProvisionedConcurrentExecutions=3)


def test_provisioned_concurrency_is_ready_by_itself_in_real_time(lam, create):
    """Without ``advance``, platform time follows real time: READY within about a second."""
    from aws_helpers import poll

    name, version = _published(lam, create)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                           ProvisionedConcurrentExecutions=1)
    poll(lambda: lam.get_provisioned_concurrency_config(
        FunctionName=name, Qualifier=version)["Status"] == "READY", timeout=10)


# ------------------------------------------------------------------ scaling rule


def test_scaling_rule_is_selectable():
    """B "Function scaling rate": the 2023 rule by default, the notes' 2020 rule on request."""
    import lambda_lab

    with lambda_lab.mock_aws() as session:
        assert session.platform().concurrency.scaling_rule == "2023"
    with lambda_lab.mock_aws(scaling_rule="2020") as session:
        assert session.platform().concurrency.scaling_rule == "2020"
        assert session.platform().concurrency.scaling_tokens("f") == 3000
    with pytest.raises(ValueError):
        lambda_lab.mock_aws(scaling_rule="1999")
