/* landlock.c: the file system and network ruleset (design notes 5.8, 6.3).
 *
 * Raw system calls with our own copies of the UAPI structures: the
 * installed <linux/landlock.h> may predate the ABI the kernel offers.
 * The ruleset is built in the supervisor (it opens paths); the payload
 * only calls landlock_restrict_self on it, after NO_NEW_PRIVS. */
#include "layers.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errname.h"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

#define LL_CREATE_RULESET_VERSION (1U << 0)
#define LL_RULE_PATH_BENEATH 1

#define LL_FS_EXECUTE (1ULL << 0)
#define LL_FS_WRITE_FILE (1ULL << 1)
#define LL_FS_READ_FILE (1ULL << 2)
#define LL_FS_READ_DIR (1ULL << 3)
#define LL_FS_REMOVE_FILE (1ULL << 5)
#define LL_FS_MAKE_REG (1ULL << 8)
#define LL_FS_ABI1 ((1ULL << 13) - 1) /* EXECUTE .. MAKE_SYM */
#define LL_FS_REFER (1ULL << 13)      /* ABI 2 */
#define LL_FS_TRUNCATE (1ULL << 14)   /* ABI 3 */
#define LL_FS_IOCTL_DEV (1ULL << 15)  /* ABI 5 */
#define LL_NET_BIND_TCP (1ULL << 0)   /* ABI 4 */
#define LL_NET_CONNECT_TCP (1ULL << 1)
#define LL_SCOPE_ABSTRACT_UNIX_SOCKET (1ULL << 0) /* ABI 6 */
#define LL_SCOPE_SIGNAL (1ULL << 1)

struct ll_ruleset_attr {
    // cppcheck-suppress unusedStructMember ; the kernel reads it
    uint64_t handled_access_fs;
    uint64_t handled_access_net;
    uint64_t scoped;
};

struct ll_path_beneath_attr {
    uint64_t allowed_access;
    int32_t parent_fd;
} __attribute__((packed));

static int abi;
static int abi_errno;
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void probe(void)
{
    long v = syscall(SYS_landlock_create_ruleset, NULL, 0, LL_CREATE_RULESET_VERSION);
    if (v > 0)
        abi = (int)v;
    else
        abi_errno = v < 0 ? errno : EINVAL;
}

int sb_landlock_abi(char *why, size_t whylen)
{
    pthread_once(&once, probe);
    if (abi <= 0)
        snprintf(why, whylen, "unavailable (%s)", sb_errname(abi_errno));
    return abi;
}

static uint64_t fs_rights(int v)
{
    uint64_t r = LL_FS_ABI1;
    if (v >= 2)
        r |= LL_FS_REFER;
    if (v >= 3)
        r |= LL_FS_TRUNCATE;
    if (v >= 5)
        r |= LL_FS_IOCTL_DEV;
    return r;
}

static int allow(int ruleset, const char *path, int flags, uint64_t rights)
{
    int fd = open(path, O_PATH | O_CLOEXEC | flags);
    if (fd < 0)
        return -errno;
    struct ll_path_beneath_attr pb = {.allowed_access = rights, .parent_fd = fd};
    int rc = syscall(SYS_landlock_add_rule, ruleset, LL_RULE_PATH_BENEATH, &pb, 0) < 0 ? -errno : 0;
    close(fd);
    return rc;
}

int sb_landlock_ruleset(int v, const char *box, char *why, size_t whylen)
{
    struct ll_ruleset_attr attr = {.handled_access_fs = fs_rights(v)};
    if (v >= 4)
        attr.handled_access_net = LL_NET_BIND_TCP | LL_NET_CONNECT_TCP; /* no rule: no TCP at all */
    if (v >= 6)
        attr.scoped = LL_SCOPE_ABSTRACT_UNIX_SOCKET | LL_SCOPE_SIGNAL;
    int rs = (int)syscall(SYS_landlock_create_ruleset, &attr, sizeof attr, 0);
    if (rs < 0) {
        snprintf(why, whylen, "unavailable (ruleset: %s)", sb_errname(errno));
        return -1;
    }
    /* The kernel gives ruleset descriptors O_CLOEXEC already. */
    uint64_t file_write = LL_FS_WRITE_FILE | (v >= 3 ? LL_FS_TRUNCATE : 0) | (v >= 5 ? LL_FS_IOCTL_DEV : 0);
    int rc = allow(rs, "/", O_DIRECTORY, LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_EXECUTE);
    const char *what = "/";
    if (rc == 0) {
        what = "box";
        rc = allow(rs, box, O_DIRECTORY | O_NOFOLLOW, fs_rights(v));
    }
    if (rc == 0) {
        what = "/dev/null";
        rc = allow(rs, "/dev/null", 0, LL_FS_READ_FILE | file_write);
        if (rc == -ENOENT)
            rc = 0; /* no /dev/null on this host: nothing to allow */
    }
    if (rc == 0) {
        /* POSIX semaphores (sem_open: multiprocessing's locks, which even
         * ThreadPool takes) are files in /dev/shm: regular files only,
         * created, linked into place and removed there.  This rule names
         * the host's directory; with a mount namespace the init mounts a
         * private tmpfs over it and adds the same rule for that (child.c). */
        what = "/dev/shm";
        rc = allow(rs, "/dev/shm", O_DIRECTORY,
                   LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_WRITE_FILE | LL_FS_MAKE_REG | LL_FS_REMOVE_FILE |
                       (v >= 3 ? LL_FS_TRUNCATE : 0));
        if (rc == -ENOENT || rc == -ENOTDIR)
            rc = 0;
    }
    if (rc < 0) {
        snprintf(why, whylen, "unavailable (rule for %s: %s)", what, sb_errname(-rc));
        close(rs);
        return -1;
    }
    return rs;
}

int sb_landlock_allow_after_mount(int ruleset_fd, int v, const char *path, enum sb_ll_kind kind)
{
    uint64_t file_write = LL_FS_WRITE_FILE | (v >= 3 ? LL_FS_TRUNCATE : 0);
    switch (kind) {
    case SB_LL_READ:
        return allow(ruleset_fd, path, O_DIRECTORY | O_NOFOLLOW, LL_FS_READ_FILE | LL_FS_READ_DIR | LL_FS_EXECUTE);
    case SB_LL_SHM:
        return allow(ruleset_fd, path, O_DIRECTORY | O_NOFOLLOW,
                     LL_FS_READ_FILE | LL_FS_READ_DIR | file_write | LL_FS_MAKE_REG | LL_FS_REMOVE_FILE);
    case SB_LL_DEVICE:
        return allow(ruleset_fd, path, O_NOFOLLOW, LL_FS_READ_FILE | file_write | (v >= 5 ? LL_FS_IOCTL_DEV : 0));
    case SB_LL_WRITE:
    default:
        return allow(ruleset_fd, path, O_DIRECTORY | O_NOFOLLOW, fs_rights(v));
    }
}

int sb_landlock_apply(int ruleset_fd)
{
    return syscall(SYS_landlock_restrict_self, ruleset_fd, 0) == 0 ? 0 : -errno;
}
