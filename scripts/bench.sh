#!/bin/sh
# make bench: measured side by side in one run, never asserted in a test.
#   1. grading one submission  vs  the same interpreter running the baseline
#      and the fix plainly, with the flags the grader's runs use (-E -s)
#   2. our sandbox             vs  bwrap, same python3 command, similar layers
#   3. a class of 200          vs  the same interpreter running each
#      submission once plainly (-E -s), one after the other
# 1 and 3 are measured with Debian's /usr/bin/python3 first (the honest
# reference: its start-up is light), then with python3 on PATH (or
# GRADER_PYTHON) resolved past any shim, if that is another interpreter.
# Prints a Markdown report (also written to build/bench.md): the method,
# the machine, and the tables; docs/performance.md explains them.
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
# The interpreters, each given to the grader with --python and run plainly
# with -E -s, the flags of the grader's own runs.  Debian's first: the
# honest reference, and the one the ratios lead with.  Then python3 on PATH
# (GRADER_PYTHON if set), resolved past any shim to the real executable:
# pyenv's here, whose site-packages hold a .pth that imports certifi at
# every start-up.  -s does not skip that (it is the interpreter's own
# site-packages, not the user's), while the grader's runs hide it, so that
# row still flatters the grader.
sys_py=/usr/bin/python3
if [ ! -x "$sys_py" ]; then
    echo "make bench needs $sys_py (Debian's python3, for the reference runs and the bwrap comparison)" >&2
    exit 1
fi
py_name=${GRADER_PYTHON:-python3}
py=$("$py_name" -c 'import os, sys; print(os.path.realpath(sys.executable))')
pythons=$sys_py
if [ "$("$sys_py" -c 'import os, sys; print(os.path.realpath(sys.executable))')" != "$py" ]; then
    pythons="$sys_py $py"
fi
runs=${BENCH_RUNS:-30}
out=build/bench
mkdir -p "$out"
root=$(pwd)

# Grading one submission against the same interpreter running the baseline
# and the fix one after the other, per interpreter, the plain side first.
set --
for p in $pythons; do
    if [ "$p" = "$sys_py" ]; then label=$sys_py; else label=$py_name; fi
    set -- "$@" \
        -n "\`$label -E -s\` baseline + fix" \
        "sh -c 'cd $root/submissions/unfixed && $p -E -s leaky_app.py >/dev/null && cd $root/submissions/canonical-fix && $p -E -s leaky_app.py >/dev/null'" \
        -n "\`grader grade --python $label\`" "$grader grade --python $p $root/submissions/canonical-fix"
done
hyperfine -N --warmup 3 --runs "$runs" --export-json "$out/grade.json" "$@" >/dev/null

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
# different.  Each interpreter runs each submission once plainly (-E -s,
# as the grader's runs), one after the other; the batch uses every core.
# The grader's own peak memory (VmHWM of the batch process alone, not of
# the runs) is read from /proc while it runs.
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
# Each interpreter in turn, Debian's /usr/bin/python3 first, then python3
# on PATH if that is another one (above).
python3 - "$grader" "$class_dir" "$out" $pythons > "$out/batch.txt" <<'PY'
import json, os, resource, subprocess, sys, time
grader, class_dir, out = sys.argv[1:4]
pythons = sys.argv[4:]
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
        subprocess.run([py, "-E", "-s", "leaky_app.py"], cwd=os.path.join(class_dir, "200", s), stdout=subprocess.DEVNULL, check=True)
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
    after = probe = errors = 0
    for line in open(os.path.join(dest, "results.jsonl")):
        row = json.loads(line)
        errors += row.get("status") == "error"
        runs = row.get("runs", {})
        after += runs.get("after", {}).get("cpu_ms", 0)
        probe += runs.get("probe", {}).get("cpu_ms", 0)
    ver = subprocess.run([py, "-c", "import platform; print(platform.python_version())"], capture_output=True,
                         text=True).stdout.strip()
    n = len(subs)
    print(json.dumps({"python": py, "version": ver, "plain": plain, "plain_before": before, "plain_after": after_,
                      "w200": w200, "m200": m200, "m50": m50,
                      "cores": os.cpu_count(), "rc200": rc200, "rc50": rc50, "errors": errors, "c_plain": 1000 * plain_cpu / n,
                      "c_batch": 1000 * batch_cpu / n, "c_after": after / n, "c_probe": probe / n}))
PY

python3 - "$out" "$runs" "$sys_py" "$py_name" $pythons <<'PY' | tee "$out.md"
import json, os, platform, re, statistics, subprocess, sys, time
out, runs, sys_py, py_name = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
pythons = sys.argv[5:]
def label(p):
    return sys_py if p == sys_py else py_name
def version(p):
    return subprocess.run([p, "-c", "import platform; print(platform.python_version())"], capture_output=True,
                          text=True).stdout.strip()
def rows(name):
    res = json.load(open(os.path.join(out, name)))["results"]
    table = []
    for r in res:
        t = sorted(x * 1000 for x in r["times"])
        p95 = t[min(len(t) - 1, int(round(0.95 * (len(t) - 1))))]
        table.append((r["command"], statistics.median(t), r["mean"] * 1000, p95, t[-1], len(t)))
    return table
cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
cores = os.cpu_count()
print("# make bench\n")
print(f"Machine: {cores} x {cpu}, Linux {platform.release()}; measured {time.strftime('%Y-%m-%d')}. "
      "The machine's speed drifts by several percent within minutes: compare rows of one table, not tables of "
      "different runs.\n")
print("Interpreters, each run plainly with `-E -s` (the flags of the grader's own runs) and given to the grader "
      "with `--python`, in this order:\n")
for p in pythons:
    what = "Debian's; the reference the ratios lead with" if p == sys_py else \
        f"`{py_name}` on PATH resolved with `realpath(sys.executable)` to `{p}`"
    print(f"- `{label(p)}`: Python {version(p)} ({what})")
print(f"""
Method:

- Grading one submission: `grader grade --python PY submissions/canonical-fix` against
  `sh -c 'cd submissions/unfixed && PY -E -s leaky_app.py >/dev/null && cd submissions/canonical-fix && PY -E -s leaky_app.py >/dev/null'`
  (the baseline and the fix, one after the other), for each interpreter PY;
  hyperfine `-N`, 3 warm-up runs and {runs} runs of each command, one command after the other.
  Ratio: the grader's median over the plain runs' median, same interpreter.
- Sandbox start-up: `{sys_py} -E -s -c pass` plainly, under `grader sandbox --`, under it with cgroups off
  (`GRADER_SANDBOX_DISABLE=cgroups`), and under `bwrap` (a read-only `/usr`, a tmpfs `/tmp`, new PID, network,
  IPC and UTS namespaces), then also with `--proc /proc --dev /dev`; hyperfine `-N`, 5 warm-up runs and
  {2 * runs} runs each; then `grader sandbox --repeat {2 * runs}` (each run timed inside one grader process);
  then `grader sandbox` and `bwrap` with `/proc` `/dev` interleaved, 10 rounds of warm-up and 300 rounds, the
  order flipped every round.
- A class: 200 submissions (half `canonical-fix`, half `unfixed`, each file made different by a comment line),
  `grader batch --python PY` with {cores} workers into a new folder, against `PY -E -s leaky_app.py` run in each
  submission's folder once, one after the other, before and after the batch (their mean is the reference), for
  each interpreter; the batch of 50 (memory only) with the first. Ratio: the batch's time over the plain class's
  time per core (plain / {cores}); the target is 2.""")
t = rows("grade.json")
print("\nGrading one submission:\n\n| command | median ms | mean ms | p95 ms | max ms | runs | x plain (medians) |\n"
      "|---|---|---|---|---|---|---|")
for k, (c, med, mean, p95, mx, n) in enumerate(t):
    ref = t[k - k % 2][1]
    print(f"| {c} | {med:.1f} | {mean:.1f} | {p95:.1f} | {mx:.1f} | {n} | {med / ref:.2f} |")
print("\nRatio grader / plain `-E -s` (medians): " +
      "; ".join(f"`{label(p)}` {t[2 * k + 1][1] / t[2 * k][1]:.2f}x" for k, p in enumerate(pythons)) +
      " (target: at most 1.5x)")
t = rows("sandbox.json") + rows("sandbox-nocg.json")
print(f"\nSandbox start-up, `{sys_py} -E -s -c pass`:\n\n"
      "| command | median ms | mean ms | p95 ms | max ms | runs |\n|---|---|---|---|---|---|")
for c, med, mean, p95, mx, n in t:
    print(f"| {c} | {med:.1f} | {mean:.1f} | {p95:.1f} | {mx:.1f} | {n} |")
print("\nOverhead over plain python3 (medians): " +
      ", ".join(f"{c} {med - t[0][1]:.1f} ms" for c, med, *_ in t[1:]))
rep = open(os.path.join(out, "repeat.txt")).read().strip()
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
print(f"\nA class of 200 submissions (`grader batch`, {cores} workers, cold cache), against plain `PY -E -s` "
      f"running each once, one after the other, before and after the batch (their mean is the reference):\n\n"
      f"| interpreter | plain before, after (s) | plain per core (s) | `grader batch` (s) | x plain per core "
      f"(target 2) |\n|---|---|---|---|---|")
for r in batches:
    per_core = r["plain"] / r["cores"]
    print(f"| {r['version']} (`{label(r['python'])}`) | {r['plain_before']:.2f}, {r['plain_after']:.2f} | "
          f"{per_core:.2f} | {r['w200']:.2f} | {r['w200'] / per_core:.2f}"
          f"{'' if r['rc200'] == 0 else ' (exit status %d)' % r['rc200']}"
          f"{' (%d of 200 rows are errors: not comparable)' % r['errors'] if r['errors'] else ''} |")
r = batches[0]
print(f"\nThe batch process's own peak memory (VmHWM, the runs not included), with {r['version']}: "
      f"{int(r['m50']) // 1024} MiB for 50 submissions, {int(r['m200']) // 1024} MiB for 200.")
print("\nCPU per submission (ms), where the target leaves at most 2 plain runs (every core busy all the time):\n\n"
      "| interpreter | a plain run (`-E -s`) | the batch, in all | unprobed run | instrumented run | the rest (the "
      "grader, the sandbox's set-up, the baseline once) | in plain runs |\n|---|---|---|---|---|---|---|")
for r in batches:
    print(f"| {r['version']} (`{label(r['python'])}`) | {r['c_plain']:.1f} | {r['c_batch']:.1f} | "
          f"{r['c_after']:.1f} | {r['c_probe']:.1f} | {r['c_batch'] - r['c_after'] - r['c_probe']:.1f} | "
          f"{r['c_batch'] / r['c_plain']:.2f} |")
PY
rm -rf "$out"/trash-*
