"""Function states through boto3, opt-in with ``lambda_lab.mock_aws(function_states=True)``.

Lambda Developer Guide, "Lambda function states": after CreateFunction the function is
``Pending`` (StateReason "The function is being created.", StateReasonCode ``Creating``), then
``Active``; Invoke, UpdateFunctionCode, UpdateFunctionConfiguration and PublishVersion fail while
it is pending. An update sets ``LastUpdateStatus`` ``InProgress`` (the state stays ``Active``;
invocations go to the previous code and configuration), then ``Successful``; UpdateFunctionCode,
UpdateFunctionConfiguration and PublishVersion fail while it is in progress. API reference:
LastUpdateStatus "is first set to Successful after function creation completes"; ListFunctions
returns a subset of FunctionConfiguration without State, StateReason(Code), LastUpdateStatus(…).
The error messages are the ones AWS returns (DG troubleshooting "Lambda: Operation cannot be
performed ResourceConflictException" for Invoke; user reports for the others).

Most tests run on a VirtualClock: the Pending / InProgress phase (``state_delay_s``, 1 s by
default) ends only with ``aws.advance``.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import time

import boto3
import pytest
from aws_helpers import REGION, TRUST, create, invoke_json, lam, make_zip, role  # noqa: F401
from botocore.exceptions import ClientError
from conftest import wait_no_workers

import lambda_lab
from lambda_lab.clock import VirtualClock

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"
V1 = "def handler(event, context):\n    return 'v1'\n"
V2 = "def handler(event, context):\n    return 'v2'\n"
ENV = "def handler(event, context):\n    import os\n    return os.environ.get('COLOUR')\n"
CREATING = {"State": "Pending", "StateReason": "The function is being created.",
            "StateReasonCode": "Creating"}
UPDATING = {"State": "Active", "LastUpdateStatus": "InProgress",
            "LastUpdateStatusReason": "The function is being created.",
            "LastUpdateStatusReasonCode": "Creating"}
STATE_KEYS = ("State", "StateReason", "StateReasonCode", "LastUpdateStatus",
              "LastUpdateStatusReason", "LastUpdateStatusReasonCode")


def states(cfg: dict) -> dict:
    return {k: cfg[k] for k in STATE_KEYS if k in cfg}


def conflict(info: pytest.ExceptionInfo) -> tuple[str, int, str]:
    r = info.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


def pending_message(name: str) -> str:
    return (f"The operation cannot be performed at this time. The resource {ARN}{name} is "
            "currently in the following state: 'Pending'. StateReasonCode: 'Creating'")


def in_progress_message(name: str) -> str:
    return ("The operation cannot be performed at this time. An update is in progress for "
            f"resource: {ARN}{name}")


@pytest.fixture
def aws():
    """Function states on, platform time moved only by ``aws.advance``."""
    with lambda_lab.mock_aws(seed=7, clock=VirtualClock(), function_states=True) as session:
        yield session
    assert wait_no_workers() == set(), "stray worker processes after mock_aws() exited"


def active(aws, lam, create, source: str = V1, **params) -> str:
    name = create(source, **params)
    aws.advance(1)
    return name


# ------------------------------------------------------------------ creation: Pending -> Active

def test_create_function_is_pending_then_active_after_the_state_delay(aws, lam, role):
    """CreateFunction answers State Pending / Creating (no LastUpdateStatus yet); GetFunction
    shows Pending until the state delay has passed on the platform clock, then Active with
    LastUpdateStatus Successful and no reasons."""
    made = lam.create_function(FunctionName="f", Runtime="python3.12", Role=role,
                               Handler="lambda_function.handler", Code={"ZipFile": make_zip(V1)})
    assert states(made) == CREATING
    assert states(lam.get_function(FunctionName="f")["Configuration"]) == CREATING
    aws.advance(0.5)
    assert states(lam.get_function_configuration(FunctionName="f")) == CREATING
    aws.advance(0.5)
    assert states(lam.get_function(FunctionName="f")["Configuration"]) == {
        "State": "Active", "LastUpdateStatus": "Successful"}


def test_invoking_a_pending_function_is_a_resource_conflict(aws, lam, create):
    """DG troubleshooting: "ResourceConflictException: The operation cannot be performed at this
    time. The function is currently in the following state: Pending" (HTTP 409), for every
    invocation type; once Active the same call runs the handler."""
    name = create(V1)
    for kind in ("RequestResponse", "Event", "DryRun"):
        with pytest.raises(lam.exceptions.ResourceConflictException) as info:
            lam.invoke(FunctionName=name, InvocationType=kind, Payload=b"{}")
        assert conflict(info) == (
            "ResourceConflictException", 409, "The operation cannot be performed at this time. "
            "The function is currently in the following state: Pending")
    aws.advance(1)
    assert invoke_json(lam, name)[1] == "v1"


def test_updates_and_publish_fail_while_the_function_is_pending(aws, lam, create):
    """DG: UpdateFunctionCode, UpdateFunctionConfiguration and PublishVersion fail while function
    creation is pending; nothing changes."""
    name = create(V1)
    calls = [lambda: lam.update_function_code(FunctionName=name, ZipFile=make_zip(V2)),
             lambda: lam.update_function_configuration(FunctionName=name, Timeout=9),
             lambda: lam.publish_version(FunctionName=name)]
    for call in calls:
        with pytest.raises(ClientError) as info:
            call()
        assert conflict(info) == ("ResourceConflictException", 409, pending_message(name))
    aws.advance(1)
    cfg = lam.get_function_configuration(FunctionName=name)
    assert cfg["Timeout"] == 3
    assert lam.list_versions_by_function(FunctionName=name)["Versions"][-1]["Version"] == "$LATEST"
    assert invoke_json(lam, name)[1] == "v1"


def test_create_with_publish_makes_version_1_pending_too(aws, lam, create):
    """A version published by CreateFunction(Publish=True) is part of the pending function."""
    name = create(V1, Publish=True)
    assert states(lam.get_function_configuration(FunctionName=name, Qualifier="1")) == CREATING
    with pytest.raises(lam.exceptions.ResourceConflictException):
        lam.invoke(FunctionName=name, Qualifier="1")
    aws.advance(1)
    assert lam.get_function_configuration(FunctionName=name, Qualifier="1")["State"] == "Active"
    assert invoke_json(lam, name, Qualifier="1")[1] == "v1"


def test_the_state_delay_is_configurable():
    """``state_delay_s`` sets how long Pending and InProgress last, in platform time."""
    with pytest.raises(ValueError):
        lambda_lab.mock_aws(function_states=True, state_delay_s=-1)
    with lambda_lab.mock_aws(clock=VirtualClock(), function_states=True,
                             state_delay_s=5) as aws:
        iam = boto3.client("iam", region_name=REGION)
        arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        client = boto3.client("lambda", region_name=REGION)
        client.create_function(FunctionName="slow", Runtime="python3.12", Role=arn,
                               Handler="lambda_function.handler",
                               Code={"ZipFile": make_zip(V1)})
        aws.advance(4.9)
        assert client.get_function(FunctionName="slow")["Configuration"]["State"] == "Pending"
        aws.advance(0.1)
        assert client.get_function(FunctionName="slow")["Configuration"]["State"] == "Active"
        client.update_function_configuration(FunctionName="slow", Timeout=5)
        aws.advance(4.9)
        cfg = client.get_function_configuration(FunctionName="slow")
        assert cfg["LastUpdateStatus"] == "InProgress"
        aws.advance(0.1)
        assert client.get_function_configuration(FunctionName="slow")[
            "LastUpdateStatus"] == "Successful"


# ------------------------------------------------------------------ updates: InProgress

def test_an_update_is_in_progress_then_successful(aws, lam, create):
    """DG: an update sets LastUpdateStatus InProgress (State stays Active), with
    LastUpdateStatusReason / ReasonCode; it ends Successful, without reasons. The response
    already shows the new configuration."""
    name = active(aws, lam, create)
    updated = lam.update_function_configuration(FunctionName=name, Timeout=9)
    assert states(updated) == UPDATING and updated["Timeout"] == 9
    got = lam.get_function(FunctionName=name)["Configuration"]
    assert states(got) == UPDATING and got["Timeout"] == 9
    aws.advance(1)
    assert states(lam.get_function_configuration(FunctionName=name)) == {
        "State": "Active", "LastUpdateStatus": "Successful"}
    assert states(lam.update_function_code(FunctionName=name, ZipFile=make_zip(V2))) == UPDATING


def test_invocations_during_an_update_run_the_previous_code_and_configuration(
        aws, lam, create):
    """DG: "While a function update is in progress, invocations go to the function's previous
    code and configuration"; once Successful they run the new ones."""
    name = active(aws, lam, create, ENV, Environment={"Variables": {"COLOUR": "red"}})
    assert invoke_json(lam, name)[1] == "red"
    lam.update_function_configuration(FunctionName=name,
                                      Environment={"Variables": {"COLOUR": "blue"}})
    resp, body = invoke_json(lam, name)
    assert body == "red" and resp["ExecutedVersion"] == "$LATEST"
    aws.advance(1)
    assert invoke_json(lam, name)[1] == "blue"
    lam.update_function_code(FunctionName=name, ZipFile=make_zip(V2))
    assert invoke_json(lam, name)[1] == "blue"
    aws.advance(1)
    assert invoke_json(lam, name)[1] == "v2"


def test_a_second_update_or_publish_during_an_update_is_a_conflict(aws, lam, create):
    """DG: UpdateFunctionCode, UpdateFunctionConfiguration and PublishVersion fail while an
    update is in progress: "An update is in progress for resource: <function ARN>" (409)."""
    name = active(aws, lam, create)
    lam.update_function_code(FunctionName=name, ZipFile=make_zip(V2))
    calls = [lambda: lam.update_function_code(FunctionName=name, ZipFile=make_zip(V1)),
             lambda: lam.update_function_configuration(FunctionName=name, Timeout=9),
             lambda: lam.publish_version(FunctionName=name)]
    for call in calls:
        with pytest.raises(ClientError) as info:
            call()
        assert conflict(info) == ("ResourceConflictException", 409, in_progress_message(name))
    aws.advance(1)
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    assert invoke_json(lam, name, Qualifier="1")[1] == "v2"
    assert lam.get_function_configuration(FunctionName=name)["Timeout"] == 3


def test_published_versions_stay_active_during_an_update_of_latest(aws, lam, create):
    """Only $LATEST is updated: a published version reports Successful meanwhile."""
    name = active(aws, lam, create, Publish=True)
    lam.update_function_code(FunctionName=name, ZipFile=make_zip(V2))
    assert states(lam.get_function_configuration(FunctionName=name, Qualifier="1")) == {
        "State": "Active", "LastUpdateStatus": "Successful"}
    assert invoke_json(lam, name, Qualifier="1")[1] == "v1"


# ------------------------------------------------------------------ waiters, defaults, listing

def test_boto3_waiters_end_on_the_real_time_clock():
    """boto3's function_active_v2 / function_updated_v2 poll GetFunction once a second; on the
    real-time clock the default 1 s phase ends by the second poll."""
    with lambda_lab.mock_aws(function_states=True):
        iam = boto3.client("iam", region_name=REGION)
        arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        client = boto3.client("lambda", region_name=REGION)
        client.create_function(FunctionName="w", Runtime="python3.12", Role=arn,
                               Handler="lambda_function.handler",
                               Code={"ZipFile": make_zip(V1)})
        client.get_waiter("function_exists").wait(FunctionName="w")
        started = time.monotonic()
        client.get_waiter("function_active_v2").wait(FunctionName="w")
        assert time.monotonic() - started < 3
        assert invoke_json(client, "w")[1] == "v1"
        client.update_function_code(FunctionName="w", ZipFile=make_zip(V2))
        started = time.monotonic()
        client.get_waiter("function_updated_v2").wait(FunctionName="w")
        assert time.monotonic() - started < 3
        assert invoke_json(client, "w")[1] == "v2"
    assert wait_no_workers() == set()


def test_without_function_states_functions_are_always_active():
    """The default (``function_states=False``): Active / Successful at once, as before."""
    with lambda_lab.mock_aws(clock=VirtualClock()):
        iam = boto3.client("iam", region_name=REGION)
        arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        client = boto3.client("lambda", region_name=REGION)
        made = client.create_function(FunctionName="d", Runtime="python3.12", Role=arn,
                                      Handler="lambda_function.handler",
                                      Code={"ZipFile": make_zip(V1)})
        assert states(made) == {"State": "Active", "LastUpdateStatus": "Successful"}
        assert invoke_json(client, "d")[1] == "v1"
        updated = client.update_function_code(FunctionName="d", ZipFile=make_zip(V2))
        assert states(updated) == {"State": "Active", "LastUpdateStatus": "Successful"}
        client.update_function_configuration(FunctionName="d", Timeout=5)
        assert invoke_json(client, "d")[1] == "v2"
    assert wait_no_workers() == set()


def test_list_functions_leaves_the_state_fields_out(aws, lam, create):
    """API reference, ListFunctions: "returns a subset of the FunctionConfiguration fields. To
    get the additional fields (State, StateReasonCode, StateReason, LastUpdateStatus, …) for a
    function or version, use GetFunction"."""
    name = create(V1)
    (listed,) = lam.list_functions()["Functions"]
    assert listed["FunctionName"] == name
    assert not set(STATE_KEYS) & set(listed)
    assert lam.get_function(FunctionName=name)["Configuration"]["State"] == "Pending"
