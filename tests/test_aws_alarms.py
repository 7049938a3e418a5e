"""CloudWatch metric alarms evaluated on the platform clock, through boto3.

CloudWatch UG "Using Amazon CloudWatch alarms": states OK / ALARM / INSUFFICIENT_DATA; Period,
EvaluationPeriods ("the number of the most recent periods ... to evaluate") and
DatapointsToAlarm ("M out of N": "The breaching data points do not have to be consecutive");
"How alarm state is evaluated when data is missing" (its two tables are tested row by row);
"Alarms invoke actions for sustained state changes only"; SetAlarmState "lasts only until the
next alarm comparison occurs"; DescribeAlarmHistory records each state transition.
API PutMetricAlarm: "When this operation creates an alarm, the alarm state is immediately set
to INSUFFICIENT_DATA"; "When you update an existing alarm, its state is left unchanged".
SNS alarm actions receive the alarm message JSON (AlarmName, NewStateValue, OldStateValue,
NewStateReason, StateChangeTime, Region, Trigger {MetricName, Namespace, Statistic, Dimensions
[{value, name}], Period, EvaluationPeriods, ComparisonOperator, Threshold}) with the subject
``ALARM: "<name>" in <Region>``. CodeDeploy UG: a monitored alarm in ALARM stops the deployment
and, with DEPLOYMENT_STOP_ON_ALARM, rolls it back.
"""
# ruff: noqa: F811 -- pytest fixtures are imported from aws_helpers and used as arguments

from __future__ import annotations

import json

import boto3
import pytest
from aws_helpers import REGION, create, lam, make_zip, role, session  # noqa: F401

from lambda_lab.aws.cloudwatch import evaluate_state

FAILS_ON_REQUEST = """
def handler(event, context):
    if event.get("fail"):
        raise ValueError("asked to fail")
    return {"ok": True}
"""


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def cw(aws):
    return boto3.client("cloudwatch", region_name=REGION)


def next_minute(aws) -> None:
    """Advance to one second past the next whole minute."""
    aws.advance(61 - aws.clock.now() % 60)


def invoke(lam, name: str, **event) -> None:
    lam.invoke(FunctionName=name, Payload=json.dumps(event))


def errors_alarm(cw, name: str, alarm: str = "errors", **params) -> None:
    params.setdefault("EvaluationPeriods", 1)
    cw.put_metric_alarm(AlarmName=alarm, Namespace="AWS/Lambda", MetricName="Errors",
                        Dimensions=[{"Name": "FunctionName", "Value": name}], Statistic="Sum",
                        Period=60, Threshold=1, ComparisonOperator="GreaterThanOrEqualToThreshold",
                        **params)


def state(cw, alarm: str = "errors") -> tuple[str, str]:
    (a,) = cw.describe_alarms(AlarmNames=[alarm])["MetricAlarms"]
    return a["StateValue"], a["StateReason"]


def row(text: str) -> list[bool | None]:
    return [{"0": False, "X": True, "-": None}[c] for c in text.split()]


# The UG's tables: data points (oldest first), then MISSING, IGNORE, BREACHING, NOT BREACHING;
# "keep" is "Retain current state".
THREE_OF_THREE = [
    ("0 - X - X", "OK", "OK", "OK", "OK"),
    ("0 - - - -", "OK", "OK", "OK", "OK"),
    ("- - - - -", "INSUFFICIENT_DATA", "keep", "ALARM", "OK"),
    ("0 X X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("- - - - X", "INSUFFICIENT_DATA", "keep", "ALARM", "OK"),
    ("X - - - -", "ALARM", "keep", "ALARM", "OK"),
]
TWO_OF_THREE = [
    ("0 - X - X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 0 X 0 X", "ALARM", "ALARM", "ALARM", "ALARM"),
    ("0 - X - -", "OK", "OK", "ALARM", "OK"),
    ("- - - - 0", "OK", "OK", "ALARM", "OK"),
    ("- - - - X", "INSUFFICIENT_DATA", "keep", "ALARM", "OK"),
]


@pytest.mark.parametrize(("m", "table"), [(3, THREE_OF_THREE), (2, TWO_OF_THREE)])
def test_missing_data_tables_of_the_user_guide(m, table):
    """Every row of the UG's two tables (3 of 3 and 2 of 3, five data points retrieved), for
    each TreatMissingData value; IGNORE keeps the current state where the UG says so."""
    for points, *expected in table:
        for treat, want in zip(("missing", "ignore", "breaching", "notBreaching"), expected,
                               strict=True):
            for current in ("OK", "ALARM"):
                got = evaluate_state(row(points), 3, m, treat, current)
                assert got == (current if want == "keep" else want), (points, treat, current)


def test_errors_alarm_goes_to_alarm_then_back_to_ok(aws, cw, lam, create):
    """A new alarm is INSUFFICIENT_DATA; a minute with an error moves it to ALARM at the end of
    that minute (StateReason names the datapoint), a minute without errors to OK; the history
    lists both transitions, newest first, after the creation."""
    name = create(FAILS_ON_REQUEST)
    next_minute(aws)
    errors_alarm(cw, name)
    assert state(cw)[0] == "INSUFFICIENT_DATA"
    invoke(lam, name, fail=True)
    aws.advance(30)
    assert state(cw)[0] == "INSUFFICIENT_DATA"  # the minute is not over yet
    aws.advance(30)
    value, reason = state(cw)
    assert value == "ALARM"
    assert reason.startswith("Threshold Crossed: 1 out of the last 1 datapoints [1.0 (")
    assert "greater than or equal to the threshold (1.0)" in reason
    invoke(lam, name)
    aws.advance(60)
    assert state(cw)[0] == "OK"
    items = cw.describe_alarm_history(AlarmName="errors")["AlarmHistoryItems"]
    assert [i["HistorySummary"] for i in items] == [
        "Alarm updated from ALARM to OK", "Alarm updated from INSUFFICIENT_DATA to ALARM",
        'Alarm "errors" created']
    data = json.loads(items[1]["HistoryData"])
    assert data["oldState"]["stateValue"] == "INSUFFICIENT_DATA"
    assert data["newState"]["stateValue"] == "ALARM"
    assert data["newState"]["stateReasonData"]["recentDatapoints"] == [1.0]
    assert items[0]["Timestamp"] > items[1]["Timestamp"]
    only_states = cw.describe_alarm_history(AlarmName="errors", HistoryItemType="StateUpdate")
    assert len(only_states["AlarmHistoryItems"]) == 2


def test_m_out_of_n_needs_not_be_consecutive(aws, cw, lam, create):
    """2 out of 3 with missing data not breaching: one error minute is not enough; a second
    one two minutes later is (the breaching points need not be consecutive)."""
    name = create(FAILS_ON_REQUEST)
    next_minute(aws)
    errors_alarm(cw, name, EvaluationPeriods=3, DatapointsToAlarm=2,
                 TreatMissingData="notBreaching")
    invoke(lam, name, fail=True)
    aws.advance(60)
    assert state(cw)[0] == "OK"
    aws.advance(60)  # a minute without data (not breaching)
    invoke(lam, name, fail=True)
    aws.advance(60)
    assert state(cw)[0] == "ALARM"


def test_missing_data_makes_an_alarm_insufficient(aws, cw, lam, create):
    """With the default TreatMissingData (missing), once no data point is left in the
    evaluation range the alarm goes INSUFFICIENT_DATA."""
    name = create(FAILS_ON_REQUEST)
    next_minute(aws)
    errors_alarm(cw, name)
    invoke(lam, name)
    aws.advance(60)
    assert state(cw)[0] == "OK"
    aws.advance(60 * 4)
    assert state(cw)[0] == "INSUFFICIENT_DATA"


def test_sns_action_gets_the_alarm_message(aws, cw, lam, create):
    """On OK -> ALARM the alarm's SNS topic receives AWS's alarm message (an SQS subscriber
    sees it in the SNS envelope with the subject), and the history records the action."""
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])[
        "Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    name = create(FAILS_ON_REQUEST)
    next_minute(aws)
    errors_alarm(cw, name, AlarmActions=[topic], AlarmDescription="too many errors")
    invoke(lam, name, fail=True)
    aws.advance(60)
    (msg,) = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10)["Messages"]
    envelope = json.loads(msg["Body"])
    assert envelope["Subject"] == 'ALARM: "errors" in US East (N. Virginia)'
    body = json.loads(envelope["Message"])
    assert body["AlarmName"] == "errors" and body["AlarmDescription"] == "too many errors"
    assert (body["OldStateValue"], body["NewStateValue"]) == ("INSUFFICIENT_DATA", "ALARM")
    assert body["AWSAccountId"] == "123456789012"
    assert body["NewStateReason"].startswith("Threshold Crossed")
    assert body["StateChangeTime"].endswith("+0000")
    trigger = body["Trigger"]
    assert trigger["MetricName"] == "Errors" and trigger["Namespace"] == "AWS/Lambda"
    assert trigger["Statistic"] == "SUM" and trigger["Threshold"] == 1.0
    assert trigger["Dimensions"] == [{"value": name, "name": "FunctionName"}]
    assert trigger["Period"] == 60 and trigger["EvaluationPeriods"] == 1
    assert trigger["ComparisonOperator"] == "GreaterThanOrEqualToThreshold"
    actions = cw.describe_alarm_history(AlarmName="errors", HistoryItemType="Action")
    assert [i["HistorySummary"] for i in actions["AlarmHistoryItems"]] == [
        f"Successfully executed action {topic}"]


def test_set_alarm_state_notifies_and_lasts_until_the_next_evaluation(aws, cw, lam, create):
    """SetAlarmState to ALARM runs the ALARM actions and is recorded; the next evaluation puts
    the state back to what the data says."""
    sns = boto3.client("sns", region_name=REGION)
    sqs = boto3.client("sqs", region_name=REGION)
    topic = sns.create_topic(Name="alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=sqs.get_queue_attributes(
        QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"])
    name = create(FAILS_ON_REQUEST)
    next_minute(aws)
    errors_alarm(cw, name, AlarmActions=[topic], TreatMissingData="notBreaching")
    aws.advance(60)
    assert state(cw)[0] == "OK"
    cw.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="testing")
    assert state(cw) == ("ALARM", "testing")
    (msg,) = sqs.receive_message(QueueUrl=queue)["Messages"]
    assert json.loads(json.loads(msg["Body"])["Message"])["NewStateReason"] == "testing"
    aws.advance(60)
    assert state(cw)[0] == "OK"
    summaries = [i["HistorySummary"] for i in cw.describe_alarm_history(
        AlarmName="errors", HistoryItemType="StateUpdate")["AlarmHistoryItems"]]
    assert summaries == ["Alarm updated from ALARM to OK", "Alarm updated from OK to ALARM",
                         "Alarm updated from INSUFFICIENT_DATA to OK"]


def test_updating_an_alarm_keeps_its_state(aws, cw, lam, create):
    """PutMetricAlarm on an existing alarm keeps its state and records a configuration
    update."""
    name = create(FAILS_ON_REQUEST)
    next_minute(aws)
    errors_alarm(cw, name)
    invoke(lam, name, fail=True)
    aws.advance(60)
    assert state(cw)[0] == "ALARM"
    errors_alarm(cw, name, AlarmDescription="now described")
    assert state(cw)[0] == "ALARM"
    kinds = [i["HistorySummary"] for i in cw.describe_alarm_history(
        AlarmName="errors", HistoryItemType="ConfigurationUpdate")["AlarmHistoryItems"]]
    assert kinds == ['Alarm "errors" updated', 'Alarm "errors" created']


def test_an_evaluated_alarm_rolls_back_a_codedeploy_canary(aws, cw, lam, create):
    """Version 2 fails; during a 10-minute canary the alarm on the alias's errors goes to
    ALARM at the end of the minute, which stops the deployment and puts the alias back on
    version 1 (DEPLOYMENT_STOP_ON_ALARM)."""
    cd = boto3.client("codedeploy", region_name=REGION)
    name = create(FAILS_ON_REQUEST)
    lam.publish_version(FunctionName=name)
    lam.update_function_code(FunctionName=name, ZipFile=make_zip(
        "def handler(event, context):\n    raise RuntimeError('version 2 is broken')\n"))
    lam.publish_version(FunctionName=name)
    lam.create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    cw.put_metric_alarm(AlarmName="live-errors", Namespace="AWS/Lambda", MetricName="Errors",
                        Dimensions=[{"Name": "FunctionName", "Value": name},
                                    {"Name": "Resource", "Value": f"{name}:live"}],
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanOrEqualToThreshold",
                        TreatMissingData="notBreaching")
    cd.create_application(applicationName="app", computePlatform="Lambda")
    cd.create_deployment_group(
        applicationName="app", deploymentGroupName="dg",
        deploymentConfigName="CodeDeployDefault.LambdaCanary10Percent10Minutes",
        serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
        alarmConfiguration={"enabled": True, "alarms": [{"name": "live-errors"}]},
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_STOP_ON_ALARM"]})
    spec = {"version": 0.0, "Resources": [{name: {"Type": "AWS::Lambda::Function",
            "Properties": {"Name": name, "Alias": "live", "CurrentVersion": "1",
                           "TargetVersion": "2"}}}]}
    did = cd.create_deployment(applicationName="app", deploymentGroupName="dg", revision={
        "revisionType": "AppSpecContent",
        "appSpecContent": {"content": json.dumps(spec)}})["deploymentId"]
    aws.advance(0)
    alias = lam.get_alias(FunctionName=name, Name="live")
    assert alias["RoutingConfig"]["AdditionalVersionWeights"] == {"2": 0.1}
    ran = [lam.invoke(FunctionName=name, Qualifier="live")["ExecutedVersion"]
           for _ in range(40)]
    assert "2" in ran  # some traffic reached the broken version
    aws.advance(60)
    assert state(cw, "live-errors")[0] == "ALARM"
    info = cd.get_deployment(deploymentId=did)["deploymentInfo"]
    assert info["status"] == "Stopped" and info["errorInformation"]["code"] == "ALARM_ACTIVE"
    alias = lam.get_alias(FunctionName=name, Name="live")
    assert alias["FunctionVersion"] == "1" and not alias.get("RoutingConfig", {}).get(
        "AdditionalVersionWeights")
