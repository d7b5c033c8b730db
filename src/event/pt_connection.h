/* SPDX-License-Identifier: BSD-2-Clause */
/* Connections and listening sockets. */
#ifndef PT_CONNECTION_H
#define PT_CONNECTION_H

typedef void (*pt_connection_handler_pt)(pt_connection_t *c);

struct pt_listening_s {
    int                       fd;
    struct sockaddr_storage   sockaddr;
    socklen_t                 socklen;
    pt_str_t                  addr_text;     /* "127.0.0.1:8080" */
    int                       backlog;
    int                       rcvbuf;
    int                       sndbuf;
    int                       keepidle;      /* so_keepalive=, 0: default */
    int                       keepintvl;
    int                       keepcnt;
    int                       type;          /* SOCK_STREAM */
    pt_connection_handler_pt  handler;       /* after accept */
    void                     *servers;       /* http: pt_http_port_t */
    pt_log_t                 *log;
    pt_connection_t          *connection;    /* per worker, for the accept event */
    size_t                    pool_size;

    unsigned                  reuseport:1;
    unsigned                  so_keepalive:2;    /* 1: on, 2: off */
    unsigned                  ipv6only:1;
    unsigned                  ssl:1;
    unsigned                  inherited:1;
    unsigned                  deferred_accept:1;
    unsigned                  open:1;
};

/* Low-level I/O, replaceable (TLS). */
typedef ssize_t (*pt_recv_pt)(pt_connection_t *c, u_char *buf, size_t size);
typedef ssize_t (*pt_send_pt)(pt_connection_t *c, const u_char *buf,
    size_t size);
/* Sends as much of in as possible; returns the rest, or PT_CHAIN_ERROR. */
typedef pt_chain_t *(*pt_send_chain_pt)(pt_connection_t *c, pt_chain_t *in,
    off_t limit);

#define PT_CHAIN_ERROR  ((pt_chain_t *) PT_ERROR)

struct pt_connection_s {
    void                *data;       /* free list link, or the request */
    pt_event_t          *read;
    pt_event_t          *write;
    int                  fd;

    pt_recv_pt           recv;
    pt_send_pt           send;
    pt_send_chain_pt     send_chain;

    pt_listening_t      *listening;
    off_t                sent;
    pt_log_t            *log;
    pt_pool_t           *pool;

    struct sockaddr     *sockaddr;
    socklen_t            socklen;
    pt_str_t             addr_text;       /* "127.0.0.1" */
    struct sockaddr     *local_sockaddr;
    socklen_t            local_socklen;

    pt_buf_t            *buffer;          /* header/pipelining buffer */
    pt_queue_t           queue;           /* reusable (idle keep-alive) */
    uint64_t             number;
    pt_msec_t            start_time;
    pt_msec_t            timeout;         /* per-state wait, e.g. lingering */
    unsigned             requests;

    pt_ssl_connection_t *ssl;            /* NULL: plain TCP */

    unsigned             destroyed:1;
    unsigned             idle:1;
    unsigned             reusable:1;
    unsigned             close:1;
    unsigned             shared:1;
    unsigned             timedout:1;
    unsigned             error:1;
    unsigned             sendfile:1;
    unsigned             tcp_nodelay:2;   /* PT_TCP_NODELAY_* */
    unsigned             tcp_nopush:2;
    unsigned             need_last_buf:1;
};

#define PT_TCP_NODELAY_UNSET    0
#define PT_TCP_NODELAY_SET      1
#define PT_TCP_NODELAY_DISABLED 2
#define PT_TCP_NOPUSH_UNSET     0
#define PT_TCP_NOPUSH_SET       1
#define PT_TCP_NOPUSH_DISABLED  2

extern uint64_t  pt_connection_counter;

/*
 * Takes a free connection for fd (PT_ERROR-free: NULL and a logged alert
 * when worker_connections are exhausted; idle keep-alive connections are
 * reclaimed first).
 */
pt_connection_t *pt_get_connection(int fd, pt_log_t *log);

/* Returns a connection to the free list; the fd is not closed. */
void pt_free_connection(pt_connection_t *c);

/* Closes fd, deletes timers and posted events, frees the connection. */
void pt_close_connection(pt_connection_t *c);

/* Marks an idle connection reclaimable when connections run out. */
void pt_reusable_connection(pt_connection_t *c, bool reusable);

/* Socket I/O over plain TCP. */
ssize_t pt_unix_recv(pt_connection_t *c, u_char *buf, size_t size);
ssize_t pt_unix_send(pt_connection_t *c, const u_char *buf, size_t size);
pt_chain_t *pt_linux_send_chain(pt_connection_t *c, pt_chain_t *in,
    off_t limit);

int pt_tcp_nodelay(pt_connection_t *c);
int pt_tcp_nopush(pt_connection_t *c);
int pt_tcp_push(pt_connection_t *c);

/* True in an image started by a reload (src/os/pt_reload.c). */
bool pt_reload_inherited(void);

/*
 * Creates/binds/listens every listener not yet open; PT_OK or PT_ERROR.
 * After a reload a listener that cannot be bound is logged and skipped.
 */
int pt_open_listening_sockets(pt_cycle_t *cycle);

#endif /* PT_CONNECTION_H */
