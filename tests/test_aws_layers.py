"""Layers through boto3 (issue #3 section 6): publish / get / list / delete layer versions and
their permissions; a function's layers (at most 5) are extracted in order into its /opt, later
layers overwriting earlier ones, with /opt/python importable; 250 MB counts code plus layers."""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import io
import json
import zipfile

import boto3
import pytest
from aws_helpers import REGION, aws, create, invoke_json, lam, make_zip, role  # noqa: F401
from botocore.exceptions import ClientError

ACCOUNT = "123456789012"


def layer_zip(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def publish(lam, name: str, files: dict[str, str], **params) -> dict:
    return lam.publish_layer_version(LayerName=name, Content={"ZipFile": layer_zip(files)},
                                     **params)


def error(exc: pytest.ExceptionInfo) -> tuple[str, str, int]:
    e = exc.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


READER = """
import os, sys, helper, shared
def handler(event, context):
    opt = os.path.dirname([p for p in sys.path if p.endswith("python")][0])
    with open(os.path.join(opt, "data.txt")) as f:
        data = f.read()
    return {"helper": helper.VALUE, "shared": shared.WHO, "data": data,
            "site": __import__("sitepkg").OK}
"""


def test_publish_get_list_delete(lam):
    v1 = publish(lam, "utils", {"python/helper.py": "VALUE = 1\n"}, Description="first",
                 CompatibleRuntimes=["python3.12"], CompatibleArchitectures=["x86_64"],
                 LicenseInfo="MIT")
    layer_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:utils"
    assert v1["LayerArn"] == layer_arn
    assert v1["LayerVersionArn"] == layer_arn + ":1" and v1["Version"] == 1
    assert v1["Content"]["CodeSize"] > 0 and v1["Content"]["CodeSha256"]
    assert v1["Description"] == "first" and v1["LicenseInfo"] == "MIT"
    assert v1["CompatibleRuntimes"] == ["python3.12"]
    v2 = publish(lam, "utils", {"python/helper.py": "VALUE = 2\n"},
                 CompatibleRuntimes=["python3.11"])
    assert v2["Version"] == 2

    got = lam.get_layer_version(LayerName="utils", VersionNumber=1)
    assert got["LayerVersionArn"] == v1["LayerVersionArn"] and got["Description"] == "first"
    assert lam.get_layer_version(LayerName=layer_arn, VersionNumber=2)["Version"] == 2
    by_arn = lam.get_layer_version_by_arn(Arn=layer_arn + ":2")
    assert by_arn["Version"] == 2 and by_arn["LayerArn"] == layer_arn

    versions = lam.list_layer_versions(LayerName="utils")["LayerVersions"]
    assert [v["Version"] for v in versions] == [2, 1]
    only = lam.list_layer_versions(LayerName="utils", CompatibleRuntime="python3.12")
    assert [v["Version"] for v in only["LayerVersions"]] == [1]
    layers = lam.list_layers()["Layers"]
    assert [(x["LayerName"], x["LatestMatchingVersion"]["Version"]) for x in layers] == \
        [("utils", 2)]
    assert lam.list_layers(CompatibleRuntime="python3.12")["Layers"][0][
        "LatestMatchingVersion"]["Version"] == 1

    lam.delete_layer_version(LayerName="utils", VersionNumber=2)
    lam.delete_layer_version(LayerName="utils", VersionNumber=2)  # idempotent, as on AWS
    assert [v["Version"] for v in lam.list_layer_versions(LayerName="utils")["LayerVersions"]] \
        == [1]
    with pytest.raises(ClientError) as exc:
        lam.get_layer_version(LayerName="utils", VersionNumber=2)
    assert error(exc) == ("ResourceNotFoundException",
                          "The resource you requested does not exist.", 404)
    # version numbers are never reused
    assert publish(lam, "utils", {"python/helper.py": "VALUE = 3\n"})["Version"] == 3


def test_permissions(lam):
    publish(lam, "shared", {"python/shared.py": "WHO = 'x'\n"})
    with pytest.raises(ClientError) as exc:
        lam.get_layer_version_policy(LayerName="shared", VersionNumber=1)
    assert error(exc)[0] == "ResourceNotFoundException"
    added = lam.add_layer_version_permission(
        LayerName="shared", VersionNumber=1, StatementId="xaccount",
        Action="lambda:GetLayerVersion", Principal="210987654321")
    statement = json.loads(added["Statement"])
    assert statement == {"Sid": "xaccount", "Effect": "Allow",
                         "Principal": {"AWS": "arn:aws:iam::210987654321:root"},
                         "Action": "lambda:GetLayerVersion",
                         "Resource": f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:shared:1"}
    lam.add_layer_version_permission(LayerName="shared", VersionNumber=1, StatementId="all",
                                     Action="lambda:GetLayerVersion", Principal="*",
                                     RevisionId=added["RevisionId"])
    policy = lam.get_layer_version_policy(LayerName="shared", VersionNumber=1)
    doc = json.loads(policy["Policy"])
    assert [s["Sid"] for s in doc["Statement"]] == ["xaccount", "all"]
    assert doc["Statement"][1]["Principal"] == "*"

    with pytest.raises(ClientError) as exc:
        lam.add_layer_version_permission(LayerName="shared", VersionNumber=1,
                                         StatementId="all", Action="lambda:GetLayerVersion",
                                         Principal="*")
    assert error(exc)[0] == "ResourceConflictException"
    with pytest.raises(ClientError) as exc:
        lam.remove_layer_version_permission(LayerName="shared", VersionNumber=1,
                                            StatementId="all", RevisionId="stale")
    assert error(exc)[0:3:2] == ("PreconditionFailedException", 412)

    lam.remove_layer_version_permission(LayerName="shared", VersionNumber=1,
                                        StatementId="all", RevisionId=policy["RevisionId"])
    doc = json.loads(lam.get_layer_version_policy(LayerName="shared", VersionNumber=1)["Policy"])
    assert [s["Sid"] for s in doc["Statement"]] == ["xaccount"]
    with pytest.raises(ClientError) as exc:
        lam.remove_layer_version_permission(LayerName="shared", VersionNumber=1,
                                            StatementId="nope")
    assert error(exc) == ("ResourceNotFoundException",
                          "Statement nope is not found in resource policy.", 404)


def test_layers_are_importable_in_order_later_overwrites(lam, create):
    a = publish(lam, "a", {"python/helper.py": "VALUE = 'a'\n", "python/shared.py": "WHO = 'a'\n",
                           "data.txt": "from a",
                           "python/lib/python3.12/site-packages/sitepkg.py": "OK = True\n"})
    b = publish(lam, "b", {"python/shared.py": "WHO = 'b'\n", "data.txt": "from b"})
    name = create(READER, Layers=[a["LayerVersionArn"], b["LayerVersionArn"]])
    resp, body = invoke_json(lam, name)
    assert "FunctionError" not in resp, body
    assert body == {"helper": "a", "shared": "b", "data": "from b", "site": True}

    config = lam.get_function(FunctionName=name)["Configuration"]
    assert config["Layers"] == [{"Arn": a["LayerVersionArn"], "CodeSize": a["Content"]["CodeSize"]},
                                {"Arn": b["LayerVersionArn"], "CodeSize": b["Content"]["CodeSize"]}]

    # reversed order: a's files win now; a new configuration means new environments
    lam.update_function_configuration(FunctionName=name,
                                      Layers=[b["LayerVersionArn"], a["LayerVersionArn"]])
    _, body = invoke_json(lam, name)
    assert body == {"helper": "a", "shared": "a", "data": "from a", "site": True}

    # a deleted layer version keeps working for the functions that use it
    lam.delete_layer_version(LayerName="b", VersionNumber=1)
    _, body = invoke_json(lam, name)
    assert body["shared"] == "a"
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName=name, Layers=[b["LayerVersionArn"]])
    assert error(exc) == ("InvalidParameterValueException",
                          f"Layer version {b['LayerVersionArn']} does not exist.", 400)

    lam.update_function_configuration(FunctionName=name, Layers=[])
    assert "Layers" not in lam.get_function_configuration(FunctionName=name)
    resp, body = invoke_json(lam, name)
    assert resp.get("FunctionError") == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"


def test_published_version_keeps_its_layers(lam, create):
    v1 = publish(lam, "conf", {"python/conf.py": "X = 1\n"})
    v2 = publish(lam, "conf", {"python/conf.py": "X = 2\n"})
    src = "import conf\ndef handler(event, context):\n    return conf.X\n"
    name = create(src, Layers=[v1["LayerVersionArn"]], Publish=True)
    lam.update_function_configuration(FunctionName=name, Layers=[v2["LayerVersionArn"]])
    assert invoke_json(lam, name, Qualifier="1")[1] == 1
    assert invoke_json(lam, name)[1] == 2


def test_layer_errors(lam, create):
    arns = [publish(lam, f"l{i}", {f"python/m{i}.py": ""})["LayerVersionArn"] for i in range(6)]
    with pytest.raises(ClientError) as exc:
        create("def handler(e, c):\n    return 1\n", Layers=arns)
    assert error(exc) == ("InvalidParameterValueException",
                          "Cannot reference more than 5 layers.", 400)
    missing = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:nope:1"
    with pytest.raises(ClientError) as exc:
        create("def handler(e, c):\n    return 1\n", Layers=[missing])
    assert error(exc) == ("InvalidParameterValueException",
                          f"Layer version {missing} does not exist.", 400)
    with pytest.raises(ClientError) as exc:
        create("def handler(e, c):\n    return 1\n", Layers=[arns[0][:-2]])
    assert error(exc)[0] == "ValidationException"
    two = publish(lam, "l0", {"python/m0.py": "X = 2"})["LayerVersionArn"]
    with pytest.raises(ClientError) as exc:
        create("def handler(e, c):\n    return 1\n", Layers=[arns[0], two])
    assert error(exc)[0] == "InvalidParameterValueException"
    assert "Two different versions of the same layer" in error(exc)[1]
    name = create("def handler(e, c):\n    return 1\n", Layers=arns[:5])
    assert len(lam.get_function(FunctionName=name)["Configuration"]["Layers"]) == 5


def test_250_mb_counts_function_plus_layers(lam, create, monkeypatch):
    import lambda_lab.platform.layers as layers

    monkeypatch.setattr(layers.limits, "UNZIPPED_MAX_BYTES", 3000)
    big = publish(lam, "big", {"python/big.py": "#" * 2000})
    name = create("def handler(e, c):\n    return 1\n", Layers=[big["LayerVersionArn"]])
    with pytest.raises(ClientError) as exc:
        lam.update_function_code(FunctionName=name,
                                 ZipFile=make_zip("# " + "x" * 1500 + "\n"
                                                  "def handler(e, c):\n    return 1\n"))
    code, message, status = error(exc)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert message.startswith("Function code combined with layers exceeds the maximum allowed "
                              "size of 3000 bytes. The actual size is ")


def test_cross_account_layer_needs_a_permission(lam, create):
    other = boto3.client("lambda", region_name=REGION,
                         aws_access_key_id="AKIAOTHERACCOUNT0001",
                         aws_secret_access_key="x")
    # moto maps unknown access keys to the default account: switch accounts by header instead
    def to_other(request, **_):
        request.headers["x-moto-account-id"] = "210987654321"

    other.meta.events.register("before-send.lambda.*", to_other)
    shared = publish(other, "corp", {"python/corp.py": "NAME = 'corp'\n"})
    assert shared["LayerArn"].split(":")[4] == "210987654321"
    src = "import corp\ndef handler(event, context):\n    return corp.NAME\n"
    with pytest.raises(ClientError) as exc:
        create(src, Layers=[shared["LayerVersionArn"]])
    assert error(exc)[0::2] == ("AccessDeniedException", 403)
    other.add_layer_version_permission(LayerName="corp", VersionNumber=1, StatementId="me",
                                       Action="lambda:GetLayerVersion", Principal=ACCOUNT)
    name = create(src, Layers=[shared["LayerVersionArn"]])
    assert invoke_json(lam, name)[1] == "corp"


# Recorded by LocalStack against AWS (tests/aws/services/lambda_/test_lambda_api.py
# TestLambdaLayer.test_layer_exceptions, 2026-01-12): the runtime list PublishLayerVersion's
# error prints, in AWS's order (it accepts more: see the end of the first test below).
LAYER_RUNTIMES_RECORDED = (
    "nodejs20.x, python3.14, provided.al2023, python3.12, python3.13, nodejs24.x, nodejs22.x, "
    "java25, python3.10, python3.11, java21, ruby3.3, ruby3.4, ruby3.2, python3.8, python3.9, "
    "java17, nodejs16.x, dotnet10, dotnet8, java11, dotnet6, nodejs18.x, provided.al2, java8.al2")
ARCH_ERROR = ("failed to satisfy constraint: Member must satisfy constraint: [Member must satisfy "
              "enum value set: [x86_64, arm64], Member must not be null]")


def test_publish_checks_runtimes_and_architectures_together_as_recorded(lam):
    """Recorded test_layer_exceptions: publish_layer_version_exc_invalid_runtime_arch and
    ..._partially_invalid_values — one ValidationException naming both lists."""
    with pytest.raises(ClientError) as exc:
        publish(lam, "bad", {"python/x.py": ""}, CompatibleRuntimes=["invalidruntime"],
                CompatibleArchitectures=["invalidarch"])
    code, message, status = error(exc)
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "2 validation errors detected: Value '[invalidruntime]' at 'compatibleRuntimes' failed "
        "to satisfy constraint: Member must satisfy enum value set: [" + LAYER_RUNTIMES_RECORDED
        + "]; Value '[invalidarch]' at 'compatibleArchitectures' " + ARCH_ERROR)
    with pytest.raises(ClientError) as exc:
        publish(lam, "bad", {"python/x.py": ""},
                CompatibleRuntimes=["invalidruntime", "invalidruntime2", "nodejs20.x"],
                CompatibleArchitectures=["invalidarch", "x86_64"])
    message = error(exc)[1]
    assert ("Value '[invalidruntime, invalidruntime2, nodejs20.x]' at 'compatibleRuntimes'"
            in message)
    assert message.endswith("Value '[invalidarch, x86_64]' at 'compatibleArchitectures' "
                            + ARCH_ERROR)
    with pytest.raises(ClientError) as exc:  # a typo alone: one error
        publish(lam, "bad", {"python/x.py": ""}, CompatibleRuntimes=["pyhton3.12"])
    assert error(exc)[1].startswith("1 validation error detected: Value '[pyhton3.12]' at "
                                    "'compatibleRuntimes' failed to satisfy constraint")
    assert lam.list_layers()["Layers"] == []  # nothing was published
    # a layer may name any runtime of the enum, even one functions can no longer be created
    # with (recorded test_layer_compatibilities, the same day as the errors above)
    for n, runtimes in enumerate((["python3.7", "java8", "go1.x", "provided", "nodejs12.x"],
                                  ["ruby4.0", "python3.14"]), start=1):
        assert publish(lam, "old", {"python/x.py": ""},
                       CompatibleRuntimes=runtimes)["Version"] == n


def test_list_filters_are_checked_against_the_runtime_enum_as_recorded(lam):
    """Recorded test_layer_exceptions: list_layers_exc_compatibleruntime_invalid and
    list_layers_exc_compatiblearchitecture_invalid (the filter takes every Runtime value, even
    blocked ones)."""
    with pytest.raises(ClientError) as exc:
        lam.list_layers(CompatibleRuntime="runtimedoesnotexist")
    code, message, status = error(exc)
    assert (code, status) == ("ValidationException", 400)
    assert message.startswith(
        "1 validation error detected: Value 'runtimedoesnotexist' at 'compatibleRuntime' failed "
        "to satisfy constraint: Member must satisfy enum value set: [")
    assert message.endswith("set: [ruby3.5, ruby2.6, dotnetcore1.0, python3.7, nodejs8.10, "
                            "nasa, ruby2.7, python2.7-greengrass, dotnetcore2.0, python3.8, "
                            "java21, dotnet6, dotnetcore2.1, python3.9, java11, nodejs6.10, "
                            "provided, dotnetcore3.1, dotnet8, java25, java17, nodejs, nodejs4.3, "
                            "java8.al2, go1.x, dotnet10, nodejs20.x, go1.9, byol, nodejs10.x, "
                            "provided.al2023, nodejs22.x, python3.10, java8, nodejs12.x, "
                            "python3.11, nodejs24.x, nodejs8.x, python3.12, nodejs14.x, "
                            "nodejs8.9, nodejs26.x, python3.13, python3.14, nodejs16.x, "
                            "python3.15, provided.al2, nodejs4.3-edge, nodejs18.x, ruby3.2, "
                            "python3.4, ruby3.3, ruby3.4, ruby2.5, python3.6, python2.7]")
    with pytest.raises(ClientError) as exc:
        lam.list_layer_versions(LayerName="x", CompatibleRuntime="runtimedoesnotexist")
    assert error(exc)[1] == message
    with pytest.raises(ClientError) as exc:
        lam.list_layers(CompatibleArchitecture="archdoesnotexist")
    assert error(exc) == (
        "ValidationException",
        "1 validation error detected: Value 'archdoesnotexist' at 'compatibleArchitecture' "
        "failed to satisfy constraint: Member must satisfy enum value set: [x86_64, arm64]", 400)
    for runtime in ("python2.7", "ruby4.0"):  # blocked, and newer than the recording
        assert lam.list_layers(CompatibleRuntime=runtime)["Layers"] == []


def test_layer_version_below_1_is_an_invalid_parameter_as_recorded(lam):
    """Recorded test_layer_exceptions: get_layer_version_exc_layer_version_doesnotexist_negative
    / _zero and delete_layer_version_exc_layerversion_invalid_version — a number below 1 is
    InvalidParameterValueException "Layer Version Cannot be less than 1" (400); a missing layer
    or a version above the newest is ResourceNotFoundException; deleting a missing one is not an
    error."""
    publish(lam, "numbers", {"python/x.py": ""})
    for number in (-1, 0):
        with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
            lam.get_layer_version(LayerName="numbers", VersionNumber=number)
        assert error(exc) == ("InvalidParameterValueException",
                              "Layer Version Cannot be less than 1", 400)
        assert exc.value.response["Type"] == "User"
    with pytest.raises(lam.exceptions.InvalidParameterValueException) as exc:
        lam.delete_layer_version(LayerName="numbers", VersionNumber=-1)
    assert error(exc)[1] == "Layer Version Cannot be less than 1"
    with pytest.raises(lam.exceptions.ResourceNotFoundException) as exc:
        lam.get_layer_version(LayerName="numbers", VersionNumber=2)
    assert error(exc)[1] == "The resource you requested does not exist."
    lam.delete_layer_version(LayerName="numbers", VersionNumber=2)
    lam.delete_layer_version(LayerName="nonexistent", VersionNumber=1)
    assert lam.get_layer_version(LayerName="numbers", VersionNumber=1)["Version"] == 1


def test_get_layer_version_by_arn_without_a_version_is_a_validation_error_as_recorded(lam):
    """Recorded test_layer_exceptions: get_layer_version_by_arn_exc_invalidarn — the 'arn'
    member and its pattern (not the 'layers' wording of CreateFunction); a version that does
    not exist is ResourceNotFoundException."""
    arn = publish(lam, "byarn", {"python/x.py": ""})["LayerArn"]
    with pytest.raises(ClientError) as exc:
        lam.get_layer_version_by_arn(Arn=arn)
    assert error(exc) == (
        "ValidationException",
        f"1 validation error detected: Value '{arn}' at 'arn' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:(eusc-)?"
        r"[a-z]{2}((-gov)|(-iso([a-z]?)))?-[a-z]+-\d{1}:\d{12}:layer:[a-zA-Z0-9-_]+:[0-9]+)|"
        "(arn:[a-zA-Z0-9-]+:lambda:::awslayer:[a-zA-Z0-9-_]+)", 400)
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_layer_version_by_arn(Arn=f"{arn}:2")
    assert lam.get_layer_version_by_arn(Arn=f"{arn}:1")["Version"] == 1
