/* test_box.c: the run's work directory (sandbox/box.h) on its own: what a
 * submission folder and extra files become in the box, every refusal with
 * the path it names (and no box left behind), handing the box to a run's
 * uid, and removing a box a student has booby-trapped.
 *
 * TMPDIR points at a private folder, so the boxes are made there and the
 * tests can see that none is left. */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <grp.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "box.h"
#include "check_main.h"
#include "scratch.h"

static char root[64];
static char *saved_tmpdir;

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/grader-boxtest-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    const char *t = getenv("TMPDIR");
    saved_tmpdir = t ? strdup(t) : NULL;
    char tmp[PATH_MAX];
    snprintf(tmp, sizeof tmp, "%s/tmp", root);
    ck_assert_int_eq(mkdir(tmp, 0700), 0);
    setenv("TMPDIR", tmp, 1);
}

static void rm_tree(const char *path)
{
    /* chmod -R u+rwx first: the tests make unreadable folders. */
    char cmd[PATH_MAX + 64];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null", path);
    if (system(cmd) < 0)
        return;
    scratch_remove(path);
}

static void teardown(void)
{
    if (saved_tmpdir)
        setenv("TMPDIR", saved_tmpdir, 1);
    else
        unsetenv("TMPDIR");
    free(saved_tmpdir);
    saved_tmpdir = NULL;
    rm_tree(root);
    ck_assert_int_eq(access(root, F_OK), -1);
}

static const char *at(char *out, size_t len, const char *rel)
{
    snprintf(out, len, "%s/%s", root, rel);
    return out;
}

static void put(const char *rel, const char *text, mode_t mode)
{
    char p[PATH_MAX];
    at(p, sizeof p, rel);
    for (char *s = strchr(p + strlen(root) + 1, '/'); s; s = strchr(s + 1, '/')) {
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

static void mk(const char *rel)
{
    char p[PATH_MAX];
    ck_assert_msg(mkdir(at(p, sizeof p, rel), 0755) == 0, "%s: %s", p, strerror(errno));
}

/* Boxes in our TMPDIR (none may outlive a failed create or a remove). */
static int count_boxes(void)
{
    char tmp[PATH_MAX];
    DIR *d = opendir(at(tmp, sizeof tmp, "tmp"));
    ck_assert_ptr_nonnull(d);
    int n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        n += strncmp(de->d_name, "grader-box-", 11) == 0;
    closedir(d);
    return n;
}

static void read_in(const struct sb_box *box, const char *rel, char *out, size_t len)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", box->path, rel);
    int fd = open(p, O_RDONLY | O_NOFOLLOW);
    ck_assert_msg(fd >= 0, "%s: %s", p, strerror(errno));
    ssize_t n = read(fd, out, len - 1);
    close(fd);
    ck_assert_int_ge(n, 0);
    out[n] = '\0';
}

static int lstat_in(const struct sb_box *box, const char *rel, struct stat *st)
{
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/%s", box->path, rel);
    return lstat(p, st);
}

static struct sandbox_spec spec_of(const char *copy_dir)
{
    struct sandbox_spec s;
    memset(&s, 0, sizeof s);
    s.copy_dir = copy_dir;
    return s;
}

/* sb_box_create fails with exactly `want` (or, want ending in '*', with
 * that prefix) and leaves nothing. */
/* The one extra file of `s`, through a pointer: the spec reads it later. */
static void put_one(struct sandbox_spec *s, struct sandbox_file *one, const char *from, const char *to)
{
    *one = (struct sandbox_file){.source = from, .name = to};
    s->files = one;
    s->nfiles = 1;
}

static void expect_refused(const struct sandbox_spec *s, const char *want)
{
    struct sb_box box;
    char err[PATH_MAX * 2] = "";
    ck_assert_int_eq(sb_box_create(&box, s, false, err, sizeof err), -1);
    size_t n = strlen(want);
    if (n && want[n - 1] == '*')
        ck_assert_msg(strncmp(err, want, n - 1) == 0, "err: %s\nwant: %s", err, want);
    else
        ck_assert_str_eq(err, want);
    ck_assert_str_eq(box.path, "");
    ck_assert_int_eq(count_boxes(), 0);
}

/* ---- what goes in ------------------------------------------------------- */

START_TEST(copy_dir_files_links_and_skips)
{
    char src[PATH_MAX], text[256], fifo[PATH_MAX], sock[PATH_MAX];
    put("sub/leaky_app.py", "print('hi')\n", 0644);
    put("sub/run.sh", "#!/bin/sh\n", 0750);
    put("sub/empty.txt", "", 0600);
    put("sub/pkg/deeper/mod.py", "x = 1\n", 0644);
    put("sub/__pycache__/a.pyc", "junk", 0644);
    put("sub/pkg/__pycache__/b.pyc", "junk", 0644);
    ck_assert_int_eq(symlink("/etc/passwd", at(text, sizeof text, "sub/passwd-link")), 0);
    ck_assert_int_eq(symlink("pkg/deeper", at(text, sizeof text, "sub/rel-link")), 0);
    ck_assert_int_eq(mkfifo(at(fifo, sizeof fifo, "sub/pipe"), 0600), 0);
    int sfd = socket(AF_UNIX, SOCK_STREAM, 0);
    ck_assert_int_ge(sfd, 0);
    struct sockaddr_un addr = {.sun_family = AF_UNIX};
    snprintf(addr.sun_path, sizeof addr.sun_path, "%s", at(sock, sizeof sock, "sub/sock"));
    ck_assert_int_eq(bind(sfd, (struct sockaddr *)&addr, sizeof addr), 0);

    static const char *const skip[] = {"__pycache__", NULL};
    struct sandbox_spec s = spec_of(at(src, sizeof src, "sub"));
    s.copy_skip = skip;
    struct sb_box box;
    char err[512] = "";
    ck_assert_msg(sb_box_create(&box, &s, false, err, sizeof err) == 0, "%s", err);
    close(sfd);
    char tmpdir[PATH_MAX];
    ck_assert_msg(strncmp(box.path, at(tmpdir, sizeof tmpdir, "tmp/grader-box-"), strlen(tmpdir)) == 0, "%s", box.path);
    ck_assert_int_eq(count_boxes(), 1);

    struct stat st;
    ck_assert_int_eq(lstat(box.path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0700);
    read_in(&box, "leaky_app.py", text, sizeof text);
    ck_assert_str_eq(text, "print('hi')\n");
    read_in(&box, "pkg/deeper/mod.py", text, sizeof text);
    ck_assert_str_eq(text, "x = 1\n");
    read_in(&box, "empty.txt", text, sizeof text);
    ck_assert_str_eq(text, "");
    /* Modes: executable or not, nothing else carried over. */
    ck_assert_int_eq(lstat_in(&box, "run.sh", &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0755);
    ck_assert_int_eq(lstat_in(&box, "empty.txt", &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0644);
    /* Links are links, with their targets as written. */
    char target[PATH_MAX], p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/passwd-link", box.path);
    ssize_t n = readlink(p, target, sizeof target - 1);
    ck_assert_int_gt(n, 0);
    target[n] = '\0';
    ck_assert_str_eq(target, "/etc/passwd");
    snprintf(p, sizeof p, "%s/rel-link", box.path);
    n = readlink(p, target, sizeof target - 1);
    ck_assert_int_gt(n, 0);
    target[n] = '\0';
    ck_assert_str_eq(target, "pkg/deeper");
    /* Skipped at every depth; FIFOs and sockets never copied. */
    ck_assert_int_eq(lstat_in(&box, "__pycache__", &st), -1);
    ck_assert_int_eq(lstat_in(&box, "pkg/__pycache__", &st), -1);
    ck_assert_int_eq(lstat_in(&box, "pipe", &st), -1);
    ck_assert_int_eq(lstat_in(&box, "sock", &st), -1);

    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), 0);
    ck_assert_str_eq(box.path, "");
    ck_assert_int_eq(count_boxes(), 0);
    /* The source is untouched, the link's target too. */
    ck_assert_int_eq(access(at(p, sizeof p, "sub/leaky_app.py"), F_OK), 0);
    ck_assert_int_eq(access("/etc/passwd", F_OK), 0);
}
END_TEST

START_TEST(extra_files_nested_and_replacing)
{
    char src[PATH_MAX], f1[PATH_MAX], f2[PATH_MAX], text[256], err[512] = "";
    put("sub/leaky_app.py", "student's\n", 0644);
    put("sub/tests/keep.txt", "kept\n", 0644);
    put("probe.py", "probe\n", 0644);
    put("baseline.py", "baseline\n", 0755);
    struct sandbox_file files[] = {
        /* replaces the student's file */
        {.source = at(f1, sizeof f1, "probe.py"), .name = "leaky_app.py"},
        /* into an existing folder, and a new one */
        {.source = at(f2, sizeof f2, "baseline.py"), .name = "tests/ref/baseline.py"},
    };
    struct sandbox_spec s = spec_of(at(src, sizeof src, "sub"));
    s.files = files;
    s.nfiles = 2;
    struct sb_box box;
    ck_assert_msg(sb_box_create(&box, &s, false, err, sizeof err) == 0, "%s", err);
    read_in(&box, "leaky_app.py", text, sizeof text);
    ck_assert_str_eq(text, "probe\n");
    read_in(&box, "tests/ref/baseline.py", text, sizeof text);
    ck_assert_str_eq(text, "baseline\n");
    read_in(&box, "tests/keep.txt", text, sizeof text);
    ck_assert_str_eq(text, "kept\n");
    struct stat st;
    ck_assert_int_eq(lstat_in(&box, "tests/ref/baseline.py", &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0755);
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), 0);

    /* Files alone, no folder. */
    s = spec_of(NULL);
    s.files = files;
    s.nfiles = 1;
    ck_assert_msg(sb_box_create(&box, &s, false, err, sizeof err) == 0, "%s", err);
    read_in(&box, "leaky_app.py", text, sizeof text);
    ck_assert_str_eq(text, "probe\n");
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), 0);
    ck_assert_int_eq(count_boxes(), 0);
}
END_TEST

START_TEST(extra_files_never_go_through_the_submission)
{
    /* The submission decides what is in the box before the extra files go
     * in: a folder where a file goes, a link or a file where a folder
     * goes. */
    char src[PATH_MAX], f[PATH_MAX], want[PATH_MAX * 2], outside[PATH_MAX];
    put("sub/leaky_app.py/inner", "a folder named like the entry\n", 0644);
    mk("outside");
    ck_assert_int_eq(symlink(at(outside, sizeof outside, "outside"), at(want, sizeof want, "sub/tests")), 0);
    put("sub/data", "a file\n", 0644);
    put("probe.py", "probe\n", 0644);
    at(f, sizeof f, "probe.py");
    struct sandbox_spec s = spec_of(at(src, sizeof src, "sub"));
    struct sandbox_file one;

    put_one(&s, &one, f, "leaky_app.py");
    snprintf(want, sizeof want, "cannot copy %s to leaky_app.py: the submission has a directory there", f);
    expect_refused(&s, want);

    put_one(&s, &one, f, "tests/probe.py");
    snprintf(want, sizeof want, "cannot copy %s to tests/probe.py: tests in the box is not a plain directory", f);
    expect_refused(&s, want);
    DIR *d = opendir(outside);
    ck_assert_ptr_nonnull(d);
    int entries = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL)
        entries += de->d_name[0] != '.';
    closedir(d);
    ck_assert_int_eq(entries, 0); /* nothing written through the link */

    put_one(&s, &one, f, "data/probe.py");
    snprintf(want, sizeof want, "cannot copy %s to data/probe.py: data in the box is not a plain directory", f);
    expect_refused(&s, want);
}
END_TEST

START_TEST(extra_files_must_be_named_plainly)
{
    char f[PATH_MAX], want[PATH_MAX * 2];
    put("probe.py", "probe\n", 0644);
    at(f, sizeof f, "probe.py");
    struct sandbox_spec s = spec_of(NULL);
    struct sandbox_file one;
    char longname[NAME_MAX + 8];
    memset(longname, 'n', NAME_MAX + 1);
    longname[NAME_MAX + 1] = '\0';
    const char *bad[] = {"",     "/abs.py", "../up.py", "a/../b.py", "./a.py", "a//b.py",
                         "dir/", ".",       "..",       longname,    NULL};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        put_one(&s, &one, f, bad[i]);
        snprintf(want, sizeof want, "invalid file entry: source %s, name %s", f, bad[i] ? bad[i] : "(null)");
        expect_refused(&s, want);
    }
    put_one(&s, &one, NULL, "x.py");
    expect_refused(&s, "invalid file entry: source (null), name x.py");
}
END_TEST

START_TEST(extra_files_must_be_regular_files)
{
    char p[PATH_MAX], want[PATH_MAX * 2];
    struct sandbox_spec s = spec_of(NULL);
    struct sandbox_file one;

    put_one(&s, &one, at(p, sizeof p, "missing.py"), "x.py");
    snprintf(want, sizeof want, "cannot open %s: %s", p, strerror(ENOENT));
    expect_refused(&s, want);

    put("real.py", "x\n", 0644);
    ck_assert_int_eq(symlink("real.py", at(p, sizeof p, "link.py")), 0);
    put_one(&s, &one, p, "x.py");
    snprintf(want, sizeof want, "%s is a symbolic link; refusing to follow it", p);
    expect_refused(&s, want);

    mk("folder");
    put_one(&s, &one, at(p, sizeof p, "folder"), "x.py");
    snprintf(want, sizeof want, "%s is not a regular file", p);
    expect_refused(&s, want);

    /* A FIFO is opened without blocking, then refused. */
    ck_assert_int_eq(mkfifo(at(p, sizeof p, "fifo"), 0600), 0);
    put_one(&s, &one, p, "x.py");
    snprintf(want, sizeof want, "%s is not a regular file", p);
    expect_refused(&s, want);
}
END_TEST

START_TEST(copy_dir_itself_refused)
{
    char p[PATH_MAX], want[PATH_MAX * 2];
    struct sandbox_spec s = spec_of(at(p, sizeof p, "missing"));
    snprintf(want, sizeof want, "cannot open the directory %s: %s", p, strerror(ENOENT));
    expect_refused(&s, want);

    mk("real");
    ck_assert_int_eq(symlink("real", at(p, sizeof p, "link")), 0);
    s = spec_of(p);
    /* Refused, never followed, and said so (open() with O_DIRECTORY |
     * O_NOFOLLOW fails with ENOTDIR on a link, not ELOOP: the reason once
     * read "Not a directory"). */
    snprintf(want, sizeof want, "cannot open the directory %s: it is a symbolic link; refusing to follow it", p);
    expect_refused(&s, want);
}
END_TEST

/* ---- limits ------------------------------------------------------------- */

START_TEST(copy_limits_files_depth_bytes)
{
    char src[PATH_MAX], want[PATH_MAX * 2], rel[PATH_MAX];
    for (int i = 0; i < 5; i++) {
        snprintf(rel, sizeof rel, "many/f%d.py", i);
        put(rel, "x\n", 0644);
    }
    struct sandbox_spec s = spec_of(at(src, sizeof src, "many"));
    s.copy_max_files = 3;
    snprintf(want, sizeof want, "the submission has more than 3 files (at %s/f*", src);
    expect_refused(&s, want);
    s.copy_max_files = 5;
    struct sb_box box;
    char err[512] = "";
    ck_assert_msg(sb_box_create(&box, &s, false, err, sizeof err) == 0, "%s", err);
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), 0);

    /* The budget counts folders and links too, and the extra files. */
    mk("dirs");
    mk("dirs/a");
    mk("dirs/b");
    s = spec_of(at(src, sizeof src, "dirs"));
    s.copy_max_files = 1;
    snprintf(want, sizeof want, "the submission has more than 1 files (at %s/*", src);
    expect_refused(&s, want);
    mk("links");
    ck_assert_int_eq(symlink("x", at(rel, sizeof rel, "links/l1")), 0);
    ck_assert_int_eq(symlink("y", at(rel, sizeof rel, "links/l2")), 0);
    s = spec_of(at(src, sizeof src, "links"));
    s.copy_max_files = 1;
    snprintf(want, sizeof want, "the submission has more than 1 files (at %s/l*", src);
    expect_refused(&s, want);
    put("one/only.py", "x\n", 0644);
    put("probe.py", "p\n", 0644);
    char probe[PATH_MAX];
    struct sandbox_file extra = {.source = at(probe, sizeof probe, "probe.py"), .name = "probe.py"};
    s = spec_of(at(src, sizeof src, "one"));
    s.files = &extra;
    s.nfiles = 1;
    s.copy_max_files = 1;
    snprintf(want, sizeof want, "the submission has more than 1 files (at %s)", probe);
    expect_refused(&s, want);

    /* 65 folders deep: one more than is copied. */
    char deep[PATH_MAX] = "deep";
    size_t dl = strlen(deep);
    for (int i = 0; i < 65; i++)
        dl += (size_t)snprintf(deep + dl, sizeof deep - dl, "/d");
    snprintf(deep + dl, sizeof deep - dl, "/f.py");
    put(deep, "x\n", 0644);
    s = spec_of(at(src, sizeof src, "deep"));
    snprintf(want, sizeof want, "the submission is nested deeper than 64 directories (at %s/d*", src);
    expect_refused(&s, want);

    /* Bytes: a file bigger than the budget, and one whose size says 0 but
     * that reads longer (a /proc file): the budget holds for both. */
    put("big/a.bin", "0123456789abcdef0123456789abcdef", 0644);
    s = spec_of(at(src, sizeof src, "big"));
    s.copy_max_bytes = 16;
    snprintf(want, sizeof want, "the submission is larger than the 16-byte copy limit (at %s/a.bin)", src);
    expect_refused(&s, want);
    s = spec_of(NULL);
    struct sandbox_file proc = {.source = "/proc/self/status", .name = "status.txt"};
    s.files = &proc;
    s.nfiles = 1;
    s.copy_max_bytes = 16;
    expect_refused(&s, "the submission is larger than the 16-byte copy limit (at /proc/self/status)");
}
END_TEST

START_TEST(tmpdir_forms)
{
    char p[PATH_MAX], want[PATH_MAX * 2], err[512] = "";
    struct sandbox_spec s = spec_of(NULL);
    struct sb_box box;
    /* A TMPDIR that does not exist (the once-per-process sweep of stale
     * boxes finds no folder either, which is no error). */
    sb_box_sweep_stale();
    setenv("TMPDIR", at(p, sizeof p, "nowhere"), 1);
    snprintf(want, sizeof want, "cannot create the box under %s: %s", p, strerror(ENOENT));
    ck_assert_int_eq(sb_box_create(&box, &s, false, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
    ck_assert_str_eq(box.path, "");
    ck_assert_int_eq(access(p, F_OK), -1);

    /* Trailing slashes are dropped. */
    char slashes[PATH_MAX];
    snprintf(slashes, sizeof slashes, "%s/tmp//", root);
    setenv("TMPDIR", slashes, 1);
    ck_assert_msg(sb_box_create(&box, &s, false, err, sizeof err) == 0, "%s", err);
    snprintf(want, sizeof want, "%s/tmp/grader-box-%d-", root, (int)getpid());
    ck_assert_msg(strncmp(box.path, want, strlen(want)) == 0, "%s", box.path);
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), 0);

    /* A relative TMPDIR would depend on the current folder: /tmp. */
    setenv("TMPDIR", "relative/tmp", 1);
    ck_assert_msg(sb_box_create(&box, &s, false, err, sizeof err) == 0, "%s", err);
    snprintf(want, sizeof want, "/tmp/grader-box-%d-", (int)getpid());
    ck_assert_msg(strncmp(box.path, want, strlen(want)) == 0, "%s", box.path);
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), 0);
}
END_TEST

START_TEST(files_given_by_content)
{
    /* No file on the host: the bytes themselves become box/name, they
     * count against the copy limit, and an entry with neither a source nor
     * content is refused. */
    char err[512] = "", got[64];
    struct sandbox_spec s = spec_of(NULL);
    struct sandbox_file f[2] = {{.name = "dir/token", .content = "abc\0def", .content_len = 7},
                                {.name = "empty", .content = "", .content_len = 0}};
    s.files = f;
    s.nfiles = 2;
    struct sb_box box;
    ck_assert_msg(sb_box_create(&box, &s, false, err, sizeof err) == 0, "%s", err);
    char p[PATH_MAX + 64];
    snprintf(p, sizeof p, "%s/dir/token", box.path);
    int fd = open(p, O_RDONLY | O_NOFOLLOW);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(read(fd, got, sizeof got), 7);
    close(fd);
    ck_assert_int_eq(memcmp(got, "abc\0def", 7), 0);
    struct stat st;
    ck_assert_int_eq(lstat_in(&box, "empty", &st), 0);
    ck_assert(S_ISREG(st.st_mode) && st.st_size == 0 && (st.st_mode & 0777) == 0644);
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), 0);

    s.copy_max_bytes = 6;
    s.nfiles = 1;
    expect_refused(&s, "the submission is larger than the 6-byte copy limit (at dir/token)");
    struct sandbox_file none = {.name = "x"};
    s.files = &none;
    expect_refused(&s, "invalid file entry: source (null), name x");
}
END_TEST

static bool is_tmpfs(const char *dir)
{
    struct statfs fs;
    return statfs(dir, &fs) == 0 && fs.f_type == TMPFS_MAGIC;
}

START_TEST(staging_boxes_go_to_memory_unless_tmpdir_says)
{
    char dir[PATH_MAX], want[PATH_MAX], err[512] = "";
    /* TMPDIR, when set, is where every box goes, staged or not. */
    snprintf(want, sizeof want, "%s/tmp", root);
    sb_box_parent(true, dir, sizeof dir);
    ck_assert_str_eq(dir, want);
    /* Unset: /tmp, but a staging box goes to /dev/shm when /tmp is on a
     * disk and /dev/shm is a tmpfs with room. */
    unsetenv("TMPDIR");
    struct statvfs vfs;
    bool shm = !is_tmpfs("/tmp") && is_tmpfs("/dev/shm") && access("/dev/shm", W_OK | X_OK) == 0 &&
               statvfs("/dev/shm", &vfs) == 0 && (unsigned long long)vfs.f_bavail * vfs.f_frsize >= (1ull << 30);
    sb_box_parent(false, dir, sizeof dir);
    ck_assert_str_eq(dir, "/tmp");
    sb_box_parent(true, dir, sizeof dir);
    ck_assert_str_eq(dir, shm ? "/dev/shm" : "/tmp");
    /* A relative TMPDIR counts as unset. */
    setenv("TMPDIR", "relative", 1);
    sb_box_parent(true, dir, sizeof dir);
    ck_assert_str_eq(dir, shm ? "/dev/shm" : "/tmp");
    unsetenv("TMPDIR");

    struct sandbox_spec s = spec_of(NULL);
    struct sandbox_file f = {.name = "a.py", .content = "x\n", .content_len = 2};
    s.files = &f;
    s.nfiles = 1;
    struct sb_box box;
    ck_assert_msg(sb_box_create(&box, &s, true, err, sizeof err) == 0, "%s", err);
    snprintf(want, sizeof want, "%s/grader-box-%d-", shm ? "/dev/shm" : "/tmp", (int)getpid());
    ck_assert_msg(strncmp(box.path, want, strlen(want)) == 0, "%s", box.path);
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s", box.path);
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), 0);
    ck_assert_int_eq(access(path, F_OK), -1);
}
END_TEST

/* ---- give and remove ---------------------------------------------------- */

START_TEST(give_to_a_run_uid)
{
    if (geteuid() != 0) {
        printf("note: not root: test skipped\n");
        return;
    }
    char src[PATH_MAX], outside[PATH_MAX], err[512] = "";
    put("sub/a.py", "x\n", 0644);
    put("sub/pkg/b.py", "y\n", 0644);
    put("outside.txt", "root's\n", 0600);
    ck_assert_int_eq(symlink(at(outside, sizeof outside, "outside.txt"), at(src, sizeof src, "sub/out-link")), 0);
    struct sandbox_spec s = spec_of(at(src, sizeof src, "sub"));
    struct sb_box box;
    ck_assert_msg(sb_box_create(&box, &s, false, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(sb_box_give(&box, 61234, 61235, err, sizeof err) == 0, "%s", err);
    static const char *const rels[] = {".", "a.py", "pkg", "pkg/b.py", "out-link"};
    for (size_t i = 0; i < sizeof rels / sizeof *rels; i++) {
        struct stat st;
        ck_assert_int_eq(lstat_in(&box, rels[i], &st), 0);
        ck_assert_msg(st.st_uid == 61234 && st.st_gid == 61235, "%s: %u:%u", rels[i], (unsigned)st.st_uid,
                      (unsigned)st.st_gid);
    }
    /* The link was not followed. */
    struct stat st;
    ck_assert_int_eq(stat(outside, &st), 0);
    ck_assert_uint_eq(st.st_uid, 0);
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), 0);

    /* A box that is gone cannot be given. */
    struct sb_box gone;
    snprintf(gone.path, sizeof gone.path, "%s/tmp/grader-box-0-gone", root);
    char want[PATH_MAX * 2];
    snprintf(want, sizeof want, "cannot give the box %s to uid 61234: %s", gone.path, strerror(ENOENT));
    ck_assert_int_eq(sb_box_give(&gone, 61234, 61234, err, sizeof err), -1);
    ck_assert_str_eq(err, want);
}
END_TEST

START_TEST(remove_what_a_student_left)
{
    /* What a run may leave: folders without permissions, a tree deeper
     * than anything we copy, links to the host's folders and files. */
    char src[PATH_MAX], outside[PATH_MAX], p[PATH_MAX * 2], err[512] = "";
    put("outside/precious.txt", "keep me\n", 0644);
    put("sub/a.py", "x\n", 0644);
    struct sandbox_spec s = spec_of(at(src, sizeof src, "sub"));
    struct sb_box box;
    ck_assert_msg(sb_box_create(&box, &s, false, err, sizeof err) == 0, "%s", err);
    at(outside, sizeof outside, "outside");
    snprintf(p, sizeof p, "%s/to-outside", box.path);
    ck_assert_int_eq(symlink(outside, p), 0);
    snprintf(p, sizeof p, "%s/file-link", box.path);
    ck_assert_int_eq(symlink("/etc/passwd", p), 0);
    snprintf(p, sizeof p, "%s/locked", box.path);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/locked/inner", box.path);
    ck_assert_int_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/locked/inner/f", box.path);
    int fd = open(p, O_WRONLY | O_CREAT, 0600);
    ck_assert_int_ge(fd, 0);
    close(fd);
    snprintf(p, sizeof p, "%s/locked/inner", box.path);
    ck_assert_int_eq(chmod(p, 0), 0);
    snprintf(p, sizeof p, "%s/locked", box.path);
    ck_assert_int_eq(chmod(p, 0), 0);
    /* 200 levels, built with relative paths. */
    int dirfd = open(box.path, O_RDONLY | O_DIRECTORY);
    ck_assert_int_ge(dirfd, 0);
    for (int i = 0; i < 200; i++) {
        ck_assert_int_eq(mkdirat(dirfd, "d", 0755), 0);
        int next = openat(dirfd, "d", O_RDONLY | O_DIRECTORY);
        ck_assert_int_ge(next, 0);
        close(dirfd);
        dirfd = next;
    }
    fd = openat(dirfd, "bottom", O_WRONLY | O_CREAT, 0644);
    ck_assert_int_ge(fd, 0);
    close(fd);
    close(dirfd);

    ck_assert_msg(sb_box_remove(&box, err, sizeof err) == 0, "%s", err);
    ck_assert_str_eq(box.path, "");
    ck_assert_int_eq(count_boxes(), 0);
    char text[64];
    int in = open(at(p, sizeof p, "outside/precious.txt"), O_RDONLY);
    ck_assert_int_ge(in, 0);
    ssize_t n = read(in, text, sizeof text - 1);
    close(in);
    ck_assert_int_eq(n, 8);
    ck_assert_int_eq(access("/etc/passwd", F_OK), 0);

    /* Removing again, or a box never made: nothing to do. */
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), 0);
}
END_TEST

START_TEST(remove_refusals)
{
    char err[PATH_MAX * 2] = "", want[PATH_MAX * 2];
    struct sb_box box;
    /* Already gone: done. */
    snprintf(box.path, sizeof box.path, "%s/tmp/grader-box-1-gone", root);
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), 0);
    ck_assert_str_eq(box.path, "");

    snprintf(box.path, sizeof box.path, "relative-box");
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), -1);
    ck_assert_str_eq(err, "bad box path relative-box");
    ck_assert_str_eq(box.path, "relative-box");

    snprintf(box.path, sizeof box.path, "%s/tmp/", root);
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), -1);
    snprintf(want, sizeof want, "bad box path %s/tmp/", root);
    ck_assert_str_eq(err, want);

    snprintf(box.path, sizeof box.path, "%s/no-parent/box", root);
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), -1);
    snprintf(want, sizeof want, "cannot open %s/no-parent to remove the box: %s", root, strerror(ENOENT));
    ck_assert_str_eq(err, want);

    /* Something else than a folder at the box's path is left alone. */
    put("tmp/grader-box-1-file", "not a box\n", 0644);
    snprintf(box.path, sizeof box.path, "%s/tmp/grader-box-1-file", root);
    ck_assert_int_eq(sb_box_remove(&box, err, sizeof err), -1);
    snprintf(want, sizeof want, "cannot open the box %s: %s", box.path, strerror(ENOTDIR));
    ck_assert_str_eq(err, want);
    ck_assert_int_eq(access(box.path, F_OK), 0);
    unlink(box.path);
}
END_TEST

/* Runs sb_box_create in a child whose soft RLIMIT_FSIZE is `limit`
 * (SIGXFSZ ignored, so write() fails with EFBIG instead) and returns its
 * error text; "" when it succeeded.  The limit is lifted again before the
 * child exits: a coverage build writes its counts then. */
static void create_fsize_limited(const struct sandbox_spec *s, rlim_t limit, char *out, size_t len)
{
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        signal(SIGXFSZ, SIG_IGN);
        struct rlimit old, rl;
        if (getrlimit(RLIMIT_FSIZE, &old) < 0)
            _exit(89);
        rl = old;
        rl.rlim_cur = limit;
        if (setrlimit(RLIMIT_FSIZE, &rl) < 0)
            _exit(90);
        struct sb_box box;
        char err[1024] = "";
        if (sb_box_create(&box, s, false, err, sizeof err) == 0) {
            err[0] = '\0';
            sb_box_remove(&box, err + 1, sizeof err - 1);
        }
        if (setrlimit(RLIMIT_FSIZE, &old) < 0)
            _exit(92);
        if (write(fds[1], err, strlen(err)) < 0)
            _exit(91);
        exit(0);
    }
    close(fds[1]);
    ssize_t n = read(fds[0], out, len - 1);
    close(fds[0]);
    out[n > 0 ? n : 0] = '\0';
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
}

START_TEST(copy_fails_to_read_or_write)
{
    char src[PATH_MAX], got[1024], want[1024];
    /* The box cannot take the bytes: the write's error, and no box left. */
    char big[4097];
    memset(big, 'b', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    put("sub/big.bin", big, 0644);
    struct sandbox_spec s = spec_of(at(src, sizeof src, "sub"));
    create_fsize_limited(&s, 1000, got, sizeof got);
    snprintf(want, sizeof want, "cannot write big.bin into the box: %s", strerror(EFBIG));
    ck_assert_str_eq(got, want);
    ck_assert_int_eq(count_boxes(), 0);

    /* A source that opens as a regular file but cannot be read. */
    s = spec_of(NULL);
    struct sandbox_file mem = {.source = "/proc/self/mem", .name = "mem"};
    s.files = &mem;
    s.nfiles = 1;
    snprintf(want, sizeof want, "cannot read /proc/self/mem: %s", strerror(EIO));
    expect_refused(&s, want);
}
END_TEST

START_TEST(remove_as_the_run_uid)
{
    /* A grader that is not root cannot enter a folder its run made mode
     * 000: it gives itself the permission back, by name, and goes on. */
    if (geteuid() != 0) {
        printf("note: not root: test skipped\n");
        return;
    }
    char err[512] = "", tmp[PATH_MAX];
    /* TMPDIR as /tmp is: anyone may make and remove their own entries. */
    ck_assert_int_eq(chmod(root, 0755), 0);
    ck_assert_int_eq(chmod(at(tmp, sizeof tmp, "tmp"), 01777), 0);
    struct sandbox_spec s = spec_of(NULL);
    struct sb_box box;
    ck_assert_msg(sb_box_create(&box, &s, false, err, sizeof err) == 0, "%s", err);
    ck_assert_msg(sb_box_give(&box, 61234, 61234, err, sizeof err) == 0, "%s", err);
    int fds[2];
    ck_assert_int_eq(pipe(fds), 0);
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        close(fds[0]);
        char p[PATH_MAX + 64], e[512] = "";
        if (setgroups(0, NULL) < 0 || setresgid(61234, 61234, 61234) < 0 || setresuid(61234, 61234, 61234) < 0)
            _exit(90);
        snprintf(p, sizeof p, "%s/locked", box.path);
        if (mkdir(p, 0700) < 0)
            _exit(91);
        snprintf(p, sizeof p, "%s/locked/inner", box.path);
        if (mkdir(p, 0700) < 0)
            _exit(92);
        snprintf(p, sizeof p, "%s/locked/inner/f", box.path);
        int fd = open(p, O_WRONLY | O_CREAT, 0600);
        if (fd < 0)
            _exit(93);
        close(fd);
        snprintf(p, sizeof p, "%s/locked/inner", box.path);
        chmod(p, 0);
        snprintf(p, sizeof p, "%s/locked", box.path);
        chmod(p, 0);
        int rc = sb_box_remove(&box, e, sizeof e);
        char msg[600];
        snprintf(msg, sizeof msg, "%d %s", rc, e);
        if (write(fds[1], msg, strlen(msg)) < 0)
            _exit(94);
        exit(0);
    }
    close(fds[1]);
    char got[600];
    ssize_t n = read(fds[0], got, sizeof got - 1);
    close(fds[0]);
    got[n > 0 ? n : 0] = '\0';
    int st;
    ck_assert_int_eq(waitpid(pid, &st, 0), pid);
    ck_assert_msg(WIFEXITED(st) && WEXITSTATUS(st) == 0, "child status %d", st);
    ck_assert_str_eq(got, "0 ");
    ck_assert_int_eq(access(box.path, F_OK), -1);
    ck_assert_int_eq(count_boxes(), 0);
}
END_TEST

static Suite *box_suite(void)
{
    Suite *s = suite_create("box");
    TCase *tc = tcase_create("box");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, copy_dir_files_links_and_skips);
    tcase_add_test(tc, extra_files_nested_and_replacing);
    tcase_add_test(tc, extra_files_never_go_through_the_submission);
    tcase_add_test(tc, extra_files_must_be_named_plainly);
    tcase_add_test(tc, extra_files_must_be_regular_files);
    tcase_add_test(tc, copy_dir_itself_refused);
    tcase_add_test(tc, copy_limits_files_depth_bytes);
    tcase_add_test(tc, tmpdir_forms);
    tcase_add_test(tc, files_given_by_content);
    tcase_add_test(tc, staging_boxes_go_to_memory_unless_tmpdir_says);
    tcase_add_test(tc, give_to_a_run_uid);
    tcase_add_test(tc, remove_what_a_student_left);
    tcase_add_test(tc, remove_refusals);
    tcase_add_test(tc, copy_fails_to_read_or_write);
    tcase_add_test(tc, remove_as_the_run_uid);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(box_suite)
