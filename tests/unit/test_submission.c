/* submission_open: what a student can hand in, and what we refuse. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "submission.h"

static char root[64];

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/grader-sub-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
}

static void write_file(const char *rel, const char *text)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

static enum submission_status open_rel(const char *rel, struct submission *sub, char *msg, size_t len)
{
    char p[256];
    snprintf(p, sizeof p, "%s/%s", root, rel);
    return submission_open(p, "leaky_app.py", sub, msg, len);
}

START_TEST(folder_with_entry)
{
    char msg[512], p[256];
    struct submission sub;
    snprintf(p, sizeof p, "%s/alice", root);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    write_file("alice/leaky_app.py", "print('hi')\n");
    ck_assert_int_eq(open_rel("alice", &sub, msg, sizeof msg), SUBMISSION_OK);
    ck_assert_str_eq(sub.source, "print('hi')\n");
    ck_assert_uint_eq(sub.source_len, 12);
    ck_assert_str_eq(sub.dir, p);
    /* sha256 of "print('hi')\n", computed with sha256sum. */
    ck_assert_str_eq(sub.sha256, "caf026f25d7140209f98072605307a438914b9ce6f3c14b23d15d9667241de52");
    submission_free(&sub);
}
END_TEST

START_TEST(single_file_any_name)
{
    char msg[512];
    struct submission sub;
    write_file("bob_fix.py", "x = 1\n");
    ck_assert_int_eq(open_rel("bob_fix.py", &sub, msg, sizeof msg), SUBMISSION_OK);
    ck_assert_ptr_null(sub.dir);
    ck_assert_str_eq(sub.source, "x = 1\n");
    submission_free(&sub);
}
END_TEST

START_TEST(missing_entry_lists_folder)
{
    char msg[512], p[256];
    struct submission sub;
    snprintf(p, sizeof p, "%s/carol", root);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    write_file("carol/leaky-app.py", "x\n");
    write_file("carol/notes.txt", "x\n");
    ck_assert_int_eq(open_rel("carol", &sub, msg, sizeof msg), SUBMISSION_INVALID);
    ck_assert_ptr_nonnull(strstr(msg, "expected leaky_app.py in"));
    ck_assert_ptr_nonnull(strstr(msg, "leaky-app.py"));
    ck_assert_ptr_nonnull(strstr(msg, "notes.txt"));
    submission_free(&sub);
}
END_TEST

START_TEST(symlinked_entry_is_invalid)
{
    char msg[512], p[256], l[256];
    struct submission sub;
    snprintf(p, sizeof p, "%s/dave", root);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    snprintf(l, sizeof l, "%s/dave/leaky_app.py", root);
    ck_assert_int_eq(symlink("/etc/passwd", l), 0);
    ck_assert_int_eq(open_rel("dave", &sub, msg, sizeof msg), SUBMISSION_INVALID);
    ck_assert_ptr_nonnull(strstr(msg, "symbolic link to /etc/passwd"));
    ck_assert_ptr_null(sub.source); /* never read through the link */
    submission_free(&sub);

    /* The submission path itself being a link is refused too. */
    snprintf(l, sizeof l, "%s/eve", root);
    ck_assert_int_eq(symlink(p, l), 0);
    ck_assert_int_eq(open_rel("eve", &sub, msg, sizeof msg), SUBMISSION_INVALID);
    ck_assert_ptr_nonnull(strstr(msg, "symbolic link"));
    submission_free(&sub);
}
END_TEST

START_TEST(entry_that_is_a_directory)
{
    char msg[512], p[256];
    struct submission sub;
    snprintf(p, sizeof p, "%s/frank", root);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/frank/leaky_app.py", root);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    ck_assert_int_eq(open_rel("frank", &sub, msg, sizeof msg), SUBMISSION_INVALID);
    ck_assert_ptr_nonnull(strstr(msg, "it is a directory"));
    submission_free(&sub);
}
END_TEST

START_TEST(fifo_and_missing_path)
{
    char msg[512], p[256];
    struct submission sub;
    snprintf(p, sizeof p, "%s/pipe", root);
    ck_assert_int_eq(mkfifo(p, 0600), 0);
    /* A FIFO must not block us: it is refused before any open(). */
    ck_assert_int_eq(open_rel("pipe", &sub, msg, sizeof msg), SUBMISSION_INVALID);
    ck_assert_ptr_nonnull(strstr(msg, "named pipe"));
    submission_free(&sub);
    ck_assert_int_eq(open_rel("nobody", &sub, msg, sizeof msg), SUBMISSION_NOT_FOUND);
    submission_free(&sub);
}
END_TEST

START_TEST(oversized_source)
{
    char msg[512], p[256];
    struct submission sub;
    snprintf(p, sizeof p, "%s/big.py", root);
    int fd = open(p, O_WRONLY | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, SUBMISSION_MAX_SOURCE + 1), 0);
    close(fd);
    ck_assert_int_eq(open_rel("big.py", &sub, msg, sizeof msg), SUBMISSION_INVALID);
    ck_assert_ptr_nonnull(strstr(msg, "the limit is"));
    submission_free(&sub);
}
END_TEST

static Suite *submission_suite(void)
{
    Suite *s = suite_create("submission");
    TCase *tc = tcase_create("open");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, folder_with_entry);
    tcase_add_test(tc, single_file_any_name);
    tcase_add_test(tc, missing_entry_lists_folder);
    tcase_add_test(tc, symlinked_entry_is_invalid);
    tcase_add_test(tc, entry_that_is_a_directory);
    tcase_add_test(tc, fifo_and_missing_path);
    tcase_add_test(tc, oversized_source);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(submission_suite)
