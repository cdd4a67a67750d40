/* batch.c: see batch.h.
 *
 * Durability is append + fsync of each result's line, by one journal
 * thread: a worker hands its line over and grades the next submission
 * while the disk works, and lines that arrive during one fsync share the
 * next.  A worker that waited for its own fsync (under the lock, as the
 * first version did) left its core idle for it, 0.6 to 5 ms each on this
 * machine's disk.  A crash loses the lines not yet written, which is what
 * it loses of results still being computed: --resume grades them again.
 * The order of lines on disk is the order results arrived in, and batch_finish
 * rewrites the file sorted by id (atomically: a temporary file and a
 * rename), which is what makes two runs' outputs byte-identical. */
#include "batch.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "gitsub.h"
#include "paths.h"
#include "report.h"
#include "runs.h"

#define MAX_ID 100
#define MANIFEST_MAX_FILES 10000

static void seterr(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- discovery ---------------------------------------------------------- */

static char *make_id(const char *name)
{
    size_t n = strlen(name);
    if (n > 4 && strcmp(name + n - 4, ".git") == 0)
        n -= 4;
    if (n > MAX_ID)
        n = MAX_ID;
    char *id = malloc(n + 2);
    if (!id)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_';
        id[i] = (char)(keep ? c : '_');
    }
    id[n] = '\0';
    if (n == 0 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0) {
        id[0] = '_';
        id[1] = '\0';
    }
    return id;
}

static const char *base_name(const char *path, char *buf, size_t len)
{
    snprintf(buf, len, "%s", path);
    size_t n = strlen(buf);
    while (n > 1 && buf[n - 1] == '/')
        buf[--n] = '\0';
    const char *slash = strrchr(buf, '/');
    return slash ? slash + 1 : buf;
}

/* A submission by itself (rather than a folder of them)? */
static bool is_submission(const char *path, const char *entry)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return false;
    if (!S_ISDIR(st.st_mode))
        return true;
    if (gitsub_is_repository(path))
        return true;
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", path, entry);
    return lstat(p, &st) == 0;
}

struct item_list {
    struct batch_item *v;
    size_t n, cap;
};

static int add_item(struct item_list *l, const char *path, const char *name_for_id)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 64;
        struct batch_item *v = realloc(l->v, cap * sizeof *v);
        if (!v)
            return -1;
        l->v = v;
        l->cap = cap;
    }
    char *id = make_id(name_for_id), *p = strdup(path);
    if (!id || !p) {
        free(id);
        free(p);
        return -1;
    }
    l->v[l->n].id = id;
    l->v[l->n].path = p;
    l->n++;
    return 0;
}

static int cmp_item(const void *a, const void *b)
{
    return strcmp(((const struct batch_item *)a)->id, ((const struct batch_item *)b)->id);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

void batch_items_free(struct batch_item *items, size_t count)
{
    for (size_t i = 0; items && i < count; i++) {
        free(items[i].id);
        free(items[i].path);
    }
    free(items);
}

int batch_discover(const char *const *paths, size_t npaths, const char *entry, struct batch_item **items, size_t *count,
                   char *err, size_t errlen)
{
    struct item_list l = {0};
    *items = NULL;
    *count = 0;
    for (size_t i = 0; i < npaths; i++) {
        const char *path = paths[i];
        struct stat st;
        char nb[PATH_MAX];
        if (lstat(path, &st) < 0) {
            seterr(err, errlen, "%s: %s", path, strerror(errno));
            goto fail;
        }
        if (is_submission(path, entry)) {
            const char *name = base_name(path, nb, sizeof nb);
            char parent[PATH_MAX];
            /* alice/leaky_app.py is alice's, not "leaky_app.py"'s */
            if (S_ISREG(st.st_mode) && strcmp(name, entry) == 0) {
                snprintf(parent, sizeof parent, "%s", path);
                char *slash = strrchr(parent, '/');
                if (slash && slash != parent) {
                    *slash = '\0';
                    name = base_name(parent, nb, sizeof nb);
                } else {
                    char cwd[PATH_MAX];
                    name = getcwd(cwd, sizeof cwd) ? base_name(cwd, nb, sizeof nb) : name;
                }
            } else if (S_ISREG(st.st_mode)) {
                char *dot = strrchr(nb, '.');
                if (dot && dot != name)
                    *dot = '\0';
            }
            if (add_item(&l, path, name) < 0)
                goto oom;
            continue;
        }
        DIR *d = opendir(path);
        if (!d) {
            seterr(err, errlen, "%s: %s", path, strerror(errno));
            goto fail;
        }
        char **names = NULL;
        size_t nn = 0, cap = 0;
        struct dirent *de;
        bool ok = true;
        while ((de = readdir(d)) != NULL) {
            if (de->d_name[0] == '.')
                continue;
            if (nn == cap) {
                cap = cap ? cap * 2 : 64;
                char **v = realloc(names, cap * sizeof *v);
                if (!v) {
                    ok = false;
                    break;
                }
                names = v;
            }
            if (!(names[nn] = strdup(de->d_name))) {
                ok = false;
                break;
            }
            nn++;
        }
        closedir(d);
        if (nn)
            qsort(names, nn, sizeof *names, cmp_str);
        for (size_t k = 0; ok && k < nn; k++) {
            char p[PATH_MAX];
            snprintf(p, sizeof p, "%s/%s", path, names[k]);
            char nm[PATH_MAX];
            snprintf(nm, sizeof nm, "%s", names[k]);
            /* The class folder is the instructor's: an entry linked from
             * elsewhere is followed (what is inside is never). */
            struct stat cst;
            char real[PATH_MAX];
            if (stat(p, &cst) < 0 || !realpath(p, real))
                continue;
            snprintf(p, sizeof p, "%s", real);
            if (!S_ISDIR(cst.st_mode)) {
                /* A file is a submission only as a script (alice.py):
                 * a README or a spreadsheet beside the folders is not. */
                size_t nl = strlen(nm);
                if (!S_ISREG(cst.st_mode) || nl < 4 || strcmp(nm + nl - 3, ".py") != 0)
                    continue;
                nm[nl - 3] = '\0';
            }
            if (add_item(&l, p, nm) < 0)
                ok = false;
        }
        for (size_t k = 0; k < nn; k++)
            free(names[k]);
        free(names);
        if (!ok)
            goto oom;
    }
    if (l.n)
        qsort(l.v, l.n, sizeof *l.v, cmp_item);
    for (size_t i = 1; i < l.n; i++) {
        if (strcmp(l.v[i].id, l.v[i - 1].id) == 0) {
            seterr(err, errlen,
                   "two submissions would both be called %s (%s and %s); rename one, since results are kept by id",
                   l.v[i].id, l.v[i - 1].path, l.v[i].path);
            goto fail;
        }
    }
    *items = l.v;
    *count = l.n;
    return 0;
oom:
    seterr(err, errlen, "out of memory");
fail:
    batch_items_free(l.v, l.n);
    return -1;
}

bool batch_in_shard(const char *id, unsigned k, unsigned n)
{
    /* FNV-1a, 64 bits: stable across machines and versions, unlike a
     * library's hash. */
    uint64_t h = 14695981039346656037ULL;
    for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
        h ^= *p;
        h *= 1099511628211ULL;
    }
    return n <= 1 || h % n == (uint64_t)(k - 1);
}

/* ---- the cache key ------------------------------------------------------ */

struct manifest {
    char *buf;
    size_t len, cap;
    size_t files;
    bool too_big;
};

static void manifest_add(struct manifest *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void manifest_add(struct manifest *m, const char *fmt, ...)
{
    va_list ap;
    for (;;) {
        va_start(ap, fmt);
        int n = vsnprintf(m->buf ? m->buf + m->len : NULL, m->buf ? m->cap - m->len : 0, fmt, ap);
        va_end(ap);
        if (n < 0) {
            m->too_big = true;
            return;
        }
        if (m->buf && m->len + (size_t)n < m->cap) {
            m->len += (size_t)n;
            return;
        }
        size_t cap = (m->cap ? m->cap * 2 : 4096) + (size_t)n;
        char *b = realloc(m->buf, cap);
        if (!b) {
            m->too_big = true;
            return;
        }
        m->buf = b;
        m->cap = cap;
    }
}

/* Every file beneath `dir` (never following a link; .git skipped, as the
 * runs skip it), in name order: path, kind, mode and content digest. */
// NOLINTNEXTLINE(misc-no-recursion): depth stops at 64
static void manifest_dir(struct manifest *m, const char *dir, const char *rel, int depth)
{
    if (depth > 64 || m->too_big)
        return;
    DIR *d = opendir(dir);
    if (!d) {
        m->too_big = true;
        return;
    }
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 || strcmp(de->d_name, ".git") == 0)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 32;
            char **v = realloc(names, cap * sizeof *v);
            if (!v)
                break;
            names = v;
        }
        if (!(names[n] = strdup(de->d_name)))
            break;
        n++;
    }
    closedir(d);
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    for (size_t i = 0; i < n; i++) {
        char p[PATH_MAX], r[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", dir, names[i]);
        snprintf(r, sizeof r, "%s%s%s", rel, *rel ? "/" : "", names[i]);
        struct stat st;
        if (++m->files > MANIFEST_MAX_FILES || lstat(p, &st) < 0) {
            m->too_big = true;
        } else if (S_ISDIR(st.st_mode)) {
            manifest_add(m, "d %s\n", r);
            manifest_dir(m, p, r, depth + 1);
        } else if (S_ISLNK(st.st_mode)) {
            char t[PATH_MAX];
            ssize_t len = readlink(p, t, sizeof t - 1);
            t[len > 0 ? len : 0] = '\0';
            manifest_add(m, "l %s %s\n", r, t);
        } else if (S_ISREG(st.st_mode)) {
            char h[DIGEST_HEX_LEN];
            if (digest_sha256_file_hex(p, h) < 0)
                m->too_big = true;
            else
                manifest_add(m, "f %s %o %s\n", r, (unsigned)(st.st_mode & 0777), h);
        }
        free(names[i]);
    }
    free(names);
}

/* The key of everything a result depends on, or false when the content
 * cannot be pinned down cheaply (then the submission is always graded). */
static bool cache_key(const struct grade_context *ctx, const char *path, char key[DIGEST_HEX_LEN])
{
    const struct grade_source *src = ctx->source;
    struct manifest m = {0};
    manifest_add(&m, "grader %s\nrubric %s\npython %s %s\nentry %s\n", GRADER_VERSION, ctx->rubric->sha256,
                 ctx->python ? ctx->python->executable : "-", ctx->python ? ctx->python->version : "-",
                 ctx->rubric->entry);
    /* The path too: a result names its submission's path and quotes it in
     * messages, so two students with the same files must not share one. */
    manifest_add(&m, "path %s\n", path);
    manifest_add(&m, "rev %s\ndeadline %lld %d\nbefore %d\nworktree %d\nindex %d\nstrict %d\ndisable %u\n",
                 src && src->rev ? src->rev : "-", src && src->has_deadline ? (long long)src->deadline : -1LL,
                 src ? src->deadline_offset : 0, src && src->before_first, src && src->worktree, src && src->index,
                 ctx->require_full, ctx->sandbox_disable);
    struct stat st;
    bool ok = lstat(path, &st) == 0;
    if (ok && gitsub_is_repository(path) && !(src && src->worktree)) {
        /* The commit pins the whole tree: reading it costs no export. */
        struct gitsub_options o = {.source = src && src->index ? GITSUB_FROM_INDEX : GITSUB_FROM_COMMIT,
                                   .rev = src ? src->rev : NULL,
                                   .has_deadline = src && src->has_deadline,
                                   .deadline = src ? src->deadline : 0,
                                   .want_first = src && src->before_first,
                                   .trust_owner = src && src->trust_owner};
        struct gitsub g;
        char msg[512];
        ok = gitsub_open(path, ctx->rubric->entry, &o, &g, msg, sizeof msg) == GITSUB_OK && g.has_commit &&
             !(src && src->index);
        if (ok)
            manifest_add(&m, "commit %s late %d %zu first %s\n", g.commit.id, g.late, g.later_commits,
                         g.has_first ? g.first.id : "-");
        gitsub_free(&g);
    } else if (ok && S_ISDIR(st.st_mode)) {
        manifest_dir(&m, path, "", 0);
    } else if (ok && S_ISREG(st.st_mode)) {
        char h[DIGEST_HEX_LEN];
        ok = digest_sha256_file_hex(path, h) == 0;
        if (ok)
            manifest_add(&m, "file %s\n", h);
    } else {
        ok = false;
    }
    ok = ok && !m.too_big && m.buf;
    if (ok)
        digest_sha256_hex(m.buf, m.len, key);
    free(m.buf);
    return ok;
}

/* ---- files -------------------------------------------------------------- */

/* Writes `len` bytes to `path` through a temporary file and a rename: a
 * reader sees the old file or the new one, never half.  Only for the cache,
 * so no fsync: after a crash an entry may be empty or gone, which reads as
 * a miss (the submission is graded again), and its row in results.jsonl
 * is what is durable. */
static int write_atomic(const char *path, const char *data, size_t len)
{
    char tmp[PATH_MAX + 16];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return -1;
    size_t off = 0;
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return -1;
        }
        off += (size_t)w;
    }
    if (close(fd) < 0 || rename(tmp, path) < 0) {
        unlink(tmp);
        return -1;
    }
    return 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    size_t r;
    while (buf && (r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) {
            char *b = realloc(buf, cap * 2 + 1);
            if (!b) {
                free(buf);
                buf = NULL;
                break;
            }
            buf = b;
            cap *= 2;
        }
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        *len = n;
    }
    return buf;
}

/* One line of results.jsonl: a complete object with a string "id", or
 * NULL (a line cut short by a crash). */
static json_t *parse_row(const char *line, size_t len)
{
    json_t *o = json_loadb(line, len, 0, NULL);
    if (!json_is_object(o) || !json_is_string(json_object_get(o, "id"))) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* ---- running ------------------------------------------------------------ */

struct shared {
    const struct batch_options *o;
    struct grade_context ctx; /* with the shared baseline */
    pthread_mutex_t lock;
    size_t next;     /* index of the next item to take */
    char **done_ids; /* sorted: rows results.jsonl already holds */
    size_t ndone;
    size_t todo; /* items this run must produce rows for */
    int out_fd;  /* results.jsonl, O_APPEND */
    char cache_dir[PATH_MAX];
    struct batch_summary *sum;
    size_t finished; /* rows this run handed to the journal */
    size_t failures; /* of them, not "graded" */
    struct timespec t0;
    long long last_line_ms;
    int write_errno; /* the first failure to write a row */
    /* The journal: lines (with their '\n') the journal thread has yet to
     * write, oldest first; `closing` once no worker will add any. */
    struct pending_line *pending, **pending_tail;
    bool closing, journal_threaded;
    pthread_cond_t wake;
};

struct pending_line {
    struct pending_line *next;
    size_t len;
    char *text; /* json_dumps's, its NUL made the line's '\n' */
};

static long long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)(t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

/* A bar on a terminal, redrawn in place; otherwise a plain line every 10
 * seconds or so, and one at the end.  Caller holds the lock. */
static void progress(struct shared *sh, bool final)
{
    const struct batch_options *o = sh->o;
    if (!o->log)
        return;
    long long ms = ms_since(&sh->t0);
    if (!o->progress_bar && !final && ms - sh->last_line_ms < 10000)
        return;
    sh->last_line_ms = ms;
    double rate = ms > 0 ? (double)sh->finished * 1000.0 / (double)ms : 0;
    size_t left = sh->todo > sh->finished ? sh->todo - sh->finished : 0;
    long long eta = rate > 0 ? (long long)((double)left / rate) : -1;
    char eta_text[32] = "?";
    if (eta >= 0)
        snprintf(eta_text, sizeof eta_text, "%lld:%02lld", eta / 60, eta % 60);
    if (o->progress_bar) {
        int width = 30, filled = sh->todo ? (int)(width * sh->finished / sh->todo) : width;
        char bar[64];
        for (int i = 0; i < width; i++)
            bar[i] = i < filled ? '#' : '.';
        bar[width] = '\0';
        fprintf(o->log, "\r[%s] %zu/%zu  %.1f/s  %s left  %zu not graded ", bar, sh->finished, sh->todo, rate, eta_text,
                sh->failures);
        if (final)
            fputc('\n', o->log);
    } else {
        fprintf(o->log, "grader batch: %zu/%zu done, %.1f per second, about %s left, %zu not graded\n", sh->finished,
                sh->todo, rate, eta_text, sh->failures);
    }
    fflush(o->log);
}

static bool already_done(const struct shared *sh, const char *id)
{
    return sh->ndone && bsearch(&id, sh->done_ids, sh->ndone, sizeof *sh->done_ids, cmp_str) != NULL;
}

/* Writes lines to results.jsonl and makes them durable; the first failure
 * goes into *err.  Called by the journal thread only (or by a worker
 * holding the lock when there is no such thread). */
static void write_lines(int fd, struct pending_line *list, int *err)
{
    for (struct pending_line *l = list; l && !*err; l = l->next) {
        size_t off = 0;
        while (off < l->len) {
            ssize_t w = write(fd, l->text + off, l->len - off);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0) {
                *err = w < 0 ? errno : EIO;
                break;
            }
            off += (size_t)w;
        }
    }
    if (list && !*err && fsync(fd) < 0)
        *err = errno;
}

static void free_lines(struct pending_line *l)
{
    while (l) {
        struct pending_line *next = l->next;
        free(l->text);
        free(l);
        l = next;
    }
}

static void *journal(void *arg)
{
    struct shared *sh = arg;
    pthread_mutex_lock(&sh->lock);
    for (;;) {
        while (!sh->pending && !sh->closing)
            pthread_cond_wait(&sh->wake, &sh->lock);
        struct pending_line *batch = sh->pending;
        sh->pending = NULL;
        sh->pending_tail = &sh->pending;
        if (!batch && sh->closing)
            break;
        pthread_mutex_unlock(&sh->lock);
        int e = 0;
        write_lines(sh->out_fd, batch, &e);
        free_lines(batch);
        pthread_mutex_lock(&sh->lock);
        if (e && !sh->write_errno)
            sh->write_errno = e;
    }
    pthread_mutex_unlock(&sh->lock);
    return NULL;
}

/* The row as one line, made by the worker before it takes the lock. */
static struct pending_line *row_line(json_t *row)
{
    char *text = json_dumps(row, JSON_COMPACT);
    struct pending_line *l = text ? malloc(sizeof *l) : NULL;
    if (!l) {
        free(text);
        return NULL;
    }
    size_t n = strlen(text);
    text[n] = '\n'; /* one write per line; the length is kept apart */
    *l = (struct pending_line){.next = NULL, .len = n + 1, .text = text};
    return l;
}

/* Hands one row's line to the journal (or, without its thread, writes it
 * and makes it durable now).  Caller holds the lock. */
static void append_row(struct shared *sh, struct pending_line *line)
{
    if (!line) {
        if (!sh->write_errno)
            sh->write_errno = ENOMEM;
        return;
    }
    if (!sh->journal_threaded) {
        int e = 0;
        write_lines(sh->out_fd, line, &e);
        free_lines(line);
        if (e && !sh->write_errno)
            sh->write_errno = e;
        return;
    }
    *sh->pending_tail = line;
    sh->pending_tail = &line->next;
    pthread_cond_signal(&sh->wake);
}

static json_t *grade_one(struct shared *sh, const struct batch_item *it, bool *from_cache)
{
    char key[DIGEST_HEX_LEN];
    bool keyed = cache_key(&sh->ctx, it->path, key);
    char cpath[PATH_MAX + 80];
    *from_cache = false;
    if (keyed) {
        snprintf(cpath, sizeof cpath, "%s/%s.json", sh->cache_dir, key);
        size_t len;
        char *text = read_file(cpath, &len);
        json_t *cached = text ? json_loadb(text, len, 0, NULL) : NULL;
        free(text);
        if (json_is_object(cached)) {
            *from_cache = true;
            return cached;
        }
        json_decref(cached);
    }
    json_t *result = NULL;
    char err[2048] = "";
    enum grade_exit rc = grade_submission(&sh->ctx, it->path, &result, err, sizeof err);
    if (!result)
        /* Bad input for this one submission (it vanished, or is not a
         * repository when the batch grades commits): a row, not an abort. */
        result = grade_result_without_runs(&sh->ctx, it->path, rc == GRADE_EXIT_USAGE ? "invalid" : "error", err);
    if (!result)
        return NULL;
    /* Only verdicts are cached: a grader failure is worth trying again. */
    if (keyed && rc == GRADE_EXIT_VERDICT) {
        char *text = json_dumps(result, JSON_COMPACT);
        if (text)
            write_atomic(cpath, text, strlen(text));
        free(text);
    }
    return result;
}

static void *worker(void *arg)
{
    struct shared *sh = arg;
    const struct batch_options *o = sh->o;
    for (;;) {
        pthread_mutex_lock(&sh->lock);
        size_t i = sh->next;
        bool stop = (o->stop && *o->stop) || sh->write_errno;
        if (!stop && i < o->count)
            sh->next++;
        pthread_mutex_unlock(&sh->lock);
        if (stop || i >= o->count)
            return NULL;
        const struct batch_item *it = &o->items[i];
        if (already_done(sh, it->id))
            continue;
        bool from_cache;
        json_t *row = grade_one(sh, it, &from_cache);
        struct pending_line *line = NULL;
        if (row) {
            json_object_set_new(row, "id", json_string(it->id));
            line = row_line(row);
        }
        pthread_mutex_lock(&sh->lock);
        if (!row) {
            if (!sh->write_errno)
                sh->write_errno = ENOMEM;
        } else {
            append_row(sh, line);
            const char *st = json_string_value(json_object_get(row, "status"));
            st = st ? st : "error";
            if (strcmp(st, "graded") == 0)
                sh->sum->graded++;
            else if (strcmp(st, "invalid") == 0)
                sh->sum->invalid++;
            else
                sh->sum->errors++;
            sh->failures += strcmp(st, "graded") != 0;
            sh->sum->from_cache += from_cache;
            sh->finished++;
            progress(sh, false);
        }
        pthread_mutex_unlock(&sh->lock);
        json_decref(row);
    }
}

/* Reads the ids results.jsonl already holds, and cuts off a last line a
 * crash left half-written, so that appending goes on cleanly. */
/* A kept row must come from what this run grades with, or the batch would
 * mix two gradings of the class. */
static const char *row_mismatch(const struct grade_context *ctx, json_t *row)
{
    const char *sha = json_string_value(json_object_get(json_object_get(row, "rubric"), "sha256"));
    const char *gv = json_string_value(json_object_get(json_object_get(row, "grader"), "version"));
    json_t *py = json_object_get(row, "python");
    const char *pv = json_string_value(json_object_get(py, "version"));
    const char *pe = json_string_value(json_object_get(py, "executable"));
    if (!sha || strcmp(sha, ctx->rubric->sha256) != 0)
        return "another rubric";
    if (!gv || strcmp(gv, GRADER_VERSION) != 0)
        return "another version of grader";
    if (json_is_object(py) && ctx->python &&
        (!pv || !pe || strcmp(pv, ctx->python->version) != 0 || strcmp(pe, ctx->python->executable) != 0))
        return "another Python";
    return NULL;
}

static int load_done(struct shared *sh, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT)
            return 0;
        seterr(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    char *line = NULL;
    size_t cap = 0, idcap = 0;
    ssize_t l;
    off_t good = 0, end = 0;
    int rc = 0;
    while ((l = getline(&line, &cap, f)) > 0) {
        end += l;
        if (line[l - 1] != '\n')
            break; /* no newline: cut short by a crash */
        json_t *row = parse_row(line, (size_t)l - 1);
        if (!row)
            break; /* everything after a damaged line is suspect */
        const char *why = row_mismatch(&sh->ctx, row);
        if (why) {
            seterr(err, errlen,
                   "%s: the row for %s was graded with %s than this run; --resume only finishes a batch with the "
                   "same rubric, grader and Python (start a new OUTDIR, or drop --resume: unchanged results "
                   "still come from the cache)",
                   path, json_string_value(json_object_get(row, "id")), why);
            json_decref(row);
            rc = -2;
            break;
        }
        if (sh->ndone == idcap) {
            idcap = idcap ? idcap * 2 : 256;
            char **v = realloc(sh->done_ids, idcap * sizeof *v);
            if (!v) {
                json_decref(row);
                seterr(err, errlen, "out of memory");
                rc = -1;
                break;
            }
            sh->done_ids = v;
        }
        sh->done_ids[sh->ndone++] = strdup(json_string_value(json_object_get(row, "id")));
        json_decref(row);
        good = end;
    }
    free(line);
    fclose(f);
    if (rc == 0) {
        struct stat st;
        if (stat(path, &st) == 0 && st.st_size > good && truncate(path, good) < 0) {
            seterr(err, errlen, "cannot repair %s: %s", path, strerror(errno));
            rc = -1;
        }
    }
    if (sh->ndone)
        qsort(sh->done_ids, sh->ndone, sizeof *sh->done_ids, cmp_str);
    return rc;
}

int batch_run(const struct batch_options *o, struct batch_summary *sum, char *err, size_t errlen)
{
    memset(sum, 0, sizeof *sum);
    sum->total = o->count;
    struct shared sh;
    memset(&sh, 0, sizeof sh);
    sh.o = o;
    sh.ctx = *o->ctx;
    sh.sum = sum;
    sh.out_fd = -1;
    pthread_mutex_init(&sh.lock, NULL);
    pthread_cond_init(&sh.wake, NULL);
    sh.pending_tail = &sh.pending;
    clock_gettime(CLOCK_MONOTONIC, &sh.t0);
    int rc = -1;
    struct run_record base[RUN_KINDS];
    memset(base, 0, sizeof base);
    bool have_base = false;

    char path[PATH_MAX + 32];
    if (o->cache_dir)
        snprintf(sh.cache_dir, sizeof sh.cache_dir, "%s", o->cache_dir);
    else
        snprintf(sh.cache_dir, sizeof sh.cache_dir, "%s/cache", o->outdir);
    if (paths_mkdir_p(o->outdir) < 0 || paths_mkdir_p(sh.cache_dir) < 0) {
        seterr(err, errlen, "cannot create %s: %s", sh.cache_dir, strerror(errno));
        goto out;
    }
    snprintf(path, sizeof path, "%s/results.jsonl", o->outdir);
    if (o->resume) {
        int lr = load_done(&sh, path, err, errlen);
        if (lr < 0) {
            rc = lr;
            goto out;
        }
    } else if (unlink(path) < 0 && errno != ENOENT) {
        seterr(err, errlen, "cannot start a new %s: %s", path, strerror(errno));
        goto out;
    }
    sh.out_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (sh.out_fd < 0) {
        seterr(err, errlen, "cannot open %s: %s", path, strerror(errno));
        goto out;
    }
    for (size_t i = 0; i < o->count; i++)
        sh.todo += !already_done(&sh, o->items[i].id);
    sum->resumed = o->count - sh.todo;

    /* The rubric's baseline runs once for the whole batch (not with
     * --before first, where every student's own first version is the
     * "before").  Its isolation decides strict mode when asked to. */
    if (sh.todo && sh.ctx.python && !(sh.ctx.source && sh.ctx.source->before_first)) {
        struct runs_config cfg = {.python = sh.ctx.python,
                                  .probe_script = sh.ctx.probe_script,
                                  .probe_code = sh.ctx.probe_code,
                                  .require_full = sh.ctx.require_full,
                                  .disable = sh.ctx.sandbox_disable,
                                  .rubric = sh.ctx.rubric,
                                  .before_only = true};
        char msg[1024];
        if (runs_execute(&cfg, base, msg, sizeof msg) < 0) {
            seterr(err, errlen, "the baseline run failed, so no submission can be graded: %s", msg);
            runs_free(base);
            goto out;
        }
        have_base = true;
        sh.ctx.shared_before = &base[RUN_BEFORE_KIND];
        if (o->auto_strict && strcmp(base[RUN_BEFORE_KIND].sb.level, "full") == 0)
            sh.ctx.require_full = true;
    }
    sum->strict = sh.ctx.require_full;
    if (o->log && sh.todo)
        fprintf(o->log, "grader batch: %zu submissions to grade (%zu already done), %u workers, %s isolation\n",
                sh.todo, sum->resumed, o->jobs, sh.ctx.require_full ? "strict" : "best available");

    unsigned jobs = o->jobs ? o->jobs : 1;
    pthread_t *th = calloc(jobs, sizeof *th);
    bool *started = calloc(jobs, sizeof *started);
    if (!th || !started) {
        free(th);
        free(started);
        seterr(err, errlen, "out of memory");
        goto out;
    }
    /* libgit2 stays started while the workers live: see gitsub_hold. */
    bool git_held = gitsub_hold() == 0;
    pthread_t journal_th;
    sh.journal_threaded = pthread_create(&journal_th, NULL, journal, &sh) == 0;
    for (unsigned j = 0; j < jobs; j++)
        started[j] = pthread_create(&th[j], NULL, worker, &sh) == 0;
    bool any = false;
    for (unsigned j = 0; j < jobs; j++)
        any |= started[j];
    if (!any)
        worker(&sh); /* no thread could start: grade in this one */
    for (unsigned j = 0; j < jobs; j++)
        if (started[j])
            pthread_join(th[j], NULL);
    if (sh.journal_threaded) {
        /* Every line handed over is written before the batch goes on. */
        pthread_mutex_lock(&sh.lock);
        sh.closing = true;
        pthread_cond_signal(&sh.wake);
        pthread_mutex_unlock(&sh.lock);
        pthread_join(journal_th, NULL);
    }
    if (git_held)
        gitsub_release();
    free(th);
    free(started);
    pthread_mutex_lock(&sh.lock);
    if (sh.todo)
        progress(&sh, true);
    pthread_mutex_unlock(&sh.lock);

    if (sh.write_errno) {
        seterr(err, errlen, "cannot write %s: %s", path, strerror(sh.write_errno));
        goto out;
    }
    sum->interrupted = sh.finished < sh.todo;
    sum->done = sum->resumed + sh.finished;
    rc = 0;
out:
    if (sh.out_fd >= 0)
        close(sh.out_fd);
    if (have_base)
        runs_free(base);
    for (size_t i = 0; i < sh.ndone; i++)
        free(sh.done_ids[i]);
    free(sh.done_ids);
    pthread_cond_destroy(&sh.wake);
    pthread_mutex_destroy(&sh.lock);
    return rc;
}

/* ---- finishing ---------------------------------------------------------- */

/* Where one row lies: which source file, at which offset, how long. */
struct row_ref {
    char *id;
    size_t src;
    off_t off;
    size_t len;
    int slim; /* which of rows.slim holds its slim form (collect), or -1 */
    off_t slim_off;
    size_t slim_len;
};

static int cmp_row(const void *a, const void *b)
{
    return strcmp(((const struct row_ref *)a)->id, ((const struct row_ref *)b)->id);
}

/* What the reports read of a row, and no more.  Rows stay on disk: the
 * reports read them one at a time (report_rows), so a class of thousands
 * costs the grader no memory per submission beyond its id and offset. */
static json_t *slim(json_t *row)
{
    static const char *const keep[] = {"id",       "status",     "message", "score",  "max_score",
                                       "criteria", "submission", "rubric",  "python", "grader"};
    static const char *const run_keep[] = {"wall_ms", "cpu_ms", "exit_code", "signal", "limit", "timed_out"};
    json_t *s = json_object();
    for (size_t i = 0; s && i < sizeof keep / sizeof *keep; i++) {
        json_t *v = json_object_get(row, keep[i]);
        if (v)
            json_object_set(s, keep[i], v);
    }
    json_t *runs = json_object_get(row, "runs"), *sr = json_object();
    const char *name;
    json_t *run;
    json_object_foreach(runs, name, run) {
        json_t *r = json_object();
        for (size_t i = 0; r && i < sizeof run_keep / sizeof *run_keep; i++) {
            json_t *v = json_object_get(run, run_keep[i]);
            if (v)
                json_object_set(r, run_keep[i], v);
        }
        json_object_set_new(sr, name, r);
    }
    json_object_set_new(s, "runs", sr);
    json_t *level = json_object_get(json_object_get(row, "isolation"), "level");
    if (level)
        json_object_set_new(s, "isolation", json_pack("{s:O}", "level", level));
    json_decref(row);
    return s;
}

/* Threads that parse the rows at the end of a batch, each with a scratch
 * file of its own for their slim forms. */
#define PARSE_THREADS 2

struct rows {
    struct row_ref *refs;
    size_t n, cap;
    int slim[PARSE_THREADS]; /* unnamed scratch files (O_TMPFILE), or -1 */
    off_t slim_end[PARSE_THREADS];
};

/* `scratch`: the folder for the slim rows' files, or NULL for none (the
 * reports then read whole rows, or finish_rows makes the slim forms). */
static void rows_init(struct rows *r, const char *scratch)
{
    memset(r, 0, sizeof *r);
    for (int t = 0; t < PARSE_THREADS; t++)
        r->slim[t] = scratch ? open(scratch, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600) : -1;
}

static void rows_free(struct rows *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->refs[i].id);
    free(r->refs);
    for (int t = 0; t < PARSE_THREADS; t++)
        if (r->slim[t] >= 0)
            close(r->slim[t]);
    memset(r, 0, sizeof *r);
}

/* One line of a source file: where (the first pass), and what the parse
 * found (the second). */
struct line_slot {
    off_t off;
    size_t len;
    char *id;        /* NULL: not a row (skipped) */
    char *other_sha; /* merge: the rubric of a row from another one */
    bool oom;
    int slim;
    off_t slim_off;
    size_t slim_len;
};

struct parse_job {
    struct rows *rows;
    int fd;
    struct line_slot *lines;
    size_t n;
    const struct rubric *rb;
    int t; /* this thread's lines: t, t + PARSE_THREADS, ... */
};

static void parse_one(struct parse_job *j, struct line_slot *l, const char *text)
{
    json_t *row = parse_row(text, l->len);
    if (!row)
        return;
    l->id = strdup(json_string_value(json_object_get(row, "id")));
    if (!l->id) {
        l->oom = true;
        json_decref(row);
        return;
    }
    if (j->rb) {
        const char *sha = json_string_value(json_object_get(json_object_get(row, "rubric"), "sha256"));
        if (!sha || strcmp(sha, j->rb->sha256) != 0) {
            l->other_sha = strdup(sha ? sha : "(none)");
            json_decref(row);
            return;
        }
    }
    int fd = j->rows->slim[j->t];
    if (fd < 0) {
        json_decref(row);
        return;
    }
    json_t *sl = slim(row);
    char *dump = sl ? json_dumps(sl, JSON_COMPACT) : NULL;
    json_decref(sl);
    size_t n = dump ? strlen(dump) : 0;
    if (dump && pwrite(fd, dump, n, j->rows->slim_end[j->t]) == (ssize_t)n) {
        l->slim = j->t;
        l->slim_off = j->rows->slim_end[j->t];
        l->slim_len = n;
        j->rows->slim_end[j->t] += (off_t)n;
    }
    free(dump);
}

static void *parse_lines(void *arg)
{
    struct parse_job *j = arg;
    char *buf = NULL;
    size_t cap = 0;
    for (size_t i = (size_t)j->t; i < j->n; i += PARSE_THREADS) {
        struct line_slot *l = &j->lines[i];
        if (l->len + 1 > cap) {
            char *b = realloc(buf, l->len + 1);
            if (!b) {
                l->oom = true;
                continue;
            }
            buf = b;
            cap = l->len + 1;
        }
        if (pread(j->fd, buf, l->len, l->off) == (ssize_t)l->len)
            parse_one(j, l, buf);
    }
    free(buf);
    return NULL;
}

/* Reads the rows of one file: a first pass finds the lines, then
 * PARSE_THREADS threads parse them, each writing the slim forms of its
 * rows to its scratch file (rows.slim).  Parsing each row once, on every
 * core, was most of the time between a batch's last run and its exit.
 * With `rb`, every row must come from that rubric (merge).  0, or -1 with
 * err set. */
static int collect(struct rows *rows, size_t src, FILE *f, const char *path, const struct rubric *rb, char *err,
                   size_t errlen)
{
    struct line_slot *lines = NULL;
    size_t n = 0, cap = 0;
    char *line = NULL;
    size_t lcap = 0;
    ssize_t l;
    off_t off = 0;
    int rc = 0;
    while ((l = getline(&line, &lcap, f)) > 0) {
        if (n == cap) {
            size_t nc = cap ? cap * 2 : 256;
            struct line_slot *v = realloc(lines, nc * sizeof *v);
            if (!v) {
                rc = -1;
                break;
            }
            lines = v;
            cap = nc;
        }
        bool complete = line[l - 1] == '\n';
        lines[n++] = (struct line_slot){.off = off, .len = (size_t)l - complete, .slim = -1};
        off += (off_t)l;
    }
    free(line);
    if (rc == 0) {
        struct parse_job jobs[PARSE_THREADS];
        pthread_t th[PARSE_THREADS];
        bool started[PARSE_THREADS];
        for (int t = 0; t < PARSE_THREADS; t++) {
            jobs[t] = (struct parse_job){rows, fileno(f), lines, n, rb, t};
            started[t] = t > 0 && pthread_create(&th[t], NULL, parse_lines, &jobs[t]) == 0;
        }
        parse_lines(&jobs[0]);
        for (int t = 1; t < PARSE_THREADS; t++) {
            if (started[t])
                pthread_join(th[t], NULL);
            else
                parse_lines(&jobs[t]);
        }
    }
    size_t need = rows->n + n;
    if (rc == 0 && need > rows->cap) {
        struct row_ref *v = realloc(rows->refs, need * sizeof *v);
        if (!v)
            rc = -1;
        else {
            rows->refs = v;
            rows->cap = need;
        }
    }
    if (rc < 0)
        seterr(err, errlen, "out of memory");
    for (size_t i = 0; i < n; i++) {
        struct line_slot *ls = &lines[i];
        if (rc == 0 && ls->oom) {
            seterr(err, errlen, "out of memory");
            rc = -1;
        }
        if (rc == 0 && ls->other_sha) {
            seterr(err, errlen, "%s: %s was graded with rubric %.12s, not %.12s (%s): merge only shards of one rubric",
                   path, ls->id ? ls->id : "a row", ls->other_sha, rb->sha256, rb->path);
            rc = -1;
        }
        if (rc == 0 && ls->id) {
            rows->refs[rows->n++] = (struct row_ref){.id = ls->id,
                                                     .src = src,
                                                     .off = ls->off,
                                                     .len = ls->len,
                                                     .slim = ls->slim,
                                                     .slim_off = ls->slim_off,
                                                     .slim_len = ls->slim_len};
            ls->id = NULL;
        }
        free(ls->id);
        free(ls->other_sha);
    }
    free(lines);
    return rc;
}

/* OUTDIR/submissions/ID of ids the rows no longer hold: an earlier class's
 * feedback must not be uploaded with this one's.  Our own output, written
 * without links; a depth-first walk that does not follow links removes it. */
static void remove_stale(const char *outdir, const struct rows *rows)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s/submissions", outdir);
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *de;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        /* refs are sorted by id */
        struct row_ref key = {.id = de->d_name};
        bool keep = rows->n && bsearch(&key, rows->refs, rows->n, sizeof *rows->refs, cmp_row) != NULL;
        char p[PATH_MAX + 256];
        if (!keep && (size_t)snprintf(p, sizeof p, "%s/%s", dir, de->d_name) < sizeof p)
            paths_remove_tree(p);
    }
    closedir(d);
}

struct row_source {
    const struct rows *rows;
    FILE **srcs;
};

/* report_rows.get: row i of the sorted refs, slimmed.  Two threads of the
 * reports call it at once (report.c's write_all_b): nothing here is
 * shared but the descriptors, which pread does not move. */
static json_t *row_get(void *ctx, size_t i)
{
    const struct row_source *rs = ctx;
    const struct row_ref *r = &rs->rows->refs[i];
    char *buf = malloc(r->len + 1);
    if (!buf)
        return NULL;
    json_t *row = NULL;
    if (pread(fileno(rs->srcs[r->src]), buf, r->len, r->off) == (ssize_t)r->len)
        row = parse_row(buf, r->len);
    free(buf);
    return row ? slim(row) : NULL;
}

/* The slim form of row r (one full row as read) appended to slim_fd at
 * *slim_off, its place recorded in *out.  0, or -1 (the caller then gives
 * up on slim rows). */
static int put_slim(int slim_fd, off_t *slim_off, const struct row_ref *r, const char *text, struct row_ref *out)
{
    json_t *row = parse_row(text, r->len);
    json_t *s = row ? slim(row) : NULL;
    char *dump = s ? json_dumps(s, JSON_COMPACT) : NULL;
    json_decref(s);
    if (!dump)
        return -1;
    size_t n = strlen(dump);
    bool ok = pwrite(slim_fd, dump, n, *slim_off) == (ssize_t)n;
    free(dump);
    if (!ok)
        return -1;
    *out = (struct row_ref){.id = r->id, .src = 0, .off = *slim_off, .len = n};
    *slim_off += (off_t)n;
    return 0;
}

static void close_files(FILE **f, int n)
{
    for (int i = 0; i < n; i++)
        if (f[i])
            fclose(f[i]);
}

/* Writes the rows sorted by id into results.jsonl (atomically), copying
 * each from its source, then the reports.  The reports read every row a
 * dozen times (the CSVs, each part of the HTML, the files of each
 * submission), and most of a row is the runtime's record, which they never
 * read: so each row is parsed once here, and its slim form goes into an
 * unnamed scratch file in OUTDIR that the reports read instead.  Parsing
 * whole rows again and again was the larger part of a batch's last
 * second. */
static int finish_rows(const struct rubric *rb, const char *outdir, struct rows *rows, FILE **srcs, char *err,
                       size_t errlen)
{
    if (rows->n)
        qsort(rows->refs, rows->n, sizeof *rows->refs, cmp_row);
    for (size_t i = 1; i < rows->n; i++) {
        if (strcmp(rows->refs[i].id, rows->refs[i - 1].id) == 0) {
            seterr(err, errlen, "the id %s has two rows; the results cannot be combined", rows->refs[i].id);
            return -1;
        }
    }
    char path[PATH_MAX + 32], tmp[PATH_MAX + 64];
    snprintf(path, sizeof path, "%s/results.jsonl", outdir);
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *out = fopen(tmp, "w");
    if (!out) {
        seterr(err, errlen, "cannot write %s: %s", path, strerror(errno));
        return -2;
    }
    char *buf = NULL;
    size_t bufcap = 0;
    bool ok = true;
    /* The slim forms collect made, when every row has one; else they are
     * made here, one row after the other.  No scratch file at all (a file
     * system without O_TMPFILE): the reports read the whole rows. */
    bool collected = true;
    for (size_t i = 0; collected && i < rows->n; i++)
        collected = rows->refs[i].slim >= 0;
    int slim_fd = collected ? -1 : open(outdir, O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
    struct row_ref *slim_refs = collected || slim_fd >= 0 ? calloc(rows->n ? rows->n : 1, sizeof *slim_refs) : NULL;
    off_t slim_off = 0;
    if (!slim_refs && slim_fd >= 0) {
        close(slim_fd);
        slim_fd = -1;
    }
    if (!slim_refs)
        collected = false;
    for (size_t i = 0; collected && i < rows->n; i++) {
        const struct row_ref *r = &rows->refs[i];
        slim_refs[i] = (struct row_ref){.id = r->id, .src = (size_t)r->slim, .off = r->slim_off, .len = r->slim_len};
    }
    for (size_t i = 0; ok && i < rows->n; i++) {
        const struct row_ref *r = &rows->refs[i];
        if (r->len + 1 > bufcap) {
            char *b = realloc(buf, r->len + 1);
            if (!b) {
                ok = false;
                break;
            }
            buf = b;
            bufcap = r->len + 1;
        }
        ok = pread(fileno(srcs[r->src]), buf, r->len, r->off) == (ssize_t)r->len &&
             fwrite(buf, 1, r->len, out) == r->len && fputc('\n', out) != EOF;
        if (ok && slim_fd >= 0 && put_slim(slim_fd, &slim_off, r, buf, &slim_refs[i]) < 0) {
            close(slim_fd);
            slim_fd = -1;
        }
    }
    free(buf);
    /* The reports read slim rows through these, by row_ref.src. */
    FILE *slim_files[PARSE_THREADS] = {NULL};
    bool slim_ok = false;
    if (collected) {
        slim_ok = true;
        for (int t = 0; t < PARSE_THREADS; t++) {
            if (rows->slim[t] < 0)
                continue;
            slim_files[t] = fdopen(rows->slim[t], "r");
            if (slim_files[t])
                rows->slim[t] = -1; /* the FILE owns it now */
            else
                slim_ok = false;
        }
    } else if (slim_fd >= 0) {
        slim_files[0] = fdopen(slim_fd, "r");
        slim_ok = slim_files[0] != NULL;
        if (!slim_ok)
            close(slim_fd);
    }
    if (!ok || fflush(out) != 0 || fsync(fileno(out)) != 0) {
        seterr(err, errlen, "cannot write %s: %s", path, strerror(errno ? errno : EIO));
        fclose(out);
        unlink(tmp);
        close_files(slim_files, PARSE_THREADS);
        free(slim_refs);
        return -2;
    }
    if (fclose(out) != 0 || rename(tmp, path) < 0) {
        seterr(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        close_files(slim_files, PARSE_THREADS);
        free(slim_refs);
        return -2;
    }
    /* The reports list submissions in id order too, reading each row again
     * (slim, or else from the file it came from). */
    struct rows slim_rows = {.refs = slim_refs, .n = rows->n, .cap = rows->n};
    struct row_source rs = {slim_ok ? &slim_rows : rows, slim_ok ? slim_files : srcs};
    struct report_rows rr = {rows->n, row_get, &rs};
    int rc = report_write_rows(rb, &rr, outdir, err, errlen);
    close_files(slim_files, PARSE_THREADS);
    free(slim_refs); /* the ids are rows' */
    if (rc == 0)
        remove_stale(outdir, rows);
    return rc < 0 ? -2 : 0;
}

int batch_finish(const struct rubric *rb, const char *outdir, char *err, size_t errlen)
{
    char path[PATH_MAX + 32];
    snprintf(path, sizeof path, "%s/results.jsonl", outdir);
    FILE *f = fopen(path, "r");
    if (!f) {
        seterr(err, errlen, "cannot read %s: %s", path, strerror(errno));
        return -1;
    }
    struct rows rows;
    rows_init(&rows, outdir);
    int rc = collect(&rows, 0, f, path, NULL, err, errlen);
    if (rc == 0)
        rc = finish_rows(rb, outdir, &rows, &f, err, errlen);
    rows_free(&rows);
    fclose(f);
    return rc;
}

int batch_merge(const struct rubric *rb, const char *const *shards, size_t n, const char *outdir, char *err,
                size_t errlen)
{
    // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers
    FILE **srcs = calloc(n ? n : 1, sizeof *srcs);
    struct rows rows;
    rows_init(&rows, NULL); /* OUTDIR is made after every shard is checked */
    int rc = -1;
    if (!srcs) {
        seterr(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        char path[PATH_MAX + 32];
        snprintf(path, sizeof path, "%s/results.jsonl", shards[i]);
        srcs[i] = fopen(path, "r");
        if (!srcs[i]) {
            seterr(err, errlen, "cannot read %s: %s", path, strerror(errno));
            goto out;
        }
        if (collect(&rows, i, srcs[i], path, rb, err, errlen) < 0)
            goto out;
    }
    if (paths_mkdir_p(outdir) < 0) {
        seterr(err, errlen, "cannot create %s: %s", outdir, strerror(errno));
        rc = -2;
        goto out;
    }
    rc = finish_rows(rb, outdir, &rows, srcs, err, errlen);
out:
    for (size_t i = 0; srcs && i < n; i++)
        if (srcs[i])
            fclose(srcs[i]);
    free(srcs);
    rows_free(&rows);
    return rc;
}
