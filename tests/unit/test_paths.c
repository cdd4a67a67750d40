/* test_paths.c: where the grader finds its data and cache, $PATH lookup,
 * GRADER_SANDBOX_DISABLE, mkdir -p, tree removal, the sweep of a dead
 * grader's temporary files (paths.h), and SHA-256 of buffers and files
 * (digest.h).
 *
 * Every test works in a private temporary folder and restores the
 * environment variables it changes (CK_FORK=no runs all tests in one
 * process). */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "digest.h"
#include "paths.h"
#include "sandbox.h"

static char root[64];

static const char *const saved_names[] = {"GRADER_DATA_DIR", "XDG_CACHE_HOME",        "HOME", "PATH",
                                          "TMPDIR",          "GRADER_SANDBOX_DISABLE"};
#define NSAVED (sizeof saved_names / sizeof *saved_names)
static char *saved_values[NSAVED];

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/grader-paths-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    for (size_t i = 0; i < NSAVED; i++) {
        const char *v = getenv(saved_names[i]);
        saved_values[i] = v ? strdup(v) : NULL;
    }
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)ftw;
    if (flag == FTW_DP || (st && S_ISDIR(st->st_mode) && flag != FTW_SL))
        chmod(path, 0700);
    remove(path);
    return 0;
}

static void rm_tree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

static void teardown(void)
{
    for (size_t i = 0; i < NSAVED; i++) {
        if (saved_values[i])
            setenv(saved_names[i], saved_values[i], 1);
        else
            unsetenv(saved_names[i]);
        free(saved_values[i]);
        saved_values[i] = NULL;
    }
    rm_tree(root);
    ck_assert_int_eq(access(root, F_OK), -1);
}

static void at(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", root, rel);
}

static void write_file(const char *rel, const char *text, mode_t mode)
{
    char p[PATH_MAX];
    at(p, sizeof p, rel);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_msg(fd >= 0, "%s: %s", p, strerror(errno));
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    ck_assert_int_eq(chmod(p, mode), 0);
}

static void make_dir(const char *rel)
{
    char p[PATH_MAX];
    at(p, sizeof p, rel);
    ck_assert_msg(mkdir(p, 0755) == 0, "%s: %s", p, strerror(errno));
}

static bool exists(const char *rel)
{
    char p[PATH_MAX];
    struct stat st;
    at(p, sizeof p, rel);
    return lstat(p, &st) == 0;
}

/* ---- digest ------------------------------------------------------------- */

START_TEST(digest_of_buffers)
{
    char hex[DIGEST_HEX_LEN];
    /* FIPS 180-2 test vectors. */
    digest_sha256_hex("abc", 3, hex);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    digest_sha256_hex("", 0, hex);
    ck_assert_str_eq(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
    ck_assert_uint_eq(strlen(hex), 64);
}
END_TEST

START_TEST(digest_of_files)
{
    char hex[DIGEST_HEX_LEN], want[DIGEST_HEX_LEN], p[PATH_MAX];
    write_file("abc", "abc", 0644);
    at(p, sizeof p, "abc");
    ck_assert_int_eq(digest_sha256_file_hex(p, hex), 0);
    ck_assert_str_eq(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");

    /* Bigger than one read (64 KiB): the same digest as the whole buffer. */
    size_t n = 200000;
    char *big = malloc(n + 1);
    ck_assert_ptr_nonnull(big);
    for (size_t i = 0; i < n; i++)
        big[i] = (char)('a' + i % 26);
    big[n] = '\0';
    write_file("big", big, 0644);
    digest_sha256_hex(big, n, want);
    free(big);
    at(p, sizeof p, "big");
    ck_assert_int_eq(digest_sha256_file_hex(p, hex), 0);
    ck_assert_str_eq(hex, want);
}
END_TEST

START_TEST(digest_of_what_is_not_a_readable_file)
{
    char hex[DIGEST_HEX_LEN], p[PATH_MAX], target[PATH_MAX];
    at(p, sizeof p, "missing");
    errno = 0;
    ck_assert_int_eq(digest_sha256_file_hex(p, hex), -1);
    ck_assert_int_eq(errno, ENOENT);

    /* A symbolic link is never followed (a student could point it at
     * /etc/shadow). */
    write_file("real", "abc", 0644);
    at(target, sizeof target, "real");
    at(p, sizeof p, "link");
    ck_assert_int_eq(symlink(target, p), 0);
    errno = 0;
    ck_assert_int_eq(digest_sha256_file_hex(p, hex), -1);
    ck_assert_int_eq(errno, ELOOP);

    /* A directory opens, but read() fails: the error is the read's. */
    make_dir("dir");
    at(p, sizeof p, "dir");
    errno = 0;
    ck_assert_int_eq(digest_sha256_file_hex(p, hex), -1);
    ck_assert_int_eq(errno, EISDIR);
}
END_TEST

/* ---- data directory ----------------------------------------------------- */

START_TEST(data_dir_from_the_environment)
{
    char out[PATH_MAX], err[512], want[PATH_MAX];
    make_dir("data");
    make_dir("data/rubrics");
    write_file("data/rubrics/weakref-leak.yaml", "x: 1\n", 0644);
    at(want, sizeof want, "data");
    setenv("GRADER_DATA_DIR", want, 1);
    ck_assert_int_eq(paths_data_dir(out, sizeof out, err, sizeof err), 0);
    ck_assert_str_eq(out, want);
    ck_assert_int_eq(paths_default_rubric(out, sizeof out, err, sizeof err), 0);
    at(want, sizeof want, "data/rubrics/weakref-leak.yaml");
    ck_assert_str_eq(out, want);

    /* No runtime yet: probe_script says where it looked. */
    ck_assert_int_eq(paths_probe_script(out, sizeof out, err, sizeof err), -1);
    at(want, sizeof want, "data");
    char msg[PATH_MAX + 128];
    snprintf(msg, sizeof msg, "the bundled runtime grader_probe.py is missing from %s", want);
    ck_assert_str_eq(err, msg);

    /* The installed layout: runtime/ beside rubrics/. */
    make_dir("data/runtime");
    write_file("data/runtime/grader_probe.py", "pass\n", 0644);
    ck_assert_int_eq(paths_probe_script(out, sizeof out, err, sizeof err), 0);
    at(want, sizeof want, "data/runtime/grader_probe.py");
    ck_assert_str_eq(out, want);

    /* The source tree's layout wins when both are there. */
    make_dir("data/sandbox");
    make_dir("data/sandbox/runtime");
    write_file("data/sandbox/runtime/grader_probe.py", "pass\n", 0644);
    ck_assert_int_eq(paths_probe_script(out, sizeof out, err, sizeof err), 0);
    at(want, sizeof want, "data/sandbox/runtime/grader_probe.py");
    ck_assert_str_eq(out, want);
}
END_TEST

START_TEST(data_dir_from_the_environment_must_hold_the_rubric)
{
    char out[PATH_MAX] = "untouched", err[512], d[PATH_MAX], msg[PATH_MAX + 128];
    make_dir("empty");
    at(d, sizeof d, "empty");
    setenv("GRADER_DATA_DIR", d, 1);
    snprintf(msg, sizeof msg, "GRADER_DATA_DIR=%s does not hold rubrics/weakref-leak.yaml", d);
    ck_assert_int_eq(paths_data_dir(out, sizeof out, err, sizeof err), -1);
    ck_assert_str_eq(err, msg);
    ck_assert_str_eq(out, "untouched");
    err[0] = '\0';
    ck_assert_int_eq(paths_default_rubric(out, sizeof out, err, sizeof err), -1);
    ck_assert_str_eq(err, msg);
    err[0] = '\0';
    ck_assert_int_eq(paths_probe_script(out, sizeof out, err, sizeof err), -1);
    ck_assert_str_eq(err, msg);

    /* A rubric that is a directory is no rubric. */
    make_dir("empty/rubrics");
    make_dir("empty/rubrics/weakref-leak.yaml");
    ck_assert_int_eq(paths_data_dir(out, sizeof out, err, sizeof err), -1);
    ck_assert_str_eq(err, msg);

    /* A value longer than any path cannot hold it either. */
    char *longdir = malloc(PATH_MAX + 16);
    ck_assert_ptr_nonnull(longdir);
    memset(longdir, 'x', PATH_MAX + 15);
    longdir[0] = '/';
    longdir[PATH_MAX + 15] = '\0';
    setenv("GRADER_DATA_DIR", longdir, 1);
    free(longdir);
    char err2[64];
    ck_assert_int_eq(paths_data_dir(out, sizeof out, err2, sizeof err2), -1);
    ck_assert_msg(strncmp(err2, "GRADER_DATA_DIR=/xxx", 20) == 0, "%s", err2);
}
END_TEST

START_TEST(data_dir_near_the_executable)
{
    /* The test program lives in build/tests (or build-cov/tests, ...): neither its ../share/grader
     * nor its .. holds rubrics/, so the search fails and names where it
     * looked. */
    char out[PATH_MAX], err[PATH_MAX + 256], exe[PATH_MAX], want[PATH_MAX + 128];
    setenv("GRADER_DATA_DIR", "", 1); /* empty: as if unset */
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    ck_assert_int_gt(n, 0);
    exe[n] = '\0';
    *strrchr(exe, '/') = '\0';
    char up[PATH_MAX + 8];
    snprintf(up, sizeof up, "%s/../rubrics/weakref-leak.yaml", exe);
    if (access(up, F_OK) == 0) {
        printf("note: %s exists: test skipped\n", up);
        return;
    }
    snprintf(want, sizeof want,
             "cannot find the grader's data (rubrics and runtime) near %s; "
             "run 'make install' or set GRADER_DATA_DIR",
             exe);
    ck_assert_int_eq(paths_data_dir(out, sizeof out, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
    unsetenv("GRADER_DATA_DIR");
    err[0] = '\0';
    ck_assert_int_eq(paths_default_rubric(out, sizeof out, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
}
END_TEST

/* ---- cache directory ---------------------------------------------------- */

START_TEST(cache_dir_xdg_then_home)
{
    char out[PATH_MAX], want[PATH_MAX];
    struct stat st;
    make_dir("xdg");
    at(want, sizeof want, "xdg");
    setenv("XDG_CACHE_HOME", want, 1);
    ck_assert_int_eq(paths_cache_dir(out, sizeof out), 0);
    at(want, sizeof want, "xdg/grader");
    ck_assert_str_eq(out, want);
    ck_assert_int_eq(lstat(out, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    /* Again: it exists and is ours. */
    ck_assert_int_eq(paths_cache_dir(out, sizeof out), 0);
    ck_assert_str_eq(out, want);

    /* A relative XDG_CACHE_HOME is ignored: $HOME/.cache, created. */
    setenv("XDG_CACHE_HOME", "relative/cache", 1);
    make_dir("home");
    at(want, sizeof want, "home");
    setenv("HOME", want, 1);
    ck_assert_int_eq(paths_cache_dir(out, sizeof out), 0);
    at(want, sizeof want, "home/.cache/grader");
    ck_assert_str_eq(out, want);
    ck_assert(exists("home/.cache/grader"));

    /* Neither is an absolute path: no cache. */
    unsetenv("XDG_CACHE_HOME");
    setenv("HOME", "relative", 1);
    ck_assert_int_eq(paths_cache_dir(out, sizeof out), -1);
    unsetenv("HOME");
    ck_assert_int_eq(paths_cache_dir(out, sizeof out), -1);
}
END_TEST

START_TEST(cache_dir_refused_unless_ours_alone)
{
    char out[PATH_MAX], p[PATH_MAX];
    at(p, sizeof p, "xdg");
    setenv("XDG_CACHE_HOME", p, 1);
    make_dir("xdg");
    /* Writable by others: anyone could change what runs in every graded
     * interpreter. */
    make_dir("xdg/grader");
    at(p, sizeof p, "xdg/grader");
    ck_assert_int_eq(chmod(p, 0777), 0);
    ck_assert_int_eq(paths_cache_dir(out, sizeof out), -1);
    ck_assert_int_eq(chmod(p, 0720), 0);
    ck_assert_int_eq(paths_cache_dir(out, sizeof out), -1);
    ck_assert_int_eq(chmod(p, 0700), 0);
    ck_assert_int_eq(paths_cache_dir(out, sizeof out), 0);
    ck_assert_str_eq(out, p);

    /* A file, or a symbolic link to a good directory, in its place. */
    ck_assert_int_eq(rmdir(p), 0);
    write_file("xdg/grader", "", 0600);
    ck_assert_int_eq(paths_cache_dir(out, sizeof out), -1);
    ck_assert_int_eq(unlink(p), 0);
    make_dir("elsewhere");
    char target[PATH_MAX];
    at(target, sizeof target, "elsewhere");
    ck_assert_int_eq(chmod(target, 0700), 0);
    ck_assert_int_eq(symlink(target, p), 0);
    ck_assert_int_eq(paths_cache_dir(out, sizeof out), -1);

    /* Not owned by us (as root: hand it to another uid). */
    if (geteuid() == 0) {
        ck_assert_int_eq(unlink(p), 0);
        make_dir("xdg/grader");
        ck_assert_int_eq(chmod(p, 0700), 0);
        ck_assert_int_eq(chown(p, 12345, 12345), 0);
        ck_assert_int_eq(paths_cache_dir(out, sizeof out), -1);
    }
}
END_TEST

/* ---- $PATH -------------------------------------------------------------- */

START_TEST(search_follows_path_order_and_modes)
{
    char out[PATH_MAX], path[3 * PATH_MAX], want[PATH_MAX], b1[PATH_MAX], b2[PATH_MAX];
    make_dir("b1");
    make_dir("b2");
    write_file("b1/tool", "not executable\n", 0644);
    write_file("b2/tool", "#!/bin/sh\n", 0755);
    write_file("b1/first", "#!/bin/sh\n", 0755);
    write_file("b2/first", "#!/bin/sh\n", 0755);
    at(b1, sizeof b1, "b1");
    at(b2, sizeof b2, "b2");
    /* Empty components are skipped, not taken as ".". */
    snprintf(path, sizeof path, "::%s::%s:", b1, b2);
    setenv("PATH", path, 1);
    ck_assert_int_eq(paths_search("tool", out, sizeof out), 0);
    at(want, sizeof want, "b2/tool");
    ck_assert_str_eq(out, want);
    ck_assert_int_eq(paths_search("first", out, sizeof out), 0);
    at(want, sizeof want, "b1/first");
    ck_assert_str_eq(out, want);
    strcpy(out, "untouched");
    ck_assert_int_eq(paths_search("absent-tool", out, sizeof out), -1);
    ck_assert_str_eq(out, "untouched");

    /* No PATH, or an empty one: execvp's default. */
    const char *sh = access("/usr/local/bin/sh", X_OK) == 0 ? "/usr/local/bin/sh"
                     : access("/usr/bin/sh", X_OK) == 0     ? "/usr/bin/sh"
                                                            : "/bin/sh";
    setenv("PATH", "", 1);
    ck_assert_int_eq(paths_search("sh", out, sizeof out), 0);
    ck_assert_str_eq(out, sh);
    unsetenv("PATH");
    ck_assert_int_eq(paths_search("sh", out, sizeof out), 0);
    ck_assert_str_eq(out, sh);
}
END_TEST

/* ---- GRADER_SANDBOX_DISABLE --------------------------------------------- */

START_TEST(sandbox_disable_words)
{
    unsigned bits = 99;
    char err[256] = "";
    unsetenv("GRADER_SANDBOX_DISABLE");
    ck_assert_int_eq(paths_sandbox_disable(&bits, err, sizeof err), 0);
    ck_assert_uint_eq(bits, 0);

    setenv("GRADER_SANDBOX_DISABLE", "namespaces,seccomp", 1);
    ck_assert_int_eq(paths_sandbox_disable(&bits, err, sizeof err), 0);
    ck_assert_uint_eq(bits, SANDBOX_NO_NAMESPACES | SANDBOX_NO_SECCOMP);

    setenv("GRADER_SANDBOX_DISABLE", ",,landlock,", 1);
    ck_assert_int_eq(paths_sandbox_disable(&bits, err, sizeof err), 0);
    ck_assert_uint_eq(bits, SANDBOX_NO_LANDLOCK);

    setenv("GRADER_SANDBOX_DISABLE", "uid,minimal-root,userns,cgroups", 1);
    ck_assert_int_eq(paths_sandbox_disable(&bits, err, sizeof err), 0);
    ck_assert_uint_eq(bits, SANDBOX_NO_UID | SANDBOX_NO_MINIMAL_ROOT | SANDBOX_NO_USERNS | SANDBOX_NO_CGROUPS);
    ck_assert_str_eq(err, "");

    /* A prefix of a word, a misspelling: refused, and named. */
    setenv("GRADER_SANDBOX_DISABLE", "seccomp,namespace", 1);
    ck_assert_int_eq(paths_sandbox_disable(&bits, err, sizeof err), -1);
    ck_assert_str_eq(err,
                     "GRADER_SANDBOX_DISABLE: unknown layer 'namespace'; use namespaces, userns, cgroups, "
                     "seccomp, landlock, minimal-root or uid");
    setenv("GRADER_SANDBOX_DISABLE", "Seccomp", 1);
    ck_assert_int_eq(paths_sandbox_disable(&bits, err, sizeof err), -1);
    ck_assert_msg(strstr(err, "unknown layer 'Seccomp'"), "%s", err);
}
END_TEST

/* ---- mkdir -p and removal ----------------------------------------------- */

START_TEST(mkdir_p_nested_existing_and_refused)
{
    char p[PATH_MAX];
    struct stat st;
    at(p, sizeof p, "a/b/c");
    ck_assert_int_eq(paths_mkdir_p(p), 0);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(paths_mkdir_p(p), 0); /* already there */
    at(p, sizeof p, "a/b/c/");             /* a trailing slash */
    ck_assert_int_eq(paths_mkdir_p(p), 0);

    /* A file on the way. */
    write_file("a/file", "", 0644);
    at(p, sizeof p, "a/file/d/e");
    errno = 0;
    ck_assert_int_eq(paths_mkdir_p(p), -1);
    ck_assert_int_eq(errno, ENOTDIR);
    ck_assert(!exists("a/file/d"));

    /* Longer than PATH_MAX. */
    char *longp = malloc(PATH_MAX + 8);
    ck_assert_ptr_nonnull(longp);
    memset(longp, 'y', PATH_MAX + 7);
    longp[0] = '/';
    longp[PATH_MAX + 7] = '\0';
    errno = 0;
    ck_assert_int_eq(paths_mkdir_p(longp), -1);
    ck_assert_int_eq(errno, ENAMETOOLONG);
    free(longp);
}
END_TEST

START_TEST(remove_tree_never_follows_links)
{
    char p[PATH_MAX], target[PATH_MAX];
    make_dir("outside");
    write_file("outside/keep", "precious\n", 0644);
    make_dir("t");
    make_dir("t/sub");
    make_dir("t/sub/deeper");
    write_file("t/sub/deeper/f", "x", 0644);
    write_file("t/top", "y", 0600);
    at(target, sizeof target, "outside");
    at(p, sizeof p, "t/sub/dirlink");
    ck_assert_int_eq(symlink(target, p), 0);
    at(target, sizeof target, "outside/keep");
    at(p, sizeof p, "t/filelink");
    ck_assert_int_eq(symlink(target, p), 0);

    at(p, sizeof p, "t");
    paths_remove_tree(p);
    ck_assert(!exists("t"));
    ck_assert(exists("outside/keep"));
    ck_assert(exists("outside"));

    /* A single file, and something that is not there. */
    write_file("single", "z", 0644);
    at(p, sizeof p, "single");
    paths_remove_tree(p);
    ck_assert(!exists("single"));
    at(p, sizeof p, "never-was");
    paths_remove_tree(p);
    ck_assert(!exists("never-was"));
    ck_assert(exists("outside/keep"));
}
END_TEST

/* ---- sweeping a dead grader's leftovers --------------------------------- */

static pid_t dead_pid(void)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(0);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    return pid;
}

START_TEST(sweep_removes_only_dead_graders_files)
{
    char name[128], p[PATH_MAX];
    pid_t dead = dead_pid();
    setenv("TMPDIR", root, 1);

    snprintf(name, sizeof name, "grader-token-%d-abc", (int)dead);
    write_file(name, "token", 0600);
    char token_dead[128];
    snprintf(token_dead, sizeof token_dead, "%s", name);

    char export_dead[128];
    snprintf(export_dead, sizeof export_dead, "grader-export-%d-x", (int)dead);
    make_dir(export_dead);
    snprintf(name, sizeof name, "%s/sub", export_dead);
    make_dir(name);
    snprintf(name, sizeof name, "%s/sub/file", export_dead);
    write_file(name, "z", 0644);

    char first_dead[128];
    snprintf(first_dead, sizeof first_dead, "grader-first-%d", (int)dead);
    write_file(first_dead, "", 0600);

    /* Ours, a live process's (init), no number, a number that overflows,
     * zero, another prefix: all kept. */
    char ours[128], live[] = "grader-token-1-live";
    snprintf(ours, sizeof ours, "grader-export-%d-mine", (int)getpid());
    make_dir(ours);
    write_file(live, "", 0600);
    write_file("grader-token-abc", "", 0600);
    write_file("grader-first-99999999999999999999999-x", "", 0600);
    write_file("grader-token-0-x", "", 0600);
    write_file("grader-token--5-x", "", 0600);
    snprintf(name, sizeof name, "grader-box-%d-x", (int)dead); /* box.c's to sweep */
    write_file(name, "", 0600);
    char other[128];
    snprintf(other, sizeof other, "%s", name);

    paths_sweep_stale();
    ck_assert_msg(!exists(token_dead), "%s is still there", token_dead);
    ck_assert_msg(!exists(export_dead), "%s is still there", export_dead);
    ck_assert_msg(!exists(first_dead), "%s is still there", first_dead);
    ck_assert(exists(ours));
    ck_assert(exists(live));
    ck_assert(exists("grader-token-abc"));
    ck_assert(exists("grader-first-99999999999999999999999-x"));
    ck_assert(exists("grader-token-0-x"));
    ck_assert(exists("grader-token--5-x"));
    ck_assert(exists(other));

    /* A TMPDIR that cannot be listed is no error, and nothing is made. */
    at(p, sizeof p, "no-such-dir");
    setenv("TMPDIR", p, 1);
    paths_sweep_stale();
    ck_assert(!exists("no-such-dir"));
    ck_assert(exists(ours));
}
END_TEST

static Suite *paths_suite(void)
{
    Suite *s = suite_create("paths");
    TCase *tc = tcase_create("paths");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, digest_of_buffers);
    tcase_add_test(tc, digest_of_files);
    tcase_add_test(tc, digest_of_what_is_not_a_readable_file);
    tcase_add_test(tc, data_dir_from_the_environment);
    tcase_add_test(tc, data_dir_from_the_environment_must_hold_the_rubric);
    tcase_add_test(tc, data_dir_near_the_executable);
    tcase_add_test(tc, cache_dir_xdg_then_home);
    tcase_add_test(tc, cache_dir_refused_unless_ours_alone);
    tcase_add_test(tc, search_follows_path_order_and_modes);
    tcase_add_test(tc, sandbox_disable_words);
    tcase_add_test(tc, mkdir_p_nested_existing_and_refused);
    tcase_add_test(tc, remove_tree_never_follows_links);
    tcase_add_test(tc, sweep_removes_only_dead_graders_files);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(paths_suite)
