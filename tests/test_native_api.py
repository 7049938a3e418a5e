"""The native notebook API: deploy from a function, source or folder; configure; invoke."""

from __future__ import annotations

import json
import os
import time

import pytest

import lambda_lab as ll
from lambda_lab import errors
from lambda_lab.clock import VirtualClock, set_default_clock

GREETING = "Hello"


def _helper(name):
    return f"{GREETING}, {name}!"


def greet(event, context):
    return {"message": _helper(event["name"]), "dumped": json.dumps(event)}


def test_deploy_a_function_object_with_its_helpers():
    fn = ll.deploy(greet, name="greet-native")
    try:
        r = fn.invoke({"name": "Ada"})
        assert r.payload == {"message": "Hello, Ada!", "dumped": '{"name": "Ada"}'}
        assert fn.handler == "lambda_function.greet"
    finally:
        fn.delete()


def test_deploy_source_detects_the_handler(deploy):
    fn = deploy("def helper():\n    return 2\n\ndef lambda_handler(e, c):\n    return helper()\n")
    assert fn.handler == "lambda_function.lambda_handler"
    assert fn.invoke().payload == 2


def test_deploy_a_folder_with_a_module_of_its_own(deploy, tmp_path):
    (tmp_path / "app.py").write_text("from util import twice\n"
                                     "def handler(e, c):\n    return twice(e)\n")
    (tmp_path / "util.py").write_text("def twice(x):\n    return 2 * x\n")
    fn = deploy(str(tmp_path), handler="app.handler")
    assert fn.invoke(21).payload == 42
    (tmp_path / "util.py").write_text("def twice(x):\n    return 0\n")
    fn.reset()
    assert fn.invoke(21).payload == 42, "the deployed package is a snapshot"


def test_layers_are_importable_like_opt_python(deploy, tmp_path):
    layer = tmp_path / "layer"
    (layer / "python").mkdir(parents=True)
    (layer / "python" / "shared_lib.py").write_text("VALUE = 'from a layer'\n")
    fn = deploy("import shared_lib\ndef handler(e, c):\n    return shared_lib.VALUE\n",
                layers=[str(layer)])
    assert fn.invoke().payload == "from a layer"


def test_at_most_five_layers_lambda_facts_layers(tmp_path):
    """lambda-facts A 'Layers': at most 5 per function."""
    with pytest.raises(errors.InvalidParameterValueException) as e:
        ll.deploy("def handler(e, c):\n    return 1\n", name="six-layers",
                  layers=[str(tmp_path)] * 6)
    assert e.value.message == "Cannot reference more than 5 layers."


@pytest.mark.parametrize("kwargs, field", [
    ({"memory": 127}, "memorySize"), ({"memory": 10241}, "memorySize"),
    ({"timeout": 0}, "timeout"), ({"timeout": 901}, "timeout"),
    ({"ephemeral_storage": 511}, "ephemeralStorage.size"),
])
def test_out_of_range_configuration_is_rejected_lambda_facts_memory_timeout(kwargs, field):
    with pytest.raises(errors.ValidationException) as e:
        ll.deploy("def handler(e, c):\n    return 1\n", name="bad-config", **kwargs)
    assert f"at '{field}' failed to satisfy constraint" in e.value.message
    assert e.value.status == 400


def test_configure_memory_gives_new_environments(deploy):
    fn = deploy("def handler(e, c):\n    return c.memory_limit_in_mb\n")
    assert fn.invoke().payload == "128"
    fn.configure(memory=1024, timeout=10)
    r = fn.invoke()
    assert r.payload == "1024" and r.cold_start and r.memory_size_mb == 1024


def test_configure_environment_4kb_limit_lambda_facts_env_vars(deploy):
    fn = deploy("import os\ndef handler(e, c):\n    return os.environ.get('BIG')\n")
    with pytest.raises(errors.InvalidParameterValueException) as e:
        fn.configure(environment={"BIG": "x" * 4090})
    assert "exceeded the 4KB limit" in e.value.message
    fn.configure(environment={"BIG": "x" * 4000})
    assert fn.invoke().payload == "x" * 4000


def test_request_over_6mb_is_rejected_lambda_facts_payloads():
    """lambda-facts B 'Payloads': synchronous requests are limited to 6 MB."""
    fn = ll.deploy("def handler(e, c):\n    return 1\n", name="big-request")
    try:
        with pytest.raises(errors.RequestEntityTooLargeException) as e:
            fn.invoke("x" * 6291456)
        assert e.value.message == ("Request must be smaller than 6291456 bytes for the "
                                   "InvokeFunction operation")
        assert e.value.status == 413
    finally:
        fn.delete()


def test_invalid_json_payload_is_invalid_request_content(deploy):
    fn = deploy("def handler(e, c):\n    return e\n")
    with pytest.raises(errors.InvalidRequestContentException):
        fn.invoke(payload=b"{not json")
    assert fn.invoke(payload=b'{"raw": true}').payload == {"raw": True}


def test_concurrent_invocations_run_in_parallel_environments(deploy):
    """Issue 2 §3: concurrent invocations run in separate environments, in parallel."""
    fn = deploy("import os, time\n"
                "def handler(e, c):\n    time.sleep(0.5)\n    return os.getpid()\n", memory=256)
    t0 = time.monotonic()
    results = fn.invoke_many([{}] * 4)
    elapsed = time.monotonic() - t0
    assert elapsed < 1.5
    assert len({r.payload for r in results}) == 4
    assert all(r.cold_start for r in results)
    assert len(fn.environments()) == 4
    again = fn.invoke_many([{}] * 4)
    assert not any(r.cold_start for r in again)


def test_idle_environments_are_reclaimed_after_keep_alive():
    """Issue 2 §3: idle environments are reclaimed after a keep-alive you can set."""
    clock = VirtualClock()
    previous = set_default_clock(clock)
    try:
        fn = ll.deploy("def handler(e, c):\n    return 1\n", name="keep-alive", keep_alive=300)
        fn.invoke()
        assert [e.state for e in fn.environments()] == ["idle"]
        clock.advance(299)
        assert len(fn.environments()) == 1
        clock.advance(2)
        assert fn.environments() == []
        assert fn.invoke().cold_start
        fn.configure(keep_alive=10)
        clock.advance(11)
        assert fn.environments() == []
        fn.delete()
    finally:
        set_default_clock(previous)


def test_get_list_delete_functions():
    fn = ll.deploy("def handler(e, c):\n    return 1\n", name="registry-fn")
    assert ll.get_function("registry-fn") is fn
    assert fn in ll.list_functions()
    ll.delete_function("registry-fn")
    with pytest.raises(errors.ResourceNotFoundException) as e:
        ll.get_function("registry-fn")
    assert e.value.message.endswith(":function:registry-fn")


def test_billing_meter_counts_requests_and_gb_seconds(deploy):
    fn = deploy("def handler(e, c):\n    return 1\n", memory=1024)
    results = [fn.invoke() for _ in range(3)]
    assert fn.meter.requests == 3
    expected = sum(r.billed_duration_ms for r in results) / 1000 * 1.0
    assert abs(fn.meter.gb_seconds - expected) < 1e-9


def test_non_python_runtime_cannot_execute():
    with pytest.raises(errors.InvalidParameterValueException):
        ll.deploy("exports.handler = async () => 1", name="node-fn", handler="index.handler",
                  runtime="nodejs22.x")


def test_lambda_lab_import_is_lazy():
    import subprocess
    import sys

    code = ("import sys, lambda_lab; bad = [m for m in ('boto3', 'moto', 'ipywidgets', "
            "'matplotlib', 'lambda_lab.native') if m in sys.modules]; print(bad)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env={**os.environ}, check=True)
    assert out.stdout.strip() == "[]"
