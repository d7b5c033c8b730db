/* SPDX-License-Identifier: BSD-2-Clause */
/* The http { } block: conf contexts, merging, phases, and the listeners. */
#include "pt_config.h"
#include "pt_core.h"
#include "pt_http.h"
#include "pt_http_conf.h"

static int http_block(pt_conf_t *cf, const pt_command_t *cmd, void *conf);

static const pt_command_t  http_commands[] = {
    { .name = "http", .ctx = PT_MAIN, .args = PT_CONF_BLOCK | PT_CONF_NOARGS,
      .set = http_block },
    PT_COMMAND_END
};

static const pt_core_module_t  http_module_ctx = { .conf_size = 0 };

pt_module_t  pt_http_module = {
    .name = "pt_http_module",
    .type = PT_CORE_MODULE,
    .commands = http_commands,
    .ctx = &http_module_ctx,
};


static const pt_http_module_t *
http_mctx(const pt_module_t *m)
{
    return m->ctx;
}


int
pt_http_alloc_confs(pt_conf_t *cf, pt_http_conf_ctx_t *ctx, bool main,
    bool srv)
{
    size_t  n = pt_http_modules_n;

    if (main
        && (ctx->main_conf = pt_pcalloc(cf->pool, n * sizeof(void *))) == NULL)
    {
        return PT_ERROR;
    }

    if (srv
        && (ctx->srv_conf = pt_pcalloc(cf->pool, n * sizeof(void *))) == NULL)
    {
        return PT_ERROR;
    }

    ctx->loc_conf = pt_pcalloc(cf->pool, n * sizeof(void *));
    if (ctx->loc_conf == NULL) {
        return PT_ERROR;
    }

    for (size_t i = 0; pt_modules[i]; i++) {
        const pt_module_t        *m = pt_modules[i];
        const pt_http_module_t   *hm = http_mctx(m);
        size_t                    x = m->ctx_index;

        if (m->type != PT_HTTP_MODULE) {
            continue;
        }

        if (main && hm->main_conf_size) {
            ctx->main_conf[x] = pt_pcalloc(cf->pool, hm->main_conf_size);
            if (ctx->main_conf[x] == NULL) {
                return PT_ERROR;
            }
            pt_conf_init_fields(m, PT_CONF_MAIN, ctx->main_conf[x]);
        }

        if (srv && hm->srv_conf_size) {
            ctx->srv_conf[x] = pt_pcalloc(cf->pool, hm->srv_conf_size);
            if (ctx->srv_conf[x] == NULL) {
                return PT_ERROR;
            }
            pt_conf_init_fields(m, PT_CONF_SRV, ctx->srv_conf[x]);
        }

        if (hm->loc_conf_size) {
            ctx->loc_conf[x] = pt_pcalloc(cf->pool, hm->loc_conf_size);
            if (ctx->loc_conf[x] == NULL) {
                return PT_ERROR;
            }
            pt_conf_init_fields(m, PT_CONF_LOC, ctx->loc_conf[x]);

            if (hm->create_loc_conf
                && hm->create_loc_conf(cf, ctx->loc_conf[x]) != PT_OK)
            {
                return PT_ERROR;
            }
        }
    }

    /* Every level's core conf knows its sibling confs (location lookup). */
    pt_http_core_loc_conf_t  *clcf = ctx->loc_conf[pt_http_core_module.ctx_index];

    clcf->loc_conf = ctx->loc_conf;
    return PT_OK;
}


/* A pristine loc conf: what the http level is merged against. */
static void **
http_default_loc_confs(pt_conf_t *cf)
{
    pt_http_conf_ctx_t  d = { 0 };

    if (pt_http_alloc_confs(cf, &d, false, false) != PT_OK) {
        return NULL;
    }

    for (size_t i = 0; pt_modules[i]; i++) {
        const pt_module_t  *m = pt_modules[i];

        if (m->type == PT_HTTP_MODULE && d.loc_conf[m->ctx_index]) {
            pt_conf_merge_fields(m, PT_CONF_LOC, NULL, d.loc_conf[m->ctx_index]);
        }
    }

    return d.loc_conf;
}


int
pt_http_merge_loc(pt_conf_t *cf, void **prev, void **conf)
{
    for (size_t i = 0; pt_modules[i]; i++) {
        const pt_module_t        *m = pt_modules[i];
        const pt_http_module_t   *hm = http_mctx(m);
        size_t                    x = m->ctx_index;

        if (m->type != PT_HTTP_MODULE || conf[x] == NULL) {
            continue;
        }

        pt_conf_merge_fields(m, PT_CONF_LOC, prev ? prev[x] : NULL, conf[x]);

        if (hm->merge_loc_conf && prev
            && hm->merge_loc_conf(cf, prev[x], conf[x]) != PT_OK)
        {
            return PT_ERROR;
        }
    }

    pt_http_core_loc_conf_t  *clcf = conf[pt_http_core_module.ctx_index];

    if (clcf->locations == NULL) {
        return PT_OK;
    }

    pt_http_core_loc_conf_t  **sub = clcf->locations->elts;

    for (size_t i = 0; i < clcf->locations->nelts; i++) {
        if (pt_http_merge_loc(cf, conf, sub[i]->loc_conf) != PT_OK) {
            return PT_ERROR;
        }
    }

    return pt_http_init_locations(cf, clcf);
}


static int
http_merge_srv(pt_conf_t *cf, pt_http_conf_ctx_t *http,
    pt_http_core_srv_conf_t *cscf)
{
    pt_http_conf_ctx_t  *ctx = cscf->ctx;

    for (size_t i = 0; pt_modules[i]; i++) {
        const pt_module_t        *m = pt_modules[i];
        const pt_http_module_t   *hm = http_mctx(m);
        size_t                    x = m->ctx_index;

        if (m->type != PT_HTTP_MODULE || ctx->srv_conf[x] == NULL) {
            continue;
        }

        pt_conf_merge_fields(m, PT_CONF_SRV, http->srv_conf[x],
                             ctx->srv_conf[x]);

        if (hm->merge_srv_conf
            && hm->merge_srv_conf(cf, http->srv_conf[x], ctx->srv_conf[x])
               != PT_OK)
        {
            return PT_ERROR;
        }
    }

    return pt_http_merge_loc(cf, http->loc_conf, ctx->loc_conf);
}


static int
http_merge(pt_conf_t *cf, pt_http_conf_ctx_t *ctx)
{
    pt_http_core_main_conf_t  *cmcf = ctx->main_conf[pt_http_core_module.ctx_index];
    void                     **defaults = http_default_loc_confs(cf);

    if (defaults == NULL) {
        return PT_ERROR;
    }

    for (size_t i = 0; pt_modules[i]; i++) {
        const pt_module_t        *m = pt_modules[i];
        const pt_http_module_t   *hm = http_mctx(m);
        size_t                    x = m->ctx_index;

        if (m->type != PT_HTTP_MODULE) {
            continue;
        }

        if (ctx->main_conf[x]) {
            pt_conf_merge_fields(m, PT_CONF_MAIN, NULL, ctx->main_conf[x]);
            if (hm->init_main_conf
                && hm->init_main_conf(cf, ctx->main_conf[x]) != PT_OK)
            {
                return PT_ERROR;
            }
        }

        if (ctx->srv_conf[x]) {
            pt_conf_merge_fields(m, PT_CONF_SRV, NULL, ctx->srv_conf[x]);
        }
    }

    /* The http level inherits from pristine defaults; locations there too. */
    if (pt_http_merge_loc(cf, defaults, ctx->loc_conf) != PT_OK) {
        return PT_ERROR;
    }

    pt_http_core_srv_conf_t  **servers = cmcf->servers.elts;

    for (size_t i = 0; i < cmcf->servers.nelts; i++) {
        if (http_merge_srv(cf, ctx, servers[i]) != PT_OK) {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


static int
http_run_hooks(pt_conf_t *cf, bool post)
{
    for (size_t i = 0; pt_modules[i]; i++) {
        const pt_module_t       *m = pt_modules[i];
        const pt_http_module_t  *hm = http_mctx(m);
        int                    (*hook)(pt_conf_t *);

        if (m->type != PT_HTTP_MODULE) {
            continue;
        }

        hook = post ? hm->postconfiguration : hm->preconfiguration;

        if (hook && hook(cf) != PT_OK) {
            return PT_ERROR;
        }
    }

    return PT_OK;
}


static int
http_block(pt_conf_t *cf, const pt_command_t *cmd, void *conf)
{
    pt_http_conf_ctx_t  *ctx;
    pt_conf_t            saved = *cf;

    if (cf->cycle->http_ctx) {
        return pt_conf_error(cf, "\"http\" directive is duplicate");
    }

    ctx = pt_pcalloc(cf->pool, sizeof(pt_http_conf_ctx_t));
    if (ctx == NULL || pt_http_alloc_confs(cf, ctx, true, true) != PT_OK) {
        return PT_ERROR;
    }

    cf->cycle->http_ctx = ctx;
    cf->ctx = ctx;
    cf->ctx_type = PT_HTTP_MAIN;

    if (pt_http_variables_add_core_vars(cf) != PT_OK
        || http_run_hooks(cf, false) != PT_OK
        || pt_conf_parse(cf, NULL) != PT_OK)
    {
        *cf = saved;
        return PT_ERROR;
    }

    /* Post-parse steps report no file:line: the block as a whole is wrong. */
    cf->file = NULL;

    int  rc = http_merge(cf, ctx);

    if (rc == PT_OK) {
        rc = http_run_hooks(cf, true);
    }
    if (rc == PT_OK) {
        rc = pt_http_variables_init_vars(cf);
    }
    if (rc == PT_OK) {
        rc = pt_http_init_phase_engine(cf);
    }
    if (rc == PT_OK) {
        rc = pt_http_filter_init(cf);
    }
    if (rc == PT_OK) {
        rc = pt_http_optimize_servers(cf);
    }

    *cf = saved;
    return rc;
}
