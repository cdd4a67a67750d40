import fcntl, termios
try:
    fcntl.ioctl(0, termios.TIOCSTI, b"x")
    print("R:ok")
except OSError as e:
    print("R:%d" % e.errno)
