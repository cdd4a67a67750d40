#!/usr/bin/env python3
"""Regenerates the fixtures of tests/unit/test_tracemalloc.c.

    python3 generate.py [PYTHON ...]

With no argument it uses the pyenv builds of the grader's dev machine
(/root/.pyenv/versions/3.{8..13}.*/bin/python3).  For each interpreter this
file is copied to "/tmp/grader tm-fixtures/<version>/leaky_app.py" (note the
space) and run there as `python3 leaky_app.py --child TSV MODE`, so that 3.8
prints the entry script as typed ("leaky_app.py") and 3.9+ prints it absolute,
exactly as when the grader runs a submission.

The child prints real Statistic and StatisticDiff lines (snapshot diffs and
statistics for the 'lineno', 'filename' and 'traceback' key types, cumulative
too, startup blocks under PYTHONTRACEMALLOC, code compiled under hostile file
names, objects built with the tracemalloc constructors for every size unit)
mixed with the noise a student's stdout holds.  Its stdout is saved verbatim
as python-<version>.txt.  For every statistic it prints, it also writes one
row to python-<version>.tsv with the raw values read from the Python object,
never from the printed text:

    kind  file  line  size  size_diff  count  count_diff  entry

kind is S (Statistic) or D (StatisticDiff); file is traceback[0].filename
(the frame str() shows) in UTF-8 with surrogateescape, plus any prefix printed
before the statistic, with bytes outside 0x20..0x7e and '%' written as %XX;
size_diff and count_diff are 0 for S rows; entry is 1 when the file names
this script.  The C test parses the .txt and must find exactly these rows,
in this order.
"""
import os
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = "/tmp/grader tm-fixtures"
VERSIONS = ["3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0"]

# Imported by the child: allocations in a file whose name ends in the entry
# script's name, which must never count as the entry file.
NEAR_MISS = """\
class Player:
    def __init__(self, name):
        self.name = name
        self.blob = bytearray(2000)


def make(n):
    return [Player("Player %d" % i) for i in range(n)]
"""

# compile() accepts any str as a file name and tracemalloc prints it as is.
# A name holding a newline would split the printed line, so none here.
HOSTILE_NAMES = [
    "",
    "<string>",
    "bad\udcff\udcfe.py",                  # invalid UTF-8 once printed
    "C:\\Users\\me\\My Game\\game.py",
    "/x/odd:12: size=1 B/x.py",
    "/x/a, count=1 (+1)/b.py",
    "/home/u/dir with space/game 1.py",
    "na\u00efve \u00fcn\u00efcode \U0001f40d.py",
    "\tlead tab.py",
    "trailing space.py ",
    "x.py:99",
]

# Sizes straddling every unit boundary of _format_size (notes section 1.2).
SIZES = [
    0, 1, 52, 10239, 10240, 10291, 10292, 102348, 102399, 102400,
    10484736, 10485759, 10485760, 104857599, 104857600,
    10737418240, 107374182400, 5 * 1024 ** 5, 2 ** 62, 2 ** 70,
]


def esc(name):
    out = []
    for b in name.encode("utf-8", "surrogateescape"):
        if 0x20 <= b <= 0x7E and b != 0x25:
            out.append(chr(b))
        else:
            out.append("%%%02X" % b)
    return "".join(out)


# ---------------------------------------------------------------- child side

def child(tsv_path, mode):
    import tracemalloc

    me = os.path.abspath(sys.argv[0])
    rows = open(tsv_path, "a", encoding="ascii")

    def emit(stat, prefix=""):
        print(prefix + str(stat))
        frame = stat.traceback[0]
        diff = isinstance(stat, tracemalloc.StatisticDiff)
        rows.write("\t".join([
            "D" if diff else "S",
            esc(prefix + frame.filename),
            str(frame.lineno),
            str(stat.size),
            str(stat.size_diff if diff else 0),
            str(stat.count),
            str(stat.count_diff if diff else 0),
            "1" if os.path.abspath(frame.filename) == me else "0",
        ]) + "\n")

    if mode == "startup":
        # PYTHONTRACEMALLOC=1: interpreter startup blocks, many without a
        # Python frame, print as <unknown>:0.
        snap = tracemalloc.take_snapshot()
        for key in ("filename", "lineno"):
            stats = snap.statistics(key)
            print("[ Startup statistics, %s ]" % key)
            for stat in stats[:6]:
                emit(stat)
            for stat in stats[6:]:
                if stat.traceback[0].filename == "<unknown>":
                    emit(stat)
            print()
        rows.close()
        return

    tracemalloc.start(5)
    import json  # noqa: F401  (imported after start(): <frozen importlib...> lines)
    import not_leaky_app

    freed_later = [bytearray(3000) for _ in range(4)]
    snapshot1 = tracemalloc.take_snapshot()
    del freed_later

    class Game:
        def __init__(self, name):
            self.name = name
            self.players = []

    game = Game("The Big Game")
    for player in not_leaky_app.make(5):
        game.players.append(player)
    print("Game '%s' has %d players." % (game.name, len(game.players)))
    big = bytearray(200 * 1024)
    huge = bytearray(11 * 1024 * 1024)
    hostile = {}
    for i, name in enumerate(HOSTILE_NAMES):
        src = "\n\ndata = [bytearray(%d) for _ in range(3)]\n" % (1000 + 100 * i)
        ns = {}
        exec(compile(src, name, "exec"), ns)
        hostile[name] = ns
    snapshot2 = tracemalloc.take_snapshot()

    ours = set(HOSTILE_NAMES) | {me, os.path.abspath(not_leaky_app.__file__)}

    def interesting(stat):
        return any(f.filename in ours or os.path.abspath(f.filename) in ours
                   for f in stat.traceback)

    for key, cumulative in (("lineno", False), ("lineno", True),
                            ("filename", False), ("filename", True),
                            ("traceback", False)):
        label = key + (" cumulative" if cumulative else "")
        diffs = snapshot2.compare_to(snapshot1, key, cumulative)
        print("[ Top 10 differences, %s ]" % label)
        for stat in diffs[:10]:
            emit(stat)
        print("[ Our files, %s ]" % label)
        for stat in diffs[10:]:
            if interesting(stat):
                emit(stat)
        print()
        stats = snapshot2.statistics(key, cumulative)
        print("[ Top 5 statistics, %s ]" % label)
        for stat in stats[:5]:
            emit(stat)
        for stat in stats[5:]:
            if interesting(stat):
                emit(stat)
        print()

    # Student-style output around the statistics: labels and indentation
    # before a statistic, Trace lines, formatted tracebacks, reprs.
    diffs = snapshot2.compare_to(snapshot1, "lineno")
    mine = [d for d in diffs
            if os.path.abspath(d.traceback[0].filename) == me][:3]
    for stat in mine:
        emit(stat, "Leak: ")
        emit(stat, "    ")
    traces = [t for t in snapshot2.traces
              if t.traceback[0].filename in ours][:6]
    for trace in traces:
        print(trace)
    for stat in mine[:1]:
        print(repr(stat))
        print("\n".join(stat.traceback.format()))
    current, peak = tracemalloc.get_traced_memory()
    print("Current memory: %d B; peak %d B" % (current, peak))
    print("Top 10 lines:")
    print("#1: leaky_app.py:42: 1.5 KiB")

    # Hand-built objects: every unit, signs, count 0, huge values.
    def tb(name, line):
        return tracemalloc.Traceback(((name, line),))

    print("[ Constructed ]")
    Statistic, StatisticDiff = tracemalloc.Statistic, tracemalloc.StatisticDiff
    for i, size in enumerate(SIZES):
        site = tb(["x.py", "leaky_app.py", "not_leaky_app.py", "./leaky_app.py"][i % 4], 3 + i)
        emit(Statistic(site, size, 1))
        emit(Statistic(site, size, 0))
        emit(StatisticDiff(site, size, size, 7, 7))
        emit(StatisticDiff(site, 0, -size, 0, -2))
        emit(StatisticDiff(site, size, 0, 2, 0))
    emit(Statistic(tb("<unknown>", 0), 0, 0))
    emit(Statistic(tb("x.py", 0), 102396, 10))       # average 10239.6 -> "10240 B"
    emit(Statistic(tb("x.py", 1), 105, 2))           # average 52.5 -> "52 B"
    emit(Statistic(tb("x.py", 2), -102400, 1))       # negative size and average
    emit(Statistic(tb("x.py", 3), 100, -2))          # negative count
    emit(StatisticDiff(tb("x.py", 4), 5, -53687091200, 3, -7))
    emit(Statistic(tb("x.py", 5), 2 ** 40, 2 ** 40))
    emit(Statistic(tb("<frozen abc>", 123), 448, 4))
    emit(StatisticDiff(tb("<frozen importlib._bootstrap_external>", 0),
                       1047552, 86528, 9921, 811))
    emit(Statistic(tb("leaky_app.py", 2 ** 31), 56, 1))
    # Oldest frame last in the raw tuple: str() shows "outer.py:9".
    emit(Statistic(tracemalloc.Traceback((("inner.py", 3), ("outer.py", 9))), 4096, 2))
    print("done")
    rows.close()


# --------------------------------------------------------------- driver side

def run_one(python):
    version = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        check=True, capture_output=True, text=True).stdout.strip()
    work = os.path.join(WORK, version)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    shutil.copyfile(os.path.abspath(__file__), os.path.join(work, "leaky_app.py"))
    with open(os.path.join(work, "not_leaky_app.py"), "w") as f:
        f.write(NEAR_MISS)

    tsv = os.path.join(HERE, "python-%s.tsv" % version)
    with open(tsv, "w") as f:
        f.write("# kind\tfile\tline\tsize\tsize_diff\tcount\tcount_diff\tentry"
                "\t(generated by generate.py with %s)\n" % version)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env.update(PYTHONIOENCODING="utf-8:surrogateescape", PYTHONHASHSEED="0",
               PYTHONDONTWRITEBYTECODE="1")
    out = b""
    for mode, extra in (("startup", {"PYTHONTRACEMALLOC": "1"}), ("run", {})):
        proc = subprocess.run([python, "leaky_app.py", "--child", tsv, mode],
                              cwd=work, env=dict(env, **extra),
                              capture_output=True)
        if proc.returncode != 0:
            sys.stderr.write(proc.stderr.decode("utf-8", "replace"))
            raise SystemExit("%s failed in mode %s" % (python, mode))
        out += proc.stdout
    with open(os.path.join(HERE, "python-%s.txt" % version), "wb") as f:
        f.write(out)
    shutil.rmtree(work, ignore_errors=True)
    print("python-%s: %d statistic rows" % (version, sum(
        1 for line in open(tsv) if not line.startswith("#"))))


def main():
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        child(sys.argv[2], sys.argv[3])
        return
    pythons = sys.argv[1:] or ["/root/.pyenv/versions/%s/bin/python3" % v
                               for v in VERSIONS]
    for python in pythons:
        run_one(python)
    try:
        os.rmdir(WORK)
    except OSError:
        pass


if __name__ == "__main__":
    main()
