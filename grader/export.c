/* export.c: see export.h.  The zip is written with libzip, every entry
 * with a fixed time and mode, so the same checkout gives the same zip. */
#include "export.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "lazylib_zip.h"

/* 2026-01-01T00:00:00Z: any fixed instant will do. */
#define ENTRY_MTIME ((time_t)1767225600)

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static const char SETUP_SH[] =
    "#!/usr/bin/env bash\n"
    "# Gradescope runs this once, as root, when it builds the autograder image:\n"
    "# the packages grader needs (Ubuntu or Debian), then grader itself, built\n"
    "# from the source in grader-src/ and installed in /usr/local.\n"
    "set -euo pipefail\n"
    "here=$(cd \"$(dirname \"$0\")\" && pwd)\n"
    "export DEBIAN_FRONTEND=noninteractive\n"
    "apt-get update -qq\n"
    "apt-get install -y -qq build-essential pkg-config python3 git libgit2-dev libpcre2-dev libyaml-dev \\\n"
    "    libseccomp-dev libjansson-dev libssl-dev zlib1g-dev libzip-dev check >/dev/null\n"
    "make -C \"$here/grader-src\" -j\"$(nproc)\" build/grader\n"
    "make -C \"$here/grader-src\" install PREFIX=/usr/local\n"
    "grader doctor || true\n";

/* %s: the rubric's file name. */
static const char RUN_AUTOGRADER[] =
    "#!/usr/bin/env bash\n"
    "# Gradescope runs this for every submission.  It always leaves\n"
    "# results/results.json: when the grader itself fails, that file says so\n"
    "# (score 0, a message for the student, the details for the instructor in\n"
    "# results/grader-stderr.txt) instead of Gradescope's \"The autograder failed\n"
    "# to execute correctly\".  AUTOGRADER_ROOT and GRADER replace /autograder and\n"
    "# the grader on PATH, to try it on a fake layout.\n"
    "set -u\n"
    "root=${AUTOGRADER_ROOT:-/autograder}\n"
    "grader=${GRADER:-grader}\n"
    "mkdir -p \"$root/results\"\n"
    "out=$root/results/results.json\n"
    "\"$grader\" grade --format gradescope --rubric \"$root/source/rubric/%s\" \"$root/submission\" \\\n"
    "    >\"$out.tmp\" 2>\"$root/results/grader-stderr.txt\"\n"
    "status=$?\n"
    "if [ -s \"$out.tmp\" ] && { [ \"$status\" -eq 0 ] || [ \"$status\" -eq 3 ]; }; then\n"
    "    mv \"$out.tmp\" \"$out\"\n"
    "else\n"
    "    rm -f \"$out.tmp\"\n"
    "    printf '{\"score\": 0, \"output\": \"The autograder could not grade this submission (grader exit "
    "status %%s). This is not your fault: your instructor can see why.\", \"tests\": []}\\n' \"$status\" "
    ">\"$out\"\n"
    "fi\n"
    "exit 0\n";

static int add_buffer(zip_t *za, const char *name, const char *data, size_t len, unsigned mode, char *err,
                      size_t errlen)
{
    /* libzip reads the buffer at zip_close: keep a copy it frees. */
    char *copy = malloc(len ? len : 1);
    if (!copy) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    memcpy(copy, data, len);
    zip_source_t *src = zip_source_buffer(za, copy, len, 1);
    if (!src) {
        free(copy);
        seterr(err, errlen, "zip: %s", zip_strerror(za));
        return -1;
    }
    zip_int64_t idx = zip_file_add(za, name, src, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    if (idx < 0) {
        zip_source_free(src);
        seterr(err, errlen, "zip: adding %s: %s", name, zip_strerror(za));
        return -1;
    }
    zip_file_set_external_attributes(za, (zip_uint64_t)idx, 0, ZIP_OPSYS_UNIX, (zip_uint32_t)(0100000 | mode) << 16);
    zip_file_set_mtime(za, (zip_uint64_t)idx, ENTRY_MTIME, 0);
    return 0;
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    struct stat st;
    char *buf = NULL;
    if (fstat(fileno(f), &st) == 0 && st.st_size < (off_t)64 << 20) {
        buf = malloc((size_t)st.st_size + 1);
        if (buf && fread(buf, 1, (size_t)st.st_size, f) != (size_t)st.st_size) {
            free(buf);
            buf = NULL;
        }
        if (buf)
            *len = (size_t)st.st_size;
    }
    fclose(f);
    return buf;
}

static int add_file(zip_t *za, const char *name, const char *path, char *err, size_t errlen)
{
    struct stat st;
    size_t len = 0;
    char *data = stat(path, &st) == 0 ? slurp(path, &len) : NULL;
    if (!data) {
        seterr(err, errlen, "cannot read %s: %s", path, strerror(errno ? errno : EIO));
        return -1;
    }
    int rc = add_buffer(za, name, data, len, (st.st_mode & 0111) ? 0755 : 0644, err, errlen);
    free(data);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds the regular files beneath root/rel as prefix/rel/..., in name order,
 * leaving out build products and hidden files. */
// NOLINTNEXTLINE(misc-no-recursion): depth stops at 8
static int add_tree(zip_t *za, const char *root, const char *rel, const char *prefix, int depth, char *err,
                    size_t errlen)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/%s", root, rel);
    DIR *d = opendir(dir);
    if (!d) {
        seterr(err, errlen, "cannot list %s: %s", dir, strerror(errno));
        return -1;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    int rc = 0;
    while ((de = readdir(d)) != NULL) {
        const char *nm = de->d_name;
        size_t l = strlen(nm);
        if (nm[0] == '.' || strcmp(nm, "__pycache__") == 0 || (l > 2 && strcmp(nm + l - 2, ".o") == 0))
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **v = realloc(names, cap * sizeof *v);
            if (!v) {
                rc = -1;
                break;
            }
            names = v;
        }
        if (!(names[n] = strdup(nm))) {
            rc = -1;
            break;
        }
        n++;
    }
    closedir(d);
    if (rc < 0)
        seterr(err, errlen, "out of memory");
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; rc == 0 && i < n; i++) {
        char r[PATH_MAX], p[PATH_MAX * 2], z[PATH_MAX * 2];
        snprintf(r, sizeof r, "%s/%s", rel, names[i]);
        snprintf(p, sizeof p, "%s/%s", root, r);
        snprintf(z, sizeof z, "%s/%s", prefix, r);
        struct stat st;
        if (lstat(p, &st) < 0)
            continue;
        if (S_ISDIR(st.st_mode) && depth < 8)
            rc = add_tree(za, root, r, prefix, depth + 1, err, errlen);
        else if (S_ISREG(st.st_mode))
            rc = add_file(za, z, p, err, errlen);
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
    return rc;
}

int export_gradescope(const char *zip_path, const char *source_root, const struct rubric *rb, char *err, size_t errlen)
{
    if (lazylib_open(LAZYLIB_ZIP, err, errlen) < 0)
        return -1;
    char probe[PATH_MAX];
    snprintf(probe, sizeof probe, "%s/grader/main.c", source_root);
    if (access(probe, R_OK) != 0) {
        seterr(err, errlen,
               "%s is not grader's source tree (no grader/main.c): run grader export from a source checkout, "
               "whose build/grader this is",
               source_root);
        return -1;
    }
    /* The rubric names its baseline relative to itself: both go in
     * rubric/, in the same relation. */
    char rubric_real[PATH_MAX], base_real[PATH_MAX];
    if (!realpath(rb->path, rubric_real) || !realpath(rb->baseline, base_real)) {
        seterr(err, errlen, "cannot resolve the rubric %s or its baseline %s: %s", rb->path, rb->baseline,
               strerror(errno));
        return -1;
    }
    char *slash = strrchr(rubric_real, '/');
    size_t dl = (size_t)(slash - rubric_real);
    if (strncmp(base_real, rubric_real, dl) != 0 || base_real[dl] != '/') {
        seterr(err, errlen, "the baseline %s is not in the rubric's folder %.*s: the package keeps them together",
               base_real, (int)dl, rubric_real);
        return -1;
    }
    const char *rubric_name = slash + 1, *base_rel = base_real + dl + 1;

    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", zip_path, (long)getpid());
    int zerr = 0;
    zip_t *za = zip_open(tmp, ZIP_CREATE | ZIP_TRUNCATE, &zerr);
    if (!za) {
        zip_error_t ze;
        zip_error_init_with_code(&ze, zerr);
        seterr(err, errlen, "cannot create %s: %s", zip_path, zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return -1;
    }
    char run[sizeof RUN_AUTOGRADER + PATH_MAX], zname[PATH_MAX + 16];
    snprintf(run, sizeof run, RUN_AUTOGRADER, rubric_name);
    int rc = add_buffer(za, "setup.sh", SETUP_SH, strlen(SETUP_SH), 0755, err, errlen);
    if (!rc)
        rc = add_buffer(za, "run_autograder", run, strlen(run), 0755, err, errlen);
    snprintf(zname, sizeof zname, "rubric/%s", rubric_name);
    if (!rc)
        rc = add_file(za, zname, rubric_real, err, errlen);
    snprintf(zname, sizeof zname, "rubric/%s", base_rel);
    if (!rc)
        rc = add_file(za, zname, base_real, err, errlen);
    static const char *const top_files[] = {"Makefile", "README.md"};
    static const char *const trees[] = {"grader", "sandbox", "rubrics", "scripts"};
    for (size_t i = 0; !rc && i < sizeof top_files / sizeof *top_files; i++) {
        char p[PATH_MAX * 2], z[64];
        snprintf(p, sizeof p, "%s/%s", source_root, top_files[i]);
        snprintf(z, sizeof z, "grader-src/%s", top_files[i]);
        rc = add_file(za, z, p, err, errlen);
    }
    for (size_t i = 0; !rc && i < sizeof trees / sizeof *trees; i++)
        rc = add_tree(za, source_root, trees[i], "grader-src", 0, err, errlen);
    if (rc) {
        zip_discard(za);
        unlink(tmp);
        return -1;
    }
    if (zip_close(za) < 0) {
        seterr(err, errlen, "cannot write %s: %s", zip_path, zip_strerror(za));
        zip_discard(za);
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, zip_path) < 0) {
        seterr(err, errlen, "cannot write %s: %s", zip_path, strerror(errno));
        unlink(tmp);
        return -1;
    }
    return 0;
}
