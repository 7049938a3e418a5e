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


SPREAD = """
import errno, os

def handler(event, context):
    def fill(name, mb):
        try:
            with open("/tmp/" + name, "wb") as f:
                for _ in range(mb):
                    f.write(b"\\0" * (1024 * 1024))
            return "ok"
        except OSError as e:
            return errno.errorcode[e.errno]
    first = [fill("a", 300), fill("b", 300)]
    os.remove("/tmp/a")
    return first + [fill("b", 300)]
"""


@pytest.mark.parametrize("isolation", MODES)
def test_quota_counts_every_file_and_frees_on_delete(deploy, isolation):
    """lambda-facts A '/tmp': the size is the folder's, across files; a removed file's space
    is free again (issue 12 §5: the fallback keeps a running count instead of rescanning)."""
    fn = deploy(SPREAD, isolation=isolation, memory=1024, timeout=60)
    assert fn.invoke({}).payload == ["ok", "ENOSPC", "ok"]


def test_fallback_redirect_leaves_python_code_and_its_own_folder_alone():
    """Issue 12 §4: only /tmp paths move, and not those of the Python installation, the code
    or the layers when they live under /tmp (nor the private folder itself)."""
    from lambda_lab.execution._sandbox import PrivateTmp

    tmp = PrivateTmp("/tmp/state/env-1/tmp", 512, keep=["/tmp/venv", "/usr", "/tmp/code/f-1"])
    assert tmp.target("/tmp/x.txt") == "/tmp/state/env-1/tmp/x.txt"
    assert tmp.target("/tmp") == "/tmp/state/env-1/tmp"
    assert tmp.target(b"/tmp/x") == b"/tmp/state/env-1/tmp/x"
    assert tmp.target("/tmp/venv/lib/botocore/data/endpoints.json") is None
    assert tmp.target("/tmp/venvy/x") == "/tmp/state/env-1/tmp/venvy/x"
    assert tmp.target("/tmp/code/f-1/lambda_function.py") is None
    assert tmp.target("/tmp/state/env-1/tmp/x") is None
    assert tmp.target("/usr/lib/x") is None and tmp.target("relative/tmp/x") is None


def test_fallback_quota_rescans_only_at_the_limit(tmp_path, monkeypatch):
    """Issue 12 §5: writes are counted as they go; the folder is scanned only when the count
    reaches the quota (files removed behind its back are found then)."""
    from lambda_lab.execution._sandbox import PrivateTmp

    quota = PrivateTmp(str(tmp_path), 1)
    scans = []
    real_scan = quota.scan
    monkeypatch.setattr(quota, "scan", lambda: scans.append(1) or real_scan())
    with open(tmp_path / "f", "wb") as f:
        for _ in range(1024):
            quota.charge(1024, f)
            f.write(b"x" * 1024)
    assert scans == [] and quota.used == 1024 * 1024
    with open(tmp_path / "g", "wb") as g, pytest.raises(OSError) as e:
        quota.charge(1, g)
    assert e.value.errno == 28 and scans == [1]
    os.remove(tmp_path / "f")  # behind the count's back: found at the next limit
    with open(tmp_path / "g", "wb") as g:
        quota.charge(1, g)
    assert scans == [1, 1] and quota.used == 1
