"""Control-plane answers as AWS records them: response members, RevisionId changes, tags and
code signing configs.

Sources: the Lambda API reference (FunctionConfiguration.RuntimeVersionConfig, EnvironmentResponse,
PublishLayerVersion's response, TagResource / UntagResource / ListTags, the CodeSigningConfig
operations) and AWS's recorded answers in LocalStack's AWS-validated Lambda API snapshots
(github.com/localstack/localstack, tests/aws/services/lambda_/test_lambda_api.snapshot.json),
which give the exact error wording and when RevisionId changes: a new one when a function goes
Pending -> Active and when an update ends (``test_function_lifecycle``:
create, active, update, updated each carry a different RevisionId).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import re

import boto3
import pytest
from aws_helpers import REGION, TRUST, aws, create, lam, make_zip, role  # noqa: F401
from botocore.exceptions import ClientError
from conftest import wait_no_workers

import lambda_lab
from lambda_lab.clock import VirtualClock

SRC = "def handler(event, context):\n    return 1\n"
ACCOUNT = "123456789012"


def error(info: pytest.ExceptionInfo) -> tuple[str, int, str]:
    r = info.value.response
    return r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"], r["Error"]["Message"]


# ------------------------------------------------------------------ response members

def test_runtime_version_config_on_every_configuration_but_listed(lam, create):
    """FunctionConfiguration.RuntimeVersionConfig.RuntimeVersionArn (API reference), e.g.
    ``arn:aws:lambda:us-east-1::runtime:<64 hex>``; ListFunctions leaves it out (recorded)."""
    name = create(SRC)
    arn = lam.get_function_configuration(FunctionName=name)["RuntimeVersionConfig"][
        "RuntimeVersionArn"]
    assert re.fullmatch(r"arn:aws:lambda:us-east-1::runtime:[0-9a-f]{64}", arn)
    assert lam.get_function(FunctionName=name)["Configuration"]["RuntimeVersionConfig"] == {
        "RuntimeVersionArn": arn}
    assert "RuntimeVersionConfig" not in lam.list_functions()["Functions"][0]
    other = lam.update_function_configuration(FunctionName=name, Runtime="python3.11")
    assert other["RuntimeVersionConfig"]["RuntimeVersionArn"] != arn


def test_empty_environment_is_answered_when_sent(lam, create):
    """``Environment: {Variables: {}}`` sent: AWS answers it back (recorded create responses);
    not sent: no Environment member."""
    sent = create(SRC, Environment={"Variables": {}})
    assert lam.get_function_configuration(FunctionName=sent)["Environment"] == {"Variables": {}}
    unsent = create(SRC)
    assert "Environment" not in lam.get_function_configuration(FunctionName=unsent)
    updated = lam.update_function_configuration(FunctionName=unsent,
                                                Environment={"Variables": {}})
    assert updated["Environment"] == {"Variables": {}}


def test_layer_version_answers_empty_description_and_empty_lists(lam):
    """PublishLayerVersion answers ``Description: ""`` when none was given, and empty
    CompatibleRuntimes / CompatibleArchitectures when they were sent empty (recorded)."""
    plain = lam.publish_layer_version(LayerName="plain", Content={"ZipFile": make_zip(SRC)})
    assert plain["Description"] == ""
    assert "CompatibleRuntimes" not in plain and "CompatibleArchitectures" not in plain
    empty = lam.publish_layer_version(LayerName="empty", Content={"ZipFile": make_zip(SRC)},
                                      CompatibleRuntimes=[], CompatibleArchitectures=[])
    assert (empty["CompatibleRuntimes"], empty["CompatibleArchitectures"]) == ([], [])
    got = lam.get_layer_version(LayerName="plain", VersionNumber=1)
    assert got["Description"] == ""


# ------------------------------------------------------------------ RevisionId

@pytest.fixture
def states_aws():
    with lambda_lab.mock_aws(seed=7, clock=VirtualClock(), function_states=True) as session:
        yield session
    assert wait_no_workers() == set(), "stray worker processes after mock_aws() exited"


def test_revision_id_changes_when_active_and_when_an_update_ends(states_aws):
    """Recorded test_function_lifecycle: create (Pending), Active, update (InProgress),
    Successful: four different RevisionIds; a published-on-create version gets its own new one
    too (recorded test_publish_version_on_create)."""
    client = boto3.client("lambda", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    role_arn = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    made = client.create_function(FunctionName="f", Runtime="python3.12", Role=role_arn,
                                  Handler="lambda_function.handler", Publish=True,
                                  Code={"ZipFile": make_zip(SRC)})
    pending_latest = client.get_function(FunctionName="f")["Configuration"]["RevisionId"]
    states_aws.advance(1)
    active = client.get_function(FunctionName="f")["Configuration"]
    assert active["State"] == "Active"
    assert len({made["RevisionId"], pending_latest, active["RevisionId"]}) == 3
    v1 = client.get_function(FunctionName="f", Qualifier="1")["Configuration"]["RevisionId"]
    assert v1 != made["RevisionId"]
    updating = client.update_function_configuration(FunctionName="f", MemorySize=256)
    assert updating["RevisionId"] != active["RevisionId"]
    states_aws.advance(1)
    done = client.get_function(FunctionName="f")["Configuration"]
    assert done["LastUpdateStatus"] == "Successful"
    assert done["RevisionId"] != updating["RevisionId"]


# ------------------------------------------------------------------ tags

def test_tag_lifecycle_on_a_function(lam, create):
    """Tags on CreateFunction, then TagResource (overwrites), UntagResource (keys that are not
    there are fine: 204), ListTags; GetFunction shows them."""
    name = create(SRC, Tags={"a": "1"})
    arn = lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]
    assert lam.list_tags(Resource=arn)["Tags"] == {"a": "1"}
    lam.tag_resource(Resource=arn, Tags={"b": "2", "a": "x"})
    assert lam.get_function(FunctionName=name)["Tags"] == {"a": "x", "b": "2"}
    status = lam.untag_resource(Resource=arn, TagKeys=["a", "zz"])
    assert status["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert lam.list_tags(Resource=arn)["Tags"] == {"b": "2"}


def test_tag_errors_as_aws_answers_them(lam, create):
    """Recorded: a version/alias ARN, a missing function, a missing mapping, an empty Tags
    map, more than 50 tags, and an ARN that is no Lambda resource."""
    name = create(SRC)
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    with pytest.raises(ClientError) as e:
        lam.tag_resource(Resource=f"{arn}:$LATEST", Tags={"a": "b"})
    assert error(e) == ("InvalidParameterValueException", 400, "Tags on function aliases and "
                        "versions are not supported. Please specify a function ARN.")
    with pytest.raises(ClientError) as e:
        lam.list_tags(Resource=f"{arn}nope")
    assert error(e) == ("ResourceNotFoundException", 404, f"Function not found: {arn}nope")
    esm = f"arn:aws:lambda:us-east-1:{ACCOUNT}:event-source-mapping:" \
          "00000000-0000-0000-0000-000000000000"
    with pytest.raises(ClientError) as e:
        lam.untag_resource(Resource=esm, TagKeys=["a"])
    assert error(e) == ("ResourceNotFoundException", 404, f"Event source mapping not found: {esm}")
    with pytest.raises(ClientError) as e:
        lam.tag_resource(Resource=arn, Tags={})
    assert error(e) == ("InvalidParameterValueException", 400,
                        "An error occurred and the request cannot be processed.")
    lam.tag_resource(Resource=arn, Tags={f"k{i}": "v" for i in range(50)})
    with pytest.raises(ClientError) as e:
        lam.tag_resource(Resource=arn, Tags={"one": "more"})
    assert error(e) == ("InvalidParameterValueException", 400,
                        "Number of tags exceeds resource tag limit.")
    with pytest.raises(ClientError) as e:
        lam.list_tags(Resource=f"arn:aws:lambda:us-east-1:{ACCOUNT}:foobar:x")
    code, status, message = error(e)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith("1 validation error detected: Value 'arn:aws:lambda:us-east-1:"
                              f"{ACCOUNT}:foobar:x' at 'resource' failed to satisfy constraint")


def test_too_many_tags_on_create_is_refused(lam, create):
    with pytest.raises(ClientError) as e:
        create(SRC, Tags={f"k{i}": "v" for i in range(51)})
    assert error(e)[:2] == ("InvalidParameterValueException", 400)
    assert lam.list_functions()["Functions"] == []


# ------------------------------------------------------------------ code signing configs

def test_code_signing_config_lifecycle(lam, create):
    """Create / Update / Get / Put on a function / List / Delete (API reference; recorded
    shapes: CodeSigningConfigId ``csc-`` and 17 characters, statuses 201/200/204)."""
    name = create(SRC)
    made = lam.create_code_signing_config(
        Description="d", AllowedPublishers={"SigningProfileVersionArns": [
            f"arn:aws:signer:us-east-1:{ACCOUNT}:/signing-profiles/p"]},
        CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Enforce"})
    csc = made["CodeSigningConfig"]
    assert made["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert re.fullmatch(r"csc-[a-z0-9]{17}", csc["CodeSigningConfigId"])
    arn = csc["CodeSigningConfigArn"]
    assert arn == f"arn:aws:lambda:us-east-1:{ACCOUNT}:code-signing-config:" \
                  f"{csc['CodeSigningConfigId']}"
    lam.update_code_signing_config(CodeSigningConfigArn=arn,
                                   CodeSigningPolicies={"UntrustedArtifactOnDeployment": "Warn"})
    got = lam.get_code_signing_config(CodeSigningConfigArn=arn)["CodeSigningConfig"]
    assert got["CodeSigningPolicies"] == {"UntrustedArtifactOnDeployment": "Warn"}
    assert lam.get_function_code_signing_config(FunctionName=name).keys() == {
        "ResponseMetadata"}
    put = lam.put_function_code_signing_config(CodeSigningConfigArn=arn, FunctionName=name)
    assert (put["CodeSigningConfigArn"], put["FunctionName"]) == (arn, name)
    assert lam.list_functions_by_code_signing_config(CodeSigningConfigArn=arn)[
        "FunctionArns"] == [f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"]
    assert [c["CodeSigningConfigArn"] for c in lam.list_code_signing_configs()[
        "CodeSigningConfigs"]] == [arn]
    lam.delete_function_code_signing_config(FunctionName=name)
    assert lam.delete_code_signing_config(CodeSigningConfigArn=arn)[
        "ResponseMetadata"]["HTTPStatusCode"] == 204


def test_code_signing_config_errors(lam, create):
    """Recorded wording: a missing config (ResourceNotFoundException, no Type in the body),
    PutFunctionCodeSigningConfig with a missing config (CodeSigningConfigNotFoundException)."""
    name = create(SRC)
    missing = f"arn:aws:lambda:us-east-1:{ACCOUNT}:code-signing-config:csc-0000000000000000x"
    with pytest.raises(ClientError) as e:
        lam.get_code_signing_config(CodeSigningConfigArn=missing)
    assert error(e) == ("ResourceNotFoundException", 404,
                        f"The Lambda code signing configuration {missing} can not be found.")
    assert "Type" not in e.value.response
    with pytest.raises(ClientError) as e:
        lam.put_function_code_signing_config(CodeSigningConfigArn=missing, FunctionName=name)
    assert error(e) == ("CodeSigningConfigNotFoundException", 404,
                        "The code signing configuration cannot be found. Check that the "
                        f"provided configuration is not deleted: {missing}.")


# ------------------------------------------------------------------ validations

@pytest.mark.parametrize("call", ["get_function", "get_function_configuration",
                                  "delete_function", "invoke"])
def test_function_arn_of_another_region_is_not_reachable(lam, create, call):
    """Recorded: ResourceNotFoundException "Functions from 'eu-central-1' are not reachable in
    this region ('us-east-1')" for every operation on a function ARN of another Region."""
    name = create(SRC)
    with pytest.raises(ClientError) as e:
        getattr(lam, call)(FunctionName=f"arn:aws:lambda:eu-central-1:{ACCOUNT}:function:{name}")
    assert error(e) == ("ResourceNotFoundException", 404, "Functions from 'eu-central-1' are "
                        "not reachable in this region ('us-east-1')")
    assert e.value.response["Type"] == "User"


def test_architectures_checked_as_aws_does(lam, create):
    """Recorded create_lambda_exceptions: two architectures, or one in capitals."""
    with pytest.raises(ClientError) as e:
        create(SRC, Architectures=["x86_64", "arm64"])
    assert error(e) == ("ValidationException", 400, "1 validation error detected: Value "
                        "'[x86_64, arm64]' at 'architectures' failed to satisfy constraint: "
                        "Member must have length less than or equal to 1")
    with pytest.raises(ClientError) as e:
        create(SRC, Architectures=["X86_64"])
    assert error(e)[:2] == ("ValidationException", 400)
    assert "Value '[X86_64]' at 'architectures'" in error(e)[2]


def test_list_functions_refuses_an_unknown_function_version(lam):
    """Recorded: FunctionVersion must be ALL."""
    with pytest.raises(ClientError) as e:
        lam.list_functions(FunctionVersion="invalid")
    assert error(e) == ("ValidationException", 400, "1 validation error detected: Value "
                        "'invalid' at 'functionVersion' failed to satisfy constraint: Member "
                        "must satisfy enum value set: [ALL]")


def test_total_code_size_counts_layers(lam):
    """API AccountUsage.TotalCodeSize: "The amount of storage space, in bytes, that's being
    used by deployment packages and layer archives"."""
    before = lam.get_account_settings()["AccountUsage"]["TotalCodeSize"]
    layer = lam.publish_layer_version(LayerName="l", Content={"ZipFile": make_zip(SRC)})
    after = lam.get_account_settings()["AccountUsage"]["TotalCodeSize"]
    assert after - before == layer["Content"]["CodeSize"]


def test_delete_function_qualifier_answers(lam, create):
    """Recorded: DeleteFunction of a version that does not exist is a no-op (204);
    ``$LATEST`` is refused before the function is even looked up; a missing function is named
    by its unqualified ARN even when a qualifier was given."""
    name = create(SRC)
    assert lam.delete_function(FunctionName=name, Qualifier="1233")[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName="nothing-here", Qualifier="$LATEST")
    assert error(e) == ("InvalidParameterValueException", 400,
                        "$LATEST version cannot be deleted without deleting the function.")
    lam.delete_function(FunctionName=name)
    with pytest.raises(ClientError) as e:
        lam.delete_function(FunctionName=name, Qualifier="1233")
    assert error(e) == ("ResourceNotFoundException", 404,
                        f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}")


def test_not_found_answers_of_event_invoke_and_url_configs(lam, create):
    """Recorded: GetFunctionEventInvokeConfig names the qualified ARN even when the function or
    version does not exist; GetFunctionUrlConfig of a missing function has the generic
    message."""
    name = create(SRC)
    with pytest.raises(ClientError) as e:
        lam.get_function_event_invoke_config(FunctionName=name, Qualifier="1221")
    assert error(e) == ("ResourceNotFoundException", 404, "The function arn:aws:lambda:"
                        f"us-east-1:{ACCOUNT}:function:{name}:1221 doesn't have an "
                        "EventInvokeConfig")
    with pytest.raises(ClientError) as e:
        lam.get_function_event_invoke_config(FunctionName="gone")
    assert error(e)[2] == (f"The function arn:aws:lambda:us-east-1:{ACCOUNT}:function:gone:"
                           "$LATEST doesn't have an EventInvokeConfig")
    with pytest.raises(ClientError) as e:
        lam.get_function_url_config(FunctionName="gone")
    assert error(e) == ("ResourceNotFoundException", 404,
                        "The resource you requested does not exist.")


def test_list_versions_leaves_out_states_as_list_functions_does(lam, create):
    """Recorded ListVersionsByFunction items: no State / LastUpdateStatus members, no
    RuntimeVersionConfig."""
    name = create(SRC)
    lam.publish_version(FunctionName=name)
    for item in lam.list_versions_by_function(FunctionName=name)["Versions"]:
        assert not {"State", "LastUpdateStatus", "RuntimeVersionConfig"} & item.keys()


def test_create_with_publish_answers_version_1_with_an_unqualified_arn(lam, create):
    """Recorded test_publish_version_on_create: Version "1", FunctionArn without ``:1``."""
    name = "published"
    made = lam.create_function(FunctionName=name, Runtime="python3.12", Publish=True,
                               Role=lam.get_function(FunctionName=create(SRC))[
                                   "Configuration"]["Role"],
                               Handler="lambda_function.handler",
                               Code={"ZipFile": make_zip(SRC)})
    assert made["Version"] == "1"
    assert made["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"


def test_latest_in_a_weighted_alias_is_refused_without_type(lam, create):
    """Recorded: "$LATEST is not supported for an alias pointing to more than 1 version",
    whose body (unlike most) has no Type member."""
    name = create(SRC)
    lam.publish_version(FunctionName=name)
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName=name, Name="a", FunctionVersion="$LATEST",
                         RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}})
    assert error(e) == ("InvalidParameterValueException", 400,
                        "$LATEST is not supported for an alias pointing to more than 1 version")
    assert "Type" not in e.value.response


def test_reserved_and_provisioned_concurrency_answers(lam, create):
    """Recorded: PutFunctionConcurrency on a missing function names ``:$LATEST``; on a
    qualified ARN it is refused; DeleteProvisionedConcurrencyConfig of a version without one
    answers 204."""
    with pytest.raises(ClientError) as e:
        lam.put_function_concurrency(FunctionName="nothing", ReservedConcurrentExecutions=1)
    assert error(e) == ("ResourceNotFoundException", 404, "Function not found: arn:aws:lambda:"
                        f"us-east-1:{ACCOUNT}:function:nothing:$LATEST")
    name = create(SRC)
    lam.publish_version(FunctionName=name)
    with pytest.raises(ClientError) as e:
        lam.put_function_concurrency(FunctionName=f"{name}:1", ReservedConcurrentExecutions=1)
    assert error(e)[:2] == ("InvalidParameterValueException", 400)
    assert error(e)[2].startswith("This operation is permitted on Lambda functions only.")
    gone = lam.delete_provisioned_concurrency_config(FunctionName=name, Qualifier="1")
    assert gone["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_tags_renew_the_revision_id_and_list_all_qualifies_latest(lam, create):
    """Recorded TestLambdaTags.test_tag_lifecycle: each TagResource / UntagResource gives the
    function a new RevisionId; recorded list_all: ListFunctions(FunctionVersion=ALL) qualifies
    ``$LATEST``'s ARN too."""
    name = create(SRC)
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}"
    first = lam.get_function(FunctionName=name)["Configuration"]["RevisionId"]
    lam.tag_resource(Resource=arn, Tags={"a": "1"})
    tagged = lam.get_function(FunctionName=name)["Configuration"]["RevisionId"]
    lam.untag_resource(Resource=arn, TagKeys=["a"])
    untagged = lam.get_function(FunctionName=name)["Configuration"]["RevisionId"]
    assert len({first, tagged, untagged}) == 3
    listed = lam.list_functions(FunctionVersion="ALL")["Functions"]
    assert [f["FunctionArn"] for f in listed] == [f"{arn}:$LATEST"]
    assert lam.list_functions()["Functions"][0]["FunctionArn"] == arn


def test_alias_and_provisioned_not_found_wording(lam, create):
    """Recorded: UpdateAlias of a missing alias is "Alias not found"; the provisioned
    concurrency operations name a missing alias "Cannot find alias arn" and a missing version
    "Function not found", with the qualified ARN even for a missing function; ``$LATEST`` on
    Get is "must be an alias or a published version"."""
    name = create(SRC)
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
    with pytest.raises(ClientError) as e:
        lam.update_alias(FunctionName=name, Name="nope", Description="x")
    assert error(e) == ("ResourceNotFoundException", 404, f"Alias not found: {arn}{name}:nope")
    with pytest.raises(ClientError) as e:
        lam.get_provisioned_concurrency_config(FunctionName="missing", Qualifier="noalias")
    assert error(e)[2] == f"Cannot find alias arn: {arn}missing:noalias"
    with pytest.raises(ClientError) as e:
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier="10",
                                               ProvisionedConcurrentExecutions=1)
    assert error(e)[2] == f"Function not found: {arn}{name}:10"
    with pytest.raises(ClientError) as e:
        lam.get_provisioned_concurrency_config(FunctionName=name, Qualifier="$LATEST")
    assert error(e) == ("InvalidParameterValueException", 400, "The function resource provided "
                        "must be an alias or a published version.")


def test_create_function_named_by_another_regions_arn(lam, create):
    """Recorded test_function_arns: CreateFunction with an ARN of another Region is refused
    like every other operation ("not reachable in this region")."""
    with pytest.raises(ClientError) as e:
        create(SRC, FunctionName=f"arn:aws:lambda:ap-southeast-1:{ACCOUNT}:function:x")
    assert error(e) == ("ResourceNotFoundException", 404, "Functions from 'ap-southeast-1' are "
                        "not reachable in this region ('us-east-1')")


def test_event_invoke_config_and_mapping_answers_for_missing_functions(lam, create):
    """Recorded: Put/Update/ListFunctionEventInvokeConfig(s) of a missing function: "The
    function doesn't exist."; Put with no setting at all is refused first; Delete answers as
    for a missing config; CreateEventSourceMapping: "Function does not exist"."""
    with pytest.raises(ClientError) as e:
        lam.put_function_event_invoke_config(FunctionName="gone")
    assert error(e) == ("InvalidParameterValueException", 400, "You must specify at least one "
                        "of error handling or destination setting.")
    for call in (lambda: lam.put_function_event_invoke_config(FunctionName="gone",
                                                              MaximumRetryAttempts=1),
                 lambda: lam.update_function_event_invoke_config(FunctionName="gone",
                                                                 MaximumRetryAttempts=1),
                 lambda: lam.list_function_event_invoke_configs(FunctionName="gone")):
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == ("ResourceNotFoundException", 404, "The function doesn't exist.")
    with pytest.raises(ClientError) as e:
        lam.delete_function_event_invoke_config(FunctionName="gone")
    assert error(e)[2] == (f"The function arn:aws:lambda:us-east-1:{ACCOUNT}:function:gone:"
                           "$LATEST doesn't have an EventInvokeConfig")
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="q")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    with pytest.raises(ClientError) as e:
        lam.create_event_source_mapping(FunctionName="gone", EventSourceArn=queue_arn)
    assert error(e) == ("InvalidParameterValueException", 400, "Function does not exist")


def test_layer_permission_answers_name_the_missing_version(lam):
    """Recorded test_layer_policy_exceptions: Add/Get/RemoveLayerVersionPermission on a missing
    layer or version: "Layer version <arn>:<n> does not exist."; a stale RevisionId names
    "the GetLayerPolicy API"."""
    layer_arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:l"
    lam.publish_layer_version(LayerName="l", Content={"ZipFile": make_zip(SRC)})
    with pytest.raises(ClientError) as e:
        lam.get_layer_version_policy(LayerName="l", VersionNumber=2)
    assert error(e) == ("ResourceNotFoundException", 404,
                        f"Layer version {layer_arn}:2 does not exist.")
    with pytest.raises(ClientError) as e:
        lam.add_layer_version_permission(LayerName="l", VersionNumber=1, StatementId="s",
                                         Action="lambda:GetLayerVersion", Principal="*",
                                         RevisionId="stale")
    assert error(e)[2].endswith("Call the GetLayerPolicy API to retrieve the latest Revision Id")


def test_permission_answers_as_recorded(lam, create):
    """Recorded test_permission_exceptions: AddPermission on $LATEST is refused; a missing
    alias is "Cannot find alias arn", a missing version "Function not found"; GetPolicy of a
    missing function "The resource you requested does not exist."; RemovePermission on a
    missing function "No policy found for", on a function without policy "No policy is
    associated with the given resource."."""
    name = create(SRC)
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
    grant = {"Action": "lambda:InvokeFunction", "StatementId": "s",
             "Principal": "s3.amazonaws.com"}
    cases = [
        (lambda: lam.add_permission(FunctionName=f"{name}:$LATEST", **grant),
         ("InvalidParameterValueException", 400,
          "We currently do not support adding policies for $LATEST.")),
        (lambda: lam.add_permission(FunctionName=f"{name}:nope", **grant),
         ("ResourceNotFoundException", 404, f"Cannot find alias arn: {arn}{name}:nope")),
        (lambda: lam.add_permission(FunctionName=name, Qualifier="42", **grant),
         ("ResourceNotFoundException", 404, f"Function not found: {arn}{name}:42")),
        (lambda: lam.get_policy(FunctionName="gone"),
         ("ResourceNotFoundException", 404, "The resource you requested does not exist.")),
        (lambda: lam.remove_permission(FunctionName="gone", StatementId="s"),
         ("ResourceNotFoundException", 404, f"No policy found for: {arn}gone")),
        (lambda: lam.remove_permission(FunctionName=name, StatementId="s"),
         ("ResourceNotFoundException", 404, "No policy is associated with the given resource.")),
    ]
    for call, expected in cases:
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == expected


def test_snap_start_apply_on_is_kept_and_checked(lam, create):
    """API SnapStart / SnapStartResponse: ApplyOn is PublishedVersions or None and is answered
    as set (recorded test_snapstart_update_function_configuration, OptimizationStatus Off on
    $LATEST); any other value is Coral's ValidationException (recorded)."""
    name = create(SRC)
    assert lam.get_function_configuration(FunctionName=name)["SnapStart"] == {
        "ApplyOn": "None", "OptimizationStatus": "Off"}
    updated = lam.update_function_configuration(FunctionName=name,
                                                SnapStart={"ApplyOn": "PublishedVersions"})
    assert updated["SnapStart"] == {"ApplyOn": "PublishedVersions", "OptimizationStatus": "Off"}
    with pytest.raises(ClientError) as e:
        create(SRC, SnapStart={"ApplyOn": "invalidOption"})
    assert error(e) == ("ValidationException", 400, "1 validation error detected: Value "
                        "'invalidOption' at 'snapStart.applyOn' failed to satisfy constraint: "
                        "Member must satisfy enum value set: [PublishedVersions, None]")


def test_weight_out_of_range_printed_as_a_float(lam, create):
    """Recorded routing_config_exc_subzero: the weight -1 is printed ``{2=-1.0}``."""
    from botocore.config import Config

    name = create(SRC)
    lam.publish_version(FunctionName=name)
    raw = boto3.client("lambda", region_name=REGION, config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as e:
        raw.create_alias(FunctionName=name, Name="a", FunctionVersion="1",
                         RoutingConfig={"AdditionalVersionWeights": {"2": -1}})
    assert error(e)[:2] == ("ValidationException", 400)
    assert error(e)[2].startswith("1 validation error detected: Value '{2=-1.0}' at "
                                  "'routingConfig.additionalVersionWeights'")


def test_layer_arn_without_version_refused_with_awss_pattern(lam, create):
    """Recorded add_layer_arn_without_version_exc: the Layers item constraint AWS prints
    (length up to 2048, today's ARN pattern with the ``(eusc-)?`` partition)."""
    lam.publish_layer_version(LayerName="l", Content={"ZipFile": make_zip(SRC)})
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:layer:l"
    with pytest.raises(ClientError) as e:
        create(SRC, Layers=[arn])
    code, status, message = error(e)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith(f"1 validation error detected: Value '[{arn}]' at 'layers' failed "
                              "to satisfy constraint: Member must satisfy constraint: [Member "
                              "must have length less than or equal to 2048, ")
    assert r"lambda:(eusc-)?[a-z]{2}" in message
    create(SRC, Layers=[f"{arn}:1"])  # a version ARN is fine


def test_subnet_id_pattern_printed_as_aws_does(lam, create):
    """Recorded create-response-invalid-format-subnet-id: the pattern is printed without
    anchors (``subnet-[0-9a-z]*``)."""
    with pytest.raises(ClientError) as e:
        create(SRC, VpcConfig={"SubnetIds": ["bad-subnet"], "SecurityGroupIds": []})
    assert error(e)[:2] == ("ValidationException", 400)
    assert error(e)[2].endswith("Member must satisfy regular expression pattern: "
                                "subnet-[0-9a-z]*]")


def test_provisioned_concurrency_over_the_unreserved_pool(lam, create):
    """Recorded put_provisioned_concurrency_account_limit_exceeded: more than the account's
    unreserved concurrency names it (and the body has no Type)."""
    name = create(SRC)
    version = lam.publish_version(FunctionName=name)["Version"]
    limit = lam.get_account_settings()["AccountLimit"]["UnreservedConcurrentExecutions"]
    with pytest.raises(ClientError) as e:
        lam.put_provisioned_concurrency_config(FunctionName=name, Qualifier=version,
                                               ProvisionedConcurrentExecutions=limit + 1)
    assert error(e) == ("InvalidParameterValueException", 400, "Specified ConcurrentExecutions "
                        f"for function is greater than account's unreserved concurrency "
                        f"[{limit}].")
    assert "Type" not in e.value.response


def test_alias_on_a_missing_function_names_the_version(lam):
    """Recorded routing_config_exc_fn_doesnotexist: "Function not found: <arn>:<version>"."""
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName="gone", Name="a", FunctionVersion="1")
    assert error(e) == ("ResourceNotFoundException", 404,
                        f"Function not found: arn:aws:lambda:us-east-1:{ACCOUNT}:function:gone:1")


def test_sqs_mapping_refuses_a_destination_before_looking_up_the_function(lam):
    """Recorded destination_config_failure."""
    sqs = boto3.client("sqs", region_name=REGION)
    queue = sqs.create_queue(QueueName="q2")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    with pytest.raises(ClientError) as e:
        lam.create_event_source_mapping(
            FunctionName="gone", EventSourceArn=queue_arn,
            DestinationConfig={"OnSuccess": {"Destination": queue_arn}})
    assert error(e) == ("InvalidParameterValueException", 400, "Unsupported DestinationConfig "
                        "parameter for given event source mapping type.")


def test_event_invoke_destinations_checked_as_aws_does(lam, create):
    """Recorded test_lambda_eventinvokeconfig_exceptions: a missing destination function, the
    function itself, another service's ARN, a malformed ARN (Coral's pattern); an empty
    OnSuccess is accepted."""
    name, other = create(SRC), create(SRC)
    arn = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:"
    cases = [
        ({"OnSuccess": {"Destination": f"{arn}gone"}},
         ("InvalidParameterValueException", 400, f"The destination ARN {arn}gone is invalid.")),
        ({"OnSuccess": {"Destination": f"{arn}{name}"}},
         ("InvalidParameterValueException", 400,
          "You can't specify the function as a destination for itself.")),
        ({"OnSuccess": {"Destination": f"arn:aws:iam:us-east-1:{ACCOUNT}:function:{name}"}},
         ("InvalidParameterValueException", 400, "The provided destination config "
          "DestinationConfig(onSuccess=OnSuccess(destination=arn:aws:iam:us-east-1:"
          f"{ACCOUNT}:function:{name}), onFailure=null) is invalid.")),
    ]
    for dests, expected in cases:
        with pytest.raises(ClientError) as e:
            lam.put_function_event_invoke_config(FunctionName=name, DestinationConfig=dests)
        assert error(e) == expected
    with pytest.raises(ClientError) as e:
        lam.put_function_event_invoke_config(
            FunctionName=name, DestinationConfig={"OnFailure": {"Destination": "arn:aws:_-/!x"}})
    assert error(e)[:2] == ("ValidationException", 400)
    assert "at 'destinationConfig.onFailure.destination'" in error(e)[2]
    ok = lam.put_function_event_invoke_config(
        FunctionName=name, DestinationConfig={"OnSuccess": {"Destination": f"{arn}{other}"}})
    assert ok["DestinationConfig"]["OnSuccess"] == {"Destination": f"{arn}{other}"}
    empty = lam.put_function_event_invoke_config(FunctionName=name,
                                                 DestinationConfig={"OnSuccess": {}})
    assert empty["DestinationConfig"] == {"OnSuccess": {}, "OnFailure": {}}


def test_more_recorded_refusals(lam, create):
    """Recorded: an invalid principal; a layer of another Region; CreateEventSourceMapping
    without a source ("Unrecognized event source."); a weight key that is not a version
    (printed without "Member must not be null")."""
    name = create(SRC)
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=name, StatementId="s", Action="lambda:InvokeFunction",
                           Principal="invalid.nonaws.com")
    assert error(e) == ("InvalidParameterValueException", 400, "The provided principal was "
                        "invalid. Please check the principal and try again.")
    with pytest.raises(ClientError) as e:
        create(SRC, Layers=[f"arn:aws:lambda:ap-southeast-1:{ACCOUNT}:layer:l:1"])
    assert error(e) == ("InvalidParameterValueException", 400, "Layers are not in the same "
                        "region as the function. Layers are expected to be in region us-east-1.")
    from botocore.config import Config

    raw = boto3.client("lambda", region_name=REGION, config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as e:
        raw.create_event_source_mapping(FunctionName=name)
    assert error(e) == ("InvalidParameterValueException", 400, "Unrecognized event source.")
    lam.publish_version(FunctionName=name)
    with pytest.raises(ClientError) as e:
        lam.create_alias(FunctionName=name, Name="a", FunctionVersion="1",
                         RoutingConfig={"AdditionalVersionWeights": {"$LATEST": 0.5}})
    assert error(e)[2].endswith("Member must satisfy regular expression pattern: [0-9]+]")


def test_statement_id_pattern_printed_as_aws_does(lam, create):
    """Recorded add_permission_invalid_statement_id: ``([a-zA-Z0-9-_]+)``."""
    name = create(SRC)
    with pytest.raises(ClientError) as e:
        lam.add_permission(FunctionName=name, StatementId="example.com",
                           Action="lambda:InvokeFunction", Principal="s3.amazonaws.com")
    assert error(e) == ("ValidationException", 400, "1 validation error detected: Value "
                        "'example.com' at 'statementId' failed to satisfy constraint: Member "
                        "must satisfy regular expression pattern: ([a-zA-Z0-9-_]+)")
