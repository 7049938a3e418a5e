"""Every AWS Lambda quota the course teaches, in one table, plus the constants the engine uses.

Values are the current AWS ones (checked against shared/reference/lambda-facts.md, the Lambda
Developer Guide and the botocore Lambda model). Where the course's 2020 notes say something else,
the entry keeps the old value in ``notes_2020`` and the date of the change in ``changed``, so a
lesson can say "older material says X; since DATE it is Y".
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "ACCOUNT_CONCURRENCY_DEFAULT",
    "ASYNC_PAYLOAD_MAX_BYTES",
    "DEPRECATED_RUNTIMES",
    "ENV_VARS_MAX_BYTES",
    "EPHEMERAL_DEFAULT_MB",
    "EPHEMERAL_MAX_MB",
    "EPHEMERAL_MIN_MB",
    "INIT_TIMEOUT_S",
    "LAYERS_MAX",
    "LAYER_RUNTIMES",
    "MAX_VCPUS",
    "MB_PER_VCPU",
    "MEMORY_DEFAULT_MB",
    "MEMORY_MAX_MB",
    "MEMORY_MIN_MB",
    "QUOTAS",
    "RESERVED_ENV_VARS",
    "RESERVED_ENV_VARS_SEEN_REJECTED",
    "RESPONSE_PAYLOAD_MAX_BYTES",
    "RUNTIMES",
    "RUNTIME_ENUM",
    "SYNC_PAYLOAD_MAX_BYTES",
    "TIMEOUT_DEFAULT_S",
    "TIMEOUT_MAX_S",
    "TIMEOUT_MIN_S",
    "UNRESERVED_MIN",
    "UNZIPPED_MAX_BYTES",
    "ZIPPED_MAX_BYTES",
    "Quota",
    "vcpus_for_memory",
]

MiB = 1024 * 1024

# --- constants the engine uses directly -------------------------------------------------------
MEMORY_MIN_MB = 128
MEMORY_MAX_MB = 10240
MEMORY_DEFAULT_MB = 128
TIMEOUT_MIN_S = 1
TIMEOUT_MAX_S = 900
TIMEOUT_DEFAULT_S = 3
EPHEMERAL_MIN_MB = 512
EPHEMERAL_MAX_MB = 10240
EPHEMERAL_DEFAULT_MB = 512
ENV_VARS_MAX_BYTES = 4096
LAYERS_MAX = 5
ZIPPED_MAX_BYTES = 50 * MiB  # 52,428,800
UNZIPPED_MAX_BYTES = 250 * MiB  # 262,144,000
SYNC_PAYLOAD_MAX_BYTES = 6 * MiB  # 6,291,456
RESPONSE_PAYLOAD_MAX_BYTES = 6 * MiB + 100  # 6,291,556: AWS allows 100 bytes over 6 MB
ASYNC_PAYLOAD_MAX_BYTES = 1 * MiB  # 1,048,576 (was 256 KB)
MB_PER_VCPU = 1769
MAX_VCPUS = 6
ACCOUNT_CONCURRENCY_DEFAULT = 1000
UNRESERVED_MIN = 100
INIT_TIMEOUT_S = 10


@dataclass(frozen=True)
class Quota:
    """One Lambda quota: its current value and, where they differ, what the 2020 notes said."""

    key: str
    current: int | float | str
    unit: str
    notes_2020: int | float | str | None = None  #: the 2020 notes' value, only where it differs
    changed: str | None = None  #: when AWS changed it, e.g. "Dec 2020"
    source: str = ""  #: where it is documented (DG = Lambda Developer Guide, API = API reference)


# fmt: off
_TABLE: tuple[Quota, ...] = (
    Quota("memory_min_mb", MEMORY_MIN_MB, "MB", None, None, "DG configuration-memory"),
    Quota("memory_max_mb", MEMORY_MAX_MB, "MB", 3008, "Dec 2020", "DG configuration-memory"),
    Quota("memory_default_mb", MEMORY_DEFAULT_MB, "MB", None, None, "DG configuration-memory"),
    Quota("memory_step_mb", 1, "MB", 64, "Dec 2020", "DG configuration-memory"),
    Quota("mb_per_vcpu", MB_PER_VCPU, "MB", 1792, "Dec 2020", "DG configuration-memory"),
    Quota("max_vcpus", MAX_VCPUS, "vCPU", None, "Dec 2020", "DG configuration-memory"),
    Quota("timeout_min_s", TIMEOUT_MIN_S, "s", None, None, "DG configuration-timeout"),
    Quota("timeout_max_s", TIMEOUT_MAX_S, "s", None, None, "DG configuration-timeout"),
    Quota("timeout_default_s", TIMEOUT_DEFAULT_S, "s", None, None, "DG configuration-timeout"),
    Quota("ephemeral_min_mb", EPHEMERAL_MIN_MB, "MB", None, None, "API EphemeralStorage"),
    Quota("ephemeral_max_mb", EPHEMERAL_MAX_MB, "MB", 512, "Mar 2022", "API EphemeralStorage"),
    Quota("ephemeral_default_mb", EPHEMERAL_DEFAULT_MB, "MB", None, None, "API EphemeralStorage"),
    Quota("env_vars_max_bytes", ENV_VARS_MAX_BYTES, "bytes", None, None,
          "DG gettingstarted-limits"),
    Quota("layers_max", LAYERS_MAX, "layers", None, None, "DG gettingstarted-limits"),
    Quota("zipped_max_bytes", ZIPPED_MAX_BYTES, "bytes", None, None, "DG gettingstarted-limits"),
    Quota("unzipped_max_bytes", UNZIPPED_MAX_BYTES, "bytes", None, None,
          "DG gettingstarted-limits (includes layers)"),
    Quota("console_editor_max_bytes", 3 * MiB, "bytes", None, None, "DG gettingstarted-limits"),
    Quota("container_image_max_bytes", 10 * 1024 * MiB, "bytes", "not supported", "Dec 2020",
          "DG images-create"),
    Quota("sync_payload_max_bytes", SYNC_PAYLOAD_MAX_BYTES, "bytes", None, None, "API Invoke"),
    Quota("response_payload_max_bytes", RESPONSE_PAYLOAD_MAX_BYTES, "bytes", None, None,
          "API Invoke"),
    Quota("async_payload_max_bytes", ASYNC_PAYLOAD_MAX_BYTES, "bytes", 262144, "late 2025",
          "API Invoke (InvokeAsync stays 256 KB)"),
    Quota("account_concurrency_default", ACCOUNT_CONCURRENCY_DEFAULT, "executions", None, None,
          "DG gettingstarted-limits"),
    Quota("unreserved_concurrency_min", UNRESERVED_MIN, "executions", None, None,
          "DG configuration-concurrency"),
    Quota("scaling_rate", "1000 execution environments per 10 s per function", "rate",
          "burst 500-3000, then +500/min per account", "Nov 2023", "DG scaling-behavior"),
    Quota("invoke_requests_per_s", "10 x concurrency quota", "requests/s", None, None,
          "DG gettingstarted-limits"),
    Quota("init_timeout_s", INIT_TIMEOUT_S, "s", None, None, "DG lambda-runtime-environment"),
    Quota("async_retries_max", 2, "retries", None, None, "API FunctionEventInvokeConfig"),
    Quota("async_event_age_max_s", 21600, "s", None, None, "API FunctionEventInvokeConfig"),
    Quota("billing_granularity_ms", 1, "ms", 100, "Dec 2020", "pricing page"),
    Quota("free_tier_requests", 1_000_000, "requests/month", None, None, "pricing page"),
    Quota("free_tier_gb_seconds", 400_000, "GB-s/month", None, None, "pricing page"),
    Quota("sqs_standard_scale_up", 300, "concurrent executions/min", 60, None,
          "DG services-sqs-scaling"),
    Quota("stream_retry_attempts_default", -1, "attempts (-1 = until expiry)", 10000, None,
          "DG services-kinesis-parameters"),
)
# fmt: on

#: Every quota the course teaches, by key.
QUOTAS: dict[str, Quota] = {q.key: q for q in _TABLE}


def vcpus_for_memory(memory_mb: int) -> float:
    """vCPUs for ``memory_mb`` in the proportional model: 1 vCPU per 1,769 MB, capped at 6.

    AWS quotes "up to 6 vCPUs" at 10,240 MB, where this linear model gives about 5.79.
    """
    return min(memory_mb / MB_PER_VCPU, float(MAX_VCPUS))


# --- runtimes ----------------------------------------------------------------------------------
# Accepted for CreateFunction/UpdateFunctionConfiguration as of 2026-11-26 (DG lambda-runtimes and
# the per-language pages; ruby4.0 from the botocore Lambda model's Runtime enum). A runtime stays
# accepted after its *deprecation* date until its *block function create* date, so a few listed
# here are already deprecated (dotnet6: deprecated Dec 20 2024, create blocked Feb 1 2027).
RUNTIMES: tuple[str, ...] = (
    "nodejs22.x", "nodejs24.x",
    "python3.10", "python3.11", "python3.12", "python3.13", "python3.14",
    "java8.al2", "java11", "java17", "java21", "java25",
    "dotnet6", "dotnet8", "dotnet10",
    "ruby3.3", "ruby3.4", "ruby4.0",
    "provided.al2", "provided.al2023",
)  # fmt: skip

# Create and update are blocked: AWS answers InvalidParameterValueException "no longer supported".
# nodejs20.x: create blocked Aug 31 2026; python3.9: create blocked Aug 31 2026 (secondary source);
# ruby3.2: deprecated Mar 31 2026, block date not confirmed.
DEPRECATED_RUNTIMES: tuple[str, ...] = (
    "nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10", "nodejs8.10", "nodejs10.x",
    "nodejs12.x", "nodejs14.x", "nodejs16.x", "nodejs18.x", "nodejs20.x",
    "python2.7", "python3.6", "python3.7", "python3.8", "python3.9",
    "java8", "go1.x", "provided",
    "dotnetcore1.0", "dotnetcore2.0", "dotnetcore2.1", "dotnetcore3.1",
    "ruby2.5", "ruby2.7", "ruby3.2",
)  # fmt: skip

#: The Runtime enum as AWS prints it when a ListLayers / ListLayerVersions ``CompatibleRuntime``
#: filter is not in it: every runtime value ever defined, blocked ones too, in AWS's order
#: (recorded 2026-01-12, LocalStack test_lambda_api.py test_layer_exceptions). The recording
#: predates ruby4.0 (it lists ruby3.5): the filters accept RUNTIMES as well, the message prints
#: what was recorded.
RUNTIME_ENUM: tuple[str, ...] = (
    "ruby3.5", "ruby2.6", "dotnetcore1.0", "python3.7", "nodejs8.10", "nasa", "ruby2.7",
    "python2.7-greengrass", "dotnetcore2.0", "python3.8", "java21", "dotnet6", "dotnetcore2.1",
    "python3.9", "java11", "nodejs6.10", "provided", "dotnetcore3.1", "dotnet8", "java25",
    "java17", "nodejs", "nodejs4.3", "java8.al2", "go1.x", "dotnet10", "nodejs20.x", "go1.9",
    "byol", "nodejs10.x", "provided.al2023", "nodejs22.x", "python3.10", "java8", "nodejs12.x",
    "python3.11", "nodejs24.x", "nodejs8.x", "python3.12", "nodejs14.x", "nodejs8.9",
    "nodejs26.x", "python3.13", "python3.14", "nodejs16.x", "python3.15", "provided.al2",
    "nodejs4.3-edge", "nodejs18.x", "ruby3.2", "python3.4", "ruby3.3", "ruby3.4", "ruby2.5",
    "python3.6", "python2.7",
)  # fmt: skip

#: The runtimes PublishLayerVersion's error lists for a ``CompatibleRuntimes`` value outside the
#: Runtime enum (same recording). Only what it prints: the check is against RUNTIME_ENUM — the
#: recorded test_layer_compatibilities published python3.7, java8, go1.x and provided the same day.
LAYER_RUNTIMES: tuple[str, ...] = (
    "nodejs20.x", "python3.14", "provided.al2023", "python3.12", "python3.13", "nodejs24.x",
    "nodejs22.x", "java25", "python3.10", "python3.11", "java21", "ruby3.3", "ruby3.4",
    "ruby3.2", "python3.8", "python3.9", "java17", "nodejs16.x", "dotnet10", "dotnet8", "java11",
    "dotnet6", "nodejs18.x", "provided.al2", "java8.al2",
)  # fmt: skip

# --- environment variables ---------------------------------------------------------------------
#: Keys the runtime sets itself; DG configuration-envvars says they can't be set in a function's
#: configuration (AWS_ACCESS_KEY is in the DG list too, though not in lambda-facts.md).
RESERVED_ENV_VARS: frozenset[str] = frozenset({
    "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
})  # fmt: skip

#: The reserved keys seen in real AWS "Reserved keys used in this request" errors; for the
#: others the rejection follows the documentation only.
RESERVED_ENV_VARS_SEEN_REJECTED: frozenset[str] = frozenset({
    "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
})  # fmt: skip
