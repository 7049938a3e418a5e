"""Each environment has its own private /tmp of EphemeralStorage size."""

from __future__ import annotations

import os
import threading

import pytest

TMP = """
import os, time

def write(event, context):
    with open("/tmp/" + event["name"], "w") as f:
        f.write(event.get("text", "x"))
    time.sleep(event.get("hold", 0))
    return sorted(os.listdir("/tmp"))

def listing(event, context):
    return sorted(os.listdir("/tmp"))

def fill(event, context):
    with open("/tmp/fill", "wb") as f:
        for _ in range(event["mb"]):
            f.write(b"\\0" * (1024 * 1024))
    return "filled"
"""

MODES = ["auto", "fallback"]


@pytest.mark.parametrize("isolation", MODES)
def test_tmp_survives_warm_invocations_issue2_tmp(deploy, isolation):
    """Issue 2 §3: /tmp survives between invocations of the same environment."""
    fn = deploy(TMP, handler="lambda_function.write", isolation=isolation)
    assert fn.invoke({"name": "a"}).payload == ["a"]
    assert fn.invoke({"name": "b"}).payload == ["a", "b"]


@pytest.mark.parametrize("isolation", MODES)
def test_tmp_is_private_per_environment(deploy, isolation):
    """Two concurrent environments do not see each other's /tmp, nor the host's files."""
    marker = f"/tmp/lambda-lab-host-marker-{os.getpid()}"
    open(marker, "w").close()
    try:
        fn = deploy(TMP, handler="lambda_function.write", isolation=isolation)
        results = {}

        def run(name):
            results[name] = fn.invoke({"name": name, "hold": 0.5}).payload

        threads = [threading.Thread(target=run, args=(n,)) for n in ("one", "two")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert results == {"one": ["one"], "two": ["two"]}
        assert not os.path.exists("/tmp/one") and not os.path.exists("/tmp/two")
    finally:
        os.remove(marker)


@pytest.mark.parametrize("isolation", MODES)
def test_new_environment_has_empty_tmp(deploy, isolation):
    fn = deploy(TMP, handler="lambda_function.write", isolation=isolation)
    fn.invoke({"name": "a"})
    fn.reset()
    assert fn.invoke({"name": "b"}).payload == ["b"]


@pytest.mark.parametrize("isolation", MODES)
def test_tmp_full_is_enospc_lambda_facts_ephemeral_storage(deploy, isolation):
    """lambda-facts A '/tmp': 512 MB by default; writing past it fails like a full disk."""
    fn = deploy(TMP, handler="lambda_function.fill", isolation=isolation, memory=2048,
                timeout=60)
    assert fn.invoke({"mb": 500}).payload == "filled"
    r = fn.invoke({"mb": 513})
    assert r.payload["errorType"] == "OSError"
    assert r.payload["errorMessage"] == "[Errno 28] No space left on device"


def test_larger_ephemeral_storage_allows_more(deploy):
    fn = deploy(TMP, handler="lambda_function.fill", memory=2048, timeout=60,
                ephemeral_storage=1024)
    assert fn.invoke({"mb": 700}).payload == "filled"


def test_isolation_mode_is_reported(deploy):
    fn = deploy(TMP, handler="lambda_function.listing", isolation="fallback")
    fn.invoke({})
    assert [e.isolation for e in fn.environments()] == ["fallback"]
