"""Helpers of notebooks/06-versions-aliases-layers: traffic splits, CodeDeploy deployments
watched step by step, layer zips.

The notebook calls the emulated AWS through boto3 (inside ``lambda_lab.mock_aws()``); these
helpers count what it answered and print it as fixed text
(:class:`~lambda_lab.course.exercises.Text`) so nbval can compare it.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any, NamedTuple

from lambda_lab.course.exercises import Text
from lambda_lab.course.shared import aws_error

__all__ = [
    "CODEDEPLOY_CONFIGS",
    "DeploymentStep",
    "appspec_yaml",
    "aws_error",
    "count_versions",
    "deployment_lines",
    "deployment_summary",
    "figure_shift",
    "layer_zip",
    "outcome_lines",
    "routing_schedule",
    "shift_rows",
    "shift_schedule",
    "split_bars",
    "watch_deployment",
    "zeros_zip",
]

#: CodeDeploy's predefined Lambda deployment configurations (``CodeDeployDefault.<name>``):
#: name -> (kind, percent, minutes). "canary": ``percent`` first, the rest after ``minutes``;
#: "linear": ``percent`` more every ``minutes``; "all": everything at once (lambda-facts.md,
#: CodeDeploy UG deployment-configurations). The emulator runs them (lambda_lab.aws.codedeploy).
CODEDEPLOY_CONFIGS: dict[str, tuple[str, int, int]] = {
    "LambdaCanary10Percent5Minutes": ("canary", 10, 5),
    "LambdaCanary10Percent10Minutes": ("canary", 10, 10),
    "LambdaCanary10Percent15Minutes": ("canary", 10, 15),
    "LambdaCanary10Percent30Minutes": ("canary", 10, 30),
    "LambdaLinear10PercentEvery1Minute": ("linear", 10, 1),
    "LambdaLinear10PercentEvery2Minutes": ("linear", 10, 2),
    "LambdaLinear10PercentEvery3Minutes": ("linear", 10, 3),
    "LambdaLinear10PercentEvery10Minutes": ("linear", 10, 10),
    "LambdaAllAtOnce": ("all", 100, 0),
}
_API_KINDS = {"TimeBasedCanary": ("canary", "timeBasedCanary", "canaryPercentage",
                                  "canaryInterval"),
              "TimeBasedLinear": ("linear", "timeBasedLinear", "linearPercentage",
                                  "linearInterval")}
_DONE = ("Succeeded", "Failed", "Stopped")


def _schedule(kind: str, percent: int, minutes: int) -> list[tuple[int, float]]:
    if kind == "all":
        return [(0, 1.0)]
    if kind == "canary":
        return [(0, percent / 100), (minutes * 60, 1.0)]
    steps, k = [], 1
    while k * percent < 100:
        steps.append(((k - 1) * minutes * 60, k * percent / 100))
        k += 1
    return [*steps, ((k - 1) * minutes * 60, 1.0)]


def shift_schedule(config: str) -> list[tuple[int, float]]:
    """The steps of a CodeDeploy config (``CodeDeployDefault.`` may lead) as ``(seconds after
    the start, weight of the new version)``, the last one ``1.0``. A linear config's first
    increment is at the start (as this emulator runs it).

    Raises:
        KeyError: an unknown config name (the message lists the known ones).
    """
    try:
        kind, percent, minutes = CODEDEPLOY_CONFIGS[config.removeprefix("CodeDeployDefault.")]
    except KeyError:
        known = ", ".join(CODEDEPLOY_CONFIGS)
        raise KeyError(f"unknown config {config!r}; known: {known}") from None
    return _schedule(kind, percent, minutes)


def routing_schedule(traffic_routing: Mapping[str, Any]) -> list[tuple[int, float]]:
    """:func:`shift_schedule` of an API ``trafficRoutingConfig`` (GetDeploymentConfig), custom
    configs included."""
    kind = traffic_routing.get("type", "AllAtOnce")
    if kind not in _API_KINDS:
        return _schedule("all", 100, 0)
    name, section, percent, interval = _API_KINDS[kind]
    values = traffic_routing[section]
    return _schedule(name, int(values[percent]), int(values[interval]))


def appspec_yaml(function: str, alias: str, current: str, target: str,
                 hooks: Mapping[str, str] | None = None) -> str:
    """The YAML AppSpec of a Lambda deployment: ``alias`` of ``function`` from version
    ``current`` to ``target``, with ``hooks`` (lifecycle event -> hook function name)."""
    lines = ["version: 0.0", "Resources:", f"  - {function}:",
             "      Type: AWS::Lambda::Function", "      Properties:",
             f"        Name: {function}", f"        Alias: {alias}",
             f"        CurrentVersion: {current}", f"        TargetVersion: {target}"]
    if hooks:
        lines += ["Hooks:", *(f"  - {event}: {fn}" for event, fn in hooks.items())]
    return "\n".join(lines) + "\n"


class DeploymentStep(NamedTuple):
    """What :func:`watch_deployment` saw at ``t`` seconds: the deployment's ``status``, the
    alias's ``version`` and routing ``weights``, and the ``counts`` of ExecutedVersion."""

    t: float
    status: str
    version: str
    weights: dict[str, float]
    counts: Counter[str]

    def weight(self, version: str) -> float:
        """The share of the alias's traffic that ``version`` gets."""
        if version == self.version:
            return 1.0 - sum(self.weights.values())
        return self.weights.get(version, 0.0)

    def observed(self, version: str) -> float:
        """The share of the counted invocations that ran ``version`` (0 when none ran)."""
        total = sum(self.counts.values())
        return self.counts[version] / total if total else 0.0


def _target(cd: Any, deployment_id: str) -> dict[str, Any]:
    (target,) = cd.list_deployment_targets(deploymentId=deployment_id)["targetIds"]
    return cd.get_deployment_target(deploymentId=deployment_id, targetId=target)[
        "deploymentTarget"]["lambdaTarget"]


def watch_deployment(cd: Any, lam: Any, aws: Any, deployment_id: str,
                     at: Sequence[float] | None = None,
                     per_step: int = 0) -> list[DeploymentStep]:
    """Move the platform clock (``aws.advance``) to each time in ``at`` (seconds from now;
    default: every step of the deployment's config) and record the deployment's status and
    its alias; with ``per_step``, invoke the alias that many times at each step. Stops after
    the deployment has ended."""
    info = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    if at is None:
        config = cd.get_deployment_config(deploymentConfigName=info["deploymentConfigName"])
        at = [t for t, _ in routing_schedule(
            config["deploymentConfigInfo"].get("trafficRoutingConfig", {}))]
    function = _target(cd, deployment_id)["lambdaFunctionInfo"]
    name, alias = function["functionName"], function["functionAlias"]
    start = aws.clock.now()
    steps = []
    for t in at:
        aws.advance(max(0.0, start + t - aws.clock.now()))
        status = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]["status"]
        got = lam.get_alias(FunctionName=name, Name=alias)
        weights = got.get("RoutingConfig", {}).get("AdditionalVersionWeights", {})
        counts = count_versions(lam, name, alias, per_step) if per_step else Counter()
        steps.append(DeploymentStep(t, status, got["FunctionVersion"], dict(weights), counts))
        if status in _DONE:
            break
    return steps


def _versions(shares: Mapping[str, float | int], fmt: str) -> str:
    ordered = sorted(shares, key=lambda v: int(v) if v.isdigit() else 0)
    return "  ".join(f"{v}: {shares[v]:{fmt}}" for v in ordered)


def deployment_lines(steps: Sequence[DeploymentStep]) -> Text:
    """``steps`` of :func:`watch_deployment` as a fixed-width table: time (m:ss), status, the
    alias's split by version and, when counted, how many invocations ran each version."""
    counted = next((sum(s.counts.values()) for s in steps if s.counts), 0)
    head = f"  {'t':>5}  {'status':<10}  {'alias weights':<20}"
    if counted:
        head += f"  ExecutedVersion of {counted} invocations"
    lines = [head.rstrip()]
    for s in steps:
        split = _versions({v: s.weight(v) for v in [s.version, *s.weights]}, ".0%")
        line = f"  {int(s.t) // 60:>2}:{int(s.t) % 60:02d}  {s.status:<10}  {split:<20}"
        if s.counts:
            line += "  " + _versions(s.counts, "d")
        lines.append(line.rstrip())
    return Text("\n".join(lines))


def shift_rows(steps: Sequence[DeploymentStep],
               version: str) -> list[tuple[float, float, float]]:
    """``steps`` as :func:`figure_shift` rows for ``version``: ``(t, weight, observed share)``."""
    return [(s.t, s.weight(version), s.observed(version)) for s in steps]


def deployment_summary(cd: Any, deployment_id: str) -> Text:
    """A deployment's status, config, error and rollback, and its target's lifecycle events
    (no ids or times: they change from run to run)."""
    info = cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
    config = info["deploymentConfigName"].removeprefix("CodeDeployDefault.")
    lines = [f"status: {info['status']} ({config})"]
    if "errorInformation" in info:
        error = info["errorInformation"]
        lines.append(f"error:  {error['code']}: {error['message']}")
    back = info.get("rollbackInfo", {}).get("rollbackDeploymentId")
    if back:
        rollback = cd.get_deployment(deploymentId=back)["deploymentInfo"]
        lines.append(f"rolled back by a new deployment: creator {rollback['creator']}, "
                     f"status {rollback['status']}")
    events = _target(cd, deployment_id)["lifecycleEvents"]
    lines.append("events: " + " -> ".join(f"{e['lifecycleEventName']} {e['status']}"
                                           for e in events))
    return Text("\n".join(lines))


def count_versions(lam: Any, function: str, qualifier: str, n: int) -> Counter[str]:
    """Invoke ``function:qualifier`` ``n`` times (synchronously, empty event); count the
    ``ExecutedVersion`` of each response."""
    return Counter(
        lam.invoke(FunctionName=function, Qualifier=qualifier)["ExecutedVersion"]
        for _ in range(n)
    )


def outcome_lines(lam: Any, function: str, qualifier: str, n: int) -> Text:
    """Invoke ``function:qualifier`` ``n`` times; one line per version: how many calls ran it
    and how many of those failed (a ``FunctionError`` in the response)."""
    runs: Counter[str] = Counter()
    failed: Counter[str] = Counter()
    for _ in range(n):
        response = lam.invoke(FunctionName=function, Qualifier=qualifier)
        runs[response["ExecutedVersion"]] += 1
        if "FunctionError" in response:
            failed[response["ExecutedVersion"]] += 1
    return Text("\n".join(f"version {v}: {runs[v]:>3} invocations, {failed[v]:>3} failed"
                          for v in sorted(runs)))


def split_bars(counts: Mapping[str, int], width: int = 40) -> Text:
    """One line per version: ``version 2  ####....  114 of 1,000 (11.4%)``, versions in
    ascending order."""
    total = sum(counts.values())
    lines = []
    for version in sorted(counts, key=lambda v: (not v.isdigit(), int(v) if v.isdigit() else 0)):
        n = counts[version]
        filled = round(width * n / total) if total else 0
        bar = "#" * filled + "." * (width - filled)
        lines.append(f"version {version:>2}  [{bar}]  {n:>5,} of {total:,} ({n / total:.1%})")
    return Text("\n".join(lines) if lines else "(no invocations)")


def layer_zip(files: Mapping[str, str | bytes]) -> bytes:
    """A .zip holding ``files`` (path in the archive -> content), e.g.
    ``{"python/greeting.py": "..."}`` for a Python layer."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in files.items():
            zf.writestr(name, content)
    return buf.getvalue()


def zeros_zip(path: str, megabytes: int, extra: Mapping[str, str] | None = None) -> bytes:
    """A small .zip that unzips to ``megabytes`` MiB of zero bytes at ``path`` (plus ``extra``
    files): a package that is big unzipped but quick to upload."""
    buf = io.BytesIO()
    chunk = bytes(1 << 20)
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open(path, "w") as f:
            for _ in range(megabytes):
                f.write(chunk)
        for name, content in (extra or {}).items():
            zf.writestr(name, content)
    return buf.getvalue()


def figure_shift(rows: Sequence[tuple[int, float, float]],
                 title: str = "Traffic to the new version") -> Any:
    """A step plot of the alias's weight and the observed share of the new version over time.

    ``rows``: ``(seconds after the start, alias weight, observed share)``, e.g. from
    :func:`shift_rows`."""
    from matplotlib.figure import Figure

    minutes = [t / 60 for t, _, _ in rows]
    fig = Figure(figsize=(7.5, 3.2), dpi=80, layout="constrained")
    ax = fig.add_subplot()
    ax.step(minutes, [100 * w for _, w, _ in rows], where="post", label="alias weight")
    ax.plot(minutes, [100 * s for _, _, s in rows], "o", label="share of invocations (observed)")
    ax.set_xlabel("minutes after the start")
    ax.set_ylabel("% to the new version")
    ax.set_ylim(-5, 105)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return fig
