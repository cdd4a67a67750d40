# Thread bomb, bounded at 3000 threads; each thread sleeps.
import sys, threading, time
n = 0
try:
    for _ in range(3000):
        t = threading.Thread(target=time.sleep, args=(600,), daemon=True)
        t.start()
        n += 1
except BaseException as e:
    print("R:threads=%d error=%s" % (n, type(e).__name__), flush=True)
    raise
print("R:threads=%d" % n, flush=True)
time.sleep(600)
