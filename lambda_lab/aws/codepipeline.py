"""The moto bridge for CodePipeline: pipeline executions that run on the platform clock.

moto keeps pipelines (create, get, update, list, delete) but runs nothing. For the session,
:func:`install` adds StartPipelineExecution, GetPipelineExecution, ListPipelineExecutions,
GetPipelineState and PutJobSuccessResult / PutJobFailureResult to moto's CodePipeline front:

- stages run in order, the actions of a stage by ``runOrder`` (those with the same number
  together); the first failed action fails its stage and the execution;
- an ``Invoke`` action of provider ``Lambda`` invokes its ``FunctionName`` (asynchronously, as
  CodePipeline does) with the CodePipeline job event (``{"CodePipeline.job": {"id", "accountId",
  "data": {"actionConfiguration": {"configuration": {"FunctionName", "UserParameters"}},
  "inputArtifacts", "outputArtifacts", "artifactCredentials"}}}``, UG "Invoke an AWS Lambda
  function in a pipeline"); the function ends the job with ``put_job_success_result`` or
  ``put_job_failure_result``; a job nobody ends fails after the action's timeout (one hour,
  emulator's choice: AWS's documented default for most actions);
- a new object at a pipeline's S3 source (``PollForSourceChanges`` not "false") starts it;
- a ``Source`` action of provider ``S3`` outputs its object (``S3Bucket``, ``S3ObjectKey``) as
  its artifact (the job event's ``inputArtifacts`` / ``outputArtifacts`` give their S3
  locations);
- a ``Deploy`` action of provider ``CloudFormation`` (``ActionMode`` CREATE_UPDATE or
  DELETE_ONLY, ``StackName``, ``TemplatePath`` ``Artifact::file`` read from the artifact's zip,
  ``Capabilities``, ``ParameterOverrides``) creates or updates the stack (lambda_lab's
  CloudFormation) and succeeds when the stack is complete, a CodeDeploy deployment of its
  included;
- every other action (Build, Approval, …) succeeds after :data:`OTHER_ACTION_S` seconds of
  platform time;
- each pipeline, stage and action state change is put on the default EventBridge bus, as
  ``aws.codepipeline`` events with detail-types "CodePipeline Pipeline Execution State Change",
  "CodePipeline Stage Execution State Change" and "CodePipeline Action Execution State Change"
  and ``detail.state`` STARTED / SUCCEEDED / FAILED (UG "Monitoring CodePipeline events").
"""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any
from unittest import mock

from moto.core.exceptions import JsonRESTError

__all__ = ["JOB_TIMEOUT_S", "OTHER_ACTION_S", "install", "uninstall"]

JOB_TIMEOUT_S = 3600.0
OTHER_ACTION_S = 1.0
_lock = threading.RLock()
_state: dict[str, Any] = {"session": None, "executions": {}, "jobs": {}, "timers": [],
                          "patches": []}


def _error(code: str, message: str) -> JsonRESTError:
    return JsonRESTError(code, message)


@dataclass
class Action:
    stage: str
    decl: dict[str, Any]
    status: str = "Pending"
    job_id: str | None = None
    changed: float = 0.0
    summary: str | None = None


@dataclass
class Execution:
    """One run of a pipeline."""

    pipeline: dict[str, Any]
    account_id: str
    region: str
    started: float
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    status: str = "InProgress"
    updated: float = 0.0
    trigger: str = "StartPipelineExecution"
    stages: dict[str, str] = field(default_factory=dict)
    actions: dict[tuple[str, str], Action] = field(default_factory=dict)
    #: artifact name -> (bucket, key)
    artifacts: dict[str, tuple[str, str]] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return str(self.pipeline["name"])

    @property
    def arn(self) -> str:
        return f"arn:aws:codepipeline:{self.region}:{self.account_id}:{self.name}"


def _clock() -> Any:
    return _state["session"].clock


def _iso(t: float) -> datetime:
    return datetime.fromtimestamp(t, tz=timezone.utc)


def _later(delay: float, fn: Any, *args: Any) -> None:
    _state["timers"].append(_clock().call_later(delay, fn, *args))


def _event(ex: Execution, kind: str, state: str, **detail: Any) -> None:
    """Put one state change on the default bus (in-process EventBridge)."""
    import boto3

    body = {"pipeline": ex.name, "execution-id": ex.id, "state": state,
            "version": ex.pipeline.get("version", 1), **detail}
    boto3.client("events", region_name=ex.region, aws_access_key_id="testing",
                 aws_secret_access_key="testing").put_events(Entries=[{
                     "Source": "aws.codepipeline", "Resources": [ex.arn],
                     "DetailType": f"CodePipeline {kind} Execution State Change",
                     "Detail": json.dumps(body)}])


def _start(ex: Execution) -> None:
    _event(ex, "Pipeline", "STARTED", **{"execution-trigger": {"trigger-type": ex.trigger}})
    _run_stage(ex, 0)


def _run_stage(ex: Execution, index: int) -> None:
    stages = ex.pipeline["stages"]
    if index >= len(stages):
        return _finish(ex, "Succeeded")
    name = stages[index]["name"]
    ex.stages[name] = "InProgress"
    _event(ex, "Stage", "STARTED", stage=name)
    _run_order(ex, index, None)


def _run_order(ex: Execution, index: int, after: int | None) -> None:
    stage = ex.pipeline["stages"][index]
    orders = sorted({int(a.get("runOrder", 1)) for a in stage["actions"]})
    todo = [o for o in orders if after is None or o > after]
    if not todo:
        ex.stages[stage["name"]] = "Succeeded"
        _event(ex, "Stage", "SUCCEEDED", stage=stage["name"])
        return _run_stage(ex, index + 1)
    for decl in stage["actions"]:
        if int(decl.get("runOrder", 1)) == todo[0]:
            _start_action(ex, index, decl)


def _type(decl: dict[str, Any]) -> dict[str, Any]:
    return {k: decl.get("actionTypeId", {}).get(k)
            for k in ("owner", "provider", "category", "version")}


def _start_action(ex: Execution, index: int, decl: dict[str, Any]) -> None:
    stage = ex.pipeline["stages"][index]["name"]
    action = Action(stage, decl, "InProgress", changed=_clock().now())
    ex.actions[(stage, decl["name"])] = action
    _event(ex, "Action", "STARTED", stage=stage, action=decl["name"], region=ex.region,
           type=_type(decl))
    kind = decl.get("actionTypeId", {})
    config = decl.get("configuration") or {}
    if kind.get("category") == "Source" and kind.get("provider") == "S3":
        problem = _s3_source(ex, decl, config)
        _later(OTHER_ACTION_S, _end_action, ex, index, action,
               "Failed" if problem else "Succeeded", problem)
    elif kind.get("category") == "Deploy" and kind.get("provider") == "CloudFormation":
        problem = _deploy_stack(ex, decl, config)
        if problem:
            _later(0, _end_action, ex, index, action, "Failed", problem)
        else:
            _later(OTHER_ACTION_S, _watch_stack, ex, index, action, config.get("StackName"),
                   config.get("ActionMode", "CREATE_UPDATE"))
    elif kind.get("category") == "Invoke" and kind.get("provider") == "Lambda":
        action.job_id = str(uuid.uuid4())
        _state["jobs"][action.job_id] = (ex, index, action)
        job = {"CodePipeline.job": {"id": action.job_id, "accountId": ex.account_id, "data": {
            "actionConfiguration": {"configuration": {
                k: v for k, v in config.items() if k in ("FunctionName", "UserParameters")}},
            "inputArtifacts": _artifacts(ex, decl.get("inputArtifacts")),
            "outputArtifacts": _artifacts(ex, decl.get("outputArtifacts")),
            "artifactCredentials": {"accessKeyId": "testing", "secretAccessKey": "testing",
                                    "sessionToken": ""}}}}
        platform = _state["session"].platform(ex.region, ex.account_id)
        platform.invoke(str(config.get("FunctionName")), json.dumps(job).encode(),
                        invocation_type="Event")
        _later(JOB_TIMEOUT_S, _timeout, action.job_id)
    else:
        _later(OTHER_ACTION_S, _end_action, ex, index, action, "Succeeded", None)


def _client(ex: Execution, service: str) -> Any:
    """A boto3 client for ``service`` in the execution's Region, made once per session (making
    one takes tens of ms, and a deploy action checks its stack every platform second)."""
    clients = _state.setdefault("clients", {})
    if (ex.region, service) not in clients:
        import boto3

        clients[ex.region, service] = boto3.client(
            service, region_name=ex.region, aws_access_key_id="testing",
            aws_secret_access_key="testing")
    return clients[ex.region, service]


def _artifacts(ex: Execution, names: Any) -> list[dict[str, Any]]:
    out = []
    for item in names or []:
        bucket, key = ex.artifacts.get(item["name"], ("", ""))
        out.append({"name": item["name"], "revision": None, "location": {
            "type": "S3", "s3Location": {"bucketName": bucket, "objectKey": key}}})
    return out


def _s3_source(ex: Execution, decl: dict[str, Any], config: dict[str, Any]) -> str | None:
    bucket, key = str(config.get("S3Bucket")), str(config.get("S3ObjectKey"))
    try:
        _client(ex, "s3").head_object(Bucket=bucket, Key=key)
    except Exception:  # noqa: BLE001 - any S3 refusal fails the action
        return f"The object s3://{bucket}/{key} could not be read"  # emulator wording
    for item in decl.get("outputArtifacts") or []:
        ex.artifacts[item["name"]] = (bucket, key)
    return None


def _deploy_stack(ex: Execution, decl: dict[str, Any], config: dict[str, Any]) -> str | None:
    """Start the stack operation of a CloudFormation deploy action; why it could not, or None."""
    import io
    import zipfile

    from botocore.exceptions import ClientError

    cfn = _client(ex, "cloudformation")
    name = str(config.get("StackName"))
    try:
        if config.get("ActionMode") == "DELETE_ONLY":
            cfn.delete_stack(StackName=name)
            return None
        artifact, _, path = str(config.get("TemplatePath", "")).partition("::")
        if artifact not in ex.artifacts:
            return f"Input artifact {artifact} was not found"  # emulator wording
        bucket, key = ex.artifacts[artifact]
        blob = _client(ex, "s3").get_object(Bucket=bucket, Key=key)["Body"].read()
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            body = zf.read(path).decode()
        overrides = json.loads(config.get("ParameterOverrides") or "{}")
        args = {"StackName": name, "TemplateBody": body,
                "Capabilities": [c for c in str(config.get("Capabilities", "")).split(",") if c],
                "Parameters": [{"ParameterKey": k, "ParameterValue": str(v)}
                               for k, v in overrides.items()]}
        try:
            cfn.describe_stacks(StackName=name)
        except ClientError:
            cfn.create_stack(**args)
        else:
            cfn.update_stack(**args)
    except ClientError as e:
        return str(e.response.get("Error", {}).get("Message"))
    except (KeyError, zipfile.BadZipFile, ValueError) as e:
        return f"The template could not be read: {e}"  # emulator wording
    return None


def _watch_stack(ex: Execution, index: int, action: Action, name: str, mode: str) -> None:
    """End the deploy action once its stack operation is complete (checked each second)."""
    from moto.cloudformation import models
    from moto.cloudformation.exceptions import ValidationError

    # DescribeStacks's answer, read from moto's backend: through the API, a poll each second
    # of a long canary costs whole seconds of real time
    try:
        status = models.cloudformation_backends[ex.account_id][ex.region].describe_stacks(
            name)[0].status
    except ValidationError:  # a deleted stack is not found by its name
        status = "DELETE_COMPLETE"
    if status.endswith("_IN_PROGRESS"):
        return _later(1.0, _watch_stack, ex, index, action, name, mode)
    done = {"DELETE_COMPLETE"} if mode == "DELETE_ONLY" else {"CREATE_COMPLETE",
                                                                  "UPDATE_COMPLETE"}
    _end_action(ex, index, action, "Succeeded" if status in done else "Failed",
                None if status in done else f"Stack {name} is in {status} state")


def _timeout(job_id: str) -> None:
    with _lock:
        found = _state["jobs"].get(job_id)
        if found is not None:
            ex, index, action = found
            _end_action(ex, index, action, "Failed", "The action timed out.")  # emulator text


def _end_action(ex: Execution, index: int, action: Action, status: str,
                summary: str | None) -> None:
    with _lock:
        if action.status != "InProgress" or ex.status != "InProgress":
            return
        if action.job_id:
            _state["jobs"].pop(action.job_id, None)
        action.status, action.summary, action.changed = status, summary, _clock().now()
        ex.updated = action.changed
        _event(ex, "Action", status.upper(), stage=action.stage, action=action.decl["name"],
               region=ex.region, type=_type(action.decl))
        if status != "Succeeded":
            ex.stages[action.stage] = "Failed"
            _event(ex, "Stage", "FAILED", stage=action.stage)
            return _finish(ex, "Failed")
        order = int(action.decl.get("runOrder", 1))
        group = [a for (s, _), a in ex.actions.items() if s == action.stage
                 and int(a.decl.get("runOrder", 1)) == order]
        if all(a.status == "Succeeded" for a in group):
            _run_order(ex, index, order)


def _finish(ex: Execution, status: str) -> None:
    ex.status, ex.updated = status, _clock().now()
    _event(ex, "Pipeline", status.upper())


# ----------------------------------------------------------------- responses moto lacks


def _pipeline(self: Any, name: str) -> dict[str, Any]:
    pipeline = self.codepipeline_backend.pipelines.get(name)
    if pipeline is None:
        raise _error("PipelineNotFoundException",
                     f"Account '{self.current_account}' does not have a pipeline with name "
                     f"'{name}'")
    return pipeline.pipeline


def start_pipeline_execution(self: Any) -> str:
    pipeline = _pipeline(self, self._get_param("name"))
    now = _clock().now()
    ex = Execution(pipeline, self.current_account, self.region, now, updated=now)
    with _lock:
        _state["executions"][ex.id] = ex
    _later(0, _start, ex)
    return json.dumps({"pipelineExecutionId": ex.id})


def _execution(self: Any) -> Execution:
    name = self._get_param("pipelineName")
    _pipeline(self, name)
    ex = _state["executions"].get(self._get_param("pipelineExecutionId"))
    if ex is None or ex.name != name:
        raise _error("PipelineExecutionNotFoundException",
                     f"Pipeline execution ID {self._get_param('pipelineExecutionId')} does not "
                     f"exist in the pipeline {name}")
    return ex


def get_pipeline_execution(self: Any) -> str:
    ex = _execution(self)
    return json.dumps({"pipelineExecution": {
        "pipelineName": ex.name, "pipelineVersion": ex.pipeline.get("version", 1),
        "pipelineExecutionId": ex.id, "status": ex.status, "artifactRevisions": [],
        "executionMode": "SUPERSEDED", "trigger": {"triggerType": ex.trigger}}})


def list_pipeline_executions(self: Any) -> str:
    name = self._get_param("pipelineName")
    _pipeline(self, name)
    found = sorted((e for e in _state["executions"].values() if e.name == name),
                   key=lambda e: -e.started)
    return json.dumps({"pipelineExecutionSummaries": [{
        "pipelineExecutionId": e.id, "status": e.status,
        "startTime": e.started, "lastUpdateTime": e.updated,
        "trigger": {"triggerType": e.trigger}} for e in found]})


def get_pipeline_state(self: Any) -> str:
    name = self._get_param("name")
    pipeline = _pipeline(self, name)
    runs = sorted((e for e in _state["executions"].values() if e.name == name),
                  key=lambda e: e.started)
    stages = []
    for stage in pipeline["stages"]:
        state: dict[str, Any] = {"stageName": stage["name"], "actionStates": []}
        last = next((e for e in reversed(runs) if stage["name"] in e.stages), None)
        if last is not None:
            state["latestExecution"] = {"pipelineExecutionId": last.id,
                                        "status": last.stages[stage["name"]]}
        for decl in stage["actions"]:
            entry: dict[str, Any] = {"actionName": decl["name"]}
            action = last.actions.get((stage["name"], decl["name"])) if last else None
            if action is not None:
                entry["latestExecution"] = {"status": action.status,
                                            "lastStatusChange": action.changed,
                                            **({"summary": action.summary}
                                               if action.summary else {})}
            state["actionStates"].append(entry)
        stages.append(state)
    return json.dumps({"pipelineName": name, "pipelineVersion": pipeline.get("version", 1),
                       "stageStates": stages})


def _job(self: Any) -> tuple[Execution, int, Action]:
    job_id = self._get_param("jobId")
    found = _state["jobs"].get(job_id)
    if found is None:
        raise _error("JobNotFoundException", f"The job with the specified ID {job_id} was "
                                             "not found")  # emulator wording
    return found  # type: ignore[no-any-return]


def put_job_success_result(self: Any) -> str:
    with _lock:
        ex, index, action = _job(self)
        _state["jobs"].pop(action.job_id, None)
    _later(0, _end_action, ex, index, action, "Succeeded", None)
    return ""


def put_job_failure_result(self: Any) -> str:
    details = self._get_param("failureDetails") or {}
    with _lock:
        ex, index, action = _job(self)
        _state["jobs"].pop(action.job_id, None)
    _later(0, _end_action, ex, index, action, "Failed", details.get("message"))
    return ""


def _source_changed(original: Any) -> Any:
    """moto's ``S3Backend.put_object``; a new object at a pipeline's S3 source (bucket and key,
    ``PollForSourceChanges`` not "false") starts that pipeline (UG "Amazon S3 source actions":
    the pipeline starts when the object changes)."""

    def run(self: Any, bucket_name: str, key_name: str, *args: Any, **kwargs: Any) -> Any:
        key = original(self, bucket_name, key_name, *args, **kwargs)
        if _state["session"] is not None:
            _start_on_change(self.account_id, bucket_name, key_name)
        return key

    return run


def _start_on_change(account_id: str, bucket: str, key: str) -> None:
    from moto.codepipeline.models import codepipeline_backends

    for region, backend in list(codepipeline_backends[account_id].items()):
        for pipeline in list(backend.pipelines.values()):
            body = pipeline.pipeline
            for decl in body["stages"][0]["actions"]:
                kind, config = decl.get("actionTypeId", {}), decl.get("configuration") or {}
                if (kind.get("category") == "Source" and kind.get("provider") == "S3"
                        and config.get("S3Bucket") == bucket
                        and config.get("S3ObjectKey") == key
                        and str(config.get("PollForSourceChanges", "true")).lower() != "false"):
                    now = _clock().now()
                    ex = Execution(body, account_id, region, now, updated=now,
                                   trigger="PollForSourceChanges")
                    with _lock:
                        _state["executions"][ex.id] = ex
                    _later(0, _start, ex)
                    break


_RESPONSES = [start_pipeline_execution, get_pipeline_execution, list_pipeline_executions,
              get_pipeline_state, put_job_success_result, put_job_failure_result]


def install(session: Any) -> None:
    """Add the execution calls to moto's CodePipeline front for ``session``."""
    from moto.codepipeline.responses import CodePipelineResponse
    from moto.s3.models import S3Backend

    patches = [mock.patch.object(CodePipelineResponse, f.__name__, f, create=True)
               for f in _RESPONSES]
    patches.append(mock.patch.object(S3Backend, "put_object",
                                     _source_changed(S3Backend.put_object)))
    for p in patches:
        p.start()
    with _lock:
        _state.update(session=session, executions={}, jobs={}, timers=[], patches=patches,
                      clients={})


def uninstall(session: Any) -> None:
    """Undo :func:`install`; cancel the runs' timers."""
    with _lock:
        if _state["session"] is not session:
            return
        timers, patches = _state["timers"], _state["patches"]
        _state.update(session=None, executions={}, jobs={}, timers=[], patches=[])
    for timer in timers:
        timer.cancel()
    for p in reversed(patches):
        p.stop()
