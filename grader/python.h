/* python.h: find the interpreter that will run student code.
 *
 * Order: an explicit path (--python), else $GRADER_PYTHON, else python3
 * on PATH.  The candidate is run once to ask for sys.executable, so a
 * pyenv or asdf shim (a shell script) resolves to the real binary we can
 * exec inside the sandbox with an empty environment. */
#ifndef GRADER_PYTHON_H
#define GRADER_PYTHON_H
#include <limits.h>
#include <stddef.h>

#define PYTHON_MAX_SITE_DIRS 4

struct python_info {
    char executable[PATH_MAX]; /* absolute, symlinks resolved */
    char version[32];          /* "3.11.7" */
    int major, minor;
    char implementation[32]; /* "cpython" */
    /* Its site-packages directories (site.getsitepackages()), hidden from
     * the runs unless the rubric asks for them: a verdict must not depend
     * on which packages, or which .pth start-up hooks, a machine has. */
    char site_dirs[PYTHON_MAX_SITE_DIRS][PATH_MAX];
    int nsite_dirs;
};

/* Returns 0, or -1 with a message saying what to do. */
int python_resolve(const char *requested, struct python_info *info, char *err, size_t errlen);
#endif
