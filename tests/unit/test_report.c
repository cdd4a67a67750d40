/* test_report.c: every report format against the real results in
 * data/report/ (see its README.md), parsed back where a parser is at hand:
 * JSON with jansson, CSV with the small RFC 4180 reader below, XML with
 * xmllint when installed.
 *
 * With REPORT_OUT_DIR set, the test case "export" writes the whole report
 * of the fixtures there (tests/report/run.sh renders it in Chromium):
 *     CK_RUN_CASE=export REPORT_OUT_DIR=/tmp/r build/tests/test_report */
#include "check_main.h"
#include "report.h"
#include "rubric.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- fixtures ----------------------------------------------------------- */

static const char *const IDS[] = {
    "canonical-fix", "crashing-fix",           "git-late",  "git-on-time",  "grader-error",
    "invalid",       "partial-fix-del-player", "proxy-fix", "syntax-error", "unfixed"};
#define NIDS (sizeof IDS / sizeof *IDS)

/* The fixtures and the rubric sit relative to this file; __FILE__ finds
 * them whether the compiler was given a relative or an absolute path. */
static const char *here(const char *rel)
{
    static char path[PATH_MAX];
    const char *slash = strrchr(__FILE__, '/');
    int len = slash ? (int)(slash - __FILE__) : 1;
    snprintf(path, sizeof path, "%.*s/%s", len, slash ? __FILE__ : ".", rel);
    return path;
}

static json_t *fixture(const char *id)
{
    char rel[256];
    snprintf(rel, sizeof rel, "data/report/%s.json", id);
    json_error_t e;
    json_t *r = json_load_file(here(rel), 0, &e);
    ck_assert_msg(r != NULL, "%s: %s", rel, e.text);
    ck_assert_str_eq(json_string_value(json_object_get(r, "id")), id);
    return r;
}

/* Every fixture, in an order that is not the ids' (the module sorts). */
static json_t *all_fixtures(void)
{
    json_t *arr = json_array();
    for (size_t i = 0; i < NIDS; i++)
        json_array_append_new(arr, fixture(IDS[(i * 7 + 3) % NIDS]));
    return arr;
}

static struct rubric rb;
static char err[1024];

static void load_rubric(void)
{
    int rc = rubric_load(here("../../rubrics/weakref-leak.yaml"), &rb, err, sizeof err);
    ck_assert_msg(rc == 0, "rubric: %s", err);
}

static void unload_rubric(void)
{
    rubric_free(&rb);
}

static struct rubric_criterion *criterion(const char *id)
{
    for (size_t k = 0; k < rb.ncriteria; k++)
        if (strcmp(rb.criteria[k].id, id) == 0)
            return &rb.criteria[k];
    ck_abort_msg("no criterion %s", id);
    return NULL;
}

/* A result's criterion, to edit. */
static json_t *crit(json_t *r, const char *id)
{
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r, "criteria"), i, c) {
        if (strcmp(json_string_value(json_object_get(c, "id")), id) == 0)
            return c;
    }
    ck_abort_msg("no criterion %s", id);
    return NULL;
}

/* ---- rendering into memory ---------------------------------------------- */

typedef int (*batch_fn)(const struct rubric *, json_t *, FILE *, char *, size_t);
typedef int (*one_fn)(const struct rubric *, json_t *, FILE *, char *, size_t);

static char *render(batch_fn fn, json_t *data, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    ck_assert_ptr_nonnull(f);
    int rc = fn(&rb, data, f, err, sizeof err);
    fclose(f);
    ck_assert_msg(rc == 0, "render: %s", err);
    if (len)
        *len = n;
    return buf;
}

static char *dump(json_t *doc, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(report_write_json(doc, f), 0);
    fclose(f);
    if (len)
        *len = n;
    return buf;
}

/* The document as written, parsed back. */
static json_t *round_trip(json_t *doc)
{
    ck_assert_msg(doc != NULL, "builder: %s", err);
    char *text = dump(doc, NULL);
    json_decref(doc);
    json_error_t e;
    json_t *back = json_loads(text, 0, &e);
    ck_assert_msg(back != NULL, "written JSON does not parse: %s", e.text);
    free(text);
    return back;
}

static bool starts_with(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* ---- a small RFC 4180 reader -------------------------------------------- */

#define CSV_ROWS 64
#define CSV_FIELDS 32

struct csv {
    size_t nrows;
    size_t nf[CSV_ROWS];
    char *f[CSV_ROWS][CSV_FIELDS];
};

static void csv_free(struct csv *c)
{
    for (size_t r = 0; r < CSV_ROWS; r++)
        for (size_t k = 0; k < c->nf[r]; k++)
            free(c->f[r][k]);
    memset(c, 0, sizeof *c);
}

/* Records end in CRLF; a quoted field may hold anything, "" a quote.
 * 0, or -1 when the text is not well-formed. */
static int csv_parse(const char *s, struct csv *c)
{
    memset(c, 0, sizeof *c);
    const char *p = s;
    size_t total = strlen(s);
    while (*p) {
        if (c->nrows == CSV_ROWS)
            return -1;
        size_t r = c->nrows++;
        for (;;) {
            if (c->nf[r] == CSV_FIELDS)
                return -1;
            char *f = malloc(total + 1);
            size_t n = 0;
            c->f[r][c->nf[r]++] = f;
            if (*p == '"') {
                p++;
                for (;;) {
                    if (!*p)
                        return -1;
                    if (*p == '"') {
                        if (p[1] != '"') {
                            p++;
                            break;
                        }
                        p++;
                    }
                    f[n++] = *p++;
                }
            } else {
                while (*p && *p != ',' && *p != '\r' && *p != '\n' && *p != '"')
                    f[n++] = *p++;
            }
            f[n] = 0;
            if (*p == ',') {
                p++;
                continue;
            }
            if (p[0] == '\r' && p[1] == '\n') {
                p += 2;
                break;
            }
            return -1; /* a bare LF, a stray quote, or no CRLF at the end */
        }
    }
    return 0;
}

static void csv_of(batch_fn fn, json_t *data, struct csv *c)
{
    char *text = render(fn, data, NULL);
    ck_assert_msg(csv_parse(text, c) == 0, "not RFC 4180 CSV:\n%s", text);
    free(text);
}

static size_t csv_col(const struct csv *c, const char *name)
{
    for (size_t k = 0; k < c->nf[0]; k++)
        if (strcmp(c->f[0][k], name) == 0)
            return k;
    ck_abort_msg("no column %s", name);
    return 0;
}

static size_t csv_row(const struct csv *c, size_t col, const char *value)
{
    for (size_t r = 0; r < c->nrows; r++)
        if (c->nf[r] > col && strcmp(c->f[r][col], value) == 0)
            return r;
    ck_abort_msg("no row with %s", value);
    return 0;
}

/* ---- XML ---------------------------------------------------------------- */

/* xmllint --noout on the text; true when it is well-formed, or when
 * xmllint is missing (said once on stderr). */
static bool xml_well_formed(const char *text)
{
    static int have = -1;
    if (have < 0) {
        have = system("command -v xmllint >/dev/null 2>&1") == 0;
        if (!have)
            fprintf(stderr, "note: xmllint not installed (Debian: libxml2-utils); well-formedness not checked\n");
    }
    if (!have)
        return true;
    char path[] = "/tmp/test_report_xml.XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    fputs(text, f);
    fclose(f);
    char cmd[256];
    snprintf(cmd, sizeof cmd, "xmllint --noout %s", path);
    int rc = system(cmd);
    unlink(path);
    return rc == 0;
}

/* ---- ids and validation ------------------------------------------------- */

START_TEST(ids)
{
    ck_assert(report_id_valid("alice"));
    ck_assert(report_id_valid("A.b_c-9"));
    ck_assert(report_id_valid("..."));
    ck_assert(report_id_valid(".hidden"));
    char longid[102];
    memset(longid, 'a', 101);
    longid[101] = 0;
    ck_assert(!report_id_valid(longid));
    longid[100] = 0;
    ck_assert(report_id_valid(longid));
    const char *bad[] = {"", ".", "..", "../x", "a/b", "a b", "a,b", "x\"y", "caf\xc3\xa9", "a\nb", NULL};
    for (int i = 0; bad[i]; i++)
        ck_assert_msg(!report_id_valid(bad[i]), "accepted \"%s\"", bad[i]);
    ck_assert(!report_id_valid(NULL));
}
END_TEST

START_TEST(validation)
{
    json_t *arr = all_fixtures();
    ck_assert_int_eq(report_validate(&rb, arr, err, sizeof err), 0);

    json_t *bad = json_deep_copy(arr);
    json_object_set_new(json_array_get(bad, 2), "status", json_string("passed"));
    ck_assert_int_eq(report_validate(&rb, bad, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "status"));
    json_decref(bad);

    bad = json_deep_copy(arr);
    json_object_set_new(json_array_get(bad, 0), "score", json_string("45"));
    ck_assert_int_eq(report_validate(&rb, bad, err, sizeof err), -1);
    json_decref(bad);

    bad = json_deep_copy(arr);
    json_object_set_new(json_array_get(bad, 1), "id", json_string(IDS[0]));
    json_object_set_new(json_array_get(bad, 0), "id", json_string(IDS[0]));
    ck_assert_int_eq(report_validate(&rb, bad, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "two results"));
    json_decref(bad);

    /* A NUL inside the id: json_string_value would stop at "ok". */
    bad = json_deep_copy(arr);
    json_object_set_new(json_array_get(bad, 0), "id", json_stringn("ok\0../x", 7));
    ck_assert_int_eq(report_validate(&rb, bad, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unsafe id"));
    json_decref(bad);

    bad = json_deep_copy(arr);
    json_object_del(json_array_get(bad, 0), "id");
    ck_assert_int_eq(report_validate(&rb, bad, err, sizeof err), -1);
    json_decref(bad);

    json_t *obj = json_object();
    ck_assert_int_eq(report_validate(&rb, obj, err, sizeof err), -1);
    ck_assert_int_eq(report_validate(NULL, arr, err, sizeof err), -1);
    json_decref(obj);

    /* Per-submission builders refuse an unsafe id too. */
    json_t *r = fixture("canonical-fix");
    json_object_set_new(r, "id", json_string("../x"));
    ck_assert_ptr_null(report_gradescope_json(&rb, r, err, sizeof err));
    ck_assert_ptr_null(report_prairielearn_json(&rb, r, err, sizeof err));
    json_decref(r);
    json_decref(arr);
}
END_TEST

/* ---- CSV ---------------------------------------------------------------- */

START_TEST(grades_csv)
{
    json_t *arr = all_fixtures();
    struct csv c;
    csv_of(report_grades_csv, arr, &c);
    const char *header[] = {
        "id",    "score",       "max_score",         "status", "runs", "report", "weak-reference", "no-cycle",
        "freed", "tracemalloc", "players-reachable", "commit", "late"};
    ck_assert_uint_eq(c.nrows, 1 + NIDS);
    ck_assert_uint_eq(c.nf[0], 13);
    for (size_t k = 0; k < 13; k++)
        ck_assert_str_eq(c.f[0][k], header[k]);
    for (size_t r = 1; r < c.nrows; r++) {
        ck_assert_uint_eq(c.nf[r], 13);
        ck_assert_str_eq(c.f[r][0], IDS[r - 1]); /* sorted by id */
    }
    /* canonical-fix: every criterion, full points */
    const char *full[] = {"canonical-fix", "100", "100", "graded", "10", "10", "15", "25", "20", "15", "5", "", ""};
    for (size_t k = 0; k < 13; k++)
        ck_assert_str_eq(c.f[1][k], full[k]);
    const char *crash[] = {"crashing-fix", "45", "100", "graded", "0", "0", "15", "25", "0", "0", "5", "", ""};
    for (size_t k = 0; k < 13; k++)
        ck_assert_str_eq(c.f[2][k], crash[k]);
    size_t r = csv_row(&c, 0, "invalid");
    ck_assert_str_eq(c.f[r][1], "0");
    ck_assert_str_eq(c.f[r][3], "invalid");
    for (size_t k = 4; k < 11; k++)
        ck_assert_str_eq(c.f[r][k], "");
    r = csv_row(&c, 0, "grader-error");
    ck_assert_str_eq(c.f[r][1], ""); /* a grader failure is no zero */
    ck_assert_str_eq(c.f[r][2], "100");
    ck_assert_str_eq(c.f[r][3], "error");
    for (size_t k = 4; k < 11; k++)
        ck_assert_str_eq(c.f[r][k], "");
    r = csv_row(&c, 0, "git-late");
    ck_assert_str_eq(c.f[r][1], "60");
    ck_assert_str_eq(c.f[r][11], "7dc3a3592b02ed4a136afe93fcbc62a2991f62bb");
    ck_assert_str_eq(c.f[r][12], "true");
    r = csv_row(&c, 0, "git-on-time");
    ck_assert_str_eq(c.f[r][12], "false");
    ck_assert_str_eq(c.f[r][11], "8675c02bdee4cbeef845e888b5c78612c44c066d");
    csv_free(&c);
    json_decref(arr);
}
END_TEST

START_TEST(csv_quoting)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    report_csv_field(f, "plain");
    fputc('|', f);
    report_csv_field(f, "a,\"b\"\r\nc");
    fputc('|', f);
    report_csv_field(f, "");
    fclose(f);
    ck_assert_str_eq(buf, "plain|\"a,\"\"b\"\"\r\nc\"|");
    free(buf);

    /* Through the writers: a commit field and the rubric's title. */
    json_t *arr = json_array();
    json_t *r = fixture("crashing-fix");
    json_object_set_new(json_object_get(r, "submission"), "commit", json_string("x,\"y\"\nz"));
    json_array_append_new(arr, r);
    struct csv c;
    csv_of(report_grades_csv, arr, &c);
    ck_assert_uint_eq(c.nrows, 2);
    ck_assert_str_eq(c.f[1][csv_col(&c, "commit")], "x,\"y\"\nz");
    csv_free(&c);

    char *title = rb.title;
    rb.title = "Week 16, \"weakref\"\nfix";
    csv_of(report_canvas_csv, arr, &c);
    rb.title = title;
    ck_assert_str_eq(c.f[0][5], "Week 16, \"weakref\"\nfix");
    ck_assert_uint_eq(c.nf[0], 6);
    csv_free(&c);
    json_decref(arr);
}
END_TEST

START_TEST(canvas_csv)
{
    json_t *arr = all_fixtures();
    char *text = render(report_canvas_csv, arr, NULL);
    ck_assert_msg(starts_with(text,
                              "Student,ID,SIS User ID,SIS Login ID,Section,Fix the Game/Player reference "
                              "cycle with weakref and show it with tracemalloc\r\n"
                              "    Points Possible,,,,,100.00\r\n"),
                  "%s", text);
    ck_assert_ptr_nonnull(strstr(text, "\r\n,,,crashing-fix,,45.00\r\n"));
    ck_assert_ptr_nonnull(strstr(text, "\r\n,,,invalid,,0.00\r\n"));
    ck_assert_ptr_null(strstr(text, "grader-error")); /* a grader failure is no grade */
    struct csv c;
    ck_assert_int_eq(csv_parse(text, &c), 0);
    ck_assert_uint_eq(c.nrows, 2 + NIDS - 1);
    for (size_t r = 2; r < c.nrows; r++) {
        ck_assert_uint_eq(c.nf[r], 6);
        ck_assert_str_eq(c.f[r][0], "");
        ck_assert_ptr_nonnull(strchr(c.f[r][5], '.'));
    }
    ck_assert_str_eq(c.f[2][3], "canonical-fix");
    ck_assert_str_eq(c.f[2][5], "100.00");
    csv_free(&c);
    free(text);
    json_decref(arr);
}
END_TEST

/* ---- Gradescope --------------------------------------------------------- */

START_TEST(gradescope)
{
    json_t *r = fixture("crashing-fix");
    json_t *g = round_trip(report_gradescope_json(&rb, r, err, sizeof err));
    ck_assert_double_eq(json_number_value(json_object_get(g, "score")), 45);
    ck_assert_str_eq(json_string_value(json_object_get(g, "output_format")), "md");
    ck_assert_str_eq(json_string_value(json_object_get(g, "test_output_format")), "text");
    /* The runs' longest wall time: before 18, after 31, probe 38 ms. */
    ck_assert(json_is_real(json_object_get(g, "execution_time")));
    ck_assert_double_eq_tol(json_real_value(json_object_get(g, "execution_time")), 0.038, 1e-9);
    json_t *tests = json_object_get(g, "tests");
    ck_assert_uint_eq(json_array_size(tests), 7);
    double sum = 0;
    for (size_t i = 0; i < 7; i++) {
        json_t *t = json_array_get(tests, i);
        char number[8];
        snprintf(number, sizeof number, "%zu", i + 1);
        ck_assert_str_eq(json_string_value(json_object_get(t, "number")), number);
        ck_assert_str_eq(json_string_value(json_object_get(t, "name")), rb.criteria[i].title);
        ck_assert_str_eq(json_string_value(json_object_get(t, "visibility")), "visible");
        ck_assert_double_eq(json_number_value(json_object_get(t, "max_score")), rb.criteria[i].points);
        sum += json_number_value(json_object_get(t, "score"));
    }
    ck_assert_double_eq(sum, 45);
    json_t *t0 = json_array_get(tests, 0);
    ck_assert_str_eq(json_string_value(json_object_get(t0, "status")), "failed");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(t0, "output")), "AttributeError at line 26"));
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(tests, 2), "status")), "passed");
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(g, "extra_data"), "id")), "crashing-fix");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(g, "output")),
                                 "grader 0.3.0 \xc2\xb7 rubric weakref-leak (eff7738971fd) \xc2\xb7 Python 3.11.2"));
    json_decref(g);

    /* Visibility is the rubric's. */
    criterion("freed")->visibility = RUBRIC_HIDDEN;
    criterion("tracemalloc")->visibility = RUBRIC_AFTER_DUE_DATE;
    g = round_trip(report_gradescope_json(&rb, r, err, sizeof err));
    tests = json_object_get(g, "tests");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(tests, 4), "visibility")), "hidden");
    ck_assert_str_eq(json_string_value(json_object_get(json_array_get(tests, 5), "visibility")), "after_due_date");
    json_decref(g);
    json_decref(r);

    /* invalid: one failed test with the message, score 0 */
    r = fixture("invalid");
    g = round_trip(report_gradescope_json(&rb, r, err, sizeof err));
    ck_assert_double_eq(json_number_value(json_object_get(g, "score")), 0);
    tests = json_object_get(g, "tests");
    ck_assert_uint_eq(json_array_size(tests), 1);
    t0 = json_array_get(tests, 0);
    ck_assert_double_eq(json_number_value(json_object_get(t0, "score")), 0);
    ck_assert_str_eq(json_string_value(json_object_get(t0, "status")), "failed");
    ck_assert_str_eq(json_string_value(json_object_get(t0, "output")),
                     "expected leaky_app.py in /tmp/nofile-sub, found app.py");
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(g, "output")), "cannot be graded"));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(g, "output")), "leaky\\_app.py"));
    ck_assert_double_eq(json_real_value(json_object_get(g, "execution_time")), 0);
    json_decref(g);
    json_decref(r);

    r = fixture("grader-error");
    g = round_trip(report_gradescope_json(&rb, r, err, sizeof err));
    ck_assert_double_eq(json_number_value(json_object_get(g, "score")), 0);
    t0 = json_array_get(json_object_get(g, "tests"), 0);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(t0, "name")), "grader failed"));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(g, "output")), "not your fault"));
    ck_assert_str_eq(json_string_value(json_object_get(json_object_get(g, "extra_data"), "status")), "error");
    json_decref(g);
    json_decref(r);
}
END_TEST

/* ---- PrairieLearn ------------------------------------------------------- */

START_TEST(prairielearn)
{
    json_t *r = fixture("crashing-fix");
    json_t *p = round_trip(report_prairielearn_json(&rb, r, err, sizeof err));
    ck_assert_double_eq_tol(json_number_value(json_object_get(p, "score")), 45.0 / 100.0, 1e-12);
    ck_assert(json_is_true(json_object_get(p, "gradable")));
    ck_assert_ptr_null(json_object_get(p, "format_errors"));
    ck_assert_str_eq(json_string_value(json_object_get(p, "message")), "3 of 7 criteria passed");
    json_t *tests = json_object_get(p, "tests");
    ck_assert_uint_eq(json_array_size(tests), 7);
    json_t *t0 = json_array_get(tests, 0);
    ck_assert_str_eq(json_string_value(json_object_get(t0, "name")), "The fixed script runs cleanly");
    ck_assert_double_eq(json_number_value(json_object_get(t0, "points")), 0);
    ck_assert_double_eq(json_number_value(json_object_get(t0, "max_points")), 10);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(t0, "message")), "AttributeError"));
    ck_assert_ptr_nonnull(json_object_get(t0, "description"));
    ck_assert_ptr_nonnull(json_object_get(t0, "output"));
    json_decref(p);

    /* Hidden criteria: one aggregate test, never their titles or feedback. */
    criterion("freed")->visibility = RUBRIC_HIDDEN;
    criterion("tracemalloc")->visibility = RUBRIC_AFTER_DUE_DATE;
    criterion("no-cycle")->visibility = RUBRIC_HIDDEN;
    p = round_trip(report_prairielearn_json(&rb, r, err, sizeof err));
    tests = json_object_get(p, "tests");
    ck_assert_uint_eq(json_array_size(tests), 5);
    json_t *agg = json_array_get(tests, 4);
    ck_assert_str_eq(json_string_value(json_object_get(agg, "name")), "3 hidden criteria");
    ck_assert_double_eq(json_number_value(json_object_get(agg, "points")), 25);
    ck_assert_double_eq(json_number_value(json_object_get(agg, "max_points")), 60);
    char *text = dump(p, NULL);
    ck_assert_ptr_null(strstr(text, "second snapshot"));
    ck_assert_ptr_null(strstr(text, "fabricated"));
    free(text);
    json_decref(p);
    json_decref(r);

    r = fixture("invalid");
    p = round_trip(report_prairielearn_json(&rb, r, err, sizeof err));
    ck_assert(json_is_false(json_object_get(p, "gradable")));
    ck_assert_double_eq(json_number_value(json_object_get(p, "score")), 0);
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(p, "message")), "found app.py"));
    ck_assert_uint_eq(json_array_size(json_object_get(p, "format_errors")), 1);
    ck_assert_uint_eq(json_array_size(json_object_get(p, "tests")), 0);
    json_decref(p);
    json_decref(r);

    r = fixture("grader-error");
    p = round_trip(report_prairielearn_json(&rb, r, err, sizeof err));
    ck_assert(json_is_false(json_object_get(p, "gradable")));
    ck_assert_ptr_nonnull(strstr(json_string_value(json_object_get(p, "message")), "grader failed"));
    json_decref(p);
    json_decref(r);

    r = fixture("canonical-fix");
    p = round_trip(report_prairielearn_json(&rb, r, err, sizeof err));
    ck_assert_double_eq(json_number_value(json_object_get(p, "score")), 1);
    json_decref(p);
    json_decref(r);
}
END_TEST

START_TEST(prairielearn_under_1mb)
{
    json_t *r = fixture("unfixed");
    size_t big = (size_t)3 * 1000 * 1000;
    char *huge = malloc(big + 1);
    for (size_t i = 0; i < big; i++)
        huge[i] = (char)(i % 3 == 2 ? 0xc3 : i % 3 == 0 ? 0xa9 : 'x'); /* "x", then "é" split across the cut */
    huge[0] = 'x';
    huge[big] = 0;
    json_object_set_new(crit(r, "freed"), "feedback", json_stringn_nocheck(huge, big));
    json_object_set_new(crit(r, "no-cycle"), "feedback", json_stringn_nocheck(huge, big));
    json_object_set_new(r, "message", json_stringn_nocheck(huge, big));
    free(huge);
    json_t *p = report_prairielearn_json(&rb, r, err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    size_t len;
    char *text = dump(p, &len);
    ck_assert_uint_le(len, REPORT_PRAIRIELEARN_MAX_BYTES);
    ck_assert_ptr_nonnull(strstr(text, "bytes cut: PrairieLearn keeps results under 1 MB"));
    json_error_t e;
    json_t *back = json_loads(text, 0, &e);
    ck_assert_msg(back != NULL, "%s", e.text);
    ck_assert_uint_eq(json_array_size(json_object_get(back, "tests")), 7);
    json_decref(back);
    free(text);
    json_decref(p);
    json_decref(r);
}
END_TEST

/* ---- feedback.md -------------------------------------------------------- */

static char *feedback(json_t *r)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    int rc = report_feedback_md(&rb, r, f, err, sizeof err);
    fclose(f);
    ck_assert_msg(rc == 0, "%s", err);
    return buf;
}

START_TEST(feedback_md)
{
    json_t *r = fixture("crashing-fix");
    char *md = feedback(r);
    ck_assert_msg(starts_with(md,
                              "# Feedback: Fix the Game/Player reference cycle with weakref and show it with "
                              "tracemalloc\n\n**Score: 45 / 100**\n\n3 of 7 criteria passed.\n"),
                  "%s", md);
    ck_assert_ptr_nonnull(strstr(md,
                                 "- **FAIL** The fixed script runs cleanly (0 / 10)\n\n  What to do: Your script "
                                 "stopped with AttributeError at line 26: 'weakref.ReferenceType' object has no "
                                 "attribute 'name'."));
    ck_assert_ptr_nonnull(strstr(md, "- **PASS** Each Player refers to its Game through a weak reference (15 / 15)\n"));
    ck_assert_ptr_nonnull(strstr(md, "\n- Graded the files as submitted.\n"));
    ck_assert_ptr_nonnull(
        strstr(md, "\n---\n\ngrader 0.3.0 \xc2\xb7 rubric weakref-leak (eff7738971fd) \xc2\xb7 Python 3.11.2\n"));
    ck_assert_ptr_null(strstr(md, "hidden"));
    free(md);

    /* Hidden criteria: counted, never described; the visible total only. */
    criterion("freed")->visibility = RUBRIC_HIDDEN;
    criterion("tracemalloc")->visibility = RUBRIC_AFTER_DUE_DATE;
    md = feedback(r);
    ck_assert_ptr_nonnull(strstr(md, "**Visible score: 45 / 65**"));
    ck_assert_ptr_nonnull(strstr(md, "3 of 5 visible criteria passed."));
    ck_assert_ptr_nonnull(strstr(md, "2 hidden criteria (35 points) are checked when your instructor grades"));
    ck_assert_ptr_null(strstr(md, "/ 100"));
    ck_assert_ptr_null(strstr(md, "second snapshot"));          /* freed's title */
    ck_assert_ptr_null(strstr(md, "tracemalloc report shows")); /* tracemalloc's title */
    ck_assert_ptr_null(strstr(md, "fabricated"));               /* tracemalloc's feedback */
    ck_assert_ptr_null(strstr(md, "3 of 7"));
    free(md);
    json_decref(r);

    criterion("freed")->visibility = RUBRIC_VISIBLE;
    criterion("tracemalloc")->visibility = RUBRIC_VISIBLE;
    r = fixture("git-late");
    md = feedback(r);
    ck_assert_ptr_nonnull(strstr(md,
                                 "- Graded commit `7dc3a3592b02` of 2026-11-19T10:00:00+01:00 by Ada Student "
                                 "\\<ada@example.edu\\>\n"));
    ck_assert_ptr_nonnull(strstr(md, "- Late: yes. 1 later commit was not graded"));
    free(md);
    json_decref(r);
    r = fixture("git-on-time");
    md = feedback(r);
    ck_assert_ptr_nonnull(strstr(md, "- Late: no.\n"));
    ck_assert_ptr_nonnull(strstr(md, "**Score: 100 / 100**"));
    free(md);
    json_decref(r);

    r = fixture("invalid");
    md = feedback(r);
    ck_assert_ptr_nonnull(strstr(md,
                                 "**Your submission cannot be graded.** expected leaky\\_app.py in "
                                 "/tmp/nofile-sub, found app.py\n\n**Score: 0 / 100**"));
    free(md);
    json_decref(r);
    r = fixture("grader-error");
    md = feedback(r);
    ck_assert_ptr_nonnull(strstr(md, "This is not your fault"));
    ck_assert_ptr_null(strstr(md, "Score"));
    free(md);
    json_decref(r);
}
END_TEST

START_TEST(feedback_md_escaping)
{
    json_t *r = fixture("unfixed");
    static const char hostile[] =
        "<script>alert(1)</script> *bold* _x_ [a](javascript:x) `c` a|b ~s~ &amp; $x$"
        "\n# heading\n  - item\n1. one\n\n\nend\x01\xff!";
    json_object_set_new(crit(r, "runs"), "passed", json_false());
    json_object_set_new(crit(r, "runs"), "feedback", json_stringn_nocheck(hostile, sizeof hostile - 1));
    char *md = feedback(r);
    for (const char *lt = strchr(md, '<'); lt; lt = strchr(lt + 1, '<'))
        ck_assert_msg(lt > md && lt[-1] == '\\', "an unescaped '<' in:\n%s", md);
    ck_assert_ptr_nonnull(strstr(md,
                                 "\\<script\\>alert(1)\\</script\\> \\*bold\\* \\_x\\_ \\[a\\](javascript:x) "
                                 "\\`c\\` a\\|b \\~s\\~ \\&amp; \\$x\\$\\\n  \\# heading\\\n  \\- item\\\n  1\\. "
                                 "one\\\n  end\xef\xbf\xbd!\n"));
    ck_assert_ptr_null(strchr(md, '\x01'));
    free(md);
    json_decref(r);
}
END_TEST

/* ---- junit.xml ---------------------------------------------------------- */

START_TEST(junit_xml)
{
    json_t *arr = all_fixtures();
    char *x = render(report_junit_xml, arr, NULL);
    ck_assert(xml_well_formed(x));
    /* 10 x 7 cases; failures: unfixed 4, crashing 4, syntax 7, partial 2,
     * git-late 2; errors: invalid and grader-error, 7 each; after-run
     * times sum to 229 ms. */
    ck_assert_ptr_nonnull(strstr(x,
                                 "<testsuites name=\"weakref-leak\" tests=\"70\" failures=\"19\" errors=\"14\" "
                                 "skipped=\"0\" time=\"0.229\">\n"));
    ck_assert_ptr_nonnull(strstr(x,
                                 "<testsuite name=\"crashing-fix\" tests=\"7\" failures=\"4\" errors=\"0\" "
                                 "skipped=\"0\" time=\"0.031\">\n"));
    ck_assert_ptr_nonnull(strstr(x,
                                 "<testsuite name=\"invalid\" tests=\"7\" failures=\"0\" errors=\"7\" "
                                 "skipped=\"0\" time=\"0.000\">\n"));
    ck_assert_int_eq(count(x, "<testsuite "), NIDS);
    ck_assert_int_eq(count(x, "<testcase "), 70);
    ck_assert_int_eq(count(x, "</testcase>"), 70);
    ck_assert_int_eq(count(x, "<failure "), 19);
    ck_assert_int_eq(count(x, "<error "), 14);
    ck_assert_ptr_nonnull(strstr(x,
                                 "<testcase classname=\"crashing-fix\" name=\"runs\">\n      <properties>\n"
                                 "        <property name=\"title\" value=\"The fixed script runs cleanly\"/>\n"
                                 "        <property name=\"score\" value=\"0\"/>\n"
                                 "        <property name=\"max_score\" value=\"10\"/>\n"
                                 "        <property name=\"visibility\" value=\"visible\"/>\n"
                                 "      </properties>\n      <failure message=\"Your script stopped with "
                                 "AttributeError at line 26: &#39;weakref.ReferenceType&#39;"));
    ck_assert_ptr_nonnull(strstr(x,
                                 "<error message=\"expected leaky_app.py in /tmp/nofile-sub, found app.py\" "
                                 "type=\"invalid\">expected leaky_app.py in /tmp/nofile-sub, found "
                                 "app.py</error>"));
    ck_assert_ptr_nonnull(strstr(x, "<property name=\"late\" value=\"true\"/>"));
    /* suites in id order */
    ck_assert(strstr(x, "name=\"canonical-fix\" tests") < strstr(x, "name=\"unfixed\" tests"));
    free(x);
    json_decref(arr);
}
END_TEST

START_TEST(junit_escaping)
{
    json_t *arr = json_array();
    json_t *r = fixture("unfixed");
    static const char hostile[] = "a<b & \"c\" 'd' ]]> \x01\x1b[31m\xff\xc3(\ttab\r\nline";
    json_object_set_new(crit(r, "runs"), "passed", json_false());
    json_object_set_new(crit(r, "runs"), "feedback", json_stringn_nocheck(hostile, sizeof hostile - 1));
    json_array_append_new(arr, r);
    char *x = render(report_junit_xml, arr, NULL);
    ck_assert(xml_well_formed(x));
    /* attribute: tab, CR and LF as references; text: LF kept */
    ck_assert_ptr_nonnull(strstr(x,
                                 "message=\"a&lt;b &amp; &quot;c&quot; &#39;d&#39; ]]&gt; [31m\xef\xbf\xbd"
                                 "\xef\xbf\xbd(&#9;tab&#13;&#10;line\""));
    ck_assert_ptr_nonnull(strstr(x,
                                 ">a&lt;b &amp; &quot;c&quot; &#39;d&#39; ]]&gt; [31m\xef\xbf\xbd\xef\xbf\xbd("
                                 "\ttab&#13;\nline</failure>"));
    ck_assert_ptr_null(strchr(x, '\x01'));
    ck_assert_ptr_null(strchr(x, '\x1b'));
    ck_assert_ptr_null(strstr(x, "\xff"));
    free(x);
    json_decref(arr);
}
END_TEST

/* ---- report.html -------------------------------------------------------- */

START_TEST(html)
{
    json_t *arr = all_fixtures();
    /* a student's text where the page shows feedback: a failed criterion */
    json_t *c = NULL;
    for (size_t i = 0; i < json_array_size(arr); i++)
        if (strcmp(json_string_value(json_object_get(json_array_get(arr, i), "id")), "proxy-fix") == 0)
            c = crit(json_array_get(arr, i), "runs");
    ck_assert_ptr_nonnull(c);
    json_object_set_new(c, "passed", json_false());
    json_object_set_new(c, "feedback", json_string("<script>alert(\"x\")</script> & 'y'"));
    char *h = render(report_html, arr, NULL);
    ck_assert_msg(strstr(h, "http://") == NULL && strstr(h, "https://") == NULL, "the page refers to the network");
    ck_assert_ptr_null(strstr(h, "src="));
    ck_assert_ptr_null(strstr(h, "<link"));
    ck_assert_ptr_null(strstr(h, "@import"));
    ck_assert_int_eq(count(h, "<script"), 1); /* ours, inline */
    ck_assert_ptr_nonnull(strstr(h, "<script>\n"));
    ck_assert_ptr_nonnull(strstr(h, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"));
    ck_assert_ptr_nonnull(strstr(h, "id=\"sum-submissions\"><b>10</b>"));
    ck_assert_ptr_nonnull(strstr(h, "id=\"sum-graded\"><b>8</b>"));
    ck_assert_ptr_nonnull(strstr(h, "id=\"sum-invalid\"><b>1</b>"));
    ck_assert_ptr_nonnull(strstr(h, "id=\"sum-error\"><b>1</b>"));
    /* graded: 0 25 45 60 60 100 100 100 */
    ck_assert_ptr_nonnull(strstr(h, "id=\"sum-mean\"><b>61.25<small> / 100</small></b>"));
    ck_assert_ptr_nonnull(strstr(h, "id=\"sum-median\"><b>60.00<small> / 100</small></b>"));
    ck_assert_ptr_nonnull(strstr(h, "id=\"sum-full\"><b>3</b>"));
    ck_assert_ptr_nonnull(strstr(h, "data-bin=\"0\" data-count=\"1\""));
    ck_assert_ptr_nonnull(strstr(h, "data-bin=\"2\" data-count=\"1\""));
    ck_assert_ptr_nonnull(strstr(h, "data-bin=\"4\" data-count=\"1\""));
    ck_assert_ptr_nonnull(strstr(h, "data-bin=\"6\" data-count=\"2\""));
    ck_assert_ptr_nonnull(strstr(h, "data-bin=\"9\" data-count=\"3\""));
    ck_assert_ptr_nonnull(strstr(h, "data-bin=\"5\" data-count=\"0\""));
    /* pass rates over the 8 graded */
    ck_assert_ptr_nonnull(strstr(h, "data-criterion=\"no-cycle\" data-passed=\"4\" data-graded=\"8\""));
    ck_assert_ptr_nonnull(strstr(h, "data-criterion=\"players-reachable\" data-passed=\"7\" data-graded=\"8\""));
    ck_assert_ptr_null(strstr(h, "id=\"other-rubric\"")); /* every fixture: the same rubric file */
    /* the table: one row per submission, in id order */
    const char *prev = h;
    for (size_t i = 0; i < NIDS; i++) {
        char row[160];
        snprintf(row, sizeof row, "<tr id=\"s-%s\" data-id=\"%s\">", IDS[i], IDS[i]);
        const char *at = strstr(h, row);
        ck_assert_msg(at && at > prev, "row %s missing or out of order", IDS[i]);
        prev = at;
    }
    free(h);
    json_decref(arr);
}
END_TEST

START_TEST(html_cofailure)
{
    json_t *arr = all_fixtures();
    char *h = render(report_html, arr, NULL);
    /* runs and report fail together in unfixed? no: unfixed passes runs.
     * syntax-error fails all 7, crashing-fix fails runs/report/freed/
     * tracemalloc: runs x report = 2. */
    ck_assert_ptr_nonnull(strstr(h, "title=\"2 graded submissions failed both runs and report\">2</td>"));
    ck_assert_ptr_nonnull(strstr(h, "title=\"2 graded submissions failed runs\">2</td>"));
    ck_assert_ptr_nonnull(strstr(h, "title=\"4 graded submissions failed both weak-reference and no-cycle\">4</td>"));
    free(h);
    /* a result graded with another rubric file is pointed out */
    json_object_set_new(json_object_get(json_array_get(arr, 2), "rubric"), "sha256", json_string("0123abcd"));
    h = render(report_html, arr, NULL);
    ck_assert_ptr_nonnull(strstr(h, "id=\"other-rubric\">1 result was graded with a rubric whose checksum differs"));
    free(h);
    json_decref(arr);
}
END_TEST

START_TEST(empty_and_fractional)
{
    json_t *none = json_array();
    char *t = render(report_grades_csv, none, NULL);
    ck_assert_str_eq(t,
                     "id,score,max_score,status,runs,report,weak-reference,no-cycle,freed,tracemalloc,"
                     "players-reachable,commit,late\r\n");
    free(t);
    t = render(report_junit_xml, none, NULL);
    ck_assert_ptr_nonnull(strstr(t,
                                 "<testsuites name=\"weakref-leak\" tests=\"0\" failures=\"0\" errors=\"0\" "
                                 "skipped=\"0\" time=\"0.000\">\n</testsuites>\n"));
    ck_assert(xml_well_formed(t));
    free(t);
    t = render(report_html, none, NULL);
    ck_assert_ptr_nonnull(strstr(t, "id=\"sum-submissions\"><b>0</b>"));
    ck_assert_ptr_nonnull(strstr(t, "id=\"sum-mean\"><b>&#8212;</b>"));
    free(t);
    json_decref(none);

    /* A score that is no round number: %g in grades.csv, %.2f for Canvas,
     * the exact fraction for PrairieLearn. */
    json_t *arr = json_array();
    json_t *r = fixture("crashing-fix");
    json_object_set_new(r, "score", json_real(100.0 / 3));
    json_array_append_new(arr, r);
    struct csv c;
    csv_of(report_grades_csv, arr, &c);
    ck_assert_str_eq(c.f[1][1], "33.3333");
    csv_free(&c);
    csv_of(report_canvas_csv, arr, &c);
    ck_assert_str_eq(c.f[2][5], "33.33");
    csv_free(&c);
    json_t *p = round_trip(report_prairielearn_json(&rb, r, err, sizeof err));
    ck_assert_double_eq_tol(json_number_value(json_object_get(p, "score")), 1.0 / 3, 1e-9);
    json_decref(p);
    json_decref(arr);
}
END_TEST

/* ---- determinism -------------------------------------------------------- */

START_TEST(deterministic)
{
    json_t *a = all_fixtures();
    json_t *b = json_array(); /* the same results in reverse order */
    for (size_t i = json_array_size(a); i-- > 0;)
        json_array_append(b, json_array_get(a, i));
    batch_fn fns[] = {report_grades_csv, report_canvas_csv, report_junit_xml, report_html};
    for (size_t f = 0; f < sizeof fns / sizeof *fns; f++) {
        size_t n1, n2, n3;
        char *t1 = render(fns[f], a, &n1), *t2 = render(fns[f], a, &n2), *t3 = render(fns[f], b, &n3);
        ck_assert_uint_eq(n1, n2);
        ck_assert_uint_eq(n1, n3);
        ck_assert(memcmp(t1, t2, n1) == 0);
        ck_assert(memcmp(t1, t3, n1) == 0);
        free(t1), free(t2), free(t3);
    }
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *r = json_array_get(a, i);
        json_t *g1 = report_gradescope_json(&rb, r, err, sizeof err),
               *g2 = report_gradescope_json(&rb, r, err, sizeof err);
        json_t *p1 = report_prairielearn_json(&rb, r, err, sizeof err),
               *p2 = report_prairielearn_json(&rb, r, err, sizeof err);
        char *s1 = dump(g1, NULL), *s2 = dump(g2, NULL), *s3 = dump(p1, NULL), *s4 = dump(p2, NULL);
        ck_assert_str_eq(s1, s2);
        ck_assert_str_eq(s3, s4);
        char *m1 = feedback(r), *m2 = feedback(r);
        ck_assert_str_eq(m1, m2);
        free(s1), free(s2), free(s3), free(s4), free(m1), free(m2);
        json_decref(g1), json_decref(g2), json_decref(p1), json_decref(p2);
    }
    json_decref(a);
    json_decref(b);
}
END_TEST

/* ---- report_write_all --------------------------------------------------- */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag, (void)ftw;
    return remove(path);
}

static void rm_rf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
    char *buf = NULL;
    size_t n = 0;
    FILE *m = open_memstream(&buf, &n);
    int ch;
    while ((ch = fgetc(f)) != EOF)
        fputc(ch, m);
    fclose(f);
    fclose(m);
    *len = n;
    return buf;
}

static bool exists(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0;
}

/* No ".NAME.tmp-*" left anywhere under dir. */
static int no_temp(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st, (void)flag;
    return strstr(path + ftw->base, ".tmp-") ? 1 : 0;
}

static const char *const TOP_FILES[] = {"grades.csv", "canvas.csv", "junit.xml", "report.html"};
static const char *const SUB_FILES[] = {"gradescope/results.json", "prairielearn/results.json", "feedback.md"};

START_TEST(write_all)
{
    char dir[] = "/tmp/test_report.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char out[PATH_MAX], path[PATH_MAX + 300];
    snprintf(out, sizeof out, "%s/out", dir); /* created by the call */
    json_t *arr = all_fixtures();
    ck_assert_msg(report_write_all(&rb, arr, out, err, sizeof err) == 0, "%s", err);
    size_t first_len[4];
    char *first[4];
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "%s/%s", out, TOP_FILES[i]);
        first[i] = slurp(path, &first_len[i]);
        ck_assert_uint_gt(first_len[i], 0);
    }
    for (size_t i = 0; i < NIDS; i++)
        for (size_t k = 0; k < 3; k++) {
            snprintf(path, sizeof path, "%s/submissions/%s/%s", out, IDS[i], SUB_FILES[k]);
            ck_assert_msg(exists(path), "%s missing", path);
            if (k < 2) {
                json_error_t e;
                json_t *j = json_load_file(path, 0, &e);
                ck_assert_msg(j != NULL, "%s: %s", path, e.text);
                json_decref(j);
            }
        }
    /* the same text as the per-format functions */
    char *direct = render(report_html, arr, NULL);
    ck_assert_str_eq(direct, first[3]);
    free(direct);
    ck_assert_int_eq(nftw(out, no_temp, 16, FTW_PHYS), 0);

    /* again over the existing tree: the same bytes */
    ck_assert_msg(report_write_all(&rb, arr, out, err, sizeof err) == 0, "%s", err);
    for (size_t i = 0; i < 4; i++) {
        size_t n;
        snprintf(path, sizeof path, "%s/%s", out, TOP_FILES[i]);
        char *again = slurp(path, &n);
        ck_assert_uint_eq(n, first_len[i]);
        ck_assert(memcmp(again, first[i], n) == 0);
        free(again);
        free(first[i]);
    }
    ck_assert_int_eq(nftw(out, no_temp, 16, FTW_PHYS), 0);
    json_decref(arr);
    rm_rf(dir);
}
END_TEST

/* report_write_rows: the rows are fetched one at a time and each released
 * before the next is asked for (a class costs no memory per submission),
 * and the files are the same bytes report_write_all writes from the array. */
struct counted_rows {
    json_t *sorted; /* the fixtures, in id order */
    json_t *handed[256];
    size_t gets, most_held;
    pthread_mutex_t lock; /* the two writers of write_all_b ask at once */
};

static json_t *counted_get(void *ctx, size_t i)
{
    struct counted_rows *c = ctx;
    pthread_mutex_lock(&c->lock);
    size_t held = 0;
    /* Each row handed out is kept here too: a refcount above 1 means a
     * writer still holds it. */
    for (size_t k = 0; k < c->gets && k < 256; k++)
        held += c->handed[k] && __atomic_load_n(&c->handed[k]->refcount, __ATOMIC_SEQ_CST) > 1;
    c->most_held = held > c->most_held ? held : c->most_held;
    json_t *r = json_deep_copy(json_array_get(c->sorted, i));
    if (c->gets < 256)
        c->handed[c->gets] = json_incref(r);
    c->gets++;
    pthread_mutex_unlock(&c->lock);
    return r;
}

static int cmp_ids(const void *a, const void *b)
{
    return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "id")),
                  json_string_value(json_object_get(*(json_t *const *)b, "id")));
}

START_TEST(write_rows_streams)
{
    char dir[] = "/tmp/test_report.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char a[PATH_MAX], b[PATH_MAX], path[PATH_MAX + 300];
    snprintf(a, sizeof a, "%s/from-array", dir);
    snprintf(b, sizeof b, "%s/from-rows", dir);
    json_t *arr = all_fixtures();
    ck_assert_msg(report_write_all(&rb, arr, a, err, sizeof err) == 0, "%s", err);

    json_t *items[16];
    size_t n = json_array_size(arr);
    ck_assert_uint_le(n, 16);
    for (size_t i = 0; i < n; i++)
        items[i] = json_array_get(arr, i);
    // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers
    qsort(items, n, sizeof *items, cmp_ids);
    struct counted_rows c = {.sorted = json_array(), .lock = PTHREAD_MUTEX_INITIALIZER};
    for (size_t i = 0; i < n; i++)
        json_array_append(c.sorted, items[i]);
    struct report_rows rows = {n, counted_get, &c};
    ck_assert_msg(report_write_rows(&rb, &rows, b, err, sizeof err) == 0, "%s", err);
    ck_assert_uint_gt(c.gets, n); /* read again for each report, not kept */
    ck_assert_uint_le(c.gets, 256);
    /* When a writer asks for the next row, it holds none: at most the
     * other writer's one is still held. */
    ck_assert_uint_le(c.most_held, 1);
    for (size_t k = 0; k < c.gets; k++)
        ck_assert_int_eq((int)c.handed[k]->refcount, 1); /* all released at the end */

    for (size_t i = 0; i < 4; i++) {
        size_t la, lb;
        snprintf(path, sizeof path, "%s/%s", a, TOP_FILES[i]);
        char *x = slurp(path, &la);
        snprintf(path, sizeof path, "%s/%s", b, TOP_FILES[i]);
        char *y = slurp(path, &lb);
        ck_assert_msg(la == lb && memcmp(x, y, la) == 0, "%s differs", TOP_FILES[i]);
        free(x);
        free(y);
    }
    for (size_t k = 0; k < c.gets; k++)
        json_decref(c.handed[k]);

    /* Rows out of id order are refused, not written. */
    json_t *swapped = json_array();
    json_array_append(swapped, items[1]);
    json_array_append(swapped, items[0]);
    struct counted_rows c2 = {.sorted = swapped, .lock = PTHREAD_MUTEX_INITIALIZER};
    struct report_rows bad = {2, counted_get, &c2};
    snprintf(path, sizeof path, "%s/refused", dir);
    ck_assert_int_eq(report_write_rows(&rb, &bad, path, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "out of id order"));
    ck_assert(!exists(path));
    for (size_t k = 0; k < c2.gets && k < 256; k++)
        json_decref(c2.handed[k]);
    json_decref(swapped);
    json_decref(c.sorted);
    json_decref(arr);
    rm_rf(dir);
}
END_TEST

START_TEST(write_all_refuses)
{
    char dir[] = "/tmp/test_report.XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char out[PATH_MAX], path[PATH_MAX + 100];
    snprintf(out, sizeof out, "%s/out", dir);

    /* an unsafe id: nothing written at all, not even outdir */
    json_t *arr = all_fixtures();
    json_object_set_new(json_array_get(arr, 4), "id", json_string("../x"));
    ck_assert_int_eq(report_write_all(&rb, arr, out, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "unsafe id \"../x\""));
    ck_assert(!exists(out));
    snprintf(path, sizeof path, "%s/x", dir);
    ck_assert(!exists(path));
    json_object_set_new(json_array_get(arr, 4), "id", json_string("a/../../x"));
    ck_assert_int_eq(report_write_all(&rb, arr, out, err, sizeof err), -1);
    ck_assert(!exists(out));
    json_decref(arr);

    /* submissions/ as a link to elsewhere: refused, nothing written there */
    char elsewhere[PATH_MAX];
    snprintf(elsewhere, sizeof elsewhere, "%s/elsewhere", dir);
    ck_assert_int_eq(mkdir(elsewhere, 0700), 0);
    ck_assert_int_eq(mkdir(out, 0700), 0);
    snprintf(path, sizeof path, "%s/submissions", out);
    ck_assert_int_eq(symlink(elsewhere, path), 0);
    arr = all_fixtures();
    ck_assert_int_eq(report_write_all(&rb, arr, out, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "submissions"));
    DIR *d = opendir(elsewhere);
    ck_assert_ptr_nonnull(d);
    struct dirent *e;
    int entries = 0;
    while ((e = readdir(d)))
        entries += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    closedir(d);
    ck_assert_int_eq(entries, 0);
    json_decref(arr);
    rm_rf(dir);
}
END_TEST

/* ---- export for tests/report/run.sh ------------------------------------- */

START_TEST(export_report)
{
    const char *out = getenv("REPORT_OUT_DIR");
    if (!out || !*out)
        return;
    json_t *arr = all_fixtures();
    ck_assert_msg(report_write_all(&rb, arr, out, err, sizeof err) == 0, "%s", err);
    json_decref(arr);
}
END_TEST

static Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("formats");
    tcase_add_checked_fixture(tc, load_rubric, unload_rubric);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, ids);
    tcase_add_test(tc, validation);
    tcase_add_test(tc, grades_csv);
    tcase_add_test(tc, csv_quoting);
    tcase_add_test(tc, canvas_csv);
    tcase_add_test(tc, gradescope);
    tcase_add_test(tc, prairielearn);
    tcase_add_test(tc, prairielearn_under_1mb);
    tcase_add_test(tc, feedback_md);
    tcase_add_test(tc, feedback_md_escaping);
    tcase_add_test(tc, junit_xml);
    tcase_add_test(tc, junit_escaping);
    tcase_add_test(tc, html);
    tcase_add_test(tc, html_cofailure);
    tcase_add_test(tc, empty_and_fractional);
    tcase_add_test(tc, deterministic);
    tcase_add_test(tc, write_all);
    tcase_add_test(tc, write_all_refuses);
    tcase_add_test(tc, write_rows_streams);
    suite_add_tcase(s, tc);
    TCase *ex = tcase_create("export");
    tcase_add_checked_fixture(ex, load_rubric, unload_rubric);
    tcase_add_test(ex, export_report);
    suite_add_tcase(s, ex);
    return s;
}

CHECK_MAIN(report_suite)
