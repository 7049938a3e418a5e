"""Helpers of notebooks/06-versions-aliases-layers (traffic splits, CodeDeploy schedules done by
hand, layer packages) and the ``alias-shift`` exercise's checker, through boto3 under
``mock_aws`` on a virtual clock."""

from __future__ import annotations

import json
import zipfile
from collections import Counter
from io import BytesIO

import boto3
import pytest
from aws_helpers import REGION, make_zip, session
from botocore.exceptions import ClientError

from lambda_lab.course import exercises as ex
from lambda_lab.course import versions as vs
from lambda_lab.course.progress import ENV_VAR

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
    role = iam.create_role(RoleName=name, AssumeRolePolicyDocument="{}")["Role"]["Arn"]
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
    with pytest.raises(KeyError, match="LambdaAllAtOnce"):
        vs.shift_schedule("Canary10Percent5Minutes")  # the 2020 name, without "Lambda"


def test_split_bars_and_shift_lines_are_fixed_text():
    text = vs.split_bars(Counter({"2": 114, "1": 886}), width=10)
    assert text == ("version  1  [#########.]    886 of 1,000 (88.6%)\n"
                    "version  2  [#.........]    114 of 1,000 (11.4%)")
    assert vs.split_bars(Counter()) == "(no invocations)"
    assert vs.shift_lines([(0, 0.1, 0.12), (60, 1.0, 1.0)]) == (
        "  t (min)  weight  observed\n        0     10%       12%\n        1    100%      100%")


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
        "alias weight (planned)", "share of invocations (observed)"]
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


def test_run_deployment_moves_the_alias_on_the_platform_clock(aws, lam):
    """A canary by hand: 10% at the start, everything 5 minutes later (platform time); at the
    end the alias points at the new version with no routing."""
    publish_versions(lam, "deploy", GREETER.format(tag="old"), GREETER.format(tag="new"))
    lam.create_alias(FunctionName="deploy", Name="live", FunctionVersion="1")
    start = aws.clock.now()
    rows = vs.run_deployment(lam, aws, "deploy", "live", "1", "2",
                             "LambdaCanary10Percent5Minutes", per_step=50)
    assert aws.clock.now() - start == pytest.approx(300)
    assert [(t, w) for t, w, _ in rows] == [(0, 0.1), (300, 1.0)]
    assert 0 < rows[0][2] < 0.3 and rows[1][2] == 1.0
    alias = lam.get_alias(FunctionName="deploy", Name="live")
    assert alias["FunctionVersion"] == "2" and "RoutingConfig" not in alias


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
    role = iam.create_role(RoleName="r", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
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
