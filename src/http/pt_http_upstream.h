/* SPDX-License-Identifier: BSD-2-Clause */
/* Upstream groups: upstream { } blocks, their peers, balancing and idle pools. */
#ifndef PT_HTTP_UPSTREAM_H
#define PT_HTTP_UPSTREAM_H

typedef struct {
    struct sockaddr_storage  sockaddr;
    socklen_t                socklen;
    pt_str_t                 name;             /* "127.0.0.1:3000" */
    pt_str_t                 server;           /* as configured */

    int                      weight;
    int                      effective_weight;
    int                      current_weight;
    int                      max_fails;
    pt_msec_t                fail_timeout;
    int                      max_conns;

    /* state (per worker until the zones issue shares it) */
    int                      fails;
    pt_msec_t                checked;          /* start of the fail window */
    pt_msec_t                down_until;
    int                      conns;

    unsigned                 down:1;
    unsigned                 backup:1;
} pt_http_upstream_peer_t;

typedef struct {
    pt_http_upstream_peer_t  *peers;
    size_t                    npeers;
    int                       total_weight;
} pt_http_upstream_peers_t;

typedef struct pt_http_upstream_srv_conf_s  pt_http_upstream_srv_conf_t;

struct pt_http_upstream_srv_conf_s {
    pt_str_t                  name;            /* block name or host:port */
    pt_str_t                  file_name;
    unsigned                  line;
    in_port_t                 port;            /* implicit: from the URL */

    pt_array_t                servers;         /* pt_http_upstream_peer_t */
    pt_http_upstream_peers_t  primary;
    pt_http_upstream_peers_t  backup;

    int                       keepalive;       /* idle connections kept */
    int                       keepalive_requests;
    pt_msec_t                 keepalive_timeout;
    pt_queue_t                idle;            /* cached connections */
    int                       nidle;

    unsigned                  implicit:1;      /* made from a proxy_pass URL */
    unsigned                  defined:1;       /* an upstream { } exists */
};

/* What a tried peer left for $upstream_addr, $upstream_status ... */
typedef struct {
    pt_str_t    addr;
    unsigned    status;                        /* 0: no response, 502 ... */
    pt_msec_t   connect_time;                  /* -1 when not connected */
    pt_msec_t   header_time;
    pt_msec_t   response_time;
} pt_http_upstream_state_t;

extern pt_module_t  pt_http_upstream_module;

/*
 * Finds or creates the upstream named by a proxy_pass URL's host part
 * (host[:port]).  An upstream { } of that name (possibly declared later)
 * wins; otherwise the name is resolved at the end of http { } into one
 * peer per address.  NULL on allocation failure.
 */
pt_http_upstream_srv_conf_t *pt_http_upstream_add(pt_conf_t *cf,
    const pt_str_t *host, in_port_t port, bool has_port);

/*
 * Picks a peer by smooth weighted round robin among the live primary
 * peers, then the backups; tried is a bitmap of peers already tried for
 * this request (index i of primary, then npeers + i of backup).  NULL when
 * none is usable.
 */
pt_http_upstream_peer_t *pt_http_upstream_get_peer(
    pt_http_upstream_srv_conf_t *us, uint64_t *tried);

/* Records the outcome of a try: failed counts against max_fails. */
void pt_http_upstream_free_peer(pt_http_upstream_peer_t *peer, bool failed);

/*
 * An idle connection to peer from the keepalive cache (removed from it),
 * or NULL.  pt_http_upstream_keep() puts a reusable one back (or closes
 * it when the cache is full or the connection is spent).
 */
pt_connection_t *pt_http_upstream_cached(pt_http_upstream_srv_conf_t *us,
    pt_http_upstream_peer_t *peer);
void pt_http_upstream_keep(pt_http_upstream_srv_conf_t *us,
    pt_connection_t *c);

/*
 * At run time (proxy_pass with variables): the upstream { } named host, an
 * upstream made for the same host:port by another proxy_pass, or a
 * one-peer upstream in r->pool when host is an address.  NULL for a name
 * that would need resolving.
 */
pt_http_upstream_srv_conf_t *pt_http_upstream_find(pt_http_request_t *r,
    const pt_str_t *host, in_port_t port, bool has_port);

/* Closes a backend connection and frees its pool. */
void pt_http_upstream_close(pt_connection_t *c);

#endif /* PT_HTTP_UPSTREAM_H */
