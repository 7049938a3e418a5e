"""Node.js handlers (nodejs22.x) through the local Runtime API, with the Node.js runtime's shapes
(and a provided.al2023 bootstrap from a .zip through the same API).

Sources (Lambda Developer Guide): nodejs-handler (ES module ``export const handler = async``,
CommonJS ``exports.handler``, callback handlers ``(event, context, callback)``; the handler
``index.handler`` names index.mjs / index.js); nodejs-context (functionName, awsRequestId,
memoryLimitInMB, getRemainingTimeInMillis()); nodejs-logging (text lines
``<timestamp>\\t<requestId>\\t<LEVEL>\\t<message>``, console.error at ERROR); nodejs-exceptions
(payload ``{"errorType", "errorMessage", "trace"}``, log line "Invoke Error"); the runtime's init
errors ``Runtime.ImportModuleError`` "Error: Cannot find module 'app'" and
``Runtime.HandlerNotFound`` "index.handler is undefined or not exported" (runtime interface
client's UserFunction, as quoted in public AWS console output); lambda-facts "Timeout" and
"REPORT log line".
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import zipfile

import pytest
from aws_helpers import aws, lam, role  # noqa: F401

needs_node = pytest.mark.skipif(shutil.which("node") is None, reason="needs a node binary")
ESM = """\
console.log("init phase");
export const handler = async (event, context) => {
  console.log("got", event);
  console.error("an error line");
  return {n: event.n, name: context.functionName, id: context.awsRequestId,
          memory: context.memoryLimitInMB, left: context.getRemainingTimeInMillis(),
          env: process.env.AWS_EXECUTION_ENV};
};
"""
CJS = """\
class BadInput extends Error { constructor(m) { super(m); this.name = "BadInput"; } }
exports.handler = (event, context, callback) => {
  if (event.fail) throw new BadInput("boom");
  if (event.sleep) { setTimeout(() => callback(null, "late"), event.sleep); return; }
  callback(null, "cb " + event.x);
};
"""


def zip_of(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return buf.getvalue()


def deploy(lam, role, name: str, files: dict[str, str], handler: str = "index.handler",
           **params) -> None:
    lam.create_function(FunctionName=name, Runtime="nodejs22.x", Role=role, Handler=handler,
                        Code={"ZipFile": zip_of(files)}, **params)


def call(lam, name: str, event: dict) -> tuple[dict, object, str]:
    resp = lam.invoke(FunctionName=name, Payload=json.dumps(event).encode(), LogType="Tail")
    return resp, json.loads(resp["Payload"].read()), base64.b64decode(resp["LogResult"]).decode()


@needs_node
def test_esm_handler_context_and_logs(lam, role):
    deploy(lam, role, "esm", {"index.mjs": ESM}, MemorySize=256, Timeout=5)
    resp, body, log = call(lam, "esm", {"n": 1})
    rid = resp["ResponseMetadata"]["HTTPHeaders"]["x-amzn-requestid"]
    assert "FunctionError" not in resp
    assert body["n"] == 1 and body["name"] == "esm" and body["id"] == rid
    assert body["memory"] == "256" and 0 < body["left"] <= 5000
    assert body["env"] == "AWS_Lambda_nodejs22.x"
    stamp = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"
    assert re.search(rf"^{stamp}\t{rid}\tINFO\tgot {{ n: 1 }}$", log, re.M)
    assert re.search(rf"^{stamp}\t{rid}\tERROR\tan error line$", log, re.M)
    assert re.search(r"^REPORT RequestId: .*\tInit Duration: [\d.]+ ms", log, re.M)


@needs_node
def test_commonjs_callback_and_errors(lam, role):
    deploy(lam, role, "cjs", {"index.js": CJS}, Timeout=1)
    assert call(lam, "cjs", {"x": 2})[1] == "cb 2"
    resp, body, log = call(lam, "cjs", {"fail": True})
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "BadInput" and body["errorMessage"] == "boom"
    assert body["trace"][0] == "BadInput: boom"
    assert "\tERROR\tInvoke Error \t{\"errorType\":\"BadInput\"" in log
    resp, body, log = call(lam, "cjs", {"sleep": 3000})
    assert resp["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in body["errorMessage"]


@needs_node
def test_init_errors(lam, role):
    deploy(lam, role, "nomod", {"index.js": CJS}, handler="app.handler")
    resp, body, log = call(lam, "nomod", {})
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.ImportModuleError"
    assert body["errorMessage"].startswith("Error: Cannot find module 'app'")
    assert "\tERROR\tUncaught Exception \t" in log
    deploy(lam, role, "noexport", {"index.mjs": ESM}, handler="index.nothere")
    body = call(lam, "noexport", {})[1]
    assert body["errorType"] == "Runtime.HandlerNotFound"
    assert body["errorMessage"] == "index.nothere is undefined or not exported"


def test_without_node_create_succeeds_and_invoke_says_why(lam, role, monkeypatch):
    import lambda_lab.runtimes.nodejs as nodejs

    monkeypatch.setattr(nodejs.shutil, "which", lambda name: None)
    deploy(lam, role, "nonode", {"index.mjs": ESM})
    resp, body, log = call(lam, "nonode", {})
    assert resp["FunctionError"] == "Unhandled"
    assert body["errorType"] == "Runtime.InvalidEntrypoint"
    assert body["errorMessage"] == nodejs.NODE_MISSING
    assert nodejs.NODE_MISSING in log


BOOTSTRAP = r'''#!/usr/bin/env python3
import json, os, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"
while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    urllib.request.urlopen(urllib.request.Request(f"{api}/invocation/{rid}/response",
        data=json.dumps({"handler": os.environ["_HANDLER"], "event": event}).encode(),
        method="POST")).read()
'''


def test_provided_al2023_zip_through_the_api(lam, role):
    """DG runtimes-custom: a .zip with an executable ``bootstrap`` (its permissions kept from the
    archive) on provided.al2023 serves invocations through the Runtime API."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        info = zipfile.ZipInfo("bootstrap")
        info.external_attr = 0o755 << 16
        zf.writestr(info, BOOTSTRAP)
    lam.create_function(FunctionName="custom", Runtime="provided.al2023", Role=role,
                        Handler="function.handler", Code={"ZipFile": buf.getvalue()})
    assert call(lam, "custom", {"a": 1})[1] == {"handler": "function.handler",
                                                "event": {"a": 1}}
