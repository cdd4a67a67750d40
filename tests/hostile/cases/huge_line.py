# One 8 MB line with no newline at all.
import os
os.write(1, b"y" * (8 << 20))
