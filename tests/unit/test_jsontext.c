/* json_text: untrusted bytes always become a JSON string. */
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "jsontext.h"

static void expect(const char *in, size_t len, const char *want)
{
    json_t *s = json_text(in, len);
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(json_string_value(s), want);
    json_decref(s);
}

START_TEST(valid_text_is_kept)
{
    expect("plain", 5, "plain");
    expect("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d", 14, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\x8d");
    expect("", 0, "");
    expect(NULL, 0, "");
}
END_TEST

START_TEST(invalid_bytes_become_replacement)
{
    expect(
        "a\xff"
        "b",
        3,
        "a\xef\xbf\xbd"
        "b");
    /* A character cut at an output cap: each stray byte is replaced. */
    expect("x\xe2\x82", 3, "x\xef\xbf\xbd\xef\xbf\xbd");
    /* Overlong "/" and a UTF-16 surrogate are not UTF-8. */
    expect("\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd");
    expect("\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    /* Above U+10FFFF. */
    expect("\xf4\x90\x80\x80", 4, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    /* NUL would cut C strings downstream. */
    expect("a\0b", 3,
           "a\xef\xbf\xbd"
           "b");
}
END_TEST

static Suite *jsontext_suite(void)
{
    Suite *s = suite_create("jsontext");
    TCase *tc = tcase_create("json_text");
    tcase_add_test(tc, valid_text_is_kept);
    tcase_add_test(tc, invalid_bytes_become_replacement);
    suite_add_tcase(s, tc);
    return s;
}

CHECK_MAIN(jsontext_suite)
