/* test_export.c: the Gradescope package (export_gradescope) from a small
 * fake source checkout: what goes in and what stays out, in which order,
 * with which modes and time, byte for byte the same twice; and each
 * refusal, with no zip and no temporary file left behind.  The zip is read
 * back with libzip. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#include "check_main.h"
#include "scratch.h"
#include "export.h"

static char root[64];

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/grader-export-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
}

static void teardown(void)
{
    scratch_remove(root);
    ck_assert_int_eq(access(root, F_OK), -1);
}

static const char *at(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", root, rel);
    return out;
}

static void put(const char *rel, const char *text, mode_t mode)
{
    char p[PATH_MAX];
    at(p, sizeof p, rel);
    /* mkdir -p of its folder */
    for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_msg(fd >= 0, "%s: %s", p, strerror(errno));
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    ck_assert_int_eq(chmod(p, mode), 0);
}

/* A source checkout with what the package takes and what it leaves out. */
static void make_source(void)
{
    put("src/grader/main.c", "int main(void) { return 0; }\n", 0644);
    put("src/grader/zeta.c", "/* zeta */\n", 0644);
    put("src/grader/alpha.h", "/* alpha */\n", 0644);
    put("src/grader/alpha.o", "object code\n", 0644);
    put("src/grader/.hidden", "editor swap\n", 0644);
    put("src/grader/__pycache__/x.pyc", "bytecode\n", 0644);
    put("src/sandbox/run.sh", "#!/bin/sh\n", 0755);
    put("src/sandbox/runtime/probe.py", "print('probe')\n", 0644);
    put("src/rubrics/default.yaml", "id: default\n", 0644);
    put("src/scripts/ensure-deps.sh", "#!/bin/sh\n", 0755);
    put("src/Makefile", "all:\n", 0644);
    put("src/README.md", "# grader\n", 0644);
    put("src/tests/unit/test_x.c", "not packaged\n", 0644);
    put("src/secret.txt", "not packaged\n", 0644);
    char target[PATH_MAX], link[PATH_MAX];
    ck_assert_int_eq(symlink(at(target, sizeof target, "src/secret.txt"), at(link, sizeof link, "src/grader/link.c")),
                     0);
    put("rub/course.yaml", "id: course\n", 0644);
    put("rub/base/leaky_app.py", "print('baseline')\n", 0644);
}

static void rubric_at(struct rubric *rb, char *path, size_t plen, char *base, size_t blen, const char *rpath,
                      const char *bpath)
{
    memset(rb, 0, sizeof *rb);
    at(path, plen, rpath);
    at(base, blen, bpath);
    rb->path = path;
    rb->baseline = base;
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    long n = ftell(f);
    ck_assert_int_ge(n, 0);
    rewind(f);
    char *buf = malloc((size_t)n + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static char *entry_text(zip_t *za, const char *name)
{
    zip_stat_t st;
    ck_assert_msg(zip_stat(za, name, 0, &st) == 0, "no %s in the zip", name);
    zip_file_t *zf = zip_fopen(za, name, 0);
    ck_assert_ptr_nonnull(zf);
    char *buf = malloc(st.size + 1);
    ck_assert_ptr_nonnull(buf);
    ck_assert_int_eq(zip_fread(zf, buf, st.size), (zip_int64_t)st.size);
    buf[st.size] = '\0';
    zip_fclose(zf);
    return buf;
}

static unsigned entry_mode(zip_t *za, zip_int64_t i)
{
    zip_uint8_t os = 0;
    zip_uint32_t attr = 0;
    ck_assert_int_eq(zip_file_get_external_attributes(za, (zip_uint64_t)i, 0, &os, &attr), 0);
    ck_assert_int_eq(os, ZIP_OPSYS_UNIX);
    return (attr >> 16) & 0177777;
}

START_TEST(package_contents_order_modes_and_time)
{
    char src[PATH_MAX], zpath[PATH_MAX], rp[PATH_MAX], bp[PATH_MAX], err[1024] = "";
    struct rubric rb;
    make_source();
    rubric_at(&rb, rp, sizeof rp, bp, sizeof bp, "rub/course.yaml", "rub/base/leaky_app.py");
    ck_assert_msg(export_gradescope(at(zpath, sizeof zpath, "autograder.zip"), at(src, sizeof src, "src"), &rb, err,
                                    sizeof err) == 0,
                  "%s", err);
    ck_assert_str_eq(err, "");

    int zerr = 0;
    zip_t *za = zip_open(zpath, ZIP_RDONLY, &zerr);
    ck_assert_msg(za != NULL, "zip_open: %d", zerr);
    static const char *const want[] = {
        "setup.sh",
        "run_autograder",
        "rubric/course.yaml",
        "rubric/base/leaky_app.py",
        "grader-src/Makefile",
        "grader-src/README.md",
        "grader-src/grader/alpha.h",
        "grader-src/grader/main.c",
        "grader-src/grader/zeta.c",
        "grader-src/sandbox/run.sh",
        "grader-src/sandbox/runtime/probe.py",
        "grader-src/rubrics/default.yaml",
        "grader-src/scripts/ensure-deps.sh",
    };
    size_t nwant = sizeof want / sizeof *want;
    ck_assert_int_eq(zip_get_num_entries(za, 0), (zip_int64_t)nwant);
    for (size_t i = 0; i < nwant; i++) {
        const char *name = zip_get_name(za, (zip_uint64_t)i, 0);
        ck_assert_ptr_nonnull(name);
        ck_assert_str_eq(name, want[i]);
        zip_stat_t st;
        ck_assert_int_eq(zip_stat_index(za, (zip_uint64_t)i, 0, &st), 0);
        ck_assert_msg(st.mtime == (time_t)1767225600, "%s: mtime %lld", name, (long long)st.mtime);
        bool exec = strcmp(name, "setup.sh") == 0 || strcmp(name, "run_autograder") == 0 || strstr(name, ".sh") != NULL;
        ck_assert_msg(entry_mode(za, (zip_int64_t)i) == (exec ? 0100755u : 0100644u), "%s: mode %o", name,
                      entry_mode(za, (zip_int64_t)i));
    }

    char *t = entry_text(za, "grader-src/grader/zeta.c");
    ck_assert_str_eq(t, "/* zeta */\n");
    free(t);
    t = entry_text(za, "rubric/base/leaky_app.py");
    ck_assert_str_eq(t, "print('baseline')\n");
    free(t);
    t = entry_text(za, "run_autograder");
    ck_assert_msg(strstr(t, "--rubric \"$root/source/rubric/course.yaml\" \"$root/submission\""), "%s", t);
    ck_assert_msg(strstr(t, "grader exit status %s"), "%s", t); /* %% kept for printf */
    ck_assert_msg(strncmp(t, "#!/usr/bin/env bash\n", 20) == 0, "%s", t);
    free(t);
    t = entry_text(za, "setup.sh");
    ck_assert_msg(strstr(t, "make -C \"$here/grader-src\" install PREFIX=/usr/local\n"), "%s", t);
    free(t);
    zip_close(za);

    /* The same checkout gives the same bytes. */
    char zpath2[PATH_MAX];
    ck_assert_int_eq(export_gradescope(at(zpath2, sizeof zpath2, "again.zip"), src, &rb, err, sizeof err), 0);
    size_t n1, n2;
    char *b1 = read_all(zpath, &n1), *b2 = read_all(zpath2, &n2);
    ck_assert_uint_eq(n1, n2);
    ck_assert(memcmp(b1, b2, n1) == 0);
    free(b1);
    free(b2);

    /* Nothing but the two zips was written beside them. */
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", zpath, (long)getpid());
    ck_assert_int_eq(access(tmp, F_OK), -1);
}
END_TEST

static void expect_refusal(const char *zip_rel, const char *src_rel, struct rubric *rb, const char *want)
{
    char zpath[PATH_MAX], src[PATH_MAX], err[2048] = "", tmp[PATH_MAX + 32];
    at(zpath, sizeof zpath, zip_rel);
    at(src, sizeof src, src_rel);
    ck_assert_int_eq(export_gradescope(zpath, src, rb, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
    struct stat st;
    ck_assert_msg(stat(zpath, &st) < 0 || S_ISDIR(st.st_mode), "a zip was left at %s", zpath);
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", zpath, (long)getpid());
    ck_assert_msg(access(tmp, F_OK) < 0, "%s was left behind", tmp);
}

START_TEST(refused_when_not_a_source_tree)
{
    char rp[PATH_MAX], bp[PATH_MAX], want[PATH_MAX * 2];
    struct rubric rb;
    make_source();
    rubric_at(&rb, rp, sizeof rp, bp, sizeof bp, "rub/course.yaml", "rub/base/leaky_app.py");
    snprintf(want, sizeof want,
             "%s/rub is not grader's source tree (no grader/main.c): run grader export from a source checkout, "
             "whose build/grader this is",
             root);
    expect_refusal("a.zip", "rub", &rb, want);
}
END_TEST

START_TEST(refused_when_the_rubric_and_baseline_are_apart)
{
    char rp[PATH_MAX], bp[PATH_MAX], want[PATH_MAX * 3];
    struct rubric rb;
    make_source();
    /* The rubric is gone. */
    rubric_at(&rb, rp, sizeof rp, bp, sizeof bp, "rub/missing.yaml", "rub/base/leaky_app.py");
    snprintf(want, sizeof want, "cannot resolve the rubric %s or its baseline %s: %s", rp, bp, strerror(ENOENT));
    expect_refusal("a.zip", "src", &rb, want);

    /* The baseline is in a sibling folder whose name merely starts the
     * same. */
    put("rub2/leaky_app.py", "print('elsewhere')\n", 0644);
    rubric_at(&rb, rp, sizeof rp, bp, sizeof bp, "rub/course.yaml", "rub2/leaky_app.py");
    snprintf(want, sizeof want,
             "the baseline %s/rub2/leaky_app.py is not in the rubric's folder %s/rub: the package keeps them together",
             root, root);
    expect_refusal("a.zip", "src", &rb, want);
}
END_TEST

START_TEST(refused_when_the_checkout_is_incomplete)
{
    char rp[PATH_MAX], bp[PATH_MAX], want[PATH_MAX * 2], p[PATH_MAX];
    struct rubric rb;
    make_source();
    rubric_at(&rb, rp, sizeof rp, bp, sizeof bp, "rub/course.yaml", "rub/base/leaky_app.py");

    ck_assert_int_eq(rename(at(p, sizeof p, "src/scripts"), at(want, sizeof want, "scripts-away")), 0);
    snprintf(want, sizeof want, "cannot list %s/src/scripts: %s", root, strerror(ENOENT));
    expect_refusal("a.zip", "src", &rb, want);

    ck_assert_int_eq(unlink(at(p, sizeof p, "src/Makefile")), 0);
    snprintf(want, sizeof want, "cannot read %s/src/Makefile: %s", root, strerror(ENOENT));
    expect_refusal("a.zip", "src", &rb, want);
}
END_TEST

START_TEST(refused_when_the_zip_cannot_be_written)
{
    char rp[PATH_MAX], bp[PATH_MAX], want[PATH_MAX * 2], p[PATH_MAX];
    struct rubric rb;
    make_source();
    rubric_at(&rb, rp, sizeof rp, bp, sizeof bp, "rub/course.yaml", "rub/base/leaky_app.py");

    /* Its folder does not exist: libzip finds out when it writes. */
    char zpath[PATH_MAX], src[PATH_MAX], err[2048] = "";
    snprintf(want, sizeof want, "cannot write %s/no-such-dir/a.zip: ", root);
    ck_assert_int_eq(export_gradescope(at(zpath, sizeof zpath, "no-such-dir/a.zip"), at(src, sizeof src, "src"), &rb,
                                       err, sizeof err),
                     -1);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0 && strstr(err, strerror(ENOENT)), "%s", err);
    ck_assert_int_eq(access(at(p, sizeof p, "no-such-dir"), F_OK), -1);

    /* The temporary zip cannot even be opened (a folder holds its name). */
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s/b.zip.tmp%ld", root, (long)getpid());
    ck_assert_int_eq(mkdir(tmp, 0755), 0);
    snprintf(want, sizeof want, "cannot create %s/b.zip: ", root);
    ck_assert_int_eq(export_gradescope(at(zpath, sizeof zpath, "b.zip"), src, &rb, err, sizeof err), -1);
    ck_assert_msg(strncmp(err, want, strlen(want)) == 0 && strlen(err) > strlen(want), "%s", err);
    ck_assert_int_eq(access(zpath, F_OK), -1);

    /* A folder holds its name: the zip is built, then cannot take its
     * place, and the temporary file goes. */
    ck_assert_int_eq(mkdir(at(p, sizeof p, "taken.zip"), 0755), 0);
    snprintf(want, sizeof want, "cannot write %s/taken.zip: %s", root, strerror(EISDIR));
    expect_refusal("taken.zip", "src", &rb, want);
}
END_TEST

static Suite *export_suite(void)
{
    Suite *s = suite_create("export");
    TCase *tc = tcase_create("export");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, package_contents_order_modes_and_time);
    tcase_add_test(tc, refused_when_not_a_source_tree);
    tcase_add_test(tc, refused_when_the_rubric_and_baseline_are_apart);
    tcase_add_test(tc, refused_when_the_checkout_is_incomplete);
    tcase_add_test(tc, refused_when_the_zip_cannot_be_written);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(export_suite)
