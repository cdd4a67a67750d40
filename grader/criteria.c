#define PCRE2_CODE_UNIT_WIDTH 8
#include "criteria.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "facts.h"

struct strbuf {
    char *data;
    size_t len, cap;
    bool oom;
};

static void sb_add(struct strbuf *sb, const char *s, size_t n)
{
    if (sb->oom)
        return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 128;
        while (cap < sb->len + n + 1)
            cap *= 2;
        char *d = realloc(sb->data, cap);
        if (!d) {
            sb->oom = true;
            return;
        }
        sb->data = d;
        sb->cap = cap;
    }
    memcpy(sb->data + sb->len, s, n);
    sb->len += n;
    sb->data[sb->len] = '\0';
}

static void sb_add_value(struct strbuf *sb, json_t *v)
{
    char num[64];
    if (!v) {
        sb_add(sb, "(unknown)", 9);
    } else if (json_is_string(v)) {
        sb_add(sb, json_string_value(v), json_string_length(v));
    } else if (json_is_null(v)) {
        sb_add(sb, "none", 4);
    } else if (json_is_integer(v)) {
        int n = snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
        sb_add(sb, num, (size_t)n);
    } else if (json_is_real(v)) {
        int n = snprintf(num, sizeof num, "%g", json_real_value(v));
        sb_add(sb, num, (size_t)n);
    } else if (json_is_boolean(v)) {
        sb_add(sb, json_is_true(v) ? "yes" : "no", json_is_true(v) ? 3 : 2);
    } else {
        char *s = json_dumps(v, JSON_COMPACT);
        if (s) {
            sb_add(sb, s, strlen(s));
            free(s);
        }
    }
}

char *criteria_expand(const char *text, json_t *facts)
{
    static const char PATH_CHARS[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.";
    struct strbuf sb = {0};
    sb_add(&sb, "", 0);
    for (const char *p = text ? text : ""; *p;) {
        if ((p[0] == '{' && p[1] == '{') || (p[0] == '}' && p[1] == '}')) {
            sb_add(&sb, p, 1);
            p += 2;
            continue;
        }
        if (p[0] == '{') {
            size_t n = strspn(p + 1, PATH_CHARS);
            if (n > 0 && n < 128 && p[1 + n] == '}') {
                char path[128];
                memcpy(path, p + 1, n);
                path[n] = '\0';
                sb_add_value(&sb, facts_lookup(facts, path));
                p += n + 2;
                continue;
            }
        }
        sb_add(&sb, p, 1);
        p++;
    }
    if (sb.oom) {
        free(sb.data);
        return NULL;
    }
    return sb.data;
}

static bool match(const struct rubric_check *c, const char *text, size_t len)
{
    pcre2_code *code = c->code;
    if (!code)
        return false;
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(code, NULL);
    if (!md)
        return false;
    /* PCRE2_NO_UTF_CHECK is not passed: student output may be invalid
     * UTF-8, which then simply does not match instead of crashing. */
    int rc = pcre2_match(code, (PCRE2_SPTR)text, len, 0, 0, md, NULL);
    pcre2_match_data_free(md);
    return rc >= 0;
}

/* Why a check failed when it has no `fail` text of its own and the
 * criterion has none either: never leave a student without a reason. */
static char *default_reason(const struct rubric_check *c, json_t *facts)
{
    char buf[512];
    switch (c->kind) {
    case CHECK_EXIT_STATUS:
        snprintf(buf, sizeof buf, "expected exit status %ld", c->equals_int);
        break;
    case CHECK_OUTPUT:
        snprintf(buf, sizeof buf, "the output %s /%s/", c->negate ? "must not match" : "does not match", c->pattern);
        break;
    case CHECK_SOURCE:
        snprintf(buf, sizeof buf, "the source %s /%s/", c->negate ? "must not match" : "does not match", c->pattern);
        break;
    case CHECK_TRACEMALLOC:
        snprintf(buf, sizeof buf, "the tracemalloc report does not meet the condition");
        break;
    case CHECK_FACT: {
        json_t *v = facts_lookup(facts, c->fact);
        char *s = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        snprintf(buf, sizeof buf, "%s is %s, expected %s", c->fact, s ? s : "missing", c->value_json);
        free(s);
        break;
    }
    }
    /* snprintf cuts at a byte: never leave half a UTF-8 character. */
    size_t n = strlen(buf);
    if (n == sizeof buf - 1) {
        size_t start = n;
        while (start > 0 && ((unsigned char)buf[start - 1] & 0xC0) == 0x80)
            start--;
        if (start > 0 && ((unsigned char)buf[start - 1] & 0x80)) {
            unsigned char lead = (unsigned char)buf[start - 1];
            size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
            if (n - (start - 1) < want)
                buf[start - 1] = '\0';
        }
    }
    return strdup(buf);
}

static bool check_fact(const struct rubric_check *c, json_t *facts)
{
    json_t *have = facts_lookup(facts, c->fact);
    json_error_t jerr;
    json_t *want = json_loads(c->value_json, JSON_DECODE_ANY, &jerr);
    bool ok = false;
    if (!want)
        return false;
    switch (c->cmp) {
    case CMP_EQUALS:
    case CMP_NOT_EQUALS: {
        /* 5 and 5.0 are the same number to a rubric author, not to jansson. */
        bool same = json_is_number(have) && json_is_number(want) ? json_number_value(have) == json_number_value(want)
                                                                 : have && json_equal(have, want);
        ok = have && (c->cmp == CMP_EQUALS ? same : !same);
        break;
    }
    case CMP_AT_LEAST:
        ok = json_is_number(have) && json_number_value(have) >= json_number_value(want);
        break;
    case CMP_AT_MOST:
        ok = json_is_number(have) && json_number_value(have) <= json_number_value(want);
        break;
    }
    json_decref(want);
    return ok;
}

static bool check_passes(const struct rubric_check *c, const struct criteria_input *in)
{
    const char *run = c->run == RUN_BEFORE ? "before" : "after";
    char path[128];
    switch (c->kind) {
    case CHECK_EXIT_STATUS: {
        snprintf(path, sizeof path, "runs.%s", run);
        json_t *r = facts_lookup(in->facts, path);
        if (!json_is_object(r))
            return false;
        json_t *code = json_object_get(r, "exit_code");
        if (!json_is_integer(code) || json_integer_value(code) != c->equals_int)
            return false;
        if (c->within_limits &&
            (!json_is_null(json_object_get(r, "limit")) || json_is_true(json_object_get(r, "timed_out"))))
            return false;
        return true;
    }
    case CHECK_OUTPUT: {
        const char *text = in->output[c->run][c->stream];
        bool m = text && match(c, text, in->output_len[c->run][c->stream]);
        return c->negate ? !m : m;
    }
    case CHECK_SOURCE: {
        bool m = in->source && match(c, in->source, in->source_len);
        return c->negate ? !m : m;
    }
    case CHECK_TRACEMALLOC: {
        json_t *v = NULL;
        switch (c->condition) {
        case TM_MIN_STATISTICS:
            snprintf(path, sizeof path, "tracemalloc.%s.statistics", run);
            v = facts_lookup(in->facts, path);
            return json_is_integer(v) && json_integer_value(v) >= c->at_least;
        case TM_ENTRY_RETAINED:
            snprintf(path, sizeof path, "tracemalloc.%s.entry_retained", run);
            return json_is_true(facts_lookup(in->facts, path));
        case TM_RELEASED_VS_BASELINE:
            return json_is_true(facts_lookup(in->facts, "tracemalloc.released_vs_baseline"));
        case TM_AGREES_WITH_SNAPSHOTS:
            return json_is_true(facts_lookup(in->facts, "tracemalloc.agrees_with_snapshots"));
        }
        return false;
    }
    case CHECK_FACT:
        return check_fact(c, in->facts);
    }
    return false;
}

int criteria_evaluate(const struct rubric *rubric, const struct criteria_input *in, struct criterion_result *out)
{
    for (size_t i = 0; i < rubric->ncriteria; i++) {
        const struct rubric_criterion *cr = &rubric->criteria[i];
        const struct rubric_check *failed = NULL;
        for (size_t j = 0; j < cr->nchecks && !failed; j++)
            if (!check_passes(&cr->checks[j], in))
                failed = &cr->checks[j];
        out[i].passed = failed == NULL;
        out[i].points = failed ? 0 : cr->points;
        const char *text = failed ? (failed->fail ? failed->fail : cr->feedback_fail) : cr->feedback_pass;
        if (text)
            out[i].feedback = criteria_expand(text, in->facts);
        else
            out[i].feedback = failed ? default_reason(failed, in->facts) : strdup("");
        if (!out[i].feedback) {
            criteria_free(out, i);
            return -1;
        }
    }
    return 0;
}

void criteria_free(struct criterion_result *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(out[i].feedback);
        out[i].feedback = NULL;
    }
}
