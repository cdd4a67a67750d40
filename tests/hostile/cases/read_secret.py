# argv[2]: a file the test planted outside the box.
import sys
try:
    print("R:read " + open(sys.argv[2]).read().strip())
except OSError as e:
    print("R:refused %d" % e.errno)
