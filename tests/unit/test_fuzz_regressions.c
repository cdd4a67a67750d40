/* test_fuzz_regressions.c: what the libFuzzer targets in tests/fuzz/ found,
 * as plain unit tests (the inputs themselves are in tests/fuzz/regressions/;
 * tests/fuzz/README.md says what each finding was).
 *
 *   R1  rubric: the baseline path reaches the error message unescaped
 *   R2  rubric: a fact value holding NUL becomes "\u0000", which criteria.c
 *       cannot read back, so the check can never pass
 *   G1  grade: a path or message that is not UTF-8 loses the whole result
 *   T1  result: student text drives the terminal (escape sequences; T1b:
 *       the C1 controls U+0080..U+009F, CSI among them, which xterm obeys)
 *   T2  result: wrapping cuts a UTF-8 character in half
 *   S1  submission: the folder listing prints file names unescaped; S1c:
 *       the target of a leaky_app.py that is a symbolic link too
 *   S2  gitsub: libgit2's messages quote names unescaped
 *   G2  gitsub: a commit or tree replaced by a damaged object whose header
 *       says "blob" reaches libgit2's reader unchecked (heap overflow, hang);
 *       G2b: still so when the header states more than the blob cap
 *   G3  criteria: the default reason is cut at 512 bytes in the middle of a
 *       UTF-8 character, and grade.c's add_criteria then drops the
 *       criterion from the result (found reading the code G1 led to) */
#include <errno.h>
#include <git2.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "check_main.h"
#include "criteria.h"
#include "grade.h"
#include "gitsub.h"
#include "result.h"
#include "rubric.h"
#include "submission.h"

static char root[64];

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/grader-fuzzreg-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_bytes(const char *path, const void *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
}

static void write_text(const char *path, const char *text)
{
    write_bytes(path, text, strlen(text));
}

/* No byte below 0x20 but '\n' and '\t' (when `text`: a rendering, not a
 * one-line message), no DEL, no C1 control. */
static void assert_no_control(const char *what, const char *s, size_t len, bool text)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        bool bad = (c < 0x20 && !(text && (c == '\n' || c == '\t'))) || c == 0x7f ||
                   (c == 0xC2 && i + 1 < len && (unsigned char)s[i + 1] >= 0x80 && (unsigned char)s[i + 1] <= 0x9F);
        ck_assert_msg(!bad, "%s: control character 0x%02x at offset %zu in: %s", what, c, i, s);
    }
}

static bool valid_utf8(const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        size_t n = c < 0x80                 ? 1
                   : c >= 0xC2 && c <= 0xDF ? 2
                   : c >= 0xE0 && c <= 0xEF ? 3
                   : c >= 0xF0 && c <= 0xF4 ? 4
                                            : 0;
        if (n == 0 || len - i < n)
            return false;
        for (size_t k = 1; k < n; k++)
            if ((p[i + k] & 0xC0) != 0x80)
                return false;
        i += n;
    }
    return true;
}

/* ---- rubric ------------------------------------------------------------- */

static void write_baseline(void)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/baselines", root);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s/baselines/leaky_app.py", root);
    write_text(p, "print('baseline')\n");
}

START_TEST(r1_baseline_path_is_escaped_in_messages)
{
    char p[PATH_MAX], err[1024];
    struct rubric rb;
    snprintf(p, sizeof p, "%s/rubric.yaml", root);
    write_text(p, "id: a\ntitle: a\nentry: a\nbaseline: \"a\\nb\\e[31mred\"\ncriteria: []\n");
    ck_assert_int_eq(rubric_load(p, &rb, err, sizeof err), -1);
    ck_assert_ptr_nonnull(strstr(err, "does not exist"));
    assert_no_control("rubric_load", err, strlen(err), false);
}
END_TEST

START_TEST(r2_fact_value_with_nul_is_refused_or_readable)
{
    char p[PATH_MAX], err[1024];
    struct rubric rb;
    write_baseline();
    snprintf(p, sizeof p, "%s/rubric.yaml", root);
    write_text(p,
               "id: a\ntitle: a\nentry: a\nbaseline: baselines/leaky_app.py\ncriteria:\n- id: x\n  title: X\n"
               "  points: 1\n  checks:\n  - kind: fact\n    fact: a.b\n    not_equals: \"\\0\"\n");
    if (rubric_load(p, &rb, err, sizeof err) != 0) {
        ck_assert_ptr_nonnull(strstr(err, "NUL"));
        return;
    }
    /* Accepted: then criteria.c must be able to read the value back. */
    json_error_t jerr;
    json_t *v = json_loads(rb.criteria[0].checks[0].value_json, JSON_DECODE_ANY, &jerr);
    ck_assert_msg(v != NULL, "value_json %s does not parse: %s", rb.criteria[0].checks[0].value_json, jerr.text);
    json_decref(v);
    rubric_free(&rb);
}
END_TEST

/* ---- result ------------------------------------------------------------- */

static struct rubric default_rubric;

static void load_default_rubric(void)
{
    char err[1024];
    ck_assert_msg(rubric_load("rubrics/weakref-leak.yaml", &default_rubric, err, sizeof err) == 0, "%s", err);
}

START_TEST(g1_result_keeps_a_path_and_message_that_are_not_utf8)
{
    load_default_rubric();
    struct grade_context ctx = {.rubric = &default_rubric};
    json_t *r = grade_result_without_runs(&ctx, "/srv/class/caf\xe9", "invalid",
                                          "expected leaky_app.py in /srv/class/caf\xe9, found \xff\xfe.py");
    ck_assert_msg(r != NULL, "the result was lost");
    const char *msg = json_string_value(json_object_get(r, "message"));
    ck_assert_ptr_nonnull(msg);
    ck_assert_ptr_nonnull(strstr(msg, "\xEF\xBF\xBD")); /* U+FFFD where the bad bytes were */
    const char *path = json_string_value(json_object_get(json_object_get(r, "submission"), "path"));
    ck_assert_ptr_nonnull(path);
    json_decref(r);
    rubric_free(&default_rubric);
}
END_TEST

static json_t *graded_result(const char *feedback)
{
    json_t *r = json_pack(
        "{s:s, s:s, s:f, s:f, s:[{s:s, s:s, s:f, s:f, s:b, s:s, s:s}], s:{s:s}, s:{s:s, s:s},"
        " s:{s:s, s:s}, s:{s:s}}",
        "status", "graded", "message", "0 of 1 criteria passed", "score", 0.0, "max_score", 10.0, "criteria", "id",
        "runs", "title", "The fixed script runs cleanly", "points", 0.0, "max_points", 10.0, "passed", 0, "visibility",
        "visible", "feedback", feedback, "submission", "path", "/srv/class/alice", "rubric", "id", "weakref-leak",
        "sha256", "0123456789abcdef", "python", "version", "3.11.7", "executable", "/usr/bin/python3", "grader",
        "version", "0.3.0");
    ck_assert_ptr_nonnull(r);
    return r;
}

static char *render(json_t *r, bool check, size_t *len)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    ck_assert_ptr_nonnull(f);
    if (check) {
        result_hide_criteria(r);
        result_render_check(r, f, false);
    } else {
        result_render_text(r, f, false);
    }
    ck_assert_int_eq(fclose(f), 0);
    return buf;
}

START_TEST(t1_student_text_does_not_drive_the_terminal)
{
    /* What the default rubric's feedback quotes from a crashing script's stderr. */
    static const char fb[] = "Its error output ends with: boom \x1b]0;pwned\x07\x1b[2J\x1b[31mPASS\x1b[0m\r  PASS";
    for (int check = 0; check < 2; check++) {
        json_t *r = graded_result(fb);
        size_t len = 0;
        char *out = render(r, check, &len);
        assert_no_control(check ? "result_render_check" : "result_render_text", out, len, true);
        free(out);
        json_decref(r);
    }
}
END_TEST

START_TEST(t1b_c1_controls_do_not_reach_the_terminal)
{
    /* U+009B is CSI, U+009D OSC, U+009C ST: ESC [ and ESC ] in one character. */
    static const char fb[] =
        "Its error output ends with: boom \xc2\x9b"
        "2J\xc2\x9b"
        "31mRED\xc2\x9d"
        "0;title\xc2\x9c";
    for (int check = 0; check < 2; check++) {
        json_t *r = graded_result(fb);
        size_t len = 0;
        char *out = render(r, check, &len);
        assert_no_control(check ? "result_render_check" : "result_render_text", out, len, true);
        free(out);
        json_decref(r);
    }
}
END_TEST

START_TEST(t2_wrapping_keeps_utf8_characters_whole)
{
    /* A rubric written in Chinese: no spaces to break at. */
    char fb[1024] = "";
    for (size_t i = 0; i < 40; i++) /* 请使用: 9 bytes, 360 in all */
        memcpy(fb + 9 * i, "\xe8\xaf\xb7\xe4\xbd\xbf\xe7\x94\xa8", 10);
    for (int check = 0; check < 2; check++) {
        json_t *r = graded_result(fb);
        size_t len = 0;
        char *out = render(r, check, &len);
        ck_assert_msg(valid_utf8(out, len), "%s cut a character in half:\n%s",
                      check ? "result_render_check" : "result_render_text", out);
        free(out);
        json_decref(r);
    }
}
END_TEST

START_TEST(g3_default_reason_keeps_utf8_characters_whole)
{
    char p[PATH_MAX], err[1024];
    struct rubric rb;
    write_baseline();
    snprintf(p, sizeof p, "%s/rubric.yaml", root);
    /* No fail text anywhere: the feedback is criteria.c's default reason. */
    write_text(p,
               "id: a\ntitle: a\nentry: a\nbaseline: baselines/leaky_app.py\ncriteria:\n- id: x\n  title: X\n"
               "  points: 1\n  checks:\n  - kind: fact\n    fact: probe.exception.message\n    equals: null\n");
    ck_assert_msg(rubric_load(p, &rb, err, sizeof err) == 0, "%s", err);
    /* The student's exception message: 300 times U+00E9 (2 bytes each). */
    char msg[700] = "";
    for (size_t i = 0; i < 300; i++) /* 600 bytes in all */
        memcpy(msg + 2 * i, "\xc3\xa9", 3);
    for (int shift = 0; shift < 2; shift++) {
        char text[710];
        snprintf(text, sizeof text, "%s%s", shift ? "x" : "", msg);
        json_t *facts = json_pack("{s:{s:{s:s}}}", "probe", "exception", "message", text);
        ck_assert_ptr_nonnull(facts);
        struct criteria_input in = {.facts = facts, .source = "", .source_len = 0};
        struct criterion_result cr;
        ck_assert_int_eq(criteria_evaluate(&rb, &in, &cr), 0);
        ck_assert(!cr.passed);
        ck_assert_msg(valid_utf8(cr.feedback, strlen(cr.feedback)), "the reason is cut inside a character: %s",
                      cr.feedback);
        criteria_free(&cr, 1);
        json_decref(facts);
    }
    rubric_free(&rb);
}
END_TEST

/* ---- submission and gitsub ---------------------------------------------- */

START_TEST(s1_folder_listing_escapes_names)
{
    char p[PATH_MAX], msg[2048];
    snprintf(p, sizeof p, "%s/\x1b]0;owned\x07\x1b[2J.py", root);
    write_text(p, "x = 1\n");
    struct submission sub;
    ck_assert_int_eq(submission_open(root, "leaky_app.py", &sub, msg, sizeof msg), SUBMISSION_INVALID);
    assert_no_control("submission_open", msg, strlen(msg), false);
    submission_free(&sub);
}
END_TEST

START_TEST(s1c_entry_link_target_is_escaped)
{
    char p[PATH_MAX], msg[2048];
    snprintf(p, sizeof p, "%s/leaky_app.py", root);
    ck_assert_int_eq(symlink("\x1b]0;owned\x07\x1b[2J/etc/shadow", p), 0);
    struct submission sub;
    ck_assert_int_eq(submission_open(root, "leaky_app.py", &sub, msg, sizeof msg), SUBMISSION_INVALID);
    assert_no_control("submission_open", msg, strlen(msg), false);
    submission_free(&sub);
}
END_TEST

#define GIT_OK(call) ck_assert_msg((call) >= 0, "%s: %s", #call, git_error_last() ? git_error_last()->message : "?")

/* A repository with one commit holding leaky_app.py; *commit and *tree get
 * their ids.  Returns the path of the work tree. */
static const char *make_repo(git_oid *commit, git_oid *tree)
{
    static char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/repo", root);
    git_repository *repo = NULL;
    GIT_OK(git_repository_init(&repo, dir, 0));
    git_oid blob;
    static const char src[] = "print('fixed')\n";
    GIT_OK(git_blob_create_from_buffer(&blob, repo, src, sizeof src - 1));
    git_treebuilder *tb = NULL;
    GIT_OK(git_treebuilder_new(&tb, repo, NULL));
    GIT_OK(git_treebuilder_insert(NULL, tb, "leaky_app.py", &blob, GIT_FILEMODE_BLOB));
    GIT_OK(git_treebuilder_write(tree, tb));
    git_treebuilder_free(tb);
    git_tree *t = NULL;
    GIT_OK(git_tree_lookup(&t, repo, tree));
    git_signature *sig = NULL;
    GIT_OK(git_signature_new(&sig, "Alice", "alice@example.com", 1795215540, 60));
    GIT_OK(git_commit_create(commit, repo, "HEAD", sig, sig, NULL, "fix\n", t, 0, NULL));
    git_signature_free(sig);
    git_tree_free(t);
    git_repository_free(repo);
    return dir;
}

/* Replaces the loose object `id` of the repository in `dir` with `raw`
 * deflated, minus `cut` bytes at the end. */
static void forge_object(const char *dir, const git_oid *id, const char *raw, size_t len, size_t cut)
{
    char hex[GIT_OID_HEXSZ + 1], p[PATH_MAX];
    git_oid_tostr(hex, sizeof hex, id);
    snprintf(p, sizeof p, "%s/.git/objects/%.2s/%s", dir, hex, hex + 2);
    uLongf n = compressBound((uLong)len);
    unsigned char *z = malloc(n);
    ck_assert_ptr_nonnull(z);
    ck_assert_int_eq(compress(z, &n, (const Bytef *)raw, (uLong)len), Z_OK);
    ck_assert_uint_gt(n, cut);
    chmod(p, 0644);
    write_bytes(p, z, n - cut);
    free(z);
}

START_TEST(s2_libgit2_messages_are_escaped)
{
    git_oid commit, tree;
    ck_assert_int_ge(git_libgit2_init(), 1);
    const char *dir = make_repo(&commit, &tree);
    char p[PATH_MAX], msg[2048];
    snprintf(p, sizeof p, "%s/.git/HEAD", dir);
    write_text(p, "ref: refs/heads/\x1b]0;owned\x07\x1b[2Jmain\n");
    struct gitsub g;
    ck_assert_int_eq(gitsub_open(dir, "leaky_app.py", NULL, &g, msg, sizeof msg), GITSUB_INVALID);
    assert_no_control("gitsub_open", msg, strlen(msg), false);
    gitsub_free(&g);
    git_libgit2_shutdown();
}
END_TEST

/* G2: the object HEAD's commit (or its tree) is replaced by one whose header
 * says "blob": check_loose_objects lets blobs through after their header,
 * and libgit2 then reads it whole as the commit.  Under ASan the
 * understated size is a heap-buffer-overflow in libgit2; the truncated one
 * loops forever (the alarm turns that into a failure rather than a hang). */
static void g2_case(int which, const char *raw, size_t len, size_t cut)
{
    git_oid commit, tree;
    ck_assert_int_ge(git_libgit2_init(), 1);
    const char *dir = make_repo(&commit, &tree);
    forge_object(dir, which == 0 ? &commit : &tree, raw, len, cut);
    char msg[2048];
    struct gitsub g;
    alarm(20);
    enum gitsub_status st = gitsub_open(dir, "leaky_app.py", NULL, &g, msg, sizeof msg);
    alarm(0);
    ck_assert_msg(st == GITSUB_INVALID, "status %d: %s", (int)st, msg);
    gitsub_free(&g);
    git_libgit2_shutdown();
}

START_TEST(g2_commit_replaced_by_blob_understating_its_size)
{
    char raw[128] = "blob 1";
    memset(raw + 7, 'A', 64);
    g2_case(0, raw, 7 + 64, 0);
}
END_TEST

START_TEST(g2_tree_replaced_by_blob_understating_its_size)
{
    char raw[128] = "blob 1";
    memset(raw + 7, 'A', 64);
    g2_case(1, raw, 7 + 64, 0);
}
END_TEST

START_TEST(g2_commit_replaced_by_truncated_blob)
{
    char raw[128] = "blob 64";
    memset(raw + 8, 'A', 60);
    g2_case(0, raw, 8 + 60, 6);
}
END_TEST

START_TEST(g2b_commit_replaced_by_oversize_truncated_blob)
{
    char raw[128] = "blob 9000000";
    memset(raw + 13, 'A', 60);
    g2_case(0, raw, 13 + 60, 6);
}
END_TEST

static Suite *fuzz_regressions_suite(void)
{
    Suite *s = suite_create("fuzz_regressions");
    TCase *tc = tcase_create("found");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, r1_baseline_path_is_escaped_in_messages);
    tcase_add_test(tc, r2_fact_value_with_nul_is_refused_or_readable);
    tcase_add_test(tc, g1_result_keeps_a_path_and_message_that_are_not_utf8);
    tcase_add_test(tc, t1_student_text_does_not_drive_the_terminal);
    tcase_add_test(tc, t1b_c1_controls_do_not_reach_the_terminal);
    tcase_add_test(tc, t2_wrapping_keeps_utf8_characters_whole);
    tcase_add_test(tc, g3_default_reason_keeps_utf8_characters_whole);
    tcase_add_test(tc, s1_folder_listing_escapes_names);
    tcase_add_test(tc, s1c_entry_link_target_is_escaped);
    tcase_add_test(tc, s2_libgit2_messages_are_escaped);
    tcase_add_test(tc, g2_commit_replaced_by_blob_understating_its_size);
    tcase_add_test(tc, g2_tree_replaced_by_blob_understating_its_size);
    tcase_add_test(tc, g2_commit_replaced_by_truncated_blob);
    tcase_add_test(tc, g2b_commit_replaced_by_oversize_truncated_blob);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(fuzz_regressions_suite)
