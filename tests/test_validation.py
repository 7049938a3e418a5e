"""validation.py: each rule at its boundary on both sides, with AWS's exact code and message."""

from __future__ import annotations

import json

import pytest

from lambda_lab import limits
from lambda_lab.errors import (
    InvalidParameterValueException,
    RequestEntityTooLargeException,
    ValidationException,
)
from lambda_lab.validation import (
    validate_environment,
    validate_ephemeral_storage,
    validate_function_config,
    validate_layers,
    validate_memory,
    validate_package,
    validate_runtime,
    validate_timeout,
)

# --- memory: lambda-facts A "Memory" 128 - 10,240 MB ---------------------------------------------


@pytest.mark.parametrize("mb", [128, 129, 1769, 10239, 10240])
def test_memory_128_to_10240_pass_lambda_facts_A_memory(mb: int) -> None:
    validate_memory(mb)


def test_memory_127_fails_lambda_facts_A_memory() -> None:
    with pytest.raises(ValidationException) as info:
        validate_memory(127)
    assert info.value.message == (
        "1 validation error detected: Value '127' at 'memorySize' failed to satisfy constraint: "
        "Member must have value greater than or equal to 128"
    )
    assert info.value.status == 400


def test_memory_10241_fails_lambda_facts_A_memory() -> None:
    with pytest.raises(ValidationException) as info:
        validate_memory(10241)
    assert info.value.message == (
        "1 validation error detected: Value '10241' at 'memorySize' failed to satisfy constraint: "
        "Member must have value less than or equal to 10240"
    )


@pytest.mark.parametrize("bad", [256.0, "256", True, None])
def test_memory_non_integer_is_invalid_parameter(bad: object) -> None:
    with pytest.raises(InvalidParameterValueException, match="memorySize"):
        validate_memory(bad)  # type: ignore[arg-type]


# --- timeout: lambda-facts A "Timeout" 1 - 900 s -------------------------------------------------


@pytest.mark.parametrize("s", [1, 3, 899, 900])
def test_timeout_1_to_900_pass_lambda_facts_A_timeout(s: int) -> None:
    validate_timeout(s)


def test_timeout_0_fails_lambda_facts_A_timeout() -> None:
    with pytest.raises(ValidationException) as info:
        validate_timeout(0)
    assert info.value.message == (
        "1 validation error detected: Value '0' at 'timeout' failed to satisfy constraint: "
        "Member must have value greater than or equal to 1"
    )


def test_timeout_901_fails_lambda_facts_A_timeout() -> None:
    with pytest.raises(ValidationException) as info:
        validate_timeout(901)
    assert info.value.message == (
        "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
        "Member must have value less than or equal to 900"
    )


# --- ephemeral storage: lambda-facts A "/tmp" 512 - 10,240 MB ------------------------------------


@pytest.mark.parametrize("mb", [512, 513, 10240])
def test_ephemeral_512_to_10240_pass_lambda_facts_A_tmp(mb: int) -> None:
    validate_ephemeral_storage(mb)


@pytest.mark.parametrize(
    ("mb", "tail"),
    [
        (511, "Member must have value greater than or equal to 512"),
        (10241, "Member must have value less than or equal to 10240"),
    ],
)
def test_ephemeral_511_and_10241_fail_lambda_facts_A_tmp(mb: int, tail: str) -> None:
    with pytest.raises(ValidationException) as info:
        validate_ephemeral_storage(mb)
    assert info.value.message == (
        f"1 validation error detected: Value '{mb}' at 'ephemeralStorage.size' failed to satisfy "
        f"constraint: {tail}"
    )


# --- runtime: lambda-facts B "Runtimes" ----------------------------------------------------------


@pytest.mark.parametrize("name", ["python3.12", "python3.14", "nodejs24.x", "provided.al2023"])
def test_supported_runtime_passes_lambda_facts_B_runtimes(name: str) -> None:
    validate_runtime(name)


@pytest.mark.parametrize("name", ["python2.7", "go1.x", "nodejs12.x", "python3.8"])
def test_deprecated_runtime_is_no_longer_supported_lambda_facts_B_runtimes(name: str) -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        validate_runtime(name)
    assert info.value.message == (
        f"The runtime parameter of {name} is no longer supported for creating or updating AWS "
        "Lambda functions. We recommend you use a supported runtime while creating or updating "
        "functions."
    )


def test_unknown_runtime_lists_the_enum_value_set() -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        validate_runtime("python4.0")
    message = info.value.message
    assert message.startswith(
        "Value python4.0 at 'runtime' failed to satisfy constraint: Member must satisfy enum "
        "value set: [nodejs22.x, "
    )
    assert message.endswith("provided.al2023] or be a valid ARN")
    for name in limits.RUNTIMES:
        assert name in message


# --- environment: lambda-facts A "Env vars" 4 KB aggregate ---------------------------------------


def _env_of_compact_size(size: int) -> dict[str, str]:
    env = {"BIG": ""}
    overhead = len(json.dumps(env, separators=(",", ":")))  # {"BIG":""} = 10 bytes
    env["BIG"] = "x" * (size - overhead)
    assert len(json.dumps(env, separators=(",", ":")).encode()) == size
    return env


def test_env_vars_4096_bytes_pass_4097_fail_lambda_facts_A_env_vars() -> None:
    validate_environment(_env_of_compact_size(4096))
    env = _env_of_compact_size(4097)
    with pytest.raises(InvalidParameterValueException) as info:
        validate_environment(env)
    assert info.value.message == (
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided exceeded the 4KB limit. String measured: "
        + json.dumps(env, separators=(",", ":"))
    )


def test_env_vars_size_is_the_whole_compact_json_not_key_plus_value_lambda_facts_A() -> None:
    # Keys plus values come to 4,080 bytes, under 4 KB; the quotes, colons, commas and braces of
    # the compact JSON push it to 4,129 bytes, over it.
    env = {f"K{i:03d}": "v" * 506 for i in range(8)}
    raw_sum = sum(len(k) + len(v) for k, v in env.items())
    compact = len(json.dumps(env, separators=(",", ":")))
    assert raw_sum <= 4096 < compact
    with pytest.raises(InvalidParameterValueException, match="exceeded the 4KB limit"):
        validate_environment(env)


def test_env_vars_reserved_key_rejected_lambda_facts_B_reserved_env_vars() -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        validate_environment({"STAGE": "dev", "AWS_REGION": "us-west-2"})
    assert info.value.message == (
        "Lambda was unable to configure your environment variables because the environment "
        "variables you have provided contains reserved keys that are currently not supported "
        "for modification. Reserved keys used in this request: AWS_REGION"
    )


def test_env_vars_several_reserved_keys_listed_in_request_order() -> None:
    with pytest.raises(InvalidParameterValueException) as info:
        validate_environment({"AWS_ACCESS_KEY_ID": "a", "AWS_SECRET_ACCESS_KEY": "b"})
    assert info.value.message.endswith(
        "Reserved keys used in this request: AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY"
    )


def test_env_vars_unreserved_runtime_keys_may_be_set() -> None:
    validate_environment({"PATH": "/opt/bin", "LANG": "C.UTF-8", "PYTHONPATH": "/opt/python"})


@pytest.mark.parametrize("key", ["1ABC", "A", "MY-VAR", "MY VAR", "_X", ""])
def test_env_var_key_must_match_model_pattern(key: str) -> None:
    with pytest.raises(ValidationException) as info:
        validate_environment({key: "v"})
    assert info.value.message == (
        "1 validation error detected: Value at 'environment.variables' failed to satisfy "
        "constraint: Map keys must satisfy constraint: [Member must satisfy regular expression "
        "pattern: [a-zA-Z]([a-zA-Z0-9_])+]"
    )


@pytest.mark.parametrize("key", ["AB", "a1", "MY_VAR_2", "x_"])
def test_env_var_key_matching_pattern_passes(key: str) -> None:
    validate_environment({key: "v"})


# --- layers: lambda-facts A "Layers" at most 5 ---------------------------------------------------

ARN = "arn:aws:lambda:us-east-1:123456789012:layer:l{}:1"


def test_layers_5_pass_6_fail_lambda_facts_A_layers() -> None:
    validate_layers([ARN.format(i) for i in range(5)])
    with pytest.raises(InvalidParameterValueException) as info:
        validate_layers([ARN.format(i) for i in range(6)])
    assert info.value.message == "Cannot reference more than 5 layers."


# --- package: lambda-facts A ".zip package" 50 MB zipped, 250 MB unzipped ------------------------


def test_zipped_52428800_pass_52428801_fail_lambda_facts_A_zip_package() -> None:
    validate_package(52_428_800, 1)
    with pytest.raises(RequestEntityTooLargeException) as info:
        validate_package(52_428_801, 1)
    assert info.value.message == "Zipped size must be smaller than 52428800 bytes"
    assert info.value.status == 413


def test_unzipped_262144000_pass_262144001_fail_lambda_facts_A_zip_package() -> None:
    validate_package(1, 262_144_000)
    with pytest.raises(InvalidParameterValueException) as info:
        validate_package(1, 262_144_001)
    assert info.value.message == "Unzipped size must be smaller than 262144000 bytes"
    assert info.value.status == 400


# --- whole configuration -----------------------------------------------------------------------


def test_function_config_all_valid_passes() -> None:
    validate_function_config(
        memory_size=1024,
        timeout=30,
        ephemeral_storage=1024,
        runtime="python3.13",
        environment={"STAGE": "prod"},
        layers=[ARN.format(1)],
    )
    validate_function_config()  # nothing given, nothing checked


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"memory_size": 64}, ValidationException),
        ({"timeout": 901}, ValidationException),
        ({"ephemeral_storage": 511}, ValidationException),
        ({"runtime": "python2.7"}, InvalidParameterValueException),
        ({"environment": {"TZ": "UTC", "AWS_REGION": "x"}}, InvalidParameterValueException),
        ({"layers": [ARN.format(i) for i in range(6)]}, InvalidParameterValueException),
    ],
)
def test_function_config_checks_each_given_field(
    kwargs: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        validate_function_config(**kwargs)  # type: ignore[arg-type]


def test_function_config_reports_memory_before_timeout() -> None:
    with pytest.raises(ValidationException, match="memorySize"):
        validate_function_config(memory_size=1, timeout=0)
