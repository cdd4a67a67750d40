/* tracemalloc.c: recognise the lines tracemalloc's Statistic and
 * StatisticDiff objects print.  Grammar and traps: notes §1.6.
 *
 * Why the regex matches only the tail.  The notes' regex starts with
 * ^(?<file>.*), but under PCRE2_MATCH_INVALID_UTF no pattern item ever
 * matches an invalid UTF-8 byte, so a surrogate-escaped filename
 * ("bad\xff.py:3: size=...") would fail the whole line.  Everything after the
 * filename is ASCII, and it holds a ':' only in its leading ":<line>: size=",
 * so the tail ":<line>: size=... <end>" can match at one offset at most: an
 * unanchored search finds it, and the filename is every byte before it.  This
 * is the split the greedy ^(.*) would choose (the last ":<digits>: size="
 * that leads to a full match: "/x/odd:12: size=1 B/x.py:5: size=..." gives
 * file "/x/odd:12: size=1 B/x.py"), and invalid bytes pass through as found.
 */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "tracemalloc.h"

#include <limits.h>
#include <math.h>
#include <pcre2.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The pattern, from pieces.  NUM is _format_size's output: digits with at
 * most one decimal.  A leading '-' is allowed on unsigned fields because a
 * hand-built Statistic with a negative size prints one ("-100 KiB"). */
#define TM_UNIT "B|KiB|MiB|GiB|TiB"
#define TM_NUM "\\d+(?:\\.\\d)?"
#define TM_INT "\\d+"

#define TM_RE_LINE ":(?<line>" TM_INT "): size="
#define TM_RE_SIZE "(?<size>-?" TM_NUM ") (?<size_unit>" TM_UNIT ")"
#define TM_RE_SIZE_DIFF "(?: \\((?<size_diff>[+-]" TM_NUM ") (?<size_diff_unit>" TM_UNIT ")\\))?"
#define TM_RE_COUNT ", count=(?<count>-?" TM_INT ")"
/* Both "(...)" groups or neither: count_diff is required iff size_diff
 * matched.  A count_diff without size_diff is left unconsumed and fails. */
#define TM_RE_COUNT_DIFF "(?(<size_diff>) \\((?<count_diff>[+-]" TM_INT ")\\))"
#define TM_RE_AVERAGE "(?:, average=(?<avg>-?" TM_NUM ") (?<avg_unit>" TM_UNIT "))?"

/* \z, not $: '$' would also match before a final newline, and the caller
 * strips line endings before matching anyway. */
#define TM_PATTERN TM_RE_LINE TM_RE_SIZE TM_RE_SIZE_DIFF TM_RE_COUNT TM_RE_COUNT_DIFF TM_RE_AVERAGE "\\z"

/* Capture numbers, in pattern order; tm_compile() checks them against the
 * names so an edit of the pattern cannot silently shift them. */
enum {
    G_LINE = 1,
    G_SIZE,
    G_SIZE_UNIT,
    G_SIZE_DIFF,
    G_SIZE_DIFF_UNIT,
    G_COUNT,
    G_COUNT_DIFF,
    G_AVG,
    G_AVG_UNIT,
    G_NGROUPS = G_AVG_UNIT
};
static const char *const group_names[G_NGROUPS + 1] = {
    NULL, "line", "size", "size_unit", "size_diff", "size_diff_unit", "count", "count_diff", "avg", "avg_unit",
};

/* Compiled once for the whole process and never freed: pcre2_code is
 * read-only during matching, so threads share it; each call brings its own
 * match data. */
static pthread_once_t tm_once = PTHREAD_ONCE_INIT;
static pcre2_code *tm_re;
static char tm_init_error[160];

static void tm_compile(void)
{
    int errcode;
    PCRE2_SIZE erroffset;
    pcre2_code *re = pcre2_compile((PCRE2_SPTR)TM_PATTERN, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MATCH_INVALID_UTF,
                                   &errcode, &erroffset, NULL);
    if (!re) {
        PCRE2_UCHAR msg[120];
        pcre2_get_error_message(errcode, msg, sizeof msg);
        snprintf(tm_init_error, sizeof tm_init_error, "tracemalloc regex: %s at offset %zu", (const char *)msg,
                 (size_t)erroffset);
        return;
    }
    for (int g = 1; g <= G_NGROUPS; g++) {
        if (pcre2_substring_number_from_name(re, (PCRE2_SPTR)group_names[g]) != g) {
            snprintf(tm_init_error, sizeof tm_init_error, "tracemalloc regex: group '%s' is not number %d",
                     group_names[g], g);
            pcre2_code_free(re);
            return;
        }
    }
    /* JIT is a speed-up only: without it (no JIT support, or no executable
     * memory in a hardened process) the interpreter gives the same answers. */
    (void)pcre2_jit_compile(re, PCRE2_JIT_COMPLETE);
    tm_re = re;
}

int tm_parser_init(char *errbuf, size_t errlen)
{
    pthread_once(&tm_once, tm_compile);
    if (tm_re)
        return 0;
    if (errbuf && errlen > 0)
        snprintf(errbuf, errlen, "%s", tm_init_error);
    return -1;
}

/* ------------------------------------------------------------------ fields */

/* [+-]digits -> *out; false on overflow.  The regex has vetted the syntax. */
static bool parse_int(const char *s, size_t n, long long *out)
{
    bool neg = false;
    size_t i = 0;
    if (i < n && (s[i] == '+' || s[i] == '-'))
        neg = s[i++] == '-';
    unsigned long long v = 0;
    for (; i < n; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > ((unsigned long long)LLONG_MAX - d) / 10)
            return false;
        v = v * 10 + d;
    }
    *out = neg ? -(long long)v : (long long)v;
    return true;
}

/* "[+-]digits[.d] unit" -> bytes.  By hand rather than strtod(), whose
 * decimal point follows the locale.  False when the value does not fit a
 * double (no real size comes near; a hostile line could). */
static bool parse_size(const char *num, size_t n, const char *unit, double *out)
{
    bool neg = false;
    size_t i = 0;
    if (i < n && (num[i] == '+' || num[i] == '-'))
        neg = num[i++] == '-';
    double v = 0;
    for (; i < n && num[i] != '.'; i++)
        v = v * 10 + (num[i] - '0');
    if (i + 1 < n)
        v += (num[i + 1] - '0') / 10.0;
    static const double mult[] = {
        1.0, 1024.0, 1048576.0, 1073741824.0, 1099511627776.0,
    };
    const char *const units = "BKMGT";
    v *= mult[strchr(units, unit[0]) - units];
    if (!isfinite(v))
        return false;
    *out = neg ? -v : v;
    return true;
}

static char *dup_bytes(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

/* Copies "<num> <unit>" (group g and its unit group) into dst[32]; false if
 * it does not fit, which only an absurdly long number can cause. */
static bool copy_size_text(const char *line, const PCRE2_SIZE *ov, int g, char dst[32])
{
    size_t start = ov[2 * (size_t)g], end = ov[2 * (size_t)g + 3];
    if (end - start >= 32)
        return false;
    memcpy(dst, line + start, end - start);
    dst[end - start] = '\0';
    return true;
}

#define GROUP_SET(ov, g) ((ov)[2 * (size_t)(g)] != PCRE2_UNSET)
#define GROUP_PTR(line, ov, g) ((line) + (ov)[2 * (size_t)(g)])
#define GROUP_LEN(ov, g) ((size_t)((ov)[2 * (size_t)(g) + 1] - (ov)[2 * (size_t)(g)]))

/* The work of tm_parse_line with caller-supplied match data, so that
 * tm_parse_buffer allocates it once per buffer. */
static int parse_line_md(const char *line, size_t len, struct tm_stat *out, pcre2_match_data *md)
{
    memset(out, 0, sizeof *out);
    while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
        len--;
    /* One line only: an embedded LF means the caller handed us several (a
     * filename holding a newline is unrecoverable anyway, notes §1.5), and
     * a NUL could not survive in the char * fields. */
    if (len == 0 || memchr(line, '\n', len) || memchr(line, '\0', len))
        return 0;

    int rc = pcre2_match(tm_re, (PCRE2_SPTR)line, len, 0, 0, md, NULL);
    if (rc == PCRE2_ERROR_NOMEMORY)
        return -1;
    if (rc < 0) /* no match, or a matcher limit: not a statistic */
        return 0;

    const PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
    struct tm_stat st;
    memset(&st, 0, sizeof st);
    long long v;

    if (!parse_int(GROUP_PTR(line, ov, G_LINE), GROUP_LEN(ov, G_LINE), &v) || v > LONG_MAX)
        return 0;
    st.line = (long)v;
    if (!parse_size(GROUP_PTR(line, ov, G_SIZE), GROUP_LEN(ov, G_SIZE), GROUP_PTR(line, ov, G_SIZE_UNIT), &st.size) ||
        !copy_size_text(line, ov, G_SIZE, st.size_text))
        return 0;
    if (!parse_int(GROUP_PTR(line, ov, G_COUNT), GROUP_LEN(ov, G_COUNT), &st.count))
        return 0;

    st.has_diff = GROUP_SET(ov, G_SIZE_DIFF);
    if (st.has_diff) {
        if (!parse_size(GROUP_PTR(line, ov, G_SIZE_DIFF), GROUP_LEN(ov, G_SIZE_DIFF),
                        GROUP_PTR(line, ov, G_SIZE_DIFF_UNIT), &st.size_diff) ||
            !copy_size_text(line, ov, G_SIZE_DIFF, st.size_diff_text) ||
            !parse_int(GROUP_PTR(line, ov, G_COUNT_DIFF), GROUP_LEN(ov, G_COUNT_DIFF), &st.count_diff))
            return 0;
    }

    /* tracemalloc appends ", average=" exactly when count != 0 (it divides
     * by the count); text breaking that rule was not printed by it. */
    st.has_average = GROUP_SET(ov, G_AVG);
    if (st.has_average != (st.count != 0))
        return 0;
    if (st.has_average &&
        !parse_size(GROUP_PTR(line, ov, G_AVG), GROUP_LEN(ov, G_AVG), GROUP_PTR(line, ov, G_AVG_UNIT), &st.average))
        return 0;

    st.file = dup_bytes(line, ov[0]);
    st.text = dup_bytes(line, len);
    if (!st.file || !st.text) {
        tm_stat_free(&st);
        return -1;
    }
    *out = st;
    return 1;
}

int tm_parse_line(const char *line, size_t len, struct tm_stat *out)
{
    memset(out, 0, sizeof *out);
    if (!line)
        return 0;
    if (tm_parser_init(NULL, 0) != 0)
        return -1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(tm_re, NULL);
    if (!md)
        return -1;
    int rc = parse_line_md(line, len, out, md);
    pcre2_match_data_free(md);
    return rc;
}

static int stats_push(struct tm_stats *stats, const struct tm_stat *st)
{
    if (stats->len == stats->cap) {
        size_t cap = stats->cap ? stats->cap * 2 : 16;
        if (cap > SIZE_MAX / sizeof *stats->items)
            return -1;
        struct tm_stat *items = realloc(stats->items, cap * sizeof *items);
        if (!items)
            return -1;
        stats->items = items;
        stats->cap = cap;
    }
    stats->items[stats->len++] = *st;
    return 0;
}

/* Lines end at '\n'; a last line without one still counts.  On failure the
 * statistics appended so far stay in *stats (tm_stats_free releases them). */
int tm_parse_buffer(const char *buf, size_t len, struct tm_stats *stats)
{
    if (len == 0)
        return 0;
    if (tm_parser_init(NULL, 0) != 0)
        return -1;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(tm_re, NULL);
    if (!md)
        return -1;
    int rc = 0;
    const char *p = buf, *end = buf + len;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        struct tm_stat st;
        stats->lines_seen++;
        int r = parse_line_md(p, (size_t)(eol - p), &st, md);
        if (r < 0 || (r == 1 && stats_push(stats, &st) != 0)) {
            tm_stat_free(&st);
            rc = -1;
            break;
        }
        p = nl ? nl + 1 : end;
    }
    pcre2_match_data_free(md);
    return rc;
}

/* The file names the entry script when entry_name is all of it, or its tail
 * after a path separator ('/' or the Windows '\\'), or after what a student's
 * print() put before the statistic: indentation only, or a label ending in
 * ':' ("Leak: leaky_app.py" on 3.8, which prints the path as typed).  Any
 * other character before the name makes a different file:
 * "not_leaky_app.py", "my leaky_app.py". */
bool tm_stat_is_entry_file(const struct tm_stat *stat, const char *entry_name)
{
    if (!stat || !stat->file || !entry_name || !entry_name[0])
        return false;
    const char *f = stat->file;
    size_t flen = strlen(f), nlen = strlen(entry_name);
    if (flen < nlen || memcmp(f + flen - nlen, entry_name, nlen) != 0)
        return false;
    size_t head = flen - nlen;
    if (head == 0 || f[head - 1] == '/' || f[head - 1] == '\\')
        return true;
    if (f[head - 1] != ' ' && f[head - 1] != '\t')
        return false;
    while (head > 0 && (f[head - 1] == ' ' || f[head - 1] == '\t'))
        head--;
    return head == 0 || f[head - 1] == ':';
}

void tm_stat_free(struct tm_stat *stat)
{
    if (!stat)
        return;
    free(stat->file);
    free(stat->text);
    memset(stat, 0, sizeof *stat);
}

void tm_stats_free(struct tm_stats *stats)
{
    if (!stats)
        return;
    for (size_t i = 0; i < stats->len; i++)
        tm_stat_free(&stats->items[i]);
    free(stats->items);
    memset(stats, 0, sizeof *stats);
}
