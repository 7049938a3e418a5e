policy = {
    "Version": "2012-10-17",
    "Statement": [
        {
            # Read objects under incoming/ only: an object's ARN is arn:aws:s3:::<bucket>/<key>.
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": "arn:aws:s3:::lab-photos/incoming/*",
        },
        {
            # Put items into this one table: no reads, updates or deletes, no other table.
            "Effect": "Allow",
            "Action": "dynamodb:PutItem",
            "Resource": "arn:aws:dynamodb:us-east-1:123456789012:table/photo-index",
        },
    ],
}
