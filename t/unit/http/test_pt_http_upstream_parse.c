/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the backend status-line parser. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http_upstream_parse.h"

#include <check.h>


static int
parse(const char *line, pt_http_status_t *st)
{
    return pt_http_parse_status_line((const u_char *) line, strlen(line), st);
}


START_TEST(status_ok)
{
    pt_http_status_t  st;

    ck_assert_int_eq(parse("HTTP/1.1 200 OK\r\nServer: x\r\n", &st), PT_OK);
    ck_assert_uint_eq(st.code, 200);
    ck_assert_uint_eq(st.http_minor, 1);
    ck_assert_uint_eq(st.reason_end - st.reason_start, 2);
    ck_assert_uint_eq(st.line_end, 17);

    ck_assert_int_eq(parse("HTTP/1.0 404\n", &st), PT_OK);
    ck_assert_uint_eq(st.code, 404);
    ck_assert_uint_eq(st.reason_end, st.reason_start);

    ck_assert_int_eq(parse("HTTP/1.1 599 Custom reason here\r\n", &st), PT_OK);
    ck_assert_uint_eq(st.code, 599);
}
END_TEST


START_TEST(status_again)
{
    pt_http_status_t  st;

    ck_assert_int_eq(parse("HTTP/1.1 200 O", &st), PT_AGAIN);
    ck_assert_int_eq(parse("", &st), PT_AGAIN);
}
END_TEST


START_TEST(status_errors)
{
    pt_http_status_t  st;

    ck_assert_int_eq(parse("HTTP/2.0 200 OK\r\n", &st), PT_ERROR);
    ck_assert_int_eq(parse("HTTP/1.1 20 OK\r\n", &st), PT_ERROR);
    ck_assert_int_eq(parse("HTTP/1.1 099 OK\r\n", &st), PT_ERROR);
    ck_assert_int_eq(parse("HTTP/1.1 2000 OK\r\n", &st), PT_ERROR);
    ck_assert_int_eq(parse("ICY 200 OK\r\n", &st), PT_ERROR);
    ck_assert_int_eq(parse("HTTP/1.1 200 O\x01K\r\n", &st), PT_ERROR);
    ck_assert_int_eq(parse("http/1.1 200 OK\r\n", &st), PT_ERROR);
}
END_TEST


Suite *
pt_suite_http_upstream_parse(void)
{
    Suite  *s = suite_create("http_upstream_parse");
    TCase  *tc = tcase_create("pt_http_parse_status_line");

    tcase_add_test(tc, status_ok);
    tcase_add_test(tc, status_again);
    tcase_add_test(tc, status_errors);
    suite_add_tcase(s, tc);
    return s;
}
