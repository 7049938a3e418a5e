"""Helpers of notebooks/06-versions-aliases-layers (traffic splits, CodeDeploy deployments watched
step by step, layer packages) and the ``alias-shift`` exercise's checker, through boto3 under
``mock_aws`` on a virtual clock.

CodeDeploy facts (lambda-facts.md A "CodeDeploy", CodeDeploy UG deployment-configurations,
"AppSpec 'resources' section", "AppSpec 'hooks' section"): LambdaCanary10Percent5Minutes shifts
10 percent first and the remaining 90 percent five minutes later; LambdaLinear10PercentEvery1Minute
shifts 10 percent every minute until all traffic is shifted; a hook reports Succeeded or Failed
with PutLifecycleEventHookExecutionStatus; a CloudWatch alarm in ALARM stops the deployment and
rolls the alias back to CurrentVersion."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from io import BytesIO

import boto3
import pytest
import yaml
from aws_helpers import REGION, make_zip, session
from botocore.exceptions import ClientError

from lambda_lab.course import exercises as ex
from lambda_lab.course.chapters.ch06_versions_aliases_layers import helpers as vs
from lambda_lab.course.progress import ENV_VAR
from lambda_lab.course.roles import lambda_role

GREETER = "def handler(event, context):\n    return {tag!r}\n"
BROKEN = "def handler(event, context):\n    raise RuntimeError('broken')\n"


@pytest.fixture(autouse=True)
def progress_file(tmp_path, monkeypatch):
    monkeypatch.setenv(ENV_VAR, str(tmp_path / "progress.json"))


@pytest.fixture
def aws():
    yield from session(virtual_clock=True)


@pytest.fixture
def lam(aws):
    return boto3.client("lambda", region_name=REGION)


def publish_versions(lam, name: str, *sources: str) -> None:
    """Create ``name`` and publish one version per source (1, 2, ...)."""
    iam = boto3.client("iam", region_name=REGION)
    role = lambda_role(iam, name)
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler",
                        Code={"ZipFile": make_zip(sources[0])}, Publish=True)
    for source in sources[1:]:
        lam.update_function_code(FunctionName=name, ZipFile=make_zip(source), Publish=True)


# --- pure helpers --------------------------------------------------------------------------------


def test_codedeploy_configs_are_the_full_current_set():
    """lambda-facts A "CodeDeploy": LambdaCanary10Percent5/10/15/30Minutes,
    LambdaLinear10PercentEvery1Minute/2/3/10Minutes, LambdaAllAtOnce."""
    assert sorted(vs.CODEDEPLOY_CONFIGS) == sorted(
        [f"LambdaCanary10Percent{m}Minutes" for m in (5, 10, 15, 30)]
        + ["LambdaLinear10PercentEvery1Minute"]
        + [f"LambdaLinear10PercentEvery{m}Minutes" for m in (2, 3, 10)]
        + ["LambdaAllAtOnce"]
    )


def test_shift_schedules():
    """A canary shifts in two increments (10%, then the rest after the interval); a linear
    config adds 10% every interval until 100%."""
    assert vs.shift_schedule("LambdaCanary10Percent5Minutes") == [(0, 0.1), (300, 1.0)]
    assert vs.shift_schedule("LambdaAllAtOnce") == [(0, 1.0)]
    linear = vs.shift_schedule("LambdaLinear10PercentEvery3Minutes")
    assert [t for t, _ in linear] == [180 * i for i in range(10)]
    assert [w for _, w in linear] == pytest.approx([0.1 * i for i in range(1, 11)])
    assert linear[-1][1] == 1.0
    assert vs.shift_schedule("CodeDeployDefault.LambdaAllAtOnce") == [(0, 1.0)]
    with pytest.raises(KeyError, match="LambdaAllAtOnce"):
        vs.shift_schedule("Canary10Percent5Minutes")  # the 2020 name, without "Lambda"


def test_routing_schedule_reads_custom_configs():
    """UG deployment-configurations-create: a custom Canary25Percent45Minutes shifts 25%, the
    remaining 75% 45 minutes later; a linear 30% config ends with a step to 100%."""
    assert vs.routing_schedule({"type": "TimeBasedCanary", "timeBasedCanary": {
        "canaryPercentage": 25, "canaryInterval": 45}}) == [(0, 0.25), (2700, 1.0)]
    assert vs.routing_schedule({"type": "TimeBasedLinear", "timeBasedLinear": {
        "linearPercentage": 30, "linearInterval": 2}}) == [
        (0, 0.3), (120, 0.6), (240, 0.9), (360, 1.0)]
    assert vs.routing_schedule({"type": "AllAtOnce"}) == [(0, 1.0)]


def test_appspec_yaml_has_the_lambda_resource_and_hooks():
    """UG "AppSpec 'resources' section" (Name, Alias, CurrentVersion, TargetVersion) and
    "AppSpec 'hooks' section" (a list of lifecycle event -> function name)."""
    spec = yaml.safe_load(vs.appspec_yaml("greet", "live", "1", "2",
                                          {"BeforeAllowTraffic": "CodeDeployHook_greet"}))
    assert spec == {"version": 0.0, "Resources": [{"greet": {
        "Type": "AWS::Lambda::Function",
        "Properties": {"Name": "greet", "Alias": "live", "CurrentVersion": 1,
                       "TargetVersion": 2}}}],
        "Hooks": [{"BeforeAllowTraffic": "CodeDeployHook_greet"}]}
    assert "Hooks" not in yaml.safe_load(vs.appspec_yaml("f", "a", "3", "4"))


def test_split_bars_is_fixed_text():
    text = vs.split_bars(Counter({"2": 114, "1": 886}), width=10)
    assert text == ("version  1  [#########.]    886 of 1,000 (88.6%)\n"
                    "version  2  [#.........]    114 of 1,000 (11.4%)")
    assert vs.split_bars(Counter()) == "(no invocations)"


def test_deployment_steps_as_lines_and_rows():
    """An alias on version 1 routing 0.1 to version 2 gives version 1 90%; the table shows
    time as m:ss, the status, the split and the counted ExecutedVersions."""
    steps = [vs.DeploymentStep(0, "InProgress", "1", {"2": 0.1}, Counter({"1": 88, "2": 12})),
             vs.DeploymentStep(300, "Succeeded", "2", {}, Counter({"2": 100}))]
    assert steps[0].weight("1") == pytest.approx(0.9) and steps[0].weight("2") == 0.1
    assert steps[1].weight("1") == 0.0 and steps[0].observed("2") == 0.12
    assert vs.deployment_lines(steps) == (
        "      t  status      alias weights         ExecutedVersion of 100 invocations\n"
        "   0:00  InProgress  1: 90%  2: 10%        1: 88  2: 12\n"
        "   5:00  Succeeded   2: 100%               2: 100")
    uncounted = [step._replace(counts=Counter()) for step in steps]
    assert vs.deployment_lines(uncounted[1:]) == (
        "      t  status      alias weights\n   5:00  Succeeded   2: 100%")
    assert vs.shift_rows(steps, "2") == [(0, 0.1, 0.12), (300, 1.0, 1.0)]
def test_layer_zip_and_zeros_zip():
    with zipfile.ZipFile(BytesIO(vs.layer_zip({"python/m.py": "X = 1\n"}))) as zf:
        assert zf.read("python/m.py") == b"X = 1\n"
    data = vs.zeros_zip("big.bin", 3, extra={"lambda_function.py": "pass\n"})
    assert len(data) < 100_000
    with zipfile.ZipFile(BytesIO(data)) as zf:
        assert zf.getinfo("big.bin").file_size == 3 * 1024 * 1024
        assert zf.read("lambda_function.py") == b"pass\n"


def test_figure_shift_has_the_planned_and_observed_series():
    fig = vs.figure_shift([(0, 0.1, 0.12), (60, 0.2, 0.18), (120, 1.0, 1.0)])
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.get_lines()] == [
        "alias weight", "share of invocations (observed)"]
    assert list(ax.get_lines()[1].get_ydata()) == pytest.approx([12, 18, 100])


# --- through the emulated Lambda -----------------------------------------------------------------


def test_count_versions_follows_the_alias_weight(aws, lam):
    """lambda-facts A "Versions / aliases": an alias routes a weight to one more version;
    ExecutedVersion says which ran. 1,000 seeded invocations at 10%: 70-130 on version 2."""
    publish_versions(lam, "split", GREETER.format(tag="one"), GREETER.format(tag="two"))
    lam.create_alias(FunctionName="split", Name="live", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}})
    counts = vs.count_versions(lam, "split", "live", 1000)
    assert set(counts) == {"1", "2"} and sum(counts.values()) == 1000
    assert 70 <= counts["2"] <= 130


def test_outcome_lines_count_failures_per_version(aws, lam):
    publish_versions(lam, "canary", GREETER.format(tag="ok"), BROKEN)
    lam.create_alias(FunctionName="canary", Name="live", FunctionVersion="1",
                     RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}})
    lines = vs.outcome_lines(lam, "canary", "live", 40).splitlines()
    assert [line.split(":")[0] for line in lines] == ["version 1", "version 2"]
    assert lines[0].endswith(",   0 failed")
    ran_2 = int(lines[1].split()[2])
    assert lines[1] == f"version 2: {ran_2:>3} invocations, {ran_2:>3} failed"


SERVICE_ROLE = "arn:aws:iam::123456789012:role/codedeploy"
HOOK = """
import boto3
def handler(event, context):
    boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
        deploymentId=event["DeploymentId"],
        lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"], status="Failed")
"""


def deploy(lam, cd, config: str, hooks=None, **group) -> str:
    """Versions 1 and 2 of ``deploy``, alias ``live`` on 1, and a deployment of 2 with
    ``config``."""
    publish_versions(lam, "deploy", GREETER.format(tag="old"), GREETER.format(tag="new"))
    lam.create_alias(FunctionName="deploy", Name="live", FunctionVersion="1")
    cd.create_application(applicationName="app", computePlatform="Lambda")
    cd.create_deployment_group(applicationName="app", deploymentGroupName="dg",
                               serviceRoleArn=SERVICE_ROLE, deploymentConfigName=config, **group)
    return cd.create_deployment(
        applicationName="app", deploymentGroupName="dg",
        revision={"revisionType": "AppSpecContent", "appSpecContent": {
            "content": vs.appspec_yaml("deploy", "live", "1", "2", hooks)}})["deploymentId"]


@pytest.fixture
def cd(aws):
    return boto3.client("codedeploy", region_name=REGION)


def test_routing_schedule_of_every_predefined_config_is_shift_schedule(aws, cd):
    """GetDeploymentConfig's trafficRoutingConfig of each CodeDeployDefault.Lambda* config
    gives the schedule the notebook's table prints."""
    for name in vs.CODEDEPLOY_CONFIGS:
        info = cd.get_deployment_config(deploymentConfigName=f"CodeDeployDefault.{name}")
        routing = info["deploymentConfigInfo"]["trafficRoutingConfig"]
        assert vs.routing_schedule(routing) == vs.shift_schedule(name), name


def test_watch_deployment_follows_a_canary(aws, lam, cd):
    """LambdaCanary10Percent5Minutes: 10% to version 2 at once (about 10% of the invocations run
    it), still 10% at 4:59, all of it at 5:00; watching stops once the deployment succeeded."""
    did = deploy(lam, cd, "CodeDeployDefault.LambdaCanary10Percent5Minutes")
    start = aws.clock.now()
    steps = vs.watch_deployment(cd, lam, aws, did, at=[0, 299, 300, 400], per_step=200)
    assert aws.clock.now() - start == pytest.approx(300)
    assert [(s.t, s.status, s.version, s.weights) for s in steps] == [
        (0, "InProgress", "1", {"2": 0.1}), (299, "InProgress", "1", {"2": 0.1}),
        (300, "Succeeded", "2", {})]
    assert 8 <= steps[0].counts["2"] <= 36 and sum(steps[0].counts.values()) == 200
    assert steps[2].counts == {"2": 200}
    assert vs.deployment_lines(steps).splitlines()[3].startswith("   5:00  Succeeded   2: 100%")


def test_watch_deployment_defaults_to_the_steps_of_the_config(aws, lam, cd):
    """LambdaLinear10PercentEvery1Minute: one more tenth every minute (in this emulator the first
    at the start), then the alias points to version 2; without ``at`` every step is seen."""
    did = deploy(lam, cd, "CodeDeployDefault.LambdaLinear10PercentEvery1Minute")
    steps = vs.watch_deployment(cd, lam, aws, did)
    assert [s.t for s in steps] == [60 * i for i in range(10)]
    assert [s.weight("2") for s in steps] == pytest.approx([0.1 * i for i in range(1, 11)])
    assert [s.status for s in steps] == ["InProgress"] * 9 + ["Succeeded"]
    assert all(not s.counts for s in steps)
    assert vs.deployment_summary(cd, did) == (
        "status: Succeeded (LambdaLinear10PercentEvery1Minute)\n"
        "events: BeforeAllowTraffic Skipped -> AllowTraffic Succeeded -> AfterAllowTraffic "
        "Skipped")


def test_deployment_summary_of_an_alarm_rollback(aws, lam, cd):
    """A monitored alarm in ALARM during the canary stops the deployment (ALARM_ACTIVE) and,
    with DEPLOYMENT_STOP_ON_ALARM, a codeDeployRollback deployment puts the alias back on 1."""
    cw = boto3.client("cloudwatch", region_name=REGION)
    cw.put_metric_alarm(AlarmName="errors", Namespace="AWS/Lambda", MetricName="Errors",
                        Statistic="Sum", Period=60, EvaluationPeriods=1, Threshold=1,
                        ComparisonOperator="GreaterThanOrEqualToThreshold")
    did = deploy(lam, cd, "CodeDeployDefault.LambdaCanary10Percent5Minutes",
                 alarmConfiguration={"enabled": True, "alarms": [{"name": "errors"}]},
                 autoRollbackConfiguration={"enabled": True,
                                            "events": ["DEPLOYMENT_STOP_ON_ALARM"]})
    aws.advance(60)
    cw.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="test")
    steps = vs.watch_deployment(cd, lam, aws, did, at=[1])
    assert [(s.status, s.version, s.weights) for s in steps] == [("Stopped", "1", {})]
    lines = vs.deployment_summary(cd, did).splitlines()
    assert lines[0] == "status: Stopped (LambdaCanary10Percent5Minutes)"
    assert lines[1].startswith("error:  ALARM_ACTIVE: ") and lines[1].endswith(": errors")
    assert lines[2] == ("rolled back by a new deployment: creator codeDeployRollback, "
                        "status Succeeded")
    assert lines[3] == ("events: BeforeAllowTraffic Skipped -> AllowTraffic Failed -> "
                        "AfterAllowTraffic Skipped")


def test_deployment_summary_of_a_failed_before_hook(aws, lam, cd):
    """A BeforeAllowTraffic hook reporting Failed fails the deployment before any traffic
    moves: AllowTraffic is skipped and the alias stays on version 1."""
    iam = boto3.client("iam", region_name=REGION)
    role = lambda_role(iam, "hook")
    lam.create_function(FunctionName="CodeDeployHook_check", Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler", Code={"ZipFile": make_zip(HOOK)},
                        MemorySize=1769, Timeout=30)
    did = deploy(lam, cd, "CodeDeployDefault.LambdaCanary10Percent5Minutes",
                 hooks={"BeforeAllowTraffic": "CodeDeployHook_check"})
    steps = vs.watch_deployment(cd, lam, aws, did, at=[0, 300], per_step=20)
    assert [(s.status, s.version, s.weights, s.counts) for s in steps] == [
        ("Failed", "1", {}, {"1": 20})]
    assert vs.deployment_summary(cd, did) == (
        "status: Failed (LambdaCanary10Percent5Minutes)\n"
        "error:  HOOK_EXECUTION_FAILURE: The BeforeAllowTraffic hook reported Failed.\n"
        "events: BeforeAllowTraffic Failed -> AllowTraffic Skipped -> AfterAllowTraffic Skipped")


def test_aws_error_text(aws, lam):
    publish_versions(lam, "err", GREETER.format(tag="x"))
    with pytest.raises(ClientError) as info:
        lam.create_alias(FunctionName="err", Name="beta", FunctionVersion="$LATEST",
                         RoutingConfig={"AdditionalVersionWeights": {"1": 0.1}})
    assert vs.aws_error(info.value) == (
        "InvalidParameterValueException (HTTP 400): $LATEST is not supported for an alias "
        "pointing to more than 1 version")


def test_a_layer_module_is_importable_and_layer_versions_are_immutable(aws, lam):
    """Layers are extracted to /opt; python/ lands on sys.path; publishing again makes a new
    version while the function keeps the one it names."""
    one = lam.publish_layer_version(LayerName="g", Content={"ZipFile": vs.layer_zip(
        {"python/greeting.py": "WORD = 'hello'\n"})})
    two = lam.publish_layer_version(LayerName="g", Content={"ZipFile": vs.layer_zip(
        {"python/greeting.py": "WORD = 'morning'\n"})})
    assert (one["Version"], two["Version"]) == (1, 2)
    iam = boto3.client("iam", region_name=REGION)
    role = lambda_role(iam, "r")
    lam.create_function(FunctionName="uses", Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler",
                        Code={"ZipFile": make_zip("import greeting\n"
                                                  "def handler(e, c):\n"
                                                  "    return greeting.WORD\n")},
                        Layers=[one["LayerVersionArn"]])
    assert json.loads(lam.invoke(FunctionName="uses")["Payload"].read()) == "hello"


# --- the alias-shift exercise --------------------------------------------------------------------


def _percent_weights(lam, name, alias, new_version, steps):
    for weight in steps:
        lam.update_alias(FunctionName=name, Name=alias,
                         RoutingConfig={"AdditionalVersionWeights": {new_version: weight * 100}})


def _keeps_the_routing(lam, name, alias, new_version, steps):
    for weight in steps:
        lam.update_alias(FunctionName=name, Name=alias,
                         RoutingConfig={"AdditionalVersionWeights": {new_version: weight}})
    lam.update_alias(FunctionName=name, Name=alias, FunctionVersion=new_version)


def _never_finishes(lam, name, alias, new_version, steps):
    for weight in steps:
        lam.update_alias(FunctionName=name, Name=alias,
                         RoutingConfig={"AdditionalVersionWeights": {new_version: weight}})


def _fixed_old_version(lam, name, alias, new_version, steps):
    for weight in steps:
        lam.update_alias(FunctionName=name, Name=alias, FunctionVersion="1",
                         RoutingConfig={"AdditionalVersionWeights": {new_version: weight}})
    lam.update_alias(FunctionName=name, Name=alias, FunctionVersion=new_version,
                     RoutingConfig={"AdditionalVersionWeights": {}})


@pytest.mark.parametrize("answer, expected", [
    (_percent_weights,
     "❌ 1 of 6 checks pass — hint: weights are fractions from 0 to 1 (0.1 is 10%), not "
     "percentages"),
    (_keeps_the_routing,
     "❌ 2 of 6 checks pass — hint: for the last step, point FunctionVersion at the new version "
     "and remove the routing in the same call: RoutingConfig={'AdditionalVersionWeights': {}}"),
    (_never_finishes,
     "❌ 3 of 6 checks pass — hint: after the last step the alias still points at the old "
     "version: finish with update_alias(..., FunctionVersion=new_version, "
     "RoutingConfig={'AdditionalVersionWeights': {}})"),
    (_fixed_old_version,
     "❌ 5 of 6 checks pass — hint: shifting alias 'prod' from version 2 to 3 in steps "
     "[0.05, 0.2]: while shifting, the alias keeps pointing at the old version (leave out "
     "FunctionVersion); only the weight goes to the new version"),
])
def test_alias_shift_mistakes_get_their_hint(answer, expected):
    """The checker runs each answer against the emulator (its own mock_aws when none is
    active): the errors AWS gives for a weight over 1 and for a version that is both the
    alias's and the routed one become hints."""
    assert ex.get("alias-shift").check(answer).text == expected


def test_alias_shift_checker_uses_the_active_session(aws, lam):
    """Inside a notebook's mock_aws the checker deploys into it, and deletes what it made."""
    exercise = ex.get("alias-shift")
    assert exercise.check(exercise.reference_answer()).ok
    assert lam.list_functions()["Functions"] == []
