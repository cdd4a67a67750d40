/* sandbox.h: run one command on untrusted input, contained and measured.
 *
 * The sandbox knows nothing of rubrics or Python: it copies files into a
 * fresh private work directory ("box"), runs argv there with a rebuilt
 * environment and limits, captures stdout, stderr and an optional side
 * channel up to caps, kills the whole process tree at the end, removes the
 * box, and reports what happened.  Layers are tried and used when the
 * machine allows them; result->isolation says which were active. */
#ifndef GRADER_SANDBOX_H
#define GRADER_SANDBOX_H

#include <stdbool.h>
#include <stddef.h>

enum sandbox_limit {
    SANDBOX_LIMIT_NONE = 0,
    SANDBOX_LIMIT_TIME,      /* CPU time */
    SANDBOX_LIMIT_WALL,      /* wall-clock timeout */
    SANDBOX_LIMIT_MEMORY,
    SANDBOX_LIMIT_OUTPUT,
    SANDBOX_LIMIT_PROCESSES,
    SANDBOX_LIMIT_FILE_SIZE,
};

struct sandbox_limits {
    double cpu_seconds;        /* 0: no limit */
    double wall_seconds;       /* 0: no limit */
    size_t memory_bytes;       /* 0: no limit */
    unsigned processes;        /* 0: no limit; processes+threads of the run */
    size_t file_size_bytes;    /* 0: no limit; largest file the run may write */
    size_t output_bytes;       /* 0: no limit; per captured stream */
};

/* A file copied into the box: `source` (never followed if it is a symbolic
 * link) becomes box/`name`. */
struct sandbox_file {
    const char *source;
    const char *name;
};

struct sandbox_spec {
    const char *const *argv;     /* argv[0]: absolute path of the program */
    const char *const *envp;     /* the whole environment; nothing is inherited */
    const char *copy_dir;        /* NULL, or a directory copied recursively into
                                    the box (symbolic links are copied as links,
                                    never followed) */
    const struct sandbox_file *files; /* extra files, copied after copy_dir */
    size_t nfiles;
    size_t copy_max_bytes;       /* 0: 64 MiB; refuse bigger submissions */
    int channel_fd;              /* -1, or the fd number (>= 3) at which the
                                    run gets the write end of a private pipe,
                                    captured into result->channel */
    struct sandbox_limits limits;
};

struct sandbox_stream {
    char *data;         /* NUL-terminated; at most the cap */
    size_t len;         /* bytes kept */
    size_t total;       /* bytes the run wrote, kept or not */
    bool truncated;
};

struct sandbox_result {
    int exit_code;              /* -1 when killed by a signal */
    int signal;                 /* 0 unless killed by a signal */
    bool timed_out;             /* wall-clock timeout */
    enum sandbox_limit limit;   /* the first limit hit, or NONE */
    long wall_ms, cpu_ms, max_rss_kb;
    struct sandbox_stream out, err, channel;
    char isolation[256];        /* e.g. "pid,net,ipc,uts,mount namespaces; cgroup pids+memory; rlimits" */
    char error[512];            /* set when sandbox_run fails */
};

/* Runs the spec.  Returns 0 when the command was started and its outcome is
 * in *result (whatever that outcome: a crash or a limit is not an error),
 * -1 when the sandbox itself could not do its job (result->error says why;
 * no process is left behind either way).  *result must be zeroed or freed
 * before the call. */
int sandbox_run(const struct sandbox_spec *spec, struct sandbox_result *result);

void sandbox_result_free(struct sandbox_result *result);

/* "time", "wall", "memory", "output", "processes", "file-size" or NULL. */
const char *sandbox_limit_name(enum sandbox_limit limit);
#endif
