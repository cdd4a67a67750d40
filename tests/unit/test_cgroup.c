/* test_cgroup.c: sandbox/cgroup.c on cgroup layouts this machine does not
 * have.  Each case runs (as root) in a child with a mount namespace of its
 * own, where a tmpfs over /proc holds a made-up self/mountinfo and
 * self/cgroup that point the code at plain folders standing for the
 * hierarchies: a delegated cgroup v2 (as systemd gives a user), one whose
 * controllers or writes are refused, a container's view of one, and the
 * hybrid v1 layout.  The kernel's files are plain files written by the
 * test, so what the code reads back (CPU time, peak memory, OOM kills,
 * refused forks) and what it writes (subtree_control, cgroup.procs,
 * cgroup.kill) are checked exactly.  The child reports in text; the
 * parent asserts.  Also sb_errname (errname.h), which names the errors in
 * these reports. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cgroup.h"
#include "check_main.h"
#include "scratch.h"
#include "errname.h"

static char top[64];

static void setup(void)
{
    snprintf(top, sizeof top, "/tmp/grader-cgtest-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(top));
}

static void teardown(void)
{
    scratch_remove(top);
    ck_assert_int_eq(access(top, F_OK), -1);
}

/* ---- helpers used by the parent and the child --------------------------- */

static void mkdirs(const char *path)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s", path);
    for (char *s = strchr(p + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    mkdir(p, 0755);
}

static int write_text(const char *dir, const char *name, const char *text)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0)
        return -1;
    ssize_t w = write(fd, text, strlen(text));
    close(fd);
    return w == (ssize_t)strlen(text) ? 0 : -1;
}

static void read_text(const char *dir, const char *name, char *out, size_t len)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    out[0] = '\0';
    int fd = open(p, O_RDONLY);
    if (fd < 0)
        return;
    ssize_t n = read(fd, out, len - 1);
    close(fd);
    out[n > 0 ? n : 0] = '\0';
}

static bool exists(const char *dir, const char *name)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return access(p, F_OK) == 0;
}

/* Entries of dir whose name starts with prefix. */
static int count_prefixed(const char *dir, const char *prefix)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += strncmp(de->d_name, prefix, strlen(prefix)) == 0;
    closedir(d);
    return n;
}

/* The child's report. */
static char report[8192];
static size_t used;

static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(report + used, sizeof report - used, fmt, ap);
    va_end(ap);
    if (n > 0 && (size_t)n < sizeof report - used)
        used += (size_t)n;
}

static const struct sandbox_limits LIM = {.memory_bytes = 64u << 20, .processes = 10};

typedef void (*scenario)(void);

/* Runs `fn` in a child whose /proc/self/mountinfo and /proc/self/cgroup
 * are `mountinfo` and `cgroup` (NULL: absent); returns its report in out. */
static void run_on_fake_host(const char *mountinfo, const char *cgroup, scenario fn, char *out, size_t len)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        used = 0;
        report[0] = '\0';
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
            mount("tmpfs", "/proc", "tmpfs", 0, "size=1m") < 0 || mkdir("/proc/self", 0755) < 0)
            _exit(90);
        if ((mountinfo && write_text("/proc/self", "mountinfo", mountinfo) < 0) ||
            (cgroup && write_text("/proc/self", "cgroup", cgroup) < 0))
            _exit(91);
        fn();
        /* The real /proc back, for whatever runs at exit. */
        umount2("/proc", MNT_DETACH);
        if (write(fds[1], report, used) != (ssize_t)used)
            exit(92);
        exit(0);
    }
    close(fds[1]);
    size_t got = 0;
    ssize_t n;
    while ((n = read(fds[0], out + got, len - 1 - got)) > 0)
        got += (size_t)n;
    out[got] = '\0';
    close(fds[0]);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d; report so far:\n%s", st, out);
}

static bool as_root(void)
{
    if (geteuid() == 0)
        return true;
    printf("note: not root: test skipped\n");
    return false;
}

static void expect_line(const char *rep, const char *line)
{
    char want[PATH_MAX + 256];
    snprintf(want, sizeof want, "%s\n", line);
    ck_assert_msg(strstr(rep, want) != NULL, "missing line \"%s\" in:\n%s", line, rep);
}

/* ---- cgroup v2, delegated ----------------------------------------------- */

static char own_v2[PATH_MAX];
static pid_t dead_pid;

static void v2_delegated(void)
{
    struct sb_cgroup cg;
    sb_cgroup_create(&cg, &LIM);
    say("desc %s\n", cg.desc);
    say("v2_limits %d memory %d pids %d\n", cg.v2_limits, cg.limits_memory, cg.limits_pids);
    char prefix[PATH_MAX + 64];
    snprintf(prefix, sizeof prefix, "%s/grader-%d-", own_v2, (int)getpid());
    say("dir %s\n", strncmp(cg.dir[SB_CG_V2], prefix, strlen(prefix)) == 0 ? "under own" : cg.dir[SB_CG_V2]);
    say("v1 dirs %d\n", cg.dir[SB_CG_PIDS][0] || cg.dir[SB_CG_MEMORY][0] || cg.dir[SB_CG_CPUACCT][0]);
    char buf[256];
    read_text(own_v2, "cgroup.subtree_control", buf, sizeof buf);
    say("subtree %s\n", buf);
    /* The sweep of dead graders' cgroups (sandbox_run calls it once the
     * first payload runs). */
    sb_cgroup_sweep_stale();
    char name[64];
    snprintf(name, sizeof name, "grader-%d-0-dead", (int)dead_pid);
    say("stale %s\n", exists(own_v2, name) ? "kept" : "removed");
    snprintf(name, sizeof name, "grader-%d-1-busy", (int)dead_pid);
    say("stale busy %s\n", exists(own_v2, name) ? "kept" : "removed");
    say("live %s\n", exists(own_v2, "grader-1-0-init") ? "kept" : "removed");

    /* What the kernel would show in the run's cgroup. */
    const char *d = cg.dir[SB_CG_V2];
    write_text(d, "cgroup.procs", "");
    write_text(d, "cgroup.kill", "");
    write_text(d, "cpu.stat", "usage_usec 1234\nuser_usec 1000\nsystem_usec 234\n");
    write_text(d, "memory.peak", "5242880\n");
    write_text(d, "memory.events", "low 0\nhigh 0\nmax 2\noom 1\noom_kill 3\n");
    write_text(d, "pids.events", "max 7\n");
    say("attached %d\n", sb_cgroup_attach(&cg, 4242));
    read_text(d, "cgroup.procs", buf, sizeof buf);
    say("procs %s\n", buf);
    say("cpu %lld peak %lld ooms %lld refused %lld active %d\n", sb_cgroup_cpu_usec(&cg), sb_cgroup_memory_peak(&cg),
        sb_cgroup_oom_kills(&cg), sb_cgroup_pids_refused(&cg), sb_cgroup_active(&cg));
    write_text(d, "cgroup.procs", ""); /* nothing for the kill to find */
    sb_cgroup_kill(&cg);
    read_text(d, "cgroup.kill", buf, sizeof buf);
    say("kill %s\n", buf);

    static const char *const files[] = {"cgroup.procs", "cgroup.kill",   "cpu.stat",
                                        "memory.peak",  "memory.events", "pids.events"};
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/%s", d, files[i]);
        unlink(p);
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", d);
    char err[PATH_MAX + 128] = "";
    say("destroy %d %s\n", sb_cgroup_destroy(&cg, err, sizeof err), err);
    say("dir after %s\n", access(dir, F_OK) == 0 ? "left" : "removed");
    say("active after %d\n", sb_cgroup_active(&cg));
}

START_TEST(v2_delegated_subtree)
{
    if (!as_root())
        return;
    /* A mount path with a space: mountinfo writes it as \040. */
    char mnt[PATH_MAX], esc[PATH_MAX], mi[4 * PATH_MAX];
    snprintf(mnt, sizeof mnt, "%s/cg v2", top);
    snprintf(esc, sizeof esc, "%s/cg\\040v2", top);
    snprintf(own_v2, sizeof own_v2, "%s/user.slice/me", mnt);
    mkdirs(own_v2);
    ck_assert_int_eq(write_text(own_v2, "cgroup.controllers", "cpuset cpu io memory pids\n"), 0);
    ck_assert_int_eq(write_text(own_v2, "cgroup.subtree_control", ""), 0);
    /* Leftovers: a dead grader's empty cgroup, a dead grader's busy one,
     * a live process's. */
    pid_t p = fork();
    ck_assert_int_ge(p, 0);
    if (p == 0)
        _exit(0);
    ck_assert_int_eq(waitpid(p, NULL, 0), p);
    dead_pid = p;
    char d[PATH_MAX + 64];
    snprintf(d, sizeof d, "%s/grader-%d-0-dead", own_v2, (int)dead_pid);
    mkdirs(d);
    snprintf(d, sizeof d, "%s/grader-%d-1-busy", own_v2, (int)dead_pid);
    mkdirs(d);
    ck_assert_int_eq(write_text(d, "cgroup.procs", "1\n"), 0);
    snprintf(d, sizeof d, "%s/grader-1-0-init", own_v2);
    mkdirs(d);
    snprintf(mi, sizeof mi,
             "no separator on this line\n"
             "1 2 - short\n"
             "3 4 - cgroup2 cgroup2 rw\n"
             "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
             "40 31 0:38 / %s rw,nosuid,nodev,noexec,relatime - cgroup2 cgroup2 rw,nsdelegate\n"
             "41 31 0:39 / /elsewhere rw - cgroup2 cgroup2 rw\n",
             esc);
    char rep[8192];
    run_on_fake_host(mi, "junk without colons\n1:name=systemd:/user.slice/me\n0::/user.slice/me\n", v2_delegated, rep,
                     sizeof rep);
    expect_line(rep, "desc cgroup v2: pids(unset) memory(unset)"); /* no memory.max nor pids.max to write */
    expect_line(rep, "v2_limits 1 memory 0 pids 0");
    expect_line(rep, "dir under own");
    expect_line(rep, "v1 dirs 0");
    expect_line(rep, "subtree +memory +pids");
    expect_line(rep, "stale removed");
    expect_line(rep, "stale busy kept");
    expect_line(rep, "live kept");
    expect_line(rep, "attached 1");
    expect_line(rep, "procs 4242");
    expect_line(rep, "cpu 1234 peak 5242880 ooms 3 refused 7 active 1");
    expect_line(rep, "kill 1");
    expect_line(rep, "destroy 0 ");
    expect_line(rep, "dir after removed");
    expect_line(rep, "active after 0");
}
END_TEST

/* ---- cgroup v2, refused ------------------------------------------------- */

static void just_create(void)
{
    struct sb_cgroup cg;
    sb_cgroup_create(&cg, &LIM);
    say("desc %s\n", cg.desc);
    say("active %d\n", sb_cgroup_active(&cg));
    say("cpu %lld peak %lld ooms %lld refused %lld\n", sb_cgroup_cpu_usec(&cg), sb_cgroup_memory_peak(&cg),
        sb_cgroup_oom_kills(&cg), sb_cgroup_pids_refused(&cg));
    char err[256] = "";
    say("destroy %d\n", sb_cgroup_destroy(&cg, err, sizeof err));
}

static void v2_mi(char *mi, size_t len, const char *mnt)
{
    snprintf(mi, len, "40 31 0:38 / %s rw - cgroup2 cgroup2 rw\n", mnt);
}

START_TEST(v2_without_memory_or_pids)
{
    if (!as_root())
        return;
    char own[PATH_MAX], mi[PATH_MAX + 128], rep[4096];
    snprintf(own, sizeof own, "%s/v2", top);
    mkdirs(own);
    ck_assert_int_eq(write_text(own, "cgroup.controllers", "cpu io memory\n"), 0);
    ck_assert_int_eq(write_text(own, "cgroup.subtree_control", ""), 0);
    v2_mi(mi, sizeof mi, own);
    run_on_fake_host(mi, "0::/\n", just_create, rep, sizeof rep);
    expect_line(rep, "desc no cgroups (none found)");
    expect_line(rep, "active 0");
    expect_line(rep, "cpu -1 peak -1 ooms 0 refused 0");
    expect_line(rep, "destroy 0");
    ck_assert_int_eq(count_prefixed(own, "grader-"), 0);
    char buf[64];
    read_text(own, "cgroup.subtree_control", buf, sizeof buf);
    ck_assert_str_eq(buf, ""); /* nothing enabled for nothing */
}
END_TEST

START_TEST(v2_subtree_control_refused)
{
    if (!as_root())
        return;
    char own[PATH_MAX], mi[PATH_MAX + 128], rep[4096], p[PATH_MAX + 64];
    snprintf(own, sizeof own, "%s/v2", top);
    mkdirs(own);
    ck_assert_int_eq(write_text(own, "cgroup.controllers", "memory pids\n"), 0);
    /* Reads as nothing enabled, refuses every write (ENOSPC). */
    snprintf(p, sizeof p, "%s/cgroup.subtree_control", own);
    ck_assert_int_eq(symlink("/dev/full", p), 0);
    v2_mi(mi, sizeof mi, own);
    run_on_fake_host(mi, "0::/\n", just_create, rep, sizeof rep);
    expect_line(rep, "desc no cgroups (v2: ENOSPC)");
    expect_line(rep, "active 0");
    ck_assert_int_eq(count_prefixed(own, "grader-"), 0);
}
END_TEST

static char ro_own[PATH_MAX];

static void read_only_then_create(void)
{
    if (mount(ro_own, ro_own, NULL, MS_BIND, NULL) < 0 ||
        mount(NULL, ro_own, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) < 0) {
        say("cannot make %s read-only: %s\n", ro_own, strerror(errno));
        return;
    }
    just_create();
}

START_TEST(v2_run_cgroup_cannot_be_made)
{
    if (!as_root())
        return;
    char mi[PATH_MAX + 128], rep[4096];
    snprintf(ro_own, sizeof ro_own, "%s/v2", top);
    mkdirs(ro_own);
    ck_assert_int_eq(write_text(ro_own, "cgroup.controllers", "memory pids\n"), 0);
    ck_assert_int_eq(write_text(ro_own, "cgroup.subtree_control", "memory pids\n"), 0);
    v2_mi(mi, sizeof mi, ro_own);
    run_on_fake_host(mi, "0::/\n", read_only_then_create, rep, sizeof rep);
    expect_line(rep, "desc no cgroups (v2: EROFS)");
    expect_line(rep, "active 0");
}
END_TEST

START_TEST(v2_seen_from_a_container)
{
    if (!as_root())
        return;
    /* The mount shows /docker/abc of the hierarchy; we are in
     * /docker/abc/inner: our folder is <mount>/inner. */
    char mnt[PATH_MAX], mi[PATH_MAX + 128], rep[4096], inner[PATH_MAX + 16];
    snprintf(mnt, sizeof mnt, "%s/c2", top);
    snprintf(inner, sizeof inner, "%s/inner", mnt);
    mkdirs(inner);
    ck_assert_int_eq(write_text(inner, "cgroup.controllers", "memory pids\n"), 0);
    ck_assert_int_eq(write_text(inner, "cgroup.subtree_control", "memory pids\n"), 0);
    snprintf(mi, sizeof mi, "40 31 0:38 /docker/abc %s rw - cgroup2 cgroup2 rw\n", mnt);
    run_on_fake_host(mi, "0::/docker/abc/inner\n", just_create, rep, sizeof rep);
    expect_line(rep, "desc cgroup v2: pids(unset) memory(unset)");
    expect_line(rep, "active 1");
    expect_line(rep, "destroy 0");
    ck_assert_int_eq(count_prefixed(inner, "grader-"), 0); /* made, then removed */

    /* Our cgroup outside what the mount shows ("/docker/abcdef" is not
     * beneath "/docker/abc"): nowhere to go. */
    run_on_fake_host(mi, "0::/docker/abcdef\n", just_create, rep, sizeof rep);
    expect_line(rep, "desc no cgroups (none found)");
    run_on_fake_host(mi, "0::/elsewhere\n", just_create, rep, sizeof rep);
    expect_line(rep, "desc no cgroups (none found)");
}
END_TEST

START_TEST(nothing_to_read)
{
    if (!as_root())
        return;
    char rep[4096];
    run_on_fake_host(NULL, NULL, just_create, rep, sizeof rep);
    expect_line(rep, "desc no cgroups (none found)");
    char mi[PATH_MAX + 128], own[PATH_MAX];
    snprintf(own, sizeof own, "%s/v2", top);
    mkdirs(own);
    v2_mi(mi, sizeof mi, own);
    run_on_fake_host(mi, NULL, just_create, rep, sizeof rep); /* mounted, but where are we? */
    expect_line(rep, "desc no cgroups (none found)");
}
END_TEST

/* ---- the hybrid v1 layout ----------------------------------------------- */

static char v1_root[PATH_MAX];

static void fill(const char *dir, const char *const *kv)
{
    for (size_t i = 0; kv[i]; i += 2)
        write_text(dir, kv[i], kv[i + 1]);
}

static void unfill(const char *dir, const char *const *kv)
{
    for (size_t i = 0; kv[i]; i += 2) {
        char p[PATH_MAX + 64];
        snprintf(p, sizeof p, "%s/%s", dir, kv[i]);
        unlink(p);
    }
}

static void v1_hybrid(void)
{
    struct sb_cgroup cg;
    sb_cgroup_create(&cg, &LIM);
    say("desc %s\n", cg.desc);
    say("v2_limits %d memory %d pids %d\n", cg.v2_limits, cg.limits_memory, cg.limits_pids);
    char want[PATH_MAX + 64];
    snprintf(want, sizeof want, "%s/memory/grp/grader-%d-", v1_root, (int)getpid());
    say("memory dir %s\n", strncmp(cg.dir[SB_CG_MEMORY], want, strlen(want)) == 0 ? "under own" : cg.dir[SB_CG_MEMORY]);

    static const char *const pids_files[] = {"cgroup.procs", "", "pids.events", "max 4\n", NULL};
    static const char *const mem_files[] = {"cgroup.procs",
                                            "",
                                            "memory.max_usage_in_bytes",
                                            "8388608\n",
                                            "memory.oom_control",
                                            "oom_kill_disable 0\nunder_oom 0\noom_kill 2\n",
                                            NULL};
    static const char *const cpu_files[] = {"cgroup.procs", "", "cpuacct.usage", "5000000000\n", NULL};
    fill(cg.dir[SB_CG_PIDS], pids_files);
    fill(cg.dir[SB_CG_MEMORY], mem_files);
    fill(cg.dir[SB_CG_CPUACCT], cpu_files);
    /* The unified folder has no cgroup.procs: that one is refused. */
    char v2dir[PATH_MAX];
    snprintf(v2dir, sizeof v2dir, "%s", cg.dir[SB_CG_V2]);

    /* A process to kill, listed in cgroup.procs by the attach. */
    pid_t sleeper = fork();
    if (sleeper == 0) {
        pause();
        _exit(0);
    }
    say("attached %d\n", sb_cgroup_attach(&cg, sleeper));
    say("desc after attach %s\n", cg.desc);
    say("v2 dir after attach %s\n", cg.dir[SB_CG_V2][0] ? "kept" : "dropped");
    say("unified folder %s\n", access(v2dir, F_OK) == 0 ? "left" : "removed");
    char buf[64];
    read_text(cg.dir[SB_CG_MEMORY], "cgroup.procs", buf, sizeof buf);
    say("memory procs %s\n", atoi(buf) == sleeper ? "the pid" : buf);
    say("cpu %lld peak %lld ooms %lld refused %lld\n", sb_cgroup_cpu_usec(&cg), sb_cgroup_memory_peak(&cg),
        sb_cgroup_oom_kills(&cg), sb_cgroup_pids_refused(&cg));
    sb_cgroup_kill(&cg);
    int st = 0;
    say("sleeper %s\n",
        waitpid(sleeper, &st, 0) == sleeper && WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL ? "killed" : "alive");
    /* The pid is gone now: list nothing any more, so that no retry below
     * can hit whoever gets the number next. */
    for (int i = SB_CG_PIDS; i < SB_CG_NDIRS; i++)
        write_text(cg.dir[i], "cgroup.procs", "");
    /* Busy folders (files in them): removal gives up after its retries. */
    char pids_dir[PATH_MAX], err[PATH_MAX + 128] = "";
    snprintf(pids_dir, sizeof pids_dir, "%s", cg.dir[SB_CG_PIDS]);
    say("destroy %d %s\n", sb_cgroup_destroy(&cg, err, sizeof err), err);
    say("pids dir %s\n", strcmp(err, "") ? pids_dir : "");
    unfill(cg.dir[SB_CG_PIDS], pids_files);
    unfill(cg.dir[SB_CG_MEMORY], mem_files);
    unfill(cg.dir[SB_CG_CPUACCT], cpu_files);
    err[0] = '\0';
    say("destroy again %d %s\n", sb_cgroup_destroy(&cg, err, sizeof err), err);

    /* A second run: its memory cgroup refuses the process. */
    struct sb_cgroup cg2;
    sb_cgroup_create(&cg2, &LIM);
    say("second name differs %d\n", strcmp(cg2.dir[SB_CG_PIDS], pids_dir) != 0);
    fill(cg2.dir[SB_CG_PIDS], pids_files);
    write_text(cg2.dir[SB_CG_CPUACCT], "cgroup.procs", "");
    write_text(cg2.dir[SB_CG_V2], "cgroup.procs", "");
    say("attached2 %d memory %d\n", sb_cgroup_attach(&cg2, 4243), cg2.limits_memory);
    say("desc2 %s\n", cg2.desc);
    say("peak2 %lld ooms2 %lld\n", sb_cgroup_memory_peak(&cg2), sb_cgroup_oom_kills(&cg2));
    for (int i = 0; i < SB_CG_NDIRS; i++)
        write_text(cg2.dir[i], "cgroup.procs", "");
    /* cgroup.kill of the unified folder is a plain file here. */
    write_text(cg2.dir[SB_CG_V2], "cgroup.kill", "");
    sb_cgroup_kill(&cg2);
    read_text(cg2.dir[SB_CG_V2], "cgroup.kill", buf, sizeof buf);
    say("kill2 %s\n", buf);
    for (int i = 0; i < SB_CG_NDIRS; i++) {
        char p[PATH_MAX + 64];
        if (!cg2.dir[i][0])
            continue;
        static const char *const names[] = {"cgroup.procs", "cgroup.kill", "pids.events"};
        for (size_t k = 0; k < 3; k++) {
            snprintf(p, sizeof p, "%s/%s", cg2.dir[i], names[k]);
            unlink(p);
        }
    }
    err[0] = '\0';
    say("destroy2 %d %s\n", sb_cgroup_destroy(&cg2, err, sizeof err), err);

    /* A third run, where the init joins pids and memory itself through
     * their `tasks` files and cpuacct has none to open: the supervisor
     * moves it into cpuacct and the unified folder only. */
    struct sb_cgroup cg3;
    sb_cgroup_create(&cg3, &LIM);
    for (int i = 0; i < SB_CG_NDIRS; i++)
        write_text(cg3.dir[i], "cgroup.procs", "");
    write_text(cg3.dir[SB_CG_PIDS], "tasks", "");
    write_text(cg3.dir[SB_CG_MEMORY], "tasks", "");
    int join[SB_CG_NDIRS];
    sb_cgroup_join_fds(&cg3, join);
    say("join fds v2 %d pids %d memory %d cpuacct %d\n", join[SB_CG_V2] >= 0, join[SB_CG_PIDS] >= 0,
        join[SB_CG_MEMORY] >= 0, join[SB_CG_CPUACCT] >= 0);
    for (int i = 0; i < SB_CG_NDIRS; i++) {
        if (join[i] < 0)
            continue;
        if (write(join[i], "0", 1) == 1)
            cg3.joined |= 1u << i;
        close(join[i]);
    }
    read_text(cg3.dir[SB_CG_MEMORY], "tasks", buf, sizeof buf);
    say("memory tasks '%s'\n", buf);
    say("attached3 %d memory %d pids %d\n", sb_cgroup_attach(&cg3, 4244), cg3.limits_memory, cg3.limits_pids);
    static const char *const label[SB_CG_NDIRS] = {"v2", "pids", "memory", "cpuacct"};
    for (int i = 0; i < SB_CG_NDIRS; i++) {
        read_text(cg3.dir[i], "cgroup.procs", buf, sizeof buf);
        say("procs3 %s '%s'\n", label[i], buf);
    }
    for (int i = 0; i < SB_CG_NDIRS; i++) {
        static const char *const names[] = {"cgroup.procs", "tasks", "cgroup.kill"};
        for (size_t k = 0; k < 3; k++) {
            char p[PATH_MAX + 64];
            snprintf(p, sizeof p, "%s/%s", cg3.dir[i], names[k]);
            unlink(p);
        }
    }
    err[0] = '\0';
    say("destroy3 %d %s\n", sb_cgroup_destroy(&cg3, err, sizeof err), err);
}

START_TEST(v1_hybrid_layout)
{
    if (!as_root())
        return;
    char mi[8 * PATH_MAX], rep[8192], p[PATH_MAX + 64];
    snprintf(v1_root, sizeof v1_root, "%s/v1", top);
    snprintf(p, sizeof p, "%s/pids", v1_root);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/memory/grp", v1_root);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/cpu,cpuacct", v1_root);
    mkdirs(p);
    snprintf(p, sizeof p, "%s/unified", v1_root);
    mkdirs(p);
    snprintf(mi, sizeof mi,
             "41 31 0:40 / %s/pids rw - cgroup cgroup rw,pids\n"
             "42 31 0:41 / %s/memory rw - cgroup cgroup rw,memory\n"
             "43 31 0:42 / %s/cpu,cpuacct rw - cgroup cgroup rw,cpu,cpuacct\n"
             "44 31 0:43 / %s/unified rw - cgroup2 cgroup2 rw\n",
             v1_root, v1_root, v1_root, v1_root);
    run_on_fake_host(mi, "4:pids:/\n3:memory:/grp\n2:cpu,cpuacct:/\n0::/\n", v1_hybrid, rep, sizeof rep);
    /* No limit files in the made-up folders: both limits unset. */
    expect_line(rep, "desc cgroup v1: pids(unset) memory(unset) cpuacct + v2 kill");
    expect_line(rep, "v2_limits 0 memory 0 pids 0");
    expect_line(rep, "memory dir under own");
    expect_line(rep, "attached 3");
    expect_line(rep, "desc after attach cgroup v1: pids(unset) memory(unset) cpuacct + v2 kill (v2 attach: ENOENT)");
    expect_line(rep, "v2 dir after attach dropped");
    expect_line(rep, "unified folder removed");
    expect_line(rep, "memory procs the pid");
    /* cpuacct.usage is in ns. */
    expect_line(rep, "cpu 5000000 peak 8388608 ooms 2 refused 4");
    expect_line(rep, "sleeper killed");
    char want[PATH_MAX + 256];
    const char *pos = strstr(rep, "pids dir ");
    ck_assert_ptr_nonnull(pos);
    char pids_dir[PATH_MAX];
    ck_assert_int_eq(sscanf(pos, "pids dir %4095s", pids_dir), 1);
    snprintf(want, sizeof want, "destroy -1 cannot remove the run's cgroup %s: %s", pids_dir, strerror(ENOTEMPTY));
    expect_line(rep, want);
    expect_line(rep, "destroy again 0 ");
    expect_line(rep, "second name differs 1");
    expect_line(rep, "attached2 3 memory 0");
    expect_line(rep, "desc2 cgroup v1: pids(unset) memory(unset) cpuacct + v2 kill (memory attach: ENOENT)");
    expect_line(rep, "peak2 -1 ooms2 0");
    expect_line(rep, "kill2 1");
    expect_line(rep, "destroy2 0 ");
    expect_line(rep, "join fds v2 0 pids 1 memory 1 cpuacct 0");
    expect_line(rep, "memory tasks '0'");
    expect_line(rep, "attached3 4 memory 0 pids 0"); /* no limit files here */
    expect_line(rep, "procs3 v2 '4244'");
    expect_line(rep, "procs3 pids ''");
    expect_line(rep, "procs3 memory ''");
    expect_line(rep, "procs3 cpuacct '4244'");
    expect_line(rep, "destroy3 0 ");
    snprintf(p, sizeof p, "%s/pids", v1_root);
    ck_assert_int_eq(count_prefixed(p, "grader-"), 0);
    snprintf(p, sizeof p, "%s/memory/grp", v1_root);
    ck_assert_int_eq(count_prefixed(p, "grader-"), 0);
}
END_TEST

/* memory and pids mounted together in one v1 hierarchy: one folder for
 * both (it was made twice, the second mkdir failed with EEXIST, and the run
 * went without a memory limit).  Limit files are written where the kernel
 * would have them. */
static void v1_comounted(void)
{
    struct sb_cgroup cg;
    struct sandbox_limits lim = LIM;
    char base[PATH_MAX + 64];
    snprintf(base, sizeof base, "%s/memory,pids/grp", v1_root);
    /* A made-up folder has none of the kernel's limit files: the limits
     * stay unset; what is checked is the folder both controllers use. */
    sb_cgroup_create(&cg, &lim);
    say("desc %s\n", cg.desc);
    say("same folder %d\n", cg.dir[SB_CG_MEMORY][0] && strcmp(cg.dir[SB_CG_MEMORY], cg.dir[SB_CG_PIDS]) == 0);
    say("under own %d\n", strncmp(cg.dir[SB_CG_MEMORY], base, strlen(base)) == 0);
    char err[PATH_MAX + 128] = "";
    say("destroy %d %s\n", sb_cgroup_destroy(&cg, err, sizeof err), err);
}

START_TEST(v1_memory_and_pids_mounted_together)
{
    if (!as_root())
        return;
    char mi[4 * PATH_MAX], rep[4096], p[PATH_MAX + 64];
    snprintf(v1_root, sizeof v1_root, "%s/v1c", top);
    snprintf(p, sizeof p, "%s/memory,pids/grp", v1_root);
    mkdirs(p);
    snprintf(mi, sizeof mi, "42 31 0:41 / %s/memory,pids rw - cgroup cgroup rw,memory,pids\n", v1_root);
    run_on_fake_host(mi, "4:memory,pids:/grp\n0::/\n", v1_comounted, rep, sizeof rep);
    expect_line(rep, "desc cgroup v1: pids(unset) memory(unset)");
    expect_line(rep, "same folder 1");
    expect_line(rep, "under own 1");
    expect_line(rep, "destroy 0 ");
    snprintf(p, sizeof p, "%s/memory,pids/grp", v1_root);
    ck_assert_int_eq(count_prefixed(p, "grader-"), 0);
}
END_TEST

/* The isolation report names errors as one looks them up ("ENOSPC"). */
START_TEST(errno_names)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    ck_assert_str_eq(sb_errname(EPERM), "EPERM");
    ck_assert_str_eq(sb_errname(ENOSPC), "ENOSPC");
    ck_assert_str_eq(sb_errname(EROFS), "EROFS");
#else
    ck_assert_str_eq(sb_errname(EPERM), strerror(EPERM));
#endif
    /* A number with no name: the C library's text for it. */
    char want[64];
    snprintf(want, sizeof want, "%s", strerror(99999));
    ck_assert_str_eq(sb_errname(99999), want);
    ck_assert_ptr_nonnull(strstr(want, "99999"));
}
END_TEST

static Suite *cgroup_suite(void)
{
    Suite *s = suite_create("cgroup");
    TCase *tc = tcase_create("cgroup");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, errno_names);
    tcase_add_test(tc, v2_delegated_subtree);
    tcase_add_test(tc, v2_without_memory_or_pids);
    tcase_add_test(tc, v2_subtree_control_refused);
    tcase_add_test(tc, v2_run_cgroup_cannot_be_made);
    tcase_add_test(tc, v2_seen_from_a_container);
    tcase_add_test(tc, nothing_to_read);
    tcase_add_test(tc, v1_hybrid_layout);
    tcase_add_test(tc, v1_memory_and_pids_mounted_together);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(cgroup_suite)
