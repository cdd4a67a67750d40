# A flood of two-byte UTF-8 characters shifted by one ASCII byte, so the
# output cap (an even number of bytes) falls in the middle of a character.
import sys
sys.stdout.buffer.write(b"a" + "\u00e9".encode() * 200000)
