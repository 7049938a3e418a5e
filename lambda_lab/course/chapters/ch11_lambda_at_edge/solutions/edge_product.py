choices = {
    "cache-key": "cloudfront-functions",  # viewer event, tiny and very frequent
    "body": "lambda@edge",                # CloudFront Functions cannot read the body
    "origin-pick": "lambda@edge",         # CloudFront Functions run on viewer events only
    "jwt": "cloudfront-functions",        # pure computation in the viewer request
    "dynamodb": "lambda@edge",            # CloudFront Functions have no network access
}
