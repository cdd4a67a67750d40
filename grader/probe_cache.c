#include "probe_cache.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <limits.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "digest.h"
#include "paths.h"

/* Run by the interpreter itself: bytecode is only valid for its own magic
 * number.  Written to a temporary name and renamed, so concurrent graders
 * never read half a file. */
#define CACHE_TOUCH_SECONDS (24L * 3600)     /* a use renews the time at most daily */
#define CACHE_STALE_SECONDS (7L * 24 * 3600) /* then unused files of other runtimes go */

static const char COMPILE[] =
    "import sys, os, marshal\n"
    "from importlib._bootstrap_external import MAGIC_NUMBER\n"
    "src_path, out = sys.argv[1], sys.argv[2]\n"
    "with open(src_path, 'rb') as f: src = f.read()\n"
    "code = compile(src, src_path, 'exec', dont_inherit=True)\n"
    "tmp = '%s.%d.tmp' % (out, os.getpid())\n"
    "with open(tmp, 'wb') as f:\n"
    "    f.write(b'GRADER-PROBE-CODE ' + sys.argv[3].encode() + b' ' + MAGIC_NUMBER.hex().encode() + b'\\n')\n"
    "    f.write(marshal.dumps(code))\n"
    "os.replace(tmp, out)\n";

int probe_cache_prepare(const struct python_info *python, const char *probe_script, char *out, size_t len)
{
    char core[PATH_MAX], dir[PATH_MAX];
    const char *slash = strrchr(probe_script, '/');
    if (!slash)
        return -1;
    snprintf(core, sizeof core, "%.*s/probe_core.py", (int)(slash - probe_script), probe_script);
    char src_sha[DIGEST_HEX_LEN], exe_sha[DIGEST_HEX_LEN];
    if (digest_sha256_file_hex(core, src_sha) < 0 || paths_cache_dir(dir, sizeof dir) < 0)
        return -1;
    digest_sha256_hex(python->executable, strlen(python->executable), exe_sha);
    snprintf(out, len, "%s/probe-%.16s-%s-%.12s.bin", dir, src_sha, python->version, exe_sha);
    struct stat st;
    if (stat(out, &st) == 0 && S_ISREG(st.st_mode)) {
        /* Used now: keeps it from being pruned as stale (below). */
        if (time(NULL) - st.st_mtime > CACHE_TOUCH_SECONDS)
            utimensat(AT_FDCWD, out, NULL, 0);
        return 0;
    }

    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    char *argv[] = {
        (char *)python->executable, "-E", "-s", "-S", "-B", "-c", (char *)COMPILE, core, out, src_sha, NULL};
    pid_t pid;
    int rc = posix_spawn(&pid, python->executable, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0)
        return -1;
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        return -1;
    if (stat(out, &st) != 0)
        return -1;
    /* Files an older runtime left for this interpreter go once unused for a
     * week: another checkout or version of the grader may still be using
     * its own (a file deleted between its check and its run would fail that
     * run), and each use renews a file's time. */
    char pattern[PATH_MAX];
    glob_t g;
    snprintf(pattern, sizeof pattern, "%s/probe-*-%s-%.12s.bin", dir, python->version, exe_sha);
    if (glob(pattern, 0, NULL, &g) == 0) {
        for (size_t i = 0; i < g.gl_pathc; i++)
            if (strcmp(g.gl_pathv[i], out) != 0 && stat(g.gl_pathv[i], &st) == 0 &&
                time(NULL) - st.st_mtime > CACHE_STALE_SECONDS)
                unlink(g.gl_pathv[i]);
        globfree(&g);
    }
    return 0;
}
