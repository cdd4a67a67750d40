import os, signal
pp = os.getppid()
try:
    os.kill(pp, signal.SIGKILL)
    print("R:sent ppid=%d" % pp, flush=True)
except OSError as e:
    print("R:refused ppid=%d %d" % (pp, e.errno), flush=True)
import time; time.sleep(0.5)
print("R:alive", flush=True)
