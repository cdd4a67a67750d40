/* gitsub_open: a submission read out of real git repositories, built here
 * with libgit2 at fixed times, and the damaged or hostile ones refused. */
#include <errno.h>
#include <fcntl.h>
#include <git2.h>
#include <limits.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_main.h"
#include "digest.h"
#include "gitsub.h"
#include "submission.h"

#define ENTRY "leaky_app.py"
#define MSG 1024

/* Committer times and their offset (+01:00), checked with date -d. */
#define OFF 60
#define T1 INT64_C(1794992400) /* 2026-11-18T10:00:00+01:00 */
#define T2 INT64_C(1795215540) /* 2026-11-20T23:59:00+01:00 */
#define T3 INT64_C(1795246200) /* 2026-11-21T08:30:00+01:00 */

static char root[64];

static void setup(void)
{
    snprintf(root, sizeof root, "/tmp/grader-gitsub-test-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(root));
    ck_assert_int_ge(git_libgit2_init(), 1);
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", root);
    ck_assert_int_eq(system(cmd), 0);
    git_libgit2_shutdown();
}

__attribute__((format(printf, 2, 3))) static char *under(char out[PATH_MAX], const char *fmt, ...)
{
    char rel[PATH_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(rel, sizeof rel, fmt, ap);
    va_end(ap);
    snprintf(out, PATH_MAX, "%s/%s", root, rel);
    return out;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static char *slurp(const char *path)
{
    static char buf[4096];
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void hex(char out[GITSUB_OID_HEX_LEN], const git_oid *id)
{
    git_oid_tostr(out, GITSUB_OID_HEX_LEN, id);
}

static void short_hex(char out[8], const git_oid *id)
{
    git_oid_tostr(out, 8, id);
}

static git_repository *new_repo(const char *rel, int bare)
{
    char p[PATH_MAX];
    git_repository *repo = NULL;
    ck_assert_int_eq(git_repository_init(&repo, under(p, "%s", rel), (unsigned)bare), 0);
    return repo;
}

/* A file of a tree: blob content, a link target, or (for a submodule) the
 * other repository's commit id in hex. */
struct file {
    const char *path;
    const char *data;
    size_t len; /* 0: strlen(data) */
    git_filemode_t mode;
};

static void make_tree(git_repository *repo, const struct file *files, size_t n, git_oid *out)
{
    git_tree_update up[16];
    ck_assert_uint_le(n, 16);
    for (size_t i = 0; i < n; i++) {
        up[i].action = GIT_TREE_UPDATE_UPSERT;
        up[i].filemode = files[i].mode ? files[i].mode : GIT_FILEMODE_BLOB;
        up[i].path = files[i].path;
        if (up[i].filemode == GIT_FILEMODE_COMMIT) {
            ck_assert_int_eq(git_oid_fromstr(&up[i].id, files[i].data), 0);
        } else {
            size_t len = files[i].len ? files[i].len : strlen(files[i].data);
            ck_assert_int_eq(git_blob_create_from_buffer(&up[i].id, repo, files[i].data, len), 0);
        }
    }
    ck_assert_int_eq(git_tree_create_updated(out, repo, NULL, n, up), 0);
}

static void commit_tree(git_repository *repo, const char *ref, const git_oid *tree_id, const git_oid *parents,
                        size_t nparents, int64_t when, int offset, const char *message, git_oid *out)
{
    git_signature *sig = NULL;
    git_tree *tree = NULL;
    git_commit *ps[2] = {NULL, NULL};
    ck_assert_uint_le(nparents, 2);
    ck_assert_int_eq(git_signature_new(&sig, "Alice Student", "alice@example.edu", when, offset), 0);
    ck_assert_int_eq(git_tree_lookup(&tree, repo, tree_id), 0);
    for (size_t i = 0; i < nparents; i++)
        ck_assert_int_eq(git_commit_lookup(&ps[i], repo, &parents[i]), 0);
    ck_assert_int_eq(
        git_commit_create(out, repo, ref, sig, sig, NULL, message, tree, nparents, (const git_commit **)ps), 0);
    for (size_t i = 0; i < nparents; i++)
        git_commit_free(ps[i]);
    git_tree_free(tree);
    git_signature_free(sig);
}

/* A commit of `files` on HEAD, after `parent` (NULL: a root commit). */
static void commit_files(git_repository *repo, const git_oid *parent, int64_t when, const char *message,
                         const struct file *files, size_t n, git_oid *out)
{
    git_oid tree;
    make_tree(repo, files, n, &tree);
    commit_tree(repo, "HEAD", &tree, parent, parent ? 1 : 0, when, OFF, message, out);
}

static void three_commits(git_repository *repo, git_oid ids[3])
{
    const struct file v1[] = {{ENTRY, "v1\n", 0, 0}, {"README", "read me\n", 0, 0}};
    const struct file v2[] = {{ENTRY, "v2\n", 0, 0}, {"README", "read me\n", 0, 0}};
    const struct file v3[] = {{ENTRY, "v3\n", 0, 0}, {"README", "read me\n", 0, 0}};
    commit_files(repo, NULL, T1, "Start from the lesson's script\n", v1, 2, &ids[0]);
    commit_files(repo, &ids[0], T2, "Use weakref.ref for the game\n", v2, 2, &ids[1]);
    commit_files(repo, &ids[1], T3, "Fix the leak with weakref\n\nAnd show it with tracemalloc.\n", v3, 2, &ids[2]);
}

static enum gitsub_status open_at(const char *rel, const struct gitsub_options *o, struct gitsub *s, char *msg)
{
    char p[PATH_MAX];
    return gitsub_open(under(p, "%s", rel), ENTRY, o, s, msg, MSG);
}

static void loose_path(char out[PATH_MAX], const char *gitdir_rel, const git_oid *id)
{
    char h[GITSUB_OID_HEX_LEN];
    hex(h, id);
    under(out, "%s/objects/%.2s/%s", gitdir_rel, h, h + 2);
}

static void delete_object(const char *gitdir_rel, const git_oid *id)
{
    char p[PATH_MAX];
    loose_path(p, gitdir_rel, id);
    ck_assert_int_eq(unlink(p), 0);
}

/* libgit2 reads only the first 1024 bytes of a loose object for its
 * header: cut the rest, and any attempt to read the content fails. */
static void truncate_object(const char *gitdir_rel, const git_oid *id)
{
    char p[PATH_MAX];
    loose_path(p, gitdir_rel, id);
    ck_assert_int_eq(chmod(p, 0644), 0);
    ck_assert_int_eq(truncate(p, 512), 0);
}

/* A zlib stream of one stored (uncompressed) block, built by hand so that
 * the test can forge loose objects without a zlib of its own. */
static size_t zlib_stored(const char *data, size_t len, unsigned char *out)
{
    size_t n = 0;
    ck_assert_uint_lt(len, 65535);
    out[n++] = 0x78; /* deflate, 32K window; (0x78 << 8 | 0x01) % 31 == 0 */
    out[n++] = 0x01;
    out[n++] = 0x01; /* the final block, stored */
    out[n++] = (unsigned char)(len & 0xff);
    out[n++] = (unsigned char)(len >> 8);
    out[n++] = (unsigned char)(~len & 0xff);
    out[n++] = (unsigned char)((~len >> 8) & 0xff);
    memcpy(out + n, data, len);
    n += len;
    uint32_t a = 1, b = 0;
    for (size_t i = 0; i < len; i++) {
        a = (a + (unsigned char)data[i]) % 65521;
        b = (b + a) % 65521;
    }
    uint32_t adler = b << 16 | a;
    for (int shift = 24; shift >= 0; shift -= 8)
        out[n++] = (unsigned char)(adler >> shift);
    return n;
}

static void write_loose(const char *gitdir_rel, const char *hexid, const void *bytes, size_t len)
{
    char p[PATH_MAX];
    under(p, "%s/objects/%.2s", gitdir_rel, hexid);
    ck_assert(mkdir(p, 0755) == 0 || errno == EEXIST);
    under(p, "%s/objects/%.2s/%s", gitdir_rel, hexid, hexid + 2);
    int fd = open(p, O_WRONLY | O_CREAT | O_EXCL, 0444);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, bytes, len), (ssize_t)len);
    close(fd);
}

static void assert_has(const char *msg, const char *part)
{
    ck_assert_msg(strstr(msg, part) != NULL, "expected \"%s\" in: %s", part, msg);
}

START_TEST(head_commit_read_from_object_store)
{
    git_repository *repo = new_repo("alice", 0);
    git_oid ids[3];
    three_commits(repo, ids);
    git_repository_free(repo);
    char p[PATH_MAX], q[PATH_MAX], id3[GITSUB_OID_HEX_LEN], msg[MSG];
    /* Nothing was checked out: a work-tree file that says otherwise must be ignored. */
    write_file(under(p, "alice/" ENTRY), "not committed\n");
    ck_assert_int_eq(gitsub_is_repository(under(p, "alice")), 1);

    struct gitsub s;
    ck_assert_int_eq(gitsub_open(under(p, "alice"), ENTRY, NULL, &s, msg, MSG), GITSUB_OK);
    hex(id3, &ids[2]);
    ck_assert_int_eq(s.has_commit, 1);
    ck_assert_str_eq(s.commit.id, id3);
    ck_assert_int_eq(s.commit.time, T3);
    ck_assert_int_eq(s.commit.offset, OFF);
    ck_assert_str_eq(s.commit.time_iso, "2026-11-21T08:30:00+01:00");
    ck_assert_str_eq(s.commit.author_name, "Alice Student");
    ck_assert_str_eq(s.commit.author_email, "alice@example.edu");
    ck_assert_str_eq(s.commit.summary, "Fix the leak with weakref");
    ck_assert_str_eq(s.entry, "v3\n");
    ck_assert_uint_eq(s.entry_len, 3);
    char sha[DIGEST_HEX_LEN];
    digest_sha256_hex("v3\n", 3, sha);
    ck_assert_str_eq(s.sha256, sha);
    ck_assert_int_eq(s.late, 0);
    ck_assert_uint_eq(s.later_commits, 0);
    ck_assert_int_eq(s.has_first, 0);
    ck_assert_str_eq(s.workdir, p);
    ck_assert_str_eq(s.gitdir, under(q, "alice/.git"));
    gitsub_free(&s);

    /* The .git folder itself, given directly: same commit, and its work tree is known. */
    ck_assert_int_eq(gitsub_is_repository(under(p, "alice/.git")), 1);
    ck_assert_int_eq(open_at("alice/.git", NULL, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.commit.id, id3);
    ck_assert_str_eq(s.workdir, under(q, "alice"));
    gitsub_free(&s);
}
END_TEST

START_TEST(deadline_selects_last_commit_not_after_it)
{
    git_repository *repo = new_repo("alice", 0);
    git_oid ids[3];
    three_commits(repo, ids);
    git_repository_free(repo);
    char id1[GITSUB_OID_HEX_LEN], id2[GITSUB_OID_HEX_LEN], id3[GITSUB_OID_HEX_LEN], s1[8], msg[MSG];
    hex(id1, &ids[0]);
    hex(id2, &ids[1]);
    hex(id3, &ids[2]);
    short_hex(s1, &ids[0]);
    struct gitsub s;
    struct gitsub_options o = {.has_deadline = 1, .deadline_offset = OFF};

    o.deadline = (time_t)T2; /* exactly the second commit's time: it counts */
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.commit.id, id2);
    ck_assert_str_eq(s.commit.time_iso, "2026-11-20T23:59:00+01:00");
    ck_assert_str_eq(s.entry, "v2\n");
    ck_assert_int_eq(s.late, 1);
    ck_assert_uint_eq(s.later_commits, 1);
    gitsub_free(&s);

    o.deadline = (time_t)(T2 - 1); /* between the first and the second */
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.commit.id, id1);
    ck_assert_str_eq(s.entry, "v1\n");
    ck_assert_int_eq(s.late, 1);
    ck_assert_uint_eq(s.later_commits, 2);
    gitsub_free(&s);

    o.deadline = (time_t)(T3 + 3600); /* after the last: the tip, on time */
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.commit.id, id3);
    ck_assert_int_eq(s.late, 0);
    ck_assert_uint_eq(s.later_commits, 0);
    gitsub_free(&s);

    o.deadline = (time_t)(T1 - 1); /* before the first: nothing was handed in */
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "at or before the deadline 2026-11-18T09:59:59+01:00");
    assert_has(msg, s1);
    assert_has(msg, "was made at 2026-11-18T10:00:00+01:00");
    ck_assert_ptr_null(s.entry);
    ck_assert_int_eq(s.has_commit, 0);
    gitsub_free(&s);

    o.deadline_offset = -5 * 60; /* the deadline is written in the caller's offset */
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "the deadline 2026-11-18T03:59:59-05:00");
    gitsub_free(&s);
}
END_TEST

START_TEST(deadline_follows_first_parents_only)
{
    git_repository *repo = new_repo("alice", 0);
    const struct file f1[] = {{ENTRY, "main 1\n", 0, 0}};
    const struct file f2[] = {{ENTRY, "main 2\n", 0, 0}};
    const struct file fs[] = {{ENTRY, "side\n", 0, 0}};
    const struct file fm[] = {{ENTRY, "merged\n", 0, 0}};
    git_oid c1, c2, side, merge, tree;
    commit_files(repo, NULL, T1, "one\n", f1, 1, &c1);
    commit_files(repo, &c1, T1 + 100, "two\n", f2, 1, &c2);
    /* A side branch newer than c2, but still before the deadline. */
    make_tree(repo, fs, 1, &tree);
    commit_tree(repo, NULL, &tree, &c1, 1, T2 - 10, OFF, "side\n", &side);
    make_tree(repo, fm, 1, &tree);
    git_oid parents[2] = {c2, side};
    commit_tree(repo, "HEAD", &tree, parents, 2, T3, OFF, "merge side\n", &merge);
    git_repository_free(repo);

    char id2[GITSUB_OID_HEX_LEN], msg[MSG];
    hex(id2, &c2);
    struct gitsub s;
    struct gitsub_options o = {.has_deadline = 1, .deadline = (time_t)T2, .deadline_offset = OFF};
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.commit.id, id2);
    ck_assert_str_eq(s.entry, "main 2\n");
    ck_assert_int_eq(s.late, 1);
    ck_assert_uint_eq(s.later_commits, 1);
    gitsub_free(&s);
}
END_TEST

START_TEST(explicit_revision)
{
    git_repository *repo = new_repo("alice", 0);
    git_oid ids[3];
    three_commits(repo, ids);
    git_object *c1 = NULL;
    git_signature *sig = NULL;
    git_oid tag, blob;
    ck_assert_int_eq(git_object_lookup(&c1, repo, &ids[0], GIT_OBJECT_COMMIT), 0);
    ck_assert_int_eq(git_signature_new(&sig, "Teacher", "t@example.edu", T3, OFF), 0);
    ck_assert_int_eq(git_tag_create(&tag, repo, "submitted", c1, sig, "handed in\n", 0), 0);
    ck_assert_int_eq(git_blob_create_from_buffer(&blob, repo, "a blob\n", 7), 0);
    git_signature_free(sig);
    git_object_free(c1);
    git_repository_free(repo);

    char id1[GITSUB_OID_HEX_LEN], id2[GITSUB_OID_HEX_LEN], bh[GITSUB_OID_HEX_LEN], msg[MSG];
    hex(id1, &ids[0]);
    hex(id2, &ids[1]);
    hex(bh, &blob);
    struct gitsub s;
    struct gitsub_options o = {.rev = id2};
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.commit.id, id2);
    ck_assert_str_eq(s.entry, "v2\n");
    ck_assert_int_eq(s.late, 0);
    gitsub_free(&s);

    o.rev = "submitted"; /* an annotated tag, peeled to its commit */
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.commit.id, id1);
    ck_assert_str_eq(s.entry, "v1\n");
    gitsub_free(&s);

    o.rev = "HEAD~1"; /* with a deadline, counted from the revision, not from HEAD */
    o.has_deadline = 1;
    o.deadline = (time_t)(T2 - 1);
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.commit.id, id1);
    ck_assert_uint_eq(s.later_commits, 1);
    gitsub_free(&s);
    o.has_deadline = 0;

    o.rev = "no-such-branch";
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "no revision no-such-branch");
    gitsub_free(&s);

    o.rev = bh;
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "is a blob, not a commit");
    gitsub_free(&s);
}
END_TEST

START_TEST(bare_repository)
{
    git_repository *repo = new_repo("bob.git", 1);
    git_oid ids[3];
    three_commits(repo, ids);
    git_repository_free(repo);
    char p[PATH_MAX], id3[GITSUB_OID_HEX_LEN], msg[MSG];
    hex(id3, &ids[2]);
    ck_assert_int_eq(gitsub_is_repository(under(p, "bob.git")), 1);
    struct gitsub s;
    ck_assert_int_eq(open_at("bob.git", NULL, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.commit.id, id3);
    ck_assert_str_eq(s.entry, "v3\n");
    ck_assert_ptr_null(s.workdir);
    ck_assert_str_eq(s.gitdir, p);
    gitsub_free(&s);

    struct gitsub_options o = {.source = GITSUB_FROM_WORKTREE};
    ck_assert_int_eq(open_at("bob.git", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "bare repository: it has no work tree");
    gitsub_free(&s);
    o.source = GITSUB_FROM_INDEX;
    ck_assert_int_eq(open_at("bob.git", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "bare repository: it has no index");
    gitsub_free(&s);
}
END_TEST

START_TEST(first_commit_that_added_the_entry)
{
    git_repository *repo = new_repo("alice", 0);
    const struct file f0[] = {{"README", "read me\n", 0, 0}};
    const struct file f1[] = {{"README", "read me\n", 0, 0}, {ENTRY, "the lesson's script\n", 0, 0}};
    const struct file f2[] = {{"README", "read me\n", 0, 0}, {ENTRY, "half fixed\n", 0, 0}};
    const struct file f3[] = {{"README", "read me\n", 0, 0}, {ENTRY, "fixed\n", 0, 0}};
    git_oid c0, c1, c2, c3;
    commit_files(repo, NULL, T1 - 3600, "readme\n", f0, 1, &c0);
    commit_files(repo, &c0, T1, "start\n", f1, 2, &c1);
    commit_files(repo, &c1, T2, "work\n", f2, 2, &c2);
    commit_files(repo, &c2, T3, "done\n", f3, 2, &c3);
    git_repository_free(repo);

    char id1[GITSUB_OID_HEX_LEN], id2[GITSUB_OID_HEX_LEN], id3[GITSUB_OID_HEX_LEN], msg[MSG];
    hex(id1, &c1);
    hex(id2, &c2);
    hex(id3, &c3);
    struct gitsub s;
    struct gitsub_options o = {.want_first = 1};
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.commit.id, id3);
    ck_assert_str_eq(s.entry, "fixed\n");
    ck_assert_int_eq(s.has_first, 1);
    ck_assert_str_eq(s.first.id, id1);
    ck_assert_str_eq(s.first.time_iso, "2026-11-18T10:00:00+01:00");
    ck_assert_str_eq(s.first.summary, "start");
    ck_assert_str_eq(s.first_entry, "the lesson's script\n");
    ck_assert_uint_eq(s.first_entry_len, 20);
    ck_assert_int_eq(s.truncated, 0);
    gitsub_free(&s);

    o.has_deadline = 1;
    o.deadline = (time_t)T2;
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.commit.id, id2);
    ck_assert_str_eq(s.first.id, id1);
    gitsub_free(&s);
}
END_TEST

START_TEST(index_and_work_tree)
{
    git_repository *repo = new_repo("carol", 0);
    git_index *idx = NULL;
    git_oid tree, c1;
    char p[PATH_MAX], msg[MSG];
    ck_assert_int_eq(mkdir(under(p, "carol/pkg"), 0755), 0);
    write_file(under(p, "carol/" ENTRY), "committed\n");
    write_file(under(p, "carol/pkg/helper.py"), "helper\n");
    ck_assert_int_eq(git_repository_index(&idx, repo), 0);
    ck_assert_int_eq(git_index_add_bypath(idx, ENTRY), 0);
    ck_assert_int_eq(git_index_add_bypath(idx, "pkg/helper.py"), 0);
    ck_assert_int_eq(git_index_write(idx), 0);
    ck_assert_int_eq(git_index_write_tree(&tree, idx), 0);
    commit_tree(repo, "HEAD", &tree, NULL, 0, T1, OFF, "start\n", &c1);
    /* Staged: differs from HEAD.  Then the work tree differs from both. */
    write_file(under(p, "carol/" ENTRY), "staged\n");
    write_file(under(p, "carol/notes.txt"), "notes\n");
    ck_assert_int_eq(git_index_add_bypath(idx, ENTRY), 0);
    ck_assert_int_eq(git_index_add_bypath(idx, "notes.txt"), 0);
    ck_assert_int_eq(git_index_write(idx), 0);
    git_index_free(idx);
    git_repository_free(repo);
    write_file(under(p, "carol/" ENTRY), "work tree\n");

    struct gitsub s;
    char id1[GITSUB_OID_HEX_LEN];
    hex(id1, &c1);
    struct gitsub_options o = {.source = GITSUB_FROM_INDEX, .want_first = 1};
    char out[PATH_MAX];
    ck_assert_int_eq(mkdir(under(out, "export"), 0700), 0);
    o.export_dir = out;
    ck_assert_int_eq(open_at("carol", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.entry, "staged\n");
    ck_assert_int_eq(s.has_commit, 0);
    ck_assert_int_eq(s.has_first, 1);
    ck_assert_str_eq(s.first.id, id1);
    ck_assert_str_eq(s.first_entry, "committed\n");
    ck_assert_uint_eq(s.files_exported, 3);
    ck_assert_str_eq(slurp(under(p, "export/" ENTRY)), "staged\n");
    ck_assert_str_eq(slurp(under(p, "export/notes.txt")), "notes\n");
    ck_assert_str_eq(slurp(under(p, "export/pkg/helper.py")), "helper\n");
    gitsub_free(&s);

    ck_assert_int_eq(open_at("carol", NULL, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.entry, "committed\n");
    gitsub_free(&s);

    o.source = GITSUB_FROM_WORKTREE;
    o.export_dir = NULL;
    o.want_first = 0;
    ck_assert_int_eq(open_at("carol", &o, &s, msg), GITSUB_OK);
    ck_assert_ptr_null(s.entry);
    ck_assert_str_eq(s.workdir, under(p, "carol"));
    struct submission folder;
    ck_assert_int_eq(submission_open(s.workdir, ENTRY, &folder, msg, MSG), SUBMISSION_OK);
    ck_assert_str_eq(folder.source, "work tree\n");
    submission_free(&folder);
    gitsub_free(&s);

    o.source = GITSUB_FROM_INDEX;
    ck_assert_int_eq(gitsub_open(under(p, "carol"), "other.py", &o, &s, msg, MSG), GITSUB_INVALID);
    assert_has(msg, "other.py is not staged");
    gitsub_free(&s);
}
END_TEST

/* git add -N: the index names the file, but nothing of it is staged. */
START_TEST(intent_to_add)
{
    git_repository *repo = new_repo("dan", 0);
    git_index *idx = NULL;
    git_index_entry e;
    char p[PATH_MAX], out[PATH_MAX], msg[MSG];
    write_file(under(p, "dan/" ENTRY), "not staged\n");
    write_file(under(p, "dan/staged.py"), "staged\n");
    ck_assert_int_eq(git_repository_index(&idx, repo), 0);
    memset(&e, 0, sizeof e);
    e.path = ENTRY;
    e.mode = GIT_FILEMODE_BLOB;
    e.flags_extended = GIT_INDEX_ENTRY_INTENT_TO_ADD;
    ck_assert_int_eq(git_blob_create_from_buffer(&e.id, repo, "", 0), 0);
    ck_assert_int_eq(git_index_add(idx, &e), 0);
    ck_assert_int_eq(git_index_add_bypath(idx, "staged.py"), 0);
    ck_assert_int_eq(git_index_write(idx), 0);
    git_index_free(idx);
    git_repository_free(repo);

    struct gitsub s;
    struct gitsub_options o = {.source = GITSUB_FROM_INDEX};
    ck_assert_int_eq(open_at("dan", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, ENTRY " is only marked for adding (git add -N)");
    gitsub_free(&s);

    /* Another file merely marked is left out of the export. */
    ck_assert_int_eq(mkdir(under(out, "out"), 0700), 0);
    o.export_dir = out;
    ck_assert_int_eq(gitsub_open(under(p, "dan"), "staged.py", &o, &s, msg, MSG), GITSUB_OK);
    ck_assert_str_eq(s.entry, "staged\n");
    ck_assert_uint_eq(s.files_exported, 1);
    struct stat st;
    ck_assert_int_eq(lstat(under(p, "out/" ENTRY), &st), -1);
    gitsub_free(&s);
}
END_TEST

START_TEST(merge_conflict_in_index)
{
    git_repository *repo = new_repo("erin", 0);
    git_index *idx = NULL;
    git_index_entry base, ours, theirs;
    memset(&base, 0, sizeof base);
    base.path = ENTRY;
    base.mode = GIT_FILEMODE_BLOB;
    ours = theirs = base;
    ck_assert_int_eq(git_blob_create_from_buffer(&base.id, repo, "base\n", 5), 0);
    ck_assert_int_eq(git_blob_create_from_buffer(&ours.id, repo, "ours\n", 5), 0);
    ck_assert_int_eq(git_blob_create_from_buffer(&theirs.id, repo, "theirs\n", 7), 0);
    ck_assert_int_eq(git_repository_index(&idx, repo), 0);
    ck_assert_int_eq(git_index_conflict_add(idx, &base, &ours, &theirs), 0);
    ck_assert_int_eq(git_index_write(idx), 0);
    git_index_free(idx);
    git_repository_free(repo);

    char msg[MSG];
    struct gitsub s;
    struct gitsub_options o = {.source = GITSUB_FROM_INDEX};
    ck_assert_int_eq(open_at("erin", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, ENTRY " has an unresolved merge conflict in the index");
    ck_assert_ptr_null(s.entry);
    gitsub_free(&s);
}
END_TEST

START_TEST(entry_that_is_not_a_file)
{
    git_repository *repo = new_repo("dave", 0);
    const struct file link[] = {{ENTRY, "/etc/passwd", 0, GIT_FILEMODE_LINK}};
    const struct file submodule[] = {{ENTRY, "0123456789abcdef0123456789abcdef01234567", 0, GIT_FILEMODE_COMMIT}};
    const struct file dir[] = {{ENTRY "/inner.py", "x\n", 0, 0}};
    const struct file misnamed[] = {{"leaky-app.py", "x\n", 0, 0}, {"notes.txt", "x\n", 0, 0}};
    git_oid c[4];
    commit_files(repo, NULL, T1, "link\n", link, 1, &c[0]);
    commit_files(repo, &c[0], T1 + 1, "submodule\n", submodule, 1, &c[1]);
    commit_files(repo, &c[1], T1 + 2, "dir\n", dir, 1, &c[2]);
    commit_files(repo, &c[2], T1 + 3, "misnamed\n", misnamed, 2, &c[3]);
    git_repository_free(repo);

    char h[4][GITSUB_OID_HEX_LEN], sh[8], want[256], msg[MSG];
    for (int i = 0; i < 4; i++)
        hex(h[i], &c[i]);
    struct gitsub s;
    struct gitsub_options o = {.rev = h[0]};
    ck_assert_int_eq(open_at("dave", &o, &s, msg), GITSUB_INVALID);
    short_hex(sh, &c[0]);
    snprintf(want, sizeof want, ENTRY " in commit %s is a symbolic link, not a file", sh);
    assert_has(msg, want);
    assert_has(msg, "(it points to /etc/passwd)");
    ck_assert_ptr_null(s.entry);
    gitsub_free(&s);

    o.rev = h[1];
    ck_assert_int_eq(open_at("dave", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "is a submodule");
    gitsub_free(&s);

    o.rev = h[2];
    ck_assert_int_eq(open_at("dave", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "is a directory, not a file");
    gitsub_free(&s);

    o.rev = h[3];
    ck_assert_int_eq(open_at("dave", &o, &s, msg), GITSUB_INVALID);
    short_hex(sh, &c[3]);
    snprintf(want, sizeof want, "expected " ENTRY " in commit %s, found leaky-app.py, notes.txt", sh);
    assert_has(msg, want);
    gitsub_free(&s);
}
END_TEST

START_TEST(export_regular_files_only)
{
    git_repository *repo = new_repo("erin", 0);
    const struct file files[] = {
        {ENTRY, "print(1)\n", 0, 0},
        {"run.sh", "#!/bin/sh\n", 0, GIT_FILEMODE_BLOB_EXECUTABLE},
        {"pkg/util.py", "u = 1\n", 0, 0},
        {"pkg/deep/data.txt", "data\n", 0, 0},
        {"link", "/etc/passwd", 0, GIT_FILEMODE_LINK},
        {"vendor/lib", "0123456789abcdef0123456789abcdef01234567", 0, GIT_FILEMODE_COMMIT},
    };
    git_oid c1;
    commit_files(repo, NULL, T1, "all kinds\n", files, 6, &c1);
    git_repository_free(repo);

    char out[PATH_MAX], p[PATH_MAX], msg[MSG];
    ck_assert_int_eq(mkdir(under(out, "out"), 0700), 0);
    struct gitsub s;
    struct gitsub_options o = {.export_dir = out};
    ck_assert_int_eq(open_at("erin", &o, &s, msg), GITSUB_OK);
    ck_assert_uint_eq(s.files_exported, 4);
    ck_assert_uint_eq(s.bytes_exported, 9 + 10 + 6 + 5);
    ck_assert_str_eq(slurp(under(p, "out/" ENTRY)), "print(1)\n");
    ck_assert_str_eq(slurp(under(p, "out/pkg/deep/data.txt")), "data\n");
    struct stat st;
    ck_assert_int_eq(lstat(under(p, "out/" ENTRY), &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0644);
    ck_assert(S_ISREG(st.st_mode));
    ck_assert_int_eq(lstat(under(p, "out/run.sh"), &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0755);
    ck_assert_int_eq(lstat(under(p, "out/pkg"), &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_uint_eq(st.st_mode & 07777, 0755);
    ck_assert_int_eq(lstat(under(p, "out/link"), &st), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(lstat(under(p, "out/vendor/lib"), &st), -1);
    ck_assert_uint_eq(s.nskipped, 2);
    ck_assert_uint_eq(s.skipped_total, 2);
    ck_assert_int_eq(s.skipped[0].kind, GITSUB_SKIP_SYMLINK);
    ck_assert_str_eq(s.skipped[0].path, "link");
    ck_assert_int_eq(s.skipped[1].kind, GITSUB_SKIP_SUBMODULE);
    ck_assert_str_eq(s.skipped[1].path, "vendor/lib");
    gitsub_free(&s);

    /* What is already there would pass for the student's. */
    ck_assert_int_eq(open_at("erin", &o, &s, msg), GITSUB_ERROR);
    assert_has(msg, "is not empty");
    gitsub_free(&s);
}
END_TEST

START_TEST(caps_checked_before_reading)
{
    size_t big = (size_t)9 * 1024 * 1024;
    char *zeros = calloc(1, big);
    ck_assert_ptr_nonnull(zeros);
    git_repository *repo = new_repo("big", 0);
    const struct file files[] = {{ENTRY, "ok\n", 0, 0}, {"data.bin", zeros, big, 0}};
    git_oid c1, data;
    commit_files(repo, NULL, T1, "big data\n", files, 2, &c1);
    ck_assert_int_eq(git_blob_create_from_buffer(&data, repo, zeros, big), 0);
    git_repository_free(repo);

    /* A 2 MiB entry file, in a second repository. */
    size_t two = (size_t)2 * 1024 * 1024;
    memset(zeros, '#', two);
    repo = new_repo("bigentry", 0);
    const struct file entry[] = {{ENTRY, zeros, two, 0}};
    git_oid c2, entry_blob;
    commit_files(repo, NULL, T1, "big script\n", entry, 1, &c2);
    ck_assert_int_eq(git_blob_create_from_buffer(&entry_blob, repo, zeros, two), 0);
    git_repository_free(repo);
    free(zeros);

    /* data.bin stays whole: its size alone must refuse it.  The entry file
     * of "bigentry" is cut short. */
    truncate_object("bigentry/.git", &entry_blob);

    char out[PATH_MAX], msg[MSG];
    struct gitsub s;
    ck_assert_int_eq(open_at("big", NULL, &s, msg), GITSUB_OK); /* data.bin is never touched */
    ck_assert_str_eq(s.entry, "ok\n");
    gitsub_free(&s);

    ck_assert_int_eq(mkdir(under(out, "out1"), 0700), 0);
    struct gitsub_options o = {.export_dir = out};
    ck_assert_int_eq(open_at("big", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "data.bin in commit");
    assert_has(msg, "is 9437184 bytes; the limit is 8388608 bytes for one file");
    gitsub_free(&s);

    char entry_hex[GITSUB_OID_HEX_LEN];
    /* A blob within the blob cap is checked whole before libgit2 opens the
     * repository (a blob can be forged under a commit's id): the cut entry
     * file is found damaged there, before the script's own 1 MiB cap. */
    ck_assert_int_eq(open_at("bigentry", NULL, &s, msg), GITSUB_INVALID);
    git_oid_tostr(entry_hex, sizeof entry_hex, &entry_blob);
    assert_has(msg, entry_hex);
    assert_has(msg, "is damaged: it is cut short");
    ck_assert_ptr_null(s.entry);
    gitsub_free(&s);
}
END_TEST

START_TEST(caps_on_count_and_total)
{
    char a[1000], b[1000], cc[1000];
    memset(a, 'a', sizeof a);
    memset(b, 'b', sizeof b);
    memset(cc, 'c', sizeof cc);
    git_repository *repo = new_repo("many", 0);
    const struct file files[] = {
        {"a.txt", a, sizeof a, 0}, {"b.txt", b, sizeof b, 0}, {"c.txt", cc, sizeof cc, 0},
        {ENTRY, "x\n", 0, 0},      {"z.txt", "z\n", 0, 0},
    };
    git_oid c1;
    commit_files(repo, NULL, T1, "five files\n", files, 5, &c1);
    git_repository_free(repo);

    char out[PATH_MAX], msg[MSG];
    struct gitsub s;
    ck_assert_int_eq(mkdir(under(out, "out1"), 0700), 0);
    struct gitsub_options o = {.export_dir = out, .max_files = 3};
    ck_assert_int_eq(open_at("many", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "holds more than 3 files and folders");
    gitsub_free(&s);

    ck_assert_int_eq(mkdir(under(out, "out2"), 0700), 0);
    o.max_files = 0;
    o.max_total_bytes = 2500;
    ck_assert_int_eq(open_at("many", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "add up to more than 2500 bytes");
    assert_has(msg, "c.txt");
    ck_assert_uint_eq(s.files_exported, 2);
    gitsub_free(&s);

    ck_assert_int_eq(mkdir(under(out, "out3"), 0700), 0);
    o.max_total_bytes = 3004;
    ck_assert_int_eq(open_at("many", &o, &s, msg), GITSUB_OK);
    ck_assert_uint_eq(s.files_exported, 5);
    ck_assert_uint_eq(s.bytes_exported, 3004);
    gitsub_free(&s);
}
END_TEST

/* A tree object written byte by byte, as a hostile student would: git's
 * own tools and libgit2's treebuilder refuse these names. */
struct raw_entry {
    const char *mode;
    const char *name;
    git_oid id;
};

static void raw_tree(git_repository *repo, const struct raw_entry *e, size_t n, git_oid *out)
{
    char buf[1024];
    size_t len = 0;
    for (size_t i = 0; i < n; i++) {
        int w = snprintf(buf + len, sizeof buf - len, "%s %s", e[i].mode, e[i].name);
        ck_assert_int_gt(w, 0);
        len += (size_t)w + 1; /* and its NUL */
        ck_assert_uint_lt(len + GIT_OID_RAWSZ, sizeof buf);
        memcpy(buf + len, e[i].id.id, GIT_OID_RAWSZ);
        len += GIT_OID_RAWSZ;
    }
    git_odb *odb = NULL;
    ck_assert_int_eq(git_repository_odb(&odb, repo), 0);
    ck_assert_int_eq(git_odb_write(out, odb, buf, len, GIT_OBJECT_TREE), 0);
    git_odb_free(odb);
}

START_TEST(hostile_paths_refused)
{
    git_repository *repo = new_repo("mallory", 0);
    git_oid blob, entry_blob, inner, parent;
    git_treebuilder *tb = NULL;
    ck_assert_int_eq(git_blob_create_from_buffer(&blob, repo, "escaped\n", 8), 0);
    ck_assert_int_eq(git_blob_create_from_buffer(&entry_blob, repo, "ok\n", 3), 0);
    ck_assert_int_eq(git_treebuilder_new(&tb, repo, NULL), 0);
    ck_assert_int_ne(git_treebuilder_insert(NULL, tb, "..", &blob, GIT_FILEMODE_BLOB), 0);
    ck_assert_int_ne(git_treebuilder_insert(NULL, tb, ".git", &blob, GIT_FILEMODE_BLOB), 0);
    ck_assert_int_ne(git_treebuilder_insert(NULL, tb, "a/b", &blob, GIT_FILEMODE_BLOB), 0);
    git_treebuilder_free(tb);

    /* A folder holding escaped.txt: written under "..", it would land beside out/. */
    struct raw_entry in[] = {{"100644", "escaped.txt", blob}};
    raw_tree(repo, in, 1, &inner);
    struct {
        const char *mode, *name, *why;
        const git_oid *id;
    } cases[] = {
        {"40000", "..", "'..'", &inner},
        {"40000", ".git", "a .git component", &inner},
        {"40000", ".GIT", "a .git component", &inner},
        {"100644", "../escaped.txt", "a '/' inside one name", &blob},
        {"100644", "/tmp/escaped.txt", "a '/' inside one name", &blob},
    };
    char out[PATH_MAX], p[PATH_MAX], msg[MSG];
    git_oid commits[5];
    for (size_t i = 0; i < 5; i++) {
        struct raw_entry e[] = {{cases[i].mode, cases[i].name, *cases[i].id}, {"100644", ENTRY, entry_blob}};
        git_oid tree;
        raw_tree(repo, e, 2, &tree);
        commit_tree(repo, "HEAD", &tree, i ? &parent : NULL, i ? 1 : 0, T1 + (int64_t)i, OFF, "hostile\n", &commits[i]);
        parent = commits[i];
    }
    git_repository_free(repo);

    struct gitsub s;
    for (size_t i = 0; i < 5; i++) {
        char h[GITSUB_OID_HEX_LEN];
        hex(h, &commits[i]);
        struct gitsub_options o = {.rev = h};
        /* Only the entry file is read: the odd name is harmless. */
        ck_assert_int_eq(open_at("mallory", &o, &s, msg), GITSUB_OK);
        ck_assert_str_eq(s.entry, "ok\n");
        gitsub_free(&s);

        ck_assert_int_eq(mkdir(under(out, "out%zu", i), 0700), 0);
        o.export_dir = out;
        ck_assert_int_eq(open_at("mallory", &o, &s, msg), GITSUB_INVALID);
        assert_has(msg, "holds the path");
        assert_has(msg, cases[i].name);
        assert_has(msg, cases[i].why);
        ck_assert_uint_eq(s.files_exported, 0);
        gitsub_free(&s);
        struct stat st;
        ck_assert_int_eq(lstat(under(p, "escaped.txt"), &st), -1);
        ck_assert_int_eq(lstat(under(p, "out%zu/.git", i), &st), -1);
        ck_assert_int_eq(lstat(under(p, "out%zu/.GIT", i), &st), -1);
    }
}
END_TEST

static size_t put32(unsigned char *out, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        out[i] = (unsigned char)(v >> (24 - 8 * i));
    return 4;
}

/* An index file (version 2) written byte by byte: libgit2 will not put
 * these paths in an index itself. */
static void forge_index(const char *path, const char *const *names, size_t n, const git_oid *blob)
{
    static unsigned char buf[4096];
    size_t len = 0;
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result): binary, length-counted
    memcpy(buf, "DIRC", 4);
    len = 4;
    len += put32(buf + len, 2);
    len += put32(buf + len, (uint32_t)n);
    for (size_t i = 0; i < n; i++) {
        size_t start = len, nlen = strlen(names[i]);
        for (int f = 0; f < 10; f++) /* times, dev, ino, mode, uid, gid, size */
            len += put32(buf + len, f == 6 ? 0100644u : f == 9 ? 3u : 0u);
        memcpy(buf + len, blob->id, GIT_OID_RAWSZ);
        len += GIT_OID_RAWSZ;
        buf[len++] = (unsigned char)(nlen >> 8);
        buf[len++] = (unsigned char)(nlen & 0xff);
        memcpy(buf + len, names[i], nlen);
        len += nlen;
        size_t pad = 8 - (len - start) % 8;
        memset(buf + len, 0, pad);
        len += pad;
        ck_assert_uint_lt(len, sizeof buf - 64);
    }
    unsigned int mdlen = 0;
    ck_assert_int_eq(EVP_Digest(buf, len, buf + len, &mdlen, EVP_sha1(), NULL), 1);
    len += mdlen;
    FILE *f = fopen(path, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
}

/* libgit2 refuses most of these paths as it reads the index ("invalid
 * entry"), but lets an absolute one through to gitsub's own check. */
START_TEST(hostile_index_refused)
{
    git_repository *repo = new_repo("mallory", 0);
    git_oid blob;
    ck_assert_int_eq(git_blob_create_from_buffer(&blob, repo, "ok\n", 3), 0);
    git_repository_free(repo);
    static const char *const cases[][2] = {
        {"../escaped.txt", "cannot read the index of"},
        {".git/config", "cannot read the index of"},
        {"/tmp/escaped.txt", "the index holds the path /tmp/escaped.txt, with an absolute path"},
        {"a/../../escaped.txt", "cannot read the index of"},
    };
    char p[PATH_MAX], out[PATH_MAX], msg[MSG];
    struct gitsub s;
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *names[2] = {cases[i][0], ENTRY};
        forge_index(under(p, "mallory/.git/index"), names, 2, &blob);
        ck_assert_int_eq(mkdir(under(out, "out%zu", i), 0700), 0);
        struct gitsub_options o = {.source = GITSUB_FROM_INDEX, .export_dir = out};
        ck_assert_int_eq(open_at("mallory", &o, &s, msg), GITSUB_INVALID);
        assert_has(msg, cases[i][1]);
        ck_assert_uint_eq(s.files_exported, 0);
        gitsub_free(&s);
        struct stat st;
        ck_assert_int_eq(lstat(under(p, "escaped.txt"), &st), -1);
        ck_assert_int_eq(lstat(under(p, "out%zu/.git", i), &st), -1);
    }
    /* The same forger, with sound paths, is read: the refusals above are about the paths. */
    const char *names[2] = {"docs/notes.txt", ENTRY};
    forge_index(under(p, "mallory/.git/index"), names, 2, &blob);
    ck_assert_int_eq(mkdir(under(out, "sound"), 0700), 0);
    struct gitsub_options o = {.source = GITSUB_FROM_INDEX, .export_dir = out};
    ck_assert_int_eq(open_at("mallory", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.entry, "ok\n");
    ck_assert_uint_eq(s.files_exported, 2);
    ck_assert_str_eq(slurp(under(p, "sound/docs/notes.txt")), "ok\n");
    gitsub_free(&s);
}
END_TEST

START_TEST(missing_objects)
{
    git_repository *repo = new_repo("alice", 0);
    git_oid ids[3], blob3;
    three_commits(repo, ids);
    ck_assert_int_eq(git_blob_create_from_buffer(&blob3, repo, "v3\n", 3), 0);
    git_commit *c2 = NULL;
    ck_assert_int_eq(git_commit_lookup(&c2, repo, &ids[1]), 0);
    git_oid tree2 = *git_commit_tree_id(c2);
    git_commit_free(c2);
    git_repository_free(repo);

    char sh[8], bh[GITSUB_OID_HEX_LEN], want[256], msg[MSG];
    struct gitsub s;
    delete_object("alice/.git", &blob3);
    ck_assert_int_eq(open_at("alice", NULL, &s, msg), GITSUB_INVALID);
    short_hex(sh, &ids[2]);
    hex(bh, &blob3);
    snprintf(want, sizeof want, ENTRY " in commit %s is missing from the repository (object %s)", sh, bh);
    assert_has(msg, want);
    ck_assert_ptr_null(s.entry);
    gitsub_free(&s);

    delete_object("alice/.git", &tree2);
    char h2[GITSUB_OID_HEX_LEN];
    hex(h2, &ids[1]);
    struct gitsub_options o = {.rev = h2};
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_INVALID);
    short_hex(sh, &ids[1]);
    snprintf(want, sizeof want, "cannot read the files of commit %s", sh);
    assert_has(msg, want);
    gitsub_free(&s);

    /* The deadline walk needs the first commit, which is gone. */
    delete_object("alice/.git", &ids[0]);
    struct gitsub_options d = {.has_deadline = 1, .deadline = (time_t)(T1 + 1)};
    ck_assert_int_eq(open_at("alice", &d, &s, msg), GITSUB_INVALID);
    snprintf(want, sizeof want, "the parent of commit %s cannot be read", sh);
    assert_has(msg, want);
    gitsub_free(&s);
}
END_TEST

/* A loose object whose header has no NUL in its first 40 bytes, and more
 * bytes after: the check must stop at 40.  It once went on writing past
 * its 40-byte buffer (found by cppcheck); ASan in the sanitizer build
 * catches a regression. */
START_TEST(loose_header_without_nul)
{
    git_repository *repo = new_repo("erin", 0);
    git_oid ids[3];
    three_commits(repo, ids);
    git_repository_free(repo);
    char longhead[200];
    memset(longhead, '1', sizeof longhead);
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result): no NUL on purpose: the header under test has none
    memcpy(longhead, "tree ", 5);
    const char *long_hex = "1111111111111111111111111111111111111111";
    unsigned char z[256];
    size_t zlen = zlib_stored(longhead, sizeof longhead, z);
    write_loose("erin/.git", long_hex, z, zlen);
    char msg[MSG];
    struct gitsub s;
    ck_assert_int_eq(open_at("erin", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, long_hex);
    assert_has(msg, "header is malformed");
    gitsub_free(&s);
}
END_TEST

/* libgit2 1.5.1 loops forever on a truncated loose object and writes past
 * a heap buffer on one whose header understates its size: both must be
 * refused before libgit2 reads them (the Check timeout, and ASan in the
 * sanitizer build, would catch a miss). */
START_TEST(damaged_loose_objects)
{
    git_repository *repo = new_repo("alice", 0);
    git_oid ids[3], tree, c4;
    three_commits(repo, ids);
    static const char bogus[] = "blob 12\0this is a blob with a too-small length value\n";
    const char *bogus_hex = "bf3d798a12d2bd09a73b1bbdec6fde6f9836f9ac";
    unsigned char z[256];
    size_t zlen = zlib_stored(bogus, sizeof bogus - 1, z);
    write_loose("alice/.git", bogus_hex, z, zlen);
    struct raw_entry e[] = {{"100644", ENTRY, {{0}}}};
    ck_assert_int_eq(git_oid_fromstr(&e[0].id, bogus_hex), 0);
    raw_tree(repo, e, 1, &tree);
    commit_tree(repo, "HEAD", &tree, &ids[2], 1, T3 + 60, OFF, "forged\n", &c4);
    git_repository_free(repo);

    char msg[MSG];
    struct gitsub s;
    ck_assert_int_eq(open_at("alice", NULL, &s, msg), GITSUB_INVALID);
    /* Refused before libgit2 opens anything: every loose object, blobs
     * included, is checked up front. */
    assert_has(msg, bogus_hex);
    assert_has(msg, "is damaged: it holds more than its header says");
    ck_assert_ptr_null(s.entry);
    gitsub_free(&s);

    /* The same lie in a tree, even one no commit uses, refuses the whole
     * repository: libgit2 reads trees in places we do not see.  (The lying
     * blob goes first, or it would be the one named.) */
    char bogus_path[PATH_MAX];
    under(bogus_path, "alice/.git/objects/%.2s/%s", bogus_hex, bogus_hex + 2);
    ck_assert_int_eq(unlink(bogus_path), 0);
    static const char lying_tree[] =
        "tree 5\0"
        "100644 x\0"
        "01234567890123456789";
    const char *tree_hex = "0123456789012345678901234567890123456789";
    zlen = zlib_stored(lying_tree, sizeof lying_tree - 1, z);
    write_loose("alice/.git", tree_hex, z, zlen);
    struct gitsub_options o = {.rev = "HEAD~1"};
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, tree_hex);
    assert_has(msg, "it holds more than its header says");
    gitsub_free(&s);

    /* A commit cut short, as by an interrupted copy. */
    repo = new_repo("bob", 0);
    three_commits(repo, ids);
    git_repository_free(repo);
    char p[PATH_MAX], h3[GITSUB_OID_HEX_LEN];
    struct stat st;
    loose_path(p, "bob/.git", &ids[2]);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_int_eq(chmod(p, 0644), 0);
    ck_assert_int_eq(truncate(p, st.st_size / 2), 0);
    hex(h3, &ids[2]);
    ck_assert_int_eq(open_at("bob", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, h3);
    assert_has(msg, "is damaged: it is cut short");
    gitsub_free(&s);

    /* Not zlib at all. */
    repo = new_repo("carol", 0);
    three_commits(repo, ids);
    git_repository_free(repo);
    write_loose("carol/.git", "abcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd", "hello", 5);
    ck_assert_int_eq(open_at("carol", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, "abcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd");
    assert_has(msg, "is damaged: it is not valid zlib data");
    gitsub_free(&s);
}
END_TEST

START_TEST(shallow_history_is_cut_not_broken)
{
    git_repository *repo = new_repo("alice", 0);
    git_oid ids[3];
    three_commits(repo, ids);
    git_repository_free(repo);
    delete_object("alice/.git", &ids[0]);
    char p[PATH_MAX], h2[GITSUB_OID_HEX_LEN], line[64], sh[8], msg[MSG];
    hex(h2, &ids[1]);
    short_hex(sh, &ids[1]);
    snprintf(line, sizeof line, "%s\n", h2);
    write_file(under(p, "alice/.git/shallow"), line);

    struct gitsub s;
    struct gitsub_options o = {.has_deadline = 1, .deadline = (time_t)(T1 + 1), .deadline_offset = OFF};
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "shallow clone");
    assert_has(msg, sh);
    ck_assert_int_eq(s.truncated, 1);
    gitsub_free(&s);

    struct gitsub_options f = {.want_first = 1};
    ck_assert_int_eq(open_at("alice", &f, &s, msg), GITSUB_OK);
    ck_assert_int_eq(s.has_first, 1);
    ck_assert_str_eq(s.first.id, h2);
    ck_assert_str_eq(s.first_entry, "v2\n");
    ck_assert_int_eq(s.truncated, 1);
    gitsub_free(&s);
}
END_TEST

START_TEST(not_a_repository)
{
    char p[PATH_MAX], q[PATH_MAX], msg[MSG];
    struct gitsub s;
    git_repository *repo = new_repo("alice", 0);
    git_oid ids[3];
    three_commits(repo, ids);
    git_repository_free(repo);

    ck_assert_int_eq(mkdir(under(p, "plain"), 0755), 0);
    write_file(under(p, "plain/" ENTRY), "x\n");
    ck_assert_int_eq(gitsub_is_repository(under(p, "plain")), 0);
    ck_assert_int_eq(open_at("plain", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, "expected a git repository in");
    assert_has(msg, "it has no .git");
    gitsub_free(&s);

    /* A folder inside a repository's work tree is not that repository. */
    ck_assert_int_eq(mkdir(under(p, "alice/sub"), 0755), 0);
    ck_assert_int_eq(gitsub_is_repository(p), 0);
    ck_assert_int_eq(open_at("alice/sub", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, "it has no .git");
    gitsub_free(&s);

    ck_assert_int_eq(gitsub_is_repository(under(p, "nowhere")), 0);
    ck_assert_int_eq(open_at("nowhere", NULL, &s, msg), GITSUB_NOT_FOUND);
    gitsub_free(&s);

    ck_assert_int_eq(gitsub_is_repository(under(p, "plain/" ENTRY)), 0);
    ck_assert_int_eq(open_at("plain/" ENTRY, NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, "is not a folder");
    gitsub_free(&s);

    ck_assert_int_eq(symlink(under(q, "alice"), under(p, "link-to-repo")), 0);
    ck_assert_int_eq(gitsub_is_repository(p), 0);
    ck_assert_int_eq(open_at("link-to-repo", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, "is a symbolic link; give the repository itself");
    gitsub_free(&s);

    ck_assert_int_eq(mkdir(under(p, "dotgit-link"), 0755), 0);
    ck_assert_int_eq(symlink(under(q, "alice/.git"), under(p, "dotgit-link/.git")), 0);
    ck_assert_int_eq(gitsub_is_repository(under(p, "dotgit-link")), 1);
    ck_assert_int_eq(open_at("dotgit-link", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, "/.git is a symbolic link to");
    assert_has(msg, q);
    gitsub_free(&s);

    ck_assert_int_eq(mkdir(under(p, "gitfile"), 0755), 0);
    write_file(under(p, "gitfile/.git"), "gitdir: ../alice/.git\n");
    ck_assert_int_eq(gitsub_is_repository(under(p, "gitfile")), 1);
    ck_assert_int_eq(open_at("gitfile", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, "is a file pointing to another git directory (gitdir: ../alice/.git)");
    ck_assert_ptr_null(s.entry);
    gitsub_free(&s);
}
END_TEST

START_TEST(empty_repository)
{
    git_repository *repo = new_repo("empty", 0);
    git_repository_free(repo);
    repo = new_repo("empty.git", 1);
    git_repository_free(repo);
    char p[PATH_MAX], msg[MSG];
    struct gitsub s;
    ck_assert_int_eq(gitsub_is_repository(under(p, "empty")), 1);
    ck_assert_int_eq(open_at("empty", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, "no commits yet (HEAD names refs/heads/");
    assert_has(msg, "commit " ENTRY " first");
    ck_assert_ptr_null(s.entry);
    gitsub_free(&s);
    ck_assert_int_eq(open_at("empty.git", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, "no commits yet");
    gitsub_free(&s);
    struct gitsub_options d = {.has_deadline = 1, .deadline = (time_t)T1};
    ck_assert_int_eq(open_at("empty", &d, &s, msg), GITSUB_INVALID);
    assert_has(msg, "no commits yet");
    gitsub_free(&s);

    /* A pre-commit hook before the very first commit: the staged file is there. */
    char q[PATH_MAX];
    repo = NULL;
    ck_assert_int_eq(git_repository_open(&repo, under(q, "empty")), 0);
    write_file(under(p, "empty/" ENTRY), "first version\n");
    git_index *idx = NULL;
    ck_assert_int_eq(git_repository_index(&idx, repo), 0);
    ck_assert_int_eq(git_index_add_bypath(idx, ENTRY), 0);
    ck_assert_int_eq(git_index_write(idx), 0);
    git_index_free(idx);
    git_repository_free(repo);
    struct gitsub_options o = {.source = GITSUB_FROM_INDEX, .want_first = 1};
    ck_assert_int_eq(open_at("empty", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.entry, "first version\n");
    ck_assert_int_eq(s.has_first, 0);
    gitsub_free(&s);
}
END_TEST

START_TEST(git_folder_that_leads_elsewhere)
{
    git_repository *repo = new_repo("alice", 0);
    git_oid ids[3];
    three_commits(repo, ids);
    git_repository_free(repo);
    char p[PATH_MAX], q[PATH_MAX], msg[MSG];
    struct gitsub s;

    /* refs/tags replaced by a link to a folder elsewhere. */
    ck_assert_int_eq(mkdir(under(p, "elsewhere"), 0755), 0);
    ck_assert_int_eq(rmdir(under(p, "alice/.git/refs/tags")), 0);
    ck_assert_int_eq(symlink(under(q, "elsewhere"), p), 0);
    ck_assert_int_eq(open_at("alice", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, "the repository's .git/refs/tags is a symbolic link to");
    assert_has(msg, q);
    gitsub_free(&s);
    ck_assert_int_eq(unlink(p), 0);
    ck_assert_int_eq(mkdir(p, 0755), 0);
    ck_assert_int_eq(open_at("alice", NULL, &s, msg), GITSUB_OK);
    gitsub_free(&s);

    /* A named pipe where packed-refs goes: refused, not read (which would hang). */
    ck_assert_int_eq(mkfifo(under(p, "alice/.git/packed-refs"), 0644), 0);
    ck_assert_int_eq(open_at("alice", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, ".git/packed-refs is a named pipe");
    gitsub_free(&s);
    ck_assert_int_eq(unlink(p), 0);

    /* Hooks are never read, so a linked hook is no reason to refuse. */
    ck_assert_int_eq(symlink("/etc/passwd", under(p, "alice/.git/hooks/pre-commit")), 0);
    ck_assert_int_eq(open_at("alice", NULL, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.entry, "v3\n");
    gitsub_free(&s);

    write_file(under(p, "alice/.git/objects/info/alternates"), "/tmp/classmate/.git/objects\n");
    ck_assert_int_eq(open_at("alice", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, "borrows objects from another one");
    gitsub_free(&s);
    ck_assert_int_eq(unlink(p), 0);

    write_file(under(p, "alice/.git/commondir"), "../../classmate/.git\n");
    ck_assert_int_eq(open_at("alice", NULL, &s, msg), GITSUB_INVALID);
    assert_has(msg, "linked worktree");
    gitsub_free(&s);
}
END_TEST

START_TEST(repository_owned_by_another_user)
{
    git_repository *repo = new_repo("alice", 0);
    git_oid ids[3];
    three_commits(repo, ids);
    git_repository_free(repo);
    char p[PATH_MAX], id3[GITSUB_OID_HEX_LEN], cmd[PATH_MAX + 64], msg[MSG];
    hex(id3, &ids[2]);
    struct gitsub s;
    if (geteuid() != 0) {
        /* Only root can give the folder away; our own repository is read either way. */
        ck_assert_int_eq(open_at("alice", NULL, &s, msg), GITSUB_OK);
        ck_assert_str_eq(s.commit.id, id3);
        gitsub_free(&s);
        return;
    }
    snprintf(cmd, sizeof cmd, "chown -R 65534:65534 '%s'", under(p, "alice"));
    ck_assert_int_eq(system(cmd), 0);

    ck_assert_int_eq(open_at("alice", NULL, &s, msg), GITSUB_UNTRUSTED);
    assert_has(msg, "belongs to uid 65534, not to you (uid 0)");
    ck_assert_ptr_null(s.entry);
    gitsub_free(&s);

    struct gitsub_options o = {.trust_owner = 1};
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.commit.id, id3);
    ck_assert_str_eq(s.entry, "v3\n");
    gitsub_free(&s);

    /* The exception was ours alone: libgit2 still refuses the folder to anyone else. */
    int enabled = 0;
    ck_assert_int_eq(git_libgit2_opts(GIT_OPT_GET_OWNER_VALIDATION, &enabled), 0);
    ck_assert_int_eq(enabled, 1);
    repo = NULL;
    ck_assert_int_lt(git_repository_open_ext(&repo, under(p, "alice/.git"), GIT_REPOSITORY_OPEN_NO_SEARCH, NULL), 0);
    ck_assert_ptr_null(repo);
}
END_TEST

/* A branch whose commit is not in the repository, or a full id of no
 * object: libgit2 says "not found" for both, and so did we ("no revision
 * lost"), which sent the student looking for a typo. */
START_TEST(revision_leading_to_a_missing_object)
{
    git_repository *repo = new_repo("alice", 0);
    git_oid ids[3];
    three_commits(repo, ids);
    git_repository_free(repo);

    const char *absent = "0123456789abcdef0123456789abcdef01234567";
    char p[PATH_MAX], msg[MSG], want[256];
    snprintf(want, sizeof want, "%s\n", absent);
    write_file(under(p, "alice/.git/refs/heads/lost"), want);
    struct gitsub s;
    struct gitsub_options o = {.rev = "lost"};
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_INVALID);
    snprintf(want, sizeof want, "lost (refs/heads/lost) points to object %s, which the repository does not hold",
             absent);
    assert_has(msg, want);
    gitsub_free(&s);

    o.rev = absent;
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_INVALID);
    snprintf(want, sizeof want, "the repository holds no object %s", absent);
    assert_has(msg, want);
    gitsub_free(&s);

    o.rev = "no-such-branch";
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "no revision no-such-branch (no branch, tag or commit by that name)");
    gitsub_free(&s);
}
END_TEST

/* Every loose object is inflated before libgit2 reads it; all of them
 * together are held to max_loose_bytes, so that thousands of objects each
 * under its own cap cannot keep a batch busy for minutes. */
START_TEST(loose_objects_capped_in_total)
{
    git_repository *repo = new_repo("alice", 0);
    git_oid ids[3];
    three_commits(repo, ids);
    git_repository_free(repo);

    char msg[MSG];
    struct gitsub s;
    struct gitsub_options o = {.max_loose_bytes = 200};
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_INVALID);
    assert_has(msg, "the repository's loose objects hold more than 200 bytes in all");
    assert_has(msg, "git gc");
    gitsub_free(&s);

    o.max_loose_bytes = 0; /* the default is far above three small commits */
    ck_assert_int_eq(open_at("alice", &o, &s, msg), GITSUB_OK);
    ck_assert_str_eq(s.entry, "v3\n");
    gitsub_free(&s);
}
END_TEST

static Suite *gitsub_suite(void)
{
    Suite *s = suite_create("gitsub");
    TCase *tc = tcase_create("open");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, head_commit_read_from_object_store);
    tcase_add_test(tc, deadline_selects_last_commit_not_after_it);
    tcase_add_test(tc, deadline_follows_first_parents_only);
    tcase_add_test(tc, explicit_revision);
    tcase_add_test(tc, bare_repository);
    tcase_add_test(tc, first_commit_that_added_the_entry);
    tcase_add_test(tc, index_and_work_tree);
    tcase_add_test(tc, intent_to_add);
    tcase_add_test(tc, merge_conflict_in_index);
    tcase_add_test(tc, entry_that_is_not_a_file);
    tcase_add_test(tc, export_regular_files_only);
    tcase_add_test(tc, caps_checked_before_reading);
    tcase_add_test(tc, caps_on_count_and_total);
    tcase_add_test(tc, hostile_paths_refused);
    tcase_add_test(tc, hostile_index_refused);
    tcase_add_test(tc, missing_objects);
    tcase_add_test(tc, damaged_loose_objects);
    tcase_add_test(tc, loose_header_without_nul);
    tcase_add_test(tc, shallow_history_is_cut_not_broken);
    tcase_add_test(tc, not_a_repository);
    tcase_add_test(tc, empty_repository);
    tcase_add_test(tc, git_folder_that_leads_elsewhere);
    tcase_add_test(tc, repository_owned_by_another_user);
    tcase_add_test(tc, revision_leading_to_a_missing_object);
    tcase_add_test(tc, loose_objects_capped_in_total);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(gitsub_suite)
