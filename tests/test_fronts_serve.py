"""The front doors over real HTTP through ``python -m lambda_lab serve`` (issue #13): path style
``/_aws/execute-api/{api-id}/{stage}/{path}`` and ``/_aws/lambda-url/{url-id}/{path}`` (the
forms LocalStack users know, front-doors.md §7) and routing by the AWS ``Host`` header; every
other request still reaches the emulated AWS APIs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import requests
from aws_helpers import TRUST, make_zip

from lambda_lab.fronts.benchmark import proxy_rest_api

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REGION, ACCOUNT = "us-east-1", "123456789012"
ECHO = """
import json
def handler(event, context):
    return {"statusCode": 200, "body": json.dumps(event)}
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: Any) -> Iterator[str]:
    """``python -m lambda_lab serve --port 0`` in a subprocess; yields its URL."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(PYTHONPATH=ROOT, AWS_CONFIG_FILE=os.devnull,
               AWS_SHARED_CREDENTIALS_FILE=os.devnull)  # the host's AWS config is not read
    proc = subprocess.Popen([sys.executable, "-m", "lambda_lab", "serve", "--port", "0"],
                            cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        banner = proc.stdout.readline() if proc.stdout else ""
        url = banner.split(" on ", 1)[1].split(" ", 1)[0]
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def client(server: str, service: str) -> Any:
    return boto3.client(service, endpoint_url=server, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


@pytest.fixture(scope="module")
def deployed(server: str) -> dict[str, str]:
    """A function behind a REST API (``/{proxy+}``, stage ``test``) and a public URL."""
    iam, lam, apigw = (client(server, s) for s in ("iam", "lambda", "apigateway"))
    role = iam.create_role(RoleName="serve-fronts", AssumeRolePolicyDocument=TRUST)["Role"]
    name = f"echo{int(time.time() * 1000) % 100000}"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role["Arn"],
                        Handler="lambda_function.handler", Code={"ZipFile": make_zip(ECHO)})
    api_id = proxy_rest_api(lam, apigw, name, stage="test", api_name="served")
    url = lam.create_function_url_config(FunctionName=name, AuthType="NONE")["FunctionUrl"]
    lam.add_permission(FunctionName=name, StatementId="url", Action="lambda:InvokeFunctionUrl",
                       Principal="*", FunctionUrlAuthType="NONE")
    return {"api_id": api_id, "url_id": url.split("//")[1].split(".")[0], "name": name}


def test_rest_api_path_style(server, deployed):
    """``/_aws/execute-api/{api-id}/{stage}/{path}`` reaches the REST API: the event's path is
    without the stage, requestContext.path with it, domainName the AWS host name."""
    api_id = deployed["api_id"]
    r = requests.get(f"{server}/_aws/execute-api/{api_id}/test/items/1?a=1&a=2")
    assert r.status_code == 200, r.text
    event = json.loads(r.text)
    assert event["path"] == "/items/1" and event["requestContext"]["path"] == "/test/items/1"
    assert event["multiValueQueryStringParameters"] == {"a": ["1", "2"]}
    assert event["requestContext"]["domainName"] == \
        f"{api_id}.execute-api.{REGION}.amazonaws.com"
    missing = requests.get(f"{server}/_aws/execute-api/{api_id}/nostage/items")
    assert missing.status_code == 403
    assert missing.json() == {"message": "Missing Authentication Token"}


def test_rest_api_by_host_header(server, deployed):
    """``curl -H 'Host: {api-id}.execute-api.{region}.amazonaws.com' http://127.0.0.1:PORT/
    {stage}/{path}`` is routed by the Host header."""
    host = f"{deployed['api_id']}.execute-api.{REGION}.amazonaws.com"
    r = requests.post(f"{server}/test/orders", data="hi", headers={"Host": host})
    assert r.status_code == 200, r.text
    event = json.loads(r.text)
    assert event["httpMethod"] == "POST" and event["body"] == "hi"
    assert event["path"] == "/orders"


def test_function_url_path_style_and_host(server, deployed):
    """``/_aws/lambda-url/{url-id}/{path}`` and the Host ``{url-id}.lambda-url.{region}.on.aws``
    reach the function URL (payload 2.0)."""
    url_id = deployed["url_id"]
    r = requests.get(f"{server}/_aws/lambda-url/{url_id}/p/q?x=1")
    assert r.status_code == 200, r.text
    event = json.loads(r.text)
    assert event["rawPath"] == "/p/q" and event["requestContext"]["apiId"] == url_id
    r = requests.get(f"{server}/hello", headers={"Host": f"{url_id}.lambda-url.{REGION}.on.aws"})
    assert json.loads(r.text)["rawPath"] == "/hello"


def test_other_requests_still_reach_the_aws_apis(server, deployed):
    """Everything that is not a front door goes to the emulated AWS as before; an unknown
    ``/_aws/`` form is a clear 404."""
    lam = client(server, "lambda")
    assert lam.get_function(FunctionName=deployed["name"])["Configuration"]["FunctionName"] \
        == deployed["name"]
    r = requests.get(f"{server}/_aws/nothing/here")
    assert r.status_code == 404 and "lambda_lab" in r.json()["message"]
