"""Deploying .zip packages directly and from S3, with AWS's size errors (issue 15).

Sources:
- DG gettingstarted-limits: 50 MB zipped for a direct upload, "use Amazon S3 for larger
  files"; 250 MB unzipped, code and layers together.
- LocalStack's AWS-validated recordings, tests/aws/services/lambda_/test_lambda_api.snapshot.json
  (recorded 2025-11-25 unless noted), class TestLambdaSizeLimits:
  test_oversized_zipped_create_lambda: a ZipFile over 50 MB ->
  RequestEntityTooLargeException (413) "Zipped size must be smaller than 52428800 bytes";
  test_oversized_request_create_lambda: a zip under 50 MB in a larger request ->
  RequestEntityTooLargeException (413) "Request must be smaller than 70167211 bytes for the
  CreateFunction operation"; test_oversized_unzipped_lambda: a package from S3 whose single file
  is exactly 262,144,000 bytes -> InvalidParameterValueException "Unzipped size must be smaller
  than 262144000 bytes"; test_large_lambda: from S3, 1,000 bytes under that limit deploys.
  TestLambdaFunction::test_lambda_code_location_s3_errors: a missing bucket / key ->
  InvalidParameterValueException "Error occurred while GetObject. S3 Error Code: NoSuchBucket. S3
  Error Message: The specified bucket does not exist" / "... NoSuchKey. S3 Error Message: The
  specified key does not exist.", for CreateFunction and UpdateFunctionCode alike.
- UpdateFunctionCode over the limit: "Request must be smaller than 69905067 bytes for the
  UpdateFunctionCode operation" (AWS CLI/SDK output quoted in many public reports; 69,905,067 is
  the base64 size of 50 MiB, so a direct upload of a 50 MiB package cannot pass).
- Python runtime (awslambdaric bootstrap): a handler module that cannot be imported fails the
  invocation with errorType "Runtime.ImportModuleError", "Unable to import module 'x': No module
  named 'x'".
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import io
import os
import zipfile

import pytest
from aws_helpers import aws, create, invoke_json, lam, make_zip, role, s3  # noqa: F401
from botocore.exceptions import ClientError

from lambda_lab import limits

SMALL = "def handler(event, context):\n    return {'v': 1}\n"


def error(exc: pytest.ExceptionInfo) -> tuple[str, str, int]:
    e = exc.value.response
    return e["Error"]["Code"], e["Error"]["Message"], e["ResponseMetadata"]["HTTPStatusCode"]


def stored_zip(size: int) -> bytes:
    """A zip of exactly ``size`` bytes: a handler, incompressible bytes, a comment to pad."""
    blob = os.urandom(size - 1000)

    def build(comment: bytes) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
            zf.writestr("lambda_function.py", SMALL)
            zf.writestr("blob.bin", blob)
            zf.comment = comment
        return buf.getvalue()

    data = build(b"")
    data = build(b"#" * (size - len(data)))
    assert len(data) == size
    return data


def padded_to(total: int) -> bytes:
    """A zip whose only file, lambda_function.py, is exactly ``total`` bytes unzipped."""
    text = SMALL + "#" * (total - len(SMALL))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=1) as zf:
        zf.writestr("lambda_function.py", text)
    return buf.getvalue()


def test_zipfile_over_50_mb_is_refused(lam, role):
    """test_oversized_zipped_create_lambda: 413 RequestEntityTooLargeException."""
    data = stored_zip(limits.ZIPPED_MAX_BYTES + 1)
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="big", Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler", Code={"ZipFile": data})
    assert error(exc) == ("RequestEntityTooLargeException",
                          "Zipped size must be smaller than 52428800 bytes", 413)
    assert lam.list_functions()["Functions"] == []


def test_create_request_over_its_limit(lam, role):
    """test_oversized_request_create_lambda: a zip under 50 MB, the request over 70,167,211
    bytes (checked before the environment's 4 KB limit)."""
    data = stored_zip(limits.ZIPPED_MAX_BYTES - 1024 * 1024)
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="big", Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler", Code={"ZipFile": data},
                            Environment={"Variables": {"largeKey": "x" * (2 * 1024 * 1024)}})
    assert error(exc) == ("RequestEntityTooLargeException",
                          "Request must be smaller than 70167211 bytes for the CreateFunction "
                          "operation", 413)


def test_update_function_code_request_over_its_limit(lam, create):
    """UpdateFunctionCode: a package just under 50 MiB base64-encodes past 69,905,067 bytes."""
    name = create(SMALL)
    data = stored_zip(limits.ZIPPED_MAX_BYTES - 1)
    with pytest.raises(ClientError) as exc:
        lam.update_function_code(FunctionName=name, ZipFile=data)
    assert error(exc) == ("RequestEntityTooLargeException",
                          "Request must be smaller than 69905067 bytes for the "
                          "UpdateFunctionCode operation", 413)
    assert invoke_json(lam, name)[1] == {"v": 1}  # the old code stays


def test_over_50_mb_through_s3_deploys_and_runs(lam, s3, role):
    """DG: packages over 50 MB go through S3; only the 250 MB unzipped limit applies."""
    data = stored_zip(limits.ZIPPED_MAX_BYTES + 1024 * 1024)
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="big.zip", Body=data)
    out = lam.create_function(FunctionName="bigs3", Runtime="python3.12", Role=role,
                              Handler="lambda_function.handler",
                              Code={"S3Bucket": "code", "S3Key": "big.zip"})
    assert out["CodeSize"] == len(data)
    assert invoke_json(lam, "bigs3")[1] == {"v": 1}


def test_layer_over_50_mb_through_s3(lam, s3, create):
    """DG gettingstarted-limits / packaging-layers: a layer from S3 may be over 50 MB zipped;
    the same layer as ZipFile is refused."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("python/fat.py", "SIZE = 51\n")
        zf.writestr("python/blob.bin", os.urandom(limits.ZIPPED_MAX_BYTES + 1024 * 1024))
    s3.create_bucket(Bucket="layers")
    s3.put_object(Bucket="layers", Key="fat.zip", Body=buf.getvalue())
    arn = lam.publish_layer_version(LayerName="fat", Content={
        "S3Bucket": "layers", "S3Key": "fat.zip"})["LayerVersionArn"]
    name = create("import fat\ndef handler(e, c):\n    return fat.SIZE\n", Layers=[arn])
    assert invoke_json(lam, name)[1] == 51
    with pytest.raises(ClientError) as exc:
        lam.publish_layer_version(LayerName="fat", Content={"ZipFile": buf.getvalue()})
    assert error(exc)[0] == "RequestEntityTooLargeException"


def test_unzipped_limit_through_s3(lam, s3, role):
    """test_oversized_unzipped_lambda: exactly 262,144,000 bytes unzipped is refused ("must be
    smaller than"); test_large_lambda: 1,000 bytes less deploys."""
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="at.zip", Body=padded_to(limits.UNZIPPED_MAX_BYTES))
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="huge", Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler",
                            Code={"S3Bucket": "code", "S3Key": "at.zip"})
    assert error(exc) == ("InvalidParameterValueException",
                          "Unzipped size must be smaller than 262144000 bytes", 400)
    s3.put_object(Bucket="code", Key="under.zip",
                  Body=padded_to(limits.UNZIPPED_MAX_BYTES - 1000))
    lam.create_function(FunctionName="large", Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler",
                        Code={"S3Bucket": "code", "S3Key": "under.zip"})
    assert invoke_json(lam, "large")[1] == {"v": 1}


def test_missing_bucket_or_key(lam, s3, role, create):
    """test_lambda_code_location_s3_errors, for CreateFunction and UpdateFunctionCode."""
    s3.create_bucket(Bucket="code")
    no_bucket = ("InvalidParameterValueException", "Error occurred while GetObject. S3 Error "
                 "Code: NoSuchBucket. S3 Error Message: The specified bucket does not exist", 400)
    no_key = ("InvalidParameterValueException", "Error occurred while GetObject. S3 Error Code: "
              "NoSuchKey. S3 Error Message: The specified key does not exist.", 400)
    for bucket, expected in (("nobucket", no_bucket), ("code", no_key)):
        with pytest.raises(ClientError) as exc:
            lam.create_function(FunctionName="f", Runtime="python3.12", Role=role,
                                Handler="lambda_function.handler",
                                Code={"S3Bucket": bucket, "S3Key": "missing.zip"})
        assert error(exc) == expected
    name = create(SMALL)
    for bucket, expected in (("nobucket", no_bucket), ("code", no_key)):
        with pytest.raises(ClientError) as exc:
            lam.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key="missing.zip")
        assert error(exc) == expected


def test_s3_object_version_picks_that_version(lam, s3, role):
    """FunctionCode.S3ObjectVersion: "For versioned objects, the version of the deployment
    package object to use" (API FunctionCode)."""
    s3.create_bucket(Bucket="code")
    s3.put_bucket_versioning(Bucket="code", VersioningConfiguration={"Status": "Enabled"})
    v1 = s3.put_object(Bucket="code", Key="f.zip", Body=make_zip(
        "def handler(e, c):\n    return 'one'\n"))["VersionId"]
    s3.put_object(Bucket="code", Key="f.zip", Body=make_zip(
        "def handler(e, c):\n    return 'two'\n"))
    lam.create_function(FunctionName="ver", Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler",
                        Code={"S3Bucket": "code", "S3Key": "f.zip", "S3ObjectVersion": v1})
    assert invoke_json(lam, "ver")[1] == "one"
    lam.update_function_code(FunctionName="ver", S3Bucket="code", S3Key="f.zip")
    assert invoke_json(lam, "ver")[1] == "two"


def test_handler_module_missing_from_the_package(lam, create):
    """The runtime's Runtime.ImportModuleError, at invoke time: for the handler's own module,
    and for a dependency left out of the package."""
    name = create(SMALL, Handler="app.handler")
    resp, body = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"] == "Unable to import module 'app': No module named 'app'"
    assert body["stackTrace"] == []
    name = create("import tinydep_not_packaged\n" + SMALL)
    resp, body = invoke_json(lam, name)
    assert body == {"errorMessage": "Unable to import module 'lambda_function': No module "
                                    "named 'tinydep_not_packaged'",
                    "errorType": "Runtime.ImportModuleError", "requestId": "",
                    "stackTrace": []}
