import tracemalloc

def run_game():
    # 60 distinct writes outside the work directory (each fails: the
    # directory does not exist), each tried twice: 50 are listed
    for k in range(2):
        for i in range(60):
            try:
                open("/nonexistent-grader-dir/f%d" % i, "a")
            except OSError:
                pass
    tracemalloc.start()
    snapshot1 = tracemalloc.take_snapshot()
    snapshot2 = tracemalloc.take_snapshot()
    print(len(snapshot2.compare_to(snapshot1, 'lineno')) >= 0)

if __name__ == "__main__":
    run_game()
