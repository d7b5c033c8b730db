/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for sizes, times, URLs, CIDR blocks and socket helpers. */
#include "pt_config.h"
#include "pt_core.h"

#include <check.h>


static pt_pool_t  *pool;


static void
setup(void)
{
    pool = pt_create_pool(4096, NULL);
    ck_assert_ptr_nonnull(pool);
}


static void
teardown(void)
{
    pt_destroy_pool(pool);
    pool = NULL;
}


static ssize_t
size_of(const char *text)
{
    pt_str_t  s;

    s.data = (u_char *) text;
    s.len = strlen(text);

    return pt_parse_size(&s);
}


static off_t
offset_of(const char *text)
{
    pt_str_t  s;

    s.data = (u_char *) text;
    s.len = strlen(text);

    return pt_parse_offset(&s);
}


static int64_t
time_of(const char *text, bool is_sec)
{
    pt_str_t  s;

    s.data = (u_char *) text;
    s.len = strlen(text);

    return pt_parse_time(&s, is_sec);
}


START_TEST(sizes)
{
    ck_assert_int_eq(size_of("512"), 512);
    ck_assert_int_eq(size_of("8k"), 8192);
    ck_assert_int_eq(size_of("8K"), 8192);
    ck_assert_int_eq(size_of("1m"), 1048576);
    ck_assert_int_eq(size_of("1M"), 1048576);
    ck_assert_int_eq(size_of("1g"), 1073741824);
    ck_assert_int_eq(size_of("0"), 0);
    ck_assert_int_eq(size_of("-1"), -1);
    ck_assert_int_eq(size_of(""), -1);
    ck_assert_int_eq(size_of("k"), -1);
    ck_assert_int_eq(size_of("12x"), -1);
    ck_assert_int_eq(size_of("1 k"), -1);
    ck_assert_int_eq(size_of("9223372036854775807"), INT64_MAX);
    ck_assert_int_eq(size_of("9223372036854775808"), -1);
    ck_assert_int_eq(size_of("9007199254740992k"), -1);
    ck_assert_int_eq(size_of("99999999999999999999g"), -1);

    ck_assert_int_eq(offset_of("10g"), 10737418240LL);
    ck_assert_int_eq(offset_of("12x"), -1);
}
END_TEST


START_TEST(times)
{
    ck_assert_int_eq(time_of("500ms", false), 500);
    ck_assert_int_eq(time_of("30s", false), 30000);
    ck_assert_int_eq(time_of("30", false), 30000);
    ck_assert_int_eq(time_of("30", true), 30);
    ck_assert_int_eq(time_of("30s", true), 30);
    ck_assert_int_eq(time_of("1h 30m", true), 5400);
    ck_assert_int_eq(time_of("1h30m", true), 5400);
    ck_assert_int_eq(time_of("1h 30m", false), 5400000);
    ck_assert_int_eq(time_of("2d", true), 172800);
    ck_assert_int_eq(time_of("1w", true), 604800);
    ck_assert_int_eq(time_of("1M", true), 2592000);
    ck_assert_int_eq(time_of("1y", true), 31536000);
    ck_assert_int_eq(time_of("1m 1s 1ms", false), 61001);
    ck_assert_int_eq(time_of("1d 30", true), 86430);
    ck_assert_int_eq(time_of("0", true), 0);

    ck_assert_int_eq(time_of("500ms", true), -1);
    ck_assert_int_eq(time_of("5x", true), -1);
    ck_assert_int_eq(time_of("", true), -1);
    ck_assert_int_eq(time_of("s", true), -1);
    ck_assert_int_eq(time_of("-5s", true), -1);
    ck_assert_int_eq(time_of("30m 1h", true), -1);
    ck_assert_int_eq(time_of("1h 1h", true), -1);
    ck_assert_int_eq(time_of("30 1h", true), -1);
    ck_assert_int_eq(time_of("1hh", true), -1);
    ck_assert_int_eq(time_of("1h 5", false), 3605000);
    ck_assert_int_eq(time_of("1m5s", true), 65);
    ck_assert_int_eq(time_of("1h5", true), 3605);
    ck_assert_int_eq(time_of("9223372036854775807s", false), -1);
    ck_assert_int_eq(time_of("99999999999999999999", true), -1);
}
END_TEST


static pt_cidr_t
cidr_of(const char *text, int expect)
{
    pt_str_t   s;
    pt_cidr_t  c;

    s.data = (u_char *) text;
    s.len = strlen(text);

    ck_assert_int_eq(pt_parse_cidr(&s, &c), expect);

    return c;
}


static bool
match4(const pt_cidr_t *c, const char *addr)
{
    struct sockaddr_in  sin;

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    ck_assert_int_eq(inet_pton(AF_INET, addr, &sin.sin_addr), 1);

    return pt_cidr_match(c, (struct sockaddr *) &sin);
}


static bool
match6(const pt_cidr_t *c, const char *addr)
{
    struct sockaddr_in6  sin6;

    memset(&sin6, 0, sizeof(sin6));
    sin6.sin6_family = AF_INET6;
    ck_assert_int_eq(inet_pton(AF_INET6, addr, &sin6.sin6_addr), 1);

    return pt_cidr_match(c, (struct sockaddr *) &sin6);
}


START_TEST(cidr)
{
    pt_cidr_t           c;
    struct sockaddr_un  sun;

    c = cidr_of("10.1.2.0/24", PT_OK);
    ck_assert_uint_eq(c.family, AF_INET);
    ck_assert(match4(&c, "10.1.2.200"));
    ck_assert(!match4(&c, "10.1.3.1"));
    ck_assert(match6(&c, "::ffff:10.1.2.7"));
    ck_assert(!match6(&c, "::ffff:10.1.3.7"));
    ck_assert(!match6(&c, "2001:db8::1"));

    c = cidr_of("10.1.2.3", PT_OK);
    ck_assert(match4(&c, "10.1.2.3"));
    ck_assert(!match4(&c, "10.1.2.4"));

    c = cidr_of("10.1.2.3/24", PT_DONE);
    ck_assert(match4(&c, "10.1.2.99"));

    c = cidr_of("0.0.0.0/0", PT_OK);
    ck_assert(match4(&c, "192.0.2.1"));

    c = cidr_of("2001:db8::/32", PT_OK);
    ck_assert_uint_eq(c.family, AF_INET6);
    ck_assert(match6(&c, "2001:db8:1::5"));
    ck_assert(!match6(&c, "2001:db9::5"));
    ck_assert(!match4(&c, "10.0.0.1"));

    c = cidr_of("::1", PT_OK);
    ck_assert(match6(&c, "::1"));
    ck_assert(!match6(&c, "::2"));

    c = cidr_of("2001:db8::1/64", PT_DONE);
    ck_assert(match6(&c, "2001:db8::ffff"));

    c = cidr_of("2001:db8::/29", PT_OK);
    ck_assert(match6(&c, "2001:dbf::1"));
    ck_assert(!match6(&c, "2001:dc0::1"));

    c = cidr_of("all", PT_OK);
    ck_assert_uint_eq(c.family, 0);
    ck_assert(match4(&c, "1.2.3.4"));
    ck_assert(match6(&c, "::1"));

    c = cidr_of("unix:", PT_OK);
    ck_assert_uint_eq(c.family, AF_UNIX);
    memset(&sun, 0, sizeof(sun));
    sun.sun_family = AF_UNIX;
    ck_assert(pt_cidr_match(&c, (struct sockaddr *) &sun));
    ck_assert(!match4(&c, "1.2.3.4"));

    cidr_of("10.1.2.0/33", PT_ERROR);
    cidr_of("10.1.2.0/", PT_ERROR);
    cidr_of("10.1.2/24", PT_ERROR);
    cidr_of("::1/129", PT_ERROR);
    cidr_of("bogus", PT_ERROR);
    cidr_of("", PT_ERROR);
    cidr_of("1.2.3.4/2x", PT_ERROR);
}
END_TEST


static int
url_of(pt_url_t *u, const char *text, bool listen, in_port_t def)
{
    memset(u, 0, sizeof(pt_url_t));
    u->url.data = (u_char *) text;
    u->url.len = strlen(text);
    u->listen = listen;
    u->default_port = def;

    return pt_parse_url(pool, u);
}


static bool
name_is(const pt_addr_t *a, const char *text)
{
    return a->name.len == strlen(text)
           && memcmp(a->name.data, text, a->name.len) == 0;
}


START_TEST(urls)
{
    size_t               i;
    bool                 v4;
    pt_url_t             u;
    struct sockaddr_in  *sin;

    ck_assert_int_eq(url_of(&u, "127.0.0.1:8080", false, 80), PT_OK);
    ck_assert_uint_eq(u.family, AF_INET);
    ck_assert_uint_eq(u.port, 8080);
    ck_assert(!u.no_port);
    ck_assert_uint_eq(u.naddrs, 1);
    sin = (struct sockaddr_in *) &u.addrs[0].sockaddr;
    ck_assert_uint_eq(ntohs(sin->sin_port), 8080);
    ck_assert_uint_eq(ntohl(sin->sin_addr.s_addr), 0x7f000001);
    ck_assert(name_is(&u.addrs[0], "127.0.0.1:8080"));

    ck_assert_int_eq(url_of(&u, "[::1]:80", false, 0), PT_OK);
    ck_assert_uint_eq(u.family, AF_INET6);
    ck_assert_uint_eq(u.port, 80);
    ck_assert_uint_eq(u.naddrs, 1);
    ck_assert_uint_eq(u.host.len, 3);
    ck_assert(name_is(&u.addrs[0], "[::1]:80"));

    ck_assert_int_eq(url_of(&u, "[::]:443", true, 80), PT_OK);
    ck_assert(u.wildcard);
    ck_assert(name_is(&u.addrs[0], "[::]:443"));

    ck_assert_int_eq(url_of(&u, "8080", true, 80), PT_OK);
    ck_assert(u.wildcard);
    ck_assert_uint_eq(u.port, 8080);
    ck_assert_uint_eq(u.family, AF_INET);
    ck_assert(name_is(&u.addrs[0], "0.0.0.0:8080"));

    ck_assert_int_eq(url_of(&u, "*:80", true, 0), PT_OK);
    ck_assert(u.wildcard);
    ck_assert_uint_eq(u.port, 80);
    ck_assert(name_is(&u.addrs[0], "0.0.0.0:80"));

    ck_assert_int_eq(url_of(&u, "*:80", false, 0), PT_ERROR);
    ck_assert_ptr_nonnull(u.err);

    ck_assert_int_eq(url_of(&u, "127.0.0.1", true, 80), PT_OK);
    ck_assert(u.no_port);
    ck_assert_uint_eq(u.port, 80);
    ck_assert(name_is(&u.addrs[0], "127.0.0.1:80"));

    ck_assert_int_eq(url_of(&u, "unix:/tmp/x", false, 0), PT_OK);
    ck_assert_uint_eq(u.family, AF_UNIX);
    ck_assert_uint_eq(u.naddrs, 1);
    ck_assert_uint_eq(u.addrs[0].sockaddr.ss_family, AF_UNIX);
    ck_assert(name_is(&u.addrs[0], "unix:/tmp/x"));
    ck_assert_str_eq(((struct sockaddr_un *) &u.addrs[0].sockaddr)->sun_path,
                     "/tmp/x");

    ck_assert_int_eq(url_of(&u, "unix:/tmp/x.sock:/uri", false, 0), PT_OK);
    ck_assert(name_is(&u.addrs[0], "unix:/tmp/x.sock"));

    ck_assert_int_eq(url_of(&u, "unix:", false, 0), PT_ERROR);

    ck_assert_int_eq(url_of(&u, "localhost:3000", false, 0), PT_OK);
    ck_assert_uint_ge(u.naddrs, 1);
    v4 = false;

    for (i = 0; i < u.naddrs; i++) {
        ck_assert_uint_eq(pt_sock_port((struct sockaddr *)
                                       &u.addrs[i].sockaddr), 3000);

        if (name_is(&u.addrs[i], "127.0.0.1:3000")) {
            v4 = true;
        }
    }

    ck_assert(v4);

    /* no duplicates among resolved addresses */
    for (i = 1; i < u.naddrs; i++) {
        ck_assert(!pt_sock_eq((struct sockaddr *) &u.addrs[0].sockaddr,
                              u.addrs[0].socklen,
                              (struct sockaddr *) &u.addrs[i].sockaddr,
                              u.addrs[i].socklen));
    }

    ck_assert_int_eq(url_of(&u, "127.0.0.1:70000", false, 0), PT_ERROR);
    ck_assert_ptr_nonnull(u.err);
    ck_assert_int_eq(url_of(&u, "127.0.0.1:0", false, 0), PT_ERROR);
    ck_assert_int_eq(url_of(&u, "127.0.0.1:", false, 0), PT_ERROR);
    ck_assert_int_eq(url_of(&u, "127.0.0.1:8x", false, 0), PT_ERROR);
    ck_assert_int_eq(url_of(&u, "[::1", false, 0), PT_ERROR);
    ck_assert_int_eq(url_of(&u, "[::1]x", false, 0), PT_ERROR);
    ck_assert_int_eq(url_of(&u, "[nothost]:80", false, 0), PT_ERROR);
    ck_assert_int_eq(url_of(&u, "", false, 0), PT_ERROR);
    ck_assert_int_eq(url_of(&u, ":80", false, 0), PT_ERROR);
    ck_assert_int_eq(url_of(&u, "no-such-host.invalid:80", false, 0),
                     PT_ERROR);

    /* names are kept unresolved on request */
    memset(&u, 0, sizeof(u));
    pt_str_set(&u.url, "backend.example:8080");
    u.no_resolve = 1;
    ck_assert_int_eq(pt_parse_url(pool, &u), PT_OK);
    ck_assert_uint_eq(u.naddrs, 0);
    ck_assert_uint_eq(u.port, 8080);
    ck_assert_uint_eq(u.host.len, sizeof("backend.example") - 1);

    /* a path after the authority is not part of the address */
    ck_assert_int_eq(url_of(&u, "127.0.0.1:8080/path", false, 0), PT_OK);
    ck_assert_uint_eq(u.port, 8080);
}
END_TEST


START_TEST(sock_helpers)
{
    u_char               text[64];
    size_t               n;
    struct sockaddr_in   a, b;
    struct sockaddr_in6  a6;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_port = htons(8080);
    inet_pton(AF_INET, "192.0.2.1", &a.sin_addr);
    b = a;

    n = pt_sock_ntop((struct sockaddr *) &a, sizeof(a), text, sizeof(text),
                     true);
    ck_assert_int_eq(n, sizeof("192.0.2.1:8080") - 1);
    ck_assert_int_eq(memcmp(text, "192.0.2.1:8080", n), 0);

    n = pt_sock_ntop((struct sockaddr *) &a, sizeof(a), text, sizeof(text),
                     false);
    ck_assert_int_eq(memcmp(text, "192.0.2.1", n), 0);
    ck_assert_uint_eq(n, 9);

    n = pt_sock_ntop((struct sockaddr *) &a, sizeof(a), text, 5, true);
    ck_assert_uint_eq(n, 5);

    ck_assert_uint_eq(pt_sock_port((struct sockaddr *) &a), 8080);
    ck_assert(pt_sock_eq((struct sockaddr *) &a, sizeof(a),
                         (struct sockaddr *) &b, sizeof(b)));
    b.sin_port = htons(8081);
    ck_assert(!pt_sock_eq((struct sockaddr *) &a, sizeof(a),
                          (struct sockaddr *) &b, sizeof(b)));

    memset(&a6, 0, sizeof(a6));
    a6.sin6_family = AF_INET6;
    a6.sin6_port = htons(443);
    inet_pton(AF_INET6, "2001:db8::1", &a6.sin6_addr);

    n = pt_sock_ntop((struct sockaddr *) &a6, sizeof(a6), text, sizeof(text),
                     true);
    ck_assert_int_eq(n, sizeof("[2001:db8::1]:443") - 1);
    ck_assert_int_eq(memcmp(text, "[2001:db8::1]:443", n), 0);

    n = pt_sock_ntop((struct sockaddr *) &a6, sizeof(a6), text, sizeof(text),
                     false);
    ck_assert_int_eq(memcmp(text, "2001:db8::1", n), 0);

    ck_assert(!pt_sock_eq((struct sockaddr *) &a, sizeof(a),
                          (struct sockaddr *) &a6, sizeof(a6)));
    ck_assert_uint_eq(pt_sock_port((struct sockaddr *) &a6), 443);
}
END_TEST


/* Renders pt_parse_addr_port's result as "addr|port" or "ERROR". */
static const char *
addr_port(const char *text)
{
    static char               out[128];
    struct sockaddr_storage   ss;
    socklen_t                 len;
    u_char                    buf[64];
    size_t                    n;

    if (pt_parse_addr_port((const u_char *) text, strlen(text), &ss, &len)
        != PT_OK)
    {
        return "ERROR";
    }

    n = pt_sock_ntop((struct sockaddr *) &ss, len, buf, sizeof(buf), false);
    snprintf(out, sizeof(out), "%.*s|%u", (int) n, buf,
             (unsigned) pt_sock_port((struct sockaddr *) &ss));
    return out;
}


START_TEST(addr_port_cases)
{
    ck_assert_str_eq(addr_port("192.0.2.1"), "192.0.2.1|0");
    ck_assert_str_eq(addr_port("192.0.2.1:8080"), "192.0.2.1|8080");
    ck_assert_str_eq(addr_port("2001:db8::1"), "2001:db8::1|0");
    ck_assert_str_eq(addr_port("[2001:db8::1]"), "2001:db8::1|0");
    ck_assert_str_eq(addr_port("[2001:db8::1]:443"), "2001:db8::1|443");
    ck_assert_str_eq(addr_port("::ffff:192.0.2.1"), "::ffff:192.0.2.1|0");
    ck_assert_str_eq(addr_port(""), "ERROR");
    ck_assert_str_eq(addr_port("example.com"), "ERROR");
    ck_assert_str_eq(addr_port("192.0.2.1:0"), "ERROR");
    ck_assert_str_eq(addr_port("192.0.2.1:65536"), "ERROR");
    ck_assert_str_eq(addr_port("192.0.2.1:"), "ERROR");
    ck_assert_str_eq(addr_port("[2001:db8::1"), "ERROR");
    ck_assert_str_eq(addr_port("[2001:db8::1]x"), "ERROR");
    ck_assert_str_eq(addr_port("[192.0.2.1]"), "ERROR");
    ck_assert_str_eq(addr_port("1.2.3.4.5"), "ERROR");
}
END_TEST


Suite *
pt_suite_parse(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("parse");

    tc = tcase_create("pt_parse_size");
    tcase_add_test(tc, sizes);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_parse_time");
    tcase_add_test(tc, times);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_parse_cidr");
    tcase_add_test(tc, cidr);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_parse_url");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, urls);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_parse_addr_port");
    tcase_add_test(tc, addr_port_cases);
    suite_add_tcase(s, tc);

    tc = tcase_create("pt_sock_ntop");
    tcase_add_test(tc, sock_helpers);
    suite_add_tcase(s, tc);

    return s;
}
