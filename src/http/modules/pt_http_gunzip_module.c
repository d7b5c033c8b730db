/* SPDX-License-Identifier: BSD-2-Clause */
/* gunzip: decompresses gzip-encoded responses for clients without gzip. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_gzip.h"
#include "pt_http_zpipe.h"

/*
 * Directives (http, server, location):
 *
 *   gunzip on | off;                    default off
 *   gunzip_buffers number size;         default 32 4k
 *
 * A response that carries "Content-Encoding: gzip" (from gzip_static
 * always, or a backend) is inflated on the way out when the client may
 * not get gzip (pt_http_gzip_ok); other clients get it as it is.  A 206
 * is left alone: a slice of a gzip stream cannot be inflated.
 *
 * Header and body filter at stage PT_FILTER_ENCODE (the gzip filter skips
 * what is still encoded and finds nothing to do in what this inflated,
 * since such clients do not accept gzip: their order does not matter).
 */

typedef struct {
    int     enable;
    pt_http_gzip_bufs_t  bufs;
} gunzip_loc_conf_t;


static int gunzip_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf);
static int gunzip_init(pt_conf_t *cf);


static const pt_command_t  gunzip_commands[] = {
    { .name = "gunzip", .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_FLAG, .set = pt_conf_set_flag,
      .field = PT_LOC_FIELD(gunzip_loc_conf_t, enable), .def.flag = 0 },
    { .name = "gunzip_buffers", .ctx = PT_HTTP_MAIN | PT_HTTP_SRV | PT_HTTP_LOC,
      .args = PT_CONF_TAKE2, .set = pt_conf_set_bufs,
      .field = PT_LOC_FIELD(gunzip_loc_conf_t, bufs) },
    PT_COMMAND_END
};

static const pt_http_module_t  gunzip_module_ctx = {
    .postconfiguration = gunzip_init,
    .loc_conf_size = sizeof(gunzip_loc_conf_t),
    .merge_loc_conf = gunzip_merge_loc_conf,
};

pt_module_t  pt_http_gunzip_filter_module = {
    .name = "pt_http_gunzip_filter_module",
    .type = PT_HTTP_MODULE,
    .commands = gunzip_commands,
    .ctx = &gunzip_module_ctx,
};


static int
gunzip_header_filter(pt_http_request_t *r, const pt_http_filter_t *f)
{
    gunzip_loc_conf_t  *conf = pt_http_get_module_loc_conf(r,
                                                pt_http_gunzip_filter_module);
    pt_table_elt_t     *ce;
    pt_http_zpipe_t    *zp;

    ce = conf->enable ? pt_http_gzip_content_encoding(r) : NULL;

    if (ce == NULL
        || !pt_str_caseeq_lit(&ce->value, "gzip")
        || r->headers_out.status == PT_HTTP_PARTIAL_CONTENT)
    {
        return pt_http_next_header(r, f);
    }

    if (pt_http_gzip_vary(r) != PT_OK) {
        return PT_ERROR;
    }

    if (pt_http_gzip_ok(r) == PT_OK) {
        return pt_http_next_header(r, f);
    }

    if (!r->header_only && r->method != PT_HTTP_HEAD
        && r->headers_out.status != PT_HTTP_NOT_MODIFIED
        && r->headers_out.status != PT_HTTP_NO_CONTENT)
    {
        zp = pt_http_zpipe_create(r, PT_ZPIPE_INFLATE, 0, conf->bufs.num,
                                  conf->bufs.size);
        if (zp == NULL) {
            return PT_ERROR;
        }

        pt_http_set_ctx(r, zp, pt_http_gunzip_filter_module);
    }

    pt_http_clear_header_out(r, &r->headers_out.content_encoding);
    pt_http_clear_content_length(r);
    pt_http_clear_accept_ranges(r);
    pt_http_weak_etag(r);

    return pt_http_next_header(r, f);
}


static int
gunzip_body_filter(pt_http_request_t *r, const pt_http_filter_t *f,
    pt_chain_t *in)
{
    pt_http_zpipe_t  *zp = pt_http_get_module_ctx(r,
                                                pt_http_gunzip_filter_module);

    if (zp == NULL || r->header_only) {
        return pt_http_next_body(r, f, in);
    }

    return pt_http_zpipe_filter(r, f, zp, in);
}



static int
gunzip_merge_loc_conf(pt_conf_t *cf, void *prev, void *conf)
{
    gunzip_loc_conf_t  *parent = prev;
    gunzip_loc_conf_t  *child = conf;

    pt_http_gzip_merge_bufs(&child->bufs, &parent->bufs);

    return PT_OK;
}


static int
gunzip_init(pt_conf_t *cf)
{
    return pt_http_filter_add(cf, &(pt_http_filter_t) {
        .name = "gunzip",
        .stage = PT_FILTER_ENCODE,
        .header = gunzip_header_filter,
        .body = gunzip_body_filter,
    });
}
