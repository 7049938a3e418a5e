"""The exercises of chapter 07, Asynchronous invocation and destinations: process each order once
(idempotency).

Importing this module registers them in :data:`lambda_lab.course.exercises.EXERCISES`.
"""

from __future__ import annotations

from typing import Any

from lambda_lab.course.checks import cell_defines_handler, cell_module, cell_not_attempted
from lambda_lab.course.exercises import Check, Exercise, register, solution_source

# --- 07: process each order once (idempotency) ---------------------------------------------------

_IDEMPOTENT_ORDERS_STUB = """\
# This cell is the function's module: the checker deploys the whole cell, as Lambda would.
import os

import boto3

# AWS_REGION is set in Lambda; the default lets this cell run in the notebook too.
dynamodb = boto3.client("dynamodb", region_name=os.environ.get("AWS_REGION", "us-east-1"))


def ship(order):
    # The side effect that must happen once per order: it counts a parcel in SHIPMENTS_TABLE.
    # For an order with "courier_timeout", the courier takes the parcel but its answer times
    # out: ship() raises after shipping, and Lambda retries the event.
    dynamodb.update_item(
        TableName=os.environ["SHIPMENTS_TABLE"],
        Key={"orderId": {"S": order["orderId"]}},
        UpdateExpression="ADD parcels :one",
        ExpressionAttributeValues={":one": {"N": "1"}},
    )
    if order.get("courier_timeout"):
        raise TimeoutError("the courier's API did not answer")


def handler(event, context):
    # TODO: ship each orderId once. Before shipping, put {"orderId": ...} into the table
    # os.environ["PROCESSED_TABLE"] with ConditionExpression="attribute_not_exists(orderId)";
    # if the put fails, the order was processed before: return without shipping.
    ship(event)
    return {"shipped": event["orderId"]}
"""

_order_runs: dict[str, Any] = {}


def _orders_run(answer: Any) -> Any:
    """:func:`.idempotency.run_orders` of the answer's module (cached for the last module)."""
    code = cell_module(answer)
    cached = _order_runs.get(code)
    if cached is None:
        from lambda_lab.course.chapters.ch07_async_and_destinations.idempotency import run_orders

        cached = run_orders(code)
        _order_runs.clear()
        _order_runs[code] = cached
    if cached.problem:
        raise AssertionError(cached.problem)
    return cached


def _first_order_ships(answer: Any) -> str | None:
    run = _orders_run(answer)
    (first,) = run.of("o-1")
    if first.ended_in != "success":
        return f"the new order o-1 failed: {first.error or first.ended_in}"
    if run.shipments.get("o-1") != 1:
        return "the new order o-1 was not shipped: call ship(event) for an order seen first"
    return None


def _records_each_order(answer: Any) -> str | None:
    from lambda_lab.course.chapters.ch07_async_and_destinations.idempotency import ORDERS

    processed = _orders_run(answer).processed
    if processed == list(ORDERS):
        return None
    if not processed:
        return ("the PROCESSED_TABLE is empty: put {'orderId': {'S': event['orderId']}} into "
                "os.environ['PROCESSED_TABLE'] before shipping")
    return (f"the PROCESSED_TABLE holds {processed}, not one item per order {list(ORDERS)}: "
            "put the orderId before calling ship()")


def _duplicates_ship_once(answer: Any) -> str | None:
    run = _orders_run(answer)
    for order, how in (("o-2", "twice at once"), ("o-4", "again 5 minutes later")):
        parcels = run.shipments.get(order, 0)
        if parcels > 1:
            return (f"order {order} arrived {how} and was shipped {parcels} times: put the "
                    "orderId with ConditionExpression='attribute_not_exists(orderId)' before "
                    "shipping, and skip shipping when the put fails")
        if parcels == 0:
            return f"order {order} was never shipped"
        failed = [d for d in run.of(order) if d.ended_in != "success"]
        if failed:
            return (f"the duplicate of {order} failed ({failed[0].error}): catch "
                    "dynamodb.exceptions.ConditionalCheckFailedException and return — a raise "
                    "makes Lambda retry it")
    return None


def _retry_does_not_ship_again(answer: Any) -> str | None:
    run = _orders_run(answer)
    parcels = run.shipments.get("o-3", 0)
    (delivery,) = run.of("o-3")
    if parcels > 1:
        return (f"ship() failed after shipping o-3, Lambda retried the event, and it was "
                f"shipped {parcels} times: record the order before shipping, so the retry "
                "finds it")
    if parcels == 0:
        return "order o-3 was never shipped"
    if delivery.ended_in != "success":
        return (f"the retry of o-3 failed too ({delivery.error}): when the order is already "
                "in the table, return without shipping")
    return None


IDEMPOTENT_ORDERS = register(
    Exercise(
        id="idempotent-orders",
        title="Ship each order once, however often its event arrives",
        topic="07-async-and-destinations",
        answer_name="handler",
        stub=_IDEMPOTENT_ORDERS_STUB,
        not_attempted=cell_not_attempted(_IDEMPOTENT_ORDERS_STUB),
        checks=[
            Check("the cell is a module with def handler(event, context)",
                  cell_defines_handler),
            Check("a new order is shipped and its invocation succeeds", _first_order_ships),
            Check("the processed table holds each orderId once", _records_each_order),
            Check("an order delivered twice (at once, or 5 minutes later) is shipped once, and "
                  "the duplicate succeeds", _duplicates_ship_once),
            Check("when ship() fails after shipping, Lambda's retry does not ship again",
                  _retry_does_not_ship_again),
        ],
        hints=[
            "The same event can arrive more than once: remember which orderIds were processed, "
            "in PROCESSED_TABLE, and look before you ship.",
            "dynamodb.put_item(TableName=os.environ['PROCESSED_TABLE'], Item={'orderId': "
            "{'S': event['orderId']}}, ConditionExpression='attribute_not_exists(orderId)') "
            "writes only if no item has that key — check and claim in one atomic step.",
            "Wrap the put in try/except dynamodb.exceptions.ConditionalCheckFailedException: "
            "in the except branch return (don't raise) without calling ship().",
        ],
        solution=solution_source(__package__, "idempotent_orders"),
    )
)
