#!/bin/sh
# End-to-end tests of grading a whole class at once:
#
#     sh tests/batch/run.sh build/grader
#
# The tests build classes of submissions (copies of submissions/*, each made
# distinct by a comment line, plus ungradeable ones: no script, an empty or
# binary file, a symbolic link, a busy loop, an empty git repository) in a
# temporary directory that is removed at the end, and drive `grader batch`
# on them: ids, one row per submission whatever happens to it, the reports
# (results.jsonl, grades.csv, canvas.csv, junit.xml, report.html, the
# per-submission Gradescope, PrairieLearn and feedback files), the cache and
# re-runs, SIGKILL and SIGINT in the middle of a batch then --resume,
# --shard and `grader merge`, `grader grade --format gradescope|prairielearn`
# and `grader export gradescope` run the way Gradescope runs it.
# The harness is suite.py, run with the system's Python as a test tool only;
# the grader itself is C.
#
# Output: one line per test ("ok - NAME", "not ok - NAME: WHY",
# "skip - NAME: WHY"), then exactly "batch: N passed, M failed, K skipped".
# Exit status 1 when anything failed, 2 on bad usage.  BATCH_SUITE_FILTER (a
# regular expression) runs only the tests whose names match; BATCH_SUITE_JOBS
# (default 2) is how many grader commands run at once (each batch itself
# uses -j 2); BATCH_SUITE_TIMEOUT (default 120) the seconds one grader call
# may take before it is killed (after three such kills the remaining
# commands are not started).
here=$(cd "$(dirname "$0")" && pwd)

if [ $# -ne 1 ]; then
    echo "usage: sh tests/batch/run.sh GRADER" >&2
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
    echo "not ok - harness: no python3 to run tests/batch/suite.py"
    echo "batch: 0 passed, 1 failed, 0 skipped"
    exit 1
fi

exec "$py" -B "$here/suite.py" "$1"
