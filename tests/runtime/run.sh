#!/bin/sh
# Runtime tests of the Python probe (sandbox/runtime/grader_probe.py).
#
# Runs tests/runtime/driver.py under every interpreter below that exists on
# this machine (each interpreter runs the driver, the probe and the plain
# scripts it compares against), then prints exactly one final line:
#     runtime: N passed, M failed
# and exits non-zero when a check failed or no interpreter was found.
#
# Override the list with GRADER_RUNTIME_PYTHONS="path1 path2 ...".
# Extra arguments are passed to the driver (names of variants to run).

cd "$(dirname "$0")/../.." || exit 2

PYTHONS=${GRADER_RUNTIME_PYTHONS:-"
/root/.pyenv/versions/3.8.18/bin/python3
/root/.pyenv/versions/3.9.18/bin/python3
/root/.pyenv/versions/3.10.13/bin/python3
/root/.pyenv/versions/3.11.7/bin/python3
/root/.pyenv/versions/3.12.1/bin/python3
/root/.pyenv/versions/3.13.0/bin/python3
"}

passed=0
failed=0
ran=0
skipped=""
log=$(mktemp "${TMPDIR:-/tmp}/grader-runtime.XXXXXX") || exit 2
trap 'rm -f "$log"' EXIT INT TERM

for py in $PYTHONS; do
    if [ ! -x "$py" ]; then
        echo "SKIP $py: not installed"
        skipped="$skipped $py"
        continue
    fi
    echo "== $py"
    "$py" -E -s -B tests/runtime/driver.py "$@" >"$log" 2>&1
    status=$?
    cat "$log"
    line=$(grep '^RESULT passed=' "$log" | tail -n 1)
    if [ -z "$line" ]; then
        echo "FAIL $py: the driver did not finish (exit status $status)"
        failed=$((failed + 1))
        continue
    fi
    p=$(echo "$line" | sed 's/^RESULT passed=\([0-9]*\) failed=\([0-9]*\)$/\1/')
    f=$(echo "$line" | sed 's/^RESULT passed=\([0-9]*\) failed=\([0-9]*\)$/\2/')
    passed=$((passed + p))
    failed=$((failed + f))
    ran=$((ran + 1))
done

if [ -n "$skipped" ]; then
    echo "skipped (not installed):$skipped"
fi
if [ "$ran" -eq 0 ]; then
    echo "no interpreter found"
    failed=$((failed + 1))
fi
echo "runtime: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
