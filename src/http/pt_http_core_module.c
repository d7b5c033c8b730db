/* SPDX-License-Identifier: BSD-2-Clause */
/* The http core directives: server, location, listen, root, timeouts ... */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_conf.h"

typedef pt_http_core_srv_conf_t  srv_t;
typedef pt_http_core_loc_conf_t  loc_t;

static int core_server(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int core_location(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int core_listen(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int core_server_name(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int core_root(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int core_types(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int core_error_page(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int core_keepalive(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int core_internal(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int core_error_log(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int core_temp_path(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int core_preconfiguration(pt_conf_t *cf);
static int core_init_main_conf(pt_conf_t *cf, void *conf);
static int core_merge_srv_conf(pt_conf_t *cf, void *prev, void *conf);
static int core_create_loc_conf(pt_conf_t *cf, void *conf);
static int core_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf);

#define HTTP_ALL   (PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC)
#define HTTP_ALLI  (HTTP_ALL | PT_HTTP_IF)
#define HTTP_MS    (PT_HTTP_MAIN | PT_HTTP_SRV)

static const pt_conf_enum_t  core_lingering[] = {
    { "off", PT_HTTP_LINGERING_OFF }, { "on", PT_HTTP_LINGERING_ON },
    { "always", PT_HTTP_LINGERING_ALWAYS }, { NULL, 0 }
};

static const pt_conf_enum_t  core_ims[] = {
    { "off", PT_HTTP_IMS_OFF }, { "exact", PT_HTTP_IMS_EXACT },
    { "before", PT_HTTP_IMS_BEFORE }, { NULL, 0 }
};

static const pt_conf_enum_t  core_tokens[] = {
    { "off", 0 }, { "on", 1 }, { "build", 2 }, { NULL, 0 }
};

static const pt_command_t  core_commands[] = {
    { .name = "server", .ctx = PT_HTTP_MAIN,
      .args = PT_CONF_BLOCK | PT_CONF_NOARGS, .set = core_server },
    { .name = "location", .ctx = PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_BLOCK | PT_CONF_TAKE12, .set = core_location },
    { .name = "listen", .ctx = PT_HTTP_SRV, .args = PT_CONF_1MORE,
      .set = core_listen, .field = PT_SRV_FIELD(srv_t, server_names) },
    { .name = "server_name", .ctx = PT_HTTP_SRV, .args = PT_CONF_1MORE,
      .set = core_server_name, .field = PT_SRV_FIELD(srv_t, server_names) },
    { .name = "root", .ctx = HTTP_ALLI, .args = PT_CONF_TAKE1,
      .set = core_root },
    { .name = "alias", .ctx = PT_HTTP_LOC, .args = PT_CONF_TAKE1,
      .set = core_root },
    { .name = "types", .ctx = HTTP_ALL, .args = PT_CONF_BLOCK | PT_CONF_NOARGS,
      .set = core_types },
    { .name = "default_type", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_str, .field = PT_LOC_FIELD(loc_t, default_type),
      .def.str = "text/plain" },
    { .name = "error_page", .ctx = HTTP_ALLI, .args = PT_CONF_2MORE,
      .set = core_error_page },
    { .name = "internal", .ctx = PT_HTTP_LOC, .args = PT_CONF_NOARGS,
      .set = core_internal },
    { .name = "error_log", .ctx = HTTP_ALL, .args = PT_CONF_1MORE,
      .set = core_error_log },
    { .name = "client_body_temp_path", .ctx = HTTP_ALL,
      .args = PT_CONF_TAKE1234, .set = core_temp_path },

    { .name = "keepalive_timeout", .ctx = HTTP_ALL, .args = PT_CONF_TAKE12,
      .set = core_keepalive },
    { .name = "keepalive_requests", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_num, .field = PT_LOC_FIELD(loc_t, keepalive_requests),
      .def.i = 1000 },
    { .name = "client_header_buffer_size", .ctx = HTTP_MS,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_size,
      .field = PT_SRV_FIELD(srv_t, client_header_buffer_size),
      .def.size = 1024, .min = 64, .max = 1 << 20 },
    { .name = "large_client_header_buffers", .ctx = HTTP_MS,
      .args = PT_CONF_TAKE2, .set = pt_conf_set_bufs,
      .field = PT_SRV_FIELD(srv_t, large_buffers), .min = 128 },
    { .name = "client_header_timeout", .ctx = HTTP_MS, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_msec,
      .field = PT_SRV_FIELD(srv_t, client_header_timeout), .def.msec = 60000 },
    { .name = "underscores_in_headers", .ctx = HTTP_MS, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag,
      .field = PT_SRV_FIELD(srv_t, underscores_in_headers), .def.flag = 0 },
    { .name = "ignore_invalid_headers", .ctx = HTTP_MS, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag,
      .field = PT_SRV_FIELD(srv_t, ignore_invalid_headers), .def.flag = 1 },
    { .name = "merge_slashes", .ctx = HTTP_MS, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PT_SRV_FIELD(srv_t, merge_slashes),
      .def.flag = 1 },
    { .name = "client_max_body_size", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_size,
      .field = PT_LOC_FIELD(loc_t, client_max_body_size),
      .def.size = 1024 * 1024 },
    { .name = "client_body_buffer_size", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_size,
      .field = PT_LOC_FIELD(loc_t, client_body_buffer_size),
      .def.size = 16384, .min = 1 },
    { .name = "client_body_timeout", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_msec,
      .field = PT_LOC_FIELD(loc_t, client_body_timeout), .def.msec = 60000 },
    { .name = "send_timeout", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_msec, .field = PT_LOC_FIELD(loc_t, send_timeout),
      .def.msec = 60000 },
    { .name = "sendfile", .ctx = HTTP_ALLI, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PT_LOC_FIELD(loc_t, sendfile),
      .def.flag = 0 },
    { .name = "sendfile_max_chunk", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_size, .field = PT_LOC_FIELD(loc_t, sendfile_max_chunk),
      .def.size = 2 * 1024 * 1024 },
    { .name = "tcp_nopush", .ctx = HTTP_ALL, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PT_LOC_FIELD(loc_t, tcp_nopush),
      .def.flag = 0 },
    { .name = "tcp_nodelay", .ctx = HTTP_ALL, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PT_LOC_FIELD(loc_t, tcp_nodelay),
      .def.flag = 1 },
    { .name = "server_tokens", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_enum, .field = PT_LOC_FIELD(loc_t, server_tokens),
      .def.i = 1, .values = core_tokens },
    { .name = "etag", .ctx = HTTP_ALL, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PT_LOC_FIELD(loc_t, etag),
      .def.flag = 1 },
    { .name = "if_modified_since", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_enum, .field = PT_LOC_FIELD(loc_t, if_modified_since),
      .def.i = PT_HTTP_IMS_EXACT, .values = core_ims },
    { .name = "lingering_close", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_enum, .field = PT_LOC_FIELD(loc_t, lingering_close),
      .def.i = PT_HTTP_LINGERING_ON, .values = core_lingering },
    { .name = "lingering_time", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_msec, .field = PT_LOC_FIELD(loc_t, lingering_time),
      .def.msec = 30000 },
    { .name = "lingering_timeout", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_msec, .field = PT_LOC_FIELD(loc_t, lingering_timeout),
      .def.msec = 5000 },
    { .name = "reset_timedout_connection", .ctx = HTTP_ALL,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PT_LOC_FIELD(loc_t, reset_timedout_connection), .def.flag = 0 },
    { .name = "absolute_redirect", .ctx = HTTP_ALL, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PT_LOC_FIELD(loc_t, absolute_redirect),
      .def.flag = 1 },
    { .name = "server_name_in_redirect", .ctx = HTTP_ALL, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag,
      .field = PT_LOC_FIELD(loc_t, server_name_in_redirect), .def.flag = 0 },
    { .name = "port_in_redirect", .ctx = HTTP_ALL, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PT_LOC_FIELD(loc_t, port_in_redirect),
      .def.flag = 1 },
    { .name = "log_not_found", .ctx = HTTP_ALL, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PT_LOC_FIELD(loc_t, log_not_found),
      .def.flag = 1 },
    { .name = "recursive_error_pages", .ctx = HTTP_ALL, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag,
      .field = PT_LOC_FIELD(loc_t, recursive_error_pages), .def.flag = 0 },
    { .name = "chunked_transfer_encoding", .ctx = HTTP_ALL,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PT_LOC_FIELD(loc_t, chunked_transfer_encoding), .def.flag = 1 },

    /* nginx sizes its hashes by hand; ours size themselves (pt_hash.c). */
    { .name = "server_names_hash_max_size", .ctx = PT_HTTP_MAIN,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_num,
      .field = PT_MAIN_FIELD(pt_http_core_main_conf_t, server_names_hash_max_size),
      .def.i = 512, .min = 1 },
    { .name = "server_names_hash_bucket_size", .ctx = PT_HTTP_MAIN,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_num,
      .field = PT_MAIN_FIELD(pt_http_core_main_conf_t,
                             server_names_hash_bucket_size),
      .def.i = 64, .min = 1 },
    { .name = "types_hash_max_size", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_num,
      .field = PT_LOC_FIELD(loc_t, types_hash_max_size),
      .def.i = 1024, .min = 1 },
    { .name = "types_hash_bucket_size", .ctx = HTTP_ALL, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_num,
      .field = PT_LOC_FIELD(loc_t, types_hash_bucket_size),
      .def.i = 64, .min = 1 },
    { .name = "variables_hash_max_size", .ctx = PT_HTTP_MAIN,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_num,
      .field = PT_MAIN_FIELD(pt_http_core_main_conf_t, variables_hash_max_size),
      .def.i = 1024, .min = 1 },
    { .name = "variables_hash_bucket_size", .ctx = PT_HTTP_MAIN,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_num,
      .field = PT_MAIN_FIELD(pt_http_core_main_conf_t,
                             variables_hash_bucket_size),
      .def.i = 64, .min = 1 },
    PT_COMMAND_END
};

static const pt_http_module_t  core_module_ctx = {
    .preconfiguration = core_preconfiguration,
    .main_conf_size = sizeof(pt_http_core_main_conf_t),
    .srv_conf_size = sizeof(srv_t),
    .loc_conf_size = sizeof(loc_t),
    .init_main_conf = core_init_main_conf,
    .merge_srv_conf = core_merge_srv_conf,
    .create_loc_conf = core_create_loc_conf,
    .merge_loc_conf = core_merge_loc_conf,
};

static int core_init_module(pt_cycle_t *cycle);

pt_module_t  pt_http_core_module = {
    .name = "pt_http_core_module",
    .type = PT_HTTP_MODULE,
    .commands = core_commands,
    .ctx = &core_module_ctx,
    .init_module = core_init_module,
};


static pt_http_core_main_conf_t *
core_cmcf(pt_conf_t *cf)
{
    return pt_http_conf_get_module_main_conf(cf, pt_http_core_module);
}


static int
core_preconfiguration(pt_conf_t *cf)
{
    pt_http_core_main_conf_t  *cmcf = core_cmcf(cf);

    if (pt_array_init(&cmcf->servers, cf->pool, 4, sizeof(void *))
        || pt_array_init(&cmcf->temp_paths, cf->pool, 2, sizeof(pt_str_t))
        || pt_array_init(&cmcf->filters, cf->pool, 16, sizeof(pt_http_filter_t)))
    {
        return PT_ERROR;
    }

    for (int i = 0; i < PT_HTTP_NPHASES; i++) {
        if (pt_array_init(&cmcf->phases[i], cf->pool, 2,
                          sizeof(pt_http_handler_pt)))
        {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


static int
core_init_main_conf(pt_conf_t *cf, void *conf)
{
    return PT_OK;
}


static int
core_block(pt_conf_t *cf, pt_http_conf_ctx_t *ctx, unsigned type)
{
    pt_conf_t  saved = *cf;
    int        rc;

    cf->ctx = ctx;
    cf->ctx_type = type;
    rc = pt_conf_parse(cf, NULL);

    saved.file = cf->file;
    *cf = saved;
    return rc;
}


static int
core_default_listen(pt_conf_t *cf, srv_t *cscf)
{
    pt_http_listen_opt_t  opt = { 0 };

    /* nginx's default: *:80 for root, *:8000 otherwise. */
    if (geteuid() == 0) {
        pt_str_set(&opt.url.url, "*:80");
    } else {
        pt_str_set(&opt.url.url, "*:8000");
    }
    opt.url.listen = 1;

    if (pt_parse_url(cf->pool, &opt.url) != PT_OK) {
        return pt_conf_error(cf, "%s", opt.url.err);
    }

    return pt_http_add_listen(cf, cscf, &opt);
}


static int
core_server(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_http_conf_ctx_t  *http = cf->ctx, *ctx;
    srv_t               *cscf, **slot;

    ctx = pt_pcalloc(cf->pool, sizeof(pt_http_conf_ctx_t));
    if (ctx == NULL) {
        return PT_ERROR;
    }

    ctx->main_conf = http->main_conf;

    if (pt_http_alloc_confs(cf, ctx, false, true) != PT_OK) {
        return PT_ERROR;
    }

    cscf = ctx->srv_conf[pt_http_core_module.ctx_index];
    cscf->ctx = ctx;
    cscf->file_name = cf->file->name;
    cscf->line = cf->file->line;

    if (pt_array_init(&cscf->server_names, cf->pool, 2,
                      sizeof(pt_http_server_name_t)))
    {
        return PT_ERROR;
    }

    slot = pt_array_push(&core_cmcf(cf)->servers);
    if (slot == NULL) {
        return PT_ERROR;
    }
    *slot = cscf;

    if (core_block(cf, ctx, PT_HTTP_SRV) != PT_OK) {
        return PT_ERROR;
    }

    if (!cscf->listen) {
        return core_default_listen(cf, cscf);
    }

    return PT_OK;
}


/* Parses `location [=|~|~*|^~] uri` and `location @name` into clcf. */
static int
core_location_name(pt_conf_t *cf, loc_t *clcf)
{
    pt_str_t  mod = pt_conf_arg(cf, 1), name;
    bool      caseless = false, regex = false;

    if (pt_conf_nargs(cf) == 3) {
        name = pt_conf_arg(cf, 2);
    } else {
        name = mod;
        mod.len = 0;
        /* The modifier may be glued to the uri: "=/", "~\.php$". */
        if (name.len > 1 && name.data[0] == '=') {
            mod.len = 1, name.data++, name.len--;
        } else if (name.len > 2 && name.data[0] == '^' && name.data[1] == '~') {
            mod.len = 2, name.data += 2, name.len -= 2;
        } else if (name.len > 2 && name.data[0] == '~' && name.data[1] == '*') {
            mod.len = 2, name.data += 2, name.len -= 2;
        } else if (name.len > 1 && name.data[0] == '~') {
            mod.len = 1, name.data++, name.len--;
        }
        mod.data = pt_conf_arg(cf, 1).data;
    }

    if (mod.len == 1 && mod.data[0] == '=') {
        clcf->exact_match = 1;
    } else if (mod.len == 2 && mod.data[0] == '^' && mod.data[1] == '~') {
        clcf->noregex = 1;
    } else if (mod.len == 1 && mod.data[0] == '~') {
        regex = true;
    } else if (mod.len == 2 && mod.data[0] == '~' && mod.data[1] == '*') {
        regex = caseless = true;
    } else if (mod.len) {
        return pt_conf_error(cf, "invalid location modifier \"%.*s\"",
                             PT_STR_ARG(mod));
    }

    clcf->name = name;

    if (name.len && name.data[0] == '@') {
        clcf->named = 1;
    }

    if (regex) {
        pt_regex_compile_t  rc = { .pattern = name, .caseless = caseless,
                                   .pool = cf->pool };

        if (pt_regex_compile(&rc) != PT_OK) {
            return pt_conf_error(cf, "%s", rc.err);
        }
        clcf->regex = rc.regex;
        return pt_http_regex_add_vars(cf, rc.regex);
    }

    return PT_OK;
}


static int
core_location(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_http_conf_ctx_t  *parent = cf->ctx, *ctx;
    loc_t               *pclcf = parent->loc_conf[pt_http_core_module.ctx_index];
    loc_t               *clcf, **slot;

    ctx = pt_pcalloc(cf->pool, sizeof(pt_http_conf_ctx_t));
    if (ctx == NULL) {
        return PT_ERROR;
    }

    ctx->main_conf = parent->main_conf;
    ctx->srv_conf = parent->srv_conf;

    if (pt_http_alloc_confs(cf, ctx, false, false) != PT_OK) {
        return PT_ERROR;
    }

    clcf = ctx->loc_conf[pt_http_core_module.ctx_index];
    clcf->loc_conf = ctx->loc_conf;
    clcf->file_name = cf->file->name;
    clcf->line = cf->file->line;

    if (core_location_name(cf, clcf) != PT_OK) {
        return PT_ERROR;
    }

    if (cf->ctx_type == PT_HTTP_LOC) {
        if (pclcf->exact_match || pclcf->named) {
            return pt_conf_error(cf, "location \"%.*s\" cannot be inside the "
                                 "%s location \"%.*s\"", PT_STR_ARG(clcf->name),
                                 pclcf->named ? "named" : "exact",
                                 PT_STR_ARG(pclcf->name));
        }

        if (clcf->named) {
            return pt_conf_error(cf, "named location \"%.*s\" can be on the "
                                 "server level only", PT_STR_ARG(clcf->name));
        }

        if (!pclcf->regex && !clcf->regex
            && (clcf->name.len < pclcf->name.len
                || memcmp(clcf->name.data, pclcf->name.data, pclcf->name.len)))
        {
            return pt_conf_error(cf, "location \"%.*s\" is outside location "
                                 "\"%.*s\"", PT_STR_ARG(clcf->name),
                                 PT_STR_ARG(pclcf->name));
        }
    }

    if (pclcf->locations == NULL) {
        pclcf->locations = pt_array_create(cf->pool, 4, sizeof(loc_t *));
        if (pclcf->locations == NULL) {
            return PT_ERROR;
        }
    }

    slot = pt_array_push(pclcf->locations);
    if (slot == NULL) {
        return PT_ERROR;
    }
    *slot = clcf;

    return core_block(cf, ctx, PT_HTTP_LOC);
}


/* so_keepalive=on|off|[idle]:[intvl]:[cnt] (seconds, seconds, probes). */
static int
core_listen_keepalive(pt_conf_t *cf, pt_http_listen_opt_t *opt, pt_str_t *k)
{
    if (pt_str_caseeq_lit(k, "on") || pt_str_caseeq_lit(k, "off")) {
        opt->so_keepalive = k->data[1] == 'n' ? 1 : 2;
        return PT_OK;
    }

    int      *dst[3] = { &opt->keepidle, &opt->keepintvl, &opt->keepcnt };
    u_char   *p = k->data, *end = k->data + k->len;

    for (int i = 0; i < 3; i++) {
        u_char  *colon = memchr(p, ':', (size_t) (end - p));
        u_char  *e = colon ? colon : end;

        if (e > p) {
            pt_str_t  part = { (size_t) (e - p), p };
            int64_t   n = i == 2 ? pt_atoi(p, part.len, 1000)
                                 : pt_parse_time(&part, true);

            if (n <= 0) {
                return pt_conf_error(cf, "invalid so_keepalive value: \"%.*s\"",
                                     PT_STR_ARG(*k));
            }
            *dst[i] = (int) n;
        }

        if (colon == NULL) {
            if (i != 2) {
                return pt_conf_error(cf, "invalid so_keepalive value: \"%.*s\"",
                                     PT_STR_ARG(*k));
            }
            break;
        }
        p = colon + 1;
    }

    opt->so_keepalive = 1;
    return PT_OK;
}


static int
core_listen_option(pt_conf_t *cf, pt_http_listen_opt_t *opt, pt_str_t *v)
{
    if (pt_str_caseeq_lit(v, "default_server") || pt_str_caseeq_lit(v, "default")) {
        opt->default_server = 1;
    } else if (pt_str_caseeq_lit(v, "ssl")) {
        opt->ssl = 1;
    } else if (pt_str_caseeq_lit(v, "reuseport")) {
        opt->reuseport = 1;
        opt->bind = 1;
    } else if (pt_str_caseeq_lit(v, "bind")) {
        opt->bind = 1;
    } else if (pt_str_caseeq_lit(v, "deferred")) {
        opt->deferred = 1;
    } else if (v->len > 8 && memcmp(v->data, "backlog=", 8) == 0) {
        opt->backlog = (int) pt_atoi(v->data + 8, v->len - 8, INT_MAX);
        if (opt->backlog <= 0) {
            return pt_conf_error(cf, "invalid backlog \"%.*s\"", PT_STR_ARG(*v));
        }
    } else if (v->len > 7 && (memcmp(v->data, "rcvbuf=", 7) == 0
                              || memcmp(v->data, "sndbuf=", 7) == 0))
    {
        pt_str_t  s = { v->len - 7, v->data + 7 };
        ssize_t   n = pt_parse_size(&s);

        if (n <= 0) {
            return pt_conf_error(cf, "invalid %.6s \"%.*s\"", v->data,
                                 PT_STR_ARG(s));
        }
        *(v->data[0] == 'r' ? &opt->rcvbuf : &opt->sndbuf) = (int) n;
    } else if (v->len > 13 && memcmp(v->data, "so_keepalive=", 13) == 0) {
        pt_str_t  k = { v->len - 13, v->data + 13 };

        if (core_listen_keepalive(cf, opt, &k) != PT_OK) {
            return PT_ERROR;
        }
    } else if (pt_str_caseeq_lit(v, "ipv6only=on")) {
        opt->ipv6only = 1;
        opt->bind = 1;
    } else if (pt_str_caseeq_lit(v, "ipv6only=off")) {
        return pt_conf_error(cf, "ipv6only=off is not supported: listen on "
                             "IPv4 and IPv6 addresses separately");
    } else if (pt_str_caseeq_lit(v, "http2") || pt_str_caseeq_lit(v, "proxy_protocol")
               || pt_str_caseeq_lit(v, "quic"))
    {
        return pt_conf_error(cf, "the \"%.*s\" parameter of \"listen\" is not "
                             "supported", PT_STR_ARG(*v));
    } else {
        return pt_conf_error(cf, "invalid parameter \"%.*s\"", PT_STR_ARG(*v));
    }

    return PT_OK;
}


static int
core_listen(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    srv_t                 *cscf = conf;
    pt_http_listen_opt_t   opt = { 0 };

    cscf->listen = 1;
    opt.url.url = pt_conf_arg(cf, 1);
    opt.url.listen = 1;
    opt.url.default_port = 80;

    if (pt_parse_url(cf->pool, &opt.url) != PT_OK) {
        return pt_conf_error(cf, "%s in \"%.*s\" of the \"listen\" directive",
                             opt.url.err ? opt.url.err : "invalid address",
                             PT_STR_ARG(opt.url.url));
    }

    for (size_t i = 2; i < pt_conf_nargs(cf); i++) {
        if (core_listen_option(cf, &opt, &pt_conf_arg(cf, i)) != PT_OK) {
            return PT_ERROR;
        }
    }

    cscf->listen_ssl |= opt.ssl;
    return pt_http_add_listen(cf, cscf, &opt);
}


static int
core_server_name(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    srv_t  *cscf = conf;

    for (size_t i = 1; i < pt_conf_nargs(cf); i++) {
        pt_str_t                v = pt_conf_arg(cf, i);
        pt_http_server_name_t  *sn = pt_array_push(&cscf->server_names);

        if (sn == NULL) {
            return PT_ERROR;
        }

        memset(sn, 0, sizeof(*sn));
        sn->server = cscf;

        if (cscf->server_name.data == NULL) {
            cscf->server_name = v;
        }

        if (v.len && v.data[0] == '~') {
            pt_regex_compile_t  rc = { .pattern = { v.len - 1, v.data + 1 },
                                       .caseless = true, .pool = cf->pool };

            if (pt_regex_compile(&rc) != PT_OK
                || pt_http_regex_add_vars(cf, rc.regex) != PT_OK)
            {
                return pt_conf_error(cf, "%s", rc.err);
            }
            sn->regex = rc.regex;
            sn->name = v;
            continue;
        }

        if (v.len && v.data[0] == '*' && (v.len < 3 || v.data[1] != '.')) {
            return pt_conf_error(cf, "invalid server name or wildcard \"%.*s\" "
                                 "on %.*s:%u", PT_STR_ARG(v),
                                 PT_STR_ARG(cscf->file_name), cscf->line);
        }

        pt_strlow(v.data, v.data, v.len);
        sn->name = v;
    }

    return PT_OK;
}


static int
core_root(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    loc_t     *clcf = conf;
    pt_str_t   v = pt_conf_arg(cf, 1);
    bool       alias = cmd->name[0] == 'a';

    if (clcf->root_set) {
        return pt_conf_error(cf, "\"%s\" directive is duplicate%s", cmd->name,
                             clcf->alias != alias
                             ? (alias ? ", \"root\" directive was specified "
                                        "earlier"
                                      : ", \"alias\" directive was specified "
                                        "earlier")
                             : "");
    }

    if (alias && clcf->named) {
        return pt_conf_error(cf, "\"alias\" directive cannot be used inside "
                             "the named location");
    }

    clcf->root_set = 1;
    clcf->alias = alias;

    if (memchr(v.data, '$', v.len)) {
        clcf->root_cv = pt_pcalloc(cf->pool, sizeof(pt_http_complex_value_t));
        if (clcf->root_cv == NULL
            || pt_http_compile_complex_value(cf, &v, clcf->root_cv) != PT_OK)
        {
            return PT_ERROR;
        }
        clcf->root = v;
        return PT_OK;
    }

    /* A trailing '/' on a root would double in the mapped path. */
    if (!alias && v.len > 1 && v.data[v.len - 1] == '/') {
        v.len--;
    }

    if (pt_conf_full_name(cf, &v, false) != PT_OK) {
        return PT_ERROR;
    }

    clcf->root = v;
    return PT_OK;
}


static int
core_type_handler(pt_conf_t *cf, void *data)
{
    loc_t     *clcf = data;
    pt_str_t  *type = pt_palloc(cf->pool, sizeof(pt_str_t));

    if (type == NULL) {
        return PT_ERROR;
    }

    /* The argument array is reused for the next line: keep a copy. */
    *type = pt_conf_arg(cf, 0);

    if (pt_conf_nargs(cf) == 1) {
        if (pt_str_caseeq_lit(type, "include")) {
            return pt_conf_error(cf, "\"include\" needs a file name");
        }
        return pt_conf_error(cf, "invalid number of arguments in \"types\" "
                             "block");
    }

    if (pt_str_caseeq_lit(type, "include")) {
        return pt_conf_include(cf, &pt_conf_arg(cf, 1));
    }

    for (size_t i = 1; i < pt_conf_nargs(cf); i++) {
        pt_str_t        ext = pt_conf_arg(cf, i);
        pt_hash_key_t  *k = pt_array_push(clcf->types_keys);

        if (k == NULL) {
            return PT_ERROR;
        }

        pt_strlow(ext.data, ext.data, ext.len);
        k->key = ext;
        k->key_hash = 0;
        k->value = type;

        /* nginx keeps the first type given for an extension. */
        pt_hash_key_t  *keys = clcf->types_keys->elts;

        for (size_t j = 0; j + 1 < clcf->types_keys->nelts; j++) {
            if (pt_str_eq(&keys[j].key, &ext)) {
                pt_conf_log(cf, PT_LOG_WARN, 0, "duplicate extension \"%.*s\", "
                            "content type: \"%.*s\", previous content type: "
                            "\"%.*s\"", PT_STR_ARG(ext), PT_STR_ARG(*type),
                            PT_STR_ARG(*(pt_str_t *) keys[j].value));
                clcf->types_keys->nelts--;
                break;
            }
        }
    }

    return PT_OK;
}


static int
core_types(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    loc_t      *clcf = conf;
    pt_conf_t   saved = *cf;
    int         rc;

    if (clcf->types_keys == NULL) {
        clcf->types_keys = pt_array_create(cf->pool, 64, sizeof(pt_hash_key_t));
        if (clcf->types_keys == NULL) {
            return PT_ERROR;
        }
    }

    cf->handler = core_type_handler;
    cf->handler_data = clcf;
    rc = pt_conf_parse(cf, NULL);

    saved.file = cf->file;
    *cf = saved;
    return rc;
}


static int
core_error_page(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    loc_t     *clcf = conf;
    size_t     n = pt_conf_nargs(cf) - 1;
    pt_str_t  *uri = &pt_conf_arg(cf, n);
    int        overwrite = -1;

    if (clcf->error_pages == NULL || clcf->error_pages == PT_CONF_UNSET_PTR) {
        clcf->error_pages = pt_array_create(cf->pool, 4,
                                            sizeof(pt_http_err_page_t));
        if (clcf->error_pages == NULL) {
            return PT_ERROR;
        }
    }

    pt_str_t  *last = &pt_conf_arg(cf, n - 1);

    if (last->len && last->data[0] == '=') {
        overwrite = last->len == 1 ? 0
                    : (int) pt_atoi(last->data + 1, last->len - 1, 599);
        if (overwrite < 0 || (overwrite && overwrite < 100)) {
            return pt_conf_error(cf, "invalid value \"%.*s\"", PT_STR_ARG(*last));
        }
        n--;
    }

    if (n < 2) {
        return pt_conf_error(cf, "invalid number of arguments in "
                             "\"error_page\" directive");
    }

    for (size_t i = 1; i < n; i++) {
        pt_str_t            *c = &pt_conf_arg(cf, i);
        int64_t              code = pt_atoi(c->data, c->len, 599);
        pt_http_err_page_t  *ep;

        if (code < 300 || code == 499) {
            return pt_conf_error(cf, "value \"%.*s\" must be between 300 and "
                                 "599", PT_STR_ARG(*c));
        }

        ep = pt_array_push(clcf->error_pages);
        if (ep == NULL) {
            return PT_ERROR;
        }

        memset(ep, 0, sizeof(*ep));
        ep->status = (int) code;
        ep->overwrite = overwrite;

        if (pt_http_compile_complex_value(cf, uri, &ep->value) != PT_OK) {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


static int
core_keepalive(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    loc_t    *clcf = conf;
    int64_t   t;

    if (clcf->keepalive_timeout != PT_CONF_UNSET_MSEC) {
        return pt_conf_error(cf, "\"keepalive_timeout\" directive is duplicate");
    }

    t = pt_parse_time(&pt_conf_arg(cf, 1), false);
    if (t < 0) {
        return pt_conf_error(cf, "\"keepalive_timeout\" directive invalid "
                             "value");
    }
    clcf->keepalive_timeout = (pt_msec_t) t;

    if (pt_conf_nargs(cf) == 3) {
        t = pt_parse_time(&pt_conf_arg(cf, 2), true);
        if (t < 0) {
            return pt_conf_error(cf, "\"keepalive_timeout\" directive "
                                 "invalid value");
        }
        clcf->keepalive_header = (time_t) t;
    }

    return PT_OK;
}


static int
core_internal(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    loc_t  *clcf = conf;

    if (clcf->internal == 1) {
        return pt_conf_error(cf, "\"internal\" directive is duplicate");
    }

    clcf->internal = 1;
    return PT_OK;
}


static int
core_error_log(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    loc_t  *clcf = conf;

    return pt_conf_set_error_log(cf, &clcf->error_log);
}


static int
core_temp_path(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    loc_t     *clcf = conf;
    pt_str_t   path = pt_conf_arg(cf, 1);

    if (clcf->client_body_temp_path.data) {
        return pt_conf_error(cf, "\"client_body_temp_path\" directive is "
                             "duplicate");
    }

    /* As nginx: levels of at least 1, their names 10 characters at most. */
    int64_t  total = 0;

    for (size_t i = 2; i < pt_conf_nargs(cf); i++) {
        int64_t  level = pt_atoi(pt_conf_arg(cf, i).data,
                                 pt_conf_arg(cf, i).len, 10);

        total += level;
        if (level < 1 || total > 10) {
            return pt_conf_error(cf, "\"client_body_temp_path\" directive "
                                 "invalid value");
        }
    }

    if (pt_conf_full_name(cf, &path, false) != PT_OK) {
        return PT_ERROR;
    }

    clcf->client_body_temp_path = path;
    return PT_OK;
}


static int
core_merge_srv_conf(pt_conf_t *cf, void *parent, void *child)
{
    srv_t  *prev = parent, *conf = child;

    if (conf->large_buffers.num == 0) {
        conf->large_buffers = prev->large_buffers.num
                              ? prev->large_buffers
                              : (pt_conf_bufs_t) { 4, 8192 };
    }

    if (conf->large_buffers.size < conf->client_header_buffer_size) {
        conf->large_buffers.size = conf->client_header_buffer_size;
    }

    conf->connection_pool_size = 512;
    conf->request_pool_size = 4096;

    if (conf->server_names.nelts == 0) {
        pt_http_server_name_t  *sn = pt_array_push(&conf->server_names);

        if (sn == NULL) {
            return PT_ERROR;
        }
        memset(sn, 0, sizeof(*sn));
        sn->server = conf;
        pt_str_set(&sn->name, "");
    }

    if (conf->server_name.data == NULL) {
        pt_str_set(&conf->server_name, "");
    }

    return PT_OK;
}


static int
core_create_loc_conf(pt_conf_t *cf, void *conf)
{
    loc_t  *clcf = conf;

    clcf->keepalive_timeout = PT_CONF_UNSET_MSEC;
    clcf->keepalive_header = (time_t) PT_CONF_UNSET;
    clcf->error_pages = PT_CONF_UNSET_PTR;
    return PT_OK;
}


static int
core_default_types(pt_conf_t *cf, loc_t *clcf)
{
    static pt_str_t  html = pt_string("text/html");
    static pt_str_t  gif = pt_string("image/gif");
    static pt_str_t  jpeg = pt_string("image/jpeg");
    pt_hash_key_t    keys[] = {
        { pt_string("html"), 0, &html }, { pt_string("gif"), 0, &gif },
        { pt_string("jpg"), 0, &jpeg },
    };

    clcf->types = pt_pcalloc(cf->pool, sizeof(pt_hash_t));
    if (clcf->types == NULL) {
        return PT_ERROR;
    }

    return pt_hash_init(clcf->types, keys, pt_nelts(keys), cf->pool);
}


static int
core_merge_types(pt_conf_t *cf, loc_t *prev, loc_t *conf)
{
    if (conf->types_keys) {
        conf->types = pt_pcalloc(cf->pool, sizeof(pt_hash_t));
        if (conf->types == NULL) {
            return PT_ERROR;
        }
        return pt_hash_init(conf->types, conf->types_keys->elts,
                            conf->types_keys->nelts, cf->pool);
    }

    if (prev->types == NULL && core_default_types(cf, prev) != PT_OK) {
        return PT_ERROR;
    }

    conf->types = prev->types;
    return PT_OK;
}


int
pt_http_core_note_temp_path(pt_conf_t *cf, const pt_str_t *path)
{
    pt_array_t  *paths = &core_cmcf(cf)->temp_paths;
    pt_str_t    *p = paths->elts;

    for (size_t i = 0; i < paths->nelts; i++) {
        if (pt_str_eq(&p[i], path)) {
            return PT_OK;
        }
    }

    p = pt_array_push(paths);
    if (p == NULL) {
        return PT_ERROR;
    }

    *p = *path;
    return PT_OK;
}


/*
 * Creates the temp folders (nginx does the same at start): the workers
 * may run as another user and could not create them in the prefix.
 */
static int
core_init_module(pt_cycle_t *cycle)
{
    pt_http_conf_ctx_t        *ctx = cycle->http_ctx;
    pt_core_conf_t            *ccf = pt_core_conf(cycle);

    if (ctx == NULL) {
        return PT_OK;
    }

    pt_http_core_main_conf_t  *cmcf = ctx->main_conf[pt_http_core_module.ctx_index];
    pt_str_t                  *p = cmcf->temp_paths.elts;

    for (size_t i = 0; i < cmcf->temp_paths.nelts; i++) {
        const char  *dir = (const char *) p[i].data;

        if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
            pt_log_error(PT_LOG_EMERG, cycle->log, errno, "mkdir() \"%s\" "
                         "failed", dir);
            return PT_ERROR;
        }

        if (geteuid() == 0 && ccf->user_set && chown(dir, ccf->user, -1) == -1) {
            pt_log_error(PT_LOG_EMERG, cycle->log, errno, "chown(\"%s\", %d) "
                         "failed", dir, (int) ccf->user);
            return PT_ERROR;
        }
    }

    return PT_OK;
}


static int
core_merge_loc_conf(pt_conf_t *cf, void *parent, void *child)
{
    loc_t  *prev = parent, *conf = child;

    if (!conf->root_set) {
        if (prev->root.data == NULL) {
            pt_str_t  html = pt_string("html");

            if (pt_conf_full_name(cf, &html, false) != PT_OK) {
                return PT_ERROR;
            }
            prev->root = html;
        }
        conf->root = prev->root;
        conf->root_cv = prev->root_cv;
        conf->alias = prev->alias;
    }

    if (conf->keepalive_timeout == PT_CONF_UNSET_MSEC) {
        conf->keepalive_timeout = prev->keepalive_timeout
                                  != PT_CONF_UNSET_MSEC
                                  ? prev->keepalive_timeout : 75000;
    }

    if (conf->keepalive_header == (time_t) PT_CONF_UNSET) {
        conf->keepalive_header = prev->keepalive_header
                                 != (time_t) PT_CONF_UNSET
                                 ? prev->keepalive_header : 0;
    }

    if (conf->error_pages == PT_CONF_UNSET_PTR) {
        conf->error_pages = prev->error_pages == PT_CONF_UNSET_PTR
                            ? NULL : prev->error_pages;
    }

    if (conf->error_log == NULL) {
        conf->error_log = prev->error_log;
    }

    if (conf->client_body_temp_path.data == NULL) {
        if (prev->client_body_temp_path.data == NULL) {
            pt_str_t  p = pt_string("client_body_temp");

            if (pt_conf_full_name(cf, &p, false) != PT_OK) {
                return PT_ERROR;
            }
            prev->client_body_temp_path = p;
        }
        conf->client_body_temp_path = prev->client_body_temp_path;
    }

    if (pt_http_core_note_temp_path(cf, &conf->client_body_temp_path) != PT_OK) {
        return PT_ERROR;
    }

    return core_merge_types(cf, prev, conf);
}


int
pt_http_phase_add(pt_conf_t *cf, pt_http_phases_e phase, pt_http_handler_pt h)
{
    pt_http_handler_pt  *slot = pt_array_push(&core_cmcf(cf)->phases[phase]);

    if (slot == NULL) {
        return PT_ERROR;
    }

    *slot = h;
    return PT_OK;
}
