"""Strict handler imports (issue #15 "Handlers see only what Lambda gives them").

AWS facts: the Python runtime's search path is ``LAMBDA_TASK_ROOT`` (/var/task) first, then the
layers' ``/opt/python/lib/pythonX.Y/site-packages`` and ``/opt/python``, then the runtime's
libraries (DG "Building Lambda functions with Python": "By default, the runtime searches the
$LAMBDA_TASK_ROOT directory first"; "Working with layers for Python Lambda functions": layer
paths). The runtime includes the AWS SDK for Python (boto3) and its dependencies; anything
else must come in the package or a layer. A module that cannot be imported fails the init with
``Runtime.ImportModuleError`` and "Unable to import module 'lambda_function': No module named
'<name>'" (DG "Troubleshoot invocation issues": Runtime.ImportModuleError).
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import io
import json
import logging
import os
import zipfile

import pytest
from aws_helpers import aws, create, invoke_json, lam, role  # noqa: F401

from lambda_lab.execution import import_policy
from lambda_lab.packaging import build_layer

IMPORTS = """
import importlib
def handler(event, context):
    out = {}
    for name in event["modules"]:
        try:
            importlib.import_module(name)
            out[name] = "ok"
        except ImportError as e:
            out[name] = str(e)
    return out
"""


@pytest.fixture
def strict():
    """Strict imports are the default (unless LAMBDA_LAB_STRICT_IMPORTS=0): made explicit."""
    import_policy.set_strict_imports(True)
    yield
    import_policy.set_strict_imports(None)


@pytest.fixture
def lenient():
    import_policy.set_strict_imports(False)
    yield
    import_policy.set_strict_imports(None)


def imports_of(source: str) -> str:
    return f"import {source}\ndef handler(event, context):\n    return 'ok'\n"


@pytest.mark.parametrize("module", ["pydantic", "moto", "pytest", "lambda_lab"])
def test_a_host_package_is_an_import_module_error(strict, lam, create, module):
    name = create(imports_of(module))
    resp, body = invoke_json(lam, name)
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"] == (f"Unable to import module 'lambda_function': "
                                    f"No module named '{module}'")


def test_the_runtime_has_the_standard_library_and_the_sdk(strict, lam, create):
    name = create(IMPORTS, MemorySize=1769, Timeout=30)
    modules = ["json", "sqlite3", "asyncio", "boto3", "botocore", "jmespath", "s3transfer",
               "urllib3", "dateutil", "six", "email.utils", "boto3.dynamodb.conditions",
               "requests", "numpy", "yaml"]
    _, body = invoke_json(lam, name, {"modules": modules})
    assert {m: body[m] for m in modules[:12]} == dict.fromkeys(modules[:12], "ok")
    for missing in ("requests", "numpy", "yaml"):
        assert body[missing] == f"No module named '{missing}'"


def test_code_in_the_package_and_a_layer_built_from_installed_packages_import(
        strict, tmp_path, lam, create):
    """The course's honest way to ship a dependency: a layer from packages installed here."""
    report = build_layer(str(tmp_path / "xray.zip"), installed=["aws-xray-sdk", "wrapt"])
    assert report is not None
    layer = lam.publish_layer_version(
        LayerName="xray-sdk", Content={"ZipFile": (tmp_path / "xray.zip").read_bytes()},
        CompatibleRuntimes=["python3.12"])["LayerVersionArn"]
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lambda_function.py", IMPORTS + "\nimport sys, os\n"
                    "def paths(event, context):\n"
                    "    import aws_xray_sdk, vendored.tool\n"
                    "    return {'path': sys.path[:3], 'root': os.environ['LAMBDA_TASK_ROOT'],\n"
                    "            'sdk': aws_xray_sdk.__file__, 'tool': vendored.tool.X}\n")
        zf.writestr("vendored/__init__.py", "")
        zf.writestr("vendored/tool.py", "X = 42\n")
    name = create("", Code={"ZipFile": buf.getvalue()}, Layers=[layer],
                  Handler="lambda_function.paths", MemorySize=1769, Timeout=30)
    resp, body = invoke_json(lam, name)
    assert "FunctionError" not in resp, body
    assert body["tool"] == 42
    root, site, python = body["path"]
    assert root == body["root"]
    assert site.endswith(os.path.join("python", "lib", "python3.12", "site-packages"))
    assert python == os.path.dirname(os.path.dirname(os.path.dirname(site)))
    assert body["sdk"].startswith(python + os.sep)
    # without the layer the same import fails
    other = create(imports_of("aws_xray_sdk"))
    _, body = invoke_json(lam, other)
    assert body["errorMessage"].endswith("No module named 'aws_xray_sdk'")


def test_strict_imports_are_the_default(monkeypatch):
    monkeypatch.delenv(import_policy.ENV_FLAG, raising=False)
    assert import_policy.strict_imports_enabled()
    monkeypatch.setenv(import_policy.ENV_FLAG, "0")
    assert not import_policy.strict_imports_enabled()


def test_with_strict_imports_off_the_host_packages_stay_visible(lenient, lam, create):
    """The way out (LAMBDA_LAB_STRICT_IMPORTS=0): the host's packages, as before."""
    name = create(IMPORTS, MemorySize=1769, Timeout=30)
    _, body = invoke_json(lam, name, {"modules": ["pydantic"]})
    assert body == {"pydantic": "ok"}


def test_a_runtime_other_than_the_hosts_python_is_noted_once(caplog):
    import_policy._warned.clear()
    with caplog.at_level(logging.INFO, logger="lambda_lab.runtime"):
        for _ in range(3):
            import_policy.python_version_notice("python3.9")
    notes = [r for r in caplog.records if r.name == "lambda_lab.runtime"]
    assert len(notes) == 1 and notes[0].levelno == logging.WARNING
    assert "python3.9" in notes[0].getMessage()


def test_the_allowlist_is_resolved_from_the_installed_distributions():
    names = set(import_policy.runtime_modules())
    assert {"boto3", "botocore", "jmespath", "s3transfer", "urllib3", "dateutil",
            "six"} <= names
    assert not names & {"moto", "pytest", "pydantic", "lambda_lab"}
    assert json.dumps(sorted(names))  # sent to the worker as JSON
