"""Versions, aliases, Qualifier and weighted routing, as AWS does them (moto ignores Qualifier
and RoutingConfig on invoke).

lambda-facts A "Versions / aliases": immutable except $LATEST; an alias points to one version and
may route a weight to one more; routing with $LATEST is not allowed. Issue #3 section 1 quotes
the error messages.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import pytest
from aws_helpers import aws, create, invoke_json, lam, make_zip, role  # noqa: F401

ARN = "arn:aws:lambda:us-east-1:123456789012:function:"


def source(tag: str) -> str:
    return (f"def handler(event, context):\n    return {{'tag': {tag!r}, "
            f"'version': context.function_version, 'arn': context.invoked_function_arn}}\n")


def _two_versions(lam, create) -> str:
    name = create(source("one"))
    assert lam.publish_version(FunctionName=name)["Version"] == "1"
    lam.update_function_code(FunctionName=name, ZipFile=make_zip(source("two")))
    assert lam.publish_version(FunctionName=name)["Version"] == "2"
    return name


def test_published_versions_are_immutable_and_latest_is_mutable(lam, create):
    name = _two_versions(lam, create)
    assert invoke_json(lam, name, Qualifier="1")[1]["tag"] == "one"
    assert invoke_json(lam, name, Qualifier="2")[1]["tag"] == "two"
    lam.update_function_code(FunctionName=name, ZipFile=make_zip(source("three")))
    assert invoke_json(lam, name)[1]["tag"] == "three"
    assert invoke_json(lam, name, Qualifier="2")[1]["tag"] == "two"
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]]
    assert versions == ["$LATEST", "1", "2"]


@pytest.mark.parametrize("qualified", ["{name}:1", ARN + "{name}:1", "{name}:live"])
def test_a_published_version_cannot_be_updated(lam, create, qualified):
    """lambda-facts.md "Versions / aliases: immutable except $LATEST": UpdateFunctionCode and
    UpdateFunctionConfiguration on a qualified name fail with AWS's InvalidParameterValueException
    "Current operation does not support versions other than $LATEST. ..." and change nothing
    ($LATEST included)."""
    name = create(source("one"), Timeout=3)
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    ref = qualified.format(name=name)
    message = ("Current operation does not support versions other than $LATEST. Please set the "
               "version to $LATEST or do not set a version in your request.")
    for call in (lambda: lam.update_function_configuration(FunctionName=ref, Timeout=9),
                 lambda: lam.update_function_code(FunctionName=ref,
                                                  ZipFile=make_zip(source("two")))):
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
            call()
        assert e.value.response["Error"]["Message"] == message
    for q in ("$LATEST", "1"):
        got = lam.get_function_configuration(FunctionName=name, Qualifier=q)
        assert got["Timeout"] == 3
        assert invoke_json(lam, name, Qualifier=q)[1]["tag"] == "one"
    lam.update_function_configuration(FunctionName=f"{name}:$LATEST", Timeout=4)  # allowed
    assert lam.get_function_configuration(FunctionName=name)["Timeout"] == 4


def test_publishing_without_a_change_returns_the_last_version(lam, create):
    name = create(source("one"))
    first = lam.publish_version(FunctionName=name)
    again = lam.publish_version(FunctionName=name)
    assert first["Version"] == again["Version"] == "1"
    assert first["FunctionArn"] == f"{ARN}{name}:1"


def test_invoke_by_qualifier_qualified_arn_and_name_colon_version(lam, create):
    """ExecutedVersion and context.function_version are the version; the invoked ARN is the
    ARN as called (qualified when called qualified)."""
    name = _two_versions(lam, create)
    resp, body = invoke_json(lam, f"{ARN}{name}:1")
    assert resp["ExecutedVersion"] == "1"
    assert body == {"tag": "one", "version": "1", "arn": f"{ARN}{name}:1"}
    resp, body = invoke_json(lam, f"{name}:2")
    assert (resp["ExecutedVersion"], body["version"]) == ("2", "2")
    resp, body = invoke_json(lam, name)
    assert (resp["ExecutedVersion"], body["arn"]) == ("$LATEST", f"{ARN}{name}")


def test_alias_invocation_runs_its_version_with_the_alias_arn(lam, create):
    name = _two_versions(lam, create)
    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert alias["AliasArn"] == f"{ARN}{name}:live"
    resp, body = invoke_json(lam, name, Qualifier="live")
    assert resp["ExecutedVersion"] == "1"
    assert body == {"tag": "one", "version": "1", "arn": f"{ARN}{name}:live"}
    lam.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
    assert invoke_json(lam, f"{name}:live")[0]["ExecutedVersion"] == "2"
    assert lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"] == "2"
    assert [a["Name"] for a in lam.list_aliases(FunctionName=name)["Aliases"]] == ["live"]
    lam.delete_alias(FunctionName=name, Name="live")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_alias(FunctionName=name, Name="live")


def test_weighted_routing_is_honoured(aws, lam, create):
    """RoutingConfig 0.3 to version 2: 200 invokes send ~60 to it (seeded, 40-80 accepted)."""
    name = _two_versions(lam, create)
    lam.create_alias(FunctionName=name, Name="canary", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}})
    aws.seed(42)
    executed = [lam.invoke(FunctionName=name, Qualifier="canary")["ExecutedVersion"]
                for _ in range(200)]
    assert set(executed) == {"1", "2"}
    assert 40 <= executed.count("2") <= 80


@pytest.mark.parametrize("version, weights, message", [
    ("1", {"2": 0.2, "3": 0.2},
     "Number of items in AdditionalVersionWeights cannot be greater than 1"),
    ("$LATEST", {"1": 0.5},
     "$LATEST is not supported for an alias pointing to more than 1 version"),
    ("1", {"1": 0.5},
     "Invalid function version 1. Function version 1 is already included in routing "
     "configuration."),
])
def test_alias_routing_errors(lam, create, version, weights, message):
    name = _two_versions(lam, create)
    lam.publish_version(FunctionName=name)
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as e:
        lam.create_alias(FunctionName=name, Name="a", FunctionVersion=version,
                         RoutingConfig={"AdditionalVersionWeights": weights})
    assert e.value.response["Error"]["Message"] == message


def test_each_version_has_its_own_environments(aws, lam, create):
    name = _two_versions(lam, create)
    invoke_json(lam, name, Qualifier="1")
    invoke_json(lam, name, Qualifier="2")
    platform = aws.platform()
    one, two = platform.environments(name, "1"), platform.environments(name, "2")
    assert len(one) == len(two) == 1 and one[0].id != two[0].id


def test_get_function_and_delete_with_qualifier(lam, create):
    """GetFunction answers for a version or an alias; DeleteFunction with Qualifier deletes only
    that version."""
    name = _two_versions(lam, create)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    one = lam.get_function(FunctionName=name, Qualifier="1")["Configuration"]
    assert (one["Version"], one["FunctionArn"]) == ("1", f"{ARN}{name}:1")
    live = lam.get_function(FunctionName=name, Qualifier="live")["Configuration"]
    assert (live["Version"], live["FunctionArn"]) == ("1", f"{ARN}{name}:live")
    latest = lam.get_function_configuration(FunctionName=name)
    assert (latest["Version"], latest["FunctionArn"]) == ("$LATEST", f"{ARN}{name}")
    lam.delete_function(FunctionName=name, Qualifier="2")
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=name, Qualifier="2")
    assert invoke_json(lam, name, Qualifier="live")[1]["tag"] == "one"
