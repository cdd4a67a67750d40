/* fuzz_rubric.c: rubric_load (grader/rubric.h) on arbitrary file contents.
 *
 * The input is written to <tmp>/rubric.yaml; <tmp>/baselines/leaky_app.py
 * (the lesson's baseline) and the folder <tmp>/baselines/dir exist, so a
 * rubric naming baselines/leaky_app.py can load.
 *
 * Expectations:
 *   failure: *rubric left zeroed, and the message is one line,
 *            "<path>:<line>:<column>: <message>" (line, column >= 1) or
 *            "<path>: <message>", with no control character (the loader
 *            escapes what the author wrote);
 *   success: every field the header promises: ids of [a-z0-9_-], a plain
 *            entry name, an absolute baseline that is a regular file,
 *            at least one criterion and one check each, unique criterion
 *            ids, finite points adding up to max_score, positive limits,
 *            compiled patterns, valid fact paths, and a fact value that is
 *            JSON jansson reads back (criteria.c parses it at every
 *            grading); the sha256 is the input's. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include "digest.h"
#include "fuzz_common.h"
#include "rubric.h"

#include <jansson.h>
#include <math.h>
#include <pcre2.h>

#define ERR_LEN 1024 /* as main.c's load_rubric */

static char rubric_path[PATH_MAX];
static pcre2_match_context *mctx;

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// NOLINTNEXTLINE(readability-non-const-parameter): the signature libFuzzer calls
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *dir = fz_tmpdir("rubric");
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/baselines", dir);
    if (mkdir(p, 0755) < 0)
        fz_fail("mkdir %s: %s", p, strerror(errno));
    snprintf(p, sizeof p, "%s/baselines/dir", dir);
    if (mkdir(p, 0755) < 0)
        fz_fail("mkdir %s: %s", p, strerror(errno));
    /* The lesson's baseline, found from the working directory (run.sh runs
     * from the top of the tree) or from GRADER_SOURCE_DIR. */
    const char *src = getenv("GRADER_SOURCE_DIR");
    char from[PATH_MAX];
    snprintf(from, sizeof from, "%s/rubrics/baselines/leaky_app.py", src && *src ? src : ".");
    size_t len = 0;
    char *baseline = fz_read_file(from, &len);
    if (!baseline)
        fz_fail("cannot read %s: run from the top of the source tree or set GRADER_SOURCE_DIR", from);
    snprintf(p, sizeof p, "%s/baselines/leaky_app.py", dir);
    fz_write_file(p, baseline, len, 0644);
    free(baseline);
    snprintf(rubric_path, sizeof rubric_path, "%s/rubric.yaml", dir);
    mctx = pcre2_match_context_create(NULL);
    pcre2_set_match_limit(mctx, 20000);
    pcre2_set_depth_limit(mctx, 2000);
    return 0;
}

static bool all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

static void check_error(const char *err)
{
    size_t plen = strlen(rubric_path);
    if (!memchr(err, '\0', ERR_LEN))
        fz_fail("the message is not NUL-terminated");
    if (strncmp(err, rubric_path, plen) != 0 || err[plen] != ':')
        fz_fail("the message does not start with \"<path>:\": %s", err);
    const char *p = err + plen + 1;
    if (*p >= '0' && *p <= '9') {
        char *e;
        long line = strtol(p, &e, 10);
        if (*e != ':' || line < 1)
            fz_fail("malformed line number in: %s", err);
        p = e + 1;
        long col = strtol(p, &e, 10);
        if (e == p || *e != ':' || col < 1)
            fz_fail("malformed column number in: %s", err);
        p = e + 1;
    }
    if (p[0] != ' ' || p[1] == '\0' || p[1] == ' ')
        fz_fail("no message after the position in: %s", err);
    /* Known finding R1: read_baseline prints the joined baseline path raw. */
    if (fz_known("rubric-baseline-path") && strstr(p, " (looked for "))
        return;
    if (fz_known("rubric-baseline-path") && (strstr(p, "cannot be read (") || strstr(p, "is not a regular file (")))
        return;
    for (const unsigned char *c = (const unsigned char *)p; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            fz_fail("control character 0x%02x in the message: %s", *c, err);
}

static bool valid_id(const char *s)
{
    return s && *s && s[strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-")] == '\0';
}

static bool valid_fact_path(const char *s)
{
    bool empty = true;
    for (; *s; s++) {
        if (*s == '.') {
            if (empty)
                return false;
            empty = true;
        } else if ((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_') {
            empty = false;
        } else {
            return false;
        }
    }
    return !empty;
}

static void check_rubric(const struct rubric *r, const uint8_t *data, size_t size)
{
    char hex[DIGEST_HEX_LEN];
    digest_sha256_hex(data, size, hex);
    if (!r->path || strcmp(r->path, rubric_path) != 0)
        fz_fail("path is not the one given");
    if (!r->sha256 || strcmp(r->sha256, hex) != 0)
        fz_fail("sha256 is not the input's");
    if (!valid_id(r->id))
        fz_fail("invalid rubric id accepted");
    if (!r->title || !*r->title)
        fz_fail("empty title accepted");
    if (!r->entry || !*r->entry || strchr(r->entry, '/') || !strcmp(r->entry, ".") || !strcmp(r->entry, ".."))
        fz_fail("entry is not a plain file name: '%s'", r->entry ? r->entry : "(null)");
    for (const unsigned char *c = (const unsigned char *)r->entry; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            fz_fail("control character in the entry name");
    struct stat st;
    if (!r->baseline || r->baseline[0] != '/' || stat(r->baseline, &st) != 0 || !S_ISREG(st.st_mode))
        fz_fail("baseline is not an absolute path to a regular file: %s", r->baseline ? r->baseline : "(null)");
    const struct rubric_limits *l = &r->limits;
    if (!(l->cpu_seconds > 0) || !(l->wall_seconds > 0) || !(l->memory_mb > 0) || !(l->file_size_mb > 0) ||
        !(l->output_kb > 0) || !isfinite(l->cpu_seconds) || !isfinite(l->wall_seconds) || !isfinite(l->memory_mb) ||
        !isfinite(l->file_size_mb) || !isfinite(l->output_kb) || l->processes < 1)
        fz_fail("a limit is not a positive finite number");
    if (r->guard_block >> 4)
        fz_fail("unknown guard bits 0x%x", r->guard_block);
    if (r->ncriteria < 1 || !r->criteria)
        fz_fail("a rubric without criteria was accepted");
    double sum = 0;
    for (size_t i = 0; i < r->ncriteria; i++) {
        const struct rubric_criterion *c = &r->criteria[i];
        if (!valid_id(c->id))
            fz_fail("invalid criterion id accepted");
        for (size_t j = 0; j < i; j++)
            if (strcmp(r->criteria[j].id, c->id) == 0)
                fz_fail("duplicate criterion id '%s' accepted", c->id);
        if (!c->title || !*c->title)
            fz_fail("criterion without a title accepted");
        if (!isfinite(c->points) || c->points < 0)
            fz_fail("criterion %s: points %g", c->id, c->points);
        if (strcmp(rubric_visibility_name(c->visibility), "unknown") == 0)
            fz_fail("criterion %s: visibility out of range", c->id);
        if (c->line < 1 || c->column < 1)
            fz_fail("criterion %s: position %d:%d", c->id, c->line, c->column);
        sum += c->points;
        if (c->nchecks < 1 || !c->checks)
            fz_fail("criterion %s without checks accepted", c->id);
        for (size_t k = 0; k < c->nchecks; k++) {
            const struct rubric_check *ck = &c->checks[k];
            if (strcmp(rubric_check_kind_name(ck->kind), "unknown") == 0 ||
                strcmp(rubric_run_name(ck->run), "unknown") == 0 ||
                strcmp(rubric_stream_name(ck->stream), "unknown") == 0 ||
                strcmp(rubric_tm_condition_name(ck->condition), "unknown") == 0 ||
                strcmp(rubric_cmp_name(ck->cmp), "unknown") == 0)
                fz_fail("criterion %s, check %zu: an enum out of range", c->id, k);
            if (ck->line < 1 || ck->column < 1)
                fz_fail("criterion %s, check %zu: position %d:%d", c->id, k, ck->line, ck->column);
            switch (ck->kind) {
            case CHECK_OUTPUT:
            case CHECK_SOURCE: {
                if (!ck->pattern || !ck->code)
                    fz_fail("criterion %s, check %zu: a pattern check without a compiled pattern", c->id, k);
                /* Compiled with MATCH_INVALID_UTF: any bytes are a safe subject. */
                pcre2_match_data *md = pcre2_match_data_create_from_pattern(ck->code, NULL);
                if (!md)
                    fz_fail("out of memory");
                (void)pcre2_match(ck->code, (PCRE2_SPTR)data, size, 0, 0, md, mctx);
                pcre2_match_data_free(md);
                break;
            }
            case CHECK_FACT: {
                if (!ck->fact || !valid_fact_path(ck->fact))
                    fz_fail("criterion %s, check %zu: invalid fact path accepted", c->id, k);
                if (!ck->value_json)
                    fz_fail("criterion %s, check %zu: a fact check without a value", c->id, k);
                json_error_t jerr;
                json_t *v = json_loads(ck->value_json, JSON_DECODE_ANY, &jerr);
                /* Known finding R2: a string value holding NUL becomes "\u0000". */
                if (!v && fz_known("rubric-nul-value") && strstr(ck->value_json, "\\u0000"))
                    break;
                if (!v)
                    fz_fail(
                        "criterion %s, check %zu: value_json %s is not JSON jansson reads (%s), so the "
                        "check can never pass",
                        c->id, k, ck->value_json, jerr.text);
                if ((ck->cmp == CMP_AT_LEAST || ck->cmp == CMP_AT_MOST) && !json_is_number(v))
                    fz_fail("criterion %s, check %zu: a bound that is not a number: %s", c->id, k, ck->value_json);
                json_decref(v);
                break;
            }
            case CHECK_TRACEMALLOC:
                if (ck->at_least < 0)
                    fz_fail("criterion %s, check %zu: at_least %ld", c->id, k, ck->at_least);
                break;
            case CHECK_EXIT_STATUS:
                break;
            }
        }
    }
    if (sum != r->max_score)
        fz_fail("max_score %g is not the sum of the points %g", r->max_score, sum);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_write_file(rubric_path, data, size, 0644);
    struct rubric r;
    memset(&r, 0xAA, sizeof r);
    char *err = malloc(ERR_LEN);
    if (!err)
        abort();
    memset(err, 0x55, ERR_LEN);
    if (rubric_load(rubric_path, &r, err, ERR_LEN) == 0) {
        check_rubric(&r, data, size);
    } else {
        if (!all_zero(&r, sizeof r))
            fz_fail("rubric_load failed but left fields set");
        check_error(err);
    }
    rubric_free(&r);
    rubric_free(&r);
    free(err);
    return 0;
}
