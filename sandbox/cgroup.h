/* cgroup.h: one control group per run, for limits, accounting and a
 * whole-tree kill.
 *
 * Tried in this order, each only if it works when tried:
 *   v2   /sys/fs/cgroup is cgroup2 and our own cgroup offers memory and
 *        pids: memory.max, memory.swap.max=0, pids.max, cpu.stat,
 *        memory.events, memory.peak, cgroup.kill.  Alone in our cgroup, we
 *        move into a leaf of it to hand the controllers down (undone at
 *        exit); sharing it with other processes, we cannot (`shared`);
 *   v1   the hybrid layout: v1 pids and memory (under our own memory
 *        cgroup), and the controller-less v2 "unified" mount for
 *        cgroup.kill and cpu.stat, or v1 cpuacct for the CPU where the
 *        unified folder is not wanted (a PID namespace kills the tree) or
 *        cannot be made;
 *   none rlimits only (unprivileged without a delegated subtree).
 * Every directory is created under the cgroup /proc/self/cgroup names for
 * us, never at a hierarchy's root unless that is where we are (creating at
 * the root would escape the limits of a container or a systemd slice). */
#ifndef GRADER_SANDBOX_CGROUP_H
#define GRADER_SANDBOX_CGROUP_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sandbox.h"

enum sb_cg_dir { SB_CG_V2, SB_CG_PIDS, SB_CG_MEMORY, SB_CG_CPUACCT, SB_CG_NDIRS };

struct sb_cgroup {
    bool v2_limits;                  /* SB_CG_V2 is a full v2 cgroup with controllers */
    char dir[SB_CG_NDIRS][PATH_MAX]; /* created directories, "" when absent */
    int cpu_fd;                      /* cpuacct.usage or cpu.stat, -1 */
    int peak_fd, oom_fd, pids_fd;    /* what the run's end reads besides, -1
                                        until sb_cgroup_open_counters */
    bool cpu_is_v2;
    bool limits_memory, limits_pids; /* the limit is enforced by the cgroup */
    bool v2_placed;                  /* the init was created in dir[SB_CG_V2]: not moved there */
    unsigned joined;                 /* bit i: the init joined dir[i] itself (sb_cgroup_join_fds) */
    bool shared;                     /* none: v2 controllers need a cgroup we do not share */
    unsigned pending;                /* bit i: dir[i] named, not made yet (sb_cgroup_finish) */
    int first_err;                   /* the first failure, for desc when nothing works */
    const char *first_what;

    char desc[128]; /* for result->isolation */
};

/* No cgroups yet: every field zero, every descriptor -1. */
void sb_cgroup_reset(struct sb_cgroup *cg);

/* Creates the run's cgroups and writes the limits.  Never fails: what could
 * not be set up is left out and desc says so.  sb_cgroup_prepare then
 * sb_cgroup_finish. */
void sb_cgroup_create(struct sb_cgroup *cg, const struct sandbox_limits *lim);

/* What must exist before the init is cloned: all of v2 (the init is created
 * in its cgroup), or on v1 the unified folder; the v1 folders are only
 * named (bits in `pending`), so that the supervisor makes them while the
 * init builds its root (sandbox.c's launch).  `kill_elsewhere`: the caller
 * kills the run's whole tree by other means (a PID namespace ends with
 * every process in it), so on v1 the unified folder is made only when
 * there is no cpuacct to count the CPU. */
void sb_cgroup_prepare(struct sb_cgroup *cg, const struct sandbox_limits *lim, bool kill_elsewhere);

/* Makes the pending v1 folders, writes their limits, completes desc. */
void sb_cgroup_finish(struct sb_cgroup *cg, const struct sandbox_limits *lim);

/* Removes the run cgroups that graders killed with SIGKILL left in our
 * cgroups (their names carry the pid).  Once per process; called while the
 * first run's payload runs, off the start-up's path. */
void sb_cgroup_sweep_stale(void);

/* dir[SB_CG_V2] open for CLONE_INTO_CGROUP, or -1 (none, or unopenable). */
int sb_cgroup_v2_fd(const struct sb_cgroup *cg);

/* Opens the `tasks` file of each v1 cgroup of the run for writing (fds[i]
 * for dir[i], -1 where there is none or it cannot be opened), for the init
 * to join by writing "0" (see sandbox.c's launch): moving oneself, one
 * thread, skips the global lock a move by pid takes.  The kernel checks the
 * credentials the file was opened with, so the init needs no rights of its
 * own.  The caller closes the descriptors. */
void sb_cgroup_join_fds(const struct sb_cgroup *cg, int fds[SB_CG_NDIRS]);

/* Opens, for each v1 cgroup of the run, the `tasks` file of the cgroup it
 * is made in (ours), for the init to leave the run's by writing "0" once
 * the run's processes are gone (sandbox.c's launch): the run's cgroups can
 * then be removed while the init's own exit is still going on.  True when
 * every one opened and the run has no v2 cgroup (which the init, created
 * in it, cannot leave without the lock a move by pid takes).  The caller
 * closes the descriptors. */
bool sb_cgroup_leave_fds(const struct sb_cgroup *cg, int fds[SB_CG_NDIRS]);

/* Moves `pid` into every cgroup of the run it is not already in (not
 * dir[SB_CG_V2] when v2_placed, nor a dir whose bit is set in joined).  A
 * cgroup that refuses is dropped (and said in desc); returns how many
 * remain. */
int sb_cgroup_attach(struct sb_cgroup *cg, pid_t pid);

bool sb_cgroup_active(const struct sb_cgroup *cg);
/* Opens the files read once the run is over (peak memory, OOM kills,
 * refused forks), after sb_cgroup_attach: called while the payload starts,
 * so that the end of the run, which the caller waits for, opens nothing.
 * The readers below open the file themselves when this was not called. */
void sb_cgroup_open_counters(struct sb_cgroup *cg);

/* CPU time of everything in the run so far in microseconds, or -1. */
long long sb_cgroup_cpu_usec(struct sb_cgroup *cg);
/* Peak memory in bytes, or -1. */
long long sb_cgroup_memory_peak(const struct sb_cgroup *cg);
/* How many processes the kernel's OOM killer killed in the run. */
long long sb_cgroup_oom_kills(const struct sb_cgroup *cg);
/* How many forks or clones the pids limit refused. */
long long sb_cgroup_pids_refused(const struct sb_cgroup *cg);

/* SIGKILLs everything in the run's cgroups once (cgroup.kill, else by
 * cgroup.procs).  Async-signal-unsafe but cheap; used while supervising. */
void sb_cgroup_kill(struct sb_cgroup *cg);

/* Kills what is left, waits for the cgroups to empty and removes them,
 * retrying for up to two seconds.  0, or -1 with err set when a directory
 * could not be removed. */
int sb_cgroup_destroy(struct sb_cgroup *cg, char *err, size_t errlen);

#endif
