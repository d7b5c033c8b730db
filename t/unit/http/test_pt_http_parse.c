/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the pure HTTP/1.1 parser, inputs on guard pages. */

#include "pt_config.h"
#include "pt_core.h"
#include "pt_http_parse.h"

#include <check.h>


/*
 * Copies len bytes to the end of a readable page followed by a PROT_NONE
 * page, so that any read past the input faults.  The mapping is never
 * freed: each test runs in its own forked process.
 */
static u_char *
guard(const void *data, size_t len)
{
    long    page;
    size_t  size;
    u_char  *m;

    page = sysconf(_SC_PAGESIZE);
    size = pt_align(len, (size_t) page);

    if (size == 0) {
        size = page;
    }

    m = mmap(NULL, size + page, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    ck_assert_ptr_ne(m, MAP_FAILED);
    ck_assert_int_eq(mprotect(m + size, page, PROT_NONE), 0);

    m += size - len;
    memcpy(m, data, len);

    return m;
}


#define G(s)  guard(s, sizeof(s) - 1), sizeof(s) - 1


static int
rl(pt_http_parse_t *p, const char *s)
{
    size_t  len;

    memset(p, 0, sizeof(*p));
    len = strlen(s);

    return pt_http_parse_request_line(p, guard(s, len), len);
}


/* request line results as text, to compare parses over splits */
static void
describe(char *out, size_t size, pt_http_parse_t *p, const u_char *b)
{
    snprintf(out, size, "m=%d[%.*s] u=[%.*s] path=[%.*s] args=%zu v=%u.%u "
             "f=%d h=[%.*s] port=[%.*s] c=%d q=%d +=%d",
             p->method, (int) (p->method_end - p->method_start),
             b + p->method_start, (int) (p->uri_end - p->uri_start),
             b + p->uri_start, (int) (p->path_end - p->path_start),
             b + p->path_start, p->args_start, p->http_major, p->http_minor,
             p->target_form, (int) (p->host_end - p->host_start),
             b + p->host_start, (int) (p->port_end - p->port_start),
             b + p->port_start, p->complex_uri, p->quoted_uri, p->plus_in_uri);
}


/*
 * Parses a whole head, first offering only split bytes (and, with step,
 * growing one byte per PT_AGAIN), and writes a description of everything
 * parsed to out.  Returns the last return code.
 */
static int
parse_head(const u_char *b, size_t n, size_t split, bool step, char *out,
    size_t size)
{
    int              rc;
    size_t           avail, o;
    pt_http_parse_t  p;

    memset(&p, 0, sizeof(p));
    avail = split;

    for ( ;; ) {
        rc = pt_http_parse_request_line(&p, b, avail);

        if (rc != PT_AGAIN) {
            break;
        }

        ck_assert_int_lt(avail, n);
        avail = step ? avail + 1 : n;
    }

    if (rc != PT_OK) {
        return rc;
    }

    describe(out, size, &p, b);
    o = strlen(out);

    for ( ;; ) {
        rc = pt_http_parse_header_line(&p, b, avail);

        if (rc == PT_AGAIN) {
            ck_assert_int_lt(avail, n);
            avail = step ? avail + 1 : n;
            continue;
        }

        if (rc != PT_OK) {
            break;
        }

        o += snprintf(out + o, size - o, " {%.*s=%.*s %lx}",
                      (int) (p.header_name_end - p.header_name_start),
                      b + p.header_name_start,
                      (int) (p.header_end - p.header_start),
                      b + p.header_start, (unsigned long) p.header_hash);
        ck_assert_uint_lt(o, size);
    }

    if (rc == PT_DONE) {
        snprintf(out + o, size - o, " end=%zu", p.pos);
    }

    return rc;
}


static const char  full_request[] =
    "\r\nGET /a/b%20c?x=1&y=2 HTTP/1.1\r\n"
    "Host: example.com\r\n"
    "X-Under_score:\t  spaced value \t\r\n"
    "Empty:\r\n"
    "Obs: caf\xc3\xa9\r\n"
    "\r\n"
    "NEXT";


START_TEST(request_line_simple)
{
    u_char           *b;
    pt_http_parse_t   p;
    static const char s[] = "GET /index.html?a=b HTTP/1.1\r\nHost";

    memset(&p, 0, sizeof(p));
    b = guard(s, sizeof(s) - 1);

    ck_assert_int_eq(pt_http_parse_request_line(&p, b, sizeof(s) - 1), PT_OK);
    ck_assert_int_eq(p.method, PT_HTTP_GET);
    ck_assert_uint_eq(p.method_start, 0);
    ck_assert_uint_eq(p.method_end, 3);
    ck_assert_uint_eq(p.uri_start, 4);
    ck_assert_uint_eq(p.uri_end, 19);
    ck_assert_uint_eq(p.path_start, 4);
    ck_assert_uint_eq(p.path_end, 15);
    ck_assert_uint_eq(p.args_start, 16);
    ck_assert_uint_eq(p.request_start, 0);
    ck_assert_uint_eq(p.request_end, 28);
    ck_assert_uint_eq(p.pos, 30);
    ck_assert_uint_eq(p.http_major, 1);
    ck_assert_uint_eq(p.http_minor, 1);
    ck_assert_int_eq(p.target_form, PT_HTTP_TARGET_ORIGIN);
    ck_assert_int_eq(p.complex_uri, 0);
    ck_assert_int_eq(p.host_start, 0);
}
END_TEST


START_TEST(request_line_partial_is_again)
{
    pt_http_parse_t  p = { 0 };

    ck_assert_int_eq(pt_http_parse_request_line(&p, G("GET / HT")), PT_AGAIN);
    ck_assert_int_eq(pt_http_parse_request_line(&p, G("GET / HTTP/1.1\r")),
                     PT_AGAIN);
    ck_assert_int_eq(pt_http_parse_request_line(&p, G("GET / HTTP/1.1\r\n")),
                     PT_OK);
    ck_assert_uint_eq(p.pos, 16);

    memset(&p, 0, sizeof(p));
    ck_assert_int_eq(pt_http_parse_request_line(&p, NULL, 0), PT_AGAIN);
    ck_assert_int_eq(pt_http_parse_request_line(&p, G("\r")), PT_AGAIN);
    ck_assert_int_eq(pt_http_parse_request_line(&p, G("\r\n")), PT_AGAIN);
    ck_assert_uint_eq(p.pos, 2);
}
END_TEST


START_TEST(request_line_every_split)
{
    int      rc;
    char     ref[1024], got[1024];
    size_t   n, split;
    u_char  *b;

    n = sizeof(full_request) - 1;
    b = guard(full_request, n);

    rc = parse_head(b, n, n, false, ref, sizeof(ref));
    ck_assert_int_eq(rc, PT_DONE);
    ck_assert_ptr_ne(strstr(ref, "end=107"), NULL);
    ck_assert_ptr_ne(strstr(ref, "{X-Under_score=spaced value "), NULL);
    ck_assert_ptr_ne(strstr(ref, "{Empty= "), NULL);

    for (split = 0; split <= n; split++) {
        memset(got, 0, sizeof(got));
        rc = parse_head(b, n, split, false, got, sizeof(got));
        ck_assert_int_eq(rc, PT_DONE);
        ck_assert_str_eq(got, ref);
    }

    memset(got, 0, sizeof(got));
    rc = parse_head(b, n, 0, true, got, sizeof(got));
    ck_assert_int_eq(rc, PT_DONE);
    ck_assert_str_eq(got, ref);
}
END_TEST


START_TEST(request_line_empty_lines_and_lf)
{
    pt_http_parse_t  p;

    ck_assert_int_eq(rl(&p, "\r\n\n\r\nGET / HTTP/1.0\n"), PT_OK);
    ck_assert_uint_eq(p.request_start, 5);
    ck_assert_uint_eq(p.method_start, 5);
    ck_assert_uint_eq(p.http_minor, 0);
    ck_assert_uint_eq(p.pos, 20);

    ck_assert_int_eq(rl(&p, "\rGET / HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
}
END_TEST


START_TEST(request_line_bare_cr)
{
    pt_http_parse_t  p;

    ck_assert_int_eq(rl(&p, "GET / HTTP/1.1\rX"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
    ck_assert_int_eq(rl(&p, "GET /a\rb HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
}
END_TEST


START_TEST(request_line_spaces)
{
    pt_http_parse_t  p;

    ck_assert_int_eq(rl(&p, "GET  / HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
    ck_assert_int_eq(rl(&p, "GET /  HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET / HTTP/1.1 \r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, " GET / HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET\t/ HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET /\tHTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET /a b HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
}
END_TEST


START_TEST(request_line_version)
{
    pt_http_parse_t  p;

    ck_assert_int_eq(rl(&p, "GET / HTTP/2.0\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 505);
    ck_assert_int_eq(rl(&p, "GET / HTTP/3.0\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 505);
    ck_assert_int_eq(rl(&p, "GET / HTTP/0.9\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 505);

    ck_assert_int_eq(rl(&p, "GET /\r\n"), PT_ERROR);         /* HTTP/0.9 */
    ck_assert_int_eq(p.status, 400);
    ck_assert_int_eq(rl(&p, "GET\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
    ck_assert_int_eq(rl(&p, "GET / HTTP/1.10\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
    ck_assert_int_eq(rl(&p, "GET / http/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET / HTTP/1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET / HTTP/x.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET / HTTP/1.x\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET / HTTP/11.1\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);

    ck_assert_int_eq(rl(&p, "GET / HTTP/1.0\r\n"), PT_OK);
    ck_assert_uint_eq(p.http_minor, 0);
    ck_assert_int_eq(rl(&p, "GET / HTTP/1.9\r\n"), PT_OK);
    ck_assert_uint_eq(p.http_minor, 9);
}
END_TEST


START_TEST(request_line_method)
{
    pt_http_parse_t  p;

    ck_assert_int_eq(rl(&p, "FOO / HTTP/1.1\r\n"), PT_OK);
    ck_assert_int_eq(p.method, PT_HTTP_UNKNOWN);
    ck_assert_int_eq(rl(&p, "get / HTTP/1.1\r\n"), PT_OK);
    ck_assert_int_eq(p.method, PT_HTTP_UNKNOWN);
    ck_assert_int_eq(rl(&p, "M-SEARCH * HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "DELETE /x HTTP/1.1\r\n"), PT_OK);
    ck_assert_int_eq(p.method, PT_HTTP_DELETE);

    ck_assert_int_eq(rl(&p, "GE(T / HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
    ck_assert_int_eq(rl(&p, "G\"T / HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET/ / HTTP/1.1\r\n"), PT_ERROR);
}
END_TEST


START_TEST(request_line_absolute_form)
{
    u_char           *b;
    pt_http_parse_t   p;
    static const char s[] = "GET http://Example.com:8080/p/q?z HTTP/1.1\r\n";

    memset(&p, 0, sizeof(p));
    b = guard(s, sizeof(s) - 1);
    ck_assert_int_eq(pt_http_parse_request_line(&p, b, sizeof(s) - 1), PT_OK);
    ck_assert_int_eq(p.target_form, PT_HTTP_TARGET_ABSOLUTE);
    ck_assert_int_eq(memcmp(b + p.schema_start, "http", 4), 0);
    ck_assert_uint_eq(p.schema_end - p.schema_start, 4);
    ck_assert_uint_eq(p.host_end - p.host_start, 11);
    ck_assert_int_eq(memcmp(b + p.host_start, "Example.com", 11), 0);
    ck_assert_uint_eq(p.port_end - p.port_start, 4);
    ck_assert_int_eq(memcmp(b + p.port_start, "8080", 4), 0);
    ck_assert_uint_eq(p.path_end - p.path_start, 4);
    ck_assert_int_eq(memcmp(b + p.path_start, "/p/q", 4), 0);
    ck_assert_int_eq(b[p.args_start], 'z');

    ck_assert_int_eq(rl(&p, "GET http://h HTTP/1.1\r\n"), PT_OK);
    ck_assert_uint_eq(p.path_start, p.path_end);
    ck_assert_uint_eq(p.args_start, 0);
    ck_assert_int_eq(rl(&p, "GET http://h?a HTTP/1.1\r\n"), PT_OK);
    ck_assert_uint_eq(p.path_start, p.path_end);
    ck_assert_uint_ne(p.args_start, 0);
    ck_assert_int_eq(rl(&p, "GET https://[::1]:443/ HTTP/1.1\r\n"), PT_OK);
    ck_assert_uint_eq(p.host_end - p.host_start, 5);

    ck_assert_int_eq(rl(&p, "GET http:/h/ HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET http:// HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET http://:80/ HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET http://h:8x/ HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET http://[]/ HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET http://[::1/ HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET http://[::1]x/ HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET http://[::x]/ HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET http://h\"/ HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET 1http://h/ HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
}
END_TEST


START_TEST(request_line_userinfo)
{
    pt_http_parse_t  p;

    ck_assert_int_eq(rl(&p, "GET http://user@h/ HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
    ck_assert_int_eq(rl(&p, "GET http://u:pw@h:80/ HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "CONNECT u@h:443 HTTP/1.1\r\n"), PT_ERROR);

    /* '@' in the path is a plain pchar */
    ck_assert_int_eq(rl(&p, "GET http://h/@x HTTP/1.1\r\n"), PT_OK);
    ck_assert_int_eq(rl(&p, "GET /@x HTTP/1.1\r\n"), PT_OK);
}
END_TEST


START_TEST(request_line_authority_form)
{
    u_char           *b;
    pt_http_parse_t   p;
    static const char s[] = "CONNECT example.com:443 HTTP/1.1\r\n";

    memset(&p, 0, sizeof(p));
    b = guard(s, sizeof(s) - 1);
    ck_assert_int_eq(pt_http_parse_request_line(&p, b, sizeof(s) - 1), PT_OK);
    ck_assert_int_eq(p.method, PT_HTTP_CONNECT);
    ck_assert_int_eq(p.target_form, PT_HTTP_TARGET_AUTHORITY);
    ck_assert_int_eq(memcmp(b + p.host_start, "example.com", 11), 0);
    ck_assert_int_eq(memcmp(b + p.port_start, "443", 3), 0);
    ck_assert_uint_eq(p.path_start, p.uri_end);

    ck_assert_int_eq(rl(&p, "CONNECT [::1]:443 HTTP/1.1\r\n"), PT_OK);
    ck_assert_int_eq(rl(&p, "CONNECT example.com HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "CONNECT example.com: HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "CONNECT / HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "CONNECT h:443/x HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET example.com:443 HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
}
END_TEST


START_TEST(request_line_asterisk_form)
{
    pt_http_parse_t  p;

    ck_assert_int_eq(rl(&p, "OPTIONS * HTTP/1.1\r\n"), PT_OK);
    ck_assert_int_eq(p.target_form, PT_HTTP_TARGET_ASTERISK);
    ck_assert_int_eq(rl(&p, "GET * HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
    ck_assert_int_eq(rl(&p, "OPTIONS *x HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "OPTIONS / HTTP/1.1\r\n"), PT_OK);
    ck_assert_int_eq(rl(&p, "PRI * HTTP/2.0\r\n"), PT_ERROR);
}
END_TEST


START_TEST(request_line_fragment)
{
    pt_http_parse_t  p;

    ck_assert_int_eq(rl(&p, "GET /a#b HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
    ck_assert_int_eq(rl(&p, "GET /a?x#b HTTP/1.1\r\n"), PT_ERROR);
    ck_assert_int_eq(rl(&p, "GET http://h/#b HTTP/1.1\r\n"), PT_ERROR);
}
END_TEST


START_TEST(request_line_bad_bytes)
{
    int              i;
    char             s[32];
    pt_http_parse_t  p;
    static const int bad[] = { 0x00, 0x01, 0x09, 0x0b, 0x1f, 0x7f, 0x80, 0xff };

    for (i = 0; i < (int) pt_nelts(bad); i++) {
        memcpy(s, "GET /aXb HTTP/1.1\r\n", 20);
        s[6] = (char) bad[i];

        memset(&p, 0, sizeof(p));
        ck_assert_int_eq(pt_http_parse_request_line(&p, guard(s, 19), 19),
                         PT_ERROR);
        ck_assert_int_eq(p.status, 400);

        /* rejected before the line is complete */
        memset(&p, 0, sizeof(p));
        ck_assert_int_eq(pt_http_parse_request_line(&p, guard(s, 7), 7),
                         PT_ERROR);
    }

    /* printable oddities nginx accepts stay accepted */
    ck_assert_int_eq(rl(&p, "GET /a|b\"{}^`\\[] HTTP/1.1\r\n"), PT_OK);
}
END_TEST


START_TEST(request_line_flags)
{
    pt_http_parse_t  p;

    ck_assert_int_eq(rl(&p, "GET /a/b?x=%41/./+ HTTP/1.1\r\n"), PT_OK);
    ck_assert_int_eq(p.complex_uri, 0);
    ck_assert_int_eq(p.quoted_uri, 0);
    ck_assert_int_eq(p.plus_in_uri, 0);

    ck_assert_int_eq(rl(&p, "GET /a%41 HTTP/1.1\r\n"), PT_OK);
    ck_assert_int_eq(p.complex_uri, 1);
    ck_assert_int_eq(p.quoted_uri, 1);

    ck_assert_int_eq(rl(&p, "GET /a//b HTTP/1.1\r\n"), PT_OK);
    ck_assert_int_eq(p.complex_uri, 1);
    ck_assert_int_eq(p.quoted_uri, 0);

    ck_assert_int_eq(rl(&p, "GET /a/../b HTTP/1.1\r\n"), PT_OK);
    ck_assert_int_eq(p.complex_uri, 1);

    ck_assert_int_eq(rl(&p, "GET /a+b HTTP/1.1\r\n"), PT_OK);
    ck_assert_int_eq(p.plus_in_uri, 1);
    ck_assert_int_eq(p.complex_uri, 0);
}
END_TEST


START_TEST(request_line_pipelined)
{
    u_char           *b;
    pt_http_parse_t   p;
    static const char s[] = "GET /1 HTTP/1.1\r\n\r\nGET /2 HTTP/1.1\r\n\r\n";

    b = guard(s, sizeof(s) - 1);
    memset(&p, 0, sizeof(p));
    ck_assert_int_eq(pt_http_parse_request_line(&p, b, sizeof(s) - 1), PT_OK);
    ck_assert_int_eq(pt_http_parse_header_line(&p, b, sizeof(s) - 1), PT_DONE);
    ck_assert_uint_eq(p.pos, 19);

    memset(&p, 0, sizeof(p));
    p.pos = 19;
    ck_assert_int_eq(pt_http_parse_request_line(&p, b, sizeof(s) - 1), PT_OK);
    ck_assert_int_eq(b[p.uri_start + 1], '2');
    ck_assert_int_eq(pt_http_parse_header_line(&p, b, sizeof(s) - 1), PT_DONE);
    ck_assert_uint_eq(p.pos, sizeof(s) - 1);
}
END_TEST


/* parses "GET / HTTP/1.1\r\n" then one header line */
static int
hl(pt_http_parse_t *p, const char *line, const u_char **bp)
{
    char     s[512];
    size_t   n;
    u_char  *b;

    n = (size_t) snprintf(s, sizeof(s), "GET / HTTP/1.1\r\n%s", line);
    b = guard(s, n);
    memset(p, 0, sizeof(*p));
    ck_assert_int_eq(pt_http_parse_request_line(p, b, n), PT_OK);

    if (bp) {
        *bp = b;
    }

    return pt_http_parse_header_line(p, b, n);
}


static uint64_t
fnv_lc(const char *s)
{
    uint64_t  h = 14695981039346656037ULL;

    for ( ; *s; s++) {
        h ^= (u_char) pt_tolower((u_char) *s);
        h *= 1099511628211ULL;
    }

    return h;
}


START_TEST(header_line_simple)
{
    const u_char     *b;
    pt_http_parse_t   p;

    ck_assert_int_eq(hl(&p, "Content-Type:  text/html \t\r\n", &b), PT_OK);
    ck_assert_uint_eq(p.header_name_start, 16);
    ck_assert_uint_eq(p.header_name_end, 28);
    ck_assert_uint_eq(p.header_end - p.header_start, 9);
    ck_assert_int_eq(memcmp(b + p.header_start, "text/html", 9), 0);
    ck_assert_uint_eq(p.header_hash, (uintptr_t) fnv_lc("content-type"));
    ck_assert_uint_eq(p.lowcase_index, 12);
    ck_assert_int_eq(memcmp(p.lowcase_name, "content-type", 12), 0);
    ck_assert_int_eq(p.invalid_header, 0);
    ck_assert_int_eq(p.underscore, 0);
    ck_assert_uint_eq(p.pos, 16 + 28);

    ck_assert_int_eq(hl(&p, "A:\r\n", NULL), PT_OK);
    ck_assert_uint_eq(p.header_start, p.header_end);
    ck_assert_int_eq(hl(&p, "A: \t \r\n", NULL), PT_OK);
    ck_assert_uint_eq(p.header_start, p.header_end);
    ck_assert_int_eq(hl(&p, "A:b\n", NULL), PT_OK);
    ck_assert_uint_eq(p.header_end - p.header_start, 1);
    ck_assert_int_eq(hl(&p, "A: b\tc \xff\x80\r\n", NULL), PT_OK);
    ck_assert_uint_eq(p.header_end - p.header_start, 6);
}
END_TEST


START_TEST(header_line_done)
{
    pt_http_parse_t  p;

    ck_assert_int_eq(hl(&p, "\r\nrest", NULL), PT_DONE);
    ck_assert_uint_eq(p.pos, 18);
    ck_assert_int_eq(hl(&p, "\nrest", NULL), PT_DONE);
    ck_assert_uint_eq(p.pos, 17);
    ck_assert_int_eq(hl(&p, "\r", NULL), PT_AGAIN);
    ck_assert_int_eq(hl(&p, "Host: x", NULL), PT_AGAIN);
    ck_assert_uint_eq(p.pos, 16);
}
END_TEST


START_TEST(header_line_flags)
{
    pt_http_parse_t  p;

    ck_assert_int_eq(hl(&p, "X_Forwarded_For: 1\r\n", NULL), PT_OK);
    ck_assert_int_eq(p.underscore, 1);
    ck_assert_int_eq(p.invalid_header, 0);

    ck_assert_int_eq(hl(&p, "X.Foo~!: 1\r\n", NULL), PT_OK);
    ck_assert_int_eq(p.underscore, 0);
    ck_assert_int_eq(p.invalid_header, 1);

    ck_assert_int_eq(hl(&p, "X-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789: v\r\n",
                        NULL), PT_OK);
    ck_assert_uint_eq(p.lowcase_index, PT_HTTP_LC_NAME_LEN);
    ck_assert_int_eq(memcmp(p.lowcase_name, "x-abcdefghijklmnopqrstuvwxyz-012",
                            32), 0);
    ck_assert_uint_eq(p.header_hash,
        (uintptr_t) fnv_lc("X-ABCDEFGHIJKLMNOPQRSTUVWXYZ-0123456789"));
}
END_TEST


START_TEST(header_line_obs_fold)
{
    int               rc;
    u_char           *b;
    pt_http_parse_t   p;
    static const char s[] = "GET / HTTP/1.1\r\nA: b\r\n c\r\n\r\n";

    ck_assert_int_eq(hl(&p, " A: b\r\n", NULL), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
    ck_assert_int_eq(hl(&p, "\tA: b\r\n", NULL), PT_ERROR);

    b = guard(s, sizeof(s) - 1);
    memset(&p, 0, sizeof(p));
    ck_assert_int_eq(pt_http_parse_request_line(&p, b, sizeof(s) - 1), PT_OK);
    ck_assert_int_eq(pt_http_parse_header_line(&p, b, sizeof(s) - 1), PT_OK);
    rc = pt_http_parse_header_line(&p, b, sizeof(s) - 1);
    ck_assert_int_eq(rc, PT_ERROR);
    ck_assert_int_eq(p.status, 400);
    ck_assert_str_eq(p.error, "client sent obsolete line folding");
}
END_TEST


START_TEST(header_line_space_before_colon)
{
    pt_http_parse_t  p;

    ck_assert_int_eq(hl(&p, "Host : x\r\n", NULL), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
    ck_assert_int_eq(hl(&p, "Host\t: x\r\n", NULL), PT_ERROR);
    ck_assert_int_eq(hl(&p, "Ho st: x\r\n", NULL), PT_ERROR);
}
END_TEST


START_TEST(header_line_bad_bytes)
{
    int              i;
    char             s[64];
    size_t           n;
    pt_http_parse_t  p;
    static const int bad[] = { 0x00, 0x01, 0x0b, 0x1f, 0x7f };

    ck_assert_int_eq(hl(&p, "A: b\rc\r\n", NULL), PT_ERROR);      /* bare CR */
    ck_assert_int_eq(p.status, 400);
    ck_assert_int_eq(hl(&p, "A\r: b\r\n", NULL), PT_ERROR);

    for (i = 0; i < (int) pt_nelts(bad); i++) {
        n = (size_t) snprintf(s, sizeof(s), "GET / HTTP/1.1\r\nA: bXc\r\n");
        s[20] = (char) bad[i];
        memset(&p, 0, sizeof(p));
        ck_assert_int_eq(pt_http_parse_request_line(&p, guard(s, n), n), PT_OK);
        ck_assert_int_eq(pt_http_parse_header_line(&p, guard(s, n), n),
                         PT_ERROR);
        ck_assert_int_eq(p.status, 400);

        /* in the name */
        s[20] = 'b';
        s[16] = (char) bad[i];
        memset(&p, 0, sizeof(p));
        ck_assert_int_eq(pt_http_parse_request_line(&p, guard(s, n), n), PT_OK);
        ck_assert_int_eq(pt_http_parse_header_line(&p, guard(s, n), n),
                         PT_ERROR);
    }

    ck_assert_int_eq(hl(&p, "A\xc3\xa9: b\r\n", NULL), PT_ERROR);
    ck_assert_int_eq(hl(&p, "A(b): c\r\n", NULL), PT_ERROR);
    ck_assert_int_eq(hl(&p, "A/b: c\r\n", NULL), PT_ERROR);
    ck_assert_int_eq(hl(&p, "A@b: c\r\n", NULL), PT_ERROR);
}
END_TEST


START_TEST(header_line_bad_name)
{
    pt_http_parse_t  p;

    ck_assert_int_eq(hl(&p, ": x\r\n", NULL), PT_ERROR);
    ck_assert_int_eq(p.status, 400);
    ck_assert_int_eq(hl(&p, "NoColon\r\n", NULL), PT_ERROR);
    ck_assert_int_eq(hl(&p, "x\r\n", NULL), PT_ERROR);
}
END_TEST


START_TEST(method_parse_all)
{
    ck_assert_int_eq(pt_http_method_parse((u_char *) "GET", 3), PT_HTTP_GET);
    ck_assert_int_eq(pt_http_method_parse((u_char *) "HEAD", 4), PT_HTTP_HEAD);
    ck_assert_int_eq(pt_http_method_parse((u_char *) "POST", 4), PT_HTTP_POST);
    ck_assert_int_eq(pt_http_method_parse((u_char *) "PUT", 3), PT_HTTP_PUT);
    ck_assert_int_eq(pt_http_method_parse((u_char *) "DELETE", 6),
                     PT_HTTP_DELETE);
    ck_assert_int_eq(pt_http_method_parse((u_char *) "OPTIONS", 7),
                     PT_HTTP_OPTIONS);
    ck_assert_int_eq(pt_http_method_parse((u_char *) "PATCH", 5),
                     PT_HTTP_PATCH);
    ck_assert_int_eq(pt_http_method_parse((u_char *) "TRACE", 5),
                     PT_HTTP_TRACE);
    ck_assert_int_eq(pt_http_method_parse((u_char *) "CONNECT", 7),
                     PT_HTTP_CONNECT);
    ck_assert_int_eq(pt_http_method_parse((u_char *) "get", 3),
                     PT_HTTP_UNKNOWN);
    ck_assert_int_eq(pt_http_method_parse((u_char *) "GETX", 4),
                     PT_HTTP_UNKNOWN);
    ck_assert_int_eq(pt_http_method_parse((u_char *) "GE", 2),
                     PT_HTTP_UNKNOWN);
    ck_assert_int_eq(pt_http_method_parse(NULL, 0), PT_HTTP_UNKNOWN);
    ck_assert_uint_eq(PT_HTTP_M_GET, 1u << 1);
}
END_TEST


/*
 * Decodes s with pt_http_parse_chunked, feeding it in pieces of at most
 * piece bytes (0 = all at once), each piece on its own guard page.  Appends
 * the data to out; returns the final code and sets *used to the bytes
 * consumed in total.
 */
static int
dechunk(pt_http_chunked_t *ctx, const char *s, size_t n, size_t piece,
    char *out, size_t *used)
{
    int      rc;
    size_t   off, avail, consumed, ds, dl, o;
    u_char  *b;

    off = 0;
    o = 0;
    rc = PT_AGAIN;

    while (off < n || (n == 0 && off == 0)) {
        avail = (piece && n - off > piece) ? piece : n - off;
        b = guard(s + off, avail);

        rc = pt_http_parse_chunked(ctx, b, avail, &consumed, &ds, &dl);

        if (rc == PT_ERROR) {
            break;
        }

        ck_assert_uint_le(consumed, avail);

        if (rc == PT_OK) {
            ck_assert_uint_gt(dl, 0);
            ck_assert_uint_le(ds + dl, consumed);
            memcpy(out + o, b + ds, dl);
            o += dl;
            ck_assert_uint_gt(consumed, 0);

        } else if (rc == PT_AGAIN) {
            ck_assert_uint_eq(consumed, avail);

        } else {
            off += consumed;
            break;
        }

        off += consumed;

        if (n == 0) {
            break;
        }
    }

    out[o] = '\0';
    *used = off;

    return rc;
}


static int
chunk_rc(const char *s)
{
    char               out[256];
    size_t             used;
    pt_http_chunked_t  ctx = { 0 };

    return dechunk(&ctx, s, strlen(s), 0, out, &used);
}


START_TEST(chunked_simple)
{
    char               out[256];
    size_t             used, n, piece;
    pt_http_chunked_t  ctx;
    static const char  s[] = "5\r\nhello\r\n1;ext=\"q\\\"x\";b\r\n \r\n"
                             "0000000A\r\n0123456789\r\n0\r\n"
                             "Expires: never\r\nX-T: a\tb\r\n\r\nGET /";

    n = sizeof(s) - 1;

    for (piece = 0; piece <= n; piece++) {
        memset(&ctx, 0, sizeof(ctx));
        ck_assert_int_eq(dechunk(&ctx, s, n, piece, out, &used), PT_DONE);
        ck_assert_str_eq(out, "hello 0123456789");
        ck_assert_uint_eq(used, n - 5);
        ck_assert_int_eq(ctx.body_size, 16);
    }

    /* finished: stays finished, consumes nothing */
    {
        size_t  consumed, ds, dl;

        ck_assert_int_eq(pt_http_parse_chunked(&ctx, (u_char *) "x", 1,
                                               &consumed, &ds, &dl), PT_DONE);
        ck_assert_uint_eq(consumed, 0);
    }
}
END_TEST


START_TEST(chunked_every_split)
{
    int                rc;
    char               out[256];
    size_t             n, split, off, consumed, ds, dl, o, avail;
    u_char            *b;
    pt_http_chunked_t  ctx;
    static const char  s[] = "3;a=b\r\nabc\r\n10\r\n0123456789abcdef\r\n"
                             "0;x\r\nT: v\r\n\r\n";

    n = sizeof(s) - 1;
    b = guard(s, n);

    for (split = 0; split <= n; split++) {
        memset(&ctx, 0, sizeof(ctx));
        off = 0;
        o = 0;
        avail = split;

        for ( ;; ) {
            rc = pt_http_parse_chunked(&ctx, b + off, avail - off, &consumed,
                                       &ds, &dl);
            ck_assert_int_ne(rc, PT_ERROR);

            if (rc == PT_OK) {
                memcpy(out + o, b + off + ds, dl);
                o += dl;
            }

            off += consumed;

            if (rc == PT_DONE) {
                break;
            }

            if (rc == PT_AGAIN) {
                ck_assert_uint_eq(off, avail);
                ck_assert_uint_lt(avail, n);
                avail = n;
            }
        }

        out[o] = '\0';
        ck_assert_str_eq(out, "abc0123456789abcdef");
        ck_assert_uint_eq(off, n);
    }
}
END_TEST


START_TEST(chunked_bad_size)
{
    ck_assert_int_eq(chunk_rc("\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("x\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("-1\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("+1\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("0x5\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc(" 5\r\nhello\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("5 \r\nhello\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("5\nhello\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("5\rhello\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("5\r\nhelloX\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("5\r\nhello\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("5\r\nhello\r\n0\r\n\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("5\r\nhello\r\n0\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("5\r\nhello\r\n0\r\n\r\n"), PT_DONE);
}
END_TEST


START_TEST(chunked_overflow)
{
    char               out[64];
    size_t             used;
    pt_http_chunked_t  ctx = { 0 };

    ck_assert_int_eq(chunk_rc("8000000000000000\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("ffffffffffffffffff\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("10000000000000000\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("7fffffffffffffff\r\n"), PT_AGAIN);
    ck_assert_int_eq(chunk_rc("00000000000000000000000001\r\nx\r\n0\r\n\r\n"),
                     PT_DONE);

    /* the sum of sizes overflows too */
    ctx.body_size = 10;
    ck_assert_int_eq(dechunk(&ctx, "7ffffffffffffff8\r\n", 18, 0, out, &used),
                     PT_ERROR);
    ck_assert_int_eq(ctx.status, 400);

    /* a configured maximum */
    memset(&ctx, 0, sizeof(ctx));
    ctx.max_body = 8;
    ck_assert_int_eq(dechunk(&ctx, "5\r\nhello\r\n4\r\n", 13, 0, out, &used),
                     PT_ERROR);
    ck_assert_int_eq(ctx.status, 413);

    memset(&ctx, 0, sizeof(ctx));
    ctx.max_body = 9;
    ck_assert_int_eq(dechunk(&ctx, "5\r\nhello\r\n4\r\nabcd\r\n0\r\n\r\n", 24,
                             0, out, &used), PT_DONE);
}
END_TEST


START_TEST(chunked_extensions)
{
    ck_assert_int_eq(chunk_rc("1;a\r\nx\r\n0\r\n\r\n"), PT_DONE);
    ck_assert_int_eq(chunk_rc("1;a=b\r\nx\r\n0\r\n\r\n"), PT_DONE);
    ck_assert_int_eq(chunk_rc("1 ; a = b ; c\r\nx\r\n0\r\n\r\n"), PT_DONE);
    ck_assert_int_eq(chunk_rc("1;a=\"b;c\\\"\"\r\nx\r\n0;z\r\n\r\n"), PT_DONE);

    ck_assert_int_eq(chunk_rc("1;a;b=c;d ;e=\"\" ;f\r\nx\r\n0\r\n\r\n"),
                     PT_DONE);

    ck_assert_int_eq(chunk_rc("1;\r\nx\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("1;a=\"\\\x01\"\r\nx\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("1;=b\r\nx\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("1;a=\r\nx\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("1;a b\r\nx\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("1;a=b c\r\nx\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("1;a=\"b\r\nx\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("1;a=\"b\"c\r\nx\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("1;a\x01\r\nx\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("1;a\nx\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("1;a \r\nx\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("1;a=b \r\nx\r\n0\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("1,a\r\nx\r\n0\r\n\r\n"), PT_ERROR);
}
END_TEST


START_TEST(chunked_long_line)
{
    char    *s;
    size_t   n;

    n = PT_HTTP_CHUNK_LINE_MAX + 16;
    s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, '0', n);
    s[n] = '\0';
    ck_assert_int_eq(chunk_rc(s), PT_ERROR);

    memset(s, 'a', n);
    memcpy(s, "1;", 2);
    ck_assert_int_eq(chunk_rc(s), PT_ERROR);
    free(s);
}
END_TEST


START_TEST(chunked_trailers)
{
    char               *s;
    char                out[64];
    size_t              used, n;
    pt_http_chunked_t   ctx = { 0 };

    ck_assert_int_eq(chunk_rc("0\r\nA: b\r\nC:\r\n\r\n"), PT_DONE);
    ck_assert_int_eq(chunk_rc("0\r\nA: b\r\n c\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("0\r\nA : b\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("0\r\n: b\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("0\r\nA\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("0\r\nA: b\rc\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(chunk_rc("0\r\nA: b\x7f\r\n\r\n"), PT_ERROR);
    ck_assert_int_eq(dechunk(&ctx, "0\r\nA: \x00\r\n\r\n", 11, 0, out, &used),
                     PT_ERROR);

    n = 200;
    s = malloc(n + 1);
    ck_assert_ptr_nonnull(s);
    memset(s, 'a', n);
    memcpy(s, "0\r\nA: ", 6);
    memcpy(s + n - 4, "\r\n\r\n", 4);
    s[n] = '\0';

    memset(&ctx, 0, sizeof(ctx));
    ctx.max_trailer = 100;
    ck_assert_int_eq(dechunk(&ctx, s, n, 0, out, &used), PT_ERROR);
    ck_assert_int_eq(ctx.status, 400);

    memset(&ctx, 0, sizeof(ctx));
    ctx.max_trailer = 200;
    ck_assert_int_eq(dechunk(&ctx, s, n, 7, out, &used), PT_DONE);
    free(s);
}
END_TEST


static int
cl(const char *s, off_t *out)
{
    size_t  n = strlen(s);

    return pt_http_parse_content_length(guard(s, n), n, out);
}


START_TEST(content_length_cases)
{
    off_t  v;

    ck_assert_int_eq(cl("5", &v), PT_OK);
    ck_assert_int_eq(v, 5);
    ck_assert_int_eq(cl("0", &v), PT_OK);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(cl("007", &v), PT_OK);
    ck_assert_int_eq(v, 7);
    ck_assert_int_eq(cl("9223372036854775807", &v), PT_OK);
    ck_assert_int_eq(v, INT64_MAX);

    ck_assert_int_eq(cl("9223372036854775808", &v), PT_ERROR);
    ck_assert_int_eq(cl("99999999999999999999999", &v), PT_ERROR);
    ck_assert_int_eq(cl("", &v), PT_ERROR);
    ck_assert_int_eq(cl("+5", &v), PT_ERROR);
    ck_assert_int_eq(cl("-5", &v), PT_ERROR);
    ck_assert_int_eq(cl("5 5", &v), PT_ERROR);
    ck_assert_int_eq(cl("5, 5", &v), PT_ERROR);
    ck_assert_int_eq(cl("5,5", &v), PT_ERROR);
    ck_assert_int_eq(cl("0x5", &v), PT_ERROR);
    ck_assert_int_eq(cl(" 5", &v), PT_ERROR);
    ck_assert_int_eq(cl("5 ", &v), PT_ERROR);
    ck_assert_int_eq(cl("5a", &v), PT_ERROR);
}
END_TEST


static int
te(const char *s)
{
    size_t  n = strlen(s);

    return pt_http_parse_transfer_encoding(guard(s, n), n);
}


START_TEST(transfer_encoding_cases)
{
    ck_assert_int_eq(te("chunked"), PT_OK);
    ck_assert_int_eq(te("Chunked"), PT_OK);
    ck_assert_int_eq(te("CHUNKED"), PT_OK);
    ck_assert_int_eq(te(" chunked\t"), PT_OK);

    ck_assert_int_eq(te("gzip, chunked"), PT_DECLINED);
    ck_assert_int_eq(te("gzip,chunked"), PT_DECLINED);
    ck_assert_int_eq(te("x;q=1 , deflate;a=\"b,c\", chunked"), PT_DECLINED);

    ck_assert_int_eq(te("chunked, gzip"), PT_ERROR);
    ck_assert_int_eq(te("chunked, chunked"), PT_ERROR);
    ck_assert_int_eq(te("chunked,"), PT_ERROR);
    ck_assert_int_eq(te(",chunked"), PT_ERROR);
    ck_assert_int_eq(te("gzip,,chunked"), PT_ERROR);
    ck_assert_int_eq(te("gzip"), PT_ERROR);
    ck_assert_int_eq(te("identity"), PT_ERROR);
    ck_assert_int_eq(te(""), PT_ERROR);
    ck_assert_int_eq(te(" "), PT_ERROR);
    ck_assert_int_eq(te("chunked;a=b"), PT_ERROR);
    ck_assert_int_eq(te("chun ked"), PT_ERROR);
    ck_assert_int_eq(te("xchunked"), PT_ERROR);
    ck_assert_int_eq(te("chunkedx"), PT_ERROR);
    ck_assert_int_eq(te("gzip;q, chunked"), PT_ERROR);
    ck_assert_int_eq(te("gzip;q=\"x, chunked"), PT_ERROR);
    ck_assert_int_eq(te("gzip;q=\"a\\\"b\", chunked"), PT_DECLINED);
    ck_assert_int_eq(te("gzip;q=\"a\\"), PT_ERROR);
    ck_assert_int_eq(te("gzip;q=, chunked"), PT_ERROR);
    ck_assert_int_eq(te("gzip;q, chunked"), PT_ERROR);
    ck_assert_int_eq(te("gzip;=1, chunked"), PT_ERROR);
    ck_assert_int_eq(te("\"chunked\""), PT_ERROR);
}
END_TEST


static ssize_t
vh(const char *s, char *out)
{
    ssize_t  n;
    size_t   len = strlen(s);
    u_char   o[256];

    n = pt_http_validate_host(guard(s, len), len, o);

    if (n >= 0) {
        memcpy(out, o, n);
        out[n] = '\0';
    }

    return n;
}


START_TEST(validate_host_cases)
{
    char     out[256];
    u_char  *b;

    ck_assert_int_eq(vh("Example.COM", out), 11);
    ck_assert_str_eq(out, "example.com");
    ck_assert_int_eq(vh("example.com.", out), 11);
    ck_assert_str_eq(out, "example.com");
    ck_assert_int_eq(vh("example.com:8080", out), 11);
    ck_assert_str_eq(out, "example.com");
    ck_assert_int_eq(vh("example.com.:80", out), 11);
    ck_assert_int_eq(vh("example.com:", out), 11);
    ck_assert_int_eq(vh("127.0.0.1", out), 9);
    ck_assert_int_eq(vh("[::1]:80", out), 5);
    ck_assert_str_eq(out, "[::1]");
    ck_assert_int_eq(vh("[FE80::A]", out), 9);
    ck_assert_str_eq(out, "[fe80::a]");
    ck_assert_int_eq(vh("my_host-1", out), 9);
    ck_assert_int_eq(vh("", out), 0);

    ck_assert_int_eq(vh("a/b", out), -1);
    ck_assert_int_eq(vh("a\\b", out), -1);
    ck_assert_int_eq(vh("user@host", out), -1);
    ck_assert_int_eq(vh("a b", out), -1);
    ck_assert_int_eq(vh("a\tb", out), -1);
    ck_assert_int_eq(vh("a..b", out), -1);
    ck_assert_int_eq(vh("..", out), -1);
    ck_assert_int_eq(vh(".a", out), -1);
    ck_assert_int_eq(vh(".", out), -1);
    ck_assert_int_eq(vh("[]", out), -1);
    ck_assert_int_eq(vh("[", out), -1);
    ck_assert_int_eq(vh("[::1", out), -1);
    ck_assert_int_eq(vh("[::1]x", out), -1);
    ck_assert_int_eq(vh("[::g]", out), -1);
    ck_assert_int_eq(vh(":80", out), -1);
    ck_assert_int_eq(vh("host:8x", out), -1);
    ck_assert_int_eq(vh("host:80:80", out), -1);
    ck_assert_int_eq(vh("h\xc3\xa9", out), -1);
    ck_assert_int_eq(vh("h\x01", out), -1);
    ck_assert_int_eq(vh("h<", out), -1);

    /* in place */
    b = guard("WWW.X.ORG.:1", 12);
    ck_assert_int_eq(pt_http_validate_host(b, 12, b), 9);
    ck_assert_int_eq(memcmp(b, "www.x.org", 9), 0);
}
END_TEST


static ssize_t
np(const char *s, unsigned flags, char *out)
{
    ssize_t  n;
    size_t   len = strlen(s);
    u_char   o[256], *b;

    b = guard(s, len);
    n = pt_http_normalize_path(o, b, len, flags);

    if (n >= 0) {
        memcpy(out, o, n);
        out[n] = '\0';
        ck_assert_uint_le((size_t) n, len ? len : 1);

        /* in place gives the same */
        ck_assert_int_eq(pt_http_normalize_path(b, b, len, flags), n);
        ck_assert_int_eq(memcmp(b, o, n), 0);
    }

    return n;
}


#define NP_OK(in, flags, expect)                                            \
    do {                                                                     \
        char  out_[256];                                                     \
        ck_assert_int_eq(np(in, flags, out_), (ssize_t) strlen(expect));     \
        ck_assert_str_eq(out_, expect);                                      \
    } while (0)

#define NP_ERR(in)                                                           \
    do {                                                                     \
        char  out_[256];                                                     \
        ck_assert_int_eq(np(in, 0, out_), -1);                               \
    } while (0)


START_TEST(normalize_path_cases)
{
    u_char  d[4];

    NP_OK("/a/./b/../c", 0, "/a/c");
    NP_OK("/a/%2e%2e/b", 0, "/b");
    NP_OK("/a/%2E%2E/b", 0, "/b");
    NP_OK("//a//b", 0, "/a/b");
    NP_OK("/a/..", 0, "/");
    NP_OK("/a%2fb", 0, "/a/b");
    NP_OK("/a%2f%2fb", 0, "/a/b");
    NP_OK("/a/b%2f..%2fc", 0, "/a/c");
    NP_OK("/", 0, "/");
    NP_OK("/.", 0, "/");
    NP_OK("/./", 0, "/");
    NP_OK("/a/.", 0, "/a/");
    NP_OK("/a/b/", 0, "/a/b/");
    NP_OK("/a/b/../../", 0, "/");
    NP_OK("/a/b/../..", 0, "/");
    NP_OK("/..a/a..", 0, "/..a/a..");
    NP_OK("/.../", 0, "/.../");
    NP_OK("/%41%42c", 0, "/ABc");
    NP_OK("/a+b%20c", 0, "/a+b c");
    NP_OK("/a/b/..//c", 0, "/a/c");
    NP_OK("/a//b", PT_HTTP_NORMALIZE_NO_MERGE, "/a//b");
    NP_OK("//a//../b", PT_HTTP_NORMALIZE_NO_MERGE, "//a/b");
    NP_OK("/a/.//b", PT_HTTP_NORMALIZE_NO_MERGE, "/a//b");

    NP_ERR("/..");
    NP_ERR("/../");
    NP_ERR("/%2e%2e/x");
    NP_ERR("/a/../..");
    NP_ERR("/a/b/../../../c");
    NP_ERR("/%00");
    NP_ERR("/a%00b");
    NP_ERR("/%zz");
    NP_ERR("/%");
    NP_ERR("/%4");
    NP_ERR("/a%g1");
    NP_ERR("a");
    NP_ERR("%2fa");

    ck_assert_int_eq(pt_http_normalize_path(d, (u_char *) "", 0, 0), 1);
    ck_assert_int_eq(d[0], '/');

    /* a raw NUL is as bad as "%00" */
    ck_assert_int_eq(pt_http_normalize_path(d, guard("/a\0", 3), 3, 0), -1);
}
END_TEST


Suite *
pt_suite_http_parse(void)
{
    Suite  *s;
    TCase  *tc;

    s = suite_create("http_parse");

    tc = tcase_create("request_line");
    tcase_add_test(tc, request_line_simple);
    tcase_add_test(tc, request_line_partial_is_again);
    tcase_add_test(tc, request_line_every_split);
    tcase_add_test(tc, request_line_empty_lines_and_lf);
    tcase_add_test(tc, request_line_bare_cr);
    tcase_add_test(tc, request_line_spaces);
    tcase_add_test(tc, request_line_version);
    tcase_add_test(tc, request_line_method);
    tcase_add_test(tc, request_line_absolute_form);
    tcase_add_test(tc, request_line_userinfo);
    tcase_add_test(tc, request_line_authority_form);
    tcase_add_test(tc, request_line_asterisk_form);
    tcase_add_test(tc, request_line_fragment);
    tcase_add_test(tc, request_line_bad_bytes);
    tcase_add_test(tc, request_line_flags);
    tcase_add_test(tc, request_line_pipelined);
    suite_add_tcase(s, tc);

    tc = tcase_create("header_line");
    tcase_add_test(tc, header_line_simple);
    tcase_add_test(tc, header_line_done);
    tcase_add_test(tc, header_line_flags);
    tcase_add_test(tc, header_line_obs_fold);
    tcase_add_test(tc, header_line_space_before_colon);
    tcase_add_test(tc, header_line_bad_bytes);
    tcase_add_test(tc, header_line_bad_name);
    suite_add_tcase(s, tc);

    tc = tcase_create("method_parse");
    tcase_add_test(tc, method_parse_all);
    suite_add_tcase(s, tc);

    tc = tcase_create("chunked");
    tcase_add_test(tc, chunked_simple);
    tcase_add_test(tc, chunked_every_split);
    tcase_add_test(tc, chunked_bad_size);
    tcase_add_test(tc, chunked_overflow);
    tcase_add_test(tc, chunked_extensions);
    tcase_add_test(tc, chunked_long_line);
    tcase_add_test(tc, chunked_trailers);
    suite_add_tcase(s, tc);

    tc = tcase_create("content_length");
    tcase_add_test(tc, content_length_cases);
    suite_add_tcase(s, tc);

    tc = tcase_create("transfer_encoding");
    tcase_add_test(tc, transfer_encoding_cases);
    suite_add_tcase(s, tc);

    tc = tcase_create("validate_host");
    tcase_add_test(tc, validate_host_cases);
    suite_add_tcase(s, tc);

    tc = tcase_create("normalize_path");
    tcase_add_test(tc, normalize_path_cases);
    suite_add_tcase(s, tc);

    return s;
}
