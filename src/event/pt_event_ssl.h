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
    SSL_CTX                  *session_ctx;  /* the one it began with: SNI
                                               may switch, sessions stay */
    pt_connection_handler_pt  handler;      /* after the handshake (or not) */

    /* A client session (to a backend) kept for reuse: who made it, how. */
    const void               *tag;          /* the settings it was made with */
    pt_str_t                  name;         /* the server name it was for */

    unsigned                  handshaked:1;
    unsigned                  no_send_shutdown:1;
    unsigned                  client:1;     /* we connected: errors are ours */
    unsigned                  want_write:1; /* the handshake waits to write */

    /*
     * TLS 1.3 early data (ssl_early_data on): early_read while the
     * client's 0-RTT data may still come (SSL_read_early_data); in_early
     * once some was accepted, until the handshake ends.  Data read during
     * the handshake waits in early_buf for the first recv.
     */
    unsigned                  early_read:1;
    unsigned                  in_early:1;
    u_char                   *early_buf;
    size_t                    early_pos;
    size_t                    early_len;
};

/* Protocol bits for pt_ssl_create (ssl_protocols). */
#define PT_SSL_TLSv1    0x02
#define PT_SSL_TLSv1_1  0x04
#define PT_SSL_TLSv1_2  0x08
#define PT_SSL_TLSv1_3  0x10

/*
 * 0-RTT was accepted and the handshake is still going on: the client's
 * last flight may be unread, so closing needs a lingering close.
 */
bool pt_ssl_early_pending(pt_connection_t *c);

/*
 * True when the request being handled came as TLS 1.3 early data
 * ($ssl_early_data): it may be a replay.
 */
bool pt_ssl_in_early_data(pt_connection_t *c);

/*
 * The context ssl began with, whose session cache and ticket keys it
 * uses (OpenSSL keeps them there after SNI picked another server).
 */
SSL_CTX *pt_ssl_session_ctx(SSL *ssl);

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
 * Makes ssl's context trust the CA certificates in ca1 and ca2 and check
 * the CRLs in crl (any may be NULL or empty).  Contexts given the same
 * files share one certificate store, built once and freed with the last
 * of pool and the contexts (pt_event_ssl_trust.c).  PT_OK or PT_ERROR
 * (logged, naming the file as nginx does).
 */
int pt_ssl_trust(pt_ssl_t *ssl, const pt_str_t *ca1, const pt_str_t *ca2,
    const pt_str_t *crl, pt_pool_t *pool);

/*
 * Logs the OpenSSL error queue appended to fmt at level, then clears it.
 * err is an errno or 0.
 */
void pt_ssl_error(unsigned level, pt_log_t *log, int err, const char *fmt,
    ...) __attribute__((format(printf, 4, 5)));

/*
 * Attaches a TLS session over c's socket (server side: accept state;
 * otherwise connect state, with handshake failures logged at error and
 * a timeout left to c->ssl->handler); the SSL object is freed when c is
 * closed.  PT_OK or PT_ERROR.
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

/* A keep-alive connection waits: OpenSSL's empty buffers are freed. */
void pt_ssl_idle(pt_connection_t *c);
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

/* ssl_session_cache modes (pt_ssl_session_cache). */
#define PT_SSL_CACHE_UNSET    0
#define PT_SSL_CACHE_OFF      1      /* no resumption by session id */
#define PT_SSL_CACHE_NONE     2      /* nginx's default: nothing stored */
#define PT_SSL_CACHE_ON       3      /* builtin and/or shared */

/*
 * Declares the shared zone of `ssl_session_cache shared:NAME:SIZE`;
 * NULL with the error reported.
 */
pt_shm_zone_t *pt_ssl_session_cache_zone(pt_conf_t *cf, const pt_str_t *name,
    size_t size);

/*
 * Sets up session resumption by id on ssl's context: mode PT_SSL_CACHE_*,
 * zone (may be NULL) the shared cache every worker and the next image
 * use, builtin (0: none) OpenSSL's per-process cache size, timeout in
 * seconds.  PT_OK or PT_ERROR.
 */
int pt_ssl_session_cache(pt_ssl_t *ssl, int mode, pt_shm_zone_t *zone,
    size_t builtin, time_t timeout);

/*
 * Encrypts session tickets with the keys in files (full paths, nginx's
 * 48- or 80-byte format): the first encrypts, all decrypt.  The keys live
 * in pool.  PT_OK or PT_ERROR (logged).
 */
int pt_ssl_session_ticket_keys(pt_ssl_t *ssl, const pt_array_t *files,
    pt_pool_t *pool);

#endif /* PT_EVENT_SSL_H */
