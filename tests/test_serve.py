"""``python -m lambda_lab serve --port N`` (issue #3 section 7): the real AWS CLI (awscli v1 from
PyPI) against the emulated AWS on 127.0.0.1; Ctrl-C / SIGTERM end it and every process it made."""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator

import pytest
from conftest import descendants

from lambda_lab.execution.procfs import process_exists

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})
HANDLER = """\
import boto3
def handler(event, context):
    print("got", event)
    if event.get("put"):
        boto3.client("s3").put_object(Bucket="serve-bucket", Key="k", Body=event["put"].encode())
    return {"echo": event, "who": boto3.client("sts").get_caller_identity()["Arn"]}
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def alive(pid: int) -> bool:
    return process_exists(pid)


class Server:
    def __init__(self, proc: subprocess.Popen, port: int, banner: str, tmp: str) -> None:
        self.proc, self.port, self.banner, self.tmp = proc, port, banner, tmp
        self.url = f"http://127.0.0.1:{port}"
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.env.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                        AWS_DEFAULT_REGION="us-east-1",
                        AWS_CONFIG_FILE=os.path.join(tmp, "no-config"),
                        AWS_SHARED_CREDENTIALS_FILE=os.path.join(tmp, "no-credentials"))

    def aws(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """The real AWS CLI (``python -m awscli``), JSON output."""
        proc = subprocess.run(
            [sys.executable, "-m", "awscli", "--endpoint-url", self.url, "--output", "json",
             *args], capture_output=True, text=True, env=self.env, cwd=self.tmp, timeout=120)
        if check:
            assert proc.returncode == 0, proc.stderr
        return proc

    def aws_json(self, *args: str) -> dict:
        out = self.aws(*args).stdout
        return json.loads(out) if out.strip() else {}


def start_server(tmp: str, *args: str) -> tuple[subprocess.Popen, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    proc = subprocess.Popen([sys.executable, "-m", "lambda_lab", "serve", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            cwd=tmp)
    line = proc.stdout.readline()  # the one line: printed once the server listens
    return proc, line


@pytest.fixture
def server(tmp_path) -> Iterator[Server]:
    port = free_port()
    proc, banner = start_server(str(tmp_path), "--port", str(port))
    try:
        assert f"http://127.0.0.1:{port}" in banner, banner + proc.stderr.read()
        yield Server(proc, port, banner, str(tmp_path))
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def stop_and_check(server: Server, sig: int) -> None:
    """Signal the server; it exits 0 and leaves no process behind."""
    children = descendants(server.proc.pid)
    server.proc.send_signal(sig)
    assert server.proc.wait(timeout=30) == 0, server.proc.stderr.read()
    deadline = time.monotonic() + 10
    while any(alive(p) for p in children) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not [p for p in children if alive(p)], "stray processes after serve exited"


def write_zip(folder: str, source: str) -> str:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lambda_function.py", source)
    path = os.path.join(folder, "fn.zip")
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return path


def test_aws_cli_end_to_end(server: Server) -> None:
    assert "aws --endpoint-url" in server.banner
    role = server.aws_json("iam", "create-role", "--role-name", "fn-role",
                           "--assume-role-policy-document", TRUST)["Role"]["Arn"]
    assert role == "arn:aws:iam::123456789012:role/fn-role"
    server.aws("s3api", "create-bucket", "--bucket", "serve-bucket")
    write_zip(server.tmp, HANDLER)
    created = server.aws_json(
        "lambda", "create-function", "--function-name", "f", "--runtime", "python3.12",
        "--handler", "lambda_function.handler", "--role", role, "--timeout", "30",
        "--zip-file", "fileb://fn.zip")
    assert created["FunctionArn"] == "arn:aws:lambda:us-east-1:123456789012:function:f"
    assert created["State"] == "Active" and created["CodeSize"] > 0

    # CLI v1 sends --payload as it is (v2 needs --cli-binary-format raw-in-base64-out)
    meta = server.aws_json("lambda", "invoke", "--function-name", "f", "--payload",
                           '{"a": 1, "put": "hi"}', "out.json")
    assert meta == {"StatusCode": 200, "ExecutedVersion": "$LATEST"}
    with open(os.path.join(server.tmp, "out.json")) as f:
        body = json.load(f)
    assert body == {"echo": {"a": 1, "put": "hi"},
                    "who": "arn:aws:sts::123456789012:assumed-role/fn-role/f"}
    got = server.aws("s3", "cp", "s3://serve-bucket/k", "-")
    assert got.stdout == "hi"

    meta = server.aws_json("lambda", "invoke", "--function-name", "f", "--invocation-type",
                           "Event", "--payload", '{"a": 3}', "event.json")
    assert meta == {"StatusCode": 202}
    deadline = time.monotonic() + 30
    while True:  # the Event invocation ran: its log reaches CloudWatch Logs
        events = server.aws_json("logs", "filter-log-events", "--log-group-name",
                                 "/aws/lambda/f").get("events", [])
        if any("got {'a': 3}" in e["message"] for e in events):
            break
        assert time.monotonic() < deadline, events
        time.sleep(0.2)

    assert server.aws_json("lambda", "publish-version", "--function-name", "f")["Version"] == "1"
    alias = server.aws_json("lambda", "create-alias", "--function-name", "f", "--name", "live",
                            "--function-version", "1")
    assert alias["AliasArn"].endswith(":function:f:live") and alias["FunctionVersion"] == "1"
    meta = server.aws_json("lambda", "invoke", "--function-name", "f", "--qualifier", "live",
                           "--log-type", "Tail", "--payload", '{"a": 4}', "alias.json")
    assert meta["ExecutedVersion"] == "1"
    assert "got {'a': 4}" in base64.b64decode(meta["LogResult"]).decode()
    assert "REPORT RequestId:" in base64.b64decode(meta["LogResult"]).decode()

    failed = server.aws("lambda", "invoke", "--function-name", "nope", "x.json", check=False)
    assert failed.returncode != 0 and "ResourceNotFoundException" in failed.stderr
    stop_and_check(server, signal.SIGINT)


def test_sdk_works_too_and_sigterm_stops_cleanly(server: Server) -> None:
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing",
                                    aws_secret_access_key="testing", region_name="us-east-1")
    iam = session.client("iam", endpoint_url=server.url)
    lam = session.client("lambda", endpoint_url=server.url)
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    with open(write_zip(server.tmp, "def handler(event, context):\n    return event\n"),
              "rb") as f:
        lam.create_function(FunctionName="g", Runtime="python3.12", Role=role,
                            Handler="lambda_function.handler", Code={"ZipFile": f.read()})
    assert json.loads(lam.invoke(FunctionName="g", Payload=b"[1]")["Payload"].read()) == [1]
    assert descendants(server.proc.pid), "the worker processes run below the server"
    stop_and_check(server, signal.SIGTERM)


def test_port_zero_and_port_in_use(tmp_path) -> None:
    proc, banner = start_server(str(tmp_path), "--port", "0")
    try:
        url = banner.split(" on ", 1)[1].split()[0]
        assert url.startswith("http://127.0.0.1:") and not url.endswith(":0"), banner
        port = url.rsplit(":", 1)[1]
        taken = subprocess.run([sys.executable, "-m", "lambda_lab", "serve", "--port", port],
                               capture_output=True, text=True, timeout=60, cwd=str(tmp_path),
                               env={**os.environ, "PYTHONPATH": ROOT})
        assert taken.returncode == 1 and "cannot listen on 127.0.0.1:" in taken.stderr
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0


def test_function_states_option_makes_new_functions_pending_until_the_waiter_sees_active(
        tmp_path) -> None:
    """``serve --function-states``: as on AWS (DG "Lambda function states"), a new function is
    Pending and refuses Invoke with ResourceConflictException, then becomes Active; boto3's
    function_active_v2 waiter gets there."""
    import boto3

    port = free_port()
    proc, banner = start_server(str(tmp_path), "--port", str(port), "--function-states",
                                "--state-delay", "0.5")
    try:
        assert f"127.0.0.1:{port}" in banner, banner + proc.stderr.read()
        session = boto3.session.Session(aws_access_key_id="testing",
                                        aws_secret_access_key="testing", region_name="us-east-1")
        url = f"http://127.0.0.1:{port}"
        iam = session.client("iam", endpoint_url=url)
        lam = session.client("lambda", endpoint_url=url)
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        with open(write_zip(str(tmp_path), "def handler(event, context):\n    return 7\n"),
                  "rb") as f:
            created = lam.create_function(FunctionName="p", Runtime="python3.12", Role=role,
                                          Handler="lambda_function.handler",
                                          Code={"ZipFile": f.read()})
        assert created["State"] == "Pending"
        with pytest.raises(lam.exceptions.ResourceConflictException):
            lam.invoke(FunctionName="p")
        lam.get_waiter("function_active_v2").wait(
            FunctionName="p", WaiterConfig={"Delay": 1, "MaxAttempts": 10})
        assert json.loads(lam.invoke(FunctionName="p")["Payload"].read()) == 7
    finally:
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0
