"""A function's ``VpcConfig`` on CreateFunction / UpdateFunctionConfiguration, checked as AWS does.

- ``SubnetIds`` and ``SecurityGroupIds`` go together (both empty: not in a VPC; on an update,
  empty lists take the function out of its VPC);
- every subnet and security group must exist in the Region's EC2, and all in one VPC, whose id
  Get* answer as ``VpcId``;
- the execution role must let Lambda manage the function's network interfaces:
  ec2:CreateNetworkInterface, ec2:DescribeNetworkInterfaces (on ``"*"``) and
  ec2:DeleteNetworkInterface (DG "Giving Lambda functions access to resources in an Amazon
  VPC", execution role permissions), with the role's inline and attached policies evaluated by
  :func:`lambda_lab.aws.iam_enforce.decide`.

The AWS managed policies for Lambda (``AWSLambdaVPCAccessExecutionRole``,
``AWSLambdaENIManagementAccess``, ``AWSLambdaBasicExecutionRole``, …) exist in the emulated IAM
with their real documents (moto's copy of AWS's managed policies), so attaching them works in
every session.
"""

from __future__ import annotations

import json
import re
from typing import Any
from unittest import mock

from ..errors import InvalidParameterValueException, ValidationException
from ..platform.network import VpcConfig
from . import iam_enforce

__all__ = ["ENI_ACTIONS", "install", "lambda_managed_policies", "parse", "uninstall"]

#: What CreateFunction checks, in order; the first one missing names the error.
ENI_ACTIONS = (("ec2:CreateNetworkInterface", None), ("ec2:DescribeNetworkInterfaces", "*"),
               ("ec2:DeleteNetworkInterface", None))
#: AWS-recorded (aws/aws-sdk-js#1293).
COEXIST = "SubnetIds and SecurityIds must coexist or be both empty list."
#: Lambda passes EC2's error through (AWS-recorded in motdotla/node-lambda#162).
NO_SUBNET = ("Error occurred while DescribeSubnets. EC2 Error Code: InvalidSubnetID.NotFound. "
             "EC2 Error Message: The subnet ID '{id}' does not exist")
NO_GROUP = ("Error occurred while DescribeSecurityGroups. EC2 Error Code: InvalidGroup.NotFound. "
            "EC2 Error Message: The security group '{id}' does not exist")
#: As CloudFormation relays Lambda's answer (smoketurner/serverless-vpc-plugin#765); the
#: subnets' variant is the emulator's wording (unconfirmed).
SG_OTHER_VPC = "Security Groups are required to be in the same VPC."
SUBNET_OTHER_VPC = "Subnets are required to be in the same VPC."
NO_ENI_PERMISSION = ("The provided execution role does not have permissions to call {action} "
                     "on EC2")
_MAX_SUBNETS, _MAX_GROUPS = 16, 5


def _ids(value: Any, field: str, prefix: str, limit: int) -> tuple[str, ...]:
    items = list(value or [])
    # the model's patterns, as AWS prints them (recorded test_invalid_vpc_config_*)
    pattern = {"subnet": "subnet-[0-9a-z]*", "sg": "sg-[0-9a-zA-Z]*"}[prefix]
    for item in items:
        if not isinstance(item, str) or not re.fullmatch(pattern, item):
            raise ValidationException(
                f"1 validation error detected: Value '[{', '.join(map(str, items))}]' at "
                f"'vpcConfig.{field}' failed to satisfy constraint: Member must satisfy "
                f"constraint: [Member must have length less than or equal to 1024, Member must "
                f"have length greater than or equal to 0, Member must satisfy regular "
                f"expression pattern: {pattern}]")
    if len(items) > limit:
        raise ValidationException(
            f"1 validation error detected: Value '[{', '.join(items)}]' at 'vpcConfig.{field}' "
            f"failed to satisfy constraint: Member must have length less than or equal to "
            f"{limit}")
    return tuple(dict.fromkeys(items))


def parse(account_id: str, region: str, role: str, spec: dict[str, Any] | None) -> VpcConfig:
    """The VpcConfig a request asks for, checked against EC2 and the role.

    Raises ValidationException (malformed ids) and InvalidParameterValueException (AWS's
    texts above)."""
    spec = spec or {}
    subnets = _ids(spec.get("SubnetIds"), "subnetIds", "subnet", _MAX_SUBNETS)
    groups = _ids(spec.get("SecurityGroupIds"), "securityGroupIds", "sg", _MAX_GROUPS)
    dual = bool(spec.get("Ipv6AllowedForDualStack", False))
    if bool(subnets) != bool(groups):
        raise InvalidParameterValueException(COEXIST)
    if not subnets:
        return VpcConfig(ipv6_dual_stack=dual)
    from moto.ec2.models import ec2_backends

    ec2 = ec2_backends[account_id][region]
    subnet_vpcs = []
    for sid in subnets:
        found = next((s for zone in ec2.subnets.values() for s in zone.values() if s.id == sid),
                     None)
        if found is None:
            raise InvalidParameterValueException(NO_SUBNET.format(id=sid))
        subnet_vpcs.append(found.vpc_id)
    group_vpcs = []
    for gid in groups:
        group = ec2.get_security_group_from_id(gid)
        if group is None:
            raise InvalidParameterValueException(NO_GROUP.format(id=gid))
        group_vpcs.append(group.vpc_id)
    vpc_id = subnet_vpcs[0]
    if any(v != vpc_id for v in subnet_vpcs):
        raise InvalidParameterValueException(SUBNET_OTHER_VPC)
    if any(v != vpc_id for v in group_vpcs):
        raise InvalidParameterValueException(SG_OTHER_VPC)
    check_role(account_id, role)
    return VpcConfig(subnets, groups, vpc_id, dual)


def check_role(account_id: str, role: str) -> None:
    """The role must allow the ENI actions (InvalidParameterValueException naming the first
    one it lacks)."""
    for action, resource in ENI_ACTIONS:
        if iam_enforce.decide(account_id, role, action, resource) is not None:
            raise InvalidParameterValueException(
                NO_ENI_PERMISSION.format(action=action.split(":")[1]))


# --------------------------------------------------------------------- managed policies

_lambda_policies: dict[str, Any] = {}


def lambda_managed_policies() -> dict[str, Any]:
    """AWS's managed policies whose name starts with ``AWSLambda`` (moto's copy), by name."""
    if not _lambda_policies:
        from moto.iam.aws_managed_policies import aws_managed_policies_data

        data = json.loads(aws_managed_policies_data)
        _lambda_policies.update({k: v for k, v in data.items() if k.startswith("AWSLambda")})
    return _lambda_policies


_installed: dict[int, Any] = {}


def install(session: Any) -> None:
    """Make the Lambda managed policies exist in every IAM backend of the session (moto loads
    AWS's managed policies only when asked to; iam_enforce asks for all of them)."""
    from moto.iam.models import AWSManagedPolicy, IAMBackend

    original = IAMBackend._init_aws_policies

    def init(backend: Any) -> list[Any]:
        found = original(backend)
        if found:
            return found
        return [AWSManagedPolicy.from_data(name, backend.account_id, backend.region_name, d)
                for name, d in lambda_managed_policies().items()]

    patch = mock.patch.object(IAMBackend, "_init_aws_policies", init)
    patch.start()
    _installed[id(session)] = patch


def uninstall(session: Any) -> None:
    patch = _installed.pop(id(session), None)
    if patch is not None:
        patch.stop()
