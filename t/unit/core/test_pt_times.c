/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the time cache and HTTP date formatting and parsing. */
#include "pt_config.h"
#include "pt_core.h"

#include <check.h>


#define PARSE(s)  pt_parse_http_time((u_char *) (s), sizeof(s) - 1)


START_TEST(gmtime_matches_libc)
{
    time_t     t;
    struct tm  a, b;
    static const time_t  samples[] = {
        0, 1, 86399, 86400, 951782400 /* 2000-02-29 */, 784111777,
        1795820701 /* 2026-11-28 */, 2147483647, 2147483648LL,
        4102444800LL /* 2100-01-01 */, 253402300799LL /* 9999-12-31 */
    };
    size_t     i;

    for (i = 0; i < pt_nelts(samples); i++) {
        t = samples[i];
        pt_gmtime(t, &a);
        ck_assert_ptr_nonnull(gmtime_r(&t, &b));
        ck_assert_int_eq(a.tm_year, b.tm_year);
        ck_assert_int_eq(a.tm_mon, b.tm_mon);
        ck_assert_int_eq(a.tm_mday, b.tm_mday);
        ck_assert_int_eq(a.tm_hour, b.tm_hour);
        ck_assert_int_eq(a.tm_min, b.tm_min);
        ck_assert_int_eq(a.tm_sec, b.tm_sec);
        ck_assert_int_eq(a.tm_wday, b.tm_wday);
        ck_assert_int_eq(a.tm_yday, b.tm_yday);
    }

    /* a sweep over many days */
    for (t = 0; t < 4102444800LL; t += 86400 * 37 + 3601) {
        pt_gmtime(t, &a);
        gmtime_r(&t, &b);
        ck_assert_int_eq(a.tm_year, b.tm_year);
        ck_assert_int_eq(a.tm_yday, b.tm_yday);
        ck_assert_int_eq(a.tm_mday, b.tm_mday);
        ck_assert_int_eq(a.tm_wday, b.tm_wday);
        ck_assert_int_eq(a.tm_hour, b.tm_hour);
    }
}
END_TEST


START_TEST(http_time_format)
{
    u_char  buf[64], *p;

    p = pt_http_time(buf, 784111777);
    *p = '\0';
    ck_assert_str_eq((char *) buf, "Sun, 06 Nov 1994 08:49:37 GMT");

    p = pt_http_time(buf, 0);
    *p = '\0';
    ck_assert_str_eq((char *) buf, "Thu, 01 Jan 1970 00:00:00 GMT");

    p = pt_http_cookie_time(buf, 784111777);
    *p = '\0';
    ck_assert_str_eq((char *) buf, "Sun, 06-Nov-94 08:49:37 GMT");

    p = pt_http_cookie_time(buf, 4102444800LL);
    *p = '\0';
    ck_assert_str_eq((char *) buf, "Fri, 01-Jan-2100 00:00:00 GMT");
}
END_TEST


START_TEST(parse_http_time_formats)
{
    time_t  t;
    u_char  buf[64], *p;

    ck_assert_int_eq(PARSE("Sun, 06 Nov 1994 08:49:37 GMT"), 784111777);
    ck_assert_int_eq(PARSE("Sunday, 06-Nov-94 08:49:37 GMT"), 784111777);
    ck_assert_int_eq(PARSE("Sun Nov  6 08:49:37 1994"), 784111777);
    ck_assert_int_eq(PARSE("Sun Nov 16 08:49:37 1994"), 784111777 + 864000);
    ck_assert_int_eq(PARSE("Thu, 01 Jan 1970 00:00:00 GMT"), 0);
    ck_assert_int_eq(PARSE("Tue, 29 Feb 2000 12:00:00 GMT"), 951825600);
    ck_assert_int_eq(PARSE("Sun, 06 Nov 1994 08:49:37 GMT; length=12"),
                     784111777);
    ck_assert_int_eq(PARSE("Sun, 06 Nov 1994 08:49:37 GMT  "), 784111777);

    /* round trip */
    for (t = 0; t < 4102444800LL; t += 86400 * 101 + 3599 * 7 + 13) {
        p = pt_http_time(buf, t);
        ck_assert_int_eq(p - buf, 29);
        ck_assert_int_eq(pt_parse_http_time(buf, 29), t);
    }
}
END_TEST


START_TEST(parse_http_time_garbage)
{
    ck_assert_int_eq(PARSE(""), -1);
    ck_assert_int_eq(PARSE("garbage"), -1);
    ck_assert_int_eq(PARSE("Sun, 06 Nov 1994 08:49:37"), -1);
    ck_assert_int_eq(PARSE("Sun, 06 Nov 1994 08:49:37 UTC"), -1);
    ck_assert_int_eq(PARSE("Sun, 6 Nov 1994 08:49:37 GMT"), -1);
    ck_assert_int_eq(PARSE("Sun, 06 nov 1994 08:49:37 GMT"), -1);
    ck_assert_int_eq(PARSE("Sun, 32 Nov 1994 08:49:37 GMT"), -1);
    ck_assert_int_eq(PARSE("Sun, 31 Nov 1994 08:49:37 GMT"), -1);
    ck_assert_int_eq(PARSE("Sun, 29 Feb 1900 08:49:37 GMT"), -1);
    ck_assert_int_eq(PARSE("Sun, 29 Feb 1995 08:49:37 GMT"), -1);
    ck_assert_int_eq(PARSE("Sun, 06 Nov 1994 24:49:37 GMT"), -1);
    ck_assert_int_eq(PARSE("Sun, 06 Nov 1994 08:60:37 GMT"), -1);
    ck_assert_int_eq(PARSE("Foo, 06 Nov 1994 08:49:37 GMT"), -1);
    ck_assert_int_eq(PARSE("Sun, 06 Nov 1994 08:49:37 GMTx"), -1);
    ck_assert_int_eq(PARSE("Sun, 06 Nov 1994 08:49:37 GMT x"), -1);
    ck_assert_int_eq(PARSE("Sunday, 06 Nov 1994 08:49:37 GMT"), -1);
    ck_assert_int_eq(PARSE("Sun, 06-Nov-94 08:49:37 GMT"), -1);
    ck_assert_int_eq(PARSE("Sun Nov 6 08:49:37 1994"), -1);
    ck_assert_int_eq(PARSE("Sun Nov  6 08:49:37 94"), -1);
    ck_assert_int_eq(PARSE("Sun, 06 Nov 1969 08:49:37 GMT"), -1);
    ck_assert_int_eq(PARSE("Sun, 06 Nov 19a4 08:49:37 GMT"), -1);
}
END_TEST


START_TEST(cached_time_strings)
{
    size_t  i;
    time_t  now;

    pt_time_init();
    now = time(NULL);

    ck_assert(pt_cached_time != NULL);
    ck_assert_int_le(pt_time() - now, 1);
    ck_assert_int_le(now - pt_time(), 1);
    ck_assert_uint_gt(pt_current_msec, 0);

    ck_assert_uint_eq(pt_cached_err_log_time.len, 19);
    ck_assert_uint_eq(pt_cached_http_time.len, 29);
    ck_assert_uint_eq(pt_cached_http_log_time.len, 26);
    ck_assert_uint_eq(pt_cached_http_log_iso8601.len, 25);

    ck_assert_int_eq(pt_cached_err_log_time.data[4], '/');
    ck_assert_int_eq(pt_cached_err_log_time.data[13], ':');
    ck_assert_int_eq(pt_cached_http_log_time.data[2], '/');
    ck_assert_int_eq(pt_cached_http_log_iso8601.data[10], 'T');
    ck_assert_int_eq(pt_cached_http_log_iso8601.data[22], ':');

    for (i = 0; i < pt_cached_http_log_time.len; i++) {
        ck_assert_int_ne(pt_cached_http_log_time.data[i], '\0');
    }

    ck_assert_int_le(pt_parse_http_time(pt_cached_http_time.data, 29) - now, 1);

    pt_time_update();
    ck_assert_int_eq(memcmp(pt_cached_http_time.data + 26, "GMT", 3), 0);
}
END_TEST


START_TEST(cached_time_local_offset)
{
    /* a fixed zone without DST: the offset must show in the log strings */
    setenv("TZ", "<+0530>-5:30", 1);
    tzset();

    pt_time_init();

    ck_assert_int_eq(memcmp(pt_cached_http_log_time.data + 20, " +0530", 6),
                     0);
    ck_assert_int_eq(memcmp(pt_cached_http_log_iso8601.data + 19, "+05:30", 6),
                     0);
}
END_TEST


Suite *
pt_suite_times(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("times");

    tc = tcase_create("pt_gmtime");
    tcase_add_test(tc, gmtime_matches_libc);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_http_time");
    tcase_add_test(tc, http_time_format);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_parse_http_time");
    tcase_add_test(tc, parse_http_time_formats);
    tcase_add_test(tc, parse_http_time_garbage);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_time_update");
    tcase_add_test(tc, cached_time_strings);
    tcase_add_test(tc, cached_time_local_offset);
    suite_add_tcase(s, tc);

    return s;
}
