"""Container image functions: built without Docker, pushed to moto's ECR, run by Lambda.

Sources:
- API CreateFunction / FunctionCode / ImageConfig: PackageType "Image" with Code.ImageUri; the
  ImageConfig's EntryPoint, Command and WorkingDirectory override the image's ENTRYPOINT, CMD and
  WORKDIR (DG images-parms). GetFunction returns Code {"RepositoryType": "ECR", "ImageUri",
  "ResolvedImageUri": "<repo>@sha256:<digest>"} and CodeSha256 is that digest's hex; no Runtime
  or Handler; ImageConfigResponse when configured (LocalStack's AWS-validated recordings,
  TestLambdaImages::test_lambda_image_crud / test_lambda_image_and_image_config_crud).
- Errors: "Please don't provide Handler or Runtime or Layer when the intended function
  PackageType is Image." (pulumi/pulumi-aws#5439); "Source image <uri> does not exist. Provide a
  valid source image." (aws/aws-sdk-go#3736, aws-cdk#24648); "Source image <uri> is not valid.
  Provide a valid source image." (no tag, or another Region: hashicorp/terraform#27963,
  serverless#10969); "Please provide ImageUri when updating a function with packageType Image." /
  "Please don't provide ImageUri when updating a function with packageType Zip." (LocalStack
  recordings test_lambda_image_crud, test_lambda_zip_file_to_image).
- DG images-create: images in ECR in the function's Region, up to 10 GB uncompressed.
- DG configuration-envvars: Lambda's reserved variables cannot be overridden; the image's ENV
  reaches the function, the function's variables override it.
- ECR / Registry API: an image's digest is the SHA-256 of its manifest. ECR API reference:
  BatchCheckLayerAvailability (MissingLayerDigest failures), InitiateLayerUpload (uploadId,
  partSize), UploadLayerPart (InvalidLayerPartException when a part does not follow the last
  byte received), CompleteLayerUpload (InvalidLayerException when the digest does not match,
  LayerAlreadyExistsException).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import base64
import hashlib
import json
import os
import shutil

import boto3
import pytest
from aws_helpers import REGION, aws, create, invoke_json, lam, role  # noqa: F401
from botocore.exceptions import ClientError
from test_serve import TRUST, free_port, start_server
from wheels import make_wheel

from lambda_lab.packaging import build_image, push_image

ACCOUNT = "123456789012"
APP = """\
import os
import tinydep

def handler(event, context):
    return {"value": tinydep.VALUE, "cwd": os.getcwd(),
            "env": {k: os.environ.get(k) for k in ("GREETING", "MODE", "AWS_REGION",
                                                    "LAMBDA_TASK_ROOT", "DATA")}}

def other(event, context):
    return "other"
"""
DOCKERFILE = """\
FROM public.ecr.aws/lambda/python:3.12
ENV GREETING=from-image MODE=image AWS_REGION=eu-west-9 DATA=/var/task/data
COPY requirements.txt ${LAMBDA_TASK_ROOT}
RUN pip install -r requirements.txt
COPY app.py ${LAMBDA_TASK_ROOT}
RUN mkdir -p /var/task/data
CMD [ "app.handler" ]
"""


def error(exc: pytest.ExceptionInfo) -> tuple[str, str, int]:
    e = exc.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def ecr(aws):
    return boto3.client("ecr", region_name=REGION)


@pytest.fixture
def context(tmp_path) -> str:
    ctx = tmp_path / "ctx"
    ctx.mkdir()
    (ctx / "app.py").write_text(APP)
    (ctx / "requirements.txt").write_text("tinydep==1.0\n")
    (ctx / "Dockerfile").write_text(DOCKERFILE)
    make_wheel(str(ctx / "wheels"), "tinydep", {"tinydep/__init__.py": "VALUE = 7\n"})
    return str(ctx)


def build(context: str, dockerfile: str = "Dockerfile"):
    return build_image(os.path.join(context, dockerfile), find_links=os.path.join(
        context, "wheels"), no_index=True)


@pytest.fixture
def pushed(ecr, context):
    """(image URI, built image) of the context's image pushed as fn:latest."""
    repo_uri = ecr.create_repository(repositoryName="fn")["repository"]["repositoryUri"]
    image = build(context)
    uri = push_image(image, "fn")
    assert uri == f"{repo_uri}:latest"
    return uri, image


def test_push_gives_the_manifests_digest(ecr, pushed):
    uri, image = pushed
    found = ecr.describe_images(repositoryName="fn")["imageDetails"][0]
    assert found["imageDigest"] == "sha256:" + hashlib.sha256(image.manifest).hexdigest()
    assert found["imageSizeInBytes"] == sum(layer.size for layer in image.layers)
    got = ecr.batch_get_image(repositoryName="fn", imageIds=[{"imageTag": "latest"}])
    assert got["images"][0]["imageManifest"] == image.manifest.decode()


def test_create_invoke_and_get_function(lam, role, pushed):
    uri, image = pushed
    hexdigest = image.digest.split(":")[1]
    out = lam.create_function(FunctionName="img", PackageType="Image", Role=role,
                              Code={"ImageUri": uri})
    assert out["PackageType"] == "Image" and out["CodeSha256"] == hexdigest
    assert "Runtime" not in out and "Handler" not in out and "ImageConfigResponse" not in out
    resp = lam.invoke(FunctionName="img", Payload=b"{}", LogType="Tail")
    body = json.loads(resp["Payload"].read())
    assert body["value"] == 7
    report = base64.b64decode(resp["LogResult"]).decode()
    assert "Init Duration:" in report  # a cold start, measured like a .zip function's
    got = lam.get_function(FunctionName="img")
    assert got["Code"] == {"RepositoryType": "ECR", "ImageUri": uri,
                           "ResolvedImageUri": f"{uri.rsplit(':', 1)[0]}@{image.digest}"}
    assert got["Configuration"]["PackageType"] == "Image"
    warm = lam.invoke(FunctionName="img", Payload=b"{}", LogType="Tail")
    assert "Init Duration:" not in base64.b64decode(warm["LogResult"]).decode()


def test_env_and_image_config(lam, role, pushed):
    """The image's ENV reaches the handler, the function's variables override it, Lambda's
    reserved ones override both; ImageConfig overrides CMD and WORKDIR."""
    uri, _ = pushed
    lam.create_function(FunctionName="img", PackageType="Image", Role=role,
                        Code={"ImageUri": uri}, Environment={"Variables": {"MODE": "function"}})
    body = invoke_json(lam, "img")[1]
    env = body["env"]
    assert env["GREETING"] == "from-image" and env["MODE"] == "function"
    assert env["AWS_REGION"] == REGION
    assert env["LAMBDA_TASK_ROOT"].endswith(os.path.join("rootfs", "var", "task"))
    assert body["cwd"] == env["LAMBDA_TASK_ROOT"]  # the base image's WORKDIR
    assert os.path.isdir(env["DATA"]) and env["DATA"].endswith("var/task/data")

    lam.update_function_configuration(FunctionName="img", ImageConfig={
        "Command": ["app.other"], "WorkingDirectory": "/var/task/data"})
    assert invoke_json(lam, "img")[1] == "other"
    conf = lam.get_function_configuration(FunctionName="img")
    assert conf["ImageConfigResponse"] == {"ImageConfig": {
        "Command": ["app.other"], "WorkingDirectory": "/var/task/data"}}
    lam.update_function_configuration(FunctionName="img", ImageConfig={
        "WorkingDirectory": "/var/task/data"})
    assert invoke_json(lam, "img")[1]["cwd"].endswith("var/task/data")

    lam.create_function(FunctionName="img2", PackageType="Image", Role=role,
                        Code={"ImageUri": uri}, ImageConfig={"Command": ["app.other"]})
    assert invoke_json(lam, "img2")[1] == "other"


def test_update_function_code_with_a_new_image(lam, role, ecr, pushed, context):
    uri, first = pushed
    lam.create_function(FunctionName="img", PackageType="Image", Role=role,
                        Code={"ImageUri": uri})
    with open(os.path.join(context, "app.py"), "a") as f:
        f.write("\ndef handler(event, context):\n    return 'v2'\n")
    second = build(context)
    assert second.digest != first.digest
    push_image(second, "fn", "v2")
    v2 = uri.rsplit(":", 1)[0] + ":v2"
    out = lam.update_function_code(FunctionName="img", ImageUri=v2)
    assert out["CodeSha256"] == second.digest.split(":")[1]
    assert invoke_json(lam, "img")[1] == "v2"
    by_digest = uri.rsplit(":", 1)[0] + "@" + first.digest  # an image named by its digest
    lam.update_function_code(FunctionName="img", ImageUri=by_digest)
    assert invoke_json(lam, "img")[1]["value"] == 7
    assert lam.get_function(FunctionName="img")["Code"]["ResolvedImageUri"] == by_digest


def test_image_rules_and_texts(lam, role, create, pushed):
    uri, _ = pushed
    base = {"FunctionName": "bad", "PackageType": "Image", "Role": role}
    not_image = ("InvalidParameterValueException", "Please don't provide Handler or Runtime or "
                 "Layer when the intended function PackageType is Image.", 400)
    layer = f"arn:aws:lambda:{REGION}:{ACCOUNT}:layer:x:1"
    for extra in ({"Runtime": "python3.12"}, {"Handler": "app.handler"}, {"Layers": [layer]}):
        with pytest.raises(ClientError) as exc:
            lam.create_function(**base, Code={"ImageUri": uri}, **extra)
        assert error(exc) == not_image
    repo = uri.rsplit(":", 1)[0]
    for missing in (repo + ":nosuchtag", repo.replace("/fn", "/nosuchrepo") + ":latest",
                    repo + "@sha256:" + "0" * 64):
        with pytest.raises(ClientError) as exc:
            lam.create_function(**base, Code={"ImageUri": missing})
        assert error(exc) == ("InvalidParameterValueException", f"Source image {missing} does "
                              "not exist. Provide a valid source image.", 400)
    other_region = uri.replace(f".{REGION}.", ".eu-west-1.")
    for invalid in (repo, other_region, "fn:latest", "public.ecr.aws/lambda/python:3.12"):
        with pytest.raises(ClientError) as exc:
            lam.create_function(**base, Code={"ImageUri": invalid})
        assert error(exc) == ("InvalidParameterValueException", f"Source image {invalid} is "
                              "not valid. Provide a valid source image.", 400)
    assert lam.list_functions()["Functions"] == []

    lam.create_function(FunctionName="img", PackageType="Image", Role=role,
                        Code={"ImageUri": uri})
    with pytest.raises(ClientError) as exc:
        lam.update_function_code(FunctionName="img", ZipFile=b"PK")
    assert error(exc) == ("InvalidParameterValueException", "Please provide ImageUri when "
                          "updating a function with packageType Image.", 400)
    with pytest.raises(ClientError) as exc:
        lam.update_function_configuration(FunctionName="img", Runtime="python3.12")
    assert error(exc) == not_image
    zipfn = create("def handler(e, c):\n    return 1\n")
    with pytest.raises(ClientError) as exc:
        lam.update_function_code(FunctionName=zipfn, ImageUri=uri)
    assert error(exc) == ("InvalidParameterValueException", "Please don't provide ImageUri "
                          "when updating a function with packageType Zip.", 400)
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="nozip", Role=role, Code={"ZipFile": b"PK"})
    assert error(exc) == ("InvalidParameterValueException", "Runtime and Handler are mandatory "
                          "parameters for functions created with deployment packages.", 400)


def test_10_gb_uncompressed_limit(lam, role, pushed, monkeypatch):
    """DG images-create: 10 GB uncompressed at most (the limit shrunk for the test)."""
    import lambda_lab.aws.image_api as image_api

    uri, image = pushed
    monkeypatch.setattr(image_api, "IMAGE_MAX_BYTES", image.uncompressed_size - 1)
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="big", PackageType="Image", Role=role,
                            Code={"ImageUri": uri})
    code, message, status = error(exc)
    assert (code, status) == ("InvalidParameterValueException", 400)
    assert f"is {image.uncompressed_size} bytes uncompressed" in message


BOOTSTRAP = r'''#!/usr/bin/env python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    body = {"handler": os.environ["_HANDLER"], "event": event, "me": os.path.basename(__file__)}
    urllib.request.urlopen(urllib.request.Request(f"{api}/invocation/{rid}/response",
        data=json.dumps(body).encode(), method="POST")).read()
'''


def test_provided_al2023_image_and_a_custom_entry_point(lam, role, ecr, context):
    """An OS-only base image runs /var/runtime/bootstrap with CMD as _HANDLER; an ENTRYPOINT
    of the image's own is the executable that talks to the Runtime API."""
    for name in ("bootstrap", "main"):
        path = os.path.join(context, name)
        with open(path, "w") as f:
            f.write(BOOTSTRAP)
        os.chmod(path, 0o755)
    with open(os.path.join(context, "Dockerfile.al2023"), "w") as f:
        f.write("FROM public.ecr.aws/lambda/provided:al2023\n"
                "COPY bootstrap ${LAMBDA_RUNTIME_DIR}\nCOPY main ./\n"
                'CMD ["function.handler"]\n')
    ecr.create_repository(repositoryName="al2023")
    uri = push_image(build(context, "Dockerfile.al2023"), "al2023")
    lam.create_function(FunctionName="os", PackageType="Image", Role=role,
                        Code={"ImageUri": uri})
    assert invoke_json(lam, "os", {"a": 1})[1] == {"handler": "function.handler",
                                                   "event": {"a": 1}, "me": "bootstrap"}
    lam.update_function_configuration(FunctionName="os", ImageConfig={
        "EntryPoint": ["/var/task/main"], "Command": ["other.handler"]})
    assert invoke_json(lam, "os", {"b": 2})[1] == {"handler": "other.handler",
                                                   "event": {"b": 2}, "me": "main"}


@pytest.mark.skipif(shutil.which("node") is None, reason="needs a node binary")
def test_nodejs_base_image(lam, role, ecr, context):
    """DG nodejs-image: FROM public.ecr.aws/lambda/nodejs:22, the code in ${LAMBDA_TASK_ROOT},
    CMD [ "index.handler" ]."""
    with open(os.path.join(context, "index.mjs"), "w") as f:
        f.write("export const handler = async (event) => ({node: process.version.startsWith('v'),"
                " greeting: process.env.GREETING, event});\n")
    with open(os.path.join(context, "Dockerfile.node"), "w") as f:
        f.write("FROM public.ecr.aws/lambda/nodejs:22\nENV GREETING=hello\n"
                "COPY index.mjs ${LAMBDA_TASK_ROOT}\nCMD [ \"index.handler\" ]\n")
    ecr.create_repository(repositoryName="node")
    uri = push_image(build(context, "Dockerfile.node"), "node")
    lam.create_function(FunctionName="nodeimg", PackageType="Image", Role=role,
                        Code={"ImageUri": uri})
    assert invoke_json(lam, "nodeimg", {"a": 1})[1] == {"node": True, "greeting": "hello",
                                                        "event": {"a": 1}}


def test_ecr_layer_upload_api(ecr, pushed):
    """What push_image uses, as ECR answers it."""
    uri, image = pushed
    digests = [image.config_digest, "sha256:" + "1" * 64]
    check = ecr.batch_check_layer_availability(repositoryName="fn", layerDigests=digests)
    assert [x["layerDigest"] for x in check["layers"]] == [image.config_digest]
    assert check["failures"][0]["failureCode"] == "MissingLayerDigest"
    up = ecr.initiate_layer_upload(repositoryName="fn")
    assert up["partSize"] > 0
    part = ecr.upload_layer_part(repositoryName="fn", uploadId=up["uploadId"], partFirstByte=0,
                                 partLastByte=2, layerPartBlob=b"abc")
    assert part["lastByteReceived"] == 2
    with pytest.raises(ClientError) as exc:
        ecr.upload_layer_part(repositoryName="fn", uploadId=up["uploadId"], partFirstByte=10,
                              partLastByte=12, layerPartBlob=b"def")
    assert exc.value.response["Error"]["Code"] == "InvalidLayerPartException"
    with pytest.raises(ClientError) as exc:
        ecr.complete_layer_upload(repositoryName="fn", uploadId=up["uploadId"],
                                  layerDigests=["sha256:" + "2" * 64])
    assert exc.value.response["Error"]["Code"] == "InvalidLayerException"
    up = ecr.initiate_layer_upload(repositoryName="fn")
    with pytest.raises(ClientError) as exc:
        ecr.complete_layer_upload(repositoryName="fn", uploadId=up["uploadId"],
                                  layerDigests=[image.config_digest])
    assert exc.value.response["Error"]["Code"] == "LayerAlreadyExistsException"
    with pytest.raises(ClientError) as exc:
        ecr.initiate_layer_upload(repositoryName="nosuchrepo")
    assert exc.value.response["Error"]["Code"] == "RepositoryNotFoundException"


def test_push_and_run_through_serve(tmp_path, context):
    """``python -m lambda_lab serve``: the image goes up over HTTP through ECR's API; the
    server keeps its layers and runs it."""
    port = free_port()
    proc, banner = start_server(str(tmp_path), "--port", str(port))
    try:
        assert f"http://127.0.0.1:{port}" in banner, banner + proc.stderr.read()
        kw = {"endpoint_url": f"http://127.0.0.1:{port}", "region_name": REGION,
              "aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
        ecr, lam = boto3.client("ecr", **kw), boto3.client("lambda", **kw)
        role = boto3.client("iam", **kw).create_role(
            RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        ecr.create_repository(repositoryName="srv")
        uri = push_image(build(context), "srv", client=ecr)
        lam.create_function(FunctionName="srvimg", PackageType="Image", Role=role,
                            Code={"ImageUri": uri})
        body = json.loads(lam.invoke(FunctionName="srvimg", Payload=b"{}")["Payload"].read())
        assert body["value"] == 7
    finally:
        proc.terminate()
        proc.wait(timeout=30)
