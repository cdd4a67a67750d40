#!/bin/sh
# scripts/format.sh [FILE...]: formats the C sources in place with the
# checked-in .clang-format (default: every *.c and *.h that scripts/lint.sh
# checks).  Needs Debian's clang-format (14).
#
#   CLANG_FORMAT=...   the tool's name
set -u
cd "$(dirname "$0")/.." || exit 2
CLANG_FORMAT=${CLANG_FORMAT:-clang-format}
command -v "$CLANG_FORMAT" >/dev/null 2>&1 || {
    echo "format: $CLANG_FORMAT not found (apt-get install clang-format)" >&2
    exit 2
}
if [ $# -eq 0 ]; then
    set -- grader/*.[ch] sandbox/*.[ch] tests/unit/*.[ch] tests/fuzz/*.[ch]
fi
exec "$CLANG_FORMAT" -i --style=file "$@"
