/* lazylib.c: see lazylib.h. */
#include "lazylib.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

/* The Makefile passes the sonames the link would have recorded
 * (scripts/sonames.sh reads them from the -dev packages' .so links). */
#if !defined(LAZYLIB_SONAME_GIT2) || !defined(LAZYLIB_SONAME_ZIP) || !defined(LAZYLIB_SONAME_CRYPTO)
#error "build with the -D flags of scripts/sonames.sh"
#endif

static const struct {
    const char *soname;
    const char *package; /* what to reinstall on Debian and Ubuntu */
} libs[LAZYLIB_COUNT] = {
    [LAZYLIB_GIT2] = {LAZYLIB_SONAME_GIT2, "libgit2"},
    [LAZYLIB_ZIP] = {LAZYLIB_SONAME_ZIP, "libzip"},
    [LAZYLIB_CRYPTO] = {LAZYLIB_SONAME_CRYPTO, "libssl"},
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static void *handles[LAZYLIB_COUNT];
static char why[LAZYLIB_COUNT][512];

int lazylib_open(enum lazylib lib, char *err, size_t errlen)
{
    if (__atomic_load_n(&handles[lib], __ATOMIC_ACQUIRE))
        return 0;
    pthread_mutex_lock(&lock);
    void *h = handles[lib];
    if (!h) {
        /* RTLD_NODELETE: pointers cached in call sites stay valid for the
         * life of the process whatever dlclose a library might do. */
        h = dlopen(libs[lib].soname, RTLD_NOW | RTLD_GLOBAL | RTLD_NODELETE);
        if (h) {
            __atomic_store_n(&handles[lib], h, __ATOMIC_RELEASE);
        } else {
            const char *e = dlerror();
            snprintf(why[lib], sizeof why[lib], "cannot load %s (%s); reinstall the %s package of your system",
                     libs[lib].soname, e ? e : "no reason given", libs[lib].package);
        }
    }
    if (!h && err && errlen)
        snprintf(err, errlen, "%s", why[lib]);
    pthread_mutex_unlock(&lock);
    return h ? 0 : -1;
}

void *lazylib_sym(enum lazylib lib, const char *name, void **slot)
{
    void *p = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    if (p)
        return p;
    char err[600];
    if (lazylib_open(lib, err, sizeof err) == 0) {
        p = dlsym(handles[lib], name);
        if (!p)
            snprintf(err, sizeof err, "%s has no %s: it is not the version grader was built with; rebuild grader",
                     libs[lib].soname, name);
    }
    if (!p) {
        /* What the dynamic loader does when a library is missing at exec:
         * there is no caller that could go on without this function. */
        fprintf(stderr, "grader: %s\n", err);
        exit(127);
    }
    __atomic_store_n(slot, p, __ATOMIC_RELEASE);
    return p;
}
