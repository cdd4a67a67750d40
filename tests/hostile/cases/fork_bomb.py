# Fork bomb, bounded at 2**9 = 512 processes so a run without any process
# limit (degraded mode as root) cannot take the host down; every process
# carries the marker in its command line (argv[1]) and then sleeps.
import os, sys, time
for _ in range(9):
    try:
        os.fork()
    except OSError:
        pass
time.sleep(600)
