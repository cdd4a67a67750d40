#!/usr/bin/env python3
"""Git end-to-end tests for the grader (called by run.sh; see there for usage).

Each test is a function that takes a Check and asserts on real values:
commit ids from `git rev-parse`, scores, statuses, exit statuses, file
contents.  Repositories are built with the real `git` under one temporary
directory (removed at the end, whatever happened), with fixed author and
committer names, emails and dates, HOME pointing inside that directory,
GIT_CONFIG_GLOBAL=/dev/null and GIT_CONFIG_NOSYSTEM=1, so the machine's git
configuration never leaks in.  Every command has a timeout and runs in a
session of its own, killed whole when the timeout passes.

Times: committer dates are written with a +01:00 offset, author dates three
days earlier with +02:00 (so a grader that judges a deadline by author time,
or prints times in UTC or the local zone, is caught), and the grader runs
with TZ=Asia/Kathmandu (+05:45) for the same reason.
"""
import datetime
import json
import os
import re
import shlex
import shutil
import stat
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tests", "lib"))
from harness import (Commands, Failed, Skip, run_suite, sha256, shared, short,  # noqa: E402
                     missing_tools, test, unique_dir, write)
RUBRIC = os.path.join(REPO, "rubrics", "weakref-leak.yaml")
BASELINES = os.path.join(REPO, "rubrics", "baselines")
SOURCES = {
    "baseline": os.path.join(BASELINES, "leaky_app.py"),                       # the lesson's original: 25
    "fix": os.path.join(REPO, "submissions", "canonical-fix", "leaky_app.py"),  # 100
    "crash": os.path.join(REPO, "submissions", "crashing-fix", "leaky_app.py"),  # 0
    "syntax": os.path.join(REPO, "submissions", "syntax-error", "leaky_app.py"),  # 0
}
PRE_COMMIT_HOOKS_YAML = os.path.join(REPO, ".pre-commit-hooks.yaml")

PY = "/usr/bin/python3"  # passed as --python to every grading (a pyenv shim on PATH is slow)
ENTRY = "leaky_app.py"

# The default rubric's criteria, in order, with their points.
CRITERIA = [("runs", 10), ("report", 10), ("weak-reference", 15), ("no-cycle", 25),
            ("freed", 20), ("tracemalloc", 15), ("players-reachable", 5)]
IDS = [cid for cid, _ in CRITERIA]
POINTS = dict(CRITERIA)
UNFIXED_FAILS = ["weak-reference", "no-cycle", "freed", "tracemalloc"]  # what the original script fails
SCORES = {"baseline": 25, "fix": 100, "crash": 0, "syntax": 0}

# The criterion made hidden in the hidden-criterion tests, and every text of
# it that a student must never see from `grader check`.
HIDDEN_ID = "players-reachable"
HIDDEN_POINTS = 5

AUTHOR = "Ada Student <ada@example.edu>"
COMMITTER_NAME, COMMITTER_EMAIL = "Course Bot", "bot@example.edu"
COMMITTER_TZ = datetime.timezone(datetime.timedelta(hours=1))
AUTHOR_TZ = datetime.timezone(datetime.timedelta(hours=2))
GRADER_TZ = "Asia/Kathmandu"
MARKER = "# installed by grader"

JOBS = max(1, int(os.environ.get("GIT_SUITE_JOBS", "2") or 2))
GRADE_TIMEOUT = float(os.environ.get("GIT_SUITE_TIMEOUT") or 60)  # one grader call (about 0.2 s when it works)
GIT_TIMEOUT = 60
HOOK_TIMEOUT = GRADE_TIMEOUT + 30  # a git commit or push that runs a grading hook
MAX_TIMEOUTS = 3  # after this many commands killed at their timeout, the rest are not started

GRADER = None
TMP = None
HOME = None
DATA = {}  # name -> bytes of SOURCES, and derived scripts


# --------------------------------------------------------------------------
# Running commands

def tool_env(extra=None, path=None):
    """The environment of every git and grader command: the caller's, without
    anything that steers git or the grader, with an isolated HOME."""
    drop = ("NO_COLOR", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "EMAIL", "TZ", "MAKEFLAGS", "MFLAGS",
            "MAKELEVEL", "PAGER", "EDITOR", "VISUAL")
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("GIT_") and not k.startswith("GRADER_") and k not in drop}
    env.update({
        "HOME": HOME,
        "XDG_CONFIG_HOME": os.path.join(HOME, ".config"),
        "XDG_CACHE_HOME": os.path.join(HOME, ".cache"),
        "GIT_CONFIG_GLOBAL": "/dev/null",
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_TERMINAL_PROMPT": "0",
        "GIT_EDITOR": "true",
        "NO_COLOR": "1",
        "TZ": GRADER_TZ,
    })
    if path is not None:
        env["PATH"] = path
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


def git(args, cwd, env_extra=None, check=True, heavy=False, timeout=GIT_TIMEOUT, path=None,
        stdin_data=None):
    cmd = ["git", "-c", "user.name=" + COMMITTER_NAME, "-c", "user.email=" + COMMITTER_EMAIL,
           "-c", "init.defaultBranch=main", "-c", "advice.detachedHead=false"] + list(args)
    p = run(cmd, cwd, tool_env(env_extra, path=path), timeout, stdin_data=stdin_data, heavy=heavy)
    if check and (p.timed_out or p.rc != 0):
        raise Failed("`git %s` failed: %s" % (" ".join(args), p.brief()))
    return p


def grader(args, cwd=None, env_extra=None, path=None, timeout=GRADE_TIMEOUT):
    return run([GRADER] + list(args), cwd or TMP, tool_env(env_extra, path=path), timeout, heavy=True)


def grade(target, *opts, rubric=None, cwd=None):
    """`grader grade --python PY --format json [--rubric R] OPTS... TARGET`."""
    args = ["grade", "--python", PY, "--format", "json"]
    if rubric:
        args += ["--rubric", rubric]
    return grader(args + list(opts) + [target], cwd=cwd)


def check_cmd(*args, cwd=None, rubric=None, fmt=None):
    """`grader check --python PY [--rubric R] [--format F] ARGS...`."""
    cmd = ["check", "--python", PY]
    if rubric:
        cmd += ["--rubric", rubric]
    if fmt:
        cmd += ["--format", fmt]
    return grader(cmd + list(args), cwd=cwd)


# --------------------------------------------------------------------------
# Checks

def result_of(proc, want_rc=0, what="grade"):
    if proc.timed_out or proc.rc != want_rc:
        raise Failed("%s: expected exit %d, got %s" % (what, want_rc, proc.brief()))
    res = proc.json()
    if not isinstance(res, dict):
        raise Failed("%s: the JSON result is not an object: %s" % (what, short(proc.stdout, 200)))
    return res


def graded(proc, what="grade"):
    res = result_of(proc, 0, what)
    if res.get("status") != "graded":
        raise Failed("%s: status %r, expected 'graded': %s" % (what, res.get("status"), short(res.get("message"), 400)))
    return res


def invalid(c, proc, what):
    """The result of a grading that must be a verdict of status invalid."""
    res = result_of(proc, 0, what)
    c.eq(res.get("status"), "invalid", "%s: status (message: %s)" % (what, short(res.get("message"), 300)))
    c(isinstance(res.get("message"), str) and res["message"].strip(), "%s: no message" % what)
    c(res.get("score") in (0, None), "%s: an invalid submission scored %r" % (what, res.get("score")))
    return res


def subm(res):
    s = res.get("submission")
    if not isinstance(s, dict):
        raise Failed("result has no submission object: %s" % short(json.dumps(res)[:300]))
    return s


def crit_by_id(res):
    crit = res.get("criteria")
    if not isinstance(crit, list):
        raise Failed("result has no criteria list (status %r, message %r)" % (res.get("status"), res.get("message")))
    return {x.get("id"): x for x in crit if isinstance(x, dict)}


def expect_commit(c, res, what, commit, score, source="commit", sha=None, late=None, later=None, time_iso=None):
    """The selected commit, score and submission fields of a graded result."""
    s = subm(res)
    c.eq(s.get("source"), source, "%s: submission.source" % what)
    if commit is not None:
        c.eq(s.get("commit"), commit, "%s: submission.commit" % what)
    c.eq(res.get("score"), score, "%s: score" % what)
    if sha is not None:
        c.eq(s.get("sha256"), sha, "%s: submission.sha256" % what)
    if late is not None:
        c.eq(s.get("late"), late, "%s: submission.late" % what)
    if later is not None:
        c.eq(s.get("later_commits"), later, "%s: submission.later_commits" % what)
    if time_iso is not None:
        c.eq(s.get("commit_time"), time_iso, "%s: submission.commit_time" % what)
    return s


# --------------------------------------------------------------------------
# Files and repositories

def make_dir(name):
    return unique_dir(TMP, name)


def read(path):
    with open(path, "rb") as f:
        return f.read()


def folder(name, data, entry=ENTRY):
    """A plain folder (no repository) holding leaky_app.py = data."""
    d = make_dir(name)
    write(os.path.join(d, entry), data)
    return d


def iso(dt):
    return dt.isoformat()


def parse_iso(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def author_date(committer_iso):
    """Three days before the committer date, in another offset."""
    return iso((parse_iso(committer_iso) - datetime.timedelta(days=3)).astimezone(AUTHOR_TZ))


class Repo:
    """A repository built with the real git.  Commits have fixed names, emails
    and dates; commit() never runs hooks (the hook tests call git themselves)."""

    def __init__(self, name, init=True):
        self.path = make_dir(name)
        self.n = 0
        if init:
            git(["init", "-q", self.path], TMP)

    def git(self, *args, **kw):
        return git(list(args), self.path, **kw)

    def file(self, rel):
        return os.path.join(self.path, rel)

    def write(self, rel, data):
        write(self.file(rel), data)

    def next_time(self):
        self.n += 1
        return iso(datetime.datetime(2026, 11, 10, 9, 0, tzinfo=COMMITTER_TZ) + datetime.timedelta(minutes=7 * self.n))

    def dates(self, when=None):
        when = when or self.next_time()
        return {"GIT_COMMITTER_DATE": when, "GIT_AUTHOR_DATE": author_date(when)}

    def commit(self, files=None, when=None, msg=None, remove=()):
        """Writes files (rel -> bytes), removes `remove`, stages everything and
        commits; returns the new commit's id from `git rev-parse HEAD`."""
        for rel, data in (files or {}).items():
            self.write(rel, data)
        for rel in remove:
            os.remove(self.file(rel))
        self.git("add", "-A")
        self.git("commit", "-q", "--no-verify", "--allow-empty", "-m", msg or "commit %d" % (self.n + 1),
                 "--author", AUTHOR, env_extra=self.dates(when))
        return self.rev("HEAD")

    def rev(self, rev):
        return self.git("rev-parse", "--verify", "-q", rev + "^{commit}").stdout.strip()

    def try_rev(self, rev):
        p = self.git("rev-parse", "--verify", "-q", rev + "^{commit}", check=False)
        return p.stdout.strip() if p.rc == 0 else None

    def show(self, spec):
        return self.git("show", spec).out


def rubric_with(visibility, criterion=HIDDEN_ID):
    """A copy of the default rubric (with its baselines/ next to it) where
    `criterion` has `visibility: VISIBILITY`; checked with `rubric check`."""
    def build():
        d = make_dir("rubric-%s" % visibility.replace("_", "-"))
        shutil.copytree(BASELINES, os.path.join(d, "baselines"))
        text = read(RUBRIC).decode("utf-8")
        m = re.search(r"(?m)^  - id: %s\n    title: .*\n    points: \d+\n" % re.escape(criterion), text)
        if not m:
            raise Failed("the default rubric's criterion %s no longer has id, title, points on three lines; "
                         "update rubric_with()" % criterion)
        text = text[:m.end()] + "    visibility: %s\n" % visibility + text[m.end():]
        path = os.path.join(d, "weakref-leak.yaml")
        write(path, text.encode("utf-8"))
        p = grader(["rubric", "check", path])
        if p.rc != 0:
            raise Failed("the rubric with %s %s does not load: %s" % (criterion, visibility, p.brief()))
        return path
    return shared("rubric-" + visibility + "-" + criterion, build)


def rubric_texts(criterion):
    """id, title and feedback texts of a criterion of the default rubric, as
    a student would see them: every stretch of 20 or more characters between
    {placeholders}, cut to 60 characters."""
    text = read(RUBRIC).decode("utf-8")
    m = re.search(r"(?ms)^  - id: %s\n(.*?)(?=^  - id: |\Z)" % re.escape(criterion), text)
    if not m:
        raise Failed("no criterion %s in the default rubric" % criterion)
    lines = m.group(1).split("\n")
    title = next((l.split(":", 1)[1].strip() for l in lines if l.startswith("    title:")), None)
    if not title:
        raise Failed("criterion %s has no title line" % criterion)
    texts = [criterion, title]
    i = 0
    while i < len(lines):
        fm = re.match(r"^(\s+)(?:fail|pass): ?(.*)$", lines[i])
        i += 1
        if not fm:
            continue
        indent, value = len(fm.group(1)), fm.group(2).strip()
        if value in (">-", ">", "|", "|-"):
            parts = []
            while i < len(lines) and (not lines[i].strip() or len(lines[i]) - len(lines[i].lstrip()) > indent):
                parts.append(lines[i].strip())
                i += 1
            value = " ".join(parts)
        value = value.strip().strip('"').replace("{{", "{").replace("}}", "}")
        for piece in re.split(r"\{[^{}]*\}", value):
            piece = piece.strip(" .,;:()")
            if len(piece) >= 20:
                texts.append(piece[:60])
    return texts


# --------------------------------------------------------------------------
# Shared repositories

# The deadline repository: three commits at known committer times (+01:00).
T1 = "2026-11-18T14:00:00+01:00"  # the original script: 25
T2 = "2026-11-20T23:59:00+01:00"  # the fix: 100
T3 = "2026-11-21T10:15:00+01:00"  # the crashing fix: 0


def three_commits():
    def build():
        r = Repo("deadline-repo")
        ids = [r.commit({ENTRY: DATA["baseline"]}, when=T1, msg="start"),
               r.commit({ENTRY: DATA["fix"]}, when=T2, msg="weakref fix"),
               r.commit({ENTRY: DATA["crash"]}, when=T3, msg="late change")]
        # The work tree holds something else again: never what is graded.
        r.write(ENTRY, DATA["syntax"])
        return r, ids
    return shared("three-commits", build)


def rev_repo():
    """baseline (annotated tag `submitted`), crash, fix; HEAD is the fix."""
    def build():
        r = Repo("rev-repo")
        ids = [r.commit({ENTRY: DATA["baseline"]}, msg="start")]
        r.git("tag", "-a", "submitted", "-m", "submitted version", env_extra=r.dates())
        ids.append(r.commit({ENTRY: DATA["crash"]}, msg="attempt"))
        ids.append(r.commit({ENTRY: DATA["fix"]}, msg="fix"))
        r.write(ENTRY, DATA["syntax"])
        return r, ids
    return shared("rev-repo", build)


# --------------------------------------------------------------------------
# Grading commits: selection

def deadline_case(c, deadline, want, late, later, extra=()):
    r, ids = three_commits()
    names = {ids[0]: "the 1st commit", ids[1]: "the 2nd commit", ids[2]: "the 3rd commit"}
    idx = {"1": 0, "2": 1, "3": 2}[want]
    what = "--deadline %s%s" % (deadline, (" " + " ".join(extra)) if extra else "")
    res = graded(grade(r.path, *(list(extra) + ["--deadline", deadline])), what)
    s = subm(res)
    got = s.get("commit")
    c(got == ids[idx], "%s selected %s, expected %s (%s)" % (what, names.get(got, repr(got)), names[ids[idx]], ids[idx]))
    expect_commit(c, res, what, ids[idx], [SCORES["baseline"], SCORES["fix"], SCORES["crash"]][idx],
                  sha=sha256(DATA[["baseline", "fix", "crash"][idx]]), late=late, later=later,
                  time_iso=[T1, T2, T3][idx])
    c.eq(s.get("author"), AUTHOR, "%s: submission.author" % what)
    return res


@test("deadline exactly at the 2nd commit's committer time selects it: late, 1 later commit, commit_time in +01:00")
def _(c):
    deadline_case(c, T2, "2", True, 1)


@test("deadline: the same instant written in UTC (Z) selects the 2nd commit too")
def _(c):
    deadline_case(c, "2026-11-20T22:59:00Z", "2", True, 1)


@test("deadline one second before the 2nd commit selects the 1st (2 later commits)")
def _(c):
    deadline_case(c, "2026-11-20T23:58:59+01:00", "1", True, 2)


@test("deadline between the 2nd and 3rd commits selects the 2nd (also written in -05:00)")
def _(c):
    deadline_case(c, "2026-11-21T08:00:00+01:00", "2", True, 1)
    deadline_case(c, "2026-11-21T02:00:00-05:00", "2", True, 1)


@test("deadline after the 3rd commit selects the 3rd: late false, 0 later commits")
def _(c):
    deadline_case(c, "2026-11-22T00:00:00+01:00", "3", False, 0)


@test("deadline before the 1st commit: status invalid, exit 0, the message mentions the deadline")
def _(c):
    r, ids = three_commits()
    res = invalid(c, grade(r.path, "--deadline", "2026-11-01T00:00:00+01:00"), "deadline before every commit")
    c("deadline" in (res.get("message") or "").lower(), "message does not mention the deadline: %s"
      % short(res.get("message")))


@test("deadline with --rev searches the first-parent history from REV (HEAD~1 and a later deadline: the 2nd commit)")
def _(c):
    deadline_case(c, "2026-11-22T00:00:00+01:00", "2", False, 0, extra=("--rev", "HEAD~1"))


@test("deadline follows the first-parent history only: a merged branch's commit before the deadline is not selected")
def _(c):
    r = Repo("deadline-merge")
    m1 = r.commit({ENTRY: DATA["baseline"]}, when="2026-11-18T10:00:00+01:00", msg="start")
    r.git("checkout", "-q", "-b", "feature")
    f1 = r.commit({ENTRY: DATA["fix"]}, when="2026-11-19T10:00:00+01:00", msg="fix on a branch")
    r.git("checkout", "-q", "main")
    r.git("merge", "-q", "--no-ff", "--no-verify", "-m", "merge the fix", "feature",
          env_extra=r.dates("2026-11-21T10:00:00+01:00"))
    merge = r.rev("HEAD")
    c(r.rev("HEAD^1") == m1 and r.rev("HEAD^2") == f1, "harness: the merge's parents are not (main, feature)")
    res = graded(grade(r.path, "--deadline", "2026-11-20T12:00:00+01:00"), "deadline")
    got = subm(res).get("commit")
    c(got != f1, "selected the merged branch's commit %s, which is not on the first-parent history" % f1)
    c(got != merge, "selected the merge commit, committed after the deadline")
    expect_commit(c, res, "deadline", m1, SCORES["baseline"], sha=sha256(DATA["baseline"]), late=True, later=1)


@test("--rev selects HEAD~1, an annotated tag (peeled to its commit) and a full commit id")
def _(c):
    r, ids = rev_repo()
    for rev, i, kind in (("HEAD~1", 1, "crash"), ("submitted", 0, "baseline"), (ids[2], 2, "fix")):
        res = graded(grade(r.path, "--rev", rev), "--rev %s" % rev)
        expect_commit(c, res, "--rev %s" % rev, ids[i], SCORES[kind], sha=sha256(DATA[kind]))
    tag_obj = r.git("rev-parse", "submitted").stdout.strip()
    c(tag_obj != ids[0], "harness: the tag `submitted` is not an annotated tag")


@test("default: HEAD is graded (commit id, commit_time, author, late false, later_commits 0), not the work tree")
def _(c):
    r, ids = rev_repo()
    res = graded(grade(r.path), "HEAD")
    head = r.rev("HEAD")
    c.eq(head, ids[2], "harness: HEAD")
    s = expect_commit(c, res, "HEAD", head, SCORES["fix"], sha=sha256(DATA["fix"]), late=False, later=0)
    when = r.git("log", "-1", "--format=%cI", "HEAD").stdout.strip()
    c.eq(s.get("commit_time"), when, "submission.commit_time (git log --format=%cI)")
    c.eq(s.get("author"), AUTHOR, "submission.author")
    c.eq(s.get("before"), "baseline", "submission.before")
    c.eq(s.get("first_commit"), None, "submission.first_commit without --before first")
    c.eq(s.get("starter_modified"), None, "submission.starter_modified without --before first")


@test("default grades HEAD even when the work tree holds an uncommitted fix (25); --worktree grades the work tree (100)")
def _(c):
    r = Repo("worktree-repo")
    c1 = r.commit({ENTRY: DATA["baseline"]}, msg="start")
    r.write(ENTRY, DATA["fix"])
    res = graded(grade(r.path), "HEAD")
    expect_commit(c, res, "HEAD with a fixed work tree", c1, SCORES["baseline"], sha=sha256(DATA["baseline"]))
    res = graded(grade(r.path, "--worktree"), "--worktree")
    expect_commit(c, res, "--worktree", None, SCORES["fix"], source="worktree", sha=sha256(DATA["fix"]))


@test("--index grades the staged file (100), not HEAD (25) nor the work tree (syntax error, 0)")
def _(c):
    r = Repo("index-repo")
    c1 = r.commit({ENTRY: DATA["baseline"]}, msg="start")
    r.write(ENTRY, DATA["fix"])
    r.git("add", ENTRY)
    r.write(ENTRY, DATA["syntax"])
    staged = r.git("show", ":" + ENTRY).out
    c(staged == DATA["fix"], "harness: the staged file is not the fix")
    res = graded(grade(r.path, "--index"), "--index")
    expect_commit(c, res, "--index", None, SCORES["fix"], source="index", sha=sha256(DATA["fix"]))
    res = graded(grade(r.path), "HEAD")
    expect_commit(c, res, "HEAD", c1, SCORES["baseline"], sha=sha256(DATA["baseline"]))
    res = graded(grade(r.path, "--worktree"), "--worktree")
    expect_commit(c, res, "--worktree", None, SCORES["syntax"], source="worktree", sha=sha256(DATA["syntax"]))


@test("a bare repository (git clone --bare) grades its HEAD; --rev HEAD~1 works there too")
def _(c):
    r = Repo("bare-src")
    c1 = r.commit({ENTRY: DATA["baseline"]}, msg="start")
    c2 = r.commit({ENTRY: DATA["fix"]}, msg="fix")
    bare = os.path.join(make_dir("bare-parent"), "student.git")
    git(["clone", "-q", "--bare", r.path, bare], TMP)
    c.eq(git(["--git-dir", bare, "rev-parse", "HEAD"], TMP).stdout.strip(), c2, "harness: the bare clone's HEAD")
    res = graded(grade(bare), "bare HEAD")
    expect_commit(c, res, "bare HEAD", c2, SCORES["fix"], sha=sha256(DATA["fix"]))
    res = graded(grade(bare, "--rev", "HEAD~1"), "bare --rev HEAD~1")
    expect_commit(c, res, "bare --rev HEAD~1", c1, SCORES["baseline"], sha=sha256(DATA["baseline"]))


@test("a plain folder and a plain file: source folder/file, commit, commit_time, author, late, later_commits null")
def _(c):
    d = folder("plain-folder", DATA["fix"])
    for target, source in ((d, "folder"), (os.path.join(d, ENTRY), "file")):
        res = graded(grade(target), source)
        s = expect_commit(c, res, source, None, SCORES["fix"], source=source, sha=sha256(DATA["fix"]))
        for k in ("commit", "commit_time", "author", "late", "later_commits", "first_commit"):
            c(k in s and s[k] is None, "%s: submission.%s is %r, expected null" % (source, k, s.get(k, "(missing)")))
        c.eq(s.get("before"), "baseline", "%s: submission.before" % source)


@test("--before first, first commit identical to the baseline: first_commit is it, starter_modified false")
def _(c):
    r = Repo("first-same")
    c1 = r.commit({ENTRY: DATA["baseline"]}, msg="starter")
    c2 = r.commit({ENTRY: DATA["fix"]}, msg="fix")
    res = graded(grade(r.path, "--before", "first"), "--before first")
    s = expect_commit(c, res, "--before first", c2, SCORES["fix"], sha=sha256(DATA["fix"]))
    c.eq(s.get("before"), "first", "submission.before")
    c.eq(s.get("first_commit"), c1, "submission.first_commit")
    c.eq(s.get("starter_modified"), False, "submission.starter_modified")


@test("--before first, first version differs (a comment line added; an earlier commit without leaky_app.py): "
      "starter_modified true, and the before run is that version")
def _(c):
    r = Repo("first-differs")
    r.commit({"README.md": b"# My memory lesson\n"}, msg="readme only")
    c1 = r.commit({ENTRY: DATA["starter-note"]}, msg="starter, with a note")
    c2 = r.commit({ENTRY: DATA["fix"]}, msg="fix")
    first = graded(grade(r.path, "--before", "first"), "--before first")
    s = expect_commit(c, first, "--before first", c2, SCORES["fix"], sha=sha256(DATA["fix"]))
    c.eq(s.get("before"), "first", "submission.before")
    c.eq(s.get("first_commit"), c1, "submission.first_commit (the oldest commit holding leaky_app.py)")
    c.eq(s.get("starter_modified"), True, "submission.starter_modified")
    base = graded(grade(r.path), "--before baseline (default)")
    c.eq(subm(base).get("before"), "baseline", "default submission.before")

    # The student's first version has one line more at the top, so the before
    # run's statistics about leaky_app.py sit one line lower than the baseline's.
    def entry_lines(res):
        stats = (((res.get("runs") or {}).get("before") or {}).get("statistics")) or []
        return sorted({st.get("line") for st in stats
                       if isinstance(st, dict) and os.path.basename(str(st.get("file"))) == ENTRY
                       and isinstance(st.get("line"), int)})
    lb, lf = entry_lines(base), entry_lines(first)
    if c(lb, "the baseline's before run shows no statistic about %s (runs.before.statistics)" % ENTRY):
        c(lf == [n + 1 for n in lb], "the before run with --before first is not the student's first version: "
          "its %s lines are %r, expected %r (the baseline's %r shifted by the added line)"
          % (ENTRY, lf, [n + 1 for n in lb], lb))


@test("files of the commit's tree are there for the run: a fix importing weakhelp.py, committed but gone from the work tree, scores 100")
def _(c):
    r = Repo("sibling-repo")
    c1 = r.commit({ENTRY: DATA["weakhelp-app"], "weakhelp.py": DATA["weakhelp-mod"]}, msg="fix with a helper")
    os.remove(r.file("weakhelp.py"))
    res = graded(grade(r.path), "HEAD")
    crit = crit_by_id(res)
    expect_commit(c, res, "HEAD", c1, 100, sha=sha256(DATA["weakhelp-app"]))
    c((crit.get("runs") or {}).get("passed") is True, "runs failed: %s" % short((crit.get("runs") or {}).get("feedback")))
    res = graded(grade(r.path, "--worktree"), "--worktree (no weakhelp.py on disk)")
    c(res.get("score") != 100, "--worktree without weakhelp.py on disk scored 100: the control is broken")


@test("files in subfolders of the commit's tree are there too: lib/weakhelp.py imported as lib.weakhelp scores 100")
def _(c):
    r = Repo("subfolder-repo")
    app = DATA["weakhelp-app"].replace(b"from weakhelp import", b"from lib.weakhelp import")
    c1 = r.commit({ENTRY: app, "lib/weakhelp.py": DATA["weakhelp-mod"]}, msg="fix with a helper package")
    shutil.rmtree(r.file("lib"))
    res = graded(grade(r.path), "HEAD")
    expect_commit(c, res, "HEAD", c1, 100, sha=sha256(app))
    res = graded(grade(r.path, "--worktree"), "--worktree (no lib/ on disk)")
    c(res.get("score") != 100, "--worktree without lib/weakhelp.py on disk scored 100: the control is broken")


# --------------------------------------------------------------------------
# Damaged and hostile repositories

@test("hostile: leaky_app.py committed as a symbolic link (to the fix, outside the repository): invalid, 'symbolic link'")
def _(c):
    r = Repo("symlink-entry")
    os.symlink(SOURCES["fix"], r.file(ENTRY))
    c1 = r.commit(msg="a link")
    mode = r.git("ls-tree", "HEAD", ENTRY).stdout.split()[:1]
    c.eq(mode, ["120000"], "harness: the committed entry's mode")
    res = invalid(c, grade(r.path), "symlink entry")
    c("symbolic link" in (res.get("message") or ""), "message lacks 'symbolic link': %s" % short(res.get("message")))


@test("hostile: a submodule (gitlink) at leaky_app.py: invalid, message names the submodule")
def _(c):
    r = Repo("submodule-entry")
    c0 = r.commit({"README.md": b"hello\n"}, msg="readme")
    r.git("update-index", "--add", "--cacheinfo", "160000,%s,%s" % (c0, ENTRY))
    r.git("commit", "-q", "--no-verify", "-m", "gitlink", "--author", AUTHOR, env_extra=r.dates())
    mode = r.git("ls-tree", "HEAD", ENTRY).stdout.split()[:1]
    c.eq(mode, ["160000"], "harness: the committed entry's mode")
    res = invalid(c, grade(r.path), "submodule entry")
    c("submodule" in (res.get("message") or "").lower(), "message does not say submodule: %s" % short(res.get("message")))


def loose_object(r, spec):
    oid = r.git("rev-parse", spec).stdout.strip()
    path = os.path.join(r.path, ".git", "objects", oid[:2], oid[2:])
    if not os.path.isfile(path):
        raise Failed("harness: %s is not a loose object at %s" % (spec, path))
    return path


@test("hostile: a missing object (leaky_app.py's blob deleted from .git/objects): invalid, 'git fsck'/'missing'/'damaged'")
def _(c):
    r = Repo("missing-object")
    r.commit({ENTRY: DATA["fix"]}, msg="fix")
    os.remove(loose_object(r, "HEAD:" + ENTRY))
    res = invalid(c, grade(r.path), "missing object")
    msg = (res.get("message") or "").lower()
    c(any(w in msg for w in ("git fsck", "missing", "damaged")), "message: %s" % short(res.get("message")))


@test("hostile: a truncated loose object (leaky_app.py's blob cut in half): invalid, no hang")
def _(c):
    r = Repo("truncated-object")
    r.commit({ENTRY: DATA["fix"]}, msg="fix")
    path = loose_object(r, "HEAD:" + ENTRY)
    data = read(path)
    os.chmod(path, 0o644)
    write(path, data[:len(data) // 2])
    res = invalid(c, grade(r.path), "truncated object")
    msg = (res.get("message") or "").lower()
    c(any(w in msg for w in ("git fsck", "missing", "damaged", "corrupt", "truncated")), "message: %s" % short(res.get("message")))


@test("hostile: a repository with no commits (the fix only in the work tree): invalid")
def _(c):
    r = Repo("no-commits")
    r.write(ENTRY, DATA["fix"])
    invalid(c, grade(r.path), "no commits")


@test("hostile: --rev nosuchrev: invalid, the message names the revision")
def _(c):
    r, ids = rev_repo()
    res = invalid(c, grade(r.path, "--rev", "nosuchrev"), "--rev nosuchrev")
    c("nosuchrev" in (res.get("message") or ""), "message does not name nosuchrev: %s" % short(res.get("message")))


@test("hostile: .git is a symbolic link to another repository: invalid, nothing graded")
def _(c):
    other = Repo("victim-repo")
    other.commit({ENTRY: DATA["fix"]}, msg="someone else's fix")
    d = make_dir("dotgit-link")
    write(os.path.join(d, ENTRY), DATA["baseline"])
    os.symlink(os.path.join(other.path, ".git"), os.path.join(d, ".git"))
    invalid(c, grade(d), ".git symlink")


def owned_copy(name):
    src = Repo(name + "-src")
    c1 = src.commit({ENTRY: DATA["fix"]}, msg="fix")
    dst = os.path.join(make_dir(name), "repo")
    shutil.copytree(src.path, dst, symlinks=True)
    for root, dirs, files in os.walk(dst):
        for n in dirs + files:
            os.lchown(os.path.join(root, n), 12345, 12345)
    os.lchown(dst, 12345, 12345)
    return dst, c1


@test("another user's repository: status error, exit 3, message mentions --trust-owner")
def _(c):
    if os.geteuid() != 0:
        raise Skip("needs root to chown a repository to another user")
    dst, c1 = owned_copy("foreign-owner")
    p = grade(dst)
    res = result_of(p, 3, "another user's repository")
    c.eq(res.get("status"), "error", "status")
    c("--trust-owner" in (res.get("message") or ""), "message does not mention --trust-owner: %s" % short(res.get("message")))


@test("another user's repository with --trust-owner: graded (HEAD, 100)")
def _(c):
    if os.geteuid() != 0:
        raise Skip("needs root to chown a repository to another user")
    dst, c1 = owned_copy("trusted-owner")
    res = graded(grade(dst, "--trust-owner"), "--trust-owner")
    expect_commit(c, res, "--trust-owner", c1, SCORES["fix"], sha=sha256(DATA["fix"]))


@test("usage errors exit 2 with nothing on stdout: bad --deadline, --deadline without offset, --before bogus, "
      "--rev and --before first on a plain folder")
def _(c):
    r, ids = rev_repo()
    d = folder("usage-folder", DATA["fix"])
    cases = [
        (["--deadline", "yesterday"], r.path),
        (["--deadline", "2026-11-20T23:59:00"], r.path),  # no offset: ambiguous
        (["--deadline", "2026-13-40T25:00:00+01:00"], r.path),
        (["--before", "bogus"], r.path),
        (["--rev", "HEAD"], d),
        (["--before", "first"], d),
    ]
    for opts, target in cases:
        p = grade(target, *opts)
        what = "grade %s %s" % (" ".join(opts), "a repository" if target == r.path else "a plain folder")
        c(p.rc == 2 and not p.timed_out, "%s: %s, expected exit 2" % (what, p.brief()))
        c(p.stdout == "", "%s: stdout %r, expected nothing" % (what, short(p.stdout, 120)))
        c(p.stderr.strip(), "%s: nothing on stderr" % what)


# --------------------------------------------------------------------------
# grader check

HEADER_RE = re.compile(r"^grader (\S+)\s+\S+\s+rubric (\S+) \(([0-9a-f]{12})\)\s+\S+\s+Python (\S+)")
SCORE_RE = re.compile(r"Visible score:\s*(\d+(?:\.\d+)?)\s*/\s*(\d+(?:\.\d+)?)")
HIDDEN_RE = re.compile(r"(\d+) hidden criteri(?:on|a) \((\d+(?:\.\d+)?) points?\)")
RESULT_LINE_RE = re.compile(r"^\s*(PASS|FAIL)\b(.*)$")


def facts_of_machine():
    def build():
        v = run([GRADER, "--version"], TMP, tool_env(), 30)
        m = re.fullmatch(r"grader (\S+)\n", v.stdout)
        if not m:
            raise Failed("grader --version: %r (%s)" % (v.stdout, v.brief()))
        p = run([PY, "-c", "import platform; print(platform.python_version())"], TMP, tool_env(), 30)
        return {"version": m.group(1), "python": p.stdout.strip(), "rubric_sha": sha256(read(RUBRIC))}
    return shared("machine", build)


def result_lines(text):
    return [(m.group(1), line) for line in text.splitlines() for m in [RESULT_LINE_RE.match(line)] if m]


def visible_score(c, p, what):
    m = SCORE_RE.search(p.stdout)
    if not c(m, "%s: no 'Visible score: X / Y' line: %s" % (what, short(p.stdout, 400))):
        return None, None
    return float(m.group(1)), float(m.group(2))


def line_for(c, lines, title, what):
    found = [(v, line) for v, line in lines if title in line]
    c(len(found) == 1, "%s: %d PASS/FAIL lines with the title %r, expected 1" % (what, len(found), title))
    return found[0] if found else (None, "")


TITLES = {}


def titles():
    if not TITLES:
        text = read(RUBRIC).decode("utf-8")
        for m in re.finditer(r"(?m)^  - id: (\S+)\n    title: (.+)\n    points: (\d+)$", text):
            TITLES[m.group(1)] = m.group(2).strip()
        if list(TITLES) != IDS:
            raise Failed("the default rubric's criteria are %r, this suite expects %r" % (list(TITLES), IDS))
    return TITLES


@test("check on a student's laptop: an unprivileged user, with and without user namespaces, gets the same score "
      "and is told which isolation it had")
def _(c):
    if os.geteuid() != 0:
        raise Skip("needs root to run the check as another user (this whole suite then runs unprivileged anyway)")
    if not shutil.which("setpriv"):
        raise Skip("setpriv (util-linux) is not installed")
    d = tempfile.mkdtemp(prefix="grader-git-laptop-", dir="/tmp")
    try:
        os.chmod(d, 0o777)
        with open(os.path.join(d, ENTRY), "wb") as f:
            f.write(DATA["fix"])
        os.chmod(os.path.join(d, ENTRY), 0o644)
        for disable, how in (("userns", "fallback: setsid"), (None, "namespaces: user")):
            p = run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", GRADER, "check", "--python", PY, d],
                    d, tool_env({"HOME": d, "GRADER_SANDBOX_DISABLE": disable}), GRADE_TIMEOUT, heavy=True)
            what = "check as uid 65534%s" % (" without user namespaces" if disable else "")
            c(p.rc == 0 and "Visible score: 100 / 100" in p.stdout, "%s: %s" % (what, p.brief()))
            c("sandbox: degraded isolation" in p.stdout and how in p.stdout,
              "%s: the isolation line does not say %r: %s" % (what, how, short(p.stdout, 400)))
    finally:
        shutil.rmtree(d, ignore_errors=True)


@test("check: the first line names the grader version, rubric id and sha256 prefix, Python version; then the isolation level")
def _(c):
    m = facts_of_machine()
    d = folder("check-header", DATA["fix"])
    p = check_cmd(d)
    c.eq(p.rc, 0, "exit status (%s)" % p.brief())
    lines = p.stdout.splitlines()
    first = lines[0] if lines else ""
    h = HEADER_RE.match(first)
    if c(h, "first line %r is not 'grader VERSION · rubric ID (SHA12) · Python VERSION'" % first):
        c.eq(h.group(1), m["version"], "version in the header (grader --version)")
        c.eq(h.group(2), "weakref-leak", "rubric id in the header")
        c.eq(h.group(3), m["rubric_sha"][:12], "rubric sha256 prefix in the header")
        c.eq(h.group(4), m["python"], "Python version in the header")
    head = []
    for line in lines:
        if RESULT_LINE_RE.match(line):
            break
        head.append(line)
    c(re.search(r"\b(full|degraded)\b", "\n".join(head)),
      "no isolation level (full or degraded) before the first PASS/FAIL line: %s" % short("\n".join(head), 300))


@test("check: the fix passes every criterion (a PASS line with title and points each), Visible score 100 / 100, exit 0")
def _(c):
    d = folder("check-fix", DATA["fix"])
    p = check_cmd(d)
    c.eq(p.rc, 0, "exit status (%s)" % p.brief())
    lines = result_lines(p.stdout)
    c.eq(len(lines), len(IDS), "number of PASS/FAIL lines")
    for cid in IDS:
        verdict, line = line_for(c, lines, titles()[cid], cid)
        c(verdict == "PASS", "%s: %r, expected PASS" % (cid, line))
        c(re.search(r"\b%d\b" % POINTS[cid], line), "%s: the line does not show its %d points: %r" % (cid, POINTS[cid], line))
    c.eq(visible_score(c, p, "fix"), (100.0, 100.0), "visible score")


@test("check: the original script fails 4 criteria, each FAIL line with its feedback from grade; exit 1")
def _(c):
    d = folder("check-unfixed", DATA["baseline"])
    g = graded(grade(d), "grade")
    crit = crit_by_id(g)
    p = check_cmd(d)
    c.eq(p.rc, 1, "exit status (%s)" % p.brief())
    lines = result_lines(p.stdout)
    flat = " ".join(p.stdout.split())
    for cid in IDS:
        verdict, line = line_for(c, lines, titles()[cid], cid)
        want = "FAIL" if cid in UNFIXED_FAILS else "PASS"
        c(verdict == want, "%s: %r, expected %s" % (cid, line, want))
        if cid in UNFIXED_FAILS:
            fb = " ".join(((crit.get(cid) or {}).get("feedback") or "").split())
            c(fb and fb[:50] in flat, "%s: the failure's feedback (what to do next) is not shown: expected %r in %s"
              % (cid, fb[:50], short(p.stdout, 400)))
    c.eq(visible_score(c, p, "unfixed"), (25.0, 100.0), "visible score")


@test("check --min-score 20 accepts the original script (25, exit 0); --min-score 30 does not (exit 1)")
def _(c):
    d = folder("check-min-score", DATA["baseline"])
    p = check_cmd("--min-score", "20", d)
    c.eq(p.rc, 0, "--min-score 20: exit status (%s)" % p.brief())
    p = check_cmd("--min-score", "30", d)
    c.eq(p.rc, 1, "--min-score 30: exit status (%s)" % p.brief())


@test("check: a syntax error exits 1 with Visible score 0 / 100; a folder without leaky_app.py (invalid) exits 1")
def _(c):
    d = folder("check-syntax", DATA["syntax"])
    p = check_cmd(d)
    c.eq(p.rc, 1, "syntax error: exit status (%s)" % p.brief())
    c.eq(visible_score(c, p, "syntax error"), (0.0, 100.0), "syntax error: visible score")
    e = make_dir("check-empty")
    p = check_cmd(e)
    c.eq(p.rc, 1, "no leaky_app.py: exit status (%s)" % p.brief())


@test("check in a git work tree grades the folder on disk, not HEAD (DIR defaults to '.'); --index grades the staged file")
def _(c):
    r = Repo("check-repo")
    r.commit({ENTRY: DATA["baseline"]}, msg="start")
    r.write(ENTRY, DATA["fix"])
    p = check_cmd(cwd=r.path)
    c.eq(p.rc, 0, "check (work tree = fix, HEAD = original): exit status (%s)" % p.brief())
    c.eq(visible_score(c, p, "check"), (100.0, 100.0), "check: visible score")
    r.git("add", ENTRY)
    r.write(ENTRY, DATA["baseline"])
    p = check_cmd("--index", cwd=r.path)
    c.eq(p.rc, 0, "check --index (staged = fix, work tree = original): exit status (%s)" % p.brief())
    c.eq(visible_score(c, p, "check --index"), (100.0, 100.0), "check --index: visible score")
    p = check_cmd(cwd=r.path)
    c.eq(p.rc, 1, "check (work tree = original, staged = fix): exit status (%s)" % p.brief())


@test("check --format json: status, score, max_score, visible criteria with every field, hidden {count 0, max_points 0}")
def _(c):
    d = folder("check-json", DATA["fix"])
    p = check_cmd(d, fmt="json")
    res = result_of(p, 0, "check --format json")
    c.eq(res.get("status"), "graded", "status")
    c.eq(res.get("score"), 100, "score")
    c.eq(res.get("max_score"), 100, "max_score")
    crit = res.get("criteria")
    if c(isinstance(crit, list), "criteria is not a list"):
        c.eq([x.get("id") for x in crit if isinstance(x, dict)], IDS, "criteria ids")
        for x in crit:
            if not isinstance(x, dict):
                continue
            for k in ("id", "title", "points", "max_points", "passed", "visibility", "feedback"):
                c(k in x, "criterion %s lacks %s" % (x.get("id"), k))
            c.eq(x.get("visibility"), "visible", "%s visibility" % x.get("id"))
            c.eq(x.get("passed"), True, "%s passed" % x.get("id"))
    c.eq(res.get("hidden"), {"count": 0, "max_points": 0}, "hidden")
    p = check_cmd(folder("check-json-unfixed", DATA["baseline"]), fmt="json")
    res = result_of(p, 1, "check --format json on the original script")
    c.eq(res.get("score"), 25, "score of the original script")


def hidden_leaks(text, criterion=HIDDEN_ID):
    low = text.lower()
    return [t for t in rubric_texts(criterion) if t.lower() in low]


@test("check never names a hidden criterion (text and json); 1 hidden criterion (5 points); visible score = grade score - 5")
def _(c):
    rub = rubric_with("hidden")
    d = folder("hidden-unfixed", DATA["baseline"])
    g = graded(grade(d, rubric=rub), "grade with the hidden rubric")
    gcrit = crit_by_id(g)
    hc = gcrit.get(HIDDEN_ID)
    if c(hc, "grade (the instructor's view) does not list the hidden criterion %s" % HIDDEN_ID):
        c.eq(hc.get("visibility"), "hidden", "grade: %s visibility" % HIDDEN_ID)
        c.eq(hc.get("passed"), True, "grade: %s passed" % HIDDEN_ID)
        c.eq(hc.get("points"), HIDDEN_POINTS, "grade: %s points" % HIDDEN_ID)
    c.eq(g.get("score"), SCORES["baseline"], "grade score")
    want_visible = (g.get("score") or 0) - ((hc or {}).get("points") or 0)

    p = check_cmd(d, rubric=rub)
    c.eq(p.rc, 1, "check (text): exit status (%s)" % p.brief())
    leaks = hidden_leaks(p.output)
    c(not leaks, "check (text) shows the hidden criterion: %r" % leaks)
    m = HIDDEN_RE.search(p.stdout)
    if c(m, "check (text): no 'N hidden criteria (P points)' line: %s" % short(p.stdout, 400)):
        c.eq((int(m.group(1)), float(m.group(2))), (1, float(HIDDEN_POINTS)), "hidden count and points")
    lines = result_lines(p.stdout)
    c.eq(len(lines), len(IDS) - 1, "check (text): number of PASS/FAIL lines")
    c.eq(visible_score(c, p, "check (text)"), (float(want_visible), 100.0 - HIDDEN_POINTS), "visible score / visible max")

    pj = check_cmd(d, rubric=rub, fmt="json")
    res = result_of(pj, 1, "check --format json")
    leaks = hidden_leaks(pj.output)
    c(not leaks, "check (json) shows the hidden criterion: %r" % leaks)
    c.eq([x.get("id") for x in res.get("criteria") or [] if isinstance(x, dict)],
         [i for i in IDS if i != HIDDEN_ID], "check (json): criteria ids")
    c.eq(res.get("hidden"), {"count": 1, "max_points": HIDDEN_POINTS}, "check (json): hidden")
    c.eq(res.get("score"), want_visible, "check (json): score (the visible score)")
    c.eq(res.get("max_score"), 100 - HIDDEN_POINTS, "check (json): max_score (the visible maximum)")


@test("check --min-score compares with the visible score: hidden 5 points, original script: 20 passes, 21 fails")
def _(c):
    rub = rubric_with("hidden")
    d = folder("hidden-min-score", DATA["baseline"])
    p = check_cmd("--min-score", "20", d, rubric=rub)
    c.eq(p.rc, 0, "--min-score 20: exit status (%s)" % p.brief())
    p = check_cmd("--min-score", "21", d, rubric=rub)
    c.eq(p.rc, 1, "--min-score 21: exit status (visible score 20; %s)" % p.brief())
    c(not hidden_leaks(p.output), "the hidden criterion is shown: %r" % hidden_leaks(p.output))


@test("check: an after_due_date criterion is hidden too (never named; 1 hidden criterion (5 points)); the fix: 95 / 95, exit 0")
def _(c):
    rub = rubric_with("after_due_date")
    d = folder("after-due-fix", DATA["fix"])
    p = check_cmd(d, rubric=rub)
    c.eq(p.rc, 0, "exit status (%s)" % p.brief())
    leaks = hidden_leaks(p.output)
    c(not leaks, "check shows the after_due_date criterion: %r" % leaks)
    m = HIDDEN_RE.search(p.stdout)
    if c(m, "no 'N hidden criteria (P points)' line: %s" % short(p.stdout, 400)):
        c.eq((int(m.group(1)), float(m.group(2))), (1, float(HIDDEN_POINTS)), "hidden count and points")
    c.eq(visible_score(c, p, "check"), (95.0, 95.0), "visible score")


@test("check usage errors exit 2: --format xml, --min-score lots, two folders")
def _(c):
    d = folder("check-usage", DATA["fix"])
    for args in (["--format", "xml", d], ["--min-score", "lots", d], [d, d]):
        p = check_cmd(*args)
        c(p.rc == 2 and not p.timed_out, "check %s: %s, expected exit 2" % (" ".join(args), p.brief()))


# --------------------------------------------------------------------------
# Hooks

def hook_path_env():
    """PATH for the hook tests: the grader's directory first, so these tests
    judge what the hook does, whatever name it calls the grader by (the test
    'works with no grader on PATH' judges that separately)."""
    return os.path.dirname(GRADER) + ":" + os.environ.get("PATH", "/usr/bin:/bin")


def install(repo_path, *opts, cwd=None, path=None, pass_repo=True, python=True):
    args = ["hook", "install"] + (["--python", PY] if python else []) + list(opts)
    if pass_repo:
        args.append(repo_path)
    return grader(args, cwd=cwd or TMP, path=path)


def uninstall(repo_path, cwd=None):
    return grader(["hook", "uninstall", repo_path], cwd=cwd or TMP)


def must(c, p, what, rc=0):
    if p.timed_out or p.rc != rc:
        raise Failed("%s: expected exit %d, got %s" % (what, rc, p.brief()))
    return p


def hook_commit(r, msg, *extra, path=None):
    """A real `git commit` that runs the hooks (heavy: it grades)."""
    return git(["commit", "-m", msg, "--author", AUTHOR] + list(extra), r.path, env_extra=r.dates(), check=False,
               heavy=True, timeout=HOOK_TIMEOUT, path=path or hook_path_env())


def hook_push(r, *args, path=None):
    return git(["push"] + list(args), r.path, env_extra=r.dates(), check=False, heavy=True,
               timeout=HOOK_TIMEOUT, path=path or hook_path_env())


def is_ours(path):
    try:
        text = read(path).decode("utf-8", "replace")
    except OSError:
        return False
    return any(line.startswith(MARKER) for line in text.splitlines())


def names_failures(c, text, what):
    for cid in UNFIXED_FAILS:
        c(cid in text or titles()[cid] in text, "%s: the output does not name the failing criterion %s: %s"
          % (what, cid, short(text, 500)))


FOREIGN = b"#!/usr/bin/env bash\n# team lint hook: not grader's\nexit 0\n"


def hook_commands(path):
    """The hook's command lines, each split as the shell would."""
    try:
        text = read(path).decode("utf-8", "replace")
    except OSError:
        return []
    out = []
    for line in text.splitlines():
        s = line.strip()
        if not s or s.startswith("#"):
            continue
        try:
            out.append(shlex.split(s, comments=True))
        except ValueError:
            out.append(s.split())
    return out


def hook_runs(path, name):
    """The argument list after `hook run NAME` in the hook, or None."""
    want = ["hook", "run", name]
    for argv in hook_commands(path):
        for i in range(len(argv) - 2):
            if argv[i:i + 3] == want:
                return argv[i + 3:]
    return None


def option(args, name):
    """The value of --name VALUE or --name=VALUE in args, or None."""
    for i, a in enumerate(args or []):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a[len(name) + 1:]
    return None


@test("hook install: an executable /bin/sh pre-commit hook in .git/hooks with the marker, running `hook run pre-commit` with the options")
def _(c):
    r = Repo("hook-content")
    r.commit({"README.md": b"hi\n"})
    must(c, install(r.path, "--min-score", "20"), "hook install")
    hook = r.file(".git/hooks/pre-commit")
    if not c(os.path.isfile(hook), "%s was not written" % hook):
        return
    text = read(hook).decode("utf-8", "replace")
    lines = text.splitlines()
    c(lines and lines[0].startswith("#!/bin/sh"), "first line %r is not #!/bin/sh" % (lines[:1],))
    c(any(line.startswith(MARKER) for line in lines), "no marker line %r in: %s" % (MARKER, short(text)))
    args = hook_runs(hook, "pre-commit")
    if c(args is not None, "does not run `grader hook run pre-commit`: %s" % short(text)):
        c.eq(option(args, "--min-score"), "20", "--min-score in the hook")
        py = option(args, "--python")
        c(py and os.path.realpath(py) == os.path.realpath(PY),
          "--python in the hook is %r, expected %s (or what it resolves to)" % (py, PY))
    mode = os.stat(hook).st_mode
    c(mode & stat.S_IXUSR and os.access(hook, os.X_OK), "not executable (mode %o)" % (mode & 0o777))
    c(not os.path.lexists(r.file(".git/hooks/pre-push")), "a pre-push hook was installed without --pre-push")


@test("hook install --pre-commit --pre-push installs both; hook uninstall removes both and commits are unchecked again")
def _(c):
    r = Repo("hook-both")
    r.commit({"README.md": b"hi\n"})
    must(c, install(r.path, "--pre-commit", "--pre-push"), "hook install --pre-commit --pre-push")
    for name in ("pre-commit", "pre-push"):
        h = r.file(".git/hooks/" + name)
        c(is_ours(h) and os.access(h, os.X_OK), "%s is not our executable hook" % h)
        c(hook_runs(h, name) is not None, "%s does not run `grader hook run %s`" % (name, name))
    must(c, uninstall(r.path), "hook uninstall")
    for name in ("pre-commit", "pre-push"):
        c(not os.path.lexists(r.file(".git/hooks/" + name)), "%s is still there after uninstall" % name)
    before = r.rev("HEAD")
    r.write(ENTRY, DATA["baseline"])
    r.git("add", ENTRY)
    p = hook_commit(r, "unfixed, no hook any more")
    c(p.rc == 0 and r.rev("HEAD") != before, "after uninstall, committing the original script failed: %s" % p.brief())


@test("pre-commit refuses a staged original script even when the work tree holds the fix, naming failing criteria; "
      "--no-verify bypasses it")
def _(c):
    r = Repo("pre-commit-refuse")
    c0 = r.commit({"README.md": b"hi\n"})
    must(c, install(r.path), "hook install")
    r.write(ENTRY, DATA["baseline"])
    r.git("add", ENTRY)
    r.write(ENTRY, DATA["fix"])
    p = hook_commit(r, "unfixed staged")
    c(p.rc != 0, "git commit of a staged original script succeeded (%s)" % p.brief())
    c.eq(r.rev("HEAD"), c0, "HEAD after the refused commit")
    names_failures(c, p.output, "refused commit")
    c(r.git("show", ":" + ENTRY).out == DATA["baseline"], "the index was changed by the hook")
    c(read(r.file(ENTRY)) == DATA["fix"], "the work tree was changed by the hook")
    p = hook_commit(r, "unfixed, bypassing", "--no-verify")
    c(p.rc == 0, "git commit --no-verify failed: %s" % p.brief())
    head = r.try_rev("HEAD")
    c(head and head != c0, "git commit --no-verify made no commit")
    c(r.show("HEAD:" + ENTRY) == DATA["baseline"], "the bypassing commit does not hold the staged original script")


@test("pre-commit accepts a staged fix even when the work-tree file is then a syntax error (the repository's first commit)")
def _(c):
    r = Repo("pre-commit-accept")
    must(c, install(r.path), "hook install")
    r.write(ENTRY, DATA["fix"])
    r.git("add", ENTRY)
    r.write(ENTRY, DATA["syntax"])
    p = hook_commit(r, "fix staged")
    c(p.rc == 0, "git commit of a staged fix was refused: %s" % p.brief())
    head = r.try_rev("HEAD")
    if c(head, "no commit exists after git commit"):
        c(r.show("HEAD:" + ENTRY) == DATA["fix"], "HEAD:leaky_app.py is not the fix")


@test("pre-commit with `git commit -a` grades what is committed: staged fix but an original script in the work tree is refused")
def _(c):
    r = Repo("pre-commit-all")
    c0 = r.commit({"README.md": b"hi\n", ENTRY: DATA["crash"]})
    must(c, install(r.path), "hook install")
    r.write(ENTRY, DATA["fix"])
    r.git("add", ENTRY)
    r.write(ENTRY, DATA["baseline"])
    p = hook_commit(r, "commit -a", "-a")
    c(p.rc != 0, "git commit -a committing the original script was accepted: the hook graded .git/index, "
      "not $GIT_INDEX_FILE (%s)" % p.brief())
    c.eq(r.rev("HEAD"), c0, "HEAD after the refused commit")


@test("pre-commit with --min-score 20 accepts a commit of the original script (25), still refuses a syntax error (0)")
def _(c):
    r = Repo("pre-commit-min")
    c0 = r.commit({"README.md": b"hi\n"})
    must(c, install(r.path, "--min-score", "20"), "hook install --min-score 20")
    r.write(ENTRY, DATA["baseline"])
    r.git("add", ENTRY)
    p = hook_commit(r, "unfixed")
    c(p.rc == 0, "with --min-score 20 the original script was refused: %s" % p.brief())
    c1 = r.try_rev("HEAD")
    c(c1 and c1 != c0 and r.show("HEAD:" + ENTRY) == DATA["baseline"], "no commit of the original script")
    r.write(ENTRY, DATA["syntax"])
    r.git("add", ENTRY)
    p = hook_commit(r, "syntax error")
    c(p.rc != 0, "with --min-score 20 a syntax error (0 points) was accepted")
    c.eq(r.try_rev("HEAD"), c1, "HEAD after the refused commit")


@test("pre-commit grades with the interpreter given to hook install --python (the hook's header names its version)")
def _(c):
    m = facts_of_machine()
    r = Repo("pre-commit-python")
    c0 = r.commit({"README.md": b"hi\n"})
    must(c, install(r.path), "hook install")
    r.write(ENTRY, DATA["baseline"])
    r.git("add", ENTRY)
    p = hook_commit(r, "unfixed")
    c(p.rc != 0, "git commit of the original script succeeded (%s)" % p.brief())
    c.eq(r.rev("HEAD"), c0, "HEAD after the refused commit")
    h = [HEADER_RE.search(line) for line in p.output.splitlines()]
    h = [x for x in h if x]
    if c(h, "the hook's output has no 'grader VERSION · rubric ... · Python VERSION' line: %s" % short(p.output, 400)):
        c.eq(h[0].group(4), m["python"], "Python version in the hook's header (%s is %s; python3 on PATH may differ)"
             % (PY, m["python"]))


@test("pre-push refuses an unfixed tip (even with the fix in the work tree), pushes a fixed tip, then refuses an unfixed one again")
def _(c):
    remote = os.path.join(make_dir("remote-parent"), "remote.git")
    git(["init", "-q", "--bare", remote], TMP)
    r = Repo("pre-push")
    r.git("remote", "add", "origin", remote)
    c1 = r.commit({ENTRY: DATA["baseline"]}, msg="start")
    must(c, install(r.path, "--pre-push"), "hook install --pre-push")
    c(not os.path.lexists(r.file(".git/hooks/pre-commit")), "--pre-push alone also installed a pre-commit hook")

    def remote_main():
        p = git(["--git-dir", remote, "rev-parse", "--verify", "-q", "refs/heads/main"], TMP, check=False)
        return p.stdout.strip() if p.rc == 0 else None

    r.write(ENTRY, DATA["fix"])  # uncommitted: the tip is what is pushed
    p = hook_push(r, "origin", "main")
    c(p.rc != 0, "git push of the original script's tip succeeded (%s)" % p.brief())
    c.eq(remote_main(), None, "remote main after the refused first push")
    names_failures(c, p.output, "refused push")

    c2 = r.commit({ENTRY: DATA["fix"]}, msg="fix")
    p = hook_push(r, "origin", "main")
    c(p.rc == 0, "git push of the fixed tip failed: %s" % p.brief())
    c.eq(remote_main(), c2, "remote main after pushing the fix")

    c3 = r.commit({ENTRY: DATA["baseline"]}, msg="oops, reverted")
    p = hook_push(r, "origin", "main")
    c(p.rc != 0, "git push of an unfixed tip on top of the fix succeeded (%s)" % p.brief())
    c.eq(remote_main(), c2, "remote main after the refused push (still the fix)")
    c(c1 != c3, "harness: commits")


@test("hook install refuses a foreign pre-commit hook (exit 1), prints its path and first line, leaves it byte-identical; "
      "uninstall leaves it too")
def _(c):
    r = Repo("foreign-hook")
    r.commit({"README.md": b"hi\n"})
    hook = r.file(".git/hooks/pre-commit")
    write(hook, FOREIGN, 0o755)
    p = install(r.path)
    c.eq(p.rc, 1, "hook install over a foreign hook: exit status (%s)" % p.brief())
    c.eq(read(hook), FOREIGN, "the foreign hook's bytes")
    c.eq(os.stat(hook).st_mode & 0o777, 0o755, "the foreign hook's mode")
    c(not os.path.lexists(hook + ".grader-replaced"), "a .grader-replaced file appeared without --force")
    c("hooks/pre-commit" in p.output, "the refusal does not name the hook's path: %s" % short(p.output))
    c("#!/usr/bin/env bash" in p.output, "the refusal does not show the hook's first line: %s" % short(p.output))
    p = uninstall(r.path)
    c.eq(p.rc, 0, "hook uninstall: exit status (%s)" % p.brief())
    c.eq(read(hook) if os.path.exists(hook) else None, FOREIGN, "the foreign hook after uninstall")


@test("hook install --force moves a foreign hook to pre-commit.grader-replaced and installs; uninstall restores it")
def _(c):
    r = Repo("foreign-force")
    r.commit({"README.md": b"hi\n"})
    hook = r.file(".git/hooks/pre-commit")
    write(hook, FOREIGN, 0o755)
    must(c, install(r.path, "--force"), "hook install --force")
    aside = hook + ".grader-replaced"
    c.eq(read(aside) if os.path.exists(aside) else None, FOREIGN, "pre-commit.grader-replaced")
    c(is_ours(hook), "pre-commit is not ours after --force")
    must(c, uninstall(r.path), "hook uninstall")
    c.eq(read(hook) if os.path.exists(hook) else None, FOREIGN, "pre-commit after uninstall (restored)")
    c(not os.path.lexists(aside), "pre-commit.grader-replaced is still there after uninstall")


@test("hook install twice replaces our own hook (new options, nothing moved aside)")
def _(c):
    r = Repo("install-twice")
    r.commit({"README.md": b"hi\n"})
    must(c, install(r.path), "first hook install")
    must(c, install(r.path, "--min-score", "20"), "second hook install")
    hook = r.file(".git/hooks/pre-commit")
    text = read(hook).decode("utf-8", "replace") if os.path.exists(hook) else ""
    c(is_ours(hook), "pre-commit is not ours")
    c.eq(option(hook_runs(hook, "pre-commit"), "--min-score"), "20", "--min-score in the hook after the second install")
    c(not os.path.lexists(hook + ".grader-replaced"), "our own hook was moved aside")


@test("core.hooksPath .githooks: install writes .githooks/pre-commit (not .git/hooks) and git runs it")
def _(c):
    r = Repo("hooks-path")
    c0 = r.commit({"README.md": b"hi\n"})
    r.git("config", "core.hooksPath", ".githooks")
    must(c, install(r.path, cwd=r.path, pass_repo=False), "hook install (in the work tree, no REPO)")
    c(is_ours(r.file(".githooks/pre-commit")), ".githooks/pre-commit is not our hook")
    c(not os.path.lexists(r.file(".git/hooks/pre-commit")), ".git/hooks/pre-commit was written despite core.hooksPath")
    r.write(ENTRY, DATA["baseline"])
    r.git("add", ENTRY)
    p = hook_commit(r, "unfixed")
    c(p.rc != 0, "git commit of the original script succeeded: git did not run .githooks/pre-commit (%s)" % p.brief())
    c.eq(r.rev("HEAD"), c0, "HEAD after the refused commit")
    r.write(ENTRY, DATA["fix"])
    r.git("add", ENTRY)
    p = hook_commit(r, "fix")
    c(p.rc == 0 and r.rev("HEAD") != c0, "git commit of the fix failed: %s" % p.brief())


@test("the installed hook runs the grader that installed it: with no grader on PATH, a fix commits and the original is refused")
def _(c):
    path = "/usr/local/bin:/usr/bin:/bin"
    on_path = [d for d in path.split(":") if os.access(os.path.join(d, "grader"), os.X_OK)]
    if on_path:
        raise Skip("a grader is installed in %s" % on_path[0])
    r = Repo("hook-no-path")
    c0 = r.commit({"README.md": b"hi\n"})
    must(c, install(r.path, path=path), "hook install")
    r.write(ENTRY, DATA["fix"])
    r.git("add", ENTRY)
    p = hook_commit(r, "fix", path=path)
    c(p.rc == 0, "the fix was refused with no grader on PATH: %s" % p.brief())
    c1 = r.try_rev("HEAD")
    c(c1 and c1 != c0, "no commit of the fix")
    r.write(ENTRY, DATA["baseline"])
    r.git("add", ENTRY)
    p = hook_commit(r, "unfixed", path=path)
    c(p.rc != 0, "the original script was accepted with no grader on PATH")
    names_failures(c, p.output, "refused commit")


PRE_COMMIT_LANGUAGES = {"conda", "coursier", "dart", "docker", "docker_image", "dotnet", "fail", "golang", "haskell",
                        "lua", "node", "perl", "pygrep", "python", "r", "ruby", "rust", "swift", "script", "system",
                        "unsupported", "unsupported_script"}


def parse_hooks_yaml(text):
    """A list of flat mappings from the small subset of YAML a
    .pre-commit-hooks.yaml uses; raises Failed on anything else."""
    items, cur, nested = [], None, False
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if line == "---":
            continue
        m = re.match(r"^- ([A-Za-z_][\w-]*):(?:\s+(.*))?$", line)
        if m:
            cur = {}
            items.append(cur)
        else:
            m = re.match(r"^  ([A-Za-z_][\w-]*):(?:\s+(.*))?$", line)
            if not m:
                if nested and re.match(r"^    ", line):
                    continue  # a nested value (args:, types: as a block list)
                raise Failed("line %d is not part of a list of mappings: %r" % (n, raw))
            if cur is None:
                raise Failed("line %d: a mapping key before any list item: %r" % (n, raw))
        key, value = m.group(1), (m.group(2) or "").strip()
        if key in cur:
            raise Failed("line %d: key %s twice in one hook" % (n, key))
        nested = value == ""
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        cur[key] = value
    return items


@test(".pre-commit-hooks.yaml: a list with one hook id grader-check (name, entry `grader hook run pre-commit`, language, pass_filenames false)")
def _(c):
    if not os.path.isfile(PRE_COMMIT_HOOKS_YAML):
        raise Failed("%s does not exist" % PRE_COMMIT_HOOKS_YAML)
    items = parse_hooks_yaml(read(PRE_COMMIT_HOOKS_YAML).decode("utf-8"))
    c(items, "no hooks in the list")
    ours = [h for h in items if h.get("id") == "grader-check"]
    if not c(len(ours) == 1, "%d hooks with id grader-check, expected 1 (ids: %r)" % (len(ours), [h.get("id") for h in items])):
        return
    h = ours[0]
    for k in ("id", "name", "entry", "language", "pass_filenames"):
        c(h.get(k), "grader-check has no %s" % k)
    c(re.search(r"(^|[\s/])grader hook run pre-commit\b", h.get("entry", "")),
      "entry %r does not run `grader hook run pre-commit`" % h.get("entry"))
    c(h.get("language") in PRE_COMMIT_LANGUAGES, "language %r is not a pre-commit language" % h.get("language"))
    c.eq(h.get("pass_filenames"), "false", "pass_filenames")


# --------------------------------------------------------------------------

def load_data():
    for k, p in SOURCES.items():
        DATA[k] = read(p)
    fix = DATA["fix"]
    if b"import weakref\n" not in fix or b"weakref.ref(game)" not in fix:
        raise Failed("submissions/canonical-fix/leaky_app.py no longer has `import weakref` and `weakref.ref(game)`; "
                     "update the weakhelp variant in this suite")
    DATA["weakhelp-app"] = fix.replace(b"import weakref\n", b"from weakhelp import back_ref\n", 1) \
                              .replace(b"weakref.ref(game)", b"back_ref(game)")
    DATA["weakhelp-mod"] = b"import weakref\n\n\ndef back_ref(obj):\n    return weakref.ref(obj)\n"
    DATA["starter-note"] = b"# Ada's copy of the lesson's script\n" + DATA["baseline"]


def cleanup():
    CMDS.end_all(TMP)


@test("libgit2 is opened only when needed: an unloadable one makes a git submission a grader error (exit 3) "
      "that names it, while a folder submission and `grader sandbox` still work")
def _(c):
    r, _ = three_commits()
    bad = os.path.join(TMP, "unloadable-libgit2")
    os.makedirs(bad, exist_ok=True)
    ld = subprocess.run(["sh", os.path.join(REPO, "scripts", "sonames.sh")], stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, universal_newlines=True)
    m = re.search(r'LAZYLIB_SONAME_GIT2="([^"]+)"', ld.stdout)
    if not m:
        raise Failed("scripts/sonames.sh gave no libgit2 soname: %s %s" % (ld.stdout, ld.stderr))
    soname = m.group(1)
    with open(os.path.join(bad, soname), "wb") as f:
        f.write(b"not a shared object\n")
    env = {"LD_LIBRARY_PATH": bad}
    p = grader(["grade", "--python", PY, "--format", "json", r.path], env_extra=env)
    c.eq(p.rc, 3, "exit status of grade on a git submission without a loadable libgit2")
    c("cannot load %s" % soname in p.stdout + p.stderr,
      "the error does not name %s: %s" % (soname, short(p.stdout + p.stderr)))
    folder = os.path.join(TMP, "lazy-folder")
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, ENTRY), "wb") as f:
        f.write(DATA["fix"])
    p = grader(["grade", "--python", PY, "--format", "json", folder], env_extra=env)
    c.eq(p.rc, 0, "exit status of grade on a folder without a loadable libgit2")
    c(p.rc == 0 and p.json().get("score") == 100, "the folder's score is not 100: %s" % short(p.stdout))
    p = grader(["sandbox", "--", "/bin/true"], env_extra=env)
    c.eq(p.rc, 0, "exit status of `grader sandbox -- /bin/true` without a loadable libgit2")


def main(argv):
    global GRADER
    if len(argv) != 2:
        print("usage: suite.py GRADER", file=sys.stderr)
        return 2
    GRADER = os.path.abspath(argv[1])

    def prepare():
        global TMP, HOME
        TMP = tempfile.mkdtemp(prefix="grader-git-tests-", dir="/tmp")
        HOME = os.path.join(TMP, "home")
        os.makedirs(os.path.join(HOME, ".cache"))
        problems = missing_tools(GRADER, PY)
        try:
            load_data()
        except (OSError, Failed) as e:
            problems.append(("fixtures", str(e)))
        return problems

    return run_suite("git", "GIT_SUITE_FILTER", JOBS, prepare, cleanup)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
