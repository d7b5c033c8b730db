/* SPDX-License-Identifier: BSD-2-Clause */
/* What goes to the backend (one unambiguous request) and what comes back. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_proxy.h"

/* Never forwarded in either direction (RFC 9110 7.6.1), nor our framing. */
static const char  *proxy_hop_by_hop[] = {
    "connection", "keep-alive", "te", "trailer", "transfer-encoding",
    "upgrade", "proxy-connection", "proxy-authenticate", "proxy-authorization",
    "content-length", "expect", NULL
};

/* Backend headers nginx hides by default. */
static const char  *proxy_hidden_default[] = {
    "date", "server", "x-pad", "x-accel-expires", "x-accel-redirect",
    "x-accel-limit-rate", "x-accel-buffering", "x-accel-charset", NULL
};


static bool
proxy_name_in(const pt_str_t *lc, const char **list)
{
    for (size_t i = 0; list[i]; i++) {
        if (strlen(list[i]) == lc->len && memcmp(list[i], lc->data, lc->len) == 0) {
            return true;
        }
    }

    return false;
}


static bool
proxy_name_in_array(const pt_str_t *lc, const pt_array_t *a)
{
    const pt_str_t  *s = a ? a->elts : NULL;

    for (size_t i = 0; a && i < a->nelts; i++) {
        if (pt_str_eq(&s[i], lc)) {
            return true;
        }
    }

    return false;
}


/*
 * Adds to *opts (made on first use) the connection options of one
 * Connection value, lower-cased: the names of headers meant for one hop
 * (RFC 9110 7.6.1), less those never forwarded anyway.  PT_OK or PT_ERROR.
 */
static int
proxy_connection_options(pt_pool_t *pool, const pt_str_t *value,
    pt_array_t **opts)
{
    u_char  *p = value->data, *end = p + value->len;

    while (p < end) {
        while (p < end && (*p == ',' || *p == ' ' || *p == '\t')) {
            p++;
        }

        u_char  *start = p;

        while (p < end && *p != ',' && *p != ' ' && *p != '\t') {
            p++;
        }

        pt_str_t  lc = { (size_t) (p - start), pt_pnalloc(pool, p - start) };

        if (lc.len == 0) {
            continue;
        }

        if (lc.data == NULL
            || (*opts == NULL
                && (*opts = pt_array_create(pool, 4, sizeof(pt_str_t)))
                   == NULL))
        {
            return PT_ERROR;
        }

        pt_strlow(lc.data, start, lc.len);

        if (!proxy_name_in(&lc, proxy_hop_by_hop)) {
            pt_str_t  *o = pt_array_push(*opts);

            if (o == NULL) {
                return PT_ERROR;
            }
            *o = lc;
        }
    }

    return PT_OK;
}


int
pt_http_proxy_uri(proxy_ctx_t *ctx, pt_str_t *uri)
{
    pt_http_request_t  *r = ctx->r;
    proxy_loc_conf_t   *plcf = ctx->plcf;

    if (ctx->url_has_uri) {
        /* With variables, a URI part replaces the whole request URI. */
        *uri = ctx->url_uri;
        return PT_OK;
    }

    if (!plcf->has_uri) {
        /*
         * Without a URI part the request URI passes as received, unless a
         * rewrite, try_files or redirect changed it: then the new URI,
         * escaped again, and its args.
         */
        if (r->uri.data == r->parsed_uri.data && r->uri.len == r->parsed_uri.len
            && !r->internal)
        {
            *uri = r->unparsed_uri;
            return PT_OK;
        }

        size_t  elen = pt_escape_len(r->uri.data, r->uri.len, PT_ESCAPE_URI);
        size_t  len = elen + (r->args.len ? r->args.len + 1 : 0);
        u_char *p = pt_pnalloc(r->pool, len);

        if (p == NULL) {
            return PT_ERROR;
        }

        uri->data = p;
        p = elen == r->uri.len ? pt_cpymem(p, r->uri.data, r->uri.len)
                               : pt_escape(p, r->uri.data, r->uri.len,
                                           PT_ESCAPE_URI);
        if (r->args.len) {
            *p++ = '?';
            p = pt_cpymem(p, r->args.data, r->args.len);
        }
        uri->len = (size_t) (p - uri->data);
        return PT_OK;
    }

    /*
     * With one, the matched location prefix is replaced by it; the rest of
     * the (decoded, normalised) URI is escaped again, as nginx does.
     */
    size_t         skip = plcf->location.len <= r->uri.len ? plcf->location.len : 0;
    const u_char  *tail = r->uri.data + skip;
    size_t         tlen = r->uri.len - skip;
    size_t         elen = pt_escape_len(tail, tlen, PT_ESCAPE_URI);
    size_t         len = plcf->uri.len + elen + (r->args.len ? r->args.len + 1 : 0);
    u_char        *p = pt_pnalloc(r->pool, len);

    if (p == NULL) {
        return PT_ERROR;
    }

    uri->data = p;
    p = pt_cpymem(p, plcf->uri.data, plcf->uri.len);
    p = elen == tlen ? pt_cpymem(p, tail, tlen)
                     : pt_escape(p, tail, tlen, PT_ESCAPE_URI);

    if (r->args.len) {
        *p++ = '?';
        p = pt_cpymem(p, r->args.data, r->args.len);
    }

    uri->len = (size_t) (p - uri->data);
    return PT_OK;
}


typedef struct {
    pt_str_t   name;
    pt_str_t   value;
} proxy_line_t;


/*
 * Evaluates proxy_set_header in nginx's order: the configured lines first
 * (a later line of one name replaces an earlier one), then the defaults
 * (Host, Connection: the first two entries of every list) not overridden.
 */
static int
proxy_set_lines(proxy_ctx_t *ctx, pt_array_t *out)
{
    proxy_header_t  *h = ctx->plcf->set_headers->elts;
    size_t           n = ctx->plcf->set_headers->nelts;

    for (size_t k = 0; k < n; k++) {
        size_t         i = k + 2 < n ? k + 2 : k + 2 - n;
        bool           dflt = i < 2;
        proxy_line_t  *l = out->elts;
        size_t         j;
        pt_str_t       v;

        for (j = 0; j < out->nelts; j++) {
            if (pt_str_caseeq(&l[j].name, &h[i].name)) {
                break;
            }
        }

        if (dflt && j < out->nelts) {
            continue;
        }

        if (pt_http_complex_value(ctx->r, &h[i].value, &v) != PT_OK) {
            return PT_ERROR;
        }

        if (j == out->nelts && pt_array_push(out) == NULL) {
            return PT_ERROR;
        }

        l = (proxy_line_t *) out->elts + j;
        l->name = h[i].name;
        l->value = v;    /* an empty value removes the header */
    }

    return PT_OK;
}


static bool
proxy_is_set(const pt_array_t *set, const pt_table_elt_t *h)
{
    const proxy_line_t  *l = set->elts;

    for (size_t i = 0; i < set->nelts; i++) {
        if (pt_str_caseeq(&l[i].name, &h->key)) {
            return true;
        }
    }

    return false;
}


static size_t
proxy_head_len(proxy_ctx_t *ctx, const pt_str_t *uri, const pt_array_t *set)
{
    pt_http_request_t   *r = ctx->r;
    const proxy_line_t  *l = set->elts;
    size_t               len = r->method_name.len + 1 + uri->len
                               + sizeof(" HTTP/1.1\r\n") + 2;

    for (size_t i = 0; i < set->nelts; i++) {
        len += l[i].name.len + l[i].value.len + 4;
    }

    for (pt_table_elt_t *h = r->headers_in.headers.first; h; h = h->next) {
        len += h->key.len + h->value.len + 4;
    }

    return len + sizeof("Content-Length: \r\n") + PT_OFF_T_LEN
           + pt_http_proxy_cache_lines(ctx).len;
}


static u_char *
proxy_copy_client_headers(proxy_ctx_t *ctx, const pt_array_t *set, u_char *p)
{
    pt_http_request_t  *r = ctx->r;
    pt_array_t         *opts = NULL;

    if (!ctx->plcf->pass_request_headers) {
        return p;
    }

    /*
     * Headers the client names in Connection were for the hop to us: they
     * go no further.  Only the client's own lines are dropped, never those
     * of proxy_set_header or our framing.
     */
    for (pt_table_elt_t *h = r->headers_in.connection; h; h = h->dup) {
        if (proxy_connection_options(r->pool, &h->value, &opts) != PT_OK) {
            return NULL;
        }
    }

    for (pt_table_elt_t *h = r->headers_in.headers.first; h; h = h->next) {
        pt_str_t  lc = { h->key.len, h->lowcase_key };

        if (proxy_name_in(&lc, proxy_hop_by_hop) || proxy_is_set(set, h)
            || proxy_name_in_array(&lc, opts)
            || pt_http_proxy_cache_strips(ctx, &lc))
        {
            continue;
        }

        /* "Upgrade: h2c" and friends would make the backend switch protocols. */
        p = pt_cpymem(p, h->key.data, h->key.len);
        *p++ = ':'; *p++ = ' ';
        p = pt_cpymem(p, h->value.data, h->value.len);
        *p++ = '\r'; *p++ = '\n';
    }

    return p;
}


int
pt_http_proxy_create_request(proxy_ctx_t *ctx)
{
    pt_http_request_t  *r = ctx->r;
    pt_str_t            uri;
    pt_array_t          set;
    pt_buf_t           *b;
    u_char             *p;

    if (pt_http_proxy_uri(ctx, &uri) != PT_OK
        || pt_array_init(&set, r->pool, 8, sizeof(proxy_line_t))
        || proxy_set_lines(ctx, &set) != PT_OK)
    {
        return PT_ERROR;
    }

    ctx->uri = uri;
    b = pt_create_temp_buf(r->pool, proxy_head_len(ctx, &uri, &set));
    if (b == NULL) {
        return PT_ERROR;
    }

    p = ctx->head_as_get ? pt_cpymem(b->last, "GET", 3)
                         : pt_cpymem(b->last, r->method_name.data,
                                     r->method_name.len);
    *p++ = ' ';
    p = pt_cpymem(p, uri.data, uri.len);
    p = pt_cpymem(p, ctx->plcf->http_version == PT_HTTP_VERSION_11
                     ? " HTTP/1.1\r\n" : " HTTP/1.0\r\n", 11);

    proxy_line_t  *l = set.elts;
    bool           cl_cleared = false;

    for (size_t i = 0; i < set.nelts; i++) {
        /* The framing is ours alone: never a second length. */
        if (pt_str_caseeq_lit(&l[i].name, "content-length")
            || pt_str_caseeq_lit(&l[i].name, "transfer-encoding"))
        {
            cl_cleared |= l[i].value.len == 0;
            continue;
        }

        if (l[i].value.len == 0) {
            continue;
        }
        p = pt_cpymem(p, l[i].name.data, l[i].name.len);
        *p++ = ':'; *p++ = ' ';
        p = pt_cpymem(p, l[i].value.data, l[i].value.len);
        *p++ = '\r'; *p++ = '\n';
    }

    p = proxy_copy_client_headers(ctx, &set, p);
    if (p == NULL) {
        return PT_ERROR;
    }

    pt_str_t  cond = pt_http_proxy_cache_lines(ctx);

    if (cond.len) {
        p = pt_cpymem(p, cond.data, cond.len);     /* revalidation */
    }

    bool   stream = pt_http_proxy_body_streams(ctx);
    off_t  body = r->request_body && ctx->plcf->pass_request_body
                  ? r->request_body->received : 0;

    if (stream) {
        /* Sent as it comes: the client's framing decides ours. */
        p = r->request_body->chunked
            ? pt_cpymem(p, "Transfer-Encoding: chunked\r\n", 28)
            : pt_snprintf(p, b->end, "Content-Length: %lld\r\n",
                          (long long) r->headers_in.content_length_n);
        body = 0;

    /*
     * Our own framing, a length: the body was read whole.  An empty one
     * for POST, PUT and PATCH, unless `proxy_set_header Content-Length
     * ""` asked for none (nginx's idiom with proxy_pass_request_body off).
     */
    } else if (body > 0
               || (!cl_cleared && (r->method == PT_HTTP_POST
                                   || r->method == PT_HTTP_PUT
                                   || r->method == PT_HTTP_PATCH)))
    {
        p = pt_snprintf(p, b->end, "Content-Length: %lld\r\n",
                        (long long) body);
    }

    *p++ = '\r'; *p++ = '\n';
    b->last = p;
    ctx->head = b;

    ctx->request = pt_alloc_chain_link(r->pool);
    if (ctx->request == NULL) {
        return PT_ERROR;
    }

    ctx->request->buf = b;
    ctx->request->next = NULL;

    if (stream) {
        pt_chain_t  **ll = &ctx->request->next;

        return pt_http_proxy_body_append(ctx, &ll);
    }

    if (body > 0) {
        pt_chain_t  **ll = &ctx->request->next;

        for (pt_chain_t *cl = r->request_body->bufs; cl; cl = cl->next) {
            if ((*ll = pt_alloc_chain_link(r->pool)) == NULL) {
                return PT_ERROR;
            }
            (*ll)->buf = cl->buf;
            (*ll)->next = NULL;
            ll = &(*ll)->next;
        }
    }

    return PT_OK;
}


/* The response head. */

/* Replaces from with to at the start of s (Location, or Refresh's url=). */
static int
proxy_replace_prefix(pt_http_request_t *r, pt_str_t *s, const pt_str_t *from,
    const pt_str_t *to, size_t at)
{
    if (s->len - at < from->len
        || pt_strncasecmp(s->data + at, from->data, from->len) != 0)
    {
        return PT_DECLINED;
    }

    size_t  len = s->len - from->len + to->len;
    u_char *p = pt_pnalloc(r->pool, len);

    if (p == NULL) {
        return PT_ERROR;
    }

    memcpy(p, s->data, at);
    memcpy(p + at, to->data, to->len);
    memcpy(p + at + to->len, s->data + at + from->len,
           s->len - at - from->len);
    s->data = p;
    s->len = len;
    return PT_OK;
}


static int
proxy_rewrite_location(proxy_ctx_t *ctx, pt_table_elt_t *h, bool refresh)
{
    pt_http_request_t  *r = ctx->r;
    proxy_loc_conf_t   *plcf = ctx->plcf;
    size_t              at = 0;
    int                 rc = PT_DECLINED;

    if (plcf->redirect == 0) {
        return PT_OK;
    }

    if (refresh) {
        u_char  *url = pt_strnstr(h->value.data, h->value.data + h->value.len,
                                  "url=");

        if (url == NULL) {
            return PT_OK;
        }
        at = (size_t) (url - h->value.data) + 4;
    }

    if (plcf->redirects) {
        pt_str_t  *pairs = plcf->redirects->elts;

        for (size_t i = 0; i + 1 < plcf->redirects->nelts && rc == PT_DECLINED;
             i += 2)
        {
            rc = proxy_replace_prefix(r, &h->value, &pairs[i], &pairs[i + 1], at);
        }
    }

    if (rc != PT_DECLINED || plcf->redirect != 1) {
        return rc == PT_ERROR ? PT_ERROR : PT_OK;
    }

    /* default: the proxy_pass URL becomes the location ($proxy_host has
       the port when it is not 80). */
    u_char    buf[1024];
    pt_str_t  from = { 0, buf }, to;

    from.len = (size_t) (pt_snprintf(buf, buf + sizeof(buf), "%s%.*s%.*s",
                                     plcf->ssl_url ? "https://" : "http://",
                                     PT_STR_ARG(plcf->host),
                                     PT_STR_ARG(plcf->uri))
                         - buf);

    if (plcf->has_uri) {
        to = plcf->location;
    } else {
        pt_str_set(&to, "/");
        if (from.len < sizeof(buf)) {
            buf[from.len++] = '/';
        }
    }

    rc = proxy_replace_prefix(r, &h->value, &from, &to, at);
    return rc == PT_ERROR ? PT_ERROR : PT_OK;
}


static int
proxy_special_header(proxy_ctx_t *ctx, pt_table_elt_t *h, const pt_str_t *lc)
{
    pt_http_request_t  *r = ctx->r;

    if (pt_str_caseeq_lit(lc, "content-length")) {
        off_t  n;

        if (r->headers_out.content_length_n != -1
            || pt_http_parse_content_length(h->value.data, h->value.len, &n)
               != PT_OK)
        {
            return PT_DECLINED;
        }
        r->headers_out.content_length_n = n;
        ctx->rest = n;
        return PT_DONE;
    }

    if (pt_str_caseeq_lit(lc, "transfer-encoding")) {
        if (pt_http_parse_transfer_encoding(h->value.data, h->value.len)
            != PT_OK)
        {
            return PT_DECLINED;
        }
        ctx->chunked = 1;
        return PT_DONE;
    }

    if (pt_str_caseeq_lit(lc, "connection")) {
        if (pt_strnstr(h->value.data, h->value.data + h->value.len, "close")) {
            ctx->upstream_keepalive = 0;
        }
        return proxy_connection_options(r->pool, &h->value,
                                        &ctx->connection_options) == PT_OK
               ? PT_DONE : PT_ERROR;
    }

    if (pt_str_caseeq_lit(lc, "content-type")) {
        r->headers_out.content_type = h->value;
        r->headers_out.content_type_len = h->value.len;
        return PT_DONE;
    }

    if (pt_str_caseeq_lit(lc, "location") || pt_str_caseeq_lit(lc, "refresh")) {
        if (proxy_rewrite_location(ctx, h, lc->data[0] == 'r') != PT_OK) {
            return PT_ERROR;
        }
        if (lc->data[0] == 'l') {
            r->headers_out.location = h;
        }
    }

    return PT_OK;
}


static int
proxy_add_response_header(proxy_ctx_t *ctx, pt_http_parse_t *p, u_char *base)
{
    pt_http_request_t  *r = ctx->r;
    proxy_loc_conf_t   *plcf = ctx->plcf;
    pt_str_t            name = { p->header_name_end - p->header_name_start,
                                 base + p->header_name_start };
    pt_str_t            value = { p->header_end - p->header_start,
                                  base + p->header_start };
    pt_str_t            lc;

    lc.len = name.len;
    lc.data = pt_pnalloc(r->pool, name.len);
    if (lc.data == NULL) {
        return PT_ERROR;
    }
    pt_strlow(lc.data, name.data, name.len);

    pt_table_elt_t  *h = pt_pcalloc(r->pool, sizeof(pt_table_elt_t));

    if (h == NULL) {
        return PT_ERROR;
    }

    h->key = name;
    h->value = value;
    h->lowcase_key = lc.data;

    int  rc = proxy_special_header(ctx, h, &lc);

    if (rc != PT_OK) {
        return rc == PT_DONE ? PT_OK : rc;
    }

    value = h->value;      /* Location and Refresh may have been rewritten */

    /* A 101 keeps the protocol it switches to (websocket tunnels). */
    bool  upgrade = ctx->status.code == 101 && lc.len == 7
                    && memcmp(lc.data, "upgrade", 7) == 0;

    if ((proxy_name_in(&lc, proxy_hop_by_hop) && !upgrade)
        || proxy_name_in_array(&lc, plcf->hide_headers)
        || (proxy_name_in(&lc, proxy_hidden_default)
            && !proxy_name_in_array(&lc, plcf->pass_headers)))
    {
        return PT_OK;
    }

    pt_table_elt_t  *added = pt_http_add_header_out(r, &name, &value);

    if (added == NULL) {
        return PT_ERROR;
    }

    /* Passed with proxy_pass_header: they replace our own. */
    if (lc.len == 6 && memcmp(lc.data, "server", 6) == 0) {
        r->headers_out.server = added;
    } else if (lc.len == 4 && memcmp(lc.data, "date", 4) == 0) {
        r->headers_out.date = added;
    } else if (lc.len == 4 && memcmp(lc.data, "etag", 4) == 0) {
        r->headers_out.etag = added;
    } else if (lc.len == 8 && memcmp(lc.data, "location", 8) == 0) {
        r->headers_out.location = added;
    } else if (lc.len == 16 && memcmp(lc.data, "content-encoding", 16) == 0) {
        r->headers_out.content_encoding = added;
    } else if (lc.len == 7 && memcmp(lc.data, "expires", 7) == 0) {
        r->headers_out.expires = added;
    } else if (lc.len == 13 && memcmp(lc.data, "cache-control", 13) == 0) {
        r->headers_out.cache_control = added;
    } else if (lc.len == 13 && memcmp(lc.data, "accept-ranges", 13) == 0) {
        /* As nginx without proxy_force_ranges: ranges if the backend has. */
        r->headers_out.accept_ranges = added;
        r->allow_ranges = pt_strnstr(value.data, value.data + value.len,
                                     "bytes") != NULL;
    } else if (lc.len == 13 && memcmp(lc.data, "last-modified", 13) == 0) {
        r->headers_out.last_modified = added;
        r->headers_out.last_modified_time = pt_parse_http_time(value.data,
                                                               value.len);
    }

    return PT_OK;
}


/*
 * The backend's Connection named these headers, wherever they came in its
 * head: they were for the hop to us (RFC 9110 7.6.1).  Its framing and
 * Content-Type, kept apart from the list, stay.
 */
static void
proxy_drop_connection_options(proxy_ctx_t *ctx)
{
    pt_http_headers_out_t  *ho = &ctx->r->headers_out;
    pt_table_elt_t        **known[] = {
        &ho->server, &ho->date, &ho->content_encoding, &ho->location,
        &ho->refresh, &ho->last_modified, &ho->accept_ranges, &ho->expires,
        &ho->etag, &ho->cache_control, &ho->www_authenticate,
    };

    for (pt_table_elt_t *h = ho->headers.first;
         h && ctx->connection_options; h = h->next)
    {
        const pt_str_t  *o = ctx->connection_options->elts;
        size_t           i;

        for (i = 0; i < ctx->connection_options->nelts; i++) {
            if (o[i].len == h->key.len
                && pt_strncasecmp(o[i].data, h->key.data, h->key.len) == 0)
            {
                break;
            }
        }

        if (h->hash == 0 || i == ctx->connection_options->nelts) {
            continue;
        }

        if (h == ho->last_modified) {
            ho->last_modified_time = -1;
        } else if (h == ho->accept_ranges) {
            ctx->r->allow_ranges = 0;
        }

        h->hash = 0;
        for (i = 0; i < pt_nelts(known); i++) {
            *known[i] = *known[i] == h ? NULL : *known[i];
        }
    }
}


int
pt_http_proxy_process_header(proxy_ctx_t *ctx)
{
    pt_http_request_t  *r = ctx->r;
    pt_buf_t           *b = ctx->header_in;
    pt_http_parse_t     p = { 0 };
    unsigned            code = ctx->status.code;

    r->headers_out.status = code;
    ctx->connection_options = NULL;     /* another try: another head */

    if (ctx->status.reason_end > ctx->status.reason_start) {
        /* Keep the backend's reason phrase, as nginx does. */
        r->headers_out.status_line.data = b->pos + 9;
        r->headers_out.status_line.len = ctx->status.reason_end - 9;
    }

    ctx->upstream_keepalive = ctx->status.http_minor == 1;
    p.pos = ctx->status.line_end;

    for ( ;; ) {
        int  rc = pt_http_parse_header_line(&p, b->pos, (size_t) (b->last - b->pos));

        if (rc == PT_DONE) {
            break;
        }

        if (rc != PT_OK) {
            return PT_DECLINED;
        }

        rc = proxy_add_response_header(ctx, &p, b->pos);
        if (rc != PT_OK) {
            return rc;
        }
    }

    if (ctx->chunked && r->headers_out.content_length_n != -1) {
        return PT_DECLINED;      /* both framings: a smuggling attempt */
    }

    proxy_drop_connection_options(ctx);

    /* What is left in the buffer is the start of the body. */
    b->pos += p.pos;

    if (code == 101) {
        /* Only a client that asked may be switched. */
        if (r->headers_in.upgrade == NULL) {
            return PT_DECLINED;
        }
        r->upgrade = 1;
        r->keepalive = 0;
    }

    ctx->no_body = (r->method == PT_HTTP_HEAD && !ctx->head_as_get)
                   || code == 204 || code == 304 || code < 200;

    if (!ctx->chunked && ctx->rest == -1 && !ctx->no_body) {
        ctx->upstream_keepalive = 0;     /* the body ends at EOF */
    }

    if (ctx->chunked || ctx->no_body) {
        if (ctx->no_body && r->method != PT_HTTP_HEAD) {
            r->headers_out.content_length_n = code == 304 ? -1 : 0;
        }
        ctx->rest = -1;
    }

    return PT_OK;
}


void
pt_http_proxy_reset_headers_out(pt_http_request_t *r)
{
    memset(&r->headers_out, 0, sizeof(r->headers_out));
    r->headers_out.content_length_n = -1;
    r->headers_out.last_modified_time = -1;
}
