# 100 executions always stay unreserved, so all reservations together are at most limit - 100.
account_limit = 3_000
unreserved_minimum = 100
already_reserved = 1_200 + 900
answer = account_limit - unreserved_minimum - already_reserved  # 800
