"""The handler's environment: reserved variables, the function's own, nothing from the host."""

from __future__ import annotations

import os
import time

from lambda_lab.limits import RESERVED_ENV_VARS

ENV = """
import os, time

def env(event, context):
    return dict(os.environ)

def ctx(event, context):
    first = context.get_remaining_time_in_millis()
    time.sleep(0.3)
    return {
        "function_name": context.function_name,
        "function_version": context.function_version,
        "invoked_function_arn": context.invoked_function_arn,
        "memory_limit_in_mb": context.memory_limit_in_mb,
        "aws_request_id": context.aws_request_id,
        "log_group_name": context.log_group_name,
        "log_stream_name": context.log_stream_name,
        "identity": [context.identity.cognito_identity_id,
                     context.identity.cognito_identity_pool_id],
        "client_context": context.client_context and context.client_context.custom,
        "first": first,
        "second": context.get_remaining_time_in_millis(),
    }
"""

# Lambda sets these on every invocation of a Python zip function (lambda-facts B).
ALWAYS = {"_HANDLER", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_EXECUTION_ENV",
          "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
          "AWS_LAMBDA_FUNCTION_VERSION", "AWS_LAMBDA_INITIALIZATION_TYPE",
          "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME", "AWS_ACCESS_KEY_ID",
          "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_LAMBDA_RUNTIME_API",
          "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR", "TZ"}


def test_reserved_variables_lambda_facts_reserved_env_vars(deploy):
    """lambda-facts B 'Reserved env vars': the runtime sets them, with fake role credentials."""
    fn = deploy(ENV, handler="lambda_function.env", memory=512)
    env = fn.invoke({}).payload
    assert ALWAYS <= set(env)
    assert ALWAYS <= RESERVED_ENV_VARS | {"AWS_LAMBDA_RUNTIME_API"}
    assert env["AWS_LAMBDA_FUNCTION_MEMORY_SIZE"] == "512"
    assert env["AWS_LAMBDA_FUNCTION_VERSION"] == "$LATEST"
    assert env["AWS_LAMBDA_INITIALIZATION_TYPE"] == "on-demand"
    assert env["AWS_LAMBDA_LOG_GROUP_NAME"] == f"/aws/lambda/{fn.name}"
    assert env["AWS_EXECUTION_ENV"] == "AWS_Lambda_python3.12"
    assert env["_HANDLER"] == "lambda_function.env"
    assert env["TZ"] == ":UTC"
    assert env["AWS_ACCESS_KEY_ID"].startswith("ASIA") and len(env["AWS_ACCESS_KEY_ID"]) == 20


def test_function_variables_reach_the_handler(deploy):
    fn = deploy(ENV, handler="lambda_function.env", environment={"TABLE": "orders"})
    assert fn.invoke({}).payload["TABLE"] == "orders"


def test_host_environment_never_reaches_the_handler_issue2(deploy, monkeypatch):
    """Issue 2 §3: no host secrets, no host AWS credentials."""
    monkeypatch.setenv("LAMBDA_LAB_HOST_SECRET", "s3cr3t")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAHOSTKEY000000000")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "host-secret")
    monkeypatch.setenv("AWS_PROFILE", "host-profile")
    fn = deploy(ENV, handler="lambda_function.env")
    env = fn.invoke({}).payload
    assert "LAMBDA_LAB_HOST_SECRET" not in env
    assert "AWS_PROFILE" not in env
    assert env["AWS_ACCESS_KEY_ID"] != "AKIAHOSTKEY000000000"
    assert "host-secret" not in env.values()
    assert env["HOME"] != os.path.expanduser("~")


def test_context_like_the_python_runtime_issue2_context(deploy):
    """Issue 2 §3: the context's attributes, and remaining time counting down to the deadline."""
    fn = deploy(ENV, handler="lambda_function.ctx", timeout=5, memory=256)
    r = fn.invoke({}, client_context={"custom": {"k": "v"}},
                  identity={"cognitoIdentityId": "id-1", "cognitoIdentityPoolId": "pool-1"})
    c = r.payload
    assert c["function_name"] == fn.name
    assert c["function_version"] == "$LATEST"
    assert c["invoked_function_arn"] == f"arn:aws:lambda:us-east-1:123456789012:function:{fn.name}"
    assert c["memory_limit_in_mb"] == "256"
    assert c["aws_request_id"] == r.request_id
    assert c["log_group_name"] == f"/aws/lambda/{fn.name}"
    assert c["log_stream_name"].endswith("]" + c["log_stream_name"].split("]")[1])
    assert "[$LATEST]" in c["log_stream_name"]
    assert c["identity"] == ["id-1", "pool-1"]
    assert c["client_context"] == {"k": "v"}
    assert 4500 < c["first"] <= 5000
    assert 250 <= c["first"] - c["second"] < 600


def test_timezone_is_utc(deploy):
    fn = deploy("import time\ndef handler(e, c):\n    return time.strftime('%Z')\n")
    assert fn.invoke({}).payload == "UTC"


def test_invocation_runs_in_real_time(deploy):
    fn = deploy("import time\ndef handler(e, c):\n    time.sleep(0.2)\n    return 1\n",
                memory=1769)
    t0 = time.monotonic()
    r = fn.invoke({})
    assert time.monotonic() - t0 >= 0.2
    assert 200 <= r.duration_ms < 400
