import base64
import json


def process(order):
    """Stands in for the real work on one order (saving it): it logs the order's id."""
    print("PROCESSED", order["id"])


def handler(event, context):
    # A stream keeps its order: with ReportBatchItemFailures Lambda checkpoints before the lowest
    # sequence number reported and retries from that record on. So go through the records in
    # order and stop at the first one that fails: the ones after it come back in the retry, and
    # processing them now would process them twice.
    for record in event["Records"]:
        try:
            order = json.loads(base64.b64decode(record["kinesis"]["data"]))
        except ValueError:  # json.JSONDecodeError is a ValueError
            return {"batchItemFailures": [{"itemIdentifier": record["kinesis"]["sequenceNumber"]}]}
        process(order)
    return {"batchItemFailures": []}
