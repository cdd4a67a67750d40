/* batch.h: grade a whole class, in parallel, without ever losing a result.
 *
 *   paths -> submissions (one id each) -> [shard] -> workers:
 *       cached?  reuse : grade (the baseline run shared by all)
 *       -> one line appended to OUTDIR/results.jsonl, fsync'ed
 *   -> results.jsonl rewritten in id order -> reports (report.h)
 *
 * Each result is on disk the moment it is known, so a batch killed at any
 * point is finished by running it again with `resume`: rows already there
 * are kept, never redone or duplicated (a half-written last line is
 * dropped).  Results are also kept in OUTDIR/cache/ under a key of
 * everything they depend on (the submission's content, the rubric, the
 * interpreter, the grader's version, the source options), so a re-run
 * regrades only what changed.  A submission that cannot be graded is a
 * row with status "invalid" or "error", never the end of the batch. */
#ifndef GRADER_BATCH_H
#define GRADER_BATCH_H
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>

#include "grade.h"

struct batch_item {
    char *id;   /* the student id: the folder's or repository's name, made safe */
    char *path; /* what is graded */
};

/* Turns PATH arguments into submissions.  A PATH that is a submission (a
 * git repository, a folder holding the rubric's entry file, or a file) is
 * one, named after its folder; any other folder is a folder of
 * submissions, one per entry (hidden entries skipped), as a GitHub
 * Classroom clone leaves them.  Ids keep [A-Za-z0-9._-] (other bytes
 * become '_', a ".git" suffix goes); two submissions with one id are
 * refused.  Sorted by id.  0, or -1 with err set. */
int batch_discover(const char *const *paths, size_t npaths, const char *entry, struct batch_item **items, size_t *count,
                   char *err, size_t errlen);
void batch_items_free(struct batch_item *items, size_t count);

/* Whether `id` falls in shard k of n (1 <= k <= n): a stable hash of the
 * id, so every machine splits the class the same way. */
bool batch_in_shard(const char *id, unsigned k, unsigned n);

struct batch_options {
    const struct grade_context *ctx; /* rubric, interpreter, sandbox, source */
    const struct batch_item *items;
    size_t count;
    const char *outdir;
    const char *cache_dir;       /* NULL: OUTDIR/cache; shards of one class may share one */
    unsigned jobs;               /* workers; 0: one per core */
    bool resume;                 /* keep the rows results.jsonl already has */
    bool auto_strict;            /* refuse degraded runs once the baseline ran
                                    with full isolation */
    bool progress_bar;           /* a bar on a terminal, else periodic lines */
    FILE *log;                   /* progress and notes */
    volatile sig_atomic_t *stop; /* set (by a signal handler): finish what runs, start nothing */
};

struct batch_summary {
    size_t total; /* submissions in this batch (this shard) */
    size_t done;  /* rows in results.jsonl at the end */
    size_t graded, invalid, errors;
    size_t from_cache; /* reused without running */
    size_t resumed;    /* rows kept from an earlier run */
    bool interrupted;
    bool strict; /* ran in strict isolation */
};

/* Runs the batch.  With `resume`, the rows already there must come from
 * the same rubric, interpreter and grader version, or it refuses.  0 when it ran (whatever the verdicts, interrupted or
 * not: see summary); -1 when it could not start or its outputs cannot be
 * written, -2 when --resume meets rows of another grading (err says
 * why). */
int batch_run(const struct batch_options *o, struct batch_summary *sum, char *err, size_t errlen);

/* Rewrites OUTDIR/results.jsonl in id order and writes every report from
 * it (report.h), removing OUTDIR/submissions/ID folders of ids it no longer
 * holds (an earlier class's).  `rb` is the rubric the rows were graded
 * with. */
int batch_finish(const struct rubric *rb, const char *outdir, char *err, size_t errlen);

/* Combines the results.jsonl of shard folders into OUTDIR, then
 * batch_finish.  Refuses rows graded with another rubric than `rb` (by
 * checksum) and an id found twice: -1.  -2: OUTDIR cannot be written. */
int batch_merge(const struct rubric *rb, const char *const *shards, size_t n, const char *outdir, char *err,
                size_t errlen);
#endif
