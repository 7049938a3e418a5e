"""What a Lambda invocation costs: billed duration, GB-seconds, us-east-1 prices and the free tier.

Pure functions and small value objects; nothing here reads a clock. Prices are the us-east-1
on-demand ones for the first pricing tier (AWS lowers the GB-s price after 6 billion GB-s a month,
which the course does not model).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

__all__ = [
    "FREE_TIER_GB_SECONDS",
    "FREE_TIER_REQUESTS",
    "US_EAST_1",
    "Cost",
    "FreeTierMeter",
    "Pricing",
    "billed_duration_ms",
    "gb_seconds",
    "invocation_cost",
    "monthly_cost",
]

FREE_TIER_REQUESTS = 1_000_000  #: free requests per month
FREE_TIER_GB_SECONDS = 400_000.0  #: free GB-seconds per month (x86_64 and arm64 together)


def billed_duration_ms(
    duration_ms: float, init_ms: float | None = None, include_init: bool = True
) -> int:
    """The billed duration: handler time (plus init time) rounded up to the next 1 ms.

    Since Aug 1, 2025 the INIT phase is billed for on-demand functions packaged as .zip on managed
    runtimes, so ``include_init`` defaults to True; pass False for the older rule (or for
    provisioned concurrency, SnapStart and container images, which bill init differently).
    At least 1 ms is billed.

    Raises:
        ValueError: a negative duration.
    """
    if duration_ms < 0 or (init_ms is not None and init_ms < 0):
        raise ValueError("durations cannot be negative")
    total = duration_ms + (init_ms if include_init and init_ms is not None else 0.0)
    # round() first so float noise such as 100.00000000000001 does not bill an extra millisecond.
    return max(1, math.ceil(round(total, 6)))


def gb_seconds(billed_ms: float, memory_mb: int) -> float:
    """Compute used: configured memory in GB (MB / 1024) times billed time in seconds."""
    return (memory_mb / 1024) * (billed_ms / 1000)


@dataclass(frozen=True)
class Pricing:
    """On-demand Lambda prices in USD (defaults: us-east-1)."""

    request_usd_per_million: float = 0.20
    x86_64_usd_per_gb_second: float = 0.0000166667
    arm64_usd_per_gb_second: float = 0.0000133334

    def usd_per_gb_second(self, architecture: str) -> float:
        """The compute price for ``"x86_64"`` or ``"arm64"``.

        Raises:
            ValueError: any other architecture.
        """
        if architecture == "x86_64":
            return self.x86_64_usd_per_gb_second
        if architecture == "arm64":
            return self.arm64_usd_per_gb_second
        raise ValueError(f"unknown architecture {architecture!r}: expected x86_64 or arm64")

    @property
    def usd_per_request(self) -> float:
        """The price of one request."""
        return self.request_usd_per_million / 1_000_000


US_EAST_1 = Pricing()


@dataclass(frozen=True)
class Cost:
    """A cost in USD, split into the request charge and the compute (duration) charge."""

    request_usd: float
    compute_usd: float
    total_usd: float


def _cost(requests: float, gb_s: float, architecture: str, pricing: Pricing) -> Cost:
    request_usd = requests * pricing.usd_per_request
    compute_usd = gb_s * pricing.usd_per_gb_second(architecture)
    return Cost(request_usd, compute_usd, request_usd + compute_usd)


def invocation_cost(
    billed_ms: int, memory_mb: int, architecture: str = "x86_64", pricing: Pricing = US_EAST_1
) -> Cost:
    """The cost of one invocation, without the free tier.

    Raises:
        ValueError: unknown architecture.
    """
    return _cost(1, gb_seconds(billed_ms, memory_mb), architecture, pricing)


def monthly_cost(
    requests: int,
    avg_duration_ms: float,
    memory_mb: int,
    architecture: str = "x86_64",
    free_tier: bool = True,
    pricing: Pricing = US_EAST_1,
) -> Cost:
    """A month's cost for ``requests`` invocations of ``avg_duration_ms`` each.

    Each invocation is billed as ``billed_duration_ms(avg_duration_ms)``; with ``free_tier`` the
    first 1M requests and 400,000 GB-s are free.

    Raises:
        ValueError: negative requests or duration, or an unknown architecture.
    """
    if requests < 0:
        raise ValueError("requests cannot be negative")
    if requests == 0:
        return _cost(0, 0.0, architecture, pricing)
    gb_s = requests * gb_seconds(billed_duration_ms(avg_duration_ms), memory_mb)
    billable_requests: float = requests
    if free_tier:
        billable_requests = max(0, requests - FREE_TIER_REQUESTS)
        gb_s = max(0.0, gb_s - FREE_TIER_GB_SECONDS)
    return _cost(billable_requests, gb_s, architecture, pricing)


class FreeTierMeter:
    """Counts a month's requests and GB-seconds against the free tier."""

    def __init__(self) -> None:
        self.requests = 0
        self.gb_seconds = 0.0

    def record(self, billed_ms: int, memory_mb: int) -> None:
        """Count one invocation billed for ``billed_ms`` at ``memory_mb``."""
        self.requests += 1
        self.gb_seconds += gb_seconds(billed_ms, memory_mb)

    @property
    def remaining_requests(self) -> int:
        """Free requests left this month."""
        return max(0, FREE_TIER_REQUESTS - self.requests)

    @property
    def remaining_gb_seconds(self) -> float:
        """Free GB-seconds left this month."""
        return max(0.0, FREE_TIER_GB_SECONDS - self.gb_seconds)

    def summary(self) -> dict[str, Any]:
        """Used and remaining amounts, and whether the usage is still all free."""
        return {
            "requests": self.requests,
            "gb_seconds": self.gb_seconds,
            "remaining_requests": self.remaining_requests,
            "remaining_gb_seconds": self.remaining_gb_seconds,
            "within_free_tier": self.requests <= FREE_TIER_REQUESTS
            and self.gb_seconds <= FREE_TIER_GB_SECONDS,
        }
