/* SPDX-License-Identifier: BSD-2-Clause */
/* Reading a request head: connection setup, buffers, request line, headers. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_internal.h"
#include "pt_http_ssl.h"

static void request_wait_handler(pt_event_t *rev);
static void request_line_handler(pt_event_t *rev);
static void request_headers_handler(pt_event_t *rev);
static void request_process(pt_http_request_t *r);


static u_char *
request_log_handler(pt_log_t *log, u_char *buf, size_t len)
{
    pt_http_log_ctx_t  *ctx = log->data;
    u_char             *p = buf, *last = buf + len;

    if (log->action) {
        p = pt_snprintf(p, last, " while %s", log->action);
    }

    if (ctx == NULL || ctx->connection == NULL) {
        return p;
    }

    p = pt_snprintf(p, last, ", client: %.*s",
                    PT_STR_ARG(ctx->connection->addr_text));

    pt_http_request_t  *r = ctx->request;

    if (r == NULL) {
        return pt_snprintf(p, last, ", server: %.*s",
                           PT_STR_ARG(ctx->connection->listening->addr_text));
    }

    pt_http_core_srv_conf_t  *cscf = r->srv_conf
        ? pt_http_get_module_srv_conf(r, pt_http_core_module) : NULL;

    if (cscf) {
        p = pt_snprintf(p, last, ", server: %.*s",
                        PT_STR_ARG(cscf->server_name));
    }

    if (r->request_line.len) {
        p = pt_snprintf(p, last, ", request: \"%.*s\"",
                        PT_STR_ARG(r->request_line));
    }

    if (r->upstream_log.len) {
        p = pt_snprintf(p, last, ", upstream: \"%.*s\"",
                        PT_STR_ARG(r->upstream_log));
    }

    if (r->headers_in.host) {
        p = pt_snprintf(p, last, ", host: \"%.*s\"",
                        PT_STR_ARG(r->headers_in.host->value));
    }

    return p;
}


void
pt_http_init_connection(pt_connection_t *c)
{
    pt_http_connection_t  *hc = pt_pcalloc(c->pool, sizeof(*hc));
    pt_http_log_ctx_t     *ctx = pt_pcalloc(c->pool, sizeof(*ctx));

    if (hc == NULL || ctx == NULL) {
        pt_http_close_connection(c);
        return;
    }

    hc->addr_conf = pt_http_find_addr_conf(c);
    c->data = hc;

    ctx->connection = c;
    c->log->data = ctx;
    c->log->handler = request_log_handler;
    c->log->action = "waiting for request";

    pt_http_core_srv_conf_t  *cscf = pt_http_default_srv_conf(hc);

    pt_add_timer(c->read, cscf->client_header_timeout);

    if (hc->addr_conf->ssl) {
#if PT_HAVE_HTTP_SSL_MODULE
        hc->ssl = 1;
        pt_http_ssl_init_connection(c);
#else
        pt_http_close_connection(c);
#endif
        return;
    }

    pt_http_wait_request(c);
}


void
pt_http_wait_request(pt_connection_t *c)
{
    c->log->action = "waiting for request";
    c->read->handler = request_wait_handler;
    c->write->handler = pt_http_empty_handler;
    pt_reusable_connection(c, true);

    /* With deferred accept the request is usually already there. */
    request_wait_handler(c->read);
}


void
pt_http_empty_handler(pt_event_t *ev)
{
}


static pt_http_request_t *
request_create(pt_connection_t *c)
{
    pt_http_connection_t     *hc = c->data;
    pt_http_core_srv_conf_t  *cscf = pt_http_default_srv_conf(hc);
    pt_pool_t                *pool;
    pt_http_request_t        *r;

    pool = pt_create_pool(cscf->request_pool_size, c->log);
    if (pool == NULL) {
        return NULL;
    }

    r = pt_pcalloc(pool, sizeof(pt_http_request_t));
    if (r == NULL) {
        pt_destroy_pool(pool);
        return NULL;
    }

    r->pool = pool;
    r->connection = c;
    r->http_connection = hc;
    r->header_in = c->buffer;
    r->main_conf = cscf->ctx->main_conf;
    r->srv_conf = cscf->ctx->srv_conf;
    r->loc_conf = cscf->ctx->loc_conf;
    r->ctx = pt_pcalloc(pool, pt_http_modules_n * sizeof(void *));

    pt_http_core_main_conf_t  *cmcf = pt_http_get_module_main_conf(r,
                                                       pt_http_core_module);

    r->variables = pt_pcalloc(pool, (cmcf->variables.nelts + 1)
                                    * sizeof(pt_http_variable_value_t));

    if (r->ctx == NULL || r->variables == NULL) {
        pt_destroy_pool(pool);
        return NULL;
    }

    r->count = 1;
    r->method = PT_HTTP_UNKNOWN;
    r->http_version = PT_HTTP_VERSION_10;   /* until the request line says */
    r->headers_in.content_length_n = -1;
    r->headers_in.keep_alive_n = -1;
    r->headers_out.content_length_n = -1;
    r->headers_out.last_modified_time = -1;
    r->uri_changes = PT_HTTP_MAX_URI_CHANGES + 1;
    r->start_sec = pt_time();
    r->start_msec_frac = pt_cached_time->msec;
    r->start_msec = pt_current_msec;

    hc->request = r;
    ((pt_http_log_ctx_t *) c->log->data)->request = r;
    c->requests++;
    c->sent = 0;        /* $bytes_sent counts this response only */

    return r;
}


/*
 * Reads into r->header_in.  Returns bytes read, PT_AGAIN, or PT_ERROR
 * (the request was finalized).
 */
static ssize_t
request_read_header(pt_http_request_t *r)
{
    pt_connection_t  *c = r->connection;
    pt_buf_t         *b = r->header_in;
    ssize_t           n;

    if (b->last == b->end) {
        return PT_AGAIN;    /* the caller grows the buffer first */
    }

    n = c->read->ready || c->read->pending_eof
        ? c->recv(c, b->last, (size_t) (b->end - b->last)) : PT_AGAIN;

    if (n == PT_AGAIN) {
        return PT_AGAIN;
    }

    if (n == 0) {
        pt_log_error(PT_LOG_INFO, c->log, 0, "client prematurely closed "
                     "connection");
    }

    if (n <= 0) {
        c->error = 1;
        pt_http_finalize_request(r, PT_HTTP_BAD_REQUEST);
        return PT_ERROR;
    }

    b->last += n;
    return n;
}


static void
request_wait_handler(pt_event_t *rev)
{
    pt_connection_t          *c = rev->data;
    pt_http_connection_t     *hc = c->data;
    pt_http_core_srv_conf_t  *cscf = pt_http_default_srv_conf(hc);
    ssize_t                   n;

    if (rev->timedout || c->close) {
        pt_http_close_connection(c);
        return;
    }

    if (c->buffer == NULL) {
        c->buffer = pt_create_temp_buf(c->pool, cscf->client_header_buffer_size);
        if (c->buffer == NULL) {
            pt_http_close_connection(c);
            return;
        }

    } else if (c->buffer->start == NULL) {
        /* Freed while the connection was idle: bring it back. */
        pt_buf_t  *b = c->buffer;

        b->start = pt_palloc(c->pool, cscf->client_header_buffer_size);
        if (b->start == NULL) {
            pt_http_close_connection(c);
            return;
        }
        b->pos = b->last = b->start;
        b->end = b->start + cscf->client_header_buffer_size;
    }

    pt_buf_t  *b = c->buffer;

    if (b->pos == b->last) {
        b->pos = b->last = b->start;

        n = rev->ready || rev->pending_eof
            ? c->recv(c, b->last, (size_t) (b->end - b->last)) : PT_AGAIN;

        if (n == PT_AGAIN) {
            return;
        }

        if (n <= 0) {
            pt_http_close_connection(c);
            return;
        }

        b->last += n;
    }

    pt_reusable_connection(c, false);
    c->log->action = "reading client request line";

    /* The head gets its own client_header_timeout from its first byte. */
    pt_del_timer(rev);

    pt_http_request_t  *r = request_create(c);

    if (r == NULL) {
        pt_http_close_connection(c);
        return;
    }

    rev->handler = request_line_handler;
    request_line_handler(rev);
}


/*
 * Moves the unfinished line of the head into a large buffer.  Returns
 * PT_OK, or the status to answer when the limits are exceeded.
 */
static int
request_grow_buffer(pt_http_request_t *r, bool request_line)
{
    pt_http_core_srv_conf_t  *cscf = pt_http_default_srv_conf(r->http_connection);
    pt_buf_t                 *old = r->header_in, *b;
    size_t                    keep = (size_t) (old->last - old->pos) - r->parse.pos;
    u_char                   *from = old->pos + r->parse.pos;

    if (keep >= cscf->large_buffers.size
        || r->nlarge_buffers >= cscf->large_buffers.num)
    {
        return request_line ? PT_HTTP_REQUEST_URI_TOO_LARGE
                            : PT_HTTP_HEADER_FIELDS_TOO_LARGE;
    }

    b = pt_create_temp_buf(r->pool, cscf->large_buffers.size);
    if (b == NULL) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    memcpy(b->pos, from, keep);
    b->last = b->pos + keep;
    r->nlarge_buffers++;

    /* Parser offsets are relative to the buffer start: rebase them. */
    r->request_length += (off_t) r->parse.pos;
    r->parse.scan -= r->parse.pos;
    r->parse.pos = 0;
    r->header_in = b;

    if (old == r->connection->buffer) {
        old->pos = old->last;        /* consumed: the rest moved */
    }

    return PT_OK;
}


static pt_str_t
request_slice(pt_http_request_t *r, size_t start, size_t end)
{
    pt_str_t  s = { end - start, r->header_in->pos + start };

    return s;
}


static int
request_target(pt_http_request_t *r)
{
    pt_http_parse_t  *p = &r->parse;
    pt_str_t          path = request_slice(r, p->path_start, p->path_end);
    pt_http_core_srv_conf_t  *cscf = pt_http_get_module_srv_conf(r,
                                                       pt_http_core_module);

    r->unparsed_uri = request_slice(r, p->uri_start, p->uri_end);

    if (p->target_form == PT_HTTP_TARGET_ABSOLUTE) {
        pt_str_t  host = request_slice(r, p->host_start,
                                       p->port_end ? p->port_end : p->host_end);
        u_char   *out = pt_pnalloc(r->pool, host.len + 1);
        ssize_t   n = out ? pt_http_validate_host(host.data, host.len, out) : -1;

        if (n <= 0) {
            pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent "
                         "invalid host in request line");
            return PT_HTTP_BAD_REQUEST;
        }

        /* The target's host names the server, not the Host header. */
        r->headers_in.server.data = out;
        r->headers_in.server.len = (size_t) n;
        r->schema = request_slice(r, p->schema_start, p->schema_end);
        r->unparsed_uri = request_slice(r, p->path_start, p->uri_end);

        if (r->unparsed_uri.len == 0) {
            pt_str_set(&r->unparsed_uri, "/");
        }
    }

    if (p->args_start) {
        r->args = request_slice(r, p->args_start, p->uri_end);
    }

    if (p->target_form == PT_HTTP_TARGET_AUTHORITY
        || p->target_form == PT_HTTP_TARGET_ASTERISK)
    {
        pt_str_set(&r->uri, "*");
        return PT_OK;
    }

    if (path.len == 0) {
        pt_str_set(&r->uri, "/");
        return PT_OK;
    }

    if (!p->complex_uri) {
        r->uri = path;
    } else {
        r->uri.data = pt_pnalloc(r->pool, path.len + 1);
        if (r->uri.data == NULL) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        ssize_t  n = pt_http_normalize_path(r->uri.data, path.data, path.len,
                       cscf->merge_slashes ? 0 : PT_HTTP_NORMALIZE_NO_MERGE);

        if (n < 0) {
            pt_log_error(PT_LOG_INFO, r->connection->log, 0,
                         "client sent invalid request");
            return PT_HTTP_BAD_REQUEST;
        }
        r->uri.len = (size_t) n;
    }

    r->parsed_uri = r->uri;
    pt_http_set_exten(r);
    return PT_OK;
}


static int
request_line_done(pt_http_request_t *r)
{
    pt_http_parse_t  *p = &r->parse;

    /* Methods are upper case (nginx refuses "get" too): catch typos early. */
    for (size_t i = p->method_start; i < p->method_end; i++) {
        u_char  ch = r->header_in->pos[i];

        if ((ch < 'A' || ch > 'Z') && ch != '_' && ch != '-') {
            pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent "
                         "invalid method");
            return PT_HTTP_BAD_REQUEST;
        }
    }

    r->request_line = request_slice(r, p->request_start, p->request_end);
    r->method_name = request_slice(r, p->method_start, p->method_end);
    r->method = p->method;
    r->http_protocol = request_slice(r, p->uri_end + 1, p->request_end);
    r->http_version = p->http_major * 1000 + p->http_minor;

    if (p->http_major == 1 && p->http_minor > 1) {
        r->http_version = PT_HTTP_VERSION_11;
    }

    return request_target(r);
}


static void
request_line_handler(pt_event_t *rev)
{
    pt_connection_t       *c = rev->data;
    pt_http_connection_t  *hc = c->data;
    pt_http_request_t     *r = hc->request;

    if (rev->timedout) {
        pt_log_error(PT_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        c->timedout = 1;
        pt_http_finalize_request(r, PT_HTTP_REQUEST_TIME_OUT);
        return;
    }

    for ( ;; ) {
        pt_buf_t  *b = r->header_in;
        int        rc = pt_http_parse_request_line(&r->parse, b->pos,
                                                   (size_t) (b->last - b->pos));

        if (rc == PT_OK) {
            rc = request_line_done(r);
            if (rc != PT_OK) {
                pt_http_finalize_request(r, rc);
                return;
            }

            c->log->action = "reading client request headers";
            rev->handler = request_headers_handler;
            request_headers_handler(rev);
            return;
        }

        if (rc == PT_ERROR) {
            pt_log_error(PT_LOG_INFO, c->log, 0, "%s", r->parse.error);
            pt_http_finalize_request(r, r->parse.status);
            return;
        }

        if (b->last == b->end) {
            rc = request_grow_buffer(r, true);
            if (rc != PT_OK) {
                pt_log_error(PT_LOG_INFO, c->log, 0, "client sent too long URI");
                pt_http_finalize_request(r, rc);
                return;
            }
        }

        ssize_t  n = request_read_header(r);

        if (n == PT_ERROR) {
            return;
        }

        if (n == PT_AGAIN) {
            pt_http_core_srv_conf_t  *cscf = pt_http_default_srv_conf(hc);

            /* One deadline for the whole head, however slowly it trickles. */
            if (!rev->timer_set) {
                pt_add_timer(rev, cscf->client_header_timeout);
            }
            return;
        }
    }
}


static void
request_headers_handler(pt_event_t *rev)
{
    pt_connection_t       *c = rev->data;
    pt_http_connection_t  *hc = c->data;
    pt_http_request_t     *r = hc->request;

    if (rev->timedout) {
        pt_log_error(PT_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        c->timedout = 1;
        pt_http_finalize_request(r, PT_HTTP_REQUEST_TIME_OUT);
        return;
    }

    for ( ;; ) {
        pt_buf_t  *b = r->header_in;
        int        rc = pt_http_parse_header_line(&r->parse, b->pos,
                                                  (size_t) (b->last - b->pos));

        if (rc == PT_OK) {
            rc = pt_http_add_header_in(r);
            if (rc != PT_OK) {
                pt_http_finalize_request(r, rc);
                return;
            }
            continue;
        }

        if (rc == PT_DONE) {
            request_process(r);
            return;
        }

        if (rc == PT_ERROR) {
            pt_log_error(PT_LOG_INFO, c->log, 0, "%s", r->parse.error);
            pt_http_finalize_request(r, r->parse.status);
            return;
        }

        if (b->last == b->end) {
            rc = request_grow_buffer(r, false);
            if (rc != PT_OK) {
                pt_log_error(PT_LOG_INFO, c->log, 0, "client sent too large "
                             "request headers");
                pt_http_finalize_request(r, rc);
                return;
            }
        }

        ssize_t  n = request_read_header(r);

        if (n == PT_ERROR) {
            return;
        }

        if (n == PT_AGAIN) {
            pt_http_core_srv_conf_t  *cscf = pt_http_default_srv_conf(hc);

            /* One deadline for the whole head, however slowly it trickles. */
            if (!rev->timer_set) {
                pt_add_timer(rev, cscf->client_header_timeout);
            }
            return;
        }
    }
}


static void
request_process(pt_http_request_t *r)
{
    pt_connection_t  *c = r->connection;
    int               rc;

    r->request_length += (off_t) r->parse.pos;
    r->header_in->pos += r->parse.pos;
    r->parse.pos = 0;

    rc = pt_http_process_request_header(r);

    if (rc == PT_OK && r->http_connection->plain_http) {
        pt_log_error(PT_LOG_INFO, c->log, 0,
                     "client sent plain HTTP request to HTTPS port");
        rc = PT_HTTP_TO_HTTPS;
    }

#if PT_HAVE_HTTP_SSL_MODULE
    if (rc == PT_OK && c->ssl) {
        rc = pt_http_ssl_verify_client(r);
    }
#endif

    if (rc != PT_OK) {
        pt_http_finalize_request(r, rc);
        return;
    }

    pt_del_timer(c->read);
    c->log->action = NULL;
    c->read->handler = pt_http_request_handler;
    c->write->handler = pt_http_request_handler;
    r->read_event_handler = pt_http_block_reading;
    r->write_event_handler = pt_http_core_run_phases;

    pt_http_core_run_phases(r);
}


void
pt_http_request_handler(pt_event_t *ev)
{
    pt_connection_t       *c = ev->data;
    pt_http_connection_t  *hc = c->data;
    pt_http_request_t     *r = hc->request;

    if (ev->write) {
        r->write_event_handler(r);
    } else {
        r->read_event_handler(r);
    }
}


void
pt_http_block_reading(pt_http_request_t *r)
{
    /* Edge-triggered: nothing to disarm; the data waits in the socket. */
}


/*
 * Next request on a keep-alive connection: bytes already buffered
 * (pipelining) are moved to the start of the connection buffer.
 */
int
pt_http_keepalive_buffer(pt_connection_t *c, pt_buf_t *from)
{
    size_t     left = (size_t) (from->last - from->pos);
    pt_buf_t  *b = c->buffer;

    if (left == 0) {
        b->pos = b->last = b->start;
        return PT_OK;
    }

    if (left > (size_t) (b->end - b->start)) {
        /* A large pipelined head: the connection buffer grows once. */
        b = pt_create_temp_buf(c->pool, left);
        if (b == NULL) {
            return PT_ERROR;
        }
        c->buffer = b;
    }

    memmove(b->start, from->pos, left);
    b->pos = b->start;
    b->last = b->start + left;
    return PT_OK;
}


void
pt_http_keepalive_handler(pt_event_t *rev)
{
    pt_connection_t  *c = rev->data;

    if (rev->timedout || c->close) {
        pt_http_close_connection(c);
        return;
    }

    rev->handler = request_wait_handler;
    request_wait_handler(rev);
}
