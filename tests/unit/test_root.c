/* test_root.c: the minimal root (sandbox/root.h), and the names of the
 * steps and stages a failed run reports (root.h, child.h).  The
 * supervisor's side, sb_root_plan and sb_root_host_usable, is checked on
 * its own: which host paths a run gets, which it is refused, the accounts
 * and mount options written for it.  The init's side, sb_root_build, is
 * run (as root) in a child in a mount namespace of its own: a root it
 * built, seen from inside, and each step that can fail, after which the
 * host's tree must be back as it was. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_main.h"
#include "scratch.h"
#include "child.h"
#include "root.h"

static char top[64];

static void setup(void)
{
    snprintf(top, sizeof top, "/tmp/grader-roottest-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(top));
    ck_assert_int_eq(chmod(top, 0755), 0); /* "others" may search it, as /tmp */
}

static void teardown(void)
{
    scratch_remove(top);
    ck_assert_int_eq(access(top, F_OK), -1);
}

static const char *at(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", top, rel);
    return out;
}

static void put(const char *rel, const char *text, mode_t mode)
{
    char p[PATH_MAX];
    at(p, sizeof p, rel);
    for (char *s = strchr(p + strlen(top) + 1, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        mkdir(p, 0755);
        *s = '/';
    }
    int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, mode);
    ck_assert_msg(fd >= 0, "%s: %s", p, strerror(errno));
    ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    ck_assert_int_eq(chmod(p, mode), 0);
}

static void mk(const char *rel, mode_t mode)
{
    char p[PATH_MAX];
    ck_assert_msg(mkdir(at(p, sizeof p, rel), mode) == 0, "%s: %s", p, strerror(errno));
    ck_assert_int_eq(chmod(p, mode), 0);
}

struct plan {
    struct sb_root root;
    bool usable;
    char err[512];
    int rc;
};

static void plan(struct plan *pl, const char *box, const char *const *argv, const char *const *extra)
{
    memset(pl, 0, sizeof *pl);
    pl->rc = sb_root_plan(&pl->root, box, argv, extra, 1 << 20, 2 << 20, 77, 60001, 60002, &pl->usable, pl->err,
                          sizeof pl->err);
}

/* ---- planning ----------------------------------------------------------- */

START_TEST(step_names)
{
    static const char *const want[SB_ROOT_STEP_COUNT] = {"setup",
                                                         "opening the box",
                                                         "mounting the root tmpfs",
                                                         "binding /usr and the system directories",
                                                         "filling /etc",
                                                         "building /dev",
                                                         "mounting /tmp",
                                                         "binding a read-only path",
                                                         "covering a hidden directory",
                                                         "mounting the work directory",
                                                         "copying the box",
                                                         "pivot_root",
                                                         "detaching the old root",
                                                         "adding Landlock rules"};
    for (int i = 0; i < SB_ROOT_STEP_COUNT; i++)
        ck_assert_str_eq(sb_root_step_name(i), want[i]);
    ck_assert_str_eq(sb_root_step_name(-1), "setup");
    ck_assert_str_eq(sb_root_step_name(SB_ROOT_STEP_COUNT), "setup");

    /* And the stages before execve that the error report names (child.h). */
    static const char *const stages[SB_STAGE_COUNT] = {"setup",
                                                       "making mounts private",
                                                       "forking the payload",
                                                       "setsid",
                                                       "setting up descriptors",
                                                       "entering the box",
                                                       "setrlimit",
                                                       "building the minimal root",
                                                       "switching to the run's uid",
                                                       "prctl",
                                                       "enforcing Landlock",
                                                       "loading the seccomp filter",
                                                       "execve",
                                                       "entering the runs' network namespace"};
    for (int i = 0; i < SB_STAGE_COUNT; i++)
        ck_assert_str_eq(sb_stage_name(i), stages[i]);
    ck_assert_str_eq(sb_stage_name(-3), "setup");
    ck_assert_str_eq(sb_stage_name(SB_STAGE_COUNT), "setup");
}
END_TEST

START_TEST(plan_accounts_and_options)
{
    struct plan pl;
    const char *argv[] = {"/bin/sh", "-c", "true", NULL};
    plan(&pl, "/tmp/grader-box-1-abcdef", argv, NULL);
    ck_assert_msg(pl.rc == 0, "%s", pl.err);
    ck_assert_str_eq(pl.root.box, "/tmp/grader-box-1-abcdef");
    ck_assert_int_eq(pl.root.nro, 0); /* /bin/sh is in the system trees */
    ck_assert(pl.usable);
    ck_assert_str_eq(pl.root.passwd, "root:x:0:0:root:/root:/bin/sh\nsandbox:x:60001:60002::/tmp:/bin/sh\n");
    ck_assert_str_eq(pl.root.group, "root:x:0:\nsandbox:x:60002:\n");
    ck_assert_str_eq(pl.root.tmp_opts, "size=1048576,nr_inodes=4096,mode=1777");
    ck_assert_str_eq(pl.root.work_opts, "size=2097152,nr_inodes=77,mode=0700,uid=60001,gid=60002");
    ck_assert_uint_eq(pl.root.uid, 60001);
    ck_assert_uint_eq(pl.root.gid, 60002);

    /* Root keeps uid 0: no second account. */
    bool usable = false;
    char err[128];
    struct sb_root r;
    ck_assert_int_eq(
        sb_root_plan(&r, "/tmp/grader-box-1-abcdef", argv, NULL, 4096, 8192, 10, 0, 0, &usable, err, sizeof err), 0);
    ck_assert_str_eq(r.passwd, "root:x:0:0:root:/tmp:/bin/sh\n");
    ck_assert_str_eq(r.group, "root:x:0:\n");
    ck_assert_str_eq(r.work_opts, "size=8192,nr_inodes=10,mode=0700,uid=0,gid=0");
}
END_TEST

START_TEST(plan_paths_from_argv)
{
    char tool[PATH_MAX], input[PATH_MAX], data2[PATH_MAX], box[PATH_MAX], want[PATH_MAX];
    put("opt/py/bin/tool", "#!/bin/sh\n", 0755);
    put("data/input.txt", "1 2 3\n", 0644);
    mk("data2", 0755);
    mk("box", 0700);
    at(tool, sizeof tool, "opt/py/bin/tool");
    at(input, sizeof input, "data/input.txt");
    snprintf(data2, sizeof data2, "%s/data2//", top);
    const char *argv[] = {tool, input, data2, "relative.txt", "/no/such/file", "/etc/passwd", NULL};
    struct plan pl;
    plan(&pl, at(box, sizeof box, "box"), argv, NULL);
    ck_assert_msg(pl.rc == 0, "%s", pl.err);
    ck_assert_int_eq(pl.root.nro, 3);
    /* argv[0]'s installation prefix (the folder above bin/), a file's
     * folder, a folder itself; never /etc. */
    ck_assert_str_eq(pl.root.ro[0], at(want, sizeof want, "opt/py"));
    ck_assert_str_eq(pl.root.ro[1], at(want, sizeof want, "data"));
    ck_assert_str_eq(pl.root.ro[2], at(want, sizeof want, "data2"));
    ck_assert(pl.usable);
}
END_TEST

START_TEST(plan_merges_nested_paths)
{
    char a[PATH_MAX], ab[PATH_MAX], box[PATH_MAX];
    mk("a", 0755);
    mk("a/b", 0755);
    mk("box", 0700);
    at(a, sizeof a, "a");
    at(ab, sizeof ab, "a/b");
    const char *argv[] = {"/bin/true", NULL};
    /* The enclosing path replaces what it encloses, whichever comes first. */
    const char *inner_first[] = {ab, a, NULL};
    struct plan pl;
    plan(&pl, at(box, sizeof box, "box"), argv, inner_first);
    ck_assert_msg(pl.rc == 0, "%s", pl.err);
    ck_assert_int_eq(pl.root.nro, 1);
    ck_assert_str_eq(pl.root.ro[0], a);
    const char *outer_first[] = {a, ab, ab, NULL};
    plan(&pl, box, argv, outer_first);
    ck_assert_msg(pl.rc == 0, "%s", pl.err);
    ck_assert_int_eq(pl.root.nro, 1);
    ck_assert_str_eq(pl.root.ro[0], a);
    /* System trees are there already. */
    const char *system[] = {"/usr/share", "/bin", NULL};
    plan(&pl, box, argv, system);
    ck_assert_msg(pl.rc == 0, "%s", pl.err);
    ck_assert_int_eq(pl.root.nro, 0);
}
END_TEST

START_TEST(plan_at_most_eight_paths)
{
    char names[9][PATH_MAX], box[PATH_MAX], rel[32];
    const char *extra[10], *argv9[11];
    mk("box", 0700);
    argv9[0] = "/bin/true";
    for (int i = 0; i < 9; i++) {
        snprintf(rel, sizeof rel, "p%d", i);
        mk(rel, 0755);
        at(names[i], sizeof names[i], rel);
        extra[i] = names[i];
        argv9[i + 1] = names[i];
    }
    extra[9] = NULL;
    argv9[10] = NULL;
    struct plan pl;
    plan(&pl, at(box, sizeof box, "box"), argv9 + 9, extra); /* argv: p8 alone, then 9 extra */
    ck_assert_int_eq(pl.rc, -1);
    ck_assert_str_eq(pl.err, "too many read-only paths (at most 8)");
    /* From argv as well (paths the command names are never silently cut). */
    plan(&pl, box, argv9, NULL);
    ck_assert_int_eq(pl.rc, -1);
    ck_assert_str_eq(pl.err, "too many read-only paths (at most 8)");
    extra[8] = NULL;
    plan(&pl, box, argv9 + 9, extra + 1); /* 7 extra + p8 from argv */
    ck_assert_msg(pl.rc == 0, "%s", pl.err);
    ck_assert_int_eq(pl.root.nro, 8);
}
END_TEST

START_TEST(plan_refuses_extra_paths)
{
    char box[PATH_MAX], inbox[PATH_MAX], missing[PATH_MAX], named[PATH_MAX], want[PATH_MAX + 128];
    mk("box", 0700);
    mk("box/inner", 0700);
    mk("x", 0755);
    mk("x/grader-box-9-zzz", 0755);
    at(box, sizeof box, "box");
    at(inbox, sizeof inbox, "box/inner");
    at(missing, sizeof missing, "missing");
    at(named, sizeof named, "x/grader-box-9-zzz");
    const char *argv[] = {"/bin/true", NULL};
    static const char *const refused = ": refused (a system directory, too broad, or a sandbox's box)";
    struct {
        const char *path, *why;
    } cases[] = {
        {"relative/dir", ": not a clean absolute path"},
        {"/usr//lib", ": not a clean absolute path"},
        {"/usr/./lib", ": not a clean absolute path"},
        {"/usr/lib/", ": not a clean absolute path"},
        {"/usr/lib/..", ": not a clean absolute path"},
        {"/usr/lib/.", ": not a clean absolute path"},
        {"/etc/ssl", refused},
        {"/proc/self", refused},
        {"/tmp", refused}, /* every run's and user's files */
        {box, refused},
        {inbox, refused},
        {named, refused},
        {top, refused}, /* it holds the box */
    };
    struct plan pl;
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        const char *extra[] = {cases[i].path, NULL};
        plan(&pl, box, argv, extra);
        ck_assert_msg(pl.rc == -1, "%s was accepted", cases[i].path);
        snprintf(want, sizeof want, "read-only path %s%s", cases[i].path, cases[i].why);
        ck_assert_str_eq(pl.err, want);
    }
    const char *extra[] = {missing, NULL};
    plan(&pl, box, argv, extra);
    ck_assert_int_eq(pl.rc, -1);
    snprintf(want, sizeof want, "read-only path %s: %s", missing, strerror(ENOENT));
    ck_assert_str_eq(pl.err, want);

    /* The same paths in argv are left out, silently: the command just does
     * not see them. */
    const char *argv2[] = {"/bin/cat", "/etc/ssl/openssl.cnf", box, inbox, named, missing, NULL};
    plan(&pl, box, argv2, NULL);
    ck_assert_msg(pl.rc == 0, "%s", pl.err);
    ck_assert_int_eq(pl.root.nro, 0);
}
END_TEST

START_TEST(plan_refuses_a_bad_box_path)
{
    const char *argv[] = {"/bin/true", NULL};
    struct plan pl;
    plan(&pl, "relative-box", argv, NULL);
    ck_assert_int_eq(pl.rc, -1);
    ck_assert_str_eq(pl.err, "the box path is too long");
    char *longbox = malloc(SB_ROOT_PATH + 8);
    ck_assert_ptr_nonnull(longbox);
    memset(longbox, 'b', SB_ROOT_PATH + 7);
    longbox[0] = '/';
    longbox[SB_ROOT_PATH + 7] = '\0';
    plan(&pl, longbox, argv, NULL);
    free(longbox);
    ck_assert_int_eq(pl.rc, -1);
    ck_assert_str_eq(pl.err, "the box path is too long");
}
END_TEST

START_TEST(usable_by_the_run_uid)
{
    char p[PATH_MAX], box[PATH_MAX];
    mk("box", 0700);
    at(box, sizeof box, "box");
    put("pub/bin/tool", "#!/bin/sh\n", 0755);
    put("pub/data.txt", "x\n", 0644);
    put("pub/secret.txt", "x\n", 0600);
    put("priv/bin/tool", "#!/bin/sh\n", 0755);
    ck_assert_int_eq(chmod(at(p, sizeof p, "priv"), 0700), 0);
    put("pub/bin/private-tool", "#!/bin/sh\n", 0700);
    put("pub/bin/not-exec", "#!/bin/sh\n", 0644);
    mk("pub/listless", 0711);

    struct plan pl;
    const char *a1[] = {at(p, sizeof p, "pub/bin/tool"), NULL};
    plan(&pl, box, a1, NULL);
    ck_assert_msg(pl.rc == 0, "%s", pl.err);
    ck_assert(pl.usable);
    const char *a2[] = {at(p, sizeof p, "priv/bin/tool"), NULL}; /* its prefix is 0700 */
    plan(&pl, box, a2, NULL);
    ck_assert_msg(pl.rc == 0, "%s", pl.err);
    ck_assert(!pl.usable);
    const char *a3[] = {at(p, sizeof p, "pub/bin/private-tool"), NULL};
    plan(&pl, box, a3, NULL);
    ck_assert(!pl.usable);
    const char *a4[] = {at(p, sizeof p, "pub/bin/not-exec"), NULL};
    plan(&pl, box, a4, NULL);
    ck_assert(!pl.usable);

    /* Without a minimal root: the whole path from / counts. */
    ck_assert(sb_root_host_usable(at(p, sizeof p, "pub/bin/tool"), 60001, 60001, true));
    ck_assert(sb_root_host_usable(at(p, sizeof p, "pub/data.txt"), 60001, 60001, false));
    ck_assert(!sb_root_host_usable(at(p, sizeof p, "pub/data.txt"), 60001, 60001, true));
    ck_assert(!sb_root_host_usable(at(p, sizeof p, "pub/secret.txt"), 60001, 60001, false));
    ck_assert(!sb_root_host_usable(at(p, sizeof p, "priv/bin/tool"), 60001, 60001, true));
    ck_assert(sb_root_host_usable(at(p, sizeof p, "pub"), 60001, 60001, false));
    ck_assert(!sb_root_host_usable(at(p, sizeof p, "pub/listless"), 60001, 60001, false)); /* --x: not listable */
    ck_assert(!sb_root_host_usable(at(p, sizeof p, "pub/missing"), 60001, 60001, false));
    ck_assert(!sb_root_host_usable("pub/bin/tool", 60001, 60001, true));
    char *longp = malloc(PATH_MAX + 8);
    ck_assert_ptr_nonnull(longp);
    memset(longp, 'l', PATH_MAX + 7);
    longp[0] = '/';
    longp[PATH_MAX + 7] = '\0';
    ck_assert(!sb_root_host_usable(longp, 60001, 60001, false));
    free(longp);
}
END_TEST

/* ---- building (as root, in a mount namespace of a child's own) ---------- */

struct built {
    int step, err;
    bool proc;
    bool box_intact;   /* failure: the box is a plain folder again, its file there */
    char report[4096]; /* success: what the child saw from inside */
};

/* Runs sb_root_build in a child with a private mount namespace.  The child
 * reports through a pipe; after a failed build it returns normally (exit),
 * after a successful one it cannot reach the host's files and leaves with
 * _exit. */
static void build_in_child(const struct sb_root *r, struct built *out)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        struct built b;
        memset(&b, 0, sizeof b);
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            _exit(90);
        b.step = sb_root_build(r, false, -1, 0, &b.proc, &b.err);
        if (b.step != 0) {
            struct stat box, parent;
            char up[SB_ROOT_PATH + 4], hello[SB_ROOT_PATH + 16];
            snprintf(up, sizeof up, "%s/..", r->box);
            snprintf(hello, sizeof hello, "%s/hello.txt", r->box);
            b.box_intact = stat(r->box, &box) == 0 && stat(up, &parent) == 0 && box.st_dev == parent.st_dev &&
                           access(hello, F_OK) == 0;
            if (write(fds[1], &b, sizeof b) != (ssize_t)sizeof b)
                exit(91);
            exit(0);
        }
        /* Inside the new root. */
        char *w = b.report;
        size_t left = sizeof b.report;
#define SAY(...)                                                                                                       \
    do {                                                                                                               \
        int n_ = snprintf(w, left, __VA_ARGS__);                                                                       \
        if (n_ > 0 && (size_t)n_ < left) {                                                                             \
            w += n_;                                                                                                   \
            left -= (size_t)n_;                                                                                        \
        }                                                                                                              \
    } while (0)
        char cwd[256] = "";
        SAY("cwd %s\n", getcwd(cwd, sizeof cwd) ? cwd : "?");
        DIR *d = opendir("/");
        struct dirent *de;
        const char *want[] = {"bin", "box", "dev", "etc", "proc", "tmp", "usr"};
        int have = 0;
        while (d && (de = readdir(d)) != NULL)
            for (size_t i = 0; i < sizeof want / sizeof *want; i++)
                if (strcmp(de->d_name, want[i]) == 0)
                    have |= 1 << i;
        if (d)
            closedir(d);
        SAY("top %s\n", have == 0x7f ? "all" : "missing");
        int fd = open("/etc/passwd", O_RDONLY);
        char buf[256] = "";
        ssize_t n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        buf[n > 0 ? n : 0] = '\0';
        if (fd >= 0)
            close(fd);
        SAY("passwd %s", buf);
        fd = open("/box/hello.txt", O_RDONLY);
        n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        buf[n > 0 ? n : 0] = '\0';
        if (fd >= 0)
            close(fd);
        SAY("hello %s", buf);
        struct stat st;
        SAY("hello owner %d\n", stat("/box/hello.txt", &st) == 0 ? (int)st.st_uid : -1);
        if (stat("/box/sub", &st) == 0)
            SAY("sub owner %d mode %o\n", (int)st.st_uid, (unsigned)(st.st_mode & 07777));
        SAY("run.sh mode %o\n", stat("/box/run.sh", &st) == 0 ? (unsigned)(st.st_mode & 0777) : 0u);
        SAY("empty size %lld\n", stat("/box/empty", &st) == 0 ? (long long)st.st_size : -1LL);
        char target[64] = "";
        n = readlink("/box/link", target, sizeof target - 1);
        target[n > 0 ? n : 0] = '\0';
        SAY("link %s owner %d\n", target, lstat("/box/link", &st) == 0 ? (int)st.st_uid : -1);
        fd = open("/box/sub/inner.txt", O_RDONLY);
        n = fd >= 0 ? read(fd, buf, sizeof buf - 1) : -1;
        buf[n > 0 ? n : 0] = '\0';
        if (fd >= 0)
            close(fd);
        SAY("inner %s", buf);
        errno = 0;
        fd = open("/usr/evil", O_WRONLY | O_CREAT, 0644);
        SAY("usr write %s\n", fd >= 0 ? "allowed" : strerror(errno));
        fd = open("/box/new.txt", O_WRONLY | O_CREAT, 0644);
        SAY("box write %s\n", fd >= 0 ? "allowed" : strerror(errno));
        struct statvfs sv;
        SAY("root ro %d\n", statvfs("/", &sv) == 0 && (sv.f_flag & ST_RDONLY) ? 1 : 0);
        SAY("host box %s\n", access(r->box, F_OK) == 0 ? "visible" : "gone");
        SAY("null %s\n", access("/dev/null", W_OK) == 0 ? "ok" : "missing");
#undef SAY
        if (write(fds[1], &b, sizeof b) != (ssize_t)sizeof b)
            _exit(91);
        _exit(0);
    }
    close(fds[1]);
    memset(out, 0, sizeof *out);
    ssize_t n = read(fds[0], out, sizeof *out);
    close(fds[0]);
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
    ck_assert_int_eq(n, (ssize_t)sizeof *out);
}

static bool as_root(void)
{
    if (geteuid() == 0)
        return true;
    printf("note: not root: test skipped\n");
    return false;
}

static void make_box(struct sb_root *r)
{
    char box[PATH_MAX], p[PATH_MAX];
    put("box/hello.txt", "hello from the box\n", 0644);
    put("box/sub/inner.txt", "inner\n", 0600);
    put("box/run.sh", "#!/bin/sh\n", 0755);
    put("box/empty", "", 0644);
    ck_assert_int_eq(symlink("hello.txt", at(p, sizeof p, "box/link")), 0);
    bool usable;
    char err[256];
    const char *argv[] = {"/bin/sh", NULL};
    ck_assert_int_eq(sb_root_plan(r, at(box, sizeof box, "box"), argv, NULL, 1 << 20, 4 << 20, 100, 61001, 61002,
                                  &usable, err, sizeof err),
                     0);
}

START_TEST(build_and_look_inside)
{
    if (!as_root())
        return;
    struct sb_root r;
    make_box(&r);
    struct built b;
    build_in_child(&r, &b);
    ck_assert_int_eq(b.step, 0);
    const char *o = b.report;
    ck_assert_msg(strstr(o, "cwd /\n"), "%s", o);
    ck_assert_msg(strstr(o, "top all\n"), "%s", o);
    ck_assert_msg(strstr(o, "passwd root:x:0:0:root:/root:/bin/sh\nsandbox:x:61001:61002::/tmp:/bin/sh\n"), "%s", o);
    ck_assert_msg(strstr(o, "hello hello from the box\n"), "%s", o);
    ck_assert_msg(strstr(o, "hello owner 61001\n"), "%s", o);
    ck_assert_msg(strstr(o, "sub owner 61001 mode 755\n"), "%s", o);
    ck_assert_msg(strstr(o, "run.sh mode 755\n"), "%s", o);
    ck_assert_msg(strstr(o, "empty size 0\n"), "%s", o);
    ck_assert_msg(strstr(o, "link hello.txt owner 61001\n"), "%s", o);
    ck_assert_msg(strstr(o, "inner inner\n"), "%s", o);
    ck_assert_msg(strstr(o, "usr write Read-only file system\n"), "%s", o);
    ck_assert_msg(strstr(o, "box write allowed\n"), "%s", o);
    ck_assert_msg(strstr(o, "root ro 1\n"), "%s", o);
    ck_assert_msg(strstr(o, "host box gone\n"), "%s", o);
    ck_assert_msg(strstr(o, "null ok\n"), "%s", o);
    ck_assert(!b.proc); /* no new /proc was asked for */
    /* The host's box is untouched: still the files, no new one. */
    char p[PATH_MAX];
    ck_assert_int_eq(access(at(p, sizeof p, "box/hello.txt"), F_OK), 0);
    ck_assert_int_eq(access(at(p, sizeof p, "box/new.txt"), F_OK), -1);
}
END_TEST

static void expect_step(const struct sb_root *r, int step, int err)
{
    struct built b;
    build_in_child(r, &b);
    ck_assert_msg(b.step == step, "step %d (%s), expected %d (%s)", b.step, sb_root_step_name(b.step), step,
                  sb_root_step_name(step));
    ck_assert_msg(b.err == err, "errno %d (%s), expected %d (%s)", b.err, strerror(b.err), err, strerror(err));
    ck_assert(!b.proc);
    ck_assert_msg(b.box_intact, "after a failure at %s the box is not back as it was", sb_root_step_name(step));
}

START_TEST(build_failures_undo_everything)
{
    if (!as_root())
        return;
    struct sb_root r, bad;
    make_box(&r);

    bad = r;
    char p[PATH_MAX];
    snprintf(bad.box, sizeof bad.box, "%s", at(p, sizeof p, "no-such-box"));
    struct built b;
    build_in_child(&bad, &b);
    ck_assert_int_eq(b.step, SB_ROOT_STEP_OPEN_BOX);
    ck_assert_int_eq(b.err, ENOENT);

    bad = r;
    snprintf(bad.tmp_opts, sizeof bad.tmp_opts, "size=lots");
    expect_step(&bad, SB_ROOT_STEP_TMP, EINVAL);

    bad = r;
    bad.nro = 1;
    snprintf(bad.ro[0], sizeof bad.ro[0], "%s", at(p, sizeof p, "vanished"));
    expect_step(&bad, SB_ROOT_STEP_RO, ENOENT);

    bad = r;
    snprintf(bad.work_opts, sizeof bad.work_opts, "nr_inodes=many");
    expect_step(&bad, SB_ROOT_STEP_WORK, EINVAL);

    /* The copy does not fit the work directory's cap. */
    char big[65536 + 1];
    memset(big, 'x', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    put("box/big.bin", big, 0644);
    bad = r;
    snprintf(bad.work_opts, sizeof bad.work_opts, "size=4096,nr_inodes=100,mode=0700");
    expect_step(&bad, SB_ROOT_STEP_COPY, ENOSPC);
}
END_TEST

START_TEST(plan_hides_only_what_the_root_shows)
{
    char tool[PATH_MAX], box[PATH_MAX], link[PATH_MAX], real[PATH_MAX];
    char site[PATH_MAX], missing[PATH_MAX], outside[PATH_MAX], site2[PATH_MAX], want[2 * PATH_MAX];
    put("opt/py/bin/tool", "#!/bin/sh\n", 0755);
    put("opt/py/lib/site/pkg.pth", "import os\n", 0644);
    put("opt/py2/site/x.py", "\n", 0644);
    put("data/elsewhere/y.py", "\n", 0644);
    mk("box", 0700);
    at(tool, sizeof tool, "opt/py/bin/tool");
    at(site, sizeof site, "opt/py/lib/site");
    at(missing, sizeof missing, "opt/py/lib/missing");
    at(outside, sizeof outside, "data/elsewhere");
    at(real, sizeof real, "opt/py2");
    at(site2, sizeof site2, "opt/py2/site");
    ck_assert_int_eq(symlink(real, at(link, sizeof link, "pylink")), 0);
    const char *argv[] = {tool, NULL};
    const char *extra[] = {link, NULL};
    struct plan pl;
    plan(&pl, at(box, sizeof box, "box"), argv, extra);
    ck_assert_msg(pl.rc == 0, "%s", pl.err);
    ck_assert_int_eq(pl.root.nro, 2);

    /* Shown: beneath a bound prefix, beneath /usr, and beneath a path
     * bound through a symbolic link (covered where the root shows it).
     * Skipped: missing, and not in the root at all. */
    const char *hide[] = {site, missing, outside, "/usr/share", site2, NULL};
    ck_assert_int_eq(sb_root_plan_hide(&pl.root, hide, pl.err, sizeof pl.err), 0);
    ck_assert_int_eq(pl.root.nhide, 3);
    ck_assert_str_eq(pl.root.hide[0], site);
    ck_assert_str_eq(pl.root.hide[1], "/usr/share");
    snprintf(want, sizeof want, "%s/site", link);
    ck_assert_str_eq(pl.root.hide[2], want);

    /* Nested: only the outer one, whichever order they come in. */
    char inner[PATH_MAX];
    put("opt/py/lib/site/pkg/mod.py", "\n", 0644);
    at(inner, sizeof inner, "opt/py/lib/site/pkg");
    const char *nested[] = {inner, site, "/usr/share", "/usr/share/doc", NULL};
    ck_assert_int_eq(sb_root_plan_hide(&pl.root, nested, pl.err, sizeof pl.err), 0);
    ck_assert_int_eq(pl.root.nhide, 2);
    ck_assert_str_eq(pl.root.hide[0], site);
    ck_assert_str_eq(pl.root.hide[1], "/usr/share");

    /* NULL hides nothing; an unclean path and a seventh directory are refused. */
    ck_assert_int_eq(sb_root_plan_hide(&pl.root, NULL, pl.err, sizeof pl.err), 0);
    ck_assert_int_eq(pl.root.nhide, 0);
    const char *unclean[] = {"usr/share", NULL};
    ck_assert_int_eq(sb_root_plan_hide(&pl.root, unclean, pl.err, sizeof pl.err), -1);
    ck_assert_str_eq(pl.err, "hidden path usr/share: not a clean absolute path");
    const char *seven[] = {"/usr/share", "/usr/lib",     "/usr/bin",   "/usr/include",
                           "/usr/sbin",  "/usr/libexec", "/usr/local", NULL};
    int exist = 0;
    for (int i = 0; seven[i]; i++)
        exist += access(seven[i], F_OK) == 0;
    if (exist == 7) {
        ck_assert_int_eq(sb_root_plan_hide(&pl.root, seven, pl.err, sizeof pl.err), -1);
        ck_assert_str_eq(pl.err, "too many hidden paths (at most 6)");
    }
}
END_TEST

START_TEST(build_with_read_only_paths)
{
    if (!as_root())
        return;
    /* A planned folder and a planned file, bound at their own paths. */
    char box[PATH_MAX], tool[PATH_MAX], extra_file[PATH_MAX];
    put("box/hello.txt", "hi\n", 0644);
    put("opt/py/bin/tool", "#!/bin/sh\n", 0755);
    put("shared/answers.txt", "42\n", 0644);
    at(tool, sizeof tool, "opt/py/bin/tool");
    at(extra_file, sizeof extra_file, "shared/answers.txt");
    const char *argv[] = {tool, NULL};
    const char *extra[] = {extra_file, NULL};
    struct sb_root r;
    bool usable;
    char err[256];
    ck_assert_int_eq(sb_root_plan(&r, at(box, sizeof box, "box"), argv, extra, 1 << 20, 4 << 20, 100, 61001, 61002,
                                  &usable, err, sizeof err),
                     0);
    ck_assert_int_eq(r.nro, 2);
    ck_assert(usable);
    /* A folder beneath the bound prefix, hidden: empty and read-only. */
    char site[PATH_MAX];
    put("opt/py/lib/site/hook.pth", "import os\n", 0644);
    const char *hide[] = {at(site, sizeof site, "opt/py/lib/site"), NULL};
    ck_assert_int_eq(sb_root_plan_hide(&r, hide, err, sizeof err), 0);
    ck_assert_int_eq(r.nhide, 1);

    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        int e = 0;
        bool proc = false;
        if (unshare(CLONE_NEWNS) < 0 || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
            _exit(90);
        int step = sb_root_build(&r, false, -1, 0, &proc, &e);
        char buf[512] = "";
        if (step == 0) {
            int fd = open(extra_file, O_RDONLY);
            ssize_t n = fd >= 0 ? read(fd, buf, 100) : -1;
            buf[n > 0 ? n : 0] = '\0';
            if (fd >= 0)
                close(fd);
            errno = 0;
            fd = open(extra_file, O_WRONLY);
            size_t l = strlen(buf);
            snprintf(buf + l, sizeof buf - l, "tool %s write %s", access(tool, X_OK) == 0 ? "runs" : "missing",
                     fd >= 0 ? "allowed" : strerror(errno));
            /* the hidden folder: there, without its file, and not writable */
            char f[PATH_MAX + 16];
            struct stat st;
            snprintf(f, sizeof f, "%s/hook.pth", site);
            bool there = stat(site, &st) == 0 && S_ISDIR(st.st_mode);
            bool gone = access(f, F_OK) < 0 && errno == ENOENT;
            errno = 0;
            int made = open(f, O_WRONLY | O_CREAT, 0644);
            l = strlen(buf);
            snprintf(buf + l, sizeof buf - l, "; hidden %s %s create %s", there ? "there" : "missing",
                     gone ? "empty" : "still full", made >= 0 ? "allowed" : strerror(errno));
        } else {
            snprintf(buf, sizeof buf, "step %d: %s", step, strerror(e));
        }
        if (write(fds[1], buf, strlen(buf)) < 0)
            _exit(91);
        _exit(0);
    }
    close(fds[1]);
    char got[512];
    ssize_t n = read(fds[0], got, sizeof got - 1);
    close(fds[0]);
    got[n > 0 ? n : 0] = '\0';
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_int_eq(st, 0);
    ck_assert_str_eq(got, "42\ntool runs write Read-only file system; hidden there empty create Read-only file system");
}
END_TEST

static Suite *root_suite(void)
{
    Suite *s = suite_create("root");
    TCase *tc = tcase_create("root");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, step_names);
    tcase_add_test(tc, plan_accounts_and_options);
    tcase_add_test(tc, plan_paths_from_argv);
    tcase_add_test(tc, plan_merges_nested_paths);
    tcase_add_test(tc, plan_at_most_eight_paths);
    tcase_add_test(tc, plan_refuses_extra_paths);
    tcase_add_test(tc, plan_refuses_a_bad_box_path);
    tcase_add_test(tc, plan_hides_only_what_the_root_shows);
    tcase_add_test(tc, usable_by_the_run_uid);
    tcase_add_test(tc, build_and_look_inside);
    tcase_add_test(tc, build_failures_undo_everything);
    tcase_add_test(tc, build_with_read_only_paths);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(root_suite)
