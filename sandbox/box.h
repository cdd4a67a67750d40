/* box.h: the run's private work directory.
 *
 * The box is created with mkdtemp (0700) under $TMPDIR or /tmp, filled from
 * the submission without ever following a symbolic link, and removed
 * afterwards without following one either: by the time it is removed the
 * student has had write access to it and may have planted links anywhere. */
#ifndef GRADER_SANDBOX_BOX_H
#define GRADER_SANDBOX_BOX_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

#include "sandbox.h"

#define SB_BOX_DEFAULT_MAX_BYTES ((size_t)64 << 20)
#define SB_BOX_DEFAULT_MAX_FILES ((size_t)10000)

struct sb_box {
    char path[PATH_MAX]; /* absolute path, "" when there is no box */
};

/* Creates the box and copies spec->copy_dir then spec->files into it.
 * On failure nothing is left on disk, box->path is "", err says why and
 * names the offending path; returns -1. */
int sb_box_create(struct sb_box *box, const struct sandbox_spec *spec, char *err, size_t errlen);

/* Removes the boxes that graders killed with SIGKILL left under $TMPDIR
 * or /tmp (their names carry the pid).  Once per process; called while the
 * first run's payload runs, off the start-up's path. */
void sb_box_sweep_stale(void);

/* Gives the box and everything in it to uid/gid (never following a link),
 * for a run that executes as that uid in the host's tree.  0, or -1 with
 * err set. */
int sb_box_give(const struct sb_box *box, uid_t uid, gid_t gid, char *err, size_t errlen);

/* Removes the box and everything in it; 0, or -1 with err set (the box may
 * then be partly left). */
int sb_box_remove(struct sb_box *box, char *err, size_t errlen);

#endif
