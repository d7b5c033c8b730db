/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for PCRE2 regex compile, match, captures and named groups. */
#include "pt_config.h"
#include "pt_core.h"

#include <check.h>


static pt_pool_t  *pool;


static void
setup(void)
{
    pool = pt_create_pool(1024, NULL);
    ck_assert_ptr_nonnull(pool);
}


static void
teardown(void)
{
    pt_destroy_pool(pool);
    pool = NULL;
}


static pt_regex_t *
compile(const char *pattern, bool caseless)
{
    pt_regex_compile_t  rc;

    memset(&rc, 0, sizeof(rc));
    rc.pattern.data = (u_char *) pattern;
    rc.pattern.len = strlen(pattern);
    rc.caseless = caseless;
    rc.pool = pool;

    ck_assert_int_eq(pt_regex_compile(&rc), PT_OK);
    ck_assert_ptr_nonnull(rc.regex);

    return rc.regex;
}


static int
exec(pt_regex_t *re, const char *subject, int *caps, unsigned ncaps)
{
    pt_str_t  s;

    s.data = (u_char *) subject;
    s.len = strlen(subject);

    return pt_regex_exec(re, &s, caps, ncaps);
}


START_TEST(match_and_captures)
{
    int          caps[8];
    pt_regex_t  *re;

    re = compile("^/img/(\\w+)\\.(png|jpg)$", false);
    ck_assert_uint_eq(re->captures, 2);
    ck_assert_uint_eq(re->named, 0);

    ck_assert_int_eq(exec(re, "/img/cat.png", caps, 4), 3);
    ck_assert_int_eq(caps[0], 0);
    ck_assert_int_eq(caps[1], 12);
    ck_assert_int_eq(caps[2], 5);
    ck_assert_int_eq(caps[3], 8);
    ck_assert_int_eq(caps[4], 9);
    ck_assert_int_eq(caps[5], 12);

    /* fewer pairs asked for than matched */
    ck_assert_int_eq(exec(re, "/img/cat.png", caps, 1), 1);

    /* no room asked for */
    ck_assert_int_ge(exec(re, "/img/cat.png", NULL, 0), 1);

    ck_assert_int_eq(exec(re, "/img/cat.gif", caps, 4), PT_DECLINED);
    ck_assert_int_eq(exec(re, "/IMG/cat.png", caps, 4), PT_DECLINED);

    /* an optional group that did not take part */
    re = compile("^a(b)?(c)$", false);
    ck_assert_int_eq(exec(re, "ac", caps, 4), 3);
    ck_assert_int_eq(caps[2], -1);
    ck_assert_int_eq(caps[3], -1);
    ck_assert_int_eq(caps[4], 1);

    /* more groups than the shared match data held before */
    re = compile("(a)(b)(c)(d)(e)(f)(g)(h)(i)(j)(k)(l)", false);
    ck_assert_int_eq(exec(re, "abcdefghijkl", NULL, 0), 13);
}
END_TEST


START_TEST(caseless)
{
    pt_regex_t  *re;

    re = compile("\\.PHP$", true);
    ck_assert_int_eq(exec(re, "/index.php", NULL, 0), 1);
    ck_assert_int_eq(exec(re, "/index.PhP", NULL, 0), 1);
    ck_assert_int_eq(exec(re, "/index.phtml", NULL, 0), PT_DECLINED);
}
END_TEST


START_TEST(named_groups)
{
    int          caps[6];
    unsigned     n;
    pt_str_t     name;
    pt_regex_t  *re;

    re = compile("^/(?<user>[a-z]+)/(?<id>\\d+)$", false);
    ck_assert_uint_eq(re->captures, 2);
    ck_assert_uint_eq(re->named, 2);

    /* the name table is sorted by name */
    ck_assert_int_eq(pt_regex_named(re, 0, &name, &n), PT_OK);
    ck_assert_uint_eq(name.len, 2);
    ck_assert_int_eq(memcmp(name.data, "id", 2), 0);
    ck_assert_uint_eq(n, 2);

    ck_assert_int_eq(pt_regex_named(re, 1, &name, &n), PT_OK);
    ck_assert_uint_eq(name.len, 4);
    ck_assert_int_eq(memcmp(name.data, "user", 4), 0);
    ck_assert_uint_eq(n, 1);

    ck_assert_int_eq(pt_regex_named(re, 2, &name, &n), PT_DECLINED);

    ck_assert_int_eq(exec(re, "/bob/42", caps, 3), 3);
    ck_assert_int_eq(caps[4], 5);
    ck_assert_int_eq(caps[5], 7);
}
END_TEST


START_TEST(compile_error)
{
    pt_regex_compile_t  rc;

    memset(&rc, 0, sizeof(rc));
    pt_str_set(&rc.pattern, "^(unclosed");
    rc.pool = pool;

    ck_assert_int_eq(pt_regex_compile(&rc), PT_ERROR);
    ck_assert_ptr_nonnull(strstr((char *) rc.err, "pcre2_compile() failed"));
    ck_assert_ptr_nonnull(strstr((char *) rc.err, "^(unclosed"));
}
END_TEST


Suite *
pt_suite_regex(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("regex");

    tc = tcase_create("pt_regex_exec");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, match_and_captures);
    tcase_add_test(tc, caseless);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_regex_named");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, named_groups);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_regex_compile");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, compile_error);
    suite_add_tcase(s, tc);

    return s;
}
