"""Custom runtimes (provided.al2023): a bootstrap that talks to the local Runtime API."""

from __future__ import annotations

import os
import stat

import pytest

from lambda_lab import errors

BOOTSTRAP = r'''#!/usr/bin/env python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
print("init", os.environ["_HANDLER"], flush=True)
if os.environ.get("FAIL_INIT"):
    req = urllib.request.Request(api + "/init/error", method="POST",
        data=json.dumps({"errorMessage": "no config", "errorType": "Init.Config"}).encode())
    urllib.request.urlopen(req).read()
    raise SystemExit(1)
while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        headers = {k: r.headers[k] for k in ("Lambda-Runtime-Deadline-Ms",
                   "Lambda-Runtime-Invoked-Function-Arn")}
        event = json.loads(r.read())
    print("event", event, flush=True)
    if event.get("exit"):
        raise SystemExit(event["exit"])
    if event.get("sleep"):
        import time; time.sleep(event["sleep"])
    if event.get("fail"):
        body, kind = {"errorMessage": "bad input", "errorType": "Custom.Error"}, "error"
    else:
        body, kind = {"echo": event, "id": rid, "headers": headers}, "response"
    urllib.request.urlopen(urllib.request.Request(f"{api}/invocation/{rid}/{kind}",
        data=json.dumps(body).encode(), method="POST")).read()
'''


@pytest.fixture
def runtime_dir(tmp_path):
    path = tmp_path / "bootstrap"
    path.write_text(BOOTSTRAP)
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return tmp_path


def _deploy(deploy, folder, **kwargs):
    kwargs.setdefault("memory", 1024)
    return deploy(str(folder), runtime="provided.al2023", handler="function.handler", **kwargs)


def test_runtime_api_next_and_response_lambda_facts_runtime_api(deploy, runtime_dir):
    """lambda-facts B 'Runtime API': GET …/invocation/next with Lambda-Runtime-* headers,
    POST …/invocation/{AwsRequestId}/response."""
    fn = _deploy(deploy, runtime_dir)
    r = fn.invoke({"a": 1})
    assert r.ok and r.cold_start
    assert r.payload["echo"] == {"a": 1} and r.payload["id"] == r.request_id
    arn = r.payload["headers"]["Lambda-Runtime-Invoked-Function-Arn"]
    assert arn.endswith(f":function:{fn.name}")
    assert int(r.payload["headers"]["Lambda-Runtime-Deadline-Ms"]) > 0
    assert r.logs[0] == "init function.handler", "init output comes before START"
    assert r.logs[1].startswith("START RequestId:") and "event {'a': 1}" in r.logs
    assert r.init_duration_ms > 0
    assert not fn.invoke({"b": 2}).cold_start


def test_runtime_api_error_is_unhandled(deploy, runtime_dir):
    r = _deploy(deploy, runtime_dir).invoke({"fail": True})
    assert r.function_error == "Unhandled"
    assert r.payload == {"errorMessage": "bad input", "errorType": "Custom.Error"}


def test_runtime_api_init_error(deploy, runtime_dir):
    fn = _deploy(deploy, runtime_dir, environment={"FAIL_INIT": "1"})
    r = fn.invoke({})
    assert r.payload == {"errorMessage": "no config", "errorType": "Init.Config"}


def test_custom_runtime_timeout_and_exit(deploy, runtime_dir):
    fn = _deploy(deploy, runtime_dir, timeout=1)
    assert fn.invoke({"sleep": 5}).payload["errorType"] == "Sandbox.Timedout"
    r = fn.invoke({"exit": 2})
    assert r.payload["errorType"] == "Runtime.ExitError"
    assert r.payload["errorMessage"].endswith("Runtime exited with error: exit status 2")


def test_missing_bootstrap_is_invalid_entrypoint(deploy, tmp_path):
    (tmp_path / "README").write_text("no bootstrap here")
    r = _deploy(deploy, tmp_path).invoke({})
    assert r.payload["errorType"] == "Runtime.InvalidEntrypoint"
    assert "Couldn't find valid bootstrap(s)" in r.payload["errorMessage"]


def test_bootstrap_from_a_layer(deploy, runtime_dir, tmp_path):
    code = tmp_path / "code"
    code.mkdir()
    (code / "function.sh").write_text("# handler code\n")
    r = _deploy(deploy, code, layers=[str(runtime_dir)]).invoke({"x": 1})
    assert r.payload["echo"] == {"x": 1}


def test_unknown_runtime_family_cannot_execute():
    import lambda_lab as ll

    with pytest.raises(errors.InvalidParameterValueException):
        ll.deploy(os.getcwd(), name="java-fn", runtime="java21", handler="a.b")
