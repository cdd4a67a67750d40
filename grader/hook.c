/* hook.c: see hook.h. */
#include "hook.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include "lazylib_git2.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

const char *hook_name(enum hook_kind kind)
{
    return kind == HOOK_PRE_PUSH ? "pre-push" : "pre-commit";
}

static const char *git_says(void)
{
    const git_error *e = git_error_last();
    return e && e->message ? e->message : "unknown error";
}

int hook_locate(const char *path, enum hook_kind kind, char *hook_path, size_t len, char *err, size_t errlen)
{
    if (lazylib_open(LAZYLIB_GIT2, err, errlen) < 0)
        return -1;
    git_libgit2_init();
    git_repository *repo = NULL;
    git_config *cfg = NULL;
    int rc = -1;
    if (git_repository_open_ext(&repo, path, 0, NULL) < 0) {
        snprintf(err, errlen, "%s is not in a git repository (%s)", path, git_says());
        goto out;
    }
    const char *gitdir = git_repository_path(repo); /* ends with '/' */
    const char *top = git_repository_workdir(repo); /* NULL when bare */
    char dir[PATH_MAX];
    const char *hooks_path = NULL;
    if (git_repository_config_snapshot(&cfg, repo) == 0 &&
        git_config_get_string(&hooks_path, cfg, "core.hooksPath") == 0 && hooks_path[0]) {
        const char *home = getenv("HOME");
        if (hooks_path[0] == '/')
            snprintf(dir, sizeof dir, "%s", hooks_path);
        else if (strncmp(hooks_path, "~/", 2) == 0 && home)
            snprintf(dir, sizeof dir, "%s/%s", home, hooks_path + 2);
        else
            snprintf(dir, sizeof dir, "%s%s", top ? top : gitdir, hooks_path);
    } else {
        snprintf(dir, sizeof dir, "%shooks", gitdir);
    }
    size_t n = strlen(dir);
    while (n > 1 && dir[n - 1] == '/')
        dir[--n] = '\0';
    if ((size_t)snprintf(hook_path, len, "%s/%s", dir, hook_name(kind)) >= len) {
        snprintf(err, errlen, "the hooks folder's path is too long: %s", dir);
        goto out;
    }
    rc = 0;
out:
    git_config_free(cfg);
    git_repository_free(repo);
    git_libgit2_shutdown();
    return rc;
}

/* core.hooksPath may name a folder that does not exist yet. */
static int make_parent(const char *hook_path)
{
    char buf[PATH_MAX];
    snprintf(buf, sizeof buf, "%s", hook_path);
    char *slash = strrchr(buf, '/');
    if (!slash || slash == buf)
        return 0;
    *slash = '\0';
    return paths_mkdir_p(buf);
}

/* What is at `path`: -1 nothing, 0 someone else's, 1 ours.  `first` gets
 * its first line, for the message. */
static int whose(const char *path, char *first, size_t len)
{
    struct stat st;
    first[0] = '\0';
    if (lstat(path, &st) < 0)
        return -1;
    if (!S_ISREG(st.st_mode)) {
        snprintf(first, len, "%s", S_ISLNK(st.st_mode) ? "(a symbolic link)" : "(not a regular file)");
        return 0;
    }
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buf[4096];
    ssize_t r = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[r > 0 ? r : 0] = '\0';
    size_t nl = strcspn(buf, "\n");
    snprintf(first, len, "%.*s", (int)(nl > 120 ? 120 : nl), buf);
    return strstr(buf, HOOK_MARKER) ? 1 : 0;
}

enum hook_outcome hook_install(const char *hook_path, const char *script, bool force, char *msg, size_t msglen)
{
    char first[160], aside[PATH_MAX + 32];
    snprintf(aside, sizeof aside, "%s.grader-replaced", hook_path);
    int w = whose(hook_path, first, sizeof first);
    if (w == 0 && !force) {
        snprintf(msg, msglen,
                 "%s already exists and is not grader's (it starts: %s); left untouched. Run again with --force "
                 "to keep it aside as %s and install grader's",
                 hook_path, first, aside);
        return HOOK_REFUSED;
    }
    if (make_parent(hook_path) < 0) {
        snprintf(msg, msglen, "cannot create the folder of %s: %s", hook_path, strerror(errno));
        return HOOK_FAILED;
    }
    bool moved = false;
    if (w == 0) {
        if (access(aside, F_OK) == 0) {
            snprintf(msg, msglen, "%s already exists; move it away first, so that no hook is lost", aside);
            return HOOK_FAILED;
        }
        if (rename(hook_path, aside) < 0) {
            snprintf(msg, msglen, "cannot move %s aside: %s", hook_path, strerror(errno));
            return HOOK_FAILED;
        }
        moved = true;
    }
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.grader-tmp", hook_path);
    unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0755);
    size_t n = strlen(script);
    bool ok = fd >= 0 && write(fd, script, n) == (ssize_t)n && fchmod(fd, 0755) == 0;
    if (fd >= 0 && close(fd) != 0)
        ok = false;
    if (!ok || rename(tmp, hook_path) < 0) {
        snprintf(msg, msglen, "cannot write %s: %s", hook_path, strerror(errno));
        unlink(tmp);
        if (moved)
            rename(aside, hook_path);
        return HOOK_FAILED;
    }
    if (moved)
        snprintf(msg, msglen, "installed %s (the hook that was there is kept as %s)", hook_path, aside);
    else
        snprintf(msg, msglen, "installed %s", hook_path);
    return HOOK_DONE;
}

enum hook_outcome hook_uninstall(const char *hook_path, char *msg, size_t msglen)
{
    char first[160], aside[PATH_MAX + 32];
    snprintf(aside, sizeof aside, "%s.grader-replaced", hook_path);
    int w = whose(hook_path, first, sizeof first);
    if (w < 0) {
        snprintf(msg, msglen, "no hook at %s", hook_path);
        return HOOK_ABSENT;
    }
    if (w == 0) {
        snprintf(msg, msglen, "%s is not grader's (it starts: %s); left untouched", hook_path, first);
        return HOOK_ABSENT;
    }
    if (unlink(hook_path) < 0) {
        snprintf(msg, msglen, "cannot remove %s: %s", hook_path, strerror(errno));
        return HOOK_FAILED;
    }
    if (access(aside, F_OK) == 0) {
        if (rename(aside, hook_path) < 0) {
            snprintf(msg, msglen, "removed %s, but cannot put back %s: %s", hook_path, aside, strerror(errno));
            return HOOK_FAILED;
        }
        snprintf(msg, msglen, "removed %s and put back the hook it had replaced", hook_path);
        return HOOK_DONE;
    }
    snprintf(msg, msglen, "removed %s", hook_path);
    return HOOK_DONE;
}
