#include "result.h"

#include "jsontext.h"

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
        }
        fprintf(out, "%*s%.*s\n", indent, "", (int)n, p);
        p += n;
        while (*p == ' ' || *p == '\n')
            p++;
    }
}

void result_render_text(json_t *result, FILE *out, bool color)
{
    const char *green = color ? "\033[32m" : "", *red = color ? "\033[31m" : "";
    const char *bold = color ? "\033[1m" : "", *reset = color ? "\033[0m" : "";
    json_t *rubric = json_object_get(result, "rubric"), *py = json_object_get(result, "python");
    json_t *sub = json_object_get(result, "submission");
    fprintf(out, "%sgrader %s%s  rubric %s (sha256 %.12s)  Python %s\n", bold,
            str(json_object_get(result, "grader"), "version"), reset, str(rubric, "id"), str(rubric, "sha256"),
            py ? str(py, "version") : "?");
    fprintf(out, "submission %s\n\n", str(sub, "path"));

    const char *status = str(result, "status");
    if (strcmp(status, "graded") != 0) {
        fprintf(out, "%s%s%s: %s\n", red, strcmp(status, "invalid") == 0 ? "Cannot grade this submission" : "Grader error",
                reset, str(result, "message"));
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
