/* grade.h: one submission, end to end.
 *
 *   submission -> runs -> facts -> criteria -> result
 *
 * Each stage only reads what the one before produced; this file is the
 * only place that knows all of them. */
#ifndef GRADER_GRADE_H
#define GRADER_GRADE_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "python.h"
#include "rubric.h"

/* Exit statuses of `grader grade`, documented in --help and README. */
enum grade_exit {
    GRADE_EXIT_VERDICT = 0,  /* a verdict: graded or invalid, whatever the score */
    GRADE_EXIT_USAGE = 2,    /* bad usage or bad input to the grader itself */
    GRADE_EXIT_INTERNAL = 3, /* the grader failed: sandbox, baseline, interpreter */
};

/* Where a submission's files come from.  A git repository is read from
 * its object store at a commit (gitsub.h) unless `worktree` says to take
 * the folder as it is on disk; the other fields need a repository. */
struct run_record;

struct grade_source {
    const char *rev;   /* a revision instead of HEAD, or NULL */
    bool has_deadline; /* the last first-parent commit not after: */
    time_t deadline;
    int deadline_offset;    /* minutes east of UTC, for messages */
    bool before_first;      /* the before run is the student's first
                               committed version, not the baseline */
    bool worktree;          /* the folder on disk, even in a repository */
    bool index;             /* the staged content (pre-commit hooks) */
    const char *index_path; /* with index: this index file instead of the
                               repository's (a hook's GIT_INDEX_FILE) */
    bool trust_owner;       /* read a repository owned by another user */
};

struct grade_context {
    const struct rubric *rubric;
    const struct python_info *python; /* NULL when it could not be resolved */
    const char *python_error;         /* why, when python is NULL */
    const char *probe_script;
    const char *probe_code;                 /* NULL, or the precompiled runtime */
    bool require_full;                      /* --isolation strict */
    unsigned sandbox_disable;               /* GRADER_SANDBOX_DISABLE */
    const struct grade_source *source;      /* NULL: HEAD of a repository, else the folder */
    const struct run_record *shared_before; /* a batch's baseline run, reused
                                           (ignored with --before first) */
};

/* A result with no runs, for a submission that could not even be opened
 * (a batch turns every failure into a row): status "invalid" or "error". */
json_t *grade_result_without_runs(const struct grade_context *ctx, const char *path, const char *status,
                                  const char *message);

/* Grades `path`.  Returns the exit status; *result is the result object
 * for every status but GRADE_EXIT_USAGE (when `err` says what was wrong). */
enum grade_exit grade_submission(const struct grade_context *ctx, const char *path, json_t **result, char *err,
                                 size_t errlen);
#endif
