"""The front doors' benchmarks: ``apigw_request_ratio_vs_invoke`` (a ``requests.get`` through a
REST API inside ``mock_aws()`` over a boto3 invoke of the same warm function, same run) and
``serve_http_rps`` (requests per second through ``serve``'s REST API path, keep-alive, one
client thread, trivial handler)."""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable
from typing import Any

__all__ = ["apigw_vs_invoke_us", "serve_rps"]

HANDLER = 'def handler(event, context):\n    return {"statusCode": 200, "body": "ok"}\n'
REGION, ACCOUNT = "us-east-1", "123456789012"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
    "Action": "sts:AssumeRole"}]})


def _median_us(call: Callable[[], object], n: int) -> float:
    times = []
    for _ in range(n):
        t0 = time.perf_counter_ns()
        call()
        times.append(time.perf_counter_ns() - t0)
    return statistics.median(times) / 1000.0


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("lambda_function.py", HANDLER)
    return buf.getvalue()


def deploy_rest_api(clients: Callable[[str], Any], name: str = "bench-fronts") -> str:
    """A trivial function behind ``ANY /{proxy+}`` of a REST API deployed to ``bench``, with
    the permission; returns the API id."""
    role = clients("iam").create_role(RoleName=f"{name}-role",
                                      AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
    lam, apigw = clients("lambda"), clients("apigateway")
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler", Code={"ZipFile": _zip()})
    return proxy_rest_api(lam, apigw, name, stage="bench")


def proxy_rest_api(lam: Any, apigw: Any, function: str, *, stage: str,
                   api_name: str | None = None) -> str:
    """A REST API whose ``ANY /{proxy+}`` goes to ``function`` (Lambda proxy integration),
    deployed to ``stage``, with the permission API Gateway needs; returns the API id."""
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"
    api_id = apigw.create_rest_api(name=api_name or function)["id"]
    root = apigw.get_resources(restApiId=api_id)["items"][0]["id"]
    res = apigw.create_resource(restApiId=api_id, parentId=root, pathPart="{proxy+}")["id"]
    apigw.put_method(restApiId=api_id, resourceId=res, httpMethod="ANY",
                     authorizationType="NONE")
    apigw.put_integration(
        restApiId=api_id, resourceId=res, httpMethod="ANY", type="AWS_PROXY",
        integrationHttpMethod="POST",
        uri=f"arn:aws:apigateway:{REGION}:lambda:path/2015-03-31/functions/{arn}/invocations")
    apigw.create_deployment(restApiId=api_id, stageName=stage)
    lam.add_permission(FunctionName=function, StatementId="apigw",
                       Action="lambda:InvokeFunction", Principal="apigateway.amazonaws.com",
                       SourceArn=f"arn:aws:execute-api:{REGION}:{ACCOUNT}:{api_id}/*")
    return api_id


def apigw_vs_invoke_us(calls: int, warm_up: int) -> tuple[float, float]:
    """``(median requests.get through the REST API, median boto3 invoke)`` in microseconds,
    the same warm function, measured interleaved in one ``mock_aws()``."""
    import boto3
    import requests

    from ..aws.mock import mock_aws

    with mock_aws():
        api_id = deploy_rest_api(lambda s: boto3.client(s, region_name=REGION))
        lam = boto3.client("lambda", region_name=REGION)
        url = f"https://{api_id}.execute-api.{REGION}.amazonaws.com/bench/x"
        session = requests.Session()

        def get() -> object:
            r = session.get(url)
            if r.status_code != 200:
                raise RuntimeError(f"REST API answered {r.status_code}: {r.text}")
            return r.content

        def invoke() -> object:
            return lam.invoke(FunctionName="bench-fronts", Payload=b"{}")["Payload"].read()

        for _ in range(warm_up):
            get()
            invoke()
        rounds = 5
        gets, invokes = [], []
        for _ in range(rounds):
            gets.append(_median_us(get, max(1, calls // rounds)))
            invokes.append(_median_us(invoke, max(1, calls // rounds)))
    return statistics.median(gets), statistics.median(invokes)


def serve_rps(requests_n: int, warm_up: int) -> float:
    """Requests per second through ``python -m lambda_lab serve``'s path-style REST API URL
    (a subprocess), one client thread, a keep-alive ``requests.Session``."""
    import boto3
    import requests

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    env.update(AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull)
    proc = subprocess.Popen([sys.executable, "-m", "lambda_lab", "serve", "--port", "0"],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            text=True)
    try:
        banner = proc.stdout.readline() if proc.stdout else ""
        if " on " not in banner:
            raise RuntimeError(f"serve did not start: {banner!r}")
        endpoint = banner.split(" on ", 1)[1].split(" ", 1)[0]
        api_id = deploy_rest_api(lambda s: boto3.client(
            s, endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing",
            aws_secret_access_key="testing"))
        url = f"{endpoint}/_aws/execute-api/{api_id}/bench/x"
        session = requests.Session()
        for _ in range(warm_up):
            session.get(url).raise_for_status()
        t0 = time.perf_counter()
        for _ in range(requests_n):
            session.get(url).raise_for_status()
        return requests_n / (time.perf_counter() - t0)
    finally:
        proc.terminate()
        proc.wait(timeout=60)
