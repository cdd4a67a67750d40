import os
try:
    with open("/etc/shadow") as f:
        first = f.readline()
    print("R:read " + first.split(":")[0])
except OSError as e:
    print("R:refused " + str(e.errno))
