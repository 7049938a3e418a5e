"""Helpers of notebooks/06-versions-aliases-layers: traffic splits, shift schedules, layer zips.

The notebook calls the emulated AWS through boto3 (inside ``lambda_lab.mock_aws()``); these
helpers count what it answered and print it as fixed text
(:class:`~lambda_lab.course.exercises.Text`) so nbval can compare it.
"""

from __future__ import annotations

import io
import zipfile
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from lambda_lab.course.exercises import Text

__all__ = [
    "CODEDEPLOY_CONFIGS",
    "aws_error",
    "count_versions",
    "figure_shift",
    "layer_zip",
    "outcome_lines",
    "run_deployment",
    "shift_lines",
    "shift_schedule",
    "split_bars",
    "zeros_zip",
]

#: CodeDeploy's predefined Lambda deployment configurations: name -> (kind, percent, minutes).
#: "canary": ``percent`` first, the rest after ``minutes``; "linear": ``percent`` more every
#: ``minutes``; "all": everything at once (lambda-facts.md, CodeDeploy UG
#: deployment-configurations). CodeDeploy itself is not emulated.
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


def shift_schedule(config: str) -> list[tuple[int, float]]:
    """The steps of a CodeDeploy config as ``(seconds after the start, weight of the new
    version)``, the last one ``1.0``. A linear config's first increment is at the start.

    Raises:
        KeyError: an unknown config name (the message lists the known ones).
    """
    try:
        kind, percent, minutes = CODEDEPLOY_CONFIGS[config]
    except KeyError:
        known = ", ".join(CODEDEPLOY_CONFIGS)
        raise KeyError(f"unknown config {config!r}; known: {known}") from None
    if kind == "all":
        return [(0, 1.0)]
    if kind == "canary":
        return [(0, percent / 100), (minutes * 60, 1.0)]
    steps = range(1, 100 // percent + 1)
    return [(i * minutes * 60 - minutes * 60, min(1.0, i * percent / 100)) for i in steps]


def run_deployment(lam: Any, aws: Any, function: str, alias: str, old: str, new: str,
                   config: str, per_step: int = 100) -> list[tuple[int, float, float]]:
    """Shift ``alias`` from version ``old`` to ``new`` by hand, as CodeDeploy's ``config`` would.

    At each step of :func:`shift_schedule` (reached with ``aws.advance`` on the platform clock)
    the alias gets the step's weight, then is invoked ``per_step`` times. Returns rows
    ``(seconds after the start, weight, observed share of the new version)``."""
    start = aws.clock.now()
    rows = []
    for at, weight in shift_schedule(config):
        aws.advance(max(0.0, start + at - aws.clock.now()))
        if weight < 1:
            lam.update_alias(FunctionName=function, Name=alias, FunctionVersion=old,
                             RoutingConfig={"AdditionalVersionWeights": {new: weight}})
        else:
            lam.update_alias(FunctionName=function, Name=alias, FunctionVersion=new,
                             RoutingConfig={"AdditionalVersionWeights": {}})
        counts = count_versions(lam, function, alias, per_step)
        rows.append((at, weight, counts[new] / per_step))
    return rows


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


def aws_error(error: Any) -> Text:
    """A botocore ``ClientError`` as ``Code (HTTP status): message``."""
    response = error.response
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
    return Text(f"{response['Error']['Code']} (HTTP {status}): {response['Error']['Message']}")


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
    """A step plot of planned weight and observed share of the new version over time.

    ``rows``: ``(seconds after the start, planned weight, observed share)``."""
    from matplotlib.figure import Figure

    minutes = [t / 60 for t, _, _ in rows]
    fig = Figure(figsize=(7.5, 3.2), dpi=80, layout="constrained")
    ax = fig.add_subplot()
    ax.step(minutes, [100 * w for _, w, _ in rows], where="post", label="alias weight (planned)")
    ax.plot(minutes, [100 * s for _, _, s in rows], "o", label="share of invocations (observed)")
    ax.set_xlabel("minutes after the start")
    ax.set_ylabel("% to the new version")
    ax.set_ylim(-5, 105)
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    return fig


def shift_lines(rows: Iterable[tuple[int, float, float]]) -> Text:
    """``rows`` of :func:`figure_shift` as a fixed-width table."""
    lines = ["  t (min)  weight  observed"]
    for t, weight, share in rows:
        lines.append(f"  {t / 60:>7g}  {weight:>6.0%}  {share:>8.0%}")
    return Text("\n".join(lines))
