#include "grade.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "criteria.h"
#include "facts.h"
#include "result.h"
#include "runs.h"
#include "submission.h"

static char *read_small_file(const char *path)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat st;
    if (fstat(fd, &st) < 0 || st.st_size > SUBMISSION_MAX_SOURCE) {
        close(fd);
        return NULL;
    }
    char *buf = malloc((size_t)st.st_size + 1);
    ssize_t n = buf ? read(fd, buf, (size_t)st.st_size) : -1;
    close(fd);
    if (n < 0) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* The skeleton every result has, whatever its status. */
static json_t *result_new(const struct grade_context *ctx, const struct submission *sub, const char *status,
                          const char *message)
{
    const struct rubric *rb = ctx->rubric;
    json_t *r = json_pack("{s:s, s:s, s:f, s:f, s:[], s:{}, s:{s:s, s:s, s:s}, s:{s:s?, s:s?}, s:o, s:{s:s}}",
                          "status", status, "message", message, "score", 0.0, "max_score", rb->max_score,
                          "criteria", "runs", "rubric", "id", rb->id, "sha256", rb->sha256, "path", rb->path,
                          "submission", "path", sub ? sub->path : NULL, "sha256",
                          sub && sub->source ? sub->sha256 : NULL, "python",
                          ctx->python ? json_pack("{s:s, s:s}", "executable", ctx->python->executable, "version",
                                                  ctx->python->version)
                                      : json_null(),
                          "grader", "version", GRADER_VERSION);
    return r;
}

static json_t *run_json(const struct run_record *rec, json_t *facts, const char *name)
{
    char path[32];
    snprintf(path, sizeof path, "runs.%s", name);
    json_t *r = json_deep_copy(facts_lookup(facts, path));
    if (!json_is_object(r)) {
        json_decref(r);
        return json_null();
    }
    json_object_set_new(r, "statistics", result_statistics_json(&rec->stats));
    json_object_set_new(r, "isolation", result_isolation_json(&rec->sb));
    return r;
}

static void add_criteria(json_t *result, const struct rubric *rb, const struct criterion_result *cr)
{
    json_t *arr = json_object_get(result, "criteria");
    double score = 0;
    for (size_t i = 0; i < rb->ncriteria; i++) {
        const struct rubric_criterion *c = &rb->criteria[i];
        json_array_append_new(arr, json_pack("{s:s, s:s, s:f, s:f, s:b, s:s, s:s}", "id", c->id, "title", c->title,
                                             "points", cr[i].points, "max_points", c->points, "passed",
                                             cr[i].passed, "visibility", rubric_visibility_name(c->visibility),
                                             "feedback", cr[i].feedback));
        score += cr[i].points;
    }
    json_object_set_new(result, "score", json_real(score));
}

static void set_message(json_t *result, const char *fmt_status, const char *msg)
{
    json_object_set_new(result, "status", json_string(fmt_status));
    json_object_set_new(result, "message", json_string(msg));
}

enum grade_exit grade_submission(const struct grade_context *ctx, const char *path, json_t **result, char *err,
                                 size_t errlen)
{
    const struct rubric *rb = ctx->rubric;
    struct submission sub;
    char msg[2048];
    *result = NULL;
    enum submission_status st = submission_open(path, rb->entry, &sub, msg, sizeof msg);
    if (st == SUBMISSION_NOT_FOUND) {
        snprintf(err, errlen, "no such submission: %s", msg);
        submission_free(&sub);
        return GRADE_EXIT_USAGE;
    }
    if (st != SUBMISSION_OK) {
        *result = result_new(ctx, &sub, st == SUBMISSION_INVALID ? "invalid" : "error", msg);
        submission_free(&sub);
        return st == SUBMISSION_INVALID ? GRADE_EXIT_VERDICT : GRADE_EXIT_INTERNAL;
    }
    if (!ctx->python) {
        *result = result_new(ctx, &sub, "error", ctx->python_error ? ctx->python_error : "no Python interpreter");
        submission_free(&sub);
        return GRADE_EXIT_INTERNAL;
    }

    struct run_record records[RUN_KINDS];
    struct runs_config cfg = {
        .python = ctx->python, .probe_script = ctx->probe_script, .probe_code = ctx->probe_code, .require_full = ctx->require_full, .disable = ctx->sandbox_disable, .rubric = rb, .submission = &sub};
    enum grade_exit rc = GRADE_EXIT_VERDICT;
    if (runs_execute(&cfg, records, msg, sizeof msg) < 0) {
        *result = result_new(ctx, &sub, "error", msg);
        runs_free(records);
        submission_free(&sub);
        return GRADE_EXIT_INTERNAL;
    }

    char *baseline_source = read_small_file(rb->baseline);
    json_t *facts = facts_build(rb, &sub, baseline_source, records);
    *result = result_new(ctx, &sub, "graded", "");
    if (!facts || !*result) {
        snprintf(err, errlen, "out of memory");
        rc = GRADE_EXIT_INTERNAL;
        goto out;
    }
    json_t *runs = json_object_get(*result, "runs");
    json_object_set_new(runs, "before", run_json(&records[RUN_BEFORE_KIND], facts, "before"));
    json_object_set_new(runs, "after", run_json(&records[RUN_AFTER_KIND], facts, "after"));
    json_object_set_new(runs, "probe", run_json(&records[RUN_PROBE_KIND], facts, "probe"));
    json_t *after = json_object_get(runs, "after");
    if (json_is_object(after)) {
        json_object_set(after, "facts", json_object_get(facts, "probe"));
        json_object_set(*result, "isolation", json_object_get(after, "isolation"));
    }
    json_object_set(*result, "tracemalloc", json_object_get(facts, "tracemalloc"));
    /* What the submission tried (network, processes, writes outside its
     * folder, ctypes), from the runtime's audit hook: shown to instructors
     * even when the sandbox stopped it. */
    json_t *attempts = facts_lookup(facts, "probe.attempts");
    json_object_set_new(*result, "attempts", json_is_array(attempts) ? json_deep_copy(attempts) : json_array());
    if (!records[RUN_PROBE_KIND].probe)
        json_object_set_new(*result, "probe_error", json_string(records[RUN_PROBE_KIND].probe_error));

    if (!json_is_true(facts_lookup(facts, "tracemalloc.baseline_shows_leak"))) {
        const struct sandbox_result *b = &records[RUN_BEFORE_KIND].sb;
        snprintf(msg, sizeof msg,
                 "the baseline (the lesson's original %s, %s) did not show the leak with Python %s (%s): "
                 "exit code %d, %zu tracemalloc statistics, none of them memory still held by %s. "
                 "Grading against it would mean nothing; check that this interpreter is CPython with tracemalloc, "
                 "and that the baseline file is the lesson's.%s%.300s",
                 rb->entry, rb->baseline, ctx->python->version, ctx->python->executable, b->exit_code,
                 records[RUN_BEFORE_KIND].stats.len, rb->entry, b->err.len ? " Its stderr ends: " : "",
                 b->err.len > 300 ? b->err.data + b->err.len - 300 : (b->err.data ? b->err.data : ""));
        set_message(*result, "error", msg);
        rc = GRADE_EXIT_INTERNAL;
        goto out;
    }

    struct criteria_input in = {.facts = facts, .source = sub.source, .source_len = sub.source_len};
    for (int run = 0; run < 2; run++) {
        const struct sandbox_result *sb = &records[run == RUN_AFTER ? RUN_AFTER_KIND : RUN_BEFORE_KIND].sb;
        in.output[run][STREAM_STDOUT] = sb->out.data;
        in.output_len[run][STREAM_STDOUT] = sb->out.len;
        in.output[run][STREAM_STDERR] = sb->err.data;
        in.output_len[run][STREAM_STDERR] = sb->err.len;
    }
    struct criterion_result *cr = calloc(rb->ncriteria ? rb->ncriteria : 1, sizeof *cr);
    if (!cr || criteria_evaluate(rb, &in, cr) < 0) {
        free(cr);
        set_message(*result, "error", "out of memory while scoring");
        rc = GRADE_EXIT_INTERNAL;
        goto out;
    }
    add_criteria(*result, rb, cr);
    size_t passed = 0;
    for (size_t i = 0; i < rb->ncriteria; i++)
        passed += cr[i].passed;
    snprintf(msg, sizeof msg, "%zu of %zu criteria passed", passed, rb->ncriteria);
    json_object_set_new(*result, "message", json_string(msg));
    criteria_free(cr, rb->ncriteria);
    free(cr);
out:
    json_decref(facts);
    free(baseline_source);
    runs_free(records);
    submission_free(&sub);
    return rc;
}
