#!/usr/bin/env python3
"""Integration tests for the grader (called by run.sh; see there for usage).

Each test is a function that takes a Check and asserts on real values: exit
statuses, the JSON result, the text rendering, /proc.  Tests run in threads;
every grading goes through a semaphore (INTEGRATION_JOBS, default 2) and the
same grading (same argv, cwd and environment) is run once and shared, so the
interpreter matrix, the ASan comparison and the schema test reuse results.

Nothing here edits the repository: temporary submissions, rubrics and the
`make install` prefix live in one temporary directory, removed at the end
(kept, with a details log, when a test failed).
"""
import concurrent.futures
import glob
import hashlib
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import tty
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
from harness import TESTS, Check, Failed, Proc, Skip, add, run_test, short, test  # noqa: E402
FIXTURES = os.path.join(HERE, "fixtures")
SUBMISSIONS = os.path.join(REPO, "submissions")
RUBRIC_REL = "rubrics/weakref-leak.yaml"
RUBRIC = os.path.join(REPO, RUBRIC_REL)

# The default rubric's criteria, in order, with their points.
CRITERIA = [("runs", 10), ("report", 10), ("weak-reference", 15), ("no-cycle", 25),
            ("freed", 20), ("tracemalloc", 15), ("players-reachable", 5)]
IDS = [cid for cid, _ in CRITERIA]
POINTS = dict(CRITERIA)

# What each sample must get, on every interpreter.  Never adjust these to
# match the grader: a difference is a finding.
EXPECTED = {
    "canonical-fix": {"score": 100, "pass": set(IDS)},
    "proxy-fix": {"score": 100, "pass": set(IDS)},  # submissions/README.md
    "unfixed": {"score": 25, "pass": {"runs", "report", "players-reachable"}},
    # It stops before its first snapshot: facts about its objects cannot be
    # had, so the object criteria are "not judged" (issue 18: no credit for
    # a program that never reached what is graded).
    "crashing-fix": {"score": 0, "pass": set()},
    "syntax-error": {"score": 0, "pass": set()},
    "partial-fix-del-player": {"score": 60, "pass": {"runs", "report", "freed", "tracemalloc", "players-reachable"}},
}

LIMITS = ("time", "memory", "output", "processes", "file-size", None)  # README.md, "Result JSON"

PYENV = "/root/.pyenv"
PYENV_VERSIONS = ["3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0"]
MINORS = ["3.8", "3.9", "3.10", "3.11", "3.12", "3.13"]

JOBS = max(1, int(os.environ.get("INTEGRATION_JOBS", "2") or 2))
HEAVY = threading.BoundedSemaphore(JOBS)
TIMEOUT = 300  # seconds, for any one command; the suite never hangs
HOSTILE_TIMEOUT = 90  # a grading under the small-limit rubric (4 s wall per run)

SANITIZER_PATTERNS = ["ERROR: AddressSanitizer", "ERROR: LeakSanitizer", "runtime error:",
                      "SUMMARY: UndefinedBehaviorSanitizer", "SUMMARY: AddressSanitizer"]

GRADER = GRADER_SAN = None
TMP = None
VERSION = None

# INTEGRATION_SANITIZED=1: GRADER is a sanitizer build (`make
# integration-san`); every command's output is searched for a sanitizer
# report, whatever test ran it, and each report fails the suite.
SANITIZED = os.environ.get("INTEGRATION_SANITIZED") == "1"
SAN_FINDINGS = []
_san_lock = threading.Lock()


# --------------------------------------------------------------------------
# Running commands

def base_env(**extra):
    """The caller's environment without anything that would steer the grader
    or the inner make, plus `extra` (a value of None removes the variable)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GRADER_") and k not in ("NO_COLOR", "MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    for k, v in extra.items():
        if v is None:
            env.pop(k, None)
        else:
            env[k] = v
    return env


def run(cmd, cwd=REPO, env=None, stdin_data=None, heavy=False, use_tty=False, timeout=TIMEOUT):
    proc = _run(cmd, cwd, env, stdin_data, heavy, use_tty, timeout)
    if SANITIZED:
        text = proc.stderr + proc.stdout
        found = sanitizer_report(text)
        if found:
            at = min(text.find(pat) for pat in found)
            with _san_lock:
                SAN_FINDINGS.append("%s: %s" % (" ".join(os.path.basename(str(a)) for a in cmd[:4]),
                                                text[max(0, at - 200):at + 1500]))
    return proc


def _run(cmd, cwd, env, stdin_data, heavy, use_tty, timeout):
    if env is None:
        env = base_env()
    if heavy:
        HEAVY.acquire()
    try:
        start = time.monotonic()
        if use_tty:
            return _run_tty(cmd, cwd, env, timeout, start)
        p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                             start_new_session=True)
        timed_out = False
        try:
            out, err = p.communicate(stdin_data, timeout=timeout)
        except subprocess.TimeoutExpired:
            timed_out = True
            _kill_group(p.pid)
            out, err = p.communicate()
        return Proc(cmd, p.returncode, out, err, time.monotonic() - start, timed_out)
    finally:
        if heavy:
            HEAVY.release()


def _kill_group(pid):
    # The command runs in a session (and process group) of its own, whose id
    # is its pid: this ends exactly what this harness started.
    try:
        os.killpg(pid, signal.SIGKILL)
    except OSError:
        pass


def _run_tty(cmd, cwd, env, timeout, start):
    """Runs cmd with stdout on a pseudo-terminal (raw mode: no CR added)."""
    master, slave = pty.openpty()
    tty.setraw(slave)
    errf = tempfile.TemporaryFile()
    p = subprocess.Popen(cmd, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=slave, stderr=errf,
                         start_new_session=True)
    os.close(slave)
    chunks, timed_out = [], False
    deadline = start + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            _kill_group(p.pid)
            break
        r, _, _ = select.select([master], [], [], min(left, 1.0))
        if not r:
            if p.poll() is not None:
                # Exited; drain whatever is left without blocking.
                r2, _, _ = select.select([master], [], [], 0.2)
                if not r2:
                    break
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the last slave descriptor is closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    p.wait()
    errf.seek(0)
    err = errf.read()
    errf.close()
    return Proc(cmd, p.returncode, b"".join(chunks), err, time.monotonic() - start, timed_out)


_memo = {}
_memo_lock = threading.Lock()


def grade(submission, python=None, rubric=None, fmt="json", binary=None, cwd=REPO, env_extra=None,
          use_tty=False, timeout=TIMEOUT):
    """Runs `grader grade` once per distinct argv/cwd/environment; shared."""
    cmd = [binary or GRADER, "grade"]
    if rubric:
        cmd += ["--rubric", rubric]
    if fmt:
        cmd += ["--format", fmt]
    if python:
        cmd += ["--python", python]
    cmd.append(submission)
    env_extra = env_extra or {}
    key = (tuple(cmd), cwd, tuple(sorted(env_extra.items())), use_tty)
    with _memo_lock:
        fut = _memo.get(key)
        owner = fut is None
        if owner:
            fut = _memo[key] = concurrent.futures.Future()
    if owner:
        try:
            fut.set_result(run(cmd, cwd=cwd, env=base_env(**env_extra), heavy=True, use_tty=use_tty,
                               timeout=timeout))
        except BaseException as e:  # noqa: B902 - handed to every waiter
            fut.set_exception(e)
    return fut.result()


# --------------------------------------------------------------------------
# Checks

def sub(name):
    return os.path.join(SUBMISSIONS, name)


def fixture(*parts):
    return os.path.join(FIXTURES, *parts)


def with_tail(name, source, tail):
    """A submission folder: the script `source` with fixtures/tails/<tail>
    appended, so hostile fixtures never go stale against the lesson's code."""
    d = make_dir("derived-" + name)
    with open(source, encoding="utf-8") as f:
        text = f.read()
    with open(fixture("tails", tail), encoding="utf-8") as f:
        text += "\n" + f.read()
    with open(os.path.join(d, "leaky_app.py"), "w", encoding="utf-8") as f:
        f.write(text)
    return d


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def result_of(proc, want_rc=0):
    """The JSON result of a grading that must exit want_rc, or raises Failed."""
    if proc.timed_out or proc.rc != want_rc:
        raise Failed("expected exit %d, got %s" % (want_rc, proc.brief()))
    res = proc.json()
    if not isinstance(res, dict):
        raise Failed("the JSON result is not an object: %s" % short(proc.stdout, 200))
    return res


def criteria_of(res):
    crit = res.get("criteria")
    if not isinstance(crit, list):
        raise Failed("result has no criteria list (status %r, message %r)" % (res.get("status"), res.get("message")))
    return {c.get("id"): c for c in crit if isinstance(c, dict)}


def graded(c, proc):
    """Result and criteria of a grading that must be a verdict."""
    res = result_of(proc)
    if res.get("status") != "graded":
        raise Failed("status %r, expected 'graded': %s" % (res.get("status"), short(res.get("message"), 400)))
    return res, criteria_of(res)


def check_verdict(c, res, crit, sample):
    """The sample's expected criteria, points and score."""
    exp = EXPECTED[sample]
    c.eq([x.get("id") for x in res["criteria"]], IDS, "criteria ids")
    c.eq(res.get("max_score"), 100, "max_score")
    total = 0
    for cid in IDS:
        cr = crit.get(cid)
        if cr is None:
            continue
        want = cid in exp["pass"]
        c(cr.get("passed") is want, "%s %s, expected %s (feedback: %s)" % (
            cid, "passed" if cr.get("passed") else "failed", "pass" if want else "fail",
            short(cr.get("feedback"), 250)))
        c.eq(cr.get("max_points"), POINTS[cid], "%s max_points" % cid)
        c.eq(cr.get("points"), POINTS[cid] if cr.get("passed") else 0, "%s points" % cid)
        c(cr.get("visibility") in ("visible", "hidden", "after_due_date"), "%s visibility %r" % (cid, cr.get("visibility")))
        c(isinstance(cr.get("feedback"), str) and cr["feedback"].strip(), "%s has no feedback" % cid)
        if isinstance(cr.get("points"), (int, float)):
            total += cr["points"]
    c.eq(res.get("score"), exp["score"], "score")
    c(res.get("score") == total, "score %r is not the sum of the criteria's points %r" % (res.get("score"), total))

    fb = {cid: (crit.get(cid) or {}).get("feedback") or "" for cid in IDS}
    if sample == "unfixed":
        chain = fb["freed"]
        i = chain.lower().rfind("kept alive by")
        if i >= 0:
            chain = chain[i + len("kept alive by"):]
        c("player" in chain and "game" in chain,
          "freed feedback does not show what keeps the Game alive (the chain through variable 'player' "
          "and attribute 'game'): %s" % short(fb["freed"], 300))
    elif sample == "crashing-fix":
        c("AttributeError" in fb["runs"] and re.search(r"\bline 26\b", fb["runs"]),
          "runs feedback does not name AttributeError at line 26: %s" % short(fb["runs"], 300))
    elif sample == "syntax-error":
        c("SyntaxError" in fb["runs"] and re.search(r"\bline 16\b", fb["runs"]),
          "runs feedback does not name SyntaxError at line 16: %s" % short(fb["runs"], 300))


def verdict_key(res):
    crit = res.get("criteria") or []
    return (res.get("status"), res.get("score"),
            tuple((x.get("id"), x.get("passed")) for x in crit if isinstance(x, dict)))


def describe_verdict(key):
    status, score, crit = key
    failed = [cid for cid, ok in crit if not ok]
    return "%s %s/100, failed: %s" % (status, score, ", ".join(failed) or "none")


# --------------------------------------------------------------------------
# Interpreters

class Interp:
    def __init__(self, path, exe, version):
        self.path, self.exe, self.version = path, exe, version
        self.minor = ".".join(version.split(".")[:2])

    def label(self):
        return "%s (%s)" % (self.version, self.path)


def probe_interp(path):
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        return None
    code = "import sys, platform; print(sys.executable); print(platform.python_version())"
    try:
        p = subprocess.run([path, "-c", code], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.DEVNULL, timeout=60, env=base_env())
    except (OSError, subprocess.TimeoutExpired):
        return None
    lines = p.stdout.decode("utf-8", "replace").split("\n")
    if p.returncode != 0 or len(lines) < 2 or not lines[0]:
        return None
    return Interp(path, os.path.realpath(lines[0]), lines[1].strip())


def discover_interpreters():
    cands = ["%s/versions/%s/bin/python3" % (PYENV, v) for v in PYENV_VERSIONS] + ["/usr/bin/python3"]
    for m in MINORS:
        for d in os.environ.get("PATH", "").split(":"):
            if d:
                cands.append(os.path.join(d, "python" + m))
    seen, found = set(), []
    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as ex:
        for it in ex.map(probe_interp, cands):
            if it is None or it.exe in seen:
                continue
            try:
                major, minor = (int(x) for x in it.version.split(".")[:2])
            except ValueError:
                continue
            if (major, minor) < (3, 8):
                continue
            seen.add(it.exe)
            found.append(it)
    return found


# --------------------------------------------------------------------------
# CLI

def register_cli_tests():
    @test("--version prints 'grader X.Y.Z' (the Makefile's VERSION) and exits 0")
    def _(c):
        p = run([GRADER, "--version"])
        c.eq(p.rc, 0, "exit status")
        c(re.fullmatch(r"grader \d+\.\d+\.\d+\n", p.stdout), "stdout %r is not 'grader X.Y.Z'" % p.stdout)
        if VERSION:
            c.eq(p.stdout.strip(), "grader " + VERSION, "version line")

    @test("--help lists the commands and exits 0")
    def _(c):
        p = run([GRADER, "--help"])
        c.eq(p.rc, 0, "exit status")
        for word in ("usage: grader", "grade", "parse-tracemalloc", "rubric check", "Exit status"):
            c(word in p.stdout, "stdout lacks %r" % word)

    @test("doctor: exits 0 and reports the sandbox layers, the interpreter and the data directory")
    def _(c):
        p = run([GRADER, "doctor"])
        c.eq(p.rc, 0, "exit status")
        c(re.search(r"(?m)^  level: (full|degraded) ", p.stdout), "no isolation level: %s" % short(p.stdout, 300))
        for layer in ("pid_namespace", "network_namespace", "cgroup_memory", "seccomp", "landlock"):
            c(re.search(r"(?m)^  %s +(active|unavailable)" % layer, p.stdout), "no %s row: %s" % (layer, short(p.stdout, 300)))
        c(re.search(r"(?m)^  a run of /bin/true: exit 0,", p.stdout), "no sandboxed run of /bin/true: %s" % short(p.stdout, 300))
        c(re.search(r"(?m)^python:\n  /\S+ \(cpython 3\.\d+\.\d+\)$", p.stdout), "no interpreter line: %s" % short(p.stdout, 300))
        c(re.search(r"(?m)^  site-packages /\S+: empty in runs ", p.stdout), "no site-packages line: %s" % short(p.stdout, 600))

    @test("grade --help documents --rubric, --format, --python and exits 0")
    def _(c):
        p = run([GRADER, "grade", "--help"])
        c.eq(p.rc, 0, "exit status")
        for word in ("usage: grader grade", "--rubric", "--format", "--python", "SUBMISSION", "NO_COLOR"):
            c(word in p.stdout, "stdout lacks %r" % word)

    @test("no arguments: usage on stderr, exit 2")
    def _(c):
        p = run([GRADER])
        c.eq(p.rc, 2, "exit status")
        c("usage" in p.stderr, "stderr lacks the usage: %r" % short(p.stderr))
        c.eq(p.stdout, "", "stdout")

    @test("unknown command: exit 2, stderr names it")
    def _(c):
        p = run([GRADER, "frobnicate"])
        c.eq(p.rc, 2, "exit status")
        c("frobnicate" in p.stderr, "stderr does not name the command: %r" % short(p.stderr))
        c.eq(p.stdout, "", "stdout")

    @test("grade with no such path: exit 2, stderr names the path, nothing on stdout")
    def _(c):
        missing = os.path.join(TMP, "no-such-submission")
        for fmt in ("text", "json"):
            p = run([GRADER, "grade", "--format", fmt, missing])
            c(p.rc == 2, "--format %s: %s, expected exit 2" % (fmt, p.brief()))
            c(missing in p.stderr, "--format %s: stderr does not name %s: %r" % (fmt, missing, short(p.stderr)))
            c(p.stdout == "", "--format %s: stdout %r, expected nothing" % (fmt, short(p.stdout)))

    @test("grade usage errors (unknown --format, two submissions, no submission): exit 2")
    def _(c):
        for args in (["--format", "xml", sub("canonical-fix")], [sub("canonical-fix"), sub("unfixed")], []):
            p = run([GRADER, "grade"] + args)
            c(p.rc == 2, "grade %s: %s, expected exit 2" % (" ".join(args), p.brief()))
            c(p.stdout == "", "grade %s: stdout %r, expected nothing" % (" ".join(args), short(p.stdout)))


# --------------------------------------------------------------------------
# Rubrics

def mutated_rubric(name, mutate):
    """A copy of the default rubric (with its baselines/) changed by
    mutate(lines) -> (line, column, words): where the error is, 1-based, and
    words the message must contain."""
    d = os.path.join(TMP, "rubric-" + name)
    os.makedirs(d)
    shutil.copytree(os.path.join(REPO, "rubrics", "baselines"), os.path.join(d, "baselines"))
    with open(RUBRIC, encoding="utf-8") as f:
        lines = f.read().split("\n")
    where = mutate(lines)
    path = os.path.join(d, "weakref-leak.yaml")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines))
    return (path,) + where


def _index(lines, text, start=0):
    for i in range(start, len(lines)):
        if lines[i].strip() == text:
            return i
    raise Failed("the default rubric has no line %r any more; update this test" % text)


def _syntax(lines):
    i = _index(lines, "points: 10")
    lines[i] += ": 11"  # "mapping values are not allowed" at the second colon
    return i + 1, [len(lines[i]) - 3], []


def _unknown_criterion_key(lines):
    i = _index(lines, "points: 10")
    indent = lines[i][:len(lines[i]) - len(lines[i].lstrip())]
    lines.insert(i + 1, indent + "pionts: 10")
    return i + 2, [len(indent) + 1], ["pionts", "points"]


def _unknown_top_key(lines):
    i = _index(lines, "entry: leaky_app.py")
    lines.insert(i + 1, "titel: A typo")
    return i + 2, [1], ["titel", "title"]


def _bad_regex(lines):
    old = '        pattern: "^Game \'The Big Game\' has 5 players\\\\.\\\\r?$"'
    for i, line in enumerate(lines):
        if line == old:
            break
    else:
        raise Failed("the default rubric has no line %r any more; update this test" % old)
    lines[i] = old.replace("has 5", "has (5")
    # The pattern as PCRE2 sees it, after YAML's escapes: ^Game 'The Big Game' has (5 players\.\r?$
    pattern = "^Game 'The Big Game' has (5 players\\.\\r?$"
    # A missing ')' is reported at the end of the pattern.
    return i + 1, None, ["offset %d" % len(pattern)]


RUBRIC_CASES = [
    ("a YAML syntax error", "syntax", _syntax),
    ("an unknown criterion key, with the closest valid key", "unknown-key", _unknown_criterion_key),
    ("an unknown top-level key, with the closest valid key", "unknown-top-key", _unknown_top_key),
    ("an invalid regular expression, with its offset", "bad-regex", _bad_regex),
]

_rubric_cache = {}
_rubric_lock = threading.Lock()


def rubric_case(slug):
    with _rubric_lock:
        if slug not in _rubric_cache:
            fn = [m for _, s, m in RUBRIC_CASES if s == slug][0]
            _rubric_cache[slug] = mutated_rubric(slug, fn)
        return _rubric_cache[slug]


def check_rubric_error(c, p, path, line, columns, words, what):
    c(p.rc == 2, "%s: %s, expected exit 2" % (what, p.brief()))
    first = p.stderr.split("\n")[0]
    m = re.match(re.escape(path) + r":(\d+):(\d+): (.+)$", first)
    if not c(m, "%s: stderr does not start with '%s:LINE:COLUMN: message': %r" % (what, path, short(p.stderr))):
        return
    c(int(m.group(1)) == line, "%s: error reported at line %s, expected %d: %s" % (what, m.group(1), line, first))
    if columns is not None:
        c(int(m.group(2)) in columns, "%s: error reported at column %s, expected %s: %s" % (
            what, m.group(2), " or ".join(map(str, columns)), first))
    for w in words:
        c(w in p.stderr, "%s: message lacks %r: %s" % (what, w, first))


def register_rubric_tests():
    @test("rubric check rubrics/weakref-leak.yaml: ok (7 criteria, 100 points), exit 0")
    def _(c):
        p = run([GRADER, "rubric", "check", RUBRIC_REL])
        c.eq(p.rc, 0, "exit status")
        c.eq(p.stdout, "%s: ok (7 criteria, 100 points)\n" % RUBRIC_REL, "stdout")

    for title, slug, _ in RUBRIC_CASES:
        def fn(c, slug=slug, title=title):
            path, line, cols, words = rubric_case(slug)
            p = run([GRADER, "rubric", "check", path])
            check_rubric_error(c, p, path, line, cols, words, "rubric check")
            c(p.stdout == "", "rubric check: stdout %r, expected nothing" % short(p.stdout))
        add("rubric check rejects %s: FILE:LINE:COLUMN on stderr, exit 2" % title, fn)

    @test("grade --rubric with an invalid rubric: exit 2 with FILE:LINE:COLUMN, nothing graded")
    def _(c):
        path, line, cols, words = rubric_case("unknown-key")
        p = run([GRADER, "grade", "--format", "json", "--rubric", path, sub("canonical-fix")], heavy=True)
        check_rubric_error(c, p, path, line, cols, words, "grade --rubric")
        c(p.stdout == "", "stdout %r, expected nothing" % short(p.stdout))

    @test("rubric check with no such file: exit 2, stderr names it")
    def _(c):
        missing = os.path.join(TMP, "no-such-rubric.yaml")
        p = run([GRADER, "rubric", "check", missing])
        c.eq(p.rc, 2, "exit status")
        c(missing in p.stderr, "stderr does not name the file: %r" % short(p.stderr))


# --------------------------------------------------------------------------
# parse-tracemalloc

TM_FIXTURE = fixture("tracemalloc", "mixed.txt")
TM_EXPECTED = fixture("tracemalloc", "mixed.expected.json")
DIFF_KEYS = ("size_diff", "size_diff_bytes", "count_diff")


def close_bytes(got, want):
    return isinstance(got, (int, float)) and abs(got - want) <= max(0.5, abs(want) * 0.01)


def check_statistics(c, got, expected):
    if not c(isinstance(got, list), "output is not a JSON array"):
        return
    c(len(got) == len(expected), "%d statistics, expected %d (the fixture has %d real lines among junk); got files %r"
      % (len(got), len(expected), len(expected), [g.get("file") for g in got if isinstance(g, dict)]))
    for i, (g, e) in enumerate(zip(got, expected)):
        where = "statistic %d (%s)" % (i + 1, short(e["text"], 60))
        if not c(isinstance(g, dict), "%s is not an object" % where):
            continue
        for k in ("file", "line", "size", "count", "text", "size_diff", "count_diff"):
            if k in e:
                c(g.get(k) == e[k], "%s: %s is %r, expected %r" % (where, k, g.get(k), e[k]))
        for k in ("size_bytes", "size_diff_bytes", "average_bytes"):
            if k in e:
                c(close_bytes(g.get(k), e[k]), "%s: %s is %r, expected about %r" % (where, k, g.get(k), e[k]))
        if "size_diff" not in e:
            extra = [k for k in DIFF_KEYS if k in g]
            c(not extra, "%s is not a diff line but has %s" % (where, ", ".join(extra)))
        if "average_bytes" not in e:
            c("average_bytes" not in g, "%s has count=0 and no average, but average_bytes is %r" % (
                where, g.get("average_bytes")))


def register_parse_tests():
    @test("parse-tracemalloc FILE: every real statistic among junk, field by field")
    def _(c):
        with open(TM_EXPECTED, encoding="utf-8") as f:
            expected = json.load(f)
        p = run([GRADER, "parse-tracemalloc", TM_FIXTURE])
        c.eq(p.rc, 0, "exit status")
        check_statistics(c, p.json(), expected)

    @test("parse-tracemalloc reads standard input (no FILE and '-') with the same result")
    def _(c):
        with open(TM_FIXTURE, "rb") as f:
            data = f.read()
        ref = run([GRADER, "parse-tracemalloc", TM_FIXTURE])
        for args in ([], ["-"]):
            p = run([GRADER, "parse-tracemalloc"] + args, stdin_data=data)
            c(p.rc == 0, "parse-tracemalloc %s: %s" % (" ".join(args), p.brief()))
            c(p.json() == ref.json(), "parse-tracemalloc %s < FILE differs from parse-tracemalloc FILE" % " ".join(args))

    @test("parse-tracemalloc on text without statistics prints [] and exits 0")
    def _(c):
        p = run([GRADER, "parse-tracemalloc"], stdin_data=b"Game 'The Big Game' has 5 players.\nnothing here\n")
        c.eq(p.rc, 0, "exit status")
        c.eq(p.json(), [], "output")

    @test("parse-tracemalloc with no such file: exit 2, stderr names it")
    def _(c):
        missing = os.path.join(TMP, "no-such-output.txt")
        p = run([GRADER, "parse-tracemalloc", missing])
        c.eq(p.rc, 2, "exit status")
        c(missing in p.stderr, "stderr does not name the file: %r" % short(p.stderr))


# --------------------------------------------------------------------------
# Samples under every interpreter

def samples():
    """Every folder in submissions/; one without an expectation is a failure."""
    return sorted(d for d in os.listdir(SUBMISSIONS) if os.path.isdir(os.path.join(SUBMISSIONS, d)))


def register_matrix(interps, py_main):
    for sample in samples():
        if sample not in EXPECTED:
            def fn(c, sample=sample):
                raise Failed("submissions/%s has no expected verdict in tests/integration/suite.py (EXPECTED)" % sample)
            add("sample %s: expected verdict known" % sample, fn)
    for sample in EXPECTED:
        if not os.path.isdir(sub(sample)):
            def fn(c, sample=sample):
                raise Failed("submissions/%s is missing" % sample)
            add("sample %s exists" % sample, fn)
    present = [s for s in samples() if s in EXPECTED]
    by_minor = {}
    for it in interps:
        by_minor.setdefault(it.minor, []).append(it)
    for m in MINORS:
        if m not in by_minor:
            def missing(c, m=m):
                raise Skip("python%s not found" % m)
            add("python%s" % m, missing)

    for sample in present:
        for it in interps:
            def fn(c, sample=sample, it=it):
                p = grade(sub(sample), python=it.path)
                res, crit = graded(c, p)
                py = res.get("python") or {}
                c.eq(py.get("version"), it.version, "python.version")
                c(os.path.realpath(py.get("executable") or "") == it.exe,
                  "python.executable %r is not %s" % (py.get("executable"), it.exe))
                check_verdict(c, res, crit, sample)
            add("sample %s on Python %s" % (sample, it.label()), fn)

    for sample in present:
        def fn(c, sample=sample):
            res, crit = graded(c, grade(sub(sample), python=py_main.path))
            for cid in IDS:
                fb = (crit.get(cid) or {}).get("feedback") or ""
                # criteria_expand() writes "(unknown)" for a {fact} that is not there.
                c("(unknown)" not in fb, "%s feedback quotes facts that do not exist ('(unknown)'): %s"
                  % (cid, short(fb, 250)))
        add("sample %s: feedback names no missing fact ('(unknown)') on Python %s" % (sample, py_main.version), fn)

    for sample in present:
        def fn(c, sample=sample):
            keys = {}
            for it in interps:
                p = grade(sub(sample), python=it.path)
                try:
                    keys[it.version + " " + it.path] = verdict_key(result_of(p))
                except Failed as f:
                    keys[it.version + " " + it.path] = ("no verdict: " + short(str(f), 120), None, ())
            distinct = {}
            for who, k in keys.items():
                distinct.setdefault(k, []).append(who)
            if len(distinct) > 1:
                c(False, "verdicts differ: " + " | ".join(
                    "%s on %s" % (describe_verdict(k) if k[1] is not None else k[0], ", ".join(w))
                    for k, w in distinct.items()))
            c(len(keys) >= 1, "no interpreter")
        add("sample %s: identical verdict under all %d interpreters" % (sample, len(interps)), fn)


# --------------------------------------------------------------------------
# Interpreter selection

def is_elf(path):
    try:
        with open(path, "rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def register_python_tests(interps, py_main):
    shim = os.path.join(PYENV, "shims", "python3")

    @test("--python with the pyenv shim resolves to the real interpreter")
    def _(c):
        if not os.path.exists(shim):
            raise Skip("pyenv shim %s not found" % shim)
        res, crit = graded(c, grade(sub("canonical-fix"), python=shim))
        exe = (res.get("python") or {}).get("executable") or ""
        c("/shims/" not in exe, "python.executable is the shim: %s" % exe)
        c(is_elf(exe), "python.executable %r is not an interpreter binary (not ELF)" % exe)
        c.eq(res.get("score"), 100, "score")

    @test("default interpreter (python3 on PATH, through the pyenv shim when present) is a real interpreter")
    def _(c):
        res, crit = graded(c, grade(sub("canonical-fix")))
        exe = (res.get("python") or {}).get("executable") or ""
        c("/shims/" not in exe, "python.executable is a shim: %s" % exe)
        c(is_elf(exe), "python.executable %r is not an interpreter binary (not ELF)" % exe)
        c.eq(res.get("score"), 100, "score")

    others = [it for it in interps if it.exe != py_main.exe]

    @test("GRADER_PYTHON chooses the interpreter, and --python overrides it")
    def _(c):
        if len(others) < 1:
            raise Skip("GRADER_PYTHON: needs two interpreters")
        env_py, flag_py = others[-1], py_main
        res, _ = graded(c, grade(sub("canonical-fix"), env_extra={"GRADER_PYTHON": env_py.path}))
        c.eq((res.get("python") or {}).get("version"), env_py.version, "with GRADER_PYTHON, python.version")
        res, _ = graded(c, grade(sub("canonical-fix"), python=flag_py.path, env_extra={"GRADER_PYTHON": env_py.path}))
        c.eq((res.get("python") or {}).get("version"), flag_py.version, "with GRADER_PYTHON and --python, python.version")

    @test("--python that is not an interpreter (missing, /bin/true): exit 2, stderr names it")
    def _(c):
        for bad in (os.path.join(TMP, "no-such-python"), "/bin/true"):
            if bad == "/bin/true" and not os.path.exists(bad):
                continue
            p = run([GRADER, "grade", "--format", "json", "--python", bad, sub("canonical-fix")], heavy=True)
            c(p.rc == 2, "--python %s: %s, expected exit 2" % (bad, p.brief()))
            c(bad in p.stderr, "--python %s: stderr does not name it: %r" % (bad, short(p.stderr)))
            c(p.stdout == "", "--python %s: stdout %r, expected nothing" % (bad, short(p.stdout)))

    @test("site-packages: hidden from the runs by default (the import error says why), shown with python.site_packages")
    def _(c):
        # A package installed in the interpreter's own site-packages, found
        # here rather than named, so the test follows the machine.
        found = subprocess.run(
            [py_main.path, "-E", "-s", "-c",
             "import importlib.util, os, site\n"
             "dirs = [os.path.realpath(d) for d in site.getsitepackages()]\n"
             "for name in ('six', 'idna', 'certifi', 'packaging', 'attr', 'yaml', 'pkg_resources'):\n"
             "    s = importlib.util.find_spec(name)\n"
             "    d = [d for d in dirs if s and s.origin and os.path.realpath(s.origin).startswith(d + os.sep)]\n"
             "    if d:\n"
             "        print(name, d[0]); break\n"],
            capture_output=True, text=True).stdout.split()
        if len(found) != 2:
            raise Skip("site-packages: %s has none of the packages this test imports" % py_main.path)
        found, site_dir = found
        d = make_dir("site-import")
        with open(sub("canonical-fix") + "/leaky_app.py", encoding="utf-8") as f:
            text = f.read()
        with open(os.path.join(d, "leaky_app.py"), "w", encoding="utf-8") as f:
            f.write("import %s\n%s" % (found, text))
        res, crit = graded(c, grade(d, python=py_main.path))
        c.eq((res.get("python") or {}).get("site_packages"), "hidden", "python.site_packages, default rubric")
        exc = ((res.get("runs") or {}).get("after") or {}).get("facts", {}).get("exception") or {}
        c.eq(exc.get("type"), "ModuleNotFoundError", "the import of %s, default rubric" % found)
        c("standard library" in (exc.get("message") or ""), "the message does not say why: %r" % exc.get("message"))
        c.eq((crit.get("runs") or {}).get("passed"), False, "criterion runs, default rubric")

        # Naming the folder itself finds it empty: no other way in.
        d2 = make_dir("site-import-by-path")
        with open(os.path.join(d2, "leaky_app.py"), "w", encoding="utf-8") as f:
            # An AssertionError here, not the ModuleNotFoundError below,
            # would mean the folder's files were visible.
            f.write("import os, sys\nassert os.listdir(%r) == [], 'site-packages visible'\nsys.path.insert(0, %r)\n"
                    "import %s\n%s" % (site_dir, site_dir, found, text))
        res, crit = graded(c, grade(d2, python=py_main.path))
        exc = ((res.get("runs") or {}).get("after") or {}).get("facts", {}).get("exception") or {}
        c.eq(exc.get("type"), "ModuleNotFoundError", "the import of %s from %s named in sys.path" % (found, site_dir))

        rdir = os.path.join(TMP, "rubric-site-packages")
        shutil.copytree(os.path.join(REPO, "rubrics", "baselines"), os.path.join(rdir, "baselines"))
        with open(RUBRIC, encoding="utf-8") as f:
            text = f.read()
        rubric = os.path.join(rdir, "weakref-leak.yaml")
        with open(rubric, "w", encoding="utf-8") as f:
            f.write(text.replace("\ncriteria:\n", "\npython:\n  site_packages: true\n\ncriteria:\n", 1))
        res, crit = graded(c, grade(d, python=py_main.path, rubric=rubric))
        c.eq((res.get("python") or {}).get("site_packages"), "visible", "python.site_packages, site_packages: true")
        c.eq(res.get("score"), 100, "score with site_packages: true")

        # Without the minimal root nothing can be hidden: the result says so
        # instead of claiming what did not happen.
        res, crit = graded(c, grade(d, python=py_main.path, env_extra={"GRADER_SANDBOX_DISABLE": "minimal-root"}))
        shown = (res.get("python") or {}).get("site_packages") or ""
        c(shown.startswith("visible: "), "python.site_packages without the minimal root: %r" % shown)
        c.eq(res.get("score"), 100, "score without the minimal root, default rubric")

    @test("--python with CPython older than 3.8: exit 2, stderr says 3.8 or newer")
    def _(c):
        old = [p for p in ("%s/versions/3.7.16/bin/python3" % PYENV, "%s/versions/3.6.15/bin/python3" % PYENV)
               if os.path.exists(p)]
        if not old:
            raise Skip("--python too old: no CPython 3.6 or 3.7 found")
        p = run([GRADER, "grade", "--format", "json", "--python", old[0], sub("canonical-fix")], heavy=True)
        c(p.rc == 2, "%s, expected exit 2" % p.brief())
        c("3.8" in p.stderr, "stderr does not say 3.8 or newer: %r" % short(p.stderr))


# --------------------------------------------------------------------------
# Submission shapes

def make_dir(*parts):
    d = os.path.join(TMP, *parts)
    os.makedirs(d, exist_ok=True)
    return d


def invalid_result(c, path, words):
    p = run([GRADER, "grade", "--format", "json", path], heavy=True)
    res = result_of(p)
    c.eq(res.get("status"), "invalid", "status")
    c.eq(res.get("score"), 0, "score")
    msg = res.get("message") or ""
    for w in words:
        c(w in msg, "message lacks %r: %r" % (w, msg))
    t = run([GRADER, "grade", "--format", "text", path], heavy=True)
    c(t.rc == 0, "--format text: %s, expected exit 0" % t.brief())
    c(msg and msg in t.stdout, "--format text does not show the message: %r" % short(t.stdout))
    return res


def register_submission_tests(py_main):
    @test("folder without leaky_app.py: status invalid, exit 0, message names leaky_app.py and lists the folder")
    def _(c):
        d = make_dir("no-entry")
        for name in ("leaky-app.py", "notes.txt"):
            with open(os.path.join(d, name), "w") as f:
                f.write("print('hello')\n")
        invalid_result(c, d, ["leaky_app.py", "leaky-app.py", "notes.txt"])

    @test("empty folder: status invalid, exit 0, message names leaky_app.py")
    def _(c):
        invalid_result(c, make_dir("empty"), ["leaky_app.py"])

    @test("leaky_app.py that is a symbolic link (in a folder): status invalid, exit 0")
    def _(c):
        d = make_dir("entry-symlink")
        os.symlink(os.path.join(sub("canonical-fix"), "leaky_app.py"), os.path.join(d, "leaky_app.py"))
        invalid_result(c, d, ["leaky_app.py", "symbolic link"])

    @test("leaky_app.py that is a symbolic link, given directly: status invalid, exit 0")
    def _(c):
        d = make_dir("direct-symlink")
        link = os.path.join(d, "leaky_app.py")
        os.symlink(os.path.join(sub("canonical-fix"), "leaky_app.py"), link)
        invalid_result(c, link, ["symbolic link"])

    @test("leaky_app.py that is a directory: status invalid, exit 0")
    def _(c):
        d = make_dir("entry-dir")
        os.makedirs(os.path.join(d, "leaky_app.py"))
        shutil.copy(os.path.join(sub("canonical-fix"), "leaky_app.py"), os.path.join(d, "leaky_app.py", "leaky_app.py"))
        invalid_result(c, d, ["leaky_app.py", "directory"])

    for sample, name in (("canonical-fix", "my_solution.py"), ("unfixed", "homework 3.py")):
        def fn(c, sample=sample, name=name):
            d = make_dir("single-" + sample)
            path = os.path.join(d, name)
            shutil.copy(os.path.join(sub(sample), "leaky_app.py"), path)
            res, crit = graded(c, grade(path, python=py_main.path))
            c.eq(sorted(os.listdir(d)), [name], "the submission's folder after grading (the runs use copies)")
            c.eq((res.get("submission") or {}).get("path"), path, "submission.path")
            c.eq((res.get("submission") or {}).get("sha256"), sha256_file(path), "submission.sha256")
            check_verdict(c, res, crit, sample)
        add("a single file given directly (%r, the %s sample) is graded like the folder" % (name, sample), fn)


# --------------------------------------------------------------------------
# Output formats

ANSI = re.compile(r"\x1b\[")


def check_text(c, p, sample):
    c(p.rc == 0, "%s, expected exit 0" % p.brief())
    out = p.stdout
    exp = EXPECTED[sample]
    for cid in IDS:
        word = "PASS" if cid in exp["pass"] else "FAIL"
        c(re.search(r"^\s*%s\s+%s\s" % (word, re.escape(cid)), ANSI_STRIP.sub("", out), re.M),
          "no '%s  %s' row" % (word, cid))
    total = "Total: %d/100" % exp["score"]
    c(total in ANSI_STRIP.sub("", out), "no %r line" % total)


ANSI_STRIP = re.compile(r"\x1b\[[0-9;]*m")


def register_format_tests(py_main):
    @test("text format, piped: PASS rows for every criterion, 'Total: 100/100', no ANSI escapes")
    def _(c):
        p = grade(sub("canonical-fix"), fmt=None)
        check_text(c, p, "canonical-fix")
        c(not ANSI.search(p.stdout), "ANSI escape in piped output: %r" % short(p.stdout[:200]))

    @test("text format, piped: FAIL rows and 'Total: 25/100' for the unfixed sample")
    def _(c):
        p = grade(sub("unfixed"), fmt="text", python=py_main.path)
        check_text(c, p, "unfixed")
        c(not ANSI.search(p.stdout), "ANSI escape in piped output")

    @test("text format on a terminal: coloured (the colour test can see escapes)")
    def _(c):
        p = grade(sub("canonical-fix"), fmt="text", use_tty=True)
        check_text(c, p, "canonical-fix")
        c(ANSI.search(p.stdout), "no ANSI escape on a terminal without NO_COLOR")

    @test("text format on a terminal with NO_COLOR=1: no ANSI escapes")
    def _(c):
        p = grade(sub("canonical-fix"), fmt="text", use_tty=True, env_extra={"NO_COLOR": "1"})
        check_text(c, p, "canonical-fix")
        c(not ANSI.search(p.stdout), "ANSI escape with NO_COLOR=1: %r" % short(p.stdout[:200]))

    @test("text format, piped, with NO_COLOR=1: no ANSI escapes")
    def _(c):
        p = grade(sub("canonical-fix"), fmt="text", env_extra={"NO_COLOR": "1"})
        check_text(c, p, "canonical-fix")
        c(not ANSI.search(p.stdout), "ANSI escape with NO_COLOR=1")

    @test("json format: the whole result schema for the canonical fix")
    def _(c):
        path = sub("canonical-fix")
        res, crit = graded(c, grade(path, python=py_main.path))
        for k in ("status", "message", "score", "max_score", "criteria", "runs", "tracemalloc", "rubric",
                  "submission", "python", "grader"):
            c(k in res, "no %r key" % k)
        c(isinstance(res.get("message"), str), "message is not a string")
        rb = res.get("rubric") or {}
        c.eq(rb.get("id"), "weakref-leak", "rubric.id")
        c.eq(rb.get("sha256"), sha256_file(RUBRIC), "rubric.sha256")
        c(os.path.realpath(rb.get("path") or "") == os.path.realpath(RUBRIC), "rubric.path %r is not %s" % (rb.get("path"), RUBRIC))
        sb = res.get("submission") or {}
        c.eq(sb.get("path"), path, "submission.path")
        c.eq(sb.get("sha256"), sha256_file(os.path.join(path, "leaky_app.py")), "submission.sha256")
        py = res.get("python") or {}
        c.eq(py.get("version"), py_main.version, "python.version")
        c.eq((res.get("grader") or {}).get("version"), VERSION, "grader.version")
        runs = res.get("runs") or {}
        keys = {"exit_code": int, "signal": int, "timed_out": bool, "wall_ms": int, "cpu_ms": int, "max_rss_kb": int,
                "stdout_bytes": int, "stdout_truncated": bool, "stderr_bytes": int, "stderr_truncated": bool,
                "stderr_tail": str, "statistics": list, "isolation": dict}
        for name in ("before", "after", "probe"):
            r = runs.get(name)
            if not c(isinstance(r, dict), "runs.%s is not an object" % name):
                continue
            for k, typ in keys.items():
                c(isinstance(r.get(k), typ) and not (typ is int and isinstance(r.get(k), bool)),
                  "runs.%s.%s is %r, expected %s" % (name, k, r.get(k), typ.__name__))
            c("limit" in r and r["limit"] is None, "runs.%s.limit is %r, expected null" % (name, r.get("limit")))
            c.eq(r.get("exit_code"), 0, "runs.%s.exit_code" % name)
            c.eq(r.get("signal"), 0, "runs.%s.signal" % name)
            c.eq(r.get("timed_out"), False, "runs.%s.timed_out" % name)
            iso = r.get("isolation") or {}
            c(iso.get("level") in ("full", "degraded") and (iso.get("summary") or "").strip()
              and len(iso.get("layers") or []) >= 10, "runs.%s.isolation is incomplete: %r" % (name, iso))
        for name in ("before", "after"):
            r = runs.get(name) or {}
            st = r.get("statistics") or []
            c(len(st) >= 1, "runs.%s.statistics is empty" % name)
            for s in st[:3]:
                c(isinstance(s, dict) and {"file", "line", "size", "size_bytes", "count", "text"} <= set(s),
                  "runs.%s.statistics entry lacks fields: %r" % (name, s))
            c(r.get("stdout_bytes", 0) > 0 and r.get("stdout_truncated") is False,
              "runs.%s stdout_bytes %r / truncated %r" % (name, r.get("stdout_bytes"), r.get("stdout_truncated")))
            c(r.get("wall_ms", -1) >= 0 and r.get("max_rss_kb", 0) > 0,
              "runs.%s wall_ms %r, max_rss_kb %r" % (name, r.get("wall_ms"), r.get("max_rss_kb")))
        c(isinstance((runs.get("after") or {}).get("facts"), dict), "runs.after.facts is not an object")
        tm = res.get("tracemalloc") or {}
        c.eq(tm.get("baseline_shows_leak"), True, "tracemalloc.baseline_shows_leak")
        c.eq(tm.get("agrees_with_snapshots"), True, "tracemalloc.agrees_with_snapshots")
        c.eq(tm.get("released_vs_baseline"), True, "tracemalloc.released_vs_baseline")

    @test("json format for an invalid submission parses and says why")
    def _(c):
        d = make_dir("json-invalid")
        p = run([GRADER, "grade", "--format", "json", d], heavy=True)
        res = result_of(p)
        c.eq(res.get("status"), "invalid", "status")
        c("leaky_app.py" in (res.get("message") or ""), "message does not name leaky_app.py")
        c.eq((res.get("grader") or {}).get("version"), VERSION, "grader.version")


# --------------------------------------------------------------------------
# Hostile submissions

_small = {}
_small_lock = threading.Lock()
SMALL_LIMITS = [("cpu_seconds", "2"), ("wall_seconds", "4"), ("memory_mb", "256"), ("processes", "32"),
                ("output_kb", "64")]


def small_rubric():
    with _small_lock:
        if "path" in _small:
            return _small["path"]
        if "error" in _small:
            raise Failed(_small["error"])
        d = make_dir("small-rubric")
        shutil.copytree(os.path.join(REPO, "rubrics", "baselines"), os.path.join(d, "baselines"))
        with open(RUBRIC, encoding="utf-8") as f:
            text = f.read()
        for key, val in SMALL_LIMITS:
            text, n = re.subn(r"(?m)^(\s+%s:)[ \t]*\S+[ \t]*$" % key, r"\g<1> " + val, text)
            if n != 1:
                _small["error"] = "cannot set %s in a copy of %s (found %d times)" % (key, RUBRIC_REL, n)
                raise Failed(_small["error"])
        path = os.path.join(d, "weakref-leak.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        _small["path"] = path
        return path


def hostile_result(c, path, py_main):
    rubric = small_rubric()
    res, crit = graded(c, grade(path, rubric=rubric, python=py_main.path, timeout=HOSTILE_TIMEOUT))
    c.eq((res.get("rubric") or {}).get("path"), rubric, "rubric.path")
    runs = crit.get("runs") or {}
    c(runs.get("passed") is False, "the runs criterion passed")
    after = (res.get("runs") or {}).get("after")
    if not isinstance(after, dict):
        raise Failed("runs.after is %r" % (after,))
    for name in ("before", "after", "probe"):
        r = (res.get("runs") or {}).get(name) or {}
        c(r.get("limit", "absent") in LIMITS, "runs.%s.limit is %r, not one of %s" % (name, r.get("limit", "absent"), LIMITS))
    before = (res.get("runs") or {}).get("before") or {}
    c(before.get("exit_code") == 0 and before.get("limit") is None,
      "the baseline run was disturbed: exit %r, limit %r" % (before.get("exit_code"), before.get("limit")))
    return res, crit, after, runs.get("feedback") or ""


def names_limit(c, feedback, pattern, what):
    c(re.search(pattern, feedback, re.I), "runs feedback does not name the %s: %s" % (what, short(feedback, 300)))


def register_hostile_tests(py_main):
    @test("hostile busy loop: runs.after.limit 'time', runs fails naming the limit")
    def _(c):
        res, crit, after, fb = hostile_result(c, fixture("hostile", "busy-loop"), py_main)
        c.eq(after.get("limit"), "time", "runs.after.limit")
        # On a loaded machine the loop may get so little CPU that the wall
        # clock (twice the CPU limit) runs out first; either way it is the
        # time limit, and a CPU verdict must have used most of the 2 s budget
        # (RLIMIT_CPU counts ticks, the cgroup counts nanoseconds: under
        # steal time they differ by a few hundred ms).
        if after.get("timed_out") is not True:
            c((after.get("cpu_ms") or 0) >= 1500, "CPU verdict after only %r ms of CPU" % after.get("cpu_ms"))
        names_limit(c, fb, r"at its time limit", "time limit")

    @test("hostile time.sleep(1000): runs.after.timed_out, runs fails naming the timeout")
    def _(c):
        res, crit, after, fb = hostile_result(c, fixture("hostile", "sleep"), py_main)
        c.eq(after.get("timed_out"), True, "runs.after.timed_out")
        c.eq(after.get("limit"), "time", "runs.after.limit (README: a wall-clock timeout is 'time' with timed_out)")
        c(after.get("wall_ms", 0) < 60000, "runs.after.wall_ms %r: the 4 s wall limit did not stop it" % after.get("wall_ms"))
        names_limit(c, fb, r"at its time limit \(timed out: yes", "timeout")

    for slug, what in (("memory-bytearray", "bytearray(10**10)"), ("memory-list", "a growing list")):
        def fn(c, slug=slug):
            res, crit, after, fb = hostile_result(c, fixture("hostile", slug), py_main)
            c.eq(after.get("limit"), "memory", "runs.after.limit")
            names_limit(c, fb, r"at its memory limit", "memory limit")
        add("hostile memory bomb (%s): runs.after.limit 'memory', runs fails naming the limit" % what, fn)

    @test("hostile output flood: runs.after.limit 'output', stdout_truncated, runs fails naming the limit")
    def _(c):
        res, crit, after, fb = hostile_result(c, fixture("hostile", "output-flood"), py_main)
        c.eq(after.get("limit"), "output", "runs.after.limit")
        c.eq(after.get("stdout_truncated"), True, "runs.after.stdout_truncated")
        c(after.get("stdout_bytes", 0) > 64 * 1024, "runs.after.stdout_bytes %r, expected more than the 64 KiB cap"
          % after.get("stdout_bytes"))
        names_limit(c, fb, r"at its output limit", "output limit")

    @test("hostile fork bomb: grader survives, result graded, runs fails naming the limit, no bomb process left")
    def _(c):
        token = uuid.uuid4().hex
        marker = "grader-it-forkbomb-" + token
        d = make_dir("fork-bomb")
        with open(fixture("hostile", "fork-bomb", "leaky_app.py"), encoding="utf-8") as f:
            src = f.read()
        if "@RUN_ID@" not in src:
            raise Failed("fixtures/hostile/fork-bomb/leaky_app.py has no @RUN_ID@ placeholder")
        with open(os.path.join(d, "leaky_app.py"), "w", encoding="utf-8") as f:
            f.write(src.replace("@RUN_ID@", token))
        c(not marker_pids(marker), "bomb processes exist before grading")
        seen = {"max": 0}
        stop = threading.Event()

        def watch():
            while not stop.is_set():
                seen["max"] = max(seen["max"], len(marker_pids(marker)))
                stop.wait(0.05)
        w = threading.Thread(target=watch, daemon=True)
        w.start()
        try:
            p = grade(d, rubric=small_rubric(), python=py_main.path, timeout=HOSTILE_TIMEOUT)
        finally:
            stop.set()
            w.join()
        left = marker_pids(marker)
        if left:
            time.sleep(2)
            later = marker_pids(marker)
            c(False, "%d bomb processes still running when the grader returned (%d after 2 s more), e.g. pids %s"
              % (len(left), len(later), left[:8]))
            kill_pids(marker)
        c(seen["max"] >= 2, "the bomb never showed up in /proc (max %d processes seen): nothing was tested" % seen["max"])
        c(seen["max"] <= 2 * 32, "%d bomb processes at once, above processes: 32 for each of the 2 runs" % seen["max"])
        res, crit = graded(c, p)
        runs = crit.get("runs") or {}
        c(runs.get("passed") is False, "the runs criterion passed")
        after = (res.get("runs") or {}).get("after") or {}
        limit = after.get("limit")
        c(limit is not None or after.get("timed_out") is True,
          "runs.after shows no limit and no timeout: %r" % {k: after.get(k) for k in ("exit_code", "signal", "limit", "timed_out")})
        fb = runs.get("feedback") or ""
        if limit:
            names_limit(c, fb, r"at its %s limit" % re.escape(limit), "%s limit" % limit)
        elif after.get("timed_out") is True:
            names_limit(c, fb, r"timed out: yes", "timeout")

    @test("fabricated report (hard-coded lines of a fixed run, script unfixed): tracemalloc fails as fabricated")
    def _(c):
        res, crit = graded(c, grade(fixture("fabricated-report"), python=py_main.path))
        tm = crit.get("tracemalloc") or {}
        c(tm.get("passed") is False, "the tracemalloc criterion passed: %s" % short(tm.get("feedback"), 200))
        fb = tm.get("feedback") or ""
        c("fabricated" in fb or "does not come from your own snapshots" in fb,
          "tracemalloc feedback does not call the report fabricated: %s" % short(fb, 300))
        c.eq((res.get("tracemalloc") or {}).get("agrees_with_snapshots"), False, "tracemalloc.agrees_with_snapshots")
        for cid, want in (("report", True), ("freed", False), ("no-cycle", False), ("weak-reference", False)):
            c((crit.get(cid) or {}).get("passed") is want, "%s %s" % (cid, "failed" if want else "passed"))


    @test("forged runtime record (token hunted in environ, /proc, the box; written to every fd): no credit gained")
    def _(c):
        res, crit = graded(c, grade(with_tail("forged-record", os.path.join(REPO, "rubrics", "baselines", "leaky_app.py"),
                                          "forged-record.py"), python=py_main.path))
        for cid in ("weak-reference", "no-cycle", "freed", "tracemalloc"):
            c((crit.get(cid) or {}).get("passed") is False, "%s passed on a forged record" % cid)
        c(res.get("score", 100) <= 25, "score %s, the unfixed script gets 25" % res.get("score"))


def marker_pids(marker):
    want = marker.encode()
    pids = []
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % d, "rb") as f:
                args = f.read().split(b"\0")
        except OSError:
            continue
        if want in args:
            pids.append(int(d))
    return pids


def kill_pids(marker):
    # Only processes of this test's own bomb (its unique marker), by pid.
    for _ in range(50):
        pids = marker_pids(marker)
        if not pids:
            return
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.1)


# --------------------------------------------------------------------------
# make install, ASan

def register_baseline_tests(py_main):
    @test("a baseline that does not leak: status error, exit 3, the message says so; never a silent pass")
    def _(c):
        d = make_dir("fixed-baseline-rubric")
        os.makedirs(os.path.join(d, "baselines"))
        # The rubric's baseline replaced by the fix: this interpreter then
        # cannot show the leak, and grading against it would mean nothing.
        shutil.copy(os.path.join(SUBMISSIONS, "canonical-fix", "leaky_app.py"),
                    os.path.join(d, "baselines", "leaky_app.py"))
        shutil.copy(RUBRIC, os.path.join(d, "weakref-leak.yaml"))
        proc = grade(os.path.join(SUBMISSIONS, "canonical-fix"), python=py_main.path,
                     rubric=os.path.join(d, "weakref-leak.yaml"))
        c.eq(proc.rc, 3, "exit status")
        try:
            res = json.loads(proc.out)
        except ValueError:
            raise Failed("stdout is not JSON: %s" % short(proc.out, 200))
        c.eq(res.get("status"), "error", "status")
        c("did not show the leak" in (res.get("message") or ""), "message: %s" % short(res.get("message"), 200))
        c.eq(res.get("criteria"), [], "criteria of an error result")
        c.eq(res.get("score"), 0, "score")


def register_guard_tests(py_main):
    def guarded_rubric(extra):
        d = make_dir("guard-rubric-%d" % abs(hash(extra)))
        shutil.copytree(os.path.join(REPO, "rubrics", "baselines"), os.path.join(d, "baselines"))
        with open(RUBRIC, encoding="utf-8") as f:
            text = f.read()
        text = text.replace("\ncriteria:\n", "\n" + extra + "\ncriteria:\n", 1)
        path = os.path.join(d, "weakref-leak.yaml")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        return path, text.split("\n").index(extra.split("\n")[0]) + 1

    @test("guard: a network attempt is recorded in the result, and refused when the rubric blocks it")
    def _(c):
        # The runtime suite's own variant, as a submission folder.
        sub = make_dir("network-attempt")
        shutil.copy(os.path.join(REPO, "tests", "runtime", "variants", "net_attempt.py"),
                    os.path.join(sub, "leaky_app.py"))
        res, crit = graded(c, grade(sub, python=py_main.path))
        att = res.get("attempts") or []
        c(any(a.get("category") == "network" and "127.0.0.1" in (a.get("detail") or "") and a.get("blocked") is False
              for a in att), "attempts without a recorded network attempt: %r" % att)
        c.eq(res.get("score"), 100, "score (an attempt is telemetry, not a penalty)")
        path, _ = guarded_rubric("guard:\n  block: [network]")
        res, crit = graded(c, grade(sub, python=py_main.path, rubric=path))
        att = res.get("attempts") or []
        c(any(a.get("category") == "network" and a.get("blocked") is True for a in att),
          "the blocked attempt is not marked blocked: %r" % att)
        text = grade(sub, python=py_main.path, rubric=path, fmt="text")
        c(", refused" in text.stdout, "text output does not show the refusal: %s" % short(text.stdout, 300))

    @test("guard: an unknown category is a rubric error at its line, with a suggestion")
    def _(c):
        path, line = guarded_rubric("guard:\n  block: [netwrk]")
        p = run([GRADER, "rubric", "check", path])
        c.eq(p.rc, 2, "exit status")
        c(re.search(r":%d:\d+: invalid guard category 'netwrk' \(did you mean 'network'\?\)" % (line + 1), p.stderr),
          "stderr: %s" % short(p.stderr, 300))


def register_isolation_tests(py_main):
    @test("isolation: the result records the level and every layer; --isolation strict grades on a full machine")
    def _(c):
        res, crit = graded(c, grade(os.path.join(SUBMISSIONS, "canonical-fix"), python=py_main.path))
        iso = res.get("isolation") or {}
        names = [l.get("name") for l in iso.get("layers") or []]
        c(iso.get("level") in ("full", "degraded"), "isolation.level %r" % iso.get("level"))
        for want in ("pid_namespace", "network_namespace", "seccomp", "landlock", "cgroup_memory", "rlimits"):
            c(want in names, "isolation.layers lacks %s: %r" % (want, names))
        for l in iso.get("layers") or []:
            c(l.get("active") or l.get("detail"), "inactive layer %s without a reason" % l.get("name"))
        strict = run([GRADER, "grade", "--isolation", "strict", "--format", "json", "--python", py_main.path,
                      os.path.join(SUBMISSIONS, "canonical-fix")])
        if iso.get("level") == "full":
            c.eq(strict.rc, 0, "strict exit status on a full machine")
            c.eq(json.loads(strict.stdout or "{}").get("score"), 100, "strict score")
        else:
            c.eq(strict.rc, 3, "strict exit status on a degraded machine")
        bad = run([GRADER, "grade", "--isolation", "sloppy", os.path.join(SUBMISSIONS, "canonical-fix")])
        c.eq(bad.rc, 2, "exit status for an unknown isolation mode")

    @test("isolation: forced degraded modes give the same verdicts; strict refuses them naming the missing layers")
    def _(c):
        for sample, score in (("canonical-fix", 100), ("unfixed", 25)):
            for off in ("namespaces", "cgroups,seccomp,landlock"):
                res, crit = graded(c, grade(os.path.join(SUBMISSIONS, sample), python=py_main.path,
                                            env_extra={"GRADER_SANDBOX_DISABLE": off}))
                c.eq(res.get("score"), score, "%s with %s off" % (sample, off))
                c.eq((res.get("isolation") or {}).get("level"), "degraded", "level with %s off" % off)
        p = run([GRADER, "grade", "--isolation", "strict", "--format", "json", "--python", py_main.path,
                 os.path.join(SUBMISSIONS, "canonical-fix")], env=base_env(GRADER_SANDBOX_DISABLE="cgroups"))
        c.eq(p.rc, 3, "strict exit status when degraded")
        res = json.loads(p.stdout or "{}")
        c.eq(res.get("status"), "error", "strict status when degraded")
        c("strict isolation refused" in (res.get("message") or "") and "cgroup_memory" in (res.get("message") or ""),
          "message: %s" % short(res.get("message"), 300))


def register_encoding_tests(py_main):
    @test("invalid UTF-8 on stdout and stderr: the result is still complete JSON and the fix still scores 100")
    def _(c):
        res, crit = graded(c, grade(with_tail("invalid-utf8-output", os.path.join(SUBMISSIONS, "canonical-fix", "leaky_app.py"),
                                          "invalid-utf8-output.py"), python=py_main.path))
        c.eq(res.get("score"), 100, "score")
        tail = ((res.get("runs") or {}).get("after") or {}).get("stderr_tail") or ""
        c("warning: \ufffd" in tail, "stderr_tail lost or not replaced: %r" % tail[:200])


def register_cache_tests(py_main):
    @test("runtime code cache: written once per interpreter under XDG_CACHE_HOME, a corrupt one is ignored")
    def _(c):
        cache = tempfile.mkdtemp(prefix="grader-cache-test-")
        try:
            env = {"XDG_CACHE_HOME": cache}
            res, crit = graded(c, grade(os.path.join(SUBMISSIONS, "canonical-fix"), python=py_main.path, env_extra=env))
            c.eq(res.get("score"), 100, "score with a cold cache")
            files = glob.glob(os.path.join(cache, "grader", "probe-*.bin"))
            c(len(files) == 1, "expected one compiled runtime in the cache, found %r" % files)
            answers = glob.glob(os.path.join(cache, "grader", "python-*.txt"))
            c(len(answers) == 1, "expected the interpreter's answer cached once, found %r" % answers)
            if answers:
                with open(answers[0]) as f:
                    lines = f.read().split()
                c(len(lines) >= 4 and os.path.realpath(lines[0]) == res.get("python", {}).get("executable"),
                  "cached answer %r does not match the result's python %r" % (lines, res.get("python")))
            if files:
                mode = os.stat(os.path.join(cache, "grader")).st_mode & 0o777
                c(mode == 0o700, "cache directory mode %o, expected 700" % mode)
                with open(files[0], "r+b") as f:
                    head = f.readline()
                    f.truncate(len(head) + 40)   # a torn write: marshal cannot load it
                res, crit = graded(c, grade(os.path.join(SUBMISSIONS, "canonical-fix"), python=py_main.path,
                                            env_extra=dict(env, GRADER_TEST_NONCE="corrupt")))
                c.eq(res.get("score"), 100, "score with a corrupt cache")
                probe = ((res.get("runs") or {}).get("after") or {}).get("facts") or {}
                c(probe.get("observed", {}).get("weak_link") is not None, "the runtime did not run from source")
                # Another checkout's runtime for the same interpreter: kept
                # while it may be in use (a week since its last use), pruned
                # after, when this runtime compiles its own again.
                base = os.path.basename(files[0]).split("-", 2)[2]
                recent = os.path.join(cache, "grader", "probe-aaaaaaaaaaaaaaaa-" + base)
                old = os.path.join(cache, "grader", "probe-bbbbbbbbbbbbbbbb-" + base)
                for path in (recent, old):
                    with open(path, "wb") as f:
                        f.write(b"GRADER-PROBE-CODE other\n")
                week = time.time() - 8 * 24 * 3600
                os.utime(old, (week, week))
                os.unlink(files[0])
                res, crit = graded(c, grade(os.path.join(SUBMISSIONS, "canonical-fix"), python=py_main.path,
                                            env_extra=dict(env, GRADER_TEST_NONCE="recompile")))
                c.eq(res.get("score"), 100, "score after recompiling")
                c(os.path.exists(recent), "another runtime's file in use was deleted")
                c(not os.path.exists(old), "another runtime's file unused for 8 days was kept")
        finally:
            shutil.rmtree(cache, ignore_errors=True)


def register_install_tests():
    @test("make install PREFIX=tmp; the installed grader grades canonical-fix from / with 100")
    def _(c):
        prefix = make_dir("prefix")
        p = run(["make", "--no-print-directory", "-C", REPO, "install", "PREFIX=" + prefix], heavy=True)
        if p.rc != 0:
            raise Failed("make install failed: exit %s: %s" % (p.rc, short((p.stdout + p.stderr)[-600:], 600)))
        binary = os.path.join(prefix, "bin", "grader")
        if not c(os.access(binary, os.X_OK), "%s is not installed" % binary):
            return
        v = run([binary, "--version"], cwd="/")
        c.eq(v.stdout.strip(), "grader " + (VERSION or "?"), "installed --version")
        g = run([binary, "grade", "--format", "json", sub("canonical-fix")], cwd="/", heavy=True)
        res, crit = graded(c, g)
        c.eq(res.get("score"), 100, "score")
        rb = os.path.realpath((res.get("rubric") or {}).get("path") or "")
        c(rb.startswith(os.path.realpath(prefix) + "/share/grader/"),
          "rubric.path %r is not the installed rubric under %s/share/grader" % (rb, prefix))


def sanitizer_report(text):
    return [pat for pat in SANITIZER_PATTERNS if pat in text]


def register_asan_tests(py_main):
    def san_env():
        extra = {}
        if "ASAN_OPTIONS" not in os.environ:
            extra["ASAN_OPTIONS"] = "detect_leaks=1"
        if "UBSAN_OPTIONS" not in os.environ:
            extra["UBSAN_OPTIONS"] = "print_stacktrace=1"
        return extra

    for sample in ("canonical-fix", "unfixed"):
        def fn(c, sample=sample):
            if not os.access(GRADER_SAN, os.X_OK):
                raise Failed("%s is not an executable" % GRADER_SAN)
            plain = grade(sub(sample), python=py_main.path)
            san = grade(sub(sample), python=py_main.path, binary=GRADER_SAN, env_extra=san_env())
            found = sanitizer_report(san.stderr + san.stdout)
            c(not found, "sanitizer report (%s): %s" % (", ".join(found), short(san.stderr[-600:], 600)))
            c(san.rc == plain.rc, "exit %s under ASan, %s without" % (san.rc, plain.rc))
            a, b = result_of(plain), result_of(san)
            c(verdict_key(a) == verdict_key(b), "verdict differs: %s without ASan, %s with" % (
                describe_verdict(verdict_key(a)), describe_verdict(verdict_key(b))))
            fa = {x.get("id"): x.get("feedback") for x in a.get("criteria") or []}
            fbs = {x.get("id"): x.get("feedback") for x in b.get("criteria") or []}
            for cid in IDS:
                c(fa.get(cid) == fbs.get(cid), "%s feedback differs under ASan: %r vs %r" % (
                    cid, short(fa.get(cid), 120), short(fbs.get(cid), 120)))
            check_verdict(c, b, criteria_of(b), sample)
        add("ASan build grades %s like the plain build, with no sanitizer report" % sample, fn)

    @test("ASan build: parse-tracemalloc, rubric errors and an invalid submission, same output, no sanitizer report")
    def _(c):
        if not os.access(GRADER_SAN, os.X_OK):
            raise Failed("%s is not an executable" % GRADER_SAN)
        path, _, _, _ = rubric_case("bad-regex")
        path2, _, _, _ = rubric_case("syntax")
        empty = make_dir("asan-empty")
        cases = [["parse-tracemalloc", TM_FIXTURE], ["rubric", "check", path], ["rubric", "check", path2],
                 ["rubric", "check", RUBRIC_REL], ["grade", "--format", "json", empty], ["--help"]]
        for args in cases:
            a = run([GRADER] + args)
            b = run([GRADER_SAN] + args, env=base_env(**san_env()))
            what = " ".join(args[:2])
            found = sanitizer_report(b.stderr + b.stdout)
            c(not found, "%s: sanitizer report (%s): %s" % (what, ", ".join(found), short(b.stderr[-400:], 400)))
            c(a.rc == b.rc and a.stdout == b.stdout and a.stderr == b.stderr,
              "%s: output differs under ASan (exit %s vs %s)" % (what, a.rc, b.rc))


# --------------------------------------------------------------------------

def main(argv):
    global GRADER, GRADER_SAN, TMP, VERSION
    if len(argv) != 3:
        print("usage: suite.py GRADER GRADER_SAN", file=sys.stderr)
        return 2
    GRADER, GRADER_SAN = (os.path.abspath(a) for a in argv[1:3])
    TMP = tempfile.mkdtemp(prefix="grader-integration-")
    try:
        with open(os.path.join(REPO, "Makefile")) as f:
            m = re.search(r"(?m)^VERSION\s*:?=\s*(\S+)", f.read())
            VERSION = m.group(1) if m else None
    except OSError:
        VERSION = None

    interps = discover_interpreters()
    py_main = next((it for it in interps if it.path == "/usr/bin/python3"), interps[0] if interps else None)

    if not os.access(GRADER, os.X_OK):
        results = [("not ok", "grader binary", "%s is not an executable (did the build fail?)" % GRADER)]
    elif py_main is None:
        results = [("not ok", "interpreters", "no CPython 3.8+ found")]
    else:
        register_cli_tests()
        register_rubric_tests()
        register_parse_tests()
        register_format_tests(py_main)
        register_submission_tests(py_main)
        register_python_tests(interps, py_main)
        register_hostile_tests(py_main)
        register_cache_tests(py_main)
        register_encoding_tests(py_main)
        register_isolation_tests(py_main)
        register_guard_tests(py_main)
        register_baseline_tests(py_main)
        register_matrix(interps, py_main)
        register_install_tests()
        register_asan_tests(py_main)
        results = None

    flt = os.environ.get("INTEGRATION_FILTER")
    counts = {"ok": 0, "not ok": 0, "skip": 0}
    details = []

    def report(status, name, why):
        counts[status] += 1
        if status == "ok":
            print("ok - %s" % name, flush=True)
        elif status == "skip":
            print("skip - %s" % why, flush=True)
        else:
            one = " ".join(why.split())
            print("not ok - %s: %s" % (name, one if len(one) <= 1500 else one[:1500] + "..."), flush=True)
            details.append("not ok - %s\n    %s\n" % (name, why.replace("; ", "\n    ")))

    if results is not None:
        for r in results:
            report(*r)
    else:
        tests = [(n, f) for n, f in TESTS if not flt or re.search(flt, n)]
        with concurrent.futures.ThreadPoolExecutor(max_workers=max(4, JOBS * 3)) as ex:
            futs = [ex.submit(run_test, n, f) for n, f in tests]
            for fut in futs:
                report(*fut.result())

    if SANITIZED:
        for finding in SAN_FINDINGS:
            report("not ok", "sanitizer report", finding)
        if not SAN_FINDINGS:
            report("ok", "no sanitizer report in any command of the suite (%s)" % os.path.basename(GRADER), "")

    if details:
        log = os.path.join(TMP, "details.log")
        with open(log, "w", encoding="utf-8") as f:
            f.write("\n".join(details))
        print("# details of the failures: %s (temporary files kept in %s)" % (log, TMP))
    else:
        shutil.rmtree(TMP, ignore_errors=True)
    print("integration: %d passed, %d failed, %d skipped" % (counts["ok"], counts["not ok"], counts["skip"]))
    return 1 if counts["not ok"] else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
