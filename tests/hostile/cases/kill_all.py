import os, signal
try:
    os.kill(-1, signal.SIGKILL)
    print("R:sent", flush=True)
except OSError as e:
    print("R:refused %d" % e.errno, flush=True)
print("R:alive", flush=True)
