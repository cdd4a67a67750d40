#!/bin/sh
# scripts/lint.sh [cppcheck] [tidy] [format]: static checks, all three by
# default.  Offline; needs Debian's cppcheck, clang-tidy and clang-format.
#
#   cppcheck  --enable=warning,style,performance,portability, with
#             .cppcheck-suppressions (false positives only, one reason each)
#   tidy      clang-tidy with .clang-tidy, every check an error
#   format    clang-format --dry-run --Werror with .clang-format
#
# Sources: grader/*.c sandbox/*.c tests/unit/*.c tests/fuzz/*.c and the
# headers they include (format: every *.c and *.h there).  The flags are the
# Makefile's, written to build/lint/compile_commands.json (not checked in).
# Findings print as file:line: message [check]; the exit status is 1 when
# there is any, 2 when a tool is missing.
#
#   LINT_JOBS=N       clang-tidy and cppcheck processes (default: nproc)
#   CLANG_TIDY=...    CLANG_FORMAT=...   CPPCHECK=...   the tools' names
set -u
cd "$(dirname "$0")/.." || exit 2

CLANG_TIDY=${CLANG_TIDY:-clang-tidy}
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
CPPCHECK=${CPPCHECK:-cppcheck}
JOBS=${LINT_JOBS:-$(nproc 2>/dev/null || echo 2)}
OUT=build/lint
STEPS=${*:-cppcheck tidy format}

for step in $STEPS; do
    case $step in
        cppcheck) tool=$CPPCHECK ;;
        tidy) tool=$CLANG_TIDY ;;
        format) tool=$CLANG_FORMAT ;;
        *) echo "usage: scripts/lint.sh [cppcheck] [tidy] [format]" >&2; exit 2 ;;
    esac
    command -v "$tool" >/dev/null 2>&1 || {
        echo "lint: $tool not found (apt-get install cppcheck clang-tidy clang-format)" >&2
        exit 2
    }
done

SOURCES=$(ls grader/*.c sandbox/*.c tests/unit/*.c tests/fuzz/*.c)
FORMAT_FILES=$(ls grader/*.[ch] sandbox/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch])
mkdir -p $OUT || exit 2

# json_str S: S as a JSON string.
json_str() {
    printf '"%s"' "$(printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g')"
}

# The compilation database: the Makefile's CPPFLAGS and CFLAGS (warnings
# included, so clang-tidy reports what the compiler would), its pkg-config
# packages, and the sonames grader/lazylib.c is built with.  Arguments, not
# a command line, so GRADER_VERSION's quotes survive.
write_compile_db() {
    version=$(sed -n 's/^VERSION *:= *//p' Makefile)
    pkgs=$(sed -n 's/^PKGS *:= *//p' Makefile)
    pkg_cflags=$(pkg-config --cflags $pkgs check) || return 1
    sonames=
    if [ -f scripts/sonames.sh ]; then
        sonames=$(sh scripts/sonames.sh) || return 1
    fi
    dir=$(pwd)
    {
        echo "["
        sep=" "
        for f in $SOURCES; do
            extra=
            case $f in
                tests/unit/*) extra=-Itests/unit ;;
                tests/fuzz/*) extra=-Itests/fuzz ;;
            esac
            # shellcheck disable=SC2086
            set -- cc -D_GNU_SOURCE "-DGRADER_VERSION=\"$version\"" -Igrader -Isandbox $extra \
                -std=c11 -pthread -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 -Wvla $pkg_cflags
            # Split as the Makefile's backquotes split them: the quotes in
            # -DNAME="value" stay, and make the value a string literal.
            # shellcheck disable=SC2086
            set -- "$@" $sonames -c "$f"
            printf '%s{"directory": %s, "file": %s, "arguments": [' "$sep" "$(json_str "$dir")" "$(json_str "$f")"
            asep=
            for a in "$@"; do
                printf '%s%s' "$asep" "$(json_str "$a")"
                asep=", "
            done
            printf ']}\n'
            sep=","
        done
        echo "]"
    } > $OUT/compile_commands.json.tmp && mv $OUT/compile_commands.json.tmp $OUT/compile_commands.json &&
    # cppcheck drops the quotes of -DNAME="value" unless they are escaped
    # (\" in the argument): its own copy has them so, and defines
    # __CPPCHECK__ (grader/lazylib.h).
    sed 's/\\"/\\\\\\"/g; s/"arguments": \["cc", /&"-D__CPPCHECK__", /' $OUT/compile_commands.json > $OUT/cppcheck.json
}

# Findings go to $OUT/<step>.txt as file:line: message [check].
run_cppcheck() {
    # The database's defines are the only configuration checked (-D alone
    # would stop cppcheck from trying every #ifdef combination, which the
    # project does not build).
    # shellcheck disable=SC2086
    "$CPPCHECK" --project=$OUT/cppcheck.json --std=c11 --library=posix --library=.cppcheck-jansson.cfg --library=.cppcheck-check.cfg \
        --enable=warning,style,performance,portability --inline-suppr \
        --suppressions-list=.cppcheck-suppressions --error-exitcode=1 \
        --cppcheck-build-dir=$OUT/cppcheck -j "$JOBS" --quiet \
        --template='{file}:{line}: {severity}: {message} [{id}]' \
        2>$OUT/cppcheck.raw >$OUT/cppcheck.out
    rc=$?
    grep -v '^$' $OUT/cppcheck.raw | sed "s|^$(pwd)/||" | sort -u > $OUT/cppcheck.txt
    if [ $rc -ne 0 ] && [ ! -s $OUT/cppcheck.txt ]; then
        # cppcheck itself failed (a bad suppression, say): say why.
        cat $OUT/cppcheck.out > $OUT/cppcheck.txt
    fi
    [ $rc -eq 0 ] && [ ! -s $OUT/cppcheck.txt ]
}

run_tidy() {
    # One process per file; a header's findings appear once per file that
    # includes it, so they are sorted and deduplicated.
    # shellcheck disable=SC2086
    printf '%s\n' $SOURCES | xargs -P "$JOBS" -n 1 "$CLANG_TIDY" -p $OUT --quiet > $OUT/tidy.raw 2>$OUT/tidy.err
    rc=$?
    sed -n "s#^$(pwd)/##; s#^\([^ :]*:[0-9]*\):[0-9]*: \(warning\|error\): \(.*\)#\1: \3#p" $OUT/tidy.raw |
        sed 's/,-warnings-as-errors\]$/]/' | sort -u > $OUT/tidy.txt
    if [ $rc -ne 0 ] && [ ! -s $OUT/tidy.txt ]; then
        # clang-tidy failed without a finding (a compile error prints as
        # one): say why.
        cat $OUT/tidy.err > $OUT/tidy.txt
    fi
    [ $rc -eq 0 ] && [ ! -s $OUT/tidy.txt ]
}

run_format() {
    # shellcheck disable=SC2086
    "$CLANG_FORMAT" --dry-run --Werror --style=file $FORMAT_FILES 2>&1 |
        sed -n 's|^\([^ :]*:[0-9]*\):[0-9]*: error: code should be clang-formatted.*|\1: not formatted as .clang-format says (scripts/format.sh fixes it) [clang-format]|p' |
        sort -u > $OUT/format.txt
    [ ! -s $OUT/format.txt ]
}

write_compile_db || { echo "lint: cannot write $OUT/compile_commands.json" >&2; exit 2; }
mkdir -p $OUT/cppcheck
failed=0
summary=
for step in $STEPS; do
    if "run_$step"; then
        summary="$summary $step: ok;"
    else
        n=$(wc -l < $OUT/$step.txt)
        cat $OUT/$step.txt
        summary="$summary $step: $n finding(s);"
        failed=1
    fi
done
echo "lint:${summary%;}"
exit $failed
