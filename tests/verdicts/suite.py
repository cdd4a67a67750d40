#!/usr/bin/env python3
"""Verdict tests for the grader (called by run.sh; see there for usage).

Every folder in cases/ holds a student's leaky_app.py and expect.json:

    {"why": "...", "points": {"runs": 10, "report": 10, ...}}

Each case is graded with `GRADER grade --format json --python PY CASE_DIR`
on every interpreter, and the points of each criterion in the result
(`criteria[].id`, `criteria[].points`) are compared with expect.json.  A
case must also get the same verdict on every interpreter.  Output is TAP,
ending with exactly "verdicts: P passed, F failed".  Standard library only.
"""
import concurrent.futures
import json
import os
import signal
import subprocess
import sys
import threading

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
CASES = os.path.join(HERE, "cases")
PYENV = "/root/.pyenv/versions"
DEFAULT_PYTHONS = [os.path.join(PYENV, v, "bin", "python3")
                   for v in ("3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0")] + ["/usr/bin/python3"]
FEEDBACK_MAX = 600  # characters of a criterion's feedback quoted in a "# " line

_lock = threading.Lock()
_procs = set()  # running grader processes, killed on Ctrl-C
_stopping = []  # non-empty once Ctrl-C was pressed: start no more graders


def one_line(text, limit=FEEDBACK_MAX):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[:limit - 3] + "..."


def fmt_points(p):
    if p is None:
        return "(missing)"
    if isinstance(p, float) and p.is_integer():
        return str(int(p))
    return str(p)


def python_version(py):
    """The interpreter's version, or None when it is missing or does not run."""
    if not (os.path.isfile(py) and os.access(py, os.X_OK)):
        return None, "not found"
    try:
        out = subprocess.run([py, "-E", "-s", "-c", "import sys; print(sys.version.split()[0])"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30,
                             universal_newlines=True)
    except (OSError, subprocess.TimeoutExpired) as e:
        return None, "does not run: %s" % e
    if out.returncode != 0 or not out.stdout.strip():
        return None, "does not run: exit %d %s" % (out.returncode, one_line(out.stderr, 200))
    return out.stdout.strip(), None


def load_cases(filt):
    cases, problems = [], []
    for name in sorted(os.listdir(CASES)):
        d = os.path.join(CASES, name)
        if not os.path.isdir(d) or (filt and filt not in name):
            continue
        try:
            with open(os.path.join(d, "expect.json"), encoding="utf-8") as f:
                exp = json.load(f)
            points = exp["points"]
            if not isinstance(points, dict) or not points:
                raise ValueError("'points' is not a non-empty object")
            if not os.path.isfile(os.path.join(d, "leaky_app.py")):
                raise ValueError("no leaky_app.py")
        except (OSError, ValueError, KeyError) as e:
            problems.append((name, "bad case: %s" % e))
            continue
        cases.append((name, d, points))
    return cases, problems


def run_grader(grader, py, case_dir, timeout):
    """(returncode, stdout, stderr); returncode None on timeout."""
    cmd = [grader, "grade", "--format", "json", "--python", py, case_dir]
    with _lock:
        if _stopping:
            return -1, b"", b"interrupted"
        try:
            p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                 stdin=subprocess.DEVNULL, cwd=REPO, start_new_session=True)
        except OSError as e:
            return -1, b"", str(e).encode()
        _procs.add(p)
    try:
        try:
            out, err = p.communicate(timeout=timeout)
            return p.returncode, out, err
        except subprocess.TimeoutExpired:
            stop(p)
            out, err = p.communicate()
            return None, out, err
    finally:
        with _lock:
            _procs.discard(p)


def stop(p):
    """SIGTERM to the grader's process group, then SIGKILL if it is still there."""
    for sig, wait in ((signal.SIGTERM, 5), (signal.SIGKILL, 5)):
        try:
            os.killpg(p.pid, sig)
        except OSError:
            return
        try:
            p.wait(timeout=wait)
            return
        except subprocess.TimeoutExpired:
            pass


def stop_all():
    """Stop every running grader (after Ctrl-C); the workers then return."""
    with _lock:
        _stopping.append(True)
        running = list(_procs)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in running:
            try:
                os.killpg(p.pid, sig)
            except OSError:
                pass
        for p in running:
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        running = [p for p in running if p.poll() is None]
        if not running:
            return


def grade(grader, py, case_dir, timeout):
    """{'verdict': {id: points}, 'feedback': {id: text}, 'note': str} or {'error': str}."""
    rc, out, err = run_grader(grader, py, case_dir, timeout)
    tail = one_line(err.decode("utf-8", "replace")[-400:], 400)
    if rc is None:
        return {"error": "the grader took more than %d s and was killed; stderr: %s" % (timeout, tail)}
    if rc != 0:
        return {"error": "the grader exited with status %d; stderr: %s" % (rc, tail)}
    try:
        res = json.loads(out.decode("utf-8"))
    except ValueError as e:
        return {"error": "the grader's output is not JSON (%s); stderr: %s" % (e, tail)}
    status = res.get("status")
    crit = res.get("criteria")
    if status == "error" or not isinstance(crit, list):
        return {"error": "status %r: %s" % (status, one_line(res.get("message", ""), 400))}
    verdict, feedback = {}, {}
    for c in crit:
        try:
            verdict[c["id"]] = float(c["points"])
            feedback[c["id"]] = c.get("feedback", "")
        except (KeyError, TypeError, ValueError):
            return {"error": "a criterion without id or numeric points: %s" % one_line(json.dumps(c), 300)}
    note = None
    if status != "graded":
        note = "status %r: %s" % (status, one_line(res.get("message", ""), 300))
    return {"verdict": verdict, "feedback": feedback, "note": note,
            "version": (res.get("python") or {}).get("version")}


def compare(expected, got):
    """Lines describing each criterion whose points differ."""
    lines = []
    verdict = got["verdict"]
    for cid in list(expected) + [c for c in verdict if c not in expected]:
        exp = expected.get(cid)
        have = verdict.get(cid)
        if exp is not None and have is not None and abs(float(exp) - have) < 1e-9:
            continue
        if exp is None:
            lines.append("%s: not in expect.json, got %s" % (cid, fmt_points(have)))
        else:
            lines.append("%s: expected %s, got %s" % (cid, fmt_points(exp), fmt_points(have)))
        fb = got["feedback"].get(cid)
        if fb:
            lines.append("  feedback: %s" % one_line(fb))
    return lines


def main():
    if len(sys.argv) > 2:
        print("usage: suite.py [GRADER]", file=sys.stderr)
        return 2
    grader = os.path.abspath(sys.argv[1]) if len(sys.argv) == 2 else os.path.join(REPO, "build", "grader")
    pythons = os.environ.get("GRADER_VERDICT_PYTHONS", "").split() or DEFAULT_PYTHONS
    filt = os.environ.get("TEST_FILTER", "")
    try:
        jobs = max(1, int(os.environ.get("GRADER_VERDICT_JOBS", "3")))
        timeout = max(1, int(os.environ.get("GRADER_VERDICT_TIMEOUT", "120")))
    except ValueError:
        print("GRADER_VERDICT_JOBS and GRADER_VERDICT_TIMEOUT must be integers", file=sys.stderr)
        return 2

    if not (os.path.isfile(grader) and os.access(grader, os.X_OK)):
        print("1..1")
        print("not ok 1 - grader: %s is not an executable file (run make first)" % grader)
        print("verdicts: 0 passed, 1 failed")
        return 1

    present, missing = [], []
    for py in pythons:
        version, why = python_version(py)
        if version is None:
            missing.append((py, why))
        else:
            present.append((py, version))

    cases, problems = load_cases(filt)
    if not cases and not problems:
        print("1..0 # SKIP no case matches TEST_FILTER=%r" % filt)
        print("verdicts: 0 passed, 0 failed")
        return 1

    consistency = len(present) >= 2
    total = len(missing) + len(problems) + len(cases) * (len(present) + (1 if consistency else 0))
    print("1..%d" % total)
    print("# grader %s; %d case(s) on %s" % (grader, len(cases), ", ".join(v for _, v in present) or "no interpreter"))
    sys.stdout.flush()

    n = 0
    passed = failed = 0

    def report(ok, desc, comments=()):
        nonlocal n, passed, failed
        n += 1
        if ok:
            passed += 1
        else:
            failed += 1
        print("%s %d - %s" % ("ok" if ok else "not ok", n, desc))
        for c in comments:
            print("# " + c)
        sys.stdout.flush()

    for py, why in missing:
        n += 1
        print("ok %d - python %s # SKIP %s" % (n, py, why))
    for name, why in problems:
        report(False, name, [why])

    # Slow cases first (those expected to fail 'runs': limits, crashes), so that
    # they overlap the rest; results are printed in case order all the same.
    order = sorted(((c, p) for c in cases for p in present),
                   key=lambda cp: (cp[0][2].get("runs", 1) != 0, cp[0][0]))
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=jobs)
    futures = {}
    try:
        for (name, d, points), (py, version) in order:
            futures[(name, py)] = pool.submit(grade, grader, py, d, timeout)
        for name, d, points in cases:
            verdicts = []
            for py, version in present:
                got = futures[(name, py)].result()
                desc = "%s %s" % (name, version)
                if "error" in got:
                    report(False, desc, ["grading failed: " + got["error"]])
                    continue
                diffs = compare(points, got)
                notes = [got["note"]] if got["note"] else []
                report(not diffs, desc, diffs + notes)
                verdicts.append((version, got["verdict"]))
            if consistency:
                comments = []
                if verdicts:
                    ids = []
                    for _, v in verdicts:
                        ids += [c for c in v if c not in ids]
                    for cid in ids:
                        values = [v.get(cid) for _, v in verdicts]
                        if len(set(values)) > 1:
                            comments.append("%s: %s" % (cid, " ".join(
                                "%s=%s" % (ver, fmt_points(v.get(cid))) for ver, v in verdicts)))
                if len(verdicts) < len(present):
                    comments.append("%d of %d interpreters gave no verdict" % (len(present) - len(verdicts), len(present)))
                report(not comments, "%s same verdict on every interpreter" % name, comments)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not stop the cleanup
        for f in futures.values():
            f.cancel()
        stop_all()
        pool.shutdown(wait=True)
        print("# interrupted")
        print("verdicts: %d passed, %d failed" % (passed, failed))
        return 130
    pool.shutdown(wait=True)

    print("verdicts: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
