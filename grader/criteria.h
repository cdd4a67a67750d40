/* criteria.h: score a rubric against the facts of one submission.
 *
 * Pure: no processes, no files.  Each criterion passes when all of its
 * checks pass; its feedback is the first failing check's own `fail` text,
 * else the criterion's, with {dotted.fact.path} placeholders filled from
 * the facts so a student reads the actual chain, exception or limit. */
#ifndef GRADER_CRITERIA_H
#define GRADER_CRITERIA_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "rubric.h"

struct criteria_input {
    json_t *facts;
    const char *source; /* the submission's entry file */
    size_t source_len;
    const char *output[2][2]; /* [RUN_AFTER/RUN_BEFORE][STREAM_STDOUT/STDERR] */
    size_t output_len[2][2];
};

struct criterion_result {
    bool passed;
    double points;
    char *feedback; /* owned */
};

/* Fills out[0..rubric->ncriteria).  Returns 0, or -1 when out of memory. */
int criteria_evaluate(const struct rubric *rubric, const struct criteria_input *in, struct criterion_result *out);
void criteria_free(struct criterion_result *out, size_t n);

/* Expands {path} placeholders from facts; "{{" is a literal "{".  A missing
 * fact reads "(unknown)", null reads "none".  Returns a malloc'd string. */
char *criteria_expand(const char *text, json_t *facts);
#endif
