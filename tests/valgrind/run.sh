#!/bin/sh
# The end-to-end suites with the grader under valgrind's memcheck:
#
#     sh tests/valgrind/run.sh build/grader
#
# (`make valgrind` calls it that way.)  Each suite is given a wrapper as its
# GRADER: valgrind around the real binary (tests/valgrind/grader-vg), one
# log per grader invocation in build/valgrind/logs/.  Then
# tests/valgrind/summary.py reads every log.  The run fails when a test
# fails, or when a log shows a memcheck error, or a leak or a descriptor
# left open by the grader (summary.py says what is counted where).
#
# Suites, in this order (VALGRIND_SUITES="integration git" picks some):
#   integration  tests/integration: every subcommand's CLI, grade on every
#                sample and interpreter, hostile submissions, degraded modes
#   git          tests/git: git submissions, check, hook install/uninstall
#   batch        tests/batch: batch, merge, export gradescope
#   hostile      tests/hostile, every case: grader sandbox in the fallback
#                (no namespaces, no cgroups) against hostile payloads
# What each leaves out, and why, is EXCLUDED_* below; tests/valgrind/README.md
# has the whole story (what valgrind 3.19 cannot do, timings).
#
#   VALGRIND_OUT=DIR        logs and the wrapper (default build/valgrind; emptied first)
#   VALGRIND_FILTER=REGEX   only the tests (hostile: the cases) whose names match, in every suite
#   INTEGRATION_JOBS, GIT_SUITE_JOBS, BATCH_SUITE_JOBS   as for the suites (default 2)
#
# Output: every suite's own lines, "# <suite>: N s", then the summary's,
# ending in "valgrind: N invocations, M with findings".  Exit status 1 when
# a suite or the summary found something, 2 on bad usage.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)

if [ $# -ne 1 ]; then
    echo "usage: sh tests/valgrind/run.sh GRADER" >&2
    exit 2
fi
case $1 in
    /*) bin=$1 ;;
    *) bin=$(pwd)/$1 ;;
esac
if [ ! -x "$bin" ] || [ -d "$bin" ]; then
    echo "not ok - $bin is not an executable (did the build fail?)"
    echo "valgrind: 0 invocations, 0 with findings"
    exit 1
fi
for tool in valgrind python3; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "not ok - $tool not found (apt-get install valgrind python3)"
        echo "valgrind: 0 invocations, 0 with findings"
        exit 1
    fi
done

# Left out, each with its reason (a regular expression over test names,
# matched from the start):
#
# integration:
#  - "ASan build ...": they run the suite's GRADER_SAN, the ASan+UBSan build,
#    which cannot run under valgrind; `make integration` runs them.
#  - "make install ...": it grades with the installed copy, which it runs
#    itself, never through GRADER: nothing of it would be under valgrind.
EXCLUDED_INTEGRATION='ASan build|make install'
# batch:
#  - "SIGKILL in the middle of a batch ...": it kills the grader on purpose,
#    so valgrind never writes its final report and the log cannot be judged
#    (no leak check, no error count).  --resume's reading of a cut
#    results.jsonl still runs ("--resume drops a half-written last line"),
#    and so does an interrupted batch (the SIGINT test).
EXCLUDED_BATCH='SIGKILL in the middle of a batch'
# git: nothing.  (The hooks git runs start the real grader, not this
# wrapper: `hook install` writes /proc/self/exe's path, which valgrind
# reports as the real binary.  So `hook install` and `uninstall` run under
# valgrind, `hook run` runs natively; `check`, which `hook run` calls,
# runs under valgrind in the check tests.)
EXCLUDED_GIT=
# hostile: every case by name, which leaves out the driver's "eight at
# once" test: it expects two box directories to exist 0.5 s after starting
# eight gradings, and valgrind's start-up alone takes about that long.
# The "[full]" cases skip themselves: under valgrind 3.19 seccomp and
# Landlock answer ENOSYS, so the isolation level is never full.
HOSTILE_CASES=$(cd "$root/tests/hostile/cases" && for f in *.py; do printf '%s\n' "${f%.py}"; done |
    grep -E "${VALGRIND_FILTER:-.}" | tr '\n' ' ')

# A suite's filter: the tests EXCLUDED does not match, and with
# VALGRIND_FILTER only those whose names also match it.
only() {
    [ -n "$1" ] && printf '^(?!(?:%s))' "$1"
    [ -n "${VALGRIND_FILTER:-}" ] && printf '(?=.*(?:%s))' "$VALGRIND_FILTER"
    return 0
}

out=${VALGRIND_OUT:-$root/build/valgrind}
logdir=$out/logs
rm -rf "$out"
mkdir -p "$logdir" || exit 2
# tests/git runs `grader check` as uid 65534 too: its valgrind writes a
# log here as well.
chmod 1777 "$logdir"

# The wrapper the suites run.  Settings are written into it rather than
# exported: suite.py drops GRADER_* variables and tests/hostile runs the
# grader with an environment of its own.
case "$bin$logdir$here" in
    *"'"*) echo "run.sh: paths with a single quote are not supported" >&2; exit 2 ;;
esac
wrapper=$out/grader
cat > "$wrapper" <<EOF
#!/bin/sh
# Written by tests/valgrind/run.sh: the grader under memcheck.
VG_GRADER_BINARY='$bin'
VG_GRADER_LOGDIR='$logdir'
VG_GRADER_SUPP='$here/grader.supp'
export VG_GRADER_BINARY VG_GRADER_LOGDIR VG_GRADER_SUPP
exec /bin/sh '$here/grader-vg' "\$@"
EOF
chmod 755 "$wrapper"

status=0
for suite in ${VALGRIND_SUITES:-integration git batch hostile}; do
    start=$(date +%s)
    case $suite in
        integration)
            # GRADER_SAN is never run: every test that runs it is excluded.
            INTEGRATION_FILTER=$(only "$EXCLUDED_INTEGRATION") \
                sh "$root/tests/integration/run.sh" "$wrapper" /nonexistent/grader-san
            ;;
        git)
            GIT_SUITE_FILTER=$(only "$EXCLUDED_GIT") GIT_SUITE_TIMEOUT=${GIT_SUITE_TIMEOUT:-300} \
                sh "$root/tests/git/run.sh" "$wrapper"
            ;;
        batch)
            BATCH_SUITE_FILTER=$(only "$EXCLUDED_BATCH") BATCH_SUITE_TIMEOUT=${BATCH_SUITE_TIMEOUT:-600} \
                sh "$root/tests/batch/run.sh" "$wrapper"
            ;;
        hostile)
            if [ -z "$HOSTILE_CASES" ]; then
                echo "# hostile: no case matches VALGRIND_FILTER"
                continue
            fi
            # shellcheck disable=SC2086
            sh "$root/tests/hostile/run.sh" "$wrapper" $HOSTILE_CASES
            ;;
        *)
            echo "usage: VALGRIND_SUITES holds $suite; known: integration git batch hostile" >&2
            exit 2
            ;;
    esac
    rc=$?
    [ $rc -ne 0 ] && status=1
    echo "# $suite under valgrind: $(($(date +%s) - start)) s, exit $rc"
done

python3 -B "$here/summary.py" "$logdir" || status=1
echo "# logs: $logdir"
exit $status
