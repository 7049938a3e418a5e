"""Aliases: creating and changing them under Lambda's rules, and weighted routing on invoke."""

from __future__ import annotations

import random
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING

from ..errors import (
    InvalidParameterValueException,
    ResourceConflictException,
    ResourceNotFoundException,
    ValidationException,
)
from .model import LATEST, Alias, Function, check_revision

if TYPE_CHECKING:
    from .platform import Platform

__all__ = ["check_routing", "choose_version", "create", "get", "update"]

_ALIAS_NAME = re.compile(r"(?!^[0-9]+$)([a-zA-Z0-9-_]+)")
_ALIAS_PATTERN = "(?!^[0-9]+$)([a-zA-Z0-9-_]+)"


def check_routing(primary: str, weights: Mapping[str, float]) -> dict[str, float]:
    """Check an alias's AdditionalVersionWeights as Lambda does; return them as a dict.

    Existence of the versions is checked by the caller. Raises:
        InvalidParameterValueException: more than one item, the primary version repeated, or
            a primary of ``$LATEST`` with routing.
        ValidationException: a weight outside [0, 1) or a key that is not a version number.
    """
    if len(weights) > 1:
        raise InvalidParameterValueException(
            "Number of items in AdditionalVersionWeights cannot be greater than 1")
    for key, value in weights.items():
        if not 0.0 <= value < 1.0:
            raise ValidationException(
                f"1 validation error detected: Value '{{{key}={float(value)}}}' at "
                "'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map "
                "value must satisfy constraint: [Member must have value less than or equal to "
                "1.0, Member must have value greater than or equal to 0.0, Member must not be "
                "null]")
        if key == primary:
            raise InvalidParameterValueException(
                f"Invalid function version {primary}. Function version {primary} is already "
                "included in routing configuration.")
        if primary == LATEST:
            raise InvalidParameterValueException(
                "$LATEST is not supported for an alias pointing to more than 1 version",
                typed=False)  # AWS's body has no Type here (recorded)
        if not key.isdigit():
            raise ValidationException(
                f"1 validation error detected: Value '{{{key}={float(value)}}}' at "
                "'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map keys "
                "must satisfy constraint: [Member must have length less than or equal to 1024, "
                "Member must have length greater than or equal to 1, Member must satisfy "
                "regular expression pattern: [0-9]+]")  # as AWS prints it (recorded)
    return {str(k): float(v) for k, v in weights.items()}


def choose_version(alias: Alias, rng: random.Random) -> str:
    """The version one invocation of ``alias`` runs: each additional version with its weight,
    the primary version otherwise."""
    draw = rng.random()
    for version, weight in alias.weights.items():
        if draw < weight:
            return version
        draw -= weight
    return alias.function_version


def _check_target(platform: Platform, fn: Function, version: str,
                  weights: Mapping[str, float]) -> dict[str, float]:
    checked = check_routing(version, weights)
    for number in (version, *checked):
        if fn.version(number) is None:
            raise ResourceNotFoundException(
                f"Function not found: {platform.arn(fn.name, number)}")
    return checked


def create(platform: Platform, fn: Function, name: str, version: str, description: str,
           weights: Mapping[str, float] | None) -> Alias:
    """Create alias ``name`` on ``fn``.

    Raises ValidationException (name pattern, weights), ResourceNotFoundException (a version
    that does not exist), ResourceConflictException (the alias exists) and the errors of
    :func:`check_routing`.
    """
    if not _ALIAS_NAME.fullmatch(name):
        raise ValidationException(
            f"1 validation error detected: Value '{name}' at 'name' failed to satisfy "
            f"constraint: Member must satisfy regular expression pattern: {_ALIAS_PATTERN}")
    checked = _check_target(platform, fn, version, weights or {})
    if name in fn.aliases:
        raise ResourceConflictException(f"Alias already exists: {platform.arn(fn.name, name)}")
    alias = Alias(name, version, checked, description or "")
    fn.aliases[name] = alias
    return alias


def get(platform: Platform, fn: Function, name: str) -> Alias:
    """Raises ResourceNotFoundException "Cannot find alias arn: ..." for an unknown alias."""
    alias = fn.aliases.get(name)
    if alias is None:
        raise ResourceNotFoundException(f"Cannot find alias arn: {platform.arn(fn.name, name)}")
    return alias


def update(platform: Platform, fn: Function, name: str, version: str | None,
           description: str | None, weights: Mapping[str, float] | None,
           revision_id: str | None = None) -> Alias:
    """Change an alias; ``None`` keeps a field, ``weights={}`` removes the routing.

    ``revision_id``: only if it is the alias's (else PreconditionFailedException). An alias
    with provisioned concurrency takes it along (ResourceConflictException if a new version
    is provisioned by another configuration)."""
    if name not in fn.aliases:  # UpdateAlias's own wording (recorded)
        raise ResourceNotFoundException(f"Alias not found: {platform.arn(fn.name, name)}")
    alias = get(platform, fn, name)
    check_revision(alias.revision_id, revision_id)
    target = version if version is not None else alias.function_version
    new_weights = dict(alias.weights) if weights is None else dict(weights)
    checked = _check_target(platform, fn, target, new_weights)
    platform.provisioned.check_alias(fn.name, name, target, checked)  # ResourceConflict
    alias.function_version = target
    alias.weights = checked
    if description is not None:
        alias.description = description
    alias.new_revision()
    platform.provisioned.alias_updated(fn.name, alias)  # its provisioned environments move
    return alias
