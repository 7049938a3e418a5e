"""The moto bridge for X-Ray: whole traces, trace summaries with filter expressions, the service
graph.

moto 5 stores each segment document as it arrives (``PutTraceSegments``, and here Lambda's
segments and the local daemon's) and answers ``BatchGetTraces`` with them one by one, and
``GetTraceSummaries`` with empty Annotations, or "Not implemented yet" for any FilterExpression;
``GetServiceGraph`` is empty. :func:`install` patches moto's X-Ray backend and responses so that,
as the X-Ray Developer Guide ("Segment documents", "Sending subsegments separately") and API
reference describe:

* ``BatchGetTraces`` returns one document per segment, a subsegment sent on its own (``"type":
  "subsegment"``, ``parent_id``) nested in its parent's ``subsegments`` (a later copy of the same
  id, e.g. the complete one after an in-progress one, replaces the earlier);
* ``GetTraceSummaries`` summarises each trace (Duration, ResponseTime of the root segment,
  HasFault / HasError / HasThrottle as any segment's flags, IsPartial, Http of the root segment,
  Annotations ``{key: [{"AnnotationValue": {"StringValue"|"NumberValue"|"BooleanValue": v},
  "ServiceIds": […]}]}``, Users, ServiceIds, ResourceARNs, EntryPoint) and applies a
  ``FilterExpression`` (:mod:`.xray_filter`; a bad one is InvalidRequestException);
* ``GetServiceGraph`` / ``GetTraceGraph`` build the graph: a ``client`` node calling each root
  segment's service, a node per service (name and origin, e.g. ``AWS::Lambda`` and
  ``AWS::Lambda::Function``), an edge per parent → child segment, and a node inferred from each
  ``aws`` or ``remote`` subsegment (``DynamoDB`` → ``AWS::DynamoDB::Table`` named for the table,
  ``SQS`` → ``AWS::SQS::Queue`` for the queue, ``S3`` → ``AWS::S3::Bucket`` for the bucket,
  another AWS service ``AWS::<name>``, an HTTP call ``remote``), with summary statistics.

Not modelled: groups, insights, sampling rules, encryption config, TimeRangeType ``Service``.
Called by :meth:`lambda_lab.aws.mock.MockAWS.start` / ``stop``.
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterator
from typing import Any
from unittest import mock

from .lazy import LazyPatches
from .xray_filter import FilterError, ServiceView, TraceView, matches, parse

__all__ = ["assemble", "install", "service_graph", "summarize", "uninstall"]

Doc = dict[str, Any]

# ----------------------------------------------------------------- whole traces


def _dedupe(docs: list[Doc]) -> list[Doc]:
    """One document per id: a complete one over an in-progress one, else the later."""
    by_id: dict[str, Doc] = {}
    for doc in docs:
        old = by_id.get(doc.get("id", ""))
        if old is None or "end_time" in doc or "end_time" not in old:
            by_id[doc.get("id", "")] = doc
    return list(by_id.values())


def _walk(doc: Doc) -> Iterator[Doc]:
    yield doc
    for sub in doc.get("subsegments") or ():
        if isinstance(sub, dict):
            yield from _walk(sub)


def assemble(docs: list[Doc]) -> list[Doc]:
    """A trace's segment documents with every separately sent subsegment nested under its
    parent (orphans stay documents of their own), oldest first."""
    docs = [json.loads(json.dumps(d)) for d in _dedupe(docs)]  # never change moto's copies
    index: dict[str, Doc] = {}
    for doc in docs:
        for node in _walk(doc):
            if node.get("id"):
                index.setdefault(node["id"], node)
    loose = sorted((d for d in docs if d.get("type") == "subsegment"),
                   key=lambda d: d.get("start_time", 0))
    top = [d for d in docs if d.get("type") != "subsegment"]
    placed = True
    while loose and placed:
        placed = False
        for sub in list(loose):
            parent = index.get(sub.get("parent_id", ""))
            if parent is None or parent is sub or any(n is parent for n in _walk(sub)):
                continue
            siblings = parent.setdefault("subsegments", [])
            siblings[:] = [s for s in siblings if s.get("id") != sub.get("id")]
            siblings.append(sub)
            siblings.sort(key=lambda s: s.get("start_time", 0))
            loose.remove(sub)
            placed = True
    return sorted(top + loose, key=lambda d: d.get("start_time", 0))


def _end(doc: Doc) -> float:
    return float(doc.get("end_time") or doc.get("start_time") or 0)


def _root(top: list[Doc]) -> Doc | None:
    ids = {n.get("id") for d in top for n in _walk(d)}
    roots = [d for d in top if d.get("type") != "subsegment" and d.get("parent_id") not in ids]
    return roots[0] if roots else (top[0] if top else None)


# ----------------------------------------------------------------- services


def _service_id(doc: Doc) -> dict[str, Any]:
    sid: dict[str, Any] = {"Name": doc.get("name", ""), "Names": [doc.get("name", "")]}
    account = (doc.get("aws") or {}).get("account_id")
    if account:
        sid["AccountId"] = account
    sid["Type"] = doc.get("origin") or "AWS::EC2::Instance"  # X-Ray's default is unknown
    return sid


#: botocore service names -> the names X-Ray gives AWS services
_AWS_NAMES = {"dynamodb": "DynamoDB", "s3": "S3", "sqs": "SQS", "sns": "SNS", "lambda": "Lambda",
              "kinesis": "Kinesis", "events": "EventBridge", "stepfunctions": "StepFunctions",
              "secretsmanager": "SecretsManager", "ssm": "SSM", "sts": "STS"}


def _inferred(sub: Doc) -> tuple[str, str] | None:
    """(name, type) of the downstream node an ``aws`` / ``remote`` subsegment stands for."""
    namespace = sub.get("namespace")
    name = str(sub.get("name", ""))
    if namespace == "aws":  # the Python SDK names these for botocore's service: "dynamodb"
        aws = sub.get("aws") or {}
        name = _AWS_NAMES.get(name.lower(), name)
        if name == "DynamoDB":
            return str(aws.get("table_name") or name), "AWS::DynamoDB::Table"
        if name == "SQS":
            url = str(aws.get("queue_url") or "")
            return (url.rstrip("/").rsplit("/", 1)[-1] or name), "AWS::SQS::Queue"
        if name == "S3":
            return str(aws.get("bucket_name") or name), "AWS::S3::Bucket"
        return name, f"AWS::{name}"
    if namespace == "remote":
        return name, "remote"
    return None


def _flags(doc: Doc) -> dict[str, bool]:
    status = ((doc.get("http") or {}).get("response") or {}).get("status")
    throttle = bool(doc.get("throttle")) or status == 429
    error = bool(doc.get("error")) or (isinstance(status, int) and 400 <= status < 500)
    fault = bool(doc.get("fault")) or (isinstance(status, int) and status >= 500)
    return {"throttle": throttle, "error": error, "fault": fault,
            "ok": not (throttle or error or fault)}


class _Graph:
    """Nodes and edges of some traces (see the module doc)."""

    def __init__(self) -> None:
        self.nodes: dict[tuple[str, str], dict[str, Any]] = {}
        self.edges: dict[tuple[tuple[str, str], tuple[str, str]], list[Doc]] = {}

    def node(self, key: tuple[str, str], doc: Doc | None, *, state: str,
             root: bool = False, account: str | None = None) -> None:
        node = self.nodes.setdefault(key, {"docs": [], "state": state, "root": False,
                                           "account": account})
        node["root"] = node["root"] or root
        node["account"] = node["account"] or account
        if doc is not None:
            node["docs"].append(doc)

    def edge(self, a: tuple[str, str], b: tuple[str, str], doc: Doc) -> None:
        self.edges.setdefault((a, b), []).append(doc)

    def add_trace(self, top: list[Doc]) -> None:
        owner: dict[str, tuple[str, str]] = {}  #: every id -> its segment's service
        for doc in top:
            if doc.get("type") == "subsegment":
                continue
            key = (doc.get("name", ""), _service_id(doc)["Type"])
            for n in _walk(doc):
                owner[n.get("id", "")] = key
        called = {d.get("parent_id") for d in top if d.get("type") != "subsegment"}
        root = _root(top)
        for doc in top:
            if doc.get("type") == "subsegment":
                continue
            key = owner[doc.get("id", "")]
            self.node(key, doc, state="active", root=doc is root,
                      account=(doc.get("aws") or {}).get("account_id"))
            parent = owner.get(doc.get("parent_id") or "")
            if parent is None:  # called from outside the trace: a client
                self.node(("", "client"), None, state="unknown")
                self.edge(("", "client"), key, doc)
            elif parent != key:
                self.edge(parent, key, doc)
            for sub in _walk(doc):
                inferred = _inferred(sub) if sub is not doc else None
                if inferred is None or sub.get("id") in called:
                    continue  # a call to a traced service: its own segment is the node
                self.node(inferred, sub, state="unknown")
                self.edge(key, inferred, sub)

    def shape(self) -> list[dict[str, Any]]:
        ids = {key: i for i, key in enumerate(self.nodes)}
        out = []
        for key, node in self.nodes.items():
            docs = node["docs"] or [d for (a, b), ds in self.edges.items() if a == key
                                    for d in ds]
            service: dict[str, Any] = {"ReferenceId": ids[key], "Type": key[1],
                                       "State": node["state"], "Root": node["root"]}
            if key[0]:
                service["Name"], service["Names"] = key[0], [key[0]]
            else:
                service["Names"] = []
            if node["account"]:
                service["AccountId"] = node["account"]
            if docs:
                service["StartTime"] = min(float(d.get("start_time", 0)) for d in docs)
                service["EndTime"] = max(_end(d) for d in docs)
            service["Edges"] = [_edge_shape(ids[b], ds) for (a, b), ds in self.edges.items()
                                if a == key]
            if node["docs"]:
                service["SummaryStatistics"] = _statistics(node["docs"])
                service["DurationHistogram"] = _histogram(node["docs"])
                service["ResponseTimeHistogram"] = _histogram(node["docs"])
            out.append(service)
        return out


def _duration(doc: Doc) -> float:
    return round(max(0.0, _end(doc) - float(doc.get("start_time", 0))), 6)


def _statistics(docs: list[Doc]) -> dict[str, Any]:
    flags = [_flags(d) for d in docs]
    throttles = sum(f["throttle"] for f in flags)
    errors = sum(f["error"] and not f["throttle"] for f in flags)
    faults = sum(f["fault"] for f in flags)
    return {"OkCount": sum(f["ok"] for f in flags),
            "ErrorStatistics": {"ThrottleCount": throttles, "OtherCount": errors,
                                "TotalCount": throttles + errors},
            "FaultStatistics": {"OtherCount": faults, "TotalCount": faults},
            "TotalCount": len(docs),
            "TotalResponseTime": round(sum(_duration(d) for d in docs), 6)}


def _histogram(docs: list[Doc]) -> list[dict[str, Any]]:
    counts: dict[float, int] = {}
    for d in docs:
        value = round(_duration(d), 3)
        counts[value] = counts.get(value, 0) + 1
    return [{"Value": v, "Count": n} for v, n in sorted(counts.items())]


def _edge_shape(reference: int, docs: list[Doc]) -> dict[str, Any]:
    return {"ReferenceId": reference,
            "StartTime": min(float(d.get("start_time", 0)) for d in docs),
            "EndTime": max(_end(d) for d in docs),
            "SummaryStatistics": _statistics(docs), "ResponseTimeHistogram": _histogram(docs),
            "Aliases": []}


def service_graph(traces: list[list[Doc]]) -> list[dict[str, Any]]:
    """The Services of GetServiceGraph over assembled traces."""
    graph = _Graph()
    for top in traces:
        graph.add_trace(top)
    return graph.shape()


# ----------------------------------------------------------------- summaries


def _annotation_value(value: Any) -> dict[str, Any]:
    if isinstance(value, bool):
        return {"BooleanValue": value}
    if isinstance(value, (int, float)):
        return {"NumberValue": value}
    return {"StringValue": str(value)}


def _view(top: list[Doc]) -> tuple[TraceView, dict[str, Any]]:
    """The filter's view of an assembled trace, and the parts of its summary."""
    root = _root(top)
    nodes = [(d, n) for d in top for n in _walk(d)]  # (its top document, node)
    starts = [float(n.get("start_time", 0)) for _, n in nodes]
    ends = [_end(n) for _, n in nodes]
    segments = [d for d in top if d.get("type") != "subsegment"]
    flags = [_flags(d) for d in segments]
    http = (root or {}).get("http") or {}
    request, response = http.get("request") or {}, http.get("response") or {}
    http_view = {"status": response.get("status"), "url": request.get("url"),
                 "method": request.get("method"), "useragent": request.get("user_agent"),
                 "clientip": request.get("client_ip")}
    services: dict[tuple[str, str], ServiceView] = {}
    edges: dict[tuple[str, str], ServiceView] = {}
    graph = _Graph()
    graph.add_trace(top)
    for (name, kind), node in graph.nodes.items():
        view = services[(name, kind)] = ServiceView(name, kind)
        for doc in node["docs"]:
            _merge(view, doc)
    for ((a, _), (b, kind)), docs in graph.edges.items():
        view = edges.setdefault((a, b), ServiceView(b, kind))
        for doc in docs:
            _merge(view, doc)
    annotations: list[tuple[str, Any]] = []
    by_key: dict[str, list[dict[str, Any]]] = {}
    for doc, node in nodes:
        for key, value in (node.get("annotations") or {}).items():
            annotations.append((key, value))
            items = by_key.setdefault(key, [])
            sid = _service_id(doc)
            item = next((i for i in items if i["AnnotationValue"] == _annotation_value(value)),
                        None)
            if item is None:
                items.append({"AnnotationValue": _annotation_value(value), "ServiceIds": [sid]})
            elif sid not in item["ServiceIds"]:
                item["ServiceIds"].append(sid)
    users = sorted({str(d["user"]) for d in segments if d.get("user")})
    view = TraceView(
        responsetime=_duration(root) if root else 0.0,
        duration=round(max(ends) - min(starts), 6) if nodes else 0.0,
        ok=not any(not f["ok"] for f in flags), error=any(f["error"] for f in flags),
        fault=any(f["fault"] for f in flags), throttle=any(f["throttle"] for f in flags),
        partial=any(n.get("in_progress") for _, n in nodes), http=http_view, users=users,
        annotations=annotations, services=[v for k, v in services.items() if k[1] != "client"],
        edges=edges)
    parts = {"annotations": by_key, "root": root, "segments": segments, "start": min(starts)
             if starts else 0.0, "graph": graph}
    return view, parts


def _merge(view: ServiceView, doc: Doc) -> None:
    f = _flags(doc)
    view.ok, view.error = view.ok or f["ok"], view.error or f["error"]
    view.fault, view.throttle = view.fault or f["fault"], view.throttle or f["throttle"]
    view.responsetimes.append(_duration(doc))


def summarize(trace_id: str, top: list[Doc]) -> tuple[TraceView, dict[str, Any]]:
    """(the filter's view, the TraceSummary) of an assembled trace."""
    view, parts = _view(top)
    root = parts["root"]
    summary: dict[str, Any] = {
        "Id": trace_id, "StartTime": parts["start"], "Duration": view.duration,
        "ResponseTime": view.responsetime, "HasFault": view.fault, "HasError": view.error,
        "HasThrottle": view.throttle, "IsPartial": view.partial,
        "Http": {k: v for k, v in (("HttpURL", view.http["url"]),
                                   ("HttpStatus", view.http["status"]),
                                   ("HttpMethod", view.http["method"]),
                                   ("UserAgent", view.http["useragent"]),
                                   ("ClientIp", view.http["clientip"])) if v is not None},
        "Annotations": parts["annotations"],
        "Users": [{"UserName": u, "ServiceIds": [_service_id(d) for d in parts["segments"]
                                                 if d.get("user") == u]} for u in view.users],
        "ServiceIds": [_service_id(d) for d in parts["segments"]]
        + [{"Name": n, "Names": [n], "Type": t} for (n, t), node in parts["graph"].nodes.items()
           if node["state"] == "unknown" and t != "client"],
        "ResourceARNs": [{"ARN": a} for a in dict.fromkeys(
            d["resource_arn"] for d in parts["segments"] if d.get("resource_arn"))],
    }
    if root is not None:
        summary["EntryPoint"] = _service_id(root)
    return view, summary


# ----------------------------------------------------------------- moto


def _docs(trace: dict[str, Any]) -> list[Doc]:
    out = []
    for segment in list(trace.get("segments") or ()):
        try:
            doc = json.loads(segment.raw)
        except (TypeError, ValueError):
            continue
        if isinstance(doc, dict):
            out.append(doc)
    return out


def _epoch(value: Any) -> float:
    if isinstance(value, _dt.datetime):
        return value.timestamp()  # moto parses the request's seconds into naive local time
    return float(value)


def _traces(backend: Any, start: float, end: float) -> Iterator[tuple[str, list[Doc]]]:
    """Assembled traces whose start lies in [start, end] (TimeRangeType TraceId / Event)."""
    for trace_id, trace in list(backend._segment_collection._traces.items()):
        top = assemble(_docs(trace))
        if not top:
            continue
        first = min(float(n.get("start_time", 0)) for d in top for n in _walk(d))
        if start <= first <= end:
            yield trace_id, top


def _patches() -> list[Any]:
    from moto.core.exceptions import AWSError
    from moto.xray import models, responses

    def get_trace_summary(self: Any, start_time: Any, end_time: Any,
                          filter_expression: Any) -> dict[str, Any]:
        predicate = None
        if filter_expression:
            try:
                predicate = parse(str(filter_expression))
            except FilterError as exc:
                raise AWSError(f"Invalid filter expression: {exc}",
                               exception_type="InvalidRequestException", status=400) from None
        summaries = []
        scanned = 0
        for trace_id, top in _traces(self, _epoch(start_time), _epoch(end_time)):
            scanned += 1
            view, summary = summarize(trace_id, top)
            if predicate is None or matches(predicate, view):
                summaries.append(summary)
        summaries.sort(key=lambda s: s["StartTime"])
        return {"ApproximateTime": _epoch(end_time), "TracesProcessedCount": scanned,
                "TraceSummaries": summaries}

    def get_trace_ids(self: Any, trace_ids: list[str]) -> dict[str, Any]:
        known = self._segment_collection._traces
        result: dict[str, Any] = {"Traces": [], "UnprocessedTraceIds": []}
        for trace_id in trace_ids:
            trace = known.get(trace_id) if trace_id in known else None
            top = assemble(_docs(trace)) if trace is not None else []
            if not top:
                result["UnprocessedTraceIds"].append(trace_id)
                continue
            view, _ = _view(top)
            result["Traces"].append({
                "Id": trace_id, "Duration": view.duration, "LimitExceeded": False,
                "Segments": [{"Id": d.get("id"), "Document": json.dumps(d)} for d in top]})
        return result

    def graph_response(self: Any, traces: list[list[Doc]], extra: dict[str, Any]) -> str:
        return json.dumps({**extra, "Services": service_graph(traces)})

    def service_graph_response(self: Any) -> Any:
        start, end = self._get_param("StartTime"), self._get_param("EndTime")
        if start is None or end is None:
            msg = f"Parameter {'StartTime' if start is None else 'EndTime'} is missing"
            return json.dumps({"__type": "MissingParameter", "message": msg}), {"status": 400}
        traces = [top for _, top in _traces(self.xray_backend, float(start), float(end))]
        return graph_response(self, traces, {"StartTime": start, "EndTime": end,
                                             "ContainsOldGroupVersions": False})

    def trace_graph_response(self: Any) -> Any:
        ids = self._get_param("TraceIds")
        if ids is None:
            return (json.dumps({"__type": "MissingParameter",
                                "message": "Parameter TraceIds is missing"}), {"status": 400})
        known = self.xray_backend._segment_collection._traces
        traces = [assemble(_docs(known[i])) for i in ids if i in known]
        return graph_response(self, [t for t in traces if t], {})

    B, R = models.XRayBackend, responses.XRayResponse
    return [mock.patch.object(B, "get_trace_summary", get_trace_summary),
            mock.patch.object(B, "get_trace_ids", get_trace_ids),
            mock.patch.object(R, "service_graph", service_graph_response),
            mock.patch.object(R, "trace_graph", trace_graph_response)]


_lazy = LazyPatches()
_installed: list[bool] = []


def install() -> None:
    """Patch moto's X-Ray (idempotent), when moto first imports it (a session that never
    traces does not pay the import)."""
    if _installed:
        return
    _installed.append(True)
    _lazy.when_imported("moto.xray.models", _patches)


def uninstall() -> None:
    """Undo :func:`install` (idempotent)."""
    _lazy.stop()
    _installed.clear()
