#include "runs.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <sys/random.h>
#include <unistd.h>

/* The probe writes its record on this descriptor; stdout and stderr stay the
 * student's.  Any number >= 3 works; 3 is what PROTOCOL.md documents. */
#define PROBE_FD 3
#define PROBE_MARK "GRADER-PROBE "
/* The token reaches the runtime as a file in the box that it reads and
 * deletes before student code runs: an environment variable would stay
 * readable in /proc/self/environ, letting a submission forge a record. */
#define TOKEN_FILE ".grader-probe-token"

struct run_job {
    struct sandbox_spec spec;
    struct run_record *record;
    const char *argv[8]; /* python -E -s -B [probe] entry NULL */
    const char *envp[12];
    char env_fd[32];
    char env_code[PATH_MAX + 32];
    char env_block[128];
    char env_token[64];
    struct sandbox_file files[2];
    const char *ro_paths[2]; /* the precompiled runtime, read-only in the root */
    const char *hide_paths[PYTHON_MAX_SITE_DIRS + 1];
    int rc;
};

static void *run_thread(void *arg)
{
    struct run_job *job = arg;
    job->rc = sandbox_run(&job->spec, &job->record->sb);
    return NULL;
}

static void make_token(char out[33])
{
    unsigned char raw[16];
    if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) {
        /* Not secret, only unguessable enough that a student's stray write
         * to fd 3 is not taken for the record: fall back to the address
         * space layout and the clock. */
        unsigned long long seed = (unsigned long long)(uintptr_t)out ^ (unsigned long long)time(NULL);
        memcpy(raw, &seed, sizeof seed);
        memcpy(raw + 8, &seed, sizeof seed);
    }
    for (size_t i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
}

json_t *runs_parse_channel(const char *data, size_t len, bool truncated, const char *token, char *why, size_t whylen)
{
    char prefix[96];
    snprintf(prefix, sizeof prefix, PROBE_MARK "%s ", token);
    size_t plen = strlen(prefix);
    const char *p = data, *end = data + len, *found = NULL;
    size_t found_len = 0, matches = 0;
    while (p && p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t linelen = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (linelen > plen && memcmp(p, prefix, plen) == 0 && matches++ == 0) {
            found = p + plen;
            found_len = linelen - plen;
        }
        p = nl ? nl + 1 : end;
    }
    if (matches > 1) {
        /* The runtime writes exactly one record; a second one means the
         * submission learned the token and wrote to the channel. */
        snprintf(why, whylen,
                 "the runtime's channel holds %zu records instead of one: the submission wrote to it, "
                 "so none of them is trusted",
                 matches);
        return NULL;
    }
    if (found) {
        json_error_t jerr;
        json_t *rec = json_loadb(found, found_len, 0, &jerr);
        if (!rec || !json_is_object(rec)) {
            json_decref(rec);
            snprintf(why, whylen, "the runtime's record is unreadable (%s)%s", jerr.text,
                     truncated ? "; it was cut at the output limit" : "");
            return NULL;
        }
        return rec;
    }
    snprintf(why, whylen, "the runtime wrote no record%s", truncated ? " (its channel hit the output limit)" : "");
    return NULL;
}

static void read_probe_record(struct run_record *rec, const char *token)
{
    const struct sandbox_stream *ch = &rec->sb.channel;
    if (!ch->data || ch->len == 0) {
        snprintf(rec->probe_error, sizeof rec->probe_error,
                 "the instrumented run ended before the runtime could report (exit code %d, signal %d)",
                 rec->sb.exit_code, rec->sb.signal);
        return;
    }
    rec->probe = runs_parse_channel(ch->data, ch->len, ch->truncated, token, rec->probe_error, sizeof rec->probe_error);
}

/* A student's folder is often a git work tree: its history is not part of
 * the submission, and copying it could exceed the copy limits. */
static const char *const skip_names[] = {".git", NULL};

int runs_execute(const struct runs_config *cfg, struct run_record records[RUN_KINDS], char *err, size_t errlen)
{
    static const char *const names[RUN_KINDS] = {"before", "after", "probe"};
    const struct rubric *rb = cfg->rubric;
    const char *entry = rb->entry;
    struct sandbox_limits limits = {
        .cpu_seconds = rb->limits.cpu_seconds,
        .wall_seconds = rb->limits.wall_seconds,
        .memory_bytes = (size_t)(rb->limits.memory_mb * 1024 * 1024),
        .processes = rb->limits.processes,
        .file_size_bytes = (size_t)(rb->limits.file_size_mb * 1024 * 1024),
        .output_bytes = (size_t)(rb->limits.output_kb * 1024),
    };
    char token[33];
    make_token(token);
    struct run_job jobs[RUN_KINDS];
    memset(jobs, 0, sizeof jobs);
    bool skip[RUN_KINDS] = {false};
    skip[RUN_BEFORE_KIND] = cfg->shared_before != NULL;
    skip[RUN_AFTER_KIND] = skip[RUN_PROBE_KIND] = cfg->before_only;
    for (int k = 0; k < RUN_KINDS; k++) {
        struct run_job *job = &jobs[k];
        struct run_record *rec = &records[k];
        memset(rec, 0, sizeof *rec);
        rec->name = names[k];
        job->record = rec;
        if (skip[k])
            continue;
        size_t a = 0, e = 0;
        job->argv[a++] = cfg->python->executable;
        /* -E: ignore PYTHON* variables; -s: no user site-packages; -B: no
         * __pycache__ writes.  Never -I: on 3.11+ it implies -P and the
         * script's folder leaves sys.path, breaking sibling imports. */
        job->argv[a++] = "-E";
        job->argv[a++] = "-s";
        job->argv[a++] = "-B";
        if (k == RUN_PROBE_KIND)
            job->argv[a++] = cfg->probe_script;
        job->argv[a++] = entry;
        job->argv[a] = NULL;
        job->envp[e++] = "PATH=/usr/local/bin:/usr/bin:/bin";
        job->envp[e++] = "HOME=/tmp";
        job->envp[e++] = "LANG=C.UTF-8";
        job->envp[e++] = "LC_ALL=C.UTF-8";
        /* Without it each thread's malloc arena reserves 64 MiB of address
         * space, and a few threads meet the address-space backstop. */
        job->envp[e++] = "MALLOC_ARENA_MAX=2";
        if (k == RUN_PROBE_KIND) {
            snprintf(job->env_fd, sizeof job->env_fd, "GRADER_PROBE_FD=%d", PROBE_FD);
            snprintf(job->env_token, sizeof job->env_token, "GRADER_PROBE_TOKEN_FILE=%s", TOKEN_FILE);
            job->envp[e++] = job->env_fd;
            job->envp[e++] = job->env_token;
            if (rb->guard_block) {
                /* GRADER_PROBE_BLOCK=network,ctypes: the audit hook refuses these. */
                size_t used = (size_t)snprintf(job->env_block, sizeof job->env_block, "GRADER_PROBE_BLOCK=");
                for (unsigned bit = 0; rubric_guard_name(bit); bit++)
                    if (rb->guard_block & (1u << bit))
                        used += (size_t)snprintf(job->env_block + used, sizeof job->env_block - used, "%s%s",
                                                 job->env_block[used - 1] == '=' ? "" : ",", rubric_guard_name(bit));
                job->envp[e++] = job->env_block;
            }
            if (cfg->probe_code) {
                snprintf(job->env_code, sizeof job->env_code, "GRADER_PROBE_CODE=%s", cfg->probe_code);
                job->envp[e++] = job->env_code;
                job->ro_paths[0] = cfg->probe_code;
                job->spec.ro_paths = job->ro_paths;
            }
        }
        job->envp[e] = NULL;
        job->spec.argv = job->argv;
        job->spec.envp = job->envp;
        job->spec.limits = limits;
        if (!rb->site_packages) {
            for (int i = 0; i < cfg->python->nsite_dirs; i++)
                job->hide_paths[i] = cfg->python->site_dirs[i];
            job->spec.hide_paths = job->hide_paths;
        }
        job->spec.require_full = cfg->require_full;
        job->spec.disable = cfg->disable;
        job->spec.channel_fd = k == RUN_PROBE_KIND ? PROBE_FD : -1;
        if (k == RUN_BEFORE_KIND) {
            job->files[0].source = cfg->baseline ? cfg->baseline : rb->baseline;
        } else {
            /* A folder is copied whole so that sibling modules import as
             * they would for the student; the entry file is then copied
             * again by name, which also covers a single-file submission. */
            job->spec.copy_dir = cfg->submission->dir;
            job->spec.copy_skip = skip_names;
            job->files[0].source = cfg->submission->entry_path;
        }
        job->files[0].name = entry;
        job->files[1].content = token;
        job->files[1].content_len = strlen(token);
        job->files[1].name = TOKEN_FILE;
        job->spec.files = job->files;
        job->spec.nfiles = k == RUN_PROBE_KIND ? 2 : 1;
    }

    pthread_t threads[RUN_KINDS];
    bool threaded[RUN_KINDS] = {false};
    if (cfg->shared_before) {
        records[RUN_BEFORE_KIND] = *cfg->shared_before;
        records[RUN_BEFORE_KIND].borrowed = true;
    }
    for (int k = 0; k < RUN_KINDS; k++) {
        if (skip[k])
            continue;
        if (pthread_create(&threads[k], NULL, run_thread, &jobs[k]) == 0)
            threaded[k] = true;
        else
            run_thread(&jobs[k]);
    }
    for (int k = 0; k < RUN_KINDS; k++)
        if (threaded[k])
            pthread_join(threads[k], NULL);

    int failed = -1;
    for (int k = 0; k < RUN_KINDS; k++) {
        struct run_record *rec = &records[k];
        if (skip[k])
            continue;
        if (jobs[k].rc != 0) {
            if (failed < 0)
                failed = k;
            continue;
        }
        rec->started = true;
        if (tm_parse_buffer(rec->sb.out.data ? rec->sb.out.data : "", rec->sb.out.len, &rec->stats) < 0) {
            snprintf(err, errlen, "out of memory while parsing the %s run's output", rec->name);
            return -1;
        }
        if (k == RUN_PROBE_KIND)
            read_probe_record(rec, token);
    }
    if (failed >= 0) {
        snprintf(err, errlen, "the sandbox could not run the %s run: %s", names[failed],
                 records[failed].sb.error[0] ? records[failed].sb.error : "unknown error");
        return -1;
    }
    return 0;
}

void runs_free(struct run_record records[RUN_KINDS])
{
    for (int k = 0; k < RUN_KINDS; k++) {
        if (records[k].borrowed) {
            memset(&records[k], 0, sizeof records[k]);
            continue;
        }
        sandbox_result_free(&records[k].sb);
        tm_stats_free(&records[k].stats);
        json_decref(records[k].probe);
        records[k].probe = NULL;
    }
}
