/* child.h: the code that runs between clone and execve.
 *
 * sb_init_main runs in the freshly cloned process (PID 1 of the new PID
 * namespace when there is one).  It is a copy of one thread of a possibly
 * multi-threaded grader, so everything it and the payload do must be
 * async-signal-safe: no malloc, no stdio, no locks, only system calls on
 * data prepared before the clone (struct sb_child). */
#ifndef GRADER_SANDBOX_CHILD_H
#define GRADER_SANDBOX_CHILD_H

#include <sched.h>
#include <stdbool.h>
#include <sys/resource.h>
#include <sys/types.h>

#include "root.h"

/* Where a pre-exec step failed; sent on the error pipe. */
enum sb_stage {
    SB_STAGE_NONE,
    SB_STAGE_MOUNT_PRIVATE, /* init: making mounts private in the mount ns */
    SB_STAGE_FORK,          /* init: forking the payload */
    SB_STAGE_SETSID,
    SB_STAGE_FDS, /* arranging descriptors 0, 1, 2 and the channel */
    SB_STAGE_CHDIR,
    SB_STAGE_RLIMIT,
    SB_STAGE_ROOT, /* init: the minimal root, past the point of undoing */
    SB_STAGE_UID,  /* payload: switching to the run's uid */
    SB_STAGE_PRCTL,
    SB_STAGE_LANDLOCK,
    SB_STAGE_SECCOMP,
    SB_STAGE_EXEC,
    SB_STAGE_NETNS, /* init: entering the network namespace runs share */
    SB_STAGE_COUNT
};

struct sb_errmsg {
    int stage;  /* enum sb_stage */
    int err;    /* errno */
    int detail; /* the resource for SB_STAGE_RLIMIT, the step for SB_STAGE_ROOT */
};

/* Sent by init on the status pipe. */
enum { SB_MSG_STARTED = 1, SB_MSG_EXITED = 2, SB_MSG_READY = 3 };
#define SB_INIT_PROC 1u     /* a fresh /proc was mounted for the PID ns */
#define SB_INIT_HOSTNAME 2u /* the UTS ns got its own host name */
#define SB_INIT_TMP 4u      /* a private tmpfs is on /tmp (box bound back in) */
#define SB_INIT_SHM 8u      /* a private tmpfs is on /dev/shm */
#define SB_INIT_ROOT 16u    /* the payload runs in the minimal root (root.h) */
#define SB_INIT_LEFT                                                                                                   \
    32u /* EXITED: the run's other processes are reaped too,                                                           \
           and init is out of every cgroup of the run */
struct sb_msg {
    int type;
    int pid;          /* STARTED: the payload's pid as init sees it */
    int status;       /* EXITED: the payload's wait status */
    unsigned flags;   /* READY, STARTED: SB_INIT_*; EXITED: SB_INIT_LEFT or 0 */
    int root_step;    /* READY, STARTED: where the minimal root failed (enum sb_root_step), 0 */
    int root_err;     /* READY, STARTED: its errno */
    unsigned joined;  /* READY: bit i set when writing to fd_join[i] worked */
    struct rusage ru; /* EXITED: every child init reaped so far (with
                         SB_INIT_LEFT: every process the run had) */
};

#define SB_MAX_EXPOSE 4
#define SB_MAX_JOIN 4
/* The largest seccomp program sent with the second "go" (BPF_MAXINSNS
 * instructions of 8 bytes). */
#define SB_SECCOMP_MAX_BYTES (4096 * 8)

struct sb_rlim {
    int resource;
    struct rlimit lim;
    bool unless_pids; /* skipped when the init joined a pids cgroup with pids.max set */
};

struct sb_child {
    const char *const *argv;
    const char *const *envp;
    const char *cwd;
    /* Descriptors in the supervisor's numbering (all O_CLOEXEC there). */
    int fd_null, fd_out, fd_err, fd_chan; /* fd_chan: -1 without a channel */
    int channel_fd;                       /* its number in the payload */
    int fd_errpipe, fd_status, fd_sync;
    /* cgroup files init writes "0" into to join them before anything else
     * (v1 `tasks` files: cgroup.h's sb_cgroup_join_fds); -1 where unused. */
    int fd_join[SB_MAX_JOIN];
    unsigned long ns_flags; /* CLONE_NEW* the init was created with */
    int fd_netns;           /* -1, or the network namespace to enter (setns)
                               instead of CLONE_NEWNET: sandbox.c's shared one */
    bool subreaper;         /* no PID ns: init must sweep orphans itself */
    struct sb_rlim rl[8];
    int nrl;
    int fd_landlock;   /* -1, or a Landlock ruleset to enforce */
    int landlock_abi;  /* its ABI, for the rules init adds */
    char tmp_opts[64]; /* tmpfs options of the private /tmp */
    bool box_in_tmp;   /* cwd (the box) is beneath /tmp */
    bool box_in_shm;   /* cwd (the box) is beneath /dev/shm (staged, box.h) */
    /* Host directories beneath /tmp that argv names (the interpreter's
     * prefix, a script's directory): bound back read-only into the
     * private /tmp at their own paths. */
    char expose[SB_MAX_EXPOSE][4096];
    int nexpose;
    const void *seccomp; /* NULL, or the struct sock_fprog to load */
    bool seccomp_late;   /* NULL because the program comes with the second "go" */
    bool late_join;      /* the cgroup tasks files to join come after the first "go" */
    bool netns_late;     /* no CLONE_NEWNET: the network namespace to enter comes
                            after the first "go" too (or none: make one) */
    bool restore_cpus;   /* take `cpus` (the supervisor's) back before the payload */
    cpu_set_t cpus;
    bool use_root; /* build `root` and pivot into it */
    struct sb_root root;
    /* The payload's uid and gid (0: keep the grader's) in the minimal
     * root, and without one (where the host's permissions must let it
     * reach the interpreter). */
    uid_t uid_in_root, uid_on_host;
    gid_t gid_in_root, gid_on_host;
};

const char *sb_stage_name(int stage);

/* Never returns. */
_Noreturn void sb_init_main(const struct sb_child *c);

#endif
