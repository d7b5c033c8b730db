/* SPDX-License-Identifier: BSD-2-Clause */
/* After "101 Switching Protocols": bytes both ways until either side ends. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_proxy.h"
#include "pt_http_internal.h"


static void
tunnel_end(proxy_ctx_t *ctx, int rc)
{
    /* A tunnel never goes back to HTTP: both connections close. */
    ctx->upstream_keepalive = 0;
    ctx->r->keepalive = 0;
    pt_http_proxy_finish(ctx, rc);
}


/*
 * Moves what src has to dst through buf.  Returns PT_OK (would block on
 * one side), PT_DONE (src closed and everything was passed on) or
 * PT_ERROR.
 */
static int
tunnel_pump(pt_connection_t *src, pt_connection_t *dst, pt_buf_t *b)
{
    for ( ;; ) {
        if (b->pos < b->last) {
            if (!dst->write->ready) {
                return PT_OK;
            }

            ssize_t  n = dst->send(dst, b->pos, (size_t) (b->last - b->pos));

            if (n == PT_AGAIN) {
                return PT_OK;
            }
            if (n < 0) {
                return PT_ERROR;
            }
            b->pos += n;
            continue;
        }

        b->pos = b->last = b->start;

        if (!src->read->ready && !src->read->pending_eof) {
            return PT_OK;
        }

        ssize_t  n = src->recv(src, b->last, (size_t) (b->end - b->last));

        if (n == PT_AGAIN) {
            return PT_OK;
        }
        if (n == 0) {
            return PT_DONE;
        }
        if (n < 0) {
            return PT_ERROR;
        }
        b->last += n;
    }
}


static void
tunnel_run(proxy_ctx_t *ctx, bool timedout)
{
    pt_connection_t  *c = ctx->r->connection, *pc = ctx->pc;

    if (timedout) {
        pt_log_error(PT_LOG_INFO, c->log, ETIMEDOUT, "upstream timed out");
        tunnel_end(ctx, PT_OK);
        return;
    }

    int  up = tunnel_pump(c, pc, ctx->tunnel_up);
    int  down = up == PT_ERROR ? PT_ERROR
                               : tunnel_pump(pc, c, ctx->tunnel_down);

    if (up == PT_ERROR || down == PT_ERROR || up == PT_DONE || down == PT_DONE) {
        tunnel_end(ctx, PT_OK);
        return;
    }

    /* Idle in both directions for proxy_read_timeout: the tunnel ends. */
    pt_add_timer(pc->read, ctx->plcf->read_timeout);
}


void
pt_http_proxy_tunnel_event(proxy_ctx_t *ctx, pt_event_t *ev)
{
    tunnel_run(ctx, ev->timedout);
}


static void
tunnel_client_handler(pt_http_request_t *r)
{
    proxy_ctx_t  *ctx = pt_http_get_module_ctx(r, pt_http_proxy_module);

    tunnel_run(ctx, false);
}


int
pt_http_proxy_tunnel_start(proxy_ctx_t *ctx)
{
    pt_http_request_t  *r = ctx->r;
    pt_buf_t           *early = r->header_in;
    size_t              size = ctx->plcf->buffer_size;
    size_t              said = (size_t) (early->last - early->pos);

    /* Room for all the client said after its head, however much. */
    ctx->tunnel_up = pt_create_temp_buf(r->pool, pt_max(size, said));
    ctx->tunnel_down = pt_create_temp_buf(r->pool, size);
    if (ctx->tunnel_up == NULL || ctx->tunnel_down == NULL) {
        return PT_ERROR;
    }

    /* The backend's first bytes may have come with its head. */
    pt_buf_t  *b = ctx->header_in;

    ctx->tunnel_down->last = pt_cpymem(ctx->tunnel_down->last, b->pos,
                                       pt_min((size_t) (b->last - b->pos), size));

    /* And the client may have spoken already (after its request head). */
    ctx->tunnel_up->last = pt_cpymem(ctx->tunnel_up->last, early->pos, said);
    early->pos += said;

    ctx->tunnel = 1;
    r->read_event_handler = tunnel_client_handler;
    r->write_event_handler = tunnel_client_handler;
    r->connection->log->action = "proxying upgraded connection";

    tunnel_run(ctx, false);
    return PT_OK;
}
