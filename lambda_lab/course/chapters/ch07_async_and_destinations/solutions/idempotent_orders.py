# The conditional put is the check and the claim in one atomic step: it succeeds only for the
# first delivery of an orderId. Every later delivery (a duplicate, or Lambda's retry after a
# failure) gets ConditionalCheckFailedException and must return quietly, without shipping and
# without raising (a raise would make Lambda retry it again).
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
    try:
        dynamodb.put_item(
            TableName=os.environ["PROCESSED_TABLE"],
            Item={"orderId": {"S": event["orderId"]},
                  "requestId": {"S": context.aws_request_id}},
            ConditionExpression="attribute_not_exists(orderId)",
        )
    except dynamodb.exceptions.ConditionalCheckFailedException:
        print(f"order {event['orderId']} was already processed: not shipped again")
        return {"shipped": None, "duplicate": event["orderId"]}
    ship(event)
    return {"shipped": event["orderId"]}
