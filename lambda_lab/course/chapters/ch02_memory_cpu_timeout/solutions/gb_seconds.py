# Lambda bills compute in GB-seconds: memory (GB) x duration (s), summed over all invocations.
invocations = 1_000_000
memory_gb = 512 / 1024  # 512 MB is half a GB
duration_s = 200 / 1000  # 200 ms is 0.2 s
answer = invocations * memory_gb * duration_s  # 100,000 GB-s
