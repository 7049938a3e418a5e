"""The exercises of chapter 09, Logs, metrics, alarms and tracing: an alarm on a function's errors.

Importing this module registers them in :data:`lambda_lab.course.exercises.EXERCISES`.
"""

from __future__ import annotations

from typing import Any

from lambda_lab.course.exercises import Check, Exercise, register, solution_source

# --- 09: an alarm on a function's errors ---------------------------------------------------------

_ERRORS_ALARM_STUB = '''\
def errors_alarm(function_name):
    """The keyword arguments of cloudwatch.put_metric_alarm for an alarm on function_name."""
    # TODO: return {"AlarmName": ..., "Namespace": ..., "MetricName": ..., "Dimensions": ...,
    #               "Statistic": ..., "Period": ..., "EvaluationPeriods": ..., ...}
    ...
'''
_alarm_runs: dict[int, tuple[Any, Any]] = {}
_ALARM_PROBE = "checkout"  # the function name the static checks pass to errors_alarm


def _alarm_params(answer: Any) -> dict[str, Any]:
    params = answer(_ALARM_PROBE)
    if not isinstance(params, dict):
        raise AssertionError(f"errors_alarm should return a dict, not {type(params).__name__}")
    return params


def _alarm_run(answer: Any) -> Any:
    """Run the four scenarios through the emulator once per answer (cached)."""
    cached = _alarm_runs.get(id(answer))
    if cached is not None and cached[0] is answer:
        return cached[1]
    from lambda_lab.course.chapters.ch09_observability.helpers import run_alarm_scenarios

    run = run_alarm_scenarios(answer)
    _alarm_runs.clear()
    _alarm_runs[id(answer)] = (answer, run)
    return run


def _alarm_is_accepted(answer: Any) -> str | None:
    if not callable(answer):
        return f"errors_alarm should be a function, not {type(answer).__name__}"
    _alarm_params(answer)
    problem = _alarm_run(answer).problem
    return problem and f"{problem} — compare your keys with put_metric_alarm's parameters"


def _watches_errors(answer: Any) -> str | None:
    p = _alarm_params(answer)
    if p.get("Namespace") != "AWS/Lambda":
        return "Lambda publishes its metrics in the namespace 'AWS/Lambda'"
    if p.get("MetricName") != "Errors":
        return "watch the metric 'Errors' (failed invocations)"
    if p.get("Dimensions") != [{"Name": "FunctionName", "Value": _ALARM_PROBE}]:
        return ("one function's metrics have the dimension FunctionName: "
                "Dimensions=[{'Name': 'FunctionName', 'Value': function_name}]")
    if p.get("Statistic") != "Sum":
        return ("Errors is 1 per failed invocation and 0 per successful one: the errors of a "
                f"minute are its Sum, not its {p.get('Statistic')}")
    if p.get("Period") != 60:
        return "Lambda's metrics are per minute: Period=60 (seconds)"
    return None


def _alarms_when_spread(answer: Any) -> str | None:
    if _alarm_run(answer).alarmed("spread"):
        return None
    p = _alarm_params(answer)
    if p.get("ComparisonOperator") == "GreaterThanThreshold" and p.get("Threshold") == 3:
        return "a minute with exactly 3 errors must count: use GreaterThanOrEqualToThreshold"
    if isinstance(p.get("Threshold"), (int, float)) and p["Threshold"] > 3:
        return "the threshold is 3 errors in a minute"
    if p.get("EvaluationPeriods", 0) < 5:
        return ("3 bad minutes out of 5, not in a row, never alarmed: look at the last 5 "
                "periods (EvaluationPeriods=5) and alarm on 3 of them (DatapointsToAlarm=3)")
    return "it never alarmed for 3 errors a minute in 3 of 5 minutes"


def _quiet_when_steady(answer: Any) -> str | None:
    if not _alarm_run(answer).alarmed("steady"):
        return None
    p = _alarm_params(answer)
    if p.get("TreatMissingData") == "breaching":
        return ("it alarmed after the traffic stopped: TreatMissingData='breaching' counts "
                "every minute without data as a bad minute")
    return "it alarmed at 2 errors a minute: the threshold is 3 (GreaterThanOrEqualToThreshold)"


def _quiet_when_apart(answer: Any) -> str | None:
    if not _alarm_run(answer).alarmed("apart"):
        return None
    return ("it alarmed although no 5 minutes held 3 bad ones: EvaluationPeriods=5 looks at "
            "the last 5 minutes only, DatapointsToAlarm=3 of them must breach")


def _ok_without_traffic(answer: Any) -> str | None:
    final = _alarm_run(answer).final.get("quiet")
    if final == "OK":
        return None
    return (f"a function with no traffic left the alarm in {final}: a minute without "
            "invocations has no data point; TreatMissingData='notBreaching' counts it as fine")


ERRORS_ALARM = register(
    Exercise(
        id="errors-alarm",
        title="An alarm on a function's errors: 3 a minute, in 3 of 5 minutes",
        topic="09-observability",
        answer_name="errors_alarm",
        stub=_ERRORS_ALARM_STUB,
        checks=[
            Check("errors_alarm(name) returns parameters put_metric_alarm accepts",
                  _alarm_is_accepted),
            Check("it watches the function's Errors: AWS/Lambda, FunctionName, Sum per minute",
                  _watches_errors),
            Check("it alarms for 3 errors a minute in 3 of 5 minutes, not in a row",
                  _alarms_when_spread),
            Check("it stays quiet at 2 errors every minute", _quiet_when_steady),
            Check("it stays quiet when bad minutes are more than 5 minutes apart",
                  _quiet_when_apart),
            Check("a function without traffic leaves it OK, not INSUFFICIENT_DATA",
                  _ok_without_traffic),
        ],
        hints=[
            "Start from the alarm in section 3: Namespace 'AWS/Lambda', MetricName 'Errors', "
            "the FunctionName dimension, Statistic 'Sum', Period 60.",
            "'3 of the last 5 minutes' is M out of N: EvaluationPeriods=5, DatapointsToAlarm=3; "
            "'3 or more errors' is Threshold=3 with GreaterThanOrEqualToThreshold.",
            "Minutes without invocations have no data point: TreatMissingData='notBreaching'.",
        ],
        solution=solution_source(__package__, "errors_alarm"),
    )
)


# The business-metric exercise lives beside notebook 09's Powertools helpers, in .powertools.
