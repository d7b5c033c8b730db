/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS connections: non-blocking handshake, record I/O and shutdown. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_event.h"

#include <stdarg.h>

int  pt_ssl_ctx_index = -1;
int  pt_ssl_connection_index = -1;


int
pt_ssl_init(pt_log_t *log)
{
    if (pt_ssl_ctx_index != -1) {
        return PT_OK;
    }

    pt_ssl_ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL, NULL);
    pt_ssl_connection_index = SSL_get_ex_new_index(0, NULL, NULL, NULL,
                                                   NULL);

    if (pt_ssl_ctx_index == -1 || pt_ssl_connection_index == -1) {
        pt_ssl_error(PT_LOG_EMERG, log, 0, "SSL_get_ex_new_index() failed");
        return PT_ERROR;
    }

    return PT_OK;
}


void
pt_ssl_error(unsigned level, pt_log_t *log, int err, const char *fmt, ...)
{
    char           buf[1024];
    size_t         len;
    va_list        ap;
    unsigned long  n;
    const char    *data;
    int            flags;

    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);

    len = strlen(buf);

    /* As nginx: " (SSL: error:...:reason:data)" for each queued error. */
    for (bool first = true;
         (n = ERR_get_error_all(NULL, NULL, NULL, &data, &flags)) != 0;
         first = false)
    {
        char  e[256];

        if (len >= sizeof(buf) - 16) {
            continue;
        }

        ERR_error_string_n(n, e, sizeof(e));
        len += (size_t) snprintf(buf + len, sizeof(buf) - len, "%s%s%s%s",
                                 first ? " (SSL: " : " ", e,
                                 (flags & ERR_TXT_STRING) && *data ? ":" : "",
                                 (flags & ERR_TXT_STRING) ? data : "");
        len = pt_min(len, sizeof(buf) - 2);
    }

    if (buf[len - 1] != ')' && strstr(buf, " (SSL: ") != NULL) {
        buf[len++] = ')';
        buf[len] = '\0';
    }

    pt_log_error(level, log, err, "%s", buf);
}


static void
ssl_ctx_cleanup(void *data)
{
    SSL_CTX_free(data);
}


int
pt_ssl_create(pt_ssl_t *ssl, unsigned protocols, bool server, pt_pool_t *pool)
{
    static const struct { unsigned bit; int version; }  versions[] = {
        { PT_SSL_TLSv1, TLS1_VERSION }, { PT_SSL_TLSv1_1, TLS1_1_VERSION },
        { PT_SSL_TLSv1_2, TLS1_2_VERSION }, { PT_SSL_TLSv1_3, TLS1_3_VERSION },
    };
    int                 min = 0, max = 0;
    pt_pool_cleanup_t  *cln = pt_pool_cleanup_add(pool, 0);

    if (cln == NULL) {
        return PT_ERROR;
    }

    ssl->ctx = SSL_CTX_new(server ? TLS_server_method() : TLS_client_method());
    if (ssl->ctx == NULL) {
        pt_ssl_error(PT_LOG_EMERG, ssl->log, 0, "SSL_CTX_new() failed");
        return PT_ERROR;
    }

    cln->handler = ssl_ctx_cleanup;
    cln->data = ssl->ctx;

    if (SSL_CTX_set_ex_data(ssl->ctx, pt_ssl_ctx_index, ssl) == 0) {
        pt_ssl_error(PT_LOG_EMERG, ssl->log, 0, "SSL_CTX_set_ex_data() failed");
        return PT_ERROR;
    }

    /* The mask is a range to OpenSSL: from the lowest to the highest bit. */
    for (size_t i = 0; i < pt_nelts(versions); i++) {
        if (protocols & versions[i].bit) {
            min = min ? min : versions[i].version;
            max = versions[i].version;
        }
    }

    /* TLS 1.0/1.1 need security level 0 in OpenSSL 3 (SHA-1 signatures). */
    if (min && min < TLS1_2_VERSION) {
        SSL_CTX_set_security_level(ssl->ctx, 0);
    }

    if (!SSL_CTX_set_min_proto_version(ssl->ctx, min)
        || !SSL_CTX_set_max_proto_version(ssl->ctx, max))
    {
        pt_ssl_error(PT_LOG_EMERG, ssl->log, 0,
                     "SSL_CTX_set_min/max_proto_version() failed");
        return PT_ERROR;
    }

    SSL_CTX_set_options(ssl->ctx, SSL_OP_NO_COMPRESSION
                                  | SSL_OP_NO_RENEGOTIATION
                                  | SSL_OP_IGNORE_UNEXPECTED_EOF
                                  | SSL_OP_SINGLE_DH_USE
                                  | SSL_OP_SINGLE_ECDH_USE);
    SSL_CTX_set_mode(ssl->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE
                               | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER
                               | SSL_MODE_RELEASE_BUFFERS
                               | SSL_MODE_NO_AUTO_CHAIN);
    /*
     * Read-ahead: a record comes in one read() instead of its header and
     * then its body.  The buffer it needs is given back when the
     * connection goes idle (pt_ssl_idle), so idle connections stay small.
     */
    SSL_CTX_set_read_ahead(ssl->ctx, 1);

    return PT_OK;
}


int
pt_ssl_create_connection(pt_ssl_t *ssl, pt_connection_t *c, bool server)
{
    pt_ssl_connection_t  *sc = pt_pcalloc(c->pool, sizeof(*sc));

    if (sc == NULL) {
        return PT_ERROR;
    }

    sc->session_ctx = ssl->ctx;
    sc->connection = SSL_new(ssl->ctx);
    if (sc->connection == NULL) {
        pt_ssl_error(PT_LOG_ALERT, c->log, 0, "SSL_new() failed");
        return PT_ERROR;
    }

    if (SSL_set_fd(sc->connection, c->fd) == 0
        || SSL_set_ex_data(sc->connection, pt_ssl_connection_index, c) == 0)
    {
        pt_ssl_error(PT_LOG_ALERT, c->log, 0, "SSL_set_fd() failed");
        SSL_free(sc->connection);
        return PT_ERROR;
    }

    if (server) {
        SSL_set_accept_state(sc->connection);
        sc->early_read = SSL_get_max_early_data(sc->connection) > 0;
    } else {
        SSL_set_connect_state(sc->connection);
        sc->client = 1;
    }

    c->ssl = sc;
    return PT_OK;
}


static void
ssl_handshake_handler(pt_event_t *ev)
{
    pt_connection_t  *c = ev->data;

    if (ev->timedout) {
        if (!c->ssl->client) {
            pt_log_error(PT_LOG_INFO, c->log, ETIMEDOUT,
                         "client timed out in SSL handshake");
        }
        c->timedout = 1;
        c->ssl->no_send_shutdown = 1;
        c->ssl->handler(c);
        return;
    }

    /* Room to write while OpenSSL waits for the peer: nothing to do. */
    if (ev->write && !c->ssl->want_write) {
        return;
    }

    if (pt_ssl_handshake(c) == PT_AGAIN) {
        return;
    }

    c->ssl->handler(c);
}


/*
 * Failures caused by the peer (scanners, old clients): info, not crit;
 * a backend we connected to failing is an error, as nginx logs it.
 */
static void
ssl_handshake_failed(pt_connection_t *c, int sslerr, int err)
{
    unsigned  level = c->ssl->client ? PT_LOG_ERR : PT_LOG_INFO;

    c->ssl->no_send_shutdown = 1;
    c->read->error = 1;
    c->write->error = 1;

    if (sslerr == SSL_ERROR_ZERO_RETURN
        || (sslerr == SSL_ERROR_SYSCALL && ERR_peek_error() == 0))
    {
        ERR_clear_error();
        pt_log_error(level, c->log, err,
                     "peer closed connection in SSL handshake");
        return;
    }

    pt_ssl_error(level, c->log, sslerr == SSL_ERROR_SYSCALL ? err : 0,
                 "SSL_do_handshake() failed");
}


/* From here the connection reads and writes through TLS. */
static int
ssl_handshaked(pt_connection_t *c)
{
    c->ssl->handshaked = 1;
    c->recv = pt_ssl_recv;
    c->send = pt_ssl_send;
    c->send_chain = pt_ssl_send_chain;
    c->sendfile = 0;
    /* The peer may have sent its request with the last flight. */
    c->read->ready = 1;
    c->write->ready = 1;
    return PT_OK;
}


/* WANT_READ/WANT_WRITE mid-handshake: PT_AGAIN, else the failure. */
static int
ssl_handshake_wait(pt_connection_t *c, int sslerr, int err)
{
    if (sslerr == SSL_ERROR_WANT_READ || sslerr == SSL_ERROR_WANT_WRITE) {
        c->ssl->want_write = sslerr == SSL_ERROR_WANT_WRITE;
        if (c->ssl->want_write) {
            c->write->ready = 0;
        } else {
            c->read->ready = 0;
        }
        c->read->handler = ssl_handshake_handler;
        c->write->handler = ssl_handshake_handler;
        return PT_AGAIN;
    }

    ssl_handshake_failed(c, sslerr, err);
    return PT_ERROR;
}


/*
 * One SSL_read_early_data: PT_OK with *n bytes (never 0: OpenSSL says so),
 * PT_DECLINED once the client's early data has ended (the handshake, or
 * SSL_read, goes on from there), PT_ERROR otherwise: SSL_get_error says
 * whether it only has to wait.
 */
static int
ssl_early_data(pt_ssl_connection_t *sc, u_char *buf, size_t size, size_t *n)
{
    ERR_clear_error();

    switch (SSL_read_early_data(sc->connection, buf, size, n)) {
    case SSL_READ_EARLY_DATA_SUCCESS:
        return PT_OK;
    case SSL_READ_EARLY_DATA_FINISH:
        sc->early_read = 0;
        return PT_DECLINED;
    default:
        return PT_ERROR;
    }
}


/*
 * ssl_early_data on: the handshake starts with SSL_read_early_data.  When
 * the client sent 0-RTT data, the request is there before the handshake
 * ends and the connection counts as handshaked at once (PT_OK); with none
 * (or none accepted) the handshake goes on as usual (PT_DECLINED).
 */
static int
ssl_handshake_early(pt_connection_t *c)
{
    pt_ssl_connection_t  *sc = c->ssl;
    u_char                buf[PT_SSL_BUFSIZE];
    size_t                n = 0;
    int                   rc = ssl_early_data(sc, buf, sizeof(buf), &n);

    if (rc == PT_OK) {
        /* At least a byte; kept (only as long as it is) for the first recv. */
        sc->early_buf = pt_pnalloc(c->pool, n);
        if (sc->early_buf == NULL) {
            return PT_ERROR;
        }
        memcpy(sc->early_buf, buf, n);
        sc->early_len = n;
        sc->in_early = 1;
        return ssl_handshaked(c);
    }

    if (rc == PT_DECLINED) {
        return PT_DECLINED;
    }

    int  err = errno;

    return ssl_handshake_wait(c, SSL_get_error(sc->connection, 0), err);
}


int
pt_ssl_handshake(pt_connection_t *c)
{
    pt_ssl_connection_t  *sc = c->ssl;
    int                   rc;

    if (sc->early_read && (rc = ssl_handshake_early(c)) != PT_DECLINED) {
        return rc;
    }

    ERR_clear_error();
    rc = SSL_do_handshake(sc->connection);

    if (rc == 1) {
        return ssl_handshaked(c);
    }

    int  err = errno;

    return ssl_handshake_wait(c, SSL_get_error(sc->connection, rc), err);
}


SSL_CTX *
pt_ssl_session_ctx(SSL *ssl)
{
    pt_connection_t  *c = SSL_get_ex_data(ssl, pt_ssl_connection_index);

    return c && c->ssl ? c->ssl->session_ctx : SSL_get_SSL_CTX(ssl);
}


bool
pt_ssl_early_pending(pt_connection_t *c)
{
    return c->ssl && c->ssl->in_early
           && !SSL_is_init_finished(c->ssl->connection);
}


/*
 * The first request of a connection whose 0-RTT data was accepted came in
 * it, whenever the handshake ended since; a later one only while the
 * handshake still goes on.
 */
bool
pt_ssl_in_early_data(pt_connection_t *c)
{
    return c->ssl && c->ssl->in_early
           && (c->requests <= 1 || pt_ssl_early_pending(c));
}


/*
 * Reading while early data may still come: what the handshake read
 * first, then SSL_read_early_data until the client ends its 0-RTT data;
 * PT_DECLINED once it has (SSL_read finishes the handshake from there).
 */
static ssize_t
ssl_read_early(pt_connection_t *c, u_char *buf, size_t size)
{
    pt_ssl_connection_t  *sc = c->ssl;
    size_t                n = 0;

    if (sc->early_pos < sc->early_len) {
        n = pt_min(size, sc->early_len - sc->early_pos);
        memcpy(buf, sc->early_buf + sc->early_pos, n);
        sc->early_pos += n;
        return (ssize_t) n;
    }

    if (!sc->early_read) {
        return PT_DECLINED;
    }

    int  rc = ssl_early_data(sc, buf, size, &n);

    if (rc != PT_ERROR) {
        return rc == PT_OK ? (ssize_t) n : PT_DECLINED;
    }

    int  sslerr = SSL_get_error(sc->connection, 0);

    if (sslerr == SSL_ERROR_WANT_READ || sslerr == SSL_ERROR_WANT_WRITE) {
        return PT_AGAIN;
    }

    sc->no_send_shutdown = 1;
    pt_ssl_error(PT_LOG_INFO, c->log, 0, "SSL_read_early_data() failed");
    return PT_ERROR;
}


/* One SSL_read; returns bytes, 0 at close_notify/EOF, PT_AGAIN, PT_ERROR. */
static ssize_t
ssl_read_once(pt_connection_t *c, u_char *buf, size_t size)
{
    int  n, sslerr, err;

    if (c->ssl->early_read || c->ssl->early_pos < c->ssl->early_len) {
        ssize_t  e = ssl_read_early(c, buf, size);

        if (e != PT_DECLINED) {
            return e;
        }
    }

    ERR_clear_error();
    n = SSL_read(c->ssl->connection, buf, (int) pt_min(size, INT_MAX));

    if (n > 0) {
        return n;
    }

    err = errno;
    sslerr = SSL_get_error(c->ssl->connection, n);

    switch (sslerr) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        return PT_AGAIN;

    case SSL_ERROR_ZERO_RETURN:
        return 0;

    case SSL_ERROR_SYSCALL:
        if (ERR_peek_error() == 0 && err == 0) {
            return 0;
        }
        /* fall through */

    default:
        c->ssl->no_send_shutdown = 1;
        pt_ssl_error(PT_LOG_INFO, c->log,
                     sslerr == SSL_ERROR_SYSCALL ? err : 0,
                     "SSL_read() failed");
        return PT_ERROR;
    }
}


void
pt_ssl_idle(pt_connection_t *c)
{
    /* Nothing buffered (a pipelined record keeps them): 0, and harmless. */
    (void) SSL_free_buffers(c->ssl->connection);
}


ssize_t
pt_ssl_recv(pt_connection_t *c, u_char *buf, size_t size)
{
    pt_event_t  *rev = c->read;
    size_t       total = 0;

    /*
     * Edge-triggered epoll: the socket must be read until OpenSSL wants
     * more, or no new event comes; a full buffer leaves rev->ready set.
     */
    while (total < size) {
        ssize_t  n = ssl_read_once(c, buf + total, size - total);

        if (n > 0) {
            total += (size_t) n;
            continue;
        }

        if (n == PT_AGAIN) {
            rev->ready = 0;
            return total ? (ssize_t) total : PT_AGAIN;
        }

        if (total) {
            /* Deliver what came first; the next call reports the end. */
            rev->ready = 1;
            if (n == 0) {
                rev->pending_eof = 1;
            }
            return (ssize_t) total;
        }

        rev->ready = 0;

        if (n == 0) {
            rev->eof = 1;
            return 0;
        }

        rev->error = 1;
        return PT_ERROR;
    }

    rev->ready = 1;
    return (ssize_t) total;
}


ssize_t
pt_ssl_send(pt_connection_t *c, const u_char *buf, size_t size)
{
    pt_event_t  *wev = c->write;
    int          n, sslerr, err;

    if (size == 0) {
        return 0;
    }

    ERR_clear_error();

    if (pt_ssl_early_pending(c)) {
        /* The answer to early data leaves before the handshake ends. */
        size_t  written = 0;

        n = SSL_write_early_data(c->ssl->connection, buf, size, &written)
            == 1 ? (int) written : 0;
    } else {
        n = SSL_write(c->ssl->connection, buf, (int) pt_min(size, INT_MAX));
    }

    if (n > 0) {
        c->sent += n;
        return n;
    }

    err = errno;
    sslerr = SSL_get_error(c->ssl->connection, n);

    if (sslerr == SSL_ERROR_WANT_WRITE || sslerr == SSL_ERROR_WANT_READ) {
        wev->ready = 0;
        return PT_AGAIN;
    }

    c->ssl->no_send_shutdown = 1;
    wev->error = 1;
    pt_ssl_error(err == EPIPE || err == ECONNRESET || sslerr != SSL_ERROR_SYSCALL
                 ? PT_LOG_INFO : PT_LOG_ERR, c->log,
                 sslerr == SSL_ERROR_SYSCALL ? err : 0, "SSL_write() failed");
    return PT_ERROR;
}


/*
 * Copies the next bytes of in (memory or file) into buf without consuming
 * them: the chain advances only by what SSL_write took, so a retry after
 * WANT_WRITE offers the same bytes again, as OpenSSL requires.  Returns
 * the bytes gathered, or -1 when a file read failed.
 */
static ssize_t
ssl_gather(pt_connection_t *c, pt_chain_t *in, u_char *buf, size_t size)
{
    size_t  n = 0;

    for (pt_chain_t *cl = in; cl && n < size; cl = cl->next) {
        pt_buf_t  *b = cl->buf;

        if (pt_buf_special(b)) {
            continue;
        }

        size_t  part = (size_t) pt_min(pt_buf_size(b), (off_t) (size - n));

        if (part == 0) {
            continue;
        }

        if (pt_buf_in_memory(b)) {
            memcpy(buf + n, b->pos, part);
            n += part;
            continue;
        }

        ssize_t  r = pread(b->file->fd, buf + n, part, b->file_pos);

        if (r <= 0) {
            pt_log_error(PT_LOG_CRIT, c->log, r == 0 ? 0 : errno,
                         "pread() \"%.*s\" failed%s",
                         PT_STR_ARG(b->file->name),
                         r == 0 ? ": file was truncated" : "");
            return -1;
        }

        n += (size_t) r;
        if ((size_t) r < part) {
            break;
        }
    }

    return (ssize_t) n;
}


pt_chain_t *
pt_ssl_send_chain(pt_connection_t *c, pt_chain_t *in, off_t limit)
{
    /*
     * One buffer per process: it is refilled from the chain on every
     * call (the chain only advances by what SSL_write took), so no
     * connection, idle ones least of all, needs a buffer of its own.
     */
    static u_char  buf[PT_SSL_BUFSIZE];

    if (limit <= 0) {
        limit = (off_t) 1 << 40;
    }

    while (in && limit > 0) {
        ssize_t  size = ssl_gather(c, in, buf,
                                   (size_t) pt_min(limit, PT_SSL_BUFSIZE));

        if (size < 0) {
            return PT_CHAIN_ERROR;
        }

        if (size == 0) {
            /* Only empty or special buffers are left. */
            return pt_chain_update_sent(in, 0);
        }

        ssize_t  n = pt_ssl_send(c, buf, (size_t) size);

        if (n == PT_ERROR) {
            return PT_CHAIN_ERROR;
        }

        if (n == PT_AGAIN) {
            return in;
        }

        in = pt_chain_update_sent(in, n);
        limit -= n;
    }

    return in;
}


void
pt_ssl_shutdown(pt_connection_t *c)
{
    pt_ssl_connection_t  *sc = c->ssl;

    if (SSL_get_shutdown(sc->connection) & SSL_SENT_SHUTDOWN) {
        return;
    }

    if (!sc->handshaked || sc->no_send_shutdown || c->timedout || c->error
        || c->read->error || c->write->error)
    {
        SSL_set_quiet_shutdown(sc->connection, 1);
    } else {
        /* One try: a peer that does not read gets no close_notify. */
        ERR_clear_error();
        (void) SSL_shutdown(sc->connection);
    }

    ERR_clear_error();
}


void
pt_ssl_free_connection(pt_connection_t *c)
{
    pt_ssl_connection_t  *sc = c->ssl;

    if (sc == NULL) {
        return;
    }

    pt_ssl_shutdown(c);
    /* Marked shut down either way: OpenSSL keeps the session resumable. */
    SSL_set_quiet_shutdown(sc->connection, 1);
    SSL_set_shutdown(sc->connection, SSL_SENT_SHUTDOWN | SSL_RECEIVED_SHUTDOWN);
    SSL_free(sc->connection);
    c->ssl = NULL;
}
