/* test_rubric.c: the rubric loader against the fixtures in data/rubrics/.
 *
 * Valid fixtures are checked value by value (including every default);
 * each invalid fixture must fail with its exact "file:line:column: message". */
#include "check_main.h"
#include "digest.h"
#include "rubric.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include <check.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The fixtures sit next to this file; __FILE__ finds them whether the
 * compiler was given a relative or an absolute source path. */
static const char *data_dir(void)
{
    static char dir[PATH_MAX];
    if (!dir[0]) {
        const char *slash = strrchr(__FILE__, '/');
        int len = slash ? (int)(slash - __FILE__) : 1;
        snprintf(dir, sizeof dir, "%.*s/data/rubrics", len, slash ? __FILE__ : ".");
    }
    return dir;
}

static const char *fixture(const char *name)
{
    static char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/%s", data_dir(), name);
    return path;
}

static char err[2048];

/* Loads a fixture that must be valid, failing the test with the loader's
 * message when it is not. */
static void load_ok(const char *name, struct rubric *r)
{
    int rc = rubric_load(fixture(name), r, err, sizeof err);
    ck_assert_msg(rc == 0, "%s: %s", name, err);
}

static bool regex_matches(const struct rubric_check *c, const char *text)
{
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(c->code, NULL);
    int rc = pcre2_match(c->code, (PCRE2_SPTR)text, strlen(text), 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

/* ---- valid rubrics ------------------------------------------------------ */

START_TEST(test_full_top_level)
{
    struct rubric r;
    char expect_hex[DIGEST_HEX_LEN], *expect_baseline;
    load_ok("valid_full.yaml", &r);
    ck_assert_str_eq(r.path, fixture("valid_full.yaml"));
    ck_assert_str_eq(r.id, "weakref-leak");
    ck_assert_str_eq(r.title, "Fix the Game/Player leak with weakref");
    ck_assert_str_eq(r.entry, "leaky_app.py");
    ck_assert_int_eq(digest_sha256_file_hex(fixture("valid_full.yaml"), expect_hex), 0);
    ck_assert_str_eq(r.sha256, expect_hex);
    /* Resolved against the rubric's directory, stored absolute. */
    expect_baseline = realpath(fixture("baselines/leaky_app.py"), NULL);
    ck_assert_ptr_nonnull(expect_baseline);
    ck_assert_str_eq(r.baseline, expect_baseline);
    ck_assert_int_eq(r.baseline[0], '/');
    free(expect_baseline);
    ck_assert_double_eq(r.limits.cpu_seconds, 2.5);
    ck_assert_double_eq(r.limits.wall_seconds, 5);
    ck_assert_double_eq(r.limits.memory_mb, 256);
    ck_assert_uint_eq(r.limits.processes, 8);
    ck_assert_double_eq(r.limits.file_size_mb, 1);
    ck_assert_double_eq(r.limits.output_kb, 64);
    ck_assert_uint_eq(r.ncriteria, 4);
    ck_assert_double_eq(r.max_score, 10 + 2.5 + 0 + 7);
    rubric_free(&r);
}
END_TEST

START_TEST(test_full_criteria)
{
    struct rubric r;
    load_ok("valid_full.yaml", &r);
    const struct rubric_criterion *c = r.criteria;
    ck_assert_str_eq(c[0].id, "runs");
    ck_assert_str_eq(c[0].title, "The fixed script runs");
    ck_assert_double_eq(c[0].points, 10);
    ck_assert_int_eq(c[0].visibility, RUBRIC_VISIBLE);
    ck_assert_ptr_null(c[0].feedback_pass);
    ck_assert_ptr_null(c[0].feedback_fail);
    ck_assert_int_eq(c[0].line, 14);
    ck_assert_int_eq(c[0].column, 5);
    ck_assert_uint_eq(c[0].nchecks, 2);

    ck_assert_str_eq(c[1].id, "uses-weakref");
    ck_assert_double_eq(c[1].points, 2.5);
    ck_assert_int_eq(c[1].visibility, RUBRIC_HIDDEN);
    ck_assert_str_eq(c[1].feedback_pass, "Well done.");
    ck_assert_str_eq(c[1].feedback_fail, "Store the game as weakref.ref(game); {probe.selftest.freed_by_refcount}");

    ck_assert_str_eq(c[2].id, "baseline_leaks");
    ck_assert_double_eq(c[2].points, 0);
    ck_assert_int_eq(c[2].visibility, RUBRIC_AFTER_DUE_DATE);
    ck_assert_uint_eq(c[2].nchecks, 6);
    ck_assert_str_eq(c[3].id, "facts");
    ck_assert_uint_eq(c[3].nchecks, 13);
    rubric_free(&r);
}
END_TEST

START_TEST(test_full_exit_status_and_output)
{
    struct rubric r;
    load_ok("valid_full.yaml", &r);
    const struct rubric_check *ck = r.criteria[0].checks;
    ck_assert_int_eq(ck[0].kind, CHECK_EXIT_STATUS);
    ck_assert_int_eq(ck[0].run, RUN_AFTER);
    ck_assert_int_eq(ck[0].equals_int, 0);
    ck_assert(ck[0].within_limits);
    ck_assert_str_eq(ck[0].fail, "The script did not exit cleanly.");
    ck_assert_int_eq(ck[0].line, 18);
    ck_assert_int_eq(ck[0].column, 9);

    ck_assert_int_eq(ck[1].kind, CHECK_OUTPUT);
    ck_assert_int_eq(ck[1].run, RUN_AFTER);
    ck_assert_int_eq(ck[1].stream, STREAM_STDOUT);
    ck_assert(!ck[1].negate);
    ck_assert_ptr_null(ck[1].fail);
    ck_assert_str_eq(ck[1].pattern, "^Game '.*' has 5 players\\.$");
    ck_assert_ptr_nonnull(ck[1].code);
    /* MULTILINE: ^ and $ match at every line of the output. */
    ck_assert(regex_matches(&ck[1], "start\nGame 'The Big Game' has 5 players.\nend\n"));
    ck_assert(!regex_matches(&ck[1], "Game 'The Big Game' has 4 players.\n"));

    const struct rubric_check *b = r.criteria[2].checks;
    ck_assert_int_eq(b[0].kind, CHECK_EXIT_STATUS);
    ck_assert_int_eq(b[0].run, RUN_BEFORE);
    ck_assert_int_eq(b[0].equals_int, 3);
    ck_assert(!b[0].within_limits);
    ck_assert_int_eq(b[1].kind, CHECK_OUTPUT);
    ck_assert_int_eq(b[1].run, RUN_BEFORE);
    ck_assert_int_eq(b[1].stream, STREAM_STDERR);
    ck_assert(b[1].negate);
    rubric_free(&r);
}
END_TEST

START_TEST(test_full_source_and_tracemalloc)
{
    struct rubric r;
    load_ok("valid_full.yaml", &r);
    const struct rubric_check *s = r.criteria[1].checks;
    ck_assert_int_eq(s[0].kind, CHECK_SOURCE);
    ck_assert_str_eq(s[0].pattern, "weakref");
    ck_assert(!s[0].negate);
    ck_assert_int_eq(s[1].kind, CHECK_SOURCE);
    ck_assert_str_eq(s[1].pattern, "gc\\.collect\\(\\)");
    ck_assert(s[1].negate);
    ck_assert_str_eq(s[1].fail, "Do not hide the cycle with gc.collect().");
    ck_assert(regex_matches(&s[1], "import gc\ngc.collect()\n"));

    const struct rubric_check *t = r.criteria[2].checks;
    ck_assert_int_eq(t[2].kind, CHECK_TRACEMALLOC);
    ck_assert_int_eq(t[2].run, RUN_BEFORE);
    ck_assert_int_eq(t[2].condition, TM_MIN_STATISTICS);
    ck_assert_int_eq(t[2].at_least, 3);
    ck_assert_int_eq(t[3].condition, TM_ENTRY_RETAINED);
    ck_assert_int_eq(t[3].run, RUN_AFTER);
    ck_assert_int_eq(t[4].condition, TM_RELEASED_VS_BASELINE);
    ck_assert_int_eq(t[5].condition, TM_AGREES_WITH_SNAPSHOTS);
    rubric_free(&r);
}
END_TEST

/* Each fact check's comparison and its value as JSON text. */
static const struct {
    const char *fact;
    enum rubric_cmp cmp;
    const char *json;
} FACTS[] = {
    {"probe.selftest.freed_by_refcount", CMP_EQUALS, "true"},
    {"probe.game.freed", CMP_NOT_EQUALS, "false"},
    {"probe.root", CMP_EQUALS, "null"},
    {"probe.root2", CMP_EQUALS, "null"},
    {"probe.snapshots.1.live", CMP_AT_MOST, "0"},
    {"probe.players", CMP_AT_LEAST, "2.5"},
    {"probe.count", CMP_EQUALS, "16"},      /* 0x10 */
    {"probe.ratio", CMP_EQUALS, "0.5e3"},   /* +.5e3: JSON has no '+' or bare '.' */
    {"probe.word", CMP_EQUALS, "\"true\""}, /* quoted: a string, not a boolean */
    {"probe.text", CMP_EQUALS, "\"say \\\"hi\\\"\\\\\\n\\ttab\""},
    {"probe.neg", CMP_NOT_EQUALS, "-3"},
    {"probe.yes", CMP_EQUALS, "\"yes\""}, /* YAML 1.2: yes is text */
    {"probe.float", CMP_AT_LEAST, "7"},   /* 007. */
};

START_TEST(test_full_fact_values)
{
    struct rubric r;
    load_ok("valid_full.yaml", &r);
    const struct rubric_criterion *c = &r.criteria[3];
    ck_assert_uint_eq(c->nchecks, sizeof FACTS / sizeof FACTS[0]);
    for (size_t i = 0; i < c->nchecks; i++) {
        ck_assert_int_eq(c->checks[i].kind, CHECK_FACT);
        ck_assert_str_eq(c->checks[i].fact, FACTS[i].fact);
        ck_assert_int_eq(c->checks[i].cmp, FACTS[i].cmp);
        ck_assert_str_eq(c->checks[i].value_json, FACTS[i].json);
    }
    rubric_free(&r);
}
END_TEST

START_TEST(test_minimal_defaults)
{
    struct rubric r;
    load_ok("valid_minimal.yaml", &r);
    ck_assert_double_eq(r.limits.cpu_seconds, 10);
    ck_assert_double_eq(r.limits.wall_seconds, 20);
    ck_assert_double_eq(r.limits.memory_mb, 512);
    ck_assert_uint_eq(r.limits.processes, 64);
    ck_assert_double_eq(r.limits.file_size_mb, 16);
    ck_assert_double_eq(r.limits.output_kb, 256);
    ck_assert_uint_eq(r.ncriteria, 1);
    ck_assert_double_eq(r.max_score, 1);
    const struct rubric_criterion *c = &r.criteria[0];
    ck_assert_int_eq(c->visibility, RUBRIC_VISIBLE);
    ck_assert_ptr_null(c->feedback_pass);
    ck_assert_uint_eq(c->nchecks, 1);
    ck_assert_int_eq(c->checks[0].kind, CHECK_EXIT_STATUS);
    ck_assert_int_eq(c->checks[0].run, RUN_AFTER);
    ck_assert_int_eq(c->checks[0].equals_int, 0);
    ck_assert(c->checks[0].within_limits);
    ck_assert_ptr_null(c->checks[0].code);
    ck_assert_uint_eq(r.guard_block, 0);
    ck_assert(!r.site_packages); /* hidden unless the rubric says so */
    rubric_free(&r);
}
END_TEST

START_TEST(test_python_site_packages)
{
    struct rubric r;
    load_ok("valid_python.yaml", &r);
    ck_assert(r.site_packages);
    rubric_free(&r);
}
END_TEST

START_TEST(test_guard_block)
{
    struct rubric r;
    load_ok("valid_guard.yaml", &r);
    ck_assert_str_eq(rubric_guard_name(0), "network");
    ck_assert_str_eq(rubric_guard_name(3), "ctypes");
    ck_assert_ptr_null(rubric_guard_name(4));
    ck_assert_uint_eq(r.guard_block, (1u << 0) | (1u << 3));
    rubric_free(&r);
}
END_TEST

/* "../baselines/..." from data/rubrics/sub/ reaches data/rubrics/baselines/,
 * which the working directory (the repository root) does not hold. */
START_TEST(test_baseline_relative_to_rubric)
{
    struct rubric r;
    load_ok("sub/valid_parent_baseline.yaml", &r);
    char *expect = realpath(fixture("baselines/leaky_app.py"), NULL);
    ck_assert_ptr_nonnull(expect);
    ck_assert_str_eq(r.baseline, expect);
    free(expect);
    /* UTF mode: "." is one code point, so "éé" is exactly two characters;
     * byte-wise it would be four bytes and not match. */
    ck_assert(regex_matches(&r.criteria[0].checks[0], "\xc3\xa9\xc3\xa9"));
    ck_assert(!regex_matches(&r.criteria[0].checks[0], "\xc3\xa9\xc3\xa9\xc3\xa9"));
    rubric_free(&r);
}
END_TEST

/* A rubric path without any '/' resolves against ".". */
START_TEST(test_path_without_directory)
{
    char cwd[PATH_MAX];
    struct rubric r;
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    char *expect = realpath(fixture("baselines/leaky_app.py"), NULL);
    ck_assert_ptr_nonnull(expect);
    ck_assert_int_eq(chdir(data_dir()), 0);
    int rc = rubric_load("valid_minimal.yaml", &r, err, sizeof err);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_msg(rc == 0, "%s", err);
    ck_assert_str_eq(r.path, "valid_minimal.yaml");
    ck_assert_str_eq(r.baseline, expect);
    free(expect);
    rubric_free(&r);
}
END_TEST

START_TEST(test_absolute_rubric_path)
{
    struct rubric r;
    char *abs = realpath(fixture("valid_minimal.yaml"), NULL);
    ck_assert_ptr_nonnull(abs);
    ck_assert_int_eq(rubric_load(abs, &r, err, sizeof err), 0);
    ck_assert_str_eq(r.path, abs);
    ck_assert_int_eq(r.baseline[0], '/');
    free(abs);
    rubric_free(&r);
}
END_TEST

/* ---- invalid rubrics: exact position and message ------------------------ */

static const struct {
    const char *file;
    const char *where_what; /* "line:column: message" after "<path>:" */
} BAD[] = {
    {"bad_syntax.yaml",
     "9:1: YAML syntax error: found unexpected end of stream (while scanning "
     "a quoted scalar that starts at line 7 column 12)"},
    {"bad_indent.yaml",
     "8:4: YAML syntax error: did not find expected '-' indicator (while "
     "parsing a block collection that starts at line 6 column 3)"},
    /* Column 11: "é" before the bad byte is one character, as libyaml counts. */
    {"bad_utf8.yaml", "6:11: invalid YAML text: invalid leading UTF-8 octet (0xFF)"},
    {"bad_points_type.yaml", "8:13: 'points' must be a number, not the string 'ten'"},
    {"bad_points_negative.yaml", "8:13: 'points' must be at least 0 (negative points are not allowed), not -5"},
    {"bad_missing_entry.yaml", "1:1: missing required key 'entry' in the rubric"},
    {"bad_missing_points.yaml", "6:5: missing required key 'points' in this criterion"},
    {"bad_missing_pattern.yaml", "10:9: missing required key 'pattern' in this check of kind 'output'"},
    {"bad_missing_kind.yaml",
     "10:9: missing required key 'kind' in this check (one of "
     "exit_status, output, source, tracemalloc, fact)"},
    {"bad_unknown_key.yaml", "8:5: unknown key 'pionts'; did you mean 'points'?"},
    {"bad_check_typo.yaml", "11:9: unknown key 'patern'; did you mean 'pattern'?"},
    {"bad_guard_type.yaml", "7:10: 'block' must be a list, not the string 'network'"},
    {"bad_unknown_key_far.yaml",
     "5:1: unknown key 'colour'; valid keys here are id, title, entry, baseline, limits, guard, python, criteria"},
    {"bad_python_site.yaml", "7:18: 'site_packages' must be true or false, not the string 'sometimes'"},
    {"bad_not_applicable.yaml",
     "11:9: 'negate' does not apply to a check of kind 'exit_status' "
     "(it takes kind, run, equals, within_limits, fail)"},
    {"bad_duplicate_key.yaml", "9:5: duplicate key 'title' (first given at line 7)"},
    {"bad_duplicate_id.yaml", "10:9: duplicate criterion id 'runs' (first used at line 6)"},
    {"bad_visibility.yaml", "9:17: invalid visibility 'public'; valid values are visible, hidden, after_due_date"},
    {"bad_kind.yaml",
     "10:15: invalid kind 'exit_code'; valid values are exit_status, output, "
     "source, tracemalloc, fact"},
    {"bad_regex.yaml",
     "11:18: invalid regular expression at offset 15: missing closing "
     "parenthesis"},
    {"bad_entry_path.yaml", "3:8: 'entry' must be a plain file name such as leaky_app.py, not 'src/leaky_app.py'"},
    {"bad_fact_two_cmps.yaml",
     "13:9: a check of kind 'fact' takes exactly one of equals, "
     "not_equals, at_least, at_most; found both 'equals' and 'at_most'"},
    {"bad_fact_no_cmp.yaml", "10:9: a check of kind 'fact' needs one of equals, not_equals, at_least, at_most"},
    {"bad_fact_bound_type.yaml", "12:19: 'at_least' must be a number, not the string '2'"},
    {"bad_fact_path.yaml",
     "11:15: 'fact' must be a dotted path such as "
     "probe.observed.no_cycle (letters, digits and '_', parts "
     "joined by '.'), not 'probe..game'"},
    {"bad_equals_list.yaml",
     "12:17: 'equals' must be a single value (true, false, null, a "
     "number or text), not a list"},
    {"bad_exit_equals_type.yaml", "11:17: 'equals' must be a whole number, not the string 'zero'"},
    {"bad_at_least_condition.yaml",
     "12:19: 'at_least' does not apply to condition "
     "'entry_retained' (only to 'min_statistics')"},
    {"bad_at_least_negative.yaml", "12:19: 'at_least' must be at least 0, not -1"},
    {"bad_processes.yaml", "6:14: 'processes' must be a whole number, not the number 1.5"},
    {"bad_cpu_zero.yaml", "6:16: 'cpu_seconds' must be greater than 0, not 0"},
    {"bad_empty_criteria.yaml", "5:11: 'criteria' must not be empty: a rubric needs at least one criterion"},
    {"bad_empty_checks.yaml", "9:13: 'checks' must not be empty: a criterion needs at least one check"},
    {"bad_checks_mapping.yaml", "10:7: 'checks' must be a list, not a mapping"},
    {"bad_top_list.yaml",
     "1:1: a rubric must be a mapping of keys (id, title, entry, baseline, "
     "limits, criteria), not a list"},
    {"bad_two_documents.yaml", "7:1: a rubric file holds one YAML document; this is a second one"},
    {"bad_tag.yaml",
     "6:37: unsupported tag '!!int'; rubrics use untagged values (quote a value "
     "to make it text)"},
    {"bad_id.yaml",
     "1:5: 'id' must use only lowercase letters, digits, '_' and '-', not "
     "'Weakref Leak'"},
    {"bad_nul.yaml", "2:8: 'title' must not contain a NUL character"},
    {"bad_bool.yaml", "12:17: 'negate' must be true or false, not the string 'yes'"},
    {"bad_baseline_missing.yaml",
     "4:11: baseline 'baselines/missing.py' does not exist (looked "
     "for @DIR@/baselines/missing.py)"},
};

/* Expands "@DIR@" (the fixture directory as the loader saw it). */
static void expand(const char *tmpl, char *out, size_t outlen)
{
    const char *at = strstr(tmpl, "@DIR@");
    if (at)
        snprintf(out, outlen, "%.*s%s%s", (int)(at - tmpl), tmpl, data_dir(), at + 5);
    else
        snprintf(out, outlen, "%s", tmpl);
}

START_TEST(test_invalid_fixture)
{
    struct rubric r;
    char body[1024], expect[2048];
    memset(&r, 0xAB, sizeof r); /* the loader must not trust what it is given */
    ck_assert_int_eq(rubric_load(fixture(BAD[_i].file), &r, err, sizeof err), -1);
    expand(BAD[_i].where_what, body, sizeof body);
    snprintf(expect, sizeof expect, "%s:%s", fixture(BAD[_i].file), body);
    ck_assert_str_eq(err, expect);
    /* A failed load leaves nothing behind: the struct is zeroed. */
    ck_assert_ptr_null(r.criteria);
    ck_assert_ptr_null(r.id);
    ck_assert_ptr_null(r.baseline);
    ck_assert_uint_eq(r.ncriteria, 0);
    rubric_free(&r);
}
END_TEST

START_TEST(test_baseline_is_directory)
{
    struct rubric r;
    char expect[2048];
    char *dir = realpath(fixture("baselines"), NULL);
    ck_assert_ptr_nonnull(dir);
    snprintf(expect, sizeof expect, "%s:4:11: baseline 'baselines' is not a regular file (%s)",
             fixture("bad_baseline_dir.yaml"), dir);
    free(dir);
    ck_assert_int_eq(rubric_load(fixture("bad_baseline_dir.yaml"), &r, err, sizeof err), -1);
    ck_assert_str_eq(err, expect);
}
END_TEST

START_TEST(test_empty_file)
{
    struct rubric r;
    char expect[1024];
    snprintf(expect, sizeof expect, "%s: the rubric is empty (see rubrics/README.md for the format)",
             fixture("empty.yaml"));
    ck_assert_int_eq(rubric_load(fixture("empty.yaml"), &r, err, sizeof err), -1);
    ck_assert_str_eq(err, expect);
}
END_TEST

START_TEST(test_missing_file)
{
    struct rubric r;
    char expect[1024];
    snprintf(expect, sizeof expect, "%s: cannot open: No such file or directory", fixture("no-such.yaml"));
    ck_assert_int_eq(rubric_load(fixture("no-such.yaml"), &r, err, sizeof err), -1);
    ck_assert_str_eq(err, expect);
}
END_TEST

START_TEST(test_directory_as_rubric)
{
    struct rubric r;
    char expect[1024];
    snprintf(expect, sizeof expect, "%s: not a regular file", data_dir());
    ck_assert_int_eq(rubric_load(data_dir(), &r, err, sizeof err), -1);
    ck_assert_str_eq(err, expect);
}
END_TEST

/* Writes `text` to a fresh temporary file; the caller unlinks `path`. */
static void write_temp(char *path, size_t len, const char *text, size_t textlen)
{
    snprintf(path, len, "/tmp/test_rubric_XXXXXX");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(text, 1, textlen, f), textlen);
    ck_assert_int_eq(fclose(f), 0);
}

START_TEST(test_too_large)
{
    size_t len = 1024 * 1024 + 1;
    char *text = malloc(len), path[64], expect[256];
    struct rubric r;
    ck_assert_ptr_nonnull(text);
    memset(text, '#', len);
    write_temp(path, sizeof path, text, len);
    free(text);
    int rc = rubric_load(path, &r, err, sizeof err);
    unlink(path);
    ck_assert_int_eq(rc, -1);
    snprintf(expect, sizeof expect, "%s: larger than 1048576 bytes; a rubric is a short text file", path);
    ck_assert_str_eq(err, expect);
}
END_TEST

/* One aliased list of 200 checks under 60 criteria: a short file that
 * would expand to 12000 compiled checks, past the 10000 cap. */
START_TEST(test_alias_expansion_capped)
{
    char path[64], abs_baseline[PATH_MAX], expect[512];
    size_t cap = (size_t)64 * 1024, used = 0;
    char *text = malloc(cap);
    struct rubric r;
    ck_assert_ptr_nonnull(text);
    ck_assert_ptr_nonnull(realpath(fixture("baselines/leaky_app.py"), abs_baseline));
    used += (size_t)snprintf(text + used, cap - used,
                             "id: big\ntitle: Big\nentry: a.py\nbaseline: %s\ncriteria:\n"
                             "  - {id: c0, title: T, points: 1, checks: &k [",
                             abs_baseline);
    for (int i = 0; i < 200; i++)
        used += (size_t)snprintf(text + used, cap - used, "%s{kind: source, pattern: x}", i ? ", " : "");
    used += (size_t)snprintf(text + used, cap - used, "]}\n");
    for (int i = 1; i < 60; i++)
        used += (size_t)snprintf(text + used, cap - used, "  - {id: c%d, title: T, points: 1, checks: *k}\n", i);
    write_temp(path, sizeof path, text, used);
    free(text);
    int rc = rubric_load(path, &r, err, sizeof err);
    unlink(path);
    ck_assert_int_eq(rc, -1);
    /* Criterion c50 is the first past 10000 checks; its `*k` is the very
     * node anchored on line 6, so the message points at the anchor. */
    snprintf(expect, sizeof expect, "%s:6:43: too many checks: a rubric may hold at most 10000", path);
    ck_assert_str_eq(err, expect);
}
END_TEST

/* ---- API edges ---------------------------------------------------------- */

START_TEST(test_errbuf_null_and_small)
{
    struct rubric r;
    char small[12];
    ck_assert_int_eq(rubric_load(fixture("bad_unknown_key.yaml"), &r, NULL, 0), -1);
    memset(small, 'x', sizeof small);
    ck_assert_int_eq(rubric_load(fixture("bad_unknown_key.yaml"), &r, small, sizeof small), -1);
    ck_assert_uint_eq(strlen(small), sizeof small - 1);
    ck_assert_int_eq(strncmp(small, fixture("bad_unknown_key.yaml"), sizeof small - 1), 0);
    ck_assert_int_eq(rubric_load(NULL, &r, err, sizeof err), -1);
    ck_assert_str_eq(err, "(null): no rubric path given");
}
END_TEST

START_TEST(test_success_clears_errbuf)
{
    struct rubric r;
    strcpy(err, "stale");
    load_ok("valid_minimal.yaml", &r);
    ck_assert_str_eq(err, "");
    rubric_free(&r);
}
END_TEST

START_TEST(test_free_is_safe)
{
    struct rubric r;
    memset(&r, 0, sizeof r);
    rubric_free(&r);
    rubric_free(NULL);
    load_ok("valid_full.yaml", &r);
    rubric_free(&r);
    ck_assert_ptr_null(r.criteria);
    ck_assert_ptr_null(r.path);
    ck_assert_uint_eq(r.ncriteria, 0);
    ck_assert_double_eq(r.max_score, 0);
    rubric_free(&r); /* twice */
}
END_TEST

START_TEST(test_names)
{
    ck_assert_str_eq(rubric_visibility_name(RUBRIC_VISIBLE), "visible");
    ck_assert_str_eq(rubric_visibility_name(RUBRIC_HIDDEN), "hidden");
    ck_assert_str_eq(rubric_visibility_name(RUBRIC_AFTER_DUE_DATE), "after_due_date");
    ck_assert_str_eq(rubric_visibility_name((enum rubric_visibility)42), "unknown");
    /* One past the last value: the table's NULL end must not leak out. */
    ck_assert_str_eq(rubric_visibility_name((enum rubric_visibility)(RUBRIC_AFTER_DUE_DATE + 1)), "unknown");
    ck_assert_str_eq(rubric_check_kind_name(CHECK_EXIT_STATUS), "exit_status");
    ck_assert_str_eq(rubric_check_kind_name(CHECK_FACT), "fact");
    ck_assert_str_eq(rubric_run_name(RUN_BEFORE), "before");
    ck_assert_str_eq(rubric_stream_name(STREAM_STDERR), "stderr");
    ck_assert_str_eq(rubric_tm_condition_name(TM_RELEASED_VS_BASELINE), "released_vs_baseline");
    ck_assert_str_eq(rubric_cmp_name(CMP_NOT_EQUALS), "not_equals");
    ck_assert_str_eq(rubric_cmp_name((enum rubric_cmp) - 1), "unknown");
}
END_TEST

static Suite *rubric_suite(void)
{
    Suite *s = suite_create("rubric");
    TCase *valid = tcase_create("valid");
    tcase_add_test(valid, test_full_top_level);
    tcase_add_test(valid, test_full_criteria);
    tcase_add_test(valid, test_full_exit_status_and_output);
    tcase_add_test(valid, test_full_source_and_tracemalloc);
    tcase_add_test(valid, test_full_fact_values);
    tcase_add_test(valid, test_minimal_defaults);
    tcase_add_test(valid, test_guard_block);
    tcase_add_test(valid, test_python_site_packages);
    tcase_add_test(valid, test_baseline_relative_to_rubric);
    tcase_add_test(valid, test_path_without_directory);
    tcase_add_test(valid, test_absolute_rubric_path);
    suite_add_tcase(s, valid);

    TCase *invalid = tcase_create("invalid");
    tcase_add_loop_test(invalid, test_invalid_fixture, 0, (int)(sizeof BAD / sizeof BAD[0]));
    tcase_add_test(invalid, test_baseline_is_directory);
    tcase_add_test(invalid, test_empty_file);
    tcase_add_test(invalid, test_missing_file);
    tcase_add_test(invalid, test_directory_as_rubric);
    tcase_add_test(invalid, test_too_large);
    tcase_add_test(invalid, test_alias_expansion_capped);
    suite_add_tcase(s, invalid);

    TCase *api = tcase_create("api");
    tcase_add_test(api, test_errbuf_null_and_small);
    tcase_add_test(api, test_success_clears_errbuf);
    tcase_add_test(api, test_free_is_safe);
    tcase_add_test(api, test_names);
    suite_add_tcase(s, api);
    return s;
}

CHECK_MAIN(rubric_suite)
