/* fuzz_submission.c: the two submission readers on inputs a student controls.
 *
 * The first byte's low bit picks the reader.
 *
 * Folder reader (submission_open, grader/submission.h), low bit 0.
 *   byte 0, bits 1-2: what to open: 0 the folder, 1 <folder>/leaky_app.py,
 *                     2 the first record's path, 3 a path that does not exist
 *   then records, until the input ends:
 *     type (u8 % 6): 0 file, 1 folder, 2 symbolic link (content = target),
 *                    3 named pipe, 4 leaky_app.py itself (no name field),
 *                    5 a sparse file of 1 MiB - 128 + u8 bytes (the size cap)
 *     name: u8 length, bytes (types 0-3, 5); NUL becomes 'x', components
 *           "", "." and ".." are dropped, 8 levels at most, an empty name
 *           is leaky_app.py: every path stays inside the fresh folder
 *     content: u16 length (% 4096), bytes (types 0, 2, 4)
 *   Expected: no crash; OK only for a regular file (never through a link)
 *   whose bytes and sha256 are what is on disk; NOT_FOUND only for a path
 *   that does not exist; no ERROR; a message without control characters.
 *
 * Git reader (gitsub_open, grader/gitsub.h), low bit 1.  A small repository
 * is made once with libgit2: commit 1 (leaky_app.py as in the lesson),
 * commit 2 (the fix, helpers/util.py, an executable run.sh, a symbolic link,
 * a lightweight tag v1 on commit 1), the index from commit 2, HEAD on
 * refs/heads/main, every object loose; and the same repository packed (one
 * pack, packed-refs), as a clone from a forge leaves it.  Before each run
 * ONE of the chosen repository's files is replaced by the input, and put
 * back after:
 *   byte 0, bit 1: source index (else commit); bit 2: want_first;
 *           bit 3: a deadline between the two commits; bit 4: rev "v1",
 *           or with bit 3 too "main~1"; bit 5: export to a fresh folder;
 *           bit 6: deflate the content (a loose object as git writes it:
 *           the input is "<type> <size>\0<body>"); bit 7: the packed one
 *   byte 1: which file (% the number of files, see make_repository)
 *   byte 2: bit 7: a consistent forgery: libgit2's object hash check is off
 *           for this run and an index gets a correct checksum, as a student
 *           who rehashes what they forge would have them (so that changed
 *           trees, commits and indexes are read, not refused as corrupt);
 *           bits 0-6, with bit 6 of byte 0: drop this many bytes from the
 *           end of the zlib stream
 *   the rest: the file's new content
 *   Expected: no crash or hang (libFuzzer's -timeout), no leak; OK gives
 *   the entry's bytes and their sha256; nothing is written outside the
 *   export folder; the message has no control characters (gitsub.c's own
 *   promise: "control bytes must not reach the instructor's terminal").
 *
 * FUZZ_SUBMISSION_SEEDS=DIR writes the seed corpus (one input per file of
 * the repository, as found, plus hand-made folder trees) into DIR and exits. */
#include "digest.h"
#include "fuzz_common.h"
#include "gitsub.h"
#include "submission.h"

#include <dirent.h>
#include <git2.h>
#include <openssl/evp.h>
#include <zlib.h>

#define MSG_LEN 2048 /* as grade.c's msg */
#define ENTRY "leaky_app.py"

static char base[PATH_MAX];     /* the target's temporary folder */
static char tree_dir[PATH_MAX]; /* folder reader: rebuilt for each input */
static char export_dir[PATH_MAX];
static int64_t t0 = 1763600000; /* commit 1's time; commit 2 is 100 s later */

/* ---- the repository ----------------------------------------------------- */

struct git_file {
    char rel[128]; /* relative to .git */
    char *orig;    /* original bytes, NULL when the file does not exist */
    size_t orig_len;
    bool object;  /* a loose object: seeds are its inflated content */
    char type[8]; /* its type, for an object */
};

#define MAX_GIT_FILES 24
struct repo {
    char dir[PATH_MAX]; /* the work tree */
    char git_dir[PATH_MAX];
    struct git_file files[MAX_GIT_FILES];
    size_t nfiles;
};
/* [0]: every object loose, refs loose; [1]: one pack, packed-refs. */
static struct repo repos[2];

static void add_git_file(struct repo *r, const char *rel, bool object)
{
    if (r->nfiles == MAX_GIT_FILES)
        fz_fail("too many repository files");
    struct git_file *f = &r->files[r->nfiles++];
    snprintf(f->rel, sizeof f->rel, "%s", rel);
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", r->git_dir, rel);
    f->orig = fz_read_file(p, &f->orig_len);
    f->object = object;
    if (f->orig)
        chmod(p, 0644); /* libgit2 writes objects read-only */
    if (object && f->orig) {
        unsigned char head[16];
        uLongf n = sizeof head;
        /* Z_BUF_ERROR: only the start fits, which is all we want. */
        int zrc = uncompress(head, &n, (const Bytef *)f->orig, (uLong)f->orig_len);
        if (zrc != Z_OK && zrc != Z_BUF_ERROR)
            fz_fail("cannot read the type of %s", rel);
        sscanf((const char *)head, "%7s", f->type);
    }
}

static void object_rel(const git_oid *id, char *rel, size_t len)
{
    char hex[GIT_OID_HEXSZ + 1];
    git_oid_tostr(hex, sizeof hex, id);
    snprintf(rel, len, "objects/%.2s/%s", hex, hex + 2);
}

static void add_object(struct repo *r, const git_oid *id)
{
    char rel[64];
    object_rel(id, rel, sizeof rel);
    add_git_file(r, rel, true);
}

#define GIT_OK(call)                                                                                                   \
    do {                                                                                                               \
        if ((call) < 0)                                                                                                \
            fz_fail("%s: %s", #call, git_error_last() ? git_error_last()->message : "unknown error");                  \
    } while (0)

static char *read_source_file(const char *rel, size_t *len)
{
    const char *src = getenv("GRADER_SOURCE_DIR");
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", src && *src ? src : ".", rel);
    char *s = fz_read_file(p, len);
    if (!s)
        fz_fail("cannot read %s: run from the top of the source tree or set GRADER_SOURCE_DIR", p);
    return s;
}

static void make_repository(struct repo *r, bool packed)
{
    git_libgit2_init();
    /* Nothing from this machine's git configuration. */
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_SYSTEM, "");
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_XDG, "");
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_GLOBAL, "");
    git_libgit2_opts(GIT_OPT_SET_SEARCH_PATH, GIT_CONFIG_LEVEL_PROGRAMDATA, "");

    git_repository *repo = NULL;
    git_repository_init_options io;
    git_repository_init_options_init(&io, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
    io.flags = GIT_REPOSITORY_INIT_MKPATH;
    io.initial_head = "main";
    GIT_OK(git_repository_init_ext(&repo, r->dir, &io));

    size_t blen = 0, flen = 0;
    char *baseline = read_source_file("rubrics/baselines/leaky_app.py", &blen);
    char *fixed = read_source_file("submissions/canonical-fix/leaky_app.py", &flen);
    static const char util[] = "def helper():\n    return 42\n";
    static const char link[] = "leaky_app.py";
    git_oid a, b, c, l, t1, t2, sub, c1, c2;
    GIT_OK(git_blob_create_from_buffer(&a, repo, baseline, blen));
    GIT_OK(git_blob_create_from_buffer(&b, repo, fixed, flen));
    GIT_OK(git_blob_create_from_buffer(&c, repo, util, sizeof util - 1));
    GIT_OK(git_blob_create_from_buffer(&l, repo, link, sizeof link - 1));
    free(baseline);
    free(fixed);

    git_treebuilder *tb = NULL;
    GIT_OK(git_treebuilder_new(&tb, repo, NULL));
    GIT_OK(git_treebuilder_insert(NULL, tb, ENTRY, &a, GIT_FILEMODE_BLOB));
    GIT_OK(git_treebuilder_write(&t1, tb));
    git_treebuilder_clear(tb);
    GIT_OK(git_treebuilder_insert(NULL, tb, "util.py", &c, GIT_FILEMODE_BLOB));
    GIT_OK(git_treebuilder_write(&sub, tb));
    git_treebuilder_clear(tb);
    GIT_OK(git_treebuilder_insert(NULL, tb, ENTRY, &b, GIT_FILEMODE_BLOB));
    GIT_OK(git_treebuilder_insert(NULL, tb, "helpers", &sub, GIT_FILEMODE_TREE));
    GIT_OK(git_treebuilder_insert(NULL, tb, "run.sh", &c, GIT_FILEMODE_BLOB_EXECUTABLE));
    GIT_OK(git_treebuilder_insert(NULL, tb, "link.py", &l, GIT_FILEMODE_LINK));
    GIT_OK(git_treebuilder_write(&t2, tb));
    git_treebuilder_free(tb);

    git_signature *s1 = NULL, *s2 = NULL;
    GIT_OK(git_signature_new(&s1, "Alice Student", "alice@example.com", t0, 60));
    GIT_OK(git_signature_new(&s2, "Alice Student", "alice@example.com", t0 + 100, 60));
    git_tree *tree1 = NULL, *tree2 = NULL;
    GIT_OK(git_tree_lookup(&tree1, repo, &t1));
    GIT_OK(git_tree_lookup(&tree2, repo, &t2));
    GIT_OK(git_commit_create(&c1, repo, "refs/heads/main", s1, s1, NULL, "Start from the lesson\n", tree1, 0, NULL));
    git_commit *parent = NULL;
    GIT_OK(git_commit_lookup(&parent, repo, &c1));
    const git_commit *parents[] = {parent};
    GIT_OK(git_commit_create(&c2, repo, "refs/heads/main", s2, s2, NULL, "Use weakref.ref for the game\n\nDetails.\n",
                             tree2, 1, parents));
    git_reference *tag = NULL;
    GIT_OK(git_reference_create(&tag, repo, "refs/tags/v1", &c1, 0, NULL));
    git_reference_free(tag);
    git_index *idx = NULL;
    GIT_OK(git_repository_index(&idx, repo));
    GIT_OK(git_index_read_tree(idx, tree2));
    GIT_OK(git_index_write(idx));
    git_index_free(idx);
    char pack_name[GIT_OID_HEXSZ + 1] = "";
    if (packed) {
        /* Everything in one pack, as a clone from a forge leaves it. */
        git_packbuilder *pb = NULL;
        GIT_OK(git_packbuilder_new(&pb, repo));
        GIT_OK(git_packbuilder_insert_commit(pb, &c1));
        GIT_OK(git_packbuilder_insert_commit(pb, &c2));
        GIT_OK(git_packbuilder_write(pb, NULL, 0644, NULL, NULL));
        snprintf(pack_name, sizeof pack_name, "%s", git_packbuilder_name(pb));
        git_packbuilder_free(pb);
    }
    git_commit_free(parent);
    git_tree_free(tree1);
    git_tree_free(tree2);
    git_signature_free(s1);
    git_signature_free(s2);
    git_repository_free(repo);
    git_libgit2_shutdown();

    if (packed) {
        const git_oid *all[] = {&a, &b, &c, &l, &t1, &sub, &t2, &c1, &c2};
        char p[PATH_MAX], rel[64], h1[GIT_OID_HEXSZ + 1], h2[GIT_OID_HEXSZ + 1];
        for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
            object_rel(all[i], rel, sizeof rel);
            snprintf(p, sizeof p, "%s/%s", r->git_dir, rel);
            if (unlink(p) < 0)
                fz_fail("unlink %s: %s", p, strerror(errno));
        }
        snprintf(p, sizeof p, "%s/refs/heads/main", r->git_dir);
        unlink(p);
        snprintf(p, sizeof p, "%s/refs/tags/v1", r->git_dir);
        unlink(p);
        git_oid_tostr(h1, sizeof h1, &c1);
        git_oid_tostr(h2, sizeof h2, &c2);
        char refs[256];
        int n =
            snprintf(refs, sizeof refs,
                     "# pack-refs with: peeled fully-peeled sorted \n%s refs/heads/main\n%s refs/tags/v1\n", h2, h1);
        snprintf(p, sizeof p, "%s/packed-refs", r->git_dir);
        fz_write_file(p, refs, (size_t)n, 0644);

        add_git_file(r, "HEAD", false);
        add_git_file(r, "index", false);
        add_git_file(r, "packed-refs", false);
        snprintf(rel, sizeof rel, "objects/pack/pack-%s.pack", pack_name);
        add_git_file(r, rel, false);
        snprintf(rel, sizeof rel, "objects/pack/pack-%s.idx", pack_name);
        add_git_file(r, rel, false);
        add_git_file(r, "refs/heads/main", false); /* absent: a loose ref over the packed one */
        add_git_file(r, "shallow", false);         /* absent */
        object_rel(&c2, rel, sizeof rel);
        add_git_file(r, rel, true); /* absent: a loose copy of HEAD's commit */
        return;
    }
    add_git_file(r, "HEAD", false);
    add_git_file(r, "config", false);
    add_git_file(r, "index", false);
    add_git_file(r, "refs/heads/main", false);
    add_git_file(r, "refs/tags/v1", false);
    add_git_file(r, "packed-refs", false); /* absent: the input creates it */
    add_git_file(r, "shallow", false);     /* absent */
    add_object(r, &a);
    add_object(r, &b);
    add_object(r, &c);
    add_object(r, &l);
    add_object(r, &t1);
    add_object(r, &sub);
    add_object(r, &t2);
    add_object(r, &c1);
    add_object(r, &c2);
}

/* The content git would store for `raw`, deflated, minus `cut` bytes. */
static unsigned char *deflate_bytes(const char *raw, size_t len, size_t cut, size_t *outlen)
{
    uLongf n = compressBound((uLong)len);
    unsigned char *out = malloc(n ? n : 1);
    if (!out || compress2(out, &n, (const Bytef *)raw, (uLong)len, 1) != Z_OK)
        fz_fail("compress2 failed");
    *outlen = cut < n ? n - cut : 0;
    return out;
}

static void restore_git_file(const struct repo *r, const struct git_file *f)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", r->git_dir, f->rel);
    if (f->orig)
        fz_write_file(p, f->orig, f->orig_len, 0644);
    else
        unlink(p);
}

/* Known finding L1: libgit2 1.5.1's git_revparse_single leaks the
 * reference it resolved when the object it names cannot be read (a
 * dangling ref, or a damaged pack).  True when `rev`'s reference (the name
 * before any ~ or ^) is in that state. */
static bool rev_dangles(const struct repo *r, const char *rev)
{
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(rev, "~^@"), rev);
    git_libgit2_init();
    git_repository *repo = NULL;
    git_reference *ref = NULL;
    git_odb *odb = NULL;
    bool dangles = false;
    if (git_repository_open_ext(&repo, r->git_dir, GIT_REPOSITORY_OPEN_NO_SEARCH | GIT_REPOSITORY_OPEN_BARE, NULL) ==
            0 &&
        git_repository_odb(&odb, repo) == 0 && git_reference_dwim(&ref, repo, name) == 0) {
        git_reference *resolved = NULL;
        if (git_reference_resolve(&resolved, ref) == 0) {
            const git_oid *id = git_reference_target(resolved);
            size_t size;
            git_object_t type;
            dangles = !id || git_odb_read_header(&size, &type, odb, id) < 0;
            git_reference_free(resolved);
        }
    }
    git_reference_free(ref);
    git_odb_free(odb);
    git_repository_free(repo);
    git_libgit2_shutdown();
    return dangles;
}

static void check_no_control(const char *what, const char *msg)
{
    for (const unsigned char *c = (const unsigned char *)msg; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            fz_fail("%s: control character 0x%02x in the message: %s", what, *c, msg);
}

/* Everything in `base` is ours: the tree, the repository, the export folder. */
static void check_base_listing(void)
{
    DIR *d = opendir(base);
    if (!d)
        fz_fail("cannot list %s", base);
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        const char *n = e->d_name;
        if (strcmp(n, ".") != 0 && strcmp(n, "..") != 0 && strcmp(n, "tree") != 0 && strcmp(n, "repo") != 0 &&
            strcmp(n, "packed") != 0 && strcmp(n, "export") != 0)
            fz_fail("something wrote %s/%s", base, n);
    }
    closedir(d);
}

static void run_git(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    uint8_t flags = fz_u8(&in);
    const struct repo *r = &repos[flags >> 7];
    const struct git_file *f = &r->files[fz_u8(&in) % r->nfiles];
    uint8_t b2 = fz_u8(&in);
    bool forge = b2 & 0x80;
    uint8_t cut = b2 & 0x7f;
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", r->git_dir, f->rel);
    /* Known finding G2b: a commit, tree or tag replaced by a damaged object
     * whose header says "blob" of more than the blob cap reaches libgit2's
     * reader unchecked. */
    if (fz_known("gitsub-blob-as-commit") && f->object && strcmp(f->type, "blob") != 0 && in.left >= 5 &&
        memcmp(in.p, "blob ", 5) == 0) {
        char stated[24];
        size_t n = in.left - 5 < sizeof stated - 1 ? in.left - 5 : sizeof stated - 1;
        memcpy(stated, in.p + 5, n);
        stated[n] = '\0';
        if (strtoull(stated, NULL, 10) > GITSUB_DEFAULT_MAX_BLOB)
            return;
    }
    /* Known finding L2: libgit2 1.5.1 allocates for the entry count an
     * index states before reading any entry (8 GiB for an 84-byte file). */
    if (fz_known("libgit2-index-count") && strcmp(f->rel, "index") == 0 && in.left >= 12 &&
        memcmp(in.p, "DIRC", 4) == 0) {
        uint32_t count = (uint32_t)in.p[8] << 24 | (uint32_t)in.p[9] << 16 | (uint32_t)in.p[10] << 8 | in.p[11];
        if (count > (in.left - 12) / 62)
            return;
    }
    if (flags & 0x40) {
        size_t n = 0;
        unsigned char *z = deflate_bytes((const char *)in.p, in.left, cut, &n);
        fz_write_file(p, z, n, 0644);
        free(z);
    } else if (forge && strcmp(f->rel, "index") == 0 && in.left >= 32) {
        /* The index ends with the SHA-1 of everything before it. */
        unsigned char *buf = malloc(in.left);
        if (!buf)
            abort();
        memcpy(buf, in.p, in.left);
        unsigned int mdlen = 0;
        if (!EVP_Digest(buf, in.left - 20, buf + in.left - 20, &mdlen, EVP_sha1(), NULL) || mdlen != 20)
            fz_fail("SHA-1 failed");
        fz_write_file(p, buf, in.left, 0644);
        free(buf);
    } else {
        fz_write_file(p, in.p, in.left, 0644);
    }
    /* The harness holds a libgit2 reference (see LLVMFuzzerInitialize), so
     * the setting survives gitsub_open's own init and shutdown. */
    git_libgit2_opts(GIT_OPT_ENABLE_STRICT_HASH_VERIFICATION, forge ? 0 : 1);

    struct gitsub_options o;
    memset(&o, 0, sizeof o);
    o.source = flags & 2 ? GITSUB_FROM_INDEX : GITSUB_FROM_COMMIT;
    o.want_first = (flags & 4) != 0;
    if (flags & 8) {
        o.has_deadline = 1;
        o.deadline = (time_t)(t0 + 50);
        o.deadline_offset = 60;
    }
    if (flags & 0x10)
        o.rev = flags & 8 ? "main~1" : "v1";
    if (o.rev && fz_known("libgit2-revparse-leak") && rev_dangles(r, o.rev))
        o.rev = NULL;
    if (flags & 0x20) {
        fz_empty_dir(export_dir);
        o.export_dir = export_dir;
    }
    struct gitsub g;
    char *msg = malloc(MSG_LEN);
    if (!msg)
        abort();
    (void)gitsub_is_repository(r->dir);
    enum gitsub_status st = gitsub_open(r->dir, ENTRY, &o, &g, msg, MSG_LEN);
    if (!memchr(msg, '\0', MSG_LEN))
        fz_fail("gitsub_open: the message is not NUL-terminated");
    if (getenv("FUZZ_DEBUG"))
        fprintf(stderr, "gitsub_open(%s, %s): %d %s\n", r->dir, f->rel, (int)st, msg);
    switch (st) {
    case GITSUB_OK: {
        if (!g.entry)
            fz_fail("gitsub_open: OK without the entry's bytes");
        if (g.entry[g.entry_len] != '\0' || g.entry_len > SUBMISSION_MAX_SOURCE)
            fz_fail("gitsub_open: entry of %zu bytes, not NUL-terminated or over the cap", g.entry_len);
        char hex[DIGEST_HEX_LEN];
        digest_sha256_hex(g.entry, g.entry_len, hex);
        if (strcmp(hex, g.sha256) != 0)
            fz_fail("gitsub_open: sha256 is not the entry's");
        if (o.source == GITSUB_FROM_COMMIT && !g.has_commit)
            fz_fail("gitsub_open: a commit was read but not described");
        if (o.want_first && g.has_first && !g.first_entry)
            fz_fail("gitsub_open: has_first without the first version's bytes");
        break;
    }
    case GITSUB_INVALID:
        if (!msg[0])
            fz_fail("gitsub_open: INVALID without a message");
        break;
    case GITSUB_ERROR:
        if (!fz_known("gitsub-error-status"))
            fz_fail("gitsub_open: ERROR (the grader failed) for a damaged repository: %s", msg);
        break;
    default:
        fz_fail("gitsub_open: status %d for a repository of our own: %s", (int)st, msg);
    }
    if (!fz_known("gitsub-ctrl-message"))
        check_no_control("gitsub_open", msg);
    gitsub_free(&g);
    free(msg);
    restore_git_file(r, f);
    check_base_listing();
}

/* ---- folder trees ------------------------------------------------------- */

/* Sanitizes a record's name into a relative path below tree_dir; empty
 * means leaky_app.py. */
static void record_path(const char *name, size_t len, char *out, size_t outlen)
{
    char comp[256];
    size_t used = 0, clen = 0;
    int depth = 0;
    out[0] = '\0';
    for (size_t i = 0; i <= len; i++) {
        char ch = '/';
        if (i < len)
            ch = name[i];
        if (ch != '/') {
            if (clen < 200)
                comp[clen++] = (char)(ch ? ch : 'x');
            continue;
        }
        comp[clen] = '\0';
        if (clen && strcmp(comp, ".") != 0 && strcmp(comp, "..") != 0 && depth < 8 && used + clen + 2 < outlen) {
            used += (size_t)snprintf(out + used, outlen - used, "%s%s", used ? "/" : "", comp);
            depth++;
        }
        clen = 0;
    }
    if (!out[0])
        snprintf(out, outlen, "%s", ENTRY);
}

/* mkdir -p of the parents of rel (inside tree_dir); false when one of them
 * is not a folder. */
static bool make_parents(const char *rel)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", tree_dir, rel);
    size_t skip = strlen(tree_dir) + 1;
    for (char *s = strchr(p + skip, '/'); s; s = strchr(s + 1, '/')) {
        *s = '\0';
        struct stat st;
        if (mkdir(p, 0755) < 0 && (errno != EEXIST || lstat(p, &st) < 0 || !S_ISDIR(st.st_mode)))
            return false;
        *s = '/';
    }
    return true;
}

static void run_folder(const uint8_t *data, size_t size)
{
    struct fz_in in = {data, size};
    uint8_t flags = fz_u8(&in);
    fz_empty_dir(tree_dir);
    char first[PATH_MAX] = "";
    while (in.left > 0) {
        uint8_t type = fz_u8(&in) % 6;
        char rel[PATH_MAX] = ENTRY;
        if (type != 4) {
            size_t nlen;
            const char *name = fz_bytes(&in, fz_u8(&in), &nlen);
            record_path(name, nlen, rel, sizeof rel);
        }
        size_t clen = 0;
        const char *content = "";
        if (type == 0 || type == 2 || type == 4)
            content = fz_bytes(&in, fz_u16(&in) % 4096, &clen);
        if (!first[0])
            snprintf(first, sizeof first, "%s", rel);
        if (!make_parents(rel))
            continue;
        char p[PATH_MAX];
        snprintf(p, sizeof p, "%s/%s", tree_dir, rel);
        struct stat st;
        if (lstat(p, &st) == 0)
            continue; /* the first record of a name wins */
        switch (type) {
        case 0:
        case 4:
            fz_write_file(p, content, clen, 0644);
            break;
        case 1:
            mkdir(p, 0755);
            break;
        case 2: {
            char target[256];
            size_t n = 0;
            for (size_t i = 0; i < clen && n + 1 < sizeof target; i++)
                if (content[i])
                    target[n++] = content[i];
            target[n] = '\0';
            if (symlink(n ? target : "/etc/passwd", p) < 0)
                fz_fail("symlink %s: %s", p, strerror(errno));
            break;
        }
        case 3:
            if (mkfifo(p, 0644) < 0)
                fz_fail("mkfifo %s: %s", p, strerror(errno));
            break;
        case 5: {
            fz_write_file(p, "x", 1, 0644);
            if (truncate(p, (off_t)SUBMISSION_MAX_SOURCE - 128 + fz_u8(&in)) < 0)
                fz_fail("truncate %s: %s", p, strerror(errno));
            break;
        }
        }
    }

    char path[PATH_MAX];
    switch ((flags >> 1) & 3) {
    case 0:
        snprintf(path, sizeof path, "%s", tree_dir);
        break;
    case 1:
        snprintf(path, sizeof path, "%s/%s", tree_dir, ENTRY);
        break;
    case 2:
        snprintf(path, sizeof path, "%s/%s", tree_dir, first[0] ? first : ENTRY);
        break;
    default:
        snprintf(path, sizeof path, "%s/no such thing", tree_dir);
        break;
    }
    struct stat pst;
    bool exists = lstat(path, &pst) == 0;

    struct submission sub;
    char *msg = malloc(MSG_LEN);
    if (!msg)
        abort();
    msg[0] = '\0';
    enum submission_status st = submission_open(path, ENTRY, &sub, msg, MSG_LEN);
    if (!memchr(msg, '\0', MSG_LEN))
        fz_fail("submission_open: the message is not NUL-terminated");
    if (getenv("FUZZ_DEBUG"))
        fprintf(stderr, "submission_open(%s): %d %s\n", path, (int)st, msg);
    switch (st) {
    case SUBMISSION_OK: {
        if (!sub.entry_path || !sub.source || !sub.path)
            fz_fail("submission_open: OK with a field missing");
        struct stat est;
        if (lstat(sub.entry_path, &est) < 0 || !S_ISREG(est.st_mode))
            fz_fail("submission_open: OK for %s, which is not a regular file", sub.entry_path);
        if (sub.source_len > SUBMISSION_MAX_SOURCE || sub.source[sub.source_len] != '\0')
            fz_fail("submission_open: %zu bytes read, over the cap or not NUL-terminated", sub.source_len);
        size_t n = 0;
        char *disk = fz_read_file(sub.entry_path, &n);
        if (!disk || n != sub.source_len || memcmp(disk, sub.source, n) != 0)
            fz_fail("submission_open: the bytes read are not the file's");
        free(disk);
        char hex[DIGEST_HEX_LEN];
        digest_sha256_hex(sub.source, sub.source_len, hex);
        if (strcmp(hex, sub.sha256) != 0)
            fz_fail("submission_open: sha256 is not the source's");
        break;
    }
    case SUBMISSION_INVALID:
        if (!msg[0])
            fz_fail("submission_open: INVALID without a message");
        break;
    case SUBMISSION_NOT_FOUND:
        if (exists)
            fz_fail("submission_open: NOT_FOUND for %s, which exists", path);
        break;
    default:
        fz_fail("submission_open: status %d: %s", (int)st, msg);
    }
    if (!exists && st != SUBMISSION_NOT_FOUND)
        fz_fail("submission_open: status %d for a path that does not exist", (int)st);
    /* The path is the caller's (the instructor's command line, a class
     * folder's entry): quoted as given.  Everything else in the message
     * comes from the folder, which the student made. */
    char *copy = strdup(msg);
    if (!copy)
        abort();
    for (char *at = strstr(copy, path); at; at = strstr(at + 1, path))
        memset(at, '_', strlen(path));
    if (!fz_known("submission-ctrl-names"))
        check_no_control("submission_open", copy);
    free(copy);
    submission_free(&sub);
    free(msg);
}

/* ---- seeds -------------------------------------------------------------- */

static void write_seed(const char *dir, const char *name, const void *head, size_t hlen, const void *body, size_t blen)
{
    char p[PATH_MAX];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char *buf = malloc(hlen + blen + 1);
    if (!buf)
        abort();
    memcpy(buf, head, hlen);
    if (blen)
        memcpy(buf + hlen, body, blen);
    fz_write_file(p, buf, hlen + blen, 0644);
    free(buf);
}

/* The inflated content of a loose object file. */
static char *inflate_all(const char *z, size_t zlen, size_t *outlen)
{
    size_t cap = 65536;
    char *out = malloc(cap);
    uLongf n = cap;
    if (!out || uncompress((Bytef *)out, &n, (const Bytef *)z, (uLong)zlen) != Z_OK)
        fz_fail("cannot inflate an object of our own repository");
    *outlen = n;
    return out;
}

static void dump_repo_seeds(const char *dir, const struct repo *r, uint8_t which)
{
    for (size_t i = 0; i < r->nfiles; i++) {
        const struct git_file *f = &r->files[i];
        char name[160];
        const char *label = f->object ? "object" : f->rel;
        char safe[128];
        size_t k = 0;
        for (const char *c = label; *c && k + 1 < sizeof safe; c++)
            safe[k++] = (char)(*c == '/' ? '-' : *c);
        safe[k] = '\0';
        if (f->object) {
            /* An object the packed repository lacks: the loose one's bytes. */
            const struct git_file *src = f;
            for (size_t j = 0; !src->orig && j < repos[0].nfiles; j++)
                if (strcmp(repos[0].files[j].rel, f->rel) == 0)
                    src = &repos[0].files[j];
            if (!src->orig)
                fz_fail("no content for %s", f->rel);
            size_t n = 0;
            char *raw = inflate_all(src->orig, src->orig_len, &n);
            /* The type, for a readable file name. */
            char type[8] = "";
            sscanf(raw, "%7s", type);
            /* as found (deflated by the harness), and cut short by 5 bytes */
            uint8_t h1[3] = {which | 0x01 | 0x40, (uint8_t)i, 0};
            snprintf(name, sizeof name, "%s-%02zu-%s-%s", which ? "packed" : "git", i, type, safe);
            write_seed(dir, name, h1, 3, raw, n);
            if (strcmp(type, "blob") != 0) {
                uint8_t h3[3] = {which | 0x01 | 0x40 | 0x20 | 0x04, (uint8_t)i, 0x80};
                snprintf(name, sizeof name, "%s-%02zu-%s-forged-export-first", which ? "packed" : "git", i, type);
                write_seed(dir, name, h3, 3, raw, n);
            }
            uint8_t h2[3] = {which | 0x01 | 0x40 | 0x20 | 0x04, (uint8_t)i, 5};
            snprintf(name, sizeof name, "%s-%02zu-%s-truncated-export-first", which ? "packed" : "git", i, type);
            write_seed(dir, name, h2, 3, raw, n);
            free(raw);
        } else {
            /* pack-<40 hex>.pack: a shorter name */
            const char *dot = strrchr(safe, '.');
            if (strncmp(safe, "objects-pack-pack-", 18) == 0 && dot)
                memmove(safe, dot + 1, strlen(dot));
            uint8_t h[3] = {which | 0x01 | 0x20, (uint8_t)i, 0};
            snprintf(name, sizeof name, "%s-%02zu-%s", which ? "packed" : "git", i, safe);
            write_seed(dir, name, h, 3, f->orig ? f->orig : "", f->orig ? f->orig_len : 0);
            uint8_t hi[3] = {which | 0x01 | 0x02 | 0x04 | 0x20, (uint8_t)i, strcmp(f->rel, "index") == 0 ? 0x80 : 0};
            snprintf(name, sizeof name, "%s-%02zu-%s-index-source", which ? "packed" : "git", i, safe);
            write_seed(dir, name, hi, 3, f->orig ? f->orig : "", f->orig ? f->orig_len : 0);
        }
    }
}

static void dump_seeds(const char *dir)
{
    const struct git_file *head = &repos[0].files[0];
    dump_repo_seeds(dir, &repos[0], 0);
    dump_repo_seeds(dir, &repos[1], 0x80);
    /* The deadline, a revision, the tag. */
    uint8_t hd[3] = {0x01 | 0x08 | 0x04, 0, 0};
    write_seed(dir, "git-deadline-first", hd, 3, head->orig, head->orig_len);
    uint8_t hr[3] = {0x01 | 0x10 | 0x08 | 0x20, 0, 0};
    write_seed(dir, "git-rev-main-1-export", hr, 3, head->orig, head->orig_len);
    uint8_t ht[3] = {0x01 | 0x10, 0, 0};
    write_seed(dir, "git-rev-v1", ht, 3, head->orig, head->orig_len);
    uint8_t hp[3] = {0x80 | 0x01 | 0x10 | 0x08 | 0x04 | 0x20, 0, 0};
    write_seed(dir, "packed-rev-main-1-deadline-first-export", hp, 3, head->orig, head->orig_len);

    /* Folder trees. */
    static const uint8_t ok[] = {0x00, 4, 0, 12, 'p', 'r', 'i', 'n', 't', '(', '"', 'h', 'i', '"', ')', '\n'};
    write_seed(dir, "folder-ok", ok, sizeof ok, NULL, 0);
    static const uint8_t file_itself[] = {0x02, 4, 0, 3, 'x', '=', '1'};
    write_seed(dir, "folder-file-itself", file_itself, sizeof file_itself, NULL, 0);
    static const uint8_t link[] = {0x00, 2, 0, 0, 11, '/', 'e', 't', 'c', '/', 's', 'h', 'a', 'd', 'o', 'w'};
    write_seed(dir, "folder-entry-symlink", link, sizeof link, NULL, 0);
    static const uint8_t fifo[] = {0x00, 3, 0};
    write_seed(dir, "folder-entry-fifo", fifo, sizeof fifo, NULL, 0);
    static const uint8_t dir_entry[] = {0x00, 1, 0, 0, 2, 'a', '/', 'b', 'c', 0, 2, 'h', 'i'};
    write_seed(dir, "folder-entry-is-dir", dir_entry, sizeof dir_entry, NULL, 0);
    static const uint8_t big[] = {0x00, 5, 0, 200};
    write_seed(dir, "folder-entry-too-big", big, sizeof big, NULL, 0);
    static const uint8_t big_ok[] = {0x00, 5, 0, 100};
    write_seed(dir, "folder-entry-at-cap", big_ok, sizeof big_ok, NULL, 0);
    static const uint8_t others[] = {0x00, 0,   9,   'n', 'o', 't', 'e', 's', '.', 't', 'x', 't', 0,   1,   'x', 1, 3,
                                     's',  'r', 'c', 0,   10,  'l', 'e', 'a', 'k', 'y', '-', 'a', 'p', 'p', '.', 0, 0};
    write_seed(dir, "folder-wrong-name", others, sizeof others, NULL, 0);
    static const uint8_t dotdot[] = {0x04, 0, 8, '.', '.', '/', '.', '.', '/', 'x', 'y', 0, 1, 'z'};
    write_seed(dir, "folder-dotdot-name", dotdot, sizeof dotdot, NULL, 0);
    static const uint8_t missing[] = {0x06};
    write_seed(dir, "folder-missing-path", missing, sizeof missing, NULL, 0);
}

/* ---- libFuzzer ---------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// NOLINTNEXTLINE(readability-non-const-parameter): the signature libFuzzer calls
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    snprintf(base, sizeof base, "%s", fz_tmpdir("submission"));
    snprintf(tree_dir, sizeof tree_dir, "%s/tree", base);
    snprintf(export_dir, sizeof export_dir, "%s/export", base);
    for (int i = 0; i < 2; i++) {
        snprintf(repos[i].dir, sizeof repos[i].dir, "%s/%s", base, i ? "packed" : "repo");
        snprintf(repos[i].git_dir, sizeof repos[i].git_dir, "%s/.git", repos[i].dir);
        make_repository(&repos[i], i == 1);
    }
    /* One reference held for the whole run: process-wide settings (the
     * hash check of a forgery run) then persist across gitsub_open's own
     * git_libgit2_init and git_libgit2_shutdown. */
    git_libgit2_init();
    const char *seeds = getenv("FUZZ_SUBMISSION_SEEDS");
    if (seeds && *seeds) {
        mkdir(seeds, 0755);
        dump_seeds(seeds);
        exit(0);
    }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 0 && (data[0] & 1))
        run_git(data, size);
    else
        run_folder(data, size);
    return 0;
}
