"""Leaving mock_aws() ends every environment and thread and restores moto (issue #3 section 1).
"""

from __future__ import annotations

import threading

import boto3
import moto.awslambda
import moto.awslambda.models
from aws_helpers import REGION, TRUST, make_zip
from conftest import wait_no_workers

import lambda_lab
from lambda_lab.clock import VirtualClock


def test_no_stray_processes_or_threads_after_the_context():
    before = moto.awslambda.models.lambda_backends
    threads_before = set(threading.enumerate())
    with lambda_lab.mock_aws() as aws:
        role = boto3.client("iam", region_name=REGION).create_role(
            RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        lam = boto3.client("lambda", region_name=REGION)
        code = make_zip("import time\ndef handler(event, context):\n    time.sleep(0.2)\n")
        for name in ("a", "b"):
            lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                                Handler="lambda_function.handler", Code={"ZipFile": code})
            lam.invoke(FunctionName=name)
            lam.invoke(FunctionName=name, InvocationType="Event")
        assert moto.awslambda.models.lambda_backends is not before
    assert wait_no_workers() == set()
    assert moto.awslambda.models.lambda_backends is before
    assert moto.awslambda.lambda_backends is before
    ours = {"lambda-lab-async", "lambda-lab-moto-server", "lambda-lab-clock"}
    assert [t for t in threading.enumerate() if t not in threads_before and t.name in ours] == []
    assert aws.clock.closed


def test_advance_moves_the_platform_clock():
    clock = VirtualClock(start=1000.0)
    with lambda_lab.mock_aws(clock=clock) as aws:
        assert aws.clock is clock
        fired = []
        clock.call_later(30, fired.append, "due")
        aws.advance(29)
        assert fired == []
        aws.advance(1)
        assert fired == ["due"] and clock.now() == 1030.0
