#include "paths.h"

#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sandbox.h"

/* Layouts we know, relative to the data directory. */
#define RUBRIC_REL "rubrics/weakref-leak.yaml"
#define PROBE_REL_BUILD "sandbox/runtime/grader_probe.py"
#define PROBE_REL_INSTALLED "runtime/grader_probe.py"

static int is_file(const char *dir, const char *rel)
{
    char p[PATH_MAX];
    struct stat st;
    if (snprintf(p, sizeof p, "%s/%s", dir, rel) >= (int)sizeof p)
        return 0;
    return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int paths_data_dir(char *out, size_t len, char *err, size_t errlen)
{
    const char *env = getenv("GRADER_DATA_DIR");
    if (env && *env) {
        if (!is_file(env, RUBRIC_REL)) {
            snprintf(err, errlen, "GRADER_DATA_DIR=%s does not hold %s", env, RUBRIC_REL);
            return -1;
        }
        snprintf(out, len, "%s", env);
        return 0;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        snprintf(err, errlen, "cannot find the grader's own executable (/proc/self/exe); set GRADER_DATA_DIR");
        return -1;
    }
    exe[n] = '\0';
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = '\0';
    const char *candidates[] = {"/../share/grader", "/.."};
    for (size_t i = 0; i < sizeof candidates / sizeof *candidates; i++) {
        char dir[PATH_MAX], real[PATH_MAX];
        snprintf(dir, sizeof dir, "%s%s", exe, candidates[i]);
        if (realpath(dir, real) && is_file(real, RUBRIC_REL)) {
            snprintf(out, len, "%s", real);
            return 0;
        }
    }
    snprintf(err, errlen,
             "cannot find the grader's data (rubrics and runtime) near %s; "
             "run 'make install' or set GRADER_DATA_DIR",
             exe);
    return -1;
}

int paths_default_rubric(char *out, size_t len, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    if (paths_data_dir(dir, sizeof dir, err, errlen) < 0)
        return -1;
    snprintf(out, len, "%s/%s", dir, RUBRIC_REL);
    return 0;
}

int paths_probe_script(char *out, size_t len, char *err, size_t errlen)
{
    char dir[PATH_MAX];
    if (paths_data_dir(dir, sizeof dir, err, errlen) < 0)
        return -1;
    const char *rels[] = {PROBE_REL_BUILD, PROBE_REL_INSTALLED};
    for (size_t i = 0; i < 2; i++)
        if (is_file(dir, rels[i])) {
            snprintf(out, len, "%s/%s", dir, rels[i]);
            return 0;
        }
    snprintf(err, errlen, "the bundled runtime grader_probe.py is missing from %s", dir);
    return -1;
}

int paths_cache_dir(char *out, size_t len)
{
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    char base[PATH_MAX];
    if (xdg && *xdg == '/')
        snprintf(base, sizeof base, "%s", xdg);
    else if (home && *home == '/')
        snprintf(base, sizeof base, "%s/.cache", home);
    else
        return -1;
    mkdir(base, 0700);
    snprintf(out, len, "%s/grader", base);
    if (mkdir(out, 0700) < 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (lstat(out, &st) < 0 || !S_ISDIR(st.st_mode) || st.st_uid != geteuid() || (st.st_mode & 022))
        return -1;
    return 0;
}

int paths_search(const char *name, char *out, size_t len)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path; *p;) {
        size_t n = strcspn(p, ":");
        char cand[PATH_MAX];
        if (n > 0 && snprintf(cand, sizeof cand, "%.*s/%s", (int)n, p, name) < (int)sizeof cand &&
            access(cand, X_OK) == 0) {
            snprintf(out, len, "%s", cand);
            return 0;
        }
        p += n + (p[n] == ':');
    }
    return -1;
}

int paths_sandbox_disable(unsigned *bits, char *err, size_t errlen)
{
    static const struct {
        const char *word;
        unsigned bit;
    } names[] = {{"namespaces", SANDBOX_NO_NAMESPACES},
                 {"userns", SANDBOX_NO_USERNS},
                 {"cgroups", SANDBOX_NO_CGROUPS},
                 {"seccomp", SANDBOX_NO_SECCOMP},
                 {"landlock", SANDBOX_NO_LANDLOCK},
                 {"minimal-root", SANDBOX_NO_MINIMAL_ROOT},
                 {"uid", SANDBOX_NO_UID}};
    const char *env = getenv("GRADER_SANDBOX_DISABLE");
    *bits = 0;
    for (const char *p = env ? env : ""; *p;) {
        size_t n = strcspn(p, ",");
        size_t i;
        for (i = 0; i < sizeof names / sizeof *names; i++)
            if (strlen(names[i].word) == n && strncmp(p, names[i].word, n) == 0)
                break;
        if (n && i == sizeof names / sizeof *names) {
            snprintf(err, errlen,
                     "GRADER_SANDBOX_DISABLE: unknown layer '%.*s'; use namespaces, userns, cgroups, "
                     "seccomp, landlock, minimal-root or uid",
                     (int)n, p);
            return -1;
        }
        if (n)
            *bits |= names[i].bit;
        p += n + (p[n] == ',');
    }
    return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    remove(path);
    return 0;
}

void paths_remove_tree(const char *path)
{
    nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int paths_mkdir_p(const char *dir)
{
    char buf[PATH_MAX];
    if ((size_t)snprintf(buf, sizeof buf, "%s", dir) >= sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(buf, 0755) < 0 && errno != EEXIST ? -1 : 0;
}

void paths_sweep_stale(void)
{
    const char *tmp = getenv("TMPDIR");
    if (!tmp || tmp[0] != '/')
        tmp = "/tmp";
    DIR *d = opendir(tmp);
    if (!d)
        return;
    static const char *const kinds[] = {"grader-token-", "grader-export-", "grader-first-"};
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
            size_t n = strlen(kinds[k]);
            /* strtol, not sscanf's %d, which is undefined when the number
             * overflows, and anyone can name a file here. */
            long pid = strncmp(de->d_name, kinds[k], n) == 0 ? strtol(de->d_name + n, NULL, 10) : 0;
            if (pid <= 0 || pid > INT_MAX || pid == getpid() || kill((pid_t)pid, 0) == 0 || errno != ESRCH)
                continue;
            char path[PATH_MAX];
            if ((size_t)snprintf(path, sizeof path, "%s/%s", tmp, de->d_name) < sizeof path)
                paths_remove_tree(path); /* ours alone: written by a grader */
        }
    }
    closedir(d);
}
