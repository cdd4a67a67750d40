/* jsontext.h: untrusted bytes as JSON strings.
 *
 * Student output and file names may hold invalid UTF-8 (a stray \xff, or a
 * character cut in half at an output cap); jansson refuses such strings, and
 * a refused string must never cost us the whole result.  Invalid bytes
 * become U+FFFD, and NUL bytes too (JSON allows \u0000, but C consumers of
 * the result do not). */
#ifndef GRADER_JSONTEXT_H
#define GRADER_JSONTEXT_H
#include <jansson.h>
#include <stddef.h>

/* A new JSON string; never NULL unless out of memory. */
json_t *json_text(const char *bytes, size_t len);
#endif
