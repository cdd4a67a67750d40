/* fuzz_tracemalloc.c: tm_parse_buffer (grader/tracemalloc.h) on arbitrary
 * bytes: a student's stdout, which may hold invalid UTF-8, NULs, CRs and
 * numbers of any length.
 *
 * Besides surviving, every statistic found must be consistent with the
 * header's promises: it is one line of the input (CR/LF stripped), its
 * file is the text before ":<line>: size=", no field holds a NUL, the
 * average is there exactly when the count is not 0, sizes are finite, and
 * tm_parse_line reads the same line the same way.  lines_seen counts every
 * line.  The statistics also go through result_statistics_json, which must
 * keep every one of them. */
#include "fuzz_common.h"
#include "result.h"
#include "tracemalloc.h"

#include <math.h>

static void same_stat(const struct tm_stat *a, const struct tm_stat *b)
{
    if (strcmp(a->file, b->file) != 0 || strcmp(a->text, b->text) != 0 || a->line != b->line || a->count != b->count ||
        a->count_diff != b->count_diff || a->has_diff != b->has_diff || a->has_average != b->has_average ||
        strcmp(a->size_text, b->size_text) != 0 || strcmp(a->size_diff_text, b->size_diff_text) != 0 ||
        a->size != b->size || a->size_diff != b->size_diff || (a->has_average && a->average != b->average))
        fz_fail("tm_parse_line and tm_parse_buffer disagree on \"%s\"", a->text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv);

// NOLINTNEXTLINE(readability-non-const-parameter): the signature libFuzzer calls
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    char err[160];
    if (tm_parser_init(err, sizeof err) != 0)
        fz_fail("tm_parser_init: %s", err);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *buf = (const char *)data;
    struct tm_stats stats;
    memset(&stats, 0, sizeof stats);
    if (tm_parse_buffer(buf, size, &stats) != 0)
        fz_fail("tm_parse_buffer failed (out of memory?) on %zu bytes", size);

    size_t lines = 0;
    for (size_t i = 0; i < size; i++)
        lines += buf[i] == '\n';
    if (size > 0 && buf[size - 1] != '\n')
        lines++;
    if (stats.lines_seen != lines)
        fz_fail("lines_seen %zu, the input has %zu lines", stats.lines_seen, lines);
    if (stats.len > lines || stats.len > stats.cap)
        fz_fail("%zu statistics from %zu lines (cap %zu)", stats.len, lines, stats.cap);

    /* Statistics come in input order, one per line at most. */
    const char *from = buf, *end = buf + size;
    for (size_t i = 0; i < stats.len; i++) {
        const struct tm_stat *s = &stats.items[i];
        if (!s->file || !s->text)
            fz_fail("statistic %zu lacks its file or text", i);
        size_t tlen = strlen(s->text), flen = strlen(s->file);
        if (tlen == 0 || flen > tlen || memcmp(s->text, s->file, flen) != 0)
            fz_fail("statistic %zu: the file is not the start of the text", i);
        /* Find the line it came from: the next line whose CR/LF-stripped
         * bytes are exactly the text. */
        bool found = false;
        while (from < end && !found) {
            const char *nl = memchr(from, '\n', (size_t)(end - from));
            const char *eol = nl ? nl : end;
            size_t llen = (size_t)(eol - from);
            while (llen > 0 && (from[llen - 1] == '\r' || from[llen - 1] == '\n'))
                llen--;
            found = llen == tlen && memcmp(from, s->text, tlen) == 0;
            from = nl ? nl + 1 : end;
        }
        if (!found)
            fz_fail("statistic %zu (\"%s\") is not a line of the input, in order", i, s->text);
        /* ":<line>: size=" right after the file. */
        const char *rest = s->text + flen;
        char *after = NULL;
        if (rest[0] != ':' || rest[1] < '0' || rest[1] > '9')
            fz_fail("statistic %zu: no \":<line>\" after the file in \"%s\"", i, s->text);
        errno = 0;
        long line = strtol(rest + 1, &after, 10);
        if (errno == 0 && line != s->line)
            fz_fail("statistic %zu: line %ld, the text says %ld", i, s->line, line);
        if (strncmp(after, ": size=", 7) != 0)
            fz_fail("statistic %zu: no \": size=\" after the line number", i);
        if (strncmp(after + 7, s->size_text, strlen(s->size_text)) != 0)
            fz_fail("statistic %zu: size_text \"%s\" is not what follows size=", i, s->size_text);
        if (s->has_average != (s->count != 0))
            fz_fail("statistic %zu: average %s with count %lld", i, s->has_average ? "present" : "absent", s->count);
        if (!isfinite(s->size) || !isfinite(s->size_diff) || (s->has_average && !isfinite(s->average)))
            fz_fail("statistic %zu: a size is not finite", i);
        if (s->has_diff != (s->size_diff_text[0] != '\0'))
            fz_fail("statistic %zu: has_diff and size_diff_text disagree", i);
        if (!s->has_diff && (s->size_diff != 0 || s->count_diff != 0))
            fz_fail("statistic %zu: diff fields set without has_diff", i);

        struct tm_stat again;
        if (tm_parse_line(s->text, tlen, &again) != 1)
            fz_fail("tm_parse_line does not take the line tm_parse_buffer took: \"%s\"", s->text);
        same_stat(s, &again);
        tm_stat_free(&again);
        (void)tm_stat_is_entry_file(s, "leaky_app.py");
    }

    json_t *arr = result_statistics_json(&stats);
    if (!arr || json_array_size(arr) != stats.len)
        fz_fail("result_statistics_json kept %zu of %zu statistics", arr ? json_array_size(arr) : 0, stats.len);
    char *dump = json_dumps(arr, JSON_COMPACT);
    if (!dump)
        fz_fail("the statistics' JSON cannot be written");
    free(dump);
    json_decref(arr);

    /* The single-line entry point on the whole input, whatever it holds. */
    struct tm_stat one;
    int rc = tm_parse_line(buf, size, &one);
    if (rc < 0)
        fz_fail("tm_parse_line failed (out of memory?)");
    if (rc == 1)
        tm_stat_free(&one);
    tm_stats_free(&stats);
    return 0;
}
