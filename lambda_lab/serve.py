"""``python -m lambda_lab serve --port N``: the emulated AWS over HTTP on 127.0.0.1, until Ctrl-C.

The same session as ``lambda_lab.mock_aws()`` — moto for S3, SQS, DynamoDB, IAM, …, lambda_lab's
platform behind the Lambda API, handlers really running — with its server bound to the port
asked for. Any SDK or the AWS CLI works against it::

    python -m lambda_lab serve --port 5000 &
    export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
    aws --endpoint-url http://127.0.0.1:5000 iam create-role --role-name r \\
        --assume-role-policy-document '{"Version": "2012-10-17", "Statement": []}'
    aws --endpoint-url http://127.0.0.1:5000 lambda create-function --function-name f \\
        --runtime python3.12 --handler lambda_function.handler \\
        --role arn:aws:iam::123456789012:role/r --zip-file fileb://fn.zip
    aws --endpoint-url http://127.0.0.1:5000 lambda invoke --function-name f \\
        --payload '{"a": 1}' out.json

``--payload``: CLI v1 (the ``awscli`` package on PyPI, used by the tests) sends the text as it
is and has no ``--cli-binary-format`` option; CLI v2 reads a blob argument as base64 unless given
``--cli-binary-format raw-in-base64-out`` (or ``cli_binary_format = raw-in-base64-out`` in its
config), so with v2 add that flag to ``lambda invoke``.

Any access key works (account 123456789012). ``--enforce-iam``: handlers' own AWS calls are
allowed or denied by their execution role's policies (``mock_aws(enforce_iam=True)``).
SIGINT (Ctrl-C) and SIGTERM stop the server, end
every execution environment and exit with status 0.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Callable
from types import FrameType

__all__ = ["main", "serve"]

DEFAULT_PORT = 5000


def serve(port: int = DEFAULT_PORT, *, seed: int | None = None, isolation: str = "auto",
          function_states: bool = False, state_delay_s: float = 1.0, enforce_iam: bool = False,
          ready: threading.Event | None = None, stop: threading.Event | None = None,
          on_ready: Callable[[str], None] | None = None) -> int:
    """Serve until ``stop`` is set (or SIGINT/SIGTERM when called on the main thread).
    ``function_states`` / ``state_delay_s`` / ``enforce_iam``: as for ``mock_aws()``;
    ``on_ready``: called with the endpoint URL once the server listens (e.g. with port 0).

    Prints one line with the endpoint, then blocks. Returns an exit status."""
    from .aws.mock import MockAWS

    stop = stop or threading.Event()
    previous: dict[int, object] = {}
    if threading.current_thread() is threading.main_thread():
        def _stop(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, _stop)
    session = MockAWS(seed=seed, isolation=isolation, function_states=function_states,
                      state_delay_s=state_delay_s, enforce_iam=enforce_iam)
    session.server_port = port
    try:
        try:
            session.start()
        except (OSError, SystemExit) as e:  # werkzeug exits when the port is taken
            reason = e.strerror if isinstance(e, OSError) else "address already in use"
            print(f"lambda_lab serve: cannot listen on 127.0.0.1:{port}: {reason}",
                  file=sys.stderr, flush=True)
            return 1
        url = session.endpoint_url
        print(f"lambda_lab: emulated AWS on {url} (127.0.0.1 only; Ctrl-C to stop) - use "
              f"`aws --endpoint-url {url} lambda ...` or endpoint_url={url!r} in any SDK, "
              "with any credentials, e.g. AWS_ACCESS_KEY_ID=testing", flush=True)
        if on_ready is not None:
            on_ready(url)
        if ready is not None:
            ready.set()
        while not stop.wait(0.5):
            pass
        return 0
    finally:
        session.stop()
        from .execution import zygote

        if zygote._shared is not None:  # end the zygote too: no process outlives the server
            zygote._shared.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    """``python -m lambda_lab serve [--port N] [--seed S] [--function-states] [--enforce-iam]``."""
    parser = argparse.ArgumentParser(
        prog="python -m lambda_lab serve", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"TCP port on 127.0.0.1 (default {DEFAULT_PORT}; 0: any free port)")
    parser.add_argument("--seed", type=int, default=None, help="seed alias routing")
    parser.add_argument("--isolation", default="auto",
                        help="execution environment isolation (auto, namespace, fallback)")
    parser.add_argument("--function-states", action="store_true",
                        help="new functions are Pending and updates InProgress for a while, "
                             "as on AWS (use the SDK's waiters)")
    parser.add_argument("--state-delay", type=float, default=1.0, metavar="SECONDS",
                        help="how long Pending / InProgress last (default 1)")
    parser.add_argument("--enforce-iam", action="store_true",
                        help="handlers' AWS calls are checked against their execution role's "
                             "policies (AccessDenied as on AWS); other callers are unrestricted")
    args = parser.parse_args(argv)
    if not 0 <= args.port <= 65535:
        parser.error("--port must be 0 to 65535")
    if not args.state_delay >= 0:
        parser.error("--state-delay must be >= 0")
    return serve(args.port, seed=args.seed, isolation=args.isolation,
                 function_states=args.function_states, state_delay_s=args.state_delay,
                 enforce_iam=args.enforce_iam)


if __name__ == "__main__":
    sys.exit(main())
