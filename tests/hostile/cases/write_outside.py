# argv[2]: a directory outside the box; tries to create a file in it.
import os, sys
p = os.path.join(sys.argv[2], "escaped.txt")
try:
    with open(p, "w") as f:
        f.write("escaped\n")
    print("R:wrote")
except OSError as e:
    print("R:refused %d" % e.errno)
