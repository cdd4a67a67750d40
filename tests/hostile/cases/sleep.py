# Sleeps far past the wall limit: must be timed out.
import time
time.sleep(600)
