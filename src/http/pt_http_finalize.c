/* SPDX-License-Identifier: BSD-2-Clause */
/* Ending requests: error responses, logging, keep-alive, lingering close. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_internal.h"
#include "pt_process.h"

static void finalize_connection(pt_http_request_t *r);
static void finalize_set_keepalive(pt_http_request_t *r);
static void finalize_lingering_close(pt_http_request_t *r);
static void lingering_close_handler(pt_event_t *rev);
static bool finalize_should_linger(pt_http_request_t *r,
    pt_http_core_loc_conf_t *clcf);

/* Longest we hold a connection to drain an unread body before closing. */
#define FINALIZE_DISCARD_LIMIT  (1024 * 1024)


void
pt_http_close_connection(pt_connection_t *c)
{
    pt_pool_t  *pool = c->pool;

    c->destroyed = 1;
    pt_close_connection(c);
    pt_destroy_pool(pool);
}


void
pt_http_log_request(pt_http_request_t *r)
{
    pt_connection_t  *c = r->connection;

    if (!r->logged) {
        r->logged = 1;
        c->log->action = "logging request";
        pt_http_run_log_phase(r);
        c->log->action = NULL;
    }
}


void
pt_http_free_request(pt_http_request_t *r, int rc)
{
    pt_connection_t  *c = r->connection;

    if (r->headers_out.status == 0 && rc > 0) {
        r->headers_out.status = (unsigned) rc;
    }

    pt_http_log_request(r);

    ((pt_http_log_ctx_t *) c->log->data)->request = NULL;
    r->http_connection->request = NULL;
    pt_destroy_pool(r->pool);
}


/*
 * reset_timedout_connection: a client that timed out is answered with a
 * reset, so the kernel drops what we still had queued for it at once.
 */
static void
finalize_reset_if_timedout(pt_http_request_t *r)
{
    pt_connection_t          *c = r->connection;
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);

    if (c->timedout && clcf->reset_timedout_connection) {
        struct linger  l = { 1, 0 };

        if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)) == -1) {
            pt_log_error(PT_LOG_CRIT, c->log, errno,
                         "setsockopt(SO_LINGER) failed");
        }
    }
}


static void
finalize_terminate_handler(pt_http_request_t *r)
{
    pt_connection_t  *c = r->connection;

    finalize_reset_if_timedout(r);
    pt_http_free_request(r, 0);
    pt_http_close_connection(c);
}


/*
 * Ends the request and closes the connection, without a response.  Callers
 * up the stack (an internal redirect, a phase checker) may still hold the
 * request, so the freeing happens from the event loop, as nginx does; any
 * finalize call before then is a no-op.
 */
static void
finalize_terminate(pt_http_request_t *r, int rc)
{
    pt_connection_t  *c = r->connection;

    if (r->terminated) {
        return;
    }

    r->terminated = 1;
    r->keepalive = 0;

    if (r->headers_out.status == 0 && rc > 0) {
        r->headers_out.status = (unsigned) rc;
    }

    pt_del_timer(c->read);
    pt_del_timer(c->write);
    c->read->handler = pt_http_request_handler;
    c->write->handler = pt_http_request_handler;
    r->read_event_handler = pt_http_block_reading;
    r->write_event_handler = finalize_terminate_handler;
    pt_post_event(c->write, &pt_posted_events);
}


static bool
finalize_is_error(int rc)
{
    return rc == PT_HTTP_CLOSE || rc == PT_HTTP_CLIENT_CLOSED_REQUEST;
}


void
pt_http_finalize_request(pt_http_request_t *r, int rc)
{
    pt_connection_t  *c = r->connection;

    if (r->terminated) {
        return;
    }

    if (rc == PT_DONE) {
        finalize_connection(r);
        return;
    }

    if (rc == PT_DECLINED) {
        r->content_handler = NULL;
        r->write_event_handler = pt_http_core_run_phases;
        pt_http_core_run_phases(r);
        return;
    }

    if (rc == PT_ERROR || finalize_is_error(rc) || c->error) {
        finalize_terminate(r, rc == PT_ERROR ? PT_HTTP_INTERNAL_SERVER_ERROR
                                             : rc);
        return;
    }

    if (rc >= PT_HTTP_SPECIAL_RESPONSE || rc == PT_HTTP_CREATED
        || rc == PT_HTTP_NO_CONTENT)
    {
        if (r->header_sent) {
            /* Too late for an error page: the client sees a cut response. */
            r->keepalive = 0;
            finalize_terminate(r, rc);
            return;
        }

        pt_http_finalize_request(r, pt_http_special_response_handler(r, rc));
        return;
    }

    /* PT_OK or PT_AGAIN: the response may still be in the write filter. */
    if (r->out || r->buffered) {
        pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);

        r->write_event_handler = pt_http_writer;
        if (!c->write->ready) {
            pt_add_timer(c->write, clcf->send_timeout);
        } else {
            pt_post_event(c->write, &pt_posted_events);
        }
        return;
    }

    r->done = 1;
    finalize_connection(r);
}


void
pt_http_writer(pt_http_request_t *r)
{
    pt_connection_t  *c = r->connection;
    pt_event_t       *wev = c->write;

    if (wev->timedout) {
        pt_log_error(PT_LOG_INFO, c->log, ETIMEDOUT, "client timed out");
        c->timedout = 1;
        finalize_terminate(r, PT_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (!wev->ready) {
        return;
    }

    /* A filter holding input (gzip) needs the whole chain to go on. */
    int  rc = r->buffered ? pt_http_output_filter(r, NULL)
                          : pt_http_write_filter(r, NULL);

    if (rc == PT_ERROR) {
        c->error = 1;
        finalize_terminate(r, PT_HTTP_CLIENT_CLOSED_REQUEST);
        return;
    }

    if (r->out || r->buffered) {
        pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);

        pt_add_timer(wev, clcf->send_timeout);
        return;
    }

    pt_del_timer(wev);
    r->write_event_handler = pt_http_request_empty_handler;
    pt_http_finalize_request(r, rc == PT_AGAIN ? PT_OK : rc);
}


static void
finalize_connection(pt_http_request_t *r)
{
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);

    if (r->count > 1) {
        r->count--;
        return;
    }

    if (!r->done && (r->out || r->buffered)) {
        return;
    }

    if (!r->done
        || (pt_exiting && (r->connection->ssl || !pt_handoff_available())))
    {
        r->keepalive = 0;
    }

    if (r->keepalive && clcf->keepalive_timeout
        && r->connection->requests < (unsigned) clcf->keepalive_requests)
    {
        finalize_set_keepalive(r);
        return;
    }

    if (finalize_should_linger(r, clcf)) {
        finalize_lingering_close(r);
        return;
    }

    pt_connection_t  *c = r->connection;

    finalize_reset_if_timedout(r);
    pt_http_free_request(r, 0);
    pt_http_close_connection(c);
}


static void
finalize_set_keepalive(pt_http_request_t *r)
{
    pt_connection_t          *c = r->connection;
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);
    pt_buf_t                 *b = r->header_in;
    pt_msec_t                 timeout = clcf->keepalive_timeout;
    bool                      pipelined = b->pos < b->last;

    /* Log while $request still points at intact bytes. */
    pt_http_log_request(r);

    if (pt_http_keepalive_buffer(c, b) != PT_OK) {
        pt_http_free_request(r, 0);
        pt_http_close_connection(c);
        return;
    }

    pt_http_free_request(r, 0);

    if (pt_exiting) {
        /* A retiring worker: the next generation carries on with it. */
        (void) pt_handoff_send(c);
        pt_http_close_connection(c);
        return;
    }

    c->log->action = "keepalive";
    c->read->handler = pt_http_keepalive_handler;
    c->write->handler = pt_http_empty_handler;
    pt_del_timer(c->write);

    if (pipelined) {
        /* The next request is already here. */
        pt_post_event(c->read, &pt_posted_events);
        return;
    }

    if (c->tcp_nopush == PT_TCP_NOPUSH_SET) {
        (void) pt_tcp_push(c);
    }

    /*
     * An idle connection keeps no header buffer (nginx does the same):
     * with 10,000 idle clients that is the bulk of their memory.  Only a
     * separately allocated buffer can go; the next request gets a new one.
     */
    if (c->buffer && c->buffer->start
        && pt_pfree(c->pool, c->buffer->start) == PT_OK)
    {
        c->buffer->start = c->buffer->pos = c->buffer->last = NULL;
        c->buffer->end = NULL;
    }

    if (c->ssl) {
        pt_ssl_idle(c);
    }

    pt_reusable_connection(c, true);
    pt_add_timer(c->read, timeout);

    if (c->read->ready || c->read->pending_eof) {
        pt_post_event(c->read, &pt_posted_events);
    }
}


/*
 * Whether to read (and drop) what the client still sends before closing.
 * lingering_close on: when it may send more (an unread body, bytes
 * waiting); always: every time.  With off, as nginx, a body announced by
 * Content-Length and refused (413 ...) is still read and dropped, within
 * lingering_time and lingering_timeout: its sender gets the answer rather
 * than a reset.
 */
static bool
finalize_should_linger(pt_http_request_t *r, pt_http_core_loc_conf_t *clcf)
{
    switch (clcf->lingering_close) {

    case PT_HTTP_LINGERING_ALWAYS:
        return true;

    case PT_HTTP_LINGERING_ON:
        return r->lingering_close || r->header_in->pos < r->header_in->last
               || r->connection->read->ready
               || pt_ssl_early_pending(r->connection);

    default:
        return r->lingering_close && !r->headers_in.chunked
               && r->headers_in.content_length_n > 0;
    }
}


static void
finalize_lingering_close(pt_http_request_t *r)
{
    pt_connection_t          *c = r->connection;
    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);
    pt_msec_t                 deadline = pt_current_msec + clcf->lingering_time;
    pt_msec_t                 timeout = clcf->lingering_timeout;

    pt_http_free_request(r, 0);

    if (c->ssl) {
        /* close_notify must go out before the write side closes. */
        pt_ssl_shutdown(c);
    }

    if (shutdown(c->fd, SHUT_WR) == -1) {
        pt_http_close_connection(c);
        return;
    }

    /* The deadline rides in the connection's start_time, unused from here. */
    c->start_time = deadline;
    c->timeout = timeout;
    c->log->action = "closing request";
    c->read->handler = lingering_close_handler;
    c->write->handler = pt_http_empty_handler;
    pt_add_timer(c->read, timeout);

    if (c->read->ready) {
        lingering_close_handler(c->read);
    }
}


static void
lingering_close_handler(pt_event_t *rev)
{
    pt_connection_t  *c = rev->data;
    u_char            buf[4096];

    if (rev->timedout || (pt_msec_int_t) (pt_current_msec - c->start_time) >= 0) {
        pt_http_close_connection(c);
        return;
    }

    for (size_t total = 0; total < FINALIZE_DISCARD_LIMIT; ) {
        ssize_t  n = c->recv(c, buf, sizeof(buf));

        if (n == PT_AGAIN) {
            pt_add_timer(rev, c->timeout);
            return;
        }

        if (n <= 0) {
            pt_http_close_connection(c);
            return;
        }
        total += (size_t) n;
    }

    /* A fast sender: let other connections run, then read on. */
    pt_post_event(rev, &pt_posted_events);
}
