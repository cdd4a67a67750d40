import sys
line = b"e" * 1023 + b"\n"
while True:
    sys.stderr.buffer.write(line)
    sys.stderr.flush()
