"""The exercise of notebooks/13-packaging-and-deployment's second half: a DeploymentPreference.

* exercise ``linear-with-alarm``: write the SAM ``DeploymentPreference`` (a dict) that moves 10 %
  of the traffic to the new version every minute and rolls back when the CloudWatch alarm
  ``orders-api-errors`` goes to ``ALARM``. The checker deploys a SAM stack with it through the
  emulator's CloudFormation and CodeDeploy, updates the code, reads the alias's weights on the
  platform clock at 0:01, 1:01 and 2:01, then sets the alarm to ``ALARM``: the deployment must
  stop and the stack update roll back (``UPDATE_ROLLBACK_COMPLETE``, the alias on version 1).

Sources: SAM DG "DeploymentPreference" (``Type``, ``Alarms``: "A list of CloudWatch alarms that
you want to be triggered by any errors raised by the deployment"); SAM DG "Deploying serverless
applications gradually" (Linear10PercentEvery1Minute, Canary10Percent5Minutes, AllAtOnce, …);
CodeDeploy UG "Deployment configurations on an AWS Lambda compute platform"; CloudWatch API
SetAlarmState (to test an alarm's actions).
"""

from __future__ import annotations

import itertools
import json
from typing import Any

from lambda_lab.course.checks import in_session
from lambda_lab.course.exercises import Check, Exercise, register, solution_source

__all__ = ["ALARM", "LINEAR_WITH_ALARM", "deploy_with"]

REGION = "us-east-1"
#: The alarm the exercise's answer must name.
ALARM = "orders-api-errors"
#: When the checker reads the alias's weights, in seconds after the stack update started.
READ_AT = (1, 61, 121)

_runs = itertools.count(1)
_cache: dict[str, Any] = {}


def _template(name: str, version: int, preference: Any) -> str:
    return json.dumps({
        "Transform": "AWS::Serverless-2016-10-31",
        "Resources": {"Fn": {"Type": "AWS::Serverless::Function", "Properties": {
            "FunctionName": name, "Runtime": "python3.12", "Handler": "index.handler",
            "InlineCode": f"def handler(event, context):\n    return {version}\n",
            "AutoPublishAlias": "live", "DeploymentPreference": preference}}}})


def _weight(lam: Any, name: str) -> float:
    """The share of ``name:live`` that version 2 gets."""
    alias = lam.get_alias(FunctionName=name, Name="live")
    if alias["FunctionVersion"] == "2":
        return 1.0
    return float((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights", {})
                 .get("2", 0.0))


def deploy_with(aws: Any, preference: Any) -> dict[str, Any]:
    """Deploy a SAM function with ``preference`` as its DeploymentPreference in the active
    emulator ``aws``, update its code, and report: ``error`` (why CloudFormation refused it, or
    None), ``weights`` (version 2's share at :data:`READ_AT`), ``status`` and ``version`` (the
    stack's status and the alias's version one second after :data:`ALARM` went to ALARM)."""
    import boto3
    from botocore.exceptions import ClientError

    cfn = boto3.client("cloudformation", region_name=REGION)
    lam = boto3.client("lambda", region_name=REGION)
    cw = boto3.client("cloudwatch", region_name=REGION)
    name = f"linear-with-alarm-{next(_runs)}"
    cw.put_metric_alarm(AlarmName=ALARM, Namespace="AWS/Lambda", MetricName="Errors",
                        Dimensions=[{"Name": "FunctionName", "Value": name}], Statistic="Sum",
                        Period=60, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    cw.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="checker: start")

    def status() -> str:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"]

    out: dict[str, Any] = {"error": None, "weights": [], "status": None, "version": None}
    try:
        for version, call in ((1, cfn.create_stack), (2, cfn.update_stack)):
            call(StackName=name, TemplateBody=_template(name, version, preference),
                 Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
            if status() not in ("CREATE_COMPLETE", "UPDATE_IN_PROGRESS", "UPDATE_COMPLETE"):
                out["error"] = _failure(cfn, name)
                return out
        start = aws.clock.now()
        for t in READ_AT:
            aws.advance(max(0.0, start + t - aws.clock.now()))
            out["weights"].append(_weight(lam, name))
        cw.set_alarm_state(AlarmName=ALARM, StateValue="ALARM", StateReason="checker: errors")
        aws.advance(1)
        out["status"] = status()
        out["version"] = lam.get_alias(FunctionName=name, Name="live")["FunctionVersion"]
    except ClientError as e:
        out["error"] = e.response["Error"]["Message"]
    finally:
        cw.set_alarm_state(AlarmName=ALARM, StateValue="OK", StateReason="checker: done")
        _clean_up(aws, cfn, name)
    return out


def _failure(cfn: Any, name: str) -> str:
    """Why the stack's last operation failed: the first failed resource's reason."""
    events = reversed(cfn.describe_stack_events(StackName=name)["StackEvents"])
    for e in events:
        if e["ResourceStatus"].endswith("_FAILED") and e.get("ResourceStatusReason"):
            return f"{e['LogicalResourceId']}: {e['ResourceStatusReason']}"
    return f"the stack is {cfn.describe_stacks(StackName=name)['Stacks'][0]['StackStatus']}"


def _clean_up(aws: Any, cfn: Any, name: str) -> None:
    """Let a deployment still running end, then delete the checker's stack."""
    from botocore.exceptions import ClientError

    try:
        for _ in range(4):
            if not cfn.describe_stacks(StackName=name)["Stacks"][0]["StackStatus"].endswith(
                    "_IN_PROGRESS"):
                break
            aws.advance(900)
        cfn.delete_stack(StackName=name)
    except ClientError:
        pass  # the stack was never created


def _outcome(answer: Any) -> dict[str, Any]:
    """:func:`deploy_with` for ``answer``, in the active emulator or one of its own on a
    virtual clock; cached for the last answer checked."""
    key = json.dumps(answer, sort_keys=True, default=str)
    if _cache.get("key") != key:
        outcome = in_session(deploy_with, answer)
        _cache.clear()
        _cache.update(key=key, outcome=outcome)
    return _cache["outcome"]


def _percent(weights: list[float]) -> str:
    return ", ".join(f"{w:.0%}" for w in weights)


def check_deployed(answer: Any) -> str | None:
    """The answer is a DeploymentPreference that CloudFormation accepts."""
    if not isinstance(answer, dict) or "Type" not in answer:
        return ("preference is a dict of DeploymentPreference's properties, e.g. "
                "{'Type': ..., 'Alarms': [...]}")
    error = _outcome(answer)["error"]
    return f"CloudFormation refused it: {error}" if error else None


def check_linear(answer: Any) -> str | None:
    """The new version gets 10 %, 20 %, 30 % after 0, 1 and 2 minutes."""
    got = _outcome(answer)
    weights = got["weights"]
    if got["error"] or len(weights) != len(READ_AT):
        return "deploy it first: the stack must accept the preference"
    if all(abs(w - x) < 0.001 for w, x in zip(weights, (0.1, 0.2, 0.3), strict=True)):
        return None
    if weights[0] >= 0.999:
        return "all the traffic moved at once: that is AllAtOnce (or Enabled: false)"
    if all(abs(w - weights[0]) < 0.001 for w in weights):
        return (f"the new version kept {weights[0]:.0%} for two minutes: a Canary type moves "
                "one share, then the rest; a Linear type adds 10 % every interval")
    return (f"the new version got {_percent(weights)} at 0:01, 1:01 and 2:01; 10 % more every "
            "minute gives 10%, 20%, 30%")


def check_alarm(answer: Any) -> str | None:
    """When orders-api-errors goes to ALARM, the stack update rolls back to version 1."""
    got = _outcome(answer)
    if got["error"] or got["status"] is None:
        return "deploy it first: the stack must accept the preference"
    if got["status"] == "UPDATE_ROLLBACK_COMPLETE" and got["version"] == "1":
        return None
    if not isinstance(answer, dict) or not answer.get("Alarms"):
        return (f"{ALARM} went to ALARM and the deployment went on: CodeDeploy watches only "
                "the alarms listed under Alarms")
    return (f"{ALARM} went to ALARM and the deployment went on ({got['status']}): list that "
            "alarm's name under Alarms")


STUB = '''\
# The DeploymentPreference of orders-api, as a dict: move 10 % of the traffic to the new
# version every minute, and roll back if the CloudWatch alarm "orders-api-errors" goes to ALARM
preference = {
    # TODO
}
'''

LINEAR_WITH_ALARM = register(
    Exercise(
        id="linear-with-alarm",
        title="A linear deployment that an alarm rolls back",
        topic="13-packaging-and-deployment",
        answer_name="preference",
        stub=STUB,
        not_attempted=lambda answer: answer is None or answer == {},
        checks=[
            Check("a DeploymentPreference that CloudFormation accepts", check_deployed),
            Check("10 %, 20 %, 30 % to the new version after 0, 1, 2 minutes", check_linear),
            Check(f"{ALARM} in ALARM rolls the stack update back", check_alarm),
        ],
        hints=[
            "DeploymentPreference has a Type (how the traffic moves) and Alarms (the CloudWatch "
            "alarms CodeDeploy watches during the deployment).",
            "A Canary type moves one share, then the rest; a Linear type adds the same share at "
            "every interval: Linear10PercentEvery1Minute, Linear10PercentEvery2Minutes, …",
            f"Alarms is a list of alarm names, even for one: ['{ALARM}'].",
        ],
        solution=solution_source(__package__, "linear_with_alarm"),
    )
)
