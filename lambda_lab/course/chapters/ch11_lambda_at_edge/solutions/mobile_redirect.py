def handler(event, context):
    """Viewer request: send mobile viewers (header CloudFront-Is-Mobile-Viewer: true)
    to https://m.example.com + the same URI with a 302; pass every other request on."""
    request = event["Records"][0]["cf"]["request"]
    mobile = request["headers"].get("cloudfront-is-mobile-viewer", [{}])[0].get("value")
    if mobile == "true":
        return {
            "status": "302",
            "statusDescription": "Found",
            "headers": {"location": [{"key": "Location",
                                      "value": "https://m.example.com" + request["uri"]}]},
        }
    return request
