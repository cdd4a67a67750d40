/* test_hook.c: where git runs a hook (hook_locate, core.hooksPath in its
 * forms), and installing and removing grader's hook without ever losing
 * someone else's (hook_install, hook_uninstall), in real repositories made
 * with libgit2. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <git2.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "scratch.h"
#include "hook.h"

static char root[64];
static char *saved_home;

#define SCRIPT "#!/bin/sh\n" HOOK_MARKER "\nexec grader check .\n"
#define SCRIPT2 "#!/bin/sh\n" HOOK_MARKER "\nexec grader check --strict .\n"
#define FOREIGN "#!/bin/sh\necho someone else's hook\n"

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/grader-hook-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    const char *h = getenv("HOME");
    saved_home = h ? strdup(h) : NULL;
    git_libgit2_init();
}

static void teardown(void)
{
    git_libgit2_shutdown();
    if (saved_home)
        setenv("HOME", saved_home, 1);
    else
        unsetenv("HOME");
    free(saved_home);
    saved_home = NULL;
    scratch_remove(root);
    ck_assert_int_eq(access(root, F_OK), -1);
}

static const char *at(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", root, rel);
    return out;
}

/* A repository at root/rel (bare or not), with core.hooksPath set unless
 * hooks_path is NULL. */
static void make_repo(const char *rel, bool bare, const char *hooks_path)
{
    char p[PATH_MAX];
    git_repository *repo = NULL;
    ck_assert_int_eq(git_repository_init(&repo, at(p, sizeof p, rel), bare), 0);
    if (hooks_path) {
        git_config *cfg = NULL;
        ck_assert_int_eq(git_repository_config(&cfg, repo), 0);
        ck_assert_int_eq(git_config_set_string(cfg, "core.hooksPath", hooks_path), 0);
        git_config_free(cfg);
    }
    git_repository_free(repo);
}

static void write_text(const char *path, const char *text, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
}

static void read_text(const char *path, char *out, size_t len)
{
    int fd = open(path, O_RDONLY);
    ck_assert_msg(fd >= 0, "%s: %s", path, strerror(errno));
    ssize_t n = read(fd, out, len - 1);
    close(fd);
    ck_assert_int_ge(n, 0);
    out[n] = '\0';
}

/* ---- hook_locate -------------------------------------------------------- */

START_TEST(locate_in_the_git_directory)
{
    char p[PATH_MAX], hook[PATH_MAX], want[PATH_MAX], err[512] = "";
    ck_assert_str_eq(hook_name(HOOK_PRE_COMMIT), "pre-commit");
    ck_assert_str_eq(hook_name(HOOK_PRE_PUSH), "pre-push");
    make_repo("repo", false, NULL);
    ck_assert_int_eq(mkdir(at(p, sizeof p, "repo/src"), 0755), 0);
    ck_assert_int_eq(mkdir(at(p, sizeof p, "repo/src/deep"), 0755), 0);
    /* Searched upwards from a folder inside the work tree, as git does. */
    ck_assert_int_eq(hook_locate(p, HOOK_PRE_COMMIT, hook, sizeof hook, err, sizeof err), 0);
    ck_assert_str_eq(hook, at(want, sizeof want, "repo/.git/hooks/pre-commit"));
    ck_assert_int_eq(hook_locate(at(p, sizeof p, "repo"), HOOK_PRE_PUSH, hook, sizeof hook, err, sizeof err), 0);
    ck_assert_str_eq(hook, at(want, sizeof want, "repo/.git/hooks/pre-push"));
    ck_assert_str_eq(err, "");

    /* A bare repository: its own folder is the git directory. */
    make_repo("bare.git", true, NULL);
    ck_assert_int_eq(hook_locate(at(p, sizeof p, "bare.git"), HOOK_PRE_PUSH, hook, sizeof hook, err, sizeof err), 0);
    ck_assert_str_eq(hook, at(want, sizeof want, "bare.git/hooks/pre-push"));
}
END_TEST

START_TEST(locate_with_core_hooks_path)
{
    char p[PATH_MAX], hook[PATH_MAX], want[PATH_MAX], abs[PATH_MAX], err[512] = "";
    /* Absolute, trailing slashes dropped. */
    snprintf(abs, sizeof abs, "%s/shared-hooks//", root);
    make_repo("abs", false, abs);
    ck_assert_int_eq(hook_locate(at(p, sizeof p, "abs"), HOOK_PRE_COMMIT, hook, sizeof hook, err, sizeof err), 0);
    ck_assert_str_eq(hook, at(want, sizeof want, "shared-hooks/pre-commit"));

    /* Relative: to the top of the work tree (githooks(5)), from wherever
     * we start. */
    make_repo("rel", false, "tools/hooks");
    ck_assert_int_eq(mkdir(at(p, sizeof p, "rel/sub"), 0755), 0);
    ck_assert_int_eq(hook_locate(p, HOOK_PRE_PUSH, hook, sizeof hook, err, sizeof err), 0);
    ck_assert_str_eq(hook, at(want, sizeof want, "rel/tools/hooks/pre-push"));

    /* Relative in a bare repository: to the git directory. */
    make_repo("bare.git", true, "myhooks");
    ck_assert_int_eq(hook_locate(at(p, sizeof p, "bare.git"), HOOK_PRE_PUSH, hook, sizeof hook, err, sizeof err), 0);
    ck_assert_str_eq(hook, at(want, sizeof want, "bare.git/myhooks/pre-push"));

    /* ~/ is $HOME. */
    make_repo("home", false, "~/hooks-of-mine/");
    setenv("HOME", at(abs, sizeof abs, "user"), 1);
    ck_assert_int_eq(hook_locate(at(p, sizeof p, "home"), HOOK_PRE_COMMIT, hook, sizeof hook, err, sizeof err), 0);
    ck_assert_str_eq(hook, at(want, sizeof want, "user/hooks-of-mine/pre-commit"));
    ck_assert_str_eq(err, "");
}
END_TEST

START_TEST(locate_outside_a_repository_or_too_long)
{
    char p[PATH_MAX], hook[PATH_MAX] = "untouched", err[512] = "", want[PATH_MAX + 64];
    ck_assert_int_eq(mkdir(at(p, sizeof p, "plain"), 0755), 0);
    ck_assert_int_eq(hook_locate(p, HOOK_PRE_COMMIT, hook, sizeof hook, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s is not in a git repository (", p);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "err: %s", err);
    ck_assert_msg(strlen(err) > strlen(want) + 2 && err[strlen(err) - 1] == ')', "git's reason is missing: %s", err);

    make_repo("repo", false, NULL);
    char small[24];
    ck_assert_int_eq(hook_locate(at(p, sizeof p, "repo"), HOOK_PRE_COMMIT, small, sizeof small, err, sizeof err), -1);
    snprintf(want, sizeof want, "the hooks folder's path is too long: %s/repo/.git/hooks", root);
    ck_assert_str_eq(err, want);
}
END_TEST

/* ---- hook_install ------------------------------------------------------- */

START_TEST(install_fresh_then_update_ours)
{
    char hook[PATH_MAX], msg[PATH_MAX + 256], want[PATH_MAX + 64], text[512];
    struct stat st;
    at(hook, sizeof hook, "hooks/pre-commit"); /* the folder does not exist yet */
    ck_assert_int_eq(hook_install(hook, SCRIPT, false, msg, sizeof msg), HOOK_DONE);
    snprintf(want, sizeof want, "installed %s", hook);
    ck_assert_str_eq(msg, want);
    read_text(hook, text, sizeof text);
    ck_assert_str_eq(text, SCRIPT);
    ck_assert_int_eq(stat(hook, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0755);

    /* Ours is replaced without --force, and nothing is kept aside. */
    ck_assert_int_eq(hook_install(hook, SCRIPT2, false, msg, sizeof msg), HOOK_DONE);
    ck_assert_str_eq(msg, want);
    read_text(hook, text, sizeof text);
    ck_assert_str_eq(text, SCRIPT2);
    char aside[PATH_MAX + 32];
    snprintf(aside, sizeof aside, "%s.grader-replaced", hook);
    ck_assert_int_eq(access(aside, F_OK), -1);
    snprintf(aside, sizeof aside, "%s.grader-tmp", hook);
    ck_assert_int_eq(access(aside, F_OK), -1);
}
END_TEST

START_TEST(install_refuses_someone_elses_hook_unless_forced)
{
    char hook[PATH_MAX], msg[PATH_MAX * 2 + 256], want[PATH_MAX * 2 + 256], text[512], aside[PATH_MAX + 32];
    ck_assert_int_eq(mkdir(at(hook, sizeof hook, "hooks"), 0755), 0);
    at(hook, sizeof hook, "hooks/pre-push");
    snprintf(aside, sizeof aside, "%s.grader-replaced", hook);
    write_text(hook, FOREIGN, 0755);

    ck_assert_int_eq(hook_install(hook, SCRIPT, false, msg, sizeof msg), HOOK_REFUSED);
    snprintf(want, sizeof want,
             "%s already exists and is not grader's (it starts: #!/bin/sh); left untouched. Run again with --force "
             "to keep it aside as %s and install grader's",
             hook, aside);
    ck_assert_str_eq(msg, want);
    read_text(hook, text, sizeof text);
    ck_assert_str_eq(text, FOREIGN);

    ck_assert_int_eq(hook_install(hook, SCRIPT, true, msg, sizeof msg), HOOK_DONE);
    snprintf(want, sizeof want, "installed %s (the hook that was there is kept as %s)", hook, aside);
    ck_assert_str_eq(msg, want);
    read_text(hook, text, sizeof text);
    ck_assert_str_eq(text, SCRIPT);
    read_text(aside, text, sizeof text);
    ck_assert_str_eq(text, FOREIGN);

    /* Uninstall puts it back. */
    ck_assert_int_eq(hook_uninstall(hook, msg, sizeof msg), HOOK_DONE);
    snprintf(want, sizeof want, "removed %s and put back the hook it had replaced", hook);
    ck_assert_str_eq(msg, want);
    read_text(hook, text, sizeof text);
    ck_assert_str_eq(text, FOREIGN);
    ck_assert_int_eq(access(aside, F_OK), -1);
}
END_TEST

START_TEST(install_forced_never_overwrites_a_kept_hook)
{
    char hook[PATH_MAX], msg[PATH_MAX * 2 + 256], want[PATH_MAX * 2 + 256], text[512], aside[PATH_MAX + 32];
    ck_assert_int_eq(mkdir(at(hook, sizeof hook, "hooks"), 0755), 0);
    at(hook, sizeof hook, "hooks/pre-commit");
    snprintf(aside, sizeof aside, "%s.grader-replaced", hook);
    write_text(hook, FOREIGN, 0755);
    write_text(aside, "#!/bin/sh\necho an older one\n", 0755);
    ck_assert_int_eq(hook_install(hook, SCRIPT, true, msg, sizeof msg), HOOK_FAILED);
    snprintf(want, sizeof want, "%s already exists; move it away first, so that no hook is lost", aside);
    ck_assert_str_eq(msg, want);
    read_text(hook, text, sizeof text);
    ck_assert_str_eq(text, FOREIGN);
    read_text(aside, text, sizeof text);
    ck_assert_str_eq(text, "#!/bin/sh\necho an older one\n");
}
END_TEST

START_TEST(install_over_a_link_or_a_folder)
{
    char hook[PATH_MAX], msg[PATH_MAX * 2 + 256], target[PATH_MAX];
    ck_assert_int_eq(mkdir(at(hook, sizeof hook, "hooks"), 0755), 0);
    /* A symbolic link is someone else's, even to a hook of ours. */
    at(target, sizeof target, "ours");
    write_text(target, SCRIPT, 0755);
    at(hook, sizeof hook, "hooks/pre-commit");
    ck_assert_int_eq(symlink(target, hook), 0);
    ck_assert_int_eq(hook_install(hook, SCRIPT2, false, msg, sizeof msg), HOOK_REFUSED);
    ck_assert_msg(strstr(msg, "is not grader's (it starts: (a symbolic link))"), "%s", msg);
    ck_assert_int_eq(hook_uninstall(hook, msg, sizeof msg), HOOK_ABSENT);
    ck_assert_msg(strstr(msg, "is not grader's (it starts: (a symbolic link)); left untouched"), "%s", msg);
    struct stat st;
    ck_assert_int_eq(lstat(hook, &st), 0);
    ck_assert(S_ISLNK(st.st_mode));

    at(hook, sizeof hook, "hooks/pre-push");
    ck_assert_int_eq(mkdir(hook, 0755), 0);
    ck_assert_int_eq(hook_install(hook, SCRIPT, false, msg, sizeof msg), HOOK_REFUSED);
    ck_assert_msg(strstr(msg, "(it starts: (not a regular file))"), "%s", msg);
}
END_TEST

START_TEST(install_failures_leave_the_old_hook)
{
    char hook[PATH_MAX], msg[PATH_MAX * 2 + 256], want[PATH_MAX * 2 + 256], text[512], p[PATH_MAX + 32];
    /* The hooks folder cannot be made: a file is in the way. */
    write_text(at(p, sizeof p, "file"), "", 0644);
    at(hook, sizeof hook, "file/hooks/pre-commit");
    ck_assert_int_eq(hook_install(hook, SCRIPT, false, msg, sizeof msg), HOOK_FAILED);
    snprintf(want, sizeof want, "cannot create the folder of %s: %s", hook, strerror(ENOTDIR));
    ck_assert_str_eq(msg, want);

    /* The temporary file cannot be made (a folder holds its name): the
     * hook moved aside comes back. */
    ck_assert_int_eq(mkdir(at(p, sizeof p, "hooks"), 0755), 0);
    at(hook, sizeof hook, "hooks/pre-commit");
    write_text(hook, FOREIGN, 0755);
    snprintf(p, sizeof p, "%s.grader-tmp", hook);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    snprintf(p, sizeof p, "%s.grader-tmp/x", hook);
    write_text(p, "", 0644);
    ck_assert_int_eq(hook_install(hook, SCRIPT, true, msg, sizeof msg), HOOK_FAILED);
    snprintf(want, sizeof want, "cannot write %s: %s", hook, strerror(EEXIST));
    ck_assert_str_eq(msg, want);
    read_text(hook, text, sizeof text);
    ck_assert_str_eq(text, FOREIGN);
    snprintf(p, sizeof p, "%s.grader-replaced", hook);
    ck_assert_int_eq(access(p, F_OK), -1);

    /* A hook whose name leaves no room for ".grader-replaced" (NAME_MAX):
     * it cannot be moved aside, so it stays. */
    char name[256];
    memset(name, 'h', 250);
    name[250] = '\0';
    snprintf(p, sizeof p, "hooks/%s", name);
    at(hook, sizeof hook, p);
    write_text(hook, FOREIGN, 0755);
    ck_assert_int_eq(hook_install(hook, SCRIPT, true, msg, sizeof msg), HOOK_FAILED);
    snprintf(want, sizeof want, "cannot move %s aside: %s", hook, strerror(ENAMETOOLONG));
    ck_assert_str_eq(msg, want);
    read_text(hook, text, sizeof text);
    ck_assert_str_eq(text, FOREIGN);
}
END_TEST

START_TEST(install_relative_in_the_current_folder)
{
    /* A hook path without a folder: nothing to create. */
    char cwd[PATH_MAX], msg[512], text[512];
    ck_assert_ptr_nonnull(getcwd(cwd, sizeof cwd));
    ck_assert_int_eq(chdir(root), 0);
    enum hook_outcome o = hook_install("pre-commit", SCRIPT, false, msg, sizeof msg);
    read_text("pre-commit", text, sizeof text);
    ck_assert_int_eq(chdir(cwd), 0);
    ck_assert_int_eq(o, HOOK_DONE);
    ck_assert_str_eq(msg, "installed pre-commit");
    ck_assert_str_eq(text, SCRIPT);
}
END_TEST

/* ---- hook_uninstall ----------------------------------------------------- */

START_TEST(uninstall_only_ours)
{
    char hook[PATH_MAX], msg[PATH_MAX + 256], want[PATH_MAX + 256], text[512];
    ck_assert_int_eq(mkdir(at(hook, sizeof hook, "hooks"), 0755), 0);
    at(hook, sizeof hook, "hooks/pre-push");
    ck_assert_int_eq(hook_uninstall(hook, msg, sizeof msg), HOOK_ABSENT);
    snprintf(want, sizeof want, "no hook at %s", hook);
    ck_assert_str_eq(msg, want);

    /* The first line is quoted, cut at 120 characters. */
    char foreign[300];
    memset(foreign, 'x', 200);
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result): a prefix; the snprintf below ends the string
    memcpy(foreign, "#!/bin/sh ", 10);
    snprintf(foreign + 200, sizeof foreign - 200, "\necho hi\n");
    write_text(hook, foreign, 0755);
    ck_assert_int_eq(hook_uninstall(hook, msg, sizeof msg), HOOK_ABSENT);
    snprintf(want, sizeof want, "%s is not grader's (it starts: %.120s); left untouched", hook, foreign);
    ck_assert_str_eq(msg, want);
    read_text(hook, text, sizeof text);
    ck_assert_str_eq(text, foreign);

    write_text(hook, SCRIPT, 0755);
    ck_assert_int_eq(hook_uninstall(hook, msg, sizeof msg), HOOK_DONE);
    snprintf(want, sizeof want, "removed %s", hook);
    ck_assert_str_eq(msg, want);
    ck_assert_int_eq(access(hook, F_OK), -1);
}
END_TEST

static Suite *hook_suite(void)
{
    Suite *s = suite_create("hook");
    TCase *tc = tcase_create("hook");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, locate_in_the_git_directory);
    tcase_add_test(tc, locate_with_core_hooks_path);
    tcase_add_test(tc, locate_outside_a_repository_or_too_long);
    tcase_add_test(tc, install_fresh_then_update_ours);
    tcase_add_test(tc, install_refuses_someone_elses_hook_unless_forced);
    tcase_add_test(tc, install_forced_never_overwrites_a_kept_hook);
    tcase_add_test(tc, install_over_a_link_or_a_folder);
    tcase_add_test(tc, install_failures_leave_the_old_hook);
    tcase_add_test(tc, install_relative_in_the_current_folder);
    tcase_add_test(tc, uninstall_only_ours);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(hook_suite)
