/* root.c: plan and build the run's minimal root (see root.h).
 *
 * The build follows bubblewrap and nsjail: a fresh tmpfs, read-only binds
 * of what the program needs, private /dev, /tmp and /proc, then
 * pivot_root(".", ".") and a lazy unmount of the old root, so that no path
 * and no mount leads back to the host (a chroot alone is escapable by
 * anything that keeps a descriptor or a capability).
 *
 * The tmpfs is mounted over the box's own path: that hides nothing the
 * run needs (we copy the box through a descriptor opened first), keeps
 * every other host path visible by name while we bind from it, and gives
 * each concurrent run its own mount point. */
#include "root.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "layers.h"

#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef SYS_pivot_root
#define SYS_pivot_root 155
#endif
#define SB_AT_RECURSIVE 0x8000
#define SB_MOUNT_ATTR_RDONLY 0x1
#define SB_MOUNT_ATTR_NOSUID 0x2
#define SB_MOUNT_ATTR_NODEV 0x4

struct sb_mount_attr {
    // cppcheck-suppress unusedStructMember ; the kernel reads them all
    uint64_t attr_set, attr_clr, propagation, userns_fd;
};

#define COPY_MAX_DEPTH 64

const char *sb_root_step_name(int step)
{
    static const char *const names[SB_ROOT_STEP_COUNT] = {
        [SB_ROOT_STEP_NONE] = "setup",
        [SB_ROOT_STEP_OPEN_BOX] = "opening the box",
        [SB_ROOT_STEP_BASE] = "mounting the root tmpfs",
        [SB_ROOT_STEP_SYSTEM] = "binding /usr and the system directories",
        [SB_ROOT_STEP_ETC] = "filling /etc",
        [SB_ROOT_STEP_DEV] = "building /dev",
        [SB_ROOT_STEP_TMP] = "mounting /tmp",
        [SB_ROOT_STEP_RO] = "binding a read-only path",
        [SB_ROOT_STEP_HIDE] = "covering a hidden directory",
        [SB_ROOT_STEP_WORK] = "mounting the work directory",
        [SB_ROOT_STEP_COPY] = "copying the box",
        [SB_ROOT_STEP_PIVOT] = "pivot_root",
        [SB_ROOT_STEP_DETACH] = "detaching the old root",
        [SB_ROOT_STEP_LANDLOCK] = "adding Landlock rules",
    };
    return step >= 0 && step < SB_ROOT_STEP_COUNT && names[step] ? names[step] : "setup";
}

/* ---- planning (supervisor) ----------------------------------------------- */

/* Trees the root always has, or must never show. */
static const char *const system_trees[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"};
static const char *const hidden_trees[] = {"/etc", "/proc", "/sys", "/dev", "/run", "/boot", "/var/run"};

static bool beneath(const char *path, const char *dir)
{
    size_t n = strlen(dir);
    return strncmp(path, dir, n) == 0 && (path[n] == '/' || path[n] == '\0');
}

static bool in_list(const char *path, const char *const *list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (beneath(path, list[i]))
            return true;
    return false;
}

/* Lexically clean absolute path: no "//", "/./", "/../", no trailing "/". */
static bool clean_path(const char *p)
{
    if (p[0] != '/' || strstr(p, "//") || strstr(p, "/./") || strstr(p, "/../"))
        return false;
    size_t n = strlen(p);
    if (n > 1 && p[n - 1] == '/')
        return false;
    if ((n >= 2 && strcmp(p + n - 2, "/.") == 0) || (n >= 3 && strcmp(p + n - 3, "/..") == 0))
        return false;
    return true;
}

/* Searchable by "others" along `path` from `from` (a prefix of it, whose
 * own components are not checked) downwards; the last component readable,
 * and executable when `exec`. */
static bool others_may_use(const char *path, size_t from, bool exec)
{
    char buf[PATH_MAX];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return false;
    memcpy(buf, path, n + 1);
    for (size_t i = from + 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char save = buf[i];
        buf[i] = '\0';
        struct stat st;
        bool last = i == n;
        if (stat(buf, &st) < 0)
            return false;
        if (!last && !(st.st_mode & S_IXOTH))
            return false;
        if (last) {
            if (S_ISDIR(st.st_mode) && (st.st_mode & (S_IROTH | S_IXOTH)) != (S_IROTH | S_IXOTH))
                return false;
            if (!S_ISDIR(st.st_mode) && !(st.st_mode & S_IROTH))
                return false;
            if (exec && !(st.st_mode & S_IXOTH))
                return false;
        }
        buf[i] = save;
    }
    return true;
}

bool sb_root_host_usable(const char *path, uid_t uid, gid_t gid, bool exec)
{
    (void)uid;
    (void)gid; /* not the owner, in no group: the "other" bits decide */
    return path[0] == '/' && others_may_use(path, 0, exec);
}

static bool dir_only(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static int add_ro(struct sb_root *root, const char *dst, const char *box, char *err, size_t errlen, bool strict)
{
    char real[PATH_MAX];
    if (!clean_path(dst) || !realpath(dst, real)) {
        if (strict)
            snprintf(err, errlen, "read-only path %s: %s", dst,
                     clean_path(dst) ? strerror(errno) : "not a clean absolute path");
        return strict ? -1 : 0;
    }
    /* Already in the root, never to be shown, or too broad: "/", "/home",
     * "/tmp" would bring in other users' and other runs' files. */
    if (in_list(real, system_trees, sizeof system_trees / sizeof *system_trees) ||
        in_list(dst, system_trees, sizeof system_trees / sizeof *system_trees))
        return 0;
    bool refused = in_list(real, hidden_trees, sizeof hidden_trees / sizeof *hidden_trees) ||
                   in_list(dst, hidden_trees, sizeof hidden_trees / sizeof *hidden_trees) ||
                   (dir_only(real) && (strchr(real + 1, '/') == NULL || strchr(dst + 1, '/') == NULL)) ||
                   beneath(box, real) || beneath(real, box) || strstr(real, "/grader-box-") ||
                   strstr(dst, "/grader-box-");
    if (refused) {
        if (strict)
            snprintf(err, errlen, "read-only path %s: refused (a system directory, too broad, or a sandbox's box)",
                     dst);
        return strict ? -1 : 0;
    }
    for (int i = 0; i < root->nro; i++) {
        if (beneath(dst, root->ro[i]))
            return 0;                    /* already visible through an enclosing bind */
        if (beneath(root->ro[i], dst)) { /* the new one encloses it */
            memmove(root->ro[i], root->ro[root->nro - 1], sizeof root->ro[i]);
            root->nro--;
            i--;
        }
    }
    if (root->nro >= SB_ROOT_MAX_RO || strlen(dst) >= sizeof root->ro[0]) {
        snprintf(err, errlen, "too many read-only paths (at most %d)", SB_ROOT_MAX_RO);
        return -1;
    }
    snprintf(root->ro[root->nro++], sizeof root->ro[0], "%s", dst);
    return 0;
}

int sb_root_plan(struct sb_root *root, const char *box, const char *const *argv, const char *const *extra,
                 size_t tmp_bytes, size_t work_bytes, size_t work_files, uid_t uid, gid_t gid, bool *uid_usable,
                 char *err, size_t errlen)
{
    /* Not a memset: the paths are 56 KiB, every page of which it would
     * touch; only the counts say which entries hold anything. */
    root->nro = root->nhide = 0;
    if (strlen(box) >= sizeof root->box || box[0] != '/') {
        snprintf(err, errlen, "the box path is too long");
        return -1;
    }
    snprintf(root->box, sizeof root->box, "%s", box);
    root->uid = uid;
    root->gid = gid;
    snprintf(root->tmp_opts, sizeof root->tmp_opts, "size=%zu,nr_inodes=4096,mode=1777", tmp_bytes);
    snprintf(root->work_opts, sizeof root->work_opts, "size=%zu,nr_inodes=%zu,mode=0700,uid=%u,gid=%u", work_bytes,
             work_files, (unsigned)uid, (unsigned)gid);
    if (uid)
        snprintf(root->passwd, sizeof root->passwd, "root:x:0:0:root:/root:/bin/sh\nsandbox:x:%u:%u::/tmp:/bin/sh\n",
                 (unsigned)uid, (unsigned)gid);
    else
        snprintf(root->passwd, sizeof root->passwd, "root:x:0:0:root:/tmp:/bin/sh\n");
    if (gid)
        snprintf(root->group, sizeof root->group, "root:x:0:\nsandbox:x:%u:\n", (unsigned)gid);
    else
        snprintf(root->group, sizeof root->group, "root:x:0:\n");

    /* argv[0]: its installation prefix (the directory above bin/), so an
     * interpreter finds its standard library; else its directory. */
    char dir[PATH_MAX];
    for (size_t i = 0; argv[i]; i++) {
        const char *a = argv[i];
        struct stat st;
        if (a[0] != '/' || strlen(a) >= sizeof dir || stat(a, &st) < 0)
            continue;
        snprintf(dir, sizeof dir, "%s", a);
        size_t len = strlen(dir);
        while (len > 1 && dir[len - 1] == '/')
            dir[--len] = '\0';
        if (!S_ISDIR(st.st_mode)) {
            char *slash = strrchr(dir, '/');
            /* A file directly in a top-level directory (/tmp/x.py): the
             * file alone, not the whole of /tmp. */
            if (slash == dir || strchr(dir + 1, '/') == slash) {
                if (add_ro(root, dir, box, err, errlen, false) < 0)
                    return -1;
                continue;
            }
            *slash = '\0';
            len = (size_t)(slash - dir);
            if (i == 0 && len > 4 && strcmp(dir + len - 4, "/bin") == 0)
                dir[len - 4] = '\0';
        }
        if (dir[0] && add_ro(root, dir, box, err, errlen, false) < 0)
            return -1;
    }
    for (size_t i = 0; extra && extra[i]; i++)
        if (add_ro(root, extra[i], box, err, errlen, true) < 0)
            return -1;

    /* Only the program must be usable by the run's uid: a path argv names
     * that the uid cannot read stays unreadable, as on the host.  Inside
     * the root the directories above a bind are ours (0755), so the check
     * starts at the bind. */
    const char *exe = argv[0];
    if (!exe) {
        *uid_usable = false;
        return 0;
    }
    size_t from = 0;
    for (int i = 0; i < root->nro; i++)
        if (beneath(exe, root->ro[i]))
            from = strrchr(root->ro[i], '/') - root->ro[i];
    bool ok = others_may_use(exe, from, true);
    *uid_usable = ok;
    return 0;
}

int sb_root_plan_hide(struct sb_root *root, const char *const *hide, char *err, size_t errlen)
{
    root->nhide = 0;
    if (!hide || !hide[0])
        return 0;
    /* Each read-only path resolved once, not once per hidden path: "" where
     * it does not resolve. */
    char ro_real[SB_ROOT_MAX_RO][PATH_MAX];
    const int nro = root->nro < SB_ROOT_MAX_RO ? root->nro : SB_ROOT_MAX_RO;
    for (int k = 0; k < nro; k++)
        if (!realpath(root->ro[k], ro_real[k]))
            ro_real[k][0] = '\0';
    for (size_t i = 0; hide[i]; i++) {
        char real[PATH_MAX];
        struct stat st;
        if (!clean_path(hide[i])) {
            snprintf(err, errlen, "hidden path %s: not a clean absolute path", hide[i]);
            return -1;
        }
        if (!realpath(hide[i], real) || stat(real, &st) < 0 || !S_ISDIR(st.st_mode) || strcmp(real, "/") == 0)
            continue;
        /* Its path inside the root: the same beneath /usr; beneath a
         * read-only path, that path as bound (it may name a symbolic link
         * on the host) followed by the rest. */
        char target[PATH_MAX];
        target[0] = '\0';
        if (beneath(real, "/usr") && strcmp(real, "/usr") != 0)
            snprintf(target, sizeof target, "%s", real);
        for (int k = 0; !target[0] && k < nro; k++) {
            if (!ro_real[k][0] || !beneath(real, ro_real[k]))
                continue;
            size_t n = strlen(ro_real[k]);
            if ((size_t)snprintf(target, sizeof target, "%s%s", root->ro[k], real + (n == 1 ? 0 : n)) >= sizeof target)
                target[0] = '\0';
        }
        if (!target[0])
            continue;
        /* One inside another: only the outer one is mounted over (the inner
         * would no longer exist to mount on). */
        bool covered = false;
        for (int k = 0; k < root->nhide && !covered; k++) {
            if (beneath(target, root->hide[k])) {
                covered = true;
            } else if (beneath(root->hide[k], target)) {
                memmove(root->hide[k], root->hide[root->nhide - 1], sizeof root->hide[k]);
                root->nhide--;
                k--;
            }
        }
        if (covered)
            continue;
        if (root->nhide >= SB_ROOT_MAX_HIDE || strlen(target) >= sizeof root->hide[0]) {
            snprintf(err, errlen, "too many hidden paths (at most %d)", SB_ROOT_MAX_HIDE);
            return -1;
        }
        snprintf(root->hide[root->nhide++], sizeof root->hide[0], "%s", target);
    }
    return 0;
}

/* ---- building (init; system calls only) ---------------------------------- */

/* dst = a + b, or -1 when it does not fit. */
static int join(char *dst, size_t cap, const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la + lb + 1 > cap)
        return -1;
    memcpy(dst, a, la); // NOLINT(bugprone-not-null-terminated-result): the next copy ends it
    memcpy(dst + la, b, lb + 1);
    return 0;
}

/* mkdir -p below `base` (which exists); every new directory gets `mode`. */
static int make_path_below(const char *full, size_t base_len, mode_t mode)
{
    char buf[2 * SB_ROOT_PATH];
    size_t n = strlen(full);
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, full, n + 1);
    for (size_t i = base_len + 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        buf[i] = '\0';
        if (mkdir(buf, mode) < 0 && errno != EEXIST)
            return -1;
        buf[i] = i == n ? '\0' : '/';
    }
    return 0;
}

static int touch(const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0444);
    if (fd < 0)
        return -1;
    close(fd);
    return 0;
}

static int write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t n = strlen(text);
    ssize_t w = write(fd, text, n);
    int e = errno;
    close(fd);
    if (w != (ssize_t)n) {
        errno = w < 0 ? e : EIO;
        return -1;
    }
    return 0;
}

int sb_bind_readonly(const char *src, const char *target, bool recursive)
{
    if (mount(src, target, NULL, MS_BIND | (recursive ? MS_REC : 0), NULL) < 0)
        return -1;
    /* mount_setattr (5.12) makes every submount read-only too and never
     * clears a flag, so the flags locked in a user namespace stay put. */
    struct sb_mount_attr attr = {.attr_set = SB_MOUNT_ATTR_RDONLY | SB_MOUNT_ATTR_NOSUID | SB_MOUNT_ATTR_NODEV};
    if (syscall(SYS_mount_setattr, AT_FDCWD, target, recursive ? SB_AT_RECURSIVE : 0, &attr, sizeof attr) == 0)
        return 0;
    /* Older kernels: a remount, carrying the source's locked flags. */
    struct statfs sf;
    unsigned long keep = 0;
    if (statfs(target, &sf) == 0)
        keep = (unsigned long)sf.f_flags & (ST_NOEXEC | ST_NOATIME | ST_NODIRATIME | ST_RELATIME);
    return mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | keep, NULL);
}

/* The same symbolic link at dst as at host. */
static int copy_link(const char *host, const char *dst)
{
    char target[SB_ROOT_PATH];
    ssize_t n = readlink(host, target, sizeof target - 1);
    if (n < 0)
        return -1;
    target[n] = '\0';
    return symlink(target, dst);
}

/* A host entry of the root's top level (/bin, /lib64...): the same symlink,
 * or a read-only bind of the directory; absent is fine. */
static int mirror_top(const char *R, const char *name)
{
    char host[64], dst[2 * SB_ROOT_PATH];
    if (join(host, sizeof host, "/", name) < 0 || join(dst, sizeof dst, R, host) < 0)
        return -1;
    struct stat st;
    if (lstat(host, &st) < 0)
        return 0;
    if (S_ISLNK(st.st_mode))
        return copy_link(host, dst);
    if (!S_ISDIR(st.st_mode))
        return 0;
    if (mkdir(dst, 0755) < 0)
        return -1;
    return sb_bind_readonly(host, dst, true);
}

/* A host file bound read-only at the same path (created empty first);
 * absent or not a regular file: skipped.  A symlink is recreated. */
static int mirror_file(const char *R, const char *host)
{
    char dst[2 * SB_ROOT_PATH];
    if (join(dst, sizeof dst, R, host) < 0)
        return -1;
    struct stat st;
    if (lstat(host, &st) < 0)
        return 0;
    if (S_ISLNK(st.st_mode))
        return copy_link(host, dst);
    if (!S_ISREG(st.st_mode))
        return 0;
    if (touch(dst) < 0)
        return -1;
    return sb_bind_readonly(host, dst, false);
}

static int build_dev(const char *R)
{
    char dev[2 * SB_ROOT_PATH], p[2 * SB_ROOT_PATH];
    if (join(dev, sizeof dev, R, "/dev") < 0 || mkdir(dev, 0755) < 0)
        return -1;
    if (mount("tmpfs", dev, "tmpfs", MS_NOSUID | MS_NOEXEC, "size=65536,nr_inodes=64,mode=0755") < 0)
        return -1;
    /* No mknod in a user namespace: bind the host's nodes onto empty files
     * (bubblewrap's --dev).  Their mounts keep "dev", the tmpfs has none. */
    static const char *const nodes[] = {"null", "zero", "full", "random", "urandom"};
    for (size_t i = 0; i < sizeof nodes / sizeof *nodes; i++) {
        char host[32];
        struct stat st;
        if (join(host, sizeof host, "/dev/", nodes[i]) < 0 || stat(host, &st) < 0 || !S_ISCHR(st.st_mode))
            continue;
        if (join(p, sizeof p, dev, host + 4) < 0 || touch(p) < 0)
            return -1;
        if (mount(host, p, NULL, MS_BIND, NULL) < 0)
            return -1;
    }
    static const char *const links[][2] = {{"/fd", "/proc/self/fd"},
                                           {"/stdin", "/proc/self/fd/0"},
                                           {"/stdout", "/proc/self/fd/1"},
                                           {"/stderr", "/proc/self/fd/2"}};
    for (size_t i = 0; i < sizeof links / sizeof *links; i++)
        if (join(p, sizeof p, dev, links[i][0]) < 0 || symlink(links[i][1], p) < 0)
            return -1;
    /* POSIX semaphores and shared memory (multiprocessing) live here. */
    if (join(p, sizeof p, dev, "/shm") < 0 || mkdir(p, 01777) < 0 ||
        mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16777216,nr_inodes=1024,mode=1777") < 0)
        return -1;
    return mount(NULL, dev, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NOEXEC, NULL);
}

/* The kernel's layout: d_ino, d_off and d_type are never read here. */
struct dirent64 {
    uint64_t d_ino; // cppcheck-suppress unusedStructMember
    int64_t d_off;  // cppcheck-suppress unusedStructMember
    unsigned short d_reclen;
    unsigned char d_type; // cppcheck-suppress unusedStructMember
    char d_name[];
};

/* A process-private buffer: the init is a copy of the grader (no
 * CLONE_VM), so static memory here is not shared with any thread. */
static char copy_buf[64 * 1024];

static int copy_file(int in, int out, off_t size)
{
    off_t left = size;
    while (left > 0) {
        ssize_t n = sendfile(out, in, NULL, (size_t)(left > (1 << 30) ? (1 << 30) : left));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EINVAL || errno == ENOSYS))
            break;
        if (n <= 0)
            return n < 0 ? -1 : 0;
        left -= n;
    }
    for (;;) { /* sendfile refused, or the file grew: plain copy */
        ssize_t r = read(in, copy_buf, sizeof copy_buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return r < 0 ? -1 : 0;
        for (ssize_t off = 0; off < r;) {
            ssize_t w = write(out, copy_buf + off, (size_t)(r - off));
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return -1;
            off += w;
        }
    }
}

/* Copies the directory `src` into `dst`, owned by uid/gid.  The box was
 * filled by the supervisor a moment ago and nobody else can write it, but
 * links are still copied as links and never followed. */
// NOLINTNEXTLINE(misc-no-recursion): depth stops at COPY_MAX_DEPTH
static int copy_tree(int src, int dst, uid_t uid, gid_t gid, int depth)
{
    if (depth > COPY_MAX_DEPTH) {
        errno = ELOOP;
        return -1;
    }
    char buf[4096] __attribute__((aligned(8)));
    for (;;) {
        long n = syscall(SYS_getdents64, src, buf, sizeof buf);
        if (n < 0)
            return -1;
        if (n == 0)
            return 0;
        for (long off = 0; off < n;) {
            struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);
            off += d->d_reclen;
            const char *name = d->d_name;
            if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
                continue;
            struct stat st;
            if (fstatat(src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
                return -1;
            if (S_ISDIR(st.st_mode)) {
                if (mkdirat(dst, name, (st.st_mode & 0777) | 0700) < 0)
                    return -1;
                int s = openat(src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                int d2 = s < 0 ? -1 : openat(dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                int rc = d2 < 0 || fchown(d2, uid, gid) < 0 ? -1 : copy_tree(s, d2, uid, gid, depth + 1);
                int e = errno;
                if (s >= 0)
                    close(s);
                if (d2 >= 0)
                    close(d2);
                if (rc < 0) {
                    errno = e;
                    return -1;
                }
            } else if (S_ISREG(st.st_mode)) {
                int in = openat(src, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
                int out = in < 0 ? -1
                                 : openat(dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                          (st.st_mode & 0777) | 0600);
                int rc = out < 0 || copy_file(in, out, st.st_size) < 0 || fchown(out, uid, gid) < 0 ? -1 : 0;
                int e = errno;
                if (in >= 0)
                    close(in);
                if (out >= 0)
                    close(out);
                if (rc < 0) {
                    errno = e;
                    return -1;
                }
            } else if (S_ISLNK(st.st_mode)) {
                char target[SB_ROOT_PATH];
                ssize_t len = readlinkat(src, name, target, sizeof target - 1);
                if (len < 0)
                    return -1;
                target[len] = '\0';
                if (symlinkat(target, dst, name) < 0 || fchownat(dst, name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
                    return -1;
            }
            /* FIFOs, sockets, devices: box.c never creates them. */
        }
    }
}

int sb_root_build(const struct sb_root *root, bool new_proc, int landlock_fd, int landlock_abi, bool *proc, int *err)
{
    const char *R = root->box;
    char p[2 * SB_ROOT_PATH];
    int step = SB_ROOT_STEP_OPEN_BOX;
    bool mounted = false;
    *proc = false;

    int boxfd = open(R, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (boxfd < 0)
        goto fail;

    step = SB_ROOT_STEP_BASE;
    if (mount("tmpfs", R, "tmpfs", MS_NOSUID | MS_NODEV, "size=1048576,nr_inodes=4096,mode=0755") < 0)
        goto fail;
    mounted = true;

    step = SB_ROOT_STEP_SYSTEM;
    if (join(p, sizeof p, R, "/usr") < 0 || mkdir(p, 0755) < 0 || sb_bind_readonly("/usr", p, true) < 0)
        goto fail;
    static const char *const tops[] = {"bin", "sbin", "lib", "lib32", "lib64", "libx32"};
    for (size_t i = 0; i < sizeof tops / sizeof *tops; i++)
        if (mirror_top(R, tops[i]) < 0)
            goto fail;

    step = SB_ROOT_STEP_ETC;
    if (join(p, sizeof p, R, "/etc") < 0 || mkdir(p, 0755) < 0)
        goto fail;
    if (join(p, sizeof p, R, "/etc/passwd") < 0 || write_text(p, root->passwd) < 0)
        goto fail;
    if (join(p, sizeof p, R, "/etc/group") < 0 || write_text(p, root->group) < 0)
        goto fail;
    if (mirror_file(R, "/etc/ld.so.cache") < 0 || mirror_file(R, "/etc/localtime") < 0)
        goto fail;

    step = SB_ROOT_STEP_DEV;
    if (build_dev(R) < 0)
        goto fail;

    step = SB_ROOT_STEP_TMP;
    if (join(p, sizeof p, R, "/tmp") < 0 || mkdir(p, 01777) < 0 ||
        mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, root->tmp_opts) < 0)
        goto fail;

    step = SB_ROOT_STEP_RO;
    for (int i = 0; i < root->nro; i++) {
        struct stat st;
        if (stat(root->ro[i], &st) < 0 || join(p, sizeof p, R, root->ro[i]) < 0)
            goto fail;
        if (S_ISDIR(st.st_mode)) {
            if (make_path_below(p, strlen(R), 0755) < 0)
                goto fail;
        } else {
            char *slash = strrchr(p, '/');
            *slash = '\0';
            int rc = make_path_below(p, strlen(R), 0755);
            *slash = '/';
            if (rc < 0 || touch(p) < 0)
                goto fail;
        }
        if (sb_bind_readonly(root->ro[i], p, S_ISDIR(st.st_mode)) < 0)
            goto fail;
    }

    /* An empty read-only tmpfs over each: the directory is still there
     * (an interpreter lists its site-packages without complaint) but holds
     * nothing, not even the .pth files its start-up would run. */
    step = SB_ROOT_STEP_HIDE;
    for (int i = 0; i < root->nhide; i++)
        if (join(p, sizeof p, R, root->hide[i]) < 0 ||
            mount("tmpfs", p, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC,
                  "size=4096,nr_inodes=2,mode=0755") < 0)
            goto fail;

    step = SB_ROOT_STEP_WORK;
    if (join(p, sizeof p, R, SB_ROOT_WORKDIR) < 0 || mkdir(p, 0700) < 0 ||
        mount("tmpfs", p, "tmpfs", MS_NOSUID | MS_NODEV, root->work_opts) < 0)
        goto fail;
    step = SB_ROOT_STEP_COPY;
    {
        int dst = open(p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        int rc = dst < 0 ? -1 : copy_tree(boxfd, dst, root->uid, root->gid, 0);
        int e = errno;
        if (dst >= 0)
            close(dst);
        if (rc < 0) {
            errno = e;
            goto fail;
        }
    }
    close(boxfd);
    boxfd = -1;

    /* Optional: a user namespace is refused a new procfs when the host's
     * /proc has overmounts (design notes 5.3); /proc is then empty. */
    if (join(p, sizeof p, R, "/proc") == 0 && mkdir(p, 0555) == 0 && new_proc &&
        mount("proc", p, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
        *proc = true;

#ifdef GRADER_COVERAGE
    /* Coverage builds only (scripts/coverage.sh): the host folder of the
     * .gcda files, GRADER_COVERAGE, bound writable at /.coverage, where
     * init and payload write their counts (child.c).  Best effort: when
     * it fails, child.c finds no /.coverage and writes nothing. */
    if (join(p, sizeof p, R, "/.coverage") == 0 && mkdir(p, 0755) == 0 &&
        mount(GRADER_COVERAGE, p, NULL, MS_BIND, NULL) < 0)
        rmdir(p);
#endif

    step = SB_ROOT_STEP_PIVOT;
    if (mount(NULL, R, NULL, MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV, NULL) < 0)
        goto fail;
    if (chdir(R) < 0 || syscall(SYS_pivot_root, ".", ".") < 0)
        goto fail;
    /* The old root is stacked under the new one at "/": detach it. */
    if (umount2(".", MNT_DETACH) < 0 || chdir("/") < 0) {
        *err = errno;
        return SB_ROOT_STEP_DETACH;
    }

    /* Landlock rules name inodes: the ones the supervisor added (for the
     * host's "/" and box) are not in this tree, so the new tree gets its
     * own.  A failure here cannot be undone: the caller fails the run. */
    if (landlock_fd >= 0) {
        int e = sb_landlock_allow_after_mount(landlock_fd, landlock_abi, "/", SB_LL_READ);
        if (!e)
            e = sb_landlock_allow_after_mount(landlock_fd, landlock_abi, SB_ROOT_WORKDIR, SB_LL_WRITE);
        if (!e)
            e = sb_landlock_allow_after_mount(landlock_fd, landlock_abi, "/tmp", SB_LL_WRITE);
        if (!e)
            e = sb_landlock_allow_after_mount(landlock_fd, landlock_abi, "/dev/shm", SB_LL_SHM);
        if (!e && access("/dev/null", F_OK) == 0)
            e = sb_landlock_allow_after_mount(landlock_fd, landlock_abi, "/dev/null", SB_LL_DEVICE);
        if (!e && access("/dev/full", F_OK) == 0)
            e = sb_landlock_allow_after_mount(landlock_fd, landlock_abi, "/dev/full", SB_LL_DEVICE);
        if (e) {
            *err = -e;
            return SB_ROOT_STEP_LANDLOCK;
        }
    }
    return 0;

fail:
    *err = errno;
    if (boxfd >= 0)
        close(boxfd);
    if (mounted)
        umount2(R, MNT_DETACH);
    *proc = false;
    return step;
}
