/* SPDX-License-Identifier: BSD-2-Clause */
/* proxy_cache at run time: lookup, serving, storing, stale copies, purge. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_proxy.h"
#include "pt_http_proxy_cache.h"
#include "pt_http_internal.h"

#define CACHE_WAIT_MIN  5             /* ms: first poll of a held lock */
#define CACHE_WAIT_MAX  100

/* proxy_cache $var named no proxy_cache_path. */
#define PROXY_CACHE_UNKNOWN  ((pt_http_cache_t *) -1)

static int cache_lookup(proxy_ctx_t *ctx);


/* Keys. */

/* Appends "\nname:value" for each field the Vary names list. */
int
pt_http_proxy_cache_variant_key(pt_http_request_t *r, const pt_str_t *main_key,
    const pt_str_t *names, pt_str_t *key)
{
    /* Each name and its ':' take at most twice the list's bytes. */
    size_t  size = main_key->len + 1 + 2 * names->len;

    for (pt_table_elt_t *h = r->headers_in.headers.first; h; h = h->next) {
        size += h->value.len + 1;
    }

    u_char  *p = pt_pnalloc(r->pool, size), *last = p + size;

    if (p == NULL) {
        return PT_ERROR;
    }

    key->data = p;
    p = pt_cpymem(p, main_key->data, main_key->len);
    *p++ = '\n';

    for (size_t i = 0; i < names->len; ) {
        size_t  s = i, e;

        while (s < names->len && (names->data[s] == ' '
                                  || names->data[s] == ','))
        {
            s++;
        }
        for (e = s; e < names->len && names->data[e] != ','
                    && names->data[e] != ' '; e++) { /* the name */ }
        i = e;
        if (s == e) {
            continue;
        }

        pt_str_t  name = { e - s, names->data + s };

        if (p + name.len + 1 > last) {
            break;                      /* cannot happen: sized above */
        }

        p = pt_cpymem(p, name.data, name.len);
        *p++ = ':';
        for (pt_table_elt_t *h = r->headers_in.headers.first; h; h = h->next) {
            if (h->key.len == name.len
                && pt_strncasecmp(h->key.data, name.data, name.len) == 0
                && p + h->value.len + 1 <= last)
            {
                p = pt_cpymem(p, h->value.data, h->value.len);
                *p++ = ';';
            }
        }
    }

    key->len = (size_t) (p - key->data);
    return PT_OK;
}


static pt_http_cache_t *
cache_choose(proxy_ctx_t *ctx, proxy_cache_conf_t *pc)
{
    pt_http_request_t  *r = ctx->r;
    pt_str_t            name;
    pt_http_cache_t    *c;

    if (pc->cache_cv == NULL) {
        return pc->zone->data;
    }

    if (pt_http_complex_value(r, pc->cache_cv, &name) != PT_OK
        || name.len == 0 || pt_str_caseeq_lit(&name, "off"))
    {
        return NULL;
    }

    c = pt_http_proxy_cache_find(r, &name);
    if (c == NULL) {
        pt_log_error(PT_LOG_ERR, r->connection->log, 0, "cache \"%.*s\" not "
                     "found", PT_STR_ARG(name));
        return PROXY_CACHE_UNKNOWN;
    }

    return c;
}


/* Serving a stored copy. */

/* While the background refresh runs, the stale copy goes on out. */
static void
cache_bg_writer(pt_http_request_t *r)
{
    if (pt_http_proxy_flush_client(r) != PT_OK) {
        r->connection->error = 1;       /* the refresh ends the request */
    }
}


/* The stored head becomes the response head, as a backend's would. */
static int
cache_set_head(proxy_ctx_t *ctx)
{
    pt_http_cache_file_t  *f = &ctx->cache->file;
    pt_buf_t              *b = pt_calloc_buf(ctx->r->pool);

    if (b == NULL) {
        return PT_ERROR;
    }

    b->start = b->pos = f->head.data;
    b->last = b->end = f->head.data + f->head.len;
    b->temporary = 1;
    ctx->header_in = b;
    memset(&ctx->status, 0, sizeof(ctx->status));
    ctx->rest = -1;
    ctx->chunked = 0;       /* whatever a failed backend's head said */

    if (pt_http_parse_status_line(b->pos, f->head.len, &ctx->status) != PT_OK
        || pt_http_proxy_process_header(ctx) != PT_OK)
    {
        return PT_DECLINED;
    }

    /* The body was stored without its chunked framing. */
    ctx->chunked = 0;
    ctx->rest = f->body_len;
    ctx->r->headers_out.content_length_n = f->body_len;
    return PT_OK;
}


static int
cache_send_body(proxy_ctx_t *ctx)
{
    pt_http_request_t     *r = ctx->r;
    pt_http_cache_file_t  *f = &ctx->cache->file;
    pt_file_ref_t         *ref = pt_pcalloc(r->pool, sizeof(*ref));
    pt_buf_t              *b = pt_calloc_buf(r->pool);
    pt_chain_t             out = { b, NULL };

    if (ref == NULL || b == NULL) {
        return PT_ERROR;
    }

    if (f->body) {
        /* A small entry came whole with the first read. */
        b->pos = b->start = f->body;
        b->last = b->end = f->body + f->body_len;
        b->memory = f->body_len ? 1 : 0;
    } else {
        ref->fd = f->fd;
        ref->name = f->name;
        ref->size = f->size;
        b->file = ref;
        b->file_pos = f->body_start;
        b->file_last = f->body_start + f->body_len;
        b->in_file = f->body_len ? 1 : 0;
    }

    b->sync = f->body_len ? 0 : 1;
    b->last_buf = 1;
    b->last_in_chain = 1;
    return pt_http_output_filter(r, &out);
}


/*
 * Answers from the open file with status (HIT, STALE ...).  PT_DECLINED
 * before anything was sent when the file turns out unusable.
 */
int
pt_http_proxy_cache_send(proxy_ctx_t *ctx, proxy_cache_status_e status)
{
    proxy_cache_ctx_t  *cc = ctx->cache;
    pt_http_request_t  *r = ctx->r;
    pt_buf_t              *header_in = ctx->header_in;
    pt_http_status_t       st = ctx->status;
    pt_http_headers_out_t  ho = r->headers_out;
    off_t                  rest = ctx->rest;
    unsigned               chunked = ctx->chunked, no_body = ctx->no_body;

    /* The stored head replaces whatever a failed backend left. */
    pt_http_proxy_reset_headers_out(r);

    int  rc = cache_set_head(ctx);

    if (rc != PT_OK) {
        pt_log_error(PT_LOG_WARN, r->connection->log, 0, "cache file \"%s\" "
                     "has an invalid head, ignored", cc->file.name.data);
        pt_http_cache_forget(cc->cache, &cc->lk.key, r->connection->log);

        /* As it was: the request may still go (or have gone) upstream. */
        ctx->header_in = header_in;
        ctx->status = st;
        ctx->rest = rest;
        ctx->chunked = chunked;
        ctx->no_body = no_body;
        r->headers_out = ho;
        return PT_DECLINED;
    }

    cc->status = status;
    cc->served = 1;
    ctx->header_sent = 1;
    r->connection->log->action = "sending cached response to client";

    rc = pt_http_send_header(r);
    if (rc != PT_ERROR && rc <= PT_OK && !r->header_only) {
        rc = cache_send_body(ctx);
    }

    /* A filter's own status (412) has not been sent: it answers first. */
    if (cc->background && rc != PT_ERROR && rc <= PT_OK) {
        /* The client has its answer; the fetch refreshes the entry. */
        r->write_event_handler = cache_bg_writer;
        ctx->background = 1;
        ctx->header_sent = 0;
        ctx->header_in = header_in;     /* for the backend's head */
        ctx->rest = -1;
        ctx->chunked = 0;
        ctx->no_body = 0;
        memset(&ctx->status, 0, sizeof(ctx->status));
        pt_http_proxy_upstream_start(ctx);
        return PT_OK;
    }

    pt_http_proxy_finish(ctx, rc == PT_ERROR ? PT_ERROR
                              : rc > PT_OK ? rc : PT_OK);
    return PT_OK;
}


static int
cache_open(proxy_ctx_t *ctx)
{
    proxy_cache_ctx_t  *cc = ctx->cache;
    pt_http_request_t  *r = ctx->r;

    cc->file.fd = -1;
    if (pt_http_cache_file_name(r->pool, cc->cache, &cc->lk.key,
                                &cc->file.name) != PT_OK)
    {
        return PT_ERROR;
    }

    int  rc = pt_http_cache_file_open(r->pool, &cc->file, &cc->lk.key,
                                      r->connection->log);

    if (rc == PT_DECLINED) {
        pt_http_cache_forget(cc->cache, &cc->lk.key, r->connection->log);
    }

    return rc;
}


/* Revalidation: the validators of the stored copy go upstream. */
static int
cache_conditional(proxy_ctx_t *ctx)
{
    proxy_cache_ctx_t        *cc = ctx->cache;
    pt_http_cache_file_t     *f = &cc->file;
    pt_http_cache_policy_in_t in = { .status = f->status, .now = pt_time() };
    pt_http_cache_policy_t    pol;
    pt_http_status_t          st;

    if (pt_http_parse_status_line(f->head.data, f->head.len, &st) != PT_OK
        || pt_http_cache_policy(f->head.data, f->head.len, st.line_end, &in,
                                &pol) != PT_OK
        || (pol.etag.len == 0 && pol.last_modified.len == 0))
    {
        return PT_OK;
    }

    size_t   size = pol.etag.len + pol.last_modified.len + 64;
    u_char  *p = pt_pnalloc(ctx->r->pool, size), *last = p + size;

    if (p == NULL) {
        return PT_ERROR;
    }

    cc->cond_lines.data = p;
    if (pol.etag.len) {
        p = pt_snprintf(p, last, "If-None-Match: %.*s\r\n",
                        PT_STR_ARG(pol.etag));
    }
    if (pol.last_modified.len) {
        p = pt_snprintf(p, last, "If-Modified-Since: %.*s\r\n",
                        PT_STR_ARG(pol.last_modified));
    }
    cc->cond_lines.len = (size_t) (p - cc->cond_lines.data);
    return PT_OK;
}


/* Lookup. */

static void
cache_wait_handler(pt_event_t *ev)
{
    proxy_ctx_t        *ctx = ev->data;
    proxy_cache_ctx_t  *cc = ctx->cache;

    if (pt_current_msec - cc->wait_start >= cc->conf->lock_timeout) {
        /* Not worth waiting longer: fetch it, without storing. */
        cc->status = PROXY_CACHE_MISS;
        cc->store = 0;
        pt_http_proxy_upstream_start(ctx);
        return;
    }

    if (cache_lookup(ctx) == PT_DECLINED) {
        pt_http_proxy_upstream_start(ctx);
    }
}


static int
cache_wait(proxy_ctx_t *ctx)
{
    proxy_cache_ctx_t  *cc = ctx->cache;

    if (cc->wait_start == 0) {
        cc->wait_start = pt_current_msec;
        cc->wait_delay = CACHE_WAIT_MIN;
        cc->wait_ev.data = ctx;
        cc->wait_ev.handler = cache_wait_handler;
        cc->wait_ev.log = ctx->r->connection->log;
    } else if (cc->wait_delay < CACHE_WAIT_MAX) {
        cc->wait_delay *= 2;
    }

    pt_add_timer(&cc->wait_ev, cc->wait_delay);
    return PT_DONE;
}


/* An expired copy: serve it while another refreshes, or refresh it. */
static int
cache_expired(proxy_ctx_t *ctx, bool other_updates)
{
    proxy_cache_ctx_t   *cc = ctx->cache;
    proxy_cache_conf_t  *pc = cc->conf;
    bool                 stale_ok = pc->use_stale & PROXY_STALE_UPDATING;
    int                  rc = cache_open(ctx);

    if (rc == PT_ERROR) {
        return PT_ERROR;
    }

    if (rc != PT_OK) {
        cc->status = PROXY_CACHE_MISS;
        return PT_DECLINED;
    }

    if (other_updates && stale_ok && pt_http_proxy_cache_send(ctx, PROXY_CACHE_UPDATING)
                                     == PT_OK)
    {
        return PT_DONE;
    }

    if (!other_updates && stale_ok && pc->background_update) {
        cc->background = 1;
        if (pt_http_proxy_cache_send(ctx, PROXY_CACHE_STALE) == PT_OK) {
            return PT_DONE;
        }
        cc->background = 0;
    }

    if (cc->file.fd == -1) {
        cc->status = PROXY_CACHE_MISS;
        return PT_DECLINED;
    }

    cc->status = PROXY_CACHE_EXPIRED;
    return pc->revalidate && cache_conditional(ctx) != PT_OK ? PT_ERROR
                                                              : PT_DECLINED;
}


/*
 * A miss while the loader has not finished reading the directory (after
 * a start): the entry may be on disk all the same.  As nginx, its file
 * is looked for and, when whole and for this key, indexed at once, so it
 * answers instead of the backend.  True when it was.
 */
static bool
cache_adopt_cold(proxy_ctx_t *ctx)
{
    proxy_cache_ctx_t     *cc = ctx->cache;
    pt_http_request_t     *r = ctx->r;
    pt_http_cache_file_t   f = { .fd = -1 };
    pt_http_cache_sh_t    *sh = pt_http_cache_sh(cc->cache);

    if (cc->adopt_tried || sh == NULL || sh->loaded) {
        return false;
    }

    cc->adopt_tried = 1;

    if (pt_http_cache_file_name(r->pool, cc->cache, &cc->lk.key, &f.name)
        != PT_OK
        || pt_http_cache_file_open(r->pool, &f, &cc->lk.key,
                                   r->connection->log) != PT_OK)
    {
        return false;
    }

    close(f.fd);

    /* The lookup took the update lock for a fetch that will not happen. */
    if (cc->lk.lock_id) {
        pt_http_cache_unlock(cc->cache, &cc->lk.key, cc->lk.lock_id);
        cc->lk.lock_id = 0;
    }

    /* PT_DECLINED: another request indexed it meanwhile, as good. */
    return pt_http_cache_add_loaded(cc->cache, &f.key, f.valid_sec, f.size,
                                    &f.vary, r->connection->log) != PT_ERROR;
}


/*
 * Looks the key up and acts: PT_DONE when answered (or waiting for a
 * lock), PT_DECLINED to fetch from upstream, PT_ERROR.
 */
static int
cache_lookup(proxy_ctx_t *ctx)
{
    proxy_cache_ctx_t  *cc = ctx->cache;
    pt_log_t           *log = ctx->r->connection->log;

    cc->lk.key = cc->main_key;
    if (pt_http_cache_lookup(cc->cache, &cc->lk, log) != PT_OK) {
        return PT_DECLINED;
    }

    if (cc->lk.found == PT_HTTP_CACHE_VARY) {
        pt_str_t  names = { strlen(cc->lk.vary_names),
                            (u_char *) cc->lk.vary_names };
        pt_str_t  key;

        if (pt_http_proxy_cache_variant_key(ctx->r, &cc->main_key, &names, &key) != PT_OK) {
            return PT_ERROR;
        }
        cc->lk.key = key;
        if (pt_http_cache_lookup(cc->cache, &cc->lk, log) != PT_OK) {
            return PT_DECLINED;
        }
    }

    cc->store = cc->lk.store;

    switch (cc->lk.found) {
    case PT_HTTP_CACHE_HIT:
        if (cache_open(ctx) == PT_OK && pt_http_proxy_cache_send(ctx, PROXY_CACHE_HIT)
                                        == PT_OK)
        {
            return PT_DONE;
        }
        cc->status = PROXY_CACHE_MISS;
        return PT_DECLINED;

    case PT_HTTP_CACHE_EXPIRED:
        return cache_expired(ctx, false);

    case PT_HTTP_CACHE_UPDATING:
        return cache_expired(ctx, true);

    case PT_HTTP_CACHE_WAIT:
        return cache_wait(ctx);

    default:
        if (cache_adopt_cold(ctx)) {
            return cache_lookup(ctx);      /* indexed now: look again */
        }
        cc->status = PROXY_CACHE_MISS;
        return PT_DECLINED;
    }
}


/*
 * proxy_cache_max_range_offset, as nginx: on a miss, a range that starts
 * at the offset or beyond (any range with 0, and a suffix "-N") goes to
 * the backend as asked, and the answer is not stored.
 */
static bool
cache_range_too_far(pt_http_request_t *r, off_t max)
{
    pt_table_elt_t  *h = r->headers_in.range;

    if (max < 0 || h == NULL) {
        return false;
    }

    if (max == 0) {
        return true;
    }

    const u_char  *p = h->value.data, *end = p + h->value.len;

    if (h->value.len < 6 || pt_strncasecmp(p, (u_char *) "bytes=", 6) != 0) {
        return false;
    }

    for (p += 6; p < end && *p == ' '; p++) { /* void */ }

    if (p < end && *p == '-') {
        return true;
    }

    int64_t  start = 0;

    for ( ; p < end && isdigit(*p); p++) {
        start = start * 10 + (*p - '0');
        if (start >= max) {
            return true;
        }
    }

    return false;
}


/* A range passed on: the request goes as the client sent it, unstored. */
static void
cache_pass_range(proxy_ctx_t *ctx)
{
    proxy_cache_ctx_t  *cc = ctx->cache;

    cc->pass_range = 1;
    cc->store = 0;
    cc->cond_lines.len = 0;
    ctx->head_as_get = 0;

    /* Nobody may wait on a fetch that will not be stored. */
    if (cc->lk.lock_id) {
        pt_http_cache_unlock(cc->cache, &cc->lk.key, cc->lk.lock_id);
        cc->lk.lock_id = 0;
    }
}


static void
cache_purge(proxy_ctx_t *ctx)
{
    proxy_cache_ctx_t  *cc = ctx->cache;
    pt_http_request_t  *r = ctx->r;
    pt_str_t            key = cc->main_key;
    bool                prefix = key.len && key.data[key.len - 1] == '*';

    key.len -= prefix;

    ssize_t  n = pt_http_cache_purge(cc->cache, &key, prefix,
                                     r->connection->log);

    if (n <= 0) {
        pt_http_proxy_finish(ctx, n == 0 ? PT_HTTP_NOT_FOUND
                                  : PT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    u_char  *body = pt_pnalloc(r->pool, 64);

    if (body == NULL) {
        pt_http_proxy_finish(ctx, PT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    size_t  len = (size_t) (pt_snprintf(body, body + 64, "%zd purged\n", n)
                            - body);

    r->headers_out.status = PT_HTTP_OK;
    r->headers_out.content_length_n = (off_t) len;
    pt_str_set(&r->headers_out.content_type, "text/plain");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    ctx->header_sent = 1;

    int  rc = pt_http_send_header(r);

    if (rc != PT_ERROR && !r->header_only) {
        rc = pt_http_send_body(r, body, len);
    }
    pt_http_proxy_finish(ctx, rc == PT_ERROR ? PT_ERROR : PT_OK);
}


/*
 * Without proxy_cache_key, nginx keys on the URL the request goes to:
 * "http://" (or https), $proxy_host, then the URI sent upstream.
 */
static int
cache_default_key(proxy_ctx_t *ctx, pt_str_t *key)
{
    pt_str_t  uri;

    if (pt_http_proxy_uri(ctx, &uri) != PT_OK) {
        return PT_ERROR;
    }

    size_t  size = sizeof("https://") + ctx->host.len + uri.len;

    key->data = pt_pnalloc(ctx->r->pool, size);
    if (key->data == NULL) {
        return PT_ERROR;
    }

    key->len = (size_t) (pt_snprintf(key->data, key->data + size,
                                     "%s%.*s%.*s",
                                     ctx->ssl ? "https://" : "http://",
                                     PT_STR_ARG(ctx->host), PT_STR_ARG(uri))
                         - key->data);
    return PT_OK;
}


static int
cache_ctx_init(proxy_ctx_t *ctx, proxy_cache_conf_t *pc, pt_http_cache_t *c)
{
    pt_http_request_t  *r = ctx->r;
    proxy_cache_ctx_t  *cc = pt_pcalloc(r->pool, sizeof(*cc));

    if (cc == NULL || (pc->key ? pt_http_complex_value(r, pc->key,
                                                         &cc->main_key)
                               : cache_default_key(ctx, &cc->main_key))
                      != PT_OK)
    {
        return PT_ERROR;
    }

    cc->conf = pc;
    cc->cache = c;
    cc->file.fd = -1;
    cc->tmp.fd = -1;
    cc->lk.lock = pc->lock;
    cc->lk.lock_age = pc->lock_age;
    cc->lk.min_uses = (unsigned) pc->min_uses;
    ctx->cache = cc;
    ctx->head_as_get = r->method == PT_HTTP_HEAD && pc->convert_head;
    return PT_OK;
}


int
pt_http_proxy_cache_start(proxy_ctx_t *ctx)
{
    pt_http_request_t   *r = ctx->r;
    proxy_cache_conf_t  *pc = pt_http_get_module_loc_conf(r,
                                  pt_http_proxy_cache_module);
    pt_http_cache_t     *c;

    if (!pc->enable || ctx->cache) {
        return PT_DECLINED;
    }

    if ((c = cache_choose(ctx, pc)) == NULL) {
        return PT_DECLINED;
    }

    if (c == PROXY_CACHE_UNKNOWN) {
        pt_http_proxy_finish(ctx, PT_HTTP_INTERNAL_SERVER_ERROR);
        return PT_DONE;
    }

    bool  purge = pc->purge && pt_http_proxy_cache_test(r, pc->purge) == PT_OK;

    if (!purge && !(pc->methods & (int) PT_HTTP_M(r->method))) {
        return PT_DECLINED;
    }

    if (cache_ctx_init(ctx, pc, c) != PT_OK) {
        pt_http_proxy_finish(ctx, PT_HTTP_INTERNAL_SERVER_ERROR);
        return PT_DONE;
    }

    if (purge) {
        cache_purge(ctx);
        return PT_DONE;
    }

    if (pc->bypass && pt_http_proxy_cache_test(r, pc->bypass) == PT_OK) {
        ctx->cache->status = PROXY_CACHE_BYPASS;
        ctx->cache->store = 1;
        ctx->cache->lk.key = ctx->cache->main_key;
        return PT_DECLINED;
    }

    int  rc = cache_lookup(ctx);

    if (rc == PT_ERROR) {
        pt_http_proxy_finish(ctx, PT_HTTP_INTERNAL_SERVER_ERROR);
        return PT_DONE;
    }

    /* After the lookup, as nginx: a stored copy still answers any range. */
    if (rc == PT_DECLINED && ctx->cache
        && cache_range_too_far(r, pc->max_range_offset))
    {
        cache_pass_range(ctx);
    }

    return rc;
}


pt_str_t
pt_http_proxy_cache_lines(proxy_ctx_t *ctx)
{
    pt_str_t  none = { 0, NULL };

    return ctx->cache ? ctx->cache->cond_lines : none;
}


/*
 * With the cache on, the client's conditions and ranges stay here (as
 * nginx): the backend sends the whole response, which can be stored, and
 * the cached copy answers them.
 */
bool
pt_http_proxy_cache_strips(proxy_ctx_t *ctx, const pt_str_t *lc)
{
    static const char  *fields[] = {
        "if-modified-since", "if-unmodified-since", "if-none-match",
        "if-match", "range", "if-range", NULL
    };

    if (ctx->cache == NULL || ctx->cache->pass_range) {
        return false;
    }

    for (size_t i = 0; fields[i]; i++) {
        if (pt_str_caseeq_lit(lc, fields[i])) {
            return true;
        }
    }

    return false;
}
