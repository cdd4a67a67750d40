/* fuzz_result_json.c: the result writer, round trip.
 *
 * From the input: a submission path and a message (through
 * grade_result_without_runs, grader/grade.h, the skeleton every result
 * starts from), criteria, attempts, commit details and tracemalloc
 * statistics (tm_parse_buffer + result_statistics_json), every text made
 * of arbitrary bytes through json_text (grader/jsontext.h), as grade.c and
 * facts.c do.  Then:
 *   - result_render_json writes JSON that jansson reads back equal to the
 *     object, and each text reads back as the input with every invalid
 *     UTF-8 byte and NUL replaced by U+FFFD (computed here independently);
 *   - result_render_text and, after result_hide_criteria,
 *     result_render_check write valid UTF-8 without control characters
 *     other than newlines (and the colour codes when colour is asked):
 *     student text (an exception message, stderr) must not drive the
 *     instructor's terminal;
 *   - result_hide_criteria keeps exactly the visible criteria, counts the
 *     others and sums the visible points. */
#include "fuzz_common.h"
#include "grade.h"
#include "jsontext.h"
#include "result.h"
#include "rubric.h"
#include "tracemalloc.h"

#include <math.h>

static struct rubric rb;
static struct grade_context ctx;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// NOLINTNEXTLINE(readability-non-const-parameter): the signature libFuzzer calls
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *src = getenv("GRADER_SOURCE_DIR");
    char path[PATH_MAX], err[1024];
    snprintf(path, sizeof path, "%s/rubrics/weakref-leak.yaml", src && *src ? src : ".");
    if (rubric_load(path, &rb, err, sizeof err) != 0)
        fz_fail("%s (run from the top of the source tree or set GRADER_SOURCE_DIR)", err);
    ctx.rubric = &rb;
    if (tm_parser_init(err, sizeof err) != 0)
        fz_fail("tm_parser_init: %s", err);
    return 0;
}

/* ---- the expected text: invalid UTF-8 and NUL become U+FFFD, byte by byte */

static size_t seq_len(const unsigned char *p, size_t left)
{
    unsigned char c = p[0];
    if (c == 0)
        return 0;
    if (c < 0x80)
        return 1;
    size_t n;
    unsigned char lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2;
    else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        lo = c == 0xE0 ? 0xA0 : 0x80;
        hi = c == 0xED ? 0x9F : 0xBF;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        lo = c == 0xF0 ? 0x90 : 0x80;
        hi = c == 0xF4 ? 0x8F : 0xBF;
    } else
        return 0;
    if (left < n || p[1] < lo || p[1] > hi)
        return 0;
    for (size_t i = 2; i < n; i++)
        if ((p[i] & 0xC0) != 0x80)
            return 0;
    return n;
}

static char *expected_text(const char *s, size_t len, size_t *outlen)
{
    char *out = calloc(len * 3 + 1, 1);
    size_t o = 0;
    if (!out)
        abort();
    for (size_t i = 0; i < len;) {
        size_t n = seq_len((const unsigned char *)s + i, len - i);
        if (n) {
            memcpy(out + o, s + i, n);
            o += n;
            i += n;
        } else {
            memcpy(out + o, "\xEF\xBF\xBD", 3);
            o += 3;
            i++;
        }
    }
    out[o] = '\0';
    *outlen = o;
    return out;
}

/* ---- building the result ------------------------------------------------ */

struct text {
    const char *bytes;
    size_t len;
};

static struct text take(struct fz_in *in, bool wide)
{
    struct text t;
    size_t want = wide ? fz_u16(in) % 1024 : fz_u8(in);
    t.bytes = fz_bytes(in, want, &t.len);
    return t;
}

/* A C string: the bytes up to the first NUL (paths and messages are C
 * strings in the grader). */
static char *cstr(struct text t)
{
    size_t n = strnlen(t.bytes, t.len);
    char *s = malloc(n + 1);
    if (!s)
        abort();
    memcpy(s, t.bytes, n);
    s[n] = '\0';
    return s;
}

static void hex_of(struct text t, char *out, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i + 1 < n; i++)
        out[i] = hex[(i < t.len ? (unsigned char)t.bytes[i] : i) & 15];
    out[n - 1] = '\0';
}

/* What each json_text'ed string should read back as, by JSON pointer-ish
 * path, for the comparison after the round trip. */
#define MAX_EXPECT 64
struct expect {
    json_t *holder; /* object the key lives in (borrowed, in `result`) */
    const char *key;
    char *want; /* expected_text() of the input bytes */
    size_t want_len;
};
static struct expect expects[MAX_EXPECT];
static size_t nexpects;

static void set_text(json_t *obj, const char *key, struct text t)
{
    json_t *s = json_text(t.bytes, t.len);
    if (!s)
        fz_fail("json_text returned NULL for %zu bytes", t.len);
    json_object_set_new(obj, key, s);
    if (nexpects < MAX_EXPECT) {
        expects[nexpects].holder = obj;
        expects[nexpects].key = key;
        expects[nexpects].want = expected_text(t.bytes, t.len, &expects[nexpects].want_len);
        nexpects++;
    }
}

static const char *const VISIBILITIES[] = {"visible", "hidden", "after_due_date", "visible"};
static const char *const STATUSES[] = {"graded", "invalid", "error", "graded"};
static const char *const SOURCES[] = {"folder", "file", "commit", "index", "worktree", "commit", "commit", "folder"};

static json_t *build(struct fz_in *in, bool *color_text, bool *color_check)
{
    uint8_t flags = fz_u8(in);
    *color_text = flags & 1;
    *color_check = flags & 2;
    const char *status = STATUSES[(flags >> 2) & 3];
    const char *source = SOURCES[(flags >> 4) & 7];

    struct text path = take(in, false), message = take(in, true);
    char *cpath = cstr(path), *cmsg = cstr(message);
    /* Known finding G1: grade.c packs the path and the message with "s:s",
     * which refuses invalid UTF-8 and loses the whole result. */
    if (fz_known("result-raw-strings")) {
        size_t n;
        char *p = expected_text(cpath, strlen(cpath), &n), *m = expected_text(cmsg, strlen(cmsg), &n);
        free(cpath);
        free(cmsg);
        cpath = p;
        cmsg = m;
    }
    json_t *r = grade_result_without_runs(&ctx, cpath, strcmp(status, "graded") == 0 ? "invalid" : status, cmsg);
    if (!r)
        fz_fail("grade_result_without_runs returned NULL (path %zu bytes, message %zu bytes%s)", strlen(cpath),
                strlen(cmsg),
                fz_valid_utf8(cpath, strlen(cpath)) && fz_valid_utf8(cmsg, strlen(cmsg)) ? "" : ", not valid UTF-8");
    /* G1 fixed: the result keeps the message, with invalid UTF-8 and NUL
     * replaced by U+FFFD as json_text promises. */
    size_t elen;
    char *emsg = expected_text(cmsg, strlen(cmsg), &elen);
    json_t *msg = json_object_get(r, "message");
    if (!json_is_string(msg) || strcmp(json_string_value(msg), emsg) != 0)
        fz_fail("the result's message is not the one given (with U+FFFD for what is not UTF-8)");
    free(emsg);
    free(cpath);
    free(cmsg);
    json_object_set_new(r, "status", json_string(status));
    if (strcmp(status, "graded") == 0)
        set_text(r, "message", message);

    /* Criteria. */
    json_t *criteria = json_object_get(r, "criteria");
    size_t ncrit = fz_u8(in) % 6;
    double score = 0;
    for (size_t i = 0; i < ncrit; i++) {
        uint8_t f = fz_u8(in);
        json_t *c = json_object();
        set_text(c, "id", take(in, false));
        set_text(c, "title", take(in, false));
        double max = fz_u8(in) / 4.0, pts = (f & 1) ? max : 0;
        json_object_set_new(c, "points", json_real(pts));
        json_object_set_new(c, "max_points", json_real(max));
        json_object_set_new(c, "passed", json_boolean(f & 1));
        json_object_set_new(c, "visibility", json_string(VISIBILITIES[(f >> 1) & 3]));
        set_text(c, "feedback", take(in, true));
        json_array_append_new(criteria, c);
        score += pts;
    }
    json_object_set_new(r, "score", json_real(score));

    /* Where the files came from. */
    json_t *sub = json_object_get(r, "submission");
    json_object_set_new(sub, "source", json_string(source));
    if (strcmp(source, "commit") == 0) {
        char id[41], first[41];
        struct text t = take(in, false);
        hex_of(t, id, sizeof id);
        hex_of(take(in, false), first, sizeof first);
        json_object_set_new(sub, "commit", json_string(id));
        json_object_set_new(sub, "commit_time", json_string("2026-11-20T23:59:00+01:00"));
        set_text(sub, "author", take(in, false));
        json_object_set_new(sub, "late", json_boolean(flags & 0x80));
        json_object_set_new(sub, "later_commits", json_integer(fz_u8(in)));
        if (flags & 0x40) {
            json_object_set_new(sub, "before", json_string("first"));
            json_object_set_new(sub, "first_commit", json_string(first));
            json_object_set_new(sub, "starter_modified", json_boolean(t.len & 1));
        }
    }

    /* What the runtime recorded, and the python that ran. */
    size_t nattempts = fz_u8(in) % 4;
    json_t *attempts = json_array();
    for (size_t i = 0; i < nattempts; i++) {
        json_t *a = json_object();
        json_object_set_new(a, "category", json_string("subprocess"));
        set_text(a, "detail", take(in, false));
        uint8_t line = fz_u8(in);
        json_object_set_new(a, "line", line ? json_integer(line) : json_null());
        json_object_set_new(a, "blocked", json_boolean(line & 1));
        json_array_append_new(attempts, a);
    }
    json_object_set_new(r, "attempts", attempts);
    json_t *py = json_object();
    set_text(py, "version", take(in, false));
    set_text(py, "executable", take(in, false));
    json_object_set_new(r, "python", py);
    json_t *iso = json_object();
    json_object_set_new(iso, "level", json_string(flags & 0x20 ? "full" : "degraded"));
    set_text(iso, "summary", take(in, false));
    json_object_set_new(r, "isolation", iso);

    /* The rest: a student's stdout, its statistics as the result lists them. */
    struct tm_stats stats;
    memset(&stats, 0, sizeof stats);
    if (tm_parse_buffer((const char *)in->p, in->left, &stats) != 0)
        fz_fail("tm_parse_buffer failed");
    json_t *arr = result_statistics_json(&stats);
    if (!arr || json_array_size(arr) != stats.len)
        fz_fail("result_statistics_json kept %zu of %zu statistics", arr ? json_array_size(arr) : 0, stats.len);
    for (size_t i = 0; i < stats.len; i++) {
        json_t *o = json_array_get(arr, i);
        size_t n;
        char *want = expected_text(stats.items[i].file, strlen(stats.items[i].file), &n);
        if (strcmp(json_string_value(json_object_get(o, "file")), want) != 0)
            fz_fail("statistic %zu: the file does not survive json_text", i);
        free(want);
    }
    json_t *runs = json_object_get(r, "runs");
    json_t *after = json_object();
    json_object_set_new(after, "statistics", arr);
    json_object_set_new(runs, "after", after);
    tm_stats_free(&stats);
    return r;
}

/* ---- rendering ---------------------------------------------------------- */

static char *render(json_t *r, int what, bool color, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    if (!f)
        abort();
    if (what == 0 && result_render_json(r, f) != 0)
        fz_fail("result_render_json failed");
    if (what == 1)
        result_render_text(r, f, color);
    if (what == 2)
        result_render_check(r, f, color);
    if (fclose(f) != 0)
        abort();
    return buf;
}

/* The text renderings go to a terminal: valid UTF-8, and no control
 * character but '\n' and '\t' (and our own colour codes when colour is
 * on); C1 controls (U+0080..U+009F) count, since xterm obeys them. */
static void check_terminal_text(const char *what, char *out, size_t len, bool color)
{
    static const char *const codes[] = {"\033[32m", "\033[31m", "\033[1m", "\033[0m"};
    if (color) {
        /* Blank out our own codes. */
        for (size_t i = 0; i < len; i++)
            for (size_t k = 0; k < sizeof codes / sizeof codes[0]; k++) {
                size_t n = strlen(codes[k]);
                if (len - i >= n && memcmp(out + i, codes[k], n) == 0)
                    memset(out + i, ' ', n);
            }
    }
    if (!fz_known("result-wrap-utf8") && !fz_valid_utf8(out, len))
        fz_fail("%s: the output is not valid UTF-8", what);
    if (fz_known("result-control-chars"))
        return;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)out[i];
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f)
            fz_fail("%s: control character 0x%02x at offset %zu", what, c, i);
        /* C1 controls (U+0080..U+009F: 0xC2 0x80..0x9F), which terminals
         * such as xterm also obey. */
        if (!fz_known("result-c1-controls") && c == 0xC2 && i + 1 < len && (unsigned char)out[i + 1] >= 0x80 &&
            (unsigned char)out[i + 1] <= 0x9F)
            fz_fail("%s: C1 control character U+%04X at offset %zu", what, (unsigned char)out[i + 1], i);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    bool color_text, color_check;
    nexpects = 0;
    json_t *r = build(&in, &color_text, &color_check);

    /* JSON round trip. */
    size_t len = 0;
    char *out = render(r, 0, false, &len);
    if (len == 0 || out[len - 1] != '\n')
        fz_fail("the JSON does not end with a newline");
    if (!fz_valid_utf8(out, len))
        fz_fail("the JSON is not valid UTF-8");
    json_error_t jerr;
    json_t *back = json_loadb(out, len, 0, &jerr);
    if (!back)
        fz_fail("the JSON written does not parse: %s (line %d)", jerr.text, jerr.line);
    if (!json_equal(back, r))
        fz_fail("the JSON read back differs from the result");
    for (size_t i = 0; i < nexpects; i++) {
        json_t *v = json_object_get(expects[i].holder, expects[i].key);
        if (!json_is_string(v) || json_string_length(v) != expects[i].want_len ||
            memcmp(json_string_value(v), expects[i].want, expects[i].want_len) != 0)
            fz_fail("text '%s' is not the input with invalid bytes replaced by U+FFFD", expects[i].key);
    }
    free(out);
    json_decref(back);

    /* The instructor's table. */
    out = render(r, 1, color_text, &len);
    check_terminal_text("result_render_text", out, len, color_text);
    free(out);

    /* The student's report, from the criteria they may see. */
    json_t *all = json_deep_copy(json_object_get(r, "criteria"));
    result_hide_criteria(r);
    json_t *shown = json_object_get(r, "criteria");
    size_t i, kept = 0, hidden = 0;
    double visible = 0, visible_max = 0;
    json_t *c;
    json_array_foreach(all, i, c) {
        if (strcmp(json_string_value(json_object_get(c, "visibility")), "visible") == 0) {
            if (!json_equal(json_array_get(shown, kept), c))
                fz_fail("result_hide_criteria changed or reordered visible criterion %zu", i);
            kept++;
            visible += json_number_value(json_object_get(c, "points"));
            visible_max += json_number_value(json_object_get(c, "max_points"));
        } else {
            hidden++;
        }
    }
    if (json_array_size(shown) != kept)
        fz_fail("result_hide_criteria kept %zu criteria, %zu are visible", json_array_size(shown), kept);
    if (json_integer_value(json_object_get(json_object_get(r, "hidden"), "count")) != (json_int_t)hidden)
        fz_fail("hidden.count is not the number of hidden criteria");
    if (json_number_value(json_object_get(r, "max_score")) != visible_max)
        fz_fail("max_score is not the visible maximum");
    if (strcmp(json_string_value(json_object_get(r, "status")), "graded") == 0 &&
        json_number_value(json_object_get(r, "score")) != visible)
        fz_fail("score is not the visible score");
    json_decref(all);
    out = render(r, 2, color_check, &len);
    check_terminal_text("result_render_check", out, len, color_check);
    free(out);

    for (size_t k = 0; k < nexpects; k++)
        free(expects[k].want);
    json_decref(r);
    return 0;
}
