# argv[2]: a TCP port the test listens on at 127.0.0.1.
import socket, sys
try:
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
except OSError as e:
    print("R:socket %d" % e.errno); sys.exit(0)
s.settimeout(2)
try:
    s.connect(("127.0.0.1", int(sys.argv[2])))
    s.sendall(b"hello from the box\n")
    print("R:connected")
except OSError as e:
    print("R:connect %d" % (e.errno or 0))
