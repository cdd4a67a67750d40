/* rubric.c: load and validate a YAML rubric (format: rubrics/README.md).
 *
 * libyaml's document API builds the node tree and keeps each node's start
 * mark, so every message can say "file:line:column".  libyaml does not give
 * plain scalars a type (all of them are tagged !!str), so this file resolves
 * them itself with the YAML 1.2 core schema: `yes` stays text, as in most
 * current YAML tools, and a quoted "10" is never a number.
 *
 * The walk follows the schema, never the tree's shape, so an alias that
 * points back at one of its own ancestors cannot make it loop.  The first
 * problem found stops the load: one precise message beats a list of
 * follow-on ones. */
#include "rubric.h"

#include "digest.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <yaml.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A rubric is a short hand-written file; the cap stops a wrong path (a log,
 * a core dump) from being read whole. */
#define RUBRIC_MAX_BYTES (1 << 20) /* 1 MiB */
/* Aliases let a small file repeat one long check list under many criteria
 * ("billion laughs"); this bounds how many regexes such a file can make us
 * compile. */
#define RUBRIC_MAX_CHECKS 10000

/* MATCH_INVALID_UTF makes matching a student's arbitrary output bytes safe
 * without a UTF-8 check at every match. */
#ifdef PCRE2_MATCH_INVALID_UTF
#define RUBRIC_PCRE2_OPTIONS (PCRE2_UTF | PCRE2_MULTILINE | PCRE2_MATCH_INVALID_UTF)
#else
#define RUBRIC_PCRE2_OPTIONS (PCRE2_UTF | PCRE2_MULTILINE)
#endif

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- names: one table per enum, shared by the parser and the *_name()s -- */

static const char *const VISIBILITY_NAMES[] = {"visible", "hidden", "after_due_date", NULL};
static const char *const KIND_NAMES[] = {"exit_status", "output", "source", "tracemalloc", "fact", NULL};
static const char *const RUN_NAMES[] = {"after", "before", NULL};
static const char *const STREAM_NAMES[] = {"stdout", "stderr", NULL};
static const char *const CONDITION_NAMES[] = {"min_statistics", "entry_retained", "released_vs_baseline",
                                              "agrees_with_snapshots", NULL};
static const char *const CMP_NAMES[] = {"equals", "not_equals", "at_least", "at_most", NULL};

_Static_assert(COUNT(VISIBILITY_NAMES) == RUBRIC_AFTER_DUE_DATE + 2, "visibility names");
_Static_assert(COUNT(KIND_NAMES) == CHECK_FACT + 2, "kind names");
_Static_assert(COUNT(RUN_NAMES) == RUN_BEFORE + 2, "run names");
_Static_assert(COUNT(STREAM_NAMES) == STREAM_STDERR + 2, "stream names");
_Static_assert(COUNT(CONDITION_NAMES) == TM_AGREES_WITH_SNAPSHOTS + 2, "condition names");
_Static_assert(COUNT(CMP_NAMES) == CMP_AT_MOST + 2, "comparison names");

/* The keys valid at each level; the order is the order the README gives. */
static const char *const TOP_KEYS[] = {"id",    "title",  "entry",    "baseline", "limits",
                                       "guard", "python", "criteria", NULL};
static const char *const GUARD_KEYS[] = {"block", NULL};
static const char *const PYTHON_KEYS[] = {"site_packages", NULL};
static const char *const GUARD_NAMES[] = {"network", "subprocess", "write_outside", "ctypes", NULL};
static const char *const LIMIT_KEYS[] = {"cpu_seconds",  "wall_seconds", "memory_mb", "processes",
                                         "file_size_mb", "output_kb",    NULL};
static const char *const CRITERION_KEYS[] = {"id", "title", "points", "visibility", "checks", "feedback", NULL};
static const char *const FEEDBACK_KEYS[] = {"pass", "fail", NULL};
/* Every key some kind of check takes: a key from here that the check's own
 * kind does not take gets "does not apply" rather than "unknown". */
static const char *const CHECK_KEYS[] = {"kind",    "run",        "stream",        "pattern",   "negate",
                                         "equals",  "not_equals", "within_limits", "condition", "at_least",
                                         "at_most", "fact",       "fail",          NULL};
static const char *const KIND_KEYS[][8] = {
    [CHECK_EXIT_STATUS] = {"kind", "run", "equals", "within_limits", "fail", NULL},
    [CHECK_OUTPUT] = {"kind", "run", "stream", "pattern", "negate", "fail", NULL},
    [CHECK_SOURCE] = {"kind", "pattern", "negate", "fail", NULL},
    [CHECK_TRACEMALLOC] = {"kind", "run", "condition", "at_least", "fail", NULL},
    [CHECK_FACT] = {"kind", "fact", "equals", "not_equals", "at_least", "at_most", "fail", NULL},
};
_Static_assert(COUNT(KIND_KEYS) == CHECK_FACT + 1, "keys for every kind");

static const char *name_of(const char *const *names, size_t count, int value)
{
    return value >= 0 && (size_t)value + 1 < count ? names[value] : "unknown";
}

const char *rubric_visibility_name(enum rubric_visibility v)
{
    return name_of(VISIBILITY_NAMES, COUNT(VISIBILITY_NAMES), (int)v);
}

const char *rubric_check_kind_name(enum rubric_check_kind k)
{
    return name_of(KIND_NAMES, COUNT(KIND_NAMES), (int)k);
}

const char *rubric_run_name(enum rubric_run r)
{
    return name_of(RUN_NAMES, COUNT(RUN_NAMES), (int)r);
}

const char *rubric_stream_name(enum rubric_stream s)
{
    return name_of(STREAM_NAMES, COUNT(STREAM_NAMES), (int)s);
}

const char *rubric_tm_condition_name(enum rubric_tm_condition c)
{
    return name_of(CONDITION_NAMES, COUNT(CONDITION_NAMES), (int)c);
}

const char *rubric_cmp_name(enum rubric_cmp c)
{
    return name_of(CMP_NAMES, COUNT(CMP_NAMES), (int)c);
}

/* Index of `text` (len bytes, may hold NULs) in a NULL-ended list, or -1. */
static int name_index(const char *const *names, const char *text, size_t len)
{
    for (int i = 0; names[i]; i++)
        if (strlen(names[i]) == len && memcmp(names[i], text, len) == 0)
            return i;
    return -1;
}

/* "a, b, c" for messages that list what is valid. */
static void join_names(const char *const *names, char *out, size_t outlen)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; names[i] && used < outlen; i++) {
        int n = snprintf(out + used, outlen - used, "%s%s", i ? ", " : "", names[i]);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* Optimal string alignment distance: Levenshtein plus swaps of two
 * neighbours, so the common typo "pionts" is one edit from "points". */
static size_t edit_distance(const char *a, size_t la, const char *b)
{
    enum { MAX = 64 };
    size_t lb = strlen(b);
    if (la > MAX || lb > MAX)
        return SIZE_MAX;
    size_t prev2[MAX + 1], prev[MAX + 1], cur[MAX + 1];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = prev[j] + 1;
            if (cur[j - 1] + 1 < best)
                best = cur[j - 1] + 1;
            if (prev[j - 1] + cost < best)
                best = prev[j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] && prev2[j - 2] + 1 < best)
                best = prev2[j - 2] + 1;
            cur[j] = best;
        }
        memcpy(prev2, prev, sizeof prev);
        memcpy(prev, cur, sizeof cur);
    }
    return prev[lb];
}

/* The valid name closest to `text`, or NULL when none is close enough to
 * be a plausible typo (at most two edits, and fewer edits than letters). */
static const char *closest_name(const char *const *names, const char *text, size_t len)
{
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (int i = 0; names[i]; i++) {
        size_t d = edit_distance(text, len, names[i]);
        if (d < best_d && d <= 2 && d < strlen(names[i])) {
            best = names[i];
            best_d = d;
        }
    }
    return best;
}

/* ---- errors ------------------------------------------------------------ */

struct loader {
    const char *path; /* as given, for messages and the baseline's directory */
    yaml_document_t *doc;
    char *errbuf;
    size_t errlen;
    size_t nchecks; /* checks so far, against RUBRIC_MAX_CHECKS */
};

static int vfail_at(struct loader *ld, const yaml_mark_t *mark, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

static int vfail_at(struct loader *ld, const yaml_mark_t *mark, const char *fmt, va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (!ld->errbuf || ld->errlen == 0)
        return -1;
    if (mark)
        snprintf(ld->errbuf, ld->errlen, "%s:%zu:%zu: %s", ld->path, mark->line + 1, mark->column + 1, msg);
    else
        snprintf(ld->errbuf, ld->errlen, "%s: %s", ld->path, msg);
    return -1;
}

/* Records "path:line:column: message" (or "path: message" when mark is
 * NULL). */
static void record_at(struct loader *ld, const yaml_mark_t *mark, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void record_at(struct loader *ld, const yaml_mark_t *mark, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(ld, mark, fmt, ap);
    va_end(ap);
}

/* record_at() at the start of `node`. */
static void record(struct loader *ld, const yaml_node_t *node, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void record(struct loader *ld, const yaml_node_t *node, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfail_at(ld, &node->start_mark, fmt, ap);
    va_end(ap);
}

/* record_at() or record(), then -1, so callers can `return fail(...)`.
 * Macros, so that the -1 is in sight at every call: clang's static analyzer
 * does not follow calls to variadic functions, and would take each `return
 * fail(...)` for a possible success. */
#define fail_at(...) (record_at(__VA_ARGS__), -1)
#define fail(...) (record(__VA_ARGS__), -1)

static int out_of_memory(struct loader *ld)
{
    return fail_at(ld, NULL, "out of memory");
}

/* Copies text the author wrote into a message: control characters escaped
 * (a key may hold a newline), long text cut at a UTF-8 boundary. */
static const char *excerpt(const char *text, size_t len, char *out, size_t outlen)
{
    static const char hex[] = "0123456789abcdef";
    const size_t keep = outlen > 16 ? outlen - 12 : 0; /* room for an escape, a UTF-8 tail, "..." */
    size_t j = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];
        if (j >= keep && (c & 0xC0) != 0x80) {
            memcpy(out + j, "...", 4);
            return out;
        }
        if (c == '\n' || c == '\t') {
            out[j++] = '\\';
            out[j++] = c == '\n' ? 'n' : 't';
        } else if (c < 0x20 || c == 0x7f) {
            out[j++] = '\\';
            out[j++] = 'x';
            out[j++] = hex[c >> 4];
            out[j++] = hex[c & 15];
        } else {
            out[j++] = (char)c;
        }
    }
    out[j] = '\0';
    return out;
}

/* ---- scalars: YAML 1.2 core schema -------------------------------------- */

enum scalar_type { SCALAR_NULL, SCALAR_BOOL, SCALAR_INT, SCALAR_FLOAT, SCALAR_STRING };

struct scalar {
    enum scalar_type type;
    const char *text; /* as written, after YAML unescaping; NUL-terminated */
    size_t len;       /* may exceed strlen(text) when a quoted scalar holds "\0" */
    bool boolean;
    long long integer; /* SCALAR_INT */
    bool overflow;     /* SCALAR_INT beyond long long */
    double number;     /* SCALAR_INT and SCALAR_FLOAT */
};

static const char *const NULL_WORDS[] = {"", "~", "null", "Null", "NULL", NULL};
static const char *const TRUE_WORDS[] = {"true", "True", "TRUE", NULL};
static const char *const FALSE_WORDS[] = {"false", "False", "FALSE", NULL};
static const char DIGITS[] = "0123456789";

static bool all_in(const char *s, const char *set)
{
    return *s && s[strspn(s, set)] == '\0';
}

/* Decimal with an optional sign, 0o octal or 0x hex. */
static bool core_int(struct scalar *s)
{
    const char *t = s->text, *digits = t;
    int base = 10;
    if (t[0] == '0' && t[1] == 'o') {
        base = 8;
        digits = t + 2;
        if (!all_in(digits, "01234567"))
            return false;
    } else if (t[0] == '0' && t[1] == 'x') {
        base = 16;
        digits = t + 2;
        if (!all_in(digits, "0123456789abcdefABCDEF"))
            return false;
    } else if (!all_in(t + (t[0] == '-' || t[0] == '+'), DIGITS)) {
        return false;
    }
    errno = 0;
    s->integer = strtoll(digits, NULL, base);
    s->overflow = errno == ERANGE;
    s->number = (double)s->integer;
    s->type = SCALAR_INT;
    return true;
}

/* strtod in the C locale: a program that called setlocale() for a
 * decimal-comma language must still read "1.5" as one and a half. */
static double c_strtod(const char *s)
{
    locale_t c = newlocale(LC_NUMERIC_MASK, "C", (locale_t)0);
    if (!c)
        return strtod(s, NULL);
    double d = strtod_l(s, NULL, c);
    freelocale(c);
    return d;
}

/* [-+]? ( \.[0-9]+ | [0-9]+ (\.[0-9]*)? ) ([eE][-+]?[0-9]+)?, or .inf / .nan. */
static bool core_float(struct scalar *s)
{
    const char *t = s->text, *p = t + (t[0] == '-' || t[0] == '+');
    if (name_index((const char *const[]){".inf", ".Inf", ".INF", NULL}, p, strlen(p)) >= 0) {
        s->number = t[0] == '-' ? -INFINITY : INFINITY;
    } else if (p == t && name_index((const char *const[]){".nan", ".NaN", ".NAN", NULL}, p, strlen(p)) >= 0) {
        s->number = NAN;
    } else {
        size_t int_digits = strspn(p, DIGITS), frac_digits = 0;
        p += int_digits;
        if (*p == '.') {
            frac_digits = strspn(++p, DIGITS);
            p += frac_digits;
        }
        if (int_digits + frac_digits == 0)
            return false;
        if (*p == 'e' || *p == 'E') {
            p += 1 + (p[1] == '-' || p[1] == '+');
            size_t exp_digits = strspn(p, DIGITS);
            if (exp_digits == 0)
                return false;
            p += exp_digits;
        }
        if (*p != '\0')
            return false;
        s->number = c_strtod(t);
    }
    s->type = SCALAR_FLOAT;
    return true;
}

/* Gives a scalar node its core-schema type.  Quoted and block scalars are
 * always text: quoting is how an author says "this is a string". */
static void classify(const yaml_node_t *n, struct scalar *s)
{
    memset(s, 0, sizeof *s);
    s->text = (const char *)n->data.scalar.value;
    s->len = n->data.scalar.length;
    s->type = SCALAR_STRING;
    if (n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
        return;
    if (name_index(NULL_WORDS, s->text, s->len) >= 0) {
        s->type = SCALAR_NULL;
    } else if (name_index(TRUE_WORDS, s->text, s->len) >= 0) {
        s->type = SCALAR_BOOL;
        s->boolean = true;
    } else if (name_index(FALSE_WORDS, s->text, s->len) >= 0) {
        s->type = SCALAR_BOOL;
    } else if (!core_int(s)) {
        core_float(s);
    }
}

/* "a list", "the string 'ten'", "an empty value": what was found, for
 * "'points' must be a number, not ..." messages. */
static const char *what_is(const yaml_node_t *n, char *out, size_t outlen)
{
    char text[64];
    struct scalar s;
    if (n->type == YAML_MAPPING_NODE)
        return "a mapping";
    if (n->type == YAML_SEQUENCE_NODE)
        return "a list";
    classify(n, &s);
    excerpt(s.text, s.len, text, sizeof text);
    switch (s.type) {
    case SCALAR_NULL:
        return s.len == 0 ? "an empty value" : "null";
    case SCALAR_BOOL:
        snprintf(out, outlen, "the boolean %s", text);
        break;
    case SCALAR_INT:
    case SCALAR_FLOAT:
        snprintf(out, outlen, "the number %s", text);
        break;
    case SCALAR_STRING:
        snprintf(out, outlen, "the string '%s'", text);
        break;
    }
    return out;
}

/* ---- mappings ----------------------------------------------------------- */

static yaml_node_t *node_at(struct loader *ld, int i)
{
    return yaml_document_get_node(ld->doc, i);
}

static bool key_is(const yaml_node_t *k, const char *name)
{
    return k->type == YAML_SCALAR_NODE && k->data.scalar.length == strlen(name) &&
           memcmp(k->data.scalar.value, name, k->data.scalar.length) == 0;
}

/* The value under `key`, or NULL.  validate_keys() has already refused
 * duplicates, so the first match is the only one. */
static yaml_node_t *map_get(struct loader *ld, const yaml_node_t *map, const char *key)
{
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++)
        if (key_is(node_at(ld, p->key), key))
            return node_at(ld, p->value);
    return NULL;
}

/* The value under a required key, or NULL after recording which key is
 * missing; the message points at the mapping that lacks it. */
static yaml_node_t *need(struct loader *ld, const yaml_node_t *map, const char *key, const char *where)
{
    yaml_node_t *v = map_get(ld, map, key);
    if (!v)
        record(ld, map, "missing required key '%s' %s", key, where);
    return v;
}

static int unknown_key(struct loader *ld, const yaml_node_t *k, const char *const *valid, const char *kind)
{
    const char *text = (const char *)k->data.scalar.value;
    size_t len = k->data.scalar.length;
    char shown[80], list[256];
    excerpt(text, len, shown, sizeof shown);
    join_names(valid, list, sizeof list);
    if (kind && name_index(CHECK_KEYS, text, len) >= 0)
        return fail(ld, k, "'%s' does not apply to a check of kind '%s' (it takes %s)", shown, kind, list);
    const char *guess = closest_name(valid, text, len);
    if (guess)
        return fail(ld, k, "unknown key '%s'; did you mean '%s'?", shown, guess);
    return fail(ld, k, "unknown key '%s'; valid keys here are %s", shown, list);
}

/* Refuses non-scalar keys, duplicate keys and keys not in `valid`.  `kind`
 * names the check's kind when `valid` is one kind's keys, so a key another
 * kind takes is reported as not applying rather than as unknown. */
static int validate_keys(struct loader *ld, const yaml_node_t *map, const char *const *valid, const char *kind)
{
    yaml_node_pair_t *start = map->data.mapping.pairs.start;
    for (yaml_node_pair_t *p = start; p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = node_at(ld, p->key);
        char buf[96];
        if (k->type != YAML_SCALAR_NODE)
            return fail(ld, k, "a key must be a name, not %s", what_is(k, buf, sizeof buf));
        for (yaml_node_pair_t *q = start; q < p; q++) {
            yaml_node_t *earlier = node_at(ld, q->key);
            if (earlier->type == YAML_SCALAR_NODE && earlier->data.scalar.length == k->data.scalar.length &&
                memcmp(earlier->data.scalar.value, k->data.scalar.value, k->data.scalar.length) == 0)
                return fail(ld, k, "duplicate key '%s' (first given at line %zu)",
                            excerpt((const char *)k->data.scalar.value, k->data.scalar.length, buf, sizeof buf),
                            earlier->start_mark.line + 1);
        }
        if (name_index(valid, (const char *)k->data.scalar.value, k->data.scalar.length) < 0)
            return unknown_key(ld, k, valid, kind);
    }
    return 0;
}

/* ---- typed values ------------------------------------------------------- */

static int type_error(struct loader *ld, const yaml_node_t *v, const char *key, const char *expected)
{
    char buf[96];
    return fail(ld, v, "'%s' must be %s, not %s", key, expected, what_is(v, buf, sizeof buf));
}

static int expect_mapping(struct loader *ld, const yaml_node_t *v, const char *key)
{
    return v->type == YAML_MAPPING_NODE ? 0 : type_error(ld, v, key, "a mapping");
}

static int expect_list(struct loader *ld, const yaml_node_t *v, const char *key)
{
    return v->type == YAML_SEQUENCE_NODE ? 0 : type_error(ld, v, key, "a list");
}

/* Text: any scalar but null, kept as written (`title: 10` is the title
 * "10").  NUL characters are refused because the structs hold C strings. */
static int read_text(struct loader *ld, const yaml_node_t *v, const char *key, bool allow_empty, char **out)
{
    struct scalar s;
    if (v->type != YAML_SCALAR_NODE)
        return type_error(ld, v, key, "text");
    classify(v, &s);
    if (s.type == SCALAR_NULL)
        return type_error(ld, v, key, "text");
    if (s.len == 0 && !allow_empty)
        return fail(ld, v, "'%s' must not be empty", key);
    if (memchr(s.text, '\0', s.len))
        return fail(ld, v, "'%s' must not contain a NUL character", key);
    *out = strdup(s.text);
    return *out ? 0 : out_of_memory(ld);
}

static int read_bool(struct loader *ld, const yaml_node_t *v, const char *key, bool *out)
{
    struct scalar s;
    if (v->type == YAML_SCALAR_NODE) {
        classify(v, &s);
        if (s.type == SCALAR_BOOL) {
            *out = s.boolean;
            return 0;
        }
    }
    return type_error(ld, v, key, "true or false");
}

/* A finite number, > 0 when `positive`, else >= 0. */
static int read_number(struct loader *ld, const yaml_node_t *v, const char *key, bool positive, double *out)
{
    struct scalar s;
    if (v->type != YAML_SCALAR_NODE)
        return type_error(ld, v, key, "a number");
    classify(v, &s);
    if (s.type != SCALAR_INT && s.type != SCALAR_FLOAT)
        return type_error(ld, v, key, "a number");
    if (s.overflow || !isfinite(s.number))
        return fail(ld, v, "'%s' must be a finite number, not %s", key, s.text);
    if (positive ? !(s.number > 0) : s.number < 0)
        return fail(ld, v, "'%s' must be %s, not %s", key,
                    positive ? "greater than 0" : "at least 0 (negative points are not allowed)", s.text);
    *out = s.number;
    return 0;
}

static int read_int(struct loader *ld, const yaml_node_t *v, const char *key, long long min, long long max,
                    long long *out)
{
    struct scalar s;
    if (v->type != YAML_SCALAR_NODE)
        return type_error(ld, v, key, "a whole number");
    classify(v, &s);
    if (s.type != SCALAR_INT)
        return type_error(ld, v, key, "a whole number");
    if (s.overflow || s.integer > max)
        return fail(ld, v, "'%s' must be at most %lld, not %s", key, max, s.text);
    if (s.integer < min)
        return fail(ld, v, "'%s' must be at least %lld, not %s", key, min, s.text);
    *out = s.integer;
    return 0;
}

/* One of `names`; the message lists them all, and suggests the closest. */
static int read_enum(struct loader *ld, const yaml_node_t *v, const char *key, const char *const *names, int *out)
{
    char list[256], buf[96];
    join_names(names, list, sizeof list);
    if (v->type != YAML_SCALAR_NODE)
        return fail(ld, v, "'%s' must be one of %s, not %s", key, list, what_is(v, buf, sizeof buf));
    const char *text = (const char *)v->data.scalar.value;
    size_t len = v->data.scalar.length;
    int i = name_index(names, text, len);
    if (i >= 0) {
        *out = i;
        return 0;
    }
    const char *guess = closest_name(names, text, len);
    if (guess)
        return fail(ld, v, "invalid %s '%s' (did you mean '%s'?); valid values are %s", key,
                    excerpt(text, len, buf, sizeof buf), guess, list);
    return fail(ld, v, "invalid %s '%s'; valid values are %s", key, excerpt(text, len, buf, sizeof buf), list);
}

/* The opt_* readers leave *out alone (its default) when the key is absent. */
static int opt_number(struct loader *ld, const yaml_node_t *map, const char *key, bool positive, double *out)
{
    const yaml_node_t *v = map_get(ld, map, key);
    return v ? read_number(ld, v, key, positive, out) : 0;
}

static int opt_bool(struct loader *ld, const yaml_node_t *map, const char *key, bool *out)
{
    const yaml_node_t *v = map_get(ld, map, key);
    return v ? read_bool(ld, v, key, out) : 0;
}

static int opt_text(struct loader *ld, const yaml_node_t *map, const char *key, char **out)
{
    const yaml_node_t *v = map_get(ld, map, key);
    return v ? read_text(ld, v, key, true, out) : 0;
}

static int opt_enum(struct loader *ld, const yaml_node_t *map, const char *key, const char *const *names, int *out)
{
    const yaml_node_t *v = map_get(ld, map, key);
    return v ? read_enum(ld, v, key, names, out) : 0;
}

/* [a-z0-9_-]+: ids end up in file names, JSON keys and URLs unquoted. */
static int read_id(struct loader *ld, const yaml_node_t *v, const char *key, char **out)
{
    if (read_text(ld, v, key, false, out))
        return -1;
    if (!all_in(*out, "abcdefghijklmnopqrstuvwxyz0123456789_-")) {
        char buf[96];
        return fail(ld, v, "'%s' must use only lowercase letters, digits, '_' and '-', not '%s'", key,
                    excerpt(*out, strlen(*out), buf, sizeof buf));
    }
    return 0;
}

/* ---- JSON text for fact values ------------------------------------------ */

static char *json_string(const char *s, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    char *out = malloc(len * 6 + 3), *o = out;
    if (!out)
        return NULL;
    *o++ = '"';
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        const char *esc = c == '"'    ? "\\\""
                          : c == '\\' ? "\\\\"
                          : c == '\n' ? "\\n"
                          : c == '\r' ? "\\r"
                          : c == '\t' ? "\\t"
                          : c == '\b' ? "\\b"
                          : c == '\f' ? "\\f"
                                      : NULL;
        if (esc) {
            memcpy(o, esc, 2);
            o += 2;
        } else if (c < 0x20) {
            memcpy(o, "\\u00", 4);
            o[4] = hex[c >> 4];
            o[5] = hex[c & 15];
            o += 6;
        } else {
            *o++ = (char)c;
        }
    }
    *o++ = '"';
    *o = '\0';
    return out;
}

/* YAML allows "+1.5", ".5", "1." and "007.5"; JSON allows none of them.
 * Rewrites a finite YAML float into JSON's grammar, keeping its digits. */
static char *json_float(const char *s)
{
    char *out = malloc(strlen(s) + 3), *o = out;
    const char *p = s;
    if (!out)
        return NULL;
    if (*p == '+')
        p++;
    else if (*p == '-')
        *o++ = *p++;
    while (p[0] == '0' && p[1] >= '0' && p[1] <= '9')
        p++;
    if (*p == '.')
        *o++ = '0';
    while (*p >= '0' && *p <= '9')
        *o++ = *p++;
    if (*p == '.') {
        p++;
        if (*p >= '0' && *p <= '9') {
            *o++ = '.';
            while (*p >= '0' && *p <= '9')
                *o++ = *p++;
        }
    }
    /* The exponent, if any, is already valid JSON.  out has room: it is at
     * most one byte longer than s (a '0' before a leading '.'). */
    strcpy(o, p); // NOLINT(clang-analyzer-security.insecureAPI.strcpy)
    return out;
}

/* Any scalar, as JSON text: a quoted "true" is the string "true", a plain
 * true the boolean. */
static int read_json_scalar(struct loader *ld, const yaml_node_t *v, const char *key, char **out)
{
    struct scalar s;
    if (v->type != YAML_SCALAR_NODE)
        return type_error(ld, v, key, "a single value (true, false, null, a number or text)");
    classify(v, &s);
    switch (s.type) {
    case SCALAR_NULL:
        *out = strdup("null");
        break;
    case SCALAR_BOOL:
        *out = strdup(s.boolean ? "true" : "false");
        break;
    case SCALAR_INT:
        if (s.overflow)
            return fail(ld, v, "'%s' is too large: %s", key, s.text);
        if ((*out = malloc(24)))
            snprintf(*out, 24, "%lld", s.integer);
        break;
    case SCALAR_FLOAT:
        if (!isfinite(s.number))
            return fail(ld, v, "'%s' must be a finite number (JSON has no infinity or NaN), not %s", key, s.text);
        *out = json_float(s.text);
        break;
    case SCALAR_STRING:
        /* Facts are JSON read by jansson, which never yields a NUL inside
         * a string: a check comparing with one could never pass (found by
         * fuzzing). */
        if (memchr(s.text, '\0', s.len))
            return fail(ld, v, "'%s' holds a NUL character (\\0), which no fact can contain", key);
        *out = json_string(s.text, s.len);
        break;
    }
    return *out ? 0 : out_of_memory(ld);
}

/* ---- checks ------------------------------------------------------------- */

/* Reads and compiles `pattern`; a bad regex is reported at the pattern. */
static int read_pattern(struct loader *ld, const yaml_node_t *map, struct rubric_check *ck, const char *where)
{
    const yaml_node_t *v = need(ld, map, "pattern", where);
    if (!v || read_text(ld, v, "pattern", false, &ck->pattern))
        return -1;
    int code;
    PCRE2_SIZE offset;
    ck->code =
        pcre2_compile((PCRE2_SPTR)ck->pattern, PCRE2_ZERO_TERMINATED, RUBRIC_PCRE2_OPTIONS, &code, &offset, NULL);
    if (ck->code)
        return 0;
    PCRE2_UCHAR msg[256];
    if (pcre2_get_error_message(code, msg, sizeof msg) < 0)
        snprintf((char *)msg, sizeof msg, "PCRE2 error %d", code);
    return fail(ld, v, "invalid regular expression at offset %zu: %s", (size_t)offset, (const char *)msg);
}

static int parse_exit_status(struct loader *ld, const yaml_node_t *map, struct rubric_check *ck)
{
    int run = (int)ck->run;
    long long equals = ck->equals_int;
    const yaml_node_t *v = map_get(ld, map, "equals");
    if (opt_enum(ld, map, "run", RUN_NAMES, &run) || (v && read_int(ld, v, "equals", LONG_MIN, LONG_MAX, &equals)) ||
        opt_bool(ld, map, "within_limits", &ck->within_limits))
        return -1;
    ck->run = (enum rubric_run)run;
    ck->equals_int = (long)equals;
    return 0;
}

static int parse_output(struct loader *ld, const yaml_node_t *map, struct rubric_check *ck)
{
    int run = (int)ck->run, stream = (int)ck->stream;
    if (opt_enum(ld, map, "run", RUN_NAMES, &run) || opt_enum(ld, map, "stream", STREAM_NAMES, &stream) ||
        read_pattern(ld, map, ck, "in this check of kind 'output'") || opt_bool(ld, map, "negate", &ck->negate))
        return -1;
    ck->run = (enum rubric_run)run;
    ck->stream = (enum rubric_stream)stream;
    return 0;
}

static int parse_source(struct loader *ld, const yaml_node_t *map, struct rubric_check *ck)
{
    return read_pattern(ld, map, ck, "in this check of kind 'source'") || opt_bool(ld, map, "negate", &ck->negate) ? -1
                                                                                                                   : 0;
}

static int parse_tracemalloc(struct loader *ld, const yaml_node_t *map, struct rubric_check *ck)
{
    int run = (int)ck->run, condition;
    long long at_least = 1;
    const yaml_node_t *v = need(ld, map, "condition", "in this check of kind 'tracemalloc'");
    if (opt_enum(ld, map, "run", RUN_NAMES, &run) || !v || read_enum(ld, v, "condition", CONDITION_NAMES, &condition))
        return -1;
    if ((v = map_get(ld, map, "at_least"))) {
        if (condition != TM_MIN_STATISTICS)
            return fail(ld, v,
                        "'at_least' does not apply to condition '%s' (only to "
                        "'min_statistics')",
                        CONDITION_NAMES[condition]);
        if (read_int(ld, v, "at_least", 0, LONG_MAX, &at_least))
            return -1;
    }
    ck->run = (enum rubric_run)run;
    ck->condition = (enum rubric_tm_condition)condition;
    ck->at_least = (long)at_least;
    return 0;
}

/* Segments of [A-Za-z0-9_] joined by single dots: "probe.snapshots.1.live". */
static bool valid_fact_path(const char *s)
{
    bool segment_empty = true;
    for (; *s; s++) {
        char c = *s;
        if (c == '.') {
            if (segment_empty)
                return false;
            segment_empty = true;
        } else if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_') {
            segment_empty = false;
        } else {
            return false;
        }
    }
    return !segment_empty;
}

static bool is_number(const yaml_node_t *v)
{
    struct scalar s;
    if (v->type != YAML_SCALAR_NODE)
        return false;
    classify(v, &s);
    return s.type == SCALAR_INT || s.type == SCALAR_FLOAT;
}

static int parse_fact(struct loader *ld, const yaml_node_t *map, struct rubric_check *ck)
{
    const yaml_node_t *v = need(ld, map, "fact", "in this check of kind 'fact'");
    if (!v || read_text(ld, v, "fact", false, &ck->fact))
        return -1;
    if (!valid_fact_path(ck->fact)) {
        char buf[96];
        return fail(ld, v,
                    "'fact' must be a dotted path such as probe.observed.no_cycle "
                    "(letters, digits and '_', parts joined by '.'), not '%s'",
                    excerpt(ck->fact, strlen(ck->fact), buf, sizeof buf));
    }

    /* Exactly one comparison; a second one is reported where it stands. */
    const yaml_node_t *cmp_key = NULL, *cmp_value = NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
        const yaml_node_t *k = node_at(ld, p->key);
        int cmp = name_index(CMP_NAMES, (const char *)k->data.scalar.value, k->data.scalar.length);
        if (cmp < 0)
            continue;
        if (cmp_key)
            return fail(ld, k,
                        "a check of kind 'fact' takes exactly one of equals, not_equals, "
                        "at_least, at_most; found both '%s' and '%s'",
                        CMP_NAMES[ck->cmp], CMP_NAMES[cmp]);
        cmp_key = k;
        cmp_value = node_at(ld, p->value);
        ck->cmp = (enum rubric_cmp)cmp;
    }
    if (!cmp_key)
        return fail(ld, map,
                    "a check of kind 'fact' needs one of equals, not_equals, "
                    "at_least, at_most");
    if ((ck->cmp == CMP_AT_LEAST || ck->cmp == CMP_AT_MOST) && !is_number(cmp_value))
        return type_error(ld, cmp_value, CMP_NAMES[ck->cmp], "a number");
    return read_json_scalar(ld, cmp_value, CMP_NAMES[ck->cmp], &ck->value_json);
}

static int parse_check(struct loader *ld, const yaml_node_t *map, struct rubric_check *ck)
{
    if (map->type != YAML_MAPPING_NODE) {
        char buf[96];
        return fail(ld, map, "each item of 'checks' must be a mapping with a 'kind', not %s",
                    what_is(map, buf, sizeof buf));
    }
    ck->line = (int)map->start_mark.line + 1;
    ck->column = (int)map->start_mark.column + 1;
    ck->run = RUN_AFTER;
    ck->stream = STREAM_STDOUT;
    ck->within_limits = true;

    const yaml_node_t *v = map_get(ld, map, "kind");
    if (!v) {
        /* A misspelt "knid" is better reported as such than as a missing kind. */
        if (validate_keys(ld, map, CHECK_KEYS, NULL))
            return -1;
        char list[256];
        join_names(KIND_NAMES, list, sizeof list);
        return fail(ld, map, "missing required key 'kind' in this check (one of %s)", list);
    }
    int kind;
    if (read_enum(ld, v, "kind", KIND_NAMES, &kind) || validate_keys(ld, map, KIND_KEYS[kind], KIND_NAMES[kind]) ||
        opt_text(ld, map, "fail", &ck->fail))
        return -1;
    ck->kind = (enum rubric_check_kind)kind;
    switch (ck->kind) {
    case CHECK_EXIT_STATUS:
        return parse_exit_status(ld, map, ck);
    case CHECK_OUTPUT:
        return parse_output(ld, map, ck);
    case CHECK_SOURCE:
        return parse_source(ld, map, ck);
    case CHECK_TRACEMALLOC:
        return parse_tracemalloc(ld, map, ck);
    case CHECK_FACT:
        return parse_fact(ld, map, ck);
    }
    return -1;
}

/* ---- criteria ----------------------------------------------------------- */

static int parse_checks(struct loader *ld, const yaml_node_t *seq, struct rubric_criterion *c)
{
    if (expect_list(ld, seq, "checks"))
        return -1;
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (n == 0)
        return fail(ld, seq, "'checks' must not be empty: a criterion needs at least one check");
    if (n > RUBRIC_MAX_CHECKS - ld->nchecks)
        return fail(ld, seq, "too many checks: a rubric may hold at most %d", RUBRIC_MAX_CHECKS);
    ld->nchecks += n;
    if (!(c->checks = calloc(n, sizeof *c->checks)))
        return out_of_memory(ld);
    c->nchecks = n; /* zeroed entries are safe to free if a later one fails */
    for (size_t i = 0; i < n; i++)
        if (parse_check(ld, node_at(ld, seq->data.sequence.items.start[i]), &c->checks[i]))
            return -1;
    return 0;
}

static int parse_feedback(struct loader *ld, const yaml_node_t *map, struct rubric_criterion *c)
{
    return expect_mapping(ld, map, "feedback") || validate_keys(ld, map, FEEDBACK_KEYS, NULL) ||
                   opt_text(ld, map, "pass", &c->feedback_pass) || opt_text(ld, map, "fail", &c->feedback_fail)
               ? -1
               : 0;
}

static int parse_criterion(struct loader *ld, const yaml_node_t *map, struct rubric_criterion *c)
{
    static const char where[] = "in this criterion";
    if (map->type != YAML_MAPPING_NODE) {
        char buf[96];
        return fail(ld, map,
                    "each item of 'criteria' must be a mapping (id, title, points, "
                    "checks, ...), not %s",
                    what_is(map, buf, sizeof buf));
    }
    c->line = (int)map->start_mark.line + 1;
    c->column = (int)map->start_mark.column + 1;
    if (validate_keys(ld, map, CRITERION_KEYS, NULL))
        return -1;

    const yaml_node_t *v;
    int visibility = RUBRIC_VISIBLE;
    if (!(v = need(ld, map, "id", where)) || read_id(ld, v, "id", &c->id) || !(v = need(ld, map, "title", where)) ||
        read_text(ld, v, "title", false, &c->title) || !(v = need(ld, map, "points", where)) ||
        read_number(ld, v, "points", false, &c->points) ||
        opt_enum(ld, map, "visibility", VISIBILITY_NAMES, &visibility) || !(v = need(ld, map, "checks", where)) ||
        parse_checks(ld, v, c) || ((v = map_get(ld, map, "feedback")) && parse_feedback(ld, v, c)))
        return -1;
    c->visibility = (enum rubric_visibility)visibility;
    return 0;
}

/* Ids name criteria in every report, so two criteria may not share one. */
static int check_unique_id(struct loader *ld, const yaml_node_t *seq, const struct rubric *r, size_t i)
{
    for (size_t j = 0; j < i; j++) {
        if (strcmp(r->criteria[j].id, r->criteria[i].id) != 0)
            continue;
        const yaml_node_t *first = map_get(ld, node_at(ld, seq->data.sequence.items.start[j]), "id");
        const yaml_node_t *again = map_get(ld, node_at(ld, seq->data.sequence.items.start[i]), "id");
        return fail(ld, again, "duplicate criterion id '%s' (first used at line %zu)", r->criteria[i].id,
                    first->start_mark.line + 1);
    }
    return 0;
}

static int parse_criteria(struct loader *ld, const yaml_node_t *seq, struct rubric *r)
{
    if (expect_list(ld, seq, "criteria"))
        return -1;
    size_t n = (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
    if (n == 0)
        return fail(ld, seq, "'criteria' must not be empty: a rubric needs at least one criterion");
    if (!(r->criteria = calloc(n, sizeof *r->criteria)))
        return out_of_memory(ld);
    r->ncriteria = n;
    for (size_t i = 0; i < n; i++) {
        if (parse_criterion(ld, node_at(ld, seq->data.sequence.items.start[i]), &r->criteria[i]) ||
            check_unique_id(ld, seq, r, i))
            return -1;
        r->max_score += r->criteria[i].points;
    }
    return 0;
}

/* ---- top level ---------------------------------------------------------- */

/* The submission is looked up by this name at its top level, so a path
 * ("src/x.py", "../x.py") would be a different, unchecked lookup. */
static int read_entry(struct loader *ld, const yaml_node_t *v, char **out)
{
    if (read_text(ld, v, "entry", false, out))
        return -1;
    const char *s = *out;
    bool plain = strcmp(s, ".") != 0 && strcmp(s, "..") != 0 && !strchr(s, '/');
    for (const char *p = s; plain && *p; p++)
        plain = (unsigned char)*p >= 0x20 && *p != 0x7f;
    if (!plain) {
        char buf[96];
        return fail(ld, v, "'entry' must be a plain file name such as leaky_app.py, not '%s'",
                    excerpt(s, strlen(s), buf, sizeof buf));
    }
    return 0;
}

/* Resolves `baseline` against the rubric file's directory (not the working
 * directory, so a rubric can be loaded from anywhere) and stores the
 * canonical absolute path. */
static int read_baseline(struct loader *ld, const yaml_node_t *v, char **out)
{
    char *rel = NULL, *joined = NULL, buf[96];
    if (read_text(ld, v, "baseline", false, &rel))
        return -1;
    const char *slash = strrchr(ld->path, '/');
    int dirlen = slash ? (int)(slash - ld->path) : 1;
    int n = rel[0] == '/' ? asprintf(&joined, "%s", rel)
                          : asprintf(&joined, "%.*s/%s", dirlen, slash ? ld->path : ".", rel);
    if (n < 0) {
        free(rel);
        return out_of_memory(ld);
    }
    excerpt(rel, strlen(rel), buf, sizeof buf);
    free(rel);
    /* The joined path holds the author's text too: escaped alike (a path
     * with a newline or an escape sequence would garble the message;
     * found by fuzzing). */
    char shown[sizeof buf + 64];
    excerpt(joined, strlen(joined), shown, sizeof shown);

    int rc = 0;
    struct stat st;
    char *abs = realpath(joined, NULL);
    if (!abs && errno == ENOENT)
        rc = fail(ld, v, "baseline '%s' does not exist (looked for %s)", buf, shown);
    else if (!abs || stat(abs, &st) != 0)
        rc = fail(ld, v, "baseline '%s' cannot be read (%s): %s", buf, shown, strerror(errno));
    else if (!S_ISREG(st.st_mode))
        rc = fail(ld, v, "baseline '%s' is not a regular file (%s)", buf,
                  excerpt(abs, strlen(abs), shown, sizeof shown));
    free(joined);
    if (rc)
        free(abs);
    else
        *out = abs;
    return rc;
}

static int parse_limits(struct loader *ld, const yaml_node_t *map, struct rubric_limits *l)
{
    long long processes = l->processes;
    const yaml_node_t *v;
    if (expect_mapping(ld, map, "limits") || validate_keys(ld, map, LIMIT_KEYS, NULL) ||
        opt_number(ld, map, "cpu_seconds", true, &l->cpu_seconds) ||
        opt_number(ld, map, "wall_seconds", true, &l->wall_seconds) ||
        opt_number(ld, map, "memory_mb", true, &l->memory_mb) ||
        ((v = map_get(ld, map, "processes")) && read_int(ld, v, "processes", 1, UINT_MAX, &processes)) ||
        opt_number(ld, map, "file_size_mb", true, &l->file_size_mb) ||
        opt_number(ld, map, "output_kb", true, &l->output_kb))
        return -1;
    l->processes = (unsigned)processes;
    return 0;
}

static const struct rubric_limits DEFAULT_LIMITS = {
    .cpu_seconds = 10,
    .wall_seconds = 20,
    .memory_mb = 512,
    .file_size_mb = 16,
    .output_kb = 256,
    .processes = 64,
};

/* guard: {block: [network, ...]}: what the runtime's audit hook refuses
 * (it records every category either way). */
static int parse_guard(struct loader *ld, const yaml_node_t *map, struct rubric *r)
{
    const yaml_node_t *seq;
    if (expect_mapping(ld, map, "guard") || validate_keys(ld, map, GUARD_KEYS, NULL))
        return -1;
    if (!(seq = map_get(ld, map, "block")))
        return 0;
    if (expect_list(ld, seq, "block"))
        return -1;
    for (yaml_node_item_t *it = seq->data.sequence.items.start; it < seq->data.sequence.items.top; it++) {
        int which;
        if (read_enum(ld, node_at(ld, *it), "guard category", GUARD_NAMES, &which))
            return -1;
        r->guard_block |= 1u << which;
    }
    return 0;
}

/* python: {site_packages: true}: the runs see the interpreter's installed
 * packages (by default only its standard library). */
static int parse_python(struct loader *ld, const yaml_node_t *map, struct rubric *r)
{
    if (expect_mapping(ld, map, "python") || validate_keys(ld, map, PYTHON_KEYS, NULL))
        return -1;
    return opt_bool(ld, map, "site_packages", &r->site_packages);
}

const char *rubric_guard_name(unsigned bit)
{
    return bit < COUNT(GUARD_NAMES) - 1 ? GUARD_NAMES[bit] : NULL;
}

static int parse_rubric(struct loader *ld, const yaml_node_t *root, struct rubric *r)
{
    static const char where[] = "in the rubric";
    if (root->type != YAML_MAPPING_NODE) {
        char buf[96];
        return fail(ld, root,
                    "a rubric must be a mapping of keys (id, title, entry, baseline, "
                    "limits, criteria), not %s",
                    what_is(root, buf, sizeof buf));
    }
    if (validate_keys(ld, root, TOP_KEYS, NULL))
        return -1;

    const yaml_node_t *v;
    r->limits = DEFAULT_LIMITS;
    if (!(v = need(ld, root, "id", where)) || read_id(ld, v, "id", &r->id) || !(v = need(ld, root, "title", where)) ||
        read_text(ld, v, "title", false, &r->title) || !(v = need(ld, root, "entry", where)) ||
        read_entry(ld, v, &r->entry) || !(v = need(ld, root, "baseline", where)) ||
        read_baseline(ld, v, &r->baseline) || ((v = map_get(ld, root, "limits")) && parse_limits(ld, v, &r->limits)) ||
        ((v = map_get(ld, root, "guard")) && parse_guard(ld, v, r)) ||
        ((v = map_get(ld, root, "python")) && parse_python(ld, v, r)) || !(v = need(ld, root, "criteria", where)) ||
        parse_criteria(ld, v, r))
        return -1;
    return 0;
}

/* libyaml accepts any tag; the rubric has no use for them, and a tag like
 * !!int would silently change how a value reads, so all are refused.  (An
 * explicit !!str on a plain scalar is indistinguishable from no tag.) */
static int refuse_tags(struct loader *ld)
{
    static const char core[] = "tag:yaml.org,2002:";
    for (yaml_node_t *n = ld->doc->nodes.start; n < ld->doc->nodes.top; n++) {
        const char *tag = (const char *)n->tag;
        const char *usual = n->type == YAML_SCALAR_NODE     ? YAML_DEFAULT_SCALAR_TAG
                            : n->type == YAML_SEQUENCE_NODE ? YAML_DEFAULT_SEQUENCE_TAG
                                                            : YAML_DEFAULT_MAPPING_TAG;
        if (!tag || strcmp(tag, usual) == 0)
            continue;
        bool is_core = strncmp(tag, core, sizeof core - 1) == 0;
        char buf[96];
        excerpt(is_core ? tag + sizeof core - 1 : tag, strlen(tag) - (is_core ? sizeof core - 1 : 0), buf, sizeof buf);
        return fail(ld, n,
                    "unsupported tag '%s%s'; rubrics use untagged values (quote a value "
                    "to make it text)",
                    is_core ? "!!" : "", buf);
    }
    return 0;
}

/* ---- reading the file and YAML errors ---------------------------------- */

static int read_file(struct loader *ld, char **out, size_t *outlen)
{
    int fd = open(ld->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return fail_at(ld, NULL, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return fail_at(ld, NULL, "not a regular file");
    }
    char *buf = malloc(RUBRIC_MAX_BYTES + 1);
    size_t len = 0;
    ssize_t n = 1;
    while (buf && len <= RUBRIC_MAX_BYTES && (n = read(fd, buf + len, RUBRIC_MAX_BYTES + 1 - len)) != 0) {
        if (n < 0 && errno != EINTR)
            break;
        if (n > 0)
            len += (size_t)n;
    }
    int err = errno;
    close(fd);
    if (!buf)
        return out_of_memory(ld);
    if (n < 0 || len > RUBRIC_MAX_BYTES) {
        free(buf);
        return n < 0 ? fail_at(ld, NULL, "cannot read: %s", strerror(err))
                     : fail_at(ld, NULL, "larger than %d bytes; a rubric is a short text file", RUBRIC_MAX_BYTES);
    }
    *out = buf;
    *outlen = len;
    return 0;
}

/* Reader errors (bad UTF-8, control characters) carry a byte offset, not
 * a mark; count lines and characters up to it the way libyaml would. */
static yaml_mark_t mark_of_offset(const char *buf, size_t len, size_t offset)
{
    yaml_mark_t m = {0};
    for (size_t i = 0; i < offset && i < len; i++) {
        if (buf[i] == '\n' || (buf[i] == '\r' && (i + 1 >= len || buf[i + 1] != '\n'))) {
            m.line++;
            m.column = 0;
        } else if (((unsigned char)buf[i] & 0xC0) != 0x80 && buf[i] != '\r') {
            m.column++;
        }
    }
    m.index = offset;
    return m;
}

static int yaml_error(struct loader *ld, const yaml_parser_t *p, const char *buf, size_t len)
{
    const char *problem = p->problem ? p->problem : "unknown problem";
    if (p->error == YAML_MEMORY_ERROR)
        return out_of_memory(ld);
    if (p->error == YAML_READER_ERROR) {
        yaml_mark_t m = mark_of_offset(buf, len, p->problem_offset);
        if (p->problem_value >= 0)
            return fail_at(ld, &m, "invalid YAML text: %s (0x%X)", problem, (unsigned)p->problem_value);
        return fail_at(ld, &m, "invalid YAML text: %s", problem);
    }
    if (p->context)
        return fail_at(ld, &p->problem_mark,
                       "YAML syntax error: %s (%s that starts at line %zu "
                       "column %zu)",
                       problem, p->context, p->context_mark.line + 1, p->context_mark.column + 1);
    return fail_at(ld, &p->problem_mark, "YAML syntax error: %s", problem);
}

/* Loads the one document a rubric holds; a second one is an error rather
 * than silently ignored text. */
static int load_document(struct loader *ld, yaml_parser_t *p, yaml_document_t *doc, const char *buf, size_t len)
{
    if (!yaml_parser_load(p, doc))
        return yaml_error(ld, p, buf, len);
    yaml_document_t extra;
    if (!yaml_parser_load(p, &extra)) {
        yaml_document_delete(doc);
        return yaml_error(ld, p, buf, len);
    }
    bool more = yaml_document_get_root_node(&extra) != NULL;
    yaml_mark_t at = extra.start_mark;
    yaml_document_delete(&extra);
    if (!more)
        return 0;
    yaml_document_delete(doc);
    return fail_at(ld, &at, "a rubric file holds one YAML document; this is a second one");
}

static int load_yaml(struct loader *ld, const char *buf, size_t len, struct rubric *r)
{
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser))
        return out_of_memory(ld);
    yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
    int rc = load_document(ld, &parser, &doc, buf, len);
    if (rc == 0) {
        const yaml_node_t *root = yaml_document_get_root_node(&doc);
        ld->doc = &doc;
        if (!root)
            rc = fail_at(ld, NULL, "the rubric is empty (see rubrics/README.md for the format)");
        else
            rc = refuse_tags(ld) || parse_rubric(ld, root, r) ? -1 : 0;
        ld->doc = NULL;
        yaml_document_delete(&doc);
    }
    yaml_parser_delete(&parser);
    return rc;
}

int rubric_load(const char *path, struct rubric *rubric, char *errbuf, size_t errlen)
{
    struct loader ld = {.path = path ? path : "(null)", .errbuf = errbuf, .errlen = errlen};
    char *buf = NULL;
    size_t len = 0;
    if (errbuf && errlen)
        errbuf[0] = '\0';
    memset(rubric, 0, sizeof *rubric);
    if (!path)
        return fail_at(&ld, NULL, "no rubric path given");
    if (read_file(&ld, &buf, &len))
        return -1;

    int rc = load_yaml(&ld, buf, len, rubric);
    if (rc == 0) {
        /* Hash the bytes that were parsed, not the file again: the two
         * cannot differ, even if the file changes meanwhile. */
        char hex[DIGEST_HEX_LEN];
        digest_sha256_hex(buf, len, hex);
        rubric->sha256 = strdup(hex);
        rubric->path = strdup(path);
        if (!rubric->sha256 || !rubric->path)
            rc = out_of_memory(&ld);
    }
    free(buf);
    if (rc)
        rubric_free(rubric);
    return rc;
}

static void free_check(struct rubric_check *ck)
{
    free(ck->pattern);
    pcre2_code_free((pcre2_code *)ck->code);
    free(ck->fact);
    free(ck->value_json);
    free(ck->fail);
}

static void free_criterion(struct rubric_criterion *c)
{
    for (size_t i = 0; c->checks && i < c->nchecks; i++)
        free_check(&c->checks[i]);
    free(c->checks);
    free(c->id);
    free(c->title);
    free(c->feedback_pass);
    free(c->feedback_fail);
}

void rubric_free(struct rubric *rubric)
{
    if (!rubric)
        return;
    for (size_t i = 0; rubric->criteria && i < rubric->ncriteria; i++)
        free_criterion(&rubric->criteria[i]);
    free(rubric->criteria);
    free(rubric->path);
    free(rubric->sha256);
    free(rubric->id);
    free(rubric->title);
    free(rubric->entry);
    free(rubric->baseline);
    memset(rubric, 0, sizeof *rubric);
}
