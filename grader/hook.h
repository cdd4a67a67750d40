/* hook.h: put grader's git hooks where git runs them, and take them away.
 *
 * Knows nothing of grading: the caller writes the script.  A hook we
 * install carries HOOK_MARKER; a hook without it is someone else's and is
 * never overwritten or removed unless the caller forces it (and then it is
 * kept aside as <hook>.grader-replaced, and put back on uninstall). */
#ifndef GRADER_HOOK_H
#define GRADER_HOOK_H
#include <stdbool.h>
#include <stddef.h>

#define HOOK_MARKER "# installed by grader"

enum hook_kind { HOOK_PRE_COMMIT, HOOK_PRE_PUSH };

enum hook_outcome {
    HOOK_DONE,    /* installed, or removed */
    HOOK_REFUSED, /* someone else's hook is there; msg says what */
    HOOK_ABSENT,  /* uninstall: there was no hook of ours */
    HOOK_FAILED,  /* msg says why */
};

/* "pre-commit" or "pre-push". */
const char *hook_name(enum hook_kind kind);

/* The file git runs as hook `kind` for the repository containing `path`
 * (searched upwards, as git does): in core.hooksPath when set (relative
 * to the work tree's top, as githooks(5) says), else in the git
 * directory's hooks/.  0, or -1 with err set. */
int hook_locate(const char *path, enum hook_kind kind, char *hook_path, size_t len, char *err, size_t errlen);

/* Writes `script` (which must contain HOOK_MARKER) to hook_path,
 * executable, atomically.  msg says what was done or why not. */
enum hook_outcome hook_install(const char *hook_path, const char *script, bool force, char *msg, size_t msglen);

/* Removes hook_path if it is ours, putting back a hook it replaced. */
enum hook_outcome hook_uninstall(const char *hook_path, char *msg, size_t msglen);
#endif
