import math


def concurrency_needed(requests_per_second, duration_ms):
    """Execution environments a steady load keeps busy at once (a whole number)."""
    # Each request holds one environment for its whole duration (Little's law: L = rate x time).
    return math.ceil(requests_per_second * duration_ms / 1000)
