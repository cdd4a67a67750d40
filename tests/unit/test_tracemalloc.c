/* test_tracemalloc.c: the tracemalloc line parser.
 *
 * Three kinds of evidence:
 *  - hand-written edge cases (notes §1.6, §1.7) with field values worked out
 *    by hand, and lines that must not parse;
 *  - real stdout of CPython 3.8 .. 3.13 (data/tracemalloc/python-*.txt),
 *    checked against the raw numbers the generator read from the Python
 *    objects (python-*.tsv; see data/tracemalloc/generate.py);
 *  - tm_parse_buffer, tm_stat_is_entry_file and concurrent use. */
#include "check_main.h"
#include "tracemalloc.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define KiB 1024.0
#define MiB (1024.0 * KiB)
#define GiB (1024.0 * MiB)
#define TiB (1024.0 * GiB)

#define ck_assert_near(a, b, tol)                                                                                      \
    ck_assert_msg(fabs((double)(a) - (double)(b)) <= (tol), "%s = %.17g, expected %.17g (tolerance %g)", #a,           \
                  (double)(a), (double)(b), (double)(tol))

/* -------------------------------------------------------------- edge cases */

struct edge {
    const char *in;
    size_t len; /* 0: strlen(in) */
    const char *file;
    long line;
    double size;
    const char *size_text;
    bool has_diff;
    double size_diff;
    const char *size_diff_text;
    long long count, count_diff;
    bool has_average;
    double average;
    const char *text; /* NULL: same as in */
};

/* One case a few lines, aligned by field: kept out of clang-format. */
// clang-format off
static const struct edge edges[] = {
    /* notes §1.7, in order */
    { .in = "/home/s/b_weakref.py:19: size=0 B (-320 B), count=0 (-2)",
      .file = "/home/s/b_weakref.py", .line = 19, .size = 0, .size_text = "0 B",
      .has_diff = true, .size_diff = -320, .size_diff_text = "-320 B",
      .count = 0, .count_diff = -2 },
    { .in = "/home/s/a_leak.py:19: size=320 B (+0 B), count=2 (+0), average=160 B",
      .file = "/home/s/a_leak.py", .line = 19, .size = 320, .size_text = "320 B",
      .has_diff = true, .size_diff = 0, .size_diff_text = "+0 B",
      .count = 2, .count_diff = 0, .has_average = true, .average = 160 },
    { .in = "<unknown>:0: size=126 KiB, count=304, average=424 B",
      .file = "<unknown>", .line = 0, .size = 126 * KiB, .size_text = "126 KiB",
      .count = 304, .has_average = true, .average = 424 },
    { .in = "<frozen importlib._bootstrap_external>:0: size=1023 KiB (+84.5 KiB), count=9921 (+811), average=106 B",
      .file = "<frozen importlib._bootstrap_external>", .line = 0,
      .size = 1023 * KiB, .size_text = "1023 KiB",
      .has_diff = true, .size_diff = 84.5 * KiB, .size_diff_text = "+84.5 KiB",
      .count = 9921, .count_diff = 811, .has_average = true, .average = 106 },
    { .in = "<frozen abc>:123: size=448 B (+448 B), count=4 (+4), average=112 B",
      .file = "<frozen abc>", .line = 123, .size = 448, .size_text = "448 B",
      .has_diff = true, .size_diff = 448, .size_diff_text = "+448 B",
      .count = 4, .count_diff = 4, .has_average = true, .average = 112 },
    { .in = "a_leak.py:20: size=0 B (-48 B), count=0 (-1)",
      .file = "a_leak.py", .line = 20, .size = 0, .size_text = "0 B",
      .has_diff = true, .size_diff = -48, .size_diff_text = "-48 B",
      .count = 0, .count_diff = -1 },
    { .in = "C:\\Users\\me\\My Game\\game.py:12: size=20.0 KiB (+20.0 KiB), count=1 (+1), average=20.0 KiB",
      .file = "C:\\Users\\me\\My Game\\game.py", .line = 12,
      .size = 20 * KiB, .size_text = "20.0 KiB",
      .has_diff = true, .size_diff = 20 * KiB, .size_diff_text = "+20.0 KiB",
      .count = 1, .count_diff = 1, .has_average = true, .average = 20 * KiB },
    { .in = "/home/u/dir with space/game 1.py:7: size=0 B (-1234 B), count=0 (-3)",
      .file = "/home/u/dir with space/game 1.py", .line = 7, .size = 0, .size_text = "0 B",
      .has_diff = true, .size_diff = -1234, .size_diff_text = "-1234 B",
      .count = 0, .count_diff = -3 },
    /* greedy file: the last ":<digits>: size=" that completes a match */
    { .in = "/x/odd:12: size=1 B/x.py:5: size=1234 B, count=3, average=411 B",
      .file = "/x/odd:12: size=1 B/x.py", .line = 5, .size = 1234, .size_text = "1234 B",
      .count = 3, .has_average = true, .average = 411 },
    { .in = ":5: size=56 B, count=1, average=56 B",
      .file = "", .line = 5, .size = 56, .size_text = "56 B",
      .count = 1, .has_average = true, .average = 56 },
    { .in = "<unknown>:0: size=0 B, count=0",
      .file = "<unknown>", .line = 0, .size = 0, .size_text = "0 B", .count = 0 },
    { .in = "x.py:3: size=100.0 MiB (+100.0 MiB), count=1 (+1), average=100.0 MiB",
      .file = "x.py", .line = 3, .size = 100 * MiB, .size_text = "100.0 MiB",
      .has_diff = true, .size_diff = 100 * MiB, .size_diff_text = "+100.0 MiB",
      .count = 1, .count_diff = 1, .has_average = true, .average = 100 * MiB },
    { .in = "x.py:3: size=10239 B (+10239 B), count=1 (+1), average=10239 B",
      .file = "x.py", .line = 3, .size = 10239, .size_text = "10239 B",
      .has_diff = true, .size_diff = 10239, .size_diff_text = "+10239 B",
      .count = 1, .count_diff = 1, .has_average = true, .average = 10239 },
    { .in = "x.py:3: size=1073741824 TiB, count=1, average=1073741824 TiB",
      .file = "x.py", .line = 3, .size = 1073741824 * TiB, .size_text = "1073741824 TiB",
      .count = 1, .has_average = true, .average = 1073741824 * TiB },

    /* more units and signs */
    { .in = "x.py:19: size=100 GiB (+100 GiB), count=7 (+7), average=14.3 GiB",
      .file = "x.py", .line = 19, .size = 100 * GiB, .size_text = "100 GiB",
      .has_diff = true, .size_diff = 100 * GiB, .size_diff_text = "+100 GiB",
      .count = 7, .count_diff = 7, .has_average = true, .average = 14.3 * GiB },
    { .in = "x.py:4: size=5 B (-50.0 GiB), count=3 (-7), average=2 B",
      .file = "x.py", .line = 4, .size = 5, .size_text = "5 B",
      .has_diff = true, .size_diff = -50 * GiB, .size_diff_text = "-50.0 GiB",
      .count = 3, .count_diff = -7, .has_average = true, .average = 2 },
    { .in = "x.py:2: size=-100 KiB, count=1, average=-100 KiB",
      .file = "x.py", .line = 2, .size = -100 * KiB, .size_text = "-100 KiB",
      .count = 1, .has_average = true, .average = -100 * KiB },
    { .in = "x.py:3: size=100 B, count=-2, average=-50 B",
      .file = "x.py", .line = 3, .size = 100, .size_text = "100 B",
      .count = -2, .has_average = true, .average = -50 },
    { .in = "x.py:0: size=100.0 KiB, count=10, average=10240 B",
      .file = "x.py", .line = 0, .size = 100 * KiB, .size_text = "100.0 KiB",
      .count = 10, .has_average = true, .average = 10240 },
    { .in = "x.py:5: size=1024 GiB, count=1099511627776, average=1 B",
      .file = "x.py", .line = 5, .size = 1024 * GiB, .size_text = "1024 GiB",
      .count = 1099511627776LL, .has_average = true, .average = 1 },
    { .in = "x.py:21: size=4194304 TiB (+4194304 TiB), count=7 (+7), average=599186 TiB",
      .file = "x.py", .line = 21, .size = 4194304 * TiB, .size_text = "4194304 TiB",
      .has_diff = true, .size_diff = 4194304 * TiB, .size_diff_text = "+4194304 TiB",
      .count = 7, .count_diff = 7, .has_average = true, .average = 599186 * TiB },
    { .in = "leaky_app.py:4: size=1 B, count=0",
      .file = "leaky_app.py", .line = 4, .size = 1, .size_text = "1 B", .count = 0 },
    { .in = "leaky_app.py:2147483648: size=56 B, count=1, average=56 B",
      .file = "leaky_app.py", .line = 2147483648L, .size = 56, .size_text = "56 B",
      .count = 1, .has_average = true, .average = 56 },

    /* hostile file names */
    { .in = "/x/a, count=1 (+1)/b.py:3: size=4759 B (+4759 B), count=8 (+8), average=595 B",
      .file = "/x/a, count=1 (+1)/b.py", .line = 3, .size = 4759, .size_text = "4759 B",
      .has_diff = true, .size_diff = 4759, .size_diff_text = "+4759 B",
      .count = 8, .count_diff = 8, .has_average = true, .average = 595 },
    { .in = "x.py:99:3: size=6203 B (+6203 B), count=7 (+7), average=886 B",
      .file = "x.py:99", .line = 3, .size = 6203, .size_text = "6203 B",
      .has_diff = true, .size_diff = 6203, .size_diff_text = "+6203 B",
      .count = 7, .count_diff = 7, .has_average = true, .average = 886 },
    { .in = "\tlead tab.py:3: size=5603 B, count=7, average=800 B",
      .file = "\tlead tab.py", .line = 3, .size = 5603, .size_text = "5603 B",
      .count = 7, .has_average = true, .average = 800 },
    { .in = "trailing space.py :3: size=5903 B, count=7, average=843 B",
      .file = "trailing space.py ", .line = 3, .size = 5903, .size_text = "5903 B",
      .count = 7, .has_average = true, .average = 843 },
    { .in = "na\xc3\xafve \xf0\x9f\x90\x8d.py:3: size=5359 B, count=8, average=670 B",
      .file = "na\xc3\xafve \xf0\x9f\x90\x8d.py", .line = 3, .size = 5359, .size_text = "5359 B",
      .count = 8, .has_average = true, .average = 670 },
    /* invalid UTF-8 (surrogateescape output) stays as found */
    { .in = "bad\xff\xfe.py:3: size=3859 B (+3859 B), count=8 (+8), average=482 B",
      .file = "bad\xff\xfe.py", .line = 3, .size = 3859, .size_text = "3859 B",
      .has_diff = true, .size_diff = 3859, .size_diff_text = "+3859 B",
      .count = 8, .count_diff = 8, .has_average = true, .average = 482 },
    { .in = "caf\xc3:3: size=1 B, count=1, average=1 B",     /* truncated sequence */
      .file = "caf\xc3", .line = 3, .size = 1, .size_text = "1 B",
      .count = 1, .has_average = true, .average = 1 },
    { .in = "\xed\xa0\x80/\xc0\xaf:7: size=2 B, count=1, average=2 B",  /* surrogate, overlong */
      .file = "\xed\xa0\x80/\xc0\xaf", .line = 7, .size = 2, .size_text = "2 B",
      .count = 1, .has_average = true, .average = 2 },

    /* prefixes a student's print() adds stay in the file name */
    { .in = "Leak: /x/leaky_app.py:3: size=1.5 KiB (+1.5 KiB), count=2 (+2), average=768 B",
      .file = "Leak: /x/leaky_app.py", .line = 3, .size = 1.5 * KiB, .size_text = "1.5 KiB",
      .has_diff = true, .size_diff = 1.5 * KiB, .size_diff_text = "+1.5 KiB",
      .count = 2, .count_diff = 2, .has_average = true, .average = 768 },
    { .in = "    leaky_app.py:130: size=0 B (-12.0 KiB), count=0 (-9)",
      .file = "    leaky_app.py", .line = 130, .size = 0, .size_text = "0 B",
      .has_diff = true, .size_diff = -12 * KiB, .size_diff_text = "-12.0 KiB",
      .count = 0, .count_diff = -9 },

    /* line endings are stripped, the rest is kept */
    { .in = "x.py:3: size=1 B, count=1, average=1 B\r\n",
      .file = "x.py", .line = 3, .size = 1, .size_text = "1 B",
      .count = 1, .has_average = true, .average = 1,
      .text = "x.py:3: size=1 B, count=1, average=1 B" },
    { .in = "x.py:3: size=1 B, count=1, average=1 B\n",
      .file = "x.py", .line = 3, .size = 1, .size_text = "1 B",
      .count = 1, .has_average = true, .average = 1,
      .text = "x.py:3: size=1 B, count=1, average=1 B" },
    { .in = "x.py:3: size=1 B, count=1, average=1 B\r",
      .file = "x.py", .line = 3, .size = 1, .size_text = "1 B",
      .count = 1, .has_average = true, .average = 1,
      .text = "x.py:3: size=1 B, count=1, average=1 B" },
    { .in = "a\rb.py:3: size=1 B, count=1, average=1 B",       /* CR inside: kept */
      .file = "a\rb.py", .line = 3, .size = 1, .size_text = "1 B",
      .count = 1, .has_average = true, .average = 1 },
    /* len is honoured: the parser must not read past it */
    { .in = "x.py:3: size=1 B, count=1, average=1 B, and more", .len = 38,
      .file = "x.py", .line = 3, .size = 1, .size_text = "1 B",
      .count = 1, .has_average = true, .average = 1,
      .text = "x.py:3: size=1 B, count=1, average=1 B" },
};
// clang-format on

START_TEST(test_edge_line)
{
    const struct edge *e = &edges[_i];
    size_t len = e->len ? e->len : strlen(e->in);
    struct tm_stat st;
    int rc = tm_parse_line(e->in, len, &st);
    ck_assert_msg(rc == 1, "edge %d: rc %d for \"%s\"", _i, rc, e->in);
    ck_assert_str_eq(st.file, e->file);
    ck_assert_int_eq(st.line, e->line);
    ck_assert_str_eq(st.text, e->text ? e->text : e->in);
    ck_assert_near(st.size, e->size, 1e-6 * fabs(e->size));
    ck_assert_str_eq(st.size_text, e->size_text);
    ck_assert(st.has_diff == e->has_diff);
    ck_assert_near(st.size_diff, e->size_diff, 1e-6 * fabs(e->size_diff));
    ck_assert_str_eq(st.size_diff_text, e->has_diff ? e->size_diff_text : "");
    ck_assert_int_eq(st.count, e->count);
    ck_assert_int_eq(st.count_diff, e->count_diff);
    ck_assert(st.has_average == e->has_average);
    ck_assert_near(st.average, e->average, 1e-6 * fabs(e->average));
    tm_stat_free(&st);
    ck_assert_ptr_null(st.file);
    ck_assert_ptr_null(st.text);
}
END_TEST

/* ---------------------------------------------------------- non-statistics */

static const char *const rejects[] = {
    "",
    "\n",
    "\r\n",
    "[ Top 10 differences ]",
    "Top 10 lines:",
    "#1: leaky_app.py:42: 1.5 KiB",
    "Game 'The Big Game' has 5 players.",
    "Current memory: 12432356 B; peak 12446943 B",
    /* Trace, Traceback.format(), repr() */
    "/x/leaky_app.py:281: 2001 B",
    "/x/odd:12: size=1 B/x.py:5: 1234 B",
    "  File \"/x/leaky_app.py\", line 144",
    "    huge = bytearray(11 * 1024 * 1024)",
    // NOLINTNEXTLINE(bugprone-suspicious-missing-comma): one line of repr(), cut in two to fit
    "<StatisticDiff traceback=<Traceback (<Frame filename='x.py' lineno=144>,)> size=11534393 (+11534393) count=2 "
    "(+2)>",
    "<Statistic traceback=<Traceback (<Frame filename='x.py' lineno=3>,)> size=56 count=1>",
    /* truncated */
    "x.py:3",
    "x.py:3: size=",
    "x.py:3: size=1 B",
    "x.py:3: size=1 B, count=",
    "x.py:3: size=1 B, count=1, average=",
    "x.py:3: size=1 B, count=1, average=1",
    "x.py:3: size=1 B (+1 B), count=1 (+1",
    "x.py:3: size=1 B (+1 B",
    /* average present iff count != 0 */
    "x.py:3: size=0 B, count=0, average=0 B",
    "x.py:3: size=0 B (-48 B), count=0 (-1), average=0 B",
    "x.py:3: size=1 B, count=1",
    "x.py:3: size=320 B (+0 B), count=2 (+0)",
    /* both "(...)" groups or neither */
    "x.py:3: size=1 B (+1 B), count=1, average=1 B",
    "x.py:3: size=1 B, count=1 (+1), average=1 B",
    "x.py:3: size=0 B (-48 B), count=0",
    "x.py:3: size=0 B, count=0 (-1)",
    /* not tracemalloc's number syntax */
    "x.py: size=1 B, count=1, average=1 B",
    "x.py:-1: size=1 B, count=1, average=1 B",
    "x.py:3: size=1 PiB, count=1, average=1 PiB",
    "x.py:3: size=1 kB, count=1, average=1 kB",
    "x.py:3: size=1.25 KiB, count=1, average=1.25 KiB",
    "x.py:3: size=1 B (1 B), count=1 (1), average=1 B",
    "x.py:3: size=1e3 B, count=1, average=1e3 B",
    "x.py:3: size=1,024 B, count=1, average=1,024 B",
    "x.py:3: size=+1 B, count=1, average=1 B",
    "x.py:3: size=1 B, count=1.0, average=1 B",
    "x.py:3: size=1  B, count=1, average=1 B",
    "x.py:\xd9\xa3: size=1 B, count=1, average=1 B", /* Arabic-Indic 3 */
    "x.py:3: size=1\xff B, count=1, average=1 B",    /* invalid byte in the tail */
    "x.py:3:size=1 B, count=1, average=1 B",
    "x.py:3: Size=1 B, count=1, average=1 B",
    /* trailing text */
    "x.py:3: size=1 B, count=1, average=1 B extra",
    "x.py:3: size=1 B, count=1, average=1 B ",
    "x.py:3: size=1 B, count=1, average=1 B\t",
    /* two lines at once */
    "x.py:3: size=1 B, count=1, average=1 B\nx.py:4: size=1 B, count=1, average=1 B",
    /* numbers that do not fit the fields */
    "x.py:99999999999999999999: size=1 B, count=1, average=1 B",
    "x.py:3: size=1 B, count=99999999999999999999, average=1 B",
    "x.py:3: size=1 B (+1 B), count=1 (+99999999999999999999), average=1 B",
    "x.py:3: size=1234567890123456789012345678901234567890 B, count=1, average=1 B",
};

START_TEST(test_reject_line)
{
    struct tm_stat st;
    memset(&st, 0xA5, sizeof st); /* the parser must clear it */
    int rc = tm_parse_line(rejects[_i], strlen(rejects[_i]), &st);
    ck_assert_msg(rc == 0, "reject %d: rc %d for \"%s\"", _i, rc, rejects[_i]);
    ck_assert_ptr_null(st.file);
    ck_assert_ptr_null(st.text);
    ck_assert(!st.has_diff && !st.has_average);
    ck_assert_int_eq(st.count, 0);
}
END_TEST

/* A NUL cannot live in the char * fields: such a line is not a statistic,
 * whether it sits in the file name or the tail. */
START_TEST(test_embedded_nul)
{
    static const char a[] = "x\0y.py:3: size=1 B, count=1, average=1 B";
    static const char b[] = "x.py:3: size=1 B, count=1, average=1 B\0";
    struct tm_stat st;
    ck_assert_int_eq(tm_parse_line(a, sizeof a - 1, &st), 0);
    ck_assert_ptr_null(st.file);
    ck_assert_int_eq(tm_parse_line(b, sizeof b - 1, &st), 0);
    ck_assert_int_eq(tm_parse_line(b, sizeof b - 2, &st), 1);
    ck_assert_str_eq(st.file, "x.py");
    tm_stat_free(&st);
    ck_assert_int_eq(tm_parse_line(NULL, 0, &st), 0);
}
END_TEST

/* A long hostile line made of statistic tails: rejected, or split at the
 * last tail, quickly (Check's default timeout is 4 s). */
START_TEST(test_long_line)
{
    static const char chunk[] = ":1: size=1 B (+1 B), count=1 (+1), average=1 B";
    static const char tail[] = ":7: size=9 B, count=1, average=9 B";
    enum { REPEAT = 20000 };
    size_t clen = sizeof chunk - 1, tlen = sizeof tail - 1;
    char *line = malloc(REPEAT * clen + tlen + 2);
    ck_assert_ptr_nonnull(line);
    for (int i = 0; i < REPEAT; i++)
        memcpy(line + (size_t)i * clen, chunk, clen);
    size_t len = REPEAT * clen;
    line[len] = 'x';

    struct tm_stat st;
    ck_assert_int_eq(tm_parse_line(line, len + 1, &st), 0);
    memcpy(line + len, tail, tlen);
    ck_assert_int_eq(tm_parse_line(line, len + tlen, &st), 1);
    ck_assert_uint_eq(strlen(st.file), len);
    ck_assert_int_eq(st.line, 7);
    ck_assert_near(st.size, 9, 0);
    tm_stat_free(&st);
    free(line);
}
END_TEST

START_TEST(test_init)
{
    char err[64] = "untouched";
    ck_assert_int_eq(tm_parser_init(err, sizeof err), 0);
    ck_assert_int_eq(tm_parser_init(err, sizeof err), 0);
    ck_assert_int_eq(tm_parser_init(NULL, 0), 0);
    ck_assert_str_eq(err, "untouched");
}
END_TEST

START_TEST(test_free_is_idempotent)
{
    struct tm_stat st;
    ck_assert_int_eq(tm_parse_line("a.py:1: size=1 B, count=1, average=1 B", 38, &st), 1);
    tm_stat_free(&st);
    tm_stat_free(&st);
    tm_stat_free(NULL);
    ck_assert_ptr_null(st.file);

    struct tm_stats stats = {0};
    ck_assert_int_eq(tm_parse_buffer("a.py:1: size=1 B, count=1, average=1 B\n", 39, &stats), 0);
    ck_assert_uint_eq(stats.len, 1);
    tm_stats_free(&stats);
    ck_assert_ptr_null(stats.items);
    ck_assert_uint_eq(stats.len, 0);
    ck_assert_uint_eq(stats.lines_seen, 0);
    tm_stats_free(&stats);
    tm_stats_free(NULL);
}
END_TEST

/* ------------------------------------------------------------------ buffer */

START_TEST(test_buffer_mixed)
{
    static const char out[] =
        "[ Top 10 differences ]\n"
        "/x/leaky_app.py:21: size=525 B (+0 B), count=10 (+0), average=52 B\n"
        "Game 'The Big Game' has 5 players.\n"
        "\n"
        "/x/leaky_app.py:19: size=48 B (+0 B), count=1 (+0), average=48 B\r\n"
        "/x/leaky_app.py:3: 48 B\n"
        "x.py:3: size=0 B, count=0, average=0 B\n"
        "  File \"/x/leaky_app.py\", line 19\n"
        "/r/lib/python3.13/tracemalloc.py:560: size=320 B (+320 B), count=2 (+2), average=160 B";
    struct tm_stats stats = {0};
    ck_assert_int_eq(tm_parse_buffer(out, sizeof out - 1, &stats), 0);
    ck_assert_uint_eq(stats.lines_seen, 9);
    ck_assert_uint_eq(stats.len, 3);
    ck_assert_str_eq(stats.items[0].file, "/x/leaky_app.py");
    ck_assert_int_eq(stats.items[0].line, 21);
    ck_assert_int_eq(stats.items[0].count, 10);
    ck_assert_int_eq(stats.items[1].line, 19);
    ck_assert_str_eq(stats.items[1].text, "/x/leaky_app.py:19: size=48 B (+0 B), count=1 (+0), average=48 B");
    ck_assert_str_eq(stats.items[2].file, "/r/lib/python3.13/tracemalloc.py");
    ck_assert_near(stats.items[2].size_diff, 320, 0);

    /* a second buffer appends; an empty one changes nothing */
    static const char more[] = "a.py:1: size=1 B, count=1, average=1 B\n\n";
    ck_assert_int_eq(tm_parse_buffer(more, sizeof more - 1, &stats), 0);
    ck_assert_int_eq(tm_parse_buffer("", 0, &stats), 0);
    ck_assert_uint_eq(stats.lines_seen, 11);
    ck_assert_uint_eq(stats.len, 4);
    ck_assert_str_eq(stats.items[3].file, "a.py");
    ck_assert_str_eq(stats.items[0].file, "/x/leaky_app.py"); /* survived realloc */
    tm_stats_free(&stats);
}
END_TEST

START_TEST(test_buffer_nul_and_crlf)
{
    static const char out[] =
        "x\0y.py:1: size=1 B, count=1, average=1 B\r\n"
        "z.py:2: size=2 B, count=1, average=2 B\r\n"
        "\r\n";
    struct tm_stats stats = {0};
    ck_assert_int_eq(tm_parse_buffer(out, sizeof out - 1, &stats), 0);
    ck_assert_uint_eq(stats.lines_seen, 3);
    ck_assert_uint_eq(stats.len, 1);
    ck_assert_str_eq(stats.items[0].file, "z.py");
    ck_assert_str_eq(stats.items[0].text, "z.py:2: size=2 B, count=1, average=2 B");
    tm_stats_free(&stats);
}
END_TEST

START_TEST(test_buffer_many)
{
    enum { N = 1000 };
    char *buf = malloc((size_t)N * 64);
    ck_assert_ptr_nonnull(buf);
    size_t len = 0;
    for (int i = 0; i < N; i++)
        len += (size_t)sprintf(buf + len, "f%d.py:%d: size=%d B (+%d B), count=%d (+1), average=1 B\n", i, i, i + 1,
                               i + 1, i + 1);
    struct tm_stats stats = {0};
    ck_assert_int_eq(tm_parse_buffer(buf, len, &stats), 0);
    ck_assert_uint_eq(stats.len, N);
    ck_assert_uint_eq(stats.lines_seen, N);
    ck_assert_uint_ge(stats.cap, stats.len);
    for (int i = 0; i < N; i++) {
        char name[32];
        snprintf(name, sizeof name, "f%d.py", i);
        ck_assert_str_eq(stats.items[i].file, name);
        ck_assert_int_eq(stats.items[i].line, i);
        ck_assert_int_eq(stats.items[i].count, i + 1);
    }
    tm_stats_free(&stats);
    free(buf);
}
END_TEST

/* -------------------------------------------------------------- entry file */

static const struct {
    const char *file, *name;
    bool want;
} entries[] = {
    {"leaky_app.py", "leaky_app.py", true}, /* 3.8, as typed */
    {"./leaky_app.py", "leaky_app.py", true},
    {"/tmp/grader tm-fixtures/3.9.18/leaky_app.py", "leaky_app.py", true},
    {"C:\\Users\\me\\My Game\\leaky_app.py", "leaky_app.py", true},
    {"Leak: /x/leaky_app.py", "leaky_app.py", true},
    {"Leak: leaky_app.py", "leaky_app.py", true},
    {"Leak:\tleaky_app.py", "leaky_app.py", true},
    {"    leaky_app.py", "leaky_app.py", true},
    {"sub/leaky_app.py", "sub/leaky_app.py", true},
    {"not_leaky_app.py", "leaky_app.py", false}, /* near misses */
    {"/tmp/x/not_leaky_app.py", "leaky_app.py", false},
    {"C:\\x\\not_leaky_app.py", "leaky_app.py", false},
    {"Leak: not_leaky_app.py", "leaky_app.py", false},
    {"my leaky_app.py", "leaky_app.py", false},
    {"/home/u/my leaky_app.py", "leaky_app.py", false},
    {"leaky_app.pyc", "leaky_app.py", false},
    {"leaky_app.py.bak", "leaky_app.py", false},
    {"eaky_app.py", "leaky_app.py", false},
    {"LEAKY_APP.PY", "leaky_app.py", false},
    {"<frozen leaky_app>", "leaky_app.py", false},
    {"", "leaky_app.py", false},
    {"leaky_app.py", "", false},
};

START_TEST(test_entry_file)
{
    struct tm_stat st = {.file = (char *)entries[_i].file};
    ck_assert_msg(tm_stat_is_entry_file(&st, entries[_i].name) == entries[_i].want,
                  "entry %d: \"%s\" vs \"%s\" should be %s", _i, entries[_i].file, entries[_i].name,
                  entries[_i].want ? "true" : "false");
}
END_TEST

START_TEST(test_entry_file_null)
{
    struct tm_stat st = {0};
    ck_assert(!tm_stat_is_entry_file(&st, "leaky_app.py"));
    ck_assert(!tm_stat_is_entry_file(NULL, "leaky_app.py"));
    st.file = (char *)"leaky_app.py";
    ck_assert(!tm_stat_is_entry_file(&st, NULL));
    ck_assert(tm_stat_is_entry_file(&st, "leaky_app.py"));
}
END_TEST

/* ----------------------------------------------------------------- threads */

/* Several threads parse at once, racing the one-time compile when this test
 * runs first in its process (Check forks a fresh one per test by default). */
static void *parse_many(void *arg)
{
    long *bad_out = arg;
    long bad = 0;
    for (int i = 0; i < 2000; i++) {
        struct tm_stat st;
        const struct edge *e = &edges[i % (int)(sizeof edges / sizeof edges[0])];
        size_t len = e->len ? e->len : strlen(e->in);
        if (tm_parse_line(e->in, len, &st) != 1 || strcmp(st.file, e->file) != 0 || st.line != e->line ||
            st.count != e->count)
            bad++;
        tm_stat_free(&st);
        const char *r = rejects[i % (int)(sizeof rejects / sizeof rejects[0])];
        if (tm_parse_line(r, strlen(r), &st) != 0)
            bad++;
    }
    *bad_out = bad;
    return NULL;
}

START_TEST(test_threads)
{
    enum { T = 8 };
    pthread_t th[T];
    long bad_of[T];
    for (int i = 0; i < T; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, parse_many, &bad_of[i]), 0);
    long bad = 0;
    for (int i = 0; i < T; i++) {
        ck_assert_int_eq(pthread_join(th[i], NULL), 0);
        bad += bad_of[i];
    }
    ck_assert_int_eq(bad, 0);
}
END_TEST

/* ----------------------------------------------------- real CPython output */

static const char *const versions[] = {
    "3.8.18", "3.9.18", "3.10.13", "3.11.7", "3.12.1", "3.13.0",
};

/* Fixtures live next to this source: tests/unit/data/tracemalloc, found
 * from __FILE__ (the Makefile compiles from the repository root), or
 * $TM_FIXTURE_DIR. */
static void fixture_path(char *dst, size_t n, const char *version, const char *ext)
{
    const char *dir = getenv("TM_FIXTURE_DIR");
    if (dir) {
        snprintf(dst, n, "%s/python-%s.%s", dir, version, ext);
        return;
    }
    const char *slash = strrchr(__FILE__, '/');
    int plen = slash ? (int)(slash - __FILE__ + 1) : 0;
    snprintf(dst, n, "%.*sdata/tracemalloc/python-%s.%s", plen, __FILE__, version, ext);
}

static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open fixture %s", path);
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    ck_assert_ptr_nonnull(buf);
    size_t r;
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            cap *= 2;
            char *grown = realloc(buf, cap + 1);
            if (!grown)
                free(buf);
            ck_assert_ptr_nonnull(grown);
            buf = grown;
        }
    }
    fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* The generator's %XX escaping, undone in place. */
static size_t unescape(char *s)
{
    char *w = s;
    for (const char *r = s; *r; r++) {
        unsigned v;
        if (*r == '%' && sscanf(r + 1, "%2x", &v) == 1) {
            *w++ = (char)v;
            r += 2;
        } else {
            *w++ = *r;
        }
    }
    *w = '\0';
    return (size_t)(w - s);
}

/* How far a printed size can be from the true one: _format_size keeps one
 * decimal below 100 and none above, and prints bytes exactly. */
static double display_tolerance(const char *text)
{
    const char *unit = strchr(text, ' ');
    ck_assert_ptr_nonnull(unit);
    unit++;
    double m = !strcmp(unit, "B")     ? 1
               : !strcmp(unit, "KiB") ? KiB
               : !strcmp(unit, "MiB") ? MiB
               : !strcmp(unit, "GiB") ? GiB
               : !strcmp(unit, "TiB") ? TiB
                                      : -1;
    ck_assert_msg(m > 0, "bad unit in \"%s\"", text);
    if (strchr(text, '.'))
        return 0.05 * m;
    return m == 1 ? 0 : 0.5 * m;
}

struct row {
    char kind;
    char *file;
    size_t file_len;
    long line;
    double size, size_diff;
    long long count, count_diff;
    int entry;
};

START_TEST(test_real_output)
{
    const char *version = versions[_i];
    char path[512];
    size_t txt_len, tsv_len;
    fixture_path(path, sizeof path, version, "txt");
    char *txt = slurp(path, &txt_len);
    fixture_path(path, sizeof path, version, "tsv");
    char *tsv = slurp(path, &tsv_len);

    struct tm_stats stats = {0};
    ck_assert_int_eq(tm_parse_buffer(txt, txt_len, &stats), 0);
    size_t nl = 0;
    for (size_t i = 0; i < txt_len; i++)
        nl += txt[i] == '\n';
    ck_assert_uint_eq(stats.lines_seen, nl);

    size_t nrows = 0, diffs = 0, zero_counts = 0, entry_rows = 0, invalid_utf8 = 0, unknown = 0, frozen = 0, tib = 0,
           prefixed = 0;
    char *save = NULL;
    for (char *l = strtok_r(tsv, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
        if (l[0] == '#')
            continue;
        char *f[8];
        int nf = 0;
        /* strtok would merge the empty file field ("") with its neighbours */
        for (char *p = l; nf < 8; nf++) {
            f[nf] = p;
            char *tab = strchr(p, '\t');
            if (!tab) {
                nf++;
                break;
            }
            *tab = '\0';
            p = tab + 1;
        }
        ck_assert_msg(nf == 8, "%s row %zu: %d fields", version, nrows, nf);
        struct row r = {
            .kind = f[0][0],
            .file = f[1],
            .line = strtol(f[2], NULL, 10),
            .size = strtod(f[3], NULL),
            .size_diff = strtod(f[4], NULL),
            .count = strtoll(f[5], NULL, 10),
            .count_diff = strtoll(f[6], NULL, 10),
            .entry = atoi(f[7]),
        };
        r.file_len = unescape(r.file);

        ck_assert_msg(nrows < stats.len, "%s: only %zu statistics parsed, the generator printed more", version,
                      stats.len);
        const struct tm_stat *st = &stats.items[nrows];
        const char *where = st->text;
        ck_assert_msg(strlen(st->file) == r.file_len && !memcmp(st->file, r.file, r.file_len),
                      "%s row %zu: file \"%s\", expected \"%s\" in: %s", version, nrows, st->file, r.file, where);
        ck_assert_msg(st->line == r.line, "%s row %zu: line %ld != %ld in: %s", version, nrows, st->line, r.line,
                      where);
        ck_assert_msg(st->has_diff == (r.kind == 'D'), "%s row %zu: has_diff in: %s", version, nrows, where);
        ck_assert_msg(st->count == r.count && st->count_diff == r.count_diff,
                      "%s row %zu: count %lld (%lld) != %lld (%lld) in: %s", version, nrows, st->count, st->count_diff,
                      r.count, r.count_diff, where);
        ck_assert_msg(st->has_average == (r.count != 0), "%s row %zu: has_average in: %s", version, nrows, where);

        double tol = display_tolerance(st->size_text) + 1e-12 * fabs(r.size);
        ck_assert_msg(fabs(st->size - r.size) <= tol, "%s row %zu: size %.17g vs %.17g in: %s", version, nrows,
                      st->size, r.size, where);
        if (st->has_diff) {
            tol = display_tolerance(st->size_diff_text) + 1e-12 * fabs(r.size_diff);
            ck_assert_msg(fabs(st->size_diff - r.size_diff) <= tol, "%s row %zu: size_diff %.17g vs %.17g in: %s",
                          version, nrows, st->size_diff, r.size_diff, where);
        } else {
            ck_assert(st->size_diff == 0 && st->size_diff_text[0] == '\0');
        }
        if (st->has_average) {
            /* Three significant digits: within 0.5 B, or 0.5 % above 10 KiB. */
            double avg = r.size / (double)r.count;
            tol = fmax(0.5, 0.005 * fabs(avg)) * (1 + 1e-12);
            ck_assert_msg(fabs(st->average - avg) <= tol, "%s row %zu: average %.17g vs %.17g in: %s", version, nrows,
                          st->average, avg, where);
        }
        ck_assert_msg(tm_stat_is_entry_file(st, "leaky_app.py") == (r.entry == 1),
                      "%s row %zu: entry file should be %d: %s", version, nrows, r.entry, st->file);

        /* the same line alone gives the same statistic */
        struct tm_stat one;
        ck_assert_int_eq(tm_parse_line(st->text, strlen(st->text), &one), 1);
        ck_assert_str_eq(one.file, st->file);
        tm_stat_free(&one);

        diffs += st->has_diff;
        zero_counts += st->count == 0;
        entry_rows += r.entry == 1;
        invalid_utf8 += memchr(r.file, 0xFF, r.file_len) != NULL; /* "bad\udcff..." */
        unknown += !strcmp(st->file, "<unknown>");
        frozen += !strncmp(st->file, "<frozen ", 8);
        tib += strstr(st->size_text, "TiB") != NULL;
        prefixed += !strncmp(st->file, "Leak: ", 6);
        nrows++;
    }
    ck_assert_msg(nrows == stats.len, "%s: parsed %zu statistics, the generator printed %zu", version, stats.len,
                  nrows);
    /* The fixture really holds what this test claims to cover. */
    ck_assert_uint_gt(nrows, 300);
    ck_assert_uint_gt(diffs, 100);
    ck_assert_uint_gt(nrows - diffs, 50);
    ck_assert_uint_gt(zero_counts, 20);
    ck_assert_uint_gt(entry_rows, 20);
    ck_assert_uint_gt(invalid_utf8, 5);
    ck_assert_uint_gt(unknown, 1);
    ck_assert_uint_gt(frozen, 2);
    ck_assert_uint_gt(tib, 10);
    ck_assert_uint_eq(prefixed, 3);

    tm_stats_free(&stats);
    free(txt);
    free(tsv);
}
END_TEST

static Suite *tracemalloc_suite(void)
{
    Suite *s = suite_create("tracemalloc");
    TCase *tc = tcase_create("lines");
    tcase_add_loop_test(tc, test_edge_line, 0, (int)(sizeof edges / sizeof edges[0]));
    tcase_add_loop_test(tc, test_reject_line, 0, (int)(sizeof rejects / sizeof rejects[0]));
    tcase_add_test(tc, test_embedded_nul);
    tcase_add_test(tc, test_long_line);
    tcase_add_test(tc, test_init);
    tcase_add_test(tc, test_free_is_idempotent);
    suite_add_tcase(s, tc);

    tc = tcase_create("buffer");
    tcase_add_test(tc, test_buffer_mixed);
    tcase_add_test(tc, test_buffer_nul_and_crlf);
    tcase_add_test(tc, test_buffer_many);
    suite_add_tcase(s, tc);

    tc = tcase_create("entry_file");
    tcase_add_loop_test(tc, test_entry_file, 0, (int)(sizeof entries / sizeof entries[0]));
    tcase_add_test(tc, test_entry_file_null);
    suite_add_tcase(s, tc);

    tc = tcase_create("threads");
    tcase_add_test(tc, test_threads);
    suite_add_tcase(s, tc);

    tc = tcase_create("real_output");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_real_output, 0, (int)(sizeof versions / sizeof versions[0]));
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(tracemalloc_suite)
