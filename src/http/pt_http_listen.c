/* SPDX-License-Identifier: BSD-2-Clause */
/* listen addresses to sockets, and Host names to virtual servers. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_conf.h"
#include "pt_http_internal.h"

typedef struct {
    struct sockaddr_storage    sockaddr;
    socklen_t                  socklen;
    pt_http_listen_opt_t       opt;
    pt_http_core_srv_conf_t   *default_server;
    pt_array_t                 servers;        /* pt_http_core_srv_conf_t * */
} listen_addr_t;

typedef struct {
    int          family;
    in_port_t    port;
    pt_array_t   addrs;                        /* listen_addr_t */
} listen_port_t;


static pt_http_core_main_conf_t *
listen_cmcf(pt_conf_t *cf)
{
    return pt_http_conf_get_module_main_conf(cf, pt_http_core_module);
}


static listen_port_t *
listen_find_port(pt_conf_t *cf, const struct sockaddr *sa)
{
    pt_http_core_main_conf_t  *cmcf = listen_cmcf(cf);
    listen_port_t             *port = cmcf->ports.elts;
    in_port_t                  p = pt_sock_port(sa);

    if (cmcf->ports.elts == NULL
        && pt_array_init(&cmcf->ports, cf->pool, 2, sizeof(listen_port_t)))
    {
        return NULL;
    }

    port = cmcf->ports.elts;
    for (size_t i = 0; i < cmcf->ports.nelts; i++) {
        if (port[i].family == sa->sa_family && port[i].port == p
            && sa->sa_family != AF_UNIX)
        {
            return &port[i];
        }
    }

    port = pt_array_push(&cmcf->ports);
    if (port == NULL
        || pt_array_init(&port->addrs, cf->pool, 2, sizeof(listen_addr_t)))
    {
        return NULL;
    }

    port->family = sa->sa_family;
    port->port = p;
    return port;
}


static bool
listen_has_socket_options(const pt_http_listen_opt_t *opt)
{
    return opt->backlog || opt->rcvbuf || opt->sndbuf || opt->reuseport
           || opt->deferred || opt->bind || opt->ipv6only || opt->so_keepalive;
}


static int
listen_add_server(pt_conf_t *cf, listen_addr_t *addr,
    pt_http_core_srv_conf_t *cscf, const pt_http_listen_opt_t *opt)
{
    pt_http_core_srv_conf_t  **s = addr->servers.elts;

    for (size_t i = 0; i < addr->servers.nelts; i++) {
        if (s[i] == cscf) {
            return pt_conf_error(cf, "a duplicate listen %.*s",
                                 PT_STR_ARG(opt->url.url));
        }
    }

    if (opt->default_server) {
        if (addr->opt.default_server) {
            return pt_conf_error(cf, "a duplicate default server for %.*s",
                                 PT_STR_ARG(opt->url.url));
        }
        addr->opt.default_server = 1;
        addr->default_server = cscf;
    }

    /* Socket options belong to the socket: one listen may set them. */
    if (listen_has_socket_options(opt)) {
        if (addr->opt.socket_options_set) {
            return pt_conf_error(cf, "duplicate listen options for %.*s",
                                 PT_STR_ARG(opt->url.url));
        }
        addr->opt.socket_options_set = 1;
        addr->opt.reuseport = opt->reuseport;
        addr->opt.deferred = opt->deferred;
        addr->opt.backlog = opt->backlog;
        addr->opt.rcvbuf = opt->rcvbuf;
        addr->opt.sndbuf = opt->sndbuf;
        addr->opt.bind = opt->bind;
        addr->opt.ipv6only = opt->ipv6only;
        addr->opt.so_keepalive = opt->so_keepalive;
        addr->opt.keepidle = opt->keepidle;
        addr->opt.keepintvl = opt->keepintvl;
        addr->opt.keepcnt = opt->keepcnt;
    }

    addr->opt.ssl |= opt->ssl;

    s = pt_array_push(&addr->servers);
    if (s == NULL) {
        return PT_ERROR;
    }

    *s = cscf;
    return PT_OK;
}


int
pt_http_add_listen(pt_conf_t *cf, pt_http_core_srv_conf_t *cscf,
    pt_http_listen_opt_t *opt)
{
    for (size_t n = 0; n < opt->url.naddrs; n++) {
        pt_addr_t      *a = &opt->url.addrs[n];
        listen_port_t  *port = listen_find_port(cf, (struct sockaddr *) &a->sockaddr);
        listen_addr_t  *addr;

        if (port == NULL) {
            return PT_ERROR;
        }

        addr = port->addrs.elts;
        size_t  i;

        for (i = 0; i < port->addrs.nelts; i++) {
            if (pt_sock_eq((struct sockaddr *) &addr[i].sockaddr,
                           addr[i].socklen, (struct sockaddr *) &a->sockaddr,
                           a->socklen))
            {
                break;
            }
        }

        if (i == port->addrs.nelts) {
            addr = pt_array_push(&port->addrs);
            if (addr == NULL
                || pt_array_init(&addr->servers, cf->pool, 2, sizeof(void *)))
            {
                return PT_ERROR;
            }

            memcpy(&addr->sockaddr, &a->sockaddr, a->socklen);
            addr->socklen = a->socklen;
            memset(&addr->opt, 0, sizeof(addr->opt));
            addr->opt.url = opt->url;
            addr->default_server = NULL;
        } else {
            addr = &addr[i];
        }

        if (listen_add_server(cf, addr, cscf, opt) != PT_OK) {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


static bool
listen_is_wildcard(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET) {
        return ((const struct sockaddr_in *) ss)->sin_addr.s_addr == INADDR_ANY;
    }

    if (ss->ss_family == AF_INET6) {
        return IN6_IS_ADDR_UNSPECIFIED(&((const struct sockaddr_in6 *) ss)->sin6_addr);
    }

    return false;
}


static int
listen_add_name(pt_conf_t *cf, pt_array_t *keys, pt_array_t *wild,
    pt_array_t *regex, pt_http_server_name_t *sn)
{
    if (sn->regex) {
        pt_http_server_name_t  *r = pt_array_push(regex);

        if (r == NULL) {
            return PT_ERROR;
        }
        *r = *sn;
        return PT_OK;
    }

    if (sn->name.len == 0) {
        return PT_OK;
    }

    bool  is_wild = sn->name.data[0] == '*' || sn->name.data[0] == '.'
                    || sn->name.data[sn->name.len - 1] == '*';
    pt_hash_key_t  *k = pt_array_push(is_wild ? wild : keys);

    if (k == NULL) {
        return PT_ERROR;
    }

    k->key = sn->name;
    k->key_hash = 0;
    k->value = sn->server;
    return PT_OK;
}


static pt_http_virtual_names_t *
listen_virtual_names(pt_conf_t *cf, listen_addr_t *addr)
{
    pt_http_virtual_names_t   *vn = pt_pcalloc(cf->pool, sizeof(*vn));
    pt_array_t                 keys, wild, regex;
    pt_http_core_srv_conf_t  **s = addr->servers.elts;

    if (vn == NULL
        || pt_array_init(&keys, cf->temp_pool, 8, sizeof(pt_hash_key_t))
        || pt_array_init(&wild, cf->temp_pool, 4, sizeof(pt_hash_key_t))
        || pt_array_init(&regex, cf->pool, 2, sizeof(pt_http_server_name_t)))
    {
        return NULL;
    }

    for (size_t i = 0; i < addr->servers.nelts; i++) {
        pt_http_server_name_t  *sn = s[i]->server_names.elts;

        for (size_t j = 0; j < s[i]->server_names.nelts; j++) {
            if (listen_add_name(cf, &keys, &wild, &regex, &sn[j]) != PT_OK) {
                return NULL;
            }
        }
    }

    if (pt_hash_init(&vn->names, keys.elts, keys.nelts, cf->pool) != PT_OK
        || pt_hash_wildcard_init(&vn->wildcards, wild.elts, wild.nelts,
                                 cf->pool) != PT_OK)
    {
        return NULL;
    }

    vn->regex = regex.elts;
    vn->nregex = regex.nelts;
    return vn;
}


static int
listen_fill_addr(pt_conf_t *cf, pt_http_in_addr_t *in, listen_addr_t *addr)
{
    memcpy(&in->sockaddr, &addr->sockaddr, addr->socklen);
    in->socklen = addr->socklen;
    in->conf.default_server = addr->default_server
                              ? addr->default_server
                              : ((pt_http_core_srv_conf_t **) addr->servers.elts)[0];
    in->conf.ssl = addr->opt.ssl;
    in->conf.virtual_names = listen_virtual_names(cf, addr);

    return in->conf.virtual_names ? PT_OK : PT_ERROR;
}


static int
listen_add_listening(pt_conf_t *cf, listen_addr_t *addr, pt_http_port_t *hport)
{
    pt_listening_t  *ls = pt_array_push(&cf->cycle->listening);
    u_char           text[PATH_MAX + 8];

    if (ls == NULL) {
        return PT_ERROR;
    }

    memset(ls, 0, sizeof(pt_listening_t));
    ls->fd = -1;
    memcpy(&ls->sockaddr, &addr->sockaddr, addr->socklen);
    ls->socklen = addr->socklen;
    ls->backlog = addr->opt.backlog ? addr->opt.backlog : 511;
    ls->rcvbuf = addr->opt.rcvbuf;
    ls->sndbuf = addr->opt.sndbuf;
    ls->type = SOCK_STREAM;
    ls->handler = pt_http_init_connection;
    ls->servers = hport;
    ls->log = &cf->cycle->new_log;
    ls->pool_size = 512;
    ls->reuseport = addr->opt.reuseport;
    ls->ipv6only = 1;
    ls->ssl = addr->opt.ssl;
    ls->deferred_accept = addr->opt.deferred;
    ls->so_keepalive = addr->opt.so_keepalive;
    ls->keepidle = addr->opt.keepidle;
    ls->keepintvl = addr->opt.keepintvl;
    ls->keepcnt = addr->opt.keepcnt;

    size_t  len = pt_sock_ntop((struct sockaddr *) &addr->sockaddr,
                               addr->socklen, text, sizeof(text), true);

    ls->addr_text.data = pt_pnalloc(cf->pool, len + 1);
    if (ls->addr_text.data == NULL) {
        return PT_ERROR;
    }

    memcpy(ls->addr_text.data, text, len);
    ls->addr_text.data[len] = '\0';
    ls->addr_text.len = len;
    return PT_OK;
}


static int
listen_optimize_port(pt_conf_t *cf, listen_port_t *port)
{
    listen_addr_t  *addr = port->addrs.elts;
    size_t          n = port->addrs.nelts, wild = n;

    for (size_t i = 0; i < n; i++) {
        if (listen_is_wildcard(&addr[i].sockaddr) && !addr[i].opt.bind) {
            wild = i;
        }
    }

    if (wild == n) {
        /* No wildcard: each address is its own socket. */
        for (size_t i = 0; i < n; i++) {
            pt_http_port_t  *hp = pt_pcalloc(cf->pool, sizeof(*hp));

            if (hp == NULL
                || (hp->addrs = pt_pcalloc(cf->pool, sizeof(*hp->addrs))) == NULL
                || listen_fill_addr(cf, hp->addrs, &addr[i]) != PT_OK
                || listen_add_listening(cf, &addr[i], hp) != PT_OK)
            {
                return PT_ERROR;
            }
            hp->naddrs = 1;
        }
        return PT_OK;
    }

    /* One wildcard socket; specific addresses are told apart per accept. */
    pt_http_port_t  *hp = pt_pcalloc(cf->pool, sizeof(*hp));

    if (hp == NULL
        || (hp->addrs = pt_pcalloc(cf->pool, n * sizeof(*hp->addrs))) == NULL)
    {
        return PT_ERROR;
    }

    size_t  k = 0;

    for (size_t i = 0; i < n; i++) {
        if (i != wild && listen_fill_addr(cf, &hp->addrs[k++], &addr[i]) != PT_OK) {
            return PT_ERROR;
        }
    }

    if (listen_fill_addr(cf, &hp->addrs[k], &addr[wild]) != PT_OK) {
        return PT_ERROR;
    }

    hp->naddrs = n;
    return listen_add_listening(cf, &addr[wild], hp);
}


int
pt_http_optimize_servers(pt_conf_t *cf)
{
    pt_http_core_main_conf_t  *cmcf = listen_cmcf(cf);
    listen_port_t             *port = cmcf->ports.elts;

    for (size_t i = 0; i < cmcf->ports.nelts; i++) {
        if (listen_optimize_port(cf, &port[i]) != PT_OK) {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


pt_http_addr_conf_t *
pt_http_find_addr_conf(pt_connection_t *c)
{
    pt_http_port_t  *port = c->listening->servers;

    if (port->naddrs == 1) {
        return &port->addrs[0].conf;
    }

    struct sockaddr_storage  ss;
    socklen_t                len = sizeof(ss);

    if (getsockname(c->fd, (struct sockaddr *) &ss, &len) == 0) {
        /* Compare the address only: the port is the socket's own. */
        for (size_t i = 0; i + 1 < port->naddrs; i++) {
            pt_http_in_addr_t  *a = &port->addrs[i];

            if (a->sockaddr.ss_family == ss.ss_family
                && pt_sock_eq((struct sockaddr *) &a->sockaddr, a->socklen,
                              (struct sockaddr *) &ss, len))
            {
                return &a->conf;
            }
        }
    }

    return &port->addrs[port->naddrs - 1].conf;
}


pt_http_core_srv_conf_t *
pt_http_find_virtual_server(pt_http_addr_conf_t *ac, const pt_str_t *host,
    pt_http_request_t *r)
{
    pt_http_virtual_names_t  *vn = ac->virtual_names;
    pt_http_core_srv_conf_t  *cscf;

    if (host->len == 0 || vn == NULL) {
        return ac->default_server;
    }

    cscf = pt_hash_find(&vn->names, pt_hash_key(host->data, host->len),
                        host->data, host->len);
    if (cscf) {
        return cscf;
    }

    cscf = pt_hash_wildcard_find(&vn->wildcards, host->data, host->len);
    if (cscf) {
        return cscf;
    }

    for (size_t i = 0; i < vn->nregex; i++) {
        int  rc = r ? pt_http_regex_exec(r, vn->regex[i].regex, host)
                    : (pt_regex_exec(vn->regex[i].regex, host, NULL, 0) > 0
                       ? PT_OK : PT_DECLINED);

        if (rc == PT_OK) {
            return vn->regex[i].server;
        }
    }

    return ac->default_server;
}
