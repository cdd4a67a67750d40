/* probe_cache.h: the bundled runtime, compiled once per interpreter.
 *
 * Compiling probe_core.py costs about 16 ms per run, half a plain run of the
 * student's script.  The grader compiles it ahead of time with the chosen
 * interpreter, outside the sandbox, into the user's cache directory
 * ($XDG_CACHE_HOME/grader, else ~/.cache/grader); the runtime loads it when
 * GRADER_PROBE_CODE names it.  The file name holds the source's SHA-256 and
 * the interpreter's, so an edited runtime or another Python never reuses a
 * stale file.  Everything here is optional: without a cache the runtime
 * compiles its source as before. */
#ifndef GRADER_PROBE_CACHE_H
#define GRADER_PROBE_CACHE_H
#include <stddef.h>

#include "python.h"

/* Fills `out` with the compiled file's path, creating it if needed.
 * Returns 0, or -1 when there is no usable cache (not an error). */
int probe_cache_prepare(const struct python_info *python, const char *probe_script, char *out, size_t len);
#endif
