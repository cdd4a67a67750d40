/* gitsub.h: read a submission out of a git repository (libgit2).
 *
 * An instructor grades what a student committed, not whatever is lying in
 * their folder, so the entry file comes from a commit's tree (or, for a
 * pre-commit hook, from the index), never from the work tree unless the
 * caller asks for the work tree by name.
 *
 * Every repository is treated as hostile, whoever owns it: nothing here
 * follows a symbolic link out of the repository, runs anything it
 * configures (hooks, filters, fsmonitor), looks in parent folders for a
 * repository, or lets it borrow objects from another one; blob sizes are
 * checked from the object header before any content is read, and a loose
 * object is checked whole before libgit2 inflates it (libgit2 1.5.1 hangs
 * on a truncated one and overflows a buffer on a forged one).  Committer
 * times are whatever the student's clock or GIT_COMMITTER_DATE said: a
 * deadline judged from them is only as honest as the student, so an
 * instructor who needs proof uses push times from the server.
 *
 * Nothing is printed: every failure is a status and a message written
 * into the caller's buffer. */
#ifndef GRADER_GITSUB_H
#define GRADER_GITSUB_H
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "digest.h"

#define GITSUB_OID_HEX_LEN 41 /* 40 hex digits and a NUL */
#define GITSUB_TIME_LEN 32    /* "2026-11-20T23:59:00+01:00" and a NUL, with room for odd years */

#define GITSUB_DEFAULT_MAX_TOTAL ((uint64_t)64 * 1024 * 1024)
#define GITSUB_DEFAULT_MAX_FILES ((size_t)10000)
#define GITSUB_DEFAULT_MAX_BLOB ((uint64_t)8 * 1024 * 1024)
#define GITSUB_DEFAULT_MAX_LOOSE ((uint64_t)256 * 1024 * 1024)
#define GITSUB_MAX_SKIPPED 100 /* skipped paths recorded; skipped_total counts them all */

enum gitsub_status {
    GITSUB_OK = 0,
    GITSUB_INVALID = 1,   /* cannot be graded: a verdict, with a message the student can act on */
    GITSUB_NOT_FOUND = 2, /* the path itself does not exist: bad input to the grader */
    GITSUB_ERROR = 3,     /* the grader failed: out of memory, the export folder unwritable, ... */
    GITSUB_UNTRUSTED = 4, /* owned by another user and trust_owner was not given: the instructor decides */
};

enum gitsub_source {
    GITSUB_FROM_COMMIT = 0, /* HEAD, or `rev`, or the deadline's commit on their first-parent history */
    GITSUB_FROM_INDEX,      /* the staged content, as a pre-commit hook must judge it */
    GITSUB_FROM_WORKTREE,   /* only `workdir` is returned, for the folder reader (submission_open) */
};

/* All zero means: HEAD, no deadline, no export, the default caps. */
struct gitsub_options {
    enum gitsub_source source;
    const char *rev; /* start from this revision instead of HEAD (git_revparse_single syntax) */
    int has_deadline;
    time_t deadline;          /* the last commit whose committer time is not after this instant wins */
    int deadline_offset;      /* minutes east of UTC, only to write the deadline in messages */
    int want_first;           /* also find the oldest first-parent commit holding the entry file */
    const char *export_dir;   /* an existing empty folder to receive every regular file, or NULL;
                                 on anything but OK it may hold part of the tree: discard it */
    uint64_t max_total_bytes; /* of all exported files; 0: GITSUB_DEFAULT_MAX_TOTAL */
    size_t max_files;         /* exported entries of any kind (files, folders, links, submodules) */
    uint64_t max_blob_bytes;  /* one exported file; the entry file is also held to SUBMISSION_MAX_SOURCE */
    uint64_t max_loose_bytes; /* all loose objects together, inflated to be checked before libgit2
                                 reads them; 0: GITSUB_DEFAULT_MAX_LOOSE */
    int trust_owner;          /* read a repository owned by another user (see gitsub.c) */
    const char *index_path;   /* GITSUB_FROM_INDEX: NULL for the repository's index, else this
                                 index file (git runs a pre-commit hook of `git commit -a` or
                                 `git commit FILE` with a temporary one in GIT_INDEX_FILE) */
};

struct gitsub_commit {
    char id[GITSUB_OID_HEX_LEN];
    int64_t time;                   /* committer time, seconds since the epoch */
    int offset;                     /* the committer's offset, minutes east of UTC */
    char time_iso[GITSUB_TIME_LEN]; /* in that offset: 2026-11-20T23:59:00+01:00 */
    char *author_name;              /* the student's bytes: not necessarily UTF-8 */
    char *author_email;
    char *summary; /* first paragraph of the message, on one line */
};

enum gitsub_skip_kind {
    GITSUB_SKIP_SYMLINK,   /* never created: it could point anywhere on the grading machine */
    GITSUB_SKIP_SUBMODULE, /* another repository's commit: its files are not in this one */
};

struct gitsub_skip {
    enum gitsub_skip_kind kind;
    char *path; /* relative to the repository's top */
};

struct gitsub {
    char *path;    /* absolute form of what was given */
    char *gitdir;  /* the git directory actually read */
    char *workdir; /* the work tree, or NULL for a bare repository */
    enum gitsub_source source;

    int has_commit; /* source COMMIT: `commit` is what is graded */
    struct gitsub_commit commit;
    int late;             /* commits after `commit` exist on the history searched */
    size_t later_commits; /* how many (0 without a deadline) */

    char *entry; /* the entry file's bytes, NUL-terminated (NULL for WORKTREE) */
    size_t entry_len;
    char sha256[DIGEST_HEX_LEN];

    int has_first;              /* want_first and some first-parent commit holds the entry file */
    struct gitsub_commit first; /* the oldest such commit: where the student started */
    char *first_entry;
    size_t first_entry_len;
    int truncated; /* a shallow clone: history stopped where the clone was cut */

    size_t files_exported;
    uint64_t bytes_exported;
    struct gitsub_skip *skipped; /* the first GITSUB_MAX_SKIPPED links and submodules not exported */
    size_t nskipped;
    size_t skipped_total;
};

/* 1 when `path` is a directory (not a link to one) holding `.git` of any
 * kind, or is itself a bare repository (HEAD, objects/ and refs/); else 0.
 * A `.git` that is a link or a file pointing elsewhere counts, so that
 * gitsub_open explains why it refuses it instead of the folder being
 * graded as if it were not a repository. */
int gitsub_is_repository(const char *path);

/* Reads `entry` (e.g. "leaky_app.py", relative to the repository's top)
 * from the repository at `path`, as `opts` (NULL: defaults) asks.  `sub`
 * is always initialised: call gitsub_free whatever the status.  On
 * anything but OK, `msg` says what was expected and what was found. */
enum gitsub_status gitsub_open(const char *path, const char *entry, const struct gitsub_options *opts,
                               struct gitsub *sub, char *msg, size_t msglen);
void gitsub_free(struct gitsub *sub);

/* Keeps libgit2 started from gitsub_hold to gitsub_release: around threads
 * that call gitsub_open, taken before they start and released after they
 * are joined.  libgit2 keeps each thread's error state under a thread-local
 * key that lives while it is started; gitsub_open starts and shuts it down
 * around each repository, and the last shutdown deletes the key after
 * freeing its own caller's state only, so another thread's state leaked.
 * Held, the key outlives the threads, and each thread's state is freed when
 * it exits.  gitsub_hold returns 0, or -1 when libgit2 cannot be loaded or
 * started (then do not release; gitsub_open says why for each repository). */
int gitsub_hold(void);
void gitsub_release(void);
#endif
