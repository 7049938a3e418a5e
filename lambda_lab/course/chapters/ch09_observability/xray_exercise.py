"""The X-Ray exercise of notebooks/09-observability: a handler that wraps its work in a
subsegment ``compute-total`` annotated with the order id. Importing this module registers it.

The checker deploys the handler (with the X-Ray SDK in a layer, ``TracingConfig`` ``Active``) in
the active ``lambda_lab.mock_aws()`` session (or a new one on a virtual clock), invokes it once,
and reads the trace back through the emulated X-Ray API: ``batch_get_traces`` for the
subsegment, its place under the function segment and its annotation, ``get_trace_summaries``
with a filter expression on the annotation. Sources: Lambda DG "Visualize Lambda function
invocations using AWS X-Ray" (the ``AWS::Lambda::Function`` segment and its ``Invocation``
subsegment), X-Ray DG "Generating custom subsegments with the X-Ray SDK for Python"
(``in_subsegment``) and "Add annotations and metadata to segments with the X-Ray SDK for Python"
(annotations are indexed for filter expressions, metadata is not; in Lambda the function
segment itself cannot be changed).
"""

from __future__ import annotations

import ast
import inspect
import itertools
import json
import linecache
import sys
import time
import types
from pathlib import Path
from typing import Any

from lambda_lab.course.checks import LastRun
from lambda_lab.course.exercises import (
    Check,
    Exercise,
    FakeContext,
    is_unanswered,
    register,
    solution_source,
)

__all__ = ["ORDER", "SUBSEGMENT", "XRAY_SUBSEGMENT"]

#: The subsegment's name and the event the checker sends.
SUBSEGMENT = "compute-total"
ORDER = {"order_id": "o-17", "items": [{"price": 12.5, "qty": 2}, {"price": 3.0, "qty": 1}]}
_TOTAL = 28.0

_STUB = '''\
from aws_xray_sdk.core import xray_recorder  # noqa: F401 - for your answer


def handler(event, context):
    # event: {"order_id": "o-17", "items": [{"price": 12.5, "qty": 2}, ...]}
    # TODO: compute the total inside a subsegment named "compute-total",
    #       with the annotation order_id (the event's order id)
    total = sum(item["price"] * item["qty"] for item in event["items"])
    return {"order_id": event["order_id"], "total": total}
'''
_WAIT_S = 1.5  #: real seconds to wait for the SDK's documents (UDP to the emulated daemon)
_MISSING = object()


def _lines(source: str) -> list[str]:
    return [line.rstrip() for line in inspect.cleandoc(source).splitlines() if line.strip()]


def _not_attempted(answer: Any) -> bool:
    """Nothing, a placeholder body, or the stub's handler exactly as given."""
    if is_unanswered(answer):
        return True
    try:
        text = inspect.getsource(answer)
    except (OSError, TypeError):
        return False
    return _lines(text) == _lines(_STUB[_STUB.index("def handler"):])


def _takes_event_and_context(handler: Any) -> str | None:
    if not inspect.isfunction(handler):
        return f"handler should be a function, not {type(handler).__name__}"
    try:
        inspect.signature(handler).bind({}, FakeContext())
    except TypeError:
        return "define it as def handler(event, context): — Lambda passes exactly two arguments"
    return None


def _names(code: types.CodeType) -> set[str]:
    names = set(code.co_names)
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _names(const)
    return names


def _object_imports(fn: Any) -> list[str]:
    """``from M import name`` for the globals ``fn`` uses that are objects of an installed
    package (``xray_recorder`` of ``aws_xray_sdk.core``), which module_from_function leaves
    out: it copies modules, functions, classes and literals only."""
    out = []
    for name in sorted(_names(fn.__code__)):
        value = fn.__globals__.get(name, _MISSING)
        if (value is _MISSING or inspect.isfunction(value) or inspect.isclass(value)
                or isinstance(value, (types.ModuleType, bool, int, float, str, bytes,
                                      type(None), tuple, list, dict))):
            continue
        package = type(value).__module__.split(".")[0]
        homes = sorted((m for m, mod in list(sys.modules.items())
                        if (m == package or m.startswith(package + "."))
                        and getattr(mod, name, None) is value), key=len)
        if homes:
            out.append(f"from {homes[0]} import {name}")
    return out


def _module_source(handler: Any) -> tuple[str, str]:
    """The module to deploy and the handler's name in it: the whole notebook cell that defined
    ``handler`` (its imports, helpers and module-level code, as the learner wrote them), or,
    for a function defined elsewhere, what :func:`lambda_lab.code.module_from_function` builds
    plus the objects it leaves out."""
    if getattr(handler, "__module__", None) in ("__main__", "__lambda_lab_course__"):
        text = "".join(linecache.getlines(handler.__code__.co_filename))
        try:
            tree = ast.parse(text)
        except SyntaxError:  # e.g. a cell with IPython magics
            tree = None
        if tree is not None and any(isinstance(n, ast.FunctionDef) and n.name == handler.__name__
                                    for n in tree.body):
            return text, handler.__name__
    from lambda_lab.code import module_from_function

    source, function = module_from_function(handler)
    imports = _object_imports(handler)
    return ("\n".join(imports) + "\n\n" + source if imports else source), function


_sdk_layer: list[bytes] = []


def _sdk_layer_zip() -> bytes:
    """The X-Ray SDK (and wrapt) as a layer, copied from this environment (built once)."""
    if not _sdk_layer:
        import tempfile

        from lambda_lab.packaging import build_layer

        with tempfile.TemporaryDirectory(prefix="lambda-lab-xray-sdk-") as tmp:
            built = build_layer(f"{tmp}/xray-sdk.zip", installed=["aws-xray-sdk", "wrapt"])
            _sdk_layer.append(Path(built.path).read_bytes())
    return _sdk_layer[0]


_run_numbers = itertools.count(1)


def _run(handler: Any) -> dict[str, Any]:
    """Deploy ``handler`` traced, invoke it once, read its trace (cached per handler).

    Uses the active ``lambda_lab.mock_aws()`` session if there is one (they do not nest), else a
    new one on a virtual clock."""
    return _last_traced_run(handler)


def _traced_run(aws: Any, handler: Any) -> dict[str, Any]:
    import base64

    import boto3

    from lambda_lab.course.chapters.ch09_observability.helpers import report_fields
    from lambda_lab.course.roles import lambda_role
    from lambda_lab.course.shared import make_zip

    source, function = _module_source(handler)
    lam = boto3.client("lambda", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    xray = boto3.client("xray", region_name="us-east-1")
    name = f"exercise-xray-subsegment-{next(_run_numbers)}"
    role = lambda_role(iam, name)
    layer = lam.publish_layer_version(LayerName=name, Content={"ZipFile": _sdk_layer_zip()},
                                      CompatibleRuntimes=["python3.12"])
    try:
        lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                            Handler=f"lambda_function.{function}",
                            Code={"ZipFile": make_zip(source)},
                            Layers=[layer["LayerVersionArn"]], TracingConfig={"Mode": "Active"},
                            MemorySize=1769, Timeout=10)  # a whole vCPU for the SDK's import
        since = aws.clock.now()
        got = lam.invoke(FunctionName=name, Payload=json.dumps(ORDER), LogType="Tail")
        payload = json.loads(got["Payload"].read())
        report = base64.b64decode(got["LogResult"]).decode().strip().splitlines()[-1]
        root = report_fields(report).get("XRAY TraceId", "")
        documents = _wait_for_subsegment(xray, root)
        search = f'annotation.order_id = "{ORDER["order_id"]}"'
        found = xray.get_trace_summaries(StartTime=since - 1, EndTime=aws.clock.now() + 1,
                                         FilterExpression=search)["TraceSummaries"]
    finally:
        lam.delete_function(FunctionName=name)
        lam.delete_layer_version(LayerName=name, VersionNumber=layer["Version"])
        iam.delete_role(RoleName=name)
    return {"function_error": got.get("FunctionError"), "payload": payload,
            "documents": documents, "searchable": any(s["Id"] == root for s in found)}


_last_traced_run = LastRun(_traced_run)


def _wait_for_subsegment(xray: Any, root: str) -> list[dict[str, Any]]:
    """The trace's documents once the subsegment has come and every subsegment sent on its own
    has found its parent (the SDK streams each one over UDP as it ends, a nested one before its
    parent), or all there are after :data:`_WAIT_S` real seconds."""
    deadline = time.monotonic() + _WAIT_S
    while True:
        traces = xray.batch_get_traces(TraceIds=[root])["Traces"] if root else []
        documents = [json.loads(s["Document"]) for t in traces for s in t["Segments"]]
        arrived = any(e["name"] == SUBSEGMENT for _, e in _entities(documents))
        loose = any(d.get("type") == "subsegment" for d in documents)
        if (arrived and not loose) or time.monotonic() > deadline:
            return documents
        time.sleep(0.01)


def _entities(documents: list[dict[str, Any]]) -> list[tuple[list[str], dict[str, Any]]]:
    """Every segment and subsegment with the path of names above it, e.g.
    ``(["checkout", "Invocation"], {"name": "compute-total", ...})``; paths start at a top-level
    document's origin (``AWS::Lambda::Function``) when it has one."""
    out: list[tuple[list[str], dict[str, Any]]] = []

    def walk(entity: dict[str, Any], path: list[str]) -> None:
        out.append((path, entity))
        for sub in entity.get("subsegments", []):
            walk(sub, [*path, entity.get("origin") or entity.get("name", "")])

    for document in documents:
        walk(document, [])
    return out


def _subsegment(handler: Any) -> tuple[list[str], dict[str, Any]] | None:
    found = [(p, e) for p, e in _entities(_run(handler)["documents"]) if e["name"] == SUBSEGMENT]
    return found[0] if found else None


def _own_subsegments(handler: Any) -> list[dict[str, Any]]:
    """What the handler's code sent: anything not Lambda's own segments and subsegments."""
    lambda_own = {"Initialization", "Invocation", "Overhead"}
    return [e for _, e in _entities(_run(handler)["documents"])
            if not e.get("origin", "").startswith("AWS::Lambda") and e["name"] not in lambda_own]


def _runs_on_lambda(handler: Any) -> str | None:
    run = _run(handler)
    payload = run["payload"]
    if run["function_error"]:
        error = payload.get("errorType", "") if isinstance(payload, dict) else ""
        message = payload.get("errorMessage", "") if isinstance(payload, dict) else payload
        if error == "FacadeSegmentMutationException":
            return ("the handler raised FacadeSegmentMutationException: in Lambda the function "
                    "segment is Lambda's and cannot be changed; put the annotation on your "
                    "subsegment (subsegment.put_annotation(...))")
        return f"on Lambda the handler failed: {error or 'error'}: {message}"
    expected = {"order_id": ORDER["order_id"], "total": _TOTAL}
    if payload != expected:
        return f"for {ORDER} the handler returned {payload!r}, not {expected!r}"
    return None


def _sends_the_subsegment(handler: Any) -> str | None:
    if _subsegment(handler) is not None:
        return None
    others = [e["name"] for e in _own_subsegments(handler)]
    if others:
        return f"X-Ray got the subsegment {others[0]!r}: name it {SUBSEGMENT!r}"
    return (f"no subsegment from your code reached X-Ray: inside the handler, wrap the work in "
            f"`with xray_recorder.in_subsegment({SUBSEGMENT!r}) as subsegment:`")


def _nested_in_the_function(handler: Any) -> str | None:
    found = _subsegment(handler)
    if found is None:
        return f"there is no subsegment {SUBSEGMENT!r} to look at"
    path, _ = found
    if not path or path[0] != "AWS::Lambda::Function":
        return (f"{SUBSEGMENT!r} is not under the function's segment (AWS::Lambda::Function): "
                "in Lambda, open subsegments with xray_recorder.in_subsegment, not segments "
                "of your own")
    return None


def _annotated(handler: Any) -> str | None:
    found = _subsegment(handler)
    if found is None:
        return f"there is no subsegment {SUBSEGMENT!r} to look at"
    _, entity = found
    annotations = entity.get("annotations", {})
    value = annotations.get("order_id", _MISSING)
    if value == ORDER["order_id"]:
        return None
    if value is not _MISSING:
        return f"the annotation order_id is {value!r}, not the event's {ORDER['order_id']!r}"
    if "order_id" in json.dumps(entity.get("metadata", {})):
        return ("order_id is metadata, which X-Ray keeps but does not index: use "
                "subsegment.put_annotation('order_id', event['order_id'])")
    elsewhere = [e["name"] for e in _own_subsegments(handler)
                 if "order_id" in e.get("annotations", {})]
    if elsewhere:
        return f"order_id annotates {elsewhere[0]!r}: put it on {SUBSEGMENT!r}"
    if annotations:
        return (f"{SUBSEGMENT!r} has the annotation(s) {sorted(annotations)}, not order_id")
    return (f"{SUBSEGMENT!r} has no annotation: subsegment.put_annotation('order_id', "
            "event['order_id'])")


def _searchable(handler: Any) -> str | None:
    if _run(handler)["searchable"]:
        return None
    return (f"get_trace_summaries with the filter expression annotation.order_id = "
            f"\"{ORDER['order_id']}\" does not find the trace")


XRAY_SUBSEGMENT = register(
    Exercise(
        id="xray-subsegment",
        title="A subsegment with an annotation",
        topic="09-observability",
        answer_name="handler",
        stub=_STUB,
        not_attempted=_not_attempted,
        checks=[
            Check("handler takes (event, context)", _takes_event_and_context),
            Check("on Lambda (tracing Active, the SDK in a layer) it returns the order's total",
                  _runs_on_lambda),
            Check(f"a subsegment {SUBSEGMENT!r} reaches X-Ray", _sends_the_subsegment),
            Check("it is nested under the function's segment", _nested_in_the_function),
            Check("it has the annotation order_id with the event's order id", _annotated),
            Check('get_trace_summaries finds the trace with annotation.order_id = "o-17"',
                  _searchable),
        ],
        hints=[
            "xray_recorder.in_subsegment(name) is a context manager: the work inside the "
            "`with` block is timed as a subsegment of Lambda's Invocation.",
            "`with xray_recorder.in_subsegment('compute-total') as subsegment:` gives you the "
            "subsegment; annotate it with subsegment.put_annotation(key, value).",
            "Annotations are indexed (filter expressions find them); metadata "
            "(put_metadata) is not.",
        ],
        solution=solution_source(__package__, "xray_subsegment"),
    )
)
