/* result.h: the result of grading one submission, and its two renderings.
 *
 * The JSON object is the result; the text table is drawn from it, so the
 * two can never disagree.  Schema: README.md, "Result JSON". */
#ifndef GRADER_RESULT_H
#define GRADER_RESULT_H
#include <jansson.h>
#include <stdbool.h>
#include <stdio.h>

#include "sandbox.h"
#include "tracemalloc.h"

/* [{file, line, size, size_diff, count, count_diff, average, text}] */
json_t *result_statistics_json(const struct tm_stats *stats);

/* {level, summary, layers: [{name, active, detail}]} of one sandboxed run. */
json_t *result_isolation_json(const struct sandbox_result *sb);

/* Writes the human table.  `color` only on a terminal without NO_COLOR. */
void result_render_text(json_t *result, FILE *out, bool color);
/* For students (grader check, hooks): drops every criterion whose
 * visibility is not "visible", adds hidden: {count, max_points}, and
 * makes score and max_score the visible ones, since the total would tell
 * how the hidden criteria went. */
void result_hide_criteria(json_t *result);
/* The student's report: what passed, what failed and what to do next, the
 * hidden criteria counted, never described.  Expects result_hide_criteria
 * to have run. */
void result_render_check(json_t *result, FILE *out, bool color);
/* Writes the JSON object, indented, with a trailing newline. */
int result_render_json(json_t *result, FILE *out);
#endif
