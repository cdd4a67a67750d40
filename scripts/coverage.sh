#!/bin/sh
# make coverage: line and branch coverage of grader/ and sandbox/ over the
# unit tests and the end-to-end suites (integration, git, batch), measured
# with gcov (gcc --coverage) and summarised by gcovr.  Writes
# build/coverage.txt (per file) and prints the totals.
#
# The sandbox's init and payload are copies of the grader that end in
# execve or _exit, so gcov never writes their counts: the lines that run
# only there (most of sandbox/child.c and sandbox/root.c) count as not
# covered, although every test run executes them.
set -eu
# A folder beside build/ (not inside it), so that the coverage build finds
# the rubrics and the runtime the way build/grader does: one level up.
cov=build-cov
rm -rf "$cov"
mkdir -p "$cov/obj" "$cov/tests" build
flags="-std=c11 -D_GNU_SOURCE -DGRADER_VERSION=\"$(sed -n 's/^VERSION *:= *//p' Makefile)\" -Igrader -Isandbox -O0 -g --coverage -pthread"
pkgs="libgit2 libpcre2-8 yaml-0.1 libseccomp jansson libcrypto zlib libzip"
cflags=$(pkg-config --cflags $pkgs)
libs="$(pkg-config --libs $pkgs) -lm"
objs=""
for src in grader/*.c sandbox/*.c; do
    [ "$src" = grader/main.c ] && continue
    o=$cov/obj/$(echo "$src" | tr / _ | sed 's/\.c$/.o/')
    cc $flags $cflags -c -o "$o" "$src"
    objs="$objs $o"
done
ar rcs "$cov/libgrader.a" $objs
cc $flags $cflags -o "$cov/grader" grader/main.c "$cov/libgrader.a" $libs
for t in tests/unit/test_*.c; do
    n=$(basename "$t" .c)
    cc $flags $cflags $(pkg-config --cflags check) -Itests/unit -o "$cov/tests/$n" "$t" "$cov/libgrader.a" $libs $(pkg-config --libs check)
done
status=0
for t in tests/unit/test_*.c; do
    b=$cov/tests/$(basename "$t" .c)
    "$b" >/dev/null 2>&1 || { echo "coverage: $b failed" >&2; status=1; }
done
sh tests/integration/run.sh "$cov/grader" "$cov/grader" >"$cov/integration.log" 2>&1 || true
sh tests/git/run.sh "$cov/grader" >"$cov/git.log" 2>&1 || true
sh tests/batch/run.sh "$cov/grader" >"$cov/batch.log" 2>&1 || true
tail -n 1 "$cov/integration.log" "$cov/git.log" "$cov/batch.log" | grep -E "passed" || true
gcovr -r . --object-directory "$cov/obj" --filter 'grader/' --filter 'sandbox/' --exclude-throw-branches \
    --txt build/coverage.txt >/dev/null
gcovr -r . --object-directory "$cov/obj" --filter 'grader/' --filter 'sandbox/' --exclude-throw-branches \
    --branches --txt build/coverage-branches.txt >/dev/null
echo "coverage: lines per file (build/coverage.txt):"
sed -n '/^-*$/,$p' build/coverage.txt | grep -E '^(grader|sandbox)/|^TOTAL'
echo "coverage: branches: $(grep '^TOTAL' build/coverage-branches.txt)"
exit $status
