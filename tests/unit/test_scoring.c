/* Scoring: criteria_evaluate over hand-built facts, and the facts that
 * facts_build derives from parsed tracemalloc reports. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "criteria.h"
#include "facts.h"
#include "runs.h"

static json_t *facts_fixture(void)
{
    json_error_t e;
    json_t *f = json_loads(
        "{\"runs\": {\"after\": {\"exit_code\": 0, \"limit\": null, \"timed_out\": false},"
        "            \"before\": {\"exit_code\": 0, \"limit\": null, \"timed_out\": false}},"
        " \"probe\": {\"exception\": null, \"game_alive_at_snapshot2\": true,"
        "            \"kept_alive\": [{\"chain\": \"local variable 'player' in run_game() -> Player 'Player-4'\"}],"
        "            \"selftest\": {\"freed_by_refcount\": false, \"count\": 5}},"
        " \"tracemalloc\": {\"after\": {\"statistics\": 7}, \"released_vs_baseline\": false,"
        "                  \"agrees_with_snapshots\": true}}",
        0, &e);
    ck_assert_msg(f != NULL, "fixture JSON: %s", e.text);
    return f;
}

static struct rubric_check fact_check(const char *fact, enum rubric_cmp cmp, const char *value)
{
    struct rubric_check c;
    memset(&c, 0, sizeof c);
    c.kind = CHECK_FACT;
    c.fact = (char *)fact;
    c.cmp = cmp;
    c.value_json = (char *)value;
    return c;
}

static struct rubric one_criterion(struct rubric_check *checks, size_t n, struct rubric_criterion *cr)
{
    struct rubric rb;
    memset(&rb, 0, sizeof rb);
    memset(cr, 0, sizeof *cr);
    cr->id = "c";
    cr->title = "t";
    cr->points = 10;
    cr->checks = checks;
    cr->nchecks = n;
    rb.criteria = cr;
    rb.ncriteria = 1;
    rb.max_score = 10;
    return rb;
}

static int eval_one(struct rubric_check *checks, size_t n, json_t *facts, const char *fail, char **feedback)
{
    struct rubric_criterion cr;
    struct rubric rb = one_criterion(checks, n, &cr);
    cr.feedback_fail = (char *)fail;
    cr.feedback_pass = "passed";
    struct criteria_input in = {.facts = facts};
    struct criterion_result res;
    ck_assert_int_eq(criteria_evaluate(&rb, &in, &res), 0);
    *feedback = res.feedback;
    ck_assert(res.passed ? res.points == 10 : res.points == 0);
    return res.passed;
}

START_TEST(fact_comparisons)
{
    json_t *f = facts_fixture();
    char *fb;
    struct rubric_check c = fact_check("probe.exception", CMP_EQUALS, "null");
    ck_assert(eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    c = fact_check("probe.game_alive_at_snapshot2", CMP_EQUALS, "false");
    ck_assert(!eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    c = fact_check("probe.selftest.count", CMP_AT_LEAST, "5");
    ck_assert(eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    c = fact_check("probe.selftest.count", CMP_EQUALS, "5.0");
    ck_assert(eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    c = fact_check("probe.selftest.count", CMP_AT_MOST, "4");
    ck_assert(!eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    c = fact_check("probe.selftest.count", CMP_NOT_EQUALS, "4");
    ck_assert(eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    /* A missing fact never passes, not even "not equals". */
    c = fact_check("probe.no.such.fact", CMP_NOT_EQUALS, "true");
    ck_assert(!eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    /* The string "true" is not the boolean true. */
    c = fact_check("probe.selftest.freed_by_refcount", CMP_EQUALS, "\"false\"");
    ck_assert(!eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    json_decref(f);
}
END_TEST

START_TEST(first_failing_check_gives_feedback)
{
    json_t *f = facts_fixture();
    struct rubric_check checks[2] = {fact_check("probe.exception", CMP_EQUALS, "null"),
                                     fact_check("probe.game_alive_at_snapshot2", CMP_EQUALS, "false")};
    checks[1].fail = "kept alive by: {probe.kept_alive.0.chain}.";
    char *fb;
    ck_assert(!eval_one(checks, 2, f, "criterion text", &fb));
    ck_assert_str_eq(fb, "kept alive by: local variable 'player' in run_game() -> Player 'Player-4'.");
    free(fb);
    checks[1].fail = NULL;
    ck_assert(!eval_one(checks, 2, f, "criterion {probe.selftest.count}", &fb));
    ck_assert_str_eq(fb, "criterion 5");
    free(fb);
    /* No text anywhere: a default reason, never an empty string. */
    ck_assert(!eval_one(checks, 2, f, NULL, &fb));
    ck_assert_ptr_nonnull(strstr(fb, "probe.game_alive_at_snapshot2 is true, expected false"));
    free(fb);
    json_decref(f);
}
END_TEST

START_TEST(expand_placeholders)
{
    json_t *f = facts_fixture();
    char *s = criteria_expand("{{i}} {probe.exception} {nope.x} {probe.selftest.freed_by_refcount} {not a path}", f);
    ck_assert_str_eq(s, "{i} none (unknown) no {not a path}");
    free(s);
    s = criteria_expand("{tracemalloc.after.statistics} stats{", f);
    ck_assert_str_eq(s, "7 stats{");
    free(s);
    json_decref(f);
}
END_TEST

START_TEST(exit_status_and_limits)
{
    json_t *f = facts_fixture();
    struct rubric_check c;
    memset(&c, 0, sizeof c);
    c.kind = CHECK_EXIT_STATUS;
    c.within_limits = true;
    char *fb;
    ck_assert(eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    json_object_set_new(facts_lookup(f, "runs.after"), "limit", json_string("memory"));
    ck_assert(!eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    c.within_limits = false;
    ck_assert(eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    c.equals_int = 1;
    ck_assert(!eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    json_decref(f);
}
END_TEST

START_TEST(tracemalloc_conditions)
{
    json_t *f = facts_fixture();
    struct rubric_check c;
    memset(&c, 0, sizeof c);
    c.kind = CHECK_TRACEMALLOC;
    c.condition = TM_MIN_STATISTICS;
    c.at_least = 7;
    char *fb;
    ck_assert(eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    c.at_least = 8;
    ck_assert(!eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    c.condition = TM_RELEASED_VS_BASELINE;
    ck_assert(!eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    c.condition = TM_AGREES_WITH_SNAPSHOTS;
    ck_assert(eval_one(&c, 1, f, NULL, &fb));
    free(fb);
    json_decref(f);
}
END_TEST

static struct rubric_check pattern_check(enum rubric_check_kind kind, const char *pattern, bool negate)
{
    struct rubric_check c;
    memset(&c, 0, sizeof c);
    c.kind = kind;
    c.pattern = (char *)pattern;
    c.negate = negate;
    int err;
    PCRE2_SIZE off;
    c.code = pcre2_compile((PCRE2_SPTR)pattern, PCRE2_ZERO_TERMINATED, PCRE2_UTF | PCRE2_MULTILINE, &err, &off, NULL);
    ck_assert_ptr_nonnull(c.code);
    return c;
}

START_TEST(output_and_source_patterns)
{
    json_t *f = facts_fixture();
    const char out[] = "Game 'The Big Game' has 5 players.\n\n[ Top 10 ]\n\xff\xfe broken utf-8\n";
    const char src[] = "import weakref\nself.game = weakref.ref(game)\n";
    struct criteria_input in = {.facts = f, .source = src, .source_len = sizeof src - 1};
    in.output[RUN_AFTER][STREAM_STDOUT] = out;
    in.output_len[RUN_AFTER][STREAM_STDOUT] = sizeof out - 1;
    struct rubric_check checks[4] = {
        pattern_check(CHECK_OUTPUT, "^Game 'The Big Game' has 5 players\\.$", false),
        pattern_check(CHECK_SOURCE, "weakref\\.ref\\(", false),
        pattern_check(CHECK_SOURCE, "gc\\.disable", true),
        pattern_check(CHECK_OUTPUT, "^Traceback", true),
    };
    struct rubric_criterion cr;
    struct rubric rb = one_criterion(checks, 4, &cr);
    struct criterion_result res;
    ck_assert_int_eq(criteria_evaluate(&rb, &in, &res), 0);
    /* Invalid UTF-8 in the output makes a pattern not match, and this
     * output is invalid UTF-8: so the first check fails.  Student output is
     * never trusted to be well-formed. */
    ck_assert(!res.passed);
    criteria_free(&res, 1);
    in.output_len[RUN_AFTER][STREAM_STDOUT] = strlen("Game 'The Big Game' has 5 players.\n\n[ Top 10 ]\n");
    ck_assert_int_eq(criteria_evaluate(&rb, &in, &res), 0);
    ck_assert(res.passed);
    criteria_free(&res, 1);
    for (int i = 0; i < 4; i++)
        pcre2_code_free(checks[i].code);
    json_decref(f);
}
END_TEST

/* facts_build on parsed reports: the lesson's leak and its fix. */
static void record_with_output(struct run_record *rec, const char *name, const char *out)
{
    memset(rec, 0, sizeof *rec);
    rec->name = name;
    rec->started = true;
    rec->sb.out.data = strdup(out);
    rec->sb.out.len = strlen(out);
    rec->sb.out.total = rec->sb.out.len;
    // NOLINTNEXTLINE(clang-analyzer-unix.Malloc): rec owns the copy; a failed assertion ends the test process
    ck_assert_int_eq(tm_parse_buffer(rec->sb.out.data, rec->sb.out.len, &rec->stats), 0);
}

static const char BASELINE_SRC[] =
    "import tracemalloc\nimport gc\n\nclass Game:\n    def __init__(self, name):\n        self.name = name\n"
    "        self.players = []\n\nclass Player:\n    def __init__(self, name, game):\n        self.name = name\n"
    "        # cycle\n        self.game = game\n\ndef run_game():\n    tracemalloc.start()\n\n\n\n"
    "    game = Game(\"The Big Game\")\n    for i in range(5):\n        player = Player(f\"Player-{i}\", game)\n"
    "        game.players.append(player)\n";

static const char LEAK_OUT[] =
    "Game 'The Big Game' has 5 players.\n\n[ Top 10 memory differences after del game ]\n"
    "/usr/lib/python3.11/tracemalloc.py:560: size=320 B (+320 B), count=2 (+2), average=160 B\n"
    "/box/leaky_app.py:22: size=1805 B (+0 B), count=15 (+0), average=120 B\n"
    "/box/leaky_app.py:20: size=320 B (+0 B), count=2 (+0), average=160 B\n";

static json_t *build_with_baseline(const char *before_out, const char *after_out, const char *probe_json,
                                   const char *probe_out)
{
    struct rubric rb;
    memset(&rb, 0, sizeof rb);
    rb.entry = "leaky_app.py";
    struct submission sub;
    memset(&sub, 0, sizeof sub);
    sub.source = (char *)BASELINE_SRC; /* same line layout as the baseline */
    struct run_record recs[RUN_KINDS];
    record_with_output(&recs[RUN_BEFORE_KIND], "before", before_out);
    record_with_output(&recs[RUN_AFTER_KIND], "after", after_out);
    record_with_output(&recs[RUN_PROBE_KIND], "probe", probe_out ? probe_out : after_out);
    json_error_t e;
    recs[RUN_PROBE_KIND].probe = probe_json ? json_loads(probe_json, 0, &e) : NULL;
    json_t *facts = facts_build(&rb, &sub, BASELINE_SRC, recs);
    ck_assert_ptr_nonnull(facts);
    for (int k = 0; k < RUN_KINDS; k++)
        free(recs[k].sb.out.data);
    for (int k = 0; k < RUN_KINDS; k++)
        recs[k].sb.out.data = NULL;
    runs_free(recs);
    return facts;
}

static json_t *build(const char *after_out, const char *probe_json, const char *probe_out)
{
    return build_with_baseline(LEAK_OUT, after_out, probe_json, probe_out);
}

START_TEST(released_and_agreement)
{
    const char fix_out[] =
        "/box/leaky_app.py:22: size=345 B (-1460 B), count=3 (-12), average=115 B\n"
        "/box/leaky_app.py:20: size=0 B (-320 B), count=0 (-2)\n";
    const char probe[] =
        "{\"instances\": [{\"created_line\": 20}, {\"created_line\": 22}], \"snapshots\": [{}, {}],"
        " \"reports\": [\"/box/leaky_app.py:22: size=345 B (-1460 B), count=3 (-12), average=115 B\","
        "              \"/box/leaky_app.py:20: size=0 B (-320 B), count=0 (-2)\"]}";
    json_t *f = build(fix_out, probe, NULL);
    ck_assert(json_is_true(facts_lookup(f, "tracemalloc.baseline_shows_leak")));
    ck_assert(json_is_true(facts_lookup(f, "tracemalloc.before.entry_retained")));
    ck_assert(!json_is_true(facts_lookup(f, "tracemalloc.after.entry_retained")));
    ck_assert(json_is_true(facts_lookup(f, "tracemalloc.released_vs_baseline")));
    ck_assert(json_is_true(facts_lookup(f, "tracemalloc.agrees_with_snapshots")));
    ck_assert_int_eq(json_integer_value(facts_lookup(f, "tracemalloc.after.entry_statistics")), 2);
    json_decref(f);

    /* The leak itself: nothing released. */
    f = build(LEAK_OUT, probe, NULL);
    ck_assert(!json_is_true(facts_lookup(f, "tracemalloc.released_vs_baseline")));
    json_decref(f);

    /* Players freed but the Game kept (game.players.clear()): not released. */
    const char clear_out[] =
        "/box/leaky_app.py:22: size=345 B (-1460 B), count=3 (-12), average=115 B\n"
        "/box/leaky_app.py:20: size=320 B (+0 B), count=2 (+0), average=160 B\n";
    f = build(clear_out, probe, NULL);
    ck_assert(!json_is_true(facts_lookup(f, "tracemalloc.released_vs_baseline")));
    ck_assert_ptr_nonnull(
        strstr(json_string_value(facts_lookup(f, "tracemalloc.released_detail")), "line 20 still held"));
    json_decref(f);

    /* Without a probe record, lines are matched to the baseline by text. */
    f = build(fix_out, NULL, NULL);
    ck_assert(json_is_true(facts_lookup(f, "tracemalloc.released_vs_baseline")));
    ck_assert(json_is_null(facts_lookup(f, "tracemalloc.agrees_with_snapshots")));
    json_decref(f);

    /* A baseline that is really a fix: the Game and Player lines are
     * released, and the few bytes a fix keeps (the last Player's dead
     * weakref, line 13) must not pass for the leak. */
    const char fixed_baseline[] =
        "/box/leaky_app.py:20: size=0 B (-320 B), count=0 (-2)\n"
        "/box/leaky_app.py:13: size=80 B (+0 B), count=1 (+0), average=80 B\n";
    f = build_with_baseline(fixed_baseline, fix_out, probe, NULL);
    ck_assert(json_is_false(facts_lookup(f, "tracemalloc.baseline_shows_leak")));
    json_decref(f);
    /* Without a probe record to say which lines create objects, any
     * retained line counts (documented weaker rule). */
    f = build_with_baseline(fixed_baseline, fix_out, NULL, NULL);
    ck_assert(json_is_true(facts_lookup(f, "tracemalloc.baseline_shows_leak")));
    json_decref(f);

    /* A printed line the snapshots never produced: fabricated. */
    const char fake[] = "/box/leaky_app.py:20: size=0 B (-999 B), count=0 (-2)\n";
    f = build(fix_out, probe, fake);
    ck_assert(json_is_false(facts_lookup(f, "tracemalloc.agrees_with_snapshots")));
    json_decref(f);
}
END_TEST

/* observation.trusted: the graded and the observed run must behave alike,
 * and nothing may have blinded the runtime. */
START_TEST(observation_trust)
{
    const char fix_out[] =
        "Game 'The Big Game' has 5 players.\n"
        "/box/leaky_app.py:22: size=345 B (-1460 B), count=3 (-12), average=115 B\n"
        "/box/leaky_app.py:20: size=0 B (-320 B), count=0 (-2)\n";
    const char probe[] = "{\"tampered\": [], \"attempts\": []}";
    json_t *f = build(fix_out, probe, NULL);
    ck_assert(json_is_true(facts_lookup(f, "observation.trusted")));
    ck_assert(json_is_null(facts_lookup(f, "observation.problem")));
    ck_assert(json_is_null(facts_lookup(f, "script.exception")));
    json_decref(f);

    /* Leaky when graded, fixed when observed: the reports disagree. */
    f = build(LEAK_OUT, probe, fix_out);
    ck_assert(json_is_false(facts_lookup(f, "observation.trusted")));
    ck_assert_ptr_nonnull(strstr(json_string_value(facts_lookup(f, "observation.problem")), "behaved differently"));
    json_decref(f);

    /* One free-list block apart (a 48 B tuple), and addresses and timings
     * in printed lines: the same program. */
    const char noisy_graded[] =
        "took 0.0012 s at 0x7f00aa\n"
        "/box/leaky_app.py:22: size=345 B (-1460 B), count=3 (-12), average=115 B\n"
        "/box/leaky_app.py:20: size=48 B (+0 B), count=1 (+0), average=48 B\n";
    const char noisy_observed[] =
        "took 0.0009 s at 0x7f11bb\n"
        "/box/leaky_app.py:22: size=345 B (-1460 B), count=3 (-12), average=115 B\n"
        "/box/leaky_app.py:20: size=0 B (-48 B), count=0 (-1)\n";
    f = build(noisy_graded, probe, noisy_observed);
    ck_assert(json_is_true(facts_lookup(f, "observation.trusted")));
    json_decref(f);

    /* A set printed under another hash seed: its items, and the lines
     * printed from it, in another order. */
    f = build("{'Player-1', 'Player-0'}\nPlayer-1\nPlayer-0\n", probe,
              "{'Player-0', 'Player-1'}\nPlayer-0\nPlayer-1\n");
    ck_assert(json_is_true(facts_lookup(f, "observation.trusted")));
    json_decref(f);

    /* A printed line that differs: "released" said only when observed. */
    f = build("Game 'The Big Game' has 5 players.\nnot released\n", probe,
              "Game 'The Big Game' has 5 players.\nreleased\n");
    ck_assert(json_is_false(facts_lookup(f, "observation.trusted")));
    json_decref(f);

    /* A removed collector callback blinds the runtime; a no-op gc.collect
     * only changes the student's own program. */
    f = build(fix_out, "{\"tampered\": [\"gc.callbacks\", \"gc.collect\"], \"attempts\": []}", NULL);
    ck_assert(json_is_false(facts_lookup(f, "observation.trusted")));
    ck_assert_ptr_nonnull(strstr(json_string_value(facts_lookup(f, "observation.problem")), "gc.callbacks"));
    json_decref(f);
    f = build(fix_out, "{\"tampered\": [\"gc.collect\"], \"attempts\": []}", NULL);
    ck_assert(json_is_true(facts_lookup(f, "observation.trusted")));
    json_decref(f);

    /* Reaching into the runtime (category probe) is named with its line;
     * introspection alone is not held against the script. */
    f = build(fix_out,
              "{\"tampered\": [], \"attempts\": [{\"category\": \"introspection\", \"detail\": \"listed\","
              " \"line\": 3}, {\"category\": \"probe\", \"detail\": \"read the code of the grader's function"
              " collect\", \"line\": 7}]}",
              NULL);
    ck_assert(json_is_false(facts_lookup(f, "observation.trusted")));
    ck_assert_ptr_nonnull(strstr(json_string_value(facts_lookup(f, "observation.problem")), "(line 7)"));
    json_decref(f);

    /* No record: a named cause, never "(unknown)". */
    f = build(fix_out, NULL, NULL);
    ck_assert(json_is_false(facts_lookup(f, "observation.trusted")));
    ck_assert_ptr_nonnull(strstr(json_string_value(facts_lookup(f, "observation.problem")), "record"));
    json_decref(f);
}
END_TEST

static Suite *scoring_suite(void)
{
    Suite *s = suite_create("scoring");
    TCase *tc = tcase_create("criteria");
    tcase_add_test(tc, fact_comparisons);
    tcase_add_test(tc, first_failing_check_gives_feedback);
    tcase_add_test(tc, expand_placeholders);
    tcase_add_test(tc, exit_status_and_limits);
    tcase_add_test(tc, tracemalloc_conditions);
    tcase_add_test(tc, output_and_source_patterns);
    tcase_add_test(tc, released_and_agreement);
    tcase_add_test(tc, observation_trust);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(scoring_suite)
