/* paths.h: where the grader's data (rubrics, bundled runtime) lives.
 *
 * The same binary works from the build tree (build/grader: data is the
 * repository, one level up) and installed (PREFIX/bin/grader: data is
 * PREFIX/share/grader).  GRADER_DATA_DIR overrides both, for packagers. */
#ifndef GRADER_PATHS_H
#define GRADER_PATHS_H
#include <stddef.h>

/* Fills `out` with the data directory.  Returns 0, or -1 with a message. */
int paths_data_dir(char *out, size_t len, char *err, size_t errlen);
/* data_dir/rubrics/weakref-leak.yaml, data_dir/<runtime>/grader_probe.py */
int paths_default_rubric(char *out, size_t len, char *err, size_t errlen);
int paths_probe_script(char *out, size_t len, char *err, size_t errlen);
/* Looks an executable `name` up on $PATH as execvp does.  Returns 0 and
 * fills `out`, or -1 when it is not found. */
int paths_search(const char *name, char *out, size_t len);

/* SANDBOX_NO_* bits from $GRADER_SANDBOX_DISABLE, a comma list of
 * namespaces, userns, cgroups, seccomp, landlock: forces a degraded sandbox,
 * to test and compare the degraded modes.  Unknown words are reported in
 * `err` and make the call return -1. */
int paths_sandbox_disable(unsigned *bits, char *err, size_t errlen);

/* The user's private cache directory for the grader ($XDG_CACHE_HOME/grader,
 * else ~/.cache/grader), created 0700.  Returns -1 when there is none, or
 * when it is not ours alone: anyone who can write there could change what
 * runs in every graded interpreter. */
int paths_cache_dir(char *out, size_t len);

/* mkdir -p with mode 0755: 0, or -1 with errno set. */
int paths_mkdir_p(const char *dir);

/* Removes a file or a tree the grader wrote itself (exports, reports,
 * temporary copies: never a folder a student's process ran in, which
 * sandbox/box.c removes), depth first, never following a link. */
void paths_remove_tree(const char *path);

/* Removes from $TMPDIR (or /tmp) the temporary files and folders of
 * graders that died without cleaning up (grader-token-PID-*,
 * grader-export-PID-*, grader-first-PID-* whose PID is gone). */
void paths_sweep_stale(void);
#endif
