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
PY
