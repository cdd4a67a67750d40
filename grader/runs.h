/* runs.h: the three sandboxed runs behind one verdict.
 *
 *   before  the rubric's baseline (the lesson's original leaky_app.py), unprobed:
 *           proves this interpreter shows the leak at all;
 *   after   the submission as the student would run it, unprobed: the
 *           printed output and tracemalloc report we grade;
 *   probe   the submission under the bundled runtime, whose record says who
 *           freed Game and Player objects and what kept them alive.
 *
 * The probe changes tracemalloc attribution by a free-list block here and
 * there (sandbox/runtime/PROTOCOL.md §5), which is why printed output is
 * never taken from it; the two runs must still agree (facts.c,
 * observation).  The three runs are independent and start
 * together, so grading costs about one run of wall time on two cores. */
#ifndef GRADER_RUNS_H
#define GRADER_RUNS_H
#include <jansson.h>
#include <stdbool.h>

#include "python.h"
#include "rubric.h"
#include "sandbox.h"
#include "submission.h"
#include "tracemalloc.h"

enum run_kind { RUN_BEFORE_KIND, RUN_AFTER_KIND, RUN_PROBE_KIND, RUN_KINDS };

struct run_record {
    const char *name; /* "before", "after", "probe" */
    bool started;     /* sandbox_run returned 0 */
    struct sandbox_result sb;
    struct tm_stats stats; /* statistics parsed from stdout */
    json_t *probe;         /* probe run only: the runtime's record, or NULL */
    char probe_error[256]; /* why there is no record */
    bool borrowed;         /* a copy of runs_config.shared_before: runs_free leaves it */
};

struct runs_config {
    const struct python_info *python;
    const char *probe_script;
    const char *probe_code; /* NULL, or the runtime precompiled (probe_cache.h) */
    bool require_full;      /* refuse to run without every isolation layer */
    unsigned disable;       /* SANDBOX_NO_* layers forced off (GRADER_SANDBOX_DISABLE) */
    const struct rubric *rubric;
    const struct submission *submission;
    const char *baseline;                   /* the before run's entry file: NULL for the
                                               rubric's baseline, or the student's first
                                               committed version (--before first) */
    const struct run_record *shared_before; /* a batch's one before run of the
                                   rubric's baseline, reused (read-only) instead
                                   of running it again; NULL: run it */
    bool before_only;                       /* run the before run alone (submission may be
                                               NULL): what a batch shares */
};

/* Runs all three (or what shared_before and before_only leave).  Returns 0 when every run started (whatever each run's
 * outcome), -1 with a message when the sandbox itself failed. */
int runs_execute(const struct runs_config *cfg, struct run_record records[RUN_KINDS], char *err, size_t errlen);
void runs_free(struct run_record records[RUN_KINDS]);

/* Finds "GRADER-PROBE <token> {json}" alone on a line in the runtime's
 * channel (bytes the submission may also have written: anything goes) and
 * parses it.  A record with another token, or text around it, is ignored;
 * two records with the token mean the submission forged one, and none is
 * trusted.  Returns the record (an object), or NULL with why set. */
json_t *runs_parse_channel(const char *data, size_t len, bool truncated, const char *token, char *why, size_t whylen);
#endif
