"""Checks of the sandbox on a pure cgroup v2 host (tests/vm/run.sh).

Two modes:
    guest.py --host-reference GRADER OUT   on this machine, before the VM
        boots: grades every sample submission and writes OUT/reference.json
        (status, score, each criterion's points), what the VM must match.
    guest.py --guest GRADER OUT            inside the VM, as root, with
        cgroup2 alone on /sys/fs/cgroup: the checks below, in three
        placements of the grader, then OUT/log and OUT/verdict.

Placements, as the grader meets them on real v2 hosts:
    root       the root cgroup (a VM, or a container's own cgroup namespace);
    delegated  a cgroup of its own with memory and pids available but not
               yet handed down, holding only the grader (systemd-run --scope
               -p Delegate=yes): the grader must move itself into a leaf,
               enable the controllers, and put everything back at exit;
    shared     a cgroup it shares with another process (a login session):
               it cannot enable controllers there, so it must run with
               rlimits only, say why, and refuse under --isolation strict.
"""
import json
import os
import subprocess
import sys
import time

CG = "/sys/fs/cgroup"
PY = "/usr/bin/python3"
HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(os.path.dirname(HERE))
SAMPLES = os.path.join(TOP, "submissions")

LOG = []
FAILED = []


def report(ok, name, detail=""):
    line = "%s - %s%s" % ("ok" if ok else "not ok", name, (": " + detail) if detail and not ok else "")
    LOG.append(line)
    print(line, flush=True)
    if not ok:
        FAILED.append(name)


def samples():
    return sorted(d for d in os.listdir(SAMPLES) if os.path.isdir(os.path.join(SAMPLES, d)))


def grade(grader, sample, prefix=()):
    p = subprocess.run([*prefix, grader, "grade", "--format", "json", "--python", PY,
                        os.path.join(SAMPLES, sample)],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    try:
        d = json.loads(p.stdout)
    except ValueError:
        return {"error": "exit %d, not JSON: %s" % (p.returncode, p.stderr.decode(errors="replace")[-300:])}
    return {"status": d["status"], "score": d["score"],
            "criteria": {c["id"]: c["points"] for c in d["criteria"]},
            "cgroups": [(l["name"], l["active"]) for l in d["isolation"]["layers"] if l["name"].startswith("cgroup_")]}


def host_reference(grader, out):
    ref = {s: grade(grader, s) for s in samples()}
    bad = [s for s, r in ref.items() if "error" in r]
    if bad:
        print("host reference: %s" % ref[bad[0]]["error"], file=sys.stderr)
        return 1
    with open(os.path.join(out, "reference.json"), "w") as f:
        json.dump(ref, f, indent=1, sort_keys=True)
    return 0


def in_cgroup(path):
    """argv prefix that runs a command inside cgroup `path`."""
    return ["/bin/sh", "-c", 'echo $$ >"$0/cgroup.procs" && exec "$@"', path]


def sandbox(grader, prefix, args, cmd, timeout=300):
    p = subprocess.run([*prefix, grader, "sandbox", "--format", "json", *args, "--", *cmd],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    try:
        d = json.loads(p.stdout)
    except ValueError:
        d = None
    return p.returncode, d, p.stderr.decode(errors="replace")


def layers(d):
    return {l["name"]: (l["active"], l["detail"]) for l in d["isolation"]["layers"]}


def leftovers(where):
    found = []
    for root, dirs, _ in os.walk(where):
        found += [os.path.join(root, d) for d in dirs if d.startswith("grader-")]
    return found


def check_full(grader, place, prefix, where):
    """The v2 limits work: each limit gives its verdict, usage is measured."""
    rc, d, err = sandbox(grader, prefix, [], [PY, "-c", "print(sum(range(10**6)))"])
    if d is None:
        report(False, place + ": plain run", "exit %d, %s" % (rc, err[-300:]))
        return
    ly = layers(d)
    report(rc == 0 and d["limit"] is None and d["stdout"] == "499999500000\n", place + ": plain run is ok",
           json.dumps({k: d[k] for k in ("exit_code", "limit", "stdout", "stderr")}))
    for name in ("cgroup_memory", "cgroup_pids", "cgroup_cpu", "cgroup_kill"):
        active, detail = ly.get(name, (False, "absent"))
        report(active and "v2" in detail, "%s: %s active on v2" % (place, name), detail)
    report(d["isolation"]["level"] == "full", place + ": isolation level full", d["isolation"]["summary"])
    report(d["cpu_ms"] > 0 and d["max_rss_kb"] > 0, place + ": CPU and peak memory measured",
           "cpu_ms %s max_rss_kb %s" % (d["cpu_ms"], d["max_rss_kb"]))

    rc, d, err = sandbox(grader, prefix, ["--memory", "64"], [PY, "-c", "b = bytearray(300 << 20); print(len(b))"])
    report(d is not None and d["limit"] == "memory" and d["stdout"] == "", place + ": 300 MB against --memory 64 is 'memory'",
           err[-300:] if d is None else json.dumps({k: d[k] for k in ("limit", "exit_code", "signal", "max_rss_kb")}))
    if d is not None:
        report(d["max_rss_kb"] <= 64 * 1024 + 1024, place + ": peak memory stays within the limit", str(d["max_rss_kb"]))

    children = ("import os, time\n"
                "for i in range(4):\n"
                "    if os.fork() == 0:\n"
                "        b = bytearray(40 << 20)\n"
                "        time.sleep(30)\n"
                "        os._exit(0)\n"
                "os.wait()\n")
    rc, d, err = sandbox(grader, prefix, ["--memory", "96", "--wall", "60"], [PY, "-c", children])
    report(d is not None and d["limit"] == "memory", place + ": memory spread over child processes is 'memory'",
           err[-300:] if d is None else json.dumps({k: d[k] for k in ("limit", "exit_code", "signal", "max_rss_kb")}))

    # Twenty children that each live a second: the eighth fork is refused,
    # the run ends by itself, and the refusal is the verdict.
    kids = ("import os, time\n"
            "kids = []\n"
            "for i in range(20):\n"
            "    try:\n"
            "        pid = os.fork()\n"
            "    except OSError:\n"
            "        break\n"
            "    if pid == 0:\n"
            "        time.sleep(1)\n"
            "        os._exit(0)\n"
            "    kids.append(pid)\n"
            "for k in kids:\n"
            "    os.waitpid(k, 0)\n"
            "print(len(kids))\n")
    rc, d, err = sandbox(grader, prefix, ["--processes", "8", "--wall", "60"], [PY, "-c", kids])
    report(d is not None and d["limit"] == "processes" and d["stdout"].strip().isdigit() and int(d["stdout"]) < 8,
           place + ": 20 children against --processes 8 is 'processes'",
           err[-300:] if d is None else json.dumps({k: d[k] for k in ("limit", "exit_code", "stdout", "wall_ms")}))

    rc, d, err = sandbox(grader, prefix, ["--time", "1", "--wall", "60"], [PY, "-c", "while True: pass"])
    report(d is not None and d["limit"] == "time" and d["cpu_ms"] >= 900, place + ": busy loop against --time 1 is 'time'",
           err[-300:] if d is None else json.dumps({k: d[k] for k in ("limit", "cpu_ms", "wall_ms")}))

    daemon = ("import os, time\n"
              "if os.fork() == 0:\n"
              "    os.setsid()\n"
              "    if os.fork() == 0:\n"
              "        time.sleep(600)\n"
              "    os._exit(0)\n"
              "print('parent done')\n")
    rc, d, err = sandbox(grader, prefix, [], [PY, "-c", daemon])
    report(d is not None and d["limit"] is None and d["stdout"] == "parent done\n", place + ": a daemonizing run ends",
           err[-300:] if d is None else d["stdout"])
    report(not pids_running("sleep(600)"), place + ": the daemon died with the run", str(pids_running("sleep(600)")))
    report(not leftovers(where), place + ": no run cgroup left behind", " ".join(leftovers(where)))

    rc, d, err = sandbox(grader, prefix, ["--isolation", "strict"], [PY, "-c", "print('strict')"])
    report(rc == 0 and d is not None and d["stdout"] == "strict\n", place + ": --isolation strict runs", err[-300:])


def pids_running(text):
    """Processes whose command line contains text."""
    out = []
    for p in os.listdir("/proc"):
        if p.isdigit():
            try:
                with open("/proc/%s/cmdline" % p, "rb") as f:
                    if text.encode() in f.read():
                        out.append(int(p))
            except OSError:
                pass
    return out


def check_grades(grader, place, prefix, ref):
    for s in samples():
        got = grade(grader, s, prefix)
        want = dict(ref[s])
        report("error" not in got and got["status"] == want["status"] and got["score"] == want["score"]
               and got["criteria"] == want["criteria"],
               "%s: grade %s as on the host (%s %s)" % (place, s, want["status"], want["score"]),
               json.dumps(got)[:400])
        if "error" not in got:
            report(all(active for _, active in got["cgroups"]), "%s: grade %s ran under v2 cgroups" % (place, s),
                   json.dumps(got["cgroups"]))


def check_batch(grader, place, prefix, ref):
    outdir = os.path.join("/tmp", "vm-batch-" + place)
    p = subprocess.run([*prefix, grader, "batch", "-j", "2", "--python", PY, "-o", outdir, SAMPLES],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=1200)
    rows = {}
    try:
        with open(os.path.join(outdir, "results.jsonl")) as f:
            for line in f:
                r = json.loads(line)
                rows[os.path.basename(r["submission"]["path"].rstrip("/"))] = r
    except (OSError, ValueError, KeyError) as e:
        report(False, place + ": batch of the samples", "exit %d, %s; %s" % (p.returncode, e, p.stderr.decode(errors="replace")[-300:]))
        return
    same = all(s in rows and rows[s]["score"] == ref[s]["score"] and rows[s]["status"] == ref[s]["status"] for s in samples())
    report(same and len(rows) == len(samples()), place + ": batch -j 2 of the samples gives the host's scores",
           json.dumps({s: (r["status"], r["score"]) for s, r in rows.items()}))
    off = sorted({l["name"] for r in rows.values() for l in r["isolation"]["layers"]
                  if l["name"].startswith("cgroup_") and not l["active"]})
    report(not off and rows, place + ": every batch row ran under v2 cgroups", " ".join(off))


# The hostile cases a cgroup decides (tests/hostile/expect.py has their
# verdicts), each in the full and the degraded mode.
HOSTILE = ["busy_loop", "fork_bomb", "thread_bomb", "memory_bomb", "memory_children", "daemon", "kill_parent",
           "kill_all", "sleep", "stdout_flood"]


def check_hostile(grader, place, prefix):
    p = subprocess.run([*prefix, PY, "-B", os.path.join(TOP, "tests", "hostile", "driver.py"), grader, *HOSTILE],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=1800,
                       env=dict(os.environ, HOSTILE_EMULATED="1"))
    lines = p.stdout.decode(errors="replace").splitlines()
    cases = [l for l in lines if l.startswith(("ok - ", "not ok - ", "skip - "))]
    for l in cases:
        if l.startswith("skip - "):  # kill_all [degraded], for its reason in GAPS.md
            LOG.append("# %s: hostile %s" % (place, l))
            continue
        ok = l.startswith("ok - ")
        report(ok, "%s: hostile %s" % (place, l.split(" - ", 1)[1]), "" if ok else l)
    report(p.returncode == 0 and len(cases) == 2 * len(HOSTILE), place + ": hostile suite's cases all ran",
           "exit %d, %d results: %s" % (p.returncode, len(cases), " | ".join(lines[-5:])))


def check_shared(grader, place, prefix, where):
    """Sharing its cgroup, the grader cannot enable controllers: it says so."""
    rc, d, err = sandbox(grader, prefix, [], [PY, "-c", "print('ran')"])
    if d is None:
        report(False, place + ": plain run", "exit %d, %s" % (rc, err[-300:]))
        return
    ly = layers(d)
    active, detail = ly.get("cgroup_memory", (True, ""))
    report(rc == 0 and d["stdout"] == "ran\n", place + ": runs without cgroups", d["stderr"][-300:])
    report(not active and "other processes" in detail and "Delegate=yes" in detail,
           place + ": the memory layer says why it is missing and what to do", detail)
    report(d["isolation"]["level"] == "degraded", place + ": isolation level degraded", d["isolation"]["level"])
    rc, d, err = sandbox(grader, prefix, ["--isolation", "strict"], [PY, "-c", "print('strict')"])
    report(rc == 3 and "cgroup" in err, place + ": --isolation strict refuses, naming the cgroups", "exit %d: %s" % (rc, err[-300:]))
    report(not leftovers(where), place + ": no cgroup left behind", " ".join(leftovers(where)))
    with open(os.path.join(where, "cgroup.subtree_control")) as f:
        report(f.read().strip() == "", place + ": its cgroup's controllers untouched")


def guest(grader, out):
    with open(os.path.join(out, "reference.json")) as f:
        ref = json.load(f)
    started = time.monotonic()
    with open("/proc/filesystems") as f:
        report(os.path.exists(os.path.join(CG, "cgroup.controllers")) and "cgroup2" in f.read(), "/sys/fs/cgroup is cgroup2")
    with open(os.path.join(CG, "cgroup.controllers")) as f:
        ctrls = f.read().split()
    report({"memory", "pids", "cpu"} <= set(ctrls), "the kernel offers memory, pids and cpu on v2", " ".join(ctrls))
    with open("/proc/self/cgroup") as f:
        report(f.read().strip() == "0::/", "the guest starts in the root cgroup")

    check_full(grader, "root", [], CG)
    check_grades(grader, "root", [], ref)
    # The driver starts several graders at once, so they share its cgroup:
    # only the root cgroup, exempt from v2's rule, lets them all have one.
    check_hostile(grader, "root", [])

    # systemd-run --scope -p Delegate=yes: controllers available to the
    # scope (its parent hands them down), none handed further yet.
    with open(os.path.join(CG, "cgroup.subtree_control"), "w") as f:
        f.write("+memory +pids +cpu")
    deleg = os.path.join(CG, "vmtest-delegated.scope")
    os.mkdir(deleg)
    prefix = in_cgroup(deleg)
    check_full(grader, "delegated", prefix, deleg)
    with open(os.path.join(deleg, "cgroup.subtree_control")) as f:
        report(f.read().strip() == "", "delegated: the scope's controllers are as found after the grader exits")
    check_grades(grader, "delegated", prefix, ref)
    check_batch(grader, "delegated", prefix, ref)
    report(not leftovers(deleg), "delegated: no cgroup left behind (leaf and runs)", " ".join(leftovers(deleg)))

    shared = os.path.join(CG, "vmtest-session.scope")
    os.mkdir(shared)
    other = subprocess.Popen(in_cgroup(shared) + ["/bin/sleep", "600"])
    time.sleep(0.5)
    check_shared(grader, "shared", in_cgroup(shared), shared)
    other.kill()
    other.wait()

    checks = sum(1 for l in LOG if not l.startswith("#"))
    LOG.append("# %d checks in %.0f s (under emulation: not a timing)" % (checks, time.monotonic() - started))
    with open(os.path.join(out, "log"), "w") as f:
        f.write("\n".join(LOG) + "\n")
    with open(os.path.join(out, "verdict"), "w") as f:
        if FAILED:
            f.write("%d of %d checks failed: %s\n" % (len(FAILED), checks, ", ".join(FAILED)))
        else:
            f.write("all passed (%d checks)\n" % checks)
    return 0


def main():
    if len(sys.argv) != 4 or sys.argv[1] not in ("--host-reference", "--guest"):
        print(__doc__, file=sys.stderr)
        return 2
    grader, out = sys.argv[2], sys.argv[3]
    if sys.argv[1] == "--host-reference":
        return host_reference(grader, out)
    try:
        return guest(grader, out)
    except Exception as e:  # the host must get a verdict, whatever happened
        import traceback
        LOG.append("not ok - guest.py crashed: %s" % traceback.format_exc().replace("\n", " | "))
        with open(os.path.join(out, "log"), "w") as f:
            f.write("\n".join(LOG) + "\n")
        with open(os.path.join(out, "verdict"), "w") as f:
            f.write("guest.py crashed: %r\n" % e)
        return 1


if __name__ == "__main__":
    sys.exit(main())
