/* rubric.h: load and validate a YAML rubric (format: rubrics/README.md).
 *
 * The rubric engine is pure data: it never runs a process.  Loading turns
 * the YAML into the structs below and rejects anything malformed with
 * "file:line:column: message" (unknown keys name the closest valid key;
 * invalid regular expressions name the offset).  Evaluation (criteria.h)
 * reads a facts document and never touches the rubric's YAML again. */
#ifndef GRADER_RUBRIC_H
#define GRADER_RUBRIC_H

#include <stdbool.h>
#include <stddef.h>

enum rubric_visibility { RUBRIC_VISIBLE, RUBRIC_HIDDEN, RUBRIC_AFTER_DUE_DATE };

enum rubric_check_kind {
    CHECK_EXIT_STATUS,   /* run, equals (int), within_limits (bool) */
    CHECK_OUTPUT,        /* run, stream, pattern, negate */
    CHECK_SOURCE,        /* pattern, negate */
    CHECK_TRACEMALLOC,   /* run, condition, at_least */
    CHECK_FACT,          /* fact, one comparison */
};

enum rubric_run { RUN_AFTER, RUN_BEFORE };
enum rubric_stream { STREAM_STDOUT, STREAM_STDERR };

enum rubric_tm_condition {
    TM_MIN_STATISTICS,       /* at least `at_least` well-formed statistics */
    TM_ENTRY_RETAINED,       /* the entry file's lines are retained at snapshot 2 */
    TM_RELEASED_VS_BASELINE, /* lines the baseline retained are released */
    TM_AGREES_WITH_SNAPSHOTS,/* the printed report matches the real snapshots */
};

enum rubric_cmp { CMP_EQUALS, CMP_NOT_EQUALS, CMP_AT_LEAST, CMP_AT_MOST };

struct rubric_check {
    enum rubric_check_kind kind;
    enum rubric_run run;
    enum rubric_stream stream;
    char *pattern;            /* output/source: PCRE2 source text */
    void *code;               /* compiled pcre2_code_8 *, owned */
    bool negate;
    long equals_int;          /* exit_status */
    bool within_limits;       /* exit_status: also require no limit hit (default true) */
    enum rubric_tm_condition condition;
    long at_least;            /* tracemalloc min_statistics */
    char *fact;               /* fact: dotted path into the facts document */
    enum rubric_cmp cmp;
    char *value_json;         /* fact: the expected value, as JSON text ("true", "0", "null", "\"x\"") */
    char *fail;               /* optional feedback when this check fails */
    int line;                 /* where the check starts in the YAML, for messages */
};

struct rubric_criterion {
    char *id;
    char *title;
    double points;
    enum rubric_visibility visibility;
    struct rubric_check *checks;   /* all must pass */
    size_t nchecks;
    char *feedback_pass;
    char *feedback_fail;
};

struct rubric_limits {
    double cpu_seconds, wall_seconds;
    double memory_mb, file_size_mb, output_kb;
    unsigned processes;
};

struct rubric {
    char *path;           /* as given */
    char *sha256;         /* hex of the file's bytes */
    char *id;
    char *title;
    char *entry;          /* e.g. "leaky_app.py": a plain file name */
    char *baseline;       /* absolute path, resolved against the rubric's directory */
    struct rubric_limits limits;
    struct rubric_criterion *criteria;
    size_t ncriteria;
    double max_score;     /* sum of points */
};

/* Loads `path`.  Returns 0, or -1 with "file:line:column: message" in
 * errbuf (or "file: message" when no position applies). */
int rubric_load(const char *path, struct rubric *rubric, char *errbuf, size_t errlen);
void rubric_free(struct rubric *rubric);

const char *rubric_visibility_name(enum rubric_visibility v);
#endif
