"""Marker / MaxItems paging of ListFunctionEventInvokeConfigs and ListProvisionedConcurrencyConfigs.

Lambda API reference (botocore's Lambda model): both take ``Marker`` ("the pagination token
that's returned by a previous request") and ``MaxItems`` with a range of 1-50
(MaxFunctionEventInvokeConfigListItems, MaxProvisionedConcurrencyConfigListItems), and return
``NextMarker`` ("the pagination token that's included if more results are available"); boto3's
paginators for both use Marker / MaxItems / NextMarker.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import pytest
from aws_helpers import create, lam, role, session  # noqa: F401
from botocore.exceptions import ClientError

OK = "def handler(event, context):\n    return event\n"


@pytest.fixture
def aws():
    """Virtual clock: provisioned concurrency is never allocated (no environments start)."""
    yield from session(virtual_clock=True)


def publish(lam, name: str, count: int) -> list[str]:
    """Publish ``count`` versions of ``name`` (each with its own description)."""
    numbers = []
    for i in range(count):
        lam.update_function_configuration(FunctionName=name, Description=f"d{i}")
        numbers.append(lam.publish_version(FunctionName=name)["Version"])
    return numbers


def walk(lam, operation: str, key: str, page_size: int, **params) -> list[list]:
    pages = lam.get_paginator(operation).paginate(
        PaginationConfig={"PageSize": page_size}, **params)
    return [page[key] for page in pages]


def error(info: pytest.ExceptionInfo) -> tuple[str, str]:
    r = info.value.response
    return r["Error"]["Code"], r["Error"]["Message"]


# ------------------------------------------------------------------ event invoke configs

def test_event_invoke_configs_page_with_marker_and_the_paginator(lam, create):
    """MaxItems limits a response and NextMarker resumes after it; the paginator walks every
    page without repeating or skipping a configuration."""
    name = create(OK)
    qualifiers = ["$LATEST", *publish(lam, name, 4)]
    for q in qualifiers:
        lam.put_function_event_invoke_config(FunctionName=name, Qualifier=q,
                                             MaximumRetryAttempts=1)
    everything = lam.list_function_event_invoke_configs(FunctionName=name)
    arns = [c["FunctionArn"] for c in everything["FunctionEventInvokeConfigs"]]
    assert [a.rsplit(":", 1)[1] for a in arns] == qualifiers  # $LATEST, then 1-4
    assert "NextMarker" not in everything
    first = lam.list_function_event_invoke_configs(FunctionName=name, MaxItems=2)
    assert [c["FunctionArn"] for c in first["FunctionEventInvokeConfigs"]] == arns[:2]
    rest = lam.list_function_event_invoke_configs(FunctionName=name, MaxItems=2,
                                                  Marker=first["NextMarker"])
    assert [c["FunctionArn"] for c in rest["FunctionEventInvokeConfigs"]] == arns[2:4]
    pages = walk(lam, "list_function_event_invoke_configs", "FunctionEventInvokeConfigs", 2,
                 FunctionName=name)
    assert [len(p) for p in pages] == [2, 2, 1]
    assert [c["FunctionArn"] for p in pages for c in p] == arns


def test_event_invoke_configs_return_at_most_50_and_refuse_max_items_over_50(lam, create):
    """MaxItems is 1-50: 51 is a ValidationException; without MaxItems a response holds at
    most 50 configurations and NextMarker leads to the rest."""
    name = create(OK)
    qualifiers = ["$LATEST", *publish(lam, name, 50)]
    for q in qualifiers:
        lam.put_function_event_invoke_config(FunctionName=name, Qualifier=q,
                                             MaximumEventAgeInSeconds=60)
    with pytest.raises(ClientError) as info:
        lam.list_function_event_invoke_configs(FunctionName=name, MaxItems=51)
    assert error(info) == ("ValidationException", "1 validation error detected: Value '51' at "
                           "'maxItems' failed to satisfy constraint: Member must have value "
                           "less than or equal to 50")
    first = lam.list_function_event_invoke_configs(FunctionName=name)
    assert len(first["FunctionEventInvokeConfigs"]) == 50 and first["NextMarker"]
    rest = lam.list_function_event_invoke_configs(FunctionName=name,
                                                  Marker=first["NextMarker"])
    assert len(rest["FunctionEventInvokeConfigs"]) == 1 and "NextMarker" not in rest
    listed = {c["FunctionArn"].rsplit(":", 1)[1] for c in
              first["FunctionEventInvokeConfigs"] + rest["FunctionEventInvokeConfigs"]}
    assert listed == set(qualifiers)


def test_a_marker_from_another_listing_is_refused(lam, create):
    """A marker only pages the listing that issued it (InvalidParameterValueException)."""
    name = create(OK)
    for q in ["$LATEST", *publish(lam, name, 2)]:
        lam.put_function_event_invoke_config(FunctionName=name, Qualifier=q,
                                             MaximumRetryAttempts=0)
    marker = lam.list_function_event_invoke_configs(FunctionName=name,
                                                    MaxItems=1)["NextMarker"]
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.list_provisioned_concurrency_configs(FunctionName=name, Marker=marker)
    with pytest.raises(lam.exceptions.InvalidParameterValueException):
        lam.list_function_event_invoke_configs(FunctionName=name, Marker="not-a-marker")


# ------------------------------------------------------------------ provisioned concurrency

def test_provisioned_concurrency_configs_page_with_marker_and_the_paginator(lam, create):
    """ListProvisionedConcurrencyConfigs pages like the other list calls."""
    name = create(OK)
    versions = publish(lam, name, 3)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion=versions[0])
    lam.create_alias(FunctionName=name, Name="next", FunctionVersion=versions[2])
    for q in ("live", "2", "next"):
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=q,
                                               ProvisionedConcurrentExecutions=1)
    everything = lam.list_provisioned_concurrency_configs(FunctionName=name)
    arns = [c["FunctionArn"] for c in everything["ProvisionedConcurrencyConfigs"]]
    assert [a.rsplit(":", 1)[1] for a in arns] == ["2", "live", "next"]  # versions, aliases
    assert "NextMarker" not in everything
    first = lam.list_provisioned_concurrency_configs(FunctionName=name, MaxItems=1)
    assert [c["FunctionArn"] for c in first["ProvisionedConcurrencyConfigs"]] == arns[:1]
    assert first["NextMarker"]
    pages = walk(lam, "list_provisioned_concurrency_configs", "ProvisionedConcurrencyConfigs",
                 2, FunctionName=name)
    assert [len(p) for p in pages] == [2, 1]
    assert [c["FunctionArn"] for p in pages for c in p] == arns


def test_provisioned_concurrency_configs_return_at_most_50(lam, create):
    """MaxItems is 1-50 (51 is a ValidationException); a response holds at most 50."""
    name = create(OK)
    versions = publish(lam, name, 51)
    for v in versions:
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=v,
                                               ProvisionedConcurrentExecutions=1)
    with pytest.raises(ClientError) as info:
        lam.list_provisioned_concurrency_configs(FunctionName=name, MaxItems=51)
    assert error(info)[0] == "ValidationException"
    first = lam.list_provisioned_concurrency_configs(FunctionName=name, MaxItems=50)
    assert len(first["ProvisionedConcurrencyConfigs"]) == 50 and first["NextMarker"]
    pages = walk(lam, "list_provisioned_concurrency_configs", "ProvisionedConcurrencyConfigs",
                 50, FunctionName=name)
    assert [len(p) for p in pages] == [50, 1]
    listed = [c["FunctionArn"].rsplit(":", 1)[1] for p in pages for c in p]
    assert listed == versions  # by version number: 1, 2, ... 10, ... 51
