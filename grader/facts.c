#include "facts.h"

#include "jsontext.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STDERR_TAIL 2048

/* Copies line `lineno` (1-based) of `src`, trimmed, into out.  Lines are
 * compared by text because a fix usually shifts line numbers (an added
 * `import weakref`), while the lines that create Game and Player stay. */
static void source_line(const char *src, long lineno, char *out, size_t len)
{
    out[0] = '\0';
    if (!src || lineno < 1)
        return;
    const char *p = src;
    for (long i = 1; i < lineno && p; i++) {
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    if (!p)
        return;
    while (*p == ' ' || *p == '\t')
        p++;
    const char *e = strchr(p, '\n');
    size_t n = e ? (size_t)(e - p) : strlen(p);
    while (n > 0 && isspace((unsigned char)p[n - 1]))
        n--;
    if (n >= len)
        n = len - 1;
    memcpy(out, p, n);
    out[n] = '\0';
}

/* A statistic that still holds what it held at snapshot 1: the object is
 * alive.  count_diff == 0 with count > 0 is what the leak prints
 * ("size=525 B (+0 B), count=10 (+0)"). */
static int is_retained(const struct tm_stat *s)
{
    return s->has_diff && s->count > 0 && s->count_diff == 0;
}

/* Released: fewer blocks than at snapshot 1 ("count=0 (-1)", "count=2 (-8)"). */
static int is_released(const struct tm_stat *s)
{
    return s->has_diff && s->count_diff < 0;
}

json_t *facts_run_json(const struct run_record *rec)
{
    if (!rec->started)
        return json_null();
    const struct sandbox_result *sb = &rec->sb;
    const char *limit = sandbox_limit_name(sb->limit);
    const char *err = sb->err.data ? sb->err.data : "";
    size_t tail = sb->err.len > STDERR_TAIL ? sb->err.len - STDERR_TAIL : 0;
    /* One key and its value, or two, a line: bin-packed, keys and values
     * would be hard to pair. */
    // clang-format off
    return json_pack("{s:i, s:i, s:b, s:o, s:I, s:I, s:I, s:I, s:b, s:I, s:b, s:o}",
                     "exit_code", sb->exit_code, "signal", sb->signal, "timed_out", sb->timed_out,
                     "limit", limit ? json_string(limit) : json_null(),
                     "wall_ms", (json_int_t)sb->wall_ms, "cpu_ms", (json_int_t)sb->cpu_ms,
                     "max_rss_kb", (json_int_t)sb->max_rss_kb,
                     "stdout_bytes", (json_int_t)sb->out.total, "stdout_truncated", sb->out.truncated,
                     "stderr_bytes", (json_int_t)sb->err.total, "stderr_truncated", sb->err.truncated,
                     "stderr_tail", json_text(err + tail, sb->err.len - tail));
    // clang-format on
}

static json_t *tm_summary(const struct tm_stats *stats, const char *entry)
{
    size_t on_entry = 0;
    int retained = 0;
    for (size_t i = 0; i < stats->len; i++) {
        if (!tm_stat_is_entry_file(&stats->items[i], entry))
            continue;
        on_entry++;
        retained |= is_retained(&stats->items[i]);
    }
    return json_pack("{s:I, s:I, s:b}", "statistics", (json_int_t)stats->len, "entry_statistics", (json_int_t)on_entry,
                     "entry_retained", retained);
}

/* Lines where the probe saw the submission create a Game or a Player. */
static size_t creation_lines(json_t *probe, long *lines, size_t max)
{
    size_t n = 0;
    json_t *instances = json_object_get(probe, "instances");
    size_t i;
    json_t *inst;
    json_array_foreach(instances, i, inst) {
        json_t *l = json_object_get(inst, "created_line");
        if (!json_is_integer(l))
            continue;
        long line = (long)json_integer_value(l);
        size_t j;
        for (j = 0; j < n && lines[j] != line; j++)
            ;
        if (j == n && n < max)
            lines[n++] = line;
    }
    return n;
}

/* "The printed report shows the submission's own lines released where the
 * baseline run retained them."  We look at the lines that create Game and
 * Player objects (as the probe saw them; without a probe record, at lines
 * whose text the baseline retained): at least one must be released and none
 * retained.  One Player may legitimately survive a correct fix (the `player`
 * loop variable), which prints as released ("count=2 (-8)"), not retained. */
static void released_vs_baseline(json_t *tm, const struct submission *sub, const char *baseline_source,
                                 const struct run_record *before, const struct run_record *after, json_t *probe,
                                 const char *entry)
{
    char detail[1024] = "";
    size_t dlen = 0;
    int released = 0, retained = 0, considered = 0;
    long lines[64];
    size_t nlines = probe ? creation_lines(probe, lines, 64) : 0;

    for (size_t i = 0; i < after->stats.len; i++) {
        const struct tm_stat *s = &after->stats.items[i];
        if (!tm_stat_is_entry_file(s, entry) || !s->has_diff)
            continue;
        int relevant = 0;
        if (nlines) {
            for (size_t j = 0; j < nlines; j++)
                relevant |= lines[j] == s->line;
        } else {
            char text[512], btext[512];
            source_line(sub->source, s->line, text, sizeof text);
            for (size_t j = 0; j < before->stats.len && !relevant; j++) {
                const struct tm_stat *b = &before->stats.items[j];
                if (!tm_stat_is_entry_file(b, entry) || !is_retained(b))
                    continue;
                source_line(baseline_source, b->line, btext, sizeof btext);
                relevant = text[0] && strcmp(text, btext) == 0;
            }
        }
        if (!relevant)
            continue;
        considered++;
        const char *what = is_released(s) ? "released" : is_retained(s) ? "still held" : "grew";
        released |= is_released(s);
        retained |= !is_released(s) && s->count > 0;
        int n = snprintf(detail + dlen, sizeof detail - dlen, "%sline %ld %s (size=%s (%s), count=%lld (%+lld))",
                         dlen ? "; " : "", s->line, what, s->size_text, s->size_diff_text, s->count, s->count_diff);
        if (n > 0 && (size_t)n < sizeof detail - dlen)
            dlen += (size_t)n;
    }
    if (!considered)
        snprintf(detail, sizeof detail, "the report shows none of the lines that create Game or Player objects");
    json_object_set_new(tm, "released_vs_baseline", json_boolean(released && !retained));
    json_object_set_new(tm, "released_detail", json_string(detail));
}

/* Every statistic about the entry file that the instrumented run printed
 * must be one that its own snapshots produce (the runtime recomputed them
 * after the script).  A hand-written report fails this. */
static void agreement(json_t *tm, const struct run_record *probe_run, json_t *probe, const char *entry)
{
    json_t *reports = json_object_get(probe, "reports");
    if (!probe || !json_is_array(reports)) {
        json_object_set_new(tm, "agrees_with_snapshots", json_null());
        json_object_set_new(tm, "agreement_detail",
                            json_string("no record from the instrumented run, so the report could not be checked"));
        return;
    }
    size_t printed = 0, unmatched = 0;
    char first_bad[300] = "";
    for (size_t i = 0; i < probe_run->stats.len; i++) {
        const struct tm_stat *s = &probe_run->stats.items[i];
        if (!tm_stat_is_entry_file(s, entry))
            continue;
        printed++;
        int found = 0;
        size_t j;
        json_t *r;
        json_array_foreach(reports, j, r) {
            if (json_is_string(r) && strcmp(json_string_value(r), s->text) == 0) {
                found = 1;
                break;
            }
        }
        if (!found && unmatched++ == 0)
            snprintf(first_bad, sizeof first_bad, "%s", s->text);
    }
    json_t *snaps = json_object_get(probe, "snapshots");
    size_t nsnaps = json_is_array(snaps) ? json_array_size(snaps) : 0;
    char detail[600];
    int ok = 0;
    if (nsnaps < 2)
        snprintf(detail, sizeof detail, "the script took %zu tracemalloc snapshot%s; comparing needs two", nsnaps,
                 nsnaps == 1 ? "" : "s");
    else if (printed == 0)
        snprintf(detail, sizeof detail, "the report printed no statistic about %s", entry);
    else if (unmatched)
        snprintf(
            detail, sizeof detail,
            "%zu of %zu printed statistics about %s match no comparison of the snapshots the script took, e.g. '%s'",
            unmatched, printed, entry, first_bad);
    else {
        ok = 1;
        snprintf(detail, sizeof detail, "all %zu printed statistics about %s come from the script's own snapshots",
                 printed, entry);
    }
    json_object_set_new(tm, "agrees_with_snapshots", json_boolean(ok));
    json_object_set_new(tm, "agreement_detail", json_string(detail));
}

/* Does the baseline run show the leak?  The lines that matter are those
 * that create Game and Player objects: the probe saw where the submission
 * creates them, and the same statements (by text) in the baseline must
 * still hold memory at the second snapshot.  Any retained line would not
 * do: a fixed script legitimately keeps a few bytes (the surviving Player's
 * dead weakref), so a baseline replaced by a fix would pass as leaking.
 * Without a probe record, or when the submission rewrote those statements
 * beyond recognition, any retained line of the entry file counts. */
static int baseline_shows_leak(const struct submission *sub, const char *baseline_source,
                               const struct run_record *before, json_t *probe, const char *entry)
{
    if (!before->started || before->sb.exit_code != 0)
        return 0;
    long lines[64];
    size_t nlines = probe ? creation_lines(probe, lines, 64) : 0;
    char texts[8][512];
    size_t ntexts = 0;
    for (size_t i = 0; i < nlines && ntexts < 8; i++) {
        source_line(sub->source, lines[i], texts[ntexts], sizeof texts[0]);
        if (texts[ntexts][0])
            ntexts++;
    }
    int mapped = 0, retained = 0;
    for (size_t i = 0; i < before->stats.len; i++) {
        const struct tm_stat *b = &before->stats.items[i];
        if (!tm_stat_is_entry_file(b, entry))
            continue;
        char btext[512];
        source_line(baseline_source, b->line, btext, sizeof btext);
        int relevant = 0;
        for (size_t t = 0; t < ntexts; t++)
            relevant |= strcmp(btext, texts[t]) == 0;
        mapped |= relevant;
        retained |= relevant && is_retained(b);
    }
    if (mapped)
        return retained;
    for (size_t i = 0; i < before->stats.len; i++)
        if (tm_stat_is_entry_file(&before->stats.items[i], entry) && is_retained(&before->stats.items[i]))
            return 1;
    return 0;
}

/* "No module named 'psutil'" reads like a typo to a student whose machine
 * has psutil installed: say that the runs see the standard library and the
 * submitted files only (unless the rubric shows site-packages, or this
 * machine's sandbox could not hide them). */
static void explain_missing_module(const struct rubric *rubric, const struct run_record *probe_run, json_t *probe)
{
    json_t *exc = json_object_get(probe, "exception");
    const char *type = json_string_value(json_object_get(exc, "type"));
    const char *msg = json_string_value(json_object_get(exc, "message"));
    bool hidden =
        probe_run->sb.nlayers > SANDBOX_LAYER_MINIMAL_ROOT && probe_run->sb.layers[SANDBOX_LAYER_MINIMAL_ROOT].active;
    if (rubric->site_packages || !hidden || !type || !msg || strcmp(type, "ModuleNotFoundError") != 0)
        return;
    json_object_set_new(exc, "message",
                        json_sprintf("%s (the grader runs your script with Python's standard library and the files "
                                     "you submitted only: packages installed on your machine are not available, so "
                                     "remove this import or submit the module with your script)",
                                     msg));
}

/* The graded run's uncaught exception, for feedback only: the runtime's
 * record when there is one (the innermost line of the entry file), else
 * the graded run's own stderr (a traceback's last line and the last frame
 * in the entry file).  null when the run exited 0 or no exception shows. */
static json_t *script_exception(const struct run_record *after, json_t *probe, const char *entry)
{
    if (!after->started || (after->sb.exit_code == 0 && after->sb.signal == 0))
        return json_null();
    json_t *exc = json_object_get(probe, "exception");
    if (json_is_object(exc)) {
        json_t *line = json_object_get(exc, "line");
        const char *type = json_string_value(json_object_get(exc, "type"));
        const char *msg = json_string_value(json_object_get(exc, "message"));
        return json_pack("{s:s, s:s, s:o}", "type", type ? type : "an exception", "message", msg ? msg : "", "where",
                         json_is_integer(line) ? json_sprintf("at line %lld", (long long)json_integer_value(line))
                                               : json_string("before it started"));
    }
    const char *err = after->sb.err.data;
    size_t len = after->sb.err.len;
    if (!err || !len)
        return json_null();
    while (len && (err[len - 1] == '\n' || err[len - 1] == '\r'))
        len--;
    size_t start = len;
    while (start && err[start - 1] != '\n')
        start--;
    size_t n = 0;
    while (start + n < len &&
           (isalnum((unsigned char)err[start + n]) || err[start + n] == '_' || err[start + n] == '.'))
        n++;
    if (n == 0 || n > 80 || (start + n < len && err[start + n] != ':') || isdigit((unsigned char)err[start]))
        return json_null();
    char type[96];
    snprintf(type, sizeof type, "%.*s", (int)n, err + start);
    const char *msg = err + start + n;
    size_t msglen = len - start - n;
    if (msglen && *msg == ':') {
        msg += msglen > 1 ? 2 : 1;
        msglen -= msglen > 1 ? 2 : 1;
    }
    /* the last "File "...entry", line N" */
    long line = -1;
    char pat[PATH_MAX + 16];
    snprintf(pat, sizeof pat, "%s\", line ", entry);
    for (const char *p = err; (p = memmem(p, (size_t)(err + start - p), pat, strlen(pat))) != NULL; p++)
        line = strtol(p + strlen(pat), NULL, 10);
    return json_pack("{s:s, s:o, s:o}", "type", type, "message", json_text(msg, msglen > 500 ? 500 : msglen), "where",
                     line > 0 ? json_sprintf("at line %ld", line) : json_string("(no line of yours shown)"));
}

/* stdout split into lines that are not tracemalloc statistics, with digit
 * runs and hex numbers collapsed: addresses, timings and allocation sizes
 * legitimately differ between two runs of one program. */
static size_t plain_lines(const char *data, size_t len, char ***out)
{
    size_t n = 0, cap = 0;
    char **v = NULL;
    for (size_t i = 0; data && i < len;) {
        size_t j = i;
        while (j < len && data[j] != '\n')
            j++;
        bool stat = memmem(data + i, j - i, "size=", 5) && memmem(data + i, j - i, "count=", 6);
        if (!stat) {
            char *l = malloc(j - i + 1);
            size_t k = 0;
            for (size_t p = i; l && p < j; p++) {
                bool hex = data[p] == '0' && p + 1 < j && data[p + 1] == 'x';
                if (isdigit((unsigned char)data[p]) || hex) {
                    p += hex ? 2 : 0;
                    while (p + 1 < j && isxdigit((unsigned char)data[p + 1]))
                        p++;
                    l[k++] = '#';
                } else if (data[p] != '\r') {
                    l[k++] = data[p];
                }
            }
            if (l) {
                l[k] = '\0';
                if (n == cap) {
                    cap = cap ? cap * 2 : 16;
                    char **nv = realloc(v, cap * sizeof *v);
                    if (!nv) {
                        free(l);
                        break;
                    }
                    v = nv;
                }
                v[n++] = l;
            }
        }
        i = j + 1;
    }
    *out = v;
    return n;
}

static int cmp_char(const void *a, const void *b)
{
    return *(const unsigned char *)a - *(const unsigned char *)b;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The same lines in another order, each perhaps with its characters in
 * another order: what a set printed under another hash seed looks like
 * (PYTHONHASHSEED differs between runs), so no sign of another program. */
static bool same_up_to_order(char **la, size_t na, char **lp, size_t np)
{
    if (na != np)
        return false;
    char **ka = calloc(na ? na : 1, sizeof *ka), **kp = calloc(np ? np : 1, sizeof *kp);
    bool same = ka && kp;
    for (size_t i = 0; same && i < na; i++) {
        ka[i] = strdup(la[i]);
        kp[i] = strdup(lp[i]);
        same = ka[i] && kp[i];
        if (same) {
            qsort(ka[i], strlen(ka[i]), 1, cmp_char);
            qsort(kp[i], strlen(kp[i]), 1, cmp_char);
        }
    }
    if (same) {
        qsort(ka, na, sizeof *ka, cmp_str);
        qsort(kp, np, sizeof *kp, cmp_str);
        for (size_t i = 0; same && i < na; i++)
            same = strcmp(ka[i], kp[i]) == 0;
    }
    for (size_t i = 0; i < na; i++) {
        free(ka ? ka[i] : NULL);
        free(kp ? kp[i] : NULL);
    }
    free(ka);
    free(kp);
    return same;
}

static int sign(double v)
{
    return (v > 0) - (v < 0);
}

/* The largest difference one run's report may show against the other's for
 * one line of the entry file, by what CPython does (tests/runtime/driver.py
 * measures it): blocks that a free list hands out or keeps (tuples, dicts,
 * lists, sets; on 3.8-3.10 a frame, up to 608 B) are traced in one run and
 * not in the other.  A Game and five Players kept or freed differ by more
 * (1,400 B or so on the line that makes the Players). */
#define AGREE_SLACK_BYTES 640.0
#define AGREE_SLACK_BLOCKS 2

/* Do the two reports say the same about the entry file?  Both speak of it
 * the same way (by line, as a whole file, or not at all); for each line in
 * either, the size and count differences have the same signs unless they
 * differ by one block at most; a line printed by one run only would not
 * have outranked what the other printed (it was pushed out of a top 10).
 * Absolute sizes and counts are not compared: which objects come from a
 * free list (untraced) differs between the runs by more than a block when
 * several objects of a kind are alive (tests/hostile/GAPS.md). */
static bool stats_agree(const struct tm_stats *a, const struct tm_stats *p, const char *entry, char *why, size_t whylen)
{
    /* Which lines of the entry file each report speaks of, and how: by
     * line, or the whole file ('filename': line 0).  A program prints its
     * report the same way each time. */
    size_t by_line[2] = {0, 0}, whole[2] = {0, 0};
    for (int r = 0; r < 2; r++) {
        const struct tm_stats *x = r ? p : a;
        for (size_t i = 0; i < x->len; i++)
            if (tm_stat_is_entry_file(&x->items[i], entry))
                (x->items[i].line > 0 ? by_line : whole)[r]++;
    }
    if ((by_line[0] > 0) != (by_line[1] > 0) || (whole[0] > 0) != (whole[1] > 0)) {
        snprintf(why, whylen,
                 "its tracemalloc report spoke of %zu line(s) of %s (%zu for the whole file) when graded and of %zu "
                 "(%zu) when observed",
                 by_line[0], entry, whole[0], by_line[1], whole[1]);
        return false;
    }
    for (int pass = 0; pass < 2; pass++) {
        const struct tm_stats *x = pass ? p : a, *y = pass ? a : p;
        for (size_t i = 0; i < x->len; i++) {
            const struct tm_stat *s = &x->items[i];
            if (!tm_stat_is_entry_file(s, entry) || !s->has_diff)
                continue;
            const struct tm_stat *t = NULL;
            for (size_t j = 0; j < y->len && !t; j++)
                if (y->items[j].line == s->line && y->items[j].has_diff && tm_stat_is_entry_file(&y->items[j], entry))
                    t = &y->items[j];
            if (!t) {
                /* Not printed by the other run: fine if it would not have
                 * outranked what that run printed (reports sort by the size
                 * difference): it was pushed out of a top 10. */
                double least = -1;
                for (size_t j = 0; j < y->len; j++)
                    if (y->items[j].has_diff && (least < 0 || fabs(y->items[j].size_diff) < least))
                        least = fabs(y->items[j].size_diff);
                if (least < 0 || fabs(s->size_diff) <= least + AGREE_SLACK_BYTES)
                    continue;
            }
            double sd = t ? t->size_diff : 0, cd = t ? (double)t->count_diff : 0;
            bool same = t && sign(s->size_diff) == sign(sd) && sign((double)s->count_diff) == sign(cd);
            bool one_block =
                fabs(s->size_diff - sd) <= AGREE_SLACK_BYTES && fabs((double)s->count_diff - cd) <= AGREE_SLACK_BLOCKS;
            if (!same && !one_block) {
                const char *mine = s->size_diff_text, *other = t ? t->size_diff_text : "nothing";
                snprintf(why, whylen,
                         "its tracemalloc report gave line %ld a difference of %s when graded and %s "
                         "when observed",
                         s->line, pass ? other : mine, pass ? mine : other);
                return false;
            }
        }
    }
    return true;
}

/* Whether the instrumented run did what the graded run did: same exit,
 * same lines printed (digits aside), and reports that agree on the entry
 * file's lines.  Fills why when not. */
static bool runs_agree(const struct run_record *after, const struct run_record *probe_run, const char *entry, char *why,
                       size_t whylen)
{
    const struct sandbox_result *a = &after->sb, *p = &probe_run->sb;
    if (a->exit_code != p->exit_code || a->signal != p->signal) {
        snprintf(why, whylen, "it exited with status %d (signal %d) when graded and %d (signal %d) when observed",
                 a->exit_code, a->signal, p->exit_code, p->signal);
        return false;
    }
    if (a->out.truncated || p->out.truncated)
        return true;
    char **la, **lp;
    size_t na = plain_lines(a->out.data, a->out.len, &la), np = plain_lines(p->out.data, p->out.len, &lp);
    bool same = true;
    bool reordered = same_up_to_order(la, na, lp, np);
    for (size_t i = 0; same && !reordered && i < (na > np ? na : np); i++) {
        if (i >= na || i >= np || strcmp(la[i], lp[i]) != 0) {
            snprintf(
                why, whylen,
                "line %zu of what it printed (statistics aside) was \"%.80s\" when graded and \"%.80s\" when observed",
                i + 1, i < na ? la[i] : "(nothing)", i < np ? lp[i] : "(nothing)");
            same = false;
        }
    }
    for (size_t i = 0; i < na; i++)
        free(la[i]);
    for (size_t i = 0; i < np; i++)
        free(lp[i]);
    free(la);
    free(lp);
    return same && stats_agree(&after->stats, &probe_run->stats, entry, why, whylen);
}

/* The first change to gc, weakref or tracemalloc (probe.tampered) that
 * blinds the runtime: its collector callback removed (a collection would
 * pass for reference counting) or a module swapped in sys.modules.  Other
 * replacements (a no-op gc.collect, a wrapped take_snapshot) change the
 * student's own program, which the observation then describes: the runtime
 * calls the originals it kept.  NULL when there is none. */
static const char *blinding_tamper(json_t *tampered)
{
    size_t i;
    json_t *t;
    json_array_foreach(tampered, i, t) {
        const char *s = json_string_value(t);
        if (s && (strcmp(s, "gc.callbacks") == 0 || strncmp(s, "sys.modules[", 12) == 0))
            return s;
    }
    return NULL;
}

/* observation.{trusted, problem}: whether facts about the script's objects
 * (the runtime's record) may earn credit, and if not the one cause, said
 * so that the student knows what to do. */
static json_t *observation(const struct run_record *after, const struct run_record *probe_run, json_t *probe,
                           const char *entry)
{
    char why[512] = "";
    const char *blinded = probe ? blinding_tamper(json_object_get(probe, "tampered")) : NULL;
    if (!probe_run->started || !after->started) {
        snprintf(why, sizeof why, "your script could not be run (see the 'runs' criterion)");
    } else if (!probe) {
        const char *limit = sandbox_limit_name(probe_run->sb.limit);
        if (limit)
            snprintf(why, sizeof why,
                     "your script was stopped at its %s limit before the grader could finish "
                     "observing it; fix what the 'runs' criterion reports first",
                     limit);
        else if (probe_run->sb.signal)
            snprintf(why, sizeof why,
                     "your script was killed by signal %d before the grader could write its "
                     "record of the run",
                     probe_run->sb.signal);
        else
            snprintf(why, sizeof why,
                     "the grader's record of your run is missing (%s): a script that closes file "
                     "descriptors it did not open, or ends with os._exit(), leaves none; remove that code",
                     probe_run->probe_error[0] ? probe_run->probe_error : "no record");
    } else if (blinded) {
        snprintf(why, sizeof why, "your script changed what the grader observes with (%s); remove that code", blinded);
    } else {
        size_t i;
        json_t *a;
        json_array_foreach(json_object_get(probe, "attempts"), i, a) {
            const char *category = json_string_value(json_object_get(a, "category"));
            if (!category || strcmp(category, "probe") != 0)
                continue;
            const char *detail = json_string_value(json_object_get(a, "detail"));
            json_t *line = json_object_get(a, "line");
            char where[40] = "";
            if (json_is_integer(line))
                snprintf(where, sizeof where, " (line %lld)", (long long)json_integer_value(line));
            snprintf(why, sizeof why, "your script reached into the grader's runtime: it %s%s; remove that code",
                     detail ? detail : "did something the grader does not name", where);
            break;
        }
        char diff[400];
        if (!why[0] && !runs_agree(after, probe_run, entry, diff, sizeof diff))
            snprintf(why, sizeof why,
                     "your program behaved differently when the grader observed it: %s. Make it "
                     "behave the same every time it runs",
                     diff);
    }
    return json_pack("{s:b, s:o}", "trusted", !why[0], "problem", why[0] ? json_string(why) : json_null());
}

json_t *facts_build(const struct rubric *rubric, const struct submission *sub, const char *baseline_source,
                    const struct run_record records[RUN_KINDS])
{
    const char *entry = rubric->entry;
    const struct run_record *before = &records[RUN_BEFORE_KIND];
    const struct run_record *after = &records[RUN_AFTER_KIND];
    const struct run_record *probe_run = &records[RUN_PROBE_KIND];
    json_t *probe = probe_run->probe;

    json_t *tm =
        json_pack("{s:o, s:o}", "before", tm_summary(&before->stats, entry), "after", tm_summary(&after->stats, entry));
    json_t *facts = json_pack("{s:s, s:{s:o, s:o, s:o}, s:O, s:o, s:o}", "entry", entry, "runs", "before",
                              facts_run_json(before), "after", facts_run_json(after), "probe",
                              facts_run_json(probe_run), "probe", probe ? probe : json_null(), "probe_error",
                              probe ? json_null() : json_string(probe_run->probe_error), "tracemalloc", tm);
    if (!facts)
        return NULL;
    explain_missing_module(rubric, probe_run, probe);
    json_object_set_new(tm, "baseline_shows_leak",
                        json_boolean(baseline_shows_leak(sub, baseline_source, before, probe, entry)));
    released_vs_baseline(tm, sub, baseline_source, before, after, probe, entry);
    agreement(tm, probe_run, probe, entry);
    json_object_set_new(facts, "observation", observation(after, probe_run, probe, entry));
    json_object_set_new(facts, "script", json_pack("{s:o}", "exception", script_exception(after, probe, entry)));
    return facts;
}

json_t *facts_lookup(json_t *facts, const char *path)
{
    json_t *cur = facts;
    const char *p = path;
    while (cur && *p) {
        const char *dot = strchr(p, '.');
        size_t n = dot ? (size_t)(dot - p) : strlen(p);
        char key[128];
        if (n == 0 || n >= sizeof key)
            return NULL;
        memcpy(key, p, n);
        key[n] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, key);
        } else if (json_is_array(cur)) {
            char *end;
            unsigned long idx = strtoul(key, &end, 10);
            cur = *end == '\0' ? json_array_get(cur, idx) : NULL;
        } else {
            return NULL;
        }
        p += n + (dot ? 1 : 0);
    }
    return cur;
}
