"""notebooks/13-packaging-and-deployment, second half: reading stacks, deployments and logs.

Small views over the AWS APIs the notebook calls (CloudFormation DescribeStacks and
DescribeStackEvents, CodeDeploy ListDeployments/GetDeployment, CloudWatch Logs), printed
without the parts that change from run to run (times, random ids).
"""

from __future__ import annotations

from typing import Any

from lambda_lab.course.chapters.ch05_event_sources.helpers import log_events
from lambda_lab.course.exercises import Text

__all__ = ["alias_line", "latest_deployment", "outputs", "printed", "stack_events",
           "stack_status"]

_FRAME = ("START RequestId:", "END RequestId:", "REPORT RequestId:")


def stack_status(cfn: Any, stack: str) -> str:
    """The stack's StackStatus, e.g. ``UPDATE_IN_PROGRESS``."""
    return cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]


def outputs(cfn: Any, stack: str) -> dict[str, str]:
    """The stack's Outputs as ``{OutputKey: OutputValue}``."""
    found = cfn.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    return {o["OutputKey"]: o["OutputValue"] for o in found}


def _last_operation(events: list[dict[str, Any]], stack: str) -> list[dict[str, Any]]:
    """``events`` (oldest first) from the stack's last CREATE/UPDATE_IN_PROGRESS on."""
    starts = [i for i, e in enumerate(events) if e["LogicalResourceId"] == stack
              and e["ResourceStatus"] in ("CREATE_IN_PROGRESS", "UPDATE_IN_PROGRESS")]
    return events[starts[-1]:] if starts else events


def stack_events(cfn: Any, stack: str, *, statuses: tuple[str, ...] = (),
                 reasons: bool = True) -> Text:
    """The events of the stack's last operation, oldest first, one line each: logical id,
    resource type, status and (with ``reasons``) the status reason; only ``statuses`` if
    given."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"StackName": stack}
    while True:
        page = cfn.describe_stack_events(**params)
        found += page["StackEvents"]
        if not page.get("NextToken"):
            break
        params["NextToken"] = page["NextToken"]
    events = _last_operation(list(reversed(found)), stack)
    lines = []
    for e in events:
        if statuses and e["ResourceStatus"] not in statuses:
            continue
        line = f"{e['LogicalResourceId']:<40} {e['ResourceType']:<34} {e['ResourceStatus']}"
        if reasons and e.get("ResourceStatusReason"):
            line += f"  {e['ResourceStatusReason']}"
        lines.append(line.rstrip())
    return Text("\n".join(lines))


def alias_line(lam: Any, function: str, alias: str = "live") -> str:
    """Where ``function:alias`` sends traffic, e.g. ``live -> version 1 (90 %), version 2
    (10 %)``."""
    got = lam.get_alias(FunctionName=function, Name=alias)
    weights = got.get("RoutingConfig", {}).get("AdditionalVersionWeights") or {}
    main = 1 - sum(weights.values())
    parts = [f"version {got['FunctionVersion']} ({main:.0%})"]
    parts += [f"version {v} ({w:.0%})" for v, w in sorted(weights.items())]
    return f"{alias} -> " + ", ".join(parts)


def latest_deployment(cd: Any) -> str:
    """The id of the CodeDeploy deployment created last (ListDeployments, then GetDeployment's
    createTime)."""
    ids = cd.list_deployments()["deployments"]
    if not ids:
        raise LookupError("no CodeDeploy deployment yet")
    return max(ids, key=lambda i: cd.get_deployment(deploymentId=i)["deploymentInfo"]
               ["createTime"])


def printed(function: str, contains: str = "", since: float | None = None) -> Text:
    """What ``function`` printed to its CloudWatch log (no START/END/REPORT lines), one line
    per message; only messages containing ``contains``."""
    lines = []
    for event in log_events(function, since):
        message = event["message"].rstrip("\n")
        if message.startswith(_FRAME) or contains not in message:
            continue
        lines.append(message)
    return Text("\n".join(lines))
