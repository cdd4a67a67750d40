/* lazylib.h: libraries that only some commands need, opened on first use.
 *
 * Linking libgit2 makes the dynamic loader map it and its own
 * dependencies (Kerberos, mbedTLS, libssh2, http-parser) at every exec,
 * and libzip brings libcrypto: together about 1.7 ms before main() on
 * this project's CI machine, paid by `grader sandbox` (issue 3 compares
 * it with bwrap process for process) and by every command that never
 * reads a git object or writes a zip.  git keeps libcurl out of its main
 * binary for the same reason (git-remote-http is a program of its own).
 * Here the three libraries are opened with dlopen(3), by the soname the
 * build linked against, the first time a function of theirs is called.
 *
 * A module that calls them includes "lazylib_git2.h", "lazylib_zip.h" or
 * "lazylib_crypto.h" instead of the library's own header: each function
 * it uses is a macro that calls through a pointer, looked up once per call
 * site.  Its entry points call lazylib_open() first and return that error
 * like any other; a lookup that still fails later (the library removed
 * while the grader runs) ends the process with the loader's own message
 * and exit status, as a missing library did at exec before. */
#ifndef GRADER_LAZYLIB_H
#define GRADER_LAZYLIB_H
#include <stddef.h>

enum lazylib { LAZYLIB_GIT2, LAZYLIB_ZIP, LAZYLIB_CRYPTO, LAZYLIB_COUNT };

/* Opens `lib` (once per process; safe from any thread).  Returns 0, or -1
 * with "cannot load libgit2.so.1.5: <dlerror>; ..." in err. */
int lazylib_open(enum lazylib lib, char *err, size_t errlen);

/* The address of `name` in `lib`, cached in *slot. */
void *lazylib_sym(enum lazylib lib, const char *name, void **slot);

/* Used by the lazylib_*.h headers: `fn` keeps the type of the library's
 * own declaration (a macro does not expand itself again). */
#ifdef __CPPCHECK__
/* scripts/lint.sh: cppcheck cannot follow the statement expression (it
 * takes the call's result for a constant), so it sees a direct call. */
#define LAZYLIB_FN(lib, fn) fn
#else
#define LAZYLIB_FN(lib, fn)                                                                                            \
    (__extension__({                                                                                                   \
        static void *lazylib_slot_;                                                                                    \
        (__typeof__(&(fn)))lazylib_sym(lib, #fn, &lazylib_slot_);                                                      \
    }))
#endif
#endif
