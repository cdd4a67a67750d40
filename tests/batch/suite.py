#!/usr/bin/env python3
"""Batch end-to-end tests for the grader (called by run.sh; see there for usage).

Each test is a function that takes a Check and asserts on real values: the
rows of results.jsonl, the reports' bytes, exit statuses, the summary line
on stderr, scores compared with `grader grade` of the same folder alone.
Classes are built under one temporary directory (removed at the end,
whatever happened) from copies of submissions/*/leaky_app.py; a comment line
appended at the end (line numbers unchanged) makes each copy's content
distinct, since the batch caches results by content.  Git repositories are
built with the real `git`, fixed names and dates, HOME inside that directory,
GIT_CONFIG_GLOBAL=/dev/null and GIT_CONFIG_NOSYSTEM=1.  Every command has a
timeout and runs in a session of its own, killed whole when the timeout
passes.  No test asserts a duration.
"""
import csv
import errno
import io
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import xml.etree.ElementTree as ET
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
from harness import (Commands, Failed, Proc, Skip, run_suite, sha256, shared, short,  # noqa: E402
                     missing_tools, test, unique_dir, write)
RUBRIC = os.path.join(REPO, "rubrics", "weakref-leak.yaml")
BASELINES = os.path.join(REPO, "rubrics", "baselines")
SAMPLES = os.path.join(REPO, "submissions")
# kind -> (sample folder, score it gets)
KINDS = {
    "fix": ("canonical-fix", 100),
    "unfixed": ("unfixed", 25),
    "crash": ("crashing-fix", 0),   # stops before its snapshots: nothing to judge
    "syntax": ("syntax-error", 0),
    "partial": ("partial-fix-del-player", 60),
    "proxy": ("proxy-fix", 100),
}
SCORES = {k: v[1] for k, v in KINDS.items()}

PY = "/usr/bin/python3"  # passed as --python to every grading (a pyenv shim on PATH is slow)
ENTRY = "leaky_app.py"

# The default rubric's criteria, in order, with their points.
CRITERIA = [("runs", 10), ("report", 10), ("weak-reference", 15), ("no-cycle", 25),
            ("freed", 20), ("tracemalloc", 15), ("players-reachable", 5)]
IDS = [cid for cid, _ in CRITERIA]
TIMING = ("wall_ms", "cpu_ms", "max_rss_kb")  # the timing fields of runs.* (may differ between gradings)
REPORTS = ("results.jsonl", "grades.csv", "canvas.csv", "junit.xml", "report.html")
SLOW_SECONDS = 4  # how long a "slow" submission sleeps (after printing its report)

JOBS = max(1, int(os.environ.get("BATCH_SUITE_JOBS", "2") or 2))
TIMEOUT = float(os.environ.get("BATCH_SUITE_TIMEOUT") or 120)  # one grader call (a batch here takes seconds)
GIT_TIMEOUT = 60
TOOL_TIMEOUT = 60  # unzip, bash run_autograder
MAX_TIMEOUTS = 3  # after this many commands killed at their timeout, the rest are not started

COMMITTER = ("Course Bot", "bot@example.edu")
AUTHOR = "Ada Student <ada@example.edu>"

GRADER = None
TMP = None
HOME = None
DATA = {}  # kind -> bytes of the sample's leaky_app.py


# --------------------------------------------------------------------------
# Running commands

def tool_env(extra=None):
    """The environment of every command: the caller's, without anything that
    steers git or the grader, with an isolated HOME."""
    drop = ("NO_COLOR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "EMAIL", "MAKEFLAGS", "MFLAGS", "MAKELEVEL",
            "PAGER", "EDITOR", "VISUAL", "GRADER", "AUTOGRADER_ROOT")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") and not k.startswith("GRADER_") and k not in drop}
    env.update({
        "HOME": HOME,
        "XDG_CONFIG_HOME": os.path.join(HOME, ".config"),
        "XDG_CACHE_HOME": os.path.join(HOME, ".cache"),
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "NO_COLOR": "1",
    })
    for k, v in (extra or {}).items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


CMDS = Commands(JOBS, MAX_TIMEOUTS)
HEAVY = CMDS.heavy
run = CMDS.run
kill_group = Commands.kill_group


class Background:
    """A grader command left running (the caller holds a HEAVY slot), with
    stdout and stderr in files, so that the test can watch its output folder
    and signal it."""

    def __init__(self, args, cwd=None):
        CMDS.check_budget()
        self.cmd = [GRADER] + list(args)
        self.outf = tempfile.TemporaryFile(dir=TMP)
        self.errf = tempfile.TemporaryFile(dir=TMP)
        self.start = time.monotonic()
        self.p = subprocess.Popen(self.cmd, cwd=cwd or TMP, env=tool_env(), stdout=self.outf, stderr=self.errf,
                                  stdin=subprocess.DEVNULL, start_new_session=True)
        CMDS.track(self.p.pid)

    def signal(self, sig):
        """To the whole process group, as a terminal's Ctrl-C does."""
        kill_group(self.p.pid, sig)

    def running(self):
        return self.p.poll() is None

    def wait(self, timeout=None):
        timed_out = False
        try:
            self.p.wait(timeout=TIMEOUT if timeout is None else timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            kill_group(self.p.pid)
            CMDS.timeouts.append(self.cmd)
            self.p.wait()
        finally:
            CMDS.forget(self.p.pid)
        self.outf.seek(0)
        self.errf.seek(0)
        out, err = self.outf.read(), self.errf.read()
        self.outf.close()
        self.errf.close()
        return Proc(self.cmd, self.p.returncode, out, err, time.monotonic() - self.start, timed_out)

    def abandon(self):
        if self.p.poll() is None:
            kill_group(self.p.pid)
        try:
            self.wait(10)
        except Exception:  # noqa: BLE001 - best effort on a failing test's way out
            pass


def grader(args, cwd=None, env_extra=None, timeout=None):
    return run([GRADER] + list(args), cwd or TMP, tool_env(env_extra), TIMEOUT if timeout is None else timeout,
               heavy=True)


def batch(paths, out, *opts, jobs=2, cwd=None):
    """`grader batch --python PY -j JOBS -o OUT OPTS... PATHS...`."""
    args = ["batch", "--python", PY, "-j", str(jobs), "-o", out] + list(opts) + list(paths)
    return grader(args, cwd=cwd)


def grade(target, *opts, fmt="json"):
    return grader(["grade", "--python", PY, "--format", fmt] + list(opts) + [target])


def git(args, cwd, env_extra=None, check=True):
    cmd = ["git", "-c", "user.name=" + COMMITTER[0], "-c", "user.email=" + COMMITTER[1],
           "-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false"] + list(args)
    p = run(cmd, cwd, tool_env(env_extra), GIT_TIMEOUT)
    if check and (p.timed_out or p.rc != 0):
        raise Failed("`git %s` failed: %s" % (" ".join(args), p.brief()))
    return p


def tool(cmd, cwd=None, env_extra=None, timeout=TOOL_TIMEOUT, heavy=False):
    return run(cmd, cwd or TMP, tool_env(env_extra), timeout, heavy=heavy)


# --------------------------------------------------------------------------
# Checks

def must(proc, what, rc=0):
    """A command that has to exit with `rc` for the test to go on."""
    if proc.timed_out or proc.rc != rc:
        raise Failed("%s: expected exit %d, got %s" % (what, rc, proc.brief()))
    return proc


SUMMARY_RE = re.compile(r"grader batch: (\d+) of (\d+) submissions have a result in .*? \((\d+) graded, (\d+) invalid, "
                        r"(\d+) grader errors; (\d+) reused from the cache, (\d+) kept from before\)(.*)$", re.M)
PROGRESS_RE = re.compile(r"^grader batch: (\d+)/(\d+) done, ", re.M)


def summary(proc, what):
    """The numbers of the last summary line on stderr."""
    found = SUMMARY_RE.findall(proc.stderr)
    if not found:
        raise Failed("%s: no summary line ('grader batch: N of M submissions have a result in ... (... reused from "
                     "the cache, K kept from before)') on stderr: %s" % (what, short(proc.stderr, 600)))
    g = found[-1]
    keys = ("done", "total", "graded", "invalid", "errors", "cached", "kept")
    s = {k: int(v) for k, v in zip(keys, g[:7])}
    s["tail"] = g[7]
    return s


def read(path):
    with open(path, "rb") as f:
        return f.read()


def rows_of(out, what):
    """The rows of OUT/results.jsonl: every line one JSON object with an id."""
    path = os.path.join(out, "results.jsonl")
    if not os.path.isfile(path):
        raise Failed("%s: %s does not exist" % (what, path))
    data = read(path)
    if data and not data.endswith(b"\n"):
        raise Failed("%s: results.jsonl does not end with a newline" % what)
    rows = []
    for n, line in enumerate(data.split(b"\n")[:-1] if data else [], 1):
        try:
            row = json.loads(line)
        except ValueError as e:
            raise Failed("%s: results.jsonl line %d is not JSON (%s): %s" % (what, n, e, short(line[:200])))
        if not isinstance(row, dict) or not isinstance(row.get("id"), str):
            raise Failed("%s: results.jsonl line %d is not an object with a string id" % (what, n))
        rows.append(row)
    return rows


def lines_of(out):
    path = os.path.join(out, "results.jsonl")
    data = read(path) if os.path.isfile(path) else b""
    return [l for l in data.split(b"\n") if l]


def once(c, rows, ids, what):
    """Every id in `ids` has exactly one row, and there is no other; returns id -> row."""
    got = [r["id"] for r in rows]
    dup = sorted({i for i in got if got.count(i) > 1})
    c(not dup, "%s: ids with more than one row: %s" % (what, dup))
    missing = sorted(set(ids) - set(got))
    extra = sorted(set(got) - set(ids))
    c(not missing, "%s: ids without a row: %s" % (what, missing))
    c(not extra, "%s: rows for unexpected ids: %s" % (what, extra))
    return {r["id"]: r for r in rows}


def points(res):
    """criterion id -> (points, passed) of a result."""
    return {x.get("id"): (x.get("points"), x.get("passed")) for x in (res.get("criteria") or []) if isinstance(x, dict)}


def strip_timing(row):
    row = json.loads(json.dumps(row))
    for run_ in (row.get("runs") or {}).values():
        if isinstance(run_, dict):
            for k in TIMING:
                run_.pop(k, None)
    return row


def tree(root, skip=("cache",)):
    """relative path -> bytes of every file beneath root (skipping top-level `skip`)."""
    files = {}
    for dirpath, dirnames, filenames in os.walk(root):
        rel = os.path.relpath(dirpath, root)
        if rel == ".":
            dirnames[:] = [d for d in dirnames if d not in skip]
        for f in filenames:
            p = os.path.join(dirpath, f)
            files[os.path.normpath(os.path.join(rel, f))] = read(p)
    return files


def same_trees(c, a, b, what, normalize=None):
    ta, tb = tree(a), tree(b)
    only_a = sorted(set(ta) - set(tb))
    only_b = sorted(set(tb) - set(ta))
    c(not only_a, "%s: files only in the first: %s" % (what, only_a[:10]))
    c(not only_b, "%s: files only in the second: %s" % (what, only_b[:10]))
    differ = []
    for k in sorted(set(ta) & set(tb)):
        x, y = ta[k], tb[k]
        if normalize:
            x, y = normalize(k, x), normalize(k, y)
        if x != y:
            differ.append(k)
    c(not differ, "%s: files that differ: %s" % (what, differ[:10]))


# --------------------------------------------------------------------------
# Files, classes and repositories

def make_dir(name):
    return unique_dir(TMP, name)


def variant(kind, tag):
    """The sample of `kind`, made distinct by a comment line at the end (so
    that no line number changes)."""
    data = DATA[kind]
    if not data.endswith(b"\n"):
        data += b"\n"
    return data + b"# variant %s\n" % tag.encode()


def slow(kind, tag):
    """A variant that sleeps SLOW_SECONDS after its report (same verdict)."""
    return variant(kind, tag) + b"import time\ntime.sleep(%d)\n" % SLOW_SECONDS


def make_class(name, members):
    """A folder of submissions: id -> bytes (written as ID/leaky_app.py) or a
    callable taking the member's path (to build anything else)."""
    d = make_dir(name)
    for mid, what in members.items():
        p = os.path.join(d, mid)
        if callable(what):
            what(p)
        else:
            write(os.path.join(p, ENTRY), what)
    return d


def no_script(p):
    write(os.path.join(p, "README.md"), b"I forgot to hand in my script.\n")


def git_repo(path, commits, bare_copy=None):
    """A repository at `path` whose commits are [(bytes of leaky_app.py,
    committer date)]; returns the commit ids (oldest first)."""
    os.makedirs(path, exist_ok=True)
    git(["init", "-q", path], TMP)
    ids = []
    for data, when in commits:
        write(os.path.join(path, ENTRY), data)
        git(["add", "-A"], path)
        git(["commit", "-q", "--no-verify", "-m", "commit %d" % (len(ids) + 1), "--author", AUTHOR], path,
            env_extra={"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": when})
        ids.append(git(["rev-parse", "HEAD"], path).stdout.strip())
    if bare_copy:
        git(["clone", "-q", "--bare", path, bare_copy], TMP)
    return ids


def alone(path):
    """`grader grade --format json` of one submission, shared between tests."""
    def build():
        p = grade(path)
        must(p, "grader grade %s" % path)
        res = p.json()
        if not isinstance(res, dict):
            raise Failed("grader grade %s: the result is not an object" % path)
        return res
    return shared("alone:" + path, build)


def wait_rows(bg, out, n, what, timeout=60):
    """Waits until OUT/results.jsonl holds at least n complete lines."""
    deadline = time.monotonic() + timeout
    path = os.path.join(out, "results.jsonl")
    while time.monotonic() < deadline:
        try:
            have = read(path).count(b"\n")
        except OSError:
            have = 0
        if have >= n:
            return have
        if not bg.running():
            p = bg.wait(5)
            raise Failed("%s: the batch ended with %d rows before it could be interrupted: %s" % (what, have, p.brief()))
        time.sleep(0.05)
    bg.abandon()
    raise Failed("%s: fewer than %d rows in results.jsonl after %d s" % (what, n, timeout))


def live_processes_naming(text):
    """Processes (not zombies) whose command line contains `text`."""
    found = []
    needle = text.encode()
    for pid in os.listdir("/proc"):
        if not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            cmdline = read("/proc/%s/cmdline" % pid)
            stat = read("/proc/%s/stat" % pid).decode("utf-8", "replace")
        except OSError:
            continue
        state = stat.rsplit(")", 1)[-1].split()[0] if ")" in stat else "?"
        if needle in cmdline and state not in ("Z", "X"):
            found.append("%s (%s): %s" % (pid, state, short(cmdline.replace(b"\0", b" ").decode("utf-8", "replace"), 120)))
    return found


# --------------------------------------------------------------------------
# Shared classes

NO_SCRIPT_ID = "no-script"


def samples_batch():
    """The six samples (ids = their folder names, exact bytes) and a folder
    without leaky_app.py, graded in one batch."""
    def build():
        members = {KINDS[k][0]: DATA[k] for k in KINDS}
        members[NO_SCRIPT_ID] = no_script
        klass = make_class("samples-class", members)
        out = os.path.join(make_dir("samples-out"), "out")
        p = batch([klass], out)
        return klass, out, p
    return shared("samples-batch", build)


SAMPLE_IDS = sorted([KINDS[k][0] for k in KINDS] + [NO_SCRIPT_ID])
SAMPLE_SCORE = dict([(KINDS[k][0], SCORES[k]) for k in KINDS] + [(NO_SCRIPT_ID, 0)])


def samples(c):
    klass, out, p = samples_batch()
    must(p, "grader batch of the samples")
    rows = rows_of(out, "samples batch")
    return klass, out, p, once(c, rows, SAMPLE_IDS, "samples batch")


def distinct_class(name, tag):
    """Six distinct variants (one per kind) and a folder without a script."""
    members = {"s-%s" % k: variant(k, "%s-%s" % (tag, k)) for k in KINDS}
    members["s-none"] = no_script
    return make_class(name, members), dict([("s-%s" % k, SCORES[k]) for k in KINDS] + [("s-none", 0)])


# --------------------------------------------------------------------------
# Command line

@test("batch, merge and export --help exit 0 and describe their options")
def _(c):
    p = must(grader(["batch", "--help"]), "grader batch --help")
    for opt in ("--rubric", "--python", "-j", "-o", "--resume", "--shard", "--cache", "--isolation", "--deadline",
                "--rev", "--before", "--trust-owner"):
        c(re.search(r"(^|[\s\[])%s\b" % re.escape(opt), p.stdout), "batch --help does not mention %s" % opt)
    p = must(grader(["merge", "--help"]), "grader merge --help")
    c("-o OUTDIR" in p.stdout and "SHARD_DIR" in p.stdout, "merge --help: %s" % short(p.stdout))
    p = must(grader(["export", "--help"]), "grader export --help")
    c("gradescope" in p.stdout, "export --help does not mention gradescope: %s" % short(p.stdout))


@test("usage errors exit 2 and create no OUTDIR: no PATH, a missing PATH, --shard 0/2, 3/2 and 2, -j 0, "
      "--isolation bogus, --index, an unknown option")
def _(c):
    klass, _ = distinct_class("usage-class", "usage")
    base = make_dir("usage-out")
    cases = [([], "no PATH"), ([os.path.join(base, "does-not-exist")], "a missing PATH"),
             (["--shard", "0/2", klass], "--shard 0/2"), (["--shard", "3/2", klass], "--shard 3/2"),
             (["--shard", "2", klass], "--shard 2"), (["-j", "0", klass], "-j 0"),
             (["--isolation", "bogus", klass], "--isolation bogus"), (["--index", klass], "--index"),
             (["--no-such-option", klass], "an unknown option")]
    for n, (args, what) in enumerate(cases):
        out = os.path.join(base, "out-%d" % n)
        p = grader(["batch", "--python", PY, "-o", out] + args)
        c.eq(p.rc, 2, "batch with %s: exit status (%s)" % (what, p.brief()))
        c(p.stderr.strip(), "batch with %s: nothing on stderr" % what)
        c(not os.path.lexists(out), "batch with %s created OUTDIR" % what)
    p = grader(["merge", os.path.join(base, "out-0")])
    c.eq(p.rc, 2, "merge without -o: exit status (%s)" % p.brief())
    p = grader(["export", "-o", os.path.join(base, "x.zip")])
    c.eq(p.rc, 2, "export without a platform: exit status (%s)" % p.brief())


@test("two submissions with the same id: exit 2 naming both paths, nothing written "
      "(alice in two class folders; 'a b' and a_b; carol/ and carol.py)")
def _(c):
    root = make_dir("dup-ids")
    x = make_class("dup-ids/x", {"alice": variant("fix", "dup-x")})
    y = make_class("dup-ids/y", {"alice": variant("fix", "dup-y")})
    z = make_class("dup-ids/z", {"a b": variant("fix", "dup-z1"), "a_b": variant("fix", "dup-z2")})
    w = make_class("dup-ids/w", {"carol": variant("fix", "dup-w1")})
    write(os.path.join(w, "carol.py"), variant("fix", "dup-w2"))
    for n, (paths, names) in enumerate((([x, y], [os.path.join(x, "alice"), os.path.join(y, "alice")]),
                                        ([z], [os.path.join(z, "a b"), os.path.join(z, "a_b")]),
                                        ([w], [os.path.join(w, "carol"), os.path.join(w, "carol.py")]))):
        out = os.path.join(root, "out-%d" % n)
        p = batch(paths, out)
        what = "batch of %s" % " ".join(os.path.relpath(q, root) for q in paths)
        c.eq(p.rc, 2, "%s: exit status (%s)" % (what, p.brief()))
        for name in names:
            c(name in p.stderr, "%s: stderr does not name %s: %s" % (what, name, short(p.stderr)))
        c(not os.path.lexists(os.path.join(out, "results.jsonl")), "%s: results.jsonl written" % what)


# --------------------------------------------------------------------------
# Discovery and ids

@test("ids: entries of a class folder (folder, x.py file without its extension, bare repo carol.git -> carol, "
      "work-tree repo, non-ASCII bytes -> _, hidden entries skipped) and PATHs given directly "
      "(frank/leaky_app.py -> frank, a folder, hal.py -> hal, ivan.git -> ivan)")
def _(c):
    klass = make_class("ids-class", {"alice": variant("unfixed", "ids-alice"), "émile x": variant("crash", "ids-emile"),
                                     ".hidden": variant("fix", "ids-hidden")})
    write(os.path.join(klass, "bob.py"), variant("fix", "ids-bob"))
    src = make_dir("ids-src")
    git_repo(os.path.join(src, "carol"), [(variant("proxy", "ids-carol"), "2026-11-18T10:00:00+01:00")],
             bare_copy=os.path.join(klass, "carol.git"))
    dave = git_repo(os.path.join(klass, "dave"), [(variant("partial", "ids-dave"), "2026-11-18T11:00:00+01:00")])
    other = make_dir("ids-other")
    write(os.path.join(other, "frank", ENTRY), variant("unfixed", "ids-frank"))
    write(os.path.join(other, "gina", ENTRY), variant("fix", "ids-gina"))
    write(os.path.join(other, "hal.py"), variant("crash", "ids-hal"))
    git_repo(os.path.join(src, "ivan"), [(variant("fix", "ids-ivan"), "2026-11-18T12:00:00+01:00")],
             bare_copy=os.path.join(other, "ivan.git"))
    out = os.path.join(make_dir("ids-out"), "out")
    must(batch([klass, os.path.join(other, "frank", ENTRY), os.path.join(other, "gina"),
                os.path.join(other, "hal.py"), os.path.join(other, "ivan.git")], out), "batch")
    want = {"alice": 25, "bob": 100, "carol": 100, "dave": 60, "__mile_x": 0, "frank": 25, "gina": 100, "hal": 0,
            "ivan": 100}
    by = once(c, rows_of(out, "batch"), want, "batch")
    for i, score in want.items():
        r = by.get(i)
        if r is not None:
            c.eq((r.get("status"), r.get("score")), ("graded", score), "%s: (status, score)" % i)
    if "dave" in by:
        c.eq((by["dave"].get("submission") or {}).get("commit"), dave[0], "dave: submission.commit")
    c.eq([r["id"] for r in rows_of(out, "batch")], sorted(want), "the order of results.jsonl (sorted by id)")
    c(not os.path.lexists(os.path.join(out, "submissions", ".hidden")), "a hidden entry got a submissions/ folder")


@test("an entry of a class folder that is a symbolic link (to a student's folder) is a row, not silently dropped")
def _(c):
    klass = make_class("symlink-entry-class", {"real": variant("fix", "symentry-real")})
    elsewhere = make_class("symlink-entry-target", {"mallory": variant("fix", "symentry-mallory")})
    os.symlink(os.path.join(elsewhere, "mallory"), os.path.join(klass, "mallory"))
    out = os.path.join(make_dir("symlink-entry-out"), "out")
    p = must(batch([klass], out), "batch")
    by = {r["id"]: r for r in rows_of(out, "batch")}
    c("real" in by, "no row for the ordinary submission")
    s = summary(p, "batch")
    if c("mallory" in by, "no row for the entry `mallory` (a symbolic link to a folder holding leaky_app.py): the "
         "student vanishes from every report (summary: %d of %d submissions)" % (s["done"], s["total"])):
        # The class folder is the instructor's: a linked entry is followed
        # (README, "Grading a class"); links inside a submission never are.
        c.eq(by["mallory"].get("status"), "graded", "mallory: status")
        c.eq(by["mallory"].get("score"), 100.0, "mallory: score (the linked folder holds the fix)")


# --------------------------------------------------------------------------
# The samples in one batch: rows and reports

@test("samples batch: exit 0, one row per submission sorted by id, the status and score each sample gets; the "
      "summary counts them")
def _(c):
    klass, out, p, by = samples(c)
    for i in SAMPLE_IDS:
        r = by.get(i)
        if r is None:
            continue
        want_status = "invalid" if i == NO_SCRIPT_ID else "graded"
        c.eq((r.get("status"), r.get("score"), r.get("max_score")), (want_status, SAMPLE_SCORE[i], 100),
             "%s: (status, score, max_score)" % i)
    c.eq([r["id"] for r in rows_of(out, "samples")], SAMPLE_IDS, "the order of results.jsonl")
    s = summary(p, "samples batch")
    c.eq((s["done"], s["total"], s["graded"], s["invalid"], s["errors"], s["kept"]),
         (7, 7, 6, 1, 0, 0), "summary (done, total, graded, invalid, errors, kept)")
    c.eq(p.stdout, "", "stdout of grader batch")


@test("samples batch: each row is `grader grade --format json` of the same folder alone (same keys, plus id; same "
      "status, score and criteria)")
def _(c):
    klass, out, p, by = samples(c)
    for i in SAMPLE_IDS:
        r = by.get(i)
        if r is None:
            continue
        a = alone(os.path.join(klass, i))
        c.eq(sorted(r), sorted(list(a) + ["id"]), "%s: the row's keys" % i)
        c.eq((r.get("status"), r.get("score"), r.get("message")), (a.get("status"), a.get("score"), a.get("message")),
             "%s: (status, score, message) against grader grade alone" % i)
        c.eq(points(r), points(a), "%s: criteria (points, passed) against grader grade alone" % i)
        c.eq(r.get("rubric"), a.get("rubric"), "%s: rubric" % i)
        c.eq((r.get("submission") or {}).get("sha256"), (a.get("submission") or {}).get("sha256"),
             "%s: submission.sha256" % i)


@test("samples batch: grades.csv header is id,score,max_score,status,<criteria>,commit,late and each row has the "
      "score, status and criterion points of its result")
def _(c):
    klass, out, p, by = samples(c)
    text = read(os.path.join(out, "grades.csv")).decode("utf-8")
    lines = text.splitlines()
    c.eq(lines[0] if lines else None, ",".join(["id", "score", "max_score", "status"] + IDS + ["commit", "late"]),
         "grades.csv header")
    table = list(csv.DictReader(io.StringIO(text)))
    c.eq([t.get("id") for t in table], SAMPLE_IDS, "grades.csv ids, in order")
    for t in table:
        r = by.get(t.get("id"))
        if r is None:
            continue
        i = t["id"]
        try:
            c.eq(float(t["score"]), float(r["score"]), "grades.csv %s: score" % i)
            c.eq(float(t["max_score"]), 100.0, "grades.csv %s: max_score" % i)
        except (TypeError, ValueError):
            c(False, "grades.csv %s: score %r / max_score %r are not numbers" % (i, t.get("score"), t.get("max_score")))
        c.eq(t.get("status"), r.get("status"), "grades.csv %s: status" % i)
        pts = points(r)
        for cid in IDS:
            cell = t.get(cid)
            if r.get("status") == "graded":
                try:
                    c.eq(float(cell), float(pts[cid][0]), "grades.csv %s: %s" % (i, cid))
                except (TypeError, ValueError, KeyError):
                    c(False, "grades.csv %s: %s is %r" % (i, cid, cell))
            else:
                c.eq(cell, "", "grades.csv %s (invalid): %s" % (i, cid))
        c.eq((t.get("commit"), t.get("late")), ("", ""), "grades.csv %s: (commit, late) of a folder" % i)


@test("samples batch: canvas.csv has the Points Possible line second and one row per submission with its score")
def _(c):
    klass, out, p, by = samples(c)
    rows = list(csv.reader(io.StringIO(read(os.path.join(out, "canvas.csv")).decode("utf-8"))))
    c(len(rows) >= 2 and rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"],
      "canvas.csv header: %r" % (rows[0] if rows else None))
    c(len(rows) >= 2 and rows[1] and rows[1][0].startswith("    Points Possible"),
      "canvas.csv second line: %r" % (rows[1] if len(rows) > 1 else None))
    c(len(rows) >= 2 and rows[1][-1].strip() and float(rows[1][-1]) == 100.0,
      "canvas.csv points possible: %r" % (rows[1][-1:] if len(rows) > 1 else None))
    c.eq(len(rows) - 2, len(SAMPLE_IDS), "canvas.csv rows after the two header lines")
    for i in SAMPLE_IDS:
        mine = [r for r in rows[2:] if i in r]
        if c(len(mine) == 1, "canvas.csv: %d rows name %s" % (len(mine), i)):
            try:
                c.eq(float(mine[0][-1]), float(SAMPLE_SCORE[i]), "canvas.csv %s: score" % i)
            except ValueError:
                c(False, "canvas.csv %s: last column %r is not a number" % (i, mine[0][-1]))


@test("samples batch: junit.xml parses and has one testsuite per submission (7 testcases each)")
def _(c):
    klass, out, p, by = samples(c)
    try:
        root = ET.parse(os.path.join(out, "junit.xml")).getroot()
    except ET.ParseError as e:
        raise Failed("junit.xml does not parse: %s" % e)
    suites = root.findall("testsuite") if root.tag == "testsuites" else ([root] if root.tag == "testsuite" else [])
    c.eq(sorted(s.get("name") for s in suites), SAMPLE_IDS, "testsuite names")
    for s in suites:
        if s.get("name") != NO_SCRIPT_ID:
            c.eq(len(s.findall("testcase")), len(IDS), "testcases of %s" % s.get("name"))
    fix = [s for s in suites if s.get("name") == "canonical-fix"]
    if fix:
        c(not fix[0].findall(".//failure") and not fix[0].findall(".//error"), "canonical-fix has failures in junit.xml")
    unfixed = [s for s in suites if s.get("name") == "unfixed"]
    if unfixed:
        c.eq(len(unfixed[0].findall(".//failure")), 4, "failures of unfixed in junit.xml")


@test("samples batch: per submission, gradescope/results.json (7 tests when graded), prairielearn/results.json "
      "(score as a fraction, gradable false when invalid) and feedback.md")
def _(c):
    klass, out, p, by = samples(c)
    for i in SAMPLE_IDS:
        d = os.path.join(out, "submissions", i)
        try:
            gs = json.loads(read(os.path.join(d, "gradescope", "results.json")))
            pl = json.loads(read(os.path.join(d, "prairielearn", "results.json")))
            fb = read(os.path.join(d, "feedback.md")).decode("utf-8")
        except (OSError, ValueError) as e:
            c(False, "%s: %s" % (i, e))
            continue
        c.eq(gs.get("score"), SAMPLE_SCORE[i], "%s: gradescope score" % i)
        if i != NO_SCRIPT_ID:
            c.eq(len(gs.get("tests") or []), len(IDS), "%s: gradescope tests" % i)
        c(abs(float(pl.get("score", -1)) - SAMPLE_SCORE[i] / 100.0) < 1e-9,
          "%s: prairielearn score %r, expected %r" % (i, pl.get("score"), SAMPLE_SCORE[i] / 100.0))
        c.eq(pl.get("gradable"), i != NO_SCRIPT_ID, "%s: prairielearn gradable" % i)
        c(fb.strip(), "%s: feedback.md is empty" % i)
    c(os.path.isfile(os.path.join(out, "report.html")) and b"<html" in read(os.path.join(out, "report.html")).lower(),
      "report.html is missing or not HTML")


@test("samples batch: progress on stderr (not a terminal) is plain lines 'grader batch: X/Y done, ...' ending at 7/7")
def _(c):
    klass, out, p, by = samples(c)
    c("\r" not in p.stderr, "stderr holds carriage returns (a redrawn bar) although it is not a terminal")
    found = [(int(a), int(b)) for a, b in PROGRESS_RE.findall(p.stderr)]
    if c(found, "no 'grader batch: X/Y done' line: %s" % short(p.stderr, 500)):
        c.eq(found[-1], (7, 7), "the last progress line's X/Y")
        c(all(b == 7 and 0 <= a <= 7 for a, b in found), "progress lines: %r" % found)


@test("progress on a terminal is a bar redrawn in place ('\\r[###...] X/Y')")
def _(c):
    import pty
    klass, _ = distinct_class("pty-class", "pty")
    out = os.path.join(make_dir("pty-out"), "out")
    master, slave = pty.openpty()
    chunks = []

    def reader():
        while True:
            try:
                d = os.read(master, 4096)
            except OSError:
                break
            if not d:
                break
            chunks.append(d)
    t = threading.Thread(target=reader, daemon=True)
    t.start()
    try:
        p = run([GRADER, "batch", "--python", PY, "-j", "2", "-o", out, klass], TMP, tool_env(), TIMEOUT, heavy=True,
                stderr_fd=slave)
    finally:
        os.close(slave)
    t.join(10)
    os.close(master)
    must(p, "batch with a terminal as stderr")
    text = b"".join(chunks).decode("utf-8", "replace")
    c(re.search(r"\r\[[#.]+\] \d+/7\b", text), "no bar '\\r[###...] X/7' on the terminal: %r" % text[:300])
    c(re.search(r"\r\[#+\] 7/7\b", text), "the bar never shows 7/7 full: %r" % text[-300:])
    c(SUMMARY_RE.search(text.replace("\r", "")), "no summary line on the terminal: %r" % text[-300:])


# --------------------------------------------------------------------------
# Submissions that cannot be graded

@test("ungradeable submissions are rows in a batch with normal ones (no script, syntax error, empty file, binary "
      "file, leaky_app.py -> /etc/passwd, busy loop, git repo without commits): exit 0, one row each, the normal "
      "ones score as alone")
def _(c):
    def symlink(p):
        os.makedirs(p)
        os.symlink("/etc/passwd", os.path.join(p, ENTRY))

    def empty_repo(p):
        os.makedirs(p)
        git(["init", "-q", p], TMP)
    members = {
        "normal-fix": variant("fix", "ug-fix"), "normal-unfixed": variant("unfixed", "ug-unfixed"),
        "normal-partial": variant("partial", "ug-partial"), "no-script": no_script,
        "syntax": variant("syntax", "ug-syntax"), "empty": b"",
        "binary": bytes(range(256)) * 8, "symlink": symlink,
        "busy": b"while True:\n    pass\n", "git-empty": empty_repo,
    }
    klass = make_class("ungradeable-class", members)
    out = os.path.join(make_dir("ungradeable-out"), "out")
    p = must(batch([klass], out), "batch")
    by = once(c, rows_of(out, "batch"), members, "batch")
    s = summary(p, "batch")
    c.eq((s["done"], s["total"], s["errors"]), (len(members), len(members), 0), "summary (done, total, grader errors)")

    def status(i):
        return (by.get(i) or {}).get("status")
    for i in ("no-script", "symlink", "git-empty"):
        if i in by:
            c.eq((status(i), by[i].get("score")), ("invalid", 0), "%s: (status, score)" % i)
            c((by[i].get("message") or "").strip(), "%s: no message" % i)
    if "syntax" in by:
        c.eq((status("syntax"), by["syntax"].get("score")), ("graded", 0), "syntax: (status, score)")
    for i in ("empty", "binary"):
        if i in by:
            c(status(i) in ("graded", "invalid") and by[i].get("score") != 100,
              "%s: status %r score %r" % (i, status(i), by[i].get("score")))
    if "binary" in by:
        c.eq(by["binary"].get("score"), 0, "binary: score")
    if "busy" in by:
        after = ((by["busy"].get("runs") or {}).get("after") or {})
        c.eq((status("busy"), after.get("limit")), ("graded", "time"), "busy: (status, runs.after.limit)")
        c.eq(points(by["busy"]).get("runs"), (0, False), "busy: the runs criterion")
    for i, kind in (("normal-fix", "fix"), ("normal-unfixed", "unfixed"), ("normal-partial", "partial")):
        r = by.get(i)
        if r is None:
            continue
        a = alone(os.path.join(klass, i))
        c.eq((r.get("status"), r.get("score")), ("graded", SCORES[kind]), "%s: (status, score)" % i)
        c.eq((r.get("score"), points(r)), (a.get("score"), points(a)), "%s: score and criteria against grader grade alone" % i)


# --------------------------------------------------------------------------
# The baseline

@test("20 submissions: every row carries runs.before (exit 0, the statistics a lone `grader grade` gets), and one "
      "identical baseline record serves the whole batch")
def _(c):
    members = {"b%02d" % n: variant("fix" if n % 2 else "unfixed", "base-%d" % n) for n in range(20)}
    klass = make_class("baseline-class", members)
    out = os.path.join(make_dir("baseline-out"), "out")
    p = must(batch([klass], out), "batch")
    by = once(c, rows_of(out, "batch"), members, "batch")
    s = summary(p, "batch")
    c.eq((s["graded"], s["cached"]), (20, 0), "summary (graded, reused from the cache)")
    a = alone(os.path.join(SAMPLES, KINDS["fix"][0]))
    want = (a.get("runs") or {}).get("before") or {}
    if not c(want.get("statistics"), "grader grade alone: runs.before has no statistics"):
        return
    befores = set()
    for i, r in sorted(by.items()):
        b = (r.get("runs") or {}).get("before")
        if not c(isinstance(b, dict), "%s: no runs.before" % i):
            continue
        c.eq(b.get("exit_code"), want.get("exit_code"), "%s: runs.before.exit_code" % i)
        c(b.get("statistics") == want.get("statistics"), "%s: runs.before.statistics differ from grader grade alone's" % i)
        befores.add(json.dumps(b, sort_keys=True))
        n = int(i[1:])
        c.eq(r.get("score"), 100 if n % 2 else 25, "%s: score" % i)
    c.eq(len(befores), 1, "distinct runs.before records (timings included) in one batch: the baseline ran once")


# --------------------------------------------------------------------------
# The cache and re-runs

@test("a re-run without --resume reuses every result from the cache ('7 reused from the cache') and writes "
      "byte-identical outputs (reports and submissions/)")
def _(c):
    klass, want = distinct_class("rerun-class", "rerun")
    out = os.path.join(make_dir("rerun-out"), "out")
    p1 = must(batch([klass], out), "first batch")
    s1 = summary(p1, "first batch")
    c.eq(s1["cached"], 0, "first batch: reused from the cache")
    first = tree(out)
    p2 = must(batch([klass], out), "second batch")
    s2 = summary(p2, "second batch")
    c.eq((s2["done"], s2["cached"], s2["kept"]), (7, 7, 0), "second batch: (done, reused from the cache, kept)")
    second = tree(out)
    c.eq(sorted(second), sorted(first), "the files written")
    differ = sorted(k for k in first if k in second and first[k] != second[k])
    c(not differ, "files that differ after a re-run served from the cache: %s" % differ[:10])
    by = once(c, rows_of(out, "second batch"), want, "second batch")
    for i, score in want.items():
        if i in by:
            c.eq(by[i].get("score"), score, "%s: score" % i)


@test("a re-run after one submission changed regrades it (new score) and reuses the others ('6 reused'), "
      "whose rows stay byte-identical")
def _(c):
    klass, want = distinct_class("change-class", "change")
    out = os.path.join(make_dir("change-out"), "out")
    must(batch([klass], out), "first batch")
    before = {json.loads(l)["id"]: l for l in lines_of(out)}
    write(os.path.join(klass, "s-fix", ENTRY), variant("unfixed", "change-now-unfixed"))
    p = must(batch([klass], out), "second batch")
    s = summary(p, "second batch")
    c.eq((s["done"], s["cached"]), (7, 6), "second batch: (done, reused from the cache)")
    rows = rows_of(out, "second batch")
    by = once(c, rows, want, "second batch")
    if "s-fix" in by:
        c.eq(by["s-fix"].get("score"), 25, "s-fix (now the unfixed script): score")
        c.eq((by["s-fix"].get("submission") or {}).get("sha256"), sha256(variant("unfixed", "change-now-unfixed")),
             "s-fix: submission.sha256")
    after = {json.loads(l)["id"]: l for l in lines_of(out)}
    for i in want:
        if i != "s-fix" and i in before and i in after:
            c(before[i] == after[i], "%s: its row changed although its submission did not" % i)
    grades = read(os.path.join(out, "grades.csv")).decode().splitlines()
    c(any(l.startswith("s-fix,25,") for l in grades), "grades.csv has no 's-fix,25,' row: %r" % grades)


@test("two fresh gradings of a class (no shared cache) give identical outputs apart from timing fields")
def _(c):
    klass, want = distinct_class("fresh-class", "fresh")
    o1 = os.path.join(make_dir("fresh-out1"), "out")
    o2 = os.path.join(make_dir("fresh-out2"), "out")
    must(batch([klass], o1), "first batch")
    must(batch([klass], o2), "second batch")
    r1 = [strip_timing(r) for r in rows_of(o1, "first")]
    r2 = [strip_timing(r) for r in rows_of(o2, "second")]
    c.eq([r["id"] for r in r2], [r["id"] for r in r1], "ids")
    for a, b in zip(r1, r2):
        if a != b:
            diff = sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k))
            c(False, "%s: rows differ beyond runs.*.{wall_ms,cpu_ms,max_rss_kb} in %s" % (a["id"], diff))

    def normalize(rel, data):
        if rel == "results.jsonl":
            return b""  # compared above
        if rel == "report.html":
            return b""  # its timing figures (and what they order) derive from the timing fields
        if rel == "junit.xml":
            return re.sub(rb' time="[^"]*"', b"", data)
        if rel.endswith(os.path.join("gradescope", "results.json")):
            return re.sub(rb'"execution_time": *[0-9.eE+-]+', b"", data)
        return data
    same_trees(c, o1, o2, "the two OUTDIRs", normalize)


@test("--cache DIR: results are cached there (not in OUTDIR/cache), and another OUTDIR with the same --cache "
      "reuses them all, byte for byte")
def _(c):
    klass, want = distinct_class("cachedir-class", "cachedir")
    base = make_dir("cachedir-out")
    cache = os.path.join(base, "shared-cache")
    o1, o2 = os.path.join(base, "o1"), os.path.join(base, "o2")
    must(batch([klass], o1, "--cache", cache), "first batch")
    c(os.path.isdir(cache) and os.listdir(cache), "nothing in --cache %s" % cache)
    inside = os.path.join(o1, "cache")
    c(not os.path.isdir(inside) or not os.listdir(inside), "OUTDIR/cache was written although --cache was given")
    p = must(batch([klass], o2, "--cache", cache), "second batch")
    s = summary(p, "second batch")
    c.eq((s["done"], s["cached"]), (7, 7), "second batch: (done, reused from the cache)")
    for f in REPORTS:
        c(read(os.path.join(o1, f)) == read(os.path.join(o2, f)), "%s differs between the two OUTDIRs" % f)


@test("two students with identical files: each row's submission.path and each student's feedback name their own "
      "folder, never the other's")
def _(c):
    klass = make_class("twins-class", {"alice": variant("unfixed", "twins"), "bob": variant("unfixed", "twins"),
                                       "carol": no_script, "dave": no_script})
    out = os.path.join(make_dir("twins-out"), "out")
    must(batch([klass], out, jobs=1), "batch -j 1")
    by = once(c, rows_of(out, "batch"), ["alice", "bob", "carol", "dave"], "batch")
    for i, other in (("alice", "bob"), ("bob", "alice"), ("carol", "dave"), ("dave", "carol")):
        r = by.get(i)
        if r is None:
            continue
        path = (r.get("submission") or {}).get("path") or ""
        c(path.rstrip("/").endswith("/" + i), "%s: submission.path is %r (another student's folder?)" % (i, path))
        c(("/" + other) not in (r.get("message") or ""), "%s: the message names %s's folder: %r" % (i, other, r.get("message")))
        for rel in ("feedback.md", os.path.join("gradescope", "results.json"), os.path.join("prairielearn", "results.json")):
            p = os.path.join(out, "submissions", i, rel)
            if os.path.isfile(p):
                c(("/" + other).encode() not in read(p), "%s's %s names %s's folder" % (i, rel, other))


@test("a new batch (without --resume) into a used OUTDIR: results.jsonl, the reports and submissions/ hold only "
      "the new class")
def _(c):
    old = make_class("reuse-old", {"old-one": variant("fix", "reuse-1"), "old-two": variant("crash", "reuse-2")})
    new = make_class("reuse-new", {"new-one": variant("unfixed", "reuse-3")})
    out = os.path.join(make_dir("reuse-out"), "out")
    must(batch([old], out), "batch of the old class")
    must(batch([new], out), "batch of the new class")
    once(c, rows_of(out, "second batch"), ["new-one"], "second batch")
    grades = read(os.path.join(out, "grades.csv")).decode()
    c("old-one" not in grades and "old-two" not in grades, "grades.csv still lists the old class")
    subs = sorted(os.listdir(os.path.join(out, "submissions"))) if os.path.isdir(os.path.join(out, "submissions")) else []
    c.eq(subs, ["new-one"], "OUTDIR/submissions after the second batch")


# --------------------------------------------------------------------------
# Durability: SIGKILL, a torn line, SIGINT

def interrupt_class(name):
    """a01..a10 (quick fixes), z1 and z2 (fixes that sleep SLOW_SECONDS),
    zz (the unfixed script): graded in that order (by id) with -j 2, so that
    once the ten quick rows are written, z1 and z2 are running and zz waits."""
    members = {"a%02d" % n: variant("fix", "%s-a%d" % (name, n)) for n in range(1, 11)}
    members["z1"] = slow("fix", name + "-z1")
    members["z2"] = slow("fix", name + "-z2")
    members["zz"] = variant("unfixed", name + "-zz")
    want = {i: (25 if i == "zz" else 100) for i in members}
    return make_class(name + "-class", members), want


@test("SIGKILL in the middle of a batch, then --resume: each id once, the rows written before the kill kept byte "
      "for byte and not regraded ('K kept from before'), the rest graded; nothing of the killed batch keeps running")
def _(c):
    klass, want = interrupt_class("kill")
    out = os.path.join(make_dir("kill-out"), "out")
    with HEAVY:
        bg = Background(["batch", "--python", PY, "-j", "2", "-o", out, klass])
        try:
            wait_rows(bg, out, 10, "batch")
            time.sleep(0.7)
            bg.signal(signal.SIGKILL)
            p = bg.wait(30)
        finally:
            bg.abandon()
    c(p.rc == -signal.SIGKILL, "the batch was not killed by SIGKILL: %s" % p.brief())
    deadline = time.monotonic() + 10
    left = live_processes_naming(out)
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = live_processes_naming(out)
    c(not left, "processes of the killed batch still running after 10 s: %s" % left[:5])
    kept = lines_of(out)
    data = read(os.path.join(out, "results.jsonl"))
    c(data.endswith(b"\n"), "results.jsonl after SIGKILL ends mid-line")
    k = len(kept)
    c(1 <= k < len(want), "rows after SIGKILL: %d (expected some, not all)" % k)
    p = must(batch([klass], out, "--resume"), "batch --resume")
    s = summary(p, "batch --resume")
    c.eq((s["done"], s["total"], s["kept"], s["graded"] + s["invalid"] + s["errors"]),
         (len(want), len(want), k, len(want) - k), "--resume summary (done, total, kept from before, graded now)")
    rows = rows_of(out, "after --resume")
    by = once(c, rows, want, "after --resume")
    final = set(lines_of(out))
    c(all(l in final for l in kept), "rows present before --resume were rewritten (regraded?): %d of %d changed"
      % (sum(1 for l in kept if l not in final), k))
    for i, score in want.items():
        if i in by:
            c.eq((by[i].get("status"), by[i].get("score")), ("graded", score), "%s: (status, score)" % i)
    for f in REPORTS:
        c(os.path.isfile(os.path.join(out, f)), "%s missing after --resume" % f)


@test("--resume drops a half-written last line (a crash during the write) and grades that submission again")
def _(c):
    members = {"t%d" % n: variant("fix" if n % 2 else "crash", "torn-%d" % n) for n in range(1, 5)}
    klass = make_class("torn-class", members)
    out = os.path.join(make_dir("torn-out"), "out")
    must(batch([klass], out), "batch")
    lines = lines_of(out)
    if len(lines) != 4:
        raise Failed("batch: %d rows, expected 4" % len(lines))
    torn_id = json.loads(lines[-1])["id"]
    with open(os.path.join(out, "results.jsonl"), "wb") as f:
        f.write(b"\n".join(lines[:-1]) + b"\n" + lines[-1][:len(lines[-1]) // 2])
    p = must(batch([klass], out, "--resume"), "batch --resume")
    s = summary(p, "batch --resume")
    c.eq((s["done"], s["kept"], s["graded"]), (4, 3, 1), "--resume summary (done, kept from before, graded)")
    by = once(c, rows_of(out, "after --resume"), members, "after --resume")
    if torn_id in by:
        c.eq(by[torn_id].get("score"), 100 if int(torn_id[1:]) % 2 else 0, "%s (the torn row): score" % torn_id)
    p = must(batch([klass], out, "--resume"), "batch --resume with nothing left")
    s = summary(p, "second --resume")
    c.eq((s["done"], s["kept"], s["graded"], s["cached"]), (4, 4, 0, 0), "second --resume (done, kept, graded, cached)")


@test("--resume with another --rubric than the kept rows' refuses (exit 2) or grades again: never a results.jsonl "
      "mixing two rubrics")
def _(c):
    rubric, sha = other_rubric()
    members = {"r%d" % n: variant("fix" if n % 2 else "unfixed", "resume-rubric-%d" % n) for n in range(1, 5)}
    klass = make_class("resume-rubric-class", members)
    out = os.path.join(make_dir("resume-rubric-out"), "out")
    must(batch([klass], out), "batch with the default rubric")
    lines = lines_of(out)
    with open(os.path.join(out, "results.jsonl"), "wb") as f:
        f.write(b"\n".join(lines[:2]) + b"\n")  # as if it had been interrupted after two rows
    kept = read(os.path.join(out, "results.jsonl"))
    p = batch([klass], out, "--resume", "--rubric", rubric)
    if p.rc == 2:
        c(read(os.path.join(out, "results.jsonl")) == kept, "results.jsonl changed although --resume was refused")
        return
    must(p, "batch --resume --rubric OTHER")
    rows = rows_of(out, "after --resume --rubric OTHER")
    once(c, rows, members, "after --resume --rubric OTHER")
    shas = sorted({(r.get("rubric") or {}).get("sha256") or "?" for r in rows})
    c.eq(shas, [sha], "rubric checksums in results.jsonl (summary: %s)" % short(p.stderr.strip().splitlines()[-1:], 200))


@test("SIGINT to the batch's process group (Ctrl-C) mid-batch: the running submissions finish undisturbed, nothing "
      "new starts, the reports are written, exit 130 saying --resume; --resume then finishes")
def _(c):
    klass, want = interrupt_class("sigint")
    out = os.path.join(make_dir("sigint-out"), "out")
    with HEAVY:
        bg = Background(["batch", "--python", PY, "-j", "2", "-o", out, klass])
        try:
            wait_rows(bg, out, 10, "batch")
            time.sleep(0.7)
            bg.signal(signal.SIGINT)
            p = bg.wait(60)
        finally:
            bg.abandon()
    c.eq(p.rc, 130, "exit status after SIGINT (%s)" % p.brief())
    c("--resume" in p.stderr, "stderr does not say to run again with --resume: %s" % short(p.stderr, 400))
    rows = rows_of(out, "after SIGINT")
    by = {r["id"]: r for r in rows}
    c.eq(sorted(by), sorted(i for i in want if i != "zz"),
         "ids with a row after SIGINT (a01..a10, and z1, z2 which were running)")
    for i in ("z1", "z2"):
        if i in by:
            runs = by[i].get("runs") or {}
            c.eq((by[i].get("score"), by[i].get("status")), (100, "graded"),
                 "%s (running at the SIGINT): (score, status)" % i)
            for kind in ("after", "probe"):
                r = runs.get(kind) or {}
                c.eq((r.get("exit_code"), r.get("signal") or 0, r.get("limit")), (0, 0, None),
                     "%s (running at the SIGINT): runs.%s (exit_code, signal, limit)" % (i, kind))
    c.eq([r["id"] for r in rows], sorted(r["id"] for r in rows), "results.jsonl order after SIGINT (sorted)")
    try:
        grades = list(csv.DictReader(io.StringIO(read(os.path.join(out, "grades.csv")).decode())))
        c.eq(sorted(t["id"] for t in grades), sorted(by), "grades.csv ids after SIGINT")
    except OSError as e:
        c(False, "no grades.csv after SIGINT: %s" % e)
    p = must(batch([klass], out, "--resume"), "batch --resume")
    s = summary(p, "batch --resume")
    c.eq((s["done"], s["kept"]), (len(want), len(by)), "--resume summary (done, kept from before)")
    by = once(c, rows_of(out, "after --resume"), want, "after --resume")
    for i, score in want.items():
        if i in by:
            c.eq(by[i].get("score"), score, "%s: score" % i)


# --------------------------------------------------------------------------
# Shards and merge

SHARD_N = 3


def shard_setup():
    """A class of 24, graded whole with --cache C, then in 3 shards with the same --cache."""
    def build():
        members = {"st-%02d" % n: variant(["fix", "unfixed", "crash", "partial"][n % 4], "shard-%d" % n)
                   for n in range(22)}
        members["st-none"] = no_script
        members["st-syntax"] = variant("syntax", "shard-syntax")
        klass = make_class("shard-class", members)
        base = make_dir("shard-out")
        cache = os.path.join(base, "cache")
        full = os.path.join(base, "full")
        p = batch([klass], full, "--cache", cache)
        must(p, "the full batch")
        shards = []
        for k in range(1, SHARD_N + 1):
            d = os.path.join(base, "shard-%d" % k)
            ps = must(batch([klass], d, "--cache", cache, "--shard", "%d/%d" % (k, SHARD_N)),
                      "batch --shard %d/%d" % (k, SHARD_N))
            shards.append((d, ps))
        return klass, base, cache, full, shards, sorted(members)
    return shared("shards", build)


@test("--shard K/3: the shards are disjoint, their union is the class, a shard is the same ids every time, "
      "--shard 1/1 is everything")
def _(c):
    klass, base, cache, full, shards, ids = shard_setup()
    sets = []
    for k, (d, p) in enumerate(shards, 1):
        rows = rows_of(d, "shard %d" % k)
        got = [r["id"] for r in rows]
        c.eq(len(got), len(set(got)), "shard %d: rows per id" % k)
        sets.append(set(got))
        s = summary(p, "shard %d" % k)
        c.eq((s["done"], s["total"]), (len(got), len(got)), "shard %d summary (done, total)" % k)
    for a in range(len(sets)):
        for b in range(a + 1, len(sets)):
            c(not (sets[a] & sets[b]), "shards %d and %d share %s" % (a + 1, b + 1, sorted(sets[a] & sets[b])))
    c.eq(sorted(set().union(*sets)), ids, "the union of the shards")
    again = os.path.join(base, "shard-2-again")
    must(batch([klass], again, "--cache", cache, "--shard", "2/%d" % SHARD_N), "batch --shard 2/3 again")
    c.eq({r["id"] for r in rows_of(again, "shard 2 again")}, sets[1], "shard 2's ids the second time")
    whole = os.path.join(base, "shard-1-of-1")
    must(batch([klass], whole, "--cache", cache, "--shard", "1/1"), "batch --shard 1/1")
    c.eq(sorted(r["id"] for r in rows_of(whole, "shard 1/1")), ids, "--shard 1/1 ids")


@test("merge of the 3 shards (shared --cache from a full run) is byte-identical to the full batch: results.jsonl, "
      "grades.csv, canvas.csv, junit.xml, report.html, submissions/")
def _(c):
    klass, base, cache, full, shards, ids = shard_setup()
    out = os.path.join(base, "merged")
    must(grader(["merge", "-o", out] + [d for d, _ in shards]), "grader merge")
    once(c, rows_of(out, "merged"), ids, "merged")
    same_trees(c, full, out, "full batch and merge")


@test("merge refuses an id found in two shards: exit 2, naming the id")
def _(c):
    klass, base, cache, full, shards, ids = shard_setup()
    d = shards[0][0]
    some = rows_of(d, "shard 1")
    if not some:
        raise Skip("shard 1 is empty")
    out = os.path.join(base, "merged-twice")
    p = grader(["merge", "-o", out, d, d])
    c.eq(p.rc, 2, "merge of shard 1 with itself: exit status (%s)" % p.brief())
    c(any(r["id"] in p.stderr for r in some), "the refusal names no id: %s" % short(p.stderr))
    c(not os.path.isfile(os.path.join(out, "results.jsonl")), "results.jsonl written despite the refusal")
    p = grader(["merge", "-o", out, shards[1][0], full])
    c.eq(p.rc, 2, "merge of shard 2 with the full batch: exit status (%s)" % p.brief())


def other_rubric():
    """A copy of the default rubric (with its baselines/) whose title is
    changed: (path, sha256)."""
    def build():
        d = make_dir("other-rubric")
        shutil.copytree(BASELINES, os.path.join(d, "baselines"))
        text = read(RUBRIC).decode("utf-8")
        new = re.sub(r"(?m)^title: (.*)$", lambda m: "title: %s (section B)" % m.group(1), text, count=1)
        if new == text:
            raise Failed("the default rubric has no top-level title line to change")
        rubric = os.path.join(d, "weakref-leak.yaml")
        write(rubric, new.encode("utf-8"))
        must(grader(["rubric", "check", rubric]), "grader rubric check of the changed rubric")
        return rubric, sha256(new.encode("utf-8"))
    return shared("other-rubric", build)


@test("merge refuses a shard graded with another rubric (a title changed): exit 2 naming that rubric's checksum; "
      "merge --rubric that rubric takes the shard")
def _(c):
    klass, base, cache, full, shards, ids = shard_setup()
    rubric, sha = other_rubric()
    d = make_dir("other-rubric-merge")
    s1 = os.path.join(d, "shard-1")
    must(batch([klass], s1, "--rubric", rubric, "--shard", "1/%d" % SHARD_N), "batch --rubric COPY --shard 1/3")
    rows = rows_of(s1, "shard 1 with the other rubric")
    if not rows:
        raise Skip("shard 1 is empty")
    c.eq({(r.get("rubric") or {}).get("sha256") for r in rows}, {sha}, "rubric.sha256 of that shard's rows")
    out = os.path.join(d, "merged")
    p = grader(["merge", "-o", out, s1] + [x for x, _ in shards[1:]])
    c.eq(p.rc, 2, "merge with the default rubric: exit status (%s)" % p.brief())
    c(sha[:12] in p.stderr, "the refusal does not name the shard's rubric checksum %s: %s" % (sha[:12], short(p.stderr)))
    c(not os.path.isfile(os.path.join(out, "results.jsonl")), "results.jsonl written despite the refusal")
    p = grader(["merge", "--rubric", rubric, "-o", os.path.join(d, "merged-own"), s1])
    c.eq(p.rc, 0, "merge --rubric COPY of that shard alone: exit status (%s)" % p.brief())


@test("an OUTDIR that cannot be created (beneath a regular file): batch exits 3, merge exits 3 ('3 cannot write')")
def _(c):
    klass, base, cache, full, shards, ids = shard_setup()
    d = make_dir("unwritable")
    blocker = os.path.join(d, "a-file")
    write(blocker, b"not a folder\n")
    p = batch([os.path.join(SAMPLES, KINDS["fix"][0])], os.path.join(blocker, "out"))
    c.eq(p.rc, 3, "batch -o FILE/out: exit status (%s)" % p.brief())
    p = grader(["merge", "-o", os.path.join(blocker, "out")] + [x for x, _ in shards])
    c.eq(p.rc, 3, "merge -o FILE/out: exit status (%s)" % p.brief())


@test("results.jsonl on a full file system: the journal's write error ends the batch with exit 3 naming the "
      "file and ENOSPC, every worker stops, and what was written is whole lines")
def _(c):
    if os.geteuid() != 0:
        raise Skip("mounting a small tmpfs needs root")
    klass, _ = interrupt_class("full")
    d = make_dir("full-fs")
    mnt = os.path.join(d, "mnt")
    os.makedirs(mnt)
    # 48 KiB: two rows of about 22 KiB fit, the third does not.
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=48k", "tmpfs", mnt]).returncode != 0:
        raise Skip("mount -t tmpfs refused")
    try:
        out = os.path.join(mnt, "out")
        p = batch([klass], out, "--cache", os.path.join(d, "cache"))
        c.eq(p.rc, 3, "batch into a full file system: exit status (%s)" % p.brief())
        # From the journal, not from the reports' copy of results.jsonl
        # ("the results are in ..., but the reports failed: cannot write").
        want = "grader batch: cannot write %s: %s" % (os.path.join(out, "results.jsonl"), os.strerror(errno.ENOSPC))
        c(want in p.stderr, "stderr does not say %r: %s" % (want, p.stderr[-400:]))
        c(not live_processes_naming(out), "processes of the batch still running")
        data = read(os.path.join(out, "results.jsonl"))
        whole = data[:data.rfind(b"\n") + 1]
        for line in whole.splitlines():
            c(json.loads(line).get("id"), "a line of results.jsonl is not a row: %r" % line[:80])
    finally:
        subprocess.run(["umount", "-l", mnt])


# --------------------------------------------------------------------------
# Git repositories in a batch

@test("--deadline applies to every repository of the batch (work tree and bare clone: the commit before it, late), "
      "and a plain folder becomes an invalid row; without it HEAD is graded")
def _(c):
    klass = make_dir("git-batch-class")
    src = os.path.join(klass, "wt")
    ids = git_repo(src, [(variant("unfixed", "git-1"), "2026-11-18T14:00:00+01:00"),
                         (variant("fix", "git-2"), "2026-11-21T14:00:00+01:00")],
                   bare_copy=os.path.join(klass, "bare.git"))
    write(os.path.join(klass, "plain", ENTRY), variant("fix", "git-plain"))
    out = os.path.join(make_dir("git-batch-out"), "out")
    must(batch([klass], out, "--deadline", "2026-11-20T00:00:00+01:00"), "batch --deadline")
    by = once(c, rows_of(out, "batch --deadline"), ["wt", "bare", "plain"], "batch --deadline")
    for i in ("wt", "bare"):
        if i in by:
            s = by[i].get("submission") or {}
            c.eq((by[i].get("score"), s.get("commit"), s.get("late")), (25, ids[0], True),
                 "%s with the deadline: (score, commit, late)" % i)
    if "plain" in by:
        c.eq(by["plain"].get("status"), "invalid", "plain folder with --deadline: status")
    grades = {t["id"]: t for t in csv.DictReader(io.StringIO(read(os.path.join(out, "grades.csv")).decode()))}
    c.eq((grades.get("wt") or {}).get("commit"), ids[0], "grades.csv wt: commit")
    c.eq((grades.get("wt") or {}).get("late"), "true", "grades.csv wt: late")
    out2 = os.path.join(make_dir("git-batch-out2"), "out")
    must(batch([klass], out2), "batch")
    by = once(c, rows_of(out2, "batch"), ["wt", "bare", "plain"], "batch")
    for i in ("wt", "bare"):
        if i in by:
            s = by[i].get("submission") or {}
            c.eq((by[i].get("score"), s.get("commit"), s.get("late")), (100, ids[1], False),
                 "%s at HEAD: (score, commit, late)" % i)
    if "plain" in by:
        c.eq((by["plain"].get("status"), by["plain"].get("score")), ("graded", 100), "plain folder: (status, score)")


# --------------------------------------------------------------------------
# grade --format gradescope | prairielearn

GS_TEST_KEYS = ("name", "score", "max_score", "status", "output", "visibility", "number")


def check_gradescope(c, res, score, what):
    c.eq(res.get("score"), score, "%s: score" % what)
    tests = res.get("tests")
    if not c(isinstance(tests, list) and len(tests) == len(IDS), "%s: tests is %r long, expected %d"
             % (what, len(tests) if isinstance(tests, list) else tests, len(IDS))):
        return
    for t in tests:
        missing = [k for k in GS_TEST_KEYS if k not in t]
        c(not missing, "%s: a test lacks %s: %s" % (what, missing, short(json.dumps(t), 200)))
    c(abs(sum(float(t.get("score") or 0) for t in tests) - score) < 1e-9, "%s: the tests' scores do not add up to %s"
      % (what, score))
    c.eq(sorted(float(t.get("max_score") or 0) for t in tests), sorted(float(p) for _, p in CRITERIA),
         "%s: the tests' max_score" % what)
    c.eq(len({str(t.get("number")) for t in tests}), len(tests), "%s: distinct test numbers" % what)
    for t in tests:
        full = t.get("score") == t.get("max_score")
        c.eq(t.get("status"), "passed" if full else "failed", "%s: status of %r" % (what, t.get("name")))


@test("grade --format gradescope: 25 for the unfixed script, 100 for the fix, 7 tests with name, score, max_score, "
      "status, output, visibility, number")
def _(c):
    for kind in ("unfixed", "fix", "partial"):
        p = must(grade(os.path.join(SAMPLES, KINDS[kind][0]), fmt="gradescope"), "grade --format gradescope %s" % kind)
        check_gradescope(c, p.json(), SCORES[kind], "gradescope %s" % kind)


@test("grade --format prairielearn: score as a fraction (0.25, 0.6, 1), gradable true; a folder without "
      "leaky_app.py: gradable false, score 0")
def _(c):
    for kind in ("unfixed", "partial", "fix"):
        p = must(grade(os.path.join(SAMPLES, KINDS[kind][0]), fmt="prairielearn"), "grade --format prairielearn %s" % kind)
        res = p.json()
        c(abs(float(res.get("score", -1)) - SCORES[kind] / 100.0) < 1e-9,
          "prairielearn %s: score %r, expected %r" % (kind, res.get("score"), SCORES[kind] / 100.0))
        c.eq(res.get("gradable"), True, "prairielearn %s: gradable" % kind)
        c.eq(len(res.get("tests") or []), len(IDS), "prairielearn %s: tests" % kind)
    empty = make_dir("pl-empty")
    p = must(grade(empty, fmt="prairielearn"), "grade --format prairielearn of a folder without leaky_app.py")
    res = p.json()
    c.eq((res.get("gradable"), float(res.get("score", -1))), (False, 0.0), "prairielearn missing file: (gradable, score)")


# --------------------------------------------------------------------------
# grader export gradescope

def exported():
    def build():
        d = make_dir("export")
        a, b = os.path.join(d, "a.zip"), os.path.join(d, "b.zip")
        must(grader(["export", "gradescope", "-o", a]), "export gradescope (1st)")
        must(grader(["export", "gradescope", "-o", b]), "export gradescope (2nd)")
        return a, b
    return shared("export", build)


@test("what a killed grader left (a box, an export folder, a token, a cgroup) is removed by the next grader, "
      "and only when its pid is gone")
def _(c):
    dead = subprocess.Popen(["true"])
    dead.wait()   # a pid no process holds any more
    alive = os.getpid()
    tmp = tempfile.gettempdir() if not os.environ.get("TMPDIR") else os.environ["TMPDIR"]
    made = []
    for pid in (dead.pid, alive):
        for kind in ("grader-box-%d-zz", "grader-export-%d-zz", "grader-token-%d-zz"):
            p = os.path.join(tmp, kind % pid)
            if kind.startswith("grader-token"):
                write(p, b"0123")
            else:
                os.makedirs(os.path.join(p, "sub"), exist_ok=True)
                write(os.path.join(p, "sub", "f"), b"x")
            made.append((p, pid))
    cg = "/sys/fs/cgroup/pids/grader-%d-0-zz" % dead.pid
    has_cg = False
    if os.geteuid() == 0 and os.path.isdir("/sys/fs/cgroup/pids"):
        try:
            os.mkdir(cg)
            has_cg = True
        except OSError:
            pass
    try:
        klass = make_class("sweep-class", {"one": variant("fix", "sweep-one")})
        must(batch([klass], os.path.join(make_dir("sweep-out"), "out")), "batch")
        for p, pid in made:
            if pid == dead.pid:
                c(not os.path.lexists(p), "%s (pid %d is gone) was not removed" % (p, pid))
            else:
                c(os.path.lexists(p), "%s (pid %d is alive) was removed" % (p, pid))
        if has_cg:
            c(not os.path.isdir(cg), "the cgroup %s of a dead grader was not removed" % cg)
    finally:
        for p, _ in made:
            if os.path.isdir(p):
                shutil.rmtree(p, ignore_errors=True)
            elif os.path.lexists(p):
                os.unlink(p)
        if has_cg and os.path.isdir(cg):
            os.rmdir(cg)


@test("export gradescope: setup.sh and run_autograder executable at the zip's root, rubric/weakref-leak.yaml and "
      "rubric/baselines/leaky_app.py as bundled, grader-src/; byte-identical when exported twice")
def _(c):
    a, b = exported()
    c(read(a) == read(b), "two exports differ")
    try:
        z = zipfile.ZipFile(a)
    except zipfile.BadZipFile as e:
        raise Failed("not a zip: %s" % e)
    with z:
        names = z.namelist()
        info = {i.filename: i for i in z.infolist()}
        for n in ("setup.sh", "run_autograder"):
            if c(n in info, "%s is not at the zip's root (names: %s)" % (n, names[:8])):
                mode = (info[n].external_attr >> 16) & 0o777
                c(mode & 0o111 == 0o111, "%s is not executable in the zip (mode %o)" % (n, mode))
                c(z.read(n).startswith(b"#!"), "%s has no #! line" % n)
        c(z.read("rubric/weakref-leak.yaml") == read(RUBRIC) if "rubric/weakref-leak.yaml" in info else False,
          "rubric/weakref-leak.yaml missing or not the bundled rubric")
        bl = "rubric/baselines/leaky_app.py"
        c(z.read(bl) == read(os.path.join(BASELINES, ENTRY)) if bl in info else False,
          "%s missing or not the bundled baseline" % bl)
        c(any(n.startswith("grader-src/") for n in names), "no grader-src/ in the zip")
        c(not any(n.startswith("/") or ".." in n.split("/") for n in names), "unsafe names in the zip")
    if shutil.which("unzip"):
        p = must(tool(["unzip", "-l", a]), "unzip -l")
        listed = [l.split()[-1] for l in p.stdout.splitlines() if re.match(r"^\s*\d+\s+\S+\s+\S+\s+\S", l)]
        for n in ("setup.sh", "run_autograder"):
            c(n in listed, "unzip -l does not list %s at the root: %s" % (n, short(p.stdout, 300)))


def fake_gradescope(name, submission, grader_path):
    """Unzips the export into TMP/NAME/autograder/source, puts `submission`
    (bytes) in autograder/submission, runs run_autograder the way Gradescope
    does; returns (proc, results.json path)."""
    if not shutil.which("unzip"):
        raise Skip("no unzip on PATH")
    a, _ = exported()
    root = os.path.join(make_dir(name), "autograder")
    os.makedirs(os.path.join(root, "source"))
    must(tool(["unzip", "-q", a, "-d", os.path.join(root, "source")]), "unzip")
    write(os.path.join(root, "submission", ENTRY), submission)
    p = tool(["bash", os.path.join(root, "source", "run_autograder")], cwd=root, heavy=True,
             env_extra={"AUTOGRADER_ROOT": root, "GRADER": grader_path, "GRADER_PYTHON": PY}, timeout=TIMEOUT)
    return p, os.path.join(root, "results", "results.json")


@test("the exported run_autograder on a fake /autograder layout: results.json with 25 for the unfixed script and "
      "100 for the fix, tests[] complete")
def _(c):
    for kind in ("unfixed", "fix"):
        p, path = fake_gradescope("gs-" + kind, DATA[kind], GRADER)
        c.eq(p.rc, 0, "run_autograder (%s): exit status (%s)" % (kind, p.brief()))
        if not c(os.path.isfile(path), "run_autograder (%s) wrote no results/results.json" % kind):
            continue
        try:
            res = json.loads(read(path))
        except ValueError as e:
            c(False, "results.json (%s) is not JSON: %s" % (kind, e))
            continue
        check_gradescope(c, res, SCORES[kind], "run_autograder %s" % kind)


@test("the exported run_autograder with GRADER=/nonexistent still writes results.json: score 0 and an explanation")
def _(c):
    p, path = fake_gradescope("gs-nograder", DATA["fix"], "/nonexistent/grader")
    c.eq(p.rc, 0, "run_autograder: exit status (%s)" % p.brief())
    if not c(os.path.isfile(path), "no results/results.json"):
        return
    try:
        res = json.loads(read(path))
    except ValueError as e:
        raise Failed("results.json is not JSON: %s: %s" % (e, short(read(path)[:300])))
    c.eq(res.get("score"), 0, "score")
    c(isinstance(res.get("output"), str) and len(res["output"].strip()) > 20, "no explanatory output: %r" % res.get("output"))


# --------------------------------------------------------------------------

def load_data():
    for kind, (folder, _) in KINDS.items():
        DATA[kind] = read(os.path.join(SAMPLES, folder, ENTRY))


def cleanup():
    CMDS.end_all(TMP)


def main(argv):
    global GRADER
    if len(argv) != 2:
        print("usage: suite.py GRADER", file=sys.stderr)
        return 2
    GRADER = os.path.abspath(argv[1])

    def prepare():
        global TMP, HOME
        TMP = tempfile.mkdtemp(prefix="grader-batch-tests-", dir="/tmp")
        HOME = os.path.join(TMP, "home")
        os.makedirs(os.path.join(HOME, ".cache"))
        problems = missing_tools(GRADER, PY)
        try:
            load_data()
        except OSError as e:
            problems.append(("fixtures", str(e)))
        return problems

    return run_suite("batch", "BATCH_SUITE_FILTER", JOBS, prepare, cleanup)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
