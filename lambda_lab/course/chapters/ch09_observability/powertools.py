"""Helpers of notebooks/09-observability's Powertools section, and its ``business-metric``
exercise.

Powertools for AWS Lambda (Python) — Logger, Metrics, Tracer — deployed from its public layer
(:mod:`lambda_lab.platform.public_layers`); its structured log lines, the embedded-metric-format
lines CloudWatch turns into metrics (:mod:`lambda_lab.aws.emf`), and the traces X-Ray searches
and maps (:mod:`lambda_lab.aws.xray`). Everything goes through boto3 inside
``lambda_lab.mock_aws()`` and returns fixed text for nbval.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lambda_lab.course.exercises import Check, Exercise, Text, register, solution_source

__all__ = ["BUSINESS_METRIC", "emf_documents", "figure_service_map", "json_lines",
           "metric_total", "powertools_layer_arn", "service_map_lines", "wait_for_traces"]

REGION = "us-east-1"


def powertools_layer_arn(region: str = REGION, python: str = "3.12",
                         architecture: str = "x86_64", version: int = 27) -> str:
    """The Powertools V3 layer the Powertools docs give ("Lambda Layer")."""
    tag = "python" + python.replace(".", "")
    return (f"arn:aws:lambda:{region}:017000801446:layer:"
            f"AWSLambdaPowertoolsPythonV3-{tag}-{architecture}:{version}")


def json_lines(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The log lines that are JSON objects, parsed (Logger's records, EMF documents)."""
    out = []
    for line in lines:
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            out.append(value)
    return out


def emf_documents(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The embedded-metric-format documents among log lines (a ``_aws`` member)."""
    return [d for d in json_lines(lines) if isinstance(d.get("_aws"), dict)]


def metric_total(namespace: str, metric: str, dimensions: Mapping[str, str],
                 documents: Sequence[Mapping[str, Any]], *, stat: str = "Sum",
                 region: str = REGION) -> float | None:
    """``stat`` of a metric over the minutes the EMF ``documents`` are stamped with (their
    ``_aws.Timestamp``, which is the metrics' time), read back with GetMetricStatistics."""
    import datetime as dt

    import boto3

    stamps = [float(d["_aws"]["Timestamp"]) / 1000.0 for d in documents]
    if not stamps:
        return None
    start = math.floor(min(stamps) / 60) * 60
    end = math.floor(max(stamps) / 60) * 60 + 60
    got = boto3.client("cloudwatch", region_name=region).get_metric_statistics(
        Namespace=namespace, MetricName=metric, Statistics=[stat], Period=int(end - start),
        StartTime=dt.datetime.fromtimestamp(start, dt.timezone.utc),
        EndTime=dt.datetime.fromtimestamp(end, dt.timezone.utc),
        Dimensions=[{"Name": k, "Value": v} for k, v in dimensions.items()])["Datapoints"]
    return sum(p[stat] for p in got) if got else None


def wait_for_traces(expression: str, count: int, start: float, end: float, *,
                    timeout: float = 10.0, region: str = REGION) -> list[dict[str, Any]]:
    """The trace summaries matching the filter ``expression`` between ``start`` and ``end``
    (platform time), once there are ``count`` of them (the handler's subsegments reach X-Ray a
    moment after the invocation returns); what there is after ``timeout`` real seconds."""
    import boto3

    xray = boto3.client("xray", region_name=region)
    deadline = time.monotonic() + timeout
    while True:
        found = xray.get_trace_summaries(StartTime=start, EndTime=end,
                                         FilterExpression=expression)["TraceSummaries"]
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.05)


# ----------------------------------------------------------------- the service map


def _label(service: Mapping[str, Any]) -> str:
    return f"{service['Name']} ({service['Type']})" if service.get("Name") else service["Type"]


def _edges(services: Sequence[Mapping[str, Any]]) -> list[tuple[Mapping[str, Any],
                                                              Mapping[str, Any], int]]:
    by_ref = {s["ReferenceId"]: s for s in services}
    return [(s, by_ref[e["ReferenceId"]], int(e.get("SummaryStatistics", {}).get("TotalCount", 0)))
            for s in services for e in s.get("Edges", []) if e["ReferenceId"] in by_ref]


def service_map_lines(services: Sequence[Mapping[str, Any]]) -> Text:
    """One line per edge of GetServiceGraph / GetTraceGraph ``Services``: caller → callee and
    how many calls, callers from the client outwards."""
    depth = _depths(services)
    lines = sorted((depth[a["ReferenceId"]], _label(a), _label(b), n)
                   for a, b, n in _edges(services))
    return Text("\n".join(f"{a} → {b}: {n} call{'s' if n != 1 else ''}"
                          for _, a, b, n in lines) or "(no edges)")


def _depths(services: Sequence[Mapping[str, Any]]) -> dict[int, int]:
    """Each node's distance from the nodes nothing calls (the client)."""
    called = {b["ReferenceId"] for _, b, _ in _edges(services)}
    depth = {s["ReferenceId"]: 0 for s in services if s["ReferenceId"] not in called}
    frontier = list(depth)
    by_ref = {s["ReferenceId"]: s for s in services}
    while frontier:
        ref = frontier.pop(0)
        for edge in by_ref[ref].get("Edges", []):
            target = edge["ReferenceId"]
            if target in by_ref and target not in depth:
                depth[target] = depth[ref] + 1
                frontier.append(target)
    for s in services:
        depth.setdefault(s["ReferenceId"], 0)
    return depth


def figure_service_map(services: Sequence[Mapping[str, Any]], title: str = "") -> Any:
    """The service map: a box per node in columns by distance from the client, an arrow per
    edge labelled with its calls."""
    from matplotlib.figure import Figure

    depth = _depths(services)
    columns: dict[int, list[Mapping[str, Any]]] = {}
    for s in sorted(services, key=_label):
        columns.setdefault(depth[s["ReferenceId"]], []).append(s)
    rows = max((len(c) for c in columns.values()), default=1)
    fig = Figure(figsize=(2.6 * max(1, len(columns)), 0.9 + 1.1 * rows), dpi=80,
                 layout="constrained")
    ax = fig.subplots()
    where: dict[int, tuple[float, float]] = {}
    for col, nodes in columns.items():
        for row, s in enumerate(nodes):
            y = (rows - 1) / 2 - row + (len(nodes) - 1) / 2 - (rows - 1) / 2
            where[s["ReferenceId"]] = (col, y)
            inferred = s.get("State") != "active"
            label = f"{s['Name']}\n{s['Type']}" if s.get("Name") else s["Type"]
            ax.text(col, y, label, ha="center",
                    va="center", fontsize=8,
                    bbox={"boxstyle": "round", "fc": "0.92" if inferred else "#cfe2f3",
                          "ec": "0.5"})
    for a, b, n in _edges(services):
        (x0, y0), (x1, y1) = where[a["ReferenceId"]], where[b["ReferenceId"]]
        ax.annotate("", (x1 - 0.32, y1), (x0 + 0.32, y0),
                    arrowprops={"arrowstyle": "->", "color": "0.3"})
        ax.text((x0 + x1) / 2, (y0 + y1) / 2 + 0.12, str(n), ha="center", fontsize=7,
                color="0.3")
    ax.set_xlim(-0.6, max(columns, default=0) + 0.6)
    ax.set_ylim(-rows / 2 - 0.2, rows / 2 + 0.2)
    ax.axis("off")
    if title:
        ax.set_title(title, fontsize=10)
    return fig


# ----------------------------------------------------------------- the business-metric exercise

_ORDERS = [{"id": "o-1001", "total": 42.5, "payment": "card"},
           {"id": "o-1002", "total": 7.0, "payment": "paypal"}]
_STUB = '''
from aws_lambda_powertools.metrics import MetricUnit


def record_order(metrics, order):
    """Publish one placed order. metrics: Metrics(namespace="Shop", service="shop");
    order: {"id": "o-1001", "total": 42.5, "payment": "card"}."""
    # TODO: the metric OrdersPlaced (a count of 1) by the order's payment method;
    #       the order id goes into the log line, not into a dimension
    ...
'''


def _documents(answer: Any) -> list[dict[str, Any]]:
    """Run ``answer`` for each sample order with Powertools' Metrics; the EMF documents."""
    from aws_lambda_powertools import Metrics

    docs = []
    for order in _ORDERS:
        metrics = Metrics(namespace="Shop", service="shop")
        metrics.clear_metrics()
        try:
            answer(metrics, dict(order))
            docs.append(metrics.serialize_metric_set() if metrics.metric_set else {})
        finally:
            metrics.clear_metrics()
    return docs


def _samples(answer: Any) -> list[list[Any]]:
    from lambda_lab.aws.emf import parse

    return [parse(json.dumps(d)) if d else [] for d in _documents(answer)]


def _publishes(answer: Any) -> str | None:
    if not callable(answer):
        return f"record_order should be a function, not {type(answer).__name__}"
    if not all(_samples(answer)):
        return ("no metric was published: call metrics.add_metric(name=..., "
                "unit=MetricUnit.Count, value=1)")
    return None


def _orders_placed(answer: Any) -> str | None:
    for samples in _samples(answer):
        found = [s for s in samples if s.name == "OrdersPlaced"]
        if not found:
            names = sorted({s.name for s in samples})
            return f"the metric is called OrdersPlaced, not {', '.join(names)}"
        if any(s.unit != "Count" or s.values != (1.0,) for s in found):
            return "each order is one more order: unit=MetricUnit.Count, value=1"
    return None


def _by_payment(answer: Any) -> str | None:
    for order, samples in zip(_ORDERS, _samples(answer), strict=True):
        dims = {dict(s.dimensions).get("payment") for s in samples if s.name == "OrdersPlaced"}
        if dims != {order["payment"]}:
            return ("add the dimension payment with the order's value: "
                    "metrics.add_dimension(name=\"payment\", value=order[\"payment\"])")
    return None


def _no_order_id_dimension(answer: Any) -> str | None:
    for order, samples, doc in zip(_ORDERS, _samples(answer), _documents(answer), strict=True):
        if any(order["id"] in dict(s.dimensions).values() for s in samples):
            return ("the order id is a dimension: every order would be a metric of its own "
                    "(and a custom metric to pay for); keep it in the document with "
                    "metrics.add_metadata(key=\"order_id\", value=order[\"id\"])")
        if doc.get("order_id") != order["id"]:
            return ("put the order id in the EMF document, searchable in the logs but not a "
                    "dimension: metrics.add_metadata(key=\"order_id\", value=order[\"id\"])")
    return None


BUSINESS_METRIC = register(
    Exercise(
        id="business-metric",
        title="A business metric with Powertools: orders placed, by payment method",
        topic="09-observability",
        answer_name="record_order",
        stub=_STUB,
        checks=[
            Check("record_order(metrics, order) publishes a metric (a valid EMF document)",
                  _publishes),
            Check("the metric is OrdersPlaced, a Count of 1 per order", _orders_placed),
            Check("its dimensions are service and payment, from the order", _by_payment),
            Check("the order id is in the document as metadata, not a dimension",
                  _no_order_id_dimension),
        ],
        hints=[
            "metrics.add_metric(name=\"OrdersPlaced\", unit=MetricUnit.Count, value=1) publishes "
            "one order; the service dimension is already there (Metrics(service=...)).",
            "metrics.add_dimension(name=\"payment\", value=order[\"payment\"]) adds the dimension.",
            "A dimension with a value per order (its id) makes one metric per order: keep the id "
            "in the document with metrics.add_metadata(key=\"order_id\", value=order[\"id\"]).",
        ],
        solution=solution_source(__package__, "business_metric"),
    )
)
