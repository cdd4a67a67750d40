#!/bin/sh
# Verdict tests: grade every submission in tests/verdicts/cases/ with the real
# grader on every CPython found, and compare each criterion's points with the
# case's expect.json.
#
#     sh tests/verdicts/run.sh [GRADER]        (default: build/grader of this checkout)
#
# Output is TAP: "1..N", one "ok N - CASE VERSION" / "not ok N - CASE VERSION"
# per case and interpreter (with "# " lines naming each criterion that
# differs: expected, got, and the grader's feedback), one "ok N - CASE same
# verdict on every interpreter" per case, then exactly
# "verdicts: P passed, F failed".  Exit status 1 when anything failed, 2 on
# bad usage.
#
# Environment:
#   GRADER_VERDICT_PYTHONS   interpreters to use, separated by spaces (default:
#                            the six pyenv CPythons 3.8-3.13 and Debian's /usr/bin/python3);
#                            missing ones are reported "# SKIP"
#   TEST_FILTER              only the cases whose name contains this string
#   GRADER_VERDICT_JOBS      gradings at once (default 3)
#   GRADER_VERDICT_TIMEOUT   seconds one grading may take before it is killed
#                            (default 120)
#
# The harness is suite.py (Python standard library only), run with the
# system's Python as a test tool; the grader itself is C.
here=$(cd "$(dirname "$0")" && pwd)

if [ $# -gt 1 ]; then
    echo "usage: sh tests/verdicts/run.sh [GRADER]" >&2
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
    echo "1..1"
    echo "not ok 1 - harness: no python3 to run tests/verdicts/suite.py"
    echo "verdicts: 0 passed, 1 failed"
    exit 1
fi

exec "$py" -B "$here/suite.py" "$@"
