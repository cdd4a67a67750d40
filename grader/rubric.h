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
    CHECK_EXIT_STATUS, /* run, equals (int), within_limits (bool) */
    CHECK_OUTPUT,      /* run, stream, pattern, negate */
    CHECK_SOURCE,      /* pattern, negate */
    CHECK_TRACEMALLOC, /* run, condition, at_least */
    CHECK_FACT,        /* fact, one comparison */
};

enum rubric_run { RUN_AFTER, RUN_BEFORE };
enum rubric_stream { STREAM_STDOUT, STREAM_STDERR };

enum rubric_tm_condition {
    TM_MIN_STATISTICS,        /* at least `at_least` well-formed statistics */
    TM_ENTRY_RETAINED,        /* the entry file's lines are retained at snapshot 2 */
    TM_RELEASED_VS_BASELINE,  /* lines the baseline retained are released */
    TM_AGREES_WITH_SNAPSHOTS, /* the printed report matches the real snapshots */
};

enum rubric_cmp { CMP_EQUALS, CMP_NOT_EQUALS, CMP_AT_LEAST, CMP_AT_MOST };

/* One check.  Fields that do not apply to its kind keep the defaults below;
 * every string is owned by the rubric and freed by rubric_free(). */
struct rubric_check {
    enum rubric_check_kind kind;
    enum rubric_run run;       /* exit_status/output/tracemalloc; default RUN_AFTER */
    enum rubric_stream stream; /* output; default STREAM_STDOUT */
    char *pattern;             /* output/source: PCRE2 source text */
    void *code;                /* compiled pcre2_code_8 *, owned; compiled with
                                  PCRE2_UTF | PCRE2_MULTILINE | PCRE2_MATCH_INVALID_UTF,
                                  so matching arbitrary bytes is safe */
    bool negate;               /* output/source; default false */
    long equals_int;           /* exit_status; default 0 */
    bool within_limits;        /* exit_status: also require no limit hit (default true) */
    enum rubric_tm_condition condition;
    long at_least; /* tracemalloc min_statistics; default 1 */
    char *fact;    /* fact: dotted path into the facts document */
    enum rubric_cmp cmp;
    char *value_json; /* fact: the expected value, as JSON text ("true", "0", "null", "\"x\"");
                         always a JSON number for CMP_AT_LEAST / CMP_AT_MOST */
    char *fail;       /* optional feedback when this check fails, or NULL */
    int line;         /* where the check starts in the YAML (1-based), for messages */
    int column;       /* 1-based */
};

struct rubric_criterion {
    char *id;
    char *title;
    double points;
    enum rubric_visibility visibility;
    struct rubric_check *checks; /* all must pass */
    size_t nchecks;
    char *feedback_pass; /* or NULL; may hold {fact.path} placeholders */
    char *feedback_fail; /* or NULL */
    int line, column;    /* where the criterion starts in the YAML (1-based) */
};

struct rubric_limits {
    double cpu_seconds, wall_seconds;
    double memory_mb, file_size_mb, output_kb;
    unsigned processes;
};

struct rubric {
    char *path;   /* as given */
    char *sha256; /* hex of the file's bytes */
    char *id;
    char *title;
    char *entry;    /* e.g. "leaky_app.py": a plain file name */
    char *baseline; /* absolute path, resolved against the rubric's directory */
    struct rubric_limits limits;
    unsigned guard_block; /* bit i: the runtime refuses category rubric_guard_name(i) */
    bool site_packages;   /* runs see the interpreter's site-packages (default: hidden) */
    struct rubric_criterion *criteria;
    size_t ncriteria;
    double max_score; /* sum of points */
};

/* Loads `path`.  Returns 0, or -1 with "file:line:column: message" in
 * errbuf (or "file: message" when no position applies; line and column are
 * 1-based).  On failure *rubric is left zeroed.  errbuf may be NULL. */
int rubric_load(const char *path, struct rubric *rubric, char *errbuf, size_t errlen);
/* Frees everything and zeroes *rubric; safe on a zeroed struct, twice, or NULL. */
void rubric_free(struct rubric *rubric);

/* The names the YAML uses ("after_due_date", "exit_status", "before",
 * "stderr", "released_vs_baseline", "not_equals"); "unknown" when out of range. */
const char *rubric_visibility_name(enum rubric_visibility v);
/* "network", "subprocess", "write_outside", "ctypes" for bits 0..3, else NULL. */
const char *rubric_guard_name(unsigned bit);
const char *rubric_check_kind_name(enum rubric_check_kind k);
const char *rubric_run_name(enum rubric_run r);
const char *rubric_stream_name(enum rubric_stream s);
const char *rubric_tm_condition_name(enum rubric_tm_condition c);
const char *rubric_cmp_name(enum rubric_cmp c);
#endif
