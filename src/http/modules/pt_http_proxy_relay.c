/* SPDX-License-Identifier: BSD-2-Clause */
/* The response body, backend to client, through a bounded set of buffers. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_proxy.h"
#include "pt_http_proxy_cache.h"
#include "pt_http_internal.h"


void
pt_http_proxy_finish(proxy_ctx_t *ctx, int rc)
{
    pt_http_request_t  *r = ctx->r;

    if (ctx->pc) {
        pt_connection_t  *pc = ctx->pc;
        bool              reuse = rc == PT_OK && ctx->done
                                  && ctx->upstream_keepalive
                                  && ctx->plcf->http_version == PT_HTTP_VERSION_11
                                  && (!pt_http_proxy_body_streams(ctx)
                                      || ctx->body_sent);

        pt_del_timer(pc->read);
        pt_del_timer(pc->write);
        ctx->pc = NULL;

        if (reuse) {
            pt_http_upstream_keep(ctx->us, pc);
        } else {
            pt_http_upstream_close(pc);
        }
    }

    if (ctx->peer) {
        pt_http_upstream_free_peer(ctx->peer, false);
        ctx->peer = NULL;
    }

    if (ctx->states->nelts) {
        pt_http_upstream_state_t  *st = ctx->states->elts;

        st[ctx->states->nelts - 1].response_time = pt_current_msec
                                                  - ctx->try_started;
    }

    /* The backend answered before the client finished its body. */
    pt_http_unbuffered_body_abort(r);

    if (pt_http_proxy_cache_finish(ctx, &rc)) {
        return;                 /* a stale copy answers instead */
    }

    r->connection->log->action = NULL;
    pt_http_finalize_request(r, rc);
}


/* A buffer whose bytes all went to the client (or that is new). */
static pt_buf_t *
relay_free_buffer(proxy_ctx_t *ctx)
{
    size_t  busy = 0;

    for (unsigned i = 0; i < ctx->nbufs; i++) {
        busy += (size_t) (ctx->bufs[i]->last - ctx->bufs[i]->pos);
    }

    /* proxy_busy_buffers_size: that much unsent is enough read-ahead. */
    if (busy >= ctx->plcf->busy_buffers_size) {
        return NULL;
    }

    for (unsigned i = 0; i < ctx->nbufs; i++) {
        pt_buf_t  *b = ctx->bufs[i];

        if (b->pos == b->last) {
            b->pos = b->last = b->start;
            b->last_buf = 0;
            return b;
        }
    }

    if (ctx->nbufs == ctx->plcf->bufs.num) {
        return NULL;      /* all in flight: wait for the client */
    }

    pt_buf_t  *b = pt_create_temp_buf(ctx->r->pool, ctx->plcf->bufs.size);

    if (b) {
        ctx->bufs[ctx->nbufs++] = b;
    }

    return b;
}


/* Removes chunked framing in place; returns PT_OK, PT_DONE or PT_ERROR. */
static int
relay_dechunk(proxy_ctx_t *ctx, pt_buf_t *b, u_char *from)
{
    u_char  *dst = from, *p = from;

    while (p < b->last) {
        size_t  consumed, start, len;
        int     rc = pt_http_parse_chunked(&ctx->decoder, p, (size_t) (b->last - p),
                                           &consumed, &start, &len);

        if (rc == PT_ERROR) {
            return PT_ERROR;
        }

        if (rc == PT_OK) {
            memmove(dst, p + start, len);
            dst += len;
        }

        p += consumed;

        if (rc == PT_DONE) {
            /* Trailers are dropped; anything after them is not ours. */
            ctx->upstream_keepalive &= p == b->last;
            b->last = dst;
            return PT_DONE;
        }

        if (rc == PT_AGAIN) {
            break;
        }
    }

    b->last = dst;
    return PT_OK;
}


/*
 * Applies the framing to the bytes [from, b->last) just read; sets
 * ctx->done at the end of the body.  PT_OK or PT_ERROR.
 */
static int
relay_frame(proxy_ctx_t *ctx, pt_buf_t *b, u_char *from)
{
    if (ctx->chunked) {
        int  rc = relay_dechunk(ctx, b, from);

        if (rc == PT_ERROR) {
            return PT_ERROR;
        }
        ctx->done = rc == PT_DONE;
        return PT_OK;
    }

    if (ctx->rest >= 0) {
        off_t  n = b->last - from;

        if (n > ctx->rest) {
            /* More than announced: the connection cannot be trusted. */
            b->last = from + ctx->rest;
            ctx->upstream_keepalive = 0;
            n = ctx->rest;
        }

        ctx->rest -= n;
        ctx->done = ctx->rest == 0;
    }

    return PT_OK;
}


/* Sends what relay_send queued, in one call: one writev for several reads. */
static int
relay_flush(proxy_ctx_t *ctx)
{
    pt_chain_t  *out = ctx->pending;

    if (out == NULL) {
        return PT_OK;
    }

    ctx->pending = NULL;
    ctx->pending_last = &ctx->pending;

    for (pt_chain_t *cl = out; cl; cl = cl->next) {
        cl->buf->flush = cl->next == NULL;  /* streaming, not storing */
    }

    return pt_http_output_filter(ctx->r, out);
}


/*
 * Queues b for the client; the queue goes when the backend has nothing
 * more for now (relay_flush), or at once with the last buffer.
 */
static int
relay_send(proxy_ctx_t *ctx, pt_buf_t *b)
{
    if (ctx->done) {
        b->last_buf = 1;
    }

    if (ctx->background) {
        b->pos = b->last;       /* for the cache only: the client is served */
        return PT_OK;
    }

    if (b->pos == b->last && !b->last_buf) {
        return PT_OK;
    }

    if (b->pos == b->last) {
        pt_buf_t  *last = pt_calloc_buf(ctx->r->pool);

        if (last == NULL) {
            return PT_ERROR;
        }
        last->last_buf = 1;
        b = last;
    }

    pt_chain_t  *cl = pt_alloc_chain_link(ctx->r->pool);

    if (cl == NULL) {
        return PT_ERROR;
    }

    cl->buf = b;
    cl->next = NULL;
    *ctx->pending_last = cl;
    ctx->pending_last = &cl->next;

    return b->last_buf ? relay_flush(ctx) : PT_OK;
}


/*
 * Frames the bytes [from, b->last) just read (from NULL: none, the body
 * ended at EOF) and sends b on.  True when the relay is over (finished or
 * failed: ctx is finalized).
 */
static bool
relay_pass(proxy_ctx_t *ctx, pt_buf_t *b, u_char *from)
{
    if (from && relay_frame(ctx, b, from) != PT_OK) {
        pt_log_error(PT_LOG_ERR, ctx->r->connection->log, 0, "upstream sent "
                     "invalid chunked response");
        pt_http_proxy_finish(ctx, PT_ERROR);
        return true;
    }

    if (from && ctx->cache) {
        pt_http_proxy_cache_body(ctx, from, (size_t) (b->last - from));
    }

    if (relay_send(ctx, b) == PT_ERROR) {
        pt_http_proxy_finish(ctx, PT_ERROR);
        return true;
    }

    if (ctx->done) {
        pt_http_proxy_finish(ctx, PT_OK);
        return true;
    }

    return false;
}


int
pt_http_proxy_flush_client(pt_http_request_t *r)
{
    pt_event_t  *wev = r->connection->write;

    if (wev->timedout) {
        pt_log_error(PT_LOG_INFO, r->connection->log, ETIMEDOUT, "client "
                     "timed out");
        r->connection->timedout = 1;
        return PT_ERROR;
    }

    /* A filter holding input (gzip out of buffers) must run again too. */
    int  rc = r->buffered ? pt_http_output_filter(r, NULL)
                          : pt_http_write_filter(r, NULL);

    if (rc == PT_ERROR) {
        return PT_ERROR;
    }

    if (r->out) {
        pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);

        pt_add_timer(wev, clcf->send_timeout);
    } else {
        pt_del_timer(wev);
    }

    return PT_OK;
}


static void
relay_client_writer(pt_http_request_t *r)
{
    proxy_ctx_t  *ctx = pt_http_get_module_ctx(r, pt_http_proxy_module);

    if (pt_http_proxy_flush_client(r) != PT_OK) {
        pt_http_proxy_finish(ctx, PT_ERROR);
        return;
    }

    /* Room again: go on reading what the backend has for us. */
    pt_http_proxy_relay_read(ctx);
}


void
pt_http_proxy_relay_read(proxy_ctx_t *ctx)
{
    pt_connection_t  *pc = ctx->pc;
    pt_event_t       *rev = pc ? pc->read : NULL;

    if (pc == NULL || ctx->done) {
        return;
    }

    if (rev->timedout) {
        pt_log_error(PT_LOG_ERR, ctx->r->connection->log, ETIMEDOUT, "upstream "
                     "timed out");
        pt_http_proxy_finish(ctx, PT_ERROR);
        return;
    }

    for ( ;; ) {
        pt_buf_t  *b = relay_free_buffer(ctx);

        if (b == NULL && ctx->pending) {
            /* Out of buffers with some queued: send them, maybe all. */
            if (relay_flush(ctx) == PT_ERROR) {
                pt_http_proxy_finish(ctx, PT_ERROR);
                return;
            }
            b = relay_free_buffer(ctx);
        }

        if (b == NULL) {
            pt_del_timer(rev);      /* the client is the slow side now */
            return;
        }

        ssize_t  n = pc->recv(pc, b->last, (size_t) (b->end - b->last));

        if (n == PT_AGAIN) {
            if (relay_flush(ctx) == PT_ERROR) {
                pt_http_proxy_finish(ctx, PT_ERROR);
                return;
            }
            pt_add_timer(rev, ctx->plcf->read_timeout);
            return;
        }

        if (n == 0 && ctx->rest == -1 && !ctx->chunked) {
            ctx->done = 1;           /* close-delimited body ended */
            ctx->eof = 1;
        } else if (n <= 0) {
            pt_log_error(PT_LOG_ERR, ctx->r->connection->log, 0, "upstream "
                         "prematurely closed connection");
            pt_http_proxy_finish(ctx, PT_ERROR);
            return;
        } else {
            u_char  *from = b->last;

            b->last += n;

            if (relay_pass(ctx, b, from)) {
                return;
            }
            continue;
        }

        if (relay_pass(ctx, b, NULL)) {
            return;
        }
    }
}


void
pt_http_proxy_relay_start(proxy_ctx_t *ctx)
{
    pt_http_request_t  *r = ctx->r;
    pt_buf_t           *b = ctx->header_in;

    r->connection->log->action = "reading upstream";
    ctx->pending = NULL;
    ctx->pending_last = &ctx->pending;
    ctx->bufs = pt_pcalloc(r->pool, (size_t) ctx->plcf->bufs.num
                                    * sizeof(pt_buf_t *));
    if (ctx->bufs == NULL) {
        pt_http_proxy_finish(ctx, PT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->header_sent = 1;

    /*
     * As nginx: the backend has judged the client's conditions; a response
     * is judged again here only when it goes into the cache (as a hit is).
     * Otherwise a PUT with If-Match, done by the backend and answered with
     * the new ETag, would reach the client as a 412.
     */
    r->disable_not_modified = ctx->cache == NULL || !ctx->cache->storing;

    int  rc = ctx->background ? PT_OK : pt_http_send_header(r);

    /*
     * A header filter chose another status (412) and sent nothing: that
     * status answers, as from a content handler.  Relaying the backend's
     * body now would put it on the wire with no head before it.
     */
    if (rc > PT_OK) {
        pt_http_proxy_finish(ctx, rc);
        return;
    }

    /* HEAD sent upstream as GET: the body is read for the cache alone. */
    if (rc == PT_OK && r->header_only && !ctx->no_body && ctx->head_as_get
        && ctx->cache && ctx->cache->storing)
    {
        ctx->background = 1;
    }

    if (r->upgrade && rc != PT_ERROR) {
        pt_buf_t    *flush = pt_calloc_buf(r->pool);
        pt_chain_t   out = { flush, NULL };

        if (flush == NULL) {
            pt_http_proxy_finish(ctx, PT_ERROR);
            return;
        }

        /* The head goes now; what follows is no longer HTTP. */
        flush->flush = 1;
        flush->sync = 1;
        if (pt_http_write_filter(r, &out) == PT_ERROR
            || pt_http_proxy_tunnel_start(ctx) != PT_OK)
        {
            pt_http_proxy_finish(ctx, PT_ERROR);
        }
        return;
    }

    if (rc == PT_ERROR || (r->header_only && !ctx->background)
        || ctx->no_body)
    {
        ctx->done = rc != PT_ERROR && (ctx->no_body || r->header_only);

        /* A body after HEAD/204/304 would be the next response: refuse it. */
        if (r->header_only && !ctx->no_body) {
            ctx->upstream_keepalive = 0;
        }

        if (rc != PT_ERROR) {
            rc = pt_http_send_body(r, NULL, 0);
        }
        pt_http_proxy_finish(ctx, rc == PT_ERROR ? PT_ERROR : PT_OK);
        return;
    }

    r->write_event_handler = relay_client_writer;

    /* Bytes of the body that came with the head. */
    if (b->pos < b->last || ctx->rest == 0) {
        if (relay_pass(ctx, b, b->pos)) {
            return;
        }

        /*
         * The head buffer is never reused: the response headers, logged
         * at the end, still point into it.
         */
    }

    pt_http_proxy_relay_read(ctx);
}
