# setsid + double fork daemon that sleeps; the parent exits 0 at once.
import os, sys, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.closerange(0, 3)
        time.sleep(600)
    os._exit(0)
print("R:parent done", flush=True)
