/* sandbox.c: the supervisor.
 *
 *   sandbox_run (grader thread)
 *     box: mkdtemp + copy (box.c)          cgroups (cgroup.c)
 *     clone3(CLONE_NEWPID|NEWNET|NEWIPC|NEWUTS|NEWNS [|NEWUSER] | CLONE_PIDFD)
 *       init = PID 1 (child.c): waits on the sync socket, builds the
 *       minimal root and pivots into it (root.c), reports READY, forks
 *         payload: setsid, fds, chdir box, rlimits, the run's uid, NNP,
 *                  Landlock, seccomp, execve (both prepared here: layers.h)
 *       init reaps everything, reports the payload's status on the status
 *       pipe, exits; the kernel then kills the rest of the namespace.
 *     poll: stdout/stderr/channel pipes, status pipe, init's pidfd, a wall
 *     timerfd and a 50 ms tick (cgroup CPU, grace deadlines).
 *
 * The ladder, each rung tried for real: namespaces as root; namespaces in a
 * new user namespace (unprivileged: uid/gid maps written by us, setgroups
 * "deny" first); plain clone + setsid + a subreaper init.  What was used,
 * and why a rung was skipped, goes into result->isolation.
 *
 * Pre-exec failures come back on a CLOEXEC error pipe (end of file at
 * execve means success), as in isolate: they are the grader's failure, not
 * the student's, and make sandbox_run return -1. */
#include "sandbox.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <limits.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <dirent.h>

#include "box.h"
#include "cgroup.h"
#include "errname.h"
#include "child.h"
#include "layers.h"
#include "root.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif

#define TICK_MS 50
#define START_TIMEOUT_MS 10000 /* from clone to the payload's fork */
#define DRAIN_GRACE_MS 2000    /* pipes still open after init is gone */
#define FALLBACK_KILL_GRACE_MS 1000
#define READ_CHUNK ((size_t)64 * 1024)
/* Runs as root execute under a uid of their own from this range (isolate
 * uses 60000 up too), below systemd's DynamicUser range (61184-65519). */
#define RUN_UID_BASE 60000u
#define RUN_UID_COUNT 1024u
#define WORK_DEFAULT_BYTES ((size_t)64 << 20)
#define WORK_DEFAULT_FILES ((size_t)10000)

/* struct clone_args of <linux/sched.h>, version 2 (88 bytes: cgroup, 5.7),
 * spelled out because that header clashes with glibc's <sched.h> on some
 * systems.  Version 0 (the first 64 bytes) is what older kernels take. */
struct sb_clone_args {
    // cppcheck-suppress unusedStructMember ; the kernel reads them all
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
    // cppcheck-suppress unusedStructMember ; the kernel reads them all
    uint64_t set_tid, set_tid_size, cgroup;
};
#define SB_CLONE_ARGS_SIZE_VER0 64
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

enum mode { MODE_NS, MODE_USERNS, MODE_FALLBACK };

#define NS_FLAGS (CLONE_NEWPID | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWNS)

struct stream {
    struct sandbox_stream *s;
    size_t cap; /* 0: none */
    size_t alloc;
    int fd; /* read end, -1 at end of file */
};

struct run {
    const struct sandbox_spec *spec;
    struct sandbox_result *res;
    struct sb_box box;
    struct sb_cgroup cg;
    char *scratch; /* READ_CHUNK bytes */

    enum mode mode;
    char ns_why[96];     /* why the namespace rungs were skipped */
    char ns_reason[96];  /* the same for result->layers: "EPERM from clone" */
    const void *seccomp; /* the filter the payload loads, or NULL */
    bool seccomp_late;   /* not built yet: launch builds it after the clone */
    int landlock_fd;     /* the ruleset it enforces, or -1 */
    int landlock_abi;
    char seccomp_why[48], landlock_why[64]; /* why a layer is off */
    pid_t init_pid;
    int pidfd;
    int status_r, errpipe_r;
    struct stream st[3]; /* out, err, channel */
    char status_partial[sizeof(struct sb_msg)];
    size_t status_have;

    bool ready;        /* init sent READY: the root is built */
    pid_t payload_pid; /* as init sees it: host pid only in MODE_FALLBACK */
    unsigned init_flags;
    unsigned init_joined;           /* the cgroups it joined itself, from READY */
    int root_step, root_err;        /* where the minimal root failed, from READY */
    int root_nro;                   /* read-only paths it binds */
    int root_nhide;                 /* and directories it shows empty */
    uid_t uid_in_root, uid_on_host; /* the payload's uid either way (0: kept) */
    char uid_why[128];              /* why it keeps uid 0 */
    bool payload_exited;
    int payload_status;
    struct rusage payload_ru;
    bool init_reaped;
    struct rusage init_ru;
    bool owns_netns_maker; /* started the thread making the shared network namespace */
    bool leave_sent;       /* the init was sent a way out of every cgroup of the run */
    bool init_left;        /* EXITED said the run's processes are reaped and the init is out of its cgroups */

    bool cpu_over, wall_over, output_over, killed;
    long long cpu_base_us; /* the cgroup's CPU before the payload existed (the init's set-up) */
    struct timespec t_start, t_end;
    bool t_end_set;
    long long kill_init_at_ms; /* MODE_FALLBACK: SIGKILL init if still alive then */
    long long drain_until_ms;  /* give up on open pipes then */
};

static void seterr(struct sandbox_result *res, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seterr(struct sandbox_result *res, const char *fmt, ...)
{
    if (res->error[0])
        return; /* the first error is the one that explains */
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(res->error, sizeof res->error, fmt, ap);
    va_end(ap);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static long ms_between(const struct timespec *a, const struct timespec *b)
{
    return (long)((b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000);
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        close(*fd);
        *fd = -1;
    }
}

const char *sandbox_limit_name(enum sandbox_limit limit)
{
    switch (limit) {
    case SANDBOX_LIMIT_TIME:
    case SANDBOX_LIMIT_WALL:
        return "time";
    case SANDBOX_LIMIT_MEMORY:
        return "memory";
    case SANDBOX_LIMIT_OUTPUT:
        return "output";
    case SANDBOX_LIMIT_PROCESSES:
        return "processes";
    case SANDBOX_LIMIT_FILE_SIZE:
        return "file-size";
    case SANDBOX_LIMIT_SYSCALL:
        return "syscall";
    case SANDBOX_LIMIT_NONE:
        break;
    }
    return NULL;
}

void sandbox_result_free(struct sandbox_result *result)
{
    if (!result)
        return;
    free(result->out.data);
    free(result->err.data);
    free(result->channel.data);
    result->out.data = result->err.data = result->channel.data = NULL;
    result->out.len = result->err.len = result->channel.len = 0;
}

/* ---- output capture ---------------------------------------------------- */

static int stream_reserve(struct stream *b, size_t want)
{
    if (want + 1 <= b->alloc)
        return 0;
    size_t n = b->alloc < 4096 ? 4096 : b->alloc;
    while (n < want + 1)
        n = n > SIZE_MAX / 2 ? want + 1 : n * 2;
    if (b->cap && n > b->cap + 1)
        n = b->cap + 1;
    char *p = realloc(b->s->data, n);
    if (!p)
        return -1;
    b->s->data = p;
    b->alloc = n;
    return 0;
}

static void do_kill(struct run *r);

/* Reads what is there (bounded, so a flood cannot starve the timers),
 * keeping up to the cap and counting the rest. */
static void stream_drain(struct run *r, struct stream *b)
{
    for (int round = 0; round < 16 && b->fd >= 0; round++) {
        ssize_t n = read(b->fd, r->scratch, READ_CHUNK);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN)
                close_fd(&b->fd);
            return;
        }
        if (n == 0) {
            close_fd(&b->fd);
            return;
        }
        struct sandbox_stream *s = b->s;
        size_t keep = (size_t)n;
        if (b->cap && keep > b->cap - s->len)
            keep = b->cap - s->len;
        if (keep && stream_reserve(b, s->len + keep) == 0) {
            memcpy(s->data + s->len, r->scratch, keep);
            s->len += keep;
            s->data[s->len] = '\0';
        }
        s->total += (size_t)n;
        if (b->cap && s->total > b->cap && !s->truncated) {
            s->truncated = true;
            if (!r->output_over) {
                r->output_over = true;
                do_kill(r);
            }
        }
    }
}

/* ---- the status pipe ---------------------------------------------------- */

static void handle_msg(struct run *r, const struct sb_msg *m)
{
    if (m->type == SB_MSG_READY || m->type == SB_MSG_STARTED) {
        r->ready = true;
        r->init_flags = m->flags;
        r->root_step = m->root_step;
        r->root_err = m->root_err;
        if (m->type == SB_MSG_READY)
            r->init_joined = m->joined;
        if (m->type == SB_MSG_STARTED)
            r->payload_pid = m->pid;
    } else if (m->type == SB_MSG_EXITED && !r->payload_exited) {
        r->payload_exited = true;
        r->init_left = r->leave_sent && (m->flags & SB_INIT_LEFT);
        r->payload_status = m->status;
        r->payload_ru = m->ru;
        if (!r->t_end_set) {
            clock_gettime(CLOCK_MONOTONIC, &r->t_end);
            r->t_end_set = true;
        }
        /* Init exits right away with a PID namespace; without one it sweeps
         * the orphans first, which could hang on a process it cannot see
         * (no /proc): bound that. */
        if (!r->kill_init_at_ms)
            r->kill_init_at_ms = now_ms() + FALLBACK_KILL_GRACE_MS;
    }
}

static void status_drain(struct run *r)
{
    while (r->status_r >= 0) {
        ssize_t n = read(r->status_r, r->status_partial + r->status_have, sizeof(struct sb_msg) - r->status_have);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && errno == EAGAIN)
            return;
        if (n <= 0) {
            close_fd(&r->status_r);
            return;
        }
        r->status_have += (size_t)n;
        if (r->status_have == sizeof(struct sb_msg)) {
            struct sb_msg m;
            memcpy(&m, r->status_partial, sizeof m);
            r->status_have = 0;
            handle_msg(r, &m);
        }
    }
}

/* ---- killing ------------------------------------------------------------ */

static void reap_init(struct run *r, bool block)
{
    if (r->init_reaped || r->init_pid <= 0)
        return;
    int st;
    pid_t p;
    do
        p = wait4(r->init_pid, &st, block ? __WALL : (WNOHANG | __WALL), &r->init_ru);
    while (p < 0 && errno == EINTR);
    if (p == r->init_pid || (p < 0 && errno == ECHILD)) {
        r->init_reaped = true;
        if (!r->t_end_set) {
            clock_gettime(CLOCK_MONOTONIC, &r->t_end);
            r->t_end_set = true;
        }
        /* Nothing of the run may outlive init: with a PID namespace the
         * kernel saw to it, otherwise the cgroup does. */
        if (r->mode == MODE_FALLBACK)
            sb_cgroup_kill(&r->cg);
        r->drain_until_ms = now_ms() + DRAIN_GRACE_MS;
    }
}

static void kill_init(struct run *r)
{
    if (r->init_reaped || r->init_pid <= 0)
        return;
    /* The pidfd cannot hit a recycled pid; kill() is safe too as long as
     * init is our unreaped child, which it is here. */
    if (r->pidfd < 0 || syscall(SYS_pidfd_send_signal, r->pidfd, SIGKILL, NULL, 0) < 0)
        kill(r->init_pid, SIGKILL);
}

/* SIGKILL to the whole run.  In a PID namespace killing init is enough: the
 * kernel then kills every process of the namespace and refuses new forks
 * in it.  The cgroup kill covers what might have left the namespace, and
 * the fallback's process group kill what setsid has not moved away. */
static void do_kill(struct run *r)
{
    r->killed = true;
    if (r->mode != MODE_FALLBACK) {
        kill_init(r);
    } else {
        /* Init sweeps the orphans itself once the payload is dead (it is
         * their subreaper), so leave it a moment before killing it too. */
        if (r->payload_pid > 0 && !r->payload_exited) {
            kill(-r->payload_pid, SIGKILL);
            kill(r->payload_pid, SIGKILL);
        }
        if (!r->kill_init_at_ms)
            r->kill_init_at_ms = now_ms() + FALLBACK_KILL_GRACE_MS;
    }
    sb_cgroup_kill(&r->cg);
}

/* ---- launching ---------------------------------------------------------- */

/* With `cgroup_fd`, the init is created inside that v2 cgroup
 * (CLONE_INTO_CGROUP, 5.7+) and *in_cgroup says so: no migration
 * afterwards, whose write lock can wait for an RCU grace period.  Any
 * refusal (an older kernel, a cgroup that takes no processes) falls back
 * to a plain clone, and the caller moves the init as before. */
static pid_t clone_init(unsigned long flags, int *pidfd, int cgroup_fd, bool *in_cgroup)
{
    struct sb_clone_args a;
    memset(&a, 0, sizeof a);
    a.flags = flags | CLONE_PIDFD;
    a.pidfd = (uint64_t)(uintptr_t)pidfd;
    a.exit_signal = SIGCHLD;
    *pidfd = -1;
    *in_cgroup = false;
    long pid = -1;
    if (cgroup_fd >= 0) {
        a.flags |= CLONE_INTO_CGROUP;
        a.cgroup = (uint64_t)cgroup_fd;
        pid = syscall(SYS_clone3, &a, sizeof a);
        if (pid >= 0) {
            *in_cgroup = true;
            return (pid_t)pid;
        }
        a.flags &= ~(uint64_t)CLONE_INTO_CGROUP;
        a.cgroup = 0;
    }
    pid = syscall(SYS_clone3, &a, (size_t)SB_CLONE_ARGS_SIZE_VER0);
    if (pid < 0 && errno == ENOSYS) {
        /* Before 5.3, or under Docker's seccomp profile: clone(2), with the
         * same fork semantics (no new stack, no CLONE_VM). */
#if defined(__s390__) || defined(__CRIS__)
        pid = syscall(SYS_clone, 0L, (long)(flags | SIGCHLD), 0L, 0L, 0L);
#else
        pid = syscall(SYS_clone, (long)(flags | SIGCHLD), 0L, 0L, 0L, 0L);
#endif
        *pidfd = -1;
    }
    return (pid_t)pid;
}

static int write_proc(pid_t pid, const char *file, const char *text)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = strlen(text);
    ssize_t w = write(fd, text, len); /* one write: the kernel takes a map whole or not at all */
    int e = w < 0 ? errno : ((size_t)w != len ? EIO : 0);
    close(fd);
    return -e;
}

/* RLIMIT_NPROC counts every process of the real uid.  Without a PID or
 * user namespace that includes the student's browser and the grader, so
 * the limit is what is there now plus the run's allowance: approximate,
 * a backstop against fork bombs on a laptop, not a measure. */
static unsigned long count_uid_tasks(uid_t uid)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    unsigned long n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] < '1' || de->d_name[0] > '9')
            continue;
        char path[300], buf[2048];
        snprintf(path, sizeof path, "/proc/%s/status", de->d_name);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;
        ssize_t len = read(fd, buf, sizeof buf - 1);
        close(fd);
        if (len <= 0)
            continue;
        buf[len] = '\0';
        const char *u = strstr(buf, "\nUid:"), *t = strstr(buf, "\nThreads:");
        if (u && t && strtoul(u + 5, NULL, 10) == uid)
            n += strtoul(t + 9, NULL, 10);
    }
    closedir(d);
    return n;
}

static void add_rlimit(struct sb_child *c, int resource, rlim_t soft, rlim_t hard)
{
    struct rlimit cur;
    /* An unprivileged process cannot raise its hard limit: stay under it. */
    if (geteuid() != 0 && getrlimit(resource, &cur) == 0 && cur.rlim_max != RLIM_INFINITY) {
        if (hard > cur.rlim_max)
            hard = cur.rlim_max;
        if (soft > hard)
            soft = hard;
    }
    c->rl[c->nrl].resource = resource;
    c->rl[c->nrl].lim.rlim_cur = soft;
    c->rl[c->nrl].lim.rlim_max = hard;
    c->rl[c->nrl].unless_pids = false;
    c->nrl++;
}

static void build_rlimits(struct run *r, struct sb_child *c)
{
    const struct sandbox_limits *l = &r->spec->limits;
    c->nrl = 0;
    if (l->cpu_seconds > 0) {
        /* soft = limit, hard = limit + 1: SIGXCPU then means "CPU limit"
         * (DOMjudge).  Per process only: the cgroup sees the whole tree. */
        rlim_t s = (rlim_t)l->cpu_seconds;
        if ((double)s < l->cpu_seconds)
            s++; /* ceil, without libm */
        add_rlimit(c, RLIMIT_CPU, s, s + 1);
    }
    if (l->file_size_bytes)
        add_rlimit(c, RLIMIT_FSIZE, l->file_size_bytes, l->file_size_bytes);
    add_rlimit(c, RLIMIT_CORE, 0, 0);
    rlim_t nofile = 256;
    if (c->fd_chan >= 0 && (rlim_t)c->channel_fd + 1 > nofile)
        nofile = (rlim_t)c->channel_fd + 1;
    add_rlimit(c, RLIMIT_NOFILE, nofile, nofile);
    if (l->memory_bytes) {
        /* Address space is a backstop only, and generous: Python and glibc
         * reserve far more than they touch (arenas, thread stacks).  Four
         * times the limit and at least 1 GiB. */
        rlim_t as = l->memory_bytes > SIZE_MAX / 4 ? RLIM_INFINITY : (rlim_t)l->memory_bytes * 4;
        if (as < ((rlim_t)1 << 30))
            as = (rlim_t)1 << 30;
        add_rlimit(c, RLIMIT_AS, as, as);
    }
    /* Root ignores RLIMIT_NPROC, so it matters only for a payload that runs
     * as another uid.  It counts every process of that uid (in a user
     * namespace, per-userns ucounts, 5.14+): a run uid of our own has none
     * but the run's; the grader's own uid has the user's whole session. */
    uid_t payload_uid = geteuid() != 0 ? geteuid() : r->mode == MODE_FALLBACK ? c->uid_on_host : c->uid_in_root;
    if (l->processes && payload_uid != 0 && !r->cg.limits_pids) {
        /* A pids folder still to be made (sb_cgroup_finish): the init
         * skips this one once it has joined it with pids.max set, so the
         * scan of /proc that counts the uid's tasks is not worth it. */
        bool pids_pending = (r->cg.pending & (1u << SB_CG_PIDS)) != 0;
        rlim_t n = (rlim_t)l->processes + 1;
        if (!pids_pending && (r->mode == MODE_FALLBACK || geteuid() == 0))
            n += count_uid_tasks(payload_uid);
        add_rlimit(c, RLIMIT_NPROC, n, n);
        c->rl[c->nrl - 1].unless_pids = pids_pending;
    }
}

static int make_pipe(int p[2])
{
    return pipe2(p, O_CLOEXEC);
}

static void fill_layers(struct run *r);
static size_t tmp_bytes(const struct sandbox_spec *spec);
static void refuse(struct run *r);

/* The network namespace runs of this process share, one made by the
 * first such run and kept open until the process exits: a namespace is
 * 2.5% of a batch's CPU to create (setup_net) and tear down (cleanup_net,
 * in a kernel worker), and in it nothing is up, not even lo.  Only for
 * runs as root (setns needs CAP_SYS_ADMIN over it, which a run in a user
 * namespace of its own lacks) whose payload is under Landlock ABI 6 or
 * later: its scoping denies connecting to an abstract unix socket, or
 * signalling a process, of another run, the only ways left to reach one
 * from another there (seccomp allows no other socket family, and every
 * run has its own files); and Landlock refuses writes to /proc/sys, where
 * a payload that kept uid 0 could change the namespace's sysctls. */
static pthread_mutex_t shared_netns_lock = PTHREAD_MUTEX_INITIALIZER;
static int shared_netns = -1;
static bool release_registered; /* release_netns is registered with atexit */

static bool may_share_netns(const struct run *r, enum mode mode)
{
    return mode == MODE_NS && r->landlock_fd >= 0 && r->landlock_abi >= 6;
}

/* At exit, so that no descriptor is left open (valgrind's --track-fds
 * checks that the grader's are all closed). */
static void release_netns(void)
{
    pthread_mutex_lock(&shared_netns_lock);
    if (shared_netns >= 0)
        close(shared_netns);
    shared_netns = -1;
    pthread_mutex_unlock(&shared_netns_lock);
}

/* Takes the CPU we run on out of `set`; false (set unchanged) when that
 * would leave it empty or we are not in it. */
static bool drop_this_cpu(cpu_set_t *set)
{
    int here = sched_getcpu();
    if (here < 0 || here >= CPU_SETSIZE || !CPU_ISSET(here, set) || CPU_COUNT(set) < 2)
        return false;
    CPU_CLR(here, set);
    return true;
}

/* A process's first run as root has no shared network namespace yet, and
 * making one in the init's clone puts about 0.3 ms on the start-up's path
 * (clone3 with CLONE_NEWNET took 0.36 ms here, without it 0.08).  A thread
 * makes it instead (unshare moves that thread alone), while the run copies
 * its box and prepares its layers, and launch takes it as the shared one.
 * One maker at a time; a run that finds one busy makes its own as before. */
static pthread_t netns_maker;
static bool netns_maker_busy; /* under shared_netns_lock */
static int netns_made = -1;   /* the maker's result, read once it is joined */

static void *make_netns(void *unused)
{
    (void)unused;
    if (unshare(CLONE_NEWNET) == 0)
        netns_made = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    return NULL;
}

/* Starts the maker when this run will want the shared namespace
 * (may_share_netns, told before the layers are prepared) and there is
 * none; true when this run owns it (adopt_netns). */
static bool start_netns_maker(const struct sandbox_spec *spec)
{
    char why[8];
    if ((spec->disable & (SANDBOX_NO_NAMESPACES | SANDBOX_NO_LANDLOCK)) || geteuid() != 0 ||
        sb_landlock_abi(why, sizeof why) < 6)
        return false;
    pthread_mutex_lock(&shared_netns_lock);
    bool own = shared_netns < 0 && !netns_maker_busy;
    netns_maker_busy |= own;
    pthread_mutex_unlock(&shared_netns_lock);
    if (!own)
        return false;
    /* On another CPU than ours, where it starts at once (spread_init). */
    pthread_attr_t attr;
    bool attr_ok = pthread_attr_init(&attr) == 0;
    cpu_set_t cpus;
    if (attr_ok && sched_getaffinity(0, sizeof cpus, &cpus) == 0 && drop_this_cpu(&cpus))
        pthread_attr_setaffinity_np(&attr, sizeof cpus, &cpus);
    own = pthread_create(&netns_maker, attr_ok ? &attr : NULL, make_netns, NULL) == 0;
    if (attr_ok)
        pthread_attr_destroy(&attr);
    if (!own) {
        pthread_mutex_lock(&shared_netns_lock);
        netns_maker_busy = false;
        pthread_mutex_unlock(&shared_netns_lock);
    }
    return own;
}

/* Waits for the maker this run started and keeps what it made as the
 * shared namespace, unless another run's init got there first. */
static void adopt_netns(struct run *r)
{
    if (!r->owns_netns_maker)
        return;
    r->owns_netns_maker = false;
    pthread_join(netns_maker, NULL);
    pthread_mutex_lock(&shared_netns_lock);
    int fd = netns_made;
    netns_made = -1;
    netns_maker_busy = false;
    if (fd >= 0 && shared_netns < 0) {
        shared_netns = fd;
        fd = -1;
    }
    if (shared_netns >= 0 && !release_registered)
        release_registered = atexit(release_netns) == 0;
    pthread_mutex_unlock(&shared_netns_lock);
    if (fd >= 0)
        close(fd);
}

/* Keeps the init's network namespace as the shared one, if there is none
 * yet.  Called at READY: nothing of the run's payload has run in it. */
static void keep_netns(pid_t init_pid)
{
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/ns/net", (int)init_pid);
    pthread_mutex_lock(&shared_netns_lock);
    if (shared_netns < 0)
        shared_netns = open(path, O_RDONLY | O_CLOEXEC);
    if (shared_netns >= 0 && !release_registered)
        release_registered = atexit(release_netns) == 0;
    pthread_mutex_unlock(&shared_netns_lock);
}

static bool retryable(int e)
{
    return e == EPERM || e == EINVAL || e == ENOSPC || e == EUSERS || e == ENOSYS || e == EACCES;
}

/* Starts init and waits for its STARTED message.  0: running; 1: this rung
 * of the ladder does not work here (why says so), try the next; -1: fatal
 * (result->error set). */
/* Adds `dir` (absolute, strictly beneath /tmp) to what the private /tmp
 * binds back read-only, once. */
static void expose_dir(struct sb_child *c, const char *dir, size_t len)
{
    if (len <= 5 || strncmp(dir, "/tmp/", 5) != 0 || len >= sizeof c->expose[0] || c->nexpose >= SB_MAX_EXPOSE)
        return;
    for (int i = 0; i < c->nexpose; i++)
        if (strlen(c->expose[i]) == len && strncmp(c->expose[i], dir, len) == 0)
            return;
    memcpy(c->expose[c->nexpose], dir, len);
    c->expose[c->nexpose][len] = '\0';
    c->nexpose++;
}

/* The private /tmp hides the host's: what argv names beneath /tmp (an
 * interpreter installed there, a script such as the grader's runtime) is
 * bound back read-only (never a path through another run's box, which the
 * private /tmp is there to hide).  argv[0]: its installation prefix (the directory
 * above bin/), else its directory; another absolute argument: the directory
 * itself, or a file's directory. */
static void tmp_exposures(const struct sandbox_spec *spec, struct sb_child *c)
{
    for (size_t i = 0; spec->argv[i]; i++) {
        const char *a = spec->argv[i];
        /* Never another run's box: that is what a private /tmp hides. */
        if (strncmp(a, "/tmp/", 5) != 0 || strstr(a, "/../") || strstr(a, "/./") || strstr(a, "/grader-box-"))
            continue;
        struct stat st;
        if (stat(a, &st) < 0)
            continue;
        size_t len = strlen(a);
        while (len > 5 && a[len - 1] == '/')
            len--;
        if (!S_ISDIR(st.st_mode)) {
            const char *slash = memrchr(a, '/', len);
            len = (size_t)(slash - a);
            if (i == 0 && len > 4 && strncmp(a + len - 4, "/bin", 4) == 0 && len - 4 > 5)
                len -= 4;
        }
        expose_dir(c, a, len);
    }
}

/* Plans the minimal root (with a mount namespace) and picks the payload's
 * uid.  -1: a caller's read-only path is unusable (result->error set). */
static int plan_root_and_uid(struct run *r, struct sb_child *c)
{
    const struct sandbox_spec *spec = r->spec;
    static unsigned next_slot;
    uid_t run_uid = 0;
    r->uid_in_root = r->uid_on_host = 0;
    r->uid_why[0] = '\0';
    r->root_nro = r->root_nhide = 0;
    if (geteuid() != 0) {
        /* Not root: the payload runs as the caller, an unprivileged uid. */
    } else if (spec->disable & SANDBOX_NO_UID) {
        snprintf(r->uid_why, sizeof r->uid_why, "disabled");
    } else {
        unsigned slot = __atomic_fetch_add(&next_slot, 1, __ATOMIC_RELAXED);
        run_uid = RUN_UID_BASE + ((unsigned)getpid() * 131u + slot) % RUN_UID_COUNT;
    }

    bool want_root = (c->ns_flags & CLONE_NEWNS) && !(spec->disable & SANDBOX_NO_MINIMAL_ROOT);
    if (want_root) {
        bool usable = false;
        uid_t owner = run_uid ? run_uid : geteuid();
        gid_t group = run_uid ? (gid_t)run_uid : getegid();
        if (sb_root_plan(&c->root, r->box.path, spec->argv, spec->ro_paths, tmp_bytes(spec),
                         spec->work_bytes ? spec->work_bytes : WORK_DEFAULT_BYTES,
                         spec->work_files ? spec->work_files : WORK_DEFAULT_FILES, owner, group, &usable, r->res->error,
                         sizeof r->res->error) < 0 ||
            sb_root_plan_hide(&c->root, spec->hide_paths, r->res->error, sizeof r->res->error) < 0)
            return -1;
        if (run_uid && !usable) {
            /* Keep uid 0 (capabilities dropped) rather than fail to start:
             * the report says why. */
            snprintf(r->uid_why, sizeof r->uid_why, "kept uid 0: other users cannot use %.90s", spec->argv[0]);
            c->root.uid = geteuid();
            c->root.gid = getegid();
            snprintf(c->root.work_opts, sizeof c->root.work_opts, "size=%zu,nr_inodes=%zu,mode=0700",
                     spec->work_bytes ? spec->work_bytes : WORK_DEFAULT_BYTES,
                     spec->work_files ? spec->work_files : WORK_DEFAULT_FILES);
        } else if (run_uid) {
            r->uid_in_root = run_uid;
        }
        c->use_root = true;
        r->root_nro = c->root.nro;
        r->root_nhide = c->root.nhide;
        /* If the root cannot be built, the payload keeps uid 0 in the
         * host's tree: the box there is root's. */
        if (run_uid && !r->uid_why[0])
            snprintf(r->uid_why, sizeof r->uid_why, "kept uid 0: the minimal root was not built");
    } else if (run_uid) {
        /* The host's tree: the run's uid must reach the program and the
         * files argv names through the host's permissions. */
        bool usable = sb_root_host_usable(spec->argv[0], run_uid, run_uid, true);
        char err[256];
        if (!usable)
            snprintf(r->uid_why, sizeof r->uid_why, "kept uid 0: other users cannot reach %.90s", spec->argv[0]);
        else if (sb_box_give(&r->box, run_uid, run_uid, err, sizeof err) < 0)
            snprintf(r->uid_why, sizeof r->uid_why, "kept uid 0: %.100s", err);
        else
            r->uid_on_host = run_uid;
    }
    c->uid_in_root = r->uid_in_root;
    c->gid_in_root = (gid_t)r->uid_in_root;
    c->uid_on_host = r->uid_on_host;
    c->gid_on_host = (gid_t)r->uid_on_host;
    return 0;
}

/* Polls the status pipe until `*flag` (READY or STARTED seen), end of
 * file, or the start-up timeout.  0, or -1 with result->error set. */
static int wait_status(struct run *r, const void *flag, size_t size)
{
    long long deadline = now_ms() + START_TIMEOUT_MS;
    const char *f = flag;
    for (;;) {
        bool set = false;
        for (size_t i = 0; i < size; i++)
            set |= f[i] != 0;
        if (set || r->status_r < 0)
            return 0;
        long long left = deadline - now_ms();
        if (left <= 0) {
            seterr(r->res, "the sandbox's init did not start the payload within %d s", START_TIMEOUT_MS / 1000);
            return -1;
        }
        struct pollfd p = {.fd = r->status_r, .events = POLLIN};
        int pr = poll(&p, 1, (int)left);
        if (pr < 0 && errno != EINTR) {
            seterr(r->res, "poll: %s", strerror(errno));
            return -1;
        }
        if (pr > 0)
            status_drain(r);
    }
}

/* Four bytes, the mask of which cgroup descriptors follow (bit i:
 * join[i], bit SB_MAX_JOIN + i: leave[i]), whether pids.max is set,
 * whether there is a way out of every cgroup of the run, and whether a
 * network namespace comes last, then those descriptors (SCM_RIGHTS), in
 * one message on the init's socket. */
static int send_fds(int sock, const int join[SB_CG_NDIRS], const int leave[SB_CG_NDIRS], bool pids_limited,
                    bool leave_all, int netns)
{
    _Static_assert(SB_MAX_JOIN * 2 <= 8, "the mask is one byte");
    unsigned char head[4] = {0, pids_limited, leave_all, netns >= 0};
    unsigned mask = 0;
    int open_fds[SB_CG_NDIRS * 2 + 1];
    int k = 0;
    for (int i = 0; i < SB_CG_NDIRS; i++) {
        if (join[i] >= 0) {
            mask |= 1u << i;
            open_fds[k++] = join[i];
        }
    }
    for (int i = 0; i < SB_CG_NDIRS; i++) {
        if (leave[i] >= 0) {
            mask |= 1u << (SB_MAX_JOIN + i);
            open_fds[k++] = leave[i];
        }
    }
    if (netns >= 0)
        open_fds[k++] = netns;
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(sizeof(int) * (SB_CG_NDIRS * 2 + 1))];
    } ctl;
    memset(&ctl, 0, sizeof ctl);
    head[0] = (unsigned char)mask;
    struct iovec iov = {.iov_base = head, .iov_len = sizeof head};
    struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1};
    if (k > 0) {
        msg.msg_control = ctl.buf;
        msg.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)k);
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)k);
        memcpy(CMSG_DATA(cm), open_fds, sizeof(int) * (size_t)k);
    }
    return sendmsg(sock, &msg, MSG_NOSIGNAL) == (ssize_t)sizeof head ? 0 : -1;
}

/* sandbox_run calls under way in this process. */
static int runs_in_flight;

/* Where the kernel starts a forked child depends on how busy the parent's
 * CPU looks at that instant; on this project's CI machine the init is
 * mostly started on ours, and then waits there for the rest of our
 * set-up (the run's cgroup folders, the seccomp program: about 0.3 ms)
 * instead of building its root beside it.  When this is the process's only
 * run, the init is moved to our other CPUs before it first runs; it takes
 * back `ours` (c->cpus) before the payload exists.  With several runs in
 * flight (a batch) every CPU has work, and the kernel places them. */
static bool spread_init(pid_t pid, const cpu_set_t *ours)
{
    cpu_set_t others = *ours;
    return __atomic_load_n(&runs_in_flight, __ATOMIC_RELAXED) == 1 && drop_this_cpu(&others) &&
           sched_setaffinity(pid, sizeof others, &others) == 0;
}

static int launch(struct run *r, enum mode mode, char *why, size_t whylen)
{
    struct sandbox_result *res = r->res;
    const struct sandbox_spec *spec = r->spec;
    int outp[2] = {-1, -1}, errp[2] = {-1, -1}, chp[2] = {-1, -1}, stp[2] = {-1, -1}, epp[2] = {-1, -1};
    int sync[2] = {-1, -1};
    int devnull = -1;
    int rc = -1;
    bool want_chan = spec->channel_fd >= 3;

    r->mode = mode;
    if (make_pipe(outp) < 0 || make_pipe(errp) < 0 || (want_chan && make_pipe(chp) < 0) || make_pipe(stp) < 0 ||
        make_pipe(epp) < 0 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sync) < 0) {
        seterr(res, "cannot create pipes: %s", strerror(errno));
        goto out;
    }
    devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) {
        /* No /dev/null (a minimal container): an empty pipe reads as EOF too. */
        int np[2];
        if (make_pipe(np) < 0) {
            seterr(res, "cannot open /dev/null: %s", strerror(errno));
            goto out;
        }
        close(np[1]);
        devnull = np[0];
    }

    struct sb_child c;
    memset(&c, 0, sizeof c);
    c.argv = spec->argv;
    c.envp = spec->envp;
    c.cwd = r->box.path;
    c.fd_null = devnull;
    c.fd_out = outp[1];
    c.fd_err = errp[1];
    c.fd_chan = want_chan ? chp[1] : -1;
    c.channel_fd = want_chan ? spec->channel_fd : -1;
    c.fd_errpipe = epp[1];
    c.fd_status = stp[1];
    c.fd_sync = sync[1];
    c.subreaper = mode == MODE_FALLBACK;
    c.ns_flags = mode == MODE_NS ? NS_FLAGS : mode == MODE_USERNS ? (NS_FLAGS | CLONE_NEWUSER) : 0;
    c.fd_netns = -1;
    bool share_net = may_share_netns(r, mode);
    if (!share_net)
        adopt_netns(r);
    if (share_net) {
        pthread_mutex_lock(&shared_netns_lock);
        c.fd_netns = shared_netns; /* never closed while the process lives */
        pthread_mutex_unlock(&shared_netns_lock);
        if (c.fd_netns >= 0)
            c.ns_flags &= ~(unsigned long)CLONE_NEWNET;
        /* The namespace this run's maker is still making goes to the init
         * with the second message (below), and the init enters it once
         * its root is built. */
        c.netns_late = c.fd_netns < 0 && r->owns_netns_maker;
        if (c.netns_late)
            c.ns_flags &= ~(unsigned long)CLONE_NEWNET;
    }
    if (plan_root_and_uid(r, &c) < 0)
        goto out;
    build_rlimits(r, &c);
    c.fd_landlock = r->landlock_fd;
    c.landlock_abi = r->landlock_abi;
    snprintf(c.tmp_opts, sizeof c.tmp_opts, "size=%zu,mode=1777", tmp_bytes(spec));
    c.box_in_tmp = strncmp(r->box.path, "/tmp/", 5) == 0;
    c.box_in_shm = strncmp(r->box.path, "/dev/shm/", 9) == 0;
    if (c.ns_flags & CLONE_NEWNS)
        tmp_exposures(spec, &c);
    c.seccomp = r->seccomp;
    c.seccomp_late = r->seccomp_late;
    c.late_join = r->cg.pending != 0;
    c.restore_cpus = sched_getaffinity(0, sizeof c.cpus, &c.cpus) == 0;

    _Static_assert(SB_MAX_JOIN >= SB_CG_NDIRS, "one join descriptor per cgroup directory");
    int join[SB_CG_NDIRS];
    sb_cgroup_join_fds(&r->cg, join);
    for (int i = 0; i < SB_MAX_JOIN; i++)
        c.fd_join[i] = -1;
    for (int i = 0; i < SB_CG_NDIRS; i++)
        c.fd_join[i] = join[i];
    int pidfd = -1;
    bool in_cgroup = false;
    int cgfd = sb_cgroup_v2_fd(&r->cg);
    pid_t pid = clone_init(c.ns_flags, &pidfd, cgfd, &in_cgroup);
    if (pid == 0)
        sb_init_main(&c); /* the child: never returns */
    if (cgfd >= 0)
        close(cgfd);
    for (int i = 0; i < SB_CG_NDIRS; i++)
        close_fd(&join[i]);
    if (pid < 0) {
        int e = errno;
        if (mode != MODE_FALLBACK && retryable(e)) {
            snprintf(why, whylen, "clone: %s", sb_errname(e));
            rc = 1;
        } else {
            seterr(res, "cannot start the sandbox's init: %s", strerror(e));
        }
        goto out;
    }
    if (c.restore_cpus)
        spread_init(pid, &c.cpus);
    r->init_pid = pid;
    r->init_reaped = false;
    if (pidfd < 0)
        pidfd = (int)syscall(SYS_pidfd_open, pid, 0); /* may fail before 5.3: ticks then */
    r->pidfd = pidfd;
    close_fd(&outp[1]);
    close_fd(&errp[1]);
    close_fd(&chp[1]);
    close_fd(&stp[1]);
    close_fd(&epp[1]);
    close_fd(&sync[1]);
    close_fd(&devnull);

    if (mode == MODE_USERNS) {
        /* Unprivileged maps: one line, own ids only, setgroups denied
         * first (else the gid_map write fails, 3.19+). */
        char map[64];
        int e = write_proc(pid, "setgroups", "deny");
        if (e == -ENOENT)
            e = 0; /* kernels before 3.19 */
        if (e == 0) {
            snprintf(map, sizeof map, "%u %u 1\n", (unsigned)geteuid(), (unsigned)geteuid());
            e = write_proc(pid, "uid_map", map);
        }
        if (e == 0) {
            snprintf(map, sizeof map, "%u %u 1\n", (unsigned)getegid(), (unsigned)getegid());
            e = write_proc(pid, "gid_map", map);
        }
        if (e < 0) {
            snprintf(why, whylen, "uid/gid map: %s", sb_errname(-e));
            rc = 1;
            goto out;
        }
    }
    /* The first "go": the init builds the minimal root, then joins the v1
     * cgroups whose tasks files it is sent below (child.c says why not
     * us).  A v2 cgroup it was created in (clone_init).  The init is
     * trusted code until the payload starts, which waits for the second
     * "go". */
    char go = 1;
    if (send(sync[0], &go, 1, MSG_NOSIGNAL) != 1) {
        seterr(res, "the sandbox's init died before starting: %s", strerror(errno));
        goto out;
    }
    /* While the init builds the root: the run's v1 cgroup folders (about
     * 0.2 ms of cgroupfs off the start-up's path), whose tasks files it
     * joins when the root is built (child.c), the descriptors sent now
     * with a mask of which they are. */
    if (c.late_join || c.netns_late) {
        int late[SB_CG_NDIRS] = {-1, -1, -1, -1}, leave[SB_CG_NDIRS] = {-1, -1, -1, -1};
        if (c.late_join) {
            sb_cgroup_finish(&r->cg, &spec->limits);
            sb_cgroup_join_fds(&r->cg, late);
            /* With a PID namespace the init can be the run's last process,
             * and then leave the run's cgroups before it exits (child.c). */
            r->leave_sent = mode != MODE_FALLBACK && sb_cgroup_leave_fds(&r->cg, leave);
            if (!r->leave_sent)
                for (int i = 0; i < SB_CG_NDIRS; i++)
                    close_fd(&leave[i]);
        }
        int netns = -1; /* none: the init makes its own */
        if (c.netns_late) {
            adopt_netns(r);
            pthread_mutex_lock(&shared_netns_lock);
            netns = shared_netns;
            pthread_mutex_unlock(&shared_netns_lock);
        }
        if (send_fds(sync[0], late, leave, r->cg.limits_pids && spec->limits.processes, r->leave_sent, netns) < 0) {
            seterr(res, "the sandbox's init died before starting: %s", strerror(errno));
            for (int i = 0; i < SB_CG_NDIRS; i++) {
                close_fd(&late[i]);
                close_fd(&leave[i]);
            }
            goto out;
        }
        for (int i = 0; i < SB_CG_NDIRS; i++) {
            close_fd(&late[i]);
            close_fd(&leave[i]);
        }
    }
    /* The first run of a process builds the seccomp filter now, while the
     * init builds the root (about 0.15 ms of libseccomp off the start-up's
     * path), and sends it with the second "go". */
    bool send_prog = false;
    if (r->seccomp_late) {
        r->seccomp = sb_seccomp_program(r->seccomp_why, sizeof r->seccomp_why);
        r->seccomp_late = false;
        send_prog = r->seccomp != NULL;
    }
    r->status_r = stp[0];
    stp[0] = -1;
    fcntl(r->status_r, F_SETFL, O_NONBLOCK);
    /* READY: the root is built, and it says which cgroups the init could
     * not join; we move it into those (or drop them) before any student
     * code exists.  No READY: the init failed, and the wait for STARTED
     * below reads why. */
    if (wait_status(r, &r->ready, sizeof r->ready) < 0)
        goto out;
    if (r->ready) {
        r->cg.v2_placed = in_cgroup;
        r->cg.joined = r->init_joined;
        sb_cgroup_attach(&r->cg, pid);
        if (share_net && c.fd_netns < 0)
            keep_netns(pid);
    }
    if (spec->require_full && r->ready) {
        /* Everything that decides the level is known now: strict mode
         * refuses here. */
        fill_layers(r);
        if (strcmp(res->level, "full") != 0) {
            refuse(r);
            goto out;
        }
    }
    /* The second "go".  If the init is gone, its error pipe says why
     * (read below, at end of file on the status pipe). */
    if (spec->limits.cpu_seconds > 0)
        r->cpu_base_us = sb_cgroup_cpu_usec(&r->cg);
    if (send_prog) {
        const void *data;
        uint32_t len = (uint32_t)sb_seccomp_bytes(r->seccomp, &data);
        go = 2;
        /* A short send leaves the init without its program: it fails at
         * the seccomp stage, an internal error, never a run without it. */
        if (send(sync[0], &go, 1, MSG_NOSIGNAL) == 1 && send(sync[0], &len, sizeof len, MSG_NOSIGNAL) == sizeof len)
            (void)send(sync[0], data, len, MSG_NOSIGNAL);
    } else {
        (void)send(sync[0], &go, 1, MSG_NOSIGNAL);
    }
    close_fd(&sync[0]);

    /* Wait for STARTED; end of file means init failed, and the error pipe
     * says where. */
    if (wait_status(r, &r->payload_pid, sizeof r->payload_pid) < 0)
        goto out;
    if (!r->payload_pid) {
        struct sb_errmsg em = {0, 0, 0};
        reap_init(r, true);
        ssize_t n = read(epp[0], &em, sizeof em);
        if (n == (ssize_t)sizeof em && em.stage == SB_STAGE_MOUNT_PRIVATE && mode != MODE_FALLBACK) {
            snprintf(why, whylen, "mount: %s", sb_errname(em.err));
            rc = 1;
        } else if (n == (ssize_t)sizeof em) {
            seterr(res, "sandbox setup failed while %s: %s", sb_stage_name(em.stage), strerror(em.err));
        } else {
            seterr(res, "the sandbox's init exited before starting the payload");
        }
        goto out;
    }
    /* The payload is starting.  What the end of the run needs is made
     * ready now, on this side, so that the end (which the caller waits
     * for) has less to do: the counters' files are opened, and with the
     * minimal root, whose /box is a tmpfs copy of the box (root.h), the
     * host's box has served its purpose and goes.  A failure to remove it
     * is reported when sandbox_run tries again at the end. */
    sb_cgroup_open_counters(&r->cg);
    if (r->init_flags & SB_INIT_ROOT) {
        char ignored[8];
        (void)sb_box_remove(&r->box, ignored, sizeof ignored);
    }
    r->errpipe_r = epp[0];
    epp[0] = -1;
    r->st[0].fd = outp[0];
    r->st[1].fd = errp[0];
    r->st[2].fd = chp[0];
    outp[0] = errp[0] = chp[0] = -1;
    for (int i = 0; i < 3; i++)
        if (r->st[i].fd >= 0)
            fcntl(r->st[i].fd, F_SETFL, O_NONBLOCK);
    fcntl(r->errpipe_r, F_SETFL, O_NONBLOCK);
    rc = 0;
out:
    if (rc != 0 && r->init_pid > 0 && !r->init_reaped) {
        kill_init(r);
        reap_init(r, true);
    }
    if (rc != 0) {
        close_fd(&r->pidfd);
        close_fd(&r->status_r);
        r->init_pid = 0;
        r->init_reaped = false;
        r->payload_pid = 0;
        r->ready = false;
        r->status_have = 0;
        r->t_end_set = false; /* reaping this init timed no payload */
    }
    int *all[] = {&outp[0], &outp[1], &errp[0], &errp[1], &chp[0],  &chp[1], &stp[0],
                  &stp[1],  &epp[0],  &epp[1],  &sync[0], &sync[1], &devnull};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        close_fd(all[i]);
    return rc;
}

/* ---- supervising -------------------------------------------------------- */

static int arm(int tfd, long long first_ms, long long interval_ms)
{
    struct itimerspec its;
    memset(&its, 0, sizeof its);
    its.it_value.tv_sec = first_ms / 1000;
    its.it_value.tv_nsec = (first_ms % 1000) * 1000000;
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0)
        its.it_value.tv_nsec = 1;
    its.it_interval.tv_sec = interval_ms / 1000;
    its.it_interval.tv_nsec = (interval_ms % 1000) * 1000000;
    return timerfd_settime(tfd, 0, &its, NULL);
}

static void on_tick(struct run *r)
{
    const struct sandbox_limits *l = &r->spec->limits;
    if (!r->init_reaped && !r->cpu_over && l->cpu_seconds > 0) {
        /* Past the limit by the payload's tree alone, and by more than a
         * tick: a single process meets RLIMIT_CPU first (SIGXCPU, exact
         * and the same on every host); this catches CPU spread over many
         * processes, each under its own rlimit. */
        long long us = sb_cgroup_cpu_usec(&r->cg);
        long long base = r->cpu_base_us > 0 ? r->cpu_base_us : 0;
        if (us >= 0 && (double)(us - base) > l->cpu_seconds * 1e6 + TICK_MS * 1000.0) {
            r->cpu_over = true;
            do_kill(r);
        }
    }
    if (r->pidfd < 0)
        reap_init(r, false);
    long long t = now_ms();
    if (r->kill_init_at_ms && t >= r->kill_init_at_ms && !r->init_reaped)
        kill_init(r);
    if (r->init_reaped && r->drain_until_ms && t >= r->drain_until_ms) {
        /* Something outside init's reach still holds a pipe (possible only
         * without a PID namespace and cgroup).  Stop waiting for it. */
        sb_cgroup_kill(&r->cg);
        for (int i = 0; i < 3; i++)
            close_fd(&r->st[i].fd);
        close_fd(&r->status_r);
    }
}

static int supervise(struct run *r)
{
    const struct sandbox_limits *l = &r->spec->limits;
    int wall = -1, tick = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (tick < 0 || arm(tick, TICK_MS, TICK_MS) < 0) {
        seterr(r->res, "timerfd: %s", strerror(errno));
        close_fd(&tick);
        do_kill(r);
        reap_init(r, true);
        return -1;
    }
    if (l->wall_seconds > 0) {
        wall = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
        long long ms = (long long)(l->wall_seconds * 1000.0 + 0.999);
        if (wall < 0 || arm(wall, ms, 0) < 0) {
            seterr(r->res, "timerfd: %s", strerror(errno));
            close_fd(&wall);
            close_fd(&tick);
            do_kill(r);
            reap_init(r, true);
            return -1;
        }
    }
    for (;;) {
        /* An init that left the run's cgroups with every other process of
         * the run reaped (child.c) has nothing more to say: the run is over
         * while it still exits, and sandbox_run reaps it last. */
        bool pipes_open = r->status_r >= 0 && !r->init_left;
        for (int i = 0; i < 3; i++)
            pipes_open |= r->st[i].fd >= 0;
        if ((r->init_reaped || r->init_left) && !pipes_open)
            break;
        struct pollfd pfd[8];
        int idx[8];
        int n = 0;
        for (int i = 0; i < 3; i++)
            if (r->st[i].fd >= 0) {
                pfd[n] = (struct pollfd){.fd = r->st[i].fd, .events = POLLIN};
                idx[n++] = i;
            }
        if (r->status_r >= 0) {
            pfd[n] = (struct pollfd){.fd = r->status_r, .events = POLLIN};
            idx[n++] = 3;
        }
        if (r->pidfd >= 0 && !r->init_reaped) {
            pfd[n] = (struct pollfd){.fd = r->pidfd, .events = POLLIN};
            idx[n++] = 4;
        }
        if (wall >= 0) {
            pfd[n] = (struct pollfd){.fd = wall, .events = POLLIN};
            idx[n++] = 5;
        }
        pfd[n] = (struct pollfd){.fd = tick, .events = POLLIN};
        idx[n++] = 6;
        if (poll(pfd, (nfds_t)n, -1) < 0) {
            if (errno == EINTR)
                continue;
            seterr(r->res, "poll: %s", strerror(errno));
            do_kill(r);
            reap_init(r, true);
            break;
        }
        for (int k = 0; k < n; k++) {
            if (!pfd[k].revents)
                continue;
            uint64_t ticks;
            switch (idx[k]) {
            case 0:
            case 1:
            case 2:
                stream_drain(r, &r->st[idx[k]]);
                break;
            case 3:
                status_drain(r);
                break;
            case 4:
                reap_init(r, false);
                break;
            case 5:
                if (read(wall, &ticks, sizeof ticks) > 0 && !r->init_reaped && !r->payload_exited) {
                    r->wall_over = true;
                    do_kill(r);
                }
                close_fd(&wall);
                break;
            case 6:
                if (read(tick, &ticks, sizeof ticks) > 0)
                    on_tick(r);
                break;
            }
        }
    }
    close_fd(&wall);
    close_fd(&tick);
    return 0;
}

/* ---- verdict ------------------------------------------------------------ */

/* The last non-empty line of s (not NUL-terminated inside), as [*start, len). */
static size_t last_line(const struct sandbox_stream *s, const char **start)
{
    if (!s->data || !s->len)
        return 0;
    size_t end = s->len;
    while (end > 0 && (s->data[end - 1] == '\n' || s->data[end - 1] == '\r' || s->data[end - 1] == ' '))
        end--;
    size_t b = end;
    while (b > 0 && s->data[b - 1] != '\n')
        b--;
    *start = s->data + b;
    return end - b;
}

static bool line_has(const char *p, size_t n, const char *needle)
{
    size_t l = strlen(needle);
    for (size_t i = 0; i + l <= n; i++)
        if (memcmp(p + i, needle, l) == 0)
            return true;
    return false;
}

/* In-band: a fork refused by RLIMIT_NPROC shows only in what the program
 * prints (Python's BlockingIOError, dash's "Cannot fork", bash's "fork:"). */
static bool stderr_shows_fork_failure(const struct sandbox_stream *s)
{
    if (!s->data)
        return false;
    return strstr(s->data, "BlockingIOError: [Errno 11] Resource temporarily unavailable") ||
           strstr(s->data, "Cannot fork") || strstr(s->data, "fork: Resource temporarily unavailable") ||
           strstr(s->data, "fork: retry: Resource temporarily unavailable") ||
           strstr(s->data, "RuntimeError: can't start new thread");
}

static void verdict(struct run *r, long long cg_cpu_us, long long oom_kills, long long pids_refused)
{
    struct sandbox_result *res = r->res;
    const struct sandbox_limits *l = &r->spec->limits;
    int sig = 0;
    if (r->payload_exited) {
        int st = r->payload_status;
        if (WIFEXITED(st)) {
            res->exit_code = WEXITSTATUS(st);
        } else {
            res->exit_code = -1;
            sig = WIFSIGNALED(st) ? WTERMSIG(st) : SIGKILL;
        }
    } else {
        /* Init died before reporting: we (or the namespace teardown) killed
         * the payload. */
        res->exit_code = -1;
        sig = SIGKILL;
    }
    res->signal = sig;
    res->timed_out = r->wall_over;

    const char *ll = NULL;
    size_t lln = last_line(&res->err, &ll);
    bool memory_error = res->exit_code == 1 && lln >= 11 && memcmp(ll, "MemoryError", 11) == 0;
    bool efbig = res->exit_code > 0 && lln && line_has(ll, lln, "[Errno 27] File too large");
    bool cpu_past = l->cpu_seconds > 0 && cg_cpu_us >= 0 && (double)cg_cpu_us > l->cpu_seconds * 1e6;
    bool procs = pids_refused > 0 ||
                 (!r->cg.limits_pids && l->processes && geteuid() != 0 && stderr_shows_fork_failure(&res->err));

    if (r->cpu_over || sig == SIGXCPU || cpu_past)
        res->limit = SANDBOX_LIMIT_TIME;
    else if (r->wall_over)
        res->limit = SANDBOX_LIMIT_WALL;
    else if (oom_kills > 0 || memory_error)
        res->limit = SANDBOX_LIMIT_MEMORY;
    else if (r->output_over || res->out.truncated || res->err.truncated || res->channel.truncated)
        res->limit = SANDBOX_LIMIT_OUTPUT;
    else if (sig == SIGSYS && r->seccomp)
        res->limit = SANDBOX_LIMIT_SYSCALL;
    else if (procs)
        res->limit = SANDBOX_LIMIT_PROCESSES;
    else if (sig == SIGXFSZ || efbig)
        res->limit = SANDBOX_LIMIT_FILE_SIZE;
    else
        res->limit = SANDBOX_LIMIT_NONE;
}

static void describe(struct run *r)
{
    struct sandbox_result *res = r->res;
    char ns[128];
    if (r->mode == MODE_NS || r->mode == MODE_USERNS)
        snprintf(ns, sizeof ns, "namespaces: %spid net ipc uts mount%s%s%s", r->mode == MODE_USERNS ? "user " : "",
                 (r->init_flags & SB_INIT_ROOT) ? " +root" : "", (r->init_flags & SB_INIT_PROC) ? " +proc" : "",
                 (r->init_flags & SB_INIT_TMP) ? " +tmp" : "");
    else
        snprintf(ns, sizeof ns, "fallback: setsid + subreaper (namespaces: %.80s)", r->ns_why[0] ? r->ns_why : "off");
    /* Not the number: it differs from run to run, and results must not. */
    if (r->res->uid && geteuid() == 0) {
        size_t l = strlen(ns);
        snprintf(ns + l, sizeof ns - l, "; own uid");
    }
    char layers[128];
    char ll[24];
    snprintf(ll, sizeof ll, "ABI %d", r->landlock_abi);
    snprintf(layers, sizeof layers, "seccomp: %.47s; landlock: %.63s", r->seccomp ? "deny-list" : r->seccomp_why,
             r->landlock_fd >= 0 ? ll : r->landlock_why);
    snprintf(res->isolation, sizeof res->isolation, "%.127s; %.110s; rlimits; %s", ns, r->cg.desc, layers);
}

/* ---- the layer report --------------------------------------------------- */

static const char *const layer_names[SANDBOX_NLAYERS] = {
    [SANDBOX_LAYER_USER_NS] = "user_namespace",
    [SANDBOX_LAYER_PID_NS] = "pid_namespace",
    [SANDBOX_LAYER_MOUNT_NS] = "mount_namespace",
    [SANDBOX_LAYER_NET_NS] = "network_namespace",
    [SANDBOX_LAYER_IPC_NS] = "ipc_namespace",
    [SANDBOX_LAYER_UTS_NS] = "uts_namespace",
    [SANDBOX_LAYER_PROC] = "proc",
    [SANDBOX_LAYER_CGROUP_MEMORY] = "cgroup_memory",
    [SANDBOX_LAYER_CGROUP_PIDS] = "cgroup_pids",
    [SANDBOX_LAYER_CGROUP_CPU] = "cgroup_cpu",
    [SANDBOX_LAYER_CGROUP_KILL] = "cgroup_kill",
    [SANDBOX_LAYER_SECCOMP] = "seccomp",
    [SANDBOX_LAYER_LANDLOCK] = "landlock",
    [SANDBOX_LAYER_RLIMITS] = "rlimits",
    [SANDBOX_LAYER_PRIVATE_TMP] = "private_tmp",
    [SANDBOX_LAYER_MINIMAL_ROOT] = "minimal_root",
    [SANDBOX_LAYER_UID] = "unprivileged_uid",
};

/* The layers a "full" level needs. */
static const int required_layers[] = {SANDBOX_LAYER_PID_NS,        SANDBOX_LAYER_MOUNT_NS,   SANDBOX_LAYER_NET_NS,
                                      SANDBOX_LAYER_MINIMAL_ROOT,  SANDBOX_LAYER_UID,        SANDBOX_LAYER_SECCOMP,
                                      SANDBOX_LAYER_CGROUP_MEMORY, SANDBOX_LAYER_CGROUP_PIDS};

static void set_layer(struct sandbox_result *res, int id, bool active, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void set_layer(struct sandbox_result *res, int id, bool active, const char *fmt, ...)
{
    struct sandbox_layer *l = &res->layers[id];
    snprintf(l->name, sizeof l->name, "%s", layer_names[id]);
    l->active = active;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(l->detail, sizeof l->detail, fmt, ap);
    va_end(ap);
}

/* Why the cgroups are missing, from the cgroup description. */
static void cgroup_reason(const struct run *r, char *out, size_t len)
{
    /* desc is "no cgroups (v2: EACCES)" or "cgroup v1: ... (memory attach: EPERM)" */
    const char *d = r->cg.desc;
    int dl = (int)strlen(d);
    if (strncmp(d, "no cgroups (", 12) == 0 && dl > 12 && d[dl - 1] == ')') {
        d += 12;
        dl -= 13;
    }
    if (r->spec->disable & SANDBOX_NO_CGROUPS)
        snprintf(out, len, "disabled");
    else if (r->cg.shared)
        snprintf(out, len, "cgroup shared with other processes: run grader via systemd-run %s--scope -p Delegate=yes",
                 geteuid() == 0 ? "" : "--user ");
    else if (!sb_cgroup_active(&r->cg) && geteuid() != 0)
        snprintf(out, len, "not root and no delegated cgroup (%.*s)", dl > 60 ? 60 : dl, d);
    else
        snprintf(out, len, "unavailable (%.*s)", dl > 80 ? 80 : dl, d);
}

static void cgroup_controller(struct run *r, int id, enum sb_cg_dir v1, bool limits, bool limit_set, const char *what)
{
    struct sandbox_result *res = r->res;
    const struct sb_cgroup *cg = &r->cg;
    bool v2 = cg->v2_limits && cg->dir[SB_CG_V2][0];
    bool present = v2 || cg->dir[v1][0];
    char why[96];
    if (present && limits)
        set_layer(res, id, true, "%s%s", v2 ? "v2" : "v1", limit_set ? "" : ", accounting only (no limit set)");
    else if (present)
        set_layer(res, id, false, "the %s limit could not be written (%s)", what, v2 ? "v2" : "v1");
    else {
        cgroup_reason(r, why, sizeof why);
        set_layer(res, id, false, "%s", why);
    }
}

static size_t tmp_bytes(const struct sandbox_spec *spec)
{
    return spec->tmp_bytes ? spec->tmp_bytes : (size_t)16 << 20;
}

/* Fills result->layers and result->level from what the run has now. */
static void fill_layers(struct run *r)
{
    struct sandbox_result *res = r->res;
    const struct sandbox_spec *spec = r->spec;
    const struct sb_cgroup *cg = &r->cg;
    unsigned off = spec->disable;
    bool ns = r->mode == MODE_NS || r->mode == MODE_USERNS;
    const char *ns_reason = (off & SANDBOX_NO_NAMESPACES) ? "disabled" : r->ns_reason[0] ? r->ns_reason : "unavailable";
    char why[96];

    memset(res->layers, 0, sizeof res->layers);
    res->nlayers = SANDBOX_NLAYERS;

    /* The payload's uid: the run's own only where it was switched. */
    uid_t uid = geteuid();
    if (uid == 0)
        uid = (r->init_flags & SB_INIT_ROOT) ? r->uid_in_root : r->mode == MODE_FALLBACK ? r->uid_on_host : 0;
    res->uid = (unsigned)uid;

    if (r->mode == MODE_USERNS)
        set_layer(res, SANDBOX_LAYER_USER_NS, true, "uid %u mapped to itself", (unsigned)geteuid());
    else if (r->mode == MODE_NS)
        set_layer(res, SANDBOX_LAYER_USER_NS, false, "not needed as root");
    else if (off & (SANDBOX_NO_NAMESPACES | SANDBOX_NO_USERNS))
        set_layer(res, SANDBOX_LAYER_USER_NS, false, "disabled");
    else
        set_layer(res, SANDBOX_LAYER_USER_NS, false, "%s", ns_reason);

    for (int id = SANDBOX_LAYER_PID_NS; id <= SANDBOX_LAYER_UTS_NS; id++) {
        if (ns)
            set_layer(res, id, true, "%s", r->mode == MODE_USERNS ? "inside the user namespace" : "");
        else
            set_layer(res, id, false, "%s", ns_reason);
    }
    if (r->init_flags & SB_INIT_PROC)
        set_layer(res, SANDBOX_LAYER_PROC, true, "private /proc of the PID namespace");
    else if (!ns)
        set_layer(res, SANDBOX_LAYER_PROC, false, "no PID namespace: the host's /proc");
    else if (!r->payload_pid)
        set_layer(res, SANDBOX_LAYER_PROC, false, "not mounted: the payload was not started");
    else
        set_layer(res, SANDBOX_LAYER_PROC, false, "mount of a new procfs refused: the host's /proc");

    cgroup_controller(r, SANDBOX_LAYER_CGROUP_MEMORY, SB_CG_MEMORY, cg->limits_memory, spec->limits.memory_bytes != 0,
                      "memory");
    cgroup_controller(r, SANDBOX_LAYER_CGROUP_PIDS, SB_CG_PIDS, cg->limits_pids, spec->limits.processes != 0, "pids");
    if (cg->cpu_fd >= 0) {
        set_layer(res, SANDBOX_LAYER_CGROUP_CPU, true, "%s", cg->cpu_is_v2 ? "v2 cpu.stat" : "v1 cpuacct.usage");
    } else if (sb_cgroup_active(cg)) {
        set_layer(res, SANDBOX_LAYER_CGROUP_CPU, false, "no cpuacct or cpu.stat: rusage of the payload's tree");
    } else {
        cgroup_reason(r, why, sizeof why);
        set_layer(res, SANDBOX_LAYER_CGROUP_CPU, false, "%s", why);
    }
    if (cg->dir[SB_CG_V2][0]) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/cgroup.kill", cg->dir[SB_CG_V2]);
        if (access(path, F_OK) == 0)
            set_layer(res, SANDBOX_LAYER_CGROUP_KILL, true, "v2 cgroup.kill");
        else
            set_layer(res, SANDBOX_LAYER_CGROUP_KILL, false, "kernel lacks cgroup.kill: killing by cgroup.procs");
    } else if (sb_cgroup_active(cg) && ns) {
        set_layer(res, SANDBOX_LAYER_CGROUP_KILL, false, "not needed: the PID namespace's end kills the run");
    } else if (sb_cgroup_active(cg)) {
        set_layer(res, SANDBOX_LAYER_CGROUP_KILL, false, "no v2 cgroup: killing by cgroup.procs");
    } else {
        cgroup_reason(r, why, sizeof why);
        set_layer(res, SANDBOX_LAYER_CGROUP_KILL, false, "%s", why);
    }

    if (r->seccomp)
        set_layer(res, SANDBOX_LAYER_SECCOMP, true, "deny-list");
    else
        set_layer(res, SANDBOX_LAYER_SECCOMP, false, "%s", (off & SANDBOX_NO_SECCOMP) ? "disabled" : r->seccomp_why);
    if (r->landlock_fd >= 0)
        set_layer(res, SANDBOX_LAYER_LANDLOCK, true, "ABI %d", r->landlock_abi);
    else
        set_layer(res, SANDBOX_LAYER_LANDLOCK, false, "%s",
                  (off & SANDBOX_NO_LANDLOCK) ? "disabled"
                  : r->landlock_why[0]        ? r->landlock_why
                                              : "unavailable");

    const struct sandbox_limits *l = &spec->limits;
    set_layer(res, SANDBOX_LAYER_RLIMITS, true, "core nofile%s%s%s%s", l->cpu_seconds > 0 ? " cpu" : "",
              l->file_size_bytes ? " fsize" : "", l->memory_bytes ? " as" : "",
              (l->processes && uid != 0 && !cg->limits_pids) ? " nproc" : "");

    /* Not in required_layers: the level does not depend on it. */
    size_t tb = tmp_bytes(spec);
    char size[48];
    if (tb % ((size_t)1 << 20) == 0)
        snprintf(size, sizeof size, "%zu MiB", tb >> 20);
    else
        snprintf(size, sizeof size, "%zu bytes", tb);
    if (r->init_flags & SB_INIT_TMP)
        set_layer(res, SANDBOX_LAYER_PRIVATE_TMP, true, "tmpfs %s%s", size,
                  (r->init_flags & SB_INIT_SHM) ? "" : "; the host's /dev/shm (mount refused)");
    else if (!ns)
        set_layer(res, SANDBOX_LAYER_PRIVATE_TMP, false, "no mount namespace");
    else if (!r->payload_pid)
        set_layer(res, SANDBOX_LAYER_PRIVATE_TMP, false, "not mounted: the payload was not started");
    else
        set_layer(res, SANDBOX_LAYER_PRIVATE_TMP, false, "mount of a tmpfs refused: the host's /tmp");

    size_t wb = spec->work_bytes ? spec->work_bytes : WORK_DEFAULT_BYTES;
    if (r->init_flags & SB_INIT_ROOT)
        set_layer(res, SANDBOX_LAYER_MINIMAL_ROOT, true,
                  "pivot_root into a tmpfs; work directory tmpfs %zu MiB, %zu inodes; %d read-only path%s, %d hidden",
                  wb >> 20, spec->work_files ? spec->work_files : WORK_DEFAULT_FILES, r->root_nro,
                  r->root_nro == 1 ? "" : "s", r->root_nhide);
    else if (off & SANDBOX_NO_MINIMAL_ROOT)
        set_layer(res, SANDBOX_LAYER_MINIMAL_ROOT, false, "disabled: the host's tree");
    else if (!ns)
        set_layer(res, SANDBOX_LAYER_MINIMAL_ROOT, false, "no mount namespace: the host's tree");
    else if (!r->ready)
        set_layer(res, SANDBOX_LAYER_MINIMAL_ROOT, false, "not built: the payload was not started");
    else
        set_layer(res, SANDBOX_LAYER_MINIMAL_ROOT, false, "failed while %s (%s): the host's tree",
                  sb_root_step_name(r->root_step), sb_errname(r->root_err));

    if (uid != 0 && geteuid() != 0)
        set_layer(res, SANDBOX_LAYER_UID, true, "uid %u: the grader's own, not root", (unsigned)uid);
    else if (uid != 0)
        set_layer(res, SANDBOX_LAYER_UID, true, "a uid of the run's own (60000-61023); no capabilities");
    else if (!r->ready && r->mode != MODE_FALLBACK && r->uid_in_root)
        set_layer(res, SANDBOX_LAYER_UID, false, "not switched: the payload was not started");
    else
        set_layer(res, SANDBOX_LAYER_UID, false, "%s; no capabilities", r->uid_why[0] ? r->uid_why : "kept uid 0");

    bool full = true;
    for (size_t i = 0; i < sizeof required_layers / sizeof *required_layers; i++)
        full &= res->layers[required_layers[i]].active;
    snprintf(res->level, sizeof res->level, "%s", full ? "full" : "degraded");
}

/* Strict mode: the error names every missing layer a full level needs. */
static void refuse(struct run *r)
{
    struct sandbox_result *res = r->res;
    char msg[sizeof res->error];
    size_t n = (size_t)snprintf(msg, sizeof msg, "strict isolation refused:");
    const char *sep = " ";
    for (size_t i = 0; i < sizeof required_layers / sizeof *required_layers; i++) {
        const struct sandbox_layer *l = &res->layers[required_layers[i]];
        if (l->active || n >= sizeof msg)
            continue;
        n += (size_t)snprintf(msg + n, sizeof msg - n, "%s%s unavailable (%s)", sep, l->name, l->detail);
        sep = "; ";
    }
    seterr(res, "%s", msg);
}

/* Both layers are optional: whatever the kernel refuses is reported, never
 * fatal. */
static void prepare_layers(struct run *r)
{
    unsigned off = r->spec->disable;
    if (off & SANDBOX_NO_SECCOMP)
        snprintf(r->seccomp_why, sizeof r->seccomp_why, "off (disabled)");
    else if (sb_seccomp_built())
        r->seccomp = sb_seccomp_program(r->seccomp_why, sizeof r->seccomp_why);
    else
        r->seccomp_late = true; /* off the start-up's path: see launch */
    if (off & SANDBOX_NO_LANDLOCK) {
        snprintf(r->landlock_why, sizeof r->landlock_why, "off (disabled)");
        return;
    }
    r->landlock_abi = sb_landlock_abi(r->landlock_why, sizeof r->landlock_why);
    if (r->landlock_abi > 0)
        r->landlock_fd = sb_landlock_ruleset(r->landlock_abi, r->box.path, r->landlock_why, sizeof r->landlock_why);
}

/* ---- entry point -------------------------------------------------------- */

static int check_spec(const struct sandbox_spec *spec, struct sandbox_result *res)
{
    if (!spec || !spec->argv || !spec->argv[0] || spec->argv[0][0] != '/') {
        seterr(res, "the command must be given as an absolute path");
        return -1;
    }
    if (!spec->envp) {
        seterr(res, "the environment must be given (an empty one is fine)");
        return -1;
    }
    if (spec->channel_fd != -1 && spec->channel_fd != 0 && (spec->channel_fd < 3 || spec->channel_fd >= 1024)) {
        seterr(res, "channel_fd %d: must be -1 or between 3 and 1023", spec->channel_fd);
        return -1;
    }
    if (spec->nfiles && !spec->files) {
        seterr(res, "nfiles is %zu but files is NULL", spec->nfiles);
        return -1;
    }
    const struct sandbox_limits *l = &spec->limits;
    if (!(l->cpu_seconds >= 0) || !(l->wall_seconds >= 0) || l->cpu_seconds > 1e6 || l->wall_seconds > 1e6) {
        seterr(res, "time limits must be between 0 and 1e6 seconds");
        return -1;
    }
    return 0;
}

/* Whether the last run that wanted the minimal root got it. */
static bool last_root_built;

int sandbox_run(const struct sandbox_spec *spec, struct sandbox_result *result)
{
    memset(result, 0, sizeof *result);
    struct run *r = calloc(1, sizeof *r);
    char *scratch = malloc(READ_CHUNK);
    struct sandbox_stream *ss[3] = {&result->out, &result->err, &result->channel};
    for (int i = 0; i < 3; i++)
        ss[i]->data = calloc(1, 1);
    if (!r || !scratch || !ss[0]->data || !ss[1]->data || !ss[2]->data) {
        seterr(result, "out of memory");
        free(r);
        free(scratch);
        return -1;
    }
    if (check_spec(spec, result) < 0) {
        free(r);
        free(scratch);
        return -1;
    }
    r->spec = spec;
    r->res = result;
    r->scratch = scratch;
    r->pidfd = r->status_r = r->errpipe_r = r->landlock_fd = -1;
    sb_cgroup_reset(&r->cg);
    for (int i = 0; i < 3; i++) {
        r->st[i].s = ss[i];
        r->st[i].cap = spec->limits.output_bytes;
        r->st[i].alloc = 1;
        r->st[i].fd = -1;
    }
    int rc = -1;
    __atomic_add_fetch(&runs_in_flight, 1, __ATOMIC_RELAXED);
    r->owns_netns_maker = start_netns_maker(spec);

    /* A run that will copy its box into the minimal root stages the box
     * (box.h) when the last run of this process built that root: the
     * first run, and any after one that fell back to the host's tree,
     * keeps its box where the student's writes may have to go. */
    bool root_wanted = !(spec->disable & (SANDBOX_NO_NAMESPACES | SANDBOX_NO_MINIMAL_ROOT));
    bool staging = root_wanted && __atomic_load_n(&last_root_built, __ATOMIC_RELAXED);
    if (sb_box_create(&r->box, spec, staging, result->error, sizeof result->error) < 0)
        goto done;
    prepare_layers(r);

    enum mode ladder[3];
    int nl = 0;
    if (spec->disable & SANDBOX_NO_NAMESPACES) {
        snprintf(r->ns_why, sizeof r->ns_why, "disabled");
    } else {
        if (geteuid() == 0)
            ladder[nl++] = MODE_NS;
        if (!(spec->disable & SANDBOX_NO_USERNS))
            ladder[nl++] = MODE_USERNS;
        if (!nl)
            snprintf(r->ns_reason, sizeof r->ns_reason, "not root and user namespace disabled");
    }
    ladder[nl++] = MODE_FALLBACK;

    if (spec->disable & SANDBOX_NO_CGROUPS) {
        sb_cgroup_reset(&r->cg);
        snprintf(r->cg.desc, sizeof r->cg.desc, "no cgroups (disabled)");
    } else {
        /* A PID namespace kills the whole tree when its init ends; only
         * the fallback needs a cgroup to do it. */
        sb_cgroup_prepare(&r->cg, &spec->limits, ladder[0] != MODE_FALLBACK); /* the rest in launch */
    }
    int lr = -1;
    for (int i = 0; i < nl; i++) {
        char why[64] = "";
        lr = launch(r, ladder[i], why, sizeof why);
        if (lr != 1)
            break;
        size_t l = strlen(r->ns_why);
        snprintf(r->ns_why + l, sizeof r->ns_why - l, "%s%s", l ? ", " : "", why);
        /* "clone: EPERM" -> "EPERM from clone" */
        const char *colon = strstr(why, ": ");
        char piece[96];
        if (colon)
            snprintf(piece, sizeof piece, "%s from %.*s%s", colon + 2, (int)(colon - why), why,
                     ladder[i] == MODE_USERNS ? " in a user namespace" : "");
        else
            snprintf(piece, sizeof piece, "%s", why);
        l = strlen(r->ns_reason);
        snprintf(r->ns_reason + l, sizeof r->ns_reason - l, "%s%s", l ? "; " : "", piece);
    }
    /* The payload runs now (or never will): the once-per-process cleanup
     * of what killed graders left costs the run nothing here. */
    if (lr == 0)
        clock_gettime(CLOCK_MONOTONIC, &r->t_start);
    if (root_wanted)
        __atomic_store_n(&last_root_built, lr == 0 && (r->init_flags & SB_INIT_ROOT), __ATOMIC_RELAXED);
    sb_box_sweep_stale();
    if (!(spec->disable & SANDBOX_NO_CGROUPS))
        sb_cgroup_sweep_stale();
    if (lr == 0) {
        supervise(r);
        rc = 0;
    }
    if (r->cg.pending)
        sb_cgroup_finish(&r->cg, &spec->limits); /* no launch reached it */
    if (r->seccomp_late) {
        /* No launch reached the build (launch): say what it would be. */
        r->seccomp = sb_seccomp_program(r->seccomp_why, sizeof r->seccomp_why);
        r->seccomp_late = false;
    }
    fill_layers(r);
    describe(r);

    /* Everything of the run is dead here (init reaped, pipes at EOF).  A
     * message on the error pipe means the payload never reached execve. */
    if (r->errpipe_r >= 0) {
        struct sb_errmsg em;
        if (read(r->errpipe_r, &em, sizeof em) == (ssize_t)sizeof em) {
            if (em.stage == SB_STAGE_EXEC)
                seterr(result, "cannot execute %s: %s", spec->argv[0], strerror(em.err));
            else if (em.stage == SB_STAGE_RLIMIT)
                seterr(result, "sandbox setup failed at setrlimit(%d): %s", em.detail, strerror(em.err));
            else
                seterr(result, "sandbox setup failed while %s: %s", sb_stage_name(em.stage), strerror(em.err));
            rc = -1;
        }
    }
    if (rc == 0 && result->error[0])
        rc = -1; /* supervise() hit a system error */

    long long cpu_us = sb_cgroup_cpu_usec(&r->cg);
    long long peak = sb_cgroup_memory_peak(&r->cg);
    long long ooms = sb_cgroup_oom_kills(&r->cg);
    long long refused = sb_cgroup_pids_refused(&r->cg);
    if (lr == 0 && r->t_end_set)
        result->wall_ms = ms_between(&r->t_start, &r->t_end);
    const struct rusage *ru = r->payload_exited ? &r->payload_ru : &r->init_ru;
    result->cpu_ms = cpu_us >= 0 ? (long)(cpu_us / 1000)
                                 : (long)((ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000 +
                                          (ru->ru_utime.tv_usec + ru->ru_stime.tv_usec) / 1000);
    result->max_rss_kb = peak >= 0 ? (long)(peak / 1024) : ru->ru_maxrss;
    if (rc == 0)
        verdict(r, cpu_us, ooms, refused);

done:
    adopt_netns(r); /* a run that never launched */
    close_fd(&r->landlock_fd);
    close_fd(&r->pidfd);
    close_fd(&r->status_r);
    close_fd(&r->errpipe_r);
    for (int i = 0; i < 3; i++)
        close_fd(&r->st[i].fd);
    /* An init that left the run's cgroups is reaped after they are
     * removed: its exit (its copy of our memory, its mount namespace) goes
     * on meanwhile. */
    if (r->init_pid > 0 && !r->init_reaped && !r->init_left) {
        kill_init(r);
        reap_init(r, true);
    }
    char cleanup_err[256] = "";
    if (sb_cgroup_destroy(&r->cg, cleanup_err, sizeof cleanup_err) < 0) {
        seterr(result, "%s", cleanup_err);
        rc = -1;
    }
    cleanup_err[0] = '\0';
    if (sb_box_remove(&r->box, cleanup_err, sizeof cleanup_err) < 0) {
        seterr(result, "%s", cleanup_err);
        rc = -1;
    }
    if (r->init_pid > 0 && !r->init_reaped && !(r->init_left && spec->skip_init_reap)) {
        kill_init(r);
        reap_init(r, true);
    }
    free(r->scratch);
    free(r);
    __atomic_sub_fetch(&runs_in_flight, 1, __ATOMIC_RELAXED);
    return rc;
}
