/* facts.h: everything the runs established, as one JSON document.
 *
 * The rubric engine reads only this document (plus the submission's source
 * and the runs' output for pattern checks), so a criterion is a pure
 * function of facts and any fact can be shown to an instructor.  Layout
 * (documented for rubric authors in rubrics/README.md):
 *
 *   entry                    "leaky_app.py"
 *   runs.{before,after,probe} exit_code, signal, timed_out, limit, wall_ms,
 *                            cpu_ms, max_rss_kb, stdout_bytes,
 *                            stdout_truncated, stderr_bytes, stderr_tail
 *   probe                    the bundled runtime's record, or null
 *   probe_error              why there is no record, or null
 *   tracemalloc.{before,after}.statistics        well-formed lines printed
 *   tracemalloc.{before,after}.entry_statistics  those about the entry file
 *   tracemalloc.{before,after}.entry_retained    some entry line still holds
 *                                                memory it held at snapshot 1
 *   tracemalloc.baseline_shows_leak              the statements creating Game
 *                                                and Player still hold memory
 *                                                in the baseline's report
 *   tracemalloc.released_vs_baseline, released_detail
 *   tracemalloc.agrees_with_snapshots, agreement_detail
 */
#ifndef GRADER_FACTS_H
#define GRADER_FACTS_H
#include <jansson.h>

#include "rubric.h"
#include "runs.h"
#include "submission.h"

/* Returns a new document, or NULL when out of memory. */
json_t *facts_build(const struct rubric *rubric, const struct submission *sub, const char *baseline_source,
                    const struct run_record records[RUN_KINDS]);

/* The value at a dotted path ("probe.observed.no_cycle",
 * "probe.kept_alive.0.chain"), borrowed, or NULL when absent. */
json_t *facts_lookup(json_t *facts, const char *path);

/* One run's measurements and outcome as JSON (shared with the result). */
json_t *facts_run_json(const struct run_record *rec);
#endif
