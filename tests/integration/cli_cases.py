#!/usr/bin/env python3
"""CLI edge cases of the grader binary, end to end:

    /usr/bin/python3 -B tests/integration/cli_cases.py build/grader

What tests/integration/suite.py leaves out: every usage error of `grader
sandbox`, `hook`, `check`, `grade --deadline`, `rubric`, `doctor` and
`parse-tracemalloc` with its exact message and exit status (2), `grader
sandbox` itself (text and JSON output, limits, --ro, --repeat), a missing
data directory or runtime (exit 3), `hook install` with paths that need
quoting, and `hook run` fed the way git and the pre-commit framework feed it.

Output: one line per test ("ok - NAME" or "not ok - NAME: WHY"), then
exactly "cli: N passed, M failed, 0 skipped".  Exit status 1 when anything
failed, 2 on bad usage.  Everything it writes lives in one temporary folder,
removed at the end.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
RUBRIC = os.path.join(REPO, "rubrics", "weakref-leak.yaml")
CANONICAL = os.path.join(REPO, "submissions", "canonical-fix", "leaky_app.py")
TIMEOUT = 300

GRADER = None
TMP = None
TESTS = []


class Failed(Exception):
    pass


def test(name):
    def register(fn):
        TESTS.append((name, fn))
        return fn
    return register


def env(**extra):
    """The caller's environment without GRADER_* (which steers the grader),
    plus `extra` (None removes a variable)."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("GRADER_") and k != "PRE_COMMIT_TO_REF"}
    for k, v in extra.items():
        if v is None:
            e.pop(k, None)
        else:
            e[k] = v
    return e


class Proc:
    def __init__(self, rc, out, err):
        self.rc, self.out, self.err = rc, out, err

    def json(self):
        try:
            return json.loads(self.out)
        except ValueError as e:
            raise Failed("stdout is not JSON (%s): %r" % (e, self.out[:300]))


def run(args, cwd=None, stdin=None, **extra):
    p = subprocess.run([GRADER] + args, cwd=cwd or TMP, env=env(**extra), input=stdin.encode() if stdin else None,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT,
                       stdin=None if stdin else subprocess.DEVNULL)
    return Proc(p.returncode, p.stdout.decode("utf-8", "replace"), p.stderr.decode("utf-8", "replace"))


def eq(got, want, what):
    if got != want:
        raise Failed("%s: got %r, expected %r" % (what, got, want))


def has(text, part, what):
    if part not in text:
        raise Failed("%s: %r not in %r" % (what, part, text[-600:]))


def usage_error(args, message, **extra):
    """Exit status 2 and exactly `message` (a line, or None: a usage text)
    on stderr, nothing on stdout."""
    p = run(args, **extra)
    eq(p.rc, 2, "exit status of grader %s" % " ".join(args))
    eq(p.out, "", "stdout of grader %s" % " ".join(args))
    if message is None:
        has(p.err, "usage: grader", "stderr of grader %s" % " ".join(args))
    else:
        has(p.err, message + "\n", "stderr of grader %s" % " ".join(args))
    return p


def helps(args, first):
    p = run(args)
    eq(p.rc, 0, "exit status of grader %s" % " ".join(args))
    if not p.out.startswith(first):
        raise Failed("stdout of grader %s starts %r, expected %r" % (" ".join(args), p.out[:80], first))
    eq(p.err, "", "stderr of grader %s" % " ".join(args))


def git(*args, cwd):
    subprocess.run(["git", "-c", "user.name=T", "-c", "user.email=t@example.com", "-c", "init.defaultBranch=main",
                    "-c", "commit.gpgsign=false"] + list(args),
                   cwd=cwd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                   env=env(GIT_CONFIG_GLOBAL="/dev/null", GIT_CONFIG_NOSYSTEM="1"))
    return subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL).stdout.decode().strip()


# --------------------------------------------------------------------------
# top level

@test("grader without a command, with an unknown one, --version")
def _():
    usage_error([], None)
    usage_error(["frobnicate"], "grader: 'frobnicate' is not a command; see 'grader --help'")
    p = run(["--version"])
    eq(p.rc, 0, "exit status")
    if not re.fullmatch(r"grader \d+\.\d+\.\d+\n", p.out):
        raise Failed("--version printed %r" % p.out)


# --------------------------------------------------------------------------
# grader sandbox

@test("sandbox: usage errors, each named, exit 2")
def _():
    helps(["sandbox", "--help"], "usage: grader sandbox")
    usage_error(["sandbox", "--bogus", "--", "/bin/true"], None)
    usage_error(["sandbox"], None)
    usage_error(["sandbox", "--time", "abc", "--", "/bin/true"], "grader: --time needs a positive number, not 'abc'")
    p = usage_error(["sandbox", "--wall", "0", "--memory", "-1", "--processes", "x", "--output", "1k", "--",
                     "/bin/true"], "grader: --wall needs a positive number, not '0'")
    for opt, val in (("--memory", "-1"), ("--processes", "x"), ("--output", "1k")):
        has(p.err, "grader: %s needs a positive number, not '%s'\n" % (opt, val), "stderr")
    usage_error(["sandbox", "--ro", "relative/path", "--", "/bin/true"],
                "grader sandbox: --ro relative/path: give at most 8 absolute paths")
    nine = []
    for i in range(9):
        nine += ["--ro", "/usr/share/p%d" % i]
    usage_error(["sandbox"] + nine + ["--", "/bin/true"],
                "grader sandbox: --ro /usr/share/p8: give at most 8 absolute paths")
    usage_error(["sandbox", "--repeat", "200000", "--", "/bin/true"], "grader sandbox: --repeat takes 1 to 100000 runs")
    usage_error(["sandbox", "--isolation", "paranoid", "--", "/bin/true"],
                "grader sandbox: unknown isolation 'paranoid'; use auto or strict")
    usage_error(["sandbox", "--", "no-such-command-here"],
                "grader sandbox: no-such-command-here: command not found on PATH")
    usage_error(["sandbox", "--", "/bin/true"],
                "grader sandbox: GRADER_SANDBOX_DISABLE: unknown layer 'everything'; use namespaces, userns, "
                "cgroups, seccomp, landlock, minimal-root or uid", GRADER_SANDBOX_DISABLE="everything")


@test("sandbox: text output passes the streams through and adds the verdict on stderr")
def _():
    # "sh" is looked up on PATH.
    p = run(["sandbox", "--time", "5", "--wall", "10", "--", "sh", "-c", "echo out; echo err >&2; exit 3"])
    eq(p.rc, 0, "exit status (the command ran)")
    eq(p.out, "out\n", "stdout")
    if not re.match(r"err\ngrader sandbox: exit 3, signal 0, limit none, cpu \d+ ms, wall \d+ ms, max rss \d+ KB\n"
                    r"grader sandbox: isolation: \S", p.err):
        raise Failed("stderr: %r" % p.err)


@test("sandbox --format json: the verdict, usage and both streams")
def _():
    p = run(["sandbox", "--format", "json", "--memory", "256", "--processes", "16", "--output", "64", "--",
             "/bin/sh", "-c", "printf out; printf err >&2; exit 4"])
    eq(p.rc, 0, "exit status")
    j = p.json()
    for key, want in (("exit_code", 4), ("signal", 0), ("timed_out", False), ("limit", None), ("stdout", "out"),
                      ("stderr", "err"), ("stdout_bytes", 3), ("stderr_bytes", 3), ("stdout_truncated", False),
                      ("stderr_truncated", False)):
        eq(j.get(key), want, key)
    for key in ("wall_ms", "cpu_ms", "max_rss_kb"):
        if not isinstance(j.get(key), int) or j[key] < 0:
            raise Failed("%s is %r" % (key, j.get(key)))
    if not isinstance(j.get("isolation"), dict):
        raise Failed("isolation is %r" % j.get("isolation"))


@test("sandbox: the output and wall-clock limits")
def _():
    p = run(["sandbox", "--format", "json", "--output", "1", "--", "/bin/sh", "-c",
             "i=0; while [ $i -lt 2000 ]; do echo 0123456789; i=$((i+1)); done"])
    eq(p.rc, 0, "exit status")
    j = p.json()
    eq(j["limit"], "output", "limit")
    eq(j["stdout_truncated"], True, "stdout_truncated")
    eq(len(j["stdout"]), 1024, "bytes kept of stdout (--output 1 KB)")
    p = run(["sandbox", "--format", "json", "--wall", "0.5", "--", "/bin/sleep", "30"])
    eq(p.rc, 0, "exit status")
    j = p.json()
    eq((j["limit"], j["timed_out"], j["exit_code"]), ("time", True, -1), "limit, timed_out, exit_code")


@test("sandbox --ro: a path the command does not name is visible only when given")
def _():
    d = os.path.join(TMP, "ro-data")
    os.mkdir(d)
    with open(os.path.join(d, "note.txt"), "w") as f:
        f.write("from the host\n")
    script = "cat %s/note.txt" % d   # inside the -c text: not an argv path of its own
    p = run(["sandbox", "--", "/bin/sh", "-c", script])
    eq(p.out, "", "stdout without --ro")
    has(p.err, "grader sandbox: exit 1,", "stderr without --ro")
    p = run(["sandbox", "--ro", d, "--", "/bin/sh", "-c", script])
    eq(p.out, "from the host\n", "stdout with --ro")
    has(p.err, "grader sandbox: exit 0,", "stderr with --ro")


@test("sandbox --repeat: times clean runs, refuses to time a failing one")
def _():
    p = run(["sandbox", "--repeat", "3", "--", "/bin/true"])
    eq(p.rc, 0, "exit status")
    if not re.fullmatch(r"grader sandbox: 3 runs in one process, ms per run: median [\d.]+, mean [\d.]+, "
                        r"p95 [\d.]+, max [\d.]+\n", p.out):
        raise Failed("stdout: %r" % p.out)
    usage_error(["sandbox", "--repeat", "2", "--", "/bin/false"],
                "grader sandbox: run 1 of 2: the command did not exit cleanly; --repeat times clean runs only")


@test("sandbox --isolation strict runs when the isolation is full, else exits 3")
def _():
    p = run(["sandbox", "--isolation", "strict", "--format", "json", "--", "/bin/true"])
    if p.rc == 0:
        eq(p.json()["exit_code"], 0, "exit_code")
        eq(p.json()["isolation"].get("level"), "full", "isolation level")
    else:
        eq(p.rc, 3, "exit status when the isolation is not full")
        has(p.err, "grader sandbox: ", "stderr")


# --------------------------------------------------------------------------
# doctor, rubric, parse-tracemalloc

@test("doctor --help, and doctor with an argument")
def _():
    helps(["doctor", "--help"], "usage: grader doctor")
    p = run(["doctor", "now"])
    eq(p.rc, 2, "exit status")
    has(p.out, "usage: grader doctor", "stdout")


@test("rubric: usage, help, and check")
def _():
    p = run(["rubric"])
    eq(p.rc, 2, "exit status without an action")
    has(p.out, "usage: grader rubric check FILE", "stdout")
    helps(["rubric", "--help"], "usage: grader rubric check FILE")
    usage_error(["rubric", "lint", RUBRIC], "usage: grader rubric check FILE")
    usage_error(["rubric", "check"], "usage: grader rubric check FILE")
    p = run(["rubric", "check", RUBRIC])
    eq(p.rc, 0, "exit status")
    eq(p.out, "%s: ok (7 criteria, 100 points)\n" % RUBRIC, "stdout")


@test("parse-tracemalloc: help, too many files, input bigger than its first buffer")
def _():
    helps(["parse-tracemalloc", "--help"], "usage: grader parse-tracemalloc [FILE]")
    usage_error(["parse-tracemalloc", "a", "b"], "usage: grader parse-tracemalloc [FILE]")
    # About 200 KB: the buffer (64 KiB at first) grows twice.
    lines = ["/home/s/app_%d.py:%d: size=%d KiB, count=%d, average=%d B" % (i, i + 1, i + 1, i + 2, 100 + i)
             for i in range(3000)]
    data = "\n".join(lines) + "\n"
    p = run(["parse-tracemalloc"], stdin=data)
    eq(p.rc, 0, "exit status")
    got = p.json()
    eq(len(got), 3000, "statistics parsed")
    eq((got[0]["file"], got[0]["line"], got[0]["count"]), ("/home/s/app_0.py", 1, 2), "first statistic")
    eq((got[-1]["file"], got[-1]["line"], got[-1]["count"]), ("/home/s/app_2999.py", 3000, 3001), "last statistic")


# --------------------------------------------------------------------------
# grade, check: options refused before any work

@test("grade: contradicting sources, a bad option, deadlines without a usable offset")
def _():
    usage_error(["grade", "--worktree", "--index", CANONICAL],
                "grader grade: --worktree and --index contradict each other; give one")
    usage_error(["grade", "--bogus", CANONICAL], None)
    usage_error(["grade", "--before", "last", CANONICAL], "grader grade: --before last: use baseline or first")
    for deadline in ("2026-11-20T23:59:00", "2026-11-20T23:59:xx+01:00", "2026-11-20T23:59+1:00",
                     "2026-11-20T23:59+19:00", "2026-11-20T23:59+01:60", "2026-11-20T23:59+0100x",
                     "2026-02-30T10:00Z", "2026-11-20X23:59Z"):
        usage_error(["grade", "--deadline", deadline, CANONICAL],
                    "grader grade: --deadline %s: give an ISO 8601 time with its offset, e.g. "
                    "2026-11-20T23:59:00+01:00 or 2026-11-20T22:59:00Z" % deadline)


@test("check: bad isolation, a folder that is not there, a bad option, help")
def _():
    p = usage_error(["check", "--isolation", "paranoid", "--format", "xml", "a", "b"],
                    "grader check: unknown isolation 'paranoid'; use auto or strict")
    has(p.err, "grader check: unknown format 'xml'; use text or json\n", "stderr")
    has(p.err, "grader check: expected at most one DIR, got 2\n", "stderr")
    missing = os.path.join(TMP, "no-such-folder")
    usage_error(["check", missing], "grader check: %s: No such file or directory" % missing)
    usage_error(["check", "--bogus"], None)
    usage_error(["check", "--min-score", "-3", "."], "grader check: --min-score -3: give a number of points, 0 or more")
    helps(["check", "--help"], "usage: grader check")


@test("grade without its data: no rubric found, no runtime found, a bad GRADER_SANDBOX_DISABLE")
def _():
    nowhere = os.path.join(TMP, "no-data")
    p = run(["grade", CANONICAL], GRADER_DATA_DIR=nowhere)
    eq(p.rc, 3, "exit status without the bundled rubric")
    eq(p.err, "grader: GRADER_DATA_DIR=%s does not hold rubrics/weakref-leak.yaml\n" % nowhere, "stderr")
    # Data with the rubric but without the runtime.
    half = os.path.join(TMP, "half-data")
    os.makedirs(os.path.join(half, "rubrics"))
    shutil.copy(RUBRIC, os.path.join(half, "rubrics"))
    p = run(["grade", "--rubric", RUBRIC, CANONICAL], GRADER_DATA_DIR=half)
    eq(p.rc, 3, "exit status without the runtime")
    eq(p.err, "grader: the bundled runtime grader_probe.py is missing from %s\n" % half, "stderr")
    usage_error(["grade", CANONICAL], "grader grade: GRADER_SANDBOX_DISABLE: unknown layer 'all'; use namespaces, "
                "userns, cgroups, seccomp, landlock, minimal-root or uid", GRADER_SANDBOX_DISABLE="all")


@test("export: usage, help, no data directory, a zip that cannot be written")
def _():
    usage_error(["export", "gradescope"], "usage: grader export gradescope [--rubric FILE] -o autograder.zip")
    usage_error(["export", "-o", "x.zip", "moodle"], "usage: grader export gradescope [--rubric FILE] -o autograder.zip")
    usage_error(["export", "--bogus"], "usage: grader export gradescope [--rubric FILE] -o autograder.zip")
    helps(["export", "--help"], "usage: grader export gradescope")
    nowhere = os.path.join(TMP, "no-data")
    p = run(["export", "gradescope", "--rubric", RUBRIC, "-o", os.path.join(TMP, "a.zip")], GRADER_DATA_DIR=nowhere)
    eq(p.rc, 3, "exit status without a data directory")
    eq(p.err, "grader export: GRADER_DATA_DIR=%s does not hold rubrics/weakref-leak.yaml\n" % nowhere, "stderr")
    target = os.path.join(TMP, "no-such-folder", "a.zip")
    p = run(["export", "gradescope", "-o", target])
    if p.rc == 3:
        has(p.err, "grader export: cannot write %s: " % target, "stderr")
    else:
        # Not run from a source checkout (an installed grader): refused first.
        eq(p.rc, 3, "exit status; stderr %r" % p.err)
    if os.path.exists(os.path.dirname(target)):
        raise Failed("export created %s" % os.path.dirname(target))


# --------------------------------------------------------------------------
# grader hook

@test("hook: usage, help and unknown actions")
def _():
    usage_error(["hook"], None)
    helps(["hook", "--help"], "usage: grader hook install")
    usage_error(["hook", "reinstall"], "grader hook: unknown action 'reinstall'; use install, uninstall or run")
    helps(["hook", "install", "--help"], "usage: grader hook install")
    usage_error(["hook", "install", "--bogus"], None)
    usage_error(["hook", "install", "a", "b"], "grader hook install: expected at most one REPO")
    usage_error(["hook", "install", "--min-score", "lots"],
                "grader hook install: --min-score lots: give a number of points, 0 or more")
    missing = os.path.join(TMP, "no-such-rubric.yaml")
    usage_error(["hook", "install", "--rubric", missing],
                "grader hook install: --rubric %s: No such file or directory" % missing)
    usage_error(["hook", "install", "--python", "/no/such/python3"],
                "grader hook install: --python /no/such/python3: No such file or directory")
    helps(["hook", "uninstall", "--help"], "usage: grader hook install")
    usage_error(["hook", "uninstall", "a", "b"], None)
    usage_error(["hook", "uninstall", "--force"], None)
    usage_error(["hook", "run"], "grader hook run: say which hook: pre-commit or pre-push")
    usage_error(["hook", "run", "post-merge"], "grader hook run: say which hook: pre-commit or pre-push")
    usage_error(["hook", "run", "pre-commit", "--bogus"], None)
    usage_error(["hook", "run", "pre-push", "--min-score", "-1"],
                "grader hook run: --min-score -1: give a number of points, 0 or more")
    helps(["hook", "run", "pre-commit", "--help"], "usage: grader hook install")


@test("hook install and uninstall outside a repository: exit 2, git's reason")
def _():
    plain = os.path.join(TMP, "plain-folder")
    os.mkdir(plain)
    for action in ("install", "uninstall"):
        p = run(["hook", action, plain])
        eq(p.rc, 2, "exit status of hook %s" % action)
        has(p.err, "grader hook %s: %s is not in a git repository (" % (action, plain), "stderr")


@test("hook install quotes every path for /bin/sh, and the hook it writes parses")
def _():
    repo = os.path.join(TMP, "quoted repo")
    os.mkdir(repo)
    git("init", "-q", cwd=repo)
    odd = os.path.join(TMP, "it's a $dir")
    os.mkdir(odd)
    rubric = os.path.join(odd, "my rubric.yaml")
    shutil.copy(RUBRIC, rubric)
    python = os.path.realpath(sys.executable)
    p = run(["hook", "install", "--pre-commit", "--pre-push", "--min-score", "50", "--rubric", rubric, "--python",
             python, repo])
    eq(p.rc, 0, "exit status; stderr %r" % p.err)
    for name in ("pre-commit", "pre-push"):
        path = os.path.join(repo, ".git", "hooks", name)
        has(p.out, "grader hook install: installed %s\n" % path, "stdout")
        with open(path) as f:
            text = f.read()
        has(text, "# installed by grader", name)
        has(text, "'hook' 'run' '%s' '--min-score' '50'" % name, name)
        has(text, "'--rubric' '%s'" % rubric.replace("'", "'\\''"), name)
        has(text, "'--python' '%s'" % python, name)
        if not os.access(path, os.X_OK):
            raise Failed("%s is not executable" % path)
        chk = subprocess.run(["/bin/sh", "-n", path], stderr=subprocess.PIPE)
        eq(chk.returncode, 0, "sh -n %s: %s" % (name, chk.stderr.decode()))
        # The words the shell sees are the paths themselves.
        words = subprocess.run(["/bin/sh", "-c", "set -- " + text.splitlines()[-1].split(" ", 1)[1].replace(
            ' "$@"', "") + '; for w; do printf "%s\\n" "$w"; done'], stdout=subprocess.PIPE).stdout.decode()
        has(words, "\n%s\n" % rubric, "the rubric as /bin/sh reads it")
    p = run(["hook", "uninstall", repo])
    eq(p.rc, 0, "exit status of uninstall")
    for name in ("pre-commit", "pre-push"):
        if os.path.exists(os.path.join(repo, ".git", "hooks", name)):
            raise Failed("uninstall left %s" % name)


@test("hook run pre-push: deletions and malformed lines are skipped, nothing graded")
def _():
    repo = os.path.join(TMP, "push-repo")
    os.mkdir(repo)
    git("init", "-q", cwd=repo)
    stdin = ("(delete) 0000000000000000000000000000000000000000 refs/heads/old "
             "1111111111111111111111111111111111111111\n"
             "garbage line\n")
    p = run(["hook", "run", "pre-push", "origin", "https://example.invalid/x.git"], cwd=repo, stdin=stdin)
    eq(p.rc, 0, "exit status; stderr %r" % p.err)
    eq(p.out, "", "stdout (nothing to grade)")


@test("hook run at the pre-commit framework's pre-push stage: PRE_COMMIT_TO_REF is graded once")
def _():
    repo = os.path.join(TMP, "framework-repo")
    os.mkdir(repo)
    git("init", "-q", cwd=repo)
    shutil.copy(CANONICAL, os.path.join(repo, "leaky_app.py"))
    git("add", "leaky_app.py", cwd=repo)
    sha = git("commit", "-q", "-m", "fix", cwd=repo)
    p = run(["hook", "run", "pre-commit"], cwd=repo, PRE_COMMIT_TO_REF=sha)
    eq(p.rc, 0, "exit status; stdout %r stderr %r" % (p.out[-400:], p.err[-400:]))
    eq(p.out.count("grader: checking "), 1, "gradings")
    has(p.out, "grader: checking %s, pushed to %s\n" % (sha[:12], sha), "stdout")


def main():
    global GRADER, TMP
    if len(sys.argv) != 2:
        print("usage: cli_cases.py GRADER", file=sys.stderr)
        return 2
    GRADER = os.path.abspath(sys.argv[1])
    TMP = tempfile.mkdtemp(prefix="grader-cli-")
    passed = failed = 0
    try:
        for name, fn in TESTS:
            try:
                fn()
                print("ok - %s" % name)
                passed += 1
            except Failed as e:
                print("not ok - %s: %s" % (name, e))
                failed += 1
            except Exception:
                print("not ok - %s: %s" % (name, traceback.format_exc().strip().replace("\n", " | ")))
                failed += 1
            sys.stdout.flush()
    finally:
        shutil.rmtree(TMP, ignore_errors=True)
    print("cli: %d passed, %d failed, 0 skipped" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
