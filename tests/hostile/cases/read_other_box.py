# argv[2]: a file inside another run's box (that run is still going).
import sys
try:
    print("R:read " + open(sys.argv[2]).read().strip())
except OSError as e:
    print("R:refused %d" % e.errno)
try:
    open(sys.argv[2], "a").write("tampered\n")
    print("R:wrote")
except OSError as e:
    print("R:write refused %d" % e.errno)
