/* sandbox.h: run one command on untrusted input, contained and measured.
 *
 * The sandbox knows nothing of rubrics or Python: it copies files into a
 * fresh private work directory ("box"), runs argv there with a rebuilt
 * environment and limits, captures stdout, stderr and an optional side
 * channel up to caps, kills the whole process tree at the end, removes the
 * box, and reports what happened.  With a mount namespace the run sees a
 * minimal read-only root holding a tmpfs copy of the box (root.h), and the
 * box is removed as soon as the payload starts; as root the run has a uid
 * of its own.  Layers are tried and used when the
 * machine allows them; result->layers says which were active and why not. */
#ifndef GRADER_SANDBOX_H
#define GRADER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

enum sandbox_limit {
    SANDBOX_LIMIT_NONE = 0,
    SANDBOX_LIMIT_TIME, /* CPU time */
    SANDBOX_LIMIT_WALL, /* wall-clock timeout */
    SANDBOX_LIMIT_MEMORY,
    SANDBOX_LIMIT_OUTPUT,
    SANDBOX_LIMIT_PROCESSES,
    SANDBOX_LIMIT_FILE_SIZE,
    SANDBOX_LIMIT_SYSCALL, /* killed by the seccomp filter (SIGSYS) */
};

struct sandbox_limits {
    double cpu_seconds;     /* 0: no limit */
    double wall_seconds;    /* 0: no limit */
    size_t memory_bytes;    /* 0: no limit */
    unsigned processes;     /* 0: no limit; processes+threads of the run */
    size_t file_size_bytes; /* 0: no limit; largest file the run may write */
    size_t output_bytes;    /* 0: no limit; per captured stream */
};

/* A file copied into the box: `source` (never followed if it is a symbolic
 * link) becomes box/`name`; or, with source NULL, the `content_len` bytes
 * at `content` do (no file on the host to create, copy and delete). */
struct sandbox_file {
    const char *source;
    const char *name;
    const char *content;
    size_t content_len;
};

struct sandbox_spec {
    const char *const *argv;          /* argv[0]: absolute path of the program */
    const char *const *envp;          /* the whole environment; nothing is inherited */
    const char *copy_dir;             /* NULL, or a directory copied recursively into
                                         the box (symbolic links are copied as links,
                                         never followed) */
    const char *const *copy_skip;     /* NULL, or NULL-terminated names never
                                        copied from copy_dir, at any depth */
    const struct sandbox_file *files; /* extra files, copied after copy_dir */
    size_t nfiles;
    size_t copy_max_bytes; /* 0: 64 MiB; refuse bigger submissions */
    int channel_fd;        /* -1, or the fd number (>= 3, < 1024) at
                              which the run gets the write end of a
                              private pipe, captured into
                              result->channel.  0 also means none, so
                              that a zeroed spec is valid. */
    struct sandbox_limits limits;
    size_t copy_max_files;         /* 0: 10000; files, directories and links
                                      copied into the box */
    unsigned disable;              /* SANDBOX_NO_* layers not to try, for tests
                                      and for hosts where one is known broken */
    size_t tmp_bytes;              /* 0: 16 MiB; size of the run's private /tmp
                                      (a tmpfs, only with a mount namespace;
                                      the box and the directories beneath /tmp
                                      that argv names are bound back into it,
                                      the latter read-only; /dev/shm gets a
                                      private 16 MiB tmpfs too) */
    const char *const *ro_paths;   /* NULL, or NULL-terminated absolute host
                                      paths (files or directories) the run
                                      may read at the same path inside the
                                      minimal root, besides what argv names
                                      (argv[0]'s installation prefix, the
                                      directory of each other existing absolute
                                      path in argv); /etc, /proc, /sys, /dev,
                                      /run and top-level directories are
                                      refused */
    const char *const *hide_paths; /* NULL, or NULL-terminated absolute host
                                      directories the run sees empty (an
                                      interpreter's site-packages): covered
                                      by an empty read-only tmpfs in the
                                      minimal root.  Only with the minimal
                                      root: its layer's detail counts them,
                                      and without it they stay visible */
    size_t work_bytes;             /* 0: 64 MiB; size cap of the work
                                      directory (a tmpfs in the minimal root) */
    size_t work_files;             /* 0: 10000; its inode cap (the copy plus
                                      what the run creates) */
    bool skip_init_reap;           /* for a process that exits right after
                                      this run (`grader sandbox`): once the
                                      sandbox's init reports every process of
                                      the run reaped and itself out of the
                                      run's cgroups, sandbox_run returns
                                      without waiting for the init's own exit
                                      (its mount namespace's teardown, about
                                      0.2 ms), as bwrap returns before its
                                      PID 1 is gone.  The init is left an
                                      unreaped child, so a process that runs
                                      more must not set it: it would gather a
                                      zombie per run */
    bool require_full;             /* strict mode: when the isolation level
                                      would be "degraded", do not run the
                                      payload; sandbox_run returns -1, error
                                      names the missing layers, and
                                      result->layers/level are still filled */
};

/* sandbox_spec.disable bits.  Each layer is tried by default and skipped,
 * with the reason in result->isolation, when the machine refuses it. */
#define SANDBOX_NO_NAMESPACES 1u    /* plain fork + setsid + subreaper */
#define SANDBOX_NO_USERNS 2u        /* do not try an unprivileged user namespace */
#define SANDBOX_NO_CGROUPS 4u       /* rlimits only */
#define SANDBOX_NO_SECCOMP 8u       /* no system call deny-list */
#define SANDBOX_NO_LANDLOCK 16u     /* no Landlock file system / network rules */
#define SANDBOX_NO_MINIMAL_ROOT 32u /* keep the host's tree (private /tmp only) */
#define SANDBOX_NO_UID 64u          /* as root, keep uid 0 (capabilities still dropped) */

struct sandbox_stream {
    char *data;   /* NUL-terminated; at most the cap */
    size_t len;   /* bytes kept */
    size_t total; /* bytes the run wrote, kept or not */
    bool truncated;
};

/* One isolation layer of a run, in result->layers.  Always SANDBOX_NLAYERS
 * entries, in this fixed order and with these names:
 *   "user_namespace", "pid_namespace", "mount_namespace",
 *   "network_namespace", "ipc_namespace", "uts_namespace", "proc",
 *   "cgroup_memory", "cgroup_pids", "cgroup_cpu", "cgroup_kill",
 *   "seccomp", "landlock", "rlimits", "private_tmp", "minimal_root",
 *   "unprivileged_uid".
 * active=false: detail says why ("disabled", "EPERM from clone",
 * "not needed as root", ...).  active=true: detail may add facts ("v2",
 * "ABI 7", ...) or be "". */
enum sandbox_layer_id {
    SANDBOX_LAYER_USER_NS,
    SANDBOX_LAYER_PID_NS,
    SANDBOX_LAYER_MOUNT_NS,
    SANDBOX_LAYER_NET_NS,
    SANDBOX_LAYER_IPC_NS,
    SANDBOX_LAYER_UTS_NS,
    SANDBOX_LAYER_PROC,
    SANDBOX_LAYER_CGROUP_MEMORY,
    SANDBOX_LAYER_CGROUP_PIDS,
    SANDBOX_LAYER_CGROUP_CPU,
    SANDBOX_LAYER_CGROUP_KILL,
    SANDBOX_LAYER_SECCOMP,
    SANDBOX_LAYER_LANDLOCK,
    SANDBOX_LAYER_RLIMITS,
    SANDBOX_LAYER_PRIVATE_TMP,  /* tmpfs on /tmp and /dev/shm; not part of the level */
    SANDBOX_LAYER_MINIMAL_ROOT, /* pivot_root into a tmpfs root (root.h) */
    SANDBOX_LAYER_UID,          /* the payload runs as a uid other than 0 */
    SANDBOX_NLAYERS
};
#define SANDBOX_MAX_LAYERS 20

struct sandbox_layer {
    char name[24];
    bool active;
    char detail[96];
};

struct sandbox_result {
    int exit_code;            /* -1 when killed by a signal */
    int signal;               /* 0 unless killed by a signal */
    bool timed_out;           /* wall-clock timeout */
    enum sandbox_limit limit; /* the first limit hit, or NONE; in order:
                                 TIME (SIGXCPU, or the cgroup's CPU time
                                 past the limit) > WALL > MEMORY (cgroup
                                 OOM kill, or in-band: exit 1 with a last
                                 stderr line starting "MemoryError") >
                                 OUTPUT > SYSCALL (SIGSYS from the seccomp
                                 filter: ptrace, bpf, process_vm_*) >
                                 PROCESSES (pids limit refused a
                                 fork; without a pids cgroup, in-band: a
                                 fork failure message on stderr) >
                                 FILE_SIZE (SIGXFSZ, or in-band: a last
                                 stderr line with "[Errno 27] File too
                                 large", since Python ignores SIGXFSZ).
                                 In-band verdicts read what the student
                                 controls: a student can fake them, but
                                 only to their own cost. */
    long wall_ms;             /* from the payload's start to its end */
    long cpu_ms;              /* the whole run's (cgroup), else the payload
                                 tree's rusage */
    long max_rss_kb;          /* cgroup peak (page cache and the run's
                                 tmpfs files included), else the largest
                                 ru_maxrss */
    unsigned uid;             /* the uid the payload ran as (host view) */
    struct sandbox_stream out, err, channel;
    char isolation[256]; /* e.g. "namespaces: pid net ipc uts mount;
                            cgroup v1: pids memory cpuacct + v2 kill;
                            rlimits; seccomp: deny-list; landlock:
                            ABI 6" or "fallback: setsid + subreaper
                            (namespaces: EPERM); no cgroups (...);
                            rlimits; seccomp: off (disabled);
                            landlock: unavailable (EOPNOTSUPP)" */
    char error[512];     /* set when sandbox_run fails */
    struct sandbox_layer layers[SANDBOX_MAX_LAYERS];
    size_t nlayers; /* SANDBOX_NLAYERS once the layers were
                       tried; 0 when sandbox_run failed before
                       (bad spec, box copy) */
    char level[16]; /* "full": pid, mount and network namespaces,
                       the minimal root, an unprivileged uid,
                       seccomp, and cgroup memory and pids
                       control all active; else "degraded";
                       "" when nlayers is 0 */
};

/* Runs the spec.  Returns 0 when the command was started and its outcome is
 * in *result (whatever that outcome: a crash or a limit is not an error),
 * -1 when the sandbox itself could not do its job (result->error says why;
 * no process is left behind either way).  A setup step that fails before
 * execve, execve of argv[0] included, is the sandbox's failure: -1.
 * *result must be zeroed or freed before the call; on return its streams
 * are allocated (free with sandbox_result_free, even after -1).
 *
 * Thread-safe: several threads may run sandboxes at once.  The caller must
 * not reap children it did not start (waitpid(-1) or SIGCHLD set to
 * SIG_IGN would steal the run's status). */
int sandbox_run(const struct sandbox_spec *spec, struct sandbox_result *result);

void sandbox_result_free(struct sandbox_result *result);

/* "time" (TIME and WALL alike: timed_out tells them apart), "memory",
 * "output", "syscall", "processes", "file-size", or NULL for NONE. */
const char *sandbox_limit_name(enum sandbox_limit limit);
#endif
