def configure(lam, function_name, failures_queue_arn):
    # The async queue's settings live in the function's event invoke config: one retry
    # (MaximumRetryAttempts, 0-2, default 2), and where the record of an event Lambda gave up on
    # goes (DestinationConfig.OnFailure: the queue's ARN, not its URL).
    lam.put_function_event_invoke_config(
        FunctionName=function_name,
        MaximumRetryAttempts=1,
        DestinationConfig={"OnFailure": {"Destination": failures_queue_arn}},
    )
