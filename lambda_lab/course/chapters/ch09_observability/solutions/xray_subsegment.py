from aws_xray_sdk.core import xray_recorder


def handler(event, context):
    # Lambda's function segment is the parent (its Invocation subsegment): code can add
    # subsegments to it, but not change it or open segments of its own.
    with xray_recorder.in_subsegment("compute-total") as subsegment:
        # An annotation is indexed: filter expressions such as annotation.order_id = "o-17"
        # find the trace. (put_metadata would keep the value without indexing it.)
        subsegment.put_annotation("order_id", event["order_id"])
        total = sum(item["price"] * item["qty"] for item in event["items"])
    return {"order_id": event["order_id"], "total": total}
