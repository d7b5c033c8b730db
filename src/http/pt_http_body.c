/* SPDX-License-Identifier: BSD-2-Clause */
/* Request bodies: Content-Length or chunked, read into memory or dropped. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_internal.h"

#define BODY_READ_CHUNK  8192

/* Where decoded body bytes go: kept (read) or not (discard). */
typedef int (*body_sink_pt)(pt_http_request_t *r, const u_char *data,
    size_t len);


static pt_http_core_loc_conf_t *
body_clcf(pt_http_request_t *r)
{
    return pt_http_get_module_loc_conf(r, pt_http_core_module);
}


static int
body_too_large(pt_http_request_t *r)
{
    pt_log_error(PT_LOG_ERR, r->connection->log, 0, "client intended to send "
                 "too large chunked body: %lld bytes",
                 (long long) r->request_body->received);
    return PT_HTTP_REQUEST_ENTITY_TOO_LARGE;
}


/*
 * Feeds [data, data+len) through the body framing.  Sets *used to the
 * bytes that belonged to the body.  Returns PT_DONE when the body ended,
 * PT_AGAIN when more is needed, or an HTTP status.
 */
static int
body_consume(pt_http_request_t *r, const u_char *data, size_t len,
    size_t *used, body_sink_pt sink)
{
    pt_http_request_body_t  *rb = r->request_body;

    *used = 0;

    if (rb->chunked == NULL) {
        size_t  n = (size_t) pt_min((off_t) len, rb->rest);

        if (n && sink(r, data, n) != PT_OK) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        rb->rest -= (off_t) n;
        rb->received += (off_t) n;
        *used = n;
        return rb->rest == 0 ? PT_DONE : PT_AGAIN;
    }

    while (*used < len) {
        size_t  consumed, start, dlen;
        int     rc = pt_http_parse_chunked(rb->chunked, data + *used,
                                           len - *used, &consumed, &start,
                                           &dlen);

        if (rc == PT_ERROR) {
            pt_log_error(PT_LOG_INFO, r->connection->log, 0, "client sent "
                         "invalid chunked body: %s", rb->chunked->error);
            if (rb->chunked->status == PT_HTTP_REQUEST_ENTITY_TOO_LARGE) {
                return body_too_large(r);
            }
            return PT_HTTP_BAD_REQUEST;
        }

        if (rc == PT_OK && sink(r, data + *used + start, dlen) != PT_OK) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc == PT_OK) {
            rb->received += (off_t) dlen;
        }

        *used += consumed;

        if (rc == PT_DONE) {
            return PT_DONE;
        }

        if (rc == PT_AGAIN) {
            break;
        }
    }

    return PT_AGAIN;
}


static int
body_init(pt_http_request_t *r)
{
    pt_http_request_body_t  *rb = pt_pcalloc(r->pool, sizeof(*rb));

    if (rb == NULL) {
        return PT_ERROR;
    }

    r->request_body = rb;
    rb->rest = r->headers_in.content_length_n > 0
               ? r->headers_in.content_length_n : 0;

    if (r->headers_in.chunked) {
        rb->chunked = pt_pcalloc(r->pool, sizeof(pt_http_chunked_t));
        if (rb->chunked == NULL) {
            return PT_ERROR;
        }
        rb->chunked->max_body = (off_t) body_clcf(r)->client_max_body_size;
        rb->rest = -1;
    }

    return PT_OK;
}


static bool
body_present(pt_http_request_t *r)
{
    return r->headers_in.content_length_n > 0 || r->headers_in.chunked;
}


/* Runs the body bytes already in the head buffer through the framing. */
static int
body_from_buffer(pt_http_request_t *r, body_sink_pt sink)
{
    pt_buf_t  *b = r->header_in;
    size_t     used;
    int        rc = body_consume(r, b->pos, (size_t) (b->last - b->pos), &used,
                                 sink);

    b->pos += used;
    r->request_length += (off_t) used;
    return rc;
}


/*
 * How much may be read now: unbuffered bodies go into a bounded buffer,
 * and decoded bytes never outnumber the raw ones.
 */
static size_t
body_room(pt_http_request_t *r, size_t max)
{
    pt_http_request_body_t  *rb = r->request_body;

    if (rb == NULL || !rb->unbuffered) {
        return max;
    }

    /* Bytes the consumer is still sending must stay where they are. */
    if (rb->taken) {
        return 0;
    }

    return pt_min(max, (size_t) (rb->buf->end - rb->buf->last));
}


/*
 * Bytes read past the end of the body: a pipelined request sent without
 * waiting.  They join what header_in holds, in a larger buffer when they
 * do not fit (its bytes become the connection's at keep-alive).
 */
static int
body_keep_pipelined(pt_http_request_t *r, const u_char *data, size_t len)
{
    pt_buf_t  *b = r->header_in;

    if ((size_t) (b->end - b->last) < len) {
        size_t     have = (size_t) (b->last - b->pos);
        pt_buf_t  *nb = pt_create_temp_buf(r->pool, have + len);

        if (nb == NULL) {
            return PT_ERROR;
        }

        nb->last = pt_cpymem(nb->last, b->pos, have);
        r->header_in = b = nb;
    }

    b->last = pt_cpymem(b->last, data, len);
    return PT_OK;
}


/* Reads from the socket through the framing until PT_AGAIN or the end. */
static int
body_from_socket(pt_http_request_t *r, body_sink_pt sink)
{
    pt_connection_t  *c = r->connection;
    u_char            buf[BODY_READ_CHUNK];

    for ( ;; ) {
        if (!c->read->ready && !c->read->pending_eof) {
            return PT_AGAIN;
        }

        size_t  room = body_room(r, sizeof(buf));

        if (room == 0) {
            return PT_AGAIN;        /* unbuffered: the consumer lags */
        }

        ssize_t  n = c->recv(c, buf, room);

        if (n == PT_AGAIN) {
            return PT_AGAIN;
        }

        if (n <= 0) {
            pt_log_error(PT_LOG_INFO, c->log, 0, "client prematurely closed "
                         "connection");
            c->error = 1;
            return PT_HTTP_BAD_REQUEST;
        }

        size_t  used;
        int     rc = body_consume(r, buf, (size_t) n, &used, sink);

        r->request_length += (off_t) used;

        if (rc != PT_AGAIN) {
            if (rc == PT_DONE && used < (size_t) n
                && body_keep_pipelined(r, buf + used, (size_t) n - used)
                   != PT_OK)
            {
                return PT_HTTP_INTERNAL_SERVER_ERROR;
            }
            return rc;
        }
    }
}


/* Discarding. */

static int
body_drop(pt_http_request_t *r, const u_char *data, size_t len)
{
    return PT_OK;
}


static void
body_discard_handler(pt_http_request_t *r)
{
    pt_connection_t  *c = r->connection;

    if (c->read->timedout) {
        c->timedout = 1;
        c->error = 1;
        r->discard_body = 0;
        pt_http_finalize_request(r, PT_ERROR);
        return;
    }

    int  rc = body_from_socket(r, body_drop);

    if (rc == PT_AGAIN) {
        pt_add_timer(c->read, body_clcf(r)->client_body_timeout);
        return;
    }

    pt_del_timer(c->read);
    r->discard_body = 0;

    if (rc != PT_DONE) {
        r->keepalive = 0;
        c->error = c->error || rc == PT_HTTP_BAD_REQUEST;
    }

    r->read_event_handler = pt_http_block_reading;
    pt_http_finalize_request(r, PT_DONE);
}


int
pt_http_discard_request_body(pt_http_request_t *r)
{
    if (r->discard_body || r->request_body) {
        return PT_OK;
    }

    if (!body_present(r)) {
        return PT_OK;
    }

    /* Like nginx: a waiting client is told to send, so framing stays sane. */
    if (pt_http_test_expect(r) != PT_OK || body_init(r) != PT_OK) {
        return PT_ERROR;
    }

    int  rc = body_from_buffer(r, body_drop);

    if (rc == PT_AGAIN) {
        rc = body_from_socket(r, body_drop);
    }

    if (rc == PT_DONE) {
        return PT_OK;
    }

    if (rc != PT_AGAIN) {
        /* Broken framing: the status (400, 413) is the answer. */
        r->keepalive = 0;
        return rc;
    }

    r->discard_body = 1;
    r->count++;
    r->read_event_handler = body_discard_handler;
    pt_add_timer(r->connection->read, body_clcf(r)->client_body_timeout);
    return PT_OK;
}


/* Reading. */

static void
body_temp_cleanup(void *data)
{
    pt_file_ref_t  *file = data;

    if (file->fd != -1) {
        close(file->fd);
    }
}


/*
 * Moves the body to an unlinked file in client_body_temp_path, so memory
 * stays bounded by client_body_buffer_size whatever the body's size.
 */
static int
body_spill(pt_http_request_t *r)
{
    pt_http_request_body_t  *rb = r->request_body;
    pt_str_t                *dir = &body_clcf(r)->client_body_temp_path;
    pt_pool_cleanup_t       *cln = pt_pool_cleanup_add(r->pool,
                                                       sizeof(pt_file_ref_t));
    char                     name[PATH_MAX];

    if (cln == NULL) {
        return PT_ERROR;
    }

    pt_file_ref_t  *file = cln->data;

    file->fd = -1;
    file->size = 0;
    cln->handler = body_temp_cleanup;

    if (snprintf(name, sizeof(name), "%.*s/body.XXXXXX", PT_STR_ARG(*dir))
        >= (int) sizeof(name))
    {
        return PT_ERROR;
    }

    file->fd = mkstemp(name);
    if (file->fd == -1) {
        pt_log_error(PT_LOG_CRIT, r->connection->log, errno, "mkstemp() "
                     "\"%s\" failed", name);
        return PT_ERROR;
    }

    /* Nothing to clean on disk, whatever happens to this process. */
    (void) unlink(name);
    (void) fcntl(file->fd, F_SETFD, FD_CLOEXEC);
    pt_str_set(&file->name, "client request body");

    pt_log_error(PT_LOG_WARN, r->connection->log, 0, "a client request body "
                 "is buffered to a temporary file %s", name);

    rb->temp_file = file;

    if (rb->buf && rb->buf->last > rb->buf->pos) {
        if (pt_write_fd(file->fd, rb->buf->pos,
                        (size_t) (rb->buf->last - rb->buf->pos)) == -1)
        {
            return PT_ERROR;
        }
        file->size = rb->buf->last - rb->buf->pos;
    }

    rb->buf = NULL;
    rb->bufs = NULL;
    return PT_OK;
}


static int
body_keep(pt_http_request_t *r, const u_char *data, size_t len)
{
    pt_http_request_body_t  *rb = r->request_body;
    size_t                   bufsize = body_clcf(r)->client_body_buffer_size;

    if (rb->temp_file == NULL && rb->buf == NULL) {
        /* One buffer, sized to the body when it is known and small. */
        size_t  size = rb->rest > 0 && rb->rest < (off_t) bufsize
                       ? (size_t) rb->rest : bufsize;

        rb->buf = pt_create_temp_buf(r->pool, size);
        rb->bufs = pt_alloc_chain_link(r->pool);
        if (rb->buf == NULL || rb->bufs == NULL) {
            return PT_ERROR;
        }
        rb->bufs->buf = rb->buf;
        rb->bufs->next = NULL;
    }

    if (rb->temp_file == NULL
        && (size_t) (rb->buf->end - rb->buf->last) < len
        && body_spill(r) != PT_OK)
    {
        return PT_ERROR;
    }

    if (rb->temp_file) {
        if (pt_write_fd(rb->temp_file->fd, data, len) == -1) {
            pt_log_error(PT_LOG_CRIT, r->connection->log, errno, "write() to "
                         "a client body temporary file failed");
            return PT_ERROR;
        }
        rb->temp_file->size += (off_t) len;
        return PT_OK;
    }

    rb->buf->last = pt_cpymem(rb->buf->last, data, len);
    return PT_OK;
}


/* The body, whole: a memory buffer or a file range, as one chain link. */
static int
body_finish_bufs(pt_http_request_t *r)
{
    pt_http_request_body_t  *rb = r->request_body;

    if (rb->temp_file == NULL) {
        return PT_OK;
    }

    pt_buf_t  *b = pt_calloc_buf(r->pool);

    rb->bufs = pt_alloc_chain_link(r->pool);
    if (b == NULL || rb->bufs == NULL) {
        return PT_ERROR;
    }

    b->file = rb->temp_file;
    b->file_pos = 0;
    b->file_last = rb->temp_file->size;
    b->in_file = 1;
    rb->bufs->buf = b;
    rb->bufs->next = NULL;
    return PT_OK;
}


int
pt_http_test_expect(pt_http_request_t *r)
{
    static const char  cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

    if (r->expect_tested || r->headers_in.expect == NULL
        || r->http_version < PT_HTTP_VERSION_11
        || r->header_in->pos < r->header_in->last)
    {
        return PT_OK;
    }

    r->expect_tested = 1;

    ssize_t  n = r->connection->send(r->connection, (const u_char *) cont,
                                     sizeof(cont) - 1);

    return n == (ssize_t) sizeof(cont) - 1 ? PT_OK : PT_ERROR;
}


/* The body is complete: from here the request has a known length. */
static int
body_read_done(pt_http_request_t *r)
{
    r->reading_body = 0;
    pt_del_timer(r->connection->read);
    r->read_event_handler = pt_http_block_reading;

    if (body_finish_bufs(r) != PT_OK) {
        return PT_ERROR;
    }

    if (r->request_body->chunked) {
        r->headers_in.content_length_n = r->request_body->received;
    }

    return PT_OK;
}


/*
 * Reading went on asynchronously and holds a reference: every way out
 * drops it exactly once.
 */
static void
body_read_handler(pt_http_request_t *r)
{
    pt_connection_t  *c = r->connection;
    int               rc;

    if (c->read->timedout) {
        c->timedout = 1;
        rc = PT_HTTP_REQUEST_TIME_OUT;
    } else {
        rc = body_from_socket(r, body_keep);

        if (rc == PT_AGAIN) {
            pt_add_timer(c->read, body_clcf(r)->client_body_timeout);
            return;
        }
    }

    r->reading_body = 0;
    pt_del_timer(c->read);
    r->read_event_handler = pt_http_block_reading;

    if (rc != PT_DONE) {
        r->count--;
        pt_http_finalize_request(r, rc);
        return;
    }

    if (body_read_done(r) != PT_OK) {
        r->count--;
        pt_http_finalize_request(r, PT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    r->request_body->post_handler(r);
    pt_http_finalize_request(r, PT_DONE);
}


/*
 * The start both ways of reading share: PT_DONE when there is nothing to
 * read (post_handler ran), PT_OK to read, or a status.
 */
static int
body_begin(pt_http_request_t *r, pt_http_client_body_handler_pt post_handler)
{
    if (r->request_body || r->discard_body) {
        post_handler(r);
        return PT_DONE;
    }

    if (body_init(r) != PT_OK) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->request_body->post_handler = post_handler;
    return PT_OK;
}


int
pt_http_read_client_request_body(pt_http_request_t *r,
    pt_http_client_body_handler_pt post_handler)
{
    int  rc = body_begin(r, post_handler);

    if (rc != PT_OK) {
        return rc == PT_DONE ? PT_OK : rc;
    }

    if (!body_present(r)) {
        post_handler(r);
        return PT_OK;
    }

    if (pt_http_test_expect(r) != PT_OK) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = body_from_buffer(r, body_keep);

    if (rc == PT_AGAIN) {
        rc = body_from_socket(r, body_keep);
    }

    if (rc != PT_AGAIN) {
        if (rc != PT_DONE) {
            return rc;
        }
        if (body_read_done(r) != PT_OK) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }
        r->request_body->post_handler(r);
        return PT_OK;
    }

    r->reading_body = 1;
    r->count++;
    r->read_event_handler = body_read_handler;
    pt_add_timer(r->connection->read, body_clcf(r)->client_body_timeout);
    return PT_AGAIN;
}


/* Unbuffered: the body goes on as it arrives (proxy_request_buffering off). */

static int
body_stream(pt_http_request_t *r, const u_char *data, size_t len)
{
    pt_buf_t  *b = r->request_body->buf;

    if ((size_t) (b->end - b->last) < len) {
        return PT_ERROR;             /* body_room() keeps this from happening */
    }

    b->last = pt_cpymem(b->last, data, len);
    return PT_OK;
}


static void
body_stream_ended(pt_http_request_t *r, int rc)
{
    pt_http_request_body_t  *rb = r->request_body;

    pt_del_timer(r->connection->read);
    r->read_event_handler = pt_http_block_reading;

    if (rc == PT_DONE) {
        rb->done = 1;
    } else {
        rb->error = rc;
        r->keepalive = 0;
    }
}


/* Reads what may be read now; PT_OK, PT_AGAIN or an error status. */
static int
body_stream_read(pt_http_request_t *r)
{
    pt_http_request_body_t  *rb = r->request_body;
    u_char                  *before = rb->buf->last;
    int                      rc = body_from_socket(r, body_stream);

    if (rc == PT_AGAIN) {
        if (body_room(r, 1)) {
            pt_add_timer(r->connection->read, body_clcf(r)->client_body_timeout);
        } else {
            pt_del_timer(r->connection->read);   /* our side is slow */
        }
        return rb->buf->last > before ? PT_OK : PT_AGAIN;
    }

    body_stream_ended(r, rc);
    return rc == PT_DONE ? PT_OK : rc;
}


static void
body_stream_handler(pt_http_request_t *r)
{
    pt_http_request_body_t  *rb = r->request_body;
    pt_connection_t         *c = r->connection;
    int                      rc;

    if (c->read->timedout) {
        c->timedout = 1;
        body_stream_ended(r, PT_HTTP_REQUEST_TIME_OUT);
        rc = PT_HTTP_REQUEST_TIME_OUT;
    } else {
        rc = body_stream_read(r);
    }

    if (rc != PT_AGAIN && rb->data_handler) {
        rb->data_handler(r);
    }
}


int
pt_http_read_unbuffered_client_body(pt_http_request_t *r,
    pt_http_client_body_handler_pt post_handler)
{
    int  rc = body_begin(r, post_handler);

    if (rc != PT_OK) {
        return rc == PT_DONE ? PT_OK : rc;
    }

    pt_http_request_body_t  *rb = r->request_body;
    size_t                   early = (size_t) (r->header_in->last
                                               - r->header_in->pos);

    rb->unbuffered = 1;
    rb->done = !body_present(r);
    rb->buf = pt_create_temp_buf(r->pool,
                                 pt_max(body_clcf(r)->client_body_buffer_size,
                                        early));
    if (rb->buf == NULL) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!rb->done) {
        if (pt_http_test_expect(r) != PT_OK) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }

        rc = body_from_buffer(r, body_stream);

        if (rc == PT_AGAIN) {
            r->read_event_handler = body_stream_handler;
            rc = body_stream_read(r);
        } else if (rc == PT_DONE) {
            rb->done = 1;
        }

        if (rc != PT_OK && rc != PT_AGAIN && rc != PT_DONE) {
            r->read_event_handler = pt_http_block_reading;
            return rc;
        }
    }

    post_handler(r);
    return PT_OK;
}


int
pt_http_read_unbuffered_request_body(pt_http_request_t *r)
{
    pt_http_request_body_t  *rb = r->request_body;

    rb->buf->pos = rb->buf->last = rb->buf->start;
    rb->taken = 0;

    if (rb->error) {
        return rb->error;
    }

    if (rb->done) {
        return PT_OK;
    }

    return body_stream_read(r);
}


void
pt_http_unbuffered_body_abort(pt_http_request_t *r)
{
    pt_http_request_body_t  *rb = r->request_body;

    if (rb && rb->unbuffered && !rb->done) {
        rb->data_handler = NULL;
        r->keepalive = 0;
        pt_del_timer(r->connection->read);
        r->read_event_handler = pt_http_block_reading;
    }
}
