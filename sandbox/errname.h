/* errname.h: "EPERM" rather than "Operation not permitted" in isolation
 * reports, where the errno name is what one looks up. */
#ifndef SANDBOX_ERRNAME_H
#define SANDBOX_ERRNAME_H
#include <string.h>

static inline const char *sb_errname(int e)
{
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 32))
    const char *n = strerrorname_np(e);
    if (n)
        return n;
#endif
    return strerror(e);
}
#endif
