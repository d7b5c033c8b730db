/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the cache's freshness rules (RFC 9111 as nginx reads it). */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_cache_policy.h"

#include <check.h>

#define NOW  1800000000

static const pt_http_cache_valid_t  valid_200[] = { { 200, 600 } };
static const pt_http_cache_valid_t  valid_any[] = { { 404, 60 }, { 0, 30 } };

static pt_http_cache_policy_t  pol;


/* Runs the policy on "HTTP/1.1 <status> X\r\n" + fields + "\r\n". */
static int64_t
fresh(unsigned status, const char *fields, unsigned ignore,
    const pt_http_cache_valid_t *valid, size_t nvalid)
{
    static char                 head[2048];
    pt_http_cache_policy_in_t   in = { status, NOW, ignore, valid, nvalid };
    int                         n = snprintf(head, sizeof(head),
                                             "HTTP/1.1 %u X\r\n", status);
    size_t                      from = (size_t) n;

    n += snprintf(head + n, sizeof(head) - (size_t) n, "%s\r\n", fields);
    ck_assert_int_eq(pt_http_cache_policy((u_char *) head, (size_t) n, from,
                                          &in, &pol), PT_OK);
    return pol.valid_sec ? pol.valid_sec - NOW : 0;
}


#define F200(fields)  fresh(200, fields, 0, valid_200, 1)


START_TEST(policy_sources)
{
    ck_assert_int_eq(F200(""), 600);
    ck_assert_int_eq(F200("Cache-Control: max-age=5\r\n"), 5);
    ck_assert_int_eq(F200("Cache-Control: public, max-age=\"7\"\r\n"), 7);
    ck_assert_int_eq(F200("Cache-Control: max-age=5, s-maxage=9\r\n"), 9);
    ck_assert_int_eq(F200("X-Accel-Expires: 3\r\n"
                          "Cache-Control: max-age=100\r\n"), 3);
    ck_assert_int_eq(F200("X-Accel-Expires: @1800000042\r\n"), 42);
    /* NOW is Fri, 15 Jan 2027 08:00:00 GMT: expiring now is stale */
    ck_assert_int_eq(F200("Expires: Fri, 15 Jan 2027 08:00:00 GMT\r\n"), 0);
    ck_assert_int_eq(F200("Expires: Sat, 16 Jan 2027 08:00:00 GMT\r\n"),
                     86400);
    ck_assert_int_eq(F200("Cache-Control: max-age=8\r\n"
                          "Expires: Sat, 16 Jan 2027 08:00:00 GMT\r\n"), 8);
}
END_TEST


START_TEST(policy_refusals)
{
    ck_assert_int_eq(F200("Cache-Control: no-store\r\n"), 0);
    ck_assert_int_eq(F200("Cache-Control: no-cache\r\n"), 0);
    ck_assert_int_eq(F200("Cache-Control: private, max-age=60\r\n"), 0);
    ck_assert_int_eq(F200("Cache-Control: max-age=60, private\r\n"), 0);
    ck_assert_int_eq(F200("Cache-Control: max-age=0\r\n"), 0);
    ck_assert_int_eq(F200("X-Accel-Expires: 0\r\n"), 0);
    ck_assert_int_eq(F200("Expires: Thu, 01 Jan 1970 00:00:00 GMT\r\n"), 0);
    ck_assert_int_eq(F200("Set-Cookie: a=b\r\n"), 0);
    ck_assert_str_eq(pol.why, "Set-Cookie");
    ck_assert_int_eq(F200("Vary: *\r\n"), 0);
    ck_assert_int_eq(fresh(206, "", 0, valid_any, 2), 0);
    ck_assert_int_eq(fresh(304, "", 0, valid_any, 2), 0);
    ck_assert_int_eq(fresh(500, "", 0, valid_200, 1), 0);
}
END_TEST


START_TEST(policy_valid_codes)
{
    ck_assert_int_eq(fresh(404, "", 0, valid_any, 2), 60);
    ck_assert_int_eq(fresh(500, "", 0, valid_any, 2), 30);
    ck_assert_int_eq(fresh(500, "Cache-Control: max-age=2\r\n", 0, NULL, 0),
                     2);
    ck_assert_int_eq(pt_http_cache_valid_for(valid_any, 2, 301), 30);
    ck_assert_int_eq(pt_http_cache_valid_for(valid_200, 1, 301), 0);
}
END_TEST


START_TEST(policy_ignore)
{
    ck_assert_int_eq(fresh(200, "Set-Cookie: a=b\r\n",
                           PT_HTTP_CACHE_IGN_SET_COOKIE, valid_200, 1), 600);
    ck_assert_int_eq(fresh(200, "Cache-Control: no-store\r\n",
                           PT_HTTP_CACHE_IGN_CACHE_CONTROL, valid_200, 1), 600);
    ck_assert_int_eq(fresh(200, "X-Accel-Expires: 3\r\n"
                           "Cache-Control: max-age=9\r\n",
                           PT_HTTP_CACHE_IGN_X_ACCEL_EXPIRES, valid_200, 1), 9);
    ck_assert_int_eq(fresh(200, "Vary: *\r\n", PT_HTTP_CACHE_IGN_VARY,
                           valid_200, 1), 600);
    ck_assert_uint_eq(pol.vary.len, 0);
}
END_TEST


START_TEST(policy_validators)
{
    ck_assert_int_eq(F200("ETag: \"v1\"\r\nVary: Accept-Encoding\r\n"
                          "Last-Modified: Sat, 16 Jan 2027 08:00:00 GMT\r\n"),
                     600);
    ck_assert_uint_eq(pol.etag.len, 4);
    ck_assert(memcmp(pol.etag.data, "\"v1\"", 4) == 0);
    ck_assert_uint_eq(pol.vary.len, 15);
    ck_assert_uint_eq(pol.last_modified.len, 29);
}
END_TEST


START_TEST(policy_bad_head)
{
    pt_http_cache_policy_in_t  in = { 200, NOW, 0, valid_200, 1 };
    const char                *h = "HTTP/1.1 200 X\r\nBad Field\r\n\r\n";

    ck_assert_int_eq(pt_http_cache_policy((const u_char *) h, strlen(h), 16,
                                          &in, &pol), PT_ERROR);
}
END_TEST


Suite *
pt_suite_http_cache_policy(void)
{
    Suite  *s = suite_create("http_cache_policy");
    TCase  *tc = tcase_create("pt_http_cache_policy");

    tcase_add_test(tc, policy_sources);
    tcase_add_test(tc, policy_refusals);
    tcase_add_test(tc, policy_valid_codes);
    tcase_add_test(tc, policy_ignore);
    tcase_add_test(tc, policy_validators);
    tcase_add_test(tc, policy_bad_head);
    suite_add_tcase(s, tc);
    return s;
}
