"""The outcome of one invocation, and the START / END / REPORT log lines Lambda writes."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from typing import Any

from ..billing import Cost, invocation_cost

LOG_TAIL_BYTES = 4096


def start_line(request_id: str, version: str) -> str:
    return f"START RequestId: {request_id} Version: {version}"


def end_line(request_id: str) -> str:
    return f"END RequestId: {request_id}"


def report_line(request_id: str, duration_ms: float, billed_ms: int, memory_mb: int,
                max_used_mb: int, init_ms: float | None) -> str:
    """The REPORT line, tab-separated as Lambda writes it."""
    line = (f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\t"
            f"Billed Duration: {billed_ms} ms\tMemory Size: {memory_mb} MB\t"
            f"Max Memory Used: {max_used_mb} MB")
    if init_ms is not None:
        line += f"\tInit Duration: {init_ms:.2f} ms"
    return line


@dataclass
class InvocationResult:
    """What one invocation produced: payload or error, logs and the REPORT figures."""

    request_id: str
    raw_payload: bytes
    function_error: str | None
    duration_ms: float
    billed_duration_ms: int
    memory_size_mb: int
    max_memory_used_mb: int
    init_duration_ms: float | None
    cold_start: bool
    environment_id: str
    executed_version: str
    logs: list[str] = field(default_factory=list)
    status_code: int = 200

    @property
    def payload(self) -> Any:
        """The response payload parsed from JSON (the error object for a function error)."""
        if not self.raw_payload:
            return None
        return json.loads(self.raw_payload)

    @property
    def ok(self) -> bool:
        return self.function_error is None

    @property
    def error_type(self) -> str | None:
        return self.payload.get("errorType") if self.function_error else None

    @property
    def error_message(self) -> str | None:
        return self.payload.get("errorMessage") if self.function_error else None

    @property
    def log_text(self) -> str:
        return "\n".join(self.logs) + "\n"

    @property
    def log_tail(self) -> str:
        """Base64 of the last 4 KB of this invocation's log (what ``LogType=Tail`` returns)."""
        return base64.b64encode(self.log_text.encode()[-LOG_TAIL_BYTES:]).decode()

    def cost(self, architecture: str = "x86_64") -> Cost:
        """What this invocation costs at us-east-1 prices (request + compute, no free tier)."""
        return invocation_cost(self.billed_duration_ms, self.memory_size_mb, architecture)

    @property
    def report(self) -> str:
        return next((line for line in reversed(self.logs) if line.startswith("REPORT ")), "")

    def __repr__(self) -> str:
        state = "ok" if self.ok else f"{self.function_error}: {self.error_type}"
        start = "cold" if self.cold_start else "warm"
        return (f"<InvocationResult {state} {start} duration={self.duration_ms:.2f}ms "
                f"billed={self.billed_duration_ms}ms payload={self.raw_payload[:80]!r}>")
