/* cgroup.c: per-run control groups (see cgroup.h for the order tried).
 *
 * Hierarchies are found from /proc/self/mountinfo and our place in each from
 * /proc/self/cgroup, as isolate and nsjail do, rather than assuming
 * /sys/fs/cgroup/<controller>: hybrid hosts, combined "cpu,cpuacct" mounts
 * and containers all differ.  On the hybrid layout the memory limit goes
 * into memory.limit_in_bytes *and* memory.memsw.limit_in_bytes when the
 * latter exists, otherwise swap silently extends the limit (snekbox PR#31).
 * The v2 unified mount, even without controllers, still gives cgroup.kill,
 * which kills a forking tree atomically where a cgroup.procs loop races. */
#include "cgroup.h"
#include "errname.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

struct hier {
    char mount[PATH_MAX]; /* where the hierarchy is mounted */
    char mroot[PATH_MAX]; /* which of its cgroups the mount shows */
    char self[PATH_MAX];  /* our cgroup in it, from /proc/self/cgroup */
    bool mounted, placed;
};

/* The only state shared between runs: a counter that makes cgroup names
 * unique within the process, next to the pid and random bits. */
static atomic_uint cg_counter;

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
    char *w = s;
    for (char *r = s; *r;) {
        if (r[0] == '\\' && r[1] >= '0' && r[1] <= '7' && r[2] >= '0' && r[2] <= '7' && r[3] >= '0' && r[3] <= '7') {
            *w++ = (char)((r[1] - '0') * 64 + (r[2] - '0') * 8 + (r[3] - '0'));
            r += 4;
        } else {
            *w++ = *r++;
        }
    }
    *w = '\0';
}

static bool has_token(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = list; *p;) {
        size_t l = strcspn(p, ",");
        if (l == n && strncmp(p, tok, n) == 0)
            return true;
        p += l + (p[l] == ',');
    }
    return false;
}

static const char *const v1_names[SB_CG_NDIRS] = {NULL, "pids", "memory", "cpuacct"};

static void find_mounts(struct hier h[SB_CG_NDIRS])
{
    FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    while (getline(&line, &cap, f) > 0) {
        char *sep = strstr(line, " - ");
        if (!sep)
            continue;
        *sep = '\0';
        char fstype[32], superopts[512];
        if (sscanf(sep + 3, "%31s %*s %511s", fstype, superopts) != 2)
            continue;
        char root[PATH_MAX], mnt[PATH_MAX];
        if (sscanf(line, "%*s %*s %*s %4095s %4095s", root, mnt) != 2)
            continue;
        unescape(root);
        unescape(mnt);
        int which = -1;
        if (strcmp(fstype, "cgroup2") == 0) {
            which = SB_CG_V2;
        } else if (strcmp(fstype, "cgroup") == 0) {
            for (int i = SB_CG_PIDS; i < SB_CG_NDIRS; i++)
                if (has_token(superopts, v1_names[i]) && !h[i].mounted)
                    which = i;
        }
        if (which < 0 || h[which].mounted)
            continue;
        snprintf(h[which].mount, sizeof h[which].mount, "%s", mnt);
        snprintf(h[which].mroot, sizeof h[which].mroot, "%s", root);
        h[which].mounted = true;
        /* A combined mount (cpu,cpuacct or pids,memory) serves several. */
        if (which != SB_CG_V2)
            for (int i = SB_CG_PIDS; i < SB_CG_NDIRS; i++)
                if (i != which && !h[i].mounted && has_token(superopts, v1_names[i]))
                    h[i] = h[which];
    }
    free(line);
    fclose(f);
}

static void find_self(struct hier h[SB_CG_NDIRS])
{
    FILE *f = fopen("/proc/self/cgroup", "re");
    if (!f)
        return;
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[n - 1] = '\0';
        char *c1 = strchr(line, ':');
        char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
        if (!c2)
            continue;
        *c2 = '\0';
        const char *ctrls = c1 + 1, *path = c2 + 1;
        for (int i = 0; i < SB_CG_NDIRS; i++) {
            bool match =
                i == SB_CG_V2 ? (strncmp(line, "0:", 2) == 0 && ctrls[0] == '\0') : has_token(ctrls, v1_names[i]);
            if (!match)
                continue;
            snprintf(h[i].self, sizeof h[i].self, "%s", path);
            h[i].placed = true;
        }
    }
    free(line);
    fclose(f);
}

/* The directory of our own cgroup in hierarchy h, or -1. */
static int own_dir(const struct hier *h, char *out, size_t outlen)
{
    if (!h->mounted || !h->placed)
        return -1;
    const char *rel = h->self;
    size_t rl = strlen(h->mroot);
    if (strcmp(h->mroot, "/") != 0) {
        /* The mount shows a sub-cgroup (a container's view): our path must
         * be inside it. */
        if (strncmp(rel, h->mroot, rl) != 0 || (rel[rl] != '/' && rel[rl] != '\0'))
            return -1;
        rel += rl;
    }
    while (*rel == '/')
        rel++;
    int n = snprintf(out, outlen, "%s%s%s", h->mount, *rel ? "/" : "", rel);
    return n < 0 || (size_t)n >= outlen ? -1 : 0;
}

static int write_file(const char *dir, const char *file, const char *val)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t len = strlen(val);
    ssize_t w = write(fd, val, len);
    int e = w < 0 ? errno : 0;
    if (close(fd) < 0 && !e)
        e = errno;
    if (w >= 0 && (size_t)w != len && !e)
        e = EIO;
    return -e;
}

static ssize_t read_file(const char *dir, const char *file, char *buf, size_t len)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

/* A counter: from its descriptor when sb_cgroup_open_counters opened it. */
static ssize_t read_counter(int fd, const char *dir, const char *file, char *buf, size_t len)
{
    if (fd < 0)
        return read_file(dir, file, buf, len);
    ssize_t n = pread(fd, buf, len - 1, 0);
    if (n < 0)
        return -1;
    buf[n] = '\0';
    return n;
}

static bool file_exists(const char *dir, const char *file)
{
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return access(path, F_OK) == 0;
}

/* The number after "key " in a flat-keyed file, or -1. */
static long long keyed_value(const char *text, const char *key)
{
    size_t kl = strlen(key);
    for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL) {
        if (strncmp(p, key, kl) == 0 && p[kl] == ' ')
            return strtoll(p + kl + 1, NULL, 10);
    }
    return -1;
}

static long long read_keyed(int fd, const char *dir, const char *file, const char *key)
{
    char buf[4096];
    if (!dir[0] || read_counter(fd, dir, file, buf, sizeof buf) < 0)
        return -1;
    return keyed_value(buf, key);
}

/* Appends a word to the description, space separated. */
static void note(struct sb_cgroup *cg, const char *piece)
{
    size_t l = strlen(cg->desc);
    if (l + 2 < sizeof cg->desc)
        snprintf(cg->desc + l, sizeof cg->desc - l, "%s%s", l ? " " : "", piece);
}

/* A grader killed with SIGKILL cannot remove its run cgroups (its runs
 * die with it: PDEATHSIG, the PID namespace).  The next grader using the
 * same parent removes those of dead graders: names carry the pid. */
static void sweep_dead(const char *own)
{
    DIR *d = opendir(own);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        /* strtol, not sscanf's %d, which is undefined when the number
         * overflows. */
        long pid = strncmp(de->d_name, "grader-", 7) == 0 ? strtol(de->d_name + 7, NULL, 10) : 0;
        if (pid <= 0 || pid > INT_MAX || pid == getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char path[PATH_MAX];
        if ((size_t)snprintf(path, sizeof path, "%s/%s", own, de->d_name) < sizeof path)
            rmdir(path); /* refused while not empty: left for later */
    }
    closedir(d);
}

static void make_name(char *out, size_t len)
{
    unsigned rnd = 0;
    if (getrandom(&rnd, sizeof rnd, GRND_NONBLOCK) != (ssize_t)sizeof rnd)
        rnd = (unsigned)time(NULL) ^ (unsigned)(uintptr_t)out;
    snprintf(out, len, "grader-%d-%u-%08x", (int)getpid(), atomic_fetch_add(&cg_counter, 1), rnd);
}

static void drop_dir(struct sb_cgroup *cg, int i)
{
    if (cg->dir[i][0])
        rmdir(cg->dir[i]);
    cg->dir[i][0] = '\0';
}

/* cgroup v2's "no internal processes" rule: a cgroup that hands memory and
 * pids down to its children may hold no process itself (the root cgroup
 * excepted).  A grader started alone in a cgroup of its own, as
 * `systemd-run --scope -p Delegate=yes grader ...` or a container's only
 * process leaves it, moves itself into a leaf "grader-<pid>-self", enables
 * the controllers in the cgroup it left, and puts both back at exit, as
 * nsjail does.  Sharing its cgroup with other processes (a login session's
 * scope) it moves nobody: the runs go without cgroups, and say why. */
static pthread_mutex_t leaf_lock = PTHREAD_MUTEX_INITIALIZER;
static char leaf_parent[PATH_MAX]; /* the cgroup we left, "" while we have not */
static char leaf_dir[PATH_MAX];
static char leaf_undo[32]; /* what to write back to leaf_parent's subtree_control */
static pid_t leaf_owner;   /* the process that moved: a forked child exiting must not undo it */

/* True when our process is the only one in `dir`. */
static bool alone_in(const char *dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    FILE *f = fopen(path, "re");
    if (!f)
        return false;
    long pid;
    int n = 0;
    bool others = false;
    // NOLINTNEXTLINE(cert-err34-c): the kernel writes cgroup.procs, one pid a line
    while (fscanf(f, "%ld", &pid) == 1) {
        n++;
        others |= pid != (long)getpid();
    }
    fclose(f);
    return n > 0 && !others;
}

static void leaf_restore(void)
{
    if (getpid() != leaf_owner)
        return;
    pthread_mutex_lock(&leaf_lock);
    char num[32];
    snprintf(num, sizeof num, "%d", (int)getpid());
    /* Each step needs the one before; what fails is left for the next
     * grader's sweep (the leaf's name carries our pid) or for systemd,
     * which removes a scope's whole subtree. */
    if (leaf_parent[0] && (!leaf_undo[0] || write_file(leaf_parent, "cgroup.subtree_control", leaf_undo) == 0) &&
        write_file(leaf_parent, "cgroup.procs", num) == 0)
        rmdir(leaf_dir);
    leaf_parent[0] = '\0';
    pthread_mutex_unlock(&leaf_lock);
}

/* Enables memory and pids for own's children, moving us into a leaf first
 * when the rule above demands it.  0 or a negative errno; -EBUSY when other
 * processes share own. */
static int enable_controllers(const char *own)
{
    char buf[512];
    if (read_file(own, "cgroup.subtree_control", buf, sizeof buf) < 0)
        return -errno;
    bool has_mem = strstr(buf, "memory") != NULL, has_pids = strstr(buf, "pids") != NULL;
    if (has_mem && has_pids)
        return 0;
    char want[32];
    snprintf(want, sizeof want, "%s%s%s", has_mem ? "" : "+memory", has_mem || has_pids ? "" : " ",
             has_pids ? "" : "+pids");
    int e = write_file(own, "cgroup.subtree_control", want);
    if (e != -EBUSY || leaf_parent[0] || !alone_in(own))
        return e;

    char leaf[PATH_MAX], num[32];
    if ((size_t)snprintf(leaf, sizeof leaf, "%s/grader-%d-self", own, (int)getpid()) >= sizeof leaf)
        return -ENAMETOOLONG;
    if (mkdir(leaf, 0755) < 0 && errno != EEXIST)
        return -errno;
    snprintf(num, sizeof num, "%d", (int)getpid());
    e = write_file(leaf, "cgroup.procs", num);
    if (e == 0)
        e = write_file(own, "cgroup.subtree_control", want);
    if (e < 0) {
        write_file(own, "cgroup.procs", num);
        rmdir(leaf);
        return e;
    }
    leaf_owner = getpid();
    snprintf(leaf_parent, sizeof leaf_parent, "%s", own);
    snprintf(leaf_dir, sizeof leaf_dir, "%s", leaf);
    snprintf(leaf_undo, sizeof leaf_undo, "%s%s%s", has_mem ? "" : "-memory", has_mem || has_pids ? "" : " ",
             has_pids ? "" : "-pids");
    static bool registered;
    if (!registered)
        registered = atexit(leaf_restore) == 0;
    return 0;
}

/* Our v2 cgroup: the one we left for a leaf, if we did. */
static int v2_own_dir(const struct hier *h, char *out, size_t outlen)
{
    pthread_mutex_lock(&leaf_lock);
    bool moved = leaf_parent[0] != '\0';
    if (moved)
        snprintf(out, outlen, "%s", leaf_parent);
    pthread_mutex_unlock(&leaf_lock);
    return moved ? 0 : own_dir(h, out, outlen);
}

/* The full v2 layout: our cgroup must offer memory and pids and hand them
 * to its children (enable_controllers). */
static bool try_v2(struct sb_cgroup *cg, const char *own, const char *name, const struct sandbox_limits *lim, int *why)
{
    char buf[512];
    if (read_file(own, "cgroup.controllers", buf, sizeof buf) < 0)
        return false;
    /* cgroup.controllers is space separated. */
    bool mem = false, pids = false;
    char *save = NULL;
    for (char *t = strtok_r(buf, " \n", &save); t; t = strtok_r(NULL, " \n", &save)) {
        mem |= strcmp(t, "memory") == 0;
        pids |= strcmp(t, "pids") == 0;
    }
    if (!mem || !pids)
        return false;
    pthread_mutex_lock(&leaf_lock);
    int e = enable_controllers(own);
    pthread_mutex_unlock(&leaf_lock);
    if (e < 0) {
        *why = -e;
        return false;
    }
    int n = snprintf(cg->dir[SB_CG_V2], sizeof cg->dir[SB_CG_V2], "%s/%s", own, name);
    if (n < 0 || (size_t)n >= sizeof cg->dir[SB_CG_V2] || mkdir(cg->dir[SB_CG_V2], 0755) < 0) {
        *why = errno;
        cg->dir[SB_CG_V2][0] = '\0';
        return false;
    }
    const char *d = cg->dir[SB_CG_V2];
    char num[32];
    cg->v2_limits = true;
    cg->limits_memory = cg->limits_pids = true;
    if (lim->memory_bytes) {
        snprintf(num, sizeof num, "%zu", lim->memory_bytes);
        if (write_file(d, "memory.max", num) < 0)
            cg->limits_memory = false;
        /* Without swap.max=0 the limit only bounds RAM. */
        if (file_exists(d, "memory.swap.max"))
            write_file(d, "memory.swap.max", "0");
        /* One OOM kill takes the whole run, not a random worker. */
        write_file(d, "memory.oom.group", "1");
    }
    if (lim->processes) {
        snprintf(num, sizeof num, "%u", lim->processes + 1); /* + our init */
        if (write_file(d, "pids.max", num) < 0)
            cg->limits_pids = false;
    }
    return true;
}

/* Names the run's folder in v1 hierarchy i under our own cgroup, to be
 * made by sb_cgroup_finish (bit i of pending). */
static void name_v1_dir(struct sb_cgroup *cg, const struct hier *h, int i, const char *name)
{
    char own[PATH_MAX];
    if (own_dir(&h[i], own, sizeof own) < 0)
        return;
    int n = snprintf(cg->dir[i], sizeof cg->dir[i], "%s/%s", own, name);
    if (n < 0 || (size_t)n >= sizeof cg->dir[i]) {
        cg->dir[i][0] = '\0';
        if (!cg->first_err) {
            cg->first_err = ENAMETOOLONG;
            cg->first_what = v1_names[i];
        }
        return;
    }
    cg->pending |= 1u << i;
}

void sb_cgroup_reset(struct sb_cgroup *cg)
{
    memset(cg, 0, sizeof *cg);
    cg->cpu_fd = cg->peak_fd = cg->oom_fd = cg->pids_fd = -1;
}

void sb_cgroup_prepare(struct sb_cgroup *cg, const struct sandbox_limits *lim, bool kill_elsewhere)
{
    sb_cgroup_reset(cg);
    struct hier *h = calloc(SB_CG_NDIRS, sizeof *h);
    if (!h) {
        note(cg, "no cgroups (ENOMEM)");
        return;
    }
    find_mounts(h);
    find_self(h);
    char name[64];
    make_name(name, sizeof name);
    char own[PATH_MAX];
    int why = 0;

    if (!h[SB_CG_MEMORY].mounted && !h[SB_CG_PIDS].mounted && v2_own_dir(&h[SB_CG_V2], own, sizeof own) == 0 &&
        try_v2(cg, own, name, lim, &why)) {
        note(cg, "cgroup v2:");
        note(cg, cg->limits_pids ? "pids" : "pids(unset)");
        note(cg, cg->limits_memory ? "memory" : "memory(unset)");
        free(h);
        return;
    }
    cg->first_err = why;
    cg->first_what = why ? "v2" : NULL;
    /* The unified hierarchy's cpu.stat counts what cpuacct.usage does:
     * one folder fewer to make, join and remove per run (cpuacct only if
     * the unified folder cannot be made). */
    bool unified_cpu = (h[SB_CG_PIDS].mounted || h[SB_CG_MEMORY].mounted) &&
                       own_dir(&h[SB_CG_V2], own, sizeof own) == 0 && file_exists(own, "cpu.stat");
    for (int i = SB_CG_PIDS; i < SB_CG_NDIRS; i++)
        if (!(i == SB_CG_CPUACCT && unified_cpu))
            name_v1_dir(cg, h, i, name);
    /* The controller-less unified hierarchy of a hybrid host, for
     * cgroup.kill and cpu.stat: made now, as the init is created in it
     * (CLONE_INTO_CGROUP).  Not when the caller kills the tree otherwise
     * and cpuacct counts the CPU: an init in a v2 cgroup could not leave
     * it cheaply (sb_cgroup_leave_fds). */
    bool v2_wanted = !kill_elsewhere || !h[SB_CG_CPUACCT].mounted;
    if (cg->pending && v2_wanted && own_dir(&h[SB_CG_V2], own, sizeof own) == 0) {
        int n = snprintf(cg->dir[SB_CG_V2], sizeof cg->dir[SB_CG_V2], "%s/%s", own, name);
        if (n < 0 || (size_t)n >= sizeof cg->dir[SB_CG_V2] || mkdir(cg->dir[SB_CG_V2], 0755) < 0)
            cg->dir[SB_CG_V2][0] = '\0';
    }
    if (unified_cpu && !cg->dir[SB_CG_V2][0])
        name_v1_dir(cg, h, SB_CG_CPUACCT, name);
    free(h);
    if (!cg->pending)
        sb_cgroup_finish(cg, lim); /* nothing to make: says why there is nothing */
}

void sb_cgroup_finish(struct sb_cgroup *cg, const struct sandbox_limits *lim)
{
    for (int i = SB_CG_PIDS; i < SB_CG_NDIRS; i++) {
        if (!(cg->pending & (1u << i)))
            continue;
        /* Controllers mounted together (memory,pids in one v1 hierarchy)
         * share one folder: made once, used by both. */
        bool made = false;
        for (int j = SB_CG_PIDS; j < i; j++)
            made = made || (cg->dir[j][0] && strcmp(cg->dir[j], cg->dir[i]) == 0);
        if (!made && mkdir(cg->dir[i], 0755) < 0) {
            if (!cg->first_err) {
                cg->first_err = errno;
                cg->first_what = v1_names[i];
            }
            cg->dir[i][0] = '\0';
        }
    }
    cg->pending = 0;
    char num[32];
    if (cg->dir[SB_CG_MEMORY][0]) {
        cg->limits_memory = true;
        if (lim->memory_bytes) {
            snprintf(num, sizeof num, "%zu", lim->memory_bytes);
            if (write_file(cg->dir[SB_CG_MEMORY], "memory.limit_in_bytes", num) < 0)
                cg->limits_memory = false;
            /* memsw must be >= limit_in_bytes, hence second.  Absent when
             * swap accounting is off; swappiness 0 is all we can do then. */
            if (file_exists(cg->dir[SB_CG_MEMORY], "memory.memsw.limit_in_bytes"))
                write_file(cg->dir[SB_CG_MEMORY], "memory.memsw.limit_in_bytes", num);
            else
                write_file(cg->dir[SB_CG_MEMORY], "memory.swappiness", "0");
        }
    }
    if (cg->dir[SB_CG_PIDS][0]) {
        cg->limits_pids = true;
        if (lim->processes) {
            snprintf(num, sizeof num, "%u", lim->processes + 1); /* + our init */
            if (write_file(cg->dir[SB_CG_PIDS], "pids.max", num) < 0)
                cg->limits_pids = false;
        }
    }
    if (sb_cgroup_active(cg)) {
        note(cg, "cgroup v1:");
        if (cg->dir[SB_CG_PIDS][0])
            note(cg, cg->limits_pids ? "pids" : "pids(unset)");
        if (cg->dir[SB_CG_MEMORY][0])
            note(cg, cg->limits_memory ? "memory" : "memory(unset)");
        if (cg->dir[SB_CG_CPUACCT][0])
            note(cg, "cpuacct");
        if (cg->dir[SB_CG_V2][0])
            note(cg, "+ v2 kill");
    } else {
        char piece[96];
        cg->shared = cg->first_err == EBUSY && cg->first_what && strcmp(cg->first_what, "v2") == 0;
        if (cg->shared)
            snprintf(piece, sizeof piece, "no cgroups (v2: shared with other processes)");
        else if (cg->first_err)
            snprintf(piece, sizeof piece, "no cgroups (%s: %s)", cg->first_what, sb_errname(cg->first_err));
        else
            snprintf(piece, sizeof piece, "no cgroups (none found)");
        note(cg, piece);
    }
}

void sb_cgroup_create(struct sb_cgroup *cg, const struct sandbox_limits *lim)
{
    sb_cgroup_prepare(cg, lim, false);
    if (cg->pending)
        sb_cgroup_finish(cg, lim);
}

void sb_cgroup_sweep_stale(void)
{
    static atomic_flag done = ATOMIC_FLAG_INIT;
    if (atomic_flag_test_and_set(&done))
        return;
    struct hier *h = calloc(SB_CG_NDIRS, sizeof *h);
    if (!h)
        return;
    find_mounts(h);
    find_self(h);
    char own[PATH_MAX];
    for (int i = 0; i < SB_CG_NDIRS; i++)
        if ((i == SB_CG_V2 ? v2_own_dir(&h[i], own, sizeof own) : own_dir(&h[i], own, sizeof own)) == 0)
            sweep_dead(own);
    free(h);
}

int sb_cgroup_v2_fd(const struct sb_cgroup *cg)
{
    if (!cg->dir[SB_CG_V2][0])
        return -1;
    return open(cg->dir[SB_CG_V2], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

void sb_cgroup_join_fds(const struct sb_cgroup *cg, int fds[SB_CG_NDIRS])
{
    for (int i = 0; i < SB_CG_NDIRS; i++) {
        fds[i] = -1;
        if (i == SB_CG_V2 || !cg->dir[i][0] || (cg->pending & (1u << i)))
            continue;
        char path[PATH_MAX + 8];
        snprintf(path, sizeof path, "%s/tasks", cg->dir[i]);
        fds[i] = open(path, O_WRONLY | O_CLOEXEC);
    }
}

bool sb_cgroup_leave_fds(const struct sb_cgroup *cg, int fds[SB_CG_NDIRS])
{
    bool all = !cg->dir[SB_CG_V2][0];
    for (int i = 0; i < SB_CG_NDIRS; i++) {
        fds[i] = -1;
        if (i == SB_CG_V2 || !cg->dir[i][0])
            continue;
        /* The run's folder is made in ours (name_v1_dir). */
        char path[PATH_MAX + 8];
        snprintf(path, sizeof path, "%s", cg->dir[i]);
        char *slash = strrchr(path, '/');
        if (slash) {
            snprintf(slash, sizeof path - (size_t)(slash - path), "/tasks");
            fds[i] = open(path, O_WRONLY | O_CLOEXEC);
        }
        all = all && fds[i] >= 0;
    }
    return all;
}

int sb_cgroup_attach(struct sb_cgroup *cg, pid_t pid)
{
    char num[32];
    snprintf(num, sizeof num, "%d", (int)pid);
    int n = 0;
    for (int i = 0; i < SB_CG_NDIRS; i++) {
        if (!cg->dir[i][0])
            continue;
        if ((i == SB_CG_V2 && cg->v2_placed) || (cg->joined & (1u << i))) {
            n++;
            continue;
        }
        int e = write_file(cg->dir[i], "cgroup.procs", num);
        if (e < 0) {
            if (i == SB_CG_V2 && cg->v2_limits)
                cg->limits_memory = cg->limits_pids = false;
            if (i == SB_CG_MEMORY)
                cg->limits_memory = false;
            if (i == SB_CG_PIDS)
                cg->limits_pids = false;
            char piece[64];
            snprintf(piece, sizeof piece, "(%s attach: %s)", i == SB_CG_V2 ? "v2" : v1_names[i], sb_errname(-e));
            note(cg, piece);
            drop_dir(cg, i);
            continue;
        }
        n++;
    }
    if (cg->cpu_fd < 0) {
        char path[PATH_MAX + 32];
        if (cg->dir[SB_CG_CPUACCT][0]) {
            snprintf(path, sizeof path, "%s/cpuacct.usage", cg->dir[SB_CG_CPUACCT]);
            cg->cpu_fd = open(path, O_RDONLY | O_CLOEXEC);
            cg->cpu_is_v2 = false;
        }
        if (cg->cpu_fd < 0 && cg->dir[SB_CG_V2][0]) {
            snprintf(path, sizeof path, "%s/cpu.stat", cg->dir[SB_CG_V2]);
            cg->cpu_fd = open(path, O_RDONLY | O_CLOEXEC);
            cg->cpu_is_v2 = true;
        }
    }
    return n;
}

bool sb_cgroup_active(const struct sb_cgroup *cg)
{
    for (int i = 0; i < SB_CG_NDIRS; i++)
        if (cg->dir[i][0])
            return true;
    return false;
}

long long sb_cgroup_cpu_usec(struct sb_cgroup *cg)
{
    if (cg->cpu_fd < 0)
        return -1;
    char buf[1024];
    ssize_t n = pread(cg->cpu_fd, buf, sizeof buf - 1, 0);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    if (cg->cpu_is_v2)
        return keyed_value(buf, "usage_usec");
    return strtoll(buf, NULL, 10) / 1000; /* cpuacct.usage is in ns */
}

/* The files the counters below read: v2 when the run has a full v2
 * cgroup, else v1. */
static const char *peak_dir(const struct sb_cgroup *cg, const char **file)
{
    *file = cg->v2_limits ? "memory.peak" : "memory.max_usage_in_bytes";
    return cg->v2_limits ? cg->dir[SB_CG_V2] : cg->dir[SB_CG_MEMORY];
}

static const char *oom_dir(const struct sb_cgroup *cg, const char **file)
{
    *file = cg->v2_limits ? "memory.events" : "memory.oom_control";
    return cg->v2_limits ? cg->dir[SB_CG_V2] : cg->dir[SB_CG_MEMORY];
}

static const char *pids_dir(const struct sb_cgroup *cg, const char **file)
{
    *file = "pids.events";
    return cg->v2_limits ? cg->dir[SB_CG_V2] : cg->dir[SB_CG_PIDS];
}

static int open_counter(const char *dir, const char *file)
{
    if (!dir[0])
        return -1;
    char path[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    return open(path, O_RDONLY | O_CLOEXEC);
}

void sb_cgroup_open_counters(struct sb_cgroup *cg)
{
    const char *file;
    const char *dir = peak_dir(cg, &file);
    if (cg->peak_fd < 0)
        cg->peak_fd = open_counter(dir, file);
    dir = oom_dir(cg, &file);
    if (cg->oom_fd < 0)
        cg->oom_fd = open_counter(dir, file);
    dir = pids_dir(cg, &file);
    if (cg->pids_fd < 0)
        cg->pids_fd = open_counter(dir, file);
}

long long sb_cgroup_memory_peak(const struct sb_cgroup *cg)
{
    char buf[64];
    const char *file;
    const char *dir = peak_dir(cg, &file);
    if (dir[0] && read_counter(cg->peak_fd, dir, file, buf, sizeof buf) > 0)
        return strtoll(buf, NULL, 10);
    return -1;
}

long long sb_cgroup_oom_kills(const struct sb_cgroup *cg)
{
    const char *file;
    const char *dir = oom_dir(cg, &file);
    long long v = read_keyed(cg->oom_fd, dir, file, "oom_kill");
    return v < 0 ? 0 : v;
}

long long sb_cgroup_pids_refused(const struct sb_cgroup *cg)
{
    const char *file;
    const char *dir = pids_dir(cg, &file);
    long long v = read_keyed(cg->pids_fd, dir, file, "max");
    return v < 0 ? 0 : v;
}

/* Kills every pid listed in dir/cgroup.procs; returns how many were listed. */
static int kill_procs(const char *dir)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/cgroup.procs", dir);
    FILE *f = fopen(path, "re");
    if (!f)
        return 0;
    int n = 0;
    long pid;
    // NOLINTNEXTLINE(cert-err34-c): the kernel writes cgroup.procs, one pid a line
    while (fscanf(f, "%ld", &pid) == 1) {
        if (pid > 0) {
            kill((pid_t)pid, SIGKILL);
            n++;
        }
    }
    fclose(f);
    return n;
}

void sb_cgroup_kill(struct sb_cgroup *cg)
{
    if (cg->dir[SB_CG_V2][0])
        write_file(cg->dir[SB_CG_V2], "cgroup.kill", "1");
    for (int i = SB_CG_PIDS; i < SB_CG_NDIRS; i++)
        if (cg->dir[i][0])
            kill_procs(cg->dir[i]);
}

static void close_counter(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

int sb_cgroup_destroy(struct sb_cgroup *cg, char *err, size_t errlen)
{
    close_counter(&cg->cpu_fd);
    close_counter(&cg->peak_fd);
    close_counter(&cg->oom_fd);
    close_counter(&cg->pids_fd);
    int last_err = 0;
    /* 400 x 5 ms: a killed process needs a moment to leave, and the kernel
     * reports a v1 cgroup busy until its last task is released. */
    for (int attempt = 0; attempt < 400; attempt++) {
        bool left = false;
        if (attempt > 0)
            sb_cgroup_kill(cg);
        for (int i = 0; i < SB_CG_NDIRS; i++) {
            if (!cg->dir[i][0])
                continue;
            if (rmdir(cg->dir[i]) == 0 || errno == ENOENT) {
                cg->dir[i][0] = '\0';
            } else {
                last_err = errno;
                left = true;
            }
        }
        if (!left)
            return 0;
        struct timespec ts = {0, 5L * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    for (int i = 0; i < SB_CG_NDIRS; i++) {
        if (cg->dir[i][0]) {
            snprintf(err, errlen, "cannot remove the run's cgroup %s: %s", cg->dir[i], strerror(last_err));
            return -1;
        }
    }
    return 0;
}
