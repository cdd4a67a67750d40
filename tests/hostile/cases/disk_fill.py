# Fills the disk from the box, writing 1 MB chunks up to 4 GB.
import os
chunk = b"d" * (1 << 20)
with open("big.bin", "wb", buffering=0) as f:
    for _ in range(4096):
        f.write(chunk)
print("R:wrote 4GB")
