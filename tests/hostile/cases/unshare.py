import ctypes, os
libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWUSER = 0x10000000
if hasattr(os, "unshare"):
    try:
        os.unshare(CLONE_NEWUSER); print("R:ok")
    except OSError as e:
        print("R:%d" % e.errno)
else:
    r = libc.unshare(CLONE_NEWUSER)
    print("R:ok" if r == 0 else "R:%d" % ctypes.get_errno())
