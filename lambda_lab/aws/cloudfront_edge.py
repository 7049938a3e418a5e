"""Lambda@Edge (and, through :mod:`.cloudfront_functions`, CloudFront Functions) on moto's
CloudFront: the distribution configs as sent (moto drops the
``LambdaFunctionAssociations``), checked at association time as CloudFront checks them
(CloudFront DG "Restrictions on Lambda@Edge", "Quotas on Lambda@Edge"; AWS's messages as seen
in recorded ``InvalidLambdaFunctionAssociation`` errors), and invalidations that empty the
emulated cache.

:func:`install` patches ``CloudFrontBackend`` (create/update/delete distribution, create
invalidation) and Lambda's ``DeleteFunction`` of an associated version; :func:`config_of` and
:func:`find` are what the front door (:mod:`lambda_lab.fronts.cloudfront`) reads.
"""

from __future__ import annotations

import copy
import json
import secrets
import threading
from collections.abc import Iterator
from typing import Any
from unittest import mock

__all__ = ["EDGE_REGION", "config_of", "find", "install", "uninstall"]

#: the Region whose edge runs the functions (logs go to /aws/lambda/us-east-1.{name} there)
EDGE_REGION = "us-east-1"
_RUNTIMES = ("python", "nodejs")
#: CloudFront DG "Quotas on Lambda@Edge": memory and timeout per event type
_MAX_MEMORY = {"viewer-request": 128, "viewer-response": 128}
_MAX_TIMEOUT = {"viewer-request": 5, "viewer-response": 5, "origin-request": 30,
                "origin-response": 30}

_configs: dict[str, dict[str, Any]] = {}
_lock = threading.Lock()
_patches: list[Any] = []


def config_of(distribution_id: str) -> dict[str, Any] | None:
    """The DistributionConfig as last sent (associations included), or None."""
    with _lock:
        return _configs.get(distribution_id)


def find(*, domain: str | None = None, distribution_id: str | None = None) \
        -> tuple[Any, dict[str, Any]] | None:
    """``(moto Distribution, config as sent)`` by domain name or id, in any account."""
    for dist in _distributions():
        if (domain is not None and dist.domain_name.lower() == domain.lower()) or \
                (distribution_id is not None and dist.distribution_id == distribution_id):
            config = config_of(dist.distribution_id)
            if config is not None:
                return dist, config
    return None


def _distributions() -> Iterator[Any]:
    from moto.cloudfront.models import cloudfront_backends

    for account in list(cloudfront_backends.values()):
        for backend in list(account.values()):
            yield from list(backend.distributions.values())


def associations(config: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Every LambdaFunctionAssociation of every cache behaviour of ``config``."""
    behaviours = [config.get("DefaultCacheBehavior") or {}]
    behaviours += (config.get("CacheBehaviors") or {}).get("Items") or []
    for b in behaviours:
        yield from (b.get("LambdaFunctionAssociations") or {}).get("Items") or []


# ----------------------------------------------------------------- association checks

def _error(message: str) -> Exception:
    from moto.cloudfront.exceptions import CloudFrontException

    return CloudFrontException("InvalidLambdaFunctionAssociation", message)


def check(config: dict[str, Any], account_id: str) -> None:
    """Raise ``InvalidLambdaFunctionAssociation`` for the first association CloudFront would
    refuse."""
    from . import cloudfront_functions

    for assoc in associations(config):
        _check_one(str(assoc.get("LambdaFunctionARN") or ""),
                   str(assoc.get("EventType") or ""), account_id)
    cloudfront_functions.check_associations(config, account_id)


def _check_one(arn: str, event_type: str, account_id: str) -> None:
    from ..errors import LambdaError
    from ..platform.model import LATEST

    parts = arn.split(":")
    if len(parts) != 8 or parts[2] != "lambda" or parts[5] != "function" \
            or not parts[7].isdigit():
        raise _error("The function ARN must reference a specific function version. (The ARN "
                     f"must end with the version number.) ARN: {arn}")
    if parts[3] != EDGE_REGION:
        raise _error(f"The function must be in region '{EDGE_REGION}'. ARN: {arn}")
    if parts[4] != account_id:
        raise _error(f"The function must be owned by the distribution's account. ARN: {arn}")
    platform = _platform(parts[4])
    try:
        version = platform.version(parts[6], parts[7]) if platform is not None else None
    except LambdaError:
        version = None
    if version is None or version.number == LATEST:
        raise _error(f"The function does not exist or you do not have permission to access it."
                     f" ARN: {arn}")
    cfg = version.config
    if cfg.environment:
        raise _error(f"The function cannot have environment variables. Function: {arn}")
    if cfg.layers:
        raise _error(f"The function cannot have layers. Function: {arn}")
    if cfg.vpc is not None and cfg.vpc.subnet_ids:
        raise _error(f"The function cannot have a VPC configuration. Function: {arn}")
    if cfg.dead_letter_arn:
        raise _error(f"The function cannot have a DeadLetterConfig. Function: {arn}")
    if not cfg.runtime.startswith(_RUNTIMES):
        raise _error(f"The function has an invalid runtime for functions that are triggered "
                     f"by a CloudFront event: {cfg.runtime}. Function: {arn}")
    if event_type in _MAX_MEMORY and cfg.memory > _MAX_MEMORY[event_type]:
        raise _error(f"The function memory size is larger than the maximum allowed size for "
                     f"functions that are triggered by a CloudFront event: {cfg.memory} Max "
                     f"allowed: {_MAX_MEMORY[event_type]} Function: {arn}")
    if cfg.timeout > _MAX_TIMEOUT.get(event_type, 30):
        raise _error(f"The function execution time is larger than the maximum allowed for "
                     f"functions that are triggered by a CloudFront event: {cfg.timeout} Max "
                     f"allowed: {_MAX_TIMEOUT.get(event_type, 30)} Function: {arn}")
    if not _role_trusts_edge(cfg.role, parts[4]):
        raise _error("The function execution role must be assumable with edgelambda.amazonaws"
                     ".com as well as lambda.amazonaws.com principals. Update the IAM role and "
                     f"try again. Role: {cfg.role}")


def _platform(account_id: str) -> Any:
    import moto.awslambda.models as models

    try:
        return models.lambda_backends[account_id][EDGE_REGION].platform
    except (KeyError, AttributeError):
        return None


def _role_trusts_edge(role_arn: str, account_id: str) -> bool:
    from moto.iam.models import iam_backends

    try:
        role = iam_backends[account_id]["global"].get_role(role_arn.rsplit("/", 1)[-1])
        doc = role.assume_role_policy_document
        policy = json.loads(doc) if isinstance(doc, str) else doc
    except Exception:  # noqa: BLE001 - no such role, or a policy that is not JSON
        return False
    services: set[str] = set()
    statements = policy.get("Statement") or []
    for st in statements if isinstance(statements, list) else [statements]:
        if st.get("Effect") != "Allow":
            continue
        service = (st.get("Principal") or {}).get("Service") or []
        services.update([service] if isinstance(service, str) else service)
    return {"lambda.amazonaws.com", "edgelambda.amazonaws.com"} <= services


def associated_versions() -> set[tuple[str, str]]:
    """(function name, version) of every associated function version."""
    out = set()
    with _lock:
        configs = list(_configs.values())
    for config in configs:
        for assoc in associations(config):
            parts = str(assoc.get("LambdaFunctionARN") or "").split(":")
            if len(parts) == 8:
                out.add((parts[6], parts[7]))
    return out


# ----------------------------------------------------------------- moto patches

def _keep(config: dict[str, Any], moto_config: Any) -> None:
    """Copy the associations moto dropped back onto its behaviours (so Get answers them)."""
    behaviours = [(config.get("DefaultCacheBehavior") or {}, moto_config.DefaultCacheBehavior)]
    items = (moto_config.CacheBehaviors or {}).get("Items") or []
    sent = (config.get("CacheBehaviors") or {}).get("Items") or []
    behaviours += list(zip(sent, items, strict=False))
    for raw, obj in behaviours:
        for key, attr in (("LambdaFunctionAssociations", "lambda_function_associations"),
                          ("FunctionAssociations", "function_associations")):
            got = raw.get(key) or {}
            entries = got.get("Items") or []
            if entries:
                setattr(obj, attr, {"Quantity": len(entries), "Items": entries})


def install(mock_session: Any = None) -> None:
    """Patch moto's CloudFront (before moto starts)."""
    from moto.cloudfront.models import CloudFrontBackend

    from ..fronts import cloudfront_cache
    from . import cloudfront_functions

    cloudfront_functions.install()

    create, update = CloudFrontBackend.create_distribution_with_tags, \
        CloudFrontBackend.update_distribution
    delete, invalidate = CloudFrontBackend.delete_distribution, \
        CloudFrontBackend.create_invalidation

    def create_with_tags(self: Any, distribution_config: dict[str, Any], tags: Any) -> Any:
        raw = copy.deepcopy(distribution_config)
        check(raw, self.account_id)
        dist, location, etag = create(self, distribution_config, tags)
        dist.domain_name = f"d{secrets.token_hex(8)[:13]}.cloudfront.net"  # AWS's form
        with _lock:
            _configs[dist.distribution_id] = raw
        _keep(raw, dist.distribution_config)
        return dist, location, etag

    def update_distribution(self: Any, dist_config: dict[str, Any], _id: str,
                            if_match: Any) -> Any:
        raw = copy.deepcopy(dist_config)
        if raw:
            check(raw, self.account_id)
        dist, location, etag = update(self, dist_config, _id, if_match)
        with _lock:
            _configs[_id] = raw
        _keep(raw, dist.distribution_config)
        cloudfront_cache.clear(_id)
        return dist, location, etag

    def delete_distribution(self: Any, distribution_id: str, if_match: Any) -> None:
        delete(self, distribution_id, if_match)
        with _lock:
            _configs.pop(distribution_id, None)
        cloudfront_cache.clear(distribution_id)

    def create_invalidation(self: Any, dist_id: str, paths: list[str], caller_ref: str) -> Any:
        result = invalidate(self, dist_id, paths, caller_ref)
        cloudfront_cache.invalidate(dist_id, paths)
        return result

    from ..errors import InvalidParameterValueException
    from ..platform.arns import parse_function_ref
    from ..platform.platform import Platform

    delete_function = Platform.delete_function

    def delete_replicated(self: Any, ref: str, qualifier: str | None = None) -> None:
        name, qual = parse_function_ref(ref)
        qual = qualifier or qual
        for fn_name, number in sorted(associated_versions()):
            if self.region == EDGE_REGION and fn_name == name and qual in (None, number):
                raise InvalidParameterValueException(
                    f"Lambda was unable to delete arn:aws:lambda:{EDGE_REGION}:"
                    f"{self.account_id}:function:{name}:{number} because it is a replicated "
                    "function. Please see our documentation for Deleting Lambda@Edge "
                    "Functions and Replicas.")
        delete_function(self, ref, qualifier)

    p = mock.patch.object(Platform, "delete_function", delete_replicated)
    p.start()
    _patches.append(p)
    for name, fn in (("create_distribution_with_tags", create_with_tags),
                     ("update_distribution", update_distribution),
                     ("delete_distribution", delete_distribution),
                     ("create_invalidation", create_invalidation)):
        p = mock.patch.object(CloudFrontBackend, name, fn)
        p.start()
        _patches.append(p)


def uninstall(mock_session: Any = None) -> None:
    """Undo :func:`install`; forget the session's configs and cache."""
    from ..fronts import cloudfront_cache
    from . import cloudfront_functions

    cloudfront_functions.uninstall()
    while _patches:
        _patches.pop().stop()
    with _lock:
        _configs.clear()
    cloudfront_cache.clear(None)
