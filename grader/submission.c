#include "submission.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *kind_of(mode_t mode)
{
    if (S_ISDIR(mode))
        return "a directory";
    if (S_ISLNK(mode))
        return "a symbolic link";
    if (S_ISFIFO(mode))
        return "a named pipe";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    return "not a regular file";
}

/* "a.py, notes.txt and 3 more": what the folder holds instead, so the
 * student sees at once that they named the file leaky-app.py. */
/* A name the student chose goes into a message: no control character (an
 * escape sequence, a newline) may ride along (found by fuzzing). */
static void printable_name(char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            *s = '?';
}

static void list_folder(const char *dir, char *out, size_t len)
{
    out[0] = '\0';
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(out, len, "(cannot list it: %s)", strerror(errno));
        return;
    }
    size_t shown = 0, more = 0, used = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue;
        if (shown < 5) {
            /* A student names these files: no control character (an
             * escape sequence, a newline) reaches a message (found by
             * fuzzing). */
            char name[256];
            snprintf(name, sizeof name, "%s", e->d_name);
            printable_name(name);
            int n = snprintf(out + used, len - used, "%s%s", shown ? ", " : "", name);
            if (n < 0 || (size_t)n >= len - used)
                break;
            used += (size_t)n;
            shown++;
        } else {
            more++;
        }
    }
    closedir(d);
    if (shown == 0)
        snprintf(out, len, "nothing");
    else if (more)
        snprintf(out + used, len - used, " and %zu more", more);
}

static int read_source(const char *path, struct submission *sub, char *msg, size_t msglen)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        snprintf(msg, msglen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        snprintf(msg, msglen, "%s changed while it was being read", path);
        return -1;
    }
    if (st.st_size > SUBMISSION_MAX_SOURCE) {
        close(fd);
        snprintf(msg, msglen, "%s is %lld bytes; the limit is %d bytes for one script", path, (long long)st.st_size,
                 SUBMISSION_MAX_SOURCE);
        return 1;
    }
    sub->source = malloc((size_t)st.st_size + 1);
    if (!sub->source) {
        close(fd);
        snprintf(msg, msglen, "out of memory");
        return -1;
    }
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t n = read(fd, sub->source + got, (size_t)st.st_size - got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    sub->source[got] = '\0';
    sub->source_len = got;
    digest_sha256_hex(sub->source, got, sub->sha256);
    return 0;
}

enum submission_status submission_open(const char *path, const char *entry, struct submission *sub, char *msg,
                                       size_t msglen)
{
    memset(sub, 0, sizeof *sub);
    struct stat st;
    if (lstat(path, &st) < 0) {
        snprintf(msg, msglen, "%s: %s", path, strerror(errno));
        return errno == ENOENT || errno == ENOTDIR ? SUBMISSION_NOT_FOUND : SUBMISSION_ERROR;
    }
    char abs[PATH_MAX];
    if (path[0] == '/') {
        snprintf(abs, sizeof abs, "%s", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd)) {
            snprintf(msg, msglen, "cannot read the current directory: %s", strerror(errno));
            return SUBMISSION_ERROR;
        }
        snprintf(abs, sizeof abs, "%s/%s", cwd, path);
    }
    sub->path = strdup(abs);
    if (!sub->path)
        goto oom;

    if (S_ISLNK(st.st_mode)) {
        snprintf(msg, msglen, "expected %s or a folder holding it, but %s is a symbolic link; submit the file itself",
                 entry, path);
        return SUBMISSION_INVALID;
    }
    if (S_ISDIR(st.st_mode)) {
        sub->dir = strdup(abs);
        char entry_path[PATH_MAX];
        snprintf(entry_path, sizeof entry_path, "%s/%s", abs, entry);
        sub->entry_path = strdup(entry_path);
        if (!sub->dir || !sub->entry_path)
            goto oom;
        struct stat est;
        if (lstat(entry_path, &est) < 0) {
            char found[512];
            list_folder(abs, found, sizeof found);
            snprintf(msg, msglen, "expected %s in %s, found %s", entry, path, found);
            return SUBMISSION_INVALID;
        }
        if (!S_ISREG(est.st_mode)) {
            if (S_ISLNK(est.st_mode)) {
                char target[PATH_MAX];
                ssize_t n = readlink(entry_path, target, sizeof target - 1);
                target[n > 0 ? n : 0] = '\0';
                printable_name(target);
                snprintf(msg, msglen,
                         "expected %s to be a regular file, but it is a symbolic link to %s; "
                         "put the script itself in the folder",
                         entry, target);
            } else {
                snprintf(msg, msglen, "expected %s to be a regular file, but it is %s", entry, kind_of(est.st_mode));
            }
            return SUBMISSION_INVALID;
        }
    } else if (S_ISREG(st.st_mode)) {
        sub->entry_path = strdup(abs);
        if (!sub->entry_path)
            goto oom;
    } else {
        snprintf(msg, msglen, "expected %s or a folder holding it, but %s is %s", entry, path, kind_of(st.st_mode));
        return SUBMISSION_INVALID;
    }
    int rc = read_source(sub->entry_path, sub, msg, msglen);
    if (rc > 0)
        return SUBMISSION_INVALID;
    if (rc < 0)
        return SUBMISSION_ERROR;
    return SUBMISSION_OK;
oom:
    snprintf(msg, msglen, "out of memory");
    return SUBMISSION_ERROR;
}

void submission_free(struct submission *sub)
{
    free(sub->path);
    free(sub->dir);
    free(sub->entry_path);
    free(sub->source);
    memset(sub, 0, sizeof *sub);
}
