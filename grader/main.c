/* grader: command-line front end.  One cmd_<name>() per subcommand and a
 * table that dispatches them, as git does. */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "grade.h"
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
            "  grade              grade one submission (a folder or the file itself)\n"
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
            "usage: grader grade [--rubric FILE] [--format text|json] [--python PATH] SUBMISSION\n"
            "\n"
            "SUBMISSION is a folder holding the rubric's entry file (leaky_app.py) or\n"
            "that file itself.  The lesson's original script and the submission run in\n"
            "a sandbox; the result says, criterion by criterion, what passed and what to\n"
            "do about what did not.\n"
            "\n"
            "Options:\n"
            "  --rubric FILE      rubric to grade against (default: the bundled\n"
            "                     rubrics/weakref-leak.yaml)\n"
            "  --format FORMAT    text (default) or json\n"
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

static int cmd_grade(int argc, char **argv)
{
    static const struct option opts[] = {
        {"rubric", required_argument, NULL, 'r'}, {"format", required_argument, NULL, 'f'},
        {"python", required_argument, NULL, 'p'}, {"isolation", required_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    const char *rubric_path = NULL, *format = "text", *python = NULL, *isolation = "auto";
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'r': rubric_path = optarg; break;
        case 'f': format = optarg; break;
        case 'p': python = optarg; break;
        case 'i': isolation = optarg; break;
        case 'h': usage_grade(stdout); return 0;
        default: usage_grade(stderr); return EXIT_USAGE;
        }
    }
    if (strcmp(format, "text") != 0 && strcmp(format, "json") != 0) {
        fprintf(stderr, "grader grade: unknown format '%s'; use text or json\n", format);
        return EXIT_USAGE;
    }
    if (strcmp(isolation, "auto") != 0 && strcmp(isolation, "strict") != 0) {
        fprintf(stderr, "grader grade: unknown isolation '%s'; use auto or strict\n", isolation);
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

    struct rubric rb;
    memset(&rb, 0, sizeof rb);
    int rc = load_rubric(rubric_path, &rb);
    if (rc) {
        rubric_free(&rb);
        return rc;
    }
    char err[2048] = "", probe[PATH_MAX];
    if (paths_probe_script(probe, sizeof probe, err, sizeof err) < 0) {
        fprintf(stderr, "grader: %s\n", err);
        rubric_free(&rb);
        return EXIT_INTERNAL;
    }
    unsigned disable;
    if (paths_sandbox_disable(&disable, err, sizeof err) < 0) {
        fprintf(stderr, "grader grade: %s\n", err);
        rubric_free(&rb);
        return EXIT_USAGE;
    }
    struct python_info py;
    char pyerr[1024] = "";
    bool have_python = python_resolve(python, &py, pyerr, sizeof pyerr) == 0;
    if (!have_python && python) {
        /* The user named an interpreter and it is not usable: their input. */
        fprintf(stderr, "grader grade: %s\n", pyerr);
        rubric_free(&rb);
        return EXIT_USAGE;
    }
    char code[PATH_MAX];
    bool have_code = have_python && probe_cache_prepare(&py, probe, code, sizeof code) == 0;
    struct grade_context ctx = {.rubric = &rb,
                                .python = have_python ? &py : NULL,
                                .python_error = pyerr,
                                .probe_script = probe,
                                .probe_code = have_code ? code : NULL,
                                .require_full = strcmp(isolation, "strict") == 0,
                                .sandbox_disable = disable};
    json_t *result = NULL;
    rc = (int)grade_submission(&ctx, submission, &result, err, sizeof err);
    if (!result) {
        fprintf(stderr, "grader grade: %s\n", err);
    } else if (strcmp(format, "json") == 0) {
        result_render_json(result, stdout);
    } else {
        const char *nc = getenv("NO_COLOR");
        result_render_text(result, stdout, isatty(STDOUT_FILENO) && !(nc && *nc));
    }
    json_decref(result);
    rubric_free(&rb);
    return rc;
}

static int cmd_parse_tracemalloc(int argc, char **argv)
{
    if (argc > 1 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
        printf("usage: grader parse-tracemalloc [FILE]\n\n"
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
        printf("usage: grader rubric check FILE\n\n"
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
            "                      [--ro PATH]... -- COMMAND [ARGS...]\n"
            "\n"
            "Runs COMMAND (an absolute path, or a name looked up on PATH) in the same\n"
            "sandbox that runs submissions, in an empty work directory with a clean\n"
            "environment, and prints its verdict and usage.  Defaults: 10 s CPU, 20 s\n"
            "wall, 512 MB, 64 processes, 256 KB of output per stream.\n"
            "The command sees a minimal root: /usr, its own installation prefix, the\n"
            "directories of the absolute paths among its arguments, and each --ro\n"
            "PATH (a file or directory, read-only, at most 8).\n"
            "Exit status: 0 when the command ran (whatever its outcome), 2 for bad\n"
            "usage, 3 when the sandbox could not start.\n");
}

static double parse_positive(const char *opt, const char *text, int *bad)
{
    char *end;
    double v = strtod(text, &end);
    if (*end != '\0' || !(v > 0)) {
        fprintf(stderr, "grader sandbox: %s needs a positive number, not '%s'\n", opt, text);
        *bad = 1;
    }
    return v;
}

static int cmd_sandbox(int argc, char **argv)
{
    static const struct option opts[] = {
        {"time", required_argument, NULL, 't'},      {"wall", required_argument, NULL, 'w'},
        {"memory", required_argument, NULL, 'm'},    {"processes", required_argument, NULL, 'n'},
        {"output", required_argument, NULL, 'o'},    {"format", required_argument, NULL, 'f'},
        {"isolation", required_argument, NULL, 'i'}, {"help", no_argument, NULL, 'h'},
        {"ro", required_argument, NULL, 'r'},        {NULL, 0, NULL, 0}};
    const char *ro_paths[9] = {NULL};
    int nro = 0;
    struct sandbox_limits lim = {.cpu_seconds = 10, .wall_seconds = 20, .memory_bytes = 512u << 20,
                                 .processes = 64, .file_size_bytes = 16u << 20, .output_bytes = 256u << 10};
    const char *format = "text", *isolation = "auto";
    int c, bad = 0;
    optind = 1;
    /* '+': stop at the first non-option so COMMAND's own flags stay its own. */
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 't': lim.cpu_seconds = parse_positive("--time", optarg, &bad); break;
        case 'w': lim.wall_seconds = parse_positive("--wall", optarg, &bad); break;
        case 'm': lim.memory_bytes = (size_t)(parse_positive("--memory", optarg, &bad) * 1024 * 1024); break;
        case 'n': lim.processes = (unsigned)parse_positive("--processes", optarg, &bad); break;
        case 'o': lim.output_bytes = (size_t)(parse_positive("--output", optarg, &bad) * 1024); break;
        case 'f': format = optarg; break;
        case 'i': isolation = optarg; break;
        case 'r':
            if (nro >= 8 || optarg[0] != '/') {
                fprintf(stderr, "grader sandbox: --ro %s: give at most 8 absolute paths\n", optarg);
                bad = 1;
            } else {
                ro_paths[nro++] = optarg;
            }
            break;
        case 'h': usage_sandbox(stdout); return 0;
        default: usage_sandbox(stderr); return EXIT_USAGE;
        }
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
    struct sandbox_spec spec = {.argv = (const char *const *)(argv + optind), .envp = envp, .channel_fd = -1,
                                .limits = lim, .require_full = strcmp(isolation, "strict") == 0,
                                .disable = disable, .ro_paths = nro ? ro_paths : NULL};
    struct sandbox_result res;
    memset(&res, 0, sizeof res);
    if (sandbox_run(&spec, &res) < 0) {
        fprintf(stderr, "grader sandbox: %s\n", res.error);
        sandbox_result_free(&res);
        return EXIT_INTERNAL;
    }
    const char *limit = sandbox_limit_name(res.limit);
    if (strcmp(format, "json") == 0) {
        json_t *o = json_pack("{s:i, s:i, s:b, s:s?, s:I, s:I, s:I, s:I, s:b, s:I, s:b, s:o, s:o}",
                              "exit_code", res.exit_code, "signal", res.signal, "timed_out", res.timed_out, "limit",
                              limit, "wall_ms", (json_int_t)res.wall_ms, "cpu_ms", (json_int_t)res.cpu_ms,
                              "max_rss_kb", (json_int_t)res.max_rss_kb, "stdout_bytes", (json_int_t)res.out.total,
                              "stdout_truncated", res.out.truncated, "stderr_bytes", (json_int_t)res.err.total,
                              "stderr_truncated", res.err.truncated, "stdout", json_text(res.out.data, res.out.len),
                              "stderr", json_text(res.err.data, res.err.len));
        json_object_set_new(o, "isolation", result_isolation_json(&res));
        json_dumpf(o, stdout, JSON_INDENT(2));
        putchar('\n');
        json_decref(o);
    } else {
        if (res.out.len)
            fwrite(res.out.data, 1, res.out.len, stdout);
        if (res.err.len)
            fwrite(res.err.data, 1, res.err.len, stderr);
        fprintf(stderr, "grader sandbox: exit %d, signal %d, limit %s%s, cpu %ld ms, wall %ld ms, max rss %ld KB\n"
                        "grader sandbox: isolation: %s\n",
                res.exit_code, res.signal, limit ? limit : "none", res.timed_out ? " (timed out)" : "",
                res.cpu_ms, res.wall_ms, res.max_rss_kb, res.isolation);
    }
    sandbox_result_free(&res);
    return 0;
}

/* grader doctor: what this machine gives the sandbox, read off a real run
 * (every layer is tried, not guessed from kernel versions). */
static int cmd_doctor(int argc, char **argv)
{
    if (argc > 1) {
        printf("usage: grader doctor\n\n"
               "Runs /bin/true in the sandbox and prints which isolation layers were\n"
               "active and why any was not, then the Python the grader would use.\n"
               "Exit status 0, or 3 when the sandbox cannot run at all.\n");
        return strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ? 0 : EXIT_USAGE;
    }
    const char *targv[] = {"/bin/true", NULL};
    const char *envp[] = {"PATH=/usr/bin:/bin", NULL};
    struct sandbox_spec spec = {.argv = targv, .envp = envp, .channel_fd = -1,
                                .limits = {.cpu_seconds = 5, .wall_seconds = 10, .memory_bytes = 256u << 20,
                                           .processes = 16, .output_bytes = 4096}};
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
    if (python_resolve(NULL, &py, err, sizeof err) == 0)
        printf("  %s (%s %s)\n", py.executable, py.implementation, py.version);
    else
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
