/* SPDX-License-Identifier: BSD-2-Clause */
/* Upstream groups: upstream { } blocks, their peers, balancing and idle pools. */
#ifndef PT_HTTP_UPSTREAM_H
#define PT_HTTP_UPSTREAM_H

/*
 * What workers learn about a peer at run time.  Without a zone each worker
 * keeps its own (as nginx); with `zone` it lives in shared memory and is
 * updated with atomics, so all workers see one peer state.
 */
typedef struct {
    int                      fails;
    int                      conns;
    pt_msec_t                checked;          /* start of the fail window */
    pt_msec_t                down_until;
    int                      checked_down;     /* failed its health check */
} pt_http_upstream_peer_state_t;

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

    pt_http_upstream_peer_state_t  *state;     /* &local, or in the zone */
    pt_http_upstream_peer_state_t   local;

    unsigned                 down:1;
    unsigned                 backup:1;
} pt_http_upstream_peer_t;

typedef struct {
    pt_http_upstream_peer_t  *peers;
    size_t                    npeers;
    int                       total_weight;
} pt_http_upstream_peers_t;

typedef struct pt_http_upstream_srv_conf_s  pt_http_upstream_srv_conf_t;

/*
 * A balancer (least_conn, ip_hash, hash, random): get picks a usable peer
 * not yet in tried and marks it there (pt_http_upstream_mark), or returns
 * NULL; init runs once the peers are split into primary and backup, at
 * the end of http { } (PT_OK or PT_ERROR, reported).
 */
typedef pt_http_upstream_peer_t *(*pt_http_upstream_get_pt)(
    pt_http_upstream_srv_conf_t *us, pt_http_request_t *r, uint64_t *tried);
typedef int (*pt_http_upstream_init_pt)(pt_conf_t *cf,
    pt_http_upstream_srv_conf_t *us);

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

    const char               *balancer;        /* NULL: round robin */
    pt_http_upstream_get_pt   get;
    pt_http_upstream_init_pt  init;
    void                     *balancer_data;
    pt_shm_zone_t            *zone;            /* `zone`: shared peer state */

    unsigned                  no_backup:1;     /* the balancer has none */
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
 * Picks a peer for r with the upstream's balancer (smooth weighted round
 * robin by default) and counts a connection to it; tried is the bitmap
 * (pt_http_upstream_tried_words) of peers already tried for this request
 * (index i of primary, then npeers + i of backup).  NULL when none is
 * usable.
 */
pt_http_upstream_peer_t *pt_http_upstream_get_peer(
    pt_http_upstream_srv_conf_t *us, pt_http_request_t *r, uint64_t *tried);

/*
 * Smooth weighted round robin among the usable primary peers not in
 * tried, then the backups; marks the pick in tried.  NULL when none is
 * usable.  The fallback of every other balancer.
 */
pt_http_upstream_peer_t *pt_http_upstream_rr(pt_http_upstream_srv_conf_t *us,
    uint64_t *tried);

/*
 * True when p may take a request now: not down, not failing its health
 * check, under max_conns, and not resting after max_fails failures.
 */
bool pt_http_upstream_peer_usable(const pt_http_upstream_peer_t *p);

/* True when an active health check (health_check) took p out. */
static inline bool
pt_http_upstream_peer_checked_down(const pt_http_upstream_peer_t *p)
{
    return __atomic_load_n(&p->state->checked_down, __ATOMIC_RELAXED) != 0;
}

/* Counts one more connection to p (pt_http_upstream_free_peer undoes it). */
static inline void
pt_http_upstream_peer_acquire(pt_http_upstream_peer_t *p)
{
    __atomic_add_fetch(&p->state->conns, 1, __ATOMIC_RELAXED);
}

/* The active connections to p (of all workers when in a zone). */
static inline int
pt_http_upstream_peer_conns(const pt_http_upstream_peer_t *p)
{
    return __atomic_load_n(&p->state->conns, __ATOMIC_RELAXED);
}

/*
 * The tried bitmap: bit i of word i / 64, a word for each 64 peers of the
 * upstream (primary and backup).
 */
static inline size_t
pt_http_upstream_tried_words(const pt_http_upstream_srv_conf_t *us)
{
    return (us->primary.npeers + us->backup.npeers + 63) / 64;
}

/* Marks primary peer i (backup: i + primary.npeers) as tried. */
static inline void
pt_http_upstream_mark(uint64_t *tried, size_t i)
{
    tried[i / 64] |= (uint64_t) 1 << (i % 64);
}

static inline bool
pt_http_upstream_was_tried(const uint64_t *tried, size_t i)
{
    return (tried[i / 64] >> (i % 64)) & 1;
}

/*
 * Declares the balancer name for the upstream being parsed (cf in an
 * upstream { }); warns as nginx does when another was set already.
 * Returns the upstream.
 */
pt_http_upstream_srv_conf_t *pt_http_upstream_set_balancer(pt_conf_t *cf,
    const char *name, pt_http_upstream_get_pt get,
    pt_http_upstream_init_pt init, bool no_backup);

/* Records the outcome of a try: failed counts against max_fails. */
void pt_http_upstream_free_peer(pt_http_upstream_peer_t *peer, bool failed);

/*
 * An idle connection to peer from the keepalive cache (removed from it),
 * or NULL.  ssl_tag NULL asks for a plain connection; otherwise only a TLS
 * one made with that tag (c->ssl->tag: the settings it was made with) for
 * server name ssl_name matches.  pt_http_upstream_keep() puts a reusable one back (or closes
 * it when the cache is full or the connection is spent).
 */
pt_connection_t *pt_http_upstream_cached(pt_http_upstream_srv_conf_t *us,
    pt_http_upstream_peer_t *peer, const void *ssl_tag,
    const pt_str_t *ssl_name);
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
