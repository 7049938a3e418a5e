# CPU is allocated in proportion to memory. Since December 2020 one full vCPU comes at 1,769 MB
# (older material says 1,792 MB); at the 10,240 MB maximum a function gets up to 6 vCPUs.
answer = 1769
