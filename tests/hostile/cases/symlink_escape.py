# argv[2]: a planted file outside the box. Symlinks to it and to / are made in
# the box, then written through.
import os, sys
os.symlink(sys.argv[2], "link_file")
os.symlink("/", "link_root")
out = []
try:
    with open("link_file", "a") as f:
        f.write("through-link\n")
    out.append("file:wrote")
except OSError as e:
    out.append("file:%d" % e.errno)
target = "link_root" + os.path.dirname(sys.argv[2]) + "/via_root.txt"
try:
    with open(target, "w") as f:
        f.write("via-root\n")
    out.append("root:wrote")
except OSError as e:
    out.append("root:%d" % e.errno)
print("R:" + " ".join(out))
