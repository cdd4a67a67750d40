#!/usr/bin/env python3
"""Reads the logs tests/valgrind/grader-vg wrote and says whether any shows
an error or a leak (called by run.sh; by hand: summary.py LOGDIR).

One log per grader invocation.  Its first "==PID== Command:" line is the
grader's own process; every other PID in it is a process the grader forked
that stayed under valgrind (with --trace-children=no only until execve):
the sandbox's init ("==1==", PID 1 of its namespace), its payload ("==2=="),
the fallback mode's init and payload, posix_spawn's child before exec.

What fails the run:
  - the grader's process: any memcheck error, any definite, indirect or
    possible leak, any descriptor it opened and left open at exit
    (--track-fds), a log without its ERROR SUMMARY (valgrind did not finish:
    killed, or crashed);
  - a forked process: any memcheck error.
What does not, and is counted in the output:
  - leaks and open descriptors of forked processes.  Their heap is a copy of
    the grader's at the fork, taken while its other threads held blocks
    (their TLS blocks show as "possibly lost", since those threads do not
    exist in the copy); they end in execve or _exit and free nothing by
    design, so a leak report there says nothing about the code;
  - valgrind's own warnings ("unhandled syscall": the call failed with
    ENOSYS under valgrind, listed by number and name).

Output: "ok - LOG: COMMAND" or "not ok - LOG: COMMAND: WHAT" per log, each
distinct finding once with its stack and how many logs show it, then
"valgrind: N invocations, M with findings" (exit status 1 when M > 0 or no
log was found, 2 on bad usage)."""
import glob
import os
import re
import sys

LINE = re.compile(r"^==(\d+)== ?(.*)$")
NOTE = re.compile(r"^--(\d+)-- (.*)$")
LEAK = re.compile(r"^[\d,]+ (?:\([\d,]+ direct, [\d,]+ indirect\) )?bytes in [\d,]+ blocks are "
                  r"(definitely|indirectly|possibly) lost in loss record")
FD = re.compile(r"^Open (?:file descriptor|AF_\w+ socket|pipe)\b")
ERRSUM = re.compile(r"^ERROR SUMMARY: ([\d,]+) errors from ([\d,]+) contexts \(suppressed: ([\d,]+) from ([\d,]+)\)")
UNHANDLED = re.compile(r"WARNING: unhandled \S+ syscall: (\d+)")
THREAD = re.compile(r"^Thread \d+( \(.*\))?:$")
# Heads of records that are information, not findings.
INFO = [re.compile(p) for p in (
    r"^Memcheck, a memory error detector", r"^Copyright \(C\)", r"^Using Valgrind-", r"^Command: ",
    r"^Parent PID: ", r"^HEAP SUMMARY:", r"^LEAK SUMMARY:", r"^Reachable blocks", r"^To see them, rerun",
    r"^For lists of detected", r"^For counts of detected", r"^ERROR SUMMARY:", r"^All heap blocks were freed",
    r"^in use at exit:", r"^total heap usage:", r"^Use --track-origins=yes",
)]
# Names of the system calls valgrind 3.19 did not know in these runs
# (x86-64 numbers), for a readable note.
SYSCALLS = {317: "seccomp", 424: "pidfd_send_signal", 434: "pidfd_open", 435: "clone3", 436: "close_range",
            439: "faccessat2", 441: "epoll_pwait2", 442: "mount_setattr", 444: "landlock_create_ruleset",
            445: "landlock_add_rule", 446: "landlock_restrict_self"}


def records(lines):
    """Splits one process's message lines into records (blank-line separated)."""
    rec = []
    for text in lines:
        if text.strip() == "":
            if rec:
                yield rec
            rec = []
        else:
            rec.append(text)
    if rec:
        yield rec


class Log:
    def __init__(self, path):
        self.path = path
        self.main = None
        self.command = "?"
        self.errsum = None           # the errors the grader's ERROR SUMMARY counts
        self.suppressed = 0          # errors suppressed, in every process
        self.findings = []           # (who, kind, record lines)
        self.ignored_leaks = 0       # leak records of forked processes
        self.ignored_fds = 0
        self.warnings = []
        self.unhandled = set()
        by_pid = {}
        with open(path, encoding="utf-8", errors="replace") as f:
            for raw in f:
                raw = raw.rstrip("\n")
                m = LINE.match(raw)
                if m:
                    pid, text = int(m.group(1)), m.group(2)
                    if self.main is None and text.startswith("Command: "):
                        self.main, self.command = pid, text[len("Command: "):]
                    by_pid.setdefault(pid, []).append(text)
                    continue
                m = NOTE.match(raw)
                if m:
                    u = UNHANDLED.search(m.group(2))
                    if u:
                        self.unhandled.add(int(u.group(1)))
                elif raw.startswith("valgrind:"):
                    # valgrind's own fatal messages ("Cannot create log file")
                    self.findings.append(("valgrind", "valgrind failed", [raw]))
        for pid, lines in by_pid.items():
            main = pid == self.main
            who = "grader" if main else "forked pid %d%s" % (pid, {1: " (sandbox init)", 2: " (sandbox payload)"}.get(pid, ""))
            for rec in records(lines):
                for x in rec:
                    m = ERRSUM.match(x)
                    if m:
                        self.suppressed += int(m.group(3).replace(",", ""))
                        if main:
                            self.errsum = int(m.group(1).replace(",", ""))
                # A thread announcement precedes an error; the descriptor
                # list's header its first entry (no blank line between).
                while rec and (THREAD.match(rec[0].strip()) or rec[0].startswith("FILE DESCRIPTORS: ")):
                    rec = rec[1:]
                if not rec:
                    continue
                head = rec[0].strip()
                if rec[0].startswith(" ") or any(p.match(head) for p in INFO):
                    continue   # a leak summary's indented figures, the preamble, the summaries
                if LEAK.match(head):
                    if main:
                        self.findings.append((who, "leak", rec))
                    else:
                        self.ignored_leaks += 1
                elif FD.match(head):
                    inherited = any("<inherited from parent>" in x for x in rec[1:])
                    if main and not inherited:
                        self.findings.append((who, "descriptor left open at exit", rec))
                    elif not main:
                        self.ignored_fds += 1
                elif head.startswith("Warning: "):
                    self.warnings.append("%s: %s" % (who, head))
                else:
                    self.findings.append((who, "error", rec))
        if self.main is None:
            self.findings.append(("valgrind", "no valgrind preamble (valgrind did not start?)", []))
        elif self.errsum is None:
            self.findings.append(("grader", "no ERROR SUMMARY: valgrind did not finish (the process was killed "
                                  "or crashed)", []))
        elif self.errsum and not any(w == "grader" for w, _, _ in self.findings):
            self.findings.append(("grader", "ERROR SUMMARY counts %d errors the log does not show" % self.errsum, []))


def signature(rec):
    """A finding's identity across logs: its head without sizes or
    addresses, and its first frames without addresses."""
    head = re.sub(r"[\d,]+", "N", rec[0].strip()) if rec else ""
    frames = []
    for x in rec[1:]:
        x = x.strip()
        if x.startswith(("at ", "by ")):
            frames.append(re.sub(r"0x[0-9A-Fa-f]+: ", "", x))
        if len(frames) == 8:
            break
    return head + " | " + " | ".join(frames)


def main(argv):
    if len(argv) != 2 or not os.path.isdir(argv[1]):
        print("usage: summary.py LOGDIR", file=sys.stderr)
        return 2
    paths = sorted(p for p in glob.glob(os.path.join(argv[1], "*")) if os.path.isfile(p))
    logs = [Log(p) for p in paths]
    bad = [l for l in logs if l.findings]
    for l in logs:
        name = os.path.basename(l.path)
        if l.findings:
            kinds = {}
            for who, kind, _ in l.findings:
                kinds["%s in %s" % (kind, who)] = kinds.get("%s in %s" % (kind, who), 0) + 1
            print("not ok - %s: %s: %s" % (name, l.command, ", ".join("%d %s" % (n, k) for k, n in kinds.items())))
        else:
            print("ok - %s: %s" % (name, l.command))

    distinct = {}
    for l in bad:
        for who, kind, rec in l.findings:
            key = (kind, who.split(" (")[0] if who == "grader" else who, signature(rec))
            d = distinct.setdefault(key, {"rec": rec, "logs": [], "kind": kind, "who": who})
            if os.path.basename(l.path) not in d["logs"]:
                d["logs"].append(os.path.basename(l.path))
    if distinct:
        print("# findings (each once, with the logs that show it):")
        for d in distinct.values():
            print("#")
            print("# %s in %s, in %d log(s): %s" % (d["kind"], d["who"], len(d["logs"]),
                                                    ", ".join(sorted(d["logs"])[:5])
                                                    + (" ..." if len(d["logs"]) > 5 else "")))
            for x in d["rec"][:40]:
                print("#   " + x)

    unhandled = set().union(*(l.unhandled for l in logs)) if logs else set()
    if unhandled:
        print("# note: system calls valgrind does not know, answered ENOSYS (the sandbox then takes its "
              "fallback path): " + ", ".join("%d %s" % (n, SYSCALLS.get(n, "?")) for n in sorted(unhandled)))
    warns = sorted({w for l in logs for w in l.warnings})
    for w in warns[:20]:
        print("# note: valgrind %s" % w)
    leaks = sum(l.ignored_leaks for l in logs)
    fds = sum(l.ignored_fds for l in logs)
    if leaks or fds:
        print("# note: %d leak records and %d open descriptors of forked processes (sandbox init, payload "
              "before execve) not counted: their heap is a copy of the grader's at the fork, and they end in "
              "_exit holding the run's pipes by design" % (leaks, fds))
    suppressed = sum(l.suppressed for l in logs)
    if suppressed:
        print("# note: %d errors matched tests/valgrind/grader.supp (valgrind's and libraries' false positives)"
              % suppressed)
    if not logs:
        print("not ok - no valgrind log in %s: was the grader run at all?" % argv[1])
    print("valgrind: %d invocations, %d with findings" % (len(logs), len(bad)))
    return 1 if bad or not logs else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
