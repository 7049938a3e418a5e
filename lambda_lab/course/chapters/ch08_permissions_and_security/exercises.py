"""The exercises of chapter 08, Permissions and security: a least-privilege policy for an execution
role.

Importing this module registers them in :data:`lambda_lab.course.exercises.EXERCISES`.
"""

from __future__ import annotations

# --- 08: a least-privilege policy for an execution role -------------------------------------------
# The checks live in this chapter's helpers (they run the policy under mock_aws(enforce_iam)).
from lambda_lab.course.chapters.ch08_permissions_and_security import helpers as _security
from lambda_lab.course.exercises import Check, Exercise, register, solution_source

LEAST_PRIVILEGE = register(
    Exercise(
        id="least-privilege",
        title="A least-privilege policy: read one S3 prefix, put items into one table",
        topic="08-permissions-and-security",
        answer_name="policy",
        stub=_security.POLICY_STUB,
        not_attempted=_security.policy_not_attempted,
        checks=[
            Check("policy is a document: Version 2012-10-17 and statements with Effect, "
                  "Action and Resource", _security.check_document),
            Check("IAM accepts it as the role's inline policy", _security.check_accepted),
            Check("the handler reads s3://lab-photos/incoming/cat.jpg",
                  _security.check_reads_its_prefix),
            Check("the handler puts an item into photo-index", _security.check_puts_items),
            Check("other keys of the bucket, and other buckets, cannot be read",
                  _security.check_reads_nothing_else),
            Check("objects cannot be written or deleted", _security.check_writes_no_objects),
            Check("photo-index takes only PutItem, and no other table is reachable",
                  _security.check_table_only_puts),
        ],
        hints=[
            "Two statements, one per service, each with \"Effect\": \"Allow\", the one action "
            "the handler calls and the ARN of what it touches.",
            "S3: s3:GetObject on object ARNs arn:aws:s3:::<bucket>/<key>; a * at the end of "
            "arn:aws:s3:::lab-photos/incoming/* covers every key under the prefix.",
            "DynamoDB: dynamodb:PutItem on arn:aws:dynamodb:us-east-1:123456789012:table/"
            "photo-index (Region, account, then table/<name>).",
        ],
        solution=solution_source(__package__, "least_privilege"),
    )
)
