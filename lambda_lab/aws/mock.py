"""``lambda_lab.mock_aws()``: an in-memory AWS (moto) whose Lambda really runs handlers.

    with lambda_lab.mock_aws(seed=1) as aws:
        lam = boto3.client("lambda", region_name="us-east-1")
        ...
        aws.advance(60)        # fast-forward the platform clock

Inside the context every boto3 client talks to moto; the Lambda API is answered by lambda_lab's
platform (:mod:`lambda_lab.platform`). A threaded moto server on 127.0.0.1 shares the same
in-memory state, and handlers reach it through ``AWS_ENDPOINT_URL``, so what a handler writes
the notebook reads, and a handler may invoke other functions.
"""

from __future__ import annotations

import functools
import random
import threading
from collections.abc import Callable
from typing import Any, TypeVar
from unittest import mock

from .. import fronts
from ..clock import RealTimeClock, VirtualClock
from ..platform import AsyncEvent, Platform, asyncq
from ..platform.concurrency import SCALING_RULES
from ..sources import hooks as sources_hooks
from . import (
    backend,
    cloudformation,
    cloudfront_edge,
    cloudwatch,
    codedeploy,
    codepipeline,
    cognito,
    dynamodb,
    ecr,
    iam_enforce,
    services,
    stepfunctions,
    vpc_config,
    vpc_network,
    xray,
)
from .responses import action_names

__all__ = ["MockAWS", "mock_aws"]

F = TypeVar("F", bound=Callable[..., Any])
_active_lock = threading.Lock()
_active: MockAWS | None = None


class MockAWS:
    """The emulated AWS of one ``with`` block (or one call of a decorated function).

    ``clock``: the platform clock (default: a RealTimeClock owned and closed by the mock);
    ``seed``: seeds alias routing; ``server``: start the in-process moto server handlers use;
    ``isolation``: passed to the execution environments; ``account_concurrency``: the account's
    concurrency limit (default 1,000; see :meth:`set_account_concurrency`); ``scaling_rule``:
    ``"2023"`` (1,000 new environments per 10 s per function) or ``"2020"`` (the older
    account-wide burst, then +500 per minute); ``function_states``: a new function is
    ``Pending`` and an update ``InProgress`` for ``state_delay_s`` seconds of platform time (DG
    "Lambda function states"; default off: always Active / Successful). On the real-time clock
    boto3's waiters (``function_active_v2``, ``function_updated_v2``) see it end; on a
    VirtualClock call ``aws.advance(state_delay_s)`` first, or the waiter polls for ever.
    ``enforce_iam``: handlers' AWS calls are allowed or denied by their execution role's
    policies, as on AWS (:mod:`lambda_lab.aws.iam_enforce`); other callers stay unrestricted.
    """

    def __init__(self, *, clock: VirtualClock | None = None, seed: int | None = None,
                 server: bool = True, isolation: str = "auto",
                 account_concurrency: int | None = None, scaling_rule: str = "2023",
                 function_states: bool = False, state_delay_s: float = 1.0,
                 enforce_iam: bool = False) -> None:
        if not state_delay_s >= 0:
            raise ValueError(f"state_delay_s must be >= 0, got {state_delay_s!r}")
        self.function_states = function_states
        self.enforce_iam = enforce_iam
        self.state_delay_s = float(state_delay_s)
        self._clock_arg = clock
        self._seed = seed
        self._with_server = server
        self.isolation = isolation
        if scaling_rule not in SCALING_RULES:
            raise ValueError(f"scaling_rule must be one of {SCALING_RULES}, got {scaling_rule!r}")
        self.account_concurrency = account_concurrency
        self.scaling_rule = scaling_rule
        self._unreserved_min: int | None = None
        self.clock: VirtualClock | None = None
        self.rng = random.Random(seed)
        self.endpoint_url: str | None = None
        self._backends: Any = None
        self._patches: list[Any] = []
        self._moto: Any = None
        self._server: Any = None
        self._server_thread: threading.Thread | None = None
        self.server_port = 0  #: the server's port on 127.0.0.1 (0: any free one)

    # ----------------------------------------------------------------- lifetime

    def start(self) -> MockAWS:
        """Start moto, our Lambda backend and the server. Raises RuntimeError if one is active."""
        global _active
        import moto
        import moto.awslambda
        import moto.awslambda.models
        import moto.core.responses as moto_responses

        with _active_lock:
            if _active is not None:
                raise RuntimeError("lambda_lab.mock_aws() is already active; they do not nest")
            _active = self
        try:
            self.clock = self._clock_arg or RealTimeClock()
            self.rng = random.Random(self._seed)
            self._backends = backend.new_backend_dict()
            self._patches = [mock.patch.object(m, "lambda_backends", self._backends)
                             for m in (moto.awslambda, moto.awslambda.models)]
            self._patches.append(mock.patch.object(  # a request's action lookup, cached
                moto_responses, "method_names_from_class",
                action_names(moto_responses.method_names_from_class)))
            for p in self._patches:
                p.start()
            backend.install(self)
            sources_hooks.install(self)  # moto's SQS on the platform clock; triggers
            codedeploy.install(self)  # Lambda traffic shifting (lambda_lab.platform.traffic)
            cloudwatch.install(self)  # AWS/Lambda metrics; alarms evaluated on the clock
            ecr.install(self)  # image digests are the manifests' SHA-256
            dynamodb.install(self)  # table descriptions as AWS answers them
            xray.install()  # whole traces, summaries with filter expressions, service graph
            if self.enforce_iam:
                iam_enforce.install(self)  # execution roles' policies (before moto starts)
            vpc_config.install(self)  # the AWSLambda* managed policies exist in IAM
            stepfunctions.install(self)  # state machines run, on the platform clock
            cognito.install(self)  # user pool Lambda triggers
            cloudfront_edge.install(self)  # Lambda@Edge associations, CloudFront Functions
            cloudformation.install(self)  # stacks' Lambda resources on the platform; SAM
            codepipeline.install(self)  # pipeline executions on the platform clock
            self._moto = moto.mock_aws(config=stepfunctions.CONFIG)
            self._moto.start()
            fronts.install()  # requests/urllib to API Gateway, function URL and ALB hosts
            if self._with_server:
                self._start_server()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_server(self) -> None:
        # moto's ThreadedMotoServer, minus its request log on stderr: a threaded WSGI server
        # (a nested synchronous invoke needs a second request served while the first waits).
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app
        from werkzeug.serving import WSGIRequestHandler, make_server

        class _Quiet(fronts.KeepAlive, WSGIRequestHandler):  # keep-alive for front doors
            def log(self, *args: Any) -> None:
                pass

        from .front import LambdaFront

        # handlers' calls pass the VPC network check first (vpc_network)
        app = fronts.Middleware(vpc_network.guard(
            LambdaFront(DomainDispatcherApplication(create_backend_app)), self))
        self._server = make_server("127.0.0.1", self.server_port, app, threaded=True,
                                   request_handler=_Quiet)
        self._server_thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                               name="lambda-lab-moto-server", daemon=True)
        self._server_thread.start()
        host, port = self._server.server_address[:2]
        self.endpoint_url = f"http://{host}:{port}"

    def stop(self) -> None:
        """End every environment and background thread, stop the server, restore moto."""
        global _active
        try:
            vpc_network.stop(self)  # requests held for a missing route are let go
            stepfunctions.uninstall(self)  # running executions stop before the platforms
            cognito.uninstall(self)
            cloudformation.uninstall(self)
            codepipeline.uninstall(self)
            sources_hooks.uninstall(self)  # pollers and schedules stop before the platforms
            cloudwatch.uninstall(self)  # its alarm and flush timers stop
            codedeploy.uninstall(self)
            for platform in self.platforms():
                platform.close()
            if self._server is not None:
                self._server.shutdown()
                self._server.server_close()
                if self._server_thread is not None:
                    self._server_thread.join()
                self._server = None
            fronts.uninstall()
            if self._moto is not None:
                self._moto.stop()
                self._moto = None
        finally:
            iam_enforce.uninstall(self)
            cloudfront_edge.uninstall(self)
            vpc_config.uninstall(self)
            ecr.uninstall(self)
            dynamodb.uninstall(self)
            xray.uninstall()
            for p in reversed(self._patches):
                p.stop()
            self._patches = []
            backend.install(None)
            if self.clock is not None and self._clock_arg is None:
                self.clock.close()
            with _active_lock:
                if _active is self:
                    _active = None

    def __enter__(self) -> MockAWS:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def __call__(self, func: F) -> F:
        """Use as a decorator: each call of ``func`` runs inside a fresh emulated AWS."""

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with self:
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    # ----------------------------------------------------------------- the platform

    def new_platform(self, region: str, account_id: str) -> Platform:
        """Called by the Lambda backend for each account and Region on first use."""
        env = {"AWS_ENDPOINT_URL": self.endpoint_url} if self.endpoint_url else {}
        platform = Platform(region=region, account_id=account_id, clock=self.clock, rng=self.rng,
                            extra_env=env, on_logs=services.cloudwatch_sink(account_id, region),
                            isolation=self.isolation,
                            state_delay=self.state_delay_s if self.function_states else None)
        self._configure_concurrency(platform)
        cloudwatch.attach(self, platform)
        vpc_network.attach(platform)  # Hyperplane ENIs in moto's EC2
        return platform

    def platform(self, region: str = "us-east-1", account_id: str = "123456789012") -> Platform:
        """The Lambda platform of one account and Region (created if not used yet)."""
        return self._backends[account_id][region].platform

    def platforms(self) -> list[Platform]:
        """Every platform created in this session."""
        if self._backends is None:
            return []
        return [b.platform for account in list(self._backends.values())
                for b in list(account.values())]

    def advance(self, seconds: float) -> int:
        """Fast-forward platform time, running every timer that falls due; returns how many ran."""
        if self.clock is None:
            raise RuntimeError("mock_aws() is not active")
        # waits for async attempts in flight first, and for those the timers start (asyncq)
        return asyncq.advance(self.clock, lambda: [p.async_queue for p in self.platforms()]
                              + stepfunctions.executions(), seconds)

    def reach(self, function: str, to: str, *, qualifier: str | None = None,
              region: str = "us-east-1", account_id: str = "123456789012") -> Any:
        """Can ``function`` reach ``to`` (a service name such as ``"dynamodb"``, a host, or a
        URL) from its VPC, and why not: a :class:`~lambda_lab.platform.network.Reachability`
        (``ok``, ``path``, ``reason``), the answer the emulator enforces."""
        return vpc_network.function_reach(self.platform(region, account_id), function, to,
                                          qualifier)

    def network_figure(self, function: str, to: str, *, qualifier: str | None = None,
                       region: str = "us-east-1", account_id: str = "123456789012") -> Any:
        """The picture of ``function``'s VPC and of the path a call to ``to`` takes, or where
        it stops (a matplotlib Figure)."""
        return vpc_network.function_figure(self.platform(region, account_id), function, to,
                                           qualifier)

    def seed(self, value: int | None) -> None:
        """Re-seed alias routing (weighted version choice)."""
        self.rng.seed(value)

    def set_account_concurrency(self, limit: int, *, unreserved_min: int | None = None) -> None:
        """Set the account concurrency limit of every Region (for teaching; AWS raises it on
        request). ``unreserved_min`` overrides the unreserved minimum (100, or the whole limit
        below 100). Raises ValueError if ``limit`` is negative."""
        self.account_concurrency = limit
        self._unreserved_min = unreserved_min
        for platform in self.platforms():
            platform.concurrency.set_account_limit(limit, unreserved_min=unreserved_min)

    def _configure_concurrency(self, platform: Platform) -> None:
        c = platform.concurrency
        if self.account_concurrency is not None:
            c.set_account_limit(self.account_concurrency,
                                unreserved_min=self._unreserved_min)
        if self.scaling_rule != c.scaling_rule:
            c.set_scaling_rule(self.scaling_rule)

    @property
    def async_events(self) -> list[AsyncEvent]:
        """Every Event invocation of this session, with its status and result."""
        return [e for p in self.platforms() for e in p.async_events]

    def wait_async(self, timeout: float | None = 30.0) -> bool:
        """Wait until no Event invocation is queued or running (those waiting for a retry on
        the clock excepted: ``advance`` runs them); False on timeout."""
        return all(p.async_queue.join(timeout) for p in self.platforms())


def mock_aws(*, clock: VirtualClock | None = None, seed: int | None = None, server: bool = True,
             isolation: str = "auto", account_concurrency: int | None = None,
             scaling_rule: str = "2023", function_states: bool = False,
             state_delay_s: float = 1.0, enforce_iam: bool = False) -> MockAWS:
    """An emulated AWS: a context manager (``with mock_aws() as aws``) or a decorator (options:
    :class:`MockAWS`)."""
    return MockAWS(clock=clock, seed=seed, server=server, isolation=isolation,
                   account_concurrency=account_concurrency, scaling_rule=scaling_rule,
                   function_states=function_states, state_delay_s=state_delay_s,
                   enforce_iam=enforce_iam)
