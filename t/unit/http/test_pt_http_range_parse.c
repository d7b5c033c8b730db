/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the Range header parser (nginx's rules). */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http_range_parse.h"

#include <check.h>


#define NR  16

static pt_http_range_t  ranges[NR];
static size_t           nranges;


static int
parse(const char *v, off_t size, size_t max)
{
    return pt_http_range_parse((const u_char *) v, strlen(v), size, max,
                               ranges, NR, &nranges);
}


START_TEST(range_single)
{
    ck_assert_int_eq(parse("bytes=0-4", 100, 100), PT_OK);
    ck_assert_uint_eq(nranges, 1);
    ck_assert_int_eq(ranges[0].start, 0);
    ck_assert_int_eq(ranges[0].end, 5);

    ck_assert_int_eq(parse("BYTES=10-", 100, 100), PT_OK);
    ck_assert_int_eq(ranges[0].start, 10);
    ck_assert_int_eq(ranges[0].end, 100);

    ck_assert_int_eq(parse("bytes=-10", 100, 100), PT_OK);
    ck_assert_int_eq(ranges[0].start, 90);
    ck_assert_int_eq(ranges[0].end, 100);

    ck_assert_int_eq(parse("bytes=-1000", 100, 100), PT_OK);
    ck_assert_int_eq(ranges[0].start, 0);
    ck_assert_int_eq(ranges[0].end, 100);

    ck_assert_int_eq(parse("bytes=50-1000", 100, 100), PT_OK);
    ck_assert_int_eq(ranges[0].start, 50);
    ck_assert_int_eq(ranges[0].end, 100);

    ck_assert_int_eq(parse("bytes= 1 - 2 ", 100, 100), PT_OK);
    ck_assert_int_eq(ranges[0].start, 1);
    ck_assert_int_eq(ranges[0].end, 3);
}
END_TEST


START_TEST(range_multiple)
{
    ck_assert_int_eq(parse("bytes=0-1,5-6, -2", 100, 100), PT_OK);
    ck_assert_uint_eq(nranges, 3);
    ck_assert_int_eq(ranges[1].start, 5);
    ck_assert_int_eq(ranges[1].end, 7);
    ck_assert_int_eq(ranges[2].start, 98);
    ck_assert_int_eq(ranges[2].end, 100);

    /* unsatisfiable specs are skipped while one is left */
    ck_assert_int_eq(parse("bytes=200-300,0-0", 100, 100), PT_OK);
    ck_assert_uint_eq(nranges, 1);
    ck_assert_int_eq(ranges[0].start, 0);
    ck_assert_int_eq(ranges[0].end, 1);

    /* more than max_ranges: ignored */
    ck_assert_int_eq(parse("bytes=0-1,2-3,4-5", 100, 2), PT_DECLINED);
    ck_assert_int_eq(parse("bytes=0-1", 100, 0), PT_DECLINED);

    /* the sum exceeds the size: ignored (overlap abuse) */
    ck_assert_int_eq(parse("bytes=0-99,0-99", 100, 100), PT_DECLINED);
}
END_TEST


START_TEST(range_unsatisfiable)
{
    ck_assert_int_eq(parse("bytes=100-", 100, 100),
                     PT_HTTP_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(parse("bytes=100-200", 100, 100),
                     PT_HTTP_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(parse("bytes=5-3", 100, 100),
                     PT_HTTP_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(parse("bytes=x", 100, 100),
                     PT_HTTP_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(parse("bytes=1-2x", 100, 100),
                     PT_HTTP_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(parse("bytes=1", 100, 100),
                     PT_HTTP_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(parse("bytes=-0", 100, 100),
                     PT_HTTP_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(parse("bytes=-", 100, 100),
                     PT_HTTP_RANGE_UNSATISFIABLE);
    ck_assert_int_eq(parse("bytes=99999999999999999999-", 100, 100),
                     PT_HTTP_RANGE_UNSATISFIABLE);
}
END_TEST


START_TEST(range_declined)
{
    ck_assert_int_eq(parse("items=0-1", 100, 100), PT_DECLINED);
    ck_assert_int_eq(parse("bytes=", 100, 100), PT_DECLINED);
    ck_assert_int_eq(parse("bytes=0-", 0, 100), PT_DECLINED);
    ck_assert_int_eq(parse("bytes=0-10", 0, 100), PT_DECLINED);
    ck_assert_int_eq(parse("bytes=-0", 0, 100), PT_DECLINED);
}
END_TEST


START_TEST(range_count)
{
    ck_assert_uint_eq(pt_http_range_count((const u_char *) "bytes=0-1", 9),
                      1);
    ck_assert_uint_eq(pt_http_range_count((const u_char *) "a,b,,c", 6), 4);
}
END_TEST


Suite *
pt_suite_http_range_parse(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("http_range_parse");

    tc = tcase_create("pt_http_range_parse");
    tcase_add_test(tc, range_single);
    tcase_add_test(tc, range_multiple);
    tcase_add_test(tc, range_unsatisfiable);
    tcase_add_test(tc, range_declined);
    tcase_add_test(tc, range_count);
    suite_add_tcase(s, tc);

    return s;
}
