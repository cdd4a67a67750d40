/* report.h: a batch's results in the formats instructors and platforms read.
 *
 * Input: a JSON array of result objects, each exactly as `grader grade
 * --format json` prints it (README.md, "Result JSON") plus a string "id",
 * the student's id: 1 to 100 bytes of [A-Za-z0-9._-], never "." or "..".
 * The array may come in any order; every output lists submissions sorted by
 * id in byte order.  Two results with the same id, an unsafe id, a status
 * other than "graded", "invalid" or "error", or a score that is not a
 * number refuse the whole batch: -1 and nothing written.
 *
 * The columns (criterion id, title, points, visibility) come from the
 * rubric, never from a result: invalid and error results have no criteria.
 * A graded result lacking one of the rubric's criteria (graded with another
 * rubric) shows that criterion as not graded.
 *
 * Every output is deterministic: the same input gives byte-identical files.
 * Nothing here reads the clock; the only times written are the runs' own
 * (runs.*.wall_ms), taken from the input.  Numbers are formatted in the C
 * locale whatever setlocale() says.
 *
 * Errors: -1 (or NULL) with a message in err (err may be NULL).  Nothing is
 * ever printed.
 *
 * Statuses, the same in every format:
 *   graded   the score counts, whatever it is;
 *   invalid  the submission cannot be graded (no entry file, ...): a 0 in
 *            the gradebook files and Gradescope, gradable:false on
 *            PrairieLearn (the attempt is not charged);
 *   error    the grader failed, not the student: never a 0 where a
 *            gradebook would record it (empty score in grades.csv, row left
 *            out of canvas.csv, gradable:false on PrairieLearn); Gradescope
 *            has no such state and gets 0 with a message saying the grader
 *            failed.
 *
 * Visibility: criteria marked hidden or after_due_date in the rubric are
 * counted, never described, in what students read without a platform to
 * enforce visibility (feedback.md; PrairieLearn, which shows every test:
 * there they are one aggregate test).  Gradescope gets each criterion with
 * its visibility and hides them itself (and then hides the total too). */
#ifndef GRADER_REPORT_H
#define GRADER_REPORT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "rubric.h"

/* True when `id` may name a submission: 1..100 bytes of [A-Za-z0-9._-],
 * not "." or "..". */
bool report_id_valid(const char *id);

/* Checks a batch as every function below does; 0 or -1 with a message. */
int report_validate(const struct rubric *rb, json_t *results, char *err, size_t errlen);

/* One CSV field, RFC 4180: quoted when it holds a comma, a double quote,
 * CR or LF, with inner double quotes doubled. */
void report_csv_field(FILE *out, const char *s);

/* grades.csv: header `id,score,max_score,status,<criterion id>...,commit,late`
 * then one row per submission.  Points with %g; score empty for "error";
 * criterion cells empty unless graded; late "true", "false" or empty
 * (not read from a commit).  Lines end in CRLF (RFC 4180). */
int report_grades_csv(const struct rubric *rb, json_t *results, FILE *out, char *err, size_t errlen);

/* canvas.csv, for Canvas's gradebook import:
 *     Student,ID,SIS User ID,SIS Login ID,Section,<rubric title>
 *         Points Possible,,,,,<rubric max, %.2f>
 *     ,,,<id>,,<score, %.2f>
 * We know no Canvas ids: the submission id goes in the SIS Login ID
 * column, which Canvas matches against its users' login ids, so ids must
 * be those logins (or edit the file); Student, ID, SIS User ID and Section
 * stay empty.  The assignment column is headed with the rubric's title:
 * Canvas creates a new assignment of that name, unless the header is
 * renamed to an existing one's "Name (canvas assignment id)".  Rows of
 * "error" results are left out, so an import never records a 0 for a
 * grader failure; "invalid" ones are 0.00. */
int report_canvas_csv(const struct rubric *rb, json_t *results, FILE *out, char *err, size_t errlen);

/* junit.xml: <testsuites> holding one <testsuite name=ID> per submission
 * (time = runs.after.wall_ms / 1000), one <testcase classname=ID
 * name=CRITERION-ID> per rubric criterion with <properties> score,
 * max_score, visibility, title; <failure> with the feedback when it failed;
 * <error> with the result's message on every criterion of an invalid or
 * error result.  Text is XML 1.0: forbidden control characters removed,
 * invalid UTF-8 replaced by U+FFFD. */
int report_junit_xml(const struct rubric *rb, json_t *results, FILE *out, char *err, size_t errlen);

/* report.html: one self-contained page (inline CSS, SVG and JS; no
 * network): summary, score histogram, pass rate per criterion, co-failure
 * matrix, slowest and failing submissions, and a table of every submission
 * sortable by clicking its headers (readable without JS).  Opened with the
 * fragment #selftest, its script clicks the headers as a user would: id
 * twice (descending), then score twice (ascending, then descending, as the
 * table stays), recording each order in body[data-selftest-*]
 * (tests/report/run.sh checks them and the rows' order in the DOM). */
int report_html(const struct rubric *rb, json_t *results, FILE *out, char *err, size_t errlen);

/* Gradescope's results.json for one result (which must hold a valid "id").
 * A new object, or NULL with a message.  score: the result's (0 unless
 * graded); execution_time: seconds, the longest of the runs' wall times
 * (they run at once); tests: one per rubric criterion, numbered "1", "2"...
 * in rubric order, with the rubric's visibility; for invalid and error
 * results a single failed test holding the message instead.  The
 * top-level output (the commit graded, the run fingerprint, and for
 * invalid/error the message) is Markdown, output_format "md", every text
 * from the result escaped; test outputs are plain text, test_output_format
 * "text", so feedback quoting exception messages and object names shows
 * verbatim with nothing to escape.  extra_data: id, status, commit, late,
 * versions (stored by Gradescope, never shown). */
json_t *report_gradescope_json(const struct rubric *rb, json_t *result, char *err, size_t errlen);

/* PrairieLearn's results.json for one result: score in [0, 1], gradable
 * false for invalid and error (with format_errors naming why), one test per
 * visible criterion and one for all hidden ones together.  Kept under 1 MB:
 * long texts are cut, with a note saying so. */
json_t *report_prairielearn_json(const struct rubric *rb, json_t *result, char *err, size_t errlen);

/* The largest results.json report_prairielearn_json produces, in bytes as
 * report_write_json writes it. */
#define REPORT_PRAIRIELEARN_MAX_BYTES 1000000

/* feedback.md for the student: the visible score (the total would tell how
 * the hidden criteria went, as on Gradescope), each visible criterion with
 * what to do when it failed, hidden ones counted, the commit graded and
 * whether later commits exist, and the line to compare when two results
 * differ (grader version, rubric id and checksum, Python version).  Text
 * from the result is escaped for Markdown. */
int report_feedback_md(const struct rubric *rb, json_t *result, FILE *out, char *err, size_t errlen);

/* Writes a JSON document as the files are written: indented, keys sorted,
 * reals with 12 significant digits, a trailing newline.  0 or -1. */
int report_write_json(json_t *doc, FILE *out);

/* Writes every format into outdir (created if missing; its parent must
 * exist):
 *     OUTDIR/grades.csv  canvas.csv  junit.xml  report.html
 *     OUTDIR/submissions/<id>/gradescope/results.json
 *     OUTDIR/submissions/<id>/prairielearn/results.json
 *     OUTDIR/submissions/<id>/feedback.md
 * The batch is validated before anything is created.  Each file is written
 * to a temporary file in its folder, flushed to disk and renamed over the
 * final name, so a killed process leaves each file old or new, never half
 * written (at worst a stray ".NAME.tmp-*").  Folders below outdir are never
 * followed through symbolic links.  Files of submissions not in this batch
 * are left alone.  0, or -1 with a message naming the path. */
int report_write_all(const struct rubric *rb, json_t *results, const char *outdir, char *err, size_t errlen);

/* The results as the batch holds them on disk: row i (in id order, ids
 * distinct) is read when a report needs it and released after, so writing
 * the reports of a class costs no memory per submission.  get returns a
 * new reference, or NULL when the row cannot be read (the reports then
 * fail).  Two threads call it at once (the files of each submission are
 * written while the batch files are), each holding one row at a time; the
 * rows it returns must not be shared with anything else. */
struct report_rows {
    size_t n;
    json_t *(*get)(void *ctx, size_t i);
    void *ctx;
};

/* report_write_all, reading the rows through `rows`. */
int report_write_rows(const struct rubric *rb, const struct report_rows *rows, const char *outdir, char *err,
                      size_t errlen);
#endif
