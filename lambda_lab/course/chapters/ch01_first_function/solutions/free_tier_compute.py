# The free tier gives 400,000 GB-seconds of compute a month; one invocation uses memory x duration.
free_gb_seconds = 400_000
memory_gb = 512 / 1024  # 512 MB is half a GB
duration_s = 200 / 1000  # 200 ms is 0.2 s
answer = free_gb_seconds / (memory_gb * duration_s)  # 4,000,000 invocations
