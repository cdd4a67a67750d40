#include "gitsub.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include "lazylib_git2.h"
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include "submission.h"

/* libgit2 before 1.5 (Ubuntu 22.04, Gradescope's base image, has 1.1)
 * checks no owner at all: nothing to switch off there. */
#if LIBGIT2_VER_MAJOR > 1 || (LIBGIT2_VER_MAJOR == 1 && LIBGIT2_VER_MINOR >= 5)
#define HAVE_OWNER_VALIDATION 1
#else
#define GIT_EOWNER (-36)
#endif

/* Far beyond any real assignment, low enough that a forged repository
 * cannot keep us busy for long or overflow the stack. */
#define MAX_DEPTH 64        /* folders within folders, exported or scanned */
#define MAX_HISTORY 1000000 /* first-parent commits walked */
#define MAX_GITDIR_ENTRIES 1000000
#define MAX_NONBLOB ((uint64_t)16 * 1024 * 1024) /* one commit, tree or tag */
#define SHORT_HEX 8                              /* 7 hex digits and a NUL, as git shows them */

/* Repositories owned by someone else.
 *
 * Since CVE-2022-24765 git, and libgit2 1.5 (GIT_EOWNER), refuse a
 * repository whose folder belongs to another user unless safe.directory
 * lists it, because its config can make git run commands (core.fsmonitor,
 * core.pager, hooks, filter drivers).  An instructor grading students'
 * work meets this all the time: folders collected from students' accounts
 * on a shared machine, or copied with cp -a as root, keep their uids.
 *
 * What the check guards against cannot happen in this module: it runs
 * nothing a repository configures (no hooks, no filters: blobs are read
 * raw, no fsmonitor, no network, no credential helper), and it already
 * treats a repository the instructor cloned themselves as hostile.  But the
 * switch, GIT_OPT_SET_OWNER_VALIDATION, is process-wide: turning it off
 * for good would also turn it off for any other libgit2 use in this
 * process (a hook installer writing into a student's .git, say), where it
 * does matter.
 *
 * So the default stays git's: a repository owned by neither us nor root is
 * refused with GITSUB_UNTRUSTED and a message saying how to proceed, and
 * nothing is read from another user's folder behind the instructor's back.
 * With trust_owner the instructor states that these are students' copies
 * to grade; only then is libgit2's check switched off, for our own open
 * call, under a lock, and restored at once.  safe.directory is not
 * consulted for that decision: the uid and the flag decide, so a grade does
 * not depend on the grading account's ~/.gitconfig (where libgit2 1.5,
 * given the .git folder, would want the .git path and not the work tree
 * git itself wants). */
static pthread_mutex_t owner_lock __attribute__((unused)) = PTHREAD_MUTEX_INITIALIZER;

struct ctx {
    const struct gitsub_options *opts;
    const char *entry;
    struct gitsub *sub;
    char *msg;
    size_t msglen;
    git_repository *repo;
    git_odb *odb;
    uint64_t max_total, max_blob, max_entry;
    uint64_t loose_left; /* bytes the loose-object check may still inflate */
    size_t max_files;
    size_t entries; /* exported entries of any kind */
    char where[64]; /* "commit 1a2b3c4" or "the index", for messages */
};

__attribute__((format(printf, 3, 4))) static enum gitsub_status fail(struct ctx *c, enum gitsub_status st,
                                                                     const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (c->msglen)
        vsnprintf(c->msg, c->msglen, fmt, ap);
    va_end(ap);
    /* Messages quote what the repository holds (ref names, paths, libgit2's
     * reading of them): no control character may reach a terminal or a
     * report through them (found by fuzzing). */
    for (char *p = c->msglen ? c->msg : NULL; p && *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    return st;
}

static enum gitsub_status oom(struct ctx *c)
{
    return fail(c, GITSUB_ERROR, "out of memory");
}

static const char *git_says(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown libgit2 error";
}

/* A missing, corrupt or malformed object, ref or index is the repository's
 * fault, and the student can act on it (git fsck, push again); memory and
 * the operating system failing us are ours. */
static enum gitsub_status classify(int rc)
{
    switch (rc) {
    case GIT_EOWNER:
        return GITSUB_UNTRUSTED;
    case GIT_ENOTFOUND:
    case GIT_EINVALIDSPEC:
    case GIT_EAMBIGUOUS:
    case GIT_EUNBORNBRANCH:
    case GIT_EPEEL:
    case GIT_EMISMATCH:
    case GIT_EINVALID:
    case GIT_EEOF:
        return GITSUB_INVALID;
    default:
        break;
    }
    const git_error *e = git_error_last();
    switch (e ? e->klass : GIT_ERROR_NONE) {
    case GIT_ERROR_INVALID:
    case GIT_ERROR_REFERENCE:
    case GIT_ERROR_ZLIB:
    case GIT_ERROR_REPOSITORY:
    case GIT_ERROR_CONFIG:
    case GIT_ERROR_ODB:
    case GIT_ERROR_INDEX:
    case GIT_ERROR_OBJECT:
    case GIT_ERROR_TAG:
    case GIT_ERROR_TREE:
    case GIT_ERROR_SHA:
        return GITSUB_INVALID;
    default:
        return GITSUB_ERROR;
    }
}

__attribute__((format(printf, 3, 4))) static enum gitsub_status git_fail(struct ctx *c, int rc, const char *fmt, ...)
{
    char what[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return fail(c, classify(rc), "%s: %s", what, git_says());
}

/* Names, paths and link targets come from the student: control bytes
 * must not reach the instructor's terminal. */
static void printable(char *out, size_t len, const char *in, size_t inlen)
{
    size_t n = 0;
    for (size_t i = 0; i < inlen && in[i] && n + 1 < len; i++) {
        unsigned char ch = (unsigned char)in[i];
        out[n++] = (char)(ch < 0x20 || ch == 0x7f ? '?' : ch);
    }
    if (len)
        out[n] = '\0';
}

static void short_id(char out[SHORT_HEX], const git_oid *id)
{
    git_oid_tostr(out, SHORT_HEX, id);
}

static void iso_time(int64_t t, int offset, char out[GITSUB_TIME_LEN])
{
    /* A forged commit can carry any number: keep the arithmetic and
     * gmtime_r's years in range. */
    const int64_t far = INT64_C(1) << 40;
    if (t < -far || t > far || offset < -7 * 24 * 60 || offset > 7 * 24 * 60) {
        snprintf(out, GITSUB_TIME_LEN, "(invalid time)");
        return;
    }
    time_t local = (time_t)(t + (int64_t)offset * 60);
    struct tm tm;
    if (!gmtime_r(&local, &tm) || strftime(out, GITSUB_TIME_LEN, "%Y-%m-%dT%H:%M:%S", &tm) == 0) {
        snprintf(out, GITSUB_TIME_LEN, "(invalid time)");
        return;
    }
    int a = offset < 0 ? -offset : offset;
    size_t n = strlen(out);
    snprintf(out + n, GITSUB_TIME_LEN - n, "%c%02d:%02d", offset < 0 ? '-' : '+', a / 60, a % 60);
}

static enum gitsub_status describe(struct ctx *c, git_commit *commit, struct gitsub_commit *out)
{
    git_oid_tostr(out->id, sizeof out->id, git_commit_id(commit));
    out->time = git_commit_time(commit);
    out->offset = git_commit_time_offset(commit);
    iso_time(out->time, out->offset, out->time_iso);
    const git_signature *a = git_commit_author(commit);
    const char *summary = git_commit_summary(commit);
    out->author_name = strdup(a && a->name ? a->name : "");
    out->author_email = strdup(a && a->email ? a->email : "");
    out->summary = strdup(summary ? summary : "");
    if (!out->author_name || !out->author_email || !out->summary)
        return oom(c);
    return GITSUB_OK;
}

static void set_where_commit(struct ctx *c, git_commit *commit)
{
    char hex[SHORT_HEX];
    short_id(hex, git_commit_id(commit));
    snprintf(c->where, sizeof c->where, "commit %s", hex);
}

static const char *kind_of(mode_t mode)
{
    if (S_ISLNK(mode))
        return "a symbolic link";
    if (S_ISFIFO(mode))
        return "a named pipe";
    if (S_ISSOCK(mode))
        return "a socket";
    if (S_ISCHR(mode) || S_ISBLK(mode))
        return "a device";
    return "neither a file nor a folder";
}

static bool is_kind(int dfd, const char *name, mode_t kind)
{
    struct stat st;
    return fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && (st.st_mode & S_IFMT) == kind;
}

static bool looks_bare(int dfd)
{
    return is_kind(dfd, "HEAD", S_IFREG) && is_kind(dfd, "objects", S_IFDIR) && is_kind(dfd, "refs", S_IFDIR);
}

int gitsub_is_repository(const char *path)
{
    struct stat st;
    if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode))
        return 0;
    int dfd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return 0;
    int yes = fstatat(dfd, ".git", &st, AT_SYMLINK_NOFOLLOW) == 0 || looks_bare(dfd);
    close(dfd);
    return yes;
}

/* ---- finding the git directory, by lstat alone ------------------------- */

static enum gitsub_status locate_in(struct ctx *c, int dfd)
{
    struct gitsub *sub = c->sub;
    struct stat g;
    if (fstatat(dfd, ".git", &g, AT_SYMLINK_NOFOLLOW) == 0) {
        if (S_ISDIR(g.st_mode)) {
            if (asprintf(&sub->gitdir, "%s/.git", sub->path) < 0) {
                sub->gitdir = NULL;
                return oom(c);
            }
            sub->workdir = strdup(sub->path);
            return sub->workdir ? GITSUB_OK : oom(c);
        }
        char raw[256] = "", shown[256];
        ssize_t n = -1;
        if (S_ISLNK(g.st_mode)) {
            n = readlinkat(dfd, ".git", raw, sizeof raw - 1);
            printable(shown, sizeof shown, raw, n > 0 ? (size_t)n : 0);
            return fail(c, GITSUB_INVALID,
                        "%s/.git is a symbolic link to %s; the grader reads only a repository stored in the "
                        "submission itself, so submit a clone",
                        sub->path, shown);
        }
        if (S_ISREG(g.st_mode)) {
            int fd = openat(dfd, ".git", O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            if (fd >= 0) {
                n = read(fd, raw, sizeof raw - 1);
                close(fd);
            }
            size_t len = n > 0 ? (size_t)n : 0;
            while (len && (raw[len - 1] == '\n' || raw[len - 1] == '\r'))
                len--;
            printable(shown, sizeof shown, raw, len);
            return fail(c, GITSUB_INVALID,
                        "%s/.git is a file pointing to another git directory (%s), as in a linked worktree or a "
                        "submodule's checkout; the grader reads only a repository stored in the submission "
                        "itself, so submit a clone",
                        sub->path, shown);
        }
        return fail(c, GITSUB_INVALID, "%s/.git is %s, not a git folder", sub->path, kind_of(g.st_mode));
    }
    if (!looks_bare(dfd))
        return fail(c, GITSUB_INVALID,
                    "expected a git repository in %s (a folder holding .git, or a bare repository), "
                    "but it has no .git",
                    sub->path);
    sub->gitdir = strdup(sub->path);
    if (!sub->gitdir)
        return oom(c);
    /* Given alice/.git itself: its work tree is alice/, which the index
     * and work-tree modes need. */
    const char *slash = strrchr(sub->path, '/');
    if (slash && strcmp(slash + 1, ".git") == 0) {
        sub->workdir = slash == sub->path ? strdup("/") : strndup(sub->path, (size_t)(slash - sub->path));
        if (!sub->workdir)
            return oom(c);
    }
    return GITSUB_OK;
}

static enum gitsub_status locate(struct ctx *c, const char *path)
{
    struct gitsub *sub = c->sub;
    char abs[PATH_MAX];
    if (path[0] == '/') {
        snprintf(abs, sizeof abs, "%s", path);
    } else {
        char cwd[PATH_MAX];
        if (!getcwd(cwd, sizeof cwd))
            return fail(c, GITSUB_ERROR, "cannot read the current directory: %s", strerror(errno));
        snprintf(abs, sizeof abs, "%s/%s", cwd, path);
    }
    size_t len = strlen(abs);
    while (len > 1 && abs[len - 1] == '/')
        abs[--len] = '\0';
    sub->path = strdup(abs);
    if (!sub->path)
        return oom(c);

    struct stat st;
    if (lstat(sub->path, &st) < 0)
        return fail(c, errno == ENOENT || errno == ENOTDIR ? GITSUB_NOT_FOUND : GITSUB_ERROR, "%s: %s", path,
                    strerror(errno));
    if (S_ISLNK(st.st_mode))
        return fail(c, GITSUB_INVALID,
                    "expected a git repository, but %s is a symbolic link; give the repository itself", path);
    if (!S_ISDIR(st.st_mode))
        return fail(c, GITSUB_INVALID, "expected a git repository, but %s is not a folder", path);
    int dfd = open(sub->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (dfd < 0)
        return fail(c, GITSUB_ERROR, "cannot open %s: %s", path, strerror(errno));
    enum gitsub_status rc = locate_in(c, dfd);
    close(dfd);
    return rc;
}

static enum gitsub_status check_owner(struct ctx *c, const char *dir, bool *foreign)
{
    struct stat st;
    if (lstat(dir, &st) < 0)
        return fail(c, GITSUB_ERROR, "cannot examine %s: %s", dir, strerror(errno));
    uid_t me = geteuid();
    if (st.st_uid == me || st.st_uid == 0)
        return GITSUB_OK;
    *foreign = true;
    if (c->opts->trust_owner)
        return GITSUB_OK;
    return fail(c, GITSUB_UNTRUSTED,
                "%s belongs to uid %u, not to you (uid %u); like git, the grader reads another user's "
                "repository only when told to: allow it when grading students' copies (trust_owner), "
                "or make it yours (chown -R, or clone it)",
                dir, (unsigned)st.st_uid, (unsigned)me);
}

/* ---- refusing what would lead libgit2 out of the repository ------------ */

/* libgit2 reads these, and everything under refs/ and objects/: a link
 * there would read some other file on the grading machine, and a named
 * pipe or a device would hang or flood the grader. */
static const char *const top_files[] = {"HEAD", "config", "index", "packed-refs", "shallow", NULL};

static enum gitsub_status odd_file(struct ctx *c, int dfd, const char *name, const char *shown, mode_t mode)
{
    if (!S_ISLNK(mode))
        return fail(c, GITSUB_INVALID, "the repository's %s is %s; a git repository holds only files and folders",
                    shown, kind_of(mode));
    char raw[256] = "", target[256];
    ssize_t n = readlinkat(dfd, name, raw, sizeof raw - 1);
    printable(target, sizeof target, raw, n > 0 ? (size_t)n : 0);
    return fail(c, GITSUB_INVALID,
                "the repository's %s is a symbolic link to %s; a repository must hold its own files "
                "(the grader never follows a link out of it)",
                shown, target);
}

// NOLINTNEXTLINE(misc-no-recursion): depth stops at MAX_DEPTH
static enum gitsub_status scan_dir(struct ctx *c, int dfd, char *rel, size_t rellen, int depth, size_t *seen)
{
    DIR *d = fdopendir(dfd);
    if (!d) {
        close(dfd);
        return fail(c, GITSUB_ERROR, "cannot list the repository's %s: %s", rel, strerror(errno));
    }
    enum gitsub_status st = GITSUB_OK;
    struct dirent *e;
    while (st == GITSUB_OK && (errno = 0, e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if (++*seen > MAX_GITDIR_ENTRIES) {
            st = fail(c, GITSUB_INVALID, "the repository holds more than %d files in its git folder",
                      MAX_GITDIR_ENTRIES);
            break;
        }
        char shown[NAME_MAX + 1];
        printable(shown, sizeof shown, e->d_name, strlen(e->d_name));
        if (rellen + 1 + strlen(shown) >= PATH_MAX) {
            st = fail(c, GITSUB_INVALID, "the repository's %s holds a path too long to read", rel);
            break;
        }
        snprintf(rel + rellen, PATH_MAX - rellen, "/%s", shown);
        struct stat sb;
        if (fstatat(dirfd(d), e->d_name, &sb, AT_SYMLINK_NOFOLLOW) < 0) {
            if (errno != ENOENT) /* gone since readdir: nothing to read */
                st = fail(c, GITSUB_ERROR, "cannot examine the repository's %s: %s", rel, strerror(errno));
        } else if (S_ISDIR(sb.st_mode)) {
            if (depth >= MAX_DEPTH) {
                st = fail(c, GITSUB_INVALID, "the repository's %s is nested too deep", rel);
            } else {
                int sfd = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
                if (sfd < 0)
                    st = fail(c, GITSUB_ERROR, "cannot open the repository's %s: %s", rel, strerror(errno));
                else
                    st = scan_dir(c, sfd, rel, strlen(rel), depth + 1, seen);
            }
        } else if (!S_ISREG(sb.st_mode)) {
            st = odd_file(c, dirfd(d), e->d_name, rel, sb.st_mode);
        }
        rel[rellen] = '\0';
    }
    if (st == GITSUB_OK && errno != 0)
        st = fail(c, GITSUB_ERROR, "cannot list the repository's %s: %s", rel, strerror(errno));
    closedir(d);
    return st;
}

static enum gitsub_status scan_gitdir(struct ctx *c)
{
    struct gitsub *sub = c->sub;
    const char *prefix = sub->workdir && strcmp(sub->gitdir, sub->path) != 0 ? ".git/" : "";
    int g = open(sub->gitdir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (g < 0)
        return fail(c, GITSUB_ERROR, "cannot open %s: %s", sub->gitdir, strerror(errno));
    enum gitsub_status st = GITSUB_OK;
    char rel[PATH_MAX];
    struct stat sb;
    for (size_t i = 0; st == GITSUB_OK && top_files[i]; i++) {
        snprintf(rel, sizeof rel, "%s%s", prefix, top_files[i]);
        if (fstatat(g, top_files[i], &sb, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISREG(sb.st_mode))
            st = odd_file(c, g, top_files[i], rel, sb.st_mode);
    }
    /* Both make libgit2 read objects (or all of refs/) from another
     * folder: a classmate's repository, for instance. */
    if (st == GITSUB_OK && fstatat(g, "commondir", &sb, AT_SYMLINK_NOFOLLOW) == 0)
        st = fail(c, GITSUB_INVALID,
                  "%s is the git folder of a linked worktree (it has a commondir file): its commits live in "
                  "another repository; submit the main repository or a clone",
                  sub->gitdir);
    if (st == GITSUB_OK && fstatat(g, "objects/info/alternates", &sb, AT_SYMLINK_NOFOLLOW) == 0)
        st = fail(c, GITSUB_INVALID,
                  "the repository borrows objects from another one (%sobjects/info/alternates); make it "
                  "self-contained with git repack -a -d and delete that file, or submit a plain clone",
                  prefix);
    static const char *const trees[] = {"refs", "objects"};
    size_t seen = 0;
    for (size_t i = 0; st == GITSUB_OK && i < sizeof trees / sizeof trees[0]; i++) {
        snprintf(rel, sizeof rel, "%s%s", prefix, trees[i]);
        if (fstatat(g, trees[i], &sb, AT_SYMLINK_NOFOLLOW) < 0)
            continue; /* libgit2 will say the repository is incomplete */
        if (!S_ISDIR(sb.st_mode)) {
            st = odd_file(c, g, trees[i], rel, sb.st_mode);
            continue;
        }
        int d = openat(g, trees[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (d < 0)
            st = fail(c, GITSUB_ERROR, "cannot open the repository's %s: %s", rel, strerror(errno));
        else
            st = scan_dir(c, d, rel, strlen(rel), 1, &seen);
    }
    close(g);
    return st;
}

static int open_repo(git_repository **out, const char *gitdir, bool foreign)
{
    /* Bare: core.worktree is never consulted; NO_SEARCH: a folder inside
     * the instructor's own repository is never taken for it. */
    unsigned flags = GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_NO_DOTGIT | GIT_REPOSITORY_OPEN_BARE;
    if (!foreign)
        return git_repository_open_ext(out, gitdir, flags, NULL);
#ifndef HAVE_OWNER_VALIDATION
    return git_repository_open_ext(out, gitdir, flags, NULL);
#else
    pthread_mutex_lock(&owner_lock);
    int was = 1;
    if (git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, &was) < 0)
        was = 1;
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
    int rc = git_repository_open_ext(out, gitdir, flags, NULL);
    git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, was);
    pthread_mutex_unlock(&owner_lock);
    return rc;
#endif
}

/* ---- loose objects, checked before libgit2 inflates them --------------- */

/* libgit2 1.5.1, as Debian 12 ships it, mishandles two kinds of damaged
 * loose object: a truncated one makes it loop forever (libgit2 issue
 * #7342, fixed upstream by #7346), and one whose header understates its
 * size makes it write past a heap buffer (#7177).  So before libgit2 reads
 * a loose object whole, it is inflated here and must end cleanly at
 * exactly the size its header states, with the system's zlib (the one
 * libgit2 uses).  Packed objects take another path in libgit2, which checks both. */
enum loose_verdict { LOOSE_SOUND, LOOSE_DAMAGED, LOOSE_TOO_BIG, LOOSE_FAILED };

struct loose_info {
    char type[8];
    uint64_t size;
};

static bool parse_loose_header(const char *head, struct loose_info *info)
{
    const char *sp = strchr(head, ' ');
    if (!sp || sp == head || (size_t)(sp - head) >= sizeof info->type)
        return false;
    memcpy(info->type, head, (size_t)(sp - head));
    info->type[sp - head] = '\0';
    if (strcmp(info->type, "blob") != 0 && strcmp(info->type, "tree") != 0 && strcmp(info->type, "commit") != 0 &&
        strcmp(info->type, "tag") != 0)
        return false;
    uint64_t n = 0;
    const char *d = sp + 1;
    if (!*d)
        return false;
    for (; *d; d++) {
        if (*d < '0' || *d > '9' || n > (UINT64_MAX - 9) / 10)
            return false;
        n = n * 10 + (uint64_t)(*d - '0');
    }
    info->size = n;
    return true;
}

/* Inflates the loose object open on `fd` and checks it ends exactly at
 * the size its header states; objects over `limit` are LOOSE_TOO_BIG.
 * With `blob_cap`, blobs are held to it instead.  Blobs are checked too,
 * whatever their size says, not only commits and trees: a blob forged
 * under a commit's or a tree's id is read by libgit2 as one (found by
 * fuzzing), so a blob too big to check refuses the repository. */
static enum loose_verdict inflate_loose(int fd, uint64_t blob_cap, uint64_t limit, struct loose_info *info,
                                        const char **why)
{
    enum { CHUNK = 32 * 1024 };
    unsigned char *in = malloc(CHUNK), *out = malloc(CHUNK);
    z_stream zs;
    memset(&zs, 0, sizeof zs);
    if (!in || !out || inflateInit(&zs) != Z_OK) {
        free(in);
        free(out);
        *why = "out of memory";
        return LOOSE_FAILED;
    }
    char head[40];
    size_t hlen = 0;
    bool have_header = false, eof = false;
    uint64_t body = 0;
    enum loose_verdict v = LOOSE_SOUND;
    *why = NULL;
    while (!*why) {
        if (zs.avail_in == 0 && !eof) {
            ssize_t n = read(fd, in, CHUNK);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                v = LOOSE_FAILED;
                *why = strerror(errno);
                break;
            }
            eof = n == 0;
            zs.next_in = in;
            zs.avail_in = (uInt)n;
        }
        uInt before = zs.avail_in;
        zs.next_out = out;
        zs.avail_out = CHUNK;
        int zrc = inflate(&zs, Z_NO_FLUSH);
        if (zrc != Z_OK && zrc != Z_STREAM_END && zrc != Z_BUF_ERROR) {
            v = LOOSE_DAMAGED;
            *why = "it is not valid zlib data";
            break;
        }
        size_t got = CHUNK - zs.avail_out, used = 0;
        while (!have_header && used < got) {
            head[hlen] = (char)out[used++];
            // cppcheck-suppress arrayIndexOutOfBoundsCond ; hlen == sizeof head leaves the loop first
            if (head[hlen++] != '\0') {
                if (hlen == sizeof head) {
                    /* No NUL in the first 40 bytes: stop before head[40]. */
                    v = LOOSE_DAMAGED;
                    *why = "its header is malformed";
                    break;
                }
                continue;
            }
            if (!parse_loose_header(head, info)) {
                v = LOOSE_DAMAGED;
                *why = "its header is malformed";
            } else if (info->size > (blob_cap && strcmp(info->type, "blob") == 0 ? blob_cap : limit)) {
                v = LOOSE_TOO_BIG;
                *why = "";
            }
            have_header = true;
        }
        if (*why)
            break;
        body += got - used;
        if (have_header && body > info->size) {
            v = LOOSE_DAMAGED;
            *why = "it holds more than its header says";
        } else if (zrc == Z_STREAM_END) {
            if (!have_header || body != info->size) {
                v = LOOSE_DAMAGED;
                *why = have_header ? "it holds less than its header says" : "its header is malformed";
            }
            break;
        } else if (got == 0 && zs.avail_in == before && (eof || zs.avail_in > 0)) {
            /* No progress with nothing more to give it: the loop libgit2
             * would never leave. */
            v = LOOSE_DAMAGED;
            *why = "it is cut short";
        }
    }
    inflateEnd(&zs);
    free(in);
    free(out);
    if (v == LOOSE_SOUND)
        *why = NULL;
    return v;
}

static enum gitsub_status loose_fail(struct ctx *c, enum loose_verdict v, const struct loose_info *info,
                                     const char *why, const char *hex, const char *what, uint64_t limit)
{
    switch (v) {
    case LOOSE_SOUND:
        return GITSUB_OK;
    case LOOSE_DAMAGED:
        return fail(c, GITSUB_INVALID, "%s (object %s) is damaged: %s; git fsck lists what is lost", what, hex, why);
    case LOOSE_TOO_BIG:
        return fail(c, GITSUB_INVALID, "%s (object %s) is a %s of %llu bytes; the limit is %llu bytes", what, hex,
                    info->type, (unsigned long long)info->size, (unsigned long long)limit);
    default:
        return fail(c, GITSUB_ERROR, "cannot check %s (object %s): %s", what, hex, why);
    }
}

static enum gitsub_status check_loose_fd(struct ctx *c, int fd, const char *hex, const char *what, uint64_t blob_cap,
                                         uint64_t limit)
{
    struct loose_info info = {"", 0};
    const char *why = NULL;
    enum loose_verdict v = inflate_loose(fd, blob_cap, limit, &info, &why);
    return loose_fail(c, v, &info, why, hex, what, limit);
}

/* One object of the whole-store scan.  Each object is held to its own cap
 * and all of them together to `loose_left`: a repository of thousands of
 * loose objects just under the cap would otherwise keep a grader busy
 * inflating for minutes.  git gc packs them, and packs are not inflated
 * here (libgit2 checks their objects itself). */
static enum gitsub_status check_loose_counted(struct ctx *c, int fd, const char *hex)
{
    uint64_t blob_cap = c->max_total < c->loose_left ? c->max_total : c->loose_left;
    uint64_t limit = MAX_NONBLOB < c->loose_left ? MAX_NONBLOB : c->loose_left;
    struct loose_info info = {"", 0};
    const char *why = NULL;
    enum loose_verdict v = inflate_loose(fd, blob_cap, limit, &info, &why);
    if (v == LOOSE_SOUND) {
        c->loose_left -= info.size;
        return GITSUB_OK;
    }
    uint64_t own_cap = strcmp(info.type, "blob") == 0 ? c->max_total : MAX_NONBLOB;
    if (v == LOOSE_TOO_BIG && info.size <= own_cap)
        return fail(
            c, GITSUB_INVALID,
            "the repository's loose objects hold more than %llu bytes in all (object %s is a %s of %llu "
            "bytes); pack them with git gc and submit again",
            (unsigned long long)(c->opts->max_loose_bytes ? c->opts->max_loose_bytes : GITSUB_DEFAULT_MAX_LOOSE), hex,
            info.type, (unsigned long long)info.size);
    return loose_fail(c, v, &info, why, hex, "an object of the repository", own_cap);
}

/* Commits, trees and tags are read by libgit2 in places we do not see
 * (revision parsing, paths through subtrees), and any object may be forged
 * under their ids, so every loose object is checked before the repository
 * is opened (blobs up to the blob cap). */
static enum gitsub_status check_loose_objects(struct ctx *c)
{
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/objects", c->sub->gitdir);
    int ofd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (ofd < 0)
        return GITSUB_OK; /* libgit2 will say the repository is incomplete */
    DIR *od = fdopendir(ofd);
    if (!od) {
        close(ofd);
        return fail(c, GITSUB_ERROR, "cannot list %s: %s", path, strerror(errno));
    }
    enum gitsub_status st = GITSUB_OK;
    struct dirent *e;
    while (st == GITSUB_OK && (e = readdir(od)) != NULL) {
        if (strlen(e->d_name) != 2 || strspn(e->d_name, "0123456789abcdef") != 2)
            continue;
        int sfd = openat(dirfd(od), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        DIR *sd = sfd >= 0 ? fdopendir(sfd) : NULL;
        if (!sd) {
            if (sfd >= 0)
                close(sfd);
            continue; /* not a folder: the scan already said what it is */
        }
        struct dirent *f;
        while (st == GITSUB_OK && (f = readdir(sd)) != NULL) {
            if (strlen(f->d_name) != 38 || strspn(f->d_name, "0123456789abcdef") != 38)
                continue;
            int fd = openat(dirfd(sd), f->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
            if (fd < 0)
                continue;
            char hex[GITSUB_OID_HEX_LEN];
            snprintf(hex, sizeof hex, "%s%s", e->d_name, f->d_name);
            st = check_loose_counted(c, fd, hex);
            close(fd);
        }
        closedir(sd);
    }
    closedir(od);
    return st;
}

/* The loose file of `id`, or -1 when it has none (packed, or missing:
 * libgit2 will say so). */
static int open_loose(struct ctx *c, const git_oid *id, char hex[GITSUB_OID_HEX_LEN])
{
    char path[PATH_MAX];
    git_oid_tostr(hex, GITSUB_OID_HEX_LEN, id);
    snprintf(path, sizeof path, "%s/objects/%.2s/%s", c->sub->gitdir, hex, hex + 2);
    return open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
}

static enum gitsub_status check_loose_id(struct ctx *c, const git_oid *id, const char *what, uint64_t limit)
{
    char hex[GITSUB_OID_HEX_LEN];
    int fd = open_loose(c, id, hex);
    if (fd < 0)
        return GITSUB_OK;
    enum gitsub_status st = check_loose_fd(c, fd, hex, what, 0, limit);
    close(fd);
    return st;
}

/* ---- blobs, read only after their header passes the caps --------------- */

static bool is_shallow(struct ctx *c)
{
    return git_repository_is_shallow(c->repo) == 1;
}

/* The object header gives type and size without inflating the content,
 * so a forged multi-gigabyte blob is refused before a byte of it is read. */
static enum gitsub_status load_blob(struct ctx *c, const git_oid *id, const char *path, bool script, git_blob **out)
{
    *out = NULL;
    char hex[GITSUB_OID_HEX_LEN];
    git_oid_tostr(hex, sizeof hex, id);
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    int rc = git_odb_read_header(&size, &type, c->odb, id);
    if (rc == GIT_ENOTFOUND)
        return fail(c, GITSUB_INVALID,
                    "%s in %s is missing from the repository (object %s); the repository is damaged: "
                    "git fsck lists what is lost",
                    path, c->where, hex);
    if (rc < 0)
        return git_fail(c, rc, "cannot read %s in %s (object %s)", path, c->where, hex);
    if (type != GIT_OBJECT_BLOB)
        return fail(c, GITSUB_INVALID, "%s in %s is recorded as a file, but object %s is a %s", path, c->where, hex,
                    git_object_type2string(type));
    uint64_t limit = script ? c->max_entry : c->max_blob;
    if ((uint64_t)size > limit)
        return fail(c, GITSUB_INVALID, "%s in %s is %zu bytes; the limit is %llu bytes for one %s", path, c->where,
                    size, (unsigned long long)limit, script ? "script" : "file");
    if (!script && c->sub->bytes_exported + size > c->max_total)
        return fail(c, GITSUB_INVALID, "the files in %s add up to more than %llu bytes, the limit (at %s)", c->where,
                    (unsigned long long)c->max_total, path);
    char what[PATH_MAX + 80];
    snprintf(what, sizeof what, "%s in %s", path, c->where);
    enum gitsub_status st = check_loose_id(c, id, what, limit);
    if (st != GITSUB_OK)
        return st;
    rc = git_blob_lookup(out, c->repo, id);
    if (rc < 0)
        return git_fail(c, rc, "cannot read %s in %s (object %s)", path, c->where, hex);
    if ((uint64_t)git_blob_rawsize(*out) != (uint64_t)size) {
        git_blob_free(*out);
        *out = NULL;
        return fail(c, GITSUB_INVALID, "object %s (%s in %s) is damaged: its size does not match its header", hex, path,
                    c->where);
    }
    return GITSUB_OK;
}

/* NULL when an entry of this mode is a regular file. */
static const char *not_a_file(unsigned mode)
{
    switch (mode) {
    case GIT_FILEMODE_BLOB:
    case GIT_FILEMODE_BLOB_EXECUTABLE:
        return NULL;
    case GIT_FILEMODE_LINK:
        return "a symbolic link, not a file";
    case GIT_FILEMODE_TREE:
        return "a directory, not a file";
    case GIT_FILEMODE_COMMIT:
        return "a submodule (a commit of another repository), not a file";
    default:
        return "an entry of unknown type, not a file";
    }
}

/* Shown to the student so they see what they committed; never followed. */
static void link_target(struct ctx *c, const git_oid *id, char *out, size_t len)
{
    out[0] = '\0';
    size_t size = 0;
    git_object_t type = GIT_OBJECT_INVALID;
    if (git_odb_read_header(&size, &type, c->odb, id) < 0 || type != GIT_OBJECT_BLOB || size > 4096)
        return;
    char hex[GITSUB_OID_HEX_LEN];
    int fd = open_loose(c, id, hex);
    if (fd >= 0) {
        struct loose_info info;
        const char *why = NULL;
        enum loose_verdict v = inflate_loose(fd, 0, 4096, &info, &why);
        close(fd);
        if (v != LOOSE_SOUND)
            return; /* a damaged target only goes unshown */
    }
    git_blob *blob = NULL;
    if (git_blob_lookup(&blob, c->repo, id) < 0)
        return;
    printable(out, len, git_blob_rawcontent(blob), (size_t)git_blob_rawsize(blob));
    git_blob_free(blob);
}

static enum gitsub_status read_entry_blob(struct ctx *c, unsigned mode, const git_oid *id, char **out, size_t *len)
{
    const char *why = not_a_file(mode);
    if (why) {
        char note[200] = "";
        if (mode == GIT_FILEMODE_LINK) {
            char target[160];
            link_target(c, id, target, sizeof target);
            if (target[0])
                snprintf(note, sizeof note, " (it points to %s)", target);
        }
        return fail(c, GITSUB_INVALID, "%s in %s is %s%s; %s the script itself", c->entry, c->where, why, note,
                    c->sub->source == GITSUB_FROM_INDEX ? "stage" : "commit");
    }
    git_blob *blob = NULL;
    enum gitsub_status st = load_blob(c, id, c->entry, true, &blob);
    if (st != GITSUB_OK)
        return st;
    size_t size = (size_t)git_blob_rawsize(blob);
    *out = malloc(size + 1);
    if (!*out) {
        git_blob_free(blob);
        return oom(c);
    }
    memcpy(*out, git_blob_rawcontent(blob), size);
    (*out)[size] = '\0';
    *len = size;
    git_blob_free(blob);
    return GITSUB_OK;
}

/* "a.py, notes.txt and 3 more": what the commit holds instead, so the
 * student sees at once that they committed leaky-app.py. */
static void list_tree(git_tree *tree, char *out, size_t len)
{
    size_t n = git_tree_entrycount(tree), shown = 0, used = 0;
    out[0] = '\0';
    for (size_t i = 0; i < n && shown < 5; i++) {
        char name[128];
        const char *raw = git_tree_entry_name(git_tree_entry_byindex(tree, i));
        printable(name, sizeof name, raw, strlen(raw));
        int w = snprintf(out + used, len - used, "%s%s", shown ? ", " : "", name);
        if (w < 0 || (size_t)w >= len - used)
            break;
        used += (size_t)w;
        shown++;
    }
    if (shown == 0)
        snprintf(out, len, "nothing");
    else if (n > shown)
        snprintf(out + used, len - used, " and %zu more", n - shown);
}

static enum gitsub_status read_tree_entry(struct ctx *c, git_tree *tree, char **out, size_t *len)
{
    git_tree_entry *te = NULL;
    int rc = git_tree_entry_bypath(&te, tree, c->entry);
    if (rc == GIT_ENOTFOUND) {
        char found[512];
        list_tree(tree, found, sizeof found);
        return fail(c, GITSUB_INVALID, "expected %s in %s, found %s", c->entry, c->where, found);
    }
    if (rc < 0)
        return git_fail(c, rc, "cannot find %s in %s", c->entry, c->where);
    enum gitsub_status st = read_entry_blob(c, git_tree_entry_filemode(te), git_tree_entry_id(te), out, len);
    git_tree_entry_free(te);
    return st;
}

/* ---- export: regular files only, never outside the folder -------------- */

/* Git itself never writes these, so a tree holding one was forged to
 * escape the export folder or to plant a repository (whose config the next
 * tool would obey) in it. */
static const char *unsafe_name(const char *name)
{
    if (!*name)
        return "an empty name";
    if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
        return "a '.' or '..' component";
    if (strchr(name, '/'))
        return "a '/' inside one name";
    if (strcasecmp(name, ".git") == 0)
        return "a .git component";
    return NULL;
}

static enum gitsub_status refuse_path(struct ctx *c, const char *path, const char *why)
{
    char shown[PATH_MAX];
    printable(shown, sizeof shown, path, strlen(path));
    return fail(c, GITSUB_INVALID,
                "%s holds the path %s, with %s; git never creates such a path, and the grader refuses it "
                "because it could write outside the submission's folder",
                c->where, shown, why);
}

static enum gitsub_status count_entry(struct ctx *c)
{
    if (++c->entries > c->max_files)
        return fail(c, GITSUB_INVALID, "%s holds more than %zu files and folders, the limit", c->where, c->max_files);
    return GITSUB_OK;
}

static enum gitsub_status skip(struct ctx *c, enum gitsub_skip_kind kind, const char *path)
{
    struct gitsub *sub = c->sub;
    sub->skipped_total++;
    if (sub->nskipped >= GITSUB_MAX_SKIPPED)
        return GITSUB_OK;
    if (!sub->skipped) {
        sub->skipped = calloc(GITSUB_MAX_SKIPPED, sizeof *sub->skipped);
        if (!sub->skipped)
            return oom(c);
    }
    char *p = strdup(path);
    if (!p)
        return oom(c);
    sub->skipped[sub->nskipped].kind = kind;
    sub->skipped[sub->nskipped].path = p;
    sub->nskipped++;
    return GITSUB_OK;
}

static enum gitsub_status export_blob(struct ctx *c, int dfd, const char *name, const git_oid *id, const char *path,
                                      bool exec)
{
    git_blob *blob = NULL;
    enum gitsub_status st = load_blob(c, id, path, false, &blob);
    if (st != GITSUB_OK)
        return st;
    const char *data = git_blob_rawcontent(blob);
    size_t size = (size_t)git_blob_rawsize(blob);
    /* O_EXCL and O_NOFOLLOW: nothing already there, not even a link we
     * did not make, is ever written through. */
    int fd = openat(dfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        int err = errno;
        git_blob_free(blob);
        if (err == EEXIST)
            return fail(c, GITSUB_INVALID, "%s holds %s twice; git never creates such a tree", c->where, path);
        return fail(c, GITSUB_ERROR, "cannot write %s in %s: %s", path, c->opts->export_dir, strerror(err));
    }
    size_t done = 0;
    while (done < size) {
        ssize_t n = write(fd, data + done, size - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    int err = done < size ? (errno ? errno : EIO) : 0;
    /* Exact modes whatever the umask, so the sandbox sees what git would
     * have checked out. */
    if (!err && fchmod(fd, exec ? 0755 : 0644) < 0)
        err = errno;
    if (close(fd) < 0 && !err)
        err = errno;
    git_blob_free(blob);
    if (err)
        return fail(c, GITSUB_ERROR, "cannot write %s in %s: %s", path, c->opts->export_dir, strerror(err));
    c->sub->files_exported++;
    c->sub->bytes_exported += size;
    return GITSUB_OK;
}

/* Opens (making it if needed) the folder `name` in `dfd`, never through a
 * link.  `fresh` demands that it did not exist. */
static enum gitsub_status enter_dir(struct ctx *c, int dfd, const char *name, const char *path, bool fresh, int *out)
{
    bool made = mkdirat(dfd, name, 0700) == 0;
    if (!made && (errno != EEXIST || fresh)) {
        if (errno == EEXIST)
            return fail(c, GITSUB_INVALID, "%s holds %s twice; git never creates such a tree", c->where, path);
        return fail(c, GITSUB_ERROR, "cannot create %s in %s: %s", path, c->opts->export_dir, strerror(errno));
    }
    *out = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (*out < 0) {
        if (errno == ENOTDIR || errno == ELOOP)
            return fail(c, GITSUB_INVALID, "%s holds both a file and a folder named %s", c->where, path);
        return fail(c, GITSUB_ERROR, "cannot open %s in %s: %s", path, c->opts->export_dir, strerror(errno));
    }
    if (made && fchmod(*out, 0755) < 0) {
        int err = errno;
        close(*out);
        *out = -1;
        return fail(c, GITSUB_ERROR, "cannot set the mode of %s in %s: %s", path, c->opts->export_dir, strerror(err));
    }
    return GITSUB_OK;
}

static enum gitsub_status export_tree(struct ctx *c, git_tree *tree, int dfd, char *rel, size_t rellen, int depth);

// NOLINTNEXTLINE(misc-no-recursion): depth stops at MAX_DEPTH
static enum gitsub_status export_subtree(struct ctx *c, const git_tree_entry *te, int dfd, char *rel, int depth)
{
    if (depth >= MAX_DEPTH)
        return fail(c, GITSUB_INVALID, "%s in %s is nested more than %d folders deep", rel, c->where, MAX_DEPTH);
    git_tree *subtree = NULL;
    int rc = git_tree_lookup(&subtree, c->repo, git_tree_entry_id(te));
    if (rc < 0) {
        char hex[GITSUB_OID_HEX_LEN];
        git_oid_tostr(hex, sizeof hex, git_tree_entry_id(te));
        if (rc == GIT_ENOTFOUND && !git_odb_exists(c->odb, git_tree_entry_id(te)))
            return fail(c, GITSUB_INVALID,
                        "the folder %s in %s is missing from the repository (object %s); the repository is "
                        "damaged: git fsck lists what is lost",
                        rel, c->where, hex);
        return git_fail(c, rc, "cannot read the folder %s in %s (object %s)", rel, c->where, hex);
    }
    int sfd = -1;
    enum gitsub_status st = enter_dir(c, dfd, git_tree_entry_name(te), rel, true, &sfd);
    if (st == GITSUB_OK) {
        st = export_tree(c, subtree, sfd, rel, strlen(rel), depth + 1);
        close(sfd);
    }
    git_tree_free(subtree);
    return st;
}

// NOLINTNEXTLINE(misc-no-recursion): depth stops at MAX_DEPTH (export_subtree)
static enum gitsub_status export_tree(struct ctx *c, git_tree *tree, int dfd, char *rel, size_t rellen, int depth)
{
    size_t n = git_tree_entrycount(tree);
    for (size_t i = 0; i < n; i++) {
        const git_tree_entry *te = git_tree_entry_byindex(tree, i);
        const char *name = git_tree_entry_name(te);
        if (rellen + 1 + strlen(name) >= PATH_MAX)
            return fail(c, GITSUB_INVALID, "%s holds a path too long to write", c->where);
        snprintf(rel + rellen, PATH_MAX - rellen, "%s%s", rellen ? "/" : "", name);
        enum gitsub_status st;
        const char *why = unsafe_name(name);
        if (why) {
            st = refuse_path(c, rel, why);
        } else if ((st = count_entry(c)) == GITSUB_OK) {
            unsigned mode = git_tree_entry_filemode(te);
            switch (mode) {
            case GIT_FILEMODE_BLOB:
            case GIT_FILEMODE_BLOB_EXECUTABLE:
                st = export_blob(c, dfd, name, git_tree_entry_id(te), rel, mode == GIT_FILEMODE_BLOB_EXECUTABLE);
                break;
            case GIT_FILEMODE_TREE:
                st = export_subtree(c, te, dfd, rel, depth);
                break;
            case GIT_FILEMODE_LINK:
                st = skip(c, GITSUB_SKIP_SYMLINK, rel);
                break;
            case GIT_FILEMODE_COMMIT:
                st = skip(c, GITSUB_SKIP_SUBMODULE, rel);
                break;
            default:
                st = fail(c, GITSUB_INVALID, "%s in %s has an unknown file mode, %06o", rel, c->where,
                          (unsigned)git_tree_entry_filemode_raw(te));
                break;
            }
        }
        rel[rellen] = '\0';
        if (st != GITSUB_OK)
            return st;
    }
    return GITSUB_OK;
}

static enum gitsub_status open_export(struct ctx *c, int *out)
{
    const char *dir = c->opts->export_dir;
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return fail(c, GITSUB_ERROR, "cannot open the export folder %s: %s", dir, strerror(errno));
    /* Whatever was there already would be mistaken for the student's. */
    int probe = dup(fd);
    DIR *d = probe >= 0 ? fdopendir(probe) : NULL;
    if (!d) {
        int err = errno;
        if (probe >= 0)
            close(probe);
        close(fd);
        return fail(c, GITSUB_ERROR, "cannot list the export folder %s: %s", dir, strerror(err));
    }
    bool empty = true;
    struct dirent *e;
    while ((e = readdir(d)) != NULL)
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            empty = false;
    closedir(d);
    if (!empty) {
        close(fd);
        return fail(c, GITSUB_ERROR, "the export folder %s is not empty", dir);
    }
    *out = fd;
    return GITSUB_OK;
}

static enum gitsub_status export_commit(struct ctx *c, git_tree *tree)
{
    int root = -1;
    enum gitsub_status st = open_export(c, &root);
    if (st != GITSUB_OK)
        return st;
    char rel[PATH_MAX] = "";
    st = export_tree(c, tree, root, rel, 0, 0);
    close(root);
    return st;
}

static enum gitsub_status export_index_entry(struct ctx *c, int root, const git_index_entry *e, bool exec)
{
    char path[PATH_MAX];
    if (strlen(e->path) >= sizeof path)
        return fail(c, GITSUB_INVALID, "the index holds a path too long to write");
    snprintf(path, sizeof path, "%s", e->path);
    int dfd = root, depth = 0;
    enum gitsub_status st = GITSUB_OK;
    char *comp = path;
    for (char *slash; st == GITSUB_OK && (slash = strchr(comp, '/')) != NULL; comp = slash + 1) {
        *slash = '\0';
        if (++depth > MAX_DEPTH) {
            st = fail(c, GITSUB_INVALID, "%s in %s is nested more than %d folders deep", e->path, c->where, MAX_DEPTH);
            break;
        }
        int next = -1;
        st = enter_dir(c, dfd, comp, e->path, false, &next);
        *slash = '/';
        if (dfd != root)
            close(dfd);
        dfd = next;
    }
    if (st == GITSUB_OK)
        st = export_blob(c, dfd, comp, &e->id, e->path, exec);
    if (dfd != root && dfd >= 0)
        close(dfd);
    return st;
}

static enum gitsub_status check_index_path(struct ctx *c, const char *path)
{
    if (path[0] == '/')
        return refuse_path(c, path, "an absolute path");
    char copy[PATH_MAX];
    if (strlen(path) >= sizeof copy)
        return fail(c, GITSUB_INVALID, "the index holds a path too long to write");
    snprintf(copy, sizeof copy, "%s", path);
    for (char *comp = copy, *slash;; comp = slash + 1) {
        slash = strchr(comp, '/');
        if (slash)
            *slash = '\0';
        const char *why = unsafe_name(comp);
        if (why)
            return refuse_path(c, path, why);
        if (!slash)
            return GITSUB_OK;
    }
}

static enum gitsub_status conflict(struct ctx *c, const char *path)
{
    char shown[PATH_MAX];
    printable(shown, sizeof shown, path, strlen(path));
    return fail(c, GITSUB_INVALID, "%s has an unresolved merge conflict in the index; resolve it and git add it",
                shown);
}

static enum gitsub_status export_index(struct ctx *c, git_index *idx)
{
    int root = -1;
    enum gitsub_status st = open_export(c, &root);
    if (st != GITSUB_OK)
        return st;
    size_t n = git_index_entrycount(idx);
    for (size_t i = 0; st == GITSUB_OK && i < n; i++) {
        const git_index_entry *e = git_index_get_byindex(idx, i);
        if (!e)
            continue;
        if (GIT_INDEX_ENTRY_STAGE(e) != 0) {
            st = conflict(c, e->path);
            break;
        }
        if (e->flags_extended & GIT_INDEX_ENTRY_INTENT_TO_ADD)
            continue; /* git add -N: a name, nothing staged yet */
        if ((st = check_index_path(c, e->path)) != GITSUB_OK || (st = count_entry(c)) != GITSUB_OK)
            break;
        switch (e->mode) {
        case GIT_FILEMODE_BLOB:
        case GIT_FILEMODE_BLOB_EXECUTABLE:
            st = export_index_entry(c, root, e, e->mode == GIT_FILEMODE_BLOB_EXECUTABLE);
            break;
        case GIT_FILEMODE_LINK:
            st = skip(c, GITSUB_SKIP_SYMLINK, e->path);
            break;
        case GIT_FILEMODE_COMMIT:
            st = skip(c, GITSUB_SKIP_SUBMODULE, e->path);
            break;
        default:
            st = fail(c, GITSUB_INVALID, "%s in the index has an unknown file mode, %06o", e->path, (unsigned)e->mode);
            break;
        }
    }
    close(root);
    return st;
}

/* ---- commits ------------------------------------------------------------ */

/* HEAD's commit.  With `unborn` given, a repository without commits is not
 * an error: *unborn is set and *out stays NULL. */
static enum gitsub_status head_commit(struct ctx *c, git_commit **out, bool *unborn)
{
    *out = NULL;
    git_reference *head = NULL;
    int rc = git_repository_head(&head, c->repo);
    if (rc == GIT_EUNBORNBRANCH || rc == GIT_ENOTFOUND) {
        if (unborn) {
            *unborn = true;
            return GITSUB_OK;
        }
        char branch[256] = "a branch";
        git_reference *h = NULL;
        if (git_reference_lookup(&h, c->repo, "HEAD") == 0) {
            const char *t = git_reference_symbolic_target(h);
            if (t)
                printable(branch, sizeof branch, t, strlen(t));
            git_reference_free(h);
        }
        return fail(c, GITSUB_INVALID,
                    "the repository has no commits yet (HEAD names %s, which does not exist); "
                    "commit %s first",
                    branch, c->entry);
    }
    if (rc < 0)
        return git_fail(c, rc, "cannot read the repository's HEAD");
    git_object *obj = NULL;
    rc = git_reference_peel(&obj, head, GIT_OBJECT_COMMIT);
    git_reference_free(head);
    if (rc < 0)
        return git_fail(c, rc, "HEAD does not lead to a commit");
    *out = (git_commit *)obj;
    return GITSUB_OK;
}

/* A branch or tag whose object is not in the repository (a damaged or
 * partly copied .git), or a full id of no object.  libgit2 answers "not
 * found" for these as for a name nothing carries, and its
 * git_revparse_single leaks the reference it resolved on the way (libgit2
 * 1.5.1, finding L1 in README.md): so they are looked for first, and named
 * for what they are. */
static enum gitsub_status dangling_rev(struct ctx *c, const char *rev)
{
    git_reference *ref = NULL, *resolved = NULL;
    git_oid id;
    enum gitsub_status st = GITSUB_OK;
    if (git_reference_dwim(&ref, c->repo, rev) == 0) {
        if (git_reference_resolve(&resolved, ref) < 0) {
            st = fail(c, GITSUB_INVALID, "%s (%s) leads to no commit: it names a branch that does not exist", rev,
                      git_reference_name(ref));
        } else if (git_reference_target(resolved) && !git_odb_exists(c->odb, git_reference_target(resolved))) {
            char hex[GITSUB_OID_HEX_LEN];
            git_oid_tostr(hex, sizeof hex, git_reference_target(resolved));
            st = fail(c, GITSUB_INVALID,
                      "%s (%s) points to object %s, which the repository does not hold: it is damaged or "
                      "incomplete (git fsck lists what is missing); submit a fresh clone",
                      rev, git_reference_name(ref), hex);
        }
    } else if (strlen(rev) == GITSUB_OID_HEX_LEN - 1 && git_oid_fromstr(&id, rev) == 0 &&
               !git_odb_exists(c->odb, &id)) {
        st = fail(c, GITSUB_INVALID,
                  "the repository holds no object %s (a commit of another repository, or one that was never "
                  "pushed?)",
                  rev);
    }
    git_reference_free(resolved);
    git_reference_free(ref);
    return st;
}

static enum gitsub_status rev_commit(struct ctx *c, const char *rev, git_commit **out)
{
    *out = NULL;
    enum gitsub_status dangling = dangling_rev(c, rev);
    if (dangling != GITSUB_OK)
        return dangling;
    git_object *obj = NULL;
    int rc = git_revparse_single(&obj, c->repo, rev);
    if (rc == GIT_ENOTFOUND)
        return fail(c, GITSUB_INVALID, "the repository has no revision %s (no branch, tag or commit by that name)",
                    rev);
    if (rc < 0)
        return git_fail(c, rc, "cannot find revision %s", rev);
    git_object *peeled = NULL;
    rc = git_object_peel(&peeled, obj, GIT_OBJECT_COMMIT);
    enum gitsub_status st = GITSUB_OK;
    if (rc == GIT_EPEEL || rc == GIT_EINVALIDSPEC)
        st = fail(c, GITSUB_INVALID, "revision %s is a %s, not a commit", rev,
                  git_object_type2string(git_object_type(obj)));
    else if (rc < 0)
        st = git_fail(c, rc, "revision %s does not lead to a commit", rev);
    git_object_free(obj);
    *out = (git_commit *)peeled;
    return st;
}

/* Missing parents end a shallow clone's history; anywhere else they mean
 * the repository is damaged. */
static enum gitsub_status parent_of(struct ctx *c, git_commit *commit, git_commit **out, bool *cut)
{
    *out = NULL;
    *cut = false;
    int rc = git_commit_parent(out, commit, 0);
    if (rc == 0)
        return GITSUB_OK;
    if (rc == GIT_ENOTFOUND && is_shallow(c)) {
        *cut = true;
        c->sub->truncated = 1;
        return GITSUB_OK;
    }
    char hex[SHORT_HEX];
    short_id(hex, git_commit_id(commit));
    return git_fail(c, rc, "the parent of commit %s cannot be read (git fsck will say more)", hex);
}

/* Committer time, not author time: it is when the commit was made in
 * this history (a rebase or an amend resets it), which is what a deadline
 * is about. */
static enum gitsub_status select_by_deadline(struct ctx *c, git_commit **io, const char *from)
{
    const struct gitsub_options *o = c->opts;
    git_commit *cur = *io;
    *io = NULL;
    size_t later = 0;
    for (;;) {
        if (git_commit_time(cur) <= (int64_t)o->deadline) {
            *io = cur;
            c->sub->later_commits = later;
            c->sub->late = later > 0;
            return GITSUB_OK;
        }
        git_commit *parent = NULL;
        bool cut = false;
        enum gitsub_status st = GITSUB_OK;
        if (later >= MAX_HISTORY)
            st = fail(c, GITSUB_INVALID, "the history of %s is longer than %d commits", from, MAX_HISTORY);
        else if (git_commit_parentcount(cur) == 0)
            cut = true;
        else
            st = parent_of(c, cur, &parent, &cut);
        if (st == GITSUB_OK && cut) {
            char dl[GITSUB_TIME_LEN], when[GITSUB_TIME_LEN], hex[SHORT_HEX];
            iso_time((int64_t)o->deadline, o->deadline_offset, dl);
            iso_time(git_commit_time(cur), git_commit_time_offset(cur), when);
            short_id(hex, git_commit_id(cur));
            st = fail(c, GITSUB_INVALID,
                      "no commit in the %shistory of %s is at or before the deadline %s: the earliest%s, %s, "
                      "was made at %s%s",
                      c->sub->truncated ? "part of the " : "", from, dl,
                      c->sub->truncated ? " this shallow clone holds" : "", hex, when,
                      c->sub->truncated ? "; fetch the whole history (git fetch --unshallow)" : "");
        }
        git_commit_free(cur);
        if (st != GITSUB_OK)
            return st;
        cur = parent;
        later++;
    }
}

/* The oldest commit on the first-parent history from `start` that holds
 * the entry file as a regular file: where the student's work began. */
static enum gitsub_status find_first(struct ctx *c, git_commit *start)
{
    git_commit *cur = NULL, *oldest = NULL;
    git_oid blob;
    if (git_commit_dup(&cur, start) < 0)
        return oom(c);
    enum gitsub_status st = GITSUB_OK;
    for (size_t steps = 0; st == GITSUB_OK; steps++) {
        git_tree *tree = NULL;
        git_tree_entry *te = NULL;
        char hex[SHORT_HEX];
        short_id(hex, git_commit_id(cur));
        int rc = git_commit_tree(&tree, cur);
        if (rc < 0) {
            st = git_fail(c, rc, "cannot read the files of commit %s", hex);
            break;
        }
        rc = git_tree_entry_bypath(&te, tree, c->entry);
        if (rc == 0 && not_a_file(git_tree_entry_filemode(te)) == NULL) {
            git_oid_cpy(&blob, git_tree_entry_id(te));
            git_commit_free(oldest);
            oldest = NULL;
            if (git_commit_dup(&oldest, cur) < 0)
                st = oom(c);
        }
        git_tree_entry_free(te);
        git_tree_free(tree);
        if (rc < 0 && rc != GIT_ENOTFOUND) {
            st = git_fail(c, rc, "cannot find %s in commit %s", c->entry, hex);
            break;
        }
        if (st != GITSUB_OK || git_commit_parentcount(cur) == 0)
            break;
        if (steps >= MAX_HISTORY) {
            st = fail(c, GITSUB_INVALID, "the history is longer than %d commits", MAX_HISTORY);
            break;
        }
        git_commit *parent = NULL;
        bool cut = false;
        st = parent_of(c, cur, &parent, &cut);
        if (st != GITSUB_OK || cut)
            break;
        git_commit_free(cur);
        cur = parent;
    }
    git_commit_free(cur);
    if (st == GITSUB_OK && oldest) {
        char saved[sizeof c->where];
        memcpy(saved, c->where, sizeof saved);
        set_where_commit(c, oldest);
        st = describe(c, oldest, &c->sub->first);
        if (st == GITSUB_OK)
            st = read_entry_blob(c, GIT_FILEMODE_BLOB, &blob, &c->sub->first_entry, &c->sub->first_entry_len);
        if (st == GITSUB_OK)
            c->sub->has_first = 1;
        memcpy(c->where, saved, sizeof saved);
    }
    git_commit_free(oldest);
    return st;
}

static enum gitsub_status read_commit(struct ctx *c)
{
    const struct gitsub_options *o = c->opts;
    struct gitsub *sub = c->sub;
    git_commit *commit = NULL;
    const char *from = o->rev ? o->rev : "HEAD";
    enum gitsub_status st = o->rev ? rev_commit(c, o->rev, &commit) : head_commit(c, &commit, NULL);
    if (st == GITSUB_OK && o->has_deadline)
        st = select_by_deadline(c, &commit, from);
    if (st != GITSUB_OK) {
        git_commit_free(commit);
        return st;
    }
    set_where_commit(c, commit);
    st = describe(c, commit, &sub->commit);
    if (st == GITSUB_OK)
        sub->has_commit = 1;
    git_tree *tree = NULL;
    if (st == GITSUB_OK) {
        int rc = git_commit_tree(&tree, commit);
        if (rc < 0)
            st = git_fail(c, rc, "cannot read the files of %s", c->where);
    }
    if (st == GITSUB_OK)
        st = read_tree_entry(c, tree, &sub->entry, &sub->entry_len);
    if (st == GITSUB_OK && o->export_dir)
        st = export_commit(c, tree);
    if (st == GITSUB_OK && o->want_first)
        st = find_first(c, commit);
    git_tree_free(tree);
    git_commit_free(commit);
    return st;
}

static enum gitsub_status read_index(struct ctx *c)
{
    struct gitsub *sub = c->sub;
    if (!sub->workdir)
        return fail(c, GITSUB_INVALID, "%s is a bare repository: it has no index (staged files) to read", sub->path);
    snprintf(c->where, sizeof c->where, "the index");
    /* libgit2 allocates for the entry count an index claims before reading
     * a single entry: a forged 84-byte index asked for 8 GiB (found by
     * fuzzing).  An entry takes at least 62 bytes in every version. */
    char ipath[PATH_MAX];
    snprintf(ipath, sizeof ipath, "%s%s%s", c->opts->index_path ? c->opts->index_path : sub->gitdir,
             c->opts->index_path ? "" : "/", c->opts->index_path ? "" : "index");
    int ifd = open(ipath, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (ifd >= 0) {
        unsigned char head[12];
        struct stat ist;
        bool lies = false;
        if (fstat(ifd, &ist) == 0 && read(ifd, head, sizeof head) == (ssize_t)sizeof head &&
            memcmp(head, "DIRC", 4) == 0) {
            uint64_t count = (uint64_t)head[8] << 24 | (uint64_t)head[9] << 16 | (uint64_t)head[10] << 8 | head[11];
            lies = count > ((uint64_t)ist.st_size - 12) / 62;
        }
        close(ifd);
        if (lies)
            return fail(c, GITSUB_INVALID,
                        "the index (staged files) is damaged: it claims more entries than it "
                        "holds; git reset rebuilds it from the last commit");
    }
    git_index *idx = NULL;
    int rc = c->opts->index_path ? git_index_open(&idx, c->opts->index_path) : git_repository_index(&idx, c->repo);
    if (rc < 0)
        return git_fail(c, rc, "cannot read the index of %s", sub->path);
    enum gitsub_status st = GITSUB_OK;
    const git_index_entry *e = git_index_get_bypath(idx, c->entry, 0);
    if (!e) {
        bool conflicted = false;
        for (int stage = 1; stage <= 3; stage++)
            conflicted = conflicted || git_index_get_bypath(idx, c->entry, stage) != NULL;
        st = conflicted ? conflict(c, c->entry)
                        : fail(c, GITSUB_INVALID, "%s is not staged: the index does not hold it; git add %s first",
                               c->entry, c->entry);
    } else if (e->flags_extended & GIT_INDEX_ENTRY_INTENT_TO_ADD) {
        st = fail(c, GITSUB_INVALID, "%s is only marked for adding (git add -N); stage its content with git add %s",
                  c->entry, c->entry);
    } else {
        st = read_entry_blob(c, e->mode, &e->id, &sub->entry, &sub->entry_len);
    }
    if (st == GITSUB_OK && c->opts->export_dir)
        st = export_index(c, idx);
    git_index_free(idx);
    return st;
}

static enum gitsub_status read_repository(struct ctx *c, bool foreign)
{
    struct gitsub *sub = c->sub;
    int rc = open_repo(&c->repo, sub->gitdir, foreign);
    if (rc == GIT_EOWNER)
        return fail(c, GITSUB_UNTRUSTED, "%s: %s", sub->gitdir, git_says());
    if (rc < 0)
        return git_fail(c, rc, "%s is not a usable git repository", sub->path);
    rc = git_repository_odb(&c->odb, c->repo);
    if (rc < 0)
        return git_fail(c, rc, "cannot open the objects of %s", sub->path);

    enum gitsub_status st;
    switch (sub->source) {
    case GITSUB_FROM_INDEX:
        st = read_index(c);
        break;
    case GITSUB_FROM_WORKTREE:
        st = sub->workdir ? GITSUB_OK
                          : fail(c, GITSUB_INVALID, "%s is a bare repository: it has no work tree to read", sub->path);
        break;
    default:
        return read_commit(c);
    }
    /* The staged or work-tree content has no commit of its own; where the
     * student started is still HEAD's history. */
    if (st == GITSUB_OK && c->opts->want_first) {
        git_commit *head = NULL;
        bool unborn = false;
        st = head_commit(c, &head, &unborn);
        if (st == GITSUB_OK && head)
            st = find_first(c, head);
        git_commit_free(head);
    }
    return st;
}

enum gitsub_status gitsub_open(const char *path, const char *entry, const struct gitsub_options *opts,
                               struct gitsub *sub, char *msg, size_t msglen)
{
    static const struct gitsub_options defaults;
    memset(sub, 0, sizeof *sub);
    if (msglen)
        msg[0] = '\0';
    if (!opts)
        opts = &defaults;
    if (lazylib_open(LAZYLIB_GIT2, msg, msglen) < 0)
        return GITSUB_ERROR;
    struct ctx c = {
        .opts = opts,
        .entry = entry,
        .sub = sub,
        .msg = msg,
        .msglen = msglen,
        .max_total = opts->max_total_bytes ? opts->max_total_bytes : GITSUB_DEFAULT_MAX_TOTAL,
        .max_blob = opts->max_blob_bytes ? opts->max_blob_bytes : GITSUB_DEFAULT_MAX_BLOB,
        .max_files = opts->max_files ? opts->max_files : GITSUB_DEFAULT_MAX_FILES,
        .loose_left = opts->max_loose_bytes ? opts->max_loose_bytes : GITSUB_DEFAULT_MAX_LOOSE,
    };
    /* The same script gets the same verdict from a folder or a commit. */
    c.max_entry = c.max_blob < SUBMISSION_MAX_SOURCE ? c.max_blob : SUBMISSION_MAX_SOURCE;
    sub->source = opts->source;

    enum gitsub_status st = locate(&c, path);
    bool foreign = false;
    if (st == GITSUB_OK && sub->workdir)
        st = check_owner(&c, sub->workdir, &foreign);
    if (st == GITSUB_OK)
        st = check_owner(&c, sub->gitdir, &foreign);
    if (st == GITSUB_OK)
        st = scan_gitdir(&c);
    if (st == GITSUB_OK)
        st = check_loose_objects(&c);
    if (st != GITSUB_OK)
        return st;

    if (git_libgit2_init() < 0)
        return fail(&c, GITSUB_ERROR, "cannot start libgit2: %s", git_says());
    st = read_repository(&c, foreign);
    if (st == GITSUB_OK && sub->entry)
        digest_sha256_hex(sub->entry, sub->entry_len, sub->sha256);
    git_odb_free(c.odb);
    git_repository_free(c.repo);
    git_libgit2_shutdown();
    return st;
}

static void free_commit(struct gitsub_commit *commit)
{
    free(commit->author_name);
    free(commit->author_email);
    free(commit->summary);
}

int gitsub_hold(void)
{
    char err[256];
    if (lazylib_open(LAZYLIB_GIT2, err, sizeof err) < 0)
        return -1;
    return git_libgit2_init() < 0 ? -1 : 0;
}

void gitsub_release(void)
{
    git_libgit2_shutdown();
}

void gitsub_free(struct gitsub *sub)
{
    free(sub->path);
    free(sub->gitdir);
    free(sub->workdir);
    free_commit(&sub->commit);
    free(sub->entry);
    free_commit(&sub->first);
    free(sub->first_entry);
    for (size_t i = 0; i < sub->nskipped; i++)
        free(sub->skipped[i].path);
    free(sub->skipped);
    memset(sub, 0, sizeof *sub);
}
