def authorizer(event, context):
    """A TOKEN authorizer: event["authorizationToken"] is the Authorization header."""
    if event["authorizationToken"] != "Bearer alice-secret":
        raise Exception("Unauthorized")  # exactly this message: API Gateway answers 401
    return {
        "principalId": "alice",
        "policyDocument": {
            "Version": "2012-10-17",
            "Statement": [{"Action": "execute-api:Invoke", "Effect": "Allow",
                           "Resource": event["methodArn"]}],
        },
        "context": {"user": "alice"},  # the backend reads it in requestContext.authorizer
    }
