/* fuzz_common.h: helpers shared by the libFuzzer targets in tests/fuzz/.
 *
 * Every target works in one private temporary folder, made on first use
 * under $TMPDIR (run.sh points it into build/fuzz/tmp) and removed at exit.
 * A failed expectation calls fz_fail(), which prints why and aborts, so
 * libFuzzer saves the input as a crash. */
#ifndef GRADER_FUZZ_COMMON_H
#define GRADER_FUZZ_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

__attribute__((format(printf, 1, 2), noreturn, unused)) static void fz_fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("fuzz expectation failed: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    abort();
}

static int fz_rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    if (flag == FTW_DP || flag == FTW_D || flag == FTW_DNR)
        rmdir(path);
    else
        unlink(path);
    return 0;
}

/* rm -rf, never following a link. */
__attribute__((unused)) static void fz_rm_rf(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return;
    if (!S_ISDIR(st.st_mode)) {
        unlink(path);
        return;
    }
    nftw(path, fz_rm_entry, 32, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* Empties `dir` (keeping `dir` itself). */
__attribute__((unused)) static void fz_empty_dir(const char *dir)
{
    fz_rm_rf(dir);
    if (mkdir(dir, 0700) < 0 && errno != EEXIST)
        fz_fail("cannot recreate %s: %s", dir, strerror(errno));
}

static char fz_base[PATH_MAX];

static void fz_cleanup(void)
{
    if (fz_base[0])
        fz_rm_rf(fz_base);
}

/* The target's private folder, made on first call. */
__attribute__((unused)) static const char *fz_tmpdir(const char *target)
{
    if (fz_base[0])
        return fz_base;
    const char *t = getenv("TMPDIR");
    snprintf(fz_base, sizeof fz_base, "%s/fuzz-%s-%d-XXXXXX", t && *t ? t : "/tmp", target, (int)getpid());
    if (!mkdtemp(fz_base))
        fz_fail("mkdtemp %s: %s", fz_base, strerror(errno));
    atexit(fz_cleanup);
    return fz_base;
}

/* Writes (creates or truncates) a file; aborts on failure, which would be
 * the harness's fault, not the code under test's. */
__attribute__((unused)) static void fz_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
    if (fd < 0)
        fz_fail("cannot write %s: %s", path, strerror(errno));
    const char *p = data;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            fz_fail("cannot write %s: %s", path, strerror(errno));
        p += n;
        len -= (size_t)n;
    }
    close(fd);
}

/* Reads a whole small file into a new buffer (NUL-terminated); NULL when
 * it cannot be read. */
__attribute__((unused)) static char *fz_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *b = realloc(buf, cap * 2 + 1);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = n;
    }
    return buf;
}

/* True when buf[0..len) is valid UTF-8 (RFC 3629). */
__attribute__((unused)) static bool fz_valid_utf8(const char *buf, size_t len)
{
    const unsigned char *p = (const unsigned char *)buf;
    size_t i = 0;
    while (i < len) {
        unsigned char c = p[i];
        size_t n;
        unsigned char lo = 0x80, hi = 0xBF;
        if (c < 0x80) {
            i++;
            continue;
        }
        if (c >= 0xC2 && c <= 0xDF) {
            n = 2;
        } else if (c >= 0xE0 && c <= 0xEF) {
            n = 3;
            if (c == 0xE0)
                lo = 0xA0;
            if (c == 0xED)
                hi = 0x9F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            n = 4;
            if (c == 0xF0)
                lo = 0x90;
            if (c == 0xF4)
                hi = 0x8F;
        } else {
            return false;
        }
        if (len - i < n || p[i + 1] < lo || p[i + 1] > hi)
            return false;
        for (size_t k = 2; k < n; k++)
            if (p[i + k] < 0x80 || p[i + k] > 0xBF)
                return false;
        i += n;
    }
    return true;
}

/* True when FUZZ_KNOWN (a comma-separated list) names `tag`: a finding
 * already reported and not fixed yet, so that a long run can look for
 * others.  run.sh never sets it: every check is strict there. */
__attribute__((unused)) static bool fz_known(const char *tag)
{
    const char *k = getenv("FUZZ_KNOWN");
    size_t n = strlen(tag);
    for (const char *p = k; p && *p;) {
        const char *comma = strchr(p, ',');
        size_t len = comma ? (size_t)(comma - p) : strlen(p);
        if (len == n && memcmp(p, tag, n) == 0)
            return true;
        p = comma ? comma + 1 : p + len;
    }
    return false;
}

/* A simple cursor over the fuzz input, for targets that take structure
 * from it.  Reading past the end gives zeros and empty slices. */
struct fz_in {
    const uint8_t *p;
    size_t left;
};

__attribute__((unused)) static uint8_t fz_u8(struct fz_in *in)
{
    if (!in->left)
        return 0;
    in->left--;
    return *in->p++;
}

__attribute__((unused)) static uint16_t fz_u16(struct fz_in *in)
{
    uint16_t hi = fz_u8(in);
    return (uint16_t)(hi << 8 | fz_u8(in));
}

/* Up to `max` bytes; *len gets how many. */
__attribute__((unused)) static const char *fz_bytes(struct fz_in *in, size_t want, size_t *len)
{
    if (want > in->left)
        want = in->left;
    const char *s = (const char *)in->p;
    in->p += want;
    in->left -= want;
    *len = want;
    return s;
}
#endif
