/* fuzz_channel.c: runs_parse_channel (grader/runs.h) on arbitrary bytes.
 *
 * The channel is written by the runtime inside a hostile interpreter, and a
 * submission may write to it too.  Besides surviving, the reader must agree
 * with an independent statement of its contract:
 *   - records are lines "GRADER-PROBE <token> <json>" (the line longer than
 *     the prefix); lines end at '\n', a last line without one counts;
 *   - two or more such lines: NULL (none trusted);
 *   - exactly one: the JSON parsed by jansson if it is an object, else NULL;
 *   - whenever NULL, `why` says why (non-empty, NUL-terminated). */
#include "fuzz_common.h"
#include "runs.h"

#define TOKEN "0123456789abcdef0123456789abcdef"
#define PREFIX "GRADER-PROBE " TOKEN " "
#define WHY_LEN 256 /* as struct run_record's probe_error */

static void check_one(const char *data, size_t len, bool truncated)
{
    const size_t plen = sizeof PREFIX - 1;
    size_t matches = 0;
    const char *rec = NULL;
    size_t rec_len = 0;
    size_t start = 0;
    while (start < len) {
        size_t end = start;
        while (end < len && data[end] != '\n')
            end++;
        size_t linelen = end - start;
        if (linelen > plen && memcmp(data + start, PREFIX, plen) == 0) {
            if (matches++ == 0) {
                rec = data + start + plen;
                rec_len = linelen - plen;
            }
        }
        start = end + 1;
    }
    json_t *expect = NULL;
    if (matches == 1) {
        json_error_t jerr;
        expect = json_loadb(rec, rec_len, 0, &jerr);
        if (expect && !json_is_object(expect)) {
            json_decref(expect);
            expect = NULL;
        }
    }

    /* Exactly the size the grader gives, so ASan sees any overrun. */
    char *why = malloc(WHY_LEN);
    if (!why)
        abort();
    memset(why, 0x55, WHY_LEN);
    json_t *got = runs_parse_channel(data, len, truncated, TOKEN, why, WHY_LEN);
    if (!expect != !got)
        fz_fail("runs_parse_channel returned %s, expected %s (%zu records)", got ? "a record" : "NULL",
                expect ? "a record" : "NULL", matches);
    if (got) {
        if (!json_is_object(got))
            fz_fail("the record is not an object");
        if (!json_equal(got, expect))
            fz_fail("the record differs from jansson's reading of the line");
    } else {
        if (!memchr(why, '\0', WHY_LEN))
            fz_fail("why is not NUL-terminated");
        if (why[0] == '\0')
            fz_fail("NULL without a reason");
    }
    json_decref(got);
    json_decref(expect);
    free(why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    check_one((const char *)data, size, false);
    check_one((const char *)data, size, true);
    return 0;
}
