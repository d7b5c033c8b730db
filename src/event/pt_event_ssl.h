/* SPDX-License-Identifier: BSD-2-Clause */
/* TLS over a connection: contexts, non-blocking handshake and record I/O. */
#ifndef PT_EVENT_SSL_H
#define PT_EVENT_SSL_H

#include <openssl/ssl.h>
#include <openssl/err.h>

/* Largest plaintext we gather for one SSL_write (one full TLS record). */
#define PT_SSL_BUFSIZE  16384

/* A TLS context and the log its errors go to. */
typedef struct {
    SSL_CTX    *ctx;
    pt_log_t   *log;
} pt_ssl_t;

struct pt_ssl_connection_s {
    SSL                      *connection;
    pt_connection_handler_pt  handler;      /* after the handshake (or not) */
    u_char                   *buf;          /* PT_SSL_BUFSIZE, lazily */

    unsigned                  handshaked:1;
    unsigned                  no_send_shutdown:1;
};

/* Protocol bits for pt_ssl_create (ssl_protocols). */
#define PT_SSL_TLSv1    0x02
#define PT_SSL_TLSv1_1  0x04
#define PT_SSL_TLSv1_2  0x08
#define PT_SSL_TLSv1_3  0x10

/* The SSL_CTX ex_data slot holding the pt_ssl_t (-1 before init). */
extern int  pt_ssl_ctx_index;
/* The SSL ex_data slot holding the pt_connection_t. */
extern int  pt_ssl_connection_index;

/* Initializes OpenSSL's indexes once per process; PT_OK or PT_ERROR. */
int pt_ssl_init(pt_log_t *log);

/*
 * Creates a server (server true) or client context allowing the protocols
 * in the PT_SSL_* mask, with Portico's fixed options (no renegotiation,
 * no compression, partial writes, released idle buffers).  The context is
 * freed with pool.  PT_OK or PT_ERROR (logged).
 */
int pt_ssl_create(pt_ssl_t *ssl, unsigned protocols, bool server,
    pt_pool_t *pool);

/*
 * Logs the OpenSSL error queue appended to fmt at level, then clears it.
 * err is an errno or 0.
 */
void pt_ssl_error(unsigned level, pt_log_t *log, int err, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

/*
 * Attaches a TLS session over c's socket (server side: accept state); the
 * SSL object is freed when c is closed.  PT_OK or PT_ERROR.
 */
int pt_ssl_create_connection(pt_ssl_t *ssl, pt_connection_t *c, bool server);

/*
 * Advances the handshake.  PT_OK: done, c->recv/send/send_chain now speak
 * TLS.  PT_AGAIN: c's event handlers are set to continue it and to call
 * c->ssl->handler(c) when it ends, either way (check c->ssl->handshaked;
 * a timed-out read event ends it too).  PT_ERROR: failed (logged at info).
 */
int pt_ssl_handshake(pt_connection_t *c);

/* TLS versions of the connection I/O hooks (pt_connection.h contracts). */
ssize_t pt_ssl_recv(pt_connection_t *c, u_char *buf, size_t size);
ssize_t pt_ssl_send(pt_connection_t *c, const u_char *buf, size_t size);
pt_chain_t *pt_ssl_send_chain(pt_connection_t *c, pt_chain_t *in,
    off_t limit);

/* Sends close_notify once, if the session is healthy and it was not sent. */
void pt_ssl_shutdown(pt_connection_t *c);

/*
 * Sends close_notify when the session is healthy (one non-blocking try)
 * and frees the SSL object; c->ssl is NULL afterwards.  Called by
 * pt_close_connection() before the socket closes.
 */
void pt_ssl_free_connection(pt_connection_t *c);

#endif /* PT_EVENT_SSL_H */
