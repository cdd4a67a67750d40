/* box.c: create, fill and remove the run's work directory.
 *
 * Everything here walks directories through file descriptors (openat,
 * fstatat, mkdirat, unlinkat) with O_NOFOLLOW/AT_SYMLINK_NOFOLLOW, so that a
 * symbolic link in the submission, or one the student planted during the
 * run, is copied or removed as a link and never leads us outside the box
 * (Judge0's CVE-2024-28185/28189 were a root harness following such links).
 * Files are opened O_NONBLOCK first and checked with fstat, so a FIFO swapped
 * in between fstatat and open cannot hang the grader. */
#include "box.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

/* Deeper trees are refused when copying; removal has no depth limit (it
 * keeps one descriptor open whatever the depth) because the student decides
 * the depth of what is removed. */
#define COPY_MAX_DEPTH 64
#define COPY_BUF_SIZE ((size_t)64 * 1024)

struct copy_ctx {
    size_t max_bytes, bytes;
    size_t max_files, files;
    char *buf; /* COPY_BUF_SIZE bytes */
    char *err;
    size_t errlen;
    char src[PATH_MAX];      /* source path of the entry being copied, for messages */
    const char *const *skip; /* names not copied */
};

static bool skipped(const struct copy_ctx *c, const char *name)
{
    for (size_t i = 0; c->skip && c->skip[i]; i++)
        if (strcmp(c->skip[i], name) == 0)
            return true;
    return false;
}

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* Appends "/name" to ctx->src and returns the old length to restore. */
static size_t push_name(struct copy_ctx *c, const char *name)
{
    size_t old = strlen(c->src);
    snprintf(c->src + old, sizeof c->src - old, "/%s", name);
    return old;
}

static int write_all(int fd, const char *p, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

/* Copies the already opened regular file `in` to dirfd/name (created, never
 * followed), counting its bytes against the copy budget. */
static int copy_fd_to(struct copy_ctx *c, int in, const struct stat *st, int dirfd, const char *name)
{
    if ((size_t)st->st_size > c->max_bytes - c->bytes) {
        seterr(c->err, c->errlen, "the submission is larger than the %zu-byte copy limit (at %s)", c->max_bytes,
               c->src);
        return -1;
    }
    mode_t mode = (st->st_mode & S_IXUSR) ? 0755 : 0644;
    int out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (out < 0) {
        seterr(c->err, c->errlen, "cannot create %s in the box: %s", name, strerror(errno));
        return -1;
    }
    for (;;) {
        ssize_t n = read(in, c->buf, COPY_BUF_SIZE);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            seterr(c->err, c->errlen, "cannot read %s: %s", c->src, strerror(errno));
            close(out);
            return -1;
        }
        if (n == 0)
            break;
        /* The file may grow while we copy it: the budget holds anyway. */
        if ((size_t)n > c->max_bytes - c->bytes) {
            seterr(c->err, c->errlen, "the submission is larger than the %zu-byte copy limit (at %s)", c->max_bytes,
                   c->src);
            close(out);
            return -1;
        }
        c->bytes += (size_t)n;
        if (write_all(out, c->buf, (size_t)n) < 0) {
            seterr(c->err, c->errlen, "cannot write %s into the box: %s", name, strerror(errno));
            close(out);
            return -1;
        }
    }
    if (close(out) < 0) {
        seterr(c->err, c->errlen, "cannot write %s into the box: %s", name, strerror(errno));
        return -1;
    }
    return 0;
}

/* Opens a regular file without following a link and without blocking on a
 * FIFO or device, and checks what it is. */
static int open_regular(struct copy_ctx *c, int dirfd, const char *name, struct stat *st)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP)
            seterr(c->err, c->errlen, "%s is a symbolic link; refusing to follow it", c->src);
        else
            seterr(c->err, c->errlen, "cannot open %s: %s", c->src, strerror(errno));
        return -1;
    }
    if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
        seterr(c->err, c->errlen, "%s is not a regular file", c->src);
        close(fd);
        return -1;
    }
    /* Regular files ignore O_NONBLOCK, but clear it anyway for clarity. */
    fcntl(fd, F_SETFL, 0);
    return fd;
}

static int count_entry(struct copy_ctx *c)
{
    if (++c->files > c->max_files) {
        seterr(c->err, c->errlen, "the submission has more than %zu files (at %s)", c->max_files, c->src);
        return -1;
    }
    return 0;
}

// NOLINTNEXTLINE(misc-no-recursion): deeper than COPY_MAX_DEPTH is refused
static int copy_tree(struct copy_ctx *c, int src, int dst, int depth)
{
    int dupfd = fcntl(src, F_DUPFD_CLOEXEC, 0);
    DIR *d = dupfd >= 0 ? fdopendir(dupfd) : NULL;
    if (!d) {
        seterr(c->err, c->errlen, "cannot list %s: %s", c->src, strerror(errno));
        if (dupfd >= 0)
            close(dupfd);
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0) {
        errno = 0;
        de = readdir(d);
        if (!de) {
            if (errno) {
                seterr(c->err, c->errlen, "cannot list %s: %s", c->src, strerror(errno));
                rc = -1;
            }
            break;
        }
        const char *name = de->d_name;
        if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0 || skipped(c, name))
            continue;
        size_t mark = push_name(c, name);
        struct stat st;
        if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            seterr(c->err, c->errlen, "cannot stat %s: %s", c->src, strerror(errno));
            rc = -1;
        } else if (S_ISDIR(st.st_mode)) {
            if (count_entry(c) < 0) {
                rc = -1;
            } else if (depth >= COPY_MAX_DEPTH) {
                seterr(c->err, c->errlen, "the submission is nested deeper than %d directories (at %s)", COPY_MAX_DEPTH,
                       c->src);
                rc = -1;
            } else if (mkdirat(dst, name, 0755) < 0) {
                seterr(c->err, c->errlen, "cannot create directory %s in the box: %s", name, strerror(errno));
                rc = -1;
            } else {
                int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                int t = openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (s < 0 || t < 0) {
                    seterr(c->err, c->errlen, "cannot open directory %s: %s", c->src, strerror(errno));
                    rc = -1;
                } else {
                    rc = copy_tree(c, s, t, depth + 1);
                }
                if (s >= 0)
                    close(s);
                if (t >= 0)
                    close(t);
            }
        } else if (S_ISREG(st.st_mode)) {
            if (count_entry(c) < 0) {
                rc = -1;
            } else {
                struct stat st2;
                int in = open_regular(c, src, name, &st2);
                if (in < 0) {
                    rc = -1;
                } else {
                    rc = copy_fd_to(c, in, &st2, dst, name);
                    close(in);
                }
            }
        } else if (S_ISLNK(st.st_mode)) {
            /* Recreated as a link: inside the box the student may follow it
             * with their own rights; we never do. */
            char target[PATH_MAX];
            ssize_t n = count_entry(c) < 0 ? -2 : readlinkat(src, name, target, sizeof target);
            if (n == -2) {
                rc = -1;
            } else if (n < 0 || (size_t)n >= sizeof target) {
                seterr(c->err, c->errlen, "cannot read symbolic link %s: %s", c->src,
                       n < 0 ? strerror(errno) : "target too long");
                rc = -1;
            } else {
                target[n] = '\0';
                if (symlinkat(target, dst, name) < 0) {
                    seterr(c->err, c->errlen, "cannot create symbolic link %s in the box: %s", name, strerror(errno));
                    rc = -1;
                }
            }
        }
        /* Sockets, FIFOs and devices are skipped: a submission has no use
         * for them and opening one could block or reach outside. */
        c->src[mark] = '\0';
    }
    closedir(d);
    return rc;
}

/* A name in spec->files: relative, made of plain components. */
static bool valid_name(const char *name)
{
    if (!name || !*name || name[0] == '/')
        return false;
    const char *p = name;
    while (*p) {
        size_t n = strcspn(p, "/");
        if (n == 0 || (n == 1 && p[0] == '.') || (n == 2 && p[0] == '.' && p[1] == '.') || n > NAME_MAX)
            return false;
        p += n;
        if (*p == '/')
            p++;
    }
    return p[-1] != '/';
}

/* A spec file given by its content: dirfd/name, created, never followed. */
static int write_content(struct copy_ctx *c, const struct sandbox_file *f, int dirfd, const char *name)
{
    if (f->content_len > c->max_bytes - c->bytes) {
        seterr(c->err, c->errlen, "the submission is larger than the %zu-byte copy limit (at %s)", c->max_bytes,
               f->name);
        return -1;
    }
    int out = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    int rc = out < 0 ? -1 : write_all(out, f->content, f->content_len);
    int e = errno;
    if (out >= 0 && close(out) < 0 && rc == 0) {
        rc = -1;
        e = errno;
    }
    if (rc < 0) {
        seterr(c->err, c->errlen, "cannot write %s into the box: %s", name, strerror(e));
        return -1;
    }
    c->bytes += f->content_len;
    return 0;
}

/* Copies spec file `f` (its source, or its content) to box/f->name,
 * creating missing directories and replacing whatever non-directory
 * copy_dir put there.  The path inside the box is walked component by
 * component with O_NOFOLLOW: the submission may hold a link named like one
 * of our directories. */
static int copy_one_file(struct copy_ctx *c, int boxfd, const struct sandbox_file *f)
{
    snprintf(c->src, sizeof c->src, "%s", f->source ? f->source : f->content ? "(content)" : "(null)");
    if ((!f->source && !f->content) || !valid_name(f->name)) {
        seterr(c->err, c->errlen, "invalid file entry: source %s, name %s", c->src, f->name ? f->name : "(null)");
        return -1;
    }
    struct stat st = {0}; /* open_regular's; a file given by content has none */
    int in = f->source ? open_regular(c, AT_FDCWD, f->source, &st) : -1;
    if (f->source && in < 0)
        return -1;
    if (count_entry(c) < 0) {
        if (in >= 0)
            close(in);
        return -1;
    }
    int dir = fcntl(boxfd, F_DUPFD_CLOEXEC, 0);
    char comp[NAME_MAX + 1];
    const char *p = f->name;
    int rc = -1;
    while (dir >= 0) {
        size_t n = strcspn(p, "/");
        memcpy(comp, p, n);
        comp[n] = '\0';
        p += n;
        if (*p == '\0') {
            struct stat old;
            if (fstatat(dir, comp, &old, AT_SYMLINK_NOFOLLOW) == 0) {
                if (S_ISDIR(old.st_mode)) {
                    seterr(c->err, c->errlen, "cannot copy %s to %s: the submission has a directory there", f->source,
                           f->name);
                    break;
                }
                if (unlinkat(dir, comp, 0) < 0) {
                    seterr(c->err, c->errlen, "cannot replace %s in the box: %s", f->name, strerror(errno));
                    break;
                }
            }
            rc = in >= 0 ? copy_fd_to(c, in, &st, dir, comp) : write_content(c, f, dir, comp);
            break;
        }
        p++;
        if (mkdirat(dir, comp, 0755) < 0 && errno != EEXIST) {
            seterr(c->err, c->errlen, "cannot create directory %s in the box: %s", comp, strerror(errno));
            break;
        }
        int next = openat(dir, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (next < 0) {
            seterr(c->err, c->errlen, "cannot copy %s to %s: %s in the box is not a plain directory", f->source,
                   f->name, comp);
            break;
        }
        close(dir);
        dir = next;
    }
    if (dir >= 0)
        close(dir);
    if (in >= 0)
        close(in);
    return rc;
}

/* Removes everything under the directory `root` (not root itself).  One
 * descriptor at a time: descend into the first subdirectory found, and when
 * a directory is empty climb back through ".." and remove it by inode.  The
 * depth is the student's choice, so no recursion and no descriptor per
 * level.  Every run process is dead by now, so nothing renames under us. */
static int empty_tree(int root, char *err, size_t errlen)
{
    int cur = fcntl(root, F_DUPFD_CLOEXEC, 0);
    if (cur < 0) {
        seterr(err, errlen, "cannot remove the box: %s", strerror(errno));
        return -1;
    }
    long depth = 0;
    int rc = 0;
    for (;;) {
        /* A student may have removed our write or search permission. */
        fchmod(cur, 0700);
        char sub[NAME_MAX + 1] = "";
        int d2 = fcntl(cur, F_DUPFD_CLOEXEC, 0);
        DIR *d = d2 >= 0 ? fdopendir(d2) : NULL;
        if (d)
            rewinddir(d); /* a dup shares the offset a previous scan left at the end */
        if (!d) {
            seterr(err, errlen, "cannot list a directory in the box: %s", strerror(errno));
            if (d2 >= 0)
                close(d2);
            rc = -1;
            break;
        }
        struct dirent *de;
        while ((de = readdir(d)) != NULL) {
            if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                continue;
            bool isdir = de->d_type == DT_DIR;
            if (de->d_type == DT_UNKNOWN) {
                struct stat st;
                isdir = fstatat(cur, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISDIR(st.st_mode);
            }
            if (isdir) {
                if (!sub[0])
                    snprintf(sub, sizeof sub, "%s", de->d_name);
                continue;
            }
            if (unlinkat(cur, de->d_name, 0) < 0 && errno != ENOENT) {
                seterr(err, errlen, "cannot remove %s from the box: %s", de->d_name, strerror(errno));
                rc = -1;
                break;
            }
        }
        closedir(d);
        if (rc < 0)
            break;
        if (sub[0]) {
            int child = openat(cur, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (child < 0 && errno == EACCES) {
                /* Mode 000 directory of ours: it is a directory (checked
                 * above) and nobody can swap it now, so chmod by name. */
                fchmodat(cur, sub, 0700, 0);
                child = openat(cur, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            }
            if (child < 0) {
                seterr(err, errlen, "cannot enter %s in the box: %s", sub, strerror(errno));
                rc = -1;
                break;
            }
            close(cur);
            cur = child;
            depth++;
            continue;
        }
        if (depth == 0)
            break;
        struct stat me;
        int parent = fstat(cur, &me) == 0 ? openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
        if (parent < 0) {
            seterr(err, errlen, "cannot climb back in the box: %s", strerror(errno));
            rc = -1;
            break;
        }
        close(cur);
        cur = parent;
        depth--;
        /* Find our name in the parent by inode, then remove it. */
        int p2 = fcntl(cur, F_DUPFD_CLOEXEC, 0);
        DIR *pd = p2 >= 0 ? fdopendir(p2) : NULL;
        bool removed = false;
        if (pd) {
            rewinddir(pd);
            while ((de = readdir(pd)) != NULL) {
                if (de->d_ino != me.st_ino || strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
                    continue;
                struct stat st;
                if (fstatat(cur, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == me.st_ino &&
                    st.st_dev == me.st_dev) {
                    removed = unlinkat(cur, de->d_name, AT_REMOVEDIR) == 0;
                    if (!removed)
                        seterr(err, errlen, "cannot remove directory %s from the box: %s", de->d_name, strerror(errno));
                    break;
                }
            }
            closedir(pd);
        } else if (p2 >= 0) {
            close(p2);
        }
        if (!removed) {
            if (!err[0])
                seterr(err, errlen, "cannot remove a directory from the box");
            rc = -1;
            break;
        }
    }
    close(cur);
    return rc;
}

/* Splits box->path into its parent directory and base name. */
static int split_path(const char *path, char *parent, size_t plen, const char **base)
{
    const char *slash = strrchr(path, '/');
    if (!slash || slash[1] == '\0')
        return -1;
    size_t n = slash == path ? 1 : (size_t)(slash - path);
    if (n >= plen)
        return -1;
    memcpy(parent, path, n);
    parent[n] = '\0';
    *base = slash + 1;
    return 0;
}

int sb_box_remove(struct sb_box *box, char *err, size_t errlen)
{
    if (!box->path[0])
        return 0;
    char parent[PATH_MAX];
    const char *base;
    if (split_path(box->path, parent, sizeof parent, &base) < 0) {
        seterr(err, errlen, "bad box path %s", box->path);
        return -1;
    }
    int pfd = open(parent, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (pfd < 0) {
        seterr(err, errlen, "cannot open %s to remove the box: %s", parent, strerror(errno));
        return -1;
    }
    int rc = 0;
    int bfd = openat(pfd, base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (bfd < 0) {
        if (errno != ENOENT) {
            seterr(err, errlen, "cannot open the box %s: %s", box->path, strerror(errno));
            rc = -1;
        }
    } else {
        rc = empty_tree(bfd, err, errlen);
        close(bfd);
        if (rc == 0 && unlinkat(pfd, base, AT_REMOVEDIR) < 0) {
            seterr(err, errlen, "cannot remove the box %s: %s", box->path, strerror(errno));
            rc = -1;
        }
    }
    close(pfd);
    if (rc == 0)
        box->path[0] = '\0';
    return rc;
}

/* The box was filled by us a moment ago and no run has touched it yet, so
 * its depth is at most COPY_MAX_DEPTH: plain recursion is fine. */
// NOLINTNEXTLINE(misc-no-recursion): depth stops at COPY_MAX_DEPTH + 1
static int give_tree(int dir, uid_t uid, gid_t gid, int depth)
{
    if (fchown(dir, uid, gid) < 0)
        return -1;
    int d2 = fcntl(dir, F_DUPFD_CLOEXEC, 0);
    DIR *d = d2 >= 0 ? fdopendir(d2) : NULL;
    if (!d) {
        if (d2 >= 0)
            close(d2);
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        struct stat st;
        // NOLINTNEXTLINE(bugprone-branch-clone): two different failures, one outcome
        if (fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = -1;
        } else if (S_ISDIR(st.st_mode) && depth < COPY_MAX_DEPTH + 1) {
            int sub = openat(dir, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            rc = sub < 0 ? -1 : give_tree(sub, uid, gid, depth + 1);
            if (sub >= 0)
                close(sub);
        } else if (fchownat(dir, de->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0) {
            rc = -1;
        }
    }
    closedir(d);
    return rc;
}

int sb_box_give(const struct sb_box *box, uid_t uid, gid_t gid, char *err, size_t errlen)
{
    int fd = open(box->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int rc = fd < 0 ? -1 : give_tree(fd, uid, gid, 0);
    if (rc < 0)
        seterr(err, errlen, "cannot give the box %s to uid %u: %s", box->path, (unsigned)uid, strerror(errno));
    if (fd >= 0)
        close(fd);
    return rc;
}

/* Boxes of graders that are gone, beneath `dir`: removed as any box is,
 * never following a link. */
static void sweep_dir(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        /* strtol, not sscanf's %d, which is undefined when the number
         * overflows, and anyone can name a folder here. */
        long pid = strncmp(de->d_name, "grader-box-", 11) == 0 ? strtol(de->d_name + 11, NULL, 10) : 0;
        if (pid <= 0 || pid > INT_MAX || pid == getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        struct sb_box stale;
        if ((size_t)snprintf(stale.path, sizeof stale.path, "%s/%s", dir, de->d_name) < sizeof stale.path) {
            char ignored[256] = "";
            sb_box_remove(&stale, ignored, sizeof ignored);
        }
    }
    closedir(d);
}

/* $TMPDIR, or /tmp when it is unset, relative or oversized (the box path
 * would depend on the cwd or get cut), without trailing slashes. */
static void tmp_dir(char *out, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || tmp[0] != '/' || strlen(tmp) > PATH_MAX - 64)
        tmp = "/tmp";
    size_t tl = strlen(tmp);
    while (tl > 1 && tmp[tl - 1] == '/')
        tl--;
    snprintf(out, len, "%.*s", (int)tl, tmp);
}

#define STAGING_DIR "/dev/shm"
#define STAGING_MIN_FREE ((unsigned long long)1 << 30)

static bool is_tmpfs(const char *dir)
{
    struct statfs fs;
    return statfs(dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

/* Which file systems /tmp and /dev/shm are does not change while a grader
 * runs: looked at once.  Their free space does, and is looked at each time. */
static bool tmp_is_tmpfs, shm_is_tmpfs;
static pthread_once_t tmp_dirs_once = PTHREAD_ONCE_INIT;

static void look_at_tmp_dirs(void)
{
    tmp_is_tmpfs = is_tmpfs("/tmp");
    shm_is_tmpfs = is_tmpfs(STAGING_DIR);
}

/* Docker gives containers a 64 MiB /dev/shm: a few staging boxes of the
 * 64 MiB copy limit would fill it, so a small one is not used. */
static bool staging_usable(void)
{
    pthread_once(&tmp_dirs_once, look_at_tmp_dirs);
    struct statvfs vfs;
    return !tmp_is_tmpfs && shm_is_tmpfs && access(STAGING_DIR, W_OK | X_OK) == 0 && statvfs(STAGING_DIR, &vfs) == 0 &&
           (unsigned long long)vfs.f_bavail * (unsigned long long)vfs.f_frsize >= STAGING_MIN_FREE;
}

void sb_box_parent(bool staging, char *out, size_t len)
{
    const char *set = getenv("TMPDIR");
    if (staging && !(set && set[0] == '/') && staging_usable())
        snprintf(out, len, "%s", STAGING_DIR);
    else
        tmp_dir(out, len);
}

void sb_box_sweep_stale(void)
{
    static atomic_flag done = ATOMIC_FLAG_INIT;
    if (atomic_flag_test_and_set(&done))
        return;
    char dir[PATH_MAX];
    tmp_dir(dir, sizeof dir);
    sweep_dir(dir);
    if (strcmp(dir, STAGING_DIR) != 0)
        sweep_dir(STAGING_DIR);
}

int sb_box_create(struct sb_box *box, const struct sandbox_spec *spec, bool staging, char *err, size_t errlen)
{
    box->path[0] = '\0';
    char dir[PATH_MAX];
    sb_box_parent(staging, dir, sizeof dir);
    char tmpl[PATH_MAX];
    /* The pid in the name lets a later grader remove the boxes of one that
     * was killed (SIGKILL leaves it no chance to). */
    snprintf(tmpl, sizeof tmpl, "%s/grader-box-%d-XXXXXX", dir, (int)getpid());
    if (!mkdtemp(tmpl)) {
        seterr(err, errlen, "cannot create the box under %s: %s", dir, strerror(errno));
        return -1;
    }
    snprintf(box->path, sizeof box->path, "%s", tmpl);

    struct copy_ctx c = {
        .max_bytes = spec->copy_max_bytes ? spec->copy_max_bytes : SB_BOX_DEFAULT_MAX_BYTES,
        .max_files = spec->copy_max_files ? spec->copy_max_files : SB_BOX_DEFAULT_MAX_FILES,
        .skip = spec->copy_skip,
        .err = err,
        .errlen = errlen,
    };
    int rc = -1;
    int boxfd = open(box->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    c.buf = malloc(COPY_BUF_SIZE);
    if (boxfd < 0 || !c.buf) {
        seterr(err, errlen, "cannot open the box %s: %s", box->path, boxfd < 0 ? strerror(errno) : "out of memory");
        goto out;
    }
    if (spec->copy_dir) {
        snprintf(c.src, sizeof c.src, "%s", spec->copy_dir);
        int src = open(spec->copy_dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (src < 0) {
            /* O_DIRECTORY is checked first: a link gives ENOTDIR, not ELOOP. */
            int e = errno;
            struct stat lst;
            bool link = e == ELOOP || (e == ENOTDIR && lstat(spec->copy_dir, &lst) == 0 && S_ISLNK(lst.st_mode));
            seterr(err, errlen, "cannot open the directory %s: %s", spec->copy_dir,
                   link ? "it is a symbolic link; refusing to follow it" : strerror(e));
            goto out;
        }
        int crc = copy_tree(&c, src, boxfd, 0);
        close(src);
        if (crc < 0)
            goto out;
    }
    for (size_t i = 0; i < spec->nfiles; i++)
        if (copy_one_file(&c, boxfd, &spec->files[i]) < 0)
            goto out;
    rc = 0;
out:
    free(c.buf);
    if (boxfd >= 0)
        close(boxfd);
    if (rc < 0) {
        char ignored[128] = "";
        sb_box_remove(box, ignored, sizeof ignored);
        box->path[0] = '\0';
    }
    return rc;
}
