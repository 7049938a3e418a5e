"""CloudFormation stacks whose Lambda resources really run (:mod:`lambda_lab.aws.cfn_stacks`),
patched into moto when moto first imports its CloudFormation engine.

Importing ``moto.cloudformation`` imports nearly every moto service (its resource parsers):
seconds that a session which never deploys a stack should not pay at ``mock_aws()``.
"""

from __future__ import annotations

import sys
from typing import Any

from .lazy import LazyPatches

__all__ = ["install", "uninstall"]

_sessions: dict[int, LazyPatches] = {}


def install(session: Any) -> None:
    """Patch moto's CloudFormation for ``session`` once it is imported (now, if it is)."""
    def patches() -> list[Any]:
        from . import cfn_stacks

        return cfn_stacks.patches(session)

    lazy = LazyPatches()
    _sessions[id(session)] = lazy
    lazy.when_imported("moto.cloudformation.models", patches)


def uninstall(session: Any) -> None:
    """Undo :func:`install`."""
    lazy = _sessions.pop(id(session), None)
    if lazy is not None:
        lazy.stop()
    stacks = sys.modules.get("lambda_lab.aws.cfn_stacks")
    if stacks is not None:
        stacks.forget(session)
