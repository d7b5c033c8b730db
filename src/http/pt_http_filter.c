/* SPDX-License-Identifier: BSD-2-Clause */
/* The filter chain, and its last stages: chunked framing and the writer. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_internal.h"
#include "pt_process.h"

#include <netinet/tcp.h>

static int filter_postconfiguration(pt_conf_t *cf);

static const pt_http_module_t  filter_module_ctx = {
    .postconfiguration = filter_postconfiguration,
};

pt_module_t  pt_http_write_filter_module = {
    .name = "pt_http_write_filter_module",
    .type = PT_HTTP_MODULE,
    .ctx = &filter_module_ctx,
};

/* The chain, built once per configuration, in stage order. */
static pt_http_filter_t  *filter_chain;
static size_t             filter_n;


int
pt_http_filter_add(pt_conf_t *cf, const pt_http_filter_t *f)
{
    pt_http_core_main_conf_t  *cmcf = pt_http_conf_get_module_main_conf(cf,
                                                         pt_http_core_module);
    pt_http_filter_t          *slot = pt_array_push(&cmcf->filters);

    if (slot == NULL) {
        return PT_ERROR;
    }

    *slot = *f;
    return PT_OK;
}


int
pt_http_filter_init(pt_conf_t *cf)
{
    pt_http_core_main_conf_t  *cmcf = pt_http_conf_get_module_main_conf(cf,
                                                         pt_http_core_module);
    pt_http_filter_t          *all = cmcf->filters.elts;
    size_t                     n = cmcf->filters.nelts, k = 0;

    filter_chain = pt_palloc(cf->pool, (n + 1) * sizeof(pt_http_filter_t));
    if (filter_chain == NULL) {
        return PT_ERROR;
    }

    /* A stable ordering by stage: registration order within a stage. */
    for (int stage = 0; stage < PT_FILTER_NSTAGES; stage++) {
        for (size_t i = 0; i < n; i++) {
            if ((int) all[i].stage == stage) {
                filter_chain[k] = all[i];
                filter_chain[k].index = (unsigned) k;
                k++;
            }
        }
    }

    filter_n = k;
    return PT_OK;
}


int
pt_http_next_header(pt_http_request_t *r, const pt_http_filter_t *f)
{
    for (size_t i = f ? f->index + 1 : 0; i < filter_n; i++) {
        if (filter_chain[i].header) {
            return filter_chain[i].header(r, &filter_chain[i]);
        }
    }

    return PT_OK;
}


int
pt_http_next_body(pt_http_request_t *r, const pt_http_filter_t *f,
    pt_chain_t *in)
{
    for (size_t i = f ? f->index + 1 : 0; i < filter_n; i++) {
        if (filter_chain[i].body) {
            return filter_chain[i].body(r, &filter_chain[i], in);
        }
    }

    return PT_OK;
}


int
pt_http_send_header(pt_http_request_t *r)
{
    if (r->header_sent) {
        pt_log_error(PT_LOG_ALERT, r->connection->log, 0, "header already "
                     "sent");
        return PT_ERROR;
    }

    if (r->err_status) {
        r->headers_out.status = r->err_status;
    }

    /* Once a response starts, a write event must not rerun the phases. */
    if (r->write_event_handler == pt_http_core_run_phases) {
        r->write_event_handler = pt_http_request_empty_handler;
    }

    return pt_http_next_header(r, NULL);
}


int
pt_http_output_filter(pt_http_request_t *r, pt_chain_t *in)
{
    int  rc = pt_http_next_body(r, NULL, in);

    if (rc == PT_ERROR) {
        r->connection->error = 1;
    }

    return rc;
}


/* The header writer. */

static size_t
filter_header_len(pt_http_request_t *r)
{
    size_t  len = sizeof("HTTP/1.1 999 \r\nServer: \r\nDate: \r\n\r\n") + 64
                  + sizeof(PORTICO_VER) + pt_cached_http_time.len
                  + r->headers_out.status_line.len;

    len += r->headers_out.content_type.len + r->headers_out.charset.len + 40;
    len += PT_OFF_T_LEN + 40;            /* Content-Length */
    len += 64;                           /* Last-Modified */
    len += 128;                          /* Connection, Keep-Alive, TE */

    for (pt_table_elt_t *h = r->headers_out.headers.first; h; h = h->next) {
        if (h->hash) {
            len += h->key.len + h->value.len + 4;
        }
    }

    return len;
}


/*
 * The head is written with plain copies: formatting through printf was a
 * third of the instructions of a small static response (callgrind).  The
 * buffer comes from filter_header_len(), so no bound is checked here.
 */
#define filter_lit(p, s)   pt_cpymem(p, s, sizeof(s) - 1)
#define filter_str(p, s)   pt_cpymem(p, (s).data, (s).len)


static u_char *
filter_uint(u_char *p, uint64_t n)
{
    u_char  tmp[20];
    size_t  i = sizeof(tmp);

    do {
        tmp[--i] = (u_char) ('0' + n % 10);
        n /= 10;
    } while (n);

    return pt_cpymem(p, tmp + i, sizeof(tmp) - i);
}


static u_char *
filter_status_line(pt_http_request_t *r, u_char *p)
{
    unsigned     status = r->headers_out.status;
    size_t       tlen = 0;
    const char  *text;

    p = filter_lit(p, "HTTP/1.1 ");

    if (r->headers_out.status_line.len) {
        p = filter_str(p, r->headers_out.status_line);
        return filter_lit(p, "\r\n");
    }

    *p++ = (u_char) ('0' + status / 100 % 10);
    *p++ = (u_char) ('0' + status / 10 % 10);
    *p++ = (u_char) ('0' + status % 10);
    *p++ = ' ';

    text = pt_http_status_text(status, &tlen);
    if (text) {
        p = pt_cpymem(p, text, tlen);
    }

    return filter_lit(p, "\r\n");
}


static u_char *
filter_fixed_headers(pt_http_request_t *r, u_char *p)
{
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);
    pt_http_headers_out_t    *ho = &r->headers_out;

    if (ho->server == NULL) {
        p = clcf->server_tokens ? filter_lit(p, "Server: " PORTICO_VER "\r\n")
                                : filter_lit(p, "Server: portico\r\n");
    }

    if (ho->date == NULL) {
        p = filter_lit(p, "Date: ");
        p = filter_str(p, pt_cached_http_time);
        p = filter_lit(p, "\r\n");
    }

    if (ho->content_type.len) {
        p = filter_lit(p, "Content-Type: ");
        p = filter_str(p, ho->content_type);
        if (ho->charset.len) {
            p = filter_lit(p, "; charset=");
            p = filter_str(p, ho->charset);
        }
        p = filter_lit(p, "\r\n");
    }

    /* Never on a 1xx or a 204 (RFC 9110 8.6), whatever a backend said. */
    if (ho->content_length == NULL && ho->content_length_n >= 0
        && ho->status >= PT_HTTP_OK && ho->status != PT_HTTP_NO_CONTENT)
    {
        p = filter_lit(p, "Content-Length: ");
        p = filter_uint(p, (uint64_t) ho->content_length_n);
        p = filter_lit(p, "\r\n");
    }

    if (ho->last_modified == NULL && ho->last_modified_time != -1) {
        p = filter_lit(p, "Last-Modified: ");
        p = pt_http_time(p, ho->last_modified_time);
        p = filter_lit(p, "\r\n");
    }

    return p;
}


static u_char *
filter_connection_headers(pt_http_request_t *r, u_char *p)
{
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);

    if (r->chunked) {
        p = filter_lit(p, "Transfer-Encoding: chunked\r\n");
    }

    if (r->upgrade) {
        return filter_lit(p, "Connection: upgrade\r\n");
    }

    if (r->keepalive) {
        p = filter_lit(p, "Connection: keep-alive\r\n");

        if (clcf->keepalive_header) {
            p = filter_lit(p, "Keep-Alive: timeout=");
            p = filter_uint(p, (uint64_t) clcf->keepalive_header);
            p = filter_lit(p, "\r\n");
        }
    } else if (r->http_version >= PT_HTTP_VERSION_10) {
        p = filter_lit(p, "Connection: close\r\n");
    }

    return p;
}


static int
filter_header_writer(pt_http_request_t *r, const pt_http_filter_t *f)
{
    pt_connection_t  *c = r->connection;
    pt_buf_t         *b;
    u_char           *p;

    r->header_sent = 1;

    if (r->method == PT_HTTP_HEAD
        || r->headers_out.status == PT_HTTP_NOT_MODIFIED
        || r->headers_out.status == PT_HTTP_NO_CONTENT)
    {
        r->header_only = 1;
    }

    /*
     * A retiring worker keeps a connection only if it can hand it over;
     * a TLS session cannot move, so its client is told to reconnect.
     */
    if (pt_exiting && (c->ssl || !pt_handoff_available())) {
        r->keepalive = 0;
    }

    if (c->requests >= (unsigned) ((pt_http_core_loc_conf_t *)
            pt_http_get_module_loc_conf(r, pt_http_core_module))
            ->keepalive_requests)
    {
        r->keepalive = 0;
    }

    pt_table_elt_t  *loc = r->headers_out.location;

    if (loc && loc->hash && pt_http_absolute_location(r, &loc->value) != PT_OK) {
        return PT_ERROR;
    }

    b = pt_create_temp_buf(r->pool, filter_header_len(r));
    if (b == NULL) {
        return PT_ERROR;
    }

    p = filter_status_line(r, b->last);
    p = filter_fixed_headers(r, p);
    p = filter_connection_headers(r, p);

    for (pt_table_elt_t *h = r->headers_out.headers.first; h; h = h->next) {
        if (h->hash) {
            p = filter_str(p, h->key);
            p = filter_lit(p, ": ");
            p = filter_str(p, h->value);
            p = filter_lit(p, "\r\n");
        }
    }

    p = filter_lit(p, "\r\n");
    b->last = p;
    r->header_size = p - b->pos;

    if (r->header_only) {
        b->last_buf = 1;
    }

    pt_chain_t  out = { b, NULL };

    return pt_http_write_filter(r, &out);
}


/* Chunked framing. */

static int
filter_chunked_header(pt_http_request_t *r, const pt_http_filter_t *f)
{
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);
    unsigned                  status = r->headers_out.status;

    if (status == PT_HTTP_NOT_MODIFIED || status == PT_HTTP_NO_CONTENT
        || status < PT_HTTP_OK || r->method == PT_HTTP_HEAD)
    {
        return pt_http_next_header(r, f);
    }

    if (r->headers_out.content_length_n == -1) {
        if (r->http_version >= PT_HTTP_VERSION_11
            && clcf->chunked_transfer_encoding)
        {
            r->chunked = 1;
        } else {
            /* The end of the body is the end of the connection. */
            r->keepalive = 0;
        }
    }

    return pt_http_next_header(r, f);
}


/*
 * Chunk framing bytes live in small buffers recycled once sent, so a long
 * streamed response does not grow the request pool with every chunk.
 */
static pt_buf_t *
filter_chunk_buf(pt_http_request_t *r, const char *fmt, unsigned long long n)
{
    pt_chain_t  **ll = &r->chunk_bufs, *cl = NULL;

    for ( ; *ll; ll = &(*ll)->next) {
        if ((*ll)->buf->pos == (*ll)->buf->last) {
            cl = *ll;
            break;
        }
    }

    if (cl == NULL) {
        cl = pt_alloc_chain_link(r->pool);
        if (cl == NULL || (cl->buf = pt_create_temp_buf(r->pool, 24)) == NULL) {
            return NULL;
        }
        cl->next = r->chunk_bufs;
        r->chunk_bufs = cl;
    }

    pt_buf_t  *b = cl->buf;

    b->pos = b->start;
    b->last = pt_snprintf(b->start, b->end, fmt, n);
    b->last_buf = 0;
    b->flush = 0;
    return b;
}


static int
filter_chunked_body(pt_http_request_t *r, const pt_http_filter_t *f,
    pt_chain_t *in)
{
    if (!r->chunked || in == NULL || r->header_only) {
        return pt_http_next_body(r, f, in);
    }

    /* The writer copies the links it keeps: ours can live on the stack. */
    pt_chain_t    links[66];
    size_t        n = 0;
    off_t         size = 0;
    bool          last = false;

    for (pt_chain_t *cl = in; cl; cl = cl->next) {
        size += pt_buf_special(cl->buf) ? 0 : pt_buf_size(cl->buf);
        last |= cl->buf->last_buf;
        n++;
    }

    if (n > 64) {
        /* More links than the stack holds: pass them in two calls. */
        pt_chain_t  *cl = in;

        for (size_t i = 1; i < 64; i++) {
            cl = cl->next;
        }

        pt_chain_t  *rest = cl->next;

        cl->next = NULL;
        int  rc = filter_chunked_body(r, f, in);
        cl->next = rest;
        return rc == PT_ERROR ? rc : filter_chunked_body(r, f, rest);
    }

    n = 0;

    if (size > 0) {
        links[n].buf = filter_chunk_buf(r, "%llx\r\n", (unsigned long long) size);
        if (links[n++].buf == NULL) {
            return PT_ERROR;
        }
    }

    for (pt_chain_t *cl = in; cl; cl = cl->next) {
        links[n++].buf = cl->buf;
    }

    const char  *tail = last ? (size ? "\r\n0\r\n\r\n" : "0\r\n\r\n")
                             : (size ? "\r\n" : NULL);

    if (tail) {
        pt_buf_t  *b = filter_chunk_buf(r, tail, 0);

        if (b == NULL) {
            return PT_ERROR;
        }
        b->last_buf = last;
        b->flush = 1;
        links[n++].buf = b;
    }

    for (size_t i = 0; i < n; i++) {
        links[i].next = i + 1 < n ? &links[i + 1] : NULL;
    }

    return pt_http_next_body(r, f, n ? links : NULL);
}


/* The writer: the end of every chain. */

static bool
filter_has_file(const pt_chain_t *cl)
{
    for ( ; cl; cl = cl->next) {
        if (cl->buf->in_file) {
            return true;
        }
    }

    return false;
}


static int
filter_write_body(pt_http_request_t *r, const pt_http_filter_t *f,
    pt_chain_t *in)
{
    return pt_http_write_filter(r, in);
}


int
pt_http_write_filter(pt_http_request_t *r, pt_chain_t *in)
{
    pt_connection_t          *c = r->connection;
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);
    pt_chain_t              **ll = &r->out;
    bool                      flush = false;
    off_t                     size = 0;

    if (c->error) {
        return PT_ERROR;
    }

    while (*ll) {
        size += pt_buf_size((*ll)->buf);
        flush |= (*ll)->buf->flush || (*ll)->buf->last_buf;
        ll = &(*ll)->next;
    }

    for (pt_chain_t *cl = in; cl; cl = cl->next) {
        if (r->free_links) {
            *ll = r->free_links;
            r->free_links = (*ll)->next;
        } else if ((*ll = pt_alloc_chain_link(r->pool)) == NULL) {
            return PT_ERROR;
        }
        (*ll)->buf = cl->buf;
        (*ll)->next = NULL;
        ll = &(*ll)->next;
        size += pt_buf_special(cl->buf) ? 0 : pt_buf_size(cl->buf);
        flush |= cl->buf->flush || cl->buf->last_buf;
    }

    /* Small pieces wait for more so the head and body share a packet. */
    if (!flush && size < 1460) {
        return r->out ? PT_AGAIN : PT_OK;
    }

    if (!c->write->ready) {
        return PT_AGAIN;
    }

    /*
     * TCP_CORK only keeps a head in memory from going out alone before a
     * sendfile(); a response all in memory leaves in one writev anyway.
     */
    if (clcf->tcp_nopush && c->sendfile && c->tcp_nopush == PT_TCP_NOPUSH_UNSET
        && filter_has_file(r->out))
    {
        (void) pt_tcp_nopush(c);
    }

    pt_chain_t  *rest = c->send_chain(c, r->out,
                                      c->sendfile ? (off_t) clcf->sendfile_max_chunk
                                                  : 0);

    if (rest == PT_CHAIN_ERROR) {
        c->error = 1;
        return PT_ERROR;
    }

    /* Sent links go back to the request's free list for the next call. */
    while (r->out != rest) {
        pt_chain_t  *done = r->out;

        r->out = done->next;
        done->next = r->free_links;
        r->free_links = done;
    }

    if (rest == NULL) {
        return PT_OK;
    }

    /* sendfile_max_chunk reached with the socket still writable: go on. */
    if (c->write->ready) {
        pt_post_event(c->write, &pt_posted_events);
    }

    return PT_AGAIN;
}


static int
filter_postconfiguration(pt_conf_t *cf)
{
    static const pt_http_filter_t  chunked = {
        .name = "chunked", .stage = PT_FILTER_CHUNKED,
        .header = filter_chunked_header, .body = filter_chunked_body,
    };
    static const pt_http_filter_t  writer = {
        .name = "write", .stage = PT_FILTER_WRITE,
        .header = filter_header_writer, .body = filter_write_body,
    };

    if (pt_http_filter_add(cf, &chunked) != PT_OK) {
        return PT_ERROR;
    }

    return pt_http_filter_add(cf, &writer);
}
