#!/bin/sh
# Hostile payloads against the sandbox, in full and degraded mode:
#     sh tests/hostile/run.sh build/grader
# Prints "ok - ..." / "not ok - ..." / "skip - ..." per case and mode, then
# exactly "hostile: N passed, M failed, K skipped"; exit 1 on any failure.
# The driver is Python, used as a test tool only. See GAPS.md.
here=$(cd "$(dirname "$0")" && pwd)
if [ $# -lt 1 ]; then
    echo "usage: sh tests/hostile/run.sh GRADER [CASE...]" >&2
    exit 2
fi
exec python3 -B "$here/driver.py" "$@"
