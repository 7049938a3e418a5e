from lambda_lab.billing import billed_duration_ms, invocation_cost


def cheapest(durations):
    # The cost of one invocation is memory (GB) x billed duration (s) x the GB-s price, plus the
    # request charge. Billed duration is the duration rounded UP to the next whole millisecond,
    # and the fastest size is not always the cheapest one.
    def cost(memory_mb):
        billed = billed_duration_ms(durations[memory_mb], include_init=False)
        return invocation_cost(billed, memory_mb).total_usd

    return min(durations, key=cost)
