"""The exercises of chapter 06, Versions, aliases and layers: shift an alias to a new version in
weighted steps.

Importing this module registers them in :data:`lambda_lab.course.exercises.EXERCISES`.
"""

from __future__ import annotations

import inspect
from typing import Any

from lambda_lab.course.checks import LastRun, run_numbers
from lambda_lab.course.exercises import Check, Exercise, register, solution_source

# --- 06: shift an alias to a new version in weighted steps ---------------------------------------

_ALIAS_SHIFT_STUB = '''\
def shift(lam, name, alias, new_version, steps):
    """Move `alias` of function `name` to `new_version`: route each weight in `steps` (fractions,
    e.g. [0.1, 0.5]) to the new version in turn, then point the alias fully at it."""
    ...
'''

#: The two shifts the checker runs: (alias, versions published, from, to, steps).
_SHIFTS = (("live", 2, "1", "2", (0.1, 0.25, 0.5)), ("prod", 3, "2", "3", (0.05, 0.2)))
_SHIFT_INVOKES = 20


def _takes_shift_arguments(answer: Any) -> str | None:
    if not callable(answer):
        return f"shift should be a function, not {type(answer).__name__}"
    try:
        inspect.signature(answer).bind("lam", "name", "alias", "2", [0.1])
    except TypeError:
        return "define it as def shift(lam, name, alias, new_version, steps):"
    except ValueError:
        return None
    return None


def _shift_run(answer: Any) -> list[dict[str, Any]]:
    """Run ``answer`` on both :data:`_SHIFTS` against the emulated Lambda (cached per answer).

    Uses the active ``lambda_lab.mock_aws()`` session if there is one (they do not nest), else a
    new one on a virtual clock."""
    return _last_shift_runs(answer)


def _one_shift(answer: Any, alias: str, versions: int, old: str, new: str,
               steps: tuple[float, ...]) -> dict[str, Any]:
    """Publish ``versions`` versions, point ``alias`` at ``old``, call ``answer``; record every
    alias state UpdateAlias answered, the final alias, and the versions 20 invocations ran."""
    import boto3
    from botocore.exceptions import ClientError

    from lambda_lab.course.roles import lambda_role
    from lambda_lab.course.shared import make_zip

    name = f"exercise-shift-{next(run_numbers)}"
    lam = boto3.client("lambda", region_name="us-east-1")
    iam = boto3.client("iam", region_name="us-east-1")
    role = lambda_role(iam, name)
    code = "def handler(event, context):\n    return context.function_version  # {}\n"
    lam.create_function(FunctionName=name, Runtime="python3.12", Role=role,
                        Handler="lambda_function.handler",
                        Code={"ZipFile": make_zip(code.format(1))}, Publish=True)
    for n in range(2, versions + 1):
        lam.update_function_code(FunctionName=name, ZipFile=make_zip(code.format(n)),
                                 Publish=True)
    lam.create_alias(FunctionName=name, Name=alias, FunctionVersion=old)
    states: list[tuple[str, dict[str, float]]] = []

    def record(parsed: dict[str, Any], **_: Any) -> None:
        if "Error" not in parsed:
            weights = parsed.get("RoutingConfig", {}).get("AdditionalVersionWeights", {})
            state = (parsed.get("FunctionVersion"), dict(weights))
            if not states or states[-1] != state:
                states.append(state)

    lam.meta.events.register("after-call.lambda.UpdateAlias", record)
    run: dict[str, Any] = {"alias": alias, "old": old, "new": new, "steps": steps,
                           "states": states, "error": None}
    try:
        answer(lam, name, alias, new, list(steps))
    except ClientError as exc:
        err = exc.response["Error"]
        run["error"] = (err["Code"], err["Message"])
    except Exception as exc:  # noqa: BLE001 -- any mistake in the answer is feedback
        run["error"] = (type(exc).__name__, str(exc).split("\n", 1)[0])
    finally:
        lam.meta.events.unregister("after-call.lambda.UpdateAlias", record)
        final = lam.get_alias(FunctionName=name, Name=alias)
        run["final"] = (final["FunctionVersion"],
                        final.get("RoutingConfig", {}).get("AdditionalVersionWeights", {}))
        run["executed"] = sorted({
            lam.invoke(FunctionName=name, Qualifier=alias)["ExecutedVersion"]
            for _ in range(_SHIFT_INVOKES)})
        lam.delete_function(FunctionName=name)
        iam.delete_role(RoleName=name)
    return run


_last_shift_runs = LastRun(
    lambda _aws, answer: [_one_shift(answer, *shift) for shift in _SHIFTS], seed=6)


def _shift_runs_without_error(answer: Any) -> str | None:
    run = _shift_run(answer)[0]
    if run["error"] is None:
        return None
    code, message = run["error"]
    if code == "ValidationException" and "additionalVersionWeights" in message:
        return "weights are fractions from 0 to 1 (0.1 is 10%), not percentages"
    if "already included in routing configuration" in message:
        return (
            "for the last step, point FunctionVersion at the new version and remove the "
            "routing in the same call: RoutingConfig={'AdditionalVersionWeights': {}}"
        )
    if "$LATEST" in message:
        return "route to the published version new_version, never to $LATEST"
    return f"shift raised {code}: {message}"


def _weighted_states(run: dict[str, Any]) -> list[tuple[str, dict[str, float]]]:
    return [state for state in run["states"] if state[1]]


def _steps_in_order(run: dict[str, Any]) -> str | None:
    weighted = _weighted_states(run)
    expected = [(run["old"], {run["new"]: w}) for w in run["steps"]]
    if weighted == expected:
        return None
    if not weighted:
        return (
            "the alias never routed a weight to the new version: for each weight in steps, "
            "call update_alias with RoutingConfig={'AdditionalVersionWeights': "
            "{new_version: weight}}"
        )
    if any(version != run["old"] for version, _ in weighted):
        return (
            "while shifting, the alias keeps pointing at the old version (leave out "
            "FunctionVersion); only the weight goes to the new version"
        )
    got = [next(iter(w.values())) for _, w in weighted if len(w) == 1]
    return f"the alias routed {got} to the new version, not each of steps {list(run['steps'])}"


def _routes_each_step(answer: Any) -> str | None:
    return _steps_in_order(_shift_run(answer)[0])


def _ends_on_the_new_version(answer: Any) -> str | None:
    run = _shift_run(answer)[0]
    version, weights = run["final"]
    if version == run["new"] and not weights:
        return None
    if version == run["old"]:
        return (
            "after the last step the alias still points at the old version: finish with "
            "update_alias(..., FunctionVersion=new_version, "
            "RoutingConfig={'AdditionalVersionWeights': {}})"
        )
    return f"the alias ends on version {version} with routing {weights}, not the new one only"


def _invocations_run_the_new_version(answer: Any) -> str | None:
    run = _shift_run(answer)[0]
    if run["executed"] == [run["new"]]:
        return None
    return (
        f"after the shift, {_SHIFT_INVOKES} invocations of the alias ran versions "
        f"{run['executed']}, not only version {run['new']}"
    )


def _works_for_other_aliases(answer: Any) -> str | None:
    run = _shift_run(answer)[1]
    label = f"shifting alias 'prod' from version 2 to 3 in steps {list(run['steps'])}"
    if run["error"] is not None:
        return f"{label} raised {run['error'][0]}: use the arguments, not fixed names or versions"
    problem = _steps_in_order(run)
    if problem is not None:
        return f"{label}: {problem}"
    if run["final"] != ("3", {}):
        return f"{label}: the alias ended on {run['final'][0]}, not on version 3 only"
    return None


ALIAS_SHIFT = register(
    Exercise(
        id="alias-shift",
        title="Shift an alias to a new version in weighted steps",
        topic="06-versions-aliases-layers",
        answer_name="shift",
        stub=_ALIAS_SHIFT_STUB,
        checks=[
            Check("shift takes (lam, name, alias, new_version, steps)", _takes_shift_arguments),
            Check("it runs against the emulated Lambda without an error",
                  _shift_runs_without_error),
            Check("each weight in steps goes to the new version, in order, while the alias "
                  "keeps the old version", _routes_each_step),
            Check("finally the alias points only at the new version", _ends_on_the_new_version),
            Check(f"then {_SHIFT_INVOKES} invocations of the alias all run the new version",
                  _invocations_run_the_new_version),
            Check("it works for another alias and other versions (prod: 2 → 3)",
                  _works_for_other_aliases),
        ],
        hints=[
            "lam.update_alias(FunctionName=name, Name=alias, RoutingConfig=...) changes the "
            "routing and keeps the version the alias points to.",
            "One call per weight: RoutingConfig={'AdditionalVersionWeights': "
            "{new_version: weight}}, with weight a fraction such as 0.1.",
            "Last call: FunctionVersion=new_version and RoutingConfig="
            "{'AdditionalVersionWeights': {}} together (a version cannot also be the "
            "additional one).",
        ],
        solution=solution_source(__package__, "alias_shift"),
    )
)
