/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the string helpers: numbers, formatting, escaping. */
#include "pt_config.h"
#include "pt_core.h"

#include <check.h>


#define U(s)  ((u_char *) (s))


static void
check_escape(const char *in, pt_escape_e type, const char *expect)
{
    size_t   n;
    u_char   out[256], *end;

    n = pt_escape_len(U(in), strlen(in), type);
    ck_assert_uint_eq(n, strlen(expect));
    ck_assert_uint_lt(n, sizeof(out));

    end = pt_escape(out, U(in), strlen(in), type);
    ck_assert_uint_eq((size_t) (end - out), n);
    *end = '\0';
    ck_assert_str_eq((char *) out, expect);
}


START_TEST(compare)
{
    pt_str_t  a = pt_string("Hello");
    pt_str_t  b = pt_string("hELLO");
    pt_str_t  c = pt_string("Hello");
    pt_str_t  e = pt_null_string;
    u_char    buf[8];

    ck_assert(pt_str_eq(&a, &c));
    ck_assert(!pt_str_eq(&a, &b));
    ck_assert(pt_str_caseeq(&a, &b));
    ck_assert(pt_str_caseeq_lit(&a, "HELLO"));
    ck_assert(!pt_str_caseeq_lit(&a, "HELL"));
    ck_assert(pt_str_eq(&e, &e));
    ck_assert_int_eq(pt_strncasecmp(U("abc"), U("ABD"), 3) < 0, 1);

    pt_strlow(buf, U("MiXeD"), 5);
    ck_assert_int_eq(memcmp(buf, "mixed", 5), 0);
}
END_TEST


START_TEST(strnstr)
{
    const char  *s = "GET /index.html HTTP/1.1";

    ck_assert_ptr_eq(pt_strnstr(U(s), U(s) + strlen(s), "HTTP"), U(s) + 16);
    ck_assert_ptr_null(pt_strnstr(U(s), U(s) + 18, "HTTP/1"));
    ck_assert_ptr_null(pt_strnstr(U(s), U(s), "GET"));
}
END_TEST


START_TEST(atoi_hextoi)
{
    ck_assert_int_eq(pt_atoi(U("12345"), 5, INT64_MAX), 12345);
    ck_assert_int_eq(pt_atoi(U("0"), 1, 10), 0);
    ck_assert_int_eq(pt_atoi(U(""), 0, 10), -1);
    ck_assert_int_eq(pt_atoi(U("11"), 2, 10), -1);
    ck_assert_int_eq(pt_atoi(U("10"), 2, 10), 10);
    ck_assert_int_eq(pt_atoi(U("1a"), 2, 100), -1);
    ck_assert_int_eq(pt_atoi(U("-1"), 2, 100), -1);
    ck_assert_int_eq(pt_atoi(U("9223372036854775807"), 19, INT64_MAX),
                     INT64_MAX);
    ck_assert_int_eq(pt_atoi(U("9223372036854775808"), 19, INT64_MAX), -1);

    ck_assert_int_eq(pt_hextoi(U("ff"), 2, INT64_MAX), 255);
    ck_assert_int_eq(pt_hextoi(U("DeadBeef"), 8, INT64_MAX), 0xdeadbeef);
    ck_assert_int_eq(pt_hextoi(U("g"), 1, INT64_MAX), -1);
    ck_assert_int_eq(pt_hextoi(U("100"), 3, 255), -1);
    ck_assert_int_eq(pt_hextoi(U("7fffffffffffffff"), 16, INT64_MAX),
                     INT64_MAX);
    ck_assert_int_eq(pt_hextoi(U("8000000000000000"), 16, INT64_MAX), -1);
}
END_TEST


START_TEST(snprintf_bounds)
{
    u_char   buf[16], *p;
    char     big[5000];

    memset(buf, 'Z', sizeof(buf));

    p = pt_snprintf(buf, buf + sizeof(buf), "%d-%s", 42, "abc");
    ck_assert_int_eq(p - buf, 6);
    ck_assert_int_eq(memcmp(buf, "42-abc", 6), 0);

    /* exact fit: every byte kept, nothing past last */
    memset(buf, 'Z', sizeof(buf));
    p = pt_snprintf(buf, buf + 4, "%s", "abcd");
    ck_assert_ptr_eq(p, buf + 4);
    ck_assert_int_eq(memcmp(buf, "abcd", 4), 0);
    ck_assert_int_eq(buf[4], 'Z');

    /* truncation */
    p = pt_snprintf(buf, buf + 3, "%s", "abcdef");
    ck_assert_ptr_eq(p, buf + 3);
    ck_assert_int_eq(memcmp(buf, "abc", 3), 0);

    /* empty room */
    p = pt_snprintf(buf, buf, "%s", "abc");
    ck_assert_ptr_eq(p, buf);

    /* truncation of output longer than the scratch buffer */
    memset(big, 'x', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    p = pt_snprintf(buf, buf + 10, "%s", big);
    ck_assert_ptr_eq(p, buf + 10);
    ck_assert_int_eq(buf[9], 'x');
}
END_TEST


START_TEST(escape)
{
    check_escape("/a b/c?d=é&x", PT_ESCAPE_URI,
                 "/a%20b/c%3Fd%3D%C3%A9%26x");
    check_escape("a-b_c.d~e", PT_ESCAPE_URI, "a-b_c.d~e");
    check_escape("a=b&c+d e/f", PT_ESCAPE_ARGS, "a%3Db%26c%2Bd%20e/f");
    check_escape("<a href=\"x\">&</a>", PT_ESCAPE_HTML,
                 "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;");
    check_escape("say \"hi\"\\\n\x7f\xff ok", PT_ESCAPE_LOG_DEFAULT,
                 "say \\x22hi\\x22\\x5C\\x0A\\x7F\\xFF ok");
    check_escape("q\"b\\n\n\r\t\b\f\x01\xc3\xa9", PT_ESCAPE_LOG_JSON,
                 "q\\\"b\\\\n\\n\\r\\t\\b\\f\\u0001\xc3\xa9");
    check_escape("http://x/a b'%", PT_ESCAPE_REFRESH,
                 "http://x/a%20b%27%25");
    check_escape("", PT_ESCAPE_URI, "");

    ck_assert_ptr_null(pt_escape(NULL, U("a b"), 3, PT_ESCAPE_URI));
}
END_TEST


START_TEST(unescape)
{
    u_char   buf[64];
    ssize_t  n;

    n = pt_unescape(buf, U("a%20b%2Fc+d%c3%A9"), 17);
    ck_assert_int_eq(n, 9);
    ck_assert_int_eq(memcmp(buf, "a b/c+d\xc3\xa9", 9), 0);

    /* in place */
    memcpy(buf, "%41%42C", 7);
    ck_assert_int_eq(pt_unescape(buf, buf, 7), 3);
    ck_assert_int_eq(memcmp(buf, "ABC", 3), 0);

    ck_assert_int_eq(pt_unescape(buf, U("%4"), 2), -1);
    ck_assert_int_eq(pt_unescape(buf, U("%"), 1), -1);
    ck_assert_int_eq(pt_unescape(buf, U("%zz"), 3), -1);
    ck_assert_int_eq(pt_unescape(buf, U("a%4g"), 4), -1);
    ck_assert_int_eq(pt_unescape(buf, U(""), 0), 0);
}
END_TEST


START_TEST(hex_dump)
{
    u_char  buf[16], *p;

    p = pt_hex_dump(buf, U("\x00\xab\x7f"), 3);
    ck_assert_int_eq(p - buf, 6);
    ck_assert_int_eq(memcmp(buf, "00ab7f", 6), 0);

    /* and back: case-insensitive, whole bytes only, bounded by dst */
    u_char  out[4];

    ck_assert_int_eq(pt_hex_decode(out, sizeof(out), buf, 6), 3);
    ck_assert_int_eq(memcmp(out, "\x00\xab\x7f", 3), 0);
    ck_assert_int_eq(pt_hex_decode(out, sizeof(out), U("FF0a"), 4), 2);
    ck_assert_int_eq(out[0], 0xff);
    ck_assert_int_eq(out[1], 0x0a);
    ck_assert_int_eq(pt_hex_decode(out, sizeof(out), U("abc"), 3), -1);
    ck_assert_int_eq(pt_hex_decode(out, sizeof(out), U("zz"), 2), -1);
    ck_assert_int_eq(pt_hex_decode(out, sizeof(out), U("0102030405"), 10), -1);
    ck_assert_int_eq(pt_hex_decode(out, sizeof(out), U(""), 0), 0);
}
END_TEST


Suite *
pt_suite_string(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("string");

    tc = tcase_create("pt_str_eq");
    tcase_add_test(tc, compare);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_strnstr");
    tcase_add_test(tc, strnstr);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_atoi");
    tcase_add_test(tc, atoi_hextoi);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_snprintf");
    tcase_add_test(tc, snprintf_bounds);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_escape");
    tcase_add_test(tc, escape);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_unescape");
    tcase_add_test(tc, unescape);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_hex_dump");
    tcase_add_test(tc, hex_dump);
    suite_add_tcase(s, tc);

    return s;
}
