/* SPDX-License-Identifier: BSD-2-Clause */
/* libFuzzer harness for the pure HTTP parser: invariants, split == whole. */

#include "pt_config.h"
#include "pt_core.h"
#include "pt_http_parse.h"


/*
 * The first input byte picks the target and the split point; the rest is
 * copied to an exactly sized heap buffer so that ASan sees any over-read.
 * Every parse runs twice, once on the whole input and once offered first
 * a prefix then the whole, and both must give the same results.
 */

#define CHECK(e)  do { if (!(e)) { check_fail(#e, __LINE__); } } while (0)

#define MAX_STEPS  4096


static void
check_fail(const char *what, int line)
{
    fprintf(stderr, "fuzz_http_parse: invariant failed at line %d: %s\n",
            line, what);
    abort();
}


typedef struct {
    int     rc;
    size_t  a[16];
    int     status;
} step_t;


static bool
has_lf(const u_char *b, size_t from, size_t to)
{
    return from < to && memchr(b + from, '\n', to - from) != NULL;
}


static void
check_request_line(pt_http_parse_t *p, const u_char *b, size_t len)
{
    size_t  i;

    CHECK(p->request_start <= p->method_start);
    CHECK(p->method_start < p->method_end);
    CHECK(b[p->method_end] == ' ');
    CHECK(p->method_end + 1 == p->uri_start);
    CHECK(p->uri_start < p->uri_end);
    CHECK(b[p->uri_end] == ' ');
    CHECK(p->uri_end + 9 == p->request_end);
    CHECK(p->request_end < p->pos && p->pos <= len);
    CHECK(b[p->pos - 1] == '\n');
    CHECK(p->http_major == 1);
    CHECK(p->path_start <= p->path_end && p->path_end <= p->uri_end);
    CHECK(p->path_start >= p->uri_start);
    CHECK(p->args_start == 0
          || (p->args_start == p->path_end + 1 && p->args_start <= p->uri_end));
    CHECK(p->host_start <= p->host_end && p->host_end <= p->uri_end);
    CHECK(p->port_start <= p->port_end && p->port_end <= p->uri_end);

    for (i = p->request_start; i < p->request_end; i++) {
        CHECK(b[i] >= 0x20 && b[i] < 0x7f);
        CHECK(i < p->uri_start || i >= p->uri_end || b[i] != '#');
    }

    switch (p->target_form) {
    case PT_HTTP_TARGET_ORIGIN:
        CHECK(b[p->uri_start] == '/');
        break;
    case PT_HTTP_TARGET_ASTERISK:
        CHECK(p->method == PT_HTTP_OPTIONS && p->uri_end == p->uri_start + 1);
        break;
    case PT_HTTP_TARGET_AUTHORITY:
        CHECK(p->method == PT_HTTP_CONNECT && p->port_end > p->port_start);
        break;
    case PT_HTTP_TARGET_ABSOLUTE:
        CHECK(p->schema_end > p->schema_start && p->host_end > p->host_start);
        for (i = p->uri_start; i < p->path_start; i++) {
            CHECK(b[i] != '@');
        }
        break;
    default:
        CHECK(0);
    }
}


static void
check_header(pt_http_parse_t *p, const u_char *b, size_t len)
{
    size_t    i;
    uint64_t  h = 14695981039346656037ULL;

    CHECK(p->header_name_start < p->header_name_end);
    CHECK(b[p->header_name_end] == ':');
    CHECK(p->header_name_end < p->header_start
          || p->header_start == p->header_end);
    CHECK(p->header_start <= p->header_end);
    CHECK(p->header_end < p->pos && p->pos <= len);
    CHECK(b[p->pos - 1] == '\n');

    for (i = p->header_name_start; i < p->header_name_end; i++) {
        h ^= pt_tolower(b[i]);
        h *= 1099511628211ULL;
    }

    CHECK(h == p->header_hash);
    CHECK(p->lowcase_index
          == pt_min(p->header_name_end - p->header_name_start,
                    (size_t) PT_HTTP_LC_NAME_LEN));

    if (p->header_end > p->header_start) {
        CHECK(b[p->header_start] != ' ' && b[p->header_start] != '\t');
        CHECK(b[p->header_end - 1] != ' ' && b[p->header_end - 1] != '\t');
    }

    for (i = p->header_start; i < p->header_end; i++) {
        CHECK(b[i] == '\t' || (b[i] >= 0x20 && b[i] != 0x7f));
    }
}


/* Parses a head offering first split bytes; records every result. */
static size_t
run_head(const u_char *b, size_t len, size_t split, step_t *steps)
{
    int              rc;
    size_t           n, avail;
    pt_http_parse_t  p;

    memset(&p, 0, sizeof(p));
    n = 0;
    avail = split;

    for ( ;; ) {
        rc = pt_http_parse_request_line(&p, b, avail);

        CHECK(p.pos <= avail);

        if (rc == PT_AGAIN) {
            CHECK(!has_lf(b, p.pos, avail));

            if (avail == len) {
                steps[n++].rc = rc;
                return n;
            }

            avail = len;
            continue;
        }

        break;
    }

    steps[n].rc = rc;

    if (rc == PT_ERROR) {
        CHECK(p.status == 400 || p.status == 505);
        CHECK(p.error != NULL);
        steps[n++].status = p.status;
        return n;
    }

    CHECK(rc == PT_OK);
    check_request_line(&p, b, avail);

    steps[n].a[0] = p.method_end;
    steps[n].a[1] = p.uri_start;
    steps[n].a[2] = p.uri_end;
    steps[n].a[3] = p.path_start;
    steps[n].a[4] = p.path_end;
    steps[n].a[5] = p.args_start;
    steps[n].a[6] = p.host_start;
    steps[n].a[7] = p.host_end;
    steps[n].a[8] = p.port_end;
    steps[n].a[9] = p.pos;
    steps[n].a[10] = p.target_form;
    steps[n].a[11] = p.complex_uri | p.quoted_uri << 1 | p.plus_in_uri << 2;
    steps[n].a[12] = p.method;
    steps[n].a[13] = p.http_minor;
    steps[n].a[14] = p.request_start;
    n++;

    while (n < MAX_STEPS) {
        rc = pt_http_parse_header_line(&p, b, avail);

        CHECK(p.pos <= avail);

        if (rc == PT_AGAIN) {
            CHECK(!has_lf(b, p.pos, avail));

            if (avail == len) {
                steps[n++].rc = rc;
                return n;
            }

            avail = len;
            continue;
        }

        steps[n].rc = rc;

        if (rc == PT_ERROR) {
            CHECK(p.status == 400 && p.error != NULL);
            steps[n++].status = p.status;
            return n;
        }

        if (rc == PT_DONE) {
            CHECK(b[p.pos - 1] == '\n');
            steps[n++].a[0] = p.pos;
            return n;
        }

        CHECK(rc == PT_OK);
        check_header(&p, b, avail);

        steps[n].a[0] = p.header_name_start;
        steps[n].a[1] = p.header_name_end;
        steps[n].a[2] = p.header_start;
        steps[n].a[3] = p.header_end;
        steps[n].a[4] = p.header_hash;
        steps[n].a[5] = p.pos;
        steps[n].a[6] = p.underscore | p.invalid_header << 1;
        n++;
    }

    return n;
}


static step_t  steps_a[MAX_STEPS], steps_b[MAX_STEPS];


static void
fuzz_head(const u_char *b, size_t len, size_t split)
{
    size_t  na, nb;

    memset(steps_a, 0, sizeof(steps_a));
    memset(steps_b, 0, sizeof(steps_b));

    na = run_head(b, len, len, steps_a);
    nb = run_head(b, len, split, steps_b);

    CHECK(na == nb);
    CHECK(memcmp(steps_a, steps_b, na * sizeof(step_t)) == 0);
}


/* Decodes a chunked body offering first split bytes; data go to out. */
static int
run_chunked(const u_char *b, size_t len, size_t split, u_char *out,
    size_t *olen, size_t *used, int *status)
{
    int                rc;
    size_t             off, avail, consumed, ds, dl, o, guard;
    pt_http_chunked_t  ctx;

    memset(&ctx, 0, sizeof(ctx));
    ctx.max_body = (len & 1) ? 1000 : 0;
    ctx.max_trailer = 64;
    off = 0;
    o = 0;
    avail = split;
    rc = PT_AGAIN;

    for (guard = 0; guard < 4 * len + 8; guard++) {
        rc = pt_http_parse_chunked(&ctx, b + off, avail - off, &consumed,
                                   &ds, &dl);

        CHECK(consumed <= avail - off);

        if (rc == PT_ERROR) {
            CHECK(ctx.status == 400 || ctx.status == 413);
            *status = ctx.status;
            break;
        }

        if (rc == PT_OK) {
            CHECK(dl > 0 && ds + dl <= consumed);
            CHECK(o + dl <= len);
            memcpy(out + o, b + off + ds, dl);
            o += dl;

        } else if (rc == PT_AGAIN) {
            CHECK(consumed == avail - off);

        } else {
            CHECK(rc == PT_DONE);
            CHECK(consumed > 0 || avail == off);
        }

        off += consumed;

        if (rc == PT_DONE) {
            break;
        }

        if (rc == PT_AGAIN) {
            if (avail == len) {
                break;
            }

            avail = len;
        }
    }

    CHECK(ctx.body_size >= 0 && (off_t) o <= ctx.body_size);
    CHECK(ctx.max_body == 0 || ctx.body_size <= ctx.max_body);

    *olen = o;
    *used = off;

    return rc;
}


static void
fuzz_chunked(const u_char *b, size_t len, size_t split)
{
    int      rc1, rc2, s1 = 0, s2 = 0;
    size_t   o1, o2, u1, u2;
    u_char  *out1, *out2;

    out1 = malloc(len + 1);
    out2 = malloc(len + 1);

    if (out1 == NULL || out2 == NULL) {
        abort();
    }

    rc1 = run_chunked(b, len, len, out1, &o1, &u1, &s1);
    rc2 = run_chunked(b, len, split, out2, &o2, &u2, &s2);

    CHECK(rc1 == rc2);
    CHECK(s1 == s2);

    if (rc1 != PT_ERROR) {
        CHECK(u1 == u2);
        CHECK(o1 == o2 && memcmp(out1, out2, o1) == 0);
    }

    free(out1);
    free(out2);
}


static void
fuzz_misc(const u_char *b, size_t len, unsigned flags)
{
    int       rc;
    off_t     v;
    size_t    i;
    ssize_t   n, n2;
    u_char   *d, *d2;

    d = malloc(len + 1);
    d2 = malloc(len + 1);

    if (d == NULL || d2 == NULL) {
        abort();
    }

    /* normalize_path: out-of-place == in-place, and no dot segments left */

    n = pt_http_normalize_path(d, b, len, flags);
    memcpy(d2, b, len);
    n2 = pt_http_normalize_path(d2, d2, len, flags);
    CHECK(n == n2);

    if (n >= 0) {
        CHECK(n >= 1 && (size_t) n <= (len ? len : 1));
        CHECK(memcmp(d, d2, n) == 0);
        CHECK(d[0] == '/');

        for (i = 0; i < (size_t) n; i++) {
            CHECK(d[i] != '\0');

            if (d[i] != '/') {
                continue;
            }

            if (!(flags & PT_HTTP_NORMALIZE_NO_MERGE)) {
                CHECK(i + 1 == (size_t) n || d[i + 1] != '/');
            }

            if (i + 1 < (size_t) n && d[i + 1] == '.') {
                CHECK(i + 2 != (size_t) n && d[i + 2] != '/');
                CHECK(i + 2 == (size_t) n || d[i + 2] != '.'
                      || (i + 3 != (size_t) n && d[i + 3] != '/'));
            }
        }

        if (memchr(d, '%', n) == NULL) {
            n2 = pt_http_normalize_path(d2, d, n, flags);
            CHECK(n2 == n && memcmp(d, d2, n) == 0);
        }
    }

    /* validate_host: idempotent, lower-case */

    n = pt_http_validate_host(b, len, d);

    CHECK(n >= -1 && n <= (ssize_t) len);

    if (n > 0) {
        for (i = 0; i < (size_t) n; i++) {
            CHECK(!(d[i] >= 'A' && d[i] <= 'Z'));
            CHECK(d[i] != '/' && d[i] != '@' && d[i] != '\\' && d[i] > 0x20
                  && d[i] < 0x7f);
        }

        CHECK(d[n - 1] != '.' && d[0] != '.');
        n2 = pt_http_validate_host(d, n, d2);
        CHECK(n2 == n && memcmp(d, d2, n) == 0);
    }

    /* content_length: digits only */

    rc = pt_http_parse_content_length(b, len, &v);

    if (rc == PT_OK) {
        CHECK(len > 0 && v >= 0);

        for (i = 0; i < len; i++) {
            CHECK(b[i] >= '0' && b[i] <= '9');
        }

        if (len < 18) {
            memcpy(d2, b, len);
            d2[len] = '\0';
            CHECK(v == strtoll((const char *) d2, NULL, 10));
        }

    } else {
        CHECK(rc == PT_ERROR);
    }

    rc = pt_http_parse_transfer_encoding(b, len);
    CHECK(rc == PT_OK || rc == PT_DECLINED || rc == PT_ERROR);

    if (rc == PT_OK) {
        CHECK(len >= 7);
    }

    free(d);
    free(d2);
}


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t   len, split;
    u_char   sel, *b;

    if (size == 0) {
        return 0;
    }

    sel = data[0];
    len = size - 1;

    b = malloc(len ? len : 1);

    if (b == NULL) {
        abort();
    }

    memcpy(b, data + 1, len);

    split = len ? (size_t) (sel >> 2) * 7919 % (len + 1) : 0;

    switch (sel & 3) {
    case 0:
    case 1:
        fuzz_head(b, len, split);
        break;
    case 2:
        fuzz_chunked(b, len, split);
        break;
    default:
        fuzz_misc(b, len, (sel >> 2) & PT_HTTP_NORMALIZE_NO_MERGE);
        break;
    }

    free(b);

    return 0;
}
