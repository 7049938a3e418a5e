import time


def handler(event, context):
    # Stop while there is still time to return: one item takes seconds_per_item, so keep at
    # least two items' worth of milliseconds in hand before starting the next one.
    margin_ms = 2 * event["seconds_per_item"] * 1000
    processed = 0
    for _item in event["items"]:
        if context.get_remaining_time_in_millis() < margin_ms:
            break
        time.sleep(event["seconds_per_item"])  # stands in for real work on one item
        processed += 1
    return {"processed": processed, "total": len(event["items"])}
