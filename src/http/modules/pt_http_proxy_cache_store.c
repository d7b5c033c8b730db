/* SPDX-License-Identifier: BSD-2-Clause */
/* proxy_cache on the way back: storing, revalidation, stale on failure. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_proxy.h"
#include "pt_http_proxy_cache.h"


/* The proxy_cache_use_stale bit a backend status stands for, or 0. */
static int
store_stale_kind(unsigned code)
{
    switch (code) {
    case 500: return PROXY_NEXT_HTTP_500;
    case 502: return PROXY_NEXT_HTTP_502;
    case 503: return PROXY_NEXT_HTTP_503;
    case 504: return PROXY_NEXT_HTTP_504;
    case 403: return PROXY_NEXT_HTTP_403;
    case 404: return PROXY_NEXT_HTTP_404;
    case 429: return PROXY_NEXT_HTTP_429;
    default:  return 0;
    }
}


/* A stored copy may stand in for what went wrong (kind: PROXY_NEXT_*). */
static bool
store_may_use_stale(proxy_ctx_t *ctx, int kind)
{
    proxy_cache_ctx_t  *cc = ctx->cache;

    return cc->file.fd != -1 && !cc->served && !ctx->background
           && !ctx->header_sent && (cc->conf->use_stale & kind);
}


/* A 304 to our conditional request: the copy is fresh again. */
static void
store_refresh(proxy_ctx_t *ctx)
{
    proxy_cache_ctx_t         *cc = ctx->cache;
    pt_buf_t                  *b = ctx->header_in;
    pt_array_t                *valid = cc->conf->valid;
    pt_http_cache_policy_in_t  in = {
        .status = cc->file.status, .now = pt_time(),
        .ignore = (unsigned) cc->conf->ignore_headers,
        .valid = valid ? valid->elts : NULL, .nvalid = valid ? valid->nelts : 0
    };
    pt_http_cache_policy_t     pol;

    if (pt_http_cache_policy(b->pos, (size_t) (b->last - b->pos),
                             ctx->status.line_end, &in, &pol) != PT_OK
        || pol.valid_sec == 0)
    {
        return;
    }

    pt_http_cache_file_set_valid(&cc->file.name, pol.valid_sec,
                                 ctx->r->connection->log);
    pt_http_cache_touch(cc->cache, &cc->lk.key, pol.valid_sec);
}


int
pt_http_proxy_cache_response(proxy_ctx_t *ctx)
{
    proxy_cache_ctx_t  *cc = ctx->cache;
    unsigned            code = ctx->status.code;

    if (cc == NULL || cc->file.fd == -1 || cc->served) {
        return PT_OK;
    }

    if (code == 304 && cc->cond_lines.len) {
        store_refresh(ctx);
        pt_http_cache_unlock(cc->cache, &cc->lk.key, cc->lk.lock_id);
        pt_http_proxy_close_peer(ctx, false);

        if (ctx->background) {
            pt_http_proxy_finish(ctx, PT_OK);
            return PT_DONE;
        }

        return pt_http_proxy_cache_send(ctx, PROXY_CACHE_REVALIDATED)
               == PT_OK ? PT_DONE : PT_OK;
    }

    int  kind = store_stale_kind(code);

    if (kind && store_may_use_stale(ctx, kind)) {
        pt_http_proxy_close_peer(ctx, code >= 500);
        if (pt_http_proxy_cache_send(ctx, PROXY_CACHE_STALE) == PT_OK) {
            return PT_DONE;
        }
    }

    return PT_OK;
}


/* The key the response is stored under: with Vary, a variant's. */
static int
store_key(proxy_ctx_t *ctx, const pt_str_t *vary, pt_str_t *key)
{
    proxy_cache_ctx_t  *cc = ctx->cache;

    if (vary->len == 0) {
        *key = cc->main_key;
        return PT_OK;
    }

    if (vary->len >= PT_HTTP_CACHE_VARY_LEN) {
        return PT_DECLINED;      /* too many fields to remember */
    }

    return pt_http_proxy_cache_variant_key(ctx->r, &cc->main_key, vary, key);
}


void
pt_http_proxy_cache_store_start(proxy_ctx_t *ctx)
{
    proxy_cache_ctx_t  *cc = ctx->cache;
    pt_http_request_t  *r = ctx->r;
    pt_buf_t           *b = ctx->header_in;

    if (cc == NULL || !cc->store || r->upgrade
        || (cc->conf->no_cache
            && pt_http_proxy_cache_test(r, cc->conf->no_cache) != PT_DECLINED))
    {
        return;
    }

    pt_array_t                *valid = cc->conf->valid;
    pt_http_cache_policy_in_t  in = {
        .status = ctx->status.code, .now = pt_time(),
        .ignore = (unsigned) cc->conf->ignore_headers,
        .valid = valid ? valid->elts : NULL, .nvalid = valid ? valid->nelts : 0
    };
    pt_http_cache_policy_t     pol;
    pt_str_t                   head = { (size_t) (b->pos - b->start),
                                        b->start };
    pt_str_t                   key;

    if (pt_http_cache_policy(head.data, head.len, ctx->status.line_end, &in,
                             &pol) != PT_OK
        || pol.valid_sec == 0 || store_key(ctx, &pol.vary, &key) != PT_OK)
    {
        return;
    }

    if (pt_http_cache_tmp_open(r->pool, cc->cache, &key, &pol.vary, &head,
                               ctx->status.code, pol.valid_sec, &cc->tmp,
                               r->connection->log) != PT_OK)
    {
        return;                  /* logged; the response goes on uncached */
    }

    cc->vary = pol.vary;

    if (pol.vary.data == pol.vary_buf) {
        /* Joined from several lines into pol, which is about to go. */
        cc->vary.data = pt_pstrdup(r->pool, &pol.vary);
        if (cc->vary.data == NULL) {
            pt_http_cache_tmp_abort(&cc->tmp, r->connection->log);
            return;
        }
    }

    cc->storing = 1;
    cc->valid_sec = pol.valid_sec;
    cc->store_key = key;
}


void
pt_http_proxy_cache_body(proxy_ctx_t *ctx, const u_char *p, size_t len)
{
    proxy_cache_ctx_t  *cc = ctx->cache;

    if (cc && cc->storing
        && pt_http_cache_tmp_write(&cc->tmp, p, len, ctx->r->connection->log)
           != PT_OK)
    {
        pt_http_cache_tmp_abort(&cc->tmp, ctx->r->connection->log);
        cc->storing = 0;
    }
}


static void
store_commit(proxy_ctx_t *ctx)
{
    proxy_cache_ctx_t  *cc = ctx->cache;
    pt_log_t           *log = ctx->r->connection->log;
    off_t               size = pt_http_cache_tmp_commit(&cc->tmp, log);

    if (size >= 0
        && pt_http_cache_commit(cc->cache, &cc->main_key, &cc->store_key,
                                cc->valid_sec, size, &cc->vary,
                                cc->lk.lock_id, log) != PT_OK)
    {
        pt_log_error(PT_LOG_WARN, log, 0, "cache zone \"%.*s\" is full, "
                     "response not cached",
                     PT_STR_ARG(cc->cache->zone->name));
    }
}


bool
pt_http_proxy_cache_finish(proxy_ctx_t *ctx, int *rc)
{
    proxy_cache_ctx_t  *cc = ctx->cache;

    if (cc == NULL) {
        return false;
    }

    if (cc->storing) {
        cc->storing = 0;
        if (*rc == PT_OK && ctx->done) {
            store_commit(ctx);
        } else {
            pt_http_cache_tmp_abort(&cc->tmp, ctx->r->connection->log);
        }
    }

    int  kind = *rc == PT_HTTP_GATEWAY_TIME_OUT ? PROXY_NEXT_TIMEOUT
                : *rc == PT_HTTP_BAD_GATEWAY
                  ? PROXY_NEXT_ERROR | PROXY_NEXT_INVALID_HEADER : 0;

    if (kind && store_may_use_stale(ctx, kind)
        && pt_http_proxy_cache_send(ctx, PROXY_CACHE_STALE) == PT_OK)
    {
        return true;
    }

    pt_http_cache_unlock(cc->cache, &cc->lk.key, cc->lk.lock_id);
    cc->lk.lock_id = 0;

    if (ctx->background) {
        /* The client got the stale copy whole: end as it went for it. */
        *rc = ctx->r->connection->error ? PT_ERROR : PT_OK;
    }

    return false;
}


void
pt_http_proxy_cache_cleanup(proxy_ctx_t *ctx)
{
    proxy_cache_ctx_t  *cc = ctx->cache;
    pt_log_t           *log = ctx->r->connection->log;

    if (cc == NULL) {
        return;
    }

    if (cc->storing) {
        pt_http_cache_tmp_abort(&cc->tmp, log);   /* cut: never stored */
        cc->storing = 0;
    }

    pt_http_cache_unlock(cc->cache, &cc->lk.key, cc->lk.lock_id);
    cc->lk.lock_id = 0;

    if (cc->wait_ev.timer_set) {
        pt_del_timer(&cc->wait_ev);
    }

    if (cc->file.fd != -1) {
        close(cc->file.fd);
        cc->file.fd = -1;
    }
}
