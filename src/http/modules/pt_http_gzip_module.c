/* SPDX-License-Identifier: BSD-2-Clause */
/* gzip: compresses responses on the way out, streaming, through zlib. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_gzip.h"
#include "pt_http_zpipe.h"

/*
 * Directives (http, server, location; gzip also in if in location):
 *
 *   gzip on | off;                      default off
 *   gzip_types mime-type ... | *;       default text/html (always listed)
 *   gzip_min_length length;             default 20
 *   gzip_comp_level 1..9;               default 1
 *   gzip_buffers number size;           default 32 4k
 *
 * and the variable $gzip_ratio (input bytes over output bytes, "%.2f").
 * gzip_vary, gzip_http_version, gzip_proxied and gzip_disable belong to
 * the negotiation shared with gzip_static and gunzip (pt_http_gzip.c).
 *
 * Header and body filter at stage PT_FILTER_ENCODE: after range, so a
 * 206 has been decided already and is left alone; before chunked, which
 * frames the result once Content-Length is gone.
 */

typedef struct {
    pt_str_t  *types;      /* lower case; types[0] is text/html */
    size_t     ntypes;
    unsigned   any:1;      /* "*" */
} gzip_types_t;

typedef struct {
    int            enable;
    int            level;
    size_t         min_length;
    pt_http_gzip_bufs_t  bufs;
    gzip_types_t  *types;         /* NULL: unset */
} gzip_loc_conf_t;


static int gzip_types_set(pt_conf_t *cf, const pt_command_t *cmd,
    void *conf);
static int gzip_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf);
static int gzip_add_variables(pt_conf_t *cf);
static int gzip_init(pt_conf_t *cf);


static const pt_command_t  gzip_commands[] = {
    { .name = "gzip",
      .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC | PT_HTTP_IF,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PT_LOC_FIELD(gzip_loc_conf_t, enable), .def.flag = 0 },
    { .name = "gzip_comp_level",
      .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_num,
      .field = PT_LOC_FIELD(gzip_loc_conf_t, level), .def.i = 1,
      .min = 1, .max = 9 },
    { .name = "gzip_min_length",
      .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_TAKE1, .set = pt_conf_set_size,
      .field = PT_LOC_FIELD(gzip_loc_conf_t, min_length), .def.size = 20 },
    { .name = "gzip_buffers", .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_TAKE2, .set = pt_conf_set_bufs,
      .field = PT_LOC_FIELD(gzip_loc_conf_t, bufs) },
    { .name = "gzip_types", .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_1MORE, .set = gzip_types_set },
    PT_COMMAND_END
};

static const pt_http_module_t  gzip_module_ctx = {
    .preconfiguration = gzip_add_variables,
    .postconfiguration = gzip_init,
    .loc_conf_size = sizeof(gzip_loc_conf_t),
    .merge_loc_conf = gzip_merge_loc_conf,
};

pt_module_t  pt_http_gzip_filter_module = {
    .name = "pt_http_gzip_filter_module",
    .type = PT_HTTP_MODULE,
    .commands = gzip_commands,
    .ctx = &gzip_module_ctx,
};

static pt_str_t      gzip_html = pt_string("text/html");
static gzip_types_t  gzip_default_types = { &gzip_html, 1, 0 };


static bool
gzip_type_listed(pt_http_request_t *r, const gzip_types_t *types)
{
    pt_str_t  type = r->headers_out.content_type;
    size_t    len;

    if (types->any) {
        return true;
    }

    for (len = 0; len < type.len; len++) {
        if (type.data[len] == ';' || type.data[len] == ' '
            || type.data[len] == '\t')
        {
            break;
        }
    }

    type.len = len;

    for (size_t i = 0; i < types->ntypes; i++) {
        if (pt_str_caseeq(&types->types[i], &type)) {
            return true;
        }
    }

    return false;
}


/* The response itself is fit for gzip (nginx's list of reasons). */
static bool
gzip_response_fits(pt_http_request_t *r, const gzip_loc_conf_t *conf)
{
    pt_http_headers_out_t  *ho = &r->headers_out;
    unsigned                status = ho->status;

    if (status != PT_HTTP_OK && status != PT_HTTP_FORBIDDEN
        && status != PT_HTTP_NOT_FOUND)
    {
        return false;
    }

    pt_table_elt_t  *ce = pt_http_gzip_content_encoding(r);

    if (ce != NULL && ce->value.len) {
        return false;
    }

    if (ho->content_length_n != -1
        && ho->content_length_n < (off_t) conf->min_length)
    {
        return false;
    }

    if (r->header_only || r->method == PT_HTTP_HEAD) {
        return false;
    }

    return gzip_type_listed(r, conf->types ? conf->types
                                           : &gzip_default_types);
}


static int
gzip_header_filter(pt_http_request_t *r, const pt_http_filter_t *f)
{
    gzip_loc_conf_t  *conf = pt_http_get_module_loc_conf(r,
                                                  pt_http_gzip_filter_module);
    pt_http_zpipe_t  *zp;
    pt_table_elt_t   *h;

    static const pt_str_t  name = pt_string("Content-Encoding");
    static const pt_str_t  value = pt_string("gzip");

    if (!conf->enable || !gzip_response_fits(r, conf)) {
        return pt_http_next_header(r, f);
    }

    /* a cache must know the body depends on Accept-Encoding either way */
    if (pt_http_gzip_vary(r) != PT_OK) {
        return PT_ERROR;
    }

    if (pt_http_gzip_ok(r) != PT_OK) {
        return pt_http_next_header(r, f);
    }

    zp = pt_http_zpipe_create(r, PT_ZPIPE_DEFLATE, conf->level,
                              conf->bufs.num, conf->bufs.size);
    h = pt_http_add_header_out(r, &name, &value);

    if (zp == NULL || h == NULL) {
        return PT_ERROR;
    }

    pt_http_set_ctx(r, zp, pt_http_gzip_filter_module);

    r->headers_out.content_encoding = h;
    pt_http_clear_content_length(r);
    pt_http_clear_accept_ranges(r);
    pt_http_weak_etag(r);

    return pt_http_next_header(r, f);
}


static int
gzip_body_filter(pt_http_request_t *r, const pt_http_filter_t *f,
    pt_chain_t *in)
{
    pt_http_zpipe_t  *zp = pt_http_get_module_ctx(r,
                                                  pt_http_gzip_filter_module);

    if (zp == NULL || r->header_only) {
        return pt_http_next_body(r, f, in);
    }

    return pt_http_zpipe_filter(r, f, zp, in);
}


static int
gzip_ratio_variable(pt_http_request_t *r, pt_http_variable_value_t *v,
    uintptr_t data)
{
    pt_http_zpipe_t  *zp = pt_http_get_module_ctx(r,
                                                  pt_http_gzip_filter_module);
    u_char           *p;

    if (zp == NULL || !zp->done || zp->bytes_out == 0) {
        v->not_found = 1;
        return PT_OK;
    }

    p = pt_pnalloc(r->pool, 32);
    if (p == NULL) {
        return PT_ERROR;
    }

    v->data = p;
    v->len = (unsigned) (pt_snprintf(p, p + 32, "%.2f",
                                     (double) zp->bytes_in
                                     / (double) zp->bytes_out) - p);
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return PT_OK;
}


/* Config. */

static int
gzip_types_set(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    gzip_loc_conf_t  *lcf = conf;
    gzip_types_t     *t;
    size_t            nargs = pt_conf_nargs(cf);

    if (lcf->types != NULL) {
        return pt_conf_error(cf, "\"gzip_types\" directive is duplicate");
    }

    t = pt_pcalloc(cf->pool, sizeof(gzip_types_t));
    if (t == NULL
        || (t->types = pt_pcalloc(cf->pool, nargs * sizeof(pt_str_t))) == NULL)
    {
        return PT_ERROR;
    }

    t->types[t->ntypes++] = gzip_html;

    for (size_t i = 1; i < nargs; i++) {
        pt_str_t  *v = &pt_conf_arg(cf, i);

        if (v->len == 1 && v->data[0] == '*') {
            t->any = 1;
            continue;
        }

        t->types[t->ntypes++] = *v;
    }

    lcf->types = t;
    return PT_OK;
}



static int
gzip_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf)
{
    gzip_loc_conf_t  *parent = prev;
    gzip_loc_conf_t  *child = conf;

    if (child->types == NULL) {
        child->types = parent->types;
    }

    pt_http_gzip_merge_bufs(&child->bufs, &parent->bufs);

    return PT_OK;
}


static int
gzip_add_variables(pt_conf_t *cf)
{
    static const pt_str_t  name = pt_string("gzip_ratio");
    pt_http_variable_t    *v;

    v = pt_http_add_variable(cf, &name, PT_HTTP_VAR_NOCACHEABLE);
    if (v == NULL) {
        return PT_ERROR;
    }

    v->get = gzip_ratio_variable;
    return PT_OK;
}


static int
gzip_init(pt_conf_t *cf)
{
    return pt_http_filter_add(cf, &(pt_http_filter_t) {
        .name = "gzip",
        .stage = PT_FILTER_ENCODE,
        .header = gzip_header_filter,
        .body = gzip_body_filter,
    });
}
