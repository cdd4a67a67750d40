/* grader: command-line front end.  One cmd_<name>() per subcommand and a
 * table that dispatches them, as git does. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "batch.h"
#include "export.h"
#include "report.h"
#include "grade.h"
#include "hook.h"
#include "jsontext.h"
#include "paths.h"
#include "probe_cache.h"
#include "python.h"
#include "result.h"
#include "rubric.h"
#include "sandbox.h"
#include "tracemalloc.h"

#define EXIT_USAGE GRADE_EXIT_USAGE
#define EXIT_INTERNAL GRADE_EXIT_INTERNAL

static const char EXIT_HELP[] =
    "Exit status:\n"
    "  0  a verdict was produced (graded or invalid), whatever the score\n"
    "  2  bad usage or bad input to the grader (no such path, invalid rubric)\n"
    "  3  the grader itself failed (sandbox could not start, no usable Python,\n"
    "     the baseline did not show the leak)\n";

static void usage_main(FILE *out)
{
    fprintf(out,
            "usage: grader <command> [options]\n"
            "\n"
            "Grades the weakref memory-leak assignment (leaky_app.py) in a sandbox.\n"
            "\n"
            "Commands:\n"
            "  grade              grade one submission (a folder, a file or a git repository)\n"
            "  check              a student's self-check of their working copy\n"
            "  batch              grade a whole class in parallel; gradebook and reports\n"
            "  merge              combine the outputs of batch --shard runs\n"
            "  export             build the Gradescope autograder zip\n"
            "  hook               install or remove the pre-commit / pre-push hook\n"
            "  parse-tracemalloc  print the tracemalloc statistics found in text, as JSON\n"
            "  rubric check       validate a rubric file\n"
            "  sandbox            run any command in the sandbox and print its verdict\n"
            "  doctor             show the isolation this machine gives, and the Python used\n"
            "\n"
            "Options:\n"
            "  -h, --help         this help; 'grader <command> --help' for a command\n"
            "  --version          print the version\n"
            "\n%s",
            EXIT_HELP);
}

static void usage_grade(FILE *out)
{
    fprintf(out,
            "usage: grader grade [--rubric FILE] [--format text|json] [--python PATH]\n"
            "                    [--rev REV] [--deadline TIME] [--before baseline|first]\n"
            "                    [--worktree | --index] [--trust-owner] SUBMISSION\n"
            "\n"
            "SUBMISSION is a folder holding the rubric's entry file (leaky_app.py),\n"
            "that file itself, or a git repository (a work tree or a bare one).  The\n"
            "lesson's original script and the submission run in a sandbox; the result\n"
            "says, criterion by criterion, what passed and what to do about what did not.\n"
            "\n"
            "A repository is graded as committed: its files are read from a commit,\n"
            "never from the work tree.\n"
            "  --rev REV          that revision instead of HEAD\n"
            "  --deadline TIME    the last commit on the first-parent history whose\n"
            "                     committer time is not after TIME (ISO 8601 with an\n"
            "                     offset: 2026-11-20T23:59:00+01:00); the result says\n"
            "                     whether later commits exist.  Commit times are written\n"
            "                     by the student's machine: see README\n"
            "  --before MODE      baseline (default): the rubric's copy of the original is\n"
            "                     the \"before\" run; first: the student's first committed\n"
            "                     version of the entry file\n"
            "  --worktree         grade the folder as it is on disk instead\n"
            "  --index            grade the staged content (what a pre-commit hook sees)\n"
            "  --trust-owner      read a repository owned by another user\n"
            "\n"
            "Options:\n"
            "  --rubric FILE      rubric to grade against (default: the bundled\n"
            "                     rubrics/weakref-leak.yaml)\n"
            "  --format FORMAT    text (default), json, or gradescope / prairielearn (the\n"
            "                     results.json those platforms read)\n"
            "  --python PATH      interpreter for student code (default: $GRADER_PYTHON,\n"
            "                     else python3 on PATH); CPython 3.8 or newer\n"
            "  --isolation MODE   auto (default): use every sandbox layer this machine\n"
            "                     allows and report the rest; strict: refuse to run\n"
            "                     (exit 3) unless the isolation is full (see grader doctor)\n"
            "\n"
            "Colour is used only on a terminal, and never when NO_COLOR is set.\n"
            "\n%s",
            EXIT_HELP);
}

static int load_rubric(const char *path, struct rubric *rb)
{
    char def[PATH_MAX], err[1024];
    if (!path) {
        if (paths_default_rubric(def, sizeof def, err, sizeof err) < 0) {
            fprintf(stderr, "grader: %s\n", err);
            return EXIT_INTERNAL;
        }
        path = def;
    }
    if (rubric_load(path, rb, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        return EXIT_USAGE;
    }
    return 0;
}

/* What grade, check and the hooks share: the rubric, the interpreter and
 * the runtime, prepared once. */
struct session {
    struct rubric rb;
    struct python_info py;
    char pyerr[1024];
    char probe[PATH_MAX];
    char code[PATH_MAX];
    struct grade_context ctx;
};

static bool use_color(void)
{
    const char *nc = getenv("NO_COLOR");
    return isatty(STDOUT_FILENO) && !(nc && *nc);
}

static void session_close(struct session *se)
{
    rubric_free(&se->rb);
}

/* 0, or the exit status after saying what is wrong. */
static int session_open(struct session *se, const char *cmd, const char *rubric_path, const char *python, bool strict)
{
    memset(se, 0, sizeof *se);
    paths_sweep_stale();
    int rc = load_rubric(rubric_path, &se->rb);
    if (rc) {
        rubric_free(&se->rb);
        return rc;
    }
    char err[1024] = "";
    if (paths_probe_script(se->probe, sizeof se->probe, err, sizeof err) < 0) {
        fprintf(stderr, "grader: %s\n", err);
        rubric_free(&se->rb);
        return EXIT_INTERNAL;
    }
    unsigned disable;
    if (paths_sandbox_disable(&disable, err, sizeof err) < 0) {
        fprintf(stderr, "grader %s: %s\n", cmd, err);
        rubric_free(&se->rb);
        return EXIT_USAGE;
    }
    bool have_python = python_resolve(python, &se->py, se->pyerr, sizeof se->pyerr) == 0;
    if (!have_python && python) {
        /* The user named an interpreter and it is not usable: their input. */
        fprintf(stderr, "grader %s: %s\n", cmd, se->pyerr);
        rubric_free(&se->rb);
        return EXIT_USAGE;
    }
    bool have_code = have_python && probe_cache_prepare(&se->py, se->probe, se->code, sizeof se->code) == 0;
    se->ctx = (struct grade_context){.rubric = &se->rb,
                                     .python = have_python ? &se->py : NULL,
                                     .python_error = se->pyerr,
                                     .probe_script = se->probe,
                                     .probe_code = have_code ? se->code : NULL,
                                     .require_full = strict,
                                     .sandbox_disable = disable};
    return 0;
}

/* An ISO 8601 instant with its offset: 2026-11-20T23:59:00+01:00, or
 * ...Z, or +0100; seconds optional; a space may stand for the T.  Without
 * an offset the instant would depend on this machine's time zone, so it is
 * refused.  0, or -1. */
static int parse_deadline(const char *text, time_t *when, int *offset_min)
{
    int y, mo, d, h, mi, sec = 0, n = 0;
    char sep;
    /* sscanf, with widths: at most 4 digits, which cannot overflow. */
    // NOLINTNEXTLINE(cert-err34-c)
    if (sscanf(text, "%4d-%2d-%2d%c%2d:%2d%n", &y, &mo, &d, &sep, &h, &mi, &n) != 6 || (sep != 'T' && sep != ' '))
        return -1;
    const char *p = text + n;
    if (*p == ':') {
        int m = 0;
        // NOLINTNEXTLINE(cert-err34-c): two digits at most
        if (sscanf(p, ":%2d%n", &sec, &m) != 1)
            return -1;
        p += m;
    }
    int off = 0;
    if (*p == 'Z' && p[1] == '\0') {
        off = 0;
    } else if ((*p == '+' || *p == '-') && strlen(p) >= 5) {
        int oh, om;
        // NOLINTBEGIN(cert-err34-c): two digits at most
        if (!(sscanf(p + 1, "%2d:%2d", &oh, &om) == 2 && strlen(p) == 6) &&
            !(sscanf(p + 1, "%2d%2d", &oh, &om) == 2 && strlen(p) == 5))
            return -1;
        // NOLINTEND(cert-err34-c)
        if (oh > 18 || om > 59)
            return -1;
        off = (oh * 60 + om) * (*p == '-' ? -1 : 1);
    } else {
        return -1;
    }
    if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60)
        return -1;
    struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi, .tm_sec = sec};
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_mday != d) /* 2026-02-30 normalised away */
        return -1;
    *when = t - (time_t)off * 60;
    *offset_min = off;
    return 0;
}

/* The options that say where a submission's files come from, shared by
 * grade and check.  1 when `c` was one of them, 0 when not, -1 on a bad
 * value (already reported). */
static int source_option(const char *cmd, int c, const char *arg, struct grade_source *src)
{
    switch (c) {
    case 'R':
        src->rev = arg;
        return 1;
    case 'D':
        if (parse_deadline(arg, &src->deadline, &src->deadline_offset) < 0) {
            fprintf(stderr,
                    "grader %s: --deadline %s: give an ISO 8601 time with its offset, e.g. "
                    "2026-11-20T23:59:00+01:00 or 2026-11-20T22:59:00Z\n",
                    cmd, arg);
            return -1;
        }
        src->has_deadline = true;
        return 1;
    case 'B':
        if (strcmp(arg, "first") == 0) {
            src->before_first = true;
        } else if (strcmp(arg, "baseline") != 0) {
            fprintf(stderr, "grader %s: --before %s: use baseline or first\n", cmd, arg);
            return -1;
        }
        return 1;
    case 'W':
        src->worktree = true;
        return 1;
    case 'I':
        src->index = true;
        return 1;
    case 'T':
        src->trust_owner = true;
        return 1;
    default:
        return 0;
    }
}

// clang-format off
#define SOURCE_OPTIONS                                 \
    {"rev", required_argument, NULL, 'R'},             \
    {"deadline", required_argument, NULL, 'D'},        \
    {"before", required_argument, NULL, 'B'},          \
    {"worktree", no_argument, NULL, 'W'},              \
    {"index", no_argument, NULL, 'I'},                 \
    {"trust-owner", no_argument, NULL, 'T'}
// clang-format on

/* The options the grading commands share: where the rubric and the
 * interpreter come from, how strictly to isolate, the output format (each
 * command checks the formats it knows). */
struct common_opts {
    const char *rubric, *python, *isolation, *format;
};

/* 1 when `c` was one of them, 0 when not, -1 on a bad value (already
 * reported). */
static int common_option(const char *cmd, int c, const char *arg, struct common_opts *o)
{
    switch (c) {
    case 'r':
        o->rubric = arg;
        return 1;
    case 'p':
        o->python = arg;
        return 1;
    case 'f':
        o->format = arg;
        return 1;
    case 'i':
        if (strcmp(arg, "auto") != 0 && strcmp(arg, "strict") != 0) {
            fprintf(stderr, "grader %s: unknown isolation '%s'; use auto or strict\n", cmd, arg);
            return -1;
        }
        o->isolation = arg;
        return 1;
    default:
        return 0;
    }
}

// clang-format off
#define RUBRIC_PYTHON_OPTIONS                          \
    {"rubric", required_argument, NULL, 'r'},          \
    {"python", required_argument, NULL, 'p'}
// clang-format on

static int cmd_grade(int argc, char **argv)
{
    static const struct option opts[] = {RUBRIC_PYTHON_OPTIONS,
                                         {"format", required_argument, NULL, 'f'},
                                         {"isolation", required_argument, NULL, 'i'},
                                         {"help", no_argument, NULL, 'h'},
                                         SOURCE_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    struct common_opts o = {.format = "text", .isolation = "auto"};
    struct grade_source src = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int so = source_option("grade", c, optarg, &src);
        if (so == 0)
            so = common_option("grade", c, optarg, &o);
        if (so < 0)
            return EXIT_USAGE;
        if (so > 0)
            continue;
        if (c == 'h') {
            usage_grade(stdout);
            return 0;
        }
        usage_grade(stderr);
        return EXIT_USAGE;
    }
    const char *format = o.format;
    if (src.worktree && src.index) {
        fprintf(stderr, "grader grade: --worktree and --index contradict each other; give one\n");
        return EXIT_USAGE;
    }
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0 && strcmp(format, "gradescope") != 0 &&
        strcmp(format, "prairielearn") != 0) {
        fprintf(stderr, "grader grade: unknown format '%s'; use text, json, gradescope or prairielearn\n", format);
        return EXIT_USAGE;
    }
    if (optind != argc - 1) {
        fprintf(stderr, "grader grade: expected exactly one SUBMISSION, got %d\n\n", argc - optind);
        usage_grade(stderr);
        return EXIT_USAGE;
    }
    const char *submission = argv[optind];
    if (access(submission, F_OK) != 0 && errno == ENOENT) {
        /* Say so before spending time on a rubric and an interpreter. */
        fprintf(stderr, "grader grade: no such submission: %s\n", submission);
        return EXIT_USAGE;
    }

    struct session se;
    int rc = session_open(&se, "grade", o.rubric, o.python, strcmp(o.isolation, "strict") == 0);
    if (rc)
        return rc;
    se.ctx.source = &src;
    json_t *result = NULL;
    char err[2048] = "";
    rc = (int)grade_submission(&se.ctx, submission, &result, err, sizeof err);
    if (!result) {
        fprintf(stderr, "grader grade: %s\n", err);
    } else if (strcmp(format, "json") == 0) {
        result_render_json(result, stdout);
    } else if (strcmp(format, "gradescope") == 0 || strcmp(format, "prairielearn") == 0) {
        /* What /autograder/results/results.json or /grade/results/results.json holds. */
        char rerr[512] = "";
        /* The reports name each result; one graded alone is "submission". */
        json_object_set_new(result, "id", json_string("submission"));
        json_t *doc = format[0] == 'g' ? report_gradescope_json(&se.rb, result, rerr, sizeof rerr)
                                       : report_prairielearn_json(&se.rb, result, rerr, sizeof rerr);
        if (!doc) {
            fprintf(stderr, "grader grade: %s\n", rerr);
            rc = EXIT_INTERNAL;
        } else {
            report_write_json(doc, stdout);
            json_decref(doc);
        }
    } else {
        result_render_text(result, stdout, use_color());
    }
    json_decref(result);
    session_close(&se);
    return rc;
}

/* ---- grader check, and the hooks that run it -------------------------- */

enum { CHECK_PASS = 0, CHECK_FAIL = 1 };

/* What a student sees: visible criteria only.  CHECK_PASS when every
 * visible criterion passes or the visible score reaches min_score (< 0:
 * none given); CHECK_FAIL otherwise, an invalid submission included; the
 * grader's own failures keep their status. */
static int report_for_student(json_t *result, enum grade_exit rc, bool json, double min_score)
{
    result_hide_criteria(result);
    if (json)
        result_render_json(result, stdout);
    else
        result_render_check(result, stdout, use_color());
    if (rc == GRADE_EXIT_INTERNAL)
        return EXIT_INTERNAL;
    if (strcmp(json_string_value(json_object_get(result, "status")), "graded") != 0)
        return CHECK_FAIL;
    bool all = true;
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(result, "criteria"), i, c)
        all = all && json_is_true(json_object_get(c, "passed"));
    double score = json_number_value(json_object_get(result, "score"));
    if (!json && !all && min_score >= 0)
        printf("--min-score %g: %s\n", min_score,
               score >= min_score ? "reached, so this counts as a pass" : "not reached");
    return all || (min_score >= 0 && score >= min_score) ? CHECK_PASS : CHECK_FAIL;
}

static double parse_min_score(const char *cmd, const char *text, int *bad)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || v < 0) {
        fprintf(stderr, "grader %s: --min-score %s: give a number of points, 0 or more\n", cmd, text);
        *bad = 1;
    }
    return v;
}

static void usage_check(FILE *out)
{
    fprintf(out,
            "usage: grader check [--rubric FILE] [--python PATH] [--min-score N]\n"
            "                    [--format text|json] [--index] [--isolation auto|strict] [DIR]\n"
            "\n"
            "Checks your work before you hand it in: grades DIR (default: the current\n"
            "folder) as it is on disk, with the same sandbox and scoring your instructor\n"
            "uses, and says for each failing criterion what to do next.  Criteria your\n"
            "instructor marked hidden are counted, not shown.  The first line (grader\n"
            "version, rubric checksum, Python version) is what to compare when your\n"
            "result and your instructor's differ.\n"
            "\n"
            "  --index           check the staged content (git add) instead of the files\n"
            "  --min-score N     pass when the visible score reaches N points\n"
            "\n"
            "Exit status: 0 every visible criterion passes (or --min-score is reached);\n"
            "1 otherwise, or the submission cannot be graded; 2 bad usage; 3 the grader\n"
            "itself failed.\n");
}

static int cmd_check(int argc, char **argv)
{
    static const struct option opts[] = {RUBRIC_PYTHON_OPTIONS,
                                         {"format", required_argument, NULL, 'f'},
                                         {"isolation", required_argument, NULL, 'i'},
                                         {"min-score", required_argument, NULL, 'm'},
                                         {"index", no_argument, NULL, 'I'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct common_opts o = {.format = "text", .isolation = "auto"};
    double min_score = -1;
    struct grade_source src = {.worktree = true};
    int c, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        int co = common_option("check", c, optarg, &o);
        if (co < 0)
            bad = 1;
        if (co != 0)
            continue;
        switch (c) {
        case 'm':
            min_score = parse_min_score("check", optarg, &bad);
            break;
        case 'I':
            src.index = true;
            src.worktree = false;
            break;
        case 'h':
            usage_check(stdout);
            return 0;
        default:
            usage_check(stderr);
            return EXIT_USAGE;
        }
    }
    const char *format = o.format;
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        fprintf(stderr, "grader check: unknown format '%s'; use text or json\n", format);
        bad = 1;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "grader check: expected at most one DIR, got %d\n", argc - optind);
        bad = 1;
    }
    if (bad)
        return EXIT_USAGE;
    const char *dir = optind < argc ? argv[optind] : ".";
    if (access(dir, F_OK) != 0) {
        fprintf(stderr, "grader check: %s: %s\n", dir, strerror(errno));
        return EXIT_USAGE;
    }
    struct session se;
    int rc = session_open(&se, "check", o.rubric, o.python, strcmp(o.isolation, "strict") == 0);
    if (rc)
        return rc;
    se.ctx.source = &src;
    json_t *result = NULL;
    char err[2048] = "";
    enum grade_exit g = grade_submission(&se.ctx, dir, &result, err, sizeof err);
    if (!result) {
        fprintf(stderr, "grader check: %s\n", err);
        rc = g;
    } else {
        rc = report_for_student(result, g, strcmp(format, "json") == 0, min_score);
    }
    json_decref(result);
    session_close(&se);
    return rc;
}

static void usage_hook(FILE *out)
{
    fprintf(out,
            "usage: grader hook install [--pre-commit] [--pre-push] [--min-score N]\n"
            "                           [--rubric FILE] [--python PATH] [--force] [REPO]\n"
            "       grader hook uninstall [REPO]\n"
            "       grader hook run pre-commit|pre-push [--min-score N] [--rubric FILE]\n"
            "                           [--python PATH]\n"
            "\n"
            "install writes a git hook that runs 'grader check' on what you commit\n"
            "(pre-commit: the staged content; the default) or push (pre-push: the tip\n"
            "commit of each branch pushed), and stops the commit or push when a visible\n"
            "criterion fails (or the score is below --min-score).  It goes where git\n"
            "runs hooks: core.hooksPath if set, else .git/hooks.  A hook that is not\n"
            "grader's is never replaced without --force, which keeps it aside as\n"
            "<hook>.grader-replaced.  'git commit --no-verify' (and 'git push\n"
            "--no-verify') skips the hook, as git always allows.\n"
            "uninstall removes grader's hooks (and puts back one they replaced).\n"
            "run is what the installed hook calls.\n"
            "\n"
            "Exit status: install/uninstall 0 done, 1 refused (someone else's hook), 2 bad\n"
            "usage, 3 failure; run: as grader check.\n");
}

/* Appends ' word' to buf, single-quoted for /bin/sh. */
static void sh_append(char *buf, size_t len, const char *word)
{
    size_t n = strlen(buf);
    if (n + 3 >= len)
        return;
    buf[n++] = ' ';
    buf[n++] = '\'';
    for (const char *p = word; *p && n + 6 < len; p++) {
        if (*p == '\'') {
            memcpy(buf + n, "'\\''", 4);
            n += 4;
        } else {
            buf[n++] = *p;
        }
    }
    buf[n++] = '\'';
    buf[n] = '\0';
}

static int hook_install_cmd(int argc, char **argv)
{
    static const struct option opts[] = {{"pre-commit", no_argument, NULL, 'c'},
                                         {"pre-push", no_argument, NULL, 'u'},
                                         {"min-score", required_argument, NULL, 'm'},
                                         RUBRIC_PYTHON_OPTIONS,
                                         {"force", no_argument, NULL, 'F'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    bool pre_commit = false, pre_push = false, force = false;
    const char *min = NULL;
    struct common_opts co = {0};
    int c, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        if (common_option("hook install", c, optarg, &co) != 0)
            continue;
        switch (c) {
        case 'c':
            pre_commit = true;
            break;
        case 'u':
            pre_push = true;
            break;
        case 'm':
            min = optarg;
            parse_min_score("hook install", optarg, &bad);
            break;
        case 'F':
            force = true;
            break;
        case 'h':
            usage_hook(stdout);
            return 0;
        default:
            usage_hook(stderr);
            return EXIT_USAGE;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "grader hook install: expected at most one REPO\n");
        bad = 1;
    }
    if (bad)
        return EXIT_USAGE;
    if (!pre_commit && !pre_push)
        pre_commit = true;
    const char *repo = optind < argc ? argv[optind] : ".";
    /* Absolute paths: git runs the hook from the work tree's top with the
     * committer's PATH, which may not hold this grader. */
    char self[PATH_MAX], rubric_abs[PATH_MAX], python_abs[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0)
        snprintf(self, sizeof self, "grader");
    else
        self[n] = '\0';
    const char *rubric = co.rubric, *python = co.python;
    if (rubric && !realpath(rubric, rubric_abs)) {
        fprintf(stderr, "grader hook install: --rubric %s: %s\n", rubric, strerror(errno));
        return EXIT_USAGE;
    }
    if (python && strchr(python, '/') && !realpath(python, python_abs)) {
        fprintf(stderr, "grader hook install: --python %s: %s\n", python, strerror(errno));
        return EXIT_USAGE;
    }
    int rc = 0;
    for (int k = 0; k < 2; k++) {
        enum hook_kind kind = k == 0 ? HOOK_PRE_COMMIT : HOOK_PRE_PUSH;
        if ((kind == HOOK_PRE_COMMIT && !pre_commit) || (kind == HOOK_PRE_PUSH && !pre_push))
            continue;
        char path[PATH_MAX], err[1024];
        if (hook_locate(repo, kind, path, sizeof path, err, sizeof err) < 0) {
            fprintf(stderr, "grader hook install: %s\n", err);
            return EXIT_USAGE;
        }
        char cmdline[4 * PATH_MAX] = "exec";
        sh_append(cmdline, sizeof cmdline, self);
        sh_append(cmdline, sizeof cmdline, "hook");
        sh_append(cmdline, sizeof cmdline, "run");
        sh_append(cmdline, sizeof cmdline, hook_name(kind));
        if (min) {
            sh_append(cmdline, sizeof cmdline, "--min-score");
            sh_append(cmdline, sizeof cmdline, min);
        }
        if (rubric) {
            sh_append(cmdline, sizeof cmdline, "--rubric");
            sh_append(cmdline, sizeof cmdline, rubric_abs);
        }
        if (python) {
            sh_append(cmdline, sizeof cmdline, "--python");
            sh_append(cmdline, sizeof cmdline, strchr(python, '/') ? python_abs : python);
        }
        char script[5 * PATH_MAX];
        snprintf(script, sizeof script,
                 "#!/bin/sh\n" HOOK_MARKER
                 " %s: it grades what you %s with 'grader check'.\n"
                 "# 'grader hook uninstall' removes it; 'git %s --no-verify' skips it once.\n"
                 "%s \"$@\"\n",
                 GRADER_VERSION, kind == HOOK_PRE_COMMIT ? "commit" : "push",
                 kind == HOOK_PRE_COMMIT ? "commit" : "push", cmdline);
        char msg[2 * PATH_MAX];
        enum hook_outcome o = hook_install(path, script, force, msg, sizeof msg);
        fprintf(o == HOOK_DONE ? stdout : stderr, "grader hook install: %s\n", msg);
        if (o == HOOK_REFUSED && rc == 0)
            rc = 1;
        else if (o == HOOK_FAILED)
            rc = EXIT_INTERNAL;
    }
    return rc;
}

static int hook_uninstall_cmd(int argc, char **argv)
{
    if (argc > 2 || (argc == 2 && argv[1][0] == '-')) {
        usage_hook(argc == 2 && strcmp(argv[1], "--help") == 0 ? stdout : stderr);
        return argc == 2 && strcmp(argv[1], "--help") == 0 ? 0 : EXIT_USAGE;
    }
    const char *repo = argc == 2 ? argv[1] : ".";
    int rc = 0;
    for (int k = 0; k < 2; k++) {
        char path[PATH_MAX], err[1024], msg[2 * PATH_MAX];
        if (hook_locate(repo, k == 0 ? HOOK_PRE_COMMIT : HOOK_PRE_PUSH, path, sizeof path, err, sizeof err) < 0) {
            fprintf(stderr, "grader hook uninstall: %s\n", err);
            return EXIT_USAGE;
        }
        enum hook_outcome o = hook_uninstall(path, msg, sizeof msg);
        if (o == HOOK_DONE)
            printf("grader hook uninstall: %s\n", msg);
        else if (o == HOOK_FAILED)
            rc = EXIT_INTERNAL;
        if (o == HOOK_FAILED || (o == HOOK_ABSENT && access(path, F_OK) == 0))
            fprintf(stderr, "grader hook uninstall: %s\n", msg);
    }
    return rc;
}

/* One line of pre-push's standard input: "<local ref> <local sha>
 * <remote ref> <remote sha>".  Returns 1 with the local sha and ref when
 * something is pushed, 0 for a deletion or a line to skip. */
static int push_line(const char *line, char *sha, size_t shalen, char *ref, size_t reflen)
{
    char lref[1024], lsha[128], rref[1024], rsha[128];
    if (sscanf(line, "%1023s %127s %1023s %127s", lref, lsha, rref, rsha) != 4)
        return 0;
    /* git sends object names: 40 hex digits (SHA-1) or 64 (SHA-256). */
    size_t n = strlen(lsha);
    if ((n != 40 && n != 64) || strspn(lsha, "0123456789abcdef") != n)
        return 0;
    if (strspn(lsha, "0") == n)
        return 0; /* deleting a remote ref: nothing to grade */
    snprintf(sha, shalen, "%s", lsha);
    snprintf(ref, reflen, "%s", rref);
    return 1;
}

static int hook_run_cmd(int argc, char **argv)
{
    static const struct option opts[] = {{"min-score", required_argument, NULL, 'm'},
                                         RUBRIC_PYTHON_OPTIONS,
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    struct common_opts o = {0};
    double min_score = -1;
    int c, bad = 0;
    if (argc < 2 || (strcmp(argv[1], "pre-commit") != 0 && strcmp(argv[1], "pre-push") != 0)) {
        fprintf(stderr, "grader hook run: say which hook: pre-commit or pre-push\n");
        return EXIT_USAGE;
    }
    const char *which = argv[1];
    argc--;
    argv++;
    optind = 1;
    /* '+': git passes the remote's name and URL after our options. */
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        if (common_option("hook run", c, optarg, &o) != 0)
            continue;
        switch (c) {
        case 'm':
            min_score = parse_min_score("hook run", optarg, &bad);
            break;
        case 'h':
            usage_hook(stdout);
            return 0;
        default:
            usage_hook(stderr);
            return EXIT_USAGE;
        }
    }
    if (bad)
        return EXIT_USAGE;
    /* The pre-commit framework runs one entry at every stage; at pre-push
     * it names the pushed commit in PRE_COMMIT_TO_REF instead of stdin. */
    const char *framework_ref = getenv("PRE_COMMIT_TO_REF");
    bool push = strcmp(which, "pre-push") == 0 || (framework_ref && *framework_ref);
    struct session se;
    int rc = session_open(&se, "hook run", o.rubric, o.python, false);
    if (rc)
        return rc;
    char err[2048] = "";
    if (!push) {
        /* `git commit -a` and `git commit FILE` stage into a temporary
         * index and name it in GIT_INDEX_FILE: that is what is committed. */
        // cppcheck-suppress variableScope ; src.index_path points into it after the if
        char index_abs[PATH_MAX];
        const char *index_file = getenv("GIT_INDEX_FILE");
        struct grade_source src = {.index = true};
        if (index_file && *index_file)
            src.index_path = realpath(index_file, index_abs) ? index_abs : index_file;
        se.ctx.source = &src;
        printf("grader: checking the staged content of this commit\n");
        json_t *result = NULL;
        enum grade_exit g = grade_submission(&se.ctx, ".", &result, err, sizeof err);
        if (!result) {
            fprintf(stderr, "grader hook run: %s\n", err);
            rc = g;
        } else {
            rc = report_for_student(result, g, false, min_score);
        }
        json_decref(result);
        if (rc == CHECK_FAIL)
            printf(
                "\nCommit stopped by grader's pre-commit hook. Fix the failures above, or commit with "
                "--no-verify to skip the check.\n");
    } else {
        char line[4096], sha[128], ref[1024];
        const char *to_ref = getenv("PRE_COMMIT_TO_REF"); /* the pre-commit framework's pre-push */
        bool any = false;
        while (rc != EXIT_INTERNAL) {
            if (to_ref && *to_ref) {
                if (any)
                    break;
                snprintf(sha, sizeof sha, "%s", to_ref);
                snprintf(ref, sizeof ref, "%s", to_ref);
            } else if (!fgets(line, sizeof line, stdin)) {
                break;
            } else if (!push_line(line, sha, sizeof sha, ref, sizeof ref)) {
                continue;
            }
            any = true;
            struct grade_source src = {.rev = sha};
            se.ctx.source = &src;
            printf("grader: checking %.12s, pushed to %s\n", sha, ref);
            json_t *result = NULL;
            enum grade_exit g = grade_submission(&se.ctx, ".", &result, err, sizeof err);
            int one;
            if (!result) {
                fprintf(stderr, "grader hook run: %s\n", err);
                one = g;
            } else {
                one = report_for_student(result, g, false, min_score);
            }
            json_decref(result);
            if (one > rc)
                rc = one;
            putchar('\n');
        }
        if (rc == CHECK_FAIL)
            printf(
                "Push stopped by grader's pre-push hook. Fix the failures above, or push with --no-verify "
                "to skip the check.\n");
    }
    session_close(&se);
    return rc;
}

static int cmd_hook(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage_hook(argc < 2 ? stderr : stdout);
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "install") == 0)
        return hook_install_cmd(argc - 1, argv + 1);
    if (strcmp(argv[1], "uninstall") == 0)
        return hook_uninstall_cmd(argc - 1, argv + 1);
    if (strcmp(argv[1], "run") == 0)
        return hook_run_cmd(argc - 1, argv + 1);
    fprintf(stderr, "grader hook: unknown action '%s'; use install, uninstall or run\n", argv[1]);
    return EXIT_USAGE;
}

/* ---- grader batch and grader merge ------------------------------------- */

static volatile sig_atomic_t batch_stop;

static void on_batch_signal(int sig)
{
    (void)sig;
    batch_stop = 1;
}

static void usage_batch(FILE *out)
{
    fprintf(out,
            "usage: grader batch [--rubric FILE] [--python PATH] [-j N] [-o OUTDIR] [--resume]\n"
            "                    [--shard K/N] [--isolation auto|strict] [--deadline TIME] [--rev REV]\n"
            "                    [--before baseline|first] [--trust-owner] PATH...\n"
            "\n"
            "Grades every submission found in PATH...: a PATH that is a submission (a\n"
            "folder holding leaky_app.py, the file, or a git repository) is one, named\n"
            "after its folder; any other folder holds one submission per entry (as a\n"
            "GitHub Classroom clone leaves them), each named after its entry.\n"
            "\n"
            "  -j N              N submissions at once (default: one per core)\n"
            "  -o OUTDIR         where results go (default: grader-results)\n"
            "  --resume          keep the rows OUTDIR/results.jsonl already has and grade\n"
            "                    the rest (after Ctrl-C or a crash)\n"
            "  --shard K/N       grade only the K-th of N stable slices of the class (for\n"
            "                    several machines; then grader merge)\n"
            "  --cache DIR       where results are cached (default: OUTDIR/cache)\n"
            "  --isolation MODE  strict: refuse degraded runs; auto: the best available.\n"
            "                    Default: strict when this machine gives full isolation\n"
            "  --deadline, --rev, --before, --trust-owner: as for grader grade\n"
            "\n"
            "Every result is written to OUTDIR/results.jsonl the moment it is known; a\n"
            "re-run reuses OUTDIR/cache for submissions that did not change.  At the\n"
            "end: grades.csv, canvas.csv, junit.xml, report.html, and per submission\n"
            "OUTDIR/submissions/ID/{gradescope,prairielearn}/results.json and feedback.md.\n"
            "\n"
            "Exit status: 0 the batch finished (whatever the verdicts); 2 bad usage; 3 it\n"
            "could not run (no interpreter, the sandbox, the baseline, an unwritable\n"
            "OUTDIR); 130 interrupted (the rows so far are kept: run again with --resume).\n");
}

static double parse_positive(const char *opt, const char *text, int *bad);

static int cmd_batch(int argc, char **argv)
{
    static const struct option opts[] = {RUBRIC_PYTHON_OPTIONS,
                                         {"jobs", required_argument, NULL, 'j'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"resume", no_argument, NULL, 'u'},
                                         {"shard", required_argument, NULL, 's'},
                                         {"isolation", required_argument, NULL, 'i'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"cache", required_argument, NULL, 'C'},
                                         SOURCE_OPTIONS,
                                         {NULL, 0, NULL, 0}};
    const char *outdir = "grader-results", *cache = NULL;
    struct common_opts co = {0}; /* isolation: NULL means strict where the machine allows it */
    unsigned jobs = 0, shard_k = 0, shard_n = 0;
    bool resume = false;
    struct grade_source src = {0};
    int c, bad = 0;
    optind = 1;
    while ((c = getopt_long(argc, argv, "hj:o:", opts, NULL)) != -1) {
        int so = source_option("batch", c, optarg, &src);
        if (so == 0)
            so = common_option("batch", c, optarg, &co);
        if (so < 0)
            return EXIT_USAGE;
        if (so > 0)
            continue;
        switch (c) {
        case 'j':
            jobs = (unsigned)parse_positive("-j", optarg, &bad);
            break;
        case 'o':
            outdir = optarg;
            break;
        case 'u':
            resume = true;
            break;
        case 'C':
            cache = optarg;
            break;
        case 's':
            /* Nine digits at most: "%u" alone is undefined when it overflows. */
            // NOLINTNEXTLINE(cert-err34-c)
            if (sscanf(optarg, "%9u/%9u", &shard_k, &shard_n) != 2 || shard_n < 1 || shard_k < 1 || shard_k > shard_n) {
                fprintf(stderr, "grader batch: --shard %s: give K/N with 1 <= K <= N, e.g. 2/8\n", optarg);
                bad = 1;
            }
            break;
        case 'h':
            usage_batch(stdout);
            return 0;
        default:
            usage_batch(stderr);
            return EXIT_USAGE;
        }
    }
    if (src.index) {
        fprintf(stderr, "grader batch: --index grades one student's staged files; use grader check --index\n");
        bad = 1;
    }
    if (optind >= argc) {
        fprintf(stderr, "grader batch: give at least one PATH (a submission or a folder of them)\n");
        bad = 1;
    }
    if (bad)
        return EXIT_USAGE;
    if (!jobs) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        jobs = n > 0 ? (unsigned)n : 1;
    }

    struct session se;
    int rc = session_open(&se, "batch", co.rubric, co.python, co.isolation && strcmp(co.isolation, "strict") == 0);
    if (rc)
        return rc;
    if (!se.ctx.python) {
        fprintf(stderr, "grader batch: %s\n", se.pyerr);
        session_close(&se);
        return EXIT_INTERNAL;
    }
    se.ctx.source = &src;
    struct batch_item *items = NULL;
    size_t count = 0;
    char err[2048] = "";
    if (batch_discover((const char *const *)(argv + optind), (size_t)(argc - optind), se.rb.entry, &items, &count, err,
                       sizeof err) < 0) {
        fprintf(stderr, "grader batch: %s\n", err);
        session_close(&se);
        return EXIT_USAGE;
    }
    if (shard_n > 1) {
        size_t kept = 0;
        for (size_t i = 0; i < count; i++) {
            if (batch_in_shard(items[i].id, shard_k, shard_n)) {
                items[kept++] = items[i];
            } else {
                free(items[i].id);
                free(items[i].path);
            }
        }
        count = kept;
    }
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_batch_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    struct batch_options o = {.ctx = &se.ctx,
                              .items = items,
                              .count = count,
                              .outdir = outdir,
                              .cache_dir = cache,
                              .jobs = jobs,
                              .resume = resume,
                              .auto_strict = !co.isolation,
                              .progress_bar = isatty(STDERR_FILENO),
                              .log = stderr,
                              .stop = &batch_stop};
    struct batch_summary sum;
    int br = batch_run(&o, &sum, err, sizeof err);
    if (br < 0) {
        fprintf(stderr, "grader batch: %s\n", err);
        rc = br == -2 ? EXIT_USAGE : EXIT_INTERNAL;
    } else if (batch_finish(&se.rb, outdir, err, sizeof err) < 0) {
        fprintf(stderr, "grader batch: the results are in %s/results.jsonl, but the reports failed: %s\n", outdir, err);
        rc = EXIT_INTERNAL;
    } else {
        fprintf(stderr,
                "grader batch: %zu of %zu submissions have a result in %s (%zu graded, %zu invalid, %zu grader "
                "errors; %zu reused from the cache, %zu kept from before)%s\n",
                sum.done, sum.total, outdir, sum.graded, sum.invalid, sum.errors, sum.from_cache, sum.resumed,
                sum.interrupted ? "; interrupted: run again with --resume to finish" : "");
        rc = sum.interrupted ? 130 : 0;
    }
    batch_items_free(items, count);
    session_close(&se);
    return rc;
}

/* The options merge and export share: --rubric FILE, -o/--output PATH and
 * --help (which prints `help`).  -1 to go on, else the exit status. */
static int rubric_output_options(int argc, char **argv, const char *help, const char **rubric_path, const char **output)
{
    static const struct option opts[] = {{"rubric", required_argument, NULL, 'r'},
                                         {"output", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "ho:", opts, NULL)) != -1) {
        switch (c) {
        case 'r':
            *rubric_path = optarg;
            break;
        case 'o':
            *output = optarg;
            break;
        case 'h':
        default:
            fputs(help, c == 'h' ? stdout : stderr);
            return c == 'h' ? 0 : EXIT_USAGE;
        }
    }
    return -1;
}

static int cmd_merge(int argc, char **argv)
{
    static const char help[] =
        "usage: grader merge [--rubric FILE] -o OUTDIR SHARD_DIR...\n\n"
        "Combines the results of 'grader batch --shard K/N' runs (each SHARD_DIR an\n"
        "OUTDIR of one) into OUTDIR, with the same reports an unsharded batch writes.\n"
        "Refuses shards graded with another rubric than FILE (default: the bundled\n"
        "one) and an id found in two shards.\n"
        "Exit status: 0 merged; 2 bad usage or mismatched shards; 3 cannot write.\n";
    const char *rubric_path = NULL, *outdir = NULL;
    int done = rubric_output_options(argc, argv, help, &rubric_path, &outdir);
    if (done >= 0)
        return done;
    if (!outdir || optind >= argc) {
        fprintf(stderr, "usage: grader merge [--rubric FILE] -o OUTDIR SHARD_DIR...\n");
        return EXIT_USAGE;
    }
    struct rubric rb;
    memset(&rb, 0, sizeof rb);
    int rc = load_rubric(rubric_path, &rb);
    if (rc) {
        rubric_free(&rb);
        return rc;
    }
    char err[2048];
    int m = batch_merge(&rb, (const char *const *)(argv + optind), (size_t)(argc - optind), outdir, err, sizeof err);
    if (m < 0) {
        fprintf(stderr, "grader merge: %s\n", err);
        rc = m == -2 ? EXIT_INTERNAL : EXIT_USAGE;
    } else {
        printf("grader merge: %d shard%s merged into %s\n", argc - optind, argc - optind == 1 ? "" : "s", outdir);
    }
    rubric_free(&rb);
    return rc;
}

static int cmd_export(int argc, char **argv)
{
    static const char help[] =
        "usage: grader export gradescope [--rubric FILE] -o autograder.zip\n\n"
        "Builds the zip Gradescope's \"Configure Autograder\" page takes: setup.sh\n"
        "(installs the packages and builds grader from the source inside),\n"
        "run_autograder (grades /autograder/submission with the rubric inside and\n"
        "always writes /autograder/results/results.json) and the rubric with its\n"
        "baseline.  Run it from a source checkout.\n"
        "Exit status: 0 written; 2 bad usage or rubric; 3 cannot write.\n";
    const char *rubric_path = NULL, *out = NULL;
    int done = rubric_output_options(argc, argv, help, &rubric_path, &out);
    if (done >= 0)
        return done;
    if (!out || optind != argc - 1 || strcmp(argv[optind], "gradescope") != 0) {
        fprintf(stderr, "usage: grader export gradescope [--rubric FILE] -o autograder.zip\n");
        return EXIT_USAGE;
    }
    struct rubric rb;
    memset(&rb, 0, sizeof rb);
    int rc = load_rubric(rubric_path, &rb);
    char root[PATH_MAX], err[2048];
    if (!rc && paths_data_dir(root, sizeof root, err, sizeof err) < 0) {
        fprintf(stderr, "grader export: %s\n", err);
        rc = EXIT_INTERNAL;
    }
    if (!rc && export_gradescope(out, root, &rb, err, sizeof err) < 0) {
        fprintf(stderr, "grader export: %s\n", err);
        rc = EXIT_INTERNAL;
    }
    if (!rc)
        printf("grader export: wrote %s (upload it on Gradescope's Configure Autograder page)\n", out);
    rubric_free(&rb);
    return rc;
}

static int cmd_parse_tracemalloc(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf(
            "usage: grader parse-tracemalloc [FILE]\n\n"
            "Reads tracemalloc output (a script's stdout) from FILE or standard input and\n"
            "prints every Statistic/StatisticDiff line found as a JSON array; other lines\n"
            "are skipped.  Exit status 0, or 2 when FILE cannot be read.\n");
        return 0;
    }
    if (argc > 2) {
        fprintf(stderr, "usage: grader parse-tracemalloc [FILE]\n");
        return EXIT_USAGE;
    }
    FILE *in = stdin;
    if (argc == 2 && strcmp(argv[1], "-") != 0) {
        in = fopen(argv[1], "rb");
        if (!in) {
            fprintf(stderr, "grader parse-tracemalloc: %s: %s\n", argv[1], strerror(errno));
            return EXIT_USAGE;
        }
    }
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap);
    size_t n;
    while (buf && (n = fread(buf + len, 1, cap - len, in)) > 0) {
        len += n;
        if (len == cap) {
            char *bigger = realloc(buf, cap * 2);
            if (!bigger) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    if (in != stdin)
        fclose(in);
    char err[256];
    struct tm_stats stats = {0};
    if (!buf || tm_parser_init(err, sizeof err) < 0 || tm_parse_buffer(buf, len, &stats) < 0) {
        fprintf(stderr, "grader parse-tracemalloc: %s\n", buf ? "cannot parse (out of memory?)" : "out of memory");
        free(buf);
        tm_stats_free(&stats);
        return EXIT_INTERNAL;
    }
    json_t *arr = result_statistics_json(&stats);
    json_dumpf(arr, stdout, JSON_INDENT(2));
    putchar('\n');
    json_decref(arr);
    tm_stats_free(&stats);
    free(buf);
    return 0;
}

static int cmd_rubric(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        printf(
            "usage: grader rubric check FILE\n\n"
            "Validates a rubric; prints 'FILE: ok (N criteria, M points)' or\n"
            "'FILE:LINE:COLUMN: what is wrong'.  Exit status 0 when valid, 2 otherwise.\n");
        return argc < 2 ? EXIT_USAGE : 0;
    }
    if (strcmp(argv[1], "check") != 0 || argc != 3) {
        fprintf(stderr, "usage: grader rubric check FILE\n");
        return EXIT_USAGE;
    }
    struct rubric rb;
    memset(&rb, 0, sizeof rb);
    char err[1024];
    if (rubric_load(argv[2], &rb, err, sizeof err) < 0) {
        fprintf(stderr, "%s\n", err);
        rubric_free(&rb);
        return EXIT_USAGE;
    }
    printf("%s: ok (%zu criteria, %g points)\n", argv[2], rb.ncriteria, rb.max_score);
    rubric_free(&rb);
    return 0;
}

static void usage_sandbox(FILE *out)
{
    fprintf(out,
            "usage: grader sandbox [--time S] [--wall S] [--memory MB] [--processes N]\n"
            "                      [--output KB] [--format text|json] [--isolation auto|strict]\n"
            "                      [--ro PATH]... [--hide DIR]... [--repeat N] -- COMMAND [ARGS...]\n"
            "\n"
            "Runs COMMAND (an absolute path, or a name looked up on PATH) in the same\n"
            "sandbox that runs submissions, in an empty work directory with a clean\n"
            "environment, and prints its verdict and usage.  Defaults: 10 s CPU, 20 s\n"
            "wall, 512 MB, 64 processes, 256 KB of output per stream.\n"
            "The command sees a minimal root: /usr, its own installation prefix, the\n"
            "directories of the absolute paths among its arguments, and each --ro\n"
            "PATH (a file or directory, read-only, at most 8).  Each --hide DIR (at\n"
            "most 6) that the root shows looks empty there, as grading does with the\n"
            "interpreter's site-packages.\n"
            "--repeat N runs the command N times in this process and prints the time\n"
            "per run (median, mean, p95, max) instead of one verdict.\n"
            "Exit status: 0 when the command ran (whatever its outcome), 2 for bad\n"
            "usage, 3 when the sandbox could not start.\n");
}

static double parse_positive(const char *opt, const char *text, int *bad)
{
    char *end;
    double v = strtod(text, &end);
    if (*end != '\0' || !(v > 0)) {
        fprintf(stderr, "grader: %s needs a positive number, not '%s'\n", opt, text);
        *bad = 1;
    }
    return v;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* --repeat N: the cost of a run inside one long-lived process, as grading
 * and batches pay it (the process's own start-up, mostly loading libgit2's
 * dependencies, is paid once there).  Every run's outcome must be a clean
 * exit, or the timing would measure something else. */
static int repeat_runs(const struct sandbox_spec *spec, unsigned n)
{
    double *ms = calloc(n, sizeof *ms);
    if (!ms)
        return EXIT_INTERNAL;
    for (unsigned i = 0; i < n; i++) {
        struct sandbox_result res;
        memset(&res, 0, sizeof res);
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        int rc = sandbox_run(spec, &res);
        clock_gettime(CLOCK_MONOTONIC, &b);
        ms[i] = (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6;
        if (rc < 0 || res.exit_code != 0 || res.limit != SANDBOX_LIMIT_NONE) {
            fprintf(stderr, "grader sandbox: run %u of %u: %s\n", i + 1, n,
                    rc < 0 ? res.error : "the command did not exit cleanly; --repeat times clean runs only");
            sandbox_result_free(&res);
            free(ms);
            return rc < 0 ? EXIT_INTERNAL : EXIT_USAGE;
        }
        sandbox_result_free(&res);
    }
    qsort(ms, n, sizeof *ms, cmp_double);
    double sum = 0;
    for (unsigned i = 0; i < n; i++)
        sum += ms[i];
    printf("grader sandbox: %u runs in one process, ms per run: median %.1f, mean %.1f, p95 %.1f, max %.1f\n", n,
           ms[n / 2], sum / n, ms[(unsigned)((n - 1) * 0.95 + 0.5)], ms[n - 1]);
    free(ms);
    return 0;
}

/* Appends an absolute path given with `opt` to list (NULL-terminated, room
 * for max + 1), or says what is wrong and sets *bad. */
static void add_path(const char *opt, const char *path, const char **list, int *n, int max, int *bad)
{
    if (*n >= max || path[0] != '/') {
        fprintf(stderr, "grader sandbox: %s %s: give at most %d absolute paths\n", opt, path, max);
        *bad = 1;
        return;
    }
    list[(*n)++] = path;
}

static int cmd_sandbox(int argc, char **argv)
{
    static const struct option opts[] = {
        {"time", required_argument, NULL, 't'},      {"wall", required_argument, NULL, 'w'},
        {"memory", required_argument, NULL, 'm'},    {"processes", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},    {"format", required_argument, NULL, 'f'},
        {"isolation", required_argument, NULL, 'i'}, {"help", no_argument, NULL, 'h'},
        {"ro", required_argument, NULL, 'r'},        {"repeat", required_argument, NULL, 'R'},
        {"hide", required_argument, NULL, 'H'},      {NULL, 0, NULL, 0}};
    unsigned repeat = 1;
    const char *ro_paths[9] = {NULL}, *hide_paths[7] = {NULL};
    int nro = 0, nhide = 0;
    struct sandbox_limits lim = {.cpu_seconds = 10,
                                 .wall_seconds = 20,
                                 .memory_bytes = 512u << 20,
                                 .processes = 64,
                                 .file_size_bytes = 16u << 20,
                                 .output_bytes = 256u << 10};
    const char *format = "text", *isolation = "auto";
    int c, bad = 0;
    optind = 1;
    /* '+': stop at the first non-option so COMMAND's own flags stay its own. */
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 't':
            lim.cpu_seconds = parse_positive("--time", optarg, &bad);
            break;
        case 'w':
            lim.wall_seconds = parse_positive("--wall", optarg, &bad);
            break;
        case 'm':
            lim.memory_bytes = (size_t)(parse_positive("--memory", optarg, &bad) * 1024 * 1024);
            break;
        case 'n':
            lim.processes = (unsigned)parse_positive("--processes", optarg, &bad);
            break;
        case 'o':
            lim.output_bytes = (size_t)(parse_positive("--output", optarg, &bad) * 1024);
            break;
        case 'f':
            format = optarg;
            break;
        case 'i':
            isolation = optarg;
            break;
        case 'r':
            add_path("--ro", optarg, ro_paths, &nro, 8, &bad);
            break;
        case 'H':
            add_path("--hide", optarg, hide_paths, &nhide, 6, &bad);
            break;
        case 'R':
            repeat = (unsigned)parse_positive("--repeat", optarg, &bad);
            break;
        case 'h':
            usage_sandbox(stdout);
            return 0;
        default:
            usage_sandbox(stderr);
            return EXIT_USAGE;
        }
    }
    if (repeat < 1 || repeat > 100000) {
        fprintf(stderr, "grader sandbox: --repeat takes 1 to 100000 runs\n");
        bad = 1;
    }
    if (strcmp(isolation, "auto") != 0 && strcmp(isolation, "strict") != 0) {
        fprintf(stderr, "grader sandbox: unknown isolation '%s'; use auto or strict\n", isolation);
        bad = 1;
    }
    if (bad)
        return EXIT_USAGE;
    if (optind >= argc) {
        usage_sandbox(stderr);
        return EXIT_USAGE;
    }
    char exe[PATH_MAX];
    const char *cmd = argv[optind];
    if (strchr(cmd, '/')) {
        snprintf(exe, sizeof exe, "%s", cmd);
    } else if (paths_search(cmd, exe, sizeof exe) < 0) {
        fprintf(stderr, "grader sandbox: %s: command not found on PATH\n", cmd);
        return EXIT_USAGE;
    }
    argv[optind] = exe;
    /* MALLOC_ARENA_MAX: glibc reserves 64 MiB of address space per arena,
     * up to 8 per core, so a few threads would otherwise hit the address
     * space backstop long before the process limit. */
    const char *envp[] = {"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=/tmp", "LANG=C.UTF-8", "MALLOC_ARENA_MAX=2", NULL};
    char err[256];
    unsigned disable;
    if (paths_sandbox_disable(&disable, err, sizeof err) < 0) {
        fprintf(stderr, "grader sandbox: %s\n", err);
        return EXIT_USAGE;
    }
    struct sandbox_spec spec = {.argv = (const char *const *)(argv + optind),
                                .envp = envp,
                                .channel_fd = -1,
                                .limits = lim,
                                .require_full = strcmp(isolation, "strict") == 0,
                                .disable = disable,
                                .ro_paths = nro ? ro_paths : NULL,
                                .hide_paths = nhide ? hide_paths : NULL};
    struct sandbox_result res;
    memset(&res, 0, sizeof res);
    if (repeat > 1)
        return repeat_runs(&spec, repeat);
    /* One run, then exit: the init's last moments are left to the kernel. */
    spec.skip_init_reap = true;
    if (sandbox_run(&spec, &res) < 0) {
        fprintf(stderr, "grader sandbox: %s\n", res.error);
        sandbox_result_free(&res);
        return EXIT_INTERNAL;
    }
    const char *limit = sandbox_limit_name(res.limit);
    if (strcmp(format, "json") == 0) {
        json_t *o = json_pack("{s:i, s:i, s:b, s:s?, s:I, s:I, s:I, s:I, s:b, s:I, s:b, s:o, s:o}", "exit_code",
                              res.exit_code, "signal", res.signal, "timed_out", res.timed_out, "limit", limit,
                              "wall_ms", (json_int_t)res.wall_ms, "cpu_ms", (json_int_t)res.cpu_ms, "max_rss_kb",
                              (json_int_t)res.max_rss_kb, "stdout_bytes", (json_int_t)res.out.total, "stdout_truncated",
                              res.out.truncated, "stderr_bytes", (json_int_t)res.err.total, "stderr_truncated",
                              res.err.truncated, "stdout", json_text(res.out.data, res.out.len), "stderr",
                              json_text(res.err.data, res.err.len));
        json_object_set_new(o, "isolation", result_isolation_json(&res));
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
    } else {
        if (res.out.len)
            fwrite(res.out.data, 1, res.out.len, stdout);
        if (res.err.len)
            fwrite(res.err.data, 1, res.err.len, stderr);
        fprintf(stderr,
                "grader sandbox: exit %d, signal %d, limit %s%s, cpu %ld ms, wall %ld ms, max rss %ld KB\n"
                "grader sandbox: isolation: %s\n",
                res.exit_code, res.signal, limit ? limit : "none", res.timed_out ? " (timed out)" : "", res.cpu_ms,
                res.wall_ms, res.max_rss_kb, res.isolation);
    }
    sandbox_result_free(&res);
    return 0;
}

/* grader doctor: what this machine gives the sandbox, read off a real run
 * (every layer is tried, not guessed from kernel versions). */
static int cmd_doctor(int argc, char **argv)
{
    if (argc > 1) {
        printf(
            "usage: grader doctor\n\n"
            "Runs /bin/true in the sandbox and prints which isolation layers were\n"
            "active and why any was not, then the Python the grader would use.\n"
            "Exit status 0, or 3 when the sandbox cannot run at all.\n");
        return strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ? 0 : EXIT_USAGE;
    }
    const char *targv[] = {"/bin/true", NULL};
    const char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    struct sandbox_spec spec = {
        .argv = targv,
        .envp = envp,
        .channel_fd = -1,
        .limits = {
            .cpu_seconds = 5, .wall_seconds = 10, .memory_bytes = 256u << 20, .processes = 16, .output_bytes = 4096}};
    struct sandbox_result res;
    memset(&res, 0, sizeof res);
    int rc = 0;
    printf("sandbox:\n");
    if (sandbox_run(&spec, &res) < 0) {
        printf("  cannot run: %s\n", res.error);
        rc = EXIT_INTERNAL;
    } else {
        printf("  level: %s (grade --isolation strict %s here)\n", res.level,
               strcmp(res.level, "full") == 0 ? "works" : "refuses to run");
        for (size_t i = 0; i < res.nlayers; i++)
            printf("  %-18s %-12s %s\n", res.layers[i].name, res.layers[i].active ? "active" : "unavailable",
                   res.layers[i].detail);
        printf("  a run of /bin/true: exit %d, %ld ms wall\n", res.exit_code, res.wall_ms);
    }
    sandbox_result_free(&res);
    struct python_info py;
    char err[1024];
    printf("python:\n");
    if (python_resolve(NULL, &py, err, sizeof err) == 0) {
        printf("  %s (%s %s)\n", py.executable, py.implementation, py.version);
        /* Why an import that works at the student's prompt fails in a run. */
        for (int i = 0; i < py.nsite_dirs; i++)
            if (access(py.site_dirs[i], F_OK) == 0)
                printf("  site-packages %s: empty in runs (rubric: python.site_packages: true shows it)\n",
                       py.site_dirs[i]);
    } else
        printf("  none usable: %s\n", err);
    char dir[PATH_MAX];
    printf("data:\n");
    if (paths_data_dir(dir, sizeof dir, err, sizeof err) == 0)
        printf("  %s\n", dir);
    else
        printf("  %s\n", err);
    return rc;
}

static int cmd_help(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    usage_main(stdout);
    return 0;
}

static const struct command {
    const char *name;
    int (*run)(int argc, char **argv);
} commands[] = {
    {"grade", cmd_grade},
    {"check", cmd_check},
    {"batch", cmd_batch},
    {"merge", cmd_merge},
    {"export", cmd_export},
    {"hook", cmd_hook},
    {"parse-tracemalloc", cmd_parse_tracemalloc},
    {"rubric", cmd_rubric},
    {"sandbox", cmd_sandbox},
    {"doctor", cmd_doctor},
    {"help", cmd_help},
};

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage_main(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("grader %s\n", GRADER_VERSION);
        return 0;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)
        return cmd_help(argc, argv);
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
        if (strcmp(argv[1], commands[i].name) == 0)
            return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "grader: '%s' is not a command; see 'grader --help'\n", argv[1]);
    return EXIT_USAGE;
}
