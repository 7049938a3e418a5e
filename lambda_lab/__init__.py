"""Lambda Lab: a local AWS Lambda emulator that really runs your handlers, and a course on it.

Heavy dependencies (boto3, moto, ipywidgets) load lazily so ``import lambda_lab`` stays fast.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_LAZY = {
    "deploy": "native",
    "get_function": "native",
    "list_functions": "native",
    "delete_function": "native",
    "Function": "native",
    "FunctionConfig": "native",
    "InvocationResult": "execution.result",
    "LambdaError": "errors",
    "mock_aws": "aws.mock",
}

__all__ = sorted(_LAZY)


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'lambda_lab' has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext lambda_lab`` registers the ``%%lambda`` cell magic."""
    from .magic import register

    register(ipython)
