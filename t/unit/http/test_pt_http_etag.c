/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for entity-tag list matching and formatting. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http_etag.h"

#include <check.h>


static bool
match(const char *list, const char *etag, bool weak)
{
    return pt_http_etag_match((const u_char *) list, strlen(list),
                              (const u_char *) etag, strlen(etag), weak);
}


START_TEST(etag_weak_compare)
{
    ck_assert(match("\"a\"", "\"a\"", true));
    ck_assert(match("W/\"a\"", "\"a\"", true));
    ck_assert(match("\"a\"", "W/\"a\"", true));
    ck_assert(match("\"x\", W/\"a\"", "\"a\"", true));
    ck_assert(match(" \"x\" ,\t\"a\" ", "\"a\"", true));
    ck_assert(match("*", "\"a\"", true));
    ck_assert(!match("\"ab\"", "\"a\"", true));
    ck_assert(!match("\"a\"", "\"ab\"", true));
    ck_assert(!match("", "\"a\"", true));
    ck_assert(!match("a", "\"a\"", true));
    ck_assert(!match("\"a", "\"a\"", true));
    ck_assert(!match("\"a\"x", "\"a\"", true));
    /* a comma inside the opaque tag is not a separator */
    ck_assert(match("\"a,b\"", "\"a,b\"", true));
    ck_assert(!match("\"x\"", "", true));
}
END_TEST


START_TEST(etag_strong_compare)
{
    ck_assert(match("\"a\"", "\"a\"", false));
    ck_assert(match("\"b\", \"a\"", "\"a\"", false));
    ck_assert(!match("W/\"a\"", "\"a\"", false));
    ck_assert(!match("\"a\"", "W/\"a\"", false));
    ck_assert(!match("W/\"a\"", "W/\"a\"", false));
    ck_assert(match("*", "\"a\"", false));
}
END_TEST


START_TEST(etag_format)
{
    u_char  buf[PT_HTTP_ETAG_LEN];
    size_t  n;

    n = pt_http_etag_format(buf, 0x5f5e100, 0x1234);
    ck_assert_uint_eq(n, sizeof("\"5f5e100-1234\"") - 1);
    ck_assert(memcmp(buf, "\"5f5e100-1234\"", n) == 0);

    n = pt_http_etag_format(buf, 0x7fffffffffffffffLL, 0x7fffffffffffffffLL);
    ck_assert_uint_eq(n, PT_HTTP_ETAG_LEN);
}
END_TEST


Suite *
pt_suite_http_etag(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("http_etag");

    tc = tcase_create("pt_http_etag_match");
    tcase_add_test(tc, etag_weak_compare);
    tcase_add_test(tc, etag_strong_compare);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_http_etag_format");
    tcase_add_test(tc, etag_format);
    suite_add_tcase(s, tc);

    return s;
}
