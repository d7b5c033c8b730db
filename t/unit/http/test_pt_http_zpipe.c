/* SPDX-License-Identifier: BSD-2-Clause */
/* Unit tests for the zlib body pipe: output chunking, flushes, back-pressure
 * against a client that does not drain, and zlib state reuse. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_zpipe.h"

#include <check.h>


/* A mock of the rest of the chain: collects bytes, drains on demand. */
static struct {
    u_char      *data;
    size_t       len, cap;
    unsigned     calls;
    unsigned     flushes;          /* buffers passed with flush */
    unsigned     lasts;
    bool         drain;            /* the client reads what it gets */
    pt_buf_t    *held[256];        /* passed, not drained */
    size_t       nheld;
} sink;

static pt_log_t           test_log;
static pt_connection_t    test_conn;
static pt_http_request_t  test_r;


static int
sink_output(pt_http_request_t *r, const pt_http_filter_t *f, pt_chain_t *out)
{
    sink.calls++;

    for (pt_chain_t *cl = out; cl; cl = cl->next) {
        pt_buf_t  *b = cl->buf;
        size_t     n = (size_t) (b->last - b->pos);

        if (sink.len + n > sink.cap) {
            sink.cap = (sink.len + n) * 2;
            sink.data = realloc(sink.data, sink.cap);
        }
        memcpy(sink.data + sink.len, b->pos, n);
        sink.len += n;
        sink.flushes += b->flush;
        sink.lasts += b->last_buf;

        if (sink.drain) {
            b->pos = b->last;
        } else {
            sink.held[sink.nheld++] = b;
        }
    }

    return PT_OK;
}


static void
sink_drain(void)
{
    for (size_t i = 0; i < sink.nheld; i++) {
        sink.held[i]->pos = sink.held[i]->last;
    }
    sink.nheld = 0;
}


static pt_http_request_t *
request(void)
{
    memset(&sink, 0, sizeof(sink));
    sink.drain = true;
    test_conn.log = &test_log;
    test_r.connection = &test_conn;
    test_r.pool = pt_create_pool(4096, &test_log);
    ck_assert_ptr_nonnull(test_r.pool);
    return &test_r;
}


/* Frees what a test allocated: the pool (giving zlib states back). */
static void
finish(pt_http_request_t *r, void *a, void *b)
{
    pt_destroy_pool(r->pool);
    free(sink.data);
    free(a);
    free(b);
}


static pt_http_zpipe_t *
pipe_new(pt_http_request_t *r, pt_http_zpipe_kind_e kind, size_t n,
    size_t size)
{
    pt_http_zpipe_t  *zp = pt_http_zpipe_create(r, kind, 6, n, size);

    ck_assert_ptr_nonnull(zp);
    zp->output = sink_output;
    return zp;
}


static pt_chain_t *
mem_chain(pt_http_request_t *r, const u_char *data, size_t len, bool flush,
    bool last)
{
    pt_chain_t  *cl = pt_alloc_chain_link(r->pool);
    pt_buf_t    *b = pt_calloc_buf(r->pool);

    b->pos = b->start = (u_char *) data;
    b->last = b->end = (u_char *) data + len;
    b->memory = len ? 1 : 0;
    b->sync = len ? 0 : 1;
    b->flush = flush;
    b->last_buf = last;
    cl->buf = b;
    cl->next = NULL;
    return cl;
}


/* Pseudo-random but compressible: a small alphabet. */
static u_char *
sample(size_t len)
{
    u_char    *p = malloc(len);
    uint32_t   x = 12345;

    for (size_t i = 0; i < len; i++) {
        x = x * 1103515245 + 12345;
        p[i] = (u_char) ('a' + (x >> 16) % 16);
    }
    return p;
}


/* Inflates the sink (flush: Z_SYNC_FLUSH a partial stream); length out. */
static u_char *
sink_inflate(size_t *out_len, size_t cap)
{
    z_stream  zs = { 0 };
    u_char   *out = malloc(cap + 1);

    ck_assert_int_eq(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
    zs.next_in = sink.data;
    zs.avail_in = (uInt) sink.len;
    zs.next_out = out;
    zs.avail_out = (uInt) cap + 1;
    (void) inflate(&zs, Z_SYNC_FLUSH);
    *out_len = zs.total_out;
    inflateEnd(&zs);
    return out;
}


START_TEST(deflate_round_trip)
{
    pt_http_request_t  *r = request();
    pt_http_zpipe_t    *zp = pipe_new(r, PT_ZPIPE_DEFLATE, 4, 4096);
    size_t              len = 200000, step = len / 10, n;
    u_char             *in = sample(len), *out;

    for (size_t off = 0; off < len; off += step) {
        pt_chain_t  *cl = mem_chain(r, in + off, step, false,
                                    off + step == len);

        ck_assert_int_eq(pt_http_zpipe_filter(r, NULL, zp, cl), PT_OK);
        ck_assert_ptr_eq(cl->buf->pos, cl->buf->last);
    }

    ck_assert(zp->done);
    ck_assert(!r->buffered);
    ck_assert_uint_eq(sink.lasts, 1);
    ck_assert_int_eq(zp->bytes_in, (off_t) len);
    ck_assert_int_eq(zp->bytes_out, (off_t) sink.len);

    out = sink_inflate(&n, len);
    ck_assert_uint_eq(n, len);
    ck_assert_int_eq(memcmp(out, in, len), 0);
    finish(r, in, out);
}
END_TEST


START_TEST(deflate_output_in_full_buffers)
{
    pt_http_request_t  *r = request();
    pt_http_zpipe_t    *zp = pipe_new(r, PT_ZPIPE_DEFLATE, 128, 1024);
    size_t              len = 100000;
    u_char             *in = sample(len);

    /*
     * No flush, not last, buffers to spare: only whole buffers go out and
     * none is flagged (a flag is set only when all buffers are queued).
     */
    ck_assert_int_eq(pt_http_zpipe_filter(r, NULL, zp,
                         mem_chain(r, in, len, false, false)), PT_OK);
    ck_assert_uint_gt(sink.len, 0);
    ck_assert_uint_eq(sink.len % 1024, 0);
    ck_assert_uint_eq(sink.flushes, 0);
    ck_assert(!zp->done);
    finish(r, in, NULL);
}
END_TEST


START_TEST(deflate_flush_passes_partial)
{
    pt_http_request_t  *r = request();
    pt_http_zpipe_t    *zp = pipe_new(r, PT_ZPIPE_DEFLATE, 4, 4096);
    static u_char       text[] = "hello, streaming world";
    size_t              n;
    u_char             *out;

    ck_assert_int_eq(pt_http_zpipe_filter(r, NULL, zp,
                         mem_chain(r, text, sizeof(text) - 1, true, false)),
                     PT_OK);
    ck_assert_uint_eq(sink.flushes, 1);
    ck_assert_uint_eq(sink.lasts, 0);

    /* what went out so far decodes to all the input so far */
    out = sink_inflate(&n, 100);
    ck_assert_uint_eq(n, sizeof(text) - 1);
    ck_assert_int_eq(memcmp(out, text, n), 0);

    /* an empty last buffer ends the stream */
    ck_assert_int_eq(pt_http_zpipe_filter(r, NULL, zp,
                         mem_chain(r, NULL, 0, false, true)), PT_OK);
    ck_assert(zp->done);
    ck_assert_uint_eq(sink.lasts, 1);
    finish(r, out, NULL);
}
END_TEST


START_TEST(deflate_back_pressure)
{
    pt_http_request_t  *r = request();
    pt_http_zpipe_t    *zp = pipe_new(r, PT_ZPIPE_DEFLATE, 2, 1024);
    size_t              len = 300000, n;
    u_char             *in = sample(len), *out;
    pt_chain_t         *cl = mem_chain(r, in, len, false, true);
    unsigned            rounds = 0;

    sink.drain = false;

    /* a client that reads nothing: two buffers out, then it stops */
    ck_assert_int_eq(pt_http_zpipe_filter(r, NULL, zp, cl), PT_AGAIN);
    ck_assert(r->buffered);
    ck_assert_uint_eq(sink.nheld, 2);
    ck_assert_uint_eq(sink.len, 2048);
    ck_assert_ptr_ne(cl->buf->pos, cl->buf->last);
    ck_assert_uint_eq(sink.flushes, 1);    /* the writer must send them */

    /* the writer's passes with no input go on as the client drains */
    while (!zp->done) {
        ck_assert_uint_le(sink.nheld, 2);
        sink_drain();
        (void) pt_http_zpipe_filter(r, NULL, zp, NULL);
        ck_assert_uint_lt(++rounds, 10000);
    }

    ck_assert(!r->buffered);
    ck_assert_uint_gt(rounds, 10);
    out = sink_inflate(&n, len);
    ck_assert_uint_eq(n, len);
    ck_assert_int_eq(memcmp(out, in, len), 0);
    finish(r, in, out);
}
END_TEST


START_TEST(state_reused)
{
    pt_http_request_t  *r = request();
    pt_http_zpipe_t    *zp = pipe_new(r, PT_ZPIPE_DEFLATE, 4, 4096);
    z_stream           *zs = zp->zs;
    static u_char       text[] = "abc";

    ck_assert_uint_eq(pt_http_zpipe_cached(PT_ZPIPE_DEFLATE), 0);

    ck_assert_int_eq(pt_http_zpipe_filter(r, NULL, zp,
                         mem_chain(r, text, 3, false, true)), PT_OK);

    /* given back as soon as the stream ends, before the pool goes */
    ck_assert_uint_eq(pt_http_zpipe_cached(PT_ZPIPE_DEFLATE), 1);

    zp = pipe_new(r, PT_ZPIPE_DEFLATE, 4, 4096);
    ck_assert_ptr_eq(zp->zs, zs);
    ck_assert_uint_eq(pt_http_zpipe_cached(PT_ZPIPE_DEFLATE), 0);

    /* a pipe cut short goes back with its pool */
    finish(r, NULL, NULL);
    ck_assert_uint_eq(pt_http_zpipe_cached(PT_ZPIPE_DEFLATE), 1);
}
END_TEST


static size_t
gz(const char *text, u_char *out, size_t cap)
{
    z_stream  zs = { 0 };

    ck_assert_int_eq(deflateInit2(&zs, 6, Z_DEFLATED, 16 + MAX_WBITS, 8,
                                  Z_DEFAULT_STRATEGY), Z_OK);
    zs.next_in = (u_char *) text;
    zs.avail_in = (uInt) strlen(text);
    zs.next_out = out;
    zs.avail_out = (uInt) cap;
    ck_assert_int_eq(deflate(&zs, Z_FINISH), Z_STREAM_END);
    deflateEnd(&zs);
    return zs.total_out;
}


START_TEST(inflate_members_and_bytewise_input)
{
    pt_http_request_t  *r = request();
    pt_http_zpipe_t    *zp = pipe_new(r, PT_ZPIPE_INFLATE, 2, 16);
    static u_char       z[256];
    size_t              n = gz("first,", z, sizeof(z));

    n += gz("second", z + n, sizeof(z) - n);

    /* one byte at a time, a tiny output buffer */
    for (size_t i = 0; i < n; i++) {
        ck_assert_int_ne(pt_http_zpipe_filter(r, NULL, zp,
                             mem_chain(r, z + i, 1, false, i + 1 == n)),
                         PT_ERROR);
    }

    ck_assert(zp->done);
    ck_assert_uint_eq(sink.len, 12);
    ck_assert_int_eq(memcmp(sink.data, "first,second", 12), 0);
    finish(r, NULL, NULL);
}
END_TEST


START_TEST(inflate_corrupt_fails)
{
    pt_http_request_t  *r = request();
    pt_http_zpipe_t    *zp = pipe_new(r, PT_ZPIPE_INFLATE, 2, 1024);
    static u_char       junk[] = "\x1f\x8b\x08\x00junkjunkjunkjunkjunkjunk";

    ck_assert_int_eq(pt_http_zpipe_filter(r, NULL, zp,
                         mem_chain(r, junk, sizeof(junk) - 1, false, true)),
                     PT_ERROR);
    finish(r, NULL, NULL);
}
END_TEST


Suite *
pt_suite_http_zpipe(void)
{
    Suite  *s = suite_create("http_zpipe");
    TCase  *tc = tcase_create("pt_http_zpipe_filter");

    tcase_add_test(tc, deflate_round_trip);
    tcase_add_test(tc, deflate_output_in_full_buffers);
    tcase_add_test(tc, deflate_flush_passes_partial);
    tcase_add_test(tc, deflate_back_pressure);
    tcase_add_test(tc, state_reused);
    tcase_add_test(tc, inflate_members_and_bytewise_input);
    tcase_add_test(tc, inflate_corrupt_fails);
    suite_add_tcase(s, tc);

    return s;
}
