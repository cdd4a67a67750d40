/* export.h: the package Gradescope builds its autograder image from.
 *
 * The zip holds, at its root (zipping a folder instead is the classic
 * mistake): setup.sh, run once as root at image build, which installs the
 * Debian/Ubuntu packages and builds and installs grader from the source in
 * grader-src/; run_autograder, run for every submission, which grades
 * /autograder/submission with the packaged rubric and always writes
 * /autograder/results/results.json (a failure of the grader itself is a
 * results.json saying so, never a missing file); and rubric/, the rubric
 * with the baseline files it names.  AUTOGRADER_ROOT replaces /autograder,
 * so the script can be tried on a fake layout. */
#ifndef GRADER_EXPORT_H
#define GRADER_EXPORT_H
#include <stddef.h>

#include "rubric.h"

/* Writes the zip at zip_path from the source checkout at source_root.
 * 0, or -1 with err set (no partial zip is left). */
int export_gradescope(const char *zip_path, const char *source_root, const struct rubric *rb, char *err, size_t errlen);
#endif
