/* test_python.c: choosing the interpreter that runs student code
 * (python_resolve): --python, then $GRADER_PYTHON, then python3 on PATH;
 * what is refused, with which message; and the answer cache kept for real
 * binaries.  Fake interpreters are shell scripts that print what a Python
 * would (sys.executable, the version, the implementation). */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "scratch.h"
#include "python.h"

static char root[64];
static const char *const saved_names[] = {"GRADER_PYTHON", "PATH", "XDG_CACHE_HOME", "HOME"};
#define NSAVED (sizeof saved_names / sizeof *saved_names)
static char *saved_values[NSAVED];

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/grader-pytest-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    for (size_t i = 0; i < NSAVED; i++) {
        const char *v = getenv(saved_names[i]);
        saved_values[i] = v ? strdup(v) : NULL;
    }
    /* No cache unless a test asks for one. */
    char none[PATH_MAX];
    snprintf(none, sizeof none, "%s/no-cache", root);
    setenv("XDG_CACHE_HOME", none, 1);
    unsetenv("GRADER_PYTHON");
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
    scratch_remove(root);
    ck_assert_int_eq(access(root, F_OK), -1);
}

static const char *at(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", root, rel);
    return out;
}

/* A fake interpreter at root/rel printing `answer` (or running `body`). */
static const char *fake(char *out, size_t len, const char *rel, const char *body)
{
    at(out, len, rel);
    FILE *f = fopen(out, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "#!/bin/sh\n%s", body);
    fclose(f);
    ck_assert_int_eq(chmod(out, 0755), 0);
    return out;
}

static const char *python3(void)
{
    static char real[PATH_MAX];
    if (!real[0]) {
        if (!realpath("/usr/bin/python3", real))
            ck_abort_msg("this test needs /usr/bin/python3");
    }
    return real;
}

START_TEST(a_fake_cpython_resolves_to_what_it_reports)
{
    char py[PATH_MAX], body[PATH_MAX + 64], err[512] = "";
    snprintf(body, sizeof body, "echo %s\necho 3.11.7\necho cpython\n", "/usr/bin/python3");
    fake(py, sizeof py, "shim", body);
    struct python_info info;
    ck_assert_msg(python_resolve(py, &info, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(info.executable, python3()); /* the shim resolved to the binary */
    ck_assert_str_eq(info.version, "3.11.7");
    ck_assert_int_eq(info.major, 3);
    ck_assert_int_eq(info.minor, 11);
    ck_assert_str_eq(info.implementation, "cpython");
}
END_TEST

static void expect_refused(const char *requested, const char *want)
{
    struct python_info info;
    char err[1024] = "";
    ck_assert_int_eq(python_resolve(requested, &info, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
}

START_TEST(refused_answers)
{
    char py[PATH_MAX], want[PATH_MAX * 2];
    fake(py, sizeof py, "python2", "echo /usr/bin/python3\necho 2.7.18\necho cpython\n");
    snprintf(want, sizeof want, "%s is Python 2.7.18; the grader needs CPython 3.8 or newer", python3());
    expect_refused(py, want);

    fake(py, sizeof py, "old3", "echo /usr/bin/python3\necho 3.7.9\necho cpython\n");
    snprintf(want, sizeof want, "%s is Python 3.7.9; the grader needs CPython 3.8 or newer", python3());
    expect_refused(py, want);

    fake(py, sizeof py, "pypy", "echo /usr/bin/python3\necho 3.10.13\necho pypy\n");
    snprintf(want, sizeof want,
             "%s is pypy 3.10.13; the grader needs CPython (reference counting and the gc module behave "
             "differently elsewhere)",
             python3());
    expect_refused(py, want);

    fake(py, sizeof py, "garbled", "echo /usr/bin/python3\necho three\necho cpython\n");
    snprintf(want, sizeof want, "%s reports an unreadable version 'three'", py);
    expect_refused(py, want);

    fake(py, sizeof py, "huge", "echo /usr/bin/python3\necho 3.99999999999999999999\necho cpython\n");
    snprintf(want, sizeof want, "%s reports an unreadable version '3.99999999999999999999'", py);
    expect_refused(py, want);

    fake(py, sizeof py, "ghost", "echo /no/such/python\necho 3.11.7\necho cpython\n");
    snprintf(want, sizeof want, "%s reports sys.executable=/no/such/python, which does not exist", py);
    expect_refused(py, want);

    fake(py, sizeof py, "terse", "echo /usr/bin/python3\n");
    snprintf(want, sizeof want, "%s did not report sys.executable; pass the interpreter itself with --python", py);
    expect_refused(py, want);

    fake(py, sizeof py, "failing", "exit 1\n");
    snprintf(want, sizeof want, "%s did not answer 'import sys' (is it a Python 3 interpreter?)", py);
    expect_refused(py, want);
}
END_TEST

START_TEST(refused_files)
{
    char p[PATH_MAX], want[PATH_MAX * 2];
    at(p, sizeof p, "missing-python");
    snprintf(want, sizeof want, "Python interpreter %s (from --python) is not an executable file", p);
    expect_refused(p, want);

    /* $GRADER_PYTHON, named as the source. */
    setenv("GRADER_PYTHON", p, 1);
    snprintf(want, sizeof want, "Python interpreter %s (from GRADER_PYTHON) is not an executable file", p);
    expect_refused(NULL, want);
    expect_refused("", want); /* empty --python: as if not given */
    unsetenv("GRADER_PYTHON");

    /* Executable, but no format the kernel runs. */
    at(p, sizeof p, "not-a-program");
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs("just text\n", f);
    fclose(f);
    ck_assert_int_eq(chmod(p, 0755), 0);
    snprintf(want, sizeof want, "cannot run %s: %s", p, strerror(ENOEXEC));
    expect_refused(p, want);
}
END_TEST

START_TEST(python3_on_path)
{
    char bin[PATH_MAX], py[PATH_MAX], err[512] = "";
    ck_assert_int_eq(mkdir(at(bin, sizeof bin, "bin"), 0755), 0);
    setenv("PATH", bin, 1);
    expect_refused(NULL, "no python3 on PATH; install Python 3.8 or newer, or pass --python PATH");
    fake(py, sizeof py, "bin/python3", "echo /usr/bin/python3\necho 3.12.1\necho cpython\n");
    struct python_info info;
    ck_assert_msg(python_resolve(NULL, &info, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(info.version, "3.12.1");
    ck_assert_str_eq(info.executable, python3());
    /* A name without a slash is looked up on PATH too. */
    fake(py, sizeof py, "bin/python3.12", "echo /usr/bin/python3\necho 3.12.2\necho cpython\n");
    ck_assert_msg(python_resolve("python3.12", &info, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(info.version, "3.12.2");
    expect_refused("python3.99", "no python3.99 on PATH; install Python 3.8 or newer, or pass --python PATH");
}
END_TEST

START_TEST(real_binaries_are_asked_once)
{
    /* The answer for an ELF interpreter is kept in the cache, keyed by the
     * file; a planted answer shows it is read back instead of asking. */
    char cache[PATH_MAX], err[512] = "";
    at(cache, sizeof cache, "cache");
    ck_assert_int_eq(mkdir(cache, 0700), 0);
    setenv("XDG_CACHE_HOME", cache, 1);
    struct python_info first, second;
    ck_assert_msg(python_resolve(python3(), &first, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(first.executable, python3());
    ck_assert_int_eq(first.major, 3);

    char dir[PATH_MAX + 16];
    snprintf(dir, sizeof dir, "%s/grader", cache);
    DIR *d = opendir(dir);
    ck_assert_ptr_nonnull(d);
    char name[256] = "";
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, "python-", 7) == 0) {
            snprintf(name, sizeof name, "%s", de->d_name);
            n++;
        }
    closedir(d);
    ck_assert_int_eq(n, 1);
    char path[PATH_MAX + 300], text[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t got = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[got] = '\0';
    char want[PATH_MAX + 64];
    int used = snprintf(want, sizeof want, "%s\n%s\ncpython\n", python3(), first.version);
    /* then its site-packages directories, one per line, as parsed */
    for (int i = 0; i < first.nsite_dirs; i++)
        used += snprintf(want + used, sizeof want - (size_t)used, "%s\n", first.site_dirs[i]);
    ck_assert_str_eq(text, want);
    ck_assert_int_ge(first.nsite_dirs, 1);

    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "%s\n3.99.0\ncpython\n/planted/site-packages\nnot-absolute\n", python3());
    fclose(f);
    ck_assert_msg(python_resolve(python3(), &second, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(second.version, "3.99.0");
    ck_assert_int_eq(second.minor, 99);
    ck_assert_int_eq(second.nsite_dirs, 1);
    ck_assert_str_eq(second.site_dirs[0], "/planted/site-packages");
}
END_TEST

static Suite *python_suite(void)
{
    Suite *s = suite_create("python");
    TCase *tc = tcase_create("python");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, a_fake_cpython_resolves_to_what_it_reports);
    tcase_add_test(tc, refused_answers);
    tcase_add_test(tc, refused_files);
    tcase_add_test(tc, python3_on_path);
    tcase_add_test(tc, real_binaries_are_asked_once);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(python_suite)
