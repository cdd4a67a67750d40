#!/bin/sh
# make bench: measured side by side in one run, never asserted in a test.
#   1. grading one submission  vs  plain python3 running the baseline and the fix
#   2. our sandbox             vs  bwrap, same python3 command, similar layers
# Prints a Markdown report (also written to build/bench.md) with the
# machine and date, for README.md's Performance section.
set -eu
grader=${1:-build/grader}
need=""
command -v hyperfine >/dev/null 2>&1 || need="$need hyperfine"
command -v bwrap >/dev/null 2>&1 || need="$need bubblewrap"
if [ -n "$need" ]; then
    if [ "$(id -u)" = 0 ]; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $need >/dev/null
    else
        echo "make bench needs:$need   run: sudo apt-get install -y$need" >&2
        exit 1
    fi
fi
py=${GRADER_PYTHON:-python3}
py=$("$py" -c 'import os, sys; print(os.path.realpath(sys.executable))')
sys_py=/usr/bin/python3
runs=${BENCH_RUNS:-30}
out=build/bench
mkdir -p "$out"
root=$(pwd)

hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/grade.json" \
    -n "python3 baseline + fix" "sh -c 'cd $root/submissions/unfixed && $py leaky_app.py >/dev/null && cd $root/submissions/canonical-fix && $py leaky_app.py >/dev/null'" \
    -n "grader grade" "$grader grade --python $py $root/submissions/canonical-fix" >/dev/null

hyperfine -N --warmup 5 --runs "$((runs * 2))" --export-json "$out/sandbox.json" \
    -n "python3 (no sandbox)" "$sys_py -E -s -c pass" \
    -n "grader sandbox" "$grader sandbox -- $sys_py -E -s -c pass" \
    -n "bwrap" "bwrap --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin --tmpfs /tmp --chdir /tmp --unshare-pid --unshare-net --unshare-ipc --unshare-uts --die-with-parent --new-session --clearenv $sys_py -E -s -c pass" \
    -n "bwrap + /proc /dev" "bwrap --ro-bind /usr /usr --symlink usr/lib /lib --symlink usr/lib64 /lib64 --symlink usr/bin /bin --tmpfs /tmp --proc /proc --dev /dev --chdir /tmp --unshare-pid --unshare-net --unshare-ipc --unshare-uts --die-with-parent --new-session --clearenv $sys_py -E -s -c pass" >/dev/null
# Where our extra time goes: the same run without cgroups (a cgroup
# migration waits for an RCU grace period when none is under way).
GRADER_SANDBOX_DISABLE=cgroups hyperfine -N --warmup 5 --runs "$((runs * 2))" --export-json "$out/sandbox-nocg.json" \
    -n "grader sandbox, cgroups off" "$grader sandbox -- $sys_py -E -s -c pass" >/dev/null

# The same runs inside one grader process, as grading and batches pay them.
"$grader" sandbox --repeat "$((runs * 2))" -- "$sys_py" -E -s -c pass > "$out/repeat.txt"

# The same two commands again, interleaved: one run of each in turn, 10
# rounds of warm-up then 300, so that the machine's drift over the seconds
# hyperfine spends on one command before the next (the cache, the clock,
# a neighbour) falls on both alike.  The order flips every round (A B, B
# A, ...), so that each command follows itself as often as the other: a
# command can leave work behind when it exits (bwrap's PID 1 is still
# tearing down its mount namespace when bwrap returns), and that work
# slows whatever starts next.  In a fixed order each command always
# follows the other, and pays for what that one left.  The medians by
# predecessor are written too: "after itself" is a tool run over and over.
python3 - "$grader" "$sys_py" > "$out/interleaved.txt" <<'PY'
import os, statistics, subprocess, sys, time
grader, py = sys.argv[1:3]
payload = [py, "-E", "-s", "-c", "pass"]
cmds = {"grader sandbox": [grader, "sandbox", "--"] + payload,
        "bwrap + /proc /dev": ["bwrap", "--ro-bind", "/usr", "/usr", "--symlink", "usr/lib", "/lib", "--symlink",
                               "usr/lib64", "/lib64", "--symlink", "usr/bin", "/bin", "--tmpfs", "/tmp", "--proc",
                               "/proc", "--dev", "/dev", "--chdir", "/tmp", "--unshare-pid", "--unshare-net",
                               "--unshare-ipc", "--unshare-uts", "--die-with-parent", "--new-session", "--clearenv"]
                              + payload}
names = list(cmds)
times = {k: [] for k in cmds}
after = {(k, p): [] for k in cmds for p in cmds}
prev = None
with open(os.devnull, "w") as null:
    for i in range(310):
        for k in (names if i % 2 == 0 else names[::-1]):
            t = time.perf_counter()
            subprocess.run(cmds[k], stdout=null, stderr=null, check=True)
            ms = (time.perf_counter() - t) * 1000
            if i >= 10:
                times[k].append(ms)
                after[(k, prev)].append(ms)
            prev = k
for k, t in times.items():
    t.sort()
    print("%s|%.1f|%.1f|%.1f|%.1f|%d|%.2f|%.2f" % (k, statistics.median(t), statistics.mean(t),
                                                  t[int(round(0.95 * (len(t) - 1)))], t[-1], len(t),
                                                  statistics.median(after[(k, k)]),
                                                  statistics.median(after[(k, next(p for p in names if p != k))])))
PY

# A class of 200 (and of 50, for memory): half fixed, half not, each file
# different.  Plain python3 runs each submission once, one after the other;
# the batch uses every core.  The grader's own peak memory (VmHWM of the
# batch process alone, not of the runs) is read from /proc while it runs.
class_dir=$out/class
# The last bench's class and outputs are moved aside here and deleted at
# the end, not deleted now: ext4 without a journal (this machine's root)
# skips, at every inode it allocates, each inode of the group freed in the
# last 5 minutes whose table block is dirty, so thousands of files deleted
# just before would slow every file the batch then creates (about 1 s of
# CPU in a class of 200), which no instructor's batch pays.
trash=$out/trash-$$
mkdir -p "$trash"
for old in "$class_dir" "$out"/batch200* "$out"/batch50*; do
    if [ -e "$old" ]; then mv "$old" "$trash/"; fi
done
mkdir -p "$class_dir/200" "$class_dir/50"
i=0
while [ $i -lt 200 ]; do
    d=$class_dir/200/s$i
    mkdir -p "$d"
    if [ $((i % 2)) = 0 ]; then cp "$root/submissions/canonical-fix/leaky_app.py" "$d/"; else cp "$root/submissions/unfixed/leaky_app.py" "$d/"; fi
    echo "# submission $i" >> "$d/leaky_app.py"
    [ $i -lt 50 ] && cp -r "$d" "$class_dir/50/"
    i=$((i + 1))
done
# Each interpreter in turn: this machine's python3 (pyenv's, whose
# site-packages hold a .pth that imports certifi at every start-up), then
# Debian's /usr/bin/python3 (whose start-up is light).  The runs hide
# site-packages, so the first gains from that and the second shows the
# grader without that help.
python3 - "$grader" "$class_dir" "$out" "$py" "$sys_py" > "$out/batch.txt" <<'PY'
import json, os, resource, subprocess, sys, time
grader, class_dir, out = sys.argv[1:4]
pythons = list(dict.fromkeys(sys.argv[4:]))
subs = sorted(os.listdir(os.path.join(class_dir, "200")))
def children_cpu():
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime
def batch(py, n, tag):
    dest = os.path.join(out, "batch%d%s" % (n, tag))
    t = time.monotonic()
    p = subprocess.Popen([grader, "batch", "--python", py, "-o", dest, os.path.join(class_dir, str(n))],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    hwm = 0
    while p.poll() is None:
        try:
            for line in open("/proc/%d/status" % p.pid):
                if line.startswith("VmHWM:"):
                    hwm = max(hwm, int(line.split()[1]))
        except OSError:
            pass
        time.sleep(0.05)
    return time.monotonic() - t, hwm, p.returncode, dest
def plain_class(py):
    c0 = children_cpu()
    t = time.monotonic()
    for s in subs:
        subprocess.run([py, "leaky_app.py"], cwd=os.path.join(class_dir, "200", s), stdout=subprocess.DEVNULL, check=True)
    return time.monotonic() - t, children_cpu() - c0
for k, py in enumerate(pythons):
    tag = "" if k == 0 else "-%d" % k
    # Plain runs before and after the batch, their mean the reference: the
    # machine's speed drifts by several percent within seconds, and a
    # steady drift falls on both sides alike.
    before, before_cpu = plain_class(py)
    c0 = children_cpu()
    w200, m200, rc200, dest = batch(py, 200, tag)
    batch_cpu = children_cpu() - c0  # the grader and every run it reaped, the runs' own children included
    after_, after_cpu = plain_class(py)
    plain, plain_cpu = (before + after_) / 2, (before_cpu + after_cpu) / 2
    w50, m50, rc50, _ = batch(py, 50, tag) if k == 0 else (0, 0, 0, None)
    # Each row's runs, as the sandbox measured them (cgroup CPU of the run).
    after = probe = 0
    for line in open(os.path.join(dest, "results.jsonl")):
        runs = json.loads(line).get("runs", {})
        after += runs.get("after", {}).get("cpu_ms", 0)
        probe += runs.get("probe", {}).get("cpu_ms", 0)
    ver = subprocess.run([py, "-c", "import platform; print(platform.python_version())"], capture_output=True,
                         text=True).stdout.strip()
    n = len(subs)
    print(json.dumps({"python": py, "version": ver, "plain": plain, "plain_before": before, "plain_after": after_,
                      "w200": w200, "m200": m200, "m50": m50,
                      "cores": os.cpu_count(), "rc200": rc200, "rc50": rc50, "c_plain": 1000 * plain_cpu / n,
                      "c_batch": 1000 * batch_cpu / n, "c_after": after / n, "c_probe": probe / n}))
PY

python3 - "$out" "$py" <<'PY' | tee "$out.md"
import json, os, platform, statistics, subprocess, sys, time
out, py = sys.argv[1], sys.argv[2]
def rows(name):
    res = json.load(open(os.path.join(out, name)))["results"]
    table = []
    for r in res:
        t = sorted(x * 1000 for x in r["times"])
        p95 = t[min(len(t) - 1, int(round(0.95 * (len(t) - 1))))]
        table.append((r["command"], statistics.median(t), r["mean"] * 1000, p95, t[-1], len(t)))
    return table
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
ver = subprocess.run([py, "-c", "import platform; print(platform.python_version())"], capture_output=True, text=True).stdout.strip()
print(f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} x {cpu}, Linux {platform.release()}, Python {ver} ({py}).")
for title, name in (("Grading one submission", "grade.json"), ("Sandbox start-up, `python3 -E -s -c pass`", "sandbox.json")):
    t = rows(name)
    print(f"\n{title}:\n\n| command | median ms | mean ms | p95 ms | max ms | runs |\n|---|---|---|---|---|---|")
    for c, med, mean, p95, mx, n in t:
        print(f"| {c} | {med:.1f} | {mean:.1f} | {p95:.1f} | {mx:.1f} | {n} |")
    if name == "grade.json":
        print(f"\nRatio grader / plain python3 (medians): {t[1][1] / t[0][1]:.2f}x (target: at most 1.5x)")
    else:
        t += rows("sandbox-nocg.json")
        print(f"| {t[-1][0]} | {t[-1][1]:.1f} | {t[-1][2]:.1f} | {t[-1][3]:.1f} | {t[-1][4]:.1f} | {t[-1][5]} |")
        print("\nOverhead over plain python3 (medians): " +
              ", ".join(f"{c} {med - t[0][1]:.1f} ms" for c, med, *_ in t[1:]))
        rep = open(os.path.join(out, "repeat.txt")).read().strip()
        import re
        m = re.search(r"(\d+) runs in one process, ms per run: median ([\d.]+), mean ([\d.]+), p95 ([\d.]+), max ([\d.]+)", rep)
        if m:
            n, med, mean, p95, mx = m.groups()
            print(f"\nPer run inside one grader process (`grader sandbox --repeat {n}`, timed by the grader around "
                  f"each `sandbox_run`): median {med} ms, mean {mean} ms, p95 {p95} ms, max {mx} ms; "
                  f"overhead over plain python3 {float(med) - t[0][1]:.1f} ms (median).")
        print("\nInterleaved (a run of each in turn, the order flipped every round, 300 rounds, timed from Python's "
              "subprocess.run, so both include its fork and exec; the last two columns are the medians of the runs "
              "that followed a run of the same command and of the other one):\n\n"
              "| command | median ms | mean ms | p95 ms | max ms | runs | after itself | after the other |\n"
              "|---|---|---|---|---|---|---|---|")
        for line in open(os.path.join(out, "interleaved.txt")):
            c, med, mean, p95, mx, n, same, other = line.strip().split("|")
            print(f"| {c} | {med} | {mean} | {p95} | {mx} | {n} | {same} | {other} |")
batches = [json.loads(l) for l in open(os.path.join(out, "batch.txt")) if l.strip()]
cores = batches[0]["cores"]
print(f"\nA class of 200 submissions (`grader batch`, {cores} workers, cold cache), against plain `python3` running "
      f"each once, one after the other, before and after the batch (their mean is the reference); the target is "
      f"2 x plain / {cores} cores:\n\n"
      f"| interpreter | plain before, after (s) | target (s) | `grader batch` (s) | ratio to the target |\n"
      f"|---|---|---|---|---|")
for r in batches:
    bound = 2 * r["plain"] / cores
    print(f"| {r['version']} ({r['python']}) | {r['plain_before']:.2f}, {r['plain_after']:.2f} | {bound:.2f} | "
          f"{r['w200']:.2f} | {r['w200'] / bound:.2f}{'' if r['rc200'] == 0 else ' (exit status %d)' % r['rc200']} |")
r = batches[0]
print(f"\nThe batch process's own peak memory (VmHWM, the runs not included), with {r['version']}: "
      f"{int(r['m50']) // 1024} MiB for 50 submissions, {int(r['m200']) // 1024} MiB for 200.")
print("\nCPU per submission (ms), where the target leaves at most 2 plain runs (every core busy all the time):\n\n"
      "| interpreter | a plain run | the batch, in all | unprobed run | instrumented run | the rest (the grader, "
      "the sandbox's set-up, the baseline once) | in plain runs |\n|---|---|---|---|---|---|---|")
for r in batches:
    print(f"| {r['version']} | {r['c_plain']:.1f} | {r['c_batch']:.1f} | {r['c_after']:.1f} | {r['c_probe']:.1f} | "
          f"{r['c_batch'] - r['c_after'] - r['c_probe']:.1f} | {r['c_batch'] / r['c_plain']:.2f} |")
PY
rm -rf "$out"/trash-*
