/* SPDX-License-Identifier: BSD-2-Clause */
/* A body filter engine that streams a response through zlib (deflate to
 * gzip, or inflate from gzip) in bounded memory with back-pressure. */
#ifndef PT_HTTP_ZPIPE_H
#define PT_HTTP_ZPIPE_H

#include <zlib.h>

typedef enum {
    PT_ZPIPE_DEFLATE = 0,     /* plain bytes in, a gzip stream out */
    PT_ZPIPE_INFLATE          /* gzip member(s) in, plain bytes out */
} pt_http_zpipe_kind_e;

typedef struct pt_http_zstate_s  pt_http_zstate_t;

/* Where output goes: pt_http_next_body unless a test puts a mock here. */
typedef int (*pt_http_zpipe_output_pt)(pt_http_request_t *r,
    const pt_http_filter_t *f, pt_chain_t *out);

typedef struct {
    pt_http_zpipe_kind_e   kind;
    pt_http_zstate_t      *state;      /* NULL once released */
    z_stream              *zs;
    int                    zflush;     /* deflate's flush mode now */

    pt_chain_t            *in;         /* input not yet handed to zlib */
    pt_buf_t              *in_mem;     /* memory buffer zlib reads from */
    u_char                *staging;    /* file input is read into here */
    size_t                 staging_size;

    pt_buf_t             **bufs;       /* output buffers, nalloc of nbufs */
    pt_chain_t           **links;      /* one link per output buffer */
    unsigned              *busy;       /* passed on, not yet sent */
    size_t                 nbufs, nalloc, buf_size;
    size_t                 cur;        /* buffer being filled; nbufs: none */
    pt_chain_t            *out, **last_out;   /* filled, not passed yet */

    off_t                  bytes_in, bytes_out;
    pt_http_zpipe_output_pt output;

    unsigned               in_last:1;       /* saw last_buf on input */
    unsigned               member_end:1;    /* inflate: at a member's end */
    unsigned               in_flush:1;      /* pass output at input's end */
    unsigned               blocked:1;       /* out of output buffers */
    unsigned               done:1;          /* last_buf produced */
} pt_http_zpipe_t;

/*
 * A pipe for r: kind, deflate level (1..9; ignored for inflate), and
 * output buffers (nbufs of buf_size, allocated on demand from r->pool).
 * The zlib state comes from a per-process free list when one is there
 * and goes back to it when the stream ends or r->pool is destroyed.
 * NULL on failure (logged).
 */
pt_http_zpipe_t *pt_http_zpipe_create(pt_http_request_t *r,
    pt_http_zpipe_kind_e kind, int level, size_t nbufs, size_t buf_size);

/*
 * The body filter step: queues in (may be NULL: a writer asking to go
 * on), runs zlib while output buffers are free, and passes what is ready
 * to the filter after f.  Sets r->buffered while input waits for buffers
 * the client has not drained.  PT_OK, PT_AGAIN (output pending) or
 * PT_ERROR.
 */
int pt_http_zpipe_filter(pt_http_request_t *r, const pt_http_filter_t *f,
    pt_http_zpipe_t *zp, pt_chain_t *in);

/* zlib states held in this process's free list (for tests). */
size_t pt_http_zpipe_cached(pt_http_zpipe_kind_e kind);

#endif /* PT_HTTP_ZPIPE_H */
