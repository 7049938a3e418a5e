def handler(event, context):
    # Lambda calls handler(event, context); whatever it returns is the invocation's result.
    return {"statusCode": 200, "body": event["name"]}
