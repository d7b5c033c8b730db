/* SPDX-License-Identifier: BSD-2-Clause */
/* proxy_request_buffering off: the request body goes upstream as it comes. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_proxy.h"

/*
 * The client's body is read into one bounded buffer
 * (client_body_buffer_size); what it holds is sent, then the buffer is
 * refilled.  A Content-Length body goes as it is; a chunked one goes
 * chunked (which needs HTTP/1.1 to the backend: with 1.0 it is buffered,
 * as nginx does).  Once the buffer has been refilled the body cannot be
 * replayed, so the request is not tried on another server.
 */


bool
pt_http_proxy_body_streams(proxy_ctx_t *ctx)
{
    pt_http_request_body_t  *rb = ctx->r->request_body;

    return rb && rb->unbuffered && ctx->plcf->pass_request_body;
}


/* A memory buffer over [p, p + len) (p is not copied). */
static pt_chain_t *
body_link(pt_pool_t *pool, u_char *p, size_t len)
{
    pt_chain_t  *cl = pt_alloc_chain_link(pool);
    pt_buf_t    *b = pt_calloc_buf(pool);

    if (cl == NULL || b == NULL) {
        return NULL;
    }

    b->start = b->pos = p;
    b->end = b->last = p + len;
    b->memory = 1;
    cl->buf = b;
    cl->next = NULL;
    return cl;
}


/* Appends what the body buffer holds (framed) to *ll; PT_OK or PT_ERROR. */
int
pt_http_proxy_body_append(proxy_ctx_t *ctx, pt_chain_t ***ll)
{
    pt_http_request_t       *r = ctx->r;
    pt_http_request_body_t  *rb = r->request_body;
    size_t                   len = (size_t) (rb->buf->last - rb->buf->pos);
    bool                     chunked = rb->chunked != NULL;

    if (len && chunked) {
        u_char  *h = pt_pnalloc(r->pool, 20);

        if (h == NULL || (**ll = body_link(r->pool, h, (size_t) (pt_snprintf(
                              h, h + 20, "%zx\r\n", len) - h))) == NULL)
        {
            return PT_ERROR;
        }
        *ll = &(**ll)->next;
    }

    if (len) {
        if ((**ll = body_link(r->pool, rb->buf->pos, len)) == NULL) {
            return PT_ERROR;
        }
        *ll = &(**ll)->next;
    }

    static u_char  crlf[] = "\r\n", last[] = "0\r\n\r\n";

    if (chunked && len) {
        if ((**ll = body_link(r->pool, crlf, 2)) == NULL) {
            return PT_ERROR;
        }
        *ll = &(**ll)->next;
    }

    if (chunked && rb->done) {
        if ((**ll = body_link(r->pool, last, 5)) == NULL) {
            return PT_ERROR;
        }
        *ll = &(**ll)->next;
    }

    /* Until the next pt_http_read_unbuffered_request_body(), ours. */
    rb->taken = 1;
    ctx->body_sent = rb->done;
    return PT_OK;
}


int
pt_http_proxy_body_next(proxy_ctx_t *ctx)
{
    pt_http_request_t  *r = ctx->r;

    if (ctx->body_sent) {
        return PT_DONE;
    }

    /* The buffer is about to be refilled: no replay from here on. */
    ctx->body_consumed = 1;

    int  rc = pt_http_read_unbuffered_request_body(r);

    if (rc == PT_AGAIN) {
        ctx->body_waiting = 1;
        return PT_AGAIN;
    }

    if (rc != PT_OK) {
        return rc;
    }

    ctx->body_waiting = 0;

    pt_chain_t  *out = NULL, **ll = &out;

    if (pt_http_proxy_body_append(ctx, &ll) != PT_OK) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->out = out;
    return out ? PT_OK : PT_DONE;
}
