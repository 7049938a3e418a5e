"""Execution roles for the course: the trust policy that lets Lambda assume a role.

CreateFunction fails with "The role defined for the function cannot be assumed by Lambda."
unless the role's trust policy allows the service principal lambda.amazonaws.com to call
sts:AssumeRole (Lambda DG, "Defining Lambda function permissions with an execution role").
"""

from __future__ import annotations

import json
from typing import Any

__all__ = ["LAMBDA_TRUST_POLICY", "lambda_role", "trust_policy"]


def trust_policy(service: str) -> str:
    """A trust policy (JSON text) letting the AWS service principal ``service`` assume the role."""
    return json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"Service": service},
                       "Action": "sts:AssumeRole"}],
    })


#: The trust policy of a Lambda execution role, as AssumeRolePolicyDocument takes it.
LAMBDA_TRUST_POLICY: str = trust_policy("lambda.amazonaws.com")


def lambda_role(iam: Any, name: str) -> str:
    """Create the IAM role ``name`` that Lambda may assume (no permissions); its ARN."""
    return iam.create_role(RoleName=name,
                           AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY)["Role"]["Arn"]
