#include "result.h"

#include "jsontext.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

json_t *result_statistics_json(const struct tm_stats *stats)
{
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < stats->len; i++) {
        const struct tm_stat *s = &stats->items[i];
        json_t *o = json_pack("{s:o, s:I, s:s, s:f, s:I, s:o}", "file", json_text(s->file, strlen(s->file)), "line",
                              (json_int_t)s->line, "size", s->size_text, "size_bytes", s->size, "count",
                              (json_int_t)s->count, "text", json_text(s->text, strlen(s->text)));
        if (!o)
            continue;
        if (s->has_diff) {
            json_object_set_new(o, "size_diff", json_string(s->size_diff_text));
            json_object_set_new(o, "size_diff_bytes", json_real(s->size_diff));
            json_object_set_new(o, "count_diff", json_integer(s->count_diff));
        }
        if (s->has_average)
            json_object_set_new(o, "average_bytes", json_real(s->average));
        json_array_append_new(arr, o);
    }
    return arr;
}

json_t *result_isolation_json(const struct sandbox_result *sb)
{
    json_t *layers = json_array();
    for (size_t i = 0; i < sb->nlayers; i++)
        json_array_append_new(layers, json_pack("{s:s, s:b, s:s}", "name", sb->layers[i].name, "active",
                                                sb->layers[i].active, "detail", sb->layers[i].detail));
    return json_pack("{s:s, s:s, s:o}", "level", sb->level[0] ? sb->level : "unknown", "summary", sb->isolation,
                     "layers", layers);
}

static const char *str(json_t *obj, const char *key)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : "";
}

/* Feedback can run long (a chain, an exception); wrap it under the row so
 * the table stays readable in an 80-column terminal. */
/* A copy of a result whose strings are safe to print on a terminal: the
 * student controls file names, output and exception text, and an escape
 * sequence (ESC, a carriage return...) in them would rewrite the
 * instructor's screen (found by fuzzing).  Control characters other than
 * newline and tab become U+FFFD, as invalid bytes already are. */
// NOLINTNEXTLINE(misc-no-recursion): as deep as jansson parses, 2048 levels at most
static json_t *printable(json_t *v)
{
    if (json_is_string(v)) {
        const char *in = json_string_value(v);
        size_t n = json_string_length(v);
        char *buf = malloc(n * 3 + 1);
        if (!buf)
            return json_incref(v);
        size_t k = 0;
        for (size_t i = 0; i < n; i++) {
            unsigned char c = (unsigned char)in[i];
            /* C1 controls (U+0080-U+009F, 0xC2 0x80-0x9F in UTF-8) too:
             * some terminals take U+009B for an escape. */
            bool c1 = c == 0xC2 && i + 1 < n && (unsigned char)in[i + 1] >= 0x80 && (unsigned char)in[i + 1] <= 0x9F;
            if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f || c1) {
                // NOLINTNEXTLINE(bugprone-not-null-terminated-result): U+FFFD into a counted buffer
                memcpy(buf + k, "\xef\xbf\xbd", 3);
                k += 3;
                i += c1;
            } else {
                buf[k++] = (char)c;
            }
        }
        json_t *out = json_stringn(buf, k);
        free(buf);
        return out ? out : json_incref(v);
    }
    if (json_is_object(v)) {
        json_t *o = json_object();
        const char *key;
        json_t *x;
        json_object_foreach(v, key, x)
            json_object_set_new(o, key, printable(x));
        return o;
    }
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *x;
        json_array_foreach(v, i, x)
            json_array_append_new(a, printable(x));
        return a;
    }
    return json_incref(v);
}

static void print_wrapped(FILE *out, const char *text, int indent, int width)
{
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if ((int)n > width) {
            size_t cut = (size_t)width;
            while (cut > 0 && p[cut] != ' ')
                cut--;
            n = cut ? cut : (size_t)width;
            /* Never inside a UTF-8 sequence. */
            while (n > 1 && ((unsigned char)p[n] & 0xC0) == 0x80)
                n--;
        }
        fprintf(out, "%*s%.*s\n", indent, "", (int)n, p);
        p += n;
        while (*p == ' ' || *p == '\n')
            p++;
    }
}

/* Where the files came from, when not simply a folder or a file. */
static void print_source(FILE *out, json_t *sub)
{
    const char *source = str(sub, "source");
    if (strcmp(source, "commit") == 0 && *str(sub, "commit")) {
        json_int_t later = json_integer_value(json_object_get(sub, "later_commits"));
        fprintf(out, "commit %.12s  %s  %s", str(sub, "commit"), str(sub, "commit_time"), str(sub, "author"));
        if (json_is_true(json_object_get(sub, "late")))
            fprintf(out, "  (late: %lld later commit%s exist%s)", (long long)later, later == 1 ? "" : "s",
                    later == 1 ? "s" : "");
        fputc('\n', out);
    } else if (strcmp(source, "index") == 0) {
        fprintf(out, "the staged content (git index), not the files on disk\n");
    } else if (strcmp(source, "worktree") == 0) {
        fprintf(out, "the files on disk (work tree), not the last commit\n");
    }
    if (strcmp(str(sub, "before"), "first") == 0 && *str(sub, "first_commit"))
        fprintf(out, "before: your first committed version (commit %.12s)%s\n", str(sub, "first_commit"),
                json_is_true(json_object_get(sub, "starter_modified")) ? ", which differs from the lesson's original"
                                                                       : "");
}

void result_hide_criteria(json_t *result)
{
    json_t *all = json_object_get(result, "criteria");
    if (!json_is_array(all))
        return;
    json_t *shown = json_array();
    double score = 0, max = 0, hidden_points = 0;
    size_t hidden = 0, i;
    json_t *c;
    json_array_foreach(all, i, c) {
        if (strcmp(str(c, "visibility"), "visible") == 0) {
            json_array_append(shown, c);
            score += json_number_value(json_object_get(c, "points"));
            max += json_number_value(json_object_get(c, "max_points"));
        } else {
            hidden++;
            hidden_points += json_number_value(json_object_get(c, "max_points"));
        }
    }
    json_object_set_new(result, "criteria", shown);
    json_object_set_new(result, "hidden",
                        json_pack("{s:I, s:f}", "count", (json_int_t)hidden, "max_points", hidden_points));
    /* The total would give away how the hidden criteria went. */
    if (strcmp(str(result, "status"), "graded") == 0) {
        json_object_set_new(result, "score", json_real(score));
        json_object_set_new(result, "message", json_string(""));
    }
    json_object_set_new(result, "max_score", json_real(max));
}

static void render_check(json_t *result, FILE *out, bool color);
static void render_text(json_t *result, FILE *out, bool color);

void result_render_check(json_t *result, FILE *out, bool color)
{
    json_t *safe = printable(result);
    render_check(safe, out, color);
    json_decref(safe);
}

void result_render_text(json_t *result, FILE *out, bool color)
{
    json_t *safe = printable(result);
    render_text(safe, out, color);
    json_decref(safe);
}

static void render_check(json_t *result, FILE *out, bool color)
{
    const char *green = color ? "\033[32m" : "", *red = color ? "\033[31m" : "";
    const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
    json_t *rubric = json_object_get(result, "rubric"), *py = json_object_get(result, "python");
    json_t *sub = json_object_get(result, "submission");
    json_t *iso = json_object_get(result, "isolation");
    /* Both sides of a disagreement compare this line first. */
    fprintf(out, "%sgrader %s%s \xc2\xb7 rubric %s (%.12s) \xc2\xb7 Python %s\n", bold,
            str(json_object_get(result, "grader"), "version"), reset, str(rubric, "id"), str(rubric, "sha256"),
            py ? str(py, "version") : "?");
    fprintf(out, "checking %s\n", str(sub, "path"));
    print_source(out, sub);
    if (iso)
        fprintf(out, "sandbox: %s isolation (%s)\n", str(iso, "level"), str(iso, "summary"));
    fputc('\n', out);

    const char *status = str(result, "status");
    if (strcmp(status, "graded") != 0) {
        fprintf(out, "%s%s%s\n", red,
                strcmp(status, "invalid") == 0 ? "Your submission cannot be graded:"
                                               : "The grader failed (not your fault):",
                reset);
        print_wrapped(out, str(result, "message"), 2, 76);
        return;
    }
    size_t i, failed = 0;
    json_t *c;
    json_array_foreach(json_object_get(result, "criteria"), i, c) {
        bool passed = json_is_true(json_object_get(c, "passed"));
        failed += !passed;
        fprintf(out, "%s%s%s  %s (%g/%g)\n", passed ? green : red, passed ? "PASS" : "FAIL", reset, str(c, "title"),
                json_number_value(json_object_get(c, "points")), json_number_value(json_object_get(c, "max_points")));
        const char *fb = str(c, "feedback");
        if (!passed && *fb) {
            fprintf(out, "      What to do:\n");
            print_wrapped(out, fb, 8, 70);
        }
    }
    json_t *hidden = json_object_get(result, "hidden");
    json_int_t nh = json_integer_value(json_object_get(hidden, "count"));
    if (nh > 0)
        fprintf(out, "\n%lld hidden criteri%s (%g points) %s checked when your instructor grades.\n", (long long)nh,
                nh == 1 ? "on" : "a", json_number_value(json_object_get(hidden, "max_points")), nh == 1 ? "is" : "are");
    fprintf(out, "\n%sVisible score: %g / %g%s\n", bold, json_number_value(json_object_get(result, "score")),
            json_number_value(json_object_get(result, "max_score")), reset);
    if (failed == 0)
        fprintf(out, "Every visible criterion passes.\n");
}

static void render_text(json_t *result, FILE *out, bool color)
{
    const char *green = color ? "\033[32m" : "", *red = color ? "\033[31m" : "";
    const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
    json_t *rubric = json_object_get(result, "rubric"), *py = json_object_get(result, "python");
    json_t *sub = json_object_get(result, "submission");
    fprintf(out, "%sgrader %s%s  rubric %s (sha256 %.12s)  Python %s\n", bold,
            str(json_object_get(result, "grader"), "version"), reset, str(rubric, "id"), str(rubric, "sha256"),
            py ? str(py, "version") : "?");
    fprintf(out, "submission %s\n", str(sub, "path"));
    print_source(out, sub);
    fputc('\n', out);

    const char *status = str(result, "status");
    if (strcmp(status, "graded") != 0) {
        fprintf(out, "%s%s%s: %s\n", red,
                strcmp(status, "invalid") == 0 ? "Cannot grade this submission" : "Grader error", reset,
                str(result, "message"));
        return;
    }
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(result, "criteria"), i, c) {
        bool passed = json_is_true(json_object_get(c, "passed"));
        fprintf(out, "  %s%s%s  %-18s %5g/%-3g %s\n", passed ? green : red, passed ? "PASS" : "FAIL", reset,
                str(c, "id"), json_number_value(json_object_get(c, "points")),
                json_number_value(json_object_get(c, "max_points")), str(c, "title"));
        const char *fb = str(c, "feedback");
        if (*fb)
            print_wrapped(out, fb, 8, 70);
    }
    json_t *attempts = json_object_get(result, "attempts");
    if (json_array_size(attempts) > 0) {
        fprintf(out, "\n  Recorded while the script ran (not part of the score):\n");
        json_t *a;
        json_array_foreach(attempts, i, a) {
            json_t *line = json_object_get(a, "line");
            fprintf(out, "    - %s", str(a, "detail"));
            if (json_is_integer(line))
                fprintf(out, " (line %lld)", (long long)json_integer_value(line));
            fprintf(out, "%s\n", json_is_true(json_object_get(a, "blocked")) ? ", refused" : "");
        }
    }
    fprintf(out, "\n  %sTotal: %g/%g%s\n", bold, json_number_value(json_object_get(result, "score")),
            json_number_value(json_object_get(result, "max_score")), reset);
}

int result_render_json(json_t *result, FILE *out)
{
    int rc = json_dumpf(result, out, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    fputc('\n', out);
    return rc;
}
