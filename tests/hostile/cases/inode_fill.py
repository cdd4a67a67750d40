# Creates up to 200000 empty files in the box, reporting progress.
import os, sys
n = 0
try:
    for i in range(200000):
        open("f%d" % i, "w").close()
        n += 1
        if n % 10000 == 0:
            sys.stderr.write("n=%d\n" % n); sys.stderr.flush()
except OSError as e:
    print("R:stopped at %d %s" % (n, e.__class__.__name__), flush=True)
    raise
print("R:created %d" % n, flush=True)
