/* SPDX-License-Identifier: BSD-2-Clause */
/* Shared by the proxy module's files: its location conf and request state. */
#ifndef PT_HTTP_PROXY_H
#define PT_HTTP_PROXY_H

#include "pt_http_upstream.h"
#include "pt_http_upstream_parse.h"

#define PROXY_NEXT_ERROR          0x0002
#define PROXY_NEXT_TIMEOUT        0x0004
#define PROXY_NEXT_INVALID_HEADER 0x0008
#define PROXY_NEXT_HTTP_500       0x0010
#define PROXY_NEXT_HTTP_502       0x0020
#define PROXY_NEXT_HTTP_503       0x0040
#define PROXY_NEXT_HTTP_504       0x0080
#define PROXY_NEXT_HTTP_403       0x0100
#define PROXY_NEXT_HTTP_404       0x0200
#define PROXY_NEXT_HTTP_429       0x0400
#define PROXY_NEXT_NON_IDEMPOTENT 0x0800
#define PROXY_NEXT_OFF            0x0001

/* The parts of "http://host[:port][/uri]". */
typedef struct {
    pt_str_t    proxy_host;     /* host[:port] as written: $proxy_host */
    pt_str_t    host;           /* without the port */
    pt_str_t    port;           /* "80" when absent */
    in_port_t   port_n;
    unsigned    has_port:1;
    unsigned    has_uri:1;
    unsigned    ssl:1;          /* https:// (port 443 when absent) */
    pt_str_t    uri;
} proxy_url_t;

/* Splits a proxy_pass URL; NULL, or a static error message. */
const char *pt_http_proxy_split_url(const pt_str_t *url, proxy_url_t *u);

typedef struct {
    pt_str_t                  name;        /* as given, e.g. "X-Real-IP" */
    pt_http_complex_value_t   value;
} proxy_header_t;

typedef struct proxy_ssl_sessions_s  proxy_ssl_sessions_t;
typedef struct proxy_cache_ctx_s     proxy_cache_ctx_t;

typedef struct {
    pt_str_t                      url;          /* proxy_pass argument */
    pt_http_upstream_srv_conf_t  *upstream;     /* NULL: url_cv at run time */
    pt_http_complex_value_t      *url_cv;
    pt_str_t                      host;         /* $proxy_host */
    pt_str_t                      port;         /* $proxy_port */
    pt_str_t                      uri;          /* URI part of the URL */
    pt_str_t                      location;     /* location name it is in */
    unsigned                      has_uri:1;
    unsigned                      regex_location:1;

    pt_array_t                   *set_headers;  /* proxy_header_t */
    pt_array_t                   *hide_headers; /* pt_str_t, lower case */
    pt_array_t                   *pass_headers;
    int                           http_version; /* 1000 or 1001 */
    int                           pass_request_headers;
    int                           pass_request_body;
    int                           request_buffering;
    int                           intercept_errors;
    int                           redirect;     /* 1: default, 0: off */
    pt_array_t                   *redirects;    /* pairs of pt_str_t */

    pt_msec_t                     connect_timeout;
    pt_msec_t                     send_timeout;
    pt_msec_t                     read_timeout;
    int                           next_upstream;
    int                           next_upstream_tries;
    pt_msec_t                     next_upstream_timeout;

    int                           buffering;
    size_t                        buffer_size;
    pt_conf_bufs_t                bufs;         /* proxy_buffers */
    size_t                        busy_buffers_size;
    size_t                        max_temp_file_size;   /* unused */
    size_t                        temp_file_write_size; /* unused */
    pt_http_complex_value_t      *bind;         /* proxy_bind; NULL: off */
    int                           bind_transparent;
    pt_msec_t                     upstream_wait;
    int                           upstream_wait_queue;

    unsigned                      ssl_url:1;    /* proxy_pass https:// */
    pt_ssl_t                      ssl;          /* ctx NULL: no TLS here */
    int                           ssl_server_name;
    pt_http_complex_value_t      *ssl_name;     /* NULL: $proxy_host */
    int                           ssl_verify;
    int                           ssl_verify_depth;
    pt_str_t                      ssl_trusted_certificate;
    unsigned                      ssl_protocols;  /* PT_SSL_* */
    pt_str_t                      ssl_ciphers;
    int                           ssl_session_reuse;
    pt_str_t                      ssl_certificate;
    pt_str_t                      ssl_certificate_key;
    proxy_ssl_sessions_t         *ssl_sessions; /* NULL: no reuse */
} proxy_loc_conf_t;

typedef struct {
    pt_http_request_t            *r;
    proxy_loc_conf_t             *plcf;
    pt_http_upstream_srv_conf_t  *us;
    pt_connection_t              *pc;           /* to the backend */
    pt_http_upstream_peer_t      *peer;
    uint64_t                     *tried;        /* bitmap of peers tried */
    uint64_t                      tried_word;   /* it, up to 64 peers */
    unsigned                      tries;
    pt_msec_t                     started;      /* first try */
    pt_msec_t                     try_started;
    pt_array_t                   *states;       /* = r->upstream_states */
    pt_str_t                      host;         /* $proxy_host of this try */
    pt_str_t                      url_uri;      /* proxy_pass with variables */
    unsigned                      url_has_uri:1;
    unsigned                      ssl:1;        /* https to the backend */
    pt_str_t                      ssl_name;     /* SNI and verified name */

    pt_str_t                      uri;          /* as sent to the backend */
    pt_chain_t                   *request;      /* head + body, to send */
    pt_buf_t                     *head;         /* the request head */
    pt_chain_t                   *out;          /* what is left to send */

    pt_buf_t                     *header_in;    /* the response head */
    pt_http_parse_t               parse;
    pt_http_status_t              status;
    unsigned                      status_done:1;
    unsigned                      request_sent:1;  /* this try began sending */
    unsigned                      header_sent:1;   /* to the client */
    unsigned                      reused:1;        /* pc came from the cache */
    unsigned                      upstream_keepalive:1;
    unsigned                      chunked:1;
    unsigned                      eof:1;
    unsigned                      done:1;
    unsigned                      no_body:1;

    off_t                         rest;          /* -1: to EOF or chunked */
    pt_http_chunked_t             decoder;

    pt_event_t                    wait_ev;       /* proxy_upstream_wait */
    pt_msec_t                     wait_delay;
    size_t                        wait_next;
    unsigned                      waiting:1;

    pt_buf_t                     *tunnel_up;     /* client to backend */
    pt_buf_t                     *tunnel_down;   /* backend to client */
    unsigned                      tunnel:1;

    pt_buf_t                    **bufs;          /* proxy_buffers */
    unsigned                      nbufs;
    pt_chain_t                   *pending;       /* read, not yet passed on */
    pt_chain_t                  **pending_last;

    unsigned                      body_sent:1;     /* unbuffered: all queued */
    unsigned                      body_consumed:1; /* ... cannot be replayed */
    unsigned                      body_waiting:1;  /* ... for the client */

    pt_array_t                   *connection_options; /* the backend's */
    proxy_cache_ctx_t            *cache;         /* NULL: not cached */
    unsigned                      background:1;  /* client answered already */
    unsigned                      head_as_get:1; /* proxy_cache_convert_head */
} proxy_ctx_t;

extern pt_module_t  pt_http_proxy_module;

/* The URI to send: nginx's rules for proxy_pass with and without a URI. */
int pt_http_proxy_uri(proxy_ctx_t *ctx, pt_str_t *uri);

/* Builds ctx->request (head, and the body when passed); PT_OK/PT_ERROR. */
int pt_http_proxy_create_request(proxy_ctx_t *ctx);

/*
 * Turns the backend's head in ctx->header_in into r->headers_out
 * (hiding, hop-by-hop removal, redirects); PT_OK, PT_DECLINED for an
 * invalid head, or PT_ERROR.
 */
int pt_http_proxy_process_header(proxy_ctx_t *ctx);

/* Empties r->headers_out before a head (backend's or stored) fills it. */
void pt_http_proxy_reset_headers_out(pt_http_request_t *r);

/* Starts relaying the body after the head went to the client. */
void pt_http_proxy_relay_start(proxy_ctx_t *ctx);

/*
 * The client's write event: sends what waits in r->out, arming
 * send_timeout while some is left.  PT_OK, or PT_ERROR (timed out or
 * failed; c->timedout says which).
 */
int pt_http_proxy_flush_client(pt_http_request_t *r);

/* Reads more of the body from the backend and passes it on. */
void pt_http_proxy_relay_read(proxy_ctx_t *ctx);

/* Starts a try on peer (a cached connection or a new one). */
void proxy_connect_to(proxy_ctx_t *ctx, pt_http_upstream_peer_t *peer);

/* After a 101: relays bytes both ways; PT_OK or PT_ERROR. */
int pt_http_proxy_tunnel_start(proxy_ctx_t *ctx);

/* A backend event while tunnelling. */
void pt_http_proxy_tunnel_event(proxy_ctx_t *ctx, pt_event_t *ev);

/* proxy_ssl_name (pt_command_t.set): a complex value. */
int pt_http_proxy_ssl_set_name(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);

/*
 * Inherits the proxy_ssl_* settings from prev and, where proxy_pass is
 * https:// or has variables, builds the client context (freed with the
 * cycle pool).  PT_OK or PT_ERROR (reported).
 */
int pt_http_proxy_ssl_merge(pt_conf_t *cf, proxy_loc_conf_t *prev,
    proxy_loc_conf_t *conf);

/*
 * Sets ctx->ssl_name (NUL-terminated, r->pool): proxy_ssl_name or
 * $proxy_host, without a port.  PT_OK or PT_ERROR.
 */
int pt_http_proxy_ssl_name(proxy_ctx_t *ctx);

/*
 * Attaches a client TLS session to the new ctx->pc: SNI, the session to
 * resume, the tag the keepalive cache matches.  PT_OK or PT_ERROR.
 */
int pt_http_proxy_ssl_start(proxy_ctx_t *ctx);

/*
 * After the handshake: with proxy_ssl_verify, checks the chain result and
 * the name; PT_OK, or PT_ERROR logged as nginx words it.
 */
int pt_http_proxy_ssl_verify(proxy_ctx_t *ctx);

/* Ends the backend side: keeps or closes pc, finalizes r with rc. */
void pt_http_proxy_finish(proxy_ctx_t *ctx, int rc);

/*
 * proxy_request_buffering off (pt_http_proxy_body.c).  streams: the body
 * is read as it is sent.  append: links what the body buffer holds
 * (framed) at **ll.  next: after all queued was sent, sets ctx->out to
 * more (PT_OK), or says the body is all sent (PT_DONE), the client is
 * awaited (PT_AGAIN; the body's data_handler resumes), or a status.
 */
bool pt_http_proxy_body_streams(proxy_ctx_t *ctx);
int pt_http_proxy_body_append(proxy_ctx_t *ctx, pt_chain_t ***ll);
int pt_http_proxy_body_next(proxy_ctx_t *ctx);

/* Builds the request and connects (after the cache had its say). */
void pt_http_proxy_upstream_start(proxy_ctx_t *ctx);

/* Lets go of the backend connection and the peer (failed: counts). */
void pt_http_proxy_close_peer(proxy_ctx_t *ctx, bool failed);

/*
 * proxy_cache (pt_http_proxy_cache*.c).  start: before the request goes
 * upstream; PT_DONE when the cache answers (or holds the request for a
 * lock), PT_DECLINED to fetch.  response: with the backend's status, before
 * its head is used; PT_DONE when a 304 refreshed the copy or a stale copy
 * answers instead.  store_start: after the head, opens the entry when the
 * response may be stored; body: its bytes.  finish: in
 * pt_http_proxy_finish, seals or drops the entry; true when a stale copy
 * answers an upstream failure (*rc) instead; *rc may change.  cleanup:
 * the request's pool goes.
 */
int pt_http_proxy_cache_start(proxy_ctx_t *ctx);
int pt_http_proxy_cache_response(proxy_ctx_t *ctx);
void pt_http_proxy_cache_store_start(proxy_ctx_t *ctx);
void pt_http_proxy_cache_body(proxy_ctx_t *ctx, const u_char *p, size_t len);
bool pt_http_proxy_cache_finish(proxy_ctx_t *ctx, int *rc);
void pt_http_proxy_cache_cleanup(proxy_ctx_t *ctx);

/* Request lines the cache adds (revalidation) and fields it keeps back. */
pt_str_t pt_http_proxy_cache_lines(proxy_ctx_t *ctx);
bool pt_http_proxy_cache_strips(proxy_ctx_t *ctx, const pt_str_t *lc);

#endif /* PT_HTTP_PROXY_H */
