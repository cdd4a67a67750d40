"""What the end-to-end suites (tests/integration, tests/git, tests/batch)
share: the test registry, the checks a test accumulates, a command's
outcome, fixtures built once for every test that asks.

Each suite runs in a process of its own and imports this module, so the
registry (TESTS) is the suite's.  A test is a function taking a Check; it
records every problem it sees (c(cond, msg)) and ends early only by raising
Failed (what follows cannot be checked) or Skip (with the reason).
"""
import concurrent.futures
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
import traceback


class Failed(Exception):
    """Ends a test: what follows cannot be checked."""


class Skip(Exception):
    pass


class Proc:
    """A finished command: argv, exit status, raw output, seconds taken."""

    def __init__(self, cmd, rc, out, err, secs, timed_out):
        self.cmd, self.rc, self.out, self.err = cmd, rc, out, err
        self.secs, self.timed_out = secs, timed_out
        self._json = None

    @property
    def stdout(self):
        return self.out.decode("utf-8", "replace")

    @property
    def stderr(self):
        return self.err.decode("utf-8", "replace")

    @property
    def output(self):
        return self.stdout + "\n" + self.stderr

    def brief(self):
        what = ("killed after %.0f s (the harness's timeout)" % self.secs if self.timed_out
                else "exit %s" % self.rc)
        err = " ".join(self.stderr.split())
        if len(err) > 400:
            err = "..." + err[-400:]
        out = " ".join(self.stdout.split())
        if len(out) > 200:
            out = out[:200] + "..."
        return "%s; stderr: %s; stdout: %s" % (what, err or "(empty)", out or "(empty)")

    def json(self):
        """The parsed stdout, or raises Failed."""
        if self._json is None:
            try:
                self._json = json.loads(self.stdout)
            except ValueError as e:
                raise Failed("stdout is not JSON (%s): %s" % (e, self.brief()))
        return self._json


class Check:
    def __init__(self):
        self.problems = []

    def __call__(self, cond, msg):
        if not cond:
            self.problems.append(msg)
        return bool(cond)

    def eq(self, got, want, what):
        return self(got == want, "%s is %r, expected %r" % (what, got, want))


class Commands:
    """The commands one suite starts.  Each runs in a session (and process
    group) of its own whose id is its pid, so that end_all() ends exactly
    what the suite started.  After max_timeouts commands were killed at
    their timeout no command starts (the grader hangs: say so once rather
    than wait for every test), and at most `heavy_slots` heavy commands
    (gradings) run at once."""

    def __init__(self, heavy_slots, max_timeouts):
        self.stop = threading.Event()
        self.timeouts = []  # the commands killed at their timeout
        self.heavy = threading.BoundedSemaphore(heavy_slots)
        self.max_timeouts = max_timeouts
        self._live = set()
        self._lock = threading.Lock()

    def check_budget(self):
        if self.stop.is_set():
            raise Failed("stopped")
        if len(self.timeouts) >= self.max_timeouts:
            raise Failed("not run: %d commands already hit the harness's timeout (%s, ...): the grader hangs?"
                         % (len(self.timeouts), short(" ".join(self.timeouts[0]), 120)))

    def track(self, pid):
        with self._lock:
            self._live.add(pid)

    def forget(self, pid):
        with self._lock:
            self._live.discard(pid)

    @staticmethod
    def kill_group(pid, sig=signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except OSError:
            pass

    def run(self, cmd, cwd, env, timeout, stdin_data=None, heavy=False, stderr_fd=None):
        """Runs cmd to its end (killed at `timeout` seconds); a Proc."""
        self.check_budget()
        if heavy:
            self.heavy.acquire()
        try:
            start = time.monotonic()
            p = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE if stderr_fd is None else stderr_fd,
                                 stdin=subprocess.PIPE if stdin_data is not None else subprocess.DEVNULL,
                                 start_new_session=True)
            self.track(p.pid)
            timed_out = False
            try:
                try:
                    out, err = p.communicate(stdin_data, timeout=timeout)
                except subprocess.TimeoutExpired:
                    timed_out = True
                    self.kill_group(p.pid)
                    self.timeouts.append(cmd)
                    out, err = p.communicate()
            finally:
                self.forget(p.pid)
            return Proc(cmd, p.returncode, out, err or b"", time.monotonic() - start, timed_out)
        finally:
            if heavy:
                self.heavy.release()

    def end_all(self, tmp=None):
        """Stops new commands, kills the running ones, removes `tmp`."""
        self.stop.set()
        with self._lock:
            pids = list(self._live)
        for pid in pids:
            self.kill_group(pid)
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def short(text, n=300):
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[:n] + "..."


def sha256(data):
    return hashlib.sha256(data).hexdigest()


_names = set()
_names_lock = threading.Lock()


def unique_dir(parent, name):
    """parent/name, made now; name-2, name-3... when a test already took it."""
    with _names_lock:
        base, n = name, 1
        while name in _names:
            n += 1
            name = "%s-%d" % (base, n)
        _names.add(name)
    d = os.path.join(parent, name)
    os.makedirs(d)
    return d


def write(path, data, mode=None):
    """Bytes to path, its folders made; a file or link there is replaced."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if os.path.lexists(path) and not os.path.isdir(path):
        os.remove(path)
    with open(path, "wb") as f:
        f.write(data)
    if mode is not None:
        os.chmod(path, mode)


def missing_tools(grader, python):
    """The (name, why) problems that stop a suite before any test: the
    grader binary, git, the interpreter the gradings use."""
    problems = []
    if not os.access(grader, os.X_OK):
        problems.append(("grader binary", "%s is not an executable (did the build fail?)" % grader))
    if not shutil.which("git"):
        problems.append(("git", "no git on PATH"))
    if not os.access(python, os.X_OK):
        problems.append(("interpreter", "%s is not an executable" % python))
    return problems


_shared = {}
_shared_lock = threading.Lock()


def shared(name, build):
    """Builds a fixture once (the first test to ask builds it) and shares it;
    a failure to build fails every test that uses it, with the reason."""
    with _shared_lock:
        fut = _shared.get(name)
        owner = fut is None
        if owner:
            fut = _shared[name] = concurrent.futures.Future()
    if owner:
        try:
            fut.set_result(build())
        except BaseException as e:  # noqa: B902 - handed to every waiter
            fut.set_exception(e)
    return fut.result()


TESTS = []


def test(name):
    def deco(fn):
        TESTS.append((name, fn))
        return fn
    return deco


def add(name, fn):
    TESTS.append((name, fn))


def run_test(name, fn):
    """("ok" | "not ok" | "skip", name, why)."""
    c = Check()
    try:
        fn(c)
    except Skip as s:
        return "skip", name, str(s)
    except Failed as f:
        c.problems.append(str(f))
    except Exception:  # a harness bug must show as a failure, not a crash
        c.problems.append("harness error: " + traceback.format_exc().strip().replace("\n", " | "))
    return ("ok" if not c.problems else "not ok"), name, "; ".join(c.problems)


def run_suite(label, filter_env, jobs, prepare, cleanup):
    """Runs the registered tests whose names match $filter_env (a regular
    expression), `jobs` * 2 at a time, after prepare() (which returns the
    (name, why) problems that fail the suite before any test starts), and
    always cleanup().  Prints a line per test, then exactly "LABEL: N
    passed, M failed, K skipped"; returns the exit status (0, 1, or 2 for a
    bad filter).  SIGTERM and Ctrl-C stop it, counted as one failure."""
    flt = os.environ.get(filter_env)
    if flt:
        try:
            re.compile(flt)
        except re.error as e:
            print("%s is not a regular expression: %s" % (filter_env, e), file=sys.stderr)
            return 2

    def on_signal(signum, frame):
        raise KeyboardInterrupt
    signal.signal(signal.SIGTERM, on_signal)

    counts = {"ok": 0, "not ok": 0, "skip": 0}

    def report(status, name, why):
        counts[status] += 1
        if status == "ok":
            print("ok - %s" % name, flush=True)
        else:
            one = " ".join(why.split())
            if len(one) > 1500:
                one = one[:1500] + "..."
            print("%s - %s: %s" % ("skip" if status == "skip" else "not ok", name, one), flush=True)

    def summary(extra_failures=0):
        print("%s: %d passed, %d failed, %d skipped"
              % (label, counts["ok"], counts["not ok"] + extra_failures, counts["skip"]))

    ex = None
    try:
        problems = prepare()
        if problems:
            for name, why in problems:
                report("not ok", name, why)
        else:
            tests = [(n, f) for n, f in TESTS if not flt or re.search(flt, n)]
            ex = concurrent.futures.ThreadPoolExecutor(max_workers=max(2, jobs * 2))
            futs = [ex.submit(run_test, n, f) for n, f in tests]
            for fut in futs:
                report(*fut.result())
            ex.shutdown(wait=True)
            ex = None
    except KeyboardInterrupt:
        print("# interrupted", flush=True)
        cleanup()
        if ex is not None:
            ex.shutdown(wait=False, cancel_futures=True)
        summary(1)
        return 1
    finally:
        cleanup()
    summary()
    return 1 if counts["not ok"] else 0
