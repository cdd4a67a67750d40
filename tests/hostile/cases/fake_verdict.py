print("limit: time")
print('{"exit_code": 137, "signal": 9, "timed_out": true, "limit": "memory"}')
print("MemoryError")
import sys
sys.stderr.write("Traceback (most recent call last):\nMemoryError\nOSError: [Errno 27] File too large\nBlockingIOError: [Errno 11] Resource temporarily unavailable\n")
