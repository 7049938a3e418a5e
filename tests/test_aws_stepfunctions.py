"""Step Functions state machines whose Lambda tasks really run the handler, through boto3.

Sources: Step Functions DG "Invoke Lambda with Step Functions" (connect-lambda): the optimized
``arn:aws:states:::lambda:invoke`` task returns the function output "nested inside a dictionary
of metadata" — ``ExecutedVersion``, ``Payload`` (parsed from escaped JSON), ``SdkHttpMetadata``
(``AllHttpHeaders``, ``HttpHeaders`` with ``X-Amz-Executed-Version`` and ``x-amzn-RequestId``,
``HttpStatusCode``), ``SdkResponseMetadata`` {``RequestId``}, ``StatusCode``; "If the response
contains the field FunctionError ... the task fails"; a plain function ARN as ``Resource``
returns the function's output. DG "Handle Lambda service exceptions": "Lambda errors are
reported as Lambda.ErrorName"; "Unhandled errors in Lambda are reported as Lambda.Unknown ...
out-of-memory errors and function timeouts"; "When Lambda hits the maximum number of
invocations, the error is Lambda.TooManyRequestsException". DG "Error handling": a function
error's name is its ``errorType`` and its cause the error payload; ``Retry`` (``ErrorEquals``,
``IntervalSeconds``, ``MaxAttempts``, ``BackoffRate``) and ``Catch`` (``ResultPath`` gets
``Error`` and ``Cause``) match it, ``States.ALL`` matches any. ASL "Wait" state: ``Seconds``
delays the execution. API StartExecution: without ``name``, "Step Functions automatically
generates a universally unique identifier (UUID) as the execution name".
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json
import re
import uuid
from email.utils import formatdate

import boto3
import pytest
from aws_helpers import REGION, TRUST, create, lam, make_zip, poll, role, session  # noqa: F401

ECHO = """
def handler(event, context):
    return {"echo": event, "request_id": context.aws_request_id}
"""

FAILS_TWICE = """
calls = 0

def handler(event, context):
    global calls
    calls += 1
    if calls <= 2:
        raise ValueError(f"attempt {calls} failed")
    return {"attempts": calls}
"""

RAISES = """
def handler(event, context):
    raise ValueError("bad input")
"""

SLEEPS = """
import time

def handler(event, context):
    time.sleep(5)
"""


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def sfn(aws):
    return boto3.client("stepfunctions", region_name=REGION)


def machine(sfn, role: str, states: dict, start: str | None = None) -> str:
    definition = {"StartAt": start or next(iter(states)), "States": states}
    return sfn.create_state_machine(name=f"sm-{uuid.uuid4().hex[:8]}",
                                    definition=json.dumps(definition),
                                    roleArn=role)["stateMachineArn"]


def run(aws, sfn, arn: str, event: dict | None = None) -> dict:
    """Start an execution and let it run to its end or its first wait on the clock."""
    execution = sfn.start_execution(stateMachineArn=arn, input=json.dumps(event or {}))
    aws.advance(0)  # returns once every running execution is done or waits on the clock
    return sfn.describe_execution(executionArn=execution["executionArn"])


def arn_of(lam, name: str) -> str:
    return lam.get_function(FunctionName=name)["Configuration"]["FunctionArn"]


def invoke_task(function: str, **extra) -> dict:
    return {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
            "Parameters": {"FunctionName": function, "Payload.$": "$"}, **extra}


def history(sfn, execution_arn: str) -> list[dict]:
    return sfn.get_execution_history(executionArn=execution_arn)["events"]


def test_lambda_invoke_task_output_is_the_invoke_response(aws, sfn, lam, create, role):
    """connect-lambda: the output nests the payload in the Invoke response's metadata."""
    name = create(ECHO)
    arn = machine(sfn, role, {"Call": invoke_task(arn_of(lam, name), End=True)})
    done = run(aws, sfn, arn, {"order": 7})
    assert done["status"] == "SUCCEEDED"
    out = json.loads(done["output"])
    assert list(out) == ["ExecutedVersion", "Payload", "SdkHttpMetadata", "SdkResponseMetadata",
                         "StatusCode"]
    assert out["ExecutedVersion"] == "$LATEST" and out["StatusCode"] == 200
    assert out["Payload"]["echo"] == {"order": 7}  # parsed JSON, not a string
    request_id = out["Payload"]["request_id"]
    assert out["SdkResponseMetadata"] == {"RequestId": request_id}
    http = out["SdkHttpMetadata"]
    assert http["HttpStatusCode"] == 200
    assert http["HttpHeaders"]["X-Amz-Executed-Version"] == "$LATEST"
    assert http["HttpHeaders"]["x-amzn-RequestId"] == request_id
    assert http["HttpHeaders"]["Content-Type"] == "application/json"
    assert http["HttpHeaders"]["Date"] == formatdate(aws.clock.now(), usegmt=True)  # platform
    assert http["AllHttpHeaders"]["x-amzn-RequestId"] == [request_id]
    # it really ran on the platform: the invocation is in the function's CloudWatch logs
    logs = boto3.client("logs", region_name=REGION)
    events = logs.filter_log_events(logGroupName=f"/aws/lambda/{name}")["events"]
    assert any(f"START RequestId: {request_id}" in e["message"] for e in events)


def test_output_path_payload_chains_two_steps(aws, sfn, lam, create, role):
    """A two-step machine: ``OutputPath: $.Payload`` passes the function output on."""
    first, second = create(ECHO), create(ECHO)
    arn = machine(sfn, role, {
        "First": invoke_task(arn_of(lam, first), OutputPath="$.Payload", Next="Second"),
        "Second": invoke_task(second, OutputPath="$.Payload.echo", End=True)})  # a name works too
    done = run(aws, sfn, arn, {"n": 1})
    assert done["status"] == "SUCCEEDED"
    assert done["output"].startswith('{"echo":{"n":1},"request_id":')  # compact JSON text


def test_legacy_function_arn_resource_returns_the_payload_only(aws, sfn, lam, create, role):
    """connect-lambda: with the function ARN as Resource the output is the function's."""
    name = create(ECHO)
    arn = machine(sfn, role, {"Call": {"Type": "Task", "Resource": arn_of(lam, name),
                                       "End": True}})
    done = run(aws, sfn, arn, {"a": [1, 2]})
    out = json.loads(done["output"])
    assert done["status"] == "SUCCEEDED"
    assert out["echo"] == {"a": [1, 2]} and set(out) == {"echo", "request_id"}


@pytest.mark.parametrize("form", ["invoke", "legacy"])
def test_handler_exception_fails_with_its_error_type(aws, sfn, lam, create, role, form):
    """A function error's name is its errorType; the cause is the error payload."""
    fn_arn = arn_of(lam, create(RAISES))
    task = (invoke_task(fn_arn, End=True) if form == "invoke"
            else {"Type": "Task", "Resource": fn_arn, "End": True})
    done = run(aws, sfn, machine(sfn, role, {"Call": task}))
    assert done["status"] == "FAILED"
    assert done["error"] == "ValueError"
    # the error payload as compact JSON, as in a recorded AWS Cause
    assert done["cause"].startswith(
        '{"errorMessage":"bad input","errorType":"ValueError","requestId":"')
    cause = json.loads(done["cause"])
    assert list(cause) == ["errorMessage", "errorType", "requestId", "stackTrace"]
    assert cause["stackTrace"] and cause["requestId"]
    failed = [e for e in history(sfn, done["executionArn"])
              if e["type"] in ("TaskFailed", "LambdaFunctionFailed")]
    assert len(failed) == 1


def test_retry_on_error_type_waits_on_the_platform_clock(aws, sfn, lam, create, role):
    """Retry ErrorEquals ["ValueError"]: IntervalSeconds 10, BackoffRate 2 → waits of 10 s and
    20 s; they pass only as the platform clock moves."""
    name = create(FAILS_TWICE)
    arn = machine(sfn, role, {"Call": invoke_task(name, OutputPath="$.Payload", End=True, Retry=[
        {"ErrorEquals": ["ValueError"], "IntervalSeconds": 10, "MaxAttempts": 3,
         "BackoffRate": 2}])})
    started = run(aws, sfn, arn)
    assert started["status"] == "RUNNING"  # first attempt failed, waiting 10 s to retry
    aws.advance(9)
    assert sfn.describe_execution(executionArn=started["executionArn"])["status"] == "RUNNING"
    aws.advance(1)  # second attempt fails: now a 20 s wait
    aws.advance(19)
    assert sfn.describe_execution(executionArn=started["executionArn"])["status"] == "RUNNING"
    aws.advance(1)
    done = sfn.describe_execution(executionArn=started["executionArn"])
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == {"attempts": 3}
    took = (done["stopDate"] - done["startDate"]).total_seconds()
    assert 30 <= took < 31


def test_catch_states_all_routes_to_a_fallback_with_error_and_cause(aws, sfn, lam, create, role):
    """Catch States.ALL with ResultPath $.error: the fallback gets {Error, Cause}."""
    name = create(RAISES)
    arn = machine(sfn, role, {
        "Call": invoke_task(name, End=True, Catch=[
            {"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Fallback"}]),
        "Fallback": {"Type": "Pass", "End": True}})
    done = run(aws, sfn, arn, {"id": 3})
    assert done["status"] == "SUCCEEDED"
    out = json.loads(done["output"])
    assert out["id"] == 3 and out["error"]["Error"] == "ValueError"
    assert json.loads(out["error"]["Cause"])["errorMessage"] == "bad input"


def test_function_timeout_is_lambda_unknown(aws, sfn, create, role):
    """Handle Lambda service exceptions: a function timeout is reported as Lambda.Unknown."""
    name = create(SLEEPS, Timeout=1)
    arn = machine(sfn, role, {
        "Call": invoke_task(name, End=True, Catch=[
            {"ErrorEquals": ["Lambda.Unknown"], "ResultPath": "$.error", "Next": "TimedOut"}]),
        "TimedOut": {"Type": "Pass", "End": True}})
    done = run(aws, sfn, arn)
    assert done["status"] == "SUCCEEDED"
    error = json.loads(done["output"])["error"]
    assert error["Error"] == "Lambda.Unknown"
    assert "Task timed out after 1.00 seconds" in json.loads(error["Cause"])["errorMessage"]


@pytest.mark.parametrize("form", ["invoke", "legacy"])
def test_throttled_and_missing_functions_are_lambda_errors(aws, sfn, lam, create, role, form):
    """Lambda API errors surface as Lambda.<ErrorName> (Lambda.TooManyRequestsException for a
    throttle, Lambda.ResourceNotFoundException for a missing function)."""
    name = create(ECHO)
    lam.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=0)
    missing = arn_of(lam, name).replace(name, "no-such-function")
    for function, error in ((arn_of(lam, name), "Lambda.TooManyRequestsException"),
                            (missing, "Lambda.ResourceNotFoundException")):
        task = (invoke_task(function, End=True) if form == "invoke"
                else {"Type": "Task", "Resource": function, "End": True})
        done = run(aws, sfn, machine(sfn, role, {"Call": task}))
        assert (done["status"], done["error"]) == ("FAILED", error)


def test_wait_state_completes_with_advance(aws, sfn, lam, create, role):
    """Wait Seconds 3600 between two tasks: the execution waits an hour of platform time."""
    name = create(ECHO)
    arn = machine(sfn, role, {
        "Before": invoke_task(name, ResultPath="$.before", Next="Pause"),
        "Pause": {"Type": "Wait", "Seconds": 3600, "Next": "After"},
        "After": invoke_task(name, OutputPath="$.Payload.echo.id", End=True)})
    started = run(aws, sfn, arn, {"id": "x1"})
    assert started["status"] == "RUNNING"
    aws.advance(3599)
    assert sfn.describe_execution(executionArn=started["executionArn"])["status"] == "RUNNING"
    aws.advance(1)
    done = sfn.describe_execution(executionArn=started["executionArn"])
    assert done["status"] == "SUCCEEDED" and json.loads(done["output"]) == "x1"
    assert 3600 <= (done["stopDate"] - done["startDate"]).total_seconds() < 3601
    types = [e["type"] for e in history(sfn, done["executionArn"])]
    assert types.count("TaskSucceeded") == 2 and "WaitStateExited" in types


def test_wait_timestamp_path_uses_platform_time(aws, sfn, role):
    """A Wait with TimestampPath ends when platform time reaches that moment."""
    from datetime import datetime, timezone

    arn = machine(sfn, role, {"Pause": {"Type": "Wait", "TimestampPath": "$.at", "End": True}})
    at = datetime.fromtimestamp(int(aws.clock.now()) + 120, timezone.utc)
    started = run(aws, sfn, arn, {"at": at.strftime("%Y-%m-%dT%H:%M:%SZ")})
    assert started["status"] == "RUNNING"
    aws.advance(121)
    assert sfn.describe_execution(executionArn=started["executionArn"])["status"] == "SUCCEEDED"


def test_start_execution_without_a_name_gets_a_uuid(aws, sfn, role):
    """API StartExecution: no name → a UUID; two such executions are distinct."""
    arn = machine(sfn, role, {"Done": {"Type": "Pass", "End": True}})
    one = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    two = sfn.start_execution(stateMachineArn=arn)["executionArn"]
    assert one != two
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                        one.rsplit(":", 1)[1])


def test_stop_of_the_session_ends_a_waiting_execution():
    """An execution waiting on the clock does not outlive its mock_aws() session."""
    from moto.stepfunctions.parser.utils import TMP_THREADS

    import lambda_lab
    from lambda_lab.clock import VirtualClock

    with lambda_lab.mock_aws(clock=VirtualClock(), server=False) as aws:
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="sfn-role", AssumeRolePolicyDocument=TRUST)
        client = boto3.client("stepfunctions", region_name=REGION)
        arn = machine(client, role["Role"]["Arn"],
                      {"Pause": {"Type": "Wait", "Seconds": 60, "End": True}})
        assert run(aws, client, arn)["status"] == "RUNNING"
        thread = TMP_THREADS[-1]
        assert thread.is_alive()
    poll(lambda: not thread.is_alive(), timeout=5)


def test_parallel_branches_each_keep_their_own_time(aws, sfn, lam, create, role):
    """Parallel: one branch waits 60 s while the other runs a task, waits 30 s and runs
    another; advance(30) finishes the second branch, advance(30) more the execution."""
    name = create(ECHO)
    arn = machine(sfn, role, {"Both": {"Type": "Parallel", "End": True, "Branches": [
        {"StartAt": "Long", "States": {"Long": {"Type": "Wait", "Seconds": 60, "End": True}}},
        {"StartAt": "First", "States": {
            "First": invoke_task(name, OutputPath="$.Payload.echo", Next="Short"),
            "Short": {"Type": "Wait", "Seconds": 30, "Next": "Second"},
            "Second": invoke_task(name, OutputPath="$.Payload.echo", End=True)}}]}})
    started = run(aws, sfn, arn, {"k": 1})
    execution_arn = started["executionArn"]

    def tasks_done() -> int:
        return [e["type"] for e in history(sfn, execution_arn)].count("TaskSucceeded")

    assert started["status"] == "RUNNING" and tasks_done() == 1
    aws.advance(30)
    assert tasks_done() == 2
    assert sfn.describe_execution(executionArn=execution_arn)["status"] == "RUNNING"
    aws.advance(30)
    done = sfn.describe_execution(executionArn=execution_arn)
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == [{"k": 1}, {"k": 1}]


def test_map_runs_a_task_per_item(aws, sfn, lam, create, role):
    """Map: the iterator's Lambda task runs once per item; the output is the list."""
    name = create(ECHO)
    arn = machine(sfn, role, {"Each": {
        "Type": "Map", "ItemsPath": "$.items", "End": True,
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "Call",
                          "States": {"Call": invoke_task(name, OutputPath="$.Payload.echo",
                                                         End=True)}}}})
    done = run(aws, sfn, arn, {"items": [1, 2, 3]})
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"]) == [1, 2, 3]


def test_through_the_http_endpoint(aws, lam, create, role):
    """The same state machines over HTTP (what ``serve`` and the AWS CLI use)."""
    name = create(ECHO)
    http = boto3.client("stepfunctions", region_name=REGION, endpoint_url=aws.endpoint_url,
                        aws_access_key_id="test", aws_secret_access_key="test")
    arn = machine(http, role, {"Call": invoke_task(name, OutputPath="$.Payload.echo",
                                                   End=True)})
    done = run(aws, http, arn, {"via": "http"})
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"via": "http"})


def test_invocation_type_event_invokes_asynchronously(aws, sfn, lam, create, role):
    """connect-lambda: "InvocationType": "Event" calls Lambda asynchronously (StatusCode 202);
    the handler runs on the async queue."""
    name = create(ECHO)
    arn = machine(sfn, role, {"Fire": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke", "End": True,
        "Parameters": {"FunctionName": name, "InvocationType": "Event", "Payload.$": "$"}}})
    done = run(aws, sfn, arn, {"async": True})
    assert done["status"] == "SUCCEEDED"
    assert json.loads(done["output"])["StatusCode"] == 202
    assert aws.wait_async(15)
    [event] = [e for e in aws.async_events if e.function_name == name]
    assert event.result is not None and event.result.ok


def test_wait_for_task_token_waits_for_send_task_success(aws, sfn, lam, create, role):
    """connect-lambda: ``lambda:invoke.waitForTaskToken`` passes ``$$.Task.Token`` to the
    function and waits for SendTaskSuccess; advance(0) does not wait for that caller."""
    name = create("""
def handler(event, context):
    print("TOKEN " + event["token"])
""")
    arn = machine(sfn, role, {"Review": {
        "Type": "Task", "Resource": "arn:aws:states:::lambda:invoke.waitForTaskToken",
        "Parameters": {"FunctionName": name, "Payload": {"token.$": "$$.Task.Token"}},
        "End": True}})
    started = run(aws, sfn, arn)
    assert started["status"] == "RUNNING"
    logs = boto3.client("logs", region_name=REGION)
    lines = poll(lambda: [e["message"] for e in logs.filter_log_events(
        logGroupName=f"/aws/lambda/{name}")["events"] if e["message"].startswith("TOKEN ")])
    sfn.send_task_success(taskToken=lines[0].split()[1].strip(),
                          output=json.dumps({"approved": True}))
    aws.advance(0)
    done = sfn.describe_execution(executionArn=started["executionArn"])
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"approved": True})


def test_retry_on_a_lambda_service_error(pending_session):
    """Retry on ``Lambda.<ErrorName>`` (bp-lambda-serviceexception): a function still
    ``Pending`` refuses the invoke with ResourceConflictException; the retry 2 s later (platform
    time) finds it Active."""
    aws, sfn, lam, role = pending_session
    fn = lam.create_function(FunctionName="fresh", Runtime="python3.12", Role=role,
                             Handler="lambda_function.handler",
                             Code={"ZipFile": make_zip(ECHO)})["FunctionArn"]
    arn = machine(sfn, role, {"Call": invoke_task(fn, OutputPath="$.Payload.echo", End=True,
                                                  Retry=[{
        "ErrorEquals": ["Lambda.ResourceConflictException"], "IntervalSeconds": 2,
        "MaxAttempts": 3}])})
    started = run(aws, sfn, arn, {"n": 5})
    assert started["status"] == "RUNNING"  # the first attempt failed: Pending
    failed = [e for e in history(sfn, started["executionArn"]) if e["type"] == "TaskFailed"]
    assert failed[0]["taskFailedEventDetails"]["error"] == "Lambda.ResourceConflictException"
    aws.advance(2)
    done = sfn.describe_execution(executionArn=started["executionArn"])
    assert (done["status"], json.loads(done["output"])) == ("SUCCEEDED", {"n": 5})


@pytest.fixture
def pending_session():
    """A session with function states on (a new function is Pending for 1 s) and a role."""
    import lambda_lab
    from lambda_lab.clock import VirtualClock

    with lambda_lab.mock_aws(clock=VirtualClock(), function_states=True) as aws:
        iam = boto3.client("iam", region_name=REGION)
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=TRUST)["Role"]["Arn"]
        yield (aws, boto3.client("stepfunctions", region_name=REGION),
               boto3.client("lambda", region_name=REGION), role)


def test_a_failed_state_prints_nothing_on_stderr():
    """A failing execution is an outcome the learner reads from DescribeExecution (as on AWS),
    not a red ERROR line of moto's interpreter in the notebook. Fresh interpreter: pytest
    installs logging handlers of its own."""
    import subprocess
    import sys
    import textwrap

    script = textwrap.dedent('''
        import json, io, zipfile, boto3, lambda_lab as ll
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("lambda_function.py", "def handler(e, c):\\n    raise ValueError('no')\\n")
        with ll.mock_aws() as aws:
            iam = boto3.client("iam", region_name="us-east-1")
            trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action":
                     "sts:AssumeRole", "Principal": {"Service": ["lambda.amazonaws.com",
                     "states.amazonaws.com"]}}]}
            role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))
            arn = role["Role"]["Arn"]
            lam = boto3.client("lambda", region_name="us-east-1")
            fn = lam.create_function(FunctionName="f", Runtime="python3.12", Role=arn,
                                     Handler="lambda_function.handler",
                                     Code={"ZipFile": buf.getvalue()})["FunctionArn"]
            sfn = boto3.client("stepfunctions", region_name="us-east-1")
            task = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                    "Parameters": {"FunctionName": fn, "Payload.$": "$"}, "End": True}
            definition = {"StartAt": "T", "States": {"T": task}}
            sm = sfn.create_state_machine(name="m", roleArn=arn,
                                          definition=json.dumps(definition))
            ex = sfn.start_execution(stateMachineArn=sm["stateMachineArn"], input="{}")
            for _ in range(200):
                aws.advance(0.1)
                status = sfn.describe_execution(executionArn=ex["executionArn"])["status"]
                if status != "RUNNING":
                    break
            print(status)
    ''')
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "FAILED"
    assert "FailureEventException" not in done.stderr, done.stderr[-2000:]
    assert "Traceback" not in done.stderr, done.stderr[-2000:]
