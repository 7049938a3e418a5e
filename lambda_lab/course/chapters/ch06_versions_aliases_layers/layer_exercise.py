"""The layer exercise of notebooks/06-versions-aliases-layers: package a shared library as a layer
so that a python3.12 function's ``import shared_lib`` works. Importing this module registers it.

The learner writes ``shared_layer(library)``, returning the keyword arguments of
``publish_layer_version``. The checker reads the .zip's paths (AWS DG "Packaging your layer
content": Lambda extracts a layer into ``/opt``; Python finds modules under ``python/`` or
``python/lib/python3.x/site-packages/``), then publishes the layer in the active
``lambda_lab.mock_aws()`` session (or a new one on a virtual clock), attaches it to a python3.12
function, invokes it, and lists the layer's versions for the runtime (API reference
ListLayerVersions: ``CompatibleRuntime`` lists only the versions that say they are compatible).
"""

from __future__ import annotations

import io
import itertools
import json
import re
import zipfile
from typing import Any

from lambda_lab.course.checks import LastRun
from lambda_lab.course.exercises import Check, Exercise, register, solution_source

__all__ = ["CHECKOUT", "RUNTIME", "SHARED_LAYER", "SHARED_LIB"]

#: The runtime of the function the layer is for.
RUNTIME = "python3.12"

#: The library to package: path in the learner's project -> content.
SHARED_LIB: dict[str, str] = {
    "shared_lib/__init__.py": 'VERSION = "1.0"\n',
    "shared_lib/tax.py": (
        "RATE = 0.2\n\n\ndef with_vat(prices):\n"
        "    return round(sum(prices) * (1 + RATE), 2)\n"
    ),
}

#: The function that imports it (deployed as lambda_function.py).
CHECKOUT = """\
import shared_lib
from shared_lib import tax


def handler(event, context):
    return {"total": tax.with_vat(event["prices"]), "version": shared_lib.VERSION}
"""
_CHECKOUT_EVENT = {"prices": [10, 5]}
_CHECKOUT_RESULT = {"total": 18.0, "version": "1.0"}

#: A second library, to check that the answer packages whatever it is given.
_OTHER_LIB = {"greeting.py": 'def hello(name):\n    return f"Hello, {name}!"\n'}
_GREET = """\
import greeting


def handler(event, context):
    return greeting.hello(event["name"])
"""
_GREET_EVENT = {"name": "Ada"}
_GREET_RESULT = "Hello, Ada!"

_STUB = '''\
def shared_layer(library):
    """The keyword arguments of lam.publish_layer_version (all but LayerName) for a layer
    holding `library` ({path in your project: content}) that a python3.12 function can import."""
    # TODO: return {"Content": {"ZipFile": layer_zip({<path in the .zip>: content, ...})},
    #               "CompatibleRuntimes": [...]}
    ...
'''

_ARGUMENTS = {"LayerName", "Description", "Content", "CompatibleRuntimes",
              "CompatibleArchitectures", "LicenseInfo"}
_SITE_PACKAGES = f"python/lib/{RUNTIME}/site-packages/"


def _layer_args(answer: Any, library: dict[str, str]) -> dict[str, Any]:
    """``answer(library)`` checked as publish_layer_version's arguments, without LayerName (the
    checker names the layer). AssertionError with a hint when it is not."""
    args = answer(dict(library))
    assert isinstance(args, dict), (
        f"return a dict of publish_layer_version's arguments, not {type(args).__name__}")
    unknown = sorted(set(args) - _ARGUMENTS)
    assert not unknown, (
        f"publish_layer_version has no argument {unknown[0]!r}: return "
        "{'Content': {'ZipFile': layer_zip(files)}, 'CompatibleRuntimes': [...]}")
    content = args.get("Content")
    assert isinstance(content, dict) and "ZipFile" in content, (
        "the layer's files go in Content={'ZipFile': <the .zip's bytes>}")
    data = content["ZipFile"]
    assert isinstance(data, (bytes, bytearray)) and zipfile.is_zipfile(io.BytesIO(data)), (
        "Content's ZipFile is the bytes of a .zip: build it with layer_zip({path: content})")
    return {k: v for k, v in args.items() if k != "LayerName"}


def _returns_layer_arguments(answer: Any) -> None:
    _layer_args(answer, SHARED_LIB)


def _zip_names(args: dict[str, Any]) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(args["Content"]["ZipFile"])) as zf:
        return [n for n in zf.namelist() if not n.endswith("/")]


def _misplaced(path: str, names: list[str]) -> str:
    """Why the library's file ``path`` is not where a python3.12 function looks."""
    found = [n for n in names if n == path or n.endswith("/" + path)]
    if not found:
        base = path.rsplit("/", 1)[-1]
        moved = [n for n in names if n.rsplit("/", 1)[-1] == base]
        if moved:
            return (f"{path} is at {moved[0]!r}: keep the library's folders, "
                    f"'python/{path}' (`from shared_lib import tax` needs the folder shared_lib/)")
        return f"the layer has no {path}: put every file of the library in it"
    where = found[0][: -len(path)]
    if where == "":
        return (f"{path!r} is at the top of the .zip: Lambda extracts a layer into /opt and "
                f"Python looks in /opt/python, so put it at 'python/{path}'")
    version = re.fullmatch(r"python/lib/(python[^/]*)/site-packages/", where)
    if version:
        return (f"{found[0]!r} is in the site-packages of {version.group(1)}: a {RUNTIME} "
                f"function looks in {_SITE_PACKAGES} (or python/), so use 'python/{path}'")
    if where.startswith("nodejs/"):
        return (f"{found[0]!r}: nodejs/node_modules is where Node.js looks; the Python runtime "
                f"looks in python/, so use 'python/{path}'")
    if where.startswith("opt/"):
        return (f"{found[0]!r} lands in /opt/opt/...: Lambda adds /opt itself, so the path in "
                f"the .zip is 'python/{path}'")
    return (f"{found[0]!r} is not on a Python function's sys.path (/opt/python or "
            f"/opt/{_SITE_PACKAGES.rstrip('/')}): put it at 'python/{path}'")


def _files_where_python_looks(answer: Any) -> str | None:
    names = _zip_names(_layer_args(answer, SHARED_LIB))
    for path in SHARED_LIB:
        if f"python/{path}" not in names and f"{_SITE_PACKAGES}{path}" not in names:
            return _misplaced(path, names)
    return None


_run_numbers = itertools.count(1)


def _run(answer: Any) -> dict[str, Any]:
    """Publish the answer's layers and invoke a function with each (cached per answer).

    Uses the active ``lambda_lab.mock_aws()`` session if there is one (they do not nest), else a
    new one on a virtual clock."""
    return _last_layer_run(answer)


def _through_lambda(answer: Any) -> dict[str, Any]:
    import boto3
    from botocore.exceptions import ClientError

    from lambda_lab.course.roles import lambda_role
    from lambda_lab.course.shared import make_zip

    lam = boto3.client("lambda", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    n = next(_run_numbers)
    role_name = f"exercise-shared-layer-{n}"
    role = lambda_role(iam, role_name)
    functions: list[str] = []
    layers: list[tuple[str, int]] = []
    out: dict[str, Any] = {}
    runs = (("shared", SHARED_LIB, CHECKOUT, _CHECKOUT_EVENT),
            ("other", _OTHER_LIB, _GREET, _GREET_EVENT))
    try:
        for key, library, handler, event in runs:
            name = f"exercise-shared-layer-{n}-{key}"
            try:
                published = lam.publish_layer_version(LayerName=name,
                                                      **_layer_args(answer, library))
            except ClientError as e:
                error = e.response["Error"]
                out[key] = {"refused": f"{error['Code']}: {error['Message']}"}
                continue
            layers.append((name, published["Version"]))
            listed = lam.list_layer_versions(LayerName=name, CompatibleRuntime=RUNTIME)
            lam.create_function(FunctionName=name, Runtime=RUNTIME, Role=role,
                                Handler="lambda_function.handler",
                                Code={"ZipFile": make_zip(handler)},
                                Layers=[published["LayerVersionArn"]])
            functions.append(name)
            got = lam.invoke(FunctionName=name, Payload=json.dumps(event))
            out[key] = {
                "refused": None,
                "runtimes": published.get("CompatibleRuntimes", []),
                "listed": any(v["Version"] == published["Version"]
                              for v in listed["LayerVersions"]),
                "function_error": got.get("FunctionError"),
                "payload": json.loads(got["Payload"].read()),
            }
    finally:
        for name in functions:
            lam.delete_function(FunctionName=name)
        for name, version in layers:
            lam.delete_layer_version(LayerName=name, VersionNumber=version)
        iam.delete_role(RoleName=role_name)
    return out


_last_layer_run = LastRun(lambda _aws, answer: _through_lambda(answer))


def _is_accepted(answer: Any) -> str | None:
    refused = _run(answer)["shared"]["refused"]
    return f"Lambda refused the layer: {refused}" if refused else None


def _invoked(run: dict[str, Any], expected: Any, module: str) -> str | None:
    if run["refused"]:
        return "Lambda refused the layer, so no function could use it"
    payload = run["payload"]
    if run["function_error"]:
        if isinstance(payload, dict) and payload.get("errorType") == "Runtime.ImportModuleError":
            return (f"the function could not import {module} ({payload.get('errorMessage')}): "
                    "the layer's files must land in /opt/python")
        return f"the function failed: {payload}"
    if payload != expected:
        return f"the function returned {payload!r}, not {expected!r}: keep the files' content"
    return None


def _function_imports_it(answer: Any) -> str | None:
    return _invoked(_run(answer)["shared"], _CHECKOUT_RESULT, "shared_lib")


def _listed_for_the_runtime(answer: Any) -> str | None:
    run = _run(answer)["shared"]
    if run["refused"] or run["listed"]:
        return None if run["listed"] else "Lambda refused the layer"
    if not run["runtimes"]:
        return (f"without CompatibleRuntimes Lambda still attaches the layer, but "
                f"ListLayerVersions(CompatibleRuntime='{RUNTIME}') and the console's layer list "
                f"leave it out: add CompatibleRuntimes=['{RUNTIME}']")
    return (f"CompatibleRuntimes={run['runtimes']!r} does not name {RUNTIME}, the function's "
            f"runtime, so ListLayerVersions(CompatibleRuntime='{RUNTIME}') leaves the layer out")


def _works_for_any_library(answer: Any) -> str | None:
    if _invoked(_run(answer)["other"], _GREET_RESULT, "greeting"):
        return ("with another library, {'greeting.py': ...}, the function could not import "
                "greeting: build the paths from the library's keys, not from shared_lib's")
    return None


SHARED_LAYER = register(
    Exercise(
        id="shared-layer",
        title="A layer that makes `import shared_lib` work",
        topic="06-versions-aliases-layers",
        answer_name="shared_layer",
        stub=_STUB,
        checks=[
            Check("it returns publish_layer_version's arguments, with a .zip in "
                  "Content={'ZipFile': ...}", _returns_layer_arguments),
            Check("Lambda accepts the layer", _is_accepted),
            Check("every file of the library is where a python3.12 function looks: under "
                  "python/ (or python/lib/python3.12/site-packages/)", _files_where_python_looks),
            Check("a python3.12 function with the layer imports shared_lib and computes the "
                  "total", _function_imports_it),
            Check("ListLayerVersions(CompatibleRuntime='python3.12') lists the layer",
                  _listed_for_the_runtime),
            Check("it packages any library it is given", _works_for_any_library),
        ],
        hints=[
            "Lambda extracts a layer's .zip into /opt. Which folders of /opt does the Python "
            "runtime put on sys.path?",
            "/opt/python and /opt/python/lib/python3.12/site-packages: prefix each path of the "
            "library with 'python/', e.g. 'python/shared_lib/tax.py'.",
            "Return {'Content': {'ZipFile': layer_zip(files)}, 'CompatibleRuntimes': "
            "['python3.12']}.",
        ],
        solution=solution_source(__package__, "shared_layer"),
    )
)
