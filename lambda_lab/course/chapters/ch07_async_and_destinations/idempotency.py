"""The idempotency exercise of notebooks/07-async-and-destinations: ship each order once.

:func:`run_orders` deploys a learner's module (the code cell that defines ``handler``, see
:func:`lambda_lab.course.checks.module_source`) behind the emulated Lambda's async queue,
with two DynamoDB tables, and delivers the orders of :data:`DELIVERIES` as Event invocations:
duplicates, a late duplicate, and an order whose courier call fails *after* shipping (so Lambda
retries it). :class:`OrdersRun` says what the tables and the async queue hold afterwards; the
checks in :mod:`.exercises` read it.
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass, field
from typing import Any

from lambda_lab.course.checks import in_session, module_source
from lambda_lab.course.exercises import Text

__all__ = ["DELIVERIES", "Delivery", "OrdersRun", "create_order_tables", "orders_report",
           "run_orders", "table_counts"]

REGION = "us-east-1"

#: (seconds after the start, event) in delivery order: o-2 arrives twice at once, o-4 again
#: 5 minutes later, and o-3's courier times out after taking the parcel (ship() raises).
DELIVERIES: tuple[tuple[int, dict[str, Any]], ...] = (
    (0, {"orderId": "o-1", "amount": 25}),
    (0, {"orderId": "o-2", "amount": 40}),
    (0, {"orderId": "o-2", "amount": 40}),
    (0, {"orderId": "o-3", "amount": 15, "courier_timeout": True}),
    (0, {"orderId": "o-4", "amount": 60}),
    (300, {"orderId": "o-4", "amount": 60}),
)
#: Platform seconds the run lasts: o-3's retries (about 1 and 2 minutes apart) end by 180 s.
RUN_S = 360
ORDERS = ("o-1", "o-2", "o-3", "o-4")

_runs = itertools.count(1)


@dataclass(frozen=True)
class Delivery:
    """What became of one delivered event on the async queue."""

    order: str
    ended_in: str | None  #: success, destination, dlq, dropped (None: not finished)
    attempts: int
    error: str | None  #: the last attempt's "errorType: errorMessage", if it failed


@dataclass(frozen=True)
class OrdersRun:
    """The outcome of :func:`run_orders`."""

    #: orderId -> parcels counted in the shipments table (missing: never shipped).
    shipments: dict[str, int]
    #: The orderIds of the items in the processed table, sorted (a repeat would show twice).
    processed: list[str]
    #: One per delivery, in delivery order.
    deliveries: list[Delivery] = field(default_factory=list)
    #: Why the run could not happen at all (the code did not deploy), else None.
    problem: str | None = None

    def of(self, order: str) -> list[Delivery]:
        """The deliveries of ``order``."""
        return [d for d in self.deliveries if d.order == order]


def create_order_tables(prefix: str, *, region: str = REGION) -> tuple[str, str]:
    """Create the processed and shipments tables (key ``orderId``, a string); their names."""
    import boto3

    dynamodb = boto3.client("dynamodb", region_name=region)
    names = (f"{prefix}-processed", f"{prefix}-shipments")
    for name in names:
        dynamodb.create_table(
            TableName=name,
            KeySchema=[{"AttributeName": "orderId", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "orderId", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
    return names


def table_counts(table: str, attribute: str | None = None, *,
                 region: str = REGION) -> dict[str, int]:
    """orderId -> the number in ``attribute`` (or 1 per item without one) of every item."""
    import boto3

    dynamodb = boto3.client("dynamodb", region_name=region)
    counts: dict[str, int] = {}
    params: dict[str, Any] = {"TableName": table}
    while True:
        page = dynamodb.scan(**params)
        for item in page["Items"]:
            key = item["orderId"]["S"]
            value = int(item[attribute]["N"]) if attribute and attribute in item else 1
            counts[key] = counts.get(key, 0) + value
        if "LastEvaluatedKey" not in page:
            return counts
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


def run_orders(code: Any) -> OrdersRun:
    """Deploy ``code`` (a module defining ``handler``, or the ``handler`` function of a code cell
    holding the module: :func:`module_source`) and deliver :data:`DELIVERIES` to it.

    Uses the active ``lambda_lab.mock_aws()`` session if there is one (they do not nest), else
    a new one on a virtual clock. Everything it creates is deleted afterwards."""
    return in_session(_deliver, module_source(code))


def _deliver(aws: Any, code: str) -> OrdersRun:
    import boto3

    from lambda_lab.course.roles import lambda_role
    from lambda_lab.course.shared import make_zip

    name = f"exercise-idempotent-orders-{next(_runs)}"
    lam = boto3.client("lambda", region_name=REGION)
    iam = boto3.client("iam", region_name=REGION)
    dynamodb = boto3.client("dynamodb", region_name=REGION)
    processed, shipments = create_order_tables(name)
    role = lambda_role(iam, name)
    try:
        try:
            lam.create_function(
                FunctionName=name, Runtime="python3.12", Role=role,
                Handler="lambda_function.handler", Code={"ZipFile": make_zip(code)},
                MemorySize=1769, Timeout=10,  # 1,769 MB: a whole vCPU to import boto3 quickly
                Environment={"Variables": {"PROCESSED_TABLE": processed,
                                           "SHIPMENTS_TABLE": shipments}})
        except Exception as exc:  # noqa: BLE001 - reported as the run's problem
            return OrdersRun({}, [], [], f"the code did not deploy: {exc}")
        try:
            start = aws.clock.now()
            first = len(aws.async_events)
            for at, event in DELIVERIES:
                aws.advance(max(0.0, start + at - aws.clock.now()))
                lam.invoke(FunctionName=name, InvocationType="Event", Payload=json.dumps(event))
                aws.advance(0)  # one at a time: one warm environment serves them all
            aws.advance(max(0.0, start + RUN_S - aws.clock.now()))
            events = [e for e in aws.async_events[first:] if e.function_name == name]
            deliveries = [_delivery(e) for e in events]
            return OrdersRun(table_counts(shipments, "parcels"),
                             sorted(_all_keys(processed)), deliveries)
        finally:
            lam.delete_function(FunctionName=name)
    finally:
        for table in (processed, shipments):
            dynamodb.delete_table(TableName=table)
        iam.delete_role(RoleName=name)


def _all_keys(table: str) -> list[str]:
    return [key for key, n in table_counts(table).items() for _ in range(n)]


def _delivery(event: Any) -> Delivery:
    try:
        order = str(json.loads(event.payload)["orderId"])
    except (ValueError, KeyError, TypeError):
        order = "?"
    error = None
    result = event.result
    if result is not None and result.function_error:
        payload = result.payload if isinstance(result.payload, dict) else {}
        error = f"{payload.get('errorType', result.function_error)}: " \
                f"{payload.get('errorMessage', '')}".rstrip(": ")
    elif event.error and event.ended_in != "success":
        error = event.error
    return Delivery(order, event.ended_in, event.attempts, error)


def orders_report(run: OrdersRun) -> Text:
    """A table of :func:`run_orders`: per order, its deliveries, the attempts of each, how each
    ended, and the parcels shipped."""
    if run.problem:
        return Text(run.problem)
    lines = ["order  deliveries  attempts  ended             parcels shipped"]
    for order in ORDERS:
        mine = run.of(order)
        attempts = ", ".join(str(d.attempts) for d in mine)
        ended = ", ".join(sorted({str(d.ended_in) for d in mine}))
        lines.append(f"{order:<5}  {len(mine):>10}  {attempts:<8}  {ended:<16}  "
                     f"{run.shipments.get(order, 0):>15}")
    errors = sorted({f"{d.order}: {d.error}" for d in run.deliveries if d.error})
    return Text("\n".join(lines + [f"last error of {e}" for e in errors]))
