# Binary and invalid UTF-8 on both streams, NUL bytes, lone surrogates' bytes.
import os
os.write(1, b"A\x00B\xff\xfe\xc3\x28\xed\xa0\x80\x1b[2J\x7fZ\n")
os.write(2, b"\x80\x81\x82\xf8\x88\x80\x80\x80\n")
