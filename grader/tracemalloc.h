/* tracemalloc.h: parse the text that tracemalloc's Statistic and
 * StatisticDiff objects print (CPython 3.8 to 3.14; all three key types
 * 'lineno', 'filename' and 'traceback' print the same shape).
 *
 * The grammar and its traps (filenames holding ": size=", rounding, count=0
 * lines without an average) are in shared/notes/python-memory-facts.md §1.
 * Sizes are kept as printed and also converted to approximate bytes: a
 * printed "10.0 KiB" stands for anything in 10240..10291 bytes, so callers
 * compare signs and counts, never exact byte totals. */
#ifndef GRADER_TRACEMALLOC_H
#define GRADER_TRACEMALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct tm_stat {
    char *file;              /* as printed, with any prefix a print() added
                                ("Leak: /x/a.py"); may be empty, may hold ':',
                                spaces, tabs or invalid UTF-8, never NUL */
    long line;               /* 0 for the 'filename' key type and <unknown> */
    char *text;              /* the whole matched line, CR/LF stripped, valid UTF-8 or as found */
    double size;             /* bytes (approximate when a unit other than B) */
    char size_text[32];      /* e.g. "1.5 KiB"; a line whose size text would
                                not fit is not taken as a statistic */
    bool has_diff;           /* a StatisticDiff line: "(+x)" groups present */
    double size_diff;        /* signed bytes, 0 when !has_diff */
    char size_diff_text[32]; /* e.g. "-420 B", "" when !has_diff */
    long long count;
    long long count_diff; /* 0 when !has_diff */
    bool has_average;     /* printed only when count != 0 */
    double average;
};

struct tm_stats {
    struct tm_stat *items;
    size_t len;
    size_t cap;
    size_t lines_seen; /* every input line, matched or not; accumulates
                          over tm_parse_buffer calls */
};

/* Compiles the regular expression once (PCRE2 with JIT when available).
 * Returns 0, or -1 with a message in errbuf.  Thread-safe after the first
 * successful call; calling it again is cheap. */
int tm_parser_init(char *errbuf, size_t errlen);

/* Parses one line of len bytes (without or with its trailing "\n" /
 * "\r\n"; any run of trailing CR/LF is stripped).  Returns 1 and fills *out
 * when the line is a statistic, 0 when it is not (any other text, including a
 * match whose "average iff count != 0" rule is broken, an embedded LF or NUL,
 * or a number too big for its field), -1 on allocation failure.  *out is
 * zeroed unless 1 is returned.  Invalid UTF-8 never fails the parse: it is
 * kept byte for byte in file and text.  Calls tm_parser_init itself. */
int tm_parse_line(const char *line, size_t len, struct tm_stat *out);

/* Parses a whole buffer (e.g. a run's stdout; lines end at "\n", a last
 * line without one counts), appending every statistic in order to *stats,
 * which starts zeroed or holds earlier results.  Returns 0, or -1 on
 * allocation failure, after which *stats holds the statistics appended so
 * far and still needs tm_stats_free. */
int tm_parse_buffer(const char *buf, size_t len, struct tm_stats *stats);

/* True when the statistic's file names the entry file `entry_name` (e.g.
 * "leaky_app.py") whatever path form the interpreter printed: as typed on
 * 3.8 ("leaky_app.py", "./leaky_app.py"), absolute on 3.9+, Windows
 * separators.  A suffix match at a boundary: the whole file, or after '/' or
 * '\\', or after a print() prefix that is only blanks or ends in ':' plus
 * blanks ("Leak: /x/leaky_app.py", "Leak: leaky_app.py", "    leaky_app.py",
 * since the regex keeps the prefix in the file name).  Never
 * "not_leaky_app.py" or "my leaky_app.py".  Case-sensitive; the directory
 * is not checked, so "/elsewhere/leaky_app.py" matches too. */
bool tm_stat_is_entry_file(const struct tm_stat *stat, const char *entry_name);

void tm_stat_free(struct tm_stat *stat);
void tm_stats_free(struct tm_stats *stats);
#endif
