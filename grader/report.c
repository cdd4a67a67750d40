/* report.c: a batch's results as CSV, Canvas CSV, JUnit XML, Gradescope and
 * PrairieLearn results.json, Markdown feedback and one HTML page.
 * Interface and decisions: report.h. */
#include "report.h"

#include "jsontext.h"

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef GRADER_VERSION
#define GRADER_VERSION "unknown"
#endif

/* ---- small helpers ------------------------------------------------------ */

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -1;
}

static json_t *get(json_t *o, const char *key)
{
    return json_object_get(o, key);
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* A string value with its length (it may hold NUL bytes); "" otherwise. */
static const char *strn(json_t *v, size_t *len)
{
    const char *s = json_string_value(v);
    *len = s ? json_string_length(v) : 0;
    return s ? s : "";
}

static double num_of(json_t *o, const char *key)
{
    double v = json_number_value(json_object_get(o, key));
    return isfinite(v) ? v : 0;
}

/* Numbers printed in the C locale, whatever setlocale() chose: a decimal
 * comma would break every format here. */
static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void c_locale_init(void)
{
    c_locale = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
}

struct num {
    char s[64];
};

/* `fmt` is one of "%g", "%.0f", "%.1f", "%.2f", "%.3f" (literals, so the
 * compiler checks each). */
static struct num num(const char *fmt, double v)
{
    struct num n;
    if (!isfinite(v) || v == 0)
        v = 0; /* never "-0", "nan" or "inf" */
    pthread_once(&c_locale_once, c_locale_init);
    locale_t old = c_locale ? uselocale(c_locale) : (locale_t)0;
    if (strcmp(fmt, "%.0f") == 0)
        snprintf(n.s, sizeof n.s, "%.0f", v);
    else if (strcmp(fmt, "%.1f") == 0)
        snprintf(n.s, sizeof n.s, "%.1f", v);
    else if (strcmp(fmt, "%.2f") == 0)
        snprintf(n.s, sizeof n.s, "%.2f", v);
    else if (strcmp(fmt, "%.3f") == 0)
        snprintf(n.s, sizeof n.s, "%.3f", v);
    else
        snprintf(n.s, sizeof n.s, "%g", v);
    if (c_locale)
        uselocale(old);
    for (char *p = n.s; *p; p++) /* no C locale object: still a point */
        if (*p == ',')
            *p = '.';
    return n;
}

/* An integer when the value is one (45, not 45.0), else a real. */
static json_t *jnum(double v)
{
    if (!isfinite(v))
        v = 0;
    /* (no floor(): nothing here needs libm) */
    if (v > -1e15 && v < 1e15 && (double)(json_int_t)v == v)
        return json_integer((json_int_t)v);
    return json_real(v);
}

static int finish(FILE *out, char *err, size_t errlen)
{
    if (fflush(out) != 0 || ferror(out))
        return fail(err, errlen, "write error: %s", strerror(errno ? errno : EIO));
    return 0;
}

static bool is_hex(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    if (n < min || n > max)
        return false;
    return strspn(s, "0123456789abcdef") == n;
}

/* ---- text: UTF-8, XML/HTML, Markdown, CSV ------------------------------- */

/* The code point at s[0..len) and its length in *n; an invalid or truncated
 * sequence gives -1 with *n = 1, so each bad byte is replaced on its own. */
static long utf8_next(const unsigned char *s, size_t len, size_t *n)
{
    unsigned c = s[0], lo = 0x80, hi = 0xBF;
    size_t need;
    unsigned long cp;
    *n = 1;
    if (c < 0x80)
        return (long)c;
    if (c >= 0xC2 && c <= 0xDF) {
        need = 1, cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
        need = 2, cp = c & 0x0F;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF; /* no surrogates */
    } else if (c >= 0xF0 && c <= 0xF4) {
        need = 3, cp = c & 0x07;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else {
        return -1;
    }
    if (len < need + 1)
        return -1;
    for (size_t i = 1; i <= need; i++) {
        unsigned b = s[i];
        if (b < (i == 1 ? lo : 0x80) || b > (i == 1 ? hi : 0xBF))
            return -1;
        cp = (cp << 6) | (b & 0x3F);
    }
    *n = need + 1;
    return (long)cp;
}

/* Control characters no format here wants: C0 but tab, LF and CR; DEL; C1. */
static bool is_control(long cp)
{
    return (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || (cp >= 0x7F && cp <= 0x9F);
}

#define REPLACEMENT "\xEF\xBF\xBD"

enum esc { ESC_TEXT, ESC_ATTR };

/* XML 1.0 and HTML text: the five specials as references; forbidden
 * characters removed; invalid UTF-8 and U+FFFE/U+FFFF as U+FFFD.  In
 * attributes, tab, LF and CR become references so they survive attribute
 * value normalisation. */
static void put_esc_n(FILE *out, const char *s, size_t len, enum esc mode)
{
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, n;
    while (i < len) {
        long cp = utf8_next(p + i, len - i, &n);
        if (cp < 0 || cp == 0xFFFE || cp == 0xFFFF) {
            fputs(REPLACEMENT, out);
        } else if (is_control(cp)) {
            /* dropped */
        } else if (cp == '&') {
            fputs("&amp;", out);
        } else if (cp == '<') {
            fputs("&lt;", out);
        } else if (cp == '>') {
            fputs("&gt;", out);
        } else if (cp == '"') {
            fputs("&quot;", out);
        } else if (cp == '\'') {
            fputs("&#39;", out);
        } else if (cp == '\r') {
            fputs("&#13;", out);
        } else if (mode == ESC_ATTR && (cp == '\t' || cp == '\n')) {
            fputs(cp == '\t' ? "&#9;" : "&#10;", out);
        } else {
            fwrite(p + i, 1, n, out);
        }
        i += n;
    }
}

static void put_esc(FILE *out, const char *s, enum esc mode)
{
    put_esc_n(out, s, strlen(s), mode);
}

/* A JSON string value, escaped. */
static void put_esc_json(FILE *out, json_t *v, enum esc mode)
{
    size_t len;
    const char *s = strn(v, &len);
    put_esc_n(out, s, len, mode);
}

/* Student-controlled text as Markdown that renders as itself: every inline
 * special escaped with a backslash (CommonMark allows it before any ASCII
 * punctuation); a line break kept as a hard break followed by `indent`,
 * with what would start a block there (a list marker, a heading, a quote,
 * a setext underline) escaped; controls removed, bad UTF-8 replaced. */
static void put_md_n(FILE *out, const char *s, size_t len, const char *indent)
{
    const unsigned char *p = (const unsigned char *)s;
    int ls = 0; /* 0 within a line; 1 at a line's start; 2 in its leading digits */
    bool brk = false;
    size_t i = 0, n;
    while (i < len) {
        long cp = utf8_next(p + i, len - i, &n);
        const unsigned char *seq = p + i;
        i += n;
        if (cp == '\n' || cp == '\r') {
            if (ls != 1)
                brk = true;
            ls = 1;
            continue;
        }
        if (cp == '\t')
            cp = ' ';
        if (cp >= 0 && is_control(cp))
            continue;
        if (ls == 1 && cp == ' ')
            continue;
        if (brk) {
            fprintf(out, "\\\n%s", indent);
            brk = false;
        }
        if (cp < 0 || cp == 0xFFFE || cp == 0xFFFF) {
            fputs(REPLACEMENT, out);
            ls = 0;
            continue;
        }
        if (ls == 1 && (cp == '-' || cp == '+' || cp == '=')) {
            fputc('\\', out);
            fputc((int)cp, out);
            ls = 0;
            continue;
        }
        if ((ls == 1 || ls == 2) && cp >= '0' && cp <= '9') {
            fputc((int)cp, out);
            ls = 2;
            continue;
        }
        if (ls == 2 && (cp == '.' || cp == ')')) {
            fputc('\\', out);
            fputc((int)cp, out);
            ls = 0;
            continue;
        }
        ls = 0;
        if (cp > 0 && cp < 0x80 && strchr("\\`*_[]<>|~&$#", (int)cp))
            fputc('\\', out);
        if (cp == ' ')
            fputc(' ', out);
        else
            fwrite(seq, 1, n, out);
    }
}

static void put_md(FILE *out, const char *s)
{
    put_md_n(out, s, strlen(s), "");
}

static void put_md_json(FILE *out, json_t *v, const char *indent)
{
    size_t len;
    const char *s = strn(v, &len);
    put_md_n(out, s, len, indent);
}

void report_csv_field(FILE *out, const char *s)
{
    if (!s)
        return;
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', out);
        fputc(*s, out);
    }
    fputc('"', out);
}

/* ---- the batch ---------------------------------------------------------- */

enum status { ST_GRADED, ST_INVALID, ST_ERROR };

static const char *const STATUS_NAMES[] = {"graded", "invalid", "error"};

static int status_of(json_t *r)
{
    const char *s = json_string_value(get(r, "status"));
    for (int i = 0; s && i < 3; i++)
        if (strcmp(s, STATUS_NAMES[i]) == 0)
            return i;
    return -1;
}

/* STATUS_NAMES[st]; results are checked on the way in (check_result), so
 * "unknown" is never written, but an index is never out of bounds. */
static const char *status_name(int st)
{
    return st >= 0 && st < 3 ? STATUS_NAMES[st] : "unknown";
}

bool report_id_valid(const char *id)
{
    if (!id)
        return false;
    size_t n = strlen(id);
    if (n == 0 || n > 100 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
        return false;
    return strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") == n;
}

static const char *id_of(json_t *r)
{
    return str(r, "id");
}

static int check_rubric(const struct rubric *rb, char *err, size_t errlen)
{
    if (!rb || (rb->ncriteria && !rb->criteria))
        return fail(err, errlen, "no rubric");
    for (size_t i = 0; i < rb->ncriteria; i++)
        if (!rb->criteria[i].id)
            return fail(err, errlen, "rubric criterion %zu has no id", i + 1);
    return 0;
}

/* One result: what every format relies on. `where` names it in messages. */
static int check_result(json_t *r, const char *where, char *err, size_t errlen)
{
    if (!json_is_object(r))
        return fail(err, errlen, "%s: not a JSON object", where);
    json_t *id = get(r, "id");
    if (!json_is_string(id))
        return fail(err, errlen, "%s: no string \"id\"", where);
    if (strlen(json_string_value(id)) != json_string_length(id) || !report_id_valid(json_string_value(id))) {
        char shown[64];
        size_t len;
        const char *s = strn(id, &len);
        size_t k = 0;
        for (size_t i = 0; i < len && k + 5 < sizeof shown; i++) {
            unsigned char c = (unsigned char)s[i];
            k += (size_t)snprintf(shown + k, sizeof shown - k, c >= 0x20 && c < 0x7F ? "%c" : "\\x%02x", c);
        }
        return fail(err, errlen,
                    "%s: unsafe id \"%s%s\": ids are 1 to 100 characters of A-Z a-z 0-9 . _ -, not \".\" or \"..\"",
                    where, shown, k + 5 >= sizeof shown ? "..." : "");
    }
    if (status_of(r) < 0)
        return fail(err, errlen, "%s (id %s): status must be \"graded\", \"invalid\" or \"error\"", where,
                    json_string_value(id));
    if (!json_is_number(get(r, "score")) || !json_is_number(get(r, "max_score")))
        return fail(err, errlen, "%s (id %s): score and max_score must be numbers", where, json_string_value(id));
    json_t *crit = get(r, "criteria");
    if (crit && !json_is_array(crit))
        return fail(err, errlen, "%s (id %s): criteria must be an array", where, json_string_value(id));
    return 0;
}

/* The results a report reads, in id order.  Either a JSON array held by
 * the caller (sorted here), or rows read one at a time from the caller's
 * files (`struct report_rows`, already sorted), so that a class of
 * thousands costs the grader no memory per submission.  batch_row gives a
 * new reference; a row that cannot be read again is an empty object, and
 * `lost` makes the report fail at its end. */
struct batch {
    json_t *array;
    size_t *order; /* with array: indexes in id order */
    const struct report_rows *rows;
    size_t n;
    atomic_bool lost; /* set by either writer of write_all_b */
};

static json_t *batch_row(struct batch *b, size_t i)
{
    json_t *r = b->array  ? json_incref(json_array_get(b->array, b->order[i]))
                : b->rows ? b->rows->get(b->rows->ctx, i)
                          : NULL;
    if (!r) {
        b->lost = true;
        r = json_object();
    }
    return r;
}

static int cmp_order(const void *a, const void *b, void *array)
{
    return strcmp(id_of(json_array_get(array, *(const size_t *)a)), id_of(json_array_get(array, *(const size_t *)b)));
}

/* Every row checked; ids distinct and, for rows, given in order. */
static int batch_check(struct batch *b, char *err, size_t errlen)
{
    char *prev = NULL;
    int bad = 0;
    for (size_t i = 0; !bad && i < b->n; i++) {
        char where[48];
        snprintf(where, sizeof where, "result %zu", i + 1);
        json_t *r = batch_row(b, i);
        bad = check_result(r, where, err, errlen);
        const char *id = bad ? "" : id_of(r);
        if (!bad && prev && strcmp(prev, id) >= 0)
            bad = strcmp(prev, id) == 0 ? fail(err, errlen, "two results have the id %s", id)
                                        : fail(err, errlen, "results out of id order at %s", id);
        free(prev);
        prev = strdup(id);
        if (!bad && !prev)
            bad = fail(err, errlen, "out of memory");
        json_decref(r);
    }
    free(prev);
    if (!bad && b->lost)
        bad = fail(err, errlen, "a result could not be read");
    return bad ? -1 : 0;
}

static int batch_open(const struct rubric *rb, json_t *results, struct batch *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    atomic_init(&b->lost, false);
    if (check_rubric(rb, err, errlen))
        return -1;
    if (!json_is_array(results))
        return fail(err, errlen, "results: not a JSON array");
    b->array = results;
    b->n = json_array_size(results);
    b->order = calloc(b->n ? b->n : 1, sizeof *b->order);
    if (!b->order)
        return fail(err, errlen, "out of memory");
    for (size_t i = 0; i < b->n; i++) {
        b->order[i] = i;
        char where[48];
        snprintf(where, sizeof where, "result %zu", i + 1);
        if (check_result(json_array_get(results, i), where, err, errlen)) {
            free(b->order);
            b->order = NULL;
            return -1;
        }
    }
    qsort_r(b->order, b->n, sizeof *b->order, cmp_order, results);
    if (batch_check(b, err, errlen)) {
        free(b->order);
        b->order = NULL;
        return -1;
    }
    return 0;
}

static int batch_open_rows(const struct rubric *rb, const struct report_rows *rows, struct batch *b, char *err,
                           size_t errlen)
{
    memset(b, 0, sizeof *b);
    atomic_init(&b->lost, false);
    if (check_rubric(rb, err, errlen))
        return -1;
    b->rows = rows;
    b->n = rows->n;
    return batch_check(b, err, errlen);
}

static void batch_close(struct batch *b)
{
    free(b->order);
    b->order = NULL;
}

/* The end of a report: a row that could not be read again fails it. */
static int batch_finish(const struct batch *b, FILE *out, char *err, size_t errlen)
{
    if (b->lost)
        return fail(err, errlen, "a result could not be read again while the reports were written");
    return finish(out, err, errlen);
}

int report_validate(const struct rubric *rb, json_t *results, char *err, size_t errlen)
{
    struct batch b;
    if (batch_open(rb, results, &b, err, errlen))
        return -1;
    batch_close(&b);
    return 0;
}

/* The result's criterion of that id, when the result is graded and has it. */
static json_t *crit_of(json_t *r, const char *id)
{
    if (status_of(r) != ST_GRADED)
        return NULL;
    size_t i;
    json_t *c;
    json_array_foreach(get(r, "criteria"), i, c) {
        if (strcmp(str(c, "id"), id) == 0)
            return c;
    }
    return NULL;
}

static bool passed(json_t *c)
{
    return json_is_true(get(c, "passed"));
}

static const char *late_text(json_t *r)
{
    json_t *late = get(get(r, "submission"), "late");
    return json_is_true(late) ? "true" : json_is_false(late) ? "false" : "";
}

/* Visible and hidden (hidden or after_due_date) totals of the rubric, with
 * what one result earned in each. */
struct split {
    double vis_score, vis_max, hid_score, hid_max;
    size_t vis_n, vis_passed, hid_n;
};

static struct split split_of(const struct rubric *rb, json_t *r)
{
    struct split s;
    memset(&s, 0, sizeof s);
    for (size_t k = 0; k < rb->ncriteria; k++) {
        const struct rubric_criterion *cr = &rb->criteria[k];
        json_t *c = crit_of(r, cr->id);
        double pts = c ? num_of(c, "points") : 0;
        double max = c && get(c, "max_points") ? num_of(c, "max_points") : cr->points;
        if (cr->visibility == RUBRIC_VISIBLE) {
            s.vis_n++;
            s.vis_passed += c && passed(c);
            s.vis_score += pts;
            s.vis_max += max;
        } else {
            s.hid_n++;
            s.hid_score += pts;
            s.hid_max += max;
        }
    }
    return s;
}

/* ---- grades.csv, canvas.csv --------------------------------------------- */

static int grades_csv(const struct rubric *rb, struct batch *b, FILE *out, char *err, size_t errlen)
{
    fputs("id,score,max_score,status", out);
    for (size_t k = 0; k < rb->ncriteria; k++) {
        fputc(',', out);
        report_csv_field(out, rb->criteria[k].id);
    }
    fputs(",commit,late\r\n", out);
    for (size_t i = 0; i < b->n; i++) {
        json_t *r = batch_row(b, i);
        int st = status_of(r);
        report_csv_field(out, id_of(r));
        fputc(',', out);
        if (st != ST_ERROR)
            fputs(num("%g", num_of(r, "score")).s, out);
        fprintf(out, ",%s,%s", num("%g", num_of(r, "max_score")).s, status_name(st));
        for (size_t k = 0; k < rb->ncriteria; k++) {
            json_t *c = crit_of(r, rb->criteria[k].id);
            fputc(',', out);
            if (c)
                fputs(num("%g", num_of(c, "points")).s, out);
        }
        fputc(',', out);
        report_csv_field(out, str(get(r, "submission"), "commit"));
        fprintf(out, ",%s\r\n", late_text(r));
        json_decref(r);
    }
    return batch_finish(b, out, err, errlen);
}

int report_grades_csv(const struct rubric *rb, json_t *results, FILE *out, char *err, size_t errlen)
{
    struct batch b;
    if (batch_open(rb, results, &b, err, errlen))
        return -1;
    int rc = grades_csv(rb, &b, out, err, errlen);
    batch_close(&b);
    return rc;
}

static int canvas_csv(const struct rubric *rb, struct batch *b, FILE *out, char *err, size_t errlen)
{
    fputs("Student,ID,SIS User ID,SIS Login ID,Section,", out);
    report_csv_field(out, rb->title ? rb->title : rb->id ? rb->id : "grader");
    fprintf(out, "\r\n    Points Possible,,,,,%s\r\n", num("%.2f", rb->max_score).s);
    for (size_t i = 0; i < b->n; i++) {
        json_t *r = batch_row(b, i);
        if (status_of(r) != ST_ERROR) { /* a grader failure is no grade */
            fputs(",,,", out);
            report_csv_field(out, id_of(r));
            fprintf(out, ",,%s\r\n", num("%.2f", num_of(r, "score")).s);
        }
        json_decref(r);
    }
    return batch_finish(b, out, err, errlen);
}

int report_canvas_csv(const struct rubric *rb, json_t *results, FILE *out, char *err, size_t errlen)
{
    struct batch b;
    if (batch_open(rb, results, &b, err, errlen))
        return -1;
    int rc = canvas_csv(rb, &b, out, err, errlen);
    batch_close(&b);
    return rc;
}

/* ---- junit.xml ---------------------------------------------------------- */

static bool wall_ms_of(json_t *r, const char *run, double *ms)
{
    json_t *v = get(get(get(r, "runs"), run), "wall_ms");
    if (!json_is_number(v))
        return false;
    *ms = json_number_value(v);
    if (!isfinite(*ms) || *ms < 0)
        *ms = 0;
    return true;
}

static void xml_property(FILE *out, const char *indent, const char *name, const char *value)
{
    fprintf(out, "%s<property name=\"", indent);
    put_esc(out, name, ESC_ATTR);
    fputs("\" value=\"", out);
    put_esc(out, value, ESC_ATTR);
    fputs("\"/>\n", out);
}

static void xml_property_json(FILE *out, const char *indent, const char *name, json_t *v)
{
    fprintf(out, "%s<property name=\"%s\" value=\"", indent, name);
    if (json_is_string(v))
        put_esc_json(out, v, ESC_ATTR);
    else if (json_is_true(v) || json_is_false(v))
        fputs(json_is_true(v) ? "true" : "false", out);
    else if (json_is_number(v))
        fputs(num("%g", json_number_value(v)).s, out);
    fputs("\"/>\n", out);
}

struct suite_counts {
    size_t tests, failures, errors, skipped;
};

static struct suite_counts suite_counts(const struct rubric *rb, json_t *r)
{
    struct suite_counts c = {rb->ncriteria, 0, 0, 0};
    if (status_of(r) != ST_GRADED) {
        c.errors = rb->ncriteria;
        return c;
    }
    for (size_t k = 0; k < rb->ncriteria; k++) {
        json_t *cr = crit_of(r, rb->criteria[k].id);
        if (!cr)
            c.skipped++;
        else if (!passed(cr))
            c.failures++;
    }
    return c;
}

static int junit_xml(const struct rubric *rb, struct batch *b, FILE *out, char *err, size_t errlen)
{
    struct suite_counts all = {0, 0, 0, 0};
    double total_ms = 0, ms;
    for (size_t i = 0; i < b->n; i++) {
        json_t *r = batch_row(b, i);
        struct suite_counts c = suite_counts(rb, r);
        all.tests += c.tests, all.failures += c.failures, all.errors += c.errors, all.skipped += c.skipped;
        if (wall_ms_of(r, "after", &ms))
            total_ms += ms;
        json_decref(r);
    }
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"", out);
    put_esc(out, rb->id ? rb->id : "grader", ESC_ATTR);
    fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%s\">\n", all.tests,
            all.failures, all.errors, all.skipped, num("%.3f", total_ms / 1000).s);
    for (size_t i = 0; i < b->n; i++) {
        json_t *r = batch_row(b, i), *sub = get(r, "submission");
        int st = status_of(r);
        struct suite_counts c = suite_counts(rb, r);
        if (!wall_ms_of(r, "after", &ms))
            ms = 0;
        fputs("  <testsuite name=\"", out);
        put_esc(out, id_of(r), ESC_ATTR);
        fprintf(out, "\" tests=\"%zu\" failures=\"%zu\" errors=\"%zu\" skipped=\"%zu\" time=\"%s\">\n", c.tests,
                c.failures, c.errors, c.skipped, num("%.3f", ms / 1000).s);
        fputs("    <properties>\n", out);
        const char *pi = "      ";
        xml_property(out, pi, "status", status_name(st));
        xml_property_json(out, pi, "score", get(r, "score"));
        xml_property_json(out, pi, "max_score", get(r, "max_score"));
        xml_property_json(out, pi, "message", get(r, "message"));
        xml_property_json(out, pi, "commit", get(sub, "commit"));
        xml_property_json(out, pi, "late", get(sub, "late"));
        xml_property_json(out, pi, "grader_version", get(get(r, "grader"), "version"));
        xml_property_json(out, pi, "rubric_sha256", get(get(r, "rubric"), "sha256"));
        xml_property_json(out, pi, "python_version", get(get(r, "python"), "version"));
        fputs("    </properties>\n", out);
        for (size_t k = 0; k < rb->ncriteria; k++) {
            const struct rubric_criterion *cr = &rb->criteria[k];
            json_t *cj = crit_of(r, cr->id);
            fputs("    <testcase classname=\"", out);
            put_esc(out, id_of(r), ESC_ATTR);
            fputs("\" name=\"", out);
            put_esc(out, cr->id, ESC_ATTR);
            fputs("\">\n      <properties>\n", out);
            const char *qi = "        ";
            xml_property(out, qi, "title", cr->title ? cr->title : "");
            xml_property(out, qi, "score", num("%g", cj ? num_of(cj, "points") : 0).s);
            xml_property(out, qi, "max_score",
                         num("%g", cj && get(cj, "max_points") ? num_of(cj, "max_points") : cr->points).s);
            xml_property(out, qi, "visibility", rubric_visibility_name(cr->visibility));
            fputs("      </properties>\n", out);
            if (st != ST_GRADED) {
                fputs("      <error message=\"", out);
                put_esc_json(out, get(r, "message"), ESC_ATTR);
                fprintf(out, "\" type=\"%s\">", status_name(st));
                put_esc_json(out, get(r, "message"), ESC_TEXT);
                fputs("</error>\n", out);
            } else if (!cj) {
                fputs(
                    "      <skipped message=\"this result has no such criterion (graded with another "
                    "rubric?)\"/>\n",
                    out);
            } else if (!passed(cj)) {
                json_t *fb = get(cj, "feedback");
                fputs("      <failure message=\"", out);
                if (json_string_length(fb))
                    put_esc_json(out, fb, ESC_ATTR);
                else
                    fputs("failed", out);
                fputs("\" type=\"failed\">", out);
                put_esc_json(out, fb, ESC_TEXT);
                fputs("</failure>\n", out);
            }
            fputs("    </testcase>\n", out);
        }
        fputs("  </testsuite>\n", out);
        json_decref(r);
    }
    fputs("</testsuites>\n", out);
    return batch_finish(b, out, err, errlen);
}

int report_junit_xml(const struct rubric *rb, json_t *results, FILE *out, char *err, size_t errlen)
{
    struct batch b;
    if (batch_open(rb, results, &b, err, errlen))
        return -1;
    int rc = junit_xml(rb, &b, out, err, errlen);
    batch_close(&b);
    return rc;
}

/* ---- per-submission text pieces ----------------------------------------- */

/* The run fingerprint: what to compare first when two results differ. */
static void md_fingerprint(FILE *out, json_t *r)
{
    json_t *rub = get(r, "rubric");
    char sha[13];
    snprintf(sha, sizeof sha, "%.12s", str(rub, "sha256"));
    fputs("grader ", out);
    put_md(out, *str(get(r, "grader"), "version") ? str(get(r, "grader"), "version") : "?");
    fputs(" \xc2\xb7 rubric ", out);
    put_md(out, *str(rub, "id") ? str(rub, "id") : "?");
    fputs(" (", out);
    put_md(out, *sha ? sha : "?");
    fputs(") \xc2\xb7 Python ", out);
    put_md(out, *str(get(r, "python"), "version") ? str(get(r, "python"), "version") : "?");
    fputc('\n', out);
}

/* Which files were graded: a commit (and whether later ones exist), or the
 * files as submitted.  Markdown list items. */
static void md_submission(FILE *out, json_t *r)
{
    json_t *sub = get(r, "submission");
    const char *commit = str(sub, "commit"), *source = str(sub, "source");
    if (*commit) {
        fputs("- Graded commit ", out);
        if (is_hex(commit, 4, 64))
            fprintf(out, "`%.12s`", commit);
        else
            put_md(out, commit);
        if (*str(sub, "commit_time")) {
            fputs(" of ", out);
            put_md(out, str(sub, "commit_time"));
        }
        if (*str(sub, "author")) {
            fputs(" by ", out);
            put_md(out, str(sub, "author"));
        }
        fputs("\n", out);
        json_t *late = get(sub, "late");
        if (json_is_true(late)) {
            json_int_t n = json_integer_value(get(sub, "later_commits"));
            if (n > 0)
                fprintf(out,
                        "- Late: yes. %lld later commit%s %s not graded: the grade is for the last commit "
                        "before the deadline.\n",
                        (long long)n, n == 1 ? "" : "s", n == 1 ? "was" : "were");
            else
                fputs(
                    "- Late: yes. Later commits were not graded: the grade is for the last commit before the "
                    "deadline.\n",
                    out);
        } else if (json_is_false(late)) {
            fputs("- Late: no.\n", out);
        }
    } else if (strcmp(source, "index") == 0) {
        fputs("- Graded the staged content (the git index).\n", out);
    } else if (strcmp(source, "worktree") == 0) {
        fputs("- Graded the files on disk (the work tree), not a commit.\n", out);
    } else {
        fputs("- Graded the files as submitted.\n", out);
    }
    const char *sha = str(sub, "sha256");
    if (is_hex(sha, 64, 64))
        fprintf(out, "- SHA-256 of the graded script: `%s`\n", sha);
}

static const char *plural(size_t n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

/* ---- feedback.md -------------------------------------------------------- */

static int check_one(const struct rubric *rb, json_t *r, char *err, size_t errlen)
{
    if (check_rubric(rb, err, errlen))
        return -1;
    return check_result(r, "result", err, errlen);
}

int report_feedback_md(const struct rubric *rb, json_t *r, FILE *out, char *err, size_t errlen)
{
    if (check_one(rb, r, err, errlen))
        return -1;
    int st = status_of(r);
    struct split s = split_of(rb, r);
    fputs("# Feedback: ", out);
    put_md(out, rb->title ? rb->title : rb->id ? rb->id : "");
    fputs("\n\n", out);
    if (st == ST_ERROR) {
        fputs(
            "**The grader failed on your submission. This is not your fault**: your instructor will look into it "
            "and grade it again.\n\nWhat went wrong: ",
            out);
        put_md_json(out, get(r, "message"), "");
        fputs("\n", out);
    } else if (st == ST_INVALID) {
        fputs("**Your submission cannot be graded.** ", out);
        put_md_json(out, get(r, "message"), "");
        fprintf(out, "\n\n**%s: 0 / %s**\n", s.hid_n ? "Visible score" : "Score", num("%g", s.vis_max).s);
    } else {
        fprintf(out, "**%s: %s / %s**\n\n", s.hid_n ? "Visible score" : "Score", num("%g", s.vis_score).s,
                num("%g", s.vis_max).s);
        fprintf(out, "%zu of %zu %scriteria passed.\n\n## Criteria\n\n", s.vis_passed, s.vis_n,
                s.hid_n ? "visible " : "");
        for (size_t k = 0; k < rb->ncriteria; k++) {
            const struct rubric_criterion *cr = &rb->criteria[k];
            if (cr->visibility != RUBRIC_VISIBLE)
                continue;
            json_t *c = crit_of(r, cr->id);
            fprintf(out, "- **%s** ", !c ? "NOT GRADED" : passed(c) ? "PASS" : "FAIL");
            put_md(out, cr->title ? cr->title : cr->id);
            fprintf(out, " (%s / %s)\n", num("%g", c ? num_of(c, "points") : 0).s,
                    num("%g", c && get(c, "max_points") ? num_of(c, "max_points") : cr->points).s);
            if (c && !passed(c) && json_string_length(get(c, "feedback"))) {
                fputs("\n  What to do: ", out);
                put_md_json(out, get(c, "feedback"), "  ");
                fputs("\n\n", out);
            }
        }
    }
    if (s.hid_n)
        fprintf(out,
                "\n%zu hidden criteri%s (%s points) %s checked when your instructor grades; %s not described "
                "here, and the total is not shown, since it would tell how %s went.\n",
                s.hid_n, plural(s.hid_n, "on", "a"), num("%g", s.hid_max).s, plural(s.hid_n, "is", "are"),
                plural(s.hid_n, "it is", "they are"), plural(s.hid_n, "it", "they"));
    fputs("\n## Submission\n\n", out);
    md_submission(out, r);
    fputs("\n---\n\n", out);
    md_fingerprint(out, r);
    return finish(out, err, errlen);
}

/* ---- Gradescope --------------------------------------------------------- */

/* A JSON string from result text (which may hold invalid UTF-8 or NULs
 * when not read from JSON), cut to `cap` bytes at a character boundary with
 * a note saying so; cap 0 means no cut. */
static json_t *jtext(json_t *v, size_t cap, const char *why)
{
    size_t len;
    const char *s = strn(v, &len);
    if (!cap || len <= cap)
        return json_text(s, len);
    size_t cut = cap;
    while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
        cut--;
    char note[160];
    int k = snprintf(note, sizeof note, "\n[%zu more bytes cut: %s]", len - cut, why);
    char *buf = malloc(cut + (size_t)k + 1);
    if (!buf)
        return NULL;
    memcpy(buf, s, cut);
    memcpy(buf + cut, note, (size_t)k + 1);
    json_t *t = json_text(buf, cut + (size_t)k);
    free(buf);
    return t;
}

/* The longest wall time of the runs: they run at once, so this is about
 * the time grading took. */
static double exec_seconds(json_t *r)
{
    double best = 0, ms;
    const char *runs[] = {"before", "after", "probe"};
    for (int i = 0; i < 3; i++)
        if (wall_ms_of(r, runs[i], &ms) && ms > best)
            best = ms;
    return best / 1000;
}

/* Text built by a FILE writer. */
struct membuf {
    char *buf;
    size_t len;
    FILE *f;
};

static FILE *mem_open(struct membuf *m)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    return m->f;
}

/* Closes the stream; the text stays in m->buf (free it), NULL on failure. */
static char *mem_close(struct membuf *m)
{
    if (!m->f)
        return NULL;
    bool bad = ferror(m->f) != 0;
    if (fclose(m->f) != 0)
        bad = true;
    m->f = NULL;
    if (bad) {
        free(m->buf);
        m->buf = NULL;
    }
    return m->buf;
}

static json_t *gradescope_output(json_t *r)
{
    struct membuf m;
    FILE *f = mem_open(&m);
    if (!f)
        return NULL;
    int st = status_of(r);
    if (st == ST_INVALID) {
        fputs("**Your submission cannot be graded.** ", f);
        put_md_json(f, get(r, "message"), "");
        fputs("\n\n", f);
    } else if (st == ST_ERROR) {
        fputs(
            "**The grader failed on your submission. This is not your fault**: your instructor will look into it "
            "and grade it again. What went wrong: ",
            f);
        put_md_json(f, get(r, "message"), "");
        fputs("\n\n", f);
    }
    md_submission(f, r);
    fputc('\n', f);
    md_fingerprint(f, r);
    char *text = mem_close(&m);
    json_t *j = text ? json_text(text, strlen(text)) : NULL;
    free(text);
    return j;
}

static json_t *gradescope_tests(const struct rubric *rb, json_t *r)
{
    json_t *tests = json_array();
    int st = status_of(r);
    if (st != ST_GRADED) {
        json_array_append_new(tests,
                              json_pack("{s:s, s:s, s:i, s:o, s:s, s:o, s:s}", "name",
                                        st == ST_INVALID ? "Your submission cannot be graded"
                                                         : "The grader failed (not your fault; it will be regraded)",
                                        "number", "1", "score", 0, "max_score", jnum(rb->max_score), "status", "failed",
                                        "output", jtext(get(r, "message"), 0, ""), "visibility", "visible"));
        return tests;
    }
    for (size_t k = 0; k < rb->ncriteria; k++) {
        const struct rubric_criterion *cr = &rb->criteria[k];
        json_t *c = crit_of(r, cr->id);
        char number[24];
        snprintf(number, sizeof number, "%zu", k + 1);
        json_t *output =
            c ? jtext(get(c, "feedback"), 0, "")
              : json_string("Not graded: this result has no such criterion (graded with another rubric?).");
        json_array_append_new(
            tests, json_pack("{s:o, s:s, s:o, s:o, s:s, s:o, s:s}", "name",
                             json_text(cr->title ? cr->title : cr->id, strlen(cr->title ? cr->title : cr->id)),
                             "number", number, "score", jnum(c ? num_of(c, "points") : 0), "max_score",
                             jnum(c && get(c, "max_points") ? num_of(c, "max_points") : cr->points), "status",
                             c && passed(c) ? "passed" : "failed", "output", output, "visibility",
                             rubric_visibility_name(cr->visibility)));
    }
    return tests;
}

static json_t *nullable_text(json_t *v)
{
    return json_is_string(v)                         ? jtext(v, 0, "")
           : json_is_boolean(v) || json_is_number(v) ? json_deep_copy(v)
                                                     : json_null();
}

json_t *report_gradescope_json(const struct rubric *rb, json_t *r, char *err, size_t errlen)
{
    if (check_one(rb, r, err, errlen))
        return NULL;
    int st = status_of(r);
    json_t *sub = get(r, "submission");
    json_t *extra = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o, s:o}", "id", id_of(r), "status", status_name(st),
                              "commit", nullable_text(get(sub, "commit")), "late", nullable_text(get(sub, "late")),
                              "grader_version", nullable_text(get(get(r, "grader"), "version")), "rubric_sha256",
                              nullable_text(get(get(r, "rubric"), "sha256")), "python_version",
                              nullable_text(get(get(r, "python"), "version")));
    json_t *doc =
        json_pack("{s:o, s:o, s:o, s:s, s:s, s:s, s:o, s:o}", "score", jnum(st == ST_GRADED ? num_of(r, "score") : 0),
                  "execution_time", json_real(exec_seconds(r)), "output", gradescope_output(r), "output_format", "md",
                  "test_output_format", "text", "test_name_format", "text", "tests", gradescope_tests(rb, r),
                  "extra_data", extra);
    if (!doc)
        fail(err, errlen, "out of memory");
    return doc;
}

/* ---- PrairieLearn ------------------------------------------------------- */

#define PL_CUT "PrairieLearn keeps results under 1 MB"

static json_t *pl_output(json_t *r)
{
    struct membuf m;
    FILE *f = mem_open(&m);
    if (!f)
        return NULL;
    json_t *sub = get(r, "submission"), *rub = get(r, "rubric");
    if (*str(sub, "commit")) {
        fprintf(f, "Graded commit %.12s", str(sub, "commit"));
        if (json_is_true(get(sub, "late")))
            fprintf(f, "; %lld later commit(s) not graded", (long long)json_integer_value(get(sub, "later_commits")));
        fputs(".\n", f);
    }
    fprintf(f, "grader %s \xc2\xb7 rubric %s (%.12s) \xc2\xb7 Python %s\n", str(get(r, "grader"), "version"),
            str(rub, "id"), str(rub, "sha256"), str(get(r, "python"), "version"));
    char *text = mem_close(&m);
    json_t *j = text ? json_text(text, strlen(text)) : NULL;
    free(text);
    return j;
}

static json_t *pl_build(const struct rubric *rb, json_t *r, size_t cap, bool with_tests)
{
    int st = status_of(r);
    double score = num_of(r, "score"), max = num_of(r, "max_score");
    double frac = st == ST_GRADED && max > 0 ? score / max : 0;
    frac = frac < 0 ? 0 : frac > 1 ? 1 : frac;
    json_t *msg;
    if (st == ST_GRADED) {
        msg = jtext(get(r, "message"), cap, PL_CUT);
    } else {
        json_t *m = get(r, "message");
        size_t len;
        const char *s = strn(m, &len);
        const char *lead = st == ST_INVALID ? "Your submission cannot be graded: "
                                            : "The grader failed (not your fault; this attempt is not counted and "
                                              "your instructor will regrade it): ";
        char *both = malloc(strlen(lead) + len + 1);
        if (!both)
            return NULL;
        memcpy(both, lead, strlen(lead));
        memcpy(both + strlen(lead), s, len);
        both[strlen(lead) + len] = 0;
        json_t *tmp = json_stringn_nocheck(both, strlen(lead) + len);
        free(both);
        msg = jtext(tmp, cap, PL_CUT);
        json_decref(tmp);
    }
    json_t *doc = json_pack("{s:f, s:b, s:o, s:o}", "score", frac, "gradable", st == ST_GRADED, "message", msg,
                            "output", pl_output(r));
    if (!doc)
        return NULL;
    if (st != ST_GRADED)
        json_object_set_new(doc, "format_errors", json_pack("[O]", json_object_get(doc, "message")));
    json_t *tests = json_array();
    if (st == ST_GRADED && with_tests) {
        struct split s = split_of(rb, r);
        for (size_t k = 0; k < rb->ncriteria; k++) {
            const struct rubric_criterion *cr = &rb->criteria[k];
            if (cr->visibility != RUBRIC_VISIBLE)
                continue;
            json_t *c = crit_of(r, cr->id);
            const char *title = cr->title ? cr->title : cr->id;
            char desc[160];
            snprintf(desc, sizeof desc, "criterion %.100s", cr->id);
            json_t *m = c ? jtext(get(c, "feedback"), cap, PL_CUT)
                          : json_string("Not graded: this result has no such criterion.");
            json_array_append_new(
                tests, json_pack("{s:o, s:s, s:o, s:o, s:o, s:s}", "name", json_text(title, strlen(title)),
                                 "description", desc, "points", jnum(c ? num_of(c, "points") : 0), "max_points",
                                 jnum(c && get(c, "max_points") ? num_of(c, "max_points") : cr->points), "message", m,
                                 "output",
                                 !c          ? ""
                                 : passed(c) ? "passed"
                                             : "failed"));
        }
        if (s.hid_n) {
            char name[96];
            snprintf(name, sizeof name, "%zu hidden criteri%s", s.hid_n, plural(s.hid_n, "on", "a"));
            json_array_append_new(
                tests, json_pack("{s:s, s:s, s:o, s:o, s:s, s:s}", "name", name, "description",
                                 "checked, not described: the points of every hidden criterion together", "points",
                                 jnum(s.hid_score), "max_points", jnum(s.hid_max), "message", "", "output", ""));
        }
    }
    json_object_set_new(doc, "tests", tests);
    return doc;
}

static size_t dumped_size(json_t *doc)
{
    struct membuf m;
    FILE *f = mem_open(&m);
    if (!f)
        return SIZE_MAX;
    report_write_json(doc, f);
    char *text = mem_close(&m);
    size_t n = text ? m.len : SIZE_MAX;
    free(text);
    return n;
}

json_t *report_prairielearn_json(const struct rubric *rb, json_t *r, char *err, size_t errlen)
{
    if (check_one(rb, r, err, errlen))
        return NULL;
    /* Each text is cut to a cap; should the whole still be too big (a rubric
     * of very many criteria), smaller caps, and at last no tests. */
    static const size_t caps[] = {65536, 8192, 1024, 256};
    for (size_t i = 0; i < sizeof caps / sizeof *caps + 1; i++) {
        bool last = i == sizeof caps / sizeof *caps;
        json_t *doc = pl_build(rb, r, last ? 256 : caps[i], !last);
        if (!doc)
            break;
        if (dumped_size(doc) <= REPORT_PRAIRIELEARN_MAX_BYTES)
            return doc;
        json_decref(doc);
    }
    fail(err, errlen, "id %s: cannot make PrairieLearn results under 1 MB", id_of(r));
    return NULL;
}

int report_write_json(json_t *doc, FILE *out)
{
    if (json_dumpf(doc, out, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(12)) != 0)
        return -1;
    fputc('\n', out);
    return ferror(out) ? -1 : 0;
}

/* ---- report.html -------------------------------------------------------- */

enum cell { CELL_NONE = -1, CELL_FAIL = 0, CELL_PASS = 1 };

struct html {
    const struct rubric *rb;
    struct batch *b;
    signed char *cells; /* b->n x ncriteria */
    size_t graded, invalid, error;
};

static signed char cell(const struct html *h, size_t i, size_t k)
{
    return h->cells[i * h->rb->ncriteria + k];
}

static void h_esc(FILE *out, const char *s)
{
    put_esc(out, s, ESC_TEXT);
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The distinct values of a string field, sorted, joined by ", ". */
static void h_distinct(FILE *out, const struct html *h, const char *obj, const char *key)
{
    /* Copies: each row is released before the next is read. */
    char **v = calloc(h->b->n ? h->b->n : 1, sizeof *v);
    if (!v)
        return;
    size_t n = 0;
    for (size_t i = 0; i < h->b->n; i++) {
        json_t *r = batch_row(h->b, i);
        const char *s = str(get(r, obj), key);
        if (*s && (n == 0 || strcmp(v[n - 1], s) != 0))
            v[n] = strdup(s), n += v[n] != NULL;
        json_decref(r);
    }
    qsort(v, n, sizeof *v, cmp_str);
    for (size_t i = 0, shown = 0; i < n; i++) {
        if (i && strcmp(v[i], v[i - 1]) == 0)
            continue;
        if (shown++)
            fputs(", ", out);
        h_esc(out, v[i]);
    }
    if (n == 0)
        fputs("?", out);
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static const char HTML_CSS[] =
    ":root{--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--card:#fff;--pass:#1a7f37;"
    "--fail:#cf222e;--warn:#9a6700;--accent:#0969da}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0;font:14px/1.45 system-ui,-apple-system,\"Segoe UI\",Roboto,\"Helvetica Neue\",Arial,"
    "sans-serif;color:var(--fg);background:var(--bg)}\n"
    "main{max-width:1240px;margin:0 auto;padding:24px}\n"
    "h1{font-size:24px;margin:0 0 4px}h2{font-size:16px;margin:0 0 10px}\n"
    ".meta{color:var(--muted);margin:0 0 18px}.meta code{color:var(--fg)}\n"
    ".note{color:var(--muted);font-size:12px;margin:8px 0 0}\n"
    "section{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:16px 18px;"
    "margin:0 0 16px;overflow-x:auto}\n"
    ".grid2{display:grid;grid-template-columns:1fr 1fr;gap:16px;margin:0 0 16px}.grid2>section{margin:0}\n"
    ".stats{display:grid;grid-template-columns:repeat(auto-fit,minmax(140px,1fr));gap:12px;margin:0 0 16px}\n"
    ".stat{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:10px 14px}\n"
    ".stat b{display:block;font-size:26px;font-weight:600;font-variant-numeric:tabular-nums}\n"
    ".stat span{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}\n"
    ".stat.graded b{color:var(--pass)}.stat.invalid b{color:var(--warn)}.stat.error b{color:var(--fail)}\n"
    ".warn{background:#fff8c5;border:1px solid #d4a72c;border-radius:6px;padding:8px 12px;margin:0 0 16px}\n"
    "table{border-collapse:collapse;width:100%}\n"
    "th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top}\n"
    "thead th{background:var(--bg);font-weight:600;white-space:nowrap;position:sticky;top:0}\n"
    ".num{text-align:right;font-variant-numeric:tabular-nums}td.c{text-align:center}\n"
    "tbody tr:hover{background:#f6f8fa}\n"
    ".pass{color:var(--pass);font-weight:600}.fail{color:var(--fail);font-weight:600}.none{color:var(--muted)}\n"
    ".badge{display:inline-block;padding:0 8px;border-radius:10px;font-size:12px;font-weight:600;border:1px solid}\n"
    ".badge.graded{color:var(--pass);border-color:#4ac26b;background:#dafbe1}\n"
    ".badge.invalid{color:var(--warn);border-color:#d4a72c;background:#fff8c5}\n"
    ".badge.error{color:var(--fail);border-color:#ff8182;background:#ffebe9}\n"
    ".tag{font-size:11px;color:var(--muted);border:1px solid var(--line);border-radius:4px;padding:0 4px;"
    "margin-left:4px}\n"
    ".rate{display:grid;grid-template-columns:minmax(0,1fr) 32% 116px;gap:10px;align-items:center;"
    "padding:5px 0;border-bottom:1px solid var(--line)}.rate:last-child{border-bottom:0}\n"
    ".rate .t small{display:block;color:var(--muted)}\n"
    ".bar{background:#ffebe9;border-radius:4px;height:14px;overflow:hidden}\n"
    ".bar i{display:block;height:100%;background:#2da44e}\n"
    ".matrix{width:auto}.matrix td,.matrix th{text-align:center;min-width:56px;font-variant-numeric:tabular-nums}\n"
    ".msg{display:-webkit-box;-webkit-line-clamp:3;-webkit-box-orient:vertical;overflow:hidden}\n"
    ".stat b small{font-size:14px;color:var(--muted);font-weight:400}\n"
    ".matrix th[scope=row]{text-align:right}.matrix td.d{outline:2px solid #1f2328;outline-offset:-2px}\n"
    "code{font:12px ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}\n"
    "a{color:var(--accent);text-decoration:none}a:hover{text-decoration:underline}\n"
    "th button{font:inherit;font-weight:600;color:inherit;background:none;border:0;padding:0;cursor:pointer}\n"
    "th[aria-sort=ascending] button::after{content:\" \\25B2\"}\n"
    "th[aria-sort=descending] button::after{content:\" \\25BC\"}\n"
    "svg text{font:11px system-ui,sans-serif;fill:#59636e}svg .n{fill:#1f2328;font-weight:600}\n"
    "footer{color:var(--muted);font-size:12px;margin:8px 0 24px}\n"
    "@media (max-width:860px){.grid2{grid-template-columns:1fr}}\n";

/* Sorting: numbers by data-v (empty sorts lowest), text by data-v or text;
 * ties by id, always ascending, so every order is deterministic.  #selftest
 * clicks the headers like a user and records the orders it got. */
static const char HTML_JS[] =
    "(function(){\n"
    "var t=document.getElementById('subs');if(!t)return;\n"
    "var ths=t.tHead.rows[0].cells,body=t.tBodies[0];\n"
    "function val(tr,i,num){var c=tr.cells[i],v=c.getAttribute('data-v');if(v===null)v=c.textContent;\n"
    "if(!num)return v;var f=parseFloat(v);return isNaN(f)?-Infinity:f;}\n"
    "function sortBy(i,dir){var num=ths[i].getAttribute('data-type')==='num';\n"
    "var rows=Array.prototype.slice.call(body.rows);\n"
    "rows.sort(function(a,b){var x=val(a,i,num),y=val(b,i,num),c=x<y?-1:x>y?1:0;\n"
    "if(dir==='descending')c=-c;if(c!==0)return c;\n"
    "var p=a.getAttribute('data-id'),q=b.getAttribute('data-id');return p<q?-1:p>q?1:0;});\n"
    "for(var k=0;k<rows.length;k++)body.appendChild(rows[k]);\n"
    "for(var j=0;j<ths.length;j++)ths[j].setAttribute('aria-sort',j===i?dir:'none');}\n"
    "function order(){var o=[];for(var k=0;k<body.rows.length;k++)o.push(body.rows[k].getAttribute('data-id'));"
    "return o.join(' ');}\n"
    "var buttons=[];\n"
    "for(var i=0;i<ths.length;i++)(function(i){var th=ths[i],b=document.createElement('button');\n"
    "b.type='button';while(th.firstChild)b.appendChild(th.firstChild);th.appendChild(b);\n"
    "th.setAttribute('aria-sort','none');buttons.push(b);\n"
    "b.addEventListener('click',function(){sortBy(i,th.getAttribute('aria-sort')==='ascending'?"
    "'descending':'ascending');});})(i);\n"
    "if(location.hash==='#selftest'){var d=document.body,s=buttons[1];\n"
    "buttons[0].click();buttons[0].click();d.setAttribute('data-selftest-id-desc',order());\n"
    "s.click();d.setAttribute('data-selftest-score-asc',order());\n"
    "s.click();d.setAttribute('data-selftest-score-desc',order());\n"
    "d.setAttribute('data-selftest-score-sort',ths[1].getAttribute('aria-sort'));\n"
    "d.setAttribute('data-selftest','done');}\n"
    "})();\n";

static void html_summary(FILE *out, struct html *h)
{
    const struct rubric *rb = h->rb;
    double *scores = calloc(h->graded ? h->graded : 1, sizeof *scores);
    size_t n = 0, full = 0;
    double sum = 0;
    for (size_t i = 0; scores && i < h->b->n; i++) {
        json_t *r = batch_row(h->b, i);
        if (status_of(r) == ST_GRADED) {
            double s = num_of(r, "score");
            scores[n++] = s, sum += s;
            full += s >= num_of(r, "max_score");
        }
        json_decref(r);
    }
    if (n > 1)
        qsort(scores, n, sizeof *scores, cmp_double);
    fputs("<div class=\"stats\">\n", out);
    fprintf(out, "<div class=\"stat\" id=\"sum-submissions\"><b>%zu</b><span>submissions</span></div>\n", h->b->n);
    fprintf(out, "<div class=\"stat graded\" id=\"sum-graded\"><b>%zu</b><span>graded</span></div>\n", h->graded);
    fprintf(out, "<div class=\"stat invalid\" id=\"sum-invalid\"><b>%zu</b><span>invalid</span></div>\n", h->invalid);
    fprintf(out, "<div class=\"stat error\" id=\"sum-error\"><b>%zu</b><span>grader errors</span></div>\n", h->error);
    if (n) {
        double median = n % 2 ? scores[n / 2] : (scores[n / 2 - 1] + scores[n / 2]) / 2;
        fprintf(out,
                "<div class=\"stat\" id=\"sum-mean\"><b>%s<small> / %s</small></b><span>mean (graded)</span>"
                "</div>\n",
                num("%.2f", sum / (double)n).s, num("%g", rb->max_score).s);
        fprintf(out,
                "<div class=\"stat\" id=\"sum-median\"><b>%s<small> / %s</small></b><span>median (graded)"
                "</span></div>\n",
                num("%.2f", median).s, num("%g", rb->max_score).s);
    } else {
        fputs(
            "<div class=\"stat\" id=\"sum-mean\"><b>&#8212;</b><span>mean (graded)</span></div>\n"
            "<div class=\"stat\" id=\"sum-median\"><b>&#8212;</b><span>median (graded)</span></div>\n",
            out);
    }
    fprintf(out, "<div class=\"stat\" id=\"sum-full\"><b>%zu</b><span>full marks</span></div>\n", full);
    fputs("</div>\n", out);
    free(scores);
}

/* Ten bins over 0..max; the last holds max itself. */
static void html_histogram(FILE *out, struct html *h)
{
    const struct rubric *rb = h->rb;
    size_t bins[10] = {0}, top = 0;
    double max = rb->max_score > 0 ? rb->max_score : 1;
    for (size_t i = 0; i < h->b->n; i++) {
        json_t *r = batch_row(h->b, i);
        if (status_of(r) == ST_GRADED) {
            double x = num_of(r, "score") * 10 / max;
            long bin = x < 0 ? 0 : x >= 9 ? 9 : (long)x; /* truncation is floor here */
            bins[bin]++;
        }
        json_decref(r);
    }
    for (int i = 0; i < 10; i++)
        top = bins[i] > top ? bins[i] : top;
    size_t step = top <= 4 ? 1 : (top + 3) / 4, ymax = top <= 4 ? (top ? top : 1) : step * 4;
    const double x0 = 40, x1 = 556, y0 = 14, y1 = 204, slot = (x1 - x0) / 10;
    static const char *const colours[10] = {"#cf222e", "#d73a2a", "#e16f24", "#eb8c1f", "#d4a72c",
                                            "#bf8700", "#9aa31f", "#6ca834", "#3d9d3f", "#1a7f37"};
    fputs("<section id=\"histogram\"><h2>Score distribution</h2>\n", out);
    fprintf(out,
            "<svg viewBox=\"0 0 570 236\" width=\"100%%\" role=\"img\" aria-label=\"Histogram of the scores of "
            "%zu graded submissions in 10 bins from 0 to %s\">\n",
            h->graded, num("%g", rb->max_score).s);
    for (size_t v = 0; v <= ymax; v += step) {
        double y = y1 - (y1 - y0) * (double)v / (double)ymax;
        fprintf(out, "<line x1=\"%s\" y1=\"%s\" x2=\"%s\" y2=\"%s\" stroke=\"%s\"/>", num("%.1f", x0).s,
                num("%.1f", y).s, num("%.1f", x1).s, num("%.1f", y).s, v ? "#eaeef2" : "#8c959f");
        fprintf(out, "<text x=\"%s\" y=\"%s\" text-anchor=\"end\">%zu</text>\n", num("%.1f", x0 - 6).s,
                num("%.1f", y + 4).s, v);
    }
    for (int i = 0; i < 10; i++) {
        double hgt = (y1 - y0) * (double)bins[i] / (double)ymax, x = x0 + slot * i + 4;
        fprintf(out, "<g class=\"bin\" data-bin=\"%d\" data-count=\"%zu\">", i, bins[i]);
        fprintf(out, "<title>%s to %s%s: %zu</title>", num("%g", max * i / 10).s, num("%g", max * (i + 1) / 10).s,
                i == 9 ? " (inclusive)" : "", bins[i]);
        if (bins[i])
            fprintf(out,
                    "<rect x=\"%s\" y=\"%s\" width=\"%s\" height=\"%s\" rx=\"2\" fill=\"%s\"/>"
                    "<text class=\"n\" x=\"%s\" y=\"%s\" text-anchor=\"middle\">%zu</text>",
                    num("%.1f", x).s, num("%.1f", y1 - hgt).s, num("%.1f", slot - 8).s, num("%.1f", hgt).s, colours[i],
                    num("%.1f", x + (slot - 8) / 2).s, num("%.1f", y1 - hgt - 4).s, bins[i]);
        fputs("</g>\n", out);
    }
    for (int i = 0; i <= 10; i++)
        fprintf(out, "<text x=\"%s\" y=\"%s\" text-anchor=\"middle\">%s</text>", num("%.1f", x0 + slot * i).s,
                num("%.1f", y1 + 16).s, num("%g", max * i / 10).s);
    fprintf(out, "\n<text x=\"%s\" y=\"232\" text-anchor=\"middle\">score (graded submissions only)</text>\n",
            num("%.1f", (x0 + x1) / 2).s);
    fputs("</svg>\n</section>\n", out);
}

static void visibility_tag(FILE *out, const struct rubric_criterion *cr)
{
    if (cr->visibility != RUBRIC_VISIBLE)
        fprintf(out, "<span class=\"tag\">%s</span>", cr->visibility == RUBRIC_HIDDEN ? "hidden" : "after due date");
}

static void html_pass_rates(FILE *out, struct html *h)
{
    const struct rubric *rb = h->rb;
    fputs("<section id=\"pass-rates\"><h2>Pass rate per criterion</h2>\n", out);
    for (size_t k = 0; k < rb->ncriteria; k++) {
        const struct rubric_criterion *cr = &rb->criteria[k];
        size_t pass = 0, total = 0;
        for (size_t i = 0; i < h->b->n; i++) {
            signed char c = cell(h, i, k);
            total += c != CELL_NONE;
            pass += c == CELL_PASS;
        }
        double pct = total ? 100.0 * (double)pass / (double)total : 0;
        fputs("<div class=\"rate\" data-criterion=\"", out);
        put_esc(out, cr->id, ESC_ATTR);
        fprintf(out, "\" data-passed=\"%zu\" data-graded=\"%zu\"><div class=\"t\">", pass, total);
        h_esc(out, cr->title ? cr->title : cr->id);
        visibility_tag(out, cr);
        fputs("<small><code>", out);
        h_esc(out, cr->id);
        fprintf(out, "</code> &#183; %s points</small></div>", num("%g", cr->points).s);
        if (total)
            fprintf(out,
                    "<div class=\"bar\"><i style=\"width:%s%%\"></i></div><div class=\"num\">%zu / %zu "
                    "&#183; %s%%</div></div>\n",
                    num("%.1f", pct).s, pass, total, num("%.1f", pct).s);
        else
            fputs("<div class=\"bar\"></div><div class=\"num none\">not graded</div></div>\n", out);
    }
    fputs("</section>\n", out);
}

static void html_cofailure(FILE *out, struct html *h)
{
    const struct rubric *rb = h->rb;
    size_t nc = rb->ncriteria, top = 0;
    size_t *m = calloc(nc ? nc * nc : 1, sizeof *m);
    if (!m)
        return;
    for (size_t i = 0; i < h->b->n; i++)
        for (size_t a = 0; a < nc; a++)
            for (size_t c = 0; c < nc; c++)
                if (cell(h, i, a) == CELL_FAIL && cell(h, i, c) == CELL_FAIL)
                    m[a * nc + c]++;
    for (size_t j = 0; j < nc * nc; j++)
        top = m[j] > top ? m[j] : top;
    fputs(
        "<section id=\"cofailure\"><h2>Criteria that fail together</h2>\n<table class=\"matrix\"><thead><tr>"
        "<th></th>",
        out);
    for (size_t c = 0; c < nc; c++) {
        fputs("<th scope=\"col\" title=\"", out);
        put_esc(out, rb->criteria[c].title ? rb->criteria[c].title : "", ESC_ATTR);
        fputs("\"><code>", out);
        h_esc(out, rb->criteria[c].id);
        fputs("</code></th>", out);
    }
    fputs("</tr></thead>\n<tbody>\n", out);
    for (size_t a = 0; a < nc; a++) {
        fputs("<tr><th scope=\"row\"><code>", out);
        h_esc(out, rb->criteria[a].id);
        fputs("</code></th>", out);
        for (size_t c = 0; c < nc; c++) {
            size_t v = m[a * nc + c];
            double alpha = top && v ? 0.1 + 0.75 * (double)v / (double)top : 0;
            fprintf(out, "<td%s style=\"background:rgba(207,34,46,%s)%s\" title=\"", a == c ? " class=\"d\"" : "",
                    num("%.2f", alpha).s, alpha > 0.5 ? ";color:#fff" : "");
            if (a == c) {
                fprintf(out, "%zu graded submission%s failed ", v, plural(v, "", "s"));
                put_esc(out, rb->criteria[a].id, ESC_ATTR);
            } else {
                fprintf(out, "%zu graded submission%s failed both ", v, plural(v, "", "s"));
                put_esc(out, rb->criteria[a].id, ESC_ATTR);
                fputs(" and ", out);
                put_esc(out, rb->criteria[c].id, ESC_ATTR);
            }
            fprintf(out, "\">%zu</td>", v);
        }
        fputs("</tr>\n", out);
    }
    fputs(
        "</tbody></table>\n<p class=\"note\">Each cell: how many graded submissions failed both the row's and the "
        "column's criterion; the outlined diagonal is how many failed that criterion.</p>\n</section>\n",
        out);
    free(m);
}

struct slow {
    size_t i; /* rows are in id order: ties go by index */
    double ms;
};

static int cmp_slow(const void *a, const void *b)
{
    const struct slow *x = a, *y = b;
    if (x->ms != y->ms)
        return x->ms > y->ms ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

static void h_id_link(FILE *out, json_t *r)
{
    fputs("<a href=\"#s-", out);
    put_esc(out, id_of(r), ESC_ATTR);
    fputs("\">", out);
    h_esc(out, id_of(r));
    fputs("</a>", out);
}

static void html_slowest(FILE *out, struct html *h)
{
    struct slow *s = calloc(h->b->n ? h->b->n : 1, sizeof *s);
    size_t n = 0;
    for (size_t i = 0; s && i < h->b->n; i++) {
        json_t *r = batch_row(h->b, i);
        if (wall_ms_of(r, "after", &s[n].ms))
            s[n++].i = i;
        json_decref(r);
    }
    if (s)
        qsort(s, n, sizeof *s, cmp_slow);
    fputs("<section id=\"slowest\"><h2>Slowest submissions</h2>\n", out);
    if (n == 0) {
        fputs("<p class=\"none\">No submission was run.</p>\n", out);
    } else {
        fputs(
            "<table><thead><tr><th class=\"num\">#</th><th>Submission</th><th class=\"num\">wall ms</th>"
            "<th class=\"num\">CPU ms</th><th class=\"num\">exit</th><th>limit</th></tr></thead><tbody>\n",
            out);
        for (size_t i = 0; i < n && i < 10; i++) {
            json_t *r = batch_row(h->b, s[i].i), *after = get(get(r, "runs"), "after");
            fprintf(out, "<tr><td class=\"num\">%zu</td><td>", i + 1);
            h_id_link(out, r);
            fprintf(out, "</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td class=\"num\">%s</td><td>",
                    num("%.0f", s[i].ms).s, num("%.0f", num_of(after, "cpu_ms")).s,
                    json_is_number(get(after, "exit_code")) ? num("%.0f", num_of(after, "exit_code")).s : "");
            if (json_is_string(get(after, "limit"))) {
                fputs("<span class=\"fail\">", out);
                put_esc_json(out, get(after, "limit"), ESC_TEXT);
                fputs(json_is_true(get(after, "timed_out")) ? " (timed out)" : "", out);
                fputs("</span>", out);
            } else {
                fputs("<span class=\"none\">&#8212;</span>", out);
            }
            fputs("</td></tr>\n", out);
            json_decref(r);
        }
        fputs(
            "</tbody></table>\n<p class=\"note\">Wall time of the submission's own run "
            "(<code>runs.after</code>), from the results.</p>\n",
            out);
    }
    fputs("</section>\n", out);
    free(s);
}

static void html_failing(FILE *out, struct html *h)
{
    const struct rubric *rb = h->rb;
    size_t count = 0;
    fputs(
        "<section id=\"failing\"><h2>Needs attention</h2>\n<table><thead><tr><th>Submission</th><th>status</th>"
        "<th class=\"num\">score</th><th>what failed</th></tr></thead><tbody>\n",
        out);
    for (size_t i = 0; i < h->b->n; i++) {
        json_t *r = batch_row(h->b, i);
        int st = status_of(r);
        if (st == ST_GRADED && num_of(r, "score") >= num_of(r, "max_score")) {
            json_decref(r);
            continue;
        }
        count++;
        fprintf(out, "<tr data-id=\"%s\"><td>", id_of(r)); /* ids are safe characters only */
        h_id_link(out, r);
        fprintf(out, "</td><td><span class=\"badge %s\">%s</span></td><td class=\"num\">%s</td><td>", status_name(st),
                status_name(st), st == ST_ERROR ? "&#8212;" : num("%g", num_of(r, "score")).s);
        if (st == ST_GRADED) {
            size_t shown = 0;
            for (size_t k = 0; k < rb->ncriteria; k++)
                if (cell(h, i, k) == CELL_FAIL) {
                    fputs(shown++ ? ", <code>" : "<code>", out);
                    h_esc(out, rb->criteria[k].id);
                    fputs("</code>", out);
                }
        } else {
            fputs("<div class=\"msg\" title=\"", out);
            put_esc_json(out, get(r, "message"), ESC_ATTR);
            fputs("\">", out);
            put_esc_json(out, get(r, "message"), ESC_TEXT);
            fputs("</div>", out);
        }
        fputs("</td></tr>\n", out);
        json_decref(r);
    }
    if (!count)
        fputs("<tr><td colspan=\"4\" class=\"none\">Every submission has full marks.</td></tr>\n", out);
    fputs("</tbody></table>\n<p class=\"note\">Status not graded, or a score below the maximum.</p>\n</section>\n",
          out);
}

static void html_table(FILE *out, struct html *h)
{
    const struct rubric *rb = h->rb;
    fputs(
        "<section id=\"all\"><h2>Every submission</h2>\n<table id=\"subs\"><thead><tr>"
        "<th data-type=\"str\">id</th><th data-type=\"num\" class=\"num\">score</th><th data-type=\"str\">status"
        "</th>",
        out);
    for (size_t k = 0; k < rb->ncriteria; k++) {
        fputs("<th data-type=\"num\" title=\"", out);
        put_esc(out, rb->criteria[k].title ? rb->criteria[k].title : "", ESC_ATTR);
        fputs("\"><code>", out);
        h_esc(out, rb->criteria[k].id);
        fputs("</code></th>", out);
    }
    fputs("<th data-type=\"str\">commit</th><th data-type=\"num\">late</th></tr></thead>\n<tbody>\n", out);
    for (size_t i = 0; i < h->b->n; i++) {
        json_t *r = batch_row(h->b, i), *sub = get(r, "submission");
        int st = status_of(r);
        const char *id = id_of(r);
        /* ids are [A-Za-z0-9._-]: safe in attributes, names and URLs as they are */
        fprintf(out,
                "<tr id=\"s-%s\" data-id=\"%s\"><td data-v=\"%s\"><a href=\"submissions/%s/feedback.md\">%s</a>"
                "</td>",
                id, id, id, id, id);
        if (st == ST_ERROR)
            fputs("<td class=\"num\" data-v=\"\">&#8212;</td>", out);
        else
            fprintf(out, "<td class=\"num\" data-v=\"%s\">%s</td>", num("%g", num_of(r, "score")).s,
                    num("%g", num_of(r, "score")).s);
        fprintf(out, "<td><span class=\"badge %s\">%s</span></td>", status_name(st), status_name(st));
        for (size_t k = 0; k < rb->ncriteria; k++) {
            signed char c = cell(h, i, k);
            if (c == CELL_NONE) {
                fputs("<td class=\"c none\" data-v=\"\"></td>", out);
            } else if (c == CELL_PASS) {
                fputs("<td class=\"c pass\" data-v=\"1\" title=\"passed\">&#10003;</td>", out);
            } else {
                fputs("<td class=\"c fail\" data-v=\"0\" title=\"", out);
                put_esc_json(out, get(crit_of(r, rb->criteria[k].id), "feedback"), ESC_ATTR);
                fputs("\">&#10007;</td>", out);
            }
        }
        const char *commit = str(sub, "commit");
        fputs("<td data-v=\"", out);
        put_esc(out, commit, ESC_ATTR);
        fputs("\">", out);
        if (*commit) {
            fputs("<code title=\"", out);
            put_esc(out, commit, ESC_ATTR);
            fputs("\">", out);
            put_esc_n(out, commit, strlen(commit) < 12 ? strlen(commit) : 12, ESC_TEXT);
            fputs("</code>", out);
        }
        json_t *late = get(sub, "late");
        fprintf(out, "</td><td data-v=\"%s\">%s</td></tr>\n",
                json_is_true(late)    ? "1"
                : json_is_false(late) ? "0"
                                      : "",
                json_is_true(late)    ? "<span class=\"fail\">yes</span>"
                : json_is_false(late) ? "no"
                                      : "");
        json_decref(r);
    }
    fputs(
        "</tbody></table>\n<p class=\"note\">Click a header to sort. Each id links to the feedback written for "
        "that student. Late: later commits exist after the deadline (not graded).</p>\n</section>\n",
        out);
}

static int html_b(const struct rubric *rb, struct batch *b, FILE *out, char *err, size_t errlen)
{
    struct html h;
    memset(&h, 0, sizeof h);
    h.rb = rb;
    h.b = b;
    size_t nc = rb->ncriteria;
    h.cells = malloc(b->n && nc ? b->n * nc : 1);
    if (!h.cells)
        return fail(err, errlen, "out of memory");
    size_t other_rubric = 0;
    for (size_t i = 0; i < b->n; i++) {
        json_t *r = batch_row(b, i);
        int st = status_of(r);
        h.graded += st == ST_GRADED, h.invalid += st == ST_INVALID, h.error += st == ST_ERROR;
        for (size_t k = 0; k < nc; k++) {
            json_t *c = crit_of(r, rb->criteria[k].id);
            h.cells[i * nc + k] = (signed char)(!c ? CELL_NONE : passed(c) ? CELL_PASS : CELL_FAIL);
        }
        const char *sha = str(get(r, "rubric"), "sha256");
        other_rubric += rb->sha256 && *sha && strcmp(sha, rb->sha256) != 0;
        json_decref(r);
    }
    const char *title = rb->title ? rb->title : rb->id ? rb->id : "";
    fputs(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">\n<title>Grading report: ",
        out);
    h_esc(out, title);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<main>\n<h1>Grading report</h1>\n<p class=\"meta\">",
            HTML_CSS);
    h_esc(out, title);
    fputs("<br>rubric <code>", out);
    h_esc(out, rb->id ? rb->id : "?");
    fputs("</code> (sha256 <code>", out);
    put_esc_n(out, rb->sha256 ? rb->sha256 : "?", rb->sha256 ? (strlen(rb->sha256) < 12 ? strlen(rb->sha256) : 12) : 1,
              ESC_TEXT);
    fprintf(out, "</code>), %zu criteria, %s points &#183; grader ", nc, num("%g", rb->max_score).s);
    h_distinct(out, &h, "grader", "version");
    fputs(" &#183; Python ", out);
    h_distinct(out, &h, "python", "version");
    fputs("</p>\n", out);
    if (other_rubric)
        fprintf(out,
                "<p class=\"warn\" id=\"other-rubric\">%zu result%s %s graded with a rubric whose checksum "
                "differs from this one's: compare their <code>rubric.sha256</code> before trusting the "
                "columns.</p>\n",
                other_rubric, plural(other_rubric, "", "s"), plural(other_rubric, "was", "were"));
    html_summary(out, &h);
    fputs("<div class=\"grid2\">\n", out);
    html_histogram(out, &h);
    html_pass_rates(out, &h);
    fputs("</div>\n", out);
    html_cofailure(out, &h);
    fputs("<div class=\"grid2\">\n", out);
    html_slowest(out, &h);
    html_failing(out, &h);
    fputs("</div>\n", out);
    html_table(out, &h);
    fprintf(out,
            "<footer>Written by grader %s from %zu results. Mean, median, histogram, pass rates and co-failures "
            "count graded submissions only: an invalid submission has no criteria, and a grader error is not "
            "the student's.</footer>\n</main>\n<script>\n%s</script>\n</body>\n</html>\n",
            GRADER_VERSION, b->n, HTML_JS);
    free(h.cells);
    return batch_finish(b, out, err, errlen);
}

int report_html(const struct rubric *rb, json_t *results, FILE *out, char *err, size_t errlen)
{
    struct batch b;
    if (batch_open(rb, results, &b, err, errlen))
        return -1;
    int rc = html_b(rb, &b, out, err, errlen);
    batch_close(&b);
    return rc;
}

/* ---- writing files atomically ------------------------------------------- */

/* The process's umask, read without changing it (umask() would race with
 * other threads creating files). */
static mode_t current_umask(void)
{
    FILE *f = fopen("/proc/self/status", "re");
    unsigned mask = 022;
    char line[256];
    while (f && fgets(line, sizeof line, f))
        // NOLINTNEXTLINE(cert-err34-c): the kernel writes it, four octal digits
        if (sscanf(line, "Umask: %o", &mask) == 1)
            break;
    if (f)
        fclose(f);
    return (mode_t)(mask & 0777);
}

static atomic_uint tmp_counter;

/* A new temporary file beside `name` in dirfd, its name in tmp. */
static int open_tmp_at(int dirfd, const char *name, mode_t mode, char tmp[256])
{
    int fd = -1;
    for (int tries = 0; fd < 0 && tries < 100; tries++) {
        snprintf(tmp, 256, ".%s.tmp-%ld-%u", name, (long)getpid(), atomic_fetch_add(&tmp_counter, 1));
        fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
        if (fd < 0 && errno != EEXIST)
            break;
    }
    return fd;
}

/* dir/name replaced by buf: a temporary file beside it, written and renamed
 * over it (write_all_b makes them all durable at its end).  `shown` is
 * dir's path for messages. */
static int write_file_at(int dirfd, const char *shown, const char *name, const char *buf, size_t len, mode_t mode,
                         char *err, size_t errlen)
{
    char tmp[256];
    int fd = open_tmp_at(dirfd, name, mode, tmp);
    if (fd < 0)
        return fail(err, errlen, "%s/%s: cannot create a temporary file: %s", shown, name, strerror(errno));
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            goto bad;
        done += (size_t)w;
    }
    if (close(fd) != 0) {
        fd = -1;
        goto bad;
    }
    fd = -1;
    if (renameat(dirfd, tmp, dirfd, name) != 0)
        goto bad;
    return 0;
bad:;
    int e = errno ? errno : EIO;
    if (fd >= 0)
        close(fd);
    unlinkat(dirfd, tmp, 0);
    return fail(err, errlen, "%s/%s: %s", shown, name, strerror(e));
}

typedef int (*emit_fn)(const struct rubric *, json_t *, FILE *, char *, size_t);

/* A file whose text a FILE writer produces. */
static int write_emit(int dirfd, const char *shown, const char *name, mode_t mode, emit_fn fn, const struct rubric *rb,
                      json_t *data, char *err, size_t errlen)
{
    struct membuf m;
    if (!mem_open(&m))
        return fail(err, errlen, "out of memory");
    int rc = fn(rb, data, m.f, err, errlen);
    char *text = mem_close(&m);
    if (rc == 0 && !text)
        rc = fail(err, errlen, "%s/%s: out of memory", shown, name);
    if (rc == 0)
        rc = write_file_at(dirfd, shown, name, text, m.len, mode, err, errlen);
    free(text);
    return rc;
}

typedef int (*emit_batch_fn)(const struct rubric *, struct batch *, FILE *, char *, size_t);

/* Streams the report into a temporary file beside its name, then renames
 * it there: a class's report.html is never held in memory whole. */
static int write_emit_batch(int dirfd, const char *shown, const char *name, mode_t mode, emit_batch_fn fn,
                            const struct rubric *rb, struct batch *b, char *err, size_t errlen)
{
    char tmp[256];
    int fd = open_tmp_at(dirfd, name, mode, tmp);
    if (fd < 0)
        return fail(err, errlen, "%s/%s: cannot create a temporary file: %s", shown, name, strerror(errno));
    FILE *f = fdopen(fd, "w");
    if (!f) {
        int e = errno;
        close(fd);
        unlinkat(dirfd, tmp, 0);
        return fail(err, errlen, "%s/%s: %s", shown, name, strerror(e));
    }
    int rc = fn(rb, b, f, err, errlen);
    errno = 0;
    bool ok = rc == 0 && fflush(f) == 0;
    int e = errno ? errno : EIO;
    if (fclose(f) != 0 && ok) {
        ok = false;
        e = errno ? errno : EIO;
    }
    if (ok && renameat(dirfd, tmp, dirfd, name) != 0) {
        ok = false;
        e = errno;
    }
    if (!ok) {
        unlinkat(dirfd, tmp, 0);
        return rc ? rc : fail(err, errlen, "%s/%s: %s", shown, name, strerror(e));
    }
    return 0;
}

static int write_json_doc(int dirfd, const char *shown, const char *name, mode_t mode, json_t *doc, char *err,
                          size_t errlen)
{
    if (!doc)
        return -1; /* the builder said why */
    struct membuf m;
    if (!mem_open(&m)) {
        json_decref(doc);
        return fail(err, errlen, "out of memory");
    }
    int rc = report_write_json(doc, m.f);
    json_decref(doc);
    char *text = mem_close(&m);
    if (rc != 0 || !text)
        rc = fail(err, errlen, "%s/%s: cannot write JSON", shown, name);
    else
        rc = write_file_at(dirfd, shown, name, text, m.len, mode, err, errlen);
    free(text);
    return rc;
}

/* parent/name as a folder, created when missing, never through a link. */
static int open_dir_at(int parent, const char *shown, const char *name, char *err, size_t errlen)
{
    if (mkdirat(parent, name, 0777) != 0 && errno != EEXIST)
        return fail(err, errlen, "%s/%s: cannot create: %s", shown, name, strerror(errno));
    int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, "%s/%s: %s", shown, name,
                    errno == ELOOP || errno == ENOTDIR ? "not a folder (a symbolic link?)" : strerror(errno));
    return fd;
}

static int write_submission(const struct rubric *rb, json_t *r, int subs, const char *subs_shown, mode_t mode,
                            char *err, size_t errlen)
{
    const char *id = id_of(r);
    char shown[4096], inner[4200];
    snprintf(shown, sizeof shown, "%s/%s", subs_shown, id);
    int dir = open_dir_at(subs, subs_shown, id, err, errlen), gs = -1, pl = -1, rc = -1;
    if (dir < 0)
        return -1;
    if ((gs = open_dir_at(dir, shown, "gradescope", err, errlen)) < 0)
        goto out;
    snprintf(inner, sizeof inner, "%s/gradescope", shown);
    if (write_json_doc(gs, inner, "results.json", mode, report_gradescope_json(rb, r, err, errlen), err, errlen))
        goto out;
    if ((pl = open_dir_at(dir, shown, "prairielearn", err, errlen)) < 0)
        goto out;
    snprintf(inner, sizeof inner, "%s/prairielearn", shown);
    if (write_json_doc(pl, inner, "results.json", mode, report_prairielearn_json(rb, r, err, errlen), err, errlen))
        goto out;
    if (write_emit(dir, shown, "feedback.md", mode, report_feedback_md, rb, r, err, errlen))
        goto out;
    rc = 0;
out:
    if (pl >= 0)
        close(pl);
    if (gs >= 0)
        close(gs);
    close(dir);
    return rc;
}

/* The files of every submission, written by a thread of their own while
 * the batch files are written (write_all_b): with hundreds of submissions
 * each takes about as long as the other, and the end of a batch waited for
 * both in turn. */
struct subs_job {
    const struct rubric *rb;
    struct batch *b;
    int subs;
    const char *subs_shown;
    mode_t mode;
    int rc;
    char err[512];
};

static void *write_submissions(void *arg)
{
    struct subs_job *j = arg;
    j->rc = 0;
    for (size_t i = 0; i < j->b->n && j->rc == 0; i++) {
        json_t *r = batch_row(j->b, i);
        j->rc = write_submission(j->rb, r, j->subs, j->subs_shown, j->mode, j->err, sizeof j->err);
        json_decref(r);
    }
    return NULL;
}

static int write_all_b(const struct rubric *rb, struct batch *b, const char *outdir, char *err, size_t errlen)
{
    mode_t mode = 0666 & ~current_umask();
    int rc = -1, dir = -1, subs = -1;
    char subs_shown[4096];
    snprintf(subs_shown, sizeof subs_shown, "%s/submissions", outdir);
    if (mkdir(outdir, 0777) != 0 && errno != EEXIST) {
        fail(err, errlen, "%s: cannot create: %s", outdir, strerror(errno));
        goto out;
    }
    if ((dir = open(outdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
        fail(err, errlen, "%s: %s", outdir, strerror(errno));
        goto out;
    }
    if ((subs = open_dir_at(dir, outdir, "submissions", err, errlen)) < 0)
        goto out;
    /* A thread only for rows read from files (each read parses a row of
     * its own); rows of a JSON array in memory are shared objects. */
    struct subs_job job = {rb, b, subs, subs_shown, mode, 0, ""};
    pthread_t th;
    bool threaded = b->rows && pthread_create(&th, NULL, write_submissions, &job) == 0;
    if (!threaded)
        write_submissions(&job);
    int bad = write_emit_batch(dir, outdir, "grades.csv", mode, grades_csv, rb, b, err, errlen) ||
              write_emit_batch(dir, outdir, "canvas.csv", mode, canvas_csv, rb, b, err, errlen) ||
              write_emit_batch(dir, outdir, "junit.xml", mode, junit_xml, rb, b, err, errlen) ||
              write_emit_batch(dir, outdir, "report.html", mode, html_b, rb, b, err, errlen);
    if (threaded)
        pthread_join(th, NULL);
    if (job.rc) {
        fail(err, errlen, "%s", job.err);
        goto out;
    }
    if (bad)
        goto out;
    if (b->lost) {
        fail(err, errlen, "a result could not be read again while the reports were written");
        goto out;
    }
    /* Every file here is derived from the results, which the caller
     * already holds durably: each is written under a temporary name and
     * renamed, so no reader sees half of one, and all are made durable at
     * once here.  An fsync per file (six per submission) made this the
     * slowest part of a batch; a crash before this point leaves files that
     * the next run (--resume) writes again. */
    if (syncfs(dir) != 0) {
        fail(err, errlen, "%s: syncfs: %s", outdir, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (subs >= 0)
        close(subs);
    if (dir >= 0)
        close(dir);
    return rc;
}

int report_write_all(const struct rubric *rb, json_t *results, const char *outdir, char *err, size_t errlen)
{
    struct batch b;
    if (!outdir || !*outdir)
        return fail(err, errlen, "no output folder");
    if (batch_open(rb, results, &b, err, errlen))
        return -1;
    int rc = write_all_b(rb, &b, outdir, err, errlen);
    batch_close(&b);
    return rc;
}

int report_write_rows(const struct rubric *rb, const struct report_rows *rows, const char *outdir, char *err,
                      size_t errlen)
{
    struct batch b;
    if (!outdir || !*outdir)
        return fail(err, errlen, "no output folder");
    if (batch_open_rows(rb, rows, &b, err, errlen))
        return -1;
    int rc = write_all_b(rb, &b, outdir, err, errlen);
    batch_close(&b);
    return rc;
}
