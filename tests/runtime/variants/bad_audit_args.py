import sys
import tracemalloc

class Odd:
    def __fspath__(self):
        raise RuntimeError("no path")

def run_game():
    # Audit events raised by hand with arguments the hook does not expect:
    # the grader's hook must never raise for them
    weird = [(), (None,), (1, 2, 3, 4, 5, 6), (Odd(), "w", 0), (b"\xff/x", None, -1),
             (object(), object()), ("ctypes",), (None, None, None)]
    n = 0
    for event in ("open", "socket.connect", "socket.getaddrinfo", "socket.bind",
                  "subprocess.Popen", "os.system", "os.exec", "import", "ctypes.dlopen",
                  "object.__setattr__", "sys.settrace"):
        for args in weird:
            try:
                sys.audit(event, *args)
                n += 1
            except PermissionError as e:
                print("refused:", event, e)
    print("survived", n)
    tracemalloc.start()
    snapshot1 = tracemalloc.take_snapshot()
    snapshot2 = tracemalloc.take_snapshot()
    print(len(snapshot2.compare_to(snapshot1, 'lineno')) >= 0)

if __name__ == "__main__":
    run_game()
