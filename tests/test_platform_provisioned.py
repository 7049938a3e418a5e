"""Provisioned concurrency follow-ups through boto3 on a virtual platform clock.

Sources: shared/reference/lambda-facts.md B "Init phase" (10 s for on-demand environments;
provisioned concurrency / SnapStart: max(130 s, timeout)); the Lambda Developer Guide
"Configuring provisioned concurrency" ("If you change the version that an alias points to,
Lambda deallocates the provisioned concurrency from the old version and allocates it to the new
version. You can add a routing configuration to an alias that has provisioned concurrency ...
you can't manage provisioned concurrency settings on the alias while the routing configuration
is in place"; "Each version of a function can only have one provisioned concurrency
configuration"); the API reference, AllocatedProvisionedConcurrentExecutions ("When a weighted
alias is used during linear and canary deployments, this value fluctuates depending on the
amount of concurrency that is provisioned for the function versions"); DG
configuring-alias-routing (with provisioned concurrency, configure more of it while routing is
active to avoid spillover: the weighted alias splits it across both versions).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import base64
import json
import time
from typing import Any

import pytest
from aws_helpers import create, lam, make_zip, role, session  # noqa: F401
from botocore.exceptions import ClientError

from lambda_lab.execution import environment
from lambda_lab.platform import provisioned

CRASHY = """
import os, time
def handler(event, context):
    if event.get("exit"):
        os._exit(3)
    time.sleep(event.get("sleep", 0))
    return os.environ["AWS_LAMBDA_FUNCTION_VERSION"]
"""


def slow_init(seconds: float) -> str:
    return f"""
import time
time.sleep({seconds})
def handler(event, context):
    return "ok"
"""


@pytest.fixture
def aws() -> Any:
    yield from session(virtual_clock=True)


def config(lam: Any, name: str, qualifier: str) -> dict:
    return lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier=qualifier)


def kinds(aws: Any, name: str, version: str) -> list[str]:
    return sorted(e.init_type for e in aws.platform().environments(name, version))


def provisioned_ids(aws: Any, name: str, version: str) -> set[str]:
    return {e.id for e in aws.platform().environments(name, version)
            if e.init_type == "provisioned-concurrency"}


def invoke(lam: Any, name: str, event: Any = None, **params: Any) -> tuple[dict, Any, str]:
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(event or {}), LogType="Tail",
                      **params)
    return resp, json.loads(resp["Payload"].read()), base64.b64decode(resp["LogResult"]).decode()


def publish(lam: Any, name: str, source: str) -> str:
    lam.update_function_code(FunctionName=name, ZipFile=make_zip(source))
    return lam.publish_version(FunctionName=name)["Version"]


# ------------------------------------------------------------------ 1. init limit


def test_provisioned_init_may_outlast_the_on_demand_init_limit(aws, lam, create, monkeypatch):
    """lambda-facts B "Init phase": on-demand init is limited (10 s, shortened here to 0.3 s)
    and otherwise retried inside the first invocation; a provisioned environment's init may
    take max(130 s, timeout), so an init longer than the on-demand limit still makes READY,
    warm environments."""
    monkeypatch.setattr(environment, "INIT_TIMEOUT_S", 0.3)
    monkeypatch.setattr(environment.ExecutionEnvironment.start, "__defaults__", (0.3,))
    name = create(slow_init(0.8), Timeout=3)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                           ProvisionedConcurrentExecutions=1)
    aws.advance(1)
    got = config(lam, name, version)
    assert (got["Status"], got["AllocatedProvisionedConcurrentExecutions"]) == ("READY", 1)
    _, payload, log = invoke(lam, name, Qualifier=version)
    assert payload == "ok"
    assert "Status: timeout" not in log and "Init Duration" not in log
    # the same init on demand is cut at the (shortened) on-demand limit: a suppressed init
    _, payload, log = invoke(lam, name)
    assert payload == "ok"
    assert "Phase: init\tStatus: timeout" in log


def test_provisioned_init_timing_out_fails_the_configuration(aws, lam, create, monkeypatch):
    """The provisioned init limit is max(130 s, function timeout) (the 130 s shortened here to
    0.2 s, so the 1 s timeout wins); an init that outlasts it fails the configuration: Status
    FAILED, StatusReason FUNCTION_ERROR_INIT_FAILURE (the reason AWS reports for init failures;
    that it also covers an init time-out is an emulator assumption), nothing allocated."""
    monkeypatch.setattr(provisioned, "PROVISIONED_INIT_LIMIT_S", 0.2)
    name = create(slow_init(4), Timeout=1)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                           ProvisionedConcurrentExecutions=1)
    t0 = time.monotonic()
    aws.advance(1)
    waited = time.monotonic() - t0
    assert 0.9 <= waited < 3.5  # cut at the function timeout, not at 0.2 s nor after the init
    got = config(lam, name, version)
    assert got["Status"] == "FAILED"
    assert got["StatusReason"] == "FUNCTION_ERROR_INIT_FAILURE"
    assert got["AllocatedProvisionedConcurrentExecutions"] == 0
    assert aws.platform().environments(name, version) == []


def test_provisioned_init_error_fails_the_configuration(aws, lam, create):
    """An exception during a provisioned environment's init: FAILED with
    FUNCTION_ERROR_INIT_FAILURE (CloudFormation shows "Provisioned Concurrency configuration
    failed to be applied. Reason: FUNCTION_ERROR_INIT_FAILURE")."""
    name = create("raise RuntimeError('no db')\ndef handler(event, context):\n    return 1\n")
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                           ProvisionedConcurrentExecutions=2)
    aws.advance(1)
    got = config(lam, name, version)
    assert (got["Status"], got["StatusReason"]) == ("FAILED", "FUNCTION_ERROR_INIT_FAILURE")
    assert got["AllocatedProvisionedConcurrentExecutions"] == 0


# ------------------------------------------------------------------ 2. replacement


@pytest.mark.parametrize("event, error_type", [({"exit": True}, "Runtime.ExitError"),
                                               ({"sleep": 5}, "Sandbox.Timedout")])
def test_a_crashed_provisioned_environment_is_replaced(aws, lam, create, event, error_type):
    """Provisioned concurrency "initializes a requested number of execution environments" and
    keeps them ready: an environment discarded after a crash (the process exits, or the
    timeout kills it) is replaced by a new provisioned one initialised in the background on the
    platform clock, so AllocatedProvisionedConcurrentExecutions returns to the requested count
    (the dip, and the replacement after the allocation delay, are emulator timing)."""
    name = create(CRASHY, Timeout=1)
    version = lam.publish_version(FunctionName=name)["Version"]
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                           ProvisionedConcurrentExecutions=2)
    aws.advance(1)
    before = provisioned_ids(aws, name, version)
    assert len(before) == 2
    resp, payload, _ = invoke(lam, name, event, Qualifier=version)
    assert resp["FunctionError"] == "Unhandled" and payload["errorType"] == error_type
    got = config(lam, name, version)
    assert (got["Status"], got["AllocatedProvisionedConcurrentExecutions"]) == ("READY", 1)
    assert len(provisioned_ids(aws, name, version)) == 1
    aws.advance(1)
    got = config(lam, name, version)
    assert (got["Status"], got["AllocatedProvisionedConcurrentExecutions"]) == ("READY", 2)
    after = provisioned_ids(aws, name, version)
    assert len(after) == 2 and len(after - before) == 1
    assert kinds(aws, name, version) == ["provisioned-concurrency"] * 2
    _, payload, log = invoke(lam, name, Qualifier=version)
    assert payload == version and "Init Duration" not in log


# ------------------------------------------------------------------ 3. aliases


def test_repointing_an_alias_moves_its_provisioned_concurrency(aws, lam, create):
    """DG: "If you change the version that an alias points to, Lambda deallocates the
    provisioned concurrency from the old version and allocates it to the new version": the
    configuration goes IN_PROGRESS (Allocated 0) and the old version's environments end; until
    the new ones are READY, invocations run on on-demand environments (cold starts)."""
    name = create(CRASHY)
    v1 = lam.publish_version(FunctionName=name)["Version"]
    v2 = publish(lam, name, CRASHY + "\n# v2\n")
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v1)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                           ProvisionedConcurrentExecutions=2)
    aws.advance(1)
    assert kinds(aws, name, v1) == ["provisioned-concurrency"] * 2
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion=v2)
    got = config(lam, name, "live")
    assert got["Status"] == "IN_PROGRESS"
    assert got["RequestedProvisionedConcurrentExecutions"] == 2
    assert got["AllocatedProvisionedConcurrentExecutions"] == 0
    assert aws.platform().environments(name, v1) == []
    resp, payload, log = invoke(lam, name, Qualifier="live")
    assert payload == v2 and resp["ExecutedVersion"] == v2 and "Init Duration" in log
    aws.advance(1)
    got = config(lam, name, "live")
    assert (got["Status"], got["AllocatedProvisionedConcurrentExecutions"]) == ("READY", 2)
    assert kinds(aws, name, v2) == ["on-demand"] + ["provisioned-concurrency"] * 2
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 998


def test_weighted_alias_splits_provisioned_concurrency_across_its_versions(aws, lam, create):
    """DG: routing may be added to an alias that has provisioned concurrency; API reference:
    Allocated "fluctuates depending on the amount of concurrency that is provisioned for the
    function versions" during canary deployments. Here the requested 4 are split by weight
    (0.5: 2 and 2; the rounding is emulator's) and Allocated is their sum; removing the
    routing moves everything back to one version."""
    name = create(CRASHY)
    v1 = lam.publish_version(FunctionName=name)["Version"]
    v2 = publish(lam, name, CRASHY + "\n# v2\n")
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v1)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                           ProvisionedConcurrentExecutions=4)
    aws.advance(1)
    lam.update_alias(FunctionName=name, Name="live",
                     RoutingConfig={"AdditionalVersionWeights": {v2: 0.5}})
    got = config(lam, name, "live")
    assert (got["Status"], got["AllocatedProvisionedConcurrentExecutions"]) == ("IN_PROGRESS", 2)
    assert kinds(aws, name, v1) == ["provisioned-concurrency"] * 2
    aws.advance(1)
    got = config(lam, name, "live")
    assert (got["Status"], got["AllocatedProvisionedConcurrentExecutions"]) == ("READY", 4)
    assert kinds(aws, name, v2) == ["provisioned-concurrency"] * 2
    # the canary is promoted: all traffic, and all provisioned concurrency, on version 2
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion=v2,
                     RoutingConfig={"AdditionalVersionWeights": {}})
    got = config(lam, name, "live")
    assert (got["Status"], got["AllocatedProvisionedConcurrentExecutions"]) == ("IN_PROGRESS", 2)
    assert aws.platform().environments(name, v1) == []
    aws.advance(1)
    got = config(lam, name, "live")
    assert (got["Status"], got["AllocatedProvisionedConcurrentExecutions"]) == ("READY", 4)
    assert kinds(aws, name, v2) == ["provisioned-concurrency"] * 4


def test_provisioned_concurrency_cannot_be_put_on_a_weighted_alias(aws, lam, create):
    """DG: "you can't manage provisioned concurrency settings on the alias while the routing
    configuration is in place" (the message is the one CloudFormation deployments report; the
    error code is the emulator's)."""
    name = create(CRASHY)
    v1 = lam.publish_version(FunctionName=name)["Version"]
    v2 = publish(lam, name, CRASHY + "\n# v2\n")
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v1,
                     RoutingConfig={"AdditionalVersionWeights": {v2: 0.1}})
    with pytest.raises(ClientError) as info:
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                               ProvisionedConcurrentExecutions=1)
    assert info.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "Invalid alias configuration for Provisioned Concurrency" in str(info.value)


def test_an_alias_cannot_move_onto_a_version_provisioned_elsewhere(aws, lam, create):
    """DG: "Each version of a function can only have one provisioned concurrency
    configuration ... Two aliases can't allocate provisioned concurrency for the same version":
    pointing a provisioned alias at a version that has its own configuration is a
    ResourceConflictException (emulator wording), and the alias stays where it was."""
    name = create(CRASHY)
    v1 = lam.publish_version(FunctionName=name)["Version"]
    v2 = publish(lam, name, CRASHY + "\n# v2\n")
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v1)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                           ProvisionedConcurrentExecutions=1)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=v2,
                                           ProvisionedConcurrentExecutions=1)
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.update_alias(FunctionName=name, Name="live", FunctionVersion=v2)
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.update_alias(FunctionName=name, Name="live",
                         RoutingConfig={"AdditionalVersionWeights": {v2: 0.2}})
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == v1
    aws.advance(1)
    assert config(lam, name, "live")["Status"] == "READY"
    assert kinds(aws, name, v1) == ["provisioned-concurrency"]


def test_deleting_an_alias_removes_its_provisioned_concurrency(aws, lam, create):
    """Provisioned concurrency configured on an alias belongs to the alias (DG "Configuring
    provisioned concurrency": a configuration is per version or alias): deleting the alias
    deletes its configuration, frees the reservation and ends its provisioned environments."""
    name = create(CRASHY)
    v1 = lam.publish_version(FunctionName=name)["Version"]
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=v1)
    lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="live",
                                           ProvisionedConcurrentExecutions=2)
    aws.advance(1)
    assert provisioned_ids(aws, name, v1)
    lam.delete_alias(FunctionName=name, Name="live")
    assert lam.list_provisioned_concurrency_configs(FunctionName=name)[
        "ProvisionedConcurrencyConfigs"] == []
    assert provisioned_ids(aws, name, v1) == set()
    assert lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"] == 1000
