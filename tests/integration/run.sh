#!/bin/sh
# Integration tests for the grader binary:
#
#     sh tests/integration/run.sh build/grader build/grader-san
#
# (`make integration` and `make test` call it that way.)  The tests drive the
# real binaries end to end: the CLI, every sample in submissions/ under every
# CPython 3.8-3.13 found, hostile submissions against a small-limit rubric,
# `make install`, and the ASan/UBSan build.  The harness is suite.py, run with
# the system's Python as a test tool only (JSON, /proc, a pty); the grader
# itself is C.
#
# Output: one line per test ("ok - NAME", "not ok - NAME: WHY", "skip - WHY"),
# then exactly "integration: N passed, M failed, K skipped".  Exit status 1
# when anything failed, 2 on bad usage.  INTEGRATION_JOBS (default 2) is how
# many gradings run at once; INTEGRATION_FILTER (a regular expression) runs
# only the tests whose names match.
here=$(cd "$(dirname "$0")" && pwd)

if [ $# -ne 2 ]; then
    echo "usage: sh tests/integration/run.sh GRADER GRADER_SAN" >&2
    exit 2
fi

py=
for cand in /usr/bin/python3 python3; do
    if command -v "$cand" >/dev/null 2>&1; then
        py=$cand
        break
    fi
done
if [ -z "$py" ]; then
    echo "not ok - harness: no python3 to run tests/integration/suite.py"
    echo "integration: 0 passed, 1 failed, 0 skipped"
    exit 1
fi

exec "$py" -B "$here/suite.py" "$1" "$2"
