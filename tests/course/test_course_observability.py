"""Helpers of notebooks/09-observability (log streams, REPORT lines, a minute-by-minute load and
the metrics read back, alarm history, X-Ray trace timelines) and the ``errors-alarm`` exercise's
run, through boto3 under ``mock_aws`` on a virtual clock."""

from __future__ import annotations

import base64
import datetime as dt
import json
from concurrent.futures import ThreadPoolExecutor

import boto3
import pytest
from aws_helpers import REGION, make_zip, session

from lambda_lab.course import exercises as ex
from lambda_lab.course.chapters.ch09_observability import helpers as obs
from lambda_lab.course.exercises import solution_source
from lambda_lab.course.progress import ENV_VAR
from lambda_lab.course.roles import LAMBDA_TRUST_POLICY

CH09 = "lambda_lab.course.chapters.ch09_observability"

HANDLER = """
import time

def handler(event, context):
    print("order", event.get("order", 0))
    time.sleep(event.get("hold", 0))
    if event.get("fail"):
        raise RuntimeError("payment failed")
    return "ok"
"""


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "progress.json"))


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def lam(aws):
    return boto3.client("lambda", region_name=REGION)


def create(lam, name: str, source: str = HANDLER, **settings) -> None:
    iam = boto3.client("iam", region_name=REGION)
    role = iam.create_role(RoleName=name,
                           AssumeRolePolicyDocument=LAMBDA_TRUST_POLICY)["Role"]["Arn"]
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler", Code={"ZipFile": make_zip(source)},
                        **settings)


# ----------------------------------------------------------------- logs


def test_report_fields_split_the_documented_report_line():
    """lambda-facts.md B "REPORT log line": tab-separated Duration, Billed Duration, Memory
    Size, Max Memory Used and (cold starts) Init Duration."""
    line = ("REPORT RequestId: 3f1a\tDuration: 15.74 ms\tBilled Duration: 16 ms\t"
            "Memory Size: 128 MB\tMax Memory Used: 56 MB\tInit Duration: 130.49 ms\t")
    assert obs.report_fields(line) == {
        "RequestId": "3f1a", "Duration": "15.74 ms", "Billed Duration": "16 ms",
        "Memory Size": "128 MB", "Max Memory Used": "56 MB", "Init Duration": "130.49 ms"}
    assert obs.report_parts(line).splitlines()[1] == "Duration: 15.74 ms"
    with pytest.raises(ValueError):
        obs.report_fields("END RequestId: 3f1a")


def test_log_streams_one_per_execution_environment(aws, lam):
    """Each execution environment writes its own stream in /aws/lambda/<name> (DG
    monitoring-cloudwatchlogs): two overlapping requests need two environments."""
    create(lam, "streams")
    lam.invoke(FunctionName="streams", Payload=b"{}")
    assert obs.log_streams("streams") == (
        "stream 1: YYYY/MM/DD/[$LATEST]<32 hex digits>  1 invocation")
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: lam.invoke(FunctionName="streams",
                                           Payload=json.dumps({"hold": 0.3})), range(2)))
    lines = obs.log_streams("streams").splitlines()
    assert sorted(line.rsplit("  ", 1)[1] for line in lines) == ["1 invocation",
                                                                  "2 invocations"]


# ----------------------------------------------------------------- metrics


def test_run_minutes_and_the_metrics_agree(aws, lam):
    """DG monitoring-metrics-types: Invocations counts successes and function errors, not
    throttled requests; Errors counts function errors; Throttles the 429s; ConcurrentExecutions
    (Maximum) never passes the reserved concurrency. One data point per minute."""
    create(lam, "load")
    lam.put_function_concurrency(FunctionName="load", ReservedConcurrentExecutions=1)
    since = obs.next_minute(aws)
    minutes = obs.run_minutes(aws, "load", [(2, 1), (1, 0, 3)])
    assert [(m.succeeded, m.failed, m.throttled) for m in minutes] == [(2, 1, 0), (2, 0, 2)]
    assert minutes[1].start - minutes[0].start == 60
    assert aws.clock.now() == since + 120
    data = obs.lambda_metrics("load", since, 3)
    assert data["Invocations"] == [3, 2, None]
    assert data["Errors"] == [1, 0, None]
    assert data["Throttles"] == [None, 2, None]
    assert data["ConcurrentExecutions"] == [1, 1, None]
    assert data["Duration"][1] >= obs.HOLD_S * 1000
    table = obs.metrics_table(data, since).splitlines()
    assert table[0].split() == ["minute", *obs.LAMBDA_METRICS]
    assert table[1].split()[1:4] == ["3", "1", "—"]
    fig = obs.figure_minutes(data, since, reserved=1)
    assert len(fig.axes) == 2


def test_metrics_table_is_fixed_text():
    data = {"Invocations": [4.0, None], "Duration": [12.345, None]}
    assert obs.metrics_table(data, 9 * 3600 + 30) == (
        "minute  Invocations  Duration\n"
        "09:00             4  12.35 ms\n"
        "09:01             —         —")


# ----------------------------------------------------------------- alarms


def test_alarm_history_lists_state_changes_on_platform_time(aws, lam):
    """CloudWatch UG: a new alarm starts in INSUFFICIENT_DATA, is evaluated every Period;
    DescribeAlarmHistory records each state change."""
    create(lam, "alarmed")
    cw = boto3.client("cloudwatch", region_name=REGION)
    obs.next_minute(aws)
    cw.put_metric_alarm(AlarmName="a", Namespace="AWS/Lambda", MetricName="Errors",
                        Dimensions=[{"Name": "FunctionName", "Value": "alarmed"}],
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=2,
                        ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="notBreaching")
    assert obs.alarm_state("a") == "INSUFFICIENT_DATA"
    start = obs.run_minutes(aws, "alarmed", [(0, 2), (1, 0)])[0].start
    assert obs.alarm_state("a") == "OK"
    lines = obs.alarm_history_lines("a").splitlines()
    assert [line.split("  ", 1)[1] for line in lines] == [
        "Alarm updated from INSUFFICIENT_DATA to OK", "Alarm updated from OK to ALARM",
        "Alarm updated from ALARM to OK"]
    # evaluated at the end of the minute with the 2 errors
    alarm_at = dt.datetime.fromtimestamp(start - 1 + 60, dt.timezone.utc)
    assert lines[1].startswith(f"{alarm_at:%H:%M:%S}  ")


# ----------------------------------------------------------------- X-Ray


def test_trace_segments_of_a_cold_and_a_warm_invocation(aws, lam):
    """DG services-xray: AWS::Lambda and AWS::Lambda::Function segments; the function segment's
    subsegments are Initialization (first invocation of an environment only), Invocation and
    Overhead; REPORT carries XRAY TraceId."""
    create(lam, "traced", TracingConfig={"Mode": "Active"})
    xray = boto3.client("xray", region_name=REGION)
    roots = []
    for _ in range(2):
        aws.advance(1)  # the first request of a second is always sampled
        response = lam.invoke(FunctionName="traced", Payload=b"{}", LogType="Tail")
        report = base64.b64decode(response["LogResult"]).decode().strip().splitlines()[-1]
        roots.append(obs.report_fields(report)["XRAY TraceId"])
    traces = {t["Id"]: t for t in xray.batch_get_traces(TraceIds=roots)["Traces"]}
    cold, warm = (obs.trace_segments(traces[root]) for root in roots)
    assert [(s.kind, s.name) for s in cold] == [
        ("AWS::Lambda", "traced"), ("AWS::Lambda::Function", "traced"),
        ("subsegment", "Initialization"), ("subsegment", "Invocation"),
        ("subsegment", "Overhead")]
    assert [s.name for s in warm[2:]] == ["Invocation", "Overhead"]
    assert cold[0].start_ms == 0 and all(s.duration_ms >= 0 for s in cold)
    text = obs.trace_lines(cold).splitlines()
    assert text[2].split()[:2] == ["└", "Initialization"] and text[2].endswith(" ms")
    assert len(obs.figure_traces({"cold": cold, "warm": warm}).axes) == 2


def test_sdk_subsegments_lists_only_the_handlers_documents():
    def doc(**d):
        return {"Document": json.dumps(d)}

    trace = {"Segments": [
        doc(name="f", origin="AWS::Lambda", start_time=1.0, end_time=1.2),
        doc(name="f", origin="AWS::Lambda::Function", start_time=1.0, end_time=1.2),
        doc(name="dynamodb", namespace="aws", aws={"operation": "PutItem"}, start_time=5.0,
            end_time=5.0125),
        doc(name="price", annotations={"order": 1}, start_time=4.0, end_time=4.001)]}
    assert obs.sdk_subsegments(trace) == (
        "price · annotations {'order': 1}  1.00 ms\n"
        "dynamodb · namespace aws · operation PutItem  12.50 ms")
    assert [s.name for s in obs.trace_segments(trace)] == ["f", "f"]
    # as BatchGetTraces returns them: nested under the function segment's Invocation
    nested = {"Segments": [trace["Segments"][0], doc(
        name="f", origin="AWS::Lambda::Function", start_time=1.0, end_time=1.2,
        subsegments=[{"name": "Invocation", "start_time": 1.0, "end_time": 1.1,
                      "subsegments": [json.loads(s["Document"])
                                      for s in trace["Segments"][2:]]}])]}
    assert obs.sdk_subsegments(nested) == obs.sdk_subsegments(trace)


# ----------------------------------------------------------------- the exercise


def _answer(**changes):
    namespace = ex._run_source(solution_source(CH09, "errors_alarm"), "<errors_alarm solution>")
    reference = namespace["errors_alarm"]

    def errors_alarm(name):
        params = dict(reference(name))
        params.update(changes)
        for key in [k for k, v in changes.items() if v is None]:
            params.pop(key)
        return params

    return errors_alarm


@pytest.mark.parametrize("changes, hint", [
    ({}, None),
    ({"TreatMissingData": None},
     "a function with no traffic left the alarm in INSUFFICIENT_DATA"),
    ({"EvaluationPeriods": 10}, "it alarmed although no 5 minutes held 3 bad ones"),
    ({"ComparisonOperator": "GreaterThanThreshold"},
     "a minute with exactly 3 errors must count: use GreaterThanOrEqualToThreshold"),
    ({"Threshold": 2}, "it alarmed at 2 errors a minute"),
    ({"Statistic": "Average"}, "Errors is 1 per failed invocation and 0 per successful one"),
    ({"Period": "sixty"}, "put_metric_alarm failed: ParamValidationError"),
])
def test_errors_alarm_checker_runs_the_scenarios(changes, hint):
    """CloudWatch UG "Evaluating an alarm": M out of N need not be consecutive; missing data
    with the default treatment leaves an alarm without data in INSUFFICIENT_DATA,
    notBreaching counts it as good."""
    feedback = ex.get("errors-alarm").check(_answer(**changes))
    if hint is None:
        assert feedback.text == "✅ 6 of 6 checks pass"
    else:
        assert not feedback.ok and hint in feedback.text, feedback.text


def test_the_scenarios_run_inside_an_active_session(aws, lam):
    """With a mock_aws session running (as in the notebook) the checker uses it, on its
    clock, and deletes what it created."""
    before = aws.clock.now()
    run = obs.run_alarm_scenarios(_answer())
    assert run.problem is None
    assert {s: run.alarmed(s) for s in obs.SCENARIOS} == {
        s: expected for s, (_, expected) in obs.SCENARIOS.items()}
    assert run.final["quiet"] == "OK"
    assert aws.clock.now() - before >= 60 * 8
    assert lam.list_functions()["Functions"] == []
    cw = boto3.client("cloudwatch", region_name=REGION)
    assert cw.describe_alarms()["MetricAlarms"] == []
