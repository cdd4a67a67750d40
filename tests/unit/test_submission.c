/* submission_open: what a student can hand in, and what we refuse. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
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

START_TEST(socket_and_device)
{
    char msg[512], p[256], want[512];
    struct submission sub;
    /* A socket handed in as the submission, and as the entry file. */
    snprintf(p, sizeof p, "%s/sock", root);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", p);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    ck_assert_int_eq(open_rel("sock", &sub, msg, sizeof msg), SUBMISSION_INVALID);
    snprintf(want, sizeof want, "expected leaky_app.py or a folder holding it, but %s is a socket", p);
    ck_assert_str_eq(msg, want);
    ck_assert_ptr_null(sub.source);
    submission_free(&sub);
    close(fd);

    snprintf(p, sizeof p, "%s/grace", root);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(fd, 0);
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s/grace/leaky_app.py", root);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&addr, sizeof addr), 0);
    ck_assert_int_eq(open_rel("grace", &sub, msg, sizeof msg), SUBMISSION_INVALID);
    ck_assert_str_eq(msg, "expected leaky_app.py to be a regular file, but it is a socket");
    submission_free(&sub);
    close(fd);

    /* A device is never opened (reading /dev/zero would never end). */
    ck_assert_int_eq(submission_open("/dev/zero", "leaky_app.py", &sub, msg, sizeof msg), SUBMISSION_INVALID);
    ck_assert_str_eq(msg, "expected leaky_app.py or a folder holding it, but /dev/zero is a device");
    ck_assert_str_eq(sub.path, "/dev/zero");
    ck_assert_ptr_null(sub.source);
    submission_free(&sub);
}
END_TEST

START_TEST(crowded_folder_lists_five_and_counts_the_rest)
{
    char msg[1024], p[256];
    struct submission sub;
    snprintf(p, sizeof p, "%s/henry", root);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    static const char *const names[] = {"a.py", "b.py", "c.py", "d.py", "e.py", "f.py", "g.py", "h.py"};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
        char rel[64];
        snprintf(rel, sizeof rel, "henry/%s", names[i]);
        write_file(rel, "x\n");
    }
    write_file("henry/.hidden", "x\n"); /* never listed nor counted */
    ck_assert_int_eq(open_rel("henry", &sub, msg, sizeof msg), SUBMISSION_INVALID);
    char want[512];
    snprintf(want, sizeof want, "expected leaky_app.py in %s, found ", p);
    ck_assert_msg(strncmp(msg, want, strlen(want)) == 0, "%s", msg);
    const char *list = msg + strlen(want);
    size_t commas = 0;
    for (const char *c = list; *c; c++)
        commas += *c == ',';
    ck_assert_msg(commas == 4, "five names expected: %s", msg);
    size_t n = strlen(list), tail = strlen(" and 3 more");
    ck_assert_msg(n > tail && strcmp(list + n - tail, " and 3 more") == 0, "%s", msg);
    ck_assert_ptr_null(strstr(msg, "hidden"));
    submission_free(&sub);

    /* An empty folder. */
    snprintf(p, sizeof p, "%s/ivy", root);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    ck_assert_int_eq(open_rel("ivy", &sub, msg, sizeof msg), SUBMISSION_INVALID);
    snprintf(want, sizeof want, "expected leaky_app.py in %s, found nothing", p);
    ck_assert_str_eq(msg, want);
    submission_free(&sub);
}
END_TEST

START_TEST(relative_path_in_a_removed_folder)
{
    /* "." still names the folder we are in after it was removed, but it
     * has no absolute path any more. */
    char msg[512], cwd[4096], p[256];
    struct submission sub;
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    snprintf(p, sizeof p, "%s/gone", root);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    ck_assert_int_eq(chdir(p), 0);
    ck_assert_int_eq(rmdir(p), 0);
    enum submission_status st = submission_open(".", "leaky_app.py", &sub, msg, sizeof msg);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_eq(st, SUBMISSION_ERROR);
    char want[512];
    snprintf(want, sizeof want, "cannot read the current directory: %s", strerror(ENOENT));
    ck_assert_str_eq(msg, want);
    submission_free(&sub);
    ck_assert_ptr_null(sub.path);
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
    tcase_add_test(tc, socket_and_device);
    tcase_add_test(tc, crowded_folder_lists_five_and_counts_the_rest);
    tcase_add_test(tc, relative_path_in_a_removed_folder);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(submission_suite)
