"""A function's execution role: temporary credentials from moto's STS, as Lambda gets them.

Lambda assumes the function's role (session name: the function name) and hands the worker
``AWS_ACCESS_KEY_ID`` / ``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``; inside the handler
``sts.get_caller_identity()`` then answers
``arn:aws:sts::<account>:assumed-role/<role-name>/<function-name>``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

__all__ = ["issued", "role_credentials"]

SESSION_SECONDS = 12 * 3600
#: access key id -> (role ARN, session name) of each session handed to handlers (iam_enforce)
issued: dict[str, tuple[str, str]] = {}


def role_credentials(account_id: str, region: str) -> Callable[[str, str], Mapping[str, str]]:
    """A ``(role_arn, function_name) -> credentials`` function for one account and Region."""

    def assume(role_arn: str, function_name: str) -> Mapping[str, str]:
        from moto.sts.models import sts_backends
        from moto.utilities.utils import get_partition

        sts = sts_backends[account_id][get_partition(region)]
        role = sts.assume_role(region_name=region, role_session_name=function_name[:64],
                               role_arn=role_arn, policy="", duration=SESSION_SECONDS,
                               external_id="")
        issued[role.access_key_id] = (role_arn, function_name[:64])
        return {"AWS_ACCESS_KEY_ID": role.access_key_id,
                "AWS_SECRET_ACCESS_KEY": role.secret_access_key,
                "AWS_SESSION_TOKEN": role.session_token}

    return assume
