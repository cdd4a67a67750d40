# Blocking read of stdin: stdin is /dev/null, so read() returns '' at once.
import sys
data = sys.stdin.read()
print("R:" + repr(data))
