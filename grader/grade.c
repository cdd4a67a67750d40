#include "grade.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "criteria.h"
#include "facts.h"
#include "gitsub.h"
#include "jsontext.h"
#include "paths.h"
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

/* What a repository gave: kept for the result and removed afterwards. */
struct git_source {
    bool used;
    struct gitsub g;
    char export_dir[PATH_MAX]; /* the commit's (or index's) files, or "" */
    char first_path[PATH_MAX]; /* the first committed entry file, or "" */
    bool starter_modified;
};

/* Our own exports hold no links and no student process ever ran in them. */
static void remove_tree(char *dir)
{
    if (dir[0])
        paths_remove_tree(dir);
    dir[0] = '\0';
}

static void git_source_free(struct git_source *gs)
{
    remove_tree(gs->export_dir);
    if (gs->first_path[0]) {
        char *slash = strrchr(gs->first_path, '/');
        *slash = '\0';
        remove_tree(gs->first_path);
    }
    if (gs->used)
        gitsub_free(&gs->g);
    gs->used = false;
}

static int make_temp_dir(char *out, size_t len, const char *what)
{
    const char *tmp = getenv("TMPDIR");
    /* The pid lets a later grader clean up after one that was killed
     * (paths_sweep_stale). */
    snprintf(out, len, "%s/grader-%s-%d-XXXXXX", tmp && tmp[0] == '/' ? tmp : "/tmp", what, (int)getpid());
    if (mkdtemp(out))
        return 0;
    out[0] = '\0';
    return -1;
}

static bool same_bytes(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    bool same = true;
    char buf[4096];
    size_t off = 0, n;
    while (same && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        same = off + n <= len && memcmp(buf, data + off, n) == 0;
        off += n;
    }
    fclose(f);
    return same && off == len;
}

/* Reads the repository at `path` as `src` says into gs (files exported to
 * a temporary folder).  Returns the submission status; msg says why not
 * OK.  GITSUB_UNTRUSTED and GITSUB_ERROR come back as SUBMISSION_ERROR. */
static enum submission_status read_repository(const struct rubric *rb, const char *path, const struct grade_source *src,
                                              struct git_source *gs, char *msg, size_t msglen)
{
    if (make_temp_dir(gs->export_dir, sizeof gs->export_dir, "export") < 0) {
        snprintf(msg, msglen, "cannot create a temporary folder for the repository's files: %s", strerror(errno));
        return SUBMISSION_ERROR;
    }
    struct gitsub_options o = {
        .source = src && src->index ? GITSUB_FROM_INDEX : GITSUB_FROM_COMMIT,
        .rev = src ? src->rev : NULL,
        .has_deadline = src && src->has_deadline,
        .deadline = src ? src->deadline : 0,
        .deadline_offset = src ? src->deadline_offset : 0,
        .want_first = src && src->before_first,
        .export_dir = gs->export_dir,
        .trust_owner = src && src->trust_owner,
        .index_path = src ? src->index_path : NULL,
    };
    gs->used = true;
    enum gitsub_status st = gitsub_open(path, rb->entry, &o, &gs->g, msg, msglen);
    switch (st) {
    case GITSUB_OK:
        break;
    case GITSUB_INVALID:
        return SUBMISSION_INVALID;
    case GITSUB_NOT_FOUND:
        return SUBMISSION_NOT_FOUND;
    case GITSUB_UNTRUSTED: {
        size_t n = strlen(msg);
        snprintf(msg + n, msglen - n,
                 ". If you trust it, grade it with --trust-owner: the grader never runs anything a repository "
                 "configures");
        return SUBMISSION_ERROR;
    }
    case GITSUB_ERROR:
    default:
        return SUBMISSION_ERROR;
    }
    if (src && src->before_first) {
        if (!gs->g.has_first) {
            snprintf(msg, msglen, "--before first: no commit on the first-parent history holds %s as a file",
                     rb->entry);
            return SUBMISSION_INVALID;
        }
        char dir[PATH_MAX];
        if (make_temp_dir(dir, sizeof dir, "first") < 0) {
            snprintf(msg, msglen, "cannot create a temporary folder: %s", strerror(errno));
            return SUBMISSION_ERROR;
        }
        snprintf(gs->first_path, sizeof gs->first_path, "%s/%s", dir, rb->entry);
        FILE *f = fopen(gs->first_path, "wbx");
        bool ok = f && fwrite(gs->g.first_entry, 1, gs->g.first_entry_len, f) == gs->g.first_entry_len;
        if (f && fclose(f) != 0)
            ok = false;
        if (!ok) {
            snprintf(msg, msglen, "cannot write %s: %s", gs->first_path, strerror(errno));
            return SUBMISSION_ERROR;
        }
        gs->starter_modified = !same_bytes(rb->baseline, gs->g.first_entry, gs->g.first_entry_len);
    }
    return SUBMISSION_OK;
}

/* submission.{source, commit, commit_time, author, late, later_commits,
 * before, first_commit, starter_modified}: every key always present. */
static void add_source_fields(json_t *result, const char *kind, const struct git_source *gs,
                              const struct grade_source *src)
{
    json_t *o = json_object_get(result, "submission");
    if (!json_is_object(o))
        return;
    const struct gitsub *g = gs && gs->used ? &gs->g : NULL;
    bool commit = g && g->has_commit;
    json_object_set_new(o, "source", json_string(kind));
    json_object_set_new(o, "commit", commit ? json_string(g->commit.id) : json_null());
    json_object_set_new(o, "commit_time", commit ? json_string(g->commit.time_iso) : json_null());
    json_t *author = json_null();
    if (commit) {
        size_t n = strlen(g->commit.author_name ? g->commit.author_name : "") +
                   strlen(g->commit.author_email ? g->commit.author_email : "") + 4;
        char *a = malloc(n);
        if (a) {
            snprintf(a, n, "%s <%s>", g->commit.author_name ? g->commit.author_name : "",
                     g->commit.author_email ? g->commit.author_email : "");
            author = json_text(a, strlen(a));
            free(a);
        }
    }
    json_object_set_new(o, "author", author);
    json_object_set_new(o, "late", commit && g ? json_boolean(g->late) : json_null());
    json_object_set_new(o, "later_commits", commit && g ? json_integer((json_int_t)g->later_commits) : json_null());
    bool first = src && src->before_first;
    json_object_set_new(o, "before", json_string(first ? "first" : "baseline"));
    json_object_set_new(o, "first_commit", g && first && g->has_first ? json_string(g->first.id) : json_null());
    json_object_set_new(o, "starter_modified",
                        g && first && g->has_first ? json_boolean(gs->starter_modified) : json_null());
}

/* The skeleton every result has, whatever its status. */
static json_t *result_new(const struct grade_context *ctx, const struct submission *sub, const char *status,
                          const char *message)
{
    const struct rubric *rb = ctx->rubric;
    /* Paths and messages come from the student's file names (and the
     * rubric's author): json_text keeps a result whose bytes are not UTF-8
     * instead of losing it (found by fuzzing). */
    const char *subpath = sub ? sub->path : NULL;
    json_t *r = json_pack(
        "{s:s, s:o, s:f, s:f, s:[], s:{}, s:{s:s, s:s, s:o}, s:{s:o, s:s?}, s:o, s:{s:s}}", "status", status, "message",
        json_text(message, strlen(message)), "score", 0.0, "max_score", rb->max_score, "criteria", "runs", "rubric",
        "id", rb->id, "sha256", rb->sha256, "path", json_text(rb->path, strlen(rb->path)), "submission", "path",
        subpath ? json_text(subpath, strlen(subpath)) : json_null(), "sha256", sub && sub->source ? sub->sha256 : NULL,
        "python",
        ctx->python ? json_pack("{s:s, s:s, s:s}", "executable", ctx->python->executable, "version",
                                ctx->python->version, "site_packages", rb->site_packages ? "visible" : "hidden")
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
        /* Feedback quotes the student's output and names: json_text never
         * lets a byte that is not UTF-8 drop the criterion. */
        json_array_append_new(arr, json_pack("{s:s, s:s, s:f, s:f, s:b, s:s, s:o}", "id", c->id, "title", c->title,
                                             "points", cr[i].points, "max_points", c->points, "passed", cr[i].passed,
                                             "visibility", rubric_visibility_name(c->visibility), "feedback",
                                             json_text(cr[i].feedback, strlen(cr[i].feedback))));
        score += cr[i].points;
    }
    json_object_set_new(result, "score", json_real(score));
}

static void set_message(json_t *result, const char *fmt_status, const char *msg)
{
    json_object_set_new(result, "status", json_string(fmt_status));
    json_object_set_new(result, "message", json_text(msg, strlen(msg)));
}

json_t *grade_result_without_runs(const struct grade_context *ctx, const char *path, const char *status,
                                  const char *message)
{
    struct submission sub;
    memset(&sub, 0, sizeof sub);
    sub.path = (char *)path;
    json_t *r = result_new(ctx, &sub, status, message);
    add_source_fields(r, "folder", NULL, ctx->source);
    return r;
}

enum grade_exit grade_submission(const struct grade_context *ctx, const char *path, json_t **result, char *err,
                                 size_t errlen)
{
    const struct rubric *rb = ctx->rubric;
    const struct grade_source *src = ctx->source;
    struct submission sub;
    struct git_source gs;
    memset(&sub, 0, sizeof sub);
    memset(&gs, 0, sizeof gs);
    char msg[2048];
    *result = NULL;

    bool repo = gitsub_is_repository(path) && !(src && src->worktree);
    if (!repo && src && (src->rev || src->has_deadline || src->before_first || src->index)) {
        snprintf(err, errlen, "%s is not a git repository: --rev, --deadline, --before first and --index need one",
                 path);
        return GRADE_EXIT_USAGE;
    }
    const char *kind = src && src->worktree && gitsub_is_repository(path) ? "worktree" : "folder";
    enum submission_status st;
    if (repo) {
        kind = src && src->index ? "index" : "commit";
        st = read_repository(rb, path, src, &gs, msg, sizeof msg);
        if (st == SUBMISSION_OK) {
            st = submission_open(gs.export_dir, rb->entry, &sub, msg, sizeof msg);
            /* The result names what was given, not our temporary copy. */
            char *given = strdup(gs.g.path ? gs.g.path : path);
            if (given) {
                free(sub.path);
                sub.path = given;
            }
        } else if (st != SUBMISSION_NOT_FOUND) {
            sub.path = strdup(gs.g.path ? gs.g.path : path);
        }
    } else {
        st = submission_open(path, rb->entry, &sub, msg, sizeof msg);
        if (st == SUBMISSION_OK && !sub.dir)
            kind = "file";
    }
    if (st == SUBMISSION_NOT_FOUND) {
        snprintf(err, errlen, "no such submission: %s", msg);
        submission_free(&sub);
        git_source_free(&gs);
        return GRADE_EXIT_USAGE;
    }
    if (st != SUBMISSION_OK) {
        *result = result_new(ctx, &sub, st == SUBMISSION_INVALID ? "invalid" : "error", msg);
        add_source_fields(*result, kind, &gs, src);
        submission_free(&sub);
        git_source_free(&gs);
        return st == SUBMISSION_INVALID ? GRADE_EXIT_VERDICT : GRADE_EXIT_INTERNAL;
    }
    if (!ctx->python) {
        *result = result_new(ctx, &sub, "error", ctx->python_error ? ctx->python_error : "no Python interpreter");
        add_source_fields(*result, kind, &gs, src);
        submission_free(&sub);
        git_source_free(&gs);
        return GRADE_EXIT_INTERNAL;
    }

    struct run_record records[RUN_KINDS];
    struct runs_config cfg = {
        .python = ctx->python,
        .probe_script = ctx->probe_script,
        .probe_code = ctx->probe_code,
        .require_full = ctx->require_full,
        .disable = ctx->sandbox_disable,
        .rubric = rb,
        .submission = &sub,
        .baseline = gs.first_path[0] ? gs.first_path : NULL,
        .shared_before = gs.first_path[0] ? NULL : ctx->shared_before,
    };
    enum grade_exit rc = GRADE_EXIT_VERDICT;
    if (runs_execute(&cfg, records, msg, sizeof msg) < 0) {
        *result = result_new(ctx, &sub, "error", msg);
        add_source_fields(*result, kind, &gs, src);
        runs_free(records);
        submission_free(&sub);
        git_source_free(&gs);
        return GRADE_EXIT_INTERNAL;
    }

    char *baseline_source = read_small_file(cfg.baseline ? cfg.baseline : rb->baseline);
    json_t *facts = facts_build(rb, &sub, baseline_source, records);
    *result = result_new(ctx, &sub, "graded", "");
    if (*result)
        add_source_fields(*result, kind, &gs, src);
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
    const struct sandbox_result *asb = &records[RUN_AFTER_KIND].sb;
    if (!rb->site_packages && asb->nlayers > SANDBOX_LAYER_MINIMAL_ROOT &&
        !asb->layers[SANDBOX_LAYER_MINIMAL_ROOT].active)
        json_object_set_new(json_object_get(*result, "python"), "site_packages",
                            json_string("visible: without the sandbox's minimal root they cannot be hidden"));
    /* The channel's token authenticated the record; it is a secret of one
     * run, not a fact, and would make every result differ. */
    json_object_del(json_object_get(facts, "probe"), "token");
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

    if (!json_is_true(facts_lookup(facts, "tracemalloc.baseline_shows_leak")) && cfg.baseline) {
        /* The student's own first version is the "before": that it does
         * not leak is a fact about the submission, not a grader failure. */
        snprintf(msg, sizeof msg,
                 "--before first: your first committed %s (commit %.12s) does not show the leak, so there is "
                 "nothing to compare your fix against; grade with --before baseline",
                 rb->entry, gs.g.first.id);
        set_message(*result, "invalid", msg);
        goto out;
    }
    if (!json_is_true(facts_lookup(facts, "tracemalloc.baseline_shows_leak"))) {
        const struct sandbox_result *b = &records[RUN_BEFORE_KIND].sb;
        snprintf(msg, sizeof msg,
                 "the baseline (the lesson's original %s, %s) did not show the leak with Python %s (%s): "
                 "exit code %d, %zu tracemalloc statistics, none of them memory still held by %s. "
                 "Grading against it would mean nothing; check that this interpreter is CPython with tracemalloc, "
                 "and that the baseline file is the lesson's.%s%.300s",
                 rb->entry, rb->baseline, ctx->python->version, ctx->python->executable, b->exit_code,
                 records[RUN_BEFORE_KIND].stats.len, rb->entry, b->err.len ? " Its stderr ends: " : "",
                 b->err.data && b->err.len > 300 ? b->err.data + b->err.len - 300 : (b->err.data ? b->err.data : ""));
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
    json_object_set_new(*result, "message", json_text(msg, strlen(msg)));
    criteria_free(cr, rb->ncriteria);
    free(cr);
out:
    json_decref(facts);
    free(baseline_source);
    runs_free(records);
    submission_free(&sub);
    git_source_free(&gs);
    return rc;
}
