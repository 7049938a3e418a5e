"""notebooks/13-packaging-and-deployment: the chapter's helpers and its exercise.

Sources: DG python-package (dependencies installed with pip --target next to the function
code, at the root of the .zip); DG gettingstarted-limits (50 MB zipped for a direct upload,
250 MB unzipped: "Unzipped size must be smaller than 262144000 bytes", as in LocalStack's
AWS-validated recording TestLambdaSizeLimits::test_oversized_unzipped_lambda); DG python-logging
(the REPORT line's "Init Duration" on a cold start only); the Python runtime's
Runtime.ImportModuleError for a module the package does not hold; DG best-practices ("minimize
your deployment package size to its runtime necessities").
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import io
import os
import zipfile

import pytest
from aws_helpers import aws, lam, role, s3  # noqa: F401
from botocore.exceptions import ClientError

from lambda_lab.course import exercises as ex
from lambda_lab.course import packaging
from lambda_lab.packaging import build_zip


def test_sparse_zip_is_small_but_large_unzipped():
    data = packaging.sparse_zip(262_144_000)
    assert len(data) < 1_000_000
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sizes = {i.filename: i.file_size for i in zf.infolist()}
    assert sizes["data.bin"] == 262_144_000 and "lambda_function.py" in sizes


def test_sparse_zip_over_the_unzipped_limit_is_refused(lam, s3, role):
    """DG gettingstarted-limits: 250 MB unzipped; the AWS-recorded message."""
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="big.zip", Body=packaging.sparse_zip(262_144_000))
    with pytest.raises(ClientError) as exc:
        lam.create_function(FunctionName="big", Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler",
                            Code={"S3Bucket": "code", "S3Key": "big.zip"})
    assert exc.value.response["Error"]["Code"] == "InvalidParameterValueException"
    assert exc.value.response["Error"]["Message"] == \
        "Unzipped size must be smaller than 262144000 bytes"


def test_demo_wheels_build_and_the_forgotten_dependency_fails(lam, role, tmp_path):
    """Without its requirements the package lacks tinydep: Runtime.ImportModuleError at
    invoke; with them (pip --target from the local wheels) the handler returns 42."""
    wheels = packaging.demo_wheels(str(tmp_path / "wheels"), fat_modules=3)
    assert sorted(os.listdir(wheels)) == ["fatdep-1.0-py3-none-any.whl",
                                          "tinydep-1.0-py3-none-any.whl"]
    src = packaging.demo_project(str(tmp_path / "src"))
    bare = build_zip(src, str(tmp_path / "bare.zip"))
    full = build_zip(src, str(tmp_path / "full.zip"),
                     requirements=os.path.join(src, "requirements.txt"),
                     find_links=wheels, no_index=True)
    for name, report in (("bare", bare), ("full", full)):
        with open(report.path, "rb") as f:
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                Handler="lambda_function.handler", Code={"ZipFile": f.read()})
    assert packaging.invoke_line(lam.invoke(FunctionName="bare")) == (
        "❌ Runtime.ImportModuleError: Unable to import module 'lambda_function': "
        "No module named 'tinydep'")
    assert packaging.invoke_line(lam.invoke(FunctionName="full")) == '✅ {"value": 42}'


def test_init_duration_on_cold_start_only_and_a_fat_package_costs_more(lam, role, tmp_path):
    """DG python-logging: Init Duration on the cold start's REPORT line, not on warm ones;
    importing 150 modules at init takes longer than importing one."""
    wheels = packaging.demo_wheels(str(tmp_path / "wheels"))
    for name, req in (("lean", "tinydep==1.0\n"), ("fat", "tinydep==1.0\nfatdep==1.0\n")):
        handler = packaging.HANDLER if name == "lean" else "import fatdep\n" + packaging.HANDLER
        src = packaging.demo_project(str(tmp_path / name), handler, req)
        report = build_zip(src, str(tmp_path / f"{name}.zip"),
                           requirements=os.path.join(src, "requirements.txt"),
                           find_links=wheels, no_index=True)
        with open(report.path, "rb") as f:
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                Handler="lambda_function.handler", Code={"ZipFile": f.read()})
    lean = packaging.init_duration(lam, "lean")
    fat = packaging.init_duration(lam, "fat")
    assert lean is not None and fat is not None and fat > lean
    assert packaging.init_duration(lam, "lean") is None  # warm


def test_fix_package_reference_and_forgotten_dependency():
    exercise = ex.get("fix-package")
    assert exercise.check(exercise.reference_answer()).ok
    wrong = exercise.check(lambda src, output, wheels: build_zip(src, output).path)
    assert not wrong.ok and "no tinydep" in wrong.text
