/* submission.h: turn the SUBMISSION argument into the file to grade.
 *
 * A submission is a folder holding the rubric's entry file, or that file
 * itself.  Nothing here follows a symbolic link: a student could point
 * leaky_app.py at /etc/shadow or at a classmate's folder. */
#ifndef GRADER_SUBMISSION_H
#define GRADER_SUBMISSION_H
#include <stddef.h>

#include "digest.h"

#define SUBMISSION_MAX_SOURCE (1 << 20) /* 1 MiB */

struct submission {
    char *path;       /* absolute form of what was given */
    char *dir;        /* folder copied into each run, or NULL for a single file */
    char *entry_path; /* the entry file itself */
    char *source;     /* its bytes, NUL-terminated */
    size_t source_len;
    char sha256[DIGEST_HEX_LEN];
};

enum submission_status {
    SUBMISSION_OK = 0,
    SUBMISSION_INVALID = 1,   /* exists but cannot be graded: a verdict, not an error */
    SUBMISSION_NOT_FOUND = 2, /* the path itself does not exist: bad input to the grader */
    SUBMISSION_ERROR = 3,     /* out of memory, unreadable: the grader failed */
};

/* Opens `path` for the entry file name `entry`.  On anything but OK, `msg`
 * says what was expected and what was found. */
enum submission_status submission_open(const char *path, const char *entry, struct submission *sub, char *msg,
                                       size_t msglen);
void submission_free(struct submission *sub);
#endif
