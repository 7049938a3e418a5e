# A module-level variable is set once per execution environment, in the init phase. The first
# invocation sees it True and sets it False; warm invocations of the same environment see False.
cold = True


def handler(event, context):
    global cold
    was_cold, cold = cold, False
    return {"cold_start": was_cold}
