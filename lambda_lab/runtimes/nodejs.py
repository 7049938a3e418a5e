"""Node.js handlers (``nodejs22.x``, ``nodejs24.x``): the runtime interface client in
``nodejs_ric.mjs``, started with the host's ``node``, serves invocations through the local Runtime
API like a custom runtime's bootstrap — so the same limits, logs and REPORT lines apply.

Where no ``node`` is on the PATH the function still deploys; its invocations fail with the init
error ``Runtime.InvalidEntrypoint`` saying so.
"""

from __future__ import annotations

import hashlib
import os
import shlex
import shutil
import sys
from dataclasses import replace

from ..execution.spec import EnvironmentSpec
from ..execution.state import subdir

__all__ = ["NODE_MISSING", "RIC", "bootstrap", "node_spec"]

RIC = os.path.join(os.path.dirname(os.path.abspath(__file__)), "nodejs_ric.mjs")
NODE_MISSING = ("lambda_lab: Node.js handlers need a node binary on the PATH, and none was "
                "found; install Node.js (https://nodejs.org) and invoke again.")

_NO_NODE = """import json, os, sys, urllib.request
print(MESSAGE, flush=True)
url = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime/init/error"
body = json.dumps({"errorType": "Runtime.InvalidEntrypoint", "errorMessage": MESSAGE})
urllib.request.urlopen(urllib.request.Request(url, data=body.encode(), method="POST")).read()
sys.exit(1)
"""


def bootstrap(node: str | None = None) -> str:
    """An executable that starts the runtime interface client with ``node`` (found on the PATH
    when not given), or that explains why it cannot; written once in the state folder."""
    node = node or shutil.which("node")
    if node:
        script = f"#!/bin/sh\nexec {shlex.quote(node)} {shlex.quote(RIC)}\n"
    else:  # report an init error through the Runtime API, as a runtime that cannot start
        script = f"#!{sys.executable}\n" + _NO_NODE.replace("MESSAGE", repr(NODE_MISSING))
    name = hashlib.sha256(script.encode()).hexdigest()[:16]
    path = os.path.join(subdir("runtimes"), f"nodejs-{name}")
    if not os.path.exists(path):
        tmp = f"{path}.{os.getpid()}"
        with open(tmp, "w") as f:
            f.write(script)
        os.chmod(tmp, 0o755)
        os.replace(tmp, path)
    return path


def node_spec(spec: EnvironmentSpec) -> EnvironmentSpec:
    """``spec`` (a Node.js function's) run by the Node.js runtime interface client."""
    return replace(spec, bootstrap=bootstrap())
