/* root.h: the minimal read-only root a run sees (design notes 4 and 5.2).
 *
 * The supervisor plans it (sb_root_plan: which host paths the run needs,
 * and whether an unprivileged uid could still use them); the init builds it
 * in the run's mount namespace (sb_root_build) and pivots into it, so the
 * payload's "/" holds only:
 *
 *   /usr, and /bin /sbin /lib* as the host has them (symlinks or read-only
 *        binds);
 *   /etc with a two-line passwd and group, ld.so.cache and localtime;
 *   /dev: null zero full random urandom, fd and std* links, a private
 *        /dev/shm tmpfs;
 *   /proc of the run's PID namespace (when the kernel allows one);
 *   /tmp: a size- and inode-capped tmpfs;
 *   the work directory, /box (SB_ROOT_WORKDIR, the same for every run, so
 *        paths in the run's output do not depend on the host): a size-
 *        and inode-capped tmpfs holding a copy of the box, owned by the
 *        run's uid;
 *   the planned read-only paths (the interpreter's prefix, a script's
 *        directory, files the caller names) at their own paths, except
 *        the directories the caller hides (an interpreter's
 *        site-packages), which are empty.
 *
 * The host's box is never mounted in: the student writes only to tmpfs,
 * so the caps hold and nothing written reaches the host's disk.
 *
 * sb_root_build runs in the init between clone and execve: system calls
 * only (see child.h). */
#ifndef GRADER_SANDBOX_ROOT_H
#define GRADER_SANDBOX_ROOT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#define SB_ROOT_MAX_RO 8
#define SB_ROOT_MAX_HIDE 6
#define SB_ROOT_WORKDIR "/box"
#define SB_ROOT_PATH 4096

struct sb_root {
    char box[SB_ROOT_PATH];                /* the host box, copied to SB_ROOT_WORKDIR */
    char ro[SB_ROOT_MAX_RO][SB_ROOT_PATH]; /* host paths bound read-only at the same path */
    int nro;
    char hide[SB_ROOT_MAX_HIDE][SB_ROOT_PATH]; /* shown as empty read-only directories */
    int nhide;
    char tmp_opts[96];   /* tmpfs options for /tmp */
    char work_opts[128]; /* tmpfs options for the work directory */
    uid_t uid;           /* owner of the work directory's copy */
    gid_t gid;
    char passwd[160], group[96]; /* /etc/passwd and /etc/group */
};

/* Where the build stopped, for the layer report. */
enum sb_root_step {
    SB_ROOT_STEP_NONE,
    SB_ROOT_STEP_OPEN_BOX,
    SB_ROOT_STEP_BASE,   /* the root tmpfs */
    SB_ROOT_STEP_SYSTEM, /* /usr, /bin, /lib... */
    SB_ROOT_STEP_ETC,
    SB_ROOT_STEP_DEV,
    SB_ROOT_STEP_TMP,
    SB_ROOT_STEP_RO,   /* a planned read-only path */
    SB_ROOT_STEP_HIDE, /* covering a hidden directory */
    SB_ROOT_STEP_WORK, /* the work directory's tmpfs */
    SB_ROOT_STEP_COPY, /* copying the box into it */
    SB_ROOT_STEP_PIVOT,
    SB_ROOT_STEP_DETACH, /* from here on nothing can be undone */
    SB_ROOT_STEP_LANDLOCK,
    SB_ROOT_STEP_COUNT
};

const char *sb_root_step_name(int step);

/* Supervisor side.  Collects what argv needs (argv[0]'s installation
 * prefix, the directory of every other absolute path argument that names
 * an existing file or directory, skipping system trees such as /etc and
 * /proc and anything holding the box) plus `extra` (NULL-terminated, may be
 * NULL), and formats the options.  Returns 0, or -1 with err set when an
 * `extra` path is unusable or there are too many.  *uid_usable tells
 * whether a process of `uid` (no supplementary groups) could execute
 * argv[0] inside this root. */
int sb_root_plan(struct sb_root *root, const char *box, const char *const *argv, const char *const *extra,
                 size_t tmp_bytes, size_t work_bytes, size_t work_files, uid_t uid, gid_t gid, bool *uid_usable,
                 char *err, size_t errlen);

/* Supervisor side, after sb_root_plan.  Each directory in `hide`
 * (NULL-terminated) that exists and that the root shows (beneath /usr or a
 * planned read-only path) will look empty and read-only inside it.  Others
 * are skipped: the run cannot see them anyway; of two nested, the outer
 * one is kept.  Returns 0, or -1 with err
 * set for a path that is not absolute and clean, or too many. */
int sb_root_plan_hide(struct sb_root *root, const char *const *hide, char *err, size_t errlen);

/* Whether a process of `uid`/`gid` with no supplementary groups may reach
 * and use `path` on the host (every directory on the way searchable; the
 * file readable, and executable when `exec`), judged from the permission
 * bits alone (ACLs are ignored).  For the mode without a minimal root. */
bool sb_root_host_usable(const char *path, uid_t uid, gid_t gid, bool exec);

/* Binds `src` onto `target` (which exists), read-only, nosuid, nodev,
 * keeping the flags a user namespace locks; with `recursive`, submounts
 * too.  0, or -1 with errno.  Init side. */
int sb_bind_readonly(const char *src, const char *target, bool recursive);

/* Init side, in a new mount namespace whose mounts are already private.
 * Builds the root, mounts a fresh procfs when `new_proc`, adds the Landlock
 * rules for the new tree to `landlock_fd` (-1: none), pivots, and leaves
 * the cwd at "/".  Returns 0 (with *proc telling whether /proc was
 * mounted), or the failed step with *err set.  Up to SB_ROOT_STEP_PIVOT,
 * everything mounted so far is detached again and the host's tree is back
 * in place; from SB_ROOT_STEP_DETACH on, the run cannot go on. */
int sb_root_build(const struct sb_root *root, bool new_proc, int landlock_fd, int landlock_abi, bool *proc, int *err);

#endif
