def handler(event, context):
    """Behind an ALB whose target group has lambda.multi_value_headers.enabled = true."""
    # Multi-value on: the query and the headers arrive as lists, in multiValue* maps only.
    names = (event.get("multiValueQueryStringParameters") or {}).get("name", [])
    return {
        "statusCode": 200,
        "statusDescription": "200 OK",
        "isBase64Encoded": False,
        # ...and the answer's headers are read from multiValueHeaders only: one list per name.
        "multiValueHeaders": {
            "Content-Type": ["text/plain"],
            "Set-Cookie": [f"seen={name}" for name in names],
        },
        "body": "hello " + " and ".join(names),
    }
