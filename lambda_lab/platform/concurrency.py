"""Concurrency: the account limit, reserved and provisioned concurrency, scaling rate, throttles.

:class:`ConcurrencyController` is pure bookkeeping: no threads, no processes, no wire. It reads
platform time from the clock it is given (to refill scaling tokens) and costs O(1) per
:meth:`~ConcurrencyController.try_acquire` / :meth:`~ConcurrencyController.release`, so the same
rules drive the real platform (one slot held around each running invocation) and a simulator of
thousands of modelled invocations on a virtual clock.

The rules (shared/reference/lambda-facts.md):

* Account concurrency: 1,000 per Region by default (settable here for teaching).
* Unreserved minimum: reservations (reserved concurrency, and the provisioned concurrency of
  functions without a reservation) must leave at least 100 unreserved (for an account whose limit
  is below 100, the whole limit: such accounts cannot reserve at all, as on AWS).
* A function with reserved concurrency R runs at most R invocations at once, its provisioned ones
  included; beyond that: 429 ``ReservedFunctionConcurrentInvocationLimitExceeded``. R = 0 throttles
  every invocation.
* A function without a reservation runs on its ready provisioned environments, then on the
  unreserved pool (account limit minus all reservations); beyond that: 429
  ``ConcurrentInvocationLimitExceeded``.
* Scaling rate: an invocation that needs a *new* environment (no idle one, not provisioned) takes a
  token. ``"2023"`` (the current rule, Nov 2023): 1,000 environments per 10 s per function,
  refilled continuously (100 per second, never above 1,000), as the DG scaling-behavior page
  says. ``"2020"`` (the course's notes): an account-wide burst of 3,000 / 1,000 / 500 by Region,
  then +500 per minute. AWS documents only "a throttling error (429)" for this case, with no
  Reason; lambda_lab reports ``ConcurrentInvocationLimitExceeded`` (the function cannot reach
  more concurrency right now) and marks the cause ``"scaling"`` on :class:`Throttled`.
  ``FunctionInvocationRateLimitExceeded`` is the *request-rate* quota (10 x concurrency requests
  per second), a different rule, not modelled.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Literal, Protocol

from .. import limits
from ..errors import InvalidParameterValueException, TooManyRequestsException

__all__ = [
    "ACCOUNT",
    "BURST_2020",
    "CONCURRENT_LIMIT",
    "RESERVED",
    "RESERVED_LIMIT",
    "SCALING",
    "SCALING_RULES",
    "THROTTLE_MESSAGE",
    "ConcurrencyController",
    "Slot",
    "Throttled",
    "TokenBucket",
    "needs_new_environment",
]

CONCURRENT_LIMIT = "ConcurrentInvocationLimitExceeded"
RESERVED_LIMIT = "ReservedFunctionConcurrentInvocationLimitExceeded"
#: The message of a concurrency throttle on the wire (``{"Reason": ..., "Type": "User",
#: "message": "Rate Exceeded."}``).
THROTTLE_MESSAGE = "Rate Exceeded."
#: Causes of a throttle (:attr:`Throttled.cause`).
RESERVED, ACCOUNT, SCALING = "reserved", "account", "scaling"

SCALING_RULES = ("2023", "2020")
SCALE_2023_ENVIRONMENTS, SCALE_2023_WINDOW_S = 1000, 10.0
SCALE_2020_PER_MINUTE = 500
#: The 2020 rule's initial burst by Region (DG "Lambda function scaling", 2020); others: 500.
BURST_2020 = {"us-east-1": 3000, "us-west-2": 3000, "eu-west-1": 3000,
              "ap-northeast-1": 1000, "eu-central-1": 1000, "us-east-2": 1000}
BURST_2020_DEFAULT = 500

SlotKind = Literal["provisioned", "reserved", "unreserved"]


class Clock(Protocol):
    def now(self) -> float: ...


class Throttled(TooManyRequestsException):
    """A concurrency throttle (HTTP 429 TooManyRequestsException, "Rate Exceeded.").

    Async (Event) invocations that hit it are not lost: the async queue catches it (it is a
    :class:`~lambda_lab.errors.TooManyRequestsException`) and retries, as Lambda does for
    throttles for up to the event's maximum age.
    """

    def __init__(self, reason: str, cause: str, function: str) -> None:
        super().__init__(THROTTLE_MESSAGE, reason=reason)
        #: Which rule refused: ``"reserved"``, ``"account"`` (the unreserved pool) or
        #: ``"scaling"`` (the scaling rate).
        self.cause = cause
        #: The function that was throttled.
        self.function = function


@dataclass(frozen=True, slots=True)
class Slot:
    """One admitted invocation, held until :meth:`ConcurrencyController.release`."""

    function: str
    version: str
    #: Which pool it counts against: the version's ready provisioned environments, the
    #: function's reserved concurrency, or the account's unreserved pool.
    kind: SlotKind
    #: Whether it took a scaling token (it needed a new, on-demand environment).
    new_environment: bool


class TokenBucket:
    """``capacity`` tokens, refilled continuously at ``rate`` per second of platform time."""

    __slots__ = ("capacity", "rate", "_tokens", "_at")

    def __init__(self, capacity: float, rate: float, now: float) -> None:
        self.capacity = capacity
        self.rate = rate
        self._tokens = float(capacity)
        self._at = now

    def level(self, now: float) -> float:
        """Tokens available at platform time ``now``."""
        return min(self.capacity, self._tokens + max(0.0, now - self._at) * self.rate)

    def take(self, now: float) -> bool:
        """Take one token if there is one; False if the bucket is empty."""
        level = self.level(now)
        if level < 1.0 - 1e-9:
            return False
        self._tokens, self._at = max(0.0, level - 1.0), max(now, self._at)
        return True

    def seconds_to_next(self, now: float) -> float:
        """How long until one token is available (0 if one is)."""
        missing = 1.0 - self.level(now)
        return 0.0 if missing <= 1e-9 else missing / self.rate


class ConcurrencyController:
    """Limits, reservations and in-flight counts of one account and Region.

    ``clock`` gives platform time (``now()``) for the scaling tokens; ``region`` picks the 2020
    burst. Thread-safe (one lock, never held while anything runs); no threads of its own.
    Control-plane methods (``set_*``) raise AWS's errors; :meth:`try_acquire` raises
    :class:`Throttled`.
    """

    def __init__(self, clock: Clock, *, account_limit: int = limits.ACCOUNT_CONCURRENCY_DEFAULT,
                 unreserved_min: int | None = None, scaling_rule: str = "2023",
                 region: str = "us-east-1") -> None:
        self.clock = clock
        self.region = region
        self._lock = threading.Lock()
        self._account_limit = account_limit
        self._unreserved_min_override = unreserved_min
        self._reserved: dict[str, int] = {}
        self._provisioned: dict[tuple[str, str], int] = {}  # (function, qualifier) -> requested
        self._ready: dict[tuple[str, str], int] = {}  # (function, version) -> ready environments
        self._busy: dict[str, int] = {}  # function -> slots held
        self._busy_provisioned: dict[tuple[str, str], int] = {}  # (function, version) -> slots
        self._unreserved_busy = 0
        self._unreserved_limit = account_limit
        self._buckets: dict[str, TokenBucket] = {}
        self._account_bucket: TokenBucket | None = None
        self.scaling_rule = "2023"
        #: Throttles so far, by cause (``reserved``, ``account``, ``scaling``).
        self.throttles: dict[str, int] = {RESERVED: 0, ACCOUNT: 0, SCALING: 0}
        self.set_scaling_rule(scaling_rule)

    # ----------------------------------------------------------------- account

    @property
    def account_limit(self) -> int:
        return self._account_limit

    @property
    def unreserved_min(self) -> int:
        """The unreserved minimum: 100, or the whole limit for an account below 100."""
        if self._unreserved_min_override is not None:
            return self._unreserved_min_override
        return min(limits.UNRESERVED_MIN, self._account_limit)

    def set_account_limit(self, limit: int, *, unreserved_min: int | None = None) -> None:
        """Change the account's concurrency limit (for teaching; AWS raises it on request).

        Existing reservations are kept even if they no longer fit. Raises ValueError if
        ``limit`` is negative."""
        if limit < 0:
            raise ValueError(f"the account concurrency limit must be >= 0, got {limit}")
        with self._lock:
            self._account_limit = limit
            self._unreserved_min_override = unreserved_min
            self._recompute()

    def set_scaling_rule(self, rule: str) -> None:
        """``"2023"`` (1,000 environments per 10 s per function) or ``"2020"`` (account-wide
        burst by Region, then +500 per minute). Resets the scaling tokens.

        Raises ValueError for another rule."""
        if rule not in SCALING_RULES:
            raise ValueError(f"scaling_rule must be one of {SCALING_RULES}, got {rule!r}")
        with self._lock:
            self.scaling_rule = rule
            self._buckets = {}
            self._account_bucket = None
            if rule == "2020":
                burst = BURST_2020.get(self.region, BURST_2020_DEFAULT)
                self._account_bucket = TokenBucket(burst, SCALE_2020_PER_MINUTE / 60.0,
                                                   self.clock.now())

    @property
    def unreserved_limit(self) -> int:
        """UnreservedConcurrentExecutions: the account limit minus reserved concurrency and the
        provisioned concurrency of functions without a reservation."""
        return self._unreserved_limit

    def _recompute(self) -> None:
        # Control plane only: O(functions with a configuration).
        provisioned = sum(n for (fn, _), n in self._provisioned.items()
                          if fn not in self._reserved)
        self._unreserved_limit = (self._account_limit - sum(self._reserved.values())
                                  - provisioned)

    def _provisioned_total(self, function: str, *, without: str | None = None) -> int:
        return sum(n for (fn, q), n in self._provisioned.items()
                   if fn == function and q != without)

    # ----------------------------------------------------------------- reserved

    def reserved(self, function: str) -> int | None:
        """The function's reserved concurrency, or None if it has none."""
        return self._reserved.get(function)

    def set_reserved(self, function: str, count: int) -> None:
        """PutFunctionConcurrency.

        Raises InvalidParameterValueException if it would leave less than the unreserved
        minimum unreserved (an increase only) or is below the function's provisioned concurrency.
        """
        if count < 0:
            raise InvalidParameterValueException(
                f"1 validation error detected: Value '{count}' at 'reservedConcurrentExecutions' "
                "failed to satisfy constraint: Member must have value greater than or equal to 0")
        with self._lock:
            old = self._reserved.get(function)
            provisioned = self._provisioned_total(function)
            if count < provisioned:  # emulator wording
                raise InvalidParameterValueException(
                    f"Specified ReservedConcurrentExecutions for function ({count}) is less than "
                    f"its provisioned concurrency ({provisioned}).")
            freed = old if old is not None else provisioned
            after = self._unreserved_limit + freed - count
            if count > freed and after < self.unreserved_min:
                raise InvalidParameterValueException(
                    "Specified ReservedConcurrentExecutions for function decreases account's "
                    f"UnreservedConcurrentExecution below its minimum value of "
                    f"[{self.unreserved_min}].", typed=False)  # no Type (AWS-recorded)
            self._reserved[function] = count
            self._recompute()

    def delete_reserved(self, function: str) -> None:
        """DeleteFunctionConcurrency (a no-op if there is none)."""
        with self._lock:
            self._reserved.pop(function, None)
            self._recompute()

    # ----------------------------------------------------------------- provisioned

    def provisioned(self, function: str, qualifier: str) -> int | None:
        """The provisioned concurrency requested on a version or alias, or None."""
        return self._provisioned.get((function, qualifier))

    def set_provisioned(self, function: str, qualifier: str, count: int) -> None:
        """Reserve provisioned concurrency for a version or alias (not yet ready: see
        :meth:`set_ready`).

        Raises InvalidParameterValueException when it exceeds the function's reserved
        concurrency, or (without one) leaves less than the unreserved minimum.
        """
        with self._lock:
            total = self._provisioned_total(function, without=qualifier) + count
            reserved = self._reserved.get(function)
            if reserved is not None:
                if total > reserved:
                    raise InvalidParameterValueException(
                        "Requested Provisioned Concurrency should not be greater than the "
                        "reservedConcurrentExecution for function")
            else:
                old = self._provisioned.get((function, qualifier), 0)
                if count - old > self._unreserved_limit:  # AWS's wording, no Type (recorded)
                    raise InvalidParameterValueException(
                        "Specified ConcurrentExecutions for function is greater than account's "
                        f"unreserved concurrency [{self._unreserved_limit}].", typed=False)
                if (count > old
                        and self._unreserved_limit + old - count < self.unreserved_min):
                    raise InvalidParameterValueException(
                        "Specified ConcurrentExecutions for function decreases account's "
                        "UnreservedConcurrentExecution below its minimum value of "
                        f"[{self.unreserved_min}].", typed=False)
            self._provisioned[(function, qualifier)] = count
            self._recompute()

    def delete_provisioned(self, function: str, qualifier: str) -> None:
        """Forget a provisioned concurrency configuration (its ready count too: see
        :meth:`set_ready`)."""
        with self._lock:
            self._provisioned.pop((function, qualifier), None)
            self._recompute()

    def set_ready(self, function: str, version: str, count: int) -> None:
        """How many provisioned environments of ``version`` are initialised and serving."""
        with self._lock:
            if count > 0:
                self._ready[(function, version)] = count
            else:
                self._ready.pop((function, version), None)

    def forget_function(self, function: str) -> None:
        """A deleted function: drop its reservations (slots still held are released normally)."""
        with self._lock:
            self._reserved.pop(function, None)
            for key in [k for k in self._provisioned if k[0] == function]:
                del self._provisioned[key]
            for key in [k for k in self._ready if k[0] == function]:
                del self._ready[key]
            self._buckets.pop(function, None)
            self._recompute()

    # ----------------------------------------------------------------- invocations

    def try_acquire(self, function: str, version: str, *, new_environment: bool = True) -> Slot:
        """Admit one invocation of ``function`` (its ``version`` after alias routing).

        ``new_environment``: the caller has no idle environment for it, so it would start one
        and needs a scaling token (unless it runs on provisioned concurrency). Returns the
        :class:`Slot` to :meth:`release` when the invocation ends. Raises :class:`Throttled`.
        """
        with self._lock:
            busy = self._busy.get(function, 0)
            reserved = self._reserved.get(function)
            if reserved is not None and busy >= reserved:
                self.throttles[RESERVED] += 1
                raise Throttled(RESERVED_LIMIT, RESERVED, function)
            key = (function, version)
            on_provisioned = self._busy_provisioned.get(key, 0) < self._ready.get(key, 0)
            if on_provisioned:
                kind: SlotKind = "provisioned"
                new_environment = False
            elif reserved is not None:
                kind = "reserved"
            elif self._unreserved_busy < self._unreserved_limit:
                kind = "unreserved"
            else:
                self.throttles[ACCOUNT] += 1
                raise Throttled(CONCURRENT_LIMIT, ACCOUNT, function)
            if new_environment and not self._bucket(function).take(self.clock.now()):
                self.throttles[SCALING] += 1
                raise Throttled(CONCURRENT_LIMIT, SCALING, function)
            self._busy[function] = busy + 1
            if kind == "provisioned":
                self._busy_provisioned[key] = self._busy_provisioned.get(key, 0) + 1
            elif kind == "unreserved":
                self._unreserved_busy += 1
            return Slot(function, version, kind, new_environment)

    def _bucket(self, function: str) -> TokenBucket:
        if self._account_bucket is not None:
            return self._account_bucket
        bucket = self._buckets.get(function)
        if bucket is None:
            bucket = self._buckets[function] = TokenBucket(
                SCALE_2023_ENVIRONMENTS, SCALE_2023_ENVIRONMENTS / SCALE_2023_WINDOW_S,
                self.clock.now())
        return bucket

    def release(self, slot: Slot) -> None:
        """The invocation that held ``slot`` has ended."""
        with self._lock:
            self._busy[slot.function] = max(0, self._busy.get(slot.function, 0) - 1)
            if slot.kind == "provisioned":
                key = (slot.function, slot.version)
                self._busy_provisioned[key] = max(0, self._busy_provisioned.get(key, 0) - 1)
            elif slot.kind == "unreserved":
                self._unreserved_busy = max(0, self._unreserved_busy - 1)

    @contextmanager
    def hold(self, function: str, version: str, *, new_environment: bool = True
             ) -> Iterator[Slot]:
        """``with controller.hold(...)``: :meth:`try_acquire`, then :meth:`release` at the end.

        Raises :class:`Throttled` (before the body runs)."""
        slot = self.try_acquire(function, version, new_environment=new_environment)
        try:
            yield slot
        finally:
            self.release(slot)

    # ----------------------------------------------------------------- views

    def in_use(self, function: str | None = None) -> int:
        """Invocations running now: of one function, or of the whole account."""
        if function is not None:
            return self._busy.get(function, 0)
        return sum(self._busy.values())

    def unreserved_in_use(self) -> int:
        """Invocations running now on the unreserved pool (functions without a reservation)."""
        return self._unreserved_busy

    def scaling_tokens(self, function: str) -> float:
        """New environments the function may start right now under the scaling rule."""
        with self._lock:
            return self._bucket(function).level(self.clock.now())


def needs_new_environment(executor: object) -> bool:
    """Whether an invocation on ``executor`` would start an environment (it has no idle one).

    Executors without an ``idle_count`` (e.g. a model that does not say) count as needing one.
    """
    idle = getattr(executor, "idle_count", None)
    return not idle
