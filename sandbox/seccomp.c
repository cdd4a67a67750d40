/* seccomp.c: the deny-list filter (design notes 5.7, 6.4).
 *
 * Default ALLOW.  clone3 answers ENOSYS so that glibc falls back to clone
 * (whose flags BPF can read; EPERM would break pthread_create); namespace
 * flags on clone, unshare, setns, the mount API, kernel-wide knobs and the
 * cross-process introspection calls answer EPERM; ptrace, bpf and
 * process_vm_* kill the process (reported as the "syscall" limit); sockets
 * other than AF_UNIX answer EAFNOSUPPORT; TIOCSTI/TIOCLINUX answer EPERM.
 * Only the native architecture is in the filter: anything else (i386 via
 * int 0x80, x32) kills the process.
 *
 * libseccomp allocates, so the filter is compiled once, before any clone,
 * exported to a memfd and copied into static memory; the payload loads it
 * with the raw seccomp(2) call. */
#include "layers.h"

#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <seccomp.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "errname.h"

#ifndef SYS_seccomp
#define SYS_seccomp 317
#endif
#ifndef SECCOMP_GET_ACTION_AVAIL
#define SECCOMP_GET_ACTION_AVAIL 2
#endif
#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS 0x80000000U
#endif
#ifndef TIOCLINUX
#define TIOCLINUX 0x541C
#endif

#define NS_CLONE_FLAGS 0x7E020000UL /* NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET */
#define BPF_MAX 4096                /* BPF_MAXINSNS */

static struct sock_filter insns[BPF_MAX];
static struct sock_fprog prog;
static bool ready;
static char failure[64];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static const char *const eperm_calls[] = {
    "unshare",
    "setns",
    "mount",
    "umount2",
    "umount",
    "pivot_root",
    "chroot",
    "mount_setattr",
    "open_tree",
    "move_mount",
    "fsopen",
    "fsconfig",
    "fsmount",
    "fspick",
    "pidfd_getfd",
    "kcmp",
    "perf_event_open",
    "userfaultfd",
    "io_uring_setup",
    "io_uring_enter",
    "io_uring_register",
    "keyctl",
    "add_key",
    "request_key",
    "name_to_handle_at",
    "open_by_handle_at",
    "kexec_load",
    "kexec_file_load",
    "init_module",
    "finit_module",
    "delete_module",
    "reboot",
    "swapon",
    "swapoff",
    "acct",
    "quotactl",
    "quotactl_fd",
    "syslog",
    "settimeofday",
    "clock_settime",
    "clock_adjtime",
    "adjtimex",
    "iopl",
    "ioperm",
    "modify_ldt",
    "move_pages",
    "migrate_pages",
    "lookup_dcookie",
    "vhangup",
    "nfsservctl",
    "uselib",
};
static const char *const kill_calls[] = {"ptrace", "bpf", "process_vm_readv", "process_vm_writev"};

/* 0, or -errno; a call this libseccomp or architecture does not know is
 * not there to be blocked. */
static int add(scmp_filter_ctx ctx, uint32_t action, const char *name, unsigned n, const struct scmp_arg_cmp *cmp)
{
    int nr = seccomp_syscall_resolve_name(name);
    if (nr == __NR_SCMP_ERROR || nr < 0)
        return 0;
    return seccomp_rule_add_array(ctx, action, nr, n, cmp);
}

static int build(void)
{
    if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) < 0)
        return -errno; /* EINVAL: kernel without CONFIG_SECCOMP */
    uint32_t kill = SECCOMP_RET_KILL_PROCESS;
    if (syscall(SYS_seccomp, SECCOMP_GET_ACTION_AVAIL, 0, &kill) < 0)
        return -errno; /* before 4.14, or seccomp(2) itself filtered */

    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
    if (!ctx)
        return -ENOMEM;
    int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS);
    /* Every system call of the payload runs the filter: a binary search
     * over the syscall numbers instead of a linear list of the ~40 denied. */
    if (rc == 0)
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_OPTIMIZE, 2);
    if (rc == 0)
        rc = add(ctx, SCMP_ACT_ERRNO(ENOSYS), "clone3", 0, NULL);
    if (rc == 0) {
        /* Any namespace bit at all: one rule per bit (MASKED_EQ compares
         * the whole masked value, we want any one bit). */
        for (unsigned b = 0; b < 64 && rc == 0; b++) {
            unsigned long bit = 1UL << b;
            if (!(NS_CLONE_FLAGS & bit))
                continue;
            struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_MASKED_EQ, bit, bit);
            rc = add(ctx, SCMP_ACT_ERRNO(EPERM), "clone", 1, &c);
        }
    }
    for (size_t i = 0; rc == 0 && i < sizeof eperm_calls / sizeof *eperm_calls; i++)
        rc = add(ctx, SCMP_ACT_ERRNO(EPERM), eperm_calls[i], 0, NULL);
    for (size_t i = 0; rc == 0 && i < sizeof kill_calls / sizeof *kill_calls; i++)
        rc = add(ctx, SCMP_ACT_KILL_PROCESS, kill_calls[i], 0, NULL);
    if (rc == 0) {
        /* socket's domain is an int: any upper bits make it != AF_UNIX too,
         * which errs on the side of refusing. */
        struct scmp_arg_cmp c = SCMP_A0(SCMP_CMP_NE, AF_UNIX);
        rc = add(ctx, SCMP_ACT_ERRNO(EAFNOSUPPORT), "socket", 1, &c);
    }
    /* ioctl's request is an unsigned int to the kernel: compare the low 32
     * bits only, or TIOCSTI | 1 << 32 would slip through. */
    if (rc == 0) {
        struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFUL, TIOCSTI);
        rc = add(ctx, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, &c);
    }
    if (rc == 0) {
        struct scmp_arg_cmp c = SCMP_A1(SCMP_CMP_MASKED_EQ, 0xFFFFFFFFUL, TIOCLINUX);
        rc = add(ctx, SCMP_ACT_ERRNO(EPERM), "ioctl", 1, &c);
    }

    int fd = -1;
    if (rc == 0) {
        fd = memfd_create("grader-seccomp", MFD_CLOEXEC);
        if (fd < 0)
            rc = -errno;
    }
    if (rc == 0)
        rc = seccomp_export_bpf(ctx, fd);
    seccomp_release(ctx);
    if (rc == 0) {
        off_t size = lseek(fd, 0, SEEK_END);
        if (size <= 0 || size % (off_t)sizeof(struct sock_filter) != 0 || size > (off_t)sizeof insns)
            rc = -E2BIG;
        else if (pread(fd, insns, (size_t)size, 0) != (ssize_t)size)
            rc = -EIO;
        else {
            prog.len = (unsigned short)(size / (off_t)sizeof(struct sock_filter));
            prog.filter = insns;
        }
    }
    if (fd >= 0)
        close(fd);
    return rc;
}

static atomic_bool built;

static void build_once(void)
{
    int rc = build();
    if (rc == 0)
        ready = true;
    else
        snprintf(failure, sizeof failure, "unavailable (%s)", sb_errname(-rc));
    atomic_store(&built, true);
}

bool sb_seccomp_built(void)
{
    return atomic_load(&built);
}

size_t sb_seccomp_bytes(const void *p, const void **data)
{
    const struct sock_fprog *fp = p;
    *data = fp->filter;
    return (size_t)fp->len * sizeof(struct sock_filter);
}

const void *sb_seccomp_from_bytes(const void *data, size_t len)
{
    static struct sock_filter rx_insns[BPF_MAX];
    static struct sock_fprog rx;
    if (len == 0 || len % sizeof(struct sock_filter) != 0 || len > sizeof rx_insns)
        return NULL;
    memcpy(rx_insns, data, len);
    rx.len = (unsigned short)(len / sizeof(struct sock_filter));
    rx.filter = rx_insns;
    return &rx;
}

const void *sb_seccomp_program(char *why, size_t whylen)
{
    pthread_once(&once, build_once);
    if (ready)
        return &prog;
    snprintf(why, whylen, "%s", failure);
    return NULL;
}

int sb_seccomp_apply(const void *p)
{
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, p) == 0)
        return 0;
    if (errno != ENOSYS)
        return -errno;
    return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, p, 0, 0) == 0 ? 0 : -errno;
}
