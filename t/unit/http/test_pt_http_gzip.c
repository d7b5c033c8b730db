/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the Accept-Encoding weight of gzip. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_gzip.h"

#include <check.h>


static unsigned
q(const char *ae)
{
    return pt_http_gzip_accept_q((const u_char *) ae, strlen(ae));
}


START_TEST(accept_plain_names)
{
    ck_assert_uint_eq(q("gzip"), 1000);
    ck_assert_uint_eq(q("GZip"), 1000);
    ck_assert_uint_eq(q("x-gzip"), 1000);
    ck_assert_uint_eq(q("deflate, br, gzip"), 1000);
    ck_assert_uint_eq(q(""), 0);
    ck_assert_uint_eq(q("identity"), 0);
    ck_assert_uint_eq(q("gzipx, xgzip"), 0);
}
END_TEST


START_TEST(accept_qvalues)
{
    ck_assert_uint_eq(q("gzip;q=0"), 0);
    ck_assert_uint_eq(q("gzip; q=0.000"), 0);
    ck_assert_uint_eq(q("gzip;q=0.5"), 500);
    ck_assert_uint_eq(q("gzip ; Q = 0.25 "), 250);
    ck_assert_uint_eq(q("gzip;q=1.000"), 1000);
    ck_assert_uint_eq(q("gzip;level=1;q=0.3"), 300);
    /* malformed weights never enable */
    ck_assert_uint_eq(q("gzip;q=2"), 0);
    ck_assert_uint_eq(q("gzip;q=1.5"), 0);
    ck_assert_uint_eq(q("gzip;q=abc"), 0);
    ck_assert_uint_eq(q("gzip;q="), 0);
}
END_TEST


START_TEST(accept_star)
{
    ck_assert_uint_eq(q("*"), 1000);
    ck_assert_uint_eq(q("br, *;q=0.1"), 100);
    ck_assert_uint_eq(q("*;q=0"), 0);
    /* an explicit gzip wins over "*" either way */
    ck_assert_uint_eq(q("gzip;q=0, *"), 0);
    ck_assert_uint_eq(q("*;q=0, gzip"), 1000);
    /* the best of gzip and x-gzip */
    ck_assert_uint_eq(q("gzip;q=0.2, x-gzip;q=0.4"), 400);
}
END_TEST


Suite *
pt_suite_http_gzip(void)
{
    Suite  *s = suite_create("http_gzip");
    TCase  *tc = tcase_create("pt_http_gzip_accept_q");

    tcase_add_test(tc, accept_plain_names);
    tcase_add_test(tc, accept_qvalues);
    tcase_add_test(tc, accept_star);
    suite_add_tcase(s, tc);

    return s;
}
