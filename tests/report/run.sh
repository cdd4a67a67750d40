#!/bin/sh
# shellcheck disable=SC2317 # helpers called through check() look unreachable
# tests/report/run.sh BINDIR [SCREENSHOT.png]
#
# Renders the HTML report of the unit-test fixtures (tests/unit/data/report/)
# in headless Chromium and checks the page as a browser shows it: the
# summary numbers, one table row per submission, no reference to the
# network, the table readable with JavaScript off, and sorting by clicking
# headers (the page's #selftest clicks them and the DOM shows the order).
#
# BINDIR holds test_report (make build/tests/test_report); its test case
# "export" writes the report when REPORT_OUT_DIR is set.  With SCREENSHOT,
# a 1280x2000 screenshot is saved there too (docs/report.png).
#
# Needs Chromium (Debian: apt-get install chromium).  Prints "ok - ..." or
# "not ok - ..." per check and "report: N passed, M failed"; exit 1 on any
# failure.
set -u

bindir=${1:?usage: tests/report/run.sh BINDIR [SCREENSHOT.png]}
shot=${2:-}
passed=0
failed=0

ok() { passed=$((passed + 1)); echo "ok - $1"; }
notok() { failed=$((failed + 1)); echo "not ok - $1"; }
check() { # check DESCRIPTION COMMAND...
    d=$1
    shift
    if "$@"; then ok "$d"; else notok "$d"; fi
}
finish() {
    echo "report: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit $?
}

browser=${CHROMIUM:-}
if [ -z "$browser" ]; then
    for b in chromium chromium-browser google-chrome; do
        if command -v "$b" >/dev/null 2>&1; then browser=$b; break; fi
    done
fi
if [ -z "$browser" ]; then
    notok "Chromium is not installed (Debian: apt-get install -y chromium)"
    finish
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/report-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
out=$tmp/out

if ! CK_RUN_CASE=export REPORT_OUT_DIR=$out "$bindir/test_report" >"$tmp/export.log" 2>&1 ||
    [ ! -s "$out/report.html" ]; then
    cat "$tmp/export.log"
    notok "the fixtures' report is written ($bindir/test_report, case export)"
    finish
fi
ok "the fixtures' report is written"

# Chromium wants no sandbox as root and a profile of its own.  Its stderr
# (D-Bus and GPU noise, and with --enable-logging the page's console,
# where an uncaught exception shows) goes to chromium.log.
run_chromium() {
    timeout 90 "$browser" --headless --no-sandbox --disable-gpu --no-first-run --no-default-browser-check \
        --disable-extensions --disable-background-networking --enable-logging=stderr --v=0 \
        --user-data-dir="$tmp/profile" \
        "$@" 2>>"$tmp/chromium.log"
}

url=file://$out/report.html
run_chromium --dump-dom "$url" >"$tmp/dom.html"
run_chromium --dump-dom "$url#selftest" >"$tmp/selftest.html"
# JavaScript off: --dump-dom itself needs scripts, so Chromium parses a copy
# of the page with its one <script> element removed instead.
sed '/^<script>$/,/^<\/script>$/d' "$out/report.html" >"$out/report-nojs.html"
run_chromium --dump-dom "file://$out/report-nojs.html" >"$tmp/nojs.html"

check "Chromium loads the page" grep -q '<h1>Grading report</h1>' "$tmp/dom.html"

# The page itself: nothing fetched from anywhere.
if grep -Eq 'https?://|<link|@import|src=' "$out/report.html"; then
    notok "self-contained: the page refers to the network or another file"
else
    ok "self-contained: no http(s) reference, no <link>, @import or src="
fi

has() { grep -Fq -- "$2" "$1"; }
lacks() { ! grep -Fq -- "$2" "$1"; }
check "summary: 10 submissions" has "$tmp/dom.html" 'id="sum-submissions"><b>10</b>'
check "summary: 8 graded" has "$tmp/dom.html" 'id="sum-graded"><b>8</b>'
check "summary: 1 invalid" has "$tmp/dom.html" 'id="sum-invalid"><b>1</b>'
check "summary: 1 grader error" has "$tmp/dom.html" 'id="sum-error"><b>1</b>'
check "summary: mean 61.25" has "$tmp/dom.html" 'id="sum-mean"><b>61.25<small> / 100</small></b>'
check "summary: median 60.00" has "$tmp/dom.html" 'id="sum-median"><b>60.00<small> / 100</small></b>'
check "histogram: 3 in the top bin" has "$tmp/dom.html" 'data-bin="9" data-count="3"'
check "pass rate: no-cycle 4 of 8" has "$tmp/dom.html" 'data-criterion="no-cycle" data-passed="4" data-graded="8"'

ids="canonical-fix crashing-fix git-late git-on-time grader-error invalid partial-fix-del-player proxy-fix syntax-error unfixed"
# The rows' order as the DOM holds them: the <tr id="s-..."> of the table.
rows() { grep -o '<tr id="s-[^"]*"' "$1" | sed 's/<tr id="s-//; s/"$//' | tr '\n' ' ' | sed 's/ $//'; }
check "table: one row per submission, in id order" test "$(rows "$tmp/dom.html")" = "$ids"
check "table: the script made the headers buttons" test "$(grep -o '<button type="button">' "$tmp/dom.html" | wc -l)" -eq 12
check "without JavaScript: the script is gone" lacks "$out/report-nojs.html" "<script"
check "without JavaScript: every row, in id order" test "$(rows "$tmp/nojs.html")" = "$ids"
check "without JavaScript: plain headers" lacks "$tmp/nojs.html" "<button"
check "without JavaScript: the summary" has "$tmp/nojs.html" 'id="sum-submissions"><b>10</b>'


# Sorting, as clicks did it: id twice (descending), score ascending, then
# descending.  Ties go by id ascending; a grader error has no score and
# sorts lowest.
attr() { grep -o "$2=\"[^\"]*\"" "$1" | head -n 1 | sed "s/^$2=\"//; s/\"\$//"; }
check "selftest ran" test "$(attr "$tmp/selftest.html" data-selftest)" = "done"
check "sort by id, descending" test "$(attr "$tmp/selftest.html" data-selftest-id-desc)" = \
    "unfixed syntax-error proxy-fix partial-fix-del-player invalid grader-error git-on-time git-late crashing-fix canonical-fix"
check "sort by score, ascending" test "$(attr "$tmp/selftest.html" data-selftest-score-asc)" = \
    "grader-error invalid syntax-error unfixed crashing-fix git-late partial-fix-del-player canonical-fix git-on-time proxy-fix"
desc="canonical-fix git-on-time proxy-fix git-late partial-fix-del-player crashing-fix unfixed invalid syntax-error grader-error"
check "sort by score, descending" test "$(attr "$tmp/selftest.html" data-selftest-score-desc)" = "$desc"
check "the DOM's rows are in that order" test "$(rows "$tmp/selftest.html")" = "$desc"
check "the score header says descending" test "$(attr "$tmp/selftest.html" data-selftest-score-sort)" = descending
check "no JavaScript error on the console" lacks "$tmp/chromium.log" "Uncaught"

if [ -n "$shot" ]; then
    rm -f "$tmp/shot.png"
    run_chromium --hide-scrollbars --window-size=1280,2000 --screenshot="$tmp/shot.png" "$url" >/dev/null
    if [ -s "$tmp/shot.png" ] && [ "$(head -c 8 "$tmp/shot.png" | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ]; then
        mkdir -p "$(dirname "$shot")" && cp "$tmp/shot.png" "$shot" && ok "screenshot saved as $shot"
    else
        notok "screenshot ($tmp/chromium.log)"
    fi
fi
finish
