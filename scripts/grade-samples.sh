#!/bin/sh
# make grade: grade every sample submission with the default rubric and
# print each result.  Keeps going when one fails; exits non-zero if any
# grading did not produce a verdict.
grader=${1:-build/grader}
status=0
for dir in submissions/*/; do
    name=$(basename "$dir")
    echo "=== $name"
    "$grader" grade "$dir"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        echo "grader exited with status $rc for $name"
        status=1
    fi
    echo
done
exit $status
