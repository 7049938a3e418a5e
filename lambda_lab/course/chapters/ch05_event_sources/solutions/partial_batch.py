import json


def handler(event, context):
    # With FunctionResponseTypes=["ReportBatchItemFailures"], Lambda deletes every message of the
    # batch except those listed here; listed ones return to the queue after its visibility timeout.
    failures = []
    for record in event["Records"]:
        try:
            json.loads(record["body"])
        except ValueError:  # json.JSONDecodeError is a ValueError
            failures.append({"itemIdentifier": record["messageId"]})
    return {"batchItemFailures": failures}
