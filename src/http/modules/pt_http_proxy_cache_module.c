/* SPDX-License-Identifier: BSD-2-Clause */
/* proxy_cache: directives, $upstream_cache_status, the manager's start. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_proxy.h"
#include "pt_http_proxy_cache.h"
#include "pt_http_script.h"

/*
 *   proxy_cache_path DIR [levels=1:2] keys_zone=NAME:SIZE [inactive=]
 *       [max_size=] [min_free=] [use_temp_path=] [loader_*=] [manager_*=];
 *   proxy_cache NAME | $var | off;     proxy_cache_key STRING;
 *   proxy_cache_valid [CODE ... | any] TIME;   proxy_cache_methods ...;
 *   proxy_cache_bypass / proxy_no_cache / proxy_cache_purge STRING ...;
 *   proxy_cache_lock*, proxy_cache_use_stale, proxy_cache_revalidate,
 *   proxy_cache_background_update, proxy_cache_min_uses,
 *   proxy_cache_convert_head, proxy_ignore_headers,
 *   proxy_cache_max_range_offset.
 */

#define CACHE_CTX  (PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC)
#define PCCF(m)    PT_LOC_FIELD(proxy_cache_conf_t, m)

static int cache_path(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int cache_enable(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int cache_key(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int cache_valid(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int cache_methods(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int cache_values(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int cache_ignore(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int cache_stale(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int cache_range(pt_conf_t *cf, const pt_command_t *cmd, void *conf);
static int cache_preconfiguration(pt_conf_t *cf);
static int cache_create_loc_conf(pt_conf_t *cf, void *conf);
static int cache_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf);
static int cache_init_process(pt_cycle_t *cycle);
static void cache_exit_process(pt_cycle_t *cycle);

static const pt_command_t  cache_commands[] = {
    { .name = "proxy_cache_path", .ctx = PT_HTTP_MAIN, .args = PT_CONF_2MORE,
      .set = cache_path },
    { .name = "proxy_cache", .ctx = CACHE_CTX, .args = PT_CONF_TAKE1,
      .set = cache_enable },
    { .name = "proxy_cache_key", .ctx = CACHE_CTX, .args = PT_CONF_TAKE1,
      .set = cache_key },
    { .name = "proxy_cache_valid", .ctx = CACHE_CTX, .args = PT_CONF_1MORE,
      .set = cache_valid },
    { .name = "proxy_cache_methods", .ctx = CACHE_CTX, .args = PT_CONF_1MORE,
      .set = cache_methods },
    { .name = "proxy_cache_bypass", .ctx = CACHE_CTX, .args = PT_CONF_1MORE,
      .set = cache_values,
      .post = (void *) offsetof(proxy_cache_conf_t, bypass) },
    { .name = "proxy_no_cache", .ctx = CACHE_CTX, .args = PT_CONF_1MORE,
      .set = cache_values,
      .post = (void *) offsetof(proxy_cache_conf_t, no_cache) },
    { .name = "proxy_cache_purge", .ctx = CACHE_CTX, .args = PT_CONF_1MORE,
      .set = cache_values,
      .post = (void *) offsetof(proxy_cache_conf_t, purge) },
    { .name = "proxy_cache_min_uses", .ctx = CACHE_CTX, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_num, .field = PCCF(min_uses), .def.i = 1, .min = 1 },
    { .name = "proxy_cache_convert_head", .ctx = CACHE_CTX,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PCCF(convert_head), .def.flag = 1 },
    { .name = "proxy_ignore_headers", .ctx = CACHE_CTX, .args = PT_CONF_1MORE,
      .set = cache_ignore,
      .post = (void *) offsetof(proxy_cache_conf_t, ignore_headers) },
    { .name = "proxy_cache_max_range_offset", .ctx = CACHE_CTX,
      .args = PT_CONF_TAKE1, .set = cache_range },
    { .name = "proxy_cache_lock", .ctx = CACHE_CTX, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PCCF(lock), .def.flag = 0 },
    { .name = "proxy_cache_lock_timeout", .ctx = CACHE_CTX,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_msec,
      .field = PCCF(lock_timeout), .def.msec = 5000 },
    { .name = "proxy_cache_lock_age", .ctx = CACHE_CTX, .args = PT_CONF_TAKE1,
      .set = pt_conf_set_msec, .field = PCCF(lock_age), .def.msec = 5000 },
    { .name = "proxy_cache_use_stale", .ctx = CACHE_CTX, .args = PT_CONF_1MORE,
      .set = cache_stale,
      .post = (void *) offsetof(proxy_cache_conf_t, use_stale) },
    { .name = "proxy_cache_background_update", .ctx = CACHE_CTX,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PCCF(background_update), .def.flag = 0 },
    { .name = "proxy_cache_revalidate", .ctx = CACHE_CTX, .args = PT_CONF_FLAG,
      .set = pt_conf_set_flag, .field = PCCF(revalidate), .def.flag = 0 },
    PT_COMMAND_END
};

static const pt_http_module_t  cache_module_ctx = {
    .preconfiguration = cache_preconfiguration,
    .main_conf_size = sizeof(proxy_cache_main_conf_t),
    .loc_conf_size = sizeof(proxy_cache_conf_t),
    .create_loc_conf = cache_create_loc_conf,
    .merge_loc_conf = cache_merge_loc_conf,
};

pt_module_t  pt_http_proxy_cache_module = {
    .name = "pt_http_proxy_cache_module",
    .type = PT_HTTP_MODULE,
    .commands = cache_commands,
    .ctx = &cache_module_ctx,
    .init_process = cache_init_process,
    .exit_process = cache_exit_process,
};


/* proxy_cache_path */

static int
cache_path_levels(pt_conf_t *cf, pt_http_cache_t *c, const pt_str_t *v)
{
    unsigned  n = 0;

    for (size_t i = 0; i < v->len; i++) {
        if (n == 3 || (v->data[i] != '1' && v->data[i] != '2')) {
            return pt_conf_error(cf, "invalid \"levels\" \"%.*s\"",
                                 PT_STR_ARG(*v));
        }
        c->levels[n++] = v->data[i] - '0';
        if (i + 1 < v->len && v->data[++i] != ':') {
            return pt_conf_error(cf, "invalid \"levels\" \"%.*s\"",
                                 PT_STR_ARG(*v));
        }
    }

    return n ? PT_OK : pt_conf_error(cf, "invalid \"levels\" \"\"");
}


/* "name=value" parameters of proxy_cache_path besides levels and zone. */
static int
cache_path_param(pt_conf_t *cf, pt_http_cache_t *c, const pt_str_t *arg)
{
    static const struct {
        const char  *name;
        int          kind;             /* 's' size, 't' time, 'n', 'f' */
        size_t       off;
    } params[] = {
        { "inactive=", 'T', offsetof(pt_http_cache_t, inactive) },
        { "max_size=", 's', offsetof(pt_http_cache_t, max_size) },
        { "min_free=", 's', offsetof(pt_http_cache_t, min_free) },
        { "use_temp_path=", 'f', offsetof(pt_http_cache_t, use_temp_path) },
        { "loader_files=", 'n', offsetof(pt_http_cache_t, loader_files) },
        { "loader_threshold=", 't',
          offsetof(pt_http_cache_t, loader_threshold) },
        { "loader_sleep=", 't', offsetof(pt_http_cache_t, loader_sleep) },
        { "manager_files=", 'n', offsetof(pt_http_cache_t, manager_files) },
        { "manager_threshold=", 't',
          offsetof(pt_http_cache_t, manager_threshold) },
        { "manager_sleep=", 't', offsetof(pt_http_cache_t, manager_sleep) },
    };

    for (size_t i = 0; i < pt_nelts(params); i++) {
        size_t    n = strlen(params[i].name);
        pt_str_t  v = { arg->len - n, arg->data + n };
        u_char   *f = (u_char *) c + params[i].off;
        int64_t   x;

        if (arg->len < n || memcmp(arg->data, params[i].name, n) != 0) {
            continue;
        }

        switch (params[i].kind) {
        case 's':
            x = pt_parse_offset(&v);
            *(off_t *) f = (off_t) x;
            break;
        case 'T':
            x = pt_parse_time(&v, true);
            *(time_t *) f = (time_t) x;
            break;
        case 't':
            x = pt_parse_time(&v, false);
            *(pt_msec_t *) f = (pt_msec_t) x;
            break;
        case 'n':
            x = pt_atoi(v.data, v.len, INT32_MAX);
            *(unsigned *) f = (unsigned) x;
            break;
        default:
            x = pt_str_caseeq_lit(&v, "on") ? 1
                : pt_str_caseeq_lit(&v, "off") ? 0 : -1;
            *(bool *) f = x == 1;
            break;
        }

        if (x < 0 || (params[i].kind == 'n' && x == 0)) {
            return pt_conf_error(cf, "invalid %.*s value", (int) n - 1,
                                 params[i].name);
        }
        return PT_OK;
    }

    return pt_conf_error(cf, "invalid parameter \"%.*s\"", PT_STR_ARG(*arg));
}


static pt_http_cache_t *
cache_path_new(pt_conf_t *cf)
{
    pt_http_cache_t  *c = pt_pcalloc(cf->pool, sizeof(*c));

    if (c == NULL) {
        return NULL;
    }

    c->inactive = 600;
    c->use_temp_path = true;
    c->loader_files = 100;
    c->loader_threshold = 200;
    c->loader_sleep = 50;
    c->manager_files = 100;
    c->manager_threshold = 200;
    c->manager_sleep = 50;
    c->file_name = cf->file->name;
    c->line = cf->file->line;
    return c;
}


static int
cache_path_zone(pt_conf_t *cf, pt_http_cache_t *c, const pt_str_t *arg)
{
    pt_str_t  name;
    size_t    size;

    if (pt_shm_zone_parse_arg(cf, arg, sizeof("keys_zone=") - 1, &name, &size)
        != PT_OK)
    {
        return PT_ERROR;
    }

    c->zone = pt_shm_zone_add(cf, &name, size, PT_HTTP_CACHE_TAG,
                              pt_http_cache_init_zone);
    if (c->zone == NULL) {
        return PT_ERROR;
    }

    if (c->zone->data) {
        return pt_conf_error(cf, "duplicate zone \"%.*s\"", PT_STR_ARG(name));
    }

    c->zone->data = c;
    c->zone->repair = pt_http_cache_repair;
    c->zone->exited = pt_http_cache_exited;
    return PT_OK;
}


static int
cache_path(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    proxy_cache_main_conf_t  *mcf = pt_http_conf_get_module_main_conf(cf,
                                        pt_http_proxy_cache_module);
    pt_http_cache_t          *c = cache_path_new(cf);
    pt_http_cache_t         **slot;

    (void) cmd;
    (void) conf;

    if (c == NULL || (slot = pt_array_push(&mcf->caches)) == NULL) {
        return PT_ERROR;
    }
    *slot = c;

    c->path = pt_conf_arg(cf, 1);
    while (c->path.len > 1 && c->path.data[c->path.len - 1] == '/') {
        c->path.len--;
    }
    if (pt_conf_full_name(cf, &c->path, false) != PT_OK) {
        return PT_ERROR;
    }

    u_char  *z = pt_pnalloc(cf->pool, c->path.len + 1);

    if (z == NULL) {
        return PT_ERROR;
    }
    memcpy(z, c->path.data, c->path.len);
    z[c->path.len] = '\0';
    c->path.data = z;

    if (pt_http_core_note_temp_path(cf, &c->path) != PT_OK) {
        return PT_ERROR;
    }

    for (size_t i = 2; i < pt_conf_nargs(cf); i++) {
        pt_str_t  *a = &pt_conf_arg(cf, i);
        int        rc;

        if (a->len > 7 && memcmp(a->data, "levels=", 7) == 0) {
            pt_str_t  v = { a->len - 7, a->data + 7 };

            rc = cache_path_levels(cf, c, &v);
        } else if (a->len > 10 && memcmp(a->data, "keys_zone=", 10) == 0) {
            rc = cache_path_zone(cf, c, a);
        } else {
            rc = cache_path_param(cf, c, a);
        }

        if (rc != PT_OK) {
            return PT_ERROR;
        }
    }

    if (c->zone == NULL) {
        return pt_conf_error(cf, "\"proxy_cache_path\" must have \"keys_zone\" "
                             "parameter");
    }

    return PT_OK;
}


pt_http_cache_t *
pt_http_proxy_cache_find(pt_http_request_t *r, const pt_str_t *name)
{
    proxy_cache_main_conf_t  *mcf = pt_http_get_module_main_conf(r,
                                        pt_http_proxy_cache_module);
    pt_http_cache_t         **c = mcf->caches.elts;

    for (size_t i = 0; i < mcf->caches.nelts; i++) {
        if (pt_str_eq(&c[i]->zone->name, name)) {
            return c[i];
        }
    }

    return NULL;
}


/* Location directives. */

static int
cache_enable(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    proxy_cache_conf_t  *pc = conf;
    pt_str_t            *v = &pt_conf_arg(cf, 1);

    (void) cmd;

    if (pc->enable != PT_CONF_UNSET) {
        return pt_conf_error(cf, "\"proxy_cache\" directive is duplicate");
    }

    if (pt_str_caseeq_lit(v, "off")) {
        pc->enable = 0;
        return PT_OK;
    }

    pc->enable = 1;

    if (pt_http_script_count(v) > 0) {
        pc->cache_cv = pt_pcalloc(cf->pool, sizeof(pt_http_complex_value_t));
        return pc->cache_cv == NULL ? PT_ERROR
               : pt_http_compile_complex_value(cf, v, pc->cache_cv);
    }

    /* proxy_cache_path may come later: its zone's data is the cache. */
    pc->zone = pt_shm_zone_add(cf, v, 0, PT_HTTP_CACHE_TAG, NULL);
    return pc->zone ? PT_OK : PT_ERROR;
}


static int
cache_key(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    proxy_cache_conf_t  *pc = conf;

    (void) cmd;

    if (pc->key != PT_CONF_UNSET_PTR) {
        return pt_conf_error(cf, "\"proxy_cache_key\" directive is duplicate");
    }

    pc->key = pt_pcalloc(cf->pool, sizeof(pt_http_complex_value_t));
    return pc->key == NULL ? PT_ERROR
           : pt_http_compile_complex_value(cf, &pt_conf_arg(cf, 1), pc->key);
}


static int
cache_valid(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    proxy_cache_conf_t  *pc = conf;
    size_t               n = pt_conf_nargs(cf);
    int64_t              t = pt_parse_time(&pt_conf_arg(cf, n - 1), true);

    (void) cmd;

    if (t < 0) {
        return pt_conf_error(cf, "invalid time value \"%.*s\"",
                             PT_STR_ARG(pt_conf_arg(cf, n - 1)));
    }

    if (pc->valid == PT_CONF_UNSET_PTR) {
        pc->valid = pt_array_create(cf->pool, 4, sizeof(pt_http_cache_valid_t));
        if (pc->valid == NULL) {
            return PT_ERROR;
        }
    }

    static const unsigned  dflt[] = { 200, 301, 302 };

    for (size_t i = 1; i < (n == 2 ? 4 : n - 1); i++) {
        pt_http_cache_valid_t  *v = pt_array_push(pc->valid);
        pt_str_t               *a = &pt_conf_arg(cf, i);

        if (v == NULL) {
            return PT_ERROR;
        }

        v->valid = (time_t) t;
        if (n == 2) {
            v->status = dflt[i - 1];
            continue;
        }

        int64_t  code = pt_str_caseeq_lit(a, "any") ? 0 : pt_atoi(a->data, a->len,
                                                              999);

        if (code != 0 && (code < 100 || code > 599)) {
            return pt_conf_error(cf, "invalid status \"%.*s\"",
                                 PT_STR_ARG(*a));
        }
        v->status = (unsigned) code;
    }

    return PT_OK;
}


static int
cache_methods(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    proxy_cache_conf_t  *pc = conf;

    (void) cmd;

    if (pc->methods != PT_CONF_UNSET) {
        return pt_conf_error(cf, "\"proxy_cache_methods\" directive is "
                             "duplicate");
    }

    pc->methods = PT_HTTP_M_GET | PT_HTTP_M_HEAD;

    for (size_t i = 1; i < pt_conf_nargs(cf); i++) {
        pt_str_t          *a = &pt_conf_arg(cf, i);
        pt_http_method_e   m = pt_http_method_parse(a->data, a->len);

        if (m != PT_HTTP_GET && m != PT_HTTP_HEAD && m != PT_HTTP_POST) {
            return pt_conf_error(cf, "invalid value \"%.*s\"", PT_STR_ARG(*a));
        }
        pc->methods |= (int) PT_HTTP_M(m);
    }

    return PT_OK;
}


/* proxy_cache_bypass, proxy_no_cache, proxy_cache_purge: strings. */
static int
cache_values(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_array_t  **a = (pt_array_t **) ((u_char *) conf
                                       + (size_t) (uintptr_t) cmd->post);

    if (*a == PT_CONF_UNSET_PTR) {
        *a = pt_array_create(cf->pool, 2, sizeof(pt_http_complex_value_t));
        if (*a == NULL) {
            return PT_ERROR;
        }
    }

    for (size_t i = 1; i < pt_conf_nargs(cf); i++) {
        pt_http_complex_value_t  *cv = pt_array_push(*a);

        if (cv == NULL || pt_http_compile_complex_value(cf, &pt_conf_arg(cf, i),
                                                        cv) != PT_OK)
        {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


/*
 * A list of names into a bit mask at cmd->post's offset; "off" (value 0)
 * only alone.  Names compare without case.
 */
static int
cache_mask(pt_conf_t *cf, const pt_command_t *cmd, void *conf,
    const pt_conf_enum_t *names)
{
    int  *mask = (int *) ((u_char *) conf + (size_t) (uintptr_t) cmd->post);

    if (*mask != PT_CONF_UNSET) {
        return pt_conf_error(cf, "\"%s\" directive is duplicate", cmd->name);
    }
    *mask = 0;

    for (size_t i = 1; i < pt_conf_nargs(cf); i++) {
        pt_str_t  *a = &pt_conf_arg(cf, i);
        size_t     k;

        for (k = 0; names[k].name; k++) {
            if (pt_str_caseeq_lit(a, names[k].name)) {
                break;
            }
        }

        if (names[k].name == NULL
            || (names[k].value == 0 && pt_conf_nargs(cf) > 2))
        {
            return pt_conf_error(cf, "invalid value \"%.*s\"", PT_STR_ARG(*a));
        }
        *mask |= names[k].value;
    }

    return PT_OK;
}


static int
cache_ignore(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    static const pt_conf_enum_t  names[] = {
        { "X-Accel-Expires", PT_HTTP_CACHE_IGN_X_ACCEL_EXPIRES },
        { "Expires", PT_HTTP_CACHE_IGN_EXPIRES },
        { "Cache-Control", PT_HTTP_CACHE_IGN_CACHE_CONTROL },
        { "Set-Cookie", PT_HTTP_CACHE_IGN_SET_COOKIE },
        { "Vary", PT_HTTP_CACHE_IGN_VARY },
        { "X-Accel-Redirect", PT_HTTP_CACHE_IGN_OTHER },
        { "X-Accel-Limit-Rate", PT_HTTP_CACHE_IGN_OTHER },
        { "X-Accel-Buffering", PT_HTTP_CACHE_IGN_OTHER },
        { "X-Accel-Charset", PT_HTTP_CACHE_IGN_OTHER },
        { NULL, 0 }
    };

    return cache_mask(cf, cmd, conf, names);
}


static int
cache_stale(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    static const pt_conf_enum_t  names[] = {
        { "error", PROXY_NEXT_ERROR }, { "timeout", PROXY_NEXT_TIMEOUT },
        { "invalid_header", PROXY_NEXT_INVALID_HEADER },
        { "updating", PROXY_STALE_UPDATING },
        { "http_500", PROXY_NEXT_HTTP_500 }, { "http_502", PROXY_NEXT_HTTP_502 },
        { "http_503", PROXY_NEXT_HTTP_503 }, { "http_504", PROXY_NEXT_HTTP_504 },
        { "http_403", PROXY_NEXT_HTTP_403 }, { "http_404", PROXY_NEXT_HTTP_404 },
        { "http_429", PROXY_NEXT_HTTP_429 }, { "off", 0 },
        { NULL, 0 }
    };

    return cache_mask(cf, cmd, conf, names);
}


static int
cache_range(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    proxy_cache_conf_t  *pc = conf;
    off_t                n = pt_parse_offset(&pt_conf_arg(cf, 1));

    (void) cmd;

    if (n < 0) {
        return pt_conf_error(cf, "\"%.*s\" is invalid",
                             PT_STR_ARG(pt_conf_arg(cf, 1)));
    }

    pc->max_range_offset = n;
    return PT_OK;
}


static int
cache_create_loc_conf(pt_conf_t *cf, void *conf)
{
    proxy_cache_conf_t  *pc = conf;

    (void) cf;
    pc->enable = PT_CONF_UNSET;
    pc->key = PT_CONF_UNSET_PTR;
    pc->valid = PT_CONF_UNSET_PTR;
    pc->bypass = PT_CONF_UNSET_PTR;
    pc->no_cache = PT_CONF_UNSET_PTR;
    pc->purge = PT_CONF_UNSET_PTR;
    pc->methods = PT_CONF_UNSET;
    pc->ignore_headers = PT_CONF_UNSET;
    pc->use_stale = PT_CONF_UNSET;
    pc->max_range_offset = -1;
    return PT_OK;
}


#define CACHE_MERGE_PTR(f, dflt)                                             \
    if (conf->f == PT_CONF_UNSET_PTR) {                                      \
        conf->f = prev->f != PT_CONF_UNSET_PTR ? prev->f : (dflt);           \
    }

#define CACHE_MERGE_INT(f, dflt)                                             \
    if (conf->f == PT_CONF_UNSET) {                                          \
        conf->f = prev->f != PT_CONF_UNSET ? prev->f : (dflt);               \
    }

static int
cache_merge_loc_conf(pt_conf_t *cf, void *parent, void *child)
{
    proxy_cache_conf_t  *prev = parent, *conf = child;

    if (conf->enable == PT_CONF_UNSET) {
        conf->enable = prev->enable != PT_CONF_UNSET ? prev->enable : 0;
        conf->zone = prev->zone;
        conf->cache_cv = prev->cache_cv;
    }

    CACHE_MERGE_PTR(key, NULL);
    CACHE_MERGE_PTR(valid, NULL);
    CACHE_MERGE_PTR(bypass, NULL);
    CACHE_MERGE_PTR(no_cache, NULL);
    CACHE_MERGE_PTR(purge, NULL);
    CACHE_MERGE_INT(methods, (int) (PT_HTTP_M_GET | PT_HTTP_M_HEAD));
    CACHE_MERGE_INT(ignore_headers, 0);
    CACHE_MERGE_INT(use_stale, 0);

    if (conf->max_range_offset == -1) {
        conf->max_range_offset = prev->max_range_offset;
    }

    /* Every proxy_cache_path has been read by now. */
    if (conf->zone && conf->zone->data == NULL) {
        return pt_conf_error(cf, "\"proxy_cache\" zone \"%.*s\" is unknown",
                             PT_STR_ARG(conf->zone->name));
    }

    return PT_OK;
}


/* $upstream_cache_status */

static int
cache_var_status(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    static const char  *names[] = {
        "", "MISS", "BYPASS", "EXPIRED", "STALE", "UPDATING", "REVALIDATED",
        "HIT"
    };
    proxy_ctx_t        *ctx = pt_http_get_module_ctx(r, pt_http_proxy_module);

    (void) data;

    if (ctx == NULL || ctx->cache == NULL
        || ctx->cache->status == PROXY_CACHE_NONE)
    {
        v->not_found = 1;
        return PT_OK;
    }

    v->data = (u_char *) names[ctx->cache->status];
    v->len = (unsigned) strlen(names[ctx->cache->status]);
    v->valid = 1;
    v->no_cacheable = 1;
    return PT_OK;
}


static int
cache_preconfiguration(pt_conf_t *cf)
{
    proxy_cache_main_conf_t  *mcf = pt_http_conf_get_module_main_conf(cf,
                                        pt_http_proxy_cache_module);
    pt_str_t                  name = pt_string("upstream_cache_status");
    pt_http_variable_t       *v = pt_http_add_variable(cf, &name,
                                                PT_HTTP_VAR_NOCACHEABLE);

    if (v == NULL) {
        return PT_ERROR;
    }
    v->get = cache_var_status;

    return pt_array_init(&mcf->caches, cf->pool, 2,
                         sizeof(pt_http_cache_t *));
}


int
pt_http_proxy_cache_test(pt_http_request_t *r, const pt_array_t *cvs)
{
    const pt_http_complex_value_t  *cv = cvs ? cvs->elts : NULL;

    for (size_t i = 0; cvs && i < cvs->nelts; i++) {
        pt_str_t  s;

        if (pt_http_complex_value(r, &cv[i], &s) != PT_OK) {
            return PT_ERROR;
        }

        if (s.len && !(s.len == 1 && s.data[0] == '0')) {
            return PT_OK;
        }
    }

    return PT_DECLINED;
}


/* The loader and manager run in worker 0 (or the only process). */

static int
cache_init_process(pt_cycle_t *cycle)
{
    pt_http_conf_ctx_t       *ctx = cycle->http_ctx;
    proxy_cache_main_conf_t  *mcf;

    if (ctx == NULL || pt_worker != 0) {
        return PT_OK;
    }

    mcf = ctx->main_conf[pt_http_proxy_cache_module.ctx_index];
    return mcf->caches.nelts
           ? pt_http_cache_manager_start(cycle, &mcf->caches) : PT_OK;
}


static void
cache_exit_process(pt_cycle_t *cycle)
{
    (void) cycle;
    pt_http_cache_manager_stop();
}
