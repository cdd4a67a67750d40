#include "python.h"

#include "digest.h"
#include "paths.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* -S skips site (and whatever .pth files it imports): a quarter of the
 * start-up time.  Importing site afterwards does not run it (site.main()
 * is only called without -S); we just ask where its packages are. */
static const char QUERY[] =
    "import sys\n"
    "print(sys.executable)\n"
    "print('%d.%d.%d' % sys.version_info[:3])\n"
    "print(sys.implementation.name)\n"
    "try:\n"
    "    import site\n"
    "    for d in site.getsitepackages():\n"
    "        print(d)\n"
    "except Exception:\n"
    "    pass\n";

/* Runs `python -E -s -S -c QUERY` with a 10 s timeout; reads at most 4 KiB. */
static int ask(const char *python, char *buf, size_t len, char *err, size_t errlen)
{
    int pipefd[2];
    if (pipe2(pipefd, O_CLOEXEC) < 0) {
        snprintf(err, errlen, "pipe: %s", strerror(errno));
        return -1;
    }
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, pipefd[1], 1);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    char *argv[] = {(char *)python, "-E", "-s", "-S", "-c", (char *)QUERY, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, python, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(pipefd[1]);
    if (rc != 0) {
        close(pipefd[0]);
        snprintf(err, errlen, "cannot run %s: %s", python, strerror(rc));
        return -1;
    }
    size_t used = 0;
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = 10000 - ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000);
        struct pollfd pfd = {.fd = pipefd[0], .events = POLLIN};
        if (left <= 0 || poll(&pfd, 1, (int)left) <= 0) {
            kill(pid, SIGKILL);
            break;
        }
        ssize_t n = read(pipefd[0], buf + used, len - 1 - used);
        if (n <= 0)
            break;
        used += (size_t)n;
        if (used == len - 1)
            break;
    }
    buf[used] = '\0';
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        snprintf(err, errlen, "%s did not answer 'import sys' (is it a Python 3 interpreter?)", python);
        return -1;
    }
    return 0;
}

/* The answer for an interpreter binary does not change until the file does,
 * so it is kept, keyed by the file's identity, to save a start-up per
 * grading.  Only for ELF binaries: a shim script (pyenv, asdf) answers
 * differently as its configuration changes, so it is asked every time. */
static int cache_path(const char *candidate, char *out, size_t len)
{
    unsigned char magic[4];
    int fd = open(candidate, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    ssize_t n = read(fd, magic, sizeof magic);
    int ok = fstat(fd, &st) == 0 && n == 4 && memcmp(magic, "\177ELF", 4) == 0;
    close(fd);
    char dir[PATH_MAX], key[PATH_MAX + 128], sha[DIGEST_HEX_LEN];
    if (!ok || paths_cache_dir(dir, sizeof dir) < 0)
        return -1;
    int klen = snprintf(key, sizeof key, "%s|%llu|%llu|%lld.%09ld|%lld", candidate, (unsigned long long)st.st_dev,
                        (unsigned long long)st.st_ino, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
                        (long long)st.st_size);
    digest_sha256_hex(key, (size_t)klen, sha);
    /* v2: the answer lists the site-packages directories too. */
    snprintf(out, len, "%s/python-v2-%.24s.txt", dir, sha);
    return 0;
}

static int read_cached(const char *path, char *buf, size_t len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, len - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = '\0';
    return 0;
}

static void write_cached(const char *path, const char *answer)
{
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    size_t n = strlen(answer);
    int ok = write(fd, answer, n) == (ssize_t)n;
    close(fd);
    if (!ok || rename(tmp, path) < 0)
        unlink(tmp);
}

int python_resolve(const char *requested, struct python_info *info, char *err, size_t errlen)
{
    const char *source = "--python";
    const char *want = requested;
    if (!want || !*want) {
        want = getenv("GRADER_PYTHON");
        source = "GRADER_PYTHON";
    }
    if (!want || !*want) {
        want = "python3";
        source = "PATH";
    }
    char found[PATH_MAX];
    if (strchr(want, '/')) {
        snprintf(found, sizeof found, "%s", want);
        if (access(found, X_OK) != 0) {
            snprintf(err, errlen, "Python interpreter %s (from %s) is not an executable file", want, source);
            return -1;
        }
    } else if (paths_search(want, found, sizeof found) < 0) {
        snprintf(err, errlen, "no %s on PATH; install Python 3.8 or newer, or pass --python PATH", want);
        return -1;
    }
    char out[4096], cached[PATH_MAX];
    int cacheable = cache_path(found, cached, sizeof cached) == 0;
    if (!cacheable || read_cached(cached, out, sizeof out) < 0) {
        if (ask(found, out, sizeof out, err, errlen) < 0)
            return -1;
        if (cacheable)
            write_cached(cached, out);
    }
    char *save = NULL;
    char *exe = strtok_r(out, "\n", &save);
    char *ver = strtok_r(NULL, "\n", &save);
    char *impl = strtok_r(NULL, "\n", &save);
    if (!exe || !ver || !impl || !*exe) {
        snprintf(err, errlen, "%s did not report sys.executable; pass the interpreter itself with --python", found);
        return -1;
    }
    if (!realpath(exe, info->executable)) {
        snprintf(err, errlen, "%s reports sys.executable=%s, which does not exist", found, exe);
        return -1;
    }
    info->nsite_dirs = 0;
    for (char *d; (d = strtok_r(NULL, "\n", &save)) && info->nsite_dirs < PYTHON_MAX_SITE_DIRS;)
        if (d[0] == '/')
            snprintf(info->site_dirs[info->nsite_dirs++], sizeof info->site_dirs[0], "%s", d);
    snprintf(info->version, sizeof info->version, "%s", ver);
    snprintf(info->implementation, sizeof info->implementation, "%s", impl);
    /* strtol, not sscanf's %d, which is undefined when the number
     * overflows: the version is whatever the program printed. */
    char *end;
    long major = strtol(ver, &end, 10), minor = -1;
    if (end != ver && *end == '.' && end[1] >= '0' && end[1] <= '9')
        minor = strtol(end + 1, NULL, 10);
    if (major < 0 || major > INT_MAX || minor < 0 || minor > INT_MAX) {
        snprintf(err, errlen, "%s reports an unreadable version '%s'", found, ver);
        return -1;
    }
    info->major = (int)major;
    info->minor = (int)minor;
    if (info->major != 3 || info->minor < 8) {
        snprintf(err, errlen, "%s is Python %s; the grader needs CPython 3.8 or newer", info->executable, ver);
        return -1;
    }
    if (strcmp(impl, "cpython") != 0) {
        snprintf(
            err, errlen,
            "%s is %s %s; the grader needs CPython (reference counting and the gc module behave differently elsewhere)",
            info->executable, impl, ver);
        return -1;
    }
    return 0;
}
