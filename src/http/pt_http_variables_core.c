/* SPDX-License-Identifier: BSD-2-Clause */
/* The core variables: $host, $uri, $args, $http_*, $status, $request_time ... */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"

#include <sys/random.h>


/*
 * Each getter fills v (valid, or not_found when the request has no such
 * value, which an access log prints as "-") from memory of r, its
 * connection or the configuration; what it allocates comes from r->pool.
 * Prefixed variables get data = (uintptr_t) (const pt_str_t *) the full,
 * lower-case name ("http_user_agent").
 */

static int var_host(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_hostname(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_remote_addr(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_binary_remote_addr(pt_http_request_t *r,
    pt_http_variable_value_t *v, uintptr_t data);
static int var_remote_port(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_server_addr(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_server_port(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_server_name(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_request_str(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_scheme(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_https(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_is_args(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_header_in(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_content_length(pt_http_request_t *r,
    pt_http_variable_value_t *v, uintptr_t data);
static int var_document_root(pt_http_request_t *r,
    pt_http_variable_value_t *v, uintptr_t data);
static int var_realpath_root(pt_http_request_t *r,
    pt_http_variable_value_t *v, uintptr_t data);
static int var_request_filename(pt_http_request_t *r,
    pt_http_variable_value_t *v, uintptr_t data);
static int var_request_length(pt_http_request_t *r,
    pt_http_variable_value_t *v, uintptr_t data);
static int var_request_time(pt_http_request_t *r,
    pt_http_variable_value_t *v, uintptr_t data);
static int var_request_id(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_status(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_bytes_sent(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_connection(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_connection_requests(pt_http_request_t *r,
    pt_http_variable_value_t *v, uintptr_t data);
static int var_msec(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_time(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_pid(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_static(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_request_completion(pt_http_request_t *r,
    pt_http_variable_value_t *v, uintptr_t data);
static int var_remote_user(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_http(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_sent_http(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_cookie(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_arg(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data);
static int var_proxy_add_xff(pt_http_request_t *r,
    pt_http_variable_value_t *v, uintptr_t data);
static void var_set_request_str(pt_http_request_t *r,
    pt_http_variable_value_t *v, uintptr_t data);


#define VAR_NOCACHE  PT_HTTP_VAR_NOCACHEABLE

typedef struct {
    const char               *name;
    pt_http_get_variable_pt   get;
    uintptr_t                 data;
    unsigned                  flags;
} core_var_t;

static const core_var_t  core_vars[] = {
    { "host", var_host, 0, 0 },
    { "hostname", var_hostname, 0, 0 },
    { "remote_addr", var_remote_addr, 0, 0 },
    { "binary_remote_addr", var_binary_remote_addr, 0, 0 },
    { "remote_port", var_remote_port, 0, 0 },
    { "remote_user", var_remote_user, 0, 0 },
    { "server_addr", var_server_addr, 0, 0 },
    { "server_port", var_server_port, 0, 0 },
    { "server_name", var_server_name, 0, 0 },
    { "server_protocol", var_request_str,
      offsetof(pt_http_request_t, http_protocol), 0 },
    { "scheme", var_scheme, 0, 0 },
    { "https", var_https, 0, 0 },
    { "request", var_request_str,
      offsetof(pt_http_request_t, request_line), 0 },
    { "request_method", var_request_str,
      offsetof(pt_http_request_t, method_name), VAR_NOCACHE },
    { "request_uri", var_request_str,
      offsetof(pt_http_request_t, unparsed_uri), 0 },
    { "uri", var_request_str, offsetof(pt_http_request_t, uri), VAR_NOCACHE },
    { "document_uri", var_request_str,
      offsetof(pt_http_request_t, uri), VAR_NOCACHE },
    { "args", var_request_str, offsetof(pt_http_request_t, args),
      PT_HTTP_VAR_CHANGEABLE | VAR_NOCACHE },
    { "query_string", var_request_str, offsetof(pt_http_request_t, args),
      VAR_NOCACHE },
    { "is_args", var_is_args, 0, VAR_NOCACHE },
    { "content_type", var_header_in,
      offsetof(pt_http_request_t, headers_in.content_type), 0 },
    { "content_length", var_content_length, 0, VAR_NOCACHE },
    { "document_root", var_document_root, 0, VAR_NOCACHE },
    { "realpath_root", var_realpath_root, 0, VAR_NOCACHE },
    { "request_filename", var_request_filename, 0, VAR_NOCACHE },
    { "request_length", var_request_length, 0, VAR_NOCACHE },
    { "request_time", var_request_time, 0, VAR_NOCACHE },
    { "request_id", var_request_id, 0, 0 },
    { "status", var_status, 0, VAR_NOCACHE },
    { "body_bytes_sent", var_bytes_sent, 1, VAR_NOCACHE },
    { "bytes_sent", var_bytes_sent, 0, VAR_NOCACHE },
    { "connection", var_connection, 0, 0 },
    { "connection_requests", var_connection_requests, 0, 0 },
    { "msec", var_msec, 0, VAR_NOCACHE },
    { "time_local", var_time, 0, VAR_NOCACHE },
    { "time_iso8601", var_time, 1, VAR_NOCACHE },
    { "pid", var_pid, 0, 0 },
    { "nginx_version", var_static, (uintptr_t) PORTICO_VERSION, 0 },
    { "portico_version", var_static, (uintptr_t) PORTICO_VERSION, 0 },
    { "request_completion", var_request_completion, 0, VAR_NOCACHE },
    { "proxy_add_x_forwarded_for", var_proxy_add_xff, 0, 0 },

    { "http_", var_http, 0, PT_HTTP_VAR_PREFIX },
    { "sent_http_", var_sent_http, 0, PT_HTTP_VAR_PREFIX | VAR_NOCACHE },
    { "cookie_", var_cookie, 0, PT_HTTP_VAR_PREFIX },
    { "arg_", var_arg, 0, PT_HTTP_VAR_PREFIX | VAR_NOCACHE },
};


/* ---- helpers for getters ----------------------------------------------- */


static int
var_set(pt_http_variable_value_t *v, const u_char *data, size_t len)
{
    v->len = (unsigned) len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;
    v->escape = 0;
    v->data = (u_char *) data;

    return PT_OK;
}


static int
var_not_found(pt_http_variable_value_t *v)
{
    v->len = 0;
    v->valid = 0;
    v->not_found = 1;
    v->data = NULL;

    return PT_OK;
}


#define var_set_lit(v, s)  var_set(v, (const u_char *) (s), sizeof(s) - 1)


/* Formats into r->pool; at most 64 bytes. */
static int
var_printf(pt_http_request_t *r, pt_http_variable_value_t *v,
    const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int
var_printf(pt_http_request_t *r, pt_http_variable_value_t *v,
    const char *fmt, ...)
{
    u_char   *p, *last;
    va_list   args;

    p = pt_pnalloc(r->pool, 64);
    if (p == NULL) {
        return PT_ERROR;
    }

    va_start(args, fmt);
    last = pt_vsnprintf(p, p + 64, fmt, args);
    va_end(args);

    return var_set(v, p, (size_t) (last - p));
}


static pt_http_core_srv_conf_t *
var_srv_conf(pt_http_request_t *r)
{
    if (r->srv_conf == NULL) {
        return NULL;
    }

    return pt_http_get_module_srv_conf(r, pt_http_core_module);
}


static pt_http_core_loc_conf_t *
var_loc_conf(pt_http_request_t *r)
{
    if (r->loc_conf == NULL) {
        return NULL;
    }

    return pt_http_get_module_loc_conf(r, pt_http_core_module);
}


/*
 * True when header name key matches the variable suffix name (lower-case):
 * ASCII case is ignored and '-' in the header matches '_' in the name.
 */
static bool
var_header_name_eq(const pt_str_t *key, const u_char *name, size_t len)
{
    size_t  i;
    u_char  ch;

    if (key->len != len) {
        return false;
    }

    for (i = 0; i < len; i++) {
        ch = key->data[i];

        if (ch >= 'A' && ch <= 'Z') {
            ch |= 0x20;

        } else if (ch == '-') {
            ch = '_';
        }

        if (ch != name[i]) {
            return false;
        }
    }

    return true;
}


/*
 * The values of every header of list named like [name, name + len), joined
 * with sep; not_found when there is none.
 */
static int
var_headers(pt_http_request_t *r, pt_http_variable_value_t *v,
    const pt_http_headers_t *list, const u_char *name, size_t len,
    const char *sep)
{
    pt_table_elt_t  *h, *first;
    size_t           n, total, seplen;
    u_char          *p;

    first = NULL;
    n = 0;
    total = 0;
    seplen = strlen(sep);

    for (h = list->first; h != NULL; h = h->next) {
        if (h->hash == 0 || !var_header_name_eq(&h->key, name, len)) {
            continue;
        }

        if (first == NULL) {
            first = h;
        }

        total += h->value.len + (n ? seplen : 0);
        n++;
    }

    if (first == NULL) {
        return var_not_found(v);
    }

    if (n == 1) {
        return var_set(v, first->value.data, first->value.len);
    }

    p = pt_pnalloc(r->pool, total);
    if (p == NULL) {
        return PT_ERROR;
    }

    v->data = p;

    for (h = first; h != NULL; h = h->next) {
        if (h->hash == 0 || !var_header_name_eq(&h->key, name, len)) {
            continue;
        }

        if (p != v->data) {
            p = pt_cpymem(p, sep, seplen);
        }

        p = pt_cpymem(p, h->value.data, h->value.len);
    }

    return var_set(v, v->data, total);
}

/* ---- getters ----------------------------------------------------------- */


static int
var_host(pt_http_request_t *r, pt_http_variable_value_t *v, uintptr_t data)
{
    pt_http_core_srv_conf_t  *cscf;

    if (r->headers_in.server.len) {
        return var_set(v, r->headers_in.server.data, r->headers_in.server.len);
    }

    cscf = var_srv_conf(r);

    if (cscf == NULL) {
        return var_set_lit(v, "");
    }

    return var_set(v, cscf->server_name.data, cscf->server_name.len);
}


static int
var_hostname(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    if (pt_cycle == NULL) {
        return var_not_found(v);
    }

    return var_set(v, pt_cycle->hostname.data, pt_cycle->hostname.len);
}


static int
var_remote_addr(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    return var_set(v, r->connection->addr_text.data,
                   r->connection->addr_text.len);
}


static int
var_binary_remote_addr(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_connection_t  *c;

    c = r->connection;

    switch (c->sockaddr->sa_family) {

    case AF_INET:
        return var_set(v, (u_char *)
                       &((struct sockaddr_in *) c->sockaddr)->sin_addr, 4);

    case AF_INET6:
        return var_set(v, (u_char *)
                       &((struct sockaddr_in6 *) c->sockaddr)->sin6_addr, 16);

    default:
        return var_set(v, c->addr_text.data, c->addr_text.len);
    }
}


static int
var_remote_port(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    in_port_t  port;

    port = pt_sock_port(r->connection->sockaddr);

    if (port == 0) {
        return var_set_lit(v, "");
    }

    return var_printf(r, v, "%u", (unsigned) port);
}


/* The local address of the connection, asking the kernel once. */
static struct sockaddr *
var_local_sockaddr(pt_http_request_t *r)
{
    pt_connection_t          *c;
    struct sockaddr_storage  *ss;
    socklen_t                 len;

    c = r->connection;

    if (c->local_sockaddr != NULL) {
        return c->local_sockaddr;
    }

    ss = pt_pcalloc(c->pool, sizeof(struct sockaddr_storage));
    if (ss == NULL) {
        return NULL;
    }

    len = sizeof(struct sockaddr_storage);

    if (getsockname(c->fd, (struct sockaddr *) ss, &len) == -1) {
        pt_log_error(PT_LOG_CRIT, c->log, errno, "getsockname() failed");
        return NULL;
    }

    c->local_sockaddr = (struct sockaddr *) ss;
    c->local_socklen = len;

    return c->local_sockaddr;
}


static int
var_server_addr(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    struct sockaddr  *sa;
    u_char           *p;
    size_t            len;

    sa = var_local_sockaddr(r);
    if (sa == NULL) {
        return PT_ERROR;
    }

    p = pt_pnalloc(r->pool, 128);
    if (p == NULL) {
        return PT_ERROR;
    }

    len = pt_sock_ntop(sa, r->connection->local_socklen, p, 128, false);

    return var_set(v, p, len);
}


static int
var_server_port(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    struct sockaddr  *sa;
    in_port_t         port;

    sa = var_local_sockaddr(r);
    if (sa == NULL) {
        return PT_ERROR;
    }

    port = pt_sock_port(sa);

    if (port == 0) {
        return var_set_lit(v, "");
    }

    return var_printf(r, v, "%u", (unsigned) port);
}


static int
var_server_name(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_http_core_srv_conf_t  *cscf;

    cscf = var_srv_conf(r);

    if (cscf == NULL) {
        return var_set_lit(v, "");
    }

    return var_set(v, cscf->server_name.data, cscf->server_name.len);
}


/*
 * A pt_str_t member of the request at offset data; not_found when empty,
 * so that "/path?" logs $args as "-" like nginx.
 */
static int
var_request_str(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_str_t  *s;

    s = (pt_str_t *) ((u_char *) r + data);

    if (s->data == NULL || s->len == 0) {
        return var_not_found(v);
    }

    return var_set(v, s->data, s->len);
}


/*
 * The client's X-Forwarded-For lines joined with ", ", then ", " and
 * $remote_addr; just $remote_addr without the header.
 */
static int
var_proxy_add_xff(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_table_elt_t  *h;
    pt_str_t        *addr;
    size_t           len;
    u_char          *p;

    addr = &r->connection->addr_text;
    len = addr->len;

    for (h = r->headers_in.x_forwarded_for; h; h = h->dup) {
        len += h->value.len + 2;
    }

    if (len == addr->len) {
        return var_set(v, addr->data, addr->len);
    }

    p = pt_pnalloc(r->pool, len);
    if (p == NULL) {
        return PT_ERROR;
    }

    v->data = p;

    for (h = r->headers_in.x_forwarded_for; h; h = h->dup) {
        p = pt_cpymem(p, h->value.data, h->value.len);
        *p++ = ',';
        *p++ = ' ';
    }

    pt_memcpy(p, addr->data, addr->len);

    return var_set(v, v->data, len);
}


/* `set $args ...`: the request's own string changes. */
static void
var_set_request_str(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_str_t  *s;

    s = (pt_str_t *) ((u_char *) r + data);
    s->len = v->len;
    s->data = v->data;
}


static int
var_scheme(pt_http_request_t *r, pt_http_variable_value_t *v, uintptr_t data)
{
    if (r->connection->ssl != NULL) {
        return var_set_lit(v, "https");
    }

    return var_set_lit(v, "http");
}


static int
var_https(pt_http_request_t *r, pt_http_variable_value_t *v, uintptr_t data)
{
    if (r->connection->ssl != NULL) {
        return var_set_lit(v, "on");
    }

    return var_set_lit(v, "");
}


static int
var_is_args(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->args.len == 0) {
        return var_set_lit(v, "");
    }

    return var_set_lit(v, "?");
}


/* A known request header (pt_table_elt_t * at offset data of r). */
static int
var_header_in(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_table_elt_t  *h;

    h = *(pt_table_elt_t **) ((u_char *) r + data);

    if (h == NULL || h->hash == 0) {
        return var_not_found(v);
    }

    return var_set(v, h->value.data, h->value.len);
}


static int
var_content_length(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_table_elt_t  *h;

    h = r->headers_in.content_length;

    if (h != NULL && h->hash != 0) {
        return var_set(v, h->value.data, h->value.len);
    }

    if (r->headers_in.chunked && r->request_body != NULL
        && r->request_body->rest == 0)
    {
        /* a chunked body read in full: its size, as nginx reports */
        return var_printf(r, v, "%lld",
                          (long long) r->request_body->received);
    }

    return var_not_found(v);
}


/* The document root of the location, absolute; PT_ERROR on failure. */
static int
var_root(pt_http_request_t *r, pt_str_t *root)
{
    pt_http_core_loc_conf_t  *clcf;

    clcf = var_loc_conf(r);

    if (clcf == NULL) {
        root->len = 0;
        root->data = (u_char *) "";
        return PT_OK;
    }

    if (clcf->root_cv == NULL) {
        *root = clcf->root;
        return PT_OK;
    }

    if (pt_http_complex_value(r, clcf->root_cv, root) != PT_OK) {
        return PT_ERROR;
    }

    if (pt_cycle != NULL
        && pt_get_full_name(r->pool, &pt_cycle->prefix, root) != PT_OK)
    {
        return PT_ERROR;
    }

    return PT_OK;
}


static int
var_document_root(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_str_t  root;

    if (var_root(r, &root) != PT_OK) {
        return PT_ERROR;
    }

    return var_set(v, root.data, root.len);
}


static int
var_realpath_root(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_str_t   root;
    char      *path, *real;
    u_char    *p;
    size_t     len;

    if (var_root(r, &root) != PT_OK) {
        return PT_ERROR;
    }

    path = (char *) pt_pstrdup(r->pool, &root);
    if (path == NULL) {
        return PT_ERROR;
    }

    real = realpath(path, NULL);

    if (real == NULL) {
        pt_log_error(PT_LOG_CRIT, r->connection->log, errno,
                     "realpath() \"%s\" failed", path);
        return PT_ERROR;
    }

    len = strlen(real);
    p = pt_pnalloc(r->pool, len);

    if (p != NULL) {
        pt_memcpy(p, real, len);
    }

    free(real);

    if (p == NULL) {
        return PT_ERROR;
    }

    return var_set(v, p, len);
}


static int
var_request_filename(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_str_t   path;
    size_t     root_len;
    u_char    *last;

    if (var_loc_conf(r) == NULL) {
        return var_not_found(v);
    }

    last = pt_http_map_uri_to_path(r, &path, &root_len, 0);
    if (last == NULL) {
        return PT_ERROR;
    }

    return var_set(v, path.data, (size_t) (last - path.data));
}


static int
var_request_length(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    return var_printf(r, v, "%lld", (long long) r->request_length);
}


static int
var_request_time(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    int64_t  ms;

    ms = (int64_t) (pt_cached_time->sec - r->start_sec) * 1000
         + (int64_t) pt_cached_time->msec - (int64_t) r->start_msec_frac;

    if (ms < 0) {
        ms = 0;
    }

    return var_printf(r, v, "%lld.%03lld", (long long) (ms / 1000),
                      (long long) (ms % 1000));
}


static int
var_request_id(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    u_char   id[16], *p;
    ssize_t  n;
    size_t   i;

    n = getrandom(id, sizeof(id), GRND_NONBLOCK);

    if (n != (ssize_t) sizeof(id)) {
        /* entropy not ready yet (early boot): unique is all that matters */
        for (i = 0; i < sizeof(id); i++) {
            id[i] = (u_char) random();
        }
    }

    p = pt_pnalloc(r->pool, 32);
    if (p == NULL) {
        return PT_ERROR;
    }

    pt_hex_dump(p, id, sizeof(id));

    return var_set(v, p, 32);
}


static int
var_status(pt_http_request_t *r, pt_http_variable_value_t *v, uintptr_t data)
{
    unsigned  status;

    status = r->err_status ? r->err_status : r->headers_out.status;

    return var_printf(r, v, "%03u", status);
}


/* $bytes_sent (data 0) and $body_bytes_sent (data 1). */
static int
var_bytes_sent(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    off_t  sent;

    sent = r->connection->sent;

    if (data) {
        sent -= r->header_size;
    }

    if (sent < 0) {
        sent = 0;
    }

    return var_printf(r, v, "%lld", (long long) sent);
}


static int
var_connection(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    return var_printf(r, v, "%llu",
                      (unsigned long long) r->connection->number);
}


static int
var_connection_requests(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    return var_printf(r, v, "%u", r->connection->requests);
}


static int
var_msec(pt_http_request_t *r, pt_http_variable_value_t *v, uintptr_t data)
{
    return var_printf(r, v, "%lld.%03u", (long long) pt_cached_time->sec,
                      pt_cached_time->msec);
}


/* $time_local (data 0) and $time_iso8601 (data 1), copied: the cache moves. */
static int
var_time(pt_http_request_t *r, pt_http_variable_value_t *v, uintptr_t data)
{
    pt_str_t  *t;
    u_char    *p;

    t = data ? &pt_cached_http_log_iso8601 : &pt_cached_http_log_time;

    p = pt_pnalloc(r->pool, t->len);
    if (p == NULL) {
        return PT_ERROR;
    }

    pt_memcpy(p, t->data, t->len);

    return var_set(v, p, t->len);
}


static int
var_pid(pt_http_request_t *r, pt_http_variable_value_t *v, uintptr_t data)
{
    return var_printf(r, v, "%d", (int) pt_pid);
}


/* A constant string (const char * in data). */
static int
var_static(pt_http_request_t *r, pt_http_variable_value_t *v, uintptr_t data)
{
    const char  *s;

    s = (const char *) data;

    return var_set(v, (const u_char *) s, strlen(s));
}


static int
var_request_completion(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    if (r->done) {
        return var_set_lit(v, "OK");
    }

    return var_set_lit(v, "");
}


static int
var_base64_value(u_char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '+') {
        return 62;
    }

    if (c == '/') {
        return 63;
    }

    return -1;
}


/*
 * Decodes standard base64 (padding optional) into dst, which must hold
 * len * 3 / 4 + 3 bytes.  Returns the decoded length or -1 when malformed.
 */
static ssize_t
var_base64_decode(u_char *dst, const u_char *src, size_t len)
{
    uint32_t  acc;
    size_t    i, n, bits;
    int       d;

    while (len > 0 && src[len - 1] == '=') {
        len--;
    }

    acc = 0;
    bits = 0;
    n = 0;

    for (i = 0; i < len; i++) {
        d = var_base64_value(src[i]);
        if (d < 0) {
            return -1;
        }

        acc = (acc << 6) | (uint32_t) d;
        bits += 6;

        if (bits >= 8) {
            bits -= 8;
            dst[n++] = (u_char) (acc >> bits);
        }
    }

    if (len % 4 == 1) {
        return -1;
    }

    return (ssize_t) n;
}


/* The user of an "Authorization: Basic" header, as nginx reports it. */
static int
var_remote_user(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_table_elt_t  *h;
    u_char          *p, *last, *user;
    ssize_t          n;
    size_t           i;

    h = r->headers_in.authorization;

    if (h == NULL || h->hash == 0 || h->value.len < sizeof("Basic ") - 1
        || pt_strncasecmp(h->value.data, (u_char *) "Basic ", 6) != 0)
    {
        return var_not_found(v);
    }

    p = h->value.data + 6;
    last = h->value.data + h->value.len;

    while (p < last && *p == ' ') {
        p++;
    }

    while (last > p && last[-1] == ' ') {
        last--;
    }

    if (p == last) {
        return var_not_found(v);
    }

    user = pt_pnalloc(r->pool, (size_t) (last - p) * 3 / 4 + 3);
    if (user == NULL) {
        return PT_ERROR;
    }

    n = var_base64_decode(user, p, (size_t) (last - p));
    if (n <= 0) {
        return var_not_found(v);
    }

    for (i = 0; i < (size_t) n; i++) {
        if (user[i] == ':') {
            break;
        }
    }

    if (i == 0 || i == (size_t) n) {
        return var_not_found(v);
    }

    return var_set(v, user, i);
}


/* $http_NAME: request headers, several joined ("; " for Cookie). */
static int
var_http(pt_http_request_t *r, pt_http_variable_value_t *v, uintptr_t data)
{
    const pt_str_t  *name;
    const u_char    *s;
    size_t           len;

    name = (const pt_str_t *) data;
    s = name->data + sizeof("http_") - 1;
    len = name->len - (sizeof("http_") - 1);

    if (len == sizeof("cookie") - 1 && memcmp(s, "cookie", len) == 0) {
        return var_headers(r, v, &r->headers_in.headers, s, len, "; ");
    }

    return var_headers(r, v, &r->headers_in.headers, s, len, ", ");
}


static bool
var_name_is(const u_char *s, size_t len, const char *lit)
{
    return len == strlen(lit) && memcmp(s, lit, len) == 0;
}


/* $sent_http_NAME: response headers, with the fields the core keeps aside. */
static int
var_sent_http(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_http_headers_out_t    *ho;
    pt_http_core_loc_conf_t  *clcf;
    const pt_str_t           *name;
    const u_char             *s;
    size_t                    len;
    u_char                   *p;

    name = (const pt_str_t *) data;
    s = name->data + sizeof("sent_http_") - 1;
    len = name->len - (sizeof("sent_http_") - 1);
    ho = &r->headers_out;

    if (var_name_is(s, len, "content_type")) {
        if (ho->content_type.len == 0) {
            return var_not_found(v);
        }

        if (ho->charset.len == 0) {
            return var_set(v, ho->content_type.data, ho->content_type.len);
        }

        len = ho->content_type.len + sizeof("; charset=") - 1
              + ho->charset.len;
        p = pt_pnalloc(r->pool, len);
        if (p == NULL) {
            return PT_ERROR;
        }

        v->data = p;
        p = pt_cpymem(p, ho->content_type.data, ho->content_type.len);
        p = pt_cpymem(p, "; charset=", sizeof("; charset=") - 1);
        pt_memcpy(p, ho->charset.data, ho->charset.len);

        return var_set(v, v->data, len);
    }

    if (var_name_is(s, len, "content_length")) {
        if (ho->content_length != NULL && ho->content_length->hash != 0) {
            return var_set(v, ho->content_length->value.data,
                           ho->content_length->value.len);
        }

        if (ho->content_length_n >= 0) {
            return var_printf(r, v, "%lld", (long long) ho->content_length_n);
        }

        return var_not_found(v);
    }

    if (var_name_is(s, len, "location")) {
        if (ho->location != NULL && ho->location->value.len) {
            return var_set(v, ho->location->value.data,
                           ho->location->value.len);
        }

        return var_headers(r, v, &ho->headers, s, len, ", ");
    }

    if (var_name_is(s, len, "last_modified")) {
        if (ho->last_modified != NULL && ho->last_modified->hash != 0) {
            return var_set(v, ho->last_modified->value.data,
                           ho->last_modified->value.len);
        }

        if (ho->last_modified_time >= 0) {
            p = pt_pnalloc(r->pool, sizeof("Mon, 28 Sep 1970 06:00:00 GMT"));
            if (p == NULL) {
                return PT_ERROR;
            }

            return var_set(v, p, (size_t) (pt_http_time(p,
                                               ho->last_modified_time) - p));
        }

        return var_not_found(v);
    }

    if (var_name_is(s, len, "connection")) {
        if (ho->status == PT_HTTP_SWITCHING_PROTOCOLS) {
            return var_set_lit(v, "upgrade");
        }

        if (r->keepalive) {
            return var_set_lit(v, "keep-alive");
        }

        return var_set_lit(v, "close");
    }

    if (var_name_is(s, len, "keep_alive")) {
        clcf = var_loc_conf(r);

        if (r->keepalive && clcf != NULL && clcf->keepalive_header > 0) {
            return var_printf(r, v, "timeout=%lld",
                              (long long) clcf->keepalive_header);
        }

        return var_not_found(v);
    }

    if (var_name_is(s, len, "transfer_encoding")) {
        if (r->chunked) {
            return var_set_lit(v, "chunked");
        }

        return var_not_found(v);
    }

    return var_headers(r, v, &ho->headers, s, len, ", ");
}


/*
 * Finds cookie name (lower-case, len bytes) in one Cookie header value:
 * pairs are separated by ';', the name is compared ignoring case, spaces
 * around '=' are allowed.  PT_OK with *value set, or PT_DECLINED.
 */
static int
var_cookie_find(const pt_str_t *header, const u_char *name, size_t len,
    pt_str_t *value)
{
    u_char  *p, *end, *last;

    p = header->data;
    end = p + header->len;

    while (p < end) {
        while (p < end && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if ((size_t) (end - p) >= len && pt_strncasecmp(p, name, len) == 0) {
            last = p + len;

            while (last < end && *last == ' ') {
                last++;
            }

            if (last < end && *last == '=') {
                last++;

                while (last < end && *last == ' ') {
                    last++;
                }

                value->data = last;

                while (last < end && *last != ';') {
                    last++;
                }

                while (last > value->data && last[-1] == ' ') {
                    last--;
                }

                value->len = (size_t) (last - value->data);
                return PT_OK;
            }
        }

        while (p < end && *p != ';') {
            p++;
        }

        if (p < end) {
            p++;                                  /* ';' */
        }
    }

    return PT_DECLINED;
}


static int
var_cookie(pt_http_request_t *r, pt_http_variable_value_t *v, uintptr_t data)
{
    const pt_str_t  *name;
    pt_table_elt_t  *h;
    pt_str_t         value;
    const u_char    *s;
    size_t           len;

    name = (const pt_str_t *) data;
    s = name->data + sizeof("cookie_") - 1;
    len = name->len - (sizeof("cookie_") - 1);

    for (h = r->headers_in.headers.first; h != NULL; h = h->next) {
        if (h->hash == 0 || !pt_str_caseeq_lit(&h->key, "cookie")) {
            continue;
        }

        if (var_cookie_find(&h->value, s, len, &value) == PT_OK) {
            return var_set(v, value.data, value.len);
        }
    }

    return var_not_found(v);
}


/* $arg_NAME: the raw value of the first "NAME=" argument (name caseless). */
static int
var_arg(pt_http_request_t *r, pt_http_variable_value_t *v, uintptr_t data)
{
    const pt_str_t  *name;
    const u_char    *s;
    u_char          *p, *end, *seg;
    size_t           len;

    name = (const pt_str_t *) data;
    s = name->data + sizeof("arg_") - 1;
    len = name->len - (sizeof("arg_") - 1);

    p = r->args.data;
    end = p + r->args.len;

    while (p < end) {
        seg = p;

        while (p < end && *p != '&') {
            p++;
        }

        if ((size_t) (p - seg) > len && seg[len] == '='
            && pt_strncasecmp(seg, s, len) == 0)
        {
            return var_set(v, seg + len + 1, (size_t) (p - seg) - len - 1);
        }

        if (p == end) {
            break;
        }

        p++;                                      /* '&' */
    }

    return var_not_found(v);
}


/* Declares the variables of the core; see the header. */
int
pt_http_variables_add_core_vars(pt_conf_t *cf)
{
    pt_http_variable_t  *v;
    pt_str_t             name;
    size_t               i;

    for (i = 0; i < pt_nelts(core_vars); i++) {
        name.data = (u_char *) core_vars[i].name;
        name.len = strlen(core_vars[i].name);

        v = pt_http_add_variable(cf, &name, core_vars[i].flags);
        if (v == NULL) {
            return PT_ERROR;
        }

        v->get = core_vars[i].get;

        /* the changeable core variables are request strings ($args) */
        if (core_vars[i].flags & PT_HTTP_VAR_CHANGEABLE) {
            v->set = var_set_request_str;
        }
        v->data = core_vars[i].data;
    }

    return PT_OK;
}

