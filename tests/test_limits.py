"""limits.py: the quota table against lambda-facts.md (section A = 2020 notes, B = missed facts)."""

from __future__ import annotations

import dataclasses

import pytest

from lambda_lab import limits
from lambda_lab.limits import QUOTAS, Quota, vcpus_for_memory


def test_engine_constants_match_lambda_facts_A_and_B() -> None:
    memory = (limits.MEMORY_MIN_MB, limits.MEMORY_MAX_MB, limits.MEMORY_DEFAULT_MB)
    assert memory == (128, 10240, 128)
    assert (limits.TIMEOUT_MIN_S, limits.TIMEOUT_MAX_S, limits.TIMEOUT_DEFAULT_S) == (1, 900, 3)
    ephemeral = (limits.EPHEMERAL_MIN_MB, limits.EPHEMERAL_MAX_MB, limits.EPHEMERAL_DEFAULT_MB)
    assert ephemeral == (512, 10240, 512)
    assert limits.ENV_VARS_MAX_BYTES == 4096
    assert limits.LAYERS_MAX == 5
    assert limits.ZIPPED_MAX_BYTES == 52_428_800
    assert limits.UNZIPPED_MAX_BYTES == 262_144_000
    assert limits.SYNC_PAYLOAD_MAX_BYTES == 6_291_456
    assert limits.RESPONSE_PAYLOAD_MAX_BYTES == 6_291_556
    assert limits.ASYNC_PAYLOAD_MAX_BYTES == 1_048_576
    assert (limits.MB_PER_VCPU, limits.MAX_VCPUS) == (1769, 6)
    assert (limits.ACCOUNT_CONCURRENCY_DEFAULT, limits.UNRESERVED_MIN) == (1000, 100)
    assert limits.INIT_TIMEOUT_S == 10


def test_quota_table_keys_match_entries_and_entries_are_frozen() -> None:
    for key, quota in QUOTAS.items():
        assert quota.key == key
        assert quota.source, key
    with pytest.raises(dataclasses.FrozenInstanceError):
        QUOTAS["memory_max_mb"].current = 3008  # type: ignore[misc]


def test_quota_table_agrees_with_engine_constants() -> None:
    assert QUOTAS["memory_max_mb"].current == limits.MEMORY_MAX_MB
    assert QUOTAS["timeout_max_s"].current == limits.TIMEOUT_MAX_S
    assert QUOTAS["ephemeral_max_mb"].current == limits.EPHEMERAL_MAX_MB
    assert QUOTAS["async_payload_max_bytes"].current == limits.ASYNC_PAYLOAD_MAX_BYTES
    assert QUOTAS["mb_per_vcpu"].current == limits.MB_PER_VCPU


@pytest.mark.parametrize(
    ("key", "old", "changed"),
    [
        ("memory_max_mb", 3008, "Dec 2020"),  # lambda-facts A: Memory 128 MB - 3 GB
        ("memory_step_mb", 64, "Dec 2020"),  # lambda-facts A: 64 MB steps
        ("mb_per_vcpu", 1792, "Dec 2020"),  # lambda-facts A: CPU 1,792 MB = 1 vCPU
        ("ephemeral_max_mb", 512, "Mar 2022"),  # lambda-facts A: /tmp max 512 MB
        ("async_payload_max_bytes", 262144, "late 2025"),  # lambda-facts B: Payloads
    ],
)
def test_quota_records_the_2020_value_where_it_differs_lambda_facts_A(
    key: str, old: int, changed: str
) -> None:
    assert QUOTAS[key].notes_2020 == old
    assert QUOTAS[key].changed == changed
    assert QUOTAS[key].current != old


def test_quota_unchanged_since_2020_has_no_old_value_lambda_facts_A_timeout() -> None:
    assert QUOTAS["timeout_max_s"].notes_2020 is None
    assert QUOTAS["timeout_default_s"].notes_2020 is None
    assert QUOTAS["free_tier_gb_seconds"] == Quota(
        "free_tier_gb_seconds", 400_000, "GB-s/month", None, None, "pricing page"
    )


@pytest.mark.parametrize(
    ("memory_mb", "vcpus"),
    [
        (1769, 1.0),
        (128, 128 / 1769),
        (3538, 2.0),
        (10240, 10240 / 1769),
        (10614, 6.0),
        (20000, 6.0),
    ],
)
def test_vcpus_for_memory_1769_mb_per_vcpu_capped_at_6_lambda_facts_A_cpu(
    memory_mb: int, vcpus: float
) -> None:
    assert vcpus_for_memory(memory_mb) == pytest.approx(vcpus)


def test_runtimes_include_newest_per_lambda_facts_B_runtimes() -> None:
    for newest in ("nodejs24.x", "python3.14", "java25", "dotnet10", "ruby3.4", "provided.al2023"):
        assert newest in limits.RUNTIMES


def test_runtimes_and_deprecated_runtimes_are_disjoint_and_go1x_is_deprecated() -> None:
    assert not set(limits.RUNTIMES) & set(limits.DEPRECATED_RUNTIMES)
    assert len(set(limits.RUNTIMES)) == len(limits.RUNTIMES)
    for old in ("go1.x", "python2.7", "python3.8", "nodejs16.x", "java8", "dotnetcore3.1"):
        assert old in limits.DEPRECATED_RUNTIMES


def test_reserved_env_vars_cover_lambda_facts_B_reserved_env_vars() -> None:
    facts = {
        "_HANDLER", "_X_AMZN_TRACE_ID", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
        "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
        "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
        "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API",
        "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ",
    }  # fmt: skip
    assert facts <= limits.RESERVED_ENV_VARS
    assert limits.RESERVED_ENV_VARS_SEEN_REJECTED <= limits.RESERVED_ENV_VARS
    assert "PATH" not in limits.RESERVED_ENV_VARS  # unreserved: may be extended
