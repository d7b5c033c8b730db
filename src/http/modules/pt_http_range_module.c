/* SPDX-License-Identifier: BSD-2-Clause */
/* Byte ranges: 206 single and multipart responses, 416, Accept-Ranges. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_range_parse.h"

/*
 * Directives:
 *
 *   max_ranges number;
 *       default: none (unlimited);   context: http, server, location
 *       A Range header with more ranges is ignored (the whole response is
 *       sent); 0 disables byte ranges altogether (and Accept-Ranges).
 *
 * Header filter (stage PT_FILTER_RANGE): for 200 responses to HTTP/1.0+
 * requests with r->allow_ranges set and a known Content-Length.  When the
 * request has "Range: bytes=..." and its If-Range (if any) holds (an
 * HTTP date equal to Last-Modified, or an ETag equal to the strong ETag):
 *   - one range:   206, Content-Range: bytes a-b/size, Content-Length;
 *   - several:     206, multipart/byteranges; boundary=<20 digits>, each
 *                  part with Content-Type and Content-Range, the exact
 *                  Content-Length computed up front;
 *   - none satisfiable: the filter returns 416 (see the contract in
 *     pt_http_not_modified_module.c) with Content-Range: bytes * /size
 *     (without the blank) left in the headers for the error response;
 *   - ranges that overlap past the size, more than max_ranges: ignored.
 * Responses it does not range get "Accept-Ranges: bytes".
 *
 * Body filter: trims the body to the range.  One range works over any
 * chain of memory and file buffers (trimming each as it passes); several
 * ranges need the body's first data buffer to hold all of them (the
 * static module sends the whole file as one buffer), else the request
 * fails with "range in overlapped buffers", as in nginx.
 *
 * Deviation: per-part Content-Type lacks a "; charset=" that the charset
 * filter (a later stage here, an earlier one in nginx) would have added.
 */

typedef struct {
    int  max_ranges;
} range_loc_conf_t;

typedef struct {
    off_t             offset;            /* body bytes seen so far */
    pt_http_range_t  *ranges;
    size_t            nranges;
    pt_str_t          boundary_header;   /* each part's head, up to "bytes " */
    pt_str_t          boundary_end;      /* the closing delimiter */
    unsigned          done:1;            /* last_buf sent */
    unsigned          unsatisfied:1;     /* 416; offset holds the size */
} range_ctx_t;


static int range_init(pt_conf_t *cf);


static const pt_command_t  range_commands[] = {
    { .name = "max_ranges", .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_num,
      .field = PT_LOC_FIELD(range_loc_conf_t, max_ranges),
      .def.i = INT_MAX, .min = 0, .max = INT_MAX },
    PT_COMMAND_END
};

static const pt_http_module_t  range_module_ctx = {
    .postconfiguration = range_init,
    .loc_conf_size = sizeof(range_loc_conf_t),
};

pt_module_t  pt_http_range_filter_module = {
    .name = "pt_http_range_filter_module",
    .type = PT_HTTP_MODULE,
    .commands = range_commands,
    .ctx = &range_module_ctx,
};


/* A per-process boundary sequence, seeded so processes differ. */
static uint64_t
range_next_boundary(void)
{
    static uint64_t  boundary;

    if (boundary == 0) {
        boundary = ((uint64_t) getpid() << 32)
                   ^ (uint64_t) time(NULL) ^ (uint64_t) pt_current_msec;
        boundary %= 10000000000ULL;
    }

    return ++boundary;
}


/* Adds a response header named name (a literal); NULL on failure. */
static pt_table_elt_t *
range_add_header(pt_http_request_t *r, const char *name, u_char *value,
    size_t len)
{
    pt_str_t  key, v;

    key.data = (u_char *) name;
    key.len = strlen(name);
    v.data = value;
    v.len = len;

    return pt_http_add_header_out(r, &key, &v);
}


/* True when If-Range allows ranging this response. */
static bool
range_if_range_ok(pt_http_request_t *r)
{
    time_t     t;
    pt_str_t  *v, *etag;

    v = &r->headers_in.if_range->value;

    if (v->len >= 2 && v->data[v->len - 1] == '"') {
        if (r->headers_out.etag == NULL || r->headers_out.etag->hash == 0) {
            return false;
        }

        etag = &r->headers_out.etag->value;

        /* strong comparison: a weak validator never matches */
        return etag->len == v->len
               && !(etag->len > 2 && etag->data[0] == 'W'
                    && etag->data[1] == '/')
               && memcmp(etag->data, v->data, v->len) == 0;
    }

    if (r->headers_out.last_modified_time == (time_t) -1) {
        return false;
    }

    t = pt_parse_http_time(v->data, v->len);

    return t != (time_t) -1 && t == r->headers_out.last_modified_time;
}


/* Drops the Content-Length header line; content_length_n is set anew. */
static void
range_drop_content_length(pt_http_request_t *r)
{
    if (r->headers_out.content_length != NULL) {
        r->headers_out.content_length->hash = 0;
        r->headers_out.content_length = NULL;
    }
}


static int
range_singlepart_header(pt_http_request_t *r, const pt_http_filter_t *f,
    range_ctx_t *ctx)
{
    u_char           *p, *last;
    size_t            len;
    pt_table_elt_t   *h;
    pt_http_range_t  *range;

    range = &ctx->ranges[0];

    len = sizeof("bytes -/") - 1 + 3 * PT_OFF_T_LEN;

    p = pt_pnalloc(r->pool, len);
    if (p == NULL) {
        return PT_ERROR;
    }

    last = pt_snprintf(p, p + len, "bytes %lld-%lld/%lld",
                       (long long) range->start, (long long) range->end - 1,
                       (long long) r->headers_out.content_length_n);

    h = range_add_header(r, "Content-Range", p, last - p);
    if (h == NULL) {
        return PT_ERROR;
    }

    r->headers_out.content_range = h;

    range_drop_content_length(r);

    r->headers_out.content_length_n = range->end - range->start;
    r->headers_out.content_offset = range->start;

    return pt_http_next_header(r, f);
}


static int
range_multipart_header(pt_http_request_t *r, const pt_http_filter_t *f,
    range_ctx_t *ctx)
{
    size_t            i, len;
    u_char           *p, *last;
    off_t             size, total;
    uint64_t          boundary;
    pt_str_t         *type, *charset;
    pt_http_range_t  *range;

    boundary = range_next_boundary();
    type = &r->headers_out.content_type;
    charset = &r->headers_out.charset;
    size = r->headers_out.content_length_n;

    /* "\r\n--B\r\nContent-Type: T; charset=C\r\nContent-Range: bytes " */

    len = sizeof("\r\n--\r\nContent-Type: ; charset=\r\nContent-Range: bytes ")
          + 20 + type->len + charset->len;

    p = pt_pnalloc(r->pool, len);
    if (p == NULL) {
        return PT_ERROR;
    }

    ctx->boundary_header.data = p;

    last = pt_snprintf(p, p + len, "\r\n--%020llu\r\n",
                       (unsigned long long) boundary);

    if (type->len) {
        last = pt_snprintf(last, p + len, "Content-Type: %.*s",
                           PT_STR_ARG(*type));

        if (charset->len) {
            last = pt_snprintf(last, p + len, "; charset=%.*s",
                               PT_STR_ARG(*charset));
        }

        last = pt_cpymem(last, "\r\n", 2);
    }

    last = pt_cpymem(last, "Content-Range: bytes ",
                     sizeof("Content-Range: bytes ") - 1);

    ctx->boundary_header.len = last - p;

    /* the closing delimiter */

    len = sizeof("\r\n----\r\n") - 1 + 20;

    p = pt_pnalloc(r->pool, len);
    if (p == NULL) {
        return PT_ERROR;
    }

    ctx->boundary_end.data = p;
    ctx->boundary_end.len = pt_snprintf(p, p + len, "\r\n--%020llu--\r\n",
                                        (unsigned long long) boundary) - p;

    /* the response's own Content-Type */

    len = sizeof("multipart/byteranges; boundary=") - 1 + 20;

    p = pt_pnalloc(r->pool, len);
    if (p == NULL) {
        return PT_ERROR;
    }

    r->headers_out.content_type.data = p;
    r->headers_out.content_type.len =
        pt_snprintf(p, p + len, "multipart/byteranges; boundary=%020llu",
                    (unsigned long long) boundary) - p;
    r->headers_out.content_type_len = sizeof("multipart/byteranges") - 1;
    r->headers_out.charset.len = 0;

    /* each part's "a-b/size\r\n\r\n", and the exact length of it all */

    total = ctx->boundary_end.len;

    for (i = 0; i < ctx->nranges; i++) {
        range = &ctx->ranges[i];

        len = sizeof("-/\r\n\r\n") - 1 + 3 * PT_OFF_T_LEN;

        p = pt_pnalloc(r->pool, len);
        if (p == NULL) {
            return PT_ERROR;
        }

        range->content_range.data = p;
        range->content_range.len =
            pt_snprintf(p, p + len, "%lld-%lld/%lld\r\n\r\n",
                        (long long) range->start, (long long) range->end - 1,
                        (long long) size) - p;

        total += ctx->boundary_header.len + range->content_range.len
                 + (range->end - range->start);
    }

    range_drop_content_length(r);

    r->headers_out.content_length_n = total;

    return pt_http_next_header(r, f);
}


/* Adds "Content-Range: bytes * /size" (no blank) for a 416. */
static int
range_add_unsatisfied(pt_http_request_t *r, off_t size)
{
    u_char          *p, *last;
    size_t           len;
    pt_table_elt_t  *h;

    len = sizeof("bytes */") - 1 + PT_OFF_T_LEN;

    p = pt_pnalloc(r->pool, len);
    if (p == NULL) {
        return PT_ERROR;
    }

    last = pt_snprintf(p, p + len, "bytes */%lld", (long long) size);

    h = range_add_header(r, "Content-Range", p, last - p);
    if (h == NULL) {
        return PT_ERROR;
    }

    r->headers_out.content_range = h;

    return PT_OK;
}


/*
 * No range is satisfiable: returns 416 for the content handler to
 * finalize with.  The error page is built by the special response
 * handler, which starts from clean headers and passes the filters again;
 * the ctx left here makes range_header_filter() add Content-Range to it.
 */
static int
range_not_satisfiable(pt_http_request_t *r)
{
    range_ctx_t  *ctx;

    ctx = pt_pcalloc(r->pool, sizeof(range_ctx_t));
    if (ctx == NULL) {
        return PT_ERROR;
    }

    ctx->unsatisfied = 1;
    ctx->offset = r->headers_out.content_length_n;

    pt_http_set_ctx(r, ctx, pt_http_range_filter_module);

    if (range_add_unsatisfied(r, ctx->offset) != PT_OK) {
        return PT_ERROR;
    }

    r->headers_out.status = PT_HTTP_RANGE_NOT_SATISFIABLE;

    pt_http_clear_content_length(r);

    return PT_HTTP_RANGE_NOT_SATISFIABLE;
}


static int
range_header_filter(pt_http_request_t *r, const pt_http_filter_t *f)
{
    int                rc;
    size_t             n, nalloc, max;
    pt_str_t          *v;
    range_ctx_t       *ctx;
    pt_table_elt_t    *h;
    pt_http_range_t   *ranges;
    range_loc_conf_t  *rlcf;

    static u_char  bytes[] = "bytes";

    ctx = pt_http_get_module_ctx(r, pt_http_range_filter_module);

    if (ctx != NULL && ctx->unsatisfied
        && r->headers_out.status == PT_HTTP_RANGE_NOT_SATISFIABLE)
    {
        /* the 416 error page: its headers were rebuilt from scratch */
        if (r->headers_out.content_range == NULL
            && range_add_unsatisfied(r, ctx->offset) != PT_OK)
        {
            return PT_ERROR;
        }

        return pt_http_next_header(r, f);
    }

    if (r->http_version < PT_HTTP_VERSION_10
        || r->headers_out.status != PT_HTTP_OK
        || r->headers_out.content_length_n < 0
        || !r->allow_ranges)
    {
        return pt_http_next_header(r, f);
    }

    rlcf = pt_http_get_module_loc_conf(r, pt_http_range_filter_module);

    if (rlcf->max_ranges == 0) {
        return pt_http_next_header(r, f);
    }

    if (r->headers_in.range == NULL) {
        goto next_filter;
    }

    v = &r->headers_in.range->value;

    if (v->len < 7 || pt_strncasecmp(v->data, (u_char *) "bytes=", 6) != 0) {
        goto next_filter;
    }

    if (r->headers_in.if_range != NULL && !range_if_range_ok(r)) {
        goto next_filter;
    }

    nalloc = pt_http_range_count(v->data, v->len);
    max = r->single_range ? 1 : (size_t) rlcf->max_ranges;

    if (nalloc > max + 1) {
        /* more than max_ranges cannot parse to PT_OK: spare the memory */
        nalloc = max + 1;
    }

    ranges = pt_pnalloc(r->pool, nalloc * sizeof(pt_http_range_t));
    if (ranges == NULL) {
        return PT_ERROR;
    }

    rc = pt_http_range_parse(v->data, v->len, r->headers_out.content_length_n,
                             max, ranges, nalloc, &n);

    switch (rc) {

    case PT_OK:
        ctx = pt_pcalloc(r->pool, sizeof(range_ctx_t));
        if (ctx == NULL) {
            return PT_ERROR;
        }

        ctx->offset = r->headers_out.content_offset;
        ctx->ranges = ranges;
        ctx->nranges = n;

        pt_http_set_ctx(r, ctx, pt_http_range_filter_module);

        r->headers_out.status = PT_HTTP_PARTIAL_CONTENT;
        r->headers_out.status_line.len = 0;

        if (n == 1) {
            return range_singlepart_header(r, f, ctx);
        }

        return range_multipart_header(r, f, ctx);

    case PT_HTTP_RANGE_UNSATISFIABLE:
        return range_not_satisfiable(r);

    default:  /* PT_DECLINED */
        break;
    }

next_filter:

    if (r->headers_out.accept_ranges == NULL) {
        h = range_add_header(r, "Accept-Ranges", bytes, sizeof(bytes) - 1);
        if (h == NULL) {
            return PT_ERROR;
        }

        r->headers_out.accept_ranges = h;
    }

    return pt_http_next_header(r, f);
}


/*
 * Marks b as sent: bytes outside the range are dropped, and the producer
 * (a proxy relay reusing its buffers) must see them taken or it waits.
 */
static void
range_drop(pt_buf_t *b)
{
    b->pos = b->last;
    b->file_pos = b->file_last;
}


/* Trims the body to the one range, over any chain of buffers. */
static int
range_singlepart_body(pt_http_request_t *r, const pt_http_filter_t *f,
    range_ctx_t *ctx, pt_chain_t *in)
{
    off_t             start, last, d;
    pt_buf_t         *b;
    pt_chain_t       *out, **ll, *cl, *ln;
    pt_http_range_t  *range;

    range = &ctx->ranges[0];
    out = NULL;
    ll = &out;

    for (cl = in; cl != NULL; cl = cl->next) {
        b = cl->buf;

        if (pt_buf_special(b)) {
            /* flush / sync / a bare last_buf: pass the signal on */
            if (b->last_buf) {
                ctx->done = 1;
            }

            goto link;
        }

        start = ctx->offset;
        last = start + pt_buf_size(b);
        ctx->offset = last;

        if (range->end <= start || range->start >= last) {
            range_drop(b);
            continue;
        }

        if (range->start > start) {
            d = range->start - start;

            if (pt_buf_in_memory(b)) {
                b->pos += d;
            }

            if (b->in_file) {
                b->file_pos += d;
            }
        }

        if (range->end <= last) {
            d = last - range->end;

            if (pt_buf_in_memory(b)) {
                b->last -= d;
            }

            if (b->in_file) {
                b->file_last -= d;
            }

            b->last_buf = 1;
            b->last_in_chain = 1;
            ctx->done = 1;
        }

    link:

        ln = pt_alloc_chain_link(r->pool);
        if (ln == NULL) {
            return PT_ERROR;
        }

        ln->buf = b;
        *ll = ln;
        ll = &ln->next;

        if (ctx->done) {
            for (cl = cl->next; cl; cl = cl->next) {
                range_drop(cl->buf);
            }
            break;
        }
    }

    *ll = NULL;

    if (out == NULL) {
        return PT_OK;
    }

    return pt_http_next_body(r, f, out);
}


/* Appends a link for b to *ll; the new tail, or NULL on failure. */
static pt_chain_t **
range_append(pt_http_request_t *r, pt_chain_t **ll, pt_buf_t *b)
{
    pt_chain_t  *cl;

    cl = pt_alloc_chain_link(r->pool);
    if (cl == NULL) {
        return NULL;
    }

    cl->buf = b;
    cl->next = NULL;
    *ll = cl;

    return &cl->next;
}


/* A read-only memory buffer over s; NULL on failure. */
static pt_buf_t *
range_memory_buf(pt_http_request_t *r, const pt_str_t *s)
{
    pt_buf_t  *b;

    b = pt_calloc_buf(r->pool);
    if (b == NULL) {
        return NULL;
    }

    b->memory = 1;
    b->start = s->data;
    b->pos = s->data;
    b->last = s->data + s->len;
    b->end = b->last;
    b->tag = &pt_http_range_filter_module;

    return b;
}


/* Builds every part from the first data buffer, which must hold them all. */
static int
range_multipart_body(pt_http_request_t *r, const pt_http_filter_t *f,
    range_ctx_t *ctx, pt_chain_t *in)
{
    off_t             start, last;
    size_t            i;
    pt_buf_t         *src, *b;
    pt_chain_t       *out, **ll;
    pt_http_range_t  *range;

    src = in->buf;
    start = ctx->offset;
    last = start + pt_buf_size(src);

    for (i = 0; i < ctx->nranges; i++) {
        range = &ctx->ranges[i];

        if (range->start < start || range->end > last) {
            pt_log_error(PT_LOG_ERR, r->connection->log, 0,
                         "range in overlapped buffers");
            return PT_ERROR;
        }
    }

    out = NULL;
    ll = &out;

    for (i = 0; i < ctx->nranges; i++) {
        range = &ctx->ranges[i];

        b = range_memory_buf(r, &ctx->boundary_header);
        if (b == NULL || (ll = range_append(r, ll, b)) == NULL) {
            return PT_ERROR;
        }

        b = range_memory_buf(r, &range->content_range);
        if (b == NULL || (ll = range_append(r, ll, b)) == NULL) {
            return PT_ERROR;
        }

        b = pt_calloc_buf(r->pool);
        if (b == NULL) {
            return PT_ERROR;
        }

        *b = *src;
        b->temporary = 0;
        b->memory = pt_buf_in_memory(src) ? 1 : 0;
        b->flush = 0;
        b->last_buf = 0;
        b->last_in_chain = 0;
        b->sync = 0;
        b->tag = &pt_http_range_filter_module;

        if (pt_buf_in_memory(src)) {
            b->pos = src->pos + (range->start - start);
            b->last = src->pos + (range->end - start);
        }

        if (src->in_file) {
            b->file_pos = src->file_pos + (range->start - start);
            b->file_last = src->file_pos + (range->end - start);
        }

        if ((ll = range_append(r, ll, b)) == NULL) {
            return PT_ERROR;
        }
    }

    b = range_memory_buf(r, &ctx->boundary_end);
    if (b == NULL || range_append(r, ll, b) == NULL) {
        return PT_ERROR;
    }

    b->last_buf = 1;
    b->last_in_chain = 1;

    ctx->offset = last;
    ctx->done = 1;

    return pt_http_next_body(r, f, out);
}


static int
range_body_filter(pt_http_request_t *r, const pt_http_filter_t *f,
    pt_chain_t *in)
{
    range_ctx_t  *ctx;

    ctx = pt_http_get_module_ctx(r, pt_http_range_filter_module);

    if (ctx == NULL || in == NULL || ctx->unsatisfied) {
        return pt_http_next_body(r, f, in);
    }

    if (ctx->done) {
        /* the ranged body is complete: what follows is outside it */
        for (pt_chain_t *cl = in; cl; cl = cl->next) {
            range_drop(cl->buf);
        }
        return PT_OK;
    }

    if (ctx->nranges == 1) {
        return range_singlepart_body(r, f, ctx, in);
    }

    if (pt_buf_special(in->buf)) {
        return pt_http_next_body(r, f, in);
    }

    return range_multipart_body(r, f, ctx, in);
}


static int
range_init(pt_conf_t *cf)
{
    return pt_http_filter_add(cf, &(pt_http_filter_t) {
        .name = "range",
        .stage = PT_FILTER_RANGE,
        .header = range_header_filter,
        .body = range_body_filter,
    });
}
