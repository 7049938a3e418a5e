"""A handler cannot reach other functions, the host, or write outside its /tmp (issue 12 §2-3).

On Lambda the code (/var/task) and layers (/opt) are read-only, each function runs in its own
micro-VM (no other function's code, /tmp, variables or memory is reachable), and nothing of the
host is visible (lambda-facts B: "/tmp is the only writable path"). Measured in both modes
(``fallback`` forced; ``auto`` is the namespace mode on this kind of machine), from the native API
and through boto3 under ``mock_aws()``. The guarantees that need Landlock are marked so.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap

import boto3
import pytest
from aws_helpers import TRUST, make_zip
from conftest import wait_no_workers

from lambda_lab.execution import EnvironmentSpec
from lambda_lab.execution._sandbox import landlock_abi
from lambda_lab.execution.state import state_root

MODES = ["auto", "fallback"]


def _mode(isolation: str) -> str:
    """The mode ``isolation`` gives here: "auto" is the namespace mode unless this checkout or
    the Python installation lives under /tmp (a private tmpfs would hide them)."""
    from lambda_lab.execution.spec import needs_host_tmp

    if isolation != "auto":
        return isolation
    spec = EnvironmentSpec("f", "m.h", state_root())
    return "fallback" if needs_host_tmp(state_root(), spec) else "namespace"
needs_landlock = pytest.mark.skipif(not landlock_abi(), reason="the kernel has no Landlock")
CHECKOUT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

PROBE = '''
import ctypes, errno, os, subprocess

MARKER = "original"

def _try(f):
    try:
        f()
        return "allowed"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))

def victim(event, context):
    with open("/tmp/secret.txt", "w") as f:
        f.write("tmp-secret")
    log = os.readlink("/proc/self/fd/1")  # the fallback's private /tmp is beside the log
    return {"task_root": os.environ["LAMBDA_TASK_ROOT"], "pid": os.getpid(),
            "tmp": os.path.join(os.path.dirname(log), "tmp"), "marker": MARKER}

class _Iovec(ctypes.Structure):
    _fields_ = [("base", ctypes.c_void_p), ("len", ctypes.c_size_t)]

def _vm_readv(pid):
    libc = ctypes.CDLL(None, use_errno=True)
    buf = ctypes.create_string_buffer(8)
    local, remote = _Iovec(ctypes.addressof(buf), 8), _Iovec(0x400000, 8)
    if libc.process_vm_readv(pid, ctypes.byref(local), 1, ctypes.byref(remote), 1, 0) < 0:
        raise OSError(ctypes.get_errno(), "process_vm_readv")

def attack(event, context):
    v, host = event["victim"], event["host"]
    module = os.path.join(v["task_root"], "lambda_function.py")
    own = os.environ["LAMBDA_TASK_ROOT"]
    out = {
        "list_code_folders": _try(lambda: os.listdir(os.path.dirname(v["task_root"]))),
        "read_other_code": _try(lambda: open(module).read()),
        "append_other_code": _try(lambda: open(module, "a").write("\\nMARKER = 'pwned'\\n")),
        "append_own_code": _try(lambda: open("lambda_function.py", "a").write("#")),
        "create_in_own_code": _try(lambda: open(os.path.join(own, "new.py"), "w").close()),
        "read_other_tmp": _try(lambda: open(os.path.join(v["tmp"], "secret.txt")).read()),
        "read_other_tmp_via_proc": _try(
            lambda: open(f"/proc/{v['pid']}/root/tmp/secret.txt").read()),
        "read_other_environ": _try(lambda: open(f"/proc/{v['pid']}/environ", "rb").read()),
        "open_other_mem": _try(lambda: open(f"/proc/{v['pid']}/mem", "rb").close()),
        "vm_readv_other": _try(lambda: _vm_readv(v["pid"])),
        "signal_other": _try(lambda: os.kill(v["pid"], 0)),
        "read_host_environ": _try(lambda: open(f"/proc/{host}/environ", "rb").read()),
        "open_host_mem": _try(lambda: open(f"/proc/{host}/mem", "rb").close()),
        "vm_readv_host": _try(lambda: _vm_readv(host)),
        "signal_host": _try(lambda: os.kill(host, 0)),
        "read_home_file": _try(lambda: open(event["home_file"]).read()),
        "list_state": _try(lambda: os.listdir(event["state"])),
        "write_state": _try(lambda: open(os.path.join(event["state"], "probe"), "w").close()),
        "write_checkout": _try(lambda: open(os.path.join(event["checkout"], "probe"), "w").close()),
    }
    child = subprocess.run(
        ["sh", "-c", f"cat /proc/{host}/environ /proc/{v['pid']}/environ {event['home_file']}"
                     f" {v['tmp']}/secret.txt; echo x >> {module}; echo x >> {own}/x.py"],
        capture_output=True)
    out["child_stdout"] = child.stdout.decode()
    return out
'''

#: What an attack must not reach, and the answer the kernel gives (Landlock: EACCES for files,
#: EPERM for ptrace-mode access and signals).
DENIED = {
    "list_code_folders": "EACCES", "read_other_code": "EACCES", "append_other_code": "EACCES",
    "append_own_code": "EACCES", "create_in_own_code": "EACCES", "read_other_tmp": "EACCES",
    "read_other_environ": "EACCES", "open_other_mem": "EACCES", "vm_readv_other": "EPERM",
    "signal_other": "EPERM", "read_host_environ": "EACCES", "open_host_mem": "EACCES",
    "vm_readv_host": "EPERM", "signal_host": "EPERM", "read_home_file": "EACCES",
    "list_state": "EACCES", "write_state": "EACCES", "write_checkout": "EACCES"}


@pytest.fixture
def home_file():
    """A secret in the host user's home (as ~/.aws/credentials would be)."""
    path = os.path.join(os.path.expanduser("~"), f".lambda-lab-probe-{os.getpid()}")
    with open(path, "w") as f:
        f.write("host-secret")
    yield path
    os.remove(path)


def _check_attack(out: dict, victim: dict, module_text: str, isolation: str) -> None:
    got = {k: v for k, v in out.items() if k in DENIED}
    expected = dict(DENIED)
    if CHECKOUT.startswith("/tmp/"):
        # a checkout under /tmp: every mode falls back (a tmpfs /tmp would hide lambda_lab), and
        # the fallback redirects the handler's /tmp paths to its own folder, where the
        # checkout's path does not exist (the probe is not written either way)
        isolation = "fallback"
        expected["write_checkout"] = "ENOENT"
    if _mode(isolation) == "namespace":
        expected["read_other_tmp"] = "ENOENT"  # its /tmp is a tmpfs: that folder stays empty
        # every mount but /tmp is read-only there: Lambda's "Read-only file system"
        for key in ("append_own_code", "create_in_own_code", "append_other_code", "write_state",
                    "write_checkout"):
            expected[key] = "EROFS"
    assert got == expected
    assert out["read_other_tmp_via_proc"] == "EACCES"  # /proc/<pid>/root: ptrace-mode access
    assert "secret" not in out["child_stdout"]
    with open(os.path.join(victim["task_root"], "lambda_function.py")) as f:
        assert f.read() == module_text
    assert not os.path.exists(os.path.join(CHECKOUT, "probe"))


@needs_landlock
@pytest.mark.parametrize("isolation", MODES)
def test_one_function_cannot_reach_another_nor_the_host(deploy, isolation, home_file):
    """Issue 12 §2-3: code read-only, other functions' code, /tmp, variables and memory and the
    host's environment, home and checkout out of reach, for the handler and its children."""
    victim = deploy(PROBE, handler="lambda_function.victim", isolation=isolation,
                    environment={"SECRET": "victim-secret"})
    attacker = deploy(PROBE, handler="lambda_function.attack", isolation=isolation)
    v = victim.invoke({}).payload
    module_text = open(os.path.join(v["task_root"], "lambda_function.py")).read()
    r = attacker.invoke({"victim": v, "host": os.getpid(), "home_file": home_file,
                         "state": state_root(), "checkout": CHECKOUT})
    assert r.function_error is None, r.payload
    _check_attack(r.payload, v, module_text, isolation)
    assert victim.invoke({}).payload["marker"] == "original"
    abi = landlock_abi()
    for fn in (victim, attacker):
        [env] = fn.environments()
        assert f"landlock-v{abi}" in env.protections and "no-capabilities" in env.protections
        assert env.isolation == _mode(isolation)
        assert ("read-only-root" in env.protections) == (_mode(isolation) == "namespace")


@needs_landlock
@pytest.mark.parametrize("isolation", MODES)
def test_two_functions_under_mock_aws(isolation, home_file):
    """Issue 12 §2-3 through boto3: two functions created with CreateFunction; one tries to
    read and append to the other's code, read its variables, memory and /tmp."""
    import lambda_lab

    with lambda_lab.mock_aws(seed=1, isolation=isolation):
        lam = boto3.client("lambda", region_name="us-east-1")
        iam = boto3.client("iam", region_name="us-east-1")
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        for name, handler in (("victim", "victim"), ("attacker", "attack")):
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                Handler=f"lambda_function.{handler}", Timeout=30,
                                Code={"ZipFile": make_zip(PROBE)},
                                Environment={"Variables": {"SECRET": "victim-secret"}})

        def call(name, event):
            resp = lam.invoke(FunctionName=name, Payload=json.dumps(event))
            body = json.loads(resp["Payload"].read())
            assert "FunctionError" not in resp, body
            return body

        v = call("victim", {})
        module_text = open(os.path.join(v["task_root"], "lambda_function.py")).read()
        out = call("attacker", {"victim": v, "host": os.getpid(), "home_file": home_file,
                                "state": state_root(), "checkout": CHECKOUT})
        _check_attack(out, v, module_text, isolation)
        assert call("victim", {})["marker"] == "original"
    assert wait_no_workers() == set()


WORKS = '''
import boto3, os, subprocess

def handler(event, context):
    with open("/tmp/mine.txt", "w") as f:
        f.write("kept")
    child = subprocess.run(["sh", "-c", "echo child > /tmp/child.txt; cat /tmp/mine.txt"],
                           capture_output=True, text=True)
    caps = [line.split()[1] for line in open("/proc/self/status") if line.startswith("CapEff")]
    return {"tmp": open("/tmp/mine.txt").read(), "boto3": boto3.__name__,
            "code": sorted(os.listdir(os.environ["LAMBDA_TASK_ROOT"])),
            "home": os.path.expanduser("~"), "child": child.stdout, "caps": caps[0],
            "null": open("/dev/null", "w").write("x"), "hosts": os.path.exists("/etc/hosts"),
            "runtime": len(open(os.environ["LAMBDA_RUNTIME_DIR"] + "/_runtime.py").read()) > 0}
'''


@pytest.mark.parametrize("isolation", MODES)
def test_what_a_handler_still_has(deploy, isolation):
    """Lambda's runtime has: its code (readable), boto3, a writable /tmp, /dev/null, /etc/hosts,
    the runtime's folder, child processes. HOME is /tmp, never the host user's home or the state
    folder; no capabilities, even when the host runs as root."""
    fn = deploy(WORKS, isolation=isolation)
    out = fn.invoke({}).payload
    assert out["tmp"] == "kept" and out["boto3"] == "boto3" and out["null"] == 1
    assert "lambda_function.py" in out["code"] and out["hosts"]
    assert out["runtime"]  # the runtime's folder (Lambda's /var/runtime), for modules it loads
    assert out["home"] == "/tmp"
    assert out["caps"] == "0000000000000000"
    if _mode(isolation) == "namespace":  # children share the private /tmp only there
        assert out["child"] == "kept"


@needs_landlock
def test_fallback_children_cannot_write_the_hosts_tmp(deploy):
    """Issue 12 §5: in the fallback a child process (``dd``) used to write straight into the
    host's /tmp; under Landlock the host's /tmp is out of its reach."""
    target = f"/tmp/lambda-lab-dd-{os.getpid()}"
    fn = deploy(f'''
        import subprocess
        def handler(event, context):
            return subprocess.run(["dd", "if=/dev/zero", "of={target}", "bs=1M", "count=1"],
                                  capture_output=True, text=True).returncode
        ''', isolation="fallback")
    assert fn.invoke({}).payload != 0
    assert not os.path.exists(target)


def test_fallback_child_file_size_is_held_to_the_quota(deploy):
    """Issue 12 §5: a child writing one file in the private /tmp folder stops at the
    EphemeralStorage size (RLIMIT_FSIZE: the kernel stops it with SIGXFSZ, or 'File too large'
    where the signal is ignored)."""
    fn = deploy('''
        import os, subprocess
        def handler(event, context):
            tmp = os.path.join(os.path.dirname(os.readlink("/proc/self/fd/1")), "tmp")
            r = subprocess.run(["dd", "if=/dev/zero", f"of={tmp}/big", "bs=1M", "count=600"],
                               capture_output=True, text=True)
            return [r.returncode, os.path.getsize("/tmp/big"), r.stderr]
        ''', isolation="fallback", memory=1024, timeout=60)
    code, size, err = fn.invoke({}).payload
    assert size == 512 * 1024 * 1024
    assert code == -signal.SIGXFSZ or "File too large" in err


@pytest.mark.skipif(CHECKOUT.startswith("/tmp/"),
                    reason="needs lambda_lab outside /tmp: the test puts only Python there")
def test_python_under_tmp_keeps_its_files_in_the_fallback(tmp_path):
    """Issue 12 §4: with Python installed under /tmp (a virtualenv there: the case in which the
    emulator picks the fallback by itself), a package reading its data files through
    ``__file__`` still finds them, botocore (linked into the virtualenv) finds its endpoints
    and models, and /tmp is still private."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", "--system-site-packages",
                    str(venv)], check=True)
    [site] = venv.glob("lib/python3*/site-packages")
    import boto3 as real_boto3
    import botocore as real_botocore

    for module in (real_boto3, real_botocore):
        (site / module.__name__).symlink_to(os.path.dirname(module.__file__))
    pkg = site / "labdata"
    pkg.mkdir()
    (pkg / "data.txt").write_text("endpoints")
    (pkg / "__init__.py").write_text(
        "import os\n"
        "def load():\n"
        "    with open(os.path.join(os.path.dirname(__file__), 'data.txt')) as f:\n"
        "        return f.read()\n")
    script = textwrap.dedent('''
        import json, lambda_lab as ll
        fn = ll.deploy("""
        import os, boto3, botocore, labdata
        def handler(event, context):
            with open("/tmp/own.txt", "w") as f:
                f.write("mine")
            sqs = boto3.client("sqs", region_name="eu-west-1")
            return [labdata.load(), sorted(os.listdir("/tmp")), botocore.__file__,
                    sqs.meta.endpoint_url]
        """, name="venv-under-tmp")
        r = fn.invoke({})
        print(json.dumps([r.payload, fn.environments()[0].isolation]))
        fn.delete()
        ''')
    # the handler imports a package of the host's (virtual) environment: strict imports off
    env = dict(os.environ, PYTHONPATH=CHECKOUT, LAMBDA_LAB_STRICT_IMPORTS="0")
    done = subprocess.run([str(venv / "bin" / "python"), "-c", script], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    payload, isolation = json.loads(done.stdout.splitlines()[-1])
    assert isolation == "fallback"
    assert payload[:2] == ["endpoints", ["own.txt"]]
    assert payload[2].startswith(str(site))  # botocore really came from under /tmp
    assert payload[3] == "https://sqs.eu-west-1.amazonaws.com"
    assert not os.path.exists("/tmp/own.txt")


@pytest.fixture
def no_landlock_zygote():
    """A zygote whose workers run as on a kernel without Landlock."""
    from lambda_lab.execution._sandbox import set_dumpable
    from lambda_lab.execution.zygote import Zygote

    zygote = Zygote(landlock=False)
    yield zygote
    zygote.close()
    set_dumpable(True)  # the host made itself not dumpable for them


@pytest.mark.parametrize("isolation", ["namespace", "fallback"])
def test_without_landlock_memory_and_variables_stay_private(no_landlock_zygote, isolation,
                                                            home_file):
    """Issue 12 §3, where the kernel has no Landlock: workers and the host are not dumpable and
    workers hold no capability, so another worker's or the host's /proc/<pid>/environ and memory
    stay closed even to a worker running as the host's user (root included); in the namespace
    mode nothing but /tmp is writable."""
    if isolation == "namespace" and CHECKOUT.startswith("/tmp/"):
        pytest.skip("a checkout under /tmp makes every mode fall back (a tmpfs /tmp would hide it)")
    from lambda_lab.execution import EnvironmentSpec, ExecutionEnvironment
    from lambda_lab.execution.state import subdir

    envs = {}
    for role, variables in (("victim", {"SECRET": "victim-secret"}), ("attack", {})):
        code = subdir("code", f"no-landlock-{isolation}-{role}")
        with open(os.path.join(code, "lambda_function.py"), "w") as f:
            f.write(PROBE)
        spec = EnvironmentSpec(function_name=role, handler=f"lambda_function.{role}",
                               task_root=code, environment=variables)
        envs[role] = ExecutionEnvironment(spec, subdir("envs", role), isolation=isolation,
                                          zygote=no_landlock_zygote)
        envs[role].start()
    try:
        v = envs["victim"].invoke(b"{}").payload
        # without Landlock files are open to it in the fallback: a throwaway folder (in the
        # state folder) stands for the checkout there
        target = subdir(f"throwaway-{isolation}")
        event = {"victim": v, "host": os.getpid(), "home_file": home_file, "state": target,
                 "checkout": CHECKOUT if isolation == "namespace" else target}
        out = envs["attack"].invoke(json.dumps(event).encode()).payload
        assert {k: out[k] for k in ("read_other_environ", "open_other_mem", "vm_readv_other",
                                    "read_host_environ", "open_host_mem", "vm_readv_host")} == {
            "read_other_environ": "EACCES", "open_other_mem": "EACCES", "vm_readv_other": "EPERM",
            "read_host_environ": "EACCES", "open_host_mem": "EACCES", "vm_readv_host": "EPERM"}
        assert "victim-secret" not in out["child_stdout"]  # its children: the same
        if isolation == "namespace":  # every mount but /tmp is read-only
            for key in ("append_own_code", "create_in_own_code"):
                assert out[key] == "EROFS", key
            assert out["write_checkout"] in ("EROFS", "ENOENT")  # ENOENT: a checkout in /tmp
            # the state folder and the home are covered up: only its own code is left there
            for key in ("read_other_code", "append_other_code", "read_home_file",
                        "write_state"):
                assert out[key] == "ENOENT", key
            assert "host-secret" not in out["child_stdout"]
        for env in envs.values():
            assert env.info().protections == ("no-capabilities", "not-dumpable",
                                              *(("read-only-root", "hidden-home-and-state")
                                                if isolation == "namespace" else ()))
            assert env.info().isolation == isolation
    finally:
        for env in envs.values():
            env.shutdown()


def test_state_folder_under_tmp(tmp_path):
    """With the state folder under /tmp (``LAMBDA_LAB_STATE_DIR``), the fallback is chosen (a
    tmpfs would hide the code) and the code, the environment's own folder and /tmp all work."""
    script = textwrap.dedent('''
        import json, lambda_lab as ll
        fn = ll.deploy("""
        import os
        def handler(event, context):
            with open("/tmp/own.txt", "w") as f:
                f.write("mine")
            return [open("/tmp/own.txt").read(), sorted(os.listdir("/tmp")),
                    os.environ["LAMBDA_TASK_ROOT"]]
        """, name="state-under-tmp")
        r = fn.invoke({})
        print(json.dumps([r.payload, fn.environments()[0].isolation]))
        fn.delete()
        ''')
    env = dict(os.environ, PYTHONPATH=CHECKOUT, LAMBDA_LAB_STATE_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    payload, isolation = json.loads(done.stdout.splitlines()[-1])
    assert isolation == "fallback"
    assert payload[:2] == ["mine", ["own.txt"]]
    assert payload[2].startswith(str(tmp_path))


CUSTOM = r'''#!/usr/bin/env python3
import errno, json, os, tempfile, urllib.request
api = "http://" + os.environ["AWS_LAMBDA_RUNTIME_API"] + "/2018-06-01/runtime"

def attempt(f):
    try:
        f()
        return "allowed"
    except OSError as e:
        return errno.errorcode[e.errno]

while True:
    with urllib.request.urlopen(api + "/invocation/next") as r:
        rid = r.headers["Lambda-Runtime-Aws-Request-Id"]
        event = json.loads(r.read())
    tmp = tempfile.gettempdir()
    body = {"own_code": attempt(lambda: open("bootstrap", "a").close()),
            "home_file": attempt(lambda: open(event["home_file"]).read()),
            "tmp": attempt(lambda: open(os.path.join(tmp, "x"), "w").close()),
            "home": attempt(lambda: open(os.path.expanduser("~/.x"), "w").close())}
    urllib.request.urlopen(urllib.request.Request(f"{api}/invocation/{rid}/response",
        data=json.dumps(body).encode(), method="POST")).read()
'''


@needs_landlock
@pytest.mark.parametrize("isolation", MODES)
def test_custom_runtime_is_confined_too(deploy, isolation, tmp_path, home_file):
    """A bootstrap (and what it starts) gets the same rules: its code read-only, nothing of the
    host's; a writable temporary folder and HOME (/tmp, or the private folder in the fallback,
    where only Python code is redirected)."""
    bootstrap = tmp_path / "bootstrap"
    bootstrap.write_text(CUSTOM)
    bootstrap.chmod(0o755)
    fn = deploy(str(tmp_path), runtime="provided.al2023", handler="function.handler",
                isolation=isolation)
    out = fn.invoke({"home_file": home_file}).payload
    assert out == {"own_code": "EROFS" if _mode(isolation) == "namespace" else "EACCES",
                   "home_file": "EACCES", "tmp": "allowed", "home": "allowed"}
    [env] = fn.environments()
    assert f"landlock-v{landlock_abi()}" in env.protections


def test_no_rule_opens_the_home_or_the_state_folder(monkeypatch):
    """The read rules every worker gets never cover "/", the host user's home or the state
    folder (where other functions' code lives), whatever this interpreter has mapped or has on
    its path (a .pth naming a checkout that is the home, say)."""
    from lambda_lab.execution._sandbox import _system_rules, python_paths

    monkeypatch.setattr(sys, "path", [*sys.path, os.path.expanduser("~"), "/"])
    protected = [os.path.expanduser("~"), state_root()]
    for path, _rights in _system_rules(python_paths()):
        real = os.path.realpath(path)
        assert real != "/"
        for folder in protected:
            assert not (folder == real or folder.startswith(real + "/")), (path, folder)


def test_a_package_linked_into_site_packages_stays_readable(tmp_path, monkeypatch):
    """A package symlinked into a sys.path folder from elsewhere (another environment's
    site-packages, a Nix-style store) is read where the link leads — Landlock checks that path —
    so the sandbox's read-only list holds the target too, not only the folder of the link."""
    from lambda_lab.execution._sandbox import python_paths

    store = tmp_path / "store" / "pkg-1.0" / "pkg"
    store.mkdir(parents=True)
    (store / "__init__.py").write_text("")
    site = tmp_path / "site-packages"
    site.mkdir()
    (site / "pkg").symlink_to(store)
    monkeypatch.setattr(sys, "path", [*sys.path, str(site)])
    allowed = python_paths()
    assert any(str(store) == p or str(store).startswith(p + "/") for p in allowed), allowed
