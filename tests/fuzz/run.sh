#!/bin/sh
# tests/fuzz/run.sh [SECONDS]: build every libFuzzer target into build/fuzz/,
# run each for SECONDS (default 10) from a scratch copy of its seed corpus,
# then replay every saved regression input once.
#
#   FUZZ_TARGETS="rubric channel"  only these targets (default: all)
#   FUZZ_JOBS=N                    run N targets at once (default 1)
#   FUZZ_BUILD_ONLY=1              build, run nothing
#   CC_FUZZ=clang-14               the compiler (default: clang)
#
# Needs Debian's clang and libclang-rt-14-dev.  The checked-in corpora in
# tests/fuzz/corpus/ are never modified: what a run discovers stays in
# build/fuzz/corpus/<target>/ until the next run; crashes, leaks and
# timeouts are saved in build/fuzz/artifacts/<target>/.  Output:
#   ok - <target>: N runs, no crash         (or not ok - ..., with the log)
#   ok - <target> regressions: K inputs
#   fuzz: N passed, M failed                (exit status 1 when M > 0)
set -u
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
SECONDS_EACH=${1:-10}
case $SECONDS_EACH in
    '' | *[!0-9]*) echo "usage: tests/fuzz/run.sh [SECONDS]" >&2; exit 2 ;;
esac
ALL_TARGETS="rubric tracemalloc channel submission result_json"
TARGETS=${FUZZ_TARGETS:-$ALL_TARGETS}
JOBS=${FUZZ_JOBS:-1}
CC_FUZZ=${CC_FUZZ:-clang}
OUT=build/fuzz
# libgit2's own leak on git_revparse_single (L1, lsan.supp) is excused,
# nothing else.
# libgit2 is not built with frame pointers: the slow unwinder is needed to
# see its frames in a leak's stack at all.  Only the target that reaches
# libgit2 gets it (slow_unwind): it makes every allocation unwind the whole
# stack, which made channel 200 and tracemalloc 12 times slower
# (jansson recursing into a deeply nested record costs most).
export LSAN_OPTIONS="suppressions=$(pwd)/tests/fuzz/lsan.supp:print_suppressions=0${LSAN_OPTIONS:+:$LSAN_OPTIONS}"
slow_unwind() {
    case $1 in
        submission) echo "fast_unwind_on_malloc=0:" ;;
        *) echo "" ;;
    esac
}
FUZZ_DIR=tests/fuzz

# Per-target input limits: rubrics and submissions are structured and
# small; channel records and program output are longer.
max_len() {
    case $1 in
        rubric) echo 8192 ;;
        tracemalloc) echo 16384 ;;
        channel) echo 16384 ;;
        submission) echo 4096 ;;
        result_json) echo 4096 ;;
        *) echo 4096 ;;
    esac
}

command -v "$CC_FUZZ" >/dev/null 2>&1 || {
    echo "not ok - build: $CC_FUZZ not found (apt-get install clang libclang-rt-14-dev)"
    echo "fuzz: 0 passed, 1 failed"
    exit 1
}

PKGS="libgit2 libpcre2-8 yaml-0.1 libseccomp jansson libcrypto zlib libzip"
VERSION=$(sed -n 's/^VERSION *:= *//p' Makefile)
PKG_CFLAGS=$(pkg-config --cflags $PKGS) || exit 1
PKG_LIBS="$(pkg-config --libs $PKGS) -lm"
SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
CFLAGS_COMMON="-std=c11 -pthread -g -O1 -D_GNU_SOURCE -Igrader -Isandbox $PKG_CFLAGS $(sh scripts/sonames.sh)"
WARN="-Wall -Wextra -Wshadow -Wstrict-prototypes -Wvla"

# cc ARGS...: the compiler with the common flags (the version macro is one
# word with quotes in it, so it is never split).
cc() {
    # shellcheck disable=SC2086
    $CC_FUZZ $CFLAGS_COMMON "-DGRADER_VERSION=\"$VERSION\"" $WARN $SAN "$@"
}

mkdir -p $OUT/obj/grader $OUT/obj/sandbox $OUT/logs $OUT/tmp || exit 1

build_failed=0
# The library: every grader/ and sandbox/ source but main.c, rebuilt when
# it or any header is newer than its object.
newest_header=$(ls -t grader/*.h sandbox/*.h | head -n 1)
objs=""
for src in grader/*.c sandbox/*.c; do
    [ "$src" = grader/main.c ] && continue
    obj=$OUT/obj/${src%.c}.o
    objs="$objs $obj"
    if [ ! -f "$obj" ] || [ "$src" -nt "$obj" ] || [ "$newest_header" -nt "$obj" ]; then
        echo "$src"
    fi
done > $OUT/stale.txt
if [ -s $OUT/stale.txt ]; then
    echo "# building the library with $CC_FUZZ (fuzzer-no-link, ASan, UBSan)"
    n=0
    while read -r src; do
        obj=$OUT/obj/${src%.c}.o
        rm -f "$obj"
        cc -fsanitize=fuzzer-no-link -c -o "$obj" "$src" 2>"$obj.log" &
        n=$((n + 1))
        [ $((n % 2)) = 0 ] && wait
    done < $OUT/stale.txt
    wait
    while read -r src; do
        obj=$OUT/obj/${src%.c}.o
        [ -f "$obj" ] || { cat "$obj.log"; build_failed=1; }
    done < $OUT/stale.txt
fi
if [ $build_failed = 0 ]; then
    rm -f $OUT/libgrader-fuzz.a
    # shellcheck disable=SC2086
    ar rcs $OUT/libgrader-fuzz.a $objs || build_failed=1
fi

passed=0
failed=0
ok() { echo "ok - $*"; passed=$((passed + 1)); }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }

built=""
for t in $TARGETS; do
    src=$FUZZ_DIR/fuzz_$t.c
    bin=$OUT/fuzz_$t
    if [ ! -f "$src" ]; then
        not_ok "$t: no $src"
        continue
    fi
    if [ $build_failed = 1 ]; then
        not_ok "$t: the library did not build"
        continue
    fi
    # shellcheck disable=SC2086
    if ! cc -Werror -fsanitize=fuzzer -I$FUZZ_DIR -o "$bin" "$src" $OUT/libgrader-fuzz.a $PKG_LIBS \
            2>$OUT/logs/build-$t.log; then
        cat $OUT/logs/build-$t.log
        not_ok "$t: does not build"
        continue
    fi
    built="$built $t"
done
[ "${FUZZ_BUILD_ONLY:-0}" = 1 ] && { echo "fuzz: built$built"; [ $failed = 0 ]; exit $?; }

# ASan's leak checker and UBSan stop at the first report; the targets'
# own expectations abort().
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:allocator_may_return_null=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
export TMPDIR="$ROOT/$OUT/tmp"

# One target's fuzzing run; writes $OUT/logs/<t>.status ("0" or the exit code).
fuzz_one() {
    t=$1
    scratch=$OUT/corpus/$t
    arts=$OUT/artifacts/$t
    rm -rf "$scratch"
    mkdir -p "$scratch" "$arts"
    [ -d $FUZZ_DIR/corpus/$t ] && cp -R $FUZZ_DIR/corpus/$t/. "$scratch/"
    dict=""
    [ -f $FUZZ_DIR/dict/$t.dict ] && dict="-dict=$FUZZ_DIR/dict/$t.dict"
    # shellcheck disable=SC2086
    ASAN_OPTIONS="$(slow_unwind $t)$ASAN_OPTIONS" ./$OUT/fuzz_$t -max_total_time="$SECONDS_EACH" -max_len="$(max_len $t)" -timeout=10 -detect_leaks=1 \
        -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$arts/" $dict "$scratch" \
        >$OUT/logs/$t.log 2>&1
    echo $? > $OUT/logs/$t.status
}

report_one() {
    t=$1
    log=$OUT/logs/$t.log
    status=$(cat $OUT/logs/$t.status 2>/dev/null || echo 99)
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -E '^#[0-9]+' "$log" | tail -n 1 | sed -n 's/.*\(cov: [0-9]*\).*\(ft: [0-9]*\).*/\1 \2/p')
    if [ "$status" = 0 ]; then
        ok "$t: ${runs:-?} runs, no crash (${cov:-no coverage line})"
    else
        not_ok "$t: exit status $status after ${runs:-?} runs; log: $log, inputs: $OUT/artifacts/$t/"
        grep -E 'ERROR: |SUMMARY: |fuzz expectation failed|runtime error|Test unit written' "$log" | head -n 8 |
            sed 's/^/#   /'
    fi
}

# Fuzz, JOBS targets at a time.
set -- $built
while [ $# -gt 0 ]; do
    batch=""
    i=0
    while [ $# -gt 0 ] && [ $i -lt "$JOBS" ]; do
        batch="$batch $1"
        shift
        i=$((i + 1))
    done
    for t in $batch; do fuzz_one "$t" & done
    wait
    for t in $batch; do report_one "$t"; done
done

# Regressions: every saved input once, all of them must pass, with every
# check strict (FUZZ_KNOWN only relaxes the exploratory runs).
unset FUZZ_KNOWN
for t in $built; do
    dir=$FUZZ_DIR/regressions/$t
    [ -d "$dir" ] || continue
    n=$(find "$dir" -type f ! -name '*.md' | wc -l)
    [ "$n" -gt 0 ] || continue
    log=$OUT/logs/$t.regressions.log
    : > "$log"
    bad=""
    for f in $(find "$dir" -type f ! -name '*.md' | sort); do
        ASAN_OPTIONS="$(slow_unwind $t)$ASAN_OPTIONS" ./$OUT/fuzz_$t -runs=1 -timeout=10 -detect_leaks=1 -rss_limit_mb=2560 "$f" >>"$log" 2>&1 ||
            bad="$bad $(basename "$f")"
    done
    if [ -z "$bad" ]; then
        ok "$t regressions: $n inputs"
    else
        not_ok "$t regressions: failing:$bad; log: $log"
        grep -E 'fuzz expectation failed|ERROR: AddressSanitizer|ERROR: LeakSanitizer|runtime error|ERROR: libFuzzer: timeout' "$log" |
            head -n 8 | sed 's/^/#   /'
    fi
done

rm -rf "$OUT/tmp"/fuzz-* 2>/dev/null
echo "fuzz: $passed passed, $failed failed"
[ $failed = 0 ]
