"""The ``%%lambda`` cell magic: the cell is the function's code; it is deployed on run.

    %load_ext lambda_lab
    %%lambda hello --memory 256 --timeout 3
    def handler(event, context):
        return {"hello": event["name"]}

The cell deploys (or redeploys) function ``hello`` and binds it to the name ``hello``.
"""

from __future__ import annotations

import argparse
import shlex

from .errors import LambdaError


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="%%lambda", add_help=False)
    p.add_argument("name")
    p.add_argument("--memory", type=int, default=128)
    p.add_argument("--timeout", type=int, default=3)
    p.add_argument("--ephemeral-storage", type=int, default=512)
    p.add_argument("--handler", default=None, help="module.function (default: detected)")
    p.add_argument("--env", action="append", default=[], metavar="KEY=VALUE")
    p.add_argument("--keep-alive", type=float, default=None)
    p.add_argument("--quiet", action="store_true")
    return p


def lambda_cell(line: str, cell: str, namespace: dict | None = None) -> object:
    """Deploy ``cell`` as the code of the function named on ``line``; return the Function."""
    from .native import deploy

    try:
        args = _parser().parse_args(shlex.split(line))
    except SystemExit:
        print("usage: %%lambda NAME [--memory MB] [--timeout S] [--ephemeral-storage MB] "
              "[--handler module.function] [--env KEY=VALUE ...] [--keep-alive S]")
        return None
    env = dict(item.split("=", 1) for item in args.env)
    kwargs = {"keep_alive": args.keep_alive} if args.keep_alive is not None else {}
    try:
        fn = deploy(cell, name=args.name, handler=args.handler, memory=args.memory,
                    timeout=args.timeout, ephemeral_storage=args.ephemeral_storage,
                    environment=env, **kwargs)
    except LambdaError as e:
        print(f"{e.code}: {e.message}")
        return None
    if namespace is not None and args.name.isidentifier():
        namespace[args.name] = fn
    if not args.quiet:
        print(f"Deployed {fn.name}: handler {fn.handler}, {fn.config.memory} MB, "
              f"timeout {fn.config.timeout} s")
    return None


def register(ipython) -> None:  # pragma: no cover - exercised in notebooks
    """Register ``%%lambda`` with an IPython shell."""

    def magic(line: str, cell: str) -> object:
        return lambda_cell(line, cell, ipython.user_ns)

    ipython.register_magic_function(magic, magic_kind="cell", magic_name="lambda")
