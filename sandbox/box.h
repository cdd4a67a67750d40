/* box.h: the run's private work directory.
 *
 * The box is created with mkdtemp (0700) under sb_box_parent's folder,
 * filled from the submission without ever following a symbolic link, and
 * removed afterwards without following one either: by the time it is
 * removed the student has had write access to it and may have planted
 * links anywhere. */
#ifndef GRADER_SANDBOX_BOX_H
#define GRADER_SANDBOX_BOX_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "sandbox.h"

#define SB_BOX_DEFAULT_MAX_BYTES ((size_t)64 << 20)
#define SB_BOX_DEFAULT_MAX_FILES ((size_t)10000)

struct sb_box {
    char path[PATH_MAX]; /* absolute path, "" when there is no box */
};

/* Where boxes are made: $TMPDIR when it is set (absolute), else /tmp.
 * A staging box, one the run copies into a tmpfs of its own (the minimal
 * root, root.h) and that goes as soon as the payload starts, so that it
 * never holds what the student writes, is made in /dev/shm instead when
 * /tmp is not a tmpfs and /dev/shm is one with at least 1 GiB free: the
 * thousands of files a batch creates and deletes there cost a disk file
 * system's inode allocator (ext4 without a journal skips every inode
 * freed in the last 5 to 300 s at each allocation; in a class of 200 that
 * scan took 8% of the CPU).  No trailing slash. */
void sb_box_parent(bool staging, char *out, size_t len);

/* Creates the box under sb_box_parent(staging) and copies spec->copy_dir
 * then spec->files into it.  On failure nothing is left on disk,
 * box->path is "", err says why and names the offending path; returns -1. */
int sb_box_create(struct sb_box *box, const struct sandbox_spec *spec, bool staging, char *err, size_t errlen);

/* Removes the boxes that graders killed with SIGKILL left where boxes are
 * made, staging boxes included (their names carry the pid).  Once per
 * process; called while the first run's payload runs, off the start-up's
 * path. */
void sb_box_sweep_stale(void);

/* Gives the box and everything in it to uid/gid (never following a link),
 * for a run that executes as that uid in the host's tree.  0, or -1 with
 * err set. */
int sb_box_give(const struct sb_box *box, uid_t uid, gid_t gid, char *err, size_t errlen);

/* Removes the box and everything in it; 0, or -1 with err set (the box may
 * then be partly left). */
int sb_box_remove(struct sb_box *box, char *err, size_t errlen);

#endif
