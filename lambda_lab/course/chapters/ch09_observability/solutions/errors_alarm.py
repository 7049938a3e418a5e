def errors_alarm(function_name):
    # Lambda's Errors metric (namespace AWS/Lambda) counts failed invocations: its Sum over a
    # 60-second period is the number of errors in that minute. "At least 3 of the last 5
    # minutes" is DatapointsToAlarm (M) = 3 out of EvaluationPeriods (N) = 5; the minutes
    # need not be in a row. A minute without invocations has no data point at all: count it as
    # fine (notBreaching), else the alarm goes to INSUFFICIENT_DATA when traffic stops.
    return {
        "AlarmName": f"{function_name}-errors",
        "Namespace": "AWS/Lambda",
        "MetricName": "Errors",
        "Dimensions": [{"Name": "FunctionName", "Value": function_name}],
        "Statistic": "Sum",
        "Period": 60,
        "EvaluationPeriods": 5,
        "DatapointsToAlarm": 3,
        "Threshold": 3,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    }
