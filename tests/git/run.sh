#!/bin/sh
# End-to-end tests of grading from git repositories, `grader check` and the
# git hooks:
#
#     sh tests/git/run.sh build/grader
#
# The tests build real repositories with the real `git` (fixed names, emails
# and dates, an isolated HOME and no global or system git configuration) in
# a temporary directory that is removed at the end, and drive the grader on
# them: commit selection (--rev, --deadline, --worktree, --index, --before
# first), damaged and hostile repositories, another user's repository,
# `grader check` and hidden criteria, `grader hook install|uninstall` with
# real `git commit` and `git push`, and the project's .pre-commit-hooks.yaml.
# The harness is suite.py, run with the system's Python as a test tool only;
# the grader itself is C.
#
# Output: one line per test ("ok - NAME", "not ok - NAME: WHY",
# "skip - NAME: WHY"), then exactly "git: N passed, M failed, K skipped".
# Exit status 1 when anything failed, 2 on bad usage.  GIT_SUITE_FILTER (a
# regular expression) runs only the tests whose names match; GIT_SUITE_JOBS
# (default 2) is how many gradings run at once; GIT_SUITE_TIMEOUT (default 60)
# the seconds one grader call may take before it is killed (after three such
# kills the remaining commands are not started).
here=$(cd "$(dirname "$0")" && pwd)

if [ $# -ne 1 ]; then
    echo "usage: sh tests/git/run.sh GRADER" >&2
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
    echo "not ok - harness: no python3 to run tests/git/suite.py"
    echo "git: 0 passed, 1 failed, 0 skipped"
    exit 1
fi

exec "$py" -B "$here/suite.py" "$1"
