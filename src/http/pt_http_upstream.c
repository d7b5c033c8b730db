/* SPDX-License-Identifier: BSD-2-Clause */
/* Upstream groups: upstream { } blocks, their peers, balancing and idle pools. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_upstream.h"

typedef struct {
    pt_array_t   upstreams;          /* pt_http_upstream_srv_conf_t * */
} upstream_main_conf_t;

static int upstream_block(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int upstream_server(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int upstream_keepalive(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int upstream_keepalive_opt(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int upstream_preconfiguration(pt_conf_t *cf);
static int upstream_init_main_conf(pt_conf_t *cf, void *conf);

static const pt_command_t  upstream_commands[] = {
    { .name = "upstream", .ctx = PT_HTTP_MAIN,
      .args = PT_CONF_BLOCK | PT_CONF_TAKE1, .set = upstream_block },
    { .name = "server", .ctx = PT_HTTP_UPS, .args = PT_CONF_1MORE,
      .set = upstream_server },
    { .name = "keepalive", .ctx = PT_HTTP_UPS, .args = PT_CONF_TAKE1,
      .set = upstream_keepalive },
    { .name = "keepalive_requests", .ctx = PT_HTTP_UPS, .args = PT_CONF_TAKE1,
      .set = upstream_keepalive_opt },
    { .name = "keepalive_timeout", .ctx = PT_HTTP_UPS, .args = PT_CONF_TAKE1,
      .set = upstream_keepalive_opt },
    PT_COMMAND_END
};

static const pt_http_module_t  upstream_module_ctx = {
    .preconfiguration = upstream_preconfiguration,
    .main_conf_size = sizeof(upstream_main_conf_t),
    .init_main_conf = upstream_init_main_conf,
};

pt_module_t  pt_http_upstream_module = {
    .name = "pt_http_upstream_module",
    .type = PT_HTTP_MODULE,
    .commands = upstream_commands,
    .ctx = &upstream_module_ctx,
};


static upstream_main_conf_t *
upstream_umcf(pt_conf_t *cf)
{
    return pt_http_conf_get_module_main_conf(cf, pt_http_upstream_module);
}


static int
upstream_preconfiguration(pt_conf_t *cf)
{
    return pt_array_init(&upstream_umcf(cf)->upstreams, cf->pool, 4,
                         sizeof(void *));
}


static pt_http_upstream_srv_conf_t *
upstream_find(pt_conf_t *cf, const pt_str_t *name, in_port_t port,
    bool implicit)
{
    pt_http_upstream_srv_conf_t  **u = upstream_umcf(cf)->upstreams.elts;

    for (size_t i = 0; i < upstream_umcf(cf)->upstreams.nelts; i++) {
        if (pt_str_caseeq(&u[i]->name, name)
            && (!implicit || u[i]->defined || u[i]->port == port))
        {
            return u[i];
        }
    }

    return NULL;
}


static pt_http_upstream_srv_conf_t *
upstream_create(pt_conf_t *cf, const pt_str_t *name)
{
    pt_http_upstream_srv_conf_t  *us = pt_pcalloc(cf->pool, sizeof(*us));
    pt_http_upstream_srv_conf_t **slot;

    if (us == NULL
        || pt_array_init(&us->servers, cf->pool, 4,
                         sizeof(pt_http_upstream_peer_t)))
    {
        return NULL;
    }

    slot = pt_array_push(&upstream_umcf(cf)->upstreams);
    if (slot == NULL) {
        return NULL;
    }

    us->name = *name;
    us->keepalive_requests = 1000;
    us->keepalive_timeout = 60000;
    pt_queue_init(&us->idle);
    *slot = us;
    return us;
}


pt_http_upstream_srv_conf_t *
pt_http_upstream_add(pt_conf_t *cf, const pt_str_t *host, in_port_t port,
    bool has_port)
{
    pt_http_upstream_srv_conf_t  *us = upstream_find(cf, host, port, true);

    if (us) {
        return us;
    }

    us = upstream_create(cf, host);
    if (us == NULL) {
        return NULL;
    }

    us->implicit = 1;
    us->port = has_port ? port : 80;
    us->file_name = cf->file ? cf->file->name : (pt_str_t) pt_null_string;
    us->line = cf->file ? cf->file->line : 0;
    return us;
}


static int
upstream_block(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_str_t                      name = pt_conf_arg(cf, 1);
    pt_http_upstream_srv_conf_t  *us = upstream_find(cf, &name, 0, false);
    pt_conf_t                     saved = *cf;
    int                           rc;

    if (us && us->defined) {
        return pt_conf_error(cf, "duplicate upstream \"%.*s\"",
                             PT_STR_ARG(name));
    }

    if (us == NULL && (us = upstream_create(cf, &name)) == NULL) {
        return PT_ERROR;
    }

    us->implicit = 0;
    us->defined = 1;
    us->file_name = cf->file->name;
    us->line = cf->file->line;

    /* Directives inside see the upstream through handler_data. */
    cf->ctx_type = PT_HTTP_UPS;
    cf->handler_data = us;
    rc = pt_conf_parse(cf, NULL);

    saved.file = cf->file;
    *cf = saved;

    if (rc == PT_OK && us->servers.nelts == 0) {
        return pt_conf_error(cf, "no servers are inside upstream");
    }

    return rc;
}


static int
upstream_server_option(pt_conf_t *cf, pt_http_upstream_peer_t *peer,
    const pt_str_t *v)
{
    pt_str_t  arg;

    if (pt_str_caseeq_lit(v, "down")) {
        peer->down = 1;
        return PT_OK;
    }

    if (pt_str_caseeq_lit(v, "backup")) {
        peer->backup = 1;
        return PT_OK;
    }

    const u_char  *eq = memchr(v->data, '=', v->len);

    if (eq == NULL) {
        return pt_conf_error(cf, "invalid parameter \"%.*s\"", PT_STR_ARG(*v));
    }

    arg.data = (u_char *) eq + 1;
    arg.len = v->len - (size_t) (arg.data - v->data);

    size_t  klen = (size_t) (eq - v->data);

    if (klen == 6 && memcmp(v->data, "weight", 6) == 0) {
        peer->weight = (int) pt_atoi(arg.data, arg.len, 1000000);
        if (peer->weight <= 0) {
            goto invalid;
        }
    } else if (klen == 9 && memcmp(v->data, "max_fails", 9) == 0) {
        peer->max_fails = (int) pt_atoi(arg.data, arg.len, 1000000);
        if (peer->max_fails < 0) {
            goto invalid;
        }
    } else if (klen == 9 && memcmp(v->data, "max_conns", 9) == 0) {
        peer->max_conns = (int) pt_atoi(arg.data, arg.len, 1000000);
        if (peer->max_conns < 0) {
            goto invalid;
        }
    } else if (klen == 12 && memcmp(v->data, "fail_timeout", 12) == 0) {
        int64_t  t = pt_parse_time(&arg, false);

        if (t < 0) {
            goto invalid;
        }
        peer->fail_timeout = (pt_msec_t) t;
    } else {
        return pt_conf_error(cf, "invalid parameter \"%.*s\"", PT_STR_ARG(*v));
    }

    return PT_OK;

invalid:
    return pt_conf_error(cf, "invalid parameter \"%.*s\"", PT_STR_ARG(*v));
}


static int
upstream_server(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_http_upstream_srv_conf_t  *us = cf->handler_data;
    pt_http_upstream_peer_t       tmpl = { .weight = 1, .max_fails = 1,
                                           .fail_timeout = 10000 };
    pt_url_t                      u = { .url = pt_conf_arg(cf, 1),
                                        .default_port = 80 };

    for (size_t i = 2; i < pt_conf_nargs(cf); i++) {
        if (upstream_server_option(cf, &tmpl, &pt_conf_arg(cf, i)) != PT_OK) {
            return PT_ERROR;
        }
    }

    /* As nginx: only a backup declared after the balancer is refused. */
    if (tmpl.backup && us->no_backup) {
        return pt_conf_error(cf, "balancing method does not support "
                             "parameter \"backup\"");
    }

    if (pt_parse_url(cf->pool, &u) != PT_OK || u.naddrs == 0) {
        return pt_conf_error(cf, "%s in upstream \"%.*s\"",
                             u.err ? u.err : "host not found",
                             PT_STR_ARG(u.url));
    }

    /* A name with several addresses becomes one peer per address. */
    for (size_t i = 0; i < u.naddrs; i++) {
        pt_http_upstream_peer_t  *peer = pt_array_push(&us->servers);

        if (peer == NULL) {
            return PT_ERROR;
        }

        *peer = tmpl;
        memcpy(&peer->sockaddr, &u.addrs[i].sockaddr, u.addrs[i].socklen);
        peer->socklen = u.addrs[i].socklen;
        peer->name = u.addrs[i].name;
        peer->server = u.url;
    }

    return PT_OK;
}


static int
upstream_keepalive(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_http_upstream_srv_conf_t  *us = cf->handler_data;
    pt_str_t                     *v = &pt_conf_arg(cf, 1);

    if (us->keepalive) {
        return pt_conf_error(cf, "\"keepalive\" directive is duplicate");
    }

    us->keepalive = (int) pt_atoi(v->data, v->len, 100000);
    if (us->keepalive <= 0) {
        return pt_conf_error(cf, "invalid value \"%.*s\" in \"keepalive\" "
                             "directive", PT_STR_ARG(*v));
    }

    return PT_OK;
}


static int
upstream_keepalive_opt(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_http_upstream_srv_conf_t  *us = cf->handler_data;
    pt_str_t                     *v = &pt_conf_arg(cf, 1);

    if (strcmp(cmd->name, "keepalive_requests") == 0) {
        us->keepalive_requests = (int) pt_atoi(v->data, v->len, INT_MAX);
        if (us->keepalive_requests <= 0) {
            return pt_conf_error(cf, "\"%s\" directive invalid number",
                                 cmd->name);
        }
        return PT_OK;
    }

    int64_t  t = pt_parse_time(v, false);

    if (t < 0) {
        return pt_conf_error(cf, "\"%s\" directive invalid value", cmd->name);
    }

    us->keepalive_timeout = (pt_msec_t) t;
    return PT_OK;
}


static int
upstream_resolve_implicit(pt_conf_t *cf, pt_http_upstream_srv_conf_t *us)
{
    pt_url_t  u = { .default_port = us->port };
    u_char    buf[512];

    u.url.data = buf;
    u.url.len = (size_t) (pt_snprintf(buf, buf + sizeof(buf), "%.*s:%u",
                                      PT_STR_ARG(us->name), (unsigned) us->port)
                          - buf);

    /* A bracketed IPv6 literal keeps its brackets in the name. */
    u.url.data = pt_pnalloc(cf->pool, u.url.len);
    if (u.url.data == NULL) {
        return PT_ERROR;
    }
    memcpy(u.url.data, buf, u.url.len);

    if (pt_parse_url(cf->pool, &u) != PT_OK || u.naddrs == 0) {
        pt_log_error(PT_LOG_EMERG, cf->log, 0, "host not found in upstream "
                     "\"%.*s\" in %.*s:%u", PT_STR_ARG(us->name),
                     PT_STR_ARG(us->file_name), us->line);
        return PT_ERROR;
    }

    for (size_t i = 0; i < u.naddrs; i++) {
        pt_http_upstream_peer_t  *peer = pt_array_push(&us->servers);

        if (peer == NULL) {
            return PT_ERROR;
        }

        memset(peer, 0, sizeof(*peer));
        memcpy(&peer->sockaddr, &u.addrs[i].sockaddr, u.addrs[i].socklen);
        peer->socklen = u.addrs[i].socklen;
        peer->name = u.addrs[i].name;
        peer->server = us->name;
        peer->weight = 1;
        peer->max_fails = 1;
        peer->fail_timeout = 10000;
    }

    return PT_OK;
}


static int
upstream_split_peers(pt_conf_t *cf, pt_http_upstream_srv_conf_t *us)
{
    pt_http_upstream_peer_t  *all = us->servers.elts;
    size_t                    n = us->servers.nelts, nb = 0;

    for (size_t i = 0; i < n; i++) {
        nb += all[i].backup;
    }

    us->primary.peers = pt_pcalloc(cf->pool, (n - nb + 1) * sizeof(*all));
    us->backup.peers = pt_pcalloc(cf->pool, (nb + 1) * sizeof(*all));
    if (us->primary.peers == NULL || us->backup.peers == NULL) {
        return PT_ERROR;
    }

    for (size_t i = 0; i < n; i++) {
        pt_http_upstream_peers_t  *set = all[i].backup ? &us->backup
                                                       : &us->primary;

        all[i].effective_weight = all[i].weight;
        set->peers[set->npeers] = all[i];
        set->peers[set->npeers].state = &set->peers[set->npeers].local;
        set->npeers++;
        set->total_weight += all[i].weight;
    }

    if (us->primary.npeers == 0) {
        pt_log_error(PT_LOG_EMERG, cf->log, 0, "upstream \"%.*s\" has only "
                     "backup servers in %.*s:%u", PT_STR_ARG(us->name),
                     PT_STR_ARG(us->file_name), us->line);
        return PT_ERROR;
    }

    return PT_OK;
}


static int
upstream_init_main_conf(pt_conf_t *cf, void *conf)
{
    upstream_main_conf_t          *umcf = conf;
    pt_http_upstream_srv_conf_t  **u = umcf->upstreams.elts;

    for (size_t i = 0; i < umcf->upstreams.nelts; i++) {
        if (u[i]->implicit && upstream_resolve_implicit(cf, u[i]) != PT_OK) {
            return PT_ERROR;
        }

        if (upstream_split_peers(cf, u[i]) != PT_OK) {
            return PT_ERROR;
        }

        if (u[i]->init && u[i]->init(cf, u[i]) != PT_OK) {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


/* Balancing. */

pt_http_upstream_srv_conf_t *
pt_http_upstream_set_balancer(pt_conf_t *cf, const char *name,
    pt_http_upstream_get_pt get, pt_http_upstream_init_pt init,
    bool no_backup)
{
    pt_http_upstream_srv_conf_t  *us = cf->handler_data;

    if (us->balancer) {
        pt_log_error(PT_LOG_WARN, cf->log, 0, "load balancing method "
                     "redefined in %.*s:%u", PT_STR_ARG(cf->file->name),
                     cf->file->line);
    }

    us->balancer = name;
    us->get = get;
    us->init = init;
    us->no_backup = no_backup;
    return us;
}


bool
pt_http_upstream_peer_usable(const pt_http_upstream_peer_t *p)
{
    const pt_http_upstream_peer_state_t  *st = p->state;

    if (p->down || pt_http_upstream_peer_checked_down(p)) {
        return false;
    }

    if (p->max_conns
        && pt_http_upstream_peer_conns(p) >= p->max_conns)
    {
        return false;
    }

    /* After max_fails within fail_timeout, rest for fail_timeout. */
    if (p->max_fails
        && __atomic_load_n(&st->fails, __ATOMIC_RELAXED) >= p->max_fails
        && (pt_msec_int_t) (pt_current_msec
                            - __atomic_load_n(&st->down_until,
                                              __ATOMIC_RELAXED)) < 0)
    {
        return false;
    }

    return true;
}


static pt_http_upstream_peer_t *
upstream_rr(pt_http_upstream_peers_t *set, uint64_t *tried, size_t base,
    bool single)
{
    pt_http_upstream_peer_t  *best = NULL;
    int                       total = 0;
    size_t                    besti = 0;

    for (size_t i = 0; i < set->npeers; i++) {
        pt_http_upstream_peer_t  *p = &set->peers[i];

        /*
         * A lone server is never considered unavailable (nginx): there is
         * nowhere else to go, so it is tried as soon as it may be back.
         * A failed health check is known, not guessed: it still counts.
         */
        if (pt_http_upstream_was_tried(tried, base + i)
            || (!pt_http_upstream_peer_usable(p)
                && !(single && !p->down
                     && !pt_http_upstream_peer_checked_down(p))))
        {
            continue;
        }

        /* Smooth weighted round robin: pick the largest running weight. */
        p->current_weight += p->effective_weight;
        total += p->effective_weight;

        if (p->effective_weight < p->weight) {
            p->effective_weight++;
        }

        if (best == NULL || p->current_weight > best->current_weight) {
            best = p;
            besti = i;
        }
    }

    if (best) {
        best->current_weight -= total;
        pt_http_upstream_mark(tried, base + besti);
    }

    return best;
}


pt_http_upstream_peer_t *
pt_http_upstream_rr(pt_http_upstream_srv_conf_t *us, uint64_t *tried)
{
    bool                      single = us->primary.npeers == 1
                                       && us->backup.npeers == 0;
    pt_http_upstream_peer_t  *p = upstream_rr(&us->primary, tried, 0, single);

    if (p == NULL) {
        p = upstream_rr(&us->backup, tried, us->primary.npeers, false);
    }

    return p;
}


pt_http_upstream_peer_t *
pt_http_upstream_get_peer(pt_http_upstream_srv_conf_t *us,
    pt_http_request_t *r, uint64_t *tried)
{
    pt_http_upstream_peer_t  *p;

    /* A lone peer needs no balancer, and keeps round robin's lone rule. */
    if (us->get && us->primary.npeers + us->backup.npeers > 1) {
        p = us->get(us, r, tried);
    } else {
        p = pt_http_upstream_rr(us, tried);
    }

    if (p) {
        pt_http_upstream_peer_acquire(p);
    }

    return p;
}


void
pt_http_upstream_free_peer(pt_http_upstream_peer_t *peer, bool failed)
{
    pt_http_upstream_peer_state_t  *st = peer->state;

    __atomic_sub_fetch(&st->conns, 1, __ATOMIC_RELAXED);

    /*
     * The fields are updated one by one with atomics: two workers failing
     * the same peer at the same moment may both restart the window, which
     * costs at most one extra failure before the peer rests.
     */
    if (!failed) {
        /* A success inside the window forgives earlier failures. */
        if (__atomic_load_n(&st->fails, __ATOMIC_RELAXED)
            && (pt_msec_int_t) (pt_current_msec
                                - __atomic_load_n(&st->down_until,
                                                  __ATOMIC_RELAXED)) >= 0)
        {
            __atomic_store_n(&st->fails, 0, __ATOMIC_RELAXED);
        }
        return;
    }

    if (peer->max_fails == 0) {
        return;
    }

    if (pt_current_msec - __atomic_load_n(&st->checked, __ATOMIC_RELAXED)
        > peer->fail_timeout)
    {
        __atomic_store_n(&st->fails, 0, __ATOMIC_RELAXED);
        __atomic_store_n(&st->checked, pt_current_msec, __ATOMIC_RELAXED);
    }

    int  fails = __atomic_add_fetch(&st->fails, 1, __ATOMIC_RELAXED);

    peer->effective_weight -= peer->weight / peer->max_fails;
    if (peer->effective_weight < 0) {
        peer->effective_weight = 0;
    }

    if (fails >= peer->max_fails) {
        __atomic_store_n(&st->down_until, pt_current_msec + peer->fail_timeout,
                         __ATOMIC_RELAXED);
        pt_log_error(PT_LOG_WARN, pt_cycle->log, 0, "upstream server "
                     "temporarily disabled while connecting to upstream: %.*s",
                     PT_STR_ARG(peer->name));
    }
}


/* The keepalive cache. */

void
pt_http_upstream_close(pt_connection_t *c)
{
    pt_pool_t  *pool = c->pool;

    pt_close_connection(c);
    pt_destroy_pool(pool);
}


static void
upstream_idle_close(pt_connection_t *c)
{
    pt_queue_remove(&c->queue);
    pt_http_upstream_close(c);
}


static void
upstream_idle_handler(pt_event_t *ev)
{
    pt_connection_t              *c = ev->data;
    pt_http_upstream_srv_conf_t  *us = c->data;
    u_char                        buf[1];

    /* An idle backend connection says something only to close it. */
    if (!ev->timedout) {
        ssize_t  n = recv(c->fd, buf, 1, MSG_PEEK);

        if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            ev->ready = 0;
            return;
        }
    }

    us->nidle--;
    pt_cached_connections--;
    upstream_idle_close(c);
}


/* An idle connection is always writable; only reads say anything. */
static void
upstream_idle_write(pt_event_t *ev)
{
}


/* A TLS session is reused only with the settings and name it was made for. */
static bool
upstream_same_ssl(pt_connection_t *c, const void *tag, const pt_str_t *name)
{
    if (c->ssl == NULL || tag == NULL) {
        return c->ssl == NULL && tag == NULL;
    }

    return c->ssl->tag == tag && c->ssl->name.len == name->len
           && memcmp(c->ssl->name.data, name->data, name->len) == 0;
}


pt_connection_t *
pt_http_upstream_cached(pt_http_upstream_srv_conf_t *us,
    pt_http_upstream_peer_t *peer, const void *ssl_tag,
    const pt_str_t *ssl_name)
{
    for (pt_queue_t *q = pt_queue_head(&us->idle);
         q != pt_queue_sentinel(&us->idle); q = pt_queue_next(q))
    {
        pt_connection_t  *c = pt_queue_data(q, pt_connection_t, queue);

        if (pt_sock_eq(c->sockaddr, c->socklen,
                       (struct sockaddr *) &peer->sockaddr, peer->socklen)
            && upstream_same_ssl(c, ssl_tag, ssl_name))
        {
            pt_queue_remove(&c->queue);
            pt_del_timer(c->read);
            us->nidle--;
            pt_cached_connections--;
            return c;
        }
    }

    return NULL;
}


void
pt_http_upstream_keep(pt_http_upstream_srv_conf_t *us, pt_connection_t *c)
{
    if (us->keepalive == 0 || c->requests >= (unsigned) us->keepalive_requests
        || pt_exiting)
    {
        pt_http_upstream_close(c);
        return;
    }

    if (us->nidle >= us->keepalive) {
        /* Full: the oldest idle connection makes room. */
        pt_queue_t       *q = pt_queue_last(&us->idle);
        pt_connection_t  *old = pt_queue_data(q, pt_connection_t, queue);

        us->nidle--;
        pt_cached_connections--;
        upstream_idle_close(old);
    }

    c->data = us;
    c->read->handler = upstream_idle_handler;
    c->write->handler = upstream_idle_write;
    pt_del_timer(c->write);
    pt_add_timer(c->read, us->keepalive_timeout);
    pt_queue_insert_head(&us->idle, &c->queue);
    us->nidle++;
    pt_cached_connections++;

    if (c->read->ready) {
        upstream_idle_handler(c->read);
    }
}


/* A one-address upstream made for one request (proxy_pass with variables). */
static pt_http_upstream_srv_conf_t *
upstream_transient(pt_http_request_t *r, const pt_str_t *host, in_port_t port)
{
    pt_http_upstream_srv_conf_t  *us = pt_pcalloc(r->pool, sizeof(*us));
    pt_http_upstream_peer_t      *peer = pt_pcalloc(r->pool, sizeof(*peer));
    u_char                        buf[INET6_ADDRSTRLEN + 16];
    pt_url_t                      u = { .no_resolve = 1 };

    if (us == NULL || peer == NULL) {
        return NULL;
    }

    u.url.data = buf;
    u.url.len = (size_t) (pt_snprintf(buf, buf + sizeof(buf), "%.*s:%u",
                                      PT_STR_ARG(*host), (unsigned) port)
                          - buf);

    if (host->len >= INET6_ADDRSTRLEN + 2
        || pt_parse_url(r->pool, &u) != PT_OK || u.naddrs != 1)
    {
        return NULL;      /* a name: would need a resolver */
    }

    memcpy(&peer->sockaddr, &u.addrs[0].sockaddr, u.addrs[0].socklen);
    peer->socklen = u.addrs[0].socklen;
    peer->name = u.addrs[0].name;
    peer->server = *host;
    peer->weight = peer->effective_weight = 1;
    peer->state = &peer->local;

    us->name = *host;
    us->implicit = 1;
    us->primary.peers = peer;
    us->primary.npeers = 1;
    us->primary.total_weight = 1;
    pt_queue_init(&us->idle);
    return us;
}


pt_http_upstream_srv_conf_t *
pt_http_upstream_find(pt_http_request_t *r, const pt_str_t *host,
    in_port_t port, bool has_port)
{
    upstream_main_conf_t          *umcf = pt_http_get_module_main_conf(r,
                                                     pt_http_upstream_module);
    pt_http_upstream_srv_conf_t  **u = umcf->upstreams.elts;

    for (size_t i = 0; i < umcf->upstreams.nelts; i++) {
        if (pt_str_caseeq(&u[i]->name, host)
            && ((u[i]->defined && !has_port) || u[i]->port == port))
        {
            return u[i];
        }
    }

    return upstream_transient(r, host, port);
}
