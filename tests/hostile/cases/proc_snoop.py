import os
pids = sorted(int(p) for p in os.listdir("/proc") if p.isdigit())
print("R:count=%d max=%d self=%d" % (len(pids), max(pids), os.getpid()))
