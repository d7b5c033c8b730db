/* SPDX-License-Identifier: BSD-2-Clause */
/* The client address from a trusted proxy's header (X-Forwarded-For ...). */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"

/*
 * Directives (context http, server, location):
 *
 *   set_real_ip_from address | CIDR | unix:;      default: none
 *   real_ip_header X-Real-IP | X-Forwarded-For | field;
 *                                                 default: X-Real-IP
 *   real_ip_recursive on | off;                   default: off
 *
 * When the peer of the connection is trusted (set_real_ip_from), the
 * address in the header replaces it for the rest of the request: the
 * last address of a list, or with real_ip_recursive the last one that is
 * not trusted itself.  Runs in the post-read phase (server settings) and
 * again in the preaccess phase (location settings) unless it already
 * replaced the address.
 *
 * The replacement is nginx's: c->sockaddr and c->addr_text point at the
 * client's address while the request lives, so $remote_addr, the access
 * checks, limits and the error log's "client:" all see it; a cleanup on
 * the request pool puts the peer's address back before the connection's
 * next request.  $realip_remote_addr and $realip_remote_port give the
 * peer's own address meanwhile.
 */

typedef enum {
    REALIP_XREALIP = 0,
    REALIP_XFWD,
    REALIP_HEADER
} realip_type_e;

typedef struct {
    pt_array_t   *from;          /* pt_cidr_t; NULL: none */
    int           type;          /* realip_type_e; PT_CONF_UNSET */
    pt_str_t      header;        /* lower-case, for REALIP_HEADER */
    int           recursive;
} realip_loc_conf_t;

/* The connection's own peer, kept while a request shows another address. */
typedef struct {
    pt_connection_t   *connection;
    struct sockaddr   *sockaddr;
    socklen_t          socklen;
    pt_str_t           addr_text;
} realip_ctx_t;


static int realip_set_from(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int realip_set_header(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int realip_preconfiguration(pt_conf_t *cf);
static int realip_init(pt_conf_t *cf);
static int realip_create_loc_conf(pt_conf_t *cf, void *conf);
static int realip_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf);

#define REALIP_CTX  (PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC)

static const pt_command_t  realip_commands[] = {
    { .name = "set_real_ip_from", .ctx = REALIP_CTX, .args = PT_CONF_TAKE1,
      .set = realip_set_from },
    { .name = "real_ip_header", .ctx = REALIP_CTX, .args = PT_CONF_TAKE1,
      .set = realip_set_header },
    { .name = "real_ip_recursive", .ctx = REALIP_CTX, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag,
      .field = PT_LOC_FIELD(realip_loc_conf_t, recursive), .def.flag = 0 },
    PT_COMMAND_END
};

static const pt_http_module_t  realip_module_ctx = {
    .preconfiguration = realip_preconfiguration,
    .postconfiguration = realip_init,
    .loc_conf_size = sizeof(realip_loc_conf_t),
    .create_loc_conf = realip_create_loc_conf,
    .merge_loc_conf = realip_merge_loc_conf,
};

pt_module_t  pt_http_realip_module = {
    .name = "pt_http_realip_module",
    .type = PT_HTTP_MODULE,
    .commands = realip_commands,
    .ctx = &realip_module_ctx,
};


/* ---- the request side -------------------------------------------------- */


static void
realip_cleanup(void *data)
{
    realip_ctx_t  *ctx = data;

    ctx->connection->sockaddr = ctx->sockaddr;
    ctx->connection->socklen = ctx->socklen;
    ctx->connection->addr_text = ctx->addr_text;
}


/* The saved peer when this request replaced the address, else NULL. */
static realip_ctx_t *
realip_get_ctx(pt_http_request_t *r)
{
    pt_pool_cleanup_t  *cln;

    /* a cleanup survives internal redirects, unlike r->ctx */
    for (cln = r->pool->cleanup; cln; cln = cln->next) {
        if (cln->handler == realip_cleanup) {
            return cln->data;
        }
    }

    return NULL;
}


static bool
realip_trusted(realip_loc_conf_t *rlcf, const struct sockaddr *sa)
{
    pt_cidr_t  *cidr = rlcf->from->elts;
    size_t      i;

    for (i = 0; i < rlcf->from->nelts; i++) {
        if (pt_cidr_match(&cidr[i], sa)) {
            return true;
        }
    }

    return false;
}


/*
 * Walks the comma-separated list v from its end: the connection's peer
 * is trusted (checked by the caller), so the last address is the client,
 * unless recursive and that address is trusted too, and so on leftwards.
 * PT_OK with *ss set, or PT_DECLINED (no usable address).
 */
static int
realip_walk(realip_loc_conf_t *rlcf, const pt_str_t *v,
    struct sockaddr_storage *ss, socklen_t *socklen)
{
    struct sockaddr_storage  addr;
    socklen_t                len;
    size_t                   end, start;
    bool                     found;

    found = false;
    end = v->len;

    for ( ;; ) {
        while (end > 0 && (v->data[end - 1] == ' ' || v->data[end - 1] == ','))
        {
            end--;
        }

        if (end == 0) {
            break;
        }

        start = end;

        while (start > 0 && v->data[start - 1] != ' '
               && v->data[start - 1] != ',')
        {
            start--;
        }

        if (pt_parse_addr_port(v->data + start, end - start, &addr, &len)
            != PT_OK)
        {
            break;
        }

        *ss = addr;
        *socklen = len;
        found = true;

        if (!rlcf->recursive
            || !realip_trusted(rlcf, (struct sockaddr *) &addr))
        {
            break;
        }

        end = start;
    }

    return found ? PT_OK : PT_DECLINED;
}


/* The first request header named name (lower-case), or NULL. */
static pt_table_elt_t *
realip_find_header(pt_http_request_t *r, const pt_str_t *name)
{
    pt_table_elt_t  *h;

    for (h = r->headers_in.headers.first; h; h = h->next) {
        if (h->hash != 0 && h->key.len == name->len
            && pt_strncasecmp(h->key.data, name->data, name->len) == 0)
        {
            return h;
        }
    }

    return NULL;
}


/* The header value to read the client from, in r->pool; PT_DECLINED: none. */
static int
realip_header_value(pt_http_request_t *r, realip_loc_conf_t *rlcf,
    pt_str_t *out)
{
    static pt_str_t   x_real_ip = pt_string("x-real-ip");
    pt_table_elt_t   *h;
    size_t            len;
    u_char           *p;

    if (rlcf->type != REALIP_XFWD) {
        h = realip_find_header(r, rlcf->type == REALIP_XREALIP ? &x_real_ip
                                                                : &rlcf->header);
        if (h == NULL) {
            return PT_DECLINED;
        }

        *out = h->value;
        return PT_OK;
    }

    if (r->headers_in.x_forwarded_for == NULL) {
        return PT_DECLINED;
    }

    /* several X-Forwarded-For lines are one list, in order */
    len = 0;

    for (h = r->headers_in.x_forwarded_for; h; h = h->dup) {
        len += h->value.len + 1;
    }

    p = pt_pnalloc(r->pool, len);
    if (p == NULL) {
        return PT_ERROR;
    }

    out->data = p;

    for (h = r->headers_in.x_forwarded_for; h; h = h->dup) {
        p = pt_cpymem(p, h->value.data, h->value.len);
        *p++ = ',';
    }

    out->len = (size_t) (p - out->data);

    return PT_OK;
}


/* Points the connection at ss for the rest of the request. */
static int
realip_set_addr(pt_http_request_t *r, struct sockaddr_storage *ss,
    socklen_t socklen)
{
    pt_connection_t    *c = r->connection;
    pt_pool_cleanup_t  *cln;
    realip_ctx_t       *ctx;
    struct sockaddr    *sa;
    u_char             *text;
    size_t              len;

    sa = pt_palloc(r->pool, socklen);
    text = pt_pnalloc(r->pool, INET6_ADDRSTRLEN);
    cln = pt_pool_cleanup_add(r->pool, sizeof(realip_ctx_t));

    if (sa == NULL || text == NULL || cln == NULL) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    pt_memcpy(sa, ss, socklen);
    len = pt_sock_ntop(sa, socklen, text, INET6_ADDRSTRLEN, false);

    ctx = cln->data;
    ctx->connection = c;
    ctx->sockaddr = c->sockaddr;
    ctx->socklen = c->socklen;
    ctx->addr_text = c->addr_text;

    c->sockaddr = sa;
    c->socklen = socklen;
    c->addr_text.data = text;
    c->addr_text.len = len;

    cln->handler = realip_cleanup;

    return PT_DECLINED;
}


/* Post-read and preaccess phases. */
static int
realip_handler(pt_http_request_t *r)
{
    struct sockaddr_storage   ss;
    realip_loc_conf_t        *rlcf;
    socklen_t                 socklen;
    pt_str_t                  value;
    int                       rc;

    if (r->loc_conf == NULL || realip_get_ctx(r) != NULL) {
        return PT_DECLINED;
    }

    rlcf = pt_http_get_module_loc_conf(r, pt_http_realip_module);

    if (rlcf->from == NULL || !realip_trusted(rlcf, r->connection->sockaddr)) {
        return PT_DECLINED;
    }

    rc = realip_header_value(r, rlcf, &value);
    if (rc != PT_OK) {
        return rc == PT_ERROR ? PT_HTTP_INTERNAL_SERVER_ERROR : PT_DECLINED;
    }

    if (realip_walk(rlcf, &value, &ss, &socklen) != PT_OK) {
        return PT_DECLINED;
    }

    return realip_set_addr(r, &ss, socklen);
}


/* $realip_remote_addr and $realip_remote_port (data 1): the peer's own. */
static int
realip_variable(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    realip_ctx_t     *ctx;
    struct sockaddr  *sa;
    pt_str_t          text;
    in_port_t         port;
    u_char           *p;

    ctx = realip_get_ctx(r);

    sa = ctx ? ctx->sockaddr : r->connection->sockaddr;
    text = ctx ? ctx->addr_text : r->connection->addr_text;

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->escape = 0;

    if (data == 0) {
        v->len = (unsigned) text.len;
        v->data = text.data;
        return PT_OK;
    }

    port = pt_sock_port(sa);

    p = pt_pnalloc(r->pool, sizeof("65535"));
    if (p == NULL) {
        return PT_ERROR;
    }

    v->data = p;
    v->len = port ? (unsigned) (pt_snprintf(p, p + sizeof("65535"), "%u",
                                            (unsigned) port) - p)
                  : 0;

    return PT_OK;
}


/* ---- configuration ----------------------------------------------------- */


static int
realip_set_from(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    realip_loc_conf_t  *rlcf = conf;
    pt_cidr_t          *cidr;
    pt_str_t           *arg;
    int                 rc;

    arg = &pt_conf_arg(cf, 1);

    if (rlcf->from == NULL || rlcf->from == PT_CONF_UNSET_PTR) {
        rlcf->from = pt_array_create(cf->pool, 2, sizeof(pt_cidr_t));
        if (rlcf->from == NULL) {
            return PT_ERROR;
        }
    }

    cidr = pt_array_push(rlcf->from);
    if (cidr == NULL) {
        return PT_ERROR;
    }

    rc = pt_parse_cidr(arg, cidr);

    if (rc == PT_ERROR) {
        return pt_conf_error(cf, "invalid parameter \"" PT_STR_FMT "\"",
                             PT_STR_ARG(*arg));
    }

    if (rc == PT_DONE) {
        pt_conf_log(cf, PT_LOG_WARN, 0, "low address bits of " PT_STR_FMT
                    " are meaningless", PT_STR_ARG(*arg));
    }

    return PT_OK;
}


static int
realip_set_header(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    realip_loc_conf_t  *rlcf = conf;
    pt_str_t            v = pt_conf_arg(cf, 1);

    if (rlcf->type != PT_CONF_UNSET) {
        return pt_conf_error(cf, "\"real_ip_header\" directive is duplicate");
    }

    if (pt_str_caseeq_lit(&v, "X-Real-IP")) {
        rlcf->type = REALIP_XREALIP;
        return PT_OK;
    }

    if (pt_str_caseeq_lit(&v, "X-Forwarded-For")) {
        rlcf->type = REALIP_XFWD;
        return PT_OK;
    }

    if (pt_str_caseeq_lit(&v, "proxy_protocol")) {
        return pt_conf_error(cf, "\"real_ip_header proxy_protocol\" is not "
                             "supported: listen has no proxy_protocol");
    }

    rlcf->type = REALIP_HEADER;
    rlcf->header = v;

    return PT_OK;
}


static int
realip_create_loc_conf(pt_conf_t *cf, void *conf)
{
    realip_loc_conf_t  *rlcf = conf;

    rlcf->from = PT_CONF_UNSET_PTR;
    rlcf->type = PT_CONF_UNSET;

    return PT_OK;
}


static int
realip_merge_loc_conf(pt_conf_t *cf, void *parent, void *child)
{
    realip_loc_conf_t  *prev = parent, *conf = child;

    if (conf->from == PT_CONF_UNSET_PTR) {
        conf->from = prev->from == PT_CONF_UNSET_PTR ? NULL : prev->from;
    }

    if (conf->type == PT_CONF_UNSET) {
        conf->type = prev->type == PT_CONF_UNSET ? REALIP_XREALIP : prev->type;
        conf->header = prev->header;
    }

    return PT_OK;
}


static int
realip_preconfiguration(pt_conf_t *cf)
{
    static const struct {
        const char  *name;
        uintptr_t    data;
    }                    vars[] = {
        { "realip_remote_addr", 0 }, { "realip_remote_port", 1 },
    };
    pt_http_variable_t  *v;
    pt_str_t             name;
    size_t               i;

    for (i = 0; i < pt_nelts(vars); i++) {
        name.data = (u_char *) vars[i].name;
        name.len = strlen(vars[i].name);

        v = pt_http_add_variable(cf, &name, 0);
        if (v == NULL) {
            return PT_ERROR;
        }

        v->get = realip_variable;
        v->data = vars[i].data;
    }

    return PT_OK;
}


static int
realip_init(pt_conf_t *cf)
{
    if (pt_http_phase_add(cf, PT_HTTP_POST_READ_PHASE, realip_handler)
        != PT_OK)
    {
        return PT_ERROR;
    }

    return pt_http_phase_add(cf, PT_HTTP_PREACCESS_PHASE, realip_handler);
}
