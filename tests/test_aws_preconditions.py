"""RevisionId (and CodeSha256) preconditions of the Lambda control plane, through boto3.

Lambda API reference: UpdateFunctionCode / UpdateFunctionConfiguration "Update the function only
if the revision ID matches the ID that's specified"; PublishVersion "Only update the function if
the revision ID matches" and "Only publish a version if the hash value [CodeSha256] matches";
UpdateAlias "Only update the alias if the revision ID matches"; AddPermission / RemovePermission
"Update the policy only if the revision ID matches". A mismatch is PreconditionFailedException,
HTTP 412 ("The RevisionId provided does not match the latest RevisionId for the Lambda function
or alias"); the message text is the one AWS returns as recorded by AWS-validated emulators
(unconfirmed in AWS's own pages). A CodeSha256 mismatch is InvalidParameterValueException with
"CodeSHA256 (...) is different from current CodeSHA256 in $LATEST (...)" (a live AWS error quoted
in a public issue). DeleteAlias takes no RevisionId (botocore's model).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import pytest
from aws_helpers import aws, create, lam, make_zip, role  # noqa: F401
from botocore.exceptions import ClientError, ParamValidationError

OK = "def handler(event, context):\n    return event\n"
STALE = ("The Revision Id provided does not match the latest Revision Id. Call the "
         "GetFunction/GetAlias API to retrieve the latest Revision Id")


def rejected(call, *args, **kwargs) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    r = info.value.response
    return r["Error"]["Code"], r["Error"]["Message"], r["ResponseMetadata"]["HTTPStatusCode"]


def revision(lam, name: str, qualifier: str | None = None) -> str:
    params = {"Qualifier": qualifier} if qualifier else {}
    return lam.get_function(FunctionName=name, **params)["Configuration"]["RevisionId"]


def test_update_code_and_configuration_need_the_latest_revision(lam, create):
    name = create(OK)
    old = revision(lam, name)
    changed = lam.update_function_configuration(FunctionName=name, Description="x",
                                                RevisionId=old)
    new = changed["RevisionId"]
    assert new != old and revision(lam, name) == new
    assert rejected(lam.update_function_code, FunctionName=name, ZipFile=make_zip(OK),
                    RevisionId=old) == ("PreconditionFailedException", STALE, 412)
    assert rejected(lam.update_function_configuration, FunctionName=name, Timeout=9,
                    RevisionId=old) == ("PreconditionFailedException", STALE, 412)
    cfg = lam.get_function_configuration(FunctionName=name)
    assert (cfg["Timeout"], cfg["RevisionId"]) == (3, new)  # nothing changed
    code = lam.update_function_code(FunctionName=name, ZipFile=make_zip(OK + "# 2\n"),
                                    RevisionId=new)
    assert code["RevisionId"] not in (old, new)


def test_publish_version_checks_revision_and_code_sha256(lam, create):
    name = create(OK)
    cfg = lam.get_function_configuration(FunctionName=name)
    assert rejected(lam.publish_version, FunctionName=name, RevisionId="stale")[0::2] == (
        "PreconditionFailedException", 412)
    wrong = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="
    assert rejected(lam.publish_version, FunctionName=name, CodeSha256=wrong) == (
        "InvalidParameterValueException",
        f"CodeSHA256 ({wrong}) is different from current CodeSHA256 in $LATEST "
        f"({cfg['CodeSha256']}). Please try again with the CodeSHA256 in $LATEST.", 400)
    assert lam.list_versions_by_function(FunctionName=name)["Versions"][-1]["Version"] == \
        "$LATEST"  # nothing was published
    v1 = lam.publish_version(FunctionName=name, RevisionId=cfg["RevisionId"],
                             CodeSha256=cfg["CodeSha256"])
    assert v1["Version"] == "1" and v1["RevisionId"]
    # publishing changes $LATEST: its old revision is stale now
    assert revision(lam, name) != cfg["RevisionId"]
    assert rejected(lam.update_function_configuration, FunctionName=name, Description="y",
                    RevisionId=cfg["RevisionId"])[0] == "PreconditionFailedException"


def test_update_alias_needs_the_alias_revision(lam, create):
    name = create(OK, Publish=True)
    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    assert rejected(lam.update_alias, FunctionName=name, Name="live", Description="d",
                    RevisionId=revision(lam, name)) == ("PreconditionFailedException", STALE, 412)
    updated = lam.update_alias(FunctionName=name, Name="live", Description="d",
                               RevisionId=alias["RevisionId"])
    assert updated["RevisionId"] != alias["RevisionId"]
    assert lam.get_alias(FunctionName=name, Name="live")["RevisionId"] == updated["RevisionId"]
    assert rejected(lam.update_alias, FunctionName=name, Name="live", Description="e",
                    RevisionId=alias["RevisionId"])[0] == "PreconditionFailedException"
    with pytest.raises(ParamValidationError):  # DeleteAlias has no RevisionId member
        lam.delete_alias(FunctionName=name, Name="live", RevisionId=updated["RevisionId"])


def test_permissions_change_the_function_revision_and_check_it(lam, create):
    """The policy's RevisionId is its function's (or alias's): GetPolicy returns it, and adding
    or removing a statement changes it."""
    name = create(OK)
    old = revision(lam, name)
    params = {"FunctionName": name, "Principal": "s3.amazonaws.com",
              "Action": "lambda:InvokeFunction"}
    assert rejected(lam.add_permission, StatementId="a", RevisionId="stale", **params)[0::2] \
        == ("PreconditionFailedException", 412)
    lam.add_permission(StatementId="a", RevisionId=old, **params)
    after_add = revision(lam, name)
    assert after_add != old
    assert lam.get_policy(FunctionName=name)["RevisionId"] == after_add
    assert rejected(lam.add_permission, StatementId="b", RevisionId=old, **params)[0] == \
        "PreconditionFailedException"
    assert rejected(lam.remove_permission, FunctionName=name, StatementId="a",
                    RevisionId=old)[0::2] == ("PreconditionFailedException", 412)
    lam.remove_permission(FunctionName=name, StatementId="a", RevisionId=after_add)
    assert revision(lam, name) not in (old, after_add)


def test_alias_permission_changes_the_alias_revision(lam, create):
    name = create(OK, Publish=True)
    alias = lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    latest = revision(lam, name)
    lam.add_permission(FunctionName=name, Qualifier="live", StatementId="a",
                       Principal="s3.amazonaws.com", Action="lambda:InvokeFunction",
                       RevisionId=alias["RevisionId"])
    now = lam.get_alias(FunctionName=name, Name="live")["RevisionId"]
    assert now != alias["RevisionId"] and revision(lam, name) == latest
    assert lam.get_policy(FunctionName=name, Qualifier="live")["RevisionId"] == now


def test_every_change_gives_a_new_revision(lam, create):
    """RevisionId: "The latest updated revision of the function or alias" -- each change of the
    function makes a new one; reading does not."""
    name = create(OK)
    seen = [revision(lam, name)]
    assert revision(lam, name) == seen[0]
    lam.update_function_configuration(FunctionName=name, MemorySize=256)
    seen.append(revision(lam, name))
    lam.update_function_code(FunctionName=name, ZipFile=make_zip(OK + "# b\n"))
    seen.append(revision(lam, name))
    lam.publish_version(FunctionName=name)
    seen.append(revision(lam, name))
    lam.add_permission(FunctionName=name, StatementId="s", Principal="s3.amazonaws.com",
                       Action="lambda:InvokeFunction")
    seen.append(revision(lam, name))
    lam.remove_permission(FunctionName=name, StatementId="s")
    seen.append(revision(lam, name))
    assert len(set(seen)) == len(seen)
