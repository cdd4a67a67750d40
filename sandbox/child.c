/* child.c: init and payload, from clone to execve (see child.h).
 *
 * Init is C, not the payload, because PID 1 of a namespace ignores every
 * signal it has no handler for (Python as PID 1 would shrug off SIGTERM) and
 * must reap orphans, which otherwise fill pids.max as zombies.  It reports
 * the payload's wait status itself so the supervisor never has to wait for
 * a process in another PID namespace, then exits, and the kernel kills
 * whatever is left in the namespace (bubblewrap's do_init, isolate's proxy).
 *
 * Only system calls from here on: see child.h. */
#include "child.h"
#include "cgroup.h"
#include "layers.h"

#include <errno.h>
#include <linux/capability.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* glibc declares setrlimit with an enum under _GNU_SOURCE. */
#ifdef __GLIBC__
#define RLIMIT_RESOURCE(r) ((__rlimit_resource_t)(r))
#else
#define RLIMIT_RESOURCE(r) (r)
#endif

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

#ifdef GRADER_COVERAGE
/* Coverage builds only (scripts/coverage.sh, which defines GRADER_COVERAGE
 * as the absolute path of the folder holding the .gcda files).  Init and
 * payload end in _exit or execve, which never write gcov's counts, so they
 * write them themselves: cov_flush() before every _exit, execve and error
 * report (what runs after it, the _exit itself, is never counted).  Init
 * starts counting from zero (see sb_init_main); the payload, a fork of
 * the single-threaded init, starts with init's counts, which are thus
 * counted twice: the hit counts grow, what is covered does not change.
 * In the minimal root the folder is bound at COV_MOUNT
 * (root.c) and gcov is sent there through GCOV_PREFIX and
 * GCOV_PREFIX_STRIP, in an environment array of our own (no malloc: see
 * child.h); the run's own environment (c->envp) is untouched.  A Landlock
 * rule lets the payload write there; scripts/coverage.sh makes the .gcda
 * files writable by the run's uid. */
#define COV_MOUNT "/.coverage"
extern void __gcov_dump(void);
extern void __gcov_reset(void);
extern char **environ;
static const char *cov_dir = GRADER_COVERAGE;
static char *cov_env[1024];
static char cov_prefix[] = "GCOV_PREFIX=" COV_MOUNT;
static char cov_errfile[] = "GCOV_ERROR_FILE=" COV_MOUNT "/gcov-errors.log";
static char cov_strip[40] = "GCOV_PREFIX_STRIP=";

/* Writes the counts gathered since the last flush, when the folder can be
 * reached from here, and starts counting afresh (one line: the count of a
 * line after the dump would be lost).  Not under the run's own small
 * limits (a payload after setrlimit): a .gcda cut short by RLIMIT_FSIZE
 * would spoil every later count. */
static void cov_flush(void)
{
    struct rlimit fsize, as;
    bool roomy = !(getrlimit(RLIMIT_FSIZE, &fsize) == 0 && fsize.rlim_cur < ((rlim_t)1 << 20)) &&
                 !(getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur < ((rlim_t)64 << 20));
    if (roomy && access(cov_dir, F_OK) == 0) {
        __gcov_dump();
        __gcov_reset();
    }
}

/* Init, once its file system is final: where the counts go, and the right
 * to write them there. */
static void cov_prepare(const struct sb_child *c, bool in_root)
{
    if (in_root) {
        /* GRADER_COVERAGE/obj/x.gcda -> COV_MOUNT/obj/x.gcda */
        unsigned strip = 0;
        for (const char *q = GRADER_COVERAGE; *q; q++)
            strip += *q == '/';
        char digits[16];
        int n = 0;
        do
            digits[n++] = (char)('0' + strip % 10);
        while ((strip /= 10) > 0);
        size_t l = strlen(cov_strip);
        while (n > 0)
            cov_strip[l++] = digits[--n];
        cov_strip[l] = '\0';
        size_t k = 0;
        cov_env[k++] = cov_prefix;
        cov_env[k++] = cov_strip;
        cov_env[k++] = cov_errfile;
        for (char **e = environ; e && *e && k < sizeof cov_env / sizeof *cov_env - 1; e++)
            if (strncmp(*e, "GCOV_", 5) != 0)
                cov_env[k++] = *e;
        cov_env[k] = NULL;
        environ = cov_env;
        cov_dir = COV_MOUNT;
    }
    if (c->fd_landlock >= 0)
        sb_landlock_allow_after_mount(c->fd_landlock, c->landlock_abi, cov_dir, SB_LL_WRITE);
}
#endif

const char *sb_stage_name(int stage)
{
    static const char *const names[SB_STAGE_COUNT] = {
        [SB_STAGE_NONE] = "setup",
        [SB_STAGE_MOUNT_PRIVATE] = "making mounts private",
        [SB_STAGE_FORK] = "forking the payload",
        [SB_STAGE_SETSID] = "setsid",
        [SB_STAGE_FDS] = "setting up descriptors",
        [SB_STAGE_CHDIR] = "entering the box",
        [SB_STAGE_RLIMIT] = "setrlimit",
        [SB_STAGE_ROOT] = "building the minimal root",
        [SB_STAGE_UID] = "switching to the run's uid",
        [SB_STAGE_PRCTL] = "prctl",
        [SB_STAGE_LANDLOCK] = "enforcing Landlock",
        [SB_STAGE_SECCOMP] = "loading the seccomp filter",
        [SB_STAGE_EXEC] = "execve",
        [SB_STAGE_NETNS] = "entering the runs' network namespace",
    };
    return stage >= 0 && stage < SB_STAGE_COUNT && names[stage] ? names[stage] : "setup";
}

static void write_full(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t w = write(fd, p, len);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return;
        p += w;
        len -= (size_t)w;
    }
}

/* 0 once len bytes are read, -1 at end of file or on an error. */
static int read_full(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The init joined a pids cgroup whose pids.max is set: the payload skips
 * the RLIMIT_NPROC backstop marked unless_pids. */
static bool pids_limited;

/* The `tasks` files of the grader's own v1 cgroups, one for each of the
 * run's (sb_cgroup_leave_fds), received with the ones to join; -1 where
 * none came.  leave_cgroups writes "0" to them at the end. */
static int leave_fds[SB_MAX_JOIN] = {-1, -1, -1, -1};
static bool leave_all;      /* the supervisor sent one for each of the run's cgroups */
static int late_netns = -1; /* the network namespace sent with them, or -1 */

/* Receives launch's send_fds message and writes "0" to each descriptor to
 * join in it (the low bits of the mask; the high ones name those kept to
 * leave); returns the mask of those that took.  End of file (the
 * supervisor gave up) ends us. */
static unsigned join_late(int sock)
{
    unsigned char head[4] = {0, 0, 0, 0};
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * (SB_MAX_JOIN * 2 + 1))];
    } ctl;
    struct iovec iov = {.iov_base = head, .iov_len = sizeof head};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    ssize_t r;
    do
        r = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC | MSG_WAITALL);
    while (r < 0 && errno == EINTR);
    if (r != (ssize_t)sizeof head)
        _exit(0);
    unsigned mask = head[0];
    int fds[SB_MAX_JOIN * 2 + 1];
    int n = 0;
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm; cm = CMSG_NXTHDR(&msg, cm)) {
        if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
            continue;
        size_t k = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
        for (size_t j = 0; j < k && n < SB_MAX_JOIN * 2 + 1; j++)
            memcpy(&fds[n++], CMSG_DATA(cm) + j * sizeof(int), sizeof(int));
    }
    if (head[3] && n > 0)
        late_netns = fds[--n];
    unsigned joined = 0;
    int next = 0;
    for (int i = 0; i < SB_MAX_JOIN * 2 && next < n; i++) {
        if (!(mask & (1u << i)))
            continue;
        int fd = fds[next++];
        if (i >= SB_MAX_JOIN) {
            leave_fds[i - SB_MAX_JOIN] = fd;
            continue;
        }
        if (write(fd, "0", 1) == 1)
            joined |= 1u << i;
        close(fd);
    }
    while (next < n)
        close(fds[next++]);
    leave_all = head[2] != 0;
    pids_limited = head[1] && (joined & (1u << SB_CG_PIDS));
    return joined;
}

/* The seccomp program of a "go" 2 (sb_seccomp_built), for the payload. */
static const void *late_seccomp;

static _Noreturn void fail(int errfd, int stage, int err, int detail)
{
    struct sb_errmsg m = {stage, err, detail};
#ifdef GRADER_COVERAGE
    cov_flush();
#endif
    write_full(errfd, &m, sizeof m);
    _exit(127);
}

/* close_range(2) appeared in 5.9; older kernels get a loop bounded by
 * RLIMIT_NOFILE (getrlimit is a plain system call). */
static void close_from_to(unsigned lo, unsigned hi)
{
    if (lo > hi)
        return;
    if (syscall(SYS_close_range, lo, hi, 0) == 0)
        return;
    struct rlimit rl;
    unsigned max = 65536;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < max)
        max = (unsigned)rl.rlim_cur;
    for (unsigned fd = lo; fd <= hi && fd < max; fd++)
        close((int)fd);
}

/* Closes every descriptor >= 3 except the `n` in keep[] (sorted here). */
static void close_all_but(int *keep, int n)
{
    for (int i = 1; i < n; i++)
        for (int j = i; j > 0 && keep[j - 1] > keep[j]; j--) {
            int t = keep[j];
            keep[j] = keep[j - 1];
            keep[j - 1] = t;
        }
    unsigned next = 3;
    for (int i = 0; i < n; i++) {
        if (keep[i] < (int)next)
            continue;
        close_from_to(next, (unsigned)keep[i] - 1);
        next = (unsigned)keep[i] + 1;
    }
    close_from_to(next, ~0U);
}

/* A fork that runs no atfork handlers and takes no glibc lock: the lock
 * could have been held by another grader thread at the time of our clone,
 * and would then stay locked forever in this copy. */
static pid_t raw_fork(void)
{
#if defined(__s390__) || defined(__CRIS__)
    return (pid_t)syscall(SYS_clone, 0L, (long)SIGCHLD, 0L, 0L, 0L);
#else
    return (pid_t)syscall(SYS_clone, (long)SIGCHLD, 0L, 0L, 0L, 0L);
#endif
}

/* Once the payload is reaped, with a PID namespace: kill and reap what
 * else the run left in it (daemons, whose reaper we are), then move out of
 * the run's v1 cgroups into the grader's own, so that the supervisor can
 * remove them while our own exit (our copy of the grader's memory, the
 * mount namespace's teardown) is still going on.  One thread moving
 * itself, as when joining.  True when we are the namespace's last process
 * and out of every cgroup of the run. */
static bool leave_cgroups(void)
{
    if (!leave_all)
        return false;
    for (;;) {
        int st;
        pid_t p = wait4(-1, &st, WNOHANG | __WALL, NULL);
        if (p > 0)
            continue;
        if (p < 0 && errno == EINTR)
            continue;
        if (p < 0 && errno == ECHILD)
            break;
        if (p < 0)
            return false;
        /* Something still runs.  As PID 1, kill(-1) reaches every other
         * process of the namespace; the blocking wait reaps them, and the
         * orphans their death hands us, until none is left. */
        kill(-1, SIGKILL);
        do
            p = wait4(-1, &st, __WALL, NULL);
        while (p > 0 || (p < 0 && errno == EINTR));
        if (errno != ECHILD)
            return false;
        break;
    }
    for (int i = 0; i < SB_MAX_JOIN; i++)
        if (leave_fds[i] >= 0 && write(leave_fds[i], "0", 1) != 1)
            return false;
    return true;
}

/* The bounding set must go while we still hold CAP_SETPCAP, that is
 * before a uid switch: an empty bounding set means execve grants no
 * capability back, even to a setuid-root file (NO_NEW_PRIVS also stops
 * that).  Without CAP_SETPCAP (an unprivileged run in degraded mode) there
 * is nothing to drop, and the calls' EPERM is expected. */
static void drop_bounding_set(void)
{
    for (int cap = 0; cap < 64; cap++)
        if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno == EINVAL)
            break;
    prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
}

/* Root that keeps its uid (no usable run uid) still loses the permitted,
 * effective and inheritable sets; after a switch to another uid they are
 * empty already. */
static void clear_capabilities(void)
{
    struct __user_cap_header_struct hdr = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
    struct __user_cap_data_struct data[2];
    memset(data, 0, sizeof data);
    syscall(SYS_capset, &hdr, data);
}

/* setrlimit, with one exception.  Linux never refuses to lower a hard
 * limit, but valgrind refuses (EPERM) an RLIMIT_NOFILE whose hard limit is
 * not the one it shows, since it keeps descriptors of its own above it:
 * then the soft limit alone is lowered.  Only under valgrind, where it is
 * valgrind's bookkeeping and never reaches the kernel: the payload it
 * execs keeps the grader's RLIMIT_NOFILE (tests/valgrind/README.md). */
static int set_rlimit(const struct sb_rlim *rl)
{
    if (setrlimit(RLIMIT_RESOURCE(rl->resource), &rl->lim) == 0)
        return 0;
    int e = errno;
    struct rlimit cur;
    if (e == EPERM && rl->resource == RLIMIT_NOFILE && getrlimit(RLIMIT_NOFILE, &cur) == 0 &&
        rl->lim.rlim_max <= cur.rlim_max) {
        cur.rlim_cur = rl->lim.rlim_cur < cur.rlim_max ? rl->lim.rlim_cur : cur.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &cur) == 0)
            return 0;
    }
    errno = e;
    return -1;
}

static _Noreturn void payload_main(const struct sb_child *c, pid_t init_pid, bool in_root)
{
    int errfd = c->fd_errpipe;
    /* Own session and process group: no controlling terminal to inject
     * into (TIOCSTI, CVE-2017-5226), and a group to kill as a whole. */
    if (setsid() < 0)
        fail(errfd, SB_STAGE_SETSID, errno, 0);

    /* Move everything above the numbers we are about to fill, so that no
     * dup2 lands on a descriptor still needed as a source. */
    int base = c->fd_chan >= 0 && c->channel_fd >= 3 ? c->channel_fd + 1 : 3;
    int ep = fcntl(errfd, F_DUPFD_CLOEXEC, base);
    if (ep < 0)
        fail(errfd, SB_STAGE_FDS, errno, 0);
    errfd = ep;
    int ll = -1;
    if (c->fd_landlock >= 0) {
        ll = fcntl(c->fd_landlock, F_DUPFD_CLOEXEC, base);
        if (ll < 0)
            fail(errfd, SB_STAGE_FDS, errno, 0);
    }
    int src[4] = {c->fd_null, c->fd_out, c->fd_err, c->fd_chan};
    int dst[4] = {0, 1, 2, c->channel_fd};
    int moved[4] = {-1, -1, -1, -1};
    for (int i = 0; i < 4; i++) {
        if (src[i] < 0)
            continue;
        moved[i] = fcntl(src[i], F_DUPFD_CLOEXEC, base);
        if (moved[i] < 0)
            fail(errfd, SB_STAGE_FDS, errno, 0);
    }
    for (int i = 0; i < 4; i++)
        if (moved[i] >= 0 && dup2(moved[i], dst[i]) < 0) /* dup2 clears CLOEXEC */
            fail(errfd, SB_STAGE_FDS, errno, 0);
    /* Nothing else reaches the student: not the other runs' pipes, not the
     * status or sync pipes, not a cgroup or directory descriptor that would
     * lead outside. */
    int keep[3] = {errfd, c->fd_chan >= 0 ? c->channel_fd : errfd, ll >= 0 ? ll : errfd};
    close_all_but(keep, 3);

    if (chdir(in_root ? SB_ROOT_WORKDIR : c->cwd) < 0)
        fail(errfd, SB_STAGE_CHDIR, errno, 0);
    for (int i = 0; i < c->nrl; i++)
        if (!(c->rl[i].unless_pids && pids_limited) && set_rlimit(&c->rl[i]) < 0)
            fail(errfd, SB_STAGE_RLIMIT, errno, c->rl[i].resource);
    drop_bounding_set();
    /* A uid of the run's own: the host's files are then judged by their
     * "other" bits, and nothing of root's ownership (files in /etc, the
     * grader's own) is the student's.  Groups first, while we may. */
    uid_t uid = in_root ? c->uid_in_root : c->uid_on_host;
    gid_t gid = in_root ? c->gid_in_root : c->gid_on_host;
    if (uid) {
        /* Raw system calls: glibc's wrappers would broadcast the change to
         * the grader's other threads, which do not exist in this copy, and
         * wait for them forever. */
        if (syscall(SYS_setgroups, 0, NULL) < 0 || syscall(SYS_setresgid, gid, gid, gid) < 0 ||
            syscall(SYS_setresuid, uid, uid, uid) < 0)
            fail(errfd, SB_STAGE_UID, errno, (int)uid);
    }
    clear_capabilities();
    /* After the uid switch: a change of credentials clears PDEATHSIG. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0)
        fail(errfd, SB_STAGE_PRCTL, errno, 0);
        /* PDEATHSIG set after init already died would never fire. */
#ifdef GRADER_COVERAGE
    if (init_pid > 0 && getppid() != init_pid)
        cov_flush();
#endif
    if (init_pid > 0 && getppid() != init_pid)
        _exit(127);
    /* No setuid binary may give the student more rights than we gave. */
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        fail(errfd, SB_STAGE_PRCTL, errno, 0);
    /* Last, in this order: Landlock (needs NNP), then seccomp, which
     * allows execve. */
    if (ll >= 0) {
        int e = sb_landlock_apply(ll);
        if (e < 0)
            fail(errfd, SB_STAGE_LANDLOCK, -e, 0);
        close(ll);
    }
    const void *prog = c->seccomp ? c->seccomp : late_seccomp;
    if (prog) {
        int e = sb_seccomp_apply(prog);
        if (e < 0)
            fail(errfd, SB_STAGE_SECCOMP, -e, 0);
    }
#ifdef GRADER_COVERAGE
    cov_flush();
#endif
    execve(c->argv[0], (char *const *)c->argv, (char *const *)c->envp);
    fail(errfd, SB_STAGE_EXEC, errno, 0);
}

static void itoa_append(char *buf, long v)
{
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v > 0 && n < (int)sizeof tmp);
    size_t l = strlen(buf);
    while (n > 0)
        buf[l++] = tmp[--n];
    buf[l] = '\0';
}

/* SIGKILLs every child listed in /proc/self/task/<tid>/children; -1 when
 * that file cannot be read (no /proc, or CONFIG_PROC_CHILDREN off). */
static int kill_listed_children(void)
{
    char path[64] = "/proc/self/task/";
    itoa_append(path, (long)syscall(SYS_gettid));
    strcat(path, "/children"); // NOLINT(clang-analyzer-security.insecureAPI.strcpy): 16 + 20 digits + 9 < 64
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char buf[4096];
    long cur = -1;
    int n = 0;
    for (;;) {
        ssize_t r = read(fd, buf, sizeof buf);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        for (ssize_t i = 0; i < r; i++) {
            if (buf[i] >= '0' && buf[i] <= '9') {
                cur = (cur < 0 ? 0 : cur * 10) + (buf[i] - '0');
            } else if (cur >= 0) {
                kill((pid_t)cur, SIGKILL);
                n++;
                cur = -1;
            }
        }
    }
    if (cur > 0) {
        kill((pid_t)cur, SIGKILL);
        n++;
    }
    close(fd);
    return n;
}

/* mkdir -p of `path` (absolute, beneath a fresh tmpfs); 0 or -1. */
static int make_path(const char *path, mode_t last_mode)
{
    char buf[4096];
    size_t n = strlen(path);
    if (n >= sizeof buf)
        return -1;
    memcpy(buf, path, n + 1);
    for (size_t i = 1; i <= n; i++) {
        if (buf[i] != '/' && buf[i] != '\0')
            continue;
        char save = buf[i];
        buf[i] = '\0';
        if (mkdir(buf, i == n ? last_mode : 0755) < 0 && errno != EEXIST)
            return -1;
        buf[i] = save;
    }
    return 0;
}

/* Binds the directory open at `fd` onto `target` (created in the new
 * tmpfs); read-only unless `writable`.  0 or -1. */
static int bind_back(int fd, const char *target, bool writable)
{
    if (make_path(target, writable ? 0700 : 0755) < 0)
        return -1;
    char src[64] = "/proc/self/fd/";
    itoa_append(src, fd);
    if (!writable)
        return sb_bind_readonly(src, target, false);
    return mount(src, target, NULL, MS_BIND, NULL);
}

/* A private, size-capped tmpfs on /tmp and on /dev/shm, so that nothing a
 * run writes there reaches the host or another run, and nothing of theirs
 * is visible.  The box usually lives beneath /tmp (or /dev/shm): it is
 * bound back at its own path inside the new tmpfs, and so (read-only) are
 * the directories beneath /tmp that argv names.  Landlock rules for the new mounts are
 * added here, after the mounts (a rule opened before would name the
 * covered directory).  Returns SB_INIT_TMP and SB_INIT_SHM as done; any
 * refusal undoes the /tmp mount and leaves the host's /tmp (and its
 * Landlock rules) in place, as without a mount namespace. */
static unsigned private_tmp(const struct sb_child *c)
{
    unsigned done = 0;
    int boxfd = -1;
    int xfd[SB_MAX_EXPOSE];
    int nx = 0;
    bool ok = true;
    if (c->box_in_tmp) {
        boxfd = open(c->cwd, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (boxfd < 0)
            ok = false;
    }
    for (int i = 0; ok && i < c->nexpose && i < SB_MAX_EXPOSE; i++) {
        xfd[nx] = open(c->expose[i], O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (xfd[nx] < 0)
            ok = false;
        else
            nx++;
    }
#ifdef GRADER_COVERAGE
    /* A checkout under /tmp: its .gcda folder, bound back writable (else
     * the counts of every run with a private /tmp are lost). */
    int covfd =
        strncmp(GRADER_COVERAGE, "/tmp/", 5) == 0 ? open(GRADER_COVERAGE, O_PATH | O_DIRECTORY | O_CLOEXEC) : -1;
#endif
    if (ok && mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, c->tmp_opts) == 0) {
        for (int i = 0; ok && i < nx; i++)
            if (bind_back(xfd[i], c->expose[i], false) < 0)
                ok = false;
#ifdef GRADER_COVERAGE
        if (covfd >= 0)
            (void)bind_back(covfd, GRADER_COVERAGE, true);
#endif
        if (ok && boxfd >= 0 && bind_back(boxfd, c->cwd, true) < 0)
            ok = false;
        if (ok && c->fd_landlock >= 0 &&
            sb_landlock_allow_after_mount(c->fd_landlock, c->landlock_abi, "/tmp", SB_LL_WRITE) < 0)
            ok = false;
        if (ok)
            done |= SB_INIT_TMP;
        else
            umount2("/tmp", MNT_DETACH);
    }
    if (boxfd >= 0)
        close(boxfd);
#ifdef GRADER_COVERAGE
    if (covfd >= 0)
        close(covfd);
#endif
    for (int i = 0; i < nx; i++)
        close(xfd[i]);
    /* A staging box (box.h) is beneath /dev/shm: bound back the same way,
     * or the host's /dev/shm is kept. */
    int shmboxfd = c->box_in_shm ? open(c->cwd, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
    if ((!c->box_in_shm || shmboxfd >= 0) &&
        mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=16777216,mode=1777") == 0) {
        if ((shmboxfd >= 0 && bind_back(shmboxfd, c->cwd, true) < 0) ||
            (c->fd_landlock >= 0 &&
             sb_landlock_allow_after_mount(c->fd_landlock, c->landlock_abi, "/dev/shm", SB_LL_SHM) < 0))
            umount2("/dev/shm", MNT_DETACH);
        else
            done |= SB_INIT_SHM;
    }
    if (shmboxfd >= 0)
        close(shmboxfd);
    return done;
}

_Noreturn void sb_init_main(const struct sb_child *c)
{
#ifdef GRADER_COVERAGE
    /* The counts copied from the grader include other threads' caught in
     * the middle of a basic block, which gcov cannot make sense of: the
     * grader writes its own; init starts from zero. */
    __gcov_reset();
#endif
    /* The grader's signal mask and ignored signals would otherwise reach
     * the payload: both survive execve. */
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    for (int s = 1; s < _NSIG; s++) {
        if (s == SIGKILL || s == SIGSTOP)
            continue;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = SIG_DFL;
        sigaction(s, &sa, NULL);
    }
    prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);

    /* Into the run's cgroups that exist already (a retried launch's; the
     * first launch's v1 folders come later, join_late).  We are one thread
     * moving itself: the kernel then skips cgroup_threadgroup_rwsem, whose
     * write side the supervisor's move by pid would take, waiting for an
     * RCU grace period (about 9 ms here against 25 us).  What fails is left
     * to the supervisor, told in READY. */
    unsigned joined = 0;
    for (int i = 0; i < SB_MAX_JOIN; i++) {
        if (c->fd_join[i] < 0)
            continue;
        if (write(c->fd_join[i], "0", 1) == 1)
            joined |= 1u << i;
        close(c->fd_join[i]);
    }

    /* The network namespace of this grader's earlier runs instead of a
     * new one (sandbox.c, shared_netns): nothing is up in it, and what a
     * run could reach of another's there, Landlock's scoping denies. */
    if (c->fd_netns >= 0 && setns(c->fd_netns, CLONE_NEWNET) < 0)
        fail(c->fd_errpipe, SB_STAGE_NETNS, errno, 0);

    /* Drop every descriptor of the grader we inherited, now: holding the
     * pipes of a concurrent run would delay that run's end-of-file until
     * ours ends. */
    int keep[8] = {c->fd_null,    c->fd_out,    c->fd_err,  c->fd_chan >= 0 ? c->fd_chan : c->fd_out,
                   c->fd_errpipe, c->fd_status, c->fd_sync, c->fd_landlock >= 0 ? c->fd_landlock : c->fd_out};
    close_all_but(keep, 8);

    /* Wait until the supervisor has written our uid/gid maps (a user
     * namespace's files cannot be created before); end of file means it
     * gave up. */
    char go;
    ssize_t r;
    do
        r = read(c->fd_sync, &go, 1);
    while (r < 0 && errno == EINTR);
#ifdef GRADER_COVERAGE
    if (r != 1)
        cov_flush();
#endif
    if (r != 1)
        _exit(0);

    unsigned flags = 0;
    int root_step = 0, root_err = 0;
    if (c->ns_flags & CLONE_NEWNS) {
        /* Our mounts must not propagate back to the host (systemd makes /
         * shared), nor the host's into the box later. */
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            fail(c->fd_errpipe, SB_STAGE_MOUNT_PRIVATE, errno, 0);
        if (c->use_root) {
            bool proc = false;
            root_step = sb_root_build(&c->root, (c->ns_flags & CLONE_NEWPID) != 0, c->fd_landlock, c->landlock_abi,
                                      &proc, &root_err);
            if (root_step >= SB_ROOT_STEP_DETACH)
                fail(c->fd_errpipe, SB_STAGE_ROOT, root_err, root_step);
            if (root_step == 0)
                flags |= SB_INIT_ROOT | SB_INIT_TMP | SB_INIT_SHM | (proc ? SB_INIT_PROC : 0);
        }
        if (!(flags & SB_INIT_ROOT)) {
            /* The host's tree, with a /proc of our own PID namespace, so
             * the student sees only the run's processes there (optional: a
             * user namespace is refused a new procfs when the host's /proc
             * has overmounts), and a private /tmp. */
            if ((c->ns_flags & CLONE_NEWPID) &&
                mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) == 0)
                flags |= SB_INIT_PROC;
            flags |= private_tmp(c);
        }
    }
    if ((c->ns_flags & CLONE_NEWUTS) && sethostname("grader", 6) == 0)
        flags |= SB_INIT_HOSTNAME;
#ifdef GRADER_COVERAGE
    cov_prepare(c, (flags & SB_INIT_ROOT) != 0);
#endif

    /* The run's v1 cgroups, made by the supervisor while we built the root
     * (launch): a mask byte and the tasks files it names, which we join
     * as at the start (one thread moving itself).  Read in every case, or
     * the mask would be taken for the second "go". */
    if (c->late_join || c->netns_late)
        joined |= join_late(c->fd_sync);
    /* The network namespace the supervisor had made beside our clone, or,
     * if it could not, one of our own. */
    if (c->netns_late) {
        if (late_netns >= 0 ? setns(late_netns, CLONE_NEWNET) < 0 : unshare(CLONE_NEWNET) < 0)
            fail(c->fd_errpipe, SB_STAGE_NETNS, errno, 0);
        if (late_netns >= 0)
            close(late_netns);
    }

    /* What we built decides the isolation level; in strict mode the
     * supervisor judges it before any student code exists. */
    struct sb_msg m;
    memset(&m, 0, sizeof m);
    m.type = SB_MSG_READY;
    m.flags = flags;
    m.root_step = root_step;
    m.root_err = root_err;
    m.joined = joined;
    write_full(c->fd_status, &m, sizeof m);
    /* The second byte: we are in the run's cgroups (those we could not join
     * the supervisor has moved us into) and, in strict mode, the level is
     * judged.
     * Nothing below may run before, the payload least of all. */
    do
        r = read(c->fd_sync, &go, 1);
    while (r < 0 && errno == EINTR);
#ifdef GRADER_COVERAGE
    if (r != 1)
        cov_flush();
#endif
    if (r != 1)
        _exit(0);
    /* "go" 2: the seccomp program follows, built by the supervisor while
     * we built the root (sb_seccomp_built): its length, then its bytes. */
    if (go == 2 && c->seccomp_late) {
        static unsigned char prog_bytes[SB_SECCOMP_MAX_BYTES];
        uint32_t len = 0;
        if (read_full(c->fd_sync, &len, sizeof len) != 0 || len > sizeof prog_bytes ||
            read_full(c->fd_sync, prog_bytes, len) != 0 || !(late_seccomp = sb_seccomp_from_bytes(prog_bytes, len)))
            fail(c->fd_errpipe, SB_STAGE_SECCOMP, EPROTO, 0);
    }
    close(c->fd_sync);
    setsid();
    /* Without a PID namespace, orphans (double-forked daemons) are
     * reparented to us instead of escaping to the host's init. */
    if (c->subreaper)
        prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);

    /* The supervisor may have started us on other CPUs than its own
     * (sandbox.c's spread_init); the payload gets the whole set. */
    if (c->restore_cpus)
        sched_setaffinity(0, sizeof c->cpus, &c->cpus);
    pid_t self = (pid_t)syscall(SYS_getpid);
    pid_t payload = raw_fork();
    if (payload < 0)
        fail(c->fd_errpipe, SB_STAGE_FORK, errno, 0);
    if (payload == 0)
        payload_main(c, self, (flags & SB_INIT_ROOT) != 0);

    close(c->fd_errpipe);
    close(c->fd_null);
    close(c->fd_out);
    close(c->fd_err);
    if (c->fd_chan >= 0)
        close(c->fd_chan);
    if (c->fd_landlock >= 0)
        close(c->fd_landlock);

    memset(&m, 0, sizeof m);
    m.type = SB_MSG_STARTED;
    m.pid = (int)payload;
    m.flags = flags;
    m.root_step = root_step;
    m.root_err = root_err;
    write_full(c->fd_status, &m, sizeof m);

    for (;;) {
        int st;
        pid_t p = wait4(-1, &st, __WALL, NULL);
        if (p < 0) {
            if (errno == EINTR)
                continue;
#ifdef GRADER_COVERAGE
            cov_flush();
#endif
            _exit(0);
        }
        if (p == payload) {
#ifdef GRADER_COVERAGE
            /* Before EXITED: from then on the supervisor may kill init. */
            cov_flush();
#endif
            memset(&m, 0, sizeof m);
            m.type = SB_MSG_EXITED;
            m.pid = (int)payload;
            m.status = st;
            if (!c->subreaper && leave_cgroups())
                m.flags = SB_INIT_LEFT;
            getrusage(RUSAGE_CHILDREN, &m.ru);
            write_full(c->fd_status, &m, sizeof m);
            break;
        }
    }
#ifdef GRADER_COVERAGE
    if (!c->subreaper)
        cov_flush();
#endif
    if (!c->subreaper)
        _exit(0); /* PID 1 leaving takes the whole namespace with it */

    /* No PID namespace: kill and reap what the run left behind.  Killing a
     * process reparents its children to us, so repeat until none is left. */
    for (;;) {
        kill(-payload, SIGKILL);
        kill_listed_children();
        int st;
        pid_t p = wait4(-1, &st, __WALL, NULL);
        if (p < 0 && errno != EINTR)
            break;
    }
#ifdef GRADER_COVERAGE
    cov_flush();
#endif
    _exit(0);
}
