# Memory bomb: grows a list of 10 MB blocks up to 3 GB.
blocks = []
for _ in range(300):
    blocks.append(bytearray(10 << 20))
print("R:allocated 3GB")
