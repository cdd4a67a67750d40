# Six forked children each touching 120 MB (720 MB in all, each one under the
# 1 GiB address-space backstop): only a cgroup sees the total.
import os, sys, time
pids = []
for i in range(6):
    try:
        pid = os.fork()
    except OSError as e:
        print("R:fork failed %s" % e, flush=True)
        break
    if pid == 0:
        b = bytearray(120 << 20)
        for j in range(0, len(b), 4096):
            b[j] = 1
        time.sleep(2.5)
        os._exit(0)
    pids.append(pid)
codes = []
for p in pids:
    _, st = os.waitpid(p, 0)
    codes.append(st)
print("R:children=%d statuses=%s" % (len(pids), codes), flush=True)
