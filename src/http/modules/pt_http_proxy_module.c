/* SPDX-License-Identifier: BSD-2-Clause */
/* proxy_pass: directives, connecting to a backend, failover, timeouts. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_proxy.h"
#include "pt_http_ssl_conf.h"

static int proxy_pass(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int proxy_set_header(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int proxy_header_list(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int proxy_http_version(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int proxy_next_upstream(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int proxy_redirect(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int proxy_temp_path(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int proxy_bind(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int proxy_create_loc_conf(pt_conf_t *cf, void *conf);
static int proxy_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf);
static int proxy_preconfiguration(pt_conf_t *cf);
static int proxy_handler(pt_http_request_t *r);
static void proxy_connect(proxy_ctx_t *ctx);

#define PROXY_CTX  (PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC)
#define PLCF(m)    PT_LOC_FIELD(proxy_loc_conf_t, m)

static const pt_command_t  proxy_commands[] = {
    { .name = "proxy_pass", .ctx = PT_HTTP_LOC | PT_HTTP_IF,
      .args = PT_CONF_TAKE1, .set = proxy_pass },
    { .name = "proxy_set_header", .ctx = PROXY_CTX, .args = PT_CONF_TAKE2,
      .set = proxy_set_header },
    { .name = "proxy_hide_header", .ctx = PROXY_CTX, .args = PT_CONF_TAKE1,
      .set = proxy_header_list },
    { .name = "proxy_pass_header", .ctx = PROXY_CTX, .args = PT_CONF_TAKE1,
      .set = proxy_header_list },
    { .name = "proxy_http_version", .ctx = PROXY_CTX, .args = PT_CONF_TAKE1,
      .set = proxy_http_version },
    { .name = "proxy_pass_request_headers", .ctx = PROXY_CTX,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PLCF(pass_request_headers), .def.flag = 1 },
    { .name = "proxy_pass_request_body", .ctx = PROXY_CTX,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PLCF(pass_request_body), .def.flag = 1 },
    { .name = "proxy_intercept_errors", .ctx = PROXY_CTX,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PLCF(intercept_errors), .def.flag = 0 },
    { .name = "proxy_redirect", .ctx = PROXY_CTX, .args = PT_CONF_TAKE12,
      .set = proxy_redirect },
    { .name = "proxy_connect_timeout", .ctx = PROXY_CTX, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_msec, .field = PLCF(connect_timeout),
      .def.msec = 60000 },
    { .name = "proxy_send_timeout", .ctx = PROXY_CTX, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_msec, .field = PLCF(send_timeout), .def.msec = 60000 },
    { .name = "proxy_read_timeout", .ctx = PROXY_CTX, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_msec, .field = PLCF(read_timeout), .def.msec = 60000 },
    { .name = "proxy_next_upstream", .ctx = PROXY_CTX, .args = PT_CONF_1MORE,
      .set = proxy_next_upstream },
    { .name = "proxy_next_upstream_tries", .ctx = PROXY_CTX,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_num,
      .field = PLCF(next_upstream_tries), .def.i = 0 },
    { .name = "proxy_next_upstream_timeout", .ctx = PROXY_CTX,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_msec,
      .field = PLCF(next_upstream_timeout), .def.msec = 0 },
    { .name = "proxy_buffering", .ctx = PROXY_CTX, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PLCF(buffering), .def.flag = 1 },
    { .name = "proxy_buffer_size", .ctx = PROXY_CTX, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_size, .field = PLCF(buffer_size), .def.size = 4096,
      .min = 512 },
    { .name = "proxy_buffers", .ctx = PROXY_CTX, .args = PT_CONF_TAKE2,
      .set = pt_conf_set_bufs, .field = PLCF(bufs), .min = 512 },
    { .name = "proxy_busy_buffers_size", .ctx = PROXY_CTX,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_size,
      .field = PLCF(busy_buffers_size), .def.size = 0 },
    { .name = "proxy_upstream_wait", .ctx = PROXY_CTX, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_msec, .field = PLCF(upstream_wait), .def.msec = 0 },
    { .name = "proxy_upstream_wait_queue", .ctx = PROXY_CTX,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_num,
      .field = PLCF(upstream_wait_queue), .def.i = 1000, .min = 1 },
    /* Checked and kept for compatibility: responses never go to disk. */
    { .name = "proxy_max_temp_file_size", .ctx = PROXY_CTX,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_size,
      .field = PLCF(max_temp_file_size), .def.size = 1024 * 1024 * 1024 },
    { .name = "proxy_temp_file_write_size", .ctx = PROXY_CTX,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_size,
      .field = PLCF(temp_file_write_size), .def.size = 16384 },
    { .name = "proxy_temp_path", .ctx = PROXY_CTX, .args = PT_CONF_TAKE1234,
      .set = proxy_temp_path },
    { .name = "proxy_ssl_server_name", .ctx = PROXY_CTX, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PLCF(ssl_server_name),
      .def.flag = 0 },
    { .name = "proxy_ssl_name", .ctx = PROXY_CTX, .args = PT_CONF_TAKE1,
      .set = pt_http_proxy_ssl_set_name },
    { .name = "proxy_ssl_verify", .ctx = PROXY_CTX, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PLCF(ssl_verify), .def.flag = 0 },
    { .name = "proxy_ssl_verify_depth", .ctx = PROXY_CTX,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_num,
      .field = PLCF(ssl_verify_depth), .def.i = 1, .min = 0, .max = 100 },
    { .name = "proxy_ssl_trusted_certificate", .ctx = PROXY_CTX,
      .args = PT_CONF_TAKE1, .set = pt_http_ssl_set_path,
      .field = PLCF(ssl_trusted_certificate) },
    { .name = "proxy_ssl_protocols", .ctx = PROXY_CTX, .args = PT_CONF_1MORE,
      .set = pt_http_ssl_set_protocols, .field = PLCF(ssl_protocols) },
    { .name = "proxy_ssl_ciphers", .ctx = PROXY_CTX, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_str, .field = PLCF(ssl_ciphers),
      .def.str = "DEFAULT" },
    { .name = "proxy_ssl_session_reuse", .ctx = PROXY_CTX,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PLCF(ssl_session_reuse), .def.flag = 1 },
    { .name = "proxy_ssl_certificate", .ctx = PROXY_CTX, .args = PT_CONF_TAKE1,
      .set = pt_http_ssl_set_path, .field = PLCF(ssl_certificate) },
    { .name = "proxy_ssl_certificate_key", .ctx = PROXY_CTX,
      .args = PT_CONF_TAKE1, .set = pt_http_ssl_set_path,
      .field = PLCF(ssl_certificate_key) },
    { .name = "proxy_bind", .ctx = PROXY_CTX, .args = PT_CONF_TAKE12,
      .set = proxy_bind },
    { .name = "proxy_request_buffering", .ctx = PROXY_CTX,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PLCF(request_buffering), .def.flag = 1 },
    PT_COMMAND_END
};

static const pt_http_module_t  proxy_module_ctx = {
    .preconfiguration = proxy_preconfiguration,
    .loc_conf_size = sizeof(proxy_loc_conf_t),
    .create_loc_conf = proxy_create_loc_conf,
    .merge_loc_conf = proxy_merge_loc_conf,
};

pt_module_t  pt_http_proxy_module = {
    .name = "pt_http_proxy_module",
    .type = PT_HTTP_MODULE,
    .commands = proxy_commands,
    .ctx = &proxy_module_ctx,
};


/* Configuration. */

static int
proxy_create_loc_conf(pt_conf_t *cf, void *conf)
{
    proxy_loc_conf_t  *plcf = conf;

    plcf->set_headers = PT_CONF_UNSET_PTR;
    plcf->hide_headers = PT_CONF_UNSET_PTR;
    plcf->pass_headers = PT_CONF_UNSET_PTR;
    plcf->http_version = PT_CONF_UNSET;
    plcf->next_upstream = PT_CONF_UNSET;
    plcf->redirect = PT_CONF_UNSET;
    plcf->ssl_name = PT_CONF_UNSET_PTR;
    plcf->bind = PT_CONF_UNSET_PTR;
    return PT_OK;
}


static int
proxy_add_default_header(pt_conf_t *cf, pt_array_t *a, const char *name,
    const char *value)
{
    proxy_header_t  *h = pt_array_push(a);
    pt_str_t         v = { strlen(value), (u_char *) value };

    if (h == NULL) {
        return PT_ERROR;
    }

    h->name.data = (u_char *) name;
    h->name.len = strlen(name);
    return pt_http_compile_complex_value(cf, &v, &h->value);
}


/*
 * nginx's defaults: Host is the proxied host, Connection close; a
 * location's own proxy_set_header lines come after and win by name.
 */
static int
proxy_merge_headers(pt_conf_t *cf, proxy_loc_conf_t *prev,
    proxy_loc_conf_t *conf)
{
    if (conf->set_headers == PT_CONF_UNSET_PTR) {
        conf->set_headers = prev->set_headers;
    }

    if (conf->set_headers != PT_CONF_UNSET_PTR && conf->set_headers) {
        return PT_OK;
    }

    conf->set_headers = pt_array_create(cf->pool, 4, sizeof(proxy_header_t));
    if (conf->set_headers == NULL
        || proxy_add_default_header(cf, conf->set_headers, "Host",
                                    "$proxy_host") != PT_OK
        || proxy_add_default_header(cf, conf->set_headers, "Connection",
                                    "close") != PT_OK)
    {
        return PT_ERROR;
    }

    if (prev->set_headers == PT_CONF_UNSET_PTR) {
        prev->set_headers = conf->set_headers;
    }

    return PT_OK;
}


static int
proxy_merge_loc_conf(pt_conf_t *cf, void *parent, void *child)
{
    proxy_loc_conf_t  *prev = parent, *conf = child;

    if (proxy_merge_headers(cf, prev, conf) != PT_OK) {
        return PT_ERROR;
    }

    if (conf->hide_headers == PT_CONF_UNSET_PTR) {
        conf->hide_headers = prev->hide_headers == PT_CONF_UNSET_PTR
                             ? NULL : prev->hide_headers;
    }

    if (conf->pass_headers == PT_CONF_UNSET_PTR) {
        conf->pass_headers = prev->pass_headers == PT_CONF_UNSET_PTR
                             ? NULL : prev->pass_headers;
    }

    if (conf->http_version == PT_CONF_UNSET) {
        conf->http_version = prev->http_version != PT_CONF_UNSET
                             ? prev->http_version : PT_HTTP_VERSION_10;
    }

    if (conf->next_upstream == PT_CONF_UNSET) {
        conf->next_upstream = prev->next_upstream != PT_CONF_UNSET
                              ? prev->next_upstream
                              : PROXY_NEXT_ERROR | PROXY_NEXT_TIMEOUT;
    }

    if (conf->bufs.num == 0) {
        conf->bufs = prev->bufs.num ? prev->bufs : (pt_conf_bufs_t) { 8, 8192 };
    }

    /* As nginx: twice a buffer unless set (0 from the table default). */
    if (conf->busy_buffers_size == 0) {
        conf->busy_buffers_size = 2 * conf->bufs.size;
    }

    if (conf->bind == PT_CONF_UNSET_PTR) {
        conf->bind = prev->bind == PT_CONF_UNSET_PTR ? NULL : prev->bind;
        conf->bind_transparent = prev->bind_transparent;
    }

    if (conf->redirect == PT_CONF_UNSET) {
        conf->redirect = prev->redirect != PT_CONF_UNSET ? prev->redirect : 1;
        conf->redirects = prev->redirects;
    }

    return pt_http_proxy_ssl_merge(cf, prev, conf);
}


const char *
pt_http_proxy_split_url(const pt_str_t *url, proxy_url_t *u)
{
    pt_str_t  host;
    size_t    skip = 7;

    memset(u, 0, sizeof(*u));

    if (url->len > 8 && pt_strncasecmp(url->data, (u_char *) "https://", 8) == 0) {
        u->ssl = 1;
        skip = 8;
    } else if (url->len <= 7
               || pt_strncasecmp(url->data, (u_char *) "http://", 7) != 0)
    {
        return "invalid URL prefix";
    }

    host.data = url->data + skip;
    host.len = url->len - skip;

    u_char  *slash = memchr(host.data, '/', host.len);

    if (slash) {
        u->uri.data = slash;
        u->uri.len = (size_t) (host.data + host.len - slash);
        u->has_uri = 1;
        host.len = (size_t) (slash - host.data);
    }

    u->proxy_host = host;

    /* A port after the last ':' that is not inside IPv6 brackets. */
    u_char  *colon = NULL;

    for (size_t i = host.len; i-- > 0; ) {
        if (host.data[i] == ']') {
            break;
        }
        if (host.data[i] == ':') {
            colon = host.data + i;
            break;
        }
    }

    u->port_n = u->ssl ? 443 : 80;
    if (u->ssl) {
        pt_str_set(&u->port, "443");
    } else {
        pt_str_set(&u->port, "80");
    }

    if (colon) {
        int64_t  p = pt_atoi(colon + 1,
                             (size_t) (host.data + host.len - colon - 1), 65535);

        if (p <= 0) {
            return "invalid port";
        }

        u->port_n = (in_port_t) p;
        u->has_port = 1;
        u->port.data = colon + 1;
        u->port.len = (size_t) (host.data + host.len - colon - 1);
        host.len = (size_t) (colon - host.data);
    }

    if (host.len == 0) {
        return "no host";
    }

    u->host = host;
    return NULL;
}


static int
proxy_parse_url(pt_conf_t *cf, proxy_loc_conf_t *plcf, pt_str_t url)
{
    proxy_url_t   u;
    const char   *err = pt_http_proxy_split_url(&url, &u);

    if (err) {
        return pt_conf_error(cf, "%s in \"%.*s\"", err, PT_STR_ARG(url));
    }

    plcf->host = u.proxy_host;
    plcf->port = u.port;
    plcf->uri = u.uri;
    plcf->has_uri = u.has_uri;
    plcf->ssl_url = u.ssl;
    plcf->upstream = pt_http_upstream_add(cf, &u.host, u.port_n, u.has_port);
    return plcf->upstream ? PT_OK : PT_ERROR;
}


static int
proxy_pass(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    proxy_loc_conf_t         *plcf = conf;
    pt_http_core_loc_conf_t  *clcf = pt_http_conf_get_module_loc_conf(cf,
                                                         pt_http_core_module);
    pt_str_t                  url = pt_conf_arg(cf, 1);

    if (plcf->url.data || plcf->url_cv) {
        return pt_conf_error(cf, "\"proxy_pass\" directive is duplicate");
    }

    clcf->handler = proxy_handler;
    plcf->location = clcf->name;
    plcf->regex_location = clcf->regex != NULL;
    plcf->url = url;

    if (memchr(url.data, '$', url.len)) {
        plcf->url_cv = pt_pcalloc(cf->pool, sizeof(pt_http_complex_value_t));
        if (plcf->url_cv == NULL) {
            return PT_ERROR;
        }
        return pt_http_compile_complex_value(cf, &url, plcf->url_cv);
    }

    if (proxy_parse_url(cf, plcf, url) != PT_OK) {
        return PT_ERROR;
    }

    if (plcf->has_uri && (clcf->regex || clcf->named)) {
        return pt_conf_error(cf, "\"proxy_pass\" cannot have URI part in "
                             "location given by regular expression, or "
                             "inside named location");
    }

    return PT_OK;
}


static int
proxy_set_header(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    proxy_loc_conf_t  *plcf = conf;
    proxy_header_t    *h;

    if (plcf->set_headers == PT_CONF_UNSET_PTR || plcf->set_headers == NULL) {
        plcf->set_headers = pt_array_create(cf->pool, 8,
                                            sizeof(proxy_header_t));
        if (plcf->set_headers == NULL
            || proxy_add_default_header(cf, plcf->set_headers, "Host",
                                        "$proxy_host") != PT_OK
            || proxy_add_default_header(cf, plcf->set_headers, "Connection",
                                        "close") != PT_OK)
        {
            return PT_ERROR;
        }
    }

    h = pt_array_push(plcf->set_headers);
    if (h == NULL) {
        return PT_ERROR;
    }

    h->name = pt_conf_arg(cf, 1);
    return pt_http_compile_complex_value(cf, &pt_conf_arg(cf, 2), &h->value);
}


static int
proxy_header_list(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    proxy_loc_conf_t  *plcf = conf;
    pt_array_t       **list = cmd->name[6] == 'h' ? &plcf->hide_headers
                                                  : &plcf->pass_headers;
    pt_str_t          *name;

    if (*list == PT_CONF_UNSET_PTR || *list == NULL) {
        *list = pt_array_create(cf->pool, 4, sizeof(pt_str_t));
        if (*list == NULL) {
            return PT_ERROR;
        }
    }

    name = pt_array_push(*list);
    if (name == NULL) {
        return PT_ERROR;
    }

    *name = pt_conf_arg(cf, 1);
    pt_strlow(name->data, name->data, name->len);
    return PT_OK;
}


static int
proxy_http_version(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    proxy_loc_conf_t  *plcf = conf;
    pt_str_t          *v = &pt_conf_arg(cf, 1);

    if (plcf->http_version != PT_CONF_UNSET) {
        return pt_conf_error(cf, "\"proxy_http_version\" directive is "
                             "duplicate");
    }

    if (pt_str_caseeq_lit(v, "1.0")) {
        plcf->http_version = PT_HTTP_VERSION_10;
    } else if (pt_str_caseeq_lit(v, "1.1")) {
        plcf->http_version = PT_HTTP_VERSION_11;
    } else {
        return pt_conf_error(cf, "invalid value \"%.*s\"", PT_STR_ARG(*v));
    }

    return PT_OK;
}


static int
proxy_next_upstream(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    static const pt_conf_enum_t  masks[] = {
        { "error", PROXY_NEXT_ERROR }, { "timeout", PROXY_NEXT_TIMEOUT },
        { "invalid_header", PROXY_NEXT_INVALID_HEADER },
        { "http_500", PROXY_NEXT_HTTP_500 }, { "http_502", PROXY_NEXT_HTTP_502 },
        { "http_503", PROXY_NEXT_HTTP_503 }, { "http_504", PROXY_NEXT_HTTP_504 },
        { "http_403", PROXY_NEXT_HTTP_403 }, { "http_404", PROXY_NEXT_HTTP_404 },
        { "http_429", PROXY_NEXT_HTTP_429 },
        { "non_idempotent", PROXY_NEXT_NON_IDEMPOTENT },
        { "off", PROXY_NEXT_OFF }, { NULL, 0 }
    };
    proxy_loc_conf_t  *plcf = conf;

    if (plcf->next_upstream != PT_CONF_UNSET) {
        return pt_conf_error(cf, "\"proxy_next_upstream\" directive is "
                             "duplicate");
    }

    plcf->next_upstream = 0;

    for (size_t i = 1; i < pt_conf_nargs(cf); i++) {
        const pt_conf_enum_t  *m = masks;

        while (m->name && !pt_str_caseeq_lit(&pt_conf_arg(cf, i), m->name)) {
            m++;
        }

        if (m->name == NULL) {
            return pt_conf_error(cf, "invalid value \"%.*s\"",
                                 PT_STR_ARG(pt_conf_arg(cf, i)));
        }

        plcf->next_upstream |= m->value;
    }

    if ((plcf->next_upstream & PROXY_NEXT_OFF) && plcf->next_upstream != PROXY_NEXT_OFF) {
        return pt_conf_error(cf, "invalid value \"off\" mixed with others");
    }

    return PT_OK;
}


static int
proxy_redirect(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    proxy_loc_conf_t  *plcf = conf;
    pt_str_t          *v = &pt_conf_arg(cf, 1);

    if (pt_conf_nargs(cf) == 2) {
        if (pt_str_caseeq_lit(v, "off")) {
            plcf->redirect = 0;
            return PT_OK;
        }
        if (pt_str_caseeq_lit(v, "default")) {
            plcf->redirect = 1;
            return PT_OK;
        }
        return pt_conf_error(cf, "invalid parameter \"%.*s\"", PT_STR_ARG(*v));
    }

    if (plcf->redirects == NULL) {
        plcf->redirects = pt_array_create(cf->pool, 4, sizeof(pt_str_t));
        if (plcf->redirects == NULL) {
            return PT_ERROR;
        }
    }

    pt_str_t  *pair = pt_array_push_n(plcf->redirects, 2);

    if (pair == NULL) {
        return PT_ERROR;
    }

    pair[0] = pt_conf_arg(cf, 1);
    pair[1] = pt_conf_arg(cf, 2);

    /* "proxy_redirect default;" may be listed with pairs: keep it on. */
    if (plcf->redirect != 1) {
        plcf->redirect = 2;
    }
    return PT_OK;
}


static int
proxy_temp_path(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    /* Responses are streamed through bounded buffers, never to disk. */
    for (size_t i = 2; i < pt_conf_nargs(cf); i++) {
        int64_t  level = pt_atoi(pt_conf_arg(cf, i).data,
                                 pt_conf_arg(cf, i).len, 2);

        if (level < 1) {
            return pt_conf_error(cf, "invalid value \"%.*s\"",
                                 PT_STR_ARG(pt_conf_arg(cf, i)));
        }
    }

    return PT_OK;
}


/* proxy_bind address [transparent] | off: the local address to connect from. */
static int
proxy_bind(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    proxy_loc_conf_t  *plcf = conf;
    pt_str_t          *addr = &pt_conf_arg(cf, 1);

    (void) cmd;

    if (plcf->bind != PT_CONF_UNSET_PTR) {
        return pt_conf_error(cf, "\"proxy_bind\" directive is duplicate");
    }

    if (pt_str_caseeq_lit(addr, "off")) {
        plcf->bind = NULL;
        return pt_conf_nargs(cf) == 3
               ? pt_conf_error(cf, "invalid parameter \"%.*s\"",
                               PT_STR_ARG(pt_conf_arg(cf, 2)))
               : PT_OK;
    }

    if (pt_conf_nargs(cf) == 3) {
        if (!pt_str_caseeq_lit(&pt_conf_arg(cf, 2), "transparent")) {
            return pt_conf_error(cf, "invalid parameter \"%.*s\"",
                                 PT_STR_ARG(pt_conf_arg(cf, 2)));
        }
        plcf->bind_transparent = 1;
    }

    plcf->bind = pt_pcalloc(cf->pool, sizeof(pt_http_complex_value_t));
    if (plcf->bind == NULL
        || pt_http_compile_complex_value(cf, addr, plcf->bind) != PT_OK)
    {
        return PT_ERROR;
    }

    if (pt_http_complex_value_static(plcf->bind)) {
        struct sockaddr_storage  ss;
        socklen_t                len;

        if (pt_parse_addr_port(addr->data, addr->len, &ss, &len) != PT_OK) {
            return pt_conf_error(cf, "invalid address \"%.*s\"",
                                 PT_STR_ARG(*addr));
        }
    }

    return PT_OK;
}


/* Variables. */

static int
proxy_var_host(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    proxy_ctx_t       *ctx = pt_http_get_module_ctx(r, pt_http_proxy_module);
    proxy_loc_conf_t  *plcf = pt_http_get_module_loc_conf(r,
                                                          pt_http_proxy_module);
    pt_str_t           s = data ? plcf->port : (ctx ? ctx->host : plcf->host);

    if (s.data == NULL) {
        v->not_found = 1;
        return PT_OK;
    }

    v->data = s.data;
    v->len = (unsigned) s.len;
    v->valid = 1;
    return PT_OK;
}


static int
proxy_var_state(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t which)
{
    pt_array_t  *states = r->upstream_states;

    if (states == NULL || states->nelts == 0) {
        v->not_found = 1;
        return PT_OK;
    }

    pt_http_upstream_state_t  *st = states->elts;
    size_t                     size = states->nelts * (INET6_ADDRSTRLEN + 32);
    u_char                    *p = pt_pnalloc(r->pool, size), *last = p + size;

    if (p == NULL) {
        return PT_ERROR;
    }

    v->data = p;

    for (size_t i = 0; i < states->nelts; i++) {
        if (i) {
            p = pt_snprintf(p, last, ", ");
        }

        pt_msec_t  t = which == 2 ? st[i].connect_time
                       : which == 3 ? st[i].header_time : st[i].response_time;

        if (which == 0) {
            p = pt_snprintf(p, last, "%.*s", PT_STR_ARG(st[i].addr));
        } else if (which == 1) {
            p = st[i].status ? pt_snprintf(p, last, "%u", st[i].status)
                             : pt_snprintf(p, last, "502");
        } else if (t == (pt_msec_t) -1) {
            p = pt_snprintf(p, last, "-");
        } else {
            p = pt_snprintf(p, last, "%u.%03u", (unsigned) (t / 1000),
                            (unsigned) (t % 1000));
        }
    }

    v->len = (unsigned) (p - v->data);
    v->valid = 1;
    v->no_cacheable = 1;
    return PT_OK;
}


static int
proxy_preconfiguration(pt_conf_t *cf)
{
    static const struct {
        const char               *name;
        pt_http_get_variable_pt   get;
        uintptr_t                 data;
    } vars[] = {
        { "proxy_host", proxy_var_host, 0 },
        { "proxy_port", proxy_var_host, 1 },
        { "upstream_addr", proxy_var_state, 0 },
        { "upstream_status", proxy_var_state, 1 },
        { "upstream_connect_time", proxy_var_state, 2 },
        { "upstream_header_time", proxy_var_state, 3 },
        { "upstream_response_time", proxy_var_state, 4 },
    };

    for (size_t i = 0; i < pt_nelts(vars); i++) {
        pt_str_t             name = { strlen(vars[i].name),
                                      (u_char *) vars[i].name };
        pt_http_variable_t  *v = pt_http_add_variable(cf, &name,
                                                      PT_HTTP_VAR_NOCACHEABLE);

        if (v == NULL) {
            return PT_ERROR;
        }
        v->get = vars[i].get;
        v->data = vars[i].data;
    }

    return PT_OK;
}


/* Connecting and failing over. */

static void proxy_write_handler(pt_event_t *ev);
static void proxy_read_handler(pt_event_t *ev);
static void proxy_send(proxy_ctx_t *ctx);
static bool proxy_wait(proxy_ctx_t *ctx);
static void proxy_wait_done(proxy_ctx_t *ctx);


static pt_http_upstream_state_t *
proxy_state(proxy_ctx_t *ctx)
{
    pt_http_upstream_state_t  *st = ctx->states->elts;

    return &st[ctx->states->nelts - 1];
}


static bool
proxy_may_retry(proxy_ctx_t *ctx, int kind)
{
    proxy_loc_conf_t  *plcf = ctx->plcf;
    pt_http_request_t *r = ctx->r;

    if (ctx->header_sent || !(plcf->next_upstream & kind)
        || ctx->body_consumed)
    {
        return false;       /* an unbuffered body cannot be sent again */
    }

    if (plcf->next_upstream_tries && ctx->tries >= (unsigned) plcf->next_upstream_tries) {
        return false;
    }

    if (plcf->next_upstream_timeout
        && pt_current_msec - ctx->started >= plcf->next_upstream_timeout)
    {
        return false;
    }

    /* A request that changes state is not repeated unless allowed. */
    bool  idempotent = r->method == PT_HTTP_GET || r->method == PT_HTTP_HEAD
                       || r->method == PT_HTTP_OPTIONS
                       || r->method == PT_HTTP_PUT || r->method == PT_HTTP_DELETE;

    /* As nginx: once sending began, a POST may have been acted on. */
    return idempotent || (plcf->next_upstream & PROXY_NEXT_NON_IDEMPOTENT)
           || !ctx->request_sent;
}


void
pt_http_proxy_close_peer(proxy_ctx_t *ctx, bool failed)
{
    if (ctx->pc) {
        pt_http_upstream_close(ctx->pc);
        ctx->pc = NULL;
    }

    if (ctx->peer) {
        pt_http_upstream_free_peer(ctx->peer, failed);
        ctx->peer = NULL;
    }
}


/* Requests held by proxy_upstream_wait in this worker. */
static pt_uint_t  proxy_waiting;


static void
proxy_wait_done(proxy_ctx_t *ctx)
{
    if (ctx->waiting) {
        ctx->waiting = 0;
        proxy_waiting--;
    }

    if (ctx->wait_ev.timer_set) {
        pt_event_del_timer(&ctx->wait_ev);
    }
}


/*
 * The retry after a pause: every peer not marked down is tried again in
 * turn, failed or not, since a restarting application comes back on
 * the addresses that just refused us.
 */
static void
proxy_wait_handler(pt_event_t *ev)
{
    proxy_ctx_t                *ctx = ev->data;
    pt_http_upstream_peers_t   *set = &ctx->us->primary;

    ev->timedout = 0;

    for (size_t k = 0; k < set->npeers; k++) {
        pt_http_upstream_peer_t  *peer = &set->peers[ctx->wait_next++
                                                     % set->npeers];

        /* A health check's verdict is trusted: it probes for us. */
        if (!peer->down && !pt_http_upstream_peer_checked_down(peer)) {
            pt_http_upstream_peer_acquire(peer);
            proxy_connect_to(ctx, peer);
            return;
        }
    }

    if (!proxy_wait(ctx)) {
        pt_http_proxy_finish(ctx, PT_HTTP_BAD_GATEWAY);
    }
}


/*
 * The next peer for ctx's request.  Peers already tried are marked in a
 * bitmap: one word kept in ctx up to 64 servers, a word per 64 more from
 * the request's pool beyond (upstreams have no size limit, as in nginx).
 */
static pt_http_upstream_peer_t *
proxy_get_peer(proxy_ctx_t *ctx)
{
    if (ctx->tried == NULL) {
        size_t  words = pt_http_upstream_tried_words(ctx->us);

        ctx->tried = words <= 1 ? &ctx->tried_word
                     : pt_pcalloc(ctx->r->pool, words * sizeof(uint64_t));
        if (ctx->tried == NULL) {
            return NULL;
        }
    }

    return pt_http_upstream_get_peer(ctx->us, ctx->r, ctx->tried);
}


/*
 * proxy_upstream_wait: instead of 502 when no backend takes the
 * connection, waits with a growing pause (100 ms doubling to 1 s) and
 * tries again, until the configured time has passed since the request
 * arrived.  The request (and its body) is kept for the replay.  True when
 * the request is now waiting.
 */
static bool
proxy_wait(proxy_ctx_t *ctx)
{
    proxy_loc_conf_t  *plcf = ctx->plcf;
    pt_msec_t          waited = pt_current_msec - ctx->started;

    if (plcf->upstream_wait == 0 || waited >= plcf->upstream_wait
        || ctx->us->primary.npeers == 0)
    {
        return false;
    }

    if (!ctx->waiting) {
        if (proxy_waiting >= (pt_uint_t) plcf->upstream_wait_queue) {
            pt_log_error(PT_LOG_WARN, ctx->r->connection->log, 0,
                         "proxy_upstream_wait_queue (%d) is full",
                         plcf->upstream_wait_queue);
            return false;
        }

        pt_log_error(PT_LOG_INFO, ctx->r->connection->log, 0, "no upstream "
                     "available, holding the request for up to %llu ms",
                     (unsigned long long) (plcf->upstream_wait - waited));
        ctx->waiting = 1;
        ctx->wait_delay = 100;
        proxy_waiting++;
    } else if (ctx->wait_delay < 1000) {
        ctx->wait_delay *= 2;
    }

    pt_msec_t  delay = pt_min(ctx->wait_delay, plcf->upstream_wait - waited);

    ctx->wait_ev.data = ctx;
    ctx->wait_ev.handler = proxy_wait_handler;
    ctx->wait_ev.log = ctx->r->connection->log;
    pt_event_add_timer(&ctx->wait_ev, delay);
    return true;
}


/*
 * A try failed (kind: PROXY_NEXT_*).  Retries on another peer when the
 * rules allow, else finalizes with status.
 */
static void
proxy_next(proxy_ctx_t *ctx, int kind, int status)
{
    bool                stale = ctx->reused && !ctx->status_done
                                && kind == PROXY_NEXT_ERROR
                                && !ctx->body_consumed;

    proxy_state(ctx)->status = status == PT_HTTP_GATEWAY_TIME_OUT ? 504 : 502;
    proxy_state(ctx)->response_time = pt_current_msec - ctx->try_started;

    if (stale) {
        /* A cached connection the backend had closed: not the peer's fault. */
        pt_http_upstream_peer_t  *peer = ctx->peer;

        pt_http_upstream_close(ctx->pc);
        ctx->pc = NULL;
        ctx->reused = 0;
        ctx->states->nelts--;
        proxy_connect_to(ctx, peer);
        return;
    }

    pt_http_proxy_close_peer(ctx, kind != PROXY_NEXT_HTTP_404
                          && kind != PROXY_NEXT_HTTP_403);

    if (proxy_may_retry(ctx, kind)) {
        pt_http_upstream_peer_t  *peer = proxy_get_peer(ctx);

        if (peer) {
            proxy_connect_to(ctx, peer);
            return;
        }
    }

    /* The application may be restarting: hold the request a while. */
    if (kind == PROXY_NEXT_ERROR && !ctx->header_sent && !ctx->body_consumed
        && proxy_wait(ctx))
    {
        return;
    }

    /* Out of peers: the client learns what went wrong last (502/504). */
    pt_http_proxy_finish(ctx, ctx->header_sent ? PT_ERROR : status);
}


/*
 * proxy_bind: binds the backend socket to the configured local address
 * (an empty value from variables leaves the choice to the kernel, as
 * nginx).  PT_OK, or PT_ERROR logged.
 */
static int
proxy_bind_local(proxy_ctx_t *ctx, int fd)
{
    pt_log_t                *log = ctx->r->connection->log;
    pt_str_t                 addr;
    struct sockaddr_storage  ss;
    socklen_t                len;
    int                      one = 1;

    if (pt_http_complex_value(ctx->r, ctx->plcf->bind, &addr) != PT_OK) {
        return PT_ERROR;
    }

    if (addr.len == 0) {
        return PT_OK;
    }

    if (pt_parse_addr_port(addr.data, addr.len, &ss, &len) != PT_OK) {
        pt_log_error(PT_LOG_ERR, log, 0, "invalid local address \"%.*s\"",
                     PT_STR_ARG(addr));
        return PT_ERROR;
    }

    if (ctx->plcf->bind_transparent
        && setsockopt(fd, ss.ss_family == AF_INET6 ? IPPROTO_IPV6 : IPPROTO_IP,
                      ss.ss_family == AF_INET6 ? IPV6_TRANSPARENT
                                               : IP_TRANSPARENT,
                      &one, sizeof(one)) == -1)
    {
        pt_log_error(PT_LOG_ALERT, log, errno, "setsockopt(IP_TRANSPARENT) "
                     "failed");
        return PT_ERROR;
    }

    if (bind(fd, (struct sockaddr *) &ss, len) == -1) {
        pt_log_error(PT_LOG_CRIT, log, errno, "bind(%.*s) failed",
                     PT_STR_ARG(addr));
        return PT_ERROR;
    }

    return PT_OK;
}


static int
proxy_socket(proxy_ctx_t *ctx, pt_http_upstream_peer_t *peer)
{
    pt_http_request_t  *r = ctx->r;
    int                 fd = socket(peer->sockaddr.ss_family,
                                    SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

    if (fd == -1) {
        pt_log_error(PT_LOG_ALERT, r->connection->log, errno, "socket() failed");
        return PT_ERROR;
    }

    pt_connection_t  *pc = pt_get_connection(fd, r->connection->log);
    pt_pool_t        *pool = pt_create_pool(512, r->connection->log);

    if (pc == NULL || pool == NULL) {
        if (pc) {
            pt_free_connection(pc);
        }
        pt_destroy_pool(pool);
        close(fd);
        return PT_ERROR;
    }

    pc->pool = pool;
    pc->sockaddr = pt_palloc(pool, peer->socklen);
    pc->log = pt_palloc(pool, sizeof(pt_log_t));
    if (pc->sockaddr == NULL || pc->log == NULL) {
        pt_http_upstream_close(pc);
        return PT_ERROR;
    }

    memcpy(pc->sockaddr, &peer->sockaddr, peer->socklen);
    pc->socklen = peer->socklen;

    if (ctx->plcf->bind && proxy_bind_local(ctx, fd) != PT_OK) {
        pt_http_upstream_close(pc);
        return PT_ERROR;
    }

    *pc->log = *pt_cycle->log;
    pc->read->log = pc->write->log = pc->log;
    pc->recv = pt_unix_recv;
    pc->send = pt_unix_send;
    pc->send_chain = pt_linux_send_chain;
    pc->number = ++pt_connection_counter;
    ctx->pc = pc;

    if (pt_epoll_add_connection(pc) != PT_OK) {
        return PT_ERROR;
    }

    return PT_OK;
}


static void
proxy_attach(proxy_ctx_t *ctx)
{
    pt_connection_t  *pc = ctx->pc;

    pc->data = ctx;
    pc->read->handler = proxy_read_handler;
    pc->write->handler = proxy_write_handler;
    pc->requests++;
    ctx->out = ctx->request;

    /* The request is sent again from the start on every try. */
    for (pt_chain_t *cl = ctx->request; cl; cl = cl->next) {
        cl->buf->pos = cl->buf->start;
        cl->buf->file_pos = 0;       /* a spooled body starts over too */
    }

    ctx->header_in->pos = ctx->header_in->last = ctx->header_in->start;
    memset(&ctx->parse, 0, sizeof(ctx->parse));
    ctx->request_sent = 0;

    if (ctx->status_done) {
        /* A try that failed after its head: nothing of it may stay. */
        if (!ctx->background) {
            pt_http_proxy_reset_headers_out(ctx->r);
        }
        ctx->rest = -1;
        ctx->chunked = 0;
        ctx->no_body = 0;
        ctx->upstream_keepalive = 0;
        memset(&ctx->decoder, 0, sizeof(ctx->decoder));
    }

    ctx->status_done = 0;
}


/* The ", upstream: "http://addr/uri"" part of error log lines. */
static void
proxy_set_log_upstream(proxy_ctx_t *ctx)
{
    pt_http_request_t  *r = ctx->r;
    const char         *scheme = ctx->ssl ? "https://" : "http://";
    size_t              len = strlen(scheme) + ctx->peer->name.len
                              + ctx->uri.len;
    u_char             *p = pt_pnalloc(r->pool, len);

    if (p == NULL) {
        return;
    }

    r->upstream_log.data = p;
    p = pt_cpymem(p, scheme, strlen(scheme));
    p = pt_cpymem(p, ctx->peer->name.data, ctx->peer->name.len);
    p = pt_cpymem(p, ctx->uri.data, ctx->uri.len);
    r->upstream_log.len = (size_t) (p - r->upstream_log.data);
}


void
proxy_connect_to(proxy_ctx_t *ctx, pt_http_upstream_peer_t *peer)
{
    pt_http_request_t         *r = ctx->r;
    pt_http_upstream_state_t  *st = pt_array_push(ctx->states);

    if (st == NULL) {
        pt_http_proxy_finish(ctx, PT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    memset(st, 0, sizeof(*st));
    st->addr = peer->name;
    st->connect_time = st->header_time = st->response_time = (pt_msec_t) -1;
    ctx->peer = peer;
    ctx->tries++;
    ctx->try_started = pt_current_msec;
    proxy_set_log_upstream(ctx);

    ctx->pc = pt_http_upstream_cached(ctx->us, peer,
                                      ctx->ssl ? ctx->plcf : NULL,
                                      &ctx->ssl_name);
    if (ctx->pc) {
        ctx->reused = 1;
        st->connect_time = 0;
        proxy_attach(ctx);
        proxy_write_handler(ctx->pc->write);
        return;
    }

    if (proxy_socket(ctx, peer) != PT_OK) {
        proxy_next(ctx, PROXY_NEXT_ERROR, PT_HTTP_BAD_GATEWAY);
        return;
    }

    proxy_attach(ctx);
    r->connection->log->action = "connecting to upstream";

    if (connect(ctx->pc->fd, (struct sockaddr *) &peer->sockaddr,
                peer->socklen) == -1 && errno != EINPROGRESS)
    {
        pt_log_error(PT_LOG_ERR, r->connection->log, errno, "connect() failed");
        proxy_next(ctx, PROXY_NEXT_ERROR, PT_HTTP_BAD_GATEWAY);
        return;
    }

    ctx->pc->write->ready = 0;
    pt_add_timer(ctx->pc->write, ctx->plcf->connect_timeout);
}


static void
proxy_connect(proxy_ctx_t *ctx)
{
    pt_http_upstream_peer_t  *peer = proxy_get_peer(ctx);

    if (peer == NULL) {
        if (proxy_wait(ctx)) {
            return;
        }
        ctx->r->connection->log->action = "connecting to upstream";
        pt_log_error(PT_LOG_ERR, ctx->r->connection->log, 0, "no live "
                     "upstreams");
        pt_http_proxy_finish(ctx, PT_HTTP_BAD_GATEWAY);
        return;
    }

    proxy_connect_to(ctx, peer);
}


/* TLS to the backend: between connect and sending the request. */

static void
proxy_ssl_handshake_done(pt_connection_t *pc)
{
    proxy_ctx_t  *ctx = pc->data;

    /* The request's log served the handshake; pc may outlive it (cache). */
    *pc->log = *pt_cycle->log;
    pc->read->handler = proxy_read_handler;
    pc->write->handler = proxy_write_handler;

    if (pc->timedout) {
        pt_log_error(PT_LOG_ERR, ctx->r->connection->log, ETIMEDOUT,
                     "upstream timed out");
        proxy_next(ctx, PROXY_NEXT_TIMEOUT, PT_HTTP_GATEWAY_TIME_OUT);
        return;
    }

    if (!pc->ssl->handshaked || pt_http_proxy_ssl_verify(ctx) != PT_OK) {
        proxy_next(ctx, PROXY_NEXT_ERROR, PT_HTTP_BAD_GATEWAY);
        return;
    }

    pt_del_timer(pc->write);
    proxy_write_handler(pc->write);
}


static void
proxy_ssl_handshake(proxy_ctx_t *ctx)
{
    pt_connection_t  *pc = ctx->pc;

    ctx->r->connection->log->action = "SSL handshaking to upstream";

    if (pc->ssl == NULL && pt_http_proxy_ssl_start(ctx) != PT_OK) {
        proxy_next(ctx, PROXY_NEXT_ERROR, PT_HTTP_BAD_GATEWAY);
        return;
    }

    /* OpenSSL's errors then read as the request's ("while SSL ..."). */
    *pc->log = *ctx->r->connection->log;

    if (pt_ssl_handshake(pc) == PT_AGAIN) {
        pc->ssl->handler = proxy_ssl_handshake_done;
        pt_add_timer(pc->write, ctx->plcf->connect_timeout);
        return;
    }

    proxy_ssl_handshake_done(pc);
}


/* Sending the request. */

static int
proxy_connected(proxy_ctx_t *ctx)
{
    int        err = 0;
    socklen_t  len = sizeof(err);

    if (getsockopt(ctx->pc->fd, SOL_SOCKET, SO_ERROR, &err, &len) == -1) {
        err = errno;
    }

    if (err) {
        ctx->r->connection->log->action = "connecting to upstream";
        pt_log_error(PT_LOG_ERR, ctx->r->connection->log, err, "connect() "
                     "failed");
        return PT_ERROR;
    }

    return PT_OK;
}


static void
proxy_write_handler(pt_event_t *ev)
{
    pt_connection_t  *pc = ev->data;
    proxy_ctx_t      *ctx = pc->data;

    if (ctx->tunnel) {
        pt_http_proxy_tunnel_event(ctx, ev);
        return;
    }

    if (ev->timedout) {
        pt_log_error(PT_LOG_ERR, ctx->r->connection->log, ETIMEDOUT,
                     "upstream timed out");
        proxy_next(ctx, PROXY_NEXT_TIMEOUT, PT_HTTP_GATEWAY_TIME_OUT);
        return;
    }

    if (ctx->out == NULL) {
        return;     /* all sent: reading the response */
    }

    pt_http_upstream_state_t  *st = proxy_state(ctx);

    if (st->connect_time == (pt_msec_t) -1) {
        if (proxy_connected(ctx) != PT_OK) {
            proxy_next(ctx, PROXY_NEXT_ERROR, PT_HTTP_BAD_GATEWAY);
            return;
        }
        st->connect_time = pt_current_msec - ctx->try_started;
        pc->write->ready = 1;
    }

    if (ctx->ssl && (pc->ssl == NULL || !pc->ssl->handshaked)) {
        proxy_ssl_handshake(ctx);
        return;
    }

    if (!pc->write->ready) {
        return;
    }

    proxy_send(ctx);
}


/*
 * Sends ctx->out, and with an unbuffered body what follows as the client
 * sends it; then waits for the response.
 */
static void
proxy_send(proxy_ctx_t *ctx)
{
    pt_connection_t  *pc = ctx->pc;

    ctx->r->connection->log->action = "sending request to upstream";

    for ( ;; ) {
        if (ctx->out) {
            ctx->request_sent = 1;
            ctx->out = pc->send_chain(pc, ctx->out, 0);
        }

        if (ctx->out == PT_CHAIN_ERROR) {
            pt_log_error(PT_LOG_ERR, ctx->r->connection->log, errno, "upstream "
                         "prematurely closed connection");
            proxy_next(ctx, PROXY_NEXT_ERROR, PT_HTTP_BAD_GATEWAY);
            return;
        }

        if (ctx->out) {
            pt_add_timer(pc->write, ctx->plcf->send_timeout);
            return;
        }

        if (!pt_http_proxy_body_streams(ctx)) {
            break;
        }

        int  rc = pt_http_proxy_body_next(ctx);

        if (rc == PT_DONE) {
            break;
        }

        if (rc == PT_AGAIN) {
            pt_del_timer(pc->write);     /* the client's timeout runs now */
            return;
        }

        if (rc != PT_OK) {
            pt_http_proxy_finish(ctx, ctx->header_sent ? PT_ERROR : rc);
            return;
        }
    }

    pt_del_timer(pc->write);
    ctx->r->connection->log->action = "reading response header from upstream";
    pt_add_timer(pc->read, ctx->plcf->read_timeout);

    if (pc->read->ready) {
        proxy_read_handler(pc->read);
    }
}


/* Unbuffered body: more came from the client, it ended, or it failed. */
static void
proxy_body_ready(pt_http_request_t *r)
{
    proxy_ctx_t  *ctx = pt_http_get_module_ctx(r, pt_http_proxy_module);

    if (ctx == NULL || !ctx->body_waiting || ctx->pc == NULL) {
        return;
    }

    ctx->body_waiting = 0;

    if (r->request_body->error) {
        pt_http_proxy_finish(ctx, ctx->header_sent ? PT_ERROR
                                  : r->request_body->error);
        return;
    }

    pt_chain_t  *out = NULL, **ll = &out;

    if (pt_http_proxy_body_append(ctx, &ll) != PT_OK) {
        pt_http_proxy_finish(ctx, PT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->out = out;
    proxy_send(ctx);
}


/* Reading the response head. */

static int
proxy_read_head(proxy_ctx_t *ctx)
{
    pt_buf_t  *b = ctx->header_in;

    for ( ;; ) {
        if (!ctx->status_done) {
            int  rc = pt_http_parse_status_line(b->pos, (size_t) (b->last - b->pos),
                                                &ctx->status);

            if (rc != PT_OK) {
                return rc;
            }

            ctx->status_done = 1;
            ctx->parse.pos = ctx->status.line_end;
        }

        int  rc = pt_http_parse_header_line(&ctx->parse, b->pos,
                                            (size_t) (b->last - b->pos));

        if (rc == PT_OK) {
            continue;       /* headers are processed once the head is whole */
        }

        return rc;          /* PT_DONE, PT_AGAIN or PT_ERROR */
    }
}


/* The backend's head into r->headers_out, unless the client has its own. */
static int
proxy_process_header(proxy_ctx_t *ctx)
{
    pt_http_request_t      *r = ctx->r;
    pt_http_headers_out_t   sent = r->headers_out;

    if (!ctx->background) {
        return pt_http_proxy_process_header(ctx);
    }

    /* A background refresh parses into scratch and keeps what was sent. */
    pt_http_proxy_reset_headers_out(r);

    int  rc = pt_http_proxy_process_header(ctx);

    r->headers_out = sent;
    return rc;
}


static void
proxy_head_done(proxy_ctx_t *ctx)
{
    pt_http_request_t  *r = ctx->r;
    unsigned            code = ctx->status.code;
    int                 rc;

    proxy_state(ctx)->status = code;
    proxy_state(ctx)->header_time = pt_current_msec - ctx->try_started;

    if (pt_http_proxy_body_streams(ctx) && !ctx->body_sent) {
        /* Answered before the body was all sent: the rest is not read. */
        pt_http_unbuffered_body_abort(r);
        ctx->body_waiting = 0;
    }
    proxy_wait_done(ctx);

    static const struct { unsigned code; int kind; } retry[] = {
        { 500, PROXY_NEXT_HTTP_500 }, { 502, PROXY_NEXT_HTTP_502 },
        { 503, PROXY_NEXT_HTTP_503 }, { 504, PROXY_NEXT_HTTP_504 },
        { 403, PROXY_NEXT_HTTP_403 }, { 404, PROXY_NEXT_HTTP_404 },
        { 429, PROXY_NEXT_HTTP_429 },
    };

    for (size_t i = 0; i < pt_nelts(retry); i++) {
        if (retry[i].code != code || !proxy_may_retry(ctx, retry[i].kind)) {
            continue;
        }

        /* As nginx: with no other server left, this answer is passed on. */
        pt_http_upstream_peer_t  *next = proxy_get_peer(ctx);

        if (next == NULL) {
            break;
        }

        /* 403 and 404 are never failures; 429 and 5xx are, as listed. */
        pt_http_proxy_close_peer(ctx, code >= 500 || code == 429);
        proxy_connect_to(ctx, next);
        return;
    }

    if (pt_http_proxy_cache_response(ctx) == PT_DONE) {
        return;
    }

    rc = proxy_process_header(ctx);

    if (rc != PT_OK && !ctx->background) {
        /*
         * The refused head was parsed into r->headers_out: its status line
         * (a 101) and headers (Set-Cookie) must not go out with the 502
         * or the error_page that answers instead.
         */
        pt_http_proxy_reset_headers_out(r);
    }

    if (rc == PT_DECLINED) {
        pt_log_error(PT_LOG_ERR, r->connection->log, 0, "upstream sent invalid "
                     "header");
        proxy_next(ctx, PROXY_NEXT_INVALID_HEADER, PT_HTTP_BAD_GATEWAY);
        return;
    }

    if (rc != PT_OK) {
        pt_http_proxy_finish(ctx, PT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    pt_http_core_loc_conf_t  *clcf = pt_http_get_module_loc_conf(r,
                                                         pt_http_core_module);

    pt_http_proxy_cache_store_start(ctx);

    if (!ctx->background && ctx->plcf->intercept_errors && code >= 300
        && clcf->error_pages)
    {
        pt_http_err_page_t  *ep = clcf->error_pages->elts;

        for (size_t i = 0; i < clcf->error_pages->nelts; i++) {
            if ((unsigned) ep[i].status == code) {
                ctx->no_body = 1;
                pt_http_proxy_finish(ctx, (int) code);
                return;
            }
        }
    }

    pt_http_proxy_relay_start(ctx);
}


static void
proxy_read_handler(pt_event_t *ev)
{
    pt_connection_t  *pc = ev->data;
    proxy_ctx_t      *ctx = pc->data;

    if (ctx->tunnel) {
        pt_http_proxy_tunnel_event(ctx, ev);
        return;
    }

    if (ctx->header_sent) {
        pt_http_proxy_relay_read(ctx);
        return;
    }

    if (ev->timedout) {
        pt_log_error(PT_LOG_ERR, ctx->r->connection->log, ETIMEDOUT, "upstream "
                     "timed out");
        proxy_next(ctx, PROXY_NEXT_TIMEOUT, PT_HTTP_GATEWAY_TIME_OUT);
        return;
    }

    if (ctx->out) {
        /* Still connecting or sending: a refused connect lands here too. */
        if (proxy_state(ctx)->connect_time == (pt_msec_t) -1
            && proxy_connected(ctx) != PT_OK)
        {
            proxy_next(ctx, PROXY_NEXT_ERROR, PT_HTTP_BAD_GATEWAY);
        }
        return;
    }

    pt_buf_t  *b = ctx->header_in;

    for ( ;; ) {
        if (b->last == b->end) {
            pt_log_error(PT_LOG_ERR, ctx->r->connection->log, 0, "upstream sent "
                         "too big header");
            proxy_next(ctx, PROXY_NEXT_INVALID_HEADER, PT_HTTP_BAD_GATEWAY);
            return;
        }

        ssize_t  n = pc->recv(pc, b->last, (size_t) (b->end - b->last));

        if (n == PT_AGAIN) {
            return;
        }

        if (n <= 0) {
            pt_log_error(PT_LOG_ERR, ctx->r->connection->log,
                         n < 0 ? errno : 0, "upstream prematurely closed "
                         "connection");
            proxy_next(ctx, PROXY_NEXT_ERROR, PT_HTTP_BAD_GATEWAY);
            return;
        }

        b->last += n;

        int  rc = proxy_read_head(ctx);

        if (rc == PT_DONE) {
            pt_del_timer(pc->read);
            proxy_head_done(ctx);
            return;
        }

        if (rc == PT_ERROR) {
            pt_log_error(PT_LOG_ERR, ctx->r->connection->log, 0, "upstream "
                         "sent invalid header");
            proxy_next(ctx, PROXY_NEXT_INVALID_HEADER, PT_HTTP_BAD_GATEWAY);
            return;
        }
    }
}


/* The content handler. */

static void
proxy_cleanup(void *data)
{
    proxy_ctx_t  *ctx = data;

    proxy_wait_done(ctx);

    /* The client went away (or the request ended) with a backend open. */
    pt_http_proxy_close_peer(ctx, false);
    pt_http_proxy_cache_cleanup(ctx);
}


void
pt_http_proxy_upstream_start(proxy_ctx_t *ctx)
{
    if (pt_http_proxy_create_request(ctx) != PT_OK) {
        pt_http_proxy_finish(ctx, PT_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ctx->started = pt_current_msec;
    proxy_connect(ctx);
}


static void
proxy_init(pt_http_request_t *r)
{
    proxy_ctx_t  *ctx = pt_http_get_module_ctx(r, pt_http_proxy_module);

    if (pt_http_proxy_cache_start(ctx) == PT_DONE) {
        return;
    }

    pt_http_proxy_upstream_start(ctx);
}


/*
 * proxy_pass with variables: the URL names an upstream { } block or an
 * address.  Names are not looked up at run time (no blocking DNS in a
 * worker), as nginx without a resolver.
 */
static int
proxy_resolve_url(pt_http_request_t *r, proxy_ctx_t *ctx)
{
    pt_str_t      url;
    proxy_url_t   u;
    const char   *err;

    if (pt_http_complex_value(r, ctx->plcf->url_cv, &url) != PT_OK) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    err = pt_http_proxy_split_url(&url, &u);
    if (err) {
        pt_log_error(PT_LOG_ERR, r->connection->log, 0, "%s in upstream "
                     "\"%.*s\"", err, PT_STR_ARG(url));
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->us = pt_http_upstream_find(r, &u.host, u.port_n, u.has_port);
    if (ctx->us == NULL) {
        pt_log_error(PT_LOG_ERR, r->connection->log, 0, "no resolver defined "
                     "to resolve %.*s", PT_STR_ARG(u.host));
        return PT_HTTP_BAD_GATEWAY;
    }

    ctx->host = u.proxy_host;
    ctx->ssl = u.ssl;
    ctx->url_uri = u.uri;
    ctx->url_has_uri = u.has_uri;
    return PT_OK;
}


static int
proxy_handler(pt_http_request_t *r)
{
    proxy_loc_conf_t  *plcf = pt_http_get_module_loc_conf(r, pt_http_proxy_module);
    proxy_ctx_t       *ctx = pt_pcalloc(r->pool, sizeof(proxy_ctx_t));
    pt_pool_cleanup_t *cln = pt_pool_cleanup_add(r->pool, 0);
    int                rc;

    if (ctx == NULL || cln == NULL) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->upstream_states == NULL) {
        r->upstream_states = pt_array_create(r->pool, 2,
                                             sizeof(pt_http_upstream_state_t));
        if (r->upstream_states == NULL) {
            return PT_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    ctx->states = r->upstream_states;

    ctx->r = r;
    ctx->plcf = plcf;
    ctx->us = plcf->upstream;
    ctx->host = plcf->host;
    ctx->ssl = plcf->ssl_url;
    ctx->rest = -1;
    cln->handler = proxy_cleanup;
    cln->data = ctx;
    pt_http_set_ctx(r, ctx, pt_http_proxy_module);

    if (ctx->us == NULL && (rc = proxy_resolve_url(r, ctx)) != PT_OK) {
        return rc;
    }

    if (ctx->ssl && pt_http_proxy_ssl_name(ctx) != PT_OK) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->header_in = pt_create_temp_buf(r->pool, plcf->buffer_size);
    if (ctx->header_in == NULL) {
        return PT_HTTP_INTERNAL_SERVER_ERROR;
    }

    r->count++;

    /* Unbuffered, unless a chunked body meets HTTP/1.0 (as nginx). */
    bool  unbuffered = !plcf->request_buffering
                       && (!r->headers_in.chunked
                           || plcf->http_version == PT_HTTP_VERSION_11);

    if (plcf->pass_request_body && unbuffered) {
        rc = pt_http_read_unbuffered_client_body(r, proxy_init);
        if (r->request_body) {
            r->request_body->data_handler = proxy_body_ready;
        }
    } else if (plcf->pass_request_body) {
        rc = pt_http_read_client_request_body(r, proxy_init);
    } else {
        rc = pt_http_discard_request_body(r);
        if (rc == PT_OK) {
            proxy_init(r);
        }
    }

    /* PT_ERROR too (a failed 100 Continue): the reference taken goes. */
    if (rc >= PT_HTTP_SPECIAL_RESPONSE || rc == PT_ERROR) {
        r->count--;
        return rc;
    }

    return PT_DONE;
}
